"""Constraint blocks of the division-of-labour MILP (models/formulation.md, section 4).

Every function adds one named row block with its coefficients as whole index arrays.
Row and column positions come from the blocks (``Block.index``), never from loops.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


def _grid(*shape: int) -> tuple[np.ndarray, ...]:
    return np.meshgrid(*[np.arange(n) for n in shape], indexing="ij")


def add_demand(m: ArrayModel, d: ModelData, activity: Block) -> Block:
    """(C1) sum_r activity[s, r] = A[s]: every segment's whole activity is placed."""
    rows = m.add_rows("demand", (d.S,), d.activity, d.activity)
    s, r = _grid(d.S, d.R)
    m.add_terms(rows.index(s), activity.index(s, r), 1.0)
    return rows


def add_site_capacity(m: ArrayModel, d: ModelData, place: Block, activity: Block) -> Block:
    """(C2) activity[s, r] <= U[s, r] * place[s, r]: activity only where a site is open."""
    rows = m.add_rows("site_capacity", (d.S, d.R), -np.inf, 0.0)
    s, r = _grid(d.S, d.R)
    m.add_terms(rows.index(s, r), activity.index(s, r), 1.0)
    m.add_terms(rows.index(s, r), place.index(s, r), -d.activity_upper())
    return rows


def min_scale_segments(d: ModelData) -> np.ndarray:
    """Segments with a least size somewhere: their own minimum scale, or an existing site's floor."""
    return np.flatnonzero((d.site_min_scale() > 0).any(axis=1))


def add_min_scale(m: ArrayModel, d: ModelData, place: Block, activity: Block) -> Block:
    """(C3) activity[s, r] >= min_scale[s, r] * place[s, r] for segments with a minimum scale
    (``ModelData.site_min_scale``: an existing site below it may keep today's size)."""
    segs = min_scale_segments(d)
    rows = m.add_rows("min_scale", (len(segs), d.R), 0.0, np.inf)
    i, r = _grid(len(segs), d.R)
    s = segs[i]
    m.add_terms(rows.index(i, r), activity.index(s, r), 1.0)
    m.add_terms(rows.index(i, r), place.index(s, r), -d.site_min_scale()[s, r])
    return rows


def add_site_count(m: ArrayModel, d: ModelData, place: Block) -> Block:
    """(C4) min_sites[s] <= sum_r place[s, r] <= max_sites[s] (single-site: exactly 1)."""
    rows = m.add_rows("site_count", (d.S,), d.min_sites, d.max_sites)
    s, r = _grid(d.S, d.R)
    m.add_terms(rows.index(s), place.index(s, r), 1.0)
    return rows


def add_duplication(m: ArrayModel, d: ModelData, place: Block, excess: Block) -> Block:
    """(C5) sum_r place[s, r] - excess_sites[s] <= tolerance[s]."""
    rows = m.add_rows("duplication", (d.S,), -np.inf, d.dup_tolerance)
    s, r = _grid(d.S, d.R)
    m.add_terms(rows.index(s), place.index(s, r), 1.0)
    m.add_terms(rows.index(np.arange(d.S)), excess.index(np.arange(d.S)), -1.0)
    return rows


def add_quota(m: ArrayModel, d: ModelData, activity: Block, expand: Block, slack: Block | None) -> Block:
    """(C6) sum_s use[s, r, k] activity[s, r] <= quota[r, k] + sum_e extra[e, k] expand[e] (+ slack).

    Unlimited resources (no quota) give free rows that presolve removes; keeping the full
    (R, K) shape keeps positions simple for sweeps that change a quota in place.
    """
    rows = m.add_rows("quota", (d.R, d.K), -np.inf, d.quota)
    s, r, k = _grid(d.S, d.R, d.K)
    m.add_terms(rows.index(r, k), activity.index(s, r), d.use)
    if d.E:
        e, k2 = _grid(d.E, d.K)
        m.add_terms(rows.index(d.exp_region[e], k2), expand.index(e), -d.exp_quota)
    if slack is not None:
        r2, k3 = _grid(d.R, d.K)
        m.add_terms(rows.index(r2, k3), slack.index(r2, k3), -1.0)
    return rows


def add_flow_balance(m: ArrayModel, d: ModelData, activity: Block, flow: Block) -> tuple[Block, Block]:
    """(C7) sum_q flow[l, r, q] = volume[l] * activity[up(l), r]   (what region r ships)
    (C8) sum_r flow[l, r, q] = inflow[l] * activity[down(l), q]  (what region q receives)

    A transportation problem per link between the hosts of its two segments, so the
    distance term is exact whether segments are split or single-site.
    """
    out_rows = m.add_rows("flow_out", (d.L, d.R), 0.0, 0.0)
    in_rows = m.add_rows("flow_in", (d.L, d.R), 0.0, 0.0)
    l, r, q = _grid(d.L, d.R, d.R)
    m.add_terms(out_rows.index(l, r), flow.index(l, r, q), 1.0)
    m.add_terms(in_rows.index(l, q), flow.index(l, r, q), 1.0)
    l2, r2 = _grid(d.L, d.R)
    m.add_terms(out_rows.index(l2, r2), activity.index(d.link_up[l2], r2), -d.link_volume[l2])
    m.add_terms(in_rows.index(l2, r2), activity.index(d.link_down[l2], r2), -d.link_demand_factor[l2])
    return out_rows, in_rows


def add_flow_linking(m: ArrayModel, d: ModelData, place: Block, flow: Block) -> tuple[Block, Block]:
    """(C9) flow[l, r, q] <= V[l] * place[up(l), r];  (C10) flow[l, r, q] <= V[l] * place[down(l), q].

    Valid inequalities (implied in integer solutions by C2, C7, C8), disaggregated per
    region pair; see models/formulation.md for their measured effect.
    """
    up_rows = m.add_rows("flow_link_up", (d.L, d.R, d.R), -np.inf, 0.0)
    down_rows = m.add_rows("flow_link_down", (d.L, d.R, d.R), -np.inf, 0.0)
    l, r, q = _grid(d.L, d.R, d.R)
    V = d.link_total_volume[l]
    m.add_terms(up_rows.index(l, r, q), flow.index(l, r, q), 1.0)
    m.add_terms(up_rows.index(l, r, q), place.index(d.link_up[l], r), -V)
    m.add_terms(down_rows.index(l, r, q), flow.index(l, r, q), 1.0)
    m.add_terms(down_rows.index(l, r, q), place.index(d.link_down[l], q), -V)
    return up_rows, down_rows

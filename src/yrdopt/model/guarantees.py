"""Guarantees per province or region (models/formulation.md, section 10).

Generalises the former minimum share per province (C11): ``policy.province_min_share``
entries are hard ``min_share`` guarantees, the first rows of this block.  Every guarantee
g has a target T(g) (the regions of a province, or one region) and counts the segments
of its kinds K(g).  Value is *credited* value: hosted value plus the enclave credit
(model/enclaves.py, ``credit_matrix``).

* min_share / min_value: credited value + shortfall[g] >= rhs[g]
* max_share:             credited value - shortfall[g] <= rhs[g]
* min_chains:            sum_c present[g, c] + shortfall[g] >= rhs[g], with
                         present[g, c] <= sum_{s in c, K(g)} sum_{r in T(g)} activity[s, r] / floor[s]
                         (floor: PRESENT_SHARE of the segment's activity): a chain counts where
                         the target runs it, never for an empty site

A hard guarantee has shortfall fixed at 0; a soft one pays ``penalty`` per unit short
(the objective term ``guarantee_shortfall``).
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block
from .enclaves import credit_matrix



# a chain is present in a target where its counted segments run there at least this share of one
# segment's activity (summed over the target's sites, each segment in its own share): an empty site,
# which costs nothing where its fixed cost and duplication weigh 0, is no presence.  The same share
# as a site a flip opens in ``explain`` (explain.FLIP_SHARE): the project's least hosting of a segment
PRESENT_SHARE = 0.01


def presence_per_unit(activity: np.ndarray) -> np.ndarray:
    """(S,) how much of a chain's presence one unit of each segment's activity makes: 1 / (PRESENT_SHARE ×
    its activity), 0 for a segment with no activity (it makes no chain present)."""
    floor = PRESENT_SHARE * np.asarray(activity, dtype=float)
    return np.divide(1.0, floor, out=np.zeros_like(floor), where=floor > 0)


def chains_counted(d: ModelData, activity: np.ndarray, tolerance: float = 1e-6) -> np.ndarray:
    """(G,) how many chains each min_chains guarantee counts in a layout of (S, R) ``activity`` — the
    rule of C15 read on the layout itself, not on the ``chain_present`` columns, which the LP may
    leave anywhere under their upper bound (so the row's activity is bookkeeping, not the count); 0 for
    the other guarantees.  The checker counts the same from the written layout
    (``checker.chains_present``)."""
    out = np.zeros(d.G)
    per_unit = presence_per_unit(d.activity)
    for g in chain_rows(d):
        mine = np.asarray(activity, dtype=float).clip(min=0.0) * d.g_kinds[g][:, None] * d.g_target[g][None, :]
        presence = np.bincount(d.seg_chain, weights=(mine * per_unit[:, None]).sum(axis=1), minlength=len(d.chain_ids))
        out[g] = float((presence >= 1.0 - tolerance).sum())
    return out


def chain_rows(d: ModelData) -> np.ndarray:
    """Indices of the min_chains guarantees."""
    return np.array([g for g, m in enumerate(d.g_measure) if m == "min_chains"], dtype=int)


def value_rows(d: ModelData) -> np.ndarray:
    return np.array([g for g, m in enumerate(d.g_measure) if m != "min_chains"], dtype=int)


def shortfall_upper(d: ModelData) -> np.ndarray:
    """0 for a hard guarantee; for a soft one, the most it can fall short."""
    soft_cap = np.array([d.total_value - r if m == "max_share" else r for m, r in zip(d.g_measure, d.g_rhs)],
                        dtype=float).reshape(d.G)
    return np.where(np.isfinite(d.g_penalty), np.maximum(soft_cap, 0.0), 0.0)


def guarantee_bounds(d: ModelData) -> tuple[np.ndarray, np.ndarray]:
    upper_rule = np.array([m == "max_share" for m in d.g_measure], dtype=bool).reshape(d.G)
    lo = np.where(upper_rule, -np.inf, d.g_rhs)
    hi = np.where(upper_rule, d.g_rhs, np.inf)
    return lo, hi


def value_coefficients(d: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """(G, S, R) coefficient of activity and (G, N, S) of park activity in each guarantee's credited value."""
    v = d.value_per_unit
    on_act = d.g_kinds[:, :, None] * d.g_target[:, None, :] * v[None, :, None]
    on_park = credit_matrix(d, d.g_target)[:, :, None] * (d.g_kinds * v[None, :])[:, None, :]
    return on_act.astype(float), on_park


def add_guarantees(m: ArrayModel, d: ModelData, place: Block, activity: Block,
                   park_activity: Block) -> tuple[Block, Block]:
    """(V9) shortfall, (V10) chain presence, (C11) guarantee rows, (C15) chain presence rows."""
    short = m.add_variables("guarantee_shortfall", (d.G,), 0.0, shortfall_upper(d))
    gc = chain_rows(d)
    C = len(d.chain_ids)
    present = m.add_variables("chain_present", (len(gc), C), 0.0, 1.0)
    lo, hi = guarantee_bounds(d)
    rows = m.add_rows("guarantee", (d.G,), lo, hi)
    sign = np.array([-1.0 if mm == "max_share" else 1.0 for mm in d.g_measure]).reshape(d.G)
    m.add_terms(rows.index(np.arange(d.G)), short.index(np.arange(d.G)), sign)
    gv = value_rows(d)
    if len(gv):
        on_act, on_park = value_coefficients(d)
        g, s, r = np.meshgrid(gv, np.arange(d.S), np.arange(d.R), indexing="ij")
        m.add_terms(rows.index(g), activity.index(s, r), on_act[g, s, r])
        if d.N:
            g, n, s = np.meshgrid(gv, np.arange(d.N), np.arange(d.S), indexing="ij")
            m.add_terms(rows.index(g), park_activity.index(n, s), on_park[g, n, s])
    link = m.add_rows("chain_present_link", (len(gc), C), -np.inf, 0.0)
    if len(gc):
        i, c = np.meshgrid(np.arange(len(gc)), np.arange(C), indexing="ij")
        m.add_terms(rows.index(gc[i]), present.index(i, c), 1.0)
        m.add_terms(link.index(i, c), present.index(i, c), 1.0)
        i, s, r = np.meshgrid(np.arange(len(gc)), np.arange(d.S), np.arange(d.R), indexing="ij")
        counts = d.g_kinds[gc[i], s] & d.g_target[gc[i], r]
        m.add_terms(link.index(i[counts], d.seg_chain[s[counts]]), activity.index(s[counts], r[counts]),
                    -presence_per_unit(d.activity)[s[counts]])
    return rows, short

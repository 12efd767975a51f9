"""A relaxation without flows whose optimum is a valid lower bound (models/formulation.md,
section 11, "A bound without flows").

The distance term (O1) ships each link's volume between the hosts of its two segments, a
transportation problem over R x R flows per link: on the generated 41x30x4 instance 154,000
of the model's 161,000 columns, and a root LP that takes HiGHS 10-25 s.  Each unit a region r
ships on link l goes *somewhere* its downstream segment may sit, so it costs at least the
distance to the nearest such region; each unit region q receives comes from somewhere the
upstream segment may sit.  Hence, for every feasible layout, the distance cost of link l is at
least both

    out_l = intensity[l] * volume[l] * sum_r (min_{q allowed} hours[r, q]) * activity[up(l), r]
    in_l  = intensity[l] * inflow[l] * sum_q (min_{r allowed} hours[r, q]) * activity[down(l), q]

and the model with ``logistics_bound[l] >= out_l, >= in_l`` in place of the flows (C7, C8 and
the flow columns dropped) has every feasible layout of the full model as a feasible point
costing no more.  Any lower bound on its optimum (its LP, or HiGHS's dual bound on it) is
therefore a lower bound on the full model's optimum.  Built with
``BuildOptions(logistics="bound")``; :func:`relaxation_bound` solves it.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


def nearest_hours(d: ModelData) -> tuple[np.ndarray, np.ndarray]:
    """(L, R) hours from region r to the nearest region link l's downstream segment may use,
    and (L, R) hours to region q from the nearest region its upstream segment may use (0
    where a segment may use no region: its activity is 0 there anyway)."""
    big = np.inf
    down_ok = d.allowed[d.link_down]  # (L, R)
    up_ok = d.allowed[d.link_up]
    out = np.where(down_ok[:, None, :], d.distance[None, :, :], big).min(axis=2)  # (L, R) over q
    inn = np.where(up_ok[:, :, None], d.distance[None, :, :], big).min(axis=1)  # (L, R) over r
    return np.where(np.isfinite(out), out, 0.0), np.where(np.isfinite(inn), inn, 0.0)


def add_logistics_bound(m: ArrayModel, d: ModelData, activity: Block) -> Block:
    """(V3') logistics_bound[l] >= 0 with (C7') logistics_bound[l] >= out_l and (C8')
    logistics_bound[l] >= in_l; its cost is link l's share of the distance term."""
    z = m.add_variables("logistics_bound", (d.L,), 0.0, np.inf)
    out_rows = m.add_rows("logistics_bound_out", (d.L,), 0.0, np.inf)
    in_rows = m.add_rows("logistics_bound_in", (d.L,), 0.0, np.inf)
    l = np.arange(d.L)
    m.add_terms(out_rows.index(l), z.index(l), 1.0)
    m.add_terms(in_rows.index(l), z.index(l), 1.0)
    h_out, h_in = nearest_hours(d)
    l2, r2 = np.meshgrid(l, np.arange(d.R), indexing="ij")
    m.add_terms(out_rows.index(l2), activity.index(d.link_up[l2], r2),
                -(d.link_intensity * d.link_volume)[l2] * h_out)
    m.add_terms(in_rows.index(l2), activity.index(d.link_down[l2], r2),
                -(d.link_intensity * d.link_demand_factor)[l2] * h_in)
    return z


def relaxation_bound(d: ModelData, time_limit: float, threads: int | None = 1, stop=None,
                     options=None) -> float | None:
    """A valid lower bound on the optimum of ``d``'s model (built with ``options``, default
    ones if None) from its relaxation without flows: HiGHS's dual bound on it after at most
    ``time_limit`` seconds (None if it has none, or for the elastic model, whose objective is
    the added quota)."""
    from dataclasses import replace

    from ..deadline import PROBING_OFF, ROOT_SOON
    from ..solver import HighsSolver, SolverOptions
    from .compiled import BuildOptions, build

    options = options or BuildOptions()
    if options.elastic:
        return None
    cm = build(d, replace(options, logistics="bound", flow_linking="none", tighten_bounds=False))
    s = HighsSolver(SolverOptions(time_limit=time_limit, threads=threads, mip_gap=1e-4,
                                  highs={**PROBING_OFF, **ROOT_SOON}), stop=stop)
    s.load(cm)
    res = s.solve()
    return res.bound

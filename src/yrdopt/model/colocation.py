"""Co-located quota rows (C16; models/formulation.md section 11, *Co-located quota rows*; issue 13).

Valid rows that never change the optimum.  They cut off what makes the LP relaxation weak at city
scale: a single-site segment split over the regions of the segments it trades with, each piece
receiving its partner's output at intra-region distance, in regions whose quotas could not hold
the segment whole beside that partner.

For a segment t, a region r and a resource k, multiply the quota row C6 of (r, k) by
place[t, r].  In every layout

* activity[t, r] * place[t, r] = activity[t, r] (C2), = A_t * place[t, r] for a single-site t
  (C1, C2, C4 with one site: wherever it sits it carries all of A_t),
* activity[m, r] * place[t, r] >= flow[l, r, r] / c_l  for each segment m trading with t over
  link l (c_l = units of l per unit of m's activity): flow[l, r, r] <= c_l activity[m, r] (m's
  side of C7/C8) and flow[l, r, r] = 0 unless t sits in r (t's side); an equality for a
  single-site t, whose region receives or ships all of l,
* any other column v >= 0 of the row: a * v * place[t, r] >= 0 for a > 0 (dropped) and
  >= a * v for a < 0 (extra quota from an expansion or a park: taken whole),

so ``sum_m a_m flow[l_m, r, r] / c_l + (a_t A_t + footprint - Q[r, k]) place[t, r] + sum_{a<0} a v <= 0``.
Where the quota cannot hold t beside its partners, the LP can no longer co-locate fractions.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block

# a partner's term use / (units of the link per unit) can exceed what the instance's own numbers
# reach (the schema bounds each number, not this ratio); dropping a positive term keeps the row valid
MAX_COEFFICIENT = 1e7


def partners(d: ModelData) -> dict[int, dict[int, tuple[int, float]]]:
    """For each segment t: {partner m: (link l, units of l per unit of m's activity)}."""
    out: dict[int, dict[int, tuple[int, float]]] = {}
    for l in range(d.L):
        up, down = int(d.link_up[l]), int(d.link_down[l])
        for t, m, per_unit in ((down, up, d.link_volume[l]), (up, down, d.link_demand_factor[l])):
            if t != m and d.activity[t] > 0 and per_unit > 0:
                out.setdefault(t, {}).setdefault(m, (l, float(per_unit)))
    return out


def add_colocated_quota(m: ArrayModel, d: ModelData, place: Block, activity: Block, flow: Block,
                        quota: Block) -> Block | None:
    """(C16) one row per segment t, region r where t may sit, resource k with a finite quota and a
    partner of t that uses k in r; built from the quota rows as they stand (every term the other
    blocks added to C6 included).  A partner term above :data:`MAX_COEFFICIENT` (a large use over a
    tiny volume per unit) is left out, which keeps the row valid and HiGHS's coefficient range sane."""
    pairs = partners(d)
    single = d.max_sites == 1
    if not pairs:
        return None
    q_rows, q_cols, q_vals = m.block_terms(quota)
    col_lower = np.concatenate(m.col_lower)
    upper = np.concatenate(m.row_upper)[quota.slice]
    bounds = np.searchsorted(q_rows, np.arange(quota.start, quota.stop + 1))
    act_of = {int(activity.index(s, r)): s for s in range(d.S) for r in range(d.R)}  # column -> segment
    place_of = {int(place.index(s, r)): s for s in range(d.S) for r in range(d.R)}

    # each quota row (r, k) read once: its coefficient on every segment's activity and placement
    # there, and its other terms (kept where negative: extra quota; dropped where positive)
    row_terms: dict[tuple[int, int], tuple[np.ndarray, np.ndarray, list[tuple[int, float]]]] = {}
    for r in range(d.R):
        for k in range(d.K):
            i = int(quota.index(r, k)) - quota.start
            if not np.isfinite(upper[i]):
                continue
            cols, vals = q_cols[bounds[i]:bounds[i + 1]], q_vals[bounds[i]:bounds[i + 1]]
            if (col_lower[cols] < 0).any():
                continue  # a column that may be negative has no bound on its product
            a_x, a_y, others = np.zeros(d.S), np.zeros(d.S), []
            for j, a in zip(cols.tolist(), vals.tolist()):
                if j in act_of:
                    a_x[act_of[j]] += a
                elif j in place_of:
                    a_y[place_of[j]] += a
                elif a < 0:
                    others.append((j, a))
            row_terms[r, k] = a_x, a_y, others

    entries: list[tuple[int, int, float]] = []  # (new row, column, value)
    n = 0
    for t, ms in pairs.items():
        for r in np.flatnonzero(d.allowed[t]):
            y_tr, x_tr = int(place.index(t, r)), int(activity.index(t, r))
            near = [(mm, int(flow.index(l, r, r)), c) for mm, (l, c) in ms.items() if d.allowed[mm, r]]
            if not near:
                continue
            for k in range(d.K):
                if (r, k) not in row_terms:
                    continue
                a_x, a_y, others = row_terms[r, k]
                # partners' activity in r times y[t, r] >= flow[l, r, r] / c (a positive use only)
                fed = [(f, a_x[mm] / c) for mm, f, c in near if a_x[mm] > 0 and a_x[mm] / c <= MAX_COEFFICIENT]
                if not fed:
                    continue
                partner = {mm for mm, _, c in near if a_x[mm] > 0}
                row: dict[int, float] = {y_tr: a_y[t] - upper[int(quota.index(r, k)) - quota.start]}
                if single[t] and a_x[t] > 0:
                    row[y_tr] += a_x[t] * d.activity[t]  # x[t, r] y[t, r] = A_t y[t, r]
                elif a_x[t]:
                    row[x_tr] = a_x[t]  # x[t, r] y[t, r] = x[t, r]
                for f, v in fed:
                    row[f] = row.get(f, 0.0) + v
                for s_ in np.flatnonzero((a_x < 0) | (a_y < 0)):  # other segments' negative terms, taken whole
                    if s_ != t and s_ not in partner:
                        if a_x[s_] < 0:
                            row[int(activity.index(s_, r))] = a_x[s_]
                        if a_y[s_] < 0:
                            row[int(place.index(s_, r))] = a_y[s_]
                for j, a in others:
                    row[j] = row.get(j, 0.0) + a
                entries += [(n, j, v) for j, v in row.items()]
                n += 1
    if not n:
        return None
    rows = m.add_rows("colocated_quota", (n,), -np.inf, 0.0)
    e = np.array(entries, dtype=float)
    m.add_terms(rows.start + e[:, 0].astype(np.int64), e[:, 1].astype(np.int64), e[:, 2])
    return rows

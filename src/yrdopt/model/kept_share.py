"""A site's least activity in period t follows from period t-1 (models/formulation.md section 13,
P7 and P8): kept open, it keeps a share of its activity; reopened, it is a new site.

In period $t \\ge 1$ of the phased model, for every segment $s$ and region $r$:

    (P7) activity[t, s, r] >= lam * activity[t-1, s, r] - lam * U[t-1, s, r] * (1 - place[t, s, r])

with lam = ``brownfield.min_kept_share`` and U[t-1] the column bound of activity[t-1].  A site
open in t-1 and t runs in t at least lam times its activity in t-1; emptied below that it is
a closure (closing cost, ``max_closed``, protection, minimum run).  Period 0 needs no row: its
predecessor is today's layout, data, and C3's grandfathered minimum scale carries lam x E
(``ModelData.site_min_scale``).  Today's sites with their own ``min_scale`` keep that floor
in every period instead, as in period 0 (section 12).

    (P8) activity[t, s, r] >= m[s] * place[t, s, r] - (m[s] - g[s, r]) * place[t-1, s, r]

for today's sites whose grandfathered size g (C3's coefficient) is below the segment's minimum
scale m: only a site that ran in t-1 keeps g; closed in t-1 and opened again in t, it is a new
site and runs at least m (as :func:`yrdopt.phasing.period_instance` reads it: not among the
sites before).
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


def add_kept_share(m: ArrayModel, t: int, share: float, place: np.ndarray, activity: np.ndarray,
                   prev_activity: np.ndarray, prev_upper: np.ndarray, own_floor: np.ndarray) -> Block | None:
    """(P7) rows ``kept_share[t]`` over the (S, R) pairs that can run in t-1 (U[t-1] > 0) and
    have no floor of their own; ``place``, ``activity``, ``prev_activity`` are (S, R) column
    indices of the stacked model, ``prev_upper`` the (S, R) bounds of ``prev_activity``."""
    if t == 0 or share <= 0:
        return None
    s, r = np.nonzero((prev_upper > 0) & ~own_floor)
    big = share * prev_upper[s, r]
    rows = m.add_rows(f"kept_share[{t}]", (len(s),), -big, np.inf)
    i = rows.index(np.arange(len(s)))
    # activity[t] - lam activity[t-1] - lam U[t-1] place[t] >= -lam U[t-1]
    m.add_terms(i, activity[s, r], 1.0)
    m.add_terms(i, prev_activity[s, r], -share)
    m.add_terms(i, place[s, r], -big)
    return rows


def add_reopened_min_scale(m: ArrayModel, t: int, d: ModelData, place: np.ndarray, activity: np.ndarray,
                           prev_place: np.ndarray) -> Block | None:
    """(P8) rows ``reopened_min_scale[t]`` over today's sites whose grandfathered size in period t's
    C3 (``d.site_min_scale()``) is below the segment's minimum scale; index arrays as in
    :func:`add_kept_share`, ``prev_place`` the (S, R) columns of place[t-1]."""
    if t == 0 or d.brownfield is None:
        return None
    seg = np.broadcast_to(d.min_scale[:, None], (d.S, d.R))
    g = d.site_min_scale()
    s, r = np.nonzero(d.brownfield.existing & (g < seg))
    rows = m.add_rows(f"reopened_min_scale[{t}]", (len(s),), 0.0, np.inf)
    i = rows.index(np.arange(len(s)))
    # activity[t] - m place[t] + (m - g) place[t-1] >= 0
    m.add_terms(i, activity[s, r], 1.0)
    m.add_terms(i, place[s, r], -seg[s, r])
    m.add_terms(i, prev_place[s, r], seg[s, r] - g[s, r])
    return rows

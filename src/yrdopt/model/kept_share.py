"""A site kept open keeps a share of its activity (models/formulation.md section 13, P7).

In period $t \\ge 1$ of the phased model, for every segment $s$ and region $r$:

    (P7) activity[t, s, r] >= lam * activity[t-1, s, r] - lam * U[t-1, s, r] * (1 - place[t, s, r])

with lam = ``brownfield.min_kept_share`` and U[t-1] the column bound of activity[t-1].  A site
open in t-1 and t runs in t at least lam times its activity in t-1; emptied below that it is
a closure (closing cost, ``max_closed``, protection, minimum run).  Period 0 needs no row: its
predecessor is today's layout, data, and C3's grandfathered minimum scale carries lam x E
(``ModelData.site_min_scale``).  Today's sites with their own ``min_scale`` keep that floor
instead while they have run in every period since today (h[t] = 1, :mod:`.grandfathered`):
their row gains + lam U[t-1] h[t].
"""

from __future__ import annotations

import numpy as np

from .arrays import ArrayModel, Block


def add_kept_share(m: ArrayModel, t: int, share: float, place: np.ndarray, activity: np.ndarray,
                   prev_activity: np.ndarray, prev_upper: np.ndarray, own_floor_h: np.ndarray) -> Block | None:
    """(P7) rows ``kept_share[t]`` over the (S, R) pairs that can run in t-1 (U[t-1] > 0);
    ``place``, ``activity``, ``prev_activity`` are (S, R) column indices of the stacked model,
    ``prev_upper`` the (S, R) bounds of ``prev_activity``, ``own_floor_h`` the (S, R) columns
    h[t] of today's sites with their own minimum scale (-1 elsewhere)."""
    if t == 0 or share <= 0:
        return None
    s, r = np.nonzero(prev_upper > 0)
    big = share * prev_upper[s, r]
    rows = m.add_rows(f"kept_share[{t}]", (len(s),), -big, np.inf)
    i = rows.index(np.arange(len(s)))
    # activity[t] - lam activity[t-1] - lam U[t-1] place[t] (+ lam U[t-1] h[t]) >= -lam U[t-1]
    m.add_terms(i, activity[s, r], 1.0)
    m.add_terms(i, prev_activity[s, r], -share)
    m.add_terms(i, place[s, r], -big)
    own = own_floor_h[s, r] >= 0
    m.add_terms(i[own], own_floor_h[s, r][own], big[own])
    return rows

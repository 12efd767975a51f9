"""A site of today keeps its own limits only while it has run in every period since today
(models/formulation.md section 13, P8).

Today's sites run under limits of their own (section 12): a ``capacity`` kappa, and a
grandfathered minimum scale g (their own ``min_scale``, else the segment's minimum scale, or
today's activity where that is smaller).  Over milestone periods a site of today keeps them
only while it has been open in every period since today; closed once, it is a new site for
good: the segment's minimum scale m, no capacity of its own (the bound U[t] any new site
gets), and the kept share (P7) whenever it stays open — as :func:`yrdopt.phasing.period_instance`
reads it from the written layouts.

Period 0 needs no row: a site of today open in period 0 has run in every period since today,
and period 0's core carries kappa and g (C2, C3).  The cores of t >= 1 give today's sites
only what both states allow — no capacity of their own, the floor min(g, m)
(:func:`yrdopt.model.periods.period_data`) — and this block adds, for t >= 1 and every site of
today with a limit of its own (:func:`today_limits`):

    h[t, s, r] in [0, 1]: the site ran in every period 0..t          (h[0] = place[0])
    (P8a) h[t] <= place[t]
    (P8b) h[t] <= h[t-1]
    (P8c) h[t] >= place[t] + h[t-1] - 1
    (P8d) activity[t] - U[t] place[t] + (U[t] - kappa) h[t] <= 0     where kappa < U[t]
    (P8e) activity[t] - m place[t] - (g - m) h[t] >= 0               where g != m

With binary placements P8a-c make h[t] = place[0] and ... and place[t] (by induction from
h[0] = place[0]), so h is continuous and adds no binary.  P7's row of a site with its own
minimum scale gains + lam U[t-1] h[t] (:func:`yrdopt.model.kept_share.add_kept_share`): such a
site keeps its own floor instead of the kept share while it is grandfathered.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


@dataclass(frozen=True)
class TodayLimits:
    """Today's sites whose limits differ from a new site's: positions and their limits."""

    s: np.ndarray  # (n,) segment index
    r: np.ndarray  # (n,) region index
    capacity: np.ndarray  # (n,) kappa, inf where the site has none
    floor: np.ndarray  # (n,) g: grandfathered minimum scale (no kept share)
    segment_floor: np.ndarray  # (n,) m: the segment's minimum scale
    own_floor: np.ndarray  # (n,) bool: the site has its own min_scale (no kept share while grandfathered)


def grandfathered_floor(d: ModelData) -> np.ndarray:
    """(S, R) today's sites' least activity while grandfathered, without the kept share of
    today's activity (period 0's only): C3's coefficient of a period t >= 1."""
    bf = d.brownfield
    return replace(d, brownfield=replace(bf, min_kept_share=0.0)).site_min_scale()


def today_limits(d: ModelData, share: float) -> TodayLimits | None:
    """Today's sites with a limit a new site does not have: a capacity, a grandfathered floor
    other than the segment's minimum scale, or their own floor in place of the kept share
    ``share`` (> 0).  None when the instance has no sites today."""
    bf = d.brownfield
    if bf is None:
        return None
    g = grandfathered_floor(d)
    m = np.broadcast_to(d.min_scale[:, None], (d.S, d.R))
    own = ~np.isnan(bf.own_min_scale)
    s, r = np.nonzero(bf.existing & (np.isfinite(bf.capacity) | (g != m) | (own & (share > 0))))
    return TodayLimits(s=s, r=r, capacity=bf.capacity[s, r], floor=g[s, r], segment_floor=m[s, r],
                       own_floor=own[s, r])


def relaxed_core(d: ModelData) -> ModelData:
    """Period t >= 1's core data: today's sites get only the limits of either state — no
    capacity of their own and the floor min(g, m) (C2, C3); :func:`add_grandfathered` adds the
    rest.  Their kept share of today's activity (period 0's floor) is dropped: P7 chains it."""
    bf = d.brownfield
    if bf is None:
        return d
    g = grandfathered_floor(d)
    floor = np.where(bf.existing, np.minimum(g, d.min_scale[:, None]), np.nan)
    return replace(d, brownfield=replace(bf, min_kept_share=0.0, capacity=np.full_like(bf.capacity, np.inf),
                                         own_min_scale=floor))


def add_grandfathered(m: ArrayModel, t: int, lim: TodayLimits, place: np.ndarray, activity: np.ndarray,
                      prev_h: np.ndarray, upper: np.ndarray) -> Block:
    """(P8a-e) column block ``grandfathered[t]`` (one per site of ``lim``) and its rows; ``place``,
    ``activity`` and ``prev_h`` (h[t-1], or place[0] for t = 1) are (n,) column indices of the
    stacked model, ``upper`` the (n,) bounds U[t] of ``activity``."""
    n = len(lim.s)
    h = m.add_variables(f"grandfathered[{t}]", (n,), 0.0, 1.0)
    hi = h.index(np.arange(n))
    # (P8a) place - h >= 0;  (P8b) h[t-1] - h >= 0;  (P8c) h - place - h[t-1] >= -1
    for name, lo, terms in (("a", 0.0, ((place, 1.0), (hi, -1.0))), ("b", 0.0, ((prev_h, 1.0), (hi, -1.0))),
                            ("c", -1.0, ((hi, 1.0), (place, -1.0), (prev_h, -1.0)))):
        rows = m.add_rows(f"grandfathered_{name}[{t}]", (n,), lo, np.inf)
        for cols, coef in terms:
            m.add_terms(rows.index(np.arange(n)), cols, coef)
    # (P8d) activity - U place + (U - kappa) h <= 0 where the capacity is below the new site's bound
    k = np.flatnonzero(lim.capacity < upper)
    rows = m.add_rows(f"grandfathered_capacity[{t}]", (len(k),), -np.inf, 0.0)
    i = rows.index(np.arange(len(k)))
    m.add_terms(i, activity[k], 1.0)
    m.add_terms(i, place[k], -upper[k])
    m.add_terms(i, hi[k], upper[k] - lim.capacity[k])
    # (P8e) activity - m place - (g - m) h >= 0 where the grandfathered floor differs from m
    k = np.flatnonzero(lim.floor != lim.segment_floor)
    rows = m.add_rows(f"grandfathered_min_scale[{t}]", (len(k),), 0.0, np.inf)
    i = rows.index(np.arange(len(k)))
    m.add_terms(i, activity[k], 1.0)
    m.add_terms(i, place[k], -lim.segment_floor[k])
    m.add_terms(i, hi[k], lim.segment_floor[k] - lim.floor[k])
    return h

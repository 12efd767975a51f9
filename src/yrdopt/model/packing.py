"""Valid packing rows for shared quotas (models/formulation.md, section 11; issue 13).

Optional rows that every feasible layout satisfies, so they never change the optimum; they
only give HiGHS rows over the site binaries from which to separate its own cuts (lifted
knapsack covers, clique and implication cuts).  Each family is measured in
``benchmarks/city_scale.py``; ``BuildOptions.packing`` selects them:

* ``"knapsack"`` — per region and resource: what the open sites use at least,
  ``sum_s (use[s,r,k] L[s,r] + footprint[s,r,k]) place[s,r] <= quota[r,k] + extras``, with
  ``L = site_floor(d)`` the least activity an open site can carry;
* ``"min_sites"`` — per segment: at least as many sites as its largest site capacities
  need to hold its activity (the site-count row's lower bound raised; integer rounding of C1+C2);
* ``"cover"`` — per segment and N = 2..``COVER_MAX``: the site-count cover rows
  ``sum_r min(N, 1 + floor((N-1) c[s,r] / A[s])) place[s,r] >= N`` (c = capacity of one site).
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block

FAMILIES = ("knapsack", "min_sites", "cover")
COVER_MAX = 6  # a site carries at least a quarter of its segment on the shipped instances


def site_capacity(d: ModelData) -> np.ndarray:
    """(S, R) most activity one site of s in r can carry: min(U[s, r], A[s])."""
    return np.minimum(d.activity_upper(), d.activity[:, None])


def site_floor(d: ModelData) -> np.ndarray:
    """(S, R) least activity an open site carries: its minimum scale, or what the other
    regions cannot hold (A[s] - sum of their capacities), whichever is more.

    Valid: an open site carries at least its minimum scale (C3), and x[s, r] = A[s] -
    sum_{r' != r} x[s, r'] >= A[s] - sum_{r' != r} U[s, r'] (C1, C2)."""
    cap = site_capacity(d)
    rest = d.activity[:, None] - (cap.sum(axis=1, keepdims=True) - cap)
    return np.clip(np.maximum(d.site_min_scale(), rest), 0.0, cap)


def fewest_sites(d: ModelData) -> np.ndarray:
    """(S,) least number of open sites whose capacities can hold the segment's activity:
    the n largest capacities must add up to A[s] (C1, C2), so no fewer than n sites."""
    cap = -np.sort(-site_capacity(d), axis=1)
    held = np.cumsum(cap, axis=1)
    enough = held >= d.activity[:, None] * (1 - 1e-9)
    n = np.where(enough.any(axis=1), enough.argmax(axis=1) + 1, d.R)
    return np.where(d.activity > 0, n, 0).astype(float)


def add_knapsack(m: ArrayModel, d: ModelData, place: Block, expand: Block, park_open: Block | None) -> Block | None:
    """Per (region, resource) with a finite quota: the least use of the open sites fits the quota
    with every extra it could take.  Implied by C3 + C6 in the LP, but pure-binary: knapsack
    cover cuts are separated from it, not from C6 (whose activity columns are continuous)."""
    floor = site_floor(d)
    need = d.use * floor[:, :, None] + (d.footprint if d.footprint.size else 0.0)  # (S, R, K)
    finite = np.isfinite(d.quota)
    keep = finite & ((need > 0).sum(axis=0) >= 2)  # one item alone is a bound, not a packing
    rr, kk = np.nonzero(keep)
    if not len(rr):
        return None
    rows = m.add_rows("packing_knapsack", (len(rr),), -np.inf, d.quota[rr, kk])
    i, s = np.meshgrid(np.arange(len(rr)), np.arange(d.S), indexing="ij")
    m.add_terms(rows.index(i), place.index(s, rr[i]), need[s, rr[i], kk[i]])
    pos = np.full(d.quota.shape, -1)
    pos[rr, kk] = np.arange(len(rr))
    extras = [(expand, d.exp_region, d.exp_quota)] if d.E else []
    if d.N and park_open is not None:
        extras.append((park_open, d.park_host, d.park_quota))
    for block, region, extra in extras:  # an expansion or a park adds its extra quota to its region's row
        e, k = np.nonzero(extra)
        j = pos[region[e], k]
        m.add_terms(rows.index(j[j >= 0]), block.index(e[j >= 0]), -extra[e, k][j >= 0])
    return rows


def add_site_cover(m: ArrayModel, d: ModelData, place: Block, n_max: int = COVER_MAX) -> Block | None:
    """Per segment and N = 2..n_max: sum_r min(N, 1 + floor((N-1) c[s,r]/A[s])) place[s,r] >= N.

    Only rows with some coefficient below N (otherwise it is the site-count row)."""
    cap = site_capacity(d)
    items = []
    for N in range(2, n_max + 1):
        with np.errstate(divide="ignore", invalid="ignore"):
            coef = np.minimum(N, 1 + np.floor((N - 1) * cap / d.activity[:, None] + 1e-9))
        coef = np.where(d.activity[:, None] > 0, coef, N)
        for s in np.flatnonzero((d.activity > 0) & ((coef < N) & (cap > 0)).any(axis=1)):
            items.append((N, s, np.where(cap[s] > 0, coef[s], 0.0)))
    if not items:
        return None
    rows = m.add_rows("packing_cover", (len(items),), [float(N) for N, _, _ in items], np.inf)
    for j, (_, s, coef) in enumerate(items):
        m.add_terms(rows.index(j), place.index(s, np.arange(d.R)), coef)
    return rows


def add_packing(m: ArrayModel, d: ModelData, families: tuple[str, ...], place: Block, expand: Block,
                park_open: Block | None) -> None:
    """The families asked for (``BuildOptions.packing``); ``min_sites`` is a row bound, set by
    :func:`raise_site_count` after the rows are assembled."""
    unknown = set(families) - set(FAMILIES)
    if unknown:
        raise ValueError(f"unknown packing rows {sorted(unknown)}; expected some of {FAMILIES}")
    if "knapsack" in families:
        add_knapsack(m, d, place, expand, park_open)
    if "cover" in families:
        add_site_cover(m, d, place)


def raise_site_count(d: ModelData, row_blocks: dict[str, Block], row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    """(min_sites) the site-count row's lower bound raised to :func:`fewest_sites` (never above
    its upper bound: an instance that needs more sites than allowed stays infeasible as it is)."""
    sc = row_blocks["site_count"]
    row_lower[sc.slice] = np.maximum(row_lower[sc.slice], np.minimum(fewest_sites(d), row_upper[sc.slice]))

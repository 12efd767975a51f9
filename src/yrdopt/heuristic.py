"""A fast starting layout (greedy, quota-aware) to hand HiGHS as a MIP start.

On large instances HiGHS can spend minutes in the root node before its own heuristics
find any feasible layout (see models/formulation.md, "Measured formulation choices").
This greedy places segments chain by chain, in link order, each in the region(s) that
minimise its site cost, fixed cost and the logistics cost to the segments already
placed, within what is left of every quota.  It never claims optimality: HiGHS checks
the start and ignores it if it is infeasible (e.g. a province share it did not try to
meet).

Usage::

    x0 = greedy_start(cm)               # None if the greedy got stuck
    HighsSolver(opts).load(cm); solver.solve(start=x0)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .data import ModelData
from .model.compiled import CompiledModel
from .model.site_counts import fill_site_counts


@dataclass
class GreedyLayout:
    activity: np.ndarray  # (S, R)
    place: np.ndarray  # (S, R) bool
    expand: np.ndarray  # (E,) bool
    parks: np.ndarray | None = None  # (N,) bool: enclave parks opened


def greedy_layout(d: ModelData) -> GreedyLayout | None:
    """Place every segment greedily; None when some segment finds no room.

    Tries chain order first (each segment sees its upstream neighbour's location), then,
    if a segment finds no room, the biggest resource users first (bin-packing order).
    """
    for order in (_order(d), _big_first(d)):
        layout = _greedy(d, order)
        if layout is not None:
            return layout
    return None


def _big_first(d: ModelData) -> np.ndarray:
    has_fixed = d.fixed.any(axis=1)
    size = d.activity * (d.use.max(axis=1).sum(axis=1) if d.K else 1.0)
    rest = np.flatnonzero(~has_fixed)
    # single-site segments first (they need one region with room for all of them), biggest first
    key = np.lexsort((-size[rest], ~d.single_site[rest]))
    return np.concatenate([np.flatnonzero(has_fixed), rest[key]])


def _greedy(d: ModelData, order: np.ndarray) -> GreedyLayout | None:
    S, R = d.S, d.R
    # expansion options and enclave parks alike add quota to a region when opened
    opt_region = np.concatenate([d.exp_region, d.park_host]).astype(int)
    opt_quota = np.concatenate([d.exp_quota.reshape(d.E, d.K), d.park_quota.reshape(d.N, d.K)])
    taken = np.concatenate([np.zeros(d.E, dtype=bool), d.park_existing])  # existing parks are open
    cap = d.quota.copy()  # (R, K), inf = unlimited
    np.add.at(cap, opt_region[taken], opt_quota[taken])
    footprint = d.footprint if d.footprint.size else np.zeros((S, R, d.K))
    act = np.zeros((S, R))
    # which links touch each segment, to price distance to what is already placed
    links_down = [np.flatnonzero(d.link_down == s) for s in range(S)]
    links_up = [np.flatnonzero(d.link_up == s) for s in range(S)]
    placed = np.zeros(S, dtype=bool)
    hours = d.distance
    for s in order:
        A = d.activity[s]
        score = d.unit_cost[s] * A + d.fixed_cost[s]
        for l in links_down[s]:  # upstream already placed: ship its output to r
            up = d.link_up[l]
            if placed[up]:
                share = act[up] / d.activity[up]
                score = score + d.link_intensity[l] * d.link_total_volume[l] * (share @ hours)
        for l in links_up[s]:  # downstream already placed (fixed ones, out of order)
            down = d.link_down[l]
            if placed[down]:
                share = act[down] / d.activity[down]
                score = score + d.link_intensity[l] * d.link_total_volume[l] * (hours @ share)
        use = d.use[s]  # (R, K)
        room = _room(cap - footprint[s], use, d.allowed[s])
        fixed = np.flatnonzero(d.fixed[s])
        n_max = int(d.max_sites[s])
        n_min = int(max(d.min_sites[s], len(fixed)))
        amounts = _split(A, score, room, fixed, n_min, n_max, d.min_scale[s])
        if amounts is None and len(taken) and not taken.all():
            # stuck: open the parks (expansion options, enclave parks) of the regions it then uses
            extra = np.zeros_like(cap)
            np.add.at(extra, opt_region[~taken], opt_quota[~taken])
            amounts = _split(A, score, _room(cap + extra - footprint[s], use, d.allowed[s]), fixed, n_min, n_max,
                             d.min_scale[s])
            if amounts is not None:
                opened = ~taken & (amounts[opt_region] > room[opt_region] + 1e-9)
                taken |= opened
                np.add.at(cap, opt_region[opened], opt_quota[opened])
        if amounts is None:
            return None
        act[s] = amounts
        if d.K:
            cap = cap - amounts[:, None] * use - (amounts > 0)[:, None] * footprint[s]
        placed[s] = True
    return GreedyLayout(activity=act, place=act > 0, expand=taken[:d.E], parks=taken[d.E:])


def _room(cap: np.ndarray, use: np.ndarray, allowed: np.ndarray) -> np.ndarray:
    """(R,) activity each region can still take within every quota."""
    with np.errstate(divide="ignore", invalid="ignore"):
        room = np.where(use > 0, cap / use, np.inf).min(axis=1) if use.shape[1] else np.full(len(cap), np.inf)
    return np.where(allowed, np.maximum(room, 0.0), 0.0)


def _order(d: ModelData) -> np.ndarray:
    """Segments with fixed placements first (they anchor their chain), then chain order."""
    has_fixed = d.fixed.any(axis=1)
    return np.concatenate([np.flatnonzero(has_fixed), np.flatnonzero(~has_fixed)])


def _split(A: float, score: np.ndarray, room: np.ndarray, fixed: np.ndarray, n_min: int, n_max: int,
           min_scale: float) -> np.ndarray | None:
    """Activity per region: one host if it fits, else fill the best-scoring regions."""
    R = len(score)
    eps = 1e-9 * max(1.0, A)
    order = np.argsort(score, kind="stable")
    order = np.concatenate([fixed, order[~np.isin(order, fixed)]])
    out = np.zeros(R)
    if n_min <= 1:
        fits = order[room[order] >= A - eps]
        if len(fixed):
            fits = fits[fits == fixed[0]]
        if len(fits):
            out[fits[0]] = A
            return out
    if n_max <= 1:
        return None
    # the best-scoring regions with room for a minimum-scale site, until their room covers A;
    # if n_max of them cannot, the roomiest regions instead
    by_room = np.argsort(-room, kind="stable")
    for cand in (order, np.concatenate([fixed, by_room[~np.isin(by_room, fixed)]])):
        ok = cand[(room[cand] >= max(min_scale, eps)) | np.isin(cand, fixed)]
        if not len(ok):
            continue
        cum = np.cumsum(room[ok])
        k = max(int(np.searchsorted(cum, A - eps)) + 1, n_min)
        if k <= min(n_max, len(ok)) and cum[k - 1] >= A - eps:
            break
    else:
        return None
    hosts = ok[:k]
    base = np.minimum(min_scale, room[hosts])
    if base.sum() > A + eps:
        return None
    out[hosts] = base
    left = A - base.sum()
    for i, r in enumerate(hosts):  # top up in score order
        give = min(left, room[r] - base[i])
        out[r] += give
        left -= give
    return out if left <= eps else None


def start_vector(cm: CompiledModel, layout: GreedyLayout) -> np.ndarray:
    """A full column vector for ``layout``: flows split in proportion to both ends (a feasible
    transportation plan), excess sites at their least value, expansions as chosen."""
    d = cm.data
    x = np.zeros(cm.n_cols)
    x[cm.var("place").slice] = layout.place.ravel().astype(float)
    x[cm.var("activity").slice] = layout.activity.ravel()
    out = d.link_volume[:, None] * layout.activity[d.link_up]  # (L, R) shipped from r
    inn = d.link_demand_factor[:, None] * layout.activity[d.link_down]  # (L, R) received in q
    V = np.where(d.link_total_volume > 0, d.link_total_volume, 1.0)
    x[cm.var("flow").slice] = (out[:, :, None] * inn[:, None, :] / V[:, None, None]).ravel()
    if d.E:
        x[cm.var("expand").slice] = layout.expand.astype(float)
    sites = layout.place.sum(axis=1)
    x[cm.var("excess_sites").slice] = np.maximum(sites - d.dup_tolerance, 0.0)
    if d.N:
        x[cm.var("park_open").slice] = (layout.parks if layout.parks is not None else d.park_existing).astype(float)
    if d.G:
        _guarantee_columns(cm, x)
    fill_site_counts(cm, x)
    return x


def _guarantee_columns(cm: CompiledModel, x: np.ndarray) -> None:
    """Chain presence and soft shortfalls that match the layout in ``x`` (a hard guarantee the
    greedy misses leaves the start infeasible; HiGHS then ignores it)."""
    link = cm.row("chain_present_link")
    if link.size:
        counted = -(cm.A[link.slice] @ x)  # sum of counted placements (presence still 0)
        x[cm.var("chain_present").slice] = np.clip(counted, 0.0, 1.0)
    rows, short = cm.row("guarantee"), cm.var("guarantee_shortfall")
    lhs = cm.A[rows.slice] @ x
    need = np.maximum(cm.row_lower[rows.slice] - lhs, lhs - cm.row_upper[rows.slice])
    x[short.slice] = np.clip(need, 0.0, cm.col_upper[short.slice])


def greedy_start(cm: CompiledModel) -> np.ndarray | None:
    """Greedy layout as a MIP start vector for ``cm`` (None if the greedy got stuck)."""
    layout = greedy_layout(cm.data)
    return None if layout is None else start_vector(cm, layout)

"""Pair rows for single-site segments (C17; models/formulation.md section 11, *Pair rows for
single-site segments*; issue 13).  Valid lower bounds on a link's flows; measured, off by default.

When the downstream segment d of link l has at most one site, all that the upstream u makes in
region r goes to d's one region: flow[l, r, q] = volume[l] * activity[u, r] * place[d, q] in every
layout (C1 and C4 put all of d in one region q*, C2 empties the others, C8 then leaves no flow into
them and C7 sends all of u's output from r to q*).  With u's floor L[u, r] <= activity[u, r] when u
sits in r (C3, or what the other regions cannot hold, ``packing.site_floor``; all of A_u for a
single-site u) and activity[u, r] <= U[u, r] (its column bound), the products' McCormick bounds are

* ``floor``:    flow[l, r, q] >= volume[l] * L[u, r] * (place[u, r] + place[d, q] - 1),
* ``capacity``: flow[l, r, q] >= volume[l] * (activity[u, r] - U[u, r] * (1 - place[d, q])),

and, when u has at most one site (flow[l, r, q] = inflow[l] * activity[d, q] * place[u, r]), the
same with the roles swapped (inflow[l], d's floor and capacity in q, u's placement in r).  These
are lower bounds on flows; the capacity linking rows tried before were upper bounds.

There are R^2 pairs per link, so :func:`separate` adds only the rows the LP relaxation violates,
in a few rounds of our own LP; ``BuildOptions(single_site_pairs="all")`` builds every one (small
models, the tests).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ..data import ModelData
from .arrays import ArrayModel, Block
from .packing import site_capacity, site_floor

FLOOR, CAPACITY = 0, 1


@dataclass(frozen=True)
class PairRows:
    """Candidate rows, one entry each: ``kind`` (FLOOR or CAPACITY), link ``l``, regions ``r``
    (upstream) and ``q`` (downstream), the segment and region whose activity bounds the product
    (``own``, ``own_r``), the other end's placement (``other``, ``other_r``), the link units per
    unit of the own segment's activity ``c`` and the own site's floor or capacity ``bound``."""

    kind: np.ndarray
    l: np.ndarray
    r: np.ndarray
    q: np.ndarray
    own: np.ndarray
    own_r: np.ndarray
    other: np.ndarray
    other_r: np.ndarray
    c: np.ndarray
    bound: np.ndarray

    def __len__(self) -> int:
        return len(self.kind)

    def take(self, keep: np.ndarray) -> "PairRows":
        return PairRows(*(getattr(self, f)[keep] for f in self.__dataclass_fields__))

    def lower(self) -> np.ndarray:
        """Each row's right-hand side: flow - c * (...) >= -c * bound."""
        return -self.c * self.bound


def candidates(d: ModelData) -> PairRows:
    """Every pair row of the model: for each link with a single-site end (site count at most 1,
    both ends active, upstream and downstream different), every region pair where both may sit."""
    cap = site_capacity(d)  # min(U, A): the activity column's bound on an allowed pair
    floor = site_floor(d)
    single = (d.max_sites <= 1) & (d.activity > 0)
    floor = np.where(single[:, None], cap, floor)  # a single-site segment carries all of A_s where it sits
    parts: list[tuple[np.ndarray, ...]] = []
    for l in range(d.L):
        u, w = int(d.link_up[l]), int(d.link_down[l])
        if u == w or d.activity[u] <= 0 or d.activity[w] <= 0 or d.link_volume[l] <= 0:
            continue
        r, q = np.meshgrid(np.flatnonzero(d.allowed[u]), np.flatnonzero(d.allowed[w]), indexing="ij")
        r, q = r.ravel(), q.ravel()
        n = len(r)
        if not n:
            continue
        # (own segment, its region, other segment, its region, units of l per unit of own's activity)
        sides = []
        if single[w]:  # flow = volume * x[u, r] * y[w, q]
            sides.append((np.full(n, u), r, np.full(n, w), q, d.link_volume[l]))
        if single[u]:  # flow = inflow * x[w, q] * y[u, r]
            sides.append((np.full(n, w), q, np.full(n, u), r, d.link_demand_factor[l]))
        for own, own_r, other, other_r, c in sides:
            for kind, bound in ((FLOOR, floor[own, own_r]), (CAPACITY, cap[own, own_r])):
                keep = bound > 0
                parts.append((np.full(keep.sum(), kind), np.full(keep.sum(), l), r[keep], q[keep], own[keep],
                              own_r[keep], other[keep], other_r[keep], np.full(keep.sum(), float(c)), bound[keep]))
    if not parts:
        return PairRows(*(np.zeros(0, dtype=int) for _ in range(8)), np.zeros(0), np.zeros(0))
    return PairRows(*(np.concatenate([p[i] for p in parts]) for i in range(10)))


def terms(rows: PairRows, place: Block, activity: Block, flow: Block) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(row position, column, value) of ``rows``: flow - c L (y_own + y_other) >= -c L for a floor,
    flow - c x_own - c U y_other >= -c U for a capacity row."""
    n = len(rows)
    i = np.arange(n)
    is_floor = rows.kind == FLOOR
    own_col = np.where(is_floor, place.index(rows.own, rows.own_r), activity.index(rows.own, rows.own_r))
    own_val = np.where(is_floor, -rows.c * rows.bound, -rows.c)
    return (np.r_[i, i, i],
            np.r_[flow.index(rows.l, rows.r, rows.q), own_col, place.index(rows.other, rows.other_r)],
            np.r_[np.ones(n), own_val, -rows.c * rows.bound])


def add_single_site_pairs(m: ArrayModel, d: ModelData, place: Block, activity: Block, flow: Block) -> Block | None:
    """(C17) every pair row (:func:`candidates`) as block ``single_site_pair``."""
    rows = candidates(d)
    if not len(rows):
        return None
    block = m.add_rows("single_site_pair", (len(rows),), rows.lower(), np.inf)
    i, cols, vals = terms(rows, place, activity, flow)
    m.add_terms(block.start + i, cols, vals)
    return block


def violation(rows: PairRows, cm, x: np.ndarray) -> np.ndarray:
    """How far each row's right-hand side exceeds its left-hand side at the column vector x."""
    i, cols, vals = terms(rows, cm.var("place"), cm.var("activity"), cm.var("flow"))
    lhs = np.bincount(i, weights=vals * x[cols], minlength=len(rows))
    return rows.lower() - lhs


def row_matrix(rows: PairRows, cm) -> sp.csr_matrix:
    i, cols, vals = terms(rows, cm.var("place"), cm.var("activity"), cm.var("flow"))
    return sp.csr_matrix((vals, (i, cols)), shape=(len(rows), cm.n_cols))


def with_rows(cm, rows: PairRows):
    """``cm`` with ``rows`` appended as block ``single_site_pair`` (after every other row)."""
    if not len(rows):
        return cm
    n = len(rows)
    blocks = {**cm.row_blocks, "single_site_pair": Block("single_site_pair", cm.n_rows, (n,))}
    return replace(cm, A=sp.vstack([cm.A.tocsr(), row_matrix(rows, cm)]).tocsc(), row_blocks=blocks,
                   row_lower=np.r_[cm.row_lower, rows.lower()], row_upper=np.r_[cm.row_upper, np.full(n, np.inf)])


@dataclass
class Separation:
    rows: PairRows  # every row added
    lp: list[float]  # the LP value before the first round and after each
    added: list[int]  # rows added in each round


def separate(cm, rounds: int = 3, per_round: int = 5000, tol: float = 1e-6, threads: int | None = 1,
             time_limit: float = 600.0) -> Separation:
    """Rounds of our own LP (``cm`` with integrality dropped, re-solved from its basis): each
    round adds the ``per_round`` pair rows most violated at the LP's point (by more than ``tol``
    relative to their right-hand side, at least 1e-6)."""
    import time

    import highspy

    from ..solver import HighsSolver, SolverOptions

    t0 = time.perf_counter()
    pool = candidates(cm.data)
    solver = HighsSolver(SolverOptions(threads=threads))
    solver.load(replace(cm, integrality=np.zeros_like(cm.integrality)))
    h = solver.h
    taken = np.zeros(len(pool), dtype=bool)
    lp: list[float] = []
    added: list[int] = []
    for k in range(rounds + 1):
        h.setOptionValue("time_limit", max(time_limit - (time.perf_counter() - t0), 0.01))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        lp.append(float(h.getInfo().objective_function_value))
        if k == rounds:
            break
        x = np.asarray(h.getSolution().col_value)
        v = violation(pool, cm, x)
        v[taken] = -np.inf
        hit = np.flatnonzero(v > tol * np.maximum(1.0, np.abs(pool.lower())))
        if not len(hit):
            break
        hit = hit[np.argsort(-v[hit])[:per_round]]
        taken[hit] = True
        added.append(len(hit))
        new = pool.take(hit)
        solver.add_rows(new.lower(), np.full(len(new), np.inf), *terms(new, cm.var("place"), cm.var("activity"),
                                                                        cm.var("flow")))
    return Separation(pool.take(np.flatnonzero(taken)), lp, added)

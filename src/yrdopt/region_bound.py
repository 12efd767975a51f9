"""A Lagrangian lower bound with the regions as subproblems (issue 13; models/formulation.md
section 11, "Why rows within one region cannot close the gap either").

The chain Lagrangian (``yrdopt.chain_bound``) convexifies each chain and keeps the quotas as
rows.  This one does the transpose: each region's sites, activities, expansions and parks with
the rows that touch nothing else (its quotas, site capacities, minimum scales, parks) form one
subproblem; every row that spans regions — demand, site counts, duplication, flows, guarantees,
province shares — stays in a master LP with the flow and excess-site columns.  Each region also
keeps the site floors every layout satisfies (an open site carries at least its minimum scale,
or what the other regions' ``n - 1`` largest sites cannot hold when the segment may have at most
``n`` sites).  For duals ``pi`` of the master's rows,

    L(pi) = sum_i pi_i b_i + sum_r min_{x in X_r} (c - A^T pi) x + min_{l <= x_0 <= u} (c - A^T pi) x_0,

with ``b_i`` the bound of row i its dual's sign selects, is a lower bound on the MILP's optimum
(each region MILP enters with its dual *bound*, so L stays valid when one stops early).  Column
generation converges to the LP over ``{x : x_r in conv(X_r) for all r}`` and the spanning rows,
with X_r the region's columns under its own rows and those floors: no row valid on X_r — the
knapsack packing rows of ``model/packing.py`` among them, or covers of one region's quota — can
lift the LP beyond that value (a row over one region's columns derived from spanning rows, as the
floors are, may).  Measured weaker than HiGHS's bound after 10 s on yrd-cities and on generated
41x10x3 (formulation.md), so ``solve`` does not use it; it is kept for studies, like the chain bound.

Any single-period model but an elastic one (its site capacities ignore the quotas, which the
floors count on): the partition of columns by region needs no assumption for validity (columns of
no region — flows, excess sites, guarantee shortfalls, transitions — are master columns, relaxed
to their bounds).
"""

from __future__ import annotations

import time
import highspy
import numpy as np
import scipy.sparse as sp

from .chain_bound import LagrangianBound
from .data import ModelData
from .model.compiled import CompiledModel, build
from .solver import _ensure_scheduler, new_highs

SLACK_COST = 1e4  # price of a unit of a spanning row the master may violate while its columns cannot meet it
INF = highspy.kHighsInf


def site_floor_few_sites(d: ModelData, cap: np.ndarray, max_sites: np.ndarray) -> np.ndarray:
    """(S, R) least activity an open site carries when segment s may have at most ``max_sites[s]``
    sites and a site in r at most ``cap[s, r]``: its minimum scale, or its activity less the
    ``n - 1`` largest capacities elsewhere (C1, C2, C4; a single-site segment: all of it where one
    site can hold it)."""
    floor = np.zeros((d.S, d.R))
    for s in range(d.S):
        n = int(min(max_sites[s], d.R))
        for r in range(d.R):
            others = np.sort(np.delete(cap[s], r))[::-1]
            floor[s, r] = d.activity[s] - others[: max(n - 1, 0)].sum()
    return np.clip(np.maximum(floor, d.site_min_scale()), 0.0, cap)


def column_regions(d: ModelData, cm: CompiledModel) -> np.ndarray:
    """Region of each column (-1: the master's): sites and activities by their region, an
    expansion by its region, a park's opening and activities by its host."""
    region = -np.ones(cm.n_cols, dtype=int)
    for name in ("place", "activity"):
        region[cm.var(name).slice] = np.tile(np.arange(d.R), d.S)
    if d.E:
        region[cm.var("expand").slice] = d.exp_region
    if d.N:
        region[cm.var("park_open").slice] = d.park_host
        region[cm.var("park_activity").slice] = np.repeat(d.park_host, d.S)
    return region


def row_regions(A: sp.csr_matrix, col_region: np.ndarray) -> np.ndarray:
    """Region of each row whose columns all belong to that one region, else -1 (a spanning row)."""
    n = np.diff(A.indptr)
    out = -np.ones(A.shape[0], dtype=int)
    rows = np.flatnonzero(n > 0)  # reduceat over non-empty rows only: an empty one would cut the row before it
    if not len(rows):
        return out
    reg = col_region[A.indices]
    lo, hi = np.minimum.reduceat(reg, A.indptr[rows]), np.maximum.reduceat(reg, A.indptr[rows])
    one = (lo == hi) & (lo >= 0)
    out[rows[one]] = lo[one]
    return out
    reg = col_region[A.indices]
    starts = np.minimum(A.indptr[:-1], A.nnz - 1)
    lo, hi = np.minimum.reduceat(reg, starts), np.maximum.reduceat(reg, starts)
    one = (n > 0) & (lo == hi) & (lo >= 0)
    out[one] = lo[one]
    return out


class _Region:
    """One region's MILP: its columns, its local rows and the site floors."""

    def __init__(self, cm: CompiledModel, cols: np.ndarray, rows: np.ndarray, floors: list[tuple[int, int, float]],
                 time_limit: float):
        self.cols = cols
        A = cm.A.tocsr()[rows][:, cols].tocsc()
        h = self.h = new_highs()
        h.setOptionValue("output_flag", False)
        h.setOptionValue("threads", 1)
        h.setOptionValue("mip_rel_gap", 1e-6)
        h.setOptionValue("time_limit", float(time_limit))
        n = len(cols)
        h.passModel(n, len(rows), A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                    np.zeros(n), cm.col_lower[cols], cm.col_upper[cols], cm.row_lower[rows], cm.row_upper[rows],
                    A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
                    cm.integrality[cols].astype(np.int32))
        for place, act, floor in floors:  # floor * place - activity <= 0
            h.addRow(-INF, 0.0, 2, np.array([place, act], dtype=np.int32), np.array([floor, -1.0]))

    def price(self, cost: np.ndarray) -> tuple[float, float, np.ndarray | None]:
        """(dual bound, objective, layout) of the region's MILP at ``cost``."""
        self.h.changeColsCost(len(self.cols), np.arange(len(self.cols), dtype=np.int32), cost)
        self.h.run()
        info = self.h.getInfo()
        status = self.h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            raise ValueError("a region admits no layout of its own sites: the instance is infeasible")
        feasible = info.primal_solution_status == int(highspy.SolutionStatus.kSolutionStatusFeasible)
        x = np.asarray(self.h.getSolution().col_value) if feasible else None
        bound = float(info.mip_dual_bound)
        if not np.isfinite(bound) and status == highspy.HighsModelStatus.kOptimal:
            bound = float(info.objective_function_value)  # every integer column fixed: solved as an LP
        return bound, float(info.objective_function_value), x


def region_dw_bound(d: ModelData, cm: CompiledModel | None = None, *, iterations: int = 500,
                    time_limit: float = 60.0, tol: float = 1e-4, region_time_limit: float = 10.0,
                    start: np.ndarray | None = None, site_floors: bool = True) -> LagrangianBound:
    """Column generation on the regions; stops when no region prices out, when the master and
    the bound meet (``tol``, relative), after ``iterations`` or at ``time_limit`` seconds
    (checked between iterations: one more round of region MILPs may follow, each within
    ``region_time_limit``).  ``start``: a layout of ``cm`` whose regions' parts seed the master
    (else each region's own least-cost layout does).  ``site_floors=False``: the regions' own rows
    alone (to measure what the floors add)."""
    t0 = time.perf_counter()
    cm = cm if cm is not None else build(d)
    if cm.options.elastic:
        raise ValueError("region bound not applicable: an elastic model's site capacities ignore the quotas")
    d = cm.data
    _ensure_scheduler(1)  # HiGHS's one scheduler per process: a run with another count breaks later solves
    A = cm.A.tocsr()
    col_region = column_regions(d, cm)
    local = row_regions(A, col_region)
    span = np.flatnonzero(local < 0)
    master_cols = np.flatnonzero(col_region < 0)
    A_span = A[span].tocsc()
    place, act = cm.var("place"), cm.var("activity")
    max_sites = cm.row_upper[cm.row("site_count").slice] if "site_count" in cm.row_blocks else np.full(d.S, d.R)
    # the capacities the model's own activity bounds give (C2 with U), not recomputed from the data
    cap = np.minimum(cm.col_upper[act.slice].reshape(d.S, d.R), d.activity[:, None])
    floor = site_floor_few_sites(d, cap, max_sites) if site_floors else np.zeros((d.S, d.R))
    regions = []
    for r in range(d.R):
        cols = np.flatnonzero(col_region == r)
        pos = {int(c): i for i, c in enumerate(cols)}
        floors = [(pos[place.index(s, r)], pos[act.index(s, r)], floor[s, r]) for s in range(d.S) if floor[s, r] > 1e-9]
        regions.append(_Region(cm, cols, np.flatnonzero(local == r), floors, region_time_limit))

    n_span = len(span)
    lo, hi = cm.row_lower[span], cm.row_upper[span]
    m = new_highs()
    m.setOptionValue("output_flag", False)
    m.setOptionValue("threads", 1)
    M = A_span[:, master_cols].tocsc()
    m.passModel(len(master_cols), n_span, M.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize),
                0.0, cm.cost[master_cols], cm.col_lower[master_cols], cm.col_upper[master_cols], lo, hi,
                M.indptr.astype(np.int32), M.indices.astype(np.int32), M.data.astype(float),
                np.zeros(len(master_cols), dtype=np.int32))
    m.addRows(d.R, np.ones(d.R), np.ones(d.R), 0, np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int32),
              np.zeros(0))  # each region: one convex combination of its layouts
    for sign, side in ((1.0, lo), (-1.0, hi)):  # slacks keep the master feasible before its columns can
        rows = np.flatnonzero(np.isfinite(side)).astype(np.int32)
        m.addCols(len(rows), np.full(len(rows), SLACK_COST), np.zeros(len(rows)), np.full(len(rows), INF), len(rows),
                  np.arange(len(rows), dtype=np.int32), rows, np.full(len(rows), sign))

    def add_column(r: int, x: np.ndarray) -> None:
        cols = regions[r].cols
        a = A_span[:, cols] @ x
        nz = np.flatnonzero(np.abs(a) > 1e-12)
        m.addCol(float(cm.cost[cols] @ x), 0.0, INF, len(nz) + 1, np.r_[nz, n_span + r].astype(np.int32),
                 np.r_[a[nz], 1.0])

    for r, reg in enumerate(regions):  # every region needs a column for its convexity row
        x = np.asarray(start)[reg.cols] if start is not None else reg.price(cm.cost[reg.cols])[2]
        if x is None:
            raise ValueError(f"region {d.region_ids[r]}: no layout of its own sites found within {region_time_limit:g} s")
        add_column(r, x)

    best, master, it = -np.inf, np.inf, 0
    while it < iterations:
        it += 1
        m.run()
        if m.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"the region master LP ended {m.modelStatusToString(m.getModelStatus())}")
        master = float(m.getInfo().objective_function_value)
        dual = np.asarray(m.getSolution().row_dual)
        pi, mu = dual[:n_span], dual[n_span:n_span + d.R]
        # a dual whose sign asks for an infinite side contributes nothing: price it at zero
        pi = np.where((pi > 0) & ~np.isfinite(lo), 0.0, np.where((pi < 0) & ~np.isfinite(hi), 0.0, pi))
        reduced = cm.cost - A_span.T @ pi
        value = float(np.where(pi > 0, pi * np.where(np.isfinite(lo), lo, 0.0),
                               pi * np.where(np.isfinite(hi), hi, 0.0)).sum())
        rc0 = reduced[master_cols]
        # round-off, not a direction (on a column without an upper bound it would make L -inf)
        rc0 = np.where(np.abs(rc0) < 1e-9, 0.0, rc0)
        l0, u0 = cm.col_lower[master_cols], cm.col_upper[master_cols]
        with np.errstate(invalid="ignore"):  # inf * 0 in the branch np.where does not take
            value += float(np.where(rc0 > 0, rc0 * l0, np.where(rc0 < 0, rc0 * u0, 0.0)).sum())
        added = 0
        for r, reg in enumerate(regions):
            bound, objective, x = reg.price(reduced[reg.cols])
            value += bound
            # a column enters when it improves the master by more than its share of the tolerance
            if x is not None and objective - mu[r] < -tol * max(1.0, abs(master)) / d.R:
                add_column(r, x)
                added += 1
        best = max(best, value)
        if not added or master - best <= tol * max(1.0, abs(master)) or time.perf_counter() - t0 > time_limit:
            break
    return LagrangianBound(bound=best, master=master, iterations=it, seconds=time.perf_counter() - t0)

"""The fixed-placement LP: a layout's sites (and parks) fixed, activities and flows free.

Used to polish every reported layout (HiGHS accepts MIP solutions that violate rows by up
to its MIP feasibility tolerance, 1e-6 absolute; the LP's primal tolerance is tighter), to
price quotas (its duals, :mod:`yrdopt.analysis.explain`) and to evaluate a layout under other
scenarios (sweeps' robust layout).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from ..solver import HighsSolver, SolveResult, SolverOptions
from .compiled import CompiledModel


def fix_placements(cm: CompiledModel, place: np.ndarray, expand: np.ndarray | None = None, *,
                   lp: bool = False, parks: np.ndarray | None = None) -> CompiledModel:
    """A copy of ``cm`` with placements (and, if given, expansions and opened parks) fixed.

    ``lp=True`` also drops integrality and replaces the quota-derived site capacities by
    ``activity <= A[s] * place`` (see the module docstring) — the fixed-placement LP.
    Enclave parks not given stay binary (the model is then a small MIP, without duals).
    """
    d = cm.data
    lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
    pb = cm.var("place")
    lo[pb.slice] = hi[pb.slice] = place.ravel().astype(float)
    if expand is not None and d.E:
        eb = cm.var("expand")
        lo[eb.slice] = hi[eb.slice] = expand.astype(float)
    if parks is not None and d.N:
        nb = cm.var("park_open")
        lo[nb.slice] = hi[nb.slice] = parks.astype(float)
    row_lo, row_hi = cm.row_lower, cm.row_upper
    integrality = cm.integrality
    if lp:
        if expand is None and d.E:
            raise ValueError("the fixed-placement LP needs the expansions fixed too")
        ab = cm.var("activity")
        cap = d.activity[:, None] if d.brownfield is None else np.minimum(d.activity[:, None], d.brownfield.capacity)
        hi[ab.slice] = (cap * place).ravel()  # an existing site keeps its own capacity
        row_hi = row_hi.copy()
        row_hi[cm.row("site_capacity").slice] = np.inf
        integrality = np.zeros_like(cm.integrality)
        if parks is None and d.N:
            integrality[cm.var("park_open").slice] = 1
    return replace(cm, col_lower=lo, col_upper=hi, row_lower=row_lo, row_upper=row_hi, integrality=integrality)


def place_matrix(cm: CompiledModel, x: np.ndarray) -> np.ndarray:
    """(S, R) booleans: where each segment has a site."""
    return cm.var("place").take(x) > 0.5


def lp_polish(cm: CompiledModel, res: SolveResult, holds=(), time_limit: float | None = None,
              rows: tuple | None = None, cost: np.ndarray | None = None) -> SolveResult:
    """Re-solve a MIP answer as an LP with its placements and expansions fixed.

    HiGHS accepts MIP solutions that violate rows by up to its MIP feasibility tolerance
    (1e-6 absolute), a hair above what the independent checker allows on large
    instances; the LP's primal tolerance (1e-7) is not.  ``holds`` are extra rows
    ``coef @ x <= upper`` (e.g. terms held at their front values); ``rows`` more rows as
    (lower, upper, row, col, value) triplets (e.g. alternatives' least share per site); ``cost``
    what to minimise instead of the weighted objective (e.g. one term, a lexicographic stage's
    own objective; the result's objective is then its value, its status and gap the MIP's).  Returns ``res`` unchanged when
    the LP does not solve to optimality (e.g. within ``time_limit`` seconds).
    """
    if res.x is None:
        return res
    x = res.x[: cm.n_cols]
    expand = cm.var("expand").take(x) > 0.5 if cm.data.E else None
    parks = cm.var("park_open").take(x) > 0.5 if cm.data.N else None
    lp = fix_placements(cm, place_matrix(cm, x), expand, lp=True, parks=parks)
    if cost is not None:
        lp = replace(lp, cost=np.asarray(cost, dtype=float), offset=0.0)
    # the MIP's thread count: another one would make HiGHS rebuild its scheduler
    if time_limit is not None and time_limit <= 0:
        return res
    s = HighsSolver(SolverOptions(threads=(res.solver.get("options") or {}).get("threads"), time_limit=time_limit))
    s.load(lp)
    for coef, upper in holds:
        s.add_row(coef, -np.inf, upper)
    if rows is not None:
        s.add_rows(*rows)
    out = s.solve()
    if out.x is None or out.status != "optimal":  # a time-limited LP point may cost more than the MIP's
        return res
    status = res.status
    requested = res.solver.get("gap_requested")
    if requested and out.objective is not None and cost is None:  # (another objective proves nothing here)
        # the MIP's own point is one of this LP's, so the LP costs no more unless that point lay
        # outside a row by HiGHS's MIP tolerance; then the exact point may cost a hair more, and
        # "optimal" stands only if its cost and the bound still prove it
        from ..solver import derived_status

        status = derived_status(status, out.objective, res.bound, requested["relative"], requested["absolute"])
    gap = res.gap
    if res.bound is not None and out.objective is not None and cost is None:
        gap = max(0.0, out.objective - res.bound) / max(abs(out.objective), 1e-9)
    return replace(out, status=status, gap=gap, bound=res.bound, nodes=res.nodes, handoff_s=res.handoff_s,
                   solve_s=res.solve_s + out.solve_s, solver=res.solver, row_dual=None, col_dual=None)

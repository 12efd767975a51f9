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

Those two rows are the simplest *Benders optimality cuts* of the link's transportation
problem.  Any prices (alpha, beta) with alpha[r] + beta[q] <= cost[l, r, q] on every pair give
one more valid row, ``logistics_bound[l] >= sum_r alpha[r] volume[l] activity[up, r] + sum_q
beta[q] inflow[l] activity[down, q]`` (weak LP duality: any flows meeting C7-C8 cost at least
that); :func:`transport_cut` computes the prices at a given layout, where the row is tight, and
:func:`relaxation_bound` adds them where the relaxation's LP violates them until it equals the
full model's LP as ``solve`` builds it (without the optional flow linking rows; models/formulation.md
section 11, "Benders cuts on the flows").
"""

from __future__ import annotations

import time

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


def link_cost(d: ModelData, l: int) -> np.ndarray:
    """(R, R) logistics cost of one unit of link l's volume shipped r -> q (O1's coefficient)."""
    return d.link_intensity[l] * d.distance


def transport_cut(d: ModelData, l: int, x_up: np.ndarray, x_down: np.ndarray,
                  threads: int | None = None) -> tuple[float, np.ndarray, np.ndarray]:
    """(least cost, alpha, beta) of link l's transportation problem when its upstream segment
    runs ``x_up`` (R,) and its downstream one ``x_down`` (R,).

    alpha (R,) and beta (R,) satisfy alpha[r] + beta[q] <= cost[r, q] for every r where the
    upstream segment may sit and every q, so ``sum_r alpha[r] volume x_up[r] + sum_q beta[q]
    inflow x_down[q]`` is at most the link's cost for *every* layout, and equals the least cost
    at this one.  Prices outside the two supports come from c-transforms (the largest values
    that keep every pair feasible), which makes the row as strong as the optimum allows.
    ``threads``: the process's HiGHS thread count (HiGHS keeps one scheduler per process).
    """
    cost = link_cost(d, l)
    supply = d.link_volume[l] * np.asarray(x_up, dtype=float)
    demand = d.link_demand_factor[l] * np.asarray(x_down, dtype=float)
    Su, Sd = np.flatnonzero(supply > 1e-9), np.flatnonzero(demand > 1e-9)
    if not len(Su) or not len(Sd):
        return 0.0, np.zeros(d.R), np.zeros(d.R)
    c = cost[np.ix_(Su, Sd)]
    if len(Su) == 1:  # everything leaves one region: each receiving region pays its distance
        beta_d = c[0]
    elif len(Sd) == 1:  # everything arrives in one region: alpha on the support is enough
        alpha_u = c[:, 0]
        beta_d = np.array([np.min(c[:, 0] - alpha_u)])
    else:
        beta_d = _transport_duals(c, supply[Su], demand[Sd] * supply[Su].sum() / demand[Sd].sum(), threads)
    ok_up = d.allowed[d.link_up[l]]
    alpha = np.min(cost[:, Sd] - beta_d[None, :], axis=1)  # best alpha against beta on Sd
    beta = np.min(np.where(ok_up[:, None], cost - alpha[:, None], np.inf), axis=0)  # then against every r
    # less a rounding margin, last, so that alpha + beta <= cost holds in floating point too
    beta = np.where(np.isfinite(beta), beta, 0.0) - 1e-9 * max(1.0, float(np.abs(c).max()))
    value = float(alpha[Su] @ supply[Su] + beta[Sd] @ demand[Sd])
    return value, alpha, beta


def _transport_duals(c: np.ndarray, supply: np.ndarray, demand: np.ndarray, threads: int | None = None) -> np.ndarray:
    """Optimal duals of the receiving rows of a small balanced transportation LP (HiGHS's
    row duals: the objective's change per unit more received)."""
    import highspy

    from ..solver import _ensure_scheduler, new_highs

    _ensure_scheduler(threads)  # the first HiGHS run of a process fixes its thread count

    nu, nd = c.shape
    n = nu * nd
    # column r * nd + q ships r -> q; it sits in supply row r and demand row nu + q
    indices = np.stack([np.repeat(np.arange(nu), nd), nu + np.tile(np.arange(nd), nu)], axis=1).ravel()
    h = new_highs()
    h.setOptionValue("output_flag", False)
    # HiGHS 1.16's presolve calls some of these LPs infeasible when a region ships a few 1e-8
    # (an LP layout's rounding dust beside units in the tens; tests/test_logistics_bound.py);
    # the simplex alone solves them, and an LP of at most R x R columns needs no presolve
    h.setOptionValue("presolve", "off")
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    b = np.r_[supply, demand]
    h.passModel(n, nu + nd, 2 * n, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                c.ravel().astype(float), np.zeros(n), np.full(n, np.inf), b, b,
                np.arange(0, 2 * n + 1, 2, dtype=np.int32), indices.astype(np.int32), np.ones(2 * n),
                np.zeros(n, dtype=np.int32))
    h.run()
    status = h.getModelStatus()
    if status in (highspy.HighsModelStatus.kInfeasible, highspy.HighsModelStatus.kUnboundedOrInfeasible):
        # a balanced problem always has an optimum: a wrong "infeasible" (as presolve gave, on
        # rounding dust) gets prices of 0 on the receiving side, a weaker row that is still
        # valid (the c-transform follows); any other failure is a defect and is raised
        return np.zeros(nd)
    if status != highspy.HighsModelStatus.kOptimal:
        raise RuntimeError(f"transportation LP: {h.modelStatusToString(status)}")
    return np.asarray(h.getSolution().row_dual[nu:], dtype=float)


def logistics_cuts(d: ModelData, activity: np.ndarray, below: np.ndarray | None = None,
                   tol: float = 1e-6, threads: int | None = None) -> list[tuple[int, np.ndarray, np.ndarray, float]]:
    """(link, alpha, beta, cost) of the cut of every link at ``activity`` (S, R) whose cost is
    above ``below[l]`` (the relaxation's current value of the link; all links if None)."""
    out = []
    for l in range(d.L):
        value, alpha, beta = transport_cut(d, l, activity[d.link_up[l]], activity[d.link_down[l]], threads)
        if below is None or value > below[l] + tol * max(1.0, abs(value)):
            out.append((l, alpha, beta, value))
    return out


def cut_rows(cm: "CompiledModel", cuts):
    """(len(cuts), n_cols) CSR matrix, one row per cut:
    ``logistics_bound[l] - sum_r alpha[r] volume x[up, r] - sum_q beta[q] inflow x[down, q]`` (>= 0)."""
    import scipy.sparse as sp

    d, z, act = cm.data, cm.var("logistics_bound"), cm.var("activity")
    r = np.arange(d.R)
    rows, cols, vals = [], [], []
    for i, (l, alpha, beta, _) in enumerate(cuts):
        rows += [np.full(2 * d.R + 1, i)]
        cols += [np.r_[z.index(l), act.index(d.link_up[l], r), act.index(d.link_down[l], r)]]
        vals += [np.r_[1.0, -d.link_volume[l] * alpha, -d.link_demand_factor[l] * beta]]
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))),
                         shape=(len(cuts), cm.n_cols))


def with_cuts(cm: "CompiledModel", cuts) -> "CompiledModel":
    """The relaxation ``cm`` (built with ``logistics="bound"``) with the :func:`cut_rows` of
    ``cuts`` appended as block ``logistics_cut``."""
    from dataclasses import replace

    import scipy.sparse as sp

    from .arrays import Block

    if not cuts:
        return cm
    n = len(cuts)
    blocks = {**cm.row_blocks, "logistics_cut": Block("logistics_cut", cm.n_rows, (n,))}
    return replace(cm, A=sp.vstack([cm.A.tocsr(), cut_rows(cm, cuts)]).tocsc(), row_blocks=blocks,
                   row_lower=np.r_[cm.row_lower, np.zeros(n)], row_upper=np.r_[cm.row_upper, np.full(n, np.inf)])


def relaxation_bound(d: ModelData, time_limit: float, threads: int | None = 1, stop=None,
                     options=None, start: np.ndarray | None = None) -> float | None:
    """A valid lower bound on the optimum of ``d``'s model (built with ``options``, default
    ones if None) from its relaxation without flows, within ``time_limit`` seconds (None if
    there is none, or for the elastic model, whose objective is the added quota).

    First its LP, with the Benders cuts the LP's layout violates added round after round (each
    round's LP value is a bound; without violated cuts it equals the full model's LP), then
    HiGHS's dual bound on the relaxation's MILP with those cuts and the cuts at ``start``
    (the full model's activity block, (S, R), of a layout) for what is left.
    """
    from dataclasses import replace

    from ..deadline import PROBING_OFF, ROOT_SOON
    from ..solver import HighsSolver, SolverOptions
    from .compiled import BuildOptions, build

    options = options or BuildOptions()
    if options.elastic:
        return None
    t_end = time.perf_counter() + time_limit
    left = lambda: t_end - time.perf_counter()  # noqa: E731
    stopped = lambda: stop is not None and stop.is_set()  # noqa: E731
    if CUT_ROUNDS:
        base, best, cuts = relaxation_lp(d, options, left, stopped, threads, start)
    else:
        base, best, cuts = build(d, replace(options, **RELAXATION)), -np.inf, []
    if left() > MIP_MIN_S and not stopped():
        s = HighsSolver(SolverOptions(time_limit=max(left(), 0.01), threads=threads, mip_gap=1e-4,
                                      highs={**PROBING_OFF, **ROOT_SOON}), stop=stop)
        s.load(with_cuts(base, cuts))
        res = s.solve()
        if res.bound is not None:
            best = max(best, res.bound)
    return float(best) if np.isfinite(best) else None


# the relaxation's build options beside the model's own
RELAXATION = {"logistics": "bound", "flow_linking": "none", "tighten_bounds": False}


def relaxation_lp(d: ModelData, options, left, stopped, threads, start: np.ndarray | None = None,
                  last: dict | None = None) -> tuple["CompiledModel", float, list]:
    """(the relaxation of ``d``'s model built with ``options``, its LP value after the Benders
    rounds within ``left()`` seconds or -inf, every cut added), the cuts at ``start``'s
    activities (S, R) first; ``last`` as in :func:`_lp_rounds`."""
    from dataclasses import replace

    from .compiled import build

    base = build(d, replace(options, **RELAXATION))
    cuts = logistics_cuts(d, start, threads=threads) if start is not None and d.L else []
    best, cuts = _lp_rounds(base, cuts, left, stopped, threads, last)
    return base, best, cuts


def _lp_rounds(base: "CompiledModel", cuts: list, left, stopped, threads,
               last: dict | None = None) -> tuple[float, list]:
    """The relaxation's LP, re-solved from its last basis after each round of violated cuts
    (a cold start with a few hundred dense cut rows takes 10x longer); (its last value, or
    -inf, and every cut added).  ``last``, if given, receives the last optimal LP's columns
    (``x``) and reduced costs (``reduced``), in ``base``'s column order."""
    import highspy

    from ..solver import _ensure_scheduler, new_highs

    d, z, act = base.data, base.var("logistics_bound"), base.var("activity")
    h = new_highs()
    h.setOptionValue("output_flag", False)
    if threads is not None:
        h.setOptionValue("threads", int(threads))
    _ensure_scheduler(threads)
    A = base.A
    h.passModel(base.n_cols, base.n_rows, A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize),
                float(base.offset), base.cost, base.col_lower, base.col_upper, base.row_lower, base.row_upper,
                A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
                np.zeros(base.n_cols, dtype=np.int32))
    pending, best = list(cuts), -np.inf
    while left() > 0.01 and not stopped():
        if pending:
            rows = cut_rows(base, pending)  # only the new rows: the basis is kept
            h.addRows(rows.shape[0], np.zeros(rows.shape[0]), np.full(rows.shape[0], np.inf), rows.nnz,
                      rows.indptr.astype(np.int32), rows.indices.astype(np.int32), rows.data.astype(float))
        h.setOptionValue("time_limit", max(left(), 0.01))
        h.run()
        if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            break
        solution = h.getSolution()
        x = np.asarray(solution.col_value)
        best = max(best, float(h.getInfo().objective_function_value))
        if last is not None:
            last.update(x=x, reduced=np.asarray(solution.col_dual))
        pending = logistics_cuts(d, act.take(x), below=z.take(x), threads=threads)
        if not pending:
            break
        cuts = cuts + pending
    return best, cuts


# below this many seconds left after the cut rounds, the relaxation's MILP is not started
MIP_MIN_S = 0.5
# False: the relaxation's MILP with the two nearest-region rows per link only, as before the
# Benders cuts (benchmarks/city_scale.py's "flow-free" configuration, for same-run ratios)
CUT_ROUNDS = True

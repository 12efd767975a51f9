"""A Lagrangian lower bound with the chains as subproblems (issue 13; models/formulation.md
section 11, "Chain Lagrangian bound").

Links join segments of one chain, so without the quota rows (C6) the MILP falls apart into one
MILP per chain (its sites, activities and flows, with the site capacities U of the full model)
plus the expansion and park binaries.  Pricing the quotas at pi >= 0 gives, for every pi,

    L(pi) = sum_c chain_c(pi) + sum_e min(0, F_e - pi.Delta_e) + sum_n park_n(pi) - pi.Q  <=  optimum,

where chain_c(pi) is the least cost of chain c with each unit of resource k in region r
charged pi[r, k].  Each chain MILP's *bound* (not its layout's cost) enters the sum, so L(pi) is
a valid bound at every iteration even when a chain MILP stops early.  pi comes from a
Dantzig-Wolfe master LP over the chain layouts found so far (column generation); the best L
is the bound.  Measured on yrd-cities at exact shares it is weaker than HiGHS's own root bound
(formulation.md), so ``solve`` does not use it; it is kept for studies.

Only for instances without guarantees, province shares and today's sites (they couple chains
through rows other than the quotas): :func:`not_applicable` names the reason.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import highspy
import numpy as np
import scipy.sparse as sp

from .data import ModelData
from .lns import sub_data
from .model.compiled import CompiledModel, build
from .solver import HighsSolver, SolverOptions, _ensure_scheduler, new_highs

SLACK_COST = 1e4  # price of a unit of quota the master may exceed while its columns cannot fit


@dataclass
class LagrangianBound:
    """What a Dantzig-Wolfe bound returns (this one on the chains, ``region_bound``'s on the regions)."""

    bound: float  # max over iterations of L(pi): a valid lower bound on the MILP optimum
    master: float  # last restricted master LP value: the Dantzig-Wolfe bound lies in [bound, master]
    iterations: int
    seconds: float


def not_applicable(d: ModelData) -> str | None:
    if d.G:
        return "guarantees couple chains through their credited value"
    if (np.asarray(d.province_min_share) > 0).any():
        return "province shares couple chains"
    if d.brownfield is not None:
        return "change budgets of today's sites couple chains"
    return None


def _chain_models(d: ModelData) -> list[tuple[np.ndarray, CompiledModel]]:
    """Per chain: its segments and its model with the quota rows free (U as in the full model)."""
    cap = d.quota.copy()
    if d.N:  # every park's extra room, as the full model's site capacities count it
        np.add.at(cap, d.park_host, d.park_quota)
    none = np.zeros((d.S, d.R))
    out = []
    for c in range(len(d.chain_ids)):
        segs = np.flatnonzero(d.seg_chain == c)
        sub = replace(sub_data(d, segs, none, none > 0, np.zeros(d.E, dtype=bool)), quota=cap)
        if not np.allclose(sub.activity_upper(), d.activity_upper()[segs]):
            raise AssertionError("a chain's site capacities differ from the full model's")
        cm = build(sub)
        q = cm.row("quota")
        cm.row_upper[q.slice] = np.inf  # priced instead
        out.append((segs, cm))
    return out


def chain_dw_bound(d: ModelData, *, iterations: int = 50, time_limit: float = 60.0, tol: float = 1e-4,
                   chain_time_limit: float = 20.0) -> LagrangianBound:
    """Column generation on the chains; stops when the master and the bound meet (``tol``,
    relative), after ``iterations`` or at ``time_limit`` seconds (checked between iterations)."""
    reason = not_applicable(d)
    if reason:
        raise ValueError(f"chain bound not applicable: {reason}")
    t0 = time.perf_counter()
    chains = _chain_models(d)
    solvers = []
    for _, cm in chains:
        s = HighsSolver(SolverOptions(threads=1, mip_gap=1e-6, time_limit=chain_time_limit))
        s.load(cm)
        solvers.append(s)
    rk = np.argwhere(np.isfinite(d.quota))  # the priced quota rows
    columns: list[list[tuple[float, np.ndarray]]] = [[] for _ in chains]  # (own cost, use at rk)
    pi = np.zeros_like(d.quota)
    best, master, it = -np.inf, np.inf, 0
    while it < iterations:
        it += 1
        value = -float((pi[np.isfinite(d.quota)] * d.quota[np.isfinite(d.quota)]).sum())
        for (segs, cm), s, cols in zip(chains, solvers, columns):
            act, place = cm.var("activity"), cm.var("place")
            cost = cm.cost.copy()
            cost[act.slice] += np.einsum("srk,rk->sr", d.use[segs], pi).ravel()
            if d.footprint.size:
                cost[place.slice] += np.einsum("srk,rk->sr", d.footprint[segs], pi).ravel()
            s.set_costs(cost)
            res = s.solve()
            value += res.bound if res.bound is not None else -np.inf
            if res.x is not None:
                use = np.einsum("sr,srk->rk", act.take(res.x), d.use[segs])
                if d.footprint.size:
                    use = use + np.einsum("sr,srk->rk", place.take(res.x), d.footprint[segs])
                cols.append((float(cm.cost @ res.x), use[rk[:, 0], rk[:, 1]]))
        w_exp = expansion_weight(d)
        if d.E:
            value += float(np.minimum(0.0, w_exp * d.exp_cost - (pi[d.exp_region] * d.exp_quota).sum(axis=1)).sum())
        if d.N:
            park = w_exp * d.park_cost - (pi[d.park_host] * d.park_quota).sum(axis=1)
            value += float(np.where(d.park_existing, park, np.minimum(0.0, park)).sum())
        best = max(best, value)
        master, pi = _master(d, rk, columns)
        if master - best <= tol * max(1.0, abs(master)) or time.perf_counter() - t0 > time_limit:
            break
    return LagrangianBound(bound=best, master=master, iterations=it, seconds=time.perf_counter() - t0)


def expansion_weight(d: ModelData) -> float:
    """Weight of the objective's expansion term (O5), as the compiled model applies it."""
    return float(d.weights.get("expansion", 1.0))


def _master(d: ModelData, rk: np.ndarray, columns) -> tuple[float, np.ndarray]:
    """The restricted master LP: a convex combination of each chain's layouts, expansions and
    parks in [0, 1] (existing parks at 1), every priced quota row with a costly slack; returns
    its value and the quota prices pi = -dual >= 0."""
    C, Q = len(columns), len(rk)
    pos = -np.ones(d.quota.shape, dtype=int)
    pos[rk[:, 0], rk[:, 1]] = np.arange(Q)
    cost, lo, hi, entries = [], [], [], []  # entries: (row, col, value)
    for c, cols in enumerate(columns):
        for own, use in cols:
            j = len(cost)
            cost.append(own), lo.append(0.0), hi.append(np.inf)
            entries += [(c, j, 1.0)] + [(C + i, j, u) for i, u in enumerate(use) if u]
    w_exp = expansion_weight(d)  # the chains' costs are weighted (cm.cost): so are parks and expansions
    extras = [(w_exp * d.exp_cost, d.exp_region, d.exp_quota, np.zeros(d.E, dtype=bool))] if d.E else []
    if d.N:
        extras.append((w_exp * d.park_cost, d.park_host, d.park_quota, d.park_existing))
    for fixed_cost, region, extra, existing in extras:
        for e in range(len(fixed_cost)):
            j = len(cost)
            cost.append(float(fixed_cost[e])), lo.append(1.0 if existing[e] else 0.0), hi.append(1.0)
            entries += [(C + pos[region[e], k], j, -extra[e, k]) for k in range(d.K)
                        if extra[e, k] and pos[region[e], k] >= 0]
    for i in range(Q):
        j = len(cost)
        cost.append(SLACK_COST), lo.append(0.0), hi.append(np.inf)
        entries.append((C + i, j, -1.0))
    r, cidx, v = (np.array(x) for x in zip(*entries))
    A = sp.csc_matrix((v.astype(float), (r.astype(int), cidx.astype(int))), shape=(C + Q, len(cost)))
    h = new_highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("threads", 1)
    _ensure_scheduler(1)  # HiGHS's one scheduler per process: a run with another count breaks later solves
    row_lo = np.r_[np.ones(C), np.full(Q, -np.inf)]
    row_hi = np.r_[np.ones(C), d.quota[rk[:, 0], rk[:, 1]]]
    h.passModel(len(cost), C + Q, A.nnz, int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), 0.0,
                np.array(cost), np.array(lo), np.array(hi), row_lo, row_hi,
                A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data, np.zeros(len(cost), dtype=np.int32))
    h.run()
    duals = np.asarray(h.getSolution().row_dual)
    pi = np.zeros_like(d.quota)
    pi[rk[:, 0], rk[:, 1]] = np.maximum(0.0, -duals[C:])
    return float(h.getInfo().objective_function_value), pi

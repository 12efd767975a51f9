"""The relaxation without flows (model/logistics_bound.py): its optimum lies between the
model's optimum without the distance term and the model's optimum, so it is a valid bound."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import numpy as np
import pytest

import yrdopt.deadline
from yrdopt.api import solve
from yrdopt.data import build_model_data
from yrdopt.generate import generate_instance
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.model.logistics_bound import _lp_rounds, link_cost, relaxation_bound, transport_cut, with_cuts
from yrdopt.solver import HighsSolver, SolverOptions


def _solved(cm):
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-7))
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal"
    return res


def _optimum(cm) -> float:
    return _solved(cm).objective


@pytest.mark.parametrize("R,C,S,seed", [(6, 4, 3, 1), (5, 4, 4, 2), (8, 3, 3, 3)])
def test_the_relaxation_s_optimum_lies_between_the_optimum_without_distance_and_the_optimum(R, C, S, seed):
    d = build_model_data(generate_instance(R, C, S, seed=seed))
    full = _optimum(build(d))
    relaxed = build(d, BuildOptions(logistics="bound"))
    assert "flow" not in relaxed.var_blocks and relaxed.n_cols < build(d).n_cols
    value = _optimum(relaxed)
    no_distance = _optimum(build(d.__class__(**{**d.__dict__, "weights": {**d.weights, "distance": 0.0}})))
    assert no_distance - 1e-6 * abs(full) <= value <= full + 1e-6 * abs(full)
    assert value > no_distance + 1e-6 * abs(full)  # it does price logistics
    assert relaxation_bound(d, 10.0) <= full + 1e-6 * abs(full)
    assert relaxation_bound(d, 10.0, options=BuildOptions(elastic=True)) is None  # its objective is added quota


def test_solve_reports_the_better_of_two_valid_bounds(monkeypatch):
    """With the relaxation switched on for this small model, the reported bound is still at
    most the checked objective and the layout the plain MILP's optimum."""
    inst = generate_instance(6, 4, 3, seed=1)
    ref = _optimum(build(inst))
    monkeypatch.setattr(yrdopt.deadline, "PROBING_MAX_BINARIES", 10)
    sol = solve(inst, time_limit=30, threads=1, gap=1e-6)
    m = sol.summary
    assert m["verified"] and m["objective"] == pytest.approx(ref, rel=1e-5)
    assert m["bound"] <= m["check"]["objective"] + 1e-6 * abs(ref)


# -- Benders cuts on the flows ------------------------------------------------------------------

@pytest.mark.parametrize("R,C,S,seed", [(6, 4, 3, 1), (8, 3, 3, 3)])
def test_a_transport_cut_is_tight_at_its_layout_and_below_the_cost_of_every_other(R, C, S, seed):
    d = build_model_data(generate_instance(R, C, S, seed=seed))
    cm = build(d)
    best = _solved(cm)
    x, flow = cm.var("activity").take(best.x), cm.var("flow").take(best.x)
    # another layout: the plain LP relaxation's, whose segments are split over many regions
    lp = HighsSolver(SolverOptions(threads=1))
    lp.load(replace(cm, integrality=np.zeros_like(cm.integrality)))
    other = lp.solve()
    x2, flow2 = cm.var("activity").take(other.x), cm.var("flow").take(other.x)
    for l in range(d.L):
        cost = link_cost(d, l)
        value, alpha, beta = transport_cut(d, l, x[d.link_up[l]], x[d.link_down[l]])
        assert value == pytest.approx((cost * flow[l]).sum(), rel=1e-7, abs=1e-7)  # tight here
        pairs = d.allowed[d.link_up[l]][:, None] & d.allowed[d.link_down[l]][None, :]
        assert (alpha[:, None] + beta[None, :] <= cost + 1e-12)[pairs].all()  # dual feasible
        at_other = d.link_volume[l] * alpha @ x2[d.link_up[l]] + d.link_demand_factor[l] * beta @ x2[d.link_down[l]]
        assert at_other <= (cost * flow2[l]).sum() + 1e-7  # valid below the other layout's least cost
        # and the LP's flows are that layout's least-cost transport: the cut computed there is tight
        v2, _, _ = transport_cut(d, l, x2[d.link_up[l]], x2[d.link_down[l]])
        assert v2 == pytest.approx((cost * flow2[l]).sum(), rel=1e-6, abs=1e-6)


@pytest.mark.parametrize("R,C,S,seed", [(6, 4, 3, 1), (5, 4, 4, 2)])
def test_benders_rounds_raise_the_relaxation_to_the_full_lp_and_stay_below_the_optimum(R, C, S, seed):
    d = build_model_data(generate_instance(R, C, S, seed=seed))
    cm = build(d)
    best = _solved(cm)
    lp = HighsSolver(SolverOptions(threads=1))
    lp.load(replace(cm, integrality=np.zeros_like(cm.integrality)))
    full_lp = lp.solve().objective
    base = build(d, BuildOptions(logistics="bound"))
    flow_free = HighsSolver(SolverOptions(threads=1))
    flow_free.load(replace(base, integrality=np.zeros_like(base.integrality)))
    flow_free_lp = flow_free.solve().objective
    value, cuts = _lp_rounds(base, [], lambda: 30.0, lambda: False, 1)
    assert value == pytest.approx(full_lp, rel=1e-6)  # converged: the flows' LP, without the flows
    assert flow_free_lp <= value + 1e-9 * abs(value)
    assert cuts and "logistics_cut" in with_cuts(base, cuts).row_blocks
    bound = relaxation_bound(d, 10.0, start=cm.var("activity").take(best.x))
    assert full_lp - 1e-6 * abs(full_lp) <= bound <= best.objective + 1e-6 * abs(best.objective)


def test_benders_cuts_keep_the_process_s_highs_thread_count():
    """HiGHS keeps one scheduler per process, fixed by its first run.  The transportation LPs
    of the cuts at a split start were that first run (at HiGHS's default count), and every
    later one-thread solve of the process failed ("Not Set").  A fresh process, as `yrdopt
    solve --threads 1` is."""
    script = (
        "from yrdopt.generate import generate_instance\n"
        "from yrdopt.data import build_model_data\n"
        "from yrdopt.model.compiled import build\n"
        "from yrdopt.model.logistics_bound import relaxation_bound\n"
        "from yrdopt.solver import HighsSolver, SolverOptions\n"
        "d = build_model_data(generate_instance(6, 4, 3, seed=1))\n"
        "split = d.allowed * (d.activity[:, None] / d.allowed.sum(axis=1, keepdims=True))\n"
        "print(relaxation_bound(d, 5.0, threads=1, start=split))\n"
        "s = HighsSolver(SolverOptions(threads=1, time_limit=30)); s.load(build(d)); r = s.solve()\n"
        "print(r.status, r.objective)\n")
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    bound, status = out.stdout.strip().splitlines()[-2:]
    assert bound != "None" and status.startswith("optimal"), out.stdout
    assert float(bound) <= float(status.split()[1]) * (1 + 1e-6)


def test_transport_duals_of_a_layout_with_rounding_dust():
    """A link of the generated 41x30x4 instance at a cut round's LP layout: three regions ship
    1e-8..1.5e-7 beside units in the tens.  HiGHS 1.16's presolve called this balanced
    transportation LP infeasible, and the cut rounds (in `solve` under a time limit) raised."""
    from yrdopt.model.logistics_bound import _transport_duals

    cost = np.array([
        [0.450186, 6.153978, 5.982735, 9.43452, 4.438317],
        [5.393616, 6.431844, 5.2773, 13.883607, 4.089369],
        [5.982735, 10.335969, 0.50619, 12.555666, 2.636496],
        [4.410315, 9.06834, 2.343552, 11.277267, 1.575651],
        [4.438317, 8.533071, 2.636496, 11.998857, 0.551424]])
    supply = np.array([9.22700381784912e-08, 1.4867187943955252e-08, 1.4942074633207316e-07,
                       11.448154215812172, 48.87784552762985])
    demand = np.array([1.5520882277918544, 4.482201615302189, 2.464659767946695,
                       0.07942092034500645, 51.74762946861426])
    demand = demand * supply.sum() / demand.sum()  # balanced, as transport_cut hands it over
    beta = _transport_duals(cost, supply, demand, threads=1)
    alpha = np.min(cost - beta[None, :], axis=1)  # the c-transform: dual feasible
    # the least cost by brute force over the vertices is out of reach; weak duality from a
    # feasible plan (the northwest corner rule) and strong duality at the optimum instead
    plan, s, dm = np.zeros_like(cost), supply.copy(), demand.copy()
    i = j = 0
    while i < 5 and j < 5:
        q = min(s[i], dm[j]); plan[i, j] = q; s[i] -= q; dm[j] -= q
        i, j = (i + 1, j) if s[i] <= dm[j] else (i, j + 1)
    dual_value = alpha @ supply + beta @ demand
    assert dual_value <= (cost * plan).sum() + 1e-9
    from scipy.optimize import linprog
    n = cost.size
    A = np.vstack([np.kron(np.eye(5), np.ones(5)), np.kron(np.ones(5), np.eye(5))])
    primal = linprog(cost.ravel(), A_eq=A, b_eq=np.r_[supply, demand], bounds=[(0, None)] * n,
                     method="highs", options={"presolve": False})
    assert primal.status == 0
    assert dual_value == pytest.approx(primal.fun, rel=1e-7)

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

"""The relaxation without flows (model/logistics_bound.py): its optimum lies between the
model's optimum without the distance term and the model's optimum, so it is a valid bound."""

from __future__ import annotations

import pytest

import yrdopt.deadline
from yrdopt.api import solve
from yrdopt.data import build_model_data
from yrdopt.generate import generate_instance
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.model.logistics_bound import relaxation_bound
from yrdopt.solver import HighsSolver, SolverOptions


def _optimum(cm) -> float:
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-7))
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal"
    return res.objective


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

"""Sweeps over change costs and budgets of a brownfield instance, and over a phased instance's
growth, quota factors and period budgets (issue 14, point 7)."""

import copy

import numpy as np
import pandas as pd
import pytest
import yaml

import yrdopt
import yrdopt.sweep as sw
from test_brownfield import default_brownfield
from test_periods import tiny3
from test_sweep import _highs_lp
from yrdopt.data import build_model_data
from yrdopt.io import instance_dict
from yrdopt.model.compiled import build
from yrdopt.solver import HighsSolver, SolverOptions
from yrdopt.sweep.apply import InPlaceModel, patchable, resolve_parameters, scenario_dict, validate_instance
from yrdopt.sweep.spec import Parameter
from yrdopt.sweep.store import Store

BUDGET = {"max_opened": 2, "max_closed": 3, "max_moved_share": 0.1,
          "by_province": {"Anhui": {"max_closed": 1}, "Jiangsu": {"max_moved_share": 0.2}}}
# numbers of today's sites and their change: each patched in place (formulation section 12)
BROWNFIELD_PARAMETERS = [
    Parameter(path="brownfield.costs.close_per_site", scale=(0.5, 2.0)),
    Parameter(path="brownfield.costs.by_kind.rd.close_per_site", scale=(0.0, 3.0)),
    Parameter(path="brownfield.costs.shrink_per_unit", scale=(0.5, 2.0)),
    Parameter(path="brownfield.budget.max_closed", values=[0, 1, 3, 6]),
    Parameter(path="brownfield.budget.max_opened", values=[0, 2, 5]),
    Parameter(path="brownfield.budget.max_moved_share", values=[0.0, 0.05, 0.3]),
    Parameter(path="brownfield.budget.by_province.Anhui.max_closed", values=[1, 2]),
    Parameter(path="brownfield.budget.by_province.Jiangsu.max_moved_share", values=[0.1, 0.4]),
    Parameter(path="weights.change", scale=(0.5, 2.0)),
    Parameter(path="chains[*].segments[*].activity", scale=(0.8, 1.2)),  # moves the forced removal
    Parameter(path="regions[*].quotas.land", scale=(0.9, 1.5)),
]


def test_change_costs_and_budgets_patch_in_place_as_a_fresh_build():
    """Random scenarios of change costs, budgets (area and province), the change weight and
    activity patched one after another into one HiGHS model: after each patch HiGHS holds a
    fresh build's model, and its optimum is the fresh build's."""
    inst = default_brownfield(BUDGET)
    base = instance_dict(inst)
    resolved = resolve_parameters(base, BROWNFIELD_PARAMETERS)
    assert all(r.inplace for r in resolved)
    cm0 = build(inst)
    solver = HighsSolver(SolverOptions(mip_gap=1e-9))
    solver.load(cm0)
    model = InPlaceModel(solver.h, cm0)
    rng = np.random.default_rng(5)
    solved = 0
    for it in range(16):
        values = {}
        for p in BROWNFIELD_PARAMETERS:
            if rng.random() < 0.5:
                values[p.label] = (float(rng.uniform(*p.scale)) if p.scale is not None
                                   else p.values[int(rng.integers(len(p.values)))])
        try:
            inst_s = validate_instance(scenario_dict(base, resolved, values), "scenario")
        except yrdopt.InstanceError:
            continue  # e.g. a budget below what protected sites force
        d = build_model_data(inst_s)
        assert patchable(cm0.data, d)
        model.patch(d)
        ref = build(d)
        cost, cl, cu, rl, ru, A = _highs_lp(solver.h)
        for got, want in [(cost, ref.cost), (cl, ref.col_lower), (cu, ref.col_upper), (rl, ref.row_lower),
                          (ru, ref.row_upper)]:
            np.testing.assert_allclose(got, want, rtol=1e-13, atol=1e-13)
        assert abs(A - ref.A).max() < 1e-12
        if it % 4 == 0:
            got = solver.solve()
            fresh = HighsSolver(SolverOptions(mip_gap=1e-9))
            fresh.load(ref)
            want = fresh.solve()
            assert got.status == want.status
            if want.objective is not None:
                assert got.objective == pytest.approx(want.objective, rel=1e-7)
                solved += 1
    assert solved >= 2


def test_a_new_budget_scope_rebuilds():
    """A budget the base instance does not have adds rows: not patchable, so the sweep rebuilds."""
    inst = default_brownfield(BUDGET)
    base = instance_dict(inst)
    p = Parameter(path="brownfield.budget.by_province.Zhejiang", values=[{"max_closed": 0}])
    resolved = resolve_parameters(base, [p])
    d = build_model_data(validate_instance(scenario_dict(base, resolved, {p.label: {"max_closed": 0}}), "s"))
    assert not patchable(build(inst).data, d)


def test_sweep_over_a_phased_instance_solves_every_scenario_over_all_periods(tmp_path):
    """Growth per chain, a period's quota factor, a period's budget and the change costs of a
    phased instance: each scenario is the joint MILP over the periods (checked period by period);
    its objective equals solving the scenario's instance directly.  A quota factor too small for
    any plan (0.3) is recorded as infeasible with the period and the quota that fall short."""
    d = tiny3()
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(d))
    spec = {"instance": str(tmp_path / "tiny.yaml"), "design": {"kind": "one_at_a_time"},
            "solver": {"mip_gap": 1e-9, "time_limit": 60},
            "parameters": [{"path": "periods.milestones[year=2035].growth.k", "scale": [0.8, 1.2], "levels": 2},
                           {"path": "periods.milestones[year=2030].quota_factor.land", "values": [0.9, 1.4, 0.3]},
                           {"path": "periods.milestones[year=2030].budget", "values": [{"max_closed": 0}]},
                           {"path": "brownfield.costs.close_per_site", "scale": [0.5, 4.0], "levels": 2}]}
    res = sw.run(spec, out=tmp_path / "out", backend="inprocess")
    short = res["periods.milestones[year=2030].quota_factor.land"] == 0.3
    (reason,) = res.loc[short, "reason"]
    assert (res.loc[short, "status"] == "infeasible").all() and "2030: " in reason and " land +" in reason, reason
    res = res[~short]
    assert res["ok"].all() and res["verified"].all() and (res["update"] == "rebuild").all()
    # every plan polished (every integer column fixed, the LP re-solved), never above HiGHS's own
    assert res["polished"].all() and (res["polish_s"] >= 0).all()
    mip = {sid: Store(tmp_path / "out").read(sid)["mip_objective"] for sid in res["scenario"]}
    assert all(r.objective <= mip[r.scenario] * (1 + 1e-9) + 1e-9 for r in res.itertuples())
    assert res["objective"].nunique() > 2  # the parameters move the plan's cost
    row = res[res["periods.milestones[year=2035].growth.k"] == 1.2].iloc[0]
    d2 = copy.deepcopy(d)
    d2["periods"]["milestones"][2]["growth"]["k"] *= 1.2
    assert row["objective"] == pytest.approx(yrdopt.solve(d2, gap=1e-9).objective, rel=1e-6)
    lay = pd.read_csv(tmp_path / "out" / "layout.csv")
    assert set(lay["scenario"]) == set(res["scenario"])  # the last milestone's sites of every scenario

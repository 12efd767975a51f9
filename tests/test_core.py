"""Core engine behaviour: solving, writing, checking, status words, MPS export."""

import json

import pandas as pd
import pytest

import yrdopt
from yrdopt.checker import check_dir
from yrdopt.model.compiled import build
from yrdopt.solver import HighsSolver, SolverOptions
from conftest import DATA, run_cli


def test_solve_writes_files_and_check_verifies(tmp_path):
    out = tmp_path / "sol"
    res = run_cli("solve", DATA / "toy_features.yaml", "--out", out)
    assert res.returncode == 0, res.stderr
    assert "fab" in res.stdout and "A-one" in res.stdout  # the layout table is printed
    layout = pd.read_csv(out / "layout.csv")
    assert list(layout.columns)[:3] == ["chain", "segment", "kind"]
    assert {"chain", "segment", "region", "sited", "activity"} <= set(layout.columns)
    flows = pd.read_csv(out / "flows.csv")
    assert list(flows.columns) == ["chain", "from_segment", "to_segment", "from_region", "to_region",
                                   "volume", "distance_h", "cost"]
    summary = json.loads((out / "summary.json").read_text())
    for key in ("status", "objective", "bound", "gap", "components", "verified", "max_violation", "timings",
                "solver", "instance"):
        assert key in summary
    assert set(summary["components"]) == {"distance", "site_cost", "fixed_cost", "duplication", "expansion",
                                         "guarantee_shortfall", "change"}
    assert summary["objective"] == pytest.approx(sum(summary["components"].values()))
    assert set(summary["timings"]) >= {"build_s", "solve_s", "total_s"}
    assert summary["solver"]["name"] == "HiGHS" and len(summary["instance"]["hash"]) == 64
    assert summary["verified"] is True
    res = run_cli("check", DATA / "toy_features.yaml", out)
    assert res.returncode == 0 and "verified" in res.stdout


def test_checker_recomputes_objective_and_catches_violations(tmp_path):
    inst = yrdopt.load_instance(DATA / "toy_features.yaml")
    sol = yrdopt.solve(inst, out=tmp_path)
    rep = check_dir(inst, tmp_path)
    assert rep.verified and rep.objective == pytest.approx(sol.objective, rel=1e-9)
    assert rep.components == pytest.approx(sol.components, rel=1e-9, abs=1e-9)

    # move all fab activity of one site to a region without a site: site capacity and flows break
    layout = sol.layout.copy()
    fab = layout[(layout.chain == "ic") & (layout.segment == "fab")].index[0]
    layout.loc[fab, "activity"] += 1.0
    bad = yrdopt.check_layout(inst, layout, sol.flows, sol.expansions)
    assert not bad.verified
    assert bad.worst["demand"].amount > 0 and bad.worst["flow_out"].amount > 0

    # drop the park expansion: the land quota of a1 is exceeded, and the checker names it
    exps = sol.expansions.assign(taken=False)
    bad = yrdopt.check_layout(inst, sol.layout, sol.flows, exps)
    assert not bad.verified and bad.worst["quota"].where == "a1 land"


def test_checker_routes_flows_for_a_bare_layout():
    inst = yrdopt.load_instance(DATA / "toy_features.yaml")
    sol = yrdopt.solve(inst)
    bare = sol.layout[["chain", "segment", "region", "activity"]]
    rep = yrdopt.check_layout(inst, bare, None, sol.expansions)
    assert not rep.flows_given
    # the optimum routes flows optimally too, so the cheapest routing gives the same distance
    assert rep.components["distance"] == pytest.approx(sol.components["distance"], rel=1e-7)


def test_status_words_time_limit_and_infeasible():
    inst = yrdopt.load_instance(DATA / "toy_features.yaml")
    cm = build(inst)
    solver = HighsSolver(SolverOptions(time_limit=0.0))
    solver.load(cm)
    res = solver.solve()
    assert res.status in ("time_limit_with_incumbent", "time_limit_no_incumbent")
    data = inst.model_dump(by_alias=True)
    data["regions"][0]["quotas"]["land"] = 0.0
    data["regions"][0]["expansions"] = []
    for r in data["regions"][1:]:
        r["quotas"]["land"] = 1.0
    with pytest.raises(yrdopt.InfeasibleError) as exc:
        yrdopt.solve(data)
    assert "land" in exc.value.explanation


def test_cli_infeasible_is_explained_without_traceback(tmp_path):
    import yaml

    data = yaml.safe_load((DATA / "toy_features.yaml").read_text())
    for r in data["regions"]:
        r["quotas"]["land"] = 1.0
        r.pop("expansions", None)
    f = tmp_path / "inf.yaml"
    f.write_text(yaml.safe_dump(data, allow_unicode=True))
    res = run_cli("solve", f, "--out", tmp_path / "o")
    assert res.returncode == 3
    assert "Traceback" not in res.stderr and "land" in res.stderr and "No layout" in res.stderr


def test_mps_export_round_trips_through_highs(tmp_path):
    import highspy

    inst = yrdopt.load_instance(DATA / "toy_features.yaml")
    sol = yrdopt.solve(inst, mps_path=tmp_path / "model.mps")
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(tmp_path / "model.mps"))
    h.run()
    assert h.getInfo().objective_function_value == pytest.approx(sol.objective, rel=1e-7)


def test_schema_command_prints_json_schema():
    res = run_cli("schema")
    schema = json.loads(res.stdout)
    assert "regions" in schema["properties"] and "economic_distance" in schema["properties"]


def test_solves_with_different_thread_counts_in_one_process():
    # HiGHS fixes its scheduler's thread count per process; the adapter must reset it
    inst = yrdopt.load_instance(DATA / "toy_features.yaml")
    objectives = [yrdopt.solve(inst, threads=t).objective for t in (None, 2, 1, 2)]
    assert objectives == pytest.approx([objectives[0]] * 4, rel=1e-9)


def test_solves_after_another_thread_reset_the_scheduler():
    """The CLI solves in a worker thread: a thread count changed there resets HiGHS's
    scheduler, and the main thread's next solve must not fail with "Not Set" (it did after
    test_periods + test_periods_analyses, before test_progress)."""
    import threading

    inst = yrdopt.load_instance(DATA / "toy_features.yaml")
    got = [yrdopt.solve(inst).objective]
    worker = threading.Thread(target=lambda: got.append(yrdopt.solve(inst, threads=1).objective))
    worker.start()
    worker.join()
    got.append(yrdopt.solve(inst, threads=1).objective)
    assert len(got) == 3 and got == pytest.approx([got[0]] * 3, rel=1e-9)

"""A status word never claims more than the independent checker confirms.

HiGHS accepts a layout within its own tolerances; a user may loosen them (``SolverOptions.highs``,
a sweep's ``solver.highs``).  With ``mip_feasibility_tolerance`` 1e-2 HiGHS 1.16 calls a layout of
the embedded 4-province instance optimal that keeps activity at a site it does not open (ai/rd in
Anhui, 0.2525): the checker rejects it, and before, summary.json, the Solution and a sweep's record
still said "optimal" (the CLI: ``status: optimal ...; checker: NOT verified``)."""

import json
import math

import numpy as np
import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import yrdopt
import yrdopt.sweep as sw
from yrdopt.cli import app
from yrdopt.io import default_instance_path
from yrdopt.solver import STATUS_TEXT, SolverOptions

from conftest import ROOT

LOOSE = {"mip_feasibility_tolerance": 1e-2}  # HiGHS's default is 1e-6; the checker's tolerance stays 1e-6


def test_a_layout_the_checker_rejects_is_not_called_optimal(tmp_path):
    shown = []
    sol = yrdopt.solve(None, options=SolverOptions(highs=LOOSE), out=tmp_path / "sol",
                       progress=lambda *a, **k: shown.append(a))
    s = sol.summary
    # the live progress shows HiGHS's layouts but not its bound nor gap: they are of the loosened problem
    # (before: HiGHS's bound and gap while it ran)
    assert any(a[1] is not None for a in shown) and all(a[2] is None and a[3] is None for a in shown), shown
    assert not s["verified"] and s["max_violation"] > 1e-3  # a real rejection, not round-off
    # HiGHS said optimal, but with a loosened tolerance its bound proves nothing: the solve says unproven,
    # with no bound nor gap, HiGHS's bound in words (before: "optimal", gap 0)
    assert sol.status == "not_verified" and s["status_before_check"] == "unproven"
    assert s["bound"] is None and s["gap"] is None and s["solver"]["bound_at_loosened_tolerances"] is not None
    assert s["solver"]["loosened_tolerances"] == LOOSE
    assert s["status_text"] == STATUS_TEXT["not_verified"] and "rejected by the independent checker" in s["status_text"]
    written = json.loads((tmp_path / "sol" / "summary.json").read_text())
    assert (written["status"], written["status_before_check"]) == ("not_verified", "unproven")
    # the claims check rejects "optimal", a bound and a gap claimed with HiGHS's loosened tolerances
    # (before: 'optimal' passed where the bound was within the gap); not without them
    from yrdopt.claims import check_claims

    obj = s["check"]["objective"]
    claimed = dict(s, status="optimal", bound=obj, gap=0.0)
    false = {c.claim: c.reason for c in check_claims(claimed, obj, s["components_raw"])}
    assert set(false) == {"status", "bound", "gap"} and "mip_feasibility_tolerance 0.01" in false["status"], false
    said = dict(claimed, solver={k: v for k, v in s["solver"].items() if k != "tolerances"})  # a summary of before
    assert "status" in {c.claim for c in check_claims(said, obj, s["components_raw"])}
    at_defaults = dict(said, solver={**said["solver"], "options": {**s["solver"]["options"], "highs": {}}})
    assert check_claims(at_defaults, obj, s["components_raw"]) == []
    # kkt_tolerance (set, HiGHS holds every feasibility and optimality tolerance at it), PDLP's optimality
    # tolerance, and a tolerance written as a numeric string (PyYAML reads 1e-2 as "1e-2") loosen too
    # (before: not seen, "optimal" passed)
    for held in ({"kkt_tolerance": 0.5}, {"pdlp_optimality_tolerance": 1e-3}, {"mip_feasibility_tolerance": "1e-2"}):
        loose = dict(claimed, solver={**s["solver"], "tolerances": {**s["solver"]["tolerances"], **held}})
        assert "status" in {c.claim for c in check_claims(loose, obj, s["components_raw"])}, held
    # `yrdopt check` re-derives the written claims: the status claims nothing false, the layout still fails
    res = CliRunner().invoke(app, ["check", str(default_instance_path()), str(tmp_path / "sol")])
    out = " ".join(res.output.split())
    # the broken limit by the instance's names (before: "site_capacity at ai/rd in anhui")
    assert res.exit_code == 5 and " without a site" in out and "site_capacity" not in out, out
    assert "false claim of summary.json: status" not in out


def test_no_layout_at_loosened_tolerances_is_solved_again_at_the_defaults():
    # HiGHS 1.16 says "Infeasible" of the embedded instance with mip_feasibility_tolerance 0.5: no proof
    # (before: status infeasible, and an InfeasibleError whose diagnosis found nothing to relax)
    sol = yrdopt.solve(None, options=SolverOptions(highs={"mip_feasibility_tolerance": 0.5}))
    s = sol.summary
    assert sol.status == "optimal" and s["verified"] and abs(s["objective"] - 3215.398) < 0.01, s["status_text"]
    first = s["solver"]["no_layout_at_loosened_tolerances_first"]
    assert first == {"highs_status": "Infeasible", "loosened_tolerances": {"mip_feasibility_tolerance": 0.5}}
    assert s["solver"]["tolerances"]["mip_feasibility_tolerance"] == 1e-6  # the proof is at HiGHS's defaults
    assert s["solver"]["options"]["highs"] == {"mip_feasibility_tolerance": 0.5}  # what was asked


def test_a_layout_found_with_loosened_tolerances_is_said_to_have_no_gap(tmp_path):
    """summary.json's status_text says only what is reported: with a loosened tolerance no bound and
    no gap (before: "stopped at the time limit with a feasible layout (gap reported)"; gap null).  A 6x4x3
    generated instance, 0.05 s: stopped at the time limit (or, on a fast machine, "unproven")."""
    from yrdopt.generate import generate_instance

    sol = yrdopt.solve(generate_instance(6, 4, 3, seed=1), out=tmp_path / "sol",
                       options=SolverOptions(time_limit=0.05, threads=1, highs={"mip_feasibility_tolerance": 1e-5}))
    written = json.loads((tmp_path / "sol" / "summary.json").read_text())
    assert written["status"] in ("time_limit_with_incumbent", "unproven") and written["verified"], written["status"]
    assert written["bound"] is None and written["gap"] is None
    text = written["status_text"]
    assert "gap reported" not in text and "mip_feasibility_tolerance 1e-05" in text, text
    assert text.endswith("is one of the loosened problem, not a proof, so no gap is reported"), text
    assert sol.summary["status_text"] == text


def test_no_layout_at_loosened_tolerances_without_time_to_solve_again_claims_no_infeasibility():
    """HiGHS's presolve says "Infeasible" of the toy short of land (a scenario at land x0.3) before its
    first look at the clock, so a limit of 1e-6 s leaves no time to solve again at HiGHS's defaults: the
    scenario claims no layout and no infeasibility (no diagnosis), and its reason names the loosened
    tolerance and why it was not solved again.  The sweep worker's own path, in process (0.1 s)."""
    from yrdopt.sweep.worker import Context, ScenarioSolver

    spec = {"instance": str(ROOT / "tests" / "data" / "toy_features.yaml"), "robust": {"enabled": False},
            "parameters": [{"path": "regions[*].quotas.land", "scales": [0.3]}],
            "design": {"kind": "one_at_a_time", "include_base": False},
            "solver": {"time_limit": 1e-6, "threads": 1, "highs": {"mip_feasibility_tolerance": 1e-5}}}
    spec_m, _, base, _, _, scenarios = sw.prepare(spec)
    worker = ScenarioSolver(Context.for_spec(spec_m, base, "no-time-left"))
    rec = worker.solve(scenarios[0])
    res = worker.solver.last_result
    assert res.highs_status == "Infeasible" and res.solver["not_solved_again"] == "no time left", res.solver
    assert res.solver["no_layout_at_loosened_tolerances"] == "Infeasible" and "tolerances" in res.solver
    assert (rec["status"], rec["ok"], rec["objective"]) == ("stopped_no_incumbent", False, None), rec
    reason = rec["reason"]
    assert "HiGHS said 'Infeasible' with loosened tolerances (mip_feasibility_tolerance 1e-05 (default 1e-06))" \
        in reason and "no time was left to solve it again at HiGHS's defaults" in reason, reason
    # no diagnosis ran: no conflict is explained as if proven
    assert "cannot all hold together" not in reason and "(HiGHS: Infeasible)" not in reason, reason


def test_options_that_change_the_problem_are_refused():
    from yrdopt.solver import check_highs_options, status_words

    # objective_bound 3000 made HiGHS call the embedded instance (optimum 3,215.40) infeasible;
    # small_matrix_value 0.5 dropped coefficients ("unproven ... bound 3903.36" accepted by the claims check)
    for options, said in (({"objective_bound": 3000.0}, "cuts every layout costing more"),
                          ({"small_matrix_value": 0.5}, "drops every constraint coefficient"),
                          ({"infinite_bound": 1e16}, "turns every limit at or above it into no limit"),
                          ({"infinite_cost": 1e16}, "turns every cost at or above it")):
        with pytest.raises(ValueError, match=said):
            check_highs_options(options)
    check_highs_options({"small_matrix_value": 1e-10, "infinite_bound": 1e21, "objective_bound": math.inf})
    # where no time is left to solve again at the defaults, no layout found is said to prove nothing
    words = status_words("stopped_no_incumbent", {"loosened_tolerances": {"mip_feasibility_tolerance": 0.5},
                                                  "no_layout_at_loosened_tolerances": "Infeasible"})
    assert "with loosened tolerances (mip_feasibility_tolerance 0.5 (default 1e-06)), no proof" in words


def test_objective_target_stops_early_with_true_words_and_a_low_large_matrix_value_is_said():
    """objective_target only ends the search early: allowed, and the status says what holds (a valid
    bound, a proven gap).  large_matrix_value at or below the model's largest coefficient: a clear error
    naming the option, its value and what it must exceed (before: RuntimeError "HiGHS rejected the
    compiled model (passModel returned an error)", a traceback)."""
    from yrdopt.claims import check_claims
    from yrdopt.errors import InstanceError

    sol = yrdopt.solve(ROOT / "tests" / "data" / "toy_features.yaml",
                       options=SolverOptions(highs={"objective_target": 1e9}))
    s = sol.summary
    assert s["status"] in ("stopped_with_incumbent", "optimal") and s["verified"], s["status_text"]
    assert s["check"]["false_claims"] == [] and check_claims(s, s["check"]["objective"], s["components_raw"]) == []
    if s["status"] == "stopped_with_incumbent":
        assert "objective_target" in s["status_text"] and (s["bound"] is None or s["bound"] <= s["objective"] + 1e-6), s
    with pytest.raises(InstanceError) as exc:
        yrdopt.solve(ROOT / "tests" / "data" / "toy_features.yaml", options=SolverOptions(highs={"large_matrix_value": 1.5}))
    said = exc.value.message()
    assert "highs.large_matrix_value" in said and "1.5" in said and "above the model's largest constraint coefficient" \
        in said, said


def test_a_phased_plan_the_checker_rejects_is_not_called_optimal(tmp_path):
    # without the polish HiGHS's own values are written: with the loose tolerance they break rows
    sol = yrdopt.solve(ROOT / "instances" / "yrd-provinces-2035.yaml", options=SolverOptions(highs=LOOSE),
                       polish=False, out=tmp_path / "plan")
    s = sol.summary
    assert not s["verified"] and s["max_violation"] > 1e-3
    assert s["status"] == "not_verified" and s["status_before_check"] in ("optimal", "unproven")
    assert json.loads((tmp_path / "plan" / "summary.json").read_text())["status"] == "not_verified"


def test_a_sweep_records_a_rejected_layout_as_not_verified(tmp_path):
    spec = {"name": "loose", "instance": None, "chunk_size": 2, "robust": {"enabled": False},
            "parameters": [{"path": "weights.distance", "scale": [0.5, 2.0]}],
            "design": {"kind": "one_at_a_time"}, "solver": {"highs": LOOSE}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    df = sw.run(tmp_path / "spec.yaml", out=tmp_path / "sweep", backend="inprocess")
    rejected = df[~df["verified"].astype(bool)]
    assert len(rejected) >= 1  # HiGHS 1.16: 3 of the 4 scenarios
    assert set(rejected["status"]) == {"not_verified"}
    assert set(rejected["status_before_check"]) <= {"optimal", "unproven", "time_limit_with_incumbent"}
    assert "optimal" not in set(rejected["status"])
    assert set(df[df["verified"].astype(bool)]["status"]) <= {"optimal", "unproven"}


def _loose_sweep_spec(tmp_path):
    """A one-at-a-time sweep of the embedded instance that HiGHS solves with the loose tolerance:
    with HiGHS 1.16 the checker rejects 6 of its 7 layouts (all but the one at weights.distance x1.25)."""
    spec = {"name": "loose", "instance": None, "chunk_size": 3,
            "parameters": [{"path": "weights.distance", "scales": [0.5, 0.8, 1.25, 2.0]},
                           {"path": "regions[*].quotas.land", "scales": [0.8, 1.5]}],
            "design": {"kind": "one_at_a_time"}, "solver": {"highs": LOOSE}}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "spec.yaml"


def test_a_sweep_counts_no_rejected_layout_as_solved(tmp_path):
    """Before, a rejected scenario kept ``ok`` True: its layout fed frequency.csv (6 of 7 shares
    from layouts the checker rejected), the tornado's ends and the robust layout (robust.csv chose among
    rejected layouts), and the CLI counted it 'with a layout'."""
    spec = _loose_sweep_spec(tmp_path)
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "sweep"), "--in-process"])
    assert res.exit_code == 0, res.output
    df = sw.load_results(tmp_path / "sweep")["results"]
    rejected = df[df["status"] == "not_verified"]
    solved = df[df["ok"]]
    assert len(rejected) >= 1 and len(solved) >= 1  # HiGHS 1.16: 6 rejected, 1 verified
    # the record keeps the rejected layout, marked, and does not count it as solved
    assert not rejected["ok"].any() and not rejected["verified"].any()
    assert set(rejected["status_before_check"]) <= {"optimal", "unproven", "time_limit_with_incumbent"}
    assert solved["verified"].all() and set(solved["status"]) <= {"optimal", "unproven"}
    layout = sw.load_results(tmp_path / "sweep")["layout"]
    assert set(rejected["scenario"]) <= set(layout["scenario"])  # kept in layout.csv
    # frequency.csv: shares of the solved scenarios only
    freq = pd.read_csv(tmp_path / "sweep" / "frequency.csv")
    assert len(freq) and freq["scenarios"].max() <= len(solved)
    assert np.allclose(freq["share"], freq["scenarios"] / len(solved))
    # the tornado's ends and counts: no rejected layout's objective
    tor = pd.read_csv(tmp_path / "sweep" / "tornado.csv")
    assert (tor["n"] <= len(solved)).all()
    for row in tor.itertuples():
        for end, value in (("objective_low", row.low), ("objective_high", row.high)):
            at = df[np.isclose(df[row.parameter].astype(float), float(value))]
            at = at[at["status"] == "not_verified"]
            if len(at) and len(at) == len(df[np.isclose(df[row.parameter].astype(float), float(value))]):
                assert math.isnan(getattr(row, end)), (row, end)
    # the robust layout is chosen among solved layouts, evaluated under solved scenarios only
    if len(solved) < 2:
        assert not (tmp_path / "sweep" / "robust.csv").exists()
    else:
        regret = pd.read_csv(tmp_path / "sweep" / "regret.csv")
        assert set(regret["scenario"]) <= set(solved["scenario"])
    out = " ".join(res.output.split())
    assert f"{len(solved)} solved" in out and f"{len(rejected)} rejected by the independent checker" in out, out


def test_a_sweep_on_dask_counts_rejected_layouts_as_in_process(tmp_path):
    """Every backend's workers run the same scenario solver, and the run consolidates their
    records the same way: a local Dask cluster gives the in-process tables, rejected layouts uncounted."""
    spec = _loose_sweep_spec(tmp_path)
    tables = {}
    for name, kw in {"inprocess": dict(backend="inprocess"), "dask": dict(scheduler="local-dask", workers=2)}.items():
        df = sw.run(spec, out=tmp_path / name, **kw)
        tables[name] = (df.set_index("scenario").sort_index()[["status", "ok", "verified"]],
                        pd.read_csv(tmp_path / name / "frequency.csv"))
    assert (tables["dask"][0]["status"] == "not_verified").sum() >= 1
    assert not tables["dask"][0].loc[tables["dask"][0]["status"] == "not_verified", "ok"].any()
    pd.testing.assert_frame_equal(tables["dask"][0], tables["inprocess"][0])
    pd.testing.assert_frame_equal(tables["dask"][1], tables["inprocess"][1])


def test_alternatives_say_a_rejected_layout_is_not_verified(tmp_path):
    """Before, alternatives.json's ``mga_status`` kept the MIP's word ("optimal") beside
    ``verified`` false, and ``yrdopt alternatives`` called such a layout-1 "the optimum"."""
    from yrdopt.analysis.alternatives import alternatives
    from yrdopt.commands.planning import _first_layout

    res = alternatives(None, n=2, slack=0.05, options=SolverOptions(highs=LOOSE), out=tmp_path / "alt")
    first = res.layouts[0]
    assert not first.verified and first.solution.summary["status"] == "not_verified"  # HiGHS 1.16: rejected
    assert (first.mga_status, first.mga_status_before_check) == ("not_verified", "unproven")
    assert "optimum" not in _first_layout(first) and "rejected by the independent checker" in _first_layout(first)
    written = json.loads((tmp_path / "alt" / "alternatives.json").read_text())["layouts"]
    for a, rec in zip(res.layouts, written, strict=True):
        assert rec["verified"] == a.verified
        if not rec["verified"]:
            assert rec["mga_status"] == "not_verified" and rec["mga_status_before_check"] not in (None, "not_verified")
    # a rerun cannot resume from a layout-1 whose sites give no layout: it searches again (before: a traceback)
    again = alternatives(None, n=1, slack=0.05, options=SolverOptions(highs=LOOSE), out=tmp_path / "alt")
    assert (again.layouts[0].mga_status, again.layouts[0].mga_status_before_check) == ("not_verified", "unproven")


def test_alternatives_rest_no_budget_on_a_rejected_layout_1(tmp_path, monkeypatch):
    """Before, the budget (cost slack) was measured from layout-1's MIP cost even where the
    checker rejected layout-1, and alternatives were searched and written within it.  Now no
    alternative is searched, the budget is none (alternatives.json: null) and the reason is said,
    in the result, the manifest and by the CLI (exit 5); a verified layout-1's checked cost is
    the budget's base."""
    import yrdopt.commands.planning as planning
    from yrdopt.analysis.alternatives import alternatives

    res = alternatives(None, n=3, slack=0.05, options=SolverOptions(highs=LOOSE), out=tmp_path / "alt")
    assert not res.layouts[0].verified  # HiGHS 1.16: rejected
    assert [a.name for a in res.layouts] == ["layout-1"] and res.budget is None
    assert "layout-1 was rejected by the independent checker" in res.stopped and "no budget" in res.stopped
    assert "(it breaks a limit: largest scaled violation 0.2" in res.stopped, res.stopped  # HiGHS 1.16: 0.2525
    written = json.loads((tmp_path / "alt" / "alternatives.json").read_text())
    assert written["budget"] is None and [r["name"] for r in written["layouts"]] == ["layout-1"]
    assert written["stopped"] == res.stopped and not (tmp_path / "alt" / "layout-2").exists()
    # with HiGHS's defaults layout-1 passes: the budget is its checked cost, alternatives within it
    good = alternatives(None, n=2, slack=0.05, out=tmp_path / "good")
    first = good.layouts[0]
    assert first.verified and good.optimum == first.objective == first.solution.summary["objective"]
    assert good.budget == pytest.approx(first.objective * 1.05) and len(good.layouts) == 2
    # the command (its option builder given the loose tolerance) says why and exits 5, as for any rejected layout
    monkeypatch.setattr(planning, "_options", lambda *a: SolverOptions(highs=LOOSE))
    r = CliRunner().invoke(app, ["alternatives", str(default_instance_path()), "-n", "3", "--out", str(tmp_path / "cli")],
                           env={"COLUMNS": "200"})
    said = " ".join(r.output.split())
    assert r.exit_code == 5, r.output
    assert "no budget" in said and "its cost is no budget to measure alternatives against" in said, said


def test_the_workbench_says_a_rejected_layout_is_rejected(tmp_path):
    """A scenario whose layout the checker rejects, saved in the workspace as the workbench saves a
    solve: before, the comparison gave no warning (its gap 0 %: no noise), the export's gap read
    "0 % between the layout and the best bound", an alternative whose own layout was rejected was
    listed as a near-optimal alternative, and an alternative of a rejected parent gave the parent's gap."""
    from yrdopt.app import views
    from yrdopt.app.server import ClientError, Workbench, compare, report_status
    from yrdopt.report.html import build_report

    wb = Workbench(None, tmp_path / "ws", solve_on_start=False)
    try:
        inst = wb.instance
        good, bad = yrdopt.solve(inst), yrdopt.solve(inst, options=SolverOptions(highs=LOOSE))
        assert good.status == "optimal" and bad.status == "not_verified"
        saved = {"changes": [], "time_limit": None}
        a = wb.workspace.save(good.write, "proven", inst, extra=saved)
        b = wb.workspace.save(bad.write, "loose tolerance", inst, extra=saved)
        c = compare(a, b)
        assert (c["a"]["status"], c["b"]["status"]) == ("optimal", "not_verified")
        assert c["warning"] and "layout B was rejected by the independent checker" in c["warning"], c["warning"]
        assert "no solve result" in c["warning"]
        page = build_report(b.path, b.instance(), status_text=report_status(b))  # the workbench's report
        assert "Status: rejected by the independent checker" in page and "the solve alone said unproven" in page
        assert "Solver status: not_verified" not in page
        about = dict(views.export_about(b, b.summary(), []))
        assert about["status"].startswith("rejected by the independent checker")
        assert "rejected by the independent checker" in about["gap"] and "%" not in about["gap"], about["gap"]
        # an alternative is said as one only where the checker confirms its layout
        ref = {k: good.summary.get(k) for k in ("status", "status_text", "gap")}
        alt = wb.workspace.save(bad.write, "alternative 2", inst, kind="alternative",
                                extra={"parent": a.id, "above_optimum": 0.0, "reference": ref})
        assert alt.status()["status"] == "not_verified" and alt.listing()["status"] == "not_verified"
        assert alt.status()["status_text"].startswith("rejected by the independent checker")
        # and an alternative of a rejected parent gives no gap of it to trust
        ref = {k: bad.summary.get(k) for k in ("status", "status_text", "gap")}
        of_bad = wb.workspace.save(good.write, "alternative of a rejected parent", inst, kind="alternative",
                                   extra={"parent": b.id, "above_optimum": 0.0, "reference": ref})
        words = of_bad.status()["status_text"]
        assert "by the search: rejected by the independent checker" in words and "gap" not in words, words
        # the alternatives' run re-solves the parent's instance: its reference (optimal) is named as that, beside the
        # rejected layout the list shows (it said "(the parent: optimal, gap 0.0016 %)" while the list said rejected)
        ref = {k: good.summary.get(k) for k in ("status", "status_text", "gap")}
        again = wb.workspace.save(good.write, "alternative of a rejected parent, re-solved", inst, kind="alternative",
                                  extra={"parent": b.id, "above_optimum": 0.0, "reference": ref,
                                         "parent_status": "not_verified"})
        words = again.status()["status_text"]
        assert "(the parent's instance solved again: optimal, gap " in words, words
        assert words.endswith("; the parent's own layout was rejected by the independent checker)"), words
        # Why here? and Limits of the rejected layout: refused at once, in words (they ran and ended in
        # "/tmp/.../scenarios/003-...: layout: got 'infeasible'")
        for ask in (lambda: wb.submit_explain(b, "ic/rd", False), lambda: wb.submit_prices(b)):
            with pytest.raises(ClientError) as refused:
                ask()
            assert refused.value.status == 409 and "rejected by the independent checker" in str(refused.value), refused.value
            assert "solve it again first" in str(refused.value) and "/" not in str(refused.value), refused.value
        assert wb.bootstrap()["not_for_rejected"] == views.NOT_FOR_REJECTED
    finally:
        wb.jobs.close()


# HiGHS's LP and MIP tolerances loosened far: the scenarios' layouts, polished by the LP at HiGHS's
# defaults (lp_polish), pass the checker, and so do the candidates' fixed-layout re-solves in the
# robust phase, polished the same way - but for a layout that truly breaks a limit, which HiGHS
# accepts within its loosened tolerance and no exact point of the polish LP mends.  With HiGHS 1.16
# the candidate optimal at weights.distance x0.5 is infeasible at land x0.8 and breaks a limit
# (0.355 scaled; no exact point) at land x0.95; HiGHS's own points broke a row by 0.157 under 3
# scenarios where the polished ones pass (before, those were checked unpolished and rejected).
LOOSE_LP = {"primal_feasibility_tolerance": 1.0, "mip_feasibility_tolerance": 0.5}
LAND_BREAKS = [0.95]  # land quota scales where that candidate's re-solve truly breaks a limit


def _robust_spec(tmp_path, **extra):
    spec = {"name": "loose-lp", "instance": None, "chunk_size": 3,
            "parameters": [{"path": "weights.distance", "scales": [0.5, 2.0]},
                           {"path": "regions[*].quotas.land", "scales": [0.8, *LAND_BREAKS]}],
            "design": {"kind": "one_at_a_time"}, "solver": {"highs": LOOSE_LP}, **extra}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    return tmp_path / "spec.yaml"


def _evaluations(out):
    folders = [f for f in (out / "robust").iterdir() if f.is_dir()]
    return folders, [json.loads(p.read_text()) for f in folders for p in sorted(f.glob("*.json"))]


def test_robust_evaluations_are_checked_and_a_rejected_one_gives_no_regret(tmp_path):
    """Before, the robust phase's fixed-layout re-solves were never checked: regret.csv said HiGHS's
    "optimal" and gave a cost and a regret for a layout the checker rejects.  Now each re-solved
    layout is judged, a rejected one is "not_verified" with no figure and the reason in words, and
    robust.csv counts it apart (never as a regret or an infeasibility); the CLI says how many."""
    spec = _robust_spec(tmp_path)
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "sweep"), "--in-process"])
    assert res.exit_code == 0, res.output
    df = sw.load_results(tmp_path / "sweep")["results"]
    assert df["ok"].all() and df["verified"].all()  # every scenario's own (polished) layout passes
    # HiGHS's bound with loosened tolerances proves nothing: no scenario is optimal nor has a bound
    # (before: "optimal" and verified at 3,291.78 where a confirmed candidate's re-solve costs 3,225.61,
    # and a bound of 3,266.66 above a verified 3,235.88)
    assert set(df["status"]) == {"unproven"} and df["bound"].isna().all() and df["gap"].isna().all(), df
    regret = pd.read_csv(tmp_path / "sweep" / "regret.csv")
    # a candidate cheaper than a scenario's own layout is said, its regret below 0 (before: clipped at 0)
    cheaper = regret[regret["regret"] < 0]
    assert len(cheaper) >= 1 and cheaper["finding"].str.contains("less than the scenario's own layout").all(), regret
    assert (cheaper["scenario_status"] == "unproven").all() and regret.loc[regret["regret"] >= 0, "finding"].isna().all()
    rejected = regret[regret["status"] == "not_verified"]
    assert len(rejected) >= 1, regret  # HiGHS 1.16: 1
    # only where the layout truly breaks a limit: each re-solve is polished before it is judged
    # (before, HiGHS's raw points were judged, and 3 more rejected that the polish mends)
    land = df.set_index("scenario")["regions[*].quotas.land"]
    assert set(land[rejected["scenario"]]) <= set(LAND_BREAKS), rejected
    assert rejected["cost"].isna().all() and rejected["regret"].isna().all()
    assert (rejected["status_before_check"] == "unproven").all()
    assert rejected["reason"].str.contains("rejected by the independent checker").all()
    assert rejected["reason"].str.contains("it breaks a limit: largest scaled violation").all()  # what it found
    # the polish's fact kept per candidate (before: discarded); the status before the check is the
    # solve's (the polish recomputes it), not HiGHS's alone
    assert rejected["reason"].str.contains("the solve said unproven").all()
    laid_out = regret["status"] != "infeasible"
    assert regret.loc[laid_out, "polished"].notna().all() and regret.loc[~laid_out, "polished"].isna().all(), regret
    figures = regret[regret["status"] != "not_verified"]
    # unproven: no bound of HiGHS's (loosened) re-solve proves it
    assert set(figures["status"]) <= {"unproven", "infeasible"} and figures["regret"].notna().all()
    assert (figures["status"] == "infeasible").any()  # HiGHS 1.16: that candidate at land x0.8
    # the records under OUT/robust/ hold the checker's verdict beside HiGHS's word
    _, evals = _evaluations(tmp_path / "sweep")
    judged = [(v, s) for e in evals for v, s in zip(e["verified"], e["status"]) if v is not None]
    assert {s for v, s in judged if not v} == {"not_verified"} and all(s != "not_verified" for v, s in judged if v)
    rob = pd.read_csv(tmp_path / "sweep" / "robust.csv").set_index("candidate")
    counted = rejected.groupby("candidate").size()
    for c, n in counted.items():
        assert rob.at[c, "not_verified_in"] == n
        assert rob.at[c, "evaluated"] == len(regret[regret["candidate"] == c])
        assert rob.at[c, "infeasible_in"] == int(np.isinf(figures.loc[figures["candidate"] == c, "regret"]).sum())
    out = " ".join(res.output.split())
    n = len(rejected)
    assert f"{n} candidate evaluation{'' if n == 1 else 's'} rejected by the independent checker" in out, out
    k = len(cheaper)
    assert f"{k} candidate evaluation{'' if k == 1 else 's'} cost less than the scenario's own layout" in out, out
    assert "CONTRADICTION" not in out  # no scenario is proven: nothing to contradict
    # the robust layout is among those infeasible or rejected in the fewest scenarios together (with the
    # polished evaluations this spec gives no pair that tells this rule from the old one, infeasible
    # first: test_a_candidate_rejected_in_3_scenarios_is_not_more_robust_than_one_infeasible_in_1 does)
    eligible = rob[rob["evaluated"] > rob["not_verified_in"]]
    unknown = eligible["infeasible_in"] + eligible["not_verified_in"]
    assert unknown[rob["robust"].astype(bool)].iloc[0] == unknown.min(), rob


def test_a_candidate_rejected_in_3_scenarios_is_not_more_robust_than_one_infeasible_in_1():
    """The robust candidate is the one infeasible or rejected in the fewest scenarios together: a
    rejected re-solve is no more known to be feasible than an infeasible one.  Made-up evaluation
    records (no spec with polished evaluations gives such a pair): candidate 0 rejected by the checker
    in 3 of 4 scenarios, candidate 1 infeasible in 1 and worse by 5 where both are feasible.  Before,
    candidate 0 was robust (the fewest infeasible first)."""
    from yrdopt.sweep.summaries import regret_tables

    optimum = {f"s{i}": 100.0 for i in range(4)}

    def evaluation(sid, *each):  # per candidate: a cost, math.inf (infeasible) or None (rejected)
        status = ["not_verified" if c is None else "infeasible" if c == math.inf else "optimal" for c in each]
        return {"scenario": sid, "costs": list(each), "status": status, "status_before_check": ["optimal"] * len(each),
                "verified": [s != "not_verified" for s in status], "max_violation": [0.5 if c is None else 0.0 for c in each]}

    evals = [evaluation("s0", None, math.inf), evaluation("s1", None, 105.0), evaluation("s2", None, 105.0),
             evaluation("s3", 100.0, 105.0)]
    candidates = [{"scenarios": ["s0", "s1"], "hosting_sites": 3}, {"scenarios": ["s2", "s3"], "hosting_sites": 4}]
    _, table, best = regret_tables(candidates, evals, optimum)
    rows = table.set_index("candidate")
    assert (rows.at[0, "not_verified_in"], rows.at[0, "infeasible_in"]) == (3, 0), table
    assert (rows.at[1, "not_verified_in"], rows.at[1, "infeasible_in"]) == (0, 1), table
    assert best == 1 and list(table["robust"]) == [False, True], table


def test_a_layout_judged_against_a_cost_it_does_not_have_is_rejected_for_its_objective_and_said_so():
    """Where the checker finds no limit broken but recomputes from the layout another objective than
    the one claimed, the reason says that (one wording, :func:`yrdopt.claims.rejection_found`, for
    regret.csv, alternatives and the sweep's lines); before, regret.csv said "largest scaled
    violation 0 ...: the re-solved layout breaks a limit".  No real solve claims a cost its layout
    does not have: here the worker's own judgement (:func:`yrdopt.sweep.worker._check`) of a real,
    verified layout against its cost + 1.  The path a user can take to such a claim, a summary.json
    edited by hand and then ``yrdopt check``: test_claims.test_forged_summary_claim_fails_the_check."""
    from yrdopt.api import search_model
    from yrdopt.solver import checked_status
    from yrdopt.sweep.summaries import regret_tables
    from yrdopt.sweep.worker import _check
    from yrdopt.tolerance import TOLERANCE

    sol = yrdopt.solve(None)
    claimed = sol.summary["objective"] + 1.0
    judged = _check(sol.instance, search_model(sol.instance), sol.x, claimed)
    assert not judged["verified"] and judged["max_violation"] <= TOLERANCE  # rejected for its objective alone
    ev = {"scenario": "s", "costs": [None], "status": [checked_status("optimal", judged["verified"])],
          "status_before_check": ["optimal"], "verified": [judged["verified"]],
          "max_violation": [judged["max_violation"]], "objective": [claimed],
          "check_objective": [judged["check_objective"]]}
    regret, _, _ = regret_tables([{"scenarios": ["s"], "hosting_sites": 1}], [ev], {"s": claimed})
    reason = regret["reason"].iloc[0]
    # a confirmed candidate below a proven optimum's bound contradicts it: said, its regret kept below 0
    # (before: clipped at 0); within the gap the bound leaves it is no contradiction
    ev = {"scenario": "s", "costs": [100.0, 100.8, 101.0], "status": ["optimal"] * 3}
    regret, _, _ = regret_tables([{"scenarios": ["s"], "hosting_sites": 1}] * 3, [ev], {"s": 101.0},
                                 {"s": {"status": "optimal", "bound": 100.5}})
    assert list(regret["regret"]) == pytest.approx([-1.0, -0.2, 0.0]), regret
    assert regret["finding"].iloc[0].startswith("CONTRADICTION: the candidate's layout costs 1 less than the "
                                                "scenario's own layout (optimal), below the scenario's proven bound 100.5")
    assert "within the gap its bound 100.5 leaves: no contradiction" in regret["finding"].iloc[1]
    assert pd.isna(regret["finding"].iloc[2])
    # a bound is kept only where valid: below it a confirmed layout contradicts whatever the status
    # (before: only an "optimal" scenario's bound was tested, a time limit's read "not proven best")
    from yrdopt.sweep.summaries import cheaper_finding

    assert cheaper_finding(100.0, 101.0, "time_limit_with_incumbent", 100.5).startswith("CONTRADICTION")
    assert "not proven best" in cheaper_finding(100.8, 101.0, "time_limit_with_incumbent", 100.5)
    assert "violation" not in reason and "breaks a limit" not in reason, reason
    assert f"recomputed from the layout {judged['check_objective']:,.8g} is not the {claimed:,.8g} claimed" in reason
    # the sweep's rejected-scenario line says what the checker found, by the rejecting test (relative
    # to the claimed objective): a phased plan rejected for a false claim alone names that claim, a
    # difference the worker rejected for is named, a NaN claimed objective leaves the bare false claim
    # (before: every line without a broken row said the objective differed)
    from yrdopt.commands.sweep import rejected_words

    def row(claimed, recomputed, claims):
        return pd.Series({"max_violation": 0.0, "objective": claimed, "check_objective": recomputed,
                          "false_claims": claims, "status_before_check": "optimal"})

    said = rejected_words(row(100.0, 100.0, ["gap: stated 0.5, recomputed 0.1"]))
    assert "a claim is false: gap: stated 0.5" in said and "objective" not in said, said
    # 1.0000005 apart: beyond 1e-6 of the claimed 1e6 (worker._check rejects), within 1e-6 of the recomputed
    said = rejected_words(row(1e6, 1e6 + 1.0000005, None))
    assert "1,000,001 is not the 1,000,000 claimed" in said, said
    # and `yrdopt check`'s claims check finds the same objective false: one test (claims.objective_matches)
    # everywhere (before, it scaled by the recomputed objective and passed this one)
    from yrdopt.claims import check_claims

    assert [c.claim for c in check_claims({"objective": 1e6}, 1e6 + 1.0000005, {})] == ["objective"]
    said = rejected_words(row(float("nan"), float("nan"), None))
    assert said.startswith("rejected by the independent checker (it breaks no limit, but a claim is false;"), said


def test_robust_evaluations_on_dask_are_checked_as_in_process(tmp_path):
    """The Dask workers evaluate with the same solver: the same statuses and figures in regret.csv."""
    spec = _robust_spec(tmp_path)
    tables = {}
    for name, kw in {"inprocess": dict(backend="inprocess"), "dask": dict(scheduler="local-dask", workers=2)}.items():
        sw.run(spec, out=tmp_path / name, **kw)
        tables[name] = pd.read_csv(tmp_path / name / "regret.csv").sort_values(["scenario", "candidate"],
                                                                                ignore_index=True)
    assert (tables["dask"]["status"] == "not_verified").sum() >= 1
    pd.testing.assert_frame_equal(tables["dask"], tables["inprocess"], check_exact=False, rtol=1e-6)


def test_robust_evaluations_without_the_checker_are_unchecked(tmp_path):
    """``check: false``: an evaluation's layout is no more judged than the scenarios' ("unchecked",
    HiGHS's word in status_before_check), its cost still a regret figure (before: HiGHS's "optimal")."""
    spec = _robust_spec(tmp_path, check=False)
    sw.run(spec, out=tmp_path / "sweep", backend="inprocess")
    regret = pd.read_csv(tmp_path / "sweep" / "regret.csv")
    with_layout = regret[np.isfinite(regret["cost"])]
    assert len(with_layout) and (with_layout["status"] == "unchecked").all()
    # what the solve alone said of the polished layout (unproven: its cost above the loosened re-solve's bound)
    assert with_layout["status_before_check"].isin(["optimal", "unproven"]).all() and with_layout["regret"].notna().all()


def _unpolished_key(out) -> str:
    """The evaluations' key an earlier version gave these candidates: the same without the polish."""
    import hashlib

    from yrdopt.sweep.runner import candidate_payload
    from yrdopt.sweep.spec import Robust
    from yrdopt.sweep.summaries import candidate_layouts

    records = [json.loads(p.read_text()) for p in (out / "scenarios").glob("*.json")]
    payload = candidate_payload(candidate_layouts([r for r in records if r.get("ok")], Robust().candidates))
    return hashlib.sha256(json.dumps([payload, {"checked_evaluations": True}], sort_keys=True).encode()).hexdigest()[:12]


def _resume_reevaluates(tmp_path, out, folder, name: str, n: int) -> None:
    """Resume after naming the evaluation folder ``name``: ``n`` evaluations re-solved into ``folder``."""
    from yrdopt.sweep.store import read_journal

    def journaled():
        return sum(e.get("kind") == folder.name for e in read_journal(out))

    before = journaled()
    folder.rename(folder.parent / name)
    sw.run(_robust_spec(tmp_path), out=out, backend="inprocess", resume=True)
    assert [f.name for f in _evaluations(out)[0]] == [folder.name]  # the other key's folder is gone
    assert journaled() - before == n, (name, folder.name)


def test_no_evaluation_folder_of_an_earlier_run_stays_in_out(tmp_path):
    """Before, OUT/robust/<key>/ folders of earlier runs stayed (a run without a robust phase, a
    resume whose candidates changed): evaluations no table of this run came from.  Now OUT/robust/
    holds only the current robust phase's, and none after a run without one."""
    out = tmp_path / "sweep"
    sw.run(_robust_spec(tmp_path), out=out, backend="inprocess")
    folders, evals = _evaluations(out)
    assert len(folders) == 1 and evals
    # the key names the polish: records of a version that judged HiGHS's raw re-solves (f549543 put the
    # polish in the key) are evaluated again, while those under this run's key are reused
    _resume_reevaluates(tmp_path, out, folders[0], folders[0].name, 0)
    _resume_reevaluates(tmp_path, out, folders[0], _unpolished_key(out), len(evals))
    # records written before a loosened HiGHS's bound was known to prove nothing said HiGHS's "optimal"
    # and its bound: a resume reads them as written now (before: kept, and regret.csv said CONTRADICTION)
    for f in (out / "scenarios").glob("*.json"):
        rec = json.loads(f.read_text())
        if rec.get("status") == "unproven":
            f.write_text(json.dumps({**rec, "status": "optimal", "bound": rec["objective"] * (1 - 5e-5), "gap": 5e-5,
                                     "reason": None}))
    # a resume with another set of candidates: another folder; the first one is gone
    df = sw.run(_robust_spec(tmp_path, robust={"candidates": 1}), out=out, backend="inprocess", resume=True)
    assert set(df["status"]) == {"unproven"} and df["bound"].isna().all() and df["gap"].isna().all(), df
    assert not pd.read_csv(out / "regret.csv")["finding"].astype(str).str.startswith("CONTRADICTION").any()
    again, _ = _evaluations(out)
    assert len(again) == 1 and again[0].name != folders[0].name
    sw.run(_robust_spec(tmp_path, robust={"enabled": False}), out=out, backend="inprocess", resume=True)
    assert _evaluations(out)[0] == []


# mip_feasibility_tolerance 0.25 (HiGHS 1.16, 5 epsilon values): the distance-best end is confirmed
# (duplication 22), and every cap below it gives a rejected layout at duplication 9, which dominates it
LOOSE_FRONT = {"mip_feasibility_tolerance": 0.25}


def test_a_front_with_a_rejected_point_is_not_exact(tmp_path, monkeypatch):
    """Before, front.json said ``exact`` (status "exact", ``unproven`` empty) for a front whose
    point the checker rejected, while front.csv's status of that point said "not_verified": the
    front's words followed each point's stages, never the checker.  Now a rejected point is not
    proven, front.json names it (``not_verified``) and the front's status says so; the CLI too.

    And the front's keep/drop follows the checker: a rejected layout neither drops a confirmed
    point it dominates (before: dropped, as if its values were reachable) nor lets the walk skip a
    cap as met by a proven optimum (before: the cap 11 was never solved)."""
    import yrdopt.commands.planning as planning
    from yrdopt.analysis.fronts import dominates

    # the command (its option builder given the loose tolerance: the CLI has no HiGHS options of its own)
    monkeypatch.setattr(planning, "_options", lambda *a: SolverOptions(highs=LOOSE_FRONT))
    r = CliRunner().invoke(app, ["pareto", str(default_instance_path()), "--points", "5", "--out", str(tmp_path / "front")],
                           env={"COLUMNS": "200"})
    table = pd.read_csv(tmp_path / "front" / "front.csv")
    meta = json.loads((tmp_path / "front" / "front.json").read_text())
    rejected = list(table.loc[~table["verified"].astype(bool), "point"])
    assert rejected, table  # HiGHS 1.16: point-2
    assert set(table.loc[table["point"].isin(rejected), "status"]) == {"not_verified"}
    assert not table.loc[table["point"].isin(rejected), "proven"].any()
    assert not meta["exact"] and set(rejected) <= set(meta["unproven"])
    assert meta["unproven"] == list(table.loc[~table["proven"].astype(bool), "point"])
    assert meta["not_verified"] == rejected and meta["status"] == "not_verified"
    said = " ".join(r.output.split())
    assert r.exit_code == 5, r.output
    # each named with what the checker found (before: "the layout breaks a limit" for every one)
    assert f"rejected by the independent checker: {rejected[0]}: it breaks " in said, said
    assert all(f"{p}: it breaks " in said for p in rejected) and "the layout breaks a limit" not in said, said
    assert f"not proven: {rejected[0]}" not in said  # not said to be a stage stopped at its limit
    # the front's layouts counted are the confirmed ones, the rejected apart (before: all of them, rejected included)
    k = len(rejected)
    n = len(table) - k
    assert (f"{n} non-dominated layout{'' if n == 1 else 's'} confirmed by the independent checker and {k} "
            f"point{'' if k == 1 else 's'} it rejected") in said, said
    # a confirmed point is not proven because HiGHS's tolerances were loosened, not for a stage's limit
    # (said since HighsSolver._result calls no loosened solve optimal)
    assert "HiGHS ran with loosened tolerances (mip_feasibility_tolerance 0.25 (default 1e-06))" in said, said
    assert "a stage stopped at its limit" not in said, said
    # a confirmed point stays beside a rejected one that dominates it, and none was dropped for one
    terms = ("distance", "duplication")
    values = {row.point: {t: getattr(row, t) for t in terms} for row in table.itertuples()}
    confirmed = [p for p in values if p not in rejected]
    assert any(dominates(values[a], values[b], terms) for a in rejected for b in confirmed), table
    assert all(d["by"] in confirmed for d in meta["dropped"] if d["verified"]), meta["dropped"]
    assert all(d["status"] == "not_verified" for d in meta["dropped"] if not d["verified"])
    # every one of the 4 caps was solved: a rejected layout meets no later cap as a proven optimum
    # (HiGHS 1.16: no confirmed proven layout meets one either).  Each cap's solve has one stage
    # minimising distance, and so has each end's
    assert sum(s["minimise"] == "distance" for s in meta["stages"]) == 2 + 4, meta["stages"]

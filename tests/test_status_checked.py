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
    sol = yrdopt.solve(None, options=SolverOptions(highs=LOOSE), out=tmp_path / "sol")
    s = sol.summary
    assert not s["verified"] and s["max_violation"] > 1e-3  # a real rejection, not round-off
    assert sol.status == "not_verified" and s["status_before_check"] == "optimal"
    assert s["status_text"] == STATUS_TEXT["not_verified"] and "rejected by the independent checker" in s["status_text"]
    written = json.loads((tmp_path / "sol" / "summary.json").read_text())
    assert (written["status"], written["status_before_check"]) == ("not_verified", "optimal")
    # `yrdopt check` re-derives the written claims: the status claims nothing false, the layout still fails
    res = CliRunner().invoke(app, ["check", str(default_instance_path()), str(tmp_path / "sol")])
    out = " ".join(res.output.split())
    assert res.exit_code == 5 and "site_capacity" in out, out
    assert "false claim of summary.json: status" not in out


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
    assert (first.mga_status, first.mga_status_before_check) == ("not_verified", "optimal")
    assert "optimum" not in _first_layout(first) and "rejected by the independent checker" in _first_layout(first)
    written = json.loads((tmp_path / "alt" / "alternatives.json").read_text())["layouts"]
    for a, rec in zip(res.layouts, written, strict=True):
        assert rec["verified"] == a.verified
        if not rec["verified"]:
            assert rec["mga_status"] == "not_verified" and rec["mga_status_before_check"] not in (None, "not_verified")
    # a rerun cannot resume from a layout-1 whose sites give no layout: it searches again (before: a traceback)
    again = alternatives(None, n=1, slack=0.05, options=SolverOptions(highs=LOOSE), out=tmp_path / "alt")
    assert (again.layouts[0].mga_status, again.layouts[0].mga_status_before_check) == ("not_verified", "optimal")


def test_the_workbench_says_a_rejected_layout_is_rejected(tmp_path):
    """A scenario whose layout the checker rejects, saved in the workspace as the workbench saves a
    solve: before, the comparison gave no warning (its gap 0 %: no noise), the export's gap read
    "0 % between the layout and the best bound", an alternative whose own layout was rejected was
    listed as a near-optimal alternative, and an alternative of a rejected parent gave the parent's gap."""
    from yrdopt.app import views
    from yrdopt.app.server import Workbench, compare, report_status
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
        assert "Status: rejected by the independent checker" in page and "the solve alone said optimal" in page
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
        assert "the parent: rejected by the independent checker" in words and "gap" not in words, words
    finally:
        wb.jobs.close()

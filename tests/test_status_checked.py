"""A status word never claims more than the independent checker confirms.

HiGHS accepts a layout within its own tolerances; a user may loosen them (``SolverOptions.highs``,
a sweep's ``solver.highs``).  With ``mip_feasibility_tolerance`` 1e-2 HiGHS 1.16 calls a layout of
the embedded 4-province instance optimal that keeps activity at a site it does not open (ai/rd in
Anhui, 0.2525): the checker rejects it, and before, summary.json, the Solution and a sweep's record
still said "optimal" (the CLI: ``status: optimal ...; checker: NOT verified``)."""

import json

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

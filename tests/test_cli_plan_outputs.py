"""What `solve`, `validate` and `check` say and write for brownfield and phased instances:
the joint model's MPS, benefits per period, the transition and the comparison with today's
sites of a one-period brownfield solve, the parks, sites and periods `validate` names, and
`check` refusing a layout of another instance (as `explain` does)."""

from __future__ import annotations

import copy

import highspy
import pandas as pd
import pytest
import yaml
from conftest import DATA
from typer.testing import CliRunner

from test_periods import tiny3
from yrdopt.cli import app
from yrdopt.io import load_instance
from yrdopt.model.periods import build_phased

runner = CliRunner()


def _flat(text: str) -> str:
    """The console wraps long lines anywhere: compare without line breaks and runs of spaces."""
    return " ".join(text.split())


@pytest.fixture(scope="module")
def phased(tmp_path_factory):
    """tiny3 solved through the CLI with --mps (three periods, today's sites in r1)."""
    d = tmp_path_factory.mktemp("phased")
    (d / "tiny.yaml").write_text(yaml.safe_dump(tiny3()))
    res = runner.invoke(app, ["solve", str(d / "tiny.yaml"), "--out", str(d / "out"), "--mps", str(d / "m.mps")])
    assert res.exit_code == 0, res.output
    return d, res.output


def test_phased_solve_writes_the_joint_models_mps(phased):
    d, _ = phased
    assert (d / "m.mps").exists()
    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.readModel(str(d / "m.mps"))
    cm = build_phased(load_instance(d / "tiny.yaml")).cm
    # the model of every period at once, not one period's
    assert (h.getNumCol(), h.getNumRow()) == (cm.n_cols, cm.n_rows)
    assert not list(d.glob(".tmp.*"))  # no temporary file left beside it


def test_one_period_solve_writes_its_model_as_mps_or_lp(tmp_path):
    from yrdopt.model.compiled import build

    path = _one_period(tmp_path)
    cm = build(load_instance(path))
    for name in ("m.mps", "m.lp"):  # HiGHS writes the format the name ends with
        res = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / name.replace(".", "_")), "-q",
                                  "--mps", str(tmp_path / name)])
        assert res.exit_code == 0, res.output
        h = highspy.Highs()
        h.setOptionValue("output_flag", False)
        h.readModel(str(tmp_path / name))
        assert (h.getNumCol(), h.getNumRow()) == (cm.n_cols, cm.n_rows)
    assert (tmp_path / "m.lp").read_text().lstrip().lower().startswith(("\\", "min", "obj"))
    assert not list(tmp_path.glob(".tmp.*"))


def test_phased_solve_writes_and_prints_benefits_per_period(phased):
    d, output = phased
    inst = load_instance(d / "tiny.yaml")
    b = pd.read_csv(d / "out" / "benefits.csv")
    years = [m.year for m in inst.periods.milestones]
    assert sorted(set(b["period"])) == years
    assert set(b["province"]) == set(inst.provinces)
    for m in inst.periods.milestones:  # each period's value: its chains grown by the period's growth
        grown = sum(s.value_per_unit * s.activity * m.growth.get(c.id, 1.0) for c in inst.chains for s in c.segments)
        rows = b[b["period"] == m.year]
        assert rows["hosted_value"].sum() == pytest.approx(grown, rel=1e-6)
        assert rows["credited_share"].sum() == pytest.approx(1.0, rel=1e-6)
    assert f"Benefit sharing per province in {years[-1]}" in _flat(output)


def test_the_comparison_with_today_names_the_terms_as_the_objective_table_does(phased):
    """solve's "Optimized plan against today's layout" names each objective term as the objective
    table above it does, with what it counts (analysis.costs), in the same order (before: the raw
    keys fixed_cost, site_cost, guarantee_shortfall ...)."""
    import json

    from rich.console import Console

    from yrdopt.analysis.baseline import baseline_table
    from yrdopt.analysis.costs import ONE_OFF_WHAT, RUNNING_WHAT
    from yrdopt.app.wording import term_words

    d, output = phased
    section = output[output.index("Optimized plan against"):output.index("Benefit sharing")]
    summary = json.loads((d / "out" / "summary.json").read_text())
    terms = list(summary["components"])
    assert not [k for k in terms if "_" in k and k in section], section  # site_cost, fixed_cost, ...
    assert "┃ measure" in section and "│ cost of change:" in section and "│ site cost:" in section, section
    console = Console(record=True, width=200)
    console.print(baseline_table(summary["baseline"], order=terms))
    rows = [line.split("│")[1].strip() for line in console.export_text().splitlines() if line.startswith("│")]
    named = [f"{term_words(k)}: {ONE_OFF_WHAT.get(k) or RUNNING_WHAT[k]}" for k in terms]
    assert rows[:len(terms) + 1] == [*named, "total"], rows
    assert named[0] == "distance (logistics): logistics between linked segments"


def _one_period(tmp_path):
    data = tiny3()
    data.pop("periods")
    (tmp_path / "tiny1.yaml").write_text(yaml.safe_dump(data))
    return tmp_path / "tiny1.yaml"


def test_one_period_brownfield_solve_prints_its_transition_and_todays_sites(tmp_path):
    path = _one_period(tmp_path)
    res = runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    out = _flat(res.output)
    trans = pd.read_csv(tmp_path / "out" / "transition.csv")
    assert "Transition from today's sites" in out
    counts = trans["status"].value_counts()
    assert counts.get("closed", 0) + counts.get("opened", 0) > 0  # the optimum moves something (a to r2)
    summary = pd.read_json(tmp_path / "out" / "summary.json", typ="series")
    base = summary["baseline"]
    assert base["baseline_file"] == "today's sites (instance)"
    assert "Optimized layout against today's sites" in out
    # today's sites evaluated by the checker: the instance's existing sites, no change paid
    assert base["baseline"]["components"]["change"] == 0.0
    assert base["baseline"]["sites"] == len(load_instance(path).brownfield.existing)
    assert "┃ today ┃" in out  # the benefit table has today's shares beside (from today's sites)


def test_validate_names_parks_todays_sites_and_periods(tmp_path):
    inst_path = tmp_path / "tiny.yaml"
    data = tiny3()
    data["enclaves"] = [{"id": "p1", "host": "r2", "partner": "r1", "capacity": 3.0, "value_split": {"host": 0.5, "partner": 0.5}},
                        {"id": "p2", "host": "r3", "partner": "r1", "capacity": 2.0, "existing": True,
                         "value_split": {"host": 0.6, "partner": 0.4}}]
    inst_path.write_text(yaml.safe_dump(data))
    res = runner.invoke(app, ["validate", str(inst_path)])
    assert res.exit_code == 0, res.output
    out = _flat(res.output)
    assert "2 enclave parks (1 existing)" in out
    assert "3 sites today" in out
    assert "3 periods (2025, 2030, 2035)" in out
    res = runner.invoke(app, ["validate", str(DATA / "toy_features.yaml")])
    out = _flat(res.output)
    assert res.exit_code == 0 and "sites today" not in out and "periods" not in out


def test_check_refuses_a_layout_of_another_instance(tmp_path):
    path = _one_period(tmp_path)
    assert runner.invoke(app, ["solve", str(path), "--out", str(tmp_path / "out"), "-q"]).exit_code == 0
    other = copy.deepcopy(yaml.safe_load(path.read_text()))
    other["regions"][1]["quotas"]["land"] = 7.0  # another instance: same ids, another quota
    (tmp_path / "other.yaml").write_text(yaml.safe_dump(other))
    res = runner.invoke(app, ["check", str(tmp_path / "other.yaml"), str(tmp_path / "out")])
    assert res.exit_code == 2, res.output
    out = _flat(res.output)
    assert "summary.json" in out and "belongs to another instance" in out
    res = runner.invoke(app, ["check", str(path), str(tmp_path / "out")])  # its own instance: verified
    assert res.exit_code == 0, res.output

"""Sweep defects an analyst's review found: reused records under a changed spec, bad seeds and
output paths, mapping values, integer fields scaled, site counts, solver options in a spec."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
import yaml

import yrdopt.sweep as sw
from yrdopt.errors import InstanceError

DATA = Path(__file__).parent / "data"
TOY = DATA / "toy_features.yaml"


def write_spec(tmp_path: Path, name: str = "spec.yaml", **spec) -> Path:
    spec.setdefault("instance", str(TOY))
    spec.setdefault("robust", {"enabled": False})
    p = tmp_path / name
    p.write_text(yaml.safe_dump(spec, sort_keys=False))
    return p


def test_resumed_records_take_names_values_and_order_from_the_current_design(tmp_path):
    """--resume after renaming a parameter and adding a level: the reused records show the
    current spec's names and values, each row once, in design order (review: the old name's
    values were lost, and the stored index was reported twice)."""
    out = tmp_path / "out"
    first = [{"path": "weights.distance", "name": "dist", "values": [0.5, 2.0]},
             {"path": "weights.site_cost", "name": "site", "values": [2.0, 3.0]}]
    sw.run(write_spec(tmp_path, parameters=first), out=out, backend="inprocess")
    renamed = [{"path": "weights.distance", "name": "distance_weight", "values": [0.5, 1.5, 2.0]},
               {"path": "weights.site_cost", "name": "site", "values": [2.0, 3.0]}]
    res = _cli(write_spec(tmp_path, parameters=renamed), "--out", out, "--resume")
    assert res.exit_code == 0, res.output
    # review 17: it said "6 scenarios: 6 solved", as if all six were solved by this run
    assert "6 scenarios (5 reused from an earlier run, 1 run now): 6 solved" in res.output, res.output
    df = sw.load_results(out)["results"]
    assert len((out / "journal.jsonl").read_text().splitlines()) == 6  # only the 1.5 is new
    assert df["index"].tolist() == list(range(6))
    assert df["distance_weight"].tolist() == [1.0, 0.5, 1.5, 2.0, 1.0, 1.0]
    assert df["site"].tolist() == [1.0, 1.0, 1.0, 1.0, 2.0, 3.0]
    tor = sw.load_results(out)["tornado"].set_index("parameter")
    assert (tor.loc["distance_weight", "low"], tor.loc["distance_weight", "high"]) == (0.5, 2.0)
    assert tor.loc["distance_weight", "n"] == 4  # the base and three levels, nothing of `site`
    # sweep.json keeps the earlier spec the 5 reused records were solved under, by each record's run (before: the
    # resume overwrote it, and "dist" was found nowhere)
    import json

    manifest = json.loads((out / "sweep.json").read_text())
    assert manifest["spec"]["parameters"][0]["name"] == "distance_weight" and len(manifest["runs"]) == 2
    by_run = {r["run"]: manifest["specs"][r["spec_key"]] for r in manifest["runs"]}
    spec_of = [by_run[json.loads(f.read_text())["run"]] for f in sorted((out / "scenarios").glob("*.json"))]
    assert sorted(s["parameters"][0]["name"] for s in spec_of) == ["dist"] * 5 + ["distance_weight"]


def _cli(*args):
    from typer.testing import CliRunner

    from yrdopt.cli import app

    return CliRunner().invoke(app, ["sweep", *map(str, args), "--in-process"])


@pytest.mark.parametrize("field, value, expected", [
    ("design.seed", -1, "greater than or equal to 0"),
    ("solver.seed", -1, "an integer in 0..2147483647"),
    ("solver.threads", 10_000, "an integer in 1.."),
])
def test_a_seed_or_thread_count_out_of_range_is_named_in_the_spec_before_out_is_touched(tmp_path, field, value,
                                                                                        expected):
    """Review: a negative design seed was numpy's traceback; solver.threads/seed were refused by
    the first worker, after sweep.json, .token and scenarios/ were written, without the spec's name."""
    section, key = field.split(".")
    parts = {"design": {"kind": "latin_hypercube", "samples": 2}, "solver": {}}
    parts[section][key] = value
    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "scale": [0.5, 2.0]}], **parts)
    res = _cli(spec, "--out", tmp_path / "out")
    assert res.exit_code == 2, res.output
    assert f"spec.yaml: {field}: got {value}" in res.output and expected in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_an_out_that_is_a_file_or_unwritable_is_exit_2_naming_out_before_anything_is_written(tmp_path):
    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5]}])
    afile = tmp_path / "afile"
    afile.write_text("notes")
    res = _cli(spec, "--out", afile)
    assert res.exit_code == 2 and "--out" in res.output and "existing file" in res.output, res.output
    assert afile.read_text() == "notes"
    notes = tmp_path / "notes"  # review 17: a folder no sweep wrote was written into without a word
    notes.mkdir()
    (notes / "plan.txt").write_text("mine")
    res = _cli(spec, "--out", notes)
    assert res.exit_code == 2 and "--out" in res.output and "plan.txt" in res.output, res.output
    assert [p.name for p in notes.iterdir()] == ["plan.txt"]
    res = _cli(spec, "--out", "/proc/yrdopt-nope/out")  # /proc takes no directory, not even root's
    assert res.exit_code == 2 and "--out" in res.output and "writable" in res.output, res.output
    assert "Traceback" not in res.output


def test_a_folder_a_killed_sweep_left_or_a_file_manager_touched_is_not_foreign(tmp_path):
    """Review 18: a sweep killed while writing sweep.json left its temp file (io.temp_name), and
    --resume was refused as a folder no sweep wrote; one holding only .DS_Store was refused too."""
    from yrdopt.io import temp_name
    from yrdopt.sweep.runner import foreign_folder_problems

    killed = tmp_path / "killed"
    (killed / "scenarios").mkdir(parents=True)
    for name in (".lock", ".token", temp_name(killed / "sweep.json").name, temp_name(killed / "results.parquet").name):
        (killed / name).touch()
    (tmp_path / "finder").mkdir()
    (tmp_path / "finder" / ".DS_Store").touch()
    assert foreign_folder_problems(killed) == [] and foreign_folder_problems(tmp_path / "finder") == []
    (killed / temp_name(killed / "plan.txt").name).touch()  # the temp file of a file no sweep writes is foreign
    assert ".plan.txt." in foreign_folder_problems(killed)[0].expected


@pytest.mark.parametrize("path", ["policy.site_limits[0].max_sites", "brownfield.budget.max_closed"])
def test_scaling_an_integer_field_is_refused_with_the_spec_even_when_its_ends_are_whole(tmp_path, path):
    """Review: max_closed 6 scaled by [0.5, 2.0] passed (3 and 12 are whole) and the middle
    level, 7.5, failed mid-sweep as invalid."""
    from test_brownfield import default_brownfield

    from yrdopt.io import dump_instance

    inst = TOY if path.startswith("policy") else dump_instance(default_brownfield({"max_closed": 6}),
                                                               tmp_path / "bf.yaml")
    spec = write_spec(tmp_path, instance=str(inst), parameters=[{"path": path, "scale": [0.5, 2.0]}])
    with pytest.raises(InstanceError) as e:
        sw.prepare(spec)
    assert "parameters[0].path" in e.value.message() and "integer field: use values:" in e.value.message()


def test_a_mapping_value_is_merged_into_the_mapping_it_sets(tmp_path):
    """The README's `budget` with `values: [{max_closed: 0}]` tightens one limit and keeps the
    others (review: it replaced the budget, so max_opened and max_moved_share became unlimited
    and a tighter limit gave a cheaper plan); null removes a limit."""
    from test_brownfield import default_brownfield

    from yrdopt.io import dump_instance
    from yrdopt.sweep.apply import scenario_dict, validate_instance

    bf = dump_instance(default_brownfield({"max_opened": 2, "max_closed": 3, "max_moved_share": 0.1,
                                           "by_province": {"Anhui": {"max_closed": 1}}}), tmp_path / "bf.yaml")
    spec = write_spec(tmp_path, instance=str(bf), parameters=[
        {"path": "brownfield.budget", "name": "budget",
         "values": [{"max_closed": 0}, {"max_opened": None, "by_province": {"Jiangsu": {"max_closed": 0}}}]}])
    spec, inst, base, resolved, ihash, scenarios = sw.prepare(spec)
    one = validate_instance(scenario_dict(base, resolved, scenarios[1].values), "s").brownfield.budget
    assert (one.max_closed, one.max_opened, one.max_moved_share) == (0, 2, 0.1)
    assert one.by_province["Anhui"].max_closed == 1
    two = validate_instance(scenario_dict(base, resolved, scenarios[2].values), "s").brownfield.budget
    assert (two.max_closed, two.max_opened, two.max_moved_share) == (3, None, 0.1)
    assert two.by_province["Anhui"].max_closed == 1 and two.by_province["Jiangsu"].max_closed == 0


def test_sites_count_the_sites_that_host_activity_as_the_checker_and_solve_do(tmp_path):
    """A fixed placement in a dear region is kept open empty (activity 0): results.csv's `sites`
    and frequency.csv count only the sites hosting activity, as the checker and `yrdopt solve`'s
    summary do (review: results counted the empty site, frequency listed it), and layout.csv
    writes no -0."""
    import yrdopt

    data = yaml.safe_load(TOY.read_text())
    rd = next(s for s in data["chains"][1]["segments"] if s["id"] == "rd")
    rd.update(single_site=False, site_cost={"a1": 0.5, "a2": 50.0, "b1": 0.5, "b2": 0.5})  # fixed in a2
    inst = tmp_path / "empty_site.yaml"
    inst.write_text(yaml.safe_dump(data, allow_unicode=True))
    solved = yrdopt.solve(inst, gap=1e-6)
    lay = solved.layout
    empty = lay[(lay["chain"] == "nev") & (lay["segment"] == "rd") & (lay["region"] == "a2")]
    assert empty["sited"].all() and (empty["activity"].abs() < 1e-9).all()  # the case this test is about
    spec = write_spec(tmp_path, instance=str(inst), parameters=[{"path": "weights.distance", "values": [1.0, 1.1]}],
                      solver={"mip_gap": 1e-6})
    df = sw.run(spec, out=tmp_path / "out", backend="inprocess")
    base = df[df["index"] == 0].iloc[0]
    assert base["objective"] == pytest.approx(solved.objective, rel=1e-6)
    assert base["sites"] == solved.summary["sites"] < len(pd.read_csv(tmp_path / "out" / "layout.csv")
                                                           .query("scenario == @base.scenario"))
    freq = pd.read_csv(tmp_path / "out" / "frequency.csv")
    assert freq.query("chain == 'nev' and segment == 'rd' and region == 'a2'").empty
    assert ",-0\n" not in (tmp_path / "out" / "layout.csv").read_text()


def test_spec_errors_say_what_is_missing_in_the_spec_and_instance_words(tmp_path):
    """Polish from the review: a brownfield path on an instance without brownfield said
    'brownfield is a NoneType'; an empty spec was answered in an instance file's words; two
    parameters of one name were reported on the whole spec, not on the second one's field."""
    spec = write_spec(tmp_path, parameters=[{"path": "brownfield.budget.max_closed", "values": [1]}])
    with pytest.raises(InstanceError) as e:
        sw.prepare(spec)
    assert "parameters[0].path" in e.value.message() and "the instance has no brownfield section" in e.value.message()
    empty = tmp_path / "empty.yaml"
    empty.write_text("")
    with pytest.raises(InstanceError) as e:
        sw.prepare(empty)
    assert "an empty file" in e.value.message() and "a sweep spec" in e.value.message()
    assert "regions:" not in e.value.message()
    dup = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [1]},
                                           {"path": "weights.site_cost", "name": "weights.distance", "values": [2]}])
    with pytest.raises(InstanceError) as e:
        sw.prepare(dup)
    assert "parameters[1].name: got 'weights.distance'" in e.value.message()
    assert "parameters[0] is also called" in e.value.message()


@pytest.mark.parametrize("name", ["distance", "objective", "scenario", "status"])
def test_a_parameter_named_like_a_results_column_is_refused_with_the_spec(tmp_path, name):
    """Review 17: `name: distance` (a term's column) or `name: scenario` overwrote that column in
    results.csv, or the column overwrote the parameter: one of them was lost without a word."""
    spec = write_spec(tmp_path, parameters=[{"path": "weights.site_cost", "values": [2.0]},
                                            {"path": "weights.distance", "name": name, "values": [0.5]}])
    res = _cli(spec, "--out", tmp_path / "out")
    assert res.exit_code == 2, res.output
    assert f"spec.yaml: parameters[1].name: got {name!r}" in res.output and "results.csv" in res.output
    assert "Traceback" not in res.output and not (tmp_path / "out").exists()


def test_numbers_yaml_reads_as_text_are_numbers_in_every_solver_field(tmp_path):
    """Review 17: PyYAML reads 5e0 as text; mip_gap: 1e-4 passed as a number while
    time_limit: 5e0 was refused as 'not a finite number'."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(f"instance: {TOY}\nparameters: [{{path: weights.distance, values: [0.5]}}]\n"
                    "solver: {time_limit: 5e0, mip_gap: 1e-4}\n")
    assert sw.load_spec(spec).solver.time_limit == 5.0
    spec.write_text(spec.read_text().replace("5e0", "inf"))
    with pytest.raises(InstanceError, match="solver.time_limit: got 'inf'; expected a finite number"):
        sw.load_spec(spec)


@pytest.mark.parametrize("workers", [0, -1, "2", 2.0, True])
def test_run_refuses_a_bad_worker_count_before_out_is_touched(tmp_path, workers):
    """Review 17: workers=0 or -1 ran silently, "2" was a bare TypeError after OUT was made."""
    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5]}])
    with pytest.raises(InstanceError) as e:
        sw.run(spec, out=tmp_path / "out", workers=workers)
    assert f"workers: got {workers!r}; expected a whole number of worker processes >= 1" in e.value.message()
    assert not (tmp_path / "out").exists()


def test_run_takes_a_numpy_worker_count_as_the_cli_takes_a_whole_number(tmp_path):
    """Review 18: workers=np.int64(1) was refused (isinstance int); here it passes the worker
    check and run() goes on to the next, the --out folder (no solve)."""
    import numpy as np

    spec = write_spec(tmp_path, parameters=[{"path": "weights.distance", "values": [0.5]}])
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "plan.txt").write_text("mine")
    with pytest.raises(InstanceError) as e:
        sw.run(spec, out=tmp_path / "notes", workers=np.int64(1))
    assert "--out" in e.value.message() and "workers" not in e.value.message()

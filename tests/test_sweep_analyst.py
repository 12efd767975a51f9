"""Sweep defects an analyst's review found (second round): robust tables an earlier run left
in OUT, layouts said "optimal" with the checker off, the README's Python example, failed
scenarios' reasons, a missing instance file, ``include_base`` on a one-at-a-time design and
progress without a terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml
from typer.testing import CliRunner

import yrdopt.sweep as sw
from yrdopt.cli import app
from yrdopt.commands.sweep import REASON_CHARS
from yrdopt.sweep.runner import ResumeMismatch

ROOT = Path(__file__).resolve().parents[1]
TOY = ROOT / "tests" / "data" / "toy_features.yaml"
ROBUST_FILES = ("robust.csv", "regret.csv", "robust_layout.csv")


def write_spec(tmp_path: Path, name: str = "spec.yaml", **spec) -> Path:
    spec.setdefault("instance", str(TOY))
    spec.setdefault("design", {"kind": "one_at_a_time"})
    spec.setdefault("solver", {"mip_gap": 1e-9})
    p = tmp_path / name
    p.write_text(yaml.safe_dump(spec, sort_keys=False))
    return p


DISTANCE = [{"path": "weights.distance", "name": "distance_weight", "scale": [0.5, 2.0]}]


# -- 1. robust tables belong to the run that wrote them ------------------------------------------
def test_a_resume_without_a_robust_phase_leaves_no_robust_table_of_the_earlier_run(tmp_path):
    """``robust: enabled: false`` on a resumed OUT: the first run's robust.csv, regret.csv and
    robust_layout.csv are removed, load_results returns none and the CLI says why there is no
    robust layout (before: the old files stayed, the CLI listed "robust" and load_results
    returned them)."""
    out = tmp_path / "out"
    runner = CliRunner()
    res = runner.invoke(app, ["sweep", str(write_spec(tmp_path, parameters=DISTANCE)), "--out", str(out),
                              "--in-process"])
    assert res.exit_code == 0, res.output
    assert all((out / f).exists() for f in ROBUST_FILES) and ", robust)" in res.output
    off = write_spec(tmp_path, "off.yaml", parameters=DISTANCE, robust={"enabled": False})
    res = runner.invoke(app, ["sweep", str(off), "--out", str(out), "--in-process", "--resume"])
    assert res.exit_code == 0, res.output
    assert not any((out / f).exists() for f in ROBUST_FILES)
    assert "no robust layout: robust: enabled: false in the spec" in " ".join(res.output.split()), res.output
    assert not {"robust", "regret", "robust_layout"} & set(sw.load_results(out))


def test_a_resume_with_new_ids_and_one_solved_scenario_removes_the_old_robust_tables(tmp_path):
    """The review's repro: a second spec on the same OUT whose scenarios are new and of which
    only one is solved (no robust phase): the first run's robust tables, naming scenarios not in
    results.csv, are gone (before: kept)."""
    out = tmp_path / "out"
    sw.run(write_spec(tmp_path, parameters=DISTANCE), out=out, backend="inprocess")
    first = set(pd.read_csv(out / "regret.csv")["scenario"])
    # land cut to a tenth in every region: infeasible; the base scenario is the one solved
    starved = [{"path": "regions[*].quotas.land", "name": "land", "values": [0.1]}]
    with pytest.warns(ResumeMismatch):  # every id is new
        df = sw.run(write_spec(tmp_path, "starved.yaml", parameters=starved, solver={"mip_gap": 1e-6}), out=out,
                    backend="inprocess", resume=True)
    assert int(df["ok"].sum()) == 1 and not first & set(df["scenario"])
    assert not any((out / f).exists() for f in ROBUST_FILES)
    assert df.attrs["robust"] == "1 scenario solved: a robust layout needs at least 2"


# -- 2. the checker off: no layout is said optimal -----------------------------------------------
def test_with_the_checker_off_no_layout_is_said_optimal(tmp_path):
    """``check: false`` with HiGHS's feasibility tolerance loosened (the review's nocheck.yaml):
    every layout is "unchecked", what HiGHS said in status_before_check, verified empty; it still
    counts as solved (frequency, tornado) and the CLI says the checker was off (before: "optimal",
    "4 solved (4 optimal)")."""
    spec = write_spec(tmp_path, parameters=DISTANCE, check=False, robust={"enabled": False},
                      solver={"mip_gap": 1e-4, "mip_start": False, "highs": {"mip_feasibility_tolerance": 0.01}})
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--in-process"])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out / "results.csv")
    assert len(df) == 4 and (df["status"] == "unchecked").all() and df["ok"].all(), df[["status", "ok"]]
    # HiGHS said optimal, but with its tolerance loosened its bound proves nothing (claims.DEFAULT_TOLERANCES)
    assert (df["status_before_check"] == "unproven").all() and df["verified"].isna().all()
    assert df["reason"].str.contains("the independent checker was off").all()
    said = " ".join(res.output.split())
    assert "4 solved (4 unchecked: the independent checker was off (check: false)" in said, said
    assert "none is said optimal" in said and "(4 optimal)" not in said
    # the status is the solve's (yrdopt's, from objective and bound), not HiGHS's word (before: "HiGHS alone said")
    assert "the solve said optimal for 0 (not checked: check is off in the spec)" in said and "HiGHS alone" not in said
    assert df["reason"].str.contains("the solve said unproven (not checked: check is off in the spec)", regex=False).all()
    assert len(pd.read_csv(out / "frequency.csv"))  # unchecked layouts still feed the summaries


def test_records_an_older_run_solved_without_the_checker_are_read_back_as_unchecked(tmp_path):
    """--resume on an OUT whose records said HiGHS's word without a check (no ``verified``):
    read back as "unchecked", as a new run writes them."""
    import json

    spec = write_spec(tmp_path, parameters=DISTANCE, check=False, robust={"enabled": False})
    out = tmp_path / "out"
    sw.run(spec, out=out, backend="inprocess")
    for f in (out / "scenarios").glob("*.json"):  # as the workers wrote them before
        rec = json.loads(f.read_text())
        rec["status"] = rec.pop("status_before_check")
        del rec["verified"], rec["reason"]
        f.write_text(json.dumps(rec))
    df = sw.run(spec, out=out, backend="inprocess", resume=True)
    assert (df["status"] == "unchecked").all() and (df["status_before_check"] == "optimal").all()


# -- 3. the README's Python example runs as written -----------------------------------------------
def test_the_readme_python_sweep_example_runs_as_written(tmp_path):
    """The snippet under "From Python" in the README's sweep section, run as a script beside a
    small spec.yaml (before: ``import yrdopt; yrdopt.sweep.run(...)`` raised AttributeError:
    module 'yrdopt' has no attribute 'sweep')."""
    readme = (ROOT / "README.md").read_text()
    section = readme[readme.index("## Sensitivity sweeps"):]
    snippet = re.search(r"From Python.*?```python\n(.*?)```", section, re.S).group(1)
    assert "import yrdopt\n" in snippet and "yrdopt.sweep.run(" in snippet
    write_spec(tmp_path, parameters=DISTANCE, robust={"enabled": False})
    (tmp_path / "example.py").write_text(snippet)
    res = subprocess.run([sys.executable, "example.py"], cwd=tmp_path, capture_output=True, text=True, timeout=600)
    assert res.returncode == 0, res.stderr
    assert "scenario" in res.stdout and "optimal" in res.stdout, res.stdout
    assert len(pd.read_csv(tmp_path / "out" / "x" / "results.csv")) == 4


def test_yrdopt_sweep_is_reachable_after_import_yrdopt():
    code = "import yrdopt\nprint(yrdopt.sweep.run.__module__, 'sweep' in dir(yrdopt))"
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0 and res.stdout.split() == ["yrdopt.sweep.runner", "True"], res.stderr


# -- 4. a failed scenario's reason: cut at a sentence, the remedy kept ----------------------------
def test_a_long_infeasibility_reason_keeps_its_remedy_and_points_to_results_csv(tmp_path):
    """Every region's land cut to a fifth on the embedded instance: the explanation runs over a
    thousand characters.  The CLI's line keeps its first sentences whole and "The least quota
    increase that makes it feasible: …", and says where the full text is (before: cut at 300
    characters mid-word, the remedy lost)."""
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"name": "starved", "parameters": [
        {"path": "regions[*].quotas.land", "name": "land_all", "values": [0.2]}],
        "design": {"kind": "one_at_a_time"}, "solver": {"time_limit": 20}, "robust": {"enabled": False}}))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--in-process"])
    assert res.exit_code == 0, res.output
    full = pd.read_csv(out / "results.csv").set_index("status").loc["infeasible", "reason"]
    remedy = full[full.index("The least quota increase that makes it feasible:"):]
    # the sentence after the raise, on the rule that picked it (diagnose.tie_words), stays in results.csv:
    # kept, it made the line 466 characters against REASON_CHARS 300
    remedy, tie = re.split(r"(?<=\.)\s+(?=[A-Z])", remedy, maxsplit=1)
    assert len(full) > 600 and remedy.endswith(".") and tie.startswith(("The least raise", "The raise shown")), full
    said = " ".join(res.output.split())
    line = said[said.index(": infeasible: ") + len(": infeasible: "):]
    assert line.startswith("No layout satisfies every limit. ") and remedy in line, line
    assert line.index(remedy) + len(remedy) == line.index(" (the full reason in results.csv)"), line
    assert tie not in line and len(line) <= REASON_CHARS + len(" (the full reason in results.csv)"), line
    # what stands before the remedy is whole sentences of the full text, then "…"
    head = line[:line.index(remedy)].rstrip()
    assert head.endswith(". …") and full.startswith(head[:-2]), head


def test_a_short_reason_keeps_within_its_limit_and_cuts_no_word_or_number():
    """A raise of forty quotas: the remedy sentence alone ran past REASON_CHARS (it was kept whole,
    the line 1,100 characters), and a reason that is the remedy alone raised IndexError."""
    from yrdopt.commands.sweep import _short_reason

    full_reason_at = " (the full reason in results.csv)"
    raise_ = ("The least quota increase that makes it feasible: "
              + ", ".join(f"Region {i} land +{i}.25 km2" for i in range(40)) + ".")
    for reason in ("No layout satisfies every limit. The totals fall short. " + raise_ + " The raise shown is the pick.",
                   raise_):
        short = _short_reason(reason)
        assert short.endswith(full_reason_at) and len(short) - len(full_reason_at) <= REASON_CHARS, short
        said = short.removesuffix(full_reason_at)
        whole = set(reason.replace(",", " ").split())  # each word and number said is one of the reason's, whole
        assert all(w in whole or w == "…" for w in said.replace(",", " ").split()), said
        assert "feasible: Region 0 land +0.25 km2, Region 1 land +1.25 km2" in said and said.endswith(" …"), said
    assert short.startswith("The least quota increase") and "No layout satisfies" not in short


# -- 5. a missing instance file: the spec, its field and where it was looked for -----------------
def test_a_missing_instance_file_names_the_spec_the_field_and_where_it_was_looked_for(tmp_path):
    (tmp_path / "specs").mkdir()
    spec = write_spec(tmp_path / "specs", "i1.yaml", parameters=DISTANCE, instance="../nope/yrd-missing.yaml")
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(out), "--in-process"])
    said = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in said, res.output
    # before: "- ../yrd-cities.yaml: got 'missing file'" (no spec file, no field, no folder)
    assert f"{spec}: instance: got '../nope/yrd-missing.yaml'" in said, said
    assert f"read from the spec's folder, {(tmp_path / 'specs').resolve()}" in said, said
    assert f"{(tmp_path / 'nope' / 'yrd-missing.yaml').resolve()} does not exist" in said, said
    assert not out.exists()


# -- 6. include_base: false on a one-at-a-time design ---------------------------------------------
def test_include_base_false_leaves_the_base_out_of_a_one_at_a_time_design(tmp_path):
    """Honoured as for the other designs (before: silently ignored, the base solved anyway); a
    level equal to today's value still is the base scenario."""
    base_in = write_spec(tmp_path, parameters=DISTANCE, robust={"enabled": False})
    base_out = write_spec(tmp_path, "nobase.yaml", parameters=DISTANCE, robust={"enabled": False},
                          design={"kind": "one_at_a_time", "include_base": False})
    assert [s.values["distance_weight"] for s in sw.prepare(base_in)[-1]] == [1.0, 0.5, 1.25, 2.0]
    df = sw.run(base_out, out=tmp_path / "out", backend="inprocess")
    assert df["distance_weight"].tolist() == [0.5, 1.25, 2.0] and df["ok"].all()
    assert len(pd.read_csv(tmp_path / "out" / "tornado.csv")) == 1
    levels = [{"path": "weights.distance", "name": "distance_weight", "values": [0.5, 1.0, 2.0]}]
    kept = write_spec(tmp_path, "levels.yaml", parameters=levels, design={"kind": "one_at_a_time", "include_base": False})
    assert len(sw.prepare(kept)[-1]) == 3  # 1.0 is today's value: that point is the base scenario


# -- 7. progress without a terminal ----------------------------------------------------------------
def test_without_a_terminal_progress_is_plain_lines_also_while_a_scenario_runs_long(tmp_path, monkeypatch):
    """CliRunner's output is no terminal (as nohup's or a batch job's log): the sweep prints
    plain lines with what is done and failed, elapsed and ETA, also while no scenario finishes
    (here each 0.5 s instead of each minute), and the last one says every scenario is done
    (before: nothing until the bar was drawn once at the end)."""
    from yrdopt.commands.sweep import PlainProgress
    from yrdopt.generate import generate_dict, write_generated

    monkeypatch.setattr(PlainProgress, "EVERY_S", 0.5)
    # a model HiGHS does not prove within its 2 s (README, solver profile): each scenario runs to its limit
    write_generated(generate_dict(10, 8, 4, seed=2), tmp_path / "g.yaml")
    spec = write_spec(tmp_path, instance="g.yaml", robust={"enabled": False}, solver={"time_limit": 2},
                      parameters=[{"path": "weights.distance", "name": "distance_weight", "values": [0.5]}])
    res = CliRunner().invoke(app, ["sweep", str(spec), "--out", str(tmp_path / "out"), "--in-process"])
    assert res.exit_code == 0, res.output
    lines = [ln for ln in res.output.splitlines() if ln.startswith("solving: ")]
    assert "━" not in res.output and len(lines) >= 3, res.output
    assert sum(ln.startswith("solving: 0/2 done, 0 failed, elapsed ") for ln in lines) >= 2, lines
    assert re.fullmatch(r"solving: 2/2 done, 0 failed, elapsed 0:00:\d\d, ETA -", lines[-1]), lines

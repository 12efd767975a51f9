"""Issue 12, case 4: `--resume` of a sweep solves again any scenario file it cannot read (truncated,
empty, wrong shape, another scenario's record) and says so; the tables come out as a clean run's."""

import json

import pandas as pd
import pytest
import yaml

import yrdopt.sweep as sw
from yrdopt.sweep.runner import UnreadableRecords
from yrdopt.sweep.store import read_journal
from conftest import DATA, run_cli

SPEC = {"instance": str(DATA / "toy_features.yaml"),
        "parameters": [{"path": "weights.distance", "scales": [0.5, 2.0]}], "design": {"kind": "one_at_a_time"},
        "robust": {"enabled": True}}


def corrupt(path, how):
    text = path.read_text()
    other = sorted(p for p in path.parent.glob("*.json") if p != path)[0].read_text()
    path.write_text({"truncated": text[: len(text) // 2], "empty": "", "wrong shape": "[1, 2, 3]",
                     "missing keys": json.dumps({"scenario": path.name[:-5]}),
                     "another scenario": other, "not utf-8": ""}[how])
    if how == "not utf-8":
        path.write_bytes(b"\xff\xfe{")


@pytest.mark.parametrize("how", ["truncated", "empty", "wrong shape", "missing keys", "another scenario", "not utf-8"])
def test_resume_resolves_unreadable_scenario_files(tmp_path, how):
    out = tmp_path / "out"
    first = sw.run(SPEC, out=out, backend="inprocess")
    victim = sorted((out / "scenarios").glob("*.json"))[1]
    corrupt(victim, how)
    with pytest.warns(UnreadableRecords, match=victim.name[:-5]):
        again = sw.run(SPEC, out=out, backend="inprocess", resume=True)
    cols = ["scenario", "status", "objective"]
    pd.testing.assert_frame_equal(again[cols], first[cols], check_exact=False, rtol=1e-9)
    assert json.loads(victim.read_text())["scenario"] == victim.name[:-5]  # written again, whole
    assert len(list((out / "unreadable" / "scenarios").iterdir())) == 1  # the bad file is kept for inspection
    solves = [e["scenario"] for e in read_journal(out) if e["kind"] == "scenarios"]
    assert solves.count(victim.name[:-5]) == 2 and len(solves) == len(first) + 1  # only that one solved again


def test_resume_cli_says_which_files_were_solved_again(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump(SPEC))
    out = tmp_path / "out"
    assert run_cli("sweep", spec, "--out", out, "--in-process", "-q").returncode == 0
    victim = sorted((out / "scenarios").glob("*.json"))[0]
    victim.write_text('{"scenario": "x", "ok": tr')
    res = run_cli("sweep", spec, "--out", out, "--in-process", "--resume", "-q")
    assert res.returncode == 0 and "Traceback" not in res.stderr, res.stderr
    # one line, whatever the paths' lengths: rich's wrap at 80 columns split "could not be read" over
    # two lines where the temporary folder's name had the length CI's has (pytest-0), and broke paths
    line = next((ln for ln in (res.stdout + res.stderr).splitlines() if "could not be read" in ln), "")
    assert victim.name[:-5] in line and str(out / "unreadable") in line, res.stdout + res.stderr

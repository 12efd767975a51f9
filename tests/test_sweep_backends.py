"""The same spec gives the same tables in-process, in a process pool and on a local Dask cluster;
a sweep killed with SIGKILL half-way resumes to exactly N scenarios, none solved twice."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

import yrdopt.sweep as sw
from yrdopt.sweep.runner import RUN_DEPENDENT

TOY = Path(__file__).parent / "data" / "toy_features.yaml"


def small_spec(tmp_path: Path, samples: int = 10, chunk: int = 3, **extra) -> Path:
    spec = {"name": "toy-lhs", "instance": str(TOY),
            "parameters": [{"path": "regions[*].quotas.land", "scale": [0.7, 1.3]},
                           {"path": "weights.distance", "scale": [0.5, 2.0]},
                           {"path": "chains[id=ic].segments[id=fab].activity", "scale": [0.9, 1.2]}],
            "design": {"kind": "latin_hypercube", "samples": samples, "seed": 42},
            "solver": {"mip_gap": 1e-9}, "chunk_size": chunk, **extra}
    p = tmp_path / "spec.yaml"
    p.write_text(yaml.safe_dump(spec, sort_keys=False))
    return p


def comparable(df: pd.DataFrame) -> pd.DataFrame:
    df = df.drop(columns=RUN_DEPENDENT).sort_values("scenario", ignore_index=True)
    num = df.select_dtypes("float").columns
    df[num] = df[num].round(6)
    return df


def layout_of(out: Path) -> pd.DataFrame:
    lay = pd.read_parquet(out / "layout.parquet").sort_values(["scenario", "chain", "segment", "region"],
                                                              ignore_index=True)
    lay["activity"] = lay["activity"].round(6)
    return lay


def test_same_tables_on_every_backend(tmp_path):
    spec = small_spec(tmp_path, samples=7)
    runs = {
        "inprocess": dict(backend="inprocess"),
        "processes": dict(backend="processes", workers=2),
        "dask": dict(scheduler="local-dask", workers=2),
    }
    tables = {}
    for name, kw in runs.items():
        out = tmp_path / name
        df = sw.run(spec, out=out, **kw)
        tables[name] = (comparable(df), layout_of(out), pd.read_csv(out / "robust.csv"))
    ref = tables["inprocess"]
    assert len(ref[0]) == 8 and ref[0]["ok"].sum() >= 4
    workers = {name: set(pd.read_parquet(tmp_path / name / "results.parquet")["worker"]) for name in runs}
    assert len(workers["processes"]) == 2  # really two worker processes
    for name in ("processes", "dask"):
        pd.testing.assert_frame_equal(tables[name][0], ref[0], check_exact=False, rtol=1e-9)
        pd.testing.assert_frame_equal(tables[name][1], ref[1])
        pd.testing.assert_frame_equal(tables[name][2], ref[2], check_exact=False, rtol=1e-6)


def _journal(out: Path) -> list[dict]:
    return [json.loads(x) for x in (out / "journal.jsonl").read_text().splitlines() if x.strip()]


def test_sigkill_half_way_then_resume(tmp_path):
    spec = small_spec(tmp_path, samples=19, chunk=2, robust={"enabled": False}, check=False)
    out = tmp_path / "out"
    n = len(sw.prepare(spec)[-1])
    assert n == 20
    cmd = [sys.executable, "-m", "yrdopt.cli", "sweep", str(spec), "--out", str(out), "--workers", "2", "--quiet"]
    proc = subprocess.Popen(cmd, start_new_session=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    deadline = time.time() + 120
    scen = out / "scenarios"
    while time.time() < deadline:
        if scen.is_dir() and len(list(scen.glob("*.json"))) >= n // 3:
            break
        assert proc.poll() is None, proc.stderr.read().decode()
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the sweep and its workers, like a crashed machine
    proc.wait()
    before = {p.name: p.read_text() for p in scen.glob("*.json")}
    assert n // 3 <= len(before) < n, "kill the sweep half-way"
    assert not (out / "results.parquet").exists()
    res = subprocess.run(cmd + ["--resume"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    after = {p.name: p.read_text() for p in scen.glob("*.json")}
    assert len(after) == n
    assert all(after[k] == v for k, v in before.items())  # nothing finished before was redone
    done = [e["scenario"] for e in _journal(out)]
    assert len(done) == n and len(set(done)) == n  # none solved twice, none missing
    assert len({e["run"] for e in _journal(out)}) == 2
    df = pd.read_parquet(out / "results.parquet")
    assert len(df) == n and df["scenario"].is_unique
    assert set(df["scenario"]) == set(sw.prepare(spec)[-1][i].id for i in range(n))


def test_resume_journals_a_record_written_just_before_the_kill(tmp_path):
    # A worker killed between creating a scenario file and appending its journal line leaves a
    # finished scenario the journal does not list; --resume keeps the record and journals it,
    # with the run that wrote it, so the journal again lists every scenario exactly once.
    spec = small_spec(tmp_path, samples=3, chunk=2, robust={"enabled": False}, check=False)
    out = tmp_path / "out"
    sw.run(spec, out=out, backend="inprocess")
    lines = (out / "journal.jsonl").read_text().splitlines()
    lost = json.loads(lines[-1])
    (out / "journal.jsonl").write_text("\n".join(lines[:-1]) + "\n")
    record = (out / "scenarios" / f"{lost['scenario']}.json").read_text()
    sw.run(spec, out=out, backend="inprocess", resume=True)
    entries = _journal(out)
    assert sorted(e["scenario"] for e in entries) == sorted(json.loads(x)["scenario"] for x in lines)
    recovered = [e for e in entries if e.get("recovered")]
    assert [(e["scenario"], e["run"]) for e in recovered] == [(lost["scenario"], lost["run"])]
    assert (out / "scenarios" / f"{lost['scenario']}.json").read_text() == record  # not solved again

"""Shared helpers of the benchmark scripts: memory, timing, atomic result files, workers.

Each measurement runs in its own subprocess so that peak memory (``ru_maxrss``) belongs
to that size and method alone, and HiGHS's per-process thread pool starts fresh.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent
RESULTS = ROOT / "results"


def rss_mb() -> float | None:
    """Current resident set size of this process in MB (Linux /proc), None elsewhere."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024.0
    except OSError:
        return None
    return None


def peak_rss_mb() -> float:
    """Peak resident set size of this process in MB (ru_maxrss is in KB on Linux)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def run_worker(script: Path, args: list[str], timeout: float) -> dict:
    """Run ``python script args`` and parse the JSON object on its last stdout line."""
    t0 = time.perf_counter()
    try:
        proc = subprocess.run([sys.executable, str(script), *args], capture_output=True, text=True,
                              timeout=timeout, env={**os.environ, "PYTHONHASHSEED": "0"})
    except subprocess.TimeoutExpired:
        return {"error": f"worker exceeded {timeout:.0f} s wall time", "wall_s": time.perf_counter() - t0}
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if proc.returncode != 0 or not lines:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        return {"error": f"worker exit {proc.returncode}: {' | '.join(tail)}", "wall_s": time.perf_counter() - t0}
    out = json.loads(lines[-1])
    out["wall_s"] = time.perf_counter() - t0
    return out


def write_json(path: Path, data) -> None:
    from yrdopt.io import atomic_write_text

    atomic_write_text(path, json.dumps(data, indent=1, default=str))


def machine() -> dict:
    import platform

    import highspy

    h = highspy.Highs()
    return {"python": platform.python_version(), "cpu_count": os.cpu_count(), "machine": platform.machine(),
            "highs": f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"}


def fmt(v, spec: str = ".3g", none: str = "—") -> str:
    if v is None:
        return none
    if isinstance(v, float):
        return format(v, spec)
    return str(v)


def loadavg() -> list[str]:
    """The machine's 1/5/15-minute load averages (empty where /proc has none)."""
    try:
        with open("/proc/loadavg") as fh:
            return fh.read().split()[:3]
    except OSError:
        return []


def side_by_side(target, variants: list[str], *args) -> tuple[dict, list[str], list[str]]:
    """Run ``target(variant, *args, queue)`` for every variant at the same time, each in a
    fresh (spawned) process, so that all see the same load on a shared machine; returns
    ({variant: what it put on the queue}, load averages at start, at end)."""
    import multiprocessing as mp

    load0 = loadavg()
    ctx = mp.get_context("spawn")
    queue = ctx.Queue()
    procs = [ctx.Process(target=target, args=(v, *args, queue)) for v in variants]
    for p in procs:
        p.start()
    results = dict(queue.get() for _ in procs)
    for p in procs:
        p.join()
    return results, load0, loadavg()

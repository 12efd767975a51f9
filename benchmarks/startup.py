"""How long a command takes to start: each command as a whole process, as a user runs it.

    python benchmarks/startup.py [--reps 7]

Every measurement is a fresh process started with ``subprocess`` and timed from the outside
(wall clock, ``perf_counter``) and by the CPU time the child used (user + system, from
``resource.getrusage``: much less disturbed by other jobs on a shared machine than the wall
clock), warm file cache; runs of the commands and of the baseline (``python -c pass``, the
interpreter alone) are interleaved, so load from other jobs hits them alike.  Reports the
median and the best of ``--reps`` and the median's ratio to the baseline's median.  Writes
benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def commands() -> dict[str, list[str]]:
    exe = shutil.which("yrdopt") or str(Path(sys.executable).with_name("yrdopt"))
    return {
        "python -c pass (baseline)": [sys.executable, "-c", "pass"],
        "yrdopt --help": [exe, "--help"],
        "yrdopt validate instances/yrd-provinces.yaml": [exe, "validate", str(ROOT / "instances" / "yrd-provinces.yaml")],
        "yrdopt solve --help": [exe, "solve", "--help"],
        "python -c 'import yrdopt.cli'": [sys.executable, "-c", "import yrdopt.cli"],
    }


def run_once(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    a = ap.parse_args()
    import os

    load_before = os.getloadavg()[0]
    cmds = commands()
    for cmd in cmds.values():  # warm the file cache and the bytecode caches
        run_once(cmd)
    wall: dict[str, list[float]] = {name: [] for name in cmds}
    cpu: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(a.reps):
        for name, cmd in cmds.items():
            w, c = run_once(cmd)
            wall[name].append(w)
            cpu[name].append(c)
    base = statistics.median(wall["python -c pass (baseline)"])
    base_cpu = statistics.median(cpu["python -c pass (baseline)"])
    rows = {name: {"median_s": statistics.median(wall[name]), "best_s": min(wall[name]),
                   "ratio_to_baseline": statistics.median(wall[name]) / base,
                   "cpu_median_s": statistics.median(cpu[name]),
                   "cpu_ratio_to_baseline": statistics.median(cpu[name]) / base_cpu,
                   "runs_s": wall[name], "cpu_runs_s": cpu[name]}
            for name in cmds}
    print(f"load average (1 min) before: {load_before:.1f}, after: {os.getloadavg()[0]:.1f}")
    for name, r in rows.items():
        print(f"{name:46s} wall median {r['median_s']:.3f} s, best {r['best_s']:.3f} s "
              f"({r['ratio_to_baseline']:.1f}x baseline); CPU median {r['cpu_median_s']:.3f} s "
              f"({r['cpu_ratio_to_baseline']:.1f}x)")
    write_json(RESULTS / "startup.json", {"machine": machine(), "reps": a.reps, "load_average_before": load_before,
                                          "commands": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How long a command takes to start: each command as a whole process, as a user runs it.

    python benchmarks/startup.py [--reps 7]

Every measurement is a fresh process started with ``subprocess`` and timed from the outside
(wall clock, ``perf_counter``), warm file cache; runs of the commands and of the baseline
(``python -c pass``, the interpreter alone) are interleaved, so load from other jobs hits
them alike.  Reports the median and the best of ``--reps`` and the median's ratio to the
baseline's median.  Writes benchmarks/results/startup.json.
"""

from __future__ import annotations

import argparse
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


def run_once(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - t0


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=7)
    a = ap.parse_args()
    cmds = commands()
    for cmd in cmds.values():  # warm the file cache and the bytecode caches
        run_once(cmd)
    times: dict[str, list[float]] = {name: [] for name in cmds}
    for _ in range(a.reps):
        for name, cmd in cmds.items():
            times[name].append(run_once(cmd))
    base = statistics.median(times["python -c pass (baseline)"])
    rows = {name: {"median_s": statistics.median(t), "best_s": min(t),
                   "ratio_to_baseline": statistics.median(t) / base, "runs_s": t}
            for name, t in times.items()}
    for name, r in rows.items():
        print(f"{name:48s} median {r['median_s']:.3f} s  best {r['best_s']:.3f} s  "
              f"{r['ratio_to_baseline']:.1f}x python -c pass")
    write_json(RESULTS / "startup.json", {"machine": machine(), "reps": a.reps, "commands": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())

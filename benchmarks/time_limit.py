"""Is ``--time-limit`` kept by the whole command?  ``yrdopt solve X --time-limit L`` on the
generated 41x30x4 instance (seed 1), wall time of the process, against the baseline measured in
the same run: HiGHS alone with ``time_limit = L`` and its default presolve (probing on), as
``yrdopt solve`` ran before (README, "Time limits").

    python benchmarks/time_limit.py [--limits 30] [--reps 1]

Writes benchmarks/results/time-limit.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_json  # noqa: E402

HIGHS_ALONE = r"""
import sys, time, json, numpy as np, yrdopt
from yrdopt.model.compiled import build
from yrdopt.heuristic import greedy_start
from yrdopt.solver import HighsSolver, SolverOptions
cm = build(yrdopt.load_instance(sys.argv[1]))
s = HighsSolver(SolverOptions(time_limit=float(sys.argv[2])))
s.load(cm)
t = time.perf_counter()
r = s.solve(greedy_start(cm))
print(json.dumps({"highs_s": time.perf_counter() - t, "status": r.status, "objective": r.objective, "bound": r.bound}))
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--limits", type=float, nargs="+", default=[30.0])
    ap.add_argument("--reps", type=int, default=1)
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        inst = Path(tmp) / "g41x30x4.yaml"
        subprocess.run([sys.executable, "-m", "yrdopt.cli", "generate", "--regions", "41", "--chains", "30",
                        "--segments", "4", "--seed", "1", "--out", str(inst)], check=True, capture_output=True)
        for limit in a.limits:
            for rep in range(a.reps):
                out = Path(tmp) / f"sol-{limit:g}-{rep}"
                t0 = time.perf_counter()
                p = subprocess.run([sys.executable, "-m", "yrdopt.cli", "solve", str(inst), "--time-limit", str(limit),
                                    "-q", "--out", str(out)], capture_output=True, text=True)
                wall = time.perf_counter() - t0
                s = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
                t0 = time.perf_counter()
                b = subprocess.run([sys.executable, "-c", HIGHS_ALONE, str(inst), str(limit)], capture_output=True, text=True)
                base_wall = time.perf_counter() - t0
                base = json.loads(b.stdout.strip().splitlines()[-1]) if b.returncode == 0 else {"error": b.stderr[-300:]}
                rows.append({"limit_s": limit, "rep": rep, "exit": p.returncode, "wall_s": wall,
                             "status": s.get("status"), "objective": s.get("objective"), "bound": s.get("bound"),
                             "timings": s.get("timings"),
                             "highs_time_limit_s": ((s.get("solver") or {}).get("options") or {}).get("time_limit"),
                             "baseline_wall_s": base_wall, "baseline": base})
                print(json.dumps(rows[-1]), flush=True)
    write_json(RESULTS / "time-limit.json", {"machine": machine(), "rows": rows})
    lines = ["# `--time-limit` kept by the whole command (41x30x4 generated, seed 1)", "",
             f"{machine()}", "",
             "| limit s | yrdopt solve wall s | status | objective | HiGHS got s | baseline: HiGHS alone, probing on, wall s (process) | baseline HiGHS s | baseline bound |",
             "|---:|---:|---|---:|---:|---:|---:|---:|"]
    for r in rows:
        b = r["baseline"]
        lines.append(f"| {r['limit_s']:g} | {r['wall_s']:.1f} | {r['status']} | {r['objective'] or float('nan'):,.1f} | "
                     f"{r['highs_time_limit_s'] or float('nan'):.1f} | {r['baseline_wall_s']:.1f} | "
                     f"{b.get('highs_s', float('nan')):.1f} | {b.get('bound')} |")
    (RESULTS / "time-limit.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

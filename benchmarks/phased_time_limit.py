"""Where the seconds of ``yrdopt solve PLAN --time-limit L`` go on an instance with milestone periods:
the process's wall time against the limit, HiGHS's own limit and time, and each step after HiGHS (the
LP polish, the plan's tables, the period-by-period check, benefits, the CLI's comparison with today's
layout kept, writing the files, printing).  Each step is timed by wrapping its function in the child
process (the measurement only: the command runs unchanged).

    python benchmarks/phased_time_limit.py [--instance instances/yrd-cities-2035.yaml] [--limits 20 40] [--reps 1]

Writes benchmarks/results/phased-time-limit[-TAG].json.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_json  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import functools, json, sys, time
from yrdopt.deadline import _process_age
T0 = time.perf_counter() - _process_age()  # the process start, as the CLI's deadline counts
T = {}
def timed(mod, name, key=None):
    f = getattr(mod, name)
    @functools.wraps(f)
    def w(*a, **k):
        t = time.perf_counter()
        try:
            return f(*a, **k)
        finally:
            T[key or name] = T.get(key or name, 0.0) + time.perf_counter() - t
    setattr(mod, name, w)
import yrdopt.phasing as ph, yrdopt.checker as ck, yrdopt.analysis.benefits as be, yrdopt.solution as so
import yrdopt.analysis.baseline as bl, yrdopt.solver as sv
timed(ph, "_fixed_integer_lp", "fixed_integer_lp (myopic start and polish)")
timed(ph, "plan_tables")
timed(ck, "check_phased", "check_phased (plan, and today's kept)")
timed(be, "period_benefit_table")
timed(bl, "compare_with_baseline", "compare_with_baseline (CLI)")
timed(so.Solution, "write", "Solution.write")
highs = []
solve = sv.HighsSolver.solve
def hs(self, *a, **k):
    t = time.perf_counter()
    r = solve(self, *a, **k)
    highs.append({"limit": self.h.getOptionValue("time_limit")[1], "wall": time.perf_counter() - t,
                  "cols": self.h.getNumCol(), "end": time.perf_counter() - T0})
    return r
sv.HighsSolver.solve = hs
import atexit
atexit.register(lambda: print("TIMINGS " + json.dumps({"steps": T, "highs": highs, "end": time.perf_counter() - T0}),
                              file=sys.stderr))
from yrdopt.cli import main
sys.argv = ["yrdopt", *sys.argv[1:]]
main()
"""


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--instance", default=str(ROOT / "instances" / "yrd-cities-2035.yaml"))
    ap.add_argument("--limits", type=float, nargs="+", default=[20.0])
    ap.add_argument("--reps", type=int, default=1)
    ap.add_argument("--tag", default="")
    a = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for limit in a.limits:
            for rep in range(a.reps):
                out = Path(tmp) / f"sol-{limit:g}-{rep}"
                load = os.getloadavg()[0]
                t0 = time.perf_counter()
                p = subprocess.run([sys.executable, "-c", CHILD, "solve", a.instance, "--time-limit", str(limit),
                                    "-q", "--out", str(out)], capture_output=True, text=True)
                wall = time.perf_counter() - t0
                line = next((x for x in p.stderr.splitlines() if x.startswith("TIMINGS ")), None)
                t = json.loads(line[8:]) if line else {"error": p.stderr[-500:]}
                s = json.loads((out / "summary.json").read_text()) if (out / "summary.json").exists() else {}
                # the MILP over all periods: the longest HiGHS run on the plan's columns (the polish LP has as many)
                joint = max((h for h in t.get("highs", []) if h["cols"] == max(x["cols"] for x in t["highs"])),
                            key=lambda h: h["wall"], default={})
                rows.append({"instance": Path(a.instance).name, "limit_s": limit, "rep": rep, "exit": p.returncode,
                             "load_before": load, "wall_s": wall, "status": s.get("status"),
                             "highs_limit_s": joint.get("limit"), "highs_wall_s": joint.get("wall"),
                             # from the joint MILP's end to the process's (atexit): what the reserve is for
                             "after_highs_s": t["end"] - joint["end"] if joint and "end" in t else None,
                             "process_s": t.get("end"), "highs_runs": t.get("highs"),
                             "timings": s.get("timings"), "steps": t.get("steps"), "tag": a.tag,
                             "stderr": p.stderr.strip().splitlines()[-2:] if p.returncode else None})
                print(json.dumps(rows[-1]), flush=True)
    write_json(RESULTS / ("phased-time-limit" + (f"-{a.tag}" if a.tag else "") + ".json"), {"machine": machine(), "rows": rows})
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Many solves from one script: the analyst's loop (issue: thousands of solves on a laptop).

Three ways to solve the same instance N times, in one run so all see the same load:

* ``cli``      — ``yrdopt solve`` as a fresh process each time (the baseline: what a shell loop costs);
* ``api``      — ``yrdopt.solve(inst, ...)`` in a loop in one Python process (build, HiGHS, polish,
  independent check each time; nothing written);
* ``resolve``  — one compiled model loaded once into ``HighsSolver``, its costs changed in place and
  solved again (the sweep workers' way; no polish, no check).

For ``api`` and ``resolve`` it records each solve's wall time, the process's resident memory and its
thread count after each solve: a leak shows as memory or threads that grow with the count.

    python benchmarks/many_solves.py                 # embedded default, 200 api / 200 resolve / 10 cli
    python benchmarks/many_solves.py --n 50 --cli 5 --instance instances/yrd-provinces.yaml

Writes ``results/many-solves.json``. Times depend on the machine's load; read the ratios.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, rss_mb, write_json  # noqa: E402


def threads() -> int:
    return len(os.listdir("/proc/self/task")) if Path("/proc/self/task").exists() else 0


def trace(times: list[float], mem: list[float], thr: list[int]) -> dict:
    n = len(times)
    q = max(1, n // 10)
    return {"n": n, "median_s": statistics.median(times), "max_s": max(times),
            "rss_mb_after_first_tenth": statistics.median(mem[:q]), "rss_mb_after_last_tenth": statistics.median(mem[-q:]),
            "rss_mb_max": max(mem), "threads_first": thr[0], "threads_last": thr[-1], "threads_max": max(thr)}


def timed_loop(n: int, one) -> dict:
    """Call ``one()`` (a solve, returning its status) ``n`` times: each call's wall time, then this
    process's memory and threads."""
    times, mem, thr, statuses = [], [], [], {}
    for _ in range(n):
        t0 = time.perf_counter()
        status = one()
        times.append(time.perf_counter() - t0)
        mem.append(rss_mb() or 0.0)
        thr.append(threads())
        statuses[status] = statuses.get(status, 0) + 1
    return {**trace(times, mem, thr), "statuses": statuses}


def run_api(instance: str | None, n: int, limit: float) -> dict:
    import yrdopt

    inst = yrdopt.load_instance(instance)
    return timed_loop(n, lambda: yrdopt.solve(inst, time_limit=limit, threads=1).status)


def run_resolve(instance: str | None, n: int, limit: float) -> dict:
    import numpy as np

    import yrdopt

    cm = yrdopt.build(yrdopt.load_instance(instance))
    solver = yrdopt.HighsSolver(yrdopt.SolverOptions(threads=1, time_limit=limit))
    solver.load(cm)
    rng = np.random.default_rng(0)

    def one() -> str:
        # a new scenario's costs (set before the clock would be fairer; it takes microseconds)
        solver.set_costs(cm.cost * rng.uniform(0.9, 1.1, cm.cost.shape))
        return solver.solve().status

    return timed_loop(n, one)


def run_cli(instance: str | None, n: int, limit: float) -> dict:
    exe = Path(sys.executable).with_name("yrdopt")
    times = []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(n):
            cmd = [str(exe), "solve", *([instance] if instance else []), "--time-limit", str(limit),
                   "--threads", "1", "--out", str(Path(tmp) / str(i))]
            t0 = time.perf_counter()
            subprocess.run(cmd, check=True, capture_output=True)
            times.append(time.perf_counter() - t0)
    return {"n": n, "median_s": statistics.median(times), "max_s": max(times)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--instance", default=None, help="instance file (default: the embedded default)")
    ap.add_argument("--n", type=int, default=200, help="solves in the api and resolve loops")
    ap.add_argument("--cli", type=int, default=10, help="fresh `yrdopt solve` processes (the baseline)")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--out", default="many-solves")
    a = ap.parse_args()
    load0 = os.getloadavg()[0]
    out = {"machine": machine(), "instance": a.instance or "embedded default", "time_limit": a.time_limit,
           "cli": run_cli(a.instance, a.cli, a.time_limit),
           "api": run_api(a.instance, a.n, a.time_limit),
           "resolve": run_resolve(a.instance, a.n, a.time_limit),
           "load_average": [load0, os.getloadavg()[0]]}
    out["api_over_cli"] = out["api"]["median_s"] / out["cli"]["median_s"]
    out["resolve_over_api"] = out["resolve"]["median_s"] / out["api"]["median_s"]
    write_json(RESULTS / f"{a.out}.json", out)
    for k in ("cli", "api", "resolve"):
        r = out[k]
        extra = (f"  rss {r['rss_mb_after_first_tenth']:.0f} -> {r['rss_mb_after_last_tenth']:.0f} MB, "
                 f"threads {r['threads_first']} -> {r['threads_last']}") if "rss_mb_max" in r else ""
        print(f"{k:8s} n={r['n']:4d}  median {r['median_s']:.3f} s  max {r['max_s']:.3f} s{extra}")
    print(f"api / cli {out['api_over_cli']:.2f}   resolve / api {out['resolve_over_api']:.2f}   "
          f"load {load0:.1f} -> {out['load_average'][1]:.1f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

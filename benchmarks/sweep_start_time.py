"""How long a sweep scenario's start takes in a large chunk (issue 13): the loop over the chunk's
earlier layouts (``ScenarioSolver._start``), every one of them against the capped loop
(``STARTS_KEPT`` layouts kept, the ``STARTS_REPAIRED`` cheapest that do not fit repaired;
``yrdopt.sweep.worker``), side by side in one run.

    python benchmarks/sweep_start_time.py [--samples 50] [--time-limit 10] [--json benchmarks/results/sweep-start-time.json]

The scenarios are the first ``--samples`` of ``instances/sweeps/cities-lhs.yaml``'s Latin
hypercube (its seed, ``samples`` replaced) solved as *one* chunk, tightest first; each variant
solves it in its own process (one HiGHS thread), and the variants run at the same time so both
see the same load on the shared machine.  Per scenario: the seconds ``_start`` took (finding the
start, before ``_improve_start``) and the part of it spent on the earlier layouts
(``_from_pool``: fit checks and greedy repairs), where the start came from and what it cost, the gap, and
whether the checker verified the layout.

* ``every`` — the start chosen among every earlier layout of the chunk (no cap);
* ``capped`` — ``ScenarioSolver`` as it is;
* ``recent8`` — only the last 8 layouts kept (each that does not fit repaired).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine, side_by_side, write_json  # noqa: E402
from sweep_starts import _spec  # noqa: E402


def run_variant(variant: str, samples: int, time_limit: float | None, queue) -> None:
    from yrdopt.sweep import prepare
    from yrdopt.sweep.worker import Context, ScenarioSolver

    class Timed(ScenarioSolver):
        def _start(self, cm):
            t0 = time.perf_counter()
            pool = len(self.pool)
            self.pool_s = 0.0
            try:
                return super()._start(cm)
            finally:
                self.timed = (time.perf_counter() - t0, pool, self.pool_s)

        def _from_pool(self, cm):
            t0 = time.perf_counter()
            try:
                return super()._from_pool(cm)
            finally:
                self.pool_s = time.perf_counter() - t0

    spec = _spec(samples)
    if time_limit is not None:
        spec["solver"]["time_limit"] = time_limit
    spec_m, inst, base, resolved, ihash, scenarios = prepare(spec)
    ws = Timed(Context.for_spec(spec_m, base, variant, check=True))
    if variant == "every":
        ws.starts_kept = ws.starts_repaired = None
    elif variant == "recent8":
        ws.starts_kept, ws.starts_repaired = 8, None
    recs = []
    t0 = time.perf_counter()
    ws.begin_chunk()
    for sc in ws.solve_order(scenarios):
        r = ws.solve(sc)
        find_s, pool, pool_s = ws.timed
        recs.append({"index": r["index"], "pool": pool, "find_start_s": find_s, "pool_s": pool_s,
                     **{k: r.get(k) for k in ("status", "ok", "objective", "bound", "gap", "mip_start",
                                              "start_objective", "start_s", "solve_s", "polish_s", "total_s",
                                              "polished", "mip_objective", "verified")}})
    queue.put((variant, {"wall_s": time.perf_counter() - t0, "records": recs}))


def summary(recs: list[dict]) -> dict:
    find = [r["find_start_s"] for r in recs]
    gaps = [r["gap"] for r in recs if r.get("gap") is not None]
    late = [r["find_start_s"] for r in recs[len(recs) // 2:]]
    loop = [r["pool_s"] for r in recs]
    return {"scenarios": len(recs), "verified": sum(bool(r.get("verified")) for r in recs),
            "pool_s_median": statistics.median(loop), "pool_s_max": max(loop),
            "pool_s_median_second_half": statistics.median(loop[len(loop) // 2:]), "pool_s_sum": sum(loop),
            "find_start_s_median": statistics.median(find), "find_start_s_max": max(find),
            "find_start_s_median_second_half": statistics.median(late), "find_start_s_sum": sum(find),
            "polish_s_median": statistics.median(r["polish_s"] or 0.0 for r in recs),
            "polish_s_max": max(r["polish_s"] or 0.0 for r in recs),
            "gap_median": statistics.median(gaps) if gaps else None, "gap_max": max(gaps) if gaps else None,
            "by_start": {k: sum(r["mip_start"] == k for r in recs) for k in sorted({r["mip_start"] for r in recs})}}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=50)
    ap.add_argument("--time-limit", type=float)
    ap.add_argument("--variants", default="every,capped")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    variants = a.variants.split(",")
    results, load0, load1 = side_by_side(run_variant, variants, a.samples, a.time_limit)
    out = {"machine": {**machine(), "loadavg_at_start": load0, "loadavg_at_end": load1},
           "spec": "instances/sweeps/cities-lhs.yaml", "samples": a.samples,
           "time_limit": a.time_limit or float(_spec(a.samples)["solver"]["time_limit"]), "variants": {}}
    for v in variants:
        s = summary(results[v]["records"])
        out["variants"][v] = {**s, "wall_s": results[v]["wall_s"], "records": results[v]["records"]}
        print(f"{v:7s} earlier layouts (_from_pool): median {s['pool_s_median']:.3f} s (second half "
              f"{s['pool_s_median_second_half']:.3f} s), longest {s['pool_s_max']:.3f} s, all {s['pool_s_sum']:.1f} s; "
              f"finding the start: median {s['find_start_s_median']:.3f} s (second half of the chunk "
              f"{s['find_start_s_median_second_half']:.3f} s), longest {s['find_start_s_max']:.3f} s, "
              f"all {s['find_start_s_sum']:.1f} s; polish median {s['polish_s_median']:.3f} s, longest "
              f"{s['polish_s_max']:.3f} s; gap median {100 * s['gap_median']:.1f} %, largest {100 * s['gap_max']:.1f} %; "
              f"{s['verified']}/{s['scenarios']} verified; starts {s['by_start']}", flush=True)
    print(f"load average at start {load0}, at end {load1}")
    if a.json:
        write_json(a.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

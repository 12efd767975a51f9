"""How a sweep's MIP starts change its gaps (issue 13): the city sweep's scenarios solved with
the starts of before and of now, side by side in one run.

    python benchmarks/sweep_starts.py [--samples 40] [--json benchmarks/results/sweep-starts.json]

The scenarios are the first ``--samples`` of ``instances/sweeps/cities-lhs.yaml``'s Latin
hypercube (its seed, ``samples`` replaced), cut into the spec's chunks; each variant solves
every chunk in a row in its own process (one HiGHS thread each), and the variants run *at the
same time*, so both see the same load on the shared machine.  Every layout is verified by the
checker.

* ``before`` — the starts up to commit 029372e: the previous scenario's layout, else
  ``lns.repair`` of it (greedy, then its sub-MILP within the construct share), else the greedy,
  else ``lns.construct``; the chunk solved in its own order; the start not improved.
* ``now`` — ``ScenarioSolver`` as it is (``solve_order``, ``_start``, ``_improve_start``).
* ``unimproved`` — now, without ``_improve_start``; ``improve_constructed`` — now, improving
  only a start that ``construct`` made (alone or on the chains a repair freed).
* ``reserve_live_overrun`` — now, with HiGHS's overrun in the after-solve reserve scaled by the
  live columns (``yrdopt.api.live_columns``), the polish and check still by all columns: tried
  2026-12-01 and not kept (``--variants now,reserve_live_overrun``; README, *Sensitivity sweeps*).

Besides the gaps, each variant's median scenario time (``total_s``) and its largest overrun of the
scenario's time limit.

Ratios are of each variant over the first one named.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine, side_by_side, write_json  # noqa: E402

SPEC = ROOT / "instances" / "sweeps" / "cities-lhs.yaml"


def _spec(samples: int) -> dict:
    spec = yaml.safe_load(SPEC.read_text())
    spec["instance"] = str((SPEC.parent / spec["instance"]).resolve())
    spec["design"] = {**spec["design"], "samples": samples}
    return spec


def _solver_class(variant: str):
    from yrdopt.sweep.worker import ScenarioSolver

    if variant == "now":
        return ScenarioSolver
    if variant == "improve_constructed":  # now, improving only a start construct made
        class ImproveConstructed(ScenarioSolver):
            def _improve_start(self, cm, x, spent):
                return super()._improve_start(cm, x, spent) if self.constructed else x

        return ImproveConstructed
    if variant == "reserve_live_overrun":  # now, HiGHS's overrun reserved for the live columns only
        from yrdopt.api import live_columns
        from yrdopt.deadline import OVERRUN_S_PER_COL, POLISH_S_PER_COL

        class ReserveLiveOverrun(ScenarioSolver):
            def _after_solve_reserve(self, cm):
                return max(0.2, POLISH_S_PER_COL * cm.n_cols + OVERRUN_S_PER_COL * live_columns(cm))

        return ReserveLiveOverrun
    if variant == "unimproved":  # now, without improving the start
        class Unimproved(ScenarioSolver):
            def _improve_start(self, cm, x, spent):
                return x

        return Unimproved

    class Before(ScenarioSolver):
        def solve_order(self, chunk):
            return list(chunk)

        def _improve_start(self, cm, x, spent):
            return x

        def _start(self, cm):
            from yrdopt.deadline import construct_seconds
            from yrdopt.heuristic import greedy_start
            from yrdopt.lns import fits, repair, start_where_greedy_is_stuck

            seconds = construct_seconds(self.opts.time_limit)
            last = self.pool[-1] if self.pool else None
            try:
                if last is not None and len(last) == cm.n_cols:
                    if fits(cm, last):
                        return last, "previous"
                    x = repair(cm, last, seconds, self.solver.stop)
                    if x is not None:
                        return x, "repaired"
                x = greedy_start(cm)
                if x is not None:
                    return x, "greedy"
                x = start_where_greedy_is_stuck(cm, seconds, self.solver.stop)
            except Exception:
                x = None
            return (x, "constructed") if x is not None else (None, "none")

    return Before


def run_variant(variant: str, samples: int, queue) -> None:
    from yrdopt.sweep import prepare
    from yrdopt.sweep.design import chunks
    from yrdopt.sweep.worker import Context

    spec_m, inst, base, resolved, ihash, scenarios = prepare(_spec(samples))
    ws = _solver_class(variant)(Context.for_spec(spec_m, base, variant, check=True))
    recs = []
    t0 = time.perf_counter()
    for ch in chunks(scenarios, spec_m.chunk_size):
        ws.begin_chunk()
        for sc in ws.solve_order(ch):
            r = ws.solve(sc)
            recs.append({k: r.get(k) for k in ("index", "status", "ok", "objective", "bound", "gap", "mip_start",
                                               "start_objective", "start_s", "solve_s", "prep_s", "total_s",
                                               "nodes", "verified")})
    queue.put((variant, {"wall_s": time.perf_counter() - t0, "records": sorted(recs, key=lambda r: r["index"])}))


def summary(recs: list[dict], limit: float) -> dict:
    gaps = [r["gap"] for r in recs if r.get("gap") is not None]
    by: dict[str, list[float]] = {}
    for r in recs:
        by.setdefault(r["mip_start"], []).append(r["gap"] if r.get("gap") is not None else float("nan"))
    return {"scenarios": len(recs), "with_layout": sum(bool(r["ok"]) for r in recs),
            "verified": sum(bool(r.get("verified")) for r in recs),
            "gap_median": statistics.median(gaps) if gaps else None, "gap_max": max(gaps) if gaps else None,
            "gap_mean": statistics.fmean(gaps) if gaps else None,
            "by_start": {k: {"n": len(v), "gap_median": statistics.median(v)} for k, v in sorted(by.items())},
            "start_s_max": max(r["start_s"] or 0.0 for r in recs),
            "total_s_max": max(r["total_s"] for r in recs), "over_limit": sum(r["total_s"] > limit + 1.0 for r in recs),
            "total_s_median": statistics.median(r["total_s"] for r in recs),
            "overrun_max": max(r["total_s"] for r in recs) - limit,
            "overrunning": sum(r["total_s"] > limit for r in recs)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--samples", type=int, default=40)
    ap.add_argument("--variants", default="before,now")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    variants = a.variants.split(",")
    results, load0, load1 = side_by_side(run_variant, variants, a.samples)
    limit = float(_spec(a.samples)["solver"]["time_limit"])
    out = {"machine": {**machine(), "loadavg_at_start": load0, "loadavg_at_end": load1},
           "spec": str(SPEC.relative_to(ROOT)), "samples": a.samples, "time_limit": limit, "variants": {}}
    for v in variants:
        s = summary(results[v]["records"], limit)
        out["variants"][v] = {**s, "wall_s": results[v]["wall_s"], "records": results[v]["records"]}
        print(f"{v:7s} {s['with_layout']}/{s['scenarios']} with a layout ({s['verified']} verified); gap median "
              f"{100 * s['gap_median']:.1f} %, largest {100 * s['gap_max']:.1f} %, mean {100 * s['gap_mean']:.1f} %; "
              f"longest start {s['start_s_max']:.2f} s, scenario median {s['total_s_median']:.2f} s, longest "
              f"{s['total_s_max']:.2f} s ({s['overrunning']} past the {limit:g} s limit); by start "
              + ", ".join(f"{k} {b['n']} ({100 * b['gap_median']:.1f} %)" for k, b in s["by_start"].items()),
              flush=True)
    ref = variants[0]
    for v in variants[1:]:
        b, n = out["variants"][ref], out["variants"][v]
        ratio = out.setdefault("ratios", {})[f"{v}/{ref}"] = {"gap_median": n["gap_median"] / b["gap_median"],
                                                               "gap_max": n["gap_max"] / b["gap_max"]}
        print(f"{v} / {ref}: median gap x{ratio['gap_median']:.2f}, largest x{ratio['gap_max']:.2f}")
    print(f"load average at start {load0}, at end {load1}")
    if a.json:
        write_json(a.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

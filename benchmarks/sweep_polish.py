"""Whether a sweep scenario's layout gets polished within its time limit (issue 13): the time kept
from HiGHS for the LP polish and the check as it was (``share``: 2 % of the scenario's limit,
HiGHS's options as the spec gives them) against now (``sized``: ``yrdopt.deadline.after_solve_reserve``
as ``yrdopt.solve`` keeps it, less writing files, and HiGHS's options as ``solve`` sets them for
the model's size; ``ScenarioSolver._highs_limit``), side by side; ``--variants share,sized,lean``
adds ``lean`` (tried, not kept): HiGHS's overrun kept back only above
``deadline.PROBING_MAX_BINARIES`` binaries, only the polish and check's share below; ``adaptive``
(tried, not kept): the chunk's first scenario as ``sized``, later ones 1.5 times the longest that
HiGHS's overrun, the polish and the check took in the chunk so far (at most ``sized``'s, at least
0.2 s).

    python benchmarks/sweep_polish.py --case cities [--samples 8] [--json benchmarks/results/sweep-polish-cities.json]
    python benchmarks/sweep_polish.py --case 41x30x4 [--samples 4] [--json benchmarks/results/sweep-polish-41x30x4.json]

``cities``: the first ``--samples`` scenarios of ``instances/sweeps/cities-lhs.yaml`` (10 s each);
``41x30x4``: the generated 41x30x4 (seed 1) under a Latin hypercube of its land quotas (x0.9-1.25)
and distance weight (x0.5-2), 10 s each.  Each variant solves the scenarios as one chunk in its own
process (one HiGHS thread), both at once so both see the same load on the shared machine.  Per
scenario: what HiGHS was given and took, the polish's and the check's seconds, whether the record
is polished, its total seconds, its gap and whether the checker verified it.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
from common import machine, side_by_side, write_json  # noqa: E402
from run import instance_file  # noqa: E402

FIELDS = ("status", "ok", "objective", "gap", "mip_start", "start_s", "highs_limit_s", "solve_s", "polish_s",
          "polished", "check_s", "total_s", "verified")


def spec_for(case: str, samples: int) -> dict:
    if case == "cities":
        path = ROOT / "instances" / "sweeps" / "cities-lhs.yaml"
        spec = yaml.safe_load(path.read_text())
        spec["instance"] = str((path.parent / spec["instance"]).resolve())
        spec["design"] = {**spec["design"], "samples": samples}
        return spec
    folder = ROOT / "benchmarks" / "instances"
    folder.mkdir(exist_ok=True)
    return {"name": "g41x30x4-lhs", "instance": str(instance_file(41, 30, 4, 1, folder)),
            "parameters": [{"path": "regions[*].quotas.land", "name": "land_quota", "scale": [0.9, 1.25]},
                           {"path": "weights.distance", "name": "distance_weight", "scale": [0.5, 2.0]}],
            "design": {"kind": "latin_hypercube", "samples": samples, "seed": 1},
            "solver": {"time_limit": 10, "mip_gap": 0.02}, "robust": {"enabled": False}}


def run_variant(variant: str, case: str, samples: int, queue) -> None:
    from yrdopt.sweep import prepare
    from yrdopt.sweep.worker import Context, ScenarioSolver

    class Share(ScenarioSolver):
        """Before: 2 % of the limit kept for the polish, HiGHS's options as the spec gives them."""

        def _highs_options(self):
            return self.opts.solver_options(self.binaries)

        def _highs_limit(self, cm, start_s):
            return max(self.opts.time_limit * 0.98 - start_s, 0.05 * self.opts.time_limit)

        def _polish_limit(self, cm, t_start):
            return max(self.opts.time_limit - (time.perf_counter() - t_start), 0.02 * self.opts.time_limit)

    class Lean(ScenarioSolver):
        """HiGHS's overrun kept back only on models above PROBING_MAX_BINARIES binaries."""

        def _highs_limit(self, cm, start_s):
            from yrdopt.deadline import PROBING_MAX_BINARIES, after_solve_reserve, polish_reserve

            left = self.opts.time_limit - start_s
            big = self.binaries > PROBING_MAX_BINARIES
            reserve = after_solve_reserve(cm.n_cols, files=False) if big else polish_reserve(cm.n_cols)
            return max(left - reserve, 0.05 * self.opts.time_limit)

    class Adaptive(ScenarioSolver):
        """After the first scenario, 1.5 times the longest the chunk took after HiGHS's limit."""

        after_highs: list = []

        def _highs_limit(self, cm, start_s):
            from yrdopt.deadline import after_solve_reserve

            reserve = after_solve_reserve(cm.n_cols, files=False)
            if self.after_highs:
                reserve = min(reserve, max(0.2, 1.5 * max(self.after_highs)))
            self.given = max(self.opts.time_limit - start_s - reserve, 0.05 * self.opts.time_limit)
            return self.given

        def solve(self, sc):
            r = super().solve(sc)
            if r.get("ok"):
                # HiGHS's overrun, and what followed HiGHS (prep_s: up to HiGHS's start)
                self.after_highs = [*self.after_highs, max(0.0, r["solve_s"] - self.given)
                                    + max(0.0, r["total_s"] - r["prep_s"] - r["solve_s"])]
            return r

    spec = spec_for(case, samples)
    spec["solver"]["threads"] = 1
    spec_m, _, base, _, _, scenarios = prepare(spec)
    cls = {"share": Share, "lean": Lean, "adaptive": Adaptive}.get(variant, ScenarioSolver)
    ws = cls(Context.for_spec(spec_m, base, variant, check=True))
    recs = []
    t0 = time.perf_counter()
    ws.begin_chunk()
    for sc in ws.solve_order(scenarios):
        r = ws.solve(sc)
        recs.append({"index": r["index"], **{k: r.get(k) for k in FIELDS}})
        print(variant, recs[-1], flush=True)
    queue.put((variant, {"wall_s": time.perf_counter() - t0, "records": recs}))


def summary(recs: list[dict], limit: float) -> dict:
    med = lambda k: statistics.median(r[k] or 0.0 for r in recs)  # noqa: E731
    top = lambda k: max(r[k] or 0.0 for r in recs)  # noqa: E731
    gaps = [r["gap"] for r in recs if r.get("gap") is not None]
    return {"scenarios": len(recs), "polished": sum(bool(r["polished"]) for r in recs),
            "verified": sum(bool(r["verified"]) for r in recs),
            "over_limit": sum((r["total_s"] or 0.0) > limit for r in recs),
            **{f"{k}_median": med(k) for k in ("start_s", "solve_s", "polish_s", "check_s", "total_s")},
            **{f"{k}_max": top(k) for k in ("solve_s", "polish_s", "total_s")},
            "gap_median": statistics.median(gaps) if gaps else None, "gap_max": max(gaps) if gaps else None}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--case", choices=("cities", "41x30x4"), default="cities")
    ap.add_argument("--samples", type=int, default=8)
    ap.add_argument("--variants", default="share,sized")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    variants = a.variants.split(",")
    results, load0, load1 = side_by_side(run_variant, variants, a.case, a.samples)
    limit = float(spec_for(a.case, a.samples)["solver"]["time_limit"])
    out = {"machine": {**machine(), "loadavg_at_start": load0, "loadavg_at_end": load1},
           "case": a.case, "samples": a.samples, "time_limit": limit, "variants": {}}
    for v in variants:
        s = summary(results[v]["records"], limit)
        out["variants"][v] = {**s, "wall_s": results[v]["wall_s"], "records": results[v]["records"]}
        print(f"{v:6s} polished {s['polished']}/{s['scenarios']}, verified {s['verified']}; over the limit "
              f"{s['over_limit']}; total median {s['total_s_median']:.2f} s (longest {s['total_s_max']:.2f} s); "
              f"start {s['start_s_median']:.2f} s, HiGHS {s['solve_s_median']:.2f} s (longest {s['solve_s_max']:.2f}), "
              f"polish {s['polish_s_median']:.2f} s (longest {s['polish_s_max']:.2f}), check {s['check_s_median']:.2f} s; "
              f"gap median {s['gap_median']}, largest {s['gap_max']}", flush=True)
    print(f"load average at start {load0}, at end {load1}")
    if a.json:
        write_json(a.json, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

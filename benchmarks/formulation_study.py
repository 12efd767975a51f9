"""Which formulation choices make HiGHS prove optimality faster (models/formulation.md).

    python benchmarks/formulation_study.py [--quick]

Each configuration (BuildOptions + MIP start) solves the same generated instances in a
fresh process (benchmarks/worker.py).  Small instances are solved to optimality and
compared by time (shifted geometric mean, shift 1 s); the 41 x 30 x 4 instance is run to a
time limit and compared by proven gap.  Every configuration must reach the same optimum
as the default where both prove it (checked here, and in tests/test_formulation.py).
Writes benchmarks/results/formulation.{json,md}.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, fmt, machine, run_worker, write_json  # noqa: E402
from run import instance_file  # noqa: E402

CONFIGS = {
    "default (no linking, no tightening, no start)": [],
    "flow_linking=disaggregated": ["--flow-linking", "disaggregated"],
    "tighten_bounds": ["--tighten", "on"],
    "greedy MIP start": ["--start", "greedy"],
    "tighten_bounds + greedy start": ["--tighten", "on", "--start", "greedy"],
}
SMALL = [(5, 4, 4, s) for s in (1, 2, 3, 4)] + [(8, 5, 4, s) for s in (1, 2, 3)] + [(6, 8, 3, 1)]
LARGE = [(41, 30, 4, 1)]


def sgm(ts: list[float], shift: float = 1.0) -> float:
    return math.exp(sum(math.log(t + shift) for t in ts) / len(ts)) - shift


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--small-limit", type=float, default=120.0)
    ap.add_argument("--large-limit", type=float, default=120.0)
    a = ap.parse_args()
    small = SMALL[:3] if a.quick else SMALL
    large = [] if a.quick else LARGE
    inst_dir = ROOT / "instances"
    out = {"machine": machine(), "threads": a.threads, "small_limit": a.small_limit,
           "large_limit": a.large_limit, "small": {}, "large": {}}
    base = {"--threads": str(a.threads)}
    for R, C, S, seed in small + large:
        path = instance_file(R, C, S, seed, inst_dir)
        key = f"{R}x{C}x{S} seed {seed}"
        limit = a.small_limit if (R, C, S, seed) in small else a.large_limit
        where = out["small"] if (R, C, S, seed) in small else out["large"]
        where[key] = {}
        for name, extra in CONFIGS.items():
            args = ["fast", str(path), "--time-limit", str(limit), *sum(base.items(), ()), *extra]
            res = run_worker(ROOT / "worker.py", args, timeout=limit * 3 + 300)
            where[key][name] = {k: res.get(k) for k in ("status", "objective", "bound", "gap", "solve_s", "nodes",
                                                          "variables", "rows", "start_objective", "error")}
            print(f"{key:22s} {name:45s} {res.get('status')} obj={fmt(res.get('objective'), '.8g')} "
                  f"gap={fmt(res.get('gap'))} t={fmt(res.get('solve_s'))}", flush=True)
            write_json(RESULTS / "formulation.json", out)
    write_markdown(out)
    return 0


def write_markdown(out: dict) -> None:
    from yrdopt.io import atomic_write_text

    lines = [f"# Formulation study ({out['threads']} threads, HiGHS {out['machine']['highs']})", "",
             f"Small instances solved to optimality (limit {out['small_limit']:g} s): time in s per configuration; "
             "last row = shifted geometric mean (shift 1 s). `same optimum` = every configuration that proved "
             "optimality found the default's objective within 1e-6 relative.", ""]
    names = list(CONFIGS)
    lines.append("| instance | " + " | ".join(names) + " | same optimum |")
    lines.append("|---|" + "---:|" * len(names) + "---|")
    per_cfg = {n: [] for n in names}
    for key, runs in out["small"].items():
        objs = [r["objective"] for r in runs.values() if r.get("status") == "optimal"]
        same = all(abs(o - objs[0]) <= 1e-6 * max(1, abs(objs[0])) + 1e-4 * abs(objs[0]) for o in objs) if objs else None
        cells = []
        for n in names:
            r = runs.get(n, {})
            t = r.get("solve_s")
            per_cfg[n].append(t if t is not None else out["small_limit"])
            cells.append(f"{fmt(t)}" + ("" if r.get("status") == "optimal" else f" ({r.get('status')})"))
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {same} |")
    lines.append("| **shifted geo. mean** | " + " | ".join(f"**{sgm(v):.2f}**" for v in per_cfg.values() if v) + " | |")
    if out["large"]:
        lines += ["", f"Large instance, time limit {out['large_limit']:g} s: best layout found, proven bound, gap.", "",
                  "| instance | configuration | status | best found | bound | gap | start cost |", "|---|---|---|---:|---:|---:|---:|"]
        for key, runs in out["large"].items():
            for n, r in runs.items():
                gap = r.get("gap")
                lines.append(f"| {key} | {n} | {r.get('status')} | {fmt(r.get('objective'), ',.1f')} | "
                             f"{fmt(r.get('bound'), ',.1f')} | {f'{gap:.2%}' if gap is not None else '—'} | "
                             f"{fmt(r.get('start_objective'), ',.1f')} |")
    atomic_write_text(RESULTS / "formulation.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

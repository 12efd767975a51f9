"""Effect of the solver settings users can set (threads, presolve, MIP heuristic effort,
random seed = deterministic mode) on the shipped instances.

    python benchmarks/solver_settings.py [--quick] [--limit 120]

Shipped instances: the embedded default (src/yrdopt/data/yrd-default.yaml) and
instances/yrd-provinces.yaml, yrd-outer.yaml, yrd-cities.yaml (generated ones where a file
is missing).  Each run is a fresh process (HiGHS fixes threads per process).  HiGHS is
deterministic for a given seed and thread count: the "seed" rows show how much solve time
varies between seeds, i.e. how much of any difference below is noise.
Writes benchmarks/results/solver-settings.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, fmt, machine, run_worker, write_json  # noqa: E402
from run import instance_file  # noqa: E402

REPO = ROOT.parent
SETTINGS = {
    "default (threads 2, presolve choose, effort 0.05, seed 0)": [],
    "threads 1": ["--threads", "1"],
    "presolve off": ["--presolve", "off"],
    "heuristic effort 0.3": ["--heuristic-effort", "0.3"],
    "seed 1": ["--seed", "1"],
    "seed 2": ["--seed", "2"],
    "greedy start + tighten_bounds": ["--start", "greedy", "--tighten", "on"],
}
BIG_SETTINGS = ["default (threads 2, presolve choose, effort 0.05, seed 0)", "threads 1", "presolve off", "heuristic effort 0.3",
                "greedy start + tighten_bounds", "seed 1"]


def shipped() -> list[tuple[str, Path, bool]]:
    out = [("yrd-default", REPO / "src/yrdopt/data/yrd-default.yaml", False)]
    for name, big in (("yrd-provinces", False), ("yrd-outer", False), ("yrd-cities", True)):
        p = REPO / "instances" / f"{name}.yaml"
        out.append((name, p if p.exists() else instance_file(41 if big else 4, 8, 4, 1, ROOT / "instances"), big))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true", help="skip the 41-city instance")
    ap.add_argument("--limit", type=float, default=120.0)
    a = ap.parse_args()
    out = {"machine": machine(), "limit": a.limit, "runs": {}}
    for name, path, big in shipped():
        if big and a.quick:
            continue
        out["runs"][name] = {}
        for label, extra in SETTINGS.items():
            if big and label not in BIG_SETTINGS:
                continue
            args = ["fast", str(path), "--time-limit", str(a.limit), "--threads", "2", *extra]
            res = run_worker(ROOT / "worker.py", args, timeout=a.limit * 3 + 300)
            out["runs"][name][label] = {k: res.get(k) for k in ("status", "objective", "gap", "solve_s", "nodes",
                                                                 "build_s", "handoff_s", "error")}
            print(f"{name:14s} {label:58s} {res.get('status')} obj={fmt(res.get('objective'), '.8g')} "
                  f"gap={fmt(res.get('gap'))} t={fmt(res.get('solve_s'))}", flush=True)
            write_json(RESULTS / "solver-settings.json", out)
    write_markdown(out)
    return 0


def write_markdown(out: dict) -> None:
    from yrdopt.io import atomic_write_text

    labels = list(SETTINGS)
    lines = [f"# Solver settings on the shipped instances (HiGHS {out['machine']['highs']}, "
             f"{out['machine']['cpu_count']} CPUs, limit {out['limit']:g} s)", "",
             "Solve time in s (status if not proven optimal at gap 1e-4; — = not run on this instance).", "",
             "| instance | " + " | ".join(labels) + " |", "|---|" + "---:|" * len(labels)]
    for name, runs in out["runs"].items():
        cells = []
        for lab in labels:
            r = runs.get(lab)
            if r is None:
                cells.append("—")
                continue
            t = fmt(r.get("solve_s"))
            cells.append(t if r.get("status") == "optimal" else f"{t} ({r.get('status')}, gap {fmt(r.get('gap'))})")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    atomic_write_text(RESULTS / "solver-settings.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

"""Where the sweep's re-solve profile pays: HiGHS's defaults against ``SolverOptions.for_resolves``
(presolve and its restarts off, RINS/RENS sub-MIPs off), one thread, on shipped and generated
instances of growing size.  This measurement sets ``RESOLVE_MAX_BINARIES`` (the ``auto``
profile of sweeps).

    python benchmarks/resolve_profile.py [--limit 30] [--reps 2]

Each instance is solved from scratch ``--reps`` times per setting (best time kept; once when
it stops at the limit; threads = 1 in every run, so one process is fine).  Writes benchmarks/results/resolve-profile.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, fmt, machine, write_json  # noqa: E402

REPO = ROOT.parent
# (label, file or generator arguments (regions, chains, segments, seed))
INSTANCES = [
    ("toy_features (tests)", REPO / "tests/data/toy_features.yaml"),
    ("embedded default (4 provinces)", None),
    ("yrd-outer (10 regions)", REPO / "instances/yrd-outer.yaml"),
    ("generated 5x4x4 seed 1", (5, 4, 4, 1)),
    ("generated 8x5x4 seed 1", (8, 5, 4, 1)),
    ("generated 10x8x4 seed 2", (10, 8, 4, 2)),
    ("generated 12x10x4 seed 3", (12, 10, 4, 3)),
    ("generated 16x10x4 seed 4", (16, 10, 4, 4)),
    ("yrd-cities (41 cities)", REPO / "instances/yrd-cities.yaml"),
]


def main() -> int:
    from yrdopt.data import build_model_data
    from yrdopt.generate import generate_instance
    from yrdopt.io import load_instance
    from yrdopt.model.compiled import build
    from yrdopt.solver import HighsSolver, SolverOptions

    ap = argparse.ArgumentParser()
    ap.add_argument("--limit", type=float, default=30.0)
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    settings = {"highs defaults": lambda: SolverOptions(threads=1, time_limit=a.limit, mip_gap=1e-4),
                "re-solve profile": lambda: SolverOptions.for_resolves(threads=1, time_limit=a.limit, mip_gap=1e-4)}
    rows = []
    for label, src in INSTANCES:
        inst = generate_instance(*src) if isinstance(src, tuple) else load_instance(src)
        cm = build(build_model_data(inst))
        row = {"instance": label, "columns": cm.n_cols, "binaries": int(cm.integrality.sum())}
        for name, make in settings.items():
            best = None
            for _ in range(a.reps):
                s = HighsSolver(make())
                s.load(cm)
                r = s.solve()
                if best is None or r.solve_s < best["time_s"]:
                    best = {"time_s": r.solve_s, "status": r.status, "objective": r.objective, "gap": r.gap}
                if r.status != "optimal":
                    break  # stopped at the limit: a repeat would take as long
            row[name] = best
        d, p = row["highs defaults"], row["re-solve profile"]
        row["speedup"] = d["time_s"] / p["time_s"]
        print(f"{label:32s} {row['binaries']:4d} binaries  defaults {d['time_s']:7.3f} s {d['status']:26s} "
              f"{fmt(d['objective'], '.2f')}  profile {p['time_s']:7.3f} s {p['status']:26s} {fmt(p['objective'], '.2f')}"
              f"  x{row['speedup']:.2f}", flush=True)
        rows.append(row)
    out = {"machine": machine(), "limit_s": a.limit, "reps": a.reps, "rows": rows}
    write_json(RESULTS / "resolve-profile.json", out)
    md = ["# Re-solve profile against HiGHS's defaults", "",
          f"`python benchmarks/resolve_profile.py --limit {a.limit:g} --reps {a.reps}`; one thread, gap 1e-4, "
          f"time limit {a.limit:g} s; best of {a.reps}. Machine: {out['machine']}.", "",
          "| instance | binaries | defaults: time, status, objective | profile: time, status, objective | speed-up |",
          "|---|---:|---|---|---:|"]
    for r in rows:
        d, p = r["highs defaults"], r["re-solve profile"]
        md.append(f"| {r['instance']} | {r['binaries']} | {d['time_s']:.3f} s, {d['status']}, {fmt(d['objective'], '.2f')} "
                  f"| {p['time_s']:.3f} s, {p['status']}, {fmt(p['objective'], '.2f')} | {r['speedup']:.2f}× |")
    (RESULTS / "resolve-profile.md").write_text("\n".join(md) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

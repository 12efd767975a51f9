"""Phased (three-period brownfield) instances: the whole `yrdopt solve` command, against the
baseline of HiGHS's default profile (`--presolve on`: what every phased solve used before
`yrdopt.phasing.phased_profile`), and the joint MILP alone without the myopic start; all in
this run, on the same machine.

    python benchmarks/phased.py                          # yrd-provinces-2035, no time limit
    python benchmarks/phased.py --cities --limit 300      # also yrd-cities-2035 at --time-limit 300
    python benchmarks/phased.py --threads 1 --repeat 2

Each measurement is its own process (the whole command: start-up, reading, building, the
myopic plan, the joint MILP, polish, check, writing).  Writes results/phased.json and
results/phased.md; the load average (`uptime`) before each run is recorded, since the
machine is shared.
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

from common import RESULTS, write_json

ROOT = Path(__file__).resolve().parents[1]

# the joint MILP without a start: what HiGHS alone does on the stacked model
NO_START = """
import json, sys, time
import yrdopt
from yrdopt.phasing import solve_phased
t = time.perf_counter()
sol = solve_phased(sys.argv[1], start="none", options=yrdopt.SolverOptions(threads=int(sys.argv[2]),
                   time_limit=None if sys.argv[3] == "none" else float(sys.argv[3])))
s = sol.summary
print(json.dumps({"status": s["status"], "objective": s["objective"], "gap": s["gap"], "verified": s["verified"],
                  "timings": s["timings"]}))
"""


BASELINE = "baseline: yrdopt solve --presolve on (HiGHS defaults)"


def load() -> float:
    return os.getloadavg()[0]


def cli_run(instance: Path, threads: int, limit: float | None, extra: tuple = ()) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "yrdopt.cli", "solve", str(instance), "-o", tmp, "-q", "--threads", str(threads),
               *extra]
        if limit is not None:
            cmd += ["--time-limit", str(limit)]
        la = load()
        t0 = time.perf_counter()
        proc = subprocess.run(cmd, capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if not (Path(tmp) / "summary.json").exists():
            return {"error": proc.stderr[-400:] or proc.stdout[-400:], "wall_s": wall, "load": la}
        s = json.loads((Path(tmp) / "summary.json").read_text())
    return {"wall_s": wall, "load": la, "exit": proc.returncode, "status": s["status"], "objective": s["objective"],
            "gap": s["gap"], "verified": s["verified"], "timings": s["timings"],
            "myopic": s.get("myopic"), "binaries": s["model"]["binaries"], "profile": s["solver"].get("profile")}


def no_start_run(instance: Path, threads: int, limit: float | None) -> dict:
    la = load()
    t0 = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", NO_START, str(instance), str(threads), str(limit or "none")],
                          capture_output=True, text=True, cwd=ROOT)
    wall = time.perf_counter() - t0
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": proc.stderr[-400:], "wall_s": wall, "load": la}
    return {"wall_s": wall, "load": la, **json.loads(lines[-1])}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--cities", action="store_true", help="also yrd-cities-2035 (one CLI run at --limit)")
    ap.add_argument("--limit", type=float, default=300.0, help="time limit of the cities run")
    ap.add_argument("--no-baseline", action="store_true", help="skip the baseline (HiGHS's default profile)")
    ap.add_argument("--render", action="store_true", help="only redraw results/phased.md from results/phased.json")
    args = ap.parse_args()
    if args.render:
        return render(json.loads((RESULTS / "phased.json").read_text()))
    import highspy  # noqa: F401 - version only
    from importlib.metadata import version

    out = {"versions": {p: version(p) for p in ("yrdopt", "highspy", "numpy", "scipy")}, "threads": args.threads,
           "cpus": os.cpu_count(), "runs": []}
    prov = ROOT / "instances" / "yrd-provinces-2035.yaml"
    for i in range(args.repeat):
        if not args.no_baseline:
            r = cli_run(prov, args.threads, None, ("--presolve", "on"))
            out["runs"].append({"instance": prov.stem, "variant": BASELINE, **r})
            print(json.dumps(out["runs"][-1]), flush=True)
        r = cli_run(prov, args.threads, None)
        out["runs"].append({"instance": prov.stem, "variant": "yrdopt solve (whole command)", **r})
        print(json.dumps(out["runs"][-1]), flush=True)
        r = no_start_run(prov, args.threads, None)
        out["runs"].append({"instance": prov.stem, "variant": "joint MILP alone (no myopic start)", **r})
        print(json.dumps(out["runs"][-1]), flush=True)
    if args.cities:
        cities = ROOT / "instances" / "yrd-cities-2035.yaml"
        r = cli_run(cities, args.threads, args.limit)
        out["runs"].append({"instance": cities.stem, "variant": f"yrdopt solve --time-limit {args.limit:g}", **r})
        print(json.dumps(out["runs"][-1]), flush=True)
    RESULTS.mkdir(exist_ok=True)
    write_json(RESULTS / "phased.json", out)
    render(out)


def render(out: dict) -> None:
    """results/phased.md: each run's ratio to the baseline run of the same repeat (the one before it)."""
    lines = [f"threads {out['threads']}, {out['cpus']} cpus, " + ", ".join(f"{k} {v}" for k, v in out["versions"].items()),
             "", "| instance | variant | wall s | ratio to baseline | status | gap | verified | load |",
             "|---|---|---|---|---|---|---|---|"]
    base = {}
    for r in out["runs"]:
        if r["variant"] == BASELINE:
            base[r["instance"]] = r["wall_s"]
        ratio = f"{r['wall_s'] / base[r['instance']]:.2f}" if r["instance"] in base else ""
        gap = f"{r['gap']:.2e}" if r.get("gap") is not None else "n/a"
        lines.append(f"| {r['instance']} | {r['variant']} | {r['wall_s']:.1f} | {ratio} | {r.get('status', r.get('error'))} "
                     f"| {gap} | {r.get('verified')} | {r['load']:.1f} |")
    (RESULTS / "phased.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()

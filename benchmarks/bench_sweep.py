"""Sweep throughput, in one run (issue 5):

1. 4-province instance (the embedded default): scenarios per second for
   - in-place re-solve without MIP start,
   - in-place re-solve with MIP start (the previous scenario's layout) -- the sweep's default,
   - the same with HiGHS's default options (``profile: highs``), to show what the sweep's
     re-solve profile (``SolverOptions.for_resolves``) contributes,
   - rebuild with the fast path (validate, ModelData, compile arrays, one passModel, solve),
   - a plain Pyomo rebuild-per-scenario loop (``build_pyomo`` + HiGHS through Pyomo's
     appsi interface with HiGHS's defaults: what an analyst would otherwise write),
   - the same Pyomo loop given the sweep's HiGHS options (the machinery alone);
   and the time spent outside HiGHS in each.
   The same four loops on the small test instance (30 ms solves), where the machinery
   around HiGHS is visible.
2. 41-city instance: time outside HiGHS as a share of HiGHS's solve time for in-place
   re-solves (with and without the independent check of every layout).
3. Process pool: throughput with 2 workers over 1 (same sweep, same chunks).

Every loop solves the same scenarios (a seeded Latin hypercube over numbers-only
parameters) with one HiGHS thread.  Usage::

    python benchmarks/bench_sweep.py [--scenarios 12] [--city-scenarios 4] [--pool-scenarios 64] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

PARAMS = [
    {"path": "regions[*].quotas.land", "name": "land", "scale": [0.85, 1.25]},
    {"path": "weights.distance", "name": "distance_weight", "scale": [0.5, 2.0]},
    {"path": "economic_distance.component_weights.labour", "name": "labour", "scale": [0.5, 2.0]},
    {"path": "chains[id=nev].segments[id=manufacturing].activity", "name": "nev_mfg", "scale": [0.85, 1.15]},
]


# the small feature-complete test instance: solves take ~30 ms, so the machinery shows
SMALL = ROOT / "tests" / "data" / "toy_features.yaml"
SMALL_PARAMS = [
    {"path": "regions[*].quotas.land", "name": "land", "scale": [0.9, 1.3]},
    {"path": "weights.distance", "name": "distance_weight", "scale": [0.5, 2.0]},
    {"path": "economic_distance.component_weights.labour", "name": "labour", "scale": [0.5, 2.0]},
    {"path": "chains[id=ic].segments[id=fab].activity", "name": "fab", "scale": [0.9, 1.15]},
]


def spec_for(instance: str | None, n: int, time_limit: float, gap: float, params=None, **extra) -> dict:
    return {"name": "bench", "instance": instance, "parameters": params or PARAMS,
            "design": {"kind": "latin_hypercube", "samples": n, "seed": 1, "include_base": False},
            "solver": {"time_limit": time_limit, "mip_gap": gap, "threads": 1}, "check": False,
            "chunk_size": 10_000, "robust": {"enabled": False}, **extra}


def in_place_loop(spec: dict, mip_start: bool, check: bool = False, profile: str = "auto") -> dict:
    from yrdopt.sweep import prepare
    from yrdopt.sweep.worker import Context, ScenarioSolver

    spec = {**spec, "solver": {**spec["solver"], "mip_start": mip_start, "profile": profile}, "check": check}
    spec_m, inst, base, resolved, ihash, scenarios = prepare(spec)
    ctx = Context.for_spec(spec_m, base, "bench", check=check)
    ws = ScenarioSolver(ctx)
    ws.begin_chunk()
    t0 = time.perf_counter()
    recs = [ws.solve(sc) for sc in scenarios]
    wall = time.perf_counter() - t0
    highs = sum(r.get("solve_s", 0.0) for r in recs)
    return {"scenarios": len(recs), "wall_s": wall, "per_s": len(recs) / wall, "highs_s": highs,
            "outside_s": wall - highs, "outside_share": (wall - highs) / highs,
            "check_s": sum(r.get("check_s", 0.0) for r in recs),
            "updates": sorted({r.get("update") for r in recs}), "status": _count(recs),
            "profile": ws.profile,
            "objectives": [r.get("objective") for r in recs]}


def rebuild_loop(spec: dict) -> dict:
    from yrdopt.data import build_model_data
    from yrdopt.model.compiled import build
    from yrdopt.solver import HighsSolver
    from yrdopt.sweep import prepare
    from yrdopt.sweep.apply import scenario_dict, validate_instance

    spec_m, inst, base, resolved, ihash, scenarios = prepare(spec)
    so = spec_m.solver
    t0 = time.perf_counter()
    highs, objs = 0.0, []
    for sc in scenarios:
        d = build_model_data(validate_instance(scenario_dict(base, resolved, sc.values), "s"))
        cm = build(d)
        solver = HighsSolver(so.solver_options(int(cm.integrality.sum())))  # the sweep's options
        solver.load(cm)
        res = solver.solve()
        highs += res.solve_s
        objs.append(res.objective)
    wall = time.perf_counter() - t0
    return {"scenarios": len(scenarios), "wall_s": wall, "per_s": len(scenarios) / wall, "highs_s": highs,
            "outside_s": wall - highs, "objectives": objs}


def pyomo_loop(spec: dict, sweep_options: bool = False) -> dict:
    """Rebuild the Pyomo twin per scenario; HiGHS's defaults, or (``sweep_options``) the very
    HiGHS options the sweep's in-place loop runs with."""
    from yrdopt.data import build_model_data
    from yrdopt.model.compiled import build
    from yrdopt.model.pyomo_model import solve_pyomo
    from yrdopt.sweep import prepare
    from yrdopt.sweep.apply import scenario_dict, validate_instance

    spec_m, inst, base, resolved, ihash, scenarios = prepare(spec)
    so = spec_m.solver
    extra = {}
    if sweep_options:
        binaries = int(build(build_model_data(inst)).integrality.sum())
        opts = so.solver_options(binaries).highs_options()
        extra = {k: v for k, v in opts.items() if k not in ("output_flag", "log_to_console")}
    t0 = time.perf_counter()
    build_s = solve_s = 0.0
    objs = []
    for sc in scenarios:
        d = build_model_data(validate_instance(scenario_dict(base, resolved, sc.values), "s"))
        r = solve_pyomo(d, time_limit=so.time_limit, mip_gap=so.mip_gap, threads=1, highs_options=extra)
        build_s += r.build_s
        solve_s += r.solve_s
        objs.append(r.objective)
    wall = time.perf_counter() - t0
    return {"scenarios": len(scenarios), "wall_s": wall, "per_s": len(scenarios) / wall, "build_s": build_s,
            "handoff_and_solve_s": solve_s, "objectives": objs}


def pool_scaling(spec: dict) -> dict:
    import yrdopt.sweep as sw

    out = {}
    for w in (1, 2):
        spec_w = {**spec, "chunk_size": 2}
        with tempfile.TemporaryDirectory() as tmp:
            firsts: list[float] = []
            import resource

            cpu0 = resource.getrusage(resource.RUSAGE_CHILDREN)
            t0 = time.perf_counter()

            def progress(p, t0=t0):
                if p.new and not firsts:
                    firsts.append(time.perf_counter() - t0)

            df = sw.run(spec_w, out=Path(tmp) / "o", workers=w, backend="processes", progress=progress)
            wall = time.perf_counter() - t0
            cpu1 = resource.getrusage(resource.RUSAGE_CHILDREN)  # the pool's workers, reaped at shutdown
        cores = (cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime) / wall
        n = len(df)
        out[w] = {"scenarios": n, "wall_s": wall, "per_s": n / wall, "first_result_s": firsts[0] if firsts else None,
                  "steady_per_s": (n - 1) / (wall - firsts[0]) if firsts else None,
                  "highs_s": float(df["solve_s"].sum()), "cores_obtained": cores}
    out["speedup"] = out[2]["per_s"] / out[1]["per_s"]
    if out[1]["steady_per_s"] and out[2]["steady_per_s"]:
        out["steady_speedup"] = out[2]["steady_per_s"] / out[1]["steady_per_s"]
    return out


LOOPS = ("in_place_no_start", "in_place_mip_start", "in_place_highs_defaults", "rebuild_fast_path",
         "pyomo_loop", "pyomo_loop_sweep_options")


def all_loops(spec: dict) -> dict:
    r = {"in_place_no_start": in_place_loop(spec, False), "in_place_mip_start": in_place_loop(spec, True),
         "in_place_highs_defaults": in_place_loop(spec, True, profile="highs"),
         "rebuild_fast_path": rebuild_loop(spec), "pyomo_loop": pyomo_loop(spec),
         "pyomo_loop_sweep_options": pyomo_loop(spec, sweep_options=True)}
    r["ratio_vs_pyomo"] = {k: r[k]["per_s"] / r["pyomo_loop"]["per_s"] for k in LOOPS[:4]}
    r["ratio_vs_pyomo_same_options"] = {k: r[k]["per_s"] / r["pyomo_loop_sweep_options"]["per_s"]
                                        for k in ("in_place_no_start", "in_place_mip_start", "rebuild_fast_path")}
    return r


def _count(recs):
    c: dict[str, int] = {}
    for r in recs:
        c[r["status"]] = c.get(r["status"], 0) + 1
    return c


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--scenarios", type=int, default=12, help="4-province scenarios per loop")
    ap.add_argument("--small-scenarios", type=int, default=60, help="scenarios per loop on the small instance")
    ap.add_argument("--city-scenarios", type=int, default=4)
    ap.add_argument("--city-time-limit", type=float, default=10.0)
    ap.add_argument("--pool-scenarios", type=int, default=64)
    ap.add_argument("--skip", default="", help="comma list of parts to skip: provinces,small,cities,pool")
    ap.add_argument("--json", type=Path)
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    with open("/proc/loadavg") as fh:
        load = fh.read().split()[:3]
    report: dict = {"machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0], "platform": platform.platform(),
                                "loadavg_at_start": load}}
    if "provinces" not in skip:
        r = report["provinces_4"] = all_loops(spec_for(None, a.scenarios, time_limit=60, gap=1e-4))
        print(_fmt_provinces(r, "4-province instance (embedded default)"), flush=True)
    if "small" not in skip:
        r = report["small_toy"] = all_loops(spec_for(str(SMALL), a.small_scenarios, time_limit=60, gap=1e-4,
                                                      params=SMALL_PARAMS))
        print(_fmt_provinces(r, "small instance (tests/data/toy_features.yaml)"), flush=True)
    if "cities" not in skip:
        spec = spec_for(str(ROOT / "instances" / "yrd-cities.yaml"), a.city_scenarios,
                        time_limit=a.city_time_limit, gap=0.01)
        r = {"no_check": in_place_loop(spec, True, check=False), "with_check": in_place_loop(spec, True, check=True)}
        report["cities_41"] = r
        for k, v in r.items():
            print(f"41 cities, in place, {k}: {v['scenarios']} scenarios, HiGHS {v['highs_s']:.2f} s, outside HiGHS "
                  f"{v['outside_s']:.3f} s = {100 * v['outside_share']:.2f} % of solve time "
                  f"(check {v['check_s']:.2f} s); status {v['status']}", flush=True)
    if "pool" not in skip:
        spec = spec_for(None, a.pool_scenarios, time_limit=60, gap=1e-4)
        r = pool_scaling(spec)
        report["pool"] = r
        print(f"process pool, {a.pool_scenarios} 4-province scenarios: 1 worker {r[1]['per_s']:.3f}/s, "
              f"2 workers {r[2]['per_s']:.3f}/s -> {r['speedup']:.2f}x (after the first result: "
              f"{r.get('steady_speedup', float('nan')):.2f}x); CPU the workers obtained: {r[1]['cores_obtained']:.2f} "
              f"vs {r[2]['cores_obtained']:.2f} cores; HiGHS s/scenario {r[1]['highs_s'] / r[1]['scenarios']:.2f} vs "
              f"{r[2]['highs_s'] / r[2]['scenarios']:.2f}", flush=True)
    with open("/proc/loadavg") as fh:
        report["machine"]["loadavg_at_end"] = fh.read().split()[:3]
    print(f"load average at start {load}, at end {report['machine']['loadavg_at_end']} on {os.cpu_count()} CPUs")
    if a.json:
        a.json.write_text(json.dumps(report, indent=1, default=str))


def _fmt_provinces(r: dict, title: str) -> str:
    lines = [f"{title}, scenarios per second (sweep profile: {r['in_place_mip_start']['profile']}):"]
    for k in LOOPS:
        v = r[k]
        extra = ""
        if "outside_s" in v:
            extra = f"; HiGHS {v['highs_s']:.2f} s, outside HiGHS {v['outside_s']:.3f} s"
        if "build_s" in v:
            extra = f"; Pyomo build {v['build_s']:.2f} s, hand-off+solve {v['handoff_and_solve_s']:.2f} s"
        ratio, same = r["ratio_vs_pyomo"].get(k), r["ratio_vs_pyomo_same_options"].get(k)
        lines.append(f"  {k:24s} {v['per_s']:7.3f}/s  ({v['scenarios']} in {v['wall_s']:.2f} s{extra})"
                     + (f"  = {ratio:.2f}x Pyomo loop" if ratio else "")
                     + (f", {same:.2f}x Pyomo loop with the same options" if same else ""))
    return "\n".join(lines)


if __name__ == "__main__":
    main()

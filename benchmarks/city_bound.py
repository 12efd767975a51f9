"""City scale, the bound side (issue 13): what each strengthening of the relaxation proves.

    python benchmarks/city_bound.py [--cases x1,x2] [--configs default,knapsack,...] [--limit 120]
        [--seeds 0,1,2] [--parallel 2]

Every configuration starts as ``api.solve`` does (the greedy start, or where it gets stuck the
start of ``lns.construct``) from today's default build (``api.SOLVE_BUILD``, the co-located quota
rows, on models as large as 41x10x3) and differs only in the model rows, columns or HiGHS settings
below, each in a fresh process, one thread, the same time limit, in one run (``--parallel 2``: two
side by side, so that the variants share the load).  The machine is shared: the load
average (``os.getloadavg``) is recorded before and after each process, and the CPU seconds
beside the wall seconds; only same-run ratios mean anything.  Reported per configuration: the
LP bound, HiGHS's bound and best layout at 10, 20, 30, 60 and 120 s, wall and CPU (from its progress callback), the
final status and when (wall and CPU seconds) the gap reached 1 % and 1e-4.

Cases: yrd-cities at exact shares of the provincial quotas (x1, shipped since issue 13; built by
``instances/build.py --city-headroom 1``), at twice them (x2, shipped before), generated 41x10x3 and 41x30x4 seed 1.

Writes benchmarks/results/city-bound.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_scale import materialise  # noqa: E402
from common import RESULTS, fmt, machine, write_json  # noqa: E402

CASES = {
    "x1": ("yrd-cities x1 (exact shares)", "cities-x1"),
    "x2": ("yrd-cities x2 (shipped until issue 13)", "cities-x2"),
    "g41x10x3": ("generated 41x10x3 seed 1", "gen:41:10:3:1"),
    "g41x30x4": ("generated 41x30x4 seed 1", "gen:41:30:4:1"),
}
# name: (BuildOptions.packing, extra HiGHS options[, further BuildOptions fields])
CONFIGS: dict[str, tuple] = {
    "default": ((), {}),
    "knapsack": (("knapsack",), {}),
    "min_sites": (("min_sites",), {}),
    "cover": (("cover",), {}),
    "all_rows": (("knapsack", "min_sites", "cover"), {}),
    "heuristic_0.3": ((), {"mip_heuristic_effort": 0.3}),
    "heuristic_0.02": ((), {"mip_heuristic_effort": 0.02}),
    "pool_soft_20000": ((), {"mip_pool_soft_limit": 20000}),
    "lp_age_40": ((), {"mip_lp_age_limit": 40}),
    "chain_lagrangian": ((), {}),  # not HiGHS: yrdopt.chain_bound's column generation, within the limit
    # integer site counts for HiGHS to branch on (model/site_counts.py): a column N_s = sum_r y_sr;
    # its lower bound raised to the fewest sites (the min_sites rounding on the column only); that and
    # the min_sites row too; the excess-sites column o_s integer instead
    "count": ((), {}, {"site_count_branching": "count"}),
    "count_floor": ((), {}, {"site_count_branching": "count_floor"}),
    "count_floor_min_sites": (("min_sites",), {}, {"site_count_branching": "count_floor"}),
    "excess": ((), {}, {"site_count_branching": "excess"}),
    # pair rows for single-site segments (model/single_site_pairs.py): those the LP violates, three
    # rounds of our own LP after the build; their CPU seconds count in the solve's
    "single_site_pairs": ((), {}),
}
MARKS = (10.0, 20.0, 30.0, 60.0, 120.0)


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def lp_bound(cm) -> float | None:
    from dataclasses import replace

    import numpy as np

    from yrdopt.solver import HighsSolver, SolverOptions

    s = HighsSolver(SolverOptions(threads=1, presolve="off"))
    s.load(replace(cm, integrality=np.zeros_like(cm.integrality)))
    return s.solve().objective


def one(path: str, limit: float, config: str, seed: int = 0, cpu_limit: float = 0.0) -> dict:
    """One solve; ``cpu_limit`` > 0 also stops HiGHS (through its callback) once this process has
    used that many CPU seconds: under load the wall limit alone leaves runs at unequal CPU."""
    from yrdopt.api import CONSTRUCT_S
    from yrdopt.heuristic import greedy_start
    from yrdopt.io import load_instance
    from yrdopt.lns import start_where_greedy_is_stuck
    from yrdopt.model.compiled import BuildOptions, build
    from yrdopt.solver import HighsSolver, SolverOptions

    from dataclasses import replace

    from yrdopt.api import CONCURRENT_LNS_MIN_COLUMNS, SOLVE_BUILD, live_columns

    packing, highs, fields = (*CONFIGS[config], {})[:3]
    inst = load_instance(path)
    # today's default build as solve's (api.search_model): the co-located quota rows on large models
    base = SOLVE_BUILD if live_columns(build(inst)) > CONCURRENT_LNS_MIN_COLUMNS else BuildOptions()
    cm = build(inst, replace(base, packing=packing, **fields))
    out = {"rows": cm.n_rows, "lp": None if config == "single_site_pairs" else lp_bound(cm)}
    t0, c0 = time.perf_counter(), cpu_s()
    if config == "single_site_pairs":  # separated within the solve's CPU seconds; its last LP is the LP
        from yrdopt.model.single_site_pairs import separate, with_rows

        sep = separate(cm, rounds=3, time_limit=limit)
        cm = with_rows(cm, sep.rows)
        out.update(rows=cm.n_rows, lp=sep.lp[-1] if sep.lp else None, lp_rounds=sep.lp, pair_rows=sep.added,
                   separation_cpu_s=cpu_s() - c0)
    if config == "chain_lagrangian":
        from yrdopt.chain_bound import chain_dw_bound

        cb = chain_dw_bound(cm.data, iterations=1000, time_limit=limit)
        out.update(status="bound only", bound=cb.bound, master=cb.master, iterations=cb.iterations,
                   wall_s=time.perf_counter() - t0, cpu_s=cpu_s() - c0)
        return out
    start = greedy_start(cm)
    if start is None:
        start = start_where_greedy_is_stuck(cm, min(CONSTRUCT_S, 0.25 * limit))
    out["start"] = None if start is None else float(cm.cost @ start)
    trace: list[tuple[float, float, float | None, float | None]] = []

    stop = threading.Event()

    def progress(_elapsed, best, bound, _gap):
        trace.append((time.perf_counter() - t0, cpu_s() - c0, best, bound))
        if cpu_limit > 0 and trace[-1][1] >= cpu_limit:
            stop.set()

    highs = dict(highs)
    effort = highs.pop("mip_heuristic_effort", None)  # yrdopt's own option, not a raw HiGHS one
    s = HighsSolver(SolverOptions(time_limit=max(limit - (time.perf_counter() - t0), 1.0), threads=1, seed=seed,
                                  mip_heuristic_effort=effort, highs=highs),
                    progress=progress, stop=stop)
    s.load(cm)
    res = s.solve(start)
    wall, cpu = time.perf_counter() - t0, cpu_s() - c0
    trace.append((wall, cpu, res.objective, res.bound))
    out.update(status=res.status, objective=res.objective, bound=res.bound, gap=res.gap, nodes=res.nodes,
               wall_s=wall, cpu_s=cpu)
    for mark in MARKS:
        seen = [t for t in trace if t[0] <= mark]
        if seen and mark <= wall + 1e-9:
            out[f"at_{mark:g}s"] = {"best": seen[-1][2], "bound": seen[-1][3]}
        seen = [t for t in trace if t[1] <= mark]  # the same at CPU seconds: less sensitive to the load
        if seen and mark <= cpu + 1e-9:
            out[f"at_cpu_{mark:g}s"] = {"best": seen[-1][2], "bound": seen[-1][3]}
    for name, tol in (("gap_1pct", 1e-2), ("optimal", 1e-4)):
        hit = next((t for t in trace if t[2] is not None and t[3] is not None
                    and t[2] - t[3] <= tol * abs(t[2])), None)
        out[f"{name}_at"] = None if hit is None else {"wall_s": hit[0], "cpu_s": hit[1]}
    kept, last = [], -1e9
    for t in trace:  # (wall s, CPU s, best, bound) about every 2 s, for CPU-time comparisons
        if t[0] - last >= 2.0 or t is trace[-1]:
            kept.append([round(t[0], 2), round(t[1], 2), t[2], t[3]])
            last = t[0]
    out["trace"] = kept
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", default="x1", help=f"comma-separated, of {','.join(CASES)}")
    ap.add_argument("--configs", default=",".join(CONFIGS), help="comma-separated, of " + ",".join(CONFIGS))
    ap.add_argument("--limit", type=float, default=120.0, help="seconds per solve (wall, from the start)")
    ap.add_argument("--seeds", default="0", help="HiGHS random seeds, comma-separated: each config runs once per seed")
    ap.add_argument("--parallel", type=int, default=1, help="solves side by side (each its own process)")
    ap.add_argument("--out", default="city-bound", help="results file stem under benchmarks/results")
    ap.add_argument("--cpu-limit", type=float, default=0.0,
                    help="also stop each solve after this many CPU seconds (0: the wall limit only)")
    ap.add_argument("--one", nargs=5, metavar=("INSTANCE", "LIMIT", "CONFIG", "SEED", "CPU_LIMIT"), help=argparse.SUPPRESS)
    ap.add_argument("--table", metavar="STEM", help="only rewrite results/STEM.md from results/STEM.json")
    a = ap.parse_args()
    if a.table:
        write_markdown(json.loads((RESULTS / f"{a.table}.json").read_text()), a.table)
        return 0
    if a.one:
        print(json.dumps(one(a.one[0], float(a.one[1]), a.one[2], int(a.one[3]), float(a.one[4]))))
        return 0
    configs = a.configs.split(",")
    out = {"machine": machine(), "threads": 1, "limit_s": a.limit, "cpu_limit_s": a.cpu_limit, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for key in a.cases.split(","):
            name, spec = CASES[key]
            path = materialise(spec, Path(tmp))
            out["cases"][name] = {}
            runs = [(c, sd) for sd in a.seeds.split(",") for c in configs]

            def run(cfg_seed, path=path):
                cfg, seed = cfg_seed
                load0 = os.getloadavg()[0]
                p = subprocess.run([sys.executable, __file__, "--one", str(path), str(a.limit), cfg, seed, str(a.cpu_limit)],
                                   capture_output=True, text=True, timeout=a.limit * 3 + 120)
                try:
                    res = json.loads(p.stdout.strip().splitlines()[-1])
                except (IndexError, json.JSONDecodeError):
                    res = {"error": p.stderr[-2000:]}
                res["load"] = [round(load0, 2), round(os.getloadavg()[0], 2)]
                return res

            # --parallel 2: two solves side by side (the variants see the same load; compare CPU seconds)
            with ThreadPoolExecutor(max_workers=a.parallel) as pool:
                for (cfg, seed), res in zip(runs, pool.map(run, runs)):
                    label = cfg if a.seeds == "0" else f"{cfg} seed {seed}"
                    out["cases"][name][label] = res
                    at60 = res.get("at_60s") or {}
                    print(f"{name:30s} {label:20s} lp={fmt(res.get('lp'), '.6g')} 60s: {fmt(at60.get('best'), '.6g')}"
                          f"/{fmt(at60.get('bound'), '.6g')} end: {res.get('status')} {fmt(res.get('objective'), '.6g')}"
                          f"/{fmt(res.get('bound'), '.6g')} opt@{(res.get('optimal_at') or {}).get('wall_s')} "
                          f"load {res['load']}", flush=True)
                    write_json(RESULTS / f"{a.out}.json", out)
    write_markdown(out, a.out)
    return 0


def _pct(best, bound) -> str:
    return "—" if best is None or bound is None else f"{100 * (best - bound) / abs(best):.2f} %"


def write_markdown(out: dict, stem: str = "city-bound") -> None:
    from yrdopt.io import atomic_write_text

    m = out["machine"]
    lines = [f"# City scale, bound side (issue 13): 1 thread, HiGHS {m.get('highs')}, limit {out['limit_s']:g} s", "",
             "Shared 2-core machine: the load average before/after each process is listed; wall times are "
             "pessimistic and noisy, CPU seconds less so. `at 60 s` = best layout / bound / gap at 60 s wall; "
             "`1 %` and `opt` = wall (CPU) seconds when the gap reached 1 % and 1e-4.", "",
             "| case | config | LP | bound at 10 / 20 / 30 / 60 / 120 CPU-s | at 60 s best / bound / gap | at 30 / 120 CPU-s gap | end: status best / bound (gap) at CPU-s | 1 % at | opt at | nodes | load |",
             "|---|---|---:|---|---|---:|---|---:|---:|---:|---|"]

    def when(r, key):
        v = r.get(key)
        return "—" if not v else f"{v['wall_s']:.0f} s ({v['cpu_s']:.0f})"

    for name, case in out["cases"].items():
        for cfg, r in case.items():
            a60 = r.get("at_60s") or {}
            cpu_bounds = " / ".join(fmt((r.get(f"at_cpu_{c}s") or {}).get("bound"), ".6g") for c in (10, 20, 30, 60, 120))
            c30 = next(({"best": t[2], "bound": t[3]} for t in reversed(r.get("trace") or [])
                        if t[1] <= 30 and r.get("cpu_s", 0) >= 30), {})
            c120 = r.get("at_cpu_120s") or {}
            lines.append(
                f"| {name} | {cfg} | {fmt(r.get('lp'), '.6g')} | {cpu_bounds} | "
                f"{fmt(a60.get('best'), '.6g')} / {fmt(a60.get('bound'), '.6g')} / {_pct(a60.get('best'), a60.get('bound'))} | "
                f"{_pct(c30.get('best'), c30.get('bound'))} / {_pct(c120.get('best'), c120.get('bound'))} | "
                f"{r.get('status', r.get('error', '')[:50])} {fmt(r.get('objective'), '.6g')} / {fmt(r.get('bound'), '.6g')} "
                f"({_pct(r.get('objective'), r.get('bound'))}) at {fmt(r.get('cpu_s'), '.0f')} | "
                f"{when(r, 'gap_1pct_at')} | {when(r, 'optimal_at')} | {r.get('nodes')} | {r.get('load')} |")
    atomic_write_text(RESULTS / f"{stem}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

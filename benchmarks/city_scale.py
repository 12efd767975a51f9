"""City scale (issue 13): what each method proves at the time limits the issue sets.

    python benchmarks/city_scale.py [--threads 1] [--quick] [--cases NAME...] [--configs NAME...]

Cases: yrd-cities at exact shares of the provincial quotas (x1, shipped since issue 13; built with
``instances/build.py --city-headroom 1``) and at twice them (x2, shipped before), 60 s; generated 41x10x3 and
41x30x4 (seed 1), 120 s, and 41x30x4 at 10 s (is there a bound?).  Configurations, each in a
fresh process, in one run (the machine is shared, so only same-run ratios mean anything):

* ``greedy``  — the path before issue 13: greedy MIP start (when the greedy finds one), HiGHS;
* ``default`` — ``api.solve`` now: as ``greedy``, but where the greedy gets stuck the start of
  ``lns.construct`` (at most 15 s and a quarter of the limit), HiGHS for the rest, with
  fix-and-optimize during its search, the bound without flows, a shorter root set-up and, under
  a limit of at least 30 s, a start improved by kernel search (``yrdopt.kernel_search``) on
  models above 2,500 binaries;
* ``no-kernel`` — ``default`` without the kernel search (``api.solve(kernel_search=0)``), for
  same-run ratios;
* ``lns``     — the greedy improved by chain-group fix-and-optimize (``yrdopt.lns``) for a
  half of the limit (where the greedy gets stuck, first a packing sub-MILP: `lns.construct`), then
  HiGHS for the rest;
* ``main``    — ``default`` as it was before fix-and-optimize during the search, the bound without
  flows and the shorter root set-up (HiGHS's feasibility jump and symmetry detection on), for
  same-run ratios;
* ``flow-free`` — ``default`` with the bound of the relaxation without flows as it was before its
  Benders cuts (its MILP with two rows per link, within 1 s and a tenth of what is left), for
  same-run ratios;
* ``search-lns`` — ``api.solve(search_lns=0.5)``: half of HiGHS's search goes to fix-and-optimize
  from HiGHS's incumbent between its callbacks (``lns.SearchLns``), better layouts handed back
  through the user-solution callback (``default`` does this above 2,500 binaries).

Every configuration but ``greedy`` runs through ``api.solve`` (the time limit covers building,
the start, HiGHS, the polish and the check, counted from the call; the checker verifies the
layout); ``wall_s`` is the whole call.

Writes benchmarks/results/city-scale.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, fmt, machine, write_json  # noqa: E402

REPO = ROOT.parent
CASES = {  # name: (instance, time limit s)
    "yrd-cities x1 (exact shares, shipped)": ("cities-x1", 60.0),
    "yrd-cities x2 (shipped until issue 13)": ("cities-x2", 60.0),
    "generated 41x10x3 seed 1": ("gen:41:10:3:1", 120.0),
    "generated 41x30x4 seed 1": ("gen:41:30:4:1", 120.0),
    "generated 41x30x4 seed 1, 10 s": ("gen:41:30:4:1", 10.0),
    "generated 41x30x4 seed 1, 30 s": ("gen:41:30:4:1", 30.0),
}
CONFIGS = {"greedy": "greedy", "main": "main", "default": "default", "lns": "lns", "search-lns": "search-lns",
           "flow-free": "flow-free", "no-kernel": "no-kernel", "highs-threads": "highs-threads",
           "concurrent": "concurrent", "colocated": "colocated", "no-colocated": "no-colocated"}
SOLVE_KW = {"main": {"search_lns": 0.0, "kernel_search": 0.0}, "default": {}, "lns": {"improve_s": "half"},
            "search-lns": {"search_lns": 0.5}, "flow-free": {}, "no-kernel": {"kernel_search": 0.0},
            "highs-threads": {"threads": None}, "concurrent": {"concurrent_lns": True},
            "colocated": {"colocated": True}, "no-colocated": {"colocated": False}}
# "highs-threads": as `yrdopt solve` without --threads (HiGHS's own count: 2 MIP workers on 2 cores),
# whatever --threads says; "concurrent": the fix-and-optimize in a thread beside HiGHS (lns.ConcurrentLns)
# "main": HiGHS's set-up as before ROOT_SOON, no relaxation bound
MAIN_HIGHS = {"mip_heuristic_run_feasibility_jump": True, "mip_detect_symmetry": True}


def materialise(spec: str, tmp: Path) -> Path:
    if spec.startswith("cities-x"):  # yrd-cities with city quotas at H x their share
        H = spec.removeprefix("cities-x")
        out = tmp / f"x{H}"
        if not out.exists():
            subprocess.run([sys.executable, str(REPO / "instances" / "build.py"), "--out", str(out),
                            "--city-headroom", H], check=True, capture_output=True)
        return out / "instances" / "yrd-cities.yaml"
    if spec.startswith("gen:"):
        R, C, S, seed = spec.split(":")[1:]
        path = tmp / f"g{R}x{C}x{S}s{seed}.yaml"
        if not path.exists():
            from yrdopt.generate import generate_dict, write_generated

            path = write_generated(generate_dict(int(R), int(C), int(S), int(seed)), path)
        return path
    return Path(spec)


def one(path: str, limit: float, mode: str, threads: int) -> dict:
    from yrdopt.api import CONSTRUCT_S
    from yrdopt.heuristic import greedy_start
    from yrdopt.io import load_instance
    from yrdopt.lns import improved_start, start_where_greedy_is_stuck
    from yrdopt.model.compiled import build
    from yrdopt.solver import HighsSolver, SolverOptions

    t0 = time.perf_counter()
    if mode in SOLVE_KW:
        import yrdopt.api
        from yrdopt.api import solve

        kw = {k: (0.5 * limit if v == "half" else v) for k, v in SOLVE_KW[mode].items()}
        if mode == "flow-free":
            import yrdopt.model.logistics_bound

            yrdopt.model.logistics_bound.CUT_ROUNDS = False
            yrdopt.api.RELAXED_BOUND_LONG_S = 0.0  # min(RELAXED_BOUND_S, a tenth of what is left), as before
        if mode == "main":
            yrdopt.api.RELAXED_BOUND_S = 0.0
            kw["options"] = SolverOptions(time_limit=limit, threads=threads, highs=MAIN_HIGHS)
        kw.setdefault("threads", threads)
        colocated = kw.pop("colocated", None)
        if colocated is not None:  # with or without the co-located quota rows (model/colocation.py)
            from yrdopt.model.compiled import BuildOptions

            kw["build_options"] = BuildOptions(colocated_quota=colocated)
        sol = solve(path, time_limit=limit, **kw)
        m = sol.summary
        return {"status": m["status"], "objective": m["objective"], "bound": m["bound"], "gap": m["gap"],
                "verified": m["verified"], "wall_s": time.perf_counter() - t0,
                "concurrent_lns": m["solver"].get("concurrent_lns")}
    cm = build(load_instance(path))
    start = greedy_start(cm)
    out = {"greedy": None if start is None else float(cm.cost @ start)}
    if mode == "default" and start is None:
        start = start_where_greedy_is_stuck(cm, min(CONSTRUCT_S, 0.25 * limit))
        out["constructed"] = None if start is None else float(cm.cost @ start)
    elif mode == "lns":
        start = improved_start(cm, 0.5 * limit)
        out["lns_start"] = None if start is None else float(cm.cost @ start)
    left = max(limit - (time.perf_counter() - t0), 1.0)
    s = HighsSolver(SolverOptions(time_limit=left, threads=threads))
    s.load(cm)
    res = s.solve(start)
    out.update(status=res.status, objective=res.objective, bound=res.bound, gap=res.gap, nodes=res.nodes,
               wall_s=time.perf_counter() - t0)
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--quick", action="store_true", help="first case only")
    ap.add_argument("--cases", nargs="*", help="case names (substrings) to run; default all")
    ap.add_argument("--configs", nargs="*", choices=list(CONFIGS), help="configurations to run; default all")
    ap.add_argument("--out", default="city-scale", help="results file stem under benchmarks/results")
    ap.add_argument("--one", nargs=3, metavar=("INSTANCE", "LIMIT", "MODE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], float(a.one[1]), a.one[2], a.threads)))
        return 0
    out = {"machine": machine(), "threads": a.threads, "cases": {}}
    cases = dict(list(CASES.items())[:1]) if a.quick else CASES
    if a.cases:
        cases = {k: v for k, v in cases.items() if any(c in k for c in a.cases)}
    configs = a.configs or list(CONFIGS)
    out["configs"] = configs
    with tempfile.TemporaryDirectory() as tmp:
        for name, (spec, limit) in cases.items():
            path = materialise(spec, Path(tmp))
            out["cases"][name] = {"limit_s": limit}
            for cfg in configs:
                mode = CONFIGS[cfg]
                p = subprocess.run([sys.executable, __file__, "--threads", str(a.threads), "--one", str(path),
                                    str(limit), mode], capture_output=True, text=True, timeout=limit * 3 + 120)
                try:
                    res = json.loads(p.stdout.strip().splitlines()[-1])
                except (IndexError, json.JSONDecodeError):
                    res = {"error": p.stderr[-2000:]}
                out["cases"][name][cfg] = res
                print(f"{name:34s} {cfg:8s} {res.get('status')} obj={fmt(res.get('objective'), '.7g')} "
                      f"bound={fmt(res.get('bound'), '.7g')} gap={fmt(res.get('gap'))} "
                      f"wall={fmt(res.get('wall_s'))}", flush=True)
                write_json(RESULTS / f"{a.out}.json", out)
    write_markdown(out, a.out)
    return 0


def write_markdown(out: dict, stem: str = "city-scale") -> None:
    from yrdopt.io import atomic_write_text

    m = out["machine"]
    lines = [f"# City scale (issue 13): {out['threads']} thread(s), HiGHS {m.get('highs')}", "",
             "Shared 2-core machine (other jobs running): timings are pessimistic and noisy. "
             "`start` = objective of the MIP start handed to HiGHS (greedy, constructed or LNS; — = none; "
             "not recorded for configurations run through `api.solve`); `wall` = the whole run.", "",
             "| case | limit | config | start | status | best layout | bound | gap | wall |",
             "|---|---:|---|---:|---|---:|---:|---:|---:|"]
    for name, case in out["cases"].items():
        for cfg in out.get("configs", CONFIGS):
            r = case.get(cfg, {})
            gap = r.get("gap")
            st = r.get("lns_start", r.get("constructed", r.get("greedy")))
            lines.append(f"| {name} | {case['limit_s']:g} s | {cfg} | {fmt(st, '.7g')} | "
                         f"{r.get('status', r.get('error', '')[:60])} | "
                         f"{fmt(r.get('objective'), '.7g')} | {fmt(r.get('bound'), '.7g')} | "
                         f"{'—' if gap is None else f'{100 * gap:.2f} %'} | {fmt(r.get('wall_s'), '.1f')} s |")
    atomic_write_text(RESULTS / f"{stem}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

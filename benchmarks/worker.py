"""One measurement in a fresh process; prints one JSON line.

    python benchmarks/worker.py fast  INSTANCE --time-limit T --threads N [--start greedy] [--flow-linking X]
    python benchmarks/worker.py pyomo INSTANCE --time-limit T --threads N [--no-solve]
    python benchmarks/worker.py api   INSTANCE --time-limit T --threads N --out DIR

``fast``: the production path (ModelData + arrays -> one passModel -> HiGHS).
``pyomo``: the Pyomo twin (yrdopt.model.pyomo_model.build_pyomo), handed to HiGHS through
Pyomo's persistent appsi interface (set_instance = hand-off), then solved.
``api``: ``yrdopt.api.solve(..., out=DIR)`` timed from outside, to compare with the
``summary.json`` it writes.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import peak_rss_mb, rss_mb  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("method", choices=["fast", "pyomo", "api"])
    ap.add_argument("instance")
    ap.add_argument("--time-limit", type=float, default=60.0)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--gap", type=float, default=1e-4)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--presolve", default="choose")
    ap.add_argument("--heuristic-effort", type=float, default=None)
    ap.add_argument("--flow-linking", default=None)
    ap.add_argument("--tighten", default=None, choices=[None, "on", "off"])
    ap.add_argument("--start", default="none", choices=["none", "greedy"])
    ap.add_argument("--no-solve", action="store_true")
    ap.add_argument("--out", default=None)
    a = ap.parse_args()

    from yrdopt.io import load_instance

    # import every library first, so "model memory" (peak minus RSS before building) is the
    # model's and the solver's, not numpy's or Pyomo's code
    import yrdopt.checker, yrdopt.model.compiled, yrdopt.solution, yrdopt.solver  # noqa: E401, F401
    if a.method == "pyomo":
        import pyomo.contrib.appsi.solvers  # noqa: F401
        import pyomo.environ  # noqa: F401

    t0 = time.perf_counter()
    inst = load_instance(a.instance)
    load_s = time.perf_counter() - t0
    rss0 = rss_mb()
    out = {"method": a.method, "load_s": load_s, "rss_before_build_mb": rss0}
    if a.method == "fast":
        out.update(run_fast(inst, a))
    elif a.method == "pyomo":
        out.update(run_pyomo(inst, a))
    else:
        out.update(run_api(inst, a))
    out["peak_rss_mb"] = peak_rss_mb()
    out["model_mem_mb"] = out["peak_rss_mb"] - rss0 if rss0 is not None else None
    print(json.dumps(out, default=float))


def _build_options(a):
    from yrdopt.model.compiled import BuildOptions

    kw = {}
    if a.flow_linking:
        kw["flow_linking"] = a.flow_linking
    if a.tighten is not None and "tighten_bounds" in BuildOptions.__dataclass_fields__:
        kw["tighten_bounds"] = a.tighten == "on"
    return BuildOptions(**kw)


def _solver_options(a):
    from yrdopt.solver import SolverOptions

    return SolverOptions(time_limit=a.time_limit, mip_gap=a.gap, threads=a.threads, seed=a.seed,
                         presolve=a.presolve, mip_heuristic_effort=a.heuristic_effort)


def run_fast(inst, a) -> dict:
    from yrdopt.model.compiled import build
    from yrdopt.solution import tables_from_x
    from yrdopt.solver import HighsSolver

    t0 = time.perf_counter()
    cm = build(inst, _build_options(a))
    build_s = time.perf_counter() - t0
    solver = HighsSolver(_solver_options(a))
    handoff_s = solver.load(cm)
    out = {"build_s": build_s, "handoff_s": handoff_s, "variables": cm.n_cols, "rows": cm.n_rows,
           "nonzeros": int(cm.A.nnz), "binaries": int(cm.integrality.sum())}
    start = None
    if a.start == "greedy":
        from yrdopt.heuristic import greedy_start

        t0 = time.perf_counter()
        start = greedy_start(cm)
        out["start_s"] = time.perf_counter() - t0
        out["start_objective"] = float(cm.cost @ start) if start is not None else None
    if a.no_solve:
        return out
    res = solver.solve(start)
    out.update({"solve_s": res.solve_s, "status": res.status, "objective": res.objective, "bound": res.bound,
                "gap": res.gap, "nodes": res.nodes})
    if res.x is not None:
        t0 = time.perf_counter()
        tables_from_x(cm, res.x)
        out["tables_s"] = time.perf_counter() - t0
        if cm.n_cols <= 2_000_000:  # the checker is allowed to be slower; time it where it is practical
            from yrdopt.checker import check_layout

            layout, flows, exps = tables_from_x(cm, res.x)
            t0 = time.perf_counter()
            rep = check_layout(inst, layout, flows, exps)
            out["check_s"] = time.perf_counter() - t0
            out["verified"] = bool(rep.verified and abs(rep.objective - res.objective) <= 1e-6 * max(1, abs(res.objective)))
    return out


def run_pyomo(inst, a) -> dict:
    from yrdopt.data import build_model_data
    from yrdopt.model.pyomo_model import build_pyomo  # ImportError -> the caller reports "not available"

    t0 = time.perf_counter()
    d = build_model_data(inst)
    m = build_pyomo(d, _build_options(a))
    build_s = time.perf_counter() - t0
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    opt.highs_options.update({"mip_rel_gap": a.gap, "output_flag": False, "threads": a.threads,
                              "random_seed": a.seed, "presolve": a.presolve})
    if a.time_limit is not None:
        opt.highs_options["time_limit"] = float(a.time_limit)
    opt.config.load_solution = False
    t0 = time.perf_counter()
    opt.set_instance(m)  # the hand-off: Pyomo walks the model and fills a highspy model
    handoff_s = time.perf_counter() - t0
    n_vars = sum(1 for _ in m.component_data_objects(ctype=__import__("pyomo.environ").environ.Var))
    out = {"build_s": build_s, "handoff_s": handoff_s, "variables": n_vars}
    if a.no_solve:
        return out
    # nothing changed since set_instance: tell appsi not to re-scan the model before solving
    uc = opt.update_config
    for k in ("check_for_new_or_removed_constraints", "check_for_new_or_removed_vars",
              "check_for_new_or_removed_params", "check_for_new_objective", "update_constraints",
              "update_vars", "update_params", "update_named_expressions", "update_objective"):
        setattr(uc, k, False)
    t0 = time.perf_counter()
    res = opt.solve(m)
    solve_s = time.perf_counter() - t0
    term = str(res.termination_condition).split(".")[-1]
    obj = res.best_feasible_objective
    bnd = res.best_objective_bound
    gap = (abs(obj - bnd) / max(abs(obj), 1e-10)) if obj is not None and bnd is not None else None
    out.update({"solve_s": solve_s, "status": term, "objective": obj, "bound": bnd, "gap": gap})
    return out


def run_api(inst, a) -> dict:
    from yrdopt import api
    from yrdopt.solver import HighsSolver

    # the benchmark's own clocks around the very calls api.solve makes (same run)
    clock: dict[str, float] = {}

    def timed(name, fn, how):
        def wrapper(*args, **kw):
            t = time.perf_counter()
            try:
                return fn(*args, **kw)
            finally:
                dt = time.perf_counter() - t
                clock[name] = dt if how == "first" and name not in clock else clock.get(name, 0.0) + dt * (how == "sum")
        return wrapper

    # summary.json: build_s = the model build, handoff_s = the MIP's hand-off (the first load),
    # solve_s = every HiGHS run (the MIP, plus the LP polish api.solve runs after it)
    api.build = timed("build_s", api.build, "first")
    HighsSolver.load = timed("handoff_s", HighsSolver.load, "first")
    HighsSolver.solve = timed("solve_s", HighsSolver.solve, "sum")
    t0 = time.perf_counter()
    sol = api.solve(inst, options=_solver_options(a), build_options=_build_options(a))
    wall = time.perf_counter() - t0  # what summary.json's total_s should match
    if a.out:
        sol.write(a.out)  # as `yrdopt solve` does; not part of total_s
    return {"api_wall_s": wall, "clock": clock, "summary_timings": sol.summary["timings"], "status": sol.status,
            "objective": sol.objective, "gap": sol.summary["gap"]}


if __name__ == "__main__":
    main()

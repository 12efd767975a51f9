"""City scale, the relaxation (issue 13): what valid rows and Benders cuts on the flows prove.

    python benchmarks/city_relaxations.py [--cases g41x10x3 g41x30x4] [--configs ...] [--limit 90]

Each configuration runs in a fresh process, one thread, in one run (the machine is shared:
only same-run ratios mean anything).  Configurations:

* ``default``   — the full model as ``solve`` builds it, HiGHS from the greedy start with the
  large-model settings of ``solve`` (probing off, root set-up without the feasibility jump and
  symmetry detection);
* ``link_intra`` / ``link_all`` — the same with the capacity linking rows
  ``flow[l, r, q] <= volume[l] U[up, r] place[down, q]`` and
  ``flow[l, r, q] <= inflow[l] U[down, q] place[up, r]`` wherever the coefficient is below the
  link's volume (so not implied by C2 + C7/C8), for r = q only or for every pair;
* ``few_site_floor`` — the knapsack packing rows (``model/packing.py``) with the site floor of a
  segment allowed at most n sites raised to its activity less the n - 1 largest other capacities
  (a single-site segment: its whole activity);
* ``chain_dw``  — not HiGHS's bound: the chain Lagrangian (``yrdopt.chain_bound``, Dantzig-Wolfe
  on the chains with the quota rows priced), run to convergence within the limit.  Its value is
  the LP over the convex hull of each chain's layouts with the quota rows kept, so it is the most
  any valid row over one chain's own columns can give (models/formulation.md section 11); it
  refuses province shares, hence the case ``g41x10x3-noshares``;
* ``region_dw`` — not HiGHS's bound: the region Lagrangian (``yrdopt.region_bound``, Dantzig-Wolfe
  on the regions: each region's sites, activities, expansions and parks under its own quota rows
  and site floors; demand, site counts, flows and guarantees in the master), run to convergence
  within the limit.  Its value is the most any row valid on one region's own set can give (the
  knapsack packing rows and per-region quota covers among them; models/formulation.md section
  11); it applies with province shares (they are master rows);
* ``benders``   — the relaxation without flows (``model/logistics_bound.py``), its LP re-solved
  with the Benders cuts its layout violates until none is, then HiGHS on its MILP with those cuts
  and the cuts at the greedy layout.

Reported: the LP value (with the rows; for ``benders`` after the cut rounds, with their count and
seconds), HiGHS's bound at 10 / 30 / 60 s and at the limit (from its progress callback), and
the best layout (for ``benders`` re-costed with its exact transportation costs).

Writes benchmarks/results/city-relaxations.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from city_scale import materialise  # noqa: E402
from common import RESULTS, fmt, machine, write_json  # noqa: E402

CASES = {"g41x10x3": ("generated 41x10x3 seed 1", "gen:41:10:3:1"),
         "g41x30x4": ("generated 41x30x4 seed 1", "gen:41:30:4:1"),
         "g41x10x3-noshares": ("generated 41x10x3 seed 1 without its province shares", "gen:41:10:3:1:noshares"),
         "x1": ("yrd-cities (exact shares)", "cities-x1")}
CONFIGS = ("default", "link_intra", "link_all", "few_site_floor", "benders", "chain_dw", "region_dw", "colocated")
MARKS = (10.0, 30.0, 60.0)


def link_capacity_rows(cm, every_pair: bool):
    """``cm`` with the capacity linking rows appended (see the module docstring)."""
    import numpy as np
    import scipy.sparse as sp

    d = cm.data
    U = d.activity_upper()
    flow, place = cm.var("flow"), cm.var("place")
    f_cols, y_cols, coefs = [], [], []
    for l in range(d.L):
        up, down, V = d.link_up[l], d.link_down[l], d.link_total_volume[l]
        r, q = (np.meshgrid(np.arange(d.R), np.arange(d.R), indexing="ij") if every_pair
                else (np.arange(d.R), np.arange(d.R)))
        r, q = r.ravel(), q.ravel()
        ok = d.allowed[up, r] & d.allowed[down, q]
        for cap, y_seg, y_reg in ((d.link_volume[l] * U[up, r], down, q), (d.link_demand_factor[l] * U[down, q], up, r)):
            keep = ok & (cap < V * (1 - 1e-6))
            f_cols.append(flow.index(l, r[keep], q[keep]))
            y_cols.append(place.index(y_seg, y_reg[keep]))
            coefs.append(cap[keep])
    f_cols, y_cols, coefs = (np.concatenate(a) for a in (f_cols, y_cols, coefs))
    n = len(coefs)
    rows = np.arange(n)
    extra = sp.csr_matrix((np.r_[np.ones(n), -coefs], (np.r_[rows, rows], np.r_[f_cols, y_cols])), shape=(n, cm.n_cols))
    return replace(cm, A=sp.vstack([cm.A.tocsr(), extra]).tocsc(), row_lower=np.r_[cm.row_lower, np.full(n, -np.inf)],
                   row_upper=np.r_[cm.row_upper, np.zeros(n)]), n


def few_site_floor(d, site_floor):
    """(S, R) site floor with the most-sites limit: A[s] less the n - 1 largest other capacities
    (at least ``site_floor(d)``, packing.py's)."""
    import numpy as np

    from yrdopt.model.packing import site_capacity

    cap = site_capacity(d)
    out = np.zeros_like(cap)
    for s in range(d.S):
        k = max(int(d.max_sites[s]) - 1, 0)
        for r in range(d.R):
            others = np.sort(np.delete(cap[s], r))[::-1]
            out[s, r] = d.activity[s] - others[:k].sum()
    return np.clip(np.maximum(out, site_floor(d)), 0.0, cap)


def _lp(cm) -> float:
    import numpy as np

    from yrdopt.solver import HighsSolver, SolverOptions

    s = HighsSolver(SolverOptions(threads=1, presolve="off"))
    s.load(replace(cm, integrality=np.zeros_like(cm.integrality)))
    return s.solve().objective


def one(path: str, limit: float, config: str) -> dict:
    import numpy as np

    import yrdopt.model.packing as packing
    from yrdopt.data import build_model_data
    from yrdopt.deadline import PROBING_OFF, ROOT_SOON
    from yrdopt.heuristic import greedy_start
    from yrdopt.io import load_instance
    from yrdopt.model.compiled import BuildOptions, build
    from yrdopt.model.logistics_bound import _lp_rounds, logistics_cuts, transport_cut, with_cuts
    from yrdopt.solver import HighsSolver, SolverOptions

    d = build_model_data(load_instance(path))
    full = build(d)
    if config == "chain_dw":
        from yrdopt.chain_bound import chain_dw_bound

        t0, c0 = time.perf_counter(), time.process_time()
        b = chain_dw_bound(d, iterations=500, time_limit=limit, chain_time_limit=limit)
        return {"lp": _lp(full), "bound": b.bound, "master": b.master, "iterations": b.iterations,
                "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    if config == "region_dw":
        from yrdopt.region_bound import region_dw_bound

        t0, c0 = time.perf_counter(), time.process_time()
        b = region_dw_bound(d, full, iterations=1000, time_limit=limit, start=greedy_start(full))
        return {"lp": _lp(full), "bound": b.bound, "master": b.master, "iterations": b.iterations,
                "wall_s": time.perf_counter() - t0, "cpu_s": time.process_time() - c0}
    start = greedy_start(full)
    out: dict = {"greedy": None if start is None else float(full.cost @ start)}
    t0 = time.perf_counter()
    if config == "benders":
        base = build(d, BuildOptions(logistics="bound"))
        value, cuts = _lp_rounds(base, [], lambda: limit, lambda: False, 1)
        out.update(lp=value, cuts=len(cuts), lp_s=time.perf_counter() - t0)
        if start is not None:
            cuts = cuts + logistics_cuts(d, full.var("activity").take(start))
        cm = with_cuts(base, cuts)
        start = None  # its start would need the relaxation's link values: HiGHS finds its own layouts
    else:
        cm = full
        if config == "colocated":  # the co-located quota rows (model/colocation.py)
            cm = build(d, BuildOptions(colocated_quota=True))
            out["rows"] = cm.row("colocated_quota").size if "colocated_quota" in cm.row_blocks else 0
        elif config in ("link_intra", "link_all"):
            cm, out["rows"] = link_capacity_rows(cm, config == "link_all")
        elif config == "few_site_floor":
            plain = packing.site_floor
            packing.site_floor = lambda data: few_site_floor(data, plain)
            cm = build(d, BuildOptions(packing=("knapsack",)))
        out["lp"] = _lp(cm)
    marks: dict[float, float | None] = {}

    def progress(elapsed, best, bound, gap):
        for m in MARKS:
            if elapsed >= m and m not in marks:
                marks[m] = bound

    s = HighsSolver(SolverOptions(threads=1, time_limit=limit, highs={**PROBING_OFF, **ROOT_SOON}), progress=progress)
    s.load(cm)
    res = s.solve(start)
    out.update(status=res.status, bound=res.bound, objective=res.objective, nodes=res.nodes,
               marks={str(int(m)): b for m, b in marks.items()}, wall_s=time.perf_counter() - t0)
    if config == "benders" and res.x is not None:  # the layout's exact cost: its links re-costed
        act, z = cm.var("activity").take(res.x), cm.var("logistics_bound").take(res.x)
        exact = sum(transport_cut(d, l, act[d.link_up[l]], act[d.link_down[l]])[0] for l in range(d.L))
        out["objective"] = float(res.objective + d.weights.get("distance", 1.0) * (exact - float(np.sum(z))))
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="*", default=["g41x10x3"], choices=list(CASES))
    ap.add_argument("--configs", nargs="*", default=list(CONFIGS), choices=list(CONFIGS))
    ap.add_argument("--limit", type=float, default=90.0)
    ap.add_argument("--out", default="city-relaxations", help="results file stem in benchmarks/results")
    ap.add_argument("--one", nargs=3, metavar=("INSTANCE", "LIMIT", "CONFIG"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    if a.one:
        print(json.dumps(one(a.one[0], float(a.one[1]), a.one[2])))
        return 0
    out = {"machine": machine(), "limit_s": a.limit, "cases": {}}
    with tempfile.TemporaryDirectory() as tmp:
        for case in a.cases:
            label, spec = CASES[case]
            path = materialise(spec.removesuffix(":noshares"), Path(tmp))
            if spec.endswith(":noshares"):
                path = without_province_shares(path)
            out["cases"][label] = {}
            for cfg in a.configs:
                p = subprocess.run([sys.executable, __file__, "--one", str(path), str(a.limit), cfg],
                                   capture_output=True, text=True, timeout=a.limit * 4 + 300)
                try:
                    res = json.loads(p.stdout.strip().splitlines()[-1])
                except (IndexError, json.JSONDecodeError):
                    res = {"error": p.stderr[-2000:]}
                out["cases"][label][cfg] = res
                print(f"{label:28s} {cfg:15s} lp={fmt(res.get('lp'), '.7g')} bound={fmt(res.get('bound'), '.7g')} "
                      f"marks={res.get('marks')} best={fmt(res.get('objective'), '.7g')}", flush=True)
                write_json(RESULTS / f"{a.out}.json", out)
    write_markdown(out, a.out)
    return 0


def without_province_shares(path: Path) -> Path:
    """The instance at ``path`` with ``policy.province_min_share`` removed (written beside it)."""
    from yrdopt.io import load_instance

    inst = load_instance(path)
    plain = inst.model_copy(update={"policy": inst.policy.model_copy(update={"province_min_share": {}})})
    out = path.with_name(path.stem + "-noshares.json")
    out.write_text(plain.model_dump_json(exclude_none=True))
    return out


def write_markdown(out: dict, stem: str = "city-relaxations") -> None:
    from yrdopt.io import atomic_write_text

    lines = [f"# City scale, the relaxation (issue 13): HiGHS {out['machine'].get('highs')}, one thread, "
             f"{out['limit_s']:g} s", "",
             "Shared 2-core machine: only same-run ratios mean anything. `lp` = the LP relaxation with the "
             "configuration's rows (benders: after its cut rounds); bounds are HiGHS's dual bound at 10 / 30 / 60 s "
             "and at the limit; `best` = the best layout at the limit (benders: re-costed exactly).", "",
             "| case | config | extra rows / cuts / iterations | lp | bound 10 / 30 / 60 s | bound at limit | best | nodes |",
             "|---|---|---:|---:|---|---:|---:|---:|"]
    for label, case in out["cases"].items():
        for cfg, r in case.items():
            marks = r.get("marks") or {}
            at = " / ".join(fmt(marks.get(k), ".7g") for k in ("10", "30", "60"))
            lines.append(f"| {label} | {cfg} | {r.get('rows', r.get('cuts', r.get('iterations', '—')))} | {fmt(r.get('lp'), '.7g')} | {at} | "
                         f"{fmt(r.get('bound'), '.7g')} | {fmt(r.get('objective'), '.7g')} | {r.get('nodes', '—')} |")
    atomic_write_text(RESULTS / f"{stem}.md", "\n".join(lines) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())

"""Fix-and-optimize during HiGHS's search (yrdopt.lns.SearchLns) and time limits that hold
while a start is constructed (lns.construct in solve, in sweeps and in alternatives)."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import pytest

import yrdopt.sweep as sw
from yrdopt.analysis.alternatives import alternatives
from yrdopt.api import solve
from yrdopt.checker import check_layout
from yrdopt.errors import SolverError
from yrdopt.generate import generate_instance
from yrdopt.heuristic import greedy_layout, greedy_start
from yrdopt.io import dump_instance, instance_dict, load_instance
from yrdopt.lns import SearchLns, layout_of
from yrdopt.model.compiled import build
from yrdopt.solution import tables_from_x
from yrdopt.solver import HighsSolver, SolverOptions

CITIES = Path(__file__).resolve().parents[1] / "instances" / "yrd-cities.yaml"


def _optimum(cm):
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-6))
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal"
    return res


@pytest.fixture(scope="module", params=[(6, 4, 3, 1), (5, 4, 4, 2)], ids=lambda p: "x".join(map(str, p)))
def case(request):
    R, C, S, seed = request.param
    inst = generate_instance(R, C, S, seed=seed)
    cm = build(inst)
    return inst, cm, _optimum(cm)


def test_every_layout_search_lns_offers_is_checked_feasible_and_priced_as_the_checker_prices_it(case):
    """Neighbourhood after neighbourhood from the greedy layout: each better layout it hands
    HiGHS passes the independent checker, costs what it claims, never less than the optimum."""
    inst, cm, ref = case
    x0 = greedy_start(cm)
    lns = SearchLns(cm, share=1.0, binaries=25, step_limit=5.0, seed=1)  # ~1 chain per neighbourhood
    lns.incumbent(x0)
    lns.begin(None)
    offered = [x for x in (lns.propose() for _ in range(8)) if x is not None]
    assert lns.steps == 8 and offered, "no neighbourhood improved the greedy layout"
    last = np.inf
    for x in offered:
        layout, flows, exps = tables_from_x(cm, x)
        rep = check_layout(inst, layout, flows, exps)
        obj = float(cm.cost @ x + cm.offset)
        assert rep.verified, rep.violations[:3] if hasattr(rep, "violations") else rep
        assert rep.objective == pytest.approx(obj, rel=1e-6)
        assert ref.objective - 1e-6 * abs(ref.objective) <= obj < last
        last = obj
    assert np.array_equal(layout_of(cm, offered[-1]).place, layout_of(cm, lns.x).place)


def test_solve_with_search_lns_proves_the_plain_milp_optimum(case):
    inst, _, ref = case
    sol = solve(inst, time_limit=30, threads=1, gap=1e-6, search_lns=0.5)
    assert sol.summary["verified"] and sol.summary["status"] == "optimal"
    assert sol.summary["objective"] == pytest.approx(ref.objective, rel=1e-5)


@pytest.fixture(scope="module")
def stuck_cities(tmp_path_factory):
    """yrd-cities at twice the exact shares (shipped until issue 13) with every city quota halved
    (the calibrated floors too, so tighter than the shipped exact shares): the greedy gets stuck,
    and lns.construct needs ~10 s (loaded 2-core machine) for its packing."""
    out = tmp_path_factory.mktemp("cities-x2")
    subprocess.run([sys.executable, str(CITIES.parents[1] / "instances" / "build.py"), "--out", str(out),
                    "--city-headroom", "2"], check=True, capture_output=True)
    data = instance_dict(load_instance(out / "instances" / "yrd-cities.yaml"))
    for region in data["regions"]:
        region["quotas"] = {k: (v / 2 if v is not None else v) for k, v in region.get("quotas", {}).items()}
    inst = load_instance(data)
    assert greedy_layout(build(inst).data) is None
    return inst


def test_a_stop_ends_solve_while_the_start_is_constructed(stuck_cities):
    """The stop flag reaches construct's sub-MILPs: without it, construct ran its ~10 s."""
    stop = threading.Event()
    threading.Timer(1.0, stop.set).start()
    t0 = time.perf_counter()
    try:
        solve(stuck_cities, time_limit=60, threads=1, stop=stop, check=False)
    except SolverError:
        pass  # interrupted before any layout: what a stop this early gives
    assert time.perf_counter() - t0 < 4.0


def test_solve_keeps_a_short_time_limit_while_the_start_is_constructed(stuck_cities):
    """construct needs ~10 s here; under a 4 s limit it gets a quarter of it and the whole
    call (build, construct, HiGHS, polish, check) ends within the limit and a little."""
    t0 = time.perf_counter()
    try:
        solve(stuck_cities, time_limit=4.0, threads=1)
    except SolverError:
        pass  # no layout within 4 s: said so, nothing written
    assert time.perf_counter() - t0 <= 4.0 + 1.5


def test_alternatives_keep_the_per_mip_limit_while_the_start_is_constructed(stuck_cities):
    """The optimum's MIP constructs its start (api.search) inside its time limit, not on top of
    it: the call takes the build, one MIP's limit and the polish."""
    limit = 4.0
    t0 = time.perf_counter()
    build(stuck_cities)
    build_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    try:
        res = alternatives(stuck_cities, n=1, options=SolverOptions(time_limit=limit, threads=1))
        assert res.layouts[0].seconds <= limit + 1.0
    except SolverError:
        pass  # no layout within 4 s: said so
    assert time.perf_counter() - t0 <= build_s + limit + 2.5


def test_a_sweep_scenario_keeps_its_time_limit_while_the_start_is_constructed(stuck_cities, tmp_path):
    """A chunk's first scenario constructs its start (the greedy gets stuck) inside the
    scenario's time limit, not on top of it."""
    limit = 4.0
    inst_path = tmp_path / "stuck.yaml"
    dump_instance(stuck_cities, inst_path)
    spec = {"name": "stuck", "instance": str(inst_path), "chunk_size": 2, "robust": {"enabled": False},
            "parameters": [{"path": "weights.distance", "scale": [0.9, 1.1]}],
            "design": {"kind": "latin_hypercube", "samples": 2, "seed": 1},
            "solver": {"time_limit": limit, "threads": 1}}
    table = sw.run(spec, out=tmp_path / "out", backend="inprocess").sort_values("index")
    first = table.iloc[0]
    # construct ran (it found a layout, or used its whole second: a quarter of the limit)
    assert first["mip_start"] in ("constructed", "none") and first["prep_s"] >= 0.5
    assert (table["prep_s"] + table["solve_s"] <= limit + 1.5).all(), table[["prep_s", "solve_s"]]


def test_a_sweep_with_search_lns_finds_the_same_optima(tmp_path):
    inst_path = tmp_path / "g.yaml"
    dump_instance(generate_instance(6, 4, 3, seed=1), inst_path)
    base = {"name": "g", "instance": str(inst_path), "chunk_size": 3, "robust": {"enabled": False},
            "parameters": [{"path": "regions[*].quotas.land", "scale": [0.9, 1.2]},
                           {"path": "weights.distance", "scale": [0.5, 2.0]}],
            "design": {"kind": "latin_hypercube", "samples": 2, "seed": 2}}
    tables = {k: sw.run({**base, "solver": {"mip_gap": 1e-6, "threads": 1, "search_lns": share}},
                        out=tmp_path / k, backend="inprocess").sort_values("index")
              for k, share in (("plain", 0.0), ("lns", 0.5))}
    plain, lns = tables["plain"], tables["lns"]
    assert (plain["status"] == "optimal").all() and (lns["status"] == "optimal").all() and lns["verified"].all()
    np.testing.assert_allclose(lns["objective"].to_numpy(), plain["objective"].to_numpy(), rtol=1e-5)


def test_repair_fits_a_layout_to_a_scenario_that_cut_its_quotas(case):
    """The optimum of an instance, in a scenario whose busiest region lost a tenth of each
    quota: it no longer fits; the repaired layout fits, passes the checker and costs no less
    than that scenario's own optimum."""
    inst, cm, ref = case
    from yrdopt.lns import fits, repair

    assert fits(cm, ref.x)
    data = instance_dict(inst)
    used = np.einsum("sr,srk->rk", cm.var("activity").take(ref.x), cm.data.use)
    with np.errstate(divide="ignore", invalid="ignore"):
        busy = int(np.nanargmax(np.where(np.isfinite(cm.data.quota), used / cm.data.quota, 0).max(axis=1)))
    region = data["regions"][busy]
    region["quotas"] = {k: (0.9 * float(used[busy, cm.data.resource_ids.index(k)]) if v is not None else v)
                        for k, v in region["quotas"].items()}
    cut = load_instance(data)
    cm_cut = build(cut)
    assert not fits(cm_cut, ref.x)
    x = repair(cm_cut, ref.x, 10.0)
    assert x is not None and fits(cm_cut, x)
    layout, flows, exps = tables_from_x(cm_cut, x)
    rep = check_layout(cut, layout, flows, exps)
    assert rep.verified
    assert rep.objective >= _optimum(cm_cut).objective - 1e-6 * abs(ref.objective)

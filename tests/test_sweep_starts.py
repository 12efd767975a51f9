"""A sweep scenario's MIP start (sweep/worker.py, ScenarioSolver._start and solve_order): the
cheapest of the chunk's earlier layouts that fit (repaired by the greedy where they do not)
and the greedy layout, the chunk solved tightest scenario first.  Real HiGHS, small generated
instances; every start is verified by the independent checker."""

from __future__ import annotations

import copy

import numpy as np
import pytest

import yrdopt.sweep as sw
from yrdopt.checker import check_layout
from yrdopt.generate import generate_dict, generate_instance
from yrdopt.io import dump_instance, load_instance
from yrdopt.lns import fits
from yrdopt.model.compiled import build
from yrdopt.solution import tables_from_x
from yrdopt.solver import HighsSolver, SolverOptions
from yrdopt.sweep.design import Scenario
from yrdopt.sweep.worker import Context, ScenarioSolver

from sweep_start_helpers import EXACT, checked_cost, optimum

from tight_quotas import cut_quotas_to_optimum



def _solver(tmp_path, parameters, *, design=None, instance=(6, 4, 3, 1)):
    R, C, S, seed = instance
    path = tmp_path / "g.yaml"
    dump_instance(generate_instance(R, C, S, seed=seed), path)
    spec = {"name": "starts", "instance": str(path), "parameters": parameters, "solver": EXACT,
            "robust": {"enabled": False},
            "design": design or {"kind": "latin_hypercube", "samples": 2, "seed": 1}}
    spec_m, _, base, resolved, _, scenarios = sw.prepare(spec)
    ws = ScenarioSolver(Context.for_spec(spec_m, base, "starts", check=True))
    ws.begin_chunk()
    return spec, ws, base, resolved, scenarios




def test_a_start_is_the_cheapest_earlier_layout_of_the_chunk_not_only_the_last(tmp_path):
    """Scenario C is scenario A with a little more land: A's optimal layout fits C at A's cost,
    the last layout solved (B's, for four times A's weight of distance) fits too but costs more.
    C starts from a layout that costs no more than A's optimum (before: B's layout, the last)."""
    params = [{"path": "weights.distance", "name": "w", "scale": [0.5, 2.0]},
              {"path": "regions[*].quotas.land", "name": "land", "scale": [1.0, 1.1]}]
    _, ws, base, resolved, _ = _solver(tmp_path, params)
    a, b, c = (Scenario(f"s{i}", i, v) for i, v in enumerate([{"w": 0.5, "land": 1.0}, {"w": 2.0, "land": 1.0},
                                                              {"w": 0.5, "land": 1.001}]))
    ra, rb = ws.solve(a), ws.solve(b)
    assert ra["status"] == rb["status"] == "optimal"
    assert ra["place_index"] != rb["place_index"], "the instance must move its layout with the distance weight"
    inst_c, cm, _ = ws.prepare(c)
    x, how = ws._start(cm)
    assert how in ("previous", "repaired", "greedy")
    assert checked_cost(inst_c, cm, x) <= ra["objective"] * (1 + 1e-7)
    rc = ws.solve(c)
    assert rc["verified"] and rc["objective"] == pytest.approx(optimum(inst_c), rel=1e-7)


@pytest.mark.parametrize("instance", [(6, 4, 3, 1), (5, 3, 3, 2)], ids=lambda p: "x".join(map(str, p)))
def test_every_start_a_chunk_offers_passes_the_checker_and_the_scenarios_reach_the_plain_optima(tmp_path, instance):
    """A chunk of scenarios that cut and grow quotas and grow a segment: after the first, each
    scenario's start (earlier layouts, repaired where they no longer fit, or the greedy's) passes
    the checker and costs no less than the scenario's optimum, which the sweep reaches.  The
    first may be a greedy layout that misses a guarantee (the instances have province shares);
    then the checker rejects it too (HiGHS ignores it)."""
    inst0 = generate_instance(*instance[:3], seed=instance[3])
    seg = f"chains[id={inst0.chains[0].id}].segments[id={inst0.chains[0].segments[0].id}].activity"
    params = [{"path": "regions[*].quotas.land", "name": "land", "scale": [0.85, 1.2]},
              {"path": "weights.distance", "name": "w", "scale": [0.5, 2.0]},
              {"path": seg, "name": "grown", "scale": [0.9, 1.2]}]
    spec, ws, _, _, scenarios = _solver(
        tmp_path, params, instance=instance, design={"kind": "latin_hypercube", "samples": 6, "seed": 3})
    order = ws.solve_order(scenarios)
    assert sorted(sc.index for sc in order) == [sc.index for sc in scenarios]
    starts, optima = [], {}
    for sc in order:
        inst, cm, _ = ws.prepare(sc)
        x, how = ws._start(cm)
        opt = optima[sc.id] = optimum(inst)
        if starts and x is not None:  # once the chunk has a layout, every start fits
            assert checked_cost(inst, cm, x) >= opt * (1 - 1e-7)
        elif x is not None and not fits(cm, x):  # the greedy may miss a guarantee: the checker says so too
            assert how == "greedy" and not check_layout(inst, *tables_from_x(cm, x)).verified
        starts.append(how)
        rec = ws.solve(sc)
        assert rec["status"] == "optimal" and rec["verified"]
        assert rec["objective"] == pytest.approx(opt, rel=1e-7)
    assert starts[0] in ("greedy", "constructed") and set(starts[1:]) <= {"previous", "repaired", "greedy"}
    assert {"previous", "repaired"} & set(starts[1:]), starts
    # the same scenarios through the sweep (chunks of 3, each solved tightest first)
    df = sw.run({**spec, "design": {"kind": "latin_hypercube", "samples": 6, "seed": 3}, "chunk_size": 3},
                out=tmp_path / "out", backend="inprocess")
    for sc in scenarios:
        row = df[df["scenario"] == sc.id].iloc[0]
        assert row["verified"] and row["objective"] == pytest.approx(optima[sc.id], rel=1e-7)
        assert row["start_objective"] >= optima[sc.id] * (1 - 1e-7) or row["mip_start"] == "greedy"


def test_a_chunk_is_solved_tightest_scenario_first(tmp_path):
    """The scenario with the least land comes first whatever its place in the chunk (its layout
    fits the roomier ones); scenarios equally tight keep their order."""
    params = [{"path": "regions[*].quotas.land", "name": "land", "scale": [0.8, 1.3]},
              {"path": "weights.distance", "name": "w", "scale": [0.5, 2.0]}]
    _, ws, _, _, _ = _solver(tmp_path, params)
    chunk = [Scenario(f"s{i}", i, {"land": land, "w": w})
             for i, (land, w) in enumerate([(1.2, 1.0), (0.9, 1.0), (1.2, 2.0), (1.0, 1.0)])]
    assert [sc.index for sc in ws.solve_order(chunk)] == [1, 3, 0, 2]
    no_starts = ScenarioSolver(Context.for_spec(sw.prepare({**_solver(tmp_path, params)[0],
                                                             "solver": {**EXACT, "mip_start": False}})[0],
                                                ws.ctx.base, "nostart", check=False))
    assert [sc.index for sc in no_starts.solve_order(chunk)] == [0, 1, 2, 3]


def test_repair_frees_nothing_in_a_layout_that_fits_and_every_chain_of_an_empty_one():
    """What ``repair`` re-places (:func:`yrdopt.lns.freed_segments`): nothing where the layout
    fits (it is returned as it is, sub-MILP or not), every segment where none is placed."""
    from yrdopt.lns import freed_segments, repair

    inst = generate_instance(6, 4, 3, seed=1)
    cm = build(inst)
    s = HighsSolver(SolverOptions(**EXACT))
    s.load(cm)
    x = s.solve().x
    assert fits(cm, x) and len(freed_segments(cm, x)) == 0
    assert repair(cm, x, 0.0, fallback=None) is x
    # a layout that places every segment nowhere: every chain is freed
    empty = np.zeros_like(x)
    assert len(freed_segments(cm, empty)) == cm.data.S


@pytest.fixture(scope="module", params=[(6, 4, 3, 1), (8, 4, 3, 1)], ids=lambda p: "x".join(map(str, p)))
def tight_and_elsewhere(request):
    """A generated instance with its quotas cut to what its optimum uses (the greedy gets stuck,
    as on yrd-cities at exact shares), its optimum, and the optimum of the roomy instance at three
    times the weight of distance: a layout of a neighbouring scenario that does not fit it."""
    R, C, S, seed = request.param
    data = generate_dict(R, C, S, seed)
    far = copy.deepcopy(data)
    far["weights"]["distance"] = 3.0 * far["weights"].get("distance", 1.0)
    inst = load_instance(cut_quotas_to_optimum(data))
    cm = build(inst)
    x_far = _solved(build(load_instance(far))).x
    assert not fits(cm, x_far)
    return inst, cm, _solved(cm).objective, x_far


def _solved(cm):
    s = HighsSolver(SolverOptions(**EXACT))
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal"
    return res


def test_a_repair_that_constructs_the_freed_chains_gives_a_checked_layout(tight_and_elsewhere):
    """Where the greedy cannot re-place the chains a neighbouring layout breaks, ``repair``
    constructs them (``fallback="construct"``): the layout fits, passes the checker and costs
    no less than the optimum."""
    from yrdopt.lns import repair

    inst, cm, opt, x_far = tight_and_elsewhere
    x = repair(cm, x_far, 20.0, fallback="construct")
    assert x is not None and fits(cm, x)
    assert checked_cost(inst, cm, x) >= opt * (1 - 1e-7)


def test_an_improved_start_fits_passes_the_checker_and_costs_less():
    """``improved_layout`` (chain pairs, then the fixed-placement LP) from the greedy layout of
    a generated instance at three times the weight of distance: it fits, the checker verifies
    it, and it costs less than the greedy's and no less than the optimum."""
    from yrdopt.heuristic import greedy_start
    from yrdopt.lns import improved_layout

    data = generate_dict(6, 4, 3, 1)
    data["weights"]["distance"] = 3.0 * data["weights"].get("distance", 1.0)
    inst = load_instance(data)
    cm = build(inst)
    x0 = greedy_start(cm)
    assert fits(cm, x0)
    x = improved_layout(cm, x0, 10.0)
    assert fits(cm, x)
    opt = _solved(cm).objective
    assert opt * (1 - 1e-7) <= checked_cost(inst, cm, x) < float(cm.cost @ x0 + cm.offset)


def test_a_greedy_layout_that_misses_a_guarantee_is_no_start_where_construct_finds_one(tmp_path):
    """On this instance the greedy layout misses a province's minimum share (a hard guarantee):
    HiGHS drops such a start.  The scenario's start is then constructed and fits, and the record
    gives no start cost for a layout that is not one (it read 5725.5, like a bound)."""
    from yrdopt.heuristic import greedy_start

    params = [{"path": "regions[*].quotas.land", "name": "land", "scale": [0.8, 1.2]}]
    _, ws, _, _, scenarios = _solver(tmp_path, params, design={"kind": "latin_hypercube", "samples": 4, "seed": 1},
                                     instance=(6, 4, 3, 1))
    order = ws.solve_order(scenarios)
    inst, cm, _ = ws.prepare(order[0])
    greedy = greedy_start(cm)
    assert greedy is not None and not fits(cm, greedy)  # the case this test is about
    x, how = ws._start(cm)
    assert how == "constructed" and fits(cm, x)
    assert checked_cost(inst, cm, x) >= optimum(inst) * (1 - 1e-7)
    rec = ws.solve(order[0])
    assert rec["verified"] and rec["mip_start"] == "constructed"
    assert rec["start_objective"] is not None and rec["start_objective"] >= rec["objective"] * (1 - 1e-7)


def test_each_scenario_gets_the_highs_options_solve_chooses_for_its_start_situation(tmp_path, monkeypatch):
    """Above PROBING_MAX_BINARIES a MIP with a start skips HiGHS's feasibility jump (ROOT_SOON): the
    start is its first layout.  A sweep scenario that ends up without any start (here: quotas cut
    to 5 %, no layout exists) must keep it, as ``yrdopt.solve``'s search does for the same model
    without a start (before: every scenario of a spec with mip_start had it off).  The threshold is
    lowered so that a small model is "large" (the rule, not the size, is under test)."""
    from yrdopt import deadline
    from yrdopt.api import search
    from yrdopt.deadline import Deadline, PROBING_OFF, ROOT_SOON

    monkeypatch.setattr(deadline, "PROBING_MAX_BINARIES", 0)
    limit = EXACT["time_limit"]
    params = [{"path": "regions[*].quotas.land", "name": "land", "scales": [0.05]}]
    _, ws, _, _, scenarios = _solver(tmp_path, params, design={"kind": "one_at_a_time"})
    decided = [*ROOT_SOON, *PROBING_OFF]  # what yrdopt.deadline decides from the model and its start
    seen = {}
    for sc in scenarios:
        rec = ws.solve(sc)
        sweep_highs = ws.solver.last_result.solver["options"]["highs"]
        inst, _, _ = ws.prepare(sc)
        cm = build(inst)
        solver = HighsSolver(SolverOptions(time_limit=limit, mip_gap=EXACT["mip_gap"], threads=1))
        solver.load(cm)
        res = search(solver, cm, Deadline(limit))
        assert (rec["mip_start"] != "none") == (res.solver["start"] is not None)  # the same start situation
        solve_highs = res.solver["options"]["highs"]
        assert {k: sweep_highs.get(k) for k in decided} == {k: solve_highs.get(k) for k in decided}, rec["mip_start"]
        seen[rec["mip_start"] != "none"] = rec["status"]
    assert seen.get(False) == "infeasible" and seen.get(True) == "optimal"  # both situations were met

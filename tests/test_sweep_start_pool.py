"""The layouts a sweep scenario starts from (sweep/worker.py, ScenarioSolver): after a crash and
``--resume`` (``restore``: the chunk's stored layouts), in a chunk whose layouts all break a
tight scenario (``_nearest``), and improved by chain pairs (``_improve_start``).  Real HiGHS,
small generated instances; every start is verified by the independent checker."""

from __future__ import annotations

import numpy as np
import pytest

import yrdopt.sweep as sw
from yrdopt.generate import generate_dict, generate_instance
from yrdopt.io import dump_instance, load_instance
from yrdopt.lns import fits, freed_segments
from yrdopt.model.compiled import build
from yrdopt.solver import HighsSolver, SolverOptions
from yrdopt.sweep.design import Scenario, chunks
from yrdopt.sweep.store import Store
from yrdopt.sweep.worker import Context, ScenarioSolver

from sweep_start_helpers import EXACT, checked_cost, optimum





def _checked_cost(inst, cm, x) -> float:
    assert fits(cm, x)  # a start HiGHS would keep
    return checked_cost(inst, cm, x)


class Crash(Exception):
    pass


def test_a_resumed_chunk_starts_its_later_scenarios_from_the_layouts_stored_before_the_crash(tmp_path):
    """A sweep killed after k scenarios of its one chunk and resumed: every scenario solved after
    the resume starts from where it starts in an uninterrupted run (``previous``/``repaired``
    from the chunk's earlier layouts, the ones stored before the crash among them), at no higher
    cost; the answers are the same.  Before, the resumed chunk had no earlier layout: its first
    scenario started from the greedy's."""
    path = tmp_path / "g.yaml"
    dump_instance(generate_instance(6, 4, 3, seed=1), path)
    spec = {"name": "resume", "instance": str(path), "robust": {"enabled": False}, "chunk_size": 6, "solver": EXACT,
            "parameters": [{"path": "regions[*].quotas.land", "name": "land", "scale": [1.0, 1.3]},
                           {"path": "weights.distance", "name": "w", "scale": [0.5, 2.0]}],
            "design": {"kind": "latin_hypercube", "samples": 5, "seed": 2}}
    sw.run(spec, out=tmp_path / "whole", backend="inprocess")
    k = 2

    def crash_after_k(p):
        if p.new == k:
            raise Crash

    with pytest.raises(Crash):
        sw.run(spec, out=tmp_path / "cut", backend="inprocess", progress=crash_after_k)
    before = Store(tmp_path / "cut").done_ids()
    assert len(before) == k
    sw.run(spec, out=tmp_path / "cut", backend="inprocess", resume=True)
    _, _, _, _, _, scenarios = sw.prepare(spec)
    assert len(chunks(scenarios, 6)) == 1
    whole, cut = Store(tmp_path / "whole"), Store(tmp_path / "cut")
    later = [sc for sc in scenarios if sc.id not in before]
    for sc in later:
        a, b = whole.read(sc.id), cut.read(sc.id)
        assert b["mip_start"] == a["mip_start"] and a["mip_start"] in ("previous", "repaired"), (a["mip_start"],
                                                                                               b["mip_start"])
        assert b["start_objective"] <= a["start_objective"] * (1 + 1e-9)
        assert b["verified"] and b["objective"] == pytest.approx(a["objective"], rel=1e-7)


def test_a_restored_layout_is_a_start_only_where_it_fits(tmp_path):
    """``restore`` keeps the last ``starts_kept`` stored layouts, in the order they were solved, each
    re-solved under its own scenario as the vector the uninterrupted run held; a scenario whose
    quotas they break gets no such layout as it is (``previous``): it is repaired or replaced."""
    path = tmp_path / "g.yaml"
    dump_instance(generate_instance(6, 4, 3, seed=1), path)
    spec = {"name": "restore", "instance": str(path), "robust": {"enabled": False}, "solver": EXACT,
            "parameters": [{"path": "regions[*].quotas.land", "name": "land", "scale": [0.8, 1.3]},
                           {"path": "weights.distance", "name": "dist", "scale": [0.2, 5.0]}],
            "design": {"kind": "latin_hypercube", "samples": 2, "seed": 1}}
    spec_m, _, base, _, _, _ = sw.prepare(spec)
    ws = ScenarioSolver(Context.for_spec(spec_m, base, "restore", check=True))
    ws.begin_chunk()
    ws.starts_kept = 4  # STARTS_KEPT, smaller: fewer scenarios to solve here
    # the weight of distance moves the layout: distinct layouts, so that a restore that kept the
    # wrong ones, or in the wrong order, fails the comparison below
    roomy = [Scenario(f"r{i}", i, {"land": 1.3 - 0.01 * i, "dist": (0.2, 5.0)[i % 2] * (1 + 0.1 * i)})
             for i in range(ws.starts_kept + 2)]
    recs = [ws.solve(sc) for sc in roomy]
    held = [x.copy() for x in ws.pool]
    assert len(held) == ws.starts_kept
    assert all(not np.allclose(a, b, rtol=1e-7, atol=1e-7) for a, b in zip(held, held[1:])), \
        "the test needs neighbouring layouts that differ"
    ws.begin_chunk()
    ws.restore(list(reversed(recs)))  # the order they were solved in comes from solve_order, not the list
    assert len(ws.pool) == ws.starts_kept
    for x, y in zip(held, ws.pool):
        assert np.allclose(x, y, rtol=1e-7, atol=1e-7)
    tight = Scenario("t", 99, {"land": 0.8})
    inst, cm, _ = ws.prepare(tight)
    assert not any(fits(cm, x) for x in ws.pool), "the test needs layouts that break the tight scenario"
    x, how = ws._start(cm)
    assert how in ("repaired", "greedy", "constructed")
    if x is not None and how != "greedy":
        assert _checked_cost(inst, cm, x) >= optimum(inst) * (1 - 1e-7)


def _solver(tmp_path, data: dict, parameters, solver=EXACT) -> ScenarioSolver:
    path = tmp_path / "g.yaml"
    dump_instance(load_instance(data), path)
    spec = {"name": "pool", "instance": str(path), "robust": {"enabled": False}, "solver": solver,
            "parameters": parameters, "design": {"kind": "latin_hypercube", "samples": 2, "seed": 1}}
    spec_m, _, base, _, _, _ = sw.prepare(spec)
    ws = ScenarioSolver(Context.for_spec(spec_m, base, "pool", check=True))
    ws.begin_chunk()
    return ws


def test_where_no_earlier_layout_fits_the_start_repairs_the_one_that_frees_fewest_segments(tmp_path):
    """The generated 6x4x3 instance with every quota cut to what its optimum uses (the greedy gets
    stuck, as on yrd-cities at exact shares), after two scenarios with half as much again of every
    quota: neither layout fits it nor is repaired by the greedy, so ``_nearest`` picks the one
    whose repair re-places the fewest segments and ``construct`` re-places them (``repaired``).
    The start fits, passes the checker and costs no less than the optimum the solve reaches."""
    from tight_quotas import cut_quotas_to_optimum

    params = [{"path": f"regions[*].quotas.{k}", "name": k, "scale": [1.0, 1.5]} for k in ("land", "energy", "talent")]
    params.append({"path": "weights.distance", "name": "w", "scale": [0.3, 3.0]})
    ws = _solver(tmp_path, cut_quotas_to_optimum(generate_dict(6, 4, 3, 1)), params)
    roomy = {"land": 1.5, "energy": 1.5, "talent": 1.5}
    for i, w in enumerate((3.0, 0.3)):
        assert ws.solve(Scenario(f"roomy{i}", i, {**roomy, "w": w}))["status"] == "optimal"
    tight = Scenario("tight", 2, {"w": 1.0})
    inst, cm, _ = ws.prepare(tight)
    from yrdopt.heuristic import greedy_start
    from yrdopt.lns import repair

    assert greedy_start(cm) is None
    assert not any(fits(cm, x) or repair(cm, x, 0.0, fallback=None) is not None for x in ws.pool)
    freed = [len(freed_segments(cm, x)) for x in ws.pool]
    assert freed[0] != freed[1], freed
    assert ws._nearest(cm) is ws.pool[int(np.argmin(freed))]
    x, how = ws._start(cm)
    assert how == "repaired" and ws.constructed
    cost = _checked_cost(inst, cm, x)
    rec = ws.solve(tight)
    assert rec["mip_start"] == "repaired" and rec["status"] == "optimal" and rec["verified"]
    assert rec["objective"] == pytest.approx(optimum(inst), rel=1e-7)
    assert cost >= rec["objective"] * (1 - 1e-7) and rec["start_objective"] >= rec["objective"] * (1 - 1e-7)


def test_a_start_improved_by_chain_pairs_fits_passes_the_checker_and_costs_no_less_than_the_optimum(tmp_path):
    """On a model above 200 binaries (generated 10x5x4, 201) at three times the weight of distance,
    ``_improve_start`` lowers the scenario's start (the greedy's) by chain pairs; the improved start
    fits, passes the checker and costs no less than the optimum."""
    params = [{"path": "weights.distance", "name": "w", "scale": [1.0, 3.0]}]
    # a 20 s limit: the improvement gets a quarter of it (api.construct_seconds)
    ws = _solver(tmp_path, generate_dict(10, 5, 4, 1), params, {**EXACT, "time_limit": 20})
    assert ws.binaries > 200
    inst, cm, _ = ws.prepare(Scenario("far", 0, {"w": 3.0}))
    x, how = ws._start(cm)
    assert how == "greedy" and fits(cm, x)
    y = ws._improve_start(cm, x, 0.0)
    cost = _checked_cost(inst, cm, y)
    assert cost < float(cm.cost @ x + cm.offset) * (1 - 1e-3)
    s = HighsSolver(SolverOptions(**{**EXACT, "time_limit": 120}))
    s.load(build(inst))
    res = s.solve(y)
    assert res.status == "optimal" and cost >= res.objective * (1 - 1e-7)

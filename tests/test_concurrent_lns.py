"""Fix-and-optimize in a thread beside HiGHS (yrdopt.lns.ConcurrentLns, solve(concurrent_lns=True)):
every layout it finds is a checked layout of the whole model, priced as the checker prices it and
never below the plain MILP's optimum; the result takes it where HiGHS ended with a dearer one; the
thread ends with the solve."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from yrdopt.api import _with_concurrent_layout, solve
from yrdopt.checker import check_layout
from yrdopt.claims import relative_gap
from yrdopt.generate import generate_instance
from yrdopt.heuristic import greedy_start
from yrdopt.lns import ConcurrentLns
from yrdopt.model.compiled import build
from yrdopt.solution import tables_from_x
from yrdopt.solver import HighsSolver, SolverOptions


@pytest.fixture(scope="module")
def case():
    inst = generate_instance(6, 4, 3, seed=1)
    cm = build(inst)
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-6))
    s.load(cm)
    ref = s.solve()
    assert ref.status == "optimal"
    return inst, cm, ref


def _lns_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name == "yrdopt-lns"]


def _improved_from_greedy(cm, seconds: float = 8.0) -> ConcurrentLns:
    """The thread run alone from the greedy layout (no HiGHS beside it) until it improves it."""
    x0 = greedy_start(cm)
    lns = ConcurrentLns(cm, binaries=25, step_limit=5.0, seed=1, threads=1)  # ~1 chain per neighbourhood
    lns.incumbent(x0)
    lns.begin(seconds + 5.0)
    t_end = time.perf_counter() + seconds
    while lns.improved == 0 and time.perf_counter() < t_end:
        time.sleep(0.05)
    lns.end()
    return lns


def test_the_thread_improves_the_greedy_layout_with_checked_layouts_never_below_the_optimum(case):
    inst, cm, ref = case
    x0 = greedy_start(cm)
    lns = _improved_from_greedy(cm)
    assert lns.error is None
    assert lns.improved >= 1 and not _lns_threads()
    x, obj = lns.best()
    layout, flows, exps = tables_from_x(cm, x)
    rep = check_layout(inst, layout, flows, exps)
    assert rep.verified
    assert rep.objective == pytest.approx(obj, rel=1e-6)
    assert ref.objective - 1e-6 * abs(ref.objective) <= obj < float(cm.cost @ x0 + cm.offset)
    # HiGHS is offered it once (it is better than HiGHS's incumbent, the greedy layout), then not again
    offered = lns.propose()
    assert offered is not None and np.array_equal(offered, x)
    assert lns.propose() is None


def test_a_result_takes_the_threads_layout_where_highs_ended_with_a_dearer_one(case):
    inst, cm, ref = case
    lns = _improved_from_greedy(cm)
    x, obj = lns.best()
    x0 = greedy_start(cm)
    s = HighsSolver(SolverOptions(threads=1, time_limit=1e-3))
    s.load(cm)
    res = s.solve(x0)  # stopped at once: HiGHS ends with its start, the greedy layout
    assert res.status == "time_limit_with_incumbent"
    # its words say the gap only where one is reported (before: "(gap reported)" with no bound, no gap)
    assert "gap reported" not in res.message and (
        f"(relative gap {res.gap:.3g} to a proven bound)" in res.message if res.gap is not None
        else "(no proven bound yet, so no gap)" in res.message), res.message
    loose = HighsSolver(SolverOptions(threads=1, time_limit=1e-3, highs={"mip_feasibility_tolerance": 1e-5}))
    loose.load(cm)
    said = loose.solve(x0)  # with a loosened tolerance: no gap whatever HiGHS's bound
    assert said.status == "time_limit_with_incumbent" and said.gap is None
    assert "gap reported" not in said.message and said.message.endswith("so no gap is reported"), said.message
    assert res.objective == pytest.approx(float(cm.cost @ x0 + cm.offset), rel=1e-9) and obj < res.objective
    out = _with_concurrent_layout(cm, res, lns)
    assert out.solver["concurrent_lns"]["layout"] is True
    assert out.objective == obj and np.array_equal(out.x, x) and out.status == res.status
    assert out.bound == res.bound
    assert out.gap == (None if res.bound is None else pytest.approx(relative_gap(obj, res.bound)))
    # HiGHS's proven optimum stays where the thread has nothing cheaper (here: it never has)
    kept = _with_concurrent_layout(cm, ref, lns)
    assert kept.solver["concurrent_lns"]["layout"] is False
    assert kept.objective == ref.objective and kept.x is ref.x and kept.status == "optimal"


def test_solve_with_the_thread_proves_the_plain_optimum_and_ends_the_thread(case):
    inst, _, ref = case
    sol = solve(inst, time_limit=30, threads=1, gap=1e-6, concurrent_lns=True)
    assert sol.summary["verified"] and sol.summary["status"] == "optimal"
    assert sol.summary["objective"] == pytest.approx(ref.objective, rel=1e-5)
    assert "error" not in sol.summary["solver"]["concurrent_lns"]
    assert not _lns_threads()


def test_the_thread_keeps_the_time_limit():
    """A model whose sub-MILPs run into their step limit: the solve still ends within its limit
    (the thread's sub-MILP ends with HiGHS)."""
    inst = generate_instance(16, 8, 3, seed=3)
    t0 = time.perf_counter()
    sol = solve(inst, time_limit=6, threads=1, gap=1e-9, concurrent_lns=True)
    assert time.perf_counter() - t0 < 6 + 3.0
    assert sol.summary["verified"]
    assert not _lns_threads()


def test_by_default_the_thread_replaces_the_search_lns_where_that_is_on_by_default(case, monkeypatch):
    """The default follows the search LNS's: on above api.SEARCH_LNS_MIN_BINARIES (lowered here
    so that a small instance is above it), not where a caller turned the search LNS off."""
    import yrdopt.api

    inst, _, ref = case
    monkeypatch.setattr(yrdopt.api, "SEARCH_LNS_MIN_BINARIES", 10)
    monkeypatch.setattr(yrdopt.api, "usable_cores", lambda: 2)  # the rule wants a second core; CI may have one
    on = solve(inst, time_limit=30, threads=1, gap=1e-6)
    assert "concurrent_lns" in on.summary["solver"] and on.summary["status"] == "optimal"
    assert on.summary["objective"] == pytest.approx(ref.objective, rel=1e-5)
    off = solve(inst, time_limit=30, threads=1, gap=1e-6, search_lns=0.0)
    assert "concurrent_lns" not in off.summary["solver"]


def test_by_default_the_thread_runs_where_highs_lps_are_large_whatever_the_binaries(case, monkeypatch):
    """Below api.SEARCH_LNS_MIN_BINARIES the thread is on by default where the model has more
    than api.CONCURRENT_LNS_MIN_COLUMNS columns that can be nonzero (HiGHS's node LPs are large:
    41x10x3), off where it has fewer (yrd-cities, proven by HiGHS's tree search)."""
    import yrdopt.api
    from yrdopt.api import live_columns

    inst, cm, ref = case
    assert int(cm.integrality.sum()) <= yrdopt.api.SEARCH_LNS_MIN_BINARIES
    monkeypatch.setattr(yrdopt.api, "usable_cores", lambda: 2)
    monkeypatch.setattr(yrdopt.api, "CONCURRENT_LNS_MIN_COLUMNS", live_columns(cm) - 1)
    on = solve(inst, time_limit=30, gap=1e-6)
    assert "concurrent_lns" in on.summary["solver"] and on.summary["status"] == "optimal"
    assert on.summary["objective"] == pytest.approx(ref.objective, rel=1e-5)
    monkeypatch.setattr(yrdopt.api, "CONCURRENT_LNS_MIN_COLUMNS", live_columns(cm))
    off = solve(inst, time_limit=30, gap=1e-6)
    assert "concurrent_lns" not in off.summary["solver"]


def test_the_shipped_instances_fall_on_the_measured_sides_of_the_column_rule():
    """The rule's threshold separates the instances it was measured on: the shipped yrd-cities
    (HiGHS's two workers prove it sooner) below, the generated 41x10x3 (HiGHS stays in its root)
    above; a change to the model's blocks that moves either across it must be measured again."""
    from pathlib import Path

    from yrdopt.api import CONCURRENT_LNS_MIN_COLUMNS, live_columns
    from yrdopt.io import load_instance

    cities = build(load_instance(Path(__file__).resolve().parents[1] / "instances" / "yrd-cities.yaml"))
    g10 = build(generate_instance(41, 10, 3, seed=1))
    assert live_columns(cities) < CONCURRENT_LNS_MIN_COLUMNS < live_columns(g10)


def test_the_thread_with_more_than_one_highs_thread_is_a_clear_error(case, tmp_path):
    from typer.testing import CliRunner

    from yrdopt.cli import app
    from yrdopt.io import dump_instance

    inst, _, _ = case
    path = tmp_path / "g.yaml"
    dump_instance(inst, path)
    r = CliRunner().invoke(app, ["solve", str(path), "--threads", "2", "--concurrent-lns", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "threads" in r.output and "concurrent_lns" in r.output and "Traceback" not in r.output


def test_end_interrupts_the_running_sub_milp():
    """HiGHS may end (proven, stopped) while the thread's sub-MILP has seconds to go: end() stops
    it at once rather than waiting for its step limit."""
    cm = build(generate_instance(16, 8, 3, seed=3))
    lns = ConcurrentLns(cm, binaries=10**6, step_limit=60.0, seed=1, threads=1)  # the whole model: a long step
    lns.incumbent(greedy_start(cm))
    lns.begin(None)
    time.sleep(2.0)  # the first sub-MILP is running
    t0 = time.perf_counter()
    lns.end()
    assert time.perf_counter() - t0 < 3.0
    assert lns.steps >= 1 and not _lns_threads() and lns.error is None


def test_a_primal_helper_without_end_still_works(case):
    """end() is optional: a helper written before it existed is not called for it."""
    inst, cm, ref = case

    class Offers:
        def begin(self, time_limit, stop):
            self.began = True

        def incumbent(self, x):
            pass

        def propose(self, gap):
            return None

    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-6), primal=Offers())
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal" and res.objective == pytest.approx(ref.objective, rel=1e-6)


def test_usable_cores_follow_the_process_affinity():
    import os
    import subprocess
    import sys

    from yrdopt.api import usable_cores

    if not hasattr(os, "sched_setaffinity"):  # no affinity on this platform: the machine's count
        assert usable_cores() == (os.cpu_count() or 1)
        return
    code = "import os; os.sched_setaffinity(0, {min(os.sched_getaffinity(0))}); from yrdopt.api import usable_cores; print(usable_cores())"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "1"


def test_the_thread_asked_for_where_it_cannot_run_is_a_clear_error(tmp_path):
    """A brownfield or phased instance: the thread's sub-MILPs cannot keep today's sites (before:
    --concurrent-lns was silently ignored)."""
    from pathlib import Path

    from typer.testing import CliRunner

    from yrdopt.cli import app

    shipped = Path(__file__).resolve().parents[1] / "instances" / "yrd-provinces-2035.yaml"
    r = CliRunner().invoke(app, ["solve", str(shipped), "--concurrent-lns", "-o", str(tmp_path / "o")])
    assert r.exit_code == 2, r.output
    assert "concurrent_lns" in r.output and "Traceback" not in r.output

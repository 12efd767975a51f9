"""Solver progress reports and stop requests (HiGHS callbacks), with real HiGHS."""

import threading
import time

import pytest

import yrdopt
from yrdopt.generate import generate_instance
from yrdopt.heuristic import greedy_start
from yrdopt.model.compiled import build
from yrdopt.solver import PROGRESS_INTERVAL_S, HighsSolver, SolverOptions

# a generated model HiGHS does not prove optimal within 30 s on one thread (README, resolve profile)
HARD = dict(regions=10, chains=8, segments=4, seed=2)


@pytest.fixture(scope="module")
def hard_instance():
    return generate_instance(HARD["regions"], HARD["chains"], HARD["segments"], HARD["seed"])


def test_stop_from_progress_hook_ends_the_solve_early_with_a_checked_layout(hard_instance):
    stop = threading.Event()
    calls = []

    def progress(elapsed, best, bound, gap):
        calls.append((elapsed, best, bound, gap))
        if best is not None:
            stop.set()

    t0 = time.perf_counter()
    sol = yrdopt.solve(hard_instance, time_limit=30, threads=1, progress=progress, stop=stop)
    took = time.perf_counter() - t0
    assert sol.summary["status"] == "interrupted"
    assert took < 15  # the 30 s limit was not what ended it
    assert sol.check.verified and sol.summary["verified"]
    assert len(sol.layout) and sol.summary["objective"] is not None
    assert calls and calls[-1][1] is not None
    elapsed = [c[0] for c in calls]
    assert elapsed == sorted(elapsed)


def test_progress_reports_are_throttled_and_carry_best_and_bound(hard_instance):
    cm = build(hard_instance)
    calls = []
    solver = HighsSolver(SolverOptions(time_limit=3, threads=1),
                         progress=lambda *a: calls.append(a))
    solver.load(cm)
    res = solver.solve(greedy_start(cm))
    assert res.status == "time_limit_with_incumbent"
    assert len(calls) >= 2
    gaps = [b[0] - a[0] for a, b in zip(calls, calls[1:])]
    assert min(gaps) >= PROGRESS_INTERVAL_S * 0.99
    assert any(c[2] is not None and c[1] is not None and c[2] <= c[1] + 1e-6 for c in calls)
    # the reported best never gets worse
    bests = [c[1] for c in calls if c[1] is not None]
    assert all(b <= a + 1e-9 for a, b in zip(bests, bests[1:]))


def test_request_stop_from_another_thread_keeps_the_incumbent(hard_instance):
    cm = build(hard_instance)
    solver = HighsSolver(SolverOptions(time_limit=30, threads=1))
    solver.load(cm)
    timer = threading.Timer(1.0, solver.request_stop)
    timer.start()
    t0 = time.perf_counter()
    res = solver.solve(greedy_start(cm))
    assert time.perf_counter() - t0 < 15
    assert res.status == "interrupted" and res.x is not None
    # the flag stays set, so a loop of solves stops as a whole
    t0 = time.perf_counter()
    assert solver.solve().status == "interrupted" and time.perf_counter() - t0 < 5


def test_an_exception_in_the_progress_hook_stops_the_solve_and_is_raised(hard_instance):
    cm = build(hard_instance)

    def progress(*_):
        raise KeyboardInterrupt

    solver = HighsSolver(SolverOptions(time_limit=30, threads=1), progress=progress)
    solver.load(cm)
    t0 = time.perf_counter()
    with pytest.raises(KeyboardInterrupt):
        solver.solve(greedy_start(cm))
    assert time.perf_counter() - t0 < 15
    assert solver.last_result is not None and solver.last_result.x is not None

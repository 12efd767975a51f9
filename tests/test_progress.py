"""Solver progress reports and stop requests (HiGHS callbacks), with real HiGHS."""

import threading
from pathlib import Path
from types import SimpleNamespace
import time

import numpy as np
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


def test_phases_before_highs_report_their_name_the_start_s_cost_and_the_lp_bound():
    """Kernel search (forced on a model of 97 binaries) runs before HiGHS: the hook hears each
    phase in order, the greedy layout's cost (recomputed by the checker) as the first best,
    the kernel search's LP value as the first bound, all before HiGHS's first report."""
    from yrdopt.checker import check_layout
    from yrdopt.progress import BUILD, CHECK, GREEDY, HIGHS, KERNEL, POLISH
    from yrdopt.solution import tables_from_x

    inst = generate_instance(8, 4, 3, 2)  # its greedy layout meets every row
    calls = []
    sol = yrdopt.solve(inst, time_limit=15, gap=0.01, threads=1, kernel_search=0.4,
                       progress=lambda el, best, bound, gap, phase=None: calls.append((el, phase, best, bound)))
    assert sol.summary["verified"] and sol.summary["solver"]["start"] == "greedy"
    ks = sol.summary["solver"]["kernel_search"]
    phases = [c[1] for c in calls]
    order = list(dict.fromkeys(phases))
    assert order == [BUILD, GREEDY, KERNEL, HIGHS, POLISH, CHECK]
    assert [c[0] for c in calls] == sorted(c[0] for c in calls)
    before = calls[:phases.index(HIGHS)]
    # the first best layout is the greedy's, reported in its own phase, as the checker costs it
    cm = build(inst)
    x = greedy_start(cm)
    layout, flows, expansions = tables_from_x(cm, x)
    greedy = check_layout(inst, layout, flows, expansions)
    assert greedy.verified
    first = next(c for c in before if c[2] is not None)
    assert first[1] == GREEDY and first[2] == pytest.approx(greedy.objective, rel=1e-9)
    # the LP's value is the first bound, during kernel search, and the result's bound is no weaker
    first_bound = next(c for c in before if c[3] is not None)
    assert first_bound[1] == KERNEL and first_bound[3] == pytest.approx(ks["lp_value"], rel=1e-12)
    assert first_bound[3] <= sol.summary["bound"] + 1e-9
    # each better kernel-search layout, down to the one HiGHS starts from
    bests = [c[2] for c in before if c[2] is not None]
    assert bests == sorted(bests, reverse=True)
    if ks["improved"]:
        assert bests[-1] == pytest.approx(ks["objective"], rel=1e-9) and bests[-1] < first[2]
    # HiGHS's reports keep the better bound and never a worse best than the start
    for _, _, best, bound in calls[phases.index(HIGHS):]:
        assert bound >= first_bound[3] - 1e-9 and best <= bests[-1] * (1 + 1e-9)
    assert calls[-1][1] == CHECK and calls[-1][2] == pytest.approx(sol.objective, rel=1e-6)


def test_a_four_argument_hook_behind_a_plain_wrapper_is_called_with_four_arguments():
    """A hook wrapped by a decorator without functools.wraps takes (*args, **kwargs) and hands
    them on: it must not be given the phase (before: TypeError, unexpected keyword 'phase').
    A hook that names ``phase`` gets it."""
    four_calls, named = [], []

    def four(elapsed, best, bound, gap):
        four_calls.append((elapsed, best, bound, gap))

    def logged(f):
        def wrapper(*args, **kwargs):
            return f(*args, **kwargs)
        return wrapper

    def with_phase(elapsed, best, bound, gap, phase=None):
        named.append(phase)

    inst = generate_instance(4, 2, 2, seed=1)
    for hook in (logged(four), with_phase):
        sol = yrdopt.solve(inst, time_limit=20, threads=1, progress=hook)
        assert sol.summary["verified"]
    assert four_calls and named and all(p is not None for p in named)


def test_the_best_shown_never_rises_within_a_search():
    """The best layout shown is the lowest cost reported so far: HiGHS's first report may hold a
    dearer incumbent than the start shown before it (HiGHS dropped the start; the search then
    keeps the start, api._with_layout), and the result entering the polish may cost a hair more
    in another arithmetic.  Before, both replaced the best shown, which rose."""
    from yrdopt.claims import relative_gap
    from yrdopt.progress import GREEDY, HIGHS, KERNEL, POLISH, Phases

    shown = []
    phases = Phases(lambda _el, best, bound, gap, phase=None: shown.append((phase, best, bound, gap)))
    phases.enter(GREEDY)
    phases.layout(120.0)  # the greedy's layout
    phases.enter(KERNEL)
    phases.layout(110.0)  # a better one, which kernel search keeps
    phases.layout(115.0)  # a dearer one: not shown
    phases.enter(HIGHS)
    phases.highs(0.1, 112.0, 90.0, relative_gap(112.0, 90.0))  # HiGHS without the start
    phases.highs(0.2, 105.0, 95.0, relative_gap(105.0, 95.0))  # then better than it
    phases.enter(POLISH, best=105.0 * (1 + 1e-12), bound=95.0)
    bests = [b for _, b, _, _ in shown if b is not None]
    assert bests == sorted(bests, reverse=True) and bests[0] == 120.0 and bests[-1] == 105.0
    assert [b for p, b, _, _ in shown if p == HIGHS] == [110.0, 110.0, 105.0]
    # the gap shown is that of the best and the bound shown
    assert [g for p, _, _, g in shown if p == HIGHS] == [None, relative_gap(110.0, 90.0), relative_gap(105.0, 95.0)]


def test_a_search_keeps_the_start_it_showed_where_highs_ends_without_it(hard_instance):
    """The start is shown as the best layout before HiGHS runs; where HiGHS ends without a layout
    of its own or with a dearer one (it dropped the start, or a re-solve without it ran out of
    time), the search keeps the start (api._with_layout), at its own cost, with HiGHS's bound and
    the gap recomputed.  Here HiGHS is stopped before its first layout."""
    from yrdopt.api import _with_layout
    from yrdopt.lns import layout_cost
    from yrdopt.progress import SAME

    cm = build(hard_instance)
    start = greedy_start(cm)
    cost = layout_cost(cm, start)
    assert cost is not None
    solver = HighsSolver(SolverOptions(time_limit=30, threads=1))
    solver.load(cm)
    solver.request_stop()
    res = solver.solve()
    assert res.x is None and res.status == "stopped_no_incumbent"
    kept = _with_layout(cm, res, start, cost, margin=SAME)
    assert kept is not None and kept.status == "interrupted" and np.array_equal(kept.x, start)
    assert kept.objective == cost and kept.bound == res.bound
    # a dearer start leaves HiGHS's result as it is
    ended = HighsSolver(SolverOptions(time_limit=30, threads=1, mip_gap=0.5))
    ended.load(cm)
    own = ended.solve(start)
    assert own.objective <= cost * (1 + 1e-9) and _with_layout(cm, own, start, cost, margin=SAME) is None


def test_the_result_replaces_a_cost_highs_claimed_for_a_layout_that_does_not_have_it():
    """HiGHS 1.16 reports its mapped MIP start on OR-Library cap71 at 559,724.075, a cost no layout
    has (the solve re-solves without the start and ends at the optimum 932,615.75, formulation.md
    section 6).  The polish and check lines show the result's cost, the optimum; before, the
    best shown only fell, so the false claim stayed on screen to the end with a gap of 0."""
    from orlib_cap import cap_instance, read_cap_file

    from yrdopt.progress import CHECK, HIGHS, POLISH

    data = Path(__file__).resolve().parent / "data" / "orlib_cap"
    inst = yrdopt.load_instance(cap_instance(read_cap_file(data / "cap71.txt"), "cap71.txt"))
    shown = []
    sol = yrdopt.solve(inst, gap=1e-9, threads=1,
                       progress=lambda _el, best, bound, gap, phase=None: shown.append((phase, best, bound)))
    assert sol.summary["solver"].get("resolved_without_start")  # the false claim happened
    assert sol.objective == pytest.approx(932615.75, rel=1e-9)
    assert any(p == HIGHS and b is not None and b < 0.9 * sol.objective for p, b, _ in shown)
    after = [(b, bound) for p, b, bound in shown if p in (POLISH, CHECK)]
    assert after and all(b == pytest.approx(sol.objective, rel=1e-9) and bound <= b + 1e-6 for b, bound in after)


def test_kernel_search_shows_a_layout_only_where_it_would_keep_it():
    """A restricted MILP's layout is shown only where it beats kernel search's best so far by
    kernel search's own margin (kernel_search._better, 1e-6 relative); a smaller improvement,
    which kernel search drops, would otherwise be shown and stay on screen."""
    from yrdopt.kernel_search import _FittingLayouts
    from yrdopt.lns import layout_cost

    cm = build(generate_instance(5, 3, 3, seed=1))
    x = greedy_start(cm)
    cost = layout_cost(cm, x)
    assert cost is not None

    shown: list = []
    report = SimpleNamespace(layout=shown.append)
    _FittingLayouts(cm, report, floor=cost * (1 + 1e-7)).incumbent(x)  # better by 1e-7 only
    assert shown == []
    _FittingLayouts(cm, report, floor=cost * (1 + 1e-5)).incumbent(x)
    assert shown == [cost]


def test_with_the_thread_a_start_highs_dropped_is_kept_as_the_start_not_as_the_threads(hard_instance, monkeypatch):
    """Where HiGHS ends without the start it was given (here: stopped before its first layout,
    the start not handed over) the search keeps the start and says so (start_kept); the
    concurrent LNS, which holds the start until it improves on it, is not credited with it.
    Before, the thread's record claimed the layout and start_kept was never set."""
    import yrdopt.api
    from yrdopt.api import search
    from yrdopt.deadline import Deadline

    monkeypatch.setattr(yrdopt.api, "usable_cores", lambda: 2)
    cm = build(hard_instance)
    start = greedy_start(cm)
    solver = HighsSolver(SolverOptions(time_limit=30, threads=1))
    solver.load(cm)
    plain = solver.solve

    def dropped(_start=None, **kw):  # real HiGHS, stopped before a layout, the start never given
        solver.request_stop()
        try:
            return plain(None, **kw)
        finally:
            solver.stop.clear()

    monkeypatch.setattr(solver, "solve", dropped)
    res = search(solver, cm, Deadline(30), start=start.copy(), concurrent_lns=True, kernel_search=0.0)
    assert np.array_equal(res.x, start) and res.solver.get("start_kept") is True
    assert res.solver["concurrent_lns"]["layout"] is False


def test_a_layout_below_highs_bound_never_replaces_highs_result(hard_instance):
    """The start (or the thread's layout) replaces HiGHS's result only where it is cheaper and
    fits; a layout cheaper than HiGHS's proven bound cannot be feasible to HiGHS's tolerance (it
    passed fits' relative one), so HiGHS's result stands, never an "optimal" below its own bound.
    Here HiGHS's real result is given a bound above the start's cost."""
    from dataclasses import replace

    from yrdopt.api import _with_layout
    from yrdopt.lns import layout_cost

    cm = build(hard_instance)
    start = greedy_start(cm)
    cost = layout_cost(cm, start)
    solver = HighsSolver(SolverOptions(time_limit=30, threads=1))
    solver.load(cm)
    solver.request_stop()
    res = solver.solve()
    assert res.x is None and _with_layout(cm, res, start, cost) is not None  # no bound above it: kept
    assert _with_layout(cm, replace(res, bound=cost * 1.01), start, cost) is None

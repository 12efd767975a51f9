"""Kernel search from the LP relaxation's layout (yrdopt.kernel_search): its LP guide is the
full model's LP, every layout it returns is feasible, priced as the checker prices it and never
below the plain MILP's optimum, and `solve` with it still proves that optimum."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from yrdopt.api import solve
from yrdopt.checker import check_layout
from yrdopt.generate import generate_instance
from yrdopt.heuristic import greedy_start
from yrdopt.kernel_search import _restricted, kernel_search, lp_guide
from yrdopt.model.compiled import build
from yrdopt.solution import tables_from_x
from yrdopt.solver import HighsSolver, SolverOptions


def _solve(cm, integral=True):
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-6))
    s.load(cm if integral else replace(cm, integrality=np.zeros_like(cm.integrality)))
    res = s.solve()
    assert res.status == "optimal"
    return res


@pytest.fixture(scope="module", params=[(8, 4, 3, 1), (6, 5, 4, 2)], ids=lambda p: "x".join(map(str, p)))
def case(request):
    R, C, S, seed = request.param
    inst = generate_instance(R, C, S, seed=seed, tightness=1.15)  # quotas that bite
    cm = build(inst)
    return inst, cm, _solve(cm)


def test_the_lp_guide_is_the_full_model_s_lp(case):
    _, cm, _ = case
    lp = _solve(cm, integral=False)
    value, activity, reduced = lp_guide(cm, 30.0, threads=1)
    assert value == pytest.approx(lp.objective, rel=1e-6)
    assert activity.shape == reduced.shape == cm.var("activity").shape
    # the guide's activities meet the demand rows (C1): a layout of the LP, not a partial one
    np.testing.assert_allclose(activity.sum(axis=1), cm.data.activity, rtol=1e-6)
    # a placement the LP leaves at 0 costs at least its reduced cost more per unit: never below 0
    # at an optimum (the ranking of the buckets)
    free = cm.var("activity").take(cm.col_upper) > 0  # not a forbidden placement (bounds [0, 0])
    assert (reduced[free & (activity <= 1e-9)] >= -1e-6).all()


def test_a_restricted_milp_is_a_restriction(case):
    """Bounding placements outside the kernel to 0 never finds a layout below the optimum, and
    with every allowed placement in the kernel it finds the optimum."""
    _, cm, ref = case
    allowed = cm.var("place").take(cm.col_upper) > 0.5
    start = greedy_start(cm)
    whole = _restricted(cm, allowed, start, 60.0, 1, None)
    assert whole.objective == pytest.approx(ref.objective, rel=1e-3)  # the restricted MILP's gap
    used = cm.var("place").take(ref.x) > 0.5
    only_used = _restricted(cm, used, ref.x, 60.0, 1, None)  # the optimum's own sites: its layout
    assert only_used.objective == pytest.approx(ref.objective, rel=1e-3)
    one_site_less = used.copy()
    one_site_less[np.argwhere(used)[0][0], :] = False  # a segment with no region left
    assert _restricted(cm, one_site_less, ref.x, 60.0, 1, None).x is None


def test_kernel_search_layouts_are_checked_feasible_and_never_below_the_optimum(case):
    inst, cm, ref = case
    start = greedy_start(cm)
    found = kernel_search(cm, start, 20.0, threads=1)
    start_obj = found.start_objective  # inf where the greedy's layout misses a province share
    assert found.lp_value is not None and found.lp_value <= ref.objective + 1e-6 * abs(ref.objective)
    assert found.kernel > 0 and found.seconds <= 20.0 + 5.0
    if found.x is None:  # nothing better than the greedy's layout: then the greedy was optimal
        assert start_obj == pytest.approx(ref.objective, rel=1e-3)
        return
    assert found.improved >= 1
    layout, flows, exps = tables_from_x(cm, found.x)
    rep = check_layout(inst, layout, flows, exps)
    assert rep.verified
    assert rep.objective == pytest.approx(found.objective, rel=1e-6)
    assert ref.objective - 1e-6 * abs(ref.objective) <= found.objective < start_obj


def test_solve_with_kernel_search_proves_the_plain_milp_optimum_and_records_the_search(case):
    inst, _, ref = case
    sol = solve(inst, time_limit=40, threads=1, gap=1e-6, kernel_search=0.4)
    assert sol.summary["verified"] and sol.summary["status"] == "optimal"
    assert sol.summary["objective"] == pytest.approx(ref.objective, rel=1e-5)
    rec = sol.summary["solver"]["kernel_search"]
    assert rec["kernel"] > 0 and 0 < rec["seconds"] <= 0.4 * 40 + 2
    assert rec["lp_value"] <= ref.objective + 1e-6 * abs(ref.objective)
    if rec["improved"]:
        assert ref.objective - 1e-6 * abs(ref.objective) <= rec["objective"]


def test_solve_skips_kernel_search_by_default_on_small_models_and_refuses_a_whole_share(case):
    inst, _, _ = case
    assert "kernel_search" not in solve(inst, time_limit=40, threads=1).summary["solver"]  # 2,500 binaries and less
    with pytest.raises(ValueError, match="kernel_search"):
        solve(inst, time_limit=40, threads=1, kernel_search=1.0)


def test_kernel_search_keeps_and_reports_only_layouts_that_fit_the_whole_model(case):
    """HiGHS keeps a layout that misses a row by its own (absolute) tolerance; the main solve
    takes kernel search's layout as its start only where it fits (lns.fits).  So a layout that
    misses a row is neither kept nor shown as progress (``_FittingLayouts``: before, every better
    layout HiGHS found was reported, and one that missed a row was dropped afterwards, taking the
    progress's best back up to the start's); a restricted MILP's result is its best layout that
    fits, the last best shown."""
    from yrdopt.kernel_search import _FittingLayouts
    from yrdopt.lns import fits, layout_cost
    from yrdopt.progress import Phases

    _, cm, ref = case
    shown = []
    phases = Phases(lambda _el, best, _bound, _gap: shown.append(best))
    kept = _FittingLayouts(cm, phases)
    act = cm.var("activity")
    s, r = np.argwhere(act.take(ref.x) > 1.0)[0]
    short = ref.x.copy()
    j = int(act.index(s, r))
    short[j] -= 1e-3 * ref.x[j]  # misses its segment's demand by 0.1 %
    assert not fits(cm, short) and cm.cost @ short < ref.objective - cm.offset  # cheaper, and no layout
    kept.incumbent(short)
    assert kept.x is None and shown == []
    kept.incumbent(ref.x)
    assert np.array_equal(kept.x, ref.x) and shown == [pytest.approx(ref.objective, rel=1e-9)]
    # a restricted MILP: what it returns fits, is the last best shown, and the bests only fall
    shown.clear()
    allowed = cm.var("place").take(cm.col_upper) > 0.5
    res = _restricted(cm, allowed, greedy_start(cm), 60.0, 1, None, report=Phases(
        lambda _el, best, _bound, _gap: shown.append(best)))
    assert res.x is not None and fits(cm, res.x)
    assert shown and shown == sorted(shown, reverse=True)
    assert res.objective == pytest.approx(layout_cost(cm, res.x), rel=1e-12) == pytest.approx(shown[-1], rel=1e-9)

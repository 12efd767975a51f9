"""The time limit covers every phase of a solve (yrdopt.deadline); wall times themselves are
measured in benchmarks/time_limit.py, not asserted here."""

import time

import pytest

import yrdopt
from yrdopt.deadline import (PROBING_MAX_BINARIES, PROBING_OFF, ROOT_SOON, Deadline, after_solve_reserve,
                             highs_options_for, root_options_for)

from conftest import DATA


def test_highs_gets_what_is_left_after_reading_building_and_the_start():
    # a deadline that started 5 s ago (as the CLI counts from the process start)
    d = Deadline(20.0, time.perf_counter() - 5.0)
    sol = yrdopt.solve(DATA / "toy_features.yaml", time_limit=20.0, deadline=d)
    highs_limit = sol.summary["solver"]["options"]["time_limit"]
    assert 0 < highs_limit <= 15.0 - after_solve_reserve(sol.summary["model"]["variables"]) + 1e-9
    assert sol.summary["verified"]


def test_no_time_limit_leaves_highs_unlimited():
    sol = yrdopt.solve(DATA / "toy_features.yaml")
    assert sol.summary["solver"]["options"]["time_limit"] is None


@pytest.mark.parametrize("binaries,highs,probing_off", [
    (PROBING_MAX_BINARIES + 1, {}, True),       # probing would overrun the limit: off
    (PROBING_MAX_BINARIES, {}, False),          # small models keep HiGHS's presolve
    (PROBING_MAX_BINARIES + 1, {"presolve_rule_off": 0}, False),  # the caller's own choice wins
])
def test_probing_off_only_for_large_models_under_a_limit(binaries, highs, probing_off):
    limit, opts = highs_options_for(30.0, 100_000, binaries, highs)
    assert limit == pytest.approx(30.0 - after_solve_reserve(100_000))
    assert (opts.get("presolve_rule_off") == PROBING_OFF["presolve_rule_off"]) == probing_off
    assert highs_options_for(None, 100_000, binaries, highs) == (None, highs)


def test_a_spent_deadline_still_returns_the_checked_start():
    # nothing left: HiGHS gets a token limit and the greedy start comes back checked, never lost
    d = Deadline(1.0, time.perf_counter() - 10.0)
    sol = yrdopt.solve(DATA / "toy_features.yaml", time_limit=1.0, deadline=d)
    assert sol.summary["verified"] and sol.status in ("optimal", "time_limit_with_incumbent")


@pytest.mark.parametrize("binaries,has_start,highs,expected", [
    (PROBING_MAX_BINARIES + 1, True, {}, ROOT_SOON),     # a large model with a start: straight to the root LP
    (PROBING_MAX_BINARIES + 1, False, {}, {}),           # no start: the feasibility jump may find the first layout
    (PROBING_MAX_BINARIES, True, {}, {}),                # small models keep HiGHS's defaults
    (PROBING_MAX_BINARIES + 1, True, {"mip_detect_symmetry": True},
     {"mip_heuristic_run_feasibility_jump": False, "mip_detect_symmetry": True}),  # the caller's choice wins
])
def test_root_set_up_skipped_only_for_large_models_with_a_start(binaries, has_start, highs, expected):
    assert root_options_for(binaries, has_start, highs) == expected

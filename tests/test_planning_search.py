"""Alternatives, fronts and lexicographic solves search as ``solve`` does (``api.search``): where
the greedy gets stuck their first MIP starts from ``lns.construct``'s layout, every layout is
verified by the checker, and the optima equal those of the plain path (no start) where both finish."""

from __future__ import annotations

import pytest

from yrdopt.analysis.alternatives import alternatives
from yrdopt.analysis.fronts import lexicographic, pareto_front
from yrdopt.generate import generate_dict
from yrdopt.heuristic import greedy_layout
from yrdopt.io import load_instance
from yrdopt.model.compiled import build
from yrdopt.solver import SolverOptions

from tight_quotas import cut_quotas_to_optimum

OPTIONS = SolverOptions(time_limit=30, threads=1, mip_gap=1e-6)


@pytest.fixture(scope="module")
def tight():
    """A generated instance whose quotas are cut to what its optimum uses: the greedy gets stuck."""
    inst = load_instance(cut_quotas_to_optimum(generate_dict(6, 4, 3, 1)))
    assert greedy_layout(build(inst).data) is None
    return inst


def test_alternatives_start_from_the_constructed_layout_and_keep_the_plain_optimum(tight):
    new = alternatives(tight, n=3, slack=0.05, options=OPTIONS)
    plain = alternatives(tight, n=3, slack=0.05, options=OPTIONS, greedy_start=False)
    assert new.layouts[0].start == "constructed" and plain.layouts[0].start is None
    assert new.layouts[0].mga_status == plain.layouts[0].mga_status == "optimal"
    assert new.optimum == pytest.approx(plain.optimum, rel=1e-6)
    assert len(new.layouts) == len(plain.layouts) == 3
    for a in new.layouts:
        assert a.verified
        assert a.solution.check.objective <= new.budget * (1 + 1e-9) + 1e-6


def test_a_front_starts_its_first_stage_from_the_constructed_layout_and_keeps_the_plain_front(tight):
    new = pareto_front(tight, ("distance", "duplication"), points=3, options=OPTIONS)
    plain = pareto_front(tight, ("distance", "duplication"), points=3, options=OPTIONS, greedy_start=False)
    assert new.stages[0]["start"] == "constructed" and plain.stages[0]["start"] is None
    # the f2-best end starts from the f1-best end, every other point from the f2-best end
    assert all(s["start"] == "given" for s in new.stages[3::3])
    assert new.exact and plain.exact
    assert all(p.solution.summary["verified"] for p in new.points)
    assert len(new.points) == len(plain.points) == 3
    for a, b in zip(new.values(), plain.values()):
        assert a == pytest.approx(b, rel=1e-6, abs=1e-6)


def test_lexicographic_starts_from_the_constructed_layout_and_keeps_the_plain_optimum(tight):
    new = lexicographic(tight, ["duplication", "distance"], options=OPTIONS)
    plain = lexicographic(tight, ["duplication", "distance"], options=OPTIONS, greedy_start=False)
    assert new.solution.summary["verified"] and plain.solution.summary["verified"]
    assert new.values == pytest.approx(plain.values, rel=1e-6, abs=1e-6)
    assert new.solution.summary["objective"] == pytest.approx(plain.solution.summary["objective"], rel=1e-6)

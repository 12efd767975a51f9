"""Trade-off fronts and lexicographic solving (yrdopt.analysis.fronts) against brute force."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import yrdopt
from yrdopt.claims import CLAIM_TOL
from yrdopt.cli import app
from yrdopt.errors import InstanceError
from yrdopt.analysis.fronts import lexicographic, pareto_front

from conftest import DATA
from single_site import evaluate_all, non_dominated

TINY = DATA / "pareto_tiny.yaml"
SMALL = DATA / "planning_small.yaml"


def brute_front(t1, t2):
    inst = yrdopt.load_instance(TINY)
    pts = [(round(raw[t1], 9), round(raw[t2], 9)) for _, ok, raw in evaluate_all(inst) if ok]
    return non_dominated(pts)


def unsupported(front):
    """Points strictly above the lower convex hull: no weighted sum of the terms finds them."""
    out = []
    for p in front:
        for a in front:
            for b in front:
                if a[0] < p[0] < b[0]:
                    y = a[1] + (p[0] - a[0]) / (b[0] - a[0]) * (b[1] - a[1])
                    if p[1] > y + 1e-9:
                        out.append(p)
    return set(out)


@pytest.mark.parametrize("between", [("distance", "site_cost"), ("site_cost", "distance")])
def test_front_equals_brute_force(between):
    # values agree to 1e-5 (terms are held at their optimum plus 1e-6, the MIP feasibility
    # tolerance); distinct front values here are at least 0.5 apart
    t1, t2 = between
    brute = brute_front(t1, t2)
    # the instance is chosen so that the front has non-convex parts (weighted sums miss them)
    assert len(brute) == 5 and len(unsupported(brute)) >= 1
    res = pareto_front(TINY, between)
    got = sorted(res.values())
    assert len(got) == len(brute)
    np.testing.assert_allclose(np.array(got), np.array(brute), atol=1e-5)
    for p in res.points:
        assert p.solution.summary["verified"]
        raw = p.solution.check.components_raw  # the checker's own values, within its claim tolerance:
        # a stage started from the stage before's layout may keep HiGHS's 1e-7-level activity
        # at unsited regions (within its feasibility tolerance), which the checker prices
        assert (raw[t1], raw[t2]) == pytest.approx((p.values[t1], p.values[t2]), rel=CLAIM_TOL, abs=CLAIM_TOL)


def test_grid_points_are_non_dominated():
    brute = brute_front("distance", "site_cost")
    res = pareto_front(TINY, ("distance", "site_cost"), points=3)
    assert 2 <= len(res.points) <= 3
    for v in res.values():
        assert any(np.allclose(v, b, atol=1e-5) for b in brute)


def test_front_with_continuous_stretch_is_truncated_not_endless():
    res = pareto_front(SMALL, ("distance", "site_cost"), max_points=3)
    assert res.truncated and len(res.points) == 3
    v = np.array(res.values())
    assert (np.diff(v[:, 0]) > 0).all() and (np.diff(v[:, 1]) < 0).all()


def test_integer_term_front_on_small_instance():
    res = pareto_front(SMALL, ("distance", "duplication"))
    v = np.array(res.values())
    assert len(v) >= 2 and (np.diff(v[:, 0]) > 0).all() and (np.diff(v[:, 1]) < 0).all()
    assert all(p.solution.summary["verified"] for p in res.points)
    # the ends: the least distance at any duplication, and the least duplication at any distance
    for term, value in (("distance", v[0, 0]), ("duplication", v[-1, 1])):
        lex = lexicographic(SMALL, [term])
        assert lex.values[term] == pytest.approx(value, abs=1e-5)


def test_lexicographic_against_brute_force():
    inst = yrdopt.load_instance(TINY)
    feas = [raw for _, ok, raw in evaluate_all(inst) if ok]
    best_cost = min(r["site_cost"] for r in feas)
    # exact: least distance among the cheapest layouts
    lex = lexicographic(TINY, ["site_cost", "distance"])
    assert lex.values["site_cost"] == pytest.approx(best_cost, abs=1e-5)
    assert lex.values["distance"] == pytest.approx(min(r["distance"] for r in feas if r["site_cost"] <= best_cost + 1e-9), abs=1e-5)
    # with a 20 % tolerance on the first term
    lex = lexicographic(TINY, ["site_cost", "distance"], tolerance=0.2)
    want = min(r["distance"] for r in feas if r["site_cost"] <= 1.2 * best_cost + 1e-9)
    assert lex.solution.check.components_raw["distance"] == pytest.approx(want, abs=1e-5)
    assert lex.solution.check.components_raw["site_cost"] <= 1.2 * best_cost + 1e-6
    assert lex.solution.summary["verified"]


@pytest.mark.parametrize("between", [("distance", "distance"), ("distance", "beauty")])
def test_bad_terms_are_input_errors(between):
    with pytest.raises(InstanceError):
        pareto_front(TINY, between)


def test_cli_pareto_and_lexicographic(tmp_path):
    r = CliRunner().invoke(app, ["pareto", str(TINY), "--between", "distance", "site_cost", "--out", str(tmp_path / "f")])
    assert r.exit_code == 0, r.output
    assert len(pd.read_csv(tmp_path / "f" / "front.csv")) == 5
    assert (tmp_path / "f" / "front.png").exists() and (tmp_path / "f" / "point-5" / "layout.csv").exists()
    assert json.loads((tmp_path / "f" / "front.json").read_text())["points"] == 5
    r = CliRunner().invoke(app, ["lexicographic", str(TINY), "site_cost", "distance", "--out", str(tmp_path / "l")])
    assert r.exit_code == 0, r.output
    assert json.loads((tmp_path / "l" / "summary.json").read_text())["verified"]
    r = CliRunner().invoke(app, ["pareto", str(TINY), "--between", "distance", "nope"])
    assert r.exit_code == 2 and "nope" in r.output


def test_a_front_goes_on_when_a_later_stage_loses_the_layout_handed_on(monkeypatch):
    """With the settings of a model above 2,500 binaries (no presolve probing, the greedy layout
    as a term's start), HiGHS 1.16 accepts a start that misses a row by 2e-6 on this instance, the
    next stage's hold sits 1e-5 under the term's optimum and that stage comes back infeasible.
    The lexicographic solve keeps the previous stage's layout; the front then read the term it
    never reached (KeyError: 'duplication')."""
    import yrdopt.analysis.fronts as fronts
    import yrdopt.deadline as deadline
    from yrdopt.generate import generate_instance

    monkeypatch.setattr(deadline, "PROBING_MAX_BINARIES", 0)
    monkeypatch.setattr(fronts, "TERM_START_MIN_BINARIES", 0)
    front = pareto_front(generate_instance(8, 3, 3, seed=1), ("distance", "duplication"), points=3,
                         options=yrdopt.SolverOptions(time_limit=20, threads=1, mip_gap=1e-6))
    assert front

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

from conftest import DATA, HIGHS_OVERRUN_S
from phase_recording import record_polishes
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
    # every point proven here: the table says so and nothing is flagged
    assert pd.read_csv(tmp_path / "f" / "front.csv")["proven"].all()
    assert "proven" in r.output and "not proven" not in r.output and "not written" not in r.output
    r = CliRunner().invoke(app, ["lexicographic", str(TINY), "site_cost", "distance", "--out", str(tmp_path / "l")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    summary = json.loads((tmp_path / "l" / "summary.json").read_text())
    assert summary["verified"]
    # each stage by its term's name, as the report names the terms (before: "site_cost > distance"); the file keeps keys
    said = " ".join(r.output.split())
    assert "Lexicographic: site cost > distance (logistics)" in said and "│ site cost " in r.output, r.output
    assert "site_cost" not in r.output and list(summary["lexicographic"]["stage_optima"]) == ["site_cost", "distance"]
    r = CliRunner().invoke(app, ["pareto", str(TINY), "--between", "distance", "nope"])
    assert r.exit_code == 2 and "nope" in r.output


def test_a_stage_and_a_front_note_are_said_by_their_terms_names():
    """The interrupt line named a stage by its key ("stage 2 of 3 (site_cost)"), front.json's note said keys
    and status codes that the command line and the report showed as they were."""
    from yrdopt.analysis.fronts import LexResult
    from yrdopt.app.wording import front_words

    lex = LexResult(None, {}, ["distance", "site_cost", "duplication"], 0.0,
                    stages=[{"minimise": "distance"}, {"minimise": "site_cost"}])
    assert lex.reached == "stage 2 of 3, site cost"
    from yrdopt.solver import STATUS_TEXT

    assert front_words("stopped below duplication = 3: time_limit_with_incumbent; no layout for site_cost <= 2: "
                       "infeasible") == (f"stopped below duplication = 3: {STATUS_TEXT['time_limit_with_incumbent']}; "
                                         f"no layout for site cost <= 2: {STATUS_TEXT['infeasible']}")


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


# -- fronts whose stages stop before their proof (a node limit of 1, as a time limit at city scale) --
NODE_LIMITED = yrdopt.SolverOptions(time_limit=30, threads=1, mip_gap=1e-6, highs={"mip_max_nodes": 1})


def test_a_front_whose_stages_stop_early_writes_each_layout_once_and_no_dominated_point(tmp_path):
    """At a stage's limit its layout need not be on the front: the code before wrote (215.65, 0)
    three times on this instance (the ε loop compared the stages' values with the written points'
    polished ones).  Every point written is a different layout, none dominates another, those
    found again or beaten are listed as dropped, and each unproven point says so with its stages'
    bounds and gaps."""
    from yrdopt.analysis.fronts import dominates, layout_key
    from yrdopt.generate import generate_instance
    from yrdopt.model.compiled import build

    inst = generate_instance(8, 3, 3, seed=2)
    res = pareto_front(inst, ("distance", "duplication"), points=6, options=NODE_LIMITED, out=tmp_path)
    cm = build(inst)
    terms = ("distance", "duplication")
    # the checker's values of each written layout (not the front's own)
    raw = [{t: p.solution.check.components_raw[t] for t in terms} for p in res.points]
    keys = [layout_key(cm, p.solution.x) for p in res.points]
    assert len(res.points) >= 2 and len(set(keys)) == len(keys)
    assert not any(dominates(a, b, terms) for a in raw for b in raw if a is not b)
    assert not any(a == pytest.approx(b, rel=CLAIM_TOL) for i, a in enumerate(raw) for b in raw[i + 1:])
    assert all(p.solution.summary["verified"] for p in res.points)
    assert res.dropped  # at this limit some stage found a layout already written or beaten
    # the unproven points are flagged, with the bound and gap of the stages that stopped
    table = pd.read_csv(tmp_path / "front.csv")
    assert not table["proven"].all() and not res.exact
    assert list(table["point"]) == [p.name for p in res.points]
    for _, row in table.iterrows():
        assert row["proven"] == (row["status"] == "optimal")
        assert row["distance_bound"] <= row["distance"] + 1e-6  # a lower bound at this point's cap
        if not row["proven"]:
            assert max(row["distance_gap"], row["duplication_gap"], row["objective_gap"]) > 0
    meta = json.loads((tmp_path / "front.json").read_text())
    assert meta["unproven"] == list(table.loc[~table["proven"], "point"])
    assert len(meta["dropped"]) == len(res.dropped)
    # no folder of a point that is not on the written front
    assert sorted(p.name for p in tmp_path.glob("point-*")) == sorted(table["point"])


def test_the_exact_walk_goes_on_from_the_values_it_wrote():
    """Each point of the walk lies a step below the last point written (not below its stages'
    values, which at a limit are not the written layout's): no point twice, none dominated."""
    from yrdopt.analysis.fronts import dominates
    from yrdopt.generate import generate_instance

    res = pareto_front(generate_instance(12, 4, 3, seed=1), ("distance", "duplication"), options=NODE_LIMITED)
    v = np.array(res.values())
    assert len(v) >= 2 and (np.diff(v[:, 1]) <= -res.step + 1e-9).all()
    vals = [dict(zip(("distance", "duplication"), p)) for p in v]
    assert not any(dominates(a, b, ("distance", "duplication")) for a in vals for b in vals if a is not b)


def test_every_stage_starts_from_an_exact_layout(monkeypatch):
    """The layout handed from stage to stage is re-solved as the fixed-placement LP: HiGHS's own
    vector kept 3e-5 activity at a region without a site on this instance, which lns.fits
    rejects, and the stage after came back infeasible."""
    import yrdopt.analysis.fronts as fronts
    from yrdopt.generate import generate_instance
    from yrdopt.lns import fits

    handed = []
    search = fronts.search

    def recording_search(solver, cm, deadline, **kw):
        res = search(solver, cm, deadline, **kw)
        handed.append((cm, kw.get("start"), res))
        return res

    monkeypatch.setattr(fronts, "search", recording_search)
    front = pareto_front(generate_instance(10, 3, 3, seed=2), ("distance", "duplication"), points=3,
                         options=yrdopt.SolverOptions(time_limit=30, threads=1, mip_gap=1e-6))
    given = [(cm, x, res) for cm, x, res in handed if x is not None]
    assert len(given) >= 6
    for cm, x, res in given:
        place = cm.var("place").take(x) > 0.5
        assert fits(cm, x)
        assert np.abs(cm.var("activity").take(x)[~place]).max() <= 1e-9
        assert res.x is not None  # HiGHS took it: no stage after a start lost its layout
    assert all(s["status"] == "optimal" for s in front.stages)
    assert front.exact


def test_points_a_step_apart_are_different_points_however_large_the_values():
    """The claim tolerance is relative (1e-6 of 2,000,000 is 2): with a walk step of 0.1 a point
    0.9 better in the second term is its own point, not a twin and not dominated (before: dropped
    as dominated by the point 50 better in the first term)."""
    from yrdopt.analysis.fronts import dominates, same_values

    terms = ("distance", "site_cost")
    a, b = {"distance": 100.0, "site_cost": 2_000_000.9}, {"distance": 150.0, "site_cost": 2_000_000.0}
    assert not dominates(a, b, terms, step=0.1) and not same_values(a, b, terms, step=0.1)
    assert dominates(a, b, terms)  # without a step: within the claim tolerance, b is no better
    near = {"distance": 100.0, "site_cost": 2_000_000.9 + 1e-3}
    assert same_values(a, near, terms, step=0.1)  # less than half a step apart: one point


def test_a_front_that_dropped_an_unproven_layout_is_not_exact():
    """The walk goes on from each layout a stage returns, so a stage stopped at its limit may have
    stepped over points before a later point beat its layout: every written point proven is not
    enough to call the front exact."""
    from yrdopt.analysis.fronts import FrontPoint, FrontResult

    from types import SimpleNamespace

    verified = SimpleNamespace(summary={"verified": True})  # a point proven needs a layout the checker confirmed
    proven = [FrontPoint(f"point-{i}", {"distance": float(i), "duplication": float(3 - i)}, verified, "optimal")
              for i in range(3)]
    front = FrontResult(None, ("distance", "duplication"), points=proven, finished=True)  # reads no instance
    assert front.exact
    front.dropped.append({"values": {"distance": 1.5, "duplication": 1.5}, "status": "time_limit_with_incumbent",
                          "reason": "dominated by point-1"})
    assert not front.exact


def test_cli_pareto_names_the_unproven_points_and_what_it_dropped(tmp_path, monkeypatch):
    """The command's table shows each point's proof (stages stopped by a node limit of 1 here,
    given through the command's option builder: the CLI has no HiGHS options of its own)."""
    import yrdopt.commands.planning as planning
    from yrdopt.generate import generate_dict, write_generated

    inst = write_generated(generate_dict(8, 3, 3, 2), tmp_path / "g.yaml")
    monkeypatch.setattr(planning, "_options", lambda *a: NODE_LIMITED)
    r = CliRunner().invoke(app, ["pareto", str(inst), "--points", "6", "--out", str(tmp_path / "f")],
                           env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    table = pd.read_csv(tmp_path / "f" / "front.csv")
    unproven = list(table.loc[~table["proven"], "point"])
    assert unproven and f"not proven: {', '.join(unproven)}" in " ".join(r.output.split())
    dropped = json.loads((tmp_path / "f" / "front.json").read_text())["dropped"]
    assert dropped and f"not written: {len(dropped)} layouts" in " ".join(r.output.split())
    # the terms by name (before: the keys site_cost, distance): front.csv keeps the keys
    assert "distance (logistics) gap" in r.output and "duplication gap" in r.output, r.output


@pytest.mark.parametrize("written, found", [
    # found again (within the tolerance of the unproven point (1000.0, 50)) at values that the
    # point (1000.0015, 40) dominates: the better proof must not put a dominated point on the front
    ([(1000.0, 50.0), (1000.0015, 40.0)], (1000.0009, 50.0)),
    # found again at values that dominate the point (1000.0, 50), which the unproven point did not
    ([(1000.0015, 40.0), (1000.0, 50.0)], (1000.0007, 40.0)),
])
def test_a_point_found_again_with_a_better_proof_is_checked_for_dominance(written, found):
    """Two values within the claim tolerance are one point, but dominance is not transitive
    through that tolerance: a point found again with a better proof was written without the
    dominance checks a new point gets (before: the front then held a point another dominates).
    Through ``FrontResult.offer``, the path ``pareto_front`` writes its points by."""
    from types import SimpleNamespace

    from yrdopt.analysis.fronts import FrontPoint, FrontResult, dominates

    terms = ("distance", "duplication")
    unproven = [{"minimise": "distance", "gap": 0.5}]
    confirmed = SimpleNamespace(summary={"verified": True})  # each layout confirmed by the checker
    front = FrontResult(None, terms, step=0.1,
                        points=[FrontPoint(f"point-{i + 1}", dict(zip(terms, v)), confirmed, "time_limit_with_incumbent",
                                           unproven) for i, v in enumerate(written)])
    vals = dict(zip(terms, found))
    its_solution = SimpleNamespace(summary={"verified": True})
    verdict, point, beaten = front.offer(vals, "optimal", [{"minimise": "distance", "gap": 0.0}], "point-3",
                                         its_solution)
    if verdict != "dropped":  # written with this find's values, proof and solution
        assert point in front.points and point.values == vals and point.status == "optimal"
        assert point.solution is its_solution
    assert not any(dominates(a.values, b.values, terms, front.step) for a in front.points for b in front.points)
    assert all(any(d["values"] == q.values for d in front.dropped) for q in beaten)


@pytest.mark.parametrize("written_verified, found_verified", [(True, False), (False, True)])
def test_twin_points_are_decided_after_the_checker(written_verified, found_verified):
    """A layout found again (the same values) replaces the point written only with the better
    proof, and a layout the checker rejects proves nothing: it never replaces a confirmed twin,
    however proven its stages (before: a rejected layout with all stages optimal replaced a
    confirmed point whose stage stopped at its limit); a confirmed one replaces a rejected twin.
    A dropped layout says what the checker let it claim (front.json ``dropped``)."""
    from types import SimpleNamespace

    from yrdopt.analysis.fronts import FrontPoint, FrontResult

    terms = ("distance", "duplication")
    judged = {v: SimpleNamespace(summary={"verified": v}) for v in (True, False)}
    written = FrontPoint("point-1", {"distance": 10.0, "duplication": 2.0}, judged[written_verified],
                         "time_limit_with_incumbent", [{"minimise": "distance", "gap": 0.5}])
    front = FrontResult(None, terms, points=[written], finished=True)
    found = judged[found_verified]
    verdict, point, _ = front.offer({"distance": 10.0, "duplication": 2.0}, "optimal",
                                    [{"minimise": "distance", "gap": 0.0}], "point-2", found)
    kept = front.points[0].solution
    assert len(front.points) == 1 and kept.summary["verified"]
    assert (verdict, kept) == (("dropped", written.solution) if written_verified else ("replaces", found))
    (d,) = front.dropped
    assert (d["verified"], d["status"], d["by"]) == (False, "not_verified", "point-1") and not front.exact
    # a rejected layout is "not_verified" also where its walk kept a previous stage's layout
    # (before: "optimal_previous_stage", the walk's own word, passed on as a status without a layout)
    front.offer({"distance": 10.0, "duplication": 2.0}, "optimal_previous_stage", [], "point-3", judged[False])
    assert front.dropped[-1]["status"] == "not_verified", front.dropped
    rejected = FrontPoint("point-4", {"distance": 9.0, "duplication": 1.0}, judged[False], "optimal_previous_stage")
    assert rejected.checked_status == "not_verified"
    # front.png: the step line through the confirmed points only, the rejected one (dominating
    # the confirmed point) crossed apart
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from yrdopt.analysis.fronts import _front_figure

    front.points.append(rejected)
    front.instance = SimpleNamespace(name="t")
    fig = _front_figure(front, plt)
    step, dots = fig.axes[0].get_lines()[:2]
    plt.close(fig)
    assert list(step.get_xdata()) == list(dots.get_xdata()) == [10.0]


@pytest.mark.parametrize("what, limit", [("front", 1.0), ("lexicographic", 0.5)])
def test_every_phase_of_a_stage_keeps_its_time_limit(monkeypatch, what, limit):
    """Every MIP of a front or a lexicographic solve keeps ``time_limit``, the LPs after it
    included: the one that hands the stage's layout on and the one that polishes the layout
    written run within what the stage left (before: the hand-on got at least 0.1 s past the
    stage's end, the polish of a front's point and of the lexicographic layout no limit at all).
    Generated 41x30x4 (161,000 columns): its LP takes 0.2-0.6 s on an idle machine, up to 1.8 s
    loaded, so at these limits it is cut short in some stages (or not run)."""

    import yrdopt.analysis.fronts as fronts
    from yrdopt.generate import generate_instance

    polishes = record_polishes(monkeypatch, fronts)
    inst = generate_instance(41, 30, 4, seed=1)
    options = yrdopt.SolverOptions(time_limit=limit, threads=1, mip_gap=1e-6)
    if what == "front":
        layouts = [p.solution for p in pareto_front(inst, ("distance", "duplication"), points=2, options=options).points]
    else:
        layouts = [lexicographic(inst, ["distance"], options=options).solution]
    # each LP is given at most what its stage left, and keeps it (HiGHS's LP looks at the clock
    # between simplex iterations: 0.1 s over idle); so a stage ends within its limit, or, where
    # HiGHS overran the MIP's share, with no LP after it
    assert polishes and all(given is not None and given <= left + 0.05 for given, left, _ in polishes)
    assert all(took <= max(given, 0.0) + HIGHS_OVERRUN_S for given, _, took in polishes)  # a loaded 2-core CI
    assert all(sol.summary["verified"] for sol in layouts)


def test_the_f1_best_point_is_polished_within_its_own_solve(tmp_path):
    """``lex.polish`` runs within what is left of the last stage's deadline: the f1-best point must
    be polished (and reported) right after its own lexicographic solve, before the t2-first solve
    replaces that deadline with its stages'.  Before, it was polished after that solve (with its
    leftovers): HiGHS's log then held both solves' MIPs (6) when point-1 was reported, now its own 3."""
    from yrdopt.analysis.fronts import pareto_front

    log = tmp_path / "highs.log"
    log.write_text("")
    reported = {}

    def progress(point):
        reported[point.name] = (log.read_text().count("Solving report"), len(point.stages))

    pareto_front(DATA / "planning_small.yaml", points=3, progress=progress,
                 options=yrdopt.SolverOptions(mip_gap=1e-6, time_limit=20, log_file=str(log)))
    mips, stages = reported["point-1"]
    assert stages == 3 and mips == stages


def _losing_the_start_for_the_second_end(monkeypatch):
    """The first MIP of the t2-first solve (the 4th search: the t1-first solve has three stages)
    ends without a layout, as HiGHS does where it drops the start and its time is out (the re-run
    without the start in ``HighsSolver.solve``): HiGHS's start and previous solution are cleared and
    it runs for 1 µs.  Real HiGHS; only the stage's start and time are taken away."""
    import yrdopt.analysis.fronts as fronts

    search, calls = fronts.search, []

    def second_end_without_a_layout(solver, cm, deadline, **kw):
        calls.append(solver.h.getLp().col_cost_[: cm.n_cols].copy())
        if len(calls) != 4:
            return search(solver, cm, deadline, **kw)
        solver.h.clearSolver()
        return solver.solve(None, time_limit=1e-6)

    monkeypatch.setattr(fronts, "search", second_end_without_a_layout)
    return calls


def test_a_front_whose_second_end_has_no_layout_says_it_is_incomplete(tmp_path, monkeypatch):
    """Before, the t2-first solve's failure raised after point-1 and front.json were written: --out
    held what looked like a finished one-point front (front.json: 1 point, exact true).  Now the
    front says plainly that it is incomplete and why (status, front.json, the command's message)
    and the command exits 4, as a solve that stops without a layout."""
    from yrdopt.model.compiled import build

    calls = _losing_the_start_for_the_second_end(monkeypatch)
    out = tmp_path / "f"
    r = CliRunner().invoke(app, ["pareto", str(TINY), "--between", "distance", "site_cost", "--out", str(out)],
                           env={"COLUMNS": "200"})
    cm = build(yrdopt.load_instance(TINY))
    assert len(calls) >= 4 and np.array_equal(calls[3], cm.terms["site_cost"])  # the t2-first stage lost its layout
    said = " ".join(r.output.split())
    assert r.exit_code == 4, r.output
    # the term and the status in words (before: "minimising site_cost (time_limit_no_incumbent)"); front.json keeps them
    assert ("front incomplete: no layout minimising site cost (stopped at the time limit before any feasible layout "
            "was found)") in said, said
    meta = json.loads((out / "front.json").read_text())
    assert meta["status"] == "incomplete" and not meta["exact"] and meta["points"] == 1
    assert meta["incomplete"].startswith("no layout minimising site_cost") and "point-1" in meta["incomplete"]
    assert (out / "point-1" / "layout.csv").exists() and (out / "front.png").exists()
    # the API says the same
    calls.clear()
    res = pareto_front(TINY, ("distance", "site_cost"))
    assert res.status == "incomplete" and res.missing_end and not res.exact and len(res.points) == 1


def test_a_front_json_written_mid_walk_says_the_walk_has_not_ended(tmp_path):
    """front.json is rewritten as each point is written: a run killed mid-walk must not leave a
    front that reads as finished (its status says in_progress until the walk ends)."""
    seen = []

    def progress(point):
        seen.append(json.loads((tmp_path / "front.json").read_text())["status"])

    res = pareto_front(TINY, ("distance", "site_cost"), out=tmp_path, progress=progress)
    assert seen and set(seen) == {"in_progress"}
    assert res.status == "exact" and json.loads((tmp_path / "front.json").read_text())["status"] == "exact"

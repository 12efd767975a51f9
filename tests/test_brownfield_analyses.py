"""Analyses on a brownfield single-period instance (issue 14, point 7): alternatives, fronts,
explain, prices, diagnose and sweeps against real solves; every layout re-verified by the
checker."""

import pytest
import yaml
from typer.testing import CliRunner

import yrdopt
from test_brownfield import DEFAULT, default_brownfield
from test_periods import tiny3
from yrdopt.analysis.alternatives import alternatives
from yrdopt.analysis.diagnose import elastic_increase, explain_infeasibility
from yrdopt.analysis.explain import shadow_prices, site_decision
from yrdopt.analysis.fronts import lexicographic, pareto_front
from yrdopt.checker import check_layout
from yrdopt.cli import app

BUDGET = {"max_opened": 2, "max_closed": 3, "max_moved_share": 0.1, "by_province": {"Anhui": {"max_closed": 1}}}


def test_alternatives_keep_the_least_share_on_existing_sites(tmp_path):
    """Each alternative is verified (bound claim included) and every site it keeps hosts at least
    the least share: an existing site (no opening cost) left open with nothing in it would dodge
    its closing cost."""
    inst = default_brownfield(BUDGET)
    res = alternatives(inst, 3, 0.05, min_share=0.01, out=tmp_path)
    assert len(res.layouts) == 3 and all(a.verified for a in res.layouts)
    for a in res.layouts[1:]:
        lay = a.solution.layout
        sited = lay[lay["sited"]].merge(a.solution.layout.groupby(["chain", "segment"])["activity"].sum()
                                        .rename("total").reset_index(), on=["chain", "segment"])
        assert (sited["activity"] >= 0.01 * sited["total"] - 1e-6).all()
        t = a.solution.summary["transition"]
        assert t["closed"] <= 3 and t["opened"] <= 2
        assert a.objective <= res.budget * (1 + 1e-9)


@pytest.fixture(scope="module")
def solved(tmp_path_factory):
    """The default brownfield instance with tight budgets, solved to optimality and written."""
    out = tmp_path_factory.mktemp("bf") / "opt"
    inst = default_brownfield(BUDGET)
    sol = yrdopt.solve(inst, gap=1e-9, out=out)
    assert sol.status == "optimal" and sol.summary["verified"]
    return inst, out, sol


def test_why_a_site_closes_shows_the_closing_cost_against_keeping_it(solved):
    """explain --site on a closed existing site: keeping it open (all else equal) is a feasible
    layout, so it costs at least the optimum; its change term saves the closing cost; the
    checker recomputes both layouts' objectives."""
    inst, out, sol = solved
    tr = sol.transition
    closed = tr[tr["status"] == "closed"].iloc[0]
    site = f"{closed.chain}/{closed.segment}@{closed.region}"
    for reopt in (False, True):
        t = site_decision(inst, out, site, reoptimise=reopt)
        a, terms = t.attrs, t.set_index("term")
        assert not a["open"] and a["today"] == pytest.approx(closed.activity_before)
        assert terms.loc["total", "layout"] == pytest.approx(sol.objective, rel=1e-7)
        assert terms.loc["total", "difference"] >= -1e-6 * sol.objective  # the layout is optimal
        layout, flows, exps, parks, pa = a["flipped_tables"]
        rep = check_layout(inst, layout, flows, exps, parks=parks, park_activity=pa)
        assert rep.verified and rep.objective == pytest.approx(terms.loc["total", "flipped"], rel=1e-7)
        kept = layout[(layout.chain == closed.chain) & (layout.segment == closed.segment)
                      & (layout.region == closed.region)]
        assert bool(kept["sited"].iloc[0])
        assert float(kept["activity"].iloc[0]) >= 0.01 * layout[(layout.chain == closed.chain) & (
            layout.segment == closed.segment)]["activity"].sum() - 1e-9  # a kept site hosts something
        for term in ("change", "site_cost", "distance", "duplication"):  # each term as the checker recomputes it
            assert rep.components[term] == pytest.approx(terms.loc[term, "flipped"], rel=1e-7, abs=1e-7)
        assert terms.loc["change", "layout"] == pytest.approx(sol.components["change"], rel=1e-7)
    res = CliRunner().invoke(app, ["explain", str(DEFAULT), str(out), "--site", site])
    assert res.exit_code == 2 and "another instance" in res.output  # the layout belongs to the brownfield one


def test_why_a_site_stays_open_names_the_closure_budget(solved):
    """Closing a kept site when the closure budget is used up: not possible, and the elastic
    model names the budget and by how much it is short."""
    inst, out, sol = solved
    tr = sol.transition
    assert (tr["status"] == "closed").sum() == 3  # max_closed binds
    kept = tr[(tr["status"] == "kept") & (tr["activity_after"] > 0)].iloc[0]
    t = site_decision(inst, out, f"{kept.chain}/{kept.segment}@{kept.region}")
    assert t.attrs["open"] and "sites closed" in t.attrs["why"] and "too small by 1" in t.attrs["why"]
    assert t.set_index("term").loc["total", "flipped"] != t.set_index("term").loc["total", "flipped"]  # NaN


def test_closure_budget_price_equals_a_fresh_solve_with_one_more(solved):
    """prices on a brownfield instance: a binding closure budget's re-solved price equals the
    drop of the optimum when the budget allows one more closure (solved afresh)."""
    inst, out, sol = solved
    p = shadow_prices(inst, out)
    b = p.budgets.set_index(["budget", "scope"])
    row = b.loc[("max_closed", "area")]
    assert row["binding"] and row["limit"] == 3 and row["used"] == pytest.approx(3)
    looser = yrdopt.solve(default_brownfield({**BUDGET, "max_closed": 4}), gap=1e-9)
    assert row["resolved_value_per_unit"] == pytest.approx(sol.objective - looser.objective, rel=1e-5, abs=1e-6)
    assert not b.loc[("max_opened", "area"), "binding"]


def test_diagnose_names_the_change_budget_that_is_too_small():
    """Elastic budgets: a site-count rule that needs a new site against max_opened 0, and a cut
    quota that forces two closures in a province whose closure budget is 0."""
    d = tiny3()
    d.pop("periods")
    d["chains"][0]["segments"][1]["single_site"] = False
    d["brownfield"]["budget"] = {"max_opened": 0}
    d["policy"] = {"site_limits": [{"chain": "k", "segment": "b", "min_sites": 2}]}
    text, details = explain_infeasibility(yrdopt.load_instance(d))
    assert [(b["path"], b["short_by"]) for b in details["budget_increase"]] == [("brownfield.budget.max_opened", 1.0)]
    assert "the budget of 0 new sites in the whole area is too small by 1" in text
    assert {x["kind"] for x in details["conflicting_limits"]} == {"site_min", "change_budget"}

    d = tiny3()
    d.pop("periods")
    d["brownfield"]["budget"] = {"by_province": {"P": {"max_closed": 0}}}
    d["regions"][0]["quotas"]["land"] = 3.0  # today a, b, c use 9 in r1: two must leave
    (b,) = elastic_increase(yrdopt.load_instance(d)).budgets
    assert b["path"] == "brownfield.budget.by_province.P.max_closed" and b["short_by"] == pytest.approx(2.0)
    assert "sites closed in P is too small by 2" in b["text"]


def test_diagnose_cli_on_a_brownfield_instance(tmp_path):
    d = tiny3()
    d.pop("periods")
    d["brownfield"]["budget"] = {"max_closed": 0, "max_moved_share": 0.0}
    d["regions"][0]["quotas"]["land"] = 5.0
    (tmp_path / "bf.yaml").write_text(yaml.safe_dump(d))
    res = CliRunner().invoke(app, ["diagnose", str(tmp_path / "bf.yaml"), "--out", str(tmp_path / "dg")])
    assert res.exit_code == 3, res.output
    said = " ".join(res.output.split())  # the budget in words, never its field (before: brownfield.budget.max_moved_share)
    assert "at most 0 % of today's activity moved in the whole area" in said and "brownfield.budget" not in said, said
    assert "r1 land" in said


def test_fronts_on_a_brownfield_instance(tmp_path):
    """pareto and lexicographic treat the change term like any other: every point checked, and
    the least change first leaves no site closed or shrunk."""
    inst = default_brownfield(BUDGET)
    front = pareto_front(inst, ("distance", "duplication"), points=2, out=tmp_path / "front")
    assert len(front.points) >= 2 and all(p.solution.summary["verified"] for p in front.points)
    assert all(p.solution.summary["transition"]["closed"] <= 3 for p in front.points)
    lex = lexicographic(inst, ["change", "distance"], out=tmp_path / "lex")
    assert lex.solution.summary["verified"] and lex.values["change"] == pytest.approx(0.0, abs=1e-6)
    assert not set(lex.solution.transition["status"]) & {"closed", "shrunk"}

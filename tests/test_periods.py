"""Milestone periods (issue 14): one MILP over all periods against a hand-written brute force,
the myopic plan, the period-by-period checker, the shipped 2035 instances' first period.

Rows as in models/formulation.md section 12 (P1-P6)."""

import copy
import html
import itertools
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import yrdopt
from yrdopt.checker import check_dir
from yrdopt.errors import InstanceError
from yrdopt.io import load_instance, validate_mapping
from yrdopt.phasing import myopic, period_instance, solve_phased

ROOT = Path(__file__).parents[1]
YEARS = [2025, 2030, 2035]
GROWTH = [1.0, 1.25, 1.5]
LAND = [1.0, 1.1, 1.3]
RATE = 0.05


def tiny3(budgets=(None, None, None), run=10):
    """Three regions, a -> b -> c all single-site; today a, b, c in r1; three periods."""
    regions = [{"id": r, "name_en": r, "province": p, "kind": "province", "quotas": {"land": q}}
               for r, p, q in (("r1", "P", 9.0), ("r2", "P", 6.0), ("r3", "Q", 8.0))]
    segs = [
        {"id": "a", "kind": "rd", "activity": 4.0, "single_site": True, "resource_use": {"land": 0.5},
         "site_cost": {"r1": 5.0, "r2": 2.0, "r3": 1.5}, "fixed_cost": 6.0},
        {"id": "b", "kind": "manufacturing", "activity": 4.0, "single_site": True, "resource_use": {"land": 1.0},
         "site_cost": {"r1": 4.0, "r2": 3.0, "r3": 1.0}, "fixed_cost": 20.0},
        {"id": "c", "kind": "manufacturing", "activity": 3.0, "single_site": True, "resource_use": {"land": 1.0},
         "site_cost": {"r1": 3.0, "r2": 1.0, "r3": 2.5}, "fixed_cost": 9.0},
    ]
    D = [[0.5, 2.0, 4.0], [2.0, 0.5, 3.0], [4.0, 3.0, 0.5]]
    return {
        "name": "tiny-phased", "resources": [{"id": "land"}], "regions": regions,
        "chains": [{"id": "k", "segments": segs, "links": [
            {"from": "a", "to": "b", "volume_per_unit": 1.0, "transport_intensity": 0.5},
            {"from": "b", "to": "c", "volume_per_unit": 1.0, "transport_intensity": 1.0}]}],
        "economic_distance": {"matrix": {"regions": ["r1", "r2", "r3"], "values": D}},
        "brownfield": {
            "existing": [{"chain": "k", "segment": s, "region": "r1", "activity": a} for s, a in
                         (("a", 4.0), ("b", 4.0), ("c", 3.0))],
            "costs": {"close_per_site": 3.0, "shrink_per_unit": 0.5, "by_kind": {"rd": {"close_per_site": 1.0}}},
        },
        "periods": {"discount_rate": RATE, "min_run_years": run, "milestones": [
            {"year": y, "growth": {"k": g}, "quota_factor": {"land": f}, **({"budget": b} if b is not None else {})}
            for y, g, f, b in zip(YEARS, GROWTH, LAND, budgets)]},
    }


def brute_force3(data):
    """Least discounted cost over every sequence of three layouts, written out by hand."""
    regions = [r["id"] for r in data["regions"]]
    prov = {r["id"]: r["province"] for r in data["regions"]}
    quota = {r["id"]: r["quotas"]["land"] for r in data["regions"]}
    D = dict(zip(regions, [dict(zip(regions, row)) for row in data["economic_distance"]["matrix"]["values"]]))
    segs = {s["id"]: s for s in data["chains"][0]["segments"]}
    bf = data["brownfield"]
    costs = bf["costs"]
    today = {(e["segment"], e["region"]) for e in bf["existing"]}
    per = data["periods"]
    ms = per["milestones"]
    run = per["min_run_years"]
    layouts = list(itertools.product(regions, repeat=3))  # region of a, b, c

    def sites(L):
        return {(s, r) for s, r in zip("abc", L)}

    def running(L, t):
        g = GROWTH[t]
        land = {r: 0.0 for r in regions}
        for s, r in zip("abc", L):
            land[r] += segs[s]["resource_use"]["land"] * segs[s]["activity"] * g
        if any(land[r] > quota[r] * LAND[t] + 1e-9 for r in regions):
            return None
        ra, rb, rc = L
        dist = g * (0.5 * 4.0 * D[ra][rb] + 1.0 * 4.0 * D[rb][rc])
        site = g * sum(segs[s]["site_cost"][r] * segs[s]["activity"] for s, r in zip("abc", L))
        return 5.0 * (dist + site)  # each period counts five years

    def change(prev, L, t):
        """Opening + closing + shrink cost into period t, or None if a budget is broken."""
        before = sites(prev) if prev is not None else today
        prev_act = {(s, r): segs[s]["activity"] * (GROWTH[t - 1] if t else 1.0) for s, r in before}
        now = sites(L)
        opened, closed = now - before, before - now
        cost = sum(segs[s]["fixed_cost"] for s, _ in opened)
        for s, r in closed:
            close = costs["by_kind"].get(segs[s]["kind"], {}).get("close_per_site", costs["close_per_site"])
            cost += close + costs["shrink_per_unit"] * prev_act[(s, r)]
        b = ms[t].get("budget") or {}
        for g, lim in [("area", b)] + list(b.get("by_province", {}).items()):
            inside = lambda keys: [k for k in keys if g == "area" or prov[k[1]] == g]  # noqa: E731
            if lim.get("max_opened") is not None and len(inside(opened)) > lim["max_opened"]:
                return None
            if lim.get("max_closed") is not None and len(inside(closed)) > lim["max_closed"]:
                return None
            if lim.get("max_moved_share") is not None:
                moved = sum(prev_act[k] for k in inside(closed))
                if moved > lim["max_moved_share"] * sum(prev_act[k] for k in inside(before)) + 1e-9:
                    return None
        return cost, opened

    run_cost = [{L: running(L, t) for L in layouts} for t in range(3)]
    best = None
    for seq in itertools.product(layouts, repeat=3):
        total, prev, opened_at = 0.0, None, {}
        for t, L in enumerate(seq):
            if run_cost[t][L] is None:
                break
            ch = change(prev, L, t)
            if ch is None:
                break
            # a site opened in t0 must still run while year < year[t0] + run
            if any(k not in sites(L) for k, t0 in opened_at.items() if YEARS[t] < YEARS[t0] + run):
                break
            opened_at.update({k: t for k in ch[1]})
            total += (1 + RATE) ** -(YEARS[t] - YEARS[0]) * (run_cost[t][L] + ch[0])
            prev = L
        else:
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("budgets, run", [
    ((None, None, None), 10),
    ((None, None, None), 0),
    (({"max_opened": 0, "max_closed": 0}, {"max_opened": 1}, {"max_closed": 1}), 10),
    (({"max_moved_share": 0.4}, {"by_province": {"Q": {"max_opened": 0}}}, None), 10),
])
def test_three_periods_equal_brute_force(tmp_path, budgets, run):
    data = tiny3(budgets, run)
    want = brute_force3(data)
    inst = validate_mapping(data)
    sol = solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9), out=tmp_path)
    assert sol.summary["verified"], sol.check.lines()
    assert sol.objective == pytest.approx(want, rel=1e-7)
    # the myopic plan can only cost more; the checker re-checks the written tables alone
    assert sol.summary["myopic"]["objective"] >= sol.objective - 1e-6
    rep = check_dir(inst, tmp_path)
    assert rep.verified and rep.objective == pytest.approx(sol.objective, rel=1e-7)
    layout = pd.read_csv(tmp_path / "layout.csv")
    assert sorted(layout["period"].unique()) == YEARS
    trans = pd.read_csv(tmp_path / "transition.csv")
    assert set(trans["period"]) <= set(YEARS) and {"status", "activity_before", "activity_after", "cost"} <= set(trans)


def test_myopic_plan_is_the_sum_of_its_periods_and_never_cheaper():
    """The myopic plan's reported total is its periods' discounted objectives, and no cheaper
    than the joint optimum."""
    data = tiny3(({"max_opened": 1, "max_closed": 1}, {"max_opened": 0, "max_closed": 0}, None), 10)
    sol = solve_phased(validate_mapping(data), options=yrdopt.SolverOptions(mip_gap=1e-9))
    my = myopic(validate_mapping(data))
    years = [1.0, (1 + RATE) ** -5, (1 + RATE) ** -10]
    total = sum(w * s.objective for w, s in zip(years, my))
    assert sol.summary["myopic"]["objective"] == pytest.approx(total, rel=1e-7)
    assert total >= sol.objective - 1e-6


def test_checker_finds_a_new_site_closed_before_its_minimum_run(tmp_path):
    data = tiny3((None, None, None), 10)
    inst = validate_mapping(data)
    sol = solve_phased(inst, out=tmp_path)
    lay = pd.read_csv(tmp_path / "layout.csv")
    first_new = sol.transition[(sol.transition["status"] == "opened") & (sol.transition["period"] == 2025)]
    assert len(first_new), "the optimum opens a site in 2025"
    site = first_new.iloc[0]
    # move that segment back to where it was in 2030: a new site closes after five years
    mask = (lay["period"] == 2030) & (lay["segment"] == site["segment"])
    lay.loc[mask, "region"] = "r1"
    lay.to_csv(tmp_path / "layout.csv", index=False)
    (tmp_path / "flows.csv").unlink()
    rep = check_dir(inst, tmp_path)
    assert not rep.verified and "protected" in rep.worst


@pytest.mark.parametrize("name", ["yrd-provinces-2035", "yrd-cities-2035"])
def test_shipped_first_period_is_todays_layout(name):
    """2025 is today: every change budget 0, so its optimum is today's layout (verified)."""
    inst = load_instance(ROOT / "instances" / f"{name}.yaml")
    sol = yrdopt.solve(period_instance(inst, 0))
    assert sol.summary["verified"]
    today = pd.read_csv(ROOT / "instances" / f"{name[:-5]}.baseline.csv")
    got = sol.placements().merge(today, on=["chain", "segment", "region"], how="outer", suffixes=("", "_today"))
    assert len(got) == len(today) == len(sol.placements())
    assert (got["activity"] - got["activity_today"]).abs().max() < 1e-6


@pytest.mark.parametrize("edit, path, value", [
    (lambda p: p["milestones"][1].update(year=2020), "periods.milestones[1].year", 2020),
    (lambda p: p["milestones"][1]["growth"].update(zz=1.1), "periods.milestones[1].growth.zz", "zz"),
    (lambda p: p["milestones"][0].update(budget={"by_province": {"X": {"max_opened": 1}}}),
     "periods.milestones[0].budget.by_province.X", "X"),
])
def test_bad_periods_name_field_and_value(edit, path, value):
    data = tiny3()
    edit(data["periods"])
    with pytest.raises(InstanceError) as e:
        validate_mapping(data, "tiny.yaml")
    assert any(p.path == path and p.value == value for p in e.value.problems), [str(p) for p in e.value.problems]


def test_period_budget_below_fixed_placements_is_an_error():
    data = tiny3(({"max_opened": 0}, None, None))
    data["policy"] = {"fixed": [{"chain": "k", "segment": "c", "region": "r3"}]}
    with pytest.raises(InstanceError) as e:
        validate_mapping(data, "tiny.yaml")
    assert any(p.path == "periods.milestones[0].budget.max_opened" for p in e.value.problems)


def test_cli_solves_periods_and_rejects_periods_out_of_order(tmp_path):
    from typer.testing import CliRunner

    from yrdopt.cli import app

    data = tiny3()
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(data))
    res = CliRunner().invoke(app, ["solve", str(tmp_path / "tiny.yaml"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    assert "Transition per period" in res.output and "foresight saves" in res.output
    assert "period" in pd.read_csv(tmp_path / "out" / "layout.csv").columns
    assert (tmp_path / "out" / "transition.csv").exists()
    res = CliRunner().invoke(app, ["check", str(tmp_path / "tiny.yaml"), str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    bad = copy.deepcopy(data)
    bad["periods"]["milestones"][2]["year"] = 2030
    (tmp_path / "bad.yaml").write_text(yaml.safe_dump(bad))
    res = CliRunner().invoke(app, ["validate", str(tmp_path / "bad.yaml")])
    assert res.exit_code == 2 and "periods.milestones[2].year" in res.output and "2030" in res.output


@pytest.mark.parametrize("kept_share", [0.1, 0.0])
def test_site_kept_open_under_a_closure_budget_runs_its_floor_and_is_written_open(tmp_path, kept_share):
    """A closure budget of 0 keeps today's site of b open while b moves to r3 (b is not
    single-site here, minimum scale 0).  The kept site runs at least min_kept_share of today's
    4 units (an emptied site is a closure in all but name); with a share of 0 it may stay open
    empty, and the written layout must keep it open, or the checker sees a closure the budget
    forbids (the shipped provinces did so before the fix: 12 closures against a budget of 6)."""
    data = tiny3(({"max_closed": 0, "max_opened": 1}, None, None), 10)
    data["chains"][0]["segments"][1].update(single_site=False, site_cost={"r1": 40.0, "r2": 3.0, "r3": 1.0})
    data["brownfield"]["min_kept_share"] = kept_share
    inst = validate_mapping(data)
    sol = solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9), out=tmp_path)
    assert sol.summary["verified"], sol.check.lines()
    lay = sol.layout
    kept = lay[(lay["period"] == 2025) & (lay["segment"] == "b") & (lay["region"] == "r1")]
    assert len(kept) == 1 and bool(kept["sited"].iloc[0])
    assert kept["activity"].iloc[0] == pytest.approx(kept_share * 4.0, abs=1e-7)
    assert check_dir(inst, tmp_path).verified


def emptied_site_instance(kept_share=0.1, budgets=({"max_opened": 2}, {"max_closed": 0}, {"max_closed": 0}),
                          fixed=False):
    """tiny3 with b spread over sites (minimum scale 0, cheapest in r3, links nearly free) and a
    water quota that lets b into r3 only from 2030: the plan opens b in r2 in 2025 and moves
    it to r3 in 2030, where a closure budget of 0 keeps the r2 site open.  ``fixed``: a and c
    fixed where that plan puts them (r3, r1), for the brute force."""
    data = tiny3(budgets, run=0)
    if fixed:
        data["policy"] = {"fixed": [{"chain": "k", "segment": "a", "region": "r3"},
                                    {"chain": "k", "segment": "c", "region": "r1"}]}
    data["resources"].append({"id": "water"})
    for reg, water, land in zip(data["regions"], (40.0, 40.0, 8.0), (9.0, 9.0, 30.0)):
        reg["quotas"].update(water=water, land=land)
    data["chains"][0]["segments"][1].update(single_site=False, site_cost={"r1": 40.0, "r2": 3.0, "r3": 0.0},
                                            resource_use={"land": 1.0, "water": 1.0})
    for link in data["chains"][0]["links"]:
        link["transport_intensity"] = 0.01
    for m, f in zip(data["periods"]["milestones"], (0.25, 1.0, 1.0)):
        m["quota_factor"]["water"] = f
    data["brownfield"]["min_kept_share"] = kept_share
    return data


def kept_share_breaches(layout: pd.DataFrame, share: float) -> list:
    """Sites open in two consecutive periods that run below ``share`` of their activity before."""
    lay = layout[layout["sited"].astype(bool)]
    act = {(int(p), c, s, r): a for p, c, s, r, a in lay[["period", "chain", "segment", "region", "activity"]]
           .itertuples(index=False)}
    following = dict(zip(YEARS, YEARS[1:]))
    out = []
    for (y, *site), before in act.items():
        after = act.get((following.get(y), *site))
        if after is not None and after < share * before - 1e-7:
            out.append((following[y], tuple(site), after, before))
    return out


def brute_force_kept_share(data):
    """Least discounted cost of ``emptied_site_instance(fixed=True)`` by hand: every sequence of
    site sets of b (a and c stay where policy fixes them), each with the activity LP of b written
    from the rules — demand, land and water quotas, a site kept open from t-1 to t runs at least
    min_kept_share x its activity in t-1 (today's for 2025), shrinking costs per unit removed —
    solved by scipy's linprog; budgets and minimum runs checked on the site sets."""
    from scipy.optimize import linprog

    regions = [r["id"] for r in data["regions"]]
    quota = {r["id"]: r["quotas"] for r in data["regions"]}
    D = dict(zip(regions, [dict(zip(regions, row)) for row in data["economic_distance"]["matrix"]["values"]]))
    chain = data["chains"][0]
    segs = {s["id"]: s for s in chain["segments"]}
    ti = {(ln["from"], ln["to"]): ln["transport_intensity"] * ln["volume_per_unit"] for ln in chain["links"]}
    bf = data["brownfield"]
    costs, share = bf["costs"], bf["min_kept_share"]
    close = {s: costs["by_kind"].get(seg["kind"], {}).get("close_per_site", costs["close_per_site"])
             for s, seg in segs.items()}
    today = {(e["segment"], e["region"]): e["activity"] for e in bf["existing"]}
    where = {f["segment"]: f["region"] for f in data["policy"]["fixed"]}  # a and c: single sites
    ra, rc = where["a"], where["c"]
    ms = data["periods"]["milestones"]
    run = data["periods"]["min_run_years"]
    tol = segs["b"].get("duplication_tolerance", 1)
    per_unit_b = {r: segs["b"]["site_cost"][r] + ti[("a", "b")] * D[ra][r] + ti[("b", "c")] * D[r][rc] for r in regions}
    site_sets = [frozenset(c) for n in (1, 2, 3) for c in itertools.combinations(regions, n)]
    best = None
    for seq in itertools.product(site_sets, repeat=3):
        fixed_total, opened_at, ok = 0.0, {}, True
        sites_before = set(today)
        for t, B in enumerate(seq):
            g = GROWTH[t]
            sites = {("a", ra), ("c", rc)} | {("b", r) for r in B}
            opened, closed = sites - sites_before, sites_before - sites
            budget = ms[t].get("budget") or {}
            if len(opened) > budget.get("max_opened", 99) or len(closed) > budget.get("max_closed", 99):
                ok = False
            if any(k in closed and YEARS[t] < YEARS[t0] + run for k, t0 in opened_at.items()):
                ok = False
            opened_at.update({k: t for k in opened})
            disc = (1 + RATE) ** -(YEARS[t] - YEARS[0])
            prev = {s: segs[s]["activity"] * (GROWTH[t - 1] if t else 1.0) for s in "ac"}
            running = (segs["a"]["site_cost"][ra] * segs["a"]["activity"] * g
                       + segs["c"]["site_cost"][rc] * segs["c"]["activity"] * g + max(0, len(B) - tol))
            change = sum(segs[s]["fixed_cost"] for s, _ in opened)
            change += sum(close[s] + costs["shrink_per_unit"] * (today[(s, r)] if t == 0 else prev[s])
                          for s, r in closed if s != "b")
            change += sum(close[s] for s, r in closed if s == "b")  # b's shrinking is in the LP
            fixed_total += disc * (5.0 * running + change)
            sites_before = sites
        if not ok:
            continue
        # the activity LP: x[t, r] (b in r in period t), removed[t, r] for every site of b open in t-1
        cols = [(t, r) for t in range(3) for r in seq[t]]
        before = [set(r for s, r in today if s == "b")] + [set(seq[t]) for t in range(2)]
        rem = [(t, r) for t in range(3) for r in sorted(before[t])]
        n = len(cols) + len(rem)
        cx = {k: i for i, k in enumerate(cols)}
        cr = {k: len(cols) + i for i, k in enumerate(rem)}
        c = np.zeros(n)
        for (t, r), i in cx.items():
            c[i] = (1 + RATE) ** -(YEARS[t] - YEARS[0]) * 5.0 * per_unit_b[r]
        for (t, r), i in cr.items():
            c[i] = (1 + RATE) ** -(YEARS[t] - YEARS[0]) * costs["shrink_per_unit"]
        A_eq, b_eq, A_ub, b_ub = [], [], [], []
        for t in range(3):
            row = np.zeros(n)
            row[[cx[(t, r)] for r in seq[t]]] = 1.0
            A_eq.append(row), b_eq.append(segs["b"]["activity"] * GROWTH[t])
            for r in seq[t]:
                for k, use in segs["b"]["resource_use"].items():
                    fixed_use = sum(segs[s]["resource_use"].get(k, 0.0) * segs[s]["activity"] * GROWTH[t]
                                    for s, rs in (("a", ra), ("c", rc)) if rs == r)
                    row = np.zeros(n)
                    row[cx[(t, r)]] = use
                    A_ub.append(row), b_ub.append(quota[r][k] * ms[t]["quota_factor"].get(k, 1.0) - fixed_use)
            for r in before[t]:
                # removed[t, r] >= x[t-1, r] - x[t, r]   and, kept open:  x[t, r] >= share x[t-1, r]
                for kind in ("shrink", "kept"):
                    if kind == "kept" and r not in seq[t]:
                        continue
                    row, rhs = np.zeros(n), 0.0
                    if t:
                        row[cx[(t - 1, r)]] = 1.0 if kind == "shrink" else share
                    else:
                        rhs = -today[("b", r)] * (1.0 if kind == "shrink" else share)
                    if r in seq[t]:
                        row[cx[(t, r)]] = -1.0
                    if kind == "shrink":
                        row[cr[(t, r)]] = -1.0
                    A_ub.append(row), b_ub.append(rhs)
        lp = linprog(c, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq, bounds=(0, None),
                     method="highs")
        if lp.status == 0:
            total = fixed_total + lp.fun
            best = total if best is None else min(best, total)
    return best


@pytest.mark.parametrize("kept_share, budgets", [
    (0.1, ({"max_opened": 2}, {"max_closed": 0}, {"max_closed": 0})),
    (0.5, ({"max_opened": 2}, {"max_closed": 0}, {"max_closed": 0})),
    (0.0, ({"max_opened": 2}, {"max_closed": 0}, {"max_closed": 0})),
    (0.5, ({"max_opened": 2, "max_closed": 1}, {"max_closed": 0}, None)),  # a closes r1; b kept there: 2, then 1
])
def test_kept_share_equals_brute_force(kept_share, budgets):
    """(P7) against every sequence of b's site sets with the activity LP written by hand."""
    data = emptied_site_instance(kept_share, budgets, fixed=True)
    want = brute_force_kept_share(data)
    sol = solve_phased(validate_mapping(data), options=yrdopt.SolverOptions(mip_gap=1e-9))
    assert sol.summary["verified"], sol.check.lines()
    assert sol.objective == pytest.approx(want, rel=1e-7)
    assert kept_share_breaches(sol.layout, kept_share) == []


def test_kept_share_site_opened_by_the_plan_is_not_emptied_under_a_closure_budget(tmp_path):
    """(P7) A site the plan opened in 2025 and keeps open in 2030 (the closure budget is 0)
    runs at least min_kept_share of its 2025 activity: emptied, it would be a closure that
    dodges its closing cost and the budget (the joint model did so before P7, and the
    checker, which took only today's activity as the floor, verified it)."""
    inst = validate_mapping(emptied_site_instance())
    sol = solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9), out=tmp_path)
    assert sol.summary["verified"], sol.check.lines()
    lay = sol.layout
    r2 = lay[(lay["segment"] == "b") & (lay["region"] == "r2") & lay["sited"].astype(bool)]
    assert set(r2["period"]) >= {2025, 2030}, "the plan opens b in r2 in 2025 and keeps it open in 2030"
    assert kept_share_breaches(lay, 0.1) == []
    assert r2.set_index("period").loc[2030, "activity"] >= 0.1 * r2.set_index("period").loc[2025, "activity"] - 1e-7
    assert check_dir(inst, tmp_path).verified
    # the myopic plan obeys the same rule (each period's instance starts from the one before)
    my = myopic(inst)
    my_lay = pd.concat([s.layout.assign(period=y) for y, s in zip(YEARS, my)], ignore_index=True)
    assert kept_share_breaches(my_lay, 0.1) == []


def test_checker_finds_a_site_emptied_while_kept_open(tmp_path):
    """The checker applies the same floor from the written layout alone: b's r2 site kept open
    in 2030 with its activity moved to r3 is a minimum-scale violation named in 2030."""
    inst = validate_mapping(emptied_site_instance())
    solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9), out=tmp_path)
    assert check_dir(inst, tmp_path).verified
    lay = pd.read_csv(tmp_path / "layout.csv")
    at = lambda r: (lay["period"] == 2030) & (lay["segment"] == "b") & (lay["region"] == r)  # noqa: E731
    assert at("r2").sum() == 1 and at("r3").sum() == 1
    lay.loc[at("r3"), "activity"] += lay.loc[at("r2"), "activity"].iloc[0]
    lay.loc[at("r2"), "activity"] = 0.0
    lay.to_csv(tmp_path / "layout.csv", index=False)
    (tmp_path / "flows.csv").unlink()
    rep = check_dir(inst, tmp_path)
    assert not rep.verified and "min_scale" in rep.worst
    assert rep.worst["min_scale"].where.startswith("2030") and "r2" in rep.worst["min_scale"].where


def reopen_instance():
    """tiny3 with b spread over sites, minimum scale 3: today 3.5 in r1 (its capacity) and 0.5 in r2
    (below the minimum, grandfathered); b's activity is 3 in 2025 and 4 from 2030, so a plan that
    leaves r2 in 2025 needs a 0.5 from 2030 on that a reopened r2 could take only at its old size."""
    d = tiny3(run=0)
    d["chains"][0]["segments"][1].update(single_site=False, min_scale=3.0, duplication_tolerance=3)
    d["brownfield"]["existing"][1].update(activity=3.5, capacity=3.5)
    d["brownfield"]["existing"].append({"chain": "k", "segment": "b", "region": "r2", "activity": 0.5})
    for m, g in zip(d["periods"]["milestones"], (0.75, 1.0, 1.0)):
        m["growth"]["k"] = g
    return d


def test_reopened_min_scale_a_site_of_today_closed_and_opened_again_is_a_new_site(tmp_path):
    """(P8) Only a site of today that has run in every period since today keeps its grandfathered size (0.5
    below b's minimum scale of 3); closed in 2025 and opened again in 2030 it is a new site, as the
    checker reads it (not among the sites before).  The joint model once reopened r2 at 0.5 in 2030
    and the checker refused its own plan."""
    inst = validate_mapping(reopen_instance())
    sol = solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9), out=tmp_path)
    assert sol.summary["verified"], sol.check.lines()
    assert check_dir(inst, tmp_path).verified
    lay = sol.layout[sol.layout["sited"].astype(bool) & (sol.layout["segment"] == "b")]
    sites = {y: set(lay.loc[lay["period"] == y, "region"]) for y in YEARS}
    before = {2025: {"r1", "r2"}, 2030: sites[2025], 2035: sites[2030]}
    new = lay[[r not in before[y] for y, r in zip(lay["period"], lay["region"])]]
    assert (new["activity"] >= 3.0 - 1e-7).all(), new


def test_solve_over_periods_honours_its_start_and_polish_and_refuses_one_period_search(tmp_path):
    """``yrdopt.solve`` on an instance with milestone periods: a given ``start`` (a phased layout's
    x) starts the MILP over all periods instead of the myopic plan, ``greedy_start=False`` starts
    it from nothing, ``polish=False`` keeps HiGHS's values; ``improve_s``, ``search_lns`` and
    ``kernel_search`` (one period's machinery) are refused naming the option and why.  Before,
    every one of them was silently ignored.  The CLI, which has none of these flags, refuses
    ``--concurrent-lns`` there the same way (exit 2, no traceback)."""
    from typer.testing import CliRunner

    from yrdopt.cli import app

    inst = validate_mapping(tiny3())
    first = yrdopt.solve(inst, gap=1e-9)
    again = yrdopt.solve(inst, gap=1e-9, start=first.x, polish=False)
    s = again.summary
    assert s["myopic"] is None and not s["solver"]["polished"], (s["myopic"], s["solver"])  # before: both ran
    assert s["solver"]["start"] == "given" and first.summary["solver"]["start"] == "myopic"
    assert first.summary["solver"]["polished"]
    assert s["verified"] and s["objective"] == pytest.approx(first.summary["objective"], rel=1e-7)
    bare = yrdopt.solve(inst, gap=1e-9, greedy_start=False).summary
    assert bare["solver"]["start"] is None and bare["myopic"] is None and bare["verified"]
    with pytest.raises(InstanceError) as err:
        yrdopt.solve(inst, start=first.x[:-1])
    assert f"start: got '{first.x.size - 1} values'" in str(err.value), str(err.value)
    for name, value in (("improve_s", 5.0), ("search_lns", 0.2), ("kernel_search", 0.1)):
        with pytest.raises(InstanceError) as err:
            yrdopt.solve(inst, **{name: value})
        said = str(err.value)
        assert f"solver options: {name}: got {value}" in said and "milestone periods" in said, said
    assert yrdopt.solve(inst, search_lns=0.0, kernel_search=0.0, improve_s=0.0).summary["verified"]  # off: fine
    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny3()))
    res = CliRunner().invoke(app, ["solve", str(tmp_path / "tiny.yaml"), "--concurrent-lns", "--out", str(tmp_path / "o")])
    assert res.exit_code == 2 and "concurrent_lns" in res.output and "Traceback" not in res.output, res.output


def test_check_names_every_broken_limit_and_transition_row_of_a_plan_over_periods(tmp_path):
    """An edited plan: every period's violated limits are listed with their year and values
    (before: ``violations`` was empty over periods, only the worst per kind kept), and an edited
    transition.csv row is named by period and site with its stated and recomputed status; people
    read them by the instance's names (segment "k a", "r1's land quota"), the JSON keeps the ids
    (before: "quota at 2035: r2 land", "k/a in r1")."""
    from typer.testing import CliRunner

    from yrdopt.cli import app

    (tmp_path / "tiny.yaml").write_text(yaml.safe_dump(tiny3()))
    out = tmp_path / "out"
    res = CliRunner().invoke(app, ["solve", str(tmp_path / "tiny.yaml"), "--out", str(out)])
    assert res.exit_code == 0, res.output
    text = " ".join(res.output.split())
    # today's layout grown breaks r1's land in 2030 and 2035: both counted, the largest as a share of its limit
    cell = text.split("passes the checker")[1].split("Benefit sharing")[0].replace("│", " ").split()
    cell = " ".join(w for w in cell if w != "yes")  # the rows as read, wrapped cells joined, the optimized column out
    assert cell.startswith("no (2 violations, largest 15.4 % over its limit)"), cell
    assert "baseline breaks 2035: r1's land quota uses 13.5 of 11.7 ... 1 more (worst of each kind listed)" in cell
    lay = pd.read_csv(out / "layout.csv")
    lay.loc[lay["period"] == 2035, "region"] = "r2"  # 13.5 land in r2, whose 2035 quota is 6 x 1.3
    lay.to_csv(out / "layout.csv", index=False)
    (out / "flows.csv").unlink()
    trans = pd.read_csv(out / "transition.csv")
    opened = trans.index[trans["status"] == "opened"][0]
    trans.loc[opened, "status"] = "kept"
    trans.loc[opened, "activity_before"] += 1.0  # said as the period before's activity, never the column alone
    trans.to_csv(out / "transition.csv", index=False)
    row = trans.loc[opened]

    rep = check_dir(validate_mapping(tiny3()), out)
    assert not rep.verified and rep.n_violations == len(rep.violations) > len(rep.worst)
    assert [v.amount for v in rep.violations] == sorted((v.amount for v in rep.violations), reverse=True)
    named = {(v.constraint, v.where): v.detail for v in rep.violations}
    assert named[("quota", "2035: r2 land")] == "uses 13.5 of 7.8"
    site = f"{row['period']}: k/{row['segment']} in {row['region']}"
    before = "today's" if row["period"] == YEARS[0] else f"{YEARS[YEARS.index(row['period']) - 1]}'s"
    assert [v.detail for v in rep.violations if v.where == site] == [
        "transition.csv says kept, recomputed from the layout: opened",
        f"transition.csv says {before} activity at the site (activity_before) is {row['activity_before']}, "
        f"recomputed from the layout: {row['activity_before'] - 1.0:.10g}"]
    said = f"{row['period']}: k {row['segment']} in {row['region']}: transition.csv says kept, recomputed from the layout: opened"
    assert said in [v.words for v in rep.violations]
    assert {"constraint": "quota", "where": "2035: r2 land", "words": "2035: r2's land quota: uses 13.5 of 7.8"}.items() \
        <= next(v for v in rep.to_dict()["violations"] if v["constraint"] == "quota").items()

    res = CliRunner().invoke(app, ["check", str(tmp_path / "tiny.yaml"), str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 5 and f"{rep.n_violations} violated limits, largest first" in text, text
    assert "2035: r2's land quota: uses 13.5 of 7.8" in text and "quota at" not in text, text
    assert said in text and "transition_table" not in text, text
    # the report's checker verdict and the baseline's broken limits in the same words
    res = CliRunner().invoke(app, ["report", str(out), "--out", str(tmp_path / "report.html")])
    assert res.exit_code == 0, res.output
    page = html.unescape((tmp_path / "report.html").read_text())
    check = page[page.index('<section id="check">'):page.index('<section id="objective">')]
    assert "2035: r2's land quota: uses 13.5 of 7.8" in check and "r2 land" not in check, check
    base = page[page.index('<section id="baseline">'):page.index("everything in summary.json")]
    assert "2035: r1's land quota: uses 13.5 of 11.7" in base and "r1 land" not in base, base


def test_check_prints_the_first_violated_limits_and_says_how_many_more_and_where():
    from yrdopt.checker import LINES_SHOWN, CheckReport, Violation

    rows = [Violation("quota", f"2035: r{i} land", 1.0 / (i + 1), f"uses {i + 2} of 1") for i in range(LINES_SHOWN + 5)]
    lines = CheckReport(False, 1.0, 0.0, {}, {}, n_violations=len(rows), violations=rows).lines()
    assert f"{LINES_SHOWN + 5} violated limits, largest first" in lines[2]
    assert sum(line.startswith("  2035: r") for line in lines) == LINES_SHOWN
    assert lines[-1] == "  ... 5 more (every one: yrdopt check --json)"

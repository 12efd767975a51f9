"""(P8, models/formulation.md section 13) A site of today keeps its own capacity and its
grandfathered minimum scale only while it has run in every period since today; closed once, it
is a new site for good — in the joint model, the myopic plan and the checker alike.

The joint optimum is checked against every sequence of site sets with the activity LP written
by hand from that rule (scipy's linprog)."""

import itertools

import numpy as np
import pandas as pd
import pytest

import yrdopt
from yrdopt.checker import check_dir, check_phased
from yrdopt.io import validate_mapping
from yrdopt.phasing import myopic, solve_phased

YEARS = [2025, 2030, 2035]
GROWTH = [1.0, 1.5, 2.0]
RATE = 0.05
REGIONS = ["r1", "r2", "r3"]


def grandfathered_instance(*, own_min_scale=None, share=0.1, x_2025=0.05, x_2035=1.0, capacity=1.0,
                           close_cost=1.0):
    """One segment b (minimum scale 2) over three regions; today b runs 2.5 in r1 and 0.5 in r2,
    where its site has a capacity of 1 (and its own ``min_scale`` if given).  r2 is the cheapest
    region and the only one that uses resource x, whose 2025 quota factor ``x_2025`` can leave r2
    too little room to stay open in 2025 (0.05 x 4 = 0.2 < 0.5); ``x_2035`` likewise in 2035."""
    r2_today = {"chain": "k", "segment": "b", "region": "r2", "activity": 0.5, "capacity": capacity}
    if own_min_scale is not None:
        r2_today["min_scale"] = own_min_scale
    return {
        "name": "grandfathered", "resources": [{"id": "land"}, {"id": "x"}],
        "regions": [{"id": r, "name_en": r, "province": p, "kind": "province", "quotas": q} for r, p, q in (
            ("r1", "P", {"land": 10.0}), ("r2", "P", {"land": 10.0, "x": 4.0}), ("r3", "Q", {"land": 10.0}))],
        "chains": [{"id": "k", "segments": [
            {"id": "b", "kind": "manufacturing", "activity": 3.0, "min_scale": 2.0, "single_site": False,
             "duplication_tolerance": 3, "resource_use": {"land": 1.0, "x": 1.0},
             "site_cost": {"r1": 4.0, "r2": 0.5, "r3": 2.0}, "fixed_cost": 6.0}]}],
        "economic_distance": {"matrix": {"regions": REGIONS, "values": [[0.5, 2.0, 4.0], [2.0, 0.5, 3.0],
                                                                        [4.0, 3.0, 0.5]]}},
        "brownfield": {
            "existing": [{"chain": "k", "segment": "b", "region": "r1", "activity": 2.5}, r2_today],
            "costs": {"close_per_site": close_cost, "shrink_per_unit": 0.2},
            "min_kept_share": share,
        },
        "periods": {"discount_rate": RATE, "min_run_years": 0, "milestones": [
            {"year": y, "growth": {"k": g}, "quota_factor": {"x": f}}
            for y, g, f in zip(YEARS, GROWTH, (x_2025, 1.0, x_2035))]},
    }


def brute_force_grandfathered(data):
    """Least discounted cost over every sequence of b's site sets (non-empty subsets of the three
    regions in each period), each with b's activity LP written from the rules:

    * a site of today that has been open in every period since today (h) runs at most its
      capacity and at least its grandfathered floor: its own min_scale, else min(m, today's
      activity) — in 2025 at least min_kept_share x today's activity too, capped by the capacity;
    * any other site (new, or a site of today that closed once) runs at least the segment's
      minimum scale m and has no capacity of its own;
    * a site open in t-1 and t runs at least min_kept_share x its activity in t-1, except a site
      with its own min_scale while it is grandfathered;
    * costs: 5 years x site cost x activity per period, the full fixed cost per site opened, the
      closing cost per site closed, shrink cost per unit removed from a site of the period before
      (today's sites for 2025), discounted."""
    from scipy.optimize import linprog

    seg = data["chains"][0]["segments"][0]
    m, fixed, cost = seg["min_scale"], seg["fixed_cost"], seg["site_cost"]
    bf = data["brownfield"]
    share, close, shrink = bf["min_kept_share"], bf["costs"]["close_per_site"], bf["costs"]["shrink_per_unit"]
    today = {e["region"]: e for e in bf["existing"]}
    quota = {r["id"]: r["quotas"] for r in data["regions"]}
    ms = data["periods"]["milestones"]
    disc = [(1 + RATE) ** -(y - YEARS[0]) for y in YEARS]
    site_sets = [frozenset(c) for n in (1, 2, 3) for c in itertools.combinations(REGIONS, n)]
    best, best_seq = None, None
    for seq in itertools.product(site_sets, repeat=3):
        before = [frozenset(today)] + list(seq[:-1])
        fixed_total = sum(disc[t] * (fixed * len(seq[t] - before[t]) + close * len(before[t] - seq[t]))
                          for t in range(3))
        cols = [(t, r) for t in range(3) for r in sorted(seq[t])]
        rem = [(t, r) for t in range(3) for r in sorted(before[t])]
        cx = {k: i for i, k in enumerate(cols)}
        cr = {k: len(cols) + i for i, k in enumerate(rem)}
        n = len(cols) + len(rem)
        c = np.zeros(n)
        for (t, r), i in cx.items():
            c[i] = disc[t] * 5.0 * cost[r]
        for (t, r), i in cr.items():
            c[i] = disc[t] * shrink
        bounds = [(0.0, None)] * n
        A_eq, b_eq, A_ub, b_ub = [], [], [], []
        for t in range(3):
            row = np.zeros(n)
            row[[cx[(t, r)] for r in seq[t]]] = 1.0
            A_eq.append(row), b_eq.append(seg["activity"] * GROWTH[t])
            for r in seq[t]:
                room = min(q * ms[t]["quota_factor"].get(k, 1.0) / seg["resource_use"][k]
                           for k, q in quota[r].items())
                site = today.get(r)
                h = site is not None and all(r in seq[k] for k in range(t + 1))
                lo, hi, kept = m, room, t > 0 and r in before[t]
                if h:
                    hi = min(hi, site.get("capacity") if site.get("capacity") is not None else np.inf)
                    if site.get("min_scale") is not None:
                        lo, kept = site["min_scale"], False
                    else:
                        lo = min(m, site["activity"])
                        if t == 0:
                            lo = max(lo, share * site["activity"])
                            lo = min(lo, site["capacity"]) if site.get("capacity") is not None else lo
                bounds[cx[(t, r)]] = (lo, hi)
                if kept:  # x[t, r] >= share x[t-1, r]
                    row = np.zeros(n)
                    row[cx[(t - 1, r)]], row[cx[(t, r)]] = share, -1.0
                    A_ub.append(row), b_ub.append(0.0)
            for r in before[t]:  # removed[t, r] >= x[t-1, r] - x[t, r]  (x[-1] = today's activity)
                row, rhs = np.zeros(n), 0.0
                if t:
                    row[cx[(t - 1, r)]] = 1.0
                else:
                    rhs = -today[r]["activity"]
                if r in seq[t]:
                    row[cx[(t, r)]] = -1.0
                row[cr[(t, r)]] = -1.0
                A_ub.append(row), b_ub.append(rhs)
        if any(lo > hi + 1e-12 for lo, hi in bounds if hi is not None):
            continue
        lp = linprog(c, A_ub=np.array(A_ub), b_ub=b_ub, A_eq=np.array(A_eq), b_eq=b_eq, bounds=bounds,
                     method="highs")
        if lp.status == 0 and (best is None or fixed_total + lp.fun < best):
            best, best_seq = fixed_total + lp.fun, seq
    return best, best_seq


CASES = {
    # r2 must close in 2025 and reopens as a new site: no capacity, floor m (and the kept share)
    "closed-in-2025": dict(),
    "closed-in-2025-own-min-scale": dict(own_min_scale=0.25),
    "closed-in-2025-kept-share-0.5": dict(share=0.5),
    # reopened in 2030, r2 has room for 1 in 2035: below m, so it must close (it once kept today's 0.5 floor)
    "closed-in-2025-no-room-in-2035": dict(capacity=None, x_2035=0.25),
    # r2 may stay: kept at its capacity, or closed to escape it (a closure and a new opening)
    "may-stay": dict(x_2025=1.0),
    "may-stay-own-min-scale": dict(x_2025=1.0, own_min_scale=0.25, share=0.5),
    "may-stay-cheap-closure": dict(x_2025=1.0, close_cost=0.0, capacity=0.5),
}


@pytest.mark.parametrize("case", CASES)
def test_grandfathered_limits_equal_brute_force(case):
    """The joint optimum equals the brute force's, the checker verifies the joint plan, and the
    myopic plan (period by period, the same rule) is verified and never cheaper."""
    data = grandfathered_instance(**CASES[case])
    want, seq = brute_force_grandfathered(data)
    inst = validate_mapping(data)
    sol = solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9))
    assert sol.summary["verified"], sol.check.lines()
    assert sol.objective == pytest.approx(want, rel=1e-7), seq
    my = myopic(inst)
    lay = pd.concat([s.layout.assign(period=y) for y, s in zip(YEARS, my)], ignore_index=True)
    rep = check_phased(inst, lay)
    assert rep.verified, rep.lines()
    assert rep.objective >= want - 1e-7 * abs(want)


def test_a_site_of_today_closed_once_is_new_for_good(tmp_path):
    """r2 closes in 2025 (no room) and reopens in 2030 as a new site: above today's capacity of 1
    in 2030 and still in 2035 (before P8 chained over periods, the joint model and the checker gave
    it today's capacity again from 2035); the written plan is verified from the tables alone."""
    inst = validate_mapping(grandfathered_instance())
    sol = solve_phased(inst, options=yrdopt.SolverOptions(mip_gap=1e-9), out=tmp_path)
    assert sol.summary["verified"], sol.check.lines()
    assert check_dir(inst, tmp_path).verified
    lay = sol.layout[sol.layout["sited"].astype(bool) & (sol.layout["region"] == "r2")].set_index("period")
    assert 2025 not in lay.index
    assert lay.loc[2030, "activity"] > 1.0 + 1e-6 and lay.loc[2035, "activity"] > 1.0 + 1e-6


def test_checker_holds_a_site_of_today_to_its_capacity_only_while_it_has_run(tmp_path):
    """The checker re-derives the history from the written layouts: r2 written at 2 in 2030 with
    no 2025 site is a new site (verified above), but written with a 2025 site too it is still
    today's site and breaks its capacity of 1 in 2030."""
    inst = validate_mapping(grandfathered_instance(x_2025=1.0))
    lay = pd.DataFrame([(y, "k", "b", r, a, True) for y, r, a in (
        (2025, "r1", 3.0), (2030, "r1", 2.5), (2030, "r2", 2.0), (2035, "r1", 4.0), (2035, "r2", 2.0))],
        columns=["period", "chain", "segment", "region", "activity", "sited"])
    assert check_phased(inst, lay).verified
    kept = pd.concat([lay, pd.DataFrame([(2025, "k", "b", "r2", 0.5, True)], columns=lay.columns)])
    kept.loc[(kept["period"] == 2025) & (kept["region"] == "r1"), "activity"] = 2.5
    rep = check_phased(inst, kept)
    assert not rep.verified
    assert rep.worst["existing_capacity"].where == "2030: k/b in r2", rep.lines()


def test_a_plan_without_a_sited_column_pays_to_reopen_a_site_of_today():
    """Without a ``sited`` column a site is a row with activity above 0, in every period: a site
    of today written at 0 in 2025 closed there (and paid for closing), so running it again in
    2030 opens a new site, fixed cost included.  Before, the next period's instance still took
    the 0-activity row as a site of today, and the plan was verified without that cost."""
    inst = validate_mapping(grandfathered_instance(x_2025=1.0))
    rows = [(2025, "k", "b", "r1", 3.0), (2025, "k", "b", "r2", 0.0), (2030, "k", "b", "r1", 2.5),
            (2030, "k", "b", "r2", 2.0), (2035, "k", "b", "r1", 4.0), (2035, "k", "b", "r2", 2.0)]
    lay = pd.DataFrame(rows, columns=["period", "chain", "segment", "region", "activity"])
    without = check_phased(inst, lay)
    with_sited = check_phased(inst, lay.assign(sited=lay["activity"] > 0))
    assert with_sited.components["fixed_cost"] > 0  # r2's reopening in 2030 is a new site
    assert without.verified == with_sited.verified
    assert without.objective == pytest.approx(with_sited.objective, rel=1e-9)
    assert without.components["fixed_cost"] == pytest.approx(with_sited.components["fixed_cost"], rel=1e-9)


def test_a_site_of_today_an_ulp_above_its_capacity_enters_the_next_period_at_its_capacity():
    """The model's capacity row (P8) may leave a grandfathered site's activity an ulp above its
    capacity; the next period's site of today is then read at its capacity, not above it."""
    from yrdopt.phasing import period_instance

    inst = validate_mapping(grandfathered_instance(x_2025=1.0, capacity=0.7))
    lay = pd.DataFrame([("k", "b", "r1", 3.0), ("k", "b", "r2", 0.7000000000000002)],
                       columns=["chain", "segment", "region", "activity"])
    nxt = period_instance(inst, 1, previous=lay)
    r2 = [e for e in nxt.brownfield.existing if e.region == "r2"]
    assert len(r2) == 1 and r2[0].capacity == 0.7 and r2[0].activity == 0.7

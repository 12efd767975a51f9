"""The sweep's tornado (``sweep.summaries.tornado``) where some scenarios are infeasible: the
parameter that makes the plan impossible comes first with the end where it does, and no other
parameter is flagged for an infeasibility it does not cause (review of the first version: every
parameter of a grid was flagged; a categorical setting always infeasible and an infeasible
one-at-a-time setting between the ends were not shown)."""

import itertools
from types import SimpleNamespace

import numpy as np
import pandas as pd

from yrdopt.report.charts import tornado_table
from yrdopt.sweep.summaries import tornado


def frame(rows):
    df = pd.DataFrame(rows)
    df["objective"] = df["objective"].astype(float)
    return df


def params(*labels):
    return [SimpleNamespace(label=x) for x in labels]


def test_grid_flags_only_the_parameter_whose_low_end_is_infeasible():
    rows = []
    for a, b, c in itertools.product([0.3, 1.0, 1.4], [0.9, 1.0, 1.1], [0.5, 1.0, 2.0]):
        bad = a == 0.3  # only A's low setting makes the plan impossible
        rows.append(dict(A=a, B=b, C=c, ok=not bad, status="infeasible" if bad else "optimal",
                         objective=np.nan if bad else 100 * c + b + a))
    t = tornado(frame(rows), params("A", "B", "C"), {"A": 1.0, "B": 1.0, "C": 1.0}, "full_grid").set_index("parameter")
    assert list(t.index) == ["A", "C", "B"]  # A first, then by swing
    assert (t.at["A", "low"], t.at["A", "infeasible_low"], t.at["A", "infeasible_high"]) == (0.3, 9, 0)
    assert np.isnan(t.at["A", "objective_low"])
    # B and C see A's infeasible scenarios evenly at both ends: counted, not promoted
    assert t.at["B", "infeasible_low"] == t.at["B", "infeasible_high"]
    drawn, _ = tornado_table(t.reset_index(), base=120.0)
    assert list(drawn["parameter"].str.split(" ").str[0]) == ["B", "C", "A"]  # bottom up: A on top
    assert drawn["parameter"].iloc[-1] == "A (0.3: 9 infeasible / 1.4)"


def test_one_at_a_time_names_an_infeasible_setting_between_the_ends():
    rows = [dict(A=1.0, B=1.0, ok=True, status="optimal", objective=100.0)]
    for a, st in [(0.3, "optimal"), (0.5, "infeasible"), (1.4, "optimal")]:
        rows.append(dict(A=a, B=1.0, ok=st == "optimal", status=st, objective=100.0 if st == "optimal" else np.nan))
    for b, st in [(0.3, "time_limit_no_incumbent"), (0.8, "optimal"), (1.2, "optimal")]:
        rows.append(dict(A=1.0, B=b, ok=st == "optimal", status=st, objective=101.0 if st == "optimal" else np.nan))
    t = tornado(frame(rows), params("A", "B"), {"A": 1.0, "B": 1.0}, "one_at_a_time").set_index("parameter")
    assert list(t.index) == ["A", "B"] and t.at["A", "infeasible_values"] == "0.5"
    # B's low end has no layout (the limit, not proven infeasible): no objective there, not counted
    assert t.at["B", "low"] == 0.3 and np.isnan(t.at["B", "objective_low"]) and t.at["B", "infeasible_low"] == 0


def test_a_categorical_setting_always_infeasible_is_its_dearest_end():
    rows = []
    for s, b in itertools.product(["a", "b", "c"], [0.5, 1.0, 2.0]):
        bad = s == "c"
        rows.append(dict(S=s, B=b, ok=not bad, status="infeasible" if bad else "optimal",
                         objective=np.nan if bad else 10 * b + (s == "b")))
    t = tornado(frame(rows), params("S", "B"), {"S": "a", "B": 1.0}, "full_grid").set_index("parameter")
    assert list(t.index) == ["S", "B"]
    assert (t.at["S", "low"], t.at["S", "high"], t.at["S", "infeasible_high"], t.at["S", "infeasible_values"]) == \
        ("a", "c", 3, "c")


def test_a_sampled_parameter_that_did_not_move_gets_no_swing_and_each_row_says_what_its_ends_are():
    """Review 17: a parameter sampled over [1, 1 + 1e-10] showed a swing of 55.2 - the other
    parameters' spread between its bottom and top fifth of scenarios, read as its effect."""
    rng = np.random.default_rng(3)
    a, b, c = rng.uniform(0.5, 2.0, 40), rng.uniform(0.5, 2.0, 40), rng.uniform(1.0, 1.0 + 1e-10, 40)
    rows = [dict(A=x, B=y, C=z, ok=True, status="optimal", objective=100 * x + 30 * y) for x, y, z in zip(a, b, c)]
    t = tornado(frame(rows), params("A", "B", "C"), {"A": 1.0, "B": 1.0, "C": 1.0}, "latin_hypercube")
    t = t.set_index("parameter")
    assert list(t.index) == ["A", "B", "C"]  # the one that did not move last, not first
    assert np.isnan(t.at["C", "swing"]) and np.isnan(t.at["C", "objective_low"]), t.loc["C"]
    assert t.at["C", "ends"].startswith("did not move")
    assert t.at["A", "ends"] == "mean over the scenarios in the bottom and top fifth of its setting (the others vary)"
    # review 18: the size was at least 1, so a parameter set between 1e-10 and 9e-10 that moves the
    # objective by 400 "did not move"; its settings' own size now; one set to exactly 0 did not move
    d = rng.uniform(1e-10, 9e-10, 40)
    rows = [dict(r, D=z, E=0.0, objective=r["objective"] + 5e11 * z) for r, z in zip(rows, d)]
    t = tornado(frame(rows), params("A", "B", "C", "D", "E"), dict.fromkeys("ABCDE", 1.0), "latin_hypercube")
    t = t.set_index("parameter")
    assert list(t.index)[0] == "D" and list(t.index)[-2:] == ["C", "E"] and t.at["D", "swing"] > 250, t
    assert t.at["E", "ends"].startswith("did not move") and t.at["C", "ends"].startswith("did not move")
    oat = tornado(frame([dict(A=v, ok=True, status="optimal", objective=v) for v in (0.5, 1.0, 2.0)]), params("A"),
                  {"A": 1.0}, "one_at_a_time")
    assert oat.at[0, "ends"] == "its lowest and highest setting, the others at base"

"""Location quotients and Krugman indices (seed 002) against hand-computed cases and properties."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from yrdopt.analysis.specialization import (
    activity_table,
    interregional_specialization,
    location_quotients,
    mean_interregional,
    relative_specialization,
)


def test_hand_computed_two_regions():
    # A = (3, 1), B = (1, 1); area shares (4/6, 2/6)
    t = pd.DataFrame([[3.0, 1.0], [1.0, 1.0]], index=["A", "B"], columns=["x", "y"])
    lq = location_quotients(t)
    assert lq.loc["A", "x"] == pytest.approx(0.75 / (2 / 3))
    assert lq.loc["A", "y"] == pytest.approx(0.25 / (1 / 3))
    assert lq.loc["B", "y"] == pytest.approx(0.5 / (1 / 3))
    k = interregional_specialization(t)
    assert k.loc["A", "B"] == pytest.approx(0.5)  # |0.75-0.5| + |0.25-0.5|
    assert k.loc["B", "A"] == pytest.approx(0.5)
    assert relative_specialization(t)["A"] == pytest.approx(0.5)  # the rest of A is B


def test_hand_computed_relative_three_regions():
    t = pd.DataFrame([[2.0, 0.0], [0.0, 2.0], [1.0, 1.0]], index=["A", "B", "C"], columns=["x", "y"])
    rel = relative_specialization(t)
    # rest of A = B + C = (1, 3): shares (0.25, 0.75); A = (1, 0)
    assert rel["A"] == pytest.approx(1.5)
    assert rel["C"] == pytest.approx(0.0)  # C mirrors the rest (2, 2)
    assert mean_interregional(t) == pytest.approx((2.0 + 1.0 + 1.0) / 3)


positive_tables = arrays(np.float64, st.tuples(st.integers(2, 6), st.integers(2, 7)),
                         elements=st.floats(0.01, 1e4, allow_nan=False))


@settings(max_examples=60, deadline=None)
@given(positive_tables)
def test_properties(x):
    t = pd.DataFrame(x)
    k = interregional_specialization(t).values
    assert np.allclose(np.diag(k), 0.0)
    assert np.allclose(k, k.T)
    assert (k >= -1e-12).all() and (k <= 2 + 1e-12).all()
    rel = relative_specialization(t).values
    assert (rel >= -1e-12).all() and (rel <= 2 + 1e-12).all()
    # identical structures: scaling a row leaves every index at 0 between the two
    same = pd.DataFrame([x[0], 3.5 * x[0]])
    assert interregional_specialization(same).values[0, 1] == pytest.approx(0.0, abs=1e-12)
    # a region that mirrors the whole has LQ 1 in every industry
    mirror = pd.DataFrame(np.vstack([x, x.sum(axis=0)]))
    assert np.allclose(location_quotients(mirror).values[-1], 1.0)
    # the activity-weighted mean LQ of each region is 1 (shares add up to one)
    lq = location_quotients(t).values
    area = x.sum(axis=0) / x.sum()
    assert np.allclose((lq * area).sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 5), st.integers(1, 5), st.floats(0.1, 100))
def test_disjoint_structures_give_two(n_a, n_b, scale):
    a = np.r_[np.full(n_a, scale), np.zeros(n_b)]
    b = np.r_[np.zeros(n_a), np.full(n_b, 2 * scale)]
    t = pd.DataFrame([a, b], index=["a", "b"])
    assert interregional_specialization(t).loc["a", "b"] == pytest.approx(2.0)
    assert relative_specialization(t)["a"] == pytest.approx(2.0)


def test_activity_table_from_layout():
    layout = pd.DataFrame({"chain": ["ic", "ic", "nev"], "segment": ["rd", "mf", "mf"],
                           "region": ["sh", "js", "sh"], "activity": [1.0, 2.0, 3.0]})
    t = activity_table(layout)
    assert t.loc["sh", "ic"] == 1.0 and t.loc["sh", "nev"] == 3.0 and t.loc["js", "nev"] == 0.0


def test_seed_004_profit_table_matches_seed_002_roles():
    """LQs of the 2021 profit table (seed 004) show the advantages seed 002 names."""
    import importlib.util
    from pathlib import Path

    spec = importlib.util.spec_from_file_location("yrd_build", Path(__file__).parents[1] / "instances" / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    lq = build.lq_table()
    assert lq.loc["Shanghai", "automobiles"] > 1  # seed 002: Shanghai autos
    assert lq.loc["Zhejiang", "textiles"] > 1  # seed 002: Zhejiang textiles
    assert lq.loc["Anhui", "non_metallic_minerals"] > 1  # seed 002: Anhui non-metallic minerals
    assert lq.loc["Jiangsu", "equipment"] > 1  # BRIEF: Jiangsu high-end equipment
    # hand check of one cell: Shanghai automobiles
    sh = build.PROFIT_2021["Shanghai"]
    yrd = build.PROFIT_2021[build.YRD4].sum(axis=1)
    expect = (sh["automobiles"] / sh.sum()) / (yrd["automobiles"] / yrd.sum())
    assert lq.loc["Shanghai", "automobiles"] == pytest.approx(expect)

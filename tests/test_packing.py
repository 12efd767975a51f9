"""Packing rows (yrdopt.model.packing, models/formulation.md section 11): every row holds at
every feasible layout (brute force over all placements of small instances), and the MILP with
them has the plain MILP's optimum and a bound never above it."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from yrdopt.generate import generate_dict
from yrdopt.io import load_instance
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.model.fixed import fix_placements
from yrdopt.model.packing import FAMILIES, fewest_sites, site_floor
from yrdopt.solver import HighsSolver, SolverOptions

from tight_quotas import cut_quotas_to_optimum

ALL = BuildOptions(packing=FAMILIES)


def _solve(cm, limit=60):
    s = HighsSolver(SolverOptions(threads=1, time_limit=limit, mip_gap=1e-7))
    s.load(cm)
    return s.solve()


def _tight(R, C, S, seed):
    return load_instance(cut_quotas_to_optimum(generate_dict(R, C, S, seed)))


def _rows_hold(cm, x) -> float:
    """Largest violation of any row of ``cm`` at x (the packing rows come last)."""
    ax = cm.A @ x
    return float(max(np.max(cm.row_lower - ax, initial=0), np.max(ax - cm.row_upper, initial=0)))


@pytest.mark.parametrize("R, C, S, seed", [(3, 1, 3, 1), (3, 1, 3, 4), (4, 1, 2, 2)])
def test_packing_rows_hold_at_every_feasible_layout(R, C, S, seed):
    """Brute force: every placement (and expansion choice) whose fixed-placement model is feasible
    satisfies every packing row, and the best of them is the MILP optimum with the rows."""
    inst = _tight(R, C, S, seed)
    plain, packed = build(inst), build(inst, ALL)
    d = plain.data
    assert {"packing_knapsack", "packing_cover"} & set(packed.row_blocks)
    free = np.flatnonzero(d.allowed.ravel())
    best, feasible = np.inf, 0
    for bits in itertools.product((0, 1), repeat=len(free) + d.E):
        place = np.zeros(d.S * d.R)
        place[free] = bits[:len(free)]
        res = _solve(fix_placements(plain, place.reshape(d.S, d.R) > 0.5,
                                    np.array(bits[len(free):], dtype=bool) if d.E else None, lp=True))
        if res.status != "optimal":
            continue
        feasible += 1
        assert _rows_hold(packed, res.x) <= 1e-6, bits
        best = min(best, res.objective)
    assert feasible > 0
    ref = _solve(packed)
    assert ref.status == "optimal"
    assert ref.objective == pytest.approx(best, rel=1e-6)


@pytest.fixture(scope="module", params=[(6, 4, 3, 1), (8, 4, 3, 1)], ids=lambda p: "x".join(map(str, p)))
def tight(request):
    inst = _tight(*request.param)
    ref = _solve(build(inst))
    assert ref.status == "optimal"
    return inst, ref


@pytest.mark.parametrize("family", FAMILIES)
def test_packing_keeps_the_optimum_and_its_bound_below_it(tight, family):
    inst, ref = tight
    cm = build(inst, BuildOptions(packing=(family,)))
    assert _rows_hold(cm, ref.x) <= 1e-6  # the plain optimum satisfies the rows
    res = _solve(cm)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)
    assert res.bound <= ref.objective + 1e-6 * abs(ref.objective)


def test_site_floor_and_fewest_sites_hold_at_the_optimum(tight):
    """fewest_sites is the least n whose n largest site capacities hold the activity; the
    optimum's open sites carry at least site_floor and are at least fewest_sites per segment."""
    inst, ref = tight
    d = build(inst).data
    cap = np.minimum(d.activity_upper(), d.activity[:, None])
    for s in range(d.S):
        n = int(fewest_sites(d)[s])
        top = np.sort(cap[s])[::-1]
        assert top[:n].sum() >= d.activity[s] * (1 - 1e-9) and (n == 1 or top[:n - 1].sum() < d.activity[s])
    place = build(inst).var("place").take(ref.x) > 0.5
    act = build(inst).var("activity").take(ref.x)
    assert (act[place] >= site_floor(d)[place] - 1e-6).all()
    assert (place.sum(axis=1) >= fewest_sites(d)).all()


@pytest.mark.parametrize("mode", ["count", "count_floor", "excess"])
def test_integer_site_counts_keep_the_optimum_and_the_start(tight, mode):
    """BuildOptions(site_count_branching=...) (model/site_counts.py): the plain optimum, its site
    counts filled in, satisfies every row and integrality of the model with the integer site counts,
    whose optimum is the plain one with a bound never above it; the greedy start (on the instance
    before its quotas were cut) fills the counts: with them at 0 it would break the link rows."""
    from yrdopt.heuristic import greedy_start
    from yrdopt.lns import fits
    from yrdopt.model.site_counts import counted_segments, fill_site_counts

    inst, ref = tight
    cm = build(inst, BuildOptions(site_count_branching=mode))
    plain = build(inst)
    assert len(counted_segments(cm.data)) > 0
    added = cm.n_cols - plain.n_cols
    assert added == (len(counted_segments(cm.data)) if mode != "excess" else 0)
    assert np.count_nonzero(cm.integrality) == np.count_nonzero(plain.integrality) + len(counted_segments(cm.data))
    x = np.concatenate([ref.x, np.zeros(added)])
    fill_site_counts(cm, x)
    assert fits(cm, x)
    assert (np.abs(x[cm.integrality > 0] - np.round(x[cm.integrality > 0])) <= 1e-6).all()
    roomy = build(load_instance(generate_dict(6, 4, 3, 1)), BuildOptions(site_count_branching=mode))
    start = greedy_start(roomy)  # the tight instances' quotas leave the greedy stuck
    assert start is not None and fits(roomy, start)
    res = _solve(cm)
    assert res.status == "optimal"
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)
    assert res.bound <= ref.objective + 1e-6 * abs(ref.objective)

"""Pair rows for single-site segments (C17, yrdopt.model.single_site_pairs; models/formulation.md
section 11): no feasible point violates a row (brute force over every placement of a small instance,
each row minimised over the fixed-placement polytope), the MILP with every row has the brute-force
optimum, and the rows :func:`separate` adds keep the plain optimum and hold at its layout."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from yrdopt.generate import generate_dict
from yrdopt.io import load_instance
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.model.fixed import fix_placements
from yrdopt.model.single_site_pairs import CAPACITY, FLOOR, candidates, separate, violation, with_rows
from yrdopt.solver import HighsSolver, SolverOptions

from tight_quotas import cut_quotas_to_optimum, solve_exactly

ALL = BuildOptions(single_site_pairs="all")


def _least(fixed, rows, lower: np.ndarray) -> float:
    """The most any of ``rows`` (coefficient vectors of rows ``row @ x >= lower``) falls below its
    right-hand side over the polytope ``fixed``: one LP per row, minimising it."""
    s = HighsSolver(SolverOptions(threads=1, time_limit=30))
    s.load(fixed)
    h, n, worst = s.h, fixed.n_cols, -np.inf
    idx = np.arange(n, dtype=np.int32)
    for row, lo in zip(rows, lower):
        h.changeColsCost(n, idx, row)
        h.run()
        worst = max(worst, lo - h.getInfo().objective_function_value)
    return worst


@pytest.mark.parametrize("single", [("0_rd",), ("0_rd", "1_manufacturing")], ids=["rd", "rd+manufacturing"])
def test_single_site_pair_rows_hold_at_every_feasible_point(single):
    """Brute force on a tight 3x1x3 (R&D -> manufacturing, with a minimum scale -> single-site testing),
    with R&D, or R&D and manufacturing (then 30 units), made single-site too: each link then has a single-site end on
    one side or both, and floor and capacity rows on each; with R&D alone, manufacturing may have 2
    sites (fails where a segment of 2 sites is taken as single-site).  For every placement (and expansion choice)
    whose fixed-placement LP is feasible, no pair row falls below its right-hand side anywhere in that
    LP's polytope, and the best placement's cost is the optimum of the MILP with every pair row."""
    data = generate_dict(3, 1, 3, 1)
    if single == ("0_rd",):  # manufacturing at most 2 sites: not single-site (review 18: `max_sites <= 2` passed)
        data["policy"]["site_limits"] = [{"chain": "c0", "segment": "1_manufacturing", "max_sites": 2}]
    for seg in data["chains"][0]["segments"]:
        if seg["id"] in single:
            seg["single_site"] = True
            seg["activity"] = min(seg["activity"], 30.0)  # manufacturing's 108 fits no region whole
            seg.pop("min_scale", None)
    inst = load_instance(cut_quotas_to_optimum(data))
    plain, rowed = build(inst), build(inst, ALL)
    d = plain.data
    pool = candidates(d)
    assert set(pool.kind.tolist()) == {FLOOR, CAPACITY}
    assert {(int(l), int(o) == int(d.link_up[l])) for l, o in zip(pool.l, pool.own)} >= {(0, False), (1, True)}
    block = rowed.row("single_site_pair")
    assert block.size == len(pool)
    rows, lower = rowed.A.tocsr()[block.slice].toarray(), rowed.row_lower[block.slice]
    sites = [np.flatnonzero(d.allowed[s]) for s in range(d.S)]
    choices = [[c for n in range(1, int(d.max_sites[s]) + 1) for c in itertools.combinations(sites[s], n)]
               for s in range(d.S)]
    best, feasible = np.inf, 0
    for combo in itertools.product(*choices, itertools.product((0, 1), repeat=d.E)):
        place = np.zeros((d.S, d.R), dtype=bool)
        for s, where in enumerate(combo[:d.S]):
            place[s, list(where)] = True
        fixed = fix_placements(plain, place, np.array(combo[d.S], dtype=bool) if d.E else None, lp=True)
        res = solve_exactly(fixed)
        if res.status != "optimal":
            continue
        feasible += 1
        assert _least(fixed, rows, lower) <= 1e-6, combo
        best = min(best, res.objective)
    assert feasible > 1
    ref = solve_exactly(rowed)
    assert ref.status == "optimal"
    assert ref.objective == pytest.approx(best, rel=1e-6)


def test_separated_single_site_pairs_keep_the_optimum():
    """On a tight generated 4x2x3 (single-site testing segments), the rows the LP violates are
    added round by round and the LP never falls; the MILP with them has the plain optimum, every
    row holds at that optimum's layout, and an elastic model (capacities without the quotas) gets none."""
    inst = load_instance(cut_quotas_to_optimum(generate_dict(4, 2, 3, 2)))
    plain = build(inst)
    sep = separate(plain, rounds=3)
    assert sep.added and len(sep.rows) == sum(sep.added)
    assert all(b >= a - 1e-6 for a, b in zip(sep.lp, sep.lp[1:])) and sep.lp[-1] > sep.lp[0] + 1e-6
    rowed = with_rows(plain, sep.rows)
    ref, res = solve_exactly(plain), solve_exactly(rowed)
    assert ref.status == res.status == "optimal"
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)
    assert res.bound <= ref.objective * (1 + 1e-6)
    assert violation(sep.rows, plain, ref.x).max() <= 1e-6 * max(1.0, np.abs(sep.rows.lower()).max())
    assert "single_site_pair" not in build(inst, BuildOptions(elastic=True, single_site_pairs="all")).row_blocks

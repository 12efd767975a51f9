"""Co-located quota rows (C16, yrdopt.model.colocation; models/formulation.md section 11): no
feasible point violates a row (brute force over every placement of small instances, each row
maximised over the fixed-placement polytope), the MILP with them has the plain MILP's optimum, and
they lift the LP relaxation where quotas bind."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from yrdopt.generate import generate_dict
from yrdopt.io import load_instance
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.model.fixed import fix_placements
from yrdopt.solver import HighsSolver, SolverOptions

from tight_quotas import cut_quotas_to_optimum, solve_exactly

ROWS = BuildOptions(colocated_quota=True)


def _data(R, C, S, seed, single_site: bool) -> dict:
    """A generated instance with its quotas cut to its optimum's use; ``single_site=False`` drops
    the generator's single-site flags (every segment may then split)."""
    data = generate_dict(R, C, S, seed)
    if not single_site:
        for chain in data["chains"]:
            for seg in chain["segments"]:
                seg.pop("single_site", None)
    return cut_quotas_to_optimum(data)


def _most_violated(fixed, rows: np.ndarray) -> float:
    """The largest value any of ``rows`` (coefficient vectors, each <= 0 when valid) reaches over the
    fixed-placement polytope ``fixed``: one LP per row, maximising it."""
    s = HighsSolver(SolverOptions(threads=1, time_limit=30))
    s.load(fixed)
    h, n, worst = s.h, fixed.n_cols, -np.inf
    idx = np.arange(n, dtype=np.int32)
    for row in rows:
        h.changeColsCost(n, idx, -row)
        h.run()
        worst = max(worst, -h.getInfo().objective_function_value)
    return worst


@pytest.mark.parametrize("single_site", [True, False], ids=["single-site", "split"])
@pytest.mark.parametrize("R, C, S, seed", [(3, 1, 3, 1), (3, 1, 3, 4)])
def test_colocated_quota_rows_hold_at_every_feasible_point(R, C, S, seed, single_site):
    """Brute force: for every placement (and expansion choice) whose fixed-placement LP is
    feasible, no row of C16 exceeds 0 anywhere in that LP's polytope (each row maximised), and the
    best placement's cost is the optimum of the MILP with the rows."""
    inst = load_instance(_data(R, C, S, seed, single_site))
    plain, rowed = build(inst), build(inst, ROWS)
    d = plain.data
    block = rowed.row("colocated_quota")
    assert block.size > 0
    rows = rowed.A.tocsr()[block.slice].toarray()
    free = np.flatnonzero(d.allowed.ravel())
    best, feasible = np.inf, 0
    for bits in itertools.product((0, 1), repeat=len(free) + d.E):
        place = np.zeros(d.S * d.R)
        place[free] = bits[:len(free)]
        fixed = fix_placements(plain, place.reshape(d.S, d.R) > 0.5,
                               np.array(bits[len(free):], dtype=bool) if d.E else None, lp=True)
        res = solve_exactly(fixed)
        if res.status != "optimal":
            continue
        feasible += 1
        assert _most_violated(fixed, rows) <= 1e-6, bits
        best = min(best, res.objective)
    assert feasible > 0
    ref = solve_exactly(rowed)
    assert ref.status == "optimal"
    assert ref.objective == pytest.approx(best, rel=1e-6)


@pytest.mark.parametrize("single_site", [True, False], ids=["single-site", "split"])
@pytest.mark.parametrize("R, C, S, seed", [(5, 2, 3, 4), (7, 3, 3, 6)])
def test_colocated_quota_keeps_the_optimum_and_lifts_the_relaxation(R, C, S, seed, single_site):
    """Same optimum as the plain MILP, bound never above it, and a higher LP relaxation: the LP
    can no longer co-locate fractions of trading segments where the quota cannot hold them."""
    inst = load_instance(_data(R, C, S, seed, single_site))
    plain, rowed = build(inst), build(inst, ROWS)
    ref, res = solve_exactly(plain), solve_exactly(rowed)
    assert ref.status == res.status == "optimal"
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)
    assert res.bound <= ref.objective * (1 + 1e-6)
    lp_plain, lp_rowed = solve_exactly(plain, lp=True).objective, solve_exactly(rowed, lp=True).objective
    assert lp_rowed > lp_plain * (1 + 1e-3)
    assert lp_rowed <= ref.objective * (1 + 1e-6)


def test_colocated_quota_rows_carry_every_term_of_their_quota_row():
    """Built from C6 as it stands: a region's expansion enters its rows with the extra quota it
    brings (taken whole), and the instance with parks and a site footprint keeps its optimum."""
    inst = load_instance(_data(5, 2, 3, 4, True))
    rowed = build(inst, ROWS)
    d = rowed.data
    assert d.E > 0
    A = rowed.A.tocsr()[rowed.row("colocated_quota").slice]
    expand = rowed.var("expand")
    quota = rowed.A.tocsr()[rowed.row("quota").slice]
    for e in range(d.E):
        in_rows = A[:, expand.index(e)].toarray().ravel()
        in_quota = quota[:, expand.index(e)].toarray().ravel()
        assert set(np.round(in_rows[in_rows != 0], 9)) <= set(np.round(in_quota[in_quota != 0], 9))
        assert (in_rows <= 0).all() and (in_rows != 0).any()


def test_solve_builds_with_the_colocated_quota_rows_where_its_lps_are_large(tmp_path, monkeypatch):
    """yrdopt.solve's model carries C16 where its LPs are as large as the generated city-scale ones
    (here the size threshold is lowered to this small instance's) and not below it, unless the
    caller gives its own build options; either way the layout is the plain MILP's optimum, verified."""
    import json

    import yrdopt.api
    from yrdopt import solve

    path = tmp_path / "g.json"
    data = _data(5, 2, 3, 4, True)
    path.write_text(json.dumps(data))
    plain = build(load_instance(data))
    ref = solve_exactly(plain)
    small = solve(str(path), threads=1, gap=1e-7)
    assert small.summary["model"]["rows"] == plain.n_rows  # below the threshold: none
    monkeypatch.setattr(yrdopt.api, "CONCURRENT_LNS_MIN_COLUMNS", 0)
    large = solve(str(path), threads=1, gap=1e-7)
    assert large.summary["model"]["rows"] > plain.n_rows
    assert large.summary["model"]["options"]["colocated_quota"] is True
    mine = solve(str(path), threads=1, gap=1e-7, build_options=BuildOptions())
    assert mine.summary["model"]["rows"] == plain.n_rows
    for sol in (small, large, mine):
        assert sol.summary["verified"] is True
        assert sol.objective == pytest.approx(ref.objective, rel=1e-6)


def test_colocated_quota_leaves_out_a_partner_term_beyond_the_solvers_range():
    """A huge use over a tiny volume per unit would put use / volume (1e16) into a row, beyond what
    HiGHS accepts: that term is left out (still valid) and the instance solves to its optimum."""
    data = generate_dict(3, 1, 3, 1)
    data["resources"].append({"id": "permit", "unit": "u", "description": "a permit count"})
    chain = data["chains"][0]
    for seg in chain["segments"][:2]:
        seg["activity"] = 0.5
        seg.pop("min_scale", None)
    chain["segments"][0]["resource_use"]["permit"] = 1e9
    chain["links"][0]["volume_per_unit"] = 1e-7
    for region in data["regions"]:
        region["quotas"]["permit"] = 1e9
    data["policy"]["province_min_share"] = {}
    inst = load_instance(data)
    plain, rowed = build(inst), build(inst, ROWS)
    assert np.abs(rowed.A.data).max() <= max(np.abs(plain.A.data).max(), 1e7)
    ref, res = solve_exactly(plain), solve_exactly(rowed)
    assert ref.status == res.status == "optimal"
    assert res.objective == pytest.approx(ref.objective, rel=1e-6)

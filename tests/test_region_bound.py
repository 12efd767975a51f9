"""The region Lagrangian bound (yrdopt.region_bound, models/formulation.md section 11): never above
the plain MILP's optimum, at every iteration; once converged, never below the LP with the
knapsack packing rows (rows over one region's own columns, which its convex hull satisfies)."""

from __future__ import annotations

import numpy as np
import pytest

from yrdopt.data import build_model_data
from yrdopt.generate import generate_dict
from yrdopt.io import load_instance
from yrdopt.model.compiled import BuildOptions, build
from yrdopt.region_bound import column_regions, region_dw_bound, row_regions, site_floor_few_sites

from tight_quotas import cut_quotas_to_optimum, solve_exactly


@pytest.mark.parametrize("R, C, S, seed, tight", [(6, 3, 3, 1, False), (8, 3, 3, 2, True)])
def test_region_bound_lies_between_the_knapsack_lp_and_the_optimum(R, C, S, seed, tight):
    data = generate_dict(R, C, S, seed)  # with its province shares: master rows here
    d = build_model_data(load_instance(cut_quotas_to_optimum(data) if tight else data))
    assert d.G  # the shares are guarantees, rows that span regions
    cm = build(d)
    opt = solve_exactly(cm).objective
    knapsack_lp = solve_exactly(build(d, BuildOptions(packing=("knapsack",))), lp=True).objective
    rb = region_dw_bound(d, cm, time_limit=60)
    assert rb.bound <= opt + 1e-6 * abs(opt)
    assert rb.master - rb.bound <= 1e-4 * abs(rb.master)  # converged: the Dantzig-Wolfe bound
    assert rb.bound >= knapsack_lp - 1e-4 * abs(knapsack_lp)


def _with_site_limits(R, C, S, seed, max_sites):
    """A generated instance whose multi-site segments may have at most ``max_sites`` sites
    (1 < n < R: the floor from the n - 1 largest other sites is neither all nor nothing), its
    quotas cut to what its optimum uses."""
    data = generate_dict(R, C, S, seed)
    data["policy"]["site_limits"] = [{"chain": c["id"], "segment": s["id"], "max_sites": max_sites}
                                     for c in data["chains"] for s in c["segments"] if not s.get("single_site")]
    return build_model_data(load_instance(cut_quotas_to_optimum(data)))


@pytest.mark.parametrize("R, C, S, seed, max_sites", [(5, 3, 3, 2, 2), (10, 3, 3, 2, 3)])
def test_site_floors_hold_on_the_optimal_layout(R, C, S, seed, max_sites):
    """Every open site of the optimum carries at least its floor (with n - 2 in place of n - 1 the
    floor of a segment on two sites would be all of it, which the optimum breaks)."""
    d = _with_site_limits(R, C, S, seed, max_sites)
    cm = build(d)
    res = solve_exactly(cm)
    place, act = cm.var("place").take(res.x) > 0.5, cm.var("activity").take(res.x)
    assert (place.sum(axis=1) == max_sites).any()  # some segment uses every site it may have
    cap = np.minimum(cm.col_upper[cm.var("activity").slice].reshape(d.S, d.R), d.activity[:, None])
    floor = site_floor_few_sites(d, cap, np.full(d.S, max_sites))
    assert (act[place] >= floor[place] - 1e-6).all()


def test_site_floors_lift_the_region_bound_under_site_limits():
    """With at most two sites per segment the floors are rows over one region's columns that its
    own rows do not give: the converged bound rises (4,438.6 to 4,461.1; optimum 4,484.8)."""
    d = _with_site_limits(5, 3, 3, 2, 2)
    cm = build(d)
    opt = solve_exactly(cm).objective
    with_floors, without = region_dw_bound(d, cm), region_dw_bound(d, cm, site_floors=False)
    assert without.bound + 1e-3 * abs(opt) < with_floors.bound <= opt + 1e-6 * abs(opt)


def test_region_bound_is_valid_when_stopped_early_with_parks_and_guarantees():
    """yrd-provinces: enclave parks (columns of their host) and 12 guarantees.  Stopped before it
    converges (261 iterations), or with every region MILP stopped by a 2 ms limit (its dual bound
    enters, not its layout's cost), the bound is L at the prices reached, still under the optimum."""
    d = build_model_data(load_instance("instances/yrd-provinces.yaml"))
    cm = build(d)
    opt = solve_exactly(cm).objective
    near = region_dw_bound(d, cm, iterations=40)
    assert near.iterations == 40 and 0 < near.bound <= opt + 1e-6 * abs(opt)
    rushed = region_dw_bound(d, cm, iterations=60, region_time_limit=0.002)
    assert rushed.bound <= opt + 1e-6 * abs(opt)


def test_elastic_models_are_refused():
    d = build_model_data(load_instance(generate_dict(5, 2, 3, 1)))
    with pytest.raises(ValueError, match="elastic"):
        region_dw_bound(d, build(d, BuildOptions(elastic=True)))


def test_rows_are_split_by_the_regions_of_their_columns():
    d = build_model_data(load_instance(generate_dict(5, 2, 3, 1)))
    cm = build(d)
    col = column_regions(d, cm)
    row = row_regions(cm.A.tocsr(), col)
    quota = cm.row("quota")
    assert (row[quota.slice] == np.repeat(np.arange(d.R), d.K)).all()  # a region's quota: its own
    for name in ("demand", "site_count", "flow_out", "flow_in"):  # they span regions or reach flows
        assert (row[cm.row(name).slice] == -1).all()
    cap = cm.row("site_capacity")
    assert (row[cap.slice] == np.tile(np.arange(d.R), d.S)).all()


def test_an_empty_row_does_not_shorten_the_row_before_it():
    import scipy.sparse as sp

    # reduceat from clipped starts read the spanning row 0 as region 0's (review)
    A = sp.csr_matrix(np.array([[1.0, 1.0], [0.0, 0.0], [0.0, 1.0]]))
    assert row_regions(A, np.array([0, 1])).tolist() == [-1, -1, 1]

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
from yrdopt.region_bound import column_regions, region_dw_bound, row_regions

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


def test_region_bound_is_valid_at_every_iteration_with_parks_and_guarantees():
    """yrd-provinces: enclave parks (columns of their host) and 12 guarantees; stopped early,
    the bound is L at the prices reached, still under the optimum."""
    d = build_model_data(load_instance("instances/yrd-provinces.yaml"))
    cm = build(d)
    opt = solve_exactly(cm).objective
    for iterations in (1, 4):
        rb = region_dw_bound(d, cm, iterations=iterations, time_limit=60)
        assert rb.iterations == iterations  # not converged yet: stopped by the count
        assert rb.bound <= opt + 1e-6 * abs(opt)


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

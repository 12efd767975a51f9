"""The chain Lagrangian bound (yrdopt.chain_bound, models/formulation.md section 11): never above
the plain MILP's optimum, never below its LP bound once converged, and exact where the quotas
do not couple the chains."""

from __future__ import annotations

import pytest

from yrdopt.chain_bound import chain_dw_bound, not_applicable
from yrdopt.data import build_model_data
from yrdopt.generate import generate_dict
from yrdopt.io import load_instance
from yrdopt.model.compiled import build

from tight_quotas import cut_quotas_to_optimum, solve_exactly


def _generated(R, C, S, seed):
    """A generated instance without province shares (they couple chains beside the quotas)."""
    data = generate_dict(R, C, S, seed)
    data["policy"].pop("province_min_share", None)
    return data


def _tight(R, C, S, seed):
    """Quotas cut to what the optimum uses (+0.1 %): they bind and couple the chains."""
    return cut_quotas_to_optimum(_generated(R, C, S, seed))


@pytest.mark.parametrize("R, C, S, seed", [(6, 3, 3, 1), (8, 3, 3, 2)])
def test_chain_bound_lies_between_the_lp_and_the_optimum(R, C, S, seed):
    d = build_model_data(load_instance(_tight(R, C, S, seed)))
    assert not_applicable(d) is None
    cm = build(d)
    opt, lp = solve_exactly(cm).objective, solve_exactly(cm, lp=True).objective
    cb = chain_dw_bound(d, iterations=200, time_limit=60)
    assert cb.bound <= opt + 1e-6 * abs(opt)
    assert cb.master - cb.bound <= 1e-4 * abs(cb.master)  # converged: the Dantzig-Wolfe bound
    assert cb.bound >= lp - 1e-4 * abs(lp)  # a convex hull of chain layouts lies inside the LP's


def test_chain_bound_is_the_optimum_where_no_quota_binds():
    """Without quotas the MILP is one MILP per chain: the bound at pi = 0 is the optimum."""
    data = _generated(6, 3, 3, 3)
    for region in data["regions"]:
        region.pop("quotas", None)
        region.pop("expansions", None)
    d = build_model_data(load_instance(data))
    opt = solve_exactly(build(d)).objective
    cb = chain_dw_bound(d, iterations=5)
    assert cb.bound == pytest.approx(opt, rel=1e-6)


def test_chain_bound_stays_below_the_optimum_with_weighted_expansions():
    # dear expansions at a small objective weight: the master prices them as the model does
    # (weighted); unweighted, the bound rose above the optimum (3257.7 against 3103.8)
    data = _tight(6, 3, 3, 2)
    for r in data["regions"]:
        r["expansions"] = [{"id": "big", "fixed_cost": 2000.0,
                            "extra_quota": {k: v * 0.5 for k, v in r.get("quotas", {}).items()}}]
    data["weights"]["expansion"] = 0.01
    d = build_model_data(load_instance(data))
    cm = build(d)
    res = solve_exactly(cm)
    assert (cm.var("expand").take(res.x) > 0.5).any()  # the weight makes expansions worth taking
    cb = chain_dw_bound(d, iterations=100, time_limit=60)
    assert cb.bound <= res.objective + 1e-6 * abs(res.objective)

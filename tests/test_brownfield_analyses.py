"""Analyses on a brownfield single-period instance (issue 14, point 7): alternatives, fronts,
explain, prices, diagnose and sweeps against real solves; every layout re-verified by the
checker."""

import pytest

from test_brownfield import default_brownfield
from yrdopt.analysis.alternatives import alternatives

BUDGET = {"max_opened": 2, "max_closed": 3, "max_moved_share": 0.1, "by_province": {"Anhui": {"max_closed": 1}}}


def test_alternatives_keep_the_least_share_on_existing_sites(tmp_path):
    """Each alternative is verified (bound claim included) and every site it keeps hosts at least
    the least share: an existing site (no opening cost) left open with nothing in it would dodge
    its closing cost."""
    inst = default_brownfield(BUDGET)
    res = alternatives(inst, 3, 0.05, min_share=0.01, out=tmp_path)
    assert len(res.layouts) == 3 and all(a.verified for a in res.layouts)
    for a in res.layouts[1:]:
        lay = a.solution.layout
        sited = lay[lay["sited"]].merge(a.solution.layout.groupby(["chain", "segment"])["activity"].sum()
                                        .rename("total").reset_index(), on=["chain", "segment"])
        assert (sited["activity"] >= 0.01 * sited["total"] - 1e-6).all()
        t = a.solution.summary["transition"]
        assert t["closed"] <= 3 and t["opened"] <= 2
        assert a.objective <= res.budget * (1 + 1e-9)

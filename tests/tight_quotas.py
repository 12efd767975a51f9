"""Generated instances whose quotas bite (tests of the packing rows, the chain bound and LNS)."""

from __future__ import annotations

import copy
from dataclasses import replace

import numpy as np

from yrdopt.io import load_instance
from yrdopt.model.compiled import build
from yrdopt.solver import HighsSolver, SolverOptions


def cut_quotas_to_optimum(data: dict, slack: float = 1.001) -> dict:
    """``data`` (an instance dict) with every quota cut to what its optimum uses (x slack): the
    quotas bind, as on yrd-cities at exact shares."""
    data = copy.deepcopy(data)
    cm = build(load_instance(copy.deepcopy(data)))
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-7))
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal", f"the instance to tighten is not solved to optimality ({res.status})"
    used = np.einsum("sr,srk->rk", cm.var("activity").take(res.x), cm.data.use)
    if cm.data.footprint.size:  # what an open site uses whatever its activity (C6)
        used = used + np.einsum("sr,srk->rk", cm.var("place").take(res.x), cm.data.footprint)
    for r, region in enumerate(data["regions"]):
        for k, res_id in enumerate(cm.data.resource_ids):
            if res_id in region.get("quotas", {}):
                region["quotas"][res_id] = float(np.ceil(used[r, k] * slack * 1e4) / 1e4)
    return data


def solve_exactly(cm, lp: bool = False):
    """HiGHS on ``cm`` to a 1e-7 gap (or its LP relaxation): the plain MILP's optimum to compare with."""
    if lp:
        cm = replace(cm, integrality=np.zeros_like(cm.integrality))
    s = HighsSolver(SolverOptions(threads=1, time_limit=60, mip_gap=1e-7))
    s.load(cm)
    return s.solve()

"""Generated instances whose quotas bite (tests of the packing rows and the chain bound)."""

from __future__ import annotations

import copy

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
    used = np.einsum("sr,srk->rk", cm.var("activity").take(s.solve().x), cm.data.use)
    for r, region in enumerate(data["regions"]):
        for k, res_id in enumerate(cm.data.resource_ids):
            if res_id in region.get("quotas", {}):
                region["quotas"][res_id] = float(np.ceil(used[r, k] * slack * 1e4) / 1e4)
    return data

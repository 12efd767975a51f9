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


def confined_to_few_regions(size: tuple[int, int, int] = (10, 10, 3), regions: int = 5, land: float = 0.5,
                            seed: int = 1) -> dict:
    """A generated instance (``size``: regions, chains, segments) with every segment forbidden in all but
    its first ``regions`` regions, whose land quotas are cut to ``land`` of theirs: no layout, but the
    totals (:func:`yrdopt.analysis.diagnose.check_totals`) see none of it - they count every region's
    quota - so HiGHS proves it and the diagnosis searches for the conflict (10x10x3: HiGHS 0.6 s, the
    diagnosis without a time limit 16 s, 150 conflicting limits; 12x8x3 with 6 regions: 0.6 s and 1.5 s).
    Without the province shares (the regions forbidden everything would break them too)."""
    from yrdopt.generate import generate_dict

    d = generate_dict(*size, seed=seed)
    ids = [r["id"] for r in d["regions"]]
    for r in d["regions"][:regions]:
        r["quotas"]["land"] = round(r["quotas"]["land"] * land, 3)
    forbidden = d["policy"]["forbidden"]
    already = {(f["chain"], f["segment"], f["region"]) for f in forbidden}
    forbidden += [{"chain": c["id"], "segment": s["id"], "region": r} for c in d["chains"] for s in c["segments"]
                  for r in ids[regions:] if (c["id"], s["id"], r) not in already]
    d["policy"]["province_min_share"] = {}
    return d

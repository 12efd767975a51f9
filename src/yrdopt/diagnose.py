"""Explaining infeasibility in a planner's words.

HiGHS's IIS on this model's LP relaxation lists hundreds of flow rows, so instead:
aggregate pre-checks (demand against quotas, single-site segments against every region)
name the obvious conflicts, and an elastic solve — every quota may grow, at a cost of one
per unit — reports the least quota increase per region and resource that makes the
instance feasible.
"""

from __future__ import annotations

import numpy as np

from .data import ModelData, build_model_data
from .schema import Instance


def aggregate_checks(d: ModelData) -> list[str]:
    """Conflicts visible without solving: each names a region, resource, segment or rule."""
    msgs: list[str] = []
    cap = d.quota.copy()
    if d.E:
        np.add.at(cap, d.exp_region, d.exp_quota)
    for k, res in enumerate(d.resource_ids):
        total_cap = cap[:, k].sum()
        if not np.isfinite(total_cap):
            continue
        use = np.where(d.allowed, d.use[:, :, k], np.inf)
        need = float((d.activity * use.min(axis=1)).sum())
        if need > total_cap * (1 + 1e-9):
            msgs.append(f"{res}: the segments need at least {need:.6g} in total but all regions together "
                        f"have {total_cap:.6g} (short by {need - total_cap:.6g})")
    for s in range(d.S):
        label = d.segment_label(s)
        if d.allowed[s].sum() < d.min_sites[s]:
            msgs.append(f"{label}: needs at least {int(d.min_sites[s])} sites but only {int(d.allowed[s].sum())} "
                        "regions are not forbidden")
        if not d.single_site[s]:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            fits = np.all((d.activity[s] * d.use[s] <= cap * (1 + 1e-9)) | (d.use[s] == 0), axis=1) & d.allowed[s]
        fixed = np.flatnonzero(d.fixed[s])
        for r in fixed:
            if not fits[r]:
                k = int(np.argmax(d.activity[s] * d.use[s, r] - cap[r]))
                over = d.activity[s] * d.use[s, r, k] - cap[r, k]
                msgs.append(f"{label} is fixed to {d.region_ids[r]}, but its {d.resource_ids[k]} use "
                            f"{d.activity[s] * d.use[s, r, k]:.6g} exceeds the quota {cap[r, k]:.6g} by {over:.6g}")
        if not fits.any():
            msgs.append(f"{label} is single-site with activity {d.activity[s]:.6g}, and no allowed region has "
                        "the quota to host all of it")
    return msgs


def elastic_quota_increase(inst: Instance, time_limit: float | None = 60.0) -> dict | None:
    """Least total quota increase that makes the instance feasible, per (region, resource).

    Returns None when even unlimited quotas do not help (the conflict is a policy rule).
    """
    from .model.compiled import BuildOptions, build
    from .solver import HighsSolver, SolverOptions

    cm = build(inst, BuildOptions(elastic=True))
    solver = HighsSolver(SolverOptions(time_limit=time_limit, mip_gap=1e-9))
    solver.load(cm)
    res = solver.solve()
    if res.x is None:
        return None
    slack = cm.var("quota_slack").take(res.x)
    out = {}
    for r, k in zip(*np.nonzero(slack > 1e-9)):
        out[(cm.data.region_ids[r], cm.data.resource_ids[k])] = float(slack[r, k])
    return out


def explain_infeasibility(inst: Instance) -> tuple[str, dict]:
    """One paragraph a planner can act on, plus the details behind it."""
    d = build_model_data(inst)
    msgs = aggregate_checks(d)
    increase = elastic_quota_increase(inst)
    details = {"checks": msgs, "quota_increase": {f"{r}/{k}": v for (r, k), v in (increase or {}).items()}}
    parts = ["No layout satisfies every limit."]
    if msgs:
        parts.append("Conflicts: " + "; ".join(msgs) + ".")
    if increase:
        inc = ", ".join(f"{r} {k} +{v:.6g}" for (r, k), v in sorted(increase.items()))
        parts.append(f"The least quota increase that makes it feasible: {inc}.")
    elif increase is None:
        parts.append("Raising quotas alone does not help: the conflict is among policy rules "
                     "(fixed/forbidden regions, site limits, minimum scales or province shares).")
    return " ".join(parts), details

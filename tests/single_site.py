"""Brute force for tiny single-site instances: every placement, evaluated by hand.

With single-site segments a placement fixes everything: each segment's whole activity
sits in one region and each link ships its volume from host to host.  The terms are
computed here directly from the instance fields (no model, no checker), so tests can
compare the optimiser against an independent enumeration.
"""

import itertools


def evaluate_all(inst):
    """Yield (placement tuple, feasible, raw terms dict) for every placement of the only chain."""
    chain = inst.chains[0]
    segs = chain.segments
    regions = [r.id for r in inst.regions]
    m = inst.economic_distance.matrix
    pos = {r: i for i, r in enumerate(m.regions)}
    act = {s.id: s.activity for s in segs}
    for combo in itertools.product(regions, repeat=len(segs)):
        where = {s.id: r for s, r in zip(segs, combo)}
        used = {}
        for s, r in zip(segs, combo):
            for k, u in s.resource_use.items():
                used[(r, k)] = used.get((r, k), 0.0) + u * s.activity
        feasible = all(used.get((r.id, k), 0.0) <= q + 1e-9 for r in inst.regions for k, q in r.quotas.items())
        feasible &= all(where[p.segment] == p.region for p in inst.policy.fixed)
        site_cost = sum(s.site_cost.get(r, s.site_cost_default) * s.activity for s, r in zip(segs, combo))
        fixed_cost = sum(s.fixed_cost_by_region.get(r, s.fixed_cost) for s, r in zip(segs, combo))
        distance = sum(k.transport_intensity * k.volume_per_unit * act[k.from_]
                       * m.values[pos[where[k.from_]]][pos[where[k.to]]] for k in chain.links)
        raw = {"distance": distance, "site_cost": site_cost, "fixed_cost": fixed_cost, "duplication": 0.0,
               "expansion": 0.0}
        yield combo, feasible, raw


def weighted(inst, raw):
    w = inst.weights.model_dump()
    return sum(w[k] * v for k, v in raw.items())


def non_dominated(points):
    pts = sorted(set(points))
    return [p for p in pts if not any(q[0] <= p[0] and q[1] <= p[1] and q != p for q in pts)]

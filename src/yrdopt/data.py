"""Index sets and parameter arrays: the one place where an instance becomes numbers.

Both model builders — the compiled array model (:mod:`yrdopt.model.compiled`) and the
Pyomo twin (:mod:`yrdopt.model.pyomo_model`) — read only a :class:`ModelData`, so the
two cannot drift apart.  Every array is indexed by position in the id lists below.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .model.existing_sites import BrownfieldData, brownfield_data
from .schema import DISTANCE_COMPONENTS, Instance, Matrix


def matrix_array(m: Matrix, region_ids: list[str]) -> np.ndarray:
    """A schema Matrix reordered to ``region_ids``."""
    pos = {rid: k for k, rid in enumerate(m.regions)}
    order = np.array([pos[r] for r in region_ids])
    return np.asarray(m.values, dtype=float)[np.ix_(order, order)]


@dataclass(frozen=True)
class ModelData:
    name: str
    region_ids: list[str]
    resource_ids: list[str]
    segment_keys: list[tuple[str, str]]  # (chain id, segment id)
    segment_kind: list[str]
    chain_ids: list[str]
    province_ids: list[str]
    # per segment (S,)
    seg_chain: np.ndarray
    activity: np.ndarray
    value_per_unit: np.ndarray
    min_scale: np.ndarray
    single_site: np.ndarray
    min_sites: np.ndarray
    max_sites: np.ndarray
    dup_tolerance: np.ndarray
    # per segment x region (S, R)
    unit_cost: np.ndarray
    fixed_cost: np.ndarray
    allowed: np.ndarray
    fixed: np.ndarray
    # per segment x region x resource (S, R, K)
    use: np.ndarray
    # per region x resource (R, K); inf = unlimited
    quota: np.ndarray
    # links (L,)
    link_up: np.ndarray
    link_down: np.ndarray
    link_volume: np.ndarray
    link_intensity: np.ndarray
    # economic distance (R, R), hours, and its components when given
    distance: np.ndarray
    distance_components: dict[str, np.ndarray]
    component_weights: dict[str, float]
    # expansion options (E,)
    exp_region: np.ndarray
    exp_ids: list[str]
    exp_cost: np.ndarray
    exp_quota: np.ndarray  # (E, K)
    # provinces
    region_province: np.ndarray  # (R,) index into province_ids
    province_min_share: np.ndarray  # (P,) 0 where no rule
    weights: dict[str, float] = field(default_factory=dict)
    # site footprint (S, R, K): resource use that comes with an open site (model/site_footprint.py)
    footprint: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 0)))
    # enclave parks (N,) (model/enclaves.py)
    park_ids: list[str] = field(default_factory=list)
    park_host: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    park_partner: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))
    park_capacity: np.ndarray = field(default_factory=lambda: np.zeros(0))
    park_cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    park_quota: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (N, K)
    park_partner_share: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of the park's value
    park_cost_partner_share: np.ndarray = field(default_factory=lambda: np.zeros(0))  # of its fixed cost
    park_allowed: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # (N, S)
    park_existing: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=bool))
    # guarantees (G,) (model/guarantees.py); policy.province_min_share rules come first
    g_labels: list[str] = field(default_factory=list)
    g_paths: list[str] = field(default_factory=list)
    g_measure: list[str] = field(default_factory=list)
    g_target: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # (G, R)
    g_kinds: np.ndarray = field(default_factory=lambda: np.zeros((0, 0), dtype=bool))  # (G, S)
    g_rhs: np.ndarray = field(default_factory=lambda: np.zeros(0))
    g_penalty: np.ndarray = field(default_factory=lambda: np.zeros(0))  # inf: hard
    brownfield: BrownfieldData | None = None  # today's sites (issue 14); None = greenfield

    # -- sizes --------------------------------------------------------------------------
    @property
    def R(self) -> int:
        return len(self.region_ids)

    @property
    def S(self) -> int:
        return len(self.segment_keys)

    @property
    def K(self) -> int:
        return len(self.resource_ids)

    @property
    def L(self) -> int:
        return len(self.link_up)

    @property
    def E(self) -> int:
        return len(self.exp_ids)

    @property
    def P(self) -> int:
        return len(self.province_ids)

    @property
    def N(self) -> int:
        return len(self.park_ids)

    @property
    def G(self) -> int:
        return len(self.g_labels)

    @property
    def total_value(self) -> float:
        return float(self.value_per_unit @ self.activity)

    # -- derived ------------------------------------------------------------------------
    @property
    def link_total_volume(self) -> np.ndarray:
        """Volume shipped on each link in the whole area: volume_per_unit x upstream activity."""
        return self.link_volume * self.activity[self.link_up]

    @property
    def link_demand_factor(self) -> np.ndarray:
        """Inflow per unit of downstream activity, so that inflow totals equal outflow totals."""
        return self.link_total_volume / self.activity[self.link_down]

    def activity_upper(self) -> np.ndarray:
        """(S, R) upper bound on activity of a segment in a region, from demand and quotas.

        A tight big-M: the least of the segment's total activity and, for every resource it
        uses there, the region's quota plus every expansion it could take, over the use.
        """
        cap = self.quota.copy()
        if self.E:
            np.add.at(cap, self.exp_region, self.exp_quota)
        if self.N:
            np.add.at(cap, self.park_host, self.park_quota)
        # an open site's footprint comes out of the quota before its activity
        room = cap[None, :, :] - self.footprint if self.footprint.size else cap[None, :, :]
        with np.errstate(divide="ignore", invalid="ignore"):
            ratio = np.where(self.use > 0, np.maximum(room, 0.0) / self.use, np.inf)
        bound = np.minimum(self.activity[:, None], ratio.min(axis=2) if self.K else np.inf)
        if self.brownfield is not None:  # an existing site's own capacity
            bound = np.minimum(bound, self.brownfield.capacity)
        return np.where(self.allowed, bound, 0.0)

    def site_min_scale(self) -> np.ndarray:
        """(S, R) minimum activity of an open site: the segment's minimum scale, except that
        an existing site smaller than that may keep running at today's size or more (or at
        its own ``min_scale`` when the instance gives one); and an existing site runs at least
        ``brownfield.min_kept_share`` of today's activity while open — emptied, it is closed
        (:func:`yrdopt.checker.grandfathered_min_scale` is the checker's copy of this rule)."""
        m = np.broadcast_to(self.min_scale[:, None], (self.S, self.R))
        if self.brownfield is None:
            return m.copy()
        bf = self.brownfield
        E = bf.existing_activity
        rule = np.minimum(np.maximum(np.minimum(m, E), bf.min_kept_share * E), bf.capacity)
        grandfathered = np.where(np.isnan(bf.own_min_scale), rule, bf.own_min_scale)
        return np.where(bf.existing, grandfathered, m)

    def segment_label(self, s: int) -> str:
        c, g = self.segment_keys[s]
        return f"{c}/{g}"


def build_model_data(inst: Instance) -> ModelData:
    region_ids = [r.id for r in inst.regions]
    rpos = {r: k for k, r in enumerate(region_ids)}
    resource_ids = [r.id for r in inst.resources]
    kpos = {k: i for i, k in enumerate(resource_ids)}
    R, K = len(region_ids), len(resource_ids)

    keys, kinds, seg_chain = [], [], []
    segs = []
    for ci, c in enumerate(inst.chains):
        for s in c.segments:
            keys.append((c.id, s.id))
            kinds.append(s.kind)
            seg_chain.append(ci)
            segs.append(s)
    S = len(keys)
    spos = {k: i for i, k in enumerate(keys)}

    activity = np.array([s.activity for s in segs], dtype=float)
    value = np.array([s.value_per_unit for s in segs], dtype=float)
    min_scale = np.array([s.min_scale for s in segs], dtype=float)
    single = np.array([s.single_site for s in segs], dtype=bool)
    dup_tol = np.array([s.duplication_tolerance for s in segs], dtype=float)

    unit_cost = np.empty((S, R))
    fixed_cost = np.empty((S, R))
    use = np.zeros((S, R, K))
    for i, s in enumerate(segs):
        unit_cost[i, :] = s.site_cost_default
        for rid, v in s.site_cost.items():
            unit_cost[i, rpos[rid]] = v
        fixed_cost[i, :] = s.fixed_cost
        for rid, v in s.fixed_cost_by_region.items():
            fixed_cost[i, rpos[rid]] = v
        for res, v in s.resource_use.items():
            use[i, :, kpos[res]] = v
        for rid, d in s.resource_use_by_region.items():
            for res, v in d.items():
                use[i, rpos[rid], kpos[res]] = v

    quota = np.full((R, K), np.inf)
    for j, r in enumerate(inst.regions):
        for res, v in r.quotas.items():
            quota[j, kpos[res]] = v

    min_sites = np.ones(S)  # activity > 0: every segment needs at least one site
    max_sites = np.where(single, 1, R).astype(float)
    for lim in inst.policy.site_limits:
        i = spos[(lim.chain, lim.segment)]
        min_sites[i] = max(min_sites[i], lim.min_sites)
        if lim.max_sites is not None:
            max_sites[i] = min(max_sites[i], lim.max_sites)

    allowed = np.ones((S, R), dtype=bool)
    fixed = np.zeros((S, R), dtype=bool)
    for p in inst.policy.forbidden:
        allowed[spos[(p.chain, p.segment)], rpos[p.region]] = False
    for p in inst.policy.fixed:
        fixed[spos[(p.chain, p.segment)], rpos[p.region]] = True

    up, down, vol, inten = [], [], [], []
    for c in inst.chains:
        for link in c.links:
            up.append(spos[(c.id, link.from_.split("/")[-1])])
            down.append(spos[(c.id, link.to.split("/")[-1])])
            vol.append(link.volume_per_unit)
            inten.append(link.transport_intensity)

    ed = inst.economic_distance
    comps: dict[str, np.ndarray] = {}
    cw = {k: float(v) for k, v in ed.component_weights.items()}
    if ed.matrix is not None:
        distance = matrix_array(ed.matrix, region_ids)
    else:
        comps = {k: matrix_array(m, region_ids) for k, m in (ed.components or {}).items()}
        distance = sum(cw.get(k, 1.0) * comps[k] for k in DISTANCE_COMPONENTS if k in comps)

    exp_region, exp_ids, exp_cost, exp_quota = [], [], [], []
    for j, r in enumerate(inst.regions):
        for o in r.expansions:
            exp_region.append(j)
            exp_ids.append(f"{r.id}/{o.id}")
            exp_cost.append(o.fixed_cost)
            q = np.zeros(K)
            for res, v in o.extra_quota.items():
                q[kpos[res]] = v
            exp_quota.append(q)

    province_ids = inst.provinces
    bf = brownfield_data(inst, region_ids, keys, kinds, province_ids)
    if bf is not None:
        fixed_cost[bf.existing] = 0.0  # sunk: an existing site does not pay to open again
        fixed |= bf.protected
    ppos = {p: i for i, p in enumerate(province_ids)}
    share = np.zeros(len(province_ids))
    for p, v in inst.policy.province_min_share.items():
        share[ppos[p]] = v

    return ModelData(
        name=inst.name,
        region_ids=region_ids,
        resource_ids=resource_ids,
        segment_keys=keys,
        segment_kind=kinds,
        chain_ids=[c.id for c in inst.chains],
        province_ids=province_ids,
        seg_chain=np.array(seg_chain, dtype=int),
        activity=activity,
        value_per_unit=value,
        min_scale=min_scale,
        single_site=single,
        min_sites=min_sites,
        max_sites=max_sites,
        dup_tolerance=dup_tol,
        unit_cost=unit_cost,
        fixed_cost=fixed_cost,
        allowed=allowed,
        fixed=fixed,
        use=use,
        quota=quota,
        link_up=np.array(up, dtype=int),
        link_down=np.array(down, dtype=int),
        link_volume=np.array(vol, dtype=float),
        link_intensity=np.array(inten, dtype=float),
        distance=np.asarray(distance, dtype=float),
        distance_components=comps,
        component_weights=cw,
        exp_region=np.array(exp_region, dtype=int),
        exp_ids=exp_ids,
        exp_cost=np.array(exp_cost, dtype=float),
        exp_quota=np.array(exp_quota, dtype=float).reshape(len(exp_ids), K),
        region_province=np.array([ppos[r.province] for r in inst.regions], dtype=int),
        province_min_share=share,
        weights=inst.weights.model_dump(),
        brownfield=bf,
        footprint=_footprint(inst, segs, rpos, kpos),
        **_park_arrays(inst, rpos, kpos, kinds),
        **_guarantee_arrays(inst, region_ids, kinds, float(value @ activity)),
    )


def _footprint(inst: Instance, segs: list, rpos: dict, kpos: dict) -> np.ndarray:
    """(S, R, K) resource use of an open site, whatever its activity."""
    fp = np.zeros((len(segs), len(rpos), len(kpos)))
    for i, s in enumerate(segs):
        for res, v in s.site_footprint.items():
            fp[i, :, kpos[res]] = v
        for rid, d in s.site_footprint_by_region.items():
            for res, v in d.items():
                fp[i, rpos[rid], kpos[res]] = v
    return fp


def _park_arrays(inst: Instance, rpos: dict, kpos: dict, kinds: list[str]) -> dict:
    parks = inst.enclaves
    quota = np.zeros((len(parks), len(kpos)))
    for n, p in enumerate(parks):
        for res, v in p.extra_quota.items():
            quota[n, kpos[res]] = v
    kind_arr = np.array(kinds, dtype=object)
    allowed = np.array([np.isin(kind_arr, p.kinds) if p.kinds else np.ones(len(kinds), dtype=bool) for p in parks],
                       dtype=bool).reshape(len(parks), len(kinds))
    return dict(
        park_ids=[p.id for p in parks],
        park_host=np.array([rpos[p.host] for p in parks], dtype=int),
        park_partner=np.array([rpos[p.partner] for p in parks], dtype=int),
        park_capacity=np.array([p.capacity for p in parks], dtype=float),
        park_cost=np.array([p.fixed_cost for p in parks], dtype=float),
        park_quota=quota,
        park_partner_share=np.array([p.partner_share for p in parks], dtype=float),
        park_cost_partner_share=np.array([p.cost_split.partner for p in parks], dtype=float),
        park_allowed=allowed,
        park_existing=np.array([p.existing for p in parks], dtype=bool),
    )


def _guarantee_arrays(inst: Instance, region_ids: list[str], kinds: list[str], total_value: float) -> dict:
    """One row per guarantee: policy.province_min_share (hard min_share) first, then policy.guarantees."""
    regions = {r.id: r for r in inst.regions}
    items = inst.policy.all_guarantees()
    kind_arr = np.array(kinds, dtype=object)
    target = np.zeros((len(items), len(region_ids)), dtype=bool)
    kmask = np.ones((len(items), len(kinds)), dtype=bool)
    rhs = np.zeros(len(items))
    for i, (_, g) in enumerate(items):
        target[i] = [(regions[r].province == g.province) if g.province is not None else (r == g.region)
                     for r in region_ids]
        if g.kinds:
            kmask[i] = np.isin(kind_arr, g.kinds)
        rhs[i] = g.value * total_value if g.measure in ("min_share", "max_share") else g.value
    return dict(
        g_labels=[g.label for _, g in items],
        g_paths=[p for p, _ in items],
        g_measure=[g.measure for _, g in items],
        g_target=target,
        g_kinds=kmask,
        g_rhs=rhs,
        g_penalty=np.array([np.inf if g.penalty is None else g.penalty for _, g in items], dtype=float),
    )

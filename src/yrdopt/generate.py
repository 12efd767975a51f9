"""Synthetic instances of any size with the structure of the real problem.

For scaling studies, benchmarks and tests.  Everything is drawn from one
``numpy.random.Generator`` seeded by ``seed``, so the same arguments always give the same
file, byte for byte.  The structure follows the domain brief (/work/shared/BRIEF.md):

* regions scattered in a plane around province centres (lon/lat inside the YRD box);
  each province has one core city (talent-rich, land-poor) and peripheral regions
  (land- and energy-rich): "core-city R&D, surrounding-city manufacturing" (seeds 001, 002);
* economic distance in hours from three components (seed 000): time (road hours from
  great-circle km), cost (freight cost in hour-equivalents, plus a toll at province
  borders), labour (wage gap in hour-equivalents);
* chains with ordered segments rd -> process -> manufacturing -> testing -> quality ->
  delivery (seed 003's sequence), a link between each consecutive pair;
* comparative-advantage site costs: rd is cheaper in core cities, manufacturing in the
  periphery, and each chain has a few regions with a location-quotient advantage (seed 002);
* land/energy/talent quotas that bind but stay feasible: a feasible "witness" layout is
  drawn first and every quota covers the witness's use, plus a share of the area's
  demand spread by endowment (so cheap regions run out of quota);
* single-site shared testing platforms (brief: "shared rather than built four times"),
  minimum scales for manufacturing, a chain-leader fixed placement, a few forbidden
  placements, a site limit and province minimum shares, all consistent with the witness.

Every number is an assumption of the generator (stated in the instance's ``sources``).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import yaml

from .io import atomic_write_text, load_instance
from .schema import Instance

# The sequence of segment kinds of seed 003 ("R&D - process - verification - standards -
# quality - delivery"), reordered so that short chains keep the card's rd/manufacturing/testing.
KIND_ORDER = ["rd", "manufacturing", "testing", "delivery", "process", "quality"]
# Position in the chain of each kind (so links follow the flow of goods).
KIND_RANK = {"rd": 0, "process": 1, "manufacturing": 2, "testing": 3, "quality": 4, "delivery": 5}
# Activity relative to the chain's manufacturing output (assumption: R&D and testing are
# smaller operations than manufacturing).
KIND_SCALE = {"rd": 0.3, "process": 0.6, "manufacturing": 1.0, "testing": 0.4, "quality": 0.3, "delivery": 0.8}
# Resource use per unit of activity: land, energy, talent (assumption: R&D is talent-heavy,
# manufacturing land- and energy-heavy).
KIND_USE = {
    "rd": (0.2, 0.3, 1.5),
    "process": (0.8, 1.0, 0.4),
    "manufacturing": (1.0, 1.2, 0.3),
    "testing": (0.4, 0.5, 0.8),
    "quality": (0.3, 0.3, 0.6),
    "delivery": (0.7, 0.4, 0.2),
}
# Site cost per unit in a core city / a peripheral region (assumption: talent is cheaper
# to find in core cities, land in the periphery).
KIND_COST = {
    "rd": (4.0, 7.0),
    "process": (6.0, 4.5),
    "manufacturing": (7.0, 4.0),
    "testing": (5.0, 5.0),
    "quality": (5.0, 5.5),
    "delivery": (5.0, 4.0),
}
RESOURCES = [
    ("land", "ha", "industrial land quota"),
    ("energy", "10k tce", "energy-use quota (tonnes of coal equivalent)"),
    ("talent", "k researchers", "R&D personnel"),
]
CHAIN_NAMES = ["integrated_circuits", "biomedicine", "nev", "ai", "drones", "aircraft", "displays",
               "new_materials", "robotics", "petrochemicals", "textiles", "equipment"]
# YRD bounding box (lon, lat) the regions are drawn in.
LON, LAT = (116.0, 122.5), (28.0, 34.5)


def generate_dict(regions: int, chains: int, segments: int, seed: int = 0, *, tightness: float = 1.4,
                  name: str | None = None) -> dict:
    """A valid instance as a plain mapping (YAML-ready, every number rounded for readability).

    ``tightness`` = total quota / total demand per resource (> 1 keeps it feasible; close to
    1 makes quotas bind harder).
    """
    if regions < 1 or chains < 1 or segments < 1:
        raise ValueError("regions, chains and segments must be at least 1")
    if tightness <= 1.02:
        raise ValueError("tightness must exceed 1.02 (quotas at least cover the witness layout)")
    rng = np.random.default_rng(seed)
    R, C, S = int(regions), int(chains), int(segments)
    name = name or f"generated-r{R}-c{C}-s{S}-seed{seed}"

    # -- regions: provinces, core cities, coordinates --------------------------------------
    P = min(R, max(4, int(round(R / 10))))
    centre_lon = rng.uniform(LON[0] + 0.8, LON[1] - 0.8, P)
    centre_lat = rng.uniform(LAT[0] + 0.8, LAT[1] - 0.8, P)
    province = np.concatenate([np.arange(P), rng.integers(0, P, R - P)])  # every province has a region
    province = np.sort(province)
    core = np.zeros(R, dtype=bool)
    core[np.searchsorted(province, np.arange(P))] = True  # first region of each province
    spread = np.where(core, 0.1, 0.9)
    lon = np.clip(centre_lon[province] + rng.normal(0, 1, R) * spread, *LON)
    lat = np.clip(centre_lat[province] + rng.normal(0, 1, R) * spread, *LAT)
    size = rng.lognormal(0.0, 0.4, R) * np.where(core, 1.6, 1.0)
    # endowments per resource (land, energy, talent): the periphery has land and energy,
    # core cities have talent.
    endow = np.stack([
        size * np.where(core, 0.5, 1.2) * rng.uniform(0.6, 1.4, R),
        size * np.where(core, 0.8, 1.0) * rng.uniform(0.6, 1.4, R),
        size * np.where(core, 3.0, 0.6) * rng.uniform(0.6, 1.4, R),
    ], axis=1)
    endow /= endow.sum(axis=0, keepdims=True)

    # -- economic distance (seed 000: cost, time, labour, in hours) ------------------------
    km = great_circle_km(lon, lat)
    other_prov = province[:, None] != province[None, :]
    intra = 0.3 + 0.2 * rng.uniform(0, 1, R)  # hours inside a region
    time_h = np.where(np.eye(R, dtype=bool), intra[:, None], 0.4 + km / 75.0)
    cost_h = np.where(np.eye(R, dtype=bool), 0.1, km / 150.0 + 0.3 * other_prov)
    wage = np.where(core, 1.0, 0.6) * rng.uniform(0.9, 1.1, R)
    labour_h = np.abs(wage[:, None] - wage[None, :]) * 2.0
    comps = {k: _sym(np.round(v, 3)) for k, v in (("cost", cost_h), ("time", time_h), ("labour", labour_h))}

    # -- chains and segments -----------------------------------------------------------------
    kinds = _segment_kinds(S)
    chain_scale = rng.lognormal(np.log(100.0), 0.4, C)
    heavy = rng.uniform(0.6, 1.6, C)  # transport intensity of the chain's goods
    energy_hungry = rng.uniform(0, 1, C) < 0.25  # e.g. data centres, chemicals
    rd_single = rng.uniform(0, 1, C) < 0.3
    seg_rows = []  # (chain, kind, activity, single, min_scale, use(3,), cost(R,), fixed)
    for c in range(C):
        adv = rng.choice(R, size=max(1, R // 8), replace=False)  # regions with LQ > 1
        lq = np.ones(R)
        lq[adv] = rng.uniform(0.6, 0.85, len(adv))
        for j, kind in enumerate(kinds):
            act = chain_scale[c] * KIND_SCALE[kind] * rng.uniform(0.8, 1.2)
            single = kind == "testing" or (kind == "rd" and rd_single[c]) or (S == 1 and c % 3 == 0)
            min_scale = 0.15 * act if kind in ("manufacturing", "process") else 0.0
            use = np.array(KIND_USE[kind]) * rng.uniform(0.8, 1.2, 3)
            if energy_hungry[c] and kind in ("manufacturing", "process"):
                use[1] *= 2.0
            base_core, base_per = KIND_COST[kind]
            cost = np.where(core, base_core, base_per) * lq * rng.uniform(0.85, 1.15, R)
            fixed = 0.3 * act * rng.uniform(0.8, 1.2)  # opening a site: ~6 % of its running cost
            seg_rows.append((c, kind, act, single, min_scale, use, cost, fixed))
    n_seg = len(seg_rows)
    activity = np.array([row[2] for row in seg_rows])
    single = np.array([row[3] for row in seg_rows])
    min_scale = np.array([row[4] for row in seg_rows])
    use = np.array([row[5] for row in seg_rows])  # (n_seg, 3)
    kind_of = [row[1] for row in seg_rows]

    # -- witness: a feasible layout drawn by endowment, so quotas can cover it ---------------
    res_of_kind = {k: int(np.argmax(KIND_USE[k])) for k in KIND_USE}  # the resource a kind leans on
    witness = np.zeros((n_seg, R))
    for i in range(n_seg):
        w = endow[:, res_of_kind[kind_of[i]]] + 1e-9
        k_sites = 1 if single[i] else int(rng.integers(1, min(3, R) + 1))
        hosts = rng.choice(R, size=k_sites, replace=False, p=w / w.sum())
        share = rng.dirichlet(np.full(k_sites, 4.0)) if k_sites > 1 else np.ones(1)
        share = np.maximum(share, 0.2)  # every share above the 0.15 minimum scale
        witness[i, hosts] = activity[i] * share / share.sum()
    if n_seg:  # the chain leader: chain 0's first segment sits in the first core city
        lead = 0
        witness[lead] = 0.0
        witness[lead, 0] = activity[lead]
    used = np.einsum("sr,sk->rk", witness, use)  # (R, 3)
    demand = activity @ use  # (3,)
    # a single-site segment needs one region with room for all of it: besides its witness
    # host, give two alternative regions that room, so the choice of host is a real choice
    # at any number of regions (else only the witness host fits once R >> segments)
    alt_room = np.zeros((R, 3))
    for i in np.flatnonzero(single):
        others = np.flatnonzero(witness[i] == 0)
        if len(others):
            w = endow[others, res_of_kind[kind_of[i]]] + 1e-9
            alt = rng.choice(others, size=min(2, len(others)), replace=False, p=w / w.sum())
            alt_room[alt] += activity[i] * use[i]
    spread = np.maximum(tightness - 1.02 - alt_room.sum(axis=0) / demand, 0.1)
    quota = used * 1.02 + alt_room + spread[None, :] * demand[None, :] * endow
    quota = np.round(quota + 1e-3, 3)

    # -- expansion options: co-built parks in land-poor regions (seed 004, 飞地经济) --------
    n_exp = max(1, R // 10)
    exp_regions = np.argsort(endow[:, 0] / size)[:n_exp]
    exp_land = 0.15 * demand[0] * endow[exp_regions, 0] / endow[exp_regions, 0].sum()

    # -- policy ------------------------------------------------------------------------------
    forbidden = []
    for i in range(n_seg):  # energy-hungry manufacturing may not sit in core cities
        c = seg_rows[i][0]
        if energy_hungry[c] and kind_of[i] in ("manufacturing", "process"):
            for r in np.flatnonzero(core & (witness[i] == 0))[:3]:
                forbidden.append((i, int(r)))
    limits = []
    for i in range(n_seg):
        if not single[i] and kind_of[i] == "delivery" and (witness[i] > 0).sum() <= 2 and R >= 2:
            limits.append((i, 2))
    value_per_unit = np.array([{"rd": 3.0, "testing": 1.5, "quality": 1.5}.get(k, 1.0) for k in kind_of])
    prov_value = np.zeros(P)
    np.add.at(prov_value, province, (witness * value_per_unit[:, None]).sum(axis=0))
    prov_share = prov_value / prov_value.sum()
    share_rules = {int(p): round(float(0.5 * prov_share[p]), 3) for p in np.argsort(prov_share)[:2]
                   if P > 1 and prov_share[p] > 0.02}

    # -- assemble the mapping -------------------------------------------------------------
    region_ids = [f"r{k:0{len(str(R - 1))}d}" for k in range(R)]
    province_ids = [f"p{k:0{len(str(P - 1))}d}" for k in range(P)]
    reg_list = []
    for r in range(R):
        reg = {
            "id": region_ids[r],
            "name_en": f"{'Core' if core[r] else 'Region'} {region_ids[r]}",
            "province": province_ids[province[r]],
            "kind": "city",
            "lon": round(float(lon[r]), 4),
            "lat": round(float(lat[r]), 4),
            "quotas": {RESOURCES[k][0]: float(quota[r, k]) for k in range(3)},
        }
        reg_list.append(reg)
    for n, r in enumerate(exp_regions):
        reg_list[int(r)]["expansions"] = [{
            "id": "cobuilt_park",
            "fixed_cost": round(float(2.5 * exp_land[n]), 2),
            "extra_quota": {"land": round(float(exp_land[n]), 3)},
            "description": "co-built park on a partner's land (seed 004, enclave economy)",
        }]

    seg_ids = [f"{j}_{k}" for j, k in enumerate(kinds)]
    chain_list = []
    for c in range(C):
        segs = []
        for j, kind in enumerate(kinds):
            i = c * S + j
            _, _, act, sgl, ms, u, cost, fixed = seg_rows[i]
            seg = {
                "id": seg_ids[j],
                "kind": kind,
                "activity": round(float(act), 3),
                "value_per_unit": float(value_per_unit[i]),
                "resource_use": {RESOURCES[k][0]: round(float(u[k]), 4) for k in range(3)},
                "site_cost": {region_ids[r]: round(float(cost[r]), 3) for r in range(R)},
                "fixed_cost": round(float(fixed), 2),
                "duplication_tolerance": 1 if kind in ("rd", "testing") else 2,
            }
            if sgl:
                seg["single_site"] = True
            if ms > 0:
                seg["min_scale"] = round(float(ms), 3)
            segs.append(seg)
        links = []
        for j in range(S - 1):
            vol = 0.2 if kinds[j] == "rd" else 1.0  # designs weigh less than goods
            links.append({"from": seg_ids[j], "to": seg_ids[j + 1],
                          "volume_per_unit": vol, "transport_intensity": round(float(heavy[c]), 3)})
        cname = CHAIN_NAMES[c % len(CHAIN_NAMES)] + ("" if c < len(CHAIN_NAMES) else f"_{c // len(CHAIN_NAMES)}")
        chain_list.append({"id": f"c{c:0{len(str(C - 1))}d}", "name_en": cname, "segments": segs, "links": links})

    def ref(i: int) -> dict:
        c, j = divmod(i, S)
        return {"chain": chain_list[c]["id"], "segment": seg_ids[j]}

    policy = {
        "fixed": [{**ref(0), "region": region_ids[0]}] if n_seg else [],
        "forbidden": [{**ref(i), "region": region_ids[r]} for i, r in forbidden],
        "site_limits": [{**ref(i), "max_sites": m} for i, m in limits],
        "province_min_share": {province_ids[p]: v for p, v in share_rules.items()},
    }
    return {
        "name": name,
        "description": (f"Synthetic instance: {R} regions in {P} provinces, {C} chains of {S} segments "
                        f"(yrdopt generate --regions {R} --chains {C} --segments {S} --seed {seed})."),
        "sources": {
            "all": ("assumption: synthetic numbers drawn by yrdopt.generate for scaling studies; structure "
                    "after /work/shared/BRIEF.md (seeds 000-004), no figure is a real statistic"),
        },
        "resources": [{"id": k, "unit": u, "description": dsc} for k, u, dsc in RESOURCES],
        "regions": reg_list,
        "chains": chain_list,
        "economic_distance": {
            "components": {k: {"regions": region_ids, "values": v.tolist()} for k, v in comps.items()},
            "component_weights": {"cost": 1.0, "time": 1.0, "labour": 1.0},
            "unit": "h",
        },
        "policy": policy,
        "weights": {"distance": 1.0, "site_cost": 1.0, "fixed_cost": 1.0, "duplication": 50.0, "expansion": 1.0},
    }


def generate_instance(regions: int, chains: int, segments: int, seed: int = 0, **kw) -> Instance:
    """A validated :class:`Instance` (see :func:`generate_dict`)."""
    return load_instance(generate_dict(regions, chains, segments, seed, **kw))


def generated_files(out: str | Path, regions: int, *, csv_threshold: int = 60) -> list[Path]:
    """The files :func:`write_generated` writes for an instance of ``regions`` regions: ``out``,
    and above ``csv_threshold`` regions its distance and site-cost CSV files next to it."""
    out = Path(out)
    if regions <= csv_threshold:
        return [out]
    return [out, out.with_name(f"{out.stem}.distance.csv"), out.with_name(f"{out.stem}.site_costs.csv")]


def write_generated(data: dict, out: str | Path, *, csv_threshold: int = 60) -> Path:
    """Write a generated mapping as YAML; above ``csv_threshold`` regions the distance
    components and site costs go to CSV files next to it (``components_csv``,
    ``site_costs_csv``) so the YAML stays readable."""
    out = Path(out)
    data = _deepcopy(data)
    R = len(data["regions"])
    files = generated_files(out, R, csv_threshold=csv_threshold)
    if len(files) > 1:
        ed = data["economic_distance"]
        comps = ed.pop("components")
        ids = comps["cost"]["regions"]
        vals = {k: np.asarray(comps[k]["values"]) for k in ("cost", "time", "labour")}
        a, b = np.meshgrid(np.arange(R), np.arange(R), indexing="ij")
        lines = ["from,to,cost,time,labour"]
        ids_arr = np.asarray(ids)
        cols = [ids_arr[a.ravel()], ids_arr[b.ravel()]] + [np.char.mod("%.10g", vals[k].ravel()) for k in ("cost", "time", "labour")]
        lines += [",".join(t) for t in zip(*cols)]
        atomic_write_text(files[1], "\n".join(lines) + "\n")
        ed["components_csv"] = files[1].name
        rows = ["chain,segment,region,site_cost"]
        for ch in data["chains"]:
            for seg in ch["segments"]:
                for rid, v in seg.pop("site_cost").items():
                    rows.append(f"{ch['id']},{seg['id']},{rid},{v!r}")
        atomic_write_text(files[2], "\n".join(rows) + "\n")
        data["site_costs_csv"] = files[2].name
    if out.suffix.lower() == ".json":
        import json

        text = json.dumps(data, indent=1, ensure_ascii=False)
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120, default_flow_style=None)
    atomic_write_text(out, text)
    return out


# ------------------------------------------------------------------------------ helpers
def great_circle_km(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    """(R, R) great-circle distances in km (haversine, Earth radius 6371 km)."""
    lo, la = np.radians(lon), np.radians(lat)
    dlo = lo[:, None] - lo[None, :]
    dla = la[:, None] - la[None, :]
    h = np.sin(dla / 2) ** 2 + np.cos(la)[:, None] * np.cos(la)[None, :] * np.sin(dlo / 2) ** 2
    return 2 * 6371.0 * np.arcsin(np.sqrt(np.clip(h, 0.0, 1.0)))


def _sym(m: np.ndarray) -> np.ndarray:
    return np.round((m + m.T) / 2, 3)


def _segment_kinds(S: int) -> list[str]:
    """The first S kinds of KIND_ORDER put back in chain order; beyond six, extra
    manufacturing stages (``manufacturing`` kind) are inserted before testing."""
    if S <= len(KIND_ORDER):
        return sorted(KIND_ORDER[:S], key=KIND_RANK.__getitem__) if S > 1 else ["manufacturing"]
    base = sorted(KIND_ORDER, key=KIND_RANK.__getitem__)
    i = base.index("testing")
    return base[:i] + ["manufacturing"] * (S - len(base)) + base[i:]


def _deepcopy(data: dict) -> dict:
    import copy

    return copy.deepcopy(data)

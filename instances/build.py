"""Build the shipped Yangtze River Delta instances from ../shared/data and the seed figures.

    python instances/build.py               # rebuild every shipped file in place
    python instances/build.py --out DIR     # write the same files under DIR (tests compare them)
    python instances/build.py --lq          # print the four provinces' location quotients

Writes (relative to the repository root, or to DIR):

* instances/yrd-provinces.yaml (+ .baseline.csv)
* instances/yrd-cities.yaml, yrd-cities.components.csv, yrd-cities.site_costs.csv (+ .baseline.csv)
* instances/yrd-outer.yaml, yrd-outer.components.csv (+ .baseline.csv)
* instances/yrd-provinces-2035.yaml, instances/yrd-cities-2035.yaml: brownfield, three periods
  (today's sites from the baselines; 2025 -> 2030 -> 2035; issue 14)
* src/yrdopt/data/yrd-default.yaml (+ .baseline.csv): the embedded default instance, the
  province instance restricted to five chains, self-contained (inline matrices).

Deterministic: no clocks, no randomness, fixed rounding, fixed order.  Every number that
enters an instance is either read from a data file named in its ``sources`` entry or
taken from a constant below whose comment says "assumption" and why (instances/README.md
lists them all).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import math
import sys
from pathlib import Path

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[1]
DATA = (ROOT.parent / "shared" / "data") if (ROOT.parent / "shared" / "data").exists() else Path("/work/shared/data")
sys.path.insert(0, str(ROOT / "src"))

from yrdopt.analysis.specialization import location_quotients  # noqa: E402
from yrdopt.schema import park_names  # noqa: E402

SEED000 = "seed 000_fcf7adfea0517878.txt"
SEED001 = "seed 001_e5a458e248b18b5f.txt"
SEED002 = "seed 002_dc2e56f958125681.txt"
SEED003 = "seed 003_c6d5e1cce6b7a599.txt"
SEED004 = "seed 004_37fd9e513ee81ad2.txt"
STATS = "shared/data/yrd_stats.csv"
CITIES = "shared/data/yrd_cities.csv"
GC = "shared/data/yrd_greatcircle_km.csv"
GEO_PROV = "shared/data/geo/yrd_and_neighbour_provinces.geojson"

# ----------------------------------------------------------------------------- seed tables
# Seed 004, Table 1: 2021 profits by industry, 100 million CNY (also in shared/BRIEF.md).
PROFIT_2021 = pd.DataFrame(
    {
        "Jiangsu": [1147.58, 1442.14, 1816.98, 767.39, 265.17, 460.39, 69.95, 522.31, 340.38],
        "Zhejiang": [680.24, 830.05, 1622.88, 252.6, 318.75, 520.06, 53.08, 433.48, 383.53],
        "Shanghai": [181.14, 462.25, 609.26, 138.9, 23.02, 594.34, 93.98, 190.4, 60.37],
        "Anhui": [247.16, 186.59, 403.97, 208.16, 51.72, 95.46, 32.02, 133.96, 488.0],
        "China": [9018.57, 6479.07, 13482.3, 8158.44, 2230.26, 5646.29, 1738.87, 6430.68, 6032.2],
    },
    index=["electronics", "equipment", "petrochemicals", "metal_smelting", "textiles", "automobiles",
           "food", "pharmaceuticals", "non_metallic_minerals"],
)
YRD4 = ["Shanghai", "Jiangsu", "Zhejiang", "Anhui"]
OUTER = ["Shandong", "Henan", "Hubei", "Jiangxi", "Fujian", "Hunan"]  # seed 000, in its order of mention
CAPITAL = {"Shanghai": "Shanghai", "Jiangsu": "Nanjing", "Zhejiang": "Hangzhou", "Anhui": "Hefei",
           "Shandong": "Jinan", "Henan": "Zhengzhou", "Hubei": "Wuhan", "Jiangxi": "Nanchang",
           "Fujian": "Fuzhou", "Hunan": "Changsha"}
PROVINCE_ZH = {"Shanghai": "上海市", "Jiangsu": "江苏省", "Zhejiang": "浙江省", "Anhui": "安徽省",
               "Shandong": "山东省", "Henan": "河南省", "Hubei": "湖北省", "Jiangxi": "江西省",
               "Fujian": "福建省", "Hunan": "湖南省"}

# ----------------------------------------------------------------------- economic distance
# Seed 000: economic distance in hours from cost, time and labour.  All constants are
# assumptions (the seed gives the idea, not the parameters); the README lists each.
DETOUR_ROAD = 1.3  # assumption: road km / great-circle km; typical circuity of road networks is 1.2-1.4
DETOUR_RAIL = 1.2  # assumption: high-speed rail lines are straighter than roads
TRUCK_KMH = 60.0  # assumption: average truck speed door to door (expressway limit 100 km/h, plus urban legs)
HANDLING_H = 2.0  # assumption: loading + unloading time per shipment
FREIGHT_CNY_PER_TKM = 0.4  # assumption: road freight rate per tonne-km (order of magnitude of Chinese FTL rates)
WAGE_CNY_PER_H = 40.0  # assumption: labour cost per hour used to turn money into hours
RAIL_KMH = 200.0  # assumption: average high-speed-rail speed including stops
ACCESS_H = 1.0  # assumption: station access/egress per one-way staff trip
STAFF_TRIPS = 2.0  # assumption: one round trip of staff per unit shipped (engineers follow the product)
COMPONENT_WEIGHTS = {"cost": 1 / 3, "time": 1 / 3, "labour": 1 / 3}  # assumption: seed 000 gives no weights;
# equal weights that sum to 1 keep the combined distance in hours.
INTRA_FACTOR = 2 / 3  # mean distance from a disc's centre to a point in it, times sqrt(area / pi)

# --------------------------------------------------------------------------- the chains
# size: national 2021 profit of the mapped industry (seed 004 Table 1) x YRD share (seed 004
# listed-firm shares / seed 003), in units of 10 billion CNY (100 x 100 million CNY).
UNIT = "10 bn CNY of 2021 profit (seed 004 Table 1 / 100)"
CHAINS = {
    "ic": dict(name_en="Integrated circuits", name_zh="集成电路", industry=["electronics"],
               size_base="china", share=0.41, share_src=f"{SEED004}: YRD holds 41 % of China's listed IC firms",
               fine=True),
    "biomed": dict(name_en="Biomedicine", name_zh="生物医药", industry=["pharmaceuticals"],
                   size_base="china", share=0.27, share_src=f"{SEED004}: YRD holds 27 % of China's listed biomedicine firms"),
    "nev": dict(name_en="New-energy vehicles", name_zh="新能源汽车", industry=["automobiles"],
                size_base="china", share=0.45, share_src=f"{SEED004}: YRD holds 45 % of China's listed NEV firms"),
    "ai": dict(name_en="Artificial intelligence / computing", name_zh="人工智能/算力", industry=["electronics"],
               size_base="china", share=0.28, share_src=f"{SEED004}: YRD holds 28 % of China's listed AI firms",
               datacentre=True),
    "aircraft": dict(name_en="Large aircraft", name_zh="大飞机", industry=["equipment"],
                     size_base="china", share=0.1 / 3,
                     share_src=(f"{SEED003}: the YRD hosts > 1/3 of China's aircraft tier suppliers; times 10 % "
                                "aerospace share of national equipment profit (assumption: no aerospace profit figure "
                                "in the sources)"), fine=True),
    "equipment": dict(name_en="High-end equipment", name_zh="高端装备", industry=["equipment"],
                      size_base="yrd", share=0.5,
                      share_src=("YRD-4 equipment profit (seed 004 Table 1) x 50 % high-end share (assumption: "
                                 "the sources give no high-end split)")),
    "materials": dict(name_en="New materials", name_zh="新材料", industry=["metal_smelting", "non_metallic_minerals"],
                      size_base="yrd", share=0.3,
                      share_src=("YRD-4 metal-smelting + non-metallic-minerals profit (seed 004 Table 1) x 30 % "
                                 "'new' materials share (assumption: the sources give no split)")),
    "drones": dict(name_en="Low-altitude economy (drones)", name_zh="低空经济(无人机)", industry=["equipment"],
                   size_base="china", share=0.01,
                   share_src=("1 % of national equipment profit (assumption: the sources name the low-altitude "
                              "economy but give no size; chosen as a small emerging chain)")),
}
DEFAULT_CHAINS = ["ic", "biomed", "nev", "ai", "equipment"]

# Segment kinds: resource use per unit of activity and cost parameters (all assumptions,
# chosen to reflect the sources' qualitative statements; see README).
#   land km2, energy 10k tce, talent thousand skilled staff, per unit of activity.
KIND = {
    "rd": dict(use={"land": 0.05, "energy": 2.0, "talent": 2.5}, base_cost=6.0, fixed=15.0),
    "manufacturing": dict(use={"land": 1.0, "energy": 20.0, "talent": 0.6}, base_cost=10.0, fixed=25.0),
    "testing": dict(use={"land": 0.1, "energy": 5.0, "talent": 0.5}, base_cost=3.0, fixed=20.0),
    "standards": dict(use={"land": 0.01, "energy": 0.5, "talent": 1.5}, base_cost=1.0, fixed=5.0),
    "delivery": dict(use={"land": 0.4, "energy": 5.0, "talent": 0.3}, base_cost=3.0, fixed=10.0),
}
# Value added per unit of activity by segment kind (benefit sharing, issue 15).  Assumption:
# the sources place R&D and standards at the "middle and high end of the value chain" (seeds
# 001, 004: 全球价值链中高端) and name the sequence R&D - process - verification - standards -
# quality - delivery (seed 003), but give no value-added figures per segment.  The numbers
# follow the smile curve of value added along a chain (high at R&D and standards, lowest at
# assembly and delivery); manufacturing is the unit.
VALUE_PER_UNIT = {"rd": 1.6, "standards": 1.5, "testing": 1.1, "manufacturing": 1.0, "delivery": 0.7}
VALUE_SOURCE = ("assumption: smile curve of value added per unit by kind (R&D 1.6, standards 1.5, testing 1.1, "
                "manufacturing 1, delivery 0.7); the sources put R&D and standards at the middle-high end of the value "
                f"chain ({SEED001}, {SEED004}: 全球价值链中高端) but give no figures")
DATACENTRE_ENERGY = 150.0  # assumption: AI computing (data centres) uses 7.5x the energy of other manufacturing
# per unit ("energy-hungry, low-output", BRIEF / seed 001)
DATACENTRE_MIN_SCALE_SHARE = 0.1  # assumption: data centres are modular, smaller sites are viable
DATACENTRE_LAND = 0.3  # assumption: data centres are compact
# Finer sequence of seed 003: 研发-工艺-验证-标准-质量-交付.
FINE_SEGMENTS = [("rd", "R&D 研发", "rd"), ("process", "process 工艺", "manufacturing"),
                 ("verification", "verification 验证", "testing"), ("standards", "standards 标准", "standards"),
                 ("quality", "quality 质量", "testing"), ("delivery", "delivery 交付", "delivery")]
COARSE_SEGMENTS = [("rd", "R&D 研发", "rd"), ("manufacturing", "manufacturing 制造", "manufacturing"),
                   ("testing", "testing 检测", "testing")]
# transport intensity per link by the upstream kind: knowledge flows (R&D) travel as people
# and documents, goods flows as freight. Assumption.
INTENSITY = {"rd": 0.5, "manufacturing": 1.0, "testing": 0.5, "standards": 0.2, "delivery": 1.0}
LQ_ELASTICITY = 0.5  # assumption: unit site cost = base x LQ^-0.5 (advantage lowers cost, with diminishing effect)
# Roles named by the sources (BRIEF, seeds 001/002) that the profit table does not show: a
# multiplier on the unit site cost of the segment kinds named. Assumption in size (15-25 %).
ROLE = {
    ("Shanghai", "rd"): (0.75, "Shanghai: high-end R&D and headquarters (seed 001/002)"),
    ("Shanghai", "standards"): (0.75, "Shanghai: headquarters, standards bodies (seed 001/002)"),
    ("Zhejiang", "ai"): (0.85, "Zhejiang: digital economy (seed 001/002)"),
    ("Anhui", "nev"): (0.85, "Anhui: new energy, NEVs (seed 001/002)"),
    ("Anhui", "materials"): (0.85, "Anhui: new materials (seed 001/002)"),
    ("Shanghai", "aircraft"): (0.8, "Shanghai: aircraft (seed 001/002)"),
    ("Jiangsu", "equipment"): (0.85, "Jiangsu: high-end equipment, the largest manufacturing base (seed 001/002)"),
    ("Zhejiang", "biomed_rd"): (0.85, "Zhejiang: pharma R&D (seed 001/002)"),
}
DUP_WEIGHT = 40.0  # assumption: penalty per site beyond tolerance, about one and a half fixed site costs
MIN_SCALE_SHARE = 0.2  # assumption: a split manufacturing site holds at least 20 % of its segment
PLATFORM_MIN_SCALE_SHARE = 0.25  # assumption: in the city instance an R&D/testing/standards site holds >= 25 %

# ------------------------------------------------------------------------------- quotas
LAND_SHARE = 0.001  # assumption: share of the territory available for new sites of these chains
ZHEJIANG_LAND_FACTOR = 0.4  # assumption: Zhejiang is land-constrained (BRIEF, seeds 001/002)
ENERGY_PER_GDP = 0.035  # assumption: 10k tce of quota for these chains per 100 million CNY of GDP
TALENT_PER_GDP = 0.004  # assumption: thousand skilled staff per 100 million CNY of GDP available to these chains
CITY_QUOTA_HEADROOM = 1.0  # each city gets exactly its share of its province's quota (issue 13; before: x2, an
# assumption that provinces reallocate quota among their cities).  Since the calibration to today's layout (quotas
# >= today's use x 1.15) the exact-share model is proven optimal in 49-62 CPU-s on one thread (benchmarks/CITY_SCALE.md;
# models/formulation.md section 11); --city-headroom H builds the other variants for studies.


# =========================================================================== data access
def read_stats() -> pd.DataFrame:
    return pd.read_csv(DATA / "yrd_stats.csv", dtype={"adcode": str})


def read_cities() -> pd.DataFrame:
    return pd.read_csv(DATA / "yrd_cities.csv", dtype={"adcode": str})


def read_gc() -> dict[tuple[str, str], float]:
    g = pd.read_csv(DATA / "yrd_greatcircle_km.csv", dtype={"from_adcode": str, "to_adcode": str})
    return {(a, b): float(k) for a, b, k in zip(g["from_adcode"], g["to_adcode"], g["great_circle_km"])}


def stat(stats: pd.DataFrame, adcode: str, indicator: str) -> tuple[float | None, str]:
    """Latest value of an indicator for a region, and its source text; None when missing."""
    rows = stats[(stats["adcode"] == adcode) & (stats["indicator"] == indicator) & stats["value"].notna()]
    if rows.empty:
        return None, ""
    rows = rows.sort_values("year", ascending=False, na_position="last")
    r = rows.iloc[0]
    year = "" if pd.isna(r["year"]) else f" {int(r['year'])}"
    return float(r["value"]), f"{STATS} ({indicator}{year}, {r['unit']}; page: {r['source']})"


def _ring_area_km2(ring: list) -> float:
    """Spherical area of a lon/lat ring (km2), by the standard l'Huilier-free approximation."""
    R = 6371.0088
    a = 0.0
    for (x1, y1), (x2, y2) in zip(ring, ring[1:] + ring[:1]):
        a += math.radians(x2 - x1) * (2 + math.sin(math.radians(y1)) + math.sin(math.radians(y2)))
    return abs(a) * R * R / 2


def province_geometry() -> dict[str, dict]:
    """Area (km2) and area-weighted centroid of each province polygon in the geojson."""
    g = json.loads((DATA / "geo" / "yrd_and_neighbour_provinces.geojson").read_text(encoding="utf-8"))
    out = {}
    for f in g["features"]:
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        area = cx = cy = 0.0
        for poly in polys:
            for k, ring in enumerate(poly):
                a = _ring_area_km2([tuple(p) for p in ring])
                sign = 1.0 if k == 0 else -1.0
                xs = sum(p[0] for p in ring) / len(ring)
                ys = sum(p[1] for p in ring) / len(ring)
                area += sign * a
                cx += sign * a * xs
                cy += sign * a * ys
        out[f["properties"]["name_en"]] = {"area_km2": area, "lon": cx / area, "lat": cy / area}
    return out


# ========================================================================== the builder
def r4(x: float) -> float:
    return float(f"{x:.4g}") if abs(x) < 1e4 else round(x, 1)


def lq_table() -> pd.DataFrame:
    """Industry x province LQs of the four provinces (the 'whole' = the four provinces)."""
    table = PROFIT_2021[YRD4].T  # regions x industries
    return location_quotients(table)


def chain_lq(lq: pd.DataFrame, chain: str) -> pd.Series:
    """LQ of the chain's mapped industry per province (summed columns for multi-industry chains)."""
    inds = CHAINS[chain]["industry"]
    table = PROFIT_2021[YRD4].T
    if len(inds) == 1:
        return lq[inds[0]]
    merged = table.drop(columns=inds).assign(_m=table[inds].sum(axis=1))
    return location_quotients(merged)["_m"]


def chain_size(chain: str) -> tuple[float, str]:
    c = CHAINS[chain]
    inds = c["industry"]
    if c["size_base"] == "china":
        base = float(PROFIT_2021.loc[inds, "China"].sum())
        what = f"China {'+'.join(inds)} profit 2021 = {base:g} (100 million CNY, {SEED004} Table 1)"
    else:
        base = float(PROFIT_2021.loc[inds, YRD4].values.sum())
        what = f"YRD-4 {'+'.join(inds)} profit 2021 = {base:.2f} (100 million CNY, {SEED004} Table 1)"
    return r4(base * c["share"] / 100.0), f"{what} x {c['share']:.4g} ({c['share_src']}) / 100"


class Region:
    def __init__(self, rid, name_en, name_zh, province, kind, lon, lat, adcode, area_km2, area_src):
        self.id, self.name_en, self.name_zh, self.province, self.kind = rid, name_en, name_zh, province, kind
        self.lon, self.lat, self.adcode = lon, lat, adcode
        self.area_km2, self.area_src = area_km2, area_src
        self.quotas: dict[str, float] = {}
        self.sources: dict[str, str] = {}
        self.expansions: list[dict] = []

    def to_dict(self) -> dict:
        d = {"id": self.id, "name_en": self.name_en, "name_zh": self.name_zh, "province": self.province,
             "kind": self.kind, "lon": self.lon, "lat": self.lat, "quotas": dict(self.quotas)}
        if self.expansions:
            d["expansions"] = self.expansions
        d["sources"] = dict(self.sources)
        return d


def slug(name: str) -> str:
    return name.lower().replace(" (jiangsu)", "_js").replace(" (zhejiang)", "_zj").replace(" (anhui)", "_ah") \
        .replace("'", "").replace(" ", "_")


def province_regions(names: list[str], stats: pd.DataFrame, cities: pd.DataFrame, geo: dict) -> list[Region]:
    out = []
    for p in names:
        cap = cities[cities["name_en"] == CAPITAL[p]].iloc[0]
        padcode = {"Shanghai": "310000", "Jiangsu": "320000", "Zhejiang": "330000", "Anhui": "340000"}.get(p)
        area, src = (None, "")
        if padcode:
            area, src = stat(stats, padcode, "land_area_official")
        if area is None:
            area = r4(geo[p]["area_km2"])
            src = (f"computed here from {GEO_PROV} (spherical area of the simplified polygon; not an official "
                   "statistic: yrd_stats.csv has no row for this province)")
        reg = Region(slug(p), p, PROVINCE_ZH[p], p, "province" if p in YRD4 else "outer",
                     float(cap["lon"]), float(cap["lat"]), str(cap["adcode"]), area, src)
        reg.sources["lon/lat"] = (f"{CITIES}: the provincial capital {CAPITAL[p]} ({cap['source']}); polygon centroid "
                                  f"{geo[p]['lon']:.3f}, {geo[p]['lat']:.3f} computed from {GEO_PROV} for reference")
        out.append(reg)
    return out


def city_regions(stats: pd.DataFrame, cities: pd.DataFrame) -> list[Region]:
    out = []
    for c in cities[cities["province"].isin(YRD4)].itertuples(index=False):
        area, src = stat(stats, c.adcode, "land_area_polygon_computed")
        if c.name_en == "Shanghai":
            area, src = stat(stats, c.adcode, "land_area_official")
        reg = Region(slug(c.name_en), c.name_en, c.name_zh, c.province, "city", float(c.lon), float(c.lat),
                     c.adcode, area, src)
        reg.sources["lon/lat"] = f"{CITIES} ({c.source})"
        out.append(reg)
    return out


# ------------------------------------------------------------------------------- quotas
def set_province_quotas(regs: list[Region], stats: pd.DataFrame) -> None:
    padcode = {"Shanghai": "310000", "Jiangsu": "320000", "Zhejiang": "330000", "Anhui": "340000"}
    anhui_gdp, _ = stat(stats, "340000", "gdp")
    anhui_area, _ = stat(stats, "340000", "land_area_official")
    for reg in regs:
        land_factor = ZHEJIANG_LAND_FACTOR if reg.province == "Zhejiang" else 1.0
        reg.quotas["land"] = r4(reg.area_km2 * LAND_SHARE * land_factor)
        reg.sources["quotas.land"] = (f"area {reg.area_km2:g} km2 ({reg.area_src}) x {LAND_SHARE} (assumption: share of "
                                      "territory open to new sites of these chains)"
                                      + (f" x {ZHEJIANG_LAND_FACTOR} (assumption: Zhejiang is land-constrained, "
                                         f"BRIEF / {SEED001})" if land_factor != 1 else ""))
        gdp, gsrc = stat(stats, padcode[reg.province], "gdp") if reg.province in padcode else (None, "")
        if gdp is None:
            # outer provinces: no row in yrd_stats.csv; Anhui's GDP per km2 (the YRD province
            # closest to the neighbours in income) stands in. Assumption.
            gdp = anhui_gdp / anhui_area * reg.area_km2
            gsrc = (f"assumption: yrd_stats.csv has no GDP for {reg.province}; Anhui's GDP per km2 "
                    f"({anhui_gdp:g} / {anhui_area:g}, {STATS}) x the polygon area")
        reg.quotas["energy"] = r4(gdp * ENERGY_PER_GDP)
        reg.sources["quotas.energy"] = (f"GDP {gdp:.6g} (100 million CNY; {gsrc}) x {ENERGY_PER_GDP} (assumption: no "
                                        "energy statistic found in yrd_stats.csv; quota proportional to GDP)")
        reg.quotas["talent"] = r4(gdp * TALENT_PER_GDP)
        reg.sources["quotas.talent"] = (f"GDP {gdp:.6g} (as for energy) x {TALENT_PER_GDP} (assumption: no talent "
                                        "statistic in the sources; skilled staff proportional to GDP)")


def set_city_quotas(regs: list[Region], provinces: list[Region], stats: pd.DataFrame,
                    headroom: float = CITY_QUOTA_HEADROOM) -> None:
    """Province quotas split over its cities: land by area; energy and talent by GDP where
    yrd_stats.csv has it (annual 2022, else 2 x 2023 H1), the rest of the province by area."""
    prov = {p.province: p for p in provinces}
    for pname in YRD4:
        members = [r for r in regs if r.province == pname]
        gdp = {}
        for r in members:
            v, s = stat(stats, r.adcode, "gdp")
            if v is None:
                h, s = stat(stats, r.adcode, "gdp_2023H1")
                if h is not None:
                    v, s = 2 * h, f"2 x {s} (assumption: annual = twice the first half)"
            if v is not None:
                gdp[r.id] = (v, s)
        pgdp = prov[pname].quotas["energy"] / ENERGY_PER_GDP  # province GDP back from its quota
        known = sum(v for v, _ in gdp.values())
        rest_area = sum(r.area_km2 for r in members if r.id not in gdp)
        rest = max(pgdp - known, 0.0)
        parea = sum(r.area_km2 for r in members)
        for r in members:
            land_factor = ZHEJIANG_LAND_FACTOR if pname == "Zhejiang" else 1.0
            H = headroom
            # exact shares name no factor; another headroom is a study variant and says so
            hx = "" if H == 1 else f" x {H} (assumption: city quota headroom, see instances/README.md)"
            r.quotas["land"] = r4(r.area_km2 * LAND_SHARE * land_factor * H)
            r.sources["quotas.land"] = (f"area {r.area_km2:g} km2 ({r.area_src}) x {LAND_SHARE} (assumption, as for "
                                        "provinces)" + (f" x {ZHEJIANG_LAND_FACTOR} (assumption: Zhejiang is "
                                                        "land-constrained, BRIEF)" if land_factor != 1 else "")
                                        + hx)
            if pname == "Shanghai":
                g, s = pgdp, prov[pname].sources["quotas.energy"]
            elif r.id in gdp:
                g, s = gdp[r.id]
            else:
                g = rest * r.area_km2 / rest_area if rest_area else 0.0
                s = (f"assumption: no city GDP in {STATS}; {pname}'s GDP not covered by listed cities "
                     f"({rest:.6g}) split by polygon area ({r.area_km2:g} of {rest_area:g} km2)")
            r.quotas["energy"] = r4(g * ENERGY_PER_GDP * H)
            r.quotas["talent"] = r4(g * TALENT_PER_GDP * H)
            r.sources["quotas.energy"] = f"GDP {g:.6g} ({s}) x {ENERGY_PER_GDP} (assumption, as for provinces){hx}"
            r.sources["quotas.talent"] = (f"GDP {g:.6g} (as for energy) x {TALENT_PER_GDP} (assumption, as for "
                                          f"provinces){hx}")
        del parea


# ---------------------------------------------------------------------- economic distance
def distance_components(regs: list[Region], gc: dict) -> dict[str, list[list[float]]]:
    """cost, time and labour hours between every pair of regions (seed 000)."""
    n = len(regs)
    comps = {k: [[0.0] * n for _ in range(n)] for k in ("cost", "time", "labour")}
    for i, a in enumerate(regs):
        for j, b in enumerate(regs):
            if i == j:
                km = INTRA_FACTOR * math.sqrt(a.area_km2 / math.pi)
            else:
                km = gc[(a.adcode, b.adcode)]
            road = DETOUR_ROAD * km
            rail = DETOUR_RAIL * km
            comps["time"][i][j] = round(road / TRUCK_KMH + HANDLING_H, 3)
            comps["cost"][i][j] = round(road * FREIGHT_CNY_PER_TKM / WAGE_CNY_PER_H, 3)
            comps["labour"][i][j] = round(STAFF_TRIPS * (rail / RAIL_KMH + ACCESS_H), 3)
    return comps


DISTANCE_SOURCES = {
    "economic_distance": (f"{SEED000}: economic distance in hours from cost, time and labour. Great-circle km from "
                          f"{GC} (within a region: {INTRA_FACTOR:.3g} x sqrt(area/pi), the mean distance from the centre "
                          "of a disc of the region's area, assumption)."),
    "economic_distance.time": (f"road km / {TRUCK_KMH} km/h + {HANDLING_H} h handling; road km = {DETOUR_ROAD} x "
                               "great-circle km (assumptions, see instances/README.md)"),
    "economic_distance.cost": (f"road km x {FREIGHT_CNY_PER_TKM} CNY per tonne-km / {WAGE_CNY_PER_H} CNY per hour "
                               "(freight cost of one tonne turned into hours of labour; assumptions)"),
    "economic_distance.labour": (f"{STAFF_TRIPS} x (rail km / {RAIL_KMH} km/h + {ACCESS_H} h access); rail km = "
                                 f"{DETOUR_RAIL} x great-circle km (staff travel per unit shipped; assumptions)"),
    "economic_distance.component_weights": "assumption: seed 000 gives no weights; equal, summing to 1 (stays in hours)",
}


# ------------------------------------------------------------------------------- chains
def site_cost_multiplier(lq: pd.DataFrame, chain: str, kind: str, province: str, seg_id: str) -> tuple[float, str]:
    if province in YRD4:
        q = float(chain_lq(lq, chain)[province])
        m = q ** (-LQ_ELASTICITY)
        why = f"LQ {q:.3f} of {'+'.join(CHAINS[chain]['industry'])} ({SEED004} Table 1)"
    else:
        m, why = 1.0, "LQ 1 (assumption: no industry profits for outer provinces in the sources)"
    for key in ((province, kind), (province, chain), (province, f"{chain}_{seg_id}")):
        if key in ROLE:
            f, role = ROLE[key]
            m *= f
            why += f" x {f} role: {role}"
    return m, why


def build_chain(cid: str, regs: list[Region], lq: pd.DataFrame, *, level: str) -> dict:
    c = CHAINS[cid]
    size, size_src = chain_size(cid)
    fine = c.get("fine", False)
    spec = FINE_SEGMENTS if fine else COARSE_SEGMENTS
    segs = []
    for sid, name, kind in spec:
        k = KIND[kind]
        use = dict(k["use"])
        if c.get("datacentre") and kind == "manufacturing":
            use["energy"] = DATACENTRE_ENERGY
            use["land"] = DATACENTRE_LAND
        split = kind in ("manufacturing", "delivery")
        seg = {"id": sid, "name": name if not (c.get("datacentre") and kind == "manufacturing")
               else "computing (data centres) 算力", "kind": kind, "activity": size, "unit": UNIT,
               "value_per_unit": VALUE_PER_UNIT[kind], "resource_use": use}
        costs = {}
        srcs = {}
        for reg in regs:
            mult, why = site_cost_multiplier(lq, cid, kind, reg.province, sid)
            costs[reg.id] = r4(k["base_cost"] * mult)
            if level != "city" or reg.id == regs[0].id:
                srcs[reg.province] = why
        seg["site_cost"] = costs
        seg["fixed_cost"] = k["fixed"]
        dc = c.get("datacentre") and kind == "manufacturing"
        if split:
            seg["min_scale"] = r4(size * (DATACENTRE_MIN_SCALE_SHARE if dc else MIN_SCALE_SHARE))
            seg["duplication_tolerance"] = 2
        else:
            # A whole chain's R&D or testing exceeds one city's talent/land quota, so at city
            # level these may split too, but only into large pieces (few sites).
            if level == "city":
                seg["min_scale"] = r4(size * PLATFORM_MIN_SCALE_SHARE)
            seg["duplication_tolerance"] = 1
        seg["sources"] = {
            "activity": size_src,
            "value_per_unit": VALUE_SOURCE,
            "resource_use": (f"assumption: per-kind intensities ({kind}); R&D talent-heavy, manufacturing land- "
                             "and energy-heavy" + ("; data centres energy-hungry (BRIEF, seed 001)"
                                                   if c.get("datacentre") and kind == "manufacturing" else "")),
            "site_cost": (f"base {k['base_cost']} per unit for kind {kind} (assumption) x LQ^-{LQ_ELASTICITY} "
                          "(assumption) x role multiplier; per province: " + "; ".join(f"{p}: {w}" for p, w in srcs.items())
                          + ("; cities take their province's value (no city-level industry data)" if level == "city" else "")),
            "fixed_cost": f"assumption: fixed cost of opening a site of kind {kind}",
        }
        if split:
            seg["sources"]["min_scale"] = (f"assumption: {DATACENTRE_MIN_SCALE_SHARE:.0%} of the segment per data-centre "
                                           "site (modular)" if dc else
                                           f"assumption: {MIN_SCALE_SHARE:.0%} of the segment per split site (scale economies)")
            seg["sources"]["duplication_tolerance"] = "assumption: two sites of a production segment are not duplication"
        else:
            seg["sources"]["duplication_tolerance"] = "BRIEF: shared R&D/testing platforms rather than one per region"
            if level == "city":
                seg["sources"]["min_scale"] = (f"assumption: {PLATFORM_MIN_SCALE_SHARE:.0%} of the segment per site "
                                               "(a platform is large or absent)")
        segs.append(seg)
    links = []
    for (a, _, ka), (b, _, _) in zip(spec, spec[1:]):
        links.append({"from": a, "to": b, "volume_per_unit": 1.0, "transport_intensity": INTENSITY[ka]})
    return {
        "id": cid, "name_en": c["name_en"], "name_zh": c["name_zh"], "segments": segs, "links": links,
        "sources": {
            "segments": (f"{SEED003}: 研发-工艺-验证-标准-质量-交付" if fine else "BRIEF / seed 001: R&D, manufacturing, testing"),
            "links.volume_per_unit": "assumption: one unit of activity feeds one unit of the next segment",
            "links.transport_intensity": ("assumption: 1 for goods flows, 0.5 for R&D/testing (people and documents), "
                                          "0.2 for standards"),
        },
    }


# ---------------------------------------------------------------------------- baselines
# Where the sources say each chain sits today (BRIEF "every province courts ICs, biomedicine,
# NEVs, AI, drones"; roles of seeds 001/002; seed 003 aircraft around Shanghai).
BASE_EVERYWHERE = {"ic", "biomed", "nev", "ai", "drones", "equipment"}


def baseline_province_shares(cid: str, kind: str) -> dict[str, float]:
    """Share of a segment per YRD province today."""
    inds = CHAINS[cid]["industry"]
    prof = PROFIT_2021.loc[inds, YRD4].sum(axis=0)
    if cid == "aircraft":
        # seed 003 / BRIEF: Shanghai leads the aircraft chain; Jiangsu supplies parts.
        return {"Shanghai": 1.0} if kind not in ("manufacturing", "delivery") else {"Shanghai": 0.6, "Jiangsu": 0.4}
    if cid == "materials":
        sel = ["Jiangsu", "Anhui"] if kind != "rd" else ["Shanghai", "Jiangsu"]
        p = prof[sel]
        return (p / p.sum()).to_dict()
    if kind == "standards":
        return {"Shanghai": 1.0}
    return (prof / prof.sum()).to_dict()


CALIBRATION_HEADROOM = 0.15  # assumption: a quota leaves today's sites room for about one year of growth at the
# high-tech industry's 2005-2014 yearly growth of 14.89 % (seed 002_dc2e56f958125681.txt)


def calibrate_to_today(regs: list[Region], chains: list[dict], rows: list[tuple], *, min_scale: bool) -> None:
    """Today's layout exists, so it must fit the shipped limits (issue 14, item 9).

    A separate step after the quotas are set: every quota becomes at least today's use (the
    baseline rows) plus CALIBRATION_HEADROOM, and its source says so.  With ``min_scale``
    (province level, where the sites' sizes come from the profit table of seed 004), a
    segment's minimum scale becomes at most its smallest site today; at city level the
    hosts within a province are an assumption, not named by the sources, so minimum scales
    stay and a brownfield model lets an existing smaller site keep running (grandfathered).
    """
    use = {(c["id"], s["id"]): s["resource_use"] for c in chains for s in c["segments"]}
    used: dict[tuple[str, str], float] = {}
    smallest: dict[tuple[str, str], float] = {}
    for cid, sid, rid, _, act in rows:
        for k, u in use[(cid, sid)].items():
            used[(rid, k)] = used.get((rid, k), 0.0) + u * act
        smallest[(cid, sid)] = min(smallest.get((cid, sid), math.inf), act)
    for reg in regs:
        for k, q in list(reg.quotas.items()):
            need = used.get((reg.id, k), 0.0)
            if need > q:
                reg.quotas[k] = r4(need * (1 + CALIBRATION_HEADROOM))
                reg.sources[f"quotas.{k}"] = (
                    f"today's use {need:.6g} (the baseline layout x resource use per unit) x {1 + CALIBRATION_HEADROOM} "
                    f"(assumption: room for about a year of growth at the high-tech industry's 14.89 %/yr, {SEED002}); "
                    f"the rule below gave {q:g}, less than today's sites use: " + reg.sources[f"quotas.{k}"])
    if not min_scale:
        return
    for c in chains:
        for seg in c["segments"]:
            today = smallest.get((c["id"], seg["id"]))
            if seg.get("min_scale") and today is not None and today < seg["min_scale"]:
                rule = seg["min_scale"]
                seg["min_scale"] = math.floor(today * 1e4) / 1e4
                seg["sources"]["min_scale"] = (f"the smallest site today ({today:g}, the baseline share of seed 004 "
                                               f"Table 1), below the rule's {rule:g}: " + seg["sources"]["min_scale"])


# ------------------------------------------------------- transition to 2035 (issue 14)
# Costs of change, relative to the kind's opening (fixed) cost and unit site cost; assumptions.
CLOSE_SHARE_OF_FIXED = 0.5  # assumption: closing writes off about half of what opening cost (undepreciated plant)
# plus retraining (seed 004 asks for orderly exit channels, 适时退出渠道)
SHRINK_SHARE_OF_UNIT_COST = 0.2  # assumption: removing a unit of activity costs a fifth of a year's unit site cost
# (severance, idle assets)
MILESTONES = [2025, 2030, 2035]  # seed 001: the 15th Five-Year Plan (2026-2030) and 2035
GROWTH_DEFAULT = 0.05  # assumption: yearly growth of a chain's activity; below seed 002's 6.8 % manufacturing growth
# of 2014 and its 14.89 %/yr high-tech growth of 2005-2014, as growth slows
GROWTH = {"ic": 0.08, "ai": 0.08, "drones": 0.15}  # assumption: digital chains faster (seed 001: new productive forces);
# drones fastest (seed 001: low-altitude economy core industry to reach 1 trillion CNY by 2035, CAAC forecast)
QUOTA_GROWTH = {"land": 0.02, "energy": 0.05, "talent": 0.05}  # assumption: yearly growth of the quotas; land least
# (seed 001: optimise the existing stock, 存量优化 + 增量突破)
PERIOD_BUDGET = {"max_opened": 6, "max_closed": 6, "max_moved_share": 0.15}  # assumption: per five-year period at most
# six new and six closed sites and 15 % of activity moved (orderly transition, seed 003: yearly tasks, rolling review)
DISCOUNT_RATE = 0.08  # assumption: China's social discount rate for project appraisal (NDRC parameters, 3rd ed.);
# not in shared/ sources
MIN_RUN_YEARS = 10  # assumption: a new site runs at least ten years (plant depreciation)
MIN_KEPT_SHARE = 0.1  # assumption: a site kept below a tenth of today's activity is a closure in all but name


def brownfield_part(chains: list[dict], baseline_file: str) -> dict:
    """Today's sites from the shipped baseline and the costs of change by segment kind."""
    kinds = {seg["kind"] for c in chains for seg in c["segments"]}
    by_kind = {k: {"close_per_site": r4(KIND[k]["fixed"] * CLOSE_SHARE_OF_FIXED),
                   "shrink_per_unit": r4(KIND[k]["base_cost"] * SHRINK_SHARE_OF_UNIT_COST)} for k in sorted(kinds)}
    return {
        "existing_csv": baseline_file,
        "costs": {"by_kind": by_kind},
        "min_kept_share": MIN_KEPT_SHARE,
        "sources": {
            "existing": f"{baseline_file}: today's layout (instances/README.md, Baselines)",
            "costs.close_per_site": f"assumption: {CLOSE_SHARE_OF_FIXED} x the kind's fixed (opening) cost: write-off of "
                                    f"undepreciated plant plus retraining ({SEED004}: orderly exit channels)",
            "costs.shrink_per_unit": f"assumption: {SHRINK_SHARE_OF_UNIT_COST} x the kind's base unit site cost per unit "
                                     "removed (severance, idle assets)",
            "opening": "an existing site's opening cost is sunk; a new site pays the segment's fixed_cost",
            "min_kept_share": f"assumption: an existing site that stays open runs at least {MIN_KEPT_SHARE:.0%} of today's "
                              "activity; emptied below that it is closed and pays its closing cost (without a floor an "
                              "empty site would dodge closing costs and budgets)",
        },
    }


def periods_part(chains: list[dict]) -> dict:
    """2025 (today's layout: every budget 0) -> 2030 -> 2035."""
    out = []
    for i, y in enumerate(MILESTONES):
        n = y - MILESTONES[0]
        m = {"year": y,
             "growth": {c["id"]: r4((1 + GROWTH.get(c["id"], GROWTH_DEFAULT)) ** n) for c in chains} if n else {},
             "quota_factor": {k: r4((1 + g) ** n) for k, g in QUOTA_GROWTH.items()} if n else {},
             "budget": ({"max_opened": 0, "max_closed": 0, "max_moved_share": 0.0} if i == 0 else dict(PERIOD_BUDGET))}
        m["sources"] = {"budget": "2025 is today: nothing changes yet" if i == 0 else
                        "assumption: per five-year period (seed 003: yearly tasks, rolling review)"}
        if n:
            m["sources"]["growth"] = (f"assumption: (1 + g)^{n}, g = {GROWTH_DEFAULT} a year, ic/ai {GROWTH['ic']}, drones "
                                      f"{GROWTH['drones']} ({SEED002}: 6.8 % manufacturing growth in 2014, 14.89 %/yr "
                                      f"high-tech 2005-2014; {SEED001}: low-altitude economy to 1 trillion CNY by 2035)")
            m["sources"]["quota_factor"] = (f"assumption: (1 + g)^{n}, land {QUOTA_GROWTH['land']}, energy "
                                            f"{QUOTA_GROWTH['energy']}, talent {QUOTA_GROWTH['talent']} a year "
                                            f"({SEED001}: optimise the existing stock)")
        out.append(m)
    return {"milestones": out, "discount_rate": DISCOUNT_RATE, "min_run_years": MIN_RUN_YEARS,
            "sources": {"milestones": f"{SEED001}: the 15th Five-Year Plan and 2035; {SEED003}: yearly tasks",
                        "discount_rate": "assumption: 8 % social discount rate (NDRC project appraisal parameters)",
                        "min_run_years": "assumption: plant depreciation"}}


def phased_yaml(text: str, name: str, chains: list[dict]) -> str:
    """``name``.yaml starting from today's sites (its baseline) and phased 2025 -> 2030 -> 2035."""
    d = yaml.safe_load(text)
    d["name"] = f"{name}-2035"
    d["description"] = (f"{name} starting from today's sites ({name}.baseline.csv), phased 2025 -> 2030 -> 2035 "
                        "(issue 14); built by instances/build.py.")
    d["brownfield"] = brownfield_part(chains, f"{name}.baseline.csv")
    d["periods"] = periods_part(chains)
    return to_yaml(d)


BASELINE_CITY_HOSTS = {
    # assumption: the cities that host a province's share today: R&D / standards in the capital
    # (and Suzhou, Ningbo, Wuhu as second poles), production in the largest industrial cities.
    "rd": {"Shanghai": ["Shanghai"], "Jiangsu": ["Nanjing", "Suzhou (Jiangsu)"], "Zhejiang": ["Hangzhou"],
           "Anhui": ["Hefei"]},
    "production": {"Shanghai": ["Shanghai"], "Jiangsu": ["Suzhou (Jiangsu)", "Wuxi", "Nanjing"],
                   "Zhejiang": ["Hangzhou", "Ningbo"], "Anhui": ["Hefei", "Wuhu"]},
}


def baseline_rows(chains: list[dict], regs: list[Region], level: str) -> list[tuple]:
    rows = []
    by_name = {r.name_en: r for r in regs}
    for ch in chains:
        for seg in ch["segments"]:
            shares = baseline_province_shares(ch["id"], seg["kind"])
            placed: dict[str, float] = {}
            for prov, share in shares.items():
                if level == "city":
                    # testing platforms sit in the core cities today as they may in the model
                    group = "rd" if seg["kind"] in ("rd", "standards", "testing") else "production"
                    hosts = BASELINE_CITY_HOSTS[group][prov]
                    for h in hosts:
                        placed[by_name[h].id] = placed.get(by_name[h].id, 0.0) + share / len(hosts)
                else:
                    placed[slug(prov)] = share
            hosts = [reg for reg in regs if reg.id in placed]
            left = seg["activity"]
            for i, reg in enumerate(hosts):
                # the last host takes what rounding left, so today's sites add up to the
                # segment's activity (a change budget of 0 then keeps today's layout exactly)
                a = round(seg["activity"] * placed[reg.id], 6) if i < len(hosts) - 1 else round(left, 6)
                left -= a
                rows.append((ch["id"], seg["id"], reg.id, 1, a))
    return rows


def baseline_csv(rows: list[tuple]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["chain", "segment", "region", "sited", "activity"])
    w.writerows(rows)
    return buf.getvalue()


# ------------------------------------------------------------------------------ writing
class _Dumper(yaml.SafeDumper):
    pass


def _flow_list(dumper, data):
    # matrix rows and short number lists inline, everything else block style
    if data and all(isinstance(x, (int, float)) for x in data):
        return dumper.represent_sequence("tag:yaml.org,2002:seq", data, flow_style=True)
    return dumper.represent_sequence("tag:yaml.org,2002:seq", data)


_Dumper.add_representer(list, _flow_list)


def to_yaml(d: dict) -> str:
    return yaml.dump(d, Dumper=_Dumper, allow_unicode=True, sort_keys=False, width=120)


def components_csv(regs: list[Region], comps: dict) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["from", "to", "cost", "time", "labour"])
    for i, a in enumerate(regs):
        for j, b in enumerate(regs):
            w.writerow([a.id, b.id, comps["cost"][i][j], comps["time"][i][j], comps["labour"][i][j]])
    return buf.getvalue()


def site_costs_csv(chains: list[dict]) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["chain", "segment", "region", "site_cost"])
    for ch in chains:
        for seg in ch["segments"]:
            for rid, v in seg.pop("site_cost").items():
                w.writerow([ch["id"], seg["id"], rid, v])
    return buf.getvalue()


RESOURCES = [
    {"id": "land", "unit": "km2", "description": "industrial land for new sites of these chains"},
    {"id": "energy", "unit": "10k tce", "description": "energy-use quota (万吨标准煤)"},
    {"id": "talent", "unit": "thousand skilled staff", "description": "R&D and engineering staff"},
]


def instance_dict(name: str, description: str, regs: list[Region], chains: list[dict], ed: dict,
                  policy: dict | None = None, enclaves: list[dict] | None = None) -> dict:
    d = {
        "name": name,
        "description": description,
        "resources": RESOURCES,
        "regions": [r.to_dict() for r in regs],
        "chains": chains,
        "economic_distance": ed,
        "weights": {"distance": 1.0, "site_cost": 1.0, "fixed_cost": 1.0, "duplication": DUP_WEIGHT, "expansion": 1.0,
                    "guarantee_shortfall": 1.0},
        "sources": {
            **DISTANCE_SOURCES,
            "weights.duplication": f"assumption: {DUP_WEIGHT} per site beyond tolerance (BRIEF: duplicated construction "
                                   "is the waste to remove), about one and a half site fixed costs",
            "weights (others)": "assumption: 1; all cost terms are in the same index units",
            "cost units": ("index points: one unit of activity shipped over one hour of economic distance costs 1; site "
                           "and fixed costs are set on that scale (assumption)"),
            "builder": "instances/build.py (python instances/build.py rebuilds this file)",
        },
    }
    if enclaves:
        d = {**{k: v for k, v in d.items() if k != "weights"}, "enclaves": enclaves, "weights": d["weights"]}
    if policy:
        d = {**{k: v for k, v in d.items() if k != "weights"}, "policy": policy, "weights": d["weights"]}
    return d


def build_all(city_headroom: float = CITY_QUOTA_HEADROOM) -> dict[str, str]:
    """Every shipped file: relative path -> text (``city_headroom``: variants of the city quotas for studies)."""
    stats, cities, gc, geo = read_stats(), read_cities(), read_gc(), province_geometry()
    lq = lq_table()
    files: dict[str, str] = {}

    # ---------------- provinces
    prov = province_regions(YRD4, stats, cities, geo)
    set_province_quotas(prov, stats)
    chains = [build_chain(c, prov, lq, level="province") for c in CHAINS]
    prov_rows = baseline_rows(chains, prov, "province")
    calibrate_to_today(prov, chains, prov_rows, min_scale=True)
    comps = distance_components(prov, gc)
    ed = {"components": {k: {"regions": [r.id for r in prov], "values": v} for k, v in comps.items()},
          "component_weights": {k: round(v, 6) for k, v in COMPONENT_WEIGHTS.items()}, "unit": "h"}
    files["instances/yrd-provinces.yaml"] = to_yaml(instance_dict(
        "yrd-provinces", "The four YRD provinces (Shanghai, Jiangsu, Zhejiang, Anhui) and eight industry chains from "
        "the sources; built by instances/build.py from shared/data and the seeds.", prov, chains, ed,
        {"guarantees": province_guarantees(chains, prov)}, province_enclaves()))
    files["instances/yrd-provinces.baseline.csv"] = baseline_csv(prov_rows)

    # ---------------- default = provinces with five chains, inline everything
    dchains = [build_chain(c, prov, lq, level="province") for c in DEFAULT_CHAINS]
    calibrate_to_today(prov, dchains, baseline_rows(dchains, prov, "province"), min_scale=True)
    files["src/yrdopt/data/yrd-default.yaml"] = to_yaml(instance_dict(
        "yrd-default", "Embedded default: the four YRD provinces and five chains (ICs, biomedicine, NEVs, AI/computing, "
        "high-end equipment). The yrd-provinces instance restricted to five chains, without its enclave parks and share "
        "guarantees (every province still hosts R&D in a chain); built by instances/build.py.",
        prov, dchains, ed, {"guarantees": province_guarantees(dchains, prov, shares=False)}))
    # no enclave parks in the default: their extra land loosens the activity bounds of their hosts and
    # made its solve about 3x slower (measured, benchmarks/guarantee_costs.py), for no change of the optimum
    files["src/yrdopt/data/yrd-default.baseline.csv"] = baseline_csv(baseline_rows(dchains, prov, "province"))

    # ---------------- outer ring
    outer = province_regions(YRD4 + OUTER, stats, cities, geo)
    set_province_quotas(outer, stats)
    ochains = [build_chain(c, outer, lq, level="province") for c in CHAINS]
    calibrate_to_today(outer, ochains, baseline_rows(ochains, outer, "province"), min_scale=True)
    ocomps = distance_components(outer, gc)
    files["instances/yrd-outer.components.csv"] = components_csv(outer, ocomps)
    files["instances/yrd-outer.yaml"] = to_yaml(instance_dict(
        "yrd-outer", "The four YRD provinces plus the neighbouring provinces seed 000 names (Shandong, Henan, Hubei, "
        "Jiangxi, Fujian, Hunan) for studies of moving segments out of the delta; built by instances/build.py.",
        outer, ochains, {"components_csv": "yrd-outer.components.csv",
                         "component_weights": {k: round(v, 6) for k, v in COMPONENT_WEIGHTS.items()}, "unit": "h"},
        None, province_enclaves()))
    files["instances/yrd-outer.baseline.csv"] = baseline_csv(baseline_rows(ochains, outer, "province"))

    # ---------------- 41 cities
    city = city_regions(stats, cities)
    set_city_quotas(city, prov, stats, city_headroom)
    cchains = [build_chain(c, city, lq, level="city") for c in CHAINS]
    ccomps = distance_components(city, gc)
    policy = _city_policy(city, cchains)
    crow = baseline_rows(cchains, city, "city")
    calibrate_to_today(city, cchains, crow, min_scale=False)
    files["instances/yrd-cities.components.csv"] = components_csv(city, ccomps)
    files["instances/yrd-cities.site_costs.csv"] = site_costs_csv(cchains)
    files["instances/yrd-cities.yaml"] = to_yaml(instance_dict(
        "yrd-cities", "The 41 prefecture-level cities of the YRD (region.province = the province, for roll-ups) and "
        "eight chains; built by instances/build.py.", city, cchains,
        {"components_csv": "yrd-cities.components.csv",
         "component_weights": {k: round(v, 6) for k, v in COMPONENT_WEIGHTS.items()}, "unit": "h"}, policy,
        city_enclaves()) | {"site_costs_csv": "yrd-cities.site_costs.csv"})
    files["instances/yrd-cities.baseline.csv"] = baseline_csv(crow)
    for name, ch in (("yrd-provinces", chains), ("yrd-cities", cchains)):
        files[f"instances/{name}-2035.yaml"] = phased_yaml(files[f"instances/{name}.yaml"], name, ch)
    files["instances/NUMBERS.md"] = numbers_markdown(files)
    return files


def numbers_markdown(files: dict[str, str]) -> str:
    """Every number of the shipped instances with its unit and source (generated; see README)."""
    sys.path.insert(0, str(ROOT / "src"))
    units = {r["id"]: r["unit"] for r in RESOURCES}
    out = ["# Every number in the shipped instances (generated by instances/build.py; do not edit)", "",
           "Value, unit and source of each number, read back from the `sources` fields the builder writes. "
           "Constants and the reasons for assumptions: instances/README.md.", ""]
    for name in ("yrd-provinces", "yrd-outer", "yrd-cities"):
        d = yaml.safe_load(files[f"instances/{name}.yaml"])
        out += [f"## {name}", "", "### Regions: quotas", "", "| region | quantity | value | unit | source |",
                "| --- | --- | ---: | --- | --- |"]
        for r in d["regions"]:
            out.append(f"| {r['id']} | lon, lat | {r['lon']}, {r['lat']} | degrees | {r['sources']['lon/lat']} |")
            for k, v in r["quotas"].items():
                out.append(f"| {r['id']} | quota {k} | {v} | {units[k]} | {r['sources'][f'quotas.{k}']} |")
        out += ["", "### Enclave parks", "", "| park, id | quantity | value | unit | source |",
                "| --- | --- | --- | --- | --- |"]
        names = park_names(d)  # as the CLI, the report and the workbench say them (a candidate: host and partner)
        for e in d.get("enclaves", []):
            split = e.get("value_split") or {"factor inputs": e.get("factor_inputs")}
            out.append(f"| {names[e['id']]}, `{e['id']}` | host {e['host']}, partner {e['partner']}; capacity {e['capacity']}; fixed cost "
                       f"{e['fixed_cost']}; extra {e['extra_quota']}; cost split {e['cost_split']}; value split {split}; "
                       f"kinds {e.get('kinds', 'all')}{'; existing' if e.get('existing') else ''} | activity units, "
                       f"index points, km2 | {'; '.join(f'{k}: {v}' for k, v in e['sources'].items())} |")
        out += ["", "### Chains and segments", "",
                "| chain/segment | quantity | value | unit | source |", "| --- | --- | ---: | --- | --- |"]
        for c in d["chains"]:
            for sg in c["segments"]:
                key = f"{c['id']}/{sg['id']}"
                src = sg["sources"]
                out.append(f"| {key} | activity | {sg['activity']} | {sg['unit']} | {src['activity']} |")
                out.append(f"| {key} | value per unit | {sg['value_per_unit']} | value index per unit of activity | "
                           f"{src['value_per_unit']} |")
                out.append(f"| {key} | resource use per unit | {sg['resource_use']} | land km2, energy 10k tce, "
                           f"talent thousand | {src['resource_use']} |")
                if "site_cost" in sg:
                    out.append(f"| {key} | unit site cost by region | {sg['site_cost']} | index points per unit | "
                               f"{src['site_cost']} |")
                else:
                    out.append(f"| {key} | unit site cost by region | see {name}.site_costs.csv | index points per "
                               f"unit | {src['site_cost']} |")
                out.append(f"| {key} | fixed cost per site | {sg['fixed_cost']} | index points | {src['fixed_cost']} |")
                if sg.get("min_scale"):
                    out.append(f"| {key} | minimum scale per site | {sg['min_scale']} | activity units | "
                               f"{src['min_scale']} |")
                out.append(f"| {key} | duplication tolerance | {sg['duplication_tolerance']} | sites | "
                           f"{src['duplication_tolerance']} |")
            for ln in c["links"]:
                out.append(f"| {c['id']}: {ln['from']} -> {ln['to']} | volume per unit, transport intensity | "
                           f"{ln['volume_per_unit']}, {ln['transport_intensity']} | per unit, per hour | "
                           f"{c['sources']['links.volume_per_unit']}; {c['sources']['links.transport_intensity']} |")
        guarantees = d.get("policy", {}).get("guarantees", [])
        if guarantees:
            out += ["", "### Guarantees", "", "| target | measure | value | source |", "| --- | --- | ---: | --- |"]
            for g in guarantees:
                kinds = f" [{'+'.join(g['kinds'])}]" if g.get("kinds") else ""
                pen = f" (soft, penalty {g['penalty']})" if g.get("penalty") is not None else " (hard)"
                out.append(f"| {g.get('province') or g.get('region')} | {g['measure']}{kinds}{pen} | {g['value']} | "
                           f"{'; '.join(f'{k}: {v}' for k, v in g['sources'].items())} |")
        out += ["", "### Instance-wide", "", "| quantity | value | source |", "| --- | --- | --- |"]
        for k, v in d["weights"].items():
            out.append(f"| weight {k} | {v} | {d['sources']['weights.duplication' if k == 'duplication' else 'weights (others)']} |")
        ed = d["economic_distance"]
        out.append(f"| economic distance component weights | {ed['component_weights']} | "
                   f"{d['sources']['economic_distance.component_weights']} |")
        for comp in ("cost", "time", "labour"):
            out.append(f"| economic distance {comp} (matrix, hours) | "
                       f"{'inline' if 'components' in ed else ed['components_csv']} | "
                       f"{d['sources'][f'economic_distance.{comp}']}; {d['sources']['economic_distance']} |")
        out.append("")
    return "\n".join(out) + "\n"


# Enclave / co-built parks (飞地经济, seed 004; benefits by factor inputs, seed 002).  A park
# uses its host's land and quotas, adds land to it, and credits a share of the value it hosts
# to its partner.  Numbers are assumptions: the sources name the mechanism and the
# Suzhou-Suqian park but give no sizes, costs or splits.
ENCLAVE_COST = 60.0  # assumption: about two manufacturing site fixed costs
ENCLAVE_LAND = 15.0  # assumption: km2 of land a co-built park adds to a province
ENCLAVE_CAPACITY = 15.0  # assumption: activity a province-level park holds (15 km2 at 1 km2 per unit of manufacturing)
ENCLAVE_CITY_SCALE = 1 / 3  # assumption: a city-level park is a third of a province-level one
ENCLAVE_INPUTS = {"host": 40.0, "partner": 60.0}  # assumption: the host puts in land and quotas, the core partner
# capital, management and know-how (seed 002: 按生产要素投入比例分享利益); 40 : 60 in the absence of figures
ENCLAVE_SRC = (f"{SEED004}: enclave economy (飞地经济), co-built parks, economic indicators shared; {SEED002}: benefits "
               "shared in proportion to factor inputs; size, cost, capacity and split are assumptions "
               "(instances/build.py, ENCLAVE_*)")
# (id, host, partner, description): province level, core province partner, surrounding host; none has a
# name of its own (a candidate): each is said by its host and partner ("park in Jiangsu co-built with Shanghai")
PROVINCE_PARKS = [
    ("shanghai_anhui", "Anhui", "Shanghai", "candidate: a Shanghai park in Anhui (core city with a surrounding province)"),
    ("shanghai_jiangsu_north", "Jiangsu", "Shanghai",
     "candidate: a Shanghai park in northern Jiangsu (at province level the host is Jiangsu)"),
    ("zhejiang_anhui", "Anhui", "Zhejiang", "candidate: a land-constrained Zhejiang developing a park in Anhui"),
]
# (id, host, partner, existing, description); a park the sources name has its name in PARK_NAMES
CITY_PARKS = [
    ("suzhou_suqian", "Suqian", "Suzhou (Jiangsu)", True, f"the Suzhou-Suqian industrial park ({SEED004}); it exists"),
    ("shanghai_yancheng", "Yancheng", "Shanghai", False, "candidate: a Shanghai park in northern Jiangsu"),
    ("shanghai_chuzhou", "Chuzhou", "Shanghai", False, "candidate: a Shanghai park in an Anhui city"),
    ("hangzhou_luan", "Lu'an", "Hangzhou", False, "candidate: a Hangzhou park in an Anhui city"),
]


# the parks a source names (seed 004: 苏宿工业园区, a typical co-built park); the candidates have no name
# in any source, so none is invented: the workbench, the report and the CLI say them by host and partner
PARK_NAMES = {"suzhou_suqian": ("Suzhou-Suqian Industrial Park", f"{SEED004}: 苏宿工业园区")}


def _enclave(pid: str, host: str, partner: str, description: str, scale: float, existing: bool = False) -> dict:
    name, named_by = PARK_NAMES.get(pid, (None, None))
    park = {"id": pid, **({"name": name} if name else {}), "host": host, "partner": partner,
            "capacity": r4(ENCLAVE_CAPACITY * scale),
            "fixed_cost": 0.0 if existing else ENCLAVE_COST, "extra_quota": {"land": r4(ENCLAVE_LAND * scale)},
            "cost_split": {"host": 0.5, "partner": 0.5}, "factor_inputs": dict(ENCLAVE_INPUTS),
            "kinds": ["manufacturing", "testing", "delivery"]}
    if existing:
        park["existing"] = True
    park["description"] = description
    park["sources"] = {**({"name": named_by} if name else {}), "park": ENCLAVE_SRC,
                       "fixed_cost": "sunk: the park exists" if existing else "assumption: about two manufacturing "
                                                                              "site fixed costs",
                       "cost_split": "assumption: 成本共担 (seed 001/004) as an equal split",
                       "kinds": "assumption: production segments move to parks; R&D stays in the partner (BRIEF)"}
    return park


def province_enclaves() -> list[dict]:
    return [_enclave(pid, slug(h), slug(p), d, 1.0) for pid, h, p, d in PROVINCE_PARKS]


def city_enclaves() -> list[dict]:
    return [_enclave(pid, slug(h), slug(p), d, ENCLAVE_CITY_SCALE, ex) for pid, h, p, ex, d in CITY_PARKS]


# Guarantees per province (issue 15).  Assumptions, stated so planners can change them:
# every province hosts R&D in at least one chain (BRIEF: no province is only a workshop), and
# is credited at least GUARANTEE_BASELINE_FRACTION of its share of today's value (the baseline
# layout); no province is credited more than GUARANTEE_MAX_SHARE of the area's value, soft at
# GUARANTEE_PENALTY per unit of value over.
GUARANTEE_BASELINE_FRACTION = 0.5  # measured: 0.75 costs the embedded default 3 % and 186 B&B nodes against 7
# (python benchmarks/guarantee_costs.py); half of today's share is what a planner can defend as a floor
GUARANTEE_MAX_SHARE = 0.5
GUARANTEE_PENALTY = 5.0


def province_guarantees(chains: list[dict], regs: list[Region], *, shares: bool = True) -> list[dict]:
    """R&D in one chain per province; with ``shares`` also the minimum and maximum shares.
    The embedded default keeps only the first (its solve stays well under a second)."""
    rows = baseline_rows(chains, regs, "province")
    value = {(c["id"], s["id"]): s["value_per_unit"] for c in chains for s in c["segments"]}
    prov = {r.id: r.province for r in regs}
    by_prov: dict[str, float] = {}
    for cid, sid, rid, _, a in rows:
        by_prov[prov[rid]] = by_prov.get(prov[rid], 0.0) + a * value[(cid, sid)]
    total = sum(by_prov.values())
    out = []
    for p in YRD4:
        share = by_prov.get(p, 0.0) / total
        out.append({"province": p, "measure": "min_chains", "value": 1, "kinds": ["rd"],
                    "description": f"{p} hosts R&D in at least one chain",
                    "sources": {"value": "assumption: no province is left with production only (BRIEF: core-city R&D, "
                                         "but benefit sharing, seeds 001/004)"}})
        if not shares:
            continue
        out.append({"province": p, "measure": "min_share", "value": round(math.floor(share * GUARANTEE_BASELINE_FRACTION
                                                                                     * 1000) / 1000, 3),
                    "description": f"{p} keeps at least {GUARANTEE_BASELINE_FRACTION:.0%} of its share of today's value",
                    "sources": {"value": f"assumption: {GUARANTEE_BASELINE_FRACTION} x today's share {share:.4f} "
                                         "(baseline layout, values per unit by kind), rounded down"}})
        out.append({"province": p, "measure": "max_share", "value": GUARANTEE_MAX_SHARE, "penalty": GUARANTEE_PENALTY,
                    "description": f"{p} is credited at most {GUARANTEE_MAX_SHARE:.0%} of the area's value (soft)",
                    "sources": {"value": "assumption: no province takes everything (issue 15)",
                                "penalty": f"assumption: {GUARANTEE_PENALTY} index points per unit of value over"}})
    return out


# Core cities (BRIEF: "core-city R&D, surrounding-city manufacturing"): the four capitals
# plus the sub-provincial city Ningbo and Suzhou and Wuxi (Jiangsu's largest GDPs in yrd_stats.csv).
CORE_CITIES = ["Shanghai", "Nanjing", "Suzhou (Jiangsu)", "Wuxi", "Hangzhou", "Ningbo", "Hefei"]


def _city_policy(regs: list[Region], chains: list[dict]) -> dict:
    core = {slug(c) for c in CORE_CITIES}
    forbidden = []
    for ch in chains:
        for seg in ch["segments"]:
            if seg["kind"] in ("rd", "standards", "testing"):
                forbidden += [{"chain": ch["id"], "segment": seg["id"], "region": r.id} for r in regs if r.id not in core]
            seg["sources"]["policy.forbidden"] = ("assumption: R&D, standards and testing platforms sit in the core "
                                                  f"cities {', '.join(CORE_CITIES)} (BRIEF: core-city R&D)"
                                                  if seg["kind"] in ("rd", "standards", "testing") else "none")
    return {"forbidden": forbidden}


def write(files: dict[str, str], root: Path) -> None:
    for rel, text in files.items():
        p = root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        tmp = p.with_name(f".{p.name}.tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(p)


def print_lq() -> None:
    lq = lq_table().T
    print("Location quotients, 2021 profits (seed 004 Table 1); the whole = the four provinces")
    print(lq_markdown(lq))


def lq_markdown(lq: pd.DataFrame) -> str:
    """A markdown table (industries x provinces), three decimals, LQ > 1 in bold."""
    lines = ["| industry | " + " | ".join(lq.columns) + " |", "| --- |" + " ---: |" * len(lq.columns)]
    for ind, row in lq.iterrows():
        cells = [f"**{v:.3f}**" if v > 1 else f"{v:.3f}" for v in row]
        lines.append(f"| {ind} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT, help="root under which to write (default: the repository)")
    ap.add_argument("--lq", action="store_true", help="print the provinces' location quotients and exit")
    ap.add_argument("--city-headroom", type=float, default=CITY_QUOTA_HEADROOM,
                    help="multiple of its share of the province's quotas a city may use (studies; default %(default)s)")
    a = ap.parse_args(argv)
    if a.lq:
        print_lq()
        return 0
    files = build_all(a.city_headroom)
    write(files, a.out)
    for rel in files:
        print(a.out / rel)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

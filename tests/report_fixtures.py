"""Instances for the report/maps/Excel tests, built from the boundaries the package ships.

Synthetic (assumption: test data only, no planning meaning): two chains on the 41 YRD
prefectures or on the 4 provinces + neighbouring ring; economic distance = great-circle km / 60
km/h.  Region ids deliberately mix styles (adcode, pinyin with province suffix) so that the
maps' matching by adcode / name_zh / name_en is exercised.
"""

from __future__ import annotations

import math
from pathlib import Path

from yrdopt.io import load_instance
from yrdopt.report.geo import load_shapes

ROOT = Path(__file__).resolve().parent.parent
_ABBR = {"Shanghai": "sh", "Jiangsu": "js", "Zhejiang": "zj", "Anhui": "ah"}
YRD = ("Shanghai", "Jiangsu", "Zhejiang", "Anhui")


def _hours(a, b) -> float:
    lon1, lat1, lon2, lat2 = map(math.radians, (*a, *b))
    h = math.sin((lat2 - lat1) / 2) ** 2 + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    return round(2 * 6371.0088 * math.asin(math.sqrt(h)) / 60.0 + 0.5, 4)  # +0.5 h handling inside a region


def _chains():
    return [
        {"id": "ic", "name_en": "integrated circuits", "name_zh": "集成电路", "segments": [
            {"id": "design", "kind": "rd", "activity": 10, "single_site": True, "resource_use": {"talent": 1.0},
             "fixed_cost": 5},
            {"id": "fab", "kind": "manufacturing", "activity": 30, "resource_use": {"land": 1.0, "energy": 2.0},
             "fixed_cost": 20, "min_scale": 10},
            {"id": "testing", "kind": "testing", "activity": 10, "single_site": True, "resource_use": {"land": 0.2},
             "fixed_cost": 3}],
         "links": [{"from": "design", "to": "fab", "volume_per_unit": 1.0},
                   {"from": "fab", "to": "testing", "volume_per_unit": 0.5}]},
        {"id": "nev", "name_en": "new-energy vehicles", "name_zh": "新能源汽车", "segments": [
            {"id": "rd", "kind": "rd", "activity": 8, "single_site": True, "resource_use": {"talent": 1.0},
             "fixed_cost": 5},
            {"id": "battery", "kind": "manufacturing", "activity": 25, "resource_use": {"land": 1.0, "energy": 1.5},
             "fixed_cost": 15, "min_scale": 10},
            {"id": "assembly", "kind": "manufacturing", "activity": 25, "resource_use": {"land": 1.5},
             "fixed_cost": 15, "min_scale": 10}],
         "links": [{"from": "rd", "to": "battery", "volume_per_unit": 1.0},
                   {"from": "battery", "to": "assembly", "volume_per_unit": 1.0}]},
    ]


def _instance(name: str, regions: list[dict], points: dict[str, tuple[float, float]]) -> dict:
    ids = [r["id"] for r in regions]
    values = [[_hours(points[a], points[b]) if a != b else 0.5 for b in ids] for a in ids]
    chains = _chains()
    # comparative advantage: site cost rises with the distance from Shanghai's seat (assumption)
    sh = points[ids[0]]
    for c in chains:
        for s in c["segments"]:
            s["site_cost"] = {rid: round(0.05 * _hours(points[rid], sh), 4) for rid in ids}
    return {
        "name": name,
        "description": "synthetic test instance for reports (assumption: test data only)",
        "resources": [{"id": "land", "unit": "km2"}, {"id": "energy", "unit": "PJ"}, {"id": "talent", "unit": "k people"}],
        "regions": regions,
        "chains": chains,
        "economic_distance": {"matrix": {"regions": ids, "values": values}},
        "weights": {"distance": 0.05, "site_cost": 1, "fixed_cost": 1, "duplication": 1, "expansion": 1},
    }


def city_instance_dict() -> dict:
    shapes = sorted(load_shapes("city"), key=lambda s: (s.adcode != "310000", s.adcode))
    regions, points = [], {}
    for k, s in enumerate(shapes):
        # every third city by adcode, the others by pinyin + province: both must match
        rid = f"cn{s.adcode}" if k % 3 == 0 else f"{s.name_en.lower()}_{_ABBR[s.province]}"
        lon, lat = s.anchor
        regions.append({"id": rid, "name_en": s.name_en, "name_zh": s.name_zh, "province": s.province,
                        "kind": "city", "lon": lon, "lat": lat,
                        "quotas": {"land": 40.0, "energy": 50.0, "talent": 12.0 if k < 12 else 0.0},
                        "sources": {"quotas": "assumption: test data"}})
        points[rid] = (lon, lat)
    regions[3]["expansions"] = [{"id": "park", "fixed_cost": 4.0, "extra_quota": {"land": 20.0}}]
    return _instance("test-yrd-cities", regions, points)


def province_instance_dict(outer: bool = False) -> dict:
    shapes = [s for s in load_shapes("province") if outer or s.name_en in YRD]
    shapes.sort(key=lambda s: (s.name_en not in YRD, YRD.index(s.name_en) if s.name_en in YRD else s.adcode))
    regions, points = [], {}
    for s in shapes:
        inside = s.name_en in YRD
        rid = s.name_en.lower()
        lon, lat = s.anchor
        regions.append({"id": rid, "name_en": s.name_en, "name_zh": s.name_zh, "province": s.name_en,
                        "kind": "province" if inside else "outer", "lon": lon, "lat": lat,
                        "quotas": {"land": 60.0, "energy": 80.0, "talent": 20.0 if inside else 0.0}})
        points[rid] = (lon, lat)
    return _instance("test-yrd-outer" if outer else "test-yrd-provinces", regions, points)


def city_instance():
    """The project's 41-city instance when the instances work has shipped it, else the synthetic one."""
    real = ROOT / "instances" / "yrd-cities.yaml"
    return load_instance(real) if real.exists() else load_instance(city_instance_dict())


def synthetic_city_instance():
    return load_instance(city_instance_dict())

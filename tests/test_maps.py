"""Maps: the colours drawn at each region's interior point are the colours its placements call for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from report_fixtures import ROOT, city_instance_dict, province_instance_dict
from yrdopt.io import default_instance_path, load_instance
from yrdopt.report import maps
from yrdopt.report.geo import match_regions


@pytest.fixture(scope="module")
def city():
    return load_instance(city_instance_dict())


def _id(inst, name_en, province):
    return next(r.id for r in inst.regions if r.name_en == name_en and r.province == province)


def _layout(rows):
    return pd.DataFrame([{"chain": c, "segment": s, "kind": "", "region": r, "sited": True, "activity": a}
                         for c, s, r, a in rows])


@pytest.fixture(scope="module")
def known_layout(city):
    g = lambda n, p: _id(city, n, p)  # noqa: E731
    # the namesakes (Suzhou JS/AH, Taizhou JS/ZJ) host different things: a wrong match shows
    return _layout([
        ("ic", "design", g("Shanghai", "Shanghai"), 10),
        ("ic", "fab", g("Suzhou", "Anhui"), 15), ("ic", "fab", g("Hefei", "Anhui"), 15),
        ("ic", "testing", g("Suzhou", "Jiangsu"), 10),
        ("ic", "fab", g("Suzhou", "Jiangsu"), 0.0),  # an unsited row must not colour anything
        ("nev", "rd", g("Hangzhou", "Zhejiang"), 8),
        ("nev", "battery", g("Taizhou", "Jiangsu"), 25),
        ("nev", "assembly", g("Taizhou", "Zhejiang"), 12), ("nev", "assembly", g("Hangzhou", "Zhejiang"), 13),
    ]).assign(sited=lambda d: d["activity"] > 0)


def _expected_by_chain(inst, layout):
    """Region -> category, straight from the layout: the one segment hosted, 'several' or 'none'."""
    placed = layout[layout["sited"]]
    out = {}
    for c in inst.chains:
        for r in inst.regions:
            segs = set(placed[(placed["chain"] == c.id) & (placed["region"] == r.id)]["segment"])
            out[(c.id, r.id)] = "none" if not segs else segs.pop() if len(segs) == 1 else "several"
    return out


def _sample(fig, anchors: dict[str, tuple[float, float]]):
    """RGB drawn at each region's anchor, per axes."""
    img = maps.figure_array(fig)
    h = img.shape[0]
    out = []
    for ax in fig.axes:
        got = {}
        for rid, (lon, lat) in anchors.items():
            row, col = maps.pixel_of(ax, lon, lat, h)
            got[rid] = img[row, col, :3].astype(int)
        out.append(got)
    return out


def _anchors(inst):
    return {rid: g.anchor for rid, g in match_regions(inst).items()}


def test_city_map_colours_follow_the_layout(city, known_layout):
    fig = maps.layout_map(city, known_layout, by="chain", show_flows=False, labels=False, legend=False)
    panels = maps.layout_panels(city, known_layout, by="chain")
    expected = _expected_by_chain(city, known_layout)
    sampled = _sample(fig, _anchors(city))
    assert len(sampled) == len(city.chains) == len(panels)
    seen = set()
    for chain, panel, got in zip(city.chains, panels, sampled):
        for r in city.regions:
            cat = expected[(chain.id, r.id)]
            want = maps.rgb(panel.colours[cat])
            assert np.abs(got[r.id] - want).max() <= 3, (chain.id, r.id, r.name_en, cat, got[r.id], want)
            seen.add((chain.id, cat))
    # the check is not vacuous: single hosts, several and none all appear
    assert {("ic", "design"), ("nev", "several"), ("ic", "fab"), ("ic", "testing"), ("nev", "battery"), ("ic", "none")} <= seen


def test_kind_panels_colour_by_chain(city, known_layout):
    fig = maps.layout_map(city, known_layout, by="kind", show_flows=False, labels=False, legend=False)
    panels = maps.layout_panels(city, known_layout, by="kind")
    kind_of = {(c.id, s.id): s.kind for c in city.chains for s in c.segments}
    placed = known_layout[known_layout["sited"]]
    sampled = _sample(fig, _anchors(city))
    assert [p.key for p in panels] == ["rd", "manufacturing", "testing"]
    for panel, got in zip(panels, sampled):
        for r in city.regions:
            chains = {c for c, s, reg in zip(placed["chain"], placed["segment"], placed["region"])
                      if reg == r.id and kind_of[(c, s)] == panel.key}
            cat = "none" if not chains else chains.pop() if len(chains) == 1 else "several"
            assert np.abs(got[r.id] - maps.rgb(panel.colours[cat])).max() <= 3, (panel.key, r.name_en, cat)


@pytest.mark.parametrize("outer", [False, True])
def test_province_level_and_outer_ring(outer):
    inst = load_instance(province_instance_dict(outer=outer))
    geo = match_regions(inst)
    assert all(g.shape is not None and g.shape.level == "province" for g in geo.values())
    assert {g.shape.name_en for g in geo.values()} == {r.name_en for r in inst.regions}
    rows = [("ic", "design", "shanghai", 10), ("ic", "fab", "anhui", 30), ("ic", "testing", "jiangsu", 10),
            ("nev", "rd", "zhejiang", 8), ("nev", "battery", "anhui", 25), ("nev", "assembly", "anhui", 25)]
    if outer:
        rows += [("ic", "fab", "hubei", 0.0), ("nev", "battery", "henan", 5.0)]
    layout = _layout(rows).assign(sited=lambda d: d["activity"] > 0)
    fig = maps.layout_map(inst, layout, by="chain", show_flows=False, labels=False, legend=False)
    panels = maps.layout_panels(inst, layout, by="chain")
    expected = _expected_by_chain(inst, layout)
    for chain, panel, got in zip(inst.chains, panels, _sample(fig, _anchors(inst))):
        for r in inst.regions:
            want = maps.rgb(panel.colours[expected[(chain.id, r.id)]])
            assert np.abs(got[r.id] - want).max() <= 3, (chain.id, r.id)
    frame = maps.map_frame(inst)
    context = {s.name_en for s in frame.context}
    # without the outer regions the ring is drawn as context; with them it is part of the map
    assert context == (set() if outer else {"Shandong", "Henan", "Hubei", "Jiangxi", "Fujian", "Hunan"})
    if outer:
        x0, x1, y0, y1 = frame.extent
        assert all(x0 < g.anchor[0] < x1 and y0 < g.anchor[1] < y1 for g in geo.values())


def test_matching_by_adcode_names_and_points_fallback():
    inst = load_instance(city_instance_dict())
    geo = match_regions(inst)
    for r in inst.regions:
        g = geo[r.id]
        assert g.shape is not None, r.id
        assert (g.shape.name_zh, g.shape.province) == (r.name_zh, r.province)
    assert {g.matched_by for g in geo.values()} >= {"adcode", "name_zh"}
    # English names only: the province tells the namesakes apart; an unknown place falls back to its point
    regions = [{"id": f"r{k}", "name_en": n, "province": p, "kind": "city", "lon": lon, "lat": lat}
               for k, (n, p, lon, lat) in enumerate([("Suzhou", "Anhui", 0, 0), ("Suzhou", "Jiangsu", 0, 0),
                                                    ("Taizhou", "Zhejiang", 0, 0), ("Lu'an", "Anhui", 0, 0),
                                                    ("Atlantis", "Jiangsu", 119.0, 33.0)])]
    for r in regions:
        if r["name_en"] != "Atlantis":
            del r["lon"], r["lat"]
    small = _tiny_instance(regions)
    geo = match_regions(small)
    assert geo["r0"].shape.adcode == "341300" and geo["r1"].shape.adcode == "320500"
    assert geo["r2"].shape.adcode == "331000" and geo["r3"].shape.adcode == "341500"
    assert geo["r4"].shape is None and geo["r4"].matched_by == "point"
    layout = _layout([("c", "a", "r4", 1.0), ("c", "b", "r0", 1.0)])
    fig = maps.layout_map(small, layout, show_flows=False, labels=False, legend=False)
    panel = maps.layout_panels(small, layout)[0]
    got = _sample(fig, {"r4": (119.0, 33.0), "r0": geo["r0"].anchor})[0]
    assert np.abs(got["r4"] - maps.rgb(panel.colours["a"])).max() <= 3  # the point has the segment's colour
    assert np.abs(got["r0"] - maps.rgb(panel.colours["b"])).max() <= 3


def _tiny_instance(regions):
    ids = [r["id"] for r in regions]
    return load_instance({
        "name": "tiny", "regions": regions,
        "chains": [{"id": "c", "segments": [{"id": "a", "activity": 1}, {"id": "b", "activity": 1}],
                    "links": [{"from": "a", "to": "b", "volume_per_unit": 1}]}],
        "economic_distance": {"matrix": {"regions": ids, "values": [[1.0] * len(ids) for _ in ids]}},
    })


def test_flow_lines_width_is_volume(city, known_layout):
    g = lambda n, p: _id(city, n, p)  # noqa: E731
    flows = pd.DataFrame([
        ("ic", "design", "fab", g("Shanghai", "Shanghai"), g("Hefei", "Anhui"), 15.0),
        ("ic", "design", "fab", g("Shanghai", "Shanghai"), g("Suzhou", "Anhui"), 5.0),
        ("ic", "fab", "testing", g("Hefei", "Anhui"), g("Suzhou", "Jiangsu"), 7.5),
        ("ic", "fab", "testing", g("Suzhou", "Anhui"), g("Suzhou", "Jiangsu"), 2.5),
        ("nev", "rd", "battery", g("Hangzhou", "Zhejiang"), g("Taizhou", "Jiangsu"), 8.0),
        ("nev", "battery", "assembly", g("Taizhou", "Jiangsu"), g("Hangzhou", "Zhejiang"), 13.0),
        ("nev", "battery", "assembly", g("Taizhou", "Jiangsu"), g("Taizhou", "Zhejiang"), 12.0),
        ("nev", "battery", "assembly", g("Hangzhou", "Zhejiang"), g("Hangzhou", "Zhejiang"), 1.0),  # inside: not drawn
    ], columns=["chain", "from_segment", "to_segment", "from_region", "to_region", "volume"])
    fig = maps.layout_map(city, known_layout, flows, by="chain", labels=False)
    geo = match_regions(city)
    vmax = 15.0
    for ax, chain in zip(fig.axes, ["ic", "nev"]):
        lc = [c for c in ax.collections if c.get_gid() == "flows"]
        assert len(lc) == 1
        drawn = {}
        for seg, w in zip(lc[0].get_segments(), np.broadcast_to(lc[0].get_linewidths(), (len(lc[0].get_segments()),))):
            drawn[(tuple(np.round(seg[0], 6)), tuple(np.round(seg[1], 6)))] = w
        f = flows[(flows["chain"] == chain) & (flows["from_region"] != flows["to_region"])]
        want = f.groupby(["from_region", "to_region"])["volume"].sum()
        assert len(drawn) == len(want)
        for (a, b), v in want.items():
            key = (tuple(np.round(geo[a].flow_end, 6)), tuple(np.round(geo[b].flow_end, 6)))
            assert drawn[key] == pytest.approx(0.6 + 5.4 * v / vmax)


def test_comparison_map_shows_moves(city, known_layout):
    g = lambda n, p: _id(city, n, p)  # noqa: E731
    after = known_layout.copy()
    after.loc[after["region"] == g("Hefei", "Anhui"), "region"] = g("Wuhu", "Anhui")    # fab moves Hefei -> Wuhu
    after.loc[(after["segment"] == "design"), "region"] = g("Nanjing", "Jiangsu")        # design Shanghai -> Nanjing
    after = pd.concat([after, _layout([("ic", "fab", g("Shanghai", "Shanghai"), 1.0)])])  # Shanghai: lost + gained
    moved = maps.moved_placements(known_layout, after)
    assert set(zip(moved["chain"], moved["segment"])) == {("ic", "fab"), ("ic", "design")}
    fig = maps.comparison_map(city, known_layout, after, labels=False, arrows=False, legend=False)
    got = _sample(fig, _anchors(city))[0]
    want = {g("Hefei", "Anhui"): maps.LOST, g("Wuhu", "Anhui"): maps.GAINED, g("Nanjing", "Jiangsu"): maps.GAINED,
            g("Shanghai", "Shanghai"): maps.BOTH, g("Taizhou", "Jiangsu"): maps.KEPT, g("Lishui", "Zhejiang"): maps.NONE}
    for rid, cat in want.items():
        assert np.abs(got[rid] - maps.rgb(maps.COMPARISON_COLOURS[cat])).max() <= 3, (rid, cat)


def test_shipped_instances_match_polygons():
    paths = [default_instance_path(), *sorted((ROOT / "instances").glob("yrd-*.yaml"))]
    for p in paths:
        inst = load_instance(p)
        geo = match_regions(inst)
        missing = [r for r, g in geo.items() if g.shape is None]
        assert not missing, (Path(p).name, missing)
        assert len({id(g.shape) for g in geo.values()}) == len(geo)  # one polygon per region

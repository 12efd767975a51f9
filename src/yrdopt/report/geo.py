"""Boundaries the maps draw, and matching an instance's regions to them.

Two layers ship with the package (``yrdopt/data/geo``, provenance and licence in its README):
the 41 YRD prefectures and the ten provinces of the YRD and its neighbouring ring.  Regions
are matched to polygons by an adcode-like id, then by Chinese name, then by English name (with
the province to tell the two Suzhous and the two Taizhous apart), then by the id read as a
name.  A region that matches no polygon is drawn as a point at its lon/lat; one without
coordinates either is listed as "not drawn".
"""

from __future__ import annotations

import json
import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources as _res
from pathlib import Path

import numpy as np
from matplotlib.path import Path as MplPath

from ..schema import Instance, Region

LAYER_FILES = {"city": "yrd_prefectures.geojson", "province": "provinces.geojson"}


@dataclass(frozen=True, eq=False)
class Shape:
    """One administrative area: its rings (exterior and holes) in lon/lat degrees."""

    adcode: str
    name_zh: str
    name_en: str
    province: str
    level: str  # "city" or "province"
    rings: tuple[np.ndarray, ...] = field(repr=False)
    stored_anchor: tuple[float, float] | None = None  # precomputed by geo_build

    @property
    def path(self) -> MplPath:
        """One compound path; even-odd filling makes holes holes."""
        return _compound_path(self)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        pts = np.concatenate(self.rings)
        return float(pts[:, 0].min()), float(pts[:, 1].min()), float(pts[:, 0].max()), float(pts[:, 1].max())

    def contains(self, lon: float, lat: float) -> bool:
        return bool(_contains(self, np.array([[lon, lat]]))[0])

    @property
    def anchor(self) -> tuple[float, float]:
        """An interior point far from every edge (labels, colour sampling in tests)."""
        return self.stored_anchor or interior_point(self)


@lru_cache(maxsize=None)
def _compound_path(shape: Shape) -> MplPath:
    verts, codes = [], []
    for ring in shape.rings:
        verts.append(ring)
        c = np.full(len(ring), MplPath.LINETO, dtype=MplPath.code_type)
        c[0] = MplPath.MOVETO
        c[-1] = MplPath.CLOSEPOLY
        codes.append(c)
    return MplPath(np.concatenate(verts), np.concatenate(codes))


def _contains(shape: Shape, pts: np.ndarray) -> np.ndarray:
    # even-odd rule over all rings: inside an odd number of rings = inside the area
    inside = np.zeros(len(pts), dtype=int)
    for ring in shape.rings:
        inside += MplPath(ring).contains_points(pts)
    return inside % 2 == 1


@lru_cache(maxsize=None)
def interior_point(shape: Shape) -> tuple[float, float]:
    # pole of inaccessibility on a grid over the largest ring: the inside point whose
    # distance to the nearest edge is largest (a centroid can fall outside a crescent)
    ring = max(shape.rings, key=lambda r: _ring_area(r))
    x0, y0 = ring.min(axis=0)
    x1, y1 = ring.max(axis=0)
    n = 48
    gx, gy = np.meshgrid(np.linspace(x0, x1, n), np.linspace(y0, y1, n))
    pts = np.column_stack([gx.ravel(), gy.ravel()])
    pts = pts[_contains(shape, pts)]
    if len(pts) == 0:
        c = ring.mean(axis=0)
        return float(c[0]), float(c[1])
    a = np.concatenate([r[:-1] for r in shape.rings])
    b = np.concatenate([r[1:] for r in shape.rings])
    d = _point_segment_distance(pts, a, b).min(axis=1)
    k = int(np.argmax(d))
    return float(pts[k, 0]), float(pts[k, 1])


def _ring_area(ring: np.ndarray) -> float:
    x, y = ring[:, 0], ring[:, 1]
    return 0.5 * abs(float(np.dot(x[:-1], y[1:]) - np.dot(x[1:], y[:-1])))


def _point_segment_distance(p: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(P, M) distances from P points to M segments a->b (whole arrays, no loops)."""
    ab = b - a
    ap = p[:, None, :] - a[None, :, :]
    denom = np.maximum((ab ** 2).sum(axis=1), 1e-18)
    t = np.clip((ap * ab[None]).sum(axis=2) / denom, 0.0, 1.0)
    closest = a[None] + t[..., None] * ab[None]
    return np.hypot(*(p[:, None, :] - closest).transpose(2, 0, 1))


def geo_dir() -> Path:
    return Path(str(_res.files("yrdopt") / "data" / "geo"))


@lru_cache(maxsize=None)
def load_shapes(level: str) -> tuple[Shape, ...]:
    """The shipped polygons of one level: ``"city"`` (41 prefectures) or ``"province"`` (10)."""
    if level not in LAYER_FILES:
        raise ValueError(f"level must be one of {sorted(LAYER_FILES)}, got {level!r}")
    g = json.loads((geo_dir() / LAYER_FILES[level]).read_text(encoding="utf-8"))
    out = []
    for f in g["features"]:
        p = f["properties"]
        geom = f["geometry"]
        polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        rings = tuple(np.asarray(r, dtype=float) for poly in polys for r in poly)
        anchor = tuple(p["anchor"]) if p.get("anchor") else None
        out.append(Shape(adcode=str(p["adcode"]), name_zh=p.get("name_zh", ""), name_en=p.get("name_en", ""),
                         province=p.get("province", p.get("name_en", "")), level=level, rings=rings,
                         stored_anchor=anchor))
    return tuple(out)


# ---------------------------------------------------------------------------- matching
_SUFFIXES_ZH = ("特别行政区", "自治区", "省", "市", "地区")
_SUFFIXES_EN = (" city", " shi", " province", " sheng", " municipality")


def norm_name(text: str) -> str:
    """Compare names loosely: case, spaces, apostrophes, 市/省 and city/province suffixes."""
    t = unicodedata.normalize("NFKC", str(text or "")).strip().lower()
    for suf in _SUFFIXES_ZH:
        if t.endswith(suf) and len(t) > len(suf) + 1:
            t = t[: -len(suf)]
    for suf in _SUFFIXES_EN:
        if t.endswith(suf):
            t = t[: -len(suf)]
    return re.sub(r"[\s'’`\-_.]", "", t)


# pinyin spellings that differ between sources (六安 Lu'an / Liuan, 淮安 Huai'an / Huaian)
_EN_ALIASES = {"luan": "liuan"}


def _en_key(text: str) -> str:
    k = norm_name(text)
    return _EN_ALIASES.get(k, k)


def _province_keys() -> dict[str, str]:
    """Any spelling of a province (English, Chinese, adcode prefix) -> its English key."""
    out: dict[str, str] = {}
    for s in load_shapes("province"):
        en = _en_key(s.name_en)
        out[en] = en
        out[norm_name(s.name_zh)] = en
        out[s.adcode[:2]] = en
    return out


@dataclass(frozen=True)
class RegionGeo:
    """Where a region is drawn: a polygon, or a point, or nowhere."""

    region_id: str
    shape: Shape | None
    point: tuple[float, float] | None  # the region's own lon/lat when given
    matched_by: str  # "adcode", "name_zh", "name_en", "id", "point" or "none"

    @property
    def anchor(self) -> tuple[float, float] | None:
        """Where labels and colour samples go: inside the polygon, else the point."""
        if self.shape is not None:
            return self.shape.anchor
        return self.point

    @property
    def flow_end(self) -> tuple[float, float] | None:
        """Where flow lines start and end: the seat (lon/lat) when it lies in the polygon."""
        if self.point is not None and (self.shape is None or self.shape.contains(*self.point)):
            return self.point
        return self.anchor


def match_regions(inst: Instance) -> dict[str, RegionGeo]:
    """Match every region of ``inst`` to a shipped polygon (or a point); see the module doc."""
    prov = _province_keys()
    layers = {lvl: load_shapes(lvl) for lvl in LAYER_FILES}
    used: set[int] = set()
    out: dict[str, RegionGeo] = {}
    for r in inst.regions:
        order = ("city", "province") if r.kind == "city" else ("province", "city")
        shape, how = None, "none"
        for lvl in order:
            shape, how = _match_one(r, layers[lvl], prov, used)
            if shape is not None:
                break
        if shape is not None:
            used.add(id(shape))
        point = (float(r.lon), float(r.lat)) if r.lon is not None and r.lat is not None else None
        if shape is None and point is not None:
            how = "point"
        out[r.id] = RegionGeo(r.id, shape, point, how)
    return out


def _match_one(r: Region, shapes: tuple[Shape, ...], prov: dict[str, str], used: set[int]) -> tuple[Shape | None, str]:
    free = [s for s in shapes if id(s) not in used]
    r_prov = prov.get(norm_name(r.province), _en_key(r.province))

    def same_province(s: Shape) -> bool:
        return s.level == "province" or prov.get(_en_key(s.province), _en_key(s.province)) == r_prov

    # 1. an adcode inside the id ("320500", "cn-320500", "js_320500"); 2-digit province codes too
    digits = re.findall(r"(?<!\d)(\d{6}|\d{2})(?!\d)", r.id)
    for d in digits:
        code = d if len(d) == 6 else d + "0000"
        hit = [s for s in free if s.adcode == code]
        if hit:
            return hit[0], "adcode"
    # 2. Chinese name
    if r.name_zh:
        key = norm_name(r.name_zh)
        hit = [s for s in free if norm_name(s.name_zh) == key]
        if len(hit) > 1:
            hit = [s for s in hit if same_province(s)] or hit
        if hit:
            return hit[0], "name_zh"
    # 3. English name, the province telling namesakes apart (Suzhou, Taizhou)
    for text, how in ((r.name_en, "name_en"), (r.id, "id")):
        key = _en_key(text)
        hit = [s for s in free if _en_key(s.name_en) == key]
        if not hit and how == "id":
            # ids such as "suzhou_js", "taizhou-zj", "suzhou_anhui": drop a province suffix
            m = re.match(r"^(.+?)[_\-.](\w+)$", text.strip().lower())
            if m and (prov.get(norm_name(m.group(2))) or _PROV_ABBR.get(m.group(2))):
                key = _en_key(m.group(1))
                r_prov = prov.get(norm_name(m.group(2))) or _PROV_ABBR[m.group(2)]
                hit = [s for s in free if _en_key(s.name_en) == key]
        if len(hit) > 1:
            hit = [s for s in hit if same_province(s)]
            if len(hit) != 1:
                continue  # ambiguous: do not guess
        if hit:
            return hit[0], how
    return None, "none"


_PROV_ABBR = {"sh": "shanghai", "js": "jiangsu", "zj": "zhejiang", "ah": "anhui", "sd": "shandong",
              "hen": "henan", "hb": "hubei", "jx": "jiangxi", "fj": "fujian", "hun": "hunan"}

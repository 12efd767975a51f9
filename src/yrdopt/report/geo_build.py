"""Regenerate the boundaries shipped in ``yrdopt/data/geo`` from the project's reference copy.

The maps need two layers only: the 41 YRD prefectures and the ten provinces of the YRD and
its neighbours (Shanghai, Jiangsu, Zhejiang, Anhui + Shandong, Henan, Hubei, Jiangxi, Fujian,
Hunan).  The reference GeoJSON (decoded from cn-atlas 0.1.2, see the README there) is already
simplified; we round to 1e-3 degree (about 100 m) and drop points with Douglas-Peucker at
``tol`` = 0.01 degree (about 1 km, one pixel at report size), which keeps the files small enough to ship in the wheel while staying
far below one pixel on a report-sized map.

    python -m yrdopt.report.geo_build /work/shared/data/geo src/yrdopt/data/geo
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np

from .geo import Shape, interior_point

LAYERS = {
    "yrd_prefectures.geojson": "yrd_prefectures.geojson",
    "yrd_and_neighbour_provinces.geojson": "provinces.geojson",
}


def _douglas_peucker(pts: np.ndarray, tol: float) -> np.ndarray:
    """Keep-mask of a polyline simplified with tolerance ``tol`` (iterative, no recursion limit)."""
    keep = np.zeros(len(pts), dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, len(pts) - 1)]
    while stack:
        a, b = stack.pop()
        if b <= a + 1:
            continue
        seg = pts[b] - pts[a]
        rel = pts[a + 1:b] - pts[a]
        norm = float(np.hypot(*seg))
        if norm == 0.0:
            d = np.hypot(rel[:, 0], rel[:, 1])
        else:
            d = np.abs(seg[0] * rel[:, 1] - seg[1] * rel[:, 0]) / norm
        k = int(np.argmax(d))
        if d[k] > tol:
            m = a + 1 + k
            keep[m] = True
            stack += [(a, m), (m, b)]
    return keep


def simplify_ring(ring: list, tol: float) -> list | None:
    pts = np.round(np.asarray(ring, dtype=float), 3)
    # drop consecutive duplicates created by rounding
    pts = pts[np.r_[True, np.any(np.diff(pts, axis=0) != 0, axis=1)]]
    if len(pts) < 4:
        return None
    # split the closed ring at its farthest point so both halves are open polylines
    far = int(np.argmax(np.hypot(*(pts - pts[0]).T)))
    keep = np.concatenate([_douglas_peucker(pts[:far + 1], tol)[:-1], _douglas_peucker(pts[far:], tol)])
    out = pts[keep]
    if len(out) < 4:
        return None
    out[-1] = out[0]
    return out.tolist()


def simplify_geometry(geom: dict, tol: float) -> dict:
    polys = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
    out = []
    for poly in polys:
        rings = [simplify_ring(r, tol) for r in poly]
        if rings and rings[0] is not None:
            out.append([r for r in rings if r is not None])
    return {"type": "MultiPolygon", "coordinates": out}


def build(src: Path, dst: Path, tol: float = 0.01) -> None:
    dst.mkdir(parents=True, exist_ok=True)
    for src_name, dst_name in LAYERS.items():
        g = json.loads((src / src_name).read_text(encoding="utf-8"))
        feats = []
        for f in g["features"]:
            geom = simplify_geometry(f["geometry"], tol)
            rings = tuple(np.asarray(r) for poly in geom["coordinates"] for r in poly)
            probe = Shape("", "", "", "", "", rings)
            # label/sample point stored so that maps do not search for it at run time
            props = {**f["properties"], "anchor": [round(v, 4) for v in interior_point(probe)]}
            feats.append({"type": "Feature", "properties": props, "geometry": geom})
        text = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False,
                          separators=(",", ":"))
        (dst / dst_name).write_text(text, encoding="utf-8")


if __name__ == "__main__":
    build(Path(sys.argv[1]), Path(sys.argv[2]))

"""Converter: OR-Library capacitated warehouse location (CFLP, multi-source) as yrdopt instances.

cap file format (token-wise): m n; m pairs "capacity fixed_cost"; then per customer j:
demand d_j followed by m costs c_ij of serving ALL of j's demand from warehouse i (a
fraction x_ij costs c_ij * x_ij).  As a yrdopt instance: warehouses are regions with a
"capacity" quota of 0 and one expansion ``open`` (fixed cost f_i, extra quota cap_i);
customers are split segments with activity d_j, capacity use 1 per unit and
``site_cost = c_ij / d_j`` per unit; no links, so the distance term is empty.  The
weighted objective (site cost + expansion) is then the CFLP objective and its optimum is
the published multi-source optimum (OR-Library capopt.txt).
Files copied from ../shared/benchmarks/cap (OR-Library, J.E. Beasley; see its README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_cap_file(path: str | Path) -> dict:
    tok = iter(Path(path).read_text().split())
    m, n = int(next(tok)), int(next(tok))
    cap, fixed = np.zeros(m), np.zeros(m)
    for i in range(m):
        cap[i], fixed[i] = float(next(tok)), float(next(tok))
    demand, cost = np.zeros(n), np.zeros((m, n))
    for j in range(n):
        demand[j] = float(next(tok))
        cost[:, j] = [float(next(tok)) for _ in range(m)]
    return {"m": m, "n": n, "capacity": cap, "fixed_cost": fixed, "demand": demand, "cost": cost}


def cap_instance(problem: dict, name: str) -> dict:
    m, n = problem["m"], problem["n"]
    ids = [f"w{i + 1}" for i in range(m)]
    regions = [{"id": w, "name_en": f"warehouse {i + 1}", "province": "all", "kind": "city",
                "quotas": {"capacity": 0.0},
                "expansions": [{"id": "open", "fixed_cost": float(problem["fixed_cost"][i]),
                                "extra_quota": {"capacity": float(problem["capacity"][i])}}]}
               for i, w in enumerate(ids)]
    d = problem["demand"]
    segments = [{"id": f"customer{j + 1}", "activity": float(d[j]), "resource_use": {"capacity": 1.0},
                 "site_cost": {w: float(problem["cost"][i, j] / d[j]) for i, w in enumerate(ids)}}
                for j in range(n)]
    return {
        "name": name,
        "description": "OR-Library capacitated warehouse location, multi-source (capopt.txt optimum)",
        "resources": [{"id": "capacity"}],
        "regions": regions,
        "chains": [{"id": "customers", "segments": segments}],
        "economic_distance": {"matrix": {"regions": ids, "values": [[0.0] * m for _ in range(m)]}},
        "weights": {"distance": 0, "site_cost": 1, "fixed_cost": 0, "duplication": 0, "expansion": 1},
    }

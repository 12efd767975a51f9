"""Converter: OR-Library generalized assignment problems as yrdopt instances.

GAP file format (token-wise): P; per problem: m n; cost c[i][j] (m rows of n);
resource a[i][j] (m rows); capacity b[i] (m values).  As a yrdopt instance: agents are
regions with one resource ("capacity") capped at b[i]; jobs are single-site segments of
activity 1 with unit site cost c[i][j] and per-region resource use a[i][j]; no links, so
the distance term is empty.  Minimising then gives the GAP minimisation optimum.
Files copied from ../shared/benchmarks/gap (OR-Library, J.E. Beasley; see README).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_gap_file(path: str | Path) -> list[dict]:
    tok = iter(Path(path).read_text().split())
    n_problems = int(next(tok))
    problems = []
    for _ in range(n_problems):
        m, n = int(next(tok)), int(next(tok))
        c = np.array([float(next(tok)) for _ in range(m * n)]).reshape(m, n)
        a = np.array([float(next(tok)) for _ in range(m * n)]).reshape(m, n)
        b = np.array([float(next(tok)) for _ in range(m)])
        problems.append({"m": m, "n": n, "cost": c, "use": a, "capacity": b})
    return problems


def gap_instance(problem: dict, name: str) -> dict:
    m, n = problem["m"], problem["n"]
    regions = [{"id": f"agent{i + 1}", "name_en": f"agent {i + 1}", "province": "all", "kind": "city",
                "quotas": {"capacity": float(problem["capacity"][i])}} for i in range(m)]
    segments = [{
        "id": f"job{j + 1}",
        "activity": 1.0,
        "single_site": True,
        "site_cost": {f"agent{i + 1}": float(problem["cost"][i, j]) for i in range(m)},
        "resource_use_by_region": {f"agent{i + 1}": {"capacity": float(problem["use"][i, j])} for i in range(m)},
    } for j in range(n)]
    return {
        "name": name,
        "description": "OR-Library generalized assignment problem (minimisation)",
        "resources": [{"id": "capacity"}],
        "regions": regions,
        "chains": [{"id": "jobs", "segments": segments}],
        "economic_distance": {"matrix": {"regions": [r["id"] for r in regions], "values": [[0.0] * m for _ in range(m)]}},
        "weights": {"distance": 1, "site_cost": 1, "fixed_cost": 0, "duplication": 0, "expansion": 0},
    }

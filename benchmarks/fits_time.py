"""What one ``lns.fits`` call and one layout's cost take (issue 13): the check a sweep runs on every
earlier layout of its chunk (``ScenarioSolver._from_pool``) and the LNS on every layout it
composes, as it was (``before``: ``abs(A)`` rebuilt and every row's size computed on every call,
``np.dot`` for the cost) against now (``lns.fits``: a row-major copy of each matrix made once,
row sizes only for rows that miss by more than the tolerance; ``lns.cost_of``), in one process,
calls interleaved so both see the same load.

    python benchmarks/fits_time.py [--repeats 200] [--json benchmarks/results/fits-time.json]

Cases: the shipped yrd-cities and the generated 41x30x4 (seed 1), each with a layout that fits
(the greedy's, else ``construct``'s) and the same layout against the model with every quota cut
by 10 % (a pool layout that breaks the next scenario).  ``cold`` is the first call on a new matrix
(a sweep scenario whose patch changed coefficients pays it once), ``warm`` the median of the rest.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, loadavg, machine, write_json  # noqa: E402
from run import instance_file  # noqa: E402

REPO = ROOT.parent


def fits_before(cm, x: np.ndarray, tol: float = 1e-6) -> bool:
    """``lns.fits`` before (commit 7e973d8)."""
    if len(x) != cm.n_cols:
        return False
    scale = np.maximum(1.0, np.abs(x))
    if np.any(x < cm.col_lower - tol * scale) or np.any(x > cm.col_upper + tol * scale):
        return False
    ints = cm.integrality > 0
    if np.any(np.abs(x[ints] - np.round(x[ints])) > tol):
        return False
    row = cm.A @ x
    row_tol = tol * np.maximum(1.0, abs(cm.A) @ np.abs(x))
    return not (np.any(row < cm.row_lower - row_tol) or np.any(row > cm.row_upper + row_tol))


def _ms(f) -> float:
    t0 = time.perf_counter()
    f()
    return 1e3 * (time.perf_counter() - t0)


def measure(name: str, path: Path, repeats: int) -> dict:
    import yrdopt
    from yrdopt.heuristic import greedy_start
    from yrdopt.lns import cost_of, fits, start_where_greedy_is_stuck
    from yrdopt.model.compiled import build

    cm = build(yrdopt.load_instance(path))
    x = greedy_start(cm)
    if x is None or not fits(cm, x):
        x = start_where_greedy_is_stuck(cm, 30.0)
    quota = cm.row("quota").slice
    upper = cm.row_upper.copy()
    upper[quota] = 0.9 * upper[quota]
    cut = replace(cm, row_upper=upper)
    out = {"columns": cm.n_cols, "rows": cm.n_rows, "nonzeros": int(cm.A.nnz)}
    for case, model in (("fits", cm), ("broken", cut)):
        # a fresh matrix object: the first call pays the row-major copy
        model = replace(model, A=model.A.copy())
        assert fits(model, x) == fits_before(model, x) == (case == "fits")
        cold = {"now": _ms(lambda: fits(model, x)), "before": _ms(lambda: fits_before(model, x))}
        warm = {"now": [], "before": []}
        for _ in range(repeats):
            warm["now"].append(_ms(lambda: fits(model, x)))
            warm["before"].append(_ms(lambda: fits_before(model, x)))
        med = {k: statistics.median(v) for k, v in warm.items()}
        out[case] = {"cold_ms": cold, "warm_median_ms": med, "warm_max_ms": {k: max(v) for k, v in warm.items()},
                     "ratio_before_over_now": med["before"] / med["now"]}
    cost = {"now": [], "before": []}
    for _ in range(repeats):
        cost["now"].append(_ms(lambda: cost_of(cm, x)))
        cost["before"].append(_ms(lambda: float(np.dot(cm.cost, x))))
    out["cost"] = {"median_ms": {k: statistics.median(v) for k, v in cost.items()},
                   "max_ms": {k: max(v) for k, v in cost.items()}}
    print(f"{name}: fits {out['fits']['warm_median_ms']['before']:.3f} -> {out['fits']['warm_median_ms']['now']:.3f} ms, "
          f"broken {out['broken']['warm_median_ms']['before']:.3f} -> {out['broken']['warm_median_ms']['now']:.3f} ms, "
          f"cost {out['cost']['median_ms']['before']:.3f} -> {out['cost']['median_ms']['now']:.3f} ms", flush=True)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--repeats", type=int, default=200)
    ap.add_argument("--json", type=Path, default=None)
    a = ap.parse_args()
    folder = ROOT / "instances"
    folder.mkdir(exist_ok=True)
    load0 = loadavg()
    cases = {"yrd-cities": REPO / "instances" / "yrd-cities.yaml",
             "41x30x4": instance_file(41, 30, 4, 1, folder)}
    report = {"machine": machine(), "repeats": a.repeats,
              "cases": {name: measure(name, path, a.repeats) for name, path in cases.items()}}
    report["load"] = {"start": load0, "end": loadavg()}
    print(f"load {load0} -> {report['load']['end']}")
    if a.json:
        write_json(a.json, report)


if __name__ == "__main__":
    main()

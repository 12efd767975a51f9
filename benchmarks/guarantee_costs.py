"""What the shipped guarantees and enclave parks cost, and what they do to solve times.

    python benchmarks/guarantee_costs.py [--reps 2]

For the embedded default and yrd-provinces (yrd-outer: parks only), in one process, one
HiGHS thread, gap 1e-4, greedy start as ``yrdopt solve``: the optimum as shipped, without
the guarantees, without the parks and without both — objective, B&B nodes (deterministic)
and HiGHS time (best of ``--reps``; the machine is shared, times are noisy, compare within a
run).  The default ships no parks; it is also solved with yrd-provinces' parks, to record
why.  Writes benchmarks/results/guarantee-costs.{json,md}.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, ROOT, machine, write_json  # noqa: E402

REPO = ROOT.parent
INSTANCES = [("embedded default", None), ("yrd-provinces", REPO / "instances/yrd-provinces.yaml"),
             ("yrd-outer", REPO / "instances/yrd-outer.yaml")]
PROVINCE_PARKS = None  # yrd-provinces' parks, offered to the default (which ships none: they slowed it down)


def _with_province_parks(d: dict) -> None:
    if not d.get("enclaves"):
        d["enclaves"] = PROVINCE_PARKS


VARIANTS = {
    "as shipped": lambda d: None,
    "with yrd-provinces' parks": _with_province_parks,
    "without guarantees": lambda d: d["policy"].update(guarantees=[]),
    "without parks": lambda d: d.update(enclaves=[]),
    "without both": lambda d: (d.update(enclaves=[]), d["policy"].update(guarantees=[])),
}


def main() -> int:
    from yrdopt.heuristic import greedy_start
    from yrdopt.io import load_instance, validate_mapping
    from yrdopt.model.compiled import build
    from yrdopt.solver import HighsSolver, SolverOptions, highs_version

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--reps", type=int, default=2)
    a = ap.parse_args()
    global PROVINCE_PARKS
    PROVINCE_PARKS = load_instance(REPO / "instances/yrd-provinces.yaml").model_dump(by_alias=True)["enclaves"]
    rows = []
    for label, path in INSTANCES:
        base = load_instance(path).model_dump(by_alias=True, exclude_none=True)
        base.setdefault("policy", {})
        for vname, change in VARIANTS.items():
            d = {**base, "policy": dict(base["policy"]), "enclaves": list(base.get("enclaves", []))}
            change(d)
            if vname != "as shipped" and d == base:
                continue
            inst = validate_mapping(d, label)
            best = None
            for _ in range(a.reps):
                cm = build(inst)
                h = HighsSolver(SolverOptions(threads=1, mip_gap=1e-4))
                h.load(cm)
                t0 = time.perf_counter()
                res = h.solve(greedy_start(cm))
                dt = time.perf_counter() - t0
                if best is None or dt < best[0]:
                    best = (dt, res)
            dt, res = best
            rows.append({"instance": label, "variant": vname, "binaries": int(cm.integrality.sum()),
                         "objective": res.objective, "status": res.status, "nodes": res.nodes, "highs_s": dt})
            print(rows[-1], flush=True)
    out = {"machine": machine(), "highs": highs_version(), "rows": rows}
    write_json(RESULTS / "guarantee-costs.json", out)
    lines = ["# Cost of the shipped guarantees and parks (benchmarks/guarantee_costs.py)", "",
             f"HiGHS {highs_version()}, one thread, gap 1e-4, greedy start; best of {a.reps}; shared machine.", "",
             "| instance | variant | binaries | objective | change | nodes | HiGHS s |", "|---|---|---:|---:|---:|---:|---:|"]
    ref = {r["instance"]: r["objective"] for r in rows if r["variant"] == "as shipped"}
    for r in rows:
        lines.append(f"| {r['instance']} | {r['variant']} | {r['binaries']} | {r['objective']:.2f} | "
                     f"{r['objective'] - ref[r['instance']]:+.2f} | {r['nodes']} | {r['highs_s']:.2f} |")
    (RESULTS / "guarantee-costs.md").write_text("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Record what a finished sweep directory shows: scenarios by status, gaps (also by MIP start),
solve times, and from the journal how many solves each run made and whether any scenario was
solved twice.

    python benchmarks/record_sweep.py OUT_DIR --json benchmarks/results/NAME.json [--note TEXT]

Used for the 200-scenario 41-city Latin hypercube in the README (killed, then resumed).
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import machine, write_json  # noqa: E402


def summarise(out: Path) -> dict:
    import pandas as pd

    df = pd.read_parquet(out / "results.parquet")
    journal = [json.loads(line) for line in (out / "journal.jsonl").read_text().splitlines() if line.strip()]
    solves = [e for e in journal if e.get("event") == "done" and e.get("kind") == "scenarios"]
    per_scenario = collections.Counter(e["scenario"] for e in solves)
    runs = {}
    for e in solves:
        r = runs.setdefault(e["run"], {"solves": 0, "first_t": e["t"], "last_t": e["t"]})
        r["solves"] += 1
        r["first_t"], r["last_t"] = min(r["first_t"], e["t"]), max(r["last_t"], e["t"])
    for r in runs.values():
        r["span_s"] = r["last_t"] - r["first_t"]  # first to last finished scenario of the run
    gap = df["gap"].dropna()
    return {
        "scenarios": len(df), "unique_ids": int(df["scenario"].nunique()),
        "status": df["status"].value_counts().to_dict(), "with_layout": int(df["ok"].sum()),
        "gap": {"mean": float(gap.mean()), "median": float(gap.median()), "max": float(gap.max())} if len(gap) else None,
        "solve_s": {"mean": float(df["solve_s"].mean()), "max": float(df["solve_s"].max())},
        "profile": df["profile"].value_counts().to_dict() if "profile" in df else None,
        "update": df["update"].value_counts().to_dict(),
        "by_start": {k: {"n": int(len(g)), "gap_median": float(g["gap"].median())}
                     for k, g in df.groupby("mip_start")} if "mip_start" in df else None,
        "start_s_max": float(df["start_s"].max()) if "start_s" in df else None,
        "journal": {"solves": len(solves), "scenarios_solved_twice": sum(1 for c in per_scenario.values() if c > 1),
                    "runs": runs},
    }


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("out", type=Path)
    ap.add_argument("--json", type=Path, required=True)
    ap.add_argument("--note", default="")
    a = ap.parse_args()
    rec = {"machine": machine(), "directory": str(a.out), "note": a.note, **summarise(a.out)}
    write_json(a.json, rec)
    print(json.dumps({k: rec[k] for k in ("scenarios", "unique_ids", "status", "journal")}, indent=1, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""How long `yrdopt diagnose` spends on its two stages of the least raise over milestone periods:
the least total (the elastic MILP) and the tie rule's pick among raises of that total
(`diagnose.pick_among_least`), on yrd-cities-2035 with 2030's land quota factor cut to 0.3 (the
case of models/formulation.md section 13: feasible as shipped, here 22 raises short).

    python benchmarks/diagnose_tie_rule.py                        # --time-limit 60 (the default) and 600
    python benchmarks/diagnose_tie_rule.py --limits 600 --share 0.25  # the pick within a quarter of the limit (bcbbd1f)

Each run is the whole command in its own process (start-up, reading, the build, both stages),
HiGHS's solves timed by a wrapper; the load average before each run is recorded (the machine is
shared).  Writes results/diagnose-tie-rule.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from common import RESULTS, write_json

ROOT = Path(__file__).resolve().parents[1]
SHIPPED = ROOT / "instances" / "yrd-cities-2035.yaml"

# the whole command with each HiGHS solve timed: the first is the least total, the second the tie rule's pick
CHILD = """
import json, sys, time
t0 = time.perf_counter()
from yrdopt.analysis import diagnose
from yrdopt.solver import HighsSolver
if sys.argv[2] != "default":  # the pick within that share of the limit (0.25: as in bcbbd1f), not all that is left
    pick = diagnose.pick_among_least
    diagnose.pick_among_least = lambda *a, **k: pick(*a, **{**k, "share": float(sys.argv[2])})
solves = []
real = HighsSolver.solve
def timed(self, *a, **k):
    t = time.perf_counter()
    r = real(self, *a, **k)
    solves.append({"s": round(time.perf_counter() - t, 2), "status": r.status, "objective": r.objective,
                   "time_limit": k.get("time_limit")})
    return r
HighsSolver.solve = timed
from yrdopt.cli import main
sys.argv = ["yrdopt", "diagnose", sys.argv[1], "--time-limit", sys.argv[3], "--out", sys.argv[4]]
code = 0
try:
    main()
except SystemExit as e:
    code = e.code
print(json.dumps({"exit": code, "wall_s": round(time.perf_counter() - t0, 2), "solves": solves}))
"""


def variant(tmp: Path) -> Path:
    """yrd-cities-2035 with 2030's land at 0.3 of today's quotas, beside copies of its CSV tables."""
    text = SHIPPED.read_text()
    cut = text.replace("    quota_factor:\n      land: 1.104\n", "    quota_factor:\n      land: 0.3\n", 1)
    assert cut != text, "2030's land factor of yrd-cities-2035 is no longer 1.104: update this benchmark"
    for csv in ROOT.glob("instances/yrd-cities.*.csv"):
        shutil.copy(csv, tmp / csv.name)
    path = tmp / "yrd-cities-2035-land30.yaml"
    path.write_text(cut)
    return path


def run(path: Path, limit: float, share: str) -> dict:
    with tempfile.TemporaryDirectory() as out:
        load = os.getloadavg()[0]
        proc = subprocess.run([sys.executable, "-c", CHILD, str(path), share, str(limit), out], capture_output=True,
                              text=True, cwd=ROOT)
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("{")]
    if not lines:
        return {"error": proc.stderr[-400:], "load": load}
    found = json.loads(lines[-1])
    said = [ln for ln in proc.stdout.splitlines() if "least raise" in ln.lower()]
    return {"limit_s": limit, "tie_share": share, "load": load, **found,
            "rule_words": said[-1][said[-1].lower().rindex("the least raise"):][:200] if said else None}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--limits", type=float, nargs="+", default=[60.0, 600.0])
    ap.add_argument("--share", default="default", help="the pick's share of the limit for these runs (default: all that is left; 0.25 as in bcbbd1f)")
    ap.add_argument("--out", default=str(RESULTS / "diagnose-tie-rule.json"))
    args = ap.parse_args()
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        path = variant(Path(tmp))
        for limit in args.limits:
            runs.append(run(path, limit, args.share))
            print(json.dumps(runs[-1]), flush=True)
    old = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {"runs": []}
    write_json(Path(args.out), {"runs": old["runs"] + runs})


if __name__ == "__main__":
    main()

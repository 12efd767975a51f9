"""What a spawned sweep worker pays in imports before its first scenario.

    python benchmarks/worker_import.py [--reps 5]

Each measurement is a fresh interpreter (``python -X importtime``), best of ``--reps``:
``yrdopt.sweep.worker`` (what a worker imports), against the driver's and the full API's
modules (``yrdopt.api`` + ``yrdopt.sweep.runner``: what every worker imported while the
package's ``__init__`` files imported them eagerly).  Writes benchmarks/results/worker-import.json.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, write_json  # noqa: E402

TARGETS = {"worker": "import yrdopt.sweep.worker",
           "worker + api + driver (the former eager package)": "import yrdopt.sweep.worker, yrdopt.api, yrdopt.sweep.runner"}


def import_seconds(code: str) -> float:
    r = subprocess.run([sys.executable, "-X", "importtime", "-c", code], capture_output=True, text=True, check=True)
    # "import time: self [us] | cumulative | name": the sum of top-level cumulative times
    total = 0
    for line in r.stderr.splitlines():
        parts = line.split("|")
        if len(parts) == 3 and parts[1].strip().isdigit() and not parts[2].startswith("  "):
            total += int(parts[1])
    return total / 1e6


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    a = ap.parse_args()
    out = {"machine": machine(), "reps": a.reps, "seconds": {}}
    for name, code in TARGETS.items():
        out["seconds"][name] = min(import_seconds(code) for _ in range(a.reps))
        print(f"{name:50s} {out['seconds'][name]:.3f} s", flush=True)
    write_json(RESULTS / "worker-import.json", out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Draw the README's per-period maps of the provinces plan today -> 2030 -> 2035:
docs/plan-2035-periods.png (what moved in each period, one panel each).

    python tools/phased_maps.py                 # solves instances/yrd-provinces-2035.yaml (1 thread)
    python tools/phased_maps.py --plan DIR      # draws an already written plan instead

The same figure as `yrdopt map DIR --period all`.
"""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
INSTANCE = ROOT / "instances" / "yrd-provinces-2035.yaml"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--plan", type=Path, help="a plan written by `yrdopt solve` (default: solve it now)")
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "plan-2035-periods.png")
    args = ap.parse_args()

    import yrdopt
    from yrdopt.io import atomic_savefig, load_instance
    from yrdopt.report.periods import all_periods_map, period_views
    from yrdopt.solution import load_solution_tables

    inst = load_instance(INSTANCE)
    plan = args.plan
    if plan is None:
        plan = Path(tempfile.mkdtemp(prefix="plan-2035-"))
        sol = yrdopt.solve(INSTANCE, threads=1, out=plan)
        assert sol.summary["verified"], "the plan must pass the checker before it is drawn"
    fig = all_periods_map(inst, period_views(inst, load_solution_tables(plan)), panel_size=4.2)
    atomic_savefig(fig, args.out, dpi=80, facecolor="white")
    print(f"{args.out} ({args.out.stat().st_size / 1e3:.0f} kB) from {plan}")


if __name__ == "__main__":
    main()

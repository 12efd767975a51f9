"""What each guarantee costs: the optimum re-solved with the guarantee dropped, and with it
tightened by one step, beside its LP price (issue 15, item 6).

One persistent HiGHS model of the instance: each variant changes the bounds of one row of
the ``guarantee`` block (model/guarantees.py) in place, re-solves from the base layout when
that layout is still feasible, and restores the row.  "All dropped" relaxes every guarantee
at once: the cost of the guarantees as a whole.  The LP price is the dual of the guarantee
row in the fixed-placement LP of the base layout (``yrdopt.analysis.explain.guarantee_prices``): the
objective change per unit of value for small changes that keep the placements, so it is
meaningful for value guarantees only (a min_chains guarantee moves placements: no price).

``options.time_limit`` covers the whole call (:class:`yrdopt.deadline.Shares`): the base solve,
which every other starts from and is measured against, gets :data:`BASE_SHARE` of it, the
every-guarantee-dropped re-solve :data:`WITHOUT_ANY_SHARE` of what is left then, and the LP and
each other re-solve an equal share of what is left among those still to run; a solve that ends
early leaves its time to those after it.  A
re-solve stopped by its share says so in ``dropped_status`` / ``tightened_status`` (its
objective is then a layout's, not proven the least; with no layout, no objective and not
"infeasible"); so do the base solve (``status``) and the every-guarantee-dropped one
(``without_any_status``): ``cost_of_all`` is proven only where both are optimal (``proven``).

**Within the gap.**  Each solve proves its optimum only to its gap (``--gap``; a re-solve at a
time limit, to its bound): two optima of 3633.815 and 3633.858 at a gap of 1e-4 (0.36) do not
show a cost of 0.043.  Every saving and step cost carries what the two solves' bounds prove
(``*_least``, ``*_most``: the difference of the true optima lies between them) and
``*_within_gap``: True where that interval holds 0 and is wider than round-off (neither a proven
cost nor a proven 0); the command shows the interval, "0 – most (not resolved at this gap)",
never a cost and never a bare 0.  Every difference here is one of a model and its relaxation
(dropping a guarantee, hard or soft, can only lower the optimum; tightening one can only raise
it), so it is at least 0 and ``*_least`` is clipped there.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..deadline import Deadline, Shares, after_solve_reserve
from .explain import ROUND_OFF
from ..io import load_instance
from ..model.compiled import build
from ..model.guarantees import guarantee_bounds
from ..phasing import refuse_periods
from ..solver import HighsSolver, SolverOptions

SHARE_STEP = 0.01  # one percentage point of the area's value
# what of the time limit the base solve gets (the reference of every figure, and the start of every
# re-solve: unproven, every figure is an interval), and the every-guarantee-dropped re-solve of what
# is left then (the cost of all of them); the rest is shared equally.  Equal shares of 27 solves left
# yrd-provinces' base unproven at --time-limit 30 (3840.6 against its optimum 3633.8) and nothing
# resolved (README "What they cost")
BASE_SHARE = 0.4
WITHOUT_ANY_SHARE = 0.25
VALUE_STEP = 0.05  # 5 % of a min_value guarantee


@dataclass
class GuaranteeCosts:
    objective: float  # with every guarantee as stated
    without_any: float | None  # every guarantee dropped (None: no layout)
    table: pd.DataFrame  # one row per guarantee
    status: str = "optimal"  # the base solve's (at its share of a time limit: not proven optimal)
    bound: float | None = None  # the base solve's proven lower bound
    without_any_bound: float | None = None
    # the every-guarantee-dropped re-solve's: stopped by its share, it holds the base layout it started
    # from (or a better one), so ``without_any`` and ``cost_of_all`` are a layout's figures, not proven.
    # None where it did not run: an instance without guarantees (the base solve is that model itself)
    without_any_status: str | None = "optimal"
    base_time_limit: float | None = None  # the base solve's share of the time limit (None: no limit)

    @property
    def has_guarantees(self) -> bool:
        return not self.table.empty

    @property
    def cost_of_all(self) -> float | None:
        if not self.has_guarantees:
            return 0.0  # nothing to drop: exactly 0, whatever the base solve proved
        return None if self.without_any is None else self.objective - self.without_any

    @property
    def proven(self) -> bool:
        """True when ``cost_of_all`` is proven: both solves behind it optimal (to their gap), or
        no guarantee at all (0 exactly; no solve without them ran)."""
        return not self.has_guarantees or (self.status == "optimal" and self.without_any_status == "optimal")

    @property
    def cost_of_all_least(self) -> float | None:
        """The least the guarantees may cost, by the solves' bounds (0 without any guarantee)."""
        return 0.0 if not self.has_guarantees else within_gap(self.objective, self.bound, self.without_any,
                                                               self.without_any_bound)[0]

    @property
    def cost_of_all_most(self) -> float | None:
        """The most the guarantees may cost, by the solves' bounds (0 without any guarantee)."""
        return 0.0 if not self.has_guarantees else within_gap(self.objective, self.bound, self.without_any,
                                                               self.without_any_bound)[1]

    @property
    def cost_of_all_within_gap(self) -> bool:
        """True when the solves' gaps do not prove that the guarantees cost anything (module
        docstring); never without any guarantee (then "without any" is the same solve: 0 exactly)."""
        return self.has_guarantees and within_gap(self.objective, self.bound, self.without_any,
                                                  self.without_any_bound)[2]

    def record(self) -> dict:
        """What ran and what it proves, for guarantee_costs.json: the base solve, the
        every-guarantee-dropped re-solve (or why none ran) and the cost of all the guarantees."""
        without = ({"solved": True, "objective": self.without_any, "status": self.without_any_status,
                    "bound": self.without_any_bound} if self.has_guarantees else
                   {"solved": False, "why": NO_GUARANTEES})
        return {"guarantees": len(self.table), "objective": self.objective, "status": self.status,
                "bound": self.bound, "base_time_limit": self.base_time_limit, "without_any": without, "cost_of_all": self.cost_of_all,
                "cost_of_all_least": self.cost_of_all_least, "cost_of_all_most": self.cost_of_all_most,
                "cost_of_all_within_gap": self.cost_of_all_within_gap, "proven": self.proven}


# why no every-guarantee-dropped solve runs on an instance without guarantees
NO_GUARANTEES = "the instance has no guarantees: the model without them is the base solve's own, so none ran"


def within_gap(a: float | None, a_bound: float | None, b: float | None, b_bound: float | None
               ) -> tuple[float | None, float | None, bool]:
    """What two MIP solves prove about the difference of their true optima, optimum(a) - optimum(b),
    from their objectives and lower bounds: (least, most, within_gap).  The difference lies in
    [a_bound - b, a - b_bound]; ``within_gap`` is True where that interval holds 0 and more than
    round-off: neither a cost (least above 0) nor proven 0 (most at 0) — a figure the gaps cannot
    tell from 0 (the point ``a - b`` may be 0.043 or 0 while the truth may be up to ``most``).
    None where a solve has no layout."""
    if a is None or b is None or a != a or b != b:
        return None, None, False
    # a relaxation's optimum is never above its model's (module docstring): the least is >= 0
    lo = None if a_bound is None else max(float(a_bound) - float(b), 0.0)
    hi = None if b_bound is None else float(a) - float(b_bound)
    noise = ROUND_OFF * max(1.0, abs(float(a)))
    if lo is not None and lo <= noise:  # round-off of two bounds proves no least (before: "4.065e-10" printed)
        lo = 0.0
    proven_cost = lo is not None and lo > noise
    proven_zero = hi is not None and hi <= noise and abs(float(a) - float(b)) <= noise
    return lo, hi, not proven_cost and not proven_zero


def _higher(a: float | None, b: float | None) -> float | None:
    """The higher of two lower bounds of one optimum (None: not known)."""
    return b if a is None else a if b is None else max(float(a), float(b))


def _step(measure: str, value: float, total: float) -> tuple[float, str]:
    """(change of the row's right-hand side that tightens it, the step in the planner's words)."""
    if measure == "min_share":
        return SHARE_STEP * total, f"+{SHARE_STEP:.0%} share"
    if measure == "max_share":
        return -SHARE_STEP * total, f"-{SHARE_STEP:.0%} share"
    if measure == "min_chains":
        return 1.0, "+1 chain"
    step = VALUE_STEP * value if value > 0 else 1.0
    return step, f"+{step:.4g} value"


def guarantee_costs(instance, *, options: SolverOptions | None = None, stop=None) -> GuaranteeCosts:
    """Re-solve without each guarantee, with each tightened by a step, and without all of them,
    all within ``options.time_limit`` (module docstring).  ``stop`` (a :class:`threading.Event`, set
    by Ctrl-C in the CLI) ends the running solve at HiGHS's next callback and gives no later one any time."""
    from ..api import solve
    from .explain import guarantee_prices
    from ..model.fixed import fix_placements, place_matrix

    options = options or SolverOptions(mip_gap=1e-6)
    deadline = Deadline(options.time_limit, stop=stop)
    inst = load_instance(instance)
    refuse_periods(inst, "the cost of each guarantee", "run it on one period's instance")
    cm = build(inst)
    d = cm.data
    # the base, all dropped, the LP, and each guarantee dropped and tightened
    shares = Shares(deadline, 1 + (2 + 2 * d.G if d.G else 0), after_solve_reserve(cm.n_cols))
    first = shares.next(BASE_SHARE)
    # (no layout: it raises, InfeasibleError with the diagnosis or SolverError)
    base = solve(inst, options=replace(options, time_limit=first), deadline=Deadline(first, stop=stop), check=False,
                 stop=stop)
    x0 = base.x
    solver = HighsSolver(options, stop=stop)
    solver.load(cm)
    rows = cm.row("guarantee")
    lo, hi = guarantee_bounds(d)
    soft = np.flatnonzero(np.isfinite(d.g_penalty))
    if soft.size:  # a tightened soft guarantee may fall further short (same optimum otherwise: shortfall costs)
        solver.set_col_bounds(cm.var("guarantee_shortfall").index(soft), np.zeros(soft.size), np.full(soft.size, np.inf))

    def resolve(g_idx: np.ndarray, new_lo: np.ndarray, new_hi: np.ndarray,
                fraction: float | None = None) -> tuple[float | None, str, float | None]:
        """(objective, status, proven bound) with the rows ``g_idx`` at new bounds, within
        ``fraction`` of what is left (else an equal share): None without a layout (status
        "infeasible": none exists when tightened; a time-limit status: none found)."""
        limit = shares.next(fraction)
        if limit is not None and limit <= 0:
            return None, "time_limit_no_incumbent", None
        idx = rows.index(g_idx)
        solver.set_row_bounds(idx, new_lo, new_hi)
        try:
            res = solver.solve(x0, time_limit=limit)
        finally:
            solver.set_row_bounds(idx, lo[g_idx], hi[g_idx])
        status = "infeasible" if res.status in ("infeasible", "infeasible_or_unbounded") else res.status
        return (res.objective, status, res.bound) if res.has_solution else (None, status, None)

    base_bound = base.summary.get("bound")
    # each guarantee row's value at the base layout (a soft one's shortfall included)
    at_base = cm.A[rows.index(np.arange(d.G))] @ x0 if d.G else np.zeros(0)

    def holds(g: int, new_lo: float, new_hi: float) -> bool:
        """The base layout meets guarantee g tightened to [new_lo, new_hi] (row tolerance)."""
        tol = 1e-9 * max(1.0, abs(at_base[g]))
        return new_lo - tol <= at_base[g] <= new_hi + tol

    all_g = np.arange(d.G)
    # without guarantees no such solve runs: the base solve is that model (GuaranteeCosts.record says so)
    without_any, without_status, without_bound = (resolve(all_g, np.full(d.G, -np.inf), np.full(d.G, np.inf),
                                                          WITHOUT_ANY_SHARE) if d.G
                                                  else (base.objective, None, base_bound))

    prices = None
    if d.G:
        lp = fix_placements(cm, place_matrix(cm, x0), cm.var("expand").take(x0) > 0.5 if d.E else None, lp=True,
                            parks=cm.var("park_open").take(x0) > 0.5 if d.N else None)
        limit = shares.next()
        if limit is None or limit > 0:
            s = HighsSolver(SolverOptions(threads=options.threads, time_limit=limit), stop=stop)
            s.load(lp)
            res = s.solve()
            if res.x is not None and res.row_dual is not None and res.status == "optimal":
                prices = guarantee_prices(lp, res)

    records = []
    total = d.total_value
    for g in range(d.G):
        measure = d.g_measure[g]
        value = float(d.g_rhs[g] / total) if measure in ("min_share", "max_share") else float(d.g_rhs[g])
        drop, drop_status, drop_bound = resolve(np.array([g]), np.array([-np.inf]), np.array([np.inf]))
        # without every guarantee is a relaxation of it: its bound bounds this optimum too
        drop_bound = _higher(drop_bound, without_bound)
        delta, step_txt = _step(measure, float(d.g_rhs[g]), total)
        new = d.g_rhs[g] + delta
        new_lo, new_hi = (-np.inf, new) if measure == "max_share" else (new, np.inf)
        resolved = False
        if measure == "min_chains" and new > len(d.chain_ids):
            tight, tight_status, tight_bound = None, "infeasible", None
            shares.next()  # its share goes to the others
        elif holds(g, new_lo, new_hi):
            # the base layout meets it tightened: that model's optimum lies between the base's bound
            # and the base objective (a restriction of the base model, with the base layout in it),
            # proven as the base is; no re-solve, its share goes to the others
            tight, tight_status, tight_bound = base.objective, base.summary["status"], base_bound
            shares.next()
        else:
            resolved = True
            tight, tight_status, tight_bound = resolve(np.array([g]), np.array([new_lo]), np.array([new_hi]))
            tight_bound = _higher(tight_bound, base_bound)  # the base model is a relaxation of it
        save_lo, save_hi, save_noise = within_gap(base.objective, base_bound, drop, drop_bound)
        step_lo, step_hi, step_noise = within_gap(tight, tight_bound, base.objective, base_bound)
        price = None
        if prices is not None and measure != "min_chains":
            price = float(prices["value_per_unit"].iloc[g])
        records.append({
            "guarantee": d.g_labels[g], "path": d.g_paths[g], "measure": measure, "value": value,
            "soft": bool(np.isfinite(d.g_penalty[g])),
            "objective_dropped": drop,
            "dropped_status": drop_status,
            "saving_if_dropped": None if drop is None else base.objective - drop,
            # what the two solves' bounds prove of the saving; within_gap: not told from 0
            "saving_if_dropped_least": save_lo, "saving_if_dropped_most": save_hi,
            "saving_if_dropped_within_gap": save_noise,
            "step": step_txt,
            "objective_tightened": tight,
            "tightened_status": tight_status,
            # False: no re-solve ran (the base layout meets the step, or it asks more chains than there are)
            "tightened_resolved": resolved,
            "cost_of_step": None if tight is None else tight - base.objective,
            "cost_of_step_least": step_lo, "cost_of_step_most": step_hi, "cost_of_step_within_gap": step_noise,
            "lp_price_per_unit": price,
            "lp_estimate_of_step": None if price is None else price * abs(delta),
        })
    return GuaranteeCosts(float(base.objective), without_any, pd.DataFrame(records), base.summary["status"],
                          base_bound, without_bound, without_status, first)


def write(costs: GuaranteeCosts, out: str | Path) -> Path:
    from ..io import atomic_write_text

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    # every row carries the two solves behind it and behind the cost of all: their objectives and statuses
    table = costs.table.assign(objective=costs.objective, status=costs.status, objective_without_any=costs.without_any,
                               without_any_status=costs.without_any_status)
    atomic_write_text(out / "guarantee_costs.csv", table.to_csv(index=False, float_format="%.10g"))
    # what ran, also where no guarantee gives the CSV a row
    atomic_write_text(out / "guarantee_costs.json", json.dumps(costs.record(), indent=2))
    return out


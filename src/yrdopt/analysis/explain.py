"""Why each segment sits where it sits: the price of every limit, and the cost of moving.

**Shadow prices.**  With the placements (and the expansions taken) of a layout fixed,
what is left is a linear programme in activities and flows.  The dual value of each
quota row of that LP is the marginal value of the quota: how much the weighted
objective falls per extra unit of land, energy or talent in that region.  Two details
make these duals mean what a planner reads into them:

* the site-capacity rows ``activity <= U * place`` use a big-M U derived from the
  quotas themselves; left in, they bind together with the quota row and steal its dual.
  In the fixed-placement LP they are replaced by the bound ``activity <= A[s]`` on open
  sites (exact once placements are fixed), so the quota row is the only place a quota
  appears;
* the price is reported as "value of one more unit" = minus the HiGHS row dual (for a
  minimisation, relaxing a binding ``<=`` row lowers the objective).  It is a one-sided
  derivative: valid while the LP basis stays the same.

**Cost of moving.**  For one segment, force all of it into each other region (its
placement row fixed to that region) and re-solve: either with every other placement
kept (``reoptimise=False``, the "all else equal" answer) or with the rest of the layout
re-optimised.  The change of each weighted objective term is reported; a move that policy
forbids (forbidden, fixed or protected elsewhere, site limits) says so at once, without a solve; one
found infeasible names a set of rules that together block it — guarantees, minimum scales, site
limits, change budgets, each quota it lacks with the shortfall per resource — that switched off make
it possible; other rules may also block (:class:`yrdopt.analysis.diagnose.BlockingSearch` with the
same placements held).

**Time limits.**  A time limit covers the whole call (:class:`yrdopt.deadline.Deadline`): its
solves share it (:class:`yrdopt.deadline.Shares`), each an equal share of what is left among
those still to run, less :func:`yrdopt.deadline.after_solve_reserve` kept for HiGHS's overrun of
the last one; the reference of the cost of moving, which every move is measured against, at least
:data:`REFERENCE_SHARE` of it.  A move whose solve stops without a layout says so (it is not reported
infeasible).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd

from ..checker import read_layout_dir
from ..deadline import Deadline, Shares, after_solve_reserve
from ..errors import InstanceError, Problem, SolverError
from .diagnose import Blocking, BlockingSearch, RAISABLE, tie_words
from .limit_words import raise_text  # noqa: F401  (phased's too)
from ..io import load_instance
from .alternatives import place_from_layout
from ..model.compiled import CompiledModel, build
from ..model.fixed import fix_placements
from ..phasing import refuse_periods
from ..schema import Instance
from ..solver import HighsSolver, SolveResult, SolverOptions


def _phased(inst: Instance, period, what: str) -> bool:
    """True when ``period`` selects a period of a phased instance; refuses a phased instance
    without ``period`` and a ``period`` on an instance without periods."""
    if inst.periods is None:
        if period is not None:
            raise InstanceError([Problem("command line", "--period", period, "no --period: the instance has no periods")])
        return False
    if period is None:
        years = ", ".join(str(m.year) for m in inst.periods.milestones)
        refuse_periods(inst, f"{what} of the whole plan", f"give --period YEAR ({years}) for one period of it")
    return True


def expansions_taken(cm: CompiledModel, expansions: pd.DataFrame | None) -> np.ndarray:
    """(E,) booleans from an expansions table (region, option, taken)."""
    from .quota_use import taken_expansions

    return taken_expansions(cm.data, expansions)


def same_instance_layout(inst: Instance, solution_dir: str | Path) -> None:
    """Raise InstanceError when the solution directory's summary.json names another instance."""
    import json

    from ..io import content_hash

    f = Path(solution_dir) / "summary.json"
    if not Path(solution_dir).is_dir() or not f.exists():
        return  # a bare layout CSV (a baseline): nothing says which instance it is for
    try:
        recorded = json.loads(f.read_text()).get("instance") or {}
    except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
        return
    want = content_hash(inst)
    if recorded.get("hash") and recorded["hash"] != want:
        raise InstanceError([Problem(str(f), "instance", f"{recorded.get('name', '?')} {recorded['hash'][:12]}",
                                     f"a layout of {inst.name} {want[:12]}: this layout belongs to another "
                                     "instance (give the instance it was solved for)")])


def read_layout(inst: Instance, solution_dir: str | Path, cm: CompiledModel | None = None):
    """Placements and expansions of a written layout, as arrays of ``cm``."""
    same_instance_layout(inst, solution_dir)
    cm = cm or build(inst)
    layout, _, exps = read_layout_dir(solution_dir)
    return cm, place_from_layout(cm, layout, str(solution_dir)), expansions_taken(cm, exps)


# the time limit of explain, prices and their API functions when none is given: the whole call
EXPLAIN_S = 60.0


# the reference of cost_of_moving (the layout re-solved, which every move is measured against; without it the
# whole answer fails) gets this part of what is left, where an equal share is less: 1/84 of the time on 41
# cities with --reoptimise (~0.28 s of the workbench's 24 s) left it without a layout under load
REFERENCE_SHARE = 0.1


def _solve(cm: CompiledModel, options: SolverOptions | None = None, shares: Shares | None = None,
           start: np.ndarray | None = None, fraction: float | None = None) -> SolveResult:
    """Solve ``cm`` (from ``start``), within the next of ``shares`` (none: ``options``'s own limit;
    not at all when nothing is left: :meth:`SolveResult.no_time_left`), ``fraction`` of what is left
    where given (:meth:`Shares.next`)."""
    options = options or SolverOptions(mip_gap=1e-9)
    if shares is not None:
        limit = shares.next(fraction)
        if limit is not None and limit <= 0:
            return SolveResult.no_time_left()
        options = replace(options, time_limit=limit)
    s = HighsSolver(options, stop=getattr(shares.deadline, "stop", None) if shares is not None else None)
    s.load(cm)
    return s.solve(start)


def _deadline(deadline: Deadline | None, options: SolverOptions | None, default: float | None = EXPLAIN_S) -> Deadline:
    """The call's deadline: ``deadline``, else ``options.time_limit`` (else ``default``) from now."""
    if deadline is not None:
        return deadline
    return Deadline(options.time_limit if options is not None else default)


def no_layout_why(res: SolveResult) -> str:
    """Why a solve that should have a layout has none, when it is not proven infeasible."""
    return (f"no layout within its share of the time limit ({res.status}): give it more time (--time-limit)"
            if res.status.startswith("time_limit") else f"no layout: {res.message}")


def _timed_out(res: SolveResult) -> bool:
    return res.x is None and res.status not in ("infeasible", "infeasible_or_unbounded")


# -- shadow prices --------------------------------------------------------------------------
# a quota is used to the limit when less than this share of it is left: a fixed-placement LP
# price is 0 at any positive slack, yet 0.4 % of Shanghai's land left (yrd-provinces) is what
# keeps IC R&D out
TIGHT_SLACK_SHARE = 0.01


def tight(used: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Quotas used to the limit: slack at most :data:`TIGHT_SLACK_SHARE` of the quota."""
    cap = np.asarray(cap, dtype=float)
    with np.errstate(invalid="ignore"):
        return np.isfinite(cap) & (cap - np.asarray(used, dtype=float) <= TIGHT_SLACK_SHARE * np.abs(cap) + 1e-9)


@dataclass
class Prices:
    objective: float  # of the fixed-placement LP
    # region, resource, quota, extra, used, slack, tight, binding, value_per_unit, resolved_value_per_unit,
    # resolved_value_most, resolved_status (_resolved_value)
    quotas: pd.DataFrame
    # guarantee, path, measure, required, value, shortfall, binding, unit, value_per_unit (NaN: a count of chains),
    # value_per_point, resolved_step and RESOLVED_COLUMNS (guarantee_prices)
    guarantees: pd.DataFrame
    # change budgets of a brownfield instance: budget, scope, path, limit, used, binding, value_per_unit,
    # resolved_value_per_unit, resolved_value_most, resolved_status (empty when greenfield)
    budgets: pd.DataFrame = None
    # how far the layout priced may lie above its own optimum (:func:`layout_above_optimum`: 0 proven best,
    # inf unknown) and its status in words: a re-solve's figures are the interval that leaves (resolved_interval)
    layout_above: float = 0.0
    layout_status: str = ""

    def matrix(self) -> pd.DataFrame:
        """Region x resource table of the value of one more unit (0 where not binding)."""
        q = self.quotas
        return q.pivot(index="region", columns="resource", values="value_per_unit").reindex(q["region"].unique())


def layout_above_optimum(summary: dict | None, status: str | None = None) -> float:
    """How far a written layout may lie above its own optimum, from its ``summary`` (summary.json; None
    for a bare layout file such as today's ``NAME.baseline.csv``): its objective less its valid bound,
    "optimal" included (proven best only within its gap: ``solve --gap 0.05`` on yrd-outer is "optimal"
    at 3,718.07 with a bound of 3,543.11; at the default gap 1e-4 the default instance's optimum lies
    0.0518 above its bound); infinity where no bound says (today's layout, a bare layout file, an
    alternative, whose summary's bound is its distance MIP's: the workbench passes ``status``
    "alternative").  A re-solve from such a layout gains up to that much more than the limit is worth
    (:func:`resolved_interval`); the workbench's comparison counts the same figure as solver noise."""
    s = summary or {}
    status = s.get("status") if status is None else status
    objective, bound = s.get("objective"), s.get("bound")
    if status in (None, "baseline", "alternative", "not_verified") or objective is None or bound is None:
        return math.inf
    return max(float(objective) - float(bound), 0.0)


def layout_words(summary: dict | None) -> str:
    """A written layout's status in words, as :func:`unproven_layout_words` names it."""
    s = summary or {}
    if not s:
        return "a layout file with no summary.json: nothing proves it best"
    if s.get("status") == "baseline":
        return "today's layout, not optimised"
    return str(s.get("status_text") or s.get("status")).split(" (")[0]


def read_summary(solution_dir: str | Path | None) -> dict | None:
    """A solution directory's summary.json (None for a bare layout file, or none readable)."""
    import json

    f = Path(solution_dir) / "summary.json" if solution_dir is not None else None
    try:
        s = json.loads(f.read_text(encoding="utf-8")) if f is not None and f.is_file() else None
    except (OSError, ValueError):
        return None
    return s if isinstance(s, dict) else None


def alternative_of(solution_dir: str | Path | None, summary: dict | None) -> dict | None:
    """What makes a written layout a near-optimal alternative of ``yrdopt alternatives`` (its summary's status
    and bound are its distance MIP's, "optimal" though it is no optimum of its instance): its summary's
    ``alternative`` record, or, for a folder written before it, its entry after the first (the optimum itself)
    in ``../alternatives.json``; None for any other layout.  An unreadable list counts any layout but the
    first as an alternative (no figure proves it best)."""
    import json

    if isinstance((summary or {}).get("alternative"), dict):
        return summary["alternative"]
    d = Path(solution_dir) if solution_dir is not None else None
    listing = d.parent / "alternatives.json" if d is not None and d.is_dir() else None
    if listing is None or not listing.is_file():
        return None
    try:
        names = [x["name"] for x in json.loads(listing.read_text(encoding="utf-8"))["layouts"]]
    except (OSError, ValueError, KeyError, TypeError):
        return {} if d.name != "layout-1" else None
    return {} if d.name in names[1:] else None


def alternative_words(alternative: dict) -> str:
    """A near-optimal alternative's status in words (:func:`alternative_of`), not its distance MIP's."""
    above = alternative.get("above_optimum")
    return ("a near-optimal alternative" + (f", {100 * above:.3g} % above the optimum" if above is not None else "")
            + ": its summary's status is its distance MIP's")


def resolved_interval(gain: float, most: float, status: str, layout_above: float) -> tuple[float, float]:
    """(least, most) a limit's one unit (step) more is proven worth from its re-solve: the re-solve
    gained ``gain`` over the layout (at most ``most`` by its bound; ``most`` is the gain itself where
    it is "optimal").  From a layout up to ``layout_above`` above its own optimum the gain includes what
    re-solving the layout itself gains, so the worth is at least the gain less that (never below 0):
    on today's layout of the default instance one km2 more of Shanghai's land gained 2,907.14, worth 0
    at the optimum (not used to the limit there).  A NaN gain (no layout) stays NaN."""
    most = gain if status == "optimal" else most
    if gain != gain or not layout_above > 0:
        return gain, most
    return max(gain - layout_above, 0.0), most


def resolved_proven(least: float, most: float, status: str) -> bool:
    """Whether a re-solve's figures (:func:`resolved_interval`) prove one worth: an "optimal" re-solve
    whose interval is one point."""
    return status == "optimal" and least == least and most == most and \
        most - least <= 1e-9 * max(1.0, abs(most))


def within_layout(table: pd.DataFrame | None, layout_above: float) -> pd.DataFrame | None:
    """A prices table (quotas, guarantees, budgets) with each re-solve's figures the interval proven from a
    layout up to ``layout_above`` above its optimum (:func:`resolved_interval`): what prices.csv, the CLI and
    the workbench's Limits say."""
    if table is None or not len(table) or "resolved_status" not in table or not layout_above > 0:
        return table
    table = table.copy()
    for i in table.index[table["resolved_status"].map(lambda s: isinstance(s, str) and s != "")]:
        table.loc[i, ["resolved_value_per_unit", "resolved_value_most"]] = resolved_interval(
            table.at[i, "resolved_value_per_unit"], table.at[i, "resolved_value_most"], table.at[i, "resolved_status"],
            layout_above)
    return table


def proven_column(table: pd.DataFrame) -> pd.DataFrame:
    """A prices table as prices.csv (guarantee_prices.csv, budget_prices.csv) writes it: ``resolved_proven``
    beside each re-solve's figures, whether they prove one worth (:func:`resolved_proven`; "" where not
    re-solved), so "optimal" in ``resolved_status`` (the re-solve's own) is not read as a proven worth."""
    if "resolved_status" not in table:
        return table
    return table.assign(resolved_proven=[resolved_proven(v, most, st) if isinstance(st, str) and st else ""
                                         for v, most, st in zip(table["resolved_value_per_unit"],
                                                                table["resolved_value_most"], table["resolved_status"])])


def unproven_layout_words(status_text: str, layout_above: float, more_time: str = "more time") -> str:
    """Why a re-solved worth of a layout not proven best is an interval (the CLI's prices and the
    workbench's Limits tab say it above their tables)."""
    how_far = (f"up to {layout_above:,.6g} above its own optimum" if math.isfinite(layout_above)
               else "no bound says how far above its own optimum")
    if status_text.startswith("optimal"):  # optimal within its gap: its bound lies below its objective
        what, hint = f"proven best only within its gap ({how_far})", "its bound at its objective: a smaller gap"
    else:
        what, hint = f"not proven best ({status_text}; {how_far})", more_time
    return (f"This layout is {what}: re-solving it with one unit more also gains "
            "what re-solving the layout itself gains, so a re-solved worth is shown as the interval that leaves, "
            f"never proven. For proven worths, price a layout solved to its optimum ({hint}).")


def parks_opened(cm: CompiledModel, solution_dir: str | Path | None) -> np.ndarray:
    """(N,) booleans from a solution directory's parks.csv (existing parks always open)."""
    from ..checker import read_park_tables
    from .quota_use import open_parks

    parks, _ = read_park_tables(solution_dir) if solution_dir is not None else (None, None)
    return open_parks(cm.data, parks)


def fixed_placement_lp(inst: Instance, place: np.ndarray, expand: np.ndarray, cm: CompiledModel | None = None,
                       parks: np.ndarray | None = None, shares: Shares | None = None):
    cm = cm or build(inst)
    if parks is None:
        parks = cm.data.park_existing.copy()
    lp = fix_placements(cm, place, expand, lp=True, parks=parks)
    return lp, _solve(lp, shares=shares)


def shadow_prices(instance, solution_dir: str | Path | None = None, *, place: np.ndarray | None = None,
                  expand: np.ndarray | None = None, resolve: bool = True, reoptimise: bool = False,
                  options: SolverOptions | None = None, period: int | None = None,
                  deadline: Deadline | None = None, progress: Callable[[int, int], None] | None = None,
                  layout_above: float | None = None, layout_status: str | None = None) -> Prices:
    """Marginal value of one more unit of every quota, with the layout's placements fixed.

    The LP price is 0 for every quota with any slack left, yet a quota used nearly to the
    limit can keep a whole site out (a discrete effect the fixed-placement LP cannot see).
    With ``resolve``, every quota used to the limit (:func:`tight`) whose LP price is 0 is
    given one more unit and the whole MIP re-solved from the layout:
    ``resolved_value_per_unit`` is the objective decrease (NaN where not re-solved), proven only
    where ``resolved_status`` is "optimal" (else at least that, at most ``resolved_value_most``).
    With ``reoptimise`` every quota used to the limit is re-solved so, whatever its LP price (the
    LP price holds for small changes with the placements fixed; moving sites may gain far more:
    Shanghai's land on yrd-provinces, LP 7.21, re-solved 34.3), and so is every guarantee used to
    the limit, relaxed by one step (:data:`GUARANTEE_STEPS`); without it a guarantee the LP cannot
    price (a number of chains, or a binding one at LP price 0) has no worth here (NaN).
    On a phased instance ``period`` (a milestone year) prices that period of the written plan
    (:func:`yrdopt.analysis.phased.prices_in_period`).  The whole call keeps ``deadline`` (else
    ``options.time_limit``, else :data:`EXPLAIN_S`, from now): the LP first, then the quotas'
    re-solves, the guarantees', each its share by count (half of what is left goes to the budgets'
    on a brownfield instance).  ``progress(done, total)`` is called before each re-solve (the
    workbench's job bar: "re-solve 3 of 7").  ``layout_above`` (else from the solution directory's
    summary.json: :func:`layout_above_optimum`) and ``layout_status`` (its words) say how far the layout
    may lie above its own optimum: each re-solve's figures are the interval that proves
    (:func:`within_layout`), never one worth from a layout not proven best.
    """
    deadline = _deadline(deadline, options)
    inst = load_instance(instance)
    if _phased(inst, period, "prices"):
        from .phased import prices_in_period

        return prices_in_period(inst, solution_dir, period, deadline)
    cm = build(inst)
    if solution_dir is not None:
        cm, place, expand = read_layout(inst, solution_dir, cm)
    if place is None:
        raise ValueError("give a solution directory or the placements")
    expand = np.zeros(cm.data.E, dtype=bool) if expand is None else expand
    lp, res = fixed_placement_lp(inst, place, expand, cm, parks_opened(cm, solution_dir), Shares(deadline, 1))
    if res.status.startswith("time_limit"):  # its duals are no prices
        raise SolverError(f"the fixed-placement LP of the layout did not solve within the time limit ({res.status})")
    if res.x is None or res.row_dual is None:
        raise InstanceError([Problem(str(solution_dir or "layout"), "placements", res.status,
                                     "placements under which the instance is feasible (check the layout first)")])
    ours = deadline.part(0.5) if cm.data.brownfield is not None else deadline
    guarantees = guarantee_prices(cm, res)
    quotas = quota_prices(cm, res, expand, False)
    q_todo = _quotas_to_resolve(quotas, reoptimise) if resolve else []
    g_todo = np.flatnonzero(guarantees["binding"].to_numpy()) if resolve and reoptimise else []
    # one share per re-solve, quotas first, then guarantees: each their part of what is left by count
    n = len(q_todo) + len(g_todo)
    q_deadline = ours.part(len(q_todo) / n) if n else ours
    budgets_todo = int(budget_prices(cm, res, False)["binding"].sum()) if resolve else 0
    counted = _Counted(progress, n + budgets_todo)
    quotas = quota_prices(cm, res, expand, resolve, options, q_deadline, reoptimise=reoptimise, progress=counted)
    if len(g_todo):
        shares = Shares(ours, len(g_todo), after_solve_reserve(cm.n_cols))
        for g in g_todo:
            counted()
            for col, v in _guarantee_resolved(cm, res, int(g), options, shares).items():
                guarantees.loc[g, col] = v
    budgets = budget_prices(cm, res, resolve, options, deadline, progress=counted)
    summary = read_summary(solution_dir)
    alternative = alternative_of(solution_dir, summary)  # no optimum, whatever its summary's status says
    above = (layout_above_optimum(summary, "alternative" if alternative is not None else None)
             if layout_above is None else layout_above)
    words = layout_words(summary) if alternative is None else alternative_words(alternative)
    return Prices(float(res.objective), within_layout(quotas, above), within_layout(guarantees, above),
                  within_layout(budgets, above), above, words if layout_status is None else layout_status)


class _Counted:
    """``progress(done, total)`` before each re-solve of :func:`shadow_prices` (nothing without one)."""

    def __init__(self, progress: Callable[[int, int], None] | None, total: int):
        self.progress, self.total, self.done = progress, total, 0

    def __call__(self) -> None:
        if self.progress is not None:
            self.progress(self.done, self.total)
        self.done += 1


def _quotas_to_resolve(quotas: pd.DataFrame, reoptimise: bool) -> np.ndarray:
    """Rows of a quota table (all regions x resources) re-solved with one more unit: those used to
    the limit whose LP price is 0 (with ``reoptimise``: every one used to the limit)."""
    todo = quotas["tight"] & (quotas["quota"].map(np.isfinite))
    if not reoptimise:
        todo &= quotas["value_per_unit"].abs() <= 1e-9
    return np.flatnonzero(todo.to_numpy())


def quota_prices(cm: CompiledModel, res: SolveResult, expand: np.ndarray, resolve: bool = True,
                 options: SolverOptions | None = None, deadline: Deadline | None = None,
                 reoptimise: bool = False, progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """The quota table of :class:`Prices` from a fixed-placement LP answer ``res`` of ``cm``; the
    re-solves (:func:`_quotas_to_resolve`) within ``deadline`` (else ``options.time_limit`` or
    :data:`EXPLAIN_S` from now)."""
    from .quota_use import layout_quota, layout_use

    d = cm.data
    qb = cm.row("quota")
    dual = qb.take(res.row_dual)
    used = layout_use(d, cm.var("activity").take(res.x), cm.var("place").take(res.x))
    # the parks open in the LP (fixed there: parks.csv, or a phased plan's period)
    parks = cm.var("park_open").take(res.x) > 0.5 if d.N else None
    cap = layout_quota(d, expand, parks)
    with np.errstate(invalid="ignore"):  # inf - inf where unlimited (left out below)
        extra = np.where(np.isfinite(d.quota), cap - d.quota, 0.0)  # expansions taken and parks open
    r, k = np.meshgrid(np.arange(d.R), np.arange(d.K), indexing="ij")
    finite = np.isfinite(d.quota)
    quotas = pd.DataFrame({
        "region": np.array(d.region_ids)[r.ravel()],
        "resource": np.array(d.resource_ids)[k.ravel()],
        "quota": d.quota.ravel(),
        "extra": extra.ravel(),
        "used": used.ravel(),
        "slack": (cap - used).ravel(),
        "tight": tight(used, cap).ravel(),
        "binding": (finite & (used >= cap - 1e-6 * np.maximum(1, np.abs(cap)))).ravel(),
        # objective decrease per extra unit; 0 (not -0.0) for slack rows
        "value_per_unit": np.where(finite, -dual, 0.0).ravel() + 0.0,
        "resolved_value_per_unit": np.nan,
        "resolved_value_most": np.nan,
        "resolved_status": "",  # the re-solve's status ("": not re-solved)
    })
    if resolve:
        hidden = _quotas_to_resolve(quotas, reoptimise)
        shares = Shares(_deadline(deadline, options), len(hidden), after_solve_reserve(cm.n_cols))
        for i in hidden:
            if progress is not None:
                progress()
            row = cm.row("quota").index(r.ravel()[i], k.ravel()[i])
            for col, v in _resolved_value(cm, res, int(row), options, shares).items():
                quotas.loc[i, col] = v
    return quotas[finite.ravel()].reset_index(drop=True)


def resolved_why(status: str, layout_above: float, cut: str) -> str:
    """Why a re-solve's figures are no proven worth: ``cut`` (how the re-solve was stopped, "stopped at its
    share of --time-limit"), or its layout not proven best (:func:`resolved_interval`), or both."""
    if not layout_above > 0:
        return cut
    return "this layout is not proven best" + ("" if status == "optimal" else f"; the re-solve {cut}")


def resolved_gain(value: float, most: float, status: str, short: bool = False, limit: str = "--time-limit",
                  layout_above: float = 0.0) -> str:
    """What a re-solve with one more unit proves it is worth (its figures: :func:`resolved_interval`): the
    decrease where it proves one; else at least ``value`` (and at most ``most`` where its bound allows),
    marked not proven — a re-solve stopped at its limit keeps the layout it started from, which is no
    "worth 0"; one from a layout not proven best (``layout_above`` > 0) is said so.  ``limit``: how the
    time limit is named where this is read (the CLI's option, the page's field)."""
    if value != value:
        return f"no layout within its share of {limit} ({status})" if not short else f"no layout ({status})"
    if resolved_proven(value, most, status):
        return f"{value:,.6g}" if short else (f"objective falls by {value:.6g}" if value > 0 else "no change")
    upto = f", ≤ {most:,.6g}" if most == most else ""
    if short:
        return f"≥ {value:,.6g}{upto}, not proven"
    why = resolved_why(status, layout_above, f"stopped at its share of {limit}: {status}")
    return f"objective falls by ≥ {value:.6g}{upto}, not proven ({why})"


# a re-solve's figures (_resolved_value): proven only where resolved_status is "optimal"
RESOLVED_COLUMNS = ["resolved_value_per_unit", "resolved_value_most", "resolved_status"]
BUDGET_COLUMNS = ["budget", "unit", "scope", "path", "limit", "used", "binding", "value_per_unit", *RESOLVED_COLUMNS]
# what a budget's limit and use count: max_moved_share is a share of today's activity, yet its row (T5)
# and so its limit, use and price are in units of activity (share x today's activity in the scope)
BUDGET_UNITS = {"max_opened": "sites", "max_closed": "sites", "max_moved_share": "units of activity moved"}


def budget_prices(cm: CompiledModel, res: SolveResult, resolve: bool = True,
                  options: SolverOptions | None = None, deadline: Deadline | None = None,
                  progress: Callable[[], None] | None = None) -> pd.DataFrame:
    """Each change budget row (T5) at the fixed-placement LP: its limit, what the layout uses,
    the LP price (objective decrease per unit more: a site, or a unit of activity moved) and,
    for a budget used to the limit, the decrease when it grows by one and the MIP is re-solved
    from the layout (with placements fixed a site budget's LP price is always 0), the re-solves
    within ``deadline`` (else ``options.time_limit`` or :data:`EXPLAIN_S` from now)."""
    from ..model.transitions import BUDGETS, budget_groups
    from .limit_words import BUDGET_FIELDS

    d = cm.data
    cols = BUDGET_COLUMNS
    if d.brownfield is None:
        return pd.DataFrame(columns=cols)
    scopes = ["area", *d.province_ids]
    used_all = cm.A @ res.x
    rows = []
    for name in BUDGETS:
        if name not in cm.row_blocks:
            continue
        block = cm.row(name)
        field = BUDGET_FIELDS[name]
        for i, g in enumerate(budget_groups(d, name)):
            j = block.index(i)
            limit, used = float(cm.row_upper[j]), float(used_all[j])
            binding = used >= limit - 1e-6 * max(1.0, abs(limit))
            rows.append({"budget": field, "unit": BUDGET_UNITS[field], "scope": scopes[g],
                         "path": f"brownfield.budget.{field}" if g == 0
                         else f"brownfield.budget.by_province.{scopes[g]}.{field}",
                         "limit": limit, "used": used, "binding": binding, "row": j,
                         "value_per_unit": -float(res.row_dual[j]) + 0.0, "resolved_value_per_unit": np.nan,
                         "resolved_value_most": np.nan, "resolved_status": ""})
    if resolve:
        binding = [rec for rec in rows if rec["binding"]]
        shares = Shares(_deadline(deadline, options), len(binding), after_solve_reserve(cm.n_cols))
        for rec in binding:
            if progress is not None:
                progress()
            rec.update(_resolved_value(cm, res, rec["row"], options, shares))
    return pd.DataFrame(rows, columns=cols)


# what a guarantee's re-solve relaxes it by (the unit its ``resolved_value_per_unit`` is per): one
# chain fewer required; one percentage point of the area's value less required of a minimum share,
# more allowed under a ceiling; one unit of value less of a minimum value
GUARANTEE_STEPS = {"min_chains": "chain", "min_share": "percentage point", "max_share": "percentage point",
                   "min_value": "unit of value"}


def guarantee_step(measure: str, total_value: float) -> float:
    """The row change of one :data:`GUARANTEE_STEPS` step of a guarantee (in the row's value units)."""
    return total_value / 100.0 if measure in ("min_share", "max_share") else 1.0


def guarantee_prices(cm: CompiledModel, res: SolveResult) -> pd.DataFrame:
    """Each guarantee row at the fixed-placement LP: what it requires, what the layout
    gives, and its dual — the objective decrease per unit of *value* the guarantee no longer
    requires (``value_per_unit``; a share guarantee's required and reached amounts are value too, its
    share times the area's value) and, for a share guarantee, the same per percentage point
    (``value_per_point``).  A min_chains guarantee counts chains: the LP with its placements fixed
    cannot price a count (a chain comes or goes with a site), so its LP price is NaN, never 0.  A
    min_chains guarantee's value is the chains the layout runs in its target (:func:`chains_counted`),
    not its row's activity: the LP leaves the presence columns anywhere under their bounds.
    ``resolved_*`` (:data:`RESOLVED_COLUMNS`, filled by ``shadow_prices(reoptimise=True)``): the
    objective decrease with it relaxed by one ``resolved_step`` and the MIP re-solved."""
    from ..model.guarantees import chain_rows, chains_counted, guarantee_bounds

    d = cm.data
    gb = cm.row("guarantee")
    short = cm.var("guarantee_shortfall").take(res.x)
    sign = np.array([-1.0 if m == "max_share" else 1.0 for m in d.g_measure]).reshape(d.G)
    lhs = (cm.A @ res.x)[gb.slice] - sign * short
    lo, hi = guarantee_bounds(d)
    required = np.where(np.isfinite(lo), lo, hi)
    counted = chain_rows(d)
    if len(counted):
        lhs[counted] = chains_counted(d, cm.var("activity").take(res.x).reshape(d.S, d.R))[counted]
        short = short.copy()
        short[counted] = np.maximum(required[counted] - lhs[counted], 0.0)
    dual = gb.take(res.row_dual).reshape(-1) if d.G else np.zeros(0)
    price = sign * dual + 0.0
    chains = np.array([m == "min_chains" for m in d.g_measure], dtype=bool).reshape(d.G)
    share = np.array([m in ("min_share", "max_share") for m in d.g_measure], dtype=bool).reshape(d.G)
    price = np.where(chains, np.nan, price)
    return pd.DataFrame({
        "guarantee": d.g_labels, "path": d.g_paths, "measure": d.g_measure, "required": required,
        "value": lhs, "shortfall": short,
        "binding": np.abs(lhs - required) <= 1e-6 * np.maximum(1.0, np.abs(required)),
        "unit": np.where(chains, "chain", "unit of value"),
        "value_per_unit": price,
        "value_per_point": np.where(share, price * d.total_value / 100.0, np.nan),
        "resolved_step": "",  # "1 chain", "1 percentage point", "1 unit of value" where re-solved
        "resolved_value_per_unit": np.nan, "resolved_value_most": np.nan, "resolved_status": "",
    })


def _guarantee_resolved(cm: CompiledModel, fixed: SolveResult, g: int, options: SolverOptions | None,
                        shares: Shares | None = None) -> dict:
    """:func:`_resolved_value` of guarantee ``g`` relaxed by one :data:`GUARANTEE_STEPS` step (a
    minimum lowered, a ceiling raised), with ``resolved_step`` saying the step."""
    measure = cm.data.g_measure[g]
    row = int(cm.row("guarantee").index(g))
    out = _resolved_value(cm, fixed, row, options, shares, step=guarantee_step(measure, cm.data.total_value),
                          lower=measure != "max_share")
    return {**out, "resolved_step": f"1 {GUARANTEE_STEPS[measure]}"}


def _resolved_value(cm: CompiledModel, fixed: SolveResult, row: int, options: SolverOptions | None,
                    shares: Shares | None = None, step: float = 1.0, lower: bool = False) -> dict:
    """Objective decrease when the limit of ``row`` (a quota, a change budget) grows by ``step`` (one
    unit; ``lower``: a minimum row's lower limit falls by it, a guarantee) and the MIP is re-solved from the layout (placements free), within the next of ``shares``:
    :data:`RESOLVED_COLUMNS`.  ``resolved_status`` is the re-solve's; only "optimal" proves the
    decrease.  A re-solve stopped at its limit with a layout (it starts from the layout, so it keeps
    at least that one) proves only that the decrease is at least ``resolved_value_per_unit`` and at
    most ``resolved_value_most`` (from its bound): "0" there means "not found", not "worth 0".  No
    layout (or no time left): NaN."""
    lo, hi = cm.row_lower.copy(), cm.row_upper.copy()
    if lower:
        lo[row] -= step
    else:
        hi[row] += step
    out = _solve(replace(cm, row_lower=lo, row_upper=hi), options or SolverOptions(mip_gap=1e-6), shares, start=fixed.x[: cm.n_cols])
    if out.objective is None:
        return {"resolved_value_per_unit": np.nan, "resolved_value_most": np.nan, "resolved_status": out.status}
    base = float(fixed.objective)
    noise = 1e-9 * max(1.0, abs(base))
    gain = base - float(out.objective)
    least = gain if gain > noise else 0.0
    most = least if out.status == "optimal" else np.nan if out.bound is None else max(base - float(out.bound), least)
    return {"resolved_value_per_unit": least, "resolved_value_most": most, "resolved_status": out.status}


# -- cost of moving -----------------------------------------------------------------------
def segment_index(cm: CompiledModel, ref: str) -> int:
    keys = cm.data.segment_keys
    if "/" not in ref:
        raise InstanceError([Problem("command line", "--segment", ref, "CHAIN/SEGMENT, e.g. " + "/".join(keys[0]))])
    key = tuple(ref.split("/", 1))
    if key not in keys:
        preview = ", ".join(f"{c}/{s}" for c, s in keys[:10]) + (", ..." if len(keys) > 10 else "")
        raise InstanceError([Problem("command line", "--segment", ref, f"a segment of the instance ({preview})")])
    return keys.index(key)


def cost_of_moving(instance, solution_dir: str | Path, segment: str, *, reoptimise: bool = False,
                   options: SolverOptions | None = None, period: int | None = None,
                   deadline: Deadline | None = None) -> pd.DataFrame:
    """One row per region: the segment moved there entirely, the change of every term.

    The reference ("current") is the layout's own placements re-solved the same way, so
    every difference is between like and like.  The whole call keeps ``deadline`` (else
    ``options.time_limit``, else :data:`EXPLAIN_S`, from now; module docstring); with
    ``reoptimise`` each MIP starts from the same layout with the rest kept, where it has one.
    """
    deadline = _deadline(deadline, options)
    inst = load_instance(instance)
    if _phased(inst, period, "explain"):
        from .phased import moves_in_period

        return moves_in_period(inst, solution_dir, segment, period, reoptimise=reoptimise, options=options,
                               deadline=deadline)
    cm, place, expand = read_layout(inst, solution_dir, build(inst))
    d = cm.data
    s = segment_index(cm, segment)
    options = options or SolverOptions(mip_gap=1e-9)
    movable = [r for r in range(d.R) if not move_policy(d, s, r)]
    # with reoptimise, each MIP after the fixed-placement solve of its layout (its start).  A move
    # blocked by policy is answered from the policy, without a solve; why one found infeasible is
    # searched after every MIP, within what they leave (a whole share each, as the MIP it explains)
    reserve = after_solve_reserve(cm.n_cols)
    shares = Shares(deadline, (1 + len(movable)) * (2 if reoptimise else 1), reserve)
    blocked = []  # (row, the move's placements): explained once every MIP has run
    by_policy = []  # (row, the move's placements, its policy reasons): searched last

    def run(P: np.ndarray, reference: bool = False) -> SolveResult:
        # the reference's last solve gets REFERENCE_SHARE of what is left where an equal share is less
        fraction = max(REFERENCE_SHARE, 1.0 / max(shares.solves - (1 if reoptimise else 0), 1)) if reference else None
        fixed = _solve(fix_placements(cm, P), options, shares, fraction=None if reoptimise else fraction)
        if not reoptimise:
            return fixed
        # this segment's row fixed only; the rest re-optimised
        return _solve(fix_rows(cm, s, P[s]), options, shares, start=fixed.x, fraction=fraction)

    base = run(place, reference=True)
    if base.x is None:
        if _timed_out(base):
            raise SolverError(f"the layout re-solved as the reference: {no_layout_why(base)}")
        raise InstanceError([Problem(str(solution_dir), "layout", base.status,
                                     "a feasible layout of this instance (run `yrdopt check`)")])
    base_terms = cm.components(base.x)
    rows = []
    hosts = np.flatnonzero(place[s])
    now = now_shares(cm.var("activity").take(base.x)[s], place[s])
    scale = abs(float(base.objective))
    for r in range(d.R):
        row = {"region": d.region_ids[r], "current": bool(place[s, r] and len(hosts) == 1), "now_share": now[r]}
        P = place.copy()
        P[s] = False
        P[s, r] = True
        policy, status = move_policy(d, s, r), "infeasible"
        why, blocked_by = "; ".join(t for t, _ in policy), "; ".join(dict.fromkeys(f for _, f in policy))
        res = run(P) if not policy else None
        if res is not None and res.x is not None:
            terms = cm.components(res.x)
            row.update(status=res.status, objective=float(res.objective),
                       change=round_off(float(res.objective - base.objective), scale),
                       **{f"change_{k}": round_off(terms[k] - base_terms[k], scale) for k in terms}, why="",
                       blocked_by="")
            rows.append(row)
            continue
        if res is not None and _timed_out(res):
            why, status = no_layout_why(res), res.status
        elif res is not None:  # proven infeasible: the rules that block it, below
            shares.add()
            blocked.append((row, P))
        else:  # blocked by policy: what else would block it, below, in what the others leave
            by_policy.append((row, P, policy))
        row.update(status=status, objective=np.nan, change=np.nan,
                   **{f"change_{k}": np.nan for k in base_terms}, why=why, blocked_by=blocked_by)
        rows.append(row)
    search, explained = BlockingSearch(inst), Shares(deadline, len(blocked), reserve)  # one model for every move
    for row, P in blocked:
        # re-optimised: only the segment held, the raise of quotas searched from the rest kept
        pinned, start = (P.astype(float), None) if not reoptimise else (_pinned_row(d, s, P[s]), P.astype(float))
        row["why"], row["blocked_by"] = why_blocked(search, pinned, Deadline(explained.next()), kept=not reoptimise,
                                                    start=start)
    # each move policy forbids: what would still block it with that policy lifted, within a share of
    # what is left capped at POLICY_SEARCH_S (the policy's answer stands whatever this finds)
    beyond = Shares(deadline, len(by_policy), reserve)
    for row, P, policy in by_policy:
        pinned, start = (P.astype(float), None) if not reoptimise else (_pinned_row(d, s, P[s]), P.astype(float))
        limit = beyond.next()
        row["why"], row["blocked_by"] = why_beyond_policy(
            search, pinned, Deadline(POLICY_SEARCH_S if limit is None else min(limit, POLICY_SEARCH_S)),
            kept=not reoptimise, segment=d.segment_label(s), policy=policy, start=start)
    out = pd.DataFrame(rows)
    # every change is measured against the reference: its status travels with the table (and the CSV)
    out["base_status"] = base.status
    out.attrs.update(segment=segment, base_objective=float(base.objective), reoptimise=reoptimise,
                     hosts=[d.region_ids[h] for h in hosts], base_status=base.status)
    return out


def now_shares(activity: np.ndarray, placed: np.ndarray) -> np.ndarray:
    """(R,) share of a segment's activity each region hosts in the reference layout (0 where it has
    no site): "now" for a segment split over several regions, where no single move is the layout."""
    act = np.where(placed, np.maximum(activity, 0.0), 0.0)
    total = act.sum()
    return act / total if total > 0 else placed / max(int(placed.sum()), 1)


# two objective values that differ by less than this share of the objective differ by round-off
# (HiGHS's solves of two models that share the layout): shown as 0, not as -6.8e-13
ROUND_OFF = 1e-9


def round_off(diff, scale: float):
    """``diff`` (a number or array) with what is round-off at objective ``scale`` set to 0 (NaN kept)."""
    small = np.abs(diff) <= ROUND_OFF * max(1.0, abs(scale))
    return np.where(small, 0.0, diff) + 0.0 if np.ndim(diff) else (0.0 if small else float(diff))


def fix_rows(cm: CompiledModel, s: int, row: np.ndarray) -> CompiledModel:
    lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
    idx = cm.var("place").index(np.full(cm.data.R, s), np.arange(cm.data.R))
    lo[idx] = hi[idx] = row.astype(float)
    return replace(cm, col_lower=lo, col_upper=hi)


def _pinned_row(d, s: int, row: np.ndarray) -> np.ndarray:
    """(S, R) pins of segment s's placements only (NaN elsewhere: free)."""
    pinned = np.full((d.S, d.R), np.nan)
    pinned[s] = row
    return pinned


# what explain says of several quotas (and budgets) raised together: their least total, each in its own unit
LEAST_RAISE = "a least raise (units of different limits counted alike)"
# what why_blocked appends to the rules the search names: they are one set that blocks, not all
SWITCHED_OFF = "switching these off makes it possible; other rules may also block"
RAISED = "raised so, it is possible; other rules may also block"
# the kinds of limit re-optimising the rest never lifts (a placement forbidden, fixed or protected
# stays so); a site limit may be (with the rest free another site may close or open)
POLICY_KINDS = {"forbidden", "fixed", "protected"}


def quota_raise(name: str, v: float) -> str:
    """A quota raised, as explain says it of one period or of a plan's ("sh land +54", "2030: r3 land +2.45")."""
    return f"{name} +{raise_text(v)}"


def instead(raised: str) -> str:
    """A limit that, raised alone, would do instead of the least raise ("or instead js talent +5 alone")."""
    return f"or instead {raised} alone"


def raise_parts(quotas: list[tuple[str | None, str | None]], budgets: list[tuple[str | None, str | None]]) -> list[str]:
    """The parts of a why that say what to raise, one period's (:func:`blocking_text`) or a plan's
    (:class:`yrdopt.analysis.phased.PlanBlocking`) alike: per quota and per change budget (its part of the
    least raise, None where it has none; its raise alone, :func:`instead`, None where it alone is not
    enough or not searched).  The budgets raised, then those alone; then "quota too small: " with the
    quotas raised and those alone: "needs" where the least raise raises one limit, else several raised
    are :data:`LEAST_RAISE` (their least total, not each one needed: another may do alone, raised more)."""
    joint_q, joint_b = [j for j, _ in quotas if j is not None], [j for j, _ in budgets if j is not None]
    needs = "needs " if len(joint_q) + len(joint_b) <= 1 else f"{LEAST_RAISE}: "
    return joint_b + [a for _, a in budgets if a is not None] + (
        ["quota too small: " + needs + ", ".join(joint_q + [a for _, a in quotas if a is not None])] if joint_q else [])


def _quota_text(lim, v, one) -> tuple[str | None, str | None]:
    """One quota of a search's answer in the planner's words: (its part of the least raise, None where
    it has none; its raise alone, "or instead …", None where it alone is not enough or not searched)."""
    name = f"{lim.region} {lim.resource}"
    if v is None:
        return f"{name} (its shortfall was not found within the time limit)", None
    joint = quota_raise(name, v) if v > 1e-7 else None
    return joint, instead(quota_raise(name, one)) if isinstance(one, float) else None


def _budget_text(lim, v, one) -> tuple[str | None, str | None]:
    """One change budget of a search's answer, as :func:`_quota_text` says a quota."""
    if v is None:
        return f"{lim.text} (its shortfall was not found within the time limit)", None
    joint = f"{lim.text}, too small by {raise_text(v)}" if v > 1e-7 else None
    return joint, instead(f"{lim.text}, too small by {raise_text(one)}") if isinstance(one, float) else None


def why_blocked(search: BlockingSearch, pinned: np.ndarray, deadline: Deadline, *, kept: bool,
                floor: dict | None = None, start: np.ndarray | None = None) -> tuple[str, str]:
    """Why pinned placements (a move, a flip) cannot hold, where policy alone does not say it: the
    rules ``search`` finds within ``deadline`` — a set that, switched off (its quotas raised by
    their shortfalls), lets them hold; other rules may block too — in the planner's words, and the
    instance fields that state them ("; "-joined: ``blocked_by``).  ``kept``: the rest of the
    layout was held too; ``start``: the layout with the move, where the rest may change (the search
    for the least raise of quotas starts from it)."""
    left = deadline.left()
    found = search(pinned, deadline, floor, start) if left is None or left > 0 else Blocking([], [], False, False)
    return blocking_text(found, kept)


def blocking_text(found: Blocking, kept: bool) -> tuple[str, str]:
    """:func:`why_blocked`'s words and ``blocked_by`` for a search's answer ``found``."""
    said = [_quota_text(lim, v, found.alone.get(i))
            for i, (lim, v) in enumerate(zip(found.limits, found.short_by)) if lim.kind == "quota"]
    told = [_budget_text(lim, v, found.alone.get(i)) for i, (lim, v) in
            enumerate(zip(found.limits, found.short_by)) if lim.kind == "change_budget"]
    quotas = [t for t, _ in said if t is not None]
    budgets = [t for pair in told for t in pair if t is not None]
    rules = [lim.text for lim in found.limits if lim.kind not in RAISABLE]
    parts = rules + raise_parts(said, told)
    if not parts:
        if found.unconditional:
            return ("infeasible even with every limit switched off: the placements held cannot take the "
                    "segments' activity"), ""
        return ("infeasible; the rules that block it were not found within the time limit" if not found.complete
                else "infeasible (numerically borderline)"), ""
    lifted = kept and any(lim.kind not in POLICY_KINDS for lim in found.limits)
    why = "; ".join(parts)
    if rules or budgets:
        why = "blocked by: " + why
    if lifted:
        why += " with the rest of the layout kept (--reoptimise lets it change)"
    if not found.complete:
        why += " (found before the search stopped at its time limit: other rules may block it too)"
    else:
        why += f" ({SWITCHED_OFF if rules or budgets else RAISED})"
        if (quotas or budgets) and not found.least:  # a shortfall solve stopped at its limit: a raise that works
            why += "; an increase found at the time limit, not proven the least"
        elif (quotas or budgets) and found.tie_not_picked:  # as diagnose and explain --period say it
            why += ". " + tie_words({"picked": found.tie_not_picked})
    return why, "; ".join(dict.fromkeys(lim.rule for lim in found.limits))


# the most a search beyond a move's policy takes (seconds): at city scale with the rest re-optimised
# each is a MIP, and a command's 34 forbidden moves must not take the time of its own MIPs
POLICY_SEARCH_S = 1.0
# the kinds of limit a segment's policy reasons stand for (move_policy, flip_policy): lifted together
POLICY_LIFTED = {"forbidden", "fixed", "protected", "site_min"}


def why_beyond_policy(search: BlockingSearch, pinned: np.ndarray, deadline: Deadline, *, kept: bool, segment: str,
                      policy: list[tuple[str, str]], floor: dict | None = None,
                      start: np.ndarray | None = None) -> tuple[str, str]:
    """A move or flip policy forbids (``policy``: its reasons and fields, :func:`move_policy`), with
    what would still block it were the policy on ``segment`` lifted: the same search as
    :func:`why_blocked`, those rules switched off, within ``deadline`` ("other rules were not
    checked" where it does not finish)."""
    why, fields = "; ".join(t for t, _ in policy), list(dict.fromkeys(f for _, f in policy))
    left = deadline.left()
    found = (search(pinned, deadline, floor, start,
                    lifted=lambda lim: lim.kind in POLICY_LIFTED and lim.segment == segment)
             if left is None or left > 0 else None)
    if found is None or (not found.complete and not found.limits):
        return why + " (other rules were not checked within the time limit)", "; ".join(fields)
    if found.complete and not found.limits and not found.unconditional:
        return why + "; with that lifted it is possible" + (" with the rest of the layout kept" if kept else ""), \
            "; ".join(fields)
    more, more_fields = blocking_text(found, kept)
    return f"{why}; with that lifted, still {more}", "; ".join(dict.fromkeys(fields + [f for f in more_fields.split("; ") if f]))


def move_policy(d, s: int, r: int) -> list[tuple[str, str]]:
    """Why policy alone keeps segment s from moving entirely to region r: every reason with the
    instance field that states it (empty: it may)."""
    why = []
    if not d.allowed[s, r]:
        why.append(("forbidden by policy.forbidden", "policy.forbidden"))
    others = d.fixed[s] & (np.arange(d.R) != r)  # a fixed site elsewhere would close
    protected = others & (d.brownfield.protected[s] if d.brownfield is not None else False)
    names = np.array(d.region_ids)
    if (others & ~protected).any():
        why.append(("policy.fixed keeps it in " + ", ".join(names[others & ~protected]), "policy.fixed"))
    if protected.any():
        why.append(("brownfield.protected keeps it open in " + ", ".join(names[protected]), "brownfield.protected"))
    if d.min_sites[s] > 1:
        why.append((f"needs at least {int(d.min_sites[s])} sites (policy.site_limits)", "policy.site_limits"))
    return why


def move_blocked(d, s: int, r: int) -> str | None:
    """:func:`move_policy`'s reasons, "; "-joined (None: it may)."""
    return "; ".join(t for t, _ in move_policy(d, s, r)) or None


def flip_policy(d, s: int, r: int, now_open: bool) -> tuple[str, str] | None:
    """Why policy alone keeps site (s, r) as it is, with the instance field that states it (None: it may flip)."""
    if not now_open and not d.allowed[s, r]:
        return "forbidden by policy.forbidden", "policy.forbidden"
    if now_open and d.fixed[s, r]:
        if d.brownfield is not None and d.brownfield.protected[s, r]:
            return "brownfield.protected keeps it open", "brownfield.protected"
        return "policy.fixed keeps it here", "policy.fixed"
    return None


def flip_blocked(d, s: int, r: int, now_open: bool) -> str | None:
    """:func:`flip_policy`'s reason (None: it may flip)."""
    said = flip_policy(d, s, r, now_open)
    return said[0] if said else None


# a site a flip opens (or keeps open) hosts at least this share of its segment, as alternatives'
# sites do: open and empty, an existing site would dodge its closing cost and a new one is no site
FLIP_SHARE = 0.01


def hosting(cm: CompiledModel, col: int, activity: float) -> CompiledModel:
    """``cm`` with the activity column ``col`` of a site at least FLIP_SHARE of its segment's ``activity``."""
    lo = cm.col_lower.copy()
    lo[col] = max(lo[col], FLIP_SHARE * activity)
    return replace(cm, col_lower=lo)


def flip_table(cm: CompiledModel, base: SolveResult, alt: SolveResult | None) -> pd.DataFrame:
    """term, layout, flipped, difference: every weighted term of two solutions of ``cm`` and the total."""
    terms_a = cm.components(base.x)
    ok = alt is not None and alt.x is not None
    terms_b = cm.components(alt.x) if ok else {k: np.nan for k in terms_a}
    rows = [{"term": k, "layout": terms_a[k], "flipped": terms_b[k]} for k in terms_a]
    rows.append({"term": "total", "layout": float(base.objective), "flipped": float(alt.objective) if ok else np.nan})
    out = pd.DataFrame(rows)
    # a term both solves give the same value differs only by round-off: show it as 0
    out["difference"] = round_off((out["flipped"] - out["layout"]).to_numpy(), float(base.objective))
    return out


# -- why a site is open or closed ---------------------------------------------------------
def site_index(cm: CompiledModel, ref: str) -> tuple[int, int]:
    """(segment, region) of ``CHAIN/SEGMENT@REGION``."""
    if "@" not in ref:
        raise InstanceError([Problem("command line", "--site", ref, "CHAIN/SEGMENT@REGION, e.g. "
                                     + "/".join(cm.data.segment_keys[0]) + "@" + cm.data.region_ids[0])])
    seg, region = ref.rsplit("@", 1)
    s = segment_index(cm, seg)
    if region not in cm.data.region_ids:
        raise InstanceError([Problem("command line", "--site", region, "a region id of the instance ("
                                     + ", ".join(cm.data.region_ids[:10]) + ")")])
    return s, cm.data.region_ids.index(region)


def site_decision(instance, solution_dir: str | Path, site: str, *, reoptimise: bool = False,
                  options: SolverOptions | None = None, period: int | None = None,
                  deadline: Deadline | None = None) -> pd.DataFrame:
    """Why a site is open or closed ("why does this site close?"): the layout against the same
    layout with that one site flipped — kept open where it closes, closed where it stays — every
    weighted term side by side (on a brownfield instance ``change`` holds the closing and shrink
    cost).  All else equal (the other placements fixed) or with the rest re-optimised.

    One row per objective term and ``total``; columns ``layout``, ``flipped``, ``difference``
    (flipped minus layout), ``base_status`` (the reference re-solve's: not "optimal" at a time limit,
    so every difference is against a layout not proven the least).  ``attrs``: the site's state in the layout and today, the flipped
    layout's tables (``flipped_tables``: layout, flows, expansions, parks, park activity) or, when
    the flip has no layout, ``why``.  The whole call keeps ``deadline`` (else ``options.time_limit``,
    else :data:`EXPLAIN_S`, from now; module docstring).
    """
    deadline = _deadline(deadline, options)
    inst = load_instance(instance)
    if _phased(inst, period, "explain"):
        from .phased import site_in_period

        return site_in_period(inst, solution_dir, site, period, reoptimise=reoptimise, options=options,
                              deadline=deadline)
    cm, place, expand = read_layout(inst, solution_dir, build(inst))
    return _site_decision(inst, cm, place, site, reoptimise, options or SolverOptions(mip_gap=1e-9),
                          str(solution_dir), Shares(deadline, 4 if reoptimise else 2, after_solve_reserve(cm.n_cols)))


def _site_decision(inst: Instance, cm: CompiledModel, place: np.ndarray, site: str, reoptimise: bool,
                   options: SolverOptions, where: str, shares: Shares) -> pd.DataFrame:
    d = cm.data
    s, r = site_index(cm, site)
    flipped = place.copy()
    flipped[s, r] = not place[s, r]

    def run(P: np.ndarray) -> SolveResult:
        def hosted(c: CompiledModel) -> CompiledModel:
            return hosting(c, cm.var("activity").index(s, r), d.activity[s]) if P[s, r] and not place[s, r] else c

        fixed = _solve(hosted(fix_placements(cm, P)), options, shares)
        if not reoptimise:
            return fixed
        # only this site's binary fixed, every other placement free; from the layout with the rest
        # kept (as cost_of_moving's MIPs: without a start, a short share found no layout at all)
        lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
        i = cm.var("place").index(s, r)
        lo[i] = hi[i] = float(P[s, r])
        return _solve(hosted(replace(cm, col_lower=lo, col_upper=hi)), options, shares, start=fixed.x)

    base = run(place)
    if base.x is None:
        if _timed_out(base):
            raise SolverError(f"the layout re-solved as the reference: {no_layout_why(base)}")
        raise InstanceError([Problem(where, "layout", base.status, "a feasible layout of this instance (run `yrdopt check`)")])
    bf = d.brownfield
    today = float(bf.existing_activity[s, r]) if bf is not None and bf.existing[s, r] else None
    attrs = {"site": site, "open": bool(place[s, r]), "today": today, "reoptimise": reoptimise,
             "base_status": base.status,  # the layout re-solved as the reference: what "layout" holds
             "activity": float(cm.var("activity").take(base.x)[s, r]),
             "protected": bool(bf is not None and bf.protected[s, r]), "why": "",
             "greenfield": bf is None}  # no today's sites to compare with (a baseline file is only a report)
    policy = flip_policy(d, s, r, bool(place[s, r]))
    why, blocked_by = policy if policy is not None else (None, "")
    # the model's own "every segment has a site" is no limit diagnose could name: said here
    if why is None and not reoptimise and place[s, r] and place[s].sum() == 1:
        why = (f"it is the only site of {d.segment_label(s)}: closed with the rest of the layout kept, the "
               "segment has no site (--reoptimise lets it open elsewhere)")
    alt = run(flipped) if why is None else None
    if alt is not None and _timed_out(alt):
        why = no_layout_why(alt)
    elif (alt is not None and alt.x is None) or policy is not None:  # the rules that block the flip
        pinned, start = flipped.astype(float), None
        if reoptimise:  # only this site held, as run() holds it; the raise of quotas from the rest kept
            pinned, start = np.full((d.S, d.R), np.nan), pinned
            pinned[s, r] = float(flipped[s, r])
        floor = {(s, r): FLIP_SHARE * d.activity[s]} if flipped[s, r] and not place[s, r] else None
        shares.add()
        limit = shares.next()
        if policy is not None:  # what would still block it with that policy lifted (cheaply: capped)
            limit = POLICY_SEARCH_S if limit is None else min(limit, POLICY_SEARCH_S)
            why, blocked_by = why_beyond_policy(BlockingSearch(inst), pinned, Deadline(limit), kept=not reoptimise,
                                                segment=d.segment_label(s), policy=[policy], floor=floor, start=start)
        else:  # proven infeasible
            why, blocked_by = why_blocked(BlockingSearch(inst), pinned, Deadline(limit), kept=not reoptimise,
                                          floor=floor, start=start)
    out = flip_table(cm, base, alt)
    out["base_status"] = base.status
    attrs["why"] = why or ""
    attrs["blocked_by"] = blocked_by
    if alt is not None and alt.x is not None:  # the flipped layout's tables, for the checker
        from ..solution import park_tables_from_x, tables_from_x

        attrs["flipped_tables"] = (*tables_from_x(cm, alt.x), *park_tables_from_x(cm, alt.x))
    out.attrs.update(attrs)
    return out

"""Explain and prices for one period of a phased plan (issue 14, point 7).

A phased plan (``yrdopt solve`` on an instance with ``periods``) is one MILP over all
milestones (:mod:`yrdopt.model.periods`).  What one period's analysis means there:

* **the plan model** — every integer column (sites, parks) of every period fixed at the
  written plan (``layout.csv``, ``expansions.csv``, ``parks.csv`` with their ``period``
  column), activities, flows and transitions free: an LP (:func:`plan_lp`), with the
  site capacities replaced by ``activity <= min(A_t[s], capacity) * place`` as in the
  single-period fixed-placement LP (:func:`yrdopt.model.fixed.fix_placements`);
* **prices of period t** — duals of period t's quota, guarantee and change-budget rows in
  that LP: the decrease of the plan's *discounted* objective (``summary.json: objective``)
  per unit more in that period only.  Later periods see the effect through the transition
  rows (what is shrunk or moved from period t);
* **moving a segment in period t** — its placement row of period t set to one region, every
  other period's sites kept as written (the LP), or, with ``reoptimise``, only that row fixed
  and the whole phased MILP re-solved;
* **why a site of period t is open or closed** — the plan against the same plan with that one
  site of period t flipped.

Re-solving to price a quota that is tight but has LP price 0 (as single-period prices do) is
not offered here: each re-solve is the whole phased MILP.
"""

from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..checker import _truthy, read_layout_dir, read_park_tables
from ..errors import InstanceError, Problem
from ..io import load_instance
from ..model.compiled import CompiledModel
from ..solver import SolveResult, SolverOptions
from .alternatives import place_from_layout
from ..deadline import OVERRUN_S_PER_COL, Deadline, Shares, after_solve_reserve
from ..errors import SolverError
from .explain import (BUDGET_COLUMNS, BUDGET_UNITS, REFERENCE_SHARE, Prices, _deadline, _solve, _timed_out, expansions_taken, flip_policy, flip_table, guarantee_prices,
                      hosting, instead, move_policy, no_layout_why, now_shares, quota_prices, quota_raise, raise_parts, round_off,
                      same_instance_layout,
                      segment_index, site_index)


def period_index(inst, year) -> int:
    years = [m.year for m in inst.periods.milestones]
    if year is None or int(year) not in years:
        raise InstanceError([Problem("command line", "--period", year,
                                     f"a milestone year of the instance ({', '.join(map(str, years))})")])
    return years.index(int(year))


def plan_model(instance, solution_dir: str | Path, year):
    """(instance, phased model, period index, integer values of the written plan)."""
    from ..model.periods import build_phased

    inst = load_instance(instance)
    t = period_index(inst, year)
    same_instance_layout(inst, solution_dir)
    pm = build_phased(inst)
    return inst, pm, t, plan_values(pm, solution_dir)


def plan_values(pm, solution_dir: str | Path) -> np.ndarray:
    """Sites, expansions and parks of every period of a written plan, as values of ``pm``'s columns."""
    layout, _, exps = read_layout_dir(solution_dir)
    parks, _ = read_park_tables(solution_dir)
    file = str(Path(solution_dir) / "layout.csv")
    if "period" not in layout.columns:
        raise InstanceError([Problem(file, "header", list(layout.columns), "a period column (the instance has periods)")])
    x = np.zeros(pm.cm.n_cols)
    for t, (y, core) in enumerate(zip(pm.years, pm.periods)):
        off = pm.offsets[t]
        lay = layout[layout["period"].astype(int) == y]
        x[core.var("place").slice.start + off: core.var("place").slice.stop + off] = \
            place_from_layout(core, lay, f"{file} (period {y})").ravel()
        d = core.data
        if d.E and exps is not None and "period" in exps.columns:
            eb = core.var("expand")
            x[eb.start + off: eb.stop + off] = expansions_taken(core, exps[exps["period"].astype(int) == y])
        if d.N:
            opened = d.park_existing.copy()
            if parks is not None and "period" in parks.columns:
                pk = parks[parks["period"].astype(int) == y]
                for pid, on in zip(pk["park"].astype(str), pk["opened"]):
                    if pid in d.park_ids and _truthy(on):
                        opened[d.park_ids.index(pid)] = True
            nb = core.var("park_open")
            x[nb.start + off: nb.stop + off] = opened
    return x


def plan_lp(pm, values: np.ndarray) -> CompiledModel:
    """The phased model with every integer column fixed at ``values``: an LP in activities,
    flows and transitions, site capacities as bounds (see the module doc)."""
    cm = pm.cm
    lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
    ints = cm.integrality > 0
    lo[ints] = hi[ints] = np.round(values[ints])
    row_hi = cm.row_upper.copy()
    for t, core in enumerate(pm.periods):
        d, off = core.data, pm.offsets[t]
        pb, ab = core.var("place"), core.var("activity")
        place = np.round(values[pb.start + off: pb.stop + off]).reshape(d.S, d.R)
        cap = d.activity[:, None] if d.brownfield is None else np.minimum(d.activity[:, None], d.brownfield.capacity)
        hi[ab.start + off: ab.stop + off] = (cap * place).ravel()
        row_hi[cm.row(f"{t}.site_capacity").slice] = np.inf
    return replace(cm, col_lower=lo, col_upper=hi, row_upper=row_hi, integrality=np.zeros_like(cm.integrality))


def _row_offset(pm, t: int) -> int:
    name = next(iter(pm.periods[t].row_blocks))
    return pm.cm.row(f"{t}.{name}").start - pm.periods[t].row(name).start


def _period_result(pm, t: int, res: SolveResult) -> SolveResult:
    """Period t's part of a plan LP answer, as a result of period t's core model."""
    r0 = _row_offset(pm, t)
    return replace(res, x=pm.period_x(res.x, t), row_dual=res.row_dual[r0: r0 + pm.periods[t].n_rows])


def _infeasible_plan(where: str, res: SolveResult) -> InstanceError:
    return InstanceError([Problem(where, "plan", res.status,
                                  "a plan under which the instance is feasible (run `yrdopt check` on it)")])


# -- prices ----------------------------------------------------------------------------------
_BUDGET_ROW = re.compile(r"change_(opened|closed|moved)\[(\d+),(\d+)\]$")
_FIELD = {"opened": "max_opened", "closed": "max_closed", "moved": "max_moved_share"}


def prices_in_period(instance, solution_dir: str | Path, year, deadline: Deadline | None = None) -> Prices:
    """Prices of one period's quotas, guarantees and change budgets in the written plan (LP
    duals of the plan model; objective = the plan's discounted objective); the plan LP within
    ``deadline`` (None: no limit), its duals refused where it stops at it."""
    inst, pm, t, values = plan_model(instance, solution_dir, year)
    res = _solve(plan_lp(pm, values), shares=None if deadline is None else Shares(deadline, 1))
    if res.status.startswith("time_limit"):  # its duals are no prices
        raise SolverError(f"the plan LP of the written plan did not solve within the time limit ({res.status})")
    if res.x is None or res.row_dual is None:
        raise _infeasible_plan(str(solution_dir), res)
    core = pm.periods[t]
    rt = _period_result(pm, t, res)
    expand = core.var("expand").take(rt.x) > 0.5 if core.data.E else np.zeros(0, dtype=bool)
    scopes = ["area", *core.data.province_ids]
    act = pm.cm.A @ res.x
    A = pm.cm.A.tocsr()
    removed = pm.transition["removed"]
    rows = []
    for name, block in pm.cm.row_blocks.items():
        m = _BUDGET_ROW.match(name)
        if m is None or int(m.group(2)) != t:
            continue
        field, g = _FIELD[m.group(1)], int(m.group(3))
        j = block.start
        limit, used = float(pm.cm.row_upper[j]), float(act[j])
        if field == "max_moved_share":  # the row reads removed - share x activity[t-1] <= forced: show
            cols = A.indices[A.indptr[j]: A.indptr[j + 1]]  # activity moved against share x activity + forced
            vals = A.data[A.indptr[j]: A.indptr[j + 1]]
            mine = (cols >= removed.start) & (cols < removed.stop)
            moved = float(vals[mine] @ res.x[cols[mine]])
            limit, used = limit - (used - moved), moved
        rows.append({"budget": field, "unit": BUDGET_UNITS[field], "scope": scopes[g],
                     "path": f"periods.milestones[{t}].budget.{field}" if g == 0
                     else f"periods.milestones[{t}].budget.by_province.{scopes[g]}.{field}",
                     "limit": limit, "used": used, "binding": used >= limit - 1e-6 * max(1.0, abs(limit)),
                     "value_per_unit": -float(res.row_dual[j]) + 0.0, "resolved_value_per_unit": np.nan})
    budgets = pd.DataFrame(rows, columns=BUDGET_COLUMNS)
    return Prices(float(res.objective), quota_prices(core, rt, expand, resolve=False), guarantee_prices(core, rt),
                  budgets)


# -- moving a segment, flipping a site ----------------------------------------------------------
def _runner(pm, t: int, s: int, regions: np.ndarray, values: np.ndarray, reoptimise: bool, options: SolverOptions,
            shares: Shares):
    """Solve the plan with the placements of segment s in period t in ``regions`` set to a row of
    values, each solve within the next of ``shares``; a site the row opens hosts at least
    FLIP_SHARE of the segment."""
    core = pm.periods[t]
    cols = core.var("place").index(np.full(len(regions), s), regions) + pm.offsets[t]
    acts = core.var("activity").index(np.full(len(regions), s), regions) + pm.offsets[t]

    def run(row: np.ndarray, fraction: float | None = None) -> SolveResult:
        if reoptimise:  # only these placements fixed; the whole phased MILP re-solved
            lo, hi = pm.cm.col_lower.copy(), pm.cm.col_upper.copy()
            lo[cols] = hi[cols] = row.astype(float)
            cm = replace(pm.cm, col_lower=lo, col_upper=hi)
        else:
            v = values.copy()
            v[cols] = row.astype(float)
            cm = plan_lp(pm, v)
        for col in acts[row & (values[cols] < 0.5)]:
            cm = hosting(cm, col, core.data.activity[s])
        return _solve(cm, options, shares, fraction=fraction)
    return run


def _reference(where: str, base: SolveResult) -> SolveResult:
    """The written plan re-solved as the reference; an error where it has no layout."""
    if base.x is None:
        if _timed_out(base):
            raise SolverError(f"the plan re-solved as the reference: {no_layout_why(base)}")
        raise _infeasible_plan(where, base)
    return base


def _not_possible(year: int, reoptimise: bool) -> str:
    return (f"infeasible with the plan's other sites fixed: a quota, change budget or minimum run of {year} or "
            "a later period binds" if not reoptimise else
            f"no plan over the periods has it (a quota, change budget or minimum run of {year} or later)")


# -- why a move or a flip of period t has no plan -------------------------------------------------
# rules of the phased model that no raise of a quota or change budget lifts, by the row blocks that
# state them: (block name test, instance field, the rule in the planner's words).  Not here: the
# definitions (demand, flows, transitions, P8a-c), the soft ones (duplication), the park rows, and
# what a column bound states (fixed, forbidden and protected placements, site capacities)
PLAN_RULES = (
    (lambda n: n.startswith("min_run["), "periods.min_run_years", "the minimum run of new sites"),
    (lambda n: n.startswith("kept_share["), "brownfield.min_kept_share",
     "the share of its activity a kept site keeps running"),
    (lambda n: n.endswith(".site_count"), "chains[].segments[].single_site; policy.site_limits",
     "the number of sites a segment may have (single-site, site limits)"),
    (lambda n: n.endswith(".min_scale"), "chains[].segments[].min_scale; brownfield.min_kept_share",
     "a minimum scale of a site (for today's sites in the first period also the share of today's activity they keep)"),
    (lambda n: n.startswith("grandfathered_min_scale["), "brownfield.existing[].min_scale",
     "the minimum scale today's sites keep while they run"),
    (lambda n: n.startswith("grandfathered_capacity["), "brownfield.existing[].capacity",
     "the capacity of today's sites, kept while they run"),
    (lambda n: n.endswith(".guarantee"), "policy.guarantees; policy.province_min_share", "a guarantee or province share"),
)


def _rules_off(cm: CompiledModel, rules) -> CompiledModel:
    """``cm`` with the rows of ``rules`` (entries of :data:`PLAN_RULES`) switched off."""
    lo, hi = cm.row_lower.copy(), cm.row_upper.copy()
    for name, b in cm.row_blocks.items():
        if any(test(name) for test, _, _ in rules):
            lo[b.slice], hi[b.slice] = -np.inf, np.inf
    return replace(cm, row_lower=lo, row_upper=hi)


class PlanBlocking:
    """Why placements of period t pinned in a phased plan (``explain --period``'s move of a
    segment, flip of a site) have no plan: the least raise of every period's quotas and change
    budgets that gives them one (the phased model in elastic mode, without flows:
    :func:`yrdopt.analysis.diagnose.phased_elastic_model`, the same model ``diagnose`` solves over the
    periods; its objective is the total raise, each in its own unit), with the plan's other sites kept (an LP) or,
    with ``reoptimise``, the whole plan free (a MIP).  Where no raise helps, the rules of
    :data:`PLAN_RULES` that, each switched off alone, let them hold (with the raise still needed
    beside the first); where none alone does, the fewest of them that together do.  One model for
    every question (:meth:`prepare`)."""

    def __init__(self, inst, solution_dir: str | Path):
        self.inst, self.solution_dir = inst, solution_dir
        self.pm = None

    def prepare(self) -> None:
        """Build the elastic model (before the explanations share what is left of the time): ``diagnose``'s
        own, without flows (:func:`yrdopt.analysis.diagnose.phased_elastic_model`): flows never make a
        plan infeasible, so the least raise and the rules that block are the same without them."""
        from .diagnose import phased_elastic_model

        if self.pm is None:
            self.pm = phased_elastic_model(self.inst)
            self.values = plan_values(self.pm, self.solution_dir)

    def _model(self, t: int, s: int, regions: np.ndarray, row: np.ndarray, reoptimise: bool) -> CompiledModel:
        self.prepare()
        pm, core = self.pm, self.pm.periods[t]
        cols = core.var("place").index(np.full(len(regions), s), regions) + pm.offsets[t]
        acts = core.var("activity").index(np.full(len(regions), s), regions) + pm.offsets[t]
        if reoptimise:
            lo, hi = pm.cm.col_lower.copy(), pm.cm.col_upper.copy()
            lo[cols] = hi[cols] = row.astype(float)
            cm = replace(pm.cm, col_lower=lo, col_upper=hi)
        else:
            v = self.values.copy()
            v[cols] = row.astype(float)
            cm = plan_lp(pm, v)
        for col in acts[row & (self.values[cols] < 0.5)]:
            cm = hosting(cm, col, core.data.activity[s])
        return cm

    def _alone(self, cm: CompiledModel, x: np.ndarray, options: SolverOptions,
               shares: Shares) -> tuple[dict, dict]:
        """The limits that, raised alone, would do instead of the least raise ``x`` of ``cm`` (the elastic
        model with the rules found switched off), as one period's :class:`yrdopt.analysis.diagnose.BlockingSearch`
        finds them: for each limit ``x`` raises, the least raise with it held at its limit (its slack
        0); where that raises one quota or budget alone (one the least raise names too, raised more),
        that one, with its least raise alone (quotas {"year/region/resource": raise}, budgets {(period,
        path): record} as :func:`yrdopt.analysis.diagnose.phased_increase`).  Only a raise proven least
        is offered; a solve stopped at its share of the time ends the search."""
        from .diagnose import ROUND_OFF, phased_increase, slack_scales

        cols, limit = slack_scales(cm)
        held = cols[x[cols] > ROUND_OFF * limit]
        shares.add(len(held))
        quotas, budgets = {}, {}
        for j in held:
            hi = cm.col_upper.copy()
            hi[j] = 0.0
            alt = _solve(replace(cm, col_upper=hi), options, shares)
            if _timed_out(alt):
                break
            if alt.x is None or alt.status != "optimal":
                continue
            q, b = phased_increase(self.inst, self.pm, alt.x)
            if len(q) + len(b) == 1:
                quotas.update(q)
                budgets.update({(r["period"], r["path"]): r for r in b})
        return quotas, budgets

    def __call__(self, t: int, s: int, regions: np.ndarray, row: np.ndarray, reoptimise: bool,
                 deadline: Deadline) -> tuple[str, str]:
        """(why, blocked_by) for period t's placements of segment s in ``regions`` set to ``row``,
        within ``deadline``.  The least raise is picked among those of the same total by ``diagnose``'s
        rule (:func:`yrdopt.analysis.diagnose.pick_among_least`), said after it."""
        from .diagnose import TIE_SHARE, phased_increase, pick_among_least, tie_words

        year = self.inst.periods.milestones[t].year
        unknown = (f"infeasible with this change in {year}; why was not found within the time limit "
                   "(give it more time: --time-limit)", "")
        try:
            cm = self._model(t, s, regions, row, reoptimise)
        except Exception:  # never let the explanation hide the answer it explains
            return _not_possible(year, reoptimise), ""
        present = [r for r in PLAN_RULES if any(r[0](n) and b.stop > b.start for n, b in cm.row_blocks.items())]
        # these answers are not written or checked: only a MIP's overrun of its limit is kept back
        shares = Shares(deadline, 1 + len(present), OVERRUN_S_PER_COL * cm.n_cols if reoptimise else 0.0)
        options = SolverOptions(mip_gap=1e-9)
        res = _solve(cm, options, shares)
        kept = "" if reoptimise else "the plan's other sites kept, --reoptimise lets them change; "
        if _timed_out(res):
            return unknown
        rules, raised, raised_cm, stopped = [], res, cm, False
        if res.x is None:  # raising quotas and budgets does not help: which rule, switched off alone, does
            raised = None
            for rule in present:
                alt = _solve(off := _rules_off(cm, [rule]), options, shares)
                if alt.x is not None:
                    rules.append(rule)
                    if raised is None:  # the raise needed beside the first rule found
                        raised, raised_cm = alt, off
                elif _timed_out(alt):
                    stopped = True
                    break
            if not rules and stopped:
                return unknown
            if not rules:  # none alone: the fewest that together do (a deletion filter), or none at all
                needed = list(present)
                shares.add(1 + len(present))
                alt = _solve(_rules_off(cm, needed), options, shares)
                if _timed_out(alt):
                    return unknown
                if alt.x is None:
                    return (f"infeasible in {year} with every quota and change budget raised and every rule tried "
                            f"switched off ({'; '.join(w for _, _, w in present) or 'none'}): {kept}the sites "
                            "held cannot take the segment's activity (fixed, forbidden and protected placements "
                            "and site capacities stay)"), ""
                for rule in present:
                    fewer = [r for r in needed if r is not rule]
                    alt2 = _solve(_rules_off(cm, fewer), options, shares)
                    if alt2.x is not None:
                        needed, alt = fewer, alt2
                    elif _timed_out(alt2):
                        stopped = True
                        break
                rules, raised, raised_cm = [(None, " and ".join(p for _, p, _ in needed), " and ".join(
                    w for _, _, w in needed) + " together")], alt, _rules_off(cm, needed)
        # diagnose's rule among raises of that total, within a share of this question's time (others share it)
        raised = pick_among_least(raised_cm, raised, deadline, share=TIE_SHARE)
        quotas, budgets = phased_increase(self.inst, self.pm, raised.x)
        if not rules and not quotas and not budgets:  # within round-off: refused only at the solver's tolerance
            return f"infeasible (numerically borderline); {kept}".rstrip("; "), ""
        alone_q, alone_b = self._alone(raised_cm, raised.x, options, shares)
        parts = [rules[0][2]] if rules else []  # the raises below are those with this rule switched off
        # as explain says one period's (explain.raise_parts): several raised are "a least raise", one limit
        # that alone does (raised more, or not raised at all) "or instead … alone"
        said_q = [(quota_raise(_quota_name(key), v), instead(quota_raise(_quota_name(key), alone_q[key]))
                   if key in alone_q else None) for key, v in sorted(quotas.items())]
        said_q += [(None, instead(quota_raise(_quota_name(key), v))) for key, v in alone_q.items() if key not in quotas]
        joint_b = {(b["period"], b["path"]): b for b in budgets}
        said_b = [(b["text"], instead(alone_b[key]["text"]) if key in alone_b else None) for key, b in joint_b.items()]
        said_b += [(None, instead(b["text"])) for key, b in alone_b.items() if key not in joint_b]
        parts += raise_parts(said_q, said_b)
        if len(rules) > 1:
            parts.append("or instead " + " or ".join(w for _, _, w in rules[1:]))
        raise_words = "the least total raise, each limit in its own unit" if raised.status == "optimal" else \
            "a raise found at the time limit, not proven the least"
        if rules:
            did = f"switching {'that rule' if len(rules) == 1 else 'the first rule'} off" + (
                f" and raising so ({raise_words})" if quotas or budgets else "")
        else:
            did = f"raising so ({raise_words})"
        found = " (found before the search stopped at its time limit)" if stopped else ""
        tail = f" ({kept}{did} makes it possible; other rules may also block){found}" + (
            f" {tie_words(raised.solver)}" if quotas or budgets else "")
        # the fields of the limits raised, then of those that alone would do (as one period's blocked_by)
        paths = [p for _, p, _ in rules] + [b["path"] for b in budgets] + [
            f"regions.{k.split('/')[1]}.quotas.{k.split('/')[2]}" for k in [*sorted(quotas), *alone_q]] + [
            b["path"] for b in alone_b.values()]
        return (("blocked by: " if rules or budgets or alone_b else "") + "; ".join(parts) + tail,
                "; ".join(dict.fromkeys(paths)))


def _quota_name(key: str) -> str:
    """A quota of :func:`yrdopt.analysis.diagnose.phased_increase` ("2030/r3/land") as explain says it: "2030: r3 land"."""
    return key.replace("/", ": ", 1).replace("/", " ")


def moves_in_period(instance, solution_dir: str | Path, segment: str, year, *, reoptimise: bool = False,
                    options: SolverOptions | None = None, deadline: Deadline | None = None) -> pd.DataFrame:
    """:func:`yrdopt.analysis.explain.cost_of_moving` for period ``year`` of a phased plan: the
    segment moved entirely to each region in that period; terms are the plan's (discounted).
    Within ``deadline`` (else ``options.time_limit``, else 60 s, from now) for the whole call."""
    deadline = _deadline(deadline, options)
    inst, pm, t, values = plan_model(instance, solution_dir, year)
    options = options or SolverOptions(mip_gap=1e-9)
    core = pm.periods[t]
    d = core.data
    s = segment_index(core, segment)
    cols = core.var("place").index(np.full(d.R, s), np.arange(d.R)) + pm.offsets[t]
    n_solves = 1 + sum(not move_policy(d, s, r) for r in range(d.R))
    run = _runner(pm, t, s, np.arange(d.R), values, reoptimise, options,
                  Shares(deadline, n_solves, after_solve_reserve(pm.cm.n_cols)))
    current = values[cols] > 0.5
    # the reference every move is measured against: at least REFERENCE_SHARE of the time (cost_of_moving's rule)
    base = _reference(str(solution_dir), run(current, max(REFERENCE_SHARE, 1.0 / n_solves)))
    base_terms = pm.cm.components(base.x)
    hosts = np.flatnonzero(current)
    now = now_shares(core.var("activity").take(pm.period_x(base.x, t))[s], current)
    rows, blocked = [], []  # blocked: (row, region) proven infeasible, explained once every move has run
    for r in range(d.R):
        row = {"region": d.region_ids[r], "current": bool(current[r] and len(hosts) == 1), "now_share": now[r]}
        P = np.zeros(d.R, dtype=bool)
        P[r] = True
        policy = move_policy(d, s, r)  # answered from the policy, with its fields (no search over periods)
        why = "; ".join(t for t, _ in policy) or None
        res = run(P) if why is None else None
        if res is not None and res.x is not None:
            terms = pm.cm.components(res.x)
            row.update(status=res.status, objective=float(res.objective),
                       change=round_off(float(res.objective - base.objective), float(base.objective)),
                       **{f"change_{k}": round_off(terms[k] - base_terms[k], float(base.objective)) for k in terms},
                       why="")
        elif res is not None and _timed_out(res):
            row.update(status=res.status, objective=np.nan, change=np.nan,
                       **{f"change_{k}": np.nan for k in base_terms}, why=no_layout_why(res))
        else:
            row.update(status="infeasible", objective=np.nan, change=np.nan,
                       **{f"change_{k}": np.nan for k in base_terms}, why=why or _not_possible(pm.years[t], reoptimise))
            if why is None:
                blocked.append((row, r))
        row["blocked_by"] = "; ".join(dict.fromkeys(f for _, f in policy))
        rows.append(row)
    search = PlanBlocking(inst, solution_dir)
    if blocked:
        search.prepare()  # once, before the explanations share what is left
    explained = Shares(deadline, len(blocked))
    for row, r in blocked:
        row["why"], row["blocked_by"] = search(t, s, np.arange(d.R), np.arange(d.R) == r, reoptimise,
                                               Deadline(explained.next(), stop=deadline.stop))
    out = pd.DataFrame(rows)
    out["base_status"] = base.status  # every change is measured against it
    out.attrs.update(segment=segment, base_objective=float(base.objective), reoptimise=reoptimise,
                     base_status=base.status,
                     hosts=[d.region_ids[h] for h in hosts], period=pm.years[t])
    return out


def site_in_period(instance, solution_dir: str | Path, site: str, year, *, reoptimise: bool = False,
                   options: SolverOptions | None = None, deadline: Deadline | None = None) -> pd.DataFrame:
    """:func:`yrdopt.analysis.explain.site_decision` for period ``year`` of a phased plan: the plan
    against the same plan with that site of that period flipped (the plan's discounted terms).
    ``attrs["today"]`` is the site's activity in the period before (today's for the first);
    ``attrs["flipped_tables"]`` the flipped plan's tables for the checker.  Within ``deadline``
    (else ``options.time_limit``, else 60 s, from now) for the whole call."""
    from ..phasing import plan_tables

    deadline = _deadline(deadline, options)
    inst, pm, t, values = plan_model(instance, solution_dir, year)
    options = options or SolverOptions(mip_gap=1e-9)
    core = pm.periods[t]
    d = core.data
    s, r = site_index(core, site)
    col = np.array([core.var("place").index(s, r) + pm.offsets[t]])
    run = _runner(pm, t, s, np.array([r]), values, reoptimise, options,
                  Shares(deadline, 2, after_solve_reserve(pm.cm.n_cols)))
    now = bool(values[col[0]] > 0.5)
    base = _reference(str(solution_dir), run(np.array([now])))
    if t == 0:
        bf = d.brownfield
        before = float(bf.existing_activity[s, r]) if bf is not None and bf.existing[s, r] else None
    else:
        prev = pm.periods[t - 1]
        x_prev = pm.period_x(base.x, t - 1)
        before = float(prev.var("activity").take(x_prev)[s, r]) if prev.var("place").take(x_prev)[s, r] > 0.5 else None
    attrs = {"site": site, "open": now, "today": before, "reoptimise": reoptimise, "base_status": base.status,
             "period": pm.years[t],
             "activity": float(core.var("activity").take(pm.period_x(base.x, t))[s, r]),
             "protected": bool(d.brownfield is not None and d.brownfield.protected[s, r]), "why": ""}
    policy = flip_policy(d, s, r, now)
    why, attrs["blocked_by"] = policy if policy is not None else (None, "")
    alt = run(np.array([not now])) if why is None else None
    ok = alt is not None and alt.x is not None
    if not ok and why is None and not _timed_out(alt):  # proven infeasible: what blocks it
        why, attrs["blocked_by"] = PlanBlocking(inst, solution_dir)(t, s, np.array([r]), np.array([not now]),
                                                                    reoptimise, deadline)
    elif not ok:
        why = why or no_layout_why(alt)
    out = flip_table(pm.cm, base, alt)
    out["base_status"] = base.status
    attrs["why"] = why or ""
    if ok:
        attrs["flipped_tables"] = plan_tables(pm, alt.x[: pm.cm.n_cols])
    out.attrs.update(attrs)
    return out

"""Phased transitions to 2035 (issue 14): periods, the myopic plan, and their solutions.

* :func:`period_instance` — period t as an ordinary single-period brownfield instance,
  starting from the previous period's layout (today's for the first).  The myopic plan solves
  these one after the other; the independent checker re-checks each period with them.
* :func:`solve_phased` — the one MILP over all periods (:mod:`yrdopt.model.periods`),
  started from the myopic plan, checked period by period.

The objective of a plan is the same in both: sum over t of discount[t] x (years[t] x running
terms + one-off terms) — :func:`period_instance` multiplies the running weights by years[t].
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from .schema import Instance

RUNNING = ("distance", "site_cost", "duplication", "guarantee_shortfall")


def refuse_periods(inst: Instance, what: str, instead: str = "", file: str | None = None) -> None:
    """Raise InstanceError (exit 2) when ``inst`` declares milestone periods and ``what`` (an
    analysis of one period's model) would otherwise silently read it as one period."""
    if inst.periods is None:
        return
    from .errors import InstanceError, Problem

    years = [m.year for m in inst.periods.milestones]
    raise InstanceError([Problem(file or inst.name, "periods", years,
                                 f"an instance without milestone periods: {what} is not supported over "
                                 f"periods{'; ' + instead if instead else ''}")])


def period_years(inst: Instance) -> tuple[list[int], np.ndarray, np.ndarray]:
    """Milestone years, the years each period's running costs count, and discount factors."""
    ms = inst.periods.milestones
    years = [m.year for m in ms]
    span = []
    for t, m in enumerate(ms):
        if m.years is not None:
            span.append(m.years)
        elif t + 1 < len(ms):
            span.append(ms[t + 1].year - m.year)
        else:
            span.append(m.year - ms[t - 1].year if t > 0 else 1)
    rho = inst.periods.discount_rate
    disc = np.array([(1.0 + rho) ** -(y - years[0]) for y in years])
    return years, np.array(span, dtype=float), disc


def period_budget(inst: Instance, t: int):
    """The change budget into period t: the period's own, else the brownfield one (or None)."""
    m = inst.periods.milestones[t]
    if m.budget is not None:
        return m.budget
    return inst.brownfield.budget if inst.brownfield is not None else None


def scaled_instance(inst: Instance, t: int) -> Instance:
    """The instance with period t's activity (x growth) and quotas (x quota factor), without
    periods; today's sites and every other part unchanged."""
    return Instance.model_validate(_scaled_dict(inst, t))


def _scaled_dict(inst: Instance, t: int) -> dict:
    m = inst.periods.milestones[t]
    d = inst.model_dump(by_alias=True, exclude={"periods"})
    d["name"] = f"{inst.name}@{m.year}"
    for c in d["chains"]:
        for s in c["segments"]:
            s["activity"] = s["activity"] * m.growth.get(c["id"], 1.0)
    for r in d["regions"]:
        r["quotas"] = {k: q * m.quota_factor.get(k, 1.0) for k, q in r["quotas"].items()}
    return d


def period_instance(inst: Instance, t: int, previous=None, taken_before: set | frozenset = frozenset(),
                    opened_at: dict | None = None, parks_before: set | frozenset = frozenset(),
                    grandfathered: set | frozenset | None = None) -> Instance:
    """Period t alone: activity grown, quotas scaled, parks built earlier folded into the quotas,
    today's sites = ``previous`` (a layout of period t-1; None for the first period), the
    period's budget, and the sites that must still run (min_run_years) protected.

    ``opened_at`` maps (chain, segment, region) to the period a site was opened in;
    ``parks_before`` are enclave parks opened earlier (they exist now, their cost is paid);
    ``grandfathered`` are the sites of today that ran in every period before t
    (:func:`still_grandfathered`; None: every site of today, true up to t = 1): only they keep
    today's capacity and grandfathered minimum scale (formulation.md section 13, P8), any other
    site of ``previous`` is a new site.
    """
    years, span, _ = period_years(inst)
    d = _scaled_dict(inst, t)
    for p in d.get("enclaves") or []:
        if p["id"] in parks_before:
            p["existing"], p["fixed_cost"] = True, 0.0
    for r in d["regions"]:
        keep = []
        for o in r["expansions"]:
            if (r["id"], o["id"]) in taken_before:
                for k, v in o["extra_quota"].items():
                    if k in r["quotas"]:
                        r["quotas"][k] += v
            else:
                keep.append(o)
        r["expansions"] = keep
    for k in RUNNING:
        if k in d["weights"]:
            d["weights"][k] = d["weights"][k] * float(span[t])
    bf = d.get("brownfield") or {"existing": [], "protected": []}
    today = {(e.chain, e.segment, e.region): e for e in (inst.brownfield.existing if inst.brownfield else [])}
    if grandfathered is not None:
        today = {k: e for k, e in today.items() if k in grandfathered}
    share = kept_share(inst)
    if previous is not None:
        segs = {(c.id, s.id): s for c in inst.chains for s in c.segments}
        existing = []
        lay = sited_rows(previous)  # the sites of t-1, as sited_keys counts them
        regions = {r.id for r in inst.regions}
        for i, row in enumerate(lay.itertuples(index=False)):
            key = (str(row.chain), str(row.segment), str(row.region))
            if key[:2] not in segs or key[2] not in regions:  # a layout written for another instance
                from .errors import InstanceError, Problem

                what = "chain/segment" if key[:2] not in segs else "region"
                raise InstanceError([Problem(f"layout of period {years[t - 1] if t > 0 else 'today'}", f"row {i + 1}",
                                             "/".join(key), f"a {what} of the instance")])
            site = {"chain": key[0], "segment": key[1], "region": key[2], "activity": max(float(row.activity), 0.0)}
            site["min_scale"] = kept_min_scale(segs[key[:2]], today.get(key), site["activity"], share)
            if key in today and today[key].capacity is not None:
                site["capacity"] = cap = today[key].capacity
                # the model's capacity row may leave the activity an ulp above it
                if cap < site["activity"] <= cap * (1 + 1e-9) + 1e-12:
                    site["activity"] = cap
            existing.append(site)
        bf["existing"] = existing
    budget = period_budget(inst, t)
    bf["budget"] = budget.model_dump() if budget is not None else {}
    protected = list(bf.get("protected") or [])
    run = inst.periods.min_run_years
    for key, t0 in (opened_at or {}).items():
        if t0 < t and years[t] < years[t0] + run:
            protected.append({"chain": key[0], "segment": key[1], "region": key[2]})
    bf["protected"] = protected
    d["brownfield"] = bf
    return Instance.model_validate(d)


def milestone_instance(inst: Instance, t: int) -> Instance:
    """Milestone t's limits alone, as an instance without periods (``yrdopt diagnose --period YEAR``):
    what every plan's period t must satisfy, whatever the periods before.  Period 0 is the plan's
    first period exactly (:func:`period_instance` from today's sites, with its change budget).  A
    later one is period t's core model (:func:`yrdopt.model.periods.period_data`): its activity and
    quotas, today's sites with only the limits they have whether or not they ran in every period
    since today (no capacity of their own, the floor min(g, m), no kept share of today's activity),
    and no change budget — those count from the plan's period before, which no diagnosis has.  So a
    conflict found here is one of every plan."""
    if t == 0:
        return period_instance(inst, 0)
    from .model.periods import period_data

    d = _scaled_dict(inst, t)
    bf = d.get("brownfield")
    if bf:
        data = period_data(inst, t)
        core = data.brownfield  # relaxed_core: the limits of either state
        seg = {key: s for s, key in enumerate(data.segment_keys)}
        reg = {r: i for i, r in enumerate(r["id"] for r in d["regions"])}
        for e in bf["existing"]:
            floor = core.own_min_scale[seg[(e["chain"], e["segment"])], reg[e["region"]]]
            e["capacity"], e["min_scale"] = None, float(floor)
        bf["budget"], bf["min_kept_share"] = {}, 0.0
    return Instance.model_validate(d)


def kept_share(inst: Instance) -> float:
    """lambda: a site open in periods t-1 and t runs in t at least this share of its activity in
    t-1 (``brownfield.min_kept_share``; the schema's default when the instance has no sites today,
    as :func:`period_instance` reads a later period of it)."""
    from .schema import Brownfield

    bf = inst.brownfield
    return float(bf.min_kept_share if bf is not None else Brownfield.model_fields["min_kept_share"].default)


def kept_min_scale(segment, today_site, before: float, share: float) -> float:
    """(P7, formulation.md section 13) the least activity in period t of a site that ran
    ``before`` in period t-1: the segment's minimum scale (today's sites: grandfathered,
    :func:`yrdopt.checker.grandfathered_min_scale`), and at least ``share`` x ``before`` —
    emptied below that, the site is closed and pays, counts and is protected as one."""
    from .checker import grandfathered_min_scale

    if today_site is not None:
        return grandfathered_min_scale(segment, today_site, share, before)
    return max(segment.min_scale, share * before)


def still_grandfathered(grandfathered: set, sites: set) -> set:
    """(P8) today's sites that ran in every period so far, after a period whose sites are ``sites``."""
    return grandfathered & sites


def opened_sites(previous_sites: set, sites: set, t: int, opened_at: dict) -> dict:
    """opened_at updated with the sites of period t that did not run in period t-1."""
    out = {k: v for k, v in opened_at.items() if k in sites}
    for k in sites - previous_sites:
        out[k] = t
    return out


def sited_rows(layout):
    """The rows of a written layout that are sites: its ``sited`` column where it has one
    (a site kept open empty is a site), else the rows with activity above 0 (as the checker
    counts them)."""
    import pandas as pd

    if "sited" in layout.columns:
        return layout[layout["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])]
    return layout[pd.to_numeric(layout["activity"], errors="coerce").fillna(0.0) > 0]


def sited_keys(layout) -> set:
    if layout is None or not len(layout):
        return set()
    lay = sited_rows(layout)
    return set(zip(lay["chain"].astype(str), lay["segment"].astype(str), lay["region"].astype(str)))


def taken_keys(expansions) -> set:
    if expansions is None or not len(expansions):
        return set()
    on = expansions["taken"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])
    e = expansions[on]
    return set(zip(e["region"].astype(str), e["option"].astype(str)))


# the myopic plan (the joint MILP's start, and what foresight is measured against) gets at
# most this share of a time limit; the joint MILP the rest
MYOPIC_SHARE = 0.4
# what follows the joint MILP, kept back from its time limit (plan_after_solve_reserve), measured by
# benchmarks/phased_time_limit.py (the CLI on the shared 2-core machine, load 2-5; results/phased-time-limit-*.json):
# per period, the period-by-period check of the plan and the CLI's check of today's layout kept
# unchanged (its flows routed by LPs): 0.5-1.0 s in all after HiGHS for 3 periods of yrd-provinces-2035
# (3,357 columns) ...
AFTER_SOLVE_S_PER_PERIOD = 0.5
# ... per column, HiGHS's overrun past its limit (0.05-0.9 s), the polish LP (0.25-0.5 s), the plan's
# tables, benefits and files: 0.8-1.9 s after HiGHS on yrd-cities-2035 (130,056 columns, 3 periods).
# The single-period reserve (yrdopt.deadline.after_solve_reserve, 3.5 s per 100,000 columns, measured at a
# 41x30x4 root LP) plus 1 s per period kept 7.6 s there: `--time-limit 20` ended after 13-15 s.
AFTER_SOLVE_S_PER_COL = 1.5e-5


def plan_after_solve_reserve(n_cols: int, periods: int) -> float:
    """Seconds kept back from the joint MILP over ``periods`` milestones of ``n_cols`` columns for what
    follows it: HiGHS's overrun, the polish, the plan's check, the CLI's comparison and the files
    (about twice what benchmarks/phased_time_limit.py measured at load 2-5: 1.6 s for yrd-provinces-2035,
    3.5 s for yrd-cities-2035)."""
    return AFTER_SOLVE_S_PER_PERIOD * periods + AFTER_SOLVE_S_PER_COL * n_cols


def myopic(inst: Instance, *, options=None, check: bool = True, time_limit: float | None = None,
           stop=None, explain: bool = True) -> list:
    """The myopic plan: each period solved alone from the last one's layout (no foresight).
    Returns one Solution per period (objective of period t = its undiscounted cost).

    ``time_limit`` (seconds) covers the whole plan: each period gets an equal share of what
    the periods before it left (a period stopped by it keeps its best layout, so the plan is
    still a plan, its status says it is not proven optimal).  A period without a layout raises
    InfeasibleError, with :func:`yrdopt.analysis.diagnose.explain_infeasibility`'s explanation
    when ``explain`` (else at once: the joint MILP's start needs no diagnosis)."""
    from dataclasses import replace

    from . import api
    from .deadline import Deadline
    from .solver import SolverOptions

    options = options or SolverOptions()
    plan = Deadline(time_limit)
    years, _, _ = period_years(inst)
    sols, prev, taken, opened_at, parks, grand = [], None, set(), {}, set(), _today_keys(inst)
    for t in range(len(years)):
        inst_t = period_instance(inst, t, prev, frozenset(taken), opened_at, frozenset(parks), frozenset(grand))
        left = plan.left()
        share = None if left is None else max(left, 0.0) / (len(years) - t)
        sol = api.solve(inst_t, options=replace(options, time_limit=share), check=check, stop=stop,
                        deadline=Deadline(share), raise_on_infeasible=explain)
        if sol.x is None:  # only without explain (api.solve raised otherwise)
            from .errors import InfeasibleError

            status = sol.summary["status"]
            raise InfeasibleError(f"the myopic plan has no layout in {years[t]} ({status})",
                                  {"period": years[t], "status": status})
        sols.append(sol)
        opened_at = opened_sites(sited_keys(prev) if prev is not None else _today_keys(inst), sited_keys(sol.layout),
                                 t, opened_at)
        prev = sol.layout
        grand = still_grandfathered(grand, sited_keys(prev))
        taken |= taken_keys(sol.expansions)
        parks |= opened_parks(sol.parks)
    return sols


@dataclass
class WrittenPeriod:
    """Period t of a written phased plan: its tables (without the period column) and the
    single-period instance it is checked against (:func:`period_instance`, from the written
    layout of the period before); ``before`` is that layout (None for the first period:
    today's sites are the instance's)."""

    t: int
    year: int
    instance: Instance
    layout: object
    flows: object
    expansions: object
    parks: object
    park_activity: object
    before: object
    taken_before: frozenset
    built_before: frozenset


def written_periods(inst: Instance, layout, flows=None, expansions=None, parks=None, park_activity=None):
    """Yield a :class:`WrittenPeriod` for every milestone of a written plan (tables with a
    ``period`` column), each period's instance built from the tables alone."""
    years, _, _ = period_years(inst)

    def of(df, y):
        if df is None or "period" not in df.columns:
            return None
        return df[df["period"].astype(int) == y].drop(columns=["period"])

    prev, taken, opened_at, built = None, frozenset(), {}, frozenset()
    prev_keys = grand = _today_keys(inst)
    for t, y in enumerate(years):
        lay, fl, ex, pk, pa = (of(df, y) for df in (layout, flows, expansions, parks, park_activity))
        inst_t = period_instance(inst, t, prev, taken, opened_at, built, frozenset(grand))
        yield WrittenPeriod(t, y, inst_t, lay, fl, ex, pk, pa, prev, taken, built)
        keys = sited_keys(lay)
        opened_at = opened_sites(prev_keys, keys, t, opened_at)
        grand = still_grandfathered(grand, keys)
        prev, prev_keys = lay, keys
        taken, built = taken | taken_keys(ex), built | opened_parks(pk)


def opened_parks(parks) -> set:
    if parks is None or not len(parks):
        return set()
    return set(parks.loc[parks["opened"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"]), "park"].astype(str))


def _today_keys(inst: Instance) -> set:
    return {(e.chain, e.segment, e.region) for e in inst.brownfield.existing} if inst.brownfield else set()


def solve_phased(instance, *, options=None, build_options=None, start: str | np.ndarray = "myopic",
                 out: str | Path | None = None, check: bool = True, deadline=None, progress=None, stop=None,
                 mps_path: str | Path | None = None, polish: bool = True):
    """One MILP over all periods, started from the myopic plan; a Solution whose tables carry
    a ``period`` column, whose summary holds every period and the value of foresight, and
    ``benefits`` per period (:func:`yrdopt.analysis.benefits.period_benefit_table`).
    ``mps_path``: write that MILP (every period at once) there as MPS.  ``start``: "myopic", any
    other text for none, or a MIP start of that MILP (one value per column: a phased Solution's
    ``x``; the myopic plan is then not solved).  ``polish``: the LP with every integer column
    fixed replaces HiGHS's continuous values (tighter tolerances).

    The time limit (``options.time_limit``, or ``deadline`` counting from an earlier start)
    covers every phase: the myopic plan gets at most :data:`MYOPIC_SHARE` of what is left
    after building, the joint MILP what is left then, minus what the polish, the check and
    writing need (:func:`yrdopt.deadline.highs_options_for`)."""
    from dataclasses import replace

    from .analysis.benefits import benefit_warnings, period_benefit_table
    from .checker import check_phased
    from .claims import objective_matches, relative_gap
    from .deadline import Deadline, highs_options_for
    from .io import content_hash, load_instance
    from .model.periods import build_phased
    from .progress import BUILD, DIAGNOSE, HIGHS, PERIOD_START, Phases
    from .solution import Solution
    from .solver import HighsSolver, SolverOptions, derived_status, status_as_checked, status_words

    t_start = time.perf_counter()
    options = options or SolverOptions()
    deadline = deadline or Deadline(options.time_limit, t_start)
    inst = load_instance(instance)
    phases = Phases(progress, t_start)
    phases.enter(BUILD)
    t0 = time.perf_counter()
    pm = build_phased(inst, build_options)
    build_s = time.perf_counter() - t0
    years, span, disc = period_years(inst)
    options, profile = phased_profile(options, int(pm.cm.integrality.sum()) / pm.T)
    my_sols, x0, my_total, myopic_s, my_stop = None, None, None, 0.0, None
    given = not isinstance(start, str)
    if given:
        x0 = np.asarray(start, dtype=float).ravel()
        if x0.size != pm.cm.n_cols:
            from .errors import InstanceError, Problem

            raise InstanceError([Problem("solver options", "start", f"{x0.size} values",
                                         f"{pm.cm.n_cols} values, one per column of the model over all periods "
                                         "(the x of a Solution of this instance)")])
    elif start == "myopic":
        phases.enter(PERIOD_START)
        t0 = time.perf_counter()
        left = deadline.left()
        try:
            my_sols = myopic(inst, options=options, check=False, stop=stop, explain=False,
                             time_limit=None if left is None else MYOPIC_SHARE * max(left, 0.0))
            my_total = float(sum(disc[t] * s.objective for t, s in enumerate(my_sols)))
            x0 = _fixed_integer_lp(pm, _integer_values(pm, my_sols), options, deadline.left())
        except Exception as exc:  # noqa: BLE001 - a failing start never costs the joint solve
            my_sols, x0 = None, None
            # the first period with no layout at all, period by period: a fact worth saying if the
            # joint MILP finds no plan either (a time-limited period proves nothing)
            found = getattr(exc, "details", None)
            found = found if isinstance(found, dict) else {}
            proven = found.get("status") in ("infeasible", "infeasible_or_unbounded")
            my_stop = found.get("period") if proven else None
        myopic_s = time.perf_counter() - t0
    phases.enter(HIGHS)
    solver = HighsSolver(options, progress=None if progress is None else phases.highs, stop=stop)
    solver.load(pm.cm)
    if mps_path is not None:
        solver.write_mps(mps_path)
    highs_limit, highs = highs_options_for(deadline.left(), pm.cm.n_cols, int(pm.cm.integrality.sum()), options.highs,
                                           reserve=plan_after_solve_reserve(pm.cm.n_cols, pm.T))
    if highs_limit is not None:
        solver.apply_options(replace(options, time_limit=highs_limit, highs=highs))
    res = solver.solve(x0)
    with_start = {"time_limit_no_incumbent": "time_limit_with_incumbent", "stopped_no_incumbent": "interrupted"}
    if res.x is None and x0 is not None and not given and res.status in with_start:
        # stopped before HiGHS took the start in (a short limit on a loaded machine): the
        # myopic plan is a plan (a given start may not be one); its bound is HiGHS's, if any
        res = replace(res, x=x0, status=with_start[res.status])
    if res.x is None:
        from .errors import InfeasibleError, SolverError

        if res.status in ("infeasible", "infeasible_or_unbounded"):
            if my_sols is not None:  # the period-by-period plan exists: the joint model refused a plan
                raise SolverError(
                    "the plan over all periods found no layout, yet the period-by-period plan exists (discounted "
                    f"objective {my_total:.6g}): the joint model and the period-by-period rules disagree here, "
                    "a defect (please report it with the instance); nothing written")
            phases.enter(DIAGNOSE)  # the bar says what the next seconds are for (not "HiGHS")
            text, details = explain_infeasible_plan(inst, deadline.left(), stop=stop, threads=options.threads)
            if my_stop is not None:
                text += (f" Period by period (each period from the layout of the one before), {my_stop} is the "
                         "first milestone with no layout at all.")
                details = {**details, "first_period_without_layout": my_stop}
            raise InfeasibleError(text, details)
        raise SolverError(f"{res.message} (HiGHS: {res.highs_status})")
    t0 = time.perf_counter()
    x_pol = _fixed_integer_lp(pm, np.round(res.x[: pm.cm.n_cols]), options, deadline.left()) if polish else None
    polish_s = time.perf_counter() - t0
    x = x_pol if x_pol is not None else res.x[: pm.cm.n_cols]
    layout, flows_df, exp_df, trans_df, parks_df, pa_df = plan_tables(pm, x)
    trans = [trans_df[trans_df["period"] == y] for y in years]
    objective = float(pm.cm.cost @ x)
    report = check_phased(inst, layout, flows_df, exp_df, parks=parks_df, park_activity=pa_df) if check else None
    benefits = period_benefit_table(inst, layout, flows_df, exp_df, parks_df, pa_df)
    matches = bool(report and objective_matches(objective, report.objective))
    w = pm.cm.data.weights
    comps = {k: float(w.get(k, 0.0) * (v @ x)) for k, v in pm.cm.terms.items()}
    # status and gap as a single-period solve states them: "optimal" only when the checked
    # objective and the bound prove it (yrdopt.claims re-derives both from summary.json)
    requested = res.solver.get("gap_requested")
    status, gap = res.status, res.gap
    if res.bound is not None:
        gap = relative_gap(objective, res.bound)
    if report is not None and requested:
        status = derived_status(status, report.objective, res.bound, requested["relative"], requested["absolute"])
    from .analysis.costs import discounting

    summary = {
        "status": status, "status_text": status_words(status, res.solver, gap), "objective": objective, "bound": res.bound, "gap": gap,
        "gap_requested": requested, "components": comps, "weights": dict(w),
        # how the components sum the periods (each period's terms and what its expansion term built: `periods`)
        "discounting": discounting(inst),
        "verified": bool(report and report.verified and matches),
        "max_violation": report.max_violation if report else None,
        "check": ({"objective": report.objective, "n_violations": report.n_violations,
                   "objective_matches_solver": matches} if report else None),
        # the plan's counts are where it ends, its last period's (a sum over periods counts a site once per
        # period: 269 for three periods of about 90); each period's own in `periods`
        **_last_period_counts(layout, report, years[-1]),
        "periods": [{"year": years[t], "years_counted": float(span[t]), "discount": float(disc[t]),
                     "transition": _counts(trans[t]),
                     # hosting sites and duplicated segments of the period, token sites (< 1 %) counted apart
                     **({k: v for k, v in report.by_period[t].items() if k != "year"} if report else {})}
                    for t in range(pm.T)],
        "myopic": ({"objective": my_total, "foresight_saves": my_total - objective,
                    "per_period": [float(s.objective) for s in my_sols],
                    "per_period_status": [s.summary["status"] for s in my_sols]} if my_sols else None),
        "timings": {"build_s": build_s, "myopic_s": myopic_s, "handoff_s": res.handoff_s, "solve_s": res.solve_s,
                    "polish_s": polish_s, "total_s": time.perf_counter() - t_start},
        # whether the LP with every integer column fixed replaced HiGHS's continuous values
        "solver": {**res.solver, "profile": profile, "polished": x_pol is not None, "mip_objective": res.objective,
                   "start": "given" if given else "myopic" if x0 is not None else None},
        "model": {"variables": pm.cm.n_cols, "rows": pm.cm.n_rows, "nonzeros": int(pm.cm.A.nnz),
                  "binaries": int(pm.cm.integrality.sum()), "periods": years},
        "instance": {"name": inst.name, "hash": content_hash(inst)},
        "benefit_warnings": benefit_warnings(benefits),
    }
    if isinstance(instance, (str, Path)):
        summary["instance"]["file"] = str(instance)
    if report is not None:
        report.add_claims(summary)
        summary["verified"] = bool(report.verified and matches)
        summary["check"]["false_claims"] = [str(c) for c in report.false_claims]
        summary.update(status_as_checked(summary))
    sol = Solution(instance=inst, layout=layout, flows=flows_df, expansions=exp_df, summary=summary, check=report,
                   x=x, transition=trans_df, parks=parks_df, park_activity=pa_df, benefits=benefits)
    if out is not None:
        sol.write(out)
    return sol


def _last_period_counts(layout, report, year: int) -> dict:
    """A plan's top-level ``sites`` and the counts beside it: its last period's (``sites_period``), as the
    checker counts them (hosting sites only); without a check, that period's sited rows with activity."""
    if report is not None:
        last = report.by_period[-1]
        return {"sites": int(last["sites"]), "sites_period": year,
                **{k: int(last[k]) for k in ("duplicated_segments", "token_sites", "duplicated_segments_without_token")}}
    rows = layout[(layout["period"] == year) & layout["sited"] & (layout["activity"] > 0)]
    return {"sites": len(rows), "sites_period": year, "duplicated_segments": None, "token_sites": None,
            "duplicated_segments_without_token": None}


def explain_infeasible_plan(inst: Instance, left: float | None = None, stop=None,
                            threads: int | None = None) -> tuple[str, dict]:
    """Why no plan over the periods exists, in the planner's terms: the least increase of each
    period's quotas and change budgets (:func:`yrdopt.analysis.diagnose.explain_phased_infeasibility`),
    within ``left`` seconds (:func:`yrdopt.analysis.diagnose.diagnosis_deadline`); ``stop`` (Ctrl-C) ends it."""
    from .analysis.diagnose import diagnosis_deadline, explain_phased_infeasibility

    found = explain_phased_infeasibility(inst, threads=threads, deadline=diagnosis_deadline(left, stop))
    if found is None:  # the elastic model finds a plan the joint MILP did not: no period to name
        return ("No plan over the periods was found, yet every limit can hold with no increase: "
                "run `yrdopt diagnose` on the instance", {"quota_increase": {}, "budget_increase": []})
    return found


def plan_tables(pm, x: np.ndarray) -> tuple:
    """The written tables of a plan (column vector ``x`` of the phased model), each with a
    ``period`` column: layout, flows, expansions, transition, parks, park activity."""
    import pandas as pd

    from .model.transitions import transition_table
    from .solution import close_empty_sites, park_tables_from_x, tables_from_x

    # empty sites are closed against the whole plan: in one period's core model closing a site
    # that ran in the period before looks free, but it is a closure the plan did not count
    x = np.array(x[: pm.cm.n_cols], dtype=float)
    for t in range(pm.T):
        x = close_empty_sites(pm.cm, x, place=f"{t}.place", activity=f"{t}.activity")
    layouts, flows, exps, trans, parks, park_acts = [], [], [], [], [], []
    prev_place = prev_act = None
    for t, core in enumerate(pm.periods):
        xt = pm.period_x(x, t)
        lay, fl, ex = tables_from_x(core, xt, close_empty=False)
        pk, pa = park_tables_from_x(core, xt)
        if t and len(pk):  # a park open in the period before was paid for then
            paid = pk["park"].isin(opened_parks(parks[-1]))
            pk.loc[paid, ["fixed_cost", "host_cost", "partner_cost"]] = 0.0
        place = core.var("place").take(xt) > 0.5
        act = core.var("activity").take(xt)
        tr = transition_table(core.data, place, act, prev_place=prev_place, prev_activity=prev_act,
                              opening_cost=pm.full_fixed)
        for df in (lay, fl, ex, tr, pk, pa):
            df.insert(0, "period", pm.years[t])
        for acc, df in ((layouts, lay), (flows, fl), (exps, ex), (trans, tr), (parks, pk), (park_acts, pa)):
            acc.append(df)
        prev_place, prev_act = place, np.where(place, act, 0.0)
    return tuple(pd.concat(v, ignore_index=True) for v in (layouts, flows, exps, trans, parks, park_acts))


def phased_profile(options, binaries_per_period: float):
    """(options, profile name): options the caller left at HiGHS's defaults become the re-solve
    profile (presolve and RINS/RENS off, :meth:`SolverOptions.for_resolves`) when each period's
    model is as small as the sweeps' re-solve models (:data:`yrdopt.solver.RESOLVE_MAX_BINARIES`
    binaries); the myopic periods and the joint MILP both use them.  yrd-provinces-2035 (123
    binaries a period, 369 joint): myopic plan 21 -> 4 s, joint MILP 12.5 -> 2.6 s, same optima
    (benchmarks/phased.py, 1 thread, loaded machine)."""
    from dataclasses import replace

    from .solver import RESOLVE_HIGHS, RESOLVE_MAX_BINARIES

    chosen = options.presolve != "choose" or options.mip_heuristic_effort is not None or options.highs
    if chosen or binaries_per_period > RESOLVE_MAX_BINARIES:
        return options, "default"
    return replace(options, presolve="off", highs=dict(RESOLVE_HIGHS)), "resolve"


def _counts(tr) -> dict:
    from .api import transition_summary

    return transition_summary(tr)


def _integer_values(pm, sols) -> np.ndarray:
    """Placements and parks of a per-period plan as values of the phased model's columns."""
    x = np.zeros(pm.cm.n_cols)
    d = pm.periods[0].data
    rpos = {r: j for j, r in enumerate(d.region_ids)}
    spos = {k: i for i, k in enumerate(d.segment_keys)}
    epos = {e: i for i, e in enumerate(d.exp_ids)}
    for t, sol in enumerate(sols):
        for row in sol.layout.itertuples(index=False):
            if row.sited:
                x[pm.col(t, "place", spos[(row.chain, row.segment)], rpos[row.region])] = 1.0
        for row in sol.expansions.itertuples(index=False):
            if row.taken:
                x[pm.col(t, "expand", epos[f"{row.region}/{row.option}"])] = 1.0
        for p in opened_parks(sol.parks):
            x[pm.col(t, "park_open", d.park_ids.index(p))] = 1.0
    return x


def _fixed_integer_lp(pm, values: np.ndarray, options, time_limit: float | None = None) -> np.ndarray | None:
    """The LP with every integer column fixed at ``values``: a full start vector from a plan's
    placements, or the polish of a MIP answer (tighter tolerances than the MIP's); None when
    it does not solve within ``time_limit`` seconds."""
    from dataclasses import replace

    from .solver import HighsSolver, SolverOptions

    cm = pm.cm
    lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
    ints = cm.integrality > 0
    lo[ints] = hi[ints] = np.round(values[ints])
    lp = replace(cm, col_lower=lo, col_upper=hi, integrality=np.zeros_like(cm.integrality))
    if time_limit is not None and time_limit <= 0:
        return None
    s = HighsSolver(SolverOptions(threads=options.threads, time_limit=time_limit))
    s.load(lp)
    out = s.solve()
    return out.x[: cm.n_cols] if out.x is not None and out.status == "optimal" else None

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
                    opened_at: dict | None = None, parks_before: set | frozenset = frozenset()) -> Instance:
    """Period t alone: activity grown, quotas scaled, parks built earlier folded into the quotas,
    today's sites = ``previous`` (a layout of period t-1; None for the first period), the
    period's budget, and the sites that must still run (min_run_years) protected.

    ``opened_at`` maps (chain, segment, region) to the period a site was opened in;
    ``parks_before`` are enclave parks opened earlier (they exist now, their cost is paid).
    """
    from .checker import grandfathered_min_scale

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
    if previous is not None:
        segs = {(c.id, s.id): s for c in inst.chains for s in c.segments}
        existing = []
        lay = previous
        if "sited" in lay.columns:
            lay = lay[lay["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])]
        for row in lay.itertuples(index=False):
            key = (str(row.chain), str(row.segment), str(row.region))
            site = {"chain": key[0], "segment": key[1], "region": key[2], "activity": max(float(row.activity), 0.0)}
            # the least size stays today's rule: grandfathered for today's sites, the segment's otherwise
            site["min_scale"] = (grandfathered_min_scale(segs[key[:2]], today[key]) if key in today
                                 else segs[key[:2]].min_scale)
            if key in today and today[key].capacity is not None:
                site["capacity"] = today[key].capacity
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


def opened_sites(previous_sites: set, sites: set, t: int, opened_at: dict) -> dict:
    """opened_at updated with the sites of period t that did not run in period t-1."""
    out = {k: v for k, v in opened_at.items() if k in sites}
    for k in sites - previous_sites:
        out[k] = t
    return out


def sited_keys(layout) -> set:
    if layout is None or not len(layout):
        return set()
    on = layout["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"]) if "sited" in layout else layout["activity"] > 0
    lay = layout[on]
    return set(zip(lay["chain"].astype(str), lay["segment"].astype(str), lay["region"].astype(str)))


def taken_keys(expansions) -> set:
    if expansions is None or not len(expansions):
        return set()
    on = expansions["taken"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])
    e = expansions[on]
    return set(zip(e["region"].astype(str), e["option"].astype(str)))


def myopic(inst: Instance, *, options=None, check: bool = True) -> list:
    """The myopic plan: each period solved alone from the last one's layout (no foresight).
    Returns one Solution per period (objective of period t = its undiscounted cost)."""
    from . import api

    years, _, _ = period_years(inst)
    sols, prev, taken, opened_at, parks = [], None, set(), {}, set()
    for t in range(len(years)):
        inst_t = period_instance(inst, t, prev, frozenset(taken), opened_at, frozenset(parks))
        sol = api.solve(inst_t, options=options, check=check)
        sols.append(sol)
        opened_at = opened_sites(sited_keys(prev) if prev is not None else _today_keys(inst), sited_keys(sol.layout),
                                 t, opened_at)
        prev = sol.layout
        taken |= taken_keys(sol.expansions)
        parks |= opened_parks(sol.parks)
    return sols


def opened_parks(parks) -> set:
    if parks is None or not len(parks):
        return set()
    return set(parks.loc[parks["opened"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"]), "park"].astype(str))


def _today_keys(inst: Instance) -> set:
    return {(e.chain, e.segment, e.region) for e in inst.brownfield.existing} if inst.brownfield else set()


def solve_phased(instance, *, options=None, build_options=None, start: str = "myopic", out: str | Path | None = None,
                 check: bool = True):
    """One MILP over all periods, started from the myopic plan; a Solution whose tables carry
    a ``period`` column, whose summary holds every period and the value of foresight."""
    from .checker import check_phased
    from .io import content_hash, load_instance
    from .model.periods import build_phased
    from .solution import Solution
    from .solver import HighsSolver, SolverOptions

    t_start = time.perf_counter()
    inst = load_instance(instance)
    options = options or SolverOptions()
    t0 = time.perf_counter()
    pm = build_phased(inst, build_options)
    build_s = time.perf_counter() - t0
    years, span, disc = period_years(inst)
    my_sols, x0, my_total = None, None, None
    if start == "myopic":
        try:
            my_sols = myopic(inst, options=options, check=False)
            my_total = float(sum(disc[t] * s.objective for t, s in enumerate(my_sols)))
            x0 = _fixed_integer_lp(pm, _integer_values(pm, my_sols), options)
        except Exception:  # noqa: BLE001 - a failing start never costs the joint solve
            my_sols, x0 = None, None
    solver = HighsSolver(options)
    solver.load(pm.cm)
    res = solver.solve(x0)
    if res.x is None:
        from .errors import InfeasibleError, SolverError

        if res.status in ("infeasible", "infeasible_or_unbounded"):
            raise InfeasibleError("no plan over the periods meets every limit and budget",
                                  ["check each period alone: yrdopt solve on one milestone, or loosen the budgets"])
        raise SolverError(f"{res.message} (HiGHS: {res.highs_status})")
    x_pol = _fixed_integer_lp(pm, np.round(res.x[: pm.cm.n_cols]), options)
    x = x_pol if x_pol is not None else res.x[: pm.cm.n_cols]
    layout, flows_df, exp_df, trans_df, parks_df, pa_df = plan_tables(pm, x)
    trans = [trans_df[trans_df["period"] == y] for y in years]
    objective = float(pm.cm.cost @ x)
    report = check_phased(inst, layout, flows_df, exp_df, parks=parks_df, park_activity=pa_df) if check else None
    matches = bool(report and abs(report.objective - objective) <= 1e-6 * max(1.0, abs(objective)))
    w = pm.cm.data.weights
    comps = {k: float(w.get(k, 0.0) * (v @ x)) for k, v in pm.cm.terms.items()}
    gap = res.gap
    if res.bound is not None:
        gap = max(0.0, objective - res.bound) / max(abs(objective), 1e-9)
    summary = {
        "status": res.status, "status_text": res.message, "objective": objective, "bound": res.bound, "gap": gap,
        "components": comps, "weights": dict(w),
        "verified": bool(report and report.verified and matches),
        "max_violation": report.max_violation if report else None,
        "check": ({"objective": report.objective, "n_violations": report.n_violations,
                   "objective_matches_solver": matches} if report else None),
        "sites": int(layout["sited"].sum()),
        "periods": [{"year": years[t], "years_counted": float(span[t]), "discount": float(disc[t]),
                     "transition": _counts(trans[t])} for t in range(pm.T)],
        "myopic": ({"objective": my_total, "foresight_saves": my_total - objective,
                    "per_period": [float(s.objective) for s in my_sols]} if my_sols else None),
        "timings": {"build_s": build_s, "handoff_s": res.handoff_s, "solve_s": res.solve_s,
                    "total_s": time.perf_counter() - t_start},
        "solver": res.solver,
        "model": {"variables": pm.cm.n_cols, "rows": pm.cm.n_rows, "nonzeros": int(pm.cm.A.nnz),
                  "binaries": int(pm.cm.integrality.sum()), "periods": years},
        "instance": {"name": inst.name, "hash": content_hash(inst)},
    }
    if isinstance(instance, (str, Path)):
        summary["instance"]["file"] = str(instance)
    sol = Solution(instance=inst, layout=layout, flows=flows_df, expansions=exp_df, summary=summary, check=report,
                   x=x, transition=trans_df, parks=parks_df, park_activity=pa_df)
    if out is not None:
        sol.write(out)
    return sol


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


def _fixed_integer_lp(pm, values: np.ndarray, options) -> np.ndarray | None:
    """The LP with every integer column fixed at ``values``: a full start vector from a plan's
    placements, or the polish of a MIP answer (tighter tolerances than the MIP's)."""
    from dataclasses import replace

    from .solver import HighsSolver, SolverOptions

    cm = pm.cm
    lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
    ints = cm.integrality > 0
    lo[ints] = hi[ints] = np.round(values[ints])
    lp = replace(cm, col_lower=lo, col_upper=hi, integrality=np.zeros_like(cm.integrality))
    s = HighsSolver(SolverOptions(threads=options.threads))
    s.load(lp)
    out = s.solve()
    return out.x[: cm.n_cols] if out.x is not None else None

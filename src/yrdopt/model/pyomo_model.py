"""The Pyomo twin: the same formulation, written constraint by constraint for reading
and extending.  It is built from the same :class:`~yrdopt.data.ModelData` as the compiled
production model, so the two cannot drift; tests keep their optima equal.

The production path stays the compiled model: on a model of this shape the twin costs
about 100x more to build and hand over (see benchmarks/).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import pyomo.environ as pyo

from ..data import ModelData, build_model_data
from ..schema import Instance
from .compiled import BuildOptions
from .constraints import min_scale_segments
from .enclaves import credit_matrix
from .guarantees import guarantee_bounds, presence_per_unit, shortfall_upper


def build_pyomo(source: Instance | ModelData, options: BuildOptions | None = None) -> pyo.ConcreteModel:
    """Equations as in models/formulation.md; names match the compiled blocks."""
    options = options or BuildOptions()
    d = source if isinstance(source, ModelData) else build_model_data(source)
    if options.elastic:
        raise ValueError("the Pyomo twin does not implement elastic mode; use the compiled model")
    U = d.activity_upper()
    V = d.link_total_volume
    m = pyo.ConcreteModel(name=d.name)
    m.S = pyo.RangeSet(0, d.S - 1)
    m.R = pyo.RangeSet(0, d.R - 1)
    m.K = pyo.RangeSet(0, d.K - 1) if d.K else pyo.Set(initialize=[])
    m.L = pyo.RangeSet(0, d.L - 1) if d.L else pyo.Set(initialize=[])
    m.E = pyo.RangeSet(0, d.E - 1) if d.E else pyo.Set(initialize=[])

    # (V1)-(V5)
    m.place = pyo.Var(m.S, m.R, domain=pyo.Binary,
                      bounds=lambda m, s, r: (float(d.fixed[s, r]), float(d.allowed[s, r])))
    m.activity = pyo.Var(m.S, m.R, domain=pyo.NonNegativeReals, bounds=lambda m, s, r: (0.0, float(U[s, r])))

    def flow_bounds(m, l, r, q):
        ok = d.allowed[d.link_up[l], r] and d.allowed[d.link_down[l], q]
        return (0.0, float(V[l]) if ok else 0.0)

    m.flow = pyo.Var(m.L, m.R, m.R, domain=pyo.NonNegativeReals, bounds=flow_bounds)
    m.expand = pyo.Var(m.E, domain=pyo.Binary)
    m.excess_sites = pyo.Var(m.S, domain=pyo.NonNegativeReals,
                             bounds=lambda m, s: (0.0, float(max(d.R - d.dup_tolerance[s], 0.0))))

    # (C1) demand
    m.demand = pyo.Constraint(m.S, rule=lambda m, s: sum(m.activity[s, r] for r in m.R) == float(d.activity[s]))
    # (C2) site capacity
    m.site_capacity = pyo.Constraint(m.S, m.R, rule=lambda m, s, r: m.activity[s, r] <= float(U[s, r]) * m.place[s, r])
    # (C3) minimum scale
    m.MS = pyo.Set(initialize=[int(s) for s in min_scale_segments(d)])
    site_min = d.site_min_scale()
    m.min_scale = pyo.Constraint(m.MS, m.R,
                                 rule=lambda m, s, r: m.activity[s, r] >= float(site_min[s, r]) * m.place[s, r])
    # (C4) site count
    m.site_count = pyo.Constraint(m.S, rule=lambda m, s: pyo.inequality(
        float(d.min_sites[s]), sum(m.place[s, r] for r in m.R), float(d.max_sites[s])))
    # (C5) duplication
    m.duplication = pyo.Constraint(m.S, rule=lambda m, s: sum(m.place[s, r] for r in m.R) - m.excess_sites[s]
                                   <= float(d.dup_tolerance[s]))

    # (V7), (V8) enclave parks: opened, and the part of the host's activity each runs
    m.N = pyo.RangeSet(0, d.N - 1) if d.N else pyo.Set(initialize=[])
    m.park_open = pyo.Var(m.N, domain=pyo.Binary, bounds=lambda m, n: (float(d.park_existing[n]), 1.0))
    m.park_activity = pyo.Var(m.N, m.S, domain=pyo.NonNegativeReals, bounds=lambda m, n, s: (
        0.0, float(min(d.activity[s], d.park_capacity[n]) * d.park_allowed[n, s])))

    # (C6) quotas, only where a quota exists; (C12) site footprints; open parks add quota
    def quota_rule(m, r, k):
        if not np.isfinite(d.quota[r, k]):
            return pyo.Constraint.Skip
        used = sum(float(d.use[s, r, k]) * m.activity[s, r] for s in m.S if d.use[s, r, k] != 0)
        used += sum(float(d.footprint[s, r, k]) * m.place[s, r] for s in m.S if d.footprint[s, r, k] != 0)
        extra = sum(float(d.exp_quota[e, k]) * m.expand[e] for e in m.E if d.exp_region[e] == r and d.exp_quota[e, k])
        extra += sum(float(d.park_quota[n, k]) * m.park_open[n] for n in m.N if d.park_host[n] == r and d.park_quota[n, k])
        return used <= float(d.quota[r, k]) + extra

    m.quota = pyo.Constraint(m.R, m.K, rule=quota_rule)

    # (C7), (C8) flow balance per link
    m.flow_out = pyo.Constraint(m.L, m.R, rule=lambda m, l, r: sum(m.flow[l, r, q] for q in m.R)
                                == float(d.link_volume[l]) * m.activity[int(d.link_up[l]), r])
    m.flow_in = pyo.Constraint(m.L, m.R, rule=lambda m, l, q: sum(m.flow[l, r, q] for r in m.R)
                               == float(d.link_demand_factor[l]) * m.activity[int(d.link_down[l]), q])
    # (C9), (C10) disaggregated flow linking (optional valid inequalities)
    if options.flow_linking == "disaggregated":
        m.flow_link_up = pyo.Constraint(m.L, m.R, m.R, rule=lambda m, l, r, q:
                                        m.flow[l, r, q] <= float(V[l]) * m.place[int(d.link_up[l]), r])
        m.flow_link_down = pyo.Constraint(m.L, m.R, m.R, rule=lambda m, l, r, q:
                                          m.flow[l, r, q] <= float(V[l]) * m.place[int(d.link_down[l]), q])

    # (C13) park capacity; (C14) a park runs part of its host's activity
    m.park_capacity = pyo.Constraint(m.N, rule=lambda m, n: sum(m.park_activity[n, s] for s in m.S)
                                     <= float(d.park_capacity[n]) * m.park_open[n])
    m.park_in_host = pyo.Constraint(m.N, m.S, rule=lambda m, n, s:
                                    m.park_activity[n, s] <= m.activity[s, int(d.park_host[n])])

    # (C11) guarantees on credited value, (C15) chain presence; policy.province_min_share rules first
    credit = credit_matrix(d, d.g_target)
    lo, hi = guarantee_bounds(d)
    short_ub = shortfall_upper(d)
    m.G = pyo.RangeSet(0, d.G - 1) if d.G else pyo.Set(initialize=[])
    m.guarantee_shortfall = pyo.Var(m.G, domain=pyo.NonNegativeReals, bounds=lambda m, g: (0.0, float(short_ub[g])))
    m.GC = pyo.Set(initialize=[g for g in range(d.G) if d.g_measure[g] == "min_chains"])
    m.C = pyo.RangeSet(0, len(d.chain_ids) - 1)
    m.chain_present = pyo.Var(m.GC, m.C, bounds=(0.0, 1.0))
    per_unit = presence_per_unit(d.activity)  # a chain is present where it runs, never for an empty site
    m.chain_present_link = pyo.Constraint(m.GC, m.C, rule=lambda m, g, c: m.chain_present[g, c] <= sum(
        float(per_unit[s]) * m.activity[s, r] for s in m.S for r in m.R
        if d.seg_chain[s] == c and d.g_kinds[g, s] and d.g_target[g, r]))

    def credited(m, g):
        v = d.value_per_unit
        hosted = sum(float(v[s]) * m.activity[s, r] for s in m.S for r in m.R if d.g_kinds[g, s] and d.g_target[g, r])
        moved = sum(float(v[s] * credit[g, n]) * m.park_activity[n, s] for n in m.N for s in m.S
                    if d.g_kinds[g, s] and credit[g, n] != 0)
        return hosted + moved

    def guarantee_rule(m, g):
        if d.g_measure[g] == "min_chains":
            return sum(m.chain_present[g, c] for c in m.C) + m.guarantee_shortfall[g] >= float(lo[g])
        if d.g_measure[g] == "max_share":
            return credited(m, g) - m.guarantee_shortfall[g] <= float(hi[g])
        return credited(m, g) + m.guarantee_shortfall[g] >= float(lo[g])

    m.guarantee = pyo.Constraint(m.G, rule=guarantee_rule)

    # (T1)-(T5) transition from today's layout (brownfield only)
    m.change = pyo.Expression(expr=_add_transition(m, d) if d.brownfield is not None else 0.0)

    # (O1)-(O7) each term an Expression, the objective their weighted sum
    m.distance = pyo.Expression(expr=sum(float(d.link_intensity[l] * d.distance[r, q]) * m.flow[l, r, q]
                                         for l in m.L for r in m.R for q in m.R if d.distance[r, q] != 0))
    m.site_cost = pyo.Expression(expr=sum(float(d.unit_cost[s, r]) * m.activity[s, r]
                                          for s in m.S for r in m.R if d.unit_cost[s, r] != 0))
    m.fixed_cost = pyo.Expression(expr=sum(float(d.fixed_cost[s, r]) * m.place[s, r]
                                           for s in m.S for r in m.R if d.fixed_cost[s, r] != 0))
    m.duplication_term = pyo.Expression(expr=sum(m.excess_sites[s] for s in m.S))
    m.expansion = pyo.Expression(expr=sum(float(d.exp_cost[e]) * m.expand[e] for e in m.E)
                                 + sum(float(d.park_cost[n]) * m.park_open[n] for n in m.N))
    penalty = np.where(np.isfinite(d.g_penalty), d.g_penalty, 0.0)
    m.guarantee_shortfall_term = pyo.Expression(expr=sum(float(penalty[g]) * m.guarantee_shortfall[g] for g in m.G))
    w = d.weights
    m.objective = pyo.Objective(sense=pyo.minimize, expr=(
        w["distance"] * m.distance + w["site_cost"] * m.site_cost + w["fixed_cost"] * m.fixed_cost
        + w["duplication"] * m.duplication_term + w["expansion"] * m.expansion
        + w.get("guarantee_shortfall", 1.0) * m.guarantee_shortfall_term
        + w["change"] * m.change))
    return m


def _add_transition(m: pyo.ConcreteModel, d: ModelData):
    """Closure, shrink and change-budget rows as in models/formulation.md section 12; returns
    the change term (O7)."""
    from .existing_sites import forced_removal
    from .transitions import budget_scopes

    bf = d.brownfield
    E = [(int(s), int(r)) for s, r in zip(*np.nonzero(bf.existing))]
    m.EX = pyo.Set(initialize=E, dimen=2)
    m.closed = pyo.Var(m.EX, bounds=(0.0, 1.0))
    m.removed = pyo.Var(m.EX, bounds=lambda m, s, r: (0.0, float(bf.existing_activity[s, r])))
    m.closure = pyo.Constraint(m.EX, rule=lambda m, s, r: m.closed[s, r] + m.place[s, r] >= 1)
    m.shrink = pyo.Constraint(m.EX, rule=lambda m, s, r: m.removed[s, r] + m.activity[s, r]
                              >= float(bf.existing_activity[s, r]))
    scope, _ = budget_scopes(d)
    forced = forced_removal(d.activity, bf.existing_activity)
    m.change_budget = pyo.ConstraintList()
    for g in range(len(scope)):
        if np.isfinite(bf.max_opened[g]):
            m.change_budget.add(sum(m.place[s, r] for s in m.S for r in m.R
                                    if scope[g, r] and not bf.existing[s, r]) <= float(bf.max_opened[g]))
        inside = [(s, r) for s, r in E if scope[g, r]]
        if np.isfinite(bf.max_closed[g]):
            m.change_budget.add(sum(m.closed[k] for k in inside) <= float(bf.max_closed[g]))
        if np.isfinite(bf.max_moved_share[g]):
            today = float(bf.existing_activity[:, scope[g]].sum())
            m.change_budget.add(sum(m.removed[k] for k in inside) <= float(bf.max_moved_share[g]) * today + forced)
    return sum(float(bf.close_cost[s]) * m.closed[s, r] + float(bf.shrink_cost[s]) * m.removed[s, r] for s, r in E)


TERM_EXPRESSIONS = {"distance": "distance", "site_cost": "site_cost", "fixed_cost": "fixed_cost",
                    "duplication": "duplication_term", "expansion": "expansion",
                    "guarantee_shortfall": "guarantee_shortfall_term", "change": "change"}


@dataclass
class PyomoResult:
    status: str
    objective: float | None
    components: dict[str, float]
    build_s: float
    solve_s: float  # hand-off + HiGHS, as Pyomo does both inside solve()
    model: pyo.ConcreteModel

    def placements(self, d: ModelData) -> np.ndarray:
        """(S, R) boolean placement matrix read from the Pyomo variables."""
        out = np.zeros((d.S, d.R), dtype=bool)
        for (s, r), v in self.model.place.items():
            out[s, r] = (v.value or 0.0) > 0.5
        return out


def solve_pyomo(source: Instance | ModelData, *, options: BuildOptions | None = None, time_limit: float | None = None,
                mip_gap: float = 1e-4, threads: int | None = None, highs_options: dict | None = None) -> PyomoResult:
    """Build the twin and solve it with HiGHS through Pyomo's solver interface
    (``highs_options``: any further HiGHS options by their HiGHS names)."""
    d = source if isinstance(source, ModelData) else build_model_data(source)
    t0 = time.perf_counter()
    m = build_pyomo(d, options)
    build_s = time.perf_counter() - t0
    from pyomo.contrib.appsi.solvers import Highs

    opt = Highs()
    opt.highs_options.update({"mip_rel_gap": mip_gap, "output_flag": False})
    if time_limit is not None:
        opt.highs_options["time_limit"] = float(time_limit)
    if threads is not None:
        opt.highs_options["threads"] = int(threads)
    opt.highs_options.update(highs_options or {})
    opt.config.load_solution = False
    t0 = time.perf_counter()
    res = opt.solve(m)
    solve_s = time.perf_counter() - t0
    term = str(res.termination_condition).split(".")[-1]
    has = res.best_feasible_objective is not None
    if has:
        res.solution_loader.load_vars()
    comps = ({k: d.weights[k] * pyo.value(getattr(m, e)) for k, e in TERM_EXPRESSIONS.items()} if has else {})
    return PyomoResult(
        status="optimal" if term == "optimal" else term,
        objective=float(pyo.value(m.objective)) if has else None,
        components=comps,
        build_s=build_s,
        solve_s=solve_s,
        model=m,
    )

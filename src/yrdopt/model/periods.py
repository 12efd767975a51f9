"""Milestone periods (models/formulation.md, section 9; issue 14): one MILP over all periods.

Each period $t$ is the single-period core model of sections 3–5 (its own copy of every
variable) for the period's activity $A^t_s = g^t_{c(s)} A_s$ and quotas $Q^t_{rk} = f^t_k Q_{rk}$;
the periods are stacked block-diagonally and tied by transition blocks:

* (V9)  opened[t, s, r] >= place[t, s, r] - place[t-1, s, r]      (P1 ``open_link``)
* (V10) closed[t, s, r] >= place[t-1, s, r] - place[t, s, r]      (P2 ``close_link``)
* (V11) removed[t, s, r] >= activity[t-1, s, r] - activity[t, s, r] (P3 ``shrink_link``)
  with period $-1$ = today's layout (data);
* (P4) change budgets per period and scope, the moved share relative to the previous
  period's activity in the scope;
* (P5) a site opened in period t stays open while year[t'] < year[t] + min_run_years;
* (P6) a park once built stays: expand[t] >= expand[t-1], park_open[t] >= park_open[t-1];
* (P7) a site open in t-1 and t runs in t at least min_kept_share x its activity in t-1
  (:mod:`.kept_share`);
* (P8) a site of today keeps its own capacity and grandfathered minimum scale only while it has
  run in every period since today; closed once, it is a new site for good (:mod:`.grandfathered`).

Costs, discounted by $\\delta_t = (1+\\rho)^{-(y_t - y_0)}$: running terms (distance, site
cost, duplication, guarantee shortfall) count ``years[t]`` times per period; one-off terms once: opening
(fixed_cost on opened), change (closure and shrink), parks (expansion, when first built).
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np
import scipy.sparse as sp

from ..data import ModelData, build_model_data
from ..phasing import kept_share, period_budget, period_years, scaled_instance
from ..schema import Instance
from .arrays import ArrayModel, Block
from .compiled import BuildOptions, CompiledModel, build
from .existing_sites import BrownfieldData
from .grandfathered import add_grandfathered, relaxed_core, today_limits
from .kept_share import add_kept_share
from .transitions import budget_scopes

RUNNING_TERMS = ("distance", "site_cost", "duplication", "guarantee_shortfall")
ONE_OFF_TERMS = ("fixed_cost", "change", "expansion")


@dataclass
class PhasedModel:
    """The stacked model (``cm``, what HiGHS solves) and the per-period core models."""

    cm: CompiledModel
    periods: list[CompiledModel]
    years: list[int]
    offsets: list[int]  # first column of each period's core model in cm
    discount: np.ndarray  # (T,)
    weight_years: np.ndarray  # (T,)
    transition: dict[str, Block]  # opened, closed, removed: (T, S, R) in cm's columns
    full_fixed: np.ndarray  # (S, R) opening cost (today's sites included: a closed one pays to reopen)

    @property
    def T(self) -> int:
        return len(self.periods)

    def period_x(self, x: np.ndarray, t: int) -> np.ndarray:
        return x[self.offsets[t]: self.offsets[t] + self.periods[t].n_cols]

    def col(self, t: int, name: str, *idx):
        return self.periods[t].var(name).index(*idx) + self.offsets[t]


def period_data(inst: Instance, t: int) -> ModelData:
    """The core model data of period t: built from the instance with the period's activity and
    quotas (so every derived number — bounds, guarantee targets — follows), today's sites kept.
    After period 0 today's sites get in C2 and C3 only what a site of today gets whether or not
    it has run in every period since today (:func:`.grandfathered.relaxed_core`): P8 adds their
    own limits while they have, P7 the kept share from the period before."""
    d = build_model_data(scaled_instance(inst, t))
    return relaxed_core(d) if t else d


def _limits(inst: Instance, t: int, province_ids: list[str], field: str) -> np.ndarray:
    out = np.full(1 + len(province_ids), np.inf)
    b = period_budget(inst, t)
    if b is None:
        return out
    if getattr(b, field) is not None:
        out[0] = getattr(b, field)
    for p, lim in b.by_province.items():
        if getattr(lim, field) is not None:
            out[1 + province_ids.index(p)] = getattr(lim, field)
    return out


def build_phased(inst: Instance, options: BuildOptions | None = None) -> PhasedModel:
    """Stack one core model per milestone and add the transition blocks P1–P8."""
    options = replace(options or BuildOptions(), transition_from_today=False)
    base = build_model_data(inst)
    # opening costs on ``opened`` are the full fixed costs (a closed site that reopens pays again)
    full_fixed = build_model_data(inst.model_copy(update={"brownfield": None})).fixed_cost
    years, span, disc = period_years(inst)
    datas = [period_data(inst, t) for t in range(len(years))]
    cores = [build(d, options) for d in datas]
    T, S, R = len(cores), base.S, base.R
    offsets = list(np.cumsum([0] + [c.n_cols for c in cores[:-1]]).astype(int))
    n_core = int(sum(c.n_cols for c in cores))

    m = ArrayModel()
    m.n_cols = n_core  # new columns follow the stacked cores
    bf: BrownfieldData | None = base.brownfield
    e = bf.existing.astype(float) if bf is not None else np.zeros((S, R))
    E = bf.existing_activity if bf is not None else np.zeros((S, R))
    opened = m.add_variables("opened", (T, S, R), 0.0, 1.0)
    closed = m.add_variables("closed", (T, S, R), 0.0, np.concatenate([e[None], np.ones((T - 1, S, R))]))
    removed = m.add_variables("removed", (T, S, R), 0.0, np.inf)
    s, r = np.meshgrid(np.arange(S), np.arange(R), indexing="ij")
    col = lambda t, name: cores[t].var(name).index(s, r) + offsets[t]  # noqa: E731
    upper = lambda t: cores[t].var("activity").take(cores[t].col_upper)  # noqa: E731
    share = kept_share(inst)
    today = today_limits(base, share)
    if today is not None and not len(today.s):
        today = None
    h = None if today is None else col(0, "place")[today.s, today.r]  # h[0] = place[0]
    for t in range(T):
        tt = np.full_like(s, t)
        prev_place = None if t == 0 else col(t - 1, "place")
        prev_act = None if t == 0 else col(t - 1, "activity")
        # (P1) opened - place[t] + place[t-1] >= 0   (t = 0: place[-1] = e)
        rows = m.add_rows(f"open_link[{t}]", (S, R), -e if t == 0 else 0.0, np.inf)
        m.add_terms(rows.index(s, r), opened.index(tt, s, r), 1.0)
        m.add_terms(rows.index(s, r), col(t, "place"), -1.0)
        if prev_place is not None:
            m.add_terms(rows.index(s, r), prev_place, 1.0)
        # (P2) closed + place[t] - place[t-1] >= 0
        rows = m.add_rows(f"close_link[{t}]", (S, R), e if t == 0 else 0.0, np.inf)
        m.add_terms(rows.index(s, r), closed.index(tt, s, r), 1.0)
        m.add_terms(rows.index(s, r), col(t, "place"), 1.0)
        if prev_place is not None:
            m.add_terms(rows.index(s, r), prev_place, -1.0)
        # (P3) removed + activity[t] - activity[t-1] >= 0
        rows = m.add_rows(f"shrink_link[{t}]", (S, R), E if t == 0 else 0.0, np.inf)
        m.add_terms(rows.index(s, r), removed.index(tt, s, r), 1.0)
        m.add_terms(rows.index(s, r), col(t, "activity"), 1.0)
        if prev_act is not None:
            m.add_terms(rows.index(s, r), prev_act, -1.0)
        _add_period_budget(m, inst, base, datas, t, opened, closed, removed, col, e, E, options.elastic)
        if prev_act is not None:
            # (P8) today's sites keep their own limits while they have run in every period so far
            own_floor_h = np.full((S, R), -1)
            if today is not None:
                place_t, act_t = col(t, "place")[today.s, today.r], col(t, "activity")[today.s, today.r]
                h = add_grandfathered(m, t, today, place_t, act_t, h, upper(t)[today.s, today.r]).index(
                    np.arange(len(today.s)))
                own_floor_h[today.s[today.own_floor], today.r[today.own_floor]] = h[today.own_floor]
            # (P7) a site kept open runs a share of its activity before
            add_kept_share(m, t, share, col(t, "place"), col(t, "activity"), prev_act, upper(t - 1), own_floor_h)
    # (P5) minimum run time of a new site
    run = inst.periods.min_run_years
    for t in range(T):
        for t2 in range(t + 1, T):
            if years[t2] < years[t] + run:
                rows = m.add_rows(f"min_run[{t},{t2}]", (S, R), 0.0, np.inf)
                m.add_terms(rows.index(s, r), col(t2, "place"), 1.0)
                m.add_terms(rows.index(s, r), opened.index(np.full_like(s, t), s, r), -1.0)
    # (P6) parks (expansions and enclave parks) stay once built
    for name, n in (("expand", base.E), ("park_open", base.N)):
        if not n:
            continue
        ex = np.arange(n)
        for t in range(1, T):
            rows = m.add_rows(f"{name}_stays[{t}]", (n,), 0.0, np.inf)
            m.add_terms(rows.index(ex), cores[t].var(name).index(ex) + offsets[t], 1.0)
            m.add_terms(rows.index(ex), cores[t - 1].var(name).index(ex) + offsets[t - 1], -1.0)

    # stack: block-diagonal cores, then the transition rows over all columns
    n_new = m.n_cols - n_core
    A_core = sp.block_diag([c.A for c in cores], format="csc")
    A_core = sp.hstack([A_core, sp.csc_matrix((A_core.shape[0], n_new))], format="csc")
    A = sp.vstack([A_core, m.matrix()], format="csc")
    A.sort_indices()
    col_lo, col_hi, integ, row_lo, row_hi = m.vectors()
    cat = np.concatenate
    terms = _phased_terms(base, cores, offsets, m.n_cols, span, disc, opened, closed, removed, full_fixed)
    w = base.weights
    cost = np.asarray(sum(w.get(k, 0.0) * v for k, v in terms.items()), dtype=float)
    if options.elastic:  # phase one: the least quota and budget increase over all periods (diagnose)
        terms["quota_slack"] = np.zeros(m.n_cols)
        for t, c in enumerate(cores):
            terms["quota_slack"][offsets[t]: offsets[t] + c.n_cols] = c.terms["quota_slack"]
        terms["budget_slack"] = np.zeros(m.n_cols)
        for name, b in m.var_blocks.items():
            if name.endswith("_slack"):
                terms["budget_slack"][b.slice] = 1.0
        cost = terms["quota_slack"] + terms["budget_slack"]
    var_blocks = {f"{t}.{name}": replace(b, start=b.start + offsets[t], name=f"{t}.{name}")
                  for t, c in enumerate(cores) for name, b in c.var_blocks.items()}
    var_blocks.update(m.var_blocks)  # opened, closed, removed (and budget slacks when elastic)
    row_off = list(np.cumsum([0] + [c.n_rows for c in cores]).astype(int))
    row_blocks = {f"{t}.{name}": replace(b, start=b.start + row_off[t], name=f"{t}.{name}")
                  for t, c in enumerate(cores) for name, b in c.row_blocks.items()}
    row_blocks.update({name: replace(b, start=b.start + row_off[-1]) for name, b in m.row_blocks.items()})
    cm = CompiledModel(
        data=datas[0], options=options, cost=cost, terms=terms, A=A,
        col_lower=cat([c.col_lower for c in cores] + [col_lo]), col_upper=cat([c.col_upper for c in cores] + [col_hi]),
        integrality=cat([c.integrality for c in cores] + [integ]),
        row_lower=cat([c.row_lower for c in cores] + [row_lo]), row_upper=cat([c.row_upper for c in cores] + [row_hi]),
        var_blocks=var_blocks, row_blocks=row_blocks)
    return PhasedModel(cm=cm, periods=cores, years=years, offsets=offsets, discount=disc, weight_years=span,
                       transition={"opened": opened, "closed": closed, "removed": removed}, full_fixed=full_fixed)


def _add_period_budget(m: ArrayModel, inst: Instance, base: ModelData, datas: list[ModelData], t: int,
                       opened: Block, closed: Block, removed: Block, col, e: np.ndarray, E: np.ndarray,
                       elastic: bool = False) -> None:
    """(P4) budgets of period t per scope g (area, provinces) with a finite limit; ``elastic``:
    each row gains ``- <row>_slack`` >= 0, how much the budget must grow (as T6)."""
    scope, _ = budget_scopes(base)
    S, R = base.S, base.R
    prev_activity = E.sum(axis=1) if t == 0 else datas[t - 1].activity
    forced = float(np.maximum(prev_activity - datas[t].activity, 0.0).sum())
    for field, var in (("max_opened", opened), ("max_closed", closed)):
        lim = _limits(inst, t, base.province_ids, field)
        for g in np.flatnonzero(np.isfinite(lim)):
            rows = m.add_rows(f"change_{field[4:]}[{t},{g}]", (1,), -np.inf, lim[g])
            s, r = np.nonzero(np.broadcast_to(scope[g][None, :], (S, R)))
            m.add_terms(rows.index(np.zeros(len(s), dtype=int)), var.index(np.full(len(s), t), s, r), 1.0)
            _elastic_budget(m, rows, elastic)
    share = _limits(inst, t, base.province_ids, "max_moved_share")
    for g in np.flatnonzero(np.isfinite(share)):
        s, r = np.nonzero(np.broadcast_to(scope[g][None, :], (S, R)))
        zero = np.zeros(len(s), dtype=int)
        if t == 0:  # sum removed <= share * today's activity in g + forced
            rows = m.add_rows(f"change_moved[{t},{g}]", (1,), -np.inf, share[g] * E[:, scope[g]].sum() + forced)
        else:  # sum removed - share * activity[t-1] in g <= forced
            rows = m.add_rows(f"change_moved[{t},{g}]", (1,), -np.inf, forced)
            prev = col(t - 1, "activity")[s, r]
            m.add_terms(rows.index(zero), prev, -share[g])
        m.add_terms(rows.index(zero), removed.index(np.full(len(s), t), s, r), 1.0)
        _elastic_budget(m, rows, elastic)


def _elastic_budget(m: ArrayModel, rows: Block, elastic: bool) -> None:
    if elastic:
        slack = m.add_variables(f"{rows.name}_slack", (1,), 0.0, np.inf)
        m.add_terms(rows.index(0), slack.index(0), -1.0)


def _phased_terms(base: ModelData, cores: list[CompiledModel], offsets: list[int], n: int, span: np.ndarray,
                  disc: np.ndarray, opened: Block, closed: Block, removed: Block,
                  full_fixed: np.ndarray) -> dict[str, np.ndarray]:
    """Unweighted cost vectors over all columns, discounted; running terms x years."""
    terms = {k: np.zeros(n) for k in (*RUNNING_TERMS, *ONE_OFF_TERMS)}
    for t, c in enumerate(cores):
        sl = slice(offsets[t], offsets[t] + c.n_cols)
        for k in RUNNING_TERMS:
            terms[k][sl] += disc[t] * span[t] * c.terms[k]
        # parks (expansions, enclave parks): paid when first built, F (z[t] - z[t-1]) discounted
        terms["expansion"][sl] += disc[t] * c.terms["expansion"]
        if t > 0:
            prev = slice(offsets[t - 1], offsets[t - 1] + cores[t - 1].n_cols)
            terms["expansion"][prev] -= disc[t] * cores[t - 1].terms["expansion"]
        terms["fixed_cost"][opened.index(t, 0, 0): opened.index(t, 0, 0) + base.S * base.R] = disc[t] * full_fixed.ravel()
        bf = base.brownfield
        close = bf.close_cost if bf is not None else np.zeros(base.S)
        shrink = bf.shrink_cost if bf is not None else np.zeros(base.S)
        a = closed.index(t, 0, 0)
        terms["change"][a: a + base.S * base.R] = disc[t] * np.repeat(close, base.R)
        a = removed.index(t, 0, 0)
        terms["change"][a: a + base.S * base.R] = disc[t] * np.repeat(shrink, base.R)
    return terms

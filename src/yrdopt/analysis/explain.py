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
re-optimised.  The change of each weighted objective term is reported; a move that is
infeasible says why (forbidden, fixed elsewhere by policy, or the quota it lacks, from
the elastic model with the same placements).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..checker import read_layout_dir
from ..errors import InstanceError, Problem
from ..io import load_instance
from .alternatives import place_from_layout
from ..model.compiled import BuildOptions, CompiledModel, build
from ..model.fixed import fix_placements
from ..phasing import refuse_periods
from ..schema import Instance
from ..solver import HighsSolver, SolveResult, SolverOptions


PHASED_EXPLAIN = "explain one period's instance"


def expansions_taken(cm: CompiledModel, expansions: pd.DataFrame | None) -> np.ndarray:
    """(E,) booleans from an expansions table (region, option, taken)."""
    d = cm.data
    taken = np.zeros(d.E, dtype=bool)
    if expansions is None or not len(expansions) or not d.E:
        return taken
    pos = {e: i for i, e in enumerate(d.exp_ids)}
    on = expansions["taken"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"]).to_numpy()
    for reg, opt in zip(expansions["region"].astype(str)[on], expansions["option"].astype(str)[on]):
        if f"{reg}/{opt}" in pos:
            taken[pos[f"{reg}/{opt}"]] = True
    return taken


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


def _solve(cm: CompiledModel, options: SolverOptions | None = None) -> SolveResult:
    s = HighsSolver(options or SolverOptions(mip_gap=1e-9))
    s.load(cm)
    return s.solve()


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
    # region, resource, quota, extra, used, slack, tight, binding, value_per_unit, resolved_value_per_unit
    quotas: pd.DataFrame
    guarantees: pd.DataFrame  # guarantee, path, measure, required, value, binding, value_per_unit

    def matrix(self) -> pd.DataFrame:
        """Region x resource table of the value of one more unit (0 where not binding)."""
        q = self.quotas
        return q.pivot(index="region", columns="resource", values="value_per_unit").reindex(q["region"].unique())


def parks_opened(cm: CompiledModel, solution_dir: str | Path | None) -> np.ndarray:
    """(N,) booleans from a solution directory's parks.csv (existing parks always open)."""
    from ..checker import read_park_tables

    d = cm.data
    opened = d.park_existing.copy()
    parks, _ = read_park_tables(solution_dir) if solution_dir is not None else (None, None)
    if parks is not None and d.N:
        pos = {p: i for i, p in enumerate(d.park_ids)}
        for pid, on in zip(parks["park"].astype(str), parks["opened"].astype(str).str.lower()):
            if pid in pos and on in ("1", "true", "1.0", "yes"):
                opened[pos[pid]] = True
    return opened


def fixed_placement_lp(inst: Instance, place: np.ndarray, expand: np.ndarray, cm: CompiledModel | None = None,
                       parks: np.ndarray | None = None):
    cm = cm or build(inst)
    if parks is None:
        parks = cm.data.park_existing.copy()
    lp = fix_placements(cm, place, expand, lp=True, parks=parks)
    return lp, _solve(lp)


def shadow_prices(instance, solution_dir: str | Path | None = None, *, place: np.ndarray | None = None,
                  expand: np.ndarray | None = None, resolve: bool = True,
                  options: SolverOptions | None = None) -> Prices:
    """Marginal value of one more unit of every quota, with the layout's placements fixed.

    The LP price is 0 for every quota with any slack left, yet a quota used nearly to the
    limit can keep a whole site out (a discrete effect the fixed-placement LP cannot see).
    With ``resolve``, every quota used to the limit (:func:`tight`) whose LP price is 0 is
    given one more unit and the whole MIP re-solved from the layout:
    ``resolved_value_per_unit`` is the objective decrease (NaN where not re-solved).
    """
    inst = load_instance(instance)
    refuse_periods(inst, "quota prices", PHASED_EXPLAIN)
    cm = build(inst)
    if solution_dir is not None:
        cm, place, expand = read_layout(inst, solution_dir, cm)
    if place is None:
        raise ValueError("give a solution directory or the placements")
    expand = np.zeros(cm.data.E, dtype=bool) if expand is None else expand
    lp, res = fixed_placement_lp(inst, place, expand, cm, parks_opened(cm, solution_dir))
    d = cm.data
    if res.x is None or res.row_dual is None:
        raise InstanceError([Problem(str(solution_dir or "layout"), "placements", res.status,
                                     "placements under which the instance is feasible (check the layout first)")])
    qb = cm.row("quota")
    dual = qb.take(res.row_dual)
    used = (d.use * cm.var("activity").take(res.x)[:, :, None]).sum(axis=0)
    extra = np.zeros((d.R, d.K))
    if d.E:
        np.add.at(extra, d.exp_region, d.exp_quota * expand[:, None])
    r, k = np.meshgrid(np.arange(d.R), np.arange(d.K), indexing="ij")
    cap = d.quota + extra
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
    })
    if resolve:
        hidden = quotas["tight"] & (quotas["value_per_unit"].abs() <= 1e-9)
        for i in np.flatnonzero(hidden.to_numpy()):
            quotas.loc[i, "resolved_value_per_unit"] = _resolved_value(cm, res, int(r.ravel()[i]), int(k.ravel()[i]),
                                                                       options)
    quotas = quotas[finite.ravel()].reset_index(drop=True)
    return Prices(float(res.objective), quotas, guarantee_prices(cm, res))


def guarantee_prices(cm: CompiledModel, res: SolveResult) -> pd.DataFrame:
    """Each guarantee row at the fixed-placement LP: what it requires, what the layout
    gives, and its dual — the objective decrease per unit the guarantee no longer requires
    (value units; for min_chains the placements are fixed, so the price is 0)."""
    from ..model.guarantees import guarantee_bounds

    d = cm.data
    gb = cm.row("guarantee")
    short = cm.var("guarantee_shortfall").take(res.x)
    sign = np.array([-1.0 if m == "max_share" else 1.0 for m in d.g_measure]).reshape(d.G)
    lhs = (cm.A @ res.x)[gb.slice] - sign * short
    lo, hi = guarantee_bounds(d)
    required = np.where(np.isfinite(lo), lo, hi)
    dual = gb.take(res.row_dual).reshape(-1) if d.G else np.zeros(0)
    return pd.DataFrame({
        "guarantee": d.g_labels, "path": d.g_paths, "measure": d.g_measure, "required": required,
        "value": lhs, "shortfall": short,
        "binding": np.abs(lhs - required) <= 1e-6 * np.maximum(1.0, np.abs(required)),
        "value_per_unit": sign * dual + 0.0,
    })



def _resolved_value(cm: CompiledModel, fixed: SolveResult, r: int, k: int, options: SolverOptions | None) -> float:
    """Objective decrease when quota (r, k) gets one more unit and the MIP is re-solved from
    the layout (placements free); NaN when the re-solve finds no layout."""
    row = cm.row("quota").index(np.array([r]), np.array([k]))
    hi = cm.row_upper.copy()
    hi[row] += 1.0
    res = HighsSolver(options or SolverOptions(mip_gap=1e-6, time_limit=30))
    res.load(replace(cm, row_upper=hi))
    out = res.solve(fixed.x[: cm.n_cols])
    if out.objective is None:
        return float("nan")
    gain = float(fixed.objective) - float(out.objective)
    return gain if gain > 1e-9 * max(1.0, abs(float(fixed.objective))) else 0.0


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
                   options: SolverOptions | None = None) -> pd.DataFrame:
    """One row per region: the segment moved there entirely, the change of every term.

    The reference ("current") is the layout's own placements re-solved the same way, so
    every difference is between like and like.
    """
    inst = load_instance(instance)
    refuse_periods(inst, "explain", PHASED_EXPLAIN)
    cm, place, expand = read_layout(inst, solution_dir, build(inst))
    d = cm.data
    s = segment_index(cm, segment)
    options = options or SolverOptions(mip_gap=1e-9, time_limit=60)

    def run(P: np.ndarray, only_segment: bool) -> tuple[SolveResult, CompiledModel]:
        if only_segment:  # fix this segment's row only; the rest re-optimised
            c = fix_rows(cm, s, P[s])
        else:
            c = fix_placements(cm, P)
        return _solve(c, options), c

    base, _ = run(place, reoptimise)
    if base.x is None:
        raise InstanceError([Problem(str(solution_dir), "layout", base.status,
                                     "a feasible layout of this instance (run `yrdopt check`)")])
    base_terms = cm.components(base.x)
    rows = []
    hosts = np.flatnonzero(place[s])
    for r in range(d.R):
        row = {"region": d.region_ids[r], "current": bool(place[s, r] and len(hosts) == 1)}
        P = place.copy()
        P[s] = False
        P[s, r] = True
        why = None
        if not d.allowed[s, r]:
            why = "forbidden by policy.forbidden"
        elif d.fixed[s].any() and not d.fixed[s, r]:
            why = "policy.fixed keeps it in " + ", ".join(np.array(d.region_ids)[d.fixed[s]])
        elif d.min_sites[s] > 1:
            why = f"needs at least {int(d.min_sites[s])} sites (policy.site_limits)"
        if why is None:
            res, c = run(P, reoptimise)
            if res.x is not None:
                terms = cm.components(res.x)
                row.update(status=res.status, objective=float(res.objective),
                           change=float(res.objective - base.objective),
                           **{f"change_{k}": terms[k] - base_terms[k] for k in terms}, why="")
                rows.append(row)
                continue
            why = _missing_quota(inst, P if not reoptimise else None, s, P[s], options)
        row.update(status="infeasible", objective=np.nan, change=np.nan,
                   **{f"change_{k}": np.nan for k in base_terms}, why=why)
        rows.append(row)
    out = pd.DataFrame(rows)
    out.attrs.update(segment=segment, base_objective=float(base.objective), reoptimise=reoptimise,
                     hosts=[d.region_ids[h] for h in hosts])
    return out


def fix_rows(cm: CompiledModel, s: int, row: np.ndarray) -> CompiledModel:
    lo, hi = cm.col_lower.copy(), cm.col_upper.copy()
    idx = cm.var("place").index(np.full(cm.data.R, s), np.arange(cm.data.R))
    lo[idx] = hi[idx] = row.astype(float)
    return replace(cm, col_lower=lo, col_upper=hi)


def _missing_quota(inst: Instance, P: np.ndarray | None, s: int, row: np.ndarray, options: SolverOptions) -> str:
    """Why a forced placement is infeasible: the least quota it would need (elastic model)."""
    ecm = build(inst, BuildOptions(elastic=True))
    c = fix_placements(ecm, P) if P is not None else fix_rows(ecm, s, row)
    res = _solve(c, options)
    if res.x is None:
        return "infeasible even with unlimited quotas (a policy rule or minimum scale conflicts)"
    slack = ecm.var("quota_slack").take(res.x)
    d = ecm.data
    parts = [f"{d.region_ids[r]} {d.resource_ids[k]} +{slack[r, k]:.6g}" for r, k in zip(*np.nonzero(slack > 1e-7))]
    return "quota too small: needs " + ", ".join(parts) if parts else "infeasible (numerically borderline)"

"""Parameter paths → changed instances, and changed numbers pushed into a loaded HiGHS model.

Two ways to get a scenario's model:

* **in place** — the scenario changes only numbers that enter costs, bounds or existing
  matrix coefficients.  The persistent HiGHS model of the base instance is patched
  (``changeColsCost``, ``changeColsBounds``, ``changeRowsBounds``, ``changeCoeff``) and
  re-solved from the previous layout.  Nothing is rebuilt or handed over again.
* **rebuild** — anything else (policy rules, site limits, minimum scales, single-site
  flags, value per unit, new regions or segments...): the compiled model is rebuilt and
  passed to HiGHS in one call (the fast path of :mod:`yrdopt.model.compiled`).

Which paths are numbers-only is decided twice: statically from the path (``INPLACE``
below — anything not listed rebuilds), and again on the scenario's :class:`ModelData`:
if any array outside the in-place set differs from the base, the scenario rebuilds.

What each in-place number touches in the compiled model (models/formulation.md):

=================================  ===================================================
ModelData field                    compiled model entries patched
=================================  ===================================================
weights, distance (+components,    objective: every term vector recomputed, changed
component_weights), unit_cost,     column costs sent (``term_vectors``/``objective_vector``)
fixed_cost, exp_cost,
link_intensity
quota                              quota row upper bound (R, K)
activity                           demand row bounds; activity upper bound U and the
                                   site_capacity coefficient -U; flow upper bounds and
                                   flow_link coefficients (link volume); flow_in
                                   coefficient (inflow factor); province_share bound
quota, use, exp_quota              U (activity bounds and site_capacity coefficients)
use                                quota row coefficients on activity
exp_quota                          quota row coefficients on expand
link_volume                        flow_out coefficients, flow bounds, flow_in factor
province_min_share, g_rhs          guarantee row bounds (same guarantees only); soft
                                   guarantees' shortfall bounds
activity                           park_activity upper bounds min(A, capacity)
=================================  ===================================================

A test patches random scenarios in place and compares HiGHS's model with a fresh build.
"""

from __future__ import annotations

import copy
import re
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..data import ModelData
from ..errors import InstanceError, Problem
from ..model.compiled import CompiledModel
from ..model.objective import objective_vector, term_vectors
from ..schema import Instance

# Mapping fields: the keys below them are ids (resources, regions, components, terms)
# rather than field names.  resource_use_by_region is region -> resource -> value.
MAPPING_FIELDS = {"quotas": 1, "component_weights": 1, "components": 1, "extra_quota": 1, "site_cost": 1,
                  "fixed_cost_by_region": 1, "resource_use": 1, "resource_use_by_region": 2,
                  "province_min_share": 1, "sources": 1,
                  "by_kind": 1, "by_province": 1, "growth": 1, "quota_factor": 1}  # brownfield, periods

# Path patterns whose every change is numbers-only (see the table in the module doc).
INPLACE = {
    "weights.distance", "weights.site_cost", "weights.fixed_cost", "weights.duplication", "weights.expansion",
    "economic_distance.component_weights{}",
    "economic_distance.components{}.values",
    "economic_distance.matrix.values",
    "regions[].quotas{}",
    "regions[].expansions[].fixed_cost",
    "regions[].expansions[].extra_quota{}",
    "chains[].segments[].activity",
    "chains[].segments[].site_cost{}",
    "chains[].segments[].site_cost_default",
    "chains[].segments[].fixed_cost",
    "chains[].segments[].fixed_cost_by_region{}",
    "chains[].segments[].resource_use{}",
    "chains[].segments[].resource_use_by_region{}{}",
    "chains[].links[].volume_per_unit",
    "chains[].links[].transport_intensity",
    "policy.province_min_share{}",
    "weights.change",
    "brownfield.costs.close_per_site", "brownfield.costs.shrink_per_unit",
    "brownfield.costs.by_kind{}.close_per_site", "brownfield.costs.by_kind{}.shrink_per_unit",
    "brownfield.budget.max_opened", "brownfield.budget.max_closed", "brownfield.budget.max_moved_share",
    "brownfield.budget.by_province{}.max_opened", "brownfield.budget.by_province{}.max_closed",
    "brownfield.budget.by_province{}.max_moved_share",
}

# ModelData fields an in-place patch handles; every other field must equal the base's.
COST_FIELDS = ("distance", "unit_cost", "fixed_cost", "exp_cost", "link_intensity")
# brownfield: change costs (objective) and the limits of budget rows that exist in the base model
BROWNFIELD_COSTS = ("close_cost", "shrink_cost")
BROWNFIELD_BUDGETS = ("max_opened", "max_closed", "max_moved_share")
PATCHED_FIELDS = {"weights", "distance", "distance_components", "component_weights", "unit_cost", "fixed_cost",
                  "exp_cost", "link_intensity", "quota", "use", "exp_quota", "activity", "link_volume",
                  "province_min_share", "g_rhs", "g_labels",  # g_labels: text naming the value
                  *(f"brownfield.{f}" for f in BROWNFIELD_COSTS + BROWNFIELD_BUDGETS)}


class PathError(ValueError):
    """A parameter path that does not address anything in the instance."""


# ------------------------------------------------------------------------------ paths
_STEP = re.compile(r"\.?([A-Za-z_][A-Za-z0-9_\-]*)|\[([^\]]*)\]")


def parse_path(path: str) -> list[tuple[str, Any]]:
    """``regions[id=ZJ].quotas.land`` → [("key", "regions"), ("match", ("id", "ZJ")), ("key", "quotas"), ("key", "land")]."""
    steps: list[tuple[str, Any]] = []
    pos = 0
    while pos < len(path):
        m = _STEP.match(path, pos)
        if not m or m.end() == pos or (pos == 0 and path.startswith(".")):
            raise PathError(f"cannot read the path at character {pos + 1} ({path[pos:pos + 12]!r})")
        if m.group(1) is not None:
            if pos > 0 and path[pos] != ".":
                raise PathError(f"expected '.' or '[' at character {pos + 1}")
            steps.append(("key", m.group(1)))
        else:
            sel = m.group(2).strip()
            if sel == "*":
                steps.append(("all", None))
            elif re.fullmatch(r"[A-Za-z_]\w*\s*=.*", sel):  # [id=X], or another field: [year=2030]
                field, value = sel.split("=", 1)
                steps.append(("match", (field.strip(), value.strip().strip("'\""))))
            elif re.fullmatch(r"-?\d+", sel):
                steps.append(("index", int(sel)))
            elif sel:
                steps.append(("key", sel.strip("'\"")))
            else:
                raise PathError("empty brackets (use [*], [id=X], [N] or [key])")
        pos = m.end()
    if not steps:
        raise PathError("an empty path")
    return steps


def resolve(data: dict, path: str, *, allow_new_key: bool = False) -> list[tuple]:
    """Every concrete location (a tuple of dict keys and list positions) the path addresses."""
    steps = parse_path(path)
    locs: list[tuple[tuple, Any]] = [((), data)]
    for i, (kind, arg) in enumerate(steps):
        last = i == len(steps) - 1
        nxt: list[tuple[tuple, Any]] = []
        for loc, obj in locs:
            where = format_loc(loc) or "the instance"
            if obj is None:
                # an optional section or field the instance leaves out (brownfield:, periods:, a budget)
                raise PathError(f"the instance has no {where} section" if len(loc) == 1 else
                                f"the instance does not set {where}")
            if kind == "key":
                if not isinstance(obj, dict):
                    raise PathError(f"{where} is a {_kind(obj)}; select its elements with [*], [id=X] or [N]")
                if arg in obj:
                    nxt.append((loc + (arg,), obj[arg]))
                elif last and allow_new_key and loc and _is_mapping(loc):
                    nxt.append((loc + (arg,), None))
                else:
                    raise PathError(f"{where} has no {arg!r} (it has {_preview(list(obj))})")
            elif kind == "all":
                if isinstance(obj, list):
                    nxt += [(loc + (j,), v) for j, v in enumerate(obj)]
                elif isinstance(obj, dict):
                    nxt += [(loc + (k,), v) for k, v in obj.items()]
                else:
                    raise PathError(f"{where} is a {_kind(obj)}, not a list or mapping")
            elif kind == "match":
                field, value = arg
                if not isinstance(obj, list):
                    raise PathError(f"{where} is a {_kind(obj)}; [{field}=...] selects from a list")
                hits = [j for j, v in enumerate(obj) if isinstance(v, dict) and str(v.get(field)) == value]
                if not hits:
                    ids = [str(v.get(field)) for v in obj if isinstance(v, dict)]
                    raise PathError(f"{where} has no element with {field} {value!r} ({field}s: {_preview(ids)})")
                nxt += [(loc + (j,), obj[j]) for j in hits]
            else:  # index
                if not isinstance(obj, list) or not -len(obj) <= arg < len(obj):
                    raise PathError(f"{where} has no element [{arg}]")
                j = arg % len(obj)
                nxt.append((loc + (j,), obj[j]))
        locs = nxt
    if not locs:
        raise PathError("the path selects nothing (an empty list or mapping)")
    out = []
    for loc, obj in locs:
        if isinstance(obj, dict) and "values" in obj and isinstance(obj["values"], list):
            loc = loc + ("values",)  # a matrix: scale its values
        out.append(loc)
    return out


def _is_mapping(loc: tuple) -> bool:
    return any(isinstance(p, str) and p in MAPPING_FIELDS for p in loc)


def _kind(obj: Any) -> str:
    return {dict: "mapping", list: "list"}.get(type(obj), type(obj).__name__)


def _preview(xs: list, n: int = 8) -> str:
    xs = [str(x) for x in xs]
    return ", ".join(xs[:n]) + (", ..." if len(xs) > n else "")


def format_loc(loc: tuple) -> str:
    out = ""
    for p in loc:
        out += f"[{p}]" if isinstance(p, int) else (("." if out else "") + str(p))
    return out


def pattern(loc: tuple) -> str:
    """The location with ids dropped: ``("regions", 3, "quotas", "land")`` → ``regions[].quotas{}``."""
    out, pending = "", 0
    for p in loc:
        if isinstance(p, int):
            out += "[]"
        elif pending:
            out += "{}"
            pending -= 1
        else:
            out += ("." if out else "") + p
            pending = MAPPING_FIELDS.get(p, 0)
    return out


def is_inplace_location(loc: tuple) -> bool:
    return pattern(loc) in INPLACE


# ---------------------------------------------------------------------- changing data
def _scaled(value: Any, m: float, where: str) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str):
        raise PathError(f"{where} is {value!r}, not a number to scale")
    if isinstance(value, (int, float)):
        return value * m
    if isinstance(value, list):
        return [_scaled(v, m, where) for v in value]
    raise PathError(f"{where} is a {_kind(value)}, not a number to scale")


def _assign(root: Any, loc: tuple, fn) -> Any:
    """A copy of root with fn applied at loc; only the containers on the path are copied."""
    if not loc:
        return fn(root)
    head, rest = loc[0], loc[1:]
    new = list(root) if isinstance(root, list) else dict(root)
    new[head] = _assign(root[head] if (isinstance(root, list) or head in root) else None, rest, fn)
    return new


@dataclass(frozen=True)
class ResolvedParameter:
    label: str
    op: str  # "scale" or "set"
    locations: tuple[tuple, ...]
    inplace: bool


def resolve_parameters(base: dict, parameters, file: str = "<spec>") -> list[ResolvedParameter]:
    """Resolve every parameter path against the base instance; report all bad paths at once."""
    out, problems = [], []
    for i, p in enumerate(parameters):
        try:
            locs = resolve(base, p.path, allow_new_key=p.op == "set")
        except PathError as exc:
            problems.append(Problem(file, f"parameters[{i}].path", p.path, f"a path into the instance: {exc}"))
            continue
        if p.op == "scale":
            for loc in locs:
                try:
                    _scaled(_get(base, loc), 1.0, format_loc(loc))
                except PathError as exc:
                    problems.append(Problem(file, f"parameters[{i}].path", p.path,
                                            f"a path to numbers when scaling ({exc}); use values: to set it"))
                    break
                if _has_integer(_get(base, loc)):
                    # a count (sites opened or closed, a tolerance, a year): a multiplier gives
                    # fractions between the ends (6 x 1.25 = 7.5), which the instance refuses
                    problems.append(Problem(file, f"parameters[{i}].path", p.path,
                                            f"a path to numbers that may take fractions when scaling "
                                            f"({format_loc(loc)} is an integer field: use values: to set it)"))
                    break
        out.append(ResolvedParameter(p.label, p.op, tuple(locs), all(is_inplace_location(x) for x in locs)))
    if problems:
        raise InstanceError(problems)
    return out


def _has_integer(value: Any) -> bool:
    """Whether an instance value holds an integer field's number: the base is the validated
    instance dumped to JSON, where an integer field's value is an int and a real one's a float."""
    if isinstance(value, list):
        return any(map(_has_integer, value))
    return isinstance(value, int) and not isinstance(value, bool)


def _get(data: Any, loc: tuple) -> Any:
    for p in loc:
        data = data[p]
    return data


def scenario_dict(base: dict, params: list[ResolvedParameter], values: dict[str, Any]) -> dict:
    """The base instance dict with each parameter's value applied (multiplier 1 = unchanged)."""
    data = base
    for p in params:
        v = values.get(p.label)
        if v is None or (p.op == "scale" and float(v) == 1.0):
            continue
        for loc in p.locations:
            where = format_loc(loc)
            if p.op == "scale":
                data = _assign(data, loc, lambda x, v=v, w=where: _scaled(x, float(v), w))
            else:
                data = _assign(data, loc, lambda x, v=v: merged(x, v))
    return data


def merged(current: Any, value: Any) -> Any:
    """What setting ``value`` where the instance holds ``current`` gives: a mapping set on a
    mapping is merged into it, key by key and at every depth (``budget: {max_closed: 0}`` keeps
    the budget's other limits; a key set to null removes that one); anything else replaces it."""
    if isinstance(current, dict) and isinstance(value, dict):
        out = dict(current)
        for k, x in value.items():
            out[k] = merged(current.get(k), x)
        return out
    return copy.deepcopy(value)


def validate_instance(data: dict, file: str) -> Instance:
    """Full validation (fields and cross-references) of a scenario's instance dict."""
    from pathlib import Path

    from ..io import validate_mapping

    return validate_mapping(data, file, Path.cwd())


def changed_fields(base: ModelData, d: ModelData) -> set[str]:
    """Names of the ModelData fields that differ between two data sets of one instance shape
    (for a nested record of arrays, e.g. ``brownfield``, ``brownfield.<field>``)."""
    out = set()
    for name in base.__dataclass_fields__:
        a, b = getattr(base, name), getattr(d, name)
        if hasattr(a, "__dataclass_fields__") and hasattr(b, "__dataclass_fields__"):
            out |= {f"{name}.{f}" for f in changed_fields(a, b)}
            continue
        if isinstance(a, np.ndarray):  # nan marks "none given" (e.g. an existing site's own minimum scale)
            same = a.shape == b.shape and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        elif isinstance(a, dict) and a and isinstance(next(iter(a.values())), np.ndarray):
            same = a.keys() == b.keys() and all(np.array_equal(a[k], b[k]) for k in a)
        else:
            same = a == b
        if not same:
            out.add(name)
    return out


def patchable(base: ModelData, d: ModelData) -> bool:
    """Whether the in-place patch can turn the base model into d's (else rebuild)."""
    if base.distance_components.keys() != d.distance_components.keys():
        return False
    if set(base.weights) != set(d.weights):
        return False
    if not np.array_equal(base.province_min_share > 0, d.province_min_share > 0):
        return False  # guarantee rows exist only for provinces with a rule
    if base.brownfield is not None and d.brownfield is not None and not all(
            np.array_equal(np.isfinite(getattr(base.brownfield, f)), np.isfinite(getattr(d.brownfield, f)))
            for f in BROWNFIELD_BUDGETS):
        return False  # budget rows exist only for scopes with a finite limit
    return changed_fields(base, d) <= PATCHED_FIELDS


# -------------------------------------------------------------------- in-place patches
class InPlaceModel:
    """A HiGHS model holding the base compiled model, patched scenario by scenario.

    It mirrors what HiGHS holds (the data arrays, the activity bound U, costs, bounds and
    matrix) so each patch sends only the entries that differ from the model as it stands,
    and the model :meth:`patch` returns is the one HiGHS solves.
    """

    def __init__(self, h, base_cm: CompiledModel):
        if base_cm.options.tighten_bounds or base_cm.options.elastic:
            # their derived bounds (flow caps, site counts, quota-free U) are not patched here
            raise ValueError("in-place patches need a model built without tighten_bounds or elastic mode")
        self.h = h
        self.base = base_cm
        self.d = base_cm.data
        self.U = base_cm.data.activity_upper()
        self.cost = base_cm.cost.copy()
        self.terms = base_cm.terms
        self.col_lower, self.col_upper = base_cm.col_lower.copy(), base_cm.col_upper.copy()
        self.row_lower, self.row_upper = base_cm.row_lower.copy(), base_cm.row_upper.copy()
        self.A = base_cm.A  # copied on the first change (copy on write)
        self._A_changed = False  # True once this patch has its own copy of A
        self._keys: np.ndarray | None = None  # column-major keys of A's entries, for _set_entries
        self.n_coeff = 0  # coefficients changed by the last patch (for the benchmark)

    def patch(self, d: ModelData) -> CompiledModel:
        """Change the loaded model into d's model; return a view for reading solutions."""
        cur, cm, h = self.d, self.base, self.h
        V, RB = cm.var_blocks, cm.row_blocks
        self.n_coeff = 0
        # objective
        if (cur.weights != d.weights or any(not np.array_equal(getattr(cur, f), getattr(d, f)) for f in COST_FIELDS)
                or (d.brownfield is not None and any(not np.array_equal(getattr(cur.brownfield, f), getattr(d.brownfield, f))
                                                     for f in BROWNFIELD_COSTS))):
            terms = term_vectors(d, cm.n_cols, V)
            cost = objective_vector(d, terms)
            idx = np.flatnonzero(cost != self.cost)
            if idx.size:
                h.changeColsCost(idx.size, idx.astype(np.int32), cost[idx])
            self.cost, self.terms = cost, terms
        # quota rows: right-hand side
        if not np.array_equal(cur.quota, d.quota):
            r, k = np.nonzero(cur.quota != d.quota)
            self._row_bounds(RB["quota"].index(r, k), np.full(r.size, -np.inf), d.quota[r, k])
        # activity bound U: column bounds and site_capacity coefficients
        U = d.activity_upper()
        s, r = np.nonzero(U != self.U)
        if s.size:
            self._col_bounds(V["activity"].index(s, r), np.zeros(s.size), U[s, r])
            self._coeffs(RB["site_capacity"].index(s, r), V["place"].index(s, r), -U[s, r])
            self.U = U
        # resource use and park quotas: quota row coefficients
        if not np.array_equal(cur.use, d.use):
            s, r, k = np.nonzero(cur.use != d.use)
            self._coeffs(RB["quota"].index(r, k), V["activity"].index(s, r), d.use[s, r, k])
        if d.E and not np.array_equal(cur.exp_quota, d.exp_quota):
            e, k = np.nonzero(cur.exp_quota != d.exp_quota)
            self._coeffs(RB["quota"].index(d.exp_region[e], k), V["expand"].index(e), -d.exp_quota[e, k])
        # demand
        if not np.array_equal(cur.activity, d.activity):
            s = np.flatnonzero(cur.activity != d.activity)
            self._row_bounds(RB["demand"].index(s), d.activity[s], d.activity[s])
        # links: flow bounds and flow-balance coefficients
        if d.L:
            self._patch_links(cur, d)
        # guarantees (policy.province_min_share rules among them): row bounds, soft shortfall bounds
        if d.G and not np.array_equal(cur.g_rhs, d.g_rhs):
            from ..model.guarantees import guarantee_bounds, shortfall_upper

            g = np.flatnonzero(cur.g_rhs != d.g_rhs)
            lo, hi = guarantee_bounds(d)
            self._row_bounds(RB["guarantee"].index(g), lo[g], hi[g])
            self._col_bounds(V["guarantee_shortfall"].index(g), np.zeros(g.size), shortfall_upper(d)[g])
        # chain presence (C15) counts activity in shares of the segment's: its coefficients follow it
        if not np.array_equal(cur.activity, d.activity) and RB["chain_present_link"].size:
            from ..model.guarantees import chain_rows, presence_per_unit

            gc, changed = chain_rows(d), np.flatnonzero(cur.activity != d.activity)
            i, s, r = np.meshgrid(np.arange(len(gc)), changed, np.arange(d.R), indexing="ij")
            counts = d.g_kinds[gc[i], s] & d.g_target[gc[i], r]
            self._coeffs(RB["chain_present_link"].index(i[counts], d.seg_chain[s[counts]]),
                         V["activity"].index(s[counts], r[counts]), -presence_per_unit(d.activity)[s[counts]])
        # parks: what a park may hold of a segment is capped by the segment's activity
        if d.N and not np.array_equal(cur.activity, d.activity):
            n, s = np.meshgrid(np.arange(d.N), np.arange(d.S), indexing="ij")
            upper = np.minimum(d.activity[None, :], d.park_capacity[:, None]) * d.park_allowed
            self._col_bounds(V["park_activity"].index(n, s).ravel(), np.zeros(n.size), upper.ravel())
        # change budgets (T5): limits of sites, and the moved-activity limit (it counts what a
        # shrinking segment must remove anyway, so it follows activity too)
        if d.brownfield is not None:
            from ..model.transitions import budget_rhs

            for name, rhs in budget_rhs(d).items():
                i = np.flatnonzero(self.row_upper[RB[name].slice] != rhs)
                if i.size:
                    self._row_bounds(RB[name].index(i), np.full(i.size, -np.inf), rhs[i])
        self.d = d
        self._A_changed = False  # the returned model shares self.A; the next change copies it
        return replace(cm, data=d, cost=self.cost, terms=self.terms, A=self.A,
                       col_lower=self.col_lower.copy(), col_upper=self.col_upper.copy(),
                       row_lower=self.row_lower.copy(), row_upper=self.row_upper.copy())

    def _patch_links(self, cur: ModelData, d: ModelData) -> None:
        V, RB, R = self.base.var_blocks, self.base.row_blocks, d.R
        vol_old, vol_new = cur.link_total_volume, d.link_total_volume
        links = np.flatnonzero(vol_old != vol_new)
        if links.size:
            l, a, b = np.meshgrid(links, np.arange(R), np.arange(R), indexing="ij")
            ok = d.allowed[d.link_up[l], a] & d.allowed[d.link_down[l], b]
            self._col_bounds(V["flow"].index(l, a, b), np.zeros(l.size), np.where(ok, vol_new[l], 0.0).ravel())
            if "flow_link_up" in RB:
                self._coeffs(RB["flow_link_up"].index(l, a, b), V["place"].index(d.link_up[l], a), -vol_new[l])
                self._coeffs(RB["flow_link_down"].index(l, a, b), V["place"].index(d.link_down[l], b), -vol_new[l])
        links = np.flatnonzero(cur.link_volume != d.link_volume)
        if links.size:
            l, a = np.meshgrid(links, np.arange(R), indexing="ij")
            self._coeffs(RB["flow_out"].index(l, a), V["activity"].index(d.link_up[l], a), -d.link_volume[l])
        f_old, f_new = cur.link_demand_factor, d.link_demand_factor
        links = np.flatnonzero(f_old != f_new)
        if links.size:
            l, b = np.meshgrid(links, np.arange(R), indexing="ij")
            self._coeffs(RB["flow_in"].index(l, b), V["activity"].index(d.link_down[l], b), -f_new[l])

    # -- HiGHS calls ------------------------------------------------------------------------
    def _col_bounds(self, idx, lo, hi) -> None:
        idx = np.asarray(idx, dtype=np.int32).ravel()
        lo, hi = np.asarray(lo, float).ravel(), np.asarray(hi, float).ravel()
        self.h.changeColsBounds(idx.size, idx, lo, hi)
        self.col_lower[idx], self.col_upper[idx] = lo, hi

    def _row_bounds(self, idx, lo, hi) -> None:
        idx = np.asarray(idx, dtype=np.int32).ravel()
        lo, hi = np.asarray(lo, float).ravel(), np.asarray(hi, float).ravel()
        self.h.changeRowsBounds(idx.size, idx, lo, hi)
        self.row_lower[idx], self.row_upper[idx] = lo, hi

    def _coeffs(self, rows, cols, vals) -> None:
        rows, cols, vals = (np.asarray(x).ravel() for x in np.broadcast_arrays(rows, cols, vals))
        change = self.h.changeCoeff
        for i, j, v in zip(rows.tolist(), cols.tolist(), vals.tolist()):
            change(i, j, v)
        self.n_coeff += rows.size
        self._set_entries(rows, cols, vals)

    def _set_entries(self, rows, cols, vals) -> None:
        """Write A[rows, cols] = vals into the mirror, finding every entry at once by its
        column-major key (column * n_rows + row), which a sorted CSC matrix lists in order."""
        A = self.A
        if not self._A_changed:
            A = self.A = A.copy()  # the base model and the last returned model keep their matrix
            self._A_changed = True
        if self._keys is None:
            col_of = np.repeat(np.arange(A.shape[1], dtype=np.int64), np.diff(A.indptr))
            self._keys = col_of * A.shape[0] + A.indices
        want = cols.astype(np.int64) * A.shape[0] + rows
        k = np.minimum(np.searchsorted(self._keys, want), max(self._keys.size - 1, 0))
        found = self._keys[k] == want if self._keys.size else np.zeros(want.size, dtype=bool)
        A.data[k[found]] = vals[found]
        if not found.all():  # an entry the base model did not hold (patchable() keeps structure, so rare)
            import warnings

            import scipy.sparse as sp

            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sp.SparseEfficiencyWarning)
                A[rows[~found], cols[~found]] = vals[~found]
            A.sort_indices()
            self._keys = None  # the structure changed

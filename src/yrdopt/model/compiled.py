"""The production model: the formulation compiled into arrays for one ``passModel`` call.

``CompiledModel`` holds the costs, a CSC matrix, bounds, integrality and the map from
each named block to its index range.  It is what the HiGHS adapter solves, what sweeps
change in place, and what every analysis reads solutions from.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal

import numpy as np
import scipy.sparse as sp

from ..data import ModelData, build_model_data
from ..schema import Instance
from . import constraints as C
from . import transitions as T
from . import variables as V
from .colocation import add_colocated_quota
from .enclaves import add_enclaves
from .guarantees import add_guarantees
from .logistics_bound import add_logistics_bound
from .single_site_pairs import add_single_site_pairs
from .site_counts import add_site_count_branching
from .site_footprint import add_site_footprint
from .arrays import ArrayModel, Block
from .objective import objective_vector, term_vectors
from .packing import add_packing, raise_site_count


@dataclass(frozen=True)
class BuildOptions:
    """Formulation choices; each is documented with its measured effect in models/."""

    flow_linking: Literal["none", "disaggregated"] = "none"
    elastic: bool = False  # add quota slack and minimise it (explains infeasibility)
    # Valid bound tightening (same optimum, see tighten_bounds): per-pair flow bounds from
    # per-site activity bounds, single-site segments only where the whole activity fits,
    # site counts capped by activity / min_scale.  Off: no measurable gain (models/
    # formulation.md section 7), and in-place sweep patches do not update these bounds.
    tighten_bounds: bool = False
    # brownfield: add the transition from today's layout (section 8); the phased model builds
    # its per-period cores without it and ties the periods itself (section 9)
    transition_from_today: bool = True
    # valid packing rows over the site binaries (models/formulation.md section 11, packing.py):
    # any of "knapsack", "min_sites", "cover"; none by default (measured in benchmarks/city_scale.py)
    packing: tuple[str, ...] = ()
    # "bound": the flows replaced by a lower bound on each link's distance cost
    # (model/logistics_bound.py) - a relaxation whose optimum bounds the model's from below
    logistics: Literal["flows", "bound"] = "flows"
    # co-located quota rows (C16, colocation.py): each quota row times a segment's placement,
    # its products read off the flows; valid, same optimum, lift the city-scale root bound (models/formulation.md
    # section 11).  Off here: duals of the quota rows (prices) must not share with them
    colocated_quota: bool = False
    # integer site counts for HiGHS to branch on (site_counts.py): "count" (a column N_s = sum_r
    # place[s, r]), "count_floor" (its lower bound the fewest sites that hold the activity), "excess"
    # (excess_sites integer); valid, same optimum; measured in benchmarks/city_bound.py (section 11)
    site_count_branching: Literal["none", "count", "count_floor", "excess"] = "none"
    # pair rows for single-site segments (C17, single_site_pairs.py): McCormick lower bounds on the
    # flows of a link with a single-site end; "all" builds every one (R^2 per link), the large models
    # get only those their LP violates (single_site_pairs.separate); valid, same optimum; measured in
    # benchmarks/city_bound.py: off, the LP rises by 0.03-0.2 % at city scale and HiGHS's bound not at all (section 11)
    single_site_pairs: Literal["none", "all"] = "none"


@dataclass
class CompiledModel:
    data: ModelData
    options: BuildOptions
    cost: np.ndarray
    terms: dict[str, np.ndarray]
    A: sp.csc_matrix
    col_lower: np.ndarray
    col_upper: np.ndarray
    integrality: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    var_blocks: dict[str, Block]
    row_blocks: dict[str, Block]
    offset: float = 0.0
    extra: dict = field(default_factory=dict)

    @property
    def n_cols(self) -> int:
        return self.A.shape[1]

    @property
    def n_rows(self) -> int:
        return self.A.shape[0]

    def var(self, name: str) -> Block:
        return self.var_blocks[name]

    def row(self, name: str) -> Block:
        return self.row_blocks[name]

    def components(self, x: np.ndarray) -> dict[str, float]:
        """Weighted value of every objective term at the column vector x."""
        w = self.data.weights
        return {k: float(w.get(k, 1.0) * (v @ x)) for k, v in self.terms.items() if k not in ELASTIC_TERMS}

    def raw_components(self, x: np.ndarray) -> dict[str, float]:
        raw = {k: float(v @ x) for k, v in self.terms.items()}
        # excess_sites is free above max(0, sites - tolerance) when its weight is 0: count from placements
        sites = (self.var("place").take(x) > 0.5).sum(axis=1)
        raw["duplication"] = float(np.maximum(sites - self.data.dup_tolerance, 0.0).sum())
        if self.data.brownfield is not None:  # closed/removed float when their weight is 0
            raw["change"] = T.change_cost(self.data, self.var("place").take(x) > 0.5, self.var("activity").take(x))
        return raw

    def refresh_cost(self) -> None:
        """Recompute the objective vector after ``data.weights`` or a term vector changed."""
        self.cost = objective_vector(self.data, self.terms)


ELASTIC_TERMS = ("quota_slack", "budget_slack")  # elastic mode only: not objective terms of a layout


def build(source: Instance | ModelData | str | dict | None = None, options: BuildOptions | None = None) -> CompiledModel:
    """Compile an instance into arrays (no per-element Python loops).  ``source`` may also be
    what :func:`yrdopt.load_instance` reads (None: the embedded default instance)."""
    if not isinstance(source, (Instance, ModelData)):
        from ..io import load_instance

        source = load_instance(source)
    options = options or BuildOptions()
    d = source if isinstance(source, ModelData) else build_model_data(source)
    m = ArrayModel()
    # elastic mode lets quotas grow, so the activity bounds (a big-M derived from the
    # quotas) must not be: they would cap a segment at its region's current quota
    bounds_d = replace(d, quota=np.full_like(d.quota, np.inf)) if options.elastic else d
    place = V.add_placement(m, d)
    activity = V.add_activity(m, bounds_d)
    flow = V.add_flow(m, d) if options.logistics == "flows" else None
    expand = V.add_expansion(m, d)
    excess = V.add_excess_sites(m, d)
    slack = V.add_quota_slack(m, d) if options.elastic else None

    C.add_demand(m, d, activity)
    C.add_site_capacity(m, bounds_d, place, activity)
    C.add_min_scale(m, d, place, activity)
    C.add_site_count(m, d, place)
    C.add_duplication(m, d, place, excess)
    quota = C.add_quota(m, d, activity, expand, slack)
    add_site_footprint(m, d, place, quota)
    park_open, park_activity = add_enclaves(m, d, activity, quota)
    if flow is None:
        add_logistics_bound(m, d, activity)
    else:
        C.add_flow_balance(m, d, activity, flow)
        if options.flow_linking == "disaggregated":
            C.add_flow_linking(m, d, place, flow)
    add_guarantees(m, d, place, activity, park_activity)
    if d.brownfield is not None and options.transition_from_today:
        T.add_transition(m, d, place, activity, elastic=options.elastic)
    packing = () if options.elastic else tuple(options.packing)  # elastic quotas grow: no packing
    add_packing(m, d, packing, place, expand, park_open)
    if options.colocated_quota and not options.elastic and flow is not None:  # last: every C6 term is in
        add_colocated_quota(m, d, place, activity, flow, quota)
    if options.single_site_pairs == "all" and not options.elastic and flow is not None:  # U: the real quotas'
        add_single_site_pairs(m, d, place, activity, flow)
    if not options.elastic:  # last column block: the other blocks' positions do not move
        add_site_count_branching(m, d, options.site_count_branching, place, excess)

    col_lower, col_upper, integrality, row_lower, row_upper = m.vectors()
    if "min_sites" in packing:
        raise_site_count(d, m.row_blocks, row_lower, row_upper)
    if options.tighten_bounds and not options.elastic and flow is not None:
        tighten_bounds(d, m.var_blocks, m.row_blocks, col_upper, row_lower, row_upper)
    terms = term_vectors(d, m.n_cols, m.var_blocks)
    return CompiledModel(
        data=d,
        options=options,
        cost=objective_vector(d, terms),
        terms=terms,
        A=m.matrix(),
        col_lower=col_lower,
        col_upper=col_upper,
        integrality=integrality,
        row_lower=row_lower,
        row_upper=row_upper,
        var_blocks=m.var_blocks,
        row_blocks=m.row_blocks,
    )


def tighten_bounds(d: ModelData, var_blocks: dict[str, Block], row_blocks: dict[str, Block],
                   col_upper: np.ndarray, row_lower: np.ndarray, row_upper: np.ndarray) -> None:
    """Tighten bounds in place, never relaxing one; every change is implied by the constraints, so
    the optimum (or infeasibility) is unchanged (valid for the Pyomo twin without it).

    * flow[l, r, q] <= min(V[l], volume[l] * U[up, r], inflow[l] * U[down, q]): what region r
      can ship and region q can take, from (C2) + (C7)/(C8), instead of the link's whole volume;
    * place[s, r] = 0 for a single-site segment where U[s, r] < A[s]: its one site must hold
      all of it (C1, C2);
    * sum_r place[s, r] <= floor(A[s] / min_scale[s]): every open site carries min_scale (C1, C3).
    """
    U = d.activity_upper()
    flow = var_blocks["flow"]
    ship = d.link_volume[:, None] * U[d.link_up]  # (L, R)
    take = d.link_demand_factor[:, None] * U[d.link_down]  # (L, R)
    bound = np.minimum(ship[:, :, None], take[:, None, :])
    col_upper[flow.slice] = np.minimum(col_upper[flow.slice], bound.ravel())
    place = var_blocks["place"]
    too_small = d.single_site[:, None] & (U < d.activity[:, None] * (1 - 1e-9)) & ~d.fixed
    pu = col_upper[place.slice].reshape(place.shape)
    pu[too_small] = 0.0
    col_upper[place.slice] = pu.ravel()
    with np.errstate(divide="ignore"):
        min_scale = d.site_min_scale().min(axis=1)  # an existing site may be smaller than min_scale
        cap = np.where(min_scale > 0, np.floor(d.activity / np.where(min_scale > 0, min_scale, 1.0) + 1e-9), np.inf)
    # never relaxed: a cap below the row's lower bound (an instance infeasible as it is) leaves the row as
    # it is (before, the bound was raised to min_sites, and a single-site segment with min_sites 2 got 2 sites)
    sc = row_blocks["site_count"]
    upper = row_upper[sc.slice]
    row_upper[sc.slice] = np.where(cap >= row_lower[sc.slice], np.minimum(upper, cap), upper)

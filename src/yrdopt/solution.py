"""Solutions as tables: a layout a planner can read and a script can load.

A solution directory holds ``layout.csv``, ``flows.csv``, ``expansions.csv``,
``parks.csv`` and ``park_activity.csv`` (enclave parks opened and what they host),
``benefits.csv`` (value hosted and credited per province) and ``summary.json``;
:func:`write_solution` writes each atomically.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .checker import CheckReport
from .io import atomic_write_text, dump_instance
from .model.compiled import CompiledModel
from .schema import Instance

INSTANCE_FILE = "instance.json"
LAYOUT_COLUMNS = ["chain", "segment", "kind", "region", "sited", "activity"]
FLOW_COLUMNS = ["chain", "from_segment", "to_segment", "from_region", "to_region", "volume", "distance_h", "cost"]
PARK_COLUMNS = ["park", "host", "partner", "opened", "fixed_cost", "host_cost", "partner_cost", "partner_share",
                "activity", "value", "host_value", "partner_value"]
PARK_ACTIVITY_COLUMNS = ["park", "chain", "segment", "activity", "value", "host_value", "partner_value"]


@dataclass
class Solution:
    instance: Instance
    layout: pd.DataFrame
    flows: pd.DataFrame
    expansions: pd.DataFrame
    summary: dict
    check: CheckReport | None = None
    x: np.ndarray | None = field(default=None, repr=False)
    parks: pd.DataFrame | None = None
    park_activity: pd.DataFrame | None = None
    benefits: pd.DataFrame | None = None
    transition: pd.DataFrame | None = None  # brownfield: every site kept, grown, shrunk, closed or opened

    @property
    def status(self) -> str:
        return self.summary["status"]

    @property
    def objective(self) -> float | None:
        return self.summary.get("objective")

    @property
    def components(self) -> dict[str, float]:
        return self.summary.get("components", {})

    def placements(self) -> pd.DataFrame:
        """Where each segment sits and how much of it: sited rows that host activity."""
        return self.layout[self.layout["sited"] & (self.layout["activity"] > 0)].reset_index(drop=True)

    def write(self, out_dir: str | Path) -> Path:
        return write_solution(self, out_dir)


def close_empty_sites(cm: CompiledModel, x: np.ndarray, tol: float = 1e-7, *, place: str = "place",
                      activity: str = "activity") -> np.ndarray:
    """``x`` with every site that hosts no activity closed, where closing it costs nothing.

    A site binary whose column costs nothing (fixed cost 0, duplication within tolerance)
    may be left at 1 by HiGHS where no activity is placed (presolve fixes such columns at
    either bound).  A site is where activity is placed, so such a binary is set to 0 when no
    row of the model gets further from its bounds by it (a fixed placement or a minimum
    number of sites keeps it open); the objective is unchanged.  ``place``/``activity`` name
    the blocks (one period's, ``"t.place"``, in the phased model, whose transition rows keep
    a site open when closing it would be a closure the plan did not pay for).
    """
    x = np.array(x[: cm.n_cols], dtype=float)
    pb, ab = cm.var(place), cm.var(activity)
    place, act = pb.take(x), ab.take(x)
    empty = np.flatnonzero(((place > 0.5) & (np.abs(act) <= tol)).ravel())
    if not len(empty):
        return x
    cols = np.arange(pb.slice.start, pb.slice.stop)[empty]
    A = cm.A.tocsc()
    row = A @ x
    for j in cols:
        if cm.cost[j] != 0.0 or cm.col_lower[j] > 0.0:
            continue
        lo, hi = A.indptr[j], A.indptr[j + 1]
        rows, coef = A.indices[lo:hi], A.data[lo:hi]
        new = row[rows] - coef * x[j]
        before = np.maximum(cm.row_lower[rows] - row[rows], row[rows] - cm.row_upper[rows]).clip(min=0.0)
        after = np.maximum(cm.row_lower[rows] - new, new - cm.row_upper[rows]).clip(min=0.0)
        if np.all(after <= np.maximum(before, 1e-9)):
            row[rows] = new
            x[j] = 0.0
    return x


def tables_from_x(cm: CompiledModel, x: np.ndarray, tol: float = 1e-7,
                  close_empty: bool = True) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Layout, flow and expansion tables read off a column vector of the compiled model
    (empty sites that cost nothing closed first: :func:`close_empty_sites`)."""
    d = cm.data
    if close_empty:
        x = close_empty_sites(cm, x, tol)
    place = cm.var("place").take(x) > 0.5
    act = cm.var("activity").take(x).copy()
    act[np.abs(act) < tol] = 0.0
    s_idx, r_idx = np.nonzero(place | (act > tol))
    # id lookups by fancy indexing into object arrays: no per-row Python
    seg_chain_ids = np.array([k[0] for k in d.segment_keys], dtype=object)
    seg_ids = np.array([k[1] for k in d.segment_keys], dtype=object)
    kinds = np.array(d.segment_kind, dtype=object)
    region_ids = np.array(d.region_ids, dtype=object)
    layout = pd.DataFrame({
        "chain": seg_chain_ids[s_idx],
        "segment": seg_ids[s_idx],
        "kind": kinds[s_idx],
        "region": region_ids[r_idx],
        "sited": place[s_idx, r_idx],
        "activity": act[s_idx, r_idx],
    }, columns=LAYOUT_COLUMNS)

    flow = cm.var("flow").take(x)
    l_idx, a_idx, b_idx = np.nonzero(flow > tol)
    vol = flow[l_idx, a_idx, b_idx]
    hours = d.distance[a_idx, b_idx]
    flows = pd.DataFrame({
        "chain": seg_chain_ids[d.link_up[l_idx]],
        "from_segment": seg_ids[d.link_up[l_idx]],
        "to_segment": seg_ids[d.link_down[l_idx]],
        "from_region": region_ids[a_idx],
        "to_region": region_ids[b_idx],
        "volume": vol,
        "distance_h": hours,
        "cost": d.link_intensity[l_idx] * hours * vol,
    }, columns=FLOW_COLUMNS)

    taken = cm.var("expand").take(x) > 0.5 if d.E else np.zeros(0, dtype=bool)
    expansions = pd.DataFrame({
        "region": [e.split("/")[0] for e in d.exp_ids],
        "option": [e.split("/", 1)[1] for e in d.exp_ids],
        "taken": taken,
        "fixed_cost": d.exp_cost,
    }, columns=["region", "option", "taken", "fixed_cost"])
    return layout, flows, expansions


def park_tables_from_x(cm: CompiledModel, x: np.ndarray | None, tol: float = 1e-7) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Enclave parks (one row each) and what each opened park hosts, with the value split."""
    d = cm.data
    if x is None or not d.N:
        return pd.DataFrame(columns=PARK_COLUMNS), pd.DataFrame(columns=PARK_ACTIVITY_COLUMNS)
    opened = cm.var("park_open").take(x) > 0.5
    act = cm.var("park_activity").take(x).copy()
    act[(act < tol) | ~opened[:, None]] = 0.0
    pi = d.park_partner_share
    n_idx, s_idx = np.nonzero(act > 0)
    value = act[n_idx, s_idx] * d.value_per_unit[s_idx]
    park_activity = pd.DataFrame({
        "park": np.array(d.park_ids, dtype=object)[n_idx],
        "chain": np.array([k[0] for k in d.segment_keys], dtype=object)[s_idx],
        "segment": np.array([k[1] for k in d.segment_keys], dtype=object)[s_idx],
        "activity": act[n_idx, s_idx],
        "value": value,
        "host_value": value * (1 - pi[n_idx]),
        "partner_value": value * pi[n_idx],
    }, columns=PARK_ACTIVITY_COLUMNS)
    regions = np.array(d.region_ids, dtype=object)
    pv = (act * d.value_per_unit[None, :]).sum(axis=1)
    cost = d.park_cost * opened
    inst_split = d.park_cost_partner_share
    parks = pd.DataFrame({
        "park": d.park_ids, "host": regions[d.park_host], "partner": regions[d.park_partner], "opened": opened,
        "fixed_cost": d.park_cost, "host_cost": cost * (1 - inst_split), "partner_cost": cost * inst_split,
        "partner_share": pi, "activity": act.sum(axis=1), "value": pv,
        "host_value": pv * (1 - pi), "partner_value": pv * pi,
    }, columns=PARK_COLUMNS)
    return parks, park_activity


# what a solution directory may hold: its own files and those later commands derive from it
# (``yrdopt prices/explain --out DIR``); a new solution replaces all of them at once
SOLUTION_FILES = ("layout.csv", "flows.csv", "expansions.csv", "parks.csv", "park_activity.csv", "benefits.csv",
                  "summary.json", INSTANCE_FILE, "prices.csv", "moves.csv", "transition.csv")


def out_problems(out_dir: str | Path, inputs=()) -> list:
    """Problems with ``out_dir`` as the directory of a solution, found before solving."""
    from .outdir import out_dir_problems

    return out_dir_problems(out_dir, keep=SOLUTION_FILES, inputs=inputs)


def write_solution(sol: Solution, out_dir: str | Path) -> Path:
    """Write the solution directory whole or not at all (see :mod:`yrdopt.outdir`)."""
    from .outdir import write_dir_atomically

    def fill(tmp: Path) -> None:
        atomic_write_text(tmp / "layout.csv", sol.layout.to_csv(index=False, float_format="%.10g"))
        atomic_write_text(tmp / "flows.csv", sol.flows.to_csv(index=False, float_format="%.10g"))
        atomic_write_text(tmp / "expansions.csv", sol.expansions.to_csv(index=False, float_format="%.10g"))
        for name in ("parks", "park_activity", "benefits"):
            table = getattr(sol, name)
            if table is not None:
                atomic_write_text(tmp / f"{name}.csv", table.to_csv(index=False, float_format="%.10g"))
        if sol.transition is not None:
            atomic_write_text(tmp / "transition.csv", sol.transition.to_csv(index=False, float_format="%.10g"))
        atomic_write_text(tmp / "summary.json", json.dumps(sol.summary, indent=2, ensure_ascii=False,
                                                           default=_json_default))
        # the instance travels with its layout, so check/report/compare need only the directory
        dump_instance(sol.instance, tmp / INSTANCE_FILE)

    return write_dir_atomically(out_dir, fill, keep=SOLUTION_FILES)


def _json_default(o):
    if isinstance(o, (np.floating, np.integer)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    if isinstance(o, Path):
        return str(o)
    raise TypeError(f"not JSON serialisable: {type(o)}")


def load_solution_tables(sol_dir: str | Path) -> dict[str, pd.DataFrame | dict]:
    """Read a solution directory back: layout, flows, expansions, summary."""
    p = Path(sol_dir)
    out: dict = {"layout": pd.read_csv(p / "layout.csv")}
    for name in ("flows", "expansions", "parks", "park_activity", "benefits"):
        f = p / f"{name}.csv"
        out[name] = pd.read_csv(f) if f.exists() else None
    f = p / "summary.json"
    out["summary"] = json.loads(f.read_text()) if f.exists() else {}
    return out

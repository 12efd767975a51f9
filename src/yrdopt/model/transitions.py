"""Transition from today's layout (models/formulation.md, section 12; issue 14).

Blocks added by :func:`add_transition` when ``ModelData.brownfield`` is set.  With
$e_{sr}$ (a site exists today) and $E_{sr}$ (today's activity) as data:

* (T1) closed[s, r] in [0, e[s, r]]: an existing site closes;
* (T2) removed[s, r] in [0, E[s, r]]: activity removed from an existing site;
* (T3) closed[s, r] + place[s, r] >= 1 on existing sites (``closure``);
* (T4) removed[s, r] + activity[s, r] >= E[s, r] on existing sites (``shrink``);
* (T5) change budgets, whole area and per province (``change_opened``, ``change_closed``,
  ``change_moved``).

Both new variables are continuous and pushed to their least value by their costs or the
budget rows they appear in (<= rows), so at an optimum closed = e (1 - place) and
removed = max(0, E - activity); reports recompute them from placements and activity
(:func:`change_cost`) so a zero weight cannot leave them floating.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
# what became of a site (kept, grown, shrunk, closed, opened): the rule every reader shares
from ..site_change import site_status, site_statuses  # noqa: F401
from .arrays import ArrayModel, Block
from .existing_sites import forced_removal


def add_transition(m: ArrayModel, d: ModelData, place: Block, activity: Block, elastic: bool = False) -> dict[str, Block]:
    """(T1)-(T5) for a single-period brownfield instance (``elastic``: budgets may grow, T6)."""
    bf = d.brownfield
    assert bf is not None
    closed = m.add_variables("closed", (d.S, d.R), 0.0, bf.existing.astype(float))
    removed = m.add_variables("removed", (d.S, d.R), 0.0, bf.existing_activity)
    es, er = np.nonzero(bf.existing)
    n = len(es)
    # (T3) closed + place >= 1 where a site exists
    rows = m.add_rows("closure", (n,), 1.0, np.inf)
    m.add_terms(rows.index(np.arange(n)), closed.index(es, er), 1.0)
    m.add_terms(rows.index(np.arange(n)), place.index(es, er), 1.0)
    # (T4) removed + activity >= E where a site exists
    rows = m.add_rows("shrink", (n,), bf.existing_activity[es, er], np.inf)
    m.add_terms(rows.index(np.arange(n)), removed.index(es, er), 1.0)
    m.add_terms(rows.index(np.arange(n)), activity.index(es, er), 1.0)
    add_change_budget(m, d, place, closed, removed, elastic)
    return {"closed": closed, "removed": removed}


def budget_scopes(d: ModelData) -> tuple[np.ndarray, list[str]]:
    """(1 + P, R) booleans: the regions each budget scope covers (the area, then each province)."""
    scope = np.vstack([np.ones((1, d.R), dtype=bool),
                       d.region_province[None, :] == np.arange(d.P)[:, None]])
    return scope, ["area", *d.province_ids]


BUDGETS = ("change_opened", "change_closed", "change_moved")  # row blocks of (T5), in this order


def add_change_budget(m: ArrayModel, d: ModelData, place: Block, closed: Block, removed: Block,
                      elastic: bool = False) -> dict[str, Block]:
    """(T5) per scope g (the area, or a province) with a finite limit:

    sum_{r in g, not existing} place[s, r] <= max_opened[g]
    sum_{r in g} closed[s, r] <= max_closed[g]
    sum_{r in g} removed[s, r] <= max_moved_share[g] * sum_{r in g} E[s, r] + forced
    where forced = sum_s max(0, sum_r E[s, r] - A[s]) is what a shrinking segment must remove.

    (T6, ``elastic`` only) each row gains ``- <name>_slack[i]``, slack >= 0: how much the budget
    must grow for a layout to exist (:mod:`yrdopt.analysis.diagnose`).
    """
    bf = d.brownfield
    scope, _ = budget_scopes(d)
    out = {}
    rhs = budget_rhs(d)
    specs = (("change_opened", place, ~bf.existing), ("change_closed", closed, bf.existing),
             ("change_moved", removed, bf.existing))
    for name, var, where in specs:
        groups = budget_groups(d, name)
        rows = m.add_rows(name, (len(groups),), -np.inf, rhs[name])
        for i, g in enumerate(groups):
            s, r = np.nonzero(where & scope[g][None, :])
            m.add_terms(rows.index(np.full(len(s), i)), var.index(s, r), 1.0)
        if elastic:
            slack = m.add_variables(f"{name}_slack", (len(groups),), 0.0, np.inf)
            m.add_terms(rows.index(np.arange(len(groups))), slack.index(np.arange(len(groups))), -1.0)
        out[name] = rows
    return out


def budget_rhs(d: ModelData) -> dict[str, np.ndarray]:
    """Right-hand side of each (T5) row, per budget block (its rows: :func:`budget_groups`)."""
    bf = d.brownfield
    scope, _ = budget_scopes(d)
    forced = forced_removal(d.activity, bf.existing_activity)
    moved = np.array([bf.max_moved_share[g] * bf.existing_activity[:, scope[g]].sum() + forced
                      for g in budget_groups(d, "change_moved")], dtype=float)
    return {"change_opened": bf.max_opened[budget_groups(d, "change_opened")].astype(float),
            "change_closed": bf.max_closed[budget_groups(d, "change_closed")].astype(float),
            "change_moved": moved}


def budget_groups(d: ModelData, name: str) -> np.ndarray:
    """The scopes (0 = the area, 1 + p = province p) of the rows of budget block ``name``."""
    bf = d.brownfield
    limit = {"change_opened": bf.max_opened, "change_closed": bf.max_closed, "change_moved": bf.max_moved_share}[name]
    return np.flatnonzero(np.isfinite(limit))


def budget_slack_term(n: int, blocks: dict[str, Block]) -> np.ndarray | None:
    """(T6) sum of the budget slacks (elastic mode), or None without budget slack columns."""
    names = [f"{b}_slack" for b in BUDGETS if f"{b}_slack" in blocks]
    if not names:
        return None
    vec = np.zeros(n)
    for b in names:
        vec[blocks[b].slice] = 1.0
    return vec


def change_term(d: ModelData, n: int, blocks: dict[str, Block]) -> np.ndarray:
    """(O7) change = sum_{s,r} close_cost[s] closed[s, r] + shrink_cost[s] removed[s, r]."""
    vec = np.zeros(n)
    if "closed" in blocks:
        bf = d.brownfield
        vec[blocks["closed"].slice] = np.repeat(bf.close_cost, d.R)
        vec[blocks["removed"].slice] = np.repeat(bf.shrink_cost, d.R)
    return vec


def change_cost(d: ModelData, place: np.ndarray, activity: np.ndarray) -> float:
    """The change term recomputed from placements and activity (no variable can float)."""
    bf = d.brownfield
    if bf is None:
        return 0.0
    closed = bf.existing & ~place
    removed = np.where(bf.existing, np.maximum(bf.existing_activity - activity, 0.0), 0.0)
    return float((bf.close_cost[:, None] * closed).sum() + (bf.shrink_cost[:, None] * removed).sum())


TRANSITION_COLUMNS = ["chain", "segment", "region", "status", "activity_before", "activity_after",
                      "opening_cost", "closing_cost", "shrink_cost", "cost"]


def transition_table(d: ModelData, place: np.ndarray, activity: np.ndarray, *, prev_place: np.ndarray | None = None,
                     prev_activity: np.ndarray | None = None, opening_cost: np.ndarray | None = None):
    """transition.csv from the model's arrays: every site that exists before or after the
    change (kept, grown, shrunk, closed, opened), activity before and after, and its cost
    (opening = the fixed cost; closing and shrinking = the change term).

    Before = today's layout (``d.brownfield``), or ``prev_place``/``prev_activity`` (the previous
    period).  ``opening_cost`` (S, R) defaults to the model's fixed cost (0 on today's sites).
    """
    import pandas as pd

    bf = d.brownfield
    if prev_place is None:
        prev_place = bf.existing if bf is not None else np.zeros_like(place)
        prev_activity = bf.existing_activity if bf is not None else np.zeros_like(activity)
    opening_cost = d.fixed_cost if opening_cost is None else opening_cost
    after = np.where(place, activity, 0.0)
    after[np.abs(after) < 1e-7] = 0.0  # as the layout writes them (solution.tables_from_x): no -0 or 1e-12
    s, r = np.nonzero(prev_place | place)
    b, a = prev_activity[s, r], after[s, r]
    was, is_open = prev_place[s, r], place[s, r]
    status = site_statuses(was, is_open, b, a)
    close = bf.close_cost[s] if bf is not None else np.zeros(len(s))
    shrink = bf.shrink_cost[s] if bf is not None else np.zeros(len(s))
    opening = np.where(was, 0.0, opening_cost[s, r])
    closing = np.where(was & ~is_open, close, 0.0)
    shrinking = np.where(was, shrink * np.maximum(b - a, 0.0), 0.0)
    df = pd.DataFrame({
        "chain": [d.segment_keys[i][0] for i in s], "segment": [d.segment_keys[i][1] for i in s],
        "region": [d.region_ids[j] for j in r], "status": status, "activity_before": b, "activity_after": a,
        "opening_cost": opening, "closing_cost": closing, "shrink_cost": shrinking,
        "cost": opening + closing + shrinking}, columns=TRANSITION_COLUMNS)
    return df.sort_values(["chain", "segment", "region"], kind="stable").reset_index(drop=True)

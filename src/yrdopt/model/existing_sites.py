"""Today's industry as arrays (issue 14): existing sites, change costs, change budgets.

``BrownfieldData`` is what :func:`yrdopt.data.build_model_data` attaches to ``ModelData``
when an instance has a ``brownfield`` part.  It changes the core model in three places,
all stated in models/formulation.md section 12:

* an existing site's opening cost is sunk: ``ModelData.fixed_cost`` is 0 there;
* a protected site may not close: it joins ``ModelData.fixed`` (place = 1);
* an existing site below the segment's minimum scale may keep running at its size or more
  (``ModelData.site_min_scale``), and never above its own ``capacity``.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import numpy as np


@dataclass(frozen=True)
class BrownfieldData:
    existing: np.ndarray  # (S, R) bool: a site exists today
    existing_activity: np.ndarray  # (S, R) today's activity, 0 where no site
    capacity: np.ndarray  # (S, R) most activity of an existing site, inf where none given
    own_min_scale: np.ndarray  # (S, R) an existing site's own minimum scale, nan where none given
    protected: np.ndarray  # (S, R) bool: may not close
    close_cost: np.ndarray  # (S,) per existing site closed
    shrink_cost: np.ndarray  # (S,) per unit of activity removed from an existing site
    # budgets: inf where no limit; index 0 = the whole area, 1 + p = province p
    max_opened: np.ndarray  # (1 + P,)
    max_closed: np.ndarray  # (1 + P,)
    max_moved_share: np.ndarray  # (1 + P,)
    min_kept_share: float = 0.0  # an open existing site runs at least this share of today's activity

    @property
    def n_existing(self) -> int:
        return int(self.existing.sum())

    def for_segments(self, segs: np.ndarray) -> "BrownfieldData":
        """Today's sites of segments ``segs`` only (a chain-group sub-model, :func:`yrdopt.lns.sub_data`);
        budgets unchanged: the group may use all of them (a start that breaks them with the
        other groups' changes is refused by HiGHS, never written)."""
        return replace(self, existing=self.existing[segs], existing_activity=self.existing_activity[segs],
                       capacity=self.capacity[segs], own_min_scale=self.own_min_scale[segs],
                       protected=self.protected[segs], close_cost=self.close_cost[segs],
                       shrink_cost=self.shrink_cost[segs])


def brownfield_data(inst, region_ids: list[str], segment_keys: list[tuple[str, str]], kinds: list[str],
                    province_ids: list[str]) -> BrownfieldData | None:
    """Arrays of ``inst.brownfield`` in the index order of ``ModelData`` (None if greenfield)."""
    bf = inst.brownfield
    if bf is None:
        return None
    rpos = {r: k for k, r in enumerate(region_ids)}
    spos = {k: i for i, k in enumerate(segment_keys)}
    ppos = {p: i for i, p in enumerate(province_ids)}
    S, R, P = len(segment_keys), len(region_ids), len(province_ids)
    existing = np.zeros((S, R), dtype=bool)
    act = np.zeros((S, R))
    cap = np.full((S, R), np.inf)
    own = np.full((S, R), np.nan)
    for e in bf.existing:
        s, r = spos[(e.chain, e.segment)], rpos[e.region]
        existing[s, r] = True
        act[s, r] = e.activity
        if e.capacity is not None:
            cap[s, r] = e.capacity
        if e.min_scale is not None:
            own[s, r] = e.min_scale
    protected = np.zeros((S, R), dtype=bool)
    for p in bf.protected:
        protected[spos[(p.chain, p.segment)], rpos[p.region]] = True
    c = bf.costs
    close = np.array([_kind_cost(c, k, "close_per_site") for k in kinds], dtype=float)
    shrink = np.array([_kind_cost(c, k, "shrink_per_unit") for k in kinds], dtype=float)

    def limits(field: str) -> np.ndarray:
        out = np.full(1 + P, np.inf)
        v = getattr(bf.budget, field)
        if v is not None:
            out[0] = v
        for p, lim in bf.budget.by_province.items():
            v = getattr(lim, field)
            if v is not None:
                out[1 + ppos[p]] = v
        return out

    return BrownfieldData(existing=existing, existing_activity=act, capacity=cap, own_min_scale=own, protected=protected,
                          close_cost=close, shrink_cost=shrink, max_opened=limits("max_opened"),
                          max_closed=limits("max_closed"), max_moved_share=limits("max_moved_share"),
                          min_kept_share=float(bf.min_kept_share))


def _kind_cost(costs, kind: str, field: str) -> float:
    over = costs.by_kind.get(kind)
    v = getattr(over, field) if over is not None else None
    return float(getattr(costs, field) if v is None else v)


def forced_removal(activity: np.ndarray, existing_activity: np.ndarray) -> float:
    """Activity that must leave existing sites because a segment shrinks below today's total:
    sum_s max(0, sum_r E[s, r] - A[s]).  The moved-activity budget allows it on top."""
    return float(np.maximum(existing_activity.sum(axis=1) - activity, 0.0).sum())

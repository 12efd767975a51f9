"""The transition of a phased plan (issue 14) for the report and `yrdopt map --period`.

One map per period (the placements that moved since the period before; today's sites before
the first), the table of changes per period (kept / grown / shrunk / closed / opened, with
their costs, from ``transition.csv``), and what foresight saved against the myopic plan.
Every period's instance is rebuilt from the written tables alone
(:func:`yrdopt.phasing.written_periods`), as the checker does.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from ..analysis.baseline import todays_layout
from ..phasing import WrittenPeriod, written_periods
from ..schema import Instance
from ..site_change import STATUSES  # noqa: F401  (what became of a site: one rule)
from . import maps

CHANGE_COLUMNS = ["period", "chain", "segment", "region", "status", "activity_before", "activity_after",
                  "opening_cost", "closing_cost", "shrink_cost", "cost"]


def period_views(inst: Instance, tables: dict) -> list[WrittenPeriod]:
    """Every period of a written plan (``tables`` as :func:`yrdopt.solution.load_solution_tables`)."""
    return list(written_periods(inst, tables["layout"], tables.get("flows"), tables.get("expansions"),
                                tables.get("parks"), tables.get("park_activity")))


def _before(inst: Instance, p: WrittenPeriod) -> pd.DataFrame:
    return todays_layout(inst) if p.before is None else p.before


def period_change_maps(inst: Instance, views: list[WrittenPeriod], **kw) -> list[Figure]:
    """One map per period: what moved into it from the period before (today before the first)."""
    out = []
    for p in views:
        prev = "today" if p.t == 0 else str(views[p.t - 1].year)
        out.append(maps.comparison_map(inst, _before(inst, p), p.layout, names=(prev, str(p.year)), **kw))
    return out


def all_periods_map(inst: Instance, views: list[WrittenPeriod], **kw) -> Figure:
    """Every period's changes side by side (one panel per period)."""
    pairs = [(_before(inst, p), p.layout, ("today" if p.t == 0 else str(views[p.t - 1].year), str(p.year)))
             for p in views]
    return maps.comparison_maps(inst, pairs, ncols=min(len(pairs), 3), **kw)


def period_summary(transition: pd.DataFrame, years: list[int]) -> pd.DataFrame:
    """Per period: sites kept, grown, shrunk, closed, opened; activity moved; costs of change."""
    from ..api import transition_summary

    rows = []
    for y in years:
        tr = transition_summary(transition[transition["period"].astype(int) == y])
        rows.append({"period": y, **{k: tr[k] for k in STATUSES}, "moved share": tr["moved_share"],
                     "opening cost (fixed cost)": tr["opening_cost"], "closing cost": tr["closing_cost"],
                     "shrink cost": tr["shrink_cost"],
                     # what the objective's term `change` counts (opening is its fixed cost, once)
                     "cost of change": tr["closing_cost"] + tr["shrink_cost"]})
    return pd.DataFrame(rows)


def change_rows(transition: pd.DataFrame) -> pd.DataFrame:
    """Every site that changed (all but ``kept``), period by period, costliest first."""
    ch = transition[transition["status"] != "kept"]
    ch = ch.sort_values(["period", "cost"], ascending=[True, False], kind="stable")
    return ch[[c for c in CHANGE_COLUMNS if c in ch.columns]].reset_index(drop=True)


def foresight_text(summary: dict) -> str | None:
    """One sentence on the myopic plan and what foresight saves, from summary.json; the objectives
    as the objective table prints them (:func:`yrdopt.analysis.costs.money`: they subtract as printed)."""
    from ..analysis.costs import money

    my = summary.get("myopic")
    if not isinstance(my, dict) or my.get("objective") is None:
        return None
    from ..solver import STATUS_TEXT

    # each in the words of yrdopt solve's status (before: the bare word, "time_limit_with_incumbent")
    unproven = [STATUS_TEXT.get(s, str(s)) for s in my.get("per_period_status") or [] if s != "optimal"]
    note = (f" (myopic periods not all proven optimal: {'; '.join(unproven)})" if unproven else "")
    return (f"Myopic plan (each period solved alone from the last, no foresight): {money(my['objective'])}; "
            f"the joint plan: {money(summary['objective'])}; foresight saves {money(my['foresight_saves'])}{note}.")


def period_layout_map(inst: Instance, views: list[WrittenPeriod], year: int, **kw) -> Figure:
    """The layout of one period as small multiples (as `yrdopt map` draws a single layout)."""
    p = next(v for v in views if v.year == year)
    fig = maps.layout_map(p.instance, p.layout, p.flows, **kw)
    fig.suptitle(f"{year}", fontsize=13, y=0.995)
    return fig

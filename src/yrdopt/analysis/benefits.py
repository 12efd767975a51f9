"""Benefit sharing per province: what each province hosts and is credited.

``benefit_table`` reads only the instance and written tables (layout, park activity), so it
works for an optimized layout and for today's baseline alike.  Credited value moves each
enclave park's value from its host to its partner by the park's split
(:func:`yrdopt.checker.credited_values`).

A segment is *high-value* when its value per unit is above the area's average value per
unit of activity (total value / total activity): with the shipped values, R&D, standards
and testing are, manufacturing and delivery are not.
"""

from __future__ import annotations

import pandas as pd

from ..checker import chains_present, credited_values
from ..schema import Instance

COLUMNS = ["province", "hosted_value", "credited_value", "credited_share", "high_value_share",
           "chains_present", "high_value_chains", "sites"]


def high_value_segments(inst: Instance) -> set[tuple[str, str]]:
    segs = [(c.id, s) for c in inst.chains for s in c.segments]
    total_value = sum(s.value_per_unit * s.activity for _, s in segs)
    total_activity = sum(s.activity for _, s in segs)
    mean = total_value / total_activity
    return {(c, s.id) for c, s in segs if s.value_per_unit > mean * (1 + 1e-9)}


def benefit_table(inst: Instance, layout: pd.DataFrame, park_activity: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per province (in the instance's order); ``credited_share`` is the province's credited
    value over the layout's total value (credited and hosted totals are equal: a park moves value)."""
    act: dict[tuple[str, str, str], float] = {}
    sited: set[tuple[str, str, str]] = set()
    for row in layout.itertuples(index=False):
        key = (str(row.chain), str(row.segment), str(row.region))
        a = float(row.activity)
        act[key] = act.get(key, 0.0) + a
        on = getattr(row, "sited", a > 0)
        if str(on).strip().lower() in ("1", "true", "1.0", "yes") and a >= 0:
            sited.add(key)
    park_act: dict[tuple[str, str, str], float] = {}
    if park_activity is not None:
        for row in park_activity.itertuples(index=False):
            k = (str(row.park), str(row.chain), str(row.segment))
            park_act[k] = park_act.get(k, 0.0) + float(row.activity)
    vals = credited_values(inst, act, park_act)
    high = high_value_segments(inst)
    vals["high"] = [(c, s) in high for c, s in zip(vals["chain"], vals["segment"])]
    # a share of this layout's own value: today's sites against today's total, not against the
    # (grown) activity of the instance the layout is shown with
    total = float(vals["hosted"].sum())
    province_of = {r.id: r.province for r in inst.regions}
    rows = []
    for p in inst.provinces:
        mine = vals[vals["province"] == p]
        hosted = float(mine["hosted"].sum())
        credited = float(mine["credited"].sum())
        present = {(c, s) for (c, s, r) in sited if province_of.get(r) == p}
        mine_regions = {r for r, q in province_of.items() if q == p}
        # chains as a min_chains guarantee counts them: where they run, never for an empty site
        running = chains_present(inst, act, mine_regions)
        rows.append({
            "province": p,
            "hosted_value": hosted,
            "credited_value": credited,
            "credited_share": credited / total if total else 0.0,
            "high_value_share": float(mine.loc[mine["high"], "hosted"].sum()) / hosted if hosted > 0 else 0.0,
            "chains_present": len(running),
            "high_value_chains": len({c for c, s in present if (c, s) in high and c in running}),
            "sites": len(present),
        })
    return pd.DataFrame(rows, columns=COLUMNS)


def period_benefit_table(inst: Instance, layout: pd.DataFrame, flows=None, expansions=None, parks=None,
                         park_activity=None) -> pd.DataFrame:
    """The benefit table of every period of a plan (tables with a ``period`` column), each
    against that period's instance (its chains grown), with a ``period`` column first."""
    from ..phasing import written_periods

    frames = [benefit_table(p.instance, p.layout, p.park_activity).assign(period=p.year)
              for p in written_periods(inst, layout, flows, expansions, parks, park_activity)]
    return pd.concat(frames, ignore_index=True)[["period", *COLUMNS]]


def todays_benefits(inst: Instance) -> pd.DataFrame | None:
    """The benefit table of today's sites (the instance's brownfield part), or None without them."""
    if inst.brownfield is None or not inst.brownfield.existing:
        return None
    from .baseline import todays_layout

    return benefit_table(inst, todays_layout(inst))


def benefit_warnings(table: pd.DataFrame) -> list[str]:
    """Provinces a planner cannot defend: nothing at all, or only low-value segments."""
    if "period" in table.columns:  # a plan: each period's, named by its year
        return [f"{y}: {w}" for y, rows in table.groupby("period", sort=True)
                for w in benefit_warnings(rows.drop(columns=["period"]))]
    out = []
    any_high = bool((table["high_value_chains"] > 0).any())  # all values per unit equal: no high-value segment
    for row in table.itertuples(index=False):
        if row.credited_value <= 1e-9 and row.sites == 0:
            out.append(f"{row.province} gets nothing: no site and no credited value")
        elif any_high and row.sites and row.high_value_chains == 0:
            out.append(f"{row.province} hosts only low-value segments (no R&D, standards or other segment above the "
                       f"area's average value per unit)")
    return out


def baseline_benefits(inst: Instance, baseline_path) -> pd.DataFrame | None:
    """The benefit table of today's layout (a baseline CSV), or None if it cannot be read."""
    from ..checker import read_layout_dir

    try:
        layout, _, _ = read_layout_dir(baseline_path)
    except Exception:  # a baseline is an extra: never let it stop a solve
        return None
    return benefit_table(inst, layout)


def benefit_rich_table(table: pd.DataFrame, baseline: pd.DataFrame | None = None):
    """The per-province table the CLI prints, today's credited share beside when known; of a
    plan (a ``period`` column), its last period's."""
    from rich.table import Table

    when = ""
    if "period" in table.columns:
        year = int(table["period"].max())
        table, when = table[table["period"] == year].drop(columns=["period"]), f" in {year} (benefits.csv has every period)"
    t = Table(title=f"Benefit sharing per province{when}: value hosted, credited after enclave sharing, its share "
                    "(today's beside), share of high-value segments, chains present (with high-value segments)")
    cols = ["province", "hosted", "credited", "share"]
    cols += ["today"] if baseline is not None else []
    cols += ["high-value", "chains", "hv chains"]
    for c in cols:  # a header wraps at its spaces, never inside a word (before: "high-valu/e" at 80 columns)
        t.add_column(c, justify="left" if c == "province" else "right", overflow="fold",
                     min_width=max(len(w) for w in c.split()))
    today = dict(zip(baseline["province"], baseline["credited_share"])) if baseline is not None else {}
    for r in table.itertuples(index=False):
        cells = [str(r.province), f"{r.hosted_value:,.4g}", f"{r.credited_value:,.4g}", f"{r.credited_share:.1%}"]
        if baseline is not None:
            cells.append(f"{today.get(r.province, 0.0):.1%}")
        cells += [f"{r.high_value_share:.0%}", str(r.chains_present), str(r.high_value_chains)]
        t.add_row(*cells)
    return t

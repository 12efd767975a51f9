"""Today's layout against the optimized one: every objective term, duplication, specialization.

A baseline is a layout file (chain, segment, region, sited, activity) that places each
segment where the sources say it sits today.  It is evaluated by the independent checker
with the same objective (flows routed by the cheapest transportation plan, since a
baseline names none) and is allowed to break constraints: a baseline that exceeds a
quota or duplicates a single-site segment is reported, not rejected — that is the point
of comparing it.

The specialization indices are those of seed 002_dc2e56f958125681.txt (Krugman index),
computed on the region x chain table of the value placed (as ``compare``: seed 002 measures
industries by output value; :func:`yrdopt.analysis.specialization.value_table`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from rich.table import Table
from rich.text import Text

from ..checker import CheckReport, check_layout, read_layout_dir
from ..schema import TERMS, Instance
from .specialization import WEIGHTING, interregional_specialization, relative_specialization, value_table
from .limit_words import counted


def specialization_summary(inst: Instance, layout: pd.DataFrame, level: str = "region") -> dict:
    """Relative (per region) and inter-regional (mean and per pair) Krugman indices.

    ``level="province"`` rolls regions up to their province first (city instances).
    Regions that host nothing are left out: an empty industry structure has no shares.
    """
    lay = layout.copy()
    lay["activity"] = lay["activity"].astype(float)
    if "sited" in lay.columns:
        sited = lay["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])
        lay = lay[sited | (lay["activity"] > 0)]
    lay = lay[lay["activity"] > 0]
    if level == "province":
        prov = {r.id: r.province for r in inst.regions}
        lay = lay.assign(region=lay["region"].map(prov))
    if lay.empty:
        return {"relative": {}, "interregional_mean": 0.0, "interregional_pairs": {}, "weighting": WEIGHTING}
    table = value_table(lay, inst)
    table = table.reindex(columns=[c.id for c in inst.chains], fill_value=0.0)
    table = table[table.sum(axis=1) > 0]  # a region hosting only segments of no value has no mix
    if table.empty:
        return {"relative": {}, "interregional_mean": 0.0, "interregional_pairs": {}, "weighting": WEIGHTING}
    rel = relative_specialization(table)
    inter = interregional_specialization(table)
    ids = list(table.index)
    pairs = {f"{a}-{b}": float(inter.loc[a, b]) for i, a in enumerate(ids) for b in ids[i + 1:]}
    return {
        "relative": {k: float(v) for k, v in rel.items()},
        "relative_mean": float(rel.mean()),
        "interregional_mean": float(np.mean(list(pairs.values()))) if pairs else 0.0,
        "interregional_pairs": pairs,
        "regions_hosting": len(ids),
        "weighting": WEIGHTING,
    }


def _violations(rep: CheckReport) -> list[dict]:
    """The worst violated row of each kind, largest first (``n_violations`` counts every row): its codes
    for scripts; for people, ``place`` (``where`` in the instance's names) and ``words`` (the whole of it)."""
    return [{"constraint": fam, "where": v.where, "amount": float(v.amount), "detail": v.detail,
             "place": v.place or v.where, "words": v.words}
            for fam, v in sorted(rep.worst.items(), key=lambda kv: -kv[1].amount) if v.amount > 1e-6]


def evaluate_layout(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None = None,
                    expansions: pd.DataFrame | None = None, file: str = "layout") -> dict:
    """Objective terms, duplication and specialization of one layout (checker-evaluated)."""
    return _evaluation(inst, check_layout(inst, layout, flows, expansions, file=file), layout)


def _evaluation(inst: Instance, rep: CheckReport, layout: pd.DataFrame) -> dict:
    """The checker's verdict on a layout (or plan) and the specialization of ``layout``."""
    out = {
        "components": {k: float(rep.components.get(k, 0.0)) for k in TERMS},
        "total": float(rep.objective),
        "duplicated_segments": int(rep.duplicated_segments),
        "sites": int(rep.sites),
        # of them, sites with under 1 % of their segment (checker.TOKEN_SHARE), and the duplication without them
        "token_sites": int(rep.token_sites),
        "duplicated_segments_without_token": int(rep.duplicated_segments_without_token),
        "feasible": bool(rep.verified),
        "max_violation": float(rep.max_violation),
        "n_violations": int(rep.n_violations),
        "violations": _violations(rep),
        "specialization": specialization_summary(inst, layout),
    }
    if len({r.province for r in inst.regions}) < len(inst.regions):
        out["specialization_by_province"] = specialization_summary(inst, layout, level="province")
    return out


def todays_layout(inst: Instance) -> pd.DataFrame:
    """Today's sites (the instance's brownfield part) as a layout table.  Here, not beside the maps
    that draw it (report.periods): the comparison after a solve would import matplotlib for it, 1.5-2.4 s
    of the time after HiGHS on a loaded machine (benchmarks/phased_time_limit.py)."""
    rows = [{"chain": e.chain, "segment": e.segment, "region": e.region, "sited": True, "activity": e.activity}
            for e in (inst.brownfield.existing if inst.brownfield else [])]
    return pd.DataFrame(rows, columns=["chain", "segment", "region", "sited", "activity"])


# the site counts a comparison shows (the CLI's table, the HTML report), token sites counted apart
# (checker.TOKEN_SHARE): a guarantee or a kept site may hold a sliver, which counts as a site
SITE_COUNTS = (("duplicated_segments", "duplicated segments{when}"),
               ("duplicated_segments_without_token", "  without sites < 1 % of their segment"),
               ("sites", "sites{when}"),
               ("token_sites", "  of them < 1 % of their segment"))


# what a brownfield instance without a baseline file is compared with: its existing sites, unchanged
TODAYS_SITES = "today's sites (instance)"


def compare_with_baseline(sol, baseline_path: str | Path | None) -> dict:
    """Compare a solved layout with a baseline layout file (None: a brownfield instance's existing
    sites, :data:`TODAYS_SITES`); the dict goes to summary.json.  A phased plan is compared with
    today's layout kept through every period (:func:`compare_plan_with_baseline`; without a file,
    today's sites of the instance)."""
    inst = sol.instance
    if inst.periods is not None:
        return compare_plan_with_baseline(sol, baseline_path)
    opt = evaluate_layout(inst, sol.layout, sol.flows, sol.expansions, file="optimized layout")
    if baseline_path is None:  # a brownfield instance without a file: its existing sites, unchanged
        base = evaluate_layout(inst, todays_layout(inst), file=TODAYS_SITES)
        return _comparison(TODAYS_SITES, base, opt, against="today's sites (the instance's brownfield.existing)")
    base_layout, base_flows, base_exp = read_layout_dir(baseline_path)
    base = evaluate_layout(inst, base_layout, base_flows, base_exp, file=str(baseline_path))
    return _comparison(str(baseline_path), base, opt)


def _comparison(baseline_file: str, base: dict, opt: dict, **extra) -> dict:
    change = {k: opt["components"][k] - base["components"][k] for k in TERMS}
    change["total"] = opt["total"] - base["total"]
    return {
        "baseline_file": baseline_file,
        **extra,
        "baseline": base,
        "optimized": opt,
        "change": change,
        "change_duplicated_segments": opt["duplicated_segments"] - base["duplicated_segments"],
        "change_interregional_mean": (opt["specialization"]["interregional_mean"]
                                      - base["specialization"]["interregional_mean"]),
    }


def unchanged_plan(inst: Instance, today: pd.DataFrame) -> pd.DataFrame:
    """Today's layout kept in every period, each site grown with its chain (period column):
    what happens without a transition.  Meets every period's activity when today's does."""
    from ..phasing import period_years

    years = period_years(inst)[0]
    lay = today.copy()
    lay["activity"] = lay["activity"].astype(float)
    if "sited" not in lay.columns:
        lay["sited"] = True
    out = []
    for y, m in zip(years, inst.periods.milestones):
        grown = lay.assign(activity=lay["activity"] * lay["chain"].astype(str).map(m.growth).fillna(1.0))
        out.append(grown.assign(period=y))
    return pd.concat(out, ignore_index=True)


UNCHANGED_PLAN = "today's layout kept in every period, grown with its chains; totals discounted over the periods"


def check_today_kept(inst: Instance, today: pd.DataFrame, file: str = "today's sites, unchanged") -> CheckReport:
    """The checker's report of today's layout kept through every period of a phased instance
    (:func:`unchanged_plan`): the figure a plan's objective is compared with."""
    from ..checker import check_phased

    return check_phased(inst, unchanged_plan(inst, today), file=file)


def _evaluate_plan(inst: Instance, layout: pd.DataFrame, flows=None, expansions=None, parks=None,
                   park_activity=None, file: str = "plan", report: CheckReport | None = None) -> dict:
    """Objective terms (discounted sums), feasibility and the last period's specialization of a
    phased plan, by the independent checker (today's sites are sunk: each period pays only
    for what it opens, closes or shrinks, so only avoidable costs are counted); ``report``:
    the checker's report of this plan when the solve made one already."""
    from ..checker import check_phased

    rep = report or check_phased(inst, layout, flows, expansions, file=file, parks=parks, park_activity=park_activity)
    last = int(layout["period"].astype(int).max())
    out = _evaluation(inst, rep, layout[layout["period"].astype(int) == last].drop(columns=["period"]))
    # sites and duplicated segments of the last period, as the specialization (not summed over periods)
    counts = next((c for c in rep.by_period if c["year"] == last), None)
    if counts is not None:
        out.update({k: int(counts[k]) for k in ("sites", "duplicated_segments", "token_sites",
                                                 "duplicated_segments_without_token")}, period=last)
    return out


def compare_plan_with_baseline(sol, baseline_path: str | Path | None = None) -> dict:
    """A phased plan against today's layout (``baseline_path``, else the instance's existing
    sites) kept unchanged through every period; flows of the unchanged plan are routed by the
    cheapest transportation plan.  Discounted totals over all periods; sites, duplicated segments
    and specialization of the last period (``period``)."""
    inst = sol.instance
    if baseline_path is not None:
        today = read_layout_dir(baseline_path)[0]
    else:
        today = todays_layout(inst)
    plan = unchanged_plan(inst, today)
    base = _evaluate_plan(inst, plan, report=check_today_kept(inst, today, str(baseline_path or "today's sites, unchanged")))
    opt = _evaluate_plan(inst, sol.layout, sol.flows, sol.expansions, sol.parks, sol.park_activity,
                         file="optimized plan", report=getattr(sol, "check", None))
    return _comparison(str(baseline_path) if baseline_path is not None else "today's sites (instance), unchanged",
                       base, opt,
                       plan=UNCHANGED_PLAN)


def _fmt(v: float) -> str:
    return f"{v:,.2f}"


def baseline_table(cmp: dict, order=None, region_names: dict[str, str] | None = None) -> Table:
    """A rich table: baseline vs optimized for every term, duplication and specialization.  Each
    term is named as the objective table names it, with what it counts ("fixed cost: opening new
    sites"); ``order``: the terms in the objective table's order (summary.json's components);
    ``region_names``: region id -> name, for each region's index."""
    from ..app.wording import term_words
    from .costs import term_what

    b, o = cmp["baseline"], cmp["optimized"]
    title = (f"Optimized plan against {cmp['plan']}" if cmp.get("plan")
             else f"Optimized layout against {cmp['against']}" if cmp.get("against")
             else f"Optimized layout against today's baseline ({Path(cmp['baseline_file']).name})")
    t = Table(title=title)
    for col, just in (("measure", "left"), ("baseline", "right"), ("optimized", "right"), ("change", "right")):
        t.add_column(col, justify=just, overflow="fold")
    for k in [*(k for k in order or () if k in TERMS), *(k for k in TERMS if k not in (order or ()))]:
        t.add_row(f"{term_words(k)}: {term_what(k)}", _fmt(b["components"][k]), _fmt(o["components"][k]),
                  _fmt(cmp["change"][k]))
    t.add_row(*(Text(v, style="bold") for v in ("total", _fmt(b["total"]), _fmt(o["total"]),
                                                  _fmt(cmp["change"]["total"]))))
    when = f" in {o['period']}" if o.get("period") is not None else ""  # a phased plan: its last period
    for key, label in SITE_COUNTS:
        if b.get(key) is not None and o.get(key) is not None:
            t.add_row(label.format(when=when), str(b[key]), str(o[key]), f"{o[key] - b[key]:+d}")
    for key, label in (("specialization", "region"), ("specialization_by_province", "province")):
        if key not in b:
            continue
        bs, os_ = b[key], o[key]
        t.add_row(f"Krugman inter-{label}, mean (by {WEIGHTING} per chain){when}", f"{bs['interregional_mean']:.3f}", f"{os_['interregional_mean']:.3f}",
                  f"{os_['interregional_mean'] - bs['interregional_mean']:+.3f}")
        names = list(dict.fromkeys(list(bs["relative"]) + list(os_["relative"])))
        if len(names) <= 10:
            for r in names:
                vb, vo = bs["relative"].get(r), os_["relative"].get(r)
                t.add_row(f"  Krugman relative {(region_names or {}).get(r, r)}", "-" if vb is None else f"{vb:.3f}",
                          "-" if vo is None else f"{vo:.3f}",
                          "" if vb is None or vo is None else f"{vo - vb:+.3f}")
        else:
            t.add_row(f"Krugman relative, mean over {label}s", f"{bs['relative_mean']:.3f}", f"{os_['relative_mean']:.3f}",
                      f"{os_['relative_mean'] - bs['relative_mean']:+.3f}")
    # the scaled amount is excess / max(1, |limit|): a share of the limit over it
    feas = "yes" if b["feasible"] else (f"no ({counted(b['n_violations'], 'violation')}, largest "
                                        f"{100 * b['max_violation']:.3g} % over its limit)")
    t.add_row("passes the checker", feas, "yes" if o["feasible"] else "no", "")
    shown = b["violations"][:6]
    for v in shown:
        if v.get("words"):  # where, then what breaks it (the table keeps its columns' widths)
            t.add_row("  baseline breaks", v["place"], "", v["words"].removeprefix(f"{v['place']}: "))
        else:  # a summary written before the checker said it in words
            t.add_row(f"  baseline breaks {v['constraint']}", v["where"], "", v["detail"])
    if b["n_violations"] > len(shown):
        t.add_row(f"  ... {b['n_violations'] - len(shown)} more", "(worst of each kind listed)", "", "")
    return t

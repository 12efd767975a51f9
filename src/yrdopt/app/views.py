"""What the page shows, as JSON: the map geometry, a scenario, a comparison, an explanation.

Every number comes from the library: panels and colours from :func:`yrdopt.report.maps.layout_panels`
(the report's maps), resource use from :func:`yrdopt.report.charts.resource_use_table`, value per
province from :func:`~yrdopt.report.charts.province_value_table`, the checker's verdict re-run on the
written tables (:func:`yrdopt.checker.check_layout`), comparisons from
:func:`yrdopt.analysis.compare.compare_layouts`, "why here?" from :func:`yrdopt.analysis.explain.cost_of_moving`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd

from ..schema import Instance
from ..analysis.costs import built_words
from ..analysis.limit_words import LP_PRICE_HOLDS, NOT_PRICED, counted
from ..schema import activity_units, kind_words, segment_names
from .wording import (TIME_LIMIT_FIELD, guarantee_words, planner_words, region_names, resource_units, rule_words, term_words,
                      text_with_names, unit_words)

MAP_WIDTH = 600.0

# what the page says instead of offering an analysis the library refuses on a plan over periods
# (yrdopt.analysis.alternatives.refuse_phased, yrdopt.analysis.compare: one layout per scenario)
NOT_FOR_PHASED = {
    "alternatives": "not available for phased plans: near-optimal alternatives are layouts of one period's "
                    "model; ask Why here? per period instead",
    "compare": "not available between a phased plan and a one-period layout: compare a plan's periods with the "
               "Changes tab, or two plans in a milestone year they share",
}

# Why here? and Limits start from a scenario's layout: one the checker rejected breaks a limit, so every
# answer measured against it would be wrong (the analyses' own re-check ended in a server path)
NOT_FOR_REJECTED = ("not available: this layout was rejected by the independent checker (it breaks a limit): "
                    "solve it again first, and ask of that layout")


def _num(v):
    """JSON-safe number (NaN and infinities become None)."""
    if v is None:
        return None
    try:
        f = float(v)
    except (TypeError, ValueError):
        return v
    return f if math.isfinite(f) else None


# ------------------------------------------------------------------------------ geometry
def geometry(inst: Instance) -> dict:
    """SVG paths of the instance's regions (and context provinces) in one equirectangular frame."""
    key = tuple((r.id, r.name_en, r.name_zh, r.province, r.kind, r.lon, r.lat) for r in inst.regions)
    got = _GEOMETRY.get(key)
    if got is None:
        got = _GEOMETRY[key] = _geometry(inst)
    return got


_GEOMETRY: dict[tuple, dict] = {}  # the geometry depends on the regions only


def _geometry(inst: Instance) -> dict:
    from ..report.maps import map_frame

    frame = map_frame(inst)
    x0, x1, y0, y1 = frame.extent
    kx = math.cos(math.radians((y0 + y1) / 2))
    scale = MAP_WIDTH / ((x1 - x0) * kx)
    height = (y1 - y0) * scale

    def xy(lon, lat):
        return round((lon - x0) * kx * scale, 1), round((y1 - lat) * scale, 1)

    def path(shape) -> str:
        parts = []
        for ring in shape.rings:
            pts = [xy(lon, lat) for lon, lat in ring]
            # drop points that round onto the previous one (smaller pages, same picture)
            keep = [pts[0]] + [p for a, p in zip(pts, pts[1:]) if p != a]
            parts.append("M" + "L".join(f"{x:g},{y:g}" for x, y in keep) + "Z")
        return "".join(parts)

    regions = []
    for r in inst.regions:
        g = frame.geo[r.id]
        end = g.flow_end
        regions.append({
            "id": r.id, "name": r.name_en, "name_zh": r.name_zh, "province": r.province,
            "d": path(g.shape) if g.shape is not None else None,
            "point": xy(*g.point) if g.shape is None and g.point is not None else None,
            "anchor": xy(*end) if end is not None else None,
            "label": xy(*g.anchor) if g.anchor is not None else None,
        })
    return {"width": MAP_WIDTH, "height": round(height, 1), "regions": regions,
            "context": [path(s) for s in frame.context if _visible(s, frame.extent)],
            "outlines": [path(s) for s in frame.province_outlines],
            "not_drawn": frame.not_drawn}


def _visible(shape, extent) -> bool:
    x0, y0, x1, y1 = shape.bbox
    return not (x1 < extent[0] or x0 > extent[1] or y1 < extent[2] or y0 > extent[3])


# ------------------------------------------------------------------------------ scenario
def _tables(path: Path):
    from ..solution import load_solution_tables

    return load_solution_tables(path)


def _panels(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None) -> list[dict]:
    from ..report.maps import layout_panels

    chains = _chain_names(inst)
    out = [_lead_chain_panel(inst, layout)]
    for by in ("chain", "kind"):
        for p in layout_panels(inst, layout, flows, by=by):
            fl = []
            if p.flows is not None:
                f = p.flows[p.flows["from_region"] != p.flows["to_region"]]
                fl = [{"from": str(a), "to": str(b), "volume": float(v)}
                      for a, b, v in zip(f["from_region"], f["to_region"], f["volume"])]
            # the legend's words: a chain panel's categories are its segments, a kind panel's the chains
            labels = ({s.id: s.name or s.id for c in inst.chains if c.id == p.key for s in c.segments}
                      if by == "chain" else chains)
            out.append({"key": f"{by}:{p.key}", "by": by, "title": chains.get(p.key, p.title) if by == "chain" else p.title,
                        "colours": p.colours, "labels": labels,
                        "region_category": p.region_category, "region_hosts": p.region_hosts, "flows": fl})
    return out


def _chain_names(inst: Instance) -> dict[str, str]:
    """Chain id -> the name a planner knows it by (its English name, else its id)."""
    return {c.id: c.name_en or c.id for c in inst.chains}


def _lead_chain_panel(inst: Instance, layout: pd.DataFrame) -> dict:
    """Overview: each region coloured by the chain with the largest share of the activity value it
    hosts (a province hosts several segments of most chains, so per-chain panels say "several")."""
    from ..report.maps import NONE, NONE_COLOUR, PALETTE, sited_rows

    seg = {(c.id, s.id): s.value_per_unit for c in inst.chains for s in c.segments}
    rows = sited_rows(layout)
    value = pd.DataFrame({"region": rows["region"].astype(str), "chain": rows["chain"].astype(str),
                          "value": [float(a) * seg.get((str(c), str(s)), 1.0)
                                    for a, c, s in zip(rows["activity"], rows["chain"], rows["segment"])]})
    table = value.pivot_table(index="region", columns="chain", values="value", aggfunc="sum", fill_value=0.0)
    colours = {c.id: PALETTE[i % len(PALETTE)] for i, c in enumerate(inst.chains)}
    colours[NONE] = NONE_COLOUR
    category, hosts = {}, {}
    for r in inst.regions:
        if r.id in table.index and table.loc[r.id].sum() > 0:
            row = table.loc[r.id]
            category[r.id] = str(row.idxmax())
            hosts[r.id] = [f"{_chain_names(inst).get(c, c)} {v / row.sum():.0%}"
                           for c, v in row.sort_values(ascending=False).items() if v > 0]
        else:
            category[r.id], hosts[r.id] = NONE, []
    # no flows here: volumes of different chains have different units (a chain's panel draws its own)
    return {"key": "overview:lead-chain", "by": "overview", "title": "lead chain (largest share of value hosted)",
            "colours": colours, "labels": _chain_names(inst), "region_category": category, "region_hosts": hosts,
            "flows": []}


def region_details(inst: Instance, layout: pd.DataFrame, expansions: pd.DataFrame | None,
                   parks: pd.DataFrame | None = None) -> dict:
    """Per region: hosted segments (activity, value), total value, resource use against quota."""
    from ..report.charts import resource_use_table
    from ..report.maps import sited_rows

    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    names = segment_names(inst)
    out = {r.id: {"segments": [], "value": 0.0, "resources": []} for r in inst.regions}
    for _, row in sited_rows(layout).iterrows():
        rid, key = str(row["region"]), (str(row["chain"]), str(row["segment"]))
        if rid not in out:
            continue
        s = seg.get(key)
        value = float(row["activity"]) * (s.value_per_unit if s else 1.0)
        out[rid]["segments"].append({"chain": key[0], "segment": key[1], "kind": s.kind if s else "",
                                     "segment_name": names.get("/".join(key), "/".join(key)),
                                     "kind_name": kind_words(s.kind) if s else "",
                                     "activity": float(row["activity"]), "unit": unit_words(s.unit) if s else "",
                                     "value": value})
        out[rid]["value"] += value
    units = resource_units(inst)
    for _, u in resource_use_table(inst, layout, expansions, parks).iterrows():
        out[str(u["region"])]["resources"].append({"resource": u["resource"], "unit": units.get(u["resource"], ""),
                                                   "use": _num(u["use"]), "quota": _num(u["quota"]),
                                                   "share": _num(u["share"])})
    return out


def province_values(inst: Instance, layout: pd.DataFrame, park_activity: pd.DataFrame | None = None) -> list[dict]:
    """Per province: credited value (after enclave sharing, as guarantees count it) and its share of
    the layout's value, beside the hard minimum and maximum shares of all value."""
    from ..analysis.benefits import benefit_table

    t = benefit_table(inst, layout, park_activity).set_index("province")
    floors, ceilings, others = dict(inst.policy.province_min_share), {}, {}
    for g in inst.policy.guarantees:  # hard shares of all value (the same rule, stated as a guarantee)
        if g.measure in ("min_share", "max_share") and g.penalty is None and g.province and not g.kinds:
            if g.measure == "min_share":
                floors[g.province] = max(floors.get(g.province, 0.0), g.value)
            else:
                ceilings[g.province] = min(ceilings.get(g.province, 1.0), g.value)
        elif g.province:  # a number of chains, a value, a soft or a kind's share: in words ("hosts R&D in ...")
            others.setdefault(g.province, []).append(guarantee_words(g, inst))
    return [{"province": p, "value": float(t.loc[p, "credited_value"]), "share": float(t.loc[p, "credited_share"]),
             "guaranteed": floors.get(p), "ceiling": ceilings.get(p), "other_guarantees": others.get(p, [])}
            for p in inst.provinces]


def scenario_view(path: Path, inst: Instance, summary: dict, meta: dict | None = None) -> dict:
    from ..checker import check_layout, check_phased

    t = _tables(path)
    layout, flows, expansions = t["layout"], t["flows"], t["expansions"]
    phased = inst.periods is not None and "period" in layout.columns
    # a phased plan is checked period by period, each from the period before (the CLI's `check`)
    rep = (check_phased if phased else check_layout)(inst, layout, flows, expansions, file=str(path.name),
                                                     parks=t.get("parks"), park_activity=t.get("park_activity"))
    # the counts of the layout shown: a plan's last period (not summed over periods), today's layout as it is
    counts = (rep.by_period[-1] if phased else
              {"sites": rep.sites, "duplicated_segments": rep.duplicated_segments, "token_sites": rep.token_sites,
               "duplicated_segments_without_token": rep.duplicated_segments_without_token})
    if inst.periods is not None and not phased:  # today's layout beside plans: kept in every period, as its summary
        from ..analysis.baseline import check_today_kept

        rep = check_today_kept(inst, layout, str(path.name))
    elif summary.get("status") != "baseline" and (path / "summary.json").exists():
        # a solve's verdict is `yrdopt check`'s: the layout and summary.json's claims (checker.check_dir); before,
        # the layout alone, so a bound above the objective said "verified" here while `yrdopt check` rejected it.
        # Today's layout (status "baseline") is recorded, not solved: it claims no bound or status to check.
        from ..checker import check_dir

        rep = check_dir(inst, path)
    obj = summary.get("objective")
    from ..claims import objective_matches
    from ..solver import summary_status_words

    matches = obj is not None and objective_matches(obj, rep.objective)
    # each term with what it counts (a plan's one-off costs per period, the parks its expansion term built),
    # and the objective in words: a plan's terms are discounted sums over its periods (analysis.costs)
    from ..analysis.costs import discounting, objective_words, term_notes

    comps = summary.get("components") or rep.components
    about = {**summary, "components": comps, "discounting": summary.get("discounting") or discounting(inst)}
    notes = term_notes(about, region_names(inst))
    terms = [{"term": k, "label": term_words(k), "value": _num(v), "what": notes.get(k, ""),
              "raw": _num((summary.get("components_raw") or rep.components_raw).get(k))}
             for k, v in comps.items()]
    baseline = summary.get("baseline") if isinstance(summary.get("baseline"), dict) else None
    periods = _period_views(inst, t, summary) if phased else None
    for p in periods or []:
        p["kept_words"] = _kept_words(path, inst, p["year"])
    # the map, region and province panels show one layout: a phased plan's last period unless the
    # page picks another (its `periods` list); the whole plan's layout summed over periods means nothing
    shown = periods[-1] if periods else _layout_view(inst, layout, flows, expansions, t.get("parks"), t.get("park_activity"))
    return {
        "meta": meta or {},
        # re-derived from the summary's figures and this check, as the report (an older scenario's words: not kept)
        "status": summary.get("status"), "status_text": summary_status_words(summary, rep.objective, rep.verified and matches),
        "objective": _num(obj), "bound": _num(summary.get("bound")), "gap": _num(summary.get("gap")),
        "terms": terms, "objective_words": objective_words(about),
        "check": {"verified": bool(rep.verified), "max_violation": _num(rep.max_violation),
                  "n_violations": int(rep.n_violations), "objective": _num(rep.objective),
                  "matches_solver": bool(matches),
                  # summary.json's claims that do not hold, in a planner's words (claims.FalseClaim.words)
                  "false_claims": [c.words for c in rep.false_claims],
                  # the codes for scripts, ``words`` for the page (the instance's names)
                  "violations": [{"constraint": v.constraint, "where": v.where, "amount": _num(v.amount),
                                  "detail": v.detail, "words": v.words} for v in rep.worst.values() if v.amount > 1e-6]},
        # token sites (< 1 % of their segment, checker.TOKEN_SHARE) counted apart, as the CLI and the report do
        **{k: int(counts[k]) for k in ("sites", "duplicated_segments", "token_sites", "duplicated_segments_without_token")},
        "timings": summary.get("timings"),
        **shown,
        "baseline": _baseline_brief(baseline),
        "periods": periods,
        "myopic": summary.get("myopic"),
        "foresight_words": _foresight(summary),
        "changes": _changes(path, inst),
        "kept_words": None if phased else _kept_words(path, inst),
    }


def _layout_view(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None,
                 expansions: pd.DataFrame | None, parks: pd.DataFrame | None = None,
                 park_activity: pd.DataFrame | None = None) -> dict:
    """Map panels, regions, provinces and placements of one layout (its parks open add quota)."""
    return {
        "panels": _panels(inst, layout, flows),
        "regions": region_details(inst, layout, expansions, parks),
        "provinces": province_values(inst, layout, park_activity),
        "placements": [{"chain": str(c), "segment": str(s), "region": str(r), "activity": float(a)}
                       for c, s, r, a, on in zip(layout["chain"], layout["segment"], layout["region"],
                                                 layout["activity"], _sited(layout)) if on],
    }


def _of_period(df: pd.DataFrame | None, year: int | None) -> pd.DataFrame | None:
    """The rows of milestone ``year`` of a plan's table, without the period column."""
    if df is None or year is None or "period" not in df.columns:
        return df
    return df[df["period"].astype(int) == year].drop(columns=["period"]).reset_index(drop=True)


def _period_views(inst: Instance, tables: dict, summary: dict) -> list[dict]:
    """One layout view per milestone, against that period's grown activity and scaled quotas."""
    from ..phasing import scaled_instance

    of = _of_period
    info = {int(p["year"]): p for p in summary.get("periods") or [] if isinstance(p, dict) and "year" in p}
    out = []
    for t, m in enumerate(inst.periods.milestones):
        inst_t = scaled_instance(inst, t)
        view = _layout_view(inst_t, of(tables["layout"], m.year), of(tables["flows"], m.year),
                            of(tables["expansions"], m.year), of(tables.get("parks"), m.year),
                            of(tables.get("park_activity"), m.year))
        built = info.get(m.year, {}).get("built") or []
        out.append({"year": m.year, "transition": info.get(m.year, {}).get("transition"), "built": built,
                    "built_words": [built_words(b, region_names(inst)) for b in built], **view})
    return out


def _foresight(summary: dict) -> str | None:
    """What foresight saved against the plan solved period by period, as the report says it."""
    from ..report.periods import foresight_text

    return foresight_text(summary) if summary.get("objective") is not None else None


def _changes(path: Path, inst: Instance) -> list[dict] | None:
    """transition.csv (brownfield and phased solves): every site kept, grown, shrunk, closed or
    opened (its status by :mod:`yrdopt.site_change`, as written), each segment and region also by
    its name (``segment_name``, ``region_name``) and its activity's unit (``unit``)."""
    f = Path(path) / "transition.csv"
    if not f.exists():
        return None
    tab = pd.read_csv(f)
    regions, segments = region_names(inst), segment_names(inst)
    units = {f"{c.id}/{s.id}": unit_words(s.unit) for c in inst.chains for s in c.segments}
    out = []
    for row in tab.to_dict(orient="records"):
        rec = {k: (_num(v) if isinstance(v, (float, np.floating, int, np.integer)) and k != "period" else
                   int(v) if k == "period" else str(v)) for k, v in row.items()}
        key = f"{rec.get('chain')}/{rec.get('segment')}"
        rec.update(segment_name=segments.get(key, key), region_name=regions.get(rec.get("region"), rec.get("region")),
                   unit=units.get(key, ""))
        out.append(rec)
    return out


def _kept_words(path: Path, inst: Instance, year: int | None = None) -> str | None:
    """The line on kept sites' small changes (of milestone ``year``), as the report says it, the activity
    moved in its segments' unit: the Changes tab lists no kept site, yet their cost is in the cost of change."""
    from ..site_change import kept_changes, kept_words

    f = Path(path) / "transition.csv"
    if not f.exists():
        return None
    tab = pd.read_csv(f)
    if year is not None and "period" in tab.columns:
        tab = tab[tab["period"].astype(int) == year]
    return kept_words(kept_changes(tab, activity_units(inst)))


def _sited(layout: pd.DataFrame) -> np.ndarray:
    from ..report.maps import sited_rows

    mask = np.zeros(len(layout), dtype=bool)
    mask[layout.index.get_indexer(sited_rows(layout).index)] = True
    return mask


def _baseline_brief(cmp: dict | None) -> dict | None:
    if not cmp:
        return None
    b, o = cmp["baseline"], cmp["optimized"]
    return {"baseline_total": _num(b["total"]), "total": _num(o["total"]), "change": {k: _num(v) for k, v in cmp["change"].items()},
            "duplicated": [b["duplicated_segments"], o["duplicated_segments"]],
            "interregional_mean": [_num(b["specialization"]["interregional_mean"]),
                                   _num(o["specialization"]["interregional_mean"])],
            "baseline_feasible": b["feasible"]}


# -------------------------------------------------------------------------- baseline
def baseline_files(inst: Instance, baseline_csv: Path, out: Path, source: str | None = None) -> dict:
    """Write today's layout as a solution directory (flows routed by the checker) and return its
    summary; ``source``: what its status says the layout was read from (default: its file's name)."""
    import json

    from ..analysis.baseline import evaluate_layout
    from ..checker import check_layout, read_layout_dir
    from ..io import atomic_write_text, dump_instance
    from ..solution import FLOW_COLUMNS, INSTANCE_FILE

    layout, flows, exps = read_layout_dir(baseline_csv)
    rep = check_layout(inst, layout, flows, exps, file=str(baseline_csv))
    ev = evaluate_layout(inst, layout, flows, exps, file=str(baseline_csv))
    if flows is None:  # a baseline names no flows: the checker's cheapest routing, as it evaluated them
        from ..checker import _distance, route_flows

        dist = _distance(inst)
        lay = layout.assign(activity=layout["activity"].astype(float))
        act = lay.groupby(["chain", "segment", "region"])["activity"].sum().to_dict()
        flows = route_flows(inst, act, dist)
        intensity = {(c.id, l.from_.split("/")[-1], l.to.split("/")[-1]): l.transport_intensity
                     for c in inst.chains for l in c.links}
        flows["distance_h"] = [dist[(a, b)] for a, b in zip(flows["from_region"], flows["to_region"])]
        flows["cost"] = [intensity[(c, u, d)] * h * v for c, u, d, h, v in
                         zip(flows["chain"], flows["from_segment"], flows["to_segment"], flows["distance_h"], flows["volume"])]
    out.mkdir(parents=True, exist_ok=True)
    lay = layout.copy()
    atomic_write_text(out / "layout.csv", lay.to_csv(index=False, float_format="%.10g"))
    atomic_write_text(out / "flows.csv", pd.DataFrame(flows).reindex(columns=FLOW_COLUMNS).to_csv(index=False, float_format="%.10g"))
    atomic_write_text(out / "expansions.csv", "region,option,taken,fixed_cost\n")
    text = f"today's layout ({source or baseline_csv.name}), evaluated by the checker"
    if inst.periods is not None:  # a plan's objective is over every period: compare with today's kept as long
        from ..analysis.baseline import UNCHANGED_PLAN, check_today_kept

        rep = check_today_kept(inst, layout, str(baseline_csv))
        text += f" as {UNCHANGED_PLAN}"
    summary = {"status": "baseline", "status_text": text,
               "objective": rep.objective, "bound": None, "gap": None, "components": rep.components,
               "components_raw": rep.components_raw, "verified": bool(rep.verified), "max_violation": rep.max_violation,
               "duplicated_segments": ev["duplicated_segments"], "sites": ev["sites"],
               "specialization": ev["specialization"], "violations": ev["violations"],
               "instance": {"name": inst.name}}
    from ..io import content_hash

    summary["instance"]["hash"] = content_hash(inst)
    atomic_write_text(out / "summary.json", json.dumps(summary, indent=2, default=float))
    dump_instance(inst, out / INSTANCE_FILE)
    return summary


# -------------------------------------------------------------------------- comparison
def comparison_view(inst: Instance, a, b, period: int | None = None) -> dict:
    """Two scenarios side by side: what moved (map categories), terms, duplication, specialization;
    two plans over periods in milestone ``period``."""
    from ..analysis.compare import compare_layouts
    from ..report.maps import COMPARISON_COLOURS, COMPARISON_WORDS, comparison_categories, moved_placements

    names = [a.name, b.name] if a.name != b.name else [f"{a.name} ({a.id})", f"{b.name} ({b.id})"]  # one column each
    cmp = compare_layouts([a.path, b.path], names=names, instance=inst, period=period)
    la, lb = (_of_period(_tables(x.path)["layout"], period) for x in (a, b))
    moved = moved_placements(la, lb)
    terms = []
    for term, row in cmp.terms.iterrows():
        va, vb = row.iloc[0], row.iloc[1]
        if term == "verified":
            terms.append({"term": term, "label": term_words(term), "a": bool(va), "b": bool(vb), "change": None})
        else:
            terms.append({"term": term, "label": term_words(term), "a": _num(va), "b": _num(vb),
                          "change": _num(float(vb) - float(va))})
    rel = cmp.relative
    names = region_names(inst)  # every region said by its name; the map and the data keep the ids
    segments = segment_names(inst)
    named = lambda ids: [names.get(str(r), str(r)) for r in ids]  # noqa: E731
    duplicated = [{**d, "regions": ", ".join(named(str(d["regions"]).split(", "))),
                   "segment_name": segments.get(str(d.get("segment")), str(d.get("segment")))}
                  for d in cmp.duplicated.to_dict(orient="records")]
    return {
        "a": {"id": a.id, "name": a.name}, "b": {"id": b.id, "name": b.name}, "period": period,
        "moved": [{"chain": m.chain, "segment": m.segment, "segment_name": segments.get(f"{m.chain}/{m.segment}", f"{m.chain}/{m.segment}"),
                   "removed_from": list(m.removed_from),
                   "added_in": list(m.added_in), "kept_in": list(m.kept_in),
                   "removed_from_names": named(m.removed_from), "added_in_names": named(m.added_in),
                   "kept_in_names": named(m.kept_in)} for m in moved.itertuples()],
        "categories": comparison_categories(inst, la, lb), "colours": dict(COMPARISON_COLOURS),
        "labels": dict(COMPARISON_WORDS),  # each colour in the legend: what the region does from A to B
        "terms": terms,
        "duplicated": duplicated,
        "placements": [{"segment": k, "a": row.iloc[0], "b": row.iloc[1], "differs": bool(row["differs"])}
                       for k, row in cmp.placements.iterrows()],
        "relative_specialization": [{"region": r, "region_name": names.get(str(r), str(r)),
                                     "a": _num(rel.iloc[i, 0]), "b": _num(rel.iloc[i, 1])}
                                    for i, r in enumerate(rel.index)],
        "interregional_mean": {"a": _num(cmp.interregional_mean.iloc[0]), "b": _num(cmp.interregional_mean.iloc[1])},
        "distance": int(cmp.distances.iloc[0, 1]),
        "notes": cmp.notes,
    }


def _records(table: pd.DataFrame | None) -> tuple[list[str], list[dict]]:
    """(columns, rows) of a table as JSON: numbers (NaN as null), booleans, text."""
    if table is None:
        return [], []
    cols = [c for c in table.columns]
    rows = [{c: (_num(v) if isinstance(v, (float, np.floating, int, np.integer)) and not isinstance(v, (bool, np.bool_)) else
                 bool(v) if isinstance(v, (bool, np.bool_)) else v) for c, v in zip(cols, r)}
            for r in table.itertuples(index=False)]
    return cols, rows


# the Limits tab's control that re-solves every limit used to the limit (`yrdopt prices --reoptimise`)
RESOLVE_EACH = "re-solve each limit used to the limit"

# the page's words for what the CLI's `prices` prints beside its tables
LIMIT_NOTES = {
    "quotas": LP_PRICE_HOLDS + ". An LP price is 0 while any of the quota is left. Where a quota used (nearly) to "
              "the end keeps a site out, only a re-solve with one unit more shows it (done here where the LP price "
              f"is 0; tick “{RESOLVE_EACH}” to re-solve every quota used to the limit).",
    "quotas_resolved": LP_PRICE_HOLDS + ". Each quota used to the limit was re-solved with one unit more, the sites "
                       "free to move: proven where it says so, else the interval its bounds prove.",
    "quotas_plan": "Prices of this period with every period's sites fixed as written; a plan is not re-solved (each "
                   "re-solve would be the whole plan over the periods).",
    "guarantees": "Worth: the objective's fall per unit of value less required of a minimum, or more allowed under a "
                  "cap (a share guarantee's also per percentage point of the area's value). " + NOT_PRICED
                  + f": tick “{RESOLVE_EACH}” to re-solve it relaxed by one step.",
    "guarantees_resolved": "Worth: the objective's fall per unit of value less required of a minimum, or more allowed "
                           "under a cap (a share guarantee's also per percentage point of the area's value). Each "
                           "guarantee used to the limit was re-solved relaxed by one step (a chain, a percentage "
                           "point, a unit of value), the sites free to move.",
    "budgets_plan": "A site budget's LP price is 0 here (every site fixed as written): solve with the budget raised to "
                    "see what one more is worth.",
}

def _use_words(binding: bool, tight: bool) -> str:
    return "used up" if binding else "nearly (less than 1 % left)" if tight else ""


# what one more of a change budget is (explain.BUDGET_UNITS counts them in the plural)
_BUDGET_STEP = {"sites": "site", "units of activity moved": "unit of activity moved"}


def resolved_said(value, most, status, per: str, stopped: bool = False, layout_above: float = 0.0) -> str:
    """A re-solve's worth with its unit and its status in words (what `yrdopt prices --reoptimise` prints,
    with what the page's Stop left): "34.3 per km2 of land, proven"; "≥ 11.8, ≤ 27.5 per chain: the
    interval its bounds prove (not proven: stopped at its share of the time limit field)"; "not
    re-solved: stopped by you" ("" where it was not re-solved).  ``per``: "per km2 of land".

    ``value``, ``most``: the interval the re-solve proves (:func:`yrdopt.analysis.explain.resolved_interval`,
    the CLI's rule); ``layout_above``: how far the layout re-solved may lie above its own optimum (0: proven
    best; inf: unknown, today's layout), said as why an interval is not proven
    (:func:`yrdopt.analysis.explain.resolved_why`)."""
    from ..analysis.explain import resolved_proven, resolved_why

    if not isinstance(status, str) or not status:
        return ""
    cut = "stopped by you" if stopped or status == "interrupted" else f"stopped at its share of {TIME_LIMIT_FIELD}"
    if value != value:  # no layout: a re-solve the Stop or its share of the time limit left without one
        return f"not re-solved: {cut}"
    if resolved_proven(value, most, status):
        return f"{value:,.6g} {per}, proven"
    upto = f", ≤ {most:,.6g}" if most == most else ""
    return f"≥ {value:,.6g}{upto} {per}: the interval its bounds prove (not proven: {resolved_why(status, layout_above, cut)})"


def prices_view(prices, period: int | None = None, inst: Instance | None = None, stopped: bool = False,
                reoptimised: bool = False) -> dict:
    """What each limit costs (``yrdopt prices``: :func:`yrdopt.analysis.explain.shadow_prices`) for
    the page's *Limits* tab: quotas (those used (nearly) to the end first, dearest first), guarantees
    and change budgets, each row as the CLI's tables have it; a re-solve's worth with its unit and status
    (``resolved``: :func:`resolved_said`; ``stopped``: the planner's Stop ended the job); the CLI's notes
    (``notes``); ``reoptimised``: every limit used to the limit was re-solved (``--reoptimise``);
    the prices' ``layout_above``: how far the layout may lie above its optimum (:func:`resolved_said`), said
    with its ``layout_status`` above the tables (``unproven``) where it is not proven best and a limit was
    re-solved."""
    from ..analysis.explain import resolved_proven, unproven_layout_words

    units = resource_units(inst) if inst is not None else {}
    layout_above = getattr(prices, "layout_above", 0.0)

    def resolved(t: pd.DataFrame, per: list[str]) -> list[str]:
        if "resolved_status" not in t:
            return [""] * len(t)
        return [resolved_said(v, most, st, unit, stopped, layout_above) for v, most, st, unit in
                zip(t["resolved_value_per_unit"], t["resolved_value_most"], t["resolved_status"], per)]

    q = prices.quotas
    if len(q):  # a slack of -3.6e-15 is round-off of a quota used to the end: shown as 0
        worth_unit = [f"per {units[k]} of {k}" if units.get(k) else f"per unit of {k}" for k in q["resource"].astype(str)]
        q = q.assign(slack=q["slack"].where(q["slack"].abs() > 1e-9 * np.maximum(1.0, q["quota"].abs()), 0.0),
                     use=[_use_words(b, t) for b, t in zip(q["binding"], q["tight"])], resolved=resolved(q, worth_unit),
                     worth_unit=worth_unit)
        # an unproven one (or one of a layout not proven best) is not its worth
        proven = q["resolved_value_per_unit"].where([resolved_proven(v, most, st) for v, most, st in zip(
            q["resolved_value_per_unit"], q["resolved_value_most"], q["resolved_status"])])
        q = q.assign(_worth=proven.fillna(q["value_per_unit"]).abs(), _limit=(q["binding"] | q["tight"]).astype(int)) \
             .sort_values(["_limit", "_worth"], ascending=False, kind="stable").drop(columns=["_worth", "_limit"])
    g = prices.guarantees
    if g is not None and len(g):
        from ..analysis.limit_words import guarantee_worth

        steps = [f"per {str(st).removeprefix('1 ')}" for st in g["resolved_step"]]
        g = g.assign(use=["binding" if b else "" for b in g["binding"]],
                     worth=[guarantee_worth(r)[0] for r in g.itertuples()], resolved=resolved(g, steps)) \
             .sort_values("value_per_unit", key=np.abs, ascending=False, kind="stable")
    b = prices.budgets
    if b is not None and len(b):
        b = b.assign(use=["used up" if x else "" for x in b["binding"]],
                     resolved=resolved(b, [f"per {_BUDGET_STEP.get(u, u)}" for u in b["unit"]]))
    notes = {"quotas": LIMIT_NOTES["quotas_plan" if period is not None else "quotas_resolved" if reoptimised else "quotas"],
             "guarantees": LIMIT_NOTES["guarantees_resolved" if reoptimised else "guarantees"]}
    if period is not None:
        notes["budgets"] = LIMIT_NOTES["budgets_plan"]
    if inst is not None and len(q):  # each quota by its region's name and its resource's unit
        names = region_names(inst)
        q = q.assign(region_name=[names.get(str(r), str(r)) for r in q["region"]],
                     resource_unit=[units.get(str(k), "") for k in q["resource"]])
    if inst is not None and g is not None and len(g):  # each guarantee as the Summary says it, its amounts with their unit
        from ..analysis.limit_words import guarantee_rows

        said = guarantee_rows(g, inst)
        g = g.assign(guarantee=[r["guarantee"] for r in said], required=[r["required"] for r in said],
                     value=[r["reached"] for r in said])
    if inst is not None and b is not None and len(b):  # "2035 milestone: at most 6 sites closed"
        from ..analysis.limit_words import budget_words

        b = b.assign(budget=[budget_words(p, inst) for p in b["path"]])
    out = {"objective": _num(prices.objective), "period": period, "notes": notes, "reoptimised": reoptimised,
           "stopped": stopped, "unproven": None}
    if layout_above > 0 and any((t is not None and "resolved_status" in t and (t["resolved_status"] != "").any())
                                for t in (q, g, b)):
        out["unproven"] = unproven_layout_words(prices.layout_status, layout_above)
    for name, table in (("quotas", q), ("guarantees", g), ("budgets", b)):
        cols, rows = _records(table)
        out[name] = {"columns": cols, "rows": rows}
    return out


# a move's solve left without a layout by a Stop (Deadline.stop: no time from then on) or its share
# of the time limit
_CUT_SHORT = ("time_limit", "interrupted", "stopped")
# what the library says of a search for the rules that block a move when the time ran out (explain.py,
# phased.py): the page says what was not evaluated and why (the user's Stop or the time limit)
# instead; "{cause}" is filled in.  A move proven infeasible stays so; the search is what stopped.
_SEARCH_CUT = (
    (re.compile(r"^infeasible; the rules that block it were not found within the time limit$"),
     "proven infeasible; the rules that block it: not evaluated ({cause})"),
    (re.compile(r"^infeasible with this change in (\d+); why was not found within the time limit.*$"),
     r"proven infeasible with this change in \1; why: not evaluated ({cause})"),
    (re.compile(r" \((other rules|its shortfall) (?:were|was) not (?:checked|found) within the time limit\)"),
     r" (\1: not evaluated ({cause}))"),
    (re.compile(r" \(found before the search stopped at its time limit"), " (found before the search was cut short ({cause})"),
)


def _cut_words(why, cause: str):
    """A "why" of the library with what the time limit or a Stop left unsearched said as not
    evaluated, and why (``cause``)."""
    if not isinstance(why, str):
        return why
    for pattern, words in _SEARCH_CUT:
        why = pattern.sub(words.replace("{cause}", cause), why)
    return why


def explain_view(table: pd.DataFrame, stopped_after: float | None = None, inst: Instance | None = None) -> dict:
    """"Why here?" as the page shows it; ``stopped_after``: the seconds after which the user's Stop
    ended it, when it did.  A move the Stop or its share of the time limit left without a layout is
    "not evaluated (stopped by the user)" or "(time limit)", never infeasible; a move proven infeasible
    whose blocking rules were not searched says that part was not evaluated, and why.
    With ``inst``: every region by its name, each quota raise with its unit, the rules by what they
    are (``blocked_by_fields`` keeps the instance fields), each column's heading in the planner's terms."""
    cols, rows = _records(table)
    names = region_names(inst) if inst is not None else {}
    cause = "stopped by the user" if stopped_after is not None else "time limit"
    skipped, unsearched = [], []
    for r in rows:
        if r.get("change") is None and str(r.get("status", "")).startswith(_CUT_SHORT):
            skipped.append(r)
            r["why"] = f"not evaluated ({cause})" + ("" if stopped_after is not None else
                                                      f": give it more time ({TIME_LIMIT_FIELD})")
        else:
            said = _cut_words(r.get("why"), cause)
            if said != r.get("why"):
                unsearched.append(r)
            r["why"] = said
    if inst is not None:
        for r in rows:
            r["region_name"] = names.get(str(r.get("region")), r.get("region"))
            r["why"] = planner_words(r.get("why"), inst)  # as the CLI says it: guarantees, segments by name
            fields = [f for f in str(r.get("blocked_by") or "").split("; ") if f]
            r["blocked_by_fields"], r["blocked_by"] = r.get("blocked_by"), "; ".join(
                dict.fromkeys(rule_words(f, inst) for f in fields))
    headers = {c: ("change of the objective" if c == "change" else "Δ " + term_words(c[len("change_"):])
                   if c.startswith("change_") else c.replace("_", " ")) for c in cols}
    stopped = None
    if stopped_after is not None:
        not_evaluated = [names.get(r["region"], r["region"]) for r in skipped]
        text = f"Stopped by the user after {round(float(stopped_after), 1)} s"
        parts = ([f"the moves to {', '.join(not_evaluated)} were not evaluated"] if not_evaluated else []) + (
            [f"for {counted(len(unsearched), 'move')} proven infeasible, the rules that "
             "block {} were not all evaluated".format("them" if len(unsearched) != 1 else "it")] if unsearched else [])
        stopped = {"after_s": round(float(stopped_after), 1), "not_evaluated": [r["region"] for r in skipped],
                   "not_evaluated_names": not_evaluated, "text": text + (": " + "; ".join(parts) if parts else "") + "."}
    segment = table.attrs.get("segment")
    return {"segment": segment, "segment_name": segment_names(inst).get(segment, segment) if inst is not None else segment,
            "base_objective": _num(table.attrs.get("base_objective")),
            "hosts": table.attrs.get("hosts"), "reoptimise": table.attrs.get("reoptimise"),
            "host_names": [names.get(h, h) for h in table.attrs.get("hosts") or []], "headers": headers,
            "base_status": table.attrs.get("base_status"), "stopped": stopped,
            "period": table.attrs.get("period"), "columns": cols, "rows": rows}


KIND_WORDS = {"solve": "a what-if solved in the workbench", "baseline": "today's layout, not a solve",
              "alternative": "a near-optimal alternative"}


def gap_words(gap, status: str | None) -> str:
    """A MIP gap as the page says it: a percentage and what it means."""
    if status == "not_verified":  # the solver's gap is of a layout that breaks a limit
        return "none to trust: the layout was rejected by the independent checker"
    if gap is None or gap != gap:
        return "none: no bound on the best layout" if status != "baseline" else "none: today's layout is not solved"
    proven = "the layout is proven within it of the best possible" if status == "optimal" else "not proven optimal"
    g = 100 * float(gap)
    return f"{0 if abs(g) < 1e-7 else g:.4g} % between the layout and the best bound ({proven})"  # 1.4e-14: round-off


def checker_words(summary: dict, today: bool = False, inst: Instance | None = None) -> str:
    """The checker's verdict on a layout in words; a layout it rejects says which rules it breaks
    (today's layout was recorded, not solved: it may break the instance's limits)."""
    if summary.get("verified"):
        return ("verified: today's layout keeps every constraint, recomputed by the checker" if today
                else "verified: every constraint and term recomputed from the written layout")
    broken = [v for v in summary.get("violations") or [] if isinstance(v, dict)]
    # each in the checker's words (the instance's names); one recorded before it wrote them: by its codes
    where = [text_with_names(str(v.get("where")), inst) if inst is not None else v.get("where") for v in broken[:5]]
    why = "; ".join(v["words"] if v.get("words") else f"{v.get('constraint')} at {w} ({v.get('detail')})"
                    if v.get("detail") else f"{v.get('constraint')} at {w}" for v, w in zip(broken, where))
    head = "not verified: today's layout, not a solve, breaks the instance's rules" if today else "NOT verified by the checker"
    # summary.json's claims that do not hold (checker.check_dir's, in claims.FalseClaim.words)
    claims = [str(c) for c in summary.get("false_claims") or [] if isinstance(c, str)]
    return (head + (f": {why}" + (f" and {len(broken) - 5} more" if len(broken) > 5 else "") if why else "")
            + (f"; claims of summary.json that do not hold: {'; '.join(claims)}" if claims else ""))


def export_about(sc, summary: dict, edits: list[str] | None, parent_name: str | None = None,
                 inst: Instance | None = None) -> list[tuple[str, object]]:
    """The first sheet of a scenario's Excel export: what the layout is, when it was solved, its
    status and gap in words, and each what-if edit against the opened instance (``edits``; None:
    none were recorded)."""
    meta = sc.meta
    today = meta.get("kind") == "baseline"  # recorded, not solved: no "solved at", its checker verdict said why
    rows: list[tuple[str, object]] = [
        ("scenario", sc.name), ("id", sc.id), ("kind", KIND_WORDS.get(meta.get("kind", "solve"), meta.get("kind"))),
        ("instance", meta.get("instance_name")),
        ("recorded at (UTC)" if today else "solved at (UTC)", meta.get("created")),
        ("status", summary.get("status_text") or summary.get("status")),
        ("gap", gap_words(summary.get("gap"), summary.get("status"))
         if meta.get("kind") != "alternative" or summary.get("status") == "not_verified"
         else "its parent's: " + gap_words(meta.get("parent_gap"), meta.get("parent_status"))
         if meta.get("parent_status_text") is not None  # the parent's own (saved before: the search's re-solve's)
         else "its parent's instance solved again by the search: " + gap_words((meta.get("reference") or {}).get("gap"),
                                                                                (meta.get("reference") or {}).get("status"))),
        ("objective", _num(summary.get("objective"))),
        ("checker", checker_words(summary, today, inst))]
    if meta.get("time_limit") is not None:
        rows.append(("time limit (s)", meta["time_limit"]))
    if parent_name is not None:
        from .workspace import above_parent_words

        above = above_parent_words(meta)  # the status's figure and words ("its optimum" only when proven one)
        rows.append(("alternative of", parent_name + (f" ({above}" + ("" if above.endswith("optimum") else
                                                                       ", not proven best") + ")" if above else "")))
    if edits is None:
        rows.append(("what-if edits", "not recorded with this scenario"))
    elif not edits:
        rows.append(("what-if edits", "none: the opened instance as it is"))
    for i, e in enumerate(edits or [], 1):
        rows.append((f"what-if edit {i}", e))
    return rows


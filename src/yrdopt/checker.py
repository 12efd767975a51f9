"""Independent checker: recompute every constraint and objective term from a layout.

It reads only the instance (the pydantic objects, not the model's arrays) and the written
layout — ``layout.csv`` (chain, segment, region, sited, activity), optionally
``flows.csv`` and ``expansions.csv`` — and never the solver's values.  Where no flows are
given (a hand-written baseline), it routes each link by the cheapest transportation plan
between the regions hosting its two segments, solved with ``scipy.optimize.linprog``.
When the directory holds a ``summary.json``, its claims (status, objective, bound, gap,
lexicographic holds, front caps) are re-derived from the recomputed values
(:mod:`yrdopt.claims`).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .analysis.limit_words import BUDGET_COUNTS, Places, counted, guarantee_words, transition_column_words, violation_words
from .claims import FalseClaim, check_claims
from .errors import InstanceError, Problem
from .schema import Instance, kind_words
from .site_change import accepted_statuses, site_status, transition_counts
from .tolerance import TOLERANCE  # noqa: F401 (checker.TOLERANCE: the rule every limit is checked by)

# a hosting site with less than this share of its segment's activity is a *token* site: it counts in
# ``sites`` and duplication (the model lets a guarantee or a kept site hold a sliver), and is counted
# apart too (``token_sites``, ``duplicated_segments_without_token``), so a headline count can say how many are slivers
TOKEN_SHARE = 0.01
LINES_SHOWN = 20  # violated limits printed by CheckReport.lines(); the JSON report has all of them


@dataclass
class Violation:
    constraint: str  # the limit's code, and ``where`` its place by ids ("ic/rd in anhui"): for scripts
    where: str
    amount: float  # scaled: absolute amount / max(1, |right-hand side|)
    detail: str
    place: str = ""  # ``where`` in the instance's names ("Integrated circuits R&D in Anhui"): for people

    @property
    def words(self) -> str:
        """The violation as people read it (the CLI, the report, the workbench): place, what, which limit."""
        return violation_words(self.constraint, self.place or self.where, self.detail)

    def to_dict(self) -> dict:
        return {**asdict(self), "words": self.words}


@dataclass
class CheckReport:
    verified: bool
    max_violation: float
    objective: float
    components: dict[str, float]
    components_raw: dict[str, float]
    worst: dict[str, Violation] = field(default_factory=dict)  # per constraint family, violated ones only
    n_violations: int = 0
    violations: list[Violation] = field(default_factory=list)  # every violated row, largest first
    flows_given: bool = True
    # a phased plan: these four counts are its last period's (``sites_period``), as summary.json's
    # top-level figures; ``by_period`` has each period's
    sites: int = 0
    duplicated_segments: int = 0
    token_sites: int = 0  # of ``sites``, those with less than TOKEN_SHARE of their segment
    duplicated_segments_without_token: int = 0  # segments with 2+ sites of at least TOKEN_SHARE each
    sites_period: int | None = None  # a phased plan: the milestone year the counts above are of
    # a phased plan: year, discount (its factor), sites, duplicated_segments, token_sites,
    # duplicated_segments_without_token, terms (the period's weighted terms, undiscounted) and built
    by_period: list[dict] = field(default_factory=list)
    # what the term `expansion` pays for, item by item (unweighted): {"park"|"expansion": id, "region", "cost"};
    # a park or expansion paid in an earlier period of a plan is no item of a later one
    built: list[dict] = field(default_factory=list)
    false_claims: list[FalseClaim] = field(default_factory=list)  # claims of summary.json that fail

    def add_claims(self, summary: dict, transitions: dict | None = None) -> "CheckReport":
        """Re-derive the claims of ``summary`` (:mod:`yrdopt.claims`; ``transitions``: the counts of the
        checked transition.csv, by year); any false one unverifies the layout."""
        self.false_claims = check_claims(summary, self.objective, self.components_raw, self.components,
                                         self.by_period or None, transitions)
        self.verified = self.verified and not self.false_claims
        return self

    def to_dict(self) -> dict:
        d = asdict(self)
        d["worst"] = {k: v.to_dict() for k, v in self.worst.items()}
        d["false_claims"] = [asdict(c) for c in self.false_claims]
        d["violations"] = [v.to_dict() for v in self.violations]
        return d

    def lines(self) -> list[str]:
        out = [f"verified: {self.verified}  (largest scaled violation {self.max_violation:.3g})",
               f"objective: {self.objective:.6g}"]
        out += [f"  {k}: {v:.6g}" for k, v in self.components.items()]
        if self.violations:
            out.append(f"{counted(len(self.violations), 'violated limit')}, largest first "
                       "(scaled amount: excess / max(1, |limit|)):")
        out += [f"  {v.words} (scaled {v.amount:.3g})"
                for v in self.violations[:LINES_SHOWN]]
        if len(self.violations) > LINES_SHOWN:
            out.append(f"  ... {len(self.violations) - LINES_SHOWN} more (every one: yrdopt check --json)")
        out += [f"  false claim of summary.json: {c}" for c in self.false_claims]
        return out


class _Recorder:
    """Keeps every violated row (amount above TOLERANCE); rows that hold are not violations.  Each
    is named twice: by ids (``where``) and by the instance's names (``place``, from ``places``)."""

    def __init__(self, inst: Instance) -> None:
        self.worst: dict[str, Violation] = {}
        self.all: list[Violation] = []
        self.places = Places(inst)

    @property
    def count(self) -> int:
        return len(self.all)

    def add(self, family: str, where: str, excess: float, rhs: float, detail: str, place: str = "") -> None:
        amount = max(0.0, float(excess)) / max(1.0, abs(float(rhs)))
        if amount <= TOLERANCE:
            return
        v = Violation(family, where, amount, detail, place)
        self.all.append(v)
        cur = self.worst.get(family)
        if cur is None or amount > cur.amount:
            self.worst[family] = v


def _distance(inst: Instance) -> dict[tuple[str, str], float]:
    ed = inst.economic_distance
    out: dict[tuple[str, str], float] = {}
    if ed.matrix is not None:
        mats = [(1.0, ed.matrix)]
    else:
        mats = [(ed.component_weights.get(k, 1.0), m) for k, m in (ed.components or {}).items()]
    for w, m in mats:
        for i, a in enumerate(m.regions):
            for j, b in enumerate(m.regions):
                out[(a, b)] = out.get((a, b), 0.0) + w * m.values[i][j]
    return out


def read_layout_dir(path: str | Path) -> tuple[pd.DataFrame, pd.DataFrame | None, pd.DataFrame | None]:
    """Read layout.csv (required), flows.csv and expansions.csv (optional) from a directory or file."""
    path = Path(path)
    layout_file = path / "layout.csv" if path.is_dir() else path
    if not layout_file.exists():
        raise InstanceError([Problem(str(layout_file), "", "missing file", "a layout.csv written by `yrdopt solve`, or a baseline layout")])
    base = layout_file.parent
    layout = _read_table(layout_file, ["chain", "segment", "region", "activity"], ["activity"])
    flows = exps = None
    if path.is_dir() and (base / "flows.csv").exists():
        flows = _read_table(base / "flows.csv", ["chain", "from_segment", "to_segment", "from_region", "to_region",
                                                 "volume"], ["volume"])
        if not len(flows):
            flows = None  # a header only: route the flows instead of reading "nothing shipped"
    if path.is_dir() and (base / "expansions.csv").exists():
        exps = _read_table(base / "expansions.csv", ["region", "option", "taken"], [])
    return layout, flows, exps


def _read_table(file: Path, columns: list[str], numeric: list[str]) -> pd.DataFrame:
    """A CSV with the named columns, numeric ones parsed, or an InstanceError naming the cell."""
    try:
        df = pd.read_csv(file)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise InstanceError([Problem(str(file), "", type(exc).__name__, f"a CSV table ({exc})")]) from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise InstanceError([Problem(str(file), "header", list(df.columns), f"columns {columns} (missing {missing})")])
    for col in numeric:
        values = pd.to_numeric(df[col], errors="coerce")
        bad = values.isna() | ~np.isfinite(values.fillna(0.0))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise InstanceError([Problem(str(file), f"row {i + 2}, column {col}", df[col].iloc[i], "a finite number")])
        df[col] = values.astype(float)
    for col in df.columns:
        if col in columns and col not in numeric:
            df[col] = df[col].astype(str)
    return df


def read_park_tables(path: str | Path) -> tuple[pd.DataFrame | None, pd.DataFrame | None]:
    """parks.csv and park_activity.csv of a solution directory (None where absent)."""
    path = Path(path)
    if not path.is_dir():
        return None, None
    parks = park_act = None
    if (path / "parks.csv").exists():
        parks = _read_table(path / "parks.csv", ["park", "opened"], [])
    if (path / "park_activity.csv").exists():
        park_act = _read_table(path / "park_activity.csv", ["park", "chain", "segment", "activity"], ["activity"])
    return parks, park_act


def _truthy(v) -> bool:
    return str(v).strip().lower() in ("1", "true", "1.0", "yes")


def check_layout(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None = None,
                 expansions: pd.DataFrame | None = None, file: str = "layout",
                 parks: pd.DataFrame | None = None, park_activity: pd.DataFrame | None = None) -> CheckReport:
    """Recompute feasibility and every objective term of a layout (enclave parks from
    ``parks`` / ``park_activity`` when given; without them only existing parks are open)."""
    rec = _Recorder(inst)
    at = rec.places
    regions = {r.id: r for r in inst.regions}
    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    _validate_layout_ids(layout, regions, seg, file)

    layout = layout.copy()
    layout["activity"] = layout["activity"].astype(float)
    if "sited" not in layout.columns:
        layout["sited"] = layout["activity"] > 0
    layout["sited"] = layout["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])
    act = layout.groupby(["chain", "segment", "region"])["activity"].sum().to_dict()
    sited = {k for k, v in layout.groupby(["chain", "segment", "region"])["sited"].any().items() if v}

    # demand, site capacity, min scale, allowed/fixed, site counts
    existing = existing_sites(inst)
    forbidden = {(p.chain, p.segment, p.region) for p in inst.policy.forbidden}
    fixed = {(p.chain, p.segment, p.region) for p in inst.policy.fixed}
    limits = {(x.chain, x.segment): x for x in inst.policy.site_limits}
    n_sites_total = 0  # sites that host activity: a site is where activity is placed
    n_token = 0  # of them, those with less than TOKEN_SHARE of their segment's activity
    duplicated = duplicated_segments_without_token = 0
    dup_excess = 0.0
    fixed_cost = site_cost = 0.0
    for (cid, sid), s in seg.items():
        total = sum(act.get((cid, sid, r), 0.0) for r in regions)
        rec.add("demand", f"{cid}/{sid}", abs(total - s.activity), s.activity,
                f"placed {total:.6g}, must place {s.activity:.6g}", at.segment(cid, sid))
        n = hosting = token = 0
        for rid in regions:
            a = act.get((cid, sid, rid), 0.0)
            on = (cid, sid, rid) in sited
            rec.add("activity_nonnegative", f"{cid}/{sid} in {rid}", -a, 0.0, f"activity {a:.6g} < 0",
                    at.site(cid, sid, rid))
            if not on:
                rec.add("site_capacity", f"{cid}/{sid} in {rid}", a, 0.0, f"activity {a:.6g} without a site",
                        at.site(cid, sid, rid))
            else:
                n += 1
                hosting += a > TOLERANCE * max(1.0, s.activity)
                token += TOLERANCE * max(1.0, s.activity) < a < TOKEN_SHARE * s.activity
                # an existing site smaller than the minimum scale may keep today's size
                ms = (grandfathered_min_scale(s, existing[(cid, sid, rid)], inst.brownfield.min_kept_share)
                      if (cid, sid, rid) in existing else s.min_scale)
                rec.add("min_scale", f"{cid}/{sid} in {rid}", ms - a, ms,
                        f"activity {a:.6g} below minimum scale {ms:.6g}", at.site(cid, sid, rid))
                if (cid, sid, rid) not in existing:  # an existing site's opening cost is sunk
                    fixed_cost += s.fixed_cost_by_region.get(rid, s.fixed_cost)
            if on and (cid, sid, rid) in forbidden:
                rec.add("forbidden", f"{cid}/{sid} in {rid}", 1.0, 0.0, "site in a forbidden region",
                        at.site(cid, sid, rid))
            if not on and (cid, sid, rid) in fixed:
                rec.add("fixed", f"{cid}/{sid} in {rid}", 1.0, 0.0, "fixed placement without a site",
                        at.site(cid, sid, rid))
            site_cost += s.site_cost.get(rid, s.site_cost_default) * a
        n_sites_total += hosting
        n_token += token
        lo, hi = 1, (1 if s.single_site else len(regions))
        if (cid, sid) in limits:
            lim = limits[(cid, sid)]
            lo = max(lo, lim.min_sites)
            hi = min(hi, lim.max_sites if lim.max_sites is not None else hi)
        rec.add("site_count", f"{cid}/{sid}", max(lo - n, n - hi), max(lo, 1),
                f"{counted(n, 'site')}, allowed {lo}..{hi}" + (" (single-site)" if s.single_site else ""), at.segment(cid, sid))
        if hosting > 1:
            duplicated += 1
        if hosting - token > 1:
            duplicated_segments_without_token += 1
        dup_excess += max(0, n - s.duplication_tolerance)

    # expansions and quotas
    taken: set[tuple[str, str]] = set()
    if expansions is not None and len(expansions):
        for row in expansions.itertuples(index=False):
            if str(getattr(row, "taken", 1)).lower() in ("1", "true", "1.0", "yes"):
                taken.add((str(row.region), str(row.option)))
    known = {(rid, o.id) for rid, r in regions.items() for o in r.expansions}
    if taken - known:
        raise InstanceError([Problem(f"{file}/expansions.csv", "region/option", sorted(taken - known)[0],
                                     "an expansion option the instance defines for that region")])
    expansion_cost = 0.0
    opened, park_act = _park_state(inst, parks, park_activity, file)
    park_extra: dict[str, dict[str, float]] = {}
    built: list[dict] = []
    for p in inst.enclaves:
        if p.id in opened:
            expansion_cost += p.fixed_cost
            if p.fixed_cost:
                built.append({"park": p.id, "region": p.host, "partner": p.partner, "cost": float(p.fixed_cost),
                              **({"name": p.name.strip()} if p.name else {})})  # the name planners know it by
            for k, v in p.extra_quota.items():
                park_extra.setdefault(p.host, {})[k] = park_extra.setdefault(p.host, {}).get(k, 0.0) + v
    for rid, r in regions.items():
        extra: dict[str, float] = dict(park_extra.get(rid, {}))
        for o in r.expansions:
            if (rid, o.id) in taken:
                expansion_cost += o.fixed_cost
                if o.fixed_cost:
                    built.append({"expansion": o.id, "region": rid, "cost": float(o.fixed_cost)})
                for k, v in o.extra_quota.items():
                    extra[k] = extra.get(k, 0.0) + v
        for k, q in r.quotas.items():
            used = 0.0
            for (cid, sid), s in seg.items():
                a = act.get((cid, sid, rid), 0.0)
                if a:
                    use = s.resource_use_by_region.get(rid, {}).get(k, s.resource_use.get(k, 0.0))
                    used += use * a
                if (cid, sid, rid) in sited:  # the site's footprint, whatever its activity
                    used += s.site_footprint_by_region.get(rid, {}).get(k, s.site_footprint.get(k, 0.0))
            cap = q + extra.get(k, 0.0)
            unit = f" {at.units[k]}" if at.units.get(k) else ""
            rec.add("quota", f"{rid} {k}", used - cap, cap, f"uses {used:.6g} of {cap:.6g}{unit}", at.quota(rid, k))

    # enclave parks and guarantees (credited value)
    _check_parks(inst, opened, park_act, act, parks, park_activity, rec)
    shortfall_cost = _check_guarantees(inst, act, park_act, rec)

    # flows and distance
    dist = _distance(inst)
    flows_given = flows is not None
    if not flows_given:
        flows = route_flows(inst, act, dist)
    distance_term = _check_flows(inst, act, flows, dist, rec)

    change_term = check_transition(inst, act, sited, rec)["change"] if inst.brownfield is not None else 0.0

    raw = {
        "distance": distance_term,
        "site_cost": site_cost,
        "fixed_cost": fixed_cost,
        "duplication": dup_excess,
        "expansion": expansion_cost,
        "guarantee_shortfall": shortfall_cost,
        "change": change_term,
    }
    w = inst.weights.model_dump()
    comps = {k: w[k] * v for k, v in raw.items()}
    max_v = max((v.amount for v in rec.worst.values()), default=0.0)
    return CheckReport(
        verified=max_v <= TOLERANCE,
        max_violation=max_v,
        objective=float(sum(comps.values())),
        components=comps,
        components_raw=raw,
        worst=rec.worst,
        n_violations=rec.count,
        violations=sorted(rec.all, key=lambda v: -v.amount),
        flows_given=flows_given,
        sites=n_sites_total,
        duplicated_segments=duplicated,
        token_sites=n_token,
        duplicated_segments_without_token=duplicated_segments_without_token,
        built=built,
    )


# ------------------------------------------------------------------ transition (issue 14)
def existing_sites(inst: Instance) -> dict:
    """(chain, segment, region) -> the ExistingSite of today's layout (empty when greenfield)."""
    if inst.brownfield is None:
        return {}
    return {(e.chain, e.segment, e.region): e for e in inst.brownfield.existing}


def grandfathered_min_scale(segment, site, min_kept_share: float = 0.0, before: float | None = None) -> float:
    """An existing site's least activity while open: its own min_scale if given, else the
    segment's, or today's activity if that is smaller (it may keep its size) — and at least
    ``min_kept_share`` of its activity in the period before (``before``; today's by default):
    emptied below that, a site is closed (formulation.md sections 12 and 13, P7)."""
    if site.min_scale is not None:
        return site.min_scale
    before = site.activity if before is None else before
    floor = max(min(segment.min_scale, site.activity), min_kept_share * before)
    return floor if site.capacity is None else min(floor, site.capacity)


def transition_rows(inst: Instance, act: dict, sited: set) -> list[dict]:
    """Every site that exists today or after the change, with its status and what the
    change costs, recomputed from the instance and the layout alone."""
    existing = existing_sites(inst)
    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    costs = inst.brownfield.costs if inst.brownfield is not None else None
    rows = []
    for key in sorted(set(existing) | set(sited), key=lambda k: (k[0], k[1], k[2])):
        cid, sid, rid = key
        s = seg[(cid, sid)]
        before = existing[key].activity if key in existing else 0.0
        after = act.get(key, 0.0) if key in sited else 0.0
        kind_costs = costs.by_kind.get(s.kind) if costs is not None else None
        close = (kind_costs.close_per_site if kind_costs and kind_costs.close_per_site is not None
                 else (costs.close_per_site if costs else 0.0))
        shrink = (kind_costs.shrink_per_unit if kind_costs and kind_costs.shrink_per_unit is not None
                  else (costs.shrink_per_unit if costs else 0.0))
        opening = closing = shrinking = 0.0
        if key not in existing:
            status = "opened"
            opening = s.fixed_cost_by_region.get(rid, s.fixed_cost)
        elif key not in sited:
            status, closing, shrinking = "closed", close, shrink * before
        else:  # kept, grown or shrunk: a change below site_change.KEEP_SHARE is none
            status = site_status(before, after, True)
            shrinking = shrink * max(before - after, 0.0)
        rows.append({"chain": cid, "segment": sid, "region": rid, "status": status, "activity_before": before,
                     "activity_after": after, "opening_cost": opening, "closing_cost": closing,
                     "shrink_cost": shrinking, "cost": opening + closing + shrinking})
    return rows


def check_transition(inst: Instance, act: dict, sited: set, rec: _Recorder) -> dict:
    """Protected sites, capacities and change budgets; returns the change term (closure and
    shrink costs) and the counts the budgets limit."""
    bf = inst.brownfield
    assert bf is not None
    existing = existing_sites(inst)
    province = {r.id: r.province for r in inst.regions}
    rows = transition_rows(inst, act, sited)
    for p in bf.protected:
        if (p.chain, p.segment, p.region) not in sited:
            rec.add("protected", f"{p.chain}/{p.segment} in {p.region}", 1.0, 0.0, "a protected site closes",
                    rec.places.site(p.chain, p.segment, p.region))
    for key, e in existing.items():
        if e.capacity is not None and key in sited:
            a = act.get(key, 0.0)
            rec.add("existing_capacity", f"{key[0]}/{key[1]} in {key[2]}", a - e.capacity, e.capacity,
                    f"activity {a:.6g} above the site's capacity {e.capacity:.6g}", rec.places.site(*key))
    seg_total = {(c.id, s.id): s.activity for c in inst.chains for s in c.segments}
    today: dict[tuple[str, str], float] = {}
    for (cid, sid, _), e in existing.items():
        today[(cid, sid)] = today.get((cid, sid), 0.0) + e.activity
    forced = sum(max(0.0, v - seg_total[k]) for k, v in today.items())
    scopes = [("area", None, bf.budget)] + [(p, p, lim) for p, lim in bf.budget.by_province.items()]
    counts = {}
    for name, prov, lim in scopes:
        inside = [r for r in rows if prov is None or province[r["region"]] == prov]
        opened = sum(r["status"] == "opened" for r in inside)
        closed = sum(r["status"] == "closed" for r in inside)
        moved = sum(max(0.0, r["activity_before"] - r["activity_after"]) for r in inside)
        base = sum(e.activity for k, e in existing.items() if prov is None or province[k[2]] == prov)
        counts[name] = {"opened": opened, "closed": closed, "moved": moved, "today": base}
        if lim.max_opened is not None:
            rec.add("change_opened", name, opened - lim.max_opened, lim.max_opened,
                    f"{counted(opened, *BUDGET_COUNTS['max_opened'])}, at most {lim.max_opened}", rec.places.scope(name))
        if lim.max_closed is not None:
            rec.add("change_closed", name, closed - lim.max_closed, lim.max_closed,
                    f"{counted(closed, *BUDGET_COUNTS['max_closed'])}, at most {lim.max_closed}", rec.places.scope(name))
        if lim.max_moved_share is not None:
            cap = lim.max_moved_share * base + forced
            rec.add("change_moved", name, moved - cap, cap,
                    f"moves {moved:.6g} of today's {base:.6g}, at most {cap:.6g}", rec.places.scope(name))
    change = sum(r["closing_cost"] + r["shrink_cost"] for r in rows)
    return {"change": change, "rows": rows, "counts": counts}


def check_transition_table(inst: Instance, layout: pd.DataFrame, table: pd.DataFrame, file: str,
                           period: str = "", before: str = "today's", after: str = "the layout's") -> list[Violation]:
    """Each row of a written transition.csv (``file``) that differs from the one recomputed from
    the layout, named by its site (``period: chain/segment in region``) with both values, each
    column said with what it is (``before``/``after``: whose activity, "today's", "2035's")."""
    lay = layout.copy()
    lay["activity"] = lay["activity"].astype(float)
    on = lay["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"]) if "sited" in lay else lay["activity"] > 0
    act = lay.groupby(["chain", "segment", "region"])["activity"].sum().to_dict()
    sited = {k for k, v in lay.assign(on=on).groupby(["chain", "segment", "region"])["on"].any().items() if v}
    want = {(r["chain"], r["segment"], r["region"]): r for r in transition_rows(inst, act, sited)}
    got = {(str(r.chain), str(r.segment), str(r.region)): r for r in table.itertuples(index=False)}
    out = []
    name = Path(file).name
    places = Places(inst)
    for key in sorted(set(want) | set(got)):
        where, place = f"{period}{key[0]}/{key[1]} in {key[2]}", f"{period}{places.site(*key)}"
        differs = lambda detail: out.append(Violation("transition_table", where, 1.0, detail, place))  # noqa: E731
        if key not in got:
            differs(f"missing from {name} (recomputed from the layout: {want[key]['status']})")
        elif key not in want:
            differs(f"listed in {name} but neither exists before nor after the change")
        else:
            w, g = want[key], got[key]
            # between round-off and the widest keep band either word holds (results of the earlier rules)
            said = ({w["status"]} if w["status"] in ("opened", "closed")
                    else accepted_statuses(w["activity_before"], w["activity_after"]))
            if str(g.status) not in said:
                differs(f"{name} says {g.status}, recomputed from the layout: {w['status']}")
            for col in ("activity_before", "activity_after", "cost"):
                if abs(float(getattr(g, col)) - w[col]) > 1e-6 * max(1.0, abs(w[col])):
                    # the column by its name (the file's reader looks for it) and what it is
                    differs(f"{name} says {transition_column_words(col, before, after)} ({col}) is "
                            f"{getattr(g, col)}, recomputed from the layout: {w[col]:.10g}")
    return out


def _validate_written_ids(inst: Instance, layout: pd.DataFrame, path: str | Path) -> None:
    """The ids of a layout read from ``path`` (a directory or a CSV), each problem named with the CSV
    itself and its row there (a plan's periods are checked one by one later: a row of one period would be
    named by the directory and its row within that period)."""
    file = Path(path) / "layout.csv" if Path(path).is_dir() else Path(path)
    _validate_layout_ids(layout, {r.id: r for r in inst.regions},
                         {(c.id, s.id): s for c in inst.chains for s in c.segments}, str(file))


def _validate_layout_ids(layout: pd.DataFrame, regions: dict, seg: dict, file: str) -> None:
    problems = []
    phased = "period" in layout.columns  # a plan's row says its milestone too
    for i, row in enumerate(layout.itertuples(index=False), start=2):
        at = f"row {i}" + (f" (period {row.period})" if phased else "")
        if (str(row.chain), str(row.segment)) not in seg:
            problems.append(Problem(file, f"{at}, chain/segment", f"{row.chain}/{row.segment}", "a segment of the instance"))
        if str(row.region) not in regions:
            problems.append(Problem(file, f"{at}, region", row.region, "a region id of the instance"))
        try:
            a = float(row.activity)
            if not np.isfinite(a):
                raise ValueError
        except (TypeError, ValueError):
            problems.append(Problem(file, f"{at}, activity", row.activity, "a finite number"))
    if problems:
        raise InstanceError(problems)


def _check_flows(inst: Instance, act: dict, flows: pd.DataFrame, dist: dict, rec: _Recorder) -> float:
    """Flow balance of every link in every region, and the distance term, from the flow table."""
    key = ["chain", "from_segment", "to_segment"]
    out = flows.groupby(key + ["from_region"])["volume"].sum().to_dict() if len(flows) else {}
    inn = flows.groupby(key + ["to_region"])["volume"].sum().to_dict() if len(flows) else {}
    regions = [r.id for r in inst.regions]
    intensity: dict[tuple[str, str, str], float] = {}
    for c in inst.chains:
        acts = {s.id: s.activity for s in c.segments}
        for link in c.links:
            up, down = link.from_.split("/")[-1], link.to.split("/")[-1]
            intensity[(c.id, up, down)] = link.transport_intensity
            factor = link.volume_per_unit * acts[up] / acts[down]
            for rid in regions:
                shipped = out.get((c.id, up, down, rid), 0.0)
                need_out = link.volume_per_unit * act.get((c.id, up, rid), 0.0)
                rec.add("flow_out", f"{c.id}: {up}->{down} from {rid}", abs(shipped - need_out), need_out,
                        f"ships {shipped:.6g}, produces {need_out:.6g}",
                        f"{rec.places.link(c.id, up, down)}, from {rec.places.region(rid)}")
                received = inn.get((c.id, up, down, rid), 0.0)
                need_in = factor * act.get((c.id, down, rid), 0.0)
                rec.add("flow_in", f"{c.id}: {up}->{down} into {rid}", abs(received - need_in), need_in,
                        f"receives {received:.6g}, needs {need_in:.6g}",
                        f"{rec.places.link(c.id, up, down)}, into {rec.places.region(rid)}")
    if not len(flows):
        return 0.0
    links = list(zip(flows["chain"], flows["from_segment"], flows["to_segment"]))
    pairs = list(zip(flows["from_region"], flows["to_region"]))
    volume = flows["volume"].to_numpy(dtype=float)
    unknown = [i for i, k in enumerate(links) if k not in intensity or pairs[i] not in dist]
    for i in unknown[:1]:
        rec.add("flow_link", f"{links[i]} {pairs[i]}", 1.0, 0.0, "a flow on a link or region pair the instance does not have",
                f"{rec.places.link(*links[i])}, {rec.places.region(pairs[i][0])} to {rec.places.region(pairs[i][1])}")
    worst = int(np.argmin(volume))
    rec.add("flow_nonnegative", f"{links[worst][0]}: {pairs[worst][0]}->{pairs[worst][1]}", -volume[worst], 0.0,
            f"flow {volume[worst]:.6g} < 0", f"{rec.places.link(*links[worst])}, {rec.places.region(pairs[worst][0])} "
            f"to {rec.places.region(pairs[worst][1])}")
    cost = np.array([intensity.get(k, 0.0) * dist.get(p, 0.0) for k, p in zip(links, pairs)])
    return float(cost @ volume)


def route_flows(inst: Instance, act: dict, dist: dict) -> pd.DataFrame:
    """Cheapest flows for given activities: one transportation LP per link (scipy)."""
    from scipy.optimize import linprog

    rows = []
    for c in inst.chains:
        acts = {s.id: s.activity for s in c.segments}
        for link in c.links:
            up, down = link.from_.split("/")[-1], link.to.split("/")[-1]
            src = [(r, link.volume_per_unit * a) for (cc, ss, r), a in act.items() if cc == c.id and ss == up and a > 0]
            factor = link.volume_per_unit * acts[up] / acts[down]
            dst = [(r, factor * a) for (cc, ss, r), a in act.items() if cc == c.id and ss == down and a > 0]
            if not src or not dst:
                continue
            n, m = len(src), len(dst)
            cost = np.array([[dist[(a, b)] for b, _ in dst] for a, _ in src]).ravel()
            A_eq = np.zeros((n + m, n * m))
            for i in range(n):
                A_eq[i, i * m:(i + 1) * m] = 1
            for j in range(m):
                A_eq[n + j, j::m] = 1
            supply, demand = np.array([v for _, v in src]), np.array([v for _, v in dst])
            demand *= supply.sum() / demand.sum()  # absorbs any demand mismatch; the checker reports it separately
            res = linprog(cost, A_eq=A_eq, b_eq=np.concatenate([supply, demand]), bounds=(0, None), method="highs")
            x = res.x.reshape(n, m) if res.success else np.outer(supply, demand) / supply.sum()
            for i, (a, _) in enumerate(src):
                for j, (b, _) in enumerate(dst):
                    if x[i, j] > 1e-12:
                        rows.append((c.id, up, down, a, b, x[i, j]))
    return pd.DataFrame(rows, columns=["chain", "from_segment", "to_segment", "from_region", "to_region", "volume"])


def check_dir(inst: Instance, path: str | Path) -> CheckReport:
    """Check a written layout and, when the directory has a summary.json, its claims."""
    layout, flows, exps = read_layout_dir(path)
    _validate_written_ids(inst, layout, path)
    parks, park_act = read_park_tables(path)
    table = Path(path) / "transition.csv"
    has_table = Path(path).is_dir() and table.exists() and inst.brownfield is not None
    cols = ["chain", "segment", "region", "status", "activity_before", "activity_after", "cost"]
    diffs = []
    counts = {}  # the checked rows' counts, by year (None: one period), that summary.json must state
    if inst.periods is not None:
        report = check_phased(inst, layout, flows, exps, file=str(path), parks=parks, park_activity=park_act)
        if has_table:  # each period's rows against the layout of the period before (today's first)
            from .phasing import written_periods

            written = _read_table(table, ["period", *cols], ["period", *cols[4:]])
            before = "today's"
            for p in written_periods(inst, layout, flows, exps, parks, park_act):
                rows = written[written["period"].astype(int) == p.year]
                diffs += check_transition_table(p.instance, p.layout, rows, str(table), f"{p.year}: ", before,
                                                f"{p.year}'s")
                before = f"{p.year}'s"
                counts[p.year] = transition_counts(rows)
    else:
        report = check_layout(inst, layout, flows, exps, file=str(path), parks=parks, park_activity=park_act)
        if has_table:
            rows = _read_table(table, cols, cols[4:])
            diffs = check_transition_table(inst, layout, rows, str(table))
            counts[None] = transition_counts(rows)
    if diffs:
        report.verified = False
        report.worst["transition_table"] = diffs[0]
        report.max_violation = max(report.max_violation, 1.0)
        report.violations = sorted(report.violations + diffs, key=lambda v: -v.amount)
        report.n_violations = len(report.violations)
    summary_file = Path(path) / "summary.json"
    if Path(path).is_dir() and summary_file.exists():
        import json

        try:
            summary = json.loads(summary_file.read_text())
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise InstanceError([Problem(str(summary_file), "", type(exc).__name__, f"a JSON object ({exc})")]) from None
        if not isinstance(summary, dict):
            raise InstanceError([Problem(str(summary_file), "", type(summary).__name__, "a JSON object")])
        report.add_claims(summary, counts)
    return report


# ------------------------------------------------------------------ benefit sharing
def _park_state(inst: Instance, parks: pd.DataFrame | None, park_activity: pd.DataFrame | None,
                file: str) -> tuple[set[str], dict[tuple[str, str, str], float]]:
    """Opened parks (existing ones always) and park activity per (park, chain, segment)."""
    known = {p.id for p in inst.enclaves}
    opened = {p.id for p in inst.enclaves if p.existing}
    if parks is not None:
        for i, row in enumerate(parks.itertuples(index=False), start=2):
            if str(row.park) not in known:
                raise InstanceError([Problem(f"{file}/parks.csv", f"row {i}, park", row.park,
                                             "an enclave park of the instance")])
            if _truthy(row.opened):
                opened.add(str(row.park))
    park_act: dict[tuple[str, str, str], float] = {}
    if park_activity is not None:
        for i, row in enumerate(park_activity.itertuples(index=False), start=2):
            if str(row.park) not in known:
                raise InstanceError([Problem(f"{file}/park_activity.csv", f"row {i}, park", row.park,
                                             "an enclave park of the instance")])
            key = (str(row.park), str(row.chain), str(row.segment))
            park_act[key] = park_act.get(key, 0.0) + float(row.activity)
    return opened, park_act


def _check_parks(inst: Instance, opened: set[str], park_act: dict, act: dict, parks: pd.DataFrame | None,
                 park_activity: pd.DataFrame | None, rec: _Recorder) -> None:
    """Each park: open if it hosts anything, within capacity and its kinds, inside its host's
    activity; the written value split and cost split equal the instance's shares."""
    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    by_id = {p.id: p for p in inst.enclaves}
    at = rec.places
    for p in inst.enclaves:
        mine = {(c, s): a for (n, c, s), a in park_act.items() if n == p.id}
        total = sum(mine.values())
        cap = p.capacity if p.id in opened else 0.0
        rec.add("park_capacity", p.id, total - cap, p.capacity,
                f"hosts {total:.6g}, capacity {cap:.6g}" + ("" if p.id in opened else " (not opened)"), at.park(p.id))
        for (c, s), a in mine.items():
            place = f"{at.park(p.id)}: {at.segment(c, s)}"
            if (c, s) not in seg:
                rec.add("park_segment", f"{p.id}: {c}/{s}", 1.0, 0.0, "a segment the instance does not have", place)
                continue
            rec.add("park_activity_nonnegative", f"{p.id}: {c}/{s}", -a, 0.0, f"activity {a:.6g} < 0", place)
            if p.kinds and seg[(c, s)].kind not in p.kinds and a > 0:
                rec.add("park_kinds", f"{p.id}: {c}/{s}", a, 0.0,
                        f"a segment of kind {kind_words(seg[(c, s)].kind)}, the park takes "
                        f"{' and '.join(kind_words(k) for k in p.kinds)} only", place)
            host_a = act.get((c, s, p.host), 0.0)
            rec.add("park_in_host", f"{p.id}: {c}/{s}", a - host_a, host_a,
                    f"park hosts {a:.6g}, its host {at.region(p.host)} only {host_a:.6g}", place)
    # the split written beside each park's value must be the declared one, exactly
    pi = {p.id: p.partner_share for p in inst.enclaves}
    if park_activity is not None and {"value", "host_value", "partner_value"} <= set(park_activity.columns):
        for row in park_activity.itertuples(index=False):
            key = (str(row.chain), str(row.segment))
            if str(row.park) not in pi or key not in seg:
                continue
            value = float(row.activity) * seg[key].value_per_unit
            share = pi[str(row.park)]
            for col, want in (("value", value), ("host_value", value * (1 - share)),
                              ("partner_value", value * share)):
                got = float(getattr(row, col))
                rec.add("enclave_split", f"{row.park}: {row.chain}/{row.segment} {col}", abs(got - want), want,
                        f"written {got:.10g}, the declared split gives {want:.10g}",
                        f"{at.park(str(row.park))}: {at.segment(*key)}, {col.replace('_', ' ')}")
    if parks is not None and {"host_cost", "partner_cost"} <= set(parks.columns):
        for row in parks.itertuples(index=False):
            p = by_id.get(str(row.park))
            if p is None:
                continue
            cost = p.fixed_cost if p.id in opened else 0.0
            for col, want in (("host_cost", cost * p.cost_split.host), ("partner_cost", cost * p.cost_split.partner)):
                got = float(getattr(row, col))
                rec.add("enclave_cost_split", f"{p.id} {col}", abs(got - want), max(cost, 1.0),
                        f"written {got:.10g}, the declared cost split gives {want:.10g}",
                        f"{at.park(p.id)}, {col.replace('_', ' ')}")


def credited_values(inst: Instance, act: dict, park_act: dict) -> pd.DataFrame:
    """Value per region and segment: hosted, and credited after enclave sharing.

    Columns region, province, chain, segment, kind, hosted, credited.  A park's value moves
    from its host to its partner by the park's partner share."""
    regions = {r.id: r for r in inst.regions}
    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    val: dict[tuple[str, str, str], list[float]] = {}
    for (c, s, r), a in act.items():
        if (c, s) in seg and r in regions:
            v = val.setdefault((r, c, s), [0.0, 0.0])
            v[0] += a * seg[(c, s)].value_per_unit
            v[1] += a * seg[(c, s)].value_per_unit
    by_id = {p.id: p for p in inst.enclaves}
    for (n, c, s), a in park_act.items():
        if n not in by_id or (c, s) not in seg:
            continue
        p = by_id[n]
        moved = a * seg[(c, s)].value_per_unit * p.partner_share
        val.setdefault((p.host, c, s), [0.0, 0.0])[1] -= moved
        val.setdefault((p.partner, c, s), [0.0, 0.0])[1] += moved
    rows = [(r, regions[r].province, c, s, seg[(c, s)].kind, h, cr) for (r, c, s), (h, cr) in val.items()]
    return pd.DataFrame(rows, columns=["region", "province", "chain", "segment", "kind", "hosted", "credited"])


def chains_present(inst: Instance, act: dict, regions: set, kinds=()) -> set[str]:
    """The chains present in ``regions`` (a guarantee's target): those whose segments of ``kinds``
    (all if empty) run there, summed over its sites, at least
    :data:`yrdopt.model.guarantees.PRESENT_SHARE` of one segment's activity (each segment counted in
    its own share); an empty site is no presence (formulation.md section 10)."""
    from .model.guarantees import PRESENT_SHARE

    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    presence: dict[str, float] = {}
    for (c, s, r), a in act.items():
        sg = seg.get((c, s))
        if sg is None or r not in regions or (kinds and sg.kind not in kinds) or sg.activity <= 0:
            continue
        presence[c] = presence.get(c, 0.0) + max(a, 0.0) / (PRESENT_SHARE * sg.activity)
    return {c for c, p in presence.items() if p >= 1.0 - TOLERANCE}


def _check_guarantees(inst: Instance, act: dict, park_act: dict, rec: _Recorder) -> float:
    """Every guarantee (policy.province_min_share as hard min_share ones) on credited value;
    returns the shortfall cost of the soft ones."""
    items = inst.policy.all_guarantees()
    if not items:
        return 0.0
    values = credited_values(inst, act, park_act)
    total = sum(s.value_per_unit * s.activity for c in inst.chains for s in c.segments)
    province_of = {r.id: r.province for r in inst.regions}
    cost = 0.0
    for path, g in items:
        mine = values["province"] == g.province if g.province is not None else values["region"] == g.region
        if g.kinds:
            mine &= values["kind"].isin(g.kinds)
        if g.measure == "min_chains":  # by activity: a site with nothing in it counts no chain
            target = {r for r, p in province_of.items() if (p == g.province if g.province is not None else r == g.region)}
            got = len(chains_present(inst, act, target, g.kinds))
            need, short = g.value, max(0.0, g.value - got)
            detail = f"present in {counted(got, 'chain')}, needs {g.value:g}"
        else:
            got = float(values.loc[mine, "credited"].sum())
            need = g.value * total if g.measure in ("min_share", "max_share") else g.value
            short = max(0.0, got - need) if g.measure == "max_share" else max(0.0, need - got)
            detail = f"credited value {got:.6g}, {'at most' if g.measure == 'max_share' else 'needs'} {need:.6g}"
        if g.penalty is None:
            rec.add("guarantee", f"{path} ({g.label})", short, need, detail, guarantee_words(g, inst))
        else:
            cost += g.penalty * short
    return cost



# ------------------------------------------------------------------ periods (issue 14)
def _built_words(what, places: Places) -> str:
    """An expansion taken ((region, option)) or a park (its id) built in an earlier period, by name."""
    if isinstance(what, tuple):
        return f"expansion {what[1]} at {places.region(what[0])}"
    return places.park(what)


def check_written_period(p, file: str = "layout") -> CheckReport:
    """Period ``p`` of a written plan (:func:`yrdopt.phasing.written_periods`) checked as its own
    brownfield instance, from the plan's layout of the period before: its terms undiscounted."""
    ex = p.expansions
    if ex is not None:  # parks built earlier are part of the quotas now
        ex = ex[[(str(r), str(o)) not in p.taken_before for r, o in zip(ex["region"], ex["option"])]]
    fl = p.flows
    return check_layout(p.instance, p.layout, fl if fl is not None and len(fl) else None, ex, file=f"{file} ({p.year})",
                        parks=p.parks, park_activity=p.park_activity)


def check_period(inst: Instance, path: str | Path, year: int) -> CheckReport:
    """Milestone ``year`` of a plan written in ``path``, checked as :func:`check_phased` checks
    each period (its terms undiscounted; the plan's other periods are not checked here)."""
    from .phasing import written_periods

    layout, flows, exps = read_layout_dir(path)
    _validate_written_ids(inst, layout, path)
    parks, park_act = read_park_tables(path)
    years = [m.year for m in inst.periods.milestones] if inst.periods is not None else []
    if "period" not in layout.columns or int(year) not in years:
        raise InstanceError([Problem(str(path), "period", year, f"a milestone year of a plan over periods ({years})")])
    return next(check_written_period(p, str(path)) for p in written_periods(inst, layout, flows, exps, parks, park_act)
                if p.year == int(year))


def check_phased(inst: Instance, layout: pd.DataFrame, flows: pd.DataFrame | None = None,
                 expansions: pd.DataFrame | None = None, file: str = "layout", parks: pd.DataFrame | None = None,
                 park_activity: pd.DataFrame | None = None) -> CheckReport:
    """Every period re-checked as its own brownfield instance starting from the previous
    period's written layout (:func:`yrdopt.phasing.period_instance`): quotas, demand, flows,
    budgets, protected and minimum-run sites, every transition cost; parks built stay built.
    The objective is the discounted sum of the periods' objectives."""
    from .phasing import opened_parks, period_years, taken_keys, written_periods

    years, _, disc = period_years(inst)
    if "period" not in layout.columns:
        raise InstanceError([Problem(file, "header", list(layout.columns), "a period column (the instance has periods)")])

    rec = _Recorder(inst)
    reports = []
    for p in written_periods(inst, layout, flows, expansions, parks, park_activity):
        y, ex = p.year, p.expansions
        for what in sorted(p.taken_before - taken_keys(ex)) + sorted(p.built_before - opened_parks(p.parks)):
            rec.add("park_stays", f"{y}: {what}", 1.0, 0.0, "a park built earlier is not open any more",
                    f"{y}: {_built_words(what, rec.places)}")
        rep = check_written_period(p, file)
        reports.append(rep)
        for v in rep.violations:  # every violated row of the period, named with its year
            rec.add(v.constraint, f"{y}: {v.where}", v.amount, 0.0, v.detail, f"{y}: {v.place or v.where}")
    comps: dict[str, float] = {}
    raw: dict[str, float] = {}
    for t, rep in enumerate(reports):
        for k, v in rep.components.items():
            comps[k] = comps.get(k, 0.0) + disc[t] * v
        for k, v in rep.components_raw.items():
            raw[k] = raw.get(k, 0.0) + v
    max_v = max((v.amount for v in rec.worst.values()), default=0.0)
    counts = {}
    if reports:  # where the plan ends, as summary.json's top-level figures (before: sites and token_sites
        last = reports[-1]  # summed over the periods, the duplicated segments the most of any period)
        counts = {"sites": last.sites, "duplicated_segments": last.duplicated_segments, "token_sites": last.token_sites,
                  "duplicated_segments_without_token": last.duplicated_segments_without_token,
                  "sites_period": years[len(reports) - 1]}
    return CheckReport(verified=max_v <= TOLERANCE, max_violation=max_v,
                       objective=float(sum(disc[t] * r.objective for t, r in enumerate(reports))),
                       components=comps, components_raw=raw, worst=rec.worst, n_violations=rec.count,
                       violations=sorted(rec.all, key=lambda v: -v.amount),
                       flows_given=all(r.flows_given for r in reports), **counts,
                       by_period=[{"year": y, "discount": float(disc[t]), "sites": r.sites,
                                   "duplicated_segments": r.duplicated_segments,
                                   "token_sites": r.token_sites, "duplicated_segments_without_token": r.duplicated_segments_without_token,
                                   "terms": dict(r.components), "built": r.built}
                                  for t, (y, r) in enumerate(zip(years, reports))],
                       built=[{**b, "period": y} for y, r in zip(years, reports) for b in r.built])

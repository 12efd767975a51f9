"""Layouts side by side: where they differ, what each costs, how specialised each leaves
the regions.

Reads solution directories (``layout.csv`` and, when present, ``summary.json``).  With
the instance, every layout's objective terms are recomputed by the independent checker
(so hand-written or edited layouts compare on equal terms) and industry mixes are
measured in activity *value* (activity x value_per_unit), which makes chains with
different activity units commensurable; without it, terms come from ``summary.json`` and
mixes from raw activity.

Specialization indices (seed 002, :mod:`yrdopt.analysis.specialization`) are computed on
the region x chain table of each layout: location quotients, the relative Krugman index
of every region against the rest, and the mean inter-regional Krugman index over all
pairs of regions (one number per layout: higher = more division of labour).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InstanceError, Problem, SolverError
from ..io import atomic_write_text, content_hash
from ..schema import TERMS, Instance
from .specialization import (WEIGHTING, interregional_specialization, location_quotients, mean_interregional,
                             relative_specialization, value_table)


@dataclass
class Comparison:
    names: list[str]
    placements: pd.DataFrame  # index "chain/segment"; one column per layout; column "differs"
    terms: pd.DataFrame  # index term (+ total, verified); one column per layout
    duplicated: pd.DataFrame  # layout, segment, regions
    location_quotients: pd.DataFrame  # long: layout, region, chain, lq
    relative: pd.DataFrame  # index region; one column per layout
    interregional_mean: pd.Series  # per layout
    interregional: dict[str, pd.DataFrame]  # per layout: region x region Krugman index
    distances: pd.DataFrame  # pairwise count of differing (segment, region) sites
    weighting: str  # "value" or "activity"
    notes: list[str]

    def differing(self) -> pd.DataFrame:
        return self.placements[self.placements["differs"]].drop(columns="differs")

    def write(self, out: str | Path) -> Path:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        put = lambda name, df, index=True: atomic_write_text(out / name, df.to_csv(index=index, float_format="%.10g"))  # noqa: E731
        put("placements.csv", self.placements)
        put("terms.csv", self.terms)
        put("duplicated.csv", self.duplicated, index=False)
        put("location_quotients.csv", self.location_quotients, index=False)
        put("relative_specialization.csv", self.relative)
        put("distances.csv", self.distances)
        summary = {"layouts": self.names, "weighting": self.weighting, "notes": self.notes,
                   "differing_segments": int(self.placements["differs"].sum()),
                   "mean_interregional_specialization": self.interregional_mean.to_dict(),
                   "terms": json.loads(self.terms.to_json())}
        atomic_write_text(out / "comparison.json", json.dumps(summary, indent=2, ensure_ascii=False))
        return out


def _read(path: Path, period: int | None = None) -> tuple[pd.DataFrame, dict]:
    """A layout and its summary; of a plan over periods, the layout of milestone ``period``."""
    from ..checker import read_layout_dir

    layout, _, _ = read_layout_dir(path)
    summary = {}
    f = path / "summary.json" if path.is_dir() else None
    if f is not None and f.exists():
        try:
            summary = json.loads(f.read_text())
        except json.JSONDecodeError as exc:
            raise InstanceError([Problem(str(f), "", "invalid JSON", f"a summary.json written by yrdopt ({exc})")]) from None
    if "period" in layout.columns:
        years = sorted(int(y) for y in layout["period"].unique())
        if period is None:
            raise InstanceError([Problem(str(path), "layout.csv: period", years,
                                         "a layout of one period: comparing whole phased plans is not supported "
                                         "(compare their transition.csv, or the layouts of one milestone: --period)")])
        if int(period) not in years:
            raise InstanceError([Problem(str(path), "layout.csv: period", years, f"a plan with milestone {period}")])
        layout = layout[layout["period"].astype(int) == int(period)].drop(columns="period").reset_index(drop=True)
    elif period is not None:
        raise InstanceError([Problem(str(path), "layout.csv", "no period column",
                                     f"a plan over milestone periods (period {period} was asked for)")])
    layout = layout.copy()
    if "sited" in layout.columns:
        # a site is where activity is placed (a binary left at 1 with nothing there is no site)
        layout["sited"] = (layout["sited"].astype(str).str.lower().isin(["1", "true", "1.0", "yes"])
                           & (layout["activity"].astype(float) > 0))
    else:
        layout["sited"] = layout["activity"].astype(float) > 0
    layout["activity"] = layout["activity"].astype(float)
    for c in ("chain", "segment", "region"):
        layout[c] = layout[c].astype(str)
    return layout, summary


def _names(paths: list[Path], names: list[str] | None) -> list[str]:
    if names:
        if len(names) != len(paths):
            raise InstanceError([Problem("command line", "--names", names, f"{len(paths)} names, one per layout")])
        return list(names)
    out = []
    for p in paths:
        base = p.name if p.is_dir() else p.stem
        name, k = base, 2
        while name in out:  # two directories called "out" in different places
            name, k = f"{base}~{k}", k + 1
        out.append(name)
    return out


def _hosts(g: pd.DataFrame) -> str:
    total = g["activity"].sum()
    parts = [f"{r} {a / total:.0%}" if total > 0 and len(g) > 1 else r
             for r, a in zip(g["region"], g["activity"])]
    return ", ".join(parts)


def compare_layouts(paths: list[str | Path], *, names: list[str] | None = None,
                    instance: Instance | None = None, period: int | None = None, stop=None) -> Comparison:
    """Compare two or more written layouts.

    With ``period`` (a milestone year), the layouts are plans over periods compared in that
    milestone: each plan's layout of that year, and with the instance its terms of that period
    as :func:`yrdopt.checker.check_period` computes them (undiscounted; the transition into it
    from that plan's own period before).  ``stop`` (a :class:`threading.Event`, set by Ctrl-C in the
    CLI) is looked at before each layout is checked: once set, :class:`SolverError` ends the comparison
    (each check routes flows by LPs: seconds per layout at city scale)."""
    paths = [Path(p) for p in paths]
    if len(paths) < 2:
        raise InstanceError([Problem("command line", "layouts", [str(p) for p in paths], "at least two solution directories")])
    names = _names(paths, names)
    read = {n: _read(p, period) for n, p in zip(names, paths)}
    notes: list[str] = []
    if period is not None:
        notes.append(f"the plans' layouts of {period}; terms are that period's, undiscounted, each plan's transition "
                     "into it from its own period before")

    hashes = {n: s.get("instance", {}).get("hash") for n, (_, s) in read.items()}
    if instance is not None:
        h = content_hash(instance)
        other = [n for n, v in hashes.items() if v and v != h]
        if other:
            notes.append(f"solved for another version of the instance: {', '.join(other)} (terms recomputed for this one)")
    elif len({v for v in hashes.values() if v}) > 1:
        notes.append("the layouts were solved for different instances (summary.json hashes differ)")

    # placements, side by side
    cols = {}
    sited = {}
    for n, (lay, _) in read.items():
        on = lay[lay["sited"]]
        sited[n] = set(zip(on["chain"], on["segment"], on["region"]))
        key = on["chain"] + "/" + on["segment"]
        cols[n] = on.assign(key=key).groupby("key", sort=False)[["region", "activity"]].apply(_hosts)
    placements = pd.DataFrame(cols).fillna("")
    placements.index.name = "segment"
    if instance is not None:  # instance order, and segments no layout hosts
        order = [f"{c.id}/{s.id}" for c in instance.chains for s in c.segments]
        placements = placements.reindex(order + [k for k in placements.index if k not in order]).fillna("")
    sets = {n: {k: frozenset(r for (c, s, r) in sited[n] if f"{c}/{s}" == k) for k in placements.index} for n in names}
    placements["differs"] = [len({sets[n][k] for n in names}) > 1 for k in placements.index]

    # objective terms: recomputed by the checker when the instance is given
    terms = {}
    for n, (lay, summ) in read.items():
        if stop is not None and stop.is_set():
            raise SolverError(f"the comparison stopped before it checked {n}")
        if instance is not None and period is not None:
            from ..checker import check_period

            rep = check_period(instance, paths[names.index(n)], period)
            col = {**rep.components, "total": rep.objective, "verified": rep.verified}
        elif instance is not None:
            from ..checker import check_layout, read_park_tables

            p = paths[names.index(n)]
            flows = pd.read_csv(p / "flows.csv") if p.is_dir() and (p / "flows.csv").exists() else None
            exps = pd.read_csv(p / "expansions.csv") if p.is_dir() and (p / "expansions.csv").exists() else None
            parks, park_act = read_park_tables(p)
            rep = check_layout(instance, lay, flows, exps, file=str(p), parks=parks, park_activity=park_act)
            col = {**rep.components, "total": rep.objective, "verified": rep.verified}
        else:  # summary.json's terms (of a whole plan: not one period's)
            comp = (summ.get("components") or {}) if period is None else {}
            col = {**{t: comp.get(t, np.nan) for t in TERMS}, "total": summ.get("objective", np.nan),
                   "verified": summ.get("verified")}
        terms[n] = col
    if period is not None and instance is None:
        notes.append("no instance given: one period's terms need it (summary.json holds the whole plan's)")
    terms = pd.DataFrame(terms).reindex([*TERMS, "total", "verified"])
    terms.index.name = "term"

    # duplicated segments: more than one site
    dup_rows = []
    for n in names:
        lay = read[n][0]
        on = lay[lay["sited"]]
        for (c, s), g in on.groupby(["chain", "segment"], sort=False):
            if len(g) > 1:
                dup_rows.append({"layout": n, "segment": f"{c}/{s}", "sites": len(g), "regions": ", ".join(g["region"])})
    duplicated = pd.DataFrame(dup_rows, columns=["layout", "segment", "sites", "regions"])

    # specialization on the region x chain table
    # the same industry mix as solve's (value_table); only bare layouts fall back to activity
    weighting = WEIGHTING if instance is not None else "activity"
    if instance is None:
        notes.append("no instance given: industry mixes use raw activity, not value as `solve` does "
                     "(units may differ across chains); give -i INSTANCE")
    tables = {n: value_table(read[n][0], instance) for n in names}
    regions = sorted(set().union(*[t.index for t in tables.values()]))
    chains = sorted(set().union(*[t.columns for t in tables.values()]))
    if instance is not None:
        regions = [r.id for r in instance.regions if r.id in set(regions)]
        chains = [c.id for c in instance.chains if c.id in set(chains)]
    lq_rows, rel, inter, inter_mean = [], {}, {}, {}
    for n, t in tables.items():
        # each layout's own hosting regions, as solve's summary (baseline.specialization_summary):
        # a region another layout uses but this one leaves empty has no industry mix, and its
        # zero row would count as a pair at index 1 and pull this layout's mean down
        t = t.reindex(index=regions, columns=chains, fill_value=0.0)
        t = t[t.sum(axis=1) > 0]
        lq = location_quotients(t)
        lq_rows.append(lq.stack().rename("lq").reset_index().rename(columns={"level_1": "chain"}).assign(layout=n))
        rel[n] = relative_specialization(t)
        inter[n] = interregional_specialization(t)
        inter_mean[n] = mean_interregional(t)
    lqs = pd.concat(lq_rows, ignore_index=True)
    lqs.columns = ["region", "chain", "lq", "layout"]
    lqs = lqs[["layout", "region", "chain", "lq"]]
    relative = pd.DataFrame(rel)
    relative.index.name = "region"

    D = np.array([[len(sited[a] ^ sited[b]) for b in names] for a in names], dtype=int).reshape(len(names), len(names))
    distances = pd.DataFrame(D, index=pd.Index(names, name="layout"), columns=names)
    return Comparison(names, placements, terms, duplicated, lqs, relative, pd.Series(inter_mean, name="mean_interregional"),
                      inter, distances, weighting, notes)

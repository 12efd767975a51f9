"""Charts planners read next to the maps (matplotlib Figures; no pyplot global state).

* :func:`objective_terms_chart` - objective terms of several layouts side by side;
* :func:`pareto_chart` - a trade-off front (points from ``yrdopt pareto``: a CSV or DataFrame);
* :func:`tornado_chart` - a sweep's one-at-a-time sensitivity;
* :func:`frequency_heatmap` - how often each segment sits in each region over a sweep;
* :func:`resource_use_chart` - resource use against quota per region;
* :func:`province_value_chart`, :func:`sites_chart` - who gets which value, how often a segment is duplicated.

The sweep and pareto inputs are written by other commands; the functions accept the few shapes
such tables naturally take (wide or long) and say clearly which columns they expected.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from ..data import build_model_data
from ..errors import InstanceError, Problem
from ..schema import TERMS, Instance
from ..analysis.limit_words import counted
from .maps import PALETTE, sited_rows

USED, OVER, QUOTA = "#4c78a8", "#d62728", "#222222"


def _table(data: pd.DataFrame | str | Path, what: str) -> pd.DataFrame:
    if isinstance(data, pd.DataFrame):
        return data
    p = Path(data)
    if not p.exists():
        raise InstanceError([Problem(str(p), "", "missing file", f"a CSV file of {what}")])
    return pd.read_csv(p)


def _need(df: pd.DataFrame, what: str, options: list[list[str]]) -> list[str]:
    for cols in options:
        if all(c in df.columns for c in cols):
            return cols
    raise InstanceError([Problem(what, "columns", list(map(str, df.columns)),
                                 " or ".join("[" + ", ".join(c) + "]" for c in options))])


# ----------------------------------------------------------------------- objective terms
def objective_terms_chart(layouts: dict[str, dict[str, float]] | pd.DataFrame, *, title: str = "Objective terms (weighted)") -> Figure:
    """Grouped bars: one group per objective term, one bar per layout, totals in the legend.

    ``layouts`` maps a layout name to its ``summary["components"]`` (term -> weighted value),
    or is a DataFrame with one row per layout and one column per term.
    """
    df = layouts if isinstance(layouts, pd.DataFrame) else pd.DataFrame(layouts).T
    df = df.apply(pd.to_numeric, errors="coerce").fillna(0.0)
    terms = [t for t in TERMS if t in df.columns] + [c for c in df.columns if c not in TERMS]
    df = df[terms]
    n = len(df)
    fig = Figure(figsize=(max(6.0, 1.3 * len(terms) + 0.4 * n * len(terms)), 3.8), dpi=100)
    ax = fig.subplots()
    width = 0.8 / max(n, 1)
    x = np.arange(len(terms))
    for i, (name, row) in enumerate(df.iterrows()):
        ax.bar(x + (i - (n - 1) / 2) * width, row.to_numpy(dtype=float), width, color=PALETTE[i % len(PALETTE)],
               label=f"{name} (total {row.sum():,.4g})")
    ax.axhline(0, color="#888888", lw=0.8)
    ax.set_xticks(x, terms)
    ax.set_ylabel("cost (objective units)")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="y", alpha=0.3)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------- pareto front
def nondominated(points: np.ndarray) -> np.ndarray:
    """Mask of points no other point beats in both coordinates (both minimised)."""
    p = np.asarray(points, dtype=float)
    le = (p[None, :, :] <= p[:, None, :]).all(axis=2)
    lt = (p[None, :, :] < p[:, None, :]).any(axis=2)
    return ~(le & lt).any(axis=1)


# front.json statuses of a walk that did not end with the whole front: its points are no front
UNFINISHED_FRONT = {"in_progress": "in progress (the walk has not ended)",
                    "incomplete": "incomplete (part of the front is missing)",
                    "truncated": "truncated (the walk stopped at its most points)"}


def pareto_chart(points: pd.DataFrame | str | Path, x: str | None = None, y: str | None = None,
                 label: str | None = None, status: str | None = None) -> Figure:
    """The trade-off front between two objectives (both minimised).

    ``x`` and ``y`` default to the first two numeric columns that are not bookkeeping (weights,
    times, gaps, ids); non-dominated points are joined by a line, the others are grey; with a
    ``proven`` column (``yrdopt pareto``'s front.csv) the points not proven are ringed in red, with
    a ``verified`` column those whose layout the checker rejected are crossed, off the line, and
    the front is that of the confirmed points alone.
    ``status`` (front.json's): a front in progress, incomplete or truncated says so in its title
    and legend.
    """
    df = _table(points, "pareto points")
    if x is None or y is None:
        skip = ("weight", "time", "gap", "seconds", "status", "run", "id", "index", "lambda", "alpha", "seed", "bound")
        num = [c for c in df.columns if pd.api.types.is_numeric_dtype(df[c])
               and not any(k in str(c).lower() for k in skip)]
        if len(num) < 2:
            raise InstanceError([Problem("pareto points", "columns", list(map(str, df.columns)),
                                         "two numeric objective columns (or pass x= and y=)")])
        x, y = x or num[0], y or [c for c in num if c != (x or num[0])][0]
    _need(df, "pareto points", [[x, y]])
    d = df[[x, y]].apply(pd.to_numeric, errors="coerce").dropna()
    pts = d.to_numpy()

    def flag(column: str) -> np.ndarray:
        return df.loc[d.index, column].astype(str).str.lower().isin(["true", "1", "1.0"]).to_numpy()

    rejected = ~flag("verified") if "verified" in df.columns else np.zeros(len(pts), dtype=bool)
    # the front of the points the checker confirmed: a rejected point is not known to be feasible,
    # so it neither lies on the front nor makes a confirmed point look dominated (fronts._may_drop)
    front = np.zeros(len(pts), dtype=bool)
    if (~rejected).any():
        front[~rejected] = nondominated(pts[~rejected])
    fig = Figure(figsize=(6.0, 4.2), dpi=100)
    ax = fig.subplots()
    grey = ~front & ~rejected
    ax.scatter(pts[grey, 0], pts[grey, 1], color="#bbbbbb", s=25, label="dominated")
    f = pts[front][np.argsort(pts[front, 0])]
    unfinished = UNFINISHED_FRONT.get(status or "")
    ax.plot(f[:, 0], f[:, 1], "-o", color=PALETTE[0], ms=5,
            label=f"points found so far ({len(f)})" if unfinished else f"trade-off front ({counted(len(f), 'point')})")
    if rejected.any():  # yrdopt pareto's front.csv: a point whose layout the checker rejected
        ax.scatter(pts[rejected, 0], pts[rejected, 1], s=80, marker="x", color="#d62728", zorder=3,
                   label=f"rejected by the independent checker ({int(rejected.sum())})")
    if "proven" in df.columns:  # yrdopt pareto's front.csv: a point whose stages stopped at their limit
        unproven = ~flag("proven") & ~rejected
        if unproven.any():
            ax.scatter(pts[unproven, 0], pts[unproven, 1], s=80, facecolors="none", edgecolors="#d62728", zorder=3,
                       # "unproven": no bound proves it (HiGHS's tolerances loosened, or its gap recomputed)
                       label=f"not proven ({int(unproven.sum())}: "
                             + ("no bound proves it)" if "status" in df.columns and (df.loc[unproven, "status"] == "unproven").any()
                                else "a stage stopped at its limit)"))
    if label and label in df.columns:
        for (_, row), (px, py) in zip(df.loc[d.index].iterrows(), pts):
            ax.annotate(str(row[label]), (px, py), fontsize=6, xytext=(3, 3), textcoords="offset points")
    from ..app.wording import TERM_WORDS

    ax.set_xlabel(TERM_WORDS.get(str(x), str(x)))  # front.csv's term columns by their names
    ax.set_ylabel(TERM_WORDS.get(str(y), str(y)))
    ax.set_title(f"Trade-off front: {unfinished}" if unfinished else "Trade-off front", fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


# ------------------------------------------------------------------------------ tornado
def tornado_table(sweep: pd.DataFrame, base: float | None = None) -> tuple[pd.DataFrame, float]:
    """``parameter, low, high`` (objective at the parameter's low/high setting) and the base objective.

    Accepts the sweep's ``tornado.csv`` (``parameter, low, high, objective_low, objective_high``:
    low/high are the parameter's values there), the plain form ``parameter, low, high`` with
    objective values (``base`` column optional), or a long form ``parameter, objective``
    (one row per run; low/high = the least and the largest objective seen).
    """
    cols = _need(sweep, "sweep table", [["parameter", "objective_low", "objective_high"], ["parameter", "low", "high"],
                                        ["parameter", "objective"]])
    if cols[1] == "objective_low":
        label = sweep["parameter"].astype(str)
        if "low" in sweep.columns and "high" in sweep.columns:
            label = label + " (" + _end(sweep, "low") + " / " + _end(sweep, "high") + ")"
        t = pd.DataFrame({"parameter": label, "low": sweep["objective_low"], "high": sweep["objective_high"]})
    elif cols[1] == "low":
        t = sweep[["parameter", "low", "high"]].copy()
        if base is None and "base" in sweep.columns:
            base = float(pd.to_numeric(sweep["base"]).iloc[0])
    else:
        g = sweep.groupby("parameter", sort=False)["objective"]
        t = pd.DataFrame({"parameter": list(g.groups), "low": g.min().to_numpy(), "high": g.max().to_numpy()})
    t[["low", "high"]] = t[["low", "high"]].apply(pd.to_numeric, errors="coerce")
    if base is None:
        base = float(np.nanmedian(np.r_[t["low"].to_numpy(dtype=float), t["high"].to_numpy(dtype=float)]))
    t["range"] = (t["high"] - t["low"]).abs()
    if "infeasible_low" in sweep.columns:  # the sweep's own order (what makes a plan impossible first)
        return t.iloc[::-1].reset_index(drop=True), float(base)  # drawn bottom up: the first on top
    return t.sort_values("range", ascending=True).reset_index(drop=True), float(base)


def _end(sweep: pd.DataFrame, end: str) -> pd.Series:
    """A tornado end's label: the parameter's value, and how many scenarios there are infeasible
    (``infeasible_low``/``_high`` of the sweep's tornado.csv) — an end that makes the plan
    impossible has no objective to draw, and must not read as a small swing."""
    label = sweep[end].map(_short)
    if f"infeasible_{end}" in sweep.columns:
        lost = pd.to_numeric(sweep[f"infeasible_{end}"], errors="coerce").fillna(0).astype(int)
        label = label + lost.map(lambda k: "" if k == 0 else (": infeasible" if k == 1 else f": {k} infeasible"))
    return label


def _short(v) -> str:
    return f"{v:.4g}" if isinstance(v, (int, float)) and not isinstance(v, bool) else str(v)


def tornado_chart(sweep: pd.DataFrame | str | Path, base: float | None = None, *, title: str = "Sensitivity (tornado)") -> Figure:
    t, base = tornado_table(_table(sweep, "sweep results"), base)
    fig = Figure(figsize=(6.5, max(2.5, 0.35 * len(t) + 1.2)), dpi=100)
    ax = fig.subplots()
    y = np.arange(len(t))
    lo, hi = t["low"].to_numpy(dtype=float), t["high"].to_numpy(dtype=float)
    ax.barh(y, lo - base, left=base, color=PALETTE[0], label="low setting")
    ax.barh(y, hi - base, left=base, color=PALETTE[1], label="high setting")
    for i in np.flatnonzero(np.isnan(lo) | np.isnan(hi)):  # no objective at that end: say why in the plot
        ax.annotate("no layout at an end", (base, y[i]), xytext=(4, 0), textcoords="offset points",
                    va="center", fontsize=7, color="#b00020")
    ax.axvline(base, color="#333333", lw=1)
    ax.set_yticks(y, t["parameter"].astype(str))
    ax.set_xlabel(f"objective (base {base:,.4g})")
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------------- frequency heatmap
def frequency_matrix(sweep: pd.DataFrame) -> pd.DataFrame:
    """Segment x region share of runs in which the segment sits in the region.

    Accepts a wide matrix (index = segment, columns = regions), a long table ``segment`` (or
    ``chain, segment``), ``region`` and ``frequency``/``share``/``count``, or the layouts of all
    runs stacked with a ``run`` (or ``scenario``) column.
    """
    df = sweep
    if "region" not in df.columns:
        m = df.apply(pd.to_numeric, errors="coerce")
        return m.fillna(0.0)
    df = df.copy()
    if "chain" in df.columns:
        df["segment"] = df["chain"].astype(str) + "/" + df["segment"].astype(str)
    value = next((c for c in ("frequency", "share", "count") if c in df.columns), None)
    if value is None:
        run = next((c for c in ("run", "scenario", "sample", "point") if c in df.columns), None)
        _need(df, "sweep layouts", [["segment", "region", "run"], ["segment", "region", "scenario"],
                                    ["segment", "region", "frequency"]])
        df = sited_rows(df)
        n_runs = max(1, sweep[run].nunique())
        counts = df.drop_duplicates([run, "segment", "region"]).groupby(["segment", "region"]).size()
        return (counts / n_runs).unstack(fill_value=0.0).astype(float)
    m = df.pivot_table(index="segment", columns="region", values=value, aggfunc="sum", fill_value=0.0)
    if value == "count" and m.to_numpy().max() > 1:
        m = m / m.to_numpy().max()
    return m.astype(float)


def frequency_heatmap(sweep: pd.DataFrame | str | Path, *, region_names: dict[str, str] | None = None,
                      title: str = "How often each segment sits in each region") -> Figure:
    m = frequency_matrix(_table(sweep, "sweep layouts"))
    m = m.loc[:, m.sum(axis=0) > 0] if m.shape[1] > 12 else m  # 41 empty columns say nothing
    fig = Figure(figsize=(max(5.0, 0.32 * m.shape[1] + 2.5), max(2.5, 0.3 * m.shape[0] + 1.5)), dpi=100)
    ax = fig.subplots()
    im = ax.imshow(m.to_numpy(dtype=float), cmap="Blues", vmin=0.0, vmax=1.0, aspect="auto")
    ax.set_yticks(np.arange(m.shape[0]), m.index.astype(str), fontsize=7)
    names = [region_names.get(str(c), str(c)) if region_names else str(c) for c in m.columns]
    ax.set_xticks(np.arange(m.shape[1]), names, rotation=60, ha="right", fontsize=7)
    fig.colorbar(im, ax=ax, label="share of runs")
    ax.set_title(title, fontsize=10)
    fig.tight_layout()
    return fig


# ----------------------------------------------------------------------- resource use
def resource_use_table(inst: Instance, layout: pd.DataFrame, expansions: pd.DataFrame | None = None,
                       parks: pd.DataFrame | None = None) -> pd.DataFrame:
    """Region x resource: use of the layout, its quota (base + expansions taken + parks open:
    :func:`yrdopt.analysis.quota_use.layout_quota`), share of quota."""
    from ..analysis.quota_use import layout_arrays, layout_quota, layout_use, open_parks, taken_expansions

    d = build_model_data(inst)
    act, place = layout_arrays(d, layout)
    use = layout_use(d, act, place)  # (R, K)
    quota = layout_quota(d, taken_expansions(d, expansions), open_parks(d, parks))
    rr, kk = np.meshgrid(np.arange(d.R), np.arange(d.K), indexing="ij")
    out = pd.DataFrame({
        "region": np.array(d.region_ids, dtype=object)[rr.ravel()],
        "resource": np.array(d.resource_ids, dtype=object)[kk.ravel()],
        "use": use.ravel(),
        "quota": quota.ravel(),
    })
    with np.errstate(divide="ignore", invalid="ignore"):
        out["share"] = np.where(np.isfinite(out["quota"]) & (out["quota"] > 0), out["use"] / out["quota"],
                                np.where(out["use"] > 0, np.inf, 0.0))
    return out


def resource_use_chart(inst: Instance, layout: pd.DataFrame, expansions: pd.DataFrame | None = None,
                       parks: pd.DataFrame | None = None) -> Figure:
    """One panel per resource: bars = use, black tick = quota; red where use exceeds quota."""
    t = resource_use_table(inst, layout, expansions, parks)
    names = {r.id: r.name_en for r in inst.regions}
    res = list(dict.fromkeys(t["resource"])) or ["(no resources)"]
    # regions that use something or have a finite quota; with many regions, only users
    show = t.groupby("region", sort=False).apply(lambda g: bool((g["use"] > 1e-9).any()), include_groups=False)
    regions = [r for r in names if (show.get(r, False) or len(names) <= 12)]
    fig = Figure(figsize=(3.6 * len(res), max(2.5, 0.28 * len(regions) + 1.4)), dpi=100)
    axes = fig.subplots(1, len(res), squeeze=False).ravel()
    for ax, k in zip(axes, res):
        sub = t[t["resource"] == k].set_index("region").reindex(regions)
        y = np.arange(len(regions))
        use, quota = sub["use"].to_numpy(dtype=float), sub["quota"].to_numpy(dtype=float)
        over = use > quota * (1 + 1e-6) + 1e-9
        ax.barh(y, use, color=np.where(over, OVER, USED))
        finite = np.isfinite(quota)
        ax.scatter(quota[finite], y[finite], marker="|", s=160, color=QUOTA, zorder=3, label="quota")
        ax.set_yticks(y, [names[r] for r in regions], fontsize=7)
        ax.invert_yaxis()
        unit = next((r.unit for r in inst.resources if r.id == k), "")
        ax.set_title(f"{k}" + (f" ({unit})" if unit else ""), fontsize=9)
        ax.grid(axis="x", alpha=0.3)
        if finite.any():
            ax.legend(fontsize=7, loc="lower right")
    fig.suptitle("Resource use against quota", fontsize=10)
    fig.tight_layout()
    return fig


# ---------------------------------------------------------------- value and duplication
def province_value_table(inst: Instance, layout: pd.DataFrame) -> pd.DataFrame:
    """Province x segment kind: activity value (activity x value_per_unit) hosted."""
    rows = sited_rows(layout)
    prov = {r.id: r.province for r in inst.regions}
    seg = {(c.id, s.id): s for c in inst.chains for s in c.segments}
    df = pd.DataFrame({
        "province": [prov.get(str(r), "?") for r in rows["region"]],
        "kind": [seg[(str(c), str(s))].kind if (str(c), str(s)) in seg else "?" for c, s in zip(rows["chain"], rows["segment"])],
        "value": [a * (seg[(str(c), str(s))].value_per_unit if (str(c), str(s)) in seg else 1.0)
                  for a, c, s in zip(rows["activity"].astype(float), rows["chain"], rows["segment"])],
    })
    t = df.pivot_table(index="province", columns="kind", values="value", aggfunc="sum", fill_value=0.0)
    # a province that hosts nothing is shown with 0, not left out
    kinds = list(dict.fromkeys(s.kind for c in inst.chains for s in c.segments))
    return t.reindex(index=list(inst.provinces), columns=kinds, fill_value=0.0)


def province_value_chart(inst: Instance, layout: pd.DataFrame) -> Figure:
    """Stacked bars: the activity value each province hosts, by segment kind (benefit sharing)."""
    t = province_value_table(inst, layout)
    fig = Figure(figsize=(6.0, max(2.5, 0.45 * len(t) + 1.3)), dpi=100)
    ax = fig.subplots()
    left = np.zeros(len(t))
    for i, kind in enumerate(t.columns):
        v = t[kind].to_numpy(dtype=float)
        ax.barh(np.arange(len(t)), v, left=left, color=PALETTE[i % len(PALETTE)], label=str(kind))
        left += v
    ax.set_yticks(np.arange(len(t)), t.index.astype(str))
    ax.invert_yaxis()
    ax.set_xlabel("activity value hosted")
    ax.set_title("Value hosted per province, by segment kind", fontsize=10)
    ax.legend(fontsize=8)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def sites_chart(inst: Instance, layout: pd.DataFrame) -> Figure:
    """Number of sites per segment against its duplication tolerance."""
    rows = sited_rows(layout)
    keys = [(c.id, s.id, s.duplication_tolerance) for c in inst.chains for s in c.segments]
    counts = rows.groupby(["chain", "segment"]).size()
    n = np.array([int(counts.get((c, s), 0)) for c, s, _ in keys])
    tol = np.array([t for _, _, t in keys])
    fig = Figure(figsize=(6.0, max(2.5, 0.3 * len(keys) + 1.3)), dpi=100)
    ax = fig.subplots()
    y = np.arange(len(keys))
    ax.barh(y, n, color=np.where(n > tol, OVER, USED))
    ax.scatter(tol, y, marker="|", s=160, color=QUOTA, zorder=3, label="duplication tolerance")
    ax.set_yticks(y, [f"{c}/{s}" for c, s, _ in keys], fontsize=7)
    ax.invert_yaxis()
    ax.set_xlabel("regions hosting the segment")
    ax.set_title("Sites per segment (red: duplicated beyond tolerance)", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig


def benefit_share_chart(optimized: pd.DataFrame, baseline: pd.DataFrame | None = None) -> Figure:
    """Credited share of value per province (after enclave sharing), today's beside when known;
    the hatched part of each bar is the share of high-value segments in what it hosts."""
    t = optimized.set_index("province")
    fig = Figure(figsize=(6.0, max(2.5, 0.55 * len(t) + 1.3)), dpi=100)
    ax = fig.subplots()
    y = np.arange(len(t))
    h = 0.38 if baseline is not None else 0.6
    share = t["credited_share"].to_numpy(dtype=float)
    ax.barh(y - (h / 2 if baseline is not None else 0), share, height=h, color=USED, label="optimized, credited")
    high = share * t["high_value_share"].to_numpy(dtype=float) * np.where(t["credited_value"] > 0, t["hosted_value"]
                                                                          / t["credited_value"].where(t["credited_value"] > 0, 1), 0)
    ax.barh(y - (h / 2 if baseline is not None else 0), np.minimum(high, share), height=h, fill=False, hatch="///",
            edgecolor=QUOTA, linewidth=0, label="of it high-value segments (hosted)")
    if baseline is not None:
        b = baseline.set_index("province").reindex(t.index)
        ax.barh(y + h / 2, b["credited_share"].fillna(0).to_numpy(dtype=float), height=h, color=PALETTE[1],
                label="today (baseline)")
    ax.set_yticks(y, t.index.astype(str))
    ax.invert_yaxis()
    ax.set_xlabel("share of the area's value")
    ax.set_title("Value credited per province after enclave sharing", fontsize=10)
    ax.legend(fontsize=7)
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    return fig

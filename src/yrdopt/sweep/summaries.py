"""What a sweep says: where segments land, which assumptions matter, which layout is robust.

* **frequency** — for every segment and region, the share of solved scenarios in which the
  segment has a site there that hosts activity (:func:`hosting`).
* **tornado** — per parameter, the objective at its low and high end.  In a one-at-a-time
  design these are the exact scenarios that move only that parameter; in sampling and grid
  designs they are the mean objective over the scenarios in the parameter's bottom and top
  fifth (with Spearman's rank correlation as a second measure).  ``infeasible_low`` /
  ``infeasible_high`` count the scenarios at each end that the solver proved infeasible (no
  layout exists; an end without any feasible scenario has no objective), ``infeasible_values``
  lists a one-at-a-time parameter's infeasible settings (also between its ends) and a
  categorical one's settings that are always infeasible.  A parameter that makes the plan
  impossible matters more than any swing, so those come first — one-at-a-time: some setting of
  it alone is infeasible; sampled designs: its two ends differ in their share of infeasible
  scenarios (an infeasibility another parameter causes is spread evenly over its ends) — then
  the rest by swing.
* **robust layout** — min-max regret.  Candidates are the most frequent distinct optimal
  layouts (sites and parks).  Each candidate is evaluated under every solved scenario by a
  *fixed-placement re-solve*: its sites and parks are fixed, activities and flows are
  re-optimised for the scenario (the checker would need the activities too, which change
  with demand).  Regret = that cost minus the cost of the scenario's own layout (its
  "optimum"; ``scenario_status`` says whether it is proven).  A regret below 0 (beyond
  round-off) is a finding, kept and said in ``finding``: the candidate is cheaper than the
  scenario's layout, within the gap the scenario's bound leaves, or beyond its proven bound
  (a contradiction between two of our own results: one of them is wrong), or below a layout
  not proven best (before, every regret was clipped at 0 and such a contradiction hidden);
  a candidate that is infeasible under a scenario has infinite regret there.  Each re-solved layout is judged by the independent
  checker, as a scenario's is: where it rejects one (a loosened HiGHS tolerance), that
  evaluation is "not_verified" in ``regret.csv``, with no cost or regret and the reason in
  words.  The robust layout is the one infeasible or rejected in the fewest scenarios together
  (a rejected re-solve is not known to be feasible), then infeasible in the fewest, and among
  those with the smallest worst-case regret where it is feasible (``robust.csv`` lists every
  candidate with these numbers; one without any regret figure is never the robust layout).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from ..claims import rejection_found
from ..schema import TERMS


def hosting(layout: pd.DataFrame) -> pd.Series:
    """Which rows of a sweep's long layout host activity: the checker's rule for the sites it
    counts (``checker.check_layout``, what ``yrdopt solve``'s summary reports) — activity above
    1e-6 of the segment's, at least 1e-6 — so a site opened empty (a placement at activity 0)
    is not counted."""
    from ..tolerance import TOLERANCE

    total = layout.groupby(["scenario", "chain", "segment"])["activity"].transform("sum")
    return layout["activity"] > TOLERANCE * np.maximum(1.0, total)


def hosting_sites(layout: pd.DataFrame) -> pd.Series:
    """Sites that host activity, per scenario (:func:`hosting`)."""
    if layout.empty:
        return pd.Series(dtype=int)
    return layout[hosting(layout)].groupby("scenario").size()


def frequency(results: pd.DataFrame, layout: pd.DataFrame) -> pd.DataFrame:
    ok = results.loc[results["ok"], "scenario"]
    n = len(ok)
    cols = ["chain", "segment", "region", "scenarios", "share"]
    if n == 0 or layout.empty:
        return pd.DataFrame(columns=cols)
    lay = layout[layout["scenario"].isin(set(ok)) & hosting(layout)]
    g = lay.groupby(["chain", "segment", "region"], sort=True)["scenario"].nunique().rename("scenarios").reset_index()
    g["share"] = g["scenarios"] / n
    return g.sort_values(["chain", "segment", "share", "region"], ascending=[True, True, False, True],
                         ignore_index=True)[cols]


INFEASIBLE = ("infeasible", "infeasible_or_unbounded")  # proven: no layout exists


# what a tornado row's low/high and objective_low/_high are (its `ends` column)
ENDS_ONE_AT_A_TIME = "its lowest and highest setting, the others at base"
ENDS_FIFTHS = "mean over the scenarios in the bottom and top fifth of its setting (the others vary)"
ENDS_CATEGORIES = "its cheapest and dearest setting, mean over the scenarios with it (the others vary)"
# a sampled parameter whose bottom and top fifth differ by less than this share of its settings'
# largest size did not move (its own size: a parameter set around 1e-10 moves on its own scale)
STILL = 1e-9


def tornado(results: pd.DataFrame, params: list, base_values: dict, design_kind: str) -> pd.DataFrame:
    cols = ["parameter", "low", "high", "objective_low", "objective_high", "swing", "spearman", "n",
            "infeasible_low", "infeasible_high", "infeasible_values", "ends"]
    ok = results["ok"].astype(bool) & results["objective"].notna()
    infeasible = results["status"].isin(INFEASIBLE) if "status" in results else pd.Series(False, index=results.index)
    rows, promoted = [], []
    for p in params:
        lab = p.label
        if lab not in results.columns or not ok.any():
            continue
        if design_kind == "one_at_a_time":
            others = [q.label for q in params if q.label != lab]
            mask = np.ones(len(results), dtype=bool)
            for o in others:
                mask &= results[o].map(lambda v, b=base_values.get(o): _is_base(v, b)).to_numpy(dtype=bool)
            sub = results[mask]
            if not ok[sub.index].any():
                continue
            vals = sub[lab]
            order = _order(vals)
            ends = [sub.index[order[0]], sub.index[order[-1]]]  # the extreme settings, whatever their status
            objective = [float(results.at[i, "objective"]) if ok[i] else float("nan") for i in ends]
            lost = vals[infeasible[sub.index]]
            shown = ok[sub.index]
            rows.append([lab, vals[ends[0]], vals[ends[1]], *objective, None,
                         _spearman(vals[shown], sub.loc[shown, "objective"]), int(shown.sum()),
                         int(infeasible[ends[0]]), int(infeasible[ends[1]]),
                         "; ".join(_short(v) for v in lost.iloc[_order(lost)]), ENDS_ONE_AT_A_TIME])
            promoted.append(len(lost) > 0)  # some setting of it alone makes the plan impossible
            continue
        vals = results[lab]
        if _numeric(vals):  # the bottom and top fifth of every scenario's setting, whatever its status
            v = vals.astype(float)
            lo_m, hi_m = v <= v.quantile(0.2), v >= v.quantile(0.8)
            lo_n, hi_n = int((lo_m & infeasible).sum()), int((hi_m & infeasible).sum())
            lo, hi = float(v[lo_m].mean()), float(v[hi_m].mean())
            if hi - lo <= STILL * float(v.abs().max()):  # <=: set to exactly 0 throughout, it did not move
                # its groups differ only in the other parameters' settings: their spread is no swing of its own
                rows.append([lab, lo, hi, math.nan, math.nan, None, math.nan, int(ok.sum()), lo_n, hi_n, "",
                             f"did not move (its settings differ by less than {STILL:g} of their largest absolute value): no swing"])
                promoted.append(None)
                continue
            rows.append([lab, lo, hi,
                         float(results.loc[lo_m & ok, "objective"].mean()), float(results.loc[hi_m & ok, "objective"].mean()),
                         None, _spearman(v[ok], results.loc[ok, "objective"]), int(ok.sum()), lo_n, hi_n, "", ENDS_FIFTHS])
            # its ends differ in how often no layout exists: that, not another parameter, makes it so
            promoted.append(lo_n / max(int(lo_m.sum()), 1) != hi_n / max(int(hi_m.sum()), 1))
        else:  # a setting with no layout at all is the dearest; then by mean objective
            key = vals.astype(str)
            groups = pd.DataFrame({"lost": infeasible.groupby(key).mean(),
                                   "objective": results[ok].groupby(key[ok])["objective"].mean()})
            groups = groups.sort_values(["lost", "objective"], na_position="last")
            lo, hi = groups.index[0], groups.index[-1]
            rows.append([lab, lo, hi, float(groups.at[lo, "objective"]), float(groups.at[hi, "objective"]), None, None,
                         int(ok.sum()), int(infeasible[key == lo].sum()), int(infeasible[key == hi].sum()),
                         "; ".join(groups.index[groups["lost"] == 1.0]), ENDS_CATEGORIES])
            promoted.append(groups["lost"].nunique() > 1)
    df = pd.DataFrame(rows, columns=cols)
    if len(df):
        df["swing"] = (df["objective_high"] - df["objective_low"]).astype(float)
        # a parameter that did not move last (promoted None), an end without a layout (no swing) first
        still = pd.Series([p is None for p in promoted])
        key = pd.DataFrame({"promoted": [bool(p) for p in promoted],
                            "swing": df["swing"].abs().fillna(np.inf).mask(still, -1.0)})
        df = df.loc[key.sort_values(["promoted", "swing"], ascending=False, kind="stable").index].reset_index(drop=True)
    return df


def _short(v) -> str:
    return f"{v:.6g}" if isinstance(v, (int, float, np.number)) and not isinstance(v, bool) else str(v)


def _is_base(v, base) -> bool:
    from .design import sets_nothing

    if v is None or (isinstance(v, float) and math.isnan(v)):
        return True
    try:
        return float(v) == float(base)
    except (TypeError, ValueError):
        return sets_nothing(v, base)  # a mapping that sets only today's values is the base


def _numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def _order(vals: pd.Series) -> np.ndarray:
    if _numeric(vals):
        return np.argsort(vals.to_numpy(dtype=float), kind="stable")
    return np.arange(len(vals))


def _spearman(x: pd.Series, y: pd.Series) -> float | None:
    if not _numeric(x) or len(x) < 3:
        return None
    rx = pd.Series(np.asarray(x, float)).rank()
    ry = pd.Series(np.asarray(y, float)).rank()
    if rx.std() == 0 or ry.std() == 0:
        return None
    return float(np.corrcoef(rx, ry)[0, 1])


def tornado_png(df: pd.DataFrame, base_objective: float | None, path: Path) -> Path | None:
    """The tornado chart of the report module, saved atomically next to tornado.csv."""
    if df.empty:
        return None
    from ..io import atomic_savefig
    from ..report.charts import tornado_chart

    fig = tornado_chart(df, base_objective, title="Which assumptions move the objective")
    return atomic_savefig(fig, path, dpi=120)


# ------------------------------------------------------------------------------- robust
def candidate_layouts(records: list[dict], k: int) -> list[dict]:
    """The k most frequent distinct optimal layouts (sites and parks) of the solved scenarios."""
    groups: dict[tuple, dict] = {}
    for r in records:
        if not r.get("ok") or "place_index" not in r:
            continue
        key = (tuple(r["place_index"]), tuple(r.get("expand_index", [])))
        if key not in groups:  # its sites hosting activity: counted in the first scenario it is optimal in
            own = pd.DataFrame([[r["scenario"], *row[:4]] for row in r["layout"]],
                               columns=["scenario", "chain", "segment", "region", "activity"])
            hosts = hosting(own) if len(own) else pd.Series(dtype=bool)
            groups[key] = {"place_index": list(key[0]), "expand_index": list(key[1]), "scenarios": [],
                           "layout": [row[:3] for row in r["layout"]], "expansions": r.get("expansions", []),
                           "activity": own["activity"].astype(float).tolist(), "hosts": hosts.tolist(),
                           "hosting_sites": int(hosts.sum())}
        g = groups[key]
        g["scenarios"].append(r["scenario"])
    ranked = sorted(groups.values(), key=lambda g: (-len(g["scenarios"]), min(g["scenarios"])))
    for i, g in enumerate(ranked):
        g["candidate"] = i
    return ranked[:k]


# what regret.csv says where the checker rejected a candidate's re-solved layout under a scenario
# (found: yrdopt.claims.rejection_found, what the checker found)
REJECTED_EVALUATION = ("rejected by the independent checker ({found}; the solve said {before}), "
                       "so the re-solved layout's cost is no regret figure")


# what regret.csv's ``finding`` says of a confirmed candidate cheaper than the scenario's own layout
CHEAPER = "the candidate's layout costs {less:,.8g} less than the scenario's own layout ({status})"
WITHIN_GAP = "{cheaper}, within the gap its bound {bound:,.8g} leaves: no contradiction"
CONTRADICTION = ("CONTRADICTION: {cheaper}, below the scenario's proven bound {bound:,.8g}: one of the two results "
                 "is wrong")
NOT_PROVEN = "{cheaper}, which is not proven best: the scenario's least known cost is the candidate's"


def cheaper_finding(cost: float, optimum: float, status: str | None, bound: float | None) -> str | None:
    """What a candidate's confirmed ``cost`` below the scenario's own layout (``optimum``, with its
    ``status`` and ``bound``) means, in words; None where it is not below it beyond round-off."""
    from ..claims import CLAIM_TOL

    tol = CLAIM_TOL * max(1.0, abs(optimum))
    if not math.isfinite(cost) or cost >= optimum - tol:
        return None
    cheaper = CHEAPER.format(less=optimum - cost, status=status or "status unknown")
    known = bound is not None and math.isfinite(bound)
    # a bound is kept only where it is valid (none with loosened tolerances), so a confirmed layout below
    # it is a contradiction whatever the status (a time limit's bound proves as much as an optimum's)
    if known and cost < bound - tol:
        return CONTRADICTION.format(cheaper=cheaper, bound=bound)
    if status == "optimal" and known:
        return WITHIN_GAP.format(cheaper=cheaper, bound=bound)
    return NOT_PROVEN.format(cheaper=cheaper)


def regret_tables(candidates: list[dict], evaluations: list[dict], optimum: dict[str, float],
                  scenarios: dict[str, dict] | None = None):
    """Long regret table, one row per candidate, and the index of the most robust candidate.

    ``scenarios``: each scenario's ``status`` and ``bound`` (its record's), which say whether a
    candidate cheaper than the scenario's layout contradicts it (:func:`cheaper_finding`; the row's
    ``finding``, its regret kept below 0; only round-off is read as 0).

    A row's ``status`` follows the checker (:meth:`ScenarioSolver.evaluate`): where it rejected
    the candidate's re-solved layout ("not_verified") the row has no ``cost`` nor ``regret`` and
    ``reason`` says why; such rows count in ``not_verified_in``, never as a regret or an
    infeasibility.  The robust candidate is the one infeasible or rejected in the fewest scenarios
    together (a rejected re-solve is not known to be feasible), then infeasible in the fewest, then
    with the smallest worst-case regret where it has one; a candidate without any regret figure is
    none."""
    rows = []
    scenarios = scenarios or {}
    for ev in evaluations:
        sid = ev["scenario"]
        if sid not in optimum or "error" in ev:
            continue
        own = scenarios.get(sid) or {}
        n = len(ev["costs"])
        before = ev.get("status_before_check") or [None] * n
        violation = ev.get("max_violation") or [None] * n
        claimed = ev.get("objective") or [None] * n  # (not in the records of an earlier version)
        recomputed = ev.get("check_objective") or [None] * n
        polished = ev.get("polished") or [None] * n  # whether the polish's LP replaced HiGHS's layout
        for c, (cost, status) in enumerate(zip(ev["costs"], ev["status"])):
            if status == "not_verified":
                found = rejection_found(violation[c], claimed[c], recomputed[c])
                reason = REJECTED_EVALUATION.format(found=found, before=before[c])
                rows.append([c, sid, math.nan, optimum[sid], own.get("status"), math.nan, status, before[c],
                             polished[c], reason, None])
                continue
            if cost is None:
                continue
            finding = cheaper_finding(cost, optimum[sid], own.get("status"), own.get("bound"))
            regret = (cost - optimum[sid] if finding else max(0.0, cost - optimum[sid])) if math.isfinite(cost) \
                else math.inf  # (clipped at 0 only within round-off)
            rows.append([c, sid, cost, optimum[sid], own.get("status"), regret, status, before[c], polished[c], None,
                         finding])
    long = pd.DataFrame(rows, columns=["candidate", "scenario", "cost", "optimum", "scenario_status", "regret",
                                       "status", "status_before_check", "polished", "reason", "finding"])
    summary = []
    for c, cand in enumerate(candidates):
        g = long[long["candidate"] == c]
        if g.empty:
            continue
        figures = g[g["status"] != "not_verified"]
        fin = figures.loc[np.isfinite(figures["regret"]), "regret"]
        worst = figures.loc[figures["regret"].idxmax()] if len(figures) else None
        summary.append({"candidate": c, "optimal_in": len(cand["scenarios"]), "evaluated": len(g),
                        "infeasible_in": int(np.isinf(figures["regret"]).sum()),
                        "not_verified_in": len(g) - len(figures),
                        "max_regret": float(figures["regret"].max()) if len(figures) else math.nan,
                        # infinite where infeasible everywhere it has a figure; none without any figure
                        "max_regret_where_feasible": float(fin.max()) if len(fin) else math.inf if len(figures) else math.nan,
                        "mean_regret": float(fin.mean()) if len(fin) else math.inf if len(figures) else math.nan,
                        "worst_scenario": None if worst is None else worst["scenario"],
                        # sites hosting activity, as results.csv counts them for its example scenario
                        # (before: every placement, an empty site included)
                        "sites": cand["hosting_sites"],
                        "example_scenario": cand["scenarios"][0]})
    table = pd.DataFrame(summary)
    best = None
    if len(table):
        eligible = table[table["evaluated"] > table["not_verified_in"]]
        if len(eligible):
            # a rejected re-solve is no more known to be feasible than an infeasible one: the two
            # count alike (before, 3 rejections ranked above 1 infeasibility)
            unknown = eligible.assign(not_known_feasible_in=eligible["infeasible_in"] + eligible["not_verified_in"])
            order = unknown.sort_values(["not_known_feasible_in", "infeasible_in", "max_regret_where_feasible",
                                         "mean_regret", "optimal_in"], ascending=[True, True, True, True, False])
            best = int(order["candidate"].iloc[0])
        table["robust"] = table["candidate"] == best
    return long, table, best


def robust_layout_table(cand: dict) -> pd.DataFrame:
    """The robust layout's sites and parks. A site opened empty (a placement at activity 0: a fixed
    placement, a guarantee's site) is kept — the layout fixes it — but marked ``hosts`` False, with the
    ``activity`` of the first scenario the layout was optimal in, as ``layout.csv``'s ``sited`` rows."""
    n = len(cand["layout"])
    activity = cand.get("activity") or [None] * n
    hosts = cand.get("hosts") or [None] * n
    rows = [[c, s, r, "site", a, h] for (c, s, r), a, h in zip(cand["layout"], activity, hosts)]
    rows += [[None, None, e.split("/")[0], f"park {e.split('/', 1)[1]}", None, None]
             for e in cand.get("expansions", [])]
    return pd.DataFrame(rows, columns=["chain", "segment", "region", "what", "activity", "hosts"])


__all__ = ["TERMS", "candidate_layouts", "frequency", "hosting", "hosting_sites", "regret_tables", "robust_layout_table", "tornado", "tornado_png"]

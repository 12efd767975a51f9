"""The checker's claims part: what ``summary.json`` says about a layout, re-derived.

The feasibility checker (:mod:`yrdopt.checker`) recomputes every constraint and objective
term from the written layout.  This part takes those recomputed values and the claims of
the summary — status, objective, bound, gap, lexicographic stage holds, a front point's
cap — and re-derives each claim from the rule that defines it:

* ``objective`` equals the recomputed objective (:func:`objective_matches`, the test every
  part that rejects a layout uses);
* ``bound`` (a lower bound: every objective is minimised) is not above it;
* ``gap`` is ``(objective - bound) / |objective|`` of the recomputed objective;
* ``optimal`` holds only if the recomputed objective and the bound are within the requested
  gap (``gap_requested``: HiGHS's relative and absolute gaps), the rule HiGHS stops by;
* ``optimal``, a ``bound`` and a ``gap`` are claimed only where HiGHS ran with tolerances no
  looser than its defaults (``solver.tolerances``, else ``solver.options.highs``:
  :func:`loosened_tolerances`): a bound HiGHS proves with loosened tolerances is one of the
  loosened problem, and a layout of the real one may cost less;
* a lexicographic layout keeps every term within its stage's hold
  (:func:`hold_limit` of the stage optimum; the tolerance relaxes every term but the last),
  and no term is below a stage optimum proven optimal (this layout would beat it);
* a front point keeps its capped term within the cap, and its two stage holds;
* the objective's ``components`` add up to the objective, each the term recomputed from the
  layout; a plan's components are its periods' ``terms`` times their ``discount``, summed, each
  period's terms and discount factor (and ``discounting.factors``) the recomputed ones;
* the sites kept, grown, shrunk, closed and opened, the activity before and moved and the moved share
  of ``transition`` (a plan's ``periods[].transition``) are those of transition.csv's rows, themselves
  checked row by row (the figures by :func:`figure_matches`).

It reads nothing of the solver or the model: only the instance-derived values the checker
recomputed and the summary as written.  A claim that fails makes the layout unverified
(exit code 5).
"""

from __future__ import annotations

import math

from dataclasses import dataclass
from typing import Any

from .schema import TERMS

# numerical slack when a recomputed objective is compared with a bound or a claimed value
# (the objective-match tolerance; HiGHS's MIP feasibility tolerance is 1e-6)
CLAIM_TOL = 1e-6
# slack added when a term is held at a stage's value (HiGHS's MIP feasibility tolerance is
# 1e-6: the next stage must not lose the point to rounding)
HOLD_ABS = 1e-6
HOLD_REL = 1e-9

# "baseline": a given layout (today's, written by the workbench) evaluated by the checker; it
# claims no optimality, only its objective
# "not_verified": a layout the checker rejected when it was solved (yrdopt.solver.checked_status); it claims nothing
STATUSES_WITH_LAYOUT = {"optimal", "time_limit_with_incumbent", "stopped_with_incumbent", "interrupted", "unproven",
                        "not_verified", "baseline"}


# HiGHS's defaults (1.16) of the tolerances that decide which points it accepts and which LPs it
# calls optimal: yrdopt sets none of them.  A bound HiGHS proves with any of them looser is a bound
# of the loosened problem, no proof for the real one (a sweep with primal 1.0 and MIP 0.5 said
# "optimal" at 3,291.78 where a confirmed layout of the same scenario costs 3,225.61).
# kkt_tolerance, set, replaces every feasibility and optimality tolerance (HiGHS's
# HighsOptions: "If changed from its default value, this tolerance is used for all feasibility
# and optimality (KKT) measures"); pdlp_optimality_tolerance is the PDLP LP solver's own.
# primal_feasibility_tolerance stays compared with 1e-7 for a MIP too, though HiGHS's branch and bound
# runs its LPs at mip_feasibility_tolerance (HighsLpRelaxation's constructor; MIP presolve and the final
# KKT check likewise): MIP postsolve (HighsPostsolveStack::DuplicateColumn::undoFix, which places the
# values of merged duplicate columns) and setSolution's bound check read the primal tolerance as given
# (HiGHS master, 1.15.1), so a primal tolerance of 1e-6 on a MIP is not shown to change nothing.
DEFAULT_TOLERANCES = {"mip_feasibility_tolerance": 1e-6, "primal_feasibility_tolerance": 1e-7,
                      "dual_feasibility_tolerance": 1e-7, "primal_residual_tolerance": 1e-7,
                      "dual_residual_tolerance": 1e-7, "ipm_optimality_tolerance": 1e-8,
                      "optimality_tolerance": 1e-7, "kkt_tolerance": 1e-7, "pdlp_optimality_tolerance": 1e-7}


def _tolerance_value(v) -> float | None:
    """A tolerance as a number: a number, or a numeric string (PyYAML reads ``1e-2``, without a
    dot, as the string "1e-2"; HiGHS's option setter takes it); None for anything else."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, str):
        try:
            return float(v)
        except ValueError:
            return None
    return None


def loosened_tolerances(options: dict | None) -> dict[str, float]:
    """The tolerances of ``options`` (HiGHS's option names -> values; other names ignored) looser
    than HiGHS's defaults (:data:`DEFAULT_TOLERANCES`): where any is, HiGHS's bound proves nothing
    of the real problem, so no layout may be called optimal nor given a proven gap.  A value
    that is no number (NaN included) is taken as loosened: nothing shows it is not."""
    out = {}
    for name, default in DEFAULT_TOLERANCES.items():
        if name not in (options or {}):
            continue
        v = _tolerance_value(options[name])
        if v is None or not v <= default:
            out[name] = float("nan") if v is None else v
    return out


def loosened_words(loosened: dict[str, float]) -> str:
    """The loosened tolerances in words, each with HiGHS's default."""
    def said(k, v):
        if k not in DEFAULT_TOLERANCES:
            return f"{k} malformed"
        return f"{k} {'not a number' if v != v else f'{v:g}'} (default {DEFAULT_TOLERANCES[k]:g})"

    return ", ".join(said(k, v) for k, v in loosened.items())


def summary_loosened_tolerances(summary: dict) -> dict[str, float]:
    """:func:`loosened_tolerances` of the tolerances a summary's solve ran with: ``solver.tolerances``
    (what HiGHS held, written since they decide the status), else the HiGHS options the user gave
    (``solver.options.highs``, in summaries written before)."""
    solver = summary.get("solver") if isinstance(summary.get("solver"), dict) else {}
    given = (solver.get("options") or {}).get("highs") if isinstance(solver.get("options"), dict) else None
    held = solver.get("tolerances")
    if held is not None and not isinstance(held, dict):
        # malformed ("x", [0.01], 5): no tolerance HiGHS held is known, so none is shown to be its default
        # (before: a TypeError traceback in `yrdopt check`)
        return {"solver.tolerances": float("nan")}
    return loosened_tolerances({**(given if isinstance(given, dict) else {}), **(held or {})})


def figure_matches(claimed: float, recomputed: float) -> bool:
    """The one test of a claimed figure against the one recomputed from the written layout or tables:
    within :data:`CLAIM_TOL` x max(1, |claimed|), both finite.  The files carry 10 significant digits
    (``float_format="%.10g"``, summary.json full precision), so a figure recomputed from them differs by
    about 1e-9 of its size at most: a thousandth of this tolerance.

    A share (``transition.moved_share``: the activity moved over the activity before, in [0, 1]) is
    held to the same rule: there it is the absolute 1e-6 (a millionth of the activity before), a
    thousand times the ~1e-9 the files' rounding can move it by."""
    # both finite: inf <= inf held, so a summary claiming an objective of Infinity passed `yrdopt check`
    return (math.isfinite(claimed) and math.isfinite(recomputed)
            and abs(claimed - recomputed) <= CLAIM_TOL * max(1.0, abs(claimed)))


def objective_matches(claimed: float, recomputed: float) -> bool:
    """The one test of a claimed objective against the one recomputed from the layout
    (:func:`figure_matches`).  Every place that accepts or rejects a layout for its
    objective uses it (the claims check, ``api``, ``phasing``, ``sweep.worker._check``, the workbench,
    the report, :func:`rejection_found`'s words): before, the claims check scaled by the recomputed
    objective and the others by the claimed one, so 1e6 claimed, 1e6 + 1.0000005 recomputed was
    rejected by a sweep and passed by ``yrdopt check``."""
    return figure_matches(claimed, recomputed)


def rejection_found(max_violation: float | None, claimed: float | None = None, recomputed: float | None = None,
                    false_claims=()) -> str:
    """What the checker found where it rejected a layout, in words for a reason: the limit broken
    (the largest scaled violation) where a row is violated beyond :data:`yrdopt.tolerance.TOLERANCE`;
    else the objective it recomputed from the layout against the ``claimed`` one (a layout that
    breaks no limit is rejected because its cost is not what was claimed); else the first of the
    summary's ``false_claims``.  Before, every such reason said "largest scaled violation 0 ...
    breaks a limit".

    The objective differs by the test the code that rejected used (:func:`objective_matches`).  Unknown values (None, NaN: a
    table's empty cell) say nothing: a record without the recomputed objective (written before
    it was kept) and no false claims is taken to differ in its objective (a single solve's
    layout that breaks no limit is rejected for nothing else); without a claimed objective the
    reason is the false claims, each named."""
    from .tolerance import TOLERANCE

    def known(v):
        return None if v is None or v != v else float(v)

    max_violation, claimed, recomputed = known(max_violation), known(claimed), known(recomputed)
    if max_violation is not None and max_violation > TOLERANCE:
        return f"it breaks a limit: largest scaled violation {max_violation:.3g}"
    differs = not objective_matches(claimed, recomputed) if recomputed is not None else not false_claims
    if claimed is not None and differs:
        where = "" if recomputed is None else f" {recomputed:,.8g}"
        return (f"it breaks no limit, but the objective the checker recomputed from the layout{where} is not the "
                f"{claimed:,.8g} claimed")
    if len(false_claims) == 1:
        return f"it breaks no limit, but a claim is false: {false_claims[0]}"
    if false_claims:  # each named: a record rejected for its gap and its "optimal" says both
        return f"it breaks no limit, but {len(false_claims)} claims are false: {'; '.join(map(str, false_claims))}"
    return "it breaks no limit, but a claim is false"


def false_claims_text(false_claims) -> str | None:
    """A layout's false claims (each :class:`FalseClaim` or its words) in one table cell, "; " between
    them (a sweep's results.csv); None where there is none."""
    return "; ".join(map(str, false_claims)) if false_claims else None


def false_claims_read(cell) -> list[str]:
    """The false claims of a table cell (:func:`false_claims_text`; a list as a record holds them); [] for
    an empty cell (NaN, None) or a table written before it had them.  Each claim starts with its name and
    "states" (:meth:`FalseClaim.__str__`): the cell is split only there."""
    if isinstance(cell, str):
        import re

        return [c for c in re.split(r"; (?=[^;:]+: states )", cell) if c]
    if isinstance(cell, (list, tuple)) or hasattr(cell, "tolist"):
        return [str(c) for c in list(cell)]
    return []


def summary_rejection_found(summary: dict) -> str:
    """:func:`rejection_found` for a checked summary (its ``max_violation``, claimed ``objective``
    and ``check``'s recomputed objective and false claims)."""
    check = summary.get("check") or {}
    return rejection_found(summary.get("max_violation"), summary.get("objective"), check.get("objective"),
                           check.get("false_claims") or ())


def relative_gap(objective: float, bound: float) -> float:
    """HiGHS's gap formula, ``(objective - bound) / |objective|``."""
    if objective == 0.0:
        return 0.0 if bound >= 0.0 else float("inf")
    return max(0.0, objective - bound) / abs(objective)


def proven_optimal(objective: float | None, bound: float | None, rel_gap: float, abs_gap: float) -> bool:
    """Is ``bound`` close enough to ``objective`` for the requested gaps?  HiGHS stops when
    ``objective - bound <= max(abs_gap, rel_gap * |objective|)``."""
    if objective is None or bound is None or bound != bound or abs(bound) == float("inf"):
        return False
    return objective - bound <= max(abs_gap, rel_gap * abs(objective)) + CLAIM_TOL * max(1.0, abs(objective))


def hold_limit(value: float, tolerance: float = 0.0) -> float:
    """The upper limit a term is held to after its stage reached ``value``: the relative
    ``tolerance`` plus the slack that keeps the point through HiGHS's tolerances."""
    return value + tolerance * abs(value) + HOLD_ABS + HOLD_REL * abs(value)


def lexicographic_holds(order: list[str], tolerance: float, stage_optima: dict[str, float]) -> dict[str, float]:
    """term -> limit it is held to: the tolerance relaxes every term but the last (the
    weighted objective after the last stage only breaks ties)."""
    return {t: hold_limit(stage_optima[t], tolerance if i < len(order) - 1 else 0.0)
            for i, t in enumerate(order) if t in stage_optima}


@dataclass
class FalseClaim:
    claim: str
    stated: Any
    recomputed: Any
    reason: str

    def __str__(self) -> str:
        return f"{self.claim}: states {self.stated!r}, recomputed {self.recomputed!r}: {self.reason}"

    @property
    def words(self) -> str:
        """The false claim as a planner reads it (the HTML report, beside the checker's verdict): what
        summary.json says, what the layout gives, why it cannot hold; numbers as figures, not reprs."""
        def said(v) -> str:
            if isinstance(v, float) and not isinstance(v, bool):
                return f"{v:,.6g}" if abs(v) < 1e-3 or abs(v) >= 1e6 else f"{v:,.4f}".rstrip("0").rstrip(".")
            return str(v)

        name = CLAIM_WORDS.get(self.claim, self.claim)
        again = f", the layout gives {said(self.recomputed)}" if self.recomputed is not None else ""
        return f"{name} {said(self.stated)}{again}: {self.reason}"


# summary.json's top-level claims in a planner's words (FalseClaim.words); nested ones keep their path
CLAIM_WORDS = {"objective": "the stated cost", "bound": "the stated lower bound", "gap": "the stated gap",
               "status": "the stated status"}


def _number(summary: dict, key: str, out: list[FalseClaim]) -> float | None:
    """A numeric claim, or None when absent; a value that is no number is itself a false claim."""
    v = summary.get(key)
    if v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)):
        return v
    out.append(FalseClaim(key, v, None, "not a number"))
    return None


def _exceeds(value: float, limit: float) -> bool:
    return value - limit > CLAIM_TOL * max(1.0, abs(limit))


def check_claims(summary: dict, objective: float, raw: dict[str, float], components: dict[str, float] | None = None,
                 periods: list[dict] | None = None, transitions: dict | None = None) -> list[FalseClaim]:
    """Every claim of ``summary`` that the recomputed ``objective``, unweighted terms ``raw``,
    weighted terms ``components``, a plan's ``periods`` (each ``year``, ``discount`` and its
    undiscounted weighted ``terms``) and the counts of the checked transition.csv (``transitions``:
    year, None for a one-period solve, -> :func:`yrdopt.site_change.transition_counts`) contradict
    (empty: all hold)."""
    out: list[FalseClaim] = []
    status = summary.get("status")
    stated_obj, bound, gap = (_number(summary, k, out) for k in ("objective", "bound", "gap"))
    if status is not None and status not in STATUSES_WITH_LAYOUT:
        out.append(FalseClaim("status", status, "a layout", "the status says there is no layout, but one is written"))
    if stated_obj is not None and not objective_matches(stated_obj, objective):
        out.append(FalseClaim("objective", stated_obj, objective, "the layout's objective differs"))
    if bound is not None and _exceeds(bound, objective):
        out.append(FalseClaim("bound", bound, objective, "a lower bound above the objective of a feasible layout"))
    if gap is not None and bound is not None:
        want = relative_gap(objective, bound)
        if abs(gap - want) > CLAIM_TOL + 1e-9 * abs(want):
            out.append(FalseClaim("gap", gap, want, "the gap is (objective - bound) / |objective|"))
    loosened = summary_loosened_tolerances(summary)
    if loosened:
        for claim, stated in (("status", status if status == "optimal" else None), ("bound", bound), ("gap", gap)):
            if stated is not None:
                out.append(FalseClaim(claim, stated, None, f"HiGHS ran with loosened tolerances ({loosened_words(loosened)}): "
                                      "its bound is one of the loosened problem, no proof for this one"))
    if status == "optimal":
        req = summary.get("gap_requested")
        rel, ab = (req.get("relative"), req.get("absolute")) if isinstance(req, dict) else (None, None)
        if not all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in (rel, ab)):
            out.append(FalseClaim("status", status, None, "'optimal' without the requested gap (gap_requested)"))
        elif not proven_optimal(objective, bound, rel, ab):
            out.append(FalseClaim("status", status, relative_gap(objective, bound) if bound is not None else None,
                                  f"'optimal' needs the bound within the requested gap (relative {rel:g}, "
                                  f"absolute {ab:g}) of the layout's objective"))
    out += _component_claims(summary, objective, components)
    out += _period_claims(summary, objective, periods)
    out += _myopic_claims(summary, objective, bound)
    # malformed periods are said once (_period_claims, where the checker recomputed them, says so first)
    out += [c for c in _transition_claims(summary, transitions)
            if not (c.claim == "periods" and any(o.claim == "periods" for o in out))]
    out += _lexicographic_claims(summary.get("lexicographic"), raw, status)
    out += _front_claims(summary.get("front"), raw)
    return out


def _numbers(value) -> dict[str, float] | None:
    """A mapping of names to finite numbers, as floats; None when it is not one (a NaN would pass
    every ``abs(a - b) > tol`` comparison)."""
    if not isinstance(value, dict) or not all(isinstance(v, (int, float)) and not isinstance(v, bool)
                                              and math.isfinite(v) for v in value.values()):
        return None
    return {str(k): float(v) for k, v in value.items()}


def _component_claims(summary: dict, objective: float, recomputed: dict[str, float] | None) -> list[FalseClaim]:
    """The objective's ``components`` add up to the objective recomputed from the layout, and
    each is the term recomputed (where the checker gives them: ``recomputed``)."""
    if "components" not in summary:
        return []
    comps = _numbers(summary["components"])
    if comps is None:
        return [FalseClaim("components", summary["components"], None, "a mapping of objective terms to numbers")]
    tol = CLAIM_TOL * max(1.0, abs(objective))
    out = []
    total = sum(comps.values())
    if abs(total - objective) > tol:
        out.append(FalseClaim("components", total, objective,
                              "the components do not add up to the objective recomputed from the layout"))
    for k, v in comps.items():
        if recomputed is not None and k not in recomputed:
            out.append(FalseClaim(f"components.{k}", v, None, f"an objective term ({', '.join(recomputed)})"))
        elif recomputed is not None and abs(v - recomputed[k]) > tol:
            out.append(FalseClaim(f"components.{k}", v, recomputed[k], "the term recomputed from the layout differs"))
    return out


def _period_claims(summary: dict, objective: float, recomputed: list[dict] | None) -> list[FalseClaim]:
    """A plan's components are the discounted sum of its periods' terms (``periods[].terms`` x
    ``periods[].discount``, as written), and each period's terms and discount factor — and
    ``discounting.factors`` — are the ones recomputed from the layout and the instance."""
    stated = summary.get("periods")
    if not stated or not recomputed:
        return []
    try:  # a plan written without the checker (check=False) states no terms: nothing to add up then
        per = [(int(p["year"]), float(p["discount"]), _numbers(p["terms"]) if "terms" in p else {}) for p in stated]
    except (TypeError, ValueError, KeyError, OverflowError):
        per = None
    if per is None or any(t is None or not math.isfinite(d) for _, d, t in per):
        return [FalseClaim("periods", stated, None,
                           "a list of periods, each with a year, a finite discount and numeric terms")]
    tol = CLAIM_TOL * max(1.0, abs(objective))
    out = []
    comps = (_numbers(summary.get("components")) or {}) if all("terms" in p for p in stated) else {}
    for k, v in comps.items():
        want = sum(d * terms.get(k, 0.0) for _, d, terms in per)
        if abs(v - want) > tol:
            out.append(FalseClaim(f"components.{k}", v, want,
                                  "the discounted sum of the periods' terms (periods[].terms x periods[].discount)"))
    again = {int(p["year"]): p for p in recomputed}
    factors = _numbers((summary.get("discounting") or {}).get("factors")) if summary.get("discounting") else None
    if summary.get("discounting") and factors is None:
        out.append(FalseClaim("discounting.factors", summary["discounting"], None, "a mapping of years to numbers"))
    for year, discount, terms in per:
        if year not in again:
            out.append(FalseClaim(f"periods[{year}]", year, sorted(again), "a milestone year of the plan"))
            continue
        r = again[year]
        for where, value in ((f"periods[{year}].discount", discount),
                             (f"discounting.factors.{year}", (factors or {}).get(str(year)))):
            if value is not None and abs(value - r["discount"]) > CLAIM_TOL * max(1.0, abs(r["discount"])):
                out.append(FalseClaim(where, value, r["discount"], "the discount factor of the instance's rate and years"))
        for k, v in terms.items():
            if k in r["terms"] and abs(v - r["terms"][k]) > tol:
                out.append(FalseClaim(f"periods[{year}].terms.{k}", v, r["terms"][k],
                                      "the period's term recomputed from its layout differs"))
    return out


def _periods_by_year(stated) -> dict | None:
    """summary.json's ``periods`` by year, read as :func:`_period_claims` reads them (``int(year)``);
    None when they are no list of mappings, each with a year."""
    if not isinstance(stated, list) or not all(isinstance(p, dict) for p in stated):
        return None
    try:
        return {int(p["year"]): p for p in stated}
    except (TypeError, ValueError, KeyError, OverflowError):
        return None


def _transition_claims(summary: dict, recomputed: dict | None) -> list[FalseClaim]:
    """The sites kept, grown, shrunk, closed and opened, the activity before and moved and the moved
    share that ``transition`` (a plan: ``periods[].transition``) states are those of the checked
    transition.csv's rows (:data:`TRANSITION_FIGURES` by :func:`figure_matches`)."""
    if not recomputed:
        return []
    if None in recomputed:
        stated = [("transition", summary.get("transition"), recomputed[None])]
    else:
        by_year = _periods_by_year(summary.get("periods") or [])
        if by_year is None:
            return [FalseClaim("periods", summary.get("periods"), None,
                               "a list of periods, each with a year (and its transition counts)")]
        stated = [(f"periods[{y}].transition", (by_year.get(y) or {}).get("transition"), r) for y, r in recomputed.items()]
    out = []
    for where, said, want in stated:
        if said is None:
            continue  # a summary written without one claims nothing of it
        if not isinstance(said, dict):
            out.append(FalseClaim(where, said, None, "a mapping of the counts of transition.csv"))
            continue
        for k, v in want.items():
            got = said.get(k)
            if k in TRANSITION_FIGURES:
                if got is None and k != "moved_share":
                    continue  # a summary written before it stated the activity (moved_share it always did)
                if not isinstance(got, (int, float)) or isinstance(got, bool) or not figure_matches(got, v):
                    out.append(FalseClaim(f"{where}.{k}", got, v, TRANSITION_FIGURES[k]))
            elif got != v:
                out.append(FalseClaim(f"{where}.{k}", got, v, f"the number of transition.csv's rows with status {k}"))
    return out


# transition's figures (site_change.transition_counts), each re-derived from transition.csv's rows by
# figure_matches (before: moved_share within an absolute 1e-6, activity_moved and activity_before not at all)
TRANSITION_FIGURES = {"moved_share": "the activity moved by transition.csv's rows over their activity before",
                      "activity_moved": "the activity transition.csv's rows that shrank or closed gave up",
                      "activity_before": "the activity of transition.csv's rows before the change"}


def _myopic_claims(summary: dict, objective: float, bound: float | None) -> list[FalseClaim]:
    """A phased plan's myopic comparison (issue 14): its total is the discounted sum of its
    periods, foresight saves the difference to this plan, and no plan costs less than a bound."""
    my = summary.get("myopic")
    if not my:
        return []
    try:
        total, saves = float(my["objective"]), float(my["foresight_saves"])
        per = [float(v) for v in my["per_period"]]
        disc = [float(p["discount"]) for p in summary["periods"]]
    except (TypeError, ValueError, KeyError):
        return [FalseClaim("myopic", my, None, "objective, foresight_saves, per_period and periods[].discount")]
    out = []
    if len(per) == len(disc) and abs(sum(d * v for d, v in zip(disc, per)) - total) > CLAIM_TOL * max(1.0, abs(total)):
        out.append(FalseClaim("myopic.objective", total, sum(d * v for d, v in zip(disc, per)),
                              "the discounted sum of the myopic periods"))
    if abs(saves - (total - objective)) > CLAIM_TOL * max(1.0, abs(objective)):
        out.append(FalseClaim("myopic.foresight_saves", saves, total - objective,
                              "the myopic plan's total minus this plan's"))
    if bound is not None and _exceeds(bound, total):
        out.append(FalseClaim("myopic.objective", total, bound, "a plan cheaper than the proven bound"))
    return out


def _stages(claim: str, section, order_key: str) -> tuple[list[str], dict[str, float]] | FalseClaim:
    """(term order, stage optima) of a lexicographic or front section, or why it is malformed."""
    try:
        order = [str(t) for t in section[order_key]]
        optima = {str(t): float(v) for t, v in section.get("stage_optima", {}).items()}
    except (TypeError, ValueError, KeyError, AttributeError):
        return FalseClaim(claim, section, None, f"a section with '{order_key}' and numeric 'stage_optima'")
    unknown = sorted(set(order) - set(TERMS))
    if unknown:
        return FalseClaim(claim, unknown, None, f"objective terms ({', '.join(TERMS)})")
    return order, optima


def _lexicographic_claims(lex: dict | None, raw: dict[str, float], status: str | None) -> list[FalseClaim]:
    if not lex:
        return []
    stages = _stages("lexicographic", lex, "order")
    if isinstance(stages, FalseClaim):
        return [stages]
    out = []
    order, optima = stages
    for t, limit in lexicographic_holds(order, float(lex.get("tolerance", 0.0)), optima).items():
        if _exceeds(raw[t], limit):
            out.append(FalseClaim(f"lexicographic hold on {t}", limit, raw[t],
                                  f"the layout breaks the hold its stage set ({t} <= {limit:.10g})"))
    if status == "optimal":
        for t in order[:1]:  # the first stage is unconstrained by holds: nothing may beat its optimum
            if t in optima and raw[t] < optima[t] - HOLD_ABS - CLAIM_TOL * max(1.0, abs(optima[t])):
                out.append(FalseClaim(f"lexicographic stage optimum of {t}", optima[t], raw[t],
                                      "this layout has less: the stage optimum was not the least"))
    return out


def _front_claims(front: dict | None, raw: dict[str, float]) -> list[FalseClaim]:
    if not front:
        return []
    stages = _stages("front", front, "between")
    if isinstance(stages, FalseClaim):
        return [stages]
    between, optima = stages
    out = []
    for t, cap in (front.get("cap") or {}).items():
        if t in between and isinstance(cap, (int, float)) and _exceeds(raw[t], cap):
            out.append(FalseClaim(f"front cap on {t}", cap, raw[t], f"the point breaks its cap ({t} <= {cap:.10g})"))
    holds = lexicographic_holds(between, 0.0, optima)
    for t, limit in holds.items():
        if _exceeds(raw[t], limit):
            out.append(FalseClaim(f"front stage hold on {t}", limit, raw[t],
                                  f"the point breaks the hold its stage set ({t} <= {limit:.10g})"))
    return out

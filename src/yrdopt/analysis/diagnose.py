"""Explaining infeasibility in a planner's words.

HiGHS's IIS on this model's LP relaxation lists hundreds of flow rows, so instead:

* aggregate pre-checks (demand against quotas, single-site segments against every
  region) name the obvious conflicts without solving;
* :func:`conflicting_limits` finds an irreducible set of conflicting *limits* — one
  region's quota of one resource, one segment's demand, single-site rule, site limit or
  minimum scale, one fixed or forbidden placement, one province share — by a deletion
  filter on a model without flows (flows never make a layout infeasible: every link is
  a transportation problem between the hosts of its two segments, uncapacitated).  Each
  limit is switched off through a bound, so a check is one feasibility MIP on a
  persistent HiGHS; limits are tried in halving batches, so a small conflict among
  hundreds of limits costs a few dozen solves;
* an elastic solve — every quota may grow, at a cost of one per unit — reports the
  least quota increase per region and resource that makes the instance feasible.  Its model has
  no flows either (:func:`_elastic_options`), for the same reason: on the generated 41×30×4 10,179 columns
  instead of 161,379, built in milliseconds instead of being an uncounted part of the time limit.

A time limit covers the whole diagnosis (:class:`yrdopt.deadline.Deadline`): the search for
conflicting limits gets up to :data:`CONFLICT_SHARE` of it (each of its MIPs what is left of
that share; stopped there, the limits kept so far still conflict, not proven irreducible), the
elastic solve the rest.  A command that finds its instance infeasible diagnoses it within what is
left of its own limit, at least :data:`DIAGNOSE_MIN_S` (:func:`diagnosis_deadline`).  The deadline's
``stop`` (Ctrl-C, the workbench's Stop, a sweep's) is handed to every HiGHS run of the diagnosis.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace

import numpy as np

from ..tolerance import TOLERANCE as ROUND_OFF
from ..data import ModelData, build_model_data
from ..deadline import Deadline, after_solve_reserve, highs_options_for
from ..phasing import refuse_periods
from ..schema import Instance, resource_units, unit_words
from .limit_words import BUDGET_COUNTS, BUDGET_FIELDS, counted, raise_text

PHASED_DIAGNOSE = "diagnose one period's instance"

# without a time limit of its own, a command diagnoses an infeasible instance within this long
DIAGNOSE_S = 60.0
# a command that finds its instance infeasible with less than this left of its time limit still
# diagnoses it for this long: the most it may end past its limit (plus HiGHS's overrun)
DIAGNOSE_MIN_S = 1.0
# the share of a diagnosis's time limit that the search for conflicting limits may take (it is
# usually done in a fraction of it: 1.5 s on the 41-city instance made infeasible on purpose)
CONFLICT_SHARE = 0.5


def diagnosis_deadline(left: float | None, stop=None) -> Deadline:
    """The deadline of a diagnosis that follows a solve with ``left`` seconds of its time limit
    left (None: no limit): what is left, at least :data:`DIAGNOSE_MIN_S`, at most :data:`DIAGNOSE_S`.
    ``stop``: the solve's own (Ctrl-C, the workbench's Stop, a sweep's): it ends every HiGHS run of
    the diagnosis at its next callback, as it ended the solve's."""
    return Deadline(DIAGNOSE_S if left is None else min(DIAGNOSE_S, max(left, DIAGNOSE_MIN_S)), stop=stop)


# HiGHS's primal feasibility tolerance (its default; yrdopt sets no other): said in a verdict's words
# ("no layout satisfies every limit within HiGHS's tolerance").  Never a threshold of a verdict: HiGHS
# applies it to rows as it scales them, so what it accepts depends on the size of the numbers (Shanghai's
# land 1e-4 short of 4000: `yrdopt solve` finds a layout; 5e-7 short of 4: none); see :func:`round_off_verdict`
SOLVER_TOLERANCE = 1e-7
WITHIN_HIGHS = f" within HiGHS's tolerance ({SOLVER_TOLERANCE:g})"  # "no layout satisfies every limit ..."
# a layout past no limit by more than this × max(1, |limit|) meets every limit up to the floating-point
# error of a row's sum, far inside any tolerance of HiGHS: the one excess a verdict needs no re-check for
FLOAT_ROUND_OFF = 1e-9


def within_round_off(needed: bool, what: str, rechecked: bool = False) -> str:
    """What an increase within the checker's round-off, yet more than HiGHS accepts on solve's own
    model, means for a ``what`` ("layout", "plan"); ``needed``: proven (solve's own model re-checked,
    or HiGHS's bound) — else the best found needs it.  Said as "may" where not re-checked: near its
    tolerance HiGHS's verdict depends on the model's scaling (planning_small with the binding land 2e-7
    short: `solve` finds a layout; 3e-7 short: none); ``rechecked``: solve's own model found none
    (:func:`round_off_verdict`)."""
    finds = (f"so `yrdopt solve` finds no {what} (re-checked on its own model)" if rechecked else
             f"so `yrdopt solve` may find no {what}")
    return (f"A {what} that exceeds these limits by that much passes the checker (it allows {ROUND_OFF:g} × "
            f"max(1, |limit|)), but not HiGHS's tolerance of {SOLVER_TOLERANCE:g} on its scaled rows, " + finds
            + (": raise them by that much, or a little more." if needed else
               " (not proven needed: HiGHS's bound on the least increase is within its tolerance); "
               "raised by that much, it finds one."))


def round_off_verdict(proof: bool, borderline: bool, exact: bool, recheck) -> tuple[str, bool | None]:
    """The one rule behind every verdict of ``yrdopt diagnose`` (one period, or a plan over periods),
    as (verdict, what solve's own model said: None where not asked or not answered).

    * ``proof``: an answer beyond the checker's round-off (:func:`round_off`) — a totals check, a least
      increase beyond it, the elastic model infeasible, a conflict the elastic solve did not show to be
      round-off — "infeasible": no layout the checker verifies, so none `solve` can print as one.
    * ``borderline``: only round-off in question (every increase within the checker's round-off of its
      limit, yet some layout or slack past a limit by more than :data:`FLOAT_ROUND_OFF` × max(1,
      |limit|), or a conflict HiGHS proved on the flow-free model): whether HiGHS accepts that excess
      depends on how it scales solve's rows, so solve's own model, loaded as solve loads it, decides
      (``recheck()``: True a layout, False none, None no answer in time -> "undecided").
    * ``exact``: a layout past no limit by more than float round-off: "feasible".
    * else "undecided" (every search stopped at its time limit first).

    So "infeasible" is a proof that solve's model has no layout within HiGHS's tolerance, and
    "feasible" one that it has: diagnose's exit code is solve's (tests/test_explain.py sweeps both
    over the size of the numbers)."""
    if proof:
        return "infeasible", None
    if borderline:
        says = recheck()
        return {True: "feasible", False: "infeasible", None: "undecided"}[says], says
    return ("feasible" if exact else "undecided"), None


def past_limits(used: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """How far row activities ``used`` exceed their bounds, each as a multiple of max(1, |bound|) (the
    checker's scale, :func:`round_off`); 0 within every bound."""
    with np.errstate(invalid="ignore"):
        below = np.where(np.isfinite(lower), (lower - used) / np.maximum(1.0, np.abs(lower)), 0.0)
        above = np.where(np.isfinite(upper), (used - upper) / np.maximum(1.0, np.abs(upper)), 0.0)
    return float(max(np.max(below, initial=0.0), np.max(above, initial=0.0)))


def round_off(limit, share: float = ROUND_OFF) -> np.ndarray:
    """How far past ``limit`` (a quota, a change budget) a use may go and still count as within it:
    :data:`ROUND_OFF` × max(1, |limit|), the independent checker's own rule for a limit
    (:data:`yrdopt.tolerance.TOLERANCE`), so a layout that stays within it is one the checker verifies.

    Why a diagnosis needs it: HiGHS keeps rows to its feasibility tolerances (primal 1e-7, MIP
    1e-6) and proves the elastic optimum only to ``mip_abs_gap`` 1e-6, so a proven-optimal elastic
    solve of a feasible instance can return slacks of ~1e-8: round-off, not an increase a planner
    must make.  Scaled to the limit because round-off grows with the size of the numbers."""
    return share * np.maximum(1.0, np.abs(np.asarray(limit, dtype=float)))


def most_quota(d: ModelData) -> np.ndarray:
    """(R, K) the most of each resource a region can have: its quota plus every expansion and park
    it could open (C6's right-hand side with every one of them built: the quota of a layout that
    builds them all, :func:`yrdopt.analysis.quota_use.layout_quota`)."""
    from .quota_use import layout_quota

    return layout_quota(d, np.ones(d.E, dtype=bool), np.ones(d.N, dtype=bool))


@dataclass
class Finding:
    """A conflict an aggregate check proves, and the resource, segment and region it names."""

    text: str
    resource: str | None = None
    segment: str | None = None
    region: str | None = None


def aggregate_checks(d: ModelData, inst: Instance | None = None) -> list[str]:
    """Conflicts visible without solving, in words (:func:`aggregate_findings`)."""
    return [f.text for f in aggregate_findings(d, inst)]


def aggregate_findings(d: ModelData, inst: Instance | None = None) -> list[Finding]:
    """Conflicts visible without solving: each names a region (by its name, with ``inst``), resource,
    segment or rule.

    Each is a proof: it bounds the use from below (the least use per unit of each segment, no
    footprint, no rule) and the quotas from above (every expansion and park built), and allows each
    region's quota the checker's round-off (:func:`round_off`), so it never rejects an instance with
    a layout the checker verifies (``yrdopt solve`` runs it before HiGHS)."""
    msgs: list[Finding] = []
    cap = most_quota(d)
    placeable = d.allowed.any(axis=1)  # a segment with nowhere to go is the site check's (below)
    for k, res in enumerate(d.resource_ids):
        total_cap = cap[:, k].sum()
        if not np.isfinite(total_cap):
            continue
        use = np.where(d.allowed, d.use[:, :, k], np.inf)[placeable]
        need = float((d.activity[placeable] * use.min(axis=1)).sum())
        if need > total_cap + round_off(cap[:, k]).sum():
            unit = f" {_unit(inst, res)}".rstrip() if inst is not None else ""
            msgs.append(Finding(f"{res}: the segments need at least {need:.6g}{unit} in total but all regions together "
                                f"have {total_cap:.6g}{unit} (short by {need - total_cap:.6g}{unit})", resource=res))
    for s in range(d.S):
        label = d.segment_label(s)
        if d.allowed[s].sum() < d.min_sites[s]:
            allowed = int(d.allowed[s].sum())
            msgs.append(Finding(f"{label}: needs at least {counted(int(d.min_sites[s]), 'site')} but only "
                                f"{counted(allowed, 'region is', 'regions are')} not forbidden", segment=label))
        if not d.single_site[s]:
            continue
        with np.errstate(divide="ignore", invalid="ignore"):
            fits = np.all((d.activity[s] * d.use[s] <= cap + round_off(cap)) | (d.use[s] == 0), axis=1) & d.allowed[s]
        fixed = np.flatnonzero(d.fixed[s])
        for r in fixed:
            if not fits[r]:
                k = int(np.argmax(d.activity[s] * d.use[s, r] - cap[r]))
                over = d.activity[s] * d.use[s, r, k] - cap[r, k]
                where = _region_name(inst, d.region_ids[r]) if inst is not None else d.region_ids[r]
                msgs.append(Finding(f"{label} is fixed to {where}, but its {d.resource_ids[k]} use "
                                    f"{d.activity[s] * d.use[s, r, k]:.6g} exceeds the quota {cap[r, k]:.6g} by "
                                    f"{over:.6g}", d.resource_ids[k], label, d.region_ids[r]))
        if not fits.any():
            msgs.append(Finding(f"{label} is single-site with activity {d.activity[s]:.6g}, and no allowed region "
                                "has the quota to host all of it", segment=label))
    return msgs


def check_totals(inst: Instance) -> None:
    """``yrdopt solve``'s instant check before HiGHS: raise :class:`yrdopt.errors.InfeasibleError`
    with the conflicts :func:`aggregate_checks` proves (totals of demand against quotas, single-site
    segments against every region, site counts against the regions not forbidden), in the words
    ``diagnose`` uses; nothing when they prove nothing (never for an instance with a layout)."""
    msgs = aggregate_checks(build_model_data(inst), inst)
    if msgs:
        from ..errors import InfeasibleError

        raise InfeasibleError(
            "No layout satisfies every limit. Conflicts: " + "; ".join(msgs) + ". (Found before solving, by "
            "comparing totals; `yrdopt diagnose INSTANCE` also names the smallest set of conflicting limits and "
            "the least quota increase that makes it feasible.)",
            {"checks": msgs, "quota_increase": {}, "budget_increase": [], "conflicting_limits": [],
             "conflict_complete": False, "verdict": "infeasible"})


def elastic_quota_increase(inst: Instance, time_limit: float | None = 60.0) -> dict | None:
    """Least total quota increase that makes the instance feasible, per (region, resource).

    Returns None when even unlimited quotas (and change budgets) do not help (the conflict is a
    policy rule).
    """
    inc = elastic_increase(inst, time_limit)
    return None if inc is None or not inc.answered else inc.quotas


def _elastic_options():
    from ..model.compiled import BuildOptions

    # flow-free: flows never make a layout infeasible (module docstring), so the least increase is
    # the same without them, and the model is a fraction of the size (logistics_bound's rows and
    # columns stay: they hold for any layout and cost nothing in elastic mode)
    return BuildOptions(elastic=True, logistics="bound")


@dataclass
class ElasticIncrease:
    """What the elastic model (quotas and change budgets may grow at a cost) found.

    ``answered`` False: the search stopped at its time limit with no increase found — nothing is
    known (``started`` False: not even begun, no time was left).  ``proven`` False: an increase that
    works, not proven the least.  ``round_off``: with no increase, the slacks left out as round-off
    (:func:`round_off`), summed; else 0.  ``tiny_quotas``, ``tiny_budgets``: with no increase, those
    of them beyond float round-off (:data:`FLOAT_ROUND_OFF`): within the checker's round-off, yet a
    layout that needs them may be one HiGHS rejects on solve's model (:func:`round_off_verdict`).  ``least``: HiGHS's lower bound on the total
    increase (its MIP dual bound; 0 when not known)."""

    quotas: dict
    budgets: list[dict]
    answered: bool = True
    proven: bool = True
    round_off: float = 0.0
    started: bool = True
    tiny_quotas: dict = field(default_factory=dict)
    tiny_budgets: list[dict] = field(default_factory=list)
    least: float = 0.0
    picked: str | None = None  # how the tie rule's stage ended (:func:`pick_among_least`; None: it did not run)
    interrupted: bool = False  # the deadline's stop was set (Ctrl-C, a Stop): what was found by then, if anything


def _elastic_solve(cm, deadline: Deadline, stop=None, threads: int | None = None):
    """Solve an elastic model (objective: the increase) to a proven optimum, within ``deadline``
    (HiGHS gets what is left less :func:`yrdopt.deadline.after_solve_reserve`, and probing off
    on large models, as a solve does; no solve when less than that reserve is left: HiGHS would
    only overrun the limit); ``stop`` (default ``deadline.stop``) ends it and the pick after it early
    (Ctrl-C, the workbench's stop), ``threads`` as the caller's solve."""
    from dataclasses import replace as with_

    from ..solver import HighsSolver, SolveResult, SolverOptions

    stop = deadline.stop if stop is None else stop  # the pick below runs on the same HiGHS: it hears it too
    left = deadline.left()
    if left is not None and left <= after_solve_reserve(cm.n_cols):
        return SolveResult.no_time_left()
    limit, highs = highs_options_for(left, cm.n_cols, int(cm.integrality.sum()), {})
    solver = HighsSolver(SolverOptions(time_limit=limit, mip_gap=1e-9, threads=threads, highs=highs), stop=stop)
    solver.load(cm)
    res = solver.solve()
    if stop is not None and stop.is_set():  # interrupted: no rule's stage after it (tie_words)
        if res.x is None:
            return res
        why = "not run: interrupted" if res.status == "optimal" else "not run: least total not proven"
        return with_(res, solver={**res.solver, "picked": why})
    return pick_among_least(cm, res, deadline, solver)


# the rule that picks one least raise among several of the same total (README "diagnose", formulation.md
# section 13): the one least in proportion to the limits it raises, then the limit listed first
TIE_RULE = ("among raises of the same least total (each limit in its own unit), the least in proportion to "
            "the limits raised (raise / limit, summed), then the limit listed first (period, region, resource "
            "as the instance lists them; quotas before change budgets)")
# one sentence after the raise (a sweep's short reason keeps only the raise: commands/sweep.py _short_reason)
TIE_WORDS = ("The least raise is picked by a rule where others share its total (each limit in its own unit): "
             "the one least in proportion to the limits it raises, a tie to the limit the instance lists first.")
# ... where the rule's stage stopped at its time limit with a better pick than the first stage's, not proven
TIE_UNFINISHED = TIE_WORDS[:-1] + ("; that pick stopped at its time limit: the raise shown is the best it found, "
                                   "not proven the rule's.")
# ... where it did not run or ended without a pick: the raise shown is the first stage's (the solver's own)
TIE_RULE_SHORT = ("the rule that picks one where others share its total (the least in proportion to the limits "
                  "raised, a tie to the limit listed first)")
TIE_NOT_RUN = f"The least raise shown is the solver's own: {TIE_RULE_SHORT} did not run within the time limit."
TIE_INTERRUPTED = f"The least raise shown is the solver's own: {TIE_RULE_SHORT} was interrupted before its pick."
TIE_NO_PICK = f"The least raise shown is the solver's own: {TIE_RULE_SHORT} ended without a pick ({{status}})."
# ... where the first stage's total is itself unproven (the raise above says "not proven least")
TIE_TOTAL_UNPROVEN = f"The raise shown is the solver's own: {TIE_RULE_SHORT} did not run: the least total was not proven."
# the weight of a slack's rank in the second stage: ties within this share of its cost go to the earlier limit
RANK_SHARE = 1e-4
# the most of the limit that holds the second stage may take where other questions share that limit
# (explain --period's PlanBlocking, Deadline.share_of_limit): there the pick, which only refines a least total
# already proven, must not take their time.  diagnose's pick is its last stage: it gets all that is left (it
# took 142-298 s where the least total took 36-68 s on yrd-cities-2035 with 2030's land at 30 %, README
# "Which least increase"); stopped first, it says so (TIE_UNFINISHED)
TIE_SHARE = 0.25


def slack_scales(cm, cols: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(columns, limit) of an elastic model's slacks (the columns its objective counts, else ``cols``,
    ascending): each slack's limit is the finite bound of the one row it relaxes, at least 1 (a limit
    of 0 or below is raised by absolute units)."""
    cols = np.flatnonzero(cm.cost > 0) if cols is None else np.asarray(cols)
    A = cm.A.tocsc()
    limit = np.ones(len(cols))
    for i, j in enumerate(cols):
        rows = A.indices[A.indptr[j]:A.indptr[j + 1]]
        bounds = [b for r in rows for b in (cm.row_upper[r], cm.row_lower[r]) if np.isfinite(b)]
        limit[i] = max(1.0, abs(bounds[0])) if bounds else 1.0
    return cols, limit


def tie_costs(n_cols: int, cols: np.ndarray, limit: np.ndarray, cost: np.ndarray | float = 1.0) -> np.ndarray:
    """The objective of :data:`TIE_RULE`'s stage over ``n_cols`` columns: each slack of ``cols`` (in the
    order the instance lists its limits) by its first-stage ``cost`` in proportion to its ``limit``
    (:func:`slack_scales`), an earlier limit cheaper by :data:`RANK_SHARE` of it at most."""
    rank = np.arange(len(cols)) / max(1, len(cols))
    second = np.zeros(n_cols)
    second[cols] = cost / limit * (1.0 + RANK_SHARE * rank)
    return second


def pick_among_least(cm, res, deadline: Deadline, solver=None, threads: int | None = None,
                     share: float | None = None):
    """The second stage of the least raise (:data:`TIE_RULE`) of an elastic model ``cm`` whose least
    total ``res`` proved: with that total held (within HiGHS's tolerance), the raise least in
    proportion to its limits, ties to the limit listed first.  ``solver``: the HiGHS that solved
    ``res``, ``cm`` loaded (else a new one loads it: ``explain --period``'s questions, each on its own
    model).  It runs within what is left of ``deadline`` (less what follows HiGHS), or with ``share``
    within that share of its limit (:data:`TIE_SHARE`: where other questions share the limit).  The
    answer keeps the first stage's status and bound (the least total is what was proven); without a
    second answer in time, the first stage's raise stands.  ``solver["picked"]`` says how the stage
    ended (:func:`tie_words`), "not run: least total not proven" where the first stage's raise is
    unproven; absent where it had nothing to pick."""
    from dataclasses import replace as with_

    from ..solver import HighsSolver, SolverOptions

    if res.x is None:  # no raise found: nothing to pick
        return res
    total = float(cm.cost @ res.x)
    if total <= 0.0:  # nothing raised: nothing to pick
        return res
    cols, bound = slack_scales(cm)
    if not (res.x[cols] > ROUND_OFF * bound).any():  # every raise within round-off: none named, none to pick
        return res
    if res.status != "optimal":  # no least total proven: no rule to apply among its ties
        return with_(res, solver={**res.solver, "picked": "not run: least total not proven"})
    second = tie_costs(cm.n_cols, cols, bound, cm.cost[cols])
    time_s = deadline.left() if share is None else deadline.share_of_limit(share)  # within what is left
    limit = None if time_s is None else time_s - after_solve_reserve(cm.n_cols)
    if limit is not None and limit <= 0:
        why = "not run: interrupted" if deadline.stop is not None and deadline.stop.is_set() else "not run: no time left"
        return with_(res, solver={**res.solver, "tie_rule": TIE_RULE, "picked": why,
                                  "tie_time_limit": 0.0})
    if solver is None:
        solver = HighsSolver(SolverOptions(mip_gap=1e-9, threads=threads), stop=deadline.stop)
        solver.load(cm)
    solver.add_row(cm.cost, -np.inf, total * (1.0 + 1e-9) + 1e-7)
    solver.set_costs(second)
    picked = solver.solve(res.x, time_limit=limit)
    # without an answer the first stage's raise stands: "no pick: STATUS" (tie_words)
    interrupted = picked.status == "interrupted" or "interrupt" in (picked.highs_status or "").lower()
    ended = "interrupted" if interrupted else picked.status
    tie = {"tie_rule": TIE_RULE, "picked": ended if picked.x is not None else f"no pick: {ended}",
           "tie_time_limit": limit}
    if picked.x is None:
        return with_(res, solver={**res.solver, **tie})
    return with_(res, x=picked.x[: cm.n_cols], solver={**res.solver, **tie})


def tie_words(solver: dict | None) -> str:
    """The sentence after a raise: the rule that picked it (:data:`TIE_WORDS`), its pick stopped at the
    time limit (:data:`TIE_UNFINISHED`), or why the raise shown is the first stage's: the least total
    not proven (:data:`TIE_TOTAL_UNPROVEN`), the stage interrupted (:data:`TIE_INTERRUPTED`), ended
    without a pick (:data:`TIE_NO_PICK`, with its status) or not run (:data:`TIE_NOT_RUN`); ``solver``:
    the answer's ``solver`` record (:func:`pick_among_least`)."""
    solver = solver or {}
    picked = solver.get("picked")
    if picked == "optimal":
        return TIE_WORDS
    if picked == "not run: least total not proven":
        return TIE_TOTAL_UNPROVEN
    if picked in ("not run: interrupted", "no pick: interrupted"):
        return TIE_INTERRUPTED
    if picked == "interrupted":  # a better pick than the first stage's, found before the stop
        return TIE_UNFINISHED.replace("stopped at its time limit", "was interrupted")
    if picked is None or picked.startswith("not run"):
        return TIE_NOT_RUN
    if picked.startswith("no pick: "):  # ended without a pick: the first stage's raise stands
        return TIE_NO_PICK.format(status=picked[len("no pick: "):].replace("_", " "))
    return TIE_UNFINISHED


def elastic_increase(inst: Instance, time_limit: float | None = 60.0, *,
                     deadline: Deadline | None = None) -> ElasticIncrease | None:
    """Least increase of quotas and change budgets that makes the instance feasible: the quota
    added per (region, resource), and one record per change budget that must grow (T6); within
    ``deadline`` (else ``time_limit`` seconds from now), the model's build included.

    Returns None only when the elastic model is proven infeasible: even unlimited quotas and
    budgets do not help (the conflict is a policy rule).  A search stopped by its time limit is
    never read as that: it returns ``answered=False`` (nothing found) or ``proven=False``.
    """
    from ..model.compiled import build

    deadline = deadline or Deadline(time_limit)
    refuse_periods(inst, "diagnose", PHASED_DIAGNOSE)
    def stopped() -> bool:
        return deadline.stop is not None and deadline.stop.is_set()

    left = deadline.left()
    if left is not None and left <= 0:  # not even the build when nothing is left
        return ElasticIncrease({}, [], answered=False, proven=False, started=False, interrupted=stopped())
    cm = build(inst, _elastic_options())
    res = _elastic_solve(cm, deadline)
    if res.x is None:
        if res.status in ("infeasible", "infeasible_or_unbounded"):
            return None
        return ElasticIncrease({}, [], answered=False, proven=False, interrupted=stopped(),
                               started=res.highs_status != "not run: no time left")
    quotas, budgets = quota_increase(cm, res.x), budget_increase(cm, res.x)
    left_out = 0.0 if quotas or budgets else max(float(cm.cost @ res.x), 0.0)  # the elastic objective: every slack
    tiny_q, tiny_b = ({}, []) if quotas or budgets else (quota_increase(cm, res.x, share=FLOAT_ROUND_OFF),
                                                         budget_increase(cm, res.x, share=FLOAT_ROUND_OFF))
    return ElasticIncrease(quotas, budgets, proven=res.status == "optimal", round_off=left_out, tiny_quotas=tiny_q,
                           tiny_budgets=tiny_b, least=max(float(res.bound or 0.0), 0.0),
                           picked=(res.solver or {}).get("picked"), interrupted=stopped())


def solve_finds_layout(inst: Instance, deadline: Deadline) -> bool | None:
    """Whether ``yrdopt solve`` finds a layout the checker verifies: the instance's own model (with
    flows, as solve builds it) loaded into HiGHS with solve's settings, stopped at its first layout,
    polished and checked as solve does; False where HiGHS proves it has none; None where it stops
    without an answer (or no time is left for it), or its layout is one the checker rejects (solve
    would print it NOT verified, exit 5: no layout proven, none disproven).  The arbiter where only
    round-off is in question (:func:`round_off_verdict`)."""
    from ..api import solution_from_result
    from ..model.compiled import build
    from ..model.fixed import lp_polish
    from ..solver import HighsSolver, SolverOptions

    cm = build(inst)
    left = deadline.left()
    if left is not None and left <= after_solve_reserve(cm.n_cols):
        return None
    limit, highs = highs_options_for(left, cm.n_cols, int(cm.integrality.sum()), {})
    solver = HighsSolver(SolverOptions(time_limit=limit, mip_gap=1.0, highs=highs), stop=deadline.stop)
    solver.load(cm)
    res = solver.solve()
    if res.status in ("infeasible", "infeasible_or_unbounded"):
        return False
    if res.x is None:
        return None
    res = lp_polish(cm, res, time_limit=deadline.left())
    return True if solution_from_result(inst, cm, res).check.verified else None


TIMED_OUT = ("The search for the least quota and change budget increase stopped at its time limit before it "
             "found one: give diagnose more time (--time-limit).")
NOT_STARTED = ("The search for the least quota and change budget increase did not start: the time limit left "
               "too little for it (HiGHS would only have overrun it); give diagnose more time (--time-limit).")
# ... where the deadline's stop (Ctrl-C, the workbench's Stop, a sweep's) ended it or came before it
INTERRUPTED = "The search for the least quota and change budget increase was interrupted before it found one."


def quota_increase(cm, x: np.ndarray, share: float = ROUND_OFF) -> dict:
    """(region, resource) -> quota added in an elastic model's solution ``x``; a slack within
    round-off of its quota (:func:`round_off`) is no increase (``share``: within this × max(1, |quota|)
    instead, :data:`FLOAT_ROUND_OFF` for the slacks within round-off yet not exact)."""
    slack = cm.var("quota_slack").take(x)
    quota = cm.data.quota
    needed = slack > round_off(np.where(np.isfinite(quota), quota, 0.0), share)
    return {(cm.data.region_ids[r], cm.data.resource_ids[k]): float(slack[r, k]) for r, k in zip(*np.nonzero(needed))}


def budget_increase(cm, x: np.ndarray, prefix: str = "", data=None, share: float = ROUND_OFF) -> list[dict]:
    """Change budgets that an elastic solution ``x`` exceeds beyond round-off (``share``: by more
    than this × max(1, |budget|)): scope, budget, limit and how far it is short, in the planner's words ("the budget of
    1 site closed in Anhui is too small by 1")."""
    from ..model.transitions import BUDGETS, budget_groups

    d = data or cm.data
    if d.brownfield is None:
        return []
    scopes = ["the whole area", *d.province_ids]
    out = []
    for name in BUDGETS:
        if f"{prefix}{name}_slack" not in cm.var_blocks:
            continue
        slack = cm.var(f"{prefix}{name}_slack").take(x)
        rows = cm.row(f"{prefix}{name}")
        field = BUDGET_FIELDS[name]
        for i, g in enumerate(budget_groups(d, name)):
            limit = float(cm.row_upper[rows.index(i)])
            if slack[i] <= round_off(limit, share):
                continue
            scope = scopes[g]
            path = f"brownfield.budget.{field}" if g == 0 else f"brownfield.budget.by_province.{scope}.{field}"
            if name == "change_moved":
                text = (f"the budget of activity moved in {scope} ({limit:.6g} units) is too small by "
                        f"{raise_text(slack[i])} units")
            else:
                text = (f"the budget of {counted(limit, *BUDGET_COUNTS[field])} in {scope} is too small by "
                        f"{raise_text(slack[i])}")
            out.append({"budget": field, "scope": scope, "path": path, "limit": limit,
                        "short_by": float(slack[i]), "text": text})
    return out


# an explanation lists at most this many conflicting limits or increases (the search cut short keeps
# hundreds of limits: 351 on a 41x30x4 instance short of land; its least increase raises 24 quotas on a
# 20x10x3); the rest go to a file in ``out`` and the details (:func:`short_list`)
SHORT_LIST = 10
LIMITS_FILE = "conflicting_limits.csv"
INCREASE_FILE = "increase.csv"


def ranked_limits(limits: list["Limit"], findings: list[Finding], increase: dict | None,
                  budgets: list[dict]) -> list["Limit"]:
    """The limits most likely responsible first: the quotas the elastic solve raises (the largest
    increase first) and the change budgets it raises; then those of a resource, segment or region an
    aggregate check names (its totals, its fixed single-site segment); then the rest, in the
    search's order."""
    raised = {f"quota {r} {k}": v for (r, k), v in (increase or {}).items()}
    raised |= {f"budget {b['path']}": b["short_by"] for b in budgets}
    named = {(f.resource, f.region) for f in findings if f.resource} | {(None, f.segment) for f in findings if f.segment}

    def key(item):
        i, lim = item
        amount = raised.get(f"quota {lim.region} {lim.resource}" if lim.kind == "quota" else f"budget {lim.rule}")
        if amount is not None:
            return (0, -amount, i)
        hit = lim.kind == "quota" and ((lim.resource, None) in named or (lim.resource, lim.region) in named)
        return (1 if hit or (None, lim.segment) in named else 2, 0.0, i)

    return [lim for _, lim in sorted(enumerate(limits), key=key)]


def write_table(rows: list[dict], path) -> "Path":
    """``rows`` ranked (a ``rank`` column from 1) as the CSV ``path``, atomically."""
    from pathlib import Path

    import pandas as pd

    from ..io import atomic_write_text

    path = Path(path)
    atomic_write_text(path, pd.DataFrame([{"rank": i, **row} for i, row in enumerate(rows, 1)]).to_csv(index=False))
    return path


def short_list(items: list[str], rows: list[dict], out, file: str, key: str) -> tuple[str, str | None]:
    """``items`` (one line of the explanation each, most important first) joined by "; ", cut after
    :data:`SHORT_LIST` with "; and N more (full list in OUT/FILE)": then all of ``rows`` (one per
    item) are written to ``out/file`` (:func:`write_table`), or where that fails it is said; without
    ``out``, that the details keep them (under ``key``).  Returns (the text, the file written or None).
    One rule for every list a diagnosis prints: the conflicting limits and the increases."""
    listed = "; ".join(items[:SHORT_LIST])
    if len(items) <= SHORT_LIST:
        return listed, None
    path = None
    if out is None:
        where = f"all in the details' {key}; `yrdopt diagnose INSTANCE --out DIR` writes them to a file"
    else:
        from pathlib import Path

        try:
            path = str(write_table(rows, Path(out) / file))
            where = f"full list in {path}"
        except OSError as exc:  # the diagnosis still stands; only its long list has nowhere to go
            where = f"the full list could not be written to {out}: {exc.strerror or exc}"
    return f"{listed}; and {len(items) - SHORT_LIST} more ({where})", path


def increase_rows(quotas: dict, budgets: list[dict], quota_of=None,
                  inst: Instance | None = None) -> tuple[list[str], list[dict]]:
    """The increases of an elastic solve, the largest first (quotas and change budgets together, as
    :func:`ranked_limits` ranks them), as (one text each, one table row each).  ``quotas`` maps
    (region, resource) — or (year, region, resource) over periods — to the quota added;
    ``quota_of(key)`` the quota it is added to (for the table).  With ``inst``, a text names the
    region by its name and the increase with its unit ("Jiangsu (jiangsu) talent +315.211 thousand
    skilled staff"); the table's region and resource stay ids."""
    def said(region: str, resource: str, v: float) -> str:
        if inst is None:
            return f"{region} {resource} +{v:.6g}"
        return f"{_region_name(inst, region)} {resource} +{v:.6g} {_unit(inst, resource)}".rstrip()

    items = [(v, (f"{key[0]}: " if len(key) == 3 else "") + said(key[-2], key[-1], v),
              {"kind": "quota", "period": key[0] if len(key) == 3 else None, "region": key[-2], "resource": key[-1],
               "path": f"regions.{key[-2]}.quotas.{key[-1]}", "limit": quota_of(key) if quota_of else None,
               "increase": v})
             for key, v in sorted(quotas.items(), key=lambda kv: tuple(map(str, kv[0])))]
    items += [(b["short_by"], f"{b['text']} ({b['path']})",
               {"kind": "change_budget", "period": b.get("period"), "region": None, "resource": None,
                "path": b["path"], "limit": b.get("limit"), "increase": b["short_by"]}) for b in budgets]
    items.sort(key=lambda item: -item[0])  # stable: ties keep the order above
    texts = [text for _, text, _ in items]
    rows = [{**row, "text": text} for _, text, row in items]
    return texts, rows


def explain_infeasibility(inst: Instance, *, time_limit: float | None = 60.0, deadline: Deadline | None = None,
                          conflict: "Conflict | None" = None, known_infeasible: bool = True,
                          out=None) -> tuple[str, dict]:
    """One paragraph a planner can act on, plus the details behind it; within ``deadline`` (else
    ``time_limit`` seconds from now; None: no limit): the search for conflicting limits (unless
    ``conflict`` is given: its result) gets up to :data:`CONFLICT_SHARE` of it, the elastic solve the rest.

    ``known_infeasible`` False (``diagnose``: nothing has proven it yet): the paragraph says what
    its own evidence proves — ``details["verdict"]`` is "infeasible" (an aggregate check, a
    conflicting set, or the elastic solve proves it), "feasible" (the elastic solve found a layout
    that needs no increase) or "undecided" (every search stopped at its time limit first).

    More than :data:`SHORT_LIST` conflicting limits: the paragraph lists the first of
    :func:`ranked_limits` and says how many more; with ``out`` (a directory) all of them are written
    to ``out/conflicting_limits.csv`` (``details["conflicting_limits_file"]``).
    ``details["conflicting_limits"]`` holds all of them, ranked."""
    deadline = deadline or Deadline(time_limit)
    refuse_periods(inst, "diagnose", PHASED_DIAGNOSE)
    d = build_model_data(inst)
    findings = aggregate_findings(d, inst)
    msgs = [f.text for f in findings]
    if conflict is None:
        conflict = conflicting_limits(inst, deadline=deadline.part(CONFLICT_SHARE))
    elastic = elastic_increase(inst, deadline=deadline)
    increase, budgets = (elastic.quotas, elastic.budgets) if elastic is not None else (None, [])
    limits = ranked_limits(conflict.limits, findings, increase, budgets)
    listed, limits_file = short_list([f"({i}) {lim.text}" for i, lim in enumerate(limits, 1)],
                                     [lim.to_dict() for lim in limits], out, LIMITS_FILE, "conflicting_limits")
    raised, raised_rows = increase_rows(
        increase or {}, budgets, lambda key: float(d.quota[d.region_ids.index(key[0]), d.resource_ids.index(key[1])]),
        inst)
    raised_text, increase_file = short_list(raised, raised_rows, out, INCREASE_FILE,
                                            "quota_increase and budget_increase")
    details = {"checks": msgs, "quota_increase": {f"{r}/{k}": v for (r, k), v in (increase or {}).items()},
               "budget_increase": budgets,
               "conflicting_limits": [lim.to_dict() for lim in limits],
               "conflict_complete": conflict.complete, "tie_rule": TIE_RULE,
               "tie_pick": elastic.picked if elastic is not None else None,
               "conflicting_limits_file": limits_file, "increase_file": increase_file}
    answered = elastic is not None and elastic.answered
    # stopped (Ctrl-C, a Stop): every search ended at HiGHS's next callback; said so, not "the time limit"
    stopped = deadline.stop is not None and deadline.stop.is_set()
    details["interrupted"] = stopped
    # the elastic solve shows every increase within the checker's round-off: what is left is a question of
    # HiGHS's tolerance on solve's rows, which only solve's own model answers (round_off_verdict)
    round_off_only = answered and not increase and not budgets
    # within round-off, yet more than float error: the slacks named as "within round-off"
    tiny = round_off_only and bool(elastic.tiny_quotas or elastic.tiny_budgets)
    if tiny:
        details["round_off_increase"] = {"quota_increase": {f"{r}/{k}": v for (r, k), v in elastic.tiny_quotas.items()},
                                         "budget_increase": elastic.tiny_budgets}
    proof = bool(msgs or elastic is None or (answered and elastic.proven and (increase or budgets))
                 or (conflict.limits and not round_off_only))
    layout_past = not conflict.limits and conflict.excess > FLOAT_ROUND_OFF  # the conflict search's layout
    borderline = not known_infeasible and (bool(conflict.limits) or tiny or layout_past)
    exact = (round_off_only or (conflict.complete and not conflict.limits)) and not tiny and not layout_past
    verdict, solve_says = round_off_verdict(proof, borderline, exact, lambda: solve_finds_layout(inst, deadline))
    if solve_says is not None:
        details["solve_finds_layout"] = solve_says
    details["verdict"] = "infeasible" if known_infeasible else verdict
    # a verdict the re-check on solve's own model gave: it holds at HiGHS's tolerance, not beyond round-off
    precision = WITHIN_HIGHS if tiny or (borderline and not proof) else ""
    if known_infeasible or verdict == "infeasible":
        parts = [f"No layout satisfies every limit{precision}."]
    elif verdict == "feasible":
        if solve_says:
            return ("feasible: `yrdopt solve`'s own model has a layout (re-checked: HiGHS accepts its excess over "
                    "a limit, within round-off)"), details
        return "feasible: a layout meets every limit (the elastic solve needs no increase beyond round-off)", details
    else:
        parts = [f"Not decided {'before the diagnosis was interrupted' if stopped else 'within the time limit'} "
                 f"whether a layout satisfies every limit{precision}."]
    if msgs:
        parts.append("Conflicts: " + "; ".join(msgs) + ".")
    if limits:
        head = ("These limits cannot all hold together (drop or relax any one of them)" if conflict.complete else
                f"These limits conflict (search {'stopped early' if stopped else 'stopped at the time limit'}; "
                "the set may not be the smallest)")
        if len(limits) > SHORT_LIST:
            head += ", those the least increase raises or the totals name first"
        parts.append(f"{head}: {listed}.")
    elif not conflict.complete and stopped:  # its time share or the stop ended it: the stop is what to say
        parts.append("The search for conflicting limits was interrupted before it named any.")
    elif not conflict.complete:  # its first check did not end in time: nothing to name, yet not none
        parts.append("The search for conflicting limits stopped at the time limit before it named any: give "
                     "diagnose more time (--time-limit) to see them.")
    if increase or budgets:
        what = "quota and change budget" if budgets else "quota"
        least = ("The least" if elastic.proven else "An (interrupted, not proven least)" if elastic.interrupted
                 else "An (at the time limit, not proven least)")
        first = ", the largest first" if len(raised) > SHORT_LIST else ""
        parts.append(f"{least} {what} increase that makes it feasible{first}: {raised_text}. "
                     + tie_words({"picked": elastic.picked}))
    elif elastic is not None and not elastic.answered:
        parts.append(INTERRUPTED if elastic.interrupted else TIMED_OUT if elastic.started else NOT_STARTED)
    elif tiny and not msgs and not conflict.limits:  # nothing else names the limits: these do
        texts, rows = increase_rows(elastic.tiny_quotas, elastic.tiny_budgets, inst=inst)
        listed, _ = short_list(texts, rows, None, INCREASE_FILE, "round_off_increase")
        needed = verdict == "infeasible" or known_infeasible
        least = "The least" if needed else "The best layout found needs an"
        parts.append(f"{least} increase that makes it feasible is within round-off: {listed}. "
                     + within_round_off(needed, "layout", rechecked=solve_says is False))
    elif elastic is not None:  # another proof says infeasible, yet the elastic layout needs only round-off
        parts.append(f"The elastic solve's layout needs no increase beyond round-off (its slacks sum to "
                     f"{elastic.round_off:.2g}, each within the checker's tolerance of {ROUND_OFF:g} × its limit): the limits conflict only at the "
                     "solver's precision, and the least relaxation of any of them resolves it.")
    elif elastic is None:
        parts.append("Raising quotas" + (" and change budgets" if d.brownfield is not None else "")
                     + " alone does not help: the conflict is among policy rules "
                     "(fixed/forbidden regions, site limits, minimum scales, province shares"
                     + (" or protected sites" if d.brownfield is not None else "") + ").")
    return " ".join(parts), details


def one_milestone(inst: Instance, year) -> Instance:
    """``yrdopt diagnose --period YEAR``: milestone YEAR's limits alone, what every plan's period YEAR
    must satisfy (:func:`yrdopt.phasing.milestone_instance`), as an instance without periods; exit 2
    for an instance without milestone periods or a year it does not have."""
    from ..errors import InstanceError, Problem
    from ..phasing import milestone_instance
    from .phased import period_index

    if inst.periods is None:
        raise InstanceError([Problem("command line", "--period", year, "no --period: the instance has no milestone "
                                     "periods")])
    return milestone_instance(inst, period_index(inst, year))


def phased_elastic_model(inst: Instance):
    """The elastic model over every milestone period (:func:`yrdopt.model.periods.build_phased`), built
    without flows as one period's (:func:`_elastic_options`): the same least increase, 41-city periods
    in seconds instead of minutes (formulation.md sections 5 and 13)."""
    from ..model.periods import build_phased

    return build_phased(inst, _elastic_options())


def explain_phased_infeasibility(inst: Instance, *, time_limit: float | None = 60.0, stop=None,
                                 threads: int | None = None, deadline: Deadline | None = None,
                                 known_infeasible: bool = True, out=None) -> tuple[str, dict] | None:
    """A phased instance (milestone periods): the least increase of each period's quotas and
    change budgets that lets a plan over all periods exist (one elastic MILP over every period,
    :func:`yrdopt.model.periods.build_phased`); None when a plan exists.  The smallest set of
    conflicting limits is not searched over periods.  Within ``deadline`` (else ``time_limit``
    seconds from now), the model's build included.

    ``known_infeasible``: a solve already proved that no plan exists (``phasing.explain_infeasible_plan``);
    else (``yrdopt diagnose``) only the elastic solve decides, and ``details["verdict"]`` is
    "infeasible" only on its proof — an increase proven least, or the elastic model infeasible — and
    "undecided" where it stopped, never started or holds an increase not proven necessary (a
    better layout of the elastic model may need none)."""
    deadline = deadline or Deadline(time_limit, stop=stop)
    stop = deadline.stop if stop is None else stop
    none = {"quota_increase": {}, "budget_increase": []}
    opening = ("No plan over the periods satisfies every limit" if known_infeasible else
               "Not decided within the time limit whether a plan over the periods exists")
    left = deadline.left()
    if left is not None and left <= 0:  # not even the build when nothing is left
        return (f"{opening}. " + (INTERRUPTED if stop is not None and stop.is_set() else NOT_STARTED),
                {**none, "verdict": "infeasible" if known_infeasible else "undecided"})
    pm = phased_elastic_model(inst)
    res = _elastic_solve(pm.cm, deadline, stop, threads)
    undecided = "infeasible" if known_infeasible else "undecided"
    if res.x is None and stop is not None and stop.is_set():
        return (f"{opening} (the diagnosis was interrupted: run `yrdopt diagnose` on the instance for the least "
                "increase of each period's limits).", {**none, "verdict": undecided})
    if res.x is None and res.status not in ("infeasible", "infeasible_or_unbounded"):
        started = res.highs_status != "not run: no time left"
        return f"{opening}. " + (TIMED_OUT if started else NOT_STARTED), {**none, "verdict": undecided}
    if res.x is None:
        return ("No plan over the periods satisfies every limit, and raising quotas and change budgets alone does "
                "not help: the conflict is among policy rules (fixed/forbidden regions, site limits, minimum "
                "scales, protected sites or the minimum run of new sites).", {**none, "verdict": "infeasible"})
    quotas, budgets = phased_increase(inst, pm, res.x)
    tiny = not quotas and not budgets  # round-off only: those beyond float error are named (as for one period)
    if tiny:
        quotas, budgets = phased_increase(inst, pm, res.x, FLOAT_ROUND_OFF)
    proven = res.status == "optimal"
    # the rule of one period (round_off_verdict): an increase beyond round-off proven least is a proof;
    # one within it, solve's own model over the periods decides; none beyond float error, a plan
    verdict, solve_says = round_off_verdict(
        proven and not tiny, tiny and bool(quotas or budgets) and not known_infeasible,
        tiny and not quotas and not budgets, lambda: solve_finds_plan(inst, deadline))
    if verdict == "feasible":
        return None
    needed = verdict == "infeasible"
    d0 = pm.periods[0].data
    per_year = {(int(y), r, k): v for (y, r, k), v in ((key.split("/"), v) for key, v in quotas.items())}
    items, rows = increase_rows(per_year, budgets, lambda key: float(pm.periods[pm.years.index(key[0])].data.quota[
                                    d0.region_ids.index(key[1]), d0.resource_ids.index(key[2])]), inst)
    listed, increase_file = short_list(items, rows, out, INCREASE_FILE, "quota_increase and budget_increase")
    least = ("The least" if proven else "An (interrupted, not proven least)"
             if stop is not None and stop.is_set() else "An (at the time limit, not proven least)")
    precision = WITHIN_HIGHS if tiny else ""
    head = ("No plan over the periods satisfies every limit" + precision
            if known_infeasible or needed else opening)
    first = ", the largest first" if len(items) > SHORT_LIST else ""
    within = (" is within round-off" if tiny else "")
    text = (f"{head}. {least} quota and change budget increase that makes one exist{first}{within}: {listed}"
            + (". " + within_round_off(known_infeasible or needed, "plan", rechecked=solve_says is False)
               if tiny else ". " + tie_words(res.solver))
            + " (The smallest set of conflicting limits is not searched over periods: `yrdopt diagnose INSTANCE "
            "--period YEAR` searches it among one milestone's limits, those every plan's period YEAR must satisfy.)")
    found = {"quota_increase": quotas, "budget_increase": budgets}
    return text, {**({**none, "round_off_increase": found} if tiny else found), "increase_file": increase_file,
                  "tie_rule": TIE_RULE, "tie_pick": (res.solver or {}).get("picked"),
                  "verdict": "infeasible" if known_infeasible or needed else "undecided"}


def solve_finds_plan(inst: Instance, deadline: Deadline) -> bool | None:
    """:func:`solve_finds_layout` over milestone periods: the plan model as ``yrdopt solve`` builds and
    loads it (:func:`yrdopt.phasing.solve_phased`: its HiGHS profile), stopped at its first plan,
    polished and checked period by period as solve does."""
    from ..checker import check_phased
    from ..model.periods import build_phased
    from ..phasing import _fixed_integer_lp, phased_profile, plan_tables
    from ..solver import HighsSolver, SolverOptions

    pm = build_phased(inst)
    left = deadline.left()
    if left is not None and left <= after_solve_reserve(pm.cm.n_cols):
        return None
    limit, highs = highs_options_for(left, pm.cm.n_cols, int(pm.cm.integrality.sum()), {})
    options, _ = phased_profile(SolverOptions(time_limit=limit, mip_gap=1.0), int(pm.cm.integrality.sum()) / pm.T)
    if highs:
        options = replace(options, highs={**options.highs, **highs})
    solver = HighsSolver(options, stop=deadline.stop)
    solver.load(pm.cm)
    res = solver.solve()
    if res.status in ("infeasible", "infeasible_or_unbounded"):
        return False
    if res.x is None:
        return None
    x = _fixed_integer_lp(pm, np.round(res.x[: pm.cm.n_cols]), options, deadline.left())
    layout, flows, expansions, _, parks, park_activity = plan_tables(pm, res.x[: pm.cm.n_cols] if x is None else x)
    return True if check_phased(inst, layout, flows, expansions, parks=parks,
                                park_activity=park_activity).verified else None


def phased_increase(inst: Instance, pm, x: np.ndarray, share: float = ROUND_OFF) -> tuple[dict, list[dict]]:
    """What a solution ``x`` of the phased model in elastic mode raises beyond round-off (``share``:
    by more than this × max(1, |limit|)): quotas as ``{"year/region/resource": added}``, change budgets as records
    (period, budget, scope, path, short_by, text in the planner's words)."""
    import re

    quotas = {}
    for t, core in enumerate(pm.periods):
        for (r, k), v in quota_increase(core, pm.period_x(x, t), share).items():
            quotas[f"{pm.years[t]}/{r}/{k}"] = v
    scopes = ["the whole area", *pm.periods[0].data.province_ids]
    budgets = []
    pattern = re.compile(r"(change_(opened|closed|moved)\[(\d+),(\d+)\])_slack$")
    for name, block in pm.cm.var_blocks.items():
        m = pattern.match(name)
        if m is None:
            continue
        limit = float(pm.cm.row_upper[pm.cm.row(m.group(1)).start])
        if x[block.start] <= round_off(limit, share):
            continue
        t, g = int(m.group(3)), int(m.group(4))
        field = {"opened": "max_opened", "closed": "max_closed", "moved": "max_moved_share"}[m.group(2)]
        short = float(x[block.start])
        y, scope = pm.years[t], scopes[g]
        # a milestone without a budget of its own inherits brownfield.budget (phasing.period_budget)
        owner = (f"periods.milestones[{t}].budget" if inst.periods.milestones[t].budget is not None
                 else "brownfield.budget")
        path = f"{owner}.{field}" if g == 0 else f"{owner}.by_province.{scope}.{field}"
        if field == "max_moved_share":
            text = f"{y}: the budget of activity moved in {scope} is too small by {raise_text(short)} units"
        else:
            text = f"{y}: the budget of {counted(limit, *BUDGET_COUNTS[field])} in {scope} is too small by {raise_text(short)}"
        budgets.append({"period": y, "budget": field, "scope": scope, "path": path, "short_by": short, "text": text})
    return quotas, budgets


# -- irreducible set of conflicting limits ---------------------------------------------------
@dataclass
class Limit:
    """One limit of the instance in the planner's words, and how to switch it off."""

    kind: str  # quota, demand, single_site, site_max, site_min, min_scale, fixed, forbidden, province_share
    text: str
    region: str | None = None
    resource: str | None = None
    segment: str | None = None
    rule: str | None = None  # the instance field that states the limit
    # how to switch it off in the feasibility model: ("col"|"row", indices, on-bounds, off-bounds)
    _switch: tuple = field(default=(), repr=False)

    def to_dict(self) -> dict:
        return {k: v for k, v in asdict(self).items() if not k.startswith("_")}


@dataclass
class Conflict:
    limits: list[Limit]
    complete: bool  # False when a solve hit its time limit: the set may not be irreducible
    solves: int = 0
    # none found: how far the layout its first check found exceeds a limit, as a multiple of max(1, |limit|)
    # (:func:`past_limits`; HiGHS's MIP accepts a layout its presolve on solve's model may reject)
    excess: float = 0.0


def _unit(inst: Instance, resource: str) -> str:
    """A resource's unit as a planner reads it (:func:`yrdopt.schema.resource_units`)."""
    return resource_units(inst).get(resource, "")


def _region_name(inst: Instance, rid: str) -> str:
    r = inst.region(rid)
    return f"{r.name_en} ({rid})" if r.name_en and r.name_en != rid else rid


def enumerate_limits(inst: Instance, cm) -> list[Limit]:
    """Every limit that can take part in a conflict, with the bounds that switch it off."""
    d = cm.data
    out: list[Limit] = []
    units = resource_units(inst)
    slack, place = cm.var("quota_slack"), cm.var("place")
    for r, k in zip(*np.nonzero(np.isfinite(d.quota))):
        rid, res = d.region_ids[r], d.resource_ids[k]
        out.append(Limit("quota", f"the {res} quota of {_region_name(inst, rid)}: {d.quota[r, k]:.6g} {units[res]}".rstrip(),
                         rid, res, None, f"regions.{rid}.quotas.{res}",
                         ("col", np.array([slack.index(r, k)]), (0.0, 0.0), (0.0, np.inf))))
    demand, count, minsc = cm.row("demand"), cm.row("site_count"), cm.row("min_scale")
    from ..model.constraints import min_scale_segments

    ms_pos = {int(s): i for i, s in enumerate(min_scale_segments(d))}
    for s in range(d.S):
        label, seg = d.segment_label(s), d.segment_keys[s]
        unit = unit_words(inst.segment(*seg).unit)
        out.append(Limit("demand", f"{label} must place its whole activity {d.activity[s]:.6g} {unit}".rstrip(),
                         None, None, label, f"chains.{seg[0]}.segments.{seg[1]}.activity",
                         ("row", np.array([demand.index(s)]), (d.activity[s], d.activity[s]), (-np.inf, np.inf))))
        if d.max_sites[s] < d.R:
            kind = "single_site" if d.single_site[s] else "site_max"
            text = (f"{label} is single-site (all of it in one region)" if d.single_site[s]
                    else f"{label} may have at most {counted(int(d.max_sites[s]), 'site')} (policy.site_limits)")
            rule = f"chains.{seg[0]}.segments.{seg[1]}.single_site" if d.single_site[s] else "policy.site_limits"
            out.append(Limit(kind, text, None, None, label, rule,
                             ("row_upper", np.array([count.index(s)]), d.max_sites[s], float(d.R))))
        if d.min_sites[s] > 1:
            out.append(Limit("site_min", f"{label} needs at least {int(d.min_sites[s])} sites (policy.site_limits)",
                             None, None, label, "policy.site_limits",
                             ("row_lower", np.array([count.index(s)]), d.min_sites[s], 1.0)))
        if s in ms_pos:
            rows = minsc.index(np.full(d.R, ms_pos[s]), np.arange(d.R))
            out.append(Limit("min_scale", f"every site of {label} needs at least {d.min_scale[s]:.6g} {unit} (min_scale)".replace("  ", " "),
                             None, None, label, f"chains.{seg[0]}.segments.{seg[1]}.min_scale",
                             ("row_lower", rows, 0.0, -np.inf)))
    protected = d.brownfield.protected if d.brownfield is not None else np.zeros_like(d.fixed)
    for s, r in zip(*np.nonzero(d.fixed)):
        label, rid = d.segment_label(s), d.region_ids[r]
        if protected[s, r]:  # a protected existing site joins the fixed placements (formulation section 12)
            kind, text, rule = "protected", f"brownfield.protected keeps {label} open in {_region_name(inst, rid)}", \
                "brownfield.protected"
        else:
            kind, text, rule = "fixed", f"policy.fixed puts {label} in {_region_name(inst, rid)}", "policy.fixed"
        out.append(Limit(kind, text, rid, None, label, rule,
                         ("col", np.array([place.index(s, r)]), (1.0, 1.0), (0.0, 1.0))))
    out += _budget_limits(d, cm)
    for s, r in zip(*np.nonzero(~d.allowed)):
        label, rid = d.segment_label(s), d.region_ids[r]
        out.append(Limit("forbidden", f"policy.forbidden keeps {label} out of {_region_name(inst, rid)}", rid, None,
                         label, "policy.forbidden",
                         ("col", np.array([place.index(s, r)]), (0.0, 0.0), (float(d.fixed[s, r]), 1.0))))
    rows = cm.row("guarantee")
    said = [g.description for _, g in inst.policy.all_guarantees()]
    for g in range(d.G):
        if np.isfinite(d.g_penalty[g]):
            continue  # soft: it can always fall short
        kind = "province_share" if d.g_paths[g].startswith("policy.province_min_share") else "guarantee"
        bound = "row_upper" if d.g_measure[g] == "max_share" else "row_lower"
        free = np.inf if bound == "row_upper" else -np.inf
        what = f'"{said[g]}", ' if g < len(said) and said[g] else ""
        out.append(Limit(kind, f"guarantee {what}{d.g_labels[g]} ({d.g_paths[g]})", None, None, None, d.g_paths[g],
                         (bound, np.array([rows.index(g)]), d.g_rhs[g], free)))
    return out


def _budget_limits(d, cm) -> list[Limit]:
    """Every change budget (T5) of a brownfield instance, switched off through its elastic slack."""
    from ..model.transitions import BUDGETS, budget_groups

    if d.brownfield is None:
        return []
    scopes = ["the whole area", *d.province_ids]
    out = []
    for name in BUDGETS:
        if f"{name}_slack" not in cm.var_blocks:
            continue
        field = BUDGET_FIELDS[name]
        slack = cm.var(f"{name}_slack")
        for i, g in enumerate(budget_groups(d, name)):
            lim = getattr(d.brownfield, field)[g]
            scope = scopes[g]
            path = f"brownfield.budget.{field}" if g == 0 else f"brownfield.budget.by_province.{scope}.{field}"
            text = (f"at most {100 * lim:.4g} % of today's activity moved in {scope} ({path})" if name == "change_moved"
                    else f"at most {counted(float(lim), *BUDGET_COUNTS[field])} in {scope} ({path})")
            out.append(Limit("change_budget", text, None, None, None, path,
                             ("col", np.array([slack.index(i)]), (0.0, 0.0), (0.0, np.inf))))
    return out


class _Feasibility:
    """The flow-free model on a persistent HiGHS, with every limit switchable."""

    def __init__(self, inst: Instance, deadline: Deadline, pinned: np.ndarray | None = None):
        from ..model.compiled import build
        from ..solver import HighsSolver, SolverOptions

        d = build_model_data(inst)
        # forbidden placements as place bounds only (so they can be switched off), and
        # quota-free activity bounds (elastic build) so a quota is stated only in its row
        relaxed = replace(d, allowed=np.ones_like(d.allowed))
        # the relaxed data only shape the bounds; limits are read from the instance's own.  Built
        # without flows (they never make a layout infeasible), and the logistics bound that stands
        # in for them dropped: on 160 regions the build with flows (2.3 million columns) took 1.7 s
        full = replace(build(relaxed, _elastic_options()), data=d)
        keep_cols = np.ones(full.n_cols, dtype=bool)
        keep_cols[full.var("logistics_bound").slice] = False
        keep_rows = np.ones(full.n_rows, dtype=bool)
        for name in ("logistics_bound_out", "logistics_bound_in"):
            keep_rows[full.row(name).slice] = False
        col_map = np.cumsum(keep_cols) - 1
        row_map = np.cumsum(keep_rows) - 1
        A = full.A[np.flatnonzero(keep_rows)][:, np.flatnonzero(keep_cols)].tocsc()
        cm = replace(full, data=d, cost=np.zeros(int(keep_cols.sum())), A=A,
                     col_lower=full.col_lower[keep_cols], col_upper=full.col_upper[keep_cols],
                     integrality=full.integrality[keep_cols], row_lower=full.row_lower[keep_rows],
                     row_upper=full.row_upper[keep_rows], terms={})
        self.limits = enumerate_limits(inst, full)
        for lim in self.limits:  # re-index the switches into the flow-free model
            how, idx, on, off = lim._switch
            lim._switch = (how, (col_map if how == "col" else row_map)[idx], on, off)
        self.cm = cm
        self.deadline = deadline
        self.solver = HighsSolver(SolverOptions(mip_gap=1.0), stop=deadline.stop)  # each check ends at a stop
        self.solver.load(cm)
        # (S, R) columns of the placements and activities in the flow-free model
        self.place_cols = col_map[np.arange(full.n_cols)[full.var("place").slice]].reshape(d.S, d.R)
        self.activity_cols = col_map[np.arange(full.n_cols)[full.var("activity").slice]].reshape(d.S, d.R)
        self.pin_rows: np.ndarray | None = None  # one row per placement, added by the first pin()
        self.floors: np.ndarray = np.zeros(0, dtype=int)  # activity columns a pin() raised
        if pinned is not None:
            self.pin(pinned)
        self.incomplete = False
        self.solves = 0
        self.excess = 0.0  # the last layout found: how far it exceeds a limit switched on (past_limits)
        self._on: dict[int, bool] = {}  # id(limit) -> switched on, as HiGHS holds it
        self._row_lower, self._row_upper = cm.row_lower.copy(), cm.row_upper.copy()  # as HiGHS holds them
        for lim in self.limits:
            self.set(lim, True)

    def pin(self, pinned: np.ndarray, floor: dict | None = None) -> None:
        """Hold placements as ``pinned`` ((S, R) floats, NaN where free) by rows, apart from the
        limits' own switches, and activities at least ``floor`` ({(s, r): units}); every earlier
        pin and floor released."""
        if self.pin_rows is None:
            n = self.place_cols.size
            self.pin_rows = np.arange(self.solver.h.getNumRow(), self.solver.h.getNumRow() + n)
            self.solver.add_rows(np.full(n, -np.inf), np.full(n, np.inf), np.arange(n), self.place_cols.ravel(),
                                 np.ones(n))
        v = np.asarray(pinned, dtype=float).ravel()
        held = ~np.isnan(v)
        self.solver.set_row_bounds(self.pin_rows, np.where(held, v, -np.inf), np.where(held, v, np.inf))
        if self.floors.size:
            self.solver.set_col_bounds(self.floors, self.cm.col_lower[self.floors], self.cm.col_upper[self.floors])
        self.floors = np.array([self.activity_cols[s, r] for s, r in (floor or {})], dtype=int)
        if self.floors.size:
            lo = np.maximum(self.cm.col_lower[self.floors], np.array(list(floor.values()), dtype=float))
            self.solver.set_col_bounds(self.floors, lo, self.cm.col_upper[self.floors])

    def set(self, lim: Limit, on: bool) -> None:
        """Switch ``lim`` on or off (nothing sent to HiGHS where it already is: a question sets every
        limit, and a city-scale instance has a thousand)."""
        on = bool(on)
        if self._on.get(id(lim)) is on:
            return
        self._on[id(lim)] = on
        how, idx, on_b, off_b = lim._switch
        b = on_b if on else off_b
        s = self.solver
        n = len(idx)
        if how == "col":
            s.set_col_bounds(idx, np.full(n, b[0]), np.full(n, b[1]))
            return
        # one side of a row keeps the other side as now held (a segment's site count has a site
        # limit above and a least number of sites below, switched apart)
        if how in ("row", "row_lower"):
            self._row_lower[idx] = b[0] if how == "row" else b
        if how in ("row", "row_upper"):
            self._row_upper[idx] = b[1] if how == "row" else b
        s.set_row_bounds(idx, self._row_lower[idx], self._row_upper[idx])

    def spent(self) -> bool:
        left = self.deadline.left()
        return left is not None and left <= 0

    def infeasible(self) -> bool | None:
        """True: proven infeasible; False: proven feasible (a layout found); None: not decided (the
        deadline ran out, or HiGHS stopped at it without an answer).  No solve when nothing is left."""
        if self.spent():
            self.incomplete = True
            return None
        res = self.solver.solve(time_limit=self.deadline.left())
        self.solves += 1
        if res.status in ("infeasible", "infeasible_or_unbounded"):
            return True
        if res.x is None:  # stopped without an answer: neither (never read as feasible)
            self.incomplete = True
            return None
        self.excess = past_limits(self.cm.A @ res.x[: self.cm.n_cols], self._row_lower, self._row_upper)
        return False


def conflicting_limits(inst: Instance, *, time_limit: float | None = 60.0, deadline: Deadline | None = None,
                       pinned: np.ndarray | None = None, without: tuple[str, ...] = ()) -> Conflict:
    """An irreducible set of limits that cannot all hold (empty if the instance is feasible).

    Deletion filter with halving batches: switch a batch of limits off; if the rest is
    still infeasible the batch is not needed, else halve the batch (a single limit whose
    removal makes the rest feasible belongs to the set).  Within ``deadline`` (else
    ``time_limit`` seconds from now): where it runs out, the limits kept so far (they still
    conflict) with ``complete`` False.

    ``pinned`` ((S, R) floats, NaN where free) holds placements as given whatever the limits
    (``explain``'s move, with the rest of the layout kept or free): the set is then the limits
    that conflict with them.  Limits of the kinds in ``without`` are switched off first (e.g.
    ``quota`` where the elastic model has shown that quotas alone cannot help).
    """
    deadline = deadline or Deadline(time_limit)
    refuse_periods(inst, "diagnose", PHASED_DIAGNOSE)
    left = deadline.left()
    if left is not None and left <= 0:  # not even the model's build
        return Conflict([], False)
    try:
        f = _Feasibility(inst, deadline, pinned)
    except Exception:  # never let the explanation hide the original infeasibility
        return Conflict([], False)
    for lim in f.limits:
        if lim.kind in without:
            f.set(lim, False)
    if f.infeasible() is not True:  # feasible, or not decided (incomplete)
        return Conflict([], not f.incomplete, f.solves, f.excess)
    cand, needed = _deletion_filter(f, [lim for lim in f.limits if lim.kind not in without])
    if needed < len(cand):  # stopped by the deadline: these limits conflict, not proven irreducible
        f.incomplete = True
    return Conflict(cand, not f.incomplete, f.solves)


def _deletion_filter(f: _Feasibility, cand: list[Limit]) -> tuple[list[Limit], int]:
    """The limits of ``cand`` (all switched on, the model infeasible) that conflict, by the deletion
    filter with halving batches: switch a batch off; if the rest is still infeasible the batch is
    not needed (it stays off), else halve the batch (a single limit whose removal makes the rest
    feasible belongs to the set).  Returns (the limits kept, how many of them, first, are proven
    needed): where the deadline ran out, or a check stopped without an answer, the rest were not
    tested (a check not decided never makes a limit needed)."""
    cand = list(cand)
    i, size = 0, max(1, len(cand) // 4)
    while i < len(cand) and not f.spent():
        chunk = cand[i:i + size]
        for lim in chunk:
            f.set(lim, False)
        state = f.infeasible()
        if state is True:
            del cand[i:i + size]  # not needed: stays switched off
            size = min(size * 2, max(1, len(cand) - i))
            continue
        for lim in chunk:
            f.set(lim, True)
        if state is None:  # not decided: cand[i:] stay untested
            break
        if size == 1:
            i += 1  # proven needed: part of the conflict
            size = max(1, (len(cand) - i) // 2)
        else:
            size = max(1, size // 2)
    return cand, i


# -- limits that together block pinned placements (explain's moves and flips) -------------------
def _same(a: list[Limit], b: list[Limit]) -> bool:
    return {id(lim) for lim in a} == {id(lim) for lim in b}


# what can be raised, and by how much: a limit switched off through an elastic slack column
RAISABLE = ("quota", "change_budget")


@dataclass
class Blocking:
    """Limits found that together keep pinned placements from holding (:class:`BlockingSearch`):
    switched off (quotas and budgets raised by ``short_by``) the placements hold; other limits may
    block them too (another set that would do instead)."""

    limits: list[Limit]
    short_by: list[float | None]  # per limit: how far a quota or change budget falls short (else None)
    complete: bool  # False: the search stopped at its time limit (or a check was not decided)
    least: bool = True  # the shortfalls are the least (False: found at the time limit)
    groups: list[list[int]] = field(default_factory=list)  # the conflicts found (indices into limits)
    # per limit whose joint shortfall is 0: the least raise of it alone that lets the placements hold
    # (a float), False where it alone is not enough, None where not decided (not searched: absent)
    alone: dict[int, float | bool | None] = field(default_factory=dict)
    # the placements cannot hold even with every limit off (the segments' demand against them)
    unconditional: bool = False
    # where a raise shown (the least, an alternative) is the solver's own, how TIE_RULE's stage ended
    # (``solver["picked"]``, :func:`tie_words`); None where each was TIE_RULE's pick or had no tie to pick
    tie_not_picked: str | None = None


class BlockingSearch:
    """Limits that together block placements held as given (``explain``'s move of a segment, or
    flip of a site): not one smallest conflict but one after another, so that a move blocked by a
    guarantee *and* by a region's land names both.

    First the rules, with every quota and change budget elastic (free to grow: these checks are
    easy even at city scale, where placements that meet exact quota shares are hard to find —
    checks held to them stopped at their limit for 35 of 41 moves of ``yrd-cities``' ic/rd):
    conflicts are found by the deletion filter, each switched off before the next is searched,
    until the placements hold; the union is a set that, switched off, lets them hold — not every
    limit that blocks them (a limit of another set that would do instead is not named).  A
    segment's demand is a fact of the move, never a candidate.  Then, those rules switched off, the
    least raise of the quotas and change budgets that lets the placements hold (their elastic slacks
    minimised, as ``diagnose``'s elastic solve): each one raised blocks, short by its raise.  Then,
    for each one raised, the least raise with it held at its limit: where that raises one quota or
    budget alone, that one alone would do instead ("or instead"), with its least raise alone.  Where
    several raises share the least total, each (the least raise, an alternative) is the one
    :data:`TIE_RULE` picks (:meth:`_pick`), never the solver's by column order.

    One flow-free model (:class:`_Feasibility`) is built at the first question and re-pinned for
    each (flows never make placements infeasible).  A conflict found for one question is tried
    first for the next with the same limits lifted (:meth:`_known_conflict`): ``explain``'s moves of
    one segment are mostly blocked by the same rules (the 40 moves of a segment policy fixes to a
    region whose province share it keeps), found once by the deletion filter over every limit
    instead of once per move."""

    # how many conflicts found before are tried, the latest first, before the deletion filter over
    # every limit: each one that does not block this question costs one feasibility check
    KNOWN_TRIED = 2

    def __init__(self, inst: Instance):
        self.inst = inst
        self.f: _Feasibility | None = None
        # per set of limits lifted (their ids): conflicts found (irreducible, proven), the latest last
        self.known: dict[frozenset, list[list[Limit]]] = {}
        self.least_solves = 0  # solves of the least raise (the feasibility checks: ``f.solves``)
        self.total_row: int | None = None  # the row that holds the least total in the tie rule's stage (:meth:`_pick`)

    def __call__(self, pinned: np.ndarray, deadline: Deadline, floor: dict | None = None,
                 start: np.ndarray | None = None, lifted=None) -> Blocking:
        """The limits that block ``pinned`` ((S, R), NaN where free; activities at least ``floor``),
        within ``deadline`` (the first call builds the model within it).  ``start``: (S, R)
        placements that meet ``pinned`` (the layout with the move, where the rest may change): the
        raise of quotas is first found with them held, and that answer starts the search for the
        least (a bound on it however short the time).  ``lifted(limit)``: True for the limits held
        switched off (the policy rules an answer already names), never candidates."""
        if self.f is None:
            try:
                self.f = _Feasibility(self.inst, deadline)
            except Exception:  # never let the explanation hide the answer it explains
                return Blocking([], [], False)
        f = self.f
        f.deadline, f.incomplete = deadline, False
        f.pin(pinned, floor)
        off = frozenset(id(lim) for lim in f.limits if lifted is not None and lifted(lim))
        for lim in f.limits:  # quotas and change budgets elastic: raised below, never filtered
            f.set(lim, lim.kind not in RAISABLE and id(lim) not in off)
        cand = [lim for lim in f.limits if lim.kind not in RAISABLE and lim.kind != "demand" and id(lim) not in off]
        known = self.known.setdefault(off, [])
        found: list[Limit] = []
        groups: list[list[int]] = []
        unconditional = False
        # every placement held (an LP in effect): each check whether the rules on block is the least
        # raise with them on, which says in the same solve whether they block (infeasible) and, where
        # not, what to raise (the last, with the rules found switched off, is the answer's)
        held = start is None and not np.isnan(np.asarray(pinned, dtype=float)).any()
        last = None

        def check() -> bool | None:
            nonlocal last
            if not held:
                return f.infeasible()
            last = self._solve_least([lim for lim in f.limits if lim.kind in RAISABLE], [])
            state = (True if last.status in ("infeasible", "infeasible_or_unbounded") else
                     None if last.x is None else False) if last is not None else None
            f.incomplete |= state is None
            return state

        state = check()
        while state is True:
            conflict, needed = self._known_conflict(cand, known) or _deletion_filter(f, cand)
            new = conflict[:needed]  # proven part of this conflict
            if new and needed == len(conflict) and not any(_same(new, k) for k in known):
                known.append(new)
            for lim in cand:
                f.set(lim, True)
            if needed == len(conflict) == 0:  # infeasible with every limit off: nothing to name
                unconditional = not found
                f.incomplete |= bool(found)  # (after conflicts found: numerically borderline)
                break
            groups.append(list(range(len(found), len(found) + len(new))))
            found += new
            for lim in found:
                f.set(lim, False)
            cand = [lim for lim in cand if not any(lim is n for n in new)]
            if needed < len(conflict):  # stopped: the rest of this conflict not tested
                f.incomplete = True
                break
            state = check()
        if state is None:
            f.incomplete = True
        short_by: list[float | None] = [None] * len(found)
        if f.incomplete or unconditional:
            return Blocking(found, short_by, not f.incomplete, False, groups, unconditional=unconditional)
        least_raise = self._raise(pinned, floor, start, last)
        if least_raise is None:  # no elastic layout within the deadline: the quotas are not known
            return Blocking(found, short_by, False, False, groups)
        raised, instead, least, tie_not_picked = least_raise
        alone: dict[int, float | bool | None] = {}
        for lim, v in raised:
            one = next((a for r, a in instead if r is lim), None)
            if one is not None:  # raised more, it alone would do instead of the whole least raise
                alone[len(found)] = one
            groups.append([len(found)])
            found.append(lim)
            short_by.append(v)
        for lim, v in instead:
            if any(lim is r for r, _ in raised):
                continue
            alone[len(found)] = v  # not in the least raise; alone, raised by v
            groups.append([len(found)])
            found.append(lim)
            short_by.append(0.0)
        return Blocking(found, short_by, True, least, groups, alone, unconditional, tie_not_picked)

    def _known_conflict(self, cand: list[Limit], known: list[list[Limit]]) -> tuple[list[Limit], int] | None:
        """A conflict of this question among those found before (``known``, the latest first, at most
        :data:`KNOWN_TRIED`): with every other limit of ``cand`` switched off, still infeasible, it is
        reduced by the deletion filter over its own limits, (limits kept, how many proven needed) as
        :func:`_deletion_filter`; None where none blocks it (``cand`` as it was: all switched on)."""
        f = self.f
        ids = {id(lim) for lim in cand}
        tried = [k for k in reversed(known) if all(id(lim) in ids for lim in k)][: self.KNOWN_TRIED]
        for group in tried:
            inside = {id(lim) for lim in group}
            for lim in cand:
                f.set(lim, id(lim) in inside)
            if f.infeasible() is True:
                return _deletion_filter(f, list(group))
        for lim in cand:
            f.set(lim, True)
        return None

    def _solve_least(self, cost_on: list[Limit], on: list[Limit], start: np.ndarray | None = None):
        """The least total elastic slack of ``cost_on`` with the limits ``on`` switched on, within the
        deadline (None: no time left)."""
        from ..solver import SolverOptions

        f = self.f
        cost = np.zeros(f.cm.n_cols)
        for lim in cost_on:
            cost[lim._switch[1]] = 1.0
        f.solver.set_costs(cost)
        f.solver.apply_options(SolverOptions(mip_gap=1e-9))
        for lim in on:
            f.set(lim, True)
        try:
            left = f.deadline.left()
            if left is not None and left <= 0:
                return None
            self.least_solves += 1
            return f.solver.solve(start, time_limit=left)
        finally:
            for lim in on:
                f.set(lim, False)
            f.solver.set_costs(np.zeros(f.cm.n_cols))
            f.solver.apply_options(SolverOptions(mip_gap=1.0))

    def _pick(self, cost_on: list[Limit], on: list[Limit], res):
        """Among the raises of ``res``'s least total (slacks of ``cost_on``, the limits ``on`` switched on),
        the one :data:`TIE_RULE` picks, as ``diagnose`` and ``explain --period`` pick theirs
        (:func:`pick_among_least`'s stage on this model's persistent HiGHS: its total held by a row kept
        free between questions): the least in proportion to the limits raised, a tie to the limit listed
        first.  Within :data:`TIE_SHARE` of the question's limit (other questions share it); ``res``'s
        raise where it is not proven least or the stage does not end optimal in time, then, where the
        stage did not run or end optimal, marked ``solver["picked"]`` as :func:`pick_among_least` marks it."""
        from ..solver import SolverOptions

        f = self.f
        if res is None or res.x is None or res.status != "optimal":
            return res
        cols = np.unique(np.concatenate([np.atleast_1d(lim._switch[1]) for lim in cost_on]))
        total = float(res.x[cols].sum())
        cols, limit = slack_scales(f.cm, cols)
        if total <= 0.0 or not (res.x[cols] > ROUND_OFF * limit).any():  # nothing raised: nothing to pick
            return res
        time_s = f.deadline.share_of_limit(TIE_SHARE)
        time_s = None if time_s is None else time_s - after_solve_reserve(f.cm.n_cols)
        if time_s is not None and time_s <= 0:
            stopped = f.deadline.stop is not None and f.deadline.stop.is_set()
            return replace(res, solver={**res.solver, "picked": "not run: interrupted" if stopped else "not run: no time left"})
        every = np.zeros(f.cm.n_cols)
        every[cols] = 1.0
        if self.total_row is None:  # (cost_on is every quota and budget: one row serves every question)
            self.total_row = f.solver.add_row(every, -np.inf, np.inf)
        row = np.array([self.total_row])
        f.solver.set_row_bounds(row, np.array([-np.inf]), np.array([total * (1.0 + 1e-9) + 1e-7]))
        f.solver.set_costs(tie_costs(f.cm.n_cols, cols, limit))
        f.solver.apply_options(SolverOptions(mip_gap=1e-9))
        for lim in on:
            f.set(lim, True)
        try:
            self.least_solves += 1
            picked = f.solver.solve(res.x, time_limit=time_s)
        finally:
            for lim in on:
                f.set(lim, False)
            f.solver.set_row_bounds(row, np.array([-np.inf]), np.array([np.inf]))
            f.solver.set_costs(np.zeros(f.cm.n_cols))
            f.solver.apply_options(SolverOptions(mip_gap=1.0))
        if picked.x is not None and picked.status == "optimal":
            return replace(res, x=picked.x[: f.cm.n_cols])
        interrupted = picked.status == "interrupted" or "interrupt" in (picked.highs_status or "").lower()
        return replace(res, solver={**res.solver, "picked": f"no pick: {'interrupted' if interrupted else picked.status}"})

    def _raise(self, pinned: np.ndarray, floor: dict | None, start: np.ndarray | None, first=None):
        """(raised, instead, least), within the deadline, the rules found switched off: the quotas and
        change budgets the placements need raised, each with its raise (their elastic slacks
        minimised, from the answer with ``start`` held where given, or ``first``, that least raise
        solved already); the alternatives, each with its least raise alone (class docstring);
        ``least``: every raise proven the least; then how :data:`TIE_RULE`'s stage ended where a raise
        shown is the solver's own (:attr:`Blocking.tie_not_picked`).  None where no elastic layout is
        found in time."""
        f = self.f
        raisable = [lim for lim in f.limits if lim.kind in RAISABLE]
        if not raisable:
            return [], [], True, None
        x0 = None
        if start is not None:  # an LP in effect: every placement held
            f.pin(start, floor)
            held = self._solve_least(raisable, [])
            x0 = held.x if held is not None else None
            f.pin(pinned, floor)
        res = self._pick(raisable, [], first if first is not None else self._solve_least(raisable, [], x0))
        tie_not_picked = res.solver.get("picked") if res is not None else None
        # without an answer of its own in time, the held one: a raise that works, not the least
        x, least = (res.x, res.status == "optimal") if res is not None and res.x is not None else (x0, False)
        if x is None:
            return None

        def raises(x: np.ndarray) -> list[tuple[Limit, float]]:
            return [(lim, v) for lim in raisable if (v := float(x[lim._switch[1]].sum())) > 1e-7]

        raised = raises(x)
        instead: list[tuple[Limit, float]] = []
        for lim, _ in raised:  # held at its limit, is one other raise alone enough?
            other = self._pick(raisable, [lim], self._solve_least(raisable, [lim]))
            if other is None or other.x is None:
                continue
            tie_not_picked = tie_not_picked or other.solver.get("picked")
            alt = raises(other.x)
            # one raise alone, also of a limit the least raise names (raised more, it does without the
            # others: Zhejiang energy +1640 alone where the least raise is Shanghai land +0.4 and it +1616)
            if len(alt) == 1 and not any(alt[0][0] is r for r, _ in instead):
                instead += alt
                least &= other.status == "optimal"
        return raised, instead, least, tie_not_picked

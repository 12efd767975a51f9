"""Trade-off fronts between two objective terms, and lexicographic solving.

**ε-constraint front.**  For two terms f1, f2 (unweighted, e.g. ``distance`` and
``duplication``) every point of the front is a *lexicographic* optimum

    minimise f1  s.t. f2 <= eps;   then minimise f2  s.t. f1 <= f1*;   then the weighted
    objective s.t. f1 <= f1*, f2 <= f2*  (a tie-break, so each point is a sensible layout)

which is non-dominated by construction.  Starting from eps = +inf and lowering eps to
just below the last point's f2 (by ``step``) walks the whole front from the f1-best to
the f2-best end: every non-dominated point with f2 values at least ``step`` apart is
found, including those on non-convex stretches that weighted sums never reach.  With
``points=K`` eps runs instead over K evenly spaced values between the two ends.

When both terms depend on continuous activities (e.g. distance vs site cost with
split segments) the front can contain continuous pieces; the exact walk then reports a
point every ``step`` and stops at ``max_points`` (``truncated`` says so).

**Lexicographic.**  Minimise the first term, keep it within a relative tolerance of its
optimum, minimise the next, and so on; finally minimise the weighted objective with the
last term held at its optimum (the tolerance widens the choice for the *next term*; the
weighted objective only breaks ties, so it never trades the last term away).

Both work on one persistent HiGHS model: one row per term, added once with free bounds,
whose upper bound is changed in place.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import pandas as pd

from ..api import TERM_START_MIN_BINARIES, search, search_model, solution_from_result
from ..claims import CLAIM_TOL, HOLD_ABS, lexicographic_holds, relative_gap
from ..deadline import Deadline
from ..errors import InfeasibleError, InstanceError, Problem, SolverError
from ..io import atomic_write_text, content_hash, load_instance
from .alternatives import model_result, rounded
from .limit_words import counted
from ..model.fixed import lp_polish
from ..phasing import refuse_periods
from ..model.compiled import BuildOptions, CompiledModel
from ..schema import TERMS, Instance
from ..solution import Solution
from ..solver import HighsSolver, ProgressHook, SolveResult, SolverOptions, checked_status
from ..stopping import stoppable

# the terms of a phased plan are discounted sums over periods; fronts over them are a known limit
FRONTS_OVER_PERIODS = "solve the phased instance, or a front on one period's instance (README, known limits)"


def check_terms(terms, where: str = "--between") -> list[str]:
    terms = list(terms)
    bad = [Problem("command line", where, t, f"an objective term ({', '.join(TERMS)})") for t in terms if t not in TERMS]
    if len(set(terms)) != len(terms):
        bad.append(Problem("command line", where, terms, "different terms"))
    if bad:
        raise InstanceError(bad)
    return terms


class _Lex:
    """Lexicographic minimisation on a persistent solver with one hold row per term."""

    def __init__(self, inst: Instance, cm: CompiledModel, options: SolverOptions,
                 solver_progress: ProgressHook | None = None, greedy_start: bool = True, stop=None):
        self.inst, self.cm = inst, cm
        self.greedy_start = greedy_start
        self.capped: set[str] = set()  # terms whose hold row has a finite bound now
        # an absolute gap of 1e-9: a term held at its optimum must not drift by HiGHS's default 1e-6
        self.solver = HighsSolver(replace(options, highs={**options.highs, "mip_abs_gap": 1e-9}),
                                  progress=solver_progress, stop=stop)
        self.solver.load(cm)
        self.rows = {t: self.solver.add_row(cm.terms[t], -np.inf, np.inf) for t in TERMS}
        self.limits: dict[str, float] = {}  # term -> the finite upper bound of its hold row now
        self.n_solves = 0
        self.stages: list[dict] = []  # one record per MIP: where the time went, which had a start
        self.deadline = Deadline(None)  # the last stage's: what polishes its layout runs within it

    def bound(self, term: str, upper: float) -> None:
        (self.capped.add if np.isfinite(upper) else self.capped.discard)(term)
        if np.isfinite(upper):
            self.limits[term] = upper
        else:
            self.limits.pop(term, None)
        self.solver.set_row_bounds(np.array([self.rows[term]]), np.array([-np.inf]), np.array([upper]))

    def exact_layout(self, res: SolveResult, term: str | None, deadline: Deadline) -> SolveResult:
        """``res`` with its activities and flows re-solved by the fixed-placement LP
        (:func:`yrdopt.model.fixed.lp_polish`): the stage's own objective (``term``, or the weighted
        one) minimised over its rows with the placements fixed.  An exact layout (no activity where
        there is no site: HiGHS's MIP answer may keep some there, within its feasibility
        tolerance), feasible for the next stage, and as good in what the stage minimised (better
        where HiGHS's answer leant on its tolerance).  ``res`` itself where the LP does not solve
        within what is left of the stage's ``deadline`` (HiGHS was given the stage's limit less
        :func:`yrdopt.deadline.after_solve_reserve`, which covers this LP; none when nothing is left).
        """
        pol = lp_polish(self.cm, model_result(self.cm, res), _polish_holds(self.cm, res.x, self.limits),
                        time_limit=deadline.left(), cost=self.cm.terms[term] if term is not None else None)
        return res if pol is res or pol.x is None else replace(res, x=pol.x[: self.cm.n_cols])

    def polish(self, res: SolveResult, holds: list[tuple[np.ndarray, float]]) -> SolveResult:
        """``res`` (the last stage's layout) re-solved by the fixed-placement LP for the weighted
        objective under ``holds``, within what is left of the last stage's deadline (``res`` itself
        when nothing is left: its stage handed it on exact already, :meth:`exact_layout`)."""
        return lp_polish(self.cm, model_result(self.cm, res), holds, time_limit=self.deadline.left())

    def free(self, *terms: str) -> None:
        for t in terms:
            self.bound(t, np.inf)

    def solve(self, order: list[str], tolerance: float = 0.0,
              start: np.ndarray | None = None) -> tuple[SolveResult | None, dict[str, float], str]:
        """Lexicographic minimum of ``order`` then the weighted objective; hold rows of the
        terms in ``order`` are released afterwards (other bounds stay).  ``tolerance``
        relaxes the hold of every term but the last (:func:`yrdopt.claims.lexicographic_holds`).

        The first stage may start from ``start`` (a layout feasible for it); without one, and with
        no term capped, from the greedy or constructed layout, as :func:`yrdopt.solve` starts
        (any layout is feasible there; the greedy's only above
        :data:`yrdopt.api.TERM_START_MIN_BINARIES` binaries); each later stage from the stage
        before's layout.  Every stage is searched by :func:`yrdopt.api.search` within the
        solver's time limit (the start's time counted in the first stage's).  The status
        returned is "optimal" only if every stage was proven optimal.  Once the solver's stop flag
        is set no further stage begins: the layout of the last stage reached is returned ("interrupted",
        the terms not reached valued at it), or None when the first stage had none.
        """
        held = []
        values: dict[str, float] = {}
        res = None
        worst = "optimal"
        try:
            for t in [*order, None]:
                if res is not None and self.solver.stop.is_set():
                    worst = "interrupted"
                    for later in order:
                        values.setdefault(later, float(self.cm.terms[later] @ res.x[: self.cm.n_cols]))
                    break
                cost = self.cm.cost if t is None else self.cm.terms[t]
                self.solver.set_costs(np.concatenate([cost, np.zeros(self.solver.h.getNumCol() - self.cm.n_cols)]))
                prev = res
                # a term's objective or hold rows: no fix-and-optimize or kernel search (their
                # sub-MILPs minimise the weighted cost over the model's own rows), no bound
                # without flows (it bounds the cost)
                deadline = self.deadline = Deadline(self.solver.options.time_limit)
                res = search(self.solver, self.cm, deadline,
                             start=rounded(self.cm, start) if start is not None else None,
                             greedy_start=prev is None and self.greedy_start and not self.capped,
                             greedy_min_binaries=TERM_START_MIN_BINARIES if t is not None else 0,
                             search_lns=0.0, kernel_search=0.0, bound_without_flows=False)
                self.n_solves += 1
                stage = {"minimise": t or "weighted objective", "start": res.solver.get("start"),
                         "status": res.status, "gap": res.gap, "bound": None, "solve_s": res.solve_s}
                self.stages.append(stage)
                if res.x is None and prev is not None and res.status in ("infeasible", "infeasible_or_unbounded"):
                    # a later stage cannot be infeasible (the previous layout satisfies it):
                    # HiGHS lost that layout to its tolerances; keep the previous stage's answer,
                    # with the terms not reached valued at its layout (callers read every term)
                    res, worst = prev, "optimal_previous_stage"
                    for later in order:
                        values.setdefault(later, float(self.cm.terms[later] @ prev.x[: self.cm.n_cols]))
                    break
                if res.x is None:
                    return None, values, res.status
                # the next stage holds this term at this layout's value, so the layout is feasible
                # there (at 41 cities HiGHS found no layout of its own for a second stage within
                # 30 s).  Only the integer columns handed on (HiGHS completes the rest by an LP)
                # gave no layout there either: HiGHS 1.16 found the completion infeasible.  The
                # layout is handed on exact (activity 0 where no site): HiGHS's own vector kept up
                # to 3e-5 there on a generated 10x3x3, which lns.fits rejects.
                res = self.exact_layout(res, t, deadline)
                start = res.x[: self.cm.n_cols]
                if res.status != "optimal":
                    worst = res.status
                # the stage's own bound and gap on what it minimised (a term's: its value at this
                # layout; the solver's objective carries the model's constant offset)
                value = float(self.cm.terms[t] @ start) if t is not None else float(self.cm.cost @ start + self.cm.offset)
                if res.bound is not None:
                    stage["bound"] = float(res.bound) - (self.cm.offset if t is not None else 0.0)
                    stage["gap"] = relative_gap(value, stage["bound"])
                if t is not None:
                    v = value
                    values[t] = v
                    self.bound(t, lexicographic_holds(order, tolerance, {t: v})[t])
                    held.append(t)
        finally:
            self.free(*held)
        return res, values, worst

    def package(self, res: SolveResult, claims: dict) -> Solution:
        """The layout with the claims the checker re-derives (its holds, its cap)."""
        return solution_from_result(self.inst, self.cm, model_result(self.cm, res), claims=claims)


@dataclass
class FrontPoint:
    name: str
    values: dict[str, float]  # unweighted values of the two terms (of the written layout)
    solution: Solution
    status: str  # "optimal" only if every stage of its lexicographic solve was proven optimal
    stages: list[dict] = field(default_factory=list)  # its lexicographic solve's stages (_Lex.stages)
    layout: bytes = field(default=b"", repr=False)  # its placements, expansions and parks (layout_key)

    @property
    def verified(self) -> bool:
        """Whether the independent checker confirmed the written layout (``solution.summary``)."""
        return bool(self.solution.summary.get("verified"))

    @property
    def proven(self) -> bool:
        """Proven best for its cap: every stage optimal, and the layout the checker confirmed (a
        rejected layout is neither proven nor known to be feasible, whatever its stages said)."""
        return self.status == "optimal" and self.verified

    @property
    def checked_status(self) -> str:
        """Its status as the checker lets it claim: "not_verified" for a rejected layout."""
        return _front_status(self.status, self.verified)

    def stage_of(self, minimised: str) -> dict:
        return next((s for s in self.stages if s["minimise"] == minimised), {})

    def record(self, t1: str, t2: str) -> dict:
        s = self.solution.summary
        # the bound and gap of the stage that minimised each term (a stage stopped at its limit:
        # a layout with this cap might reach the bound), and of the tie-break
        proof = {f"{k}_{what}": self.stage_of(m).get(what)
                 for k, m in ((t1, t1), (t2, t2), ("objective", "weighted objective")) for what in ("bound", "gap")}
        return {"point": self.name, t1: self.values[t1], t2: self.values[t2], "objective": s["objective"],
                "verified": self.verified, "status": self.checked_status, "proven": self.proven, **proof,
                **{f"raw_{k}": v for k, v in s.get("components_raw", {}).items() if k != "quota_slack"}}


@dataclass
class FrontResult:
    instance: Instance
    terms: tuple[str, str]
    points: list[FrontPoint] = field(default_factory=list)
    truncated: bool = False
    method: str = "epsilon walk"
    step: float | None = None
    n_solves: int = 0
    stages: list[dict] = field(default_factory=list)  # every MIP (_Lex.stages)
    stopped: str | None = None  # a solve ended without a proven answer (time limit)
    # layouts a stage found that are not on the written front (a stage stopped at its limit):
    # the same point as one written, or dominated by one written; each {"values", "status", "reason"}
    dropped: list[dict] = field(default_factory=list)
    # the second term's best end has no layout (its MIP ended without one): only the first term's
    # end is written, and no point between them was searched (why, in words)
    missing_end: str | None = None
    finished: bool = False  # the walk has ended (a front.json written before says "in_progress")

    @property
    def exact(self) -> bool:
        """Every point proven (all its stages optimal, its layout confirmed by the checker), the
        walk not cut short, and no layout dropped unproven: the walk goes on from each layout a
        stage returns, so an unproven one may have stepped over points of the front before a
        later point beat it."""
        return (self.finished and not self.truncated and self.stopped is None and self.missing_end is None
                and all(p.proven for p in self.points) and all(d["status"] == "optimal" for d in self.dropped))

    @property
    def incomplete(self) -> str | None:
        """Why part of the front is missing — a MIP ended without a layout (the second term's end,
        or a cap of the walk) — or None."""
        return self.missing_end or self.stopped

    @property
    def status(self) -> str:
        """``in_progress`` (the walk has not ended: a front.json left so by a killed run is no front),
        ``incomplete`` (:attr:`incomplete` says what is missing and why), ``truncated`` (at
        ``max_points``), ``not_verified`` (the checker rejected a point's layout: :attr:`not_verified`
        names them), ``exact``, else ``not_proven`` (a point or a dropped layout not proven)."""
        if not self.finished:
            return "in_progress"
        if self.incomplete:
            return "incomplete"
        if self.truncated:
            return "truncated"
        return "not_verified" if self.not_verified else "exact" if self.exact else "not_proven"

    @property
    def unproven(self) -> list[str]:
        """The points not proven: a stage stopped at its limit, or the checker rejected the layout."""
        return [p.name for p in self.points if not p.proven]

    @property
    def not_verified(self) -> list[str]:
        """The points whose layout the independent checker rejected."""
        return [p.name for p in self.points if not p.verified]

    def table(self) -> pd.DataFrame:
        return pd.DataFrame([p.record(*self.terms) for p in self.points])

    def admit(self, vals: dict[str, float], status: str, stages: list[dict],
              name: str, verified: bool = True) -> tuple[str, "FrontPoint | None", list]:
        """Where a layout with values ``vals`` (its solve's ``status`` and ``stages``, whether the
        checker confirmed it: ``verified``; ``name``: its name if it becomes a new point) goes:
        ("dropped", None, []) when the front has its values already, as well proven, or a written
        point dominates it; ("replaces", twin, beaten) when it is a written point found again with
        a better proof; ("new", None, beaten) otherwise.  ``beaten``: the written points it
        dominates, to be removed.  Every layout dropped or beaten is listed in ``dropped``.

        A layout the checker rejects is not known to be feasible: it never drops nor replaces a
        layout the checker confirmed (its values may be reachable only within HiGHS's loosened
        tolerances), and a confirmed one is the better proof of a twin (:func:`_proof_rank`)."""
        terms = self.terms
        twin = next((p for p in self.points if same_values(p.values, vals, terms, self.step)), None)
        if twin is not None and _proof_rank(status, stages, verified) >= _proof_rank(twin.status, twin.stages,
                                                                                     twin.verified):
            self._drop(vals, status, verified, f"the same point as {twin.name}", twin.name)
            return "dropped", None, []
        # a twin found again is checked against the other points as a new one is: values within
        # the tolerance of the twin's may be dominated where the twin's were not (or dominate more)
        others = [p for p in self.points if p is not twin]
        better = next((p for p in others if _may_drop(p.verified, verified)
                       and dominates(p.values, vals, terms, self.step)), None)
        if better is not None:  # a twin keeps its own values and proof
            self._drop(vals, status, verified, f"dominated by {better.name}", better.name)
            return "dropped", None, []
        beaten = [q for q in others if _may_drop(verified, q.verified) and dominates(vals, q.values, terms, self.step)]
        if twin is not None:
            self._drop(twin.values, twin.status, twin.verified, f"{twin.name} found again with a better proof", twin.name)
            name = twin.name
        for q in beaten:
            self._drop(q.values, q.status, q.verified, f"{q.name}, dominated by {name}", name)
        if twin is not None:
            return "replaces", twin, beaten
        return "new", None, beaten

    def _drop(self, vals: dict[str, float], status: str, verified: bool, reason: str, by: str) -> None:
        """List a layout not written: its status as the checker lets it claim ("not_verified" for
        a rejected one, which leaves the front not exact: the walk went on from its values), and
        the point written in its stead (``by``)."""
        self.dropped.append({"values": vals, "status": _front_status(status, verified), "verified": verified,
                             "reason": reason, "by": by})

    def offer(self, vals: dict[str, float], status: str, stages: list[dict], name: str, solution,
              layout: bytes = b"") -> tuple[str, "FrontPoint | None", list]:
        """:meth:`admit` a layout, its ``solution`` already judged by the checker (its summary's
        ``verified``), and apply its verdict: a twin found again takes its values, proof, layout
        and solution; a new point is added as ``name``; the points it beats go; the points stay
        sorted along the front.  Returns (verdict, the point written or None, beaten)."""
        verified = bool(solution.summary.get("verified"))
        verdict, point, beaten = self.admit(vals, status, stages, name, verified)
        if verdict == "dropped":
            return verdict, None, []
        if verdict == "replaces":  # found again and better proven: the point keeps its name, with this solve's proof
            point.values, point.status, point.stages, point.layout = vals, status, stages, layout
            point.solution = solution
        else:
            point = FrontPoint(name, {t: vals[t] for t in self.terms}, solution, status, stages, layout)
            self.points.append(point)
        self.points = [q for q in self.points if q not in beaten]
        t1, t2 = self.terms
        self.points.sort(key=lambda q: (q.values[t1], -q.values[t2]))  # along the front; names: order found
        return verdict, point, beaten

    def values(self) -> list[tuple[float, float]]:
        t1, t2 = self.terms
        return [(p.values[t1], p.values[t2]) for p in self.points]


def layout_key(cm: CompiledModel, x: np.ndarray) -> bytes:
    """What makes two layouts the same: their placements, expansions and opened parks (the
    integer columns, rounded)."""
    return np.round(x[: cm.n_cols][cm.integrality > 0]).astype(np.int8).tobytes()


def _tolerance(a: float, b: float, step: float | None) -> float:
    """The checker's claim tolerance (two polishes of one layout under other holds may differ by
    the LP's tolerances), but never half a ``step`` or more: points the walk finds a step apart
    are different points, however large the values."""
    tol = CLAIM_TOL * max(1.0, abs(a), abs(b))
    return tol if step is None else min(tol, 0.5 * step)


def same_values(a: dict[str, float], b: dict[str, float], terms, step: float | None = None) -> bool:
    """Equal within :func:`_tolerance` in every term."""
    return all(abs(a[t] - b[t]) <= _tolerance(a[t], b[t], step) for t in terms)


def dominates(a: dict[str, float], b: dict[str, float], terms, step: float | None = None) -> bool:
    """``a`` at least as good as ``b`` in both terms and better in one (beyond :func:`_tolerance`)."""
    return not same_values(a, b, terms, step) and all(a[t] <= b[t] + _tolerance(a[t], b[t], step) for t in terms)


def _proof_rank(status: str, stages: list[dict], verified: bool) -> tuple:
    """Smaller is better proven: confirmed by the checker first, then proven optimal, then the
    smaller largest stage gap (a stage's proof of a layout the checker rejects proves nothing)."""
    gaps = [s["gap"] for s in stages if s.get("gap") is not None]
    return (not verified, status != "optimal", max(gaps) if gaps else np.inf)


def _front_status(status: str, verified: bool) -> str:
    """The status a layout of the walk may claim: every one has a layout, so one the checker
    rejects is "not_verified" whatever its stages said, also "optimal_previous_stage" (the
    walk's own word, which :func:`yrdopt.solver.checked_status` would pass on as a status
    without a layout)."""
    return "not_verified" if not verified else checked_status(status, verified)


def _may_drop(by_verified: bool, verified: bool) -> bool:
    """Whether a layout (confirmed by the checker or not: ``by_verified``) may drop, as dominating
    it, one that is (``verified``): a rejected layout is not known to be feasible, so it drops
    none the checker confirmed."""
    return by_verified or not verified


def pareto_front(
    instance,
    between: tuple[str, str] = ("distance", "duplication"),
    *,
    points: int | None = None,
    step: float | None = None,
    max_points: int = 100,
    options: SolverOptions | None = None,
    build_options: BuildOptions | None = None,
    out: str | Path | None = None,
    progress=None,
    solver_progress: ProgressHook | None = None,
    greedy_start: bool = True,
    stop=None,
) -> FrontResult:
    """The non-dominated front between two terms, each point a verified layout.

    ``points=None``: the exact walk (every point whose second term differs by at least
    ``step``; default 1e-4 of the range of the second term).  ``points=K``: K ε values.
    ``options.time_limit`` applies to each MIP (three per point); the f1-best end starts as
    :func:`yrdopt.solve` does (``greedy_start``), the f2-best end from the f1-best end, every
    other point from the f2-best end (feasible for every ε).

    Where a stage stops at its limit, its layout need not be on the front: a later ε may find
    the same layout or one that beats it.  The front written holds each layout once (the best
    proven of its finds) and no point another written point dominates; the others are listed
    in ``dropped`` (with the reason), and every point not proven optimal says so (``status``,
    each stage's bound and gap).  The walk goes on from the values it wrote.

    A MIP that ends without a layout leaves part of the front missing: the f2-best end
    (``missing_end``: only the f1-best end is written) or the points below a cap (``stopped``);
    ``status`` is then "incomplete", in front.json too, which says "in_progress" until the walk ends.

    Setting ``stop`` (a :class:`threading.Event`) ends the walk at HiGHS's next callback: the points
    written so far are kept (a stage stopped with a layout offers it, not proven) and ``stopped``
    says so (status "incomplete").  Ctrl-C (KeyboardInterrupt) in the main thread sets that flag,
    waits for the walk to stop and raises :class:`yrdopt.stopping.Interrupted` (a KeyboardInterrupt;
    its ``result`` is the front so far, written to ``out`` already), never a SolverError.
    """
    t1, t2 = check_terms(between)
    if len((t1, t2)) != 2:
        raise InstanceError([Problem("command line", "--between", between, "exactly two terms")])
    if points is not None and points < 2:
        raise InstanceError([Problem("command line", "--points", points, "at least 2 points")])
    out = Path(out) if out is not None else None

    def run(flag):
        return _pareto_front(instance, t1, t2, points=points, step=step, max_points=max_points, options=options,
                             build_options=build_options, out=out, progress=progress,
                             solver_progress=solver_progress, greedy_start=greedy_start, stop=flag)

    return stoppable(run, stop, kept=lambda r: kept_points(r, out),
                     nothing="stopped before the first point was found; nothing written",
                     so_far=f"the points written to {out}/ so far stay there" if out is not None else "")


def kept_points(result: "FrontResult", out: Path | None) -> str:
    """What a front stopped early kept, and where (one line)."""
    n = len(result.points)
    where = f"written to {out}/ (front.json status {result.status})" if out is not None else "in the result"
    return f"{n} point{'' if n == 1 else 's'} of the front {where}"


def _pareto_front(instance, t1: str, t2: str, *, points, step, max_points, options, build_options, out: Path | None,
                  progress, solver_progress, greedy_start, stop) -> "FrontResult":
    inst = load_instance(instance)
    refuse_periods(inst, "a trade-off front", FRONTS_OVER_PERIODS)
    options = options or SolverOptions(mip_gap=1e-6)
    cm = search_model(inst, build_options)
    lex = _Lex(inst, cm, options, solver_progress, greedy_start, stop=stop)
    result = FrontResult(inst, (t1, t2), method="epsilon walk" if points is None else f"{points} epsilon values")
    written = 0  # points named so far (a dropped point's name is not reused)

    def offer(res: SolveResult, stage: dict, status: str, stages: list[dict],
              cap: float | None = None) -> tuple[dict, bool]:
        """Polish a lexicographic solve's layout, judge it by the checker, and write it as a point
        unless the front already has it (the same values: the better proven of the two stays) or a
        written point dominates it; a written point it dominates is dropped (never by a layout the
        checker rejects: :meth:`FrontResult.admit`).  Returns the layout's values and whether the
        checker confirmed it."""
        nonlocal written
        # values of the layout itself (after the tie-break), not of the stage optima;
        # re-solved as an LP with placements fixed and both terms held (checker tolerance)
        limits = lexicographic_holds([t1, t2], 0.0, stage)
        if cap is not None:
            limits[t2] = min(limits[t2], cap)
        res = lex.polish(res, _polish_holds(cm, res.x, limits))
        vals = {t: float(cm.terms[t] @ res.x[: cm.n_cols]) for t in (t1, t2)}
        key = layout_key(cm, res.x)
        claims = {"front": {"between": [t1, t2], "cap": {t2: cap}, "stage_optima": stage}}
        # judged before the front decides: a rejected layout must not drop nor replace a confirmed one
        solution = lex.package(res, claims)
        verified = bool(solution.summary.get("verified"))
        verdict, point, beaten = result.offer(vals, status, stages, f"point-{written + 1}", solution, key)
        if verdict == "dropped":
            return vals, verified
        written += verdict == "new"
        if out is not None:
            point.solution.write(out / point.name)
            _write_front(result, out)  # the front no longer names a beaten point before its folder goes
            for q in beaten:
                shutil.rmtree(out / q.name, ignore_errors=True)
        if progress is not None and verdict == "new":
            progress(point)
        return vals, verified

    def lex_solve(order, start=None):
        n = len(lex.stages)
        res, vals, st = lex.solve(order, start=start)
        return res, vals, st, lex.stages[n:]

    def stopped_by_user() -> bool:
        if stop.is_set():
            result.stopped = f"stopped by the user after {counted(len(result.points), 'point')}"
        return stop.is_set()

    first, v_first, st, stages = lex_solve([t1, t2])
    if first is None:
        if stop.is_set():
            raise SolverError("stopped before the first point was found; nothing written")
        if st in ("infeasible", "infeasible_or_unbounded"):
            from .diagnose import diagnosis_deadline, explain_infeasibility

            raise InfeasibleError(*explain_infeasibility(inst, deadline=diagnosis_deadline(lex.deadline.left(), stop)))
        raise SolverError(f"no layout for the front: {st}")
    # the f1-best point is polished (lex.polish: within what is left of its solve's last stage) before
    # the t2-first solve replaces that deadline with its own stages' (before: it got their leftovers)
    first_values, first_verified = offer(first, v_first, st, stages)
    hi = first_values[t2]
    if stopped_by_user():
        return _finish(result, lex, out)
    last, v_last, st_last, _ = lex_solve([t2, t1], start=first.x)  # nothing is capped: any layout is feasible
    if stopped_by_user():
        return _finish(result, lex, out)
    if last is None:  # (HiGHS lost the start, e.g. its re-run without one: solver.HighsSolver.solve)
        # the one point written is no front: said in front.json's status, never a finished one-point front
        result.missing_end = (f"no layout minimising {t2} ({st_last}): the {t2}-best end and every point between "
                              f"it and the {t1}-best end ({result.points[0].name if result.points else 'none'}) "
                              "are missing")
        return _finish(result, lex, out)
    # the f2-best end's own layout (a later stage may have lowered its first stage's value)
    # (at a limit the f2-best end's stages may end above the f1-best end: nothing is known below)
    lo = min(v_last[t2], float(cm.terms[t2] @ last.x[: cm.n_cols]), hi)
    span = max(hi - lo, 0.0)
    if points is None:
        result.step = step if step is not None else max(1e-4 * span, 1e-6)
        cur = hi
        while cur > lo + result.step:
            if len(result.points) >= max_points:
                result.truncated = True
                break
            cap = cur - result.step
            lex.bound(t2, cap)
            res, vals, st, stages = lex_solve([t1, t2], start=last.x)  # the f2-best end is feasible for every eps
            if res is None and stopped_by_user():
                break
            if res is None:
                if st not in ("infeasible", "infeasible_or_unbounded"):
                    result.stopped = f"stopped below {t2} = {cur:.6g}: {st}"
                break  # infeasible: nothing below, the last point was the f2-best end
            got = offer(res, vals, st, stages, cap)[0][t2]
            if stopped_by_user():
                break
            if got > cur - result.step / 2:  # numerical stall: do not loop
                break
            cur = got  # on from the layout written, not from its stages' values
    else:
        # t2 of every proven lexicographic optimum so far (a layout the checker rejected proves nothing)
        proven_t2 = [hi] if st == "optimal" and first_verified else []
        for eps in np.linspace(hi, lo, points)[1:]:
            cap = eps + HOLD_ABS
            # a proven optimum under a larger cap that meets this one is this cap's optimum too
            if any(v <= cap for v in proven_t2):
                continue
            lex.bound(t2, cap)
            res, vals, st, stages = lex_solve([t1, t2], start=last.x)
            if res is None and stopped_by_user():
                break
            if res is None:
                result.stopped = f"no layout for {t2} <= {eps:.6g}: {st}"
                continue
            got, verified = offer(res, vals, st, stages, cap)
            if stopped_by_user():
                break
            if st == "optimal" and verified:
                proven_t2.append(got[t2])
    lex.free(t2)
    return _finish(result, lex, out)


def _finish(result: FrontResult, lex: _Lex, out: Path | None) -> FrontResult:
    """The walk has ended: its solves counted, front.json (its final status) and front.png written."""
    result.n_solves, result.stages, result.finished = lex.n_solves, lex.stages, True
    if out is not None:
        _write_front(result, out)
        _plot_front(result, out / "front.png")
    return result


def _polish_holds(cm: CompiledModel, x: np.ndarray, limits: dict[str, float]) -> list[tuple[np.ndarray, float]]:
    """Rows holding each term at its limit in the LP polish; a layout that HiGHS left above a
    limit by its feasibility tolerance keeps its own value (the LP stays feasible, and the
    checker's claim tolerance covers that much)."""
    return [(cm.terms[t], max(limit, float(cm.terms[t] @ x[: cm.n_cols]))) for t, limit in limits.items()]


def _write_front(result: FrontResult, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    atomic_write_text(out / "front.csv", result.table().to_csv(index=False, float_format="%.10g"))
    meta = {"instance": {"name": result.instance.name, "hash": content_hash(result.instance)},
            "between": list(result.terms), "method": result.method, "step": result.step,
            "status": result.status, "incomplete": result.incomplete,
            "truncated": result.truncated, "stopped": result.stopped, "exact": result.exact,
            "points": len(result.points), "unproven": result.unproven, "not_verified": result.not_verified,
            "dropped": result.dropped,
            "solves": result.n_solves, "stages": result.stages}
    atomic_write_text(out / "front.json", json.dumps(meta, indent=2))


def _plot_front(result: FrontResult, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = _front_figure(result, plt)
    tmp = path.with_suffix(".tmp.png")
    fig.savefig(tmp, dpi=120)
    plt.close(fig)
    tmp.replace(path)


def _front_figure(result: FrontResult, plt):
    """front.png's figure: the step line and dots through the points the checker confirmed, a
    rejected point crossed apart (not known to be feasible, it is no corner of the front)."""
    t1, t2 = result.terms
    v = np.array(result.values(), dtype=float).reshape(-1, 2)
    rejected = np.array([not p.verified for p in result.points], dtype=bool)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.step(v[~rejected, 0], v[~rejected, 1], where="post", color="0.7", lw=1)
    ax.plot(v[~rejected, 0], v[~rejected, 1], "o", color="C0")
    open_ = np.array([not p.proven for p in result.points], dtype=bool) & ~rejected
    if open_.any():
        loose = any((p.solution.summary.get("solver") or {}).get("loosened_tolerances") for p in result.points)
        ax.scatter(v[open_, 0], v[open_, 1], s=80, facecolors="none", edgecolors="C3", zorder=3,
                   label="not proven: HiGHS's tolerances loosened" if loose else "not proven: a stage stopped at its limit")
    if rejected.any():
        ax.scatter(v[rejected, 0], v[rejected, 1], s=80, marker="x", color="C3", zorder=3,
                   label="rejected by the independent checker")
    if open_.any() or rejected.any():
        ax.legend(fontsize=7)
    for p, (a, b) in zip(result.points, v):
        ax.annotate(p.name.split("-")[-1], (a, b), textcoords="offset points", xytext=(4, 4), fontsize=8)
    from ..app.wording import term_words

    ax.set_xlabel(f"{term_words(t1)} (unweighted)")
    ax.set_ylabel(f"{term_words(t2)} (unweighted)")
    ax.set_title(f"{result.instance.name}: non-dominated layouts"
                 + ("\nINCOMPLETE: a MIP ended without a layout (front.json)" if result.incomplete else ""))
    fig.tight_layout()
    return fig


@dataclass
class LexResult:
    solution: Solution
    values: dict[str, float]  # each term's stage optimum: the stages that ran only (an interrupted run: fewer)
    order: list[str]
    tolerance: float
    status: str = "optimal"  # "optimal" only if every stage was proven; "interrupted": stopped early
    stages: list[dict] = field(default_factory=list)  # one record per MIP (_Lex.stages)

    @property
    def reached(self) -> str:
        """The stages reached, in words, counted as the user named them, each by its term's name (e.g.
        "stage 2 of 3, distance (logistics)"; the weighted objective's tie-break after them is no stage of theirs)."""
        from ..app.wording import term_words

        n = len(self.stages)
        if not n:
            return "no stage"
        if n > len(self.order):
            return f"all {len(self.order)} stages and the tie-break on the weighted objective"
        return f"stage {n} of {len(self.order)}, {term_words(self.stages[-1]['minimise'])}"


def lexicographic(
    instance,
    order: list[str],
    *,
    tolerance: float = 0.0,
    options: SolverOptions | None = None,
    build_options: BuildOptions | None = None,
    out: str | Path | None = None,
    solver_progress: ProgressHook | None = None,
    greedy_start: bool = True,
    stop=None,
) -> LexResult:
    """Minimise ``order[0]``, then ``order[1]`` keeping ``order[0]`` within ``tolerance``
    (relative) of its optimum, and so on; the weighted objective breaks the last ties.
    ``options.time_limit`` applies to each stage; the first starts as :func:`yrdopt.solve`
    does (``greedy_start``).

    Setting ``stop`` (a :class:`threading.Event`) ends the running stage at HiGHS's next callback
    and begins no other: the layout of the last stage reached is polished, checked and written
    (``status`` "interrupted"; the terms not reached valued at that layout).  Ctrl-C in the main
    thread sets that flag, waits, and raises :class:`yrdopt.stopping.Interrupted` (a
    KeyboardInterrupt; its ``result`` this LexResult), never a SolverError (before: HiGHS returned
    "error" and the run said "lexicographic solve stopped without a layout")."""
    order = check_terms(order, "terms")
    if not order:
        raise InstanceError([Problem("command line", "terms", order, "at least one objective term")])
    if not (tolerance >= 0 and np.isfinite(tolerance)):
        raise InstanceError([Problem("command line", "--tolerance", tolerance, "a relative tolerance >= 0")])

    def run(flag):
        return _lexicographic(instance, order, tolerance, options, build_options, out, solver_progress, greedy_start,
                              flag)

    return stoppable(run, stop, kept=lambda r: kept_lexicographic(r, out),
                     nothing="stopped before the first stage found a layout; nothing written")


def kept_lexicographic(result: LexResult, out) -> str:
    """What a lexicographic solve stopped early kept, and where (one line)."""
    s = result.solution.summary
    where = f"written to {out}/" if out is not None else "in the result"
    what = (f"the layout of {result.reached}, reached before the interrupt (status interrupted, not proven"
            if result.status == "interrupted" else f"the lexicographic layout (status {result.status}")
    return f"{what}; checker: {'verified' if s.get('verified') else 'NOT verified'}) {where}"


def _lexicographic(instance, order, tolerance, options, build_options, out, solver_progress, greedy_start,
                   stop) -> LexResult:
    inst = load_instance(instance)
    refuse_periods(inst, "lexicographic solving", FRONTS_OVER_PERIODS)
    cm = search_model(inst, build_options)
    lex = _Lex(inst, cm, options or SolverOptions(mip_gap=1e-6), solver_progress, greedy_start, stop=stop)
    res, vals, st = lex.solve(order, tolerance)
    if res is None:
        if stop.is_set():
            raise SolverError("stopped before the first stage found a layout; nothing written")
        if st in ("infeasible", "infeasible_or_unbounded"):
            from .diagnose import diagnosis_deadline, explain_infeasibility

            raise InfeasibleError(*explain_infeasibility(inst, deadline=diagnosis_deadline(lex.deadline.left(), stop)))
        raise SolverError(f"lexicographic solve stopped without a layout: {st}")
    # only the stages that ran have an optimum to claim (and to hold in the polish); lex.solve values
    # the terms of stages never begun at the layout reached, which is no stage's optimum
    ran = {stage["minimise"] for stage in lex.stages}
    vals = {t: v for t, v in vals.items() if t in ran}
    held = _polish_holds(cm, res.x, lexicographic_holds(order, tolerance, vals))
    claims = {"lexicographic": {"order": order, "tolerance": tolerance, "stage_optima": vals}}
    polished = lex.polish(res, held)
    if st == "interrupted":  # the last stage reached may have ended proven: the layout is still no lexicographic optimum
        polished = replace(polished, status="interrupted")
    sol = lex.package(polished, claims)
    if out is not None:
        sol.write(out)
    return LexResult(sol, vals, order, tolerance, st, lex.stages)

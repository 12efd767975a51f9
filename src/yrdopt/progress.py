"""Progress of one solve phase by phase, through the caller's progress hook.

Before HiGHS starts, a city-scale solve spends up to 40 % of its time on its own phases (the
greedy start, :func:`yrdopt.lns.construct`, kernel search, the relaxation's bound); HiGHS's
callbacks (:class:`yrdopt.solver.SolveMonitor`) say nothing then.  :class:`Phases` tells the
same hook, ``progress(elapsed_s, best, bound, gap)``, when each phase begins, each better
layout as soon as one exists and the bound once there is one; during HiGHS it passes HiGHS's
reports on with the best bound known (HiGHS's own, at first, may be weaker than the
relaxation's, which the result keeps: :func:`yrdopt.api._with_bound`).

Before HiGHS, the best shown never rises and is always the cost of a layout the search keeps:
only layouts that meet every row are reported (:func:`yrdopt.lns.layout_cost`; kernel search's
as they are found and only where kernel search keeps them, :func:`yrdopt.kernel_search._restricted`),
and where HiGHS drops the start it was given (its own tolerance is absolute) and ends with a
dearer layout or none, the search keeps the start (:func:`yrdopt.api._with_layout`).  During
HiGHS it shows HiGHS's claims, never above the best before; when the search ends, its result
(re-derived by the solver) replaces them: it rises only where HiGHS claimed a cost its layout did
not have (HiGHS 1.16's mapped MIP start, formulation.md section 6).

A hook with a parameter named ``phase`` is also given the phase's name (one of :data:`PHASES`);
any other (four positional parameters, ``*args``/``**kwargs`` wrappers) is called as before.  All
reports of one search count ``elapsed_s`` from one origin, so it never goes back within a
search (a caller running several searches, as alternatives do, sees it start again).
"""

from __future__ import annotations

import inspect
import time

from .claims import relative_gap

BUILD = "building the model"
GREEDY = "greedy start"
CONSTRUCT = "constructing a start"
IMPROVE = "improving the start"
PERIOD_START = "period-by-period start"
KERNEL = "kernel search"
RELAXATION = "relaxation bound"
HIGHS = "HiGHS"
POLISH = "polishing the layout"
CHECK = "checking the layout"
# HiGHS proved no layout exists; the diagnosis (analysis.diagnose) looks for why, often far longer
DIAGNOSE = "no layout exists — finding which limits conflict"
# costs this close (relative) are one layout's, in two solvers' arithmetic
SAME = 1e-9
# a search's result may cost this much more (relative) than the best shown before it and still
# be that layout (the polish re-solves its continuous part in the LP's arithmetic)
POLISH_HAIR = 1e-6

PHASES = (BUILD, PERIOD_START, GREEDY, CONSTRUCT, IMPROVE, KERNEL, RELAXATION, HIGHS, POLISH, CHECK, DIAGNOSE)


def takes_phase(hook) -> bool:
    """Whether ``hook`` accepts the ``phase`` keyword."""
    try:
        params = inspect.signature(hook).parameters.values()
    except (TypeError, ValueError):  # a builtin without a signature: the plain four arguments
        return False
    # named, not merely **kwargs: a plain decorator's wrapper (*args, **kwargs) would hand the
    # keyword on to a four-argument hook, which then fails
    return any(p.name == "phase" and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) for p in params)


class Phases:
    """The reports of one search to ``hook`` (None: no reports), ``elapsed_s`` counted from
    ``started`` (a :func:`time.perf_counter` value; default now)."""

    def __init__(self, hook=None, started: float | None = None):
        self.hook = hook
        self.with_phase = hook is not None and takes_phase(hook)
        self.started = time.perf_counter() if started is None else started
        self.phase: str | None = None
        self.best: float | None = None  # the best layout's cost known here
        self.bound: float | None = None  # a valid lower bound known here

    def enter(self, phase: str, *, best: float | None = None, bound: float | None = None) -> None:
        """``phase`` begins; ``best`` and ``bound``, where given, are a search's result: the cost
        of the layout it keeps, re-derived by the solver, which replaces what HiGHS reported
        (HiGHS 1.16 may report a cost its layout does not have: the start it mapped, which
        :meth:`yrdopt.solver.HighsSolver.solve` re-solves without).  The best shown stays where
        it is lower by a hair (:data:`POLISH_HAIR`: the polish's LP arithmetic)."""
        self.phase = phase
        if best is not None:
            hair = self.best is not None and self.best <= best <= self.best + POLISH_HAIR * max(1.0, abs(self.best))
            self.best = self.best if hair else float(best)
        self.bound = self.bound if bound is None else float(bound)
        self._report(self.best, self.bound)

    def layout(self, cost: float | None) -> None:
        """A layout of cost ``cost`` was found (None: none, or not a layout of the model);
        reported if better than the best so far."""
        if cost is None:
            return
        same = self.best is not None and abs(cost - self.best) <= SAME * max(1.0, abs(self.best))
        if same or not (self.best is None or cost < self.best):
            return
        self.best = float(cost)
        self._report(self.best, self.bound)

    def bounded(self, bound: float | None) -> None:
        """A valid lower bound ``bound`` was found (None: none)."""
        if bound is None or (self.bound is not None and bound <= self.bound):
            return
        self.bound = float(bound)
        self._report(self.best, self.bound)

    def highs(self, _elapsed: float, best: float | None, bound: float | None, gap: float | None) -> None:
        """HiGHS's report (:class:`yrdopt.solver.SolveMonitor`), passed on with the start's
        cost until HiGHS has a cheaper layout and the better of the two bounds."""
        self.phase = HIGHS
        # HiGHS's incumbent costs more than the best known only where it dropped the start it was
        # given; the search then keeps the start (api._with_layout)
        self.best = _lower(self.best, best)
        if bound is not None and (self.bound is None or bound > self.bound):
            self.bound = bound
        # the gap of the best and the bound shown (HiGHS's own is of its incumbent and bound)
        self._report(self.best, self.bound, None if self.best is not None and self.bound is not None else gap)

    def _report(self, best, bound, gap=None) -> None:
        if self.hook is None:
            return
        if gap is None and best is not None and bound is not None:
            gap = relative_gap(best, bound)
        elapsed = time.perf_counter() - self.started
        if self.with_phase:
            self.hook(elapsed, best, bound, gap, phase=self.phase)
        else:
            self.hook(elapsed, best, bound, gap)


def _lower(best: float | None, new: float | None) -> float | None:
    """The lower of two costs (None: none known)."""
    if new is None:
        return best
    return float(new) if best is None else min(best, float(new))

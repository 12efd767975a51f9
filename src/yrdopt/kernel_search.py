"""Kernel search from the LP relaxation's layout, for city-scale instances (models/formulation.md,
section 11, "Kernel search").

On the generated 41x30x4 instance HiGHS explores no node within two minutes and its own
heuristics do not improve the greedy layout: the primal side, not only the bound, keeps the gap
wide.  The LP relaxation splits segments, but over few regions, and mostly the right ones (those
whose quotas and costs suit the segment).  So the MILP restricted to the placements the LP uses
(the *kernel*, with the start's sites, so the start stays feasible) is a few hundred binaries,
and its optimum is a good layout of the whole model.  Kernel search (Angelelli, Mansini &
Speranza, "Kernel search: a general heuristic for the multi-dimensional knapsack problem",
Computers & Operations Research 37, 2010) then offers the other placements in *buckets*, cheapest
LP reduced cost first, and keeps in the kernel the ones a better layout uses.

The LP is the relaxation without flows with its Benders rounds (:mod:`yrdopt.model.logistics_bound`),
which reaches the full model's LP in a few seconds where HiGHS's root LP takes 10-25.  Each
restricted MILP is the full model with the placements outside it bounded to 0, started from the
best layout so far: a layout it finds is kept (and reported as progress) only where it fits the
whole model (:func:`yrdopt.lns.fits`), HiGHS checks the start, and the checker verifies the final
layout.  Nothing here claims a bound.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from .model.compiled import CompiledModel
from .solver import HighsSolver, SolverOptions

# share of the kernel search's seconds its LP may take (the Benders rounds stop there)
LP_SHARE = 0.3
# share of what is left after the LP that the first (kernel-only) MILP may take
KERNEL_FIRST_SHARE = 0.5
# placements offered per bucket: this share of the kernel, at least MIN_BUCKET
BUCKET_SHARE = 0.5
MIN_BUCKET = 50
# seconds per bucket's MILP: this share of the first (kernel-only) MILP's limit
BUCKET_TIME_SHARE = 1.0
# a restricted MILP needs at least this long to be worth starting
MIN_MILP_S = 2.0
# activity above this share of a unit counts as a placement the LP uses
LP_USES = 1e-6


@dataclass
class KernelSearch:
    x: np.ndarray | None  # the best layout found that fits (full column vector), None if no better than the start
    objective: float | None  # its cost
    start_objective: float  # inf where the start misses a row
    lp_value: float | None  # the LP relaxation's value the rounds reached
    kernel: int  # placements in the final kernel
    buckets: int  # buckets tried
    improved: int  # restricted MILPs that found a better layout
    seconds: float

    def summary(self) -> dict:
        """What ``summary.json`` records of the search (``solver.kernel_search``)."""
        finite = lambda v: None if v is None or not np.isfinite(v) else float(v)  # noqa: E731
        return {"seconds": round(self.seconds, 3), "start_objective": finite(self.start_objective),
                "objective": finite(self.objective), "lp_value": finite(self.lp_value),
                "kernel": self.kernel, "buckets": self.buckets, "improved": self.improved}


def lp_guide(cm: CompiledModel, seconds: float, *, threads: int | None = None, stop=None,
             start: np.ndarray | None = None) -> tuple[float, np.ndarray, np.ndarray] | None:
    """(LP value, activity (S, R), reduced cost of activity (S, R)) of the LP relaxation, from
    the relaxation without flows with its Benders rounds within ``seconds`` (the cuts at
    ``start``'s activities first); None if no LP finished."""
    from .model.logistics_bound import relaxation_lp

    t_end = time.perf_counter() + seconds
    last: dict = {}
    base, value, _ = relaxation_lp(cm.data, cm.options, lambda: t_end - time.perf_counter(),
                                   lambda: stop is not None and stop.is_set(), threads,
                                   cm.var("activity").take(start) if start is not None else None, last)
    if "x" not in last:
        return None
    act = base.var("activity")
    return value, act.take(last["x"]), act.take(last["reduced"])


def kernel_search(cm: CompiledModel, start: np.ndarray, seconds: float, *, threads: int | None = None,
                  seed: int = 0, stop=None, report=None) -> KernelSearch:
    """Improve the layout ``start`` (a full column vector of ``cm``) within ``seconds``.

    ``report`` (a :class:`yrdopt.progress.Phases`) is told the LP's value (a bound) once the
    LP is solved and the cost of each better layout as the restricted MILPs find it."""
    t0 = time.perf_counter()
    t_end = t0 + seconds
    left = lambda: t_end - time.perf_counter()  # noqa: E731
    stopped = lambda: stop is not None and stop.is_set()  # noqa: E731
    from .lns import layout_cost
    from .progress import Phases

    report = report or Phases()
    place, act = cm.var("place"), cm.var("activity")
    # a start that misses a row (the greedy may miss a hard province share) is only a hint to
    # HiGHS: any layout found beats it
    start_obj = layout_cost(cm, start)
    start_obj = np.inf if start_obj is None else start_obj
    result = KernelSearch(None, None, start_obj, None, 0, 0, 0, 0.0)
    if cm.options.elastic:
        return result
    guide = lp_guide(cm, LP_SHARE * seconds, threads=threads, stop=stop, start=start)
    if guide is None or stopped():
        result.seconds = time.perf_counter() - t0
        return result
    result.lp_value, lp_act, reduced = guide
    report.bounded(result.lp_value)
    allowed = place.take(cm.col_upper) > 0.5
    kernel = allowed & ((lp_act > LP_USES) | (place.take(start) > 0.5) | (place.take(cm.col_lower) > 0.5))
    # the rest, cheapest LP reduced cost first (0 for a placement the LP could use at no loss)
    rest = np.flatnonzero((allowed & ~kernel).ravel())
    rest = rest[np.argsort(reduced.ravel()[rest], kind="stable")]
    bucket_size = max(MIN_BUCKET, int(BUCKET_SHARE * kernel.sum()))
    best_x, best_obj = start, start_obj
    first = True
    while not stopped() and left() > MIN_MILP_S:
        if first:
            # each bucket then gets as long as the kernel alone (Angelelli et al.: one limit per MILP)
            trial, limit = kernel, KERNEL_FIRST_SHARE * left()
            bucket_limit = max(MIN_MILP_S, BUCKET_TIME_SHARE * limit)
        else:
            if not len(rest):
                break
            bucket, rest = rest[:bucket_size], rest[bucket_size:]
            trial = kernel.copy()
            trial.ravel()[bucket] = True
            result.buckets += 1
            limit = min(left(), bucket_limit)
        res = _restricted(cm, trial, best_x, limit, threads, stop, seed, report, floor=best_obj)
        first = False
        if res.x is not None and res.objective is not None and _better(res.objective, best_obj):
            best_x, best_obj = res.x, res.objective
            result.improved += 1
            kernel |= place.take(res.x) > 0.5  # a bucket's placements the better layout uses
    result.kernel = int(kernel.sum())
    if result.improved:
        result.x, result.objective = best_x, best_obj
    result.seconds = time.perf_counter() - t0
    return result


def _better(objective: float, best: float) -> bool:
    return not np.isfinite(best) or objective < best - 1e-6 * max(1.0, abs(best))


def _restricted(cm: CompiledModel, kernel: np.ndarray, start: np.ndarray, limit: float,
                threads: int | None, stop, seed: int = 0, report=None, floor: float = np.inf):
    """The model with every placement outside ``kernel`` (S, R) bounded to 0, from ``start``;
    the result holds the best layout HiGHS found that fits the whole model (:func:`yrdopt.lns.fits`;
    ``x`` None if none did): HiGHS keeps layouts that miss a row by its tolerance, and one that
    misses by more than ``fits`` allows is no start for the main solve (:func:`yrdopt.api._kernel_start`).
    Each better one that kernel search would keep over ``floor`` (its best so far, by its own
    margin, :func:`_better`) goes to ``report.layout`` as HiGHS finds it, so the progress shown is
    always a layout kept; the restricted MILP's bound bounds it only, so it goes nowhere."""
    from .deadline import PROBING_OFF, ROOT_SOON

    place, act = cm.var("place"), cm.var("activity")
    out = np.flatnonzero(~kernel.ravel())
    upper = cm.col_upper.copy()
    upper[place.start + out] = 0.0
    upper[act.start + out] = 0.0
    kept = _FittingLayouts(cm, report, floor)
    # gap 1e-3: a heuristic step, not a proof; the main solve proves
    s = HighsSolver(SolverOptions(time_limit=max(limit, 0.01), threads=threads, seed=seed, mip_gap=1e-3,
                                  highs={**PROBING_OFF, **ROOT_SOON}), stop=stop, primal=kept)
    s.load(replace(cm, col_upper=upper))
    res = s.solve(start)
    if res.x is not None:
        kept.incumbent(res.x)  # HiGHS's result, should it not have called back with it
    return replace(res, x=kept.x, objective=kept.objective if kept.x is not None else None)


class _FittingLayouts:
    """The layouts HiGHS finds in a restricted MILP (through its improving-solution callback,
    :class:`yrdopt.solver.SolveMonitor`) that fit the whole model ``cm``: the cheapest is kept and
    each better one reported (``report.layout``).  It proposes none of its own."""

    def __init__(self, cm: CompiledModel, report=None, floor: float = np.inf):
        self.cm, self.report = cm, report
        self.x: np.ndarray | None = None
        self.objective = np.inf
        self.floor = floor  # the cost of kernel search's best layout so far: no better, not shown

    def begin(self, time_limit, stop) -> None:
        pass

    def incumbent(self, x: np.ndarray) -> None:
        from .lns import layout_cost

        cost = layout_cost(self.cm, np.asarray(x, dtype=float))
        if cost is not None and _better(cost, self.objective):
            self.x, self.objective = np.array(x, dtype=float), cost
            if self.report is not None and _better(cost, self.floor):
                self.report.layout(cost)  # only what kernel search would keep over its best so far

    def propose(self, gap=None) -> None:
        return None

    def end(self) -> None:
        pass

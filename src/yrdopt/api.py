"""The Python API scripts use directly; the CLI is a thin shell over it.

>>> import yrdopt
>>> inst = yrdopt.load_instance()          # the embedded default instance
>>> sol = yrdopt.solve(inst, time_limit=60)
>>> sol.layout.head(); sol.components; sol.check.verified
"""

from __future__ import annotations

import os
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from .checker import CheckReport, check_layout
from .deadline import CONSTRUCT_S, Deadline, construct_seconds, highs_options_for, root_options_for  # noqa: F401 (api.CONSTRUCT_S, api.construct_seconds: names scripts use)
from .claims import objective_matches, relative_gap
from .errors import InfeasibleError, SolverError
from .io import content_hash, load_instance
from .model.compiled import BuildOptions, CompiledModel, build
from .model.fixed import lp_polish
from .progress import BUILD, CHECK, CONSTRUCT, DIAGNOSE, GREEDY, HIGHS, IMPROVE, KERNEL, POLISH, RELAXATION, SAME, Phases
from .schema import Instance, instance_warnings
from .solution import Solution, park_tables_from_x, tables_from_x
from .stopping import stoppable
from .solver import (TIME_LIMIT_EXPECTED, HighsSolver, ProgressHook, SolveResult, SolverOptions, StopFlag,
                     derived_status, status_as_checked, status_words, time_limit_problem)


# fix-and-optimize during HiGHS's search (lns.SearchLns) by default on models this large
# (benchmarks/city_scale.py, one thread, loaded machine): 41x30x4 (4,905 binaries) ended at
# 18.0 % instead of 19.3 %.  Not below: on 41x10x3 (1,230) it gave 2.8-3.5 % instead of 6.1 % in
# 3 of 4 runs (solve(search_lns=0.5)), but on the shipped yrd-cities (1,231) it cost the proof
# within 60 s (3531.0-3543.7 at 1.7 % against optimal 3505.3 in 57.8 s without).
SEARCH_LNS_MIN_BINARIES = 2500
SEARCH_LNS_SHARE = 0.5
# There, with HiGHS on one thread (or its own count) and a second core, the same fix-and-optimize
# runs in a thread beside HiGHS instead (lns.ConcurrentLns; HiGHS then on one thread: it explores
# no node on 41x30x4 within 120 s, so its second worker idles): 41x30x4 at 120 s 9.3 % against
# 9.9 % (benchmarks/results/city-scale-concurrent-g30.md).  Not by default below: on 41x10x3 it
# gave 2.2 % against 6.0 % (HiGHS's 2 workers), but the shipped yrd-cities is proven by HiGHS's
# tree search, where its two workers count more (proven in 106 s and 141 s; with the thread not
# within 150 s, 0.65-0.82 %; city-scale-concurrent.md, formulation.md section 11).
# What tells the two apart is the size of HiGHS's node LPs, not the binaries (both have 1,234):
# yrd-cities has 6,576 columns that can be nonzero (its R&D may sit only in core cities, so most
# flows are fixed at 0; live_columns), 41x10x3 35,610.  Where the LP is that large HiGHS stays in its root and
# its second worker buys little, so the thread is on by default there too: on an idle machine
# 41x10x3 at 120 s ended at 2.10 % with it against 3.49 % with HiGHS's 2 workers, while on
# yrd-cities the 2 workers proved the optimum in 44.5 s (the thread: 50.7 s) and at load 2-5 were
# at 1.07 % and 1.40 % after 60 s against 2.31 % and 1.55 % (benchmarks/results/city-scale-idle.md).
CONCURRENT_LNS_MIN_COLUMNS = 20_000

# models above SEARCH_LNS_MIN_BINARIES binaries under a time limit of at least
# KERNEL_SEARCH_MIN_S left improve their start by kernel search (yrdopt.kernel_search) for this
# share of what is left before HiGHS starts: on the generated 41x30x4 HiGHS's own heuristics do
# not improve the greedy layout within 120 s (benchmarks/city_scale.py, configs "default" and
# "no-kernel"); phased instances (one MILP over the periods) do not use it
KERNEL_SEARCH_SHARE = 0.4
KERNEL_SEARCH_MIN_S = 30.0

# a MIP that minimises one objective term (a front's or lexicographic solve's first stage) gets
# the greedy layout (built for the weighted cost) as its start only on models above this many
# binaries (benchmarks/planning_city.py, two runs, one thread, loaded machine; formulation.md
# section 11): on 41x10x3 (1,234) HiGHS's own layout reached distance 1,440.2 in the stage's 28.8 s
# against 1,509.7 from the greedy start (yrd-cities: 459.3 against 463.0), but on 41x30x4 (4,905)
# HiGHS found no layout within 40 s without it.  Where the greedy gets stuck, construct's layout
# is offered whatever the size (HiGHS may then find none either).
TERM_START_MIN_BINARIES = 2500

# solve builds with the co-located quota rows (model/colocation.py, C16; valid, same optimum) where
# HiGHS stays in its root: models with more than CONCURRENT_LNS_MIN_COLUMNS columns that can be
# nonzero (live_columns), as the generated 41x10x3 and 41x30x4.  There they lift its bound
# (benchmarks/city_scale.py --configs default no-colocated, one thread, load 4-7: 41x30x4 at 120 s
# bound 32,694 against 31,718, gap 7.41 % against 9.90 %, 6.44 % with the rows in the
# fix-and-optimize sub-MILPs too (lns.SearchLns._neighbourhood); 41x10x3 1.93 % against 2.29 %).  Not
# below: on yrd-cities (6,576 live columns), which HiGHS proves by tree search, the 630 rows slow
# its node LPs (60 s of HiGHS: 447 nodes against 1,379, bound 3,566 against 3,591;
# benchmarks/city_relaxations.py --cases x1 --configs colocated default).  The analyses that read
# quota duals (prices, explain) build their own models, without them.
SOLVE_BUILD = BuildOptions(colocated_quota=True)



def solve(
    instance: Instance | str | Path | dict | None = None,
    *,
    time_limit: float | None = None,
    gap: float = 1e-4,
    threads: int | None = None,
    seed: int = 0,
    log_file: str | None = None,
    options: SolverOptions | None = None,
    build_options: BuildOptions | None = None,
    start: np.ndarray | None = None,
    greedy_start: bool = True,
    improve_s: float = 0.0,
    search_lns: float | None = None,
    kernel_search: float | None = None,
    concurrent_lns: bool | None = None,
    mps_path: str | Path | None = None,
    out: str | Path | None = None,
    check: bool = True,
    polish: bool = True,
    raise_on_infeasible: bool = True,
    progress: ProgressHook | None = None,
    stop: StopFlag | None = None,
    deadline: Deadline | None = None,
) -> Solution:
    """Build, solve and check a layout.

    Without a ``start``, a greedy layout (:mod:`yrdopt.heuristic`) is offered as a MIP
    start (where the greedy gets stuck, :func:`yrdopt.lns.construct`'s, within
    :data:`CONSTRUCT_S` and a quarter of the time limit); with ``improve_s`` > 0 the start
    comes from up to that many seconds (at most half the ``time_limit``) of
    :func:`yrdopt.lns.improved_start` instead: the greedy or, where it gets stuck, a packing
    sub-MILP, then chain-group fix-and-optimize.  With ``search_lns`` > 0, that share of
    HiGHS's search goes to fix-and-optimize from HiGHS's incumbent between its callbacks
    (:class:`yrdopt.lns.SearchLns`; better layouts go back through the user-solution
    callback); None (the default): :data:`SEARCH_LNS_SHARE` on models above
    :data:`SEARCH_LNS_MIN_BINARIES` binaries, 0 below.  With ``kernel_search`` > 0, that share
    of the time left improves the start by kernel search from the LP relaxation's layout
    (:mod:`yrdopt.kernel_search`); None (the default): :data:`KERNEL_SEARCH_SHARE` on the same
    models when at least :data:`KERNEL_SEARCH_MIN_S` are left, 0 otherwise.  With ``concurrent_lns``
    the fix-and-optimize runs in a thread beside HiGHS (then on one thread) instead of inside its
    callbacks (:class:`yrdopt.lns.ConcurrentLns`); None (the default): in place of the search LNS's
    default where a second core is free (:func:`search`).  Time spent on the start is taken from
    ``time_limit``; ``stop`` ends it as it ends the search.  With
    ``polish`` the layout's continuous part is re-solved as the fixed-placement LP
    (tighter tolerances than the MIP's; see :mod:`yrdopt.model.fixed`).  Raises
    :class:`InfeasibleError` (with a planner-level explanation) when no layout exists, and
    :class:`SolverError` when the solver stops without any layout.  Before building, the
    instant totals check (:func:`yrdopt.analysis.diagnose.check_totals`) raises
    :class:`InfeasibleError` where demand and quota totals alone prove there is no layout.

    Without ``build_options``, a model whose LPs are as large as the generated city-scale ones
    carries the co-located quota rows (:data:`SOLVE_BUILD`).

    ``progress(elapsed_s, best_objective, bound, gap)`` is called as each phase begins (building,
    the start, kernel search, the relaxation's bound, HiGHS, polish, check), on each better
    layout and bound found before HiGHS, and a few times a second while HiGHS searches; a hook
    that takes a ``phase`` keyword is also told the phase's name (:mod:`yrdopt.progress`).
    Setting ``stop`` (a :class:`threading.Event`) ends the search early with the best layout
    found so far (status ``interrupted``), which is polished and checked as usual.  Ctrl-C
    (KeyboardInterrupt) in the main thread sets that flag (the solve runs in a worker thread:
    :func:`yrdopt.stopping.stoppable`; before, a Ctrl-C heard inside HiGHS's callback made HiGHS
    return "error" and the layout found was lost), waits for the solve to end and raises
    :class:`yrdopt.stopping.Interrupted` (a KeyboardInterrupt) whose ``result`` is that
    Solution, written to ``out`` already; stopped before any layout, its cause is the SolverError.

    The time limit covers the whole call (or, with ``deadline``, counts from its start: the CLI
    counts from the process start): HiGHS gets what is left after reading, building and the
    start, minus what the polish, check and writing need (:mod:`yrdopt.deadline`).

    An instance with milestone periods is one MILP over all of them
    (:func:`yrdopt.phasing.solve_phased`): ``start`` is then a start of that model (a phased
    Solution's ``x``), ``greedy_start`` the period-by-period (myopic) plan it otherwise starts
    from, and ``polish`` its LP with every integer column fixed; ``improve_s``, ``search_lns``,
    ``kernel_search`` and ``concurrent_lns`` work on one period's model and are refused there
    (:class:`InstanceError`, :data:`ONE_PERIOD_SEARCH`) rather than ignored.
    """
    refuse_bad_hooks(progress=progress, stop=stop)
    given = dict(locals())

    def run(flag):
        return _solve(**{**given, "stop": flag})

    # after a second Ctrl-C the abandoned solve writes nothing (yrdopt.outdir), as the CLI quits
    return stoppable(run, stop, kept=lambda sol: kept_layout(sol, out), nothing=NOTHING_FOUND,
                     so_far=f"nothing written to {out}/" if out is not None else "")


NOTHING_FOUND = "stopped before any feasible layout was found; nothing written"

HOOKS_EXPECTED = {
    "progress": "a function called as progress(elapsed_s, best_objective, bound, gap), or None",
    "stop": "a threading.Event (anything with is_set()) that ends the search when set, or None",
}


def refuse_bad_hooks(**hooks) -> None:
    """A ``progress`` that cannot be called or a ``stop`` without ``is_set()``, said before
    anything is solved (before: a TypeError in the middle of the solve, an AttributeError)."""
    from .errors import InstanceError, Problem

    bad = [Problem("arguments", name, value, HOOKS_EXPECTED[name]) for name, value in hooks.items()
           if value is not None and not (callable(value) if name == "progress" else _answers_is_set(value))]
    if bad:
        raise InstanceError(bad)


def _answers_is_set(stop) -> bool:
    """``stop.is_set()`` answers, asked once here: the class threading.Event has an is_set too,
    which fails only when the solve first asks it (review 18: 0.3 s into the solve)."""
    try:
        stop.is_set()
    except Exception:  # noqa: BLE001 - whatever it raises, the solve could not ask it
        return False
    return True


def kept_layout(sol: Solution, out) -> str:
    """What a solve stopped early kept, and where (one line)."""
    s = sol.summary
    if sol.x is None:
        return "no layout was found; nothing written"
    where = f"written to {out}/" if out is not None else "in the result"
    return (f"the best layout found before the interrupt (status {s['status']}; checker: "
            f"{'verified' if s.get('verified') else 'NOT verified'}) {where}")


def _solve(instance, *, time_limit, gap, threads, seed, log_file, options, build_options, start, greedy_start,
           improve_s, search_lns, kernel_search, concurrent_lns, mps_path, out, check, polish, raise_on_infeasible,
           progress, stop, deadline) -> Solution:
    """:func:`solve` in the thread that runs it (``stop`` always a flag)."""
    t_start = time.perf_counter()
    if out is not None:  # found before solving, not after
        from .outdir import check_outputs
        from .solution import out_problems

        check_outputs(out_problems(out, inputs=[instance] if isinstance(instance, (str, Path)) else []))
    if options is None and time_limit is not None and time_limit_problem(time_limit):
        from .errors import InstanceError, Problem

        raise InstanceError([Problem("solver options", "time_limit", time_limit, TIME_LIMIT_EXPECTED)])
    options = options or SolverOptions(time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed, log_file=log_file)
    deadline = deadline or Deadline(options.time_limit, t_start)
    inst = load_instance(instance)
    if concurrent_lns and (inst.periods is not None or inst.brownfield is not None):
        from .errors import InstanceError, Problem

        what = "milestone periods (one MILP over all of them)" if inst.periods is not None else \
            "today's sites (brownfield): its sub-MILPs cannot keep them"
        raise InstanceError([Problem("solver options", "concurrent_lns", True,
                                     f"off for an instance with {what}; drop --concurrent-lns")])
    if inst.periods is not None:  # milestone periods: one MILP over all of them (yrdopt.phasing)
        from .phasing import solve_phased

        refuse_one_period_search(improve_s=improve_s, search_lns=search_lns, kernel_search=kernel_search)
        return solve_phased(inst if not isinstance(instance, (str, Path)) else instance, options=options,
                            build_options=build_options, out=out, check=check, deadline=deadline,
                            progress=progress, stop=stop, mps_path=mps_path, polish=polish,
                            start=start if start is not None else "myopic" if greedy_start else "none")
    if raise_on_infeasible:  # an instance the totals alone prove infeasible stops here, explained, in milliseconds
        from .analysis.diagnose import check_totals

        check_totals(inst)
    phases = Phases(progress, t_start)
    phases.enter(BUILD)
    t0 = time.perf_counter()
    cm = search_model(inst, build_options)
    build_s = time.perf_counter() - t0
    solver = HighsSolver(options, progress=progress, stop=stop)
    solver.load(cm)
    if mps_path is not None:
        solver.write_mps(mps_path)
    res = search(solver, cm, deadline, start=start, greedy_start=greedy_start, improve_s=improve_s,
                 search_lns=search_lns, kernel_search=kernel_search, concurrent_lns=concurrent_lns, phases=phases)
    if res.has_solution and polish:
        phases.enter(POLISH, best=res.objective, bound=res.bound)
        res = lp_polish(cm, res, time_limit=deadline.left())
    if not res.has_solution:
        if res.status in ("infeasible", "infeasible_or_unbounded") and raise_on_infeasible:
            from .analysis.diagnose import diagnosis_deadline, explain_infeasibility

            phases.enter(DIAGNOSE)  # the bar says what the next seconds are for (not "HiGHS")
            raise InfeasibleError(*explain_infeasibility(inst, deadline=diagnosis_deadline(deadline.left(), stop)))
        if raise_on_infeasible:
            proved = f"; no layout costs less than {res.bound:.6g}" if res.bound is not None else ""
            if stop.is_set():
                raise SolverError(f"{NOTHING_FOUND}{proved}")
            raise SolverError(f"{res.message} (HiGHS: {res.highs_status}){proved}")
    if check and res.x is not None:
        phases.enter(CHECK, best=res.objective, bound=res.bound)
    sol = solution_from_result(inst, cm, res, build_s=build_s, check=check, t_start=t_start)
    if isinstance(instance, (str, Path)):
        sol.summary["instance"]["file"] = str(instance)
    if out is not None:
        sol.write(out)
    return sol


# why the city-scale machinery of one period's MILP has no counterpart over milestone periods
ONE_PERIOD_SEARCH = {
    "improve_s": "its improved start (greedy, packing sub-MILP, chain-group fix-and-optimize) is built for one "
                 "period's model; the plan over all periods starts from the period-by-period (myopic) plan",
    "search_lns": "its fix-and-optimize sub-MILPs know one period's rows only, not the links between periods",
    "kernel_search": "it improves a start from one period's LP relaxation, not the model over all periods",
}


def refuse_one_period_search(**given: float | None) -> None:
    """Raise :class:`InstanceError` naming each of ``given`` (``improve_s``, ``search_lns``,
    ``kernel_search``) set above 0 for an instance with milestone periods (:data:`ONE_PERIOD_SEARCH`
    says why); 0 or None (off, or the default) pass."""
    from .errors import InstanceError, Problem

    problems = [Problem("solver options", name, value, f"0 or unset for an instance with milestone periods: "
                        f"{ONE_PERIOD_SEARCH[name]}") for name, value in given.items() if value]
    if problems:
        raise InstanceError(problems)


def search(solver: HighsSolver, cm: CompiledModel, deadline: Deadline, *, start: np.ndarray | None = None,
           greedy_start: bool = True, greedy_min_binaries: int = 0, improve_s: float = 0.0,
           search_lns: float | None = None, kernel_search: float | None = None,
           concurrent_lns: bool | None = None, bound_without_flows: bool = True,
           phases: Phases | None = None) -> SolveResult:
    """One MIP search on ``solver`` (``cm`` loaded, perhaps with rows or an objective of the
    caller's added) within ``deadline``, with the city-scale machinery of :func:`solve`.

    * Without ``start`` and with ``greedy_start``: the greedy layout or, where it gets stuck,
      :func:`yrdopt.lns.construct`'s (:func:`construct_seconds`, taken from the deadline); only
      where any layout of ``cm`` is feasible for the solver's model (``cm``'s own rows).  The
      greedy layout only on models above ``greedy_min_binaries`` binaries (a MIP that minimises
      something else may do better without it: :data:`TERM_START_MIN_BINARIES`).
    * ``kernel_search`` (None: :data:`KERNEL_SEARCH_SHARE` on the same models with at least
      :data:`KERNEL_SEARCH_MIN_S` left): the start improved by kernel search; only where the
      solver minimises ``cm``'s own objective over its own rows (as ``search_lns``).
    * ``search_lns`` (None: :data:`SEARCH_LNS_SHARE` above :data:`SEARCH_LNS_MIN_BINARIES`
      binaries): fix-and-optimize during the search; only where the solver minimises ``cm``'s
      own objective over its own rows (its sub-MILPs know no others).
    * ``concurrent_lns`` (None: in place of ``search_lns``'s default, or on models with more than
      :data:`CONCURRENT_LNS_MIN_COLUMNS` columns that can be nonzero, with HiGHS on one thread and
      at least two cores; True needs threads 1 or unset): the same fix-and-optimize in a thread beside HiGHS
      (:class:`yrdopt.lns.ConcurrentLns`) instead of inside its callbacks; its better layouts go
      to HiGHS at its next callback, and its best is the result's layout when HiGHS ends with a
      dearer one (``solver["concurrent_lns"]``).
    * HiGHS gets what is left less the reserve for polish and check, probing off and
      :data:`yrdopt.deadline.ROOT_SOON` on large models (:mod:`yrdopt.deadline`).
    * ``bound_without_flows``: the relaxation's bound (:func:`relaxed_bound_seconds`) where it
      bounds the solver's objective (``cm``'s cost; extra rows only restrict).

    Each phase is reported through the solver's progress hook (:class:`yrdopt.progress.Phases`;
    ``phases``: the caller's, counting from its start), with the cost of each layout found
    where the solver's model is ``cm``'s own (its rows, and its objective: ``bound_without_flows``).
    The solver's options, primal helper and progress hook are restored afterwards (a persistent solver goes on).
    The result's ``solver["start"]`` says where the MIP start came from (``given``, ``greedy``,
    ``constructed``, ``improved``) or None.
    """
    from .lns import layout_cost

    kept_options, kept_primal, kept_progress = solver.options, solver.primal, solver.progress
    if concurrent_lns and kept_options.threads not in (None, 1):
        from .errors import InstanceError, Problem

        raise InstanceError([Problem("solver options", "threads", kept_options.threads,
                                     "1 or unset with concurrent_lns: HiGHS then runs on one thread and the "
                                     "fix-and-optimize thread on another core (more HiGHS threads would compete "
                                     "with it; that combination is not measured)")])
    stop = solver.stop
    binaries = int(cm.integrality.sum())
    phases = phases or Phases(kept_progress, deadline.started)
    # a layout's cost under cm is the solver's objective only on cm's own model
    own_model = bound_without_flows and solver.h.getNumRow() == cm.n_rows and solver.h.getNumCol() == cm.n_cols
    costed = (lambda x: layout_cost(cm, x)) if own_model else (lambda x: None)
    if concurrent_lns is None:  # in place of the search LNS's default, where a core is free for it
        concurrent_lns = (search_lns is None and kept_options.threads in (None, 1)
                          and (binaries > SEARCH_LNS_MIN_BINARIES or live_columns(cm) > CONCURRENT_LNS_MIN_COLUMNS)
                          and usable_cores() >= 2)
    # its sub-MILPs know cm's rows only: never on a model a caller added rows or columns to
    concurrent_lns = bool(concurrent_lns) and solver.h.getNumRow() == cm.n_rows and solver.h.getNumCol() == cm.n_cols
    if search_lns is None:
        search_lns = SEARCH_LNS_SHARE if binaries > SEARCH_LNS_MIN_BINARIES else 0.0
    try:
        options, concurrent = kept_options, None
        if search_lns > 0 or concurrent_lns:
            from .lns import ConcurrentLns, SearchLns, applies

            if applies(cm.data) and concurrent_lns:
                options = replace(kept_options, threads=1)  # HiGHS on one core, the thread on the other
                solver.apply_options(options)
                solver.primal = concurrent = ConcurrentLns(cm, threads=1, seed=kept_options.seed)
            elif applies(cm.data):
                solver.primal = SearchLns(cm, share=search_lns, threads=kept_options.threads, seed=kept_options.seed)
        start_from = "given" if start is not None else None
        if start is None and greedy_start:
            start, start_from = _primal_start(cm, deadline.left(), improve_s, stop, greedy_min_binaries,
                                              phases, costed)
        kernel = None
        if start is not None:
            start, kernel = _kernel_start(cm, start, deadline.left(), kernel_search, options, stop, phases)
            phases.layout(costed(start))  # what HiGHS starts from (a better layout is reported as found)
        highs_limit, highs = highs_options_for(deadline.left(), cm.n_cols, binaries, kept_options.highs)
        highs = root_options_for(binaries, start is not None, highs)
        if highs_limit is not None or highs != kept_options.highs:
            solver.apply_options(replace(options, highs=highs,
                                         time_limit=highs_limit if highs_limit is not None else kept_options.time_limit))
        if not bound_without_flows:
            relaxed = None
        elif kernel is not None and kernel.lp_value is not None:  # its LP rounds gave the relaxation's bound
            relaxed = (kernel.lp_value, 0.0)
        else:
            relaxed = (_relaxed_bound(cm, deadline.left(), options.threads, stop, start, phases)
                       if highs_limit is not None else None)
        if relaxed is not None and relaxed[1] > 0:
            solver.apply_options(replace(solver.options, time_limit=max(highs_limit - relaxed[1], 0.05 * highs_limit)))
        if relaxed is not None:
            phases.bounded(relaxed[0])
        if concurrent is not None and start is not None:
            from .lns import fits

            if fits(cm, start):  # the thread starts from it before HiGHS reports its first layout
                concurrent.incumbent(start)
        phases.enter(HIGHS)
        if kept_progress is not None:
            solver.progress = phases.highs
        res = solver.solve(start)
        start_cost = costed(start) if start is not None else None
        if start_cost is not None:  # shown as the best layout: kept where HiGHS dropped it for a dearer one
            kept = _with_layout(cm, res, start, start_cost, margin=SAME)
            if kept is not None:
                res = replace(kept, solver={**kept.solver, "start_kept": True})
        if concurrent is not None:  # after the start: the thread holds the start until it improves on it
            res = _with_concurrent_layout(cm, res, concurrent)
        res.solver["start"] = start_from
        if kernel is not None:
            res.solver["kernel_search"] = kernel.summary()
        return _with_bound(res, relaxed[0]) if relaxed is not None else res
    finally:
        solver.primal, solver.progress = kept_primal, kept_progress
        if solver.options is not kept_options:
            solver.apply_options(kept_options)


def _primal_start(cm: CompiledModel, left: float | None, improve_s: float, stop: StopFlag | None = None,
                  greedy_min_binaries: int = 0, phases: Phases | None = None,
                  costed=lambda x: None) -> tuple[np.ndarray | None, str | None]:
    """(The MIP start (see :func:`solve`), where it came from); ``left``: seconds left of the
    time limit (the deadline then gives HiGHS what the start did not use); ``stop`` ends the
    sub-MILPs; the greedy layout is no start on models of ``greedy_min_binaries`` binaries or
    fewer (``construct``'s still is where the greedy gets stuck).  Each phase and the start's
    cost (``costed(x)``, None where unknown) are reported to ``phases``."""
    # the greedy takes ~10 ms; at 41+ regions HiGHS alone may find no layout within minutes
    from .heuristic import greedy_start
    from .lns import improved_start, start_where_greedy_is_stuck

    phases = phases or Phases()
    if improve_s > 0:
        phases.enter(IMPROVE)
        start, source = improved_start(cm, improve_s if left is None else min(improve_s, 0.5 * left), stop), "improved"
    else:
        phases.enter(GREEDY)
        start, source = greedy_start(cm), "greedy"
        if start is not None and int(cm.integrality.sum()) <= greedy_min_binaries:
            return None, None
        if start is None:  # quotas bite: pack the tightest segments first
            phases.enter(CONSTRUCT)
            start, source = start_where_greedy_is_stuck(cm, construct_seconds(left), stop), "constructed"
    if start is None:
        return None, None
    phases.layout(costed(start))
    return start, source


def _kernel_start(cm: CompiledModel, start: np.ndarray, left: float | None, share: float | None,
                  options: SolverOptions, stop: StopFlag | None, phases: Phases | None = None):
    """(``start``, or the better layout kernel search finds from it; the search's record or
    None) (see :func:`solve`); the search's layouts and LP bound are reported to ``phases``."""
    if share is None:
        big = int(cm.integrality.sum()) > SEARCH_LNS_MIN_BINARIES
        share = KERNEL_SEARCH_SHARE if big and left is not None and left >= KERNEL_SEARCH_MIN_S else 0.0
    if not 0 <= share < 1:
        raise ValueError(f"kernel_search: {share!r} is not a share of the time limit in [0, 1)")
    if share == 0 or left is None or cm.options.elastic:
        return start, None
    from .kernel_search import kernel_search

    phases = phases or Phases()
    phases.enter(KERNEL)
    # its layouts are kept, and reported, only where they meet every row (lns.fits, as sweeps
    # check their starts): HiGHS drops a start it finds infeasible, and the progress shown must
    # be a layout the solve keeps
    found = kernel_search(cm, start, share * left, threads=options.threads, seed=options.seed, stop=stop,
                          report=phases)
    return (found.x if found.x is not None else start), found


# models above this many binaries get a bound from the relaxation without flows
# (model/logistics_bound.py) before HiGHS: their root LP may take longer than a short limit
# (41x30x4: 10-25 s with HiGHS's set-up; the relaxation's LP with its Benders cuts: 2-5 s).
# Under a short limit (below RELAXED_BOUND_LONG_S left) it gets half of what is left, at most
# RELAXED_BOUND_MAX_S: HiGHS would not reach its own root bound anyway; under a long one only
# RELAXED_BOUND_S, since HiGHS's bound is then the better one (benchmarks/city_scale.py).
RELAXED_BOUND_S = 1.0
RELAXED_BOUND_MAX_S = 5.0
RELAXED_BOUND_LONG_S = 60.0


def relaxed_bound_seconds(left: float) -> float:
    """Seconds the relaxation without flows gets when ``left`` seconds are left."""
    if left < RELAXED_BOUND_LONG_S:
        return min(RELAXED_BOUND_MAX_S, 0.5 * left)
    return min(RELAXED_BOUND_S, 0.1 * left)


def _relaxed_bound(cm: CompiledModel, left: float | None, threads, stop,
                   start: np.ndarray | None = None, phases: Phases | None = None) -> tuple[float, float] | None:
    """(bound, seconds) from :func:`yrdopt.model.logistics_bound.relaxation_bound` (with the
    cuts at the start's activities) for a model above
    :data:`yrdopt.deadline.PROBING_MAX_BINARIES` binaries, within :func:`relaxed_bound_seconds`;
    None for smaller models."""
    from .deadline import PROBING_MAX_BINARIES
    from .model.logistics_bound import relaxation_bound

    if left is None or RELAXED_BOUND_S <= 0 or int(cm.integrality.sum()) <= PROBING_MAX_BINARIES or cm.data.L == 0:
        return None
    if phases is not None:
        phases.enter(RELAXATION)
    t0 = time.perf_counter()
    activity = cm.var("activity").take(start) if start is not None else None
    bound = relaxation_bound(cm.data, relaxed_bound_seconds(left), threads=threads, stop=stop,
                             options=cm.options, start=activity)
    return None if bound is None else (bound, time.perf_counter() - t0)


# statuses with a layout to replace, and what a layout turns those without one into
_LAYOUT_STATUS = {"optimal": "optimal", "unproven": "unproven", "time_limit_with_incumbent": "time_limit_with_incumbent",
                  "time_limit_no_incumbent": "time_limit_with_incumbent", "interrupted": "interrupted",
                  "stopped_with_incumbent": "stopped_with_incumbent", "stopped_no_incumbent": "stopped_with_incumbent"}


def _with_concurrent_layout(cm: CompiledModel, res: SolveResult, lns) -> SolveResult:
    """``res`` with the concurrent LNS's best layout where HiGHS ended with a dearer one (or none):
    the thread may find it after HiGHS's last callback.  The bound stays HiGHS's; the gap follows."""
    x, objective = lns.best()
    record = {"steps": lns.steps, "improved": lns.improved, "seconds": round(lns.used, 3), "layout": False}
    if lns.error is not None:
        record["error"] = f"{type(lns.error).__name__}: {lns.error}"
    out = _with_layout(cm, res, x, objective) if x is not None else None
    if out is None:
        return replace(res, solver={**res.solver, "concurrent_lns": record})
    return replace(out, solver={**out.solver, "concurrent_lns": {**record, "layout": True}})


def _with_layout(cm: CompiledModel, res: SolveResult, x: np.ndarray, objective: float,
                 margin: float = 1e-6) -> SolveResult | None:
    """``res`` with the layout ``x`` of cost ``objective`` where HiGHS ended with a layout dearer
    by more than ``margin`` (relative) or none, and ``x`` fits ``cm`` (HiGHS never checked it, or
    dropped it: its tolerance is absolute, :func:`yrdopt.lns.fits`'s relative; the polish and the
    checker check it again); None where ``res`` stands.  The bound stays HiGHS's; the gap follows."""
    from .lns import fits

    better = res.objective is None or objective < res.objective - margin * max(1.0, abs(res.objective))
    # a layout cheaper than HiGHS's bound misses a row by HiGHS's (absolute) tolerance though it
    # passes fits' (relative) one: HiGHS's own result stands
    below = res.bound is not None and objective < res.bound - 1e-6 * max(1.0, abs(res.bound))
    if not better or below or res.status not in _LAYOUT_STATUS or not fits(cm, x):
        return None
    status = _LAYOUT_STATUS[res.status]
    if res.status == "stopped_no_incumbent" and "interrupt" in (res.highs_status or "").lower():
        status = "interrupted"  # a stop (Ctrl-C) before HiGHS had a layout of its own
    gap = relative_gap(objective, res.bound) if res.bound is not None else None
    return replace(res, x=x.copy(), objective=objective, gap=gap, status=status,
                   row_value=None, row_dual=None, col_dual=None)


def usable_cores() -> int:
    """Cores this process may run on (its CPU affinity: a container or ``taskset`` may allow fewer
    than the machine has)."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):  # no affinity on this platform
        return os.cpu_count() or 1


def search_model(inst, build_options: BuildOptions | None = None) -> CompiledModel:
    """The model ``solve``, ``alternatives`` and the fronts search: ``build_options``' if given, else
    the default one, with the co-located quota rows where HiGHS stays in its root (more than
    :data:`CONCURRENT_LNS_MIN_COLUMNS` live columns; :data:`SOLVE_BUILD`)."""
    cm = build(inst, build_options)
    if build_options is None and live_columns(cm) > CONCURRENT_LNS_MIN_COLUMNS:
        cm = build(cm.data, SOLVE_BUILD)
    return cm


def live_columns(cm: CompiledModel) -> int:
    """Columns of ``cm`` that can be nonzero (a bound away from 0): the size of HiGHS's LPs once
    presolve has dropped the fixed ones (forbidden placements and the flows they shut)."""
    return int(np.count_nonzero((cm.col_upper > 0) | (cm.col_lower < 0)))


def _with_bound(res: SolveResult, bound: float) -> SolveResult:
    """``res`` with the better of HiGHS's bound and ``bound`` (both valid lower bounds).  Not where
    HiGHS ran with loosened tolerances: such a solve claims no bound at all (the claims check
    rejects one; solver.HighsSolver._result), so the relaxation's is left unsaid."""
    if (res.bound is not None and res.bound >= bound) or res.solver.get("loosened_tolerances"):
        return res
    solver = {**res.solver, "bound_from": "relaxation without flows (model/logistics_bound.py)",
              "highs_bound": res.bound}
    gap = relative_gap(res.objective, bound) if res.objective is not None else None
    return replace(res, bound=bound, gap=gap, solver=solver)


def solution_from_result(inst: Instance, cm: CompiledModel, res: SolveResult, *, build_s: float = 0.0,
                         check: bool = True, t_start: float | None = None, claims: dict | None = None) -> Solution:
    """Package a solver result: tables, the checker's verdict and summary.json contents.

    The status and gap follow from the objective the checker recomputes and the solver's
    bound ("optimal" only within the requested gap); ``claims`` (e.g. ``{"lexicographic": ...}``)
    join the summary before the checker re-derives every claim of it.
    """
    import pandas as pd

    from .solution import FLOW_COLUMNS, LAYOUT_COLUMNS

    if res.x is not None:
        layout, flows, expansions = tables_from_x(cm, res.x)
    else:
        layout = pd.DataFrame(columns=LAYOUT_COLUMNS)
        flows = pd.DataFrame(columns=FLOW_COLUMNS)
        expansions = pd.DataFrame(columns=["region", "option", "taken", "fixed_cost"])
    parks, park_activity = park_tables_from_x(cm, res.x)
    report: CheckReport | None = None
    check_s = 0.0
    if check and res.x is not None:
        t0 = time.perf_counter()
        report = check_layout(inst, layout, flows, expansions, parks=parks, park_activity=park_activity)
        check_s = time.perf_counter() - t0
    components = cm.components(res.x) if res.x is not None else {}
    matches = bool(report and res.objective is not None and objective_matches(res.objective, report.objective))
    requested = res.solver.get("gap_requested")
    status, gap = res.status, res.gap
    if report is not None and requested and bool(cm.integrality.any()):
        status = derived_status(status, report.objective, res.bound, requested["relative"], requested["absolute"])
        gap = relative_gap(report.objective, res.bound) if res.bound is not None else None
    summary = {
        "status": status,
        "status_text": status_words(status, res.solver, gap),
        "objective": res.objective,
        "bound": res.bound,
        "gap": gap,
        "gap_requested": requested,
        "components": components,
        "components_raw": cm.raw_components(res.x) if res.x is not None else {},
        "weights": dict(cm.data.weights),
        "verified": False,
        "max_violation": report.max_violation if report else None,
        "check": None,
        "sites": (report.sites if report else
                  int((layout["sited"] & (layout["activity"] > 0)).sum()) if len(layout) else 0),
        "duplicated_segments": report.duplicated_segments if report else None,
        # counted apart: hosting sites with under 1 % of their segment (checker.TOKEN_SHARE), and the
        # segments duplicated by sites of at least 1 % each (both also in the two counts above)
        "token_sites": report.token_sites if report else None,
        "duplicated_segments_without_token": report.duplicated_segments_without_token if report else None,
        "timings": {
            "build_s": build_s,
            "handoff_s": res.handoff_s,
            "solve_s": res.solve_s,
            "check_s": check_s,
            "total_s": (time.perf_counter() - t_start) if t_start is not None else build_s + res.handoff_s + res.solve_s + check_s,
        },
        "solver": res.solver,
        "model": {"variables": cm.n_cols, "rows": cm.n_rows, "nonzeros": int(cm.A.nnz),
                  "binaries": int(cm.integrality.sum()), "options": cm.options.__dict__},
        "instance": {"name": inst.name, "hash": content_hash(inst)},
        **(claims or {}),
        "warnings": instance_warnings(inst),
    }
    benefits = None
    if res.x is not None:
        from .analysis.benefits import benefit_table, benefit_warnings

        benefits = benefit_table(inst, layout, park_activity)
        summary["benefit_warnings"] = benefit_warnings(benefits)
    if report is not None:
        report.add_claims(summary)
        summary["verified"] = bool(report.verified and matches)
        summary["built"] = report.built  # what the term `expansion` paid for: parks too (not in expansions.csv)
        summary["check"] = {"objective": report.objective, "components": report.components,
                            "n_violations": report.n_violations, "objective_matches_solver": matches,
                            "false_claims": [str(c) for c in report.false_claims]}
        summary.update(status_as_checked(summary))
    transition = None
    if cm.data.brownfield is not None and res.x is not None:
        from .model.transitions import transition_table

        transition = transition_table(cm.data, cm.var("place").take(res.x) > 0.5, cm.var("activity").take(res.x))
        summary["transition"] = transition_summary(transition)
    return Solution(instance=inst, layout=layout, flows=flows, expansions=expansions,
                    summary=summary, check=report, x=res.x, parks=parks, park_activity=park_activity,
                    benefits=benefits, transition=transition)


def transition_summary(transition) -> dict:
    """Counts of kept/grown/shrunk/closed/opened sites, activity moved and costs of change;
    ``activity_before`` is the activity before the change (today's; a plan's period: the period
    before's), what ``moved_share`` is a share of."""
    from .site_change import kept_changes, transition_counts

    return {**transition_counts(transition),
            "opening_cost": float(transition["opening_cost"].sum()),
            "closing_cost": float(transition["closing_cost"].sum()),
            "shrink_cost": float(transition["shrink_cost"].sum()),
            # what the objective's term `change` counts (opening is its fixed cost, counted there once)
            "cost_of_change": float(transition["closing_cost"].sum() + transition["shrink_cost"].sum()),
            # kept sites' small changes: in the cost of change and the moved share, in no list of sites
            "kept_changes": kept_changes(transition)}


def check(instance: Instance | str | Path, solution_dir: str | Path) -> CheckReport:
    """Re-check a written layout against an instance (see :mod:`yrdopt.checker`); refused
    (InstanceError) when the directory's summary.json names another instance, as explain does."""
    from .analysis.explain import same_instance_layout
    from .checker import check_dir

    inst = load_instance(instance)
    same_instance_layout(inst, solution_dir)
    return check_dir(inst, solution_dir)

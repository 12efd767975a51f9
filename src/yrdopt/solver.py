"""A thin adapter around HiGHS (highspy): one ``passModel``, clear status words, timings.

A :class:`HighsSolver` keeps one persistent ``Highs`` object, so sweeps can change costs
and bounds in place and re-solve from the previous layout (MIP start).

highspy 1.15 notes: ``getOptionValue`` returns ``(status, value)``; ``getRunTime``
accumulates across runs, so times here are measured with ``perf_counter`` around each
call; ``threads`` is fixed per process by HiGHS's global scheduler, so a solve that asks
for a different count resets it (``_ensure_scheduler``).
"""

from __future__ import annotations

import functools
import math
import os
import re
import threading
import time
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Callable, Literal, Protocol

import highspy
import numpy as np

from .claims import CLAIM_TOL, DEFAULT_TOLERANCES, loosened_tolerances, loosened_words, proven_optimal, relative_gap
from .model.compiled import CompiledModel

Status = Literal[
    "optimal",
    "time_limit_with_incumbent",
    "time_limit_no_incumbent",
    "infeasible",
    "unbounded",
    "infeasible_or_unbounded",
    "stopped_with_incumbent",
    "stopped_no_incumbent",
    "interrupted",
    "unproven",
    "not_verified",
    "unchecked",
    "error",
]

STATUS_TEXT = {
    "optimal": "optimal: the layout is proven best within the gap tolerance",
    # its gap (or why there is none) is added by status_words: said only where a valid bound gives one
    "time_limit_with_incumbent": "stopped at the time limit with a feasible layout",
    "time_limit_no_incumbent": "stopped at the time limit before any feasible layout was found",
    "infeasible": "infeasible: no layout satisfies every limit",
    "unbounded": "unbounded: the objective can decrease without limit (a negative cost without a cap?)",
    "infeasible_or_unbounded": "infeasible or unbounded (HiGHS could not tell which)",
    "stopped_with_incumbent": "stopped at an iteration, solution or objective limit (or HiGHS's objective_target) "
                              "with a feasible layout",
    "stopped_no_incumbent": "stopped at an iteration, solution or objective limit before any feasible layout",
    "interrupted": "interrupted by the user",
    # why no bound proves it (a gap above the requested one, no bound, loosened tolerances) is added by status_words
    "unproven": "a feasible layout, not proven best: HiGHS reported optimal, but no valid bound proves it",
    "not_verified": "rejected by the independent checker: the layout breaks a limit (or its summary a claim) "
                    "beyond the checker's tolerance, so it is neither proven best nor known to be feasible",
    "unchecked": "not checked: the independent checker was off (a sweep's check: false), so the layout is "
                 "HiGHS's alone, within HiGHS's tolerances, neither verified feasible nor proven best",
    "error": "the solver reported an error",
    # a lexicographic stage (yrdopt pareto / lexicographic) lost the layout handed on to HiGHS's
    # tolerances: the walk keeps the layout before it (analysis.fronts._Lex.solve)
    "optimal_previous_stage": "a later stage lost the layout handed on to HiGHS's tolerances: the previous "
                              "stage's layout is kept, the terms after it not minimised, so it is not proven best",
}

HAS_SOLUTION = {"optimal", "time_limit_with_incumbent", "stopped_with_incumbent", "interrupted", "unproven",
                "not_verified", "unchecked"}


def status_words(status: str, solver: dict | None = None, gap: float | None = None) -> str:
    """``status`` in words (:data:`STATUS_TEXT`), saying only what is reported: for a layout stopped
    at the time limit or not proven best, its ``gap`` (the one reported, from its objective and a
    valid bound) or why there is none; for a layout HiGHS found with loosened tolerances (``solver``:
    a result's ``solver`` facts) that its bound is no proof, and no gap.  Before, a layout stopped at
    the time limit said "(gap reported)" where no gap was (no bound yet, or loosened tolerances)."""
    solver = solver or {}
    text = STATUS_TEXT[status]
    loosened = solver.get("loosened_tolerances")
    said = solver.get("no_layout_at_loosened_tolerances")
    if loosened and said and status not in HAS_SOLUTION:
        why = ("the search was stopped" if solver.get("not_solved_again") == "stopped"
               else "no time was left")
        return (f"no layout found, none proven to exist or not: HiGHS said {said!r} with loosened tolerances "
                f"({loosened_words(loosened)}), no proof for the real problem, and {why} to solve it again at "
                "HiGHS's defaults")
    if loosened and status in HAS_SOLUTION:
        b = solver.get("bound_at_loosened_tolerances")
        return text + (f"; HiGHS ran with loosened tolerances ({loosened_words(loosened)}): its bound"
                       + (f" {b:,.8g}" if b is not None else "") + " is one of the loosened problem, not a proof, "
                       "so no gap is reported")
    if status == "time_limit_with_incumbent":
        text += f" (relative gap {gap:.3g} to a proven bound)" if gap is not None else " (no proven bound yet, so no gap)"
    elif status == "unproven":
        text += (f": the relative gap from the layout's own objective to the bound, {gap:.3g}, exceeds the requested one"
                 if gap is not None else ": HiGHS gave no finite bound")
    return text


def summary_status(summary: dict, objective: float | None = None, verified: bool | None = None) -> str:
    """The status a written summary may claim today (:func:`summary_status_words` says it in words):
    "not_verified" for a layout the checker rejected, "unproven" for "optimal" from a bound at loosened
    tolerances or beyond the requested gap of ``objective`` (the checker's where given), else as written.
    The workbench's list decides from it whether to add the gap (a stored "optimal" may be neither)."""
    status = summary.get("status")
    if status not in STATUS_TEXT:
        return status
    if status == "not_verified" or (status in HAS_SOLUTION and status != "unchecked"
                                    and False in (verified, summary.get("verified"))):
        return "not_verified"
    facts = summary.get("solver") if isinstance(summary.get("solver"), dict) else {}
    from .claims import summary_loosened_tolerances

    if (facts.get("loosened_tolerances") or summary_loosened_tolerances(summary)) and status in HAS_SOLUTION:
        return "unproven" if status == "optimal" else status
    number = lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None  # noqa: E731
    requested = summary.get("gap_requested") if isinstance(summary.get("gap_requested"), dict) else {}
    rel, ab = number(requested.get("relative")), number(requested.get("absolute"))
    if status == "optimal" and rel is not None and ab is not None:
        return derived_status(status, number(objective if objective is not None else summary.get("objective")),
                              number(summary.get("bound")), rel, ab)
    return status


def summary_status_words(summary: dict, objective: float | None = None, verified: bool | None = None) -> str:
    """A written summary's status in the words ``yrdopt solve`` writes for it today (its ``status_text``,
    :func:`status_words`), re-derived from the summary's status, objective, bound, requested gap and
    tolerances, never from the words stored (a summary written by an older version said "(gap reported)"
    without a gap, or "optimal" beyond the requested gap) nor from HiGHS's word:

    * a layout the checker rejected (``status`` "not_verified"; ``verified`` false, here or as the
      summary says: an older summary kept "optimal") claims nothing: its text and what the solve said;
    * a bound HiGHS proved with loosened tolerances proves nothing: "optimal" is "unproven", no gap;
    * "optimal" holds only with the bound within the requested gap (:func:`derived_status`) of the
      layout's ``objective`` (the one the checker recomputed where given); the gap is said with it, and
      with every status whose layout has a valid bound (a time limit's and "unproven"'s in their words).

    A status that is no solve's (the workbench's "baseline", today's layout evaluated) keeps the words
    written with it; one this version does not know at all is said as written, marked so."""
    written = summary.get("status")
    if written not in STATUS_TEXT:
        text = summary.get("status_text")
        return text if isinstance(text, str) and text else f"{written} (a status this version of yrdopt does not know)"
    status = summary_status(summary, objective, verified)
    if status == "not_verified":
        return f"{STATUS_TEXT['not_verified']} (the solve alone said {summary.get('status_before_check') or written})"
    facts = summary.get("solver") if isinstance(summary.get("solver"), dict) else {}
    number = lambda v: v if isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v) else None  # noqa: E731
    bound = number(summary.get("bound"))
    objective = number(objective if objective is not None else summary.get("objective"))
    from .claims import summary_loosened_tolerances

    loosened = facts.get("loosened_tolerances") or summary_loosened_tolerances(summary)
    if loosened and written in HAS_SOLUTION:
        held = {"loosened_tolerances": loosened,
                "bound_at_loosened_tolerances": facts.get("bound_at_loosened_tolerances", bound)}
        return status_words(status, held)
    gap = (relative_gap(objective, bound) if objective is not None and bound is not None
           else number(summary.get("gap")))
    text = status_words(status, facts, gap)
    if gap is not None and status in HAS_SOLUTION and status not in ("time_limit_with_incumbent", "unproven", "unchecked"):
        # below 1e-9: round-off of objective and bound ("1.14e-14" read as a figure)
        text += f" (relative gap {0 if abs(gap) < 1e-9 else gap:.3g} to a proven bound)"
    return text


def derived_status(status: str, objective: float | None, bound: float | None, rel_gap: float,
                   abs_gap: float) -> str:
    """The status a layout may claim: "optimal" only if its own objective and the bound prove it."""
    if status == "optimal" and not proven_optimal(objective, bound, rel_gap, abs_gap):
        return "unproven"
    return status


def checked_status(status: str, verified: bool) -> str:
    """The status a layout the independent checker has judged may claim: a layout it rejects
    claims nothing ("not_verified"), whatever HiGHS said (HiGHS accepts rows within its own
    tolerances, which a user may loosen; the checker's are fixed).  Statuses without a layout
    pass unchanged."""
    return "not_verified" if status in HAS_SOLUTION and not verified else status


def counts_as_solved(status: str) -> bool:
    """Whether a layout with this status counts as a solved scenario (a sweep's ``ok``: its
    frequencies, tornado, robust layout and counts): it has a layout and the checker, where it
    judged it, did not reject it ("not_verified")."""
    return status in HAS_SOLUTION and status != "not_verified"


def status_as_checked(summary: dict) -> dict:
    """The fields of a checked ``summary`` (``status``, ``verified``) to change so its status claims
    no more than the checker confirmed: for a rejected layout ``status`` "not_verified", its text,
    and ``status_before_check`` (what the solve alone would have said); else nothing."""
    status = checked_status(summary["status"], bool(summary.get("verified")))
    if status == summary["status"]:
        return {}
    return {"status": status, "status_text": STATUS_TEXT[status], "status_before_check": summary["status"]}


# more threads than this only slow HiGHS down (the scheduler spins); 4 per core is generous
MAX_THREADS = 4 * (os.cpu_count() or 1)

# HiGHS sizes one global task scheduler per process at its first parallel run; a later run
# asking for another thread count fails with model status "Not Set".  We remember the count
# the scheduler was made for and reset it when a solve asks for a different one.  Each
# calling thread keeps its own handle on the scheduler: after a reset from another thread
# (the CLI solves in a worker thread) a thread that ran before must reset again, or its next
# run fails the same way ("Not Set": a solve with threads=None, then the CLI's --threads 1,
# then threads=1 in the main thread).  ``generation`` counts the resets.
_scheduler_threads: int | None = None
_scheduler_generation = 0
_thread_generation = threading.local()


def _ensure_scheduler(threads: int | None) -> None:
    global _scheduler_threads, _scheduler_generation
    wanted = int(threads or 0)  # 0: HiGHS's own default
    seen = getattr(_thread_generation, "value", None)
    stale = seen is not None and seen != _scheduler_generation
    if _scheduler_threads is not None and (wanted != _scheduler_threads or stale):
        highspy.Highs.resetGlobalScheduler(True)
        _scheduler_generation += 1
    _scheduler_threads = wanted
    _thread_generation.value = _scheduler_generation


# HiGHS's sub-MIP primal heuristics, off in the re-solve profile (see SolverOptions.for_resolves)
RESOLVE_HIGHS = {"mip_heuristic_run_rins": False, "mip_heuristic_run_rens": False}
# the largest model (binary columns) a sweep solves with the re-solve profile by default.
# benchmarks/resolve_profile.py: 2.1-2.7x faster from 73 to 161 binaries (and 4.5x on the
# 301-binary yrd-outer), but at a 30 s limit 6-21 % worse layouts on generated models of 321 to
# 641 binaries, and 6 % worse on the 41-city instance that the defaults prove optimal in 27 s.
# 200 sits between the last measured win and the first loss on generated models.
RESOLVE_MAX_BINARIES = 200


# the one rule for a time limit a user gives, and its wording (CLI --time-limit, the workbench's
# "Time limit (s)", yrdopt.solve(time_limit=...), a sweep's solver.time_limit): 0 s would stop
# before any layout, a negative or infinite limit means nothing
TIME_LIMIT_EXPECTED = "a finite number of seconds > 0"


def time_limit_problem(value) -> str | None:
    """What is wrong with a user's time limit (None: nothing; no limit is given as None, not here)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or value <= 0:
        return TIME_LIMIT_EXPECTED
    return None


@dataclass
class SolverOptions:
    """Options exposed to users; their measured effect is in the README."""

    time_limit: float | None = None
    mip_gap: float = 1e-4
    threads: int | None = None
    seed: int = 0
    log_file: str | None = None
    presolve: Literal["choose", "on", "off"] = "choose"
    mip_heuristic_effort: float | None = None
    verbose: bool = False
    highs: dict = field(default_factory=dict)  # any other HiGHS option by its HiGHS name, applied last

    @classmethod
    def for_resolves(cls, **kwargs) -> "SolverOptions":
        """Options for many re-solves of a small model: presolve and its restarts off, RINS/RENS off.

        On a model that HiGHS proves optimal at or near the root, these are most of the
        time of a solve (4 provinces: 0.31-0.36 s -> 0.12-0.17 s, same optima; measured in
        ``benchmarks/resolve_profile.py``); on a hard model they are what finds the layouts,
        so :data:`RESOLVE_MAX_BINARIES` bounds where sweeps use this by default.
        """
        highs = {**RESOLVE_HIGHS, **kwargs.pop("highs", {})}
        return cls(**{"presolve": "off", **kwargs, "highs": highs})

    def problems(self) -> list[tuple[str, object, str]]:
        """(field, value, accepted range) of every option out of range; HiGHS would silently
        clamp or ignore most of them, and 1000 threads turn a 0.05 s solve into 4 s."""
        out = []

        def finite(v) -> bool:
            return isinstance(v, (int, float)) and not isinstance(v, bool) and math.isfinite(v)

        # 0 passes here only: yrdopt's own phases hand HiGHS 0 s when a deadline has passed; every
        # limit a user gives (CLI, workbench, yrdopt.solve) is checked by time_limit_problem first
        if self.time_limit is not None and self.time_limit != 0 and time_limit_problem(self.time_limit):
            out.append(("time_limit", self.time_limit, TIME_LIMIT_EXPECTED))
        if not (finite(self.mip_gap) and self.mip_gap >= 0):
            out.append(("mip_gap", self.mip_gap, "a finite relative gap >= 0 (1e-4 = 0.01 %)"))
        if self.mip_heuristic_effort is not None and not (finite(self.mip_heuristic_effort)
                                                          and 0 <= self.mip_heuristic_effort <= 1):
            out.append(("mip_heuristic_effort", self.mip_heuristic_effort, "a number in [0, 1]"))
        if self.threads is not None and not (isinstance(self.threads, int) and 1 <= self.threads <= MAX_THREADS):
            out.append(("threads", self.threads, f"an integer in 1..{MAX_THREADS} (4 per core of this machine)"))
        if not (isinstance(self.seed, int) and 0 <= self.seed <= 2**31 - 1):
            out.append(("seed", self.seed, f"an integer in 0..{2**31 - 1}"))
        if self.presolve not in ("choose", "on", "off"):
            out.append(("presolve", self.presolve, "choose, on or off"))
        return out

    def highs_options(self) -> dict:
        opts = {
            "mip_rel_gap": float(self.mip_gap),
            "random_seed": int(self.seed),
            "presolve": self.presolve,
            "output_flag": bool(self.verbose or self.log_file),
            "log_to_console": bool(self.verbose),
        }
        if self.time_limit is not None:
            opts["time_limit"] = float(self.time_limit)
        if self.threads is not None:
            opts["threads"] = int(self.threads)
        if self.log_file:
            opts["log_file"] = str(self.log_file)
        if self.mip_heuristic_effort is not None:
            opts["mip_heuristic_effort"] = float(self.mip_heuristic_effort)
        opts.update(self.highs)
        return opts

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class SolveResult:
    status: Status
    highs_status: str
    objective: float | None
    bound: float | None
    gap: float | None
    x: np.ndarray | None
    row_dual: np.ndarray | None = None
    col_dual: np.ndarray | None = None
    row_value: np.ndarray | None = None
    handoff_s: float = 0.0
    solve_s: float = 0.0
    nodes: int = 0
    solver: dict = field(default_factory=dict)

    @property
    def has_solution(self) -> bool:
        return self.x is not None

    @classmethod
    def no_time_left(cls) -> "SolveResult":
        """A solve not started: its time limit was spent before it began."""
        return cls("time_limit_no_incumbent", "not run: no time left", None, None, None, None)

    @property
    def message(self) -> str:
        if self.status == "stopped_no_incumbent" and "interrupt" in (self.highs_status or "").lower():
            # HiGHS maps a user's stop without a layout to the same status as an iteration limit
            return "stopped by the user (Ctrl-C or a stop signal) before any feasible layout was found"
        return status_words(self.status, self.solver, self.gap)


# HiGHS options that SolverOptions sets through its own fields: name -> what to use instead
OWNED_OPTIONS = {"threads": "set it with the 'threads' option", "time_limit": "set it with the 'time_limit' option",
                 "mip_rel_gap": "set it with the 'mip_gap' option", "random_seed": "set it with the 'seed' option",
                 "presolve": "set it with the 'presolve' option",
                 "mip_heuristic_effort": "set it with the 'mip_heuristic_effort' option",
                 "output_flag": "set it with the 'verbose' option", "log_to_console": "set it with the 'verbose' option",
                 "log_file": "set it with the 'log_file' option"}


# HiGHS options that change the problem HiGHS solves, not how it searches: refused, since what HiGHS
# then proves is of another problem.  objective_bound cuts every layout costing more from the search
# (HiGHS 1.16 says "Infeasible" of the embedded instance with 3000: "no layout satisfies every limit"
# of an instance whose optimum costs 3,215.40); small_matrix_value above its default drops every
# matrix entry below it; infinite_bound and infinite_cost below theirs turn finite limits and costs
# into infinite ones.  name -> (HiGHS's default, the direction that changes the problem, why)
# objective_target is not among them: it only ends the search at the first layout costing no more (status
# stopped_with_incumbent, HiGHS's bound still valid, so the gap stays a proven one)
MODEL_CHANGING_OPTIONS = {
    "objective_bound": (math.inf, "any", "it cuts every layout costing more from the search, so HiGHS may "
                        "call a feasible instance infeasible"),
    "small_matrix_value": (1e-9, "above", "it drops every constraint coefficient below it from the model"),
    "infinite_bound": (1e20, "below", "it turns every limit at or above it into no limit"),
    "infinite_cost": (1e20, "below", "it turns every cost at or above it into an infinite one"),
}


def _changes_the_problem(key: str, value: float) -> str | None:
    """Why ``key`` set to ``value`` (as HiGHS holds it) changes the problem, None where it does not."""
    if key not in MODEL_CHANGING_OPTIONS:
        return None
    default, direction, why = MODEL_CHANGING_OPTIONS[key]
    changed = {"any": value != default, "above": value > default, "below": value < default}[direction]
    return why if changed else None


def check_highs_options(options: dict, owned: dict[str, str] | None = None) -> None:
    """Raise ValueError naming every option HiGHS does not know, whose value it rejects, that
    changes the problem HiGHS solves (:data:`MODEL_CHANGING_OPTIONS`), or that has its own field
    (``owned``: name -> what to do instead; ``threads`` above all must go through its field: the
    adapter sizes HiGHS's scheduler from it)."""
    owned = OWNED_OPTIONS if owned is None else owned
    if not options:
        return
    h = new_highs()
    h.setOptionValue("output_flag", False)
    bad = []
    for key, value in options.items():
        status, current = h.getOptionValue(key)
        if key in owned:
            bad.append(f"{key!r}: {owned[key]}, not as a raw HiGHS option")
        elif status == highspy.HighsStatus.kError:
            bad.append(f"{key!r}: HiGHS has no option of that name")
        elif h.setOptionValue(key, value) == highspy.HighsStatus.kError:
            hint = (" (YAML reads on/off/yes/no as true/false: quote the word)"
                    if isinstance(value, bool) and isinstance(current, str) else "")
            bad.append(f"{key!r}: HiGHS rejects the value {value!r}; its current value is {current!r}{hint}")
        elif (why := _changes_the_problem(key, h.getOptionValue(key)[1])) is not None:
            bad.append(f"{key!r}: {value!r} is refused: {why}; what HiGHS proves would be of another problem "
                       f"(leave it at HiGHS's default {MODEL_CHANGING_OPTIONS[key][0]!r})")
    if bad:
        raise ValueError("; ".join(bad) + " (see https://ergo-code.github.io/HiGHS/stable/options/definitions/)")


_banner_shown = False
_banner_lock = threading.Lock()
# what HiGHS 1.16's constructor prints (the second line from 1.13 on)
_BANNER = re.compile(rb"Running HiGHS \d[^\n]*\n(Includes third-party software[^\n]*\n)?")


def new_highs() -> "highspy.Highs":
    """A ``Highs`` object, without the banner HiGHS prints on the first one of a process.

    HiGHS 1.16 prints "Running HiGHS ... Copyright" from its constructor, before any option
    can turn output off; only the first construction in a process prints it, so that one is
    made with the C-level stdout pointed at a temporary file.  That is the whole process's
    stdout, so what other threads print meanwhile lands there too (the workbench's address,
    printed while its first solve starts): all of it but the banner is written back to stdout
    afterwards.  The banner appears with the log when ``verbose`` or a log file is asked for
    (HiGHS writes it at the start of every logged run).
    """
    global _banner_shown
    if _banner_shown:
        return highspy.Highs()
    with _banner_lock:  # a second thread's first Highs waits: its constructor might print the banner
        if _banner_shown:
            return highspy.Highs()
        try:
            return _highs_without_banner()
        finally:
            _banner_shown = True


def _highs_without_banner() -> "highspy.Highs":
    import sys
    import tempfile

    try:
        sys.stdout.flush()
        fd = sys.__stdout__.fileno() if sys.__stdout__ is not None else 1
        saved = os.dup(fd)
    except (OSError, ValueError, AttributeError):  # no real stdout (embedded, closed): nothing to hide
        return highspy.Highs()
    try:
        try:
            held = tempfile.TemporaryFile()
        except OSError:  # no writable temporary directory: the banner shows, the solve goes on
            return highspy.Highs()
        with held:
            os.dup2(held.fileno(), fd)
            try:
                return highspy.Highs()
            finally:
                _flush_c_stdout()
                os.dup2(saved, fd)
                try:
                    held.seek(0)
                    rest = _BANNER.sub(b"", held.read(), count=1)
                    while rest:
                        rest = rest[os.write(fd, rest):]
                except OSError:  # stdout gone (a closed pipe): what others printed cannot be shown anyway
                    pass
    finally:
        os.close(saved)


def _flush_c_stdout() -> None:
    """Flush C's stdio buffer (HiGHS's printf) while stdout still points at /dev/null."""
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # no libc symbol lookup on this platform
        pass


def _check_representable(cm: CompiledModel) -> None:
    """Raise a user error naming the model block when a cost, matrix entry or bound is beyond
    what HiGHS accepts (the schema's ranges and product checks should make this unreachable;
    an in-place sweep change or a hand-built model may not have gone through them)."""
    from .errors import YrdoptError
    from .schema import MAX_COEFFICIENT

    def block_of(blocks: dict, i: int) -> str:
        return next((name for name, b in blocks.items() if b.start <= i < b.stop), "?")

    checks = (("cost", cm.cost, cm.var_blocks), ("matrix entry in column", None, cm.var_blocks),
              ("lower bound", cm.col_lower, cm.var_blocks), ("upper bound", cm.col_upper, cm.var_blocks),
              ("row lower bound", cm.row_lower, cm.row_blocks), ("row upper bound", cm.row_upper, cm.row_blocks))
    for what, arr, blocks in checks:
        if arr is None:  # matrix: locate the column of the largest entry
            data = np.abs(cm.A.data)
            if not len(data) or (np.isfinite(data).all() and data.max() <= MAX_COEFFICIENT):
                continue
            k = int(np.argmax(np.where(np.isfinite(data), data, np.inf)))
            i, value = int(np.searchsorted(cm.A.indptr, k, side="right") - 1), cm.A.data[k]
        else:
            finite = np.isfinite(arr)
            bad = np.isnan(arr) | (finite & (np.abs(arr) > (MAX_COEFFICIENT if what == "cost" else 1e19)))
            if what == "cost":
                bad |= ~finite
            if not bad.any():
                continue
            i = int(np.flatnonzero(bad)[0])
            value = arr[i]
        raise YrdoptError(f"the model has a {what} {value:.3g} in block {block_of(blocks, i)!r} (position {i}), beyond "
                          f"what the solver accepts ({MAX_COEFFICIENT:g}); rescale the instance's numbers")


@functools.cache
def highs_version() -> str:
    h = new_highs()
    return f"{h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


class StopFlag(Protocol):
    """What ``stop=`` accepts: a :class:`threading.Event` or anything with ``is_set()``."""

    def is_set(self) -> bool: ...


# progress(elapsed_s, best_objective, bound, gap); None where HiGHS has no value yet
ProgressHook = Callable[[float, "float | None", "float | None", "float | None"], None]

# at most this many seconds between two progress reports (a few per second)
PROGRESS_INTERVAL_S = 0.25


def _finite(v: float) -> float | None:
    return float(v) if v is not None and math.isfinite(v) else None


class PrimalHelper(Protocol):
    """Finds layouts during HiGHS's search (e.g. :class:`yrdopt.lns.SearchLns`): told of each
    better layout HiGHS finds, asked for one of its own before HiGHS's dives."""

    def begin(self, time_limit: float | None, stop: StopFlag) -> None: ...

    def incumbent(self, x: np.ndarray) -> None: ...

    def propose(self, gap: float | None) -> np.ndarray | None: ...

    def end(self) -> None:
        """HiGHS returned (optional: a helper running beside HiGHS stops here)."""


class SolveMonitor:
    """Progress reports and stop requests for one solve, through HiGHS's MIP callbacks.

    HiGHS calls ``cbMipInterrupt`` between the steps of its branch and bound (nodes,
    heuristics, cut rounds) and ``cbMipImprovingSolution`` for each better layout; setting
    ``user_interrupt`` there ends the MIP with status "Interrupted" and its incumbent
    (``cancelSolve`` does not stop a MIP).  HiGHS calls no callback during presolve and the
    root LP, so on a large model a stop takes effect, and progress starts, only after those
    (seconds on the 41x30x4 generated model).  LP solves are stopped through
    ``cbSimplexInterrupt``.  Callbacks run in the thread that called ``solve``.

    An exception raised inside a callback (the progress hook's, or KeyboardInterrupt that
    Python delivers while a callback runs) must not cross HiGHS's C++ frames: it is kept,
    the solve is interrupted, and :meth:`HighsSolver.solve` re-raises it once HiGHS returns.
    """

    def __init__(self, progress: ProgressHook | None, stop: StopFlag, interval: float = PROGRESS_INTERVAL_S,
                 primal: "PrimalHelper | None" = None, loosened: bool = False):
        self.progress = progress
        # HiGHS runs with loosened tolerances: its bound (and gap) are of the loosened problem, not
        # shown while it runs (the result gives none either)
        self.loosened = loosened
        self.primal = primal
        self.stop = stop
        self.interval = interval
        self.t0 = time.perf_counter()
        self.last_report = -math.inf
        self.pending = False  # a better layout not yet reported
        self.error: BaseException | None = None

    def on_mip(self, e) -> None:
        try:
            if self.error is not None or self.stop.is_set():
                e.interrupt()
                return
            kind = e.callback_type
            if kind == highspy.cb.HighsCallbackType.kCallbackMipUserSolution:
                # not before the root LP's bound (a bound early is worth more than a layout):
                # the bounds HiGHS has before it (after presolve) are a small share of the cost
                out = e.data_out
                ready = (self.primal is not None and math.isfinite(out.mip_dual_bound)
                         and out.mip_dual_bound >= 0.5 * out.mip_primal_bound)
                x = self.primal.propose(relative_gap(out.mip_primal_bound, out.mip_dual_bound)) if ready else None
                if x is not None:
                    e.data_in.setSolution(x)
                return
            if kind == highspy.cb.HighsCallbackType.kCallbackMipImprovingSolution:
                self.pending = True
                if self.primal is not None:
                    self.primal.incumbent(e.data_out.mip_solution)
            if self.progress is None:
                return
            now = time.perf_counter()
            if now - self.last_report < self.interval:
                return
            self.last_report = now
            self.pending = False
            out = e.data_out
            if self.loosened:
                self.progress(now - self.t0, _finite(out.mip_primal_bound), None, None)
            else:
                self.progress(now - self.t0, _finite(out.mip_primal_bound), _finite(out.mip_dual_bound),
                              _finite(out.mip_gap))
        except BaseException as exc:  # noqa: BLE001 - kept and re-raised after HiGHS returns
            self.error = exc
            e.interrupt()

    def on_lp(self, e) -> None:
        if self.error is not None or self.stop.is_set():
            e.interrupt()


class HighsSolver:
    """One persistent HiGHS instance holding one compiled model.

    ``progress(elapsed_s, best_objective, bound, gap)`` is called during MIP solves at most
    every :data:`PROGRESS_INTERVAL_S` seconds (values HiGHS does not have yet are None).
    ``stop`` (a :class:`threading.Event` or anything with ``is_set()``; the solver makes
    its own when none is given) ends a running or later solve as soon as HiGHS next calls
    back, keeping the best layout found (status ``interrupted``); :meth:`request_stop` sets
    it, from any thread.  The flag stays set until :meth:`clear_stop`, so a loop of solves
    (alternatives, fronts) stops as a whole.
    """

    def __init__(self, options: SolverOptions | None = None, *, progress: ProgressHook | None = None,
                 stop: StopFlag | None = None, primal: PrimalHelper | None = None):
        self.options = options or SolverOptions()
        self.h = new_highs()
        self.h.setOptionValue("output_flag", False)
        self.apply_options(self.options)
        self.model: CompiledModel | None = None
        self.handoff_s = 0.0
        self.progress = progress
        self.stop = stop if stop is not None else threading.Event()
        self.primal = primal  # layouts offered during the search through the user-solution callback
        self.last_result: SolveResult | None = None

    def request_stop(self) -> None:
        """Stop the running solve (if any) at HiGHS's next callback, keeping its incumbent."""
        self.stop.set()

    def clear_stop(self) -> None:
        self.stop.clear()

    def apply_options(self, options: SolverOptions) -> None:
        """Make ``options`` the solver's options; nothing set by earlier options is kept."""
        bad = options.problems()
        if bad:
            from .errors import InstanceError, Problem

            raise InstanceError([Problem("solver options", name, value, expected) for name, value, expected in bad])
        check_highs_options(options.highs)  # before anything changes
        self.options = options
        self.h.resetOptions()
        self.h.setOptionValue("output_flag", False)
        for key, value in options.highs_options().items():
            self.h.setOptionValue(key, value)

    # -- loading ------------------------------------------------------------------------
    def load(self, cm: CompiledModel) -> float:
        """Hand the compiled arrays to HiGHS in one call; return the seconds it took."""
        _check_representable(cm)
        self._check_matrix_options(cm)
        t0 = time.perf_counter()
        A = cm.A
        # always the full-length array: highspy 1.15 reads an empty one as uninitialised
        # memory ("illegal integer value"); all zeros is a plain LP with duals
        integrality = np.ascontiguousarray(cm.integrality, dtype=np.int32)
        status = self.h.passModel(
            cm.n_cols, cm.n_rows, A.nnz,
            int(highspy.MatrixFormat.kColwise), int(highspy.ObjSense.kMinimize), float(cm.offset),
            cm.cost, cm.col_lower, cm.col_upper, cm.row_lower, cm.row_upper,
            A.indptr.astype(np.int32), A.indices.astype(np.int32), A.data.astype(float),
            integrality.astype(np.int32),
        )
        if status == highspy.HighsStatus.kError:
            raise RuntimeError("HiGHS rejected the compiled model (passModel returned an error)")
        self.model = cm
        self.handoff_s = time.perf_counter() - t0
        return self.handoff_s

    def _check_matrix_options(self, cm: CompiledModel) -> None:
        """Raise a user error where ``large_matrix_value`` (a HiGHS option a user may set lower than its
        default 1e15) is not above the model's largest constraint coefficient: HiGHS's passModel rejects
        the model then, and before, the solve ended in a RuntimeError traceback ("HiGHS rejected the
        compiled model").  Said with the option, its value and what it must exceed."""
        largest = float(np.abs(cm.A.data).max()) if cm.A.nnz else 0.0
        limit = float(self.h.getOptionValue("large_matrix_value")[1])
        if largest >= limit:
            from .errors import InstanceError, Problem

            raise InstanceError([Problem("solver options", "highs.large_matrix_value", self.options.highs.get(
                "large_matrix_value", limit), f"a value above the model's largest constraint coefficient, {largest:g} "
                "(HiGHS rejects the model otherwise; its default is 1e15: leave it unset)")])

    # -- in-place changes (sweeps) --------------------------------------------------------
    def set_costs(self, cost: np.ndarray) -> None:
        idx = np.arange(len(cost), dtype=np.int32)
        self.h.changeColsCost(len(idx), idx, np.asarray(cost, dtype=float))

    def set_col_bounds(self, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        idx = np.asarray(idx, dtype=np.int32)
        self.h.changeColsBounds(len(idx), idx, np.asarray(lower, float), np.asarray(upper, float))

    def set_row_bounds(self, idx: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        idx = np.asarray(idx, dtype=np.int32)
        self.h.changeRowsBounds(len(idx), idx, np.asarray(lower, float), np.asarray(upper, float))

    def add_row(self, coef: np.ndarray, lower: float, upper: float) -> int:
        """Append the row ``lower <= coef @ x <= upper`` (dense over the current columns);
        return its index."""
        idx = np.flatnonzero(coef).astype(np.int32)
        self.h.addRow(float(lower), float(upper), len(idx), idx, np.asarray(coef[idx], dtype=float))
        return self.h.getNumRow() - 1

    def add_rows(self, lower: np.ndarray, upper: np.ndarray, rows: np.ndarray, cols: np.ndarray,
                 vals: np.ndarray) -> None:
        """Append a block of rows given as triplets (row numbers 0..n-1 within the block)."""
        import scipy.sparse as sp

        n = len(lower)
        if n == 0:
            return
        M = sp.csr_matrix((vals, (rows, cols)), shape=(n, self.h.getNumCol()))
        M.sort_indices()
        self.h.addRows(n, np.asarray(lower, float), np.asarray(upper, float), M.nnz,
                       M.indptr[:-1].astype(np.int32), M.indices.astype(np.int32), M.data.astype(float))

    def set_start(self, x: np.ndarray) -> None:
        """Offer a layout as a MIP start (HiGHS checks it and ignores it if infeasible)."""
        idx = np.arange(len(x), dtype=np.int32)
        self.h.setSolution(len(idx), idx, np.asarray(x, dtype=float))

    def write_mps(self, path: str | Path) -> Path:
        """Write the loaded model (HiGHS picks the format by the name: .mps, .lp) through a
        temporary sibling renamed into place: never half a file."""
        import os

        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".tmp.{path.name}")  # the same ending: the same format
        try:
            self.h.writeModel(str(tmp))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)
        return path

    # -- solving --------------------------------------------------------------------------
    def solve(self, start: np.ndarray | None = None, time_limit: float | None = None) -> SolveResult:
        """Run HiGHS; the result's objective, gap and status are recomputed from the layout.

        ``time_limit`` replaces the options' limit for this solve only (e.g. what is left
        after a constructed start).

        When HiGHS's objective disagrees with the returned layout's own cost, its claim is
        about another point: HiGHS 1.16 maps a MIP start into the presolved space and takes
        the objective of that image as the incumbent's, which presolve's dual reductions
        (dual fixing, probing) can make lower than the true optimum; the search is then
        pruned against it and "Optimal" returned with the start (models/formulation.md,
        "Claims derived, never trusted").  The solve is then repeated once without any start,
        within what is left of the time limit.
        """
        if self.model is None:
            raise RuntimeError("load a model before solving")
        if time_limit is None:
            return self._solve(start)
        kept = self.options
        self.options = replace(kept, time_limit=time_limit)
        self.h.setOptionValue("time_limit", float(time_limit))
        try:
            return self._solve(start)
        finally:
            self.options = kept
            self.h.setOptionValue("time_limit", float(kept.time_limit) if kept.time_limit is not None else math.inf)

    def _solve(self, start: np.ndarray | None) -> SolveResult:
        if start is not None:
            self.set_start(start)
        _ensure_scheduler(self.options.threads)
        monitor = SolveMonitor(self.progress, self.stop, primal=self.primal,
                               loosened=bool(loosened_tolerances(self.options.highs)))
        h = self.h
        h.cbMipInterrupt += monitor.on_mip
        h.cbMipImprovingSolution += monitor.on_mip
        h.cbSimplexInterrupt += monitor.on_lp
        if self.primal is not None:
            self.primal.begin(self.options.time_limit, self.stop)
            h.cbMipUserSolution += monitor.on_mip
        t0 = time.perf_counter()
        try:
            h.run()
            res = self._result(time.perf_counter() - t0)
            disagreement = res.solver.get("highs_objective_disagrees")
            left = None if self.options.time_limit is None else self.options.time_limit - res.solve_s
            if disagreement is not None and monitor.error is None and res.status != "interrupted" \
                    and (left is None or left > 0):
                h.clearSolver()  # drops the start (and HiGHS's previous solution, its implicit start)
                if left is not None:
                    h.setOptionValue("time_limit", float(left))
                try:
                    h.run()
                finally:
                    if left is not None:
                        h.setOptionValue("time_limit", float(self.options.time_limit))
                res = self._result(time.perf_counter() - t0)
                res.solver["resolved_without_start"] = disagreement
            left = None if self.options.time_limit is None else self.options.time_limit - (time.perf_counter() - t0)
            if res.solver.get("no_layout_at_loosened_tolerances") and monitor.error is None:
                if not self.stop.is_set() and (left is None or left > 0):
                    monitor.loosened = False
                    res = self._solve_at_default_tolerances(res, left, time.perf_counter() - t0)
                else:  # its words say why it was not (status_words)
                    res.solver["not_solved_again"] = "stopped" if self.stop.is_set() else "no time left"
        finally:
            h.cbMipInterrupt -= monitor.on_mip
            h.cbMipImprovingSolution -= monitor.on_mip
            h.cbSimplexInterrupt -= monitor.on_lp
            if self.primal is not None:
                h.cbMipUserSolution -= monitor.on_mip
                end = getattr(self.primal, "end", None)  # helpers written before end() existed have none
                if end is not None:
                    end()
        self.last_result = res
        if monitor.error is not None:
            raise monitor.error  # the interrupted solve's result is in self.last_result
        return self.last_result

    def _solve_at_default_tolerances(self, loose: SolveResult, left: float | None, spent_s: float) -> SolveResult:
        """Solve again at HiGHS's default tolerances, within ``left`` seconds, after a run with
        loosened ones found no layout (``loose``): that "infeasible" is no proof (HiGHS 1.16 says it of
        the embedded instance with mip_feasibility_tolerance 0.5), and the run at the defaults tells
        the planner the truth.  Its result is of the defaults (``solver.tolerances``); the loosened
        run is kept in words (``solver.no_layout_at_loosened_tolerances_first``)."""
        h = self.h
        kept = self.options
        self.options = replace(kept, highs={k: v for k, v in kept.highs.items() if k not in DEFAULT_TOLERANCES})
        # every tolerance set back, not only the loosened ones: a set kkt_tolerance replaces the others
        for k, v in DEFAULT_TOLERANCES.items():
            h.setOptionValue(k, v)
        h.clearSolver()
        if left is not None:
            h.setOptionValue("time_limit", float(left))
        t0 = time.perf_counter()
        try:
            h.run()
            res = self._result(time.perf_counter() - t0 + spent_s)
        finally:
            self.options = kept
            for k, v in DEFAULT_TOLERANCES.items():
                h.setOptionValue(k, kept.highs.get(k, v))
            if left is not None:
                h.setOptionValue("time_limit", float(kept.time_limit) if kept.time_limit is not None else math.inf)
        res.solver["options"] = kept.to_dict()  # what was asked; solver.tolerances says what HiGHS held
        res.solver["no_layout_at_loosened_tolerances_first"] = {
            "highs_status": loose.highs_status, "loosened_tolerances": loose.solver["loosened_tolerances"]}
        return res

    def _result(self, solve_s: float) -> SolveResult:
        h = self.h
        ms = h.getModelStatus()
        info = h.getInfo()
        is_mip = bool(self.model.integrality.any())
        has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
        S = highspy.HighsModelStatus
        if ms == S.kOptimal:
            status = "optimal"
        elif ms == S.kTimeLimit:
            status = "time_limit_with_incumbent" if has_primal else "time_limit_no_incumbent"
        elif ms in (S.kIterationLimit, S.kSolutionLimit, S.kObjectiveBound, S.kObjectiveTarget, S.kMemoryLimit):
            status = "stopped_with_incumbent" if has_primal else "stopped_no_incumbent"
        elif ms in (S.kInterrupt, S.kHighsInterrupt):
            status = "interrupted" if has_primal else "stopped_no_incumbent"
        elif ms == S.kInfeasible:
            status = "infeasible"
        elif ms == S.kUnbounded:
            status = "unbounded"
        elif ms == S.kUnboundedOrInfeasible:
            status = "infeasible_or_unbounded"
        else:
            status = "stopped_with_incumbent" if has_primal else "error"  # keep an incumbent if there is one
        x = row_dual = col_dual = row_value = None
        objective = bound = gap = None
        rel_gap, abs_gap = self._requested_gaps()
        # the tolerances asked of HiGHS (its defaults unless the options loosen them); not the values it
        # holds after a MIP run: HiGHS 1.16 raises primal_feasibility_tolerance to the MIP's own (1e-6) there
        tolerances = {**DEFAULT_TOLERANCES, **{k: float(v) for k, v in self.options.highs.items() if k in DEFAULT_TOLERANCES}}
        solver = {"name": "HiGHS", "version": highs_version(), "options": self.options.to_dict(),
                  "gap_requested": {"relative": rel_gap, "absolute": abs_gap}, "tolerances": tolerances}
        if status in HAS_SOLUTION:
            sol = h.getSolution()
            x = np.asarray(sol.col_value, dtype=float)
            row_value = np.asarray(sol.row_value, dtype=float)
            lp = h.getLp()
            # the layout's own cost under HiGHS's current objective (costs may have been changed in place)
            objective = float(np.dot(np.asarray(lp.col_cost_, dtype=float), x) + lp.offset_)
            claimed = float(info.objective_function_value)
            if abs(claimed - objective) > CLAIM_TOL * max(1.0, abs(objective)):
                solver["highs_objective_disagrees"] = {"highs_status": h.modelStatusToString(ms),
                                                       "highs_objective": claimed, "layout_objective": objective}
            if is_mip:
                b = float(info.mip_dual_bound)
                bound = b if np.isfinite(b) else None
                gap = relative_gap(objective, bound) if bound is not None else None
                status = derived_status(status, objective, bound, rel_gap, abs_gap)
            else:
                bound, gap = objective, 0.0
                if sol.dual_valid:
                    row_dual = np.asarray(sol.row_dual, dtype=float)
                    col_dual = np.asarray(sol.col_dual, dtype=float)
        elif is_mip and status in ("time_limit_no_incumbent", "stopped_no_incumbent"):
            # no layout, but what HiGHS proved is still worth saying: no layout costs less
            b = float(info.mip_dual_bound)
            bound = b if np.isfinite(b) else None
        loosened = loosened_tolerances(tolerances)
        if loosened:
            # HiGHS's bound (an LP's objective too) is one of the loosened problem: a layout of the
            # real one may cost less, so it proves nothing here.  It is kept in words, not as a bound
            if bound is not None:
                solver["bound_at_loosened_tolerances"] = bound
            solver["loosened_tolerances"] = loosened
            bound = gap = None
            if status == "optimal":
                status = "unproven"
            elif status in ("infeasible", "unbounded", "infeasible_or_unbounded"):
                # found no layout of the loosened problem (or one without limit): no proof for the real
                # one, never "no layout satisfies every limit" (the limits' diagnosis would then explain a
                # conflict that is not there); solved again at the defaults where time is left
                solver["no_layout_at_loosened_tolerances"] = h.modelStatusToString(ms)
                status = "stopped_no_incumbent"
        return SolveResult(
            status=status,
            highs_status=h.modelStatusToString(ms),
            objective=objective,
            bound=bound,
            gap=gap,
            x=x,
            row_dual=row_dual,
            col_dual=col_dual,
            row_value=row_value,
            handoff_s=self.handoff_s,
            solve_s=solve_s,
            nodes=int(info.mip_node_count) if is_mip else 0,
            solver=solver,
        )

    def _requested_gaps(self) -> tuple[float, float]:
        """(relative, absolute) MIP gaps HiGHS was asked for."""
        return float(self.h.getOptionValue("mip_rel_gap")[1]), float(self.h.getOptionValue("mip_abs_gap")[1])


"""One overall time limit that every phase of a solve keeps.

``--time-limit 30`` means the command ends within about 30 s of wall time: reading the
instance, building, the greedy start, HiGHS (presolve, search), the LP polish, the check and
writing all count.  :class:`Deadline` is that limit as a point in time; each phase asks what
is left.  HiGHS gets what is left minus :func:`after_solve_reserve` (what the polish, the
check and writing need; measured in ``benchmarks/time_limit.py``).

HiGHS keeps its own ``time_limit`` except in presolve *probing*, which checks the clock only
between binaries and whose set-up does not check it at all: on the generated 41×30×4
instance (4,905 binaries) HiGHS 1.16.0 estimates 196 s for probing and overran a 30 s limit
by 7-9 s (README, "Time limits").  With a time limit, models above
:data:`PROBING_MAX_BINARIES` binaries are solved with probing switched off
(``presolve_rule_off`` bit 15), unless the caller sets ``presolve_rule_off`` itself.
"""

from __future__ import annotations

import time

# models with more binaries than this skip presolve probing when a time limit is set: the
# largest shipped instance (yrd-cities, 1,231 binaries) probes in well under a second, the
# 41x30x4 generated one (4,905) needs minutes (benchmarks/time_limit.py)
PROBING_MAX_BINARIES = 2500
PROBING_OFF = {"presolve_rule_off": 1 << 15}  # HiGHS's kPresolveRuleProbing
# what HiGHS 1.16 does between presolve and the root LP that a large model with a MIP start
# does without: the feasibility jump (a first layout: the start is one) and symmetry detection
# (no two regions of the shipped or generated instances are interchangeable: formulation.md
# section 7).  41x30x4 seed 1, one thread, loaded machine: root LP started after 7.9 s of
# set-up with both, 4.0 s without the jump, 3.1 s without either (its bound at 10 s instead of 25 s).
ROOT_SOON = {"mip_heuristic_run_feasibility_jump": False, "mip_detect_symmetry": False}

# at most this many seconds (and a quarter of the time limit) go to lns.construct when the
# greedy gets stuck; on yrd-cities at exact quota shares it needs 7-10 s on a shared machine
CONSTRUCT_S = 15.0


def construct_seconds(left: float | None) -> float:
    """Seconds :func:`yrdopt.lns.construct` may take when ``left`` seconds are left of the
    time limit: :data:`CONSTRUCT_S`, at most a quarter of what is left.  Here, not in
    :mod:`yrdopt.api`: a sweep's worker asks it inside a scenario's time limit, and the api
    module brings pandas (seconds of a first scenario's limit in a fresh worker)."""
    return CONSTRUCT_S if left is None else min(CONSTRUCT_S, 0.25 * left)


def _process_age() -> float:
    """Seconds since this process started (Linux /proc), 0 where unknown."""
    try:
        with open("/proc/self/stat") as fh:
            start_ticks = int(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        import os

        return max(0.0, uptime - start_ticks / os.sysconf("SC_CLK_TCK"))
    except (OSError, ValueError, IndexError):
        return 0.0


class Deadline:
    """``limit_s`` seconds from ``started`` (a :func:`time.perf_counter` value); no limit if None.
    ``stop`` (anything with ``is_set()``, e.g. the workbench job's stop event): once set, nothing is
    left, and the solves that share this deadline (:class:`Shares`) are handed it to end at HiGHS's
    next callback."""

    def __init__(self, limit_s: float | None, started: float | None = None, stop=None):
        self.limit_s = limit_s
        self.started = time.perf_counter() if started is None else started
        self.stop = stop

    @classmethod
    def from_process_start(cls, limit_s: float | None) -> "Deadline":
        """Counted from the start of the process (the interpreter's start-up and imports count)."""
        return cls(limit_s, time.perf_counter() - _process_age())

    def left(self) -> float | None:
        if self.stop is not None and self.stop.is_set():
            return 0.0
        if self.limit_s is None:
            return None
        return self.limit_s - (time.perf_counter() - self.started)

    def share_of_limit(self, share: float) -> float | None:
        """Seconds: ``share`` of the whole limit, never more than what is left (None without a limit, 0
        once ``stop`` is set; e.g. a stage whose answer only refines one already proven, which must not
        take the time of the questions that share the limit with it)."""
        left = self.left()
        if left is None or self.limit_s is None:
            return left  # 0.0 once stopped (Ctrl-C), also without a limit
        return max(min(left, share * self.limit_s), 0.0)

    def part(self, share: float) -> "Deadline":
        """``share`` of what is left, as a deadline of its own from now (no limit without one)."""
        left = self.left()
        return Deadline(None if left is None else max(left, 0.0) * share, stop=self.stop)


class Shares:
    """Solves that share one deadline (an analysis's MIPs: one per region, per quota): each gets
    an equal share of what is left, less ``reserve`` (kept for what follows the last one, e.g.
    HiGHS's overrun of it), among the ``solves`` still to run; a solve that ends early leaves
    its time to those after it."""

    def __init__(self, deadline: Deadline, solves: int, reserve: float = 0.0):
        self.deadline, self.solves, self.reserve = deadline, solves, reserve

    def add(self, solves: int = 1) -> None:
        """``solves`` more to run (e.g. the elastic solve that says why a move has no layout)."""
        self.solves += solves

    def next(self, fraction: float | None = None) -> float | None:
        """Seconds for the next solve: None without a limit, 0 when nothing is left.  ``fraction``:
        that part of what is left (less the reserve) instead of an equal share (a solve the others
        depend on, e.g. the reference they start from)."""
        n = max(self.solves, 1)
        self.solves = max(self.solves - 1, 0)
        left = self.deadline.left()
        if left is None:
            return None
        return max((left - self.reserve) * (fraction if fraction is not None and n > 1 else 1.0 / n), 0.0)


# what follows HiGHS, in seconds per column of the model, measured on a loaded 2-core machine
# (41x30x4, 161,254 columns): the LP polish of the layout (the fixed-placement LP: the whole model
# loaded and presolved, the sites' activities and flows solved; 1.8 s) and its check (0.2-0.3 s) ...
POLISH_S_PER_COL = 1.3e-5
# ... HiGHS's own overrun past its limit (it checks the clock between simplex iterations: 1.2-2.6 s
# past a 20-30 s limit at the 41x30x4 root LP with probing off) ...
OVERRUN_S_PER_COL = 1.9e-5
# ... and writing the tables and files (~0.5 s)
FILES_S_PER_COL = 0.3e-5


def polish_reserve(n_cols: int) -> float:
    """Seconds the LP polish of a layout and its check need on a model of ``n_cols`` columns
    (:data:`POLISH_S_PER_COL`), at least 0.1 s."""
    return max(0.1, POLISH_S_PER_COL * n_cols)


def after_solve_reserve(n_cols: int, files: bool = True) -> float:
    """Seconds kept back from HiGHS for its own overrun, the LP polish, the check and, with
    ``files``, writing the files: 3.5 s per 100,000 columns (3.2 s without the files, as a sweep's
    scenario, which writes a small record), at least 0.2 s."""
    per_col = POLISH_S_PER_COL + OVERRUN_S_PER_COL + (FILES_S_PER_COL if files else 0.0)
    return max(0.2, per_col * n_cols)


def root_options_for(n_binaries: int, has_start: bool, highs: dict) -> dict:
    """HiGHS options that bring the root bound sooner on a model above
    :data:`PROBING_MAX_BINARIES` binaries that has a MIP start (:data:`ROOT_SOON`; the
    caller's own choice of either option wins)."""
    if n_binaries <= PROBING_MAX_BINARIES or not has_start:
        return highs
    return {**{k: v for k, v in ROOT_SOON.items() if k not in highs}, **highs}


def highs_options_for(limit_left: float | None, n_cols: int, n_binaries: int, highs: dict,
                      reserve: float | None = None) -> tuple[float | None, dict]:
    """(HiGHS's time limit, HiGHS options) for a solve that must end within ``limit_left``, keeping
    back ``reserve`` seconds for what follows HiGHS (default :func:`after_solve_reserve`)."""
    if limit_left is None:
        return None, highs
    reserve = after_solve_reserve(n_cols) if reserve is None else reserve
    limit = max(limit_left - reserve, 0.05 * limit_left, 0.1)
    if n_binaries > PROBING_MAX_BINARIES and "presolve_rule_off" not in highs:
        highs = {**highs, **PROBING_OFF}
    return limit, highs

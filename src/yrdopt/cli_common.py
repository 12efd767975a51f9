"""Shared pieces of the command line: the Typer app, consoles, and error-to-exit-code mapping.

Feature modules in :mod:`yrdopt.commands` import from here and register their commands
on ``app``; :mod:`yrdopt.cli` discovers them.
"""

from __future__ import annotations

import time
from contextlib import contextmanager
from pathlib import Path

import typer
from rich.console import Console
from rich.text import Text

from .errors import InfeasibleError, InstanceError, SolverError, YrdoptError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="yrdopt: inter-regional division of labour of industry chains (MILP on HiGHS).")
# markup off: instance names, ids, file names and values are the user's and may contain
# "[bold]" or "[/x]"; they are printed literally (a style is given as a Text, see ``styled``)
console = Console(markup=False)
err = Console(stderr=True, markup=False)


def styled(text: str, style: str) -> Text:
    """A piece of text in a style (the consoles do not parse markup)."""
    return Text(text, style=style)


def labelled(label: str, style: str, message: str) -> Text:
    """``label`` in ``style`` followed by a literal message (never parsed as markup)."""
    return Text.assemble((label, style), " ", message)

def print_warning(where: Console, message: str) -> None:
    """One warning, soft-wrapped: the terminal wraps it, so a path or an id in it is never broken
    over lines and the message stays one line to grep (rich's own wrap split "could not be read")."""
    where.print(labelled("warning:", "yellow", message), highlight=False, soft_wrap=True)


EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_UNVERIFIED = 2, 3, 4, 5

# set by yrdopt.cli.main: this process was started for one command, so a limit counts from the
# process start (start-up and imports are part of it); a command run in-process (a test's or
# script's CliRunner) counts from its own start, not from when that process began
PROCESS_PER_COMMAND = False


def command_deadline(limit_s: float | None):
    """The deadline of a command's ``--time-limit``: from the process start where it has one of its
    own (:data:`PROCESS_PER_COMMAND`), else from now."""
    from .deadline import Deadline

    return Deadline.from_process_start(limit_s) if PROCESS_PER_COMMAND else Deadline(limit_s)


# command-line flag of each SolverOptions field
OPTION_FLAGS = {"time_limit": "--time-limit", "mip_gap": "--gap", "threads": "--threads", "seed": "--seed",
                "presolve": "--presolve", "mip_heuristic_effort": "--heuristic-effort"}


def solver_options(**fields):
    """SolverOptions from command-line values; out-of-range values are an input error naming the flag."""
    from .errors import Problem
    from .solver import TIME_LIMIT_EXPECTED, SolverOptions

    opts = SolverOptions(**fields)
    bad = opts.problems()
    if opts.time_limit == 0:  # SolverOptions lets 0 through for yrdopt's own phases, never a user's
        bad.append(("time_limit", 0, TIME_LIMIT_EXPECTED))
    if bad:
        raise InstanceError([Problem("command line", OPTION_FLAGS.get(name, name), value, expected)
                             for name, value, expected in bad])
    return opts


def _release_semaphores() -> None:
    """Release the named semaphores this process made for a process pool (its queues, its stop
    event) before ``os._exit``, which skips the finalizers that would: multiprocessing's resource
    tracker then removed them itself and printed a "leaked semaphore objects" warning with its
    file path after the sweep's last line (review 17).  Only the semaphores' own finalizers run
    (each unlinks its name and tells the tracker), none that could wait for a thread or a worker."""
    import sys

    util, synchronize = sys.modules.get("multiprocessing.util"), sys.modules.get("multiprocessing.synchronize")
    if util is None or synchronize is None:  # no pool was made: nothing to release
        return
    for finalizer in list(getattr(util, "_finalizer_registry", {}).values()):
        if getattr(finalizer, "_callback", None) is synchronize.SemLock._cleanup:
            try:
                finalizer()
            except Exception:  # quitting at once: what cannot be released, the tracker still removes
                pass


@contextmanager
def _two_signals(signals, stopping: str, quitting: str, on_first):
    """Within the block the first of ``signals`` says ``stopping`` and calls ``on_first`` (which
    may raise); a second one ends the process at once with exit 128 + its number, saying
    ``quitting``.  Call it from the main thread (Python's handlers run only there).

    After the block, in a process run for one command (:data:`PROCESS_PER_COMMAND`) that heard a
    signal, further signals are ignored: the command only says what it kept and exits 128 + the
    first one's number (before, the handlers were restored, and a second SIGTERM heard then ended
    the process with -15, a second Ctrl-C raised KeyboardInterrupt in the middle of its exit)."""
    import os
    import signal

    heard: list[int] = []

    def handler(signum, frame):
        if heard:
            console.show_cursor(True)  # a progress bar hid it; nothing after this restores it
            err.print(labelled("interrupted:", "bold red", quitting), highlight=False, soft_wrap=True)
            _release_semaphores()
            os._exit(128 + signum)
        heard.append(signum)
        err.print(labelled("stopping:", "yellow", stopping), highlight=False, soft_wrap=True)  # one line each
        on_first()

    old = {s: signal.signal(s, handler) for s in signals}
    try:
        yield heard
    finally:
        for s, h in old.items():
            signal.signal(s, signal.SIG_IGN if heard and PROCESS_PER_COMMAND else h)


def run_interruptible(fn, stopping: str = "keeping the best layout found so far",
                      kept_so_far: str = "nothing more written", stop=None):
    """Run ``fn(stop)`` so that Ctrl-C (SIGINT) or SIGTERM stops it gracefully: the first signal
    says ``stopping`` and sets ``stop`` (a :class:`threading.Event` the solver checks at each
    HiGHS callback, keeping the best layout found; the loops of alternatives and fronts stop
    between MIPs); a second one ends the process at once (``os._exit``: HiGHS's thread is not
    waited for, and no exit code of Python's, which could abort while it runs), saying
    ``kept_so_far`` (what ``fn`` has kept on disk as it went).  Returns ``(result, signum)``,
    ``signum`` None when no signal came; an exception raised after a signal carries it as
    ``signum`` (:func:`run_guarded` exits 128 + signum).

    ``fn`` runs in a worker thread (:func:`yrdopt.stopping.run_in_worker`): Python runs signal
    handlers only in the main thread and only between bytecodes, so a main thread inside HiGHS's
    C++ code would hear nothing until HiGHS returned (42 s on the 41-city instance), and one heard
    in a callback crossed HiGHS's C++ frames as "the solver reported an error"; here the main
    thread only waits, and answers at once.  ``stop``: the flag to set (e.g. one a Deadline
    carries, made before the run), else a new one.
    """
    import signal
    import threading

    from .stopping import run_in_worker

    stop = stop if stop is not None else threading.Event()
    if threading.current_thread() is not threading.main_thread():  # handlers need the main thread
        return fn(stop), None
    with _two_signals((signal.SIGINT, signal.SIGTERM), f"{stopping}; press Ctrl-C again to quit at once",
                      f"second signal, quitting at once; {kept_so_far}", stop.set) as received:
        try:
            value = run_in_worker(fn, stop)
        except BaseException as exc:
            exc.signum = received[0] if received else None
            raise
    return value, (received[0] if received else None)


def exit_interrupted(signum: int, kept: str, code: int | None = None) -> None:
    """The one line after a run stopped by a signal (``kept``: what was kept, and where); exit
    ``code``, else 128 + ``signum`` (130 after Ctrl-C, 143 after SIGTERM)."""
    err.print(labelled("interrupted:", "yellow", kept), highlight=False, soft_wrap=True)
    raise typer.Exit(code if code is not None else 128 + signum)


@contextmanager
def second_interrupt_quits(kept: str, stopping: str = "the running scenarios stop at HiGHS's next callback",
                           on_signal=None):
    """Within the block the first Ctrl-C (SIGINT) or SIGTERM says ``stopping``, calls ``on_signal()``
    (if given: e.g. to note what is on disk at the signal) and raises
    :class:`yrdopt.stopping.Interrupted` (a KeyboardInterrupt carrying the signal: the caller
    stops gracefully, which can wait for HiGHS's next callback: none comes during presolve and
    the root LP, seconds on a large model); a second one ends the process at once with exit
    128 + its number, saying ``kept`` (what is safe on disk).  Yields the signals heard (an error
    after one, e.g. a pool whose workers the same SIGTERM ended, is the interruption's).
    Outside the main thread, Python's own handling."""
    import signal
    import threading

    from .stopping import Interrupted

    if threading.current_thread() is not threading.main_thread():  # handlers need the main thread
        yield []
        return

    def interrupt():
        if on_signal is not None:
            on_signal()
        raise Interrupted(signum=heard[0])

    with _two_signals((signal.SIGINT, signal.SIGTERM), f"{stopping}; press Ctrl-C again to quit at once",
                      f"second signal, quitting at once; {kept}", interrupt) as heard:
        yield heard


def run_stoppable(work, stop, kept: str = "nothing more written", on_stop=None):
    """``work()`` as an analysis command's step that runs HiGHS (explain, prices, diagnose, compare):
    in a worker thread under the command's handlers (:func:`run_interruptible`), so that Ctrl-C or
    SIGTERM is heard at once.  The first signal sets ``stop`` (the ``stop`` of the Deadline its
    solves share: HiGHS ends at its next callback and no later solve gets time); once ``work``
    returns, the command says one line, ``kept``, and exits 128 + the signal's number, printing and
    writing nothing of what the stopped step returned (its figures are not the analysis's).  A
    second signal quits at once.  An error the stop caused (e.g. prices' LP cut short: "did not solve
    within the time limit") is the same stop, said the same way; other errors are :func:`run_guarded`'s.
    ``on_stop()`` removes what the stopped step wrote as it went (e.g. diagnose's long lists)."""
    def step():
        try:
            return run_interruptible(lambda _stop: work(), "stopping the analysis", kept, stop=stop)
        except Exception as exc:
            if getattr(exc, "signum", None):  # raised after the signal (run_interruptible notes it)
                return None, exc.signum
            raise

    value, signum = run_guarded(step)
    if signum is not None:
        if on_stop is not None:
            on_stop()
        exit_interrupted(signum, f"the analysis stopped before it finished; {kept}")
    return value


def fail(message: str, code: int) -> None:
    err.print(labelled("error:", "bold red", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def run_guarded(fn, instance: Path | None = None):
    """Turn the errors a user can cause into messages and exit codes; an infeasibility's advice to
    run `yrdopt diagnose INSTANCE` names ``instance``, the file the user gave, where there is one."""
    try:
        return fn()
    except YrdoptError as exc:
        if getattr(exc, "signum", None):  # raised by a run a signal stopped (run_interruptible notes it)
            exit_interrupted(exc.signum, str(exc) if isinstance(exc, SolverError) else
                             f"stopped before it finished ({exc}); nothing more written")  # 128 + signal
        if isinstance(exc, InstanceError):
            fail(exc.message(), EXIT_INPUT)
        if isinstance(exc, InfeasibleError):
            said = exc.explanation
            if instance is not None:
                import shlex

                said = said.replace("`yrdopt diagnose INSTANCE", f"`yrdopt diagnose {shlex.quote(str(instance))}")
            fail(said, EXIT_INFEASIBLE)
        fail(str(exc), EXIT_SOLVER if isinstance(exc, SolverError) else EXIT_INPUT)
    except KeyboardInterrupt as exc:  # an Interrupted (yrdopt.stopping) says what it kept, and its signal
        signum = getattr(exc, "signum", None) or 2
        exit_interrupted(signum, getattr(exc, "kept", "") or "stopped before it finished")


def fmt_num(v: float | None, sig: int = 6) -> str:
    """A number with ``sig`` significant digits and thousands separators; tiny values are not
    shown as 0 (1.2e-05, not 0.0000), and 0 is "0"."""
    if v is None or v != v:
        return ""
    if v == 0:
        return "0"
    a = abs(v)
    if 1e-3 <= a < 1e12:
        import math

        decimals = max(0, sig - 1 - int(math.floor(math.log10(a))))
        text = f"{v:,.{decimals}f}"
        return text.rstrip("0").rstrip(".") if "." in text else text
    return f"{v:.{sig - 1}e}"


class SolveProgress:
    """A live line on stderr while a solve runs: elapsed time, the phase (the greedy start,
    kernel search, the relaxation's bound, HiGHS, ...: :mod:`yrdopt.progress`), best layout,
    bound, gap.

    Pass it as the solver's ``progress`` hook and use it as a context manager.  It shows
    only on a terminal (``err.is_terminal``), never with ``quiet``, and only once the work has
    run for :attr:`DELAY_S` seconds, so short solves print nothing; the line is removed at
    the end.  Rich redraws it four times a second from its own thread, so the clock moves
    while HiGHS is in presolve or the root LP, where it calls no callback.
    """

    DELAY_S = 2.0

    def __init__(self, label: str = "solving", *, quiet: bool = False, console: Console | None = None):
        self.label = label
        self.console = console or err
        self.enabled = not quiet and self.console.is_terminal
        self.best = self.bound = self.gap = None
        self.phase: str | None = None
        self.solves = 0
        self._last_elapsed = float("inf")
        self.t0 = time.monotonic()
        self._live = None

    def __call__(self, elapsed: float, best: float | None, bound: float | None, gap: float | None,
                 phase: str | None = None) -> None:
        if elapsed < self._last_elapsed:  # a new solve began (alternatives, fronts)
            self.solves += 1
        self._last_elapsed = elapsed
        self.best, self.bound, self.gap, self.phase = best, bound, gap, phase

    def line(self) -> str:
        el = time.monotonic() - self.t0
        parts = [f"{self.label}{f' (solve {self.solves})' if self.solves > 1 else ''}: {el:.0f} s",
                 *([self.phase] if self.phase else []), f"best {fmt_num(self.best) or '-'}", f"bound {fmt_num(self.bound) or '-'}",
                 f"gap {self.gap:.2%}" if self.gap is not None else "gap -"]
        return "  ".join(parts)

    def __rich__(self):
        from rich.text import Text

        return Text(self.line() if time.monotonic() - self.t0 >= self.DELAY_S else "")

    def __enter__(self) -> "SolveProgress":
        if self.enabled:
            from rich.live import Live

            self._live = Live(self, console=self.console, refresh_per_second=4, transient=True)
            self._live.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._live is not None:
            self._live.stop()
            self._live = None

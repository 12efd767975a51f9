"""Stopping a long run on Ctrl-C (KeyboardInterrupt) without losing what it finished.

HiGHS runs in C++ and calls Python only at its callbacks.  A KeyboardInterrupt that Python
delivers while the thread running HiGHS is inside a callback is raised in highspy's own
callback dispatch, before yrdopt's handler, and crosses HiGHS's C++ frames: HiGHS then
returns "error" and the interrupt is lost (an alternatives run reported "the solver reported
an error"; one heard between solves wrote the rest of its layouts and returned as if finished).

:func:`stoppable` therefore runs the work in a thread of its own while the calling (main)
thread only waits, where Python delivers Ctrl-C at once.  The first Ctrl-C sets the run's
stop flag, which the solver reads at HiGHS's next callback (the running MIP ends with its
best layout; the loops of alternatives and fronts stop between MIPs); once the work has
returned, what it kept is on disk and :class:`Interrupted` (a KeyboardInterrupt) is raised,
naming it.  A second Ctrl-C raises at once (an :class:`Interrupted` saying what is safe on disk);
the work ends at its next callback on its own.  A process that ends while such an abandoned run
is still inside HiGHS would abort ("terminate called without an active exception", exit -6:
at exit Python ends the worker thread as it takes the GIL back from HiGHS's C++ frames), so
:func:`_end_abandoned_runs` waits at exit for it to stop, and ends the process with exit
128 + the signal's number, its output flushed, where it does not stop within
:data:`EXIT_WAIT_S` or a third Ctrl-C comes.
The command line's handlers for SIGINT and SIGTERM (:func:`yrdopt.cli_common.run_interruptible`)
set the same flag and wait the same way (a second signal there ends the process at once).
"""

from __future__ import annotations

import atexit
import os
import sys
import threading
import time
from typing import Callable, TypeVar

T = TypeVar("T")


class Interrupted(KeyboardInterrupt):
    """A run stopped by Ctrl-C (or a signal) after it kept what it had finished.

    ``kept`` says what was kept and where (empty when nothing); ``result`` is the run's result
    up to the stop (None when it returned none); ``signum`` the signal (2: SIGINT)."""

    def __init__(self, kept: str = "", result=None, signum: int = 2):
        super().__init__(f"interrupted; {kept}" if kept else "interrupted")
        self.kept, self.result, self.signum = kept, result, signum


def _wait(done: threading.Event) -> None:
    # a short timeout: the waiting thread hears Ctrl-C at once.  Not Thread.join: a join that
    # KeyboardInterrupt cuts short can leave the thread marked as ended while it runs (CPython 3.11)
    while not done.wait(0.05):
        pass


# the longest the process waits at exit for a run a second Ctrl-C abandoned (its stop flag is set:
# it ends at HiGHS's next callback, within a second once HiGHS searches; none comes in presolve)
EXIT_WAIT_S = 1.0
_abandoned: list[tuple[threading.Event, int]] = []  # (the run's "returned" event, the signal) of each
_abandoned_threads: set[threading.Thread] = set()  # the worker threads of those runs


def abandoned() -> bool:
    """Whether the calling thread runs work a second Ctrl-C abandoned: such work writes nothing
    more (:func:`yrdopt.outdir.write_dir_atomically` refuses), as the command line, which ends the
    process at the second signal, writes nothing more."""
    return threading.current_thread() in _abandoned_threads


class Abandoned(Exception):
    """Raised instead of writing in a run a second Ctrl-C abandoned (nobody waits for it)."""


def _end_abandoned_runs() -> None:
    """At exit (atexit: before Python ends its daemon threads): wait up to :data:`EXIT_WAIT_S` for
    every run a second Ctrl-C abandoned; one still running then (or a third Ctrl-C) ends the
    process here, output flushed, with exit 128 + the signal's number (130 after Ctrl-C), instead
    of the abort Python's end of a thread inside HiGHS causes."""
    running = [(done, signum) for done, signum in _abandoned if not done.is_set()]
    if not running:
        return
    t0 = time.monotonic()
    try:
        while any(not done.is_set() for done, _ in running) and time.monotonic() - t0 < EXIT_WAIT_S:
            time.sleep(0.02)
    except KeyboardInterrupt:
        pass
    if any(not done.is_set() for done, _ in running):
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001 - a closed stream: nothing to flush
                pass
        os._exit(128 + running[0][1])


atexit.register(_end_abandoned_runs)


def run_in_worker(fn: Callable[[threading.Event], T], stop: threading.Event,
                  interrupted: Callable[[dict, KeyboardInterrupt], BaseException] | None = None,
                  abandoned: str = "") -> T:
    """``fn(stop)`` in a daemon thread while this thread waits; its exception is raised here.
    A KeyboardInterrupt heard while waiting sets ``stop`` and waits for ``fn`` to return; then
    ``interrupted(box, the KeyboardInterrupt)`` is raised (``box``: ``fn``'s "value" or "error"),
    or the KeyboardInterrupt.  A second KeyboardInterrupt raises :class:`Interrupted` at once,
    saying ``abandoned`` (what is safe so far), and leaves ``fn`` to end at its next callback
    (the process waits for it at exit: :func:`_end_abandoned_runs`)."""
    box: dict = {}
    done = threading.Event()

    def work():
        try:
            box["value"] = fn(stop)
        except BaseException as exc:  # noqa: BLE001 - raised again in the waiting thread
            box["error"] = exc
        finally:
            done.set()

    worker = threading.Thread(target=work, name="yrdopt-run", daemon=True)
    launched = False
    try:  # a Ctrl-C while the thread starts is heard here too
        worker.start()
        launched = True
        _wait(done)
    except KeyboardInterrupt as first:
        stop.set()
        if not launched:  # the work, if it started at all, sees the stop before anything it writes
            _abandoned_threads.add(worker)
            raise Interrupted("stopped before the run started; nothing written",
                              signum=getattr(first, "signum", None) or 2) from None
        try:
            _wait(done)
        except KeyboardInterrupt as second:
            signum = getattr(second, "signum", None) or getattr(first, "signum", None) or 2
            _abandoned.append((done, signum))
            _abandoned_threads.add(worker)
            said = "second interrupt: not waiting for the run to stop (it ends at HiGHS's next callback)"
            raise Interrupted(f"{said}; {abandoned}" if abandoned else said, signum=signum) from None
        if interrupted is None:
            raise
        raise interrupted(box, first) from box.get("error")
    if "error" in box:
        raise box["error"]
    return box["value"]


def stoppable(fn: Callable[[threading.Event], T], stop: threading.Event | None = None,
              kept: Callable[[T], str] | None = None, nothing: str = "nothing was written",
              so_far: str = "") -> T:
    """``fn(stop)``, stopped gracefully by Ctrl-C when called from the main thread (module doc).

    After a Ctrl-C raises :class:`Interrupted`: ``kept(result)`` names what was kept when ``fn``
    returned a result, ``nothing`` when it raised (its exception is the Interrupted's cause);
    after a second one, ``so_far`` (what ``fn`` keeps on disk as it goes, e.g. "the layouts
    written to alt/ so far stay there").
    ``stop`` (a caller's own flag, e.g. a Stop button's) is used as given; outside the main
    thread ``fn`` runs in the calling thread (only the main thread hears Ctrl-C)."""
    stop = stop if stop is not None else threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return fn(stop)

    def interrupted(box: dict, heard: KeyboardInterrupt) -> Interrupted:
        signum = getattr(heard, "signum", None) or 2  # a command's handler may raise one carrying SIGTERM
        if "value" in box:
            return Interrupted(kept(box["value"]) if kept else "", box["value"], signum)
        return Interrupted(nothing, signum=signum)

    return run_in_worker(fn, stop, interrupted, so_far)


def raise_interrupted(signum, frame):
    """A signal handler: the signal as a KeyboardInterrupt (:class:`Interrupted`) carrying its number."""
    raise Interrupted(signum=signum)


class quit_while_loading:
    """From now until :meth:`close`: Ctrl-C (SIGINT) or SIGTERM prints one line and raises
    SystemExit(128 + the signal's number), no traceback from inside an import.  The command line
    covers its modules' loading with it (typer, rich, the commands: nothing is written then).  Only
    in the main thread, and only over Python's own handlers (a host's, e.g. a test runner's, stay)."""

    def __init__(self):
        import signal

        self._old: dict = {}
        if threading.current_thread() is not threading.main_thread():
            return
        for sig, default in ((signal.SIGINT, signal.default_int_handler), (signal.SIGTERM, signal.SIG_DFL)):
            if signal.getsignal(sig) is default:
                self._old[sig] = signal.signal(sig, self._quit)

    @staticmethod
    def _quit(signum, frame):
        sys.stderr.write("interrupted: stopped while yrdopt was loading (before any work); nothing written\n")
        raise SystemExit(128 + signum)

    def close(self) -> None:
        import signal

        for sig, old in self._old.items():
            if signal.getsignal(sig) == self._quit:
                signal.signal(sig, old)
        self._old = {}

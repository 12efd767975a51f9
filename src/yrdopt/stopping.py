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
naming it.  A second Ctrl-C raises at once; the work ends at its next callback on its own.
The command line's handlers for SIGINT and SIGTERM (:func:`yrdopt.cli_common.run_interruptible`)
set the same flag and wait the same way.
"""

from __future__ import annotations

import threading
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


def run_in_worker(fn: Callable[[threading.Event], T], stop: threading.Event,
                  interrupted: Callable[[dict], BaseException] | None = None) -> T:
    """``fn(stop)`` in a daemon thread while this thread waits; its exception is raised here.
    A KeyboardInterrupt heard while waiting sets ``stop`` and waits for ``fn`` to return (a
    second KeyboardInterrupt is raised at once, ``fn`` left to end at its next callback); then
    ``interrupted(box)`` is raised (``box``: ``fn``'s "value" or "error"), or the KeyboardInterrupt."""
    box: dict = {}
    done = threading.Event()

    def work():
        try:
            box["value"] = fn(stop)
        except BaseException as exc:  # noqa: BLE001 - raised again in the waiting thread
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, name="yrdopt-run", daemon=True).start()
    try:
        _wait(done)
    except KeyboardInterrupt:
        stop.set()
        _wait(done)
        if interrupted is None:
            raise
        raise interrupted(box) from box.get("error")
    if "error" in box:
        raise box["error"]
    return box["value"]


def stoppable(fn: Callable[[threading.Event], T], stop: threading.Event | None = None,
              kept: Callable[[T], str] | None = None, nothing: str = "nothing was written") -> T:
    """``fn(stop)``, stopped gracefully by Ctrl-C when called from the main thread (module doc).

    After a Ctrl-C raises :class:`Interrupted`: ``kept(result)`` names what was kept when ``fn``
    returned a result, ``nothing`` when it raised (its exception is the Interrupted's cause).
    ``stop`` (a caller's own flag, e.g. a Stop button's) is used as given; outside the main
    thread ``fn`` runs in the calling thread (only the main thread hears Ctrl-C)."""
    stop = stop if stop is not None else threading.Event()
    if threading.current_thread() is not threading.main_thread():
        return fn(stop)

    def interrupted(box: dict) -> Interrupted:
        if "value" in box:
            return Interrupted(kept(box["value"]) if kept else "", box["value"])
        return Interrupted(nothing)

    return run_in_worker(fn, stop, interrupted)

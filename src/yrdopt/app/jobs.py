"""Background work: one solver worker, a first-in first-out queue, live progress, stop.

HiGHS gets the machine's cores for one model at a time, so the workbench runs one job at a
time whatever the number of browser tabs: a second "Solve" waits in the queue (its position is
reported) instead of competing for the cores or crashing.  HiGHS releases the GIL while it
searches, so the HTTP threads keep answering progress requests during a solve.
"""

from __future__ import annotations

import dataclasses
import itertools
import queue
import sys
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Callable

from ..errors import InfeasibleError, InstanceError, Problem, SolverError, YrdoptError
from .wording import field_words, in_page_words, page_words, percent, problem_words, share_bound_words, share_field

FINISHED = ("done", "failed", "stopped", "cancelled")


class Stopped(Exception):
    """Raised inside a job when the user pressed Stop (between steps the job controls)."""


@dataclass
class Job:
    id: str
    kind: str
    title: str
    run: Callable[["Job"], Any] = field(repr=False)
    state: str = "queued"
    created: float = field(default_factory=time.time)
    started: float | None = None
    finished: float | None = None
    progress: dict = field(default_factory=dict)
    result: Any = None
    error: dict | None = None
    stop: threading.Event = field(default_factory=threading.Event, repr=False)
    # the run's own word on whether Stop cut its result short (a solve: its status is "interrupted");
    # None: the stop flag decides.  A Stop pressed after the work was done changes nothing
    cut_short: bool | None = None
    # what the job was asked (an analysis's scenario, segment, period, options): a page opened or
    # reloaded while it runs, or after it ended, shows the question beside its answer
    asked: dict = field(default_factory=dict)
    # state, result, error, started and finished change together under this lock and are read
    # together under it (to_dict): a poll never sees "failed" without its message
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def settle(self, state: str, result: Any = None, error: dict | None = None, *, was: str | None = None) -> bool:
        """Move to ``state`` with its result and error in one step (both already in the page's
        words); "running" also stamps ``started``, a finished state ``finished``.  With ``was``:
        only from that state (False, nothing changed, otherwise)."""
        result = in_page_words(result)
        if error is not None:
            error = {**error, "message": page_words(error["message"])}
        with self._lock:
            if was is not None and self.state != was:
                return False
            now = time.time()
            self.state, self.result, self.error = state, result, error
            if state == "running":
                self.started = now
            elif state in FINISHED:
                self.finished = now
        return True

    def report(self, elapsed: float | None = None, best: float | None = None, bound: float | None = None,
               gap: float | None = None, phase: str | None = None, **extra) -> None:
        """Progress hook for the solver: elapsed seconds, best layout's objective, bound, gap and
        the solve's phase (named: :func:`yrdopt.progress.takes_phase`)."""
        p = dict(self.progress)
        if phase is not None:
            extra["phase"] = phase
        for k, v in (("best", best), ("bound", bound), ("gap", gap)):
            if v is not None:
                p[k] = float(v)
        if elapsed is not None:
            p["solver_elapsed"] = float(elapsed)
        p.update(extra)
        self.progress = p

    def check_stop(self) -> None:
        if self.stop.is_set():
            raise Stopped()

    def to_dict(self, position: int | None = None) -> dict:
        with self._lock:
            state, result, error, started, finished = self.state, self.result, self.error, self.started, self.finished
        elapsed = None
        if started is not None:
            elapsed = (finished or time.time()) - started
        return {"id": self.id, "kind": self.kind, "title": self.title, "asked": self.asked, "state": state,
                "position": position, "elapsed": elapsed, "progress": self.progress,
                "result": result, "error": error, "stop_requested": self.stop.is_set(),
                "stop_too_late": state == "done" and self.stop.is_set()}


class JobQueue:
    """One worker thread; jobs run in the order they were submitted."""

    def __init__(self, keep: int = 200):
        self._q: queue.Queue[Job | None] = queue.Queue()
        self._jobs: dict[str, Job] = {}
        self._order: list[str] = []
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._keep = keep
        self._worker = threading.Thread(target=self._loop, name="yrdopt-solver", daemon=True)
        self._worker.start()

    def submit(self, kind: str, title: str, run: Callable[[Job], Any], asked: dict | None = None) -> Job:
        with self._lock:
            job = Job(f"j{next(self._ids)}", kind, title, run, asked=dict(asked or {}))
            self._jobs[job.id] = job
            self._order.append(job.id)
            while len(self._order) > self._keep:
                old = self._jobs.get(self._order[0])
                if old is None or old.state not in FINISHED:
                    break
                del self._jobs[self._order.pop(0)]
        self._q.put(job)
        return job

    def get(self, job_id: str) -> Job | None:
        return self._jobs.get(job_id)

    def position(self, job: Job) -> int | None:
        """0 = running, k = k jobs ahead of it; None when finished."""
        if job.state == "running":
            return 0
        if job.state != "queued":
            return None
        with self._lock:
            ahead = [j for j in (self._jobs[i] for i in self._order if i in self._jobs)
                     if j.state in ("queued", "running") and j.created <= job.created and j.id != job.id]
        return len(ahead)

    def view(self, job: Job) -> dict:
        return job.to_dict(self.position(job))

    def all(self) -> list[dict]:
        with self._lock:
            jobs = [self._jobs[i] for i in self._order if i in self._jobs]
        return [self.view(j) for j in jobs]

    def stop(self, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        if job is None:
            return None
        job.stop.set()
        job.settle("cancelled", was="queued")  # a job still waiting never starts
        return job

    def idle(self) -> bool:
        return all(j.state in FINISHED for j in list(self._jobs.values()))

    def close(self) -> None:
        self._q.put(None)

    def _loop(self) -> None:
        while True:
            job = self._q.get()
            if job is None:
                return
            if job.settle("running", was="queued"):  # else cancelled while waiting
                job.settle(*outcome(job))


def outcome(job: Job) -> tuple[str, Any, dict | None]:
    """Run ``job``: (its final state, result, error), decided before any of them is shown."""
    try:
        job.check_stop()
        result = job.run(job)
        cut = job.stop.is_set() if job.cut_short is None else job.cut_short
        return ("stopped" if cut else "done"), result, None
    except Stopped:
        return "stopped", None, {"message": "stopped before a layout was found"}
    except InstanceError as exc:
        return "failed", None, {"message": exc.message(), "problems": problems_json(exc.problems)}
    except InfeasibleError as exc:  # proven, yet stopped while finding why: the planner's Stop, not a failure
        # every limit the diagnosis names, listed in full under its reason (server.submit_solve: wording.failure_lists)
        listed = exc.details.get("listed") if isinstance(exc.details, dict) else None
        return (("stopped" if job.stop.is_set() else "failed"), None,
                {"message": exc.explanation, "infeasible": True, **({"listed": listed} if listed else {})})
    except SolverError as exc:
        return ("stopped" if job.stop.is_set() else "failed"), None, {"message": str(exc)}
    except YrdoptError as exc:
        return "failed", None, {"message": str(exc)}
    except Exception as exc:  # a bug: keep the worker alive, show what happened (page and terminal)
        log(f"job {job.id} ({job.kind}: {job.title}) failed with an internal error:\n{traceback.format_exc()}")
        return "failed", None, {"message": f"internal error: {type(exc).__name__}: {exc}",
                                "trace": traceback.format_exc(limit=8)}


def log(message: str) -> None:
    """A line on the server's terminal (stderr): request errors and jobs' internal errors."""
    print(f"yrdopt workbench [{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def problems_json(problems, data=None) -> list[dict]:
    """Problems as the page gets them: ``path`` as the instance names the field (the editor finds
    it by that), ``where`` as a planner reads it (with ``data``, the instance sent: the region's name
    before its path, "Hefei (regions[17]) land quota"), ``expected`` and ``message`` in the page's words;
    ``follows``: the places of the problems that follow from this one (each ``path`` and ``where``),
    which the page lists under it as the command line does (:attr:`yrdopt.errors.Problem.follows`)."""
    out = []
    for p in problems:
        named = in_planner_words(p, data)
        expected, got = problem_words(p.expected), None
        if share_field(p.path) and isinstance(p.value, (int, float)) and not isinstance(p.value, bool):
            # a share as the percentage it means, as the change list says it ("got 15,000 %; expected at most 100 %")
            expected, got = share_bound_words(expected, p.value), percent(p.value)
        out.append({"file": p.file, "path": p.path, "where": named.path, "value": _plain(p.value),
                    "expected": expected, "message": problem_words(str(named)),
                    "follows": [{"path": f, "where": w} for f, w in zip(p.follows, named.follows)],
                    **({"got": got} if got is not None else {})})
    return out


def in_planner_words(p: Problem, data=None) -> Problem:
    """``p`` with its place and the places that follow from it as a planner reads them (with ``data``,
    the instance sent: "Hefei (regions[17]) land quota"); a place in another file stays as it is."""
    if data is None:
        return p

    def words(place: str) -> str:
        return field_words(data, place) if place and ": " not in place else place

    return dataclasses.replace(p, path=words(p.path), follows=tuple(map(words, p.follows)))


def _plain(v):
    if v is None or isinstance(v, (bool, int, float, str)):
        return v
    return repr(v)

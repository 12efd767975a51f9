"""Where chunks of scenarios run: in this process, a local process pool, or Dask.

Every backend runs the same function, :func:`run_chunk`, on the same chunks; a chunk
starts from the base model (see :mod:`yrdopt.sweep.worker`), so the backend changes the
speed, never the answers.

* ``inprocess`` — chunks one after the other in the calling process (``workers=1``, notebooks,
  debugging).
* ``processes`` — a local pool of spawned processes, one per core by default, each with
  one persistent single-threaded HiGHS.  Workers write each scenario's file the moment it
  finishes; a worker whose parent died (a second Ctrl-C's immediate exit, a kill) stops its chunk
  and exits within about a second, and Ctrl-C (or an error in the caller) stops every running chunk
  at its next HiGHS callback (a stop event the workers share; they ignore the terminal's SIGINT).
* ``dask`` — ``distributed``: a scheduler address (``tcp://host:8786``) or a local cluster.
  Workers that can see the results directory (same machine or shared file system; checked
  with the directory's token) write each scenario as it finishes; otherwise the client
  writes a chunk's records when the chunk returns.  The sweep context is scattered once.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from contextlib import contextmanager
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Callable

from ..errors import SolverError, YrdoptError
from .design import Scenario
from .store import write_record
from .worker import Context, ScenarioSolver

Sink = Callable[[dict], None]
# how long a sweep waits for a remote Dask scheduler to answer (Dask's own default is 30 s)
CONNECT_TIMEOUT_S = 10.0

_local = threading.local()
_PARENT_PID: int | None = None
_POOL_STOP = None  # in a pool worker: the pool's stop event (multiprocessing.Event), set by the sweep on Ctrl-C
# exit code of a spawned worker whose import of the calling script started a sweep again
NOT_GUARDED_EXIT = 86


def refuse_in_spawned_worker() -> None:
    """Called first by :func:`yrdopt.sweep.run`.  A pool worker is spawned: it imports the
    parent's main script again (as ``__mp_main__``) before it takes any work, and a script that
    calls the sweep outside ``if __name__ == "__main__":`` would start the sweep again in every
    worker.  Such a worker leaves quietly with :data:`NOT_GUARDED_EXIT`; the parent sees the
    pool break and says why (:meth:`ProcessPool._lost_worker`)."""
    import multiprocessing as mp

    if getattr(mp.current_process(), "_inheriting", False):
        raise SystemExit(NOT_GUARDED_EXIT)


def worker_solver(ctx: Context) -> ScenarioSolver:
    """This process's (this thread's) solver for the sweep, created once."""
    cache = getattr(_local, "solvers", None)
    if cache is None:
        cache = _local.solvers = {}
    ws = cache.get(ctx.key)
    if ws is None:
        cache.clear()  # one sweep at a time per worker: drop older models
        ws = cache[ctx.key] = ScenarioSolver(ctx)
    return ws


def _can_write(ctx: Context) -> bool:
    if not ctx.out:
        return False
    try:
        return (Path(ctx.out) / ".token").read_text().strip() == ctx.token
    except OSError:
        return False


def run_chunk(ctx: Context, chunk: list[Scenario], mode: str = "solve", extra=None, run: str = "",
              sub: str | None = None, on_record: Sink | None = None, earlier: list[dict] | None = None,
              stop: threading.Event | None = None) -> list[dict]:
    """Solve (or, in the robust phase, evaluate) a chunk in a row, writing each record as it finishes.
    ``earlier``: the stored records of the chunk's scenarios already solved (a resumed sweep),
    whose layouts start the rest (:meth:`ScenarioSolver.restore`).  ``stop`` (in-process runs;
    in a pool worker the pool's own): once set, HiGHS ends at its next callback and the chunk
    returns without recording the scenario it cut short, which a resumed sweep then solves in full:
    also one stopped in its diagnosis (its solve proved it infeasible, its explanation was cut short)."""
    if stop is None:
        stop = _POOL_STOP
    ws = worker_solver(ctx)
    if stop is not None:
        ws.solver.stop = stop
    ws.begin_chunk()
    if mode == "solve" and earlier:
        ws.restore(earlier)
    write = _can_write(ctx)
    folder = Path(ctx.out) / sub if (write and sub) else None
    out = []
    for sc in (ws.solve_order(chunk) if mode == "solve" else chunk):
        if _PARENT_PID is not None and os.getppid() != _PARENT_PID:
            os._exit(3)  # the sweep that started this worker is gone: stop, do not solve on unseen
        if stop is not None and stop.is_set():
            break
        rec = ws.solve(sc) if mode == "solve" else ws.evaluate(sc, extra)
        if stop is not None and stop.is_set():
            break  # cut short (its status "interrupted", or its diagnosis interrupted): not a result
        if write:
            write_record(Path(ctx.out), rec, run, folder)
        if on_record is not None:
            on_record(rec)
        out.append(rec)
    return out


def _not_guarded(what: str) -> YrdoptError:
    return YrdoptError(
        f"the sweep's {what} could not start: they are spawned and import the script that "
        "called yrdopt.sweep.run() again, and that script calls it outside `if __name__ == \"__main__\":`. "
        "Put the call under that guard, or pass workers=1 (solves in this process, no pool)")


def _main_script_runs_a_sweep(method: str) -> bool:
    """Whether a process started the way ``method`` starts one ends with :data:`NOT_GUARDED_EXIT`:
    it imported the calling script again, and the script started a sweep outside its
    ``__main__`` guard (:func:`refuse_in_spawned_worker`).  Asked only after workers failed to start."""
    import multiprocessing as mp

    probe = mp.get_context(method).Process(target=int, daemon=True)
    probe.start()
    probe.join(60)
    if probe.exitcode is None:
        probe.kill()
        probe.join()
    return probe.exitcode == NOT_GUARDED_EXIT


# how long a worker whose sweep is gone lets its chunk stop (at HiGHS's next callback) before it leaves
ORPHAN_GRACE_S = 1.0


def _init_pool(parent_pid: int, stop) -> None:
    global _PARENT_PID, _POOL_STOP
    _PARENT_PID, _POOL_STOP = parent_pid, stop
    # Ctrl-C in a terminal reaches every process of its group: the sweep alone answers it and
    # stops its workers through ``stop`` (a KeyboardInterrupt of the worker's own would end a
    # chunk anywhere, and an idle worker with a traceback).  Spawned with SIGINT blocked
    # (:meth:`ProcessPool.run`), so also quiet while it imports, before this runs.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_leave_with_parent, args=(parent_pid, stop), name="yrdopt-orphan-watch",
                     daemon=True).start()


def _leave_with_parent(parent_pid: int, stop) -> None:
    """A worker ends when its sweep is gone (a second Ctrl-C's immediate exit, a kill): an idle
    worker would otherwise wait for its next job forever, adopted by init."""
    while os.getppid() == parent_pid:
        time.sleep(0.2)
    stop.set()  # the running chunk ends at HiGHS's next callback, its cut-short scenario unrecorded
    time.sleep(ORPHAN_GRACE_S)
    os._exit(3)


@contextmanager
def _sigint_blocked():
    """Processes started within inherit a blocked SIGINT (as the resource tracker's): a terminal's
    Ctrl-C while a worker still imports its modules stays quiet, the sweep answers it alone.
    A Ctrl-C meanwhile reaches this process when the block ends."""
    if not hasattr(signal, "pthread_sigmask"):
        yield
        return
    old = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


def _stop_and_wait(backend, wait_for: Callable[[], object]) -> None:
    """After Ctrl-C: set the backend's stop flag (HiGHS ends at its next callback, the scenario
    it cut short unrecorded) and wait for the running chunks to return.  A second Ctrl-C ends
    the wait, and :meth:`close` then does not wait either: the caller gets control back at once
    (the command line quits; the chunks end at their next callback on their own)."""
    backend.stop.set()
    try:
        wait_for()
    except KeyboardInterrupt:
        backend.abandoned = True
        raise


class InProcess:
    """Chunks one after the other in one thread of this process (its own, so that its HiGHS
    model lives as long as the backend, through both phases).  The calling thread only waits:
    Python delivers Ctrl-C (a notebook's interrupt) there at once, whereas a thread inside HiGHS
    hears it at the next Python callback, where it cannot cross HiGHS's C++ frames (it was lost,
    or recorded the scenario as a solver error).  Here it stops HiGHS through the solver's stop
    flag and is raised again once the chunk has returned, its cut-short scenario unrecorded; a
    second Ctrl-C returns at once (:func:`_stop_and_wait`)."""

    name = "inprocess"
    workers = 1

    def __init__(self):
        from concurrent.futures import ThreadPoolExecutor

        self.thread = ThreadPoolExecutor(1, thread_name_prefix="yrdopt-sweep")
        self.stop = threading.Event()
        self.abandoned = False  # a second Ctrl-C: close() does not wait for HiGHS

    def _chunks(self, ctx, chunks, mode, extra, run, sub, sink, earlier) -> None:
        for ch, e in zip(chunks, earlier or [None] * len(chunks)):
            run_chunk(ctx, ch, mode, extra, run, sub, on_record=sink, earlier=e, stop=self.stop)
            if self.stop.is_set():
                return

    def run(self, ctx, chunks, *, mode, extra, run, sub, sink: Sink, poll: Callable[[], None], earlier=None) -> None:
        from concurrent.futures import TimeoutError as Pending

        done = self.thread.submit(self._chunks, ctx, chunks, mode, extra, run, sub, sink, earlier)
        try:
            while True:
                try:
                    return done.result(timeout=0.25)
                except Pending:
                    continue
        except KeyboardInterrupt:
            _stop_and_wait(self, done.exception)
            raise

    def close(self) -> None:
        self.stop.set()  # after an error in the caller: the worker thread stops at its next callback
        # its thread, and with it its HiGHS model, ends (in the background after a second Ctrl-C)
        self.thread.shutdown(wait=not self.abandoned, cancel_futures=True)


class ProcessPool:
    """A local pool of spawned worker processes.  Ctrl-C sets the pool's stop event, which every
    worker's HiGHS callback reads (as the in-process thread's): the running chunks end within a
    callback, their cut-short scenarios unrecorded, and the chunks not begun never start."""

    name = "processes"

    def __init__(self, workers: int | None = None):
        import multiprocessing as mp

        self.workers = max(1, workers or os.cpu_count() or 1)
        # spawn, not fork: HiGHS keeps a global thread pool that a fork would copy half-alive
        spawn = mp.get_context("spawn")
        self.stop = spawn.Event()
        self.abandoned = False  # a second Ctrl-C: close() does not wait for the workers
        self.pool = ProcessPoolExecutor(self.workers, mp_context=spawn,
                                        initializer=_init_pool, initargs=(os.getpid(), self.stop))

    def run(self, ctx, chunks, *, mode, extra, run, sub, sink: Sink, poll: Callable[[], None], earlier=None) -> None:
        futures = set()
        try:
            with _sigint_blocked():  # the first submit spawns the workers; a Ctrl-C meanwhile comes at its end
                futures = {self.pool.submit(run_chunk, ctx, ch, mode, extra, run, sub, earlier=e)
                           for ch, e in zip(chunks, earlier or [None] * len(chunks))}
            while futures:
                finished, futures = wait(futures, timeout=0.25, return_when=FIRST_COMPLETED)
                poll()  # workers write files; the poll reports them as they appear
                for f in finished:
                    for rec in f.result():
                        sink(rec)
        except BrokenProcessPool:
            raise self._lost_worker(ctx) from None
        except BaseException as exc:
            for f in futures:
                f.cancel()
            if isinstance(exc, KeyboardInterrupt):
                _stop_and_wait(self, lambda: wait(futures))
                poll()  # what the workers finished before the stop
            raise

    def _lost_worker(self, ctx: Context) -> YrdoptError:
        """One error that says why the pool broke, instead of BrokenProcessPool (and, before,
        a second error from every worker that ran the calling script's sweep again)."""
        procs = dict(getattr(self.pool, "_processes", None) or {})  # private; only read for the message
        self.pool.shutdown(wait=True, cancel_futures=True)
        codes = sorted({p.exitcode for p in procs.values() if p.exitcode not in (None, 0)})
        # the pool terminates (SIGTERM) the healthy workers once one dies: name the cause only
        cause = [c for c in codes if c != -signal.SIGTERM]
        codes = cause or codes
        how = ", ".join(f"killed by {signal.Signals(-c).name}" if c < 0 and -c in signal.valid_signals()
                        else f"exit code {c}" for c in codes) or "exit code unknown"
        keep = f"the scenarios finished so far are kept in {ctx.out}" if ctx.out else "nothing was kept"
        if NOT_GUARDED_EXIT in codes:
            return _not_guarded("worker processes")
        return SolverError(
            f"a worker process of the sweep stopped abruptly ({how}: killed, out of memory, or a crash in the "
            f"solver); {keep}: run the sweep again with --resume "
            "(resume=True) to solve only the missing ones")

    def close(self) -> None:
        self.stop.set()  # after an error in the caller: the running chunks stop at their next callback
        self.pool.shutdown(wait=not self.abandoned, cancel_futures=True)


class Dask:
    name = "dask"

    def __init__(self, scheduler: str, workers: int | None = None, processes: bool = True,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler == "local-dask":
            n = max(1, workers or os.cpu_count() or 1)
            try:
                # no dashboard; the scheduler's HTTP server (which Dask starts anyway) on a free port of
                # this machine: its default, 8787, is taken by any other sweep or cluster running here,
                # and Dask then warns "Port 8787 is already in use".  Only critical log lines: whatever
                # fails in a local cluster reaches the sweep through its futures (the task's error,
                # KilledWorker) and is said there in words; the workers' own ERROR lines only added
                # tracebacks, e.g. "Failed to communicate with scheduler during heartbeat" from a
                # worker still busy in HiGHS when Ctrl-C shuts the scheduler down
                self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                            dashboard_address=None, silence_logs=logging.CRITICAL,
                                            scheduler_kwargs={"dashboard_address": "127.0.0.1:0"})
            except Exception:  # "Nanny failed to start": say why where it is the script's missing guard
                import dask

                if processes and _main_script_runs_a_sweep(dask.config.get("distributed.worker.multiprocessing-method")):
                    raise _not_guarded("local Dask workers") from None
                raise
            self.client = Client(self.cluster)
        else:
            where = f"could not connect to a Dask scheduler at {scheduler!r}"
            try:
                self.client = Client(scheduler, timeout=f"{connect_timeout:g}s")
            except (ValueError, TypeError) as exc:  # no port, unknown scheme, TLS without its context
                raise YrdoptError(f"{where} (expected an address such as tcp://host:8786, or local-dask): {exc}") from None
            except Exception as exc:  # nobody answered within the timeout (OSError), or not a scheduler
                # Dask's own words come last: for a server that is no scheduler they are about its
                # reply read as a message ("Unable to allocate 3.07 EiB"), not about the address
                raise YrdoptError(f"{where} (nothing answered within {connect_timeout:g} s, or what answered is no Dask "
                                  "scheduler; --connect-timeout (connect_timeout=) sets how long to wait); Dask said: "
                                  f"{type(exc).__name__}: {exc}") from None
        self.workers = max(1, sum(w.get("nthreads", 1) for w in self.client.scheduler_info()["workers"].values()))

    def run(self, ctx, chunks, *, mode, extra, run, sub, sink: Sink, poll: Callable[[], None], earlier=None) -> None:
        from distributed import as_completed

        # scattered once per sweep and kept referenced: a re-scatter of the same content would
        # reuse the key while the scheduler is releasing it ("lost dependencies")
        if getattr(self, "_ctx", (None,))[0] is not ctx:
            self._ctx = (ctx, self.client.scatter(ctx, broadcast=True, hash=False))
        ctx_f = self._ctx[1]
        futures = [self.client.submit(run_chunk, ctx_f, ch, mode, extra, run, sub, earlier=e, pure=False)
                   for ch, e in zip(chunks, earlier or [None] * len(chunks))]
        ac = as_completed(futures)
        try:
            while not ac.is_empty():
                got = ac.next_batch(block=False)
                if not got:
                    poll()
                    time.sleep(0.25)
                    continue
                for f in got:
                    for rec in f.result():
                        sink(rec)
                poll()
        except BaseException:
            self.client.cancel(futures)
            raise

    def close(self) -> None:
        self.client.close()
        if self.cluster is not None:
            self.cluster.close()


def make_backend(backend: str, workers: int | None, scheduler: str | None, dask_processes: bool = True,
                 connect_timeout: float = CONNECT_TIMEOUT_S):
    if scheduler:
        return Dask(scheduler, workers, processes=dask_processes, connect_timeout=connect_timeout)
    if backend == "inprocess" or (backend == "auto" and (workers or os.cpu_count() or 1) == 1):
        return InProcess()  # one worker: a pool would only add a process to start and a script guard to need
    if backend in ("processes", "auto"):
        return ProcessPool(workers)
    raise ValueError(f"unknown backend {backend!r} (inprocess, processes, or give a Dask scheduler)")

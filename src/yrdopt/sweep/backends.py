"""Where chunks of scenarios run: in this process, a local process pool, or Dask.

Every backend runs the same function, :func:`run_chunk`, on the same chunks; a chunk
starts from the base model (see :mod:`yrdopt.sweep.worker`), so the backend changes the
speed, never the answers.

* ``inprocess`` — chunks one after the other in the calling process (scripts, debugging).
* ``processes`` — a local pool of spawned processes, one per core by default, each with
  one persistent single-threaded HiGHS.  Workers write each scenario's file the moment it
  finishes; a worker whose parent died stops at the next scenario instead of running on.
* ``dask`` — ``distributed``: a scheduler address (``tcp://host:8786``) or a local cluster.
  Workers that can see the results directory (same machine or shared file system; checked
  with the directory's token) write each scenario as it finishes; otherwise the client
  writes a chunk's records when the chunk returns.  The sweep context is scattered once.
"""

from __future__ import annotations

import os
import threading
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Callable

from .design import Scenario
from .store import write_record
from .worker import Context, ScenarioSolver

Sink = Callable[[dict], None]

_local = threading.local()
_PARENT_PID: int | None = None


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
              sub: str | None = None, on_record: Sink | None = None, earlier: list[dict] | None = None) -> list[dict]:
    """Solve (or, in the robust phase, evaluate) a chunk in a row, writing each record as it finishes.
    ``earlier``: the stored records of the chunk's scenarios already solved (a resumed sweep),
    whose layouts start the rest (:meth:`ScenarioSolver.restore`)."""
    ws = worker_solver(ctx)
    ws.begin_chunk()
    if mode == "solve" and earlier:
        ws.restore(earlier)
    write = _can_write(ctx)
    folder = Path(ctx.out) / sub if (write and sub) else None
    out = []
    for sc in (ws.solve_order(chunk) if mode == "solve" else chunk):
        if _PARENT_PID is not None and os.getppid() != _PARENT_PID:
            os._exit(3)  # the sweep that started this worker is gone: stop, do not solve on unseen
        rec = ws.solve(sc) if mode == "solve" else ws.evaluate(sc, extra)
        if write:
            write_record(Path(ctx.out), rec, run, folder)
        if on_record is not None:
            on_record(rec)
        out.append(rec)
    return out


def _init_pool(parent_pid: int) -> None:
    global _PARENT_PID
    _PARENT_PID = parent_pid


class InProcess:
    name = "inprocess"
    workers = 1

    def run(self, ctx, chunks, *, mode, extra, run, sub, sink: Sink, poll: Callable[[], None], earlier=None) -> None:
        for ch, e in zip(chunks, earlier or [None] * len(chunks)):
            run_chunk(ctx, ch, mode, extra, run, sub, on_record=sink, earlier=e)

    def close(self) -> None:
        pass


class ProcessPool:
    name = "processes"

    def __init__(self, workers: int | None = None):
        import multiprocessing as mp

        self.workers = max(1, workers or os.cpu_count() or 1)
        # spawn, not fork: HiGHS keeps a global thread pool that a fork would copy half-alive
        self.pool = ProcessPoolExecutor(self.workers, mp_context=mp.get_context("spawn"),
                                        initializer=_init_pool, initargs=(os.getpid(),))

    def run(self, ctx, chunks, *, mode, extra, run, sub, sink: Sink, poll: Callable[[], None], earlier=None) -> None:
        futures = {self.pool.submit(run_chunk, ctx, ch, mode, extra, run, sub, earlier=e)
                   for ch, e in zip(chunks, earlier or [None] * len(chunks))}
        try:
            while futures:
                finished, futures = wait(futures, timeout=0.25, return_when=FIRST_COMPLETED)
                poll()  # workers write files; the poll reports them as they appear
                for f in finished:
                    for rec in f.result():
                        sink(rec)
        except BaseException:
            for f in futures:
                f.cancel()
            raise

    def close(self) -> None:
        self.pool.shutdown(wait=True, cancel_futures=True)


class Dask:
    name = "dask"

    def __init__(self, scheduler: str, workers: int | None = None, processes: bool = True):
        from distributed import Client, LocalCluster

        self.cluster = None
        if scheduler == "local-dask":
            n = max(1, workers or os.cpu_count() or 1)
            self.cluster = LocalCluster(n_workers=n, threads_per_worker=1, processes=processes,
                                        dashboard_address=None, silence_logs=40)
            self.client = Client(self.cluster)
        else:
            self.client = Client(scheduler, timeout="30s")
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


def make_backend(backend: str, workers: int | None, scheduler: str | None, dask_processes: bool = True):
    if scheduler:
        return Dask(scheduler, workers, processes=dask_processes)
    if backend == "inprocess":
        return InProcess()
    if backend in ("processes", "auto"):
        return ProcessPool(workers)
    raise ValueError(f"unknown backend {backend!r} (inprocess, processes, or give a Dask scheduler)")

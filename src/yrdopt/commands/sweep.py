"""``yrdopt sweep SPEC --out DIR``: a batch sensitivity study with a live progress bar."""

from __future__ import annotations

import threading
import time
from contextlib import nullcontext
from pathlib import Path
from typing import Optional

import typer


def register(app: typer.Typer) -> None:
    @app.command("sweep")
    def sweep(
        spec: Path = typer.Argument(..., help="sweep spec (.yaml/.json): instance, parameters, design, solver"),
        out: Path = typer.Option(..., "--out", "-o", help="results directory (one file per finished scenario, tables at the end)"),
        workers: Optional[int] = typer.Option(None, "--workers", "-w", min=1,
                                              help="worker processes (default: one per core; 1: in this process)"),
        scheduler: Optional[str] = typer.Option(None, "--scheduler",
                                                help="Dask scheduler address (tcp://host:8786), or local-dask"),
        connect_timeout: float = typer.Option(10.0, "--connect-timeout", min=0.1,
                                              help="seconds to wait for the --scheduler to answer"),
        resume: bool = typer.Option(False, "--resume", help="keep finished scenarios in OUT, solve only the missing ones"),
        in_process: bool = typer.Option(False, "--in-process", help="solve in this process (no pool; for debugging)"),
        quiet: bool = typer.Option(False, "--quiet", "-q", help="no progress bar or summary"),
    ) -> None:
        """Solve every scenario of a sweep spec; write results, layouts and summaries to OUT.

        The spec's fields (YAML or JSON; examples in instances/sweeps/, more in the README,
        section "Sensitivity sweeps"): name, description, instance (relative to the spec;
        omitted: the embedded default), parameters (a list; each: path such as
        regions\\[id=zhejiang].quotas.land, one of scale \\[low, high] / scales \\[...] / values \\[...],
        optional name, levels, distribution uniform|loguniform), design (kind one_at_a_time |
        full_grid | latin_hypercube | monte_carlo, samples, seed, include_base), solver
        (time_limit, mip_gap, seed, presolve, mip_heuristic_effort, threads, mip_start,
        flow_linking, search_lns, profile, highs), check, chunk_size, robust (enabled, candidates).
        """
        from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

        import signal

        from ..analysis.limit_words import counted
        from ..cli_common import console, print_warning, run_guarded, second_interrupt_quits
        from ..stopping import Interrupted
        from ..errors import InstanceError, Problem
        import pandas as pd

        from ..sweep import run as run_sweep

        # not a terminal (nohup, a batch job, a pipe): plain lines instead of a bar drawn only at the end
        plain = None if quiet or console.is_terminal else PlainProgress(console)
        bar = Progress(
            TextColumn("{task.description}", style="bold", markup=False), BarColumn(),
            TextColumn("done {task.fields[done]}/{task.total}  failed {task.fields[failed]}  "
                       "remaining {task.fields[remaining]}  {task.fields[rate]}  ETA {task.fields[eta]}"),
            TimeElapsedColumn(), console=console, disable=quiet or plain is not None, transient=False)
        tasks: dict[str, int] = {}

        def on_progress(p) -> None:
            if plain is not None:
                plain(p)
                return
            if p.phase not in tasks:
                label = "solving" if p.phase == "solve" else "robust layout"
                tasks[p.phase] = bar.add_task(label, total=p.total, done=0, failed=0, remaining=p.total,
                                              rate="", eta="-")
            eta = p.eta
            bar.update(tasks[p.phase], completed=p.done, done=p.done, failed=p.failed, remaining=p.remaining,
                       rate=f"{p.rate:.2f}/s" if p.new else "", eta=_clock(eta) if eta is not None else "-")

        def go():
            if in_process and scheduler:
                raise InstanceError([Problem("command line", "--in-process", True,
                                             "either --in-process or --scheduler, not both")])
            # scenario files are written atomically: quitting mid-write leaves only a temp file, cleaned on --resume
            at_signal: list[set[str]] = []  # the records on disk when the first signal came
            with bar, (plain or nullcontext()), second_interrupt_quits(f"the scenarios written so far are kept in {out}: --resume solves the rest",
                                             _stopping(scheduler), lambda: at_signal.append(_records(out))) as heard:
                try:
                    return run_sweep(spec, out, workers=workers, scheduler=scheduler, resume=resume,
                                     backend="inprocess" if in_process else "auto", progress=on_progress,
                                     connect_timeout=connect_timeout)
                except BaseException as exc:
                    # after a signal, what goes wrong is its doing (a SIGTERM to the whole process group
                    # ends the pool's workers too: the pool breaks): one line saying what was kept
                    if heard or isinstance(exc, KeyboardInterrupt):
                        raise Interrupted(_kept(out, at_signal[0] if at_signal else None),
                                          signum=heard[0] if heard else signal.SIGINT) from None
                    raise

        import warnings

        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", UserWarning)
            df = run_guarded(go)
        for w in caught:  # after the bar, so they stay readable
            print_warning(console, str(w.message))
        if quiet:
            return
        n, ok = len(df), int(df["ok"].sum())
        rejected = df["status"] == "not_verified"  # a layout, kept in the tables, but no solved scenario
        failed = df[~df["ok"] & ~rejected]
        said = (f", {int(rejected.sum())} rejected by the independent checker (layouts kept in results and layout, "
                "counted nowhere)" if rejected.any() else "")
        unchecked = df["status"] == "unchecked"
        how = (f"{int((df['status'] == 'optimal').sum())} optimal" if not unchecked.any() else
               f"{int(unchecked.sum())} unchecked: the independent checker was off (check: false), so no layout is "
               f"verified and none is said optimal; the solve said optimal for "
               f"{int((df['status_before_check'][unchecked] == 'optimal').sum())} (not checked: check is off in the "
               "spec), in status_before_check")
        reused = df.attrs.get("reused", 0)
        runs = f" ({reused} reused from an earlier run, {n - reused} run now)" if reused else ""
        console.print(f"{counted(n, 'scenario')}{runs}: {ok} solved ({how}){said}, "
                      f"{len(failed)} failed; tables in {out}/ (results.parquet/.csv, layout, frequency, tornado"
                      + (", robust)" if df.attrs.get("robust") is None else f"; no robust layout: {df.attrs['robust']})"),
                      highlight=False)
        if df.attrs.get("robust_rejected"):
            k = df.attrs["robust_rejected"]
            console.print(f"  robust layout: {k} candidate evaluation{'' if k == 1 else 's'} rejected by the independent "
                          "checker: no regret figure there (regret.csv: status not_verified, the reason in words)",
                          highlight=False)
        if df.attrs.get("robust_cheaper"):
            k, bad = df.attrs["robust_cheaper"], df.attrs.get("robust_contradictions", 0)
            console.print(f"  robust layout: {k} candidate evaluation{'' if k == 1 else 's'} cost less than the scenario's "
                          "own layout (regret.csv: regret below 0, the finding in words)"
                          + (f"; {bad} below a proven bound: a CONTRADICTION between two of our results, one of them "
                             "wrong" if bad else ""), highlight=False)
        for row in pd.concat([df[rejected], failed]).head(5).itertuples(index=False):
            why = rejected_words(row) if row.status == "not_verified" else _short_reason(str(row.reason))
            console.print(f"  {row.scenario}: {row.status}: {why}", highlight=False)
        if int(rejected.sum()) + len(failed) > 5:
            console.print(f"  ... and {int(rejected.sum()) + len(failed) - 5} more (see results.csv)", highlight=False)


def rejected_words(row) -> str:
    """A rejected scenario's line (a results row): what the checker found - the limit broken, the
    objective it recomputed (``check_objective``) against the one claimed, or the false claims
    (``false_claims``: a bound, a gap, "optimal", a phased plan's) - and what the solver alone said."""
    from ..claims import rejection_found

    from ..claims import false_claims_read

    # results.csv's false_claims and check_objective (a table written before them: none, the objective then)
    claims = false_claims_read(getattr(row, "false_claims", None))
    found = rejection_found(row.max_violation, row.objective, getattr(row, "check_objective", None), claims)
    return f"rejected by the independent checker ({found}; the solver alone said {row.status_before_check})"


# a failed scenario's reason on the summary's lines: at most this many characters, then the pointer
# to the full text (FULL_REASON_AT)
REASON_CHARS = 300
FULL_REASON_AT = " (the full reason in results.csv)"


def _cut_at_word(text: str, room: int) -> str:
    """``text`` in at most ``room`` characters: whole, else up to the last list item (", ") or word
    that fits, then " …" - never a word or a number cut in half."""
    if len(text) <= room:
        return text
    end = room - 2  # " …"
    at = text.rfind(", ", 0, end + 2)
    if at <= end // 2:  # no list item ends in the second half: the last whole word
        at = text.rfind(" ", 0, end + 1)
    return (text[:at].rstrip(",;:") + " …") if at > 0 else "…"


def _short_reason(reason: str, limit: int = REASON_CHARS) -> str:
    """``reason`` in at most ``limit`` characters, cut at a sentence (else a list item or a word: never
    within one) boundary, keeping the sentence that says the least quota increase that makes the
    scenario feasible (the infeasibility explanation's remedy; the sentence after it, on the rule that
    picked that raise, stays in the full text), then a pointer to the full text (:data:`FULL_REASON_AT`).
    A remedy too long for that is itself cut (a raise of many quotas)."""
    if len(reason) <= limit:
        return reason
    import re

    sentences = re.split(r"(?<=\.)\s+(?=[A-Z])", reason)
    remedy = [x for x in sentences if x.startswith("The least") and " increase " in x][:1]
    rest = sentences[:sentences.index(remedy[0])] if remedy else sentences  # what follows the remedy: the full text's
    if remedy:  # whole where it leaves room for the first sentence before it (up to half the limit) and "…"
        first = min(len(rest[0]), limit // 2) + (2 if len(rest) > 1 else 0) + 1 if rest else 0
        remedy = [_cut_at_word(remedy[0], limit - first)]
    room = limit - sum(len(x) + 1 for x in remedy)
    kept: list[str] = []
    for x in rest:
        if sum(len(k) + 1 for k in kept) + len(x) > room:
            break
        kept.append(x)
    if rest and not kept:  # the first sentence alone is too long: up to the last whole word that fits
        kept = [_cut_at_word(rest[0], room)]
    elif len(kept) < len(rest) and sum(len(k) + 1 for k in kept) + 1 <= room:
        kept.append("…")
    return " ".join(kept + remedy) + FULL_REASON_AT


class PlainProgress:
    """Progress as plain lines, for a console that is no terminal (nohup, a batch job's log):
    one line each :attr:`every` scenarios (a tenth of the phase), at the end of each phase,
    and each :attr:`EVERY_S` seconds in which no line was printed (a long scenario), with what
    is done and failed, the time elapsed and the ETA."""

    EVERY_S = 60.0

    def __init__(self, console):
        self.console = console
        self.last: object = None  # the newest Progress seen
        self.said_at = time.monotonic()
        self.said: tuple | None = None
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.ticker = threading.Thread(target=self._tick, name="sweep-progress", daemon=True)

    def __call__(self, p) -> None:
        self.last = p
        step = max(1, -(-p.total // 10))
        if p.done == p.total or (p.done and p.done % step == 0):
            self.say(p)

    def say(self, p) -> None:
        with self.lock:
            if self.said == (p.phase, p.done):
                return
            self.said, self.said_at = (p.phase, p.done), time.monotonic()
            eta = p.eta
            label = "solving" if p.phase == "solve" else "robust layout"
            failed = f", {p.failed} failed" if p.phase == "solve" else ""
            self.console.print(f"{label}: {p.done}/{p.total} done{failed}, elapsed "
                               f"{_clock(time.perf_counter() - p.started)}, ETA "
                               f"{_clock(eta) if eta is not None and p.done < p.total else '-'}",
                               highlight=False, soft_wrap=True)

    def _tick(self) -> None:
        while not self.stop.wait(1.0 if self.EVERY_S > 1.0 else self.EVERY_S / 4):
            p = self.last
            if p is not None and time.monotonic() - self.said_at >= self.EVERY_S:
                with self.lock:
                    self.said = None  # the same count again: a minute went by
                self.say(p)

    def __enter__(self) -> "PlainProgress":
        self.ticker.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop.set()
        self.ticker.join()


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"


def _stopping(scheduler: str | None) -> str:
    """What the first Ctrl-C (SIGTERM) does to the running scenarios, on the backend that runs them."""
    if not scheduler:  # this process or a local pool: the stop flag every worker's HiGHS reads
        # a scenario stopped in its diagnosis (its solve proved it infeasible) is cut short too: its
        # explanation is no result, so it is not recorded and --resume solves and diagnoses it again
        return ("the running scenarios stop at HiGHS's next callback, in their solve or in the diagnosis of an "
                "infeasible one, and --resume solves them again (one that finishes meanwhile is kept, as the "
                "finished ones are)")
    # Dask cannot stop a task that runs: it has no flag the workers' HiGHS would read.  Whether a running
    # scenario finishes before the shutdown ends its worker is known only after: the last line counts it
    if scheduler == "local-dask":
        return ("the chunks not begun are cancelled and the local Dask cluster is shut down, ending the running "
                "scenarios (one that finishes meanwhile is kept, as the finished ones are)")
    return ("the chunks not begun are cancelled; the running ones go on to their end on the Dask workers "
            "(Dask cannot stop a running task; workers that see OUT write what they finish)")


def _records(out: Path) -> set[str]:
    """The scenario records on disk in ``out`` (file names)."""
    return {p.name for p in (Path(out) / "scenarios").glob("*.json")}


def _kept(out: Path, at_signal: set[str] | None = None) -> str:
    """The scenarios a stopped sweep kept in ``out``, in one line, counted from the records on disk:
    how many of them were written after the signal (``at_signal``: the records then; a local Dask
    cluster's running scenarios can finish while it shuts down), how many are not recorded."""
    import json

    try:
        total = len(json.loads((Path(out) / "sweep.json").read_text())["scenarios"])
    except (OSError, ValueError, KeyError, TypeError):
        total = None
    done = _records(out)
    meanwhile = len(done - at_signal) if at_signal is not None else 0
    line = (f"{len(done)}{f' of {total}' if total is not None else ''} scenarios finished and kept in {out}/scenarios"
            + (f" ({meanwhile} of them while the sweep stopped)" if meanwhile else ""))
    if total is not None and total > len(done):
        return f"{line}; {total - len(done)} not recorded: --resume solves them"
    return f"{line}; --resume solves the rest"

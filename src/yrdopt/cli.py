"""Command line: a thin shell over :mod:`yrdopt.api`.

Every user mistake ends in a short message and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

from .stopping import quit_while_loading

_loading = quit_while_loading()  # Ctrl-C or SIGTERM while the commands load: one line, exit 128 + signal
import typer  # noqa: E402 - after the handlers above
from rich.table import Table


from .analysis.costs import money, objective_words, term_notes
from .analysis.limit_words import counted
from .cli_common import (EXIT_UNVERIFIED, app, console, err, exit_interrupted, fmt_num, print_warning, run_guarded,
                         run_interruptible, SolveProgress, solver_options, styled)

def layout_table(sol) -> Table:
    """Each segment's hosts, chains and segments by their names and kinds in words (the ids are
    layout.csv's)."""
    from .schema import kind_words

    regions = {r.id: r for r in sol.instance.regions}
    chains = {c.id: c for c in sol.instance.chains}
    segments = {(c.id, s.id): s.name or s.id for c in sol.instance.chains for s in c.segments}
    t = Table(title=f"Layout: {sol.instance.name}", show_lines=False)
    for col in ("chain", "segment", "kind", "regions (activity)"):
        t.add_column(col, overflow="fold")  # a narrow terminal wraps a region's name, never cuts it
    placed = sol.placements()
    for (chain, seg), g in placed.groupby(["chain", "segment"], sort=False):
        hosts = ", ".join(f"{regions[r].name_en}{(' ' + regions[r].name_zh) if regions[r].name_zh else ''} ({fmt_num(a, 4)})"
                          for r, a in zip(g["region"], g["activity"]))
        c = chains.get(chain)
        t.add_row(c.name_en or chain if c else chain, segments.get((chain, seg), seg), kind_words(g["kind"].iloc[0]), hosts)
    return t


def periods_table(summary: dict) -> Table:
    """The transition period by period (a one-period brownfield solve: from today's sites): sites
    kept, grown, shrunk, closed, opened; activity moved; what opening (the objective's fixed cost)
    and the change itself (closing and shrinking: its term `change`) cost, each counted once."""
    from .site_change import STATUSES as cols
    from .site_change import kept_words

    if "periods" in summary:
        t = Table(title="Transition per period (transition.csv has every site)")
        t.add_column("period", justify="right")
        rows = [(str(p["year"]), p["transition"]) for p in summary["periods"]]
    else:
        t, rows = Table(title="Transition from today's sites (transition.csv has every site)"), [(None, summary["transition"])]
    for col in (*cols, "moved", "opening (fixed cost)", "cost of change"):
        t.add_column(col, justify="right")
    for year, tr in rows:
        t.add_row(*([year] if year else []), *(str(tr[c]) for c in cols), f"{tr['moved_share']:.1%}",
                  money(tr["opening_cost"]), money(tr["closing_cost"] + tr["shrink_cost"]))
    t.caption = ("cost of change = closing + shrinking (the objective's cost of change); opening is its fixed cost"
                 + ("; undiscounted, in the period of the change" if "periods" in summary else ""))
    for year, tr in rows:  # what no list of sites shows, as the report and the workbench say it
        words = kept_words(tr.get("kept_changes"))
        if words:
            t.caption += f"\n{year + ': ' if year else ''}{words}"
    my = summary.get("myopic")
    if my:  # objectives as the objective table prints them, so that the printed figures subtract
        t.caption += (f"\nmyopic plan (period by period): {money(my['objective'])}; "
                      f"foresight saves {money(my['foresight_saves'])}")
    return t


def summary_table(summary: dict, names: dict[str, str] | None = None) -> Table:
    """The objective's terms in the planner's words, what each counts (a park by name), and their
    total: the printed values add up to the printed total (two decimals, round-off as 0.00)."""
    from .app.wording import term_words

    phased = isinstance(summary.get("discounting"), dict)
    t = Table(title="Objective, discounted over the periods" if phased else "Objective")
    t.add_column("term")
    t.add_column("value", justify="right")
    t.add_column("what it counts")
    notes = term_notes(summary, names)  # a park by its regions' names (region id -> name)
    for k, v in summary["components"].items():
        t.add_row(term_words(k), money(v), notes.get(k, ""))
    t.add_row(styled("total", "bold"), styled(money(summary["objective"]), "bold"), "")
    if phased:
        t.caption = objective_words(summary)
    return t


@app.command()
def solve(
    instance: Optional[Path] = typer.Argument(None, help="instance file (.yaml/.json/.xlsx); default: the embedded 4-province instance"),
    out: Path = typer.Option(Path("out"), "--out", "-o", help="directory for layout.csv, flows.csv, summary.json"),
    time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds"),
    gap: float = typer.Option(1e-4, "--gap", help="relative MIP gap at which to stop"),
    threads: Optional[int] = typer.Option(None, "--threads", help="HiGHS threads (fixed per process)"),
    seed: int = typer.Option(0, "--seed", help="HiGHS random seed"),
    log_file: Optional[Path] = typer.Option(None, "--log-file", help="write the HiGHS log here"),
    mps: Optional[Path] = typer.Option(None, "--mps", help="also export the model as MPS"),
    presolve: str = typer.Option("choose", "--presolve", help="choose, on or off"),
    heuristic_effort: Optional[float] = typer.Option(None, "--heuristic-effort", help="HiGHS mip_heuristic_effort (0..1)"),
    concurrent_lns: Optional[bool] = typer.Option(
        None, "--concurrent-lns/--no-concurrent-lns",
        help="fix-and-optimize in a thread beside HiGHS (default: on for models above 2,500 binaries or 20,000 live columns, with one HiGHS thread and a second core; README \"What solve does on a large model\")"),
    baseline: Optional[Path] = typer.Option(None, "--baseline", help="layout to compare against (default: baseline.csv next to the instance)"),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="do not print the layout"),
) -> None:
    """Solve an instance, check the layout independently, and write it to OUT.

    Ctrl-C (or SIGTERM) stops the search and keeps the best layout found: it is checked and
    written with status ``interrupted`` (exit 130, 143 after SIGTERM); a second Ctrl-C quits at once."""

    def go(stop):
        from . import api  # imported here, so a Ctrl-C while importing is already handled
        from .cli_common import command_deadline
        from .outdir import check_outputs, output_file_problems
        from .solution import out_problems

        opts = solver_options(time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed,
                              log_file=str(log_file) if log_file else None, presolve=presolve,
                              mip_heuristic_effort=heuristic_effort)
        base = _baseline_for(instance, baseline)
        # everything that can stop the results from being written is found before solving
        check_outputs(output_file_problems(log_file, "--log-file") + output_file_problems(mps, "--mps")
                      + out_problems(out, inputs=[instance, base]))
        # the limit counts from the process start (start-up and reading the instance are part of it),
        # from the command's start when it runs inside a longer-lived process (cli_common.command_deadline)
        with SolveProgress("solving", quiet=quiet) as progress:
            sol = api.solve(instance, options=opts, mps_path=mps, stop=stop, progress=progress,
                            deadline=command_deadline(time_limit), concurrent_lns=concurrent_lns)
        today = sol.instance.brownfield is not None
        if (base is not None or today) and not stop.is_set():  # after Ctrl-C: out fast (3 s on the 41 cities)
            from .analysis.baseline import compare_with_baseline

            # without a file, against today's sites of the instance (a phased plan: kept unchanged)
            sol.summary["baseline"] = compare_with_baseline(sol, base)
        sol.write(out)
        return sol

    sol, signum = run_guarded(lambda: run_interruptible(go), instance)
    s = sol.summary
    _print_warnings(s.get("warnings", []))
    if not quiet:
        if "periods" in s:
            console.print(periods_table(s))
        else:
            console.print(layout_table(sol))
            if "transition" in s:
                console.print(periods_table(s))
        from .schema import region_names

        console.print(summary_table(s, region_names(sol.instance)))
        if "baseline" in s:
            from .analysis.baseline import baseline_table

            console.print(baseline_table(s["baseline"], order=list(s["components"]),
                                         region_names=region_names(sol.instance)))
        if sol.benefits is not None:
            from .analysis.benefits import baseline_benefits, benefit_rich_table, todays_benefits

            base = _baseline_for(instance, baseline)
            today = baseline_benefits(sol.instance, base) if base else todays_benefits(sol.instance)
            console.print(benefit_rich_table(sol.benefits, today))
    for w in s.get("benefit_warnings", []):
        print_warning(console, w)
    gap_txt = f"{s['gap']:.2e}" if s["gap"] is not None else "n/a"
    # a layout the checker rejects claims no status of its own; what the solve alone said is kept beside it
    said = f"; the solve said {s['status_before_check']}" if s.get("status_before_check") else ""
    console.print(f"status: {s['status']} (gap {gap_txt}{said}); checker: "
                  f"{'verified' if s['verified'] else 'NOT verified'} (max violation {s['max_violation']:.2g}); "
                  f"solve {s['timings']['solve_s']:.2f} s; written to {out}/", highlight=False)
    if not s["verified"]:
        raise typer.Exit(EXIT_UNVERIFIED)
    if signum is not None and s["status"] == "interrupted":
        exit_interrupted(signum, f"the best layout found before the signal was checked and written to {out}/ "
                                 "(status interrupted)")  # 130 after Ctrl-C, 143 after SIGTERM


def _print_warnings(warnings: list[str]) -> None:
    for w in warnings:
        print_warning(err, w)


def _baseline_for(instance: Optional[Path], baseline: Optional[Path]) -> Optional[Path]:
    if baseline is not None:
        return baseline
    if instance is None:
        from .io import default_instance_path

        instance = default_instance_path()
    p = Path(instance)
    cand = p.with_name(p.stem + ".baseline.csv")
    return cand if cand.exists() else None


@app.command()
def validate(instance: Path = typer.Argument(..., help="instance file")) -> None:
    """Validate an instance and print its size."""
    from .data import build_model_data
    from .io import content_hash, load_instance
    from .schema import instance_warnings

    def go():
        inst = load_instance(instance)
        return inst, build_model_data(inst)

    inst, d = run_guarded(go)
    _print_warnings(instance_warnings(inst))
    parks = len(inst.enclaves)
    parts = [f"{d.R} regions", f"{len(inst.chains)} chains", f"{d.S} segments", f"{d.L} links", f"{d.K} resources",
             f"{d.E} expansion options",
             f"{counted(parks, 'enclave park')} ({sum(p.existing for p in inst.enclaves)} existing)"]
    if inst.brownfield is not None:
        parts.append(f"{counted(len(inst.brownfield.existing), 'site')} today")
    if inst.periods is not None:
        ms = inst.periods.milestones
        parts.append(f"{counted(len(ms), 'period')} ({', '.join(str(m.year) for m in ms)})")
    console.print(f"{instance}: valid. {', '.join(parts)}. hash {content_hash(inst)[:12]}", highlight=False)


@app.command()
def check(
    instance: Path = typer.Argument(..., help="instance file"),
    solution: Path = typer.Argument(..., help="solution directory (layout.csv, flows.csv) or a layout CSV"),
    as_json: bool = typer.Option(False, "--json", help="print the report as JSON"),
) -> None:
    """Recompute every constraint and objective term of a written layout."""
    from . import api

    rep = run_guarded(lambda: api.check(instance, solution))
    if as_json:
        print(json.dumps(rep.to_dict(), indent=2, default=str))
    else:
        for line in rep.lines():
            console.print(line, highlight=False)
        console.print("verified" if rep.verified else "NOT verified", style="bold green" if rep.verified else "bold red")
    if not rep.verified:
        raise typer.Exit(EXIT_UNVERIFIED)


@app.command()
def schema() -> None:
    """Print the JSON Schema of instance files (for editors' validation)."""
    from .schema import Instance

    print(json.dumps(Instance.model_json_schema(by_alias=True), indent=2, ensure_ascii=False))


def _register_command_modules() -> None:
    """Every module in yrdopt.commands adds its commands through ``register(app)``."""
    import importlib
    import pkgutil

    from . import commands

    for info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda i: i.name):
        if not info.name.startswith("_"):
            importlib.import_module(f"{commands.__name__}.{info.name}").register(app)


_register_command_modules()
_loading.close()  # the commands are loaded: Python's own handlers again (main's, run_interruptible's)


def main() -> None:
    import gc

    from . import cli_common

    cli_common.PROCESS_PER_COMMAND = True  # solve's and diagnose's --time-limit count from the process start
    # SIGTERM before a command's own handlers (run_interruptible) take over, e.g. while its modules
    # load: as Ctrl-C, one line and exit 143 (before: killed, -15)
    import signal

    from .stopping import raise_interrupted

    if signal.getsignal(signal.SIGTERM) is signal.SIG_DFL:
        signal.signal(signal.SIGTERM, raise_interrupted)
    try:
        app()
    except KeyboardInterrupt as exc:  # heard before a command's run (e.g. while its modules load)
        signum = getattr(exc, "signum", None) or 2
        print(f"interrupted: {getattr(exc, 'kept', '') or 'stopped before any work; nothing written'}",
              file=sys.stderr)
        sys.exit(128 + signum)
    finally:
        # everything is written and flushed by now; the collections Python runs while tearing
        # down pandas, scipy and HiGHS took 0.6 s of every exit (measured), which a user waits
        # for after Ctrl-C.  Frozen objects are left to the operating system.
        gc.freeze()


if __name__ == "__main__":
    main()

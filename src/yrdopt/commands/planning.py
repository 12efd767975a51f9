"""Planner commands: alternatives, pareto, lexicographic, explain, prices, diagnose, compare.

Thin shells over :mod:`yrdopt.analysis.alternatives`, :mod:`yrdopt.analysis.fronts`, :mod:`yrdopt.analysis.explain`,
:mod:`yrdopt.analysis.diagnose` and :mod:`yrdopt.analysis.compare`.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import List, Optional, Tuple

import typer
from rich.table import Table
from rich.text import Text
from ..analysis.limit_words import counted

from ..cli_common import (EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_UNVERIFIED, SolveProgress, console, exit_interrupted, fmt_num,
                          labelled, run_guarded, run_interruptible, run_stoppable, solver_options, styled)


def now_here(current: bool, share: float) -> str:
    """The "now" cell of a move: "here" where the layout already is; a segment split over regions:
    each host's share, one under half a percent said "<1% here" (a host, never "0% here")."""
    if current:
        return "here"
    if share <= 0:
        return ""
    return f"{share:.0%} here" if share >= 0.005 else "<1% here"

def _options(time_limit, gap, threads, seed):
    return solver_options(time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed)


def _interruptible(problems, go, stopping: str, kept_so_far: str = "nothing written"):
    """``go(stop)`` after refusing bad output paths, stopped gracefully by Ctrl-C or SIGTERM
    (:func:`yrdopt.cli_common.run_interruptible`; a second signal says ``kept_so_far``);
    returns ``(result, signum)``."""
    from ..outdir import check_outputs

    def run(stop):
        check_outputs(problems())
        return go(stop)

    return run_guarded(lambda: run_interruptible(run, stopping, kept_so_far))


def _df_table(df, title: str, index: bool = True, fmt: str | None = None):
    """``df`` as tables that fit the terminal: numbers keep their significant digits (``fmt``: a
    format string, default :func:`fmt_num`) and are never split across lines; headers wrap at
    words.  A frame wider than the terminal continues below in blocks of columns, each repeating
    the index (as pandas prints a wide frame): a number cut in two reads as two numbers."""
    from rich.console import Group

    def cell(v) -> str:
        if isinstance(v, bool) or type(v).__name__ == "bool_":  # a flag ("used to the limit") as the workbench shows it: yes, or nothing
            return "yes" if v else ""
        if v is None:
            return ""
        if isinstance(v, (int, float)):
            return (fmt.format(v) if fmt else fmt_num(v)) if v == v else ""  # six significant digits (README)
        return str(v)

    def words(text: str) -> int:  # the narrowest a header folds to without cutting a word
        return max((len(w) for w in text.split()), default=0)

    index_cells = [str(i) for i in df.index] if index else []
    index_name = str(df.index.name or "")
    index_w = max([len(c) for c in index_cells] + [words(index_name)], default=0) if index else 0
    columns = []  # (header, cells, the width its cells need, numbers only)
    for j, c in enumerate(df.columns):
        cells = [cell(v) for v in df.iloc[:, j]]
        numbers = all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in df.iloc[:, j])
        columns.append((str(c), cells, max([len(x) for x in cells] + [words(str(c))], default=1), numbers))
    widest = max([w for *_, w, numbers in columns if numbers], default=0)
    # a longer label folds (text may; numbers not), and leaves room for the widest number beside it
    index_w = min(index_w, max(8, console.width // 2), max(4, console.width - 7 - widest))
    room = console.width - (index_w + 4 if index else 1)  # borders: "│ " + " │" per cell
    # text (a reason) folds within the room left
    columns = [(h, cells, w if numbers else min(w, max(room - 3, 8))) for h, cells, w, numbers in columns]
    whole = [(h, cells, max(w, len(h))) for h, cells, w in columns]
    if sum(w + 3 for *_, w in whole) <= room:  # it fits with every header on one line
        columns = whole
    blocks, block, used = [], [], 0
    for col in columns:
        if block and used + col[2] + 3 > room:
            blocks.append(block)
            block, used = [], 0
        block.append(col)
        used += col[2] + 3
    blocks.append(block)
    tables = []
    for b, block in enumerate(blocks):
        caption = title if b == 0 else f"{title} (continued)"
        # a table narrower than its caption would fold it into its own width (a block of two narrow
        # columns: one word a line, 30 lines): such a caption is a paragraph above it, wrapped at the terminal
        table_w = (index_w + 3 if index else 0) + sum(w + 3 for *_, w in block) + 1
        if len(caption) > table_w:
            tables.append(Text(caption, style="italic"))
        t = Table(title=caption if len(caption) <= table_w else None)
        if index:
            t.add_column(index_name, overflow="fold", width=index_w)
        for header, _, width in block:
            t.add_column(header, justify="right", overflow="fold", width=width)
        for i in range(len(df)):
            t.add_row(*([index_cells[i]] if index else []), *[cells[i] for _, cells, _ in block])
        tables.append(t)
    return tables[0] if len(tables) == 1 else Group(*tables)


def _percent(gap) -> str:
    return "" if gap is None or gap != gap else f"{100 * gap:.2f} %"


def _first_layout(a) -> str:
    """What layout-1 of alternatives is, by the status of its MIP: "the optimum" only where it
    was proven (a layout stopped at its time limit is the best found, within its gap)."""
    if a.mga_status == "not_verified":
        return f"rejected by the independent checker (its MIP said {a.mga_status_before_check}): not a layout to trust"
    if a.mga_status == "optimal":
        return "the optimum"
    if a.mga_status == "interrupted":
        return "the best layout found before the signal (not proven)"
    gap = a.solution.summary.get("gap")
    return f"the best layout found (gap {_percent(gap)})" if gap is not None else \
        f"the best layout found (not proven: {a.mga_status})"


def register(app: typer.Typer) -> None:
    @app.command("alternatives")
    def alternatives_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        n: int = typer.Option(5, "-n", help="number of layouts, the optimum included"),
        slack: float = typer.Option(0.05, "--slack", help="relative slack on the optimum: objective <= (1+S) * optimum"),
        out: Path = typer.Option(Path("alternatives"), "--out", "-o", help="directory for layout-1..N, distances.csv"),
        metric: str = typer.Option("sum", "--metric", help="sum: maximise the summed distance to earlier layouts; "
                                   "min: maximise the smallest one"),
        min_share: float = typer.Option(0.01, "--min-share", help="a site in an alternative hosts at least this share "
                                        "of its segment (no empty sites)"),
        time_limit: Optional[float] = typer.Option(60.0, "--time-limit", help="seconds per MIP"),
        gap: float = typer.Option(1e-4, "--gap", help="relative MIP gap"),
        threads: Optional[int] = typer.Option(None, "--threads"),
        seed: int = typer.Option(0, "--seed"),
        fresh: bool = typer.Option(False, "--fresh", help="ignore layouts an earlier run wrote to OUT"),
    ) -> None:
        """N near-optimal layouts that differ as much as possible (modelling to generate alternatives)."""
        from ..analysis.alternatives import alternatives, kept_layouts

        def show(a):
            # the figure against layout-1's cost as printed above it (the search's own solve, not a parent's)
            above = "" if a.name == "layout-1" else f" ({max(a.above_optimum, 0.0):+.2%} against layout-1)"
            console.print(f"{a.name}: objective {a.objective:,.4f}{above}, "
                          f"{'verified' if a.verified else 'NOT verified'}, "
                          + (f"sites differing from earlier layouts {min(a.distance_to_previous.values())}.."
                             f"{max(a.distance_to_previous.values())}, " if a.distance_to_previous
                             else _first_layout(a) + ", ")
                          + f"{a.seconds:.1f} s", highlight=False)

        from ..outdir import folder_problems

        def go(stop):
            with SolveProgress("alternatives") as prog:
                return alternatives(instance, n, slack, metric=metric, min_share=min_share,
                                    options=_options(time_limit, gap, threads, seed), out=out,
                                    resume=not fresh, progress=show, solver_progress=prog, stop=stop)

        res, signum = _interruptible(lambda: folder_problems(out), go, "keeping the layouts written so far",
                                     f"the layouts already written to {out}/ stay there (alternatives.json lists "
                                     "them; a run without --fresh resumes from them)")
        if signum is not None:
            exit_interrupted(signum, kept_layouts(res), None if all(a.verified for a in res.layouts) else EXIT_UNVERIFIED)
        console.print(_df_table(res.distances, "Sites that differ between layouts (Hamming distance on placements)",
                                fmt="{:d}"))
        first = "optimum" if res.layouts and res.layouts[0].mga_status == "optimal" else \
            "layout-1, rejected by the independent checker," if res.layouts and \
            res.layouts[0].mga_status == "not_verified" else "best layout found (not proven optimal)"
        budget = f"budget {res.budget:,.4f}" if res.budget is not None else "no budget"
        console.print(f"{first} {res.optimum:,.4f}; {budget} (slack {slack:.1%}); "
                      f"{counted(len(res.layouts), 'layout')} written to {out}/", highlight=False)
        if res.stopped:
            console.print(styled(str(res.stopped), "yellow"), highlight=False)
        if not all(a.verified for a in res.layouts):
            raise typer.Exit(EXIT_UNVERIFIED)

    @app.command("pareto")
    def pareto_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        between: Tuple[str, str] = typer.Option(("distance", "duplication"), "--between",
                                                help="two objective terms: distance, site_cost, fixed_cost, duplication, expansion"),
        points: Optional[int] = typer.Option(None, "--points", help="K evenly spaced epsilon values instead of the exact walk"),
        step: Optional[float] = typer.Option(None, "--step", help="exact walk: smallest separation of the second term"),
        max_points: int = typer.Option(100, "--max-points", help="stop the exact walk after this many points"),
        out: Path = typer.Option(Path("pareto"), "--out", "-o"),
        time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds per MIP"),
        gap: float = typer.Option(1e-6, "--gap", help="relative MIP gap (the front is exact only at gap ~0)"),
        threads: Optional[int] = typer.Option(None, "--threads"),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Non-dominated layouts between two objective terms (epsilon-constraint), each verified."""
        from ..analysis.fronts import kept_points, pareto_front

        from ..outdir import folder_problems

        def go(stop):
            with SolveProgress("trade-off front") as prog:
                return pareto_front(instance, between, points=points, step=step, max_points=max_points,
                                    options=_options(time_limit, gap, threads, seed), out=out, solver_progress=prog,
                                    stop=stop)

        res, signum = _interruptible(lambda: folder_problems(out), go, "keeping the points written so far",
                                     f"the points already written to {out}/ stay there (front.json status "
                                     "in_progress: the walk did not end)")
        if signum is not None:
            exit_interrupted(signum, kept_points(res, out),
                             None if all(p.solution.summary["verified"] for p in res.points) else EXIT_UNVERIFIED)
        from ..app.wording import term_words

        t1, t2 = res.terms
        tab = res.table()[["point", t1, t2, "objective", "verified", "proven"]].set_index("point")
        for t in (t1, t2):  # the gap of the stage that minimised the term (0: proven for this cap)
            tab[f"{t} gap"] = [_percent(g) for g in res.table()[f"{t}_gap"]]
        # each term by its name ("distance (logistics)"); front.csv keeps the keys
        tab = tab.rename(columns={t1: term_words(t1), t2: term_words(t2), f"{t1} gap": f"{term_words(t1)} gap",
                                  f"{t2} gap": f"{term_words(t2)} gap", "verified": "passes the checker"})
        console.print(_df_table(tab, f"Trade-off front: {term_words(t1)} vs {term_words(t2)} (unweighted)"))
        # only confirmed points count as the front's layouts: a rejected one is not known to be feasible
        rejected_points = sum(not p.verified for p in res.points)
        console.print(Text.assemble(
            f"{len(res.points) - rejected_points} non-dominated layout{'' if len(res.points) - rejected_points == 1 else 's'}"
            " confirmed by the independent checker"
            + (f" and {rejected_points} point{'' if rejected_points == 1 else 's'} it rejected (below)"
               if rejected_points else "") + f" ({res.method}, {res.n_solves} MIP solves) written to {out}/",
            (" truncated at --max-points: the front has continuous stretches" if res.truncated else "", "yellow")),
            highlight=False)
        if res.dropped:
            rejected = sum(not d["verified"] for d in res.dropped)
            console.print(labelled("not written:", "yellow",
                                   f"{counted(len(res.dropped), 'layout was', 'layouts were')} a point already written or dominated by one "
                                   "(front.json, dropped)" + (f"; {rejected} of them rejected by the independent checker"
                                                              if rejected else "")), highlight=False)
        # not proven for either of two reasons: HiGHS ran with loosened tolerances (its bounds prove
        # nothing: solver.HighsSolver._result), or a stage stopped at its limit
        loose = {p.name: (p.solution.summary.get("solver") or {}).get("loosened_tolerances") for p in res.points}
        unproven = [name for name in res.unproven if name not in res.not_verified]
        if any(loose[name] for name in unproven):
            from ..claims import loosened_words

            named = [name for name in unproven if loose[name]]
            console.print(labelled("not proven:", "yellow",
                                   f"{', '.join(named)}: HiGHS ran with loosened tolerances "
                                   f"({loosened_words(loose[named[0]])}), so its bounds are of the loosened "
                                   "problem, no proof (no bound nor gap in front.csv)"), highlight=False)
        stopped = [name for name in unproven if not loose[name]]
        if stopped:
            console.print(labelled("not proven:", "yellow",
                                   f"{', '.join(stopped)}: a stage stopped at its limit; a layout with the same cap "
                                   "may be better, by at most the gap shown (bounds in front.csv)"), highlight=False)
        if res.not_verified:
            from ..claims import summary_rejection_found

            # what the checker found for each (a broken limit, the objective, a false claim)
            found = "; ".join(f"{p.name}: {summary_rejection_found(p.solution.summary)}"
                              for p in res.points if not p.verified)
            console.print(labelled("rejected by the independent checker:", "red",
                                   f"{found}; so neither proven nor known to be feasible (front.csv status "
                                   "not_verified; front.json status not_verified)"), highlight=False)
        if res.incomplete:  # a MIP ended without a layout: part of the front is missing (front.json says so)
            from ..app.wording import front_words

            # the terms by name and the solve's status in words ("minimising site cost (stopped at the time limit
            # before any feasible layout was found)"); front.json keeps the keys
            console.print(labelled("front incomplete:", "red", f"{front_words(res.incomplete)}; front.json status "
                                   "incomplete"), highlight=False)
        if not all(p.solution.summary["verified"] for p in res.points):
            raise typer.Exit(EXIT_UNVERIFIED)
        if res.incomplete:  # as any solve that stopped without a layout
            raise typer.Exit(EXIT_SOLVER)

    @app.command("lexicographic")
    def lexicographic_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        terms: List[str] = typer.Argument(..., help="objective terms in order of priority"),
        tolerance: float = typer.Option(0.0, "--tolerance", help="relative slack each earlier term may give up"),
        out: Path = typer.Option(Path("lexicographic"), "--out", "-o"),
        time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds per MIP"),
        gap: float = typer.Option(1e-6, "--gap"),
        threads: Optional[int] = typer.Option(None, "--threads"),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """Optimise one term, then the next within a tolerance, and so on."""
        from ..analysis.fronts import kept_lexicographic, lexicographic
        from ..solution import out_problems

        def go(stop):
            with SolveProgress("lexicographic") as prog:
                return lexicographic(instance, list(terms), tolerance=tolerance,
                                     options=_options(time_limit, gap, threads, seed), out=out, solver_progress=prog,
                                     stop=stop)

        res, signum = _interruptible(lambda: out_problems(out, inputs=[instance]), go,
                                     "keeping the layout of the last stage reached")
        if signum is not None:
            exit_interrupted(signum, kept_lexicographic(res, out),
                             None if res.solution.summary["verified"] else EXIT_UNVERIFIED)
        # the written layout's own values, recomputed by the checker; a stage's optimum is what
        # that stage reached, and a later stage may give up to --tolerance of it
        from ..app.wording import term_words

        written = res.solution.check.components_raw if res.solution.check else {}
        # each stage by its term's name ("distance (logistics)"); summary.json's stage_optima keep the keys
        t = Table(title=f"Lexicographic: {' > '.join(map(term_words, res.order))} (tolerance {tolerance:g}; unweighted)")
        for col in ("term", "stage optimum", "written layout (recomputed)"):
            t.add_column(col, justify="left" if col == "term" else "right", overflow="fold")
        for term in res.order:  # a stage never begun (stopped before it) has no optimum
            v = res.values.get(term)
            t.add_row(term_words(term), f"{v:,.6g}" if v is not None else "not reached",
                      f"{written.get(term, float('nan')):,.6g}")
        console.print(t)
        s = res.solution.summary
        console.print(f"weighted objective {s['objective']:,.4f}; checker: {'verified' if s['verified'] else 'NOT verified'}; "
                      f"written to {out}/", highlight=False)
        if not s["verified"]:
            raise typer.Exit(EXIT_UNVERIFIED)

    @app.command("explain")
    def explain_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        solution: Path = typer.Argument(..., help="solution directory (layout.csv, expansions.csv)"),
        segment: Optional[str] = typer.Option(None, "--segment", help="CHAIN/SEGMENT: cost of moving it to each region"),
        site: Optional[str] = typer.Option(None, "--site", help="CHAIN/SEGMENT@REGION: why this site is open or "
                                           "closed — the layout against the same layout with the site flipped"),
        reoptimise: bool = typer.Option(False, "--reoptimise", help="re-optimise the rest of the layout after each move "
                                        "(and, with --prices, re-solve each limit used to the limit with one unit more)"),
        prices: bool = typer.Option(False, "--prices", help="also print the shadow prices of every quota"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="write moves.csv / site.csv / prices.csv here"),
        time_limit: Optional[float] = typer.Option(60.0, "--time-limit", help="seconds for the whole command (its "
                                                   "MIPs share them)"),
        period: Optional[int] = typer.Option(None, "--period", help="phased instance: the milestone year to explain "
                                             "(the other periods' sites kept as written)"),
    ) -> None:
        """Why a segment sits where it sits: the change of every objective term if it moved."""
        from ..analysis.explain import cost_of_moving
        from ..deadline import Deadline

        if segment is None and site is None and not prices:
            from ..cli_common import fail

            fail("give --segment CHAIN/SEGMENT, --site CHAIN/SEGMENT@REGION, --prices, or several", 2)
        # the whole command keeps --time-limit: each analysis asked for gets an equal part of what is left
        options = run_guarded(lambda: solver_options(time_limit=time_limit, mip_gap=1e-9))
        # Ctrl-C or SIGTERM sets the deadline's stop: its solves end at HiGHS's next callback
        deadline = Deadline(time_limit, stop=threading.Event())
        parts = [site is not None, segment is not None, prices].count(True)
        kept = "nothing written"  # what a signal leaves (each part's file is written whole after it)

        def part() -> Deadline:
            nonlocal parts
            parts -= 1
            return deadline.part(1 / (parts + 1))

        from ..io import load_instance

        inst = run_guarded(lambda: load_instance(instance))  # its names for what the analyses name by id
        if site is not None:
            from ..analysis.explain import site_decision

            table = run_stoppable(lambda: site_decision(instance, solution, site, reoptimise=reoptimise, period=period,
                                                        options=options, deadline=part()), deadline.stop, kept)
            _print_site(table, out, inst)
            kept = f"site.csv is in {out}/" if out is not None else kept
        if segment is not None:
            moves = run_stoppable(lambda: cost_of_moving(instance, solution, segment, reoptimise=reoptimise,
                                                         period=period, options=options, deadline=part()),
                                  deadline.stop, kept)
            from ..app.wording import planner_words, term_words
            from ..schema import region_names

            names = region_names(inst)  # regions, segments and terms by name; moves.csv keeps the ids
            show = moves.set_index("region").rename(index=lambda r: names.get(r, r))
            cols = ["change"] + [c for c in show.columns if c.startswith("change_")]
            # short headers that wrap between words: the table fits an 80-column terminal
            table = show[cols].rename(columns=lambda c: term_words(c[7:]) if c.startswith("change_") else "total")
            # "here": the move there is the layout; a segment split over regions: each host's share
            table.insert(0, "now", [now_here(cur, share) for cur, share in zip(show["current"], show["now_share"])])
            hosts = ", ".join(names.get(h, h) for h in moves.attrs["hosts"])
            when = f" in {period}" if period is not None else ""
            console.print(_df_table(table, f"Moving {planner_words(segment, inst)}{when} (now in {hosts}) entirely to "
                                    "each region" + (" (rest re-optimised)" if reoptimise else " (all else equal)")
                                    + ": change of each weighted term"))
            for r in moves[moves["status"] != "optimal"].itertuples():
                why = r.why or ("stopped at its share of --time-limit: the change of the best layout found, "
                                "not proven the least")
                console.print(f"{names.get(r.region, r.region)}: {r.status} — {planner_words(why, inst)}",
                              highlight=False)
            _print_reference(moves.attrs.get("base_status"))
            if out is not None:
                from ..io import atomic_write_text

                out.mkdir(parents=True, exist_ok=True)
                atomic_write_text(out / "moves.csv", moves.to_csv(index=False, float_format="%.10g"))
                kept = f"{'site.csv and ' if site is not None else ''}moves.csv are in {out}/"
        if prices:
            _print_prices(instance, solution, out, period, part(), kept, reoptimise=reoptimise)

    @app.command("prices")
    def prices_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        solution: Path = typer.Argument(..., help="solution directory"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="write prices.csv (guarantee_prices.csv, "
                                           "budget_prices.csv) here"),
        period: Optional[int] = typer.Option(None, "--period", help="phased instance: the milestone year to price "
                                             "(every period's sites kept as written)"),
        reoptimise: bool = typer.Option(False, "--reoptimise", help="re-solve the MIP (sites free to move) with one "
                                        "unit more of each quota used to the limit and one step less of each "
                                        "guarantee used to the limit, within --time-limit"),
        time_limit: Optional[float] = typer.Option(60.0, "--time-limit", help="seconds for the whole command: the LP "
                                                   "and the re-solves of quotas used to the limit share them"),
    ) -> None:
        """Value of one more unit of each quota, guarantee and change budget (duals of the fixed-placement LP;
        with --reoptimise, re-solved)."""
        from ..deadline import Deadline

        from ..cli_common import fail

        run_guarded(lambda: solver_options(time_limit=time_limit))
        if reoptimise and period is not None:
            fail("--reoptimise re-solves the MIP: not per period of a plan (each re-solve would be the whole plan); "
                 "give one of --reoptimise, --period", 2)
        _print_prices(instance, solution, out, period, Deadline(time_limit, stop=threading.Event()),
                      reoptimise=reoptimise)

    @app.command("diagnose")
    def diagnose_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        time_limit: Optional[float] = typer.Option(60.0, "--time-limit", help="seconds for the whole diagnosis"),
        out: Path = typer.Option(Path("diagnosis"), "--out", "-o", help="where the whole list of conflicting limits "
                                 "(conflicting_limits.csv) or of increases (increase.csv) goes when it is too long to print"),
        period: Optional[int] = typer.Option(None, "--period", help="phased instance: that milestone year's limits "
                                             "alone (what every plan's period YEAR must satisfy; its quotas x its "
                                             "quota factor): their smallest set of conflicting limits"),
    ) -> None:
        """Explain an infeasible instance: the smallest set of conflicting limits and the least quota increase."""
        from ..analysis.diagnose import (CONFLICT_SHARE, FLOAT_ROUND_OFF, INCREASE_FILE, LIMITS_FILE,
                                         conflicting_limits, explain_infeasibility)
        from ..cli_common import command_deadline
        from ..io import load_instance

        run_guarded(lambda: solver_options(time_limit=time_limit))
        # OUT is written only for a long list of conflicting limits or increases: a folder that cannot
        # take it is said then (the diagnosis still printed), not refused before any work; a list an
        # earlier diagnosis left there is not this one's, nor one a stopped search wrote (run_stoppable's on_stop)
        def unwrite():
            for name in (LIMITS_FILE, INCREASE_FILE):
                try:
                    (out / name).unlink(missing_ok=True)
                except OSError:
                    pass

        unwrite()
        # the whole command, counted from the process start (as solve): start-up, reading, the conflict
        # search, the elastic solve's build and solve
        deadline = command_deadline(time_limit)
        stop = deadline.stop = threading.Event()  # set by Ctrl-C or SIGTERM: its solves end at HiGHS's next callback

        from ..app.wording import planner_words  # regions, segments, guarantees by name (the files keep ids)

        inst = run_guarded(lambda: load_instance(instance))
        alone = ""
        if period is not None:  # one milestone's limits: a conflict among them is one of every plan
            from ..analysis.diagnose import one_milestone

            inst = run_guarded(lambda: one_milestone(inst, period))
            alone = f"{period} alone (what every plan's {period} must satisfy): "
        if inst.periods is not None:  # over the periods: the least increase of each period's limits
            from ..analysis.diagnose import explain_phased_infeasibility

            found = run_stoppable(lambda: explain_phased_infeasibility(inst, deadline=deadline, known_infeasible=False,
                                                                       out=out, stop=stop), stop, "nothing written",
                                  unwrite)
            if found is None:
                console.print("feasible: a plan over the periods meets every limit and budget", highlight=False)
                return
            console.print(planner_words(found[0], inst), highlight=False, soft_wrap=True)
            # 3 only on the elastic solve's proof; 4 where it stopped or never ran (as for one period)
            raise typer.Exit(EXIT_INFEASIBLE if found[1]["verdict"] == "infeasible" else EXIT_SOLVER)
        conflict = run_stoppable(lambda: conflicting_limits(inst, deadline=deadline.part(CONFLICT_SHARE)), stop,
                                 "nothing written", unwrite)
        # "feasible" here only on a layout past no limit beyond float round-off: one past a limit by more,
        # which HiGHS's MIP accepts and `yrdopt solve`'s model may reject, is decided below (round_off_verdict)
        if not conflict.limits and conflict.complete and conflict.excess <= FLOAT_ROUND_OFF:
            console.print(f"feasible{' in ' + alone[:-2] if alone else ''}: no conflicting limits (every limit can "
                          "hold at once)" + ("; the plan over the periods may still not exist (`yrdopt diagnose "
                                             "INSTANCE` without --period)" if alone else ""), highlight=False)
            return
        # the conflict search's first check proved nothing when it ran out of its share: the aggregate
        # checks (instant) and the elastic solve (the rest of the time) may still prove either answer
        text, details = run_stoppable(lambda: explain_infeasibility(inst, deadline=deadline, conflict=conflict,
                                                                    known_infeasible=False, out=out),
                                      stop, "nothing written", unwrite)
        console.print(planner_words(alone + text, inst), highlight=False, soft_wrap=True)
        # 0 proven feasible, 3 proven infeasible, 4 neither within --time-limit (never "fine" unproven)
        if details["verdict"] != "feasible":
            raise typer.Exit(EXIT_INFEASIBLE if details["verdict"] == "infeasible" else EXIT_SOLVER)

    @app.command("compare")
    def compare_cmd(
        layouts: List[Path] = typer.Argument(..., help="two or more solution directories"),
        instance: Optional[Path] = typer.Option(None, "--instance", "-i",
                                                help="recompute terms with the checker and weigh mixes by value"),
        names: Optional[str] = typer.Option(None, "--names", help="comma-separated names, one per layout"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="write the tables as CSV here"),
        all_segments: bool = typer.Option(False, "--all", help="show every segment, not only those that differ"),
        period: Optional[int] = typer.Option(None, "--period", help="plans over periods: compare their layouts of "
                                             "this milestone year (terms of that period with --instance)"),
    ) -> None:
        """Layouts side by side: differing placements, objective terms, duplication, specialization."""
        from ..analysis.compare import compare_layouts
        from ..io import load_instance

        stop = threading.Event()  # set by Ctrl-C or SIGTERM: the comparison ends before its next layout's check

        def go():
            inst = load_instance(instance) if instance is not None else None
            return compare_layouts(layouts, names=names.split(",") if names else None, instance=inst, period=period,
                                   stop=stop)

        c = run_stoppable(go, stop, "nothing written")
        from ..app.wording import planner_words, term_words

        # segments and regions by the instance's names (given, else the one the first layout solved: its
        # instance.json); the CSVs keep the ids
        named = _instance_of(instance, layouts)
        said = (lambda text: planner_words(str(text), named)) if named is not None else str
        pl = c.placements.drop(columns="differs") if all_segments else c.differing()
        pl = pl.rename(index=said).map(lambda v: said(v) if isinstance(v, str) else v)
        console.print(_df_table(pl, f"Placements{' that differ' if not all_segments else ''} "
                                f"({int(c.placements['differs'].sum())} of {counted(len(c.placements), 'segment')} differ)"))
        console.print(_df_table(c.terms.rename(index=term_words),
                                "Objective terms (weighted)" + (" — recomputed by the checker" if instance else "")))
        dup = c.duplicated.groupby("layout")["segment"].apply(
            lambda s: f"{len(s)}: " + ", ".join(said(x) for x in s)).reindex(c.names).fillna("0")
        console.print(_df_table(dup.to_frame("duplicated segments"), "Segments built in more than one region"))
        spec = c.relative.rename(index=said)
        spec.loc["mean inter-regional"] = c.interregional_mean
        console.print(_df_table(spec, f"Krugman specialization (relative per region; by {c.weighting} per chain)"))
        console.print(_df_table(c.distances, "Sites that differ between layouts", fmt="{:d}"))
        for note in c.notes:
            console.print(labelled("note:", "yellow", str(note)), highlight=False)
        if out is not None:
            c.write(out)
            console.print(f"tables written to {out}/", highlight=False)


def _instance_of(instance: Optional[Path], layouts: List[Path]):
    """The instance whose names a comparison says: the one given, else the instance.json the first
    layout's directory holds (None where there is none or it does not load: the ids stay)."""
    from ..errors import YrdoptError
    from ..io import load_instance

    for path in ([instance] if instance is not None else [Path(d) / "instance.json" for d in layouts[:1]]):
        try:
            return load_instance(path) if Path(path).is_file() else None
        except (YrdoptError, OSError, ValueError):
            return None
    return None


def _print_reference(status: Optional[str]) -> None:
    """Say when the reference (the layout re-solved the same way) is not proven: every change is against it."""
    if status and status != "optimal":
        console.print(f"the reference (the layout re-solved the same way) stopped at its share of --time-limit "
                      f"({status}): every change is measured against a layout not proven the least", highlight=False)


def _print_site(table, out: Optional[Path], inst) -> None:
    """The layout against the same layout with one site flipped, and the verdict in words (the site,
    the terms and the rules by ``inst``'s names; site.csv keeps the ids)."""
    from ..app.wording import planner_words, term_words

    a = table.attrs
    state = "open" if a["open"] else "closed"
    when = f" in {a['period']}" if a.get("period") is not None else ""
    before = "in the period before" if when else "today"
    from ..model.transitions import site_status

    status = site_status(a["today"], a["activity"], a["open"])  # transition.csv's word for it
    if a.get("greenfield") and not when:  # no today's sites in the instance: nothing to be "today"
        now = (f"is a site in this layout ({a['activity']:.6g})" if a["open"] else "is not a site in this layout")
    elif a["today"] is not None:
        now = (f"runs {before} with {a['today']:.6g}; in this layout{when} it is {status}"
               + (f" ({a['activity']:.6g})" if a["open"] else ""))
    else:
        now = f"is not a site {before}; in this layout{when} it is {status}"
    flip = ("closing it" if a["open"] else ("keeping it open" if a["today"] is not None else "opening it"))
    how = " (rest re-optimised)" if a["reoptimise"] else " (all else equal)"
    shown = table.drop(columns=["base_status"], errors="ignore").assign(term=[term_words(t) for t in table["term"]])
    console.print(_df_table(shown.set_index("term"),
                            f"{planner_words(a['site'], inst)} {now}: the layout against {flip}{how}, weighted terms"))
    _print_reference(a.get("base_status"))
    total = table.set_index("term")["difference"].rename(index=term_words)
    if a["why"]:
        console.print(f"{flip[0].upper() + flip[1:]} is not possible: {planner_words(a['why'], inst)}", highlight=False)
    else:
        parts = ", ".join(f"{k} {v:+,.6g}" for k, v in total.drop("total").items() if abs(v) > 1e-9)
        verdict = "costs" if total["total"] > 1e-9 else "saves" if total["total"] < -1e-9 else "changes"
        console.print(f"{flip[0].upper() + flip[1:]} {verdict} {abs(total['total']):,.6g}"
                      + (f" ({parts})" if parts else "")
                      + (f": that is why it is {state} in this layout" if total["total"] > 1e-9 else ""),
                      highlight=False)
    if out is not None:
        from ..io import atomic_write_text

        out.mkdir(parents=True, exist_ok=True)
        # why the flip is not possible (the rules found to block it, and their instance fields) travels with it
        written = table.assign(why=a["why"], blocked_by=a.get("blocked_by", ""))
        atomic_write_text(out / "site.csv", written.to_csv(index=False, float_format="%.10g"))


def _print_prices(instance: Path, solution: Path, out: Optional[Path], period: Optional[int] = None,
                  deadline=None, kept: str = "nothing written", reoptimise: bool = False) -> None:
    """``deadline`` carries the stop a signal sets (:func:`yrdopt.cli_common.run_stoppable`); ``reoptimise``:
    every quota and guarantee used to the limit re-solved with one unit (step) more (not per period)."""
    import pandas as pd

    from ..analysis.explain import proven_column, resolved_gain, shadow_prices, unproven_layout_words
    from ..io import load_instance
    from ..schema import region_names, resource_units

    reoptimise = reoptimise and period is None

    def work():  # the instance read once: its units and guarantee descriptions label the tables
        inst = load_instance(instance)
        return inst, shadow_prices(inst, solution, period=period, deadline=deadline, reoptimise=reoptimise)

    inst, p = run_stoppable(work, deadline.stop, kept)
    when = f" in {period} (the plan's discounted objective; every period's sites fixed)" if period is not None else \
        "; placements fixed"
    units = resource_units(inst)
    per = {res: f" per {unit}" if unit else "" for res, unit in units.items()}
    # a price is per unit of the resource's own unit: "per km2 of land"
    names = region_names(inst)
    prices = p.matrix().rename(columns=lambda res: f"per {units[res]} of {res}" if units.get(res) else res,
                               index=lambda r: names.get(r, r))
    console.print(_df_table(prices, "Value of one more unit of quota (objective decrease per unit"
                            + when + ")", fmt="{:,.6g}"))
    from ..analysis.explain import TIGHT_SLACK_SHARE
    from ..analysis.limit_words import LP_PRICE_HOLDS

    tight = p.quotas[p.quotas["tight"]]
    resolved = [t["resolved_status"] for t in (p.quotas, p.guarantees, p.budgets)
                if t is not None and len(t) and "resolved_status" in t]
    if p.layout_above > 0 and any(s.map(lambda v: isinstance(v, str) and v != "").any() for s in resolved):
        # a re-solve's gain from a layout not proven best is partly the layout's own (the workbench says it alike)
        console.print(unproven_layout_words(p.layout_status, p.layout_above, "solve it with more --time-limit"),
                      highlight=False, style="bold")
    if len(tight):
        for r in tight.itertuples():
            unit = f" {units[r.resource]}".rstrip()
            line = (f"used to the limit: {names.get(r.region, r.region)} {r.resource}, {r.used:.6g} of {r.quota + r.extra:.6g}{unit} "
                    f"(slack {max(r.slack, 0.0):.4g}); LP price {r.value_per_unit:.6g}{per[r.resource]}")
            if r.resolved_status:  # re-solved
                line += "; one more unit with the layout re-optimised: " + resolved_gain(
                    r.resolved_value_per_unit, r.resolved_value_most, r.resolved_status, layout_above=p.layout_above)
            console.print(line, highlight=False)
        console.print(LP_PRICE_HOLDS + "." + (" Each quota used to the limit was re-solved with one unit more (the sites "
                                        "free to move)." if reoptimise else
                                        " An LP price is 0 while any slack is left: where a nearly used quota keeps a "
                                        "site out, only the re-solve shows it (done where the LP price is 0; "
                                        "--reoptimise re-solves every quota used to the limit)."),
                      highlight=False, style="dim")
    else:
        console.print(f"no quota is used to the limit (every one has more than {TIGHT_SLACK_SHARE:.0%} left)",
                      highlight=False)
    if len(p.guarantees):
        # each guarantee as the instance describes it (else what it asks of whom, as the workbench says it); the
        # price column says what it is (the instance's value_per_unit is another thing) and in what unit
        from ..analysis.limit_words import NOT_PRICED, guarantee_rows, guarantee_worth

        said = guarantee_rows(p.guarantees, inst)  # its amounts in its unit ("1 chain"): the measure is said in them
        worth = [guarantee_worth(r) for r in p.guarantees.itertuples()]
        g = pd.DataFrame({"guarantee": [r["guarantee"] for r in said], "required": [r["required"] for r in said],
                          "reached": [r["reached"] for r in said],
                          "used to the limit": p.guarantees["binding"].map(lambda b: "yes" if b else ""),
                          "LP price": [w[0] for w in worth]})
        if any(w[1] for w in worth):
            g["re-solved, relaxed by one"] = [w[1] for w in worth]
        console.print(_df_table(g.set_index("guarantee"),
                                "Guarantees (worth: the objective's decrease per unit no longer required — per unit "
                                "of value, a share guarantee's also per percentage point of the area's value; per "
                                "chain re-solved)"))
        if any(w[0] == "n/a" for w in worth):
            console.print(NOT_PRICED + ": " + ("its re-solve is beside it" if reoptimise else "--reoptimise re-solves it relaxed by "
                             "one step") + "; `yrdopt guarantees` re-solves it dropped.", highlight=False, style="dim")
    if p.budgets is not None and len(p.budgets):
        from ..analysis.limit_words import budget_words

        # each budget as the instance sets it ("change budget in Anhui: at most 1 sites closed"), as the report
        # and the workbench say it: its field and scope are in those words; the unit stays (the limit's)
        b = (p.budgets.assign(budget=[budget_words(str(path), inst) for path in p.budgets["path"]])
             .drop(columns=["path", "scope"]).rename(columns={"value_per_unit": "LP price", "binding": "used to the limit"}))
        # a status per re-solved row, "" elsewhere (an all-NaN column where none was, e.g. per period: fillna("")
        # on a float column warns in pandas 2.2+ and will raise)
        status = b["resolved_status"].map(lambda v: v if isinstance(v, str) else "") if "resolved_status" in b else None
        resolved = status is not None and bool((status != "").any())
        if resolved:  # a re-solve's figure says whether it is proven
            b["one more, re-solved"] = [resolved_gain(v, most, st, short=True) if st else "" for v, most, st in
                                        zip(b["resolved_value_per_unit"], b["resolved_value_most"], status)]
        # per period of a plan: LP prices only (the sites fixed, so a site budget's is 0)
        from ..analysis.explain import RESOLVED_COLUMNS

        b = b.drop(columns=[c for c in RESOLVED_COLUMNS if c in b])
        how = ("re-solved where used to the limit" if resolved else
               "LP prices with every site fixed as written: a site budget's is 0 here; solve with the budget "
               "raised to see what one more is worth")
        console.print(_df_table(b.set_index("budget"), "Change budgets (objective decrease per site, or per unit of "
                                f"activity moved, the budget grows by; {how})"))
    if out is not None:
        from ..io import atomic_write_text

        out.mkdir(parents=True, exist_ok=True)
        atomic_write_text(out / "prices.csv", proven_column(p.quotas).to_csv(index=False, float_format="%.10g"))
        if len(p.guarantees):
            atomic_write_text(out / "guarantee_prices.csv", proven_column(p.guarantees).to_csv(index=False, float_format="%.10g"))
        if p.budgets is not None and len(p.budgets):
            atomic_write_text(out / "budget_prices.csv", proven_column(p.budgets).to_csv(index=False, float_format="%.10g"))

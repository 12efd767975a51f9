"""Report commands: the HTML report, maps, Excel out (solutions) and in (instance template).

Thin shells over :mod:`yrdopt.report.html`, :mod:`yrdopt.report.maps` and :mod:`yrdopt.excel`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..cli_common import console, print_warning, run_guarded
from ..errors import InstanceError, Problem


def register(app: typer.Typer) -> None:
    @app.command("report")
    def report_cmd(
        solution: Path = typer.Argument(..., help="solution directory written by `yrdopt solve` (layout.csv, summary.json)"),
        out: Path = typer.Option(Path("report.html"), "--out", "-o", help="the HTML file to write (one self-contained file)"),
        instance: Optional[Path] = typer.Option(None, "--instance", "-i", help="the instance solved (default: found by "
                                                "the hash in summary.json: DIR/instance.yaml, the embedded default, instances/*.yaml)"),
        pareto: Optional[Path] = typer.Option(None, "--pareto", help="front.csv of `yrdopt pareto` (or its directory; "
                                              "default: DIR/pareto*.csv, DIR/front*.csv)"),
        sweep: Optional[Path] = typer.Option(None, "--sweep", help="a sweep's output directory: its tornado.csv and "
                                             "frequency.csv become charts"),
        tornado: Optional[Path] = typer.Option(None, "--tornado", help="tornado CSV (default: SWEEP/ or DIR/tornado*.csv)"),
        frequency: Optional[Path] = typer.Option(None, "--frequency", help="segment x region frequency CSV, or a sweep's "
                                                 "stacked layouts (default: SWEEP/ or DIR/frequency*.csv)"),
        title: Optional[str] = typer.Option(None, "--title", help="report title"),
    ) -> None:
        """Write one self-contained HTML report (maps, charts, tables; no network needed to open it)."""
        from ..report.html import write_report

        def go():
            for p in (pareto, sweep, tornado, frequency):
                if p is not None and not p.exists():
                    raise InstanceError([Problem(str(p), "", "missing", "an existing file or directory")])
            from ..app.server import report_status
            from ..app.workspace import scenario_at

            from ..analysis.explain import alternative_of, alternative_words, read_summary

            # a workbench scenario's folder: its status as the page says it (an alternative's own); a folder of
            # `yrdopt alternatives` says what it is, not its distance MIP's "optimal"
            said = report_status(scenario_at(solution))
            alternative = alternative_of(solution, read_summary(solution)) if said is None else None
            return write_report(solution, out, instance, pareto=pareto, tornado=tornado or sweep,
                                frequency=frequency or sweep, title=title,
                                status_text=said if alternative is None else alternative_words(alternative))

        path = run_guarded(go)
        console.print(f"report written to {path} ({path.stat().st_size / 1e6:.2f} MB)", highlight=False)

    @app.command("map")
    def map_cmd(
        solution: Path = typer.Argument(..., help="solution directory"),
        out: Path = typer.Option(Path("map.png"), "--out", "-o", help="image file (.png, .svg, .pdf)"),
        instance: Optional[Path] = typer.Option(None, "--instance", "-i", help="the instance solved (default: as for report)"),
        by: str = typer.Option("chain", "--by", help="chain: one map per chain; kind: one map per segment kind"),
        compare: Optional[Path] = typer.Option(None, "--compare", help="a layout CSV or solution directory to compare "
                                               "against: draws the placements that moved"),
        no_flows: bool = typer.Option(False, "--no-flows", help="do not draw flows"),
        period: Optional[str] = typer.Option(None, "--period", help="a phased plan: YEAR draws that period's layout; "
                                             "'all' (the default for a phased plan) what moved in every period, one panel each"),
    ) -> None:
        """Draw a layout as maps (one small multiple per chain or per segment kind).

        A phased plan (layout.csv with a period column) is drawn per period: ``--period all``
        one panel per period with the sites that moved since the period before, ``--period
        2030`` the layout of 2030."""
        import pandas as pd

        from ..report import maps
        from ..report.html import resolve_instance
        from ..solution import load_solution_tables

        def go():
            if by not in ("chain", "kind"):
                raise InstanceError([Problem("command line", "--by", by, "chain or kind")])
            inst, warnings = resolve_instance(solution, instance)
            t = load_solution_tables(solution)
            if inst.periods is not None or period is not None:
                fig = _period_map(inst, t, period, by, not no_flows)
            elif compare is not None:
                src = compare / "layout.csv" if compare.is_dir() else compare
                if not src.exists():
                    raise InstanceError([Problem(str(src), "", "missing file", "a layout CSV or a solution directory")])
                before = pd.read_csv(src)
                if "sited" not in before.columns:
                    before["sited"] = True
                fig = maps.comparison_map(inst, before, t["layout"], names=(compare.name if compare.is_dir() else src.stem, "this layout"))
            else:
                fig = maps.layout_map(inst, t["layout"], t["flows"], by=by, show_flows=not no_flows)
            from ..io import atomic_savefig

            atomic_savefig(fig, out, dpi=120, facecolor="white")
            return warnings

        for w in run_guarded(go):
            print_warning(console, str(w))
        console.print(f"map written to {out}", highlight=False)

    def _period_map(inst, tables, period, by, show_flows):
        from ..report import periods

        years = [m.year for m in inst.periods.milestones] if inst.periods is not None else []
        if not years or "period" not in tables["layout"].columns:
            raise InstanceError([Problem("command line", "--period", period,
                                         "no --period: the instance has no periods (or layout.csv no period column)")])
        views = periods.period_views(inst, tables)
        if period is None or period == "all":
            return periods.all_periods_map(inst, views, panel_size=4.5)
        try:
            year = int(period)
        except ValueError:
            year = None
        if year not in years:
            raise InstanceError([Problem("command line", "--period", period,
                                         f"one of the plan's years ({', '.join(map(str, years))}) or 'all'")])
        return periods.period_layout_map(inst, views, year, by=by, show_flows=show_flows)

    @app.command("export-excel")
    def export_excel_cmd(
        solution: Path = typer.Argument(..., help="solution directory"),
        out: Path = typer.Argument(..., help="the .xlsx workbook to write"),
        instance: Optional[Path] = typer.Option(None, "--instance", "-i", help="the instance solved: adds region names "
                                                "(English, Chinese) and provinces to the layout sheet"),
    ) -> None:
        """Write every table of a solution directory as one sheet of a workbook (plus the summary).
        A workbench scenario's folder (WORKSPACE/scenarios/ID) gets the page's export, its "scenario" sheet first."""
        from ..app.workspace import scenario_at
        from ..excel import export_solution
        from ..io import load_instance
        from ..report.html import resolve_instance

        def go():
            scenario = scenario_at(solution)
            if scenario is not None:  # the one code path of the page's export
                from ..app.server import export_scenario

                return export_scenario(scenario, out, load_instance(instance) if instance is not None else None)
            try:
                inst = resolve_instance(solution, instance)[0]
            except InstanceError:
                if instance is not None:
                    raise
                inst = None  # names are a nicety: export without them
            return export_solution(solution, out, inst)

        path = run_guarded(go)
        console.print(f"workbook written to {path}", highlight=False)

    @app.command("template")
    def template_cmd(
        out: Path = typer.Argument(..., help="the .xlsx workbook to write"),
        from_instance: Optional[Path] = typer.Option(None, "--from", help="fill the workbook with this instance "
                                                     "(YAML/JSON/xlsx) instead of leaving it empty"),
        force: bool = typer.Option(False, "--force", help="replace OUT if it exists"),
    ) -> None:
        """Write an instance workbook: one sheet per part of the schema; fill it and run `yrdopt solve BOOK.xlsx`."""
        from ..excel import write_workbook
        from ..io import load_instance

        def go():
            if out.suffix.lower() != ".xlsx":
                raise InstanceError([Problem("command line", "OUT", str(out), "a file name ending in .xlsx")])
            if out.exists() and not force:  # a filled workbook is hours of work
                raise InstanceError([Problem("command line", "OUT", str(out),
                                             "a file that does not exist yet (pass --force to replace it)")])
            inst = load_instance(from_instance) if from_instance is not None else None
            return write_workbook(inst, out)

        path = run_guarded(go)
        what = f"instance {from_instance}" if from_instance else "empty template"
        console.print(f"{what} written to {path}; fill it, then `yrdopt validate {path}`", highlight=False)

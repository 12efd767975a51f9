"""Benefit-sharing commands: what each guarantee costs (a thin shell over
:mod:`yrdopt.analysis.guarantee_costs`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from ..cli_common import console, run_guarded


def _num(v, fmt: str = "{:,.4f}") -> str:
    if v is None or v != v:
        return "n/a"
    return fmt.format(0.0 if abs(v) < 5e-9 * max(1.0, abs(v)) + 5e-9 else v)  # no "-0.0000" from solver noise


def register(app: typer.Typer) -> None:
    @app.command("guarantees")
    def guarantees_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="write guarantee_costs.csv here"),
        time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds per solve"),
        gap: float = typer.Option(1e-6, "--gap", help="relative MIP gap of every solve"),
        threads: Optional[int] = typer.Option(None, "--threads"),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """What each guarantee costs: the optimum with it dropped and tightened by a step, and its LP price."""
        from ..analysis.guarantee_costs import guarantee_costs, write
        from ..solver import SolverOptions

        opts = SolverOptions(time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed)
        res = run_guarded(lambda: guarantee_costs(instance, options=opts))
        t = Table(title="What each guarantee costs (objective; re-solved)")
        t.caption = ("drop saves: optimum minus the optimum without it; step costs: re-solved with it tightened by "
                     "the step; LP price: fixed-placement dual per unit of value, and the step it prices")
        for c in ("guarantee", "", "drop saves", "step", "step costs", "LP price", "LP est."):
            t.add_column(c, justify="left" if c in ("guarantee", "step") else "right", overflow="fold")
        for r in res.table.itertuples(index=False):
            t.add_row(r.guarantee, "soft" if r.soft else "hard", _num(r.saving_if_dropped), r.step,
                      _num(r.cost_of_step) if r.objective_tightened is not None and r.objective_tightened == r.objective_tightened
                      else "infeasible", _num(r.lp_price_per_unit), _num(r.lp_estimate_of_step))
        console.print(t)
        console.print(f"optimum with the guarantees {res.objective:,.4f}; without any "
                      f"{_num(res.without_any)}; the guarantees cost {_num(res.cost_of_all)}", highlight=False)
        if out is not None:
            write(res, out)
            console.print(f"written to {out}/guarantee_costs.csv", highlight=False)

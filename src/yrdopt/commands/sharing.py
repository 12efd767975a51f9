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


def _within_gap(least, most) -> str:
    """A difference the solves' gaps cannot tell from 0: the interval they prove (never a bare 0:
    the truth may be anywhere in it)."""
    lo = "0" if least is None or least != least or least <= 0 else f"{least:,.4g}"
    hi = "?" if most is None or most != most else f"{max(most, 0.0):,.4g}"
    return f"{lo} – {hi} (not resolved at this gap)"


def _resolved(v, status: str, noise: bool = False, least=None, most=None) -> str:
    """A re-solve's figure: "infeasible", "no layout in time", the interval where the solves' gaps
    cannot tell it from 0, or the number; where the re-solve stopped at its share of the time limit,
    the interval its bounds prove, marked "*" (its layout's figure is only one end of it: Jiangsu's
    ceiling on yrd-provinces at --time-limit 20 "saves 11.7878 *" where 16.10 is proven; now
    "11.79 – 27.53 *")."""
    if status == "infeasible":
        return "infeasible"
    if v is None or v != v:
        return "no layout in time"
    if status == "optimal":
        return _within_gap(least, most) if noise else _num(v)
    if noise:
        return _within_gap(least, most).replace(" (not resolved at this gap)", "") + " *"
    lo = v if least is None or least != least else least
    if most is None or most != most or abs(most - lo) <= 5e-9 * max(1.0, abs(most)):
        return _num(v) + " *"  # its bound proves no more (or none is known): the layout's figure
    return f"{lo:,.4g} – {max(most, lo):,.4g} *"


def register(app: typer.Typer) -> None:
    @app.command("guarantees")
    def guarantees_cmd(
        instance: Path = typer.Argument(..., help="instance file"),
        out: Optional[Path] = typer.Option(None, "--out", "-o", help="write guarantee_costs.csv here"),
        time_limit: Optional[float] = typer.Option(None, "--time-limit", help="seconds for the whole command (its "
                                                   "solves share them)"),
        gap: float = typer.Option(1e-6, "--gap", help="relative MIP gap of every solve"),
        threads: Optional[int] = typer.Option(None, "--threads"),
        seed: int = typer.Option(0, "--seed"),
    ) -> None:
        """What each guarantee costs: the optimum with it dropped and tightened by a step, and its LP price."""
        import threading

        from ..analysis.guarantee_costs import guarantee_costs, write
        from ..cli_common import run_stoppable, solver_options

        opts = run_guarded(lambda: solver_options(time_limit=time_limit, mip_gap=gap, threads=threads, seed=seed))
        # its solves run under the handlers of Ctrl-C and SIGTERM: the first ends the running one at HiGHS's
        # next callback and starts no other (before: HiGHS in the main thread heard a signal only once it returned)
        stop = threading.Event()
        res = run_stoppable(lambda: guarantee_costs(instance, options=opts, stop=stop), stop, "nothing written")
        t = Table(title="What each guarantee costs (objective; re-solved)")
        t.caption = ("drop saves: optimum minus the optimum without it; step costs: re-solved with it tightened by "
                     "the step; a – b (not resolved at this gap): a difference of two optima the solves' --gap cannot "
                     "tell from 0, with the interval their bounds prove (lower --gap to resolve it); LP price: fixed-placement dual per unit of value, and the step it prices; "
                     "*: the re-solve stopped at its share of --time-limit: the interval its bounds prove (the "
                     "true saving is at least its layout's, a step's cost at most its layout's; give more time)")
        for c in ("guarantee", "", "drop saves", "step", "step costs", "LP price", "LP est."):
            t.add_column(c, justify="left" if c in ("guarantee", "step") else "right", overflow="fold")
        from ..analysis.limit_words import guarantee_words
        from ..io import load_instance

        inst = load_instance(instance)  # each guarantee as the instance describes it, as `prices` says it
        by_path = dict(inst.policy.all_guarantees())
        for r in res.table.itertuples(index=False):
            g = by_path.get(str(r.path))
            t.add_row(guarantee_words(g, inst) if g is not None else r.guarantee, "soft" if r.soft else "hard",
                      _resolved(r.saving_if_dropped, r.dropped_status, r.saving_if_dropped_within_gap,
                                r.saving_if_dropped_least, r.saving_if_dropped_most),
                      r.step, _resolved(r.cost_of_step, r.tightened_status, r.cost_of_step_within_gap,
                                        r.cost_of_step_least, r.cost_of_step_most),
                      _num(r.lp_price_per_unit), _num(r.lp_estimate_of_step))
        console.print(t)
        best = "optimum" if res.status == "optimal" else f"best layout found (not proven optimal: --time-limit, {res.status})"
        if not res.has_guarantees:  # only the base solve ran: nothing was dropped, nothing re-solved
            console.print(f"{best} {res.objective:,.4f}; the instance has no guarantees, so the guarantees cost "
                          f"{_num(0.0)} (no solve without them ran: it would be this one)", highlight=False)
        else:
            without = _resolved(res.without_any, res.without_any_status)
            cost = (_within_gap(res.cost_of_all_least, res.cost_of_all_most) if res.cost_of_all_within_gap
                    else _num(res.cost_of_all)) + (
                "" if res.proven or res.cost_of_all is None else
                f" (not proven: with them {res.status}, without {res.without_any_status}; "
                "a solve stopped at its share of --time-limit)")
            console.print(f"{best} with the guarantees {res.objective:,.4f}; without any {without}; the guarantees "
                          "cost " + cost, highlight=False)
        if out is not None:
            write(res, out)
            console.print(f"written to {out}/guarantee_costs.csv and guarantee_costs.json", highlight=False)

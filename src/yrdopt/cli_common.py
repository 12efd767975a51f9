"""Shared pieces of the command line: the Typer app, consoles, and error-to-exit-code mapping.

Feature modules in :mod:`yrdopt.commands` import from here and register their commands
on ``app``; :mod:`yrdopt.cli` discovers them.
"""

from __future__ import annotations

import typer
from rich.console import Console

from .errors import InfeasibleError, InstanceError, SolverError, YrdoptError

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="yrdopt: inter-regional division of labour of industry chains (MILP on HiGHS).")
console = Console()
err = Console(stderr=True)

EXIT_INPUT, EXIT_INFEASIBLE, EXIT_SOLVER, EXIT_UNVERIFIED = 2, 3, 4, 5


def fail(message: str, code: int) -> None:
    err.print(f"[bold red]error:[/] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def run_guarded(fn):
    """Turn the errors a user can cause into messages and exit codes."""
    try:
        return fn()
    except InstanceError as exc:
        fail(exc.message(), EXIT_INPUT)
    except InfeasibleError as exc:
        fail(exc.explanation, EXIT_INFEASIBLE)
    except SolverError as exc:
        fail(str(exc), EXIT_SOLVER)
    except YrdoptError as exc:
        fail(str(exc), EXIT_INPUT)
    except KeyboardInterrupt:
        fail("interrupted", 130)



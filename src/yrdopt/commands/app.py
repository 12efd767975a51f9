"""`yrdopt app`: the planner's workbench in the browser (a thin shell over :mod:`yrdopt.app`)."""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from ..cli_common import EXIT_INPUT, console, fail, run_guarded


def register(app: typer.Typer) -> None:
    @app.command("app")
    def app_cmd(
        instance: Optional[Path] = typer.Argument(None, help="instance file (.yaml/.json/.xlsx); default: the embedded 4-province instance"),
        port: int = typer.Option(8765, "--port", "-p", help="TCP port (0: any free port)"),
        host: str = typer.Option("127.0.0.1", "--host", help="address to bind; anything but loopback needs --allow-remote"),
        workspace: Path = typer.Option(Path("yrdopt-workbench"), "--workspace", "-w",
                                       help="directory of saved scenarios (each one a `yrdopt solve` output directory)"),
        allow_remote: bool = typer.Option(False, "--allow-remote", help="serve beyond this machine (requires a token)"),
        token: Optional[str] = typer.Option(None, "--token", help="access token (default with --allow-remote: a random one)"),
        time_limit: float = typer.Option(60.0, "--time-limit", help="default seconds per solve (the page can change it)"),
        solve_on_start: bool = typer.Option(True, "--solve/--no-solve", help="solve the opened instance at start when "
                                            "the workspace has no solve of it yet"),
    ) -> None:
        """Start the workbench: map, what-if editor, background solves, saved scenarios, comparisons."""
        from ..app.server import ClientError, Workbench, is_loopback, make_server, new_token

        from ..solver import time_limit_problem

        if time_limit_problem(time_limit):
            fail(f"command line: --time-limit: got {time_limit:g}; expected {time_limit_problem(time_limit)}", EXIT_INPUT)
        if not is_loopback(host) and not allow_remote:
            fail(f"--host {host} serves beyond this machine: add --allow-remote (a token is then required)", EXIT_INPUT)
        if allow_remote and not token:
            token = new_token()
        wb = run_guarded(lambda: Workbench(instance, workspace, token=token, time_limit=time_limit,
                                               solve_on_start=solve_on_start))
        try:
            srv = make_server(wb, host, port, allow_remote=allow_remote)
        except ClientError as exc:
            fail(exc.message, EXIT_INPUT)
        except OSError as exc:
            fail(f"cannot listen on {host}:{port}: {exc.strerror or exc}", EXIT_INPUT)
        shown = "127.0.0.1" if host in ("0.0.0.0", "::") else host
        url = f"http://{'[' + shown + ']' if ':' in shown else shown}:{srv.server_address[1]}/"
        if token:
            url += f"?token={token}"
        console.print(f"yrdopt workbench: {url}", highlight=False, soft_wrap=True)
        console.print(f"instance {wb.instance.name}; scenarios in {workspace}/scenarios; Ctrl-C to stop", highlight=False)
        try:
            srv.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            srv.server_close()

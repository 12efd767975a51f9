from pathlib import Path

import pytest

TESTS = Path(__file__).parent
DATA = TESTS / "data"
ROOT = TESTS.parent
# what a command that keeps --time-limit may end past it: HiGHS's own overrun of its last MIP (it
# looks at the clock between simplex iterations and nodes: 0.1-1 s on the generated instances of
# the time-limit tests on a loaded 2-core machine, up to 2.6 s at the 41x30x4 root LP), plus the
# files and tables after it
HIGHS_OVERRUN_S = 3.0


def run_child_cpu(argv: list[str], timeout: float = 300, **kwargs):
    """Run ``yrdopt ARGV`` as its own process: (its CompletedProcess, the CPU seconds it used, start-up
    included).  A time-limit test bounds this, not wall time: on a loaded shared machine the wall time
    measures the other jobs too, the child's own CPU only its work (a limit kept: at most the limit)."""
    import resource
    import subprocess
    import sys

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    res = subprocess.run([sys.executable, "-m", "yrdopt.cli", *argv], capture_output=True, text=True, timeout=timeout,
                         **kwargs)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)  # the waited-for child's CPU seconds
    return res, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


@pytest.fixture
def williams_path() -> Path:
    return DATA / "williams_decentralization.yaml"


class CliResult:
    def __init__(self, returncode: int, stdout: str, stderr: str):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


def run_cli(*args) -> CliResult:
    """Run the command line in this process (no interpreter start-up: ~1 s less per call). An
    exception that escapes the CLI is reported as a traceback in stderr, as a real run would."""
    import traceback

    from typer.testing import CliRunner

    from yrdopt.cli import app

    res = CliRunner().invoke(app, [str(a) for a in args])
    stderr = res.stderr
    if res.exception is not None and not isinstance(res.exception, SystemExit):
        stderr += "Traceback (most recent call last):\n" + "".join(traceback.format_exception(res.exception))
    return CliResult(res.exit_code, res.stdout, stderr)

"""Output a person can read: no solver banner unless asked, tables that fit, a fast start."""

import subprocess
import sys

from conftest import DATA


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "yrdopt.cli", *map(str, args)], capture_output=True, text=True)


def test_default_output_has_no_highs_banner(tmp_path):
    for extra in ([], ["-q"]):
        res = run_cli("solve", DATA / "toy_features.yaml", "--out", tmp_path / "sol", *extra)
        assert res.returncode == 0, res.stderr
        assert "Running HiGHS" not in res.stdout + res.stderr
        assert "Copyright" not in res.stdout + res.stderr


# the workbench printed its address while its start-up solve made the process's first HiGHS,
# whose banner is hidden by pointing fd 1 away for that moment: the address was lost (3 starts in
# 130 under load), and the kill test waited for it until pytest's timeout.  Here another thread
# prints at that moment, deterministically: the real HiGHS constructor waits until it has.
_PRINTS_WHILE_HIGHS_STARTS = """
import threading, highspy
from yrdopt.solver import new_highs
real, go, printed = highspy.Highs, threading.Event(), threading.Event()
def printer():
    go.wait()
    print("printed while HiGHS starts", flush=True)
    printed.set()
def highs_beside_a_printer():
    go.set()
    printed.wait(30)
    return real()
threading.Thread(target=printer).start()
highspy.Highs = highs_beside_a_printer
new_highs()
print("done", flush=True)
"""


def test_output_of_other_threads_is_kept_while_the_highs_banner_is_hidden():
    res = subprocess.run([sys.executable, "-c", _PRINTS_WHILE_HIGHS_STARTS], capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines() == ["printed while HiGHS starts", "done"]  # no banner, nothing lost


_NO_TEMP_DIR = """
import tempfile
tempfile.tempdir = "/nonexistent/yrdopt-no-temp-dir"
from yrdopt.solver import new_highs
new_highs()
print("made")
"""


def test_the_first_highs_is_made_without_a_writable_temporary_directory():
    """Hiding the banner holds stdout in a temporary file; with none to be had (a read-only
    container) the first HiGHS is made all the same (before: FileNotFoundError)."""
    res = subprocess.run([sys.executable, "-c", _NO_TEMP_DIR], capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    assert res.stdout.splitlines()[-1] == "made"


HEAVY = ("pandas", "matplotlib", "pyomo", "highspy", "scipy")


def _modules_after(code: str) -> list[str]:
    probe = (code + "\nimport sys\n"
             f"print('HEAVY:', *[m for m in {HEAVY!r} if m in sys.modules])")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    line = next(x for x in r.stdout.splitlines() if x.startswith("HEAVY:"))
    return line.split()[1:]


def test_the_command_line_starts_without_the_heavy_modules():
    # `yrdopt --help` imports yrdopt.cli and every command module; none may pull the solver stack
    assert _modules_after("import yrdopt.cli") == []
    # validate needs the schema and the index sets only (numpy, pydantic, yaml)
    run_validate = ("import sys, yrdopt.cli as c\n"
                    f"sys.argv = ['yrdopt', 'validate', {str(DATA / 'toy_features.yaml')!r}]\n"
                    "try:\n    c.main()\nexcept SystemExit:\n    pass")
    assert _modules_after(run_validate) == []


def test_one_round_off_is_read_by_the_checker_the_diagnosis_and_the_printed_costs():
    """The checker's tolerance is written once, in a module that imports nothing (the CLI's start
    path reads it through analysis.costs), and the checker, diagnose, the cost words and the HTML
    report all read that one value: before, analysis.costs and report.html each wrote their own
    1e-6 beside checker.TOLERANCE, and diagnose read it from the checker (pandas)."""
    from yrdopt import checker, tolerance
    from yrdopt.analysis import costs, diagnose
    from yrdopt.report import html

    for reader in (checker.TOLERANCE, diagnose.ROUND_OFF, costs.ROUND_OFF, html.ROUND_OFF):
        assert reader is tolerance.TOLERANCE
    probe = "import sys, yrdopt.tolerance\nprint('HEAVY:', *[m for m in sys.modules if m.split('.')[0] in " \
            "('numpy', 'pydantic', 'pandas')])"
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.split() == ["HEAVY:"], r.stdout + r.stderr
    # round-off reads 0 wherever a cost is printed
    assert costs.money(0.5 * tolerance.TOLERANCE) == "0.00" and html._number(-0.5 * tolerance.TOLERANCE) == "0"


def test_progress_line_shows_elapsed_best_bound_and_gap_only_after_the_delay():
    import io
    import time

    from rich.console import Console

    from yrdopt.cli_common import SolveProgress

    buf = io.StringIO()
    prog = SolveProgress("solving", console=Console(file=buf, force_terminal=True, width=100))
    assert prog.enabled
    prog(0.5, 120.0, 100.0, 0.1667)
    assert prog.line().startswith("solving: ") and "best 120" in prog.line() and "gap 16.67%" in prog.line()
    assert str(prog.__rich__()) == ""  # nothing before the delay
    prog.t0 = time.monotonic() - SolveProgress.DELAY_S
    assert "bound 100" in str(prog.__rich__())
    assert not SolveProgress(console=Console(file=io.StringIO())).enabled  # not a terminal: quiet
    assert not SolveProgress(quiet=True, console=Console(file=io.StringIO(), force_terminal=True)).enabled


def test_progress_line_names_the_phase_before_highs_reports():
    import io

    from rich.console import Console

    from yrdopt.cli_common import SolveProgress
    from yrdopt.progress import KERNEL, Phases

    prog = SolveProgress("solving", console=Console(file=io.StringIO(), force_terminal=True, width=120))
    phases = Phases(prog)  # as yrdopt.api.search reports to the CLI's hook
    phases.enter(KERNEL)
    assert prog.line().split("  ")[1:] == ["kernel search", "best -", "bound -", "gap -"]
    phases.layout(39704.5)
    phases.bounded(32276.0)
    assert prog.line().split("  ")[1:] == ["kernel search", "best 39,704.5", "bound 32,276", "gap 18.71%"]
    prog(3.0, 39000.0, 33000.0, 0.1538)  # a hook called without a phase (HiGHS directly) shows none
    assert prog.line().split("  ")[1:] == ["best 39,000", "bound 33,000", "gap 15.38%"] and prog.solves == 1


def test_tables_keep_small_numbers_and_whole_region_names(tmp_path):
    from yrdopt.cli_common import fmt_num

    assert fmt_num(1.2e-05) == "1.20000e-05" and fmt_num(0.0) == "0"
    assert fmt_num(3356.1498) == "3,356.15" and fmt_num(-0.00345) == "-0.00345"
    # piped output is 80 columns wide: the default layout's longest cell used to end in "Zhejian…"
    res = run_cli("solve", "--out", tmp_path / "sol")
    assert res.returncode == 0, res.stderr
    assert "…" not in res.stdout
    assert "Zhejiang" in res.stdout

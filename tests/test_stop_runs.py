"""Stopping a long planning run: Ctrl-C (SIGINT) or SIGTERM while a MIP of `alternatives`,
`pareto` or a sweep's pool runs stops HiGHS through its stop flag, keeps every layout already
written (checked again here from the files), prints one line naming what was kept and where,
and exits 130 (143) — never 0, never "the solver reported an error", never a traceback.  From
Python, alternatives() raises KeyboardInterrupt, not SolverError.  Real processes, real signals,
real HiGHS on a generated 16-region model whose MIPs run to their time limit."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
import yaml

import yrdopt
from yrdopt.generate import generate_dict, write_generated
from test_sweep_backends import _children, _wait_until_all_ended
from conftest import run_cli

# each MIP runs to this limit on the 16x10x4 model (HiGHS proves none of them within a minute);
# a signal SIGNAL_AFTER_S after a layout is printed finds the next MIP searching: its local-search
# start takes at most a quarter of the limit (api.construct_seconds), its MIP the rest
LIMIT_S = 6
SIGNAL_AFTER_S = 3.5
EXIT_S = 10.0  # most seconds from the signal to the exit (about 1 s idle; a loaded 2-core machine)


@pytest.fixture(scope="module")
def instance(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("stop") / "g16.yaml"
    write_generated(generate_dict(16, 10, 4, seed=4), path)
    return path


def wait_for(cond, proc: subprocess.Popen, what: str, timeout: float = 180.0, err: Path | None = None) -> None:
    t0 = time.monotonic()
    while not cond():
        assert proc.poll() is None, f"ended before {what}: {err.read_text() if err else ''}"
        assert time.monotonic() - t0 < timeout, f"no {what} within {timeout} s"
        time.sleep(0.05)


def run_until(cmd: list[str], tmp_path: Path, ready, sig: int):
    """Start ``cmd``; once ``ready(stdout so far)``, wait SIGNAL_AFTER_S and send ``sig``.
    Returns (exit code, seconds from the signal to the exit, stdout, stderr)."""
    out_f, err_f = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out_f, "w") as o, open(err_f, "w") as e:
        proc = subprocess.Popen(cmd, stdout=o, stderr=e)
    try:
        wait_for(lambda: ready(out_f.read_text()), proc, "layout", err=err_f)
        time.sleep(SIGNAL_AFTER_S)
        assert proc.poll() is None, err_f.read_text()
        t0 = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=60)
        took = time.monotonic() - t0
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, took, out_f.read_text(), err_f.read_text()


def assert_one_line_no_error(err: str) -> str:
    assert "Traceback" not in err and "solver reported an error" not in err and "error:" not in err, err
    lines = [ln for ln in err.splitlines() if ln.startswith("interrupted:")]
    assert len(lines) == 1, err
    return lines[0]



def signal_twice(proc, first, second, gap: float) -> float:
    """Send ``first``, then ``second`` ``gap`` s later; wait for the exit and return its seconds
    after the second signal."""
    proc.send_signal(first)
    time.sleep(gap)
    t0 = time.monotonic()
    proc.send_signal(second)
    proc.wait(timeout=60)
    return time.monotonic() - t0

def test_ctrl_c_in_alternatives_keeps_the_layouts_written_and_exits_130(instance, tmp_path):
    out = tmp_path / "alt"
    cmd = [sys.executable, "-m", "yrdopt.cli", "alternatives", str(instance), "-n", "4", "--time-limit", str(LIMIT_S),
           "--out", str(out)]
    # signalled while layout-2's MIP runs (before: the interrupt crossed HiGHS as "the solver reported
    # an error", its start written as layout-2, and the run went on to exit 0)
    code, took, stdout, err = run_until(cmd, tmp_path, lambda s: "layout-1:" in s, signal.SIGINT)
    assert code == 130, err
    assert took < EXIT_S, f"exit {took:.1f} s after Ctrl-C"
    line = assert_one_line_no_error(err)
    man = json.loads((out / "alternatives.json").read_text())
    names = [rec["name"] for rec in man["layouts"]]
    assert names and len(names) < 4 and man["stopped"].startswith("stopped by the user"), man["stopped"]
    assert f"{len(names)} layout" in line and str(out) in line, line
    for name in names:  # every layout kept is whole and passes the independent checker
        assert yrdopt.check(instance, out / name).verified, name
    assert not (out / f"layout-{len(names) + 1}").exists()


def test_sigterm_in_pareto_keeps_the_points_written_and_exits_143(instance, tmp_path):
    out = tmp_path / "front"
    # (at 2 s per MIP a load of 8 left the first stage without a layout: exit 4 before any point)
    cmd = [sys.executable, "-m", "yrdopt.cli", "pareto", str(instance), "--points", "3", "--time-limit", "5",
           "--out", str(out)]
    # once the first point is written, the duplication-first solve's MIPs run (before: SIGTERM's
    # default ended the process at once, front.json left "in_progress")
    code, took, stdout, err = run_until(cmd, tmp_path, lambda s: (out / "front.json").exists(), signal.SIGTERM)
    assert code == 143, err
    assert took < EXIT_S, f"exit {took:.1f} s after SIGTERM"
    line = assert_one_line_no_error(err)
    front = json.loads((out / "front.json").read_text())
    assert front["status"] == "incomplete" and front["stopped"].startswith("stopped by the user"), front
    points = sorted(p for p in out.glob("point-*") if p.is_dir())
    assert points and f"{len(points)} point" in line and str(out) in line, line
    for p in points:
        assert yrdopt.check(instance, p).verified, p.name


def test_ctrl_c_in_a_script_raises_keyboard_interrupt_with_the_layouts_found(instance, tmp_path):
    out, report = tmp_path / "alt", tmp_path / "report.json"
    script = tmp_path / "script.py"
    script.write_text(f"""
import json, sys
from yrdopt.analysis.alternatives import alternatives
from yrdopt.errors import SolverError
from yrdopt.solver import SolverOptions

def show(a):
    print(a.name + ":", flush=True)

try:
    alternatives({str(instance)!r}, 4, options=SolverOptions(time_limit={LIMIT_S}), out={str(out)!r}, progress=show)
    got = {{"returned": True}}
except KeyboardInterrupt as exc:
    got = {{"keyboard_interrupt": True, "layouts": [a.name for a in exc.result.layouts], "message": str(exc)}}
except SolverError as exc:
    got = {{"solver_error": str(exc)}}
open({str(report)!r}, "w").write(json.dumps(got))
""")
    code, took, stdout, err = run_until([sys.executable, str(script)], tmp_path, lambda s: "layout-1:" in s,
                                        signal.SIGINT)
    got = json.loads(report.read_text())
    # before: SolverError "no optimum ...: the solver reported an error", or the run went on to its end
    assert code == 0 and got.get("keyboard_interrupt"), (got, err)
    assert got["layouts"] and str(out) in got["message"], got
    assert [rec["name"] for rec in json.loads((out / "alternatives.json").read_text())["layouts"]] == got["layouts"]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_sigterm_to_a_pool_sweep_stops_its_workers_and_keeps_what_finished(instance, tmp_path):
    # `kill PID` (or a scheduler's SIGTERM) to the sweep alone: before, the sweep died at once
    # (exit -15, nothing said) and its workers ran on until they noticed it was gone
    spec = tmp_path / "spec.yaml"
    spec.write_text(yaml.safe_dump({"instance": str(instance),
                                    "parameters": [{"path": "weights.distance", "values": [0.6, 0.8, 1.25, 1.5, 2.0]}],
                                    "solver": {"time_limit": 6}, "chunk_size": 3, "robust": {"enabled": False},
                                    "check": False}))
    out, err_f = tmp_path / "out", tmp_path / "stderr.txt"
    with open(err_f, "w") as fh:
        proc = subprocess.Popen([sys.executable, "-m", "yrdopt.cli", "sweep", str(spec), "--out", str(out), "--quiet",
                                 "--workers", "2"], stdout=subprocess.DEVNULL, stderr=fh, start_new_session=True)
    try:
        scen = out / "scenarios"
        wait_for(lambda: scen.is_dir() and any(scen.glob("*.json")), proc, "scenario record", err=err_f)
        before = {p.name: p.read_text() for p in scen.glob("*.json")}
        started = [pid for pid, _ in _children(proc.pid)]  # the 2 workers and the resource tracker
        t0 = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
        took = time.monotonic() - t0
        left = _wait_until_all_ended(started, timeout=10)
        kept = {p.name: p.read_text() for p in scen.glob("*.json")}
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.wait()
    err = err_f.read_text()
    assert proc.returncode == 143, err
    assert took < EXIT_S, f"exit {took:.1f} s after SIGTERM"
    line = assert_one_line_no_error(err)
    assert f"{len(kept)} of 6 scenarios" in line and "--resume" in line, line
    assert len(started) >= 3 and not left, f"still running 10 s after the sweep stopped: {left} of {started}"
    assert all(kept[k] == v for k, v in before.items()) and len(kept) < 6


def cpu_seconds(pid: int) -> float:
    """CPU seconds process ``pid`` has used (its own, not its children's): a wait bounded by the
    work done, not by wall time, which a loaded machine stretches."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def signal_after_cpu(cmd: list[str], err_f: Path, cpu_s: float, sig: int, wait_s: float = 60.0):
    """Start ``cmd`` (stderr to ``err_f``), send ``sig`` once it has used ``cpu_s`` s of CPU (work
    done, not wall time); returns (exit code, seconds from the signal to the exit, stderr)."""
    with open(err_f, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=fh)
    try:
        wait_for(lambda: cpu_seconds(proc.pid) >= cpu_s, proc, f"{cpu_s} s of CPU", err=err_f)
        t0 = time.monotonic()
        proc.send_signal(sig)
        proc.wait(timeout=wait_s)
        took = time.monotonic() - t0
    finally:
        proc.kill()
        proc.wait()
    return proc.returncode, took, err_f.read_text()


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_lexicographic_keeps_the_stage_layout_reached(instance, tmp_path, sig):
    out = tmp_path / "lex"
    err_f = tmp_path / "stderr.txt"
    cmd = [sys.executable, "-m", "yrdopt.cli", "lexicographic", str(instance), "distance", "duplication", "site_cost",
           "--time-limit", "30", "--out", str(out)]
    # about 1.5 s of CPU start the process; by 3.5 s its first stage's MIP searches (a stage
    # runs up to 30 s of wall time: a loaded machine's too)
    code, took, err = signal_after_cpu(cmd, err_f, 3.5, sig)
    # before: SIGINT crossed HiGHS's callback as "error: lexicographic solve stopped without a
    # layout: error" (exit 4), SIGTERM ended the process at once (-15), nothing written either way
    assert code == 128 + sig, err
    assert took < EXIT_S, f"exit {took:.1f} s after the signal"
    line = assert_one_line_no_error(err)
    assert "not proven" in line and str(out) in line, line
    # the three stages named, counted as named (before: "stage 1 of 4", the tie-break counted)
    assert "stage 1 of 3, distance (logistics), reached" in line, line
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["verified"], summary["status"]
    # an optimum only for the stage that ran (before: duplication and site_cost valued at its layout)
    assert list(summary["lexicographic"]["stage_optima"]) == ["distance"], summary["lexicographic"]
    assert yrdopt.check(instance, out).verified  # the written layout's holds and terms, recomputed


def solve_script(tmp_path: Path, instance: Path, out: Path, report: Path, caught: str, hook: str = "") -> Path:
    """A script that runs ``yrdopt.solve`` on ``instance`` into ``out``, printing "searching" once
    HiGHS searches with a layout (the cue for a signal) and running ``hook`` (lines of the progress
    hook, ``phase`` in scope); ``caught``: lines run on a KeyboardInterrupt ``exc`` that set ``got``,
    written as JSON to ``report`` (with the imports json, threading, time, yrdopt, SolverError)."""
    script = tmp_path / "script.py"
    script.write_text(f"""
import json, threading, time
import yrdopt
from yrdopt.errors import SolverError

def show(elapsed, best, bound, gap, phase=None):
    if phase == "HiGHS" and best is not None:
        print("searching", flush=True)
{textwrap.indent(hook, "    ")}

try:
    yrdopt.solve({str(instance)!r}, time_limit=60, out={str(out)!r}, progress=show)
    got = {{"returned": True}}
except KeyboardInterrupt as exc:
{textwrap.indent(caught, "    ")}
except SolverError as exc:
    got = {{"solver_error": str(exc)}}
open({str(report)!r}, "w").write(json.dumps(got))
""")
    return script


def test_ctrl_c_in_a_script_solve_raises_keyboard_interrupt_with_the_best_layout(instance, tmp_path):
    out, report = tmp_path / "sol", tmp_path / "report.json"
    script = solve_script(tmp_path, instance, out, report, """sol = exc.result
got = {"keyboard_interrupt": type(exc).__name__, "status": sol.summary["status"], "message": str(exc),
       "objective": sol.summary["objective"]}""")
    code, took, stdout, err = run_until([sys.executable, str(script)], tmp_path, lambda s: "searching" in s,
                                        signal.SIGINT)
    got = json.loads(report.read_text())
    # before: SolverError "the solver reported an error (HiGHS: Solve error)", the layout found lost
    assert code == 0 and got.get("keyboard_interrupt") == "Interrupted", (got, err)
    assert got["status"] == "interrupted" and str(out) in got["message"], got
    summary = json.loads((out / "summary.json").read_text())
    assert summary["status"] == "interrupted" and summary["objective"] == got["objective"]
    assert yrdopt.check(instance, out).verified


def test_a_second_ctrl_c_in_a_script_ends_it_cleanly_while_highs_runs(instance, tmp_path):
    # the run does not hear the first Ctrl-C (a flag whose set() it never sees stands for HiGHS in
    # presolve, where it calls no callback), so HiGHS still runs when the second one ends the script
    out, report = tmp_path / "alt", tmp_path / "report.json"
    script = tmp_path / "script.py"
    script.write_text(f"""
import json
from yrdopt.analysis.alternatives import alternatives
from yrdopt.solver import SolverOptions

class Unheard:
    def set(self):
        pass

    def is_set(self):
        return False

def searching(*args):
    print("searching", flush=True)

try:
    alternatives({str(instance)!r}, 4, options=SolverOptions(time_limit=20), out={str(out)!r},
                 solver_progress=searching, stop=Unheard())
except KeyboardInterrupt as exc:
    open({str(report)!r}, "w").write(json.dumps({{"type": type(exc).__name__, "message": str(exc)}}))
""")
    out_f, err_f = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out_f, "w") as o, open(err_f, "w") as e:
        proc = subprocess.Popen([sys.executable, str(script)], stdout=o, stderr=e)
    try:
        wait_for(lambda: "searching" in out_f.read_text(), proc, "HiGHS's search", err=err_f)
        took = signal_twice(proc, signal.SIGINT, signal.SIGINT, gap=0.2)
    finally:
        proc.kill()
        proc.wait()
    err = err_f.read_text()
    # before: the script ended while HiGHS's thread ran, and Python ending that thread aborted the
    # process ("terminate called without an active exception", exit -6) in most runs
    assert proc.returncode == 130 and "terminate called" not in err and "Traceback" not in err, (proc.returncode, err)
    assert took < EXIT_S, f"exit {took:.1f} s after the second Ctrl-C"
    got = json.loads(report.read_text())
    assert got["type"] == "Interrupted" and "second interrupt" in got["message"] and str(out) in got["message"], got


def test_a_second_signal_in_alternatives_quits_at_once_saying_what_stays(instance, tmp_path):
    out = tmp_path / "alt"
    err_f = tmp_path / "stderr.txt"
    cmd = [sys.executable, "-m", "yrdopt.cli", "alternatives", str(instance), "-n", "4", "--time-limit", str(LIMIT_S),
           "--out", str(out)]
    with open(tmp_path / "stdout.txt", "w") as o, open(err_f, "w") as e:
        proc = subprocess.Popen(cmd, stdout=o, stderr=e)
    try:
        wait_for(lambda: (out / "alternatives.json").exists(), proc, "layout-1", err=err_f)
        took = signal_twice(proc, signal.SIGINT, signal.SIGTERM, gap=0.02)
    finally:
        proc.kill()
        proc.wait()
    err = err_f.read_text()
    assert proc.returncode in (130, 143) and took < EXIT_S, (proc.returncode, took, err)
    assert "Traceback" not in err and "terminate called" not in err, err
    line = [ln for ln in err.splitlines() if ln.startswith("interrupted:")]
    assert len(line) == 1, err
    # before: "second signal, quitting at once (nothing more written)", as if nothing were kept
    if "second signal" in line[0]:
        assert f"already written to {out}/ stay there" in line[0], line[0]
    names = [rec["name"] for rec in json.loads((out / "alternatives.json").read_text())["layouts"]]
    assert names and all(yrdopt.check(instance, out / n).verified for n in names)


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
def test_a_resumed_run_searches_again_a_first_layout_stopped_before_its_mip_ended(instance, tmp_path):
    from yrdopt.analysis.alternatives import alternatives
    from yrdopt.solver import SolverOptions

    out, err_f = tmp_path / "alt", tmp_path / "stderr.txt"
    cmd = [sys.executable, "-m", "yrdopt.cli", "alternatives", str(instance), "-n", "2", "--time-limit", "30",
           "--out", str(out)]
    with open(err_f, "w") as fh:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=fh)
    try:
        # the optimum's MIP runs to its limit (30 s of wall time: a loaded machine's too) from about
        # 1.5 s of CPU on
        wait_for(lambda: cpu_seconds(proc.pid) >= 3.0, proc, "3 s of CPU", err=err_f)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.wait()
    assert proc.returncode == 130, err_f.read_text()
    stopped = json.loads((out / "alternatives.json").read_text())
    assert [r["mga_status"] for r in stopped["layouts"]] == ["interrupted"], stopped["layouts"]

    res = alternatives(instance, 1, options=SolverOptions(time_limit=LIMIT_S), out=out)  # resumed (resume=True)
    first = res.layouts[0]
    # before: the interrupted layout was taken as the optimum (mga_status "interrupted", budget from it)
    assert first.mga_status != "interrupted" and first.start == "interrupted layout-1", (first.mga_status, first.start)
    assert res.optimum <= stopped["optimum"] + 1e-6 * abs(stopped["optimum"])  # searched from it: never worse
    man = json.loads((out / "alternatives.json").read_text())
    assert man["optimum"] == res.optimum and man["layouts"][0]["mga_status"] == first.mga_status
    assert yrdopt.check(instance, out / "layout-1").verified


def test_a_second_ctrl_c_in_a_script_solve_writes_nothing_as_the_cli(instance, tmp_path):
    # the first Ctrl-C stops HiGHS; the hook holds the check (the stopped solve's last phase before
    # it writes) long enough for the second one to abandon the run there; the script then waits
    # for the run to end
    out, report = tmp_path / "sol", tmp_path / "report.json"
    script = solve_script(tmp_path, instance, out, report, """got = {"type": type(exc).__name__, "message": str(exc)}
for t in threading.enumerate():  # the abandoned run ends on its own (its stop flag is set)
    if t.name == "yrdopt-run":
        t.join(120)
got["run_ended"] = not any(t.name == "yrdopt-run" for t in threading.enumerate())""",
                          hook="""if phase == "checking the layout":
    print("checking", flush=True)
    time.sleep(3)""")
    out_f, err_f = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out_f, "w") as o, open(err_f, "w") as e:
        proc = subprocess.Popen([sys.executable, str(script)], stdout=o, stderr=e)
    try:
        wait_for(lambda: "searching" in out_f.read_text(), proc, "HiGHS's search", err=err_f)
        proc.send_signal(signal.SIGINT)
        wait_for(lambda: "checking" in out_f.read_text(), proc, "the check", err=err_f)
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=180)
    finally:
        proc.kill()
        proc.wait()
    got = json.loads(report.read_text())
    assert got["type"] == "Interrupted" and "second interrupt" in got["message"], (got, err_f.read_text())
    assert got["run_ended"], got
    # before: the abandoned solve went on to write out/ after the script was told it was abandoned
    assert not out.exists(), sorted(p.name for p in out.iterdir())
    assert not list(tmp_path.glob(".sol.tmp-*"))  # nor a temporary directory left behind
    assert f"nothing written to {out}/" in got["message"], got


def test_alternatives_calls_a_first_layout_at_its_time_limit_the_best_found_not_the_optimum(instance, tmp_path):
    out = tmp_path / "alt"
    # 16x10x4: HiGHS proves no optimum within a minute, so layout-1 stops at its 3 s limit
    run = run_cli("alternatives", instance, "-n", "1", "--time-limit", "3", "--out", out)  # in this process
    assert run.returncode == 0, run.stderr
    man = json.loads((out / "alternatives.json").read_text())
    assert man["layouts"][0]["mga_status"] != "optimal", man["layouts"][0]
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith("layout-1:"))
    # before: "layout-1: objective ... the optimum, ..." whatever its MIP's status
    assert "the optimum" not in line and "the best layout found (gap " in line, line
    assert "best layout found (not proven optimal)" in run.stdout and "\noptimum " not in run.stdout, run.stdout


def slow_import(module: str) -> str:
    """Script lines (importing sys and time) that make the first import of ``module`` print
    "loading" and wait a minute: a slow disk, the window in which the test's signal comes."""
    return f"""import sys, time

class Slow:
    def find_spec(self, name, path=None, target=None):
        if name == {module!r}:
            print("loading", flush=True)
            time.sleep(60)
        return None

sys.meta_path.insert(0, Slow())
"""


def test_a_ctrl_c_while_solve_loads_scipy_in_a_script_raises_interrupted(tmp_path):
    # a finder that holds the first import of scipy stands for a slow disk: the Ctrl-C comes while
    # yrdopt.solve's module (numpy, SciPy, pandas) loads, before any solve began
    report = tmp_path / "report.json"
    script = tmp_path / "script.py"
    script.write_text(f"""
import json
{slow_import("scipy")}
import yrdopt

try:
    yrdopt.solve(time_limit=5)
    got = {{"returned": True}}
except KeyboardInterrupt as exc:
    got = {{"type": type(exc).__name__, "message": str(exc), "signum": getattr(exc, "signum", None)}}
open({str(report)!r}, "w").write(json.dumps(got))
""")
    code, took, stdout, err = run_until([sys.executable, str(script)], tmp_path, lambda s: "loading" in s,
                                        signal.SIGINT)
    got = json.loads(report.read_text())
    # before: a bare KeyboardInterrupt from inside importlib
    assert code == 0 and got["type"] == "Interrupted" and got["signum"] == 2, (got, err)
    assert "nothing written" in got["message"], got


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_while_the_cli_loads_its_modules_is_one_line(tmp_path, sig):
    # a finder that holds typer's import (yrdopt.cli loads it first): the signal comes while the
    # command line's own modules load
    wrapper = tmp_path / "cli.py"
    wrapper.write_text(f"""
import runpy
{slow_import("typer")}
sys.argv = ["yrdopt", "--help"]
runpy.run_module("yrdopt.cli", run_name="__main__")
""")
    code, took, stdout, err = run_until([sys.executable, str(wrapper)], tmp_path, lambda s: "loading" in s, sig)
    # before: a KeyboardInterrupt traceback through importlib (SIGTERM: killed, -15)
    assert code == 128 + sig, (code, err)
    line = assert_one_line_no_error(err)
    assert "nothing written" in line, line


@pytest.fixture(scope="module")
def solved(instance, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("solved") / "sol"
    yrdopt.solve(instance, time_limit=5, out=out)
    return out


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads processes from /proc")
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_in_explain_is_one_line_and_writes_nothing(instance, solved, tmp_path, sig):
    inst = yrdopt.load_instance(instance)
    segment = f"{inst.chains[0].id}/{inst.chains[0].segments[0].id}"
    out, err_f = tmp_path / "why", tmp_path / "stderr.txt"
    # re-optimised moves of a segment to 16 regions: MIPs that share the 60 s and prove nothing in them
    cmd = [sys.executable, "-m", "yrdopt.cli", "explain", str(instance), str(solved), "--segment", segment,
           "--reoptimise", "--time-limit", "60", "--out", str(out)]
    code, took, err = signal_after_cpu(cmd, err_f, 4.0, sig, wait_s=120)
    # before: HiGHS ran in the main thread without the handlers: SIGTERM killed it (-15), Ctrl-C
    # crossed HiGHS's callback or ended as "error: interrupted"
    assert code == 128 + sig, (code, err)
    line = assert_one_line_no_error(err)
    assert "nothing written" in line, line
    assert not (out / "moves.csv").exists()
    print(f"exit {took:.1f} s after the signal")


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
@pytest.mark.parametrize("command, module, step", [
    ("prices", "yrdopt.analysis.explain", "shadow_prices"),
    ("diagnose", "yrdopt.analysis.diagnose", "conflicting_limits"),
    ("compare", "yrdopt.analysis.compare", "compare_layouts"),
])
def test_a_signal_in_prices_diagnose_or_compare_is_one_line_and_writes_nothing(instance, solved, tmp_path, sig,
                                                                                 command, module, step):
    # the command's step (its HiGHS solves) is held a few seconds before it runs for real, as a long
    # solve would be: the signal comes inside the step, whatever the machine's load
    out = tmp_path / "out"
    args = {"prices": [str(instance), str(solved), "--out", str(out)],
            "diagnose": [str(instance), "--out", str(out)],
            "compare": [str(solved), str(solved), "--instance", str(instance), "--out", str(out)]}[command]
    wrapper = tmp_path / "cli.py"
    wrapper.write_text(f"""
import runpy, sys, time
import {module} as analysis

real = analysis.{step}

def held(*args, **kwargs):
    print("working", flush=True)
    # set by the command's handlers at a signal (compare takes the flag itself)
    stop = kwargs.get("stop") or getattr(kwargs.get("deadline"), "stop", None)
    if stop is not None:
        stop.wait(5)
    else:
        time.sleep(5)
    return real(*args, **kwargs)

analysis.{step} = held
sys.argv = ["yrdopt", {command!r}] + {args!r}
runpy.run_module("yrdopt.cli", run_name="__main__")
""")
    out_f, err_f = tmp_path / "stdout.txt", tmp_path / "stderr.txt"
    with open(out_f, "w") as o, open(err_f, "w") as e:
        proc = subprocess.Popen([sys.executable, str(wrapper)], stdout=o, stderr=e)
    try:
        wait_for(lambda: "working" in out_f.read_text(), proc, "the step", err=err_f)
        proc.send_signal(sig)
        proc.wait(timeout=120)
    finally:
        proc.kill()
        proc.wait()
    err = err_f.read_text()
    # before: the step ran in the main thread without the handlers: SIGTERM killed the process
    # (-15), Ctrl-C ended as "error: interrupted"
    assert proc.returncode == 128 + sig, (proc.returncode, err)
    line = assert_one_line_no_error(err)
    assert "nothing written" in line, line
    assert not out.exists() or not any(out.iterdir()), sorted(p.name for p in out.iterdir())
    assert "working" == out_f.read_text().strip(), out_f.read_text()  # nothing of the stopped step printed

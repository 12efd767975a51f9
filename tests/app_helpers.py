"""Helpers for the workbench tests: a server in a child process (so it can be killed), HTTP calls."""

from __future__ import annotations

import contextlib
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

HEADERS = {"X-Yrdopt": "1", "Content-Type": "application/json"}


def start_server(workspace: Path, *args: str, timeout: float = 60.0) -> tuple[subprocess.Popen, str]:
    """`yrdopt app --port 0` in a child process; returns it and the address it printed.

    Its output is read by a thread, so ``timeout`` holds even when the server prints nothing
    (a blocking ``readline`` waited for ever), and the pipe never fills while the test runs."""
    cmd = [sys.executable, "-m", "yrdopt.cli", "app", "--port", "0", "--workspace", str(workspace), *args]
    env = {**os.environ, "COLUMNS": "400", "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env,
                            start_new_session=True)
    lines: queue.Queue = queue.Queue()
    threading.Thread(target=_drain, args=(proc.stdout, lines), daemon=True).start()
    t_end = time.time() + timeout
    seen = []
    while (left := t_end - time.time()) > 0:
        try:
            line = lines.get(timeout=left)
        except queue.Empty:
            break
        if line is None:  # the server ended
            break
        seen.append(line)
        if line.startswith("yrdopt workbench: "):
            return proc, line.split(": ", 1)[1].strip()
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    raise RuntimeError(f"the workbench printed no address within {timeout} s:\n" + "".join(seen))


def _drain(stream, lines: queue.Queue) -> None:
    for line in stream:
        lines.put(line)
    lines.put(None)


def call(base: str, method: str, path: str, body=None, headers: dict | None = None):
    """(status, parsed JSON or bytes)."""
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base.rstrip("/") + path, data=data, method=method,
                                 headers=HEADERS if headers is None else headers)
    try:
        with urllib.request.urlopen(req, timeout=120) as r:
            raw, status, ctype = r.read(), r.status, r.headers.get("Content-Type", "")
    except urllib.error.HTTPError as e:
        raw, status, ctype = e.read(), e.code, e.headers.get("Content-Type", "")
    return status, (json.loads(raw) if ctype.startswith("application/json") else raw)


def wait_job(base: str, job: dict, timeout: float = 120.0) -> dict:
    t0 = time.time()
    while time.time() - t0 < timeout:
        status, job = call(base, "GET", f"/api/jobs/{job['id']}")
        assert status == 200, job
        if job["state"] in ("done", "failed", "stopped", "cancelled"):
            return job
        time.sleep(0.05)
    raise TimeoutError(f"job {job['id']} still {job['state']} after {timeout} s")


def wait_idle(base: str, timeout: float = 120.0) -> list[dict]:
    t0 = time.time()
    while time.time() - t0 < timeout:
        status, jobs = call(base, "GET", "/api/jobs")
        if all(j["state"] in ("done", "failed", "stopped", "cancelled") for j in jobs):
            return jobs
        time.sleep(0.05)
    raise TimeoutError("jobs still running")


def phased_default(path: Path) -> Path:
    """The embedded default started from today's sites (its baseline) over two milestones:
    2025 changes nothing (budget 0), 2030 grows every chain by 20 %.  Costs and growth are test
    assumptions, not data."""
    import pandas as pd
    import yaml

    from yrdopt.io import default_instance_path

    src = Path(default_instance_path())
    data = yaml.safe_load(src.read_text(encoding="utf-8"))
    today = pd.read_csv(src.with_name(src.stem + ".baseline.csv"))
    data["name"] = "default-phased"
    data["brownfield"] = {
        "existing": [{"chain": c, "segment": s, "region": r, "activity": float(a)}
                     for c, s, r, a in zip(today["chain"], today["segment"], today["region"], today["activity"]) if a > 0],
        "costs": {"close_per_site": 5.0, "shrink_per_unit": 0.5}}
    data["periods"] = {"discount_rate": 0.05, "min_run_years": 10, "milestones": [
        {"year": 2025, "budget": {"max_opened": 0, "max_closed": 0, "max_moved_share": 0.0}},
        {"year": 2030, "growth": {c["id"]: 1.2 for c in data["chains"]},
         "quota_factor": {"land": 1.1, "energy": 1.2, "talent": 1.2}}]}
    path.write_text(yaml.safe_dump(data, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@contextlib.contextmanager
def serving(wb):
    """A Workbench served in this process, its start-up jobs done: yields its base address."""
    from yrdopt.app.server import serve_in_thread

    srv, _ = serve_in_thread(wb)
    base = f"http://127.0.0.1:{srv.server_address[1]}"
    try:
        wait_idle(base)
        yield base
    finally:
        srv.shutdown()
        srv.server_close()

"""A child process for the fuzz test: imports yrdopt once, then runs each command line it is sent
in a forked grandchild limited to 1 GB more address space than it starts with, and reports the
exit code, stdout/stderr, wall time and peak memory. Forking from a warm process costs
milliseconds where a fresh interpreter costs seconds, so the fuzz test stays within a CI budget.

Protocol: one JSON list of arguments per line on stdin; one JSON object per line on stdout."""

import json
import os
import resource
import signal
import sys
import tempfile
import time

TIME_LIMIT_S = 10.0
EXTRA_BYTES = 2**30


def vm_size() -> int:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def run(args: list[str], cap: int) -> dict:
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        t0 = time.monotonic()
        pid = os.fork()
        if pid == 0:  # the grandchild: one command, memory capped, output to the files
            code = 1
            try:
                os.dup2(out.fileno(), 1)
                os.dup2(err.fileno(), 2)
                resource.setrlimit(resource.RLIMIT_AS, (cap, cap))
                from yrdopt.cli import main

                sys.argv = ["yrdopt", *args]
                try:
                    main()
                    code = 0
                except SystemExit as exc:
                    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            except BaseException:  # noqa: BLE001 - reported as the traceback a user would see
                import traceback

                traceback.print_exc()
                code = 1
            finally:
                for stream in (sys.stdout, sys.stderr):
                    try:
                        stream.flush()
                    except Exception:  # noqa: BLE001
                        pass
                os._exit(code)
        deadline = t0 + TIME_LIMIT_S
        while True:
            done, status, usage = os.wait4(pid, os.WNOHANG)
            if done:
                break
            if time.monotonic() > deadline:
                os.kill(pid, signal.SIGKILL)
                _, status, usage = os.wait4(pid, 0)
                break
            time.sleep(0.005)
        took = time.monotonic() - t0
        out.seek(0)
        err.seek(0)
        code = os.waitstatus_to_exitcode(status)
        return {"code": code, "seconds": took, "max_rss_mb": usage.ru_maxrss / 1024,
                "stdout": out.read().decode(errors="replace")[-4000:], "stderr": err.read().decode(errors="replace")[-4000:]}


def main() -> None:
    import yrdopt.cli  # noqa: F401 - imported once, before any fork
    import yrdopt.api  # noqa: F401
    import yrdopt.excel  # noqa: F401

    cap = vm_size() + EXTRA_BYTES
    print(json.dumps({"ready": True, "cap_mb": cap / 2**20}), flush=True)
    for line in sys.stdin:
        print(json.dumps(run(json.loads(line), cap)), flush=True)


if __name__ == "__main__":
    main()

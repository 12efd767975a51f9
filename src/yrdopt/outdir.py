"""Where results go: output paths checked before any work, directories written whole or not at all.

A solution directory is written into a temporary sibling (``.NAME.tmp-…``) and then swapped
with ``OUT`` (``renameat2(RENAME_EXCHANGE)`` where the kernel has it, else two renames), so a
crash, a full disk or an unwritable file leaves either the earlier solution, complete, or the
new one — never files of two solves side by side.  Because ``OUT`` is replaced as a whole, it
may hold only files of an earlier solution: anything else (the instance being solved, a user's
notes) is reported before solving instead of being deleted.
"""

from __future__ import annotations

import ctypes
import os
from glob import escape as glob_escape
import secrets
import shutil
from pathlib import Path
from typing import Callable, Iterable

from .errors import InstanceError, Problem, YrdoptError


def _nearest_existing(p: Path) -> Path:
    p = p.absolute()
    while not p.exists() and p != p.parent:
        p = p.parent
    return p


def _probe_writable(folder: Path) -> str | None:
    """None if a directory can be created in ``folder`` (the real test: root ignores modes,
    an immutable or read-only-mounted directory does not); else why not."""
    probe = folder / f".yrdopt-probe-{secrets.token_hex(4)}"
    try:
        probe.mkdir()
        probe.rmdir()
        return None
    except OSError as exc:
        return exc.strerror or type(exc).__name__


def output_file_problems(path: str | Path | None, option: str) -> list[Problem]:
    """Problems with a file the command will write (``--mps``, ``--log-file``), found before solving."""
    if path is None:
        return []
    p = Path(path)
    if p.is_dir():
        return [Problem("command line", option, str(p), "a file name, not a directory")]
    if not p.parent.is_dir():
        return [Problem("command line", option, str(p), f"a file in an existing directory ({p.parent} does not exist)")]
    why = _probe_writable(p.parent)
    if why:
        return [Problem("command line", option, str(p), f"a file in a writable directory ({p.parent}: {why})")]
    return []


def out_dir_problems(out: str | Path, keep: Iterable[str] = (), inputs: Iterable[str | Path] = (),
                     option: str = "--out") -> list[Problem]:
    """Problems with a directory the command will replace as a whole, found before any work.

    ``keep``: file names a directory of this kind holds (it may be replaced); ``inputs``: files
    the command reads, which must not be inside it."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        return [Problem("command line", option, str(out), "a directory (this is an existing file)")]
    resolved = out.resolve()
    for f in inputs:
        if f is not None and Path(f).exists() and resolved in Path(f).resolve().parents:
            return [Problem("command line", option, str(out),
                            f"a directory that does not hold the input {f} (the results replace the directory "
                            "as a whole; write them elsewhere)")]
    if out.is_dir():
        foreign = sorted(e.name for e in out.iterdir() if e.name not in set(keep))
        if foreign:
            shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
            return [Problem("command line", option, str(out),
                            f"a new directory or one holding only earlier results (it also holds {shown}, "
                            "which replacing it would delete)")]
    folder = _nearest_existing(out.parent)
    why = _probe_writable(folder)
    if why:
        return [Problem("command line", option, str(out), f"a directory in a writable place ({folder}: {why})")]
    if out.is_dir():
        why = _probe_writable(out)
        if why:
            return [Problem("command line", option, str(out), f"a writable directory ({why})")]
    return []


def folder_problems(out: str | Path, option: str = "--out") -> list[Problem]:
    """Problems with a directory a command adds files and result directories to (``alternatives``,
    ``pareto``), found before any work: it is not a file, and it can be written."""
    out = Path(out)
    if out.exists() and not out.is_dir():
        return [Problem("command line", option, str(out), "a directory (this is an existing file)")]
    folder = _nearest_existing(out)
    why = _probe_writable(folder)
    if why:
        return [Problem("command line", option, str(out), f"a directory in a writable place ({folder}: {why})")]
    return []


def check_outputs(problems: list[Problem]) -> None:
    if problems:
        raise InstanceError(problems)


_RENAME_EXCHANGE = 2
_AT_FDCWD = -100


def _exchange(a: Path, b: Path) -> bool:
    """Atomically swap two paths (Linux renameat2); False where the call is not available."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    if fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE) == 0:
        return True
    err = ctypes.get_errno()
    if err in (22, 38, 95):  # EINVAL, ENOSYS, EOPNOTSUPP: this file system cannot exchange
        return False
    raise OSError(err, os.strerror(err), str(b))


def _fsync_dir(p: Path) -> None:
    fd = os.open(p, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_stale_siblings(out: Path) -> None:
    """Temporary siblings of ``out`` left by a process that died mid-write (a second Ctrl-C, a
    kill): their names carry the writer's pid."""
    for p in out.parent.glob(f".{glob_escape(out.name)}.*-*-*"):
        kind, _, rest = p.name[len(out.name) + 2:].partition("-")
        pid = rest.split("-", 1)[0]
        if kind not in ("tmp", "old") or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:  # the writer is gone
            shutil.rmtree(p, ignore_errors=True)
        except OSError:  # alive (or not ours to signal): leave it
            pass


def write_dir_atomically(out: str | Path, fill: Callable[[Path], None], keep: Iterable[str] = ()) -> Path:
    """Call ``fill(tmp)`` to write every file into a fresh temporary sibling of ``out``, then
    put it in place of ``out``.  On any failure ``out`` is left as it was and the temporary
    directory removed; the error is a :class:`YrdoptError` saying so.  In a run a second Ctrl-C
    abandoned nothing is written (:func:`yrdopt.stopping.abandoned`; checked again just before
    the swap): a script's abandoned solve writes what the command line, which quits, writes."""
    from .stopping import Abandoned, abandoned

    out = Path(out)
    if abandoned():
        raise Abandoned(f"not written to {out}: the run was abandoned by a second interrupt")
    check_outputs(out_dir_problems(out, keep=keep))
    out.parent.mkdir(parents=True, exist_ok=True)
    _remove_stale_siblings(out)
    tag = f"{os.getpid()}-{secrets.token_hex(4)}"
    tmp = out.parent / f".{out.name}.tmp-{tag}"
    old = out.parent / f".{out.name}.old-{tag}"
    try:
        tmp.mkdir()
        fill(tmp)
        _fsync_dir(tmp)
        if abandoned():
            raise Abandoned(f"not written to {out}: the run was abandoned by a second interrupt")
        if out.exists():
            if _exchange(tmp, out):
                tmp, old = old, tmp  # tmp now holds the earlier results
                shutil.rmtree(old, ignore_errors=True)
            else:
                os.rename(out, old)
                try:
                    os.rename(tmp, out)
                except OSError:
                    os.rename(old, out)
                    raise
                shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
        _fsync_dir(out.parent)
    except OSError as exc:
        raise YrdoptError(f"could not write {out}: {exc.strerror or exc} ({exc.filename or out}); nothing was "
                          f"written there{' (the earlier results in it are unchanged)' if out.exists() else ''}") from None
    finally:
        if tmp.exists() and tmp != out:
            shutil.rmtree(tmp, ignore_errors=True)
    return out

"""Results on disk, written as they finish: nothing is lost, nothing is written twice.

Layout of a sweep directory::

    OUT/
      sweep.json              the spec, the instance hash, the scenario ids in design order; ``runs``: every
                              run in OUT (its id, the ``run`` each record carries, start time and spec_key)
                              and ``specs`` each spec_key's spec, so --resume with a changed spec keeps
                              what the reused records were solved under
      .token                  random id of this directory (workers check it before writing)
      .lock                   held (flock) by the running sweep: two runs cannot share OUT
      scenarios/<id>.json     one file per finished scenario (temp file + hard link: atomic,
                              and a second writer of the same id fails instead of replacing)
      robust/<set>/<id>.json  robust-layout evaluations, same rules (only the current candidates' set)
      journal.jsonl           one line per scenario file created (O_APPEND, fsync)
      results.parquet/.csv, layout.parquet/.csv, expansions.csv, frequency.csv,
      tornado.csv/.png, robust.csv, robust_layout.csv, regret.csv   (consolidated at the end)

A killed sweep leaves only complete scenario files (a half-written temp file is ignored
and cleaned), so ``--resume`` solves exactly the scenarios without a file.
"""

from __future__ import annotations

import json
import os
import secrets
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import YrdoptError
from ..words import counted


# the names Store writes in OUT (the layout above); runner.SWEEP_FILES adds the consolidated tables
STORE_NAMES = ("sweep.json", ".token", ".lock", "scenarios", "robust", "unreadable", "journal.jsonl")


def _json_default(o):
    if isinstance(o, (np.floating, np.integer, np.bool_)):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def dumps(rec: dict) -> str:
    # inf/nan are written as JSON's Infinity/NaN (Python's json reads them back)
    return json.dumps(rec, ensure_ascii=False, default=_json_default, separators=(",", ":"))


def write_once(path: Path, text: str, *, fsync: bool = True) -> bool:
    """Write ``path`` atomically unless it exists; return whether this call created it.

    The text goes to a unique temp file, is fsynced, then hard-linked to its name: the link
    is atomic and fails if the name exists, so concurrent writers of one id cannot both win.
    """
    from ..io import temp_name

    tmp = temp_name(path)
    with open(tmp, "w", encoding="utf-8") as fh:
        fh.write(text)
        if fsync:
            fh.flush()
            os.fsync(fh.fileno())
    try:
        os.link(tmp, path)
        created = True
    except FileExistsError:
        created = False
    finally:
        tmp.unlink(missing_ok=True)
    return created


def spec_key(instance_hash: str, spec: dict) -> str:
    """A spec's identity: its instance's content hash and the spec as written to sweep.json."""
    import hashlib

    return hashlib.sha256(json.dumps([instance_hash, spec], sort_keys=True).encode()).hexdigest()[:16]


def earlier_runs(manifest_file: Path) -> tuple[list[dict], dict[str, Any]]:
    """(runs, specs) an earlier sweep.json kept; one written before runs were kept gives its spec as one
    run of unknown id (its records' ``run`` ids are those no run lists).  Nothing readable: none."""
    try:
        earlier = json.loads(manifest_file.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return [], {}
    if not isinstance(earlier, dict):
        return [], {}
    runs, specs = earlier.get("runs"), earlier.get("specs")
    if isinstance(runs, list) and isinstance(specs, dict):
        return [r for r in runs if isinstance(r, dict)], specs
    if not isinstance(earlier.get("spec"), dict):
        return [], {}
    key = spec_key(str((earlier.get("instance") or {}).get("hash")), earlier["spec"])
    return [{"run": None, "started_at": None, "spec_key": key,
             "note": "runs before sweep.json kept them: the records whose run no entry lists"}], {key: earlier["spec"]}


class Store:
    def __init__(self, out: str | Path):
        self.out = Path(out)
        self.scen_dir = self.out / "scenarios"
        self._lock_fh = None

    # -- directory -------------------------------------------------------------------------
    def open(self, manifest: dict, *, resume: bool, run: dict | None = None) -> None:
        """Hold OUT and write sweep.json: ``manifest`` and, with ``run`` (its ``run`` id, ``started_at``,
        ``spec_key`` and ``spec``), the runs and specs kept with it (--resume: the earlier ones too)."""
        self.out.mkdir(parents=True, exist_ok=True)
        self.scen_dir.mkdir(exist_ok=True)
        self._lock()
        done = self.done_ids()
        if done and not resume:
            self.close()
            ours = len(done & set(manifest.get("scenarios", ())))
            other = f" (and {counted(len(done) - ours, 'of another sweep', 'of other sweeps')})" if len(done) > ours else ""
            raise YrdoptError(f"{self.out} already holds {counted(ours, 'finished scenario')} of this sweep{other}; "
                              "pass --resume (resume=True) to solve only the missing ones, or choose a new --out "
                              "directory")
        for tmp in self.scen_dir.glob(".*.tmp"):  # left by a killed writer
            tmp.unlink(missing_ok=True)
        token_file = self.out / ".token"
        if not token_file.exists():
            write_once(token_file, secrets.token_hex(8))
        from ..io import atomic_write_text

        if run is not None:
            # --resume with a changed spec reuses records solved under the earlier one: its spec stays here
            # (before: overwritten, so the reused records lost what they were solved under)
            runs, specs = earlier_runs(self.out / "sweep.json") if resume else ([], {})
            spec = run.get("spec")
            manifest = {**manifest, "runs": [*runs, {k: v for k, v in run.items() if k != "spec"}],
                        "specs": {**specs, run["spec_key"]: spec}}
        atomic_write_text(self.out / "sweep.json", json.dumps(manifest, indent=1, ensure_ascii=False,
                                                             default=_json_default))

    @property
    def token(self) -> str:
        return (self.out / ".token").read_text().strip()

    def _lock(self) -> None:
        import fcntl

        fh = open(self.out / ".lock", "a+")
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.close()
            raise YrdoptError(f"another sweep is writing to {self.out}; wait for it or choose another --out") from None
        self._lock_fh = fh

    def close(self) -> None:
        if self._lock_fh is not None:
            self._lock_fh.close()
            self._lock_fh = None

    # -- scenario records ----------------------------------------------------------------------
    def done_ids(self) -> set[str]:
        if not self.scen_dir.is_dir():
            return set()
        return {p.name[:-5] for p in self.scen_dir.iterdir() if p.name.endswith(".json") and not p.name.startswith(".")}

    def set_aside_unreadable(self, folder: Path, required: frozenset[str]) -> list[str]:
        """Move every record in ``folder`` that cannot be read — truncated, empty, not JSON, not a
        record of its own id with the ``required`` keys — to ``OUT/unreadable/`` (kept for
        inspection, never read again) and return their ids, so ``--resume`` solves them again."""
        bad = []
        stamp = time.strftime("%Y%m%dT%H%M%S")
        for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            if p.name.startswith("."):
                continue
            sid = p.name[:-5]
            try:
                rec = json.loads(p.read_text(encoding="utf-8"))
                readable = isinstance(rec, dict) and rec.get("scenario") == sid and required <= rec.keys()
            except (OSError, ValueError):  # UnicodeDecodeError and JSONDecodeError are ValueErrors
                readable = False
            if not readable:
                dest = self.out / "unreadable" / folder.relative_to(self.out) / f"{p.name}.{stamp}"
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(p, dest)
                bad.append(sid)
        return bad

    def read(self, sid: str, sub: Path | None = None) -> dict:
        return json.loads(((sub or self.scen_dir) / f"{sid}.json").read_text(encoding="utf-8"))

    def write(self, rec: dict, run: str, sub: Path | None = None) -> bool:
        return write_record(self.out, rec, run, sub)

    def robust_dir(self, key: str) -> Path:
        p = self.out / "robust" / key
        p.mkdir(parents=True, exist_ok=True)
        return p


def write_record(out: Path, rec: dict, run: str, sub: Path | None = None) -> bool:
    """Write one finished scenario (if not already there) and journal it; used by workers too."""
    folder = sub or (Path(out) / "scenarios")
    rec = {**rec, "run": run, "finished_at": time.strftime("%Y-%m-%dT%H:%M:%S")}
    created = write_once(folder / f"{rec['scenario']}.json", dumps(rec))
    if created:
        _append_journal(out, {"event": "done", "scenario": rec["scenario"], "kind": folder.name, "run": run,
                              "worker": rec.get("worker", f"pid {os.getpid()}"), "t": time.time()})
    return created


def _append_journal(out: Path, entry: dict) -> None:
    fd = os.open(Path(out) / "journal.jsonl", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(fd, (dumps(entry) + "\n").encode())  # one write of < 4 KiB on O_APPEND: lines never interleave
        os.fsync(fd)
    finally:
        os.close(fd)


def journal_recovered(out: Path, folder: Path) -> list[str]:
    """Journal the records in ``folder`` that have no journal line — written by a process killed
    between creating the record and appending its line — with the run that wrote them (from the
    record), marked ``recovered``; return their ids.  Afterwards the journal again lists every
    finished scenario exactly once."""
    journaled = {(e.get("kind"), e.get("scenario")) for e in read_journal(out) if e.get("event") == "done"}
    missing = []
    for p in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        sid = p.name[:-5]
        if p.name.startswith(".") or (folder.name, sid) in journaled:
            continue
        rec = json.loads(p.read_text(encoding="utf-8"))  # readable: unreadable ones were set aside first
        _append_journal(out, {"event": "done", "scenario": sid, "kind": folder.name, "run": rec.get("run"),
                              "worker": rec.get("worker"), "t": p.stat().st_mtime, "recovered": True})
        missing.append(sid)
    return missing


def read_journal(out: str | Path) -> list[dict[str, Any]]:
    p = Path(out) / "journal.jsonl"
    if not p.exists():
        return []
    out_lines = []
    for line in p.read_text(errors="replace").splitlines():
        try:
            out_lines.append(json.loads(line))
        except ValueError:  # a line cut short by a crash: the scenario files are what counts
            continue
    return out_lines

"""Scenarios on disk: every solve the workbench runs is one directory of the files
``yrdopt solve`` writes (``layout.csv``, ``flows.csv``, ``expansions.csv``, ``summary.json``,
``instance.json``) plus ``scenario.json`` (its name, when and from what it was made).

A solve that found no layout is kept too, as a scenario of kind ``failed``: its instance and its reason in
words (``reason`` in ``scenario.json``), no layout and no figures; it can be edited from, renamed and deleted.

A scenario appears whole or not at all: it is written into a hidden sibling directory and
renamed into place (one ``rename``, atomic on POSIX), so a server killed mid-write leaves only
hidden directories, which the next start removes.  The browser names scenarios by
id only; ids are checked against :data:`ID_PATTERN` and looked up among the directories that
exist, so no request can reach a path outside the workspace.
"""

from __future__ import annotations

import datetime as _dt
import json
import os
import re
import shutil
import threading
from dataclasses import dataclass
from pathlib import Path

from ..io import atomic_write_text, content_hash, load_instance
from ..schema import Instance

META_FILE = "scenario.json"
ID_PATTERN = re.compile(r"^[a-z0-9][a-z0-9-]{0,79}$")
SOLUTION_FILES = ("layout.csv", "flows.csv", "expansions.csv", "summary.json", "instance.json")
FAILED = "failed"  # the kind of a scenario whose solve found no layout


def slug(text: str, limit: int = 40) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")
    return s[:limit].strip("-") or "scenario"


def _now() -> str:
    return _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _fsync_dir(path: Path) -> None:
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def gap_percent(gap) -> str:
    """A gap as the page writes it (app.js gapPct): a small one keeps two significant digits."""
    g = 100 * float(gap)
    if abs(g) < 1e-7:  # round-off of a proven optimum (1.4e-14 %): none
        return "0.0 %"
    return f"{g:.2g} %" if abs(g) < 0.1 else f"{g:.1f} %"


def _figure(v) -> float | None:
    return float(v) if isinstance(v, (int, float)) and not isinstance(v, bool) and v == v else None


def resolved_cheaper(meta: dict) -> bool:
    """Did the alternatives' search, solving the parent's instance again (its layout 1, ``reference``),
    find a layout cheaper than the parent's own (``parent_objective``, the cost the page shows for it)?  Not
    said of a parent proven optimal: its cost is the optimum within the requested gap, as the re-solve's is."""
    from ..claims import figure_matches

    parent, again = _figure(meta.get("parent_objective")), _figure((meta.get("reference") or {}).get("objective"))
    return (meta.get("parent_status") != "optimal" and parent is not None and again is not None and again < parent
            and not figure_matches(parent, again))


def above_parent_words(meta: dict) -> str | None:
    """How far an alternative's cost is above its parent's: against the cost the page shows for the parent
    (``above_parent``; before: against the search's layout 1, the parent's instance solved again, so 4.79 %
    beside a parent shown at a cost 4.69 % below), "its optimum" only where that is proven the optimum.  One
    saved before the parent's cost was kept says what its figure is against."""
    above, ref = _figure(meta.get("above_parent")), meta.get("reference") or {}
    # the parent's own status where kept (the search's re-solve may prove optimal what the parent did not)
    proven = ((meta.get("parent_status") if meta.get("parent_status_text") is not None else ref.get("status"))
              == "optimal" and not resolved_cheaper(meta))
    if above is not None:
        return f"{100 * above:.3g} % above its parent's " + ("optimum" if proven else "cost")
    above = _figure(meta.get("above_optimum"))
    if above is None:
        return None
    return f"{100 * above:.3g} % above " + ("its parent's optimum" if proven else
                                            "the layout the search found solving its parent's instance again")


def alternative_words(meta: dict) -> str:
    """An alternative's status in words: so far above its parent's cost, the parent's status and gap;
    "its optimum" only when the parent's layout is proven best.  Where the search, solving the parent's
    instance again, found a cheaper layout than the parent's, the status and gap said are that one's, and
    named so."""
    ref = meta.get("reference") or {}
    proven = ref.get("status") == "optimal"
    above = above_parent_words(meta)
    text = "near-optimal alternative" + (f": {above}" if above else "")
    if not ref:
        return text + " (the parent's status was not recorded)"
    words = str(ref.get("status_text") or ref.get("status")).split(": ")[0].split(" (")[0]
    gap = ("" if ref.get("status") == "not_verified"  # a rejected layout's gap proves nothing
           else f", gap {gap_percent(ref['gap'])}" if ref.get("gap") is not None else ", no gap")
    if meta.get("parent_status") == "not_verified" and ref.get("status") != "not_verified":
        # the reference is the parent's instance solved again, not the parent's layout the list calls rejected
        return (text + f" (the parent's instance solved again: {words}{gap}" + ("" if proven else "; not proven best")
                + "; the parent's own layout was rejected by the independent checker)")
    if resolved_cheaper(meta):
        parent, again = float(meta["parent_objective"]), float(ref["objective"])
        return (text + f" (the parent's instance solved again by the search: {words}{gap}, a layout costing "
                f"{again:,.2f}, {100 * (parent - again) / max(abs(parent), 1e-12):.3g} % below the parent's "
                f"{parent:,.2f}, so the parent is not proven best)")
    if meta.get("parent_status_text") is None:  # saved before the parent's own were kept: the re-solve's, said so
        return (text + f" (the parent's instance solved again by the search: {words}{gap}"
                + ("" if proven else "; not proven best") + ")")
    # the parent's own status words and gap (before: the re-solve's, "optimal" beside a parent stopped at its
    # time limit whose re-solve proved no cheaper layout)
    words = str(meta["parent_status_text"]).split(": ")[0].split(" (")[0]
    gap = ("" if meta.get("parent_status") == "not_verified"
           else f", gap {gap_percent(meta['parent_gap'])}" if meta.get("parent_gap") is not None else ", no gap")
    return text + f" (the parent: {words}{gap}" + ("" if meta.get("parent_status") == "optimal" else "; not proven best") + ")"


@dataclass
class Scenario:
    id: str
    path: Path
    meta: dict

    @property
    def name(self) -> str:
        return self.meta.get("name", self.id)

    @property
    def failed(self) -> bool:
        """A solve that found no layout: its instance and reason only."""
        return self.meta.get("kind") == FAILED

    def summary(self) -> dict:
        f = self.path / "summary.json"
        return json.loads(f.read_text(encoding="utf-8")) if f.exists() else {}

    def instance(self) -> Instance:
        return load_instance(self.path / "instance.json")

    def status(self, summary: dict | None = None) -> dict:
        """Its status, status text and gap as the page and the export say them.  A solve's are its
        summary's.  An alternative's summary is its own distance-maximising MIP's ("optimal, gap 0 %"
        even around a layout stopped at its time limit): it is said as what it is instead, a
        near-optimal alternative so far above its parent's cost, with the parent's own status and gap
        (``reference`` in scenario.json: layout 1 of the search, the parent's instance solved again).
        A layout the checker rejects is said as such, an alternative's too: no alternative to weigh."""
        s = self.summary() if summary is None else summary
        if self.failed:  # no layout: its reason, no figures
            return {"status": FAILED, "status_text": f"no layout: {self.meta.get('reason', '')}", "gap": None}
        if self.meta.get("kind") != "alternative" or s.get("status") == "not_verified":
            # the words re-derived from the summary's figures, as the report says them (before: the stored
            # status_text, so a scenario an older version saved kept "(gap reported)" without a gap, or
            # "optimal" beyond the requested gap)
            from ..solver import summary_status, summary_status_words

            # derived_status: the status the words say ("optimal" stored may be "unproven"): the list adds
            # the gap unless it is proven optimal (before: it went by the stored word, and hid the gap)
            return {"status": s.get("status"), "status_text": summary_status_words(s), "gap": s.get("gap"),
                    "derived_status": summary_status(s)}
        return {"status": "alternative", "status_text": alternative_words(self.meta), "gap": None}

    def listing(self) -> dict:
        s = self.summary()
        return {"id": self.id, "name": self.name, "kind": self.meta.get("kind", "solve"),
                "created": self.meta.get("created"), "instance": self.meta.get("instance_name"),
                "instance_hash": self.meta.get("instance_hash"), "changes": self.meta.get("changes", []),
                **self.status(s), "objective": s.get("objective"),
                "verified": s.get("verified"), "duplicated_segments": s.get("duplicated_segments"),
                "periods": self.periods(s),
                **({"reason": self.meta.get("reason", ""), "listed": self.meta.get("listed") or {}} if self.failed else {})}

    def periods(self, summary: dict | None = None) -> list[int] | None:
        """A plan over milestone periods: its years (analyses take one at a time); None for one
        layout (today's layout of a phased instance included)."""
        s = self.summary() if summary is None else summary
        if not isinstance(s.get("periods"), list):
            return None
        return [int(p["year"]) for p in s["periods"] if isinstance(p, dict) and "year" in p]


def scenario_at(path: str | Path) -> Scenario | None:
    """The scenario in folder ``path`` (its ``scenario.json`` beside a layout), None if it is none:
    how ``yrdopt export-excel`` on a workspace folder finds what the page knows of it."""
    p = Path(path)
    try:
        meta = json.loads((p / META_FILE).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(meta, dict) or not (p / "layout.csv").exists():
        return None
    return Scenario(p.name, p, meta)


def sibling(sc: Scenario, scenario_id) -> Scenario | None:
    """Another scenario of the same workspace (a parent beside its alternative), by its id."""
    if not isinstance(scenario_id, str) or not ID_PATTERN.match(scenario_id):
        return None
    return scenario_at(sc.path.parent / scenario_id)


class Workspace:
    """The directory ``ROOT/scenarios`` and the scenarios in it."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.dir = self.root / "scenarios"
        self.dir.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self.clean()

    def clean(self) -> list[str]:
        """Remove what a killed server left half-written: every hidden directory here is a temporary
        (ours, ``.tmp-*`` / ``.trash-*``, or one of :func:`yrdopt.outdir.write_dir_atomically`)."""
        gone = []
        for p in self.dir.iterdir():
            if p.name.startswith(".") and p.is_dir():
                shutil.rmtree(p, ignore_errors=True)
                gone.append(p.name)
        return gone

    # ------------------------------------------------------------------- reading
    def scenarios(self) -> list[Scenario]:
        out = []
        for p in sorted(self.dir.iterdir()):
            if p.name.startswith(".") or not p.is_dir() or not ID_PATTERN.match(p.name):
                continue
            meta_file = p / META_FILE
            if not meta_file.exists():
                continue
            try:
                meta = json.loads(meta_file.read_text(encoding="utf-8"))
            except (OSError, json.JSONDecodeError):
                continue
            if not isinstance(meta, dict) or not ((p / "layout.csv").exists() or meta.get("kind") == FAILED):
                continue
            out.append(Scenario(p.name, p, meta))
        return out

    def get(self, scenario_id: str) -> Scenario | None:
        if not isinstance(scenario_id, str) or not ID_PATTERN.match(scenario_id):
            return None
        return next((s for s in self.scenarios() if s.id == scenario_id), None)

    # ------------------------------------------------------------------- writing
    def _new_id(self, name: str) -> str:
        taken = [int(m.group(1)) for p in self.dir.iterdir() if (m := re.match(r"^(\d{3,})-", p.name))]
        return f"{max(taken, default=0) + 1:03d}-{slug(name)}"

    def save(self, write, name: str, instance: Instance, *, kind: str = "solve", extra: dict | None = None,
             scenario_id: str | None = None) -> Scenario:
        """Create a scenario: ``write(tmp_dir)`` writes the solution files, then one rename publishes it."""
        with self._lock:
            sid = scenario_id or self._new_id(name)
            final = self.dir / sid
            if final.exists():
                raise FileExistsError(sid)
            tmp = self.dir / f".tmp-{sid}-{os.urandom(4).hex()}"
            try:
                tmp.mkdir()
                write(tmp)
                meta = {"id": sid, "name": str(name), "kind": kind, "created": _now(),
                        "instance_name": instance.name, "instance_hash": content_hash(instance), **(extra or {})}
                atomic_write_text(tmp / META_FILE, json.dumps(meta, indent=2, ensure_ascii=False))
                _fsync_dir(tmp)
                os.rename(tmp, final)
                _fsync_dir(self.dir)
            finally:
                if tmp.exists():
                    shutil.rmtree(tmp, ignore_errors=True)
            return Scenario(sid, final, meta)

    def save_failed(self, name: str, instance: Instance, reason: str, extra: dict | None = None) -> Scenario:
        """Keep a solve that found no layout: its instance (to edit from) and ``reason`` in words, saved
        as atomically as a layout is."""
        from ..io import dump_instance

        return self.save(lambda d: dump_instance(instance, d / "instance.json"), name, instance, kind=FAILED,
                         extra={**(extra or {}), "reason": str(reason)})

    def rename(self, scenario_id: str, name: str) -> Scenario | None:
        with self._lock:
            sc = self.get(scenario_id)
            if sc is None:
                return None
            sc.meta["name"] = str(name)
            atomic_write_text(sc.path / META_FILE, json.dumps(sc.meta, indent=2, ensure_ascii=False))
            return sc

    def delete(self, scenario_id: str) -> bool:
        with self._lock:
            sc = self.get(scenario_id)
            if sc is None:
                return False
            trash = self.dir / f".trash-{sc.id}-{os.urandom(4).hex()}"
            os.rename(sc.path, trash)  # gone from the list at once; removal may take longer
            shutil.rmtree(trash, ignore_errors=True)
            return True

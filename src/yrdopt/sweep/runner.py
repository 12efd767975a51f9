"""``yrdopt.sweep.run()``: a spec in, one tidy table out (and every file written on the way).

>>> import yrdopt.sweep
>>> df = yrdopt.sweep.run("instances/sweeps/provinces-oat.yaml", out="out/oat", workers=2)
>>> df[["scenario", "status", "objective"]]

Phases: (1) solve every scenario not yet in ``OUT/scenarios``; (2) evaluate the most
frequent layouts under every solved scenario (robust layout, resumable the same way);
(3) consolidate into Parquet/CSV tables and summaries.
"""

from __future__ import annotations

import hashlib
import json
import math
import numbers
import secrets
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..claims import false_claims_text, loosened_tolerances
from ..errors import InstanceError, Problem
from ..io import content_hash, instance_dict, load_instance, temp_of
from ..schema import TERMS
from . import summaries
from .apply import _get, resolve_parameters, scenario_dict, validate_instance
from .backends import CONNECT_TIMEOUT_S, make_backend, refuse_in_spawned_worker
from .design import Scenario, build_design, chunks
from .spec import STATUS_COLUMNS, TAIL_COLUMNS, SweepSpec, load_spec
from .store import STORE_NAMES, Store, journal_recovered, spec_key
from .worker import Context, as_unchecked

# columns that depend on where and how fast a scenario ran, not on its answer
RUN_DEPENDENT = ["highs_limit_s", "solve_s", "prep_s", "polish_s", "polished", "check_s", "total_s", "worker", "nodes", "mip_start",
                 "start_objective", "start_s", "update"]


@dataclass
class Progress:
    """What the progress bar shows; passed to the ``progress`` callback after every record."""

    phase: str
    total: int
    done: int = 0
    failed: int = 0
    started: float = field(default_factory=time.perf_counter)
    new: int = 0  # solved in this run (for the rate)

    @property
    def remaining(self) -> int:
        return self.total - self.done

    @property
    def rate(self) -> float:
        dt = time.perf_counter() - self.started
        return self.new / dt if dt > 0 else 0.0

    @property
    def eta(self) -> float | None:
        r = self.rate
        return self.remaining / r if r > 0 else None


def prepare(spec: SweepSpec | dict | str | Path):
    """Load the spec and its instance, resolve paths, check extreme values, build the design."""
    spec = load_spec(spec)
    file = spec.source or "<spec>"
    _check_instance_file(spec, file)
    inst = load_instance(spec.instance_path())
    base = instance_dict(inst)
    resolved = resolve_parameters(base, spec.parameters, file)
    _check_extremes(spec, base, resolved, file)
    ihash = content_hash(inst)
    return spec, inst, base, resolved, ihash, build_design(spec, ihash, base_values(spec, base, resolved))


def _check_instance_file(spec: SweepSpec, file: str) -> None:
    """A spec's ``instance:`` that names no file: said with the spec, its field and where the
    path was looked for (a relative path is read from the spec's folder)."""
    path = spec.instance_path()
    if path is None or path.exists():
        return
    where = (f"a relative path is read from the spec's folder, {Path(spec.source).parent.resolve()}"
             if spec.source and not Path(spec.instance).is_absolute() else "")
    raise InstanceError([Problem(file, "instance", spec.instance,
                                 f"an existing instance file (.yaml, .yml, .json, .xlsx); "
                                 f"{where + ': ' if where else ''}{path.resolve()} does not exist")])


def _check_extremes(spec, base, resolved, file) -> None:
    """Each parameter alone at each end of its range must give a valid instance."""
    problems = []
    for i, p in enumerate(spec.parameters):
        ends = [p.scale[0], p.scale[1]] if p.scale is not None else p.grid()
        for v in dict.fromkeys(map(str, ends)):
            value = next(e for e in ends if str(e) == v)
            try:
                validate_instance(scenario_dict(base, resolved, {p.label: value}), "instance")
            except InstanceError as exc:
                first = exc.problems[0]
                problems.append(Problem(file, f"parameters[{i}]", value,
                                        f"values that keep the instance valid; at {value!r}: {first.path}: "
                                        f"got {first.value!r}, expected {first.expected}"))
                break
    if problems:
        raise InstanceError(problems)


WORKERS_EXPECTED = "a whole number of worker processes >= 1 (1: in this process), or None (one per core)"


# the tables consolidate() writes (name: with a .parquet beside the .csv) and its chart
TABLES = {"results": True, "layout": True, "expansions": False, "frequency": False, "tornado": False}
ROBUST_TABLES = ("robust", "regret", "robust_layout")  # written by a run that makes one, removed by one that does not
TORNADO_PNG = "tornado.png"

# what a sweep writes in OUT (store.py's layout and the tables above): a folder holding anything
# else and no sweep.json is no sweep's, and is refused as `yrdopt solve --out` refuses one that is
# no solution's.  A writer killed mid-write leaves its temp_name (io.temp_of reads it back).
SWEEP_FILES = frozenset({
    *STORE_NAMES, TORNADO_PNG, *(f"{t}.csv" for t in (*TABLES, *ROBUST_TABLES)),
    *(f"{t}.parquet" for t, parquet in TABLES.items() if parquet)})
# what file managers leave in any folder they show: not a sign of someone else's results
OS_LITTER = frozenset({".DS_Store", "Thumbs.db", "desktop.ini", ".directory"})


def written_by_sweep(name: str) -> bool:
    return (temp_of(name) or name) in SWEEP_FILES or name in OS_LITTER or name.startswith("._")  # ._: macOS's AppleDouble


def foreign_folder_problems(out: str | Path) -> list[Problem]:
    """An existing ``out`` that no sweep wrote (no sweep.json, files a sweep does not write)."""
    out = Path(out)
    if not out.is_dir() or (out / "sweep.json").exists():
        return []
    foreign = sorted(e.name for e in out.iterdir() if not written_by_sweep(e.name))
    if not foreign:
        return []
    shown = ", ".join(foreign[:5]) + (", ..." if len(foreign) > 5 else "")
    return [Problem("command line", "--out", str(out),
                    f"a new directory or one a sweep wrote (it holds {shown} and no sweep.json: "
                    "choose another --out)")]


class ResumeMismatch(UserWarning):
    """``--resume`` found finished scenarios, none of them from this sweep."""


class UnreadableRecords(UserWarning):
    """``--resume`` found scenario files it cannot read; they are set aside and solved again."""


# keys every stored record has: solved scenarios, and robust-layout evaluations
SOLVE_KEYS = frozenset({"scenario", "status", "ok"})
EVALUATE_KEYS = frozenset({"scenario", "status", "costs"})


def _set_aside(store: Store, folder: Path, required: frozenset[str]) -> None:
    bad = store.set_aside_unreadable(folder, required)
    if bad:
        warnings.warn(UnreadableRecords(
            f"--resume: {len(bad)} scenario file(s) in {folder} could not be read (truncated, empty or not a "
            f"scenario record: {', '.join(bad[:3])}{', ...' if len(bad) > 3 else ''}); moved to "
            f"{store.out / 'unreadable'} and solved again"), stacklevel=3)
    journal_recovered(store.out, folder)


def run(spec: SweepSpec | dict | str | Path, out: str | Path | None = None, *, workers: int | None = None,
        scheduler: str | None = None, resume: bool = False, backend: str = "auto",
        progress: Callable[[Progress], None] | None = None, dask_processes: bool = True,
        connect_timeout: float = CONNECT_TIMEOUT_S) -> pd.DataFrame:
    """Run a sweep and return its results table (one row per scenario, in design order).

    backend: "auto" (in this process for ``workers=1``, else a process pool; Dask when
    ``scheduler`` is given), "processes", "inprocess".  scheduler: a Dask scheduler address,
    reached within ``connect_timeout`` seconds before anything is written to ``out``, or
    "local-dask" for a local cluster of ``workers`` processes.  ``resume``: keep what ``out``
    already holds and solve only the missing scenarios.  Without ``out`` the sweep runs in a
    temporary directory.  A pool's workers (and a local Dask cluster's) are spawned and import the
    calling script again: a script that runs a sweep with more than one worker calls it under
    ``if __name__ == "__main__":`` (without it, one error says so).
    """
    refuse_in_spawned_worker()
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, numbers.Integral) or workers < 1):
        # the CLI's --workers rule (a whole number, min=1; "2.0" is refused there too), said before
        # anything is written; numpy's integers are whole numbers (review 18)
        raise InstanceError([Problem("yrdopt.sweep.run()", "workers", workers, WORKERS_EXPECTED)])
    workers = None if workers is None else int(workers)
    spec, inst, base, resolved, ihash, scenarios = prepare(spec)
    if out is not None:  # a file, or a place that cannot be written: said before anything is written
        from ..outdir import check_outputs, folder_problems

        check_outputs(folder_problems(out, "--out") or foreign_folder_problems(out))

    def new_backend():
        return make_backend(backend, workers, scheduler, dask_processes, connect_timeout)

    # a remote scheduler is reached first: an address that does not answer leaves OUT untouched
    be = new_backend() if scheduler and scheduler != "local-dask" else None
    out = Path(out) if out is not None else Path(tempfile.mkdtemp(prefix="yrdopt-sweep-"))
    store = Store(out)
    manifest = {"name": spec.name, "instance": {"name": inst.name, "hash": ihash,
                                                 "path": str(spec.instance_path() or "embedded default")},
                "spec": spec.model_dump(mode="json"), "scenarios": [s.id for s in scenarios]}
    run_id = time.strftime("%Y%m%dT%H%M%S") + "-" + secrets.token_hex(3)  # each record's ``run``
    key = spec_key(ihash, manifest["spec"])
    try:
        store.open(manifest, resume=resume, run={"run": run_id, "started_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
                                                 "spec_key": key, "spec": manifest["spec"]})
        if resume:
            _set_aside(store, store.scen_dir, SOLVE_KEYS)
            stored = store.done_ids()
            if stored and not stored & {s.id for s in scenarios}:
                warnings.warn(ResumeMismatch(
                    f"--resume: none of the {len(stored)} scenarios already in {out} belongs to this sweep, so every "
                    "scenario is solved again. A scenario's id comes from the instance, its parameter values and the "
                    "solver options: a change in any of them (or in how this yrdopt version computes ids) gives new "
                    "ids."), stacklevel=2)
        ctx = Context.for_spec(spec, base, key, out=str(out.resolve()), token=store.token)
        done = store.done_ids()
        reused = len(done & {s.id for s in scenarios})
        todo = _missing(scenarios, done, spec.chunk_size)
        if todo:
            be = be or new_backend()
            _phase(be, ctx, store, scenarios, todo, "solve", None, run_id, None, progress,
                   earlier=_earlier(store, scenarios, done, spec.chunk_size, loosened_tolerances(spec.solver.highs)))
        loosened = loosened_tolerances(spec.solver.highs)
        records = [_counted_as_checked(store.read(s.id), loosened, spec.solver) for s in scenarios]
        robust = _no_robust_because(spec, inst, records)
        if robust is not None:
            _remove_robust_evaluations(store)
        else:
            robust = _robust_phase(lambda: be or new_backend(), ctx, store, spec, scenarios, records, run_id, progress)
            be = robust.pop("backend") or be
        results = consolidate(out, spec, base, resolved, scenarios, records, robust)
        results.attrs["reused"] = reused  # scenarios an earlier run in OUT solved (--resume), not this one
        return results
    finally:
        if be is not None:
            be.close()
        store.close()


def _counted_as_checked(rec: dict, loosened: dict[str, float] | None = None, solver=None) -> dict:
    """A stored record whose ``ok`` and status follow the checker: a layout the checker rejected
    ("not_verified") is no solved scenario, and one it never judged (no ``verified``: ``check:
    false``) is "unchecked".  Records written before those rules (``--resume`` on an older OUT)
    said ``ok`` beside "not_verified", and HiGHS's word without a check; the workers now write
    them so (:mod:`.worker`).

    ``loosened``: the tolerances of the spec's ``solver.highs`` looser than HiGHS's defaults (a
    record's id includes the solver options, so a resumed record was solved with them).  Records
    written before such a bound was known to prove nothing kept "optimal" and HiGHS's bound, and
    regret.csv then called a confirmed cheaper candidate a CONTRADICTION: they say what a record
    written now says ("unproven", no bound nor gap, HiGHS's bound kept apart).

    ``solver``: the spec's solver options (a :class:`SweepSolver`); with them a verified record's
    status, bound and gap are re-derived by the claims check's rules (:func:`.worker.claims_as_checked`),
    as a worker does for the records it writes: a record read back (``--resume``) claims no more either."""
    if loosened:
        rec = _without_loosened_bound(rec, loosened)
    if solver is not None:
        from .worker import claims_as_checked

        # the gaps HiGHS was asked for (its mip_abs_gap default 1e-6, unless solver.highs sets it)
        requested = {"relative": solver.mip_gap, "absolute": float(solver.highs.get("mip_abs_gap", 1e-6))}
        rec = {**rec, **claims_as_checked(rec, requested, highs=solver.highs)}
    if rec.get("ok") and rec.get("status") == "not_verified":
        return {**rec, "ok": False}
    if "verified" not in rec:
        return {**rec, **as_unchecked(rec)}
    return rec


def _without_loosened_bound(rec: dict, loosened: dict[str, float]) -> dict:
    """``rec`` as solved with ``loosened`` tolerances: no bound nor gap (HiGHS's bound kept as
    ``bound_at_loosened_tolerances``) and "unproven" for HiGHS's "optimal"."""
    if rec.get("bound") is None and rec.get("gap") is None and "optimal" not in (rec.get("status"),
                                                                                 rec.get("status_before_check")):
        return rec
    from ..solver import status_words

    out = {**rec, "bound": None, "gap": None}
    if rec.get("bound") is not None:
        out["bound_at_loosened_tolerances"] = rec["bound"]
    for key in ("status", "status_before_check"):
        if rec.get(key) == "optimal":
            out[key] = "unproven"
    if rec.get("status") == "optimal":
        out["reason"] = status_words("unproven", {"loosened_tolerances": loosened,
                                                  "bound_at_loosened_tolerances": rec.get("bound")})
    return out


def _missing(scenarios: list[Scenario], done: set[str], size: int) -> list[list[Scenario]]:
    out = []
    for ch in chunks(scenarios, size):
        ch = [s for s in ch if s.id not in done]
        if ch:
            out.append(ch)
    return out


# what a resumed chunk's worker needs of a stored record to start the rest from its layout
RESTORED_KEYS = ("scenario", "index", "params", "ok", "place_index", "expand_index", "park_index", "layout")


def _earlier(store: Store, scenarios: list[Scenario], done: set[str], size: int,
            loosened: dict[str, float] | None = None) -> list[list[dict]]:
    """For each chunk :func:`_missing` returns, the stored records (their :data:`RESTORED_KEYS`)
    of its scenarios already solved: a resumed chunk starts its other scenarios from their
    layouts as an uninterrupted one would (:meth:`ScenarioSolver.restore`)."""
    out = []
    for ch in chunks(scenarios, size):
        if all(s.id in done for s in ch):
            continue
        recs = ((s, _counted_as_checked(store.read(s.id), loosened)) for s in ch if s.id in done)
        # index and values from this design (a record keeps the labels of the spec that solved it)
        out.append([{**{k: r[k] for k in RESTORED_KEYS if k in r}, "index": s.index, "params": s.values}
                    for s, r in recs if r.get("ok")])
    return out


def _phase(be, ctx, store: Store, scenarios, todo, mode, extra, run_id, sub: Path | None, progress,
           earlier: list[list[dict]] | None = None) -> None:
    ids = {s.id for s in scenarios}
    folder = sub or store.scen_dir
    seen: set[str] = set()
    prog = Progress("solve" if mode == "solve" else "robust", total=len(ids))

    def count(rec: dict, new: bool) -> None:
        sid = rec["scenario"]
        if sid in seen or sid not in ids:
            return
        seen.add(sid)
        prog.done += 1
        prog.new += new
        if mode == "solve" and not rec.get("ok"):
            prog.failed += 1
        if progress:
            progress(prog)

    existing = {p.name[:-5] for p in folder.glob("*.json")}
    for sid in existing & ids:
        count(store.read(sid, folder) if mode == "solve" else {"scenario": sid, "ok": True}, False)
    if progress:
        progress(prog)

    def sink(rec: dict) -> None:  # a record that came back to the client
        store.write(rec, run_id, folder)
        count(rec, True)

    def poll() -> None:  # records that workers wrote themselves
        for p in folder.glob("*.json"):
            sid = p.name[:-5]
            if sid in ids and sid not in seen:
                try:
                    count(store.read(sid, folder) if mode == "solve" else {"scenario": sid, "ok": True}, True)
                except (OSError, ValueError):
                    pass

    rel = None if sub is None else str(sub.relative_to(store.out))
    be.run(ctx, todo, mode=mode, extra=extra, run=run_id, sub=rel, sink=sink, poll=poll, earlier=earlier)
    poll()


def _no_robust_because(spec: SweepSpec, inst, records: list[dict]) -> str | None:
    """Why this run makes no robust layout (said by the CLI, ``results.attrs["robust"]``), or
    None where it makes one."""
    if not spec.robust.enabled:
        return "robust: enabled: false in the spec"
    if inst.periods is not None:
        return "a phased instance: the robust layout's fixed-layout re-solves are single-period"
    solved = sum(1 for r in records if r.get("ok"))
    if solved < 2:
        return f"{solved} scenario{'' if solved == 1 else 's'} solved: a robust layout needs at least 2"
    return None


def candidate_payload(cands: list[dict]) -> list[dict]:
    """What the evaluations are told of each candidate: its full 0/1 vectors' indices (sizes from the
    base model; candidates from rebuilt shapes are compared as "not_comparable")."""
    return [{"place_index": c["place_index"], "expand_index": c["expand_index"]} for c in cands]


def evaluations_key(payload: list[dict], checked: bool) -> str:
    """The name of ``OUT/robust/<key>/``, which a --resume reuses: it names what an evaluation record
    holds — the candidates, whether the checker judged their re-solved layouts, and that those were
    polished first (records of earlier versions, unjudged or judged on HiGHS's raw layout, have
    other keys: their folders are removed, never reused beside polished ones)."""
    return hashlib.sha256(json.dumps([payload, {"checked_evaluations": checked, "polished_evaluations": True}],
                                     sort_keys=True).encode()).hexdigest()[:12]


def _robust_phase(get_backend, ctx, store: Store, spec, scenarios, records, run_id, progress) -> dict:
    ok = [r for r in records if r.get("ok")]
    cands = summaries.candidate_layouts(ok, spec.robust.candidates)
    payload = candidate_payload(cands)
    key = evaluations_key(payload, ctx.check)
    sub = store.robust_dir(key)
    _remove_robust_evaluations(store, keep=key)
    _set_aside(store, sub, EVALUATE_KEYS)
    opt_ids = {r["scenario"] for r in ok}
    eval_scen = [s for s in scenarios if s.id in opt_ids]
    done = {p.name[:-5] for p in sub.glob("*.json")}
    todo = _missing(eval_scen, done, spec.chunk_size)
    be = None
    if todo:
        be = get_backend()
        try:
            extra = _dense_candidates(ctx, payload)
            _phase(be, ctx, store, eval_scen, todo, "evaluate", extra, run_id, sub, progress)
        except BaseException:
            # run() closes only the backend it holds: one made here would outlive the lock (its
            # workers still writing while another run takes OUT); closing one run() holds twice is harmless
            be.close()
            raise
    evals = [store.read(s.id, sub) for s in eval_scen]
    return {"candidates": cands, "evaluations": evals, "backend": be,
            "optimum": {r["scenario"]: r["objective"] for r in ok},
            # whether each is proven (a confirmed candidate below a proven bound contradicts it)
            "scenarios": {r["scenario"]: {"status": r.get("status"), "bound": r.get("bound")} for r in ok}}


def _remove_robust_evaluations(store: Store, keep: str | None = None) -> None:
    """Remove the evaluation folders under ``OUT/robust/`` other than ``keep``: those of an
    earlier run's candidates (a --resume whose layouts changed, or a run without a robust phase)
    would otherwise lie there as if they were this run's.  The current key's folder is kept:
    a resumed robust phase reuses its records."""
    import shutil

    for folder in (store.out / "robust").glob("*"):
        if folder.is_dir() and folder.name != keep:
            shutil.rmtree(folder, ignore_errors=True)


def _dense_candidates(ctx: Context, payload: list[dict]) -> list[dict]:
    from ..data import build_model_data

    d = build_model_data(validate_instance(ctx.base, "base"))
    out = []
    for c in payload:
        place = np.zeros(d.S * d.R)
        place[c["place_index"]] = 1.0
        expand = np.zeros(d.E)
        expand[c["expand_index"]] = 1.0
        out.append({"place": place.tolist(), "expand": expand.tolist()})
    return out


# ------------------------------------------------------------------------- consolidation
def base_values(spec: SweepSpec, base: dict, resolved) -> dict[str, Any]:
    """What 'unchanged' shows as: multiplier 1, or a set parameter's base value when it has one."""
    out = {}
    for p, r in zip(spec.parameters, resolved):
        if p.op == "scale":
            out[p.label] = 1.0
        else:
            vals = []
            for loc in r.locations:
                try:
                    vals.append(_get(base, loc))
                except (KeyError, IndexError, TypeError):
                    vals.append(None)
            out[p.label] = vals[0] if len(set(map(str, vals))) == 1 else None
    return out


def results_table(spec: SweepSpec, scenarios: list[Scenario], records: list[dict], bases: dict,
                  sites: pd.Series | None = None) -> pd.DataFrame:
    """One row per scenario of this design (``records[i]`` is ``scenarios[i]``'s), in design order.
    Its index and parameter values are this design's: a record reused by ``--resume`` keeps the
    index and labels of the spec that solved it (its id covers paths and values, not names or order).
    ``sites``: per scenario, the sites that host activity (:func:`summaries.hosting_sites`)."""
    sites = summaries.hosting_sites(layout_table(records)[0]) if sites is None else sites
    rows = []
    for sc, r in zip(scenarios, records, strict=True):
        row = {"scenario": sc.id, "index": sc.index}
        for p in spec.parameters:
            v = sc.values.get(p.label)
            row[p.label] = bases[p.label] if v is None else v
        for c in STATUS_COLUMNS:
            row[c] = r.get(c)
        terms = r.get("terms") or {}
        for t in TERMS:
            row[t] = terms.get(t)
        row["sites"] = int(sites.get(sc.id, 0)) if "layout" in r else None
        for c in TAIL_COLUMNS:
            if c != "sites":
                row[c] = r.get(c)
        row["false_claims"] = false_claims_text(r.get("false_claims"))
        rows.append(row)
    df = pd.DataFrame(rows)
    for c in ["objective", "bound", "gap", *TERMS, "max_violation", "check_objective", "start_objective", "start_s", "highs_limit_s",
              "solve_s", "prep_s", "polish_s", "check_s", "total_s"]:
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df["ok"] = df["ok"].astype(bool)
    return df.sort_values("index", ignore_index=True)


def layout_table(records: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    rows = [[r["scenario"], *row] for r in records for row in r.get("layout", [])]
    layout = pd.DataFrame(rows, columns=["scenario", "chain", "segment", "region", "activity"])
    layout["activity"] = layout["activity"].astype(float) + 0.0  # HiGHS's -0.0 is written 0, not -0
    # every row is a site opened (placement 1), as `sited` in `yrdopt solve`'s layout.csv: one that
    # hosts nothing (a fixed placement, a guarantee's empty site) is sited with activity 0
    layout.insert(4, "sited", True)
    exps = [[r["scenario"], *e.split("/", 1)] for r in records for e in r.get("expansions", [])]
    return layout, pd.DataFrame(exps, columns=["scenario", "region", "option"])


def _write_table(df: pd.DataFrame, out: Path, name: str) -> None:
    from ..io import atomic_write_text, temp_name

    atomic_write_text(out / f"{name}.csv", df.to_csv(index=False, float_format="%.10g"))
    if TABLES.get(name, False):
        tmp = temp_name(out / f"{name}.parquet")
        try:
            _parquet_safe(df).to_parquet(tmp, index=False)
            tmp.replace(out / f"{name}.parquet")
        finally:
            tmp.unlink(missing_ok=True)


def _parquet_safe(df: pd.DataFrame) -> pd.DataFrame:
    """Mixed-type object columns (a parameter set to strings and numbers) become strings."""
    df = df.copy()
    for c in df.columns:
        if df[c].dtype == object:
            kinds = {type(v) for v in df[c] if v is not None and not (isinstance(v, float) and math.isnan(v))}
            if len(kinds) > 1 or (kinds and not kinds <= {str, bool}):
                df[c] = df[c].map(lambda v: None if v is None else str(v))
    return df


def consolidate(out: Path, spec: SweepSpec, base: dict, resolved, scenarios, records,
                robust: dict | str) -> pd.DataFrame:
    """Write the tables.  ``robust``: the robust phase's answer, or why there is none (then a
    robust table an earlier run left in OUT, naming scenarios and layouts of that run, is removed
    before ``results`` is written: ``--resume`` with other ids or ``robust: enabled: false``)."""
    made = set()
    if isinstance(robust, dict):
        long, table, best = summaries.regret_tables(robust["candidates"], robust["evaluations"], robust["optimum"],
                                                    robust.get("scenarios"))
        made = {"robust", "regret"} | ({"robust_layout"} if best is not None else set())
    for name in set(ROBUST_TABLES) - made:
        (out / f"{name}.csv").unlink(missing_ok=True)  # one unlink each: a file is there whole or not at all
    bases = base_values(spec, base, resolved)
    layout, exps = layout_table(records)
    results = results_table(spec, scenarios, records, bases, summaries.hosting_sites(layout))
    _write_table(results, out, "results")
    _write_table(layout, out, "layout")
    _write_table(exps, out, "expansions")
    _write_table(summaries.frequency(results, layout), out, "frequency")
    tor = summaries.tornado(results, spec.parameters, bases, spec.design.kind)
    _write_table(tor, out, "tornado")
    base_id = next((s.id for s in scenarios if all(
        summaries._is_base(s.values.get(p.label), bases[p.label]) for p in spec.parameters)), None)
    base_obj = results.loc[results["scenario"] == base_id, "objective"]
    try:
        summaries.tornado_png(tor, float(base_obj.iloc[0]) if len(base_obj) and pd.notna(base_obj.iloc[0]) else None,
                              out / TORNADO_PNG)
    except Exception:  # a chart is a convenience; the CSV holds the numbers
        pass
    if made:
        _write_table(long, out, "regret")
        _write_table(table, out, "robust")
        if best is not None:
            _write_table(summaries.robust_layout_table(robust["candidates"][best]), out, "robust_layout")
    results.attrs["out"] = str(out)
    # None: robust.csv holds this run's robust layout; else why there is none
    results.attrs["robust"] = None if "robust_layout" in made else (
        robust if isinstance(robust, str) else _no_robust_layout(long))
    # evaluations whose re-solved layout the checker rejected (no regret figure; said by the CLI)
    results.attrs["robust_rejected"] = int((long["status"] == "not_verified").sum()) if made else 0
    # confirmed candidates cheaper than their scenario's own layout, and those of them below a proven bound
    found = long["finding"].dropna() if made else pd.Series(dtype=object)
    results.attrs["robust_cheaper"] = len(found)
    results.attrs["robust_contradictions"] = int(found.str.startswith("CONTRADICTION").sum())
    return results


def _no_robust_layout(regret: pd.DataFrame) -> str:
    """Why a robust phase chose no layout (``regret``: its long table)."""
    if len(regret) and (regret["status"] == "not_verified").all():
        return (f"the independent checker rejected every candidate's re-solved layout ({len(regret)} evaluations, "
                "regret.csv): no regret figure to compare")
    return "no candidate layout to compare"


def load_results(out: str | Path) -> dict[str, pd.DataFrame]:
    """Read a finished sweep directory's tables back."""
    out = Path(out)
    tables = {}
    for name in ("results", "layout"):
        tables[name] = pd.read_parquet(out / f"{name}.parquet")
    for name in ("expansions", "frequency", "tornado", "robust", "regret", "robust_layout"):
        p = out / f"{name}.csv"
        if p.exists() and p.stat().st_size > 1:
            try:
                tables[name] = pd.read_csv(p)
            except pd.errors.EmptyDataError:
                tables[name] = pd.DataFrame()
    return tables


__all__ = ["Progress", "RUN_DEPENDENT", "ResumeMismatch", "load_results", "prepare", "run"]

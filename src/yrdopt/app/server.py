"""The HTTP layer of the workbench (standard library ``http.server``; JSON in, JSON out).

Safe by default:

* it binds 127.0.0.1 and answers only requests addressed to the loopback name it serves
  (``Host`` checked, which stops DNS-rebinding pages from reaching it);
* serving other machines needs ``allow_remote`` *and* a token: the first visit carries
  ``?token=...``, which becomes a same-site cookie; every other request without it is refused;
* requests that change anything need the ``X-Yrdopt`` header and a JSON body, which a page
  of another origin cannot send without a CORS preflight this server never grants;
* the browser names scenarios and segments, never files: instances arrive as JSON and any
  ``*_csv`` file reference in them is refused; scenario ids are looked up in the workspace;
* every script, style and map shape is served by the app itself (``Content-Security-Policy:
  default-src 'self'``), so it works with no network.
"""

from __future__ import annotations

import hmac
import http.cookies
import inspect
import ipaddress
import json
import math
import mimetypes
import re
import secrets
import tempfile
import threading
import time
import traceback
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib import resources as _res
from pathlib import Path

from ..errors import InfeasibleError, InstanceError, Problem, SolverError, YrdoptError
from ..io import content_hash, instance_dict, load_instance, validate_mapping
from ..analysis.limit_words import counted
from ..schema import Instance, segment_names
from . import views
from .jobs import JobQueue, in_planner_words, log, problems_json
from .wording import (MEASURE_WORDS, TERM_WORDS, change_words, kind_words, entry_words, failure_lists, failure_words,
                      in_page_words,
                      page_words, raise_headline, placement_words, region_names,
                      resource_units, term_words)
from .workspace import Workspace, sibling, slug

MAX_BODY = 32 * 1024 * 1024
BROWSER_FILE = "what-if instance"
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'"


class ClientError(Exception):
    def __init__(self, status: int, message: str, problems: list[dict] | None = None):
        super().__init__(message)
        self.status, self.message, self.problems = status, message, problems


def static_dir() -> Path:
    return Path(str(_res.files("yrdopt") / "app" / "static"))


def baseline_for(instance_path: Path | None) -> Path | None:
    """Today's layout next to an instance file (``NAME.baseline.csv``), as ``yrdopt solve`` finds it."""
    from ..io import default_instance_path

    p = Path(instance_path) if instance_path is not None else default_instance_path()
    cand = p.with_name(p.stem + ".baseline.csv")
    return cand if cand.exists() else None


def find_csv_refs(data, path: str = "") -> list[str]:
    """Field paths of file references (``regions_csv``, ``matrix_csv``, ...) anywhere in ``data``."""
    out = []
    if isinstance(data, dict):
        for k, v in data.items():
            p = f"{path}.{k}" if path else str(k)
            if str(k).endswith("_csv"):
                out.append(p)
            out += find_csv_refs(v, p)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            out += find_csv_refs(v, f"{path}[{i}]")
    return out


def validate_browser_instance(data) -> Instance:
    """An instance sent by the page: the same schema and cross-checks as files, no file references."""
    if not isinstance(data, dict):
        raise InstanceError([Problem(BROWSER_FILE, "", type(data).__name__, "an instance object")])
    refs = find_csv_refs(data)
    if refs:
        raise InstanceError([Problem(BROWSER_FILE, p, "a file reference", "tables inline (the browser may not name files)")
                             for p in refs])
    return validate_mapping(data, BROWSER_FILE)


CHANGES_LISTED = 40  # edits listed per what-if (scenario.json, the Excel export)


def changes(base, new, path: str = "", limit: int = CHANGES_LISTED) -> list[str]:
    """Readable differences between two instance dicts (``regions[id=sh].quotas.land: 6.3 -> 8``)."""
    out: list[str] = []

    def walk(a, b, p):
        if len(out) >= limit or a == b or p in PLACEMENT_LISTS:
            return
        if isinstance(a, dict) and isinstance(b, dict):
            for k in list(a) + [k for k in b if k not in a]:
                if k == "sources":
                    continue
                walk(a.get(k), b.get(k), f"{p}.{k}" if p else str(k))
        elif (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
              and all(isinstance(x, dict) and "id" in x for x in a + b)
              and [x["id"] for x in a] == [x["id"] for x in b]):
            for x, y in zip(a, b):
                walk(x, y, f"{p}[id={x['id']}]")
        elif (isinstance(a, list) and isinstance(b, list) and len(a) == len(b)
              and all(isinstance(x, dict) for x in a + b)):  # guarantees, milestones: each field by its place
            for i, (x, y) in enumerate(zip(a, b)):
                walk(x, y, f"{p}[{i}]")
        elif (said := entry_words(p, a, b, base, new)) is not None:  # a guarantee or budget removed or added
            out.extend(said)
        else:
            out.append(f"{p}: {_short(a)} -> {_short(b)}")

    walk(base, new, path)
    if not path:  # placements in words, never as their lists' JSON cut short
        out += placement_changes(base, new)
    return out[:limit]


PLACEMENT_LISTS = ("policy.fixed", "policy.forbidden")


def draft_changes(opened: dict, draft) -> dict:
    """The edits of a draft the schema refuses, as a valid one's are listed (``changes`` and their
    ``change_words``), read from the draft as sent: the planner sees what they changed while a
    problem is open.  A draft too broken to compare (not an object, a list where an object
    belongs) lists none."""
    if not isinstance(draft, dict):
        return {"changes": [], "change_words": []}
    try:
        diff = changes(opened, draft)
        return {"changes": diff, "change_words": [change_words(draft, e) for e in diff]}
    except (TypeError, ValueError, KeyError, AttributeError, IndexError):
        return {"changes": [], "change_words": []}


def placement_changes(base: dict, new: dict) -> list[str]:
    """The placements a what-if fixes, forbids or frees, in words ("ic/fab fixed in Suzhou (Jiangsu)").
    Fixing a placement the instance forbids lifts that ban (the editor keeps a placement in one list):
    said in the same line, never silently."""
    def keys(data, kind):
        items = ((data or {}).get("policy") or {}).get(kind) or []
        return {(p.get("chain"), p.get("segment"), p.get("region")): p for p in items if isinstance(p, dict)}

    names = {**region_names(base), **region_names(new)}
    segments = {**segment_names(base), **segment_names(new)}
    before = {k: keys(base, k) for k in ("fixed", "forbidden")}
    after = {k: keys(new, k) for k in ("fixed", "forbidden")}
    out = []
    for kind, other in (("fixed", "forbidden"), ("forbidden", "fixed")):
        for k, p in after[kind].items():
            if k in before[kind]:
                continue
            text = placement_words(kind, p, names, added=True, segments=segments)
            if k in before[other] and k not in after[other]:
                text += ("; it was not allowed there: that ban is lifted" if kind == "fixed"
                         else "; it was fixed there: no longer")
            out.append(text)
        for k, p in before[kind].items():
            if k not in after[kind] and k not in after[other]:
                out.append(placement_words(kind, p, names, added=False, segments=segments))
    return out


def recorded_edits(sc) -> list[str] | None:
    """The what-if edits a scenario was solved with: its own (``changes`` in scenario.json), else
    its parent's (an alternative is its parent's instance solved again), none for today's layout;
    None when none were recorded."""
    seen = set()
    while sc is not None and sc.id not in seen:
        seen.add(sc.id)
        if sc.meta.get("changes") is not None:
            return list(sc.meta["changes"])
        if sc.meta.get("kind") == "baseline":
            return []
        sc = sibling(sc, sc.meta.get("parent"))
    return None


def scenario_about(sc, opened: dict | None = None) -> list[tuple[str, object]]:
    """The Excel export's first sheet (:func:`views.export_about`) from the scenario's folder: the
    edits saved with it (or its parent), else against ``opened`` (the instance the page opened), each
    region or segment named as the planner knows it.  The page's export and ``yrdopt export-excel``
    on a workspace folder both write it (:func:`export_scenario`)."""
    inst = sc.instance()
    data = instance_dict(inst)
    edits = recorded_edits(sc)
    if edits is None and opened is not None:
        edits = changes(opened, data)
    # each edit as the planner says it ("Shanghai land quota 28.48 → 15.0 km2")
    edits = None if edits is None else [change_words(data, e) for e in edits]
    parent = sibling(sc, sc.meta.get("parent"))
    summary = sc.summary()
    checked = {}
    if not sc.failed and summary and summary.get("status") != "baseline":
        # the checker row says `yrdopt check`'s verdict (layout and summary.json's claims, checker.check_dir), as
        # the Summary tab; before: summary.json's own "verified", so a bound above the objective said verified
        from ..checker import check_dir

        rep = check_dir(inst, sc.path)
        checked = {"verified": rep.verified, "violations": [v.to_dict() for v in rep.violations],
                   "false_claims": [c.words for c in rep.false_claims]}
    rows = views.export_about(sc, {**summary, **sc.status(summary), **checked}, edits,
                              parent.name if parent is not None else sc.meta.get("parent"), inst)
    if edits is not None and len(edits) >= CHANGES_LISTED:
        rows.append(("what-if edits", f"the first {CHANGES_LISTED} are listed; the scenario's instance.json has them all"))
    return rows


def solve_result(sc) -> dict:
    """A solve job's result as its scenario says it (summary.json, as the Summary tab): its status
    (the checker's verdict included: "not_verified"), objective, bound and gap.  The job bar shows
    these once the solve ends, never the last progress report (HiGHS's bound and gap before its last
    improvement), and no bound or gap for a layout the checker rejected."""
    summary = sc.summary()
    status = sc.status(summary)
    rejected = status["status"] == "not_verified"
    return {"scenario": sc.id, **status, "objective": summary.get("objective"),
            "bound": None if rejected else summary.get("bound"),
            "gap": None if rejected else status["gap"], "verified": summary.get("verified")}


def report_status(sc) -> str | None:
    """The status the HTML report of a scenario gives (``build_report(status_text=...)``): an
    alternative's own words (:meth:`Scenario.status`), else None (its summary's)."""
    return sc.status()["status_text"] if sc is not None and sc.meta.get("kind") == "alternative" else None


def export_scenario(sc, out: Path, inst: Instance | None = None, opened: dict | None = None) -> Path:
    """A scenario's workbook: its "scenario" sheet (:func:`scenario_about`), then its tables; its
    summary sheet with the scenario's status (an alternative's in words, its bound and gap its
    parent's: summary.json's are its distance MIP's, "optimal" whatever its parent's status)."""
    from ..excel import export_solution

    summary = None
    if sc.meta.get("kind") == "alternative":
        ref = sc.meta.get("reference") or {}
        summary = {**sc.status(), "bound": None, "parent_status": ref.get("status"), "parent_gap": ref.get("gap")}
    return export_solution(sc.path, out, inst if inst is not None else sc.instance(), about=scenario_about(sc, opened),
                           summary=summary)


def _short(v) -> str:
    t = json.dumps(v, ensure_ascii=False, default=str)
    return t if len(t) <= 80 else t[:77] + "..."


def startup_name(instance_name: str) -> str:
    """The scenario of the start-up solve: the opened instance, as "today's layout (NAME)" is today's."""
    return f"opened instance ({instance_name})"


# the page's names for what a job request carries (errors speak of the form, never of CLI flags)
WHATIF_FORM = "what-if form"
ALTERNATIVES_FORM = "alternatives tab"
LIMITS_FORM = "limits tab"
EXPLAIN_FORM = "why here? tab"
FORM_FIELDS = {"time_limit": "Time limit (s)", "n": "Layouts (n)", "slack": "within … of the optimum (slack)"}


def _json_number(v, *, integer: bool = False):
    """A JSON number as Python's (a whole float such as 3.0 counts as whole), None if it is none."""
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
        return None
    if integer:
        return int(v) if float(v).is_integer() else None
    return float(v)


def job_options(body: dict, form: str, **defaults) -> tuple:
    """The numeric options of a job request, in the order of ``defaults`` (absent or null: the
    default); a 400 before anything is queued naming each bad one as the page labels it, its value
    and what is expected (the rules are the library's: the time limit's of
    :func:`yrdopt.solver.time_limit_problem`, n's and slack's of
    :func:`yrdopt.analysis.alternatives.option_problems`)."""
    from ..analysis.alternatives import option_problems
    from ..solver import time_limit_problem

    values, problems = [], []
    for key, default in defaults.items():
        raw = body.get(key)
        if raw is None:
            values.append(default)
            continue
        v = _json_number(raw, integer=key == "n")
        given = raw if v is None else v  # not a number: the library's rule refuses it in its own words
        if key == "time_limit":
            bad = time_limit_problem(given)
        else:
            bad = next((e for k, _, e in option_problems(**{"n": 3, "slack": 0.05, key: given}) if k == key), None)
        if bad:
            problems.append(Problem(form, FORM_FIELDS.get(key, key), raw, bad))
        values.append(v)
    if problems:
        raise ClientError(400, "; ".join(map(str, problems)))
    return tuple(values)


# a what-if HiGHS proved has no layout, stopped by the planner while the diagnosis looked for why: what
# the diagnosis found by then (an elastic solve's raise far from the least) is not shown as an answer
STOPPED_EXPLAINING = ("stopped by you while finding why no layout exists. No layout meets every limit (the solver "
                      "proved it); which limits conflict and how far to raise them was not found before the stop: "
                      "solve it again and let it finish to see them.")


# a scenario's re-solved limits (the last Limits job with RESOLVE_EACH), as the job that made them ended
KEPT_LIMITS = "limits-resolved.json"


def keep_limits(sc, record: dict) -> None:
    """Keep a re-solved Limits answer in the scenario's folder; a disk that refuses it costs only that."""
    from ..io import atomic_write_text

    try:
        atomic_write_text(sc.path / KEPT_LIMITS, json.dumps(record, ensure_ascii=False, default=_json_default,
                                                            allow_nan=False))
    except (OSError, ValueError) as err:
        log(f"the re-solved limits of “{sc.name}” could not be kept in its folder: {err}")


def kept_limits(sc) -> dict | None:
    """The re-solved Limits answer kept with the scenario (:func:`keep_limits`), None if none (or unreadable).
    Its figures (``prices``: :func:`prices_kept`) are said in words as the page says them now, so a wording
    fixed since reaches a saved scenario; a file kept before holds its words (``result``) and is shown so."""
    try:
        record = json.loads((sc.path / KEPT_LIMITS).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(record, dict):
        return None
    if isinstance(record.get("prices"), dict):
        try:
            inst = sc.instance()
            prices = prices_read(record["prices"])
        except Exception as err:  # noqa: BLE001 - a kept file the page cannot read costs only that answer
            log(f"the re-solved limits kept with “{sc.name}” could not be read: {err}")
            return None
        asked = record.get("asked") or {}
        record = {k: v for k, v in record.items() if k != "prices"}
        record["result"] = in_page_words(views.prices_view(prices, asked.get("period"), inst,
                                                           stopped=record.get("state") == "stopped",
                                                           reoptimised=bool(asked.get("reoptimise"))))
    return record


def prices_kept(p) -> dict:
    """A :class:`yrdopt.analysis.explain.Prices` as JSON figures (NaN and infinity as null): its tables'
    rows, the LP's objective, how far the layout may lie above its optimum and its status words."""
    import numpy as np

    def figure(v):
        if isinstance(v, (bool, np.bool_)):
            return bool(v)
        if isinstance(v, (int, np.integer)):
            return int(v)
        if isinstance(v, (float, np.floating)):
            return float(v) if math.isfinite(v) else None
        return v

    def rows(t):
        if t is None:
            return None
        return {"columns": [str(c) for c in t.columns], "rows": [[figure(v) for v in r] for r in t.itertuples(index=False)]}

    return {"objective": figure(p.objective), "quotas": rows(p.quotas), "guarantees": rows(p.guarantees),
            "budgets": rows(p.budgets), "layout_above": figure(p.layout_above), "layout_status": p.layout_status}


def prices_read(kept: dict):
    """:func:`prices_kept`'s figures back as Prices (null: NaN; a null ``layout_above``: infinity)."""
    import pandas as pd

    from ..analysis.explain import Prices

    def table(t):
        if t is None:
            return None
        df = pd.DataFrame(t["rows"], columns=t["columns"])
        for c in df.columns:  # a column of numbers with nulls (all-null: a figure never found) back to floats
            if all(v is None or (isinstance(v, (int, float)) and not isinstance(v, bool)) for v in df[c]):
                df[c] = df[c].astype(float)
        return df

    above = kept.get("layout_above")
    return Prices(float(kept["objective"]), table(kept["quotas"]), table(kept["guarantees"]), table(kept.get("budgets")),
                  math.inf if above is None else float(above), str(kept.get("layout_status") or ""))


def layout_above_optimum(sc) -> tuple[float, str]:
    """(how far the scenario's layout may lie above its own optimum, its status in words), by the CLI's rule
    (:func:`yrdopt.analysis.explain.layout_above_optimum`) with the scenario's status: an alternative's summary
    is its distance MIP's, so no bound says (a re-solve from it gains that much more than the limit is worth)."""
    from ..analysis.explain import layout_above_optimum as above_optimum, layout_words

    summary = sc.summary()
    status = sc.status(summary)
    words = layout_words(summary) if sc.meta.get("kind") == "baseline" else \
        str(status.get("status_text") or status.get("status")).split(" (")[0]
    return above_optimum(summary, status["status"]), words


def refuse_rejected(sc) -> None:
    """Why here? and Limits of a layout the checker rejected: refused at once, in words (409), not run
    to end in the analysis's re-check naming the scenario's folder on the server."""
    if sc.status()["status"] == "not_verified":
        raise ClientError(409, f"“{sc.name}”: {views.NOT_FOR_REJECTED}")


class Workbench:
    """State shared by the request threads: the instance opened, the workspace, the job queue."""

    def __init__(self, instance: str | Path | None, workspace: str | Path, *, token: str | None = None,
                 time_limit: float = 60.0, solve_on_start: bool = True):
        self.instance_path = Path(instance) if instance is not None else None
        self.instance = load_instance(instance)
        self.instance_json = instance_dict(self.instance)
        self.workspace = Workspace(workspace)
        self.jobs = JobQueue()
        self.token = token
        self.time_limit = time_limit
        self.baseline_csv = baseline_for(self.instance_path) or self._existing_sites_csv()
        self.schema = Instance.model_json_schema(by_alias=True)
        self.geometry = views.geometry(self.instance)
        self._views: dict[tuple, dict] = {}
        self._views_lock = threading.Lock()
        self.baseline_id = self._ensure_baseline()
        if self.baseline_id:
            self.view(self.workspace.get(self.baseline_id))
        from .. import api

        params = inspect.signature(api.solve).parameters
        self.solver_features = {"progress": "progress" in params, "stop": "stop" in params}
        self._static = {p.name: p.read_bytes() for p in static_dir().iterdir() if p.is_file()}
        h = content_hash(self.instance)
        if solve_on_start and not any(s.meta.get("kind") == "solve" and s.meta.get("instance_hash") == h
                                      for s in self.workspace.scenarios()):
            # a first look needs a layout beside today's: the opened instance as it is
            # named by what it is: its status (optimal or not, when a time limit ends it) is its own column
            self.submit_solve(self.instance_json, startup_name(self.instance.name), None)

    # --------------------------------------------------------------------------- baseline
    def _existing_sites_csv(self) -> Path | None:
        """Today's layout of a brownfield instance without a ``NAME.baseline.csv`` beside it: its
        existing sites, written once into the workspace (the map beside every scenario)."""
        bf = self.instance.brownfield
        if bf is None or not bf.existing:
            return None
        from ..io import atomic_write_text

        import pandas as pd

        path = self.workspace.root / f".today-{content_hash(self.instance)[:12]}.csv"
        if not path.exists():
            today = pd.DataFrame([(e.chain, e.segment, e.region, e.activity) for e in bf.existing],
                                 columns=["chain", "segment", "region", "activity"])
            atomic_write_text(path, today.to_csv(index=False, float_format="%.10g"))
        return path

    def _ensure_baseline(self) -> str | None:
        if self.baseline_csv is None:
            return None
        h = content_hash(self.instance)
        sid = f"000-baseline-{slug(self.instance.name, 30)}-{h[:6]}"
        if self.workspace.get(sid) is None:
            try:
                # today's sites written by the workbench itself: said as what they are, not by that file's name
                said = "the instance's existing sites" if self.baseline_csv.name.startswith(".today-") else None
                self.workspace.save(lambda d: views.baseline_files(self.instance, self.baseline_csv, d, said),
                                    f"today's layout ({self.instance.name})", self.instance, kind="baseline",
                                    scenario_id=sid)
            except FileExistsError:
                pass
        return sid

    # ------------------------------------------------------------------------------ jobs
    def _solver_kwargs(self, job) -> dict:
        kw = {}
        if self.solver_features["progress"]:
            kw["progress"] = job.report
        if self.solver_features["stop"]:
            kw["stop"] = job.stop
        return kw

    def submit_solve(self, data, name: str | None, time_limit: float | None):
        inst = validate_browser_instance(data)
        name = (name or "").strip()[:120] or f"what-if {time.strftime('%H:%M:%S')}"
        diff = changes(self.instance_json, instance_dict(inst))
        tl = self.time_limit if time_limit is None else time_limit

        def run(job):
            from .. import api

            # an infeasible instance raises InfeasibleError explained in the planner's terms, over
            # periods too: the least increase of each period's quotas and budgets (phasing.solve_phased)
            try:
                try:
                    sol = api.solve(inst, options=solver_options(inst, tl), **self._solver_kwargs(job))
                except InfeasibleError as exc:  # said above the maps: regions by name, no field paths
                    if job.stop.is_set():  # the Stop cut the diagnosis short: a raise it found by then is no answer
                        raise InfeasibleError(STOPPED_EXPLAINING, {"stopped": True}) from exc
                    # said first: what to raise, by how much; then the diagnosis; every limit it names listed
                    said = failure_words(exc.explanation, inst)
                    head = raise_headline(exc.explanation, exc.details, inst)
                    raise InfeasibleError(f"{head} {said}" if head else said,
                                          {**(exc.details or {}), "listed": failure_lists(exc.details, inst)}) from exc
            except YrdoptError as exc:  # listed among the scenarios with its reason; stopped, only a proof
                if not job.stop.is_set() or isinstance(exc, InfeasibleError):  # that no layout exists is kept
                    self._keep_failed(exc, name, inst, {"changes": diff, "time_limit": tl})
                raise
            if self.baseline_csv is not None and inst.periods is None:  # a plan over periods is no one layout
                from ..analysis.baseline import compare_with_baseline

                try:
                    sol.summary["baseline"] = compare_with_baseline(sol, self.baseline_csv)
                except (YrdoptError, KeyError) as exc:  # edited regions/segments the baseline cannot name
                    sol.summary["baseline_note"] = page_words(str(exc))
            # a Stop that came after HiGHS returned (while checking or saving) cut nothing short
            job.cut_short = sol.status == "interrupted"
            sc = self.workspace.save(sol.write, name, inst, extra={"changes": diff, "time_limit": tl})
            self.view(sc)  # computed here, so the page's request for it is answered at once
            return solve_result(sc)

        return self.jobs.submit("solve", name, run)

    def _keep_failed(self, exc: YrdoptError, name: str, inst: Instance, extra: dict) -> None:
        """A solve that found no layout, kept as a scenario with the reason the job says (jobs.outcome, in
        the page's words as Job.settle says it); a disk that refuses it leaves the job's failure as it was."""
        reason = page_words(exc.explanation if isinstance(exc, InfeasibleError) else exc.message()
                            if isinstance(exc, InstanceError) else str(exc))
        listed = (exc.details or {}).get("listed") if isinstance(exc, InfeasibleError) and isinstance(exc.details, dict) else None
        try:
            self.workspace.save_failed(name, inst, reason, {**extra, **({"listed": listed} if listed else {})})
        except OSError as err:
            log(f"the failed solve “{name}” could not be kept among the scenarios: {err}")

    def submit_explain(self, sc, segment: str, reoptimise: bool, period=None, time_limit: float | None = None):
        """Queue "why here?"; a phased plan is explained one milestone (``period``) at a time; the
        whole job within ``time_limit`` (the page's time limit field; else the server's)."""
        from ..analysis.explain import cost_of_moving
        from ..deadline import Deadline

        refuse_rejected(sc)
        inst = sc.instance()
        keys = {f"{c.id}/{s.id}" for c in inst.chains for s in c.segments}
        if segment not in keys:
            raise ClientError(400, f"unknown segment {segment!r}; expected chain/segment of this scenario's instance")
        year = milestone(sc, period)
        if year is None and inst.periods is not None:  # today's layout of a phased instance
            raise ClientError(400, "this scenario is today's layout of an instance over periods: ask why here? "
                                   "of one of its plans, in a milestone year")

        tl = self.time_limit if time_limit is None else time_limit  # checked by job_options, as Solve's

        def run(job):  # its answers and errors reach the page in its words (Job.settle: wording.page_words)
            t0 = time.monotonic()
            try:
                t = cost_of_moving(inst, sc.path, segment, reoptimise=reoptimise, period=year,
                                   deadline=Deadline(tl, stop=job.stop))  # Stop ends the MIP running
            except SolverError as exc:  # the reference had no time: the user's Stop, not the time limit
                if job.stop.is_set():
                    raise SolverError(f"stopped by the user after {time.monotonic() - t0:.1f} s, before this "
                                      "layout was re-solved as the reference: no move was evaluated") from exc
                raise
            # a Stop before the answer was complete: its solves from then on had no time (Deadline.stop)
            job.cut_short = job.stop.is_set()
            return views.explain_view(t, stopped_after=time.monotonic() - t0 if job.cut_short else None, inst=inst)

        title = f"why here? {segment_names(inst).get(segment, segment)} in {sc.name}" + (f" ({year})" if year is not None else "")
        return self.jobs.submit("explain", title, run, asked={"scenario": sc.id, "segment": segment,
                                                              "reoptimise": reoptimise, "period": year})

    def submit_prices(self, sc, period=None, time_limit: float | None = None, reoptimise: bool = False):
        """Queue "what each limit costs" (``yrdopt prices``) of ``sc``; a phased plan is priced one
        milestone (``period``) at a time; the whole job within ``time_limit`` (else the server's).
        With ``reoptimise`` (``yrdopt prices --reoptimise``: the same call) every quota and guarantee
        used to the limit is re-solved with one unit (step) more, the sites free to move; its answer,
        stopped or not, is kept in the scenario's folder (:data:`KEPT_LIMITS`): a reload or a restart
        of the server shows it again."""
        from ..analysis.explain import shadow_prices
        from ..deadline import Deadline

        refuse_rejected(sc)
        inst = sc.instance()
        year = milestone(sc, period)
        if year is None and inst.periods is not None:  # today's layout of a phased instance
            raise ClientError(400, "this scenario is today's layout of an instance over periods: price the limits "
                                   "of one of its plans, in a milestone year")
        if reoptimise and year is not None:  # as the CLI refuses --reoptimise with --period
            raise ClientError(400, f"{LIMITS_FORM}: “{views.RESOLVE_EACH}” re-solves the MIP, not one period of a plan "
                                   "(each re-solve would be the whole plan over the periods)")
        tl = self.time_limit if time_limit is None else time_limit
        above, said = layout_above_optimum(sc)
        title = (f"what each limit costs in {sc.name}" + (f" ({year})" if year is not None else "")
                 + (", each limit used to the limit re-solved" if reoptimise else ""))
        asked = {"scenario": sc.id, "period": year, "reoptimise": reoptimise, "time_limit": tl}

        def run(job):  # in the page's words as Why here?'s
            def step(done: int, total: int) -> None:
                job.report(phase=f"re-solve {done + 1} of {total}")

            p = shadow_prices(inst, sc.path, period=year, deadline=Deadline(tl, stop=job.stop), reoptimise=reoptimise,
                              progress=step if reoptimise else None, layout_above=above, layout_status=said)
            job.cut_short = job.stop.is_set()  # as Why here?'s
            answer = views.prices_view(p, year, inst, stopped=job.cut_short, reoptimised=reoptimise)
            if reoptimise:  # its figures: said in words when read (kept_limits), as the page words them then
                keep_limits(sc, {"kind": "prices", "title": title, "asked": asked,
                                 "state": "stopped" if job.cut_short else "done", "finished": time.time(),
                                 "prices": prices_kept(p)})
            return answer

        # its scenario and period: a page opened or reloaded shows the answer with them
        return self.jobs.submit("prices", title, run, asked=asked)

    def submit_alternatives(self, sc, n: int, slack: float, time_limit: float | None):
        """Queue near-optimal alternatives of ``sc`` (``n`` layouts, the optimum included: n - 1 new
        scenarios).  Stop ends the MIP running; the alternatives saved by then are the result."""
        from ..analysis.alternatives import alternatives, check_options, refuse_phased
        from ..solver import SolverOptions

        check_options(n, slack, "sum", 0.01, where=ALTERNATIVES_FORM, names=FORM_FIELDS)
        inst = sc.instance()
        refuse_phased(inst)  # at once, as a 400: not as a job that can only fail
        tl = self.time_limit if time_limit is None else time_limit

        # the parent's layout as the list says it: one the checker rejected is named so beside the reference
        parent_said = sc.status()  # its own status words and gap, said beside each alternative (alternative_words)
        parent_status = parent_said["status"]
        # each alternative's figure against the cost the page shows for the parent (workspace.above_parent_words)
        parent_cost = sc.summary().get("objective")

        def run(job):
            saved, reference = [], {}

            def keep(alt):
                if alt.name == "layout-1":  # the optimum the scenario already holds, solved again: its status is
                    reference.update({k: alt.solution.summary.get(k) for k in ("status", "status_text", "gap")},
                                     objective=alt.objective)
                else:                       # the alternatives' reference (their own is their distance MIP's)
                    # numbered from 1 (layout 1 of the search is the optimum: no alternative 1 was listed)
                    number = int(alt.name.split('-')[-1]) - 1
                    new = self.workspace.save(alt.solution.write, f"{sc.name} · alternative {number}", inst,
                                              kind="alternative",
                                              extra={"parent": sc.id, "above_optimum": alt.above_optimum,
                                                     "reference": dict(reference), "parent_status": parent_status,
                                                     "parent_objective": parent_cost,
                                                     "parent_status_text": parent_said["status_text"],
                                                     "parent_gap": parent_said["gap"],
                                                     "above_parent": None if parent_cost is None else
                                                     (alt.objective - parent_cost) / max(abs(parent_cost), 1e-12)})
                    saved.append(new.id)
                job.report(found=len(saved))

            res = alternatives(inst, n=n, slack=slack, options=SolverOptions(time_limit=tl), progress=keep,
                               stop=job.stop)
            job.cut_short = job.stop.is_set() and not res.exhausted and len(res.layouts) < n
            return {"scenarios": saved, "stopped": res.stopped, "optimum": res.optimum}

        more = counted(n - 1, "alternative")  # "1 alternative", as the tab says it
        return self.jobs.submit("alternatives", f"{more} within {100 * slack:.4g} % of {sc.name}", run)

    # ------------------------------------------------------------------------- scenarios
    def scenario(self, sid: str):
        sc = self.workspace.get(sid)
        if sc is None:
            raise ClientError(404, f"no scenario {sid!r}")
        return sc

    def view(self, sc) -> dict:
        """The scenario's view, cached until its files change (a rename rewrites scenario.json)."""
        stamp = tuple((sc.path / f).stat().st_mtime_ns for f in ("summary.json", "scenario.json"))
        key = (sc.id, stamp)
        with self._views_lock:
            got = self._views.get(key)
        if got is None:
            summary = sc.summary()
            got = views.scenario_view(sc.path, sc.instance(), {**summary, **sc.status(summary)}, sc.listing())
            with self._views_lock:
                self._views[key] = got
                while len(self._views) > 64:
                    self._views.pop(next(iter(self._views)))
        return got

    def listings(self) -> list[dict]:
        """The scenario list, each scenario's edits also in the planner's words (``change_words``;
        names and units of the opened instance: reading each scenario's instance would be slow)."""
        return [{**listed, "change_words": [change_words(self.instance_json, e) for e in listed["changes"] or []]}
                for listed in (s.listing() for s in self.workspace.scenarios())]

    def bootstrap(self) -> dict:
        return {"instance": self.instance_json, "instance_name": self.instance.name,
                "instance_hash": content_hash(self.instance), "schema": self.schema, "geometry": self.geometry,
                "baseline_id": self.baseline_id, "scenarios": self.listings(),
                "solver": self.solver_features, "time_limit": self.time_limit, "jobs": self.jobs.all(),
                "not_for_phased": views.NOT_FOR_PHASED, "not_for_rejected": views.NOT_FOR_REJECTED,
                # the planner's words the page shows for ids and keys (wording.py: one mapping)
                "term_words": TERM_WORDS, "region_names": region_names(self.instance),
                "resource_units": resource_units(self.instance), "segment_names": segment_names(self.instance),
                # the guarantee editor's measures and the instance's segment kinds, in words (ids stay the values)
                "measure_words": MEASURE_WORDS,
                "kind_words": {s.kind: kind_words(s.kind) for c in self.instance.chains for s in c.segments}}

    def static(self, name: str) -> bytes | None:
        return self._static.get(name)


# ------------------------------------------------------------------------------- handler
class Handler(BaseHTTPRequestHandler):
    server_version = "yrdopt-workbench"
    protocol_version = "HTTP/1.1"
    app: Workbench  # set on the subclass made by make_server
    allowed_hosts: set[str]

    def log_message(self, fmt, *args):  # quiet: the terminal shows the address and errors only
        pass

    def log_error(self, fmt, *args):  # errors do reach the terminal (log_message, which it calls, is quiet)
        log(f"{self.command} {self.path}: " + (fmt % args if args else fmt))

    # ---- plumbing
    def _send(self, status: int, body: bytes, ctype: str, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        if "Content-Security-Policy" not in (headers or {}):
            self.send_header("Content-Security-Policy", CSP)
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def _json(self, status: int, obj) -> None:
        self._send(status, json.dumps(obj, ensure_ascii=False, default=_json_default, allow_nan=False).encode("utf-8"),
                   "application/json; charset=utf-8")

    def _error(self, status: int, message: str, problems=None) -> None:
        self._json(status, {"error": message, "problems": problems or []})

    def _refusal(self, status: int, message: str, problems=None) -> None:
        """A request the library refused, said in the page's words (wording.page_words)."""
        self._error(status, page_words(message), problems)

    def _body(self) -> dict:
        n = int(self.headers.get("Content-Length") or 0)
        if n > MAX_BODY:
            raise ClientError(413, "request too large")
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype != "application/json":
            raise ClientError(415, "expected a JSON body")
        raw = self.rfile.read(n) if n else b"{}"
        try:
            data = json.loads(raw or b"{}")
        except json.JSONDecodeError as exc:
            raise ClientError(400, f"invalid JSON: {exc}") from None
        if not isinstance(data, dict):
            raise ClientError(400, "expected a JSON object")
        return data

    def _cookie_token(self) -> str | None:
        c = http.cookies.SimpleCookie(self.headers.get("Cookie") or "")
        return c["yrdopt_token"].value if "yrdopt_token" in c else None

    def _guard(self, url) -> bool:
        """Host check, token check; True when the request may go on."""
        host = (self.headers.get("Host") or "").lower()
        if self.allowed_hosts and host not in self.allowed_hosts:
            self._error(421, f"this server answers only for {', '.join(sorted(self.allowed_hosts))}")
            return False
        token = self.app.token
        if token:
            query = urllib.parse.parse_qs(url.query)
            given = self.headers.get("X-Yrdopt-Token") or self._cookie_token()
            if url.path == "/" and "token" in query and hmac.compare_digest(query["token"][0], token):
                self._send(303, b"", "text/plain", {"Location": "/", "Set-Cookie":
                           f"yrdopt_token={token}; Path=/; HttpOnly; SameSite=Strict"})
                return False
            if not (given and hmac.compare_digest(given, token)):
                self._error(401, "this workbench needs its token: open the address printed by `yrdopt app` (…/?token=…)")
                return False
        if self.command in ("POST", "DELETE") and self.headers.get("X-Yrdopt") != "1":
            self._error(403, "requests that change anything must come from the workbench page")
            return False
        return True

    def _dispatch(self) -> None:
        url = urllib.parse.urlsplit(self.path)
        if not self._guard(url):
            return
        try:
            self._route(url)
        except ClientError as exc:
            self._refusal(exc.status, exc.message, exc.problems)
        except InstanceError as exc:
            self._refusal(400, exc.message(), problems_json(exc.problems))
        except YrdoptError as exc:
            self._refusal(400, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            pass
        except Exception as exc:  # a bug answers 500 with its kind instead of dropping the connection
            self.log_error("internal error answered 500:\n%s", traceback.format_exc())
            try:
                self._error(500, f"internal error ({type(exc).__name__}); the server log has the details")
            except (BrokenPipeError, ConnectionResetError):
                pass

    do_GET = do_POST = do_DELETE = do_HEAD = lambda self: self._dispatch()  # noqa: E731

    # ---- routes
    def _route(self, url) -> None:
        app, path, method = self.app, url.path, self.command
        q = {k: v[0] for k, v in urllib.parse.parse_qs(url.query).items()}
        if method in ("GET", "HEAD") and path in ("/", "/index.html"):
            return self._send(200, app.static("index.html"), "text/html; charset=utf-8")
        if method in ("GET", "HEAD") and path.startswith("/static/"):
            name = path[len("/static/"):]
            body = app.static(name) if re.fullmatch(r"[A-Za-z0-9_.-]+", name) else None
            if body is None:
                raise ClientError(404, "no such file")
            ctype = mimetypes.guess_type(name)[0] or "application/octet-stream"
            if ctype.startswith("text/") or ctype.endswith("javascript"):
                ctype += "; charset=utf-8"
            return self._send(200, body, ctype)
        if path == "/favicon.ico":
            return self._send(204, b"", "image/x-icon")
        if not path.startswith("/api/"):
            raise ClientError(404, "not found")
        parts = [urllib.parse.unquote(p) for p in path[len("/api/"):].split("/") if p]

        if parts == ["bootstrap"] and method == "GET":
            return self._json(200, app.bootstrap())
        if parts == ["validate"] and method == "POST":
            body = self._body()
            try:
                inst = validate_browser_instance(body.get("instance"))
            except InstanceError as exc:  # the edits stay listed while a problem is open
                draft = body.get("instance")
                return self._json(200, {"ok": False, "problems": problems_json(exc.problems, draft),
                                        **draft_changes(app.instance_json, draft)})
            diff, data = changes(app.instance_json, instance_dict(inst)), instance_dict(inst)
            return self._json(200, {"ok": True, "problems": [], "hash": content_hash(inst), "changes": diff,
                                    "change_words": [change_words(data, e) for e in diff]})
        if parts == ["solve"] and method == "POST":
            body = self._body()
            (tl,) = job_options(body, WHATIF_FORM, time_limit=None)
            try:
                job = app.submit_solve(body.get("instance"), body.get("name"), tl)
            except InstanceError as exc:  # the edit's fields named as the planner knows them
                data = body.get("instance")
                named = [in_planner_words(p, data) for p in exc.problems]
                raise ClientError(400, InstanceError(named).message(), problems_json(exc.problems, data)) from None
            return self._json(202, app.jobs.view(job))
        if parts == ["jobs"] and method == "GET":
            return self._json(200, app.jobs.all())
        if len(parts) >= 2 and parts[0] == "jobs":
            job = app.jobs.get(parts[1])
            if job is None:
                raise ClientError(404, f"no job {parts[1]!r}")
            if len(parts) == 2 and method == "GET":
                return self._json(200, app.jobs.view(job))
            if parts[2:] == ["stop"] and method == "POST":
                app.jobs.stop(job.id)
                return self._json(200, app.jobs.view(job))
        if parts == ["scenarios"] and method == "GET":
            return self._json(200, app.listings())
        if len(parts) >= 2 and parts[0] == "scenarios":
            sc = app.scenario(parts[1])
            rest = parts[2:]
            if sc.failed and not ((not rest and method == "DELETE") or (rest == ["instance"] and method == "GET")
                                  or (rest == ["rename"] and method == "POST")):
                raise ClientError(409, f"“{sc.name}” found no layout ({sc.meta.get('reason', '')}): it can be edited "
                                       "from, renamed or deleted")
            if not rest and method == "GET":  # with the limits it had re-solved, kept in its folder
                return self._json(200, {**app.view(sc), "limits_kept": kept_limits(sc)})
            if not rest and method == "DELETE":
                app.workspace.delete(sc.id)
                return self._json(200, {"deleted": sc.id})
            if rest == ["instance"] and method == "GET":
                return self._json(200, instance_dict(sc.instance()))
            if rest == ["rename"] and method == "POST":
                name = str(self._body().get("name") or "").strip()[:120]
                if not name:
                    raise ClientError(400, "a name is needed")
                return self._json(200, app.workspace.rename(sc.id, name).listing())
            if rest == ["export.xlsx"] and method == "GET":
                with tempfile.TemporaryDirectory() as tmp:
                    out = export_scenario(sc, Path(tmp) / "x.xlsx", opened=app.instance_json)
                    data = out.read_bytes()
                return self._send(200, data, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                                  {"Content-Disposition": f'attachment; filename="{sc.id}.xlsx"'})
            if rest == ["report.html"] and method == "GET":
                from ..report.html import build_report

                # the scenario and its what-if edits first, the terms by their names, no path of this server
                text = build_report(sc.path, sc.instance(), title=f"yrdopt report: {sc.name}",
                                    status_text=report_status(sc), source=f"scenario “{sc.name}” of the workbench",
                                    about=scenario_about(sc, app.instance_json), term_names=TERM_WORDS)
                return self._send(200, text.encode("utf-8"), "text/html; charset=utf-8",
                                  {"Content-Disposition": f'attachment; filename="{sc.id}-report.html"',
                                   "Content-Security-Policy": "default-src 'none'; img-src data:; style-src 'unsafe-inline'"})
            if rest == ["explain"] and method == "POST":
                body = self._body()
                (tl,) = job_options(body, EXPLAIN_FORM, time_limit=None)
                job = app.submit_explain(sc, str(body.get("segment") or ""), bool(body.get("reoptimise")),
                                         body.get("period"), tl)
                return self._json(202, app.jobs.view(job))
            if rest == ["prices"] and method == "POST":
                body = self._body()
                (tl,) = job_options(body, LIMITS_FORM, time_limit=None)
                job = app.submit_prices(sc, body.get("period"), tl, body.get("reoptimise") is True)
                return self._json(202, app.jobs.view(job))
            if rest == ["alternatives"] and method == "POST":
                body = self._body()
                n, slack, tl = job_options(body, ALTERNATIVES_FORM, n=3, slack=0.05, time_limit=None)
                job = app.submit_alternatives(sc, n, slack, tl)
                return self._json(202, app.jobs.view(job))
        if parts == ["compare"] and method == "GET":
            a, b = app.scenario(q.get("a", "")), app.scenario(q.get("b", ""))
            return self._json(200, compare(a, b, q.get("period")))
        raise ClientError(404, f"no route {method} {path}")


def milestone(sc, period) -> int | None:
    """The milestone year a request names: required for a plan over periods, refused otherwise."""
    years = sc.periods()
    if years is None:
        if period is not None:
            raise ClientError(400, f"period {period!r} given, but this scenario is not a plan over periods")
        return None
    # ASCII digits only: str.isdigit() also accepts '²', which int() refuses
    year = (period if isinstance(period, int) and not isinstance(period, bool)
            else int(period) if isinstance(period, str) and re.fullmatch(r"[0-9]{1,6}", period.strip()) else None)
    if year not in years:
        raise ClientError(400, f"period {period!r}: expected a milestone year of this scenario's plan "
                               f"({', '.join(map(str, years))})")
    return year


def solver_options(inst: Instance, time_limit: float | None):
    """The sweeps' ``auto`` profile: what-if re-solves of a small model skip presolve restarts and
    RINS/RENS (2x faster on the 4 provinces, same optima); larger models keep HiGHS's defaults."""
    from ..model.compiled import build
    from ..solver import RESOLVE_MAX_BINARIES, SolverOptions

    binaries = int(build(inst).integrality.sum())
    if binaries <= RESOLVE_MAX_BINARIES:
        return SolverOptions.for_resolves(time_limit=time_limit)
    return SolverOptions(time_limit=time_limit)


# statuses of a layout not proven best: its gap (when the solver had a bound) says how far it may lie
# above its own optimum
UNPROVEN_LAYOUT = ("time_limit_with_incumbent", "stopped_with_incumbent", "interrupted", "unproven")


def compare(a, b, period=None) -> dict:
    """The comparison view, each layout's terms under its own instance (what-ifs differ); two
    plans over periods are compared in one milestone year they both have."""
    from ..checker import check_dir, check_period

    if a.id == b.id:
        raise ClientError(400, "pick two different scenarios to compare")
    for x in (a, b):
        if x.failed:
            raise ClientError(409, f"“{x.name}” found no layout: nothing to compare")
    if (a.periods() is None) != (b.periods() is None):
        raise ClientError(400, "a plan over periods compares only with another plan, in a milestone year both have "
                               "(a plan's own periods: the Changes tab)")
    year = milestone(a, period)
    milestone(b, period)
    inst_a, inst_b = a.instance(), b.instance()
    out = views.comparison_view(inst_b, a, b, year)
    if year is None:
        ra, rb = check_dir(inst_a, a.path), check_dir(inst_b, b.path)
    else:  # that period's terms of each plan, from the plan's own period before
        ra, rb = check_period(inst_a, a.path, year), check_period(inst_b, b.path, year)
    terms = []
    for k in list(ra.components) + ["total"]:
        va = ra.objective if k == "total" else ra.components[k]
        vb = rb.objective if k == "total" else rb.components[k]
        terms.append({"term": k, "label": term_words(k), "a": va, "b": vb, "change": vb - va})
    terms.append({"term": "verified", "label": term_words("verified"), "a": bool(ra.verified), "b": bool(rb.verified),
                  "change": None})
    out["terms"] = terms
    # each side's status and gap: a difference within the sides' gaps may be solver noise (each layout, optimal
    # within its gap or stopped at its time limit, lies up to objective - bound above its own optimum: the rule
    # of a re-solved worth, explain.layout_above_optimum)
    from ..analysis.explain import layout_above_optimum as above_optimum

    noise, unbounded, rejected = 0.0, [], []
    for side, sc in (("a", a), ("b", b)):
        summary = sc.summary()
        out[side].update(sc.status(summary))
        above = above_optimum(summary, out[side]["status"])
        if out[side]["status"] == "not_verified":  # its gap proves nothing: the layout breaks a limit
            rejected.append(side.upper())
        elif math.isfinite(above):
            noise += above
        elif out[side]["status"] in UNPROVEN_LAYOUT:  # stopped before HiGHS had any bound: its gap is unknown
            unbounded.append(side.upper())
    diff = rb.objective - ra.objective
    out["warning"] = None
    more_time = "Solve both with more time (the time limit field) to tell them apart."
    if rejected:
        which = "both layouts were" if len(rejected) == 2 else f"layout {rejected[0]} was"
        out["warning"] = (f"The difference in total ({diff:+,.2f}) is no solve result to trust: {which} rejected by "
                          "the independent checker (a limit broken beyond its tolerance; the checker's panel says "
                          "which), so neither its cost nor the what-if's effect is known. Solve it again.")
    elif unbounded:
        which = "both layouts" if len(unbounded) == 2 else f"layout {unbounded[0]}"
        out["warning"] = (f"The difference in total ({diff:+,.2f}) may be solver noise, not the what-if's effect: "
                          f"{which} stopped at the time limit before the solver had a bound, so how far "
                          f"{'each lies' if len(unbounded) == 2 else 'it lies'} above its own optimum is unknown. "
                          + more_time)
    elif noise > 0 and abs(diff) <= noise:
        out["warning"] = (f"The difference in total ({diff:+,.2f}) is within the two layouts' gaps (up to {noise:,.2f} "
                          "together): it may be solver noise, not the what-if's effect. " + more_time)
    out["notes"] = [page_words(n) for n in out["notes"] if not n.startswith("solved for another version")]
    if a.meta.get("instance_hash") != b.meta.get("instance_hash"):
        out["notes"].append("the two scenarios were solved for different what-if instances: each layout's terms "
                            "are recomputed by the checker under its own instance")
    return out


def _json_default(o):
    import numpy as np

    if isinstance(o, (np.bool_,)):
        return bool(o)
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (np.floating, float)):
        f = float(o)
        return f if np.isfinite(f) else None
    if isinstance(o, (set, tuple)):
        return list(o)
    if isinstance(o, Path):
        return o.name
    raise TypeError(f"not JSON serialisable: {type(o)}")


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(app: Workbench, host: str = "127.0.0.1", port: int = 0, *, allow_remote: bool = False) -> Server:
    """Bind (port 0 = any free port).  A non-loopback host needs ``allow_remote`` and ``app.token``."""
    if not is_loopback(host) and not (allow_remote and app.token):
        raise ClientError(2, f"refusing to serve on {host}: beyond this machine needs --allow-remote and a token")
    handler = type("WorkbenchHandler", (Handler,), {"app": app, "allowed_hosts": set()})
    srv = Server((host, port), handler)
    real_port = srv.server_address[1]
    if is_loopback(host):
        handler.allowed_hosts = {f"{h}:{real_port}" for h in ("127.0.0.1", "localhost", "[::1]")}
    return srv


def serve_in_thread(app: Workbench, host: str = "127.0.0.1", port: int = 0) -> tuple[Server, threading.Thread]:
    srv = make_server(app, host, port)
    t = threading.Thread(target=srv.serve_forever, name="yrdopt-http", daemon=True)
    t.start()
    return srv, t


def new_token() -> str:
    return secrets.token_urlsafe(24)

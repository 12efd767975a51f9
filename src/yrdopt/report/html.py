"""One self-contained HTML report of a solution directory.

Everything is inline - CSS, and every figure as a base64 PNG - so the file opens anywhere
with no network access.  Sections: instance summary, the checker's verdict (re-run here, from
the layout and the instance only), objective terms, maps, the layout table with bilingual
region names, flows, resource use against quota, value per province, sites per segment, the
baseline comparison when ``summary.json`` holds one, binding limits and their prices when a
prices CSV is present, and a sweep's or a pareto run's charts when given.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import math
import re
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from .. import __name__ as _pkg
from ..analysis.baseline import SITE_COUNTS, todays_layout
from ..errors import InstanceError, Problem
from ..io import content_hash, default_instance_path, load_instance
from ..analysis.costs import money
from ..analysis.limit_words import counted
from ..schema import Instance, activity_units, kind_words, unit_words
from ..solution import load_solution_tables
from ..tolerance import TOLERANCE as ROUND_OFF  # a figure below it (|value|) is round-off and reads 0
from . import charts, maps

PRICE_PATTERNS = ("*price*.csv", "*binding*.csv", "*dual*.csv", "*shadow*.csv")
# what `yrdopt pareto` (front.csv) and `yrdopt sweep` (tornado.csv, frequency.csv) write
PARETO_PATTERNS = ("pareto*.csv", "front*.csv")
TORNADO_PATTERNS = ("tornado*.csv", "sensitivity*.csv")
FREQUENCY_PATTERNS = ("frequency*.csv", "sweep_layouts*.csv", "layouts*.csv")
BASELINE_LAYOUTS = ("baseline_layout.csv", "baseline.csv")


# ------------------------------------------------------------------ finding the instance
def resolve_instance(sol_dir: str | Path, instance: str | Path | Instance | None = None) -> tuple[Instance, list[str]]:
    """The instance a solution was solved with, and warnings for the report.

    With ``instance`` given it is used (a warning if its content hash differs from the one in
    summary.json).  Otherwise the directory (instance.yaml/.json/.xlsx or a single *.yaml), the
    embedded default and ``instances/*.yaml`` are searched for the hash in summary.json.
    """
    d = Path(sol_dir)
    summary = _summary(d)
    want = (summary.get("instance") or {}).get("hash")
    name = (summary.get("instance") or {}).get("name")
    if instance is not None:
        inst = load_instance(instance)
        warnings = []
        if want and content_hash(inst) != want:
            warnings.append(f"the instance given ({inst.name}, hash {content_hash(inst)[:12]}) is not the one "
                            f"summary.json names ({name}, hash {want[:12]}): the layout is checked against the "
                            "instance given")
        return inst, warnings
    cands = [d / f for f in ("instance.yaml", "instance.yml", "instance.json", "instance.xlsx")]
    cands += sorted(d.glob("*.yaml")) + sorted(d.glob("*.yml")) + [default_instance_path()]
    for root in {Path.cwd(), Path(__file__).resolve().parents[3]}:
        cands += sorted((root / "instances").glob("*.yaml"))
    seen, by_name = set(), None
    for c in cands:
        if c in seen or not c.exists():
            continue
        seen.add(c)
        if name and c.parent != d and c.suffix in (".yaml", ".yml") and _declared_name(c) not in (None, name):
            continue  # another instance: do not parse a large file only to compare hashes
        try:
            inst = load_instance(c)
        except InstanceError:
            continue
        if want and content_hash(inst) == want:
            return inst, []
        if not want and c.parent == d:
            return inst, [f"summary.json names no instance hash; using {c.name} from the solution directory"]
        if name and inst.name == name and by_name is None:
            by_name = inst
    if by_name is not None:
        return by_name, [f"no instance file with hash {str(want)[:12]} found; using the instance named {name!r}, "
                         "whose content differs from the one solved"]
    raise InstanceError([Problem(str(d), "summary.json: instance", f"{name} (hash {str(want)[:12]})",
                                 "the instance file: pass --instance FILE, or keep a copy as instance.yaml "
                                 "in the solution directory")])


def _declared_name(path: Path) -> str | None:
    """The top-level ``name:`` of a YAML instance, read from its first lines only."""
    try:
        with path.open(encoding="utf-8") as fh:
            head = fh.read(4096)
    except (OSError, UnicodeDecodeError):
        return None
    m = re.search(r"^name:\s*['\"]?([^'\"\n#]+?)['\"]?\s*(#.*)?$", head, re.M)
    return m.group(1).strip() if m else None


def _summary(d: Path) -> dict:
    if not (d / "layout.csv").exists():
        raise InstanceError([Problem(str(d), "", "no layout.csv", "a solution directory written by `yrdopt solve`")])
    f = d / "summary.json"
    if not f.exists():
        return {}
    try:
        return json.loads(f.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InstanceError([Problem(str(f), f"line {exc.lineno}", exc.msg, "valid JSON")]) from None


# --------------------------------------------------------------------------- rendering
def region_label(inst: Instance, rid: str) -> str:
    """``Suzhou 苏州市`` - English then Chinese name, as planners on both sides read them."""
    try:
        r = inst.region(rid)
    except StopIteration:
        return rid
    return f"{r.name_en} {r.name_zh}".strip() if r.name_zh else r.name_en


def _img(fig: Figure, kind: str, alt: str, dpi: int = 100) -> str:
    data = base64.b64encode(maps.figure_png(fig, dpi)).decode("ascii")
    return (f'<figure class="fig" data-figure="{html.escape(kind)}"><img alt="{html.escape(alt)}" '
            f'src="data:image/png;base64,{data}"><figcaption>{html.escape(alt)}</figcaption></figure>')


# each column named as a planner reads it (the workbench's words); any other: its name without underscores
COLUMN_WORDS = {
    "hosted_value": "value hosted", "credited_value": "value credited", "credited_share": "credited share",
    "credited_share_today": "credited share today", "high_value_share": "high-value share",
    "high_value_share_today": "high-value share today", "chains_present": "chains present",
    "high_value_chains": "chains with high-value segments",
    "fixed_cost": "opening cost", "host_cost": "host's cost", "partner_cost": "partner's cost",
    "partner_share": "partner's share of value", "host_value": "host's value", "partner_value": "partner's value",
    "from_segment": "from", "to_segment": "to", "from_region": "from region", "to_region": "to region",
    "distance_h": "distance (h)", "activity_before": "activity before", "activity_after": "activity after",
    "opening_cost": "opening", "closing_cost": "closing", "shrink_cost": "shrinking",
    "extra": "added by expansions and parks", "slack": "left", "tight": "used to the limit",
    "value_per_unit": "worth per unit (LP)", "resolved_value_per_unit": "worth of one more unit (re-solved)",
    "resolved_value_most": "worth at most (re-solved)", "resolved_status": "re-solve status",
    "resolved_proven": "re-solve proves its worth",
    "scaled amount": "how far past the limit (scaled)",
    # a limit broken as summary.json records it: its words, then the checker's codes for scripts
    "words": "limit broken", "constraint": "kind of limit (code)", "where": "where (ids)",
}
# columns of a prices file the report leaves out: a field path is the instance's address, not a figure
PRICE_HIDDEN = ("path",)


def _column(c) -> str:
    return COLUMN_WORDS.get(str(c), str(c).replace("_", " "))


def _number(v: float) -> str:
    """A figure as the workbench shows it (app.js ``fmt``): at least 4 significant digits, 2 more
    than its whole part has (34.72, 7,309.32, 0.02969); a whole number without decimals; round-off
    (below :data:`ROUND_OFF`) as 0."""
    if math.isnan(v):
        return ""
    if math.isinf(v):
        return "∞" if v > 0 else "-∞"
    a = abs(v)
    if a < ROUND_OFF:
        return "0"
    if float(v).is_integer():
        return f"{v:,.0f}"
    if a >= 1e12:
        return f"{v:.3e}"
    digits = max(4, math.ceil(math.log10(a + 1)) + 2)
    decimals = max(0, digits - 1 - math.floor(math.log10(a)))
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _share(v: float) -> str:
    return "" if v != v else f"{100 * (0.0 if abs(v) < ROUND_OFF else v):.1f} %"


def _fmt(v: Any) -> str:
    if isinstance(v, bool) or v is None:
        return "" if v is None else ("yes" if v else "no")
    if isinstance(v, float):
        return _number(v)
    if isinstance(v, (list, tuple, set)):
        return ", ".join(_fmt(x) for x in v)
    return str(v)


def _df_html(df: pd.DataFrame, cls: str = "", max_rows: int = 300, table_id: str | None = None,
             number=_fmt) -> str:
    """``number``: how a number cell is written (:func:`yrdopt.analysis.costs.money` for costs that add up)."""
    more = len(df) - max_rows
    df = df.head(max_rows)
    head = "".join(f"<th>{html.escape(_column(c))}</th>" for c in df.columns)
    # a share (a fraction of a whole) reads as a percentage
    shares = [("share" in str(c) and number is _fmt) for c in df.columns]
    body = []
    for row in df.itertuples(index=False):
        cells = []
        for v, share in zip(row, shares):
            num = isinstance(v, (int, float)) and not isinstance(v, bool)
            text = (_share(float(v)) if share else number(v)) if num else _fmt(v)
            cells.append(f'<td{" class=num" if num else ""}>{html.escape(text)}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    note = f'<p class="note">... and {counted(more, "more row")}</p>' if more > 0 else ""
    tid = f' id="{html.escape(table_id)}"' if table_id else ""
    return f'<table class="{cls}"{tid}><thead><tr>{head}</tr></thead><tbody>{"".join(body)}</tbody></table>{note}'


# a key of summary.json's baseline entry, said beside it where the report shows the entry as the file has it
# (terms: wording.TERM_WORDS, site counts: baseline.SITE_COUNTS, regions by name: summary_key_words)
SUMMARY_KEY_WORDS = {
    "baseline_file": "the layout compared with", "plan": "what the baseline is over the periods",
    "baseline": "today's layout (the baseline)", "optimized": "the optimized layout", "change": "optimized minus baseline",
    "components": "objective terms", "total": "the objective (the weighted terms added up)",
    "feasible": "passes the checker", "max_violation": "largest violation (scaled)", "n_violations": "violated limits",
    "violations": "limits broken (worst of each kind)", "period": "the milestone year compared",
    "specialization": "specialization indices (Krugman, by value per chain) of the regions",
    "specialization_by_province": "specialization indices (Krugman, by value per chain) of the provinces",
    "relative": "relative specialization index of each region or province", "relative_mean": "mean relative specialization",
    "interregional_pairs": "inter-regional specialization of each pair of regions or provinces",
    "interregional_mean": "mean inter-regional specialization", "regions_hosting": "regions hosting activity",
    "weighting": "what weighs each chain", "change_duplicated_segments": "change in duplicated segments",
    "change_interregional_mean": "change in the mean inter-regional specialization",
}


def summary_key_words(key, names: dict[str, str], within: str | None = None) -> str:
    """What a key of summary.json's baseline entry is (``within``: the key it sits under): a term (under
    components or change), a count, a region or pair of regions by name ("anhui-jiangsu": "Anhui and
    Jiangsu"), else its words in SUMMARY_KEY_WORDS."""
    from ..app.wording import TERM_WORDS

    k = str(key)
    if within in ("components", "change") and k in TERM_WORDS:  # the objective's terms, or their change
        return TERM_WORDS[k]
    pair = k.split("-")
    if k in names or (len(pair) == 2 and all(p in names for p in pair)):
        return " and ".join(names[p] for p in pair) if k not in names else names[k]
    counts = {c: label.format(when="").strip() for c, label in SITE_COUNTS}  # the rows the comparison shows
    counts.update(token_sites=f"sites {counts['token_sites'].replace('of them ', 'with ')}",
                  duplicated_segments_without_token=f"duplicated segments {counts['duplicated_segments_without_token']}")
    return SUMMARY_KEY_WORDS.get(k) or TERM_WORDS.get(k) or counts.get(k) or k.replace("_", " ")


def render_value(obj: Any, words=None, within: str | None = None) -> str:
    """Any JSON-like structure as tables (baseline comparisons and the like, whatever their shape);
    ``words`` ((key, the key it sits under) -> what it is), where given, is said beside each key."""
    said = (lambda k, at=within: f"{k} ({words(k, at)})" if words and words(k, at) != str(k) else str(k))
    if isinstance(obj, dict):
        if obj and all(isinstance(v, dict) for v in obj.values()) and all(
                all(not isinstance(x, (dict, list)) for x in v.values()) for v in obj.values()):
            df = pd.DataFrame.from_dict(obj, orient="index")
            df.insert(0, "", [said(k) for k in obj])
            return _df_html(df.reset_index(drop=True).rename(columns={c: said(c) for c in df.columns[1:]}))
        scalars = {k: v for k, v in obj.items() if not isinstance(v, (dict, list))}
        parts = []
        if scalars:
            table = {"item": list(scalars)}
            if words:
                table["what it is"] = [words(k, within) for k in scalars]
            parts.append(_df_html(pd.DataFrame({**table, "value": list(scalars.values())})))
        for k, v in obj.items():
            if isinstance(v, (dict, list)):
                parts.append(f"<h4>{html.escape(said(k))}</h4>{render_value(v, words, str(k))}")
        return "".join(parts)
    if isinstance(obj, list):
        if obj and all(isinstance(x, dict) for x in obj):
            df = pd.DataFrame(obj)  # a record's words (a limit broken, said) before its codes
            return _df_html(df[[*(c for c in df.columns if c == "words"), *(c for c in df.columns if c != "words")]])
        return f"<p>{html.escape(_fmt(obj))}</p>"
    return f"<p>{html.escape(_fmt(obj))}</p>"


def _find(d: Path, patterns: tuple[str, ...]) -> list[Path]:
    out: list[Path] = []
    for p in patterns:
        out += [f for f in sorted(d.glob(p)) if f not in out]
    return out


def baseline_terms(summary: dict) -> dict[str, float] | None:
    """Per-term baseline values from summary["baseline"] (``baseline.components`` or flat forms)."""
    b = summary.get("baseline")
    if not isinstance(b, dict):
        return None
    for holder in (b.get("baseline"), b):
        if not isinstance(holder, dict):
            continue
        for key in ("components", "terms", "objective_terms"):
            t = holder.get(key)
            if isinstance(t, dict):
                out = {k: (v.get("baseline") if isinstance(v, dict) else v) for k, v in t.items()}
                out = {k: float(v) for k, v in out.items() if isinstance(v, (int, float)) and k != "total"}
                if out:
                    return out
    return None


def baseline_section(cmp: dict, names: dict[str, str], term_names: dict[str, str] | None = None) -> str:
    """Baseline against optimized: terms (each with what it counts, as the objective table says it:
    costs.term_what) and named as it names them (``term_names``, else wording.TERM_WORDS), duplication,
    specialization (Krugman) indices; the rest folded."""
    from ..analysis.costs import term_what
    from ..app.wording import TERM_WORDS

    term_names = term_names or TERM_WORDS

    base, opt, change = cmp.get("baseline"), cmp.get("optimized"), cmp.get("change")
    if not (isinstance(base, dict) and isinstance(opt, dict)):
        return render_value(cmp)
    parts = []
    if cmp.get("baseline_file"):
        parts.append(f'<p class="note">baseline layout: {html.escape(str(cmp["baseline_file"]))}</p>')
    rows = []
    bc, oc = base.get("components") or {}, opt.get("components") or {}
    ch = change if isinstance(change, dict) else {}
    for term in list(dict.fromkeys([*bc, *oc])) + ["total"]:
        b = base.get("total") if term == "total" else bc.get(term)
        o = opt.get("total") if term == "total" else oc.get(term)
        rows.append({"": term_names.get(term, term), "baseline": b, "optimized": o, "change": ch.get(term),
                     "what it counts": term_what(term) if term != "total" else "the objective: the weighted terms added up"})
    when = f" in {opt['period']}" if opt.get("period") is not None else ""  # a phased plan: its last period
    for key, label in ((k, lab.format(when=when)) for k, lab in (*SITE_COUNTS, ("feasible", "feasible (checker)"),
                                                                  ("n_violations", "violated limits"))):
        if key in base or key in opt:
            b, o = base.get(key), opt.get(key)
            rows.append({"": label, "baseline": b, "optimized": o,
                         "change": (o - b) if isinstance(b, (int, float)) and isinstance(o, (int, float))
                         and not isinstance(b, bool) else None})
    for level in ("specialization", "specialization_by_province"):
        sb, so = base.get(level) or {}, opt.get(level) or {}
        for key, label in (("relative_mean", "mean relative specialization (Krugman, by value per chain)"),
                           ("interregional_mean", "mean inter-regional specialization (by value per chain)")):
            if key in sb or key in so:
                b, o = sb.get(key), so.get(key)
                rows.append({"": f"{label}{' by province' if level.endswith('province') else ''}{when}",
                             "baseline": b, "optimized": o,
                             "change": (o - b) if isinstance(b, (int, float)) and isinstance(o, (int, float)) else None})
    parts.append(_df_html(pd.DataFrame(rows).fillna({"what it counts": ""})))
    sb, so = (base.get("specialization_by_province") or {}), (opt.get("specialization_by_province") or {})
    rb, ro = sb.get("relative") or {}, so.get("relative") or {}
    if rb or ro:
        keys = list(dict.fromkeys([*rb, *ro]))
        parts.append("<h3>Relative specialization index per province (Krugman, by value per chain; higher = more "
                     "specialised)</h3>"
                     + _df_html(pd.DataFrame({"province": keys, "baseline": [rb.get(k) for k in keys],
                                              "optimized": [ro.get(k) for k in keys]})))
    viol = [v for v in base.get("violations") or [] if isinstance(v, dict)] if isinstance(base.get("violations"), list) else []
    if viol:  # in the checker's words; a summary written before it gave them: by its codes
        said = [v.get("words") or f"{v.get('constraint')} at {v.get('where')}: {v.get('detail')}" for v in viol]
        parts.append("<h3>Limits the baseline breaks (worst per kind)</h3>"
                     + _df_html(pd.DataFrame({"limit broken": said, "scaled amount": [v.get("amount") for v in viol]})))
    # the entry as the file has it, for whoever reads summary.json: each key with what it is beside it
    parts.append("<details><summary>everything in summary.json's baseline entry (the machine-readable file's keys, "
                 f"each with what it is)</summary>{render_value(cmp, lambda k, at: summary_key_words(k, names, at))}</details>")
    return "".join(parts)


def baseline_layout_file(d: Path, summary: dict) -> Path | None:
    """The baseline layout CSV: in the solution dir, or the file summary.json names."""
    cands = [d / f for f in BASELINE_LAYOUTS]
    b = summary.get("baseline")
    named = b.get("baseline_file") if isinstance(b, dict) else None
    inst_file = (summary.get("instance") or {}).get("file")
    if inst_file:
        p = Path(inst_file)
        named = named or str(p.with_name(p.stem + ".baseline.csv"))
    if named:
        p = Path(named)
        cands += [p] if p.is_absolute() else [Path.cwd() / p, d / p, Path(__file__).resolve().parents[3] / p]
    return next((c for c in cands if c.exists()), None)


# ------------------------------------------------------------------------------ report
CSS = """
body{font-family:"Noto Sans","Noto Sans CJK SC","PingFang SC","Microsoft YaHei",Arial,sans-serif;margin:24px auto;
max-width:1280px;color:#222;line-height:1.4}
h1{font-size:1.6em;margin-bottom:0}h2{border-bottom:2px solid #4c78a8;padding-bottom:2px;margin-top:1.8em}
table{border-collapse:collapse;margin:8px 0;font-size:0.85em}th,td{border:1px solid #ccc;padding:3px 7px;text-align:left}
th{background:#eef2f7}td.num{text-align:right;font-variant-numeric:tabular-nums}
.fig{margin:10px 0;display:inline-block}.fig img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:0.8em;color:#555}.ok{color:#1a7f37;font-weight:bold}.bad{color:#c62828;font-weight:bold}
.warn{background:#fff4e5;border-left:4px solid #f0a020;padding:6px 10px}.note{color:#666;font-size:0.85em}
.kv td:first-child{font-weight:bold}nav a{margin-right:12px}
"""


def build_report(sol_dir: str | Path, instance: str | Path | Instance | None = None, *,
                 pareto: pd.DataFrame | str | Path | None = None, tornado: pd.DataFrame | str | Path | None = None,
                 frequency: pd.DataFrame | str | Path | None = None, title: str | None = None,
                 status_text: str | None = None, source: str | None = None,
                 about: list[tuple[str, object]] | None = None, term_names: dict[str, str] | None = None) -> str:
    """The HTML text of the report for solution directory ``sol_dir``.  ``status_text``: the layout's
    status in words where the summary's is not the layout's own (a workbench alternative: summary.json
    holds its distance MIP's "optimal"; it is a near-optimal alternative, x % above its parent).
    The workbench's report names no path of its server: ``source`` says what the layout is instead of
    its folder (and the baseline by its file name), ``about`` is a first section (what, value) with the
    scenario and its what-if edits, ``term_names`` the objective terms' names (its wording.TERM_WORDS)."""
    d = Path(sol_dir)
    summary = _summary(d)
    inst, warnings = resolve_instance(d, instance)
    tables = load_solution_tables(d)
    layout: pd.DataFrame = tables["layout"]
    flows = tables["flows"]
    expansions = tables["expansions"]
    parks, park_activity = tables.get("parks"), tables.get("park_activity")
    names = {r.id: region_label(inst, r.id) for r in inst.regions}
    sections: list[tuple[str, str, str]] = []  # (anchor, title, body)
    if about:
        sections.append(("scenario", "Scenario", _df_html(pd.DataFrame([(str(k), v) for k, v in about],
                                                                       columns=["what", "value"]), "kv")))
    # a phased plan: the transition per period has its own section; the sections about one
    # layout (maps, tables, resources, value) describe the last period, against its instance
    views, view_inst = None, inst
    if inst.periods is not None:
        from .periods import period_views

        views = period_views(inst, tables)
        last = views[-1]
        view_inst, layout, flows, parks, park_activity = (last.instance, last.layout, last.flows, last.parks,
                                                          last.park_activity)
        expansions = last.expansions
        if expansions is not None:  # parks built earlier are part of the period's quotas
            expansions = expansions[[(str(r), str(o)) not in last.taken_before
                                     for r, o in zip(expansions["region"], expansions["option"])]]

    # instance summary
    from ..app.wording import TERM_WORDS

    kinds = pd.Series([r.kind for r in inst.regions]).value_counts().to_dict()
    info = {
        "instance": inst.name, "content hash": content_hash(inst)[:16],
        "regions": ", ".join(f"{n} {k}" for k, n in kinds.items()),
        "provinces": ", ".join(inst.provinces),
        "chains": len(inst.chains), "segments": sum(len(c.segments) for c in inst.chains),
        "links": sum(len(c.links) for c in inst.chains),
        # units as a planner reads them: the source note stays in the instance (schema.unit_words)
        "resources": ", ".join(f"{r.id} ({unit_words(r.unit)})" if unit_words(r.unit) else r.id for r in inst.resources) or "none",
        "expansion options": sum(len(r.expansions) for r in inst.regions),
        "weights": ", ".join(f"{(term_names or TERM_WORDS).get(k, k)} {v:g}" for k, v in inst.weights.model_dump().items()),
    }
    body = _df_html(pd.DataFrame({"item": list(info), "value": list(info.values())}), "kv")
    # chains and segments by their names, kinds in words (the ids are the files' business)
    chain_rows = [{"chain": _chain_name(c), "segment": s.name or s.id,
                   "kind": kind_words(s.kind), "activity": s.activity, "unit": unit_words(s.unit),
                   "single site": s.single_site} for c in inst.chains for s in c.segments]
    body += _df_html(pd.DataFrame(chain_rows))
    if inst.description:
        body = f"<p>{html.escape(inst.description)}</p>" + body
    sections.append(("instance", "Instance", body))

    # the checker's verdict, re-run from the written tables and summary.json's claims as `yrdopt check` runs it
    # (before: the layout only, so a bound above the objective or 'optimal' beyond the requested gap said VERIFIED)
    from ..checker import check_dir

    rep = check_dir(inst, d)
    obj = summary.get("objective")
    from ..claims import objective_matches
    from ..solver import summary_status_words

    matches = obj is not None and objective_matches(obj, rep.objective)
    verdict = (f'<p>Independent checker: <span class="{"ok" if rep.verified else "bad"}">'
               f'{"VERIFIED" if rep.verified else "NOT VERIFIED"}</span> (largest scaled violation '
               f"{rep.max_violation:.3g}; {rep.n_violations} violated rows). Objective recomputed from the layout: "
               f"{money(rep.objective)}; solver reported {money(obj)} "
               f'<span class="{"ok" if matches else "bad"}">({"match" if matches else "MISMATCH"})</span>. '
               # the words `yrdopt solve` writes (status_text) re-derived from the summary's figures and this
               # check (before: "Solver status: optimal, gap 3.2 %", the bare word; an older summary's words as
               # written): a rejected layout's without a gap, "optimal" only within the requested gap
               + f"Status: {html.escape(status_text if status_text is not None else summary_status_words(summary, rep.objective, rep.verified and matches))}.</p>")
    if rep.false_claims:
        verdict += ('<p class="bad">Claims of summary.json that do not hold: '
                    + html.escape("; ".join(c.words for c in rep.false_claims)) + ".</p>")
    worst = [{"limit broken (worst of its kind)": v.words, "scaled amount": v.amount}
             for v in rep.worst.values() if v.amount > 1e-6]
    if worst:
        verdict += _df_html(pd.DataFrame(worst))
    sections.append(("check", "Checker's verdict", verdict))

    # objective terms: the printed values add up to the printed total; a plan's are discounted sums
    sections.append(("objective", "Objective terms" + (", discounted over the periods" if views is not None else ""),
                     _objective_section(inst, summary, rep, term_names)))
    if views is not None:
        sections.append(("periods", "Transition per period", _periods_section(inst, d, summary, views, names)))

    # maps
    when = f" in {views[-1].year} (the last period)" if views is not None else ""
    body = _img(maps.layout_map(view_inst, layout, flows, by="chain"), "map",
                f"Layout{when} by chain: regions coloured by the segment they host; lines = flows, width ~ volume")
    if len({s.kind for c in inst.chains for s in c.segments}) > 1:
        body += _img(maps.layout_map(view_inst, layout, flows, by="kind"), "map",
                     f"Layout{when} by segment kind: regions coloured by the chain whose segment of that kind they host")
    base_layout = baseline_layout_file(d, summary) if views is None else None
    if base_layout is not None:
        before = pd.read_csv(base_layout)
        if "sited" not in before.columns:
            before["sited"] = True
        body += _img(maps.comparison_map(inst, before, layout, names=("baseline", "optimized")), "map",
                     "Placements that moved from the baseline to the optimized layout")
        moved = maps.moved_placements(before, layout)
        if len(moved):
            for col in ("removed_from", "added_in", "kept_in"):
                moved[col] = [", ".join(names.get(r, r) for r in rs) for rs in moved[col]]
            body += _df_html(moved)
    geo = maps.match_regions(inst)
    unmatched = [names[r] for r, g in geo.items() if g.shape is None]
    if unmatched:
        body += f'<p class="note">Drawn as points or not drawn (no boundary matched): {html.escape(", ".join(unmatched))}</p>'
    sections.append(("maps", "Maps", body))

    # layout table
    placed = maps.sited_rows(layout).copy()
    prov = {r.id: r.province for r in inst.regions}
    lt = pd.DataFrame({"chain": placed["chain"], "segment": placed["segment"], "kind": placed["kind"] if "kind" in placed else "",
                       "region": [names.get(str(r), str(r)) for r in placed["region"]],
                       "province": [prov.get(str(r), "") for r in placed["region"]],
                       "activity": placed["activity"].astype(float)})
    body = _df_html(_segments_named(_with_activity_unit(lt.reset_index(drop=True), inst), inst), "layout")
    if expansions is not None and len(expansions):
        taken = expansions[expansions["taken"].astype(str).str.lower().isin(["true", "1", "1.0"])]
        if len(taken):
            body += "<h3>Expansions taken</h3>" + _df_html(taken.assign(
                region=[names.get(str(r), str(r)) for r in taken["region"]]).reset_index(drop=True))
    sections.append(("layout", "Layout", body))

    if flows is not None and len(flows):
        f = flows.sort_values("cost", ascending=False).copy()
        f["from_region"] = [names.get(str(r), str(r)) for r in f["from_region"]]
        f["to_region"] = [names.get(str(r), str(r)) for r in f["to_region"]]
        sections.append(("flows", "Flows (largest cost first)", _df_html(_segments_named(f.reset_index(drop=True), inst),
                                                                         max_rows=60)))

    # resources, value, duplication
    use = charts.resource_use_table(view_inst, layout, expansions, parks)
    body = _img(charts.resource_use_chart(view_inst, layout, expansions, parks), "chart",
                f"Resource use against quota per region{when}")
    from ..analysis.explain import TIGHT_SLACK_SHARE, tight as used_to_limit

    tight = use[used_to_limit(use["use"], use["quota"]) & (use["use"] > 0)].copy()
    if len(tight):
        tight.insert(4, "slack", (tight["quota"] - tight["use"]).clip(lower=0.0))
        tight = _named(tight, view_inst, names)
        body += (f"<h3>Quotas used to the limit (at most {TIGHT_SLACK_SHARE:.0%} left)</h3>"
                 + _df_html(tight.reset_index(drop=True)))
    sections.append(("resources", "Resource use", body))
    today = None
    if views is not None:
        today = todays_layout(inst)  # the instance's sites today, not the last period's predecessor
    body = _benefit_section(view_inst, d, summary, layout, park_activity, parks, names, today=today)
    body += _img(charts.province_value_chart(view_inst, layout), "chart",
                 f"Activity value hosted per province{when}, by segment kind")
    body += _img(charts.sites_chart(view_inst, layout), "chart", f"Sites per segment{when} against duplication tolerance")
    sections.append(("value", "Value sharing and duplication", body))

    # baseline comparison (the instances work writes it into summary.json)
    if isinstance(summary.get("baseline"), dict):
        cmp = summary["baseline"]
        if source is not None and isinstance(cmp, dict) and cmp.get("baseline_file"):  # no path of the server
            cmp = {**cmp, "baseline_file": Path(str(cmp["baseline_file"])).name}
        sections.append(("baseline", "Comparison with the baseline", baseline_section(cmp, names, term_names)))

    # binding limits and their prices (the planning work writes a prices CSV)
    price_files = _find(d, PRICE_PATTERNS)
    if price_files:
        from ..analysis.limit_words import LP_PRICE_HOLDS

        body = ('<p class="note">What one more unit of each limit is worth: the fall of the objective per unit more '
                "(LP price, the layout's sites kept) and, where re-solved, with the layout re-optimised. "
                + html.escape(LP_PRICE_HOLDS) + " (<code>yrdopt prices --reoptimise</code> re-solves every limit "
                "used to the limit). A guarantee's LP price is per unit of value (<code>value_per_point</code>: "
                "per percentage point of the area's value); none for a number of chains.</p>")
        for p in price_files:
            try:
                table = _named(pd.read_csv(p), inst, names).drop(columns=list(PRICE_HIDDEN), errors="ignore")
                body += f"<h3>{html.escape(PRICE_TITLES.get(p.name, p.name))}</h3>" + _df_html(table)
            except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
                body += f'<p class="warn">{html.escape(p.name)}: could not be read ({html.escape(str(exc))})</p>'
        sections.append(("prices", "Binding limits and their prices", body))

    # pareto and sweep charts, given or found in the directory; never another instance's
    same_instance(inst, [x for x in (pareto, tornado, frequency) if x is not None and not isinstance(x, pd.DataFrame)])
    extra = ""
    for given, pats, fn, alt in ((pareto, PARETO_PATTERNS, charts.pareto_chart, "Trade-off front"),
                                 (tornado, TORNADO_PATTERNS, charts.tornado_chart, "Sensitivity (tornado)"),
                                 (frequency, FREQUENCY_PATTERNS, None, "Segment x region frequency over the sweep")):
        if given is not None and not isinstance(given, pd.DataFrame) and Path(given).is_dir():
            given = next(iter(_find(Path(given), pats)), None)  # a sweep without this table: no chart
        src = given if given is not None else next(iter(_find(d, pats)), None)
        if src is None:
            continue
        note = ""
        if fn is None:
            fig = charts.frequency_heatmap(src, region_names={r.id: r.name_en for r in inst.regions})
        elif fn is charts.pareto_chart:
            from ..app.wording import front_words

            status, why = front_status(src)
            fig = fn(src, status=status)
            if status in charts.UNFINISHED_FRONT:  # its points are no finished front: said beside it
                note = (f'<p class="warn">The trade-off front is {html.escape(charts.UNFINISHED_FRONT[status])}'
                        + (f": {html.escape(front_words(str(why)))}" if why else "") + " (front.json status "
                        + f"{html.escape(status)}).</p>")
            elif status == "not_verified":  # a finished front, but not every point is a layout to trust
                note = ('<p class="warn">The independent checker rejected the layout of at least one point of '
                        "the trade-off front (crossed; front.json status not_verified): those points are neither "
                        "proven nor known to be feasible.</p>")
        else:
            fig = fn(src)
        extra += note + _img(fig, "chart", alt)
    if extra:
        sections.append(("sweeps", "Trade-offs and sensitivity", extra))

    title = title or f"yrdopt report: {inst.name}"
    nav = "".join(f'<a href="#{a}">{html.escape(t)}</a>' for a, t, _ in sections)
    warn = "".join(f'<p class="warn">{html.escape(w)}</p>' for w in warnings)
    stamp = _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    parts = [f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(title)}</title>",
             f"<style>{CSS}</style></head><body>",
             f"<h1>{html.escape(title)}</h1><p class=\"note\">{html.escape(source or f'solution: {d}')}; generated {stamp} by {_pkg}</p>",
             warn, f"<nav>{nav}</nav>"]
    parts += [f'<section id="{a}"><h2>{html.escape(t)}</h2>{b}</section>' for a, t, b in sections]
    parts.append("</body></html>")
    return "\n".join(parts)


PRICE_TITLES = {"prices.csv": "Quotas (prices.csv)", "budget_prices.csv": "Change budgets (budget_prices.csv)",
                "guarantee_prices.csv": "Guarantees (guarantee_prices.csv)"}


def _named(df: pd.DataFrame, inst: Instance, names: dict) -> pd.DataFrame:
    """A table's regions by name and resources with their unit ("land (km2)"), as the workbench shows them."""
    from ..schema import resource_units

    df = df.copy()
    units = resource_units(inst)
    for col in ("region", "host", "partner", "from_region", "to_region"):
        if col in df.columns:
            df[col] = [names.get(str(r), str(r)) for r in df[col]]
    if "resource" in df.columns:
        df["resource"] = [f"{k} ({units[k]})" if units.get(str(k)) else str(k) for k in df["resource"]]
    if "budget" in df.columns and "path" in df.columns:  # a change budget (budget_prices.csv) as the CLI and
        from ..analysis.limit_words import budget_words  # the workbench say it: "2035 milestone: at most 6 sites closed"

        df["budget"] = [budget_words(str(p), inst) for p in df["path"]]
        df = df.drop(columns=["scope"], errors="ignore")  # said in the budget's words; the unit stays: the limit's
    return df


def _chain_name(c) -> str:
    return " ".join(x for x in (c.name_en, c.name_zh) if x) or c.id


def _segments_named(df: pd.DataFrame, inst: Instance) -> pd.DataFrame:
    """A table's chains and segments by their names and kinds in words, as the Instance table names them
    (its ids are the files' business): "Integrated circuits 集成电路", "R&D 研发"."""
    chains = {c.id: c for c in inst.chains}
    seg = {(c.id, s.id): s.name or s.id for c in inst.chains for s in c.segments}
    df = df.copy()
    ids = [str(c) for c in df["chain"]] if "chain" in df.columns else None
    for col in ("segment", "from_segment", "to_segment"):
        if col in df.columns and ids is not None:
            df[col] = [seg.get((c, str(x)), str(x)) for c, x in zip(ids, df[col])]
    if ids is not None:
        df["chain"] = [_chain_name(chains[c]) if c in chains else c for c in ids]
    if "kind" in df.columns:
        df["kind"] = [kind_words(k) if k == k and k != "" else "" for k in df["kind"]]
    return df


def _with_activity_unit(df: pd.DataFrame, inst: Instance) -> pd.DataFrame:
    """A table of segments' activity with the segment's unit beside its figures."""
    unit = activity_units(inst)
    at = max(i for i, c in enumerate(df.columns) if str(c).startswith("activity")) + 1
    df = df.copy()
    df.insert(at, "unit", [unit.get((str(c), str(s)), "") for c, s in zip(df["chain"], df["segment"])])
    return df


def _objective_section(inst: Instance, summary: dict, rep, term_names: dict[str, str] | None) -> str:
    """The weighted terms, what each counts and their total (two decimals: they add up as printed),
    the baseline's beside; a plan's terms period by period, undiscounted and discounted."""
    from ..analysis.costs import money, objective_words, period_terms_table, term_notes
    from ..app.wording import TERM_WORDS

    names = term_names or TERM_WORDS
    phased = inst.periods is not None
    comps = summary.get("components") or rep.components
    raw = summary.get("components_raw") or rep.components_raw
    from ..schema import region_names

    notes = term_notes({**summary, "components": comps}, region_names(inst))
    weights = inst.weights.model_dump()
    terms = pd.DataFrame({"term": [names.get(k, k) for k in comps], "value": [comps[k] for k in comps],
                          "what it counts": [notes.get(k, "") for k in comps],
                          "weight": [f"{weights.get(k, 1.0):g}" for k in comps]})
    if not phased:  # a plan's unweighted terms summed over periods, undiscounted, add up to nothing shown
        terms.insert(3, "unweighted", [raw.get(k) for k in comps])
    layouts = {"optimized": comps}
    base = baseline_terms(summary)
    if base:
        layouts = {"baseline": base, "optimized": comps}
        terms["baseline"] = [base.get(k) for k in comps]
    total = {"term": "total", "value": summary.get("objective", rep.objective)}
    if base:
        total["baseline"] = sum(base.values())
    terms = pd.concat([terms, pd.DataFrame([total])], ignore_index=True)
    body = f"<p>{html.escape(objective_words(summary))}</p>" + _df_html(terms, table_id="objective-terms", number=money)
    by_period = period_terms_table(summary) if phased else None
    if by_period is not None:
        factors = by_period[""] == "discount factor"
        by_period = by_period.astype(object)
        by_period.loc[factors, by_period.columns[1:]] = [f"{v:.4g}" for v in by_period.loc[factors].iloc[0, 1:]]
        by_period[""] = [names.get(k, k) for k in by_period[""]]
        body += ("<h3>Terms per period (undiscounted; x the discount factor, the last row adds up to the objective)</h3>"
                 + _df_html(by_period, table_id="objective-by-period", number=money))
    return body + _img(charts.objective_terms_chart(layouts), "chart", "Objective terms by layout")


def _benefit_section(inst: Instance, d: Path, summary: dict, layout: pd.DataFrame, park_activity, parks,
                     names: dict, today: pd.DataFrame | None = None) -> str:
    """Benefit sharing per province: the table and chart of the optimized layout, today's beside
    (``today``: a layout of today's sites, else the baseline file's)."""
    from ..analysis.benefits import benefit_table, benefit_warnings

    opt = benefit_table(inst, layout, park_activity)
    base = None
    base_file = baseline_layout_file(d, summary) if today is None else None
    if today is not None:
        base = benefit_table(inst, today)
    elif base_file is not None:
        before = pd.read_csv(base_file)
        if "sited" not in before.columns:
            before["sited"] = True
        base = benefit_table(inst, before)
    t = opt.copy()
    if base is not None:
        t.insert(4, "credited_share_today", base["credited_share"].to_numpy())
        t.insert(5, "high_value_share_today", base["high_value_share"].to_numpy())
    body = "<h3>Benefit sharing per province</h3>" + _df_html(t)
    body += "".join(f'<p class="warn">{html.escape(w)}</p>' for w in benefit_warnings(opt))
    body += _img(charts.benefit_share_chart(opt, base), "chart", "Value credited per province, today beside")
    if parks is not None and len(parks):
        from ..schema import park_names

        p = parks.copy()
        p["park"] = [park_names(inst).get(str(x), str(x)) for x in p["park"]]  # its name, never its id
        for col in ("host", "partner"):
            p[col] = [names.get(str(r), str(r)) for r in p[col]]
        body += "<h3>Enclave parks (value and cost split between host and partner)</h3>" + _df_html(p)
    return body


def _periods_section(inst: Instance, d: Path, summary: dict, views, names: dict) -> str:
    """Per period: counts and costs of change, what foresight saves, a map of what moved, and
    every site that changed (transition.csv has every site, kept ones too)."""
    from .periods import change_rows, foresight_text, period_change_maps, period_summary

    f = d / "transition.csv"
    if not f.exists():
        return '<p class="warn">transition.csv is missing: the changes per period cannot be shown.</p>'
    transition = pd.read_csv(f)
    body = _df_html(period_summary(transition, [v.year for v in views]))
    text = foresight_text(summary)
    if text:
        body += f"<p>{html.escape(text)}</p>"
    changes = change_rows(transition)
    from ..site_change import KEEP_SHARE, kept_changes, kept_words

    for v, fig in zip(views, period_change_maps(inst, views)):
        before = "today" if v.t == 0 else str(views[v.t - 1].year)
        body += f"<h3>{v.year}</h3>"
        body += _img(fig, "period-map", f"{before} -> {v.year}: regions that gained or lost a segment's site")
        ch = changes[changes["period"].astype(int) == v.year].drop(columns=["period"])
        if len(ch):
            ch = ch.assign(region=[names.get(str(r), str(r)) for r in ch["region"]])
            body += _df_html(_segments_named(_with_activity_unit(ch.reset_index(drop=True), inst), inst), "changes",
                             max_rows=len(ch))
        else:
            body += (f'<p class="note">no site opens, closes, grows or shrinks by {KEEP_SHARE * 100:g} % or more of '
                     'its activity in this period</p>')
        # kept sites are not listed, but their small changes count in the cost of change and moved share
        kept = kept_words(kept_changes(transition[transition["period"].astype(int) == v.year], activity_units(inst)))
        if kept:
            body += f'<p class="note kept-changes">{html.escape(kept)}</p>'
    return body


def front_status(src) -> tuple[str | None, str | None]:
    """(status, why incomplete) from the front.json beside a front.csv (None, None: no such file)."""
    if isinstance(src, pd.DataFrame):
        return None, None
    meta = Path(src).parent / "front.json"
    try:
        data = json.loads(meta.read_text())
    except (OSError, ValueError):
        return None, None
    return (data.get("status"), data.get("incomplete")) if isinstance(data, dict) else (None, None)


# the files that say which instance a sweep (sweep.json) or a front (front.json) was run on
RUN_MANIFESTS = ("sweep.json", "front.json")


def same_instance(inst: Instance, sources: list[str | Path]) -> None:
    """Raise InstanceError when a sweep or front given to the report was run on another instance
    (the content hash recorded in its sweep.json or front.json differs from the layout's)."""
    want = content_hash(inst)
    problems = []
    for src in map(Path, sources):
        folder = src if src.is_dir() else src.parent
        for name in RUN_MANIFESTS:
            f = folder / name
            if not f.exists():
                continue
            try:
                recorded = (json.loads(f.read_text()).get("instance") or {})
            except (json.JSONDecodeError, UnicodeDecodeError, AttributeError):
                continue
            if recorded.get("hash") and recorded["hash"] != want:
                problems.append(Problem(str(f), "instance.hash", f"{recorded.get('name', '?')} {recorded['hash'][:12]}",
                                        f"the instance of the layout, {inst.name} {want[:12]}: this run belongs to "
                                        "another instance, and its charts would describe that one"))
    if problems:
        raise InstanceError(problems)


def write_report(sol_dir: str | Path, out: str | Path, instance: str | Path | Instance | None = None, **kw) -> Path:
    from ..io import atomic_write_text

    out = Path(out)
    atomic_write_text(out, build_report(sol_dir, instance, **kw))
    return out

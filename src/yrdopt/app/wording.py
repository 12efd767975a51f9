"""The page's words for the library's messages: no command, no --flag, nothing cut short.

The library speaks to command-line users ("give it more time (--time-limit)", "run `yrdopt
diagnose` on the instance"); the page has fields and buttons instead.  :func:`page_words` rewrites
each such phrase into what the page offers.  Every rewrite is a whole phrase listed here, so the
rest of a message is kept word for word (an earlier rule deleted from a command to the next full
stop and cut "so `yrdopt solve` may find no plan: raise them by that much" down to "so.").

``tests/test_app_wording.py`` collects every message of the library code the app imports that
names a flag or a command and checks it against these tables: a new flag there fails the test
until it has page words here (or a reason in :data:`CLI_ONLY`).
"""

from __future__ import annotations

import json
import re

import numpy as np

from ..analysis.limit_words import BUDGET_PATH as _BUDGET_PATH
from ..analysis.limit_words import BUDGET_WORDS, MEASURE_WORDS, guarantee_words  # noqa: F401  (the CLI's and the report's too)
from ..analysis.limit_words import activity_before as _activity_before
from ..analysis.limit_words import budget_amount as _budget_amount
from ..analysis.limit_words import budget_scope as _budget_scope
from ..analysis.limit_words import budget_words
from ..analysis.limit_words import get as _get
from ..analysis.limit_words import percent as _percent
from ..words import SHARE_IN_RANGE
from ..analysis.diagnose import (TIE_INTERRUPTED, TIE_NO_PICK, TIE_NOT_RUN, TIE_TOTAL_UNPROVEN, TIE_UNFINISHED,
                                 TIE_WORDS)
from ..schema import activity_units, kind_words, park_names, region_names, resource_units, segment_names, unit_words  # noqa: F401  (the page's words: the CLI's too)
from ..solver import STATUS_TEXT

TIME_LIMIT_FIELD = "the time limit field"  # the what-if form's "Time limit (s)"

# the rest of a long list of a diagnosis ("and 846 more (all in the details' ...)"): the page has no details nor
# files, yet lists them under a failed solve's reason (failure_lists)
_DETAILS_LIST = re.compile(r"all in the details' [^;()]*; `yrdopt diagnose INSTANCE --out DIR` writes them to a file")

# whole phrases first (a command with what it does), in the order they are tried; "" drops a
# phrase that points at something the page does not have (its sentence stays whole without it); a
# pattern stands for a phrase with a name inside (a list's key)
PHRASES: tuple[tuple[str | re.Pattern, str], ...] = (
    # the totals' check: the page's Solve already says which totals conflict (README's promise)
    ("; `yrdopt diagnose INSTANCE` also names the smallest set of conflicting limits and the least quota "
     "increase that makes it feasible", ""),
    # a long list's rest: the page shows neither a diagnosis's details nor writes its files
    (_DETAILS_LIST, "not listed here"),
    (" (The smallest set of conflicting limits is not searched over periods: `yrdopt diagnose INSTANCE "
     "--period YEAR` searches it among one milestone's limits, those every plan's period YEAR must satisfy.)",
     " (The smallest set of conflicting limits is not searched over periods.)"),
    # a what-if Solve runs the diagnosis of a plan that cannot exist: given time, it says more
    ("run `yrdopt diagnose` on the instance", f"solve it again with more time ({TIME_LIMIT_FIELD})"),
    ("give diagnose more time", "give it more time"),
    # a solver's status code in parentheses ("(time_limit_no_incumbent)"): the sentence says it in words
    (re.compile(r" \((?:" + "|".join(STATUS_TEXT) + r")\)"), ""),
    ("run `yrdopt check` on it", "see its Checker verdict in Summary"),
    ("run `yrdopt check`", "see the Checker verdict in Summary"),
    ("`yrdopt solve`", "Solve"),
    ("`yrdopt schema` lists every field", "the What-if editor shows every field"),
    # a Problem of an option the page sets: its field follows, the page has no command line
    ("command line: ", ""),
    ("no --period: ", "no period: "),
    ("give --period YEAR", "pick a year in the Period picker"),
)

# the flags the page has a field or button for: its name as the page shows it
FLAG_WORDS: dict[str, str] = {
    "--time-limit": TIME_LIMIT_FIELD,
    "--reoptimise": "“re-optimise the rest”",
    "--period": "the Period picker",
    "--segment": "the Segment picker",
    "--slack": "the “within … of the optimum” field",
}

# flags and commands of library messages the page never shows, and why (checked by
# tests/test_app_wording.py: one in none of these tables fails it)
CLI_ONLY: dict[str, str] = {
    "`yrdopt template`": "reading an Excel instance: the page sends instances as JSON",
    "--metric": "alternatives: the server passes metric='sum' and names its own fields (FORM_FIELDS)",
    "--min-share": "alternatives: the server passes min_share=0.01 and names its own fields (FORM_FIELDS)",
    "--names": "compare: the server names the two scenarios itself",
    "--fresh": "alternatives from the page write no folder (out=None): nothing to resume",
    "--out": "the page writes into its workspace, never into an --out folder",
    "--site": "site_decision (yrdopt explain --site) is not called by the app",
    "--concurrent-lns": "the app never asks for the concurrent LNS",
    "--instance": "the HTML report is built with the scenario's instance given",
    "--json": "CheckReport.lines() ('N more: yrdopt check --json') is printed by yrdopt check only; the page lists "
              "every violation from the report itself",
}

FLAG = re.compile(r"(?<![\w-])--[a-z][a-z-]*")


def page_words(message: str) -> str:
    """A message as the page says it: each listed phrase and flag in the page's words, the rest as it was."""
    out = str(message)
    for cli, page in PHRASES:
        out = cli.sub(page, out) if isinstance(cli, re.Pattern) else out.replace(cli, page)
    return FLAG.sub(lambda m: FLAG_WORDS.get(m.group(0), m.group(0)), out)


# the library's hint at a region id typed where one is named ("no region is 'shanghia': regions[0].id is
# 'shanghai', is one of them misspelt?"): the page cannot edit region ids, so it asks about the one typed
_REGION_HINT = re.compile(r"(no region is '[^']*'): regions\[\d+\]\.id is ('[^']*'), is one of them misspelt\?")


def problem_words(text: str) -> str:
    """A problem's text as the page says it (:func:`page_words`), a misspelt region named asked about
    as "did you mean 'shanghai'?"."""
    return _REGION_HINT.sub(r"\1: did you mean \2?", page_words(text))


def in_page_words(obj):
    """Every string in a job's result (tables of "why" answers, notes) in the page's words."""
    if isinstance(obj, str):
        return page_words(obj)
    if isinstance(obj, dict):
        return {k: in_page_words(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [in_page_words(v) for v in obj]
    return obj


_STEP = re.compile(r"([^.\[\]]+)|\[(\d+)\]|\[id=([^\]]+)\]")
# the field a tail path names, as a planner says it ("quotas.land": the land quota)
_TAILS = ((re.compile(r"^quotas\.(\w+)$"), r"\1 quota"), (re.compile(r"^extra_quota\.(\w+)$"), r"\1 extra quota"),
          (re.compile(r"^budget\.by_province\.([^.]+)$"), r"change budget of province \1"),
          *((re.compile(rf"^budget\.{field}$"), words) for field, words in BUDGET_WORDS.items()))


# what an element of a list without a name of its own is, by the list it is in
_LISTED_AS = {"existing": "today's site of", "fixed": "placement fixed:", "forbidden": "placement forbidden:",
              "protected": "protected site of"}


def _label(item, listed_in: str | None = None, data=None) -> str | None:
    """The name a planner knows an element of the instance by: a region's or chain's English
    name, a segment's name, else its id; a milestone by its year ("2035 milestone"); today's site
    or a placement by its segment's name ("today's site of Integrated circuits R&D")."""
    if not isinstance(item, dict):
        return None
    if listed_in == "enclaves" and isinstance(data, dict) and not (isinstance(item.get("name"), str) and item["name"].strip()):
        # an unnamed park as everywhere else: "park in Jiangsu co-built with Shanghai" (schema.park_names)
        said = park_names(data).get(item.get("id"))
        if said:
            return said
    for key in ("name_en", "name", "id"):
        if isinstance(item.get(key), str) and item[key].strip():
            return item[key].strip()
    if isinstance(item.get("year"), int) and listed_in == "milestones":
        return f"{item['year']} milestone"
    if isinstance(item.get("chain"), str) and isinstance(item.get("segment"), str):
        key = f"{item['chain']}/{item['segment']}"
        seg = segment_names(data).get(key, key) if isinstance(data, dict) else key
        return f"{_LISTED_AS.get(listed_in, 'site of')} {seg}"
    return None


def field_words(data, path: str) -> str:
    """A field path of an instance as a planner reads it, the path kept: ``regions[17].quotas.land``
    of an instance whose 18th region is Hefei is "Hefei (regions[17]) land quota";
    ``chains[0].segments[1].min_scale`` is "NEV / battery (chains[0].segments[1]) min_scale"; an
    element may be named by its id (``regions[id=hefei]``, as the list of edits does).  A path
    through no named element (``weights.flows``) stays as it is."""
    node, labels, named_to, listed_in = data, [], 0, None
    for m in _STEP.finditer(path):
        key, index, ident = m.groups()
        if index is not None or ident is not None:
            if not isinstance(node, list):
                node = None
            elif ident is not None:  # regions[id=sh], as the list of edits names an element
                node = next((x for x in node if isinstance(x, dict) and x.get("id") == ident), None)
            else:
                node = node[int(index)] if int(index) < len(node) else None
            label = _label(node, listed_in, data)
            if label is not None:
                labels.append(label)
                named_to = m.end()
        else:
            node, listed_in = (node.get(key) if isinstance(node, dict) else None), key
    if not labels:  # a field of no named element: a weight, a province's minimum share, said by what it is
        if m := _WEIGHT_EDIT.match(path):
            return f"weight of {term_words(m.group(1))}"
        if m := _SHARE_PATH.match(path):
            return f"{m.group(1)} minimum share"
        return path
    tail = path[named_to:].lstrip(".")
    for pattern, words in _TAILS:
        tail = pattern.sub(words, tail)
    return f"{' / '.join(labels)} ({path[:named_to]})" + (f" {tail}" if tail else "")


# ----------------------------------------------------------------------------- the planner's terms
# the objective's terms as a planner names them (summary.json's components keep the model's keys;
# models/formulation.md section 5); the one mapping the page, Compare and the exports use
TERM_WORDS: dict[str, str] = {
    "distance": "distance (logistics)",
    "site_cost": "site cost",
    "fixed_cost": "fixed cost",
    "duplication": "duplication",
    "expansion": "expansion and parks",
    "guarantee_shortfall": "guarantee shortfall",
    "change": "cost of change",
    "total": "total",
    "verified": "verified by the checker",
}


def term_words(term: str) -> str:
    """An objective term in the planner's words (an unknown one as it is stored)."""
    return TERM_WORDS.get(str(term), str(term).replace("_", " "))


# a front's note about a term by its key (fronts.pareto_front's front.json "incomplete" and "stopped": "no
# layout minimising site_cost (time_limit_no_incumbent): the site_cost-best end ...", "stopped below
# duplication = 3: time_limit_with_incumbent"); the file keeps the keys for scripts
_TERM_KEY = "(" + "|".join(t for t in TERM_WORDS if t not in ("total", "verified")) + ")"
_FRONT_PHRASES = ((re.compile(rf"\bthe {_TERM_KEY}-best end\b"), "the end best in {}"),
                  (re.compile(rf"\bminimising {_TERM_KEY}\b"), "minimising {}"),
                  (re.compile(rf"\b(?:below|for) {_TERM_KEY}\b(?= = | <= )"), None))
_STATUS_CODE = re.compile(r"(?<![\w-])(" + "|".join(sorted(STATUS_TEXT, key=len, reverse=True)) + r")(?![\w-])")


def front_words(text) -> str:
    """A front's note (front.json's ``incomplete`` or ``stopped``) as the planner reads it: each term by its
    name ("minimising site cost", "the end best in distance (logistics)"), a solve's status in words."""
    if not isinstance(text, str) or not text:
        return text
    for pattern, said in _FRONT_PHRASES:
        text = pattern.sub(lambda m: said.format(term_words(m.group(1))) if said
                           else m.group(0).replace(m.group(1), term_words(m.group(1))), text)
    return _STATUS_CODE.sub(lambda m: STATUS_TEXT[m.group(1)], text)


def amount_words(value: str, unit: str) -> str:
    return f"{value} {unit}" if unit else value


def _region_pattern(names: dict[str, str]) -> re.Pattern | None:
    """A region id as a word of a message: not inside a field path (``regions.sh.quotas``,
    ``regions[id=sh]``) nor a segment key."""
    if not names:
        return None
    ids = "|".join(re.escape(i) for i in sorted(names, key=len, reverse=True))
    return re.compile(rf"(?<![\w.\[=/-])({ids})(?![\w\]/-]|\.\w)")


def text_with_names(text, inst) -> str:
    """A library message about ``inst`` with region ids as the planner's names and each quota raise
    with its unit: "needs nanjing talent +41.68" is "needs Nanjing (Jiangsu) talent +41.68 thousand
    skilled staff"."""
    if not isinstance(text, str) or not text:
        return text
    names, units = region_names(inst), resource_units(inst)
    pattern = _region_pattern(names)
    if pattern is None:
        return text
    if units:
        res = "|".join(re.escape(k) for k in sorted(units, key=len, reverse=True))
        raise_ = re.compile(rf"{pattern.pattern} ({res}) \+([0-9.eE+-]+)")
        text = raise_.sub(lambda m: f"{names[m.group(1)]} {m.group(2)} +{amount_words(m.group(3), units[m.group(2)])}",
                          text)
    text = pattern.sub(lambda m: names[m.group(1)], text)
    for path, words in RULE_PHRASES:
        text = text.replace(path, words)
    return text


# the instance fields the library's reasons name, in the planner's words (why a move is blocked)
RULE_PHRASES: tuple[tuple[str, str], ...] = (
    ("forbidden by policy.forbidden", "not allowed there (a forbidden placement)"),
    ("policy.fixed keeps it in", "it is fixed in"),
    ("policy.fixed keeps it here", "it is fixed here"),
    ("brownfield.protected keeps it open in", "a protected existing site keeps it open in"),
    ("brownfield.protected keeps it open", "a protected existing site keeps it open"),
    ("(policy.site_limits)", "(a site limit)"),
    # diagnose's limits (diagnose.enumerate_limits): the rule by what it is, not its field
    ("policy.fixed puts", "a fixed placement puts"),
    ("policy.forbidden keeps", "a forbidden placement keeps"),
    ("brownfield.protected keeps", "a protected existing site keeps"),
    (" (min_scale)", " (its minimum scale)"),
)
RULE_WORDS: dict[str, str] = {
    "policy.forbidden": "forbidden placements",
    "policy.fixed": "fixed placements",
    "brownfield.protected": "protected existing sites",
    "policy.site_limits": "site limits",
    "policy.guarantees": "province guarantees",
    "policy.province_min_share": "province guarantees",
}
_RULE_PATH = re.compile(r"^regions\.([^.]+)\.quotas\.(\w+)$")
_SEGMENT_PATH = re.compile(r"^chains\.([^.]+)\.segments\.([^.]+)\.(\w+)$")


def rule_words(field: str, inst) -> str:
    """One instance field a "why" names (``blocked_by``) as the planner says it: a guarantee by its
    description, a change budget as "2030 milestone: at most 6 sites closed"; the field path stays
    only for a rule this table does not know."""
    field = str(field).strip()
    if field in RULE_WORDS:
        return RULE_WORDS[field]
    if m := _RULE_PATH.match(field):
        return f"the {m.group(2)} quota of {region_names(inst).get(m.group(1), m.group(1))}"
    if m := _SEGMENT_PATH.match(field):
        return f"{m.group(1)}/{m.group(2)} {m.group(3).replace('_', ' ')}"
    if m := _GUARANTEE_PATH.match(field):
        guarantees = _get(_get(inst, "policy"), "guarantees") or []
        i = int(m.group(1))
        return guarantee_words(guarantees[i], inst) if i < len(guarantees) else field
    if m := _SHARE_PATH.match(field):
        share = (_get(_get(inst, "policy"), "province_min_share") or {}).get(m.group(1))
        return f"{m.group(1)}: at least {_percent(share)} of the area's value" if share is not None else field
    return budget_words(field, inst)  # a change budget's words, else the field as it is


_GUARANTEE_PATH = re.compile(r"^policy\.guarantees\[(\d+)\]$")
_SHARE_PATH = re.compile(r"^policy\.province_min_share\.(.+)$")
percent = _percent  # the page's percentages: limit_words.percent


def share_field(path) -> bool:
    """Whether an instance field is a share in [0, 1] the page shows as a percentage (a province's minimum share)."""
    return bool(_SHARE_PATH.match(str(path or "")))


def share_bound_words(expected: str, value=None) -> str:
    """What a share must be, as a percentage ("less than or equal to 1": "at most 100 %"); the files' words
    for a share (:func:`yrdopt.words.share_words`: a fraction in [0, 1], 0.3 for 30 %) as the bound the
    page's percentage ``value`` breaks (the page takes percentages: its 150 is 15,000 %, no typed 30)."""
    if expected.startswith(SHARE_IN_RANGE) and isinstance(value, (int, float)) and not isinstance(value, bool):
        return "at most 100 %" if value > 1 else "at least 0 %" if value < 0 else "from 0 % to 100 %"

    def pct(m):
        return _percent(float(m.group(2)))
    expected = re.sub(r"(less than or equal to) ([0-9.]+)", lambda m: f"at most {pct(m)}", expected)
    return re.sub(r"(greater than or equal to) ([0-9.]+)", lambda m: f"at least {pct(m)}", expected)


# ------------------------------------------------------------------------------ what-if edits
# one edit of the change list (server.changes: "path: before -> after", each value as JSON)
_QUOTA_EDIT = re.compile(r"^regions\[id=(?P<region>[^\]]+)\]\.(?P<kind>quotas|extra_quota)\.(?P<resource>\w+)$")
_WEIGHT_EDIT = re.compile(r"^weights\.(\w+)$")
_GUARANTEE_EDIT = re.compile(r"^policy\.guarantees\[(\d+)\]\.(\w+)$")
_MILESTONE_EDIT = re.compile(r"^periods\.milestones\[(\d+)\]\.(.+)$")


def _json_value(text: str):
    import json

    try:
        return json.loads(text)
    except ValueError:
        return text  # a long value cut short ("[...")


def change_words(data, edit: str) -> str:
    """One what-if edit as a planner says it: "Shanghai land quota 28.48 → 15.0 km2", "weight of
    site cost 1.0 → 2.0", "Anhui hosts R&D in at least one chain: value 1 → 2", "2030 milestone: at
    most sites closed 6 → 3"; a placement's line is in words already; any other field is named by
    :func:`field_words`.  ``data``: the instance the edit made (its names and units)."""
    path, sep, rest = str(edit).partition(": ")
    before_text, arrow, after_text = rest.partition(" -> ")
    if not sep or " " in path or not arrow:
        return str(edit)
    before, after = _json_value(before_text), _json_value(after_text)

    def said(v, unlimited="none", unit=""):
        if v is None:
            return unlimited
        text = before_text if v is before else after_text  # as typed: 15.0 stays 15.0
        return f"{text} {unit}" if unit and isinstance(v, (int, float)) else text

    if m := _QUOTA_EDIT.match(path):
        name = region_names(data).get(m.group("region"), m.group("region"))
        unit = next((unit_words(_get(r, "unit")) for r in _get(data, "resources") or []
                     if _get(r, "id") == m.group("resource")), "")
        what = f"{name} {m.group('resource')} {'quota' if m.group('kind') == 'quotas' else 'extra quota'}"
        if isinstance(before, (int, float)) and isinstance(after, (int, float)):  # "28.48 → 15.0 km2"
            return f"{what} {before_text} → {said(after, unit=unit)}"
        return f"{what} {said(before, 'unlimited', unit)} → {said(after, 'unlimited', unit)}"
    if m := _WEIGHT_EDIT.match(path):
        return f"weight of {term_words(m.group(1))} {said(before)} → {said(after)}"
    if m := _SHARE_PATH.match(path):
        pct = lambda v: "none" if v is None else _percent(v) if isinstance(v, (int, float)) else str(v)  # noqa: E731
        return f"{m.group(1)} minimum share of the area's value {pct(before)} → {pct(after)}"
    if m := _GUARANTEE_EDIT.match(path):
        guarantees = _get(_get(data, "policy"), "guarantees") or []
        i = int(m.group(1))
        if i < len(guarantees):
            return f"guarantee “{guarantee_words(guarantees[i], data)}”: {m.group(2)} {said(before)} → {said(after)}"
    if m := _BUDGET_PATH.match(path):
        where, _ = _budget_scope(data, m)
        if m.group("field") == "max_moved_share":
            pct = lambda v: "no limit" if v is None else _percent(v) if isinstance(v, (int, float)) else str(v)  # noqa: E731
            t = None if m.group("t") is None else int(m.group("t"))  # P4: a share of the period before's activity
            return f"{where}: most of {_activity_before(data, t)} activity moved {pct(before)} → {pct(after)}"
        return f"{where}: {BUDGET_WORDS[m.group('field')]} {said(before, 'no limit')} → {said(after, 'no limit')}"
    if m := _MILESTONE_EDIT.match(path):
        milestones = _get(_get(data, "periods"), "milestones") or []
        t = int(m.group(1))
        if t < len(milestones):
            field = re.sub(r"^quota_factor\.(\w+)$", r"\1 quota factor", m.group(2))
            field = re.sub(r"^growth\.(\w+)$", r"growth of chain \1", field)
            return f"{_get(milestones[t], 'year')} milestone: {field.replace('_', ' ')} {said(before)} → {said(after)}"
    return f"{field_words(data, path)}: {said(before)} → {said(after)}"


# a change budget of one province: a milestone's own or brownfield.budget's (the default of every milestone)
_BUDGET_ENTRY = re.compile(r"^(?:periods\.milestones\[(?P<t>\d+)\]\.budget|brownfield\.budget)\.by_province\.(?P<province>[^.]+)$")


def entry_words(path: str, before, after, base, new) -> list[str] | None:
    """A guarantee or a province's change budget removed or added whole, each in words ("removed
    guarantee: Anhui hosts R&D in at least one chain", "removed change budget: Anhui, 2030
    milestone: at most 2 new sites"), where the list of edits said the JSON before and after, cut
    short; None for any other field.  ``base`` and ``new``: the instances before and after."""
    if path == "policy.guarantees" and isinstance(before, list) and isinstance(after, list):
        def key(g) -> str:  # 1 and 1.0 are one value (a draft the page sends says 1.0 as 1)
            return json.dumps(_same_numbers(g), sort_keys=True)

        kept, was = [key(g) for g in after], [key(g) for g in before]
        gone = [g for g in before if not _taken(kept, key(g))]
        came = [g for g in after if not _taken(was, key(g))]
        return ([f"removed guarantee: {guarantee_words(g, base)}" for g in gone]
                + [f"added guarantee: {guarantee_words(g, new)}" for g in came])
    m = _BUDGET_ENTRY.match(path)
    if m is None or (before is None) == (after is None):
        return None
    budget, inst = (before, base) if after is None else (after, new)
    if not isinstance(budget, dict):
        return None
    where = m.group("province")
    if m.group("t") is not None:
        milestones = _get(_get(inst, "periods"), "milestones") or []
        t = int(m.group("t"))
        where += f", {_get(milestones[t], 'year')} milestone" if t < len(milestones) else ""
    t = None if m.group("t") is None else int(m.group("t"))
    limits = [_budget_amount(f, budget[f], _activity_before(inst, t)) for f in BUDGET_WORDS if budget.get(f) is not None]
    return [f"{'removed' if after is None else 'added'} change budget: {where}: "
            + (f"at most {', '.join(limits)}" if limits else "no limit")]


def _same_numbers(v):
    """``v`` with every number a float (bools kept), so that equal values compare equal as JSON."""
    if isinstance(v, dict):
        return {k: _same_numbers(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_same_numbers(x) for x in v]
    return float(v) if isinstance(v, int) and not isinstance(v, bool) else v


def _taken(keys: list[str], key: str) -> bool:
    """Whether ``key`` is among ``keys``, taking it out (each one matches once)."""
    if key in keys:
        keys.remove(key)
        return True
    return False


def placement_words(kind: str, p: dict, names: dict[str, str], *, added: bool, segments: dict[str, str] | None = None) -> str:
    """A placement edit in words: "Integrated circuits R&D fixed in Suzhou (Jiangsu)", "… not allowed in
    Hefei (Anhui)"; each segment by ``segments`` (schema.segment_names), else "chain/segment"."""
    seg, where = f"{p.get('chain')}/{p.get('segment')}", names.get(p.get("region"), p.get("region"))
    seg = (segments or {}).get(seg, seg)
    if kind == "fixed":
        return f"{seg} fixed in {where}" if added else f"{seg} no longer fixed in {where}"
    return f"{seg} not allowed in {where}" if added else f"{seg} allowed again in {where}"


# a change budget's field where the library names it beside its words ("... too small by 1
# (periods.milestones[0].budget.max_closed)"): the words say which budget already
_BUDGET_FIELD = re.compile(r" \((?:periods\.milestones\[\d+\]\.budget|brownfield\.budget)(?:\.by_province\.[^.)]+)?"
                           r"\.(?:max_opened|max_closed|max_moved_share)\)")


# the sentence on how the diagnosis picks one least raise among equals (diagnose.tie_words): the solver's
# rule, no planner's question; the raise before it says whether it is proven the least
_TIE_SENTENCES = re.compile("|".join(re.escape(t) for t in sorted(
    (TIE_WORDS, TIE_UNFINISHED, TIE_UNFINISHED.replace("stopped at its time limit", "was interrupted"),
     TIE_NOT_RUN, TIE_INTERRUPTED, TIE_TOTAL_UNPROVEN), key=len, reverse=True))
    + "|" + re.escape(TIE_NO_PICK).replace(re.escape("{status}"), "[^)]*"))
# a raise's figure in the library's six significant digits ("+30.8558 km2", "too small by 36.928")
_RAISE_FIGURE = re.compile(r"(\+|too small by )(\d+\.\d+(?:[eE][+-]?\d+)?)")


def rounded(v) -> str:
    """A raise as a planner reads it: three significant digits, no exponent ("30.9", "0.0625", "3,563")."""
    v = float(v)
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    return np.format_float_positional(v, precision=3, unique=False, fractional=False, trim="-")


def activity_said(inst) -> str:
    """The unit after an amount of activity: the one every segment's activity shares ("(in 10 bn CNY of 2021
    profit)": a unit with a figure of its own), else "units of activity"."""
    units = set(activity_units(inst).values())
    return f"(in {units.pop()})" if len(units) == 1 and "" not in units else "units of activity"


# the budget of activity moved as the library says it, its limit and how far it is short in bare "units"
# (diagnose.budget_increase: "the budget of activity moved in Anhui (106.14 units) is too small by 3 units")
_MOVED_BUDGET = re.compile(r"(the budget of activity moved .*?)(?:\(([0-9.eE+-]+) units\) )?(is too small by [0-9.eE+-]+) units\b")


def moved_budget_in(unit: str, text: str) -> str:
    """``text`` with the budget of activity moved's amounts in ``unit`` ("units of activity", "(in 10 bn
    CNY of 2021 profit)") instead of the library's bare "units"."""
    return _MOVED_BUDGET.sub(lambda m: m.group(1) + (f"({m.group(2)} {unit}) " if m.group(2) else "")
                             + f"{m.group(3)} {unit}", text)


def failure_words(text, inst) -> str:
    """Why a what-if has no layout, as the page says it above the maps: each region by its name
    alone (the library's "Shanghai (shanghai)" keeps the id for the command line), quota raises with
    their units, figures rounded, a budget by its words without its field path, activity in its unit,
    nothing of the rule that picks one raise among equals."""
    if not isinstance(text, str) or not text:
        return text
    names = region_names(inst)
    if names:
        ids = "|".join(re.escape(i) for i in sorted(names, key=len, reverse=True))
        text = re.sub(rf" \(({ids})\)", lambda m: "", text)
    text = _BUDGET_FIELD.sub("", text)
    text = moved_budget_in(activity_said(inst), text)
    text = _TIE_SENTENCES.sub("", text).replace("  ", " ").replace(" .", ".")
    text = _DETAILS_LIST.sub("all listed below", text)
    text = _RAISE_FIGURE.sub(lambda m: m.group(1) + rounded(m.group(2)), text)
    return text_with_names(text, inst).strip()


# a hard guarantee as the library's limits name it: its description (if any), its code and its field
# ('guarantee "Jiangsu hosts R&D in at least one chain", Jiangsu min_chains [rd] 1 (policy.guarantees[3])')
_GUARANTEE_CODE = re.compile(r'guarantee (?:"(?P<said>[^"]*)", )?[^"()]*? '
                             r'\((?P<path>policy\.(?:guarantees\[\d+\]|province_min_share\.[^)\s]+))\)')


def segments_named(text, inst) -> str:
    """Each segment key of a library message by its name ("ic/rd" is "Integrated circuits R&D"), a
    site ("ic/rd@anhui") as the segment in its region ("Integrated circuits R&D in anhui": the region's
    name is text_with_names' business)."""
    names = segment_names(inst)
    if not isinstance(text, str) or not text or not names:
        return text
    keys = "|".join(re.escape(k) for k in sorted(names, key=len, reverse=True))
    return re.sub(rf"(?<![\w.\[=/-])({keys})(?:@([\w.-]+))?(?![\w/-])",
                  lambda m: names[m.group(1)] + (f" in {m.group(2)}" if m.group(2) else ""), text)


def planner_words(text, inst) -> str:
    """A library message (why a move is blocked, a diagnosis) for the command line as the page says it:
    each guarantee by what it asks (its description) instead of its code and field, each segment and
    region by its name, quota raises with their units, budgets by their words (failure_words).  The
    files (moves.csv, conflicting_limits.csv) keep the ids and fields for scripts."""
    if not isinstance(text, str) or not text:
        return text
    text = _GUARANTEE_CODE.sub(lambda m: f'guarantee "{m.group("said") or rule_words(m.group("path"), inst)}"', text)
    text = _BUDGET_FIELD.sub("", text)
    text = moved_budget_in("units of activity", text)
    text = _regions_named(segments_named(text, inst), inst)
    for path, words in RULE_PHRASES:
        text = text.replace(path, words)
    return text


def _regions_named(text: str, inst) -> str:
    """Each region of a message by its name, in one pass (a name may hold its id: "Region r2 (p0)"):
    the library's "Shanghai (shanghai)" and a bare id alike; a quota raise with its unit where it has
    none ("shanghai talent +30.2" is "Shanghai talent +30.2 thousand skilled staff")."""
    names, units = region_names(inst), resource_units(inst)
    if not names:
        return text
    said = {}  # how the library writes a region: "Name (id)" (diagnose._region_name), or its bare id
    for r in _get(inst, "regions") or []:
        rid, name = _get(r, "id"), str(_get(r, "name_en") or "").strip()
        if name and name != rid:
            said[f"{name} ({rid})"] = rid
    full = "|".join(re.escape(k) for k in sorted(said, key=len, reverse=True))
    ids = "|".join(re.escape(i) for i in sorted(names, key=len, reverse=True))
    bare = rf"(?<![\w.\[=/-])(?P<id>{ids})(?![\w\]/-]|\.\w)"  # as _region_pattern: not inside a field path
    region = f"(?P<full>{full})|{bare}" if full else bare
    raise_ = ""
    if units:
        res = "|".join(re.escape(k) for k in sorted(units, key=len, reverse=True))
        unit = "|".join(re.escape(u) for u in sorted({u for u in units.values() if u}, key=len, reverse=True))
        raise_ = rf"(?:(?P<res> (?:{res})) \+(?P<amount>[0-9.eE+-]+)(?P<unit> (?:{unit}))?)?" if unit else ""

    def name(m) -> str:
        rid = said[m.group("full")] if m.groupdict().get("full") else m.group("id")
        out = names[rid]
        if raise_ and m.group("res"):
            resource = m.group("res").strip()
            out += f"{m.group('res')} +{m.group('amount')}" + (m.group("unit") or (f" {units[resource]}" if units[resource] else ""))
        return out

    return re.sub(f"(?:{region}){raise_}", name, text)


def failure_lists(details, inst) -> dict[str, list[str]]:
    """Everything a diagnosis names, for the page to list in full under its reason (the reason names the
    first ten, "and 846 more"): ``raises`` (:func:`raises_said`) and ``conflicting limits`` (in the page's words)."""
    if not isinstance(details, dict):
        return {}
    limits = [failure_words(str(lim.get("text", "")), inst) for lim in details.get("conflicting_limits") or []
              if isinstance(lim, dict)]
    return {k: v for k, v in (("raises", raises_said(details, inst)), ("conflicting limits", limits)) if v}


def raise_headline(text: str, details, inst) -> str | None:
    """What a diagnosis says to raise, first and short: each quota and change budget with its raise in its unit,
    rounded, periods in order ("The least raise that makes a layout possible: 2030: Jiangsu land +6.97 km2;
    2030: Anhui land +63.4 km2."); None where it found none (``details``: InfeasibleError.details)."""
    items = raises_said(details, inst)
    if not items:
        return None
    least = "The least raise" if "The least quota" in text else "A raise (not proven the least)"
    plan = "plan" if "plan over the periods" in text else "layout"
    shown = items[:HEADLINE_ITEMS]
    more = len(items) - len(shown)
    return (f"{least} that makes a {plan} possible: {'; '.join(shown)}"
            + (f"; and {more} more (all listed below)" if more else "") + ".")


HEADLINE_ITEMS = 6  # raises named in the headline; the rest in the list below it


def raises_said(details, inst) -> list[str]:
    """Each quota and change budget a diagnosis raises (``details``: InfeasibleError.details), with its raise
    in its unit, rounded, periods in order, then regions and resources as the instance lists them."""
    if not isinstance(details, dict):
        return []
    quotas, budgets = details.get("quota_increase") or {}, details.get("budget_increase") or []
    names, units = region_names(inst), resource_units(inst)
    regions = {rid: i for i, rid in enumerate(names)}
    resources = {k: i for i, k in enumerate(units)}
    scopes = {"the whole area": -1}
    items = []
    for key, v in quotas.items():
        *year, rid, res = str(key).split("/")
        t = int(year[0]) if year else 0
        unit = f" {units[res]}" if units.get(res) else ""
        items.append(((t, 0, regions.get(rid, len(regions)), resources.get(res, len(resources))),
                      f"{f'{t}: ' if year else ''}{names.get(rid, rid)} {res} +{rounded(v)}{unit}"))
    for b in budgets:
        field, scope = str(b.get("budget") or b.get("path", "").rsplit(".", 1)[-1]), str(b.get("scope") or "")
        words = BUDGET_WORDS.get(field, field.replace("_", " "))
        unit = f" {activity_said(inst)}" if field == "max_moved_share" else ""
        t = b.get("period")
        items.append(((int(t) if t is not None else 0, 1, scopes.get(scope, 0), 0),
                       f"{f'{t}: ' if t is not None else ''}{words} in {scope} +{rounded(b.get('short_by', 0))}{unit}"))
    items.sort(key=lambda item: item[0])
    return [said for _, said in items]

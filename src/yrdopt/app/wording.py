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

import re

from ..schema import resource_units, unit_words  # noqa: F401  (the page's words for units: the CLI's too)
from ..solver import STATUS_TEXT

TIME_LIMIT_FIELD = "the time limit field"  # the what-if form's "Time limit (s)"

# whole phrases first (a command with what it does), in the order they are tried; "" drops a
# phrase that points at something the page does not have (its sentence stays whole without it); a
# pattern stands for a phrase with a name inside (a list's key)
PHRASES: tuple[tuple[str | re.Pattern, str], ...] = (
    # the totals' check: the page's Solve already says which totals conflict (README's promise)
    ("; `yrdopt diagnose INSTANCE` also names the smallest set of conflicting limits and the least quota "
     "increase that makes it feasible", ""),
    # a long list's rest: the page shows neither a diagnosis's details nor writes its files
    (re.compile(r"all in the details' [^;()]*; `yrdopt diagnose INSTANCE --out DIR` writes them to a file"),
     "not listed here"),
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
_TAILS = ((re.compile(r"^quotas\.(\w+)$"), r"\1 quota"), (re.compile(r"^extra_quota\.(\w+)$"), r"\1 extra quota"))


def _label(item) -> str | None:
    """The name a planner knows an element of the instance by: a region's or chain's English
    name, a segment's name, else its id."""
    if not isinstance(item, dict):
        return None
    for key in ("name_en", "name", "id"):
        if isinstance(item.get(key), str) and item[key].strip():
            return item[key].strip()
    return None


def field_words(data, path: str) -> str:
    """A field path of an instance as a planner reads it, the path kept: ``regions[17].quotas.land``
    of an instance whose 18th region is Hefei is "Hefei (regions[17]) land quota";
    ``chains[0].segments[1].min_scale`` is "NEV / battery (chains[0].segments[1]) min_scale"; an
    element may be named by its id (``regions[id=hefei]``, as the list of edits does).  A path
    through no named element (``weights.flows``) stays as it is."""
    node, labels, named_to = data, [], 0
    for m in _STEP.finditer(path):
        key, index, ident = m.groups()
        if index is not None or ident is not None:
            if not isinstance(node, list):
                node = None
            elif ident is not None:  # regions[id=sh], as the list of edits names an element
                node = next((x for x in node if isinstance(x, dict) and x.get("id") == ident), None)
            else:
                node = node[int(index)] if int(index) < len(node) else None
            label = _label(node)
            if label is not None:
                labels.append(label)
                named_to = m.end()
        else:
            node = node.get(key) if isinstance(node, dict) else None
    if not labels:
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


def region_names(inst) -> dict[str, str]:
    """Region id -> the name a planner knows it by: its English name, with its province where the
    region is a city of it ("Nanjing (Jiangsu)"); a province or an outer region by its name alone."""
    out = {}
    regions = inst.get("regions") or [] if isinstance(inst, dict) else inst.regions  # an instance or its dict
    for r in regions:
        get = r.get if isinstance(r, dict) else (lambda k, r=r: getattr(r, k, None))
        rid, name, province = get("id"), str(get("name_en") or get("id")).strip(), get("province")
        out[rid] = name if not province or province in name or get("kind") != "city" else f"{name} ({province})"
    return out


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
    """One instance field a "why" names (``blocked_by``) as the planner says it; the field path stays
    only for a rule this table does not know."""
    field = str(field).strip()
    if field in RULE_WORDS:
        return RULE_WORDS[field]
    if m := _RULE_PATH.match(field):
        return f"the {m.group(2)} quota of {region_names(inst).get(m.group(1), m.group(1))}"
    if m := _SEGMENT_PATH.match(field):
        return f"{m.group(1)}/{m.group(2)} {m.group(3).replace('_', ' ')}"
    return field


def placement_words(kind: str, p: dict, names: dict[str, str], *, added: bool) -> str:
    """A placement edit in words: "ic/fab fixed in Suzhou", "ic/rd not allowed in Hefei"."""
    seg, where = f"{p.get('chain')}/{p.get('segment')}", names.get(p.get("region"), p.get("region"))
    if kind == "fixed":
        return f"{seg} fixed in {where}" if added else f"{seg} no longer fixed in {where}"
    return f"{seg} not allowed in {where}" if added else f"{seg} allowed again in {where}"

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

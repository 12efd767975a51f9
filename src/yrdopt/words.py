"""The smallest words every layer says alike, below the schema and the errors (they import them,
and :mod:`yrdopt.analysis.limit_words`, which imports the schema, says the rest from them): a count
with its noun ("1 site", "6 sites closed") and what each change budget limits ("most sites
closed"), what a share of the area's value is (a fraction in [0, 1]), in the schema's field descriptions, the Excel template, the CLI, the report and the
workbench alike.  Nothing here imports yrdopt."""

from __future__ import annotations


def counted(n, one: str, many: str | None = None) -> str:
    """A count with its noun in agreement: "1 site", "0 sites", "2.5 sites" (``many``: the plural where
    it is not ``one`` + "s", as in counted(1, "site closed", "sites closed"))."""
    said = f"{n:g}" if isinstance(n, float) else str(n)
    return f"{said} {one if said == '1' else (many if many is not None else one + 's')}"


# what each change budget counts, after its limit, one and more than one ("1 site closed", "6 sites
# closed"; the moved share: "15 % of today's activity moved", limit_words.budget_amount)
BUDGET_COUNTS = {"max_opened": ("new site", "new sites"), "max_closed": ("site closed", "sites closed")}
# each change budget's limit as its field (an edit, a raise) names it: "most sites closed 6 → 3"
BUDGET_WORDS = {"max_opened": "most new sites", "max_closed": "most sites closed", "max_moved_share": "most activity moved"}
# whose activity a moved share counts (formulation P4: the period before's; limit_words.activity_before)
MOVED_SHARE_OF = "as a share of the activity before: today's, into a later milestone the milestone before's"
# each change budget's field as the schema and the Excel template describe it
BUDGET_DESCRIPTIONS = {**BUDGET_WORDS, "max_moved_share": f"{BUDGET_WORDS['max_moved_share']}, {MOVED_SHARE_OF}"}


# a share of the area's value (policy.province_min_share, a min_share or max_share guarantee) in YAML, JSON
# and a workbook: a fraction, never a percentage
SHARE_IN_RANGE = "a share in [0, 1]"
SHARE_EXAMPLE = "(0.3 for 30 %)"


def share_words(value=None, measure: str | None = None) -> str:
    """What a share of the area's value (``policy.province_min_share``, a ``measure`` min_share or
    max_share guarantee) must be, one wording for the YAML, JSON and workbook paths: a fraction in
    [0, 1].  A ``value`` above 1 and at most 100 may be a percentage typed as a number (30 for 30 %):
    said with the fraction it would be."""
    text = f"{SHARE_IN_RANGE}{f' for {measure}' if measure else ''}, a fraction of the area's value {SHARE_EXAMPLE}"
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 1 < value <= 100:
        text += f"; if {value:g} is a percentage, write {value / 100:g}"
    return text

"""Guarantees and change budgets as a planner says them, for the CLI's tables, the report and the
workbench alike: "Shanghai hosts R&D in at least one chain" (the instance's description), "2035
milestone: at most 6 sites closed", a guarantee's required and reached amounts with their unit
("12 % of the area's value", "1 chain")."""

from __future__ import annotations

import math
import re

from ..schema import kind_words, park_words, region_names, resource_units, segment_names
# the count, the budgets' nouns and limits are said below the schema (it and the errors say them too)
from ..words import BUDGET_COUNTS, BUDGET_WORDS, counted  # noqa: F401  (the analyses', CLI's and report's)


# the change budgets' rows of the model (transitions.BUDGETS) by their field
BUDGET_FIELDS = {"change_opened": "max_opened", "change_closed": "max_closed", "change_moved": "max_moved_share"}

# a change budget's field: a milestone's own or brownfield.budget (the default of every milestone),
# of the whole area or of one province
BUDGET_PATH = re.compile(r"^(?:periods\.milestones\[(?P<t>\d+)\]\.budget|brownfield\.budget)"
                         r"(?:\.by_province\.(?P<province>[^.]+))?\.(?P<field>max_opened|max_closed|max_moved_share)$")


def get(obj, key):
    """A field of an instance or of its dict (None where it has none)."""
    if obj is None:
        return None
    return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)


def raise_text(v: float) -> str:
    """A raise at 6 significant digits, rounded *up*: the raise printed is enough (to the nearest it
    was not: "Shanghai land +0.397795" where 0.3977952 is needed, and the instance raised so stays
    infeasible)."""
    said = f"{v:.6g}"
    if float(said) >= v or v <= 0:
        return said
    step = 10.0 ** (math.floor(math.log10(abs(float(said)))) - 5)
    return f"{float(said) + step:.6g}"


def percent(share) -> str:
    """A share as a percentage: four significant digits, never an exponent ("15,000 %", not "1.5e+04 %")."""
    v = 100 * float(share)
    return (f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.4g}") + " %"


# a guarantee's measure as its editor offers it (schema.Guarantee.measure keeps the ids)
MEASURE_WORDS = {"min_share": "at least a share of the area's value", "max_share": "at most a share of the area's value",
                 "min_value": "at least a value (of the kinds named)", "min_chains": "at least a number of chains"}


def guarantee_words(g, inst) -> str:
    """A guarantee as a planner knows it: its description, else what it asks of whom ("Anhui: at
    least 1 chain with R&D")."""
    if str(get(g, "description") or "").strip():
        return str(get(g, "description")).strip()
    region = get(g, "region")
    target = get(g, "province") or region_names(inst).get(region, region)
    measure, value, kinds = get(g, "measure"), float(get(g, "value") or 0), get(g, "kinds") or []
    kinds = " and ".join(kind_words(k) for k in kinds)
    of = f" ({kinds})" if kinds else ""
    said = {"min_share": f"at least {percent(value)} of the area's value{of}",
            "max_share": f"at most {percent(value)} of the area's value{of}",
            "min_value": f"a value of at least {value:g}{of}",
            "min_chains": f"at least {counted(value, 'chain')}" + (f" with {kinds}" if kinds else "")}
    return f"{target}: {said.get(measure, f'{measure} {value:g}')}" + (" (soft)" if get(g, "penalty") is not None else "")


def guarantee_amount(g, amount: float, required: float) -> str:
    """What guarantee ``g`` requires, or a layout reaches (``amount``), in its unit, as a prices
    table counts them (explain.guarantee_prices: a share guarantee's ``required`` is its share of
    the area's value, in value): a share of the area's value ("12 % of the area's value"), a number
    of chains ("1 chain"), a value."""
    measure, share = get(g, "measure"), float(get(g, "value") or 0)
    if amount != amount:  # NaN: not computed
        return ""
    if measure in ("min_share", "max_share") and share > 0 and required > 0:
        return f"{percent(share * amount / required)} of the area's value"
    if measure == "min_chains":
        return counted(round(float(amount), 6), "chain")
    return f"{amount:,.6g} of value"


def guarantee_rows(table, inst) -> list[dict]:
    """Each row of a prices table of guarantees (``guarantee``, ``path``, ``required``, ``value``) in
    words: ``guarantee`` the guarantee as the instance describes it, ``required`` and ``reached``
    with their unit."""
    by_path = dict(inst.policy.all_guarantees())
    out = []
    for path, label, required, value in zip(table["path"], table["guarantee"], table["required"], table["value"]):
        g = by_path.get(str(path))
        if g is None:  # not the instance's (another version): as the table says it
            out.append({"guarantee": str(label), "required": f"{required:,.6g}", "reached": f"{value:,.6g}"})
            continue
        out.append({"guarantee": guarantee_words(g, inst), "required": guarantee_amount(g, required, required),
                    "reached": guarantee_amount(g, value, required)})
    return out


# what an LP price is and is not: the CLI's `prices`, the report's prices and the workbench's Limits say it alike
LP_PRICE_HOLDS = ("An LP price holds for small changes with the layout's placements fixed; moving sites can gain "
                  "far more (yrd-provinces: Shanghai's land, LP 7.21 per km2, re-solved 34.3 for one km2 more)")
# why a guarantee's worth is "n/a" at the LP (guarantee_worth)
NOT_PRICED = ("n/a: the LP with the sites fixed cannot price it (a number of chains comes and goes with sites; a "
              "guarantee used to the limit at LP price 0 may still keep sites in place)")


def guarantee_worth(r) -> tuple[str, str]:
    """(LP price in its unit, or "n/a"; the re-solved figure per its step, "" where not re-solved) of a
    row of ``Prices.guarantees`` (explain.guarantee_prices): a guarantee used to the limit whose LP price
    is NaN (a number of chains) or 0 is never said to be worth 0."""
    from .explain import resolved_gain

    price = get(r, "value_per_unit")
    if not get(r, "binding"):  # one less required of a guarantee with room to spare changes no optimum, LP or MIP
        lp = "0"
    elif price != price or abs(price) <= 1e-9:  # a count; or a degenerate 0 at the limit
        lp = "n/a"
    else:
        lp = f"{price:,.6g} per {get(r, 'unit')}"
        point = get(r, "value_per_point")
        if point is not None and point == point:
            lp += f" ({point:,.6g} per percentage point)"
    status = get(r, "resolved_status")
    status = status if isinstance(status, str) else ""
    again = (f"{resolved_gain(get(r, 'resolved_value_per_unit'), get(r, 'resolved_value_most'), status, short=True)} "
             f"per {str(get(r, 'resolved_step')).removeprefix('1 ')}" if status else "")
    return lp, again


def budget_scope(inst, m: re.Match) -> tuple[str, object]:
    """(where a change budget applies, in words; its limit in ``inst``) for a match of BUDGET_PATH:
    "2035 milestone", "2035 milestone in Anhui", "change budget" (brownfield's, every milestone's)."""
    field, province = m.group("field"), m.group("province")
    if m.group("t") is not None:
        milestones = get(get(inst, "periods"), "milestones") or []
        t = int(m.group("t"))
        if t >= len(milestones):
            return "", None
        where, budget = f"{get(milestones[t], 'year')} milestone", get(milestones[t], "budget")
        if budget is None:  # the milestone keeps brownfield.budget, the default of every milestone
            budget = get(get(inst, "brownfield"), "budget")
    else:
        where, budget = "change budget", get(get(inst, "brownfield"), "budget")
    if province is not None:
        where, budget = f"{where} in {province}", (get(budget, "by_province") or {}).get(province)
    return where, get(budget, field)


def activity_before(inst, t: int | None) -> str:
    """Whose activity a moved share counts (formulation P4: the period before's): "today's" into the
    first milestone and in a one-period solve, "2030's" into 2035; brownfield.budget of a plan
    (``t`` None: the budget of every milestone without its own) "the previous milestone's"."""
    milestones = get(get(inst, "periods"), "milestones") or []
    if not milestones or t == 0:
        return "today's"
    return f"{get(milestones[t - 1], 'year')}'s" if t is not None and t <= len(milestones) else "the previous milestone's"


def budget_amount(field: str, limit, before: str = "today's") -> str:
    """A change budget's limit with what it counts: "6 sites closed", "15 % of today's activity moved"
    (``before``: whose activity, :func:`activity_before`)."""
    if field == "max_moved_share":
        return f"{percent(limit)} of {before} activity moved"
    return counted(limit, *BUDGET_COUNTS[field])


def budget_words(path: str, inst) -> str:
    """A change budget by its field path, as the instance sets it: "2035 milestone: at most 6 sites
    closed", "2035 milestone: at most 15 % of 2030's activity moved", "change budget in Anhui: at most
    15 % of today's activity moved"; the path where it is none of the instance's."""
    m = BUDGET_PATH.match(str(path))
    if m is None:
        return str(path)
    where, limit = budget_scope(inst, m)
    if not where or limit is None:
        return str(path)
    t = None if m.group("t") is None else int(m.group("t"))
    said = f"{where}: at most {budget_amount(m.group('field'), limit, activity_before(inst, t))}"
    milestones = get(get(inst, "periods"), "milestones") or []
    if t is None and milestones and m.group("field") == "max_moved_share":
        said += f" (today's into {get(milestones[0], 'year')})"
    return said


def transition_column_words(column: str, before: str = "today's", after: str = "the layout's") -> str:
    """What a figure of transition.csv is, for the checker's findings on a written table: "today's
    activity at the site" (``before``: whose, :func:`activity_before`), "2035's activity at the site"
    (``after``), "the site's cost of change (opening, closing and shrinking)"."""
    return {"activity_before": f"{before} activity at the site", "activity_after": f"{after} activity at the site",
            "cost": "the site's cost of change (opening, closing and shrinking)",
            "opening_cost": "the site's opening cost", "closing_cost": "the site's closing cost",
            "shrink_cost": "the site's cost of shrinking", "status": "what happens to the site"
            }.get(column, column.replace("_", " "))


# which limit a violation breaks (checker.Violation.constraint), said after the place and what breaks
# it where that does not say it already: "Shanghai: 3 new sites, at most 2 (change budget)"; "" where it
# does ("Integrated circuits R&D in Anhui: site in a forbidden region")
LIMIT_WORDS = {
    "demand": "all of a segment's activity is placed",
    "activity_nonnegative": "", "site_capacity": "", "min_scale": "", "forbidden": "", "fixed": "",
    "site_count": "sites a segment may have",
    "quota": "",
    "park_capacity": "a park's capacity",
    "park_segment": "", "park_activity_nonnegative": "",
    "park_kinds": "", "park_in_host": "",
    "enclave_split": "", "enclave_cost_split": "",
    "guarantee": "guarantee",
    "protected": "", "existing_capacity": "",
    "change_opened": "change budget", "change_closed": "change budget", "change_moved": "change budget",
    "transition_table": "",
    "flow_out": "flows carry what a region makes", "flow_in": "flows bring what a region needs",
    "flow_link": "", "flow_nonnegative": "",
    "park_stays": "",
}


def violation_words(constraint: str, place: str, detail: str) -> str:
    """A limit a layout breaks, for people: where (in the instance's names), what breaks it, which
    limit where that does not say it ("Integrated circuits R&D in Anhui: site in a forbidden region",
    "the whole area: 3 new sites, at most 2 (change budget)")."""
    limit = LIMIT_WORDS.get(str(constraint), str(constraint).replace("_", " "))
    said = f"{place}: {detail}" if detail else str(place)
    return f"{said} ({limit})" if limit else said


class Places:
    """The instance's names for where the checker finds a limit broken (its ``where`` keeps the ids):
    a segment ("Integrated circuits R&D"), a site ("… in Hefei (Anhui)"), a region, a budget's scope,
    a park, a link."""

    def __init__(self, inst) -> None:
        self.inst = inst
        self.segments, self.regions = segment_names(inst), region_names(inst)
        self.units = resource_units(inst)

    def segment(self, chain, segment) -> str:
        return self.segments.get(f"{chain}/{segment}", f"{chain}/{segment}")

    def region(self, rid) -> str:
        return self.regions.get(rid, str(rid))

    def site(self, chain, segment, rid) -> str:
        return f"{self.segment(chain, segment)} in {self.region(rid)}"

    def quota(self, rid, resource) -> str:
        return f"{self.region(rid)}'s {resource} quota"

    def scope(self, name) -> str:
        """A change budget's scope: the whole area or a province."""
        return "the whole area" if name == "area" else str(name)

    def link(self, chain, up, down) -> str:
        return f"{self.segment(chain, up)} to {self.segment(chain, down)}"

    def park(self, pid) -> str:
        return park_words(self.inst, pid)

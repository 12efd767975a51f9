"""What a layout's or a plan's objective is made of, said so that a reader can add it up.

The objective is the sum of its weighted terms (``summary.json: components``).  Over milestone
periods it is discounted: the sum over periods t of discount[t] x (that period's terms), where
the running terms (distance, site cost, duplication, guarantee shortfall) count the period's
years and the one-off terms are paid once, in the period of the change:

* ``fixed_cost``  — opening new sites (a site of today pays none);
* ``change``      — closing and shrinking sites (the transition's "cost of change");
* ``expansion``   — expansions taken and enclave parks built (a park is no row of expansions.csv:
  ``summary.json: built`` / each period's ``built`` lists what the term paid for).

The CLI, the HTML report and the workbench print the same figures with these words
(models/formulation.md section 13; review cost9: the transition's cost of change held the
opening cost too, counted again in fixed cost).
"""

from __future__ import annotations

from ..tolerance import TOLERANCE as ROUND_OFF  # a term below it (|value|) is round-off, said as 0

RUNNING_WHAT = {
    "distance": "logistics between linked segments",
    "site_cost": "running the sites",
    "duplication": "segments hosted in more than one region",
    "guarantee_shortfall": "soft guarantees missed",
}
ONE_OFF_WHAT = {
    "fixed_cost": "opening new sites",
    "change": "closing and shrinking sites",
    "expansion": "expansions taken and enclave parks built",
}


def term_what(term: str) -> str:
    """What an objective term counts, in the words of the objective table ("opening new sites")."""
    return ONE_OFF_WHAT.get(term) or RUNNING_WHAT.get(term, "")


def money(v: float | None) -> str:
    """A cost as printed beside the objective: two decimals, round-off as 0.00."""
    if v is None or v != v:
        return ""
    return f"{0.0 if abs(v) < ROUND_OFF else v:,.2f}"


def built_words(b: dict, names: dict[str, str] | None = None) -> str:
    """One item of ``built``: "the park in Jiangsu co-built with Shanghai 60.00", "expansion land_plus at
    Hefei (Anhui) 20.00"; with no region ``names`` (region id -> name) the ids ("park shanghai_jiangsu_north")."""
    if "park" in b:
        if b.get("name"):  # the instance's name for it (schema.park_names)
            return f"{b['name']} {money(b['cost'])}"
        if names and b.get("region") in names and b.get("partner") in names:
            return f"the park in {names[b['region']]} co-built with {names[b['partner']]} {money(b['cost'])}"
        return f"park {b['park']} {money(b['cost'])}"
    return f"expansion {b['expansion']} at {(names or {}).get(b['region'], b['region'])} {money(b['cost'])}"


def discounting(inst) -> dict | None:
    """How a plan's objective sums its periods (summary.json ``discounting``); None without periods."""
    if inst.periods is None:
        return None
    from ..phasing import period_years

    years, span, disc = period_years(inst)
    rate = inst.periods.discount_rate
    factors = ", ".join(f"{y}: {d:.3g}" for y, d in zip(years, disc))
    counted = ", ".join(f"{s:g}" for s in span)
    words = (f"discounted to {years[0]} at {100 * rate:g} %/yr: each period's terms x its discount factor "
             f"({factors}), summed over the periods; running terms (distance, site cost, duplication, guarantee "
             f"shortfall) count each period's years ({counted}), one-off costs (fixed cost: opening sites; cost of "
             "change: closing and shrinking; expansion and parks) once, in the period of the change")
    return {"rate": float(rate), "base_year": int(years[0]), "factors": {str(y): float(d) for y, d in zip(years, disc)},
            "years_counted": {str(y): float(s) for y, s in zip(years, span)}, "words": words}


def objective_words(summary: dict) -> str:
    """What the objective printed beside this is: discounted over the periods, or one layout's terms."""
    d = summary.get("discounting")
    if isinstance(d, dict) and d.get("words"):
        return f"The objective is the sum of its terms, each {d['words']}."
    return "The objective is the sum of its weighted terms."


def term_notes(summary: dict, names: dict[str, str] | None = None) -> dict[str, str]:
    """Per objective term, what it counts; a one-off term of a plan with its undiscounted cost
    per period, the expansion term with each park and expansion it paid for (its regions by
    ``names``, where given: :func:`built_words`)."""
    periods = [p for p in summary.get("periods") or [] if isinstance(p, dict) and isinstance(p.get("terms"), dict)]
    out = {}
    for k in summary.get("components") or {}:
        what = term_what(k)
        if periods and k in ONE_OFF_WHAT:
            if k == "expansion":
                paid = [f"{built_words(b, names)} in {p['year']}" for p in periods for b in p.get("built") or []]
            else:
                paid = [f"{money(p['terms'][k])} in {p['year']}" for p in periods if abs(p["terms"].get(k, 0.0)) >= ROUND_OFF]
            what += f": {', '.join(paid)} (undiscounted)" if paid else ": none"
        elif periods:
            what += ", each period's years"
        elif k == "expansion" and summary.get("built"):
            what += ": " + ", ".join(built_words(b, names) for b in summary["built"])
        out[k] = what
    return out


def period_terms_table(summary: dict):
    """Terms x periods of a plan: each period's terms undiscounted, its discount factor, and
    discounted (the columns of the last row add up to the objective); None without periods."""
    import pandas as pd

    periods = [p for p in summary.get("periods") or [] if isinstance(p, dict) and isinstance(p.get("terms"), dict)]
    if not periods:
        return None
    keys = list(summary.get("components") or periods[0]["terms"])
    rows = [{"": k, **{str(p["year"]): p["terms"].get(k, 0.0) for p in periods}} for k in keys]
    rows.append({"": "total, undiscounted", **{str(p["year"]): sum(p["terms"].values()) for p in periods}})
    rows.append({"": "discount factor", **{str(p["year"]): p["discount"] for p in periods}})
    rows.append({"": "discounted total", **{str(p["year"]): p["discount"] * sum(p["terms"].values()) for p in periods}})
    return pd.DataFrame(rows)

"""What became of a site between two layouts (transition.csv's ``status``): one rule for the solve
that writes it, the checker that recomputes it, and the CLI, the report and the workbench that count
and list it.

A change of activity smaller than :data:`KEEP_SHARE` of the site's own activity (at least the
checker's round-off, :data:`yrdopt.tolerance.TOLERANCE`) counts as *kept*: a MIP stopped within its
gap leaves such changes where nothing is decided (yrd-provinces-2035, Shanghai land 25: "nev
manufacturing Anhui shrunk 1.452 → 1.452", a shrink of 0.02 % at a cost of 0.000122), and listing
them as shrunk or grown hides the changes that matter.  The band is relative to the site, small
sites too: a site of 0.0207 shrunk to 0.0197 (−4.8 %) has shrunk.  Their cost, if any, still counts
where the objective counts it, and is said apart (:func:`kept_words`)."""

from __future__ import annotations

import numpy as np

from .tolerance import TOLERANCE

# the share of a site's own activity below which a change counts as kept
KEEP_SHARE = 1e-3
STATUSES = ("kept", "grown", "shrunk", "closed", "opened")


def keep_tolerance(before):
    """The change of activity below which a site of activity ``before`` counts as kept (arrays too):
    :data:`KEEP_SHARE` of it, at least round-off."""
    return np.maximum(KEEP_SHARE * np.asarray(before, dtype=float), TOLERANCE)


def site_status(before: float | None, after: float, is_open: bool) -> str:
    """transition.csv's word for one site: ``before`` its activity before the change (None: no site
    then), ``after`` and ``is_open`` its activity and state after."""
    if before is None:
        return "opened" if is_open else "not opened"
    tol = keep_tolerance(before)
    return ("closed" if not is_open else "shrunk" if after < before - tol else "grown" if after > before + tol
            else "kept")


def site_statuses(was, is_open, before, after) -> np.ndarray:
    """:func:`site_status` of many sites at once (boolean and activity arrays)."""
    tol = keep_tolerance(before)
    return np.select([~was, ~is_open, after < before - tol, after > before + tol],
                     ["opened", "closed", "shrunk", "grown"], "kept")


# the keep bands of the rules earlier results were written under (change of activity, site's activity
# before): round-off (until f3583cd), then KEEP_SHARE of at least one unit (until 503fd84: 0.001 units
# for any site below one)
EARLIER_KEEP_BANDS = (lambda before: TOLERANCE * max(1.0, before), lambda before: KEEP_SHARE * max(1.0, before))


def accepted_statuses(before: float, after: float) -> set[str]:
    """The words a written transition.csv may give a site open before and after: its
    :func:`site_status`, and the word each earlier rule (:data:`EARLIER_KEEP_BANDS`) gave it, so that
    results written under any of them stay verified: "kept" or the direction of the change between
    round-off and the widest keep band (0.1 % of the site, or 0.001 units for a site below one)."""
    def within(tol: float) -> str:
        return "shrunk" if after < before - tol else "grown" if after > before + tol else "kept"

    return {site_status(before, after, True)} | {within(band(before)) for band in EARLIER_KEEP_BANDS}


def transition_counts(transition) -> dict:
    """Sites per status, the activity moved (given up by sites that shrank or closed) and its share of
    the activity before, from transition.csv's rows (a DataFrame): what summary.json says of them."""
    counts = transition["status"].astype(str).value_counts()
    moved = (transition["activity_before"] - transition["activity_after"]).clip(lower=0.0).sum()
    before = float(transition["activity_before"].sum())
    return {**{k: int(counts.get(k, 0)) for k in STATUSES}, "activity_moved": float(moved),
            "activity_before": before, "moved_share": float(moved / before) if before else 0.0}


def kept_changes(transition, units: dict | None = None) -> dict:
    """The kept sites of transition.csv's rows (a DataFrame) whose small changes cost more than
    round-off: how many (``sites``), their shrink cost (``cost``) and the activity they gave up
    (``moved``), counted in the period's cost of change and moved share though no site is listed.
    With ``units`` ((chain, segment) -> its activity's unit): ``unit``, the one unit of the activity moved
    ("" where the segments' units differ or none is known)."""
    kept = transition[(transition["status"] == "kept") & (transition["shrink_cost"] > TOLERANCE)]
    out = {"sites": int(len(kept)), "cost": float(kept["shrink_cost"].sum()),
           "moved": float((kept["activity_before"] - kept["activity_after"]).clip(lower=0.0).sum())}
    if units is not None:
        said = {units.get((str(c), str(g)), "") for c, g in zip(kept["chain"], kept["segment"])}
        out["unit"] = said.pop() if len(said) == 1 else ""
    return out


def kept_words(kept: dict | None) -> str | None:
    """One line on :func:`kept_changes` (None when their cost is round-off), the same in the CLI, the
    report and the workbench: "2 kept sites' small changes (each below 0.1 % of the site's activity)
    cost 0.000294 (moved 0.000287 of activity)"."""
    if not isinstance(kept, dict) or not kept.get("sites") or kept.get("cost", 0.0) <= TOLERANCE:
        return None
    whose = "1 kept site's" if kept["sites"] == 1 else f"{kept['sites']} kept sites'"
    # in decimals, 3 significant digits (0.000061, not 6.1e-05), as the Changes tab writes activity
    said = lambda v: np.format_float_positional(v, precision=3, unique=False, fractional=False, trim="-")  # noqa: E731
    unit = f", in {kept['unit']}" if kept.get("unit") else ""  # the figure's unit, where one is known
    return (f"{whose} small changes (each below {KEEP_SHARE * 100:g} % of the site's activity) cost "
            f"{said(kept['cost'])} (moved {said(kept['moved'])} of activity{unit})")

"""What became of a site between two layouts (transition.csv's ``status``): one rule for the solve
that writes it, the checker that recomputes it, and the CLI, the report and the workbench that count
and list it.

A change of activity smaller than :data:`KEEP_SHARE` of the site's activity (of one unit, for a site
below one) counts as *kept*: a MIP stopped within its gap leaves such changes where nothing is decided
(yrd-provinces-2035, Shanghai land 25: "nev manufacturing Anhui shrunk 1.452 → 1.452", a shrink of
0.02 % at a cost of 0.000122), and listing them as shrunk or grown hides the changes that matter.  Its
cost, if any, still counts where the objective counts it."""

from __future__ import annotations

import numpy as np

# the share of a site's activity (at least of one unit) below which a change counts as kept
KEEP_SHARE = 1e-3
STATUSES = ("kept", "grown", "shrunk", "closed", "opened")


def keep_tolerance(before):
    """The change of activity below which a site of activity ``before`` counts as kept (arrays too)."""
    return KEEP_SHARE * np.maximum(1.0, before)


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

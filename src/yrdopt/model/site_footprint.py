"""Resource use per site (models/formulation.md, section 8): a fixed footprint in land,
energy or talent that comes with opening a site, whatever its activity.

It adds ``footprint[s, r, k] * place[s, r]`` to the left side of the quota rows (C6), so
the quota reads  sum_s use[s, r, k] activity[s, r] + sum_s footprint[s, r, k] place[s, r]
<= quota[r, k] + extras.  The activity bound U (``ModelData.activity_upper``) already
subtracts the footprint of the site itself.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


def has_footprint(d: ModelData) -> bool:
    return bool(d.footprint.size and (d.footprint > 0).any())


def add_site_footprint(m: ArrayModel, d: ModelData, place: Block, quota: Block) -> None:
    """(C12) footprint[s, r, k] * place[s, r] on the quota row (r, k)."""
    if not has_footprint(d):
        return
    s, r, k = np.nonzero(d.footprint)
    m.add_terms(quota.index(r, k), place.index(s, r), d.footprint[s, r, k])

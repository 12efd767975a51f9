"""Location quotients and Krugman specialization indices (seed 002_dc2e56f958125681.txt).

All functions take a region x industry table of output (or activity, or profit) as a
pandas DataFrame: rows are regions, columns industries, values non-negative.  yrdopt weighs
industries by value everywhere (:func:`value_table`, :data:`WEIGHTING`): seed 002 computes its
indices on output value.

* location quotient  LQ[r, i] = (x[r, i] / x[r, :].sum()) / (x[:, i].sum() / x.sum())
* relative specialization of r (against the rest of the area)
      K_r = sum_i | x[r, i] / x[r].sum() - x[-r, i] / x[-r].sum() |,  -r = all other regions
* inter-regional specialization of r and q
      K_rq = sum_i | x[r, i] / x[r].sum() - x[q, i] / x[q].sum() |

Both Krugman indices lie in [0, 2]: 0 for identical industry structures, 2 for disjoint ones.
"""

from __future__ import annotations

import numpy as np
import pandas as pd


def _shares(table: pd.DataFrame) -> pd.DataFrame:
    x = table.astype(float)
    totals = x.sum(axis=1)
    return x.div(totals.where(totals > 0, np.nan), axis=0).fillna(0.0)


def location_quotients(table: pd.DataFrame) -> pd.DataFrame:
    """LQ per region and industry; LQ > 1 marks a comparative advantage."""
    x = table.astype(float)
    area_share = x.sum(axis=0) / x.values.sum()
    return _shares(x).div(area_share.where(area_share > 0, np.nan), axis=1)


def relative_specialization(table: pd.DataFrame) -> pd.Series:
    """Krugman index of each region against the sum of all other regions."""
    x = table.astype(float)
    rest = x.sum(axis=0).values[None, :] - x.values
    rest_shares = rest / np.where(rest.sum(axis=1, keepdims=True) > 0, rest.sum(axis=1, keepdims=True), np.nan)
    k = np.abs(_shares(x).values - np.nan_to_num(rest_shares)).sum(axis=1)
    return pd.Series(k, index=x.index, name="relative_specialization")


def interregional_specialization(table: pd.DataFrame) -> pd.DataFrame:
    """Krugman index between every pair of regions (symmetric, zero diagonal)."""
    s = _shares(table).values
    k = np.abs(s[:, None, :] - s[None, :, :]).sum(axis=2)
    return pd.DataFrame(k, index=table.index, columns=table.index)


def activity_table(layout: pd.DataFrame, by: str = "chain", value: str = "activity") -> pd.DataFrame:
    """Region x industry table from a layout (long form: chain, segment, region, activity)."""
    return layout.pivot_table(index="region", columns=by, values=value, aggfunc="sum", fill_value=0.0)


# what every specialization index of yrdopt weighs an industry by: seed 002 measures a region's
# industries by their output value (产值, 主营业务收入), so a region's mix is its value hosted per chain
WEIGHTING = "value"


def value_table(layout: pd.DataFrame, instance) -> pd.DataFrame:
    """Region x chain table of the value a layout hosts (activity x the segment's ``value_per_unit``):
    the industry mix every Krugman index and location quotient of ``solve``, ``compare`` and the
    report is computed on (:data:`WEIGHTING`).  Without an instance (``compare`` of bare layouts) the
    raw activity is summed instead."""
    lay = layout[layout["activity"].astype(float) > 0]
    act = lay["activity"].astype(float)
    if instance is not None:
        per_unit = {(c.id, s.id): s.value_per_unit for c in instance.chains for s in c.segments}
        act = act * np.array([per_unit.get((c, s), 1.0) for c, s in zip(lay["chain"], lay["segment"])], dtype=float)
    return activity_table(lay.assign(activity=act), by="chain")


def mean_interregional(table: pd.DataFrame) -> float:
    """Mean Krugman index over all pairs of distinct regions (one number per layout)."""
    k = interregional_specialization(table).values
    n = len(k)
    return float(k[np.triu_indices(n, 1)].mean()) if n > 1 else 0.0

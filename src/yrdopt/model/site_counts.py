"""Integer site counts for HiGHS to branch on (models/formulation.md section 11, *Branching on
site counts*; issue 13; ``BuildOptions(site_count_branching=...)``, off by default).

At city scale the LP packs fractions of sites into the core cities' quotas: a segment's
``sum_r place[s, r]`` is fractional, and HiGHS closes that only by branching on one placement at a
time.  These columns give it one integer per segment whose branch ``N_s <= k`` / ``N_s >= k + 1``
splits a fractional site count in one step.  They never change the optimum:

* ``"count"``: a new integer column ``site_count[s] = sum_r place[s, r]`` (row
  ``site_count_link``) for every segment that can have more than one site, bounded by its
  site-count row's limits.  Every layout has an integer site count, so the column only names it.
* ``"count_floor"``: the same, the column's lower bound raised to the fewest sites whose largest
  capacities hold the segment's activity (``packing.fewest_sites``, the ``min_sites`` rounding,
  valid by C1 and C2), here only on the column, not on the site-count row.
* ``"excess"``: no new column; ``excess_sites[s]`` (V5) made integer for those segments.  Valid:
  at any feasible point with integer placements, ``max(0, sum_r place - t_s)`` is an integer
  (``t_s`` is an integer, schema) that still satisfies C5 and is at most the point's
  ``excess_sites[s]`` (which C5 and its lower bound 0 force above both), and the column has a cost
  ``w_dup >= 0`` and appears in no other row: lowering it to that integer keeps every row and
  costs no more, so the integer restriction cuts off no optimum.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block
from .packing import fewest_sites

MODES = ("none", "count", "count_floor", "excess")


def counted_segments(d: ModelData) -> np.ndarray:
    """Segments whose site count can be more than one: a fractional count to branch on."""
    return np.flatnonzero((d.allowed.sum(axis=1) > 1) & (d.max_sites > 1) & (d.activity > 0))


def add_site_count_branching(m: ArrayModel, d: ModelData, mode: str, place: Block, excess: Block) -> Block | None:
    """The integer column of ``mode`` (module docstring); returns the ``site_count`` column block
    for ``"count"`` and ``"count_floor"``, None otherwise."""
    if mode not in MODES:
        raise ValueError(f"site_count_branching must be one of {MODES}, got {mode!r}")
    segs = counted_segments(d)
    if mode == "none" or not len(segs):
        return None
    if mode == "excess":
        m.integrality[list(m.var_blocks).index("excess_sites")][segs] = 1
        return None
    most = np.minimum(d.max_sites[segs], d.allowed[segs].sum(axis=1))
    least = d.min_sites[segs]
    if mode == "count_floor":
        least = np.minimum(np.maximum(least, fewest_sites(d)[segs]), most)
    cols = m.add_variables("site_count", (len(segs),), least, most, integer=True)
    rows = m.add_rows("site_count_link", (len(segs),), 0.0, 0.0)
    i, r = np.meshgrid(np.arange(len(segs)), np.arange(d.R), indexing="ij")
    m.add_terms(rows.index(i), place.index(segs[i], r), 1.0)
    m.add_terms(rows.index(np.arange(len(segs))), cols.index(np.arange(len(segs))), -1.0)
    return cols


def fill_site_counts(cm, x: np.ndarray) -> None:
    """Set the ``site_count`` columns of the column vector ``x`` (in place) from its placements, for
    vectors built column block by column block (starts, fix-and-optimize)."""
    if "site_count" not in cm.var_blocks:
        return
    place = cm.var("place").take(x) > 0.5
    x[cm.var("site_count").slice] = place[counted_segments(cm.data)].sum(axis=1)

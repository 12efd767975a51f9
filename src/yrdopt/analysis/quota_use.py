"""A region's quota and its use in one layout: the figure every output shows against a quota.

The model (C6, :mod:`yrdopt.model.enclaves`) and the checker count a region's quota as its
base quota plus the ``extra_quota`` of every expansion taken and of every enclave park open
in the region (built in the layout, or existing); a period of a phased plan counts the
period's scaled quota and what is taken or open in that period (both are kept once built, P6).
:func:`layout_quota` is that sum, used by ``prices``, the report's resource use and the
workbench's region panel, so that no output shows a verified layout over its quota.
:func:`layout_use` is the left side of the same row: activity x use plus each open site's
footprint (C12).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..data import ModelData

TRUE = ("1", "true", "1.0", "yes")


def _on(column: pd.Series) -> np.ndarray:
    return column.astype(str).str.strip().str.lower().isin(TRUE).to_numpy()


def taken_expansions(d: ModelData, expansions: pd.DataFrame | None) -> np.ndarray:
    """(E,) booleans from an expansions table (region, option, taken)."""
    taken = np.zeros(d.E, dtype=bool)
    if expansions is None or not len(expansions) or not d.E:
        return taken
    pos = {e: i for i, e in enumerate(d.exp_ids)}
    on = _on(expansions["taken"])
    for reg, opt in zip(expansions["region"].astype(str)[on], expansions["option"].astype(str)[on]):
        if f"{reg}/{opt}" in pos:
            taken[pos[f"{reg}/{opt}"]] = True
    return taken


def open_parks(d: ModelData, parks: pd.DataFrame | None) -> np.ndarray:
    """(N,) booleans: the parks a parks table (park, opened) opens, and every existing park."""
    opened = d.park_existing.copy()
    if parks is None or not len(parks) or not d.N:
        return opened
    pos = {p: i for i, p in enumerate(d.park_ids)}
    for pid in parks["park"].astype(str)[_on(parks["opened"])]:
        if pid in pos:
            opened[pos[pid]] = True
    return opened


def layout_quota(d: ModelData, expand: np.ndarray | None = None, parks: np.ndarray | None = None) -> np.ndarray:
    """(R, K) quota of every region in a layout: base quota + the ``extra_quota`` of the
    expansions taken (``expand``, (E,)) and of the parks open (``parks``, (N,); None: the
    existing ones).  Unlimited (inf) stays unlimited."""
    quota = d.quota.astype(float).copy()
    if d.E and expand is not None:
        np.add.at(quota, d.exp_region, d.exp_quota * np.asarray(expand, dtype=float)[:, None])
    if d.N:
        on = d.park_existing if parks is None else np.asarray(parks, dtype=bool)
        np.add.at(quota, d.park_host, d.park_quota * on[:, None])
    return quota


def layout_use(d: ModelData, activity: np.ndarray, place: np.ndarray | None = None) -> np.ndarray:
    """(R, K) resource use of a layout: ``activity`` (S, R) x use, plus the footprint of every
    open site (``place``, (S, R); None: every site with activity)."""
    use = np.einsum("sr,srk->rk", activity, d.use)
    if d.footprint.size:
        on = (activity > 0) if place is None else (np.asarray(place) > 0.5)
        use = use + np.einsum("sr,srk->rk", on.astype(float), d.footprint)
    return use


def layout_arrays(d: ModelData, layout: pd.DataFrame) -> tuple[np.ndarray, np.ndarray]:
    """(activity, place), both (S, R), of a layout table as the checker reads it: activity of every
    row, sites where ``sited`` (a site kept open empty is a site); rows of unknown segments or
    regions left out."""
    from ..phasing import sited_rows

    act, place = np.zeros((d.S, d.R)), np.zeros((d.S, d.R), dtype=bool)
    spos = {k: i for i, k in enumerate(d.segment_keys)}
    rpos = {r: i for i, r in enumerate(d.region_ids)}

    def cells(rows: pd.DataFrame):
        for c, s, r, a in zip(rows["chain"].astype(str), rows["segment"].astype(str), rows["region"].astype(str),
                              pd.to_numeric(rows["activity"], errors="coerce").fillna(0.0)):
            if (c, s) in spos and r in rpos:
                yield spos[(c, s)], rpos[r], float(a)

    for s, r, a in cells(layout):
        act[s, r] += a
    for s, r, _ in cells(sited_rows(layout)):
        place[s, r] = True
    return act, place

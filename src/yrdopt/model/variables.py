"""Variable blocks of the division-of-labour MILP (models/formulation.md, section 3).

Each function adds one block over whole index arrays and returns it.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


def add_placement(m: ArrayModel, d: ModelData) -> Block:
    """(V1) place[s, r] in {0, 1}: segment s has a site in region r.

    Fixed placements get lower bound 1, forbidden ones upper bound 0.
    """
    return m.add_variables("place", (d.S, d.R), d.fixed.astype(float), d.allowed.astype(float), integer=True)


def add_activity(m: ArrayModel, d: ModelData) -> Block:
    """(V2) activity[s, r] >= 0: how much of segment s region r hosts, bounded by U[s, r]."""
    return m.add_variables("activity", (d.S, d.R), 0.0, d.activity_upper())


def add_flow(m: ArrayModel, d: ModelData) -> Block:
    """(V3) flow[l, r, q] >= 0: volume of link l shipped from region r to region q.

    Bounded by the link's total volume; zero where either end is forbidden.
    """
    up_ok = d.allowed[d.link_up][:, :, None]
    down_ok = d.allowed[d.link_down][:, None, :]
    upper = np.where(up_ok & down_ok, d.link_total_volume[:, None, None], 0.0)
    return m.add_variables("flow", (d.L, d.R, d.R), 0.0, upper)


def add_expansion(m: ArrayModel, d: ModelData) -> Block:
    """(V4) expand[e] in {0, 1}: expansion option e (a new or co-built park) is taken."""
    return m.add_variables("expand", (d.E,), 0.0, 1.0, integer=True)


def add_excess_sites(m: ArrayModel, d: ModelData) -> Block:
    """(V5) excess_sites[s] >= 0: sites of s beyond its duplication tolerance.

    Continuous: at an optimum it equals max(0, sites - tolerance), an integer.
    """
    return m.add_variables("excess_sites", (d.S,), 0.0, np.maximum(d.R - d.dup_tolerance, 0.0))


def add_quota_slack(m: ArrayModel, d: ModelData) -> Block:
    """(V6, elastic mode only) quota_slack[r, k] >= 0: quota added to make the instance feasible."""
    upper = np.where(np.isfinite(d.quota), np.inf, 0.0)
    return m.add_variables("quota_slack", (d.R, d.K), 0.0, upper)

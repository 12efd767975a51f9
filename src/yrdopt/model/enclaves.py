"""Enclave / co-built parks (models/formulation.md, section 9; seeds 002 and 004).

A park n sits in its host region h(n) (whose land and quotas it uses, and whose quota it
extends by its extra quota when opened) and is co-developed with a partner region p(n).
``park_activity[n, s]`` is the part of the host's activity of segment s that runs in the
park; the value of that activity is credited to the partner by the park's share
pi(n) and to the host by 1 - pi(n) (model/guarantees.py reads the credit).  Opening a park
is a decision (binary, fixed cost in the objective term ``expansion``); existing parks
are open in every layout.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import ArrayModel, Block


def add_park_open(m: ArrayModel, d: ModelData) -> Block:
    """(V7) park_open[n] in {0, 1}: park n is opened (1 for an existing park)."""
    return m.add_variables("park_open", (d.N,), d.park_existing.astype(float), 1.0, integer=True)


def add_park_activity(m: ArrayModel, d: ModelData) -> Block:
    """(V8) park_activity[n, s] in [0, min(A[s], capacity[n])] where the park may host s, else 0."""
    upper = np.minimum(d.activity[None, :], d.park_capacity[:, None]) * d.park_allowed
    return m.add_variables("park_activity", (d.N, d.S), 0.0, upper)


def add_park_capacity(m: ArrayModel, d: ModelData, park_open: Block, park_activity: Block) -> Block:
    """(C13) sum_s park_activity[n, s] <= capacity[n] * park_open[n]."""
    rows = m.add_rows("park_capacity", (d.N,), -np.inf, 0.0)
    n, s = np.meshgrid(np.arange(d.N), np.arange(d.S), indexing="ij")
    m.add_terms(rows.index(n), park_activity.index(n, s), 1.0)
    m.add_terms(rows.index(np.arange(d.N)), park_open.index(np.arange(d.N)), -d.park_capacity)
    return rows


def add_park_in_host(m: ArrayModel, d: ModelData, activity: Block, park_activity: Block) -> Block:
    """(C14) park_activity[n, s] <= activity[s, h(n)]: a park runs part of its host's activity."""
    rows = m.add_rows("park_in_host", (d.N, d.S), -np.inf, 0.0)
    n, s = np.meshgrid(np.arange(d.N), np.arange(d.S), indexing="ij")
    m.add_terms(rows.index(n, s), park_activity.index(n, s), 1.0)
    m.add_terms(rows.index(n, s), activity.index(s, d.park_host[n]), -1.0)
    return rows


def add_park_quota(m: ArrayModel, d: ModelData, park_open: Block, quota: Block) -> None:
    """(C6, extended) an open park adds its extra quota to its host's quota row."""
    if not d.N or not d.K:
        return
    n, k = np.meshgrid(np.arange(d.N), np.arange(d.K), indexing="ij")
    m.add_terms(quota.index(d.park_host[n], k), park_open.index(n), -d.park_quota)


def credit_matrix(d: ModelData, target: np.ndarray) -> np.ndarray:
    """(G, N): share of a park's value credited to each guarantee's target, net of what its
    host gives away: pi(n) [p(n) in target] - pi(n) [h(n) in target]."""
    if not d.N:
        return np.zeros((target.shape[0], 0))
    pi = d.park_partner_share
    return pi[None, :] * (target[:, d.park_partner].astype(float) - target[:, d.park_host].astype(float))


def add_enclaves(m: ArrayModel, d: ModelData, activity: Block, quota: Block) -> tuple[Block, Block]:
    """Every block of the enclave parks; returns (park_open, park_activity)."""
    park_open = add_park_open(m, d)
    park_activity = add_park_activity(m, d)
    add_park_capacity(m, d, park_open, park_activity)
    add_park_in_host(m, d, activity, park_activity)
    add_park_quota(m, d, park_open, quota)
    return park_open, park_activity

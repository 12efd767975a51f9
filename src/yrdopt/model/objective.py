"""Objective terms (models/formulation.md, section 5), each kept as its own cost vector.

Every term is reported separately; the objective is their weighted sum.
"""

from __future__ import annotations

import numpy as np

from ..data import ModelData
from .arrays import Block
from .transitions import budget_slack_term, change_term

def term_vectors(d: ModelData, n: int, blocks: dict[str, Block]) -> dict[str, np.ndarray]:
    """Unweighted cost vector (length n) of every objective term.

    (O1) distance    = sum_l sum_{r,q} intensity[l] * hours[r, q] * flow[l, r, q]
    (O2) site_cost   = sum_{s,r} unit_cost[s, r] * activity[s, r]
    (O3) fixed_cost  = sum_{s,r} fixed_cost[s, r] * place[s, r]
    (O4) duplication = sum_s excess_sites[s]
    (O5) expansion   = sum_e cost[e] * expand[e] + sum_n park_cost[n] * park_open[n]
    (O6) guarantee_shortfall = sum_g penalty[g] * shortfall[g]   (soft guarantees)
    (O7) change      = closure and shrink costs of changing today's layout (0 when greenfield)
    """
    terms = {}
    vec = np.zeros(n)
    if "flow" in blocks:
        vec[blocks["flow"].slice] = (d.link_intensity[:, None, None] * d.distance[None, :, :]).ravel()
    else:  # the relaxation without flows (logistics_bound.py): a lower bound per link
        vec[blocks["logistics_bound"].slice] = 1.0
    terms["distance"] = vec
    vec = np.zeros(n)
    vec[blocks["activity"].slice] = d.unit_cost.ravel()
    terms["site_cost"] = vec
    vec = np.zeros(n)
    vec[blocks["place"].slice] = d.fixed_cost.ravel()
    terms["fixed_cost"] = vec
    vec = np.zeros(n)
    vec[blocks["excess_sites"].slice] = 1.0
    terms["duplication"] = vec
    vec = np.zeros(n)
    vec[blocks["expand"].slice] = d.exp_cost
    if "park_open" in blocks:
        vec[blocks["park_open"].slice] = d.park_cost
    terms["expansion"] = vec
    vec = np.zeros(n)
    if "guarantee_shortfall" in blocks:
        vec[blocks["guarantee_shortfall"].slice] = np.where(np.isfinite(d.g_penalty), d.g_penalty, 0.0)
    terms["guarantee_shortfall"] = vec
    terms["change"] = change_term(d, n, blocks)
    if "quota_slack" in blocks:
        vec = np.zeros(n)
        vec[blocks["quota_slack"].slice] = 1.0
        terms["quota_slack"] = vec
        budget = budget_slack_term(n, blocks)
        if budget is not None:
            terms["budget_slack"] = budget
    return terms


def objective_vector(d: ModelData, terms: dict[str, np.ndarray]) -> np.ndarray:
    """Weighted sum of the terms; in elastic mode only the added quota and change budget count
    (phase one: the least increase that makes the instance feasible; one unit of quota, one
    site or one unit of activity moved each count 1)."""
    if "quota_slack" in terms:
        return terms["quota_slack"] + terms.get("budget_slack", 0.0)
    return np.asarray(sum(d.weights.get(k, 0.0) * v for k, v in terms.items()), dtype=float)

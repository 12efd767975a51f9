"""The planning analyses, in one place: near-optimal alternatives (``alternatives``), trade-off
fronts and lexicographic solving (``fronts``), why a segment sits where it sits and what each limit
costs (``explain``), why an instance is infeasible (``diagnose``), what each guarantee costs
(``guarantee_costs``), layouts side by side (``compare``), the comparison with today's layout
(``baseline``), benefit sharing (``benefits``) and specialization indices (``specialization``).

They all stand apart from the core model: each builds on :func:`yrdopt.model.compiled.build` and
the solver adapter and never changes them.
"""

"""The planning analyses, in one place: near-optimal alternatives (``alternatives``), trade-off
fronts and lexicographic solving (``fronts``), why a segment sits where it sits and what each limit
costs (``explain``), why an instance is infeasible (``diagnose``), what each guarantee costs
(``guarantee_costs``), layouts side by side (``compare``), the comparison with today's layout
(``baseline``), benefit sharing (``benefits``), specialization indices (``specialization``), and explain
and prices for one period of a phased plan (``phased``).  An analysis that cannot handle milestone
periods refuses a phased instance (:func:`yrdopt.phasing.refuse_periods`).

They all stand apart from the core model: each builds on :func:`yrdopt.model.compiled.build` and
the solver adapter and never changes them.
"""

"""What the sweep-start tests share: the plain MILP's optimum and a start's cost as the
independent checker recomputes it from its layout alone."""

from __future__ import annotations

import pytest

from yrdopt.checker import check_layout
from yrdopt.model.compiled import build
from yrdopt.solution import tables_from_x
from yrdopt.solver import HighsSolver, SolverOptions

EXACT = {"mip_gap": 1e-9, "threads": 1, "time_limit": 60}


def optimum(inst) -> float:
    s = HighsSolver(SolverOptions(**EXACT))
    s.load(build(inst))
    res = s.solve()
    assert res.status == "optimal"
    return res.objective


def checked_cost(inst, cm, x) -> float:
    """The start's cost as the independent checker recomputes it from its layout alone."""
    rep = check_layout(inst, *tables_from_x(cm, x))
    assert rep.verified, rep
    obj = float(cm.cost @ x + cm.offset)
    assert rep.objective == pytest.approx(obj, rel=1e-6)
    return obj

"""``lns.fits``: whether a column vector is a layout of a model, the check every MIP start of a
sweep and every LNS layout passes.  It keeps a row-major copy of each constraint matrix
(``lns._row_major``) and computes row sizes only where a row misses by more than the tolerance;
here it says what the definition says, and a sweep's model patched in place (new quota-row
coefficients) is checked against its own rows, not the base model's.  Real HiGHS, small
generated instances."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from yrdopt.data import build_model_data
from yrdopt.generate import generate_dict, generate_instance
from yrdopt.io import load_instance
from yrdopt.lns import fits
from yrdopt.model.compiled import build
from yrdopt.solver import HighsSolver, SolverOptions
from yrdopt.sweep.apply import InPlaceModel, patchable


def _by_definition(cm, x, tol=1e-6) -> bool:
    """Every bound within tol * max(1, |x|), every row within tol * max(1, |A| @ |x|), integral
    where it must be: the definition, entry by entry over the dense matrix."""
    if len(x) != cm.n_cols or not np.isfinite(x).all():
        return False
    for j, v in enumerate(x):
        room = tol * max(1.0, abs(v))
        if v < cm.col_lower[j] - room or v > cm.col_upper[j] + room:
            return False
        if cm.integrality[j] > 0 and abs(v - round(v)) > tol:
            return False
    dense = cm.A.toarray()
    for i, coef in enumerate(dense):
        room = tol * max(1.0, float(np.abs(coef) @ np.abs(x)))
        if not cm.row_lower[i] - room <= float(coef @ x) <= cm.row_upper[i] + room:
            return False
    return True


def _optimum(cm):
    s = HighsSolver(SolverOptions(threads=1, mip_gap=1e-6, time_limit=60))
    s.load(cm)
    res = s.solve()
    assert res.status == "optimal"
    return res


def test_fits_says_what_the_definition_says_on_layouts_nudged_by_every_size():
    """The optimum and 300 copies of it with a few entries moved by 1e-9 to 1e-2 (relative and
    absolute): fits agrees with the definition on each, and both outcomes occur."""
    cm = build(generate_instance(6, 4, 3, seed=1))
    x0 = _optimum(cm).x
    assert fits(cm, x0) and _by_definition(cm, x0)
    rng = np.random.default_rng(7)
    seen = set()
    for _ in range(300):
        x = x0.copy()
        j = rng.choice(cm.n_cols, size=int(rng.integers(1, 4)), replace=False)
        step = 10.0 ** rng.uniform(-9, -2, size=j.size) * rng.choice([-1, 1], size=j.size)
        x[j] += step * np.where(rng.random(j.size) < 0.5, 1.0, np.maximum(1.0, np.abs(x[j])))
        want = _by_definition(cm, x)
        assert fits(cm, x) == want
        seen.add(want)
    assert seen == {True, False}, "the nudges must both keep and break the layout"
    assert not fits(cm, np.where(np.arange(cm.n_cols) == 0, np.nan, x0))


def test_a_model_patched_in_place_is_checked_against_its_new_quota_row_coefficients():
    """A sweep patches the loaded model (``sweep.apply.InPlaceModel``): here every segment's land
    use grows just enough that the optimum overfills the region whose land it uses most.  Only
    the quota rows' coefficients change (same bounds, same right-hand sides), so the layout fits
    the patched model's bounds and right-hand sides with the base model's matrix; with the
    patched matrix it does not.  fits, having checked the base model first, says so, and still
    says the layout fits the base model afterwards."""
    data = generate_dict(6, 4, 3, seed=1)
    cm = build(load_instance(data))
    x = _optimum(cm).x
    assert fits(cm, x)
    d = cm.data
    land = d.resource_ids.index("land")
    used = np.einsum("sr,sr->r", cm.var("activity").take(x), d.use[:, :, land])
    with np.errstate(divide="ignore", invalid="ignore"):
        full = np.where(np.isfinite(d.quota[:, land]), used / d.quota[:, land], 0.0).max()
    grow = 1.02 / full
    assert grow > 1.0
    for chain in data["chains"]:
        for seg in chain["segments"]:
            seg["resource_use"]["land"] *= grow
    d2 = build_model_data(load_instance(data))
    assert patchable(d, d2)
    h = HighsSolver(SolverOptions(threads=1))
    h.load(cm)
    patched = InPlaceModel(h.h, cm).patch(d2)
    assert np.array_equal(patched.row_lower, cm.row_lower) and np.array_equal(patched.row_upper, cm.row_upper)
    assert fits(replace(patched, A=cm.A), x)  # bounds and right-hand sides alone: it fits
    assert not _by_definition(patched, x)
    assert not fits(patched, x)
    assert fits(cm, x)

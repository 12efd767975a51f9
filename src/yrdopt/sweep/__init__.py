"""Batch sensitivity studies: declarative sweeps, in-place re-solves, resume, Dask.

>>> import yrdopt.sweep
>>> table = yrdopt.sweep.run("instances/sweeps/provinces-oat.yaml", out="out/oat")

See :mod:`yrdopt.sweep.spec` for the spec format and :mod:`yrdopt.sweep.apply` for which
parameter paths are changed in place and which rebuild the model.  Names are imported on
first use, so a worker process that imports :mod:`yrdopt.sweep.worker` does not load the
driver's pandas tables and progress bar.
"""

from __future__ import annotations

from .._lazy import lazy_exports

_EXPORTS = {
    "Scenario": ".design", "build_design": ".design",
    "Progress": ".runner", "load_results": ".runner", "prepare": ".runner", "run": ".runner",
    "Design": ".spec", "Parameter": ".spec", "SweepSolver": ".spec", "SweepSpec": ".spec", "load_spec": ".spec",
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

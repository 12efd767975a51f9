"""Batch sensitivity studies: declarative sweeps, in-place re-solves, resume, Dask.

>>> import yrdopt.sweep
>>> table = yrdopt.sweep.run("instances/sweeps/provinces-oat.yaml", out="out/oat")

See :mod:`yrdopt.sweep.spec` for the spec format and :mod:`yrdopt.sweep.apply` for which
parameter paths are changed in place and which rebuild the model.
"""

from .design import Scenario, build_design
from .run import Progress, load_results, prepare, run
from .spec import Design, Parameter, SweepSolver, SweepSpec, load_spec

__all__ = ["Design", "Parameter", "Progress", "Scenario", "SweepSolver", "SweepSpec", "build_design",
           "load_results", "load_spec", "prepare", "run"]

"""yrdopt: which region hosts which segment of each industry chain.

The pipeline, one module each: schema -> io/data -> model -> solver -> check ->
analysis -> report; the CLI (:mod:`yrdopt.cli`) is a thin shell over this API.
"""

from .api import check, solve
from .check import CheckReport, check_layout
from .errors import InfeasibleError, InstanceError, SolverError, YrdoptError
from .io import default_instance_path, dump_instance, load_instance
from .model.compiled import BuildOptions, CompiledModel, build
from .schema import Instance
from .solution import Solution
from .solver import HighsSolver, SolverOptions

__version__ = "0.1.0"

__all__ = [
    "BuildOptions", "CheckReport", "CompiledModel", "HighsSolver", "InfeasibleError", "Instance",
    "InstanceError", "Solution", "SolverError", "SolverOptions", "YrdoptError", "build", "check",
    "check_layout", "default_instance_path", "dump_instance", "load_instance", "solve",
]

"""yrdopt: which region hosts which segment of each industry chain.

The pipeline, one module each: schema -> io/data -> model -> solver -> check ->
analysis -> report; the CLI (:mod:`yrdopt.cli`) is a thin shell over this API.

The names below are imported on first use (PEP 562): ``import yrdopt.sweep.worker`` in a
sweep's worker process, or ``yrdopt --help``, does not pay for pandas and the checker.
"""

from __future__ import annotations

from ._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> module that defines it
_EXPORTS = {
    "check": ".api", "solve": ".api",
    "CheckReport": ".checker", "check_layout": ".checker",
    "InfeasibleError": ".errors", "InstanceError": ".errors", "SolverError": ".errors", "YrdoptError": ".errors",
    "default_instance_path": ".io", "dump_instance": ".io", "load_instance": ".io",
    "BuildOptions": ".model.compiled", "CompiledModel": ".model.compiled", "build": ".model.compiled",
    "Instance": ".schema",
    "Solution": ".solution",
    "HighsSolver": ".solver", "SolverOptions": ".solver",
    "sweep": ".sweep",  # the subpackage itself (yrdopt.sweep.run), light until a sweep runs
}

__all__ = sorted(_EXPORTS)

__getattr__, __dir__ = lazy_exports(__name__, globals(), _EXPORTS)

"""Public names imported on first use (PEP 562), shared by the package ``__init__`` files.

A name is bound in the package's namespace the first time it is looked up, so the
function behind ``yrdopt.solve`` is imported only by code that calls it.  Public names
never share a module's name (``yrdopt.check`` is a function; the checker module is
``yrdopt.checker``): importing a submodule binds its name on the package and would hide
a function of the same name.  A subpackage exported under its own name (``"sweep": ".sweep"``)
is that module: ``import yrdopt; yrdopt.sweep.run(...)`` works as ``import yrdopt.sweep`` does.
"""

from __future__ import annotations

import importlib
from typing import Callable

from .stopping import Interrupted  # light (threading, atexit): loaded before any window it covers


def lazy_exports(package: str, namespace: dict, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps name -> relative module."""

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        try:
            value = importlib.import_module(module, package)
            if module != "." + name:  # a name the module defines, not the module itself
                value = getattr(value, name)
        except KeyboardInterrupt as exc:
            # Ctrl-C while the module (numpy, SciPy, HiGHS) loads: nothing has started, nothing is
            # written; said as a run's interrupt (yrdopt.stopping.Interrupted), not a bare
            # KeyboardInterrupt from inside importlib
            if isinstance(exc, Interrupted):
                raise
            raise Interrupted(f"stopped while loading {package}.{name} (before it started); nothing written",
                              signum=getattr(exc, "signum", None) or 2) from None
        namespace[name] = value  # later lookups do not come here
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__

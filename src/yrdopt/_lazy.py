"""Public names imported on first use (PEP 562), shared by the package ``__init__`` files.

A name is bound in the package's namespace the first time it is looked up, so the
function behind ``yrdopt.solve`` is imported only by code that calls it.  Public names
never share a module's name (``yrdopt.check`` is a function; the checker module is
``yrdopt.checker``): importing a submodule binds its name on the package and would hide
a function of the same name.
"""

from __future__ import annotations

import importlib
from typing import Callable


def lazy_exports(package: str, namespace: dict, exports: dict[str, str]) -> tuple[Callable, Callable]:
    """``__getattr__`` and ``__dir__`` for ``package``: ``exports`` maps name -> relative module."""

    def __getattr__(name: str):
        module = exports.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module, package), name)
        namespace[name] = value  # later lookups do not come here
        return value

    def __dir__() -> list[str]:
        return sorted(set(namespace) | set(exports))

    return __getattr__, __dir__

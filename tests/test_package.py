"""The package's public names, and what importing a worker costs."""

import subprocess
import sys


def test_public_names_are_the_api_functions_after_every_submodule_is_imported():
    code = (
        "import importlib, pkgutil, yrdopt, yrdopt.sweep\n"
        "for m in pkgutil.walk_packages(yrdopt.__path__, 'yrdopt.'):\n"
        "    if not m.name.startswith('yrdopt.cli') and '.commands' not in m.name:\n"
        "        importlib.import_module(m.name)\n"
        "assert callable(yrdopt.check) and yrdopt.check.__module__ == 'yrdopt.api', yrdopt.check\n"
        "assert callable(yrdopt.solve), yrdopt.solve\n"
        "assert callable(yrdopt.sweep.run) and yrdopt.sweep.run.__module__ == 'yrdopt.sweep.runner'\n"
        "assert set(yrdopt.__all__) <= set(dir(yrdopt))\n"
        "for name in yrdopt.__all__: getattr(yrdopt, name)\n"
        "for name in yrdopt.sweep.__all__: getattr(yrdopt.sweep, name)\n"
    )
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


def test_a_sweep_worker_process_does_not_import_pandas_or_the_driver():
    """Workers of the process pool are spawned: each imports yrdopt.sweep.worker, so what that
    pulls in is paid once per worker before its first scenario."""
    code = ("import sys, yrdopt.sweep.worker\n"
            "heavy = [m for m in ('pandas', 'yrdopt.sweep.runner', 'yrdopt.checker', 'matplotlib', 'pyomo') "
            "if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr

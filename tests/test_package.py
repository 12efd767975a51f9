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


def test_a_sweep_workers_first_scenario_imports_nothing_inside_its_timed_part(tmp_path):
    """Review 17: a spawned worker imported yrdopt.api (and pandas) inside its first scenario's
    start, and the checker's pandas inside its total_s: 2-4 s of a 5 s limit in a pool, where in
    process it was optimal.  The worker loads what its scenarios need when it starts, before any
    scenario's clock: solving one then imports no module of ours, nor pandas."""
    import pickle
    from pathlib import Path

    import yrdopt.sweep as sw
    from yrdopt.sweep.worker import Context

    toy = Path(__file__).parent / "data" / "toy_features.yaml"
    spec, _inst, base, _res, _h, scenarios = sw.prepare(
        {"instance": str(toy), "parameters": [{"path": "weights.distance", "values": [0.5]}]})
    shipped = tmp_path / "ctx.pkl"
    shipped.write_bytes(pickle.dumps((Context.for_spec(spec, base, "k"), scenarios[0])))
    code = ("import pickle, sys\n"
            "from yrdopt.sweep.worker import ScenarioSolver\n"
            f"ctx, sc = pickle.loads(open({str(shipped)!r}, 'rb').read())\n"
            "ws = ScenarioSolver(ctx)\n"
            "ws.begin_chunk()\n"
            "before = set(sys.modules)\n"
            "rec = ws.solve(sc)\n"
            "assert rec['status'] == 'optimal' and rec['verified'] and rec['mip_start'] == 'greedy', rec\n"
            "new = sorted(m for m in set(sys.modules) - before if m.split('.')[0] in ('yrdopt', 'pandas'))\n"
            "assert not new, new\n")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr[-2000:]

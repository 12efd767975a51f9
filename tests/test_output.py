"""Output a person can read: no solver banner unless asked, tables that fit, a fast start."""

import subprocess
import sys

from conftest import DATA


def run_cli(*args):
    return subprocess.run([sys.executable, "-m", "yrdopt.cli", *map(str, args)], capture_output=True, text=True)


def test_default_output_has_no_highs_banner(tmp_path):
    for extra in ([], ["-q"]):
        res = run_cli("solve", DATA / "toy_features.yaml", "--out", tmp_path / "sol", *extra)
        assert res.returncode == 0, res.stderr
        assert "Running HiGHS" not in res.stdout + res.stderr
        assert "Copyright" not in res.stdout + res.stderr

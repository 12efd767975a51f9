"""Analyses on phased instances (issue 14, point 7): nothing may read a phased instance as one
period.  What cannot handle periods refuses with exit 2 naming ``periods``; what can works per
period (``--period``) and is checked against real solves."""

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from test_periods import tiny3
from yrdopt.cli import app


@pytest.fixture(scope="module")
def phased(tmp_path_factory):
    """tiny3 (three periods) on disk and its joint plan."""
    d = tmp_path_factory.mktemp("phased")
    (d / "tiny.yaml").write_text(yaml.safe_dump(tiny3()))
    res = CliRunner().invoke(app, ["solve", str(d / "tiny.yaml"), "--out", str(d / "plan"), "--threads", "1", "-q"])
    assert res.exit_code == 0, res.output
    return d


REFUSED = [
    (["alternatives", "{i}", "-n", "2", "--out", "{d}/alt"], "alternatives"),
    (["pareto", "{i}", "--points", "2", "--out", "{d}/par"], "trade-off front"),
    (["lexicographic", "{i}", "distance", "--out", "{d}/lex"], "lexicographic"),
    (["guarantees", "{i}"], "guarantee"),
    (["compare", "{d}/plan", "{d}/plan"], "period"),
]


@pytest.mark.parametrize("argv, what", REFUSED, ids=[a[0] for a, _ in REFUSED])
def test_analysis_without_periods_support_refuses(phased, argv, what):
    """Each refuses (exit 2) naming the periods and the analysis; none writes a wrong answer."""
    argv = [a.format(i=phased / "tiny.yaml", d=phased) for a in argv]
    res = CliRunner().invoke(app, argv)
    assert res.exit_code == 2, res.output
    assert "period" in res.output and what in res.output and "Traceback" not in res.output
    assert not any((phased / n).exists() for n in ("alt", "par", "lex"))


def test_sweep_over_a_phased_instance_refuses(phased, tmp_path):
    spec = {"instance": str(phased / "tiny.yaml"), "parameters": [{"path": "weights.distance", "scale": [0.5, 2]}]}
    (tmp_path / "spec.yaml").write_text(yaml.safe_dump(spec))
    res = CliRunner().invoke(app, ["sweep", str(tmp_path / "spec.yaml"), "--out", str(tmp_path / "out")])
    assert res.exit_code == 2 and "periods" in res.output and "sweep" in res.output, res.output

"""Layout comparison (yrdopt.analysis.compare): hand-computed indices, real layouts."""

import json

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

import yrdopt
from yrdopt.io import load_instance
from yrdopt.analysis.compare import compare_layouts
from yrdopt.cli import app
from yrdopt.cli_common import fmt_num
from yrdopt.errors import InstanceError
from yrdopt.analysis.alternatives import alternatives

from conftest import DATA

SMALL = DATA / "planning_small.yaml"


def write_layout(path, rows):
    path.mkdir(parents=True)
    pd.DataFrame(rows, columns=["chain", "segment", "region", "sited", "activity"]).to_csv(path / "layout.csv", index=False)
    return path


def test_specialization_indices_by_hand(tmp_path):
    # A: region a hosts chain x (10), region b hosts x (10) and y (30)
    a = write_layout(tmp_path / "A", [("x", "s", "a", True, 10), ("x", "s", "b", True, 10), ("y", "t", "b", True, 30)])
    # B: full division of labour: x only in a, y only in b
    b = write_layout(tmp_path / "B", [("x", "s", "a", True, 20), ("y", "t", "b", True, 30)])
    c = compare_layouts([a, b])
    # shares: A-a x=1; A-b x=.25 y=.75 -> K_a = |1-.25| + |0-.75| = 1.5 ; LQ(a, x) = 1 / (20/50) = 2.5
    assert c.relative.loc["a", "A"] == pytest.approx(1.5)
    assert c.relative.loc["b", "A"] == pytest.approx(1.5)
    lq = c.location_quotients.set_index(["layout", "region", "chain"])["lq"]
    assert lq[("A", "a", "x")] == pytest.approx(2.5)
    assert lq[("A", "b", "y")] == pytest.approx((30 / 40) / (30 / 50))
    # B: disjoint structures: the Krugman index is 2 (its maximum)
    assert c.interregional_mean["B"] == pytest.approx(2.0)
    assert c.interregional_mean["A"] == pytest.approx(1.5)
    assert c.weighting == "activity" and c.notes  # no instance: raw activity, said so
    # placements: x/s differs (a+b vs a), y/t does not
    assert c.placements.loc["x/s", "differs"] and not c.placements.loc["y/t", "differs"]
    assert c.placements.loc["x/s", "A"] == "a 50%, b 50%"
    assert list(c.duplicated["segment"]) == ["x/s"] and list(c.duplicated["layout"]) == ["A"]
    assert c.distances.loc["A", "B"] == 1 and c.distances.loc["B", "B"] == 0


def test_compare_alternatives_with_instance(tmp_path):
    res = alternatives(SMALL, n=3, slack=0.05, out=tmp_path / "alt")
    inst = yrdopt.load_instance(SMALL)
    dirs = [tmp_path / "alt" / a.name for a in res.layouts]
    c = compare_layouts(dirs, instance=inst)
    assert c.names == ["layout-1", "layout-2", "layout-3"] and c.weighting == "value"
    # terms recomputed by the checker agree with what the solver wrote
    for a in res.layouts:
        for term, v in a.solution.summary["components"].items():
            assert c.terms.loc[term, a.name] == pytest.approx(v, abs=1e-6)
        assert c.terms.loc["total", a.name] == pytest.approx(a.objective, abs=1e-6)
        assert c.terms.loc["verified", a.name]
    np.testing.assert_array_equal(c.distances.to_numpy(), res.distances.to_numpy())
    # a segment differs exactly when its set of host regions differs
    for seg in c.placements.index:
        chain, s = seg.split("/")
        hosts = []
        for a in res.layouts:
            p = a.solution.placements()
            hosts.append(frozenset(p.loc[(p["chain"] == chain) & (p["segment"] == s), "region"]))
        assert c.placements.loc[seg, "differs"] == (len(set(hosts)) > 1)
    # same layout twice: nothing differs
    same = compare_layouts([dirs[0], dirs[0]], instance=inst)
    assert not same.placements["differs"].any() and same.distances.to_numpy().sum() == 0
    assert same.names == ["layout-1", "layout-1~2"]


def test_cli_compare(tmp_path):
    alternatives(SMALL, n=2, slack=0.05, out=tmp_path / "alt")
    d1, d2 = tmp_path / "alt" / "layout-1", tmp_path / "alt" / "layout-2"
    r = CliRunner().invoke(app, ["compare", str(d1), str(d2), "-i", str(SMALL), "--out", str(tmp_path / "cmp")])
    assert r.exit_code == 0, r.output
    terms = pd.read_csv(tmp_path / "cmp" / "terms.csv", index_col=0)
    total = [float(v) for v in terms.loc["total"]]
    # the totals with six significant digits, as the README says every table prints them (before: four)
    assert all(f" {fmt_num(v)} " in r.output for v in total), (total, r.output)
    summary = json.loads((tmp_path / "cmp" / "comparison.json").read_text())
    assert summary["differing_segments"] >= 1 and summary["weighting"] == "value"
    for f in ("placements.csv", "terms.csv", "location_quotients.csv", "relative_specialization.csv", "distances.csv"):
        assert (tmp_path / "cmp" / f).exists()
    # segments, regions and terms by the instance's names (before: ic/fab, sh, site_cost); the CSVs keep the ids
    from yrdopt.schema import region_names, segment_names

    inst, said = load_instance(SMALL), " ".join(r.output.split())
    placed = pd.read_csv(tmp_path / "cmp" / "placements.csv", index_col=0)
    differ = list(placed.index[placed["differs"]])
    assert differ and all(segment_names(inst)[k] in said and f" {k} " not in said for k in differ), said
    assert "site cost" in said and "site_cost" not in said, said
    assert all(f" {rid} " not in said for rid in region_names(inst) if region_names(inst)[rid] != rid), said
    r = CliRunner().invoke(app, ["compare", str(d1)])
    assert r.exit_code == 2 and "at least two" in r.output
    r = CliRunner().invoke(app, ["compare", str(d1), str(tmp_path / "missing")])
    assert r.exit_code == 2 and "missing" in r.output
    with pytest.raises(InstanceError):
        compare_layouts([d1, d2], names=["only-one"])


def test_compare_looks_at_its_stop_flag_before_each_layout(tmp_path):
    """The flag Ctrl-C sets (the CLI passes it through run_stoppable) ends a comparison before its next
    layout's check (each routes flows by LPs: seconds per layout at city scale); before, compare took
    no flag and ran every check to the end."""
    import threading

    from yrdopt.errors import SolverError

    a = tmp_path / "a"
    yrdopt.solve(SMALL, out=a)
    stop = threading.Event()
    stop.set()
    with pytest.raises(SolverError, match="stopped before it checked"):
        compare_layouts([a, a], names=["one", "two"], instance=yrdopt.load_instance(SMALL), stop=stop)
    assert compare_layouts([a, a], names=["one", "two"], instance=yrdopt.load_instance(SMALL),
                           stop=threading.Event()).terms.loc["total"].nunique() == 1

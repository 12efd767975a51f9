"""Today's layout (baseline) evaluated with the same objective and compared with the optimum."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from rich.console import Console
from typer.testing import CliRunner

import yrdopt
from yrdopt.analysis.baseline import baseline_table, compare_with_baseline, evaluate_layout
from yrdopt.checker import read_layout_dir
from yrdopt.cli import app
from yrdopt.io import default_instance_path, load_instance
from yrdopt.schema import TERMS

ROOT = Path(__file__).parents[1]
CASES = [(ROOT / "instances" / f"{n}.yaml", ROOT / "instances" / f"{n}.baseline.csv")
         for n in ("yrd-provinces", "yrd-cities", "yrd-outer")]
CASES.append((default_instance_path(), default_instance_path().with_name("yrd-default.baseline.csv")))


@pytest.mark.parametrize("inst_path,base_path", CASES, ids=lambda p: Path(p).name)
def test_baseline_evaluates(inst_path, base_path):
    inst = load_instance(inst_path)
    layout, flows, exps = read_layout_dir(base_path)
    assert list(layout.columns) == ["chain", "segment", "region", "sited", "activity"]
    ev = evaluate_layout(inst, layout, flows, exps)
    assert set(ev["components"]) == set(TERMS)
    assert ev["total"] == pytest.approx(sum(ev["components"].values()))
    # duplicated today: the sources describe homogeneous competition
    assert ev["duplicated_segments"] >= 5
    # every segment is placed in full today (the demand rows hold); only capacity-type rules may break
    assert "demand" not in {v["constraint"] for v in ev["violations"]}
    assert 0.0 <= ev["specialization"]["interregional_mean"] <= 2.0


@pytest.fixture(scope="module")
def default_solution():
    return yrdopt.solve(None, threads=1)


def test_compare_with_baseline(default_solution):
    base = default_instance_path().with_name("yrd-default.baseline.csv")
    cmp = compare_with_baseline(default_solution, base)
    b, o = cmp["baseline"], cmp["optimized"]
    for k in TERMS:
        assert cmp["change"][k] == pytest.approx(o["components"][k] - b["components"][k])
    assert o["total"] == pytest.approx(default_solution.objective, rel=1e-6)
    assert o["feasible"] and o["total"] <= b["total"]
    assert o["duplicated_segments"] < b["duplicated_segments"]
    # division of labour by segment makes regions less alike (seed 002's indices rise)
    assert o["specialization"]["interregional_mean"] > b["specialization"]["interregional_mean"]
    assert set(b["specialization"]["relative"]) <= {r.id for r in default_solution.instance.regions}
    json.dumps(cmp)  # goes to summary.json
    console = Console(record=True, width=140)
    console.print(baseline_table(cmp))
    text = console.export_text()
    from yrdopt.app.wording import term_words

    for k in (*map(term_words, TERMS), "total", "duplicated segments", "Krugman"):
        assert k in text


def test_city_baseline_reports_province_rollup():
    inst = load_instance(CASES[1][0])
    layout, flows, exps = read_layout_dir(CASES[1][1])
    ev = evaluate_layout(inst, layout, flows, exps)
    assert set(ev["specialization_by_province"]["relative"]) == {"Shanghai", "Jiangsu", "Zhejiang", "Anhui"}


def test_cli_solve_default_reports_baseline_and_check_evaluates_it(tmp_path):
    runner = CliRunner()
    res = runner.invoke(app, ["solve", "--out", str(tmp_path / "out"), "--threads", "1", "-q"])
    assert res.exit_code == 0, res.output
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["verified"]
    assert set(summary["baseline"]["change"]) == {*TERMS, "total"}
    base = default_instance_path().with_name("yrd-default.baseline.csv")
    res = runner.invoke(app, ["check", str(default_instance_path()), str(base)])
    # the instance is calibrated to today's layout (issue 14): the baseline fits every limit
    assert res.exit_code == 0, res.output
    assert "objective" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize("name", ["yrd-provinces", "yrd-outer", "yrd-cities"])
def test_todays_layout_fits_the_calibrated_limits(name):
    """Quotas are at least today's use; at city level only the (assumed) host split may sit below
    a minimum scale, which a brownfield model grandfathers."""
    from yrdopt.checker import check_layout, read_layout_dir

    inst = yrdopt.load_instance(ROOT / "instances" / f"{name}.yaml")
    rep = check_layout(inst, read_layout_dir(ROOT / "instances" / f"{name}.baseline.csv")[0])
    broken = {fam for fam, v in rep.worst.items() if v.amount > 1e-6}
    assert broken == (set() if name != "yrd-cities" else {"min_scale"}), rep.lines()


def test_a_sliver_site_counts_as_a_site_and_apart_as_a_token_site(default_solution):
    """A site with under 1 % of its segment (checker.TOKEN_SHARE) counts in ``sites`` and duplication, and
    apart in ``token_sites`` / ``duplicated_segments_without_token`` (the summary's, the checker's)."""
    from yrdopt.checker import check_layout

    s = default_solution.summary
    lay = default_solution.layout
    hosting = lay[lay["sited"] & (lay["activity"] > 1e-6)]
    share = hosting["activity"] / hosting.groupby(["chain", "segment"])["activity"].transform("sum")
    assert s["token_sites"] == int((share < 0.01).sum())
    # a sliver of a single-host segment moved to a new site in another region
    one = hosting.groupby(["chain", "segment"]).filter(lambda g: len(g) == 1).iloc[0]
    other = next(r.id for r in default_solution.instance.regions if r.id != one["region"])
    sliver = 0.005 * one["activity"]
    at = (lay["chain"] == one["chain"]) & (lay["segment"] == one["segment"])
    edited = lay[~(at & (lay["region"] == other))].copy()  # the layout may list unsited rows too
    edited.loc[at & (edited["region"] == one["region"]), "activity"] -= sliver
    edited = pd.concat([edited, pd.DataFrame([{**one.to_dict(), "region": other, "sited": True, "activity": sliver}])],
                       ignore_index=True)
    rep = check_layout(default_solution.instance, edited)
    assert (rep.sites, rep.token_sites) == (s["sites"] + 1, s["token_sites"] + 1)
    assert rep.duplicated_segments == s["duplicated_segments"] + 1
    assert rep.duplicated_segments_without_token == s["duplicated_segments_without_token"]


def test_check_names_layout_csv_and_its_row_for_a_bad_region(default_solution, tmp_path):
    """A region id the instance lacks is named in layout.csv, at the row of that file (before: the
    folder, `out: row 2, region`, for a file the user has to find)."""
    out = tmp_path / "sol"
    default_solution.write(out)
    lines = (out / "layout.csv").read_text().splitlines()
    head, row = lines[0].split(","), lines[5].split(",")
    row[head.index("region")] = "nowhere"
    lines[5] = ",".join(row)
    (out / "layout.csv").write_text("\n".join(lines) + "\n")
    res = CliRunner().invoke(app, ["check", str(default_instance_path()), str(out)])
    text = " ".join(res.output.split())
    assert res.exit_code == 2 and "Traceback" not in text, text
    assert f"{out / 'layout.csv'}: row 6, region: got 'nowhere'" in text, text

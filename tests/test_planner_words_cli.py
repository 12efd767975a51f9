"""`yrdopt prices`, `solve` and `diagnose` in the planner's words (a planner's review of the CLI):
guarantees by their descriptions, prices and shortfalls with the instance's units (source notes
dropped, as the workbench does), quota increases by region name, the advice naming the file given,
and a table's caption wrapped at the terminal, not folded into a narrow table.  Files keep ids and
column names (scripts read them)."""

import io
import threading

import pandas as pd
import pytest
import yaml
from rich.console import Console
from typer.testing import CliRunner

import yrdopt
import yrdopt.commands.planning as planning
from test_brownfield_analyses import BUDGET
from test_brownfield import default_brownfield
from yrdopt.cli import app
from yrdopt.deadline import Deadline
from yrdopt.model.compiled import build

from conftest import DATA

WIDTH = 80


def wide_console(monkeypatch, width=WIDTH):
    out = Console(file=io.StringIO(), width=width, markup=False)
    monkeypatch.setattr(planning, "console", out)
    return out


def test_prices_name_guarantees_by_description_and_prices_by_unit(tmp_path, monkeypatch):
    """Before: "p1 min_share 0.1" and "value_per_unit" (the instance's own field of that name) in the
    guarantee table, and quota prices with no unit."""
    data = yaml.safe_load((DATA / "quota_prices.yaml").read_text())
    data["resources"][0]["unit"] = "ha (assumption: see table 3)"  # a source note, not the unit
    data.setdefault("policy", {})["guarantees"] = [
        {"province": "p1", "measure": "min_share", "value": 0.1, "description": "Province one keeps a tenth"},
        {"province": "p2", "measure": "min_share", "value": 0.05, "description": "Province two keeps a twentieth"}]
    inst = tmp_path / "prices.yaml"
    inst.write_text(yaml.safe_dump(data))
    yrdopt.solve(inst, out=tmp_path / "opt")
    out = wide_console(monkeypatch, 200)  # headers on one line each
    r = CliRunner().invoke(app, ["prices", str(inst), str(tmp_path / "opt"), "--out", str(tmp_path / "p")])
    assert r.exit_code == 0, r.output
    said = out.file.getvalue()
    assert "per ha of land" in said and "table 3" not in said, said
    assert "LP price 1.18 per ha" in said, said  # a's land, by hand (the instance's description)
    assert "Province one keeps a tenth" in said and "p1 min_share" not in said, said
    assert "value_per_unit" not in said and "per unit no longer required" in said, said
    assert "value_per_unit" in pd.read_csv(tmp_path / "p" / "prices.csv").columns  # files keep their names
    # a share guarantee's price says its unit: per unit of value (its required amount is value, the share
    # times the area's value) and per percentage point of that (before: a bare number, read as per point);
    # guarantee_prices.csv is written beside prices.csv (before: none)
    g = pd.read_csv(tmp_path / "p" / "guarantee_prices.csv").iloc[1]
    total = build(yrdopt.load_instance(inst)).data.total_value
    assert g["unit"] == "unit of value" and g["value_per_point"] == pytest.approx(g["value_per_unit"] * total / 100)
    assert g["binding"] and g["value_per_unit"] > 0, g  # the case shown: a share guarantee the LP prices
    row = next(line for line in said.splitlines() if "Province two keeps a twentieth" in line)
    assert f"{g['value_per_unit']:,.6g} per unit of value ({g['value_per_point']:,.6g} per percentage point)" in row, said


def test_a_continued_caption_wraps_at_the_terminal(tmp_path, monkeypatch):
    """Brownfield change budgets at 80 columns: the continued block is two narrow columns, and its
    caption was folded into their width, one word a line (30+ lines)."""
    inst = default_brownfield(BUDGET)
    yrdopt.solve(inst, gap=1e-9, out=tmp_path / "opt")
    out = wide_console(monkeypatch)
    planning._print_prices(inst, tmp_path / "opt", None, None, Deadline(60, stop=threading.Event()))
    lines = out.file.getvalue().splitlines()
    assert all(len(line) <= WIDTH for line in lines)
    # each budget in the instance's words (before: max_closed, Anhui, True); the flag as the workbench says it
    said = " ".join(out.file.getvalue().split())
    assert "change budget in Anhui: at most 1 site " in said and "1 sites" not in said and "max_" not in said, said
    assert "True" not in said and "False" not in said and "│ yes" in said, said
    captions = [i for i, line in enumerate(lines) if line.startswith("Change budgets")]
    assert len(captions) >= 2 and "(continued)" in "".join(lines[captions[1]:captions[1] + 3]), "\n".join(lines)
    for start in captions:  # each caption wraps at the terminal: two lines of it, then its table
        top = next(i for i in range(start, len(lines)) if lines[i].startswith("┏"))
        assert top - start <= 3, "\n".join(lines[start:top])


def test_infeasible_totals_speak_in_units_region_names_and_the_file_given(tmp_path, monkeypatch):
    """planning_small with every talent quota x0.2.  Before: "need at least 52 in total but ... have
    22", "The least quota increase ...: zj talent +15", and solve's advice "`yrdopt diagnose
    INSTANCE`" word for word; the files keep ids."""
    data = yaml.safe_load((DATA / "planning_small.yaml").read_text())
    for region in data["regions"]:
        region["quotas"]["talent"] *= 0.2
    path = tmp_path / "short of talent.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True))
    monkeypatch.setenv("COLUMNS", "400")
    r = CliRunner().invoke(app, ["solve", str(path), "--out", str(tmp_path / "o")])
    assert r.exit_code == 3, r.output
    said = " ".join(r.output.split())
    assert ("talent: the segments need at least 52 thousand researchers in total but all regions together have "
            "22 thousand researchers (short by 30 thousand researchers)") in said, said
    assert f"`yrdopt diagnose '{path}'` also names" in said and "INSTANCE" not in said, said
    r = CliRunner().invoke(app, ["diagnose", str(path), "--out", str(tmp_path / "d")])
    assert r.exit_code == 3, r.output
    said = " ".join(r.output.split())
    # of the least raises (30 in all), the rule's (diagnose.TIE_RULE): the largest quota, Shanghai's 8
    assert "Shanghai talent +30 thousand researchers" in said and "(sh)" not in said, said  # never the id
    assert "need at least 52 thousand researchers" in said, said
    _, details = yrdopt.analysis.diagnose.explain_infeasibility(yrdopt.load_instance(path), time_limit=60)
    assert details["quota_increase"] == {"sh/talent": pytest.approx(30)}  # the details keep ids

"""The workbench speaks the planner's terms: placements in words, regions by name, objective terms
by their names, amounts with their units (from the instance, never a source note in their place).

A server in this process on the default instance edited so that names and ids differ (Shanghai's
name is "Shanghai Municipality"), one placement forbidden (ic/rd in Anhui) and talent without a
unit; real solves with HiGHS."""

from __future__ import annotations

import io
import json
import shutil

import openpyxl
import pytest

from app_helpers import call, serving, wait_job
from conftest import ROOT
from yrdopt.app.server import Workbench
from yrdopt.io import instance_dict, load_instance

SHANGHAI = "Shanghai Municipality"


@pytest.fixture(scope="module")
def named(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("terms")
    data = instance_dict(load_instance(None))
    data["regions"][0]["name_en"] = SHANGHAI
    data["policy"]["forbidden"] = [{"chain": "ic", "segment": "rd", "region": "anhui"}]
    next(r for r in data["resources"] if r["id"] == "talent")["unit"] = ""
    path = tmp / "named.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    shutil.copy(ROOT / "src/yrdopt/data/yrd-default.baseline.csv", tmp / "named.baseline.csv")  # today's layout
    wb = Workbench(path, tmp / "ws")  # solves the opened instance at start
    with serving(wb) as base:
        yield wb, base


def started(wb) -> str:
    return next(s.id for s in wb.workspace.scenarios() if s.meta.get("kind") == "solve")


def placements_edited(wb) -> dict:
    """ic/rd fixed in Anhui (where the instance forbids it), ic/process forbidden in Zhejiang."""
    inst = json.loads(json.dumps(wb.instance_json))
    inst["policy"]["forbidden"] = [{"chain": "ic", "segment": "process", "region": "zhejiang"}]
    inst["policy"]["fixed"] = [{"chain": "ic", "segment": "rd", "region": "anhui"}]
    return inst


FIXED = "Integrated circuits R&D fixed in Anhui; it was not allowed there: that ban is lifted"
FORBIDDEN = "Integrated circuits process not allowed in Zhejiang"


def test_placement_edits_are_listed_in_words_and_a_lifted_ban_is_said(named, tmp_path):
    """Before: 'policy.forbidden: [{"chain": "ic", "segment": "rd", "region": "anhui"}] -> [{"chain": "ic", "segment":
    "pro...' in the change list, the scenario list and scenario.json, and fixing a forbidden placement
    lifted its ban without a word."""
    wb, base = named
    inst = placements_edited(wb)
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert status == 200 and res["ok"], res
    assert sorted(res["changes"]) == sorted([FIXED, FORBIDDEN]), res["changes"]
    status, job = call(base, "POST", "/api/solve", {"instance": inst, "name": "placements"})
    assert status == 202, job
    job = wait_job(base, job)
    assert job["state"] == "done", job
    sid = job["result"]["scenario"]
    meta = json.loads((wb.workspace.dir / sid / "scenario.json").read_text(encoding="utf-8"))
    assert sorted(meta["changes"]) == sorted([FIXED, FORBIDDEN])
    listed = next(s for s in call(base, "GET", "/api/scenarios")[1] if s["id"] == sid)
    assert sorted(listed["changes"]) == sorted([FIXED, FORBIDDEN])
    # the Excel export's first sheet lists them as they are
    status, raw = call(base, "GET", f"/api/scenarios/{sid}/export.xlsx")
    assert status == 200
    book = openpyxl.load_workbook(io.BytesIO(raw), read_only=True)
    about = [tuple(r) for r in book.worksheets[0].iter_rows(values_only=True)]
    edits = sorted(str(v) for k, v, *_ in about if str(k).startswith("what-if edit "))
    assert edits == sorted([FIXED, FORBIDDEN]), about
    # freeing them again: said as what it is
    back = json.loads(json.dumps(inst))
    back["policy"]["fixed"] = []
    back["policy"]["forbidden"] = []
    status, res = call(base, "POST", "/api/validate", {"instance": back})
    assert res["changes"] == ["Integrated circuits R&D allowed again in Anhui"], res["changes"]


def test_why_here_names_regions_and_says_each_quota_raise_with_its_unit(named):
    """Before: "shanghai" in the table and "needs shanghai land +13.76" (no unit), the blocking rule as
    regions.shanghai.quotas.land, the columns as change_site_cost."""
    wb, base = named
    sid = started(wb)
    status, job = call(base, "POST", f"/api/scenarios/{sid}/explain", {"segment": "ic/process"})
    assert status == 202, job
    r = wait_job(base, job)["result"]
    rows = {row["region"]: row for row in r["rows"]}  # the data keep the ids; the words are names
    assert rows["shanghai"]["region_name"] == SHANGHAI
    why = rows["shanghai"]["why"]
    assert f"needs {SHANGHAI} land +" in why and " km2" in why, why
    assert "shanghai" not in why and "--" not in why, why
    assert rows["shanghai"]["blocked_by"] == f"the land quota of {SHANGHAI}"
    assert rows["shanghai"]["blocked_by_fields"] == "regions.shanghai.quotas.land"  # kept as secondary detail
    assert r["headers"]["change_site_cost"] == "Δ site cost" and r["headers"]["change_distance"] == "Δ distance (logistics)"
    assert all(r["headers"][c] == "Δ " + wb.bootstrap()["term_words"][c[len("change_"):]]
               for c in r["columns"] if c.startswith("change_"))


def test_limits_and_compare_name_regions_terms_and_units(named):
    wb, base = named
    sid = started(wb)
    status, job = call(base, "POST", f"/api/scenarios/{sid}/prices", {})
    assert status == 202, job
    rows = wait_job(base, job)["result"]["quotas"]["rows"]
    sh = {q["resource"]: q for q in rows if q["region"] == "shanghai"}
    assert {q["region_name"] for q in sh.values()} == {SHANGHAI}
    assert sh["land"]["resource_unit"] == "km2" and sh["land"]["worth_unit"] == "per km2 of land"
    # talent has no unit in this instance: none shown, and nothing else in its place
    assert sh["talent"]["resource_unit"] == "" and sh["talent"]["worth_unit"] == "per unit of talent"
    # Compare: the terms by their names, the regions by theirs
    other = next(s.id for s in wb.workspace.scenarios() if s.id != sid)
    status, c = call(base, "GET", f"/api/compare?a={sid}&b={other}")
    assert status == 200, c
    labels = {t["term"]: t["label"] for t in c["terms"]}
    assert labels["site_cost"] == "site cost" and labels["fixed_cost"] == "fixed cost" and labels["total"] == "total"
    assert {r["region_name"] for r in c["relative_specialization"]} == {SHANGHAI, "Jiangsu", "Zhejiang", "Anhui"}
    moved = [n for m in c["moved"] for k in ("removed_from_names", "added_in_names", "kept_in_names") for n in m[k]]
    assert moved and "shanghai" not in moved and set(moved) <= {SHANGHAI, "Jiangsu", "Zhejiang", "Anhui"}


def test_units_come_from_the_instance_never_a_source_note(named):
    """Before: a segment's activity unit was shown as "10 bn CNY of 2021 profit (seed 004 Table 1 / 100)"."""
    wb, base = named
    boot = call(base, "GET", "/api/bootstrap")[1]
    assert boot["resource_units"] == {"land": "km2", "energy": "10k tce", "talent": ""}
    assert boot["region_names"]["shanghai"] == SHANGHAI
    view = call(base, "GET", f"/api/scenarios/{started(wb)}")[1]
    units = {s["unit"] for r in view["regions"].values() for s in r["segments"]}
    assert units == {"10 bn CNY of 2021 profit"}, units
    assert {t["term"]: t["label"] for t in view["terms"]}["site_cost"] == "site cost"


def sheet(raw: bytes, name: str = "scenario"):
    book = openpyxl.load_workbook(io.BytesIO(raw))
    return book[name]


def test_todays_layout_exported_says_it_is_no_solve_and_why_a_check_fails(named):
    """Before: "kind: today's layout", "solved at (UTC)" and "NOT verified by the checker" with no reason."""
    from yrdopt.app.views import checker_words

    wb, base = named
    status, raw = call(base, "GET", f"/api/scenarios/{wb.baseline_id}/export.xlsx")
    assert status == 200
    about = {r[0]: r[1] for r in sheet(raw).iter_rows(min_row=2, values_only=True)}
    assert about["kind"] == "today's layout, not a solve"
    assert "solved at (UTC)" not in about and about["recorded at (UTC)"]
    # this instance forbids ic/rd in Anhui, where today's layout has it: the rule it breaks, where, by the
    # instance's names (before: "forbidden at ic/rd in Anhui")
    assert about["checker"] == ("not verified: today's layout, not a solve, breaks the instance's rules: "
                                "Integrated circuits R&D in Anhui: site in a forbidden region"), about["checker"]
    # the Summary's checker verdict lists it in the same words; its codes stay for scripts
    broken = call(base, "GET", f"/api/scenarios/{wb.baseline_id}")[1]["check"]["violations"]
    assert [(v["constraint"], v["where"], v["words"]) for v in broken] == [
        ("forbidden", "ic/rd in anhui", "Integrated circuits R&D in Anhui: site in a forbidden region")], broken
    said = checker_words({"verified": True}, today=True)
    assert said.startswith("verified: today's layout keeps every constraint"), said


def test_exported_columns_fit_their_content(named):
    """Before: every column 13 characters wide, the edits and names cut short."""
    wb, base = named
    sid = started(wb)
    status, raw = call(base, "GET", f"/api/scenarios/{sid}/export.xlsx")
    ws = sheet(raw)
    longest = max(len(str(v)) for (v,) in ws.iter_rows(min_row=1, min_col=2, max_col=2, values_only=True) if v is not None)
    assert ws.column_dimensions["B"].width >= min(60, longest), (ws.column_dimensions["B"].width, longest)
    assert ws.column_dimensions["A"].width < ws.column_dimensions["B"].width
    layout = sheet(raw, "layout")
    heads = [c.value for c in layout[1]]
    width = {h: layout.column_dimensions[openpyxl.utils.get_column_letter(i)].width for i, h in enumerate(heads, 1)}
    assert width["sited"] < width["name_en"] or width["sited"] <= 10, width
    assert len({round(w) for w in width.values()}) > 1, width


def test_export_excel_of_a_workspace_folder_has_the_pages_scenario_sheet(named, tmp_path):
    """Before: `yrdopt export-excel` on a scenario folder wrote no 'scenario' sheet."""
    from typer.testing import CliRunner

    from yrdopt.cli import app as cli_app

    wb, base = named
    sid = started(wb)
    page = [tuple(r) for r in sheet(call(base, "GET", f"/api/scenarios/{sid}/export.xlsx")[1]).iter_rows(values_only=True)]
    out = tmp_path / "cli.xlsx"
    res = CliRunner().invoke(cli_app, ["export-excel", str(wb.workspace.dir / sid), str(out)])
    assert res.exit_code == 0, res.output
    cli = [tuple(r) for r in openpyxl.load_workbook(out)["scenario"].iter_rows(values_only=True)]
    assert cli == page and any(r[0] == "scenario" for r in cli), cli


def test_the_report_of_an_alternative_says_what_it_is(named, tmp_path):
    """Before: its HTML report said "Solver status: optimal" (its distance MIP's)."""
    from typer.testing import CliRunner

    from yrdopt.cli import app as cli_app

    wb, base = named
    sid = started(wb)
    status, job = call(base, "POST", f"/api/scenarios/{sid}/alternatives", {"n": 2, "slack": 0.05})
    assert status == 202, job
    job = wait_job(base, job)
    assert job["state"] == "done" and job["result"]["scenarios"], job
    alt = job["result"]["scenarios"][0]
    words = wb.workspace.get(alt).status()["status_text"]
    assert words.startswith("near-optimal alternative: ")
    status, html = call(base, "GET", f"/api/scenarios/{alt}/report.html")
    text = html.decode()
    assert f"Status: {words}." in text.replace("&#x27;", "'") and "Solver status: optimal" not in text
    out = tmp_path / "alt.html"
    res = CliRunner().invoke(cli_app, ["report", str(wb.workspace.dir / alt), "--out", str(out)])
    assert res.exit_code == 0, res.output
    assert "Solver status: optimal" not in out.read_text(encoding="utf-8")
    assert "near-optimal alternative: " in out.read_text(encoding="utf-8")


def test_quota_weight_and_guarantee_edits_are_said_in_words(named):
    """The change list and the scenario list said `regions[id=shanghai].quotas.land: 28.48 -> 15.0`;
    now "Shanghai Municipality land quota 28.48 → 15.0 km2", the weight by its term's name, a
    guarantee by its description (wording.change_words; scenario.json keeps the fields)."""
    wb, base = named
    inst = json.loads(json.dumps(wb.instance_json))
    land = inst["regions"][0]["quotas"]["land"]
    inst["regions"][0]["quotas"]["land"] = 15.0
    inst["weights"]["site_cost"] = 2.0
    inst["policy"]["guarantees"][3]["value"] = 2
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert status == 200 and res["ok"], res
    g = wb.instance.policy.guarantees[3]
    want = sorted([f"{SHANGHAI} land quota {land:g} → 15.0 km2", "weight of site cost 1.0 → 2.0",
                   f"guarantee “{g.description}”: value 1.0 → 2.0"])
    assert sorted(res["change_words"]) == want, res["change_words"]
    assert f"regions[id=shanghai].quotas.land: {land:g} -> 15.0" in res["changes"]  # the fields, as stored
    status, job = call(base, "POST", "/api/solve", {"instance": inst, "name": "edits in words"})
    job = wait_job(base, job)
    assert job["state"] == "done", job
    listed = next(s for s in call(base, "GET", "/api/scenarios")[1] if s["id"] == job["result"]["scenario"])
    assert sorted(listed["change_words"]) == want


def test_blocking_rules_are_said_by_what_they_are():
    """Why here?'s "blocked by" said `policy.guarantees[3]` and `periods.milestones[1].budget.max_closed`."""
    from yrdopt.app.wording import rule_words

    inst = load_instance(ROOT / "instances" / "yrd-provinces-2035.yaml")
    assert rule_words("policy.guarantees[3]", inst) == inst.policy.guarantees[3].description
    assert rule_words("periods.milestones[1].budget.max_closed", inst) == "2030 milestone: at most 6 sites closed"
    # P4 caps what moves into 2030 at a share of 2025's activity, not today's (it said "of today's" for every milestone)
    assert rule_words("periods.milestones[1].budget.max_moved_share", inst) == "2030 milestone: at most 15 % of 2025's activity moved"
    assert rule_words("periods.milestones[2].budget.max_moved_share", inst) == "2035 milestone: at most 15 % of 2030's activity moved"
    assert rule_words("periods.milestones[0].budget.max_moved_share", inst) == "2025 milestone: at most 0 % of today's activity moved"
    plan = {"periods": {"milestones": [{"year": 2030}, {"year": 2035}]}, "brownfield": {"budget": {"max_moved_share": 0.15}}}
    assert rule_words("brownfield.budget.max_moved_share", plan) == ("change budget: at most 15 % of the previous "
                                                                     "milestone's activity moved (today's into 2030)")
    assert rule_words("brownfield.budget.max_moved_share", {"brownfield": plan["brownfield"]}) == \
        "change budget: at most 15 % of today's activity moved"
    # a count agrees with its noun (it said "at most 1 sites closed", "at most 1 new sites")
    one = {"brownfield": {"budget": {"max_opened": 1, "max_closed": 1}}}
    assert rule_words("brownfield.budget.max_closed", one) == "change budget: at most 1 site closed"
    assert rule_words("brownfield.budget.max_opened", one) == "change budget: at most 1 new site"


def test_an_unnamed_park_is_said_by_its_host_and_partner():
    """A problem's place in an unnamed park said its id ("shanghai_jiangsu_north (enclaves[1]) capacity")."""
    from yrdopt.app.wording import field_words

    d = instance_dict(load_instance(ROOT / "instances" / "yrd-provinces-2035.yaml"))
    assert field_words(d, "enclaves[1].capacity") == "park in Jiangsu co-built with Shanghai (enclaves[1]) capacity"
    d["enclaves"][1]["name"] = "Shanghai North Park"
    assert field_words(d, "enclaves[1].capacity") == "Shanghai North Park (enclaves[1]) capacity"


def test_a_budget_of_activity_moved_is_in_one_unit_throughout():
    """The command line's words for a diagnosis (planner_words) gave the moved budget's shortfall a unit
    and left its limit in bare "units" ("(106.14 units) is too small by 3 units of activity"); the page's
    (failure_words) gave both theirs. One rewrite serves both."""
    from yrdopt.app.wording import failure_words, planner_words

    inst = load_instance(ROOT / "instances" / "yrd-provinces-2035.yaml")
    text = "the budget of activity moved in Anhui (106.14 units) is too small by 3 units"
    assert planner_words(text, inst) == ("the budget of activity moved in Anhui (106.14 units of activity) is too small "
                                         "by 3 units of activity")
    assert failure_words(text, inst) == ("the budget of activity moved in Anhui (106.14 (in 10 bn CNY of 2021 profit)) "
                                         "is too small by 3 (in 10 bn CNY of 2021 profit)")


def test_a_guarantee_removed_or_added_is_said_in_words(named):
    """Removing a guarantee in the what-if editor listed `policy.guarantees: [{"province": ... -> [...`,
    its list's JSON cut short; now by its description, as the other edits are."""
    wb, base = named
    inst = json.loads(json.dumps(wb.instance_json))
    gone = inst["policy"]["guarantees"].pop(3)
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert status == 200 and res["ok"], res
    assert res["change_words"] == [f"removed guarantee: {gone['description']}"], res["change_words"]
    inst = json.loads(json.dumps(wb.instance_json))
    inst["policy"]["guarantees"].append({"province": "Zhejiang", "measure": "min_chains", "value": 2, "kinds": ["testing"]})
    status, res = call(base, "POST", "/api/validate", {"instance": inst})
    assert res["change_words"] == ["added guarantee: Zhejiang: at least 2 chains with testing"], res["change_words"]


def test_a_change_budget_removed_or_added_is_said_in_words():
    """Removing a province's change budget (the editor's ×) listed
    `periods.milestones[1].budget.by_province.Anhui: {"max_opened": 2, ... -> null`."""
    from yrdopt.app.server import changes
    from yrdopt.app.wording import change_words

    base = instance_dict(load_instance(ROOT / "instances" / "yrd-provinces-2035.yaml"))
    base["periods"]["milestones"][1]["budget"]["by_province"] = {
        "Anhui": {"max_opened": 2, "max_closed": None, "max_moved_share": 0.1}}
    base["brownfield"]["budget"]["by_province"] = {"Jiangsu": {"max_opened": None, "max_closed": 3, "max_moved_share": None}}
    new = json.loads(json.dumps(base))
    new["periods"]["milestones"][1]["budget"]["by_province"] = {}
    new["brownfield"]["budget"]["by_province"] = {}
    said = [change_words(new, e) for e in changes(base, new)]
    assert sorted(said) == ["removed change budget: Anhui, 2030 milestone: at most 2 new sites, 10 % of 2025's activity moved",
                            "removed change budget: Jiangsu: at most 3 sites closed"], said
    said = [change_words(base, e) for e in changes(new, base)]
    assert sorted(said) == ["added change budget: Anhui, 2030 milestone: at most 2 new sites, 10 % of 2025's activity moved",
                            "added change budget: Jiangsu: at most 3 sites closed"], said

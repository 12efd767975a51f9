"""Excel: instance -> workbook -> instance is the identity; bad cells are named by sheet, row, column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest
from conftest import DATA
from openpyxl import load_workbook
from typer.testing import CliRunner

from report_fixtures import city_instance_dict, province_instance_dict
from yrdopt.analysis.limit_words import budget_words
from yrdopt.cli import app
from yrdopt.errors import InstanceError
from yrdopt.excel import MATRIX_SHEETS, SHEETS, read_workbook, write_workbook
from yrdopt.io import content_hash, default_instance_path, load_instance

runner = CliRunner()


def _rich_instance() -> dict:
    """Every part of the schema used at least once, with text that Excel could mangle."""
    d = province_instance_dict(outer=True)
    d["description"] = "multi-line\ndescription, trailing newline\n"
    d["sources"] = {"weights": "=assumption: a formula-looking note", "regions": "built in tests"}
    d["regions"][0]["expansions"] = [
        {"id": "lingang", "fixed_cost": 12.5, "extra_quota": {"land": 3.25, "energy": 10.0}, "description": "co-built park"},
        {"id": "empty", "fixed_cost": 1.0, "extra_quota": {}}]
    d["regions"][1]["quotas"] = {"land": 0.1 + 0.2}  # a float that is not its short decimal
    seg = d["chains"][0]["segments"][1]
    seg["resource_use_by_region"] = {"anhui": {"land": 0.75}, "zhejiang": {"energy": 1.25, "land": 2.0}}
    seg["fixed_cost_by_region"] = {"shanghai": 40.0}
    seg["sources"] = {"activity": "assumption: test"}
    seg["duplication_tolerance"] = 2
    d["chains"][1]["sources"] = {"name_zh": "seed 004"}
    d["chains"][1]["links"][0]["transport_intensity"] = 0.5
    ids = d["economic_distance"]["matrix"]["regions"]
    vals = d["economic_distance"]["matrix"]["values"]
    d["economic_distance"] = {"components": {
        "cost": {"regions": ids, "values": vals},
        "time": {"regions": ids, "values": [[v / 2 for v in row] for row in vals]},
        "labour": {"regions": ids, "values": [[v / 3 for v in row] for row in vals]}},
        "component_weights": {"cost": 0.5, "time": 1.0, "labour": 2.0}, "unit": "h"}
    d["policy"] = {"fixed": [{"chain": "ic", "segment": "design", "region": "shanghai"}],
                   "forbidden": [{"chain": "nev", "segment": "battery", "region": "hunan"},
                                 {"chain": "ic", "segment": "fab", "region": "fujian"}],
                   "site_limits": [{"chain": "ic", "segment": "fab", "min_sites": 1, "max_sites": 3},
                                   {"chain": "nev", "segment": "assembly", "min_sites": 2}],
                   "province_min_share": {"Anhui": 0.1, "Zhejiang": 0.05}}
    return d


def _phased_brownfield_instance() -> dict:
    """Every field of brownfield and periods, with defaults left out and given, blank budgets kept."""
    d = _rich_instance()
    d["brownfield"] = {
        "existing": [{"chain": "ic", "segment": "design", "region": "shanghai", "activity": 3.5},
                     {"chain": "ic", "segment": "fab", "region": "jiangsu", "activity": 2.0, "capacity": 4.0,
                      "min_scale": 0.5, "opened": 2011},
                     {"chain": "nev", "segment": "battery", "region": "anhui", "activity": 1.25}],
        "costs": {"close_per_site": 2.0, "shrink_per_unit": 0.3,
                  "by_kind": {"manufacturing": {"close_per_site": 12.5}, "rd": {"shrink_per_unit": 1.2}, "testing": {}}},
        "budget": {"max_closed": 2, "by_province": {"Anhui": {"max_opened": 1, "max_moved_share": 0.2}, "Zhejiang": {}}},
        "protected": [{"chain": "ic", "segment": "design", "region": "shanghai"}],
        "min_kept_share": 0.25,
        "sources": {"existing": "assumption: test", "costs.close_per_site": "=formula-looking"}}
    d["periods"] = {
        "milestones": [
            {"year": 2025, "budget": {"max_opened": 0, "max_closed": 0, "max_moved_share": 0.0},
             "sources": {"budget": "today"}},
            {"year": 2030, "years": 4, "growth": {"ic": 1.5, "nev": 1.25}, "quota_factor": {"land": 1.1},
             "budget": {}},
            {"year": 2035, "growth": {"ic": 2.0}, "quota_factor": {"energy": 1.6, "talent": 1.3},
             "budget": {"by_province": {"Jiangsu": {"max_closed": 1}}}},
            {"year": 2040}],
        "discount_rate": 0.05, "min_run_years": 7, "sources": {"discount_rate": "assumption: test"}}
    return d


@pytest.mark.parametrize("source", ["williams", "default", "city", "rich", "sharing", "phased_brownfield"])
def test_round_trip_gives_an_equal_instance(source, tmp_path, williams_path):
    inst = load_instance({"williams": williams_path, "default": default_instance_path(), "city": city_instance_dict(),
                          "rich": _rich_instance(), "sharing": DATA / "sharing_small.yaml",
                          "phased_brownfield": _phased_brownfield_instance()}[source])
    book = write_workbook(inst, tmp_path / "book.xlsx")
    back = load_instance(book)  # through io.load_instance, as `yrdopt solve book.xlsx` does
    assert back.model_dump() == inst.model_dump()
    assert content_hash(back) == content_hash(inst)


SHIPPED = sorted((Path(__file__).resolve().parents[1] / "instances").glob("*.yaml"))


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_shipped_instance_round_trips_through_a_workbook(path, tmp_path):
    """Brownfield (today's sites, change costs and budgets), periods (milestones, growth,
    quota factors, budgets) and enclave parks all survive: the same content hash."""
    inst = load_instance(path)
    back = load_instance(write_workbook(inst, tmp_path / "book.xlsx"))
    assert back.model_dump() == inst.model_dump()
    assert content_hash(back) == content_hash(inst)


def test_template_has_a_sheet_per_part_and_names_what_is_missing(tmp_path):
    book = write_workbook(None, tmp_path / "template.xlsx")
    wb = load_workbook(book)
    assert set(SHEETS) | {"distance", "README"} <= set(wb.sheetnames)
    assert [c.value for c in wb["segments"][1]] == [c.name for c in SHEETS["segments"]]
    with pytest.raises(InstanceError) as e:
        read_workbook(book)
    where = {p.path for p in e.value.problems}
    assert "sheet instance, row 2, column B (value), field name" in where  # the cell, and the field it holds
    assert {"sheet regions", "sheet chains"} <= where


def _book(tmp_path, inst=None):
    inst = inst or load_instance(province_instance_dict(outer=True))
    return inst, write_workbook(inst, tmp_path / "book.xlsx")


def _edit(book, edits):
    wb = load_workbook(book)
    for sheet, cell, value in edits:
        if cell == "append":
            wb[sheet].append(value)
        else:
            wb[sheet][cell] = value
    wb.save(book)


@pytest.fixture(scope="module")
def clean_book(tmp_path_factory):
    return _book(tmp_path_factory.mktemp("book"))[1]


@pytest.mark.parametrize("edits, where, bad", [
    # pydantic (field-level) errors
    ([("regions", "F5", "east")], "sheet regions, row 5, column F (lon)", "east"),
    ([("segments", "E3", -4)], "sheet segments, row 3, column E (activity)", -4),
    ([("distance", "C4", None)], "sheet distance, row 4, column C", None),
    ([("weights", "append", ["distanse", 1])], "sheet weights, row 9, column A (term)", "distanse"),
    ([("regions", "E3", "town")], "sheet regions, row 3, column E (kind)", "town"),
    # cross-check (reference) errors
    ([("quotas", "B3", "lnd")], "sheet quotas, row 3, column B (resource)", "lnd"),
    ([("site_costs", "C7", "nowhere")], "sheet site_costs, row 7, column C (region)", "nowhere"),
    ([("links", "C2", "fabx")], "sheet links, row 2, column C (to)", "fabx"),
    ([("policy_fixed", "append", ["ic", "fab", "shanghai"]), ("policy_forbidden", "append", ["ic", "fab", "shanghai"])],
     "sheet policy_forbidden, row 2", "ic/fab in shanghai"),
    # structural errors found while reading
    ([("quotas", "append", ["atlantis", "land", 3])], "sheet quotas, row 32, column A (region)", "atlantis"),
    ([("regions", "H1", "colour")], "sheet regions, row 1, column H (colour)", "colour"),
    ([("segments", "append", ["icc", "x", None, "rd", 3])], "sheet segments, row 8, column A (chain)", "icc"),
])
def test_bad_cell_is_named_by_sheet_row_column(tmp_path, clean_book, edits, where, bad):
    _assert_cell_named(tmp_path, clean_book, edits, where, bad)


def _assert_cell_named(tmp_path, clean_book, edits, where, bad):
    book = tmp_path / "book.xlsx"
    shutil.copy(clean_book, book)
    _edit(book, edits)
    with pytest.raises(InstanceError) as e:
        load_instance(book)
    hits = [p for p in e.value.problems if p.path.startswith(where)]
    assert hits, [str(p) for p in e.value.problems]
    assert hits[0].value == bad
    assert hits[0].file == str(book)


SHARE = "a share in [0, 1], a fraction of the area's value (0.3 for 30 %)"
GUARANTEE_SHARE = "a share in [0, 1] for min_share and max_share, a fraction of the area's value (0.3 for 30 %)"


def test_a_province_share_outside_0_to_1_is_named_with_its_range(tmp_path, clean_book):
    """Province shares entered in a workbook (sheet province_min_share; min_share and max_share guarantees):
    a percentage typed where a fraction is meant, beyond 1, negative, text, blank - each names its file, sheet,
    row and column and the range (before: "expected less than or equal to 1", "greater than or equal to 0",
    "a valid number", and a blank cell's "a value (minimum share of activity value)", no range); the command
    exits 2 without a traceback; and 0.3 typed as 30 % in a percentage cell reaches the model as the YAML's 0.3."""
    book = tmp_path / "book.xlsx"
    shutil.copy(clean_book, book)
    cases = {  # row -> (its cells, where in the row, what is expected)
        "province_min_share": [
            (["Anhui", 30], "column B (share), field policy.province_min_share.Anhui",
             f"{SHARE}; if 30 is a percentage, write 0.3"),
            (["Fujian", 1.5], "column B (share)", f"{SHARE}; if 1.5 is a percentage, write 0.015"),
            (["Henan", -0.1], "column B (share)", SHARE),
            (["Hubei", "30 %"], "column B (share)", SHARE),
            (["Hunan", None], "column B (share)", "in [0, 1] (0.3 for 30 %)")],
        "guarantees": [
            (["Anhui", None, "min_share", 30], "column D (value)",
             "a share in [0, 1] for min_share, a fraction of the area's value (0.3 for 30 %); if 30 is a percentage, "
             "write 0.3"),
            (["Fujian", None, "min_share", -0.2], "column D (value)", f"at least 0: {GUARANTEE_SHARE}; a value for min_value"),
            (["Henan", None, "max_share", "lots"], "column D (value)", f"a number: {GUARANTEE_SHARE}")]}
    _edit(book, [(sheet, "append", cells) for sheet, rows in cases.items() for cells, _, _ in rows])
    with pytest.raises(InstanceError) as e:
        load_instance(book)
    for sheet, rows in cases.items():
        for i, (cells, where, said) in enumerate(rows):
            hits = [p for p in e.value.problems if p.path.startswith(f"sheet {sheet}, row {i + 2}, {where}")]
            assert hits and hits[0].file == str(book), (cells, [str(p) for p in e.value.problems])
            assert said in hits[0].expected, (cells, hits[0].expected)
    r = runner.invoke(app, ["solve", str(book), "--out", str(tmp_path / "sol"), "-q"])
    out = r.output.replace("\n", "")
    assert r.exit_code == 2 and "Traceback" not in out and f"{book.name}: sheet province_min_share, row 2" in out, out
    # a share typed as 30 % in a percentage cell is 0.3 in the workbook: it reaches the model as the YAML's 0.3
    from yrdopt.data import build_model_data

    shutil.copy(clean_book, book)
    _edit(book, [("province_min_share", "append", ["Anhui", 0.3])])
    wb = load_workbook(book)
    wb["province_min_share"]["B2"].number_format = "0%"
    wb.save(book)
    data = province_instance_dict(outer=True)
    as_yaml = load_instance({**data, "policy": {**(data.get("policy") or {}), "province_min_share": {"Anhui": 0.3}}})
    read = load_instance(book)
    assert read.policy == as_yaml.policy
    got, want = build_model_data(read), build_model_data(as_yaml)
    assert (got.g_paths, got.g_measure) == (want.g_paths, want.g_measure) == (["policy.province_min_share.Anhui"], ["min_share"])
    assert got.g_rhs.tolist() == want.g_rhs.tolist() and (got.g_target == want.g_target).all()


@pytest.fixture(scope="module")
def phased_book(tmp_path_factory):
    return _book(tmp_path_factory.mktemp("phased"), load_instance(_phased_brownfield_instance()))[1]


@pytest.mark.parametrize("edits, where, bad", [
    ([("existing_sites", "D3", -2)], "sheet existing_sites, row 3, column D (activity)", -2),
    ([("existing_sites", "C2", "atlantis")], "sheet existing_sites, row 2, column C (region)", "atlantis"),
    ([("protected_sites", "C2", "anhui")], "sheet protected_sites, row 2", "ic/design in anhui"),
    ([("change_costs", "A3", "mining")], "sheet change_costs, row 3, column A (kind)", "mining"),
    ([("change_budgets", "B3", "Atlantis")], "sheet change_budgets, row 3, column B (province)", "Atlantis"),
    ([("periods", "A5", 2033)], "sheet periods, row 5, column A (year)", 2033),  # before 2035
    ([("period_growth", "A2", 2031)], "sheet period_growth, row 2, column A (year)", 2031),
    ([("period_quotas", "B2", "water")], "sheet period_quotas, row 2, column B (resource)", "water"),
    ([("instance", "append", ["discount_rate", 1.5])], "sheet instance", 1.5),
])
def test_bad_brownfield_or_period_cell_is_named(tmp_path, phased_book, edits, where, bad):
    _assert_cell_named(tmp_path, phased_book, edits, where, bad)


def test_ids_typed_as_numbers_and_padded_text_are_read_as_ids(tmp_path, williams_path):
    d = load_instance(williams_path).model_dump(mode="json", by_alias=True)
    d["regions"][0]["id"] = "320500"  # an adcode-like id, which a planner types as a number
    d["economic_distance"]["matrix"]["regions"][0] = "320500"
    for s in d["chains"][0]["segments"]:
        s["site_cost"] = {("320500" if k == "bristol" else k): v for k, v in s["site_cost"].items()}
    inst, book = _book(tmp_path, load_instance(d))
    _edit(book, [("regions", "A2", 320500), ("regions", "A3", "  brighton  "), ("distance", "B1", 320500.0)])
    back = load_instance(book)
    assert [r.id for r in back.regions] == ["320500", "brighton", "london"]
    assert content_hash(back) == content_hash(inst)


def test_cli_template_solve_and_error_exit(tmp_path, williams_path):
    book = tmp_path / "w.xlsx"
    r = runner.invoke(app, ["template", str(book), "--from", str(williams_path)])
    assert r.exit_code == 0, r.output
    r = runner.invoke(app, ["solve", str(book), "--out", str(tmp_path / "sol"), "-q"])
    assert r.exit_code == 0, r.output
    summary = pd.read_json(tmp_path / "sol" / "summary.json", typ="series")
    assert summary["objective"] == pytest.approx(-14.9, abs=1e-6)  # Williams' published optimum, via Excel
    _edit(book, [("segments", "E4", "lots")])
    r = runner.invoke(app, ["solve", str(book), "--out", str(tmp_path / "sol2"), "-q"])
    assert r.exit_code == 2
    assert "sheet segments, row 4, column E (activity)" in r.output.replace("\n", "")
    r = runner.invoke(app, ["template", str(tmp_path / "empty.xlsx")])
    assert r.exit_code == 0 and (tmp_path / "empty.xlsx").exists()
    # the change budgets in the template's notes, in `yrdopt schema` (the workbench's editor) and in the
    # CLI's words alike: "most sites closed" (before: "most existing sites closed" here, "most activity
    # removed, as a share of today's", untrue after the first milestone)
    notes = {(row[0], row[1]): row[2] for row in load_workbook(tmp_path / "empty.xlsx")["README"].iter_rows(
        values_only=True)}
    schema = runner.invoke(app, ["schema"])
    limits = json.loads(schema.stdout)["$defs"]["ChangeLimits"]["properties"]
    moved = "most activity moved, as a share of the activity before: today's, into a later milestone the milestone before's"
    for field, said in (("max_opened", "most new sites"), ("max_closed", "most sites closed"), ("max_moved_share", moved)):
        assert notes[("change_budgets", field)] == said and limits[field]["description"] == said, (field, notes, limits)
    assert budget_words("brownfield.budget.max_closed", {"brownfield": {"budget": {"max_closed": 6}}}) == \
        "change budget: at most 6 sites closed"


@pytest.mark.parametrize("text, where", [
    ("Hangzhou\r\nBay", "regions[1].name_zh"),  # a workbook gives CR LF back as LF: a different instance
    ("bell\x07", "sheet regions, row 3, column C"),  # a control character no Excel cell can hold
])
def test_template_refuses_what_a_workbook_cannot_give_back(tmp_path, text, where):
    from yrdopt.io import dump_instance

    d = province_instance_dict()
    d["regions"][1]["name_zh"] = text
    src = dump_instance(load_instance(d), tmp_path / "inst.yaml")
    book = tmp_path / "book.xlsx"
    r = runner.invoke(app, ["template", str(book), "--from", str(src)])
    assert r.exit_code == 2, r.output
    squeeze = lambda t: "".join(t.split())  # noqa: E731 (the console wraps long lines anywhere)
    assert squeeze(f"{book}: {where}") in squeeze(r.output), r.output
    assert not book.exists() and not list(tmp_path.glob(".book*"))  # nothing half-written left behind


def test_export_excel_has_one_sheet_per_table(tmp_path, williams_path):
    import yrdopt

    sol = yrdopt.solve(williams_path, out=tmp_path / "sol")
    (tmp_path / "sol" / "prices.csv").write_text("region,resource,price\nbristol,offices,0\n")
    out = tmp_path / "sol.xlsx"
    r = runner.invoke(app, ["export-excel", str(tmp_path / "sol"), str(out)])
    assert r.exit_code == 0, r.output
    sheets = pd.read_excel(out, sheet_name=None)
    assert {"layout", "flows", "expansions", "prices", "summary"} <= set(sheets)
    lay = sheets["layout"]
    assert len(lay) == len(sol.layout)
    assert list(lay["region"]) == list(sol.layout["region"])
    assert list(lay["name_en"]) == [sol.instance.region(r).name_en for r in sol.layout["region"]]
    # chains and segments by name beside their ids (they were ids alone: `ic`, `rd`), in the flows' sheet regions too
    from yrdopt.schema import region_names, segment_names

    segments, regions = segment_names(sol.instance), region_names(sol.instance)
    chains = {c.id: c.name_en or c.id for c in sol.instance.chains}
    assert list(lay.columns[:4]) == ["chain", "chain_name", "segment", "segment_name"], list(lay.columns)
    assert list(lay["chain_name"]) == [chains[c] for c in lay["chain"]]
    assert list(lay["segment_name"]) == [segments[f"{c}/{s}"] for c, s in zip(lay["chain"], lay["segment"])]
    flows = sheets["flows"]
    assert len(flows) > 0
    for col in ("from_region", "to_region"):
        assert list(flows[f"{col}_name"]) == [regions[r] for r in flows[col]], flows.columns
        assert flows.columns.get_loc(f"{col}_name") == flows.columns.get_loc(col) + 1
    assert list(flows["from_segment_name"]) == [segments[f"{c}/{s}"] for c, s in zip(flows["chain"], flows["from_segment"])]
    summ = dict(zip(sheets["summary"]["key"], sheets["summary"]["value"]))
    assert float(summ["objective"]) == pytest.approx(sol.objective)
    assert MATRIX_SHEETS[0] == "distance"

"""One run names every independent mistake of an instance or a workbook — a table's value, a schema
type, a cross-reference and a milestone out of order — each with its place; what follows from one
of them is listed under it, not as a problem of its own (a planner's review: 4 mistakes took 3 runs,
the first showing knock-ons of one mistake as problems of their own)."""

import shutil
import subprocess
import sys
from dataclasses import replace

import pytest
import yaml

import yrdopt
from conftest import ROOT, run_cli
from yrdopt.errors import InstanceError

PROVINCES_2035 = ROOT / "instances" / "yrd-provinces-2035.yaml"
BASELINE = ROOT / "instances" / "yrd-provinces.baseline.csv"


def run_process(*args):
    """The command line as a user runs it (a process of its own: a traceback would show)."""
    return subprocess.run([sys.executable, "-m", "yrdopt.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=600)


def top_level(stderr: str) -> list[str]:
    """The problems the CLI lists (its "  - " lines), without what is listed under each."""
    return [line[4:] for line in stderr.splitlines() if line.startswith("  - ")]


@pytest.fixture
def four_mistakes_yaml(tmp_path):
    """yrd-provinces-2035 with its baseline CSV and one mistake of each stage."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    lines = BASELINE.read_text(encoding="utf-8").splitlines()
    assert lines[1].startswith("ic,rd,shanghai,1,")
    lines[1] = "ic,rd,shanghai,1,lots"  # the table: a value of the CSV side table (row 2)
    (tmp_path / BASELINE.name).write_text("\n".join(lines) + "\n", encoding="utf-8")
    ic = data["chains"][0]
    assert ic["id"] == "ic" and ic["segments"][1]["id"] == "process"
    ic["segments"][1]["activity"] = "a lot"  # the schema: a number's type (ic/process has links and sites)
    assert data["policy"]["guarantees"][1]["province"] == "Shanghai"
    data["policy"]["guarantees"][1]["province"] = "Shangai"  # a cross-reference: no region's province
    assert [m["year"] for m in data["periods"]["milestones"]] == [2025, 2030, 2035]
    data["periods"]["milestones"][0]["year"] = 2052  # 2025 typed 2052: the first milestone is out of order
    path = tmp_path / "four-mistakes.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


YAML_MISTAKES = [
    ("yrd-provinces.baseline.csv: row 2, column activity", "'lots'"),
    ("four-mistakes.yaml: chains[0].segments[1].activity", "'a lot'"),
    ("four-mistakes.yaml: policy.guarantees[1].province", "'Shangai'"),
    ("four-mistakes.yaml: periods.milestones[0].year", "2052"),
]


def test_one_validate_run_names_all_four_mistakes_of_an_instance(four_mistakes_yaml):
    res = run_process("validate", four_mistakes_yaml)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    listed = top_level(res.stderr)
    for where, value in YAML_MISTAKES:
        assert any(where in line and f"got {value}" in line for line in listed), (where, res.stderr)
    # ic/process, left out for its activity, is named by 2 links and 4 of today's sites: they are not
    # mistakes, and nothing else is listed (before: 1 problem, then 1, then 2 in three runs)
    assert len(listed) == 4, res.stderr
    assert "4 problems in the input" in res.stderr
    # the milestone out of order is the one named, with the year it is listed before
    year = next(line for line in listed if "periods.milestones[0].year" in line)
    assert "2052 is listed before 2030 (periods.milestones[1].year)" in year


def test_solve_refuses_the_same_instance_in_one_run(four_mistakes_yaml, tmp_path):
    res = run_cli("solve", four_mistakes_yaml, "--out", tmp_path / "out", "-q")
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    listed = top_level(res.stderr)
    assert len(listed) == 4, res.stderr
    assert not (tmp_path / "out").exists()


def test_a_region_id_misspelt_where_it_is_defined_is_one_problem(tmp_path):
    """Every place that names the region the other way follows from the misspelt definition."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    shutil.copy(BASELINE, tmp_path / BASELINE.name)
    assert data["regions"][0]["id"] == "shanghai"
    data["regions"][0]["id"] = "shanghia"
    path = tmp_path / "misspelt.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(path)
    (problem,) = exc.value.problems
    assert problem.path == "regions[0].id" and problem.value == "shanghia"
    assert "'shanghai'" in problem.expected
    # site costs of every segment, today's sites from the CSV (by their CSV cells), the distance matrices
    assert any(f.startswith("chains[") and ".site_cost.shanghai" in f for f in problem.follows)
    assert any("yrd-provinces.baseline.csv: row " in f for f in problem.follows)
    assert any(f.startswith("economic_distance.components.") for f in problem.follows)
    n = len(problem.follows)
    # one problem, its knock-ons under it, counted in agreement (words.counted; before: "from them")
    assert exc.value.message().startswith(f"1 problem in the input ({n} more follow from it, "), exc.value.message()
    one = InstanceError([replace(problem, follows=problem.follows[:1])])
    assert one.message().startswith("1 problem in the input (1 more follows from it, ") and \
        "1 more problem follows from this one: " in one.message(), one.message()


def test_a_bad_region_id_takes_its_references_under_it():
    """A region id the schema refuses ('jiang su') is one problem; the places that name the region
    ('jiangsu') follow from it."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    data["regions"][1]["id"] = "jiang su"
    data["brownfield"].pop("existing_csv")
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    (problem,) = exc.value.problems
    assert problem.path == "regions[1].id" and problem.value == "jiang su"
    assert any(".site_cost.jiangsu" in f for f in problem.follows)


@pytest.mark.parametrize("years, blamed, said", [
    ([2052, 2030, 2035], 0, "2052 is listed before 2030 (periods.milestones[1].year)"),
    ([2025, 2035, 2030], 2, "2030 is listed after 2035 (periods.milestones[1].year)"),
    ([2025, 2030, 2030], 2, "periods.milestones[1].year is 2030 too"),
])
def test_the_milestone_out_of_order_is_the_one_named(years, blamed, said):
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    data["brownfield"].pop("existing_csv")
    for m, y in zip(data["periods"]["milestones"], years):
        m["year"] = y
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    (problem,) = exc.value.problems
    assert problem.path == f"periods.milestones[{blamed}].year" and problem.value == years[blamed]
    assert said in problem.expected


@pytest.fixture(scope="module")
def workbook(tmp_path_factory):
    path = tmp_path_factory.mktemp("book") / "book.xlsx"
    res = run_cli("template", path, "--from", PROVINCES_2035)
    assert res.returncode == 0, res.stderr
    return path


def edited(workbook, tmp_path, edits):
    """A copy of ``workbook`` with each (sheet, column name, row -> value) edit, checked first."""
    from openpyxl import load_workbook

    wb = load_workbook(workbook)
    for sheet, column, row, before, value in edits:
        ws = wb[sheet]
        col = next(c.column for c in ws[1] if c.value == column)
        assert ws.cell(row, col).value == before, (sheet, column, row, ws.cell(row, col).value)
        ws.cell(row, col).value = value
    path = tmp_path / "four-mistakes.xlsx"
    wb.save(path)
    return path


def test_one_run_names_all_four_mistakes_of_a_workbook(workbook, tmp_path):
    from openpyxl import load_workbook

    wb = load_workbook(workbook)
    seg_row = next(r for r in range(2, wb["segments"].max_row + 1)
                   if (wb["segments"].cell(r, 1).value, wb["segments"].cell(r, 2).value) == ("ic", "process"))
    site_row = 2
    assert [c.value for c in wb["existing_sites"][site_row]][:3] == ["ic", "rd", "shanghai"]
    path = edited(workbook, tmp_path, [
        ("existing_sites", "activity", site_row, wb["existing_sites"].cell(site_row, 4).value, True),  # the table
        ("segments", "activity", seg_row, wb["segments"].cell(seg_row, 5).value, "a lot"),  # the schema
        ("guarantees", "province", 3, "Shanghai", "Shangai"),  # a cross-reference
        ("periods", "year", 2, 2025, 2052),  # the first milestone out of order
    ])
    res = run_cli("validate", path)
    assert res.returncode == 2, res.stderr
    assert "Traceback" not in res.stderr + res.stdout
    listed = top_level(res.stderr)
    for where, value in [
        (f"sheet existing_sites, row {site_row}, column D (activity)", "True"),
        (f"sheet segments, row {seg_row}, column E (activity)", "'a lot'"),
        ("sheet guarantees, row 3, column A (province)", "'Shangai'"),
        ("sheet periods, row 2, column A (year)", "2052"),
    ]:
        assert any(where in line and f"got {value}" in line for line in listed), (where, res.stderr)
    # TRUE in the activity cell is reported once (not also as a blank required cell, nor by the
    # schema as missing); ic/process's links and sites are not mistakes
    assert len(listed) == 4, res.stderr
    year = next(line for line in listed if "sheet periods" in line)
    assert "2052 is listed before 2030" in year

    res = run_cli("solve", path, "--out", tmp_path / "out", "-q")
    assert res.returncode == 2 and "Traceback" not in res.stderr and len(top_level(res.stderr)) == 4, res.stderr


def test_a_region_misspelt_in_sheet_regions_is_one_problem_with_its_knock_ons_under_it(workbook, tmp_path):
    path = edited(workbook, tmp_path, [("regions", "id", 2, "shanghai", "shanghia")])
    res = run_cli("validate", path)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    listed = top_level(res.stderr)
    assert len(listed) == 1, res.stderr
    assert "sheet regions, row 2, column A (id): got 'shanghia'; expected 'shanghai'" in listed[0]
    # the quotas, site costs, today's sites and the distance sheets follow from it, said under it
    under = res.stderr.split(listed[0], 1)[1]
    assert "follow from this one: sheet quotas, row 2, column A (region)" in under


def test_a_segment_row_under_an_unknown_chain_takes_the_places_naming_the_segment_under_it(workbook, tmp_path):
    """Sheet segments' ic/process typed under chain 'icc': its row was one problem, the 13 places
    naming ic/process another (the site costs, resource use, links, policy rows) and each sources
    row naming it one more; they follow from the row, which left the segment out."""
    from openpyxl import load_workbook

    ws = load_workbook(workbook)["segments"]
    row = next(r for r in range(2, ws.max_row + 1) if (ws.cell(r, 1).value, ws.cell(r, 2).value) == ("ic", "process"))
    path = edited(workbook, tmp_path, [("segments", "chain", row, "ic", "icc")])
    res = run_cli("validate", path)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    listed = top_level(res.stderr)
    assert len(listed) == 1, res.stderr
    assert f"sheet segments, row {row}, column A (chain): got 'icc'; expected a chain id listed in sheet chains" in listed[0]
    under = res.stderr.split(listed[0], 1)[1]
    assert "more problems follow from this one: sheet site_costs, row " in under, res.stderr
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(path)
    (problem,) = exc.value.problems
    sheets = {f.split(",")[0] for f in problem.follows}
    assert {"sheet site_costs", "sheet resource_use", "sheet links", "sheet sources"} <= sheets, problem.follows


@pytest.mark.parametrize("sheet", ["regions", "chains"])
def test_a_workbook_without_its_regions_or_chains_sheet_still_names_the_milestone_out_of_order(workbook, tmp_path, sheet):
    """Without sheet regions (chains) the cross-checks were skipped and every row naming a region
    (chain) was a problem of its own: the missing sheet and the milestone are the two problems."""
    from openpyxl import load_workbook

    wb = load_workbook(workbook)
    del wb[sheet]
    assert wb["periods"].cell(2, 1).value == 2025
    wb["periods"].cell(2, 1).value = 2052
    path = tmp_path / f"no-{sheet}.xlsx"
    wb.save(path)
    res = run_cli("validate", path)
    assert res.returncode == 2 and "Traceback" not in res.stderr, res.stderr
    listed = top_level(res.stderr)
    assert len(listed) == 2, res.stderr
    assert f"sheet {sheet}: got 'no such sheet'" in listed[0]
    assert "sheet periods, row 2, column A (year): got 2052; expected milestone years in increasing order" in listed[1]


def test_a_cross_check_that_reads_a_field_left_out_is_not_run():
    """A longitude the schema refuses is one problem, not also "both lon and lat, or neither"."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    data["brownfield"].pop("existing_csv")
    data["regions"][2]["lon"] = "east"
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    assert [(p.path, p.value) for p in exc.value.problems] == [("regions[2].lon", "east")]


def test_a_bad_distance_component_in_its_csv_is_one_problem(tmp_path):
    outer = ROOT / "instances" / "yrd-outer.yaml"
    shutil.copy(outer, tmp_path / outer.name)
    shutil.copy(outer.with_suffix(".baseline.csv"), tmp_path)
    lines = (ROOT / "instances" / "yrd-outer.components.csv").read_text(encoding="utf-8").splitlines()
    head, row = lines[0].split(","), lines[2].split(",")
    assert row[:2] == ["shanghai", "jiangsu"]  # a pair of two regions (the diagonal may be left out)
    row[head.index("time")] = "slow"
    lines[2] = ",".join(row)
    (tmp_path / "yrd-outer.components.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(tmp_path / outer.name)
    (problem,) = exc.value.problems  # not also "1 missing pairs" of the time component
    assert problem.path == "row 3, column time" and problem.value == "slow"


def three_mistakes(missing: str) -> dict:
    """yrd-provinces-2035 without ``missing`` (a part the schema cannot leave out) and with three
    mistakes the cross-checks find: one needs nothing, one the chains, one the regions."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    data["brownfield"].pop("existing_csv")
    data.pop(missing)
    data["periods"]["milestones"][0]["year"] = 2052  # needs nothing
    data["periods"]["milestones"][1]["growth"]["semis"] = 1.5  # needs the chains (no chain is 'semis')
    assert data["policy"]["guarantees"][1]["province"] == "Shanghai"
    data["policy"]["guarantees"][1]["province"] = "Shangai"  # needs the regions (their provinces)
    return data


@pytest.mark.parametrize("missing, found", [
    ("regions", ["regions", "periods.milestones[0].year", "periods.milestones[1].growth.semis"]),
    ("chains", ["chains", "periods.milestones[0].year", "policy.guarantees[1].province"]),
    ("economic_distance", ["economic_distance", "periods.milestones[0].year", "periods.milestones[1].growth.semis",
                           "policy.guarantees[1].province"]),
    ("name", ["name", "periods.milestones[0].year", "periods.milestones[1].growth.semis",
              "policy.guarantees[1].province"]),
])
def test_a_missing_part_skips_only_the_cross_checks_that_need_it(missing, found):
    """Without regions, chains or a distance every cross-check was skipped: the milestone out of
    order showed only in the run after the missing part was given.  What cannot be checked without
    it is not reported (no region is known: no province or region id is unknown)."""
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(three_mistakes(missing))
    assert sorted(p.path for p in exc.value.problems) == sorted(found), exc.value.message()
    (said,) = [p for p in exc.value.problems if p.path == missing]
    assert "required" in said.expected


def test_all_regions_refused_is_one_problem_each_and_the_cross_checks_still_run():
    """Every region refused by the schema leaves no region: the milestone out of order is still named,
    and nothing that names a region is (before: only the regions' own problems)."""
    data = three_mistakes("name")
    data["name"] = "all regions wrong"
    for r in data["regions"]:
        r["kind"] = "county"
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    paths = sorted(p.path for p in exc.value.problems)
    assert paths == sorted([f"regions[{i}].kind" for i in range(len(data["regions"]))]
                           + ["periods.milestones[0].year", "periods.milestones[1].growth.semis"]), exc.value.message()


def test_a_coefficient_too_large_for_the_solver_is_named_beside_other_cross_check_problems():
    """The product check ran only when no other cross-check found anything: weights.distance x
    transport_intensity x distance above what HiGHS accepts showed only after the milestone was fixed."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    data["brownfield"].pop("existing_csv")
    data["weights"]["distance"] = 1e9
    data["chains"][0]["links"][0]["transport_intensity"] = 1e9
    data["periods"]["milestones"][0]["year"] = 2052
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    paths = sorted(p.path for p in exc.value.problems)
    assert paths == ["chains[0].links[0].transport_intensity", "periods.milestones[0].year"], exc.value.message()
    (product,) = [p for p in exc.value.problems if p.path.startswith("chains[0]")]
    assert "the largest coefficient the solver accepts" in product.expected


def test_a_product_is_not_checked_from_a_link_that_names_another_chain():
    """A link naming another chain's segment is its own problem; its volume is not multiplied by the
    activity of this chain's segment of that id (a guard: the product check now runs beside others)."""
    data = yaml.safe_load(PROVINCES_2035.read_text(encoding="utf-8"))
    data["brownfield"].pop("existing_csv")
    ic = data["chains"][0]
    assert ic["links"][0] == {"from": "rd", "to": "process", "volume_per_unit": 1.0, "transport_intensity": 0.5}
    assert ic["segments"][0]["id"] == "rd"
    ic["segments"][0]["activity"] = 1e9  # ic/rd: 1e9 x 1e9 / ic/process's activity, were it read
    ic["links"][0]["from"] = "aircraft/rd"  # not a segment of ic
    ic["links"][0]["volume_per_unit"] = 1e9
    with pytest.raises(InstanceError) as exc:
        yrdopt.load_instance(data)
    assert [p.path for p in exc.value.problems] == ["chains[0].links[0].from"], exc.value.message()

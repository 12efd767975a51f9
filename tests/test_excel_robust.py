"""Issue 12, case 9: a workbook with a part missing is an error naming the sheet (not an empty
default); TRUE in a numeric cell is an error; a formula without a saved result is named by its cell."""

import pytest
from openpyxl import load_workbook

from yrdopt.errors import InstanceError
from yrdopt.excel import read_workbook, write_workbook
from yrdopt.io import load_instance
from conftest import DATA, run_cli

WILLIAMS = DATA / "williams_decentralization.yaml"


@pytest.fixture
def book(tmp_path):
    p = tmp_path / "book.xlsx"
    write_workbook(load_instance(WILLIAMS), p)
    return p


def edit(path, fn):
    wb = load_workbook(path)
    fn(wb)
    wb.save(path)


def problems(path):
    with pytest.raises(InstanceError) as exc:
        read_workbook(path)
    return [str(p) for p in exc.value.problems]


@pytest.mark.parametrize("sheet", ["quotas", "links", "regions", "weights"])
def test_a_missing_sheet_is_an_error_naming_it(book, sheet):
    edit(book, lambda wb: wb.remove(wb[sheet]))
    got = problems(book)
    assert any(f"sheet {sheet}" in p and "no such sheet" in p for p in got), got


def test_a_missing_distance_component_sheet_is_an_error(tmp_path):
    p = tmp_path / "c.xlsx"
    write_workbook(load_instance(DATA / "toy_features.yaml"), p)  # distance given by its three components
    edit(p, lambda wb: wb.remove(wb["distance_labour"]))
    got = problems(p)
    assert any("sheet distance_labour" in p and "no such sheet" in p for p in got), got


def test_true_in_a_numeric_cell_is_an_error(book):
    def put(wb):
        ws = wb["segments"]
        col = [c.value for c in ws[1]].index("activity") + 1
        ws.cell(row=3, column=col, value=True)
    edit(book, put)
    got = problems(book)
    assert any("sheet segments, row 3" in p and "(activity)" in p and "TRUE" in p for p in got), got


def test_a_formula_without_a_saved_result_is_named_by_its_cell(book):
    def put(wb):
        ws = wb["segments"]
        col = [c.value for c in ws[1]].index("activity") + 1
        ws.cell(row=2, column=col, value="=2*0.5")  # openpyxl saves the formula, not its result
    edit(book, put)
    got = problems(book)
    assert any("sheet segments, row 2" in p and "=2*0.5" in p and "formula" in p for p in got), got
    res = run_cli("validate", book)
    assert res.returncode == 2 and "formula" in res.stderr and "Traceback" not in res.stderr


def test_a_huge_number_in_a_cell_is_named_with_the_range(book):
    def put(wb):
        ws = wb["segments"]
        col = [c.value for c in ws[1]].index("activity") + 1
        ws.cell(row=2, column=col, value=1e308)
    edit(book, put)
    got = problems(book)
    assert any("sheet segments, row 2" in p and "(activity)" in p and "1e+09" in p for p in got), got


def test_an_empty_template_is_explained_in_the_planners_words(tmp_path):
    """A fresh template said "got []; expected List should have at least 1 item after validation,
    not 0" (pydantic's words), and "sheet instance, row 2, column B (value): got 'nothing'"
    without naming the field."""
    p = tmp_path / "book.xlsx"
    assert run_cli("template", p).returncode == 0
    res = run_cli("validate", p)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    out = " ".join(res.stderr.split())
    assert "sheet regions: got no region; expected at least one region" in out, out
    assert "sheet chains: got no chain; expected at least one chain" in out, out
    assert "sheet instance, row 2, column B (value), field name: got nothing; expected a value for name" in out, out
    assert "List should" not in out and "'nothing'" not in out

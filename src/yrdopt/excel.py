"""Instances in Excel: a template, a reader with cell-level errors, a writer; solutions out.

One sheet per part of the schema (see :data:`SHEETS`); every sheet is a plain table with its
column names in row 1, except the distance sheets, which are square matrices (region ids in
row 1 and column A).  :func:`read_workbook` returns the same nested dict as a YAML instance
and runs the same validation (pydantic + :func:`yrdopt.schema.cross_check`), translating every
field path back to the sheet, row and column it came from::

    book.xlsx: sheet regions, row 5, column F (lon): got 'east'; expected a valid number

Blank cells mean "not given" (the schema's default applies).  A sheet named README (the
template's notes) is ignored.
"""

from __future__ import annotations

import dataclasses
import json
import math
import re
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import InstanceError, Problem
from .io import _expected, _got, format_loc
from .schema import DISTANCE_COMPONENTS, TERMS, Instance
from .validation import path_loc as parse_path
from .validation import closest_id, schema_stage, settle
from .words import BUDGET_DESCRIPTIONS, SHARE_EXAMPLE


@dataclass(frozen=True)
class Column:
    name: str
    kind: str = "str"  # str (an id: trimmed), text (kept as typed), any, num, int, bool
    required: bool = False
    help: str = ""


def _cols(*specs: tuple) -> list[Column]:
    return [Column(*s) for s in specs]


SEG_KEY = (("chain", "str", True, "chain id (sheet chains)"), ("segment", "str", True, "segment id (sheet segments)"))
# sheet -> columns, in the order they are written.  Long form ("one row per value") wherever the
# schema has a mapping, so that every number has its own cell and its own error location.
SHEETS: dict[str, list[Column]] = {
    "instance": _cols(("field", "str", True, "name, description, distance_unit, component_weight_<cost|time|labour>, "
                                             "min_kept_share (brownfield), discount_rate, min_run_years (periods)"),
                      ("value", "any", False, "its value")),
    "resources": _cols(("id", "str", True, "resource id (land, energy, talent...)"), ("unit", "text"),
                       ("description", "text")),
    "regions": _cols(("id", "str", True, "region id, letters/digits/_.-"), ("name_en", "text", True, "English name"),
                     ("name_zh", "text", False, "Chinese name"), ("province", "str", True, "province it rolls up to"),
                     ("kind", "str", True, "province, city or outer"), ("lon", "num", False, "longitude, degrees"),
                     ("lat", "num", False, "latitude, degrees")),
    "quotas": _cols(("region", "str", True, "region id"), ("resource", "str", True, "resource id"),
                    ("quota", "num", True, "cap on the resource; a resource not listed is unlimited")),
    "expansions": _cols(("region", "str", True, "region id"), ("option", "str", True, "option id (one row per resource)"),
                        ("fixed_cost", "num", False, "cost of taking the option (first row of the option)"),
                        ("description", "text"), ("resource", "str", False, "resource the option adds quota of"),
                        ("extra_quota", "num", False, "quota added")),
    "chains": _cols(("id", "str", True, "chain id"), ("name_en", "text"), ("name_zh", "text")),
    "segments": _cols(("chain", "str", True, "chain id"), ("id", "str", True, "segment id"), ("name", "text"),
                      ("kind", "str", False, "rd, manufacturing, testing or any kind"),
                      ("activity", "num", True, "activity that must exist in the whole area"), ("unit", "text"),
                      ("value_per_unit", "num"), ("site_cost_default", "num"), ("fixed_cost", "num"),
                      ("min_scale", "num"), ("single_site", "bool"), ("duplication_tolerance", "int")),
    "resource_use": _cols(*SEG_KEY, ("region", "str", False, "blank = every region"), ("resource", "str", True),
                          ("use", "num", True, "use per unit of activity")),
    "site_costs": _cols(*SEG_KEY, ("region", "str", True), ("site_cost", "num", True, "cost per unit of activity")),
    "fixed_costs": _cols(*SEG_KEY, ("region", "str", True), ("fixed_cost", "num", True, "cost of a site there")),
    "links": _cols(("chain", "str", True), ("from", "str", True, "upstream segment id"),
                   ("to", "str", True, "downstream segment id"), ("volume_per_unit", "num", True),
                   ("transport_intensity", "num")),
    "policy_fixed": _cols(*SEG_KEY, ("region", "str", True, "segment must have a site here")),
    "policy_forbidden": _cols(*SEG_KEY, ("region", "str", True, "segment may not sit here")),
    "site_limits": _cols(*SEG_KEY, ("min_sites", "int"), ("max_sites", "int")),
    "province_min_share": _cols(("province", "str", True), ("share", "num", True, f"minimum share of the area's activity value, in [0, 1] {SHARE_EXAMPLE}")),
    "weights": _cols(("term", "str", True, ", ".join(TERMS)), ("weight", "num", True)),
    "site_footprints": _cols(*SEG_KEY, ("region", "str", False, "blank = every region"), ("resource", "str", True),
                             ("footprint", "num", True, "use of an open site, whatever its activity")),
    "enclaves": _cols(("id", "str", True, "park id"), ("host", "str", True, "region whose land and quotas it uses"),
                      ("partner", "str", True, "region credited a share of its value"), ("capacity", "num", True),
                      ("fixed_cost", "num"), ("cost_split_host", "num"), ("cost_split_partner", "num"),
                      ("value_split_host", "num", False, "declared split (or factor inputs)"),
                      ("value_split_partner", "num"), ("factor_input_host", "num", False, "split by factor inputs"),
                      ("factor_input_partner", "num"), ("kinds", "text", False, "segment kinds it may host, comma-separated"),
                      ("existing", "bool"), ("description", "text"),
                      ("name", "text", False, "the name planners know it by (blank: its host's and partner's names)")),
    "enclave_quotas": _cols(("park", "str", True, "park id (sheet enclaves)"), ("resource", "str", True),
                            ("extra_quota", "num", True, "quota the park adds to its host")),
    "guarantees": _cols(("province", "str", False, "province guaranteed (or region)"), ("region", "str", False),
                        ("measure", "str", True, "min_share, max_share, min_value or min_chains"),
                        ("value", "num", True, f"share in [0, 1] {SHARE_EXAMPLE}, value, or number of chains"),
                        ("kinds", "text", False, "segment kinds counted, comma-separated (blank: all)"),
                        ("penalty", "num", False, "cost per unit short (blank: hard)"), ("description", "text")),
    # brownfield: today's sites and the rules for changing them (any row here, or min_kept_share on
    # sheet instance, makes the instance brownfield)
    "existing_sites": _cols(*SEG_KEY, ("region", "str", True, "region the site is in today"),
                            ("activity", "num", True, "today's activity at the site"),
                            ("capacity", "num", False, "most activity the site can run (blank: no limit of its own)"),
                            ("min_scale", "num", False, "least activity while open (blank: the segment's)"),
                            ("opened", "int", False, "year the site opened")),
    "protected_sites": _cols(*SEG_KEY, ("region", "str", True, "an existing site that may not close")),
    "change_costs": _cols(("kind", "str", False, "segment kind (blank: every kind, the defaults)"),
                          ("close_per_site", "num", False, "cost of closing an existing site"),
                          ("shrink_per_unit", "num", False, "cost per unit of activity removed from an existing site")),
    "change_budgets": _cols(("year", "int", False, "milestone year of sheet periods (blank: the brownfield budget)"),
                            ("province", "str", False, "province with its own limits (blank: the whole area)"),
                            *((f, kind, False, BUDGET_DESCRIPTIONS[f]) for f, kind in
                              (("max_opened", "int"), ("max_closed", "int"), ("max_moved_share", "num")))),
    # milestone periods (any row here makes the instance phased)
    "periods": _cols(("year", "int", True, "milestone year, increasing"),
                     ("years", "int", False, "years its running costs count (blank: to the next milestone)")),
    "period_growth": _cols(("year", "int", True, "milestone year (sheet periods)"), ("chain", "str", True),
                           ("growth", "num", True, "chain activity relative to the segments' activity")),
    "period_quotas": _cols(("year", "int", True, "milestone year (sheet periods)"), ("resource", "str", True),
                           ("quota_factor", "num", True, "every quota of the resource times this")),
    "sources": _cols(("part", "str", True, "instance, region, chain, segment, enclave, guarantee (its row number), "
                                           "brownfield, periods or period (its year)"),
                     ("id", "str", False, "region id, chain id or chain/segment"), ("field", "str", True),
                     ("source", "text", True)),
}
MATRIX_SHEETS = ["distance"] + [f"distance_{c}" for c in DISTANCE_COMPONENTS]
IGNORED_SHEETS = {"readme"}
INSTANCE_FIELDS = ["name", "description", "distance_unit"] + [f"component_weight_{c}" for c in DISTANCE_COMPONENTS]
# instance-sheet fields of the brownfield and periods sections: field -> its path in the instance
PLAN_FIELDS = {"min_kept_share": ("brownfield", "min_kept_share"), "discount_rate": ("periods", "discount_rate"),
               "min_run_years": ("periods", "min_run_years")}
INSTANCE_FIELDS += list(PLAN_FIELDS)
SOURCE_PARTS = ("instance", "region", "chain", "segment", "enclave", "guarantee", "brownfield", "periods", "period")


@dataclass(frozen=True)
class Cell:
    sheet: str
    row: int | None = None
    column: int | None = None  # 1-based
    header: str = ""

    def where(self) -> str:
        out = f"sheet {self.sheet}"
        if self.row is not None:
            out += f", row {self.row}"
        if self.column is not None:
            out += f", column {_letter(self.column)}" + (f" ({self.header})" if self.header else "")
        return out


def _letter(col: int) -> str:
    from openpyxl.utils import get_column_letter

    return get_column_letter(col)


class _Locations:
    """Field path (a pydantic loc tuple) -> the cell it was read from (and its key cell)."""

    def __init__(self) -> None:
        self.value: dict[tuple, Cell] = {}
        self.key: dict[tuple, Cell] = {}

    def set(self, loc: tuple, cell: Cell, key: Cell | None = None) -> None:
        self.value[loc] = cell
        if key is not None:
            self.key[loc] = key

    def find(self, loc: tuple, prefer_key: bool = False) -> Cell | None:
        for n in range(len(loc), -1, -1):
            sub = tuple(loc[:n])
            if prefer_key and sub in self.key:
                return self.key[sub]
            if sub in self.value:
                return self.value[sub]
        return None


# ----------------------------------------------------------------------------- reading
class _Reader:
    def __init__(self, path: Path) -> None:
        from openpyxl import load_workbook

        self.file = str(path)
        self.problems: list[Problem] = []
        self.locs = _Locations()
        try:
            self.wb = load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a file that is not a workbook
            raise InstanceError([Problem(self.file, "", type(exc).__name__,
                                         f"an Excel .xlsx workbook ({exc})")]) from None
        self.sheets: dict[str, Any] = {}
        for ws in self.wb.worksheets:
            key = ws.title.strip().lower().replace(" ", "_")
            if key in IGNORED_SHEETS:
                continue
            if key not in SHEETS and key not in MATRIX_SHEETS:
                self.bad(Cell(ws.title), ws.title, f"a sheet of the template ({', '.join([*SHEETS, *MATRIX_SHEETS])})")
                continue
            self.sheets[key] = ws
        # a missing sheet is a mistake, not "none": without its quotas sheet every quota would be
        # unlimited (the template writes every sheet; an empty table keeps just its header row)
        for name in SHEETS:
            if name not in self.sheets:
                self.bad(Cell(name), "no such sheet", f"a sheet named {name} (every sheet of `yrdopt template`; "
                                                      "keep only its header row if it has no rows)")
        comps = [f"distance_{c}" for c in DISTANCE_COMPONENTS]
        if "distance" not in self.sheets and not any(c in self.sheets for c in comps):
            self.bad(Cell("distance"), "no such sheet", f"a sheet named distance, or the sheets {', '.join(comps)}")
        elif any(c in self.sheets for c in comps):
            for c in comps:
                if c not in self.sheets:
                    self.bad(Cell(c), "no such sheet", f"a sheet named {c} (economic distance given by components "
                                                       f"needs all of {', '.join(comps)})")
        self.formulas = self._formula_rows(path)

    def _formula_rows(self, path: Path) -> dict[str, list[tuple]]:
        """Sheet title -> its rows as formulas, for the sheets that hold any.

        The values view (``data_only``) shows a formula's result as saved by the program that
        last computed it; a workbook written by a script has no saved results, and such a cell
        reads as blank.  The formulas view tells those apart from blank cells."""
        import zipfile

        try:
            with zipfile.ZipFile(path) as z:
                if not any(b"<f" in z.read(n) for n in z.namelist() if n.startswith("xl/worksheets/")):
                    return {}
        except (OSError, zipfile.BadZipFile, KeyError):
            return {}
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=False)
        try:
            return {ws.title: _rows(ws, self) for ws in wb.worksheets if ws.title in {s.title for s in self.sheets.values()}}
        finally:
            wb.close()

    def values(self, ws) -> list[tuple]:
        """The sheet's rows (values), a formula without a saved result reported by its cell."""
        rows = _rows(ws, self)
        forms = self.formulas.get(ws.title)
        if forms:
            for i, (row, frow) in enumerate(zip(rows, forms), start=1):
                for j, (v, f) in enumerate(zip(row, frow), start=1):
                    if v is None and isinstance(f, str) and f.startswith("="):
                        self.bad(Cell(ws.title, i, j), f, "a value: the cell holds a formula with no saved result "
                                 "(open and save the workbook in Excel or LibreOffice, or type the value)")
        return rows

    def bad(self, cell: Cell, value: Any, expected: str, ref: str | tuple[str, str] | None = None,
            defines: tuple[str, str] | None = None) -> None:
        """``ref``: the kind of id ``value`` names but no row defines, or (kind, id) where the value shows
        more than the id (grouped by :mod:`yrdopt.validation`); ``defines``: what the row would have
        defined (:attr:`Problem.defines`)."""
        ref = (ref, str(value)) if isinstance(ref, str) else ref
        self.problems.append(Problem(self.file, cell.where(), value, expected, ref=ref, defines=defines))

    def table(self, name: str) -> list[dict[str, tuple[Any, Cell]]]:
        """Rows of a table sheet as column -> (value, cell); blank rows skipped."""
        ws = self.sheets.get(name)
        if ws is None:
            return []
        cols = {c.name: c for c in SHEETS[name]}
        rows = self.values(ws)
        if not rows:
            return []
        header: dict[int, str] = {}
        for j, h in enumerate(rows[0], start=1):
            if h is None or str(h).strip() == "":
                continue
            key = str(h).strip().lower().replace(" ", "_")
            if key not in cols:
                self.bad(Cell(ws.title, 1, j, str(h)), h, f"a column of sheet {name} ({', '.join(cols)})")
                continue
            header[j] = key
        missing = [c for c, spec in cols.items() if spec.required and c not in header.values()]
        if missing:
            self.bad(Cell(ws.title, 1), [h for h in rows[0] if h is not None], f"columns {missing} in row 1")
            return []
        out = []
        for i, row in enumerate(rows[1:], start=2):
            rec: dict[str, tuple[Any, Cell]] = {}
            said: set[str] = set()  # cells already reported (TRUE in a number's cell is not also "blank")
            for j, key in header.items():
                v = row[j - 1] if j - 1 < len(row) else None
                if isinstance(v, bool) and cols[key].kind in ("num", "int"):  # TRUE would read as 1
                    self.bad(Cell(ws.title, i, j, key), v, "a number (TRUE and FALSE are not numbers)")
                    said.add(key)
                    v = None
                rec[key] = (_clean(v, cols[key].kind), Cell(ws.title, i, j, key))
            if all(v is None for v, _ in rec.values()):
                continue
            for key, spec in cols.items():
                if key in rec and spec.required and rec[key][0] is None and key not in said:
                    self.bad(rec[key][1], None, f"a value ({spec.help or key}); the column is required")
            out.append(rec)
        return out

    def matrix(self, name: str) -> dict | None:
        ws = self.sheets.get(name)
        if ws is None:
            return None
        rows = self.values(ws)
        if not rows:
            return None
        head = list(rows[0][1:])
        while head and (head[-1] is None or str(head[-1]).strip() == ""):
            head.pop()
        ids = [_clean(h, "str") for h in head]
        mloc = ("economic_distance", "matrix") if name == "distance" else ("economic_distance", "components", name.split("_", 1)[1])
        self.locs.set(mloc, Cell(ws.title))
        for j, rid in enumerate(ids):
            self.locs.set((*mloc, "regions", j), Cell(ws.title, 1, j + 2, "region id"))
        values = []
        body = [(i, r) for i, r in enumerate(rows[1:], start=2) if any(v is not None and str(v).strip() != "" for v in r)]
        for k, (i, r) in enumerate(body):
            rid = _clean(r[0], "str") if r else None
            if k >= len(ids) or rid != ids[k]:
                self.bad(Cell(ws.title, i, 1, "region id"), rid,
                         f"the region ids of row 1 in the same order ({ids[k] if k < len(ids) else 'no more rows'})")
            vals = [(_clean(r[j + 1], "num") if j + 1 < len(r) else None) for j in range(len(ids))]
            for j, v in enumerate(vals):
                if isinstance(v, bool):
                    self.bad(Cell(ws.title, i, j + 2, f"{rid} -> {ids[j]}"), v, "a number (TRUE and FALSE are not numbers)")
                    vals[j] = None
            for j in range(len(ids)):
                self.locs.set((*mloc, "values", k, j), Cell(ws.title, i, j + 2, f"{rid} -> {ids[j]}"))
            self.locs.set((*mloc, "values", k), Cell(ws.title, i))
            values.append(vals)
        return {"regions": ids, "values": values}


def _rows(ws, rd: "_Reader") -> list[tuple]:
    """All rows of a sheet, at most MAX_ENTRIES cells (a small .xlsx can unpack to millions)."""
    from .limits import MAX_ENTRIES

    out, cells = [], 0
    for row in ws.iter_rows(values_only=True):
        cells += len(row)
        if cells > MAX_ENTRIES:
            rd.bad(Cell(ws.title), f"more than {MAX_ENTRIES:,} cells", f"at most {MAX_ENTRIES:,} cells per sheet "
                                                                       "(yrdopt's input limit)")
            break
        out.append(row)
    return out


def _clean(v: Any, kind: str) -> Any:
    if isinstance(v, str):
        if v.strip() == "":
            return None
        # ids and numbers are trimmed; free text (descriptions, sources) is kept as typed
        return v if kind in ("text", "any") else v.strip()
    if v is None:
        return None
    if kind in ("str", "text") and not isinstance(v, str):
        # an id typed as a number (320500) or read as a float (320500.0) is the text "320500"
        if isinstance(v, float) and v.is_integer():
            return str(int(v))
        return str(v)
    return v


def read_workbook(path: str | Path) -> dict:
    """Read an instance workbook into the nested dict a YAML instance gives; validate it.

    Raises :class:`InstanceError` whose problems name the sheet, row and column of each bad cell.
    """
    path = Path(path)
    rd = _Reader(path)
    data = _assemble(rd)
    validate_workbook_dict(data, rd.locs, rd.file, rd.problems)
    return data


def validate_workbook_dict(data: dict, locs: _Locations, file: str, table_problems: list[Problem] = ()) -> Instance:
    """The YAML validation (the sheets', pydantic's, cross_check's problems at once, knock-ons folded:
    :mod:`yrdopt.validation`), with paths turned into cells."""

    def word(err: dict) -> Problem:
        loc = tuple(err["loc"])
        cell = locs.find(loc, prefer_key=err["type"] == "extra_forbidden")
        value = loc[-1] if err["type"] == "extra_forbidden" and loc else _got(err)
        return Problem(file, _where(cell, loc), value, _expected(err))

    def in_cells(p: Problem) -> Problem:
        loc = parse_path(p.path)
        # a problem about a mapping's key (an unknown region or resource) points at the key's cell
        cell = locs.find(loc, prefer_key=bool(loc) and isinstance(p.value, str) and p.value == loc[-1])
        return dataclasses.replace(p, path=_where(cell, loc))

    stage = schema_stage(data, file, word)
    if stage.instance is not None and not table_problems and not stage.cross_problems:
        return stage.instance
    problems = settle(list(table_problems), stage.schema_problems, [in_cells(p) for p in stage.cross_problems],
                      stage, lambda loc: (file, _where(locs.find(loc), loc)))
    raise InstanceError(problems)


def _where(cell: Cell | None, loc: tuple) -> str:
    """The cell, and the field it holds where its column header does not say (the instance sheet's
    ``value`` column holds name, description, ...)."""
    if cell is None:
        return f"(field {format_loc(loc)})"
    named = any(str(p) == cell.header for p in loc if isinstance(p, str))
    return cell.where() if cell.row is None or named or not loc else f"{cell.where()}, field {format_loc(loc)}"


def _assemble(rd: _Reader) -> dict:
    L = rd.locs
    data: dict[str, Any] = {}
    # instance-level fields
    ed: dict[str, Any] = {}
    for rec in rd.table("instance"):
        field, fcell = rec["field"]
        value, vcell = rec.get("value", (None, fcell))
        if field is None:
            continue
        f = field.strip().lower()
        if f in ("name", "description"):
            if value is not None:
                data[f] = str(value)
            L.set((f,), vcell)
        elif f == "distance_unit":
            if value is not None:
                ed["unit"] = str(value)
            L.set(("economic_distance", "unit"), vcell)
        elif f in PLAN_FIELDS:
            section, key = PLAN_FIELDS[f]
            if value is not None:
                data.setdefault(section, {})[key] = value
            L.set((section, key), vcell)
        elif f.startswith("component_weight_") and f[len("component_weight_"):] in DISTANCE_COMPONENTS:
            comp = f[len("component_weight_"):]
            if value is not None:
                ed.setdefault("component_weights", {})[comp] = value
            L.set(("economic_distance", "component_weights", comp), vcell, fcell)
        else:
            rd.bad(fcell, field, f"one of {', '.join(INSTANCE_FIELDS)}")
    L.set(("name",), L.value.get(("name",), Cell("instance")))

    def fill(target: dict, rec: dict, loc: tuple, skip: tuple = ()) -> None:
        for col, (v, cell) in rec.items():
            if col in skip:
                continue
            L.set((*loc, col), cell)
            if v is not None:
                target[col] = v

    data["resources"] = []
    L.set(("resources",), Cell("resources"))
    for i, rec in enumerate(rd.table("resources")):
        item: dict = {}
        L.set(("resources", i), Cell(rec["id"][1].sheet, rec["id"][1].row))
        fill(item, rec, ("resources", i))
        data["resources"].append(item)

    # regions, then their quotas and expansions
    data["regions"] = []
    L.set(("regions",), Cell("regions"))
    region_pos: dict[str, int] = {}
    for i, rec in enumerate(rd.table("regions")):
        item = {"quotas": {}, "expansions": []}
        L.set(("regions", i), Cell(rec["id"][1].sheet, rec["id"][1].row))
        fill(item, rec, ("regions", i))
        rid = rec["id"][0]
        if rid is not None:
            region_pos.setdefault(rid, i)
        data["regions"].append(item)

    def region_of(rec: dict) -> int | None:
        rid, cell = rec["region"]
        if rid is None:
            return None
        if rid not in region_pos:
            if region_pos:  # no region read at all: that is the problem, said once, not by each row
                rd.bad(cell, rid, "a region id listed in sheet regions", "region")
            return None
        return region_pos[rid]

    seen: set = set()
    for rec in rd.table("quotas"):
        ri = region_of(rec)
        res, rcell = rec["resource"]
        if ri is None or res is None:
            continue
        if (ri, res) in seen:
            rd.bad(rcell, res, "each (region, resource) once")
            continue
        seen.add((ri, res))
        v, vcell = rec["quota"]
        data["regions"][ri]["quotas"][res] = v
        L.set(("regions", ri, "quotas", res), vcell, rcell)

    options: dict[tuple[int, str], int] = {}
    for rec in rd.table("expansions"):
        ri = region_of(rec)
        oid, ocell = rec["option"]
        if ri is None or oid is None:
            continue
        exps = data["regions"][ri]["expansions"]
        if (ri, oid) not in options:
            options[(ri, oid)] = len(exps)
            exps.append({"id": oid, "extra_quota": {}})
            j = len(exps) - 1
            L.set(("regions", ri, "expansions", j), Cell(ocell.sheet, ocell.row))
            L.set(("regions", ri, "expansions", j, "id"), ocell)
            L.set(("regions", ri, "expansions", j, "fixed_cost"), rec["fixed_cost"][1] if "fixed_cost" in rec else ocell)
        j = options[(ri, oid)]
        opt = exps[j]
        for col in ("fixed_cost", "description"):
            v, cell = rec.get(col, (None, None))
            if v is None:
                continue
            if col in opt and opt[col] != v:
                rd.bad(cell, v, f"the same {col} as the option's earlier row ({opt[col]!r}), or a blank")
                continue
            opt[col] = v
            L.set(("regions", ri, "expansions", j, col), cell)
        res, rcell = rec.get("resource", (None, None))
        v, vcell = rec.get("extra_quota", (None, None))
        if res is None and v is not None:
            rd.bad(rcell or vcell, None, "the resource the extra quota is of")
        elif res is not None:
            if res in opt["extra_quota"]:
                rd.bad(rcell, res, f"each resource once per option ({oid})")
                continue
            opt["extra_quota"][res] = v
            L.set(("regions", ri, "expansions", j, "extra_quota", res), vcell, rcell)

    # chains, segments and everything keyed by segment
    data["chains"] = []
    L.set(("chains",), Cell("chains"))
    chain_pos: dict[str, int] = {}
    for ci, rec in enumerate(rd.table("chains")):
        item = {"segments": [], "links": []}
        L.set(("chains", ci), Cell(rec["id"][1].sheet, rec["id"][1].row))
        fill(item, rec, ("chains", ci))
        if rec["id"][0] is not None:
            chain_pos.setdefault(rec["id"][0], ci)
        data["chains"].append(item)

    def chain_of(rec: dict, defines: str | None = None) -> int | None:
        """The index of the row's chain; ``defines``: the id of the segment the row defines, which
        an unknown chain leaves out (the places naming it follow from that chain's problem: the
        segment of the chain whose id is close to the one typed)."""
        cid, cell = rec["chain"]
        if cid is None:
            return None
        if cid not in chain_pos:
            near = closest_id(cid, list(chain_pos), cutoff=0.5) if defines is not None else None
            if chain_pos:  # no chain read at all: that is the problem, said once, not by each row
                rd.bad(cell, cid, "a chain id listed in sheet chains", "chain",
                       defines=(f"segment of chain {near}", defines) if near is not None else None)
            return None
        return chain_pos[cid]

    seg_pos: dict[tuple[str, str], tuple[int, int]] = {}
    for rec in rd.table("segments"):
        ci = chain_of(rec, defines=rec["id"][0])
        if ci is None:
            continue
        segs = data["chains"][ci]["segments"]
        si = len(segs)
        item: dict = {}
        L.set(("chains", ci, "segments", si), Cell(rec["id"][1].sheet, rec["id"][1].row))
        fill(item, rec, ("chains", ci, "segments", si), skip=("chain",))
        if rec["id"][0] is not None:
            seg_pos.setdefault((rec["chain"][0], rec["id"][0]), (ci, si))
        segs.append(item)
    for ci, c in enumerate(data["chains"]):
        L.set(("chains", ci, "segments"), L.value.get(("chains", ci), Cell("segments")))

    def segment_of(rec: dict) -> tuple[int, int] | None:
        key = (rec["chain"][0], rec["segment"][0])
        if None in key:
            return None
        if key not in seg_pos and not chain_pos:
            return None  # no chain read at all (said once)
        if key not in seg_pos:
            cell = rec["chain"][1] if key[0] not in chain_pos else rec["segment"][1]
            rd.bad(cell, key[0] if key[0] not in chain_pos else key[1],
                   "a chain id listed in sheet chains" if key[0] not in chain_pos
                   else f"a segment of chain {key[0]} listed in sheet segments",
                   "chain" if key[0] not in chain_pos else f"segment of chain {key[0]}")
            return None
        return seg_pos[key]

    per_region = {"site_costs": ("site_cost", "site_cost"), "fixed_costs": ("fixed_cost", "fixed_cost_by_region")}
    for sheet, (col, field) in per_region.items():
        for rec in rd.table(sheet):
            pos = segment_of(rec)
            rid, rcell = rec["region"]
            if pos is None or rid is None:
                continue
            seg = data["chains"][pos[0]]["segments"][pos[1]]
            d = seg.setdefault(field, {})
            if rid in d:
                rd.bad(rcell, rid, "each (segment, region) once")
                continue
            d[rid] = rec[col][0]
            L.set(("chains", *_seg_loc(pos), field, rid), rec[col][1], rcell)

    _read_per_resource(rd, data, L, segment_of, "resource_use", "resource_use", "use")

    for rec in rd.table("links"):
        ci = chain_of(rec)
        if ci is None:
            continue
        links = data["chains"][ci]["links"]
        li = len(links)
        item = {}
        L.set(("chains", ci, "links", li), Cell(rec["chain"][1].sheet, rec["chain"][1].row))
        fill(item, rec, ("chains", ci, "links", li), skip=("chain",))
        links.append(item)

    # economic distance: a matrix, or components
    L.set(("economic_distance",), Cell("distance"))
    m = rd.matrix("distance")
    if m is not None:
        ed["matrix"] = m
    comps = {c: rd.matrix(f"distance_{c}") for c in DISTANCE_COMPONENTS}
    comps = {c: v for c, v in comps.items() if v is not None}
    if comps:
        ed["components"] = comps
    data["economic_distance"] = ed

    # policy
    policy: dict[str, Any] = {}
    for sheet, key in (("policy_fixed", "fixed"), ("policy_forbidden", "forbidden"), ("site_limits", "site_limits")):
        L.set(("policy", key), Cell(sheet))
        rows = rd.table(sheet)
        if rows:
            policy[key] = []
        for i, rec in enumerate(rows):
            item = {}
            L.set(("policy", key, i), Cell(rec["chain"][1].sheet, rec["chain"][1].row))
            fill(item, rec, ("policy", key, i))
            policy[key].append(item)
    L.set(("policy", "province_min_share"), Cell("province_min_share"))
    for rec in rd.table("province_min_share"):
        p, pcell = rec["province"]
        if p is None:
            continue
        policy.setdefault("province_min_share", {})[p] = rec["share"][0]
        L.set(("policy", "province_min_share", p), rec["share"][1], pcell)
    data["policy"] = policy

    L.set(("weights",), Cell("weights"))
    weights: dict[str, Any] = {}
    for rec in rd.table("weights"):
        t, tcell = rec["term"]
        if t is None:
            continue
        weights[t] = rec["weight"][0]
        L.set(("weights", t), rec["weight"][1], tcell)
    if weights:
        data["weights"] = weights

    _read_sharing(rd, data, L, fill, segment_of)
    enclave_pos = {e.get("id"): i for i, e in enumerate(data.get("enclaves", []))}
    period_pos = _read_plan(rd, data, L, fill)

    for rec in rd.table("sources"):
        part, pcell = rec["part"]
        oid, icell = rec.get("id", (None, pcell))
        field, fcell = rec["field"]
        src = rec["source"][0]
        if part is None or field is None:
            continue
        part = part.lower()
        if part == "instance":
            target, loc = data, ()
        elif part == "region" and oid in region_pos:
            target, loc = data["regions"][region_pos[oid]], ("regions", region_pos[oid])
        elif part == "chain" and oid in chain_pos:
            target, loc = data["chains"][chain_pos[oid]], ("chains", chain_pos[oid])
        elif part == "segment" and oid and "/" in oid and tuple(oid.split("/", 1)) in seg_pos:
            pos = seg_pos[tuple(oid.split("/", 1))]
            target, loc = data["chains"][pos[0]]["segments"][pos[1]], ("chains", *_seg_loc(pos))
        elif part == "enclave" and oid in enclave_pos:
            target, loc = data["enclaves"][enclave_pos[oid]], ("enclaves", enclave_pos[oid])
        elif part == "guarantee" and oid and str(oid).isdigit() and 0 < int(oid) <= len(policy.get("guarantees", [])):
            gi = int(oid) - 1
            target, loc = policy["guarantees"][gi], ("policy", "guarantees", gi)
        elif part in ("brownfield", "periods"):
            target, loc = data.setdefault(part, {}), (part,)
        elif part == "period" and _year(oid) in period_pos:
            mi = period_pos[_year(oid)]
            target, loc = data["periods"]["milestones"][mi], ("periods", "milestones", mi)
        elif (part == "region" and not region_pos) or (part in ("chain", "segment") and not chain_pos):
            continue  # no region (chain) read at all: said once, not by each sources row
        elif part in SOURCE_PARTS:
            rd.bad(icell, oid, f"the id of a {part} in this workbook" + (" as chain/segment" if part == "segment" else "")
                   + (" (its row number in sheet guarantees)" if part == "guarantee" else "")
                   + (" (its year in sheet periods)" if part == "period" else ""), _source_ref(part, oid, chain_pos))
            continue
        else:
            rd.bad(pcell, part, ", ".join(SOURCE_PARTS))
            continue
        target.setdefault("sources", {})[field] = src
        L.set((*loc, "sources", field), rec["source"][1], fcell)
    return data


def _source_ref(part: str, oid: Any, chains: dict[str, int]) -> str | tuple[str, str] | None:
    """The kind of id a sources row names that no row defines, or (kind, id) for a segment's
    chain/segment (its problem is then grouped with the other places naming it: a region misspelt
    in sheet regions is one problem)."""
    if part == "segment" and isinstance(oid, str) and "/" in oid:
        chain, segment = oid.split("/", 1)
        return (f"segment of chain {chain}", segment) if chain in chains else ("chain", chain)
    return {"region": "region", "chain": "chain", "enclave": "park", "period": "milestone year"}.get(part)


def _read_per_resource(rd, data: dict, L, segment_of, sheet: str, field: str, column: str) -> None:
    """A sheet of (segment, optional region, resource, value) rows into ``field`` of each segment,
    or ``<field>_by_region`` where a region is given (resource use per unit, site footprints)."""
    for rec in rd.table(sheet):
        pos = segment_of(rec)
        res, kcell = rec["resource"]
        if pos is None or res is None:
            continue
        seg = data["chains"][pos[0]]["segments"][pos[1]]
        rid, rcell = rec.get("region", (None, None))
        if rid is None:
            d, loc = seg.setdefault(field, {}), ("chains", *_seg_loc(pos), field)
        else:
            d = seg.setdefault(f"{field}_by_region", {}).setdefault(rid, {})
            loc = ("chains", *_seg_loc(pos), f"{field}_by_region", rid)
            L.set(loc, rcell, rcell)
        if res in d:
            rd.bad(kcell, res, "each (segment, region, resource) once")
            continue
        d[res] = rec[column][0]
        L.set((*loc, res), rec[column][1], kcell)


def _kinds(text) -> list[str]:
    return [k.strip() for k in str(text).split(",") if k.strip()] if text is not None else []


def _read_sharing(rd, data: dict, L, fill, segment_of) -> None:
    """Site footprints, enclave parks and guarantees (benefit sharing)."""
    _read_per_resource(rd, data, L, segment_of, "site_footprints", "site_footprint", "footprint")

    parks: list[dict] = []
    L.set(("enclaves",), Cell("enclaves"))
    pairs = {"cost_split": ("cost_split_host", "cost_split_partner"),
             "value_split": ("value_split_host", "value_split_partner"),
             "factor_inputs": ("factor_input_host", "factor_input_partner")}
    flat = {c for cols in pairs.values() for c in cols}
    for i, rec in enumerate(rd.table("enclaves")):
        item: dict = {"extra_quota": {}}
        loc = ("enclaves", i)
        L.set(loc, Cell(rec["id"][1].sheet, rec["id"][1].row))
        fill(item, rec, loc, skip=(*flat, "kinds"))
        for field, (h, p) in pairs.items():
            (hv, hcell), (pv, pcell) = rec.get(h, (None, None)), rec.get(p, (None, None))
            if hv is not None or pv is not None:
                item[field] = {k: v for k, v in (("host", hv), ("partner", pv)) if v is not None}
                L.set((*loc, field), hcell or pcell)
                L.set((*loc, field, "host"), hcell or pcell)
                L.set((*loc, field, "partner"), pcell or hcell)
        kinds, kcell = rec.get("kinds", (None, None))
        if kinds is not None:
            item["kinds"] = _kinds(kinds)
            L.set((*loc, "kinds"), kcell)
        parks.append(item)
    pos = {p.get("id"): i for i, p in enumerate(parks)}
    for rec in rd.table("enclave_quotas"):
        pid, pcell = rec["park"]
        res, rcell = rec["resource"]
        if pid is None or res is None:
            continue
        if pid not in pos:
            rd.bad(pcell, pid, "a park id listed in sheet enclaves", "park")
            continue
        parks[pos[pid]]["extra_quota"][res] = rec["extra_quota"][0]
        L.set(("enclaves", pos[pid], "extra_quota", res), rec["extra_quota"][1], rcell)
    if parks:
        data["enclaves"] = parks

    policy = data.setdefault("policy", {})
    L.set(("policy", "guarantees"), Cell("guarantees"))
    for i, rec in enumerate(rd.table("guarantees")):
        item = {}
        loc = ("policy", "guarantees", i)
        L.set(loc, Cell(rec["measure"][1].sheet, rec["measure"][1].row))
        fill(item, rec, loc, skip=("kinds",))
        kinds, kcell = rec.get("kinds", (None, None))
        if kinds is not None:
            item["kinds"] = _kinds(kinds)
            L.set((*loc, "kinds"), kcell)
        policy.setdefault("guarantees", []).append(item)


def _year(v) -> int | None:
    """A milestone year as typed: 2030, 2030.0 or the text "2030"."""
    if isinstance(v, bool) or v is None:
        return None
    if isinstance(v, int):
        return v
    if isinstance(v, float) and v.is_integer():
        return int(v)
    if isinstance(v, str) and v.strip().isdigit():
        return int(v.strip())
    return None


def _read_plan(rd, data: dict, L, fill) -> dict[int, int]:
    """Brownfield (today's sites, change costs and budgets) and milestone periods.

    Returns milestone year -> its position (for the sources sheet)."""
    bf: dict = data.get("brownfield", {})

    def segment_ref(rec: dict, loc: tuple) -> dict:
        L.set(loc, Cell(rec["chain"][1].sheet, rec["chain"][1].row))
        item: dict = {}
        fill(item, rec, loc)
        return item

    L.set(("brownfield",), Cell("existing_sites"))
    L.set(("brownfield", "existing"), Cell("existing_sites"))
    for i, rec in enumerate(rd.table("existing_sites")):
        bf.setdefault("existing", []).append(segment_ref(rec, ("brownfield", "existing", i)))
    L.set(("brownfield", "protected"), Cell("protected_sites"))
    for i, rec in enumerate(rd.table("protected_sites")):
        bf.setdefault("protected", []).append(segment_ref(rec, ("brownfield", "protected", i)))

    L.set(("brownfield", "costs"), Cell("change_costs"))
    defaults_row = None
    for rec in rd.table("change_costs"):
        kind, kcell = rec.get("kind", (None, None))
        costs = bf.setdefault("costs", {})
        if kind is None:
            loc, target = ("brownfield", "costs"), costs
            row = next(c for _, c in rec.values()).row
            if defaults_row is not None:
                rd.bad(Cell("change_costs", row), "a second row with a blank kind",
                       f"one row of default costs (row {defaults_row} is one)")
                continue
            defaults_row = row
        else:
            by_kind = costs.setdefault("by_kind", {})
            if kind in by_kind:
                rd.bad(kcell, kind, "each kind once")
                continue
            loc, target = ("brownfield", "costs", "by_kind", kind), by_kind.setdefault(kind, {})
            L.set(loc, kcell, kcell)
        fill(target, rec, loc, skip=("kind",))

    milestones: list[dict] = []
    period_pos: dict[int, int] = {}
    L.set(("periods",), Cell("periods"))
    L.set(("periods", "milestones"), Cell("periods"))
    for i, rec in enumerate(rd.table("periods")):
        item: dict = {}
        loc = ("periods", "milestones", i)
        L.set(loc, Cell(rec["year"][1].sheet, rec["year"][1].row))
        fill(item, rec, loc)
        y = _year(rec["year"][0])
        if y is not None:
            if y in period_pos:
                rd.bad(rec["year"][1], y, "each milestone year once")
            period_pos.setdefault(y, i)
        milestones.append(item)

    def milestone_of(rec: dict) -> int | None:
        y, cell = rec["year"]
        if y is None:
            return None
        if _year(y) not in period_pos:
            rd.bad(cell, y, f"a milestone year listed in sheet periods ({', '.join(map(str, period_pos)) or 'none'})",
                   "milestone year")
            return None
        return period_pos[_year(y)]

    for sheet, field, key in (("period_growth", "growth", "chain"), ("period_quotas", "quota_factor", "resource")):
        for rec in rd.table(sheet):
            mi = milestone_of(rec)
            k, kcell = rec[key]
            if mi is None or k is None:
                continue
            d = milestones[mi].setdefault(field, {})
            if k in d:
                rd.bad(kcell, k, f"each (year, {key}) once")
                continue
            d[k] = rec[field][0]
            L.set(("periods", "milestones", mi, field, k), rec[field][1], kcell)

    seen: set = set()
    L.set(("brownfield", "budget"), Cell("change_budgets"))
    for rec in rd.table("change_budgets"):
        y, ycell = rec.get("year", (None, None))
        prov, pcell = rec.get("province", (None, None))
        if y is None:
            budget, loc = bf.setdefault("budget", {}), ("brownfield", "budget")
        else:
            mi = milestone_of(rec)
            if mi is None:
                continue
            budget, loc = milestones[mi].setdefault("budget", {}), ("periods", "milestones", mi, "budget")
        first = ycell or pcell
        if (_year(y), prov) in seen:
            rd.bad(Cell(first.sheet, first.row), f"year {y or 'blank'}, province {prov or 'blank'}",
                   "each (year, province) once")
            continue
        seen.add((_year(y), prov))
        if prov is not None:
            budget, loc = budget.setdefault("by_province", {}).setdefault(prov, {}), (*loc, "by_province", prov)
            L.set(loc, pcell, pcell)
        else:
            L.set(loc, Cell(first.sheet, first.row))
        fill(budget, rec, loc, skip=("year", "province"))

    if bf:
        data["brownfield"] = bf
    if milestones or "periods" in data:
        data.setdefault("periods", {})["milestones"] = milestones
    return period_pos


def _seg_loc(pos: tuple[int, int]) -> tuple:
    return (pos[0], "segments", pos[1])


# ----------------------------------------------------------------------------- writing
def instance_tables(inst: Instance | None) -> dict[str, list[list[Any]]]:
    """Rows (without header) of every table sheet for ``inst`` (None: an empty template)."""
    t: dict[str, list[list[Any]]] = {name: [] for name in SHEETS}
    if inst is None:
        t["instance"] = [[f, None] for f in INSTANCE_FIELDS]
        t["weights"] = [[term, 1.0] for term in TERMS]
        return t
    ed = inst.economic_distance
    t["instance"] = [["name", inst.name], ["description", inst.description], ["distance_unit", ed.unit]]
    t["instance"] += [[f"component_weight_{c}", ed.component_weights[c]] for c in DISTANCE_COMPONENTS
                      if c in ed.component_weights]
    t["resources"] = [[r.id, r.unit, r.description] for r in inst.resources]
    for r in inst.regions:
        t["regions"].append([r.id, r.name_en, r.name_zh, r.province, r.kind, r.lon, r.lat])
        t["quotas"] += [[r.id, k, v] for k, v in r.quotas.items()]
        for o in r.expansions:
            rows = [[r.id, o.id, None, None, k, v] for k, v in o.extra_quota.items()] or [[r.id, o.id, None, None, None, None]]
            rows[0][2], rows[0][3] = o.fixed_cost, o.description
            t["expansions"] += rows
        t["sources"] += [["region", r.id, k, v] for k, v in r.sources.items()]
    for c in inst.chains:
        t["chains"].append([c.id, c.name_en, c.name_zh])
        t["sources"] += [["chain", c.id, k, v] for k, v in c.sources.items()]
        for s in c.segments:
            t["segments"].append([c.id, s.id, s.name, s.kind, s.activity, s.unit, s.value_per_unit, s.site_cost_default,
                                  s.fixed_cost, s.min_scale, s.single_site, s.duplication_tolerance])
            t["resource_use"] += [[c.id, s.id, None, k, v] for k, v in s.resource_use.items()]
            t["resource_use"] += [[c.id, s.id, rid, k, v] for rid, d in s.resource_use_by_region.items() for k, v in d.items()]
            t["site_costs"] += [[c.id, s.id, rid, v] for rid, v in s.site_cost.items()]
            t["fixed_costs"] += [[c.id, s.id, rid, v] for rid, v in s.fixed_cost_by_region.items()]
            t["sources"] += [["segment", f"{c.id}/{s.id}", k, v] for k, v in s.sources.items()]
        t["links"] += [[c.id, ln.from_, ln.to, ln.volume_per_unit, ln.transport_intensity] for ln in c.links]
    p = inst.policy
    t["policy_fixed"] = [[x.chain, x.segment, x.region] for x in p.fixed]
    t["policy_forbidden"] = [[x.chain, x.segment, x.region] for x in p.forbidden]
    t["site_limits"] = [[x.chain, x.segment, x.min_sites, x.max_sites] for x in p.site_limits]
    t["province_min_share"] = [[k, v] for k, v in p.province_min_share.items()]
    t["weights"] = [[k, v] for k, v in inst.weights.model_dump().items()]
    for c in inst.chains:
        for s in c.segments:
            t["site_footprints"] += [[c.id, s.id, None, k, v] for k, v in s.site_footprint.items()]
            t["site_footprints"] += [[c.id, s.id, rid, k, v] for rid, d in s.site_footprint_by_region.items()
                                     for k, v in d.items()]
    for e in inst.enclaves:
        vs, fi = e.value_split, e.factor_inputs
        t["enclaves"].append([e.id, e.host, e.partner, e.capacity, e.fixed_cost, e.cost_split.host, e.cost_split.partner,
                              vs.host if vs else None, vs.partner if vs else None, fi.host if fi else None,
                              fi.partner if fi else None, ", ".join(e.kinds) or None, e.existing, e.description, e.name])
        t["enclave_quotas"] += [[e.id, k, v] for k, v in e.extra_quota.items()]
        t["sources"] += [["enclave", e.id, k, v] for k, v in e.sources.items()]
    for i, g in enumerate(p.guarantees, start=1):
        t["guarantees"].append([g.province, g.region, g.measure, g.value, ", ".join(g.kinds) or None, g.penalty,
                                g.description])
        t["sources"] += [["guarantee", str(i), k, v] for k, v in g.sources.items()]
    _plan_tables(inst, t)
    t["sources"] = [["instance", None, k, v] for k, v in inst.sources.items()] + t["sources"]
    return t


def _budget_rows(year: int | None, budget) -> list[list[Any]]:
    rows = [[year, None, budget.max_opened, budget.max_closed, budget.max_moved_share]]
    return rows + [[year, p, lim.max_opened, lim.max_closed, lim.max_moved_share]
                   for p, lim in budget.by_province.items()]


def _plan_tables(inst: Instance, t: dict[str, list[list[Any]]]) -> None:
    """Rows of the brownfield and periods sheets (and their instance-sheet fields and sources)."""
    bf, per = inst.brownfield, inst.periods
    if bf is not None:
        t["instance"].append(["min_kept_share", bf.min_kept_share])
        t["existing_sites"] = [[e.chain, e.segment, e.region, e.activity, e.capacity, e.min_scale, e.opened]
                               for e in bf.existing]
        t["protected_sites"] = [[p.chain, p.segment, p.region] for p in bf.protected]
        t["change_costs"] = [[None, bf.costs.close_per_site, bf.costs.shrink_per_unit]]
        t["change_costs"] += [[k, c.close_per_site, c.shrink_per_unit] for k, c in bf.costs.by_kind.items()]
        t["change_budgets"] = _budget_rows(None, bf.budget)
        t["sources"] += [["brownfield", None, k, v] for k, v in bf.sources.items()]
    if per is not None:
        t["instance"] += [["discount_rate", per.discount_rate], ["min_run_years", per.min_run_years]]
        for m in per.milestones:
            t["periods"].append([m.year, m.years])
            t["period_growth"] += [[m.year, c, g] for c, g in m.growth.items()]
            t["period_quotas"] += [[m.year, k, f] for k, f in m.quota_factor.items()]
            if m.budget is not None:
                t["change_budgets"] += _budget_rows(m.year, m.budget)
        t["sources"] += [["periods", None, k, v] for k, v in per.sources.items()]
        t["sources"] += [["period", str(m.year), k, v] for m in per.milestones for k, v in m.sources.items()]


def write_workbook(inst: Instance | None, path: str | Path) -> Path:
    """Write ``inst`` as an instance workbook; ``None`` writes the empty template."""
    from openpyxl import Workbook
    from openpyxl.styles import Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    path = Path(path)
    wb = Workbook()
    wb.remove(wb.active)
    readme = wb.create_sheet("README")
    readme.append(["sheet", "column", "meaning"])
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDE6F0")
    tables = instance_tables(inst)
    for name, cols in SHEETS.items():
        ws = wb.create_sheet(name)
        ws.append([c.name for c in cols])
        for row in tables[name]:
            _append(ws, row, str(path))
        for cell in ws[1]:
            cell.font, cell.fill = bold, fill
        ws.freeze_panes = "A2"
        for j, c in enumerate(cols, start=1):
            ws.column_dimensions[_letter(j)].width = max(12, len(c.name) + 4)
            readme.append([name, c.name, (c.help + ("; required" if c.required else "")).strip("; ")])
        if name == "regions":
            dv = DataValidation(type="list", formula1='"province,city,outer"', allow_blank=True)
            ws.add_data_validation(dv)
            dv.add("E2:E2000")
    matrices: dict[str, Any] = {}
    if inst is not None:
        ed = inst.economic_distance
        if ed.matrix is not None:
            matrices["distance"] = ed.matrix
        for comp, m in (ed.components or {}).items():
            matrices[f"distance_{comp}"] = m
    else:
        matrices["distance"] = None
    for name, m in matrices.items():
        ws = wb.create_sheet(name)
        ws.append(["from \\ to"] + (list(m.regions) if m is not None else []))
        if m is not None:
            for rid, row in zip(m.regions, m.values):
                _append(ws, [rid, *row], str(path))
        ws.freeze_panes = "B2"
        readme.append([name, "matrix", "economic distance (hours): region ids in row 1 and column A, same order; "
                       "use sheet distance, or distance_cost/distance_time/distance_labour with component weights"])
    for cell in readme[1]:
        cell.font = bold
    readme.column_dimensions["C"].width = 90
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.xlsx")  # read back below: openpyxl reads only .xlsx names
    try:
        with _exact_floats():
            wb.save(tmp)
        if inst is not None:
            _check_reads_back(inst, tmp, path)
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)
    return path


def _check_reads_back(inst: Instance, written: Path, path: Path) -> None:
    """Refuse a workbook that would not give back ``inst``: nothing is dropped or changed silently
    (a line break written as CR LF reads back as LF, for one)."""
    back = Instance.model_validate(read_workbook(written))
    where, want, got = _first_difference(inst.model_dump(mode="json", by_alias=True),
                                         back.model_dump(mode="json", by_alias=True))
    if where is not None:
        raise InstanceError([Problem(str(path), where or "(instance)", want,
                                     f"a value an Excel workbook gives back unchanged (it would read back as "
                                     f"{got!r}); change it, or keep this instance in YAML")])


def _first_difference(a: Any, b: Any, path: str = "") -> tuple[str | None, Any, Any]:
    """(field path, value in a, value in b) of the first place where a and b differ; (None, ...) if equal."""
    if isinstance(a, dict) and isinstance(b, dict):
        for k in [*a, *(k for k in b if k not in a)]:
            where, x, y = _first_difference(a.get(k), b.get(k), f"{path}.{k}" if path else str(k))
            if where is not None:
                return where, x, y
        return None, None, None
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        for i, (x, y) in enumerate(zip(a, b)):
            where, x, y = _first_difference(x, y, f"{path}[{i}]")
            if where is not None:
                return where, x, y
        return None, None, None
    return (None, None, None) if a == b else (path, a, b)


@contextmanager
def _exact_floats():
    """Write floats with all 17 significant digits while saving.

    openpyxl writes numbers as ``"%.16g"``, which changes 0.1 + 0.2 into 0.3: a workbook would
    then not give back the instance it was written from (a different content hash).  Excel reads
    and writes 17 digits itself, so the file stays an ordinary workbook.
    """
    from openpyxl.cell import _writer

    original = getattr(_writer, "safe_string", None)
    if original is None:  # a future openpyxl: keep its behaviour (the round-trip test will tell)
        yield
        return

    def exact(value):
        if isinstance(value, float) and math.isfinite(value):
            return repr(value)
        return original(value)

    _writer.safe_string = exact
    try:
        yield
    finally:
        _writer.safe_string = original


def _append(ws, row: list, file: str) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for j, v in enumerate(row, start=1):
        if isinstance(v, str) and ILLEGAL_CHARACTERS_RE.search(v):
            raise InstanceError([Problem(file, Cell(ws.title, ws.max_row + 1, j).where(), v,
                                         "text without control characters (an Excel cell cannot hold them); "
                                         "change it, or keep this instance in YAML")])
    ws.append(row)
    for cell in ws[ws.max_row]:
        # text that starts with "=" is text, not a formula (a source note, a description)
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


# ------------------------------------------------------------------------ solution out
def export_solution(sol_dir: str | Path, path: str | Path, inst: Instance | None = None,
                    about: list[tuple[str, Any]] | None = None, summary: dict | None = None) -> Path:
    """One sheet per table of a solution directory (every CSV in it) plus the summary.

    With the instance, the layout gains the regions' English and Chinese names and province.
    ``about``: (what, value) rows of a first sheet, "scenario", that says what the layout is (the
    workbench: its name, when it was solved, its status and gap in words, its what-if edits).
    ``summary``: keys of summary.json said otherwise on the summary sheet (the workbench: an
    alternative's status, not its distance MIP's "optimal").
    """
    import pandas as pd

    d = Path(sol_dir)
    if not (d / "layout.csv").exists():
        raise InstanceError([Problem(str(d), "", "no layout.csv", "a solution directory written by `yrdopt solve`")])
    path = Path(path)
    sheets: dict[str, pd.DataFrame] = {}
    if about is not None:
        sheets["scenario"] = pd.DataFrame([(str(k), v) for k, v in about], columns=["what", "value"])
    first = ["layout.csv", "flows.csv", "expansions.csv"]
    for f in [d / n for n in first if (d / n).exists()] + sorted(p for p in d.glob("*.csv") if p.name not in first):
        try:
            df = pd.read_csv(f)
        except pd.errors.EmptyDataError:
            df = pd.DataFrame()
        if f.name == "layout.csv" and inst is not None:
            regions = {r.id: r for r in inst.regions}
            df.insert(df.columns.get_loc("region") + 1, "name_en", [regions[r].name_en if r in regions else "" for r in df["region"]])
            df.insert(df.columns.get_loc("name_en") + 1, "name_zh", [regions[r].name_zh if r in regions else "" for r in df["region"]])
            df.insert(df.columns.get_loc("name_zh") + 1, "province", [regions[r].province if r in regions else "" for r in df["region"]])
        if inst is not None:
            df = with_names(df, inst)
        sheets[_sheet_name(f.stem, sheets)] = df
    s = d / "summary.json"
    if s.exists():
        flat = _flatten({**json.loads(s.read_text(encoding="utf-8")), **(summary or {})})
        # each line in words ("site cost, unweighted"; was "components_raw.site_cost"), its summary.json key beside
        years = {m.group(1): flat[k] for k in flat if (m := re.fullmatch(r"periods\[(\d+)\]\.year", k))}
        sheets[_sheet_name("summary", sheets)] = pd.DataFrame({"what": [summary_key_words(k, years) for k in flat],
                                                               "value": list(flat.values()), "key": list(flat)})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp.xlsx")
    with pd.ExcelWriter(tmp, engine="openpyxl") as xw:
        for name, df in sheets.items():
            df.to_excel(xw, sheet_name=name, index=False)
            fit_columns(xw.sheets[name], df)
    tmp.replace(path)
    return path


# id columns of the written tables and the column of names put beside each (the ids stay, for scripts)
NAMED_COLUMNS = {"chain": "chain_name", "segment": "segment_name", "from_segment": "from_segment_name",
                 "to_segment": "to_segment_name", "region": "region_name", "from_region": "from_region_name",
                 "to_region": "to_region_name"}


def with_names(df, inst: Instance):
    """``df`` with a name beside each chain, segment and region id (:data:`NAMED_COLUMNS`): chains by their
    English names, segments as "Integrated circuits R&D" (schema.segment_names), regions as the page names
    them ("Nanjing (Jiangsu)"); a layout's region keeps its name_en beside it instead.  An id the instance
    does not have is named by itself."""
    from .schema import region_names, segment_names

    chains = {c.id: c.name_en or c.id for c in inst.chains}
    segments, regions = segment_names(inst), region_names(inst)
    for col, named in NAMED_COLUMNS.items():
        if col not in df.columns or named in df.columns or (col == "region" and "name_en" in df.columns):
            continue
        ids = df[col].astype(str)
        if col == "chain":
            names = [chains.get(i, i) for i in ids]
        elif col.endswith("segment"):
            if "chain" not in df.columns:
                continue
            names = [segments.get(f"{c}/{i}", i) for c, i in zip(df["chain"].astype(str), ids)]
        else:
            names = [regions.get(i, i) for i in ids]
        df.insert(df.columns.get_loc(col) + 1, named, names)
    return df


COLUMN_WIDTH = (8, 60)  # characters: a column's width follows its longest cell within these


def fit_columns(ws, df) -> None:
    """Each column as wide as its heading or longest value (as Excel shows it), within :data:`COLUMN_WIDTH`;
    longer text wraps in its cell (Excel's default width, 13 characters, cut names and words short)."""
    from openpyxl.styles import Alignment

    lo, hi = COLUMN_WIDTH
    for i, col in enumerate(df.columns, 1):
        texts = [str(col)] + [_shown(v) for v in df[col].tolist()]
        ws.column_dimensions[_letter(i)].width = min(hi, max(lo, max(len(t) for t in texts) + 2))
        if max(len(t) for t in texts) > hi:
            for (cell,) in ws.iter_rows(min_row=2, min_col=i, max_col=i):
                cell.alignment = Alignment(wrap_text=True, vertical="top")


def _shown(v) -> str:
    """A cell's value as Excel shows it with the General format (floats to about 10 digits)."""
    if isinstance(v, float):
        return "" if v != v else f"{v:.10g}"
    return "" if v is None else str(v)


def _sheet_name(stem: str, taken: dict) -> str:
    base = re.sub(r"[\[\]:*?/\\]", "_", stem)[:31] or "sheet"
    name, k = base, 1
    while name in taken:
        k += 1
        name = f"{base[:28]}_{k}"
    return name


# summary.json's keys as the summary sheet says them: a part of a key (after _flatten) and its words
SUMMARY_KEY_WORDS = {
    "gap_requested": "gap asked of the solver", "bound": "best bound", "gap": "gap (relative)",
    "max_violation": "largest scaled violation (checker)", "check": "checker", "n_violations": "violations",
    "objective_matches_solver": "objective matches the solver's", "false_claims": "false claims",
    "sites_period": "sites counted in", "token_sites": "sites < 1 % of their segment",
    "duplicated_segments_without_token": "duplicated segments without sites < 1 % of their segment",
    "years_counted": "years counted", "moved_share": "share of activity moved", "cost_of_change": "cost of change",
    "myopic": "plan solved period by period (no foresight)", "per_period": "objective per period",
    "per_period_status": "status per period", "build_s": "build (s)", "myopic_s": "period by period (s)",
    "handoff_s": "hand-off (s)", "solve_s": "solve (s)", "polish_s": "polish (s)", "total_s": "total (s)",
    "base_year": "base year", "status_text": "status in words", "benefit_warnings": "benefit warnings",
    "parent_status": "its parent's status", "parent_gap": "its parent's gap",
}


def summary_key_words(key: str, years: dict[str, Any] | None = None) -> str:
    """A key of the flattened summary.json in words: an objective term by its name ("site cost",
    "site cost, unweighted" for ``components_raw.site_cost``, "weight of site cost"), a period by its
    year ("2035: ..."), the other parts by :data:`SUMMARY_KEY_WORDS` or with spaces for "_"."""
    from .app.wording import term_words

    def period(m):
        year = (years or {}).get(m.group(1))
        return f"{year}: " if year is not None else f"period {int(m.group(1)) + 1}: "

    m = re.match(r"periods\[(\d+)\]\.", key)
    head, text = (period(m), key[m.end():]) if m else ("", key)
    for group, said in (("components_raw", "{}, unweighted"), ("components", "{}"), ("terms", "{}"),
                        ("weights", "weight of {}")):
        if (t := re.fullmatch(rf"{group}\.(\w+)", text)) is not None:
            return head + said.format(term_words(t.group(1)))
    text = re.sub(r"\[(\d+)\]", lambda i: f" {int(i.group(1)) + 1}", text)  # built[0]: built 1
    return head + ", ".join(SUMMARY_KEY_WORDS.get(p, p.replace("_", " ")) for p in text.split("."))


def _flatten(obj: Any, prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    if isinstance(obj, dict):
        for k, v in obj.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
    elif isinstance(obj, list) and any(isinstance(x, (dict, list)) for x in obj):
        for i, v in enumerate(obj):
            out.update(_flatten(v, f"{prefix}[{i}]"))
    else:
        out[prefix] = json.dumps(obj, ensure_ascii=False) if isinstance(obj, list) else obj
    return out

"""Reading and writing instances: YAML/JSON files, CSV side tables, clear errors.

``load_instance`` is the single entry point; it accepts a path, a mapping or an
:class:`~yrdopt.schema.Instance`.  CSV tables named in the file are read relative to it:

* ``regions_csv``: columns ``id, name_en, name_zh, province, kind, lon, lat`` and one
  ``quota_<resource>`` column per resource;
* ``site_costs_csv``: ``chain, segment, region, site_cost``;
* ``resource_use_csv``: ``chain, segment, region, resource, use``;
* ``economic_distance.matrix_csv``: a square table, first column the region id;
* ``economic_distance.components_csv``: long form ``from, to, cost, time, labour``.
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import json
import math
import re
from importlib import resources as _res
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from .errors import Described, InstanceError, Problem
from .limits import MAX_DEPTH, MAX_ENTRIES, check_file_size, check_tree, load_yaml
from .schema import DISTANCE_COMPONENTS, MAX_ABS, Instance
from .words import share_words

DEFAULT_INSTANCE = "yrd-default.yaml"


def default_instance_path() -> Path:
    """Path of the embedded default instance (four YRD provinces, a handful of chains)."""
    return Path(str(_res.files("yrdopt") / "data" / DEFAULT_INSTANCE))


INSTANCE_EXPECTED = ("an Instance, a path to an instance file (.yaml, .yml, .json, .xlsx), a dict, "
                     "or None (the embedded default)")


def load_instance(source: str | Path | dict | Instance | None = None) -> Instance:
    """Load and fully validate an instance; raise :class:`InstanceError` listing every problem.

    ``None`` loads the embedded default instance.
    """
    if isinstance(source, Instance):
        return source
    if source is None:
        source = default_instance_path()
    if not isinstance(source, (str, Path, dict)):  # solve(5): said here, not by pathlib's TypeError
        raise InstanceError([Problem("arguments", "instance", source, INSTANCE_EXPECTED)])
    if isinstance(source, dict):
        check_tree(source, "<dict>")
        return validate_mapping(source, "<dict>", Path.cwd())
    path = Path(source)
    file = str(path)
    if not path.exists():
        raise InstanceError([Problem(file, "", "missing file", "an existing instance file (.yaml, .yml, .json, .xlsx)")])
    if path.is_dir():
        candidates = sorted(path.glob("*.yaml")) + sorted(path.glob("*.yml"))
        if len(candidates) != 1:
            raise InstanceError([Problem(file, "", "a directory", "an instance file, or a directory with exactly one .yaml")])
        return load_instance(candidates[0])
    suffix = path.suffix.lower()
    check_file_size(path, file)
    if suffix == ".xlsx":
        from .excel import read_workbook

        data = read_workbook(path)
    else:
        data = read_mapping(path)
    return validate_mapping(data, file, path.parent)


INSTANCE_TOP_LEVEL = "a mapping at the top level (name:, regions:, chains:, ...)"


def read_mapping(path: Path, top_level: str = INSTANCE_TOP_LEVEL) -> dict:
    """Read a YAML/JSON file into a dict, or raise an InstanceError naming the line
    (``top_level``: what the file should hold, said when it holds no mapping)."""
    file = str(path)
    try:
        check_file_size(path, file)
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InstanceError([Problem(file, "", type(exc).__name__, f"a readable UTF-8 text file ({exc})")]) from None
    try:
        if path.suffix.lower() == ".json":
            data = json.loads(text)
        else:
            data = load_yaml(text, file)
    except RecursionError:
        raise InstanceError([Problem(file, "", "nesting too deep to read",
                                     f"mappings and lists nested at most {MAX_DEPTH} deep")]) from None
    except json.JSONDecodeError as exc:
        raise InstanceError([Problem(file, f"line {exc.lineno}, column {exc.colno}", exc.msg, "valid JSON")]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise InstanceError([Problem(file, where, getattr(exc, "problem", str(exc)), "valid YAML")]) from None
    if not isinstance(data, dict):
        raise InstanceError([Problem(file, "", "an empty file" if data is None else type(data).__name__, top_level)])
    check_tree(data, file)
    return data


def validate_mapping(data: dict, file: str = "<dict>", base: Path | None = None) -> Instance:
    """Validate an instance given as a mapping; CSV references resolve against ``base``.
    Every problem is reported with ``file`` and its field path, all at once: the CSV tables', the
    schema's and the cross-checks' (:mod:`yrdopt.validation`: knock-ons folded under their cause)."""
    from .validation import schema_stage, settle

    base = base if base is not None else Path.cwd()
    table_problems: list[Problem] = []
    origin: dict[str, tuple[str, str]] = {}
    data = _expand_tables(dict(data), file, base, table_problems, origin)
    stage = schema_stage(data, file, lambda err: Problem(file, format_loc(err["loc"]), _got(err), _expected(err)))
    if stage.instance is not None and not table_problems and not stage.cross_problems:
        return stage.instance

    def place(loc: tuple) -> tuple[str, str]:
        (p,) = _to_csv_cells([Problem(file, format_loc(loc), None, "")], origin)
        return p.file, p.path

    problems = settle(table_problems, _to_csv_cells(stage.schema_problems, origin),
                      _to_csv_cells(stage.cross_problems, origin), stage, place)
    raise InstanceError(problems)


def _to_csv_cells(problems: list[Problem], origin: dict[str, tuple[str, str]]) -> list[Problem]:
    """Report a value read from a CSV side table against the CSV's file, row and column (the
    instance field path follows in parentheses)."""
    out = []
    for p in problems:
        got = origin.get(p.path.split(" (")[0])
        out.append(dataclasses.replace(p, file=got[0], path=f"{got[1]} ({p.path})") if got else p)
    return out


# where an instance's fields are listed, for a misspelt one
INSTANCE_FIELDS_HELP = "`yrdopt schema` lists every field"


def pydantic_problems(exc: ValidationError, file: str, model: type | None = None,
                      fields_help: str = INSTANCE_FIELDS_HELP) -> list[Problem]:
    """One :class:`Problem` per validation error.  A field that does not exist points to
    ``fields_help``; with the validated ``model`` it also lists the fields allowed there."""
    return [Problem(file, format_loc(err["loc"]), _got(err), _expected(err, model, fields_help))
            for err in exc.errors(include_url=False)]


def _got(err: dict) -> Any:
    """The value a validation error found, in words where there is none to show."""
    if err["type"] == "missing":
        return Described("nothing")
    if err["type"] == "too_short" and isinstance(err.get("input"), (list, tuple, dict)):
        n = len(err["input"])
        return Described(f"no {_item(err['loc'])}" if n == 0 else f"only {n} {_item(err['loc'], n)}")
    return err.get("input")


def _item(loc: tuple, count: int = 1) -> str:
    """What one entry of the list at ``loc`` is, in the planner's words ("region", "chains")."""
    name = next((str(p) for p in reversed(loc) if isinstance(p, str)), "item")
    one = name[:-1] if name.endswith("s") else name
    where = " in the distance matrix" if tuple(loc[-2:]) == ("matrix", "regions") else ""
    return (one if count == 1 else f"{one}s") + where


def _inner_model(tp) -> type | None:
    """The pydantic model inside an annotation (``Design``, ``list[Parameter]``, ``X | None``)."""
    from typing import get_args

    from pydantic import BaseModel

    if isinstance(tp, type) and issubclass(tp, BaseModel):
        return tp
    return next((m for m in map(_inner_model, get_args(tp)) if m is not None), None)


def _model_at(model: type, loc: tuple) -> type | None:
    """The pydantic model holding the last field of ``loc`` (list indices skipped), or None."""
    for part in loc[:-1]:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        model = _inner_model(field.annotation) if field is not None else None
        if model is None:
            return None
    return model


def _homes(model: type, name: str, where: str = "the top level") -> list[str]:
    """Which parts of ``model`` have a field called ``name`` (``levels``: ``parameters[]``)."""
    out = [where] if any((f.alias or n) == name for n, f in model.model_fields.items()) else []
    for n, f in model.model_fields.items():
        sub = _inner_model(f.annotation)
        if sub is not None:
            path = (where + "." if where != "the top level" else "") + (f.alias or n)
            out += _homes(sub, name, path + ("[]" if "list" in str(f.annotation) else ""))
    return out


def _expected(err: dict, model: type | None = None, fields_help: str = INSTANCE_FIELDS_HELP) -> str:
    msg = err["msg"]
    kind = err["type"]
    if kind == "missing":
        field = next((str(p) for p in reversed(err["loc"]) if isinstance(p, str)), "this field")
        return f"a value for {field} (it is required)"
    if kind == "too_short" and isinstance(err.get("input"), (list, tuple, dict)):
        m = int((err.get("ctx") or {}).get("min_length", 1))
        return f"at least {'one' if m == 1 else m} {_item(err['loc'], m)}"
    if kind == "extra_forbidden":
        holder = _model_at(model, err["loc"]) if model is not None else None
        allowed = f"; allowed here: {', '.join(f.alias or n for n, f in holder.model_fields.items())}" if holder else ""
        homes = _homes(model, str(err["loc"][-1])) if model is not None else []
        elsewhere = f"; {err['loc'][-1]} belongs in {' and '.join(homes)}" if homes else ""
        return f"no such field (check the spelling{allowed}{elsewhere}; {fields_help})"
    loc = tuple(err.get("loc") or ())
    if len(loc) >= 2 and loc[-2] == "province_min_share":  # whatever is wrong with it: the range, a percentage
        return share_words(err.get("input"))
    if loc[-1:] == ("value",) and "guarantees" in loc and kind in ("greater_than_equal", "float_parsing", "float_type"):
        # what the guarantee's value is, by its measure (a share typed as a percentage is the likely slip)
        return (f"{'at least 0' if kind == 'greater_than_equal' else 'a number'}: "
                f"{share_words(measure='min_share and max_share')}; a value for min_value; a number of chains for "
                "min_chains")
    ctx = err.get("ctx") or {}
    if ctx.get("le") == MAX_ABS or ctx.get("ge") == -MAX_ABS:
        return (f"a number within -{MAX_ABS:g}..{MAX_ABS:g} (the range the solver can work with; "
                "rescale the units if your numbers are larger)")
    for prefix in ("Input should be ", "String should ", "Value error, "):
        if msg.startswith(prefix):
            msg = msg[len(prefix):]
    return msg


def format_loc(loc: tuple) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


# ---------------------------------------------------------------------------- CSV tables
def _read_csv(base: Path, ref: Any, file: str, path: str, problems: list[Problem]) -> tuple[str, list[dict]] | None:
    if not isinstance(ref, str) or not ref:
        problems.append(Problem(file, path, ref, "a CSV file name (relative to the instance file)"))
        return None
    p = (base / ref)
    if not p.exists():
        problems.append(Problem(file, path, ref, f"an existing CSV file (looked for {p})"))
        return None
    csv_file = str(p)
    try:
        check_file_size(p, csv_file)
        with p.open(newline="", encoding="utf-8-sig") as fh:
            records = list(csv.reader(fh))
    except InstanceError as exc:
        problems.extend(exc.problems)
        return None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        problems.append(Problem(csv_file, "", type(exc).__name__, f"a readable UTF-8 CSV file ({exc})"))
        return None
    if not records:
        return csv_file, []
    cells = sum(map(len, records))
    if cells > MAX_ENTRIES:
        problems.append(Problem(csv_file, "", f"{cells:,} cells", f"at most {MAX_ENTRIES:,} cells (yrdopt's input limit)"))
        return None
    header, rows, before = records[0], [], len(problems)
    for i, rec in enumerate(records[1:], start=2):
        if not rec:  # a blank line
            continue
        if len(rec) > len(header):
            problems.append(Problem(csv_file, f"row {i}, column {len(header) + 1}", rec[len(header):],
                                    f"at most {len(header)} values, one per column of the header ({_preview(header)})"))
        elif len(rec) < len(header):
            problems.append(Problem(csv_file, f"row {i}, column {len(rec) + 1} ({header[len(rec)]})",
                                    f"{len(rec)} values", f"{len(header)} values, one per column of the header "
                                    f"({_preview(header)})"))
        else:
            rows.append((i, dict(zip(header, rec))))
    if len(problems) > before:
        return None
    return csv_file, rows


def _preview(items: list, n: int = 6) -> str:
    return ", ".join(map(str, items[:n])) + (", ..." if len(items) > n else "")


def _num(text: Any, csv_file: str, where: str, problems: list[Problem], *, blank_ok: bool = False,
         as_read: bool = False):
    """The number of a CSV cell; a bad one is a problem, and None, or with ``as_read`` the text as
    read: put in its field, the schema stage finds it bad too (the same cell, reported once) and
    leaves its field out of the cross-checks (:mod:`yrdopt.validation`)."""
    if text is None or (isinstance(text, str) and text.strip() == ""):
        if blank_ok:
            return None
        problems.append(Problem(csv_file, where, text, "a number"))
        return text if as_read else None
    try:
        v = float(text)
    except (TypeError, ValueError):
        problems.append(Problem(csv_file, where, text, "a number"))
        return text if as_read else None
    if not math.isfinite(v):
        problems.append(Problem(csv_file, where, text, "a finite number"))
        return text if as_read else None
    return v


def _need_columns(rows: list[tuple[int, dict]], cols: list[str], csv_file: str, problems: list[Problem]) -> bool:
    have = set(rows[0][1].keys()) if rows else set()
    missing = [c for c in cols if c not in have]
    if missing:
        problems.append(Problem(csv_file, "header", sorted(have), f"columns {cols} (missing {missing})"))
        return False
    return True


def _expand_tables(data: dict, file: str, base: Path, problems: list[Problem],
                   origin: dict[str, tuple[str, str]]) -> dict:
    """Read the CSV side tables into the inline fields; ``origin`` maps each field path filled
    from a CSV to its (file, "row i, column c"), so later problems name the CSV cell."""
    if "regions_csv" in data:
        got = _read_csv(base, data.pop("regions_csv"), file, "regions_csv", problems)
        if got:
            csv_file, rows = got
            if _need_columns(rows, ["id", "name_en", "province", "kind"], csv_file, problems):
                regions = list(data.get("regions") or []) if isinstance(data.get("regions"), list) else []
                for i, row in rows:
                    at = f"regions[{len(regions)}]"
                    origin[at] = (csv_file, f"row {i}")
                    reg: dict[str, Any] = {k: row[k] for k in ("id", "name_en", "name_zh", "province", "kind") if row.get(k)}
                    for k in ("id", "name_en", "name_zh", "province", "kind"):
                        origin[f"{at}.{k}"] = (csv_file, f"row {i}, column {k}")
                    for k in ("lon", "lat"):
                        v = _num(row.get(k), csv_file, f"row {i}, column {k}", problems, blank_ok=True, as_read=True)
                        if v is not None:
                            reg[k] = v
                            origin[f"{at}.{k}"] = (csv_file, f"row {i}, column {k}")
                    quotas = {}
                    for col, text in row.items():
                        if col and col.startswith("quota_"):
                            v = _num(text, csv_file, f"row {i}, column {col}", problems, blank_ok=True, as_read=True)
                            if v is not None:
                                quotas[col[len("quota_"):]] = v
                                origin[f"{at}.quotas.{col[len('quota_'):]}"] = (csv_file, f"row {i}, column {col}")
                    reg["quotas"] = quotas
                    regions.append(reg)
                data["regions"] = regions
    seg_tables = {
        "site_costs_csv": (["chain", "segment", "region", "site_cost"], "site_cost"),
        "resource_use_csv": (["chain", "segment", "region", "resource", "use"], "resource_use_by_region"),
    }
    region_ids = _ids(data.get("regions")) or None  # no regions: the schema says so, not every row
    resource_ids = _ids(data.get("resources"))
    for key, (cols, field) in seg_tables.items():
        if key not in data:
            continue
        got = _read_csv(base, data.pop(key), file, key, problems)
        if not got:
            continue
        csv_file, rows = got
        if not _need_columns(rows, cols, csv_file, problems):
            continue
        segs = _segment_lookup(data)
        for i, row in rows:
            found = segs.get((row["chain"], row["segment"]))
            if found is None:
                known_chain = row["chain"] in {c for c, _ in segs}
                problems.append(Problem(csv_file, f"row {i}, columns chain/segment", f"{row['chain']}/{row['segment']}",
                                        "a segment defined under chains",
                                        ref=(f"segment of chain {row['chain']}", row["segment"]) if known_chain
                                        else ("chain", row["chain"])))
                continue
            at, seg = found
            if region_ids is not None and row["region"] not in region_ids:
                problems.append(Problem(csv_file, f"row {i}, column region", row["region"],
                                        f"a region id ({_preview(sorted(region_ids))})", ref=("region", row["region"])))
                continue
            if field == "site_cost":
                v = _num(row["site_cost"], csv_file, f"row {i}, column site_cost", problems, as_read=True)
                if v is not None:
                    seg.setdefault("site_cost", {})[row["region"]] = v
                    origin[f"{at}.site_cost.{row['region']}"] = (csv_file, f"row {i}, column site_cost")
            else:
                if resource_ids is not None and row["resource"] not in resource_ids:
                    problems.append(Problem(csv_file, f"row {i}, column resource", row["resource"],
                                            f"a resource declared in resources ({_preview(sorted(resource_ids))})",
                                            ref=("resource", row["resource"])))
                    continue
                v = _num(row["use"], csv_file, f"row {i}, column use", problems, as_read=True)
                if v is not None:
                    seg.setdefault("resource_use_by_region", {}).setdefault(row["region"], {})[row["resource"]] = v
                    origin[f"{at}.resource_use_by_region.{row['region']}.{row['resource']}"] = (
                        csv_file, f"row {i}, column use")
    bf = data.get("brownfield")
    if isinstance(bf, dict) and "existing_csv" in bf:
        bf = dict(bf)
        data["brownfield"] = bf
        got = _read_csv(base, bf.pop("existing_csv"), file, "brownfield.existing_csv", problems)
        if got:
            inline = list(bf.get("existing") or [])
            bf["existing"] = inline + _existing_sites_from_rows(*got, problems, origin, len(inline))
    ed = data.get("economic_distance")
    if isinstance(ed, dict) and ("matrix_csv" in ed or "components_csv" in ed):
        ed = dict(ed)
        data["economic_distance"] = ed
        if "matrix_csv" in ed:
            got = _read_csv(base, ed.pop("matrix_csv"), file, "economic_distance.matrix_csv", problems)
            if got:
                ed["matrix"] = _square_from_rows(*got, problems, origin)
        if "components_csv" in ed:
            got = _read_csv(base, ed.pop("components_csv"), file, "economic_distance.components_csv", problems)
            if got:
                ed["components"] = _components_from_rows(*got, problems, origin)
    return data


def _ids(items: Any) -> set[str] | None:
    """The ids of a list of mappings, or None when it is not one (the schema will say why)."""
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        return None
    return {str(x.get("id")) for x in items}


def _existing_sites_from_rows(csv_file: str, rows: list[tuple[int, dict]], problems: list[Problem],
                              origin: dict[str, tuple[str, str]] | None = None, first: int = 0) -> list[dict]:
    """Today's sites from a baseline table (chain, segment, region, activity; optional sited,
    capacity, opened).  Rows with ``sited`` 0/false are not sites.  ``origin`` gets each
    site's fields' CSV cells (``brownfield.existing[first + k]`` for the k-th site read)."""
    if not _need_columns(rows, ["chain", "segment", "region", "activity"], csv_file, problems):
        return []
    out = []
    for i, row in rows:
        if str(row.get("sited", "1")).strip().lower() in ("0", "0.0", "false", "no"):
            continue
        a = _num(row["activity"], csv_file, f"row {i}, column activity", problems, as_read=True)
        if isinstance(a, float) and a < 0:
            problems.append(Problem(csv_file, f"row {i}, column activity", row["activity"], "today's activity >= 0"))
        site: dict[str, Any] = {"chain": row["chain"], "segment": row["segment"], "region": row["region"], "activity": a}
        if origin is not None:
            at = f"brownfield.existing[{first + len(out)}]"
            origin[at] = (csv_file, f"row {i}")
            for col in ("chain", "segment", "region", "activity", "capacity", "opened"):
                origin[f"{at}.{col}"] = (csv_file, f"row {i}, column {col}")
        for col in ("capacity", "opened"):
            v = _num(row.get(col), csv_file, f"row {i}, column {col}", problems, blank_ok=True, as_read=True)
            if v is not None:
                site[col] = int(v) if col == "opened" and isinstance(v, float) and v.is_integer() else v
        out.append(site)
    return out


def _segment_lookup(data: dict) -> dict[tuple[str, str], tuple[str, dict]]:
    out: dict[tuple[str, str], tuple[str, dict]] = {}
    chains = data.get("chains")
    if not isinstance(chains, list):
        return out
    for ci, c in enumerate(chains):
        if isinstance(c, dict) and isinstance(c.get("segments"), list):
            for si, s in enumerate(c["segments"]):
                if isinstance(s, dict):
                    out[(str(c.get("id")), str(s.get("id")))] = (f"chains[{ci}].segments[{si}]", s)
    return out


def _square_from_rows(csv_file: str, rows: list[tuple[int, dict]], problems: list[Problem],
                      origin: dict[str, tuple[str, str]]) -> dict:
    if not rows:
        problems.append(Problem(csv_file, "", "an empty table", "a square matrix with a header row of region ids"))
        return {"regions": [], "values": []}
    cols = list(rows[0][1].keys())
    first, ids = cols[0], cols[1:]
    row_ids = [r[first] for _, r in rows]
    if row_ids != ids:
        problems.append(Problem(csv_file, f"column {first}", row_ids[:5],
                                f"the same region ids, in the same order, as the header ({ids[:5]}...)"))
    values = []
    for a, (i, r) in enumerate(rows):
        values.append([_num(r[c], csv_file, f"row {i}, column {c}", problems) or 0.0 for c in ids])
        for b, c in enumerate(ids):
            origin[f"economic_distance.matrix.values[{a}][{b}]"] = (csv_file, f"row {i}, column {c}")
    for b, c in enumerate(ids):
        origin[f"economic_distance.matrix.regions[{b}]"] = (csv_file, f"row 1, column {c}")
    return {"regions": ids, "values": values}


def _components_from_rows(csv_file: str, rows: list[tuple[int, dict]], problems: list[Problem],
                          origin: dict[str, tuple[str, str]]) -> dict:
    if not _need_columns(rows, ["from", "to", *DISTANCE_COMPONENTS], csv_file, problems):
        return {}
    ids = list(dict.fromkeys([r["from"] for _, r in rows] + [r["to"] for _, r in rows]))
    pos = {rid: k for k, rid in enumerate(ids)}
    n = len(ids)
    out = {}
    for comp in DISTANCE_COMPONENTS:
        m = [[0.0] * n for _ in range(n)]
        seen = [[i == j for j in range(n)] for i in range(n)]
        for i, r in rows:
            v = _num(r[comp], csv_file, f"row {i}, column {comp}", problems)
            a, b = pos[r["from"]], pos[r["to"]]
            seen[a][b] = True  # a bad value is its own problem, not also a missing pair
            if v is not None:
                m[a][b] = v
                origin[f"economic_distance.components.{comp}.values[{a}][{b}]"] = (csv_file, f"row {i}, column {comp}")
        gaps = [(ids[a], ids[b]) for a in range(n) for b in range(n) if not seen[a][b]]
        if gaps:
            problems.append(Problem(csv_file, f"column {comp}", f"{len(gaps)} missing pairs, e.g. {gaps[0]}",
                                    "a row for every ordered pair of regions"))
            break
        out[comp] = {"regions": ids, "values": m}
    return out


# ----------------------------------------------------------------------- hashing / dump
def instance_dict(inst: Instance) -> dict:
    return inst.model_dump(mode="json", by_alias=True, exclude_defaults=False)


def content_hash(inst: Instance) -> str:
    """sha256 of the canonical JSON of the validated instance (CSV tables included)."""
    blob = json.dumps(instance_dict(inst), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


def dump_instance(inst: Instance, path: str | Path) -> Path:
    """Write an instance as one self-contained YAML (or JSON) file."""
    path = Path(path)
    data = inst.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data = {"name": inst.name, **data}
    if path.suffix.lower() == ".json":
        text = json.dumps(data, indent=1, ensure_ascii=False)
    else:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120)
    atomic_write_text(path, text)
    return path


def atomic_write_text(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a crash never leaves half a file."""
    atomic_write_bytes(path, text.encode("utf-8"))


def temp_name(path: str | Path) -> Path:
    """The private temporary name ``path`` is written under before it is renamed (or linked) to
    its name: hidden, in the same folder (one file system), unique to this process and call."""
    import os

    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.{os.urandom(4).hex()}.tmp")


_TEMP_NAME = re.compile(r"\.(?P<name>.+)\.\d+\.[0-9a-f]+\.tmp")


def temp_of(name: str) -> str | None:
    """The file name a ``temp_name`` stands for (a killed writer leaves it behind), else None."""
    m = _TEMP_NAME.fullmatch(name)
    return m["name"] if m else None


def atomic_write_bytes(path: str | Path, data: bytes) -> None:
    """Write bytes durably: a private temporary file, fsync, then rename over ``path``."""
    import os

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temp_name(path)
    try:
        with open(tmp, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        tmp.replace(path)
    finally:
        tmp.unlink(missing_ok=True)


def atomic_savefig(fig, path: str | Path, **kwargs) -> Path:
    """Save a matplotlib figure atomically (format from the file suffix)."""
    import io as _io

    buf = _io.BytesIO()
    fig.savefig(buf, format=Path(path).suffix.lstrip(".") or "png", **kwargs)
    atomic_write_bytes(path, buf.getvalue())
    return Path(path)

"""Every independent mistake of an instance in one run, knock-on problems folded under their cause.

An instance is checked in three stages: its tables (CSV side tables, workbook sheets), the schema
(pydantic: types and ranges) and the cross-checks (:func:`yrdopt.schema.cross_check`: ids that
must exist, the order of milestones, sums).  Each stage used to run only once the one before had
passed, so an input with a mistake of each kind took three runs.  Here every stage runs:

* the schema stage validates leniently (:func:`schema_stage`): each bad value is reported, then
  left out — an optional field falls back to its default, a mapping entry or a field that does not
  exist is dropped, a list item with a bad required field is dropped — and the rest is validated
  again, so the cross-checks run on what is sound;
* a cross-check that reads what was left out cannot run: its problems are not reported (the
  checks of the field that was left out and of the fields of its own item); a required part that
  cannot be left out (no regions, no chains, no distance) is cross-checked as empty, which skips
  only the checks that need it;
* references to an item left out for another mistake are not problems, and references to one
  missing id are one problem (:func:`settle`): the first place, the others listed under it
  (``Problem.follows``), with the close id that does exist named ("is one of them misspelt?"); an
  id misspelt where it is defined (3 places or more name a close id that nothing defines) is the
  problem itself, and the places that name it the other way follow from it, as they follow from a
  definition that is reported wrong anyway (a region id the schema refuses, 2025 typed 2052); the
  places that name an item a table problem left out (``Problem.defines``: a workbook's segment row
  under an unknown chain) follow from that problem;
* one place (a cell, a CSV cell, a field) is reported by the first stage that finds it wrong.
"""

from __future__ import annotations

import copy
import dataclasses
import difflib
import re
import types
import typing
from dataclasses import dataclass, field
from typing import Any, Callable

from pydantic import BaseModel, ValidationError

from .errors import Problem
from .schema import MISSING_FROM_MATRIX, Instance, cross_check

# a schema problem's repair can make new ones (a chain whose only segment was left out has no
# segment); they are knock-ons, not reported, and repaired the same way a few rounds deep
MAX_REPAIR_ROUNDS = 8
# a group of references to one missing id this large, with a close id defined, blames the definition
BLAME_DEFINITION_FROM = 3
# a required part of the instance missing or wrong as a whole (no region it can read, say): validated
# with a stand-in so the rest is, then cross-checked as empty (EMPTY), which skips only the checks
# that need it (:func:`yrdopt.schema.cross_check`)
STAND_INS: dict[str, Any] = {
    "name": "-",
    "regions": [{"id": "-", "name_en": "-", "province": "-", "kind": "outer"}],
    "chains": [{"id": "-", "segments": [{"id": "-", "activity": 1}]}],
    "economic_distance": {"matrix": {"regions": ["-"], "values": [[0]]}},
}
EMPTY: dict[str, Any] = {"name": "-", "regions": [], "chains": [], "economic_distance": None}


@dataclass
class SchemaStage:
    """What the schema and cross-check stages found, in the instance's own field paths."""

    instance: Instance | None  # None when the schema found a mistake (the cross-checks ran on what was sound)
    schema_problems: list[Problem]
    cross_problems: list[Problem]
    # (kind, id) of items left out for a mistake other than their id: references to them are fine
    left_out: set[tuple[str, str]] = field(default_factory=set)
    # (kind, id) of items whose id itself is bad -> index of its problem in schema_problems
    bad_ids: dict[tuple[str, str], int] = field(default_factory=dict)
    # kind -> id -> field path (a loc tuple) of each id the input defines, for "is it misspelt?"
    defined: dict[str, dict[str, tuple]] = field(default_factory=dict)


def schema_stage(data: dict, file: str, word: Callable[[dict], Problem]) -> SchemaStage:
    """Validate ``data`` against the schema, reporting every error of the first pass (each worded by
    ``word`` from pydantic's error dict), then cross-check what is sound."""
    stage = SchemaStage(None, [], [], defined=_defined_ids(data))
    work = data  # copied before the first repair: a sound instance is validated as given
    remap: dict[str, list[int]] = {}  # a list's original path -> the original index of each item kept
    absent: set[str] = set()  # required parts validated with a stand-in, which the cross-checks never see
    broken: list[tuple] = []  # original field paths of everything left out
    for round_ in range(MAX_REPAIR_ROUNDS):
        try:
            inst = Instance.model_validate(work)
            break
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
        if round_ == 0:
            stage.schema_problems = [word(err) for err in errors]
            work = copy.deepcopy(data)
        repairs: dict[tuple, tuple[str, int | None, tuple]] = {}  # where -> (how, its problem, its error's loc)
        for k, err in enumerate(errors):
            loc = tuple(err["loc"])
            target = _repair(loc)
            if target is None and loc and loc[0] in STAND_INS:
                target = (loc[:1], "stand-in")  # a required part missing or wrong as a whole
            if target is None:
                return stage  # nothing to leave out but the whole instance: no cross-check can run
            at, how = target
            if at not in repairs or (round_ == 0 and loc == (*at, "id")):
                repairs[at] = (how, k if round_ == 0 else None, loc)
        try:
            for at, (how, k, loc) in sorted(repairs.items(), key=lambda kv: _order(kv[0]), reverse=True):
                original = _original_loc(at, remap)
                broken.append(original)
                named, also = _item_ids(work, at) if how == "item" else (None, [])
                if how == "stand-in":
                    work[at[0]] = copy.deepcopy(STAND_INS[at[0]])
                    absent.add(at[0])
                    continue
                _leave_out(work, at, how, remap)
                if named is not None:  # references to it follow from its bad id, or are fine
                    if k is not None and loc == (*at, "id"):
                        stage.bad_ids[named] = k
                    else:
                        stage.left_out.add(named)
                stage.left_out.update(also)
        except (KeyError, IndexError, TypeError, AttributeError):
            return stage  # the data is not shaped as the errors say: leave the cross-checks out
    else:
        return stage
    stage.instance = inst if not stage.schema_problems else None
    # the cross-checks see no region, chain or distance where the input gave none it could read, and
    # skip what needs them (a stand-in's own ids would make every reference to the real ones unknown)
    cross = cross_check(inst.model_copy(update={k: EMPTY[k] for k in absent}), file)
    for p in cross:
        path = _original_path(p.path, remap)
        loc = path_loc(path)
        if not any(_reads(loc, b) for b in broken):
            stage.cross_problems.append(dataclasses.replace(p, path=path))
    return stage


def settle(tables: list[Problem], schema: list[Problem], cross: list[Problem], stage: SchemaStage,
           place: Callable[[tuple], tuple[str, str]]) -> list[Problem]:
    """The problems to report, from each stage's list as the caller words them (``schema``: one
    for each of ``stage.schema_problems``, in its order): one place reported once, references to
    items left out dropped, references to one missing id grouped.  ``place(loc)`` is the (file,
    where) of an instance field path, for naming the id that is defined."""
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for problems in (tables, schema, cross):
        here = set()
        for p in problems:
            key = (p.file, _place_key(p.path))
            if key in seen:
                continue  # an earlier stage already said this place is wrong
            here.add(key)
            out.append(p)
        seen |= here
    out = [p for p in out if not (p.ref and p.ref in stage.left_out)]
    reported = {(p.file, _place_key(p.path)): p for p in out}
    # an item's bad id -> the problem reported at its place (an earlier stage's, if one said it first)
    bad_id_roots = {k: reported.get((schema[i].file, _place_key(schema[i].path)), schema[i])
                    for k, i in stage.bad_ids.items() if i < len(schema)}
    groups: dict[tuple[str, str], list[Problem]] = {}
    for p in out:
        if p.ref and p.ref[0] != MISSING_FROM_MATRIX:
            groups.setdefault(p.ref, []).append(p)
    follows: dict[int, list[str]] = {}  # id(problem reported) -> places that follow from it
    dropped: set[int] = set()
    replaced: dict[int, Problem] = {}
    blamed: set[int] = set()  # id(problem) replaced by one blaming the definition of a misspelt id
    home: dict[tuple[str, str], Problem] = {}  # (kind, a defined id) -> the problem its misspellings follow
    joined: dict[int, Problem] = {}  # id(problem dropped) -> the problem it is listed under
    # (kind, id) -> the problem that left out the item defining it (Problem.defines): what names it follows
    defined_by = {p.defines: p for p in out if p.defines is not None}
    left_out_refs: list[tuple[Problem, list[Problem]]] = []
    for (kind, missing), members in groups.items():
        if (kind, missing) in defined_by:  # listed once the problem that left it out is placed (below)
            left_out_refs.append((defined_by[(kind, missing)], members))
            continue
        broken_ids = [i for (k, i) in bad_id_roots if k == kind]
        near_broken = closest_id(missing, broken_ids)
        if near_broken is not None:  # the id is misspelt where it is defined, and is wrong there anyway
            root = bad_id_roots[(kind, near_broken)]
            follows.setdefault(id(root), []).extend(_place(p, root.file) for p in members)
            dropped |= {id(p) for p in members}
            joined |= {id(p): root for p in members}
            home[(kind, near_broken)] = root
            continue
        ids = stage.defined.get(kind, {})
        first = members[0]
        # an id whose definition is itself reported wrong (2025 typed 2052 in the milestones):
        # what names the id it should have follows from that problem
        said_wrong = {i: reported[(f, _place_key(w))] for i, (f, w) in ((i, place(loc)) for i, loc in ids.items())
                      if i != missing and (f, _place_key(w)) in reported}
        near = closest_id(missing, list(said_wrong), cutoff=0.5)
        if near is not None:
            follows.setdefault(id(said_wrong[near]), []).extend(_place(p, said_wrong[near].file) for p in members)
            dropped |= {id(p) for p in members}
            joined |= {id(p): said_wrong[near] for p in members}
            home[(kind, near)] = said_wrong[near]
            continue
        near = closest_id(missing, [i for i in ids if i != missing])
        if near is not None:
            home[(kind, near)] = first
            d_file, d_where = place(ids[near])
            if len(members) >= BLAME_DEFINITION_FROM:
                blamed.add(id(first))
                replaced[id(first)] = Problem(
                    d_file, d_where, near,
                    f"{missing!r}, the {kind} id {len(members)} places name (no {kind} has it; if {near!r} "
                    "is right, correct those places instead)", follows=tuple(_place(p, d_file) for p in members))
                dropped |= {id(p) for p in members[1:]}
                joined |= {id(p): first for p in members[1:]}
                continue
            first = dataclasses.replace(first, expected=f"{first.expected}; no {kind} is {missing!r}: "
                                                         f"{d_where} is {near!r}, is one of them misspelt?")
            replaced[id(members[0])] = first
        follows.setdefault(id(members[0]), []).extend(_place(p, first.file) for p in members[1:])
        dropped |= {id(p) for p in members[1:]}
        joined |= {id(p): members[0] for p in members[1:]}
    # the places naming an item that a problem left out (a workbook's segment row under an unknown
    # chain) follow from that problem, wherever it is listed itself
    for cause, members in left_out_refs:
        root = joined.get(id(cause), cause)
        follows.setdefault(id(root), []).extend(_place(p, replaced.get(id(root), root).file) for p in members)
        dropped |= {id(p) for p in members}
    # a matrix that lacks only regions defined under a misspelt id follows from that id's problem
    matrices: dict[int, int] = {}  # id(root) -> how many of its knock-ons are matrices lacking the id
    for p in out:
        if p.ref and p.ref[0] == MISSING_FROM_MATRIX:
            roots = {id(home[("region", r)]): home[("region", r)] for r in p.ref[1].split(",") if ("region", r) in home}
            if len(roots) == 1 and all(("region", r) in home for r in p.ref[1].split(",")):
                (root,) = roots.values()
                follows.setdefault(id(root), []).append(_place(p, root.file))
                matrices[id(root)] = matrices.get(id(root), 0) + 1
                dropped.add(id(p))
    result = []
    for p in out:
        if id(p) in dropped:
            continue
        q = replaced.get(id(p), p)
        if matrices.get(id(p)) and id(p) in blamed:
            # "N places name" counts the places naming the id; the matrices lacking the one defined, apart
            n = matrices[id(p)]
            q = dataclasses.replace(q, expected=f"{q.expected}, and {n} distance matri{'x has' if n == 1 else 'ces have'} "
                                                f"no row for {q.value!r}")
        extra = tuple(follows.get(id(p), ()))
        result.append(dataclasses.replace(q, follows=q.follows + extra) if extra else q)
    return result


# ------------------------------------------------------------------------- the schema's repairs
def _unwrap(tp: Any) -> Any:
    """The type a value of annotation ``tp`` has: Annotated and Optional taken off."""
    while True:
        origin = typing.get_origin(tp)
        if origin is typing.Annotated:
            tp = typing.get_args(tp)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(tp) if a is not type(None)]
            tp = args[0] if len(args) == 1 else None
        else:
            return tp


def _field(model: type[BaseModel], name: str):
    return next((f for n, f in model.model_fields.items() if name in (n, f.alias)), None)


def _repair(loc: tuple) -> tuple[tuple, str] | None:
    """Where to leave out what the error at ``loc`` is about: (the deepest part that can go, how):
    "key" a mapping's entry, a field that does not exist or a field with a default (deleted),
    "item" a list's item (dropped); None when only the whole instance could go."""
    tp: Any = Instance
    steps: list[tuple[str, bool]] = []
    for part in loc:
        tp = _unwrap(tp)
        if part == "[key]":  # pydantic's marker of a mapping key that is wrong: its entry goes
            continue
        if isinstance(tp, type) and issubclass(tp, BaseModel) and isinstance(part, str):
            f = _field(tp, part)
            steps.append(("key", True) if f is None else ("field", not f.is_required()))
            tp = None if f is None else f.annotation
        elif typing.get_origin(tp) is dict:
            steps.append(("key", True))
            tp = typing.get_args(tp)[1]
        elif typing.get_origin(tp) is list and isinstance(part, int):
            steps.append(("item", True))
            tp = typing.get_args(tp)[0]
        else:
            steps.append(("?", False))
            tp = None
    parts = [p for p in loc if p != "[key]"]
    for i in range(len(steps) - 1, -1, -1):
        kind, can_go = steps[i]
        if kind in ("key", "item") or (kind == "field" and can_go):
            return tuple(parts[: i + 1]), ("item" if kind == "item" else "key")
    return None


def _order(loc: tuple) -> tuple:
    """Repairs applied deepest and last first, so leaving one out does not move another's index."""
    return tuple((1, p) if isinstance(p, int) else (0, str(p)) for p in loc)


def _leave_out(work: dict, at: tuple, how: str, remap: dict[str, list[int]]) -> None:
    holder: Any = work
    for part in at[:-1]:
        holder = holder[part]
    last = at[-1]
    if how == "item":
        key = _original_path(_loc_path(at[:-1]), remap)
        remap.setdefault(key, list(range(len(holder)))).pop(last)
        holder.pop(last)
    elif isinstance(holder, dict):
        holder.pop(last, None)


def _item_ids(work: dict, at: tuple) -> tuple[tuple[str, str] | None, list[tuple[str, str]]]:
    """(kind, id) of the list item at ``at`` of the data, when it defines one, and the other ids it
    defines (a region its province, a segment its kind, a milestone its year), which stay defined
    for the references to them when it is left out."""
    item: Any = work
    for part in at:
        item = item[part]
    if not isinstance(item, dict):
        return None, []
    also = []
    if len(at) == 2 and at[0] in ITEM_KINDS:
        kind, value = ITEM_KINDS[at[0]], item.get("id")
        if at[0] == "regions":
            also.append(("province", item.get("province")))
    elif len(at) == 4 and at[0] == "chains" and at[2] == "segments":
        kind, value = f"segment of chain {work['chains'][at[1]].get('id')}", item.get("id")
        also.append(("segment kind", item.get("kind", "manufacturing")))
    elif len(at) == 3 and at[:2] == ("brownfield", "existing"):
        kind, value = "existing site", f"{item.get('chain')}/{item.get('segment')} in {item.get('region')}"
    elif len(at) == 3 and at[:2] == ("periods", "milestones"):
        kind, value = "milestone year", item.get("year")
    else:
        return None, []
    also = [(k, str(v)) for k, v in also if _is_id(v)]
    return ((kind, str(value)) if _is_id(value) else None), also


def _is_id(value: Any) -> bool:
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


# list of the instance -> the kind of id its items define
ITEM_KINDS = {"regions": "region", "resources": "resource", "chains": "chain", "enclaves": "park"}


def _defined_ids(data: dict) -> dict[str, dict[str, tuple]]:
    """kind -> id -> the field path defining it, for every id the input defines (sound or not)."""
    out: dict[str, dict[str, tuple]] = {}

    def add(kind: str, value: Any, loc: tuple) -> None:
        if _is_id(value):
            out.setdefault(kind, {}).setdefault(str(value), loc)

    for key, kind in ITEM_KINDS.items():
        items = data.get(key)
        for i, item in enumerate(items if isinstance(items, list) else []):
            if isinstance(item, dict):
                add(kind, item.get("id"), (key, i, "id"))
                if key == "regions":
                    add("province", item.get("province"), (key, i, "province"))
    chains = data.get("chains") if isinstance(data.get("chains"), list) else []
    for ci, c in enumerate(chains):
        segs = c.get("segments") if isinstance(c, dict) else None
        for si, s in enumerate(segs if isinstance(segs, list) else []):
            if isinstance(s, dict):
                add(f"segment of chain {c.get('id')}", s.get("id"), ("chains", ci, "segments", si, "id"))
                add("segment kind", s.get("kind", "manufacturing"), ("chains", ci, "segments", si, "kind"))
    periods = data.get("periods")
    milestones = periods.get("milestones") if isinstance(periods, dict) else None
    for i, m in enumerate(milestones if isinstance(milestones, list) else []):
        if isinstance(m, dict):
            add("milestone year", m.get("year"), ("periods", "milestones", i, "year"))
    return out


# ------------------------------------------------------------------------------ paths
_INDEX = re.compile(r"\[(\d+)\]")


def _original_path(path: str, remap: dict[str, list[int]]) -> str:
    """A field path of the repaired data with every list index turned back into the input's."""
    out, pos = "", 0
    for m in _INDEX.finditer(path):
        out += path[pos:m.start()]
        i = int(m.group(1))
        kept = remap.get(out)
        out += f"[{kept[i] if kept is not None and i < len(kept) else i}]"
        pos = m.end()
    return out + path[pos:]


def _original_loc(loc: tuple, remap: dict[str, list[int]]) -> tuple:
    return path_loc(_original_path(_loc_path(loc), remap))


def _loc_path(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else ("." if out else "") + str(part)
    return out


def path_loc(path: str) -> tuple:
    """``chains[0].segments[2].site_cost.sh (x)`` -> ('chains', 0, 'segments', 2, 'site_cost', 'sh')."""
    path = re.sub(r"\s+\(.*\)$", "", path.strip())
    out: list = []
    for name, idx in re.findall(r"([^.\[\]]+)|\[(\d+)\]", path):
        out.append(int(idx) if idx else name)
    return tuple(out)


def _reads(loc: tuple, broken: tuple) -> bool:
    """Whether the cross-check problem at ``loc`` may read the field ``broken`` that was left out:
    one is within the other, or both are fields of one list item ("regions[3].lon/lat" reads
    "regions[3].lon")."""
    if all(_same(a, b) for a, b in zip(loc, broken)):
        return True
    ints = [i for i, p in enumerate(broken) if isinstance(p, int)]
    if not ints or len(broken) != ints[-1] + 2:  # only a field of an item is read by its item's checks
        return False
    item = broken[: ints[-1] + 1]
    return len(item) <= len(loc) <= len(item) + 1 and all(_same(a, b) for a, b in zip(loc, item))


def _same(a: Any, b: Any) -> bool:
    return a == b or (isinstance(a, str) and "/" in a and str(b) in a.split("/"))


def _place_key(path: str) -> str:
    """A place without the field path said after it in parentheses (a CSV cell's)."""
    return path.split(" (")[0] if not path.startswith("sheet ") else re.sub(r", field .*$", "", path)


def _place(p: Problem, file: str) -> str:
    """Where ``p`` is, said under a problem of ``file``."""
    return p.path if p.file == file and p.path else f"{p.file}: {p.path}" if p.path else p.file


def closest_id(word: str, candidates: list[str], cutoff: float = 0.75) -> str | None:
    if word in candidates:
        return word
    found = difflib.get_close_matches(word, candidates, n=1, cutoff=cutoff)
    return found[0] if found else None

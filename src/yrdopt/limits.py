"""Limits on input: a file that is too big, too deep or expands too far is refused at once, with a
message, instead of taking minutes and gigabytes (or a RecursionError) before failing.

* ``MAX_FILE_BYTES``: an instance, CSV side table, workbook or sweep spec on disk;
* ``MAX_DEPTH``: nesting of mappings and lists (an instance needs 7);
* ``MAX_ENTRIES``: values after YAML aliases are expanded (the 41-city instance with its CSV
  tables has about 12,000; a generated 300-region instance about 100,000), and cells of one
  CSV side table or workbook sheet;
* ``MAX_TEXT_CHARS``: characters of all strings after aliases are expanded.

YAML aliases are kept as shared objects while reading and counted as often as they are
referenced, so an alias bomb is refused after reading a few kilobytes.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import numpy as np
import yaml

from .errors import InstanceError, Problem

MAX_FILE_BYTES = 64 * 2**20
MAX_DEPTH = 32
MAX_ENTRIES = 1_000_000
MAX_TEXT_CHARS = 64 * 2**20


class _Refused(Exception):
    def __init__(self, where: str, value: Any, expected: str):
        super().__init__(expected)
        self.where, self.value, self.expected = where, value, expected


def check_file_size(path: Path, file: str | None = None) -> None:
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise InstanceError([Problem(file or str(path), "", f"{size / 2**20:.1f} MB",
                                     f"a file of at most {MAX_FILE_BYTES // 2**20} MB (yrdopt's input limit)")])


class _BoundedMerges:
    """A bound on entries merged with ``<<`` (merges copy entries, so nested merges grow
    exponentially while the file stays small)."""

    _merged = 0

    def flatten_mapping(self, node):
        super().flatten_mapping(node)
        self._merged += len(node.value)
        if self._merged > MAX_ENTRIES:
            raise _Refused(f"line {node.start_mark.line + 1}", "merge keys (<<) expanding beyond limits",
                           f"at most {MAX_ENTRIES:,} entries after merges (yrdopt's input limit)")


class BoundedLoader(_BoundedMerges, yaml.SafeLoader):
    """PyYAML's pure-Python safe loader with a nesting limit checked while composing (its
    composer recurses: 100,000 levels would end in a RecursionError)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _Refused(f"line {mark.line + 1}, column {mark.column + 1}", f"nesting deeper than {MAX_DEPTH}",
                               f"mappings and lists nested at most {MAX_DEPTH} deep (yrdopt's input limit)")
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


# libyaml's loader is about 10x faster (the 41-city instance: 0.3 s instead of 2.6 s) but its
# composer recurses in C without a limit, so it reads only text whose nesting is visibly
# shallow: flow brackets, indentation and "- - -" runs below _C_SAFE_DEPTH; anything else goes
# through BoundedLoader.  check_tree then applies MAX_DEPTH to what either one read.
_C_SAFE_DEPTH = 1000
_DEEP_BLOCK = re.compile(r"^ {%d}|(?:[-?:] +){%d}" % (_C_SAFE_DEPTH, _C_SAFE_DEPTH // 2), re.M)
if getattr(yaml, "__with_libyaml__", False):
    class FastBoundedLoader(_BoundedMerges, yaml.CSafeLoader):
        pass
else:  # pragma: no cover - PyYAML built without libyaml
    FastBoundedLoader = BoundedLoader


def _visibly_shallow(text: str) -> bool:
    raw = np.frombuffer(text.encode("utf-8", "surrogatepass"), dtype=np.uint8)
    step = (np.isin(raw, (ord("["), ord("{"))).astype(np.int32) - np.isin(raw, (ord("]"), ord("}"))))
    flow = int(np.cumsum(step).max()) if len(step) else 0  # brackets in strings only overestimate
    return flow < _C_SAFE_DEPTH and _DEEP_BLOCK.search(text) is None


def load_yaml(text: str, file: str) -> Any:
    loader = FastBoundedLoader if _visibly_shallow(text) else BoundedLoader
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 - SafeLoader subclasses
    except _Refused as exc:
        raise InstanceError([Problem(file, exc.where, exc.value, exc.expected)]) from None
    except RecursionError:
        raise InstanceError([Problem(file, "", "nesting too deep to read", f"mappings and lists nested at most "
                                                                          f"{MAX_DEPTH} deep")]) from None


def check_tree(data: Any, file: str) -> None:
    """Refuse data nested deeper than MAX_DEPTH, referring to itself, or larger than MAX_ENTRIES /
    MAX_TEXT_CHARS once shared (aliased) parts are counted as often as they are used.

    Each distinct object is visited once (its size is memoised), so the cost is that of the
    file as written, not of its expansion."""
    sizes: dict[int, tuple[int, int]] = {}
    open_: set[int] = set()

    def size(obj: Any, depth: int, path: str) -> tuple[int, int]:
        if isinstance(obj, str):
            return 1, len(obj)
        if not isinstance(obj, (dict, list)):
            return 1, 0
        key = id(obj)
        if key in sizes:
            return sizes[key]
        if key in open_:
            raise _Refused(path or "top level", "a value that contains itself (a YAML alias to an enclosing node)",
                           "data without cycles")
        if depth > MAX_DEPTH:
            raise _Refused(path, f"nesting deeper than {MAX_DEPTH}",
                           f"mappings and lists nested at most {MAX_DEPTH} deep (yrdopt's input limit)")
        open_.add(key)
        n, chars = 1, 0
        is_dict = isinstance(obj, dict)
        for k, v in (obj.items() if is_dict else enumerate(obj)):
            if is_dict and isinstance(k, str):
                chars += len(k)
            if isinstance(v, str):  # leaves inline: a million function calls cost seconds
                n += 1
                chars += len(v)
            elif isinstance(v, (dict, list)):
                a, b = size(v, depth + 1, (f"{path}.{k}" if is_dict else f"{path}[{k}]").lstrip("."))
                n += a
                chars += b
            else:
                n += 1
            if n > MAX_ENTRIES:
                raise _Refused(path or "top level", f"more than {MAX_ENTRIES:,} values (aliases counted as often "
                               "as they are used)", f"at most {MAX_ENTRIES:,} values (yrdopt's input limit)")
            if chars > MAX_TEXT_CHARS:
                raise _Refused(path or "top level", f"more than {MAX_TEXT_CHARS // 2**20} MB of text (aliases "
                               "counted as often as they are used)",
                               f"at most {MAX_TEXT_CHARS // 2**20} MB of text (yrdopt's input limit)")
        open_.discard(key)
        sizes[key] = (n, chars)
        return n, chars

    try:
        size(data, 0, "")
    except _Refused as exc:
        raise InstanceError([Problem(file, exc.where, exc.value, exc.expected)]) from None

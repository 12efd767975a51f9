"""Limits on input: a file that is too big, too deep or expands too far is refused at once, with a
message, instead of taking minutes and gigabytes (or a RecursionError) before failing.

* ``MAX_FILE_BYTES``: an instance, CSV side table, workbook or sweep spec on disk;
* ``MAX_DEPTH``: nesting of mappings and lists (an instance needs 7);
* ``MAX_ENTRIES``: values after YAML aliases are expanded (the 41-city instance with its CSV
  tables has about 12,000; a 300-region instance about 300,000);
* ``MAX_TEXT_CHARS``: characters of all strings after aliases are expanded.

YAML aliases are kept as shared objects while reading and counted as often as they are
referenced, so an alias bomb is refused after reading a few kilobytes.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from .errors import InstanceError, Problem

MAX_FILE_BYTES = 64 * 2**20
MAX_DEPTH = 32
MAX_ENTRIES = 2_000_000
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


class BoundedLoader(yaml.SafeLoader):
    """PyYAML's safe loader with a nesting limit (its composer recurses: 100,000 levels would
    end in a RecursionError) and a bound on entries merged with ``<<`` (merges copy entries,
    so nested merges grow exponentially while the file stays small)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0
        self._merged = 0

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

    def flatten_mapping(self, node):
        super().flatten_mapping(node)
        self._merged += len(node.value)
        if self._merged > MAX_ENTRIES:
            raise _Refused(f"line {node.start_mark.line + 1}", "merge keys (<<) expanding beyond limits",
                           f"at most {MAX_ENTRIES:,} entries after merges (yrdopt's input limit)")


def load_yaml(text: str, file: str) -> Any:
    try:
        return yaml.load(text, Loader=BoundedLoader)  # noqa: S506 - a SafeLoader subclass
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
        items = obj.items() if isinstance(obj, dict) else enumerate(obj)
        for k, v in items:
            sub = f"{path}.{k}" if isinstance(obj, dict) else f"{path}[{k}]"
            a, b = size(v, depth + 1, sub.lstrip("."))
            n += a
            chars += b + (len(k) if isinstance(k, str) else 0)
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

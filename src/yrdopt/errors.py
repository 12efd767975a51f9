"""Errors a user can cause, carried with enough context to fix them.

Every problem names the file, the field path inside it, the bad value and what was
expected.  The CLI prints them as a short list and exits non-zero; it never shows a
traceback for a user's mistake.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .words import counted


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


class Described(str):
    """A value told in words ("nothing", "no region"), printed as is: quoted, it would read as
    the text a user typed."""

    def __repr__(self) -> str:
        return str(self)


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input: where, what was found, what was expected.

    ``ref`` marks a reference to an id that does not exist, as (kind, id): ("region",
    "shanghai"); references to one missing id are reported once, the other places listed in
    ``follows`` (:mod:`yrdopt.validation`), so one misspelt id is one problem, not fifty.
    ``defines``: the (kind, id) an item would have defined had this problem not left it out (a
    workbook's segment row under an unknown chain): the references to it follow from this one."""

    file: str
    path: str
    value: Any
    expected: str
    ref: tuple[str, str] | None = field(default=None, compare=False)
    follows: tuple[str, ...] = field(default=(), compare=False)
    defines: tuple[str, str] | None = field(default=None, compare=False)

    def __str__(self) -> str:
        where = f"{self.file}: {self.path}" if self.path else self.file
        text = f"{where}: got {_short(self.value)}; expected {self.expected}"
        if self.follows:
            n = len(self.follows)
            shown = "; ".join(self.follows[:FOLLOWS_SHOWN]) + (f"; ... and {n - FOLLOWS_SHOWN} more" if n > FOLLOWS_SHOWN else "")
            text += f"\n      {counted(n, 'more problem follows', 'more problems follow')} from this one: {shown}"
        return text


# knock-on problems named under the one they follow from (all of them are in Problem.follows)
FOLLOWS_SHOWN = 8


class YrdoptError(Exception):
    """Base class of every error that is the user's to fix (never a bug of ours)."""


class InstanceError(YrdoptError):
    """An instance (or layout, or sweep spec) that does not validate."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__(self.message())

    def message(self, limit: int = 20) -> str:
        n = len(self.problems)
        head = f"{counted(n, 'problem')} in the input:"
        knock_on = sum(len(p.follows) for p in self.problems)
        if knock_on:
            head = (f"{counted(n, 'problem')} in the input ({counted(knock_on, 'more follows', 'more follow')} from {'it' if n == 1 else 'them'}, "
                    "listed under the one each follows from):")
        lines = [f"  - {p}" for p in self.problems[:limit]]
        if n > limit:
            lines.append(f"  ... and {n - limit} more")
        return "\n".join([head, *lines])


class InfeasibleError(YrdoptError):
    """No layout satisfies every limit; ``explanation`` says which limits conflict."""

    def __init__(self, explanation: str, details: Any = None):
        self.explanation = explanation
        self.details = details
        super().__init__(explanation)


class SolverError(YrdoptError):
    """The solver stopped without a usable layout (error, time limit without incumbent...)."""

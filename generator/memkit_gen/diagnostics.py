"""Diagnostics: collected errors and warnings, each tied to a place in the config.

Every problem is reported as ``FILE:LINE:COL: error|warning: MESSAGE`` with an
optional ``hint:`` line. Problems are collected, never raised, so one run shows
all of them.
"""
import difflib
from dataclasses import dataclass
from typing import List, Optional, Sequence, Tuple

Position = Tuple[int, int]


@dataclass(frozen=True)
class Diagnostic:
    severity: str  # "error" | "warning"
    line: int
    col: int
    message: str
    hint: Optional[str] = None


class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics."""

    def __init__(self) -> None:
        self._items: List[Diagnostic] = []

    def error(self, pos: Position, message: str, hint: Optional[str] = None) -> None:
        self._add(Diagnostic("error", pos[0], pos[1], message, hint))

    def warning(self, pos: Position, message: str, hint: Optional[str] = None) -> None:
        self._add(Diagnostic("warning", pos[0], pos[1], message, hint))

    def _add(self, diag: Diagnostic) -> None:
        if diag not in self._items:
            self._items.append(diag)

    @property
    def errors(self) -> List[Diagnostic]:
        return [d for d in self._items if d.severity == "error"]

    @property
    def warnings(self) -> List[Diagnostic]:
        return [d for d in self._items if d.severity == "warning"]

    def sorted(self) -> List[Diagnostic]:
        """By position in the file; discovery order breaks ties."""
        return sorted(self._items, key=lambda d: (d.line, d.col))

    def render(self, filename: str) -> List[str]:
        lines = []
        for d in self.sorted():
            lines.append(f"{filename}:{d.line}:{d.col}: {d.severity}: {d.message}")
            if d.hint:
                lines.append(f"hint: {d.hint}")
        return lines


def did_you_mean(word: str, choices: Sequence[str]) -> Optional[str]:
    """The closest choice to a misspelt word, or None."""
    matches = difflib.get_close_matches(word, sorted(choices), n=1, cutoff=0.6)
    return matches[0] if matches else None


def choice_hint(word: str, choices: Sequence[str], what: str = "valid values") -> str:
    """'did you mean X?' when a choice is close, else the list of choices."""
    close = did_you_mean(word, choices)
    if close is not None:
        return f"did you mean '{close}'?"
    listed = ", ".join(f"'{c}'" for c in choices)
    return f"{what}: {listed}" if choices else f"no {what} are defined"

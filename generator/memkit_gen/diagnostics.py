"""Diagnostics: collected errors and warnings, each tied to a place in the config.

Every problem is reported as ``FILE:LINE:COL: error|warning: MESSAGE`` with an
optional ``hint:`` line. Warnings carry a stable code from docs/diagnostics.md
(``FILE:LINE:COL: warning: ML505: MESSAGE``); errors have none. Problems are collected, never raised, so one run shows
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
    code: Optional[str] = None  # "ML5nn" for the coded warnings of docs/diagnostics.md


class Diagnostics:
    """An ordered, de-duplicated collection of diagnostics."""

    def __init__(self) -> None:
        self._items: List[Diagnostic] = []

    def error(self, pos: Position, message: str, hint: Optional[str] = None) -> None:
        self._add(Diagnostic("error", pos[0], pos[1], message, hint))

    def warning(self, pos: Position, message: str, hint: Optional[str] = None,
                code: Optional[str] = None) -> None:
        self._add(Diagnostic("warning", pos[0], pos[1], message, hint, code))

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
        """One line per diagnostic and per hint; names from the config cannot break a line."""
        lines = []
        filename = printable(filename)
        for d in self.sorted():
            code = f"{d.code}: " if d.code else ""
            lines.append(f"{filename}:{d.line}:{d.col}: {d.severity}: {code}{printable(d.message)}")
            if d.hint:
                lines.append(f"hint: {printable(d.hint)}")
        return lines


def printable(text: str) -> str:
    """`text` with line breaks, control and other unprintable characters escaped.

    Keys and values quoted in messages come from the config and may hold any
    character TOML allows ("a\\nb" is a valid key); escaping keeps every
    diagnostic on its own line and terminal escapes out of the output.
    """
    if text.isprintable():
        return text
    out = []
    for ch in text:
        if ch.isprintable():
            out.append(ch)
        elif ch == "\n":
            out.append("\\n")
        elif ch == "\t":
            out.append("\\t")
        elif ord(ch) <= 0xFF:
            out.append(f"\\x{ord(ch):02x}")
        elif ord(ch) <= 0xFFFF:
            out.append(f"\\u{ord(ch):04x}")
        else:
            out.append(f"\\U{ord(ch):08x}")
    return "".join(out)


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

"""The diagnostics catalogue, read from docs/diagnostics.md: the one place each MLnnn code is
described. `memkit-lens explain` prints an entry; `memkit-lens check` names its SARIF rules
from it; the tests hold the runtime's codes against it."""
import os
import re
from dataclasses import dataclass
from typing import Dict, List

DOC = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__)))),
                   "docs", "diagnostics.md")

CODE = re.compile(r"ML[0-9]{3}")
_ROW = re.compile(r"^\|\s*(ML[0-9]{3})\s*\|(.*)\|\s*$")
_SECTION = re.compile(r"^###\s+(ML[0-9]{3})\s+—\s+(.*?)\s*$")
_HEADING = re.compile(r"^#{1,6}\s")


@dataclass(frozen=True)
class Entry:
    code: str
    severity: str
    meaning: str        # the catalogue's "what it means" cell (Markdown)
    found_by: str       # the catalogue's "found by" cell
    title: str          # the section heading after "MLnnn — ", "" when there is no section
    body: str           # the section's text up to the next heading, "" when there is none


def _cells(rest: str) -> List[str]:
    # a cell may hold `a | b` inside backticks: split on pipes outside code spans only
    cells, cur, in_code = [], "", False
    for ch in rest:
        if ch == "`":
            in_code = not in_code
        if ch == "|" and not in_code:
            cells.append(cur.strip())
            cur = ""
        else:
            cur += ch
    cells.append(cur.strip())
    return cells


def parse(text: str) -> Dict[str, Entry]:
    """Every code that has a catalogue row, keyed by code; sections without a row are left out
    (the tests catch them)."""
    rows: Dict[str, List[str]] = {}
    titles: Dict[str, str] = {}
    bodies: Dict[str, List[str]] = {}
    current = None
    in_fence = False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        if not in_fence:
            row = _ROW.match(line)
            if row and current is None:
                rows.setdefault(row.group(1), _cells(row.group(2)))
                continue
            if _HEADING.match(line):
                section = _SECTION.match(line)
                current = section.group(1) if section else None
                if current:
                    titles[current] = section.group(2)
                    bodies[current] = []
                continue
        if current is not None:
            bodies[current].append(line)
    entries = {}
    for code, cells in rows.items():
        severity, meaning, found_by = (cells + ["", "", ""])[:3]
        entries[code] = Entry(code, severity, meaning, found_by, titles.get(code, ""),
                              "\n".join(bodies.get(code, [])).strip("\n"))
    return entries


def section_codes(text: str) -> List[str]:
    """Codes that have a `### MLnnn — ...` section, in document order."""
    codes, in_fence = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            in_fence = not in_fence
        elif not in_fence:
            m = _SECTION.match(line)
            if m:
                codes.append(m.group(1))
    return codes


def load(path: str = DOC) -> Dict[str, Entry]:
    with open(path, encoding="utf-8") as f:
        return parse(f.read())

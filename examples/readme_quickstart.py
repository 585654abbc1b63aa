#!/usr/bin/env python3
"""Checks that README.md's quick start shows examples/quickstart byte for byte.

    readme_quickstart.py README.md examples/quickstart

The quick start's fenced code blocks are the files a new user pastes: the
```toml block is memkit.toml, the ```cmake block CMakeLists.txt and the ```c
block main.c. The tests build and run examples/quickstart (quickstart_project),
so this check is what keeps the README's snippets compiling. A block may be
indented (inside a list item): its fence's indentation is removed from every
line, as Markdown does. Exits 1 with a diff when a block and its file differ.
"""
import difflib
import re
import sys
from pathlib import Path

SECTION = "## Quick start"
FILES = {"toml": "memkit.toml", "cmake": "CMakeLists.txt", "c": "main.c"}
OPEN = re.compile(r"^( *)```(\S*)$")


def section(lines):
    """The lines of the quick start section, up to the next `## ` heading."""
    try:
        start = lines.index(SECTION)
    except ValueError:
        raise SystemExit(f"README.md has no '{SECTION}' heading")
    end = next((i for i in range(start + 1, len(lines)) if lines[i].startswith("## ")), len(lines))
    return start, lines[start + 1:end]


def blocks(lines, first_line, errors):
    """(language, text, README line) of each fenced block in `lines`."""
    found = []
    i = 0
    while i < len(lines):
        m = OPEN.match(lines[i])
        if not m:
            i += 1
            continue
        indent, language, line_no = m.group(1), m.group(2), first_line + i + 1
        body = []
        i += 1
        while i < len(lines) and lines[i] != indent + "```":
            line = lines[i]
            if line.strip() == "":
                body.append("")
            elif line.startswith(indent):
                body.append(line[len(indent):])
            else:
                errors.append(f"README.md:{first_line + i + 1}: line less indented than its ``` fence")
                body.append(line)
            i += 1
        if i == len(lines):
            errors.append(f"README.md:{line_no}: ``` block never closed")
        found.append((language, "".join(l + "\n" for l in body), line_no))
        i += 1
    return found


def main(argv):
    if len(argv) != 3:
        print("usage: readme_quickstart.py README.md QUICKSTART_DIR", file=sys.stderr)
        return 2
    readme, folder = Path(argv[1]), Path(argv[2])
    text = readme.read_bytes().decode("utf-8")
    if "\r" in text:
        print("README.md: carriage returns; the check compares \\n line ends", file=sys.stderr)
        return 1
    start, lines = section(text.split("\n"))
    errors = []
    seen = {}
    for language, body, line_no in blocks(lines, start + 1, errors):
        name = FILES.get(language)
        if name is None:
            errors.append(f"README.md:{line_no}: ```{language} block in the quick start is not a file of"
                          f" {folder} (expected one each of: {', '.join(FILES)})")
            continue
        if name in seen:
            errors.append(f"README.md:{line_no}: a second ```{language} block (the first is at line {seen[name]})")
            continue
        seen[name] = line_no
        path = folder / name
        if not path.is_file():
            errors.append(f"README.md:{line_no}: {path} does not exist")
            continue
        actual = path.read_bytes()
        if actual != body.encode("utf-8"):
            diff = difflib.unified_diff(
                body.splitlines(True), actual.decode("utf-8", "replace").splitlines(True),
                f"README.md (```{language} block at line {line_no})", str(path))
            errors.append(f"README.md:{line_no}: the ```{language} block differs from {path}:\n" + "".join(diff))
    for language, name in FILES.items():
        if name not in seen:
            errors.append(f"README.md: the quick start has no ```{language} block for {folder / name}")
    for error in errors:
        print(error, file=sys.stderr)
    if errors:
        return 1
    print(f"README.md quick start matches {folder}: {', '.join(seen)}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))

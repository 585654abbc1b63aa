"""Reading memkit.toml: the parsed document plus where each key sits in the text.

tomllib gives values without positions, so ``Locator`` scans the TOML text once
and maps key paths such as ``("intent", "physics", "budget")`` to (line, col).
Array elements are located too, as paths ending in an int index.
``Places`` wraps a Locator so that values merged in from a ``[platform.NAME]``
overlay are reported where the overlay wrote them.
"""
import ast
import bisect
import json
import re
from dataclasses import dataclass, field
from typing import Any, Dict, Optional, Tuple

try:
    import tomllib
except ModuleNotFoundError:  # Python < 3.11: Debian's python3-tomli
    import tomli as tomllib  # type: ignore[no-redef]

from .diagnostics import Diagnostics, Position

KeyPath = Tuple[Any, ...]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_TOML_ERROR_POS = re.compile(r"^(.*) \(at line (\d+), column (\d+)\)$", re.S)
_TOML_ERROR_END = re.compile(r"^(.*) \(at end of document\)$", re.S)


class Locator:
    """Positions of keys, values and array elements in a TOML text."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._line_starts = [0] + [m.end() for m in re.finditer("\n", text)]
        self._keys: Dict[KeyPath, int] = {}
        self._values: Dict[KeyPath, int] = {}
        self._i = 0
        try:
            self._scan()
        except (IndexError, ValueError):
            pass  # a best effort: whatever was located so far stays usable

    # -- queries ---------------------------------------------------------
    def key(self, path: KeyPath) -> Position:
        """Where the key at `path` is written, else its nearest located parent, else 1:1."""
        path = tuple(path)
        while path:
            if path in self._keys:
                return self._pos(self._keys[path])
            if path in self._values:
                return self._pos(self._values[path])
            path = path[:-1]
        return (1, 1)

    def value(self, path: KeyPath) -> Position:
        """Where the value at `path` starts (falls back to the key)."""
        path = tuple(path)
        if path in self._values:
            return self._pos(self._values[path])
        return self.key(path)

    def has(self, path: KeyPath) -> bool:
        return tuple(path) in self._keys

    def _pos(self, offset: int) -> Position:
        line = bisect.bisect_right(self._line_starts, offset)
        return (line, offset - self._line_starts[line - 1] + 1)

    # -- scanner ---------------------------------------------------------
    def _peek(self, n: int = 1) -> str:
        return self._text[self._i:self._i + n]

    def _skip_blank(self, newlines: bool) -> None:
        text, n = self._text, len(self._text)
        while self._i < n:
            c = text[self._i]
            if c in " \t" or (newlines and c in "\r\n"):
                self._i += 1
            elif c == "#" and newlines:
                while self._i < n and text[self._i] != "\n":
                    self._i += 1
            else:
                break

    def _scan(self) -> None:
        text, n = self._text, len(self._text)
        table: KeyPath = ()
        while True:
            self._skip_blank(newlines=True)
            if self._i >= n:
                return
            start = self._i
            if text[self._i] == "[":
                double = self._peek(2) == "[["
                self._i += 2 if double else 1
                parts = self._key()
                table = tuple(p for p, _ in parts)
                for depth in range(1, len(table)):
                    self._keys.setdefault(table[:depth], start)
                self._keys.setdefault(table, start)
                self._skip_line()
            else:
                self._keyval(table)
                self._skip_line()
            if self._i == start:  # never loop without progress
                self._i += 1

    def _skip_line(self) -> None:
        text, n = self._text, len(self._text)
        while self._i < n and text[self._i] != "\n":
            if text[self._i] in "\"'":
                self._string()
            else:
                self._i += 1

    def _key(self):
        """A dotted key: [(part, offset), ...]."""
        parts = []
        while True:
            self._skip_blank(newlines=False)
            off = self._i
            c = self._peek()
            if c in ("\"", "'"):
                raw = self._string()
                parts.append((_unquote(raw), off))
            else:
                m = _BARE_KEY.match(self._text, self._i)
                if not m:
                    return parts
                parts.append((m.group(0), off))
                self._i = m.end()
            self._skip_blank(newlines=False)
            if self._peek() != ".":
                return parts
            self._i += 1

    def _keyval(self, prefix: KeyPath) -> None:
        parts = self._key()
        if not parts:
            return
        path = prefix
        for name, off in parts:
            path = path + (name,)
            self._keys.setdefault(path, off)
        self._skip_blank(newlines=False)
        if self._peek() != "=":
            return
        self._i += 1
        self._skip_blank(newlines=False)
        self._value(path)

    def _value(self, path: KeyPath) -> None:
        text, n = self._text, len(self._text)
        self._values.setdefault(path, self._i)
        c = self._peek()
        if c in ("\"", "'"):
            self._string()
        elif c == "[":
            self._i += 1
            index = 0
            while self._i < n:
                self._skip_blank(newlines=True)
                if self._peek() in ("]", ""):
                    self._i += 1
                    return
                before = self._i
                self._value(path + (index,))
                index += 1
                self._skip_blank(newlines=True)
                if self._peek() == ",":
                    self._i += 1
                if self._i == before:
                    self._i += 1
        elif c == "{":
            self._i += 1
            while self._i < n:
                self._skip_blank(newlines=False)
                if self._peek() in ("}", ""):
                    self._i += 1
                    return
                before = self._i
                self._keyval(path)
                self._skip_blank(newlines=False)
                if self._peek() == ",":
                    self._i += 1
                if self._i == before:
                    self._i += 1
        else:
            while self._i < n and text[self._i] not in ",]}#\r\n":
                self._i += 1

    def _string(self) -> str:
        """Skips a (possibly multi-line) string; returns its raw text."""
        text, start = self._text, self._i
        quote = text[self._i]
        if text.startswith(quote * 3, self._i):
            end = text.find(quote * 3, self._i + 3)
            while quote == "\"" and end > 0 and _escaped(text, end):
                end = text.find(quote * 3, end + 1)
            end = len(text) if end < 0 else end + 3
            while end < len(text) and text[end] == quote:  # """a"""" closes late
                end += 1
        else:
            end = self._i + 1
            while end < len(text) and text[end] != quote and text[end] != "\n":
                end += 2 if (quote == "\"" and text[end] == "\\") else 1
            end = min(end + 1, len(text))
        self._i = end
        return text[start:end]


class Places:
    """A Locator for a merged document: overlay values map back to where the overlay wrote them."""

    def __init__(self, locator: Locator) -> None:
        self.locator = locator
        self.overrides: Dict[KeyPath, KeyPath] = {}

    def _map(self, path: KeyPath) -> KeyPath:
        for depth in range(len(path), 0, -1):
            if path[:depth] in self.overrides:
                return self.overrides[path[:depth]] + tuple(path[depth:])
        return tuple(path)

    def key(self, path: KeyPath) -> Position:
        return self.locator.key(self._map(tuple(path)))

    def value(self, path: KeyPath) -> Position:
        return self.locator.value(self._map(tuple(path)))


def _escaped(text: str, i: int) -> bool:
    backslashes = 0
    while i > 0 and text[i - 1] == "\\":
        backslashes += 1
        i -= 1
    return backslashes % 2 == 1


def _unquote(raw: str) -> str:
    if raw.startswith("'"):
        return raw[1:-1]
    try:
        return tomllib.loads(f"k = {raw}")["k"]
    except (tomllib.TOMLDecodeError, KeyError):
        return raw[1:-1]


@dataclass
class Source:
    """A loaded config: its name as given, its text, parsed data and locator."""
    filename: str
    text: str
    data: Dict[str, Any]
    locator: Locator
    diagnostics: Diagnostics = field(default_factory=Diagnostics)


def load(path: str, diag: Diagnostics) -> Optional[Source]:
    """Reads and parses `path`; on failure records an error in `diag` and returns None.

    Raises OSError when the file cannot be read at all.
    """
    with open(path, "rb") as f:
        raw = f.read()
    return parse_bytes(path, raw, diag)


def parse_bytes(filename: str, raw: bytes, diag: Diagnostics) -> Optional[Source]:
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\x00" in raw:
        diag.error((1, 1), "file looks binary (it contains NUL bytes), not like a TOML config")
        return None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        line = raw[:e.start].count(b"\n") + 1
        col = e.start - (raw.rfind(b"\n", 0, e.start) + 1) + 1
        diag.error((1, 1), f"file is not valid UTF-8 (byte 0x{raw[e.start]:02x} at line {line}, "
                           f"column {col})", "save the config as UTF-8 text")
        return None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        diag.error(*_toml_error(str(e), text))
        return None
    if not data:
        diag.error((1, 1), "the configuration is empty",
                   "start with a [memkit] table holding schema = 1")
        return None
    return Source(filename, text, data, Locator(text), diag)


def _toml_error(message: str, text: str):
    """tomllib's message -> (position, our message, hint)."""
    pos = (1, 1)
    m = _TOML_ERROR_POS.match(message)
    if m:
        message, pos = m.group(1), (int(m.group(2)), int(m.group(3)))
    else:
        m = _TOML_ERROR_END.match(message)
        if m:
            message = m.group(1)
            lines = text.split("\n")
            pos = (len(lines), len(lines[-1]) + 1)
    hint = None
    m = re.match(r"^Cannot declare (\(.*\)) twice$", message)
    if m:
        try:
            message = "table [" + ".".join(ast.literal_eval(m.group(1))) + "] is declared twice"
        except (ValueError, SyntaxError, TypeError):
            pass
    if "twice" in message or message.startswith("Cannot overwrite"):
        hint = "each table and key may be defined only once"
    return pos, f"invalid TOML: {message[:1].lower()}{message[1:]}", hint


def canonical_json(data: Any) -> str:
    """The normalized form hashed into the banner: sorted keys, no whitespace."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True, default=str)

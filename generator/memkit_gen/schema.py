"""Schema 1: the shape and types of a memkit.toml, before any key is compared with another.

One ``Key`` per TOML key says its type, range, default and whether it is
required. ``check`` walks the parsed document and every ``[platform.NAME]``
overlay against these specs: unknown sections and keys (with did-you-mean),
wrong types, sizes such as ``"64 KiB"``, out-of-range numbers and bad names are
reported here. What it hands on holds checked values, or ``INVALID`` where a
value was reported; checks that relate one key to another live in model.py.
"""
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import reserved
from .config import KeyPath, Places
from .diagnostics import Diagnostics, choice_hint

SCHEMA = 1
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
MAX_SIZE = 1 << 40          # any single size above this is a typo
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# [memkit] prefix: the runtime's exported symbols and mkg_config become "<prefix>_mk..."
# (memkit/prefix.h); "mk" would read as memkit's own prefixes mk_, mk__ and mkg_.
PREFIX_RE = re.compile(r"^[a-z][a-z0-9_]{0,23}$")
OVERLAY_HINT = "declare overlays as [platform.NAME]"
NAME_HINT = "names use lowercase letters, digits and '_', and start with a letter"
PREFIX_HINT = ("a prefix is 1 to 24 lowercase letters, digits and '_', starting with a letter, "
               "e.g. prefix = \"audio\"")

TIERS = ("frame", "pool", "heap")
LATER_TIERS = ("async", "gpu")
POLICIES = ("fail", "fallback", "callback", "panic")
OVERFLOWS = ("fail", "heap", "panic")
OVERSIZES = ("fail", "heap")
STORAGES = ("static", "reserve")
FALLBACKS = ("system", "none")
LATER_SECTIONS = ("async", "gpu")
REFCOUNTS = ("atomic", "plain")
MAX_HANDLE_CAPACITY = 1 << 24


class _Invalid:
    """A value that was present but failed its own check (already reported)."""

    def __repr__(self) -> str:
        return "INVALID"

    # A singleton: `is INVALID` must hold for copies too (overlays deep-copy the base).
    def __copy__(self) -> "_Invalid":
        return self

    def __deepcopy__(self, memo: Dict[int, Any]) -> "_Invalid":
        return self


INVALID = _Invalid()


@dataclass(frozen=True)
class Key:
    """One TOML key: its type, default and the checks that need no other key."""
    kind: str                     # int | bool | size | enum | name | int_list | schema | alignment | tier | prefix
    default: Any = None
    required: bool = False
    lo: Optional[int] = None
    hi: Optional[int] = None
    choices: Tuple[str, ...] = ()
    missing_hint: Optional[str] = None    # the hint when a required key is absent


STORAGE_KEY = Key("enum", "static", choices=STORAGES)

SECTIONS: Dict[str, Tuple[bool, Dict[str, Key]]] = {  # name -> (named tables?, keys)
    "memkit": (False, {
        "schema": Key("schema", required=True, missing_hint="add schema = 1"),
        "threads": Key("bool", True),
        "max_threads": Key("int", 16, lo=1, hi=1024),
        "frames_in_flight": Key("int", 2, lo=1, hi=8),
        "alignment": Key("alignment", 16, lo=8, hi=4096),
        "prefix": Key("prefix"),
    }),
    "frame": (False, {
        "arena": Key("size", required=True, hi=GIB,
                     missing_hint="add arena = \"1 MiB\" (per thread, per frame slot)"),
        "overflow": Key("enum", "fail", choices=OVERFLOWS),
        "storage": STORAGE_KEY,
        "prefault": Key("bool", False),
    }),
    "pool": (True, {
        "classes": Key("int_list", required=True, lo=1,
                       missing_hint="add classes = [16, 32, 64] (block sizes, multiples of alignment)"),
        "capacity": Key("size", lo=1),
        "counts": Key("int_list", lo=1),
        "thread_cache": Key("int", 32, lo=0, hi=255),
        "storage": STORAGE_KEY,
        "prefault": Key("bool", False),
    }),
    "heap": (False, {
        "size": Key("size", required=True, lo=4 * KIB, missing_hint="add size = \"16 MiB\""),
        "fallback": Key("enum", "system", choices=FALLBACKS),
        "thread_cache": Key("int", 8, lo=0, hi=255),
        "storage": STORAGE_KEY,
        "prefault": Key("bool", False),
    }),
    "budget": (False, {
        "total": Key("size", required=True, lo=1, missing_hint="add total = \"256 MiB\""),
    }),
    "intent": (True, {
        "tier": Key("tier", required=True, choices=TIERS,
                    missing_hint="add tier = \"frame\", \"pool\" or \"heap\""),
        "pool": Key("name"),
        "budget": Key("size", lo=1),
        "on_exhausted": Key("enum", "fail", choices=POLICIES),
        "zero_on_free": Key("bool", False),
        "refcount": Key("enum", "atomic", choices=REFCOUNTS),
        "oversize": Key("enum", choices=OVERSIZES),   # default: "heap" with a [heap], else "fail"
    }),
    "handles": (True, {
        "capacity": Key("int", required=True, lo=1, hi=MAX_HANDLE_CAPACITY,
                        missing_hint="add capacity = 256 (the most handles live at once)"),
        "block_size": Key("size", required=True, lo=1, hi=MIB,
                          missing_hint="add block_size = 64 (bytes per object, a multiple of alignment)"),
    }),
    "scratch": (False, {
        "intent": Key("name", required=True,
                      missing_hint="add intent = \"NAME\" (a pool or heap intent that serves scratch buffers)"),
        "cap": Key("size", required=True, lo=1,
                   missing_hint="add cap = \"256 KiB\" (bytes of released scratch buffers kept for reuse)"),
    }),
    "deferred": (False, {
        "capacity": Key("int", 1024, lo=1, hi=1 << 20),
        "max_frames": Key("int", 8, lo=1, hi=255),
    }),
    "debug": (False, {
        "sentinel": Key("bool", False),
    }),
}
# How messages name one table of a named section.
TABLE_NOUNS = {"pool": "pool", "intent": "intent", "handles": "handle table"}

UNITS = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB}
_UNIT_MISTAKES = {
    "b": "B", "byte": "B", "bytes": "B",
    "k": "KiB", "kb": "KiB", "kib": "KiB",
    "m": "MiB", "mb": "MiB", "mib": "MiB",
    "g": "GiB", "gb": "GiB", "gib": "GiB",
}
_SIZE_RE = re.compile(r"^\s*([0-9]+)\s*([A-Za-z]*)\s*$")
SIZE_HINT = 'write an integer number of bytes or a string such as "64 KiB" (units: B, KiB, MiB, GiB)'


# bool before int: True is an int to isinstance.
_TYPE_NAMES = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
               (list, "an array"), (dict, "a table"))


def type_name(value: Any) -> str:
    """How a message names the TOML type of `value`: 3 -> 'an integer'."""
    return next((name for python_type, name in _TYPE_NAMES if isinstance(value, python_type)), "a date/time")


def fmt_size(n: int) -> str:
    """Bytes in the config's own syntax: 65536 -> '64 KiB', 100 -> '100 B'."""
    for unit in ("GiB", "MiB", "KiB"):
        if n and n % UNITS[unit] == 0:
            return f"{n // UNITS[unit]} {unit}"
    return f"{n} B"


def parse_size(value: Any) -> Tuple[Optional[int], Optional[str], Optional[str]]:
    """A size value -> (bytes, None, None) or (None, problem, hint).

    >>> parse_size("64 KiB")
    (65536, None, None)
    """
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        return None, f"must be a size, not {type_name(value)}", SIZE_HINT
    if isinstance(value, int):
        n = value
    else:
        m = _SIZE_RE.match(value)
        if not m:
            return None, f"is not a size: \"{value}\"", SIZE_HINT
        digits, unit = m.groups()
        if unit not in UNITS:
            fix = _UNIT_MISTAKES.get(unit.lower())
            if fix:
                hint = f"write \"{digits} {fix}\": sizes use binary units B, KiB, MiB, GiB"
            else:
                hint = SIZE_HINT
            what = f"has an unknown size unit '{unit}'" if unit else "is a string without a unit"
            return None, f"{what}: \"{value}\"", hint
        n = int(digits) * UNITS[unit]
    if n < 0:
        return None, f"must not be negative, got {n}", None
    if n > MAX_SIZE:
        return None, f"is absurdly large: {n} bytes (the limit for any size is 1024 GiB)", None
    return n, None, None


class _DocumentChecker:
    """Schema walk over one document (the base, or one overlay)."""

    def __init__(self, diag: Diagnostics, places: Places, prefix: KeyPath, label: str,
                 base_names: Optional[Dict[str, List[str]]] = None) -> None:
        self.diag = diag
        self.places = places
        self.prefix = prefix            # () for the base, ("platform", P) for an overlay
        self.label = label              # "" or "platform 'P': "
        self.base_names = base_names    # for overlays: names that the base declares

    def err(self, path: KeyPath, message: str, hint: Optional[str] = None, value: bool = False) -> None:
        full = self.prefix + tuple(path)
        pos = self.places.value(full) if value else self.places.key(full)
        self.diag.error(pos, self.label + message, hint)

    def document(self, data: Dict[str, Any]) -> Dict[str, Any]:
        clean: Dict[str, Any] = {}
        known = sorted(list(SECTIONS) + list(LATER_SECTIONS) + ([] if self.prefix else ["platform"]))
        for section in sorted(data):
            value = data[section]
            if section in LATER_SECTIONS:
                self.err((section,), f"[{section}] sections are not supported by schema 1 yet",
                         f"{section} support comes with a later schema version; remove the section for now")
            elif section == "platform" and not self.prefix:
                continue  # overlays are checked on their own
            elif section not in SECTIONS:
                if not isinstance(value, dict):
                    owner = next((s for s, (named, keys) in SECTIONS.items()
                                  if not named and section in keys), None)
                    hint = (f"it belongs in the [{owner}] section" if owner
                            else "every key belongs in a section such as [memkit]")
                    self.err((section,), f"unexpected top-level key '{section}'", hint)
                else:
                    self.err((section,), f"unknown section [{section}]",
                             choice_hint(section, known, "known sections"))
            elif not isinstance(value, dict):
                self.err((section,), f"[{section}] must be a table, not {type_name(value)}", value=True)
            else:
                named, keys = SECTIONS[section]
                if named:
                    clean[section] = self.named_section(section, value, keys)
                else:
                    clean[section] = self.table((section,), f"[{section}]", value, keys)
        return clean

    def named_section(self, section: str, tables: Dict[str, Any], keys: Dict[str, Key]) -> Dict[str, Any]:
        noun = TABLE_NOUNS[section]
        out: Dict[str, Any] = {}
        for name in sorted(tables):
            value = tables[name]
            path = (section, name)
            if not isinstance(value, dict):
                self.err(path, f"{noun} '{name}' must be a table, not {type_name(value)}",
                         f"declare each {noun} as [{section}.NAME]")
                continue
            if self.base_names is not None and name not in self.base_names.get(section, []):
                hint = choice_hint(name, self.base_names.get(section, []), f"declared {noun}s")
                self.err(path, f"unknown {noun} '{name}'",
                         hint + f" (an overlay cannot add a new {noun})")
                continue
            if not NAME_RE.match(name):
                self.err(path, f"{noun} name '{name}' is not valid",
                         NAME_HINT)
                continue
            taken = reserved.clash(section, name)
            if taken:  # reported, and the table still checked: its other keys may be fine
                self.err(path, f"{noun} name '{name}' is reserved: it would become {taken[0]}, which the "
                         f"runtime already defines ({taken[1]})", f"choose another {noun} name")
            out[name] = self.table(path, f"{noun} '{name}'", value, keys)
        return out

    def table(self, path: KeyPath, ctx: str, table: Dict[str, Any], keys: Dict[str, Key]) -> Dict[str, Any]:
        out: Dict[str, Any] = {}
        for key in sorted(table):
            if key not in keys:
                self.err(path + (key,), f"{ctx}: unknown key '{key}'", choice_hint(key, list(keys), "valid keys"))
                continue
            out[key] = self.value(path + (key,), ctx, key, table[key], keys[key])
        return out

    def value(self, path: KeyPath, ctx: str, key: str, value: Any, spec: Key) -> Any:
        def bad(problem: str, hint: Optional[str] = None, where: KeyPath = path) -> Any:
            self.err(where, f"{ctx}: {key} {problem}", hint, value=True)
            return INVALID

        kind = spec.kind
        if kind == "bool":
            if not isinstance(value, bool):
                return bad(f"must be true or false, not {type_name(value)}")
            return value
        if kind in ("int", "schema", "alignment"):
            if isinstance(value, bool) or not isinstance(value, int):
                return bad(f"must be an integer, not {type_name(value)}")
            if kind == "schema":
                if value != SCHEMA:
                    return bad(f"is {value}, but this memkit-gen reads schema {SCHEMA}",
                               f"set schema = {SCHEMA}")
                return value
            if kind == "alignment" and (value & (value - 1) or not spec.lo <= value <= spec.hi):
                return bad(f"must be a power of two between {spec.lo} and {spec.hi}, got {value}")
            if not spec.lo <= value <= spec.hi:
                return bad(f"must be between {spec.lo} and {spec.hi}, got {value}")
            return value
        if kind == "size":
            n, problem, hint = parse_size(value)
            if problem:
                return bad(problem, hint)
            if spec.lo is not None and n < spec.lo:
                if spec.lo == 1:
                    return bad(f"must be greater than 0, got {n}")
                return bad(f"must be at least {fmt_size(spec.lo)}, got {fmt_size(n)}")
            if spec.hi is not None and n > spec.hi:
                return bad(f"must be at most {fmt_size(spec.hi)}, got {fmt_size(n)}")
            return n
        if kind in ("enum", "tier"):
            if not isinstance(value, str):
                return bad(f"must be a string, not {type_name(value)}", choice_hint("", spec.choices))
            if kind == "tier" and value in LATER_TIERS:
                return bad(f"\"{value}\" is not supported by schema 1 yet",
                           f"the {value} tier comes with a later schema version; "
                           "use 'frame', 'pool' or 'heap' for now")
            if value not in spec.choices:
                return bad(f"has an unknown value '{value}'", choice_hint(value, spec.choices))
            return value
        if kind == "name":
            if not isinstance(value, str):
                article = "an" if key[0] in "aeiou" else "a"
                return bad(f"must be a string ({article} {key} name), not {type_name(value)}")
            return value
        if kind == "prefix":
            if not isinstance(value, str):
                return bad(f"must be a string, not {type_name(value)}", PREFIX_HINT)
            if not PREFIX_RE.match(value):
                return bad(f"'{value}' is not valid", PREFIX_HINT)
            if value.startswith("mk"):
                rest = value[2:].lstrip("_")
                example = rest if PREFIX_RE.match(rest) and not rest.startswith("mk") else "audio"
                return bad(f"'{value}' starts with 'mk'",
                           f"mk_, mk__ and mkg_ are memkit's own prefixes: name the component, "
                           f"e.g. prefix = \"{example}\"")
            return value
        if kind == "int_list":
            if not isinstance(value, list):
                return bad(f"must be an array of integers, not {type_name(value)}")
            if not value:
                return bad("must not be empty")
            ok = True
            for i, item in enumerate(value):
                if isinstance(item, bool) or not isinstance(item, int):
                    bad(f"entry {item!r} must be an integer, not {type_name(item)}", where=path + (i,))
                    ok = False
                elif item < spec.lo:
                    bad(f"entry {item} must be at least {spec.lo}", where=path + (i,))
                    ok = False
            return list(value) if ok else INVALID
        raise AssertionError(f"unknown key kind {kind}")


@dataclass(frozen=True)
class CheckedConfig:
    """The base document and its overlays, each value checked on its own (or INVALID)."""
    base: Dict[str, Any]
    overlays: Dict[str, Dict[str, Any]]   # platform name -> checked overlay, for well-formed overlays
    platforms: Dict[str, Any]             # platform name -> overlay as written, for every platform


def check(data: Dict[str, Any], diag: Diagnostics, places: Places) -> CheckedConfig:
    """Checks `data` and each [platform.NAME] overlay against schema 1, recording problems in `diag`."""
    base = _DocumentChecker(diag, places, (), "").document(data)
    platforms = data.get("platform", {})
    overlays: Dict[str, Dict[str, Any]] = {}
    if not isinstance(platforms, dict):
        diag.error(places.key(("platform",)), f"[platform] must be a table, not {type_name(platforms)}",
                   OVERLAY_HINT)
        platforms = {}
    base_names = {s: sorted(base.get(s, {})) for s in TABLE_NOUNS}
    for name in sorted(platforms):
        overlay = platforms[name]
        if not NAME_RE.match(name):
            diag.error(places.key(("platform", name)), f"platform name '{name}' is not valid", NAME_HINT)
        elif not isinstance(overlay, dict):
            diag.error(places.key(("platform", name)),
                       f"platform '{name}' must be a table, not {type_name(overlay)}", OVERLAY_HINT)
        else:
            overlays[name] = _DocumentChecker(diag, places, ("platform", name), f"platform '{name}': ",
                                              base_names).document(overlay)
    return CheckedConfig(base, overlays, platforms)

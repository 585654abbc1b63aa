"""Schema 1: the shape and types of a memkit.toml, before any key is compared with another.

One ``Key`` per TOML key says its type, range, default and whether it is
required. ``check`` walks the parsed document and every ``[platform.NAME]``
overlay against these specs: unknown sections and keys (with did-you-mean),
wrong types, sizes such as ``"64 KiB"``, durations such as ``"50 ms"``,
out-of-range numbers and bad names are reported here. ``[async]`` is a group:
its ``[async.pool.NAME]``, ``[async.channel.NAME]`` and ``[async.arena.NAME]``
tables are checked as the named sections "async.pool", "async.channel" and
"async.arena", at key paths such as ``("async", "pool", NAME, "block")``.
``[gpu]`` is a section with keys of its own that is a group too: its
``[gpu.heap.NAME]`` and ``[gpu.intent.NAME]`` tables are the named sections
"gpu.heap" and "gpu.intent".
What it hands on holds checked values, or ``INVALID`` where a value was
reported; checks that relate one key to another live in model.py.
"""
import re
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import limits, reserved, target
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

TIERS = ("frame", "pool", "heap", "async")
POLICIES = ("fail", "fallback", "callback", "panic")
OVERFLOWS = ("fail", "heap", "panic")
OVERSIZES = ("fail", "heap")
STORAGES = ("static", "reserve")
FALLBACKS = ("system", "none")
GPU_MEMORIES = ("device_local", "upload", "readback", "unified")
GPU_HEAP_KINDS = ("tlsf", "linear", "ring")
# [gpu.intent.NAME] usage -> VkBufferUsageFlagBits, by value (the model folds the list).
GPU_USAGES = {"transfer_src": 0x1, "transfer_dst": 0x2, "uniform": 0x10, "storage": 0x20, "index": 0x40,
              "vertex": 0x80, "indirect": 0x100}
GPU_POLICIES = ("fail", "callback", "panic")
MAX_GPU_BLOCKS = 4096       # blocks per GPU heap: 4096 is a common maxMemoryAllocationCount
REFCOUNTS = ("atomic", "plain")
BACKPRESSURES = ("wait", "fail", "timeout", "evict")
MAX_HANDLE_CAPACITY = 1 << 24
NS_PER_S = 10 ** 9
HOUR_NS = 3600 * NS_PER_S


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
    kind: str                     # int | bool | size | duration | enum | enum_list | name | int_list | schema
                                  # | alignment | prefix | pattern | rules
    default: Any = None
    required: bool = False
    lo: Optional[int] = None
    hi: Optional[int] = None
    choices: Tuple[str, ...] = ()
    missing_hint: Optional[str] = None    # the hint when a required key is absent
    # enum values that are no choice here but deserve their own answer: (value, problem, hint)
    refused: Tuple[Tuple[str, str, str], ...] = ()


STORAGE_KEY = Key("enum", "static", choices=STORAGES)
PREFAULT_KEY = Key("bool", False)
TIMEOUT_KEY = Key("duration", lo=1, hi=HOUR_NS)
INTENT_NAME_HINT = "add intent = \"NAME\" (the intent charged for the memory)"
# One entry of [override] rules = [{...}, ...]: which calls go to `intent`.
OVERRIDE_RULE_KEYS: Dict[str, Key] = {
    "module": Key("pattern"),
    "min_size": Key("size", lo=0),
    "max_size": Key("size", lo=0),
    "intent": Key("name"),
}
MAX_OVERRIDE_RULES = 64
# A shared-object file name glob: what the C side matches (integrations/override).
PATTERN_RE = re.compile(r"^[A-Za-z0-9_.+*?\[\]!^<>-]{1,255}$")
PATTERN_HINT = ("a module pattern globs a shared object's file name (no directory): '*', '?' and [a-z] with "
                "letters, digits and . _ + -, e.g. \"libsqlite3.so*\"; \"<main>\" is the program itself")

SECTIONS: Dict[str, Tuple[bool, Dict[str, Key]]] = {  # name -> (named tables?, keys)
    "memkit": (False, {
        "schema": Key("schema", required=True, missing_hint="add schema = 1"),
        "threads": Key("bool", True),
        "max_threads": Key("int", 16, lo=1, hi=1024),
        "frames_in_flight": Key("int", 2, lo=1, hi=8),
        "alignment": Key("alignment", 16, lo=8, hi=4096),
        "prefix": Key("prefix"),
        "target": Key("enum", target.DEFAULT, choices=tuple(target.TARGETS), refused=(
            ("host", "cannot be \"host\" in a config",
             "the outputs would depend on the machine that runs memkit-gen: name the target the program is "
             "compiled for (" + ", ".join(f"'{t}'" for t in target.TARGETS) + "), or pass --target host"),)),
    }),
    "frame": (False, {
        "arena": Key("size", required=True, hi=GIB,
                     missing_hint="add arena = \"1 MiB\" (per thread, per frame slot)"),
        "overflow": Key("enum", "fail", choices=OVERFLOWS),
        "storage": STORAGE_KEY,
        "prefault": PREFAULT_KEY,
    }),
    "pool": (True, {
        "classes": Key("int_list", required=True, lo=1,
                       missing_hint="add classes = [16, 32, 64] (block sizes, multiples of alignment)"),
        "capacity": Key("size", lo=1),
        "counts": Key("int_list", lo=1),
        "thread_cache": Key("int", 32, lo=0, hi=255),
        "storage": STORAGE_KEY,
        "prefault": PREFAULT_KEY,
    }),
    "heap": (False, {
        "size": Key("size", required=True, lo=4 * KIB, missing_hint="add size = \"16 MiB\""),
        "fallback": Key("enum", "system", choices=FALLBACKS),
        "thread_cache": Key("int", 8, lo=0, hi=255),
        "storage": STORAGE_KEY,
        "prefault": PREFAULT_KEY,
    }),
    "budget": (False, {
        "total": Key("size", required=True, lo=1, missing_hint="add total = \"256 MiB\""),
    }),
    "intent": (True, {
        "tier": Key("enum", required=True, choices=TIERS,
                    missing_hint="add tier = \"frame\", \"pool\", \"heap\" or \"async\"",
                    refused=(("gpu", "cannot be \"gpu\"",
                              "GPU buffers have intents of their own: declare [gpu.intent.NAME] with a heap and a "
                              "usage list; an [intent.NAME] is CPU memory ('frame', 'pool', 'heap' or 'async')"),)),
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
    "record": (False, {
        "frames": Key("int", 0, lo=0, hi=1 << 16),
        "histogram": Key("bool", False),
        "trace_events": Key("int", 0, lo=0, hi=1 << 24),
    }),
    # [override]: libmemkit_override's attribution of malloc calls (docs/override.md).
    "override": (False, {
        "default": Key("name", required=True,
                       missing_hint="add default = \"NAME\" (the pool or heap intent of every call no rule picks)"),
        "rules": Key("rules"),
    }),
    "debug": (False, {
        "sentinel": Key("bool", False),
        **{lim.key: Key("int", lim.default, lo=lim.lo, hi=lim.hi) for lim in limits.LIMITS if lim.section == "debug"},
    }),
    "limits": (False, {lim.key: Key("int", lim.default, lo=lim.lo, hi=lim.hi)
                       for lim in limits.LIMITS if lim.section == "limits"}),
    # The [async] group: each of its sections holds named tables.
    "async.pool": (True, {
        "block": Key("size", required=True, lo=1, hi=GIB,
                     missing_hint="add block = \"4 KiB\" (bytes per block, a multiple of alignment)"),
        "count": Key("int", required=True, lo=1, hi=(1 << 32) - 1,
                     missing_hint="add count = 64 (blocks in the pool)"),
        "intent": Key("name", required=True, missing_hint=INTENT_NAME_HINT),
        "backpressure": Key("enum", "wait", choices=BACKPRESSURES),
        "timeout": TIMEOUT_KEY,
        "storage": STORAGE_KEY,
        "prefault": PREFAULT_KEY,
    }),
    "async.channel": (True, {
        "capacity": Key("int", required=True, lo=1, hi=1 << 24,
                        missing_hint="add capacity = 64 (messages queued at most)"),
        "backpressure": Key("enum", "wait", choices=BACKPRESSURES[:3], refused=(
            ("evict", "cannot be \"evict\"", "channels never drop messages: a full channel makes its senders "
             "wait, fail or time out; choose 'wait', 'fail' or 'timeout'"),)),
        "timeout": TIMEOUT_KEY,
    }),
    "async.arena": (True, {
        "chunk": Key("size", required=True, lo=256, hi=GIB,
                     missing_hint="add chunk = \"64 KiB\" (bytes per chunk, a multiple of alignment)"),
        "max_chunks": Key("int", required=True, lo=1, hi=1 << 24,
                          missing_hint="add max_chunks = 32 (chunks of all the arena's tasks at once)"),
        "intent": Key("name", required=True, missing_hint=INTENT_NAME_HINT),
        "storage": STORAGE_KEY,
        "prefault": PREFAULT_KEY,
    }),
    # [gpu] has keys of its own and holds the group of [gpu.heap.NAME] and [gpu.intent.NAME].
    "gpu": (False, {
        "frames_in_flight": Key("int", lo=1, hi=8),     # default: [memkit] frames_in_flight
        "budget": Key("size", lo=1),
        **{lim.key: Key("int", lim.default, lo=lim.lo, hi=lim.hi) for lim in limits.LIMITS if lim.section == "gpu"},
    }),
    "gpu.heap": (True, {
        "memory": Key("enum", required=True, choices=GPU_MEMORIES,
                      missing_hint="add memory = \"device_local\", \"upload\", \"readback\" or \"unified\""),
        "block": Key("size", required=True, lo=64 * KIB, hi=4 * GIB,
                     missing_hint="add block = \"64 MiB\" (bytes per device memory allocation)"),
        "min_blocks": Key("int", 0, lo=0, hi=MAX_GPU_BLOCKS),
        "max_blocks": Key("int", lo=1, hi=MAX_GPU_BLOCKS),   # default: enough for the budget, else 64
        "kind": Key("enum", "tlsf", choices=GPU_HEAP_KINDS),
        "budget": Key("size", lo=1),
        "backpressure": Key("enum", "wait", choices=BACKPRESSURES[:2]),   # rings only
        "images": Key("bool", False),                                     # tlsf heaps only
    }),
    "gpu.intent": (True, {
        "heap": Key("name", required=True, missing_hint="add heap = \"NAME\" (a [gpu.heap.NAME] its buffers live in)"),
        "usage": Key("enum_list", required=True, choices=tuple(GPU_USAGES),
                     missing_hint="add usage = [\"vertex\", \"transfer_dst\"] (what its buffers are bound as)"),
        "budget": Key("size", lo=1),
        "on_exhausted": Key("enum", "fail", choices=GPU_POLICIES, refused=(
            ("fallback", "cannot be \"fallback\"",
             "a GPU buffer has no tier to fall back to: memkit never moves it to another heap; choose 'fail', "
             "'callback' or 'panic'"),)),
    }),
}
# How messages name one table of a named section.
TABLE_NOUNS = {"pool": "pool", "intent": "intent", "handles": "handle table",
               "async.pool": "async pool", "async.channel": "channel", "async.arena": "task arena",
               "gpu.heap": "gpu heap", "gpu.intent": "gpu intent"}
# Top-level sections: "async" stands for its group.
TOP_SECTIONS = sorted({s.split(".")[0] for s in SECTIONS})


def group_members(group: str) -> List[str]:
    """The sections of a group: "async" -> ["arena", "channel", "pool"]; [] for a plain section."""
    return sorted(s.split(".", 1)[1] for s in SECTIONS if s.startswith(group + "."))


def section_path(section: str) -> KeyPath:
    """The key path of a section: "async.pool" -> ("async", "pool")."""
    return tuple(section.split("."))


@dataclass(frozen=True)
class Quantity:
    """A number with a unit, written as sizes ("64 KiB") and durations ("50 ms") are."""
    noun: str                       # "size" | "duration"
    units: Dict[str, int]           # unit -> value of one, smallest first
    mistakes: Dict[str, str]        # a unit as people write it, lower case -> the unit meant
    units_text: str                 # how the fix hint names the units
    hint: str
    plain_integers: bool            # a bare integer counts the smallest unit (bytes)
    limit: Optional[int] = None     # any larger value is a typo
    limit_text: str = ""            # what follows the value in that error


SIZE = Quantity(
    "size", {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB},
    {"b": "B", "byte": "B", "bytes": "B",
     "k": "KiB", "kb": "KiB", "kib": "KiB",
     "m": "MiB", "mb": "MiB", "mib": "MiB",
     "g": "GiB", "gb": "GiB", "gib": "GiB"},
    "sizes use binary units B, KiB, MiB, GiB",
    'write an integer number of bytes or a string such as "64 KiB" (units: B, KiB, MiB, GiB)',
    True, MAX_SIZE, "bytes (the limit for any size is 1024 GiB)")
DURATION = Quantity(
    "duration", {"ns": 1, "us": 1000, "ms": 1000 ** 2, "s": NS_PER_S},
    {"ns": "ns", "nsec": "ns", "nanosecond": "ns", "nanoseconds": "ns",
     "us": "us", "usec": "us", "\u00b5s": "us", "\u03bcs": "us", "microsecond": "us", "microseconds": "us",
     "ms": "ms", "msec": "ms", "msecs": "ms", "millis": "ms", "millisecond": "ms", "milliseconds": "ms",
     "s": "s", "sec": "s", "secs": "s", "second": "s", "seconds": "s"},
    "durations use the units ns, us, ms, s",
    'write a duration such as "50 ms" (units: ns, us, ms, s)',
    False)
QUANTITIES = {"size": SIZE, "duration": DURATION}   # Key kind -> how its values are written
# an integer and a unit of letters (µ included), spaces allowed around and between
_QUANTITY_RE = re.compile(r"^\s*([0-9]+)\s*([^\W\d_]*)\s*$")


# bool before int: True is an int to isinstance.
_TYPE_NAMES = ((bool, "a boolean"), (int, "an integer"), (float, "a float"), (str, "a string"),
               (list, "an array"), (dict, "a table"))


def type_name(value: Any) -> str:
    """How a message names the TOML type of `value`: 3 -> 'an integer'."""
    return next((name for python_type, name in _TYPE_NAMES if isinstance(value, python_type)), "a date/time")


def article(word: str) -> str:
    """The indefinite article before `word`: 'an' for 'async', 'a' for 'pool'."""
    return "an" if word[:1] in tuple("aeiou") else "a"


def fmt_quantity(n: int, quantity: Quantity) -> str:
    """`n` in the config's own syntax, in the largest unit that divides it: 65536 -> '64 KiB'."""
    for unit, one in reversed(quantity.units.items()):
        if n and n % one == 0:
            return f"{n // one} {unit}"
    return f"{n} {next(iter(quantity.units))}"


def fmt_size(n: int) -> str:
    """Bytes in the config's own syntax: 65536 -> '64 KiB', 100 -> '100 B'."""
    return fmt_quantity(n, SIZE)


def parse_quantity(value: Any, quantity: Quantity) -> Tuple[Optional[int], Optional[str], Optional[str]]:
    """A size or duration value -> (count of its smallest unit, None, None) or (None, problem, hint).

    >>> parse_quantity("50 ms", DURATION)
    (50000000, None, None)
    """
    noun = quantity.noun
    plain = quantity.plain_integers and isinstance(value, int)
    if isinstance(value, bool) or not (plain or isinstance(value, str)):
        return None, f"must be a {noun}, not {type_name(value)}", quantity.hint
    if plain:
        n = value
    else:
        m = _QUANTITY_RE.match(value)
        if not m:
            return None, f"is not a {noun}: \"{value}\"", quantity.hint
        digits, unit = m.groups()
        if unit not in quantity.units:
            fix = quantity.mistakes.get(unit.lower())
            hint = f"write \"{digits} {fix}\": {quantity.units_text}" if fix else quantity.hint
            what = f"has an unknown {noun} unit '{unit}'" if unit else "is a string without a unit"
            return None, f"{what}: \"{value}\"", hint
        n = int(digits) * quantity.units[unit]
    if n < 0:
        return None, f"must not be negative, got {n}", None
    if quantity.limit is not None and n > quantity.limit:
        return None, f"is absurdly large: {n} {quantity.limit_text}", None
    return n, None, None


def parse_size(value: Any) -> Tuple[Optional[int], Optional[str], Optional[str]]:
    """A size value -> (bytes, None, None) or (None, problem, hint).

    >>> parse_size("64 KiB")
    (65536, None, None)
    """
    return parse_quantity(value, SIZE)


def _brackets_closed(pattern: str) -> bool:
    """Every '[' of a glob has its ']' after at least one character, and no ']' stands alone."""
    i = 0
    while i < len(pattern):
        if pattern[i] == "]":
            return False
        if pattern[i] == "[":
            j = i + 1
            if j < len(pattern) and pattern[j] in "!^":
                j += 1
            close = pattern.find("]", j + 1)
            if j >= len(pattern) or close < 0 or "[" in pattern[j:close]:
                return False
            i = close
        i += 1
    return True


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
        known = sorted(TOP_SECTIONS + ([] if self.prefix else ["platform"]))
        for section in sorted(data):
            value = data[section]
            if section == "platform" and not self.prefix:
                continue  # overlays are checked on their own
            elif section not in TOP_SECTIONS:
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
            elif section not in SECTIONS:
                self.group(section, value, clean)
            elif group_members(section):
                # [gpu]: its own keys, and tables that are sections of its group ([gpu.heap.NAME])
                keys = SECTIONS[section][1]
                tables = {k: v for k, v in value.items()
                          if k not in keys and (isinstance(v, dict) or k in group_members(section))}
                self.section(section, {k: v for k, v in value.items() if k not in tables}, clean)
                self.group(section, tables, clean)
            else:
                self.section(section, value, clean)
        return clean

    def section(self, section: str, value: Dict[str, Any], clean: Dict[str, Any]) -> None:
        named, keys = SECTIONS[section]
        if named:
            clean[section] = self.named_section(section, value, keys)
        else:
            clean[section] = self.table((section,), f"[{section}]", value, keys)

    def group(self, group: str, tables: Dict[str, Any], clean: Dict[str, Any]) -> None:
        """A group such as [async]: it holds sections ([async.pool] ...), never keys of its own."""
        members = group_members(group)
        for member in sorted(tables):
            value = tables[member]
            section = f"{group}.{member}"
            if section in SECTIONS and isinstance(value, dict):
                self.section(section, value, clean)
            elif section in SECTIONS:
                self.err((group, member), f"[{section}] must be a table, not {type_name(value)}",
                         f"declare each {TABLE_NOUNS[section]} as [{section}.NAME]", value=True)
            elif isinstance(value, dict):
                self.err((group, member), f"unknown section [{section}]",
                         choice_hint(member, members, f"[{group}] sections"))
            else:
                self.err((group, member), f"[{group}]: unknown key '{member}'",
                         f"[{group}] holds only tables: " + ", ".join(f"[{group}.{m}.NAME]" for m in members))

    def named_section(self, section: str, tables: Dict[str, Any], keys: Dict[str, Key]) -> Dict[str, Any]:
        noun = TABLE_NOUNS[section]
        out: Dict[str, Any] = {}
        for name in sorted(tables):
            value = tables[name]
            path = section_path(section) + (name,)
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
        if kind in QUANTITIES:
            quantity = QUANTITIES[kind]
            n, problem, hint = parse_quantity(value, quantity)
            if problem:
                return bad(problem, hint)
            if spec.lo is not None and n < spec.lo:
                if spec.lo == 1:
                    return bad(f"must be greater than 0, got {n}")
                return bad(f"must be at least {fmt_quantity(spec.lo, quantity)}, got {fmt_quantity(n, quantity)}")
            if spec.hi is not None and n > spec.hi:
                return bad(f"must be at most {fmt_quantity(spec.hi, quantity)}, got {fmt_quantity(n, quantity)}")
            return n
        if kind == "enum":
            if not isinstance(value, str):
                return bad(f"must be a string, not {type_name(value)}", choice_hint("", spec.choices))
            refused = next((r for r in spec.refused if r[0] == value), None)
            if refused:
                return bad(refused[1], refused[2])
            if value not in spec.choices:
                return bad(f"has an unknown value '{value}'", choice_hint(value, spec.choices))
            return value
        if kind == "name":
            if not isinstance(value, str):
                return bad(f"must be a string ({article(key)} {key} name), not {type_name(value)}")
            return value
        if kind == "pattern":
            if not isinstance(value, str):
                return bad(f"must be a string, not {type_name(value)}", PATTERN_HINT)
            if "/" in value:
                return bad(f"'{value}' holds a '/'", "patterns match the file name only: " + PATTERN_HINT)
            if not PATTERN_RE.match(value) or not _brackets_closed(value):
                return bad(f"'{value}' is not a valid pattern", PATTERN_HINT)
            return value
        if kind == "rules":
            if not isinstance(value, list):
                return bad(f"must be an array of tables, not {type_name(value)}",
                           "write rules = [{ module = \"libsqlite3.so*\", intent = \"sqlite\" }]")
            if len(value) > MAX_OVERRIDE_RULES:
                return bad(f"has {len(value)} rules, more than {MAX_OVERRIDE_RULES}")
            out = []
            for i, item in enumerate(value):
                if not isinstance(item, dict):
                    bad(f"entry {i + 1} must be a table, not {type_name(item)}",
                        "write { module = \"libz.so*\", intent = \"NAME\" }", where=path + (i,))
                    out.append(INVALID)
                    continue
                errors = len(self.diag.errors)
                rule = self.table(path + (i,), f"{ctx}: rule {i + 1}", item, OVERRIDE_RULE_KEYS)
                out.append(rule if len(self.diag.errors) == errors else INVALID)  # reported: no more on it
            return out
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
        if kind == "enum_list":
            if not isinstance(value, list):
                return bad(f"must be an array of strings, not {type_name(value)}", choice_hint("", spec.choices))
            if not value:
                return bad("must not be empty", choice_hint("", spec.choices))
            ok = True
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    bad(f"entry {item!r} must be a string, not {type_name(item)}", choice_hint("", spec.choices),
                        where=path + (i,))
                elif item not in spec.choices:
                    bad(f"has an unknown value '{item}'", choice_hint(item, spec.choices), where=path + (i,))
                elif item in value[:i]:
                    bad(f"lists '{item}' twice", f"remove the second '{item}'", where=path + (i,))
                else:
                    continue
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

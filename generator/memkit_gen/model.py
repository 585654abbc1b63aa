"""The validated memkit model: schema checks, overlays and every derived number.

``build(source, platform)`` checks the parsed TOML against schema 1, applies a
``[platform.NAME]`` overlay, and returns a frozen ``Model`` holding every number
the generated C needs (routes, size classes, span tables, static footprint).
Templates only print what is here.
"""
import copy
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

from .config import KeyPath, Locator, Source
from .diagnostics import Diagnostics, Position, choice_hint, did_you_mean

SCHEMA = 1
KIB, MIB, GIB = 1 << 10, 1 << 20, 1 << 30
MAX_SIZE = 1 << 40          # any single size above this is a typo
MAX_CLASS_SIZE = 1 * MIB
MAX_CLASSES = 255           # global class indices fit a uint8_t
MAX_INTENTS = 254           # intent indices fit a uint8_t, 0xFF is MK_POOL_SHARED
POOL_SHARED = 0xFF
MIN_SPAN_SHIFT = 12
ROUTE_ZERO_ON_FREE = 0x01
ROUTE_BUDGETED = 0x02
NAME_RE = re.compile(r"^[a-z][a-z0-9_]*$")
# Names whose enum constant would collide with a runtime macro.
RESERVED_NAMES = {("pool", "shared"): "MK_POOL_SHARED already means 'owned by several intents'; "
                                      "choose another name"}

TIERS = ("frame", "pool", "heap")
LATER_TIERS = ("async", "gpu")
POLICIES = ("fail", "fallback", "callback", "panic")
OVERFLOWS = ("fail", "heap", "panic")
STORAGES = ("static", "reserve")
FALLBACKS = ("system", "none")
LATER_SECTIONS = ("async", "gpu")


class _Invalid:
    """A value that was present but failed its own check (already reported)."""

    def __repr__(self) -> str:
        return "INVALID"


INVALID = _Invalid()


# ---------------------------------------------------------------------------
# Schema: one Key per TOML key; checks that need no other key live here.

@dataclass(frozen=True)
class Key:
    kind: str                     # int | bool | size | enum | name | int_list | schema | alignment | tier
    default: Any = None
    required: bool = False
    lo: Optional[int] = None
    hi: Optional[int] = None
    choices: Tuple[str, ...] = ()


STORAGE_KEY = Key("enum", "static", choices=STORAGES)

SECTIONS: Dict[str, Tuple[bool, Dict[str, Key]]] = {  # name -> (named tables?, keys)
    "memkit": (False, {
        "schema": Key("schema", required=True),
        "threads": Key("bool", True),
        "max_threads": Key("int", 16, lo=1, hi=1024),
        "frames_in_flight": Key("int", 2, lo=1, hi=8),
        "alignment": Key("alignment", 16, lo=8, hi=4096),
    }),
    "frame": (False, {
        "arena": Key("size", required=True, hi=GIB),
        "overflow": Key("enum", "fail", choices=OVERFLOWS),
        "storage": STORAGE_KEY,
    }),
    "pool": (True, {
        "classes": Key("int_list", required=True, lo=1),
        "capacity": Key("size", lo=1),
        "counts": Key("int_list", lo=1),
        "thread_cache": Key("int", 32, lo=0, hi=255),
        "storage": STORAGE_KEY,
    }),
    "heap": (False, {
        "size": Key("size", required=True, lo=4 * KIB),
        "fallback": Key("enum", "system", choices=FALLBACKS),
        "storage": STORAGE_KEY,
    }),
    "budget": (False, {
        "total": Key("size", required=True, lo=1),
    }),
    "intent": (True, {
        "tier": Key("tier", required=True, choices=TIERS),
        "pool": Key("name"),
        "budget": Key("size", lo=1),
        "on_exhausted": Key("enum", "fail", choices=POLICIES),
        "zero_on_free": Key("bool", False),
    }),
}

UNITS = {"B": 1, "KiB": KIB, "MiB": MIB, "GiB": GIB}
_UNIT_MISTAKES = {
    "b": "B", "byte": "B", "bytes": "B",
    "k": "KiB", "kb": "KiB", "kib": "KiB",
    "m": "MiB", "mb": "MiB", "mib": "MiB",
    "g": "GiB", "gb": "GiB", "gib": "GiB",
}
_SIZE_RE = re.compile(r"^\s*([0-9]+)\s*([A-Za-z]*)\s*$")
SIZE_HINT = 'write an integer number of bytes or a string such as "64 KiB" (units: B, KiB, MiB, GiB)'


def type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int):
        return "an integer"
    if isinstance(value, float):
        return "a float"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return "a date/time"


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


class Places:
    """Key path -> position, following overlay values back to the overlay's text."""

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


class _Checker:
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
        out: Dict[str, Any] = {}
        for name in sorted(tables):
            value = tables[name]
            path = (section, name)
            if not isinstance(value, dict):
                self.err(path, f"{section} '{name}' must be a table, not {type_name(value)}",
                         f"declare each {section} as [{section}.NAME]")
                continue
            if self.base_names is not None and name not in self.base_names.get(section, []):
                hint = choice_hint(name, self.base_names.get(section, []), f"declared {section}s")
                self.err(path, f"unknown {section} '{name}'",
                         hint + f" (an overlay cannot add a new {section})")
                continue
            if not NAME_RE.match(name):
                self.err(path, f"{section} name '{name}' is not valid",
                         "names use lowercase letters, digits and '_', and start with a letter")
                continue
            if (section, name) in RESERVED_NAMES:
                self.err(path, f"{section} name '{name}' is reserved", RESERVED_NAMES[(section, name)])
                continue
            out[name] = self.table(path, f"{section} '{name}'", value, keys)
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
                return bad(f"must be a string (a {key} name), not {type_name(value)}")
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


# ---------------------------------------------------------------------------
# The model.

@dataclass(frozen=True)
class Route:
    name: str
    index: int
    tier: str                 # frame | pool | heap
    pool: int                 # pool index, 0 unless tier == "pool"
    pool_name: Optional[str]
    budget: int               # 0: no budget of its own
    on_exhausted: str         # fail | fallback | callback | panic
    zero_on_free: bool
    flags: Tuple[str, ...]    # names of MK_ROUTE_* flags that are set
    flags_value: int


@dataclass(frozen=True)
class SizeClass:
    index: int                # global class index
    pool: int
    size: int
    blocks: int
    offset: int               # byte offset of the class region in its pool
    region_bytes: int         # blocks * size rounded up to a whole span


@dataclass(frozen=True)
class Pool:
    name: str
    index: int
    classes: Tuple[SizeClass, ...]
    first_class: int
    max_size: int
    span_shift: int
    span_count: int
    bytes: int
    span_class: Tuple[int, ...]   # [span] -> global class index
    size_class: Tuple[int, ...]   # [size / alignment] -> global class index
    owner: int                    # intent index or POOL_SHARED
    intents: Tuple[str, ...]      # intents routed here
    thread_cache: int
    storage: str
    tag_bytes: int                # 0: no tags array

    @property
    def shared(self) -> bool:
        return self.owner == POOL_SHARED

    @property
    def static_bytes(self) -> int:
        return (self.bytes if self.storage == "static" else 0) + self.tag_bytes


@dataclass(frozen=True)
class Frame:
    arena: int
    overflow: str
    storage: str
    static_bytes: int


@dataclass(frozen=True)
class Heap:
    size: int
    fallback: str
    storage: str
    static_bytes: int


@dataclass(frozen=True)
class Model:
    schema: int
    threads: bool
    max_threads: int
    frames_in_flight: int
    alignment: int
    alignment_shift: int
    frame: Optional[Frame]
    heap: Optional[Heap]
    pools: Tuple[Pool, ...]
    classes: Tuple[SizeClass, ...]
    routes: Tuple[Route, ...]
    budget_total: int
    static_bytes: int
    platform: str             # "" when no overlay
    normalized: str           # canonical JSON of the config the model was built from


def ceil_log2(n: int) -> int:
    return max(0, (n - 1).bit_length())


def round_up(n: int, multiple: int) -> int:
    return (n + multiple - 1) // multiple * multiple


def span_shift_for(pool_bytes: int) -> int:
    """Spans are at least 4 KiB and at most ~4096 per pool."""
    return max(MIN_SPAN_SHIFT, ceil_log2(pool_bytes) - 12)


def layout_pool(name: str, index: int, first_class: int, sizes: List[int], blocks: List[int],
                alignment: int, owner: int, intents: Tuple[str, ...], thread_cache: int,
                storage: str) -> Pool:
    """Every derived number of one pool: class regions, spans, size lookup, tags."""
    shift = span_shift_for(sum(s * b for s, b in zip(sizes, blocks)))
    classes, offset, span_class = [], 0, []
    for i, (size, count) in enumerate(zip(sizes, blocks)):
        region = round_up(size * count, 1 << shift)
        classes.append(SizeClass(first_class + i, index, size, count, offset, region))
        span_class.extend([first_class + i] * (region >> shift))
        offset += region
    size_class = []
    for i in range(sizes[-1] // alignment + 1):
        size_class.append(first_class + next(j for j, s in enumerate(sizes) if s >= i * alignment))
    tag_bytes = (offset >> ceil_log2(alignment)) if owner == POOL_SHARED and storage == "static" else 0
    return Pool(name, index, tuple(classes), first_class, sizes[-1], shift, offset >> shift, offset,
                tuple(span_class), tuple(size_class), owner, intents, thread_cache, storage, tag_bytes)


class _Builder:
    def __init__(self, clean: Dict[str, Any], places: Places, diag: Diagnostics) -> None:
        self.c = clean
        self.places = places
        self.diag = diag

    def err(self, path: KeyPath, message: str, hint: Optional[str] = None, value: bool = False) -> None:
        self.diag.error(self.places.value(path) if value else self.places.key(path), message, hint)

    def warn(self, path: KeyPath, message: str, hint: Optional[str] = None, value: bool = False) -> None:
        self.diag.warning(self.places.value(path) if value else self.places.key(path), message, hint)

    def get(self, table: Dict[str, Any], section: str, key: str) -> Any:
        """The value, its default when absent, or INVALID."""
        return table.get(key, SECTIONS[section][1][key].default)

    def require(self, path: KeyPath, ctx: str, table: Dict[str, Any], section: str) -> bool:
        ok = True
        for key, spec in SECTIONS[section][1].items():
            if spec.required and key not in table:
                self.err(path, f"{ctx}: missing required key '{key}'", _REQUIRED_HINTS.get(key))
                ok = False
        return ok and all(v is not INVALID for v in table.values())

    def build(self) -> Tuple[Optional[Dict[str, Any]], Any]:
        c = self.c
        if "memkit" not in c:
            self.err(("memkit",), "missing [memkit] section", "start the config with [memkit] and schema = 1")
            mk: Dict[str, Any] = {}
        else:
            mk = c["memkit"]
            self.require(("memkit",), "[memkit]", mk, "memkit")
        threads = self.get(mk, "memkit", "threads")
        max_threads = self.get(mk, "memkit", "max_threads")
        if threads is False:
            if "max_threads" in mk and max_threads not in (1, INVALID):
                self.err(("memkit", "max_threads"),
                         f"[memkit]: max_threads must be 1 when threads = false, got {max_threads}",
                         "remove max_threads, or set threads = true", value=True)
            max_threads = 1
        frames = self.get(mk, "memkit", "frames_in_flight")
        align = self.get(mk, "memkit", "alignment")
        align_ok = align is not INVALID

        frame = c.get("frame")
        heap = c.get("heap")
        pools = c.get("pool", {})
        intents = c.get("intent", {})
        budget = c.get("budget")

        # [frame]
        frame_ok = frame is not None and self.require(("frame",), "[frame]", frame, "frame")
        if frame is not None:
            arena = frame.get("arena")
            if align_ok and isinstance(arena, int) and arena % align:
                self.err(("frame", "arena"), f"[frame]: arena must be a multiple of alignment {align}, "
                         f"got {arena}", f"use {round_up(arena, align)}", value=True)
                frame_ok = False
            if frame_ok and isinstance(max_threads, int) and isinstance(frames, int) \
                    and arena * max_threads * frames > MAX_SIZE:
                self.err(("frame", "arena"), f"[frame]: arena x max_threads x frames_in_flight is "
                         f"{arena * max_threads * frames} bytes, more than the 1024 GiB limit",
                         "lower the arena size or max_threads", value=True)
                frame_ok = False
            if frame.get("overflow") == "heap" and heap is None:
                self.err(("frame", "overflow"), "[frame]: overflow = \"heap\" needs a [heap] section",
                         "add a [heap] section with a size, or choose overflow = \"fail\"", value=True)

        # [heap]
        heap_ok = heap is not None and self.require(("heap",), "[heap]", heap, "heap")
        if heap_ok and align_ok and heap["size"] % align:
            self.err(("heap", "size"), f"[heap]: size must be a multiple of alignment {align}, "
                     f"got {heap['size']}", f"use {round_up(heap['size'], align)}", value=True)
            heap_ok = False

        # [budget]
        total = 0
        if budget is not None and self.require(("budget",), "[budget]", budget, "budget"):
            total = budget["total"]

        # [pool.*] shapes
        shapes: Dict[str, Tuple[List[int], List[int]]] = {}
        class_total = 0
        for name in sorted(pools):
            shape = self.pool_shape(name, pools[name], align if align_ok else None)
            if shape:
                class_total += len(shape[0])
                if class_total > MAX_CLASSES:
                    self.err(("pool", name, "classes"), f"pool '{name}': too many size classes: "
                             f"{class_total} across all pools, the limit is {MAX_CLASSES}")
                shapes[name] = shape

        # [intent.*]
        if not intents:
            self.err(("intent",), "no intents declared",
                     "declare at least one [intent.NAME] with a tier (frame, pool or heap)")
        elif len(intents) > MAX_INTENTS:
            self.err(("intent",), f"too many intents: {len(intents)}, the limit is {MAX_INTENTS}")
        pool_names = sorted(pools)
        routes_in: List[Tuple[str, str, Optional[str], int, str, bool]] = []
        budget_sum = 0
        for name in sorted(intents):
            t = intents[name]
            ctx = f"intent '{name}'"
            path = ("intent", name)
            if not self.require(path, ctx, t, "intent"):
                continue
            tier = t["tier"]
            pool = t.get("pool")
            if pool is not None and tier != "pool":
                self.err(path + ("pool",), f"{ctx}: pool is only meaningful with tier = \"pool\", "
                         f"not tier = \"{tier}\"", "remove pool, or set tier = \"pool\"")
                continue
            if tier == "pool":
                if pool is None:
                    if len(pool_names) == 1:
                        pool = pool_names[0]
                    elif not pool_names:
                        self.err(path + ("tier",), f"{ctx}: tier = \"pool\" needs a [pool.NAME] section",
                                 "declare a pool with classes and a capacity", value=True)
                        continue
                    else:
                        self.err(path, f"{ctx}: missing key 'pool': several pools exist",
                                 "choose one of: " + ", ".join(f"'{p}'" for p in pool_names))
                        continue
                elif pool not in pools:
                    self.err(path + ("pool",), f"{ctx}: unknown pool '{pool}'",
                             choice_hint(pool, pool_names, "declared pools"), value=True)
                    continue
            if tier == "frame" and frame is None:
                self.err(path + ("tier",), f"{ctx}: tier = \"frame\" needs a [frame] section",
                         "add [frame] with an arena size, e.g. arena = \"1 MiB\"", value=True)
            if tier == "heap" and heap is None:
                self.err(path + ("tier",), f"{ctx}: tier = \"heap\" needs a [heap] section",
                         "add [heap] with a size, e.g. size = \"16 MiB\"", value=True)
            policy = self.get(t, "intent", "on_exhausted")
            if policy == "fallback" and heap is None:
                self.err(path + ("on_exhausted",), f"{ctx}: on_exhausted = \"fallback\" needs a [heap] section",
                         "fallback serves from the heap tier: add [heap], or choose another policy", value=True)
            own_budget = t.get("budget", 0)
            if own_budget and total and own_budget > total:
                self.err(path + ("budget",), f"{ctx}: budget {fmt_size(own_budget)} exceeds "
                         f"budget.total {fmt_size(total)}", "lower the intent budget or raise [budget] total",
                         value=True)
            budget_sum += own_budget
            routes_in.append((name, tier, pool, own_budget, policy, self.get(t, "intent", "zero_on_free")))
        if total and budget_sum > total and all(r[3] <= total for r in routes_in):
            self.warn(("budget", "total"), f"[budget]: intent budgets add up to {fmt_size(budget_sum)}, "
                      f"more than total {fmt_size(total)}",
                      "the intents cannot all reach their budgets at once", value=True)

        # Warnings about declared but unused memory.
        used_pools = {r[2] for r in routes_in if r[1] == "pool"}
        for name in pool_names:
            if name not in used_pools and len(routes_in) == len(intents):
                self.warn(("pool", name), f"pool '{name}' is not used by any intent",
                          f"route an intent to it with tier = \"pool\" and pool = \"{name}\", or remove it")
        if frame is not None and len(routes_in) == len(intents) \
                and not any(r[1] == "frame" for r in routes_in):
            self.warn(("frame",), "[frame] is declared but no intent has tier = \"frame\"",
                      "remove [frame], or route an intent to it")

        if self.diag.errors or mk.get("schema") is None:
            return None, None
        return dict(threads=threads, max_threads=max_threads, frames=frames, align=align,
                    frame=frame if frame_ok else None, heap=heap if heap_ok else None, pools=pools,
                    shapes=shapes, routes=routes_in, total=total), None

    def pool_shape(self, name: str, p: Dict[str, Any], align: Optional[int]):
        """(class sizes, blocks per class), or None after reporting what is wrong."""
        ctx = f"pool '{name}'"
        path = ("pool", name)
        ok = self.require(path, ctx, p, "pool")
        has_cap, has_counts = "capacity" in p, "counts" in p
        if has_cap and has_counts:
            self.err(path + ("counts",), f"{ctx}: give either capacity or counts, not both",
                     "capacity is split evenly between the classes; counts gives blocks per class")
            return None
        if not has_cap and not has_counts:
            self.err(path, f"{ctx}: missing capacity or counts",
                     "add capacity = \"1 MiB\" (split evenly between the classes) or counts = [...] "
                     "(blocks per class)")
            return None
        if not ok:
            return None
        sizes = p["classes"]
        for i, size in enumerate(sizes):
            where = path + ("classes", i)
            if align is not None and size < align:
                self.err(where, f"{ctx}: class {size} is smaller than alignment {align}",
                         f"use {align}", value=True)
                ok = False
            elif align is not None and size % align:
                self.err(where, f"{ctx}: class {size} is not a multiple of alignment {align}",
                         f"use {round_up(size, align)}", value=True)
                ok = False
            elif size > MAX_CLASS_SIZE:
                self.err(where, f"{ctx}: class {size} is larger than the 1 MiB limit",
                         "serve large blocks from the heap tier", value=True)
                ok = False
            if i and size <= sizes[i - 1]:
                self.err(where, f"{ctx}: classes must be strictly increasing: {size} follows {sizes[i - 1]}",
                         value=True)
                ok = False
        if not ok or align is None:
            return None
        if has_counts:
            blocks = p["counts"]
            if len(blocks) != len(sizes):
                self.err(path + ("counts",), f"{ctx}: counts has {len(blocks)} entries but classes has "
                         f"{len(sizes)}", "give one block count per class", value=True)
                return None
        else:
            share = p["capacity"] // len(sizes)
            blocks = [share // size for size in sizes]
            if blocks[-1] < 1:
                need = len(sizes) * sizes[-1]
                self.err(path + ("capacity",), f"{ctx}: capacity {fmt_size(p['capacity'])} is too small: "
                         f"class {sizes[-1]} gets no block ({share} bytes per class)",
                         f"capacity must be at least {fmt_size(need)} for {len(sizes)} classes", value=True)
                return None
        for size, count in zip(sizes, blocks):
            if count > 0xFFFFFFFF:
                self.err(path, f"{ctx}: class {size} would hold {count} blocks, more than 2^32 - 1")
                return None
        return list(sizes), list(blocks)


_REQUIRED_HINTS = {
    "schema": "add schema = 1",
    "tier": "add tier = \"frame\", \"pool\" or \"heap\"",
    "arena": "add arena = \"1 MiB\" (per thread, per frame slot)",
    "size": "add size = \"16 MiB\"",
    "total": "add total = \"256 MiB\"",
    "classes": "add classes = [16, 32, 64] (block sizes, multiples of alignment)",
}


def _finish(parts: Dict[str, Any], platform: str, normalized: str) -> Model:
    align = parts["align"]
    threads, max_threads, frames = parts["threads"], parts["max_threads"], parts["frames"]
    routes_in = parts["routes"]
    pool_names = sorted(parts["shapes"])
    intent_index = {r[0]: i for i, r in enumerate(routes_in)}

    pools: List[Pool] = []
    first = 0
    for index, name in enumerate(pool_names):
        sizes, blocks = parts["shapes"][name]
        users = tuple(r[0] for r in routes_in if r[1] == "pool" and r[2] == name)
        owner = intent_index[users[0]] if len(users) == 1 else POOL_SHARED
        p = parts["pools"][name]
        pools.append(layout_pool(name, index, first, sizes, blocks, align, owner, users,
                                 p.get("thread_cache", 32), p.get("storage", "static")))
        first += len(sizes)

    routes = []
    for i, (name, tier, pool, budget, policy, zero) in enumerate(routes_in):
        flags = (("MK_ROUTE_ZERO_ON_FREE",) if zero else ()) + (("MK_ROUTE_BUDGETED",) if budget else ())
        value = (ROUTE_ZERO_ON_FREE if zero else 0) | (ROUTE_BUDGETED if budget else 0)
        routes.append(Route(name, i, tier, pool_names.index(pool) if tier == "pool" else 0,
                            pool if tier == "pool" else None, budget, policy, zero, flags, value))

    frame = heap = None
    if parts["frame"] is not None:
        f = parts["frame"]
        storage = f.get("storage", "static")
        frame = Frame(f["arena"], f.get("overflow", "fail"), storage,
                      max_threads * frames * f["arena"] if storage == "static" else 0)
    if parts["heap"] is not None:
        h = parts["heap"]
        storage = h.get("storage", "static")
        heap = Heap(h["size"], h.get("fallback", "system"), storage, h["size"] if storage == "static" else 0)

    static = (frame.static_bytes if frame else 0) + (heap.static_bytes if heap else 0) \
        + sum(p.static_bytes for p in pools)
    return Model(SCHEMA, threads, max_threads, frames, align, ceil_log2(align), frame, heap, tuple(pools),
                 tuple(c for p in pools for c in p.classes), tuple(routes), parts["total"], static,
                 platform, normalized)


def _merge_raw(base: Dict[str, Any], overlay: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_raw(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def build(source: Source, platform: Optional[str] = None,
          canonical: Callable[[Any], str] = None) -> Optional[Model]:
    """Validates `source` (with overlay `platform`); None when any error was recorded."""
    from .config import canonical_json
    canonical = canonical or canonical_json
    diag = source.diagnostics
    data = source.data
    places = Places(source.locator)
    base = _Checker(diag, places, (), "").document(data)

    raw_platforms = data.get("platform", {})
    overlays: Dict[str, Dict[str, Any]] = {}
    if not isinstance(raw_platforms, dict):
        diag.error(places.key(("platform",)), f"[platform] must be a table, not {type_name(raw_platforms)}",
                   "declare overlays as [platform.NAME]")
        raw_platforms = {}
    base_names = {s: sorted(base.get(s, {})) for s in ("pool", "intent")}
    for name in sorted(raw_platforms):
        overlay = raw_platforms[name]
        if not NAME_RE.match(name):
            diag.error(places.key(("platform", name)), f"platform name '{name}' is not valid",
                       "names use lowercase letters, digits and '_', and start with a letter")
        elif not isinstance(overlay, dict):
            diag.error(places.key(("platform", name)),
                       f"platform '{name}' must be a table, not {type_name(overlay)}",
                       "declare overlays as [platform.NAME]")
        else:
            overlays[name] = _Checker(diag, places, ("platform", name), f"platform '{name}': ",
                                      base_names).document(overlay)

    raw = {k: v for k, v in data.items() if k != "platform"}
    clean = base
    if platform is not None:
        if platform not in raw_platforms:
            known = ", ".join(f"'{p}'" for p in sorted(raw_platforms)) or "none"
            hint = did_you_mean(platform, sorted(raw_platforms))
            diag.error((1, 1), f"unknown platform '{platform}' (given with --platform)",
                       (f"did you mean '{hint}'? " if hint else "") + f"known platforms: {known}")
            return None
        if platform in overlays:
            clean = _apply_overlay(base, overlays[platform], places, platform)
            raw = _merge_raw(raw, raw_platforms[platform])
    parts, _ = _Builder(clean, places, diag).build()
    if parts is None:
        return None
    normalized = canonical({"config": raw, "platform": platform or ""})
    return _finish(parts, platform or "", normalized)


def _apply_overlay(base: Dict[str, Any], overlay: Dict[str, Any], places: Places, platform: str):
    """Deep-merges checked overlay values; positions of merged keys point into the overlay."""
    merged = copy.deepcopy(base)
    origin = ("platform", platform)
    for section, values in overlay.items():
        named = SECTIONS[section][0]
        if section not in merged:
            places.overrides[(section,)] = origin + (section,)
        target = merged.setdefault(section, {})
        groups = values.items() if named else [(None, values)]
        for name, table in groups:
            prefix = (section, name) if named else (section,)
            dest = target.setdefault(name, {}) if named else target
            for key, value in table.items():
                dest[key] = value
                places.overrides[prefix + (key,)] = origin + prefix + (key,)
    return merged

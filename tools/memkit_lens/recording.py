"""Reads and checks a recording or a snapshot (the documents of docs/recording.md).

``load(path)`` returns a ``Recording`` or raises ``RecordingError`` whose message names the
field at fault (``frames[3].intents[1]: expected 5 integers, got 4``). Fields this reader
does not know are ignored, as the contract asks; a missing optional section (histogram,
trace, async pools, GPU heaps) reads as empty.

Counters in a frame row are cumulative since mk_init; ``deltas`` turns a column of them into
per-frame amounts.
"""
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Sequence, Tuple

FORMATS = ("memkit-recording", "memkit-snapshot")
VERSION = 1
INTENT_TIERS = ("frame", "pool", "heap", "async")

# frames[].intents[i] columns
LIVE, PEAK, ALLOCS, FREES, FAILURES = range(5)
# frames[].phases[p] columns
ENTRIES, PHASE_ALLOCS, PHASE_BYTES = range(3)
# frames[].tiers[t] columns
IN_USE, CAPACITY = range(2)


class RecordingError(Exception):
    """A recording that does not follow docs/recording.md; the message names the field."""


@dataclass(frozen=True)
class Intent:
    name: str
    tier: str
    pool: Optional[str]
    budget: int          # 0: none


@dataclass(frozen=True)
class Frame:
    frame: int
    intents: Tuple[Tuple[int, ...], ...]      # [live, peak, allocs, frees, failures] per intent
    phases: Tuple[Tuple[int, ...], ...]       # [entries, allocs, bytes] per phase; missing rows: zeros
    tiers: Tuple[Tuple[int, ...], ...]        # [in_use, capacity] per tier
    async_pools: Tuple[Tuple[int, ...], ...]  # [blocks_in_use, count]
    gpu_heaps: Tuple[Tuple[int, ...], ...]    # [used, reserved]
    hazards: Tuple[Tuple[str, int], ...]      # [code, count]

    def phase(self, p: int) -> Tuple[int, ...]:
        """Row p of this frame, zeros when the phase was first seen later."""
        return self.phases[p] if p < len(self.phases) else (0, 0, 0)


@dataclass(frozen=True)
class Histogram:
    pool: str
    step: int
    requests: Tuple[Tuple[int, int], ...]      # [size rounded up to step, count]
    classes: Tuple[Tuple[int, int, int], ...]  # [class size, requests, requested bytes]
    oversize: int = 0                          # requests above the largest class

    def wasted(self) -> List[Tuple[int, int, int, int]]:
        """(class size, requests, requested bytes, bytes wasted by rounding) per class."""
        return [(size, n, requested, size * n - requested) for size, n, requested in self.classes]


@dataclass(frozen=True)
class Event:
    frame: int
    op: str       # "a" an allocation, "f" its free, "x" a request that failed
    intent: int   # -1: a free whose intent the runtime could not tell
    size: int
    id: int       # the block's address: a free pairs with the allocation before it


@dataclass(frozen=True)
class Recording:
    path: str
    format: str
    version: int
    config: Dict[str, Any]
    intents: Tuple[Intent, ...]
    budget_total: int
    pools: Tuple[Dict[str, Any], ...]
    tiers: Tuple[str, ...]
    phases: Tuple[str, ...]
    frames: Tuple[Frame, ...]
    dropped_frames: int
    histogram: Tuple[Histogram, ...]
    trace_dropped: int
    trace: Tuple[Event, ...]

    def intent_index(self, name: str) -> Optional[int]:
        return next((i for i, it in enumerate(self.intents) if it.name == name), None)

    def column(self, intent: int, col: int) -> List[int]:
        """Column `col` of intent `intent` over the frames, oldest first."""
        return [f.intents[intent][col] for f in self.frames]

    def peak(self, intent: int) -> int:
        """The highest peak_bytes the recording saw for the intent (peaks are since mk_init)."""
        return max([f.intents[intent][PEAK] for f in self.frames] + [0])

    @property
    def complete(self) -> bool:
        """Whether the oldest row's counters are that frame's own: a recording whose ring dropped
        nothing (they count from mk_init). A snapshot's one row counts a whole run."""
        return self.format == "memkit-recording" and self.dropped_frames == 0


def deltas(values: Sequence[int], from_zero: bool) -> List[int]:
    """Per-frame amounts of a cumulative counter: each row minus the one before. The first row
    is its own amount when the counter started at zero before it (`from_zero`: nothing was
    dropped), else 0 (unknown). A row below the one before (counters restarted by a new
    mk_init) counts from zero."""
    out: List[int] = []
    prev: Optional[int] = 0 if from_zero else None
    for v in values:
        out.append(0 if prev is None else (v - prev if v >= prev else v))
        prev = v
    return out


# -- checking ------------------------------------------------------------------------

def _fail(where: str, what: str) -> RecordingError:
    return RecordingError(f"{where}: {what}")


def _int(v: Any, where: str, lo: int = 0) -> int:
    if isinstance(v, bool) or not isinstance(v, int):
        raise _fail(where, f"expected an integer, got {json.dumps(v)[:40]}")
    if v < lo:
        raise _fail(where, f"expected an integer >= {lo}, got {v}")
    return v


def _typed(v: Any, where: str, kind: type, noun: str) -> Any:
    if not isinstance(v, kind):
        raise _fail(where, f"expected {noun}, got {json.dumps(v)[:40]}")
    return v


def _str(v: Any, where: str) -> str:
    return _typed(v, where, str, "a string")


def _list(v: Any, where: str) -> list:
    return _typed(v, where, list, "a list")


def _obj(v: Any, where: str) -> dict:
    return _typed(v, where, dict, "an object")


def _need(doc: dict, key: str, where: str = "") -> Any:
    if key not in doc:
        raise _fail(f"{where}{key}" if where else key, "missing")
    return doc[key]


def _ints(v: Any, n: int, where: str) -> Tuple[int, ...]:
    row = _list(v, where)
    if len(row) != n:
        raise _fail(where, f"expected {n} integers, got {len(row)}")
    return tuple(_int(x, f"{where}[{k}]") for k, x in enumerate(row))


def _rows(v: Any, n: int, count: Optional[int], where: str, at_most: bool = False) -> Tuple[Tuple[int, ...], ...]:
    rows = _list(v, where)
    if count is not None and (len(rows) > count if at_most else len(rows) != count):
        raise _fail(where, f"expected {'at most ' if at_most else ''}{count} rows, got {len(rows)}")
    return tuple(_ints(r, n, f"{where}[{k}]") for k, r in enumerate(rows))


def _intent(v: Any, where: str) -> Intent:
    d = _obj(v, where)
    tier = _str(_need(d, "tier", where + "."), where + ".tier")
    if tier not in INTENT_TIERS:
        raise _fail(where + ".tier", f"expected one of {', '.join(INTENT_TIERS)}, got {tier!r}")
    pool = d.get("pool")
    if pool is not None:
        _str(pool, where + ".pool")
    return Intent(_str(_need(d, "name", where + "."), where + ".name"), tier, pool,
                  _int(d.get("budget", 0), where + ".budget"))


def _frame(v: Any, where: str, n_intents: int, n_phases: int, n_tiers: int) -> Frame:
    d = _obj(v, where)
    hazards = []
    for k, h in enumerate(_list(d.get("hazards", []), where + ".hazards")):
        hw = f"{where}.hazards[{k}]"
        h = _list(h, hw)
        if len(h) != 2:
            raise _fail(hw, f"expected [code, count], got {len(h)} items")
        hazards.append((_str(h[0], hw + "[0]"), _int(h[1], hw + "[1]")))
    return Frame(
        _int(_need(d, "frame", where + "."), where + ".frame"),
        _rows(_need(d, "intents", where + "."), 5, n_intents, where + ".intents"),
        _rows(d.get("phases", []), 3, n_phases, where + ".phases", at_most=True),
        _rows(_need(d, "tiers", where + "."), 2, n_tiers, where + ".tiers"),
        _rows(d.get("async_pools", []), 2, None, where + ".async_pools"),
        _rows(d.get("gpu_heaps", []), 2, None, where + ".gpu_heaps"),
        tuple(hazards))


def _histogram(v: Any, where: str) -> Histogram:
    d = _obj(v, where)
    return Histogram(_str(_need(d, "pool", where + "."), where + ".pool"),
                     _int(_need(d, "step", where + "."), where + ".step", lo=1),
                     _rows(d.get("requests", []), 2, None, where + ".requests"),
                     _rows(d.get("classes", []), 3, None, where + ".classes"),
                     _int(d.get("oversize", 0), where + ".oversize"))


def _trace(v: Any, n_intents: int) -> Tuple[int, Tuple[Event, ...]]:
    d = _obj(v, "trace")
    events = []
    for k, e in enumerate(_list(d.get("events", []), "trace.events")):
        w = f"trace.events[{k}]"
        e = _list(e, w)
        if len(e) != 5:
            raise _fail(w, f"expected [frame, op, intent, size, id], got {len(e)} items")
        op = _str(e[1], w + "[1]")
        if op not in ("a", "f", "x"):
            raise _fail(w + "[1]", f'expected "a", "f" or "x", got {op!r}')
        intent = _int(e[2], w + "[2]", lo=-1 if op == "f" else 0)
        if intent >= n_intents:
            raise _fail(w + "[2]", f"intent index {intent} out of range (the recording has {n_intents} intents)")
        events.append(Event(_int(e[0], w + "[0]"), op, intent, _int(e[3], w + "[3]"), _int(e[4], w + "[4]")))
    return _int(d.get("dropped", 0), "trace.dropped"), tuple(events)


def parse(doc: Any, path: str = "<recording>") -> Recording:
    """Checks a decoded JSON document; raises RecordingError naming the field at fault."""
    d = _obj(doc, "the document")
    fmt = _str(_need(d, "format"), "format")
    if fmt not in FORMATS:
        raise _fail("format", f"expected \"memkit-recording\" or \"memkit-snapshot\", got {fmt!r}")
    version = _int(_need(d, "version"), "version")
    if version != VERSION:
        raise _fail("version", f"this memkit-lens reads version {VERSION}, the file is version {version}")
    intents = tuple(_intent(x, f"intents[{k}]") for k, x in enumerate(_list(_need(d, "intents"), "intents")))
    tiers = tuple(_str(x, f"tiers[{k}]") for k, x in enumerate(_list(_need(d, "tiers"), "tiers")))
    phases = tuple(_str(x, f"phases[{k}]") for k, x in enumerate(_list(d.get("phases", []), "phases")))
    frames = tuple(_frame(x, f"frames[{k}]", len(intents), len(phases), len(tiers))
                   for k, x in enumerate(_list(_need(d, "frames"), "frames")))
    if fmt == "memkit-snapshot" and len(frames) != 1:
        raise _fail("frames", f"a snapshot has exactly one frame row, this one has {len(frames)}")
    for k in range(1, len(frames)):
        if frames[k].frame <= frames[k - 1].frame:
            raise _fail(f"frames[{k}].frame", f"frames must be oldest first, {frames[k].frame} follows "
                                              f"{frames[k - 1].frame}")
    pools = tuple(_obj(x, f"pools[{k}]") for k, x in enumerate(_list(d.get("pools", []), "pools")))
    histogram = tuple(_histogram(x, f"histogram[{k}]") for k, x in enumerate(_list(d.get("histogram", []),
                                                                                     "histogram")))
    dropped, events = _trace(d.get("trace", {"dropped": 0, "events": []}), len(intents))
    return Recording(path, fmt, version, _obj(d.get("config", {}), "config"), intents,
                     _int(d.get("budget_total", 0), "budget_total"), pools, tiers, phases, frames,
                     _int(d.get("dropped_frames", 0), "dropped_frames"), histogram, dropped, events)


def load(path: str) -> Recording:
    """Reads and checks the recording or snapshot at `path`."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as e:
        raise RecordingError(f"cannot read {path}: {e.strerror or e}") from None
    try:
        doc = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as e:
        raise RecordingError(f"{path}: not JSON: {e}") from None
    try:
        return parse(doc, path)
    except RecordingError as e:
        raise RecordingError(f"{path}: {e}") from None

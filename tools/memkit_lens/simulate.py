"""memkit-lens simulate: replays a recording's trace against another config and predicts, per
intent, the peak bytes, the failures and the first frame that fails.

The model (``replay``) follows the runtime's rules where they decide success, and is simple
everywhere else; what it leaves out is listed in SIMPLIFICATIONS and printed with the result.

- Intents are matched by name; an intent the other config lacks is reported, not replayed.
- A request is charged as the runtime charges its budget: a pool request the size of its
  class, any other the size rounded up to the alignment.
- Budgets (the intent's own and [budget] total) are never exceeded: a request that would pass
  one fails, whatever on_exhausted says (as mk__exhausted does).
- Pools: each class holds `blocks` blocks, shared by the pool's intents; a request above the
  largest class goes to the heap (oversize = "heap") or fails. A full class goes to the heap
  with on_exhausted = "fallback", else fails.
- Frame: one arena per frame slot (one thread); frame memory is released when its slot is
  reused, frames_in_flight frames later, and frees of it are ignored. A full arena spills to
  the heap (overflow = "heap") or fails.
- Heap: a bound on the bytes in use; full, it falls back to the system (fallback = "system",
  not a failure) or fails.
- Async intents: their budget only.
"""
import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

from .common import LensError, add_config_arguments, guarded, load_config, load_recording
from .recording import Recording

HELP = "replay a recording's trace against another config: predicted peaks and failures per intent"

SIMPLIFICATIONS = (
    "no fragmentation: a pool class fails only when all its blocks are in use, the heap only when "
    "its bytes are",
    "one thread: one frame arena per frame slot, no per-thread caches or budget leases",
    "no heap block headers or bin rounding: heap requests are charged their aligned size",
    "on_exhausted = \"callback\" and \"panic\" count as failures (the program may recover or abort)",
    "events that fell out of the trace ring are not replayed; a free of an unknown block is skipped",
    "a request that failed in the recorded run (\"x\") is replayed as a request; where it succeeds it "
    "is released at once (the program went on without it)",
)


@dataclass
class IntentOutcome:
    name: str
    tier: str                      # in the simulated config; "" when it lacks the intent
    budget: int
    allocations: int = 0
    peak_bytes: int = 0
    live_bytes: int = 0
    failures: int = 0
    first_failure_frame: Optional[int] = None
    reasons: Counter = field(default_factory=Counter)

    def as_dict(self) -> dict:
        return {"tier": self.tier, "budget": self.budget, "allocations": self.allocations,
                "peak_bytes": self.peak_bytes, "failures": self.failures,
                "first_failure_frame": self.first_failure_frame, "reasons": dict(sorted(self.reasons.items()))}


@dataclass
class Outcome:
    intents: Dict[str, IntentOutcome]
    class_peaks: Dict[Tuple[str, int], int]   # (pool, class size) -> most blocks in use at once
    total_peak: int = 0
    heap_peak: int = 0
    frame_arena_peak: int = 0                 # the most bytes one frame's arena held
    unknown_frees: int = 0
    missing_intents: Tuple[str, ...] = ()

    def as_dict(self) -> dict:
        return {"intents": {n: o.as_dict() for n, o in sorted(self.intents.items())},
                "total_peak_bytes": self.total_peak, "heap_peak_bytes": self.heap_peak,
                "frame_arena_peak_bytes": self.frame_arena_peak,
                "pool_class_peak_blocks": {f"{p}:{s}": n for (p, s), n in sorted(self.class_peaks.items())},
                "unknown_frees": self.unknown_frees, "missing_intents": list(self.missing_intents)}


def _align(n: int, alignment: int) -> int:
    return max(alignment, (n + alignment - 1) // alignment * alignment)


def replay(rec: Recording, m, bounded: bool = True) -> Outcome:
    """Replays `rec`'s trace against model `m`. With `bounded` false nothing ever fails: the
    outcome is the demand (peaks per intent and per pool class), whatever the limits."""
    routes = {r.name: r for r in m.routes}
    pools = {p.name: p for p in m.pools}
    out = Outcome({}, {})
    for it in rec.intents:
        r = routes.get(it.name)
        out.intents[it.name] = IntentOutcome(it.name, r.tier if r else "", r.budget if r else 0)
    out.missing_intents = tuple(sorted(it.name for it in rec.intents if it.name not in routes))
    class_live: Counter = Counter()
    live_blocks: Dict[int, tuple] = {}        # id -> (intent, charge, place), but frame memory
    frame_blocks: Dict[int, List[tuple]] = {}  # frame -> its frame-tier blocks
    arena_used: Counter = Counter()           # frame -> bytes of its arena in use
    heap_used = 0
    total = 0

    def release(intent: str, charge: int, place: tuple) -> None:
        nonlocal heap_used, total
        o = out.intents[intent]
        o.live_bytes -= charge
        total -= charge
        if place[0] == "class":
            class_live[place[1]] -= 1
        elif place[0] == "heap":
            heap_used -= place[1]

    def pairs_nothing(intent: int) -> bool:
        """A free with no block to pair that is no news: of frame memory (it goes with its
        slot), or of an intent the config lacks (never replayed)."""
        if intent < 0:
            return False
        r = routes.get(rec.intents[intent].name)
        return r is None or r.tier == "frame"

    current: Optional[int] = None
    for e in rec.trace:
        if e.frame != current:
            current = e.frame
            for f in sorted(f for f in frame_blocks if f <= current - m.frames_in_flight):
                for intent, charge, place in frame_blocks.pop(f):
                    release(intent, charge, place)
                arena_used.pop(f, None)
        if e.op == "f":
            block = live_blocks.pop(e.id, None)
            if block is not None:
                release(block[0], block[1], block[2])
            elif not pairs_nothing(e.intent):
                out.unknown_frees += 1
            continue
        name = rec.intents[e.intent].name
        r = routes.get(name)
        if r is None:
            continue
        o = out.intents[name]
        o.allocations += 1
        pool = pools.get(r.pool_name) if r.tier == "pool" else None
        cls = None
        if pool is not None:
            cls = next((c for c in pool.classes if c.size >= e.size), None)
        charge = cls.size if cls is not None else _align(e.size, m.alignment)

        def heap_place():
            if not bounded or (m.heap is not None and heap_used + charge <= m.heap.size):
                return ("heap", charge)
            if m.heap is not None and m.heap.fallback == "system":
                return ("system", 0)
            return None

        reason = ""
        place = None
        if bounded and r.budget and o.live_bytes + charge > r.budget:
            reason = "budget"
        elif bounded and m.budget_total and total + charge > m.budget_total:
            reason = "total budget"
        elif r.tier == "frame":
            arena = m.frame.arena if m.frame is not None else 0
            if not bounded or arena_used[e.frame] + charge <= arena:
                place = ("frame", charge)
            elif m.frame is not None and m.frame.overflow == "heap":
                place = heap_place()
                reason = "" if place else "frame arena full, heap full"
            else:
                reason = "frame arena full"
        elif r.tier == "pool":
            if cls is None:
                place = heap_place() if r.oversize == "heap" else None
                reason = "" if place else "oversize"
            elif not bounded or class_live[(pool.name, cls.size)] < cls.blocks:
                place = ("class", (pool.name, cls.size))
            elif r.on_exhausted == "fallback":
                place = heap_place()
                reason = "" if place else f"class {cls.size} full, heap full"
            else:
                reason = f"class {cls.size} full"
        elif r.tier == "heap":
            place = heap_place()
            reason = "" if place else "heap full"
        else:
            place = ("async", charge)
        if place is None:
            o.failures += 1
            o.reasons[reason] += 1
            if o.first_failure_frame is None:
                o.first_failure_frame = e.frame
            continue
        if e.op == "x":   # the program went on without it: charged for this moment only
            o.peak_bytes = max(o.peak_bytes, o.live_bytes + charge)
            out.total_peak = max(out.total_peak, total + charge)
            continue
        o.live_bytes += charge
        total += charge
        o.peak_bytes = max(o.peak_bytes, o.live_bytes)
        out.total_peak = max(out.total_peak, total)
        if place[0] == "class":
            class_live[place[1]] += 1
            out.class_peaks[place[1]] = max(out.class_peaks.get(place[1], 0), class_live[place[1]])
        elif place[0] == "heap":
            heap_used += charge
            out.heap_peak = max(out.heap_peak, heap_used)
        elif place[0] == "frame":
            arena_used[e.frame] += charge
            out.frame_arena_peak = max(out.frame_arena_peak, arena_used[e.frame])
        if r.tier == "frame":
            frame_blocks.setdefault(e.frame, []).append((name, charge, place))
        else:
            live_blocks[e.id] = (name, charge, place)
    return out


def render_text(rec: Recording, out: Outcome, config_name: str) -> str:
    events = len(rec.trace)
    first = rec.trace[0].frame if rec.trace else 0
    last = rec.trace[-1].frame if rec.trace else 0
    lines = [f"memkit-lens simulate: {events} trace events of {rec.path} (frames {first}..{last}) "
             f"replayed against {config_name}", ""]
    width = max([len(n) for n in out.intents] + [6])
    lines.append(f"  {'intent':<{width}}  {'tier':<6} {'budget':>12} {'peak bytes':>12} {'failures':>9}  first failure")
    for name, o in sorted(out.intents.items()):
        if not o.tier:
            lines.append(f"  {name:<{width}}  (not in {config_name}: not replayed)")
            continue
        first_fail = "-" if o.first_failure_frame is None else (
            f"frame {o.first_failure_frame} ({', '.join(f'{r}: {n}' for r, n in sorted(o.reasons.items()))})")
        lines.append(f"  {name:<{width}}  {o.tier:<6} {o.budget or '-':>12} {o.peak_bytes:>12} {o.failures:>9}  "
                     f"{first_fail}")
    lines.append("")
    lines.append(f"  all intents at once: peak {out.total_peak} bytes; heap peak {out.heap_peak} bytes; "
                 f"largest frame arena use {out.frame_arena_peak} bytes")
    for (pool, size), n in sorted(out.class_peaks.items()):
        lines.append(f"  [pool.{pool}] class {size}: at most {n} block{'' if n == 1 else 's'} in use")
    if rec.trace_dropped or out.unknown_frees:
        lines.append(f"  note: {rec.trace_dropped} events fell out of the trace ring; {out.unknown_frees} frees "
                     f"of blocks allocated before the trace were skipped")
    lines.append("")
    lines.append("the model's simplifications:")
    lines.extend(f"  - {s}" for s in SIMPLIFICATIONS)
    return "\n".join(lines) + "\n"


def add_arguments(parser) -> None:
    parser.add_argument("recording", metavar="RECORDING", help="a recording with trace events (docs/recording.md)")
    add_config_arguments(parser)
    parser.add_argument("--json", action="store_true", help="print the prediction as JSON")


@guarded
def run(args) -> int:
    rec = load_recording(args.recording)
    _, m = load_config(args.config, args.platform)
    if not rec.trace:
        raise LensError(f"{args.recording} has no trace events: record with [record] trace_events = N")
    out = replay(rec, m)
    if args.json:
        doc = {"recording": args.recording, "config": args.config, "events": len(rec.trace),
               "trace_dropped": rec.trace_dropped, "simplifications": list(SIMPLIFICATIONS)} | out.as_dict()
        print(json.dumps(doc, indent=1, sort_keys=True))
    else:
        print(render_text(rec, out, args.config), end="")
    return 0

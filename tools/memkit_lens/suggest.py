"""memkit-lens suggest: budgets and pool counts sized from what a recording saw, with headroom,
printed as a unified diff of the config.

The config is edited line by line, never re-serialized, so its comments and layout stay: a
key's value is replaced in the line that writes it (in the [platform.NAME] overlay when
--platform names one that sets it). What is sized:

- each intent's own budget (intents with none keep none): from the intent's highest recorded
  peak; with a trace, from the replay's demand when that is higher (a budget that refused
  requests hides the demand from the counters, not from the trace);
- [budget] total: from the replay's joint peak with a trace, else from the sum of the intents'
  peaks (an upper bound: the counters have no joint peak);
- each pool's counts (replacing capacity): from the most blocks of each class in use at once,
  which only a trace tells; without one, pools are left alone.

Sizes are rounded up: to whole KiB from 1 KiB on, else to the alignment; a class keeps at
least one block.
"""
import difflib
import re
from typing import Dict, List, Optional, Tuple

from .common import LensError, add_config_arguments, guarded, load_config, load_recording
from .simulate import replay

HELP = "budgets and pool counts sized from a recording's peaks, as a diff of the config"


def with_headroom(n: int, headroom: int) -> int:
    """n plus headroom percent, rounded up: 16000 at 25 -> 20000."""
    return -(-n * (100 + headroom) // 100)


def round_size(n: int, alignment: int) -> int:
    """Up to whole KiB from 1 KiB on, else up to the alignment: 20000 -> 20480, 200 -> 208."""
    step = 1024 if n >= 1024 else alignment
    return max(step, -(-n // step) * step)


def size_text(n: int, quoted: bool) -> str:
    """How the config writes n bytes: '"20 KiB"' when quoted and exact, else the integer."""
    if quoted:
        for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
            if n % (1 << shift) == 0:
                return f'"{n >> shift} {unit}"'
    return str(n)


_VALUE = r'"[^"]*"|\'[^\']*\'|\[[^\]]*\]|[^\s#]+'


class Editor:
    """Line edits of a config's text, located with memkit_gen's Locator."""

    def __init__(self, source, platform: Optional[str]) -> None:
        self.source = source
        self.platform = platform
        self.lines = source.text.splitlines(keepends=True)
        self.notes: List[str] = []

    def locate(self, path: Tuple[str, ...]) -> Optional[Tuple[Tuple[str, ...], int]]:
        """(the path as written, its 0-based line) of the key that sets `path`: the overlay's
        when it sets it, else the base's; None when neither writes it."""
        loc = self.source.locator
        for p in ((("platform", self.platform) + path) if self.platform else None, path):
            if p and loc.has(p):
                return p, loc.key(p)[0] - 1
        return None

    def current(self, path: Tuple[str, ...]) -> Optional[str]:
        found = self.locate(path)
        if found is None:
            return None
        m = re.match(rf"\s*{re.escape(path[-1])}\s*=\s*({_VALUE})", self.lines[found[1]])
        return m.group(1) if m else None

    def replace(self, path: Tuple[str, ...], value: str, key: Optional[str] = None, keep_comment: bool = True) -> bool:
        """Writes `value` (and `key` in place of the old key's name) in the line that sets `path`."""
        found = self.locate(path)
        if found is None:
            return False
        n = found[1]
        line = self.lines[n]
        m = re.match(rf"(\s*)({re.escape(path[-1])})(\s*=\s*)({_VALUE})(.*?)(\r?\n)?$", line, re.S)
        if m is None:
            self.notes.append(f"{'.'.join(found[0])} (line {n + 1}) is not on one line: left as it is")
            return False
        head = f"{m.group(1)}{key or m.group(2)}{m.group(3)}{value}"
        rest = m.group(5) if keep_comment else ""
        if rest.lstrip().startswith("#"):   # the comment stays in its column where it fits
            column = len(line) - len(m.group(6) or "") - len(rest.lstrip())
            rest = " " * max(1, column - len(head)) + rest.lstrip()
        self.lines[n] = f"{head}{rest}{m.group(6) or ''}"
        return True

    def diff(self, name: str) -> str:
        return "".join(difflib.unified_diff(self.source.text.splitlines(keepends=True), self.lines,
                                            fromfile=f"a/{name}", tofile=f"b/{name}"))


def suggest(rec, source, m, headroom: int, platform: Optional[str] = None) -> Tuple[List[str], str]:
    """(notes, the unified diff) for recording `rec` against config `source` / model `m`."""
    ed = Editor(source, platform)
    demand = replay(rec, m, bounded=False) if rec.trace else None
    notes = [f"headroom: {headroom}% over the recorded peaks ({len(rec.frames)} frames of {rec.path}"
             + (f", {len(rec.trace)} trace events)" if rec.trace else ", no trace)")]
    routes = {r.name: r for r in m.routes}
    bases: Dict[str, int] = {}
    for i, it in enumerate(rec.intents):
        base = rec.peak(i)
        if demand is not None and it.name in demand.intents:
            base = max(base, demand.intents[it.name].peak_bytes)
        bases[it.name] = base
        r = routes.get(it.name)
        if r is None:
            notes.append(f"intent {it.name}: not in the config, skipped")
            continue
        if not r.budget:
            continue
        failures = rec.frames[-1].intents[i][4] if rec.frames else 0
        if failures:
            notes.append(f"intent {it.name}: failed {failures} time(s) in the recording; sized from "
                         + ("the trace's demand" if demand is not None else "its peak, which its limits capped: "
                            "record a trace to see the demand"))
        if base == 0:
            notes.append(f"intent {it.name}: no use recorded, budget left as it is")
            continue
        new = round_size(with_headroom(base, headroom), m.alignment)
        old = ed.current(("intent", it.name, "budget"))
        if new != r.budget and old is not None:
            ed.replace(("intent", it.name, "budget"), size_text(new, old.startswith(("'", '"'))))
            notes.append(f"intent {it.name}: peak {base} B -> budget {new} B (was {r.budget} B)")
    joint = demand.total_peak if demand is not None else sum(bases.values())
    if m.budget_total and not joint:
        notes.append("[budget] total: no use recorded, left as it is")
    elif m.budget_total:
        new = round_size(with_headroom(joint, headroom), m.alignment)
        old = ed.current(("budget", "total"))
        if new != m.budget_total and old is not None:
            ed.replace(("budget", "total"), size_text(new, old.startswith(("'", '"'))))
            notes.append(f"[budget] total: {'joint peak' if demand is not None else 'sum of the peaks'} "
                         f"{joint} B -> {new} B (was {m.budget_total} B)")
    if demand is None:
        if m.pools:
            notes.append("pools: no trace in the recording, counts left as they are "
                         "(record one with [record] trace_events)")
    else:
        recorded = {it.name for it in rec.intents}
        for p in m.pools:
            unseen = sorted(set(p.intents) - recorded)
            if unseen:
                notes.append(f"[pool.{p.name}]: intents {', '.join(unseen)} are not in the recording, counts "
                             f"left as they are")
                continue
            counts = [max(1, with_headroom(demand.class_peaks.get((p.name, c.size), 0), headroom)) for c in p.classes]
            if counts == [c.blocks for c in p.classes]:
                continue
            text = "[" + ", ".join(str(n) for n in counts) + "]"
            done = ed.replace(("pool", p.name, "counts"), text) or \
                ed.replace(("pool", p.name, "capacity"), text, key="counts", keep_comment=False)
            if done:
                notes.append(f"[pool.{p.name}]: most blocks in use at once "
                             f"{[demand.class_peaks.get((p.name, c.size), 0) for c in p.classes]} "
                             f"-> counts {text} (were {[c.blocks for c in p.classes]}); blocks parked in "
                             f"thread caches (thread_cache {p.thread_cache} x {m.max_threads} threads) come on top")
    return notes + ed.notes, ed.diff(source.filename)


def add_arguments(parser) -> None:
    parser.add_argument("recording", metavar="RECORDING", help="a recording (docs/recording.md)")
    add_config_arguments(parser)
    parser.add_argument("--headroom", type=int, default=25, metavar="PERCENT",
                        help="percent above the recorded peaks (default 25)")


@guarded
def run(args) -> int:
    if args.headroom < 0:
        raise LensError("--headroom must be 0 or more")
    rec = load_recording(args.recording)
    if not rec.frames and not rec.trace:
        raise LensError(f"{args.recording} has no frames and no trace: nothing to size budgets from")
    source, m = load_config(args.config, args.platform)
    notes, patch = suggest(rec, source, m, args.headroom, args.platform)
    for note in notes:
        print(f"# {note}")
    print(patch, end="") if patch else print("# no changes: the config already fits the recording")
    return 0

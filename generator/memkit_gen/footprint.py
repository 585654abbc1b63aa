"""The true footprint of a config on its target (``memkit-gen --footprint``).

``compute(model)`` lists every byte that the generated config and the runtime
place in static storage (the program's .data and .bss) and in thread-local
storage, and every mapping mk_init and mk_gpu_init make at run time:

- config: the arrays memkit_config.c declares (their sum is MKG_STATIC_BYTES):
  pool blocks with their span rounding, intent tags and free bitmaps, frame
  arenas for every thread and frame slot, the heap, handle tables, async pools,
  task arenas and channel rings of storage = "static";
- runtime: the runtime's own static variables (runtime_layout.py): thread slots,
  size classes, the heap's index, deferred-free ring, groups, phases, the async
  and GPU tiers' state, the OS layer's few words;
- tls: thread-local variables, per thread that uses memkit;
- reserve: what mk_init maps for storage = "reserve";
- gpu_reserve: what mk_gpu_init maps for the GPU tier's tables.

Static and thread-local rows are exact (tests/footprint/check_footprint.py
links programs and compares them, symbol by symbol, with the binary).
Not counted, and said so in the table: code, constant tables, the alignment
padding compilers and linkers put between variables, the heap's system
fallback and GPU device memory.
"""
import json
from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

from .runtime_layout import RuntimeLayout

NOT_COUNTED = ("code (.text), constant tables (.rodata, .data.rel.ro), the alignment padding that compilers and "
               "linkers put between variables, the heap's system fallback (malloc) and GPU device memory")


@dataclass(frozen=True)
class Row:
    group: str          # config | runtime | tls | reserve | gpu_reserve
    what: str
    detail: str
    bytes: int
    symbol: str = ""    # linked name ("" for mappings)
    section: str = ""   # .bss | .data | .tbss | .tdata ("" for mappings)
    table: str = ""     # config and reserve rows: the config table they belong to, "[pool.small]"


@dataclass(frozen=True)
class Footprint:
    target: str
    rows: Tuple[Row, ...]
    types: Dict[str, Tuple[int, int]]   # runtime C type -> (size, alignment), for the footprint test

    def total(self, group: str) -> int:
        return sum(r.bytes for r in self.rows if r.group == group)

    @property
    def static_bytes(self) -> int:
        return self.total("config") + self.total("runtime")


def _b(n: int) -> str:
    """An exact byte count for people: 1048576 -> '1,048,576'."""
    return f"{n:,}"


def _size(n: int) -> str:
    """A size as the config writes it when exact, else in bytes: 65536 -> '64 KiB', 100 -> '100 B'."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n and n % (1 << shift) == 0:
            return f"{n >> shift} {unit}"
    return f"{_b(n)} B"


def human(n: int) -> str:
    """'1.5 MiB', '512 KiB', '17 B': how far a total goes, at a glance."""
    for unit, shift in (("GiB", 30), ("MiB", 20), ("KiB", 10)):
        if n >= 1 << shift:
            value = n / (1 << shift)
            return f"{value:.0f} {unit}" if value >= 100 or value == int(value) else f"{value:.1f} {unit}"
    return f"{n} B"


def _plural(n: int, word: str, words: str = "") -> str:
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def _config_rows(m, group: str) -> List[Row]:
    """The generated storage arrays (group "config"), or their mappings (group "reserve")."""
    static = group == "config"
    rows: List[Row] = []

    def add(table: str, noun: str, detail: str, n: int, symbol: str) -> None:
        rows.append(Row(group, f"{table} {noun}".rstrip(), detail, n, symbol if static else "",
                        ".bss" if static else "", table))

    if m.frame and (m.frame.storage == "static") == static:
        add("[frame]", "arenas", f"{_plural(m.max_threads, 'thread')} x {_plural(m.frames_in_flight, 'frame slot')} "
            f"x {_size(m.frame.arena)}", m.max_threads * m.frames_in_flight * m.frame.arena, "mkg_frame_storage")
    if m.heap and (m.heap.storage == "static") == static:
        add("[heap]", "", "", m.heap.size, "mkg_heap_storage")
    for p in m.pools:
        if (p.storage == "static") != static:
            continue
        blocks = sum(c.size * c.blocks for c in p.classes)
        sizes = ", ".join(str(c.size) for c in p.classes)
        arrays = dict(p.static_arrays) if static else dict(
            [("storage", p.bytes)] + ([("tags", p.bytes >> m.alignment_shift)] if p.shared else [])
            + [("free_bits", 8 * p.bitmap_words)])
        details = {"storage": ("blocks", f"classes {sizes}: {_b(blocks)} B of blocks + {_b(p.bytes - blocks)} B "
                                         f"rounding each class to {_size(1 << p.span_shift)} spans"),
                   "tags": ("intent tags", f"1 B per {m.alignment} B (pool shared by "
                                           f"{_plural(len(p.intents), 'intent')})"),
                   "free_bits": ("free bitmaps", f"{p.bitmap_words} x 8 B")}
        for name, n in arrays.items():
            add(f"[pool.{p.name}]", details[name][0], details[name][1], n, f"mkg_pool_{p.name}_{name}")
    if static:
        for t in m.handle_tables:
            details = {"blocks": ("blocks", f"{t.capacity} x {_size(t.block_size)}"),
                       "slots": ("slots", f"{t.capacity} x {t.slot_bytes} B"),
                       "owner": ("block owners", f"{t.capacity} x 4 B")}
            for name, n in t.static_arrays:
                add(f"[handles.{t.name}]", details[name][0], details[name][1], n, f"mkg_handles_{t.name}_{name}")
    for kind, tables in (("pool", m.async_pools), ("arena", m.async_arenas)):
        for a in tables:
            p = a if kind == "pool" else a.chunk_pool
            if (p.storage == "static") != static:
                continue
            noun = "blocks" if kind == "pool" else "chunks"
            details = {"storage": (noun, f"{p.count} x {_size(p.block)}"),
                       "free_stack": ("free stack", f"{p.count} x 4 B"),
                       "slots": ("evict slots", f"{p.count} x {p.slot_bytes} B")}
            if static:
                for name, n in p.static_arrays:
                    add(f"[async.{kind}.{a.name}]", details[name][0], details[name][1], n,
                        f"mkg_async_{kind}_{a.name}_{name}")
            else:  # one mapping (async/src/async_pool.c): blocks, the free stack padded to 16, evict slots
                stack = (4 * p.count + 15) // 16 * 16
                slots = p.count * p.slot_bytes if p.evict_slots else 0
                add(f"[async.{kind}.{a.name}]", f"{noun}, free stack" + (", evict slots" if slots else ""),
                    f"{p.count} x {_size(p.block)} + {_b(stack)} B" + (f" + {_b(slots)} B" if slots else ""),
                    p.bytes + stack + slots, "")
    if static:
        for ch in m.async_channels:
            for name, n in ch.static_arrays:
                add(f"[async.channel.{ch.name}]", "ring", f"{ch.capacity} x {ch.msg_bytes} B", n,
                    f"mkg_async_channel_{ch.name}_{name}")
        details = {"rows": ("frame rows", f"{m.record.frames} x {8 * m.record.row_words} B"),
                   "trace": ("trace events", f"{m.record.trace_events} x {m.record.trace_event_bytes} B")}
        for name, n in m.record.static_arrays:
            add("[record]", details[name][0], details[name][1], n, f"mkg_record_{name}")
    return rows


def _runtime_rows(m, rt: RuntimeLayout) -> List[Row]:
    rows = []
    thread = rt.slot.size
    classes = len(m.classes) * rt.types["mk__class_state_t"].size
    heap = rt.types["mk__heap_t"].size
    rest = rt.runtime.size - m.max_threads * thread - classes - heap
    breakdown = {
        "mk__rt": f"{_plural(m.max_threads, 'thread slot')} x {_b(thread)} B"
                  + (f", {_plural(len(m.classes), 'size class', 'size classes')} x "
                     f"{rt.types['mk__class_state_t'].size} B" if m.classes else "")
                  + f", heap index {_b(heap)} B, budgets and counters {_b(rest)} B",
    }
    for v in rt.variables:
        group = "tls" if v.section in (".tbss", ".tdata") else "runtime"
        symbol = (m.symbol_prefix + v.symbol) if v.exported else v.symbol
        detail = v.what + (f": {breakdown[v.symbol]}" if v.symbol in breakdown else "") + f" ({v.source})"
        rows.append(Row(group, symbol, detail, v.type.size, symbol, v.section))
    return rows


def _gpu_reserve_rows(m, rt: RuntimeLayout) -> List[Row]:
    """Host memory mk_gpu_init maps for the GPU tier's tables (gpu/src/gpu.c)."""
    if not m.gpu_heaps:
        return []
    rec, block = rt.gpu_rec.size, rt.gpu_block.size
    records = m.limits["MKG_GPU_MAX_BUFFERS"]   # [gpu] max_buffers
    rows = [Row("gpu_reserve", "GPU buffer records", f"{_b(records)} x {rec} B", records * rec)]
    per_block = rt.gpu_tlsf_nodes * (rt.gpu_tlsf_node.size + 4)
    for h in m.gpu_heaps:
        rows.append(Row("gpu_reserve", f"[gpu.heap.{h.name}] block table", f"{h.max_blocks} x {_b(block)} B",
                        h.max_blocks * block))
        if h.kind == "tlsf" and h.min_blocks:
            rows.append(Row("gpu_reserve", f"[gpu.heap.{h.name}] TLSF metadata",
                            f"{h.min_blocks} of up to {h.max_blocks} blocks x {_b(per_block)} B",
                            h.min_blocks * per_block))
    return rows


def compute(m) -> Footprint:
    """The footprint of model `m` on its target."""
    rt = RuntimeLayout(m)
    rows = (_config_rows(m, "config") + _runtime_rows(m, rt) + _config_rows(m, "reserve")
            + _gpu_reserve_rows(m, rt))
    return Footprint(m.target.name, tuple(rows), {k: (t.size, t.align) for k, t in sorted(rt.types.items())})


def banner_lines(fp: Footprint, target) -> Tuple[str, ...]:
    """The target and the totals, for the generated files' banner comment."""
    gpu = fp.total("gpu_reserve")
    return (f"target: {target.name} ({target.bits}-bit pointers); footprint (memkit-gen --footprint lists it):",
            f"  {_b(fp.static_bytes)} B static (config {_b(fp.total('config'))} + runtime "
            f"{_b(fp.total('runtime'))}), {_b(fp.total('tls'))} B thread-local per thread,",
            f"  {_b(fp.total('reserve'))} B mapped by mk_init" + (f", {_b(gpu)} B by mk_gpu_init" if gpu else ""))


SECTIONS = (
    ("config", "generated config (memkit_config.c), static storage: MKG_STATIC_BYTES"),
    ("runtime", "runtime (runtime/, async/, gpu/), static storage"),
    ("tls", "thread-local storage, per thread that uses memkit"),
    ("reserve", "mapped by mk_init (storage = \"reserve\"; the OS rounds each mapping up to whole pages)"),
    ("gpu_reserve", "mapped by mk_gpu_init for the GPU tier's tables (host memory)"),
)


def render_table(fp: Footprint, source_name: str, about: str) -> str:
    """The table `memkit-gen --footprint` prints."""
    lines = [f"memkit footprint of {source_name} on target {fp.target} ({about})", ""]
    for group, title in SECTIONS:
        rows = [r for r in fp.rows if r.group == group]
        if not rows and group == "gpu_reserve":
            continue
        lines.append(f"{title}:")
        width = max([len(r.what) for r in rows] + [24])
        for r in rows:
            symbol = "" if r.symbol == r.what else r.symbol
            text = "  ".join(x for x in (f"{r.section:<6}" if r.section else "", symbol, r.detail) if x)
            lines.append(f"  {r.what:<{width}} {_b(r.bytes):>15}  {text}".rstrip())
        if not rows:
            lines.append("  (none)")
        total = fp.total(group)
        lines.append(f"  {'total':<{width}} {_b(total):>15}  {human(total)}")
        lines.append("")
    lines.append(f"static storage in all: {_b(fp.static_bytes)} B ({human(fp.static_bytes)}), in .data and .bss")
    lines.append(f"not counted: {NOT_COUNTED}")
    return "\n".join(lines) + "\n"


def as_json(fp: Footprint, source_name: str) -> str:
    """Every row and total, for tools (and the footprint test)."""
    doc: Dict[str, Any] = {
        "config": source_name, "target": fp.target,
        "rows": [{"group": r.group, "what": r.what, "detail": r.detail, "bytes": r.bytes, "symbol": r.symbol,
                  "section": r.section} for r in fp.rows],
        "totals": {group: fp.total(group) for group, _ in SECTIONS} | {"static": fp.static_bytes},
        "types": {name: {"size": size, "align": align} for name, (size, align) in fp.types.items()},
    }
    return json.dumps(doc, indent=1, sort_keys=True) + "\n"

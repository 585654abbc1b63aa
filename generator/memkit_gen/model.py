"""The validated memkit model: semantic checks, overlays and every derived number.

``build(source, platform, target)`` has schema.py check the parsed TOML, applies a
``[platform.NAME]`` overlay, checks how the keys fit together (alignment
multiples, pool shapes, intent routing, budgets), and returns a frozen
``Model`` holding every number the generated C needs (the target, routes, size
classes, span tables, handle tables, scratch and deferred-free limits, async
pools, channels and task arenas, GPU heaps' memory property flags and GPU
intents' buffer usage flags, the static arrays and their sizes), after reach.py
has checked that the target can address it. Templates only print what is here.
"""
import copy
from dataclasses import dataclass
from typing import Any, Dict, List, Optional, Tuple

from . import limits, reach
from .config import KeyPath, Places, Source, canonical_json
from .diagnostics import Diagnostics, choice_hint, did_you_mean
from .runtime_layout import contract_types
from .schema import (GPU_USAGES, INVALID, MAX_GPU_BLOCKS, MAX_SIZE, MIB, SCHEMA, SECTIONS, TABLE_NOUNS,
                     article, check, fmt_size, section_path)
from .target import TARGETS, Target

MAX_CLASS_SIZE = 1 * MIB
MAX_CLASSES = 255           # global class indices fit a uint8_t
MAX_INTENTS = 254           # intent indices fit a uint8_t, 0xFF is MK_POOL_SHARED
MAX_HANDLE_TABLES = 256     # a handle keeps its table id in 8 bits (runtime handles.c)
MAX_ASYNC_POOLS = 255       # [async.pool.*] and [async.arena.*] together: one table holds all their pools
MAX_ASYNC_CHANNELS = 255
POOL_SHARED = 0xFF
MIN_SPAN_SHIFT = 12
# Codes of memkit-gen's warnings (docs/diagnostics.md).
ML_NO_BUDGET = "ML503"      # a pool or heap intent without a budget
ML_UNUSED_FRAME = "ML504"   # [frame] but no frame intent
ML_UNUSED_POOL = "ML505"    # a pool that no intent uses
ML_BUDGET_SUM = "ML506"     # intent budgets add up to more than [budget] total
ML_THREAD_CACHE = "ML507"   # thread caches can park half or more of a pool class's blocks
ML_UNSERVED_ASYNC = "ML508" # an async intent that no async pool or task arena names
ML_UNUSED_GPU_HEAP = "ML509"  # a gpu heap, other than a staging ring, that no gpu intent names
MAX_GPU_HEAPS = 255         # a gpu intent keeps its heap index in 8 bits
MAX_GPU_INTENTS = 255
# VkMemoryPropertyFlagBits, by value (gpu/src/memtype.h, MK_GPU_MEMORY_*).
GPU_DEVICE_LOCAL, GPU_HOST_VISIBLE, GPU_HOST_COHERENT, GPU_HOST_CACHED = 0x1, 0x2, 0x4, 0x8
# [gpu.heap] memory -> (required, preferred, not preferred) property flags; the runtime picks the
# memory type of least cost: preferred flags missing + not-preferred flags present (VMA's choice).
GPU_MEMORY_FLAGS = {
    "device_local": (0, GPU_DEVICE_LOCAL, GPU_HOST_VISIBLE),
    "upload": (GPU_HOST_VISIBLE, GPU_HOST_COHERENT, GPU_HOST_CACHED | GPU_DEVICE_LOCAL),
    "readback": (GPU_HOST_VISIBLE, GPU_HOST_CACHED, GPU_DEVICE_LOCAL),
    "unified": (GPU_HOST_VISIBLE, GPU_DEVICE_LOCAL | GPU_HOST_COHERENT, 0),
}
# A staging ring is written by the CPU and read by the GPU's copies.
GPU_RING_MEMORIES = ("upload", "unified")
DEFAULT_GPU_MAX_BLOCKS = 64  # [gpu.heap] max_blocks without a budget to size it
# MK_ROUTE_* flags in bit order: (C name, value).
ROUTE_FLAGS = (("MK_ROUTE_ZERO_ON_FREE", 0x01), ("MK_ROUTE_BUDGETED", 0x02),
               ("MK_ROUTE_PLAIN_REFCOUNT", 0x04), ("MK_ROUTE_OVERSIZE_HEAP", 0x08))
# Sentinel mode (runtime/src/diagnostics/sentinel.c) puts a header before and a canary after each
# pool or heap block: sizeof(mk__sblock_t) on 64-bit targets (56 on 32-bit ones), rounded
# up to the alignment, and [debug] canary_bytes.
SENTINEL_HEADER_BYTES = 80
# The heap tier's per-thread cache (runtime/include/memkit/fastpath.h, mk__heap_bin):
# blocks of up to 16 KiB in 64 size bins, 16-byte steps to 256 B, then 8 per doubling.
HEAP_BIN_SIZES = tuple(range(16, 257, 16)) + tuple((1 << k) + j * (1 << (k - 3))
                                                  for k in range(8, 14) for j in range(1, 9))
# Why each tier other than pool and heap cannot serve [scratch] buffers.
SCRATCH_REFUSED = {"frame": "frame memory is released with its frame and cannot be kept for reuse",
                   "async": "async intents are served by async pools and task arenas, not by mk_alloc"}
HANDLE_OWNER_BYTES = 4      # sizeof(uint32_t), one block -> slot entry
ASYNC_FREE_ENTRY_BYTES = 4  # sizeof(uint32_t): the free stack holds every block's index


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
    refcount: str             # atomic | plain (always plain when threads = false)
    oversize: Optional[str]   # pool intents: heap | fail, what a request above the largest class gets
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
    bitmap_words: int             # 64-bit words of the classes' free-block bitmaps
    prefault: bool                # mk_init touches every page of the storage

    @property
    def shared(self) -> bool:
        return self.owner == POOL_SHARED

    @property
    def static_arrays(self) -> Tuple[Tuple[str, int], ...]:
        """(name, bytes) of each array memkit_config.c declares for it: mkg_pool_NAME_storage ..."""
        if self.storage != "static":
            return ()
        return (("storage", self.bytes),) + ((("tags", self.tag_bytes),) if self.tag_bytes else ()) \
            + (("free_bits", 8 * self.bitmap_words),)

    @property
    def static_bytes(self) -> int:
        return sum(n for _, n in self.static_arrays)


@dataclass(frozen=True)
class Frame:
    arena: int
    overflow: str
    storage: str
    static_bytes: int
    prefault: bool


@dataclass(frozen=True)
class Heap:
    size: int
    fallback: str
    storage: str
    static_bytes: int
    prefault: bool
    thread_cache: int         # blocks per size bin kept per thread (0: no heap cache)


@dataclass(frozen=True)
class HandleTable:
    name: str
    index: int
    capacity: int             # slots, and blocks
    block_size: int
    blocks_bytes: int         # capacity * block_size
    slot_bytes: int           # sizeof(mk_handle_slot_t) on the target

    @property
    def static_arrays(self) -> Tuple[Tuple[str, int], ...]:
        """(name, bytes) of each array memkit_config.c declares for it: mkg_handles_NAME_blocks ..."""
        return (("blocks", self.blocks_bytes), ("slots", self.capacity * self.slot_bytes),
                ("owner", self.capacity * HANDLE_OWNER_BYTES))

    @property
    def static_bytes(self) -> int:
        return sum(n for _, n in self.static_arrays)


@dataclass(frozen=True)
class Scratch:
    intent: str
    intent_index: int
    cap: int                  # bytes of released scratch buffers kept for reuse


@dataclass(frozen=True)
class Deferred:
    capacity: int             # deferred frees pending at once
    max_frames: int           # the largest delay mk_free_deferred accepts


# A recorded frame's row (runtime/src/diagnostics/record.c, docs/recording.md), in 64-bit words:
# the frame index and the phase count, then per intent [live, peak, allocs, frees, failures], per
# phase slot [entries, allocs, bytes], per tier (frame, pool, heap, async, system) [in use,
# capacity], per async pool [in use, count], per GPU heap [used, reserved], and RECORD_HAZARD_SLOTS
# diagnostics codes with their counts. The runtime asserts the same number.
RECORD_TIERS = 5
RECORD_HAZARD_SLOTS = 8


# A trace event (runtime/src/diagnostics/trace.c): frame, size, id, intent | op << 32.
RECORD_TRACE_WORDS = 4


@dataclass(frozen=True)
class Record:
    """[record]: the frame ring, the size histogram and the event trace memkit-lens reads
    (docs/recording.md)."""
    frames: int               # rows kept; 0: no recording
    histogram: bool
    trace_events: int
    row_words: int            # uint64_t words per row
    hist_base: Tuple[int, ...] = ()  # per pool: its first bucket in the per-thread histogram

    @property
    def hist_buckets(self) -> int:
        """Buckets of the per-thread histogram (mk__thread_t.hist): per pool, one per size step up
        to its largest class (size 0 included) and one for the requests above it."""
        return self.hist_base[-1] if self.hist_base else 0   # set only with the histogram on

    @property
    def trace_words(self) -> int:
        """uint64_t words of mkg_record_trace (trace.c: 4 per event)"""
        return RECORD_TRACE_WORDS * self.trace_events

    @property
    def trace_event_bytes(self) -> int:
        return 8 * RECORD_TRACE_WORDS

    @property
    def static_arrays(self) -> Tuple[Tuple[str, int], ...]:
        """(name, bytes) of each array memkit_config.c declares for it: mkg_record_rows, _trace"""
        return ((("rows", 8 * self.frames * self.row_words),) if self.frames else ()) + \
            ((("trace", self.trace_event_bytes * self.trace_events),) if self.trace_events else ())

    @property
    def static_bytes(self) -> int:
        return sum(n for _, n in self.static_arrays)


@dataclass(frozen=True)
class AsyncPool:
    """An [async.pool.NAME], or the chunk pool of a task arena: count blocks of block bytes."""
    name: str
    index: int                # in mkg_async_pools: the pools by name, then the arenas' chunk pools
    block: int
    count: int
    intent: str
    intent_index: int
    backpressure: str         # wait | fail | timeout | evict
    timeout_ns: int           # the deadline of backpressure = "timeout", else 0
    storage: str
    prefault: bool
    slot_bytes: int           # sizeof(mk_async_block_slot_t) on the target

    @property
    def evict_slots(self) -> bool:
        """Eviction keeps state per block: the holder's callback and the LRU links."""
        return self.backpressure == "evict"

    @property
    def bytes(self) -> int:
        return self.count * self.block

    @property
    def static_arrays(self) -> Tuple[Tuple[str, int], ...]:
        """(name, bytes) of each array memkit_config.c declares for it: mkg_async_pool_NAME_storage ..."""
        if self.storage != "static":
            return ()
        return (("storage", self.bytes), ("free_stack", self.count * ASYNC_FREE_ENTRY_BYTES)) \
            + ((("slots", self.count * self.slot_bytes),) if self.evict_slots else ())

    @property
    def static_bytes(self) -> int:
        return sum(n for _, n in self.static_arrays)


@dataclass(frozen=True)
class AsyncChannel:
    name: str
    index: int
    capacity: int             # messages queued at most
    backpressure: str         # wait | fail | timeout
    timeout_ns: int           # the senders' deadline of backpressure = "timeout", else 0
    msg_bytes: int            # sizeof(mk_msg_t) on the target

    @property
    def static_arrays(self) -> Tuple[Tuple[str, int], ...]:
        """Its ring, mkg_async_channel_NAME_ring: always static."""
        return (("ring", self.capacity * self.msg_bytes),)

    @property
    def static_bytes(self) -> int:
        return sum(n for _, n in self.static_arrays)


@dataclass(frozen=True)
class AsyncArena:
    name: str
    index: int
    chunk: int                # bytes per chunk
    max_chunks: int           # chunks of all its tasks at once
    intent: str
    intent_index: int
    storage: str
    prefault: bool
    pool_index: int           # of its chunk pool in mkg_async_pools: after the [async.pool.*] ones
    slot_bytes: int           # sizeof(mk_async_block_slot_t) on the target (unused: never evict)

    @property
    def chunk_pool(self) -> AsyncPool:
        """Where its chunks come from (memkit/config.h): an async pool with backpressure = "fail"."""
        return AsyncPool(self.name, self.pool_index, self.chunk, self.max_chunks, self.intent, self.intent_index,
                         "fail", 0, self.storage, self.prefault, self.slot_bytes)

    @property
    def static_arrays(self) -> Tuple[Tuple[str, int], ...]:
        """(name, bytes) of each array memkit_config.c declares for it: mkg_async_arena_NAME_storage ..."""
        return self.chunk_pool.static_arrays

    @property
    def static_bytes(self) -> int:
        return self.chunk_pool.static_bytes


@dataclass(frozen=True)
class GpuHeap:
    """A [gpu.heap.NAME]: blocks of device memory of one memory type, sub-allocated by kind."""
    name: str
    index: int
    memory: str               # device_local | upload | readback | unified
    kind: str                 # tlsf | linear | ring
    block: int                # bytes per device memory allocation
    min_blocks: int           # allocated by init and kept
    max_blocks: int
    budget: int               # 0: no budget of its own
    required: int             # memory property flags (GPU_MEMORY_FLAGS)
    preferred: int
    not_preferred: int
    mapped: bool              # host-visible: its blocks are mapped persistently
    intents: Tuple[str, ...]  # gpu intents whose buffers live here
    backpressure: str         # rings: wait | fail when an upload finds the ring full
    images: bool              # tlsf: holds image memory too, so every buffer gets a VkBuffer of its own


@dataclass(frozen=True)
class GpuIntent:
    """A [gpu.intent.NAME]: buffers of one usage in one heap, with a budget and a policy."""
    name: str
    index: int
    heap: str
    heap_index: int
    usage: Tuple[str, ...]    # sorted by flag value
    usage_flags: int          # VkBufferUsageFlags: the usage list folded
    budget: int               # 0: no budget of its own
    on_exhausted: str         # fail | callback | panic


@dataclass(frozen=True)
class OverrideRule:
    """One [override] rule: calls from `module` (None: any) of min_size..max_size bytes go to `intent`."""
    module: Optional[str]
    min_size: int
    max_size: Optional[int]   # None: no upper bound
    intent: str
    intent_index: int


@dataclass(frozen=True)
class Override:
    """[override]: libmemkit_override's attribution of malloc calls (docs/override.md)."""
    default: str
    default_index: int
    rules: Tuple[OverrideRule, ...]


@dataclass(frozen=True)
class Model:
    schema: int
    target: Target            # pointer width and C ABI (target.py)
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
    handle_tables: Tuple[HandleTable, ...]
    async_pools: Tuple[AsyncPool, ...]
    async_channels: Tuple[AsyncChannel, ...]
    async_arenas: Tuple[AsyncArena, ...]
    gpu_heaps: Tuple[GpuHeap, ...]
    gpu_intents: Tuple[GpuIntent, ...]
    gpu_frames_in_flight: int  # [gpu] frames_in_flight, by default [memkit]'s
    gpu_budget: int           # [gpu] budget; 0: none
    scratch: Optional[Scratch]
    deferred: Deferred
    record: Record
    sentinel: bool            # [debug] sentinel: the hardened debug runtime
    limits: Dict[str, int]    # generated constant -> value: [limits], [debug], [gpu] capacities (limits.py)
    symbol_prefix: str        # "audio_" for [memkit] prefix = "audio"; "" without
    budget_total: int
    static_bytes: int
    platform: str             # "" when no overlay
    normalized: str           # canonical JSON of the config the model was built from
    override: Optional[Override] = None  # [override], for libmemkit_override

    @property
    def cache_slots(self) -> int:
        """Entries of one thread's pool magazines: thread_cache for every class."""
        return sum(p.thread_cache * len(p.classes) for p in self.pools)


def heap_cache_bytes(thread_cache: int, max_threads: int) -> int:
    """The most the heap's thread caches can hold: every bin of every thread full."""
    return thread_cache * sum(HEAP_BIN_SIZES) * max_threads


def default_heap_cache(heap_size: int, max_threads: int) -> int:
    """[heap] thread_cache's default: 8 blocks per bin, fewer (down to none) so that
    full caches stay under half of the heap, as ML507 asks."""
    n = 8
    while n and 2 * heap_cache_bytes(n, max_threads) >= heap_size:
        n //= 2
    return n


def ceil_log2(n: int) -> int:
    return max(0, (n - 1).bit_length())


def round_up(n: int, multiple: int) -> int:
    return (n + multiple - 1) // multiple * multiple


def span_shift_for(pool_bytes: int) -> int:
    """Spans are at least 4 KiB and at most ~4096 per pool."""
    return max(MIN_SPAN_SHIFT, ceil_log2(pool_bytes) - 12)


def layout_pool(name: str, index: int, first_class: int, sizes: List[int], blocks: List[int],
                alignment: int, owner: int, intents: Tuple[str, ...], thread_cache: int,
                storage: str, prefault: bool = False) -> Pool:
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
    # per class: a bit per block, then a summary bit per word of those (runtime/src/tiers/pool.c)
    bitmap_words = sum((count + 63) // 64 + (count + 4095) // 4096 for count in blocks)
    return Pool(name, index, tuple(classes), first_class, sizes[-1], shift, offset >> shift, offset,
                tuple(span_class), tuple(size_class), owner, intents, thread_cache, storage, tag_bytes,
                bitmap_words, prefault)


class _Builder:
    def __init__(self, clean: Dict[str, Any], places: Places, diag: Diagnostics) -> None:
        self.c = clean
        self.places = places
        self.diag = diag

    def err(self, path: KeyPath, message: str, hint: Optional[str] = None, value: bool = False) -> None:
        self.diag.error(self.places.value(path) if value else self.places.key(path), message, hint)

    def warn(self, code: str, path: KeyPath, message: str, hint: Optional[str] = None,
             value: bool = False) -> None:
        self.diag.warning(self.places.value(path) if value else self.places.key(path), message, hint, code)

    def get(self, table: Dict[str, Any], section: str, key: str) -> Any:
        """The value, its default when absent, or INVALID."""
        return table.get(key, SECTIONS[section][1][key].default)

    def require(self, path: KeyPath, ctx: str, table: Dict[str, Any], section: str) -> bool:
        ok = True
        for key, spec in SECTIONS[section][1].items():
            if spec.required and key not in table:
                self.err(path, f"{ctx}: missing required key '{key}'", spec.missing_hint)
                ok = False
        return ok and all(v is not INVALID for v in table.values())

    def build(self) -> Optional[Dict[str, Any]]:
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
        target = self.get(mk, "memkit", "target")

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
        if heap_ok and isinstance(max_threads, int):
            self.heap_cache_share(heap, max_threads)

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
                if isinstance(max_threads, int):
                    self.thread_cache_share(name, pools[name], shape, max_threads)

        # [intent.*]
        if not intents:
            self.err(("intent",), "no intents declared",
                     "declare at least one [intent.NAME] with a tier (frame, pool, heap or async)")
        elif len(intents) > MAX_INTENTS:
            self.err(("intent",), f"too many intents: {len(intents)}, the limit is {MAX_INTENTS}")
        pool_names = sorted(pools)
        routes_in: List[Tuple[str, str, Optional[str], int, str, bool, str, Optional[str]]] = []
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
            if policy == "fallback" and tier == "async":
                self.err(path + ("on_exhausted",), f"{ctx}: on_exhausted = \"fallback\" is not available for an "
                         "async intent", "an async pool's backpressure says what a full pool does, and there is no "
                         "tier to fall back to: choose \"fail\", \"callback\" or \"panic\"", value=True)
            elif policy == "fallback" and heap is None:
                self.err(path + ("on_exhausted",), f"{ctx}: on_exhausted = \"fallback\" needs a [heap] section",
                         "fallback serves from the heap tier: add [heap], or choose another policy", value=True)
            own_budget = t.get("budget", 0)
            if own_budget and total and own_budget > total:
                self.err(path + ("budget",), f"{ctx}: budget {fmt_size(own_budget)} exceeds "
                         f"budget.total {fmt_size(total)}", "lower the intent budget or raise [budget] total",
                         value=True)
            if "refcount" in t and tier in ("frame", "async"):
                self.err(path + ("refcount",), f"{ctx}: refcount has no effect on {article(tier)} {tier} intent",
                         "shared buffers live in pool or heap memory: set refcount on a pool or heap intent")
            oversize = self.oversize(path, ctx, t, tier, heap is not None)
            if not own_budget and tier in ("pool", "heap"):
                # Frame intents are bounded by their arena, async ones by their pools' counts;
                # pool and heap ones only by a budget.
                self.warn(ML_NO_BUDGET, path, f"{ctx} has no budget", "add budget = ... to bound it")
            budget_sum += own_budget
            routes_in.append((name, tier, pool, own_budget, policy, self.get(t, "intent", "zero_on_free"),
                              self.get(t, "intent", "refcount"), oversize))
        if total and budget_sum > total and all(r[3] <= total for r in routes_in):
            self.warn(ML_BUDGET_SUM, ("budget", "total"), f"[budget]: intent budgets add up to {fmt_size(budget_sum)}, "
                      f"more than total {fmt_size(total)}",
                      "the intents cannot all reach their budgets at once", value=True)

        sentinel = self.get(c.get("debug", {}), "debug", "sentinel")
        canary = self.get(c.get("debug", {}), "debug", "canary_bytes")
        if sentinel is True and heap is None and align_ok and canary is not INVALID:
            self.sentinel_without_heap(routes_in, shapes, align, canary)

        handles = self.handle_tables(c.get("handles", {}), align if align_ok else None)
        scratch = self.scratch(c.get("scratch"), intents)
        deferred = c.get("deferred", {})
        record = self.record(c.get("record", {}), bool(c.get("pool")))
        override = self.override(c.get("override"), intents, heap)
        async_tables = self.async_tables(intents, align if align_ok else None)
        gpu = self.gpu(frames)

        # Warnings about declared but unused memory.
        used_pools = {r[2] for r in routes_in if r[1] == "pool"}
        for name in pool_names:
            if name not in used_pools and len(routes_in) == len(intents):
                self.warn(ML_UNUSED_POOL, ("pool", name), f"pool '{name}' is not used by any intent",
                          f"route an intent to it with tier = \"pool\" and pool = \"{name}\", or remove it")
        if frame is not None and len(routes_in) == len(intents) \
                and not any(r[1] == "frame" for r in routes_in):
            self.warn(ML_UNUSED_FRAME, ("frame",), "[frame] is declared but no intent has tier = \"frame\"",
                      "remove [frame], or route an intent to it")
        served = {t.get("intent") for kind in ("pool", "arena") for t in c.get("async." + kind, {}).values()}
        for r in routes_in:
            if r[1] == "async" and r[0] not in served:
                self.warn(ML_UNSERVED_ASYNC, ("intent", r[0]), f"intent '{r[0]}' has tier = \"async\" but no async "
                          "pool or task arena serves it", f"add intent = \"{r[0]}\" to an [async.pool.NAME] or "
                          "[async.arena.NAME], or remove the intent")

        if self.diag.errors or mk.get("schema") is None:
            return None
        return dict(threads=threads, max_threads=max_threads, frames=frames, align=align, target=target,
                    frame=frame if frame_ok else None, heap=heap if heap_ok else None, pools=pools,
                    shapes=shapes, routes=routes_in, total=total, handles=handles, scratch=scratch,
                    async_tables=async_tables, gpu=gpu,
                    deferred=Deferred(self.get(deferred, "deferred", "capacity"),
                                      self.get(deferred, "deferred", "max_frames")),
                    record=record, override=override, sentinel=sentinel, prefix=mk.get("prefix", ""), limits=limits.values(c))

    def record(self, t: Dict[str, Any], has_pools: bool) -> Tuple[int, bool, int]:
        """[record] frames, histogram, trace_events."""
        if t.get("histogram") is True and not has_pools:
            self.err(("record", "histogram"), "[record]: histogram counts pool requests, and this config "
                     "has no [pool.*]", "remove histogram, or route intents to a pool")
        return (self.get(t, "record", "frames"), self.get(t, "record", "histogram"),
                self.get(t, "record", "trace_events"))

    def oversize(self, path: KeyPath, ctx: str, t: Dict[str, Any], tier: str, has_heap: bool) -> Optional[str]:
        """What a pool intent does with requests above its pool's largest class; None for other tiers."""
        oversize = t.get("oversize")
        if oversize is not None and tier != "pool":
            self.err(path + ("oversize",), f"{ctx}: oversize is only meaningful with tier = \"pool\", "
                     f"not tier = \"{tier}\"", "remove oversize, or set tier = \"pool\"")
            return None
        if oversize == "heap" and not has_heap:
            self.err(path + ("oversize",), f"{ctx}: oversize = \"heap\" needs a [heap] section",
                     "add a [heap] section with a size, or choose oversize = \"fail\"", value=True)
        if tier != "pool":
            return None
        return oversize or ("heap" if has_heap else "fail")

    def heap_cache_share(self, heap: Dict[str, Any], max_threads: int) -> None:
        """ML507 for the heap: every thread's cache full at once would hold half the heap or more."""
        if "thread_cache" not in heap:
            return  # the default stays under half the heap
        cache = self.get(heap, "heap", "thread_cache")
        if cache is INVALID:
            return
        parked = heap_cache_bytes(cache, max_threads)
        if cache and 2 * parked >= heap["size"]:
            self.warn(ML_THREAD_CACHE, ("heap", "thread_cache"),
                      f"[heap]: thread caches can hold {fmt_size(parked)} (thread_cache {cache} blocks in each "
                      f"of {len(HEAP_BIN_SIZES)} size bins x max_threads {max_threads}), half or more of the "
                      f"{fmt_size(heap['size'])} heap",
                      "blocks parked in idle threads' caches are missing from the heap until recalled; lower "
                      "thread_cache (0 turns the heap cache off), or give the heap more size", value=True)

    def thread_cache_share(self, name: str, p: Dict[str, Any], shape: Tuple[List[int], List[int]],
                           max_threads: int) -> None:
        """ML507: every thread's cache full at once would hold half or more of a class's blocks."""
        cache = self.get(p, "pool", "thread_cache")
        parked = cache * max_threads
        crowded = [(size, blocks) for size, blocks in zip(*shape) if parked and 2 * parked >= blocks]
        if not crowded:
            return
        listed = ", ".join(f"{size} ({blocks} block{'s' if blocks > 1 else ''})" for size, blocks in crowded[:4])
        more = f" and {len(crowded) - 4} more" if len(crowded) > 4 else ""
        noun = "class" if len(crowded) == 1 else "classes"
        self.warn(ML_THREAD_CACHE, ("pool", name, "thread_cache"),
                  f"pool '{name}': thread caches can hold {parked} blocks per class (thread_cache {cache} x "
                  f"max_threads {max_threads}), half or more of {noun} {listed}{more}",
                  "blocks parked in idle threads' caches are missing from the class; lower thread_cache, "
                  "or give the class more blocks", value=True)

    def sentinel_without_heap(self, routes_in: List[Tuple[Any, ...]],
                              shapes: Dict[str, Tuple[List[int], List[int]]], align: int, canary: int) -> None:
        """Sentinel mode serves a pool request of n bytes from a class >= header + n + canary,
        else from the heap: without a [heap], the pool's largest requests would fail."""
        overhead = round_up(SENTINEL_HEADER_BYTES, align) + canary
        served = []
        for pool in sorted({r[2] for r in routes_in if r[1] == "pool" and r[2] in shapes}):
            largest = shapes[pool][0][-1]
            if largest <= overhead:
                served.append(f"pool '{pool}' (classes up to {largest} B) serves no request")
            else:
                served.append(f"pool '{pool}' serves requests up to {largest - overhead} B, "
                              f"not up to its largest class, {largest} B")
        if served:
            self.err(("debug", "sentinel"), f"[debug]: sentinel = true needs a [heap] for pool intents: with "
                     f"{overhead} bytes of sentinel header and canary per block, " + "; ".join(served),
                     "add [heap] with a size: sentinel mode serves the pool requests that no longer fit a "
                     "class from the heap", value=True)

    def handle_tables(self, tables: Dict[str, Any], align: Optional[int]) -> List[Tuple[str, int, int]]:
        """(name, capacity, block_size) of each well-formed [handles.NAME], sorted by name."""
        out = []
        if len(tables) > MAX_HANDLE_TABLES:
            self.err(("handles",), f"too many handle tables: {len(tables)}, the limit is {MAX_HANDLE_TABLES}",
                     "a handle keeps its table id in 8 bits")
        for name in sorted(tables):
            t = tables[name]
            ctx = f"handle table '{name}'"
            path = ("handles", name)
            if not self.require(path, ctx, t, "handles") or align is None:
                continue
            size = t["block_size"]
            if self.aligned(path + ("block_size",), ctx, "block_size", size, align) \
                    and self.within_limit(path + ("capacity",), ctx, "capacity", t["capacity"], "block_size", size):
                out.append((name, t["capacity"], size))
        return out

    def scratch(self, s: Optional[Dict[str, Any]], intents: Dict[str, Any]) -> Optional[Tuple[str, int]]:
        """(intent name, cap) of a well-formed [scratch], else None."""
        if s is None or not self.require(("scratch",), "[scratch]", s, "scratch"):
            return None
        name = s["intent"]
        where = ("scratch", "intent")
        if not self.known_intent(where, "[scratch]", name, intents):
            return None
        tier = intents[name].get("tier")
        if tier in SCRATCH_REFUSED:
            usable = [n for n in sorted(intents) if intents[n].get("tier") in ("pool", "heap")]
            self.err(where, f"[scratch]: intent '{name}' has tier = \"{tier}\", but scratch buffers need "
                     "a pool or heap intent",
                     SCRATCH_REFUSED[tier] + "; " + choice_hint("", usable, "pool or heap intents"), value=True)
            return None
        return name, s["cap"]

    def override(self, o: Optional[Dict[str, Any]], intents: Dict[str, Any],
                 heap: Optional[Dict[str, Any]]) -> Optional[Tuple[str, List[Tuple[Any, ...]]]]:
        """(default intent, [(module, min, max, intent)]) of a well-formed [override], else None."""
        if o is None or not self.require(("override",), "[override]", o, "override"):
            return None
        ok = self.override_intent(("override", "default"), "[override]: default", o["default"], intents)
        if heap is not None and self.get(heap, "heap", "fallback") == "system":
            where = ("heap", "fallback") if "fallback" in heap else ("heap",)
            self.err(where, "[override] needs [heap] fallback = \"none\": a system-fallback block would come from "
                     "malloc, and the interposer could not tell it from libc's own blocks",
                     "set fallback = \"none\" in [heap]: the interposer sends what memkit cannot hold to libc "
                     "itself", value="fallback" in heap)
            ok = False
        rules = []
        for i, r in enumerate(o.get("rules", [])):
            where = ("override", "rules", i)
            ctx = f"[override]: rule {i + 1}"
            if r is INVALID:  # schema.py made a rule with a bad key INVALID, and said so
                ok = False
                continue
            if "intent" not in r:
                self.err(where, f"{ctx}: missing required key 'intent'",
                         "add intent = \"NAME\" (the pool or heap intent its calls are charged to)")
                ok = False
                continue
            if not self.override_intent(where + ("intent",), ctx, r["intent"], intents):
                ok = False
                continue
            if not any(k in r for k in ("module", "min_size", "max_size")):
                self.err(where, f"{ctx}: matches every call, so the rules after it and default never apply",
                         "add module = \"PATTERN\", min_size or max_size, or make its intent the default")
                ok = False
                continue
            lo, hi = r.get("min_size", 0), r.get("max_size")
            if hi is not None and lo > hi:
                self.err(where + ("max_size",), f"{ctx}: max_size {fmt_size(hi)} is below min_size {fmt_size(lo)}",
                         "a rule's sizes are a range min_size..max_size, both included", value=True)
                ok = False
                continue
            rules.append((r.get("module"), lo, hi, r["intent"]))
        return (o["default"], rules) if ok else None

    def override_intent(self, where: KeyPath, ctx: str, name: str, intents: Dict[str, Any]) -> bool:
        """True for a declared pool or heap intent; malloc'd memory outlives frames and is no async block."""
        if not self.known_intent(where, ctx, name, intents):
            return False
        tier = intents[name].get("tier")
        if tier in ("pool", "heap"):
            return True
        usable = [n for n in sorted(intents) if intents[n].get("tier") in ("pool", "heap")]
        why = {"frame": "frame memory is released with its frame, but malloc'd memory lives until free()",
               "async": "async intents are served by async pools and task arenas, not by mk_alloc"}.get(tier, "")
        self.err(where, f"{ctx}: intent '{name}' has tier = \"{tier}\", but malloc calls need a pool or heap intent",
                 (why + "; " if why else "") + choice_hint("", usable, "pool or heap intents"), value=True)
        return False

    def known_intent(self, where: KeyPath, ctx: str, name: str, intents: Dict[str, Any]) -> bool:
        """True when `name` is a declared intent, else False after an error with did-you-mean."""
        if name in intents:
            return True
        self.err(where, f"{ctx}: unknown intent '{name}'", choice_hint(name, sorted(intents), "declared intents"),
                 value=True)
        return False

    def aligned(self, where: KeyPath, ctx: str, what: str, size: int, align: int) -> bool:
        """True when `size` is a nonzero multiple of the alignment, else False after an error."""
        if size < align:
            self.err(where, f"{ctx}: {what} {size} is smaller than alignment {align}", f"use {align}", value=True)
        elif size % align:
            self.err(where, f"{ctx}: {what} {size} is not a multiple of alignment {align}",
                     f"use {round_up(size, align)}", value=True)
        else:
            return True
        return False

    def within_limit(self, where: KeyPath, ctx: str, count_key: str, count: int, size_key: str, size: int) -> bool:
        """True when `count` blocks of `size` bytes stay within MAX_SIZE, else False after an error."""
        if count * size <= MAX_SIZE:
            return True
        self.err(where, f"{ctx}: {count_key} x {size_key} is {count * size} bytes, more than the 1024 GiB limit",
                 f"lower {count_key} or {size_key}", value=True)
        return False

    def async_tables(self, intents: Dict[str, Any],
                     align: Optional[int]) -> Dict[str, List[Tuple[str, Dict[str, Any]]]]:
        """Kind ("pool", "channel", "arena") -> (name, every key with its default) of each well-formed
        [async.KIND.NAME], sorted by name."""
        tables = {kind: self.c.get("async." + kind, {}) for kind in ("pool", "channel", "arena")}
        pools = len(tables["pool"]) + len(tables["arena"])
        if pools > MAX_ASYNC_POOLS:
            self.err(("async",), f"too many async pools and task arenas: {pools}, the limit is {MAX_ASYNC_POOLS}",
                     "each task arena takes an async pool for its chunks")
        if len(tables["channel"]) > MAX_ASYNC_CHANNELS:
            self.err(("async", "channel"), f"too many channels: {len(tables['channel'])}, the limit is "
                     f"{MAX_ASYNC_CHANNELS}")
        # kind -> the keys that size its storage: (bytes per block, blocks)
        shapes = {"pool": ("block", "count"), "arena": ("chunk", "max_chunks"), "channel": None}
        out: Dict[str, List[Tuple[str, Dict[str, Any]]]] = {}
        for kind, shape in shapes.items():
            section = "async." + kind
            keys = SECTIONS[section][1]
            out[kind] = []
            for name in sorted(tables[kind]):
                t = tables[kind][name]
                path = section_path(section) + (name,)
                ctx = f"{TABLE_NOUNS[section]} '{name}'"
                ok = self.require(path, ctx, t, section)
                if isinstance(t.get("intent"), str):
                    ok = self.known_intent(path + ("intent",), ctx, t["intent"], intents) and ok
                if "backpressure" in keys:
                    ok = self.timeout_fits(path, ctx, t, section) and ok
                if ok and shape:
                    size_key, count_key = shape
                    ok = align is not None and self.aligned(path + (size_key,), ctx, size_key, t[size_key], align) \
                        and self.within_limit(path + (count_key,), ctx, count_key, t[count_key], size_key, t[size_key])
                if ok:
                    out[kind].append((name, {key: self.get(t, section, key) for key in keys}))
        return out

    def gpu(self, frames: Any) -> Dict[str, Any]:
        """[gpu], and every well-formed [gpu.heap.NAME] and [gpu.intent.NAME] with its defaults."""
        g = self.c.get("gpu", {})
        heaps, intents = self.c.get("gpu.heap", {}), self.c.get("gpu.intent", {})
        gpu_frames = g.get("frames_in_flight", frames)
        gpu_frames = gpu_frames if isinstance(gpu_frames, int) and not isinstance(gpu_frames, bool) else 1
        total = g.get("budget", 0)
        total = 0 if total is INVALID else total
        for section, tables, limit in (("gpu.heap", heaps, MAX_GPU_HEAPS), ("gpu.intent", intents, MAX_GPU_INTENTS)):
            if len(tables) > limit:
                self.err(section_path(section), f"too many {TABLE_NOUNS[section]}s: {len(tables)}, the limit is {limit}")
        heaps_out: Dict[str, Dict[str, Any]] = {}
        kept = 0  # bytes of the blocks that init allocates and keeps
        rings = [n for n in sorted(heaps) if isinstance(heaps[n], dict) and heaps[n].get("kind") == "ring"]
        for extra in rings[1:]:
            self.err(("gpu", "heap", extra, "kind"), f"gpu heap '{extra}': a second staging ring (gpu heap "
                     f"'{rings[0]}' is one)", "uploads go through one ring: make it bigger rather than add another",
                     value=True)
        for name in sorted(heaps):
            t, path, ctx = heaps[name], ("gpu", "heap", name), f"gpu heap '{name}'"
            if not self.require(path, ctx, t, "gpu.heap"):
                continue
            h = {key: self.get(t, "gpu.heap", key) for key in SECTIONS["gpu.heap"][1]}
            h["budget"] = h["budget"] or 0
            ok = True
            if h["kind"] == "ring" and h["memory"] not in GPU_RING_MEMORIES:
                self.err(path + ("kind",), f"{ctx}: kind = \"ring\" needs memory the CPU writes, not memory = "
                         f"\"{h['memory']}\"", "a staging ring is written by the CPU and read by the GPU's copies: "
                         "set memory = \"upload\" (\"unified\" on a UMA GPU); downloads land in a readback heap of "
                         "kind \"tlsf\" or \"linear\"", value=True)
                ok = False
            if "backpressure" in t and h["kind"] != "ring":
                self.err(path + ("backpressure",), f"{ctx}: backpressure applies to kind = \"ring\" only, not "
                         f"kind = \"{h['kind']}\"", "a full tlsf or linear heap fails the create (its intents' "
                         "on_exhausted says what then): remove backpressure", value=False)
                ok = False
            if h["images"] is True and h["kind"] != "tlsf":
                self.err(path + ("images",), f"{ctx}: images = true needs kind = \"tlsf\", not kind = "
                         f"\"{h['kind']}\"", "image memory keeps bufferImageGranularity from buffers, which only "
                         "the tlsf sub-allocator tracks: put images in a tlsf heap", value=True)
                ok = False
            if total and h["budget"] > total:
                self.err(path + ("budget",), f"{ctx}: budget {fmt_size(h['budget'])} exceeds [gpu] budget "
                         f"{fmt_size(total)}", "lower the heap budget or raise [gpu] budget", value=True)
                ok = False
            if h["budget"] and h["min_blocks"] * h["block"] > h["budget"]:
                self.err(path + ("min_blocks",), f"{ctx}: min_blocks x block is "
                         f"{fmt_size(h['min_blocks'] * h['block'])}, more than its budget {fmt_size(h['budget'])}",
                         "init allocates those blocks and keeps them, more memory than the heap's buffers may "
                         "ever hold: lower min_blocks or raise the budget", value=True)
                ok = False
            # a linear heap holds one block per frame in flight, all allocated by init
            least = gpu_frames if h["kind"] == "linear" else 1
            if "max_blocks" not in t:
                cap = h["budget"] or total
                h["max_blocks"] = max(h["min_blocks"], least, min(MAX_GPU_BLOCKS, -(-cap // h["block"]))) if cap \
                    else max(h["min_blocks"], least, DEFAULT_GPU_MAX_BLOCKS)
            elif h["max_blocks"] < least:
                self.err(path + ("max_blocks",), f"{ctx}: max_blocks {h['max_blocks']} is less than the "
                         f"{least} frames in flight", "a linear heap holds one block per frame in flight, all "
                         f"allocated by init: raise max_blocks to {least}", value=True)
                ok = False
            elif h["max_blocks"] < h["min_blocks"]:
                self.err(path + ("max_blocks",), f"{ctx}: max_blocks {h['max_blocks']} is less than min_blocks "
                         f"{h['min_blocks']}", f"raise max_blocks to at least {h['min_blocks']}, or lower min_blocks",
                         value=True)
                ok = False
            kept += h["min_blocks"] * h["block"]
            if ok:
                heaps_out[name] = h
        if total and kept > total:
            self.err(("gpu", "budget"), f"[gpu]: the heaps' min_blocks x block add up to {fmt_size(kept)}, more "
                     f"than budget {fmt_size(total)}", "init allocates those blocks and keeps them: lower min_blocks "
                     "or raise [gpu] budget", value=True)
        heap_budgets = sum(h["budget"] for h in heaps_out.values())
        if total and heap_budgets > total:
            self.warn(ML_BUDGET_SUM, ("gpu", "budget"), f"[gpu]: heap budgets add up to {fmt_size(heap_budgets)}, "
                      f"more than budget {fmt_size(total)}", "the heaps cannot all reach their budgets at once",
                      value=True)

        intents_out: Dict[str, Dict[str, Any]] = {}
        for name in sorted(intents):
            t, path, ctx = intents[name], ("gpu", "intent", name), f"gpu intent '{name}'"
            ok = self.require(path, ctx, t, "gpu.intent")
            heap = t.get("heap")
            if isinstance(heap, str) and heap not in heaps:
                self.err(path + ("heap",), f"{ctx}: unknown gpu heap '{heap}'",
                         choice_hint(heap, sorted(heaps), "declared gpu heaps"), value=True)
                continue
            if isinstance(heap, str) and heaps[heap].get("kind") == "ring":
                usable = [n for n in sorted(heaps) if heaps[n].get("kind") != "ring"]
                self.err(path + ("heap",), f"{ctx}: heap '{heap}' has kind = \"ring\", which serves staging, not "
                         "buffers", "uploads pass through the staging ring on their way to a buffer: put the intent's "
                         "buffers in a tlsf or linear heap" + (": " + ", ".join(f"'{n}'" for n in usable) if usable
                                                               else ", e.g. one with memory = \"device_local\""),
                         value=True)
                continue
            if not ok or heap not in heaps_out:
                continue
            budget, limit = t.get("budget", 0), heaps_out[heap]["budget"]
            if budget and limit and budget > limit:
                self.err(path + ("budget",), f"{ctx}: budget {fmt_size(budget)} exceeds heap '{heap}' budget "
                         f"{fmt_size(limit)}", "lower the intent budget or raise the heap's", value=True)
                continue
            if budget and total and budget > total:
                self.err(path + ("budget",), f"{ctx}: budget {fmt_size(budget)} exceeds [gpu] budget "
                         f"{fmt_size(total)}", "lower the intent budget or raise [gpu] budget", value=True)
                continue
            intents_out[name] = {key: self.get(t, "gpu.intent", key) for key in SECTIONS["gpu.intent"][1]}
            intents_out[name]["budget"] = budget
        for heap in sorted(heaps_out):
            limit = heaps_out[heap]["budget"]
            charged = sum(i["budget"] for i in intents_out.values() if i["heap"] == heap)
            if limit and charged > limit:
                self.warn(ML_BUDGET_SUM, ("gpu", "heap", heap, "budget"), f"gpu heap '{heap}': intent budgets add "
                          f"up to {fmt_size(charged)}, more than its budget {fmt_size(limit)}",
                          "the intents cannot all reach their budgets at once", value=True)

        named = {t.get("heap") for t in intents.values()}
        for name in sorted(heaps_out):
            if name not in named and heaps_out[name]["kind"] != "ring":
                self.warn(ML_UNUSED_GPU_HEAP, ("gpu", "heap", name), f"gpu heap '{name}' is not used by any gpu "
                          "intent", f"name it in a gpu intent with heap = \"{name}\", or remove it")
        gpu_frames = g.get("frames_in_flight", frames)
        return dict(frames=gpu_frames, budget=total, heaps=heaps_out, intents=intents_out)

    def timeout_fits(self, path: KeyPath, ctx: str, t: Dict[str, Any], section: str) -> bool:
        """A timeout is given exactly when backpressure = "timeout"; else False after an error."""
        backpressure = self.get(t, section, "backpressure")
        if backpressure == "timeout" and "timeout" not in t:
            self.err(path + ("backpressure",), f"{ctx}: backpressure = \"timeout\" needs a timeout",
                     "add timeout = \"50 ms\" (how long a request waits before it fails with MK_ETIMEDOUT)",
                     value=True)
            return False
        if "timeout" in t and backpressure not in ("timeout", INVALID):
            self.err(path + ("timeout",), f"{ctx}: timeout is only meaningful with backpressure = \"timeout\", "
                     f"not backpressure = \"{backpressure}\"", "remove timeout, or set backpressure = \"timeout\"")
            return False
        return True

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
            if align is not None and not self.aligned(where, ctx, "class", size, align):
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


def _finish(parts: Dict[str, Any], platform: str, normalized: str) -> Model:
    align = parts["align"]
    target = TARGETS[parts["target"]]
    types = contract_types(target)
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
                                 p.get("thread_cache", 32), p.get("storage", "static"),
                                 p.get("prefault", False)))
        first += len(sizes)

    routes = []
    for i, (name, tier, pool, budget, policy, zero, refcount, oversize) in enumerate(routes_in):
        if not threads:
            refcount = "plain"  # one thread: nothing to synchronize
        set_flags = [flag for flag, on in zip(ROUTE_FLAGS, (zero, budget > 0, refcount == "plain",
                                                            oversize == "heap")) if on]
        routes.append(Route(name, i, tier, pool_names.index(pool) if tier == "pool" else 0,
                            pool if tier == "pool" else None, budget, policy, zero, refcount, oversize,
                            tuple(f[0] for f in set_flags), sum(f[1] for f in set_flags)))

    handle_tables = tuple(HandleTable(name, i, capacity, size, capacity * size, types.handle_slot.size)
                          for i, (name, capacity, size) in enumerate(parts["handles"]))
    scratch = None
    if parts["scratch"] is not None:
        scratch = Scratch(parts["scratch"][0], intent_index[parts["scratch"][0]], parts["scratch"][1])

    tables = parts["async_tables"]
    async_pools = tuple(AsyncPool(name, i, t["block"], t["count"], t["intent"], intent_index[t["intent"]],
                                  t["backpressure"], t["timeout"] or 0, t["storage"], t["prefault"],
                                  types.async_slot.size)
                        for i, (name, t) in enumerate(tables["pool"]))
    async_channels = tuple(AsyncChannel(name, i, t["capacity"], t["backpressure"], t["timeout"] or 0,
                                        types.msg.size)
                           for i, (name, t) in enumerate(tables["channel"]))
    async_arenas = tuple(AsyncArena(name, i, t["chunk"], t["max_chunks"], t["intent"], intent_index[t["intent"]],
                                    t["storage"], t["prefault"], len(async_pools) + i, types.async_slot.size)
                         for i, (name, t) in enumerate(tables["arena"]))

    gpu = parts["gpu"]
    heap_names = sorted(gpu["heaps"])
    gpu_intents = []
    for i, name in enumerate(sorted(gpu["intents"])):
        t = gpu["intents"][name]
        usage = tuple(sorted(t["usage"], key=GPU_USAGES.__getitem__))
        gpu_intents.append(GpuIntent(name, i, t["heap"], heap_names.index(t["heap"]), usage,
                                     sum(GPU_USAGES[u] for u in usage), t["budget"], t["on_exhausted"]))
    gpu_heaps = []
    for i, name in enumerate(heap_names):
        h = gpu["heaps"][name]
        required, preferred, not_preferred = GPU_MEMORY_FLAGS[h["memory"]]
        gpu_heaps.append(GpuHeap(name, i, h["memory"], h["kind"], h["block"], h["min_blocks"], h["max_blocks"],
                                 h["budget"], required, preferred, not_preferred,
                                 bool(required & GPU_HOST_VISIBLE),
                                 tuple(g.name for g in gpu_intents if g.heap == name), h["backpressure"],
                                 h["images"]))

    override = None
    if parts["override"] is not None:
        default, rules_in = parts["override"]
        override = Override(default, intent_index[default],
                            tuple(OverrideRule(m, lo, hi, i, intent_index[i]) for m, lo, hi, i in rules_in))

    frame = heap = None
    if parts["frame"] is not None:
        f = parts["frame"]
        storage = f.get("storage", "static")
        frame = Frame(f["arena"], f.get("overflow", "fail"), storage,
                      max_threads * frames * f["arena"] if storage == "static" else 0, f.get("prefault", False))
    if parts["heap"] is not None:
        h = parts["heap"]
        storage = h.get("storage", "static")
        heap = Heap(h["size"], h.get("fallback", "system"), storage, h["size"] if storage == "static" else 0,
                    h.get("prefault", False), h.get("thread_cache", default_heap_cache(h["size"], max_threads)))

    phase_slots = parts["limits"]["MKG_MAX_PHASES"]
    row_words = 2 + 5 * len(routes) + 3 * phase_slots + 2 * RECORD_TIERS + 2 * len(async_pools) \
        + 2 * len(gpu_heaps) + RECORD_HAZARD_SLOTS
    # the histogram's buckets: per pool, sizes 0 .. max_size in alignment steps, then one above
    hist_base, base = [], 0
    for p in pools:
        hist_base.append(base)
        base += (p.max_size >> ceil_log2(align)) + 2
    record = Record(*parts["record"], row_words, tuple(hist_base + [base]) if parts["record"][1] else ())
    static = (frame.static_bytes if frame else 0) + (heap.static_bytes if heap else 0) + record.static_bytes \
        + sum(x.static_bytes for group in (pools, handle_tables, async_pools, async_channels, async_arenas)
              for x in group)
    return Model(SCHEMA, target, threads, max_threads, frames, align, ceil_log2(align), frame, heap, tuple(pools),
                 tuple(c for p in pools for c in p.classes), tuple(routes), handle_tables, async_pools,
                 async_channels, async_arenas, tuple(gpu_heaps), tuple(gpu_intents), gpu["frames"], gpu["budget"],
                 scratch,
                 parts["deferred"], record, parts["sentinel"], parts["limits"], parts["prefix"] + "_" if parts["prefix"] else "",
                 parts["total"], static, platform, normalized, override)


def _merge_raw(base: Dict[str, Any], overlay: Dict[str, Any]) -> Dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge_raw(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def build(source: Source, platform: Optional[str] = None, target: Optional[str] = None) -> Optional[Model]:
    """Validates `source` (with overlay `platform`) for `target` (a name in target.TARGETS; None:
    the config's [memkit] target); None when any error was recorded."""
    diag = source.diagnostics
    places = Places(source.locator)
    checked = check(source.data, diag, places)

    raw = {k: v for k, v in source.data.items() if k != "platform"}
    clean = checked.base
    if platform is not None:
        if platform not in checked.platforms:
            known = ", ".join(f"'{p}'" for p in sorted(checked.platforms)) or "none"
            hint = did_you_mean(platform, sorted(checked.platforms))
            diag.error((1, 1), f"unknown platform '{platform}' (given with --platform)",
                       (f"did you mean '{hint}'? " if hint else "") + f"known platforms: {known}")
            return None
        if platform in checked.overlays:
            clean = _apply_overlay(checked.base, checked.overlays[platform], places, platform)
            raw = _merge_raw(raw, checked.platforms[platform])
    declared = clean.get("memkit", {}).get("target")
    if target is not None and declared not in (None, INVALID, target):
        diag.error(places.value(("memkit", "target")), f"[memkit]: target = \"{declared}\", but memkit-gen was "
                   f"asked for --target {target}", f"compile for {declared} and generate without --target (or with "
                   f"--target {declared}), or set target = \"{target}\" (a [platform.NAME] overlay can say it)")
    parts = _Builder(clean, places, diag).build()
    if parts is None or diag.errors:
        return None
    if target is not None and target != parts["target"]:  # --target: as if the config said target = "..."
        parts["target"] = target
        raw = dict(raw, memkit=dict(raw.get("memkit", {}), target=target))
    normalized = canonical_json({"config": raw, "platform": platform or ""})
    built = _finish(parts, platform or "", normalized)
    return built if reach.check(built, parts["pools"], places, diag) else None


def _apply_overlay(base: Dict[str, Any], overlay: Dict[str, Any], places: Places, platform: str):
    """Deep-merges checked overlay values; positions of merged keys point into the overlay."""
    merged = copy.deepcopy(base)
    origin = ("platform", platform)
    for section, values in overlay.items():
        named = SECTIONS[section][0]
        path = section_path(section)
        if section not in merged:
            places.overrides[path] = origin + path
        target = merged.setdefault(section, {})
        groups = values.items() if named else [(None, values)]
        for name, table in groups:
            prefix = path + (name,) if named else path
            dest = target.setdefault(name, {}) if named else target
            for key, value in table.items():
                dest[key] = value
                places.overrides[prefix + (key,)] = origin + prefix + (key,)
    return merged

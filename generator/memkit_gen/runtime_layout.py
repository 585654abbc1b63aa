"""The runtime's static structures, laid out for one config on one target.

This file mirrors the C declarations of every variable that the runtime
(runtime/, async/, gpu/) keeps in static or thread-local storage, field by
field, so that ``memkit-gen --footprint`` can say what they weigh before
anything is compiled. It must change when those declarations change: the
footprint test (tests/footprint/check_footprint.py) compiles the runtime,
compares every symbol and every structure named in ``RuntimeLayout.types``
with this model, and names the one that differs.

Assumed, as the default builds are (docs/footprint.md): no
AddressSanitizer or Valgrind tracking (MK_TRACKING 0), sentinel mode exactly
when the config asks for it ([debug] sentinel), the POSIX OS layer
(runtime/src/prim/prim_posix.c) with glibc's 4-byte pthread_key_t.
"""
import hashlib
import json
from dataclasses import dataclass
from typing import Dict, List

from . import RUNTIME_ABI
from .layout import CType, array, struct
from .target import Target

# The runtime's fixed sizes (memkit/fastpath.h, report.h; runtime/src/lifecycle/recall.c,
# prim/atomic64.c; gpu/src/gpu_internal.h, suballoc.h, backend.h). Those a config sets come
# from model.limits.
SEVERITY_COUNT, FORK_LOCKS = 3, 64
DIAG_COUNT = 26                                                 # internal.h: MK__DIAG_COUNT, the ML codes
HEAP_BINS, HEAP_CACHE_MAX = 64, 16384
HEAP_FL_COUNT, HEAP_SL_COUNT = 40 - (4 + 4) + 1, 16           # heap.h: MK__HEAP_FL_COUNT, _SL_COUNT
GPU_MAX_MEMORY_TYPES, GPU_MAX_MEMORY_HEAPS, GPU_MAX_FRAMES = 32, 16, 16
GPU_TLSF_SL_COUNT, GPU_TLSF_FL_COUNT = 32, 48 - 5 + 2           # suballoc.h
GPU_BACKEND_FUNCTIONS = 16                                      # backend.h: mk_gpu_backend_t, after `user`
ATOMIC64_LOCKS = 16                                             # atomic64.c: MK__ATOMIC64_LOCKS
GPU_REPORT_CHARS = 240                                          # gpu.c: mk__gpu_pending.message
MONITOR = CType(160, 16)                                        # prim.h: mk__prim_monitor_t
PTHREAD_KEY = CType(4, 4)                                       # glibc's pthread_key_t
OS_LAYER = "prim_posix.c"


@dataclass(frozen=True)
class ContractTypes:
    """The memkit/config.h types whose arrays the generated config declares, on one target."""
    msg: CType            # mk_msg_t: a channel's ring entry
    async_slot: CType     # mk_async_block_slot_t: an evict pool's per-block state
    handle_slot: CType    # mk_handle_slot_t


def contract_types(target: Target) -> ContractTypes:
    ptr, u32 = CType(target.pointer_bytes, target.pointer_bytes), CType(4, 4)
    return ContractTypes(msg=struct(ptr, ptr), async_slot=struct(ptr, ptr, u32, u32, u32, u32),
                         handle_slot=struct(u32, u32, u32, u32))


@dataclass(frozen=True)
class Variable:
    """One variable the runtime defines: its linked name, where it lives, its type."""
    symbol: str
    section: str          # .bss | .data (initialized) | .tbss | .tdata (thread-local)
    type: CType
    source: str           # the file that defines it, by its name (names are unique across runtime/, async/, gpu/)
    what: str
    exported: bool = True  # global (renamed by [memkit] prefix), or static to its file


class RuntimeLayout:
    """The runtime's variables and the C types they are made of, for `model` on its target."""

    def __init__(self, model) -> None:
        m, t = model, model.target
        threads = m.threads
        intents, classes, pools = len(m.routes), len(m.classes), len(m.pools)
        frames, max_threads = m.frames_in_flight, m.max_threads

        lim = m.limits   # [limits], [debug], [gpu] capacities (limits.py)
        phases, phase_depth, intent_depth = lim["MKG_MAX_PHASES"], lim["MKG_PHASE_DEPTH"], lim["MKG_INTENT_STACK_DEPTH"]
        mark_depth, callbacks, groups = lim["MKG_MARK_DEPTH"], lim["MKG_MAX_FRAME_CALLBACKS"], lim["MKG_MAX_GROUPS"]
        canary, sentinel_marks = lim["MKG_SENTINEL_CANARY"], lim["MKG_SENTINEL_MARKS"]
        sentinel_transfers, gpu_block_allocations = lim["MKG_SENTINEL_TRANSFERS"], lim["MKG_GPU_BLOCK_ALLOCATIONS"]
        u8, u16, u32, bool_, int_ = CType(1, 1), CType(2, 2), CType(4, 4), CType(1, 1), CType(4, 4)
        i64 = CType(8, t.int64_align)                    # a plain int64_t / uint64_t
        a64 = CType(8, 8) if threads else i64            # MK__ATOMIC(int64_t): _Atomic aligns to 8
        ptr = CType(t.pointer_bytes, t.pointer_bytes)    # also size_t, uintptr_t, long, function pointers
        enum = CType(t.enum_bytes, t.enum_bytes)         # mk_status_t, mk__diag_t
        lock = u32                                       # mk__lock_t: atomic_int, or int

        # memkit/fastpath.h
        heap_front = bool(m.heap and m.heap.thread_cache and (not threads or t.lock_free_64))  # MK__HEAP_FRONT
        cache = struct(ptr, u32, u32, a64, a64)                                  # mk__cache_t
        counters = struct(*[a64] * 7, i64, i64, i64)                             # mk__intent_counters_t
        thread_fields = [u32, u32, ptr, ptr, ptr, a64, array(a64, intents)]
        if classes:
            thread_fields.append(array(cache, classes))
        thread_fields.append(array(counters, intents))
        if heap_front:
            thread_fields += [u32, array(u32, HEAP_BINS), array(ptr, HEAP_BINS, m.heap.thread_cache)]
        if m.record.histogram:                                                   # [record] histogram
            thread_fields += [array(a64, m.record.hist_buckets), array(a64, classes)]
        thread = struct(*thread_fields)                                          # mk__thread_t: the hot part

        # runtime/src/state.h: the rest of a slot
        lifecycle = struct(                                                      # mk__thread_lifecycle_t
            array(struct(u32, i64), phase_depth), u32, u32, array(u8, intent_depth),
            array(struct(u32, u32, ptr, ptr), mark_depth), u32, u32, i64, ptr, u32,
            array(a64, phases), array(a64, phases), array(a64, phases))
        slot_fields = [thread, i64, ptr, array(a64, frames, intents), a64, i64, array(a64, frames), array(ptr, frames),
                       u32, u32, lifecycle]
        if m.cache_slots:
            slot_fields.append(array(ptr, m.cache_slots))
        slot = struct(*slot_fields)                                              # mk__slot_t
        pool_range = struct(ptr, i64, ptr, ptr, u32)                             # mk__pool_range_t
        heap_range = struct(ptr, i64)                                            # mk__heap_range_t

        # runtime/src/state.h, tiers/heap.h
        class_state = struct(lock, ptr, ptr, u32, u32, u32, u32, i64, ptr, u32, u32, a64)  # mk__class_state_t
        heap = struct(ptr, ptr, ptr, ptr, ptr, bool_, i64, array(u32, HEAP_FL_COUNT),
                      array(ptr, HEAP_FL_COUNT, HEAP_SL_COUNT))                  # mk__heap_t
        at_least_one = max(pools, 1)
        runtime_fields = [ptr, bool_, u32, ptr, ptr, array(ptr, at_least_one), array(ptr, at_least_one),
                          array(ptr, at_least_one), lock, heap]
        if classes:
            runtime_fields.append(array(class_state, classes))
        runtime_fields += [array(a64, intents), a64, array(i64, intents), a64, array(a64, intents),
                           array(a64, intents), array(i64, intents), ptr, ptr, array(slot, max_threads),
                           array(u32, max_threads), u32, u32, u32, a64, array(u8, intents), u32, lock, bool_,
                           array(counters, intents)]
        runtime = struct(*runtime_fields)                                        # mk__runtime_t

        # async/src/async_internal.h
        async_counters = struct(*[i64] * 9)                                      # mk__async_counters_t
        waitq = struct(ptr, ptr, ptr, u32, i64, ptr, ptr, ptr)                   # mk__waitq_t
        apool = struct(lock, waitq, ptr, ptr, ptr, ptr, u32, ptr, ptr, u32, u32, u32, async_counters,
                       ptr, ptr)                                                 # mk__apool_t
        channel = struct(lock, waitq, waitq, ptr, u32, u32, u32, u32, bool_, ptr, ptr,
                         async_counters)                                         # mk__channel_t
        n_pools = len(m.async_pools) + len(m.async_arenas)
        async_state = struct(array(apool, max(n_pools, 1)), array(channel, max(len(m.async_channels), 1)),
                             array(ptr, len(m.async_pools) + len(m.async_channels) + 1),
                             array(u8, max(len(m.async_pools), 1)), u32, u32, ptr, ptr)  # mk__async_state_t
        contract = contract_types(t)

        # gpu/src/gpu_internal.h, suballoc.h, backend.h
        gpu_tlsf_node = struct(i64, i64, u32, u32, u32, u32, u8, u8)             # mk__gpu_tlsf_node_t
        gpu_tlsf = struct(i64, i64, i64, i64, u32, u32, ptr, u32, u32, u32, i64, array(u32, GPU_TLSF_FL_COUNT),
                          array(u32, GPU_TLSF_FL_COUNT, GPU_TLSF_SL_COUNT))      # mk__gpu_tlsf_t
        gpu_linear = struct(i64, i64, u32)                                       # mk__gpu_linear_t
        gpu_block = struct(i64, ptr, i64, u32, u32, i64, ptr, ptr, gpu_tlsf, gpu_linear)  # mk__gpu_block_t
        gpu_heap = struct(ptr, u32, u32, u32, bool_, bool_, bool_, u32, i64, ptr, u32, u32, u32, u32, i64, i64,
                          i64, i64)                                              # mk__gpu_heap_t
        gpu_intent = struct(i64, i64, i64, i64, u32)                             # mk__gpu_intent_t
        gpu_rec = struct(i64, i64, ptr, i64, i64, i64, i64, u32, u32, u32, u32, u8, u8, u8, u8, u8)  # mk__gpu_rec_t
        ring_mark = struct(i64, i64)                                             # mk__gpu_ring_mark_t
        ring = struct(i64, i64, i64, i64, i64, ptr, u32, u32, u32)               # mk__gpu_ring_t
        backend = struct(ptr, *[ptr] * GPU_BACKEND_FUNCTIONS)                    # mk_gpu_backend_t
        device_info = struct(u32, array(u32, GPU_MAX_MEMORY_TYPES), array(u32, GPU_MAX_MEMORY_TYPES), u32,
                             array(i64, GPU_MAX_MEMORY_HEAPS), array(u32, GPU_MAX_MEMORY_HEAPS), i64, i64, u32,
                             i64, i64, bool_, array(CType(1, 1), 256), u32, u32)  # mk_gpu_device_info_t
        gpu_state = struct(lock, bool_, bool_, backend, device_info, array(gpu_heap, max(len(m.gpu_heaps), 1)),
                           array(gpu_intent, max(len(m.gpu_intents), 1)), i64, u32,
                           array(i64, GPU_MAX_MEMORY_HEAPS), u32, i64, i64, array(i64, GPU_MAX_FRAMES), u32, u32,
                           ring, array(ring_mark, GPU_MAX_FRAMES + 1), i64, ptr, u32, u32, u32, i64, ptr,
                           ptr)                                                  # mk__gpu_state_t
        self.gpu_tlsf_node, self.gpu_block, self.gpu_rec = gpu_tlsf_node, gpu_block, gpu_rec
        self.gpu_tlsf_nodes = 2 * gpu_block_allocations + 1                      # MK__GPU_TLSF_NODES_FOR

        # Structures compiled into the runtime, for the footprint test's probe (tests/footprint/probe.c).
        self.types: Dict[str, CType] = {
            "mk__thread_t": thread, "mk__slot_t": slot, "mk__thread_lifecycle_t": lifecycle, "mk__intent_counters_t": counters,
            "mk__cache_t": cache, "mk__runtime_t": runtime, "mk__class_state_t": class_state, "mk__heap_t": heap,
            "mk__pool_range_t": pool_range, "mk__heap_range_t": heap_range,
            "mk__async_counters_t": async_counters, "mk__waitq_t": waitq, "mk__apool_t": apool,
            "mk__channel_t": channel, "mk__async_state_t": async_state,
            "mk_async_block_slot_t": contract.async_slot, "mk_msg_t": contract.msg,
            "mk_handle_slot_t": contract.handle_slot,
            "mk__gpu_state_t": gpu_state, "mk__gpu_heap_t": gpu_heap, "mk__gpu_block_t": gpu_block,
            "mk__gpu_rec_t": gpu_rec, "mk__gpu_tlsf_node_t": gpu_tlsf_node, "mk__gpu_tlsf_t": gpu_tlsf,
            "mk_gpu_backend_t": backend, "mk_gpu_device_info_t": device_info, "mk__gpu_ring_t": ring,
        }
        self.thread, self.slot, self.runtime = thread, slot, runtime

        # Thread-local variables are plain statics in single-threaded builds (MK__TLS is empty).
        tbss, tdata = (".tbss", ".tdata") if threads else (".bss", ".data")
        var, local = Variable, (lambda *a: Variable(*a, exported=False))
        v: List[Variable] = [
            var("mk__rt", ".bss", runtime, "init.c", "runtime state: thread slots, size classes, heap index, budgets"),
            var("mk__thread_unattached", ".data", slot, "thread.c", "the slot of threads not attached yet"),
            var("mk__frame_epoch", ".bss", a64, "frame.c", "frame counter"),
            var("mk__lease_cap", ".bss", array(i64, intents), "budget.c", "budget lease caps, per intent"),
            var("mk__heap_range", ".bss", heap_range, "heap_tier.c", "heap address range"),
            local("mk__deferred", ".bss", struct(lock, i64, u32, u32, array(u32, m.deferred.max_frames),
                                                 array(struct(ptr, u32), m.deferred.capacity)), "deferred.c",
                  f"deferred frees: {m.deferred.capacity} pending at most, {m.deferred.max_frames} frame buckets"),
            local("mk__groups", ".bss", struct(lock, u32, array(struct(ptr, ptr, u32, u16, u8), groups)),
                  "group.c", f"allocation groups ({groups})"),
            local("mk__life", ".bss", struct(
                lock, u32, array(ptr, phases), array(i64, phases), array(i64, phases),
                array(a64, phases), array(a64, phases), array(struct(ptr, ptr), callbacks),
                array(struct(ptr, ptr), callbacks), u32, u32,
                *([array(bool_, phases)] if m.sentinel else [])), "lifecycle.c",
                f"phases ({phases}) and frame callbacks ({callbacks} + {callbacks})"),
            local("mk__scratch", ".bss", struct(lock, ptr, ptr, ptr), "scratch.c", "kept scratch buffers"),
            local("mk__shared", ".bss", struct(lock, ptr, ptr, ptr, i64), "shared.c", "shared buffer registry"),
            local("mk__report_handler", ".bss", ptr, "report.c", "report handler"),
            local("mk__report_user", ".bss", ptr, "report.c", "report handler argument"),
            local("mk__report_action", ".data", array(u32, SEVERITY_COUNT), "report.c", "report action per severity"),
            local("mk__report_counts", ".bss", array(ptr, SEVERITY_COUNT), "report.c", "reports per severity"),
            local("mk__report_frame", ".bss", array(u32, DIAG_COUNT), "report.c",
                  "reports per code since the last recorded frame"),
            *([local("mk__record_taken", ".bss", i64, "record.c", "frame rows recorded ([record] frames)")]
              if m.record.frames else []),
            *([local("mk__trace", ".bss", struct(lock, i64, i64), "trace.c",
                     "the trace ring's lock, events recorded and skipped ([record] trace_events)"),
               local("mk__trace_writing", tbss, bool_, "trace.c", "the calling thread writes the trace")]
              if m.record.trace_events else []),
            local("mk__message_sink", ".bss", ptr, "output.c", "line sink for messages"),
            local("mk__message_user", ".bss", ptr, "output.c", "line sink argument"),
            local("mk__panic_handler", ".bss", ptr, "output.c", "panic handler"),
            local("mk__panic_user", ".bss", ptr, "output.c", "panic handler argument"),
            var("mk__gpu_hooks", ".bss", struct(ptr, ptr, ptr), "stats.c", "GPU tier hooks"),
            var("mk__async", ".bss", async_state, "async.c",
                f"async tier: {n_pools} pool(s) and arena(s), {len(m.async_channels)} channel(s)"),
            local("mk__guard", ".bss", struct(MONITOR, bool_, array(u32, frames), bool_, ptr, ptr), "frame_guard.c",
                  "async frame guard: a monitor, holds per frame slot"),
            var("mk__self_tracking0", tdata, ptr, "thread.c", "the calling thread's slot"),
            var("mk__last_error", tbss, enum, "init.c", "the calling thread's last error"),
            var("mk__policy_depth", tbss, int_, "init.c", "the calling thread's policy nesting"),
        ]
        if pools:
            v.append(var("mk__pools", ".bss", array(pool_range, pools), "pool.c", "pool address ranges"))
        if heap_front:
            v.append(var("mk__heap_bin_table", ".bss", array(u8, (HEAP_CACHE_MAX + 2048) // 16 + 1),
                         "heap_cache.c", "heap front: size to bin"))
        if m.handle_tables:
            v.append(local("mk__handle_tables", ".bss", array(struct(lock, u32, u32, u32), len(m.handle_tables)),
                           "handles.c", "handle tables' free lists"))
        if threads:
            v += [local("mk__fork_locks", ".bss", array(ptr, FORK_LOCKS), "recall.c", "locks held across fork()"),
                  local("mk__fork_lock_count", ".bss", u32, "recall.c", "locks held across fork()"),
                  local("mk__fork_stopped", ".bss", array(ptr, max_threads), "recall.c", "slots stopped across fork()"),
                  local("mk__fork_stopped_count", ".bss", u32, "recall.c", "slots stopped across fork()"),
                  local("mk__fork_held", ".bss", bool_, "recall.c", "fork() under way"),
                  local("mk__exit_key", ".bss", PTHREAD_KEY, OS_LAYER, "thread-exit key"),
                  local("mk__exit_key_live", ".bss", bool_, OS_LAYER, "thread-exit key"),
                  local("mk__fence_registered", ".bss", bool_, OS_LAYER, "membarrier registration"),
                  local("installed", ".bss", bool_, OS_LAYER, "fork handlers installed (in mk__prim_fork_init)")]
        if threads and not t.lock_free_64:
            v.append(local("mk__atomic64_locks", ".bss", array(lock, ATOMIC64_LOCKS), "atomic64.c",
                           f"locks of the 64-bit atomics ({ATOMIC64_LOCKS}; the target has no lock-free ones)"))
        if m.sentinel:
            arenas = max_threads * frames
            v += [local("mk__sentinel", ".bss", struct(
                lock, ptr, ptr, ptr, array(u8, canary), bool_, array(u32, max_threads),
                array(struct(u32, i64), max_threads, sentinel_marks), u32,
                array(struct(ptr, i64, u32), sentinel_transfers), array(ptr, arenas), array(ptr, arenas)),
                "sentinel.c", "sentinel registry, marks, transfers, arena poison"),
                  local("mk__site_file", tbss, ptr, "sentinel.c", "the calling thread's call site"),
                  local("mk__site_line", tbss, int_, "sentinel.c", "the calling thread's call site")]
        if m.gpu_heaps or m.gpu_intents:
            v += [var("mk__gpu", ".bss", gpu_state, "gpu.c", "GPU tier: heaps, intents, frames, staging ring"),
                  local("mk__gpu_pending", ".bss", struct(bool_, enum, array(u8, GPU_REPORT_CHARS)), "gpu.c",
                        "GPU tier: a report parked under its lock")]
        self.variables = v


def layout_hash(model) -> int:
    """MKG_LAYOUT_HASH: 64 bits of a hash of the layout users' code compiles against for
    `model`: the runtime ABI, the target, the limits, and the size and alignment of every
    runtime structure as the config lays them out there. Not the config's text (its sha256
    is checked on its own): a [memkit] prefix renames symbols and changes no layout.
    mk_init compares the caller's with the runtime's and memkit_config.c's
    (runtime/src/lifecycle/init.c)."""
    rt = RuntimeLayout(model)
    doc = {"abi": RUNTIME_ABI, "target": model.target.name, "limits": model.limits,
           "types": {name: [t.size, t.align] for name, t in sorted(rt.types.items())}}
    digest = hashlib.sha256(json.dumps(doc, sort_keys=True).encode("utf-8")).hexdigest()
    return int(digest[:16], 16)

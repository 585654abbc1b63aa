/* internal.h — state and functions shared by the runtime's source files.
 *
 * The runtime is compiled together with one generated config (memkit_generate
 * in CMake), so array sizes below are compile-time constants from it. All of it
 * lives in one static struct, mk__rt, reset by mk_init and mk_shutdown.
 */
#ifndef MEMKIT_INTERNAL_H
#define MEMKIT_INTERNAL_H

/* the runtime calls the plain functions, not memkit.h's call-site macros */
#define MK__RUNTIME_SOURCE 1
#include <memkit/memkit.h>

#include "diagnostics/assertions.h"
#include "bits.h"
#include "tiers/heap.h"
#include "diagnostics/output.h"
#include "prim/prim.h"

/* ---- locks: a test-and-test-and-set spinlock; critical sections are O(1)
 * or a batch of a thread cache. A waiter spins briefly, then yields its CPU
 * (mk__prim_yield) on every further look: with more threads than cores, a
 * holder preempted inside its section gets to finish instead of every waiter
 * burning a time slice. Uncontended, no system call is made. ------------ */
#if MKG_THREADS
typedef struct mk__lock {
    atomic_int held;
} mk__lock_t;

#define MK__LOCK_SPINS 64

static inline void mk__lock(mk__lock_t *lock)
{
    unsigned spins = 0;
    while (atomic_exchange_explicit(&lock->held, 1, memory_order_acquire) != 0) {
        while (atomic_load_explicit(&lock->held, memory_order_relaxed) != 0) {
            if (spins < MK__LOCK_SPINS) {
                spins++;
                mk__prim_relax();
            } else {
                mk__prim_yield();
            }
        }
    }
}

static inline void mk__unlock(mk__lock_t *lock)
{
    atomic_store_explicit(&lock->held, 0, memory_order_release);
}
#else
typedef struct mk__lock {
    int unused;
} mk__lock_t;
static inline void mk__lock(mk__lock_t *lock) { (void)lock; }
static inline void mk__unlock(mk__lock_t *lock) { (void)lock; }
#endif

/* Counters that several threads update: atomic read-modify-writes (plain in
 * single-threaded builds). MK__FETCH_ADD and MK__FETCH_SUB return the value
 * before; the 64-bit ones go through mk__atomic64_* where the target has no
 * 64-bit atomics (memkit/fastpath.h). */
#if MKG_THREADS && MK__ATOMIC64_LOCKED
#define MK__FETCH_ADD(v, d)                                                                                     \
    MK__ATOMIC64_SELECT(v, mk__atomic64_add_s((_Atomic(int64_t) *)(void *)&(v), (int64_t)(d)),                 \
                        mk__atomic64_add_u((_Atomic(uint64_t) *)(void *)&(v), (uint64_t)(d)),                  \
                        atomic_fetch_add_explicit(&(v), (d), memory_order_relaxed))
#define MK__FETCH_SUB(v, d)                                                                                     \
    MK__ATOMIC64_SELECT(v, mk__atomic64_add_s((_Atomic(int64_t) *)(void *)&(v), -(int64_t)(d)),                \
                        mk__atomic64_add_u((_Atomic(uint64_t) *)(void *)&(v), (uint64_t)0 - (uint64_t)(d)),    \
                        atomic_fetch_sub_explicit(&(v), (d), memory_order_relaxed))
/* (64-bit: int64_t only, as the runtime uses it) */
#define MK__CAS_WEAK(v, expected, desired)                                                                      \
    _Generic(&(v), _Atomic(int64_t) *: mk__atomic64_cas_s((_Atomic(int64_t) *)(void *)&(v),                    \
                                                          (int64_t *)(void *)&(expected), (int64_t)(desired)),  \
             default: atomic_compare_exchange_weak_explicit(&(v), &(expected), (desired), memory_order_acq_rel, \
                                                            memory_order_relaxed))
#elif MKG_THREADS
#define MK__FETCH_ADD(v, d) atomic_fetch_add_explicit(&(v), (d), memory_order_relaxed)
#define MK__FETCH_SUB(v, d) atomic_fetch_sub_explicit(&(v), (d), memory_order_relaxed)
#define MK__CAS_WEAK(v, expected, desired)                                                                      \
    atomic_compare_exchange_weak_explicit(&(v), &(expected), (desired), memory_order_acq_rel, memory_order_relaxed)
#else
#define MK__FETCH_ADD(v, d) (((v) += (d)) - (d))
#define MK__FETCH_SUB(v, d) (((v) -= (d)) + (d))
#define MK__CAS_WEAK(v, expected, desired) ((v) == (expected) ? ((v) = (desired), true) : ((expected) = (v), false))
#endif
#define MK__BUMP_SHARED(v, d) ((void)MK__FETCH_ADD(v, d))
#define MK__DROP_SHARED(v, d) ((void)MK__FETCH_SUB(v, d))
/* A drop that publishes the dropping thread's earlier writes to whoever
 * acquire-loads the counter and sees the result (32-bit counters only: the
 * locked 64-bit path has no release variant). */
#if MKG_THREADS
#define MK__DROP_RELEASE(v, d) ((void)atomic_fetch_sub_explicit(&(v), (d), memory_order_release))
#else
#define MK__DROP_RELEASE(v, d) ((void)((v) -= (d)))
#endif

/* Heap-block tag of frame memory spilled to the heap (not an intent). */

#define MK__TAG_FRAME_OVERFLOW 255u

/* One size class's global state (pool.c), under its lock. */
typedef struct mk__class_state {
    mk__lock_t lock;
    uint64_t *bits;        /* bit i: block i is free here; words below carved/64 are valid */
    uint64_t *summary;     /* bit w: bits[w] is not zero */
    uint32_t hint;         /* no summary word below this one is non-zero */
    uint32_t free_count;   /* bits set */
    uint32_t carved;       /* blocks handed out at least once: the rest are untouched */
    uint32_t size_shift;   /* trailing zero bits of size */
    uint64_t size_inverse; /* inverse of size >> size_shift modulo 2^64: block index by multiplication */
    unsigned char *base;   /* first block */
    uint32_t size;
    uint32_t blocks;
    MK__ATOMIC(int64_t) out; /* blocks not free here (in use or in magazines) */
} mk__class_state_t;

/* Thread slot states (mk__rt.thread_taken). A departed slot's thread is gone
 * but its arena still holds frames in flight; mk_begin_frame reclaims it, or a
 * new thread takes it over. */
#define MK__SLOT_FREE 0u
#define MK__SLOT_TAKEN 1u
#define MK__SLOT_DEPARTED 2u
#define MK__SLOT_RECLAIMING 3u /* held by the thread releasing a departed slot */

/* A phase's open levels and pushed intents, and its per-phase totals: the
 * lifecycle state of one thread slot (lifecycle.c, frame.c's checkpoints). */
typedef struct mk__thread_lifecycle {
    struct {
        uint32_t phase;
        uint64_t tally_at_begin;
    } open[MKG_PHASE_DEPTH];
    uint32_t depth;
    uint32_t intent_depth;
    uint8_t intents[MKG_INTENT_STACK_DEPTH];
    struct {
        uint32_t serial;
        uint32_t holders;  /* marks taken at this very state share the checkpoint */
        uintptr_t cursor;
        void *spill;
    } marks[MKG_MARK_DEPTH]; /* checkpoints open in marks_epoch, oldest first */
    uint32_t mark_depth;
    uint32_t mark_serial;    /* last serial handed out (0 is never one) */
    uint64_t marks_epoch;    /* the frame the open checkpoints belong to */
    const char *cached_name; /* last phase name looked up, and its index */
    uint32_t cached_phase;
    mk__counter_t phase_bytes[MKG_MAX_PHASES];
    mk__counter_t phase_allocs[MKG_MAX_PHASES];
    mk__counter_t phase_entries[MKG_MAX_PHASES];
} mk__thread_lifecycle_t;

/* One thread slot: the hot part that users' inline fast paths touch
 * (memkit/fastpath.h) first, then what only the runtime reads. A slot is
 * reached as the mk__thread_t * that mk__self holds; mk__slot() gives the
 * whole of it (the hot part is the first member, so the two addresses are
 * one). */
typedef struct mk__slot {
    mk__thread_t hot;
    uint64_t frame_epoch;      /* frame the cursor belongs to; UINT64_MAX: none */
    uintptr_t frame_limit;     /* end of the arena slot the cursor is in */
    /* frame memory of each slot and intent, allocations and bytes in one
     * word (MK__ROW_ONE) so that a frame allocation costs one counter store;
     * hot.frame_row points at the row of the slot being filled */
    MK__ATOMIC(uint64_t) frame_rows[MKG_FRAMES_IN_FLIGHT][MKG_INTENT_COUNT];
    MK__ATOMIC(uint64_t) frame_tally;  /* tally of the rows folded so far (phases) */
    uint64_t frame_tally_other;        /* frame_tally + the rows of the slots frame_row is not */
    MK__ATOMIC(uint64_t) slot_epoch[MKG_FRAMES_IN_FLIGHT]; /* epoch + 1 of the slot's data; 0: empty */
    void *overflow[MKG_FRAMES_IN_FLIGHT]; /* heap blocks spilled from each slot */
    uint32_t index;
    uint32_t generation;       /* mk_init generation that attached this slot */
    mk__thread_lifecycle_t life; /* phase and intent stacks (lifecycle.c) */
#if MKG_CACHE_SLOTS > 0
    void *mag_store[MKG_CACHE_SLOTS]; /* the classes' magazines, hot.cache[].mag points here */
#endif
} mk__slot_t;

/* The whole slot of a thread's hot part. */
static inline mk__slot_t *mk__slot(const mk__thread_t *t)
{
    return (mk__slot_t *)(uintptr_t)t;
}

typedef struct mk__runtime {
    const mk_config_t *config;
    bool initialised;
    uint32_t generation;         /* bumped by every mk_init */
    unsigned char *frame_base;   /* all arenas: [thread][slot][arena bytes] */
    unsigned char *heap_base;
    unsigned char *pool_mapped[MKG_POOL_COUNT > 0 ? MKG_POOL_COUNT : 1]; /* reserved storage to release */
    uint8_t *tags_mapped[MKG_POOL_COUNT > 0 ? MKG_POOL_COUNT : 1];
    uint64_t *bits_mapped[MKG_POOL_COUNT > 0 ? MKG_POOL_COUNT : 1];
    mk__lock_t heap_lock;
    mk__heap_t heap;
#if MKG_CLASS_COUNT > 0
    mk__class_state_t classes[MKG_CLASS_COUNT];
#endif
    MK__ATOMIC(int64_t) budget_reserved[MKG_INTENT_COUNT];
    MK__ATOMIC(int64_t) total_reserved;
    int64_t lease_chunk[MKG_INTENT_COUNT];
    MK__ATOMIC(int64_t) system_bytes;
    MK__ATOMIC(int64_t) peak_sampled[MKG_INTENT_COUNT];
    MK__ATOMIC(int64_t) live_published[MKG_INTENT_COUNT]; /* sum of the threads' published live bytes */
    int64_t publish_slack[MKG_INTENT_COUNT];                /* half-width of a thread's publication band */
    MK__ATOMIC(mk_oom_handler_t) oom_handler;
    MK__ATOMIC(void *) oom_user;
    mk__slot_t threads[MKG_MAX_THREADS];
    MK__ATOMIC(uint32_t) thread_taken[MKG_MAX_THREADS]; /* MK__SLOT_* */
    MK__ATOMIC(uint32_t) thread_hwm;      /* 1 + the highest slot ever taken: loops stop there */
    MK__ATOMIC(uint32_t) departed;        /* slots in MK__SLOT_DEPARTED */
    MK__ATOMIC(uint32_t) several_threads; /* a slot other than 0 was ever taken */
    MK__ATOMIC(uint64_t) attach_failures; /* threads refused a slot (every slot taken) */
    uint8_t frame_intents[MKG_INTENT_COUNT]; /* the frame-tier intents (phases' tally of frame rows) */
    unsigned frame_intent_count;
    mk__lock_t recall_lock;               /* one recalling thread at a time (recall.c) */
    bool recall_ready;                    /* the OS can fence other threads (membarrier) */
    /* frees by threads that could not attach (more than max_threads): shared,
     * so updated with atomic read-modify-writes */
    mk__intent_counters_t unattached[MKG_INTENT_COUNT];
} mk__runtime_t;

extern mk__runtime_t mk__rt;

/* ---- thread.c ---- */
mk__thread_t *mk__thread_attach(void);
/* The number of slots loops over threads must visit (thread_hwm). */
static inline uint32_t mk__thread_span(void)
{
    return MK__LOAD_ACQUIRE(mk__rt.thread_hwm);
}
/* Releases what a slot whose thread is gone holds: caches, leases and every
 * frame slot out of flight. Returns true when frames in flight remain. The
 * caller owns the slot (its thread, or a reclaimer). */
bool mk__thread_release(mk__thread_t *t);
/* mk_begin_frame: releases departed slots whose frames have left flight. */
void mk__thread_reclaim_departed(void);
/* Registers the thread-exit flush (false: the OS has no key left). */
bool mk__thread_exit_hook_init(void);
void mk__thread_reset_all(void);
void mk__thread_detach_slot(mk__thread_t *t);
extern mk__slot_t mk__thread_unattached;
/* mk__thread for an allocation of `intent`: a refused attach counts as one
 * of its failures. */
mk__thread_t *mk__thread_for(unsigned intent);

/* ---- init.c ---- */
/* Records `status` as the calling thread's last error; returns NULL. */
void *mk__fail(mk_status_t status);
extern MK__TLS mk_status_t mk__last_error;
extern MK__TLS int mk__policy_depth; /* >0 while a policy retries: no nested policy */

/* ---- recall.c: budget leases and cached blocks taken back from other slots ---- */
/* The owner's blocking entry (slow paths): waits while a recall holds the
 * slot. Nested entries count; only the outermost checks. */
#if MKG_THREADS
void mk__slot_wait(mk__thread_t *t);
static inline void mk__slot_enter_wait(mk__thread_t *t)
{
    uint32_t depth = MK__LOAD(t->busy);
    MK__STORE(t->busy, depth + 1u);
    if (depth == 0u) {
        atomic_signal_fence(memory_order_seq_cst);
        if (MK_UNLIKELY(MK__LOAD_ACQUIRE(t->stop) != 0u))
            mk__slot_wait(t);
    }
}
static inline void mk__slot_exit(mk__thread_t *t)
{
    MK__STORE_RELEASE(t->busy, MK__LOAD(t->busy) - 1u);
}
#else
static inline void mk__slot_enter_wait(mk__thread_t *t) { (void)t; }
static inline void mk__slot_exit(mk__thread_t *t) { (void)t; }
#endif
void mk__recall_init(void);
/* A module's lock, to be held across fork() (call from its init). */
void mk__fork_lock_register(mk__lock_t *lock);
/* Stops every other slot for which holds(t, what) is true, hands each to
 * take(t, what) while it is stopped, and lets them go on; true when any held
 * something. Call with no slot entered. */
bool mk__recall(bool (*holds)(const mk__thread_t *t, unsigned what), void (*take)(mk__thread_t *t, unsigned what),
                unsigned what);
/* Takes every other slot's unused lease of `intent` back to the budget;
 * true when it found any. Call with no slot entered. */
bool mk__recall_leases(unsigned intent);
/* Sends every other slot's cached blocks of class `cls` to its global list;
 * true when it found any. Call with no slot entered. */
bool mk__recall_cache(unsigned cls);
/* fork(): stop every slot and take every lock (prepare), then undo (parent),
 * or keep only the forking thread (child). */
void mk__fork_prepare(void);
void mk__fork_parent(void);
void mk__fork_child(void);

/* ---- budget.c: per-intent and total budgets, leased to threads in chunks ---- */
void mk__budget_init(void);
bool mk__budget_take_slow(mk__thread_t *t, unsigned intent, int64_t bytes);
/* A free by a thread that could not attach: straight back to the budget. */
void mk__budget_give_unattached(unsigned intent, int64_t bytes);
/* Takes `bytes` straight from the intent's and the total budget, all or
 * nothing (no thread lease: the async tier's owners are tasks); and back. */
bool mk__budget_grab(unsigned intent, int64_t bytes);
void mk__budget_ungrab(unsigned intent, int64_t bytes);
/* Returns all of a thread's leases (thread exit, shutdown). */
void mk__budget_return_leases(mk__thread_t *t);
/* Returns an entered (or stopped) slot's lease of one intent. */
void mk__lease_return(mk__thread_t *t, unsigned intent);
/* Unused lease bytes of an intent over all threads (stats). */
int64_t mk__budget_leased(unsigned intent);

/* ---- frame.c ---- */
void mk__frame_init(void);
bool mk__frame_owns(const void *ptr);
/* Frame memory from the heap for an arena that is full (overflow = "heap",
 * or on_exhausted = "fallback"), released with the frame. */
void *mk__frame_spill(unsigned intent, size_t n, size_t align);
/* Is frame `epoch` still in flight (its memory not yet reusable)? */
bool mk__frame_in_flight(uint64_t epoch);
/* The frame that [ptr, ptr + size) of thread t's frame memory belongs to: a
 * region of one of its arena slots (below the cursor in the slot being
 * filled) or of a heap block spilled from one, whose frame is in flight.
 * False otherwise. O(1) for arena memory, O(spilled blocks) for spills. */
bool mk__frame_region_epoch(const mk__thread_t *t, const void *ptr, size_t size, uint64_t *epoch);
/* Frame allocations of an intent over all threads (stats). */
uint64_t mk__frame_allocations(unsigned intent);
/* Live frame bytes of an intent summed over threads (stats). */
int64_t mk__frame_live(unsigned intent);
/* Releases every arena slot of t whose frame is out of flight and resets its
 * cursor; true when slots with frames in flight remain (thread.c). */
bool mk__frame_release_thread(mk__thread_t *t);

/* ---- pool.c ---- */
mk_status_t mk__pool_init(void);
void mk__pool_fini(void);
/* Points a slot's magazines into its storage; sets their limits (attach). */
void mk__pool_attach_thread(mk__thread_t *t);
void mk__pool_flush_thread(mk__thread_t *t);
/* Sends all of a stopped slot's cached blocks of one class back (recall.c). */
void mk__pool_flush_class(mk__thread_t *t, unsigned cls);
/* Allocations and frees of `intent` counted by the classes of its own pool
 * on thread t (mk__cache_t); 0 for other intents. */
void mk__pool_class_counts(const mk__thread_t *t, unsigned intent, uint64_t *allocs, uint64_t *frees);

/* Bytes of free blocks kept in threads' caches (stats). */
int64_t mk__pool_cached_bytes(void);
/* Finds the pool block containing ptr: its class and intent. */
bool mk__pool_find(const void *ptr, unsigned *cls, unsigned *intent);
size_t mk__pool_class_size(unsigned cls);
int64_t mk__pool_used_bytes(void);
uint64_t mk__pool_capacity(void);

/* ---- heap_cache.c: the heap tier's per-thread front (fastpath.h) ---- */
void mk__heap_cache_init(void);
void mk__heap_cache_attach(mk__thread_t *t);
void mk__heap_cache_flush_thread(mk__thread_t *t);
/* Sends every thread's cached heap blocks back to the heap (before a heap
 * request fails); true when there were any. Call with no slot entered. */
bool mk__heap_cache_recall(mk__thread_t *self);
/* A heap block of `size` (1..MK__HEAP_CACHE_MAX) for `intent` through the
 * front: charged and counted; NULL with *reason set: MK_ENOMEM, the heap is
 * full with cached blocks recalled; MK_OK, the budget refused the bin's block
 * (back in the heap): the caller tries a block of the size asked. */
void *mk__heap_cache_serve(mk__thread_t *t, unsigned intent, size_t size, mk_status_t *reason);
/* Keeps a freed heap block of `bytes` usable bytes in t's front (already
 * uncounted, its budget not yet given back); false when the front does not. */
bool mk__heap_cache_keep(mk__thread_t *t, void *ptr, size_t bytes);
/* Bytes of heap blocks (headers included) in threads' fronts (stats). */
int64_t mk__heap_cache_bytes(void);
/* The calling thread's cached heap blocks are heap blocks of their bins. */
bool mk__heap_cache_validate(const mk__out_t *report);

/* ---- heap_tier.c ---- */
mk_status_t mk__heap_tier_init(void);
void mk__heap_tier_fini(void);
/* A heap (or system-fallback) block for `intent`, charged to its budget. No
 * policy is applied: NULL with *reason set on failure. */
void *mk__heap_serve(unsigned intent, size_t size, size_t align, mk_status_t *reason);
/* A heap block for frame memory that spilled out of an arena; not charged. */
void *mk__heap_serve_frame(size_t size, size_t align);
void mk__heap_release_frame(void *ptr);
bool mk__heap_tier_owns(const void *ptr);
/* Whether ptr is the start of an allocated heap block (mk__heap_is_block). */
bool mk__heap_tier_is_block(const void *ptr);
void mk__heap_tier_free(void *ptr);
size_t mk__heap_tier_usable(const void *ptr);    /* the whole payload: a spill link, a tools' redzone */
size_t mk__heap_tier_user_size(const void *ptr); /* what the caller may use: less a tools' redzone */
unsigned mk__heap_tier_intent(const void *ptr);
bool mk__heap_tier_resize(void *ptr, size_t size);
void mk__heap_tier_stats(mk_tier_stats_t *out);

/* ---- alloc.c ---- */
/* Applies the intent's on_exhausted policy after its tier failed with
 * `reason`; returns the memory a fallback or retry found, or NULL. */
void *mk__exhausted(unsigned intent, size_t size, size_t align, mk_status_t reason);
/* A pool intent's request above its pool's largest class: the heap tier
 * (oversize = "heap") or MK_ETOOBIG, counted either way; no policy applies. */
void *mk__pool_oversize(mk__thread_t *t, unsigned intent, size_t size, size_t align);

/* ---- hooks of the longer-lived features, called by init.c and frame.c ---- */
void mk__lifecycle_init(void);
void mk__lifecycle_frame_begin(void);  /* from mk_begin_frame, after the epoch moved */
void mk__lifecycle_frame_end(void);    /* from mk_end_frame */
mk_status_t mk__handles_init(void);
void mk__handles_fini(void);
void mk__deferred_init(void);
void mk__deferred_end_frame(void);     /* from mk_end_frame: release what is due */
void mk__deferred_fini(void);
void mk__shared_init(void);
void mk__shared_fini(void);
void mk__scratch_init(void);
void mk__group_init(void);
void mk__scratch_fini(void);

/* ---- integrity checks for mk_validate (validate.c); each writes what it
 * finds wrong to `report` (mk__outf: nothing when NULL) and returns false ---- */
bool mk__pool_validate(const mk__out_t *report);
bool mk__heap_tier_validate(const mk__out_t *report);
bool mk__handles_validate(const mk__out_t *report);
bool mk__shared_validate(const mk__out_t *report);
bool mk__scratch_validate(const mk__out_t *report);
bool mk__async_validate(const mk__out_t *report);

/* ---- gpu/src: the GPU tier (memkit/gpu.h) ---- */
/* The GPU tier depends on the runtime, never the reverse: mk_gpu_init
 * installs these and mk_gpu_shutdown removes them, so that mk_shutdown and
 * mk_stats_print reach the tier without the runtime naming it (a runtime
 * built without gpu/src links). */
typedef struct mk__tier_hooks {
    size_t (*fini)(void);                /* shut the tier down; returns what was still live */
    void (*print)(const mk__out_t *out); /* its rows of mk_stats_write */
    void (*usage)(uint64_t *pairs);      /* per GPU heap [used, reserved] bytes: a recorded row (record.c) */
} mk__tier_hooks_t;
extern mk__tier_hooks_t mk__gpu_hooks;

/* ---- async/src: the async tier (memkit/async.h) ---- */
mk_status_t mk__async_init(void);
void mk__async_fini(void);
/* mk_free / mk_usable_size of a block of an async pool: false / 0 when none holds it. */
bool mk__async_release_owned(void *block);
size_t mk__async_block_size_of(const void *block);
/* What the async tier holds for `intent`, in bytes, and its counts. */
int64_t mk__async_live(unsigned intent);
void mk__async_intent_counts(unsigned intent, uint64_t *allocations, uint64_t *frees, uint64_t *failures);
size_t mk__async_live_blocks(void);
size_t mk__async_stats(mk_async_stats_t *out);
/* fork(): take every lock of the async tier before, drop them after (parent
 * and child). */
void mk__async_fork_prepare(void);
void mk__async_fork_parent(void);
/* mk_begin_frame through the frame guard: waits while the slot it reuses is held. */
void mk__frame_guard_begin(void);
/* frame.c: what mk_begin_frame does once the guard lets it. */
void mk__frame_advance(void);

/* ---- report.c: the catalogue of docs/diagnostics.md (code and severity) ---- */
typedef enum mk__diag {
    MK__ML101, MK__ML102, MK__ML103, MK__ML104, MK__ML105, MK__ML106,
    MK__ML201, MK__ML202,
    MK__ML301, MK__ML302, MK__ML303, MK__ML304, MK__ML305,
    MK__ML401, MK__ML402, MK__ML403,
    MK__ML501, MK__ML502,
    MK__ML601, MK__ML602, MK__ML603, MK__ML604, MK__ML605, MK__ML606, MK__ML607, MK__ML608,
    MK__DIAG_COUNT
} mk__diag_t;

/* Formats a report of `diag` and hands it to the report handler; call it
 * outside memkit's locks. intent -1 and file NULL when not known. */
#if defined(__GNUC__) || defined(__clang__)
__attribute__((format(printf, 6, 7)))
#endif
void mk__report(mk__diag_t diag, const void *ptr, int intent, const char *file, int line, const char *format, ...);
/* "ML607" of a diag. */
const char *mk__diag_code(unsigned diag);
/* The codes reported since the counts last started again, as up to `slots`
 * words (diag + 1) << 32 | count, the rest 0; `take`: they start again from 0. */
void mk__report_frame_counts(uint64_t *words, unsigned slots, bool take);

/* ---- record.c: recordings for memkit-lens (memkit/record.h) ---- */
void mk__record_reset(void);     /* from mk_init */
void mk__record_frame_end(void); /* from mk_end_frame: one row into the ring ([record] frames) */

/* ---- sentinel.c: hooks the tiers call in sentinel builds (MK_SENTINEL) ---- */
#if MK_SENTINEL
/* [debug] phase_alloc_limit (allocations in one frame above which a phase
 * gets ML401) and fragmentation_min_blocks (carved blocks a pool class needs
 * before ML403 looks at it) are MKG_SENTINEL_PHASE_ALLOC_LIMIT and
 * MKG_SENTINEL_FRAGMENTATION_MIN (memkit_config.h). */

/* What a sentinel block is, for reports of a release through the wrong API. */
typedef enum mk__sentinel_kind {
    MK__KIND_PLAIN = 0,   /* mk_alloc & co, released by mk_free */
    MK__KIND_SHARED = 1,  /* a shared buffer, released by mk_shared_release */
    MK__KIND_SCRATCH = 2  /* a scratch buffer, released by mk_scratch_release */
} mk__sentinel_kind_t;

void mk__sentinel_init(void);
/* The leak audit (ML608): reports every live block, returns their number. */
size_t mk__sentinel_shutdown(void);
/* The call site recorded by memkit.h's macros (file NULL when none). */
void mk__sentinel_current_site(const char **file, int *line);
/* Marks a live block as a shared or scratch buffer, or back to plain. */
void mk__sentinel_set_kind(void *block, mk__sentinel_kind_t kind);
/* True when `block` is a live block of `kind`; otherwise reports why (ML601,
 * ML602 or ML603 naming `api`; `user` is the pointer the caller was given)
 * and returns false: the caller then does nothing. */
bool mk__sentinel_check_kind(const void *block, const void *user, mk__sentinel_kind_t kind, const char *api);
/* Usable bytes of a sentinel block (its requested size); false if not one. */
bool mk__sentinel_usable(const void *ptr, size_t *size);
/* Frame memory named by `ptr` (arena or spill) used by the calling thread
 * through `api`: reports ML201 (another thread's) or ML103 (its frame left
 * flight). False when it reported. */
bool mk__sentinel_frame_check(const void *ptr, const char *api);
/* [p, p + n) was just handed out from a frame arena or spill: ML103 when its
 * reset poison was damaged, then filled with 0xAA. */
void mk__sentinel_frame_fresh(void *p, size_t n);
/* frame.c: thread t leaves its current slot (records how far it was used). */
void mk__sentinel_frame_leave(const mk__thread_t *t);
/* frame.c: slot `slot` of thread t is released: poisons it, ML402. */
void mk__sentinel_frame_release(const mk__thread_t *t, unsigned slot);
/* frame.c: marks and rewinds (ML104, ML201), frame begin/end (ML101, ML102, ML104). */
void mk__sentinel_mark_taken(const mk__thread_t *t, mk_frame_mark_t *mark);
void mk__sentinel_mark_released(const mk_frame_mark_t *mark);
/* Before a rewind: false (reported ML201) for another thread's mark. */
bool mk__sentinel_rewind_check(const mk__thread_t *t, const mk_frame_mark_t *mark);
/* After a successful rewind: poisons what it released, closes the marks. */
void mk__sentinel_rewound(const mk__thread_t *t, const mk_frame_mark_t *mark, uintptr_t old_cursor);
void mk__sentinel_frame_begin(void);
void mk__sentinel_frame_end(void);
/* transfer.c: ML402 bookkeeping of pending frame transfers. */
void mk__sentinel_transfer_offered(const mk_transfer_t *t);
void mk__sentinel_transfer_closed(const mk_transfer_t *t);
/* heap_tier.c: a tier block given back unused (a budget refused it) after the
 * tier may have written inside it: forget any freed header it holds. */
void mk__sentinel_tier_unused(void *raw, size_t usable);
/* validate.c: canaries of every live block (ML605), fragmentation (ML403). */
bool mk__sentinel_validate(const mk__out_t *report);
/* alloc.c: mk_realloc of a sentinel build. */
void *mk__sentinel_realloc(mk_intent_t intent, void *ptr, size_t size);
#endif

/* alloc.c: mk_realloc's release behaviour (sentinel builds use it for frame blocks). */
void *mk__realloc_plain(mk_intent_t intent, void *ptr, size_t size);

/* ---- stats.c ---- */
/* Folds the current summed bytes of every intent (or one) into the peaks. */
void mk__stats_sample(void);
void mk__stats_sample_frames(void); /* frame intents only: at each thread's frame reset */
void mk__stats_init(void);
/* A second thread slot is taken: the exact single-thread peaks become floors. */
void mk__stats_fold_single_peaks(void);
/* Pool, heap and system blocks allocated and not freed (mk_shutdown). */
size_t mk__stats_live_blocks(void);
/* Counts a free of `bytes` for `intent` on thread t, or in the shared
 * counters when t is NULL (a thread that could not attach). */
void mk__count_free(mk__thread_t *t, unsigned intent, int64_t bytes);

/* Thread t's tally of frame allocations (phases, lifecycle.c): what frame.c
 * folded and counted in the other slots, plus the row being filled of each
 * frame intent. */
static inline uint64_t mk__frame_tally(const mk__thread_t *t)
{
    uint64_t count = 0, units = 0;
    if (t->frame_row != NULL)
        for (unsigned i = 0; i < mk__rt.frame_intent_count; i++) {
            uint64_t row = MK__LOAD(t->frame_row[mk__rt.frame_intents[i]]);
            count += MK__ROW_COUNT(row);
            units += row >> 32;
        }
    return mk__slot(t)->frame_tally_other + (count << MK__TALLY_SHIFT) + (units << MKG_ALIGNMENT_SHIFT);
}

/* The calling thread's slot, attaching it if needed; NULL (and the last error
 * set) when memkit is not initialised or every slot is taken. The unattached
 * slot's generation is UINT32_MAX, which no mk_init reaches. */
static inline mk__thread_t *mk__thread(void)
{
    mk__thread_t *self = mk__self;
    if (MK_LIKELY(mk__slot(self)->generation == mk__rt.generation))
        return self;
    return mk__thread_attach();
}

/* Takes `bytes` of budget for `intent` from the thread's lease, refilling it
 * when short (and recalling other threads' unused leases before giving up);
 * false (nothing taken) when the intent's or the total budget would be
 * exceeded. Call with the slot not entered. */
static inline bool mk__budget_take(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (!MK__LEASED(intent))
        return true;
    mk__slot_enter_wait(t);
    bool taken = mk__lease_take(t, intent, bytes);
    mk__slot_exit(t);
    return taken || mk__budget_take_slow(t, intent, bytes);
}

/* Gives `bytes` back through the thread's lease (t may be NULL: straight to
 * the global counters). Call with the slot not entered. */
static inline void mk__budget_give(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (!MK__LEASED(intent))
        return;
    if (t == NULL) {
        mk__budget_give_unattached(intent, bytes);
        return;
    }
    mk__slot_enter_wait(t);
    mk__lease_give(t, intent, bytes);
    mk__slot_exit(t);
}

/* Bytes of all frame arenas: [thread][slot][arena bytes]. A function, not a
 * macro: 0 in frame-less configs, where a constant would trip -Wtype-limits. */
static inline size_t mk__frame_total_bytes(void)
{
    return (size_t)MKG_MAX_THREADS * MKG_FRAMES_IN_FLIGHT * (size_t)MKG_FRAME_ARENA_BYTES;
}

static inline bool mk__is_pow2(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

/* Does a size from the config (uint64_t) fit this target's size_t? mk_init
 * asks before it maps anything of storage = "reserve" (MK_ERANGE otherwise),
 * so that a 32-bit target never maps a truncated size. */
static inline bool mk__size_fits(uint64_t bytes)
{
#if SIZE_MAX < UINT64_MAX
    return bytes <= (uint64_t)SIZE_MAX;
#else
    (void)bytes;
    return true;
#endif
}

#endif /* MEMKIT_INTERNAL_H */

/* state.h — the runtime's state: one static struct, mk__rt, reset by mk_init
 * and mk_shutdown, its size classes' global state and its thread slots (the
 * hot part users' fast paths touch is mk__thread_t, memkit/fastpath.h; the
 * rest of a slot is here). Array sizes are the generated config's
 * compile-time constants. generator/memkit_gen/runtime_layout.py mirrors
 * these structures to size a runtime: change both together. */
#ifndef MEMKIT_STATE_H
#define MEMKIT_STATE_H

#include "sync.h"
#include "tiers/heap.h"

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

#endif /* MEMKIT_STATE_H */

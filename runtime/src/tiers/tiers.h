/* tiers.h — the tiers' functions the other modules call: frame.c, pool.c,
 * heap_cache.c (the heap's per-thread front) and heap_tier.c (the heap under
 * its lock, with budgets). heap.h is the TLSF algorithm itself. */
#ifndef MEMKIT_TIERS_H
#define MEMKIT_TIERS_H

#include "state.h"
#include "diagnostics/output.h"

/* Heap-block tag of frame memory spilled to the heap (not an intent). */

#define MK__TAG_FRAME_OVERFLOW 255u

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

/* Bytes of all frame arenas: [thread][slot][arena bytes]. A function, not a
 * macro: 0 in frame-less configs, where a constant would trip -Wtype-limits. */
static inline size_t mk__frame_total_bytes(void)
{
    return (size_t)MKG_MAX_THREADS * MKG_FRAMES_IN_FLIGHT * (size_t)MKG_FRAME_ARENA_BYTES;
}

#endif /* MEMKIT_TIERS_H */

/* trace.c — the allocation trace of [record] trace_events (docs/recording.md).
 *
 * With a trace, mk_alloc, mk_alloc_aligned, mk_free and mk_free_sized (the
 * inline names of fastpath.h, in the program and in the runtime alike) come
 * here out of line: each event goes into the generated ring
 * (mkg_config.record_trace) as four words, [frame, size, id, intent | op << 32],
 * under one lock. A traced program trades speed for the trace; nothing is
 * allocated for it. What those four do not see records itself through
 * mk__trace_record: mk_realloc's in-place resizes (alloc.c) and the sentinel's
 * realloc, which keeps to its own blocks (sentinel.c).
 *
 * The id is the block's address: a free pairs with the allocation before it
 * at that address. An allocation is recorded once it has its block, a free
 * before the block goes back, so another thread's allocation at the same
 * address always follows the free in the ring.
 */
#include "internal.h"

#if MKG_RECORD_TRACE > 0

static struct {
    mk__lock_t lock;
    uint64_t recorded; /* events since mk_init; the ring keeps the last MKG_RECORD_TRACE */
    uint64_t skipped;  /* events the writer's own thread made while it wrote the trace */
} mk__trace;
/* set while this thread writes the trace (record.c holds the lock): its own
 * events are skipped, not waited for */
static MK__TLS bool mk__trace_writing;

void mk__trace_reset(void)
{
    mk__trace.recorded = 0;
    mk__trace.skipped = 0;
    mk__fork_lock_register(&mk__trace.lock);
}

void mk__trace_record(unsigned op, unsigned intent, size_t size, const void *ptr)
{
    if (mk__rt.config == NULL || !mk__rt.initialised)
        return;
    if (mk__trace_writing) {
        mk__trace.skipped++; /* the writer holds the lock */
        return;
    }
    uint64_t frame = mk_frame_index();
    mk__lock(&mk__trace.lock);
    uint64_t *e = mk__rt.config->record_trace + (mk__trace.recorded % MKG_RECORD_TRACE) * MK__TRACE_WORDS;
    e[0] = frame;
    e[1] = (uint64_t)size;
    e[2] = (uint64_t)(uintptr_t)ptr;
    e[3] = (uint64_t)intent | (uint64_t)op << 32;
    mk__trace.recorded++;
    mk__unlock(&mk__trace.lock);
}

void *mk__trace_alloc(mk_intent_t intent, size_t size, size_t align)
{
#if MK_SENTINEL
    void *p = mk__sentinel_alloc(intent, size, align);
#else
    void *p = align <= MKG_ALIGNMENT ? mk__alloc_fast(intent, size) : mk__alloc_aligned_fast(intent, size, align);
#endif
    mk__trace_record(p != NULL ? MK__TRACE_ALLOC : MK__TRACE_FAILED, (unsigned)intent, size, p);
    return p;
}

/* The intent a block was allocated for, or UINT32_MAX where the lookup does
 * not say (a system-fallback block, a foreign pointer). */
static unsigned mk__trace_owner(const void *ptr)
{
    unsigned intent;
#if MK_SENTINEL /* the block's header says; the tiers see the block behind it */
    return mk__sentinel_intent(ptr, &intent) ? intent : UINT32_MAX;
#else
    unsigned cls;
    if (mk__pool_find(ptr, &cls, &intent))
        return intent;
    if (mk__heap_tier_owns(ptr)) {
        intent = mk__heap_tier_intent(ptr);
        return intent < (unsigned)MKG_INTENT_COUNT ? intent : UINT32_MAX;
    }
    return UINT32_MAX;
#endif
}

void mk__trace_free(void *ptr)
{
    /* frame memory goes with its frame: its frees change nothing, so they are not events */
    if (ptr != NULL && !mk__frame_owns(ptr))
        mk__trace_record(MK__TRACE_FREE, mk__trace_owner(ptr), mk_usable_size(ptr), ptr);
#if MK_SENTINEL
    mk__sentinel_free(ptr);
#else
    mk__free_fast(ptr);
#endif
}

void mk__trace_free_sized(mk_intent_t intent, void *ptr, size_t size)
{
    if (ptr != NULL && !mk__frame_owns(ptr))
        mk__trace_record(MK__TRACE_FREE, (unsigned)intent, size, ptr);
#if MK_SENTINEL
    mk__sentinel_free_sized(intent, ptr, size);
#else
    mk__free_sized_fast(intent, ptr, size);
#endif
}

uint64_t mk__trace_begin(void)
{
    mk__lock(&mk__trace.lock);
    mk__trace_writing = true;
    return mk__trace.recorded;
}

uint64_t mk__trace_end(void)
{
    uint64_t skipped = mk__trace.skipped;
    mk__trace_writing = false;
    mk__unlock(&mk__trace.lock);
    return skipped;
}

#else

void mk__trace_reset(void) {}

#endif

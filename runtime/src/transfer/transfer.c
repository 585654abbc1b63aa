/* transfer.c — cross-thread transfer of blocks and frame regions.
 *
 * A transfer is a value the sender fills and the receiver claims with one
 * compare-and-swap, so that exactly one thread ends up owning the memory. The
 * sender's checks are range tests on the memory it names: a pool or heap
 * block (its usable size bounds `size`), or a region of the sender's own
 * frame arena, stamped with its frame so that the receiver is refused once
 * the frame has left flight. Nothing here takes a lock.
 */
#include "internal.h"

#if MKG_THREADS
static bool mk__transfer_claim(mk_transfer_t *t, uint32_t to)
{
    uint32_t expected = MK_TRANSFER_PENDING;
    return atomic_compare_exchange_strong_explicit(&t->state, &expected, to, memory_order_acq_rel,
                                                   memory_order_acquire);
}
#else
static bool mk__transfer_claim(mk_transfer_t *t, uint32_t to)
{
    if (t->state != MK_TRANSFER_PENDING)
        return false;
    t->state = to;
    return true;
}
#endif

#if MK_SENTINEL
static void mk__transfer_reused(const mk_transfer_t *t)
{
    const char *file;
    int line;
    mk__sentinel_current_site(&file, &line);
    mk__report(MK__ML202, t, -1, file, line,
               "mk_transfer_accept of transfer %p, already accepted: one transfer, one accept (the receiver that "
               "accepted it owns %p)",
               (const void *)t, t->ptr);
}
#endif

mk_status_t mk_transfer_init(mk_transfer_t *t, void *ptr, size_t size)
{
    if (t == NULL || ptr == NULL)
        return MK_EINVAL;
    if (!mk__rt.initialised)
        return MK_ESTATE;
    mk__thread_t *self = mk__thread();
    if (self == NULL)
        return MK_ESTATE;
    uint32_t kind = MK_TRANSFER_BLOCK;
    uint64_t epoch = 0;
    unsigned cls, intent;
#if MK_SENTINEL
    /* blocks carry a header here: their size bound is the size asked for */
    size_t bound;
    if (mk__sentinel_usable(ptr, &bound)) {
        if (size > bound)
            return MK_EINVAL;
    } else if (!mk__sentinel_frame_check(ptr, "mk_transfer_init")) {
        return MK_EINVAL;
    } else
#endif
    if (mk__frame_owns(ptr)) {
        if (!mk__frame_region_epoch(self, ptr, size, &epoch))
            return MK_EINVAL;
        kind = MK_TRANSFER_FRAME;
    } else if (mk__pool_find(ptr, &cls, &intent)) {
        if (size > mk__pool_class_size(cls))
            return MK_EINVAL;
    } else if (mk__heap_tier_owns(ptr)) {
        if (mk__frame_region_epoch(self, ptr, size, &epoch)) {
            kind = MK_TRANSFER_FRAME; /* inside a block spilled from the sender's arena */
        } else if (!mk__heap_tier_is_block(ptr) || mk__heap_tier_intent(ptr) == MK__TAG_FRAME_OVERFLOW ||
                   size > mk__heap_tier_user_size(ptr)) {
            /* not a heap block's start (its "header" would be user data), another
             * thread's spilled frame memory, or longer than the block */
            return MK_EINVAL;
        }
    } else if (mk__rt.config->heap_fallback_system == 0u || size > mk__heap_tier_user_size(ptr)) {
        return MK_EINVAL; /* in no memkit region, and not a system-fallback block */
    }
    t->ptr = ptr;
    t->size = size;
    t->epoch = epoch;
    t->from_thread = mk__slot(self)->index;
    t->kind = kind;
#if MKG_THREADS
    atomic_store_explicit(&t->state, MK_TRANSFER_PENDING, memory_order_release);
#else
    t->state = MK_TRANSFER_PENDING;
#endif
#if MK_SENTINEL
    if (kind == MK_TRANSFER_FRAME)
        mk__sentinel_transfer_offered(t);
#endif
    return MK_OK;
}

void *mk_transfer_accept(mk_transfer_t *t)
{
    if (t == NULL)
        return mk__fail(MK_EINVAL);
    /* the acquire load pairs with init's release: kind and epoch are the sender's */
#if MKG_THREADS
    uint32_t state = atomic_load_explicit(&t->state, memory_order_acquire);
#else
    uint32_t state = t->state;
#endif
    if (state != MK_TRANSFER_PENDING) {
#if MK_SENTINEL
        if (state == MK_TRANSFER_ACCEPTED)
            mk__transfer_reused(t);
#endif
        return mk__fail(MK_ESTATE);
    }
    /* Read what the offer says before claiming it: once ACCEPTED is published
     * the sender may reuse (re-offer) or drop the transfer, and its fields
     * then describe another block. */
    void *ptr = t->ptr;
    if (t->kind == MK_TRANSFER_FRAME && !mk__frame_in_flight(t->epoch)) {
        mk__transfer_claim(t, MK_TRANSFER_EXPIRED);
#if MK_SENTINEL
        mk__sentinel_transfer_closed(t);
#endif
        return mk__fail(MK_ESTATE);
    }
#if MK_SENTINEL
    /* before the claim: afterwards the sender may already offer it again */
    mk__sentinel_transfer_closed(t);
#endif
    if (!mk__transfer_claim(t, MK_TRANSFER_ACCEPTED)) {
#if MK_SENTINEL
        mk__transfer_reused(t); /* another thread accepted it first */
#endif
        return mk__fail(MK_ESTATE);
    }
    return ptr;
}

mk_status_t mk_transfer_cancel(mk_transfer_t *t)
{
    if (t == NULL)
        return MK_EINVAL;
    if (!mk__transfer_claim(t, MK_TRANSFER_CANCELLED))
        return MK_ESTATE;
#if MK_SENTINEL
    mk__sentinel_transfer_closed(t);
#endif
    return MK_OK;
}

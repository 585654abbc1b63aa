/* alloc.c — what sits between the intents and the tiers: on_exhausted
 * policies, aligned allocation, calloc, realloc and the free dispatch for
 * blocks outside the pools.
 */
#include "internal.h"

const char *mk_intent_name(mk_intent_t intent)
{
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT || mk__rt.config == NULL)
        return "?";
    return mk__rt.config->intent_names[intent];
}

void *mk__bad_intent(void)
{
    return mk__fail(MK_EINVAL);
}

mk__thread_t *mk__thread_for(unsigned intent)
{
    mk__thread_t *t = mk__thread();
    if (MK_UNLIKELY(t == NULL) && mk__last_error == MK_ETHREADS)
        MK__BUMP_SHARED(mk__rt.unattached[intent].failures, 1);
    return t;
}

void *mk__pool_oversize(mk__thread_t *t, unsigned intent, size_t size, size_t align)
{
    MK__BUMP(t->counters[intent].oversize, 1);
    if ((mk__rt.config->routes[intent].flags & MK_ROUTE_OVERSIZE_HEAP) != 0u)
        return mk__heap_alloc_intent((mk_intent_t)intent, size, align);
    MK__BUMP(t->counters[intent].failures, 1);
    return mk__fail(MK_ETOOBIG); /* a request the intent's tier never serves: not exhaustion */
}

/* The handler is published with release after its user pointer, and read with
 * acquire before it, so a reader that sees the new handler sees its user. */
void mk_set_oom_handler(mk_oom_handler_t handler, void *user)
{
    MK__STORE(mk__rt.oom_user, user);
    MK__STORE_RELEASE(mk__rt.oom_handler, handler);
}

void *mk__exhausted(unsigned intent, size_t size, size_t align, mk_status_t reason)
{
    /* a retry inside a policy fails plainly: the outer call decides and counts */
    if (mk__policy_depth > 0)
        return mk__fail(reason);
    const mk_route_t *route = &mk__rt.config->routes[intent];
#if MK_SENTINEL
    if (reason == MK_EBUDGET) {
        const char *file;
        int line;
        mk__sentinel_current_site(&file, &line);
        bool own = (route->flags & MK_ROUTE_BUDGETED) != 0u;
        mk__report(MK__ML607, NULL, (int)intent, file, line,
                   "intent '%s': %zu bytes (sentinel header and canary included) would exceed %s of %llu bytes "
                   "(at %s:%d)",
                   mk_intent_name((mk_intent_t)intent), size, own ? "its budget" : "the total budget",
                   (unsigned long long)(own ? route->budget : mk__rt.config->budget_total),
                   file != NULL ? file : "?", line);
    }
#endif
    void *p = NULL;
    switch ((mk_policy_t)route->on_exhausted) {
    case MK_POLICY_FALLBACK:
        /* a budget is never exceeded: only a full tier has somewhere to go */
        if (reason != MK_ENOMEM || mk__rt.heap_base == NULL)
            break;
        if (route->tier == MK_TIER_FRAME) {
            if (mk__rt.config->frame_overflow == MK_OVERFLOW_HEAP)
                break; /* the frame tier already spilled to the heap and failed */
            size_t n = size == 0 ? MKG_ALIGNMENT : (size + MK__ALIGN_MASK) & ~MK__ALIGN_MASK;
            p = n >= size ? mk__frame_spill(intent, n, align) : NULL;
            if (p == NULL && mk__last_error == MK_EBUDGET)
                reason = MK_EBUDGET;
        } else if (route->tier == MK_TIER_POOL) {
            p = mk__heap_serve(intent, size, align, &reason);
        }
        break;
    case MK_POLICY_CALLBACK: {
        mk_oom_handler_t handler = MK__LOAD_ACQUIRE(mk__rt.oom_handler);
        if (handler == NULL)
            break;
        mk__policy_depth++;
        if (handler((mk_intent_t)intent, size, reason, MK__LOAD(mk__rt.oom_user)) != 0)
            p = mk__alloc_aligned_fast((mk_intent_t)intent, size, align); /* `size` is the tier's request */
        mk__policy_depth--;
        break;
    }
    case MK_POLICY_PANIC: {
        char message[160];
        mk__format(message, sizeof message, "intent '%s' could not allocate %zu bytes: %s",
                   mk_intent_name((mk_intent_t)intent), size, mk_status_str(reason));
        mk__panic(message);
    }
    case MK_POLICY_FAIL:
    default:
        break;
    }
    if (p != NULL)
        return p;
    mk__thread_t *t = mk__thread();
    if (t != NULL)
        MK__BUMP(t->counters[intent].failures, 1);
    return mk__fail(reason);
}

void *mk__alloc_aligned_slow(mk_intent_t intent, size_t size, size_t align)
{
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT || !mk__is_pow2(align) ||
        mk__rt.config->routes[intent].tier == MK_TIER_ASYNC)
        return mk__fail(MK_EINVAL);
    if (mk__rt.config->routes[intent].tier == MK_TIER_FRAME)
        return mk__frame_alloc_slow(intent, size, align);
    return mk__heap_alloc_intent(intent, size, align); /* pool blocks are only MKG_ALIGNMENT-aligned */
}

void *mk_calloc(mk_intent_t intent, size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return mk__fail(MK_EINVAL);
    void *p = mk_alloc(intent, count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

/* Bytes readable from a frame pointer: to the end of its arena, or of its
 * spilled heap block. */
static size_t mk__frame_readable(const void *ptr)
{
    if (mk__frame_owns(ptr)) {
        size_t off = (size_t)((uintptr_t)ptr - (uintptr_t)mk__rt.frame_base);
        size_t arena = (size_t)MKG_FRAME_ARENA_BYTES;
        return arena - off % arena;
    }
    return mk__heap_tier_usable(ptr) - sizeof(void *); /* the spill chain link sits at the end */
}

void *mk_realloc(mk_intent_t intent, void *ptr, size_t size)
{
#if MK_SENTINEL
    return mk__sentinel_realloc(intent, ptr, size);
#else
    return mk__realloc_plain(intent, ptr, size);
#endif
}

void *mk__realloc_plain(mk_intent_t intent, void *ptr, size_t size)
{
    if (ptr == NULL)
        return mk_alloc(intent, size);
    if (size == 0) {
        mk_free(ptr);
        return NULL;
    }
    unsigned cls, owner;
    size_t old;
    if (mk__pool_find(ptr, &cls, &owner)) {
        old = mk__pool_class_size(cls);
    } else if (mk__frame_owns(ptr) ||
               (mk__heap_tier_owns(ptr) && mk__heap_tier_intent(ptr) == MK__TAG_FRAME_OVERFLOW)) {
        void *p = mk_alloc(intent, size);
        if (p != NULL) {
            size_t readable = mk__frame_readable(ptr);
            size_t copy = size < readable ? size : readable;
            mk_track_open(ptr, copy); /* the tools: it may span slack and unallocated arena bytes */
            memmove(p, ptr, copy);
        }
        return p;
    } else {
        owner = mk__heap_tier_intent(ptr);
        old = mk__heap_tier_user_size(ptr);
        /* grows in place when the neighbour is free; a shrink always stays in
         * place and gives its tail back to the heap and the budget */
        if (size != old && mk__heap_tier_resize(ptr, size)) {
#if MKG_RECORD_TRACE > 0
            mk__trace_record(MK__TRACE_FREE, owner, old, ptr);
            mk__trace_record(MK__TRACE_ALLOC, owner, size, ptr);
#endif
            return ptr;
        }
    }
    if (size <= old)
        return ptr; /* a pool block keeps its class: mk_free_sized finds it by address */
    void *p = mk_alloc((mk_intent_t)owner, size);
    if (p == NULL)
        return NULL;
    mk_track_open(ptr, old); /* the tools: the copy spans the slack past the request */
    memcpy(p, ptr, old);
    mk_free(ptr);
    return p;
}

void mk__free_slow(void *ptr)
{
    if (mk__frame_owns(ptr))
        return; /* released with its frame */
    if (mk__async_release_owned(ptr))
        return;
    mk__heap_tier_free(ptr);
}

bool mk_owns(const void *ptr)
{
    unsigned cls, intent;
    /* the tiers' ranges are empty before mk_init and after mk_shutdown */
    return ptr != NULL && (mk__pool_find(ptr, &cls, &intent) || mk__heap_tier_owns(ptr) || mk__frame_owns(ptr));
}

size_t mk_usable_size(const void *ptr)
{
    unsigned cls, intent;
#if MK_SENTINEL
    size_t requested;
    if (ptr != NULL && mk__sentinel_usable(ptr, &requested))
        return requested; /* the canary starts right after */
#endif
    if (ptr == NULL || mk__frame_owns(ptr))
        return 0;
    if (mk__pool_find(ptr, &cls, &intent))
        return mk__pool_class_size(cls);
    size_t async_size = mk__async_block_size_of(ptr);
    if (async_size != 0u)
        return async_size;
    if (mk__heap_tier_owns(ptr) && mk__heap_tier_intent(ptr) == MK__TAG_FRAME_OVERFLOW)
        return 0;
    return mk__heap_tier_user_size(ptr);
}

#if !MK_SENTINEL
/* The heap's figure for `size`: the front's bin, else the 16-byte granule
 * (mk__heap_serve; blocks the TLSF heap does not split may hold a little
 * more, never less). 0 when no block can hold it. */
static size_t mk__heap_good_size(size_t size)
{
    if (size > SIZE_MAX / 2u)
        return 0;
#if MK__HEAP_FRONT
    if (size - 1u < (size_t)MK__HEAP_CACHE_MAX)
        return mk__heap_bin_size(mk__heap_bin_up(size));
#endif
    return size == 0u ? 16u : (size + 15u) & ~(size_t)15u;
}
#endif

size_t mk_good_size(mk_intent_t intent, size_t size)
{
    if ((unsigned)intent >= (unsigned)MKG_INTENT_COUNT)
        return 0;
    const mk_route_t *route = &mkg_routes[intent];
    if (route->tier == MK_TIER_ASYNC)
        return 0;
#if MK_SENTINEL
    return size; /* mk_usable_size reports the size asked for: the canary follows it */
#else
    switch (route->tier) {
    case MK_TIER_FRAME:
        return size > SIZE_MAX - MKG_ALIGNMENT ? 0 : (size + MK__ALIGN_MASK) & ~(size_t)MK__ALIGN_MASK;
#if MKG_POOL_COUNT > 0
    case MK_TIER_POOL: {
        const mk_pool_shape_t *shape = &mkg_pool_shapes[route->pool];
        if (size <= shape->max_size)
            return mkg_class_size[shape->size_class[(size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT]];
        return (route->flags & MK_ROUTE_OVERSIZE_HEAP) != 0u ? mk__heap_good_size(size) : 0u;
    }
#endif
    default:
        return mk__heap_good_size(size);
    }
#endif
}

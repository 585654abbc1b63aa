/* heap_tier.c — the heap tier: the TLSF heap (heap.c) under a lock, charged to
 * intent budgets, with an optional system fallback, behind a per-thread front
 * for blocks up to 16 KiB (fastpath.h, heap_cache.c).
 *
 * Heap blocks record their intent in the TLSF header tag, so mk_free needs no
 * intent. Budgets are charged the block's usable size, exactly, at allocation.
 * System-fallback blocks (fallback = "system", heap full) carry a small header
 * of their own in front of the payload; mk_free recognises them as the
 * pointers that lie in no memkit region, and checks the header's magic.
 */
#include "internal.h"
#include "align.h"

#define MK__SYS_MAGIC 0x6d6b5359u /* "mkSY" */

typedef struct mk__sys_header {
    uint64_t size;  /* usable bytes after the header */
    uint32_t magic;
    uint32_t intent;
    void *raw;      /* what the system allocator returned */
    unsigned char pad[16 - sizeof(void *)]; /* 32 bytes whatever the pointer width and uint64_t's alignment */
} mk__sys_header_t;

_Static_assert(sizeof(mk__sys_header_t) == 32, "payload after the header stays 16-aligned");

mk__heap_range_t mk__heap_range;

static mk__sys_header_t *mk__sys_header(const void *ptr)
{
    return (mk__sys_header_t *)((uintptr_t)ptr - sizeof(mk__sys_header_t));
}

mk_status_t mk__heap_tier_init(void)
{
    const mk_config_t *cfg = mk__rt.config;
    MK__STORE(mk__rt.system_bytes, 0);
    mk__rt.heap_base = NULL;
    mk__heap_cache_init();
    if (cfg->heap_bytes == 0)
        return MK_OK;
    unsigned char *base = cfg->heap_storage;
    if (!mk__size_fits(cfg->heap_bytes))
        return MK_ERANGE; /* (static storage: the generated header asserts it) */
    if (cfg->heap_storage_kind == MK_STORAGE_RESERVE) {
        base = mk__prim_reserve((size_t)cfg->heap_bytes);
        if (base == NULL)
            return MK_ESYSTEM;
    }
    mk__rt.heap_base = base;
    if (cfg->heap_prefault)
        mk__prim_prefault(base, (size_t)cfg->heap_bytes);
    if (!mk__heap_init_tracked(&mk__rt.heap, base, (size_t)cfg->heap_bytes, MK_TRACKING))
        return MK_EINVAL;
    mk__heap_range = (mk__heap_range_t){.base = (uintptr_t)base, .bytes = cfg->heap_bytes};
    return MK_OK;
}

void mk__heap_tier_fini(void)
{
    if (mk__rt.config->heap_storage_kind == MK_STORAGE_RESERVE)
        mk__prim_release(mk__rt.heap_base, (size_t)mk__rt.config->heap_bytes);
    mk__rt.heap_base = NULL;
    mk__heap_range = (mk__heap_range_t){0};
    memset(&mk__rt.heap, 0, sizeof mk__rt.heap);
}

static void *mk__heap_locked_alloc(size_t size, size_t align, uint8_t tag)
{
    if (mk__rt.heap_base == NULL)
        return NULL;
    mk__lock(&mk__rt.heap_lock);
    void *p = mk__heap_alloc(&mk__rt.heap, size, align, tag);
    mk__unlock(&mk__rt.heap_lock);
    return p;
}

static void mk__heap_locked_free(void *ptr)
{
    mk__lock(&mk__rt.heap_lock);
    MK__ASSERT(mk__heap_is_block(&mk__rt.heap, ptr));
    mk__heap_free(&mk__rt.heap, ptr);
    MK__ASSERT_EXPENSIVE(mk__heap_check(&mk__rt.heap));
    mk__unlock(&mk__rt.heap_lock);
}

static void *mk__system_alloc(unsigned intent, size_t size, size_t align)
{
    if (size > SIZE_MAX / 2 || align > SIZE_MAX / 4)
        return NULL;
    size_t bytes = (size + 15u) & ~(size_t)15u;
    unsigned char *raw = mk__prim_system_alloc(bytes + align + sizeof(mk__sys_header_t));
    if (raw == NULL)
        return NULL;
    uintptr_t p = (uintptr_t)raw + sizeof(mk__sys_header_t);
    p += mk__align_pad(p, (uintptr_t)align);
    mk__sys_header_t *h = mk__sys_header((void *)p);
    *h = (mk__sys_header_t){.raw = raw, .size = bytes, .magic = MK__SYS_MAGIC, .intent = intent};
    return (void *)p;
}

void *mk__heap_serve(unsigned intent, size_t size, size_t align, mk_status_t *reason)
{
    mk__thread_t *t = mk__thread_for(intent);
    if (t == NULL) {
        *reason = mk__last_error;
        return NULL;
    }
    if (align < MKG_ALIGNMENT)
        align = MKG_ALIGNMENT;
    bool recalled = false;
    if (MK__HEAP_FRONT && align == MKG_ALIGNMENT && size - 1u < (size_t)MK__HEAP_CACHE_MAX && mk__rt.heap_base != NULL) {
        *reason = MK_OK;
        void *p = mk__heap_cache_serve(t, intent, size, reason);
        if (p != NULL)
            return p;
        /* MK_ENOMEM: the heap is full, cached blocks recalled: the system
         * fallback may serve it. MK_OK: the budget refused the bin's block,
         * which went back to the heap: a block of the size asked may fit. */
        recalled = *reason == MK_ENOMEM;
    }
    bool from_system = false;
    if (size > SIZE_MAX - MK_TRACK_REDZONE) {
        *reason = MK_ENOMEM;
        return NULL;
    }
    void *p = mk__heap_locked_alloc(size + MK_TRACK_REDZONE, align, (uint8_t)intent);
    if (p == NULL && !recalled && mk__heap_cache_recall(t)) /* blocks parked in threads' fronts may make room */
        p = mk__heap_locked_alloc(size + MK_TRACK_REDZONE, align, (uint8_t)intent);
    if (p == NULL && mk__rt.config->heap_fallback_system) {
        p = mk__system_alloc(intent, size, align);
        from_system = p != NULL;
    }
    if (p == NULL) {
        *reason = MK_ENOMEM;
        return NULL;
    }
    /* charged: what the caller may use (a tools' redzone is not theirs) */
    int64_t bytes = (int64_t)mk__heap_tier_user_size(p);
    if (!mk__budget_take(t, intent, bytes)) {
        if (from_system) {
            mk__prim_system_free(mk__sys_header(p)->raw);
        } else {
#if MK_SENTINEL
            mk__sentinel_tier_unused(p, (size_t)bytes);
#endif
            mk__heap_locked_free(p);
        }
        *reason = MK_EBUDGET;
        return NULL;
    }
    if (from_system) {
        MK__BUMP(mk__rt.system_bytes, bytes);
    } else { /* the tools see the usable bytes, then a redzone (memkit/track.h) */
        mk_track_retire((unsigned char *)p + (size_t)bytes, MK_TRACK_REDZONE);
        mk_track_alloc(p, (size_t)bytes);
    }
    mk__count_alloc(t, intent, bytes);
    return p;
}

void *mk__heap_alloc_intent(mk_intent_t intent, size_t size, size_t align)
{
    mk_status_t reason = MK_OK;
    void *p = mk__heap_serve(intent, size, align, &reason);
    if (MK_LIKELY(p != NULL))
        return p;
    if (reason == MK_ESTATE || reason == MK_ETHREADS)
        return NULL;
    return mk__exhausted(intent, size, align, reason);
}

void *mk__heap_serve_frame(size_t size, size_t align)
{
    /* the heap treats align < 16 as 16 */
    void *p = mk__heap_locked_alloc(size, align, MK__TAG_FRAME_OVERFLOW);
    if (p == NULL && mk__heap_cache_recall(mk__thread())) /* blocks parked in threads' fronts may make room */
        p = mk__heap_locked_alloc(size, align, MK__TAG_FRAME_OVERFLOW);
    return p;
}

void mk__heap_release_frame(void *ptr)
{
    mk__heap_locked_free(ptr);
}

bool mk__heap_tier_owns(const void *ptr)
{
    return mk__rt.heap_base != NULL && mk__heap_owns(&mk__rt.heap, ptr);
}

bool mk__heap_tier_is_block(const void *ptr)
{
    if (!mk__heap_tier_owns(ptr))
        return false;
    mk__lock(&mk__rt.heap_lock);
    bool is_block = mk__heap_is_block(&mk__rt.heap, ptr);
    mk__unlock(&mk__rt.heap_lock);
    return is_block;
}

unsigned mk__heap_tier_intent(const void *ptr)
{
    return mk__heap_tier_owns(ptr) ? mk__heap_tag(ptr) : mk__sys_header(ptr)->intent;
}

size_t mk__heap_tier_usable(const void *ptr)
{
    return mk__heap_tier_owns(ptr) ? mk__heap_usable_size(ptr) : (size_t)mk__sys_header(ptr)->size;
}

size_t mk__heap_tier_user_size(const void *ptr)
{
    return mk__heap_tier_owns(ptr) ? mk__heap_usable_size(ptr) - MK_TRACK_REDZONE
                                   : (size_t)mk__sys_header(ptr)->size;
}

/* Frees a heap or system block (not frame spill: mk_free ignores those). */
void mk__heap_tier_free(void *ptr)
{
    bool in_heap = mk__heap_tier_owns(ptr);
    unsigned intent;
    int64_t bytes;
    if (in_heap) {
        if (mk__heap_block_free(ptr))
            mk__panic("mk_free: heap block freed twice");
        intent = mk__heap_tag(ptr);
        if (intent == MK__TAG_FRAME_OVERFLOW)
            return; /* frame memory: released with its frame */
        bytes = (int64_t)mk__heap_tier_user_size(ptr);
    } else {
        mk__sys_header_t *h = mk__sys_header(ptr);
        if (h->magic != MK__SYS_MAGIC || h->intent >= MKG_INTENT_COUNT)
            mk__panic("mk_free: pointer was not allocated by memkit (or freed twice)");
        intent = h->intent;
        bytes = (int64_t)h->size;
    }
    if (in_heap)
        mk_track_open(ptr, (size_t)bytes + MK_TRACK_REDZONE); /* for the zeroing; all of it goes back */
    if ((mk__rt.config->routes[intent].flags & MK_ROUTE_ZERO_ON_FREE) != 0u)
        memset(ptr, 0, (size_t)bytes);
    mk__thread_t *t = mk__thread();
    if (in_heap) {
        mk_track_free(ptr, (size_t)bytes + MK_TRACK_REDZONE);
        if (!mk__heap_cache_keep(t, ptr, (size_t)bytes))
            mk__heap_locked_free(ptr);
    } else {
        mk__sys_header_t *h = mk__sys_header(ptr);
        void *raw = h->raw;
        h->magic = 0;
        MK__BUMP(mk__rt.system_bytes, -bytes);
        mk__prim_system_free(raw);
    }
    mk__count_free(t, intent, bytes);
    mk__budget_give(t, intent, bytes);
}

bool mk__heap_tier_resize(void *ptr, size_t size)
{
    if (!mk__heap_tier_owns(ptr))
        return false;
    mk__thread_t *t = mk__thread();
    if (t == NULL)
        return false;
    unsigned intent = mk__heap_tag(ptr);
    int64_t before = (int64_t)mk__heap_tier_user_size(ptr);
    if (size > SIZE_MAX - MK_TRACK_REDZONE)
        return false;
    mk__lock(&mk__rt.heap_lock);
    bool done = mk__heap_resize(&mk__rt.heap, ptr, size + MK_TRACK_REDZONE);
    mk__unlock(&mk__rt.heap_lock);
    if (!done)
        return false;
    int64_t delta = (int64_t)mk__heap_tier_user_size(ptr) - before;
    if (delta > 0 && !mk__budget_take(t, intent, delta)) {
        mk__lock(&mk__rt.heap_lock);
        bool undone = mk__heap_resize(&mk__rt.heap, ptr, (size_t)before + MK_TRACK_REDZONE);
        mk__unlock(&mk__rt.heap_lock);
        (void)undone; /* shrinking back to the old size always succeeds */
        return false;
    }
    if (delta < 0)
        mk__budget_give(t, intent, -delta);
    mk__count_live(t, intent, delta);
    size_t usable = mk__heap_usable_size(ptr) - MK_TRACK_REDZONE;
    mk_track_retire((unsigned char *)ptr + usable, MK_TRACK_REDZONE);
    mk_track_open(ptr, usable);
    return true;
}

void mk__heap_tier_stats(mk_tier_stats_t *out)
{
    out->capacity = mk__rt.config->heap_bytes;
    int64_t cached = mk__heap_cache_bytes();
    mk__lock(&mk__rt.heap_lock);
    uint64_t used = mk__rt.heap_base != NULL ? mk__rt.heap.used : 0;
    out->peak = mk__rt.heap_base != NULL ? mk__rt.heap.peak : 0;
    mk__unlock(&mk__rt.heap_lock);
    out->cached = (uint64_t)cached < used ? (uint64_t)cached : used; /* read apart: clamp */
    out->used = used - out->cached;
}

bool mk__heap_tier_validate(const mk__out_t *report)
{
    if (mk__rt.heap_base == NULL)
        return true;
    mk__lock(&mk__rt.heap_lock);
    bool ok = mk__heap_check(&mk__rt.heap);
    mk__unlock(&mk__rt.heap_lock);
    if (!ok && report != NULL)
        mk__outf(report, "memkit: heap: block chain or free lists are inconsistent");
    return ok && mk__heap_cache_validate(report);
}

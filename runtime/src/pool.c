/* pool.c — the pool tier: fixed size classes, per-thread caches, global lists.
 *
 * Each class owns a span-aligned region of its pool (layout computed by
 * memkit-gen). Blocks carry no header: mk_free finds the class from the
 * address through the pool's span table, and, for pools shared by several
 * intents, the intent from a byte tag per alignment granule.
 *
 * A thread allocates from and frees to its own cache (an intrusive list, see
 * fastpath.h). An empty cache refills half its limit from the class's global
 * list under the class lock; blocks never handed out are carved lazily from
 * the region, so mk_init touches no pool memory. A full cache flushes half.
 * A class is exhausted only when its blocks are in use: before failing, the
 * blocks other threads keep in their caches are recalled (recall.c).
 *
 * A cache is touched by its owner inside its slot's busy section, or by a
 * recalling thread while the owner is stopped.
 */
#include "internal.h"

#if MKG_POOL_COUNT > 0

mk__pool_range_t mk__pools[MKG_POOL_COUNT];

mk_status_t mk__pool_init(void)
{
    const mk_config_t *cfg = mk__rt.config;
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        const mk_pool_layout_t *pl = &cfg->pools[p];
        unsigned char *base = pl->storage;
        uint8_t *tags = pl->tags;
        if (pl->storage_kind == MK_STORAGE_RESERVE) {
            base = mk__prim_reserve((size_t)pl->bytes);
            if (base == NULL)
                return MK_ESYSTEM;
            mk__rt.pool_mapped[p] = base;
            if (mkg_pool_shapes[p].owner == MK_POOL_SHARED) {
                tags = mk__prim_reserve((size_t)(pl->bytes >> MKG_ALIGNMENT_SHIFT));
                if (tags == NULL)
                    return MK_ESYSTEM;
                mk__rt.tags_mapped[p] = tags;
            }
        }
        mk_track_retire(base, (size_t)pl->bytes); /* no block is live yet */
        mk__pools[p] = (mk__pool_range_t){
            .base = (uintptr_t)base,
            .bytes = pl->bytes,
            .span_class = pl->span_class,
            .tags = tags,
            .span_shift = pl->span_shift,
        };
    }
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++) {
        const mk_class_layout_t *cl = &cfg->classes[c];
        mk__class_state_t *cs = &mk__rt.classes[c];
        memset(cs, 0, sizeof *cs);
        cs->base = (unsigned char *)mk__pools[cl->pool].base + cl->offset;
        cs->size = cl->size;
        cs->blocks = cl->blocks;
    }
    return MK_OK;
}

void mk__pool_fini(void)
{
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        const mk_pool_layout_t *pl = &mk__rt.config->pools[p];
        mk__prim_release(mk__rt.pool_mapped[p], (size_t)pl->bytes);
        mk__prim_release(mk__rt.tags_mapped[p], (size_t)(pl->bytes >> MKG_ALIGNMENT_SHIFT));
        mk__rt.pool_mapped[p] = NULL;
        mk__rt.tags_mapped[p] = NULL;
        mk__pools[p] = (mk__pool_range_t){0};
    }
}

#if MK_ASSERT_LEVEL >= 2
/* The length of a cache's list (expensive assertions). */
static uint32_t mk__cache_length(const mk__cache_t *c, size_t size)
{
    uint32_t n = 0;
    for (void *b = c->head; b != NULL; b = *MK__LINK(b, size))
        n++;
    (void)size; /* the link is the first word outside tracking builds */
    return n;
}
#endif

/* Moves up to half a cache of blocks from the class's global list (or fresh
 * region) into the thread's cache. */
static void mk__pool_refill(mk__thread_t *t, unsigned cls)
{
    mk__class_state_t *cs = &mk__rt.classes[cls];
    mk__cache_t *c = &t->cache[cls];
    uint32_t want = c->limit / 2u > 0u ? c->limit / 2u : 1u;
    uint32_t moved = 0;
    MK__ASSERT(c->head == NULL && MK__LOAD(c->count) == 0u);
    mk__lock(&cs->lock);
    while (moved < want && cs->free_head != NULL) {
        void *block = cs->free_head;
        cs->free_head = *MK__LINK(block, cs->size);
        cs->free_count--;
        *MK__LINK(block, cs->size) = c->head;
        c->head = block;
        moved++;
    }
    while (moved < want && cs->carved < cs->blocks) {
        void *block = cs->base + (size_t)cs->carved * cs->size;
        cs->carved++;
        mk_track_open(MK__LINK(block, cs->size), sizeof(void *)); /* a fresh block: only its link is addressable */
        *MK__LINK(block, cs->size) = c->head;
        c->head = block;
        moved++;
    }
    MK__BUMP(cs->out, (int64_t)moved);
    MK__ASSERT(cs->carved <= cs->blocks && MK__LOAD(cs->out) <= (int64_t)cs->carved);
    mk__unlock(&cs->lock);
    MK__STORE(c->count, MK__LOAD(c->count) + moved);
    MK__ASSERT_EXPENSIVE(mk__cache_length(c, cs->size) == MK__LOAD(c->count));
}

/* Sends all but `keep` blocks of the thread's cache back to the global list. */
static void mk__pool_flush(mk__thread_t *t, unsigned cls, uint32_t keep)
{
    mk__cache_t *c = &t->cache[cls];
    uint32_t count = MK__LOAD(c->count);
    if (count <= keep)
        return;
    uint32_t moved = count - keep;
    mk__class_state_t *cs = &mk__rt.classes[cls];
    void *first = c->head;
    void *last = first;
    for (uint32_t i = 1; i < moved; i++)
        last = *MK__LINK(last, cs->size);
    c->head = *MK__LINK(last, cs->size);
    MK__STORE(c->count, keep);
    MK__ASSERT_EXPENSIVE(mk__cache_length(c, cs->size) == keep);
    mk__lock(&cs->lock);
    *MK__LINK(last, cs->size) = cs->free_head;
    cs->free_head = first;
    cs->free_count += moved;
    MK__BUMP(cs->out, -(int64_t)moved);
    MK__ASSERT(MK__LOAD(cs->out) >= 0 && cs->free_count <= cs->carved);
    mk__unlock(&cs->lock);
}

void mk__pool_flush_class(mk__thread_t *t, unsigned cls)
{
    mk__pool_flush(t, cls, 0);
}

void mk__pool_flush_thread(mk__thread_t *t)
{
    mk__slot_enter_wait(t);
    for (unsigned cls = 0; cls < MKG_CLASS_COUNT; cls++)
        mk__pool_flush(t, cls, 0);
    mk__slot_exit(t);
}

/* A block of class `cls` from the thread's cache, refilled from the global
 * list when empty; NULL when the class has none left. Budget already taken. */
static void *mk__pool_take_refilled(mk__thread_t *t, unsigned pool, unsigned cls, unsigned intent, int64_t bytes)
{
    mk__cache_t *c = &t->cache[cls];
    void *block = NULL;
    mk__slot_enter_wait(t);
    if (c->head == NULL)
        mk__pool_refill(t, cls);
    if (c->head != NULL)
        block = mk__pool_take(t, c, pool, intent, bytes);
    mk__slot_exit(t);
    return block;
}

void *mk__pool_alloc_slow(mk_intent_t intent, size_t size)
{
    mk__thread_t *t = mk__thread_for(intent);
    if (t == NULL)
        return NULL;
    unsigned pool = mk__rt.config->routes[intent].pool;
    const mk_pool_shape_t *shape = &mkg_pool_shapes[pool];
    if (size > shape->max_size)
        return mk__pool_oversize(t, intent, size, MKG_ALIGNMENT);
    unsigned cls = shape->size_class[(size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT];
    int64_t bytes = (int64_t)mkg_class_size[cls];
    if (!mk__budget_take(t, intent, bytes))
        return mk__exhausted(intent, size, MKG_ALIGNMENT, MK_EBUDGET);
    void *block = mk__pool_take_refilled(t, pool, cls, intent, bytes);
    /* the class is empty here: other threads' caches may hold what is free */
    if (block == NULL && mk__recall_cache(cls))
        block = mk__pool_take_refilled(t, pool, cls, intent, bytes);
    if (block != NULL)
        return block;
    mk__budget_give(t, intent, bytes);
    return mk__exhausted(intent, size, MKG_ALIGNMENT, MK_ENOMEM);
}

void mk__pool_free_slow(unsigned intent, unsigned cls, void *ptr)
{
    int64_t bytes = (int64_t)mkg_class_size[cls];
    mk__pool_scrub(intent, ptr, (size_t)bytes);
    mk__thread_t *t = mk__thread();
    if (t != NULL)
        mk__slot_enter_wait(t);
    if (t == NULL || t->cache[cls].limit == 0) {
        /* no cache to keep it in: straight back to the global list */
        mk__class_state_t *cs = &mk__rt.classes[cls];
        mk__lock(&cs->lock);
        *MK__LINK(ptr, (size_t)bytes) = cs->free_head;
        cs->free_head = ptr;
        cs->free_count++;
        MK__BUMP(cs->out, -1);
        mk__unlock(&cs->lock);
    } else {
        mk__cache_t *c = &t->cache[cls];
        if (MK__LOAD(c->count) >= c->limit)
            mk__pool_flush(t, cls, c->limit / 2u);
        *MK__LINK(ptr, (size_t)bytes) = c->head;
        c->head = ptr;
        MK__STORE(c->count, MK__LOAD(c->count) + 1u);
    }
    if (t != NULL)
        mk__slot_exit(t);
    mk__count_free(t, intent, bytes);
    mk__budget_give(t, intent, bytes);
}

bool mk__pool_find(const void *ptr, unsigned *cls, unsigned *intent)
{
    for (unsigned pool = 0; pool < MKG_POOL_COUNT; pool++) {
        const mk__pool_range_t *r = &mk__pools[pool];
        uintptr_t off = (uintptr_t)ptr - r->base;
        if (off < r->bytes) {
            *cls = r->span_class[off >> r->span_shift];
            unsigned owner = mkg_pool_shapes[pool].owner;
            *intent = owner != MK_POOL_SHARED ? owner : r->tags[off >> MKG_ALIGNMENT_SHIFT];
            return true;
        }
    }
    return false;
}

size_t mk__pool_class_size(unsigned cls)
{
    return mkg_class_size[cls];
}

/* Every block on a global list lies on a block boundary of its class's
 * carved region, and the list's length matches its count. O(free blocks). */
bool mk__pool_validate(FILE *report)
{
    bool ok = true;
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++) {
        mk__class_state_t *cs = &mk__rt.classes[c];
        mk__lock(&cs->lock);
        uint32_t seen = 0;
        for (void *b = cs->free_head; b != NULL && seen <= cs->free_count; b = *MK__LINK(b, cs->size), seen++) {
            uintptr_t off = (uintptr_t)b - (uintptr_t)cs->base;
            if (off >= (uintptr_t)cs->carved * cs->size || off % cs->size != 0) {
                if (report != NULL)
                    fprintf(report, "memkit: pool class %u (%u B): free list holds %p, not one of its blocks\n", c,
                            cs->size, b);
                ok = false;
                break;
            }
        }
        if (ok && (seen != cs->free_count || cs->carved > cs->blocks)) {
            if (report != NULL)
                fprintf(report, "memkit: pool class %u (%u B): free list has %u blocks, count says %u\n", c, cs->size,
                        seen, cs->free_count);
            ok = false;
        }
        mk__unlock(&cs->lock);
    }
    return ok;
}

int64_t mk__pool_used_bytes(void)
{
    int64_t used = 0;
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++)
        used += MK__LOAD(mk__rt.classes[c].out) * (int64_t)mk__rt.classes[c].size;
    return used - mk__pool_cached_bytes();
}

int64_t mk__pool_cached_bytes(void)
{
    int64_t cached = 0;
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++)
        for (unsigned c = 0; c < MKG_CLASS_COUNT; c++)
            cached += (int64_t)MK__LOAD(mk__rt.threads[i].cache[c].count) * (int64_t)mk__rt.classes[c].size;
    return cached;
}

uint64_t mk__pool_capacity(void)
{
    uint64_t bytes = 0;
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++)
        bytes += mk__rt.config->pools[p].bytes;
    return bytes;
}

#else /* no pools: the tier's entry points exist but do nothing */

mk_status_t mk__pool_init(void) { return MK_OK; }
void mk__pool_fini(void) {}
void mk__pool_flush_thread(mk__thread_t *t) { (void)t; }
void mk__pool_flush_class(mk__thread_t *t, unsigned cls) { (void)t; (void)cls; }
int64_t mk__pool_cached_bytes(void) { return 0; }
void *mk__pool_alloc_slow(mk_intent_t intent, size_t size) { return mk__exhausted(intent, size, MKG_ALIGNMENT, MK_ENOMEM); }
void mk__pool_free_slow(unsigned intent, unsigned cls, void *ptr) { (void)intent; (void)cls; (void)ptr; }
bool mk__pool_find(const void *ptr, unsigned *cls, unsigned *intent) { (void)ptr; (void)cls; (void)intent; return false; }
size_t mk__pool_class_size(unsigned cls) { (void)cls; return 0; }
bool mk__pool_validate(FILE *report) { (void)report; return true; }
int64_t mk__pool_used_bytes(void) { return 0; }
uint64_t mk__pool_capacity(void) { return 0; }

#endif

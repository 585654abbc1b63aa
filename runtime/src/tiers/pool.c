/* pool.c — the pool tier: fixed size classes, per-thread magazines, and a
 * free-block bitmap per class.
 *
 * Each class owns a span-aligned region of its pool (layout computed by
 * memkit-gen). Blocks carry no header: mk_free finds the class from the
 * address through the pool's span table, and, for pools shared by several
 * intents, the intent from a byte tag per alignment granule.
 *
 * A thread allocates from and frees to its own magazine (fastpath.h). An
 * empty magazine refills half its limit from the class, a full one sends its
 * older half back, under the class lock. The class keeps its free blocks as a
 * bitmap (one bit per block, a summary bit per word of it) and hands out the
 * lowest addresses first, then blocks never handed out, carved in order: a
 * refill comes out in ascending address order whatever order the blocks were
 * freed in, so objects allocated one after another sit side by side (the
 * hardware prefetcher follows them), and the low end of a class stays dense.
 * mk_init touches no pool memory; a refill scans O(blocks / 4096) summary
 * words at worst, a flush is O(blocks moved).
 *
 * A class is exhausted only when its blocks are in use: before failing, the
 * blocks other threads keep in their magazines are recalled (recall.c). A
 * magazine is touched by its owner inside its slot's busy section, or by a
 * recalling thread while the owner is stopped.
 */
#include "internal.h"

#if MKG_POOL_COUNT > 0

mk__pool_range_t mk__pools[MKG_POOL_COUNT];

/* The multiplicative inverse of an odd m modulo 2^64 (Newton's iteration:
 * each step doubles the correct low bits, from 3 for x = m). */
static uint64_t mk__inverse_odd(uint64_t m)
{
    uint64_t x = m;
    for (unsigned i = 0; i < 5; i++)
        x *= 2u - m * x;
    return x;
}

mk_status_t mk__pool_init(void)
{
    const mk_config_t *cfg = mk__rt.config;
    uint64_t *bits[MKG_POOL_COUNT];
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        const mk_pool_layout_t *pl = &cfg->pools[p];
        unsigned char *base = pl->storage;
        uint8_t *tags = pl->tags;
        bits[p] = pl->free_bits;
        if (pl->storage_kind == MK_STORAGE_RESERVE) {
            /* bitmaps and tags are smaller than the blocks: one check covers them */
            if (!mk__size_fits(pl->bytes))
                return MK_ERANGE;
            base = mk__prim_reserve((size_t)pl->bytes);
            if (base == NULL)
                return MK_ESYSTEM;
            mk__rt.pool_mapped[p] = base;
            bits[p] = mk__prim_reserve((size_t)pl->bitmap_words * sizeof(uint64_t));
            if (bits[p] == NULL)
                return MK_ESYSTEM;
            mk__rt.bits_mapped[p] = bits[p];
            if (mkg_pool_shapes[p].owner == MK_POOL_SHARED) {
                tags = mk__prim_reserve((size_t)(pl->bytes >> MKG_ALIGNMENT_SHIFT));
                if (tags == NULL)
                    return MK_ESYSTEM;
                mk__rt.tags_mapped[p] = tags;
            }
        }
        if (pl->prefault) { /* the blocks, and what carving and mk_free write beside them */
            mk__prim_prefault(base, (size_t)pl->bytes);
            mk__prim_prefault(bits[p], (size_t)pl->bitmap_words * sizeof(uint64_t));
            if (tags != NULL)
                mk__prim_prefault(tags, (size_t)(pl->bytes >> MKG_ALIGNMENT_SHIFT));
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
        cs->size_shift = mk__ctz64(cl->size);
        cs->size_inverse = mk__inverse_odd((uint64_t)cl->size >> cs->size_shift);
        uint32_t words = (cl->blocks + 63u) / 64u;
        cs->bits = bits[cl->pool]; /* each class from a word boundary, in order */
        cs->summary = cs->bits + words;
        bits[cl->pool] += words + (words + 63u) / 64u;
        /* words are written as carving enters them: nothing to clear here */
    }
    return MK_OK;
}

void mk__pool_fini(void)
{
    for (unsigned p = 0; p < MKG_POOL_COUNT; p++) {
        const mk_pool_layout_t *pl = &mk__rt.config->pools[p];
        mk__prim_release(mk__rt.pool_mapped[p], (size_t)pl->bytes);
        mk__prim_release(mk__rt.tags_mapped[p], (size_t)(pl->bytes >> MKG_ALIGNMENT_SHIFT));
        mk__prim_release(mk__rt.bits_mapped[p], (size_t)pl->bitmap_words * sizeof(uint64_t));
        mk__rt.pool_mapped[p] = NULL;
        mk__rt.tags_mapped[p] = NULL;
        mk__rt.bits_mapped[p] = NULL;
        mk__pools[p] = (mk__pool_range_t){0};
    }
}

/* ---- a class's free blocks: the bitmap, under the class's lock ---- */

/* Takes up to `want` blocks, the lowest free addresses first, then fresh
 * ones; returns how many (n) and stores them in out[0, n) in descending
 * order, so that a magazine hands out the lowest first from its top. (The
 * class's fields are read into locals: stores through the bitmap could alias
 * them.) */
static uint32_t mk__class_take(mk__class_state_t *cs, void **out, uint32_t want)
{
    mk__lock(&cs->lock);
    uint64_t *bits = cs->bits, *summary = cs->summary;
    unsigned char *base = cs->base;
    size_t size = cs->size;
    uint32_t free_count = cs->free_count, carved = cs->carved, blocks = cs->blocks;
    uint32_t n = want;
    if (n > free_count + (blocks - carved))
        n = free_count + (blocks - carved);
    uint32_t from_bits = n < free_count ? n : free_count;
    void **next = out + n; /* filled downwards */
    if (from_bits > 0u) {
        uint32_t s = cs->hint, left = from_bits;
        while (left > 0u) {
            while (summary[s] == 0u) {
                s++; /* stops: a free block is counted, and none lies below the hint */
                MK__ASSERT(s < (blocks + 4095u) / 4096u);
            }
            uint32_t w = s * 64u + mk__ctz64(summary[s]);
            uint64_t word = bits[w];
            MK__ASSERT(word != 0u);
            while (word != 0u && left > 0u) {
                *--next = base + (size_t)(w * 64u + mk__ctz64(word)) * size;
                word &= word - 1u;
                left--;
            }
            bits[w] = word;
            if (word == 0u)
                summary[s] &= ~((uint64_t)1 << (w % 64u));
        }
        cs->hint = s;
        cs->free_count = free_count - from_bits;
    }
    for (uint32_t i = from_bits; i < n; i++, carved++) {
        if (carved % 64u == 0u) { /* a word entered for the first time: no block of it is free */
            bits[carved / 64u] = 0u;
            if (carved % 4096u == 0u)
                summary[carved / 4096u] = 0u;
        }
        *--next = base + (size_t)carved * size;
    }
    MK__ASSERT(next == out);
    cs->carved = carved;
    MK__BUMP(cs->out, (int64_t)n);
    MK__ASSERT(cs->carved <= cs->blocks && MK__LOAD(cs->out) <= (int64_t)cs->carved);
    mk__unlock(&cs->lock);
    return n;
}

/* Returns n blocks to the class's bitmap. A pointer that is not the start
 * of one of the class's blocks, or a block already free there (freed twice),
 * panics rather than corrupting the class. */
static void mk__class_put(mk__class_state_t *cs, void *const *blocks, uint32_t n)
{
    mk__lock(&cs->lock);
    uint64_t *bits = cs->bits, *summary = cs->summary;
    uintptr_t base = (uintptr_t)cs->base;
    uint32_t shift = cs->size_shift, carved = cs->carved, hint = cs->hint;
    uint64_t inverse = cs->size_inverse, low = ((uint64_t)1 << shift) - 1u;
    for (uint32_t i = 0; i < n; i++) {
        uint64_t off = (uint64_t)((uintptr_t)blocks[i] - base);
        /* exact for multiples of the size: off >> shift is a multiple of the
         * odd part, and multiplying by its inverse divides; anything else
         * lands far outside the class */
        uint64_t index = (off >> shift) * inverse;
        if (MK_UNLIKELY(index >= carved || (off & low) != 0u))
            mk__panic("mk_free: pointer is not the start of a pool block");
        uint64_t w = index / 64u, bit = (uint64_t)1 << (index % 64u), word = bits[w];
        if (MK_UNLIKELY((word & bit) != 0u))
            mk__panic("mk_free: pool block freed twice");
        bits[w] = word | bit;
        if (word == 0u) { /* the word's first free block: summarise it */
            summary[w / 64u] |= (uint64_t)1 << (w % 64u);
            if (w / 64u < hint)
                hint = (uint32_t)(w / 64u);
        }
    }
    cs->hint = hint;
    cs->free_count += n;
    MK__BUMP(cs->out, -(int64_t)n);
    MK__ASSERT(MK__LOAD(cs->out) >= 0 && cs->free_count <= cs->carved);
    mk__unlock(&cs->lock);
}

/* ---- magazines ----------------------------------------------------------------- */

/* Fills an empty magazine with up to half its limit from the class: the
 * lowest addresses come out of the top first. */
static void mk__pool_refill(mk__thread_t *t, unsigned cls)
{
    mk__class_state_t *cs = &mk__rt.classes[cls];
    mk__cache_t *c = &t->cache[cls];
    uint32_t want = c->limit / 2u > 0u ? c->limit / 2u : 1u;
    MK__ASSERT(MK__LOAD(c->count) == 0u && c->limit > 0u);
    uint32_t got = mk__class_take(cs, c->mag, want);
    MK__STORE(c->held, MK__LOAD(c->held) + (int64_t)got);
    MK__STORE(c->count, got);
}

/* Sends all but the `keep` most recently freed blocks of a magazine back to
 * the class. */
static void mk__pool_flush(mk__thread_t *t, unsigned cls, uint32_t keep)
{
    mk__cache_t *c = &t->cache[cls];
    uint32_t count = MK__LOAD(c->count);
    if (count <= keep)
        return;
    uint32_t moved = count - keep;
    mk__class_state_t *cs = &mk__rt.classes[cls];
    mk__class_put(cs, c->mag, moved);
    memmove(c->mag, c->mag + moved, (size_t)keep * sizeof *c->mag);
    MK__STORE(c->held, MK__LOAD(c->held) - (int64_t)moved);
    MK__STORE(c->count, keep);
}

void mk__pool_attach_thread(mk__thread_t *t)
{
#if MKG_CACHE_SLOTS > 0
    void **next = mk__slot(t)->mag_store;
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++) {
        const mk_class_layout_t *cl = &mk__rt.config->classes[c];
        t->cache[c].mag = next;
        t->cache[c].limit = mk__rt.config->pools[cl->pool].thread_cache;
        next += t->cache[c].limit;
    }
    MK__ASSERT(next == mk__slot(t)->mag_store + MKG_CACHE_SLOTS);
#else
    (void)t;
#endif
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

/* A block of class `cls`, from the thread's magazine refilled from the class
 * when empty (or straight from the class when the pool keeps no magazines);
 * NULL when the class has none left. Budget already taken. */
static void *mk__pool_take_refilled(mk__thread_t *t, unsigned pool, unsigned cls, unsigned intent, int64_t bytes)
{
    mk__cache_t *c = &t->cache[cls];
    void *block = NULL;
    mk__slot_enter_wait(t);
    if (c->limit == 0u) {
        if (mk__class_take(&mk__rt.classes[cls], &block, 1u) == 1u) {
            MK__STORE(c->held, MK__LOAD(c->held) + 1);
            block = mk__pool_hand_out(t, c, pool, intent, bytes, block);
        }
    } else {
        if (MK__LOAD(c->count) == 0u)
            mk__pool_refill(t, cls);
        uint32_t count = MK__LOAD(c->count);
        if (count > 0u) {
            MK__STORE(c->count, count - 1u);
            block = mk__pool_hand_out(t, c, pool, intent, bytes, c->mag[count - 1u]);
        }
    }
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
    if (size > shape->max_size) {
#if MKG_RECORD_HISTOGRAM
        MK__BUMP(t->hist[mkg_record_hist_base[pool + 1u] - 1u], 1u);
#endif
        return mk__pool_oversize(t, intent, size, MKG_ALIGNMENT);
    }
    unsigned cls = shape->size_class[(size + MK__ALIGN_MASK) >> MKG_ALIGNMENT_SHIFT];
#if MKG_RECORD_HISTOGRAM
    mk__hist_count(t, pool, cls, size);
#endif
    int64_t bytes = (int64_t)mkg_class_size[cls];
    if (!mk__budget_take(t, intent, bytes))
        return mk__exhausted(intent, size, MKG_ALIGNMENT, MK_EBUDGET);
    void *block = mk__pool_take_refilled(t, pool, cls, intent, bytes);
    /* the class is empty here: other threads' magazines may hold what is free */
    if (block == NULL && mk__recall_cache(cls))
        block = mk__pool_take_refilled(t, pool, cls, intent, bytes);
    if (block != NULL)
        return block;
    mk__budget_give(t, intent, bytes);
    return mk__exhausted(intent, size, MKG_ALIGNMENT, MK_ENOMEM);
}

void mk__pool_free_slow(unsigned pool, unsigned intent, unsigned cls, void *ptr)
{
    int64_t bytes = (int64_t)mkg_class_size[cls];
    mk__pool_scrub(intent, ptr, (size_t)bytes);
    mk__thread_t *t = mk__thread();
    if (t == NULL) { /* a thread that could not attach: straight back to the class */
        mk__class_put(&mk__rt.classes[cls], &ptr, 1u);
        mk__count_free(NULL, intent, bytes);
        mk__budget_give(NULL, intent, bytes);
        return;
    }
    mk__cache_t *c = &t->cache[cls];
    mk__slot_enter_wait(t);
    if (c->limit == 0u) { /* no magazine to keep it in */
        mk__class_put(&mk__rt.classes[cls], &ptr, 1u);
        MK__STORE(c->held, MK__LOAD(c->held) - 1);
    } else {
        if (MK__LOAD(c->count) >= c->limit)
            mk__pool_flush(t, cls, c->limit / 2u);
        uint32_t count = MK__LOAD(c->count);
        c->mag[count] = ptr;
        MK__STORE(c->count, count + 1u);
    }
    mk__pool_count_free(t, pool, intent, bytes);
    mk__slot_exit(t);
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

/* Pool-tier counts of the intent a class of a one-intent pool belongs to, on
 * thread t: allocations, and frees derived from them (mk__cache_t). */
void mk__pool_class_counts(const mk__thread_t *t, unsigned intent, uint64_t *allocs, uint64_t *frees)
{
    *allocs = *frees = 0;
    const mk_route_t *r = &mk__rt.config->routes[intent];
    if (r->tier != MK_TIER_POOL || mkg_pool_shapes[r->pool].owner != intent)
        return;
    const mk_pool_layout_t *pl = &mk__rt.config->pools[r->pool];
    for (unsigned c = pl->first_class; c < (unsigned)pl->first_class + pl->class_count; c++) {
        const mk__cache_t *cache = &t->cache[c];
        uint64_t a = MK__LOAD(cache->allocs);
        int64_t out = MK__LOAD(cache->held) - (int64_t)MK__LOAD(cache->count);
        *allocs += a;
        /* read while the owner runs, the three can disagree for a moment
         * (count stored before allocs): never report a negative count */
        *frees += out <= 0 || (uint64_t)out <= a ? a - (uint64_t)out : 0u;
    }
}

/* The bitmap of every class matches its counts: free_count set bits below
 * `carved`, a summary bit for exactly the non-zero words, nothing below the
 * hint. O(blocks / 64). */
bool mk__pool_validate(const mk__out_t *report)
{
    bool ok = true;
    for (unsigned c = 0; c < MKG_CLASS_COUNT && ok; c++) {
        mk__class_state_t *cs = &mk__rt.classes[c];
        mk__lock(&cs->lock);
        uint32_t words = (cs->carved + 63u) / 64u;
        uint32_t seen = 0;
        const char *wrong = NULL;
        for (uint32_t w = 0; w < words && wrong == NULL; w++) {
            uint64_t word = cs->bits[w];
            if (w == cs->carved / 64u && cs->carved % 64u != 0u && (word >> (cs->carved % 64u)) != 0u)
                wrong = "a block never handed out is marked free";
            bool summary = (cs->summary[w / 64u] >> (w % 64u) & 1u) != 0u;
            if (summary != (word != 0u))
                wrong = "its summary disagrees with a word";
            if (word != 0u && w / 64u < cs->hint)
                wrong = "a free block lies below the scan hint";
            seen += mk__popcount64(word);
        }
        if (wrong == NULL && (seen != cs->free_count || cs->carved > cs->blocks))
            wrong = "the free blocks do not add up to its count";
        if (wrong != NULL) {
            /* (unsigned): uint32_t is unsigned long on some targets (arm-none-eabi) */
            mk__outf(report, "memkit: pool class %u (%u B): %s (%u free marked, count %u)", c, (unsigned)cs->size,
                     wrong, (unsigned)seen, (unsigned)cs->free_count);
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
            cached += (int64_t)MK__LOAD(mk__rt.threads[i].hot.cache[c].count) * (int64_t)mk__rt.classes[c].size;
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
void mk__pool_attach_thread(mk__thread_t *t) { (void)t; }
void mk__pool_flush_thread(mk__thread_t *t) { (void)t; }
void mk__pool_flush_class(mk__thread_t *t, unsigned cls) { (void)t; (void)cls; }
int64_t mk__pool_cached_bytes(void) { return 0; }
void *mk__pool_alloc_slow(mk_intent_t intent, size_t size) { return mk__exhausted(intent, size, MKG_ALIGNMENT, MK_ENOMEM); }
void mk__pool_free_slow(unsigned pool, unsigned intent, unsigned cls, void *ptr) { (void)pool; (void)intent; (void)cls; (void)ptr; }
bool mk__pool_find(const void *ptr, unsigned *cls, unsigned *intent) { (void)ptr; (void)cls; (void)intent; return false; }
size_t mk__pool_class_size(unsigned cls) { (void)cls; return 0; }
void mk__pool_class_counts(const mk__thread_t *t, unsigned intent, uint64_t *allocs, uint64_t *frees) { (void)t; (void)intent; *allocs = *frees = 0; }
bool mk__pool_validate(const mk__out_t *report) { (void)report; return true; }
int64_t mk__pool_used_bytes(void) { return 0; }
uint64_t mk__pool_capacity(void) { return 0; }

#endif

/* heap_cache.c — the heap tier's per-thread front: the slow side.
 *
 * The fast side is in memkit/fastpath.h: a heap request of up to 16 KiB pops a
 * block from the calling thread's magazine for its size bin, and mk_free of a
 * heap block pushes it onto the freeing thread's magazine for the largest bin
 * it holds. Neither takes the heap lock.
 *
 * Here: an empty magazine is refilled with up to half its limit of blocks of
 * exactly the bin's size, carved under one hold of the heap lock (a request is
 * rounded up to its bin so that the block serves the same request again: at
 * most 1/8 more than asked for above 256 B, charged to the budget like any
 * usable byte); a full one sends its older half back to the heap. A thread's
 * magazines go back when it exits, and every thread's are recalled
 * (recall.c) before a heap request fails. The heap's O(1) bound holds: a
 * refill or flush is at most thread_cache / 2 heap operations.
 *
 * Cached blocks are allocated blocks to the heap (mk_validate checks each);
 * to the budgets and stats they are free.
 */
#include "internal.h"

#if MK__HEAP_FRONT

uint8_t mk__heap_bin_table[(MK__HEAP_CACHE_MAX + 2048u) / 16u + 1u];

void mk__heap_cache_init(void)
{
    mk__heap_bin_table[0] = 0; /* size 0 never reaches the front */
    for (unsigned k = 1; k < sizeof mk__heap_bin_table; k++)
        mk__heap_bin_table[k] = (uint8_t)mk__heap_bin_up((size_t)k * 16u);
}

void mk__heap_cache_attach(mk__thread_t *t)
{
    t->heap_limit = MKG_HEAP_THREAD_CACHE;
}

/* Fills an empty magazine of `bin`; lowest addresses come out first. */
static void mk__heap_cache_refill(mk__thread_t *t, unsigned bin)
{
    uint32_t want = MKG_HEAP_THREAD_CACHE / 2u > 0u ? MKG_HEAP_THREAD_CACHE / 2u : 1u;
    size_t size = mk__heap_bin_size(bin);
    void **mag = t->heap_mag[bin];
    uint32_t got = 0;
    mk__lock(&mk__rt.heap_lock);
    while (got < want && (mag[got] = mk__heap_alloc(&mk__rt.heap, size, MKG_ALIGNMENT, 0)) != NULL)
        got++;
    mk__unlock(&mk__rt.heap_lock);
    for (uint32_t i = 0; i < got / 2u; i++) {
        void *low = mag[i];
        mag[i] = mag[got - 1u - i];
        mag[got - 1u - i] = low;
    }
    MK__STORE(t->heap_count[bin], got);
}

/* Sends all but the `keep` most recently freed blocks of a magazine back. */
static void mk__heap_cache_flush(mk__thread_t *t, unsigned bin, uint32_t keep)
{
    uint32_t count = MK__LOAD(t->heap_count[bin]);
    if (count <= keep)
        return;
    uint32_t moved = count - keep;
    void **mag = t->heap_mag[bin];
    mk__lock(&mk__rt.heap_lock);
    for (uint32_t i = 0; i < moved; i++)
        mk__heap_free(&mk__rt.heap, mag[i]);
    MK__ASSERT_EXPENSIVE(mk__heap_check(&mk__rt.heap));
    mk__unlock(&mk__rt.heap_lock);
    memmove(mag, mag + moved, (size_t)keep * sizeof *mag);
    MK__STORE(t->heap_count[bin], keep);
}

/* Every magazine of a stopped or entered slot back to the heap. */
static void mk__heap_cache_flush_all(mk__thread_t *t, unsigned unused)
{
    (void)unused;
    for (unsigned bin = 0; bin < MK__HEAP_BINS; bin++)
        mk__heap_cache_flush(t, bin, 0);
}

static bool mk__heap_cache_holds(const mk__thread_t *t, unsigned unused)
{
    (void)unused;
    for (unsigned bin = 0; bin < MK__HEAP_BINS; bin++)
        if (MK__LOAD(t->heap_count[bin]) > 0u)
            return true;
    return false;
}

void mk__heap_cache_flush_thread(mk__thread_t *t)
{
    mk__slot_enter_wait(t);
    mk__heap_cache_flush_all(t, 0);
    mk__slot_exit(t);
}

bool mk__heap_cache_recall(mk__thread_t *self)
{
    bool own = self != NULL && mk__heap_cache_holds(self, 0);
    if (own)
        mk__heap_cache_flush_thread(self);
    bool others = mk__recall(mk__heap_cache_holds, mk__heap_cache_flush_all, 0);
    return own || others;
}

/* The top block of a bin's magazine, refilled when empty; NULL when the heap
 * has no block of the bin's size. */
static void *mk__heap_cache_pop(mk__thread_t *t, unsigned bin)
{
    void *p = NULL;
    mk__slot_enter_wait(t);
    if (MK__LOAD(t->heap_count[bin]) == 0u)
        mk__heap_cache_refill(t, bin);
    uint32_t count = MK__LOAD(t->heap_count[bin]);
    if (count > 0u) {
        p = t->heap_mag[bin][count - 1u];
        MK__STORE(t->heap_count[bin], count - 1u);
    }
    mk__slot_exit(t);
    return p;
}

void *mk__heap_cache_serve(mk__thread_t *t, unsigned intent, size_t size, mk_status_t *reason)
{
    unsigned bin = MK__HEAP_BIN_FOR(size);
    void *p = mk__heap_cache_pop(t, bin);
    if (p == NULL && mk__heap_cache_recall(t)) /* blocks parked in fronts may make room */
        p = mk__heap_cache_pop(t, bin);
    if (p == NULL) {
        *reason = MK_ENOMEM; /* the heap is full even of cached blocks: the caller tries the system */
        return NULL;
    }
    MK__ATOMIC(uint64_t) *word = mk__heap_word(p);
    int64_t bytes = (int64_t)(MK__LOAD(*word) & MK__HEAP_SIZE_MASK) - 16;
    if (!mk__budget_take(t, intent, bytes)) {
        /* the bin's block (rounded up, or one a bin step larger that a free
         * put here) is more than the budget allows: it goes back to the heap,
         * and the caller tries a block of the size asked, as without a front */
        mk__lock(&mk__rt.heap_lock);
        mk__heap_free(&mk__rt.heap, p);
        mk__unlock(&mk__rt.heap_lock);
        *reason = MK_OK;
        return NULL;
    }
    MK__STORE(*word, (MK__LOAD(*word) & MK__HEAP_SIZE_MASK) | ((uint64_t)intent << MK__HEAP_TAG_SHIFT));
    mk__count_alloc(t, intent, bytes);
    return p;
}

bool mk__heap_cache_keep(mk__thread_t *t, void *ptr, size_t bytes)
{
    if (t == NULL || t->heap_limit == 0u || bytes > MK__HEAP_CACHE_MAX + 2032u)
        return false;
    unsigned bin = MK__HEAP_BIN_HELD(bytes);
    mk__slot_enter_wait(t);
    if (MK__LOAD(t->heap_count[bin]) >= t->heap_limit)
        mk__heap_cache_flush(t, bin, t->heap_limit / 2u);
    uint32_t count = MK__LOAD(t->heap_count[bin]);
    t->heap_mag[bin][count] = ptr;
    MK__STORE(t->heap_count[bin], count + 1u);
    mk__slot_exit(t);
    return true;
}

int64_t mk__heap_cache_bytes(void)
{
    int64_t bytes = 0;
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++)
        for (unsigned bin = 0; bin < MK__HEAP_BINS; bin++)
            bytes += (int64_t)MK__LOAD(mk__rt.threads[i].hot.heap_count[bin]) * (int64_t)(mk__heap_bin_size(bin) + 16u);
    return bytes;
}

bool mk__heap_cache_validate(const mk__out_t *report)
{
    /* the calling thread's magazines only: another thread's change under it
     * without a lock (a recall would have to stop every thread to look) */
    mk__thread_t *t = mk__self;
    if (mk__slot(t)->generation != mk__rt.generation || t->heap_limit == 0u)
        return true;
    bool ok = true;
    mk__slot_enter_wait(t);
    mk__lock(&mk__rt.heap_lock);
    for (unsigned bin = 0; bin < MK__HEAP_BINS && ok; bin++) {
        uint32_t count = MK__LOAD(t->heap_count[bin]);
        for (uint32_t k = 0; k < count && ok; k++) {
            void *p = t->heap_mag[bin][k];
            if (count > MKG_HEAP_THREAD_CACHE || !mk__heap_is_block(&mk__rt.heap, p) ||
                mk__heap_usable_size(p) < mk__heap_bin_size(bin)) {
                if (report != NULL)
                    mk__outf(report, "memkit: heap: this thread's cache of %zu-byte blocks holds %p, not such a block",
                             mk__heap_bin_size(bin), p);
                ok = false;
            }
        }
    }
    mk__unlock(&mk__rt.heap_lock);
    mk__slot_exit(t);
    return ok;
}

#else /* no heap front (no heap, thread_cache = 0, or a tool is told about blocks) */

void mk__heap_cache_init(void) {}
void mk__heap_cache_attach(mk__thread_t *t) { (void)t; }
void mk__heap_cache_flush_thread(mk__thread_t *t) { (void)t; }
bool mk__heap_cache_recall(mk__thread_t *self) { (void)self; return false; }
void *mk__heap_cache_serve(mk__thread_t *t, unsigned intent, size_t size, mk_status_t *reason)
{
    (void)t;
    (void)intent;
    (void)size;
    *reason = MK_ENOMEM;
    return NULL;
}
bool mk__heap_cache_keep(mk__thread_t *t, void *ptr, size_t bytes) { (void)t; (void)ptr; (void)bytes; return false; }
int64_t mk__heap_cache_bytes(void) { return 0; }
bool mk__heap_cache_validate(const mk__out_t *report) { (void)report; return true; }

#endif

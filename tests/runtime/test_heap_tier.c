/* test_heap_tier.c — the heap tier as seen through the public API (config
 * tests/configs/basic.toml: `blob` is a heap intent with no budget of its own
 * and zero_on_free = true; the heap is 1 MiB with fallback = "none"; total
 * budget 4 MiB; `entity` is a pool intent used for a calloc-on-a-dirty-block
 * check). Covers the alloc/free round trip, alignment (default and 32..4096),
 * calloc zeroing and overflow, realloc (in place, moving, shrinking),
 * zero_on_free, exhaustion (ENOMEM, failure counts, usage back to zero) and the
 * per-intent current/peak figures, and mk_owns. The algorithm itself (TLSF) is tested by
 * test_heap.c.
 */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

static int is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static void test_round_trip(void)
{
    static const size_t sizes[] = {1, 15, 16, 17, 100, 255, 256, 1000, 4096, 65536, 100000};
    void *blocks[sizeof sizes / sizeof sizes[0]];
    uint64_t sum = 0;
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        blocks[i] = mk_alloc(MK_INTENT_BLOB, sizes[i]);
        CHECK(blocks[i] != NULL);
        CHECK(is_aligned(blocks[i], 16));
        CHECK(mk_usable_size(blocks[i]) >= sizes[i]);
        memset(blocks[i], (int)i + 1, sizes[i]);
        sum += mk_usable_size(blocks[i]);
    }
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        const unsigned char *b = blocks[i];
        CHECK(b[0] == (unsigned char)(i + 1) && b[sizes[i] - 1] == (unsigned char)(i + 1));
    }
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_BLOB].current, sum);
    CHECK(s.tiers[MK_TIER_HEAP].used >= sum); /* headers included */
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
        mk_free(blocks[i]);
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].allocations, sizeof sizes / sizeof sizes[0]);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].frees, sizeof sizes / sizeof sizes[0]);
    mk_free(NULL); /* ignored */
    CHECK_EQ(mk_usable_size(NULL), 0u);
}

static void test_aligned(void)
{
    void *blocks[8];
    int n = 0;
    for (size_t align = 32; align <= 4096; align *= 2) {
        unsigned char *p = mk_alloc_aligned(MK_INTENT_BLOB, 40, align);
        CHECK(p != NULL);
        CHECK(is_aligned(p, align));
        CHECK(mk_usable_size(p) >= 40u);
        memset(p, 0xEE, 40);
        blocks[n++] = p;
    }
    /* small alignments mean MKG_ALIGNMENT; a non power of two is refused */
    void *small = mk_alloc_aligned(MK_INTENT_BLOB, 40, 1);
    CHECK(small != NULL && is_aligned(small, MKG_ALIGNMENT));
    void *zero = mk_alloc_aligned(MK_INTENT_BLOB, 40, 0);
    CHECK(zero != NULL && is_aligned(zero, MKG_ALIGNMENT));
    mk_free(zero);
    CHECK(mk_alloc_aligned(MK_INTENT_BLOB, 40, 3000) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    mk_free(small);
    for (int i = 0; i < n; i++)
        mk_free(blocks[i]);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].current, 0u);
}

static void test_calloc(void)
{
    /* blob: a freed block keeps free-list links in its first bytes */
    unsigned char *p = mk_alloc(MK_INTENT_BLOB, 512);
    CHECK(p != NULL);
    memset(p, 0xFF, 512);
    mk_free(p);
    unsigned char *q = mk_calloc(MK_INTENT_BLOB, 64, 8);
    CHECK(q == p); /* the same block comes back (good fit from a fresh heap) */
    int nonzero = 0;
    for (size_t i = 0; i < 512; i++)
        nonzero += q[i] != 0;
    CHECK_EQ(nonzero, 0);
    mk_free(q);

    /* entity (pool, no zero_on_free): the freed block is dirty */
    unsigned char *e = mk_alloc(MK_INTENT_ENTITY, 64);
    CHECK(e != NULL);
    memset(e, 0xA5, 64);
    mk_free(e);
    unsigned char *z = mk_calloc(MK_INTENT_ENTITY, 4, 16);
    CHECK(z == e);
    nonzero = 0;
    for (size_t i = 0; i < 64; i++)
        nonzero += z[i] != 0;
    CHECK_EQ(nonzero, 0);
    mk_free(z);

    CHECK(mk_calloc(MK_INTENT_BLOB, SIZE_MAX / 2, 4) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_calloc(MK_INTENT_BLOB, 4, SIZE_MAX / 2) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
}

static void test_realloc(void)
{
    /* above the per-thread front's 16 KiB: a front refill would carve
     * neighbours of a block in advance */
    unsigned char *a = mk_alloc(MK_INTENT_BLOB, 20000);
    CHECK(a != NULL);
    for (int i = 0; i < 256; i++)
        a[i] = (unsigned char)i;
    /* a is the last block: its neighbour is the free remainder, so it grows in place */
    unsigned char *g = mk_realloc(MK_INTENT_BLOB, a, 40000);
    CHECK(g == a);
    CHECK(mk_usable_size(g) >= 40000u);
    for (int i = 0; i < 256; i++)
        CHECK(g[i] == (unsigned char)i);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).current, mk_usable_size(g));
    /* shrinking keeps the pointer */
    CHECK(mk_realloc(MK_INTENT_BLOB, g, 100) == g);
    for (int i = 0; i < 100; i++)
        CHECK(g[i] == (unsigned char)i);

    /* a busy neighbour: the block moves, contents preserved, old block freed */
    unsigned char *b = mk_alloc(MK_INTENT_BLOB, 20000);
    CHECK(b != NULL);
    size_t old_usable = mk_usable_size(g);
    for (size_t i = 0; i < old_usable; i++)
        g[i] = (unsigned char)(i * 7);
    unsigned char *m = mk_realloc(MK_INTENT_BLOB, g, old_usable + 4096);
    CHECK(m != NULL && m != g);
    CHECK(mk_usable_size(m) >= old_usable + 4096);
    int bad = 0;
    for (size_t i = 0; i < old_usable; i++)
        bad += m[i] != (unsigned char)(i * 7);
    CHECK_EQ(bad, 0);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, mk_usable_size(m) + mk_usable_size(b));
    CHECK_EQ(s.frees, 1u);

    /* a failed realloc leaves the block untouched */
    CHECK(mk_realloc(MK_INTENT_BLOB, b, 2u << 20) == NULL);
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).current, mk_usable_size(m) + mk_usable_size(b));
    mk_free(m);
    CHECK(mk_realloc(MK_INTENT_BLOB, b, 0) == NULL);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).current, 0u);
}

static void test_zero_on_free(void)
{
    enum { N = 1024 };
    unsigned char *keep = mk_alloc(MK_INTENT_BLOB, 64); /* neighbours, so no coalescing at the front */
    unsigned char *p = mk_alloc(MK_INTENT_BLOB, N);
    unsigned char *after = mk_alloc(MK_INTENT_BLOB, 64);
    CHECK(keep != NULL && p != NULL && after != NULL);
    memset(p, 0xC3, N);
    mk_free(p);
    mk_track_open(p, N); /* white box: look at freed memory (poisoned in ASan/Valgrind builds) */
    /* the heap region is memkit's static storage, still mapped */
    volatile const unsigned char *v = p;
    int nonzero = 0;
    for (size_t i = 16; i < N - 16; i++)
        nonzero += v[i] != 0;
    CHECK_EQ(nonzero, 0);
    /* a non-zero_on_free intent keeps its bytes (here: entity over-aligned on the heap) */
    unsigned char *e = mk_alloc_aligned(MK_INTENT_ENTITY, 256, 64);
    CHECK(e != NULL);
    memset(e, 0xC3, 256);
    mk_free(e);
    mk_track_open(e, 256); /* white box, as above */
    volatile const unsigned char *ve = e;
    nonzero = 0;
    for (size_t i = 16; i < 256 - 16; i++)
        nonzero += ve[i] != 0;
    CHECK(nonzero > 0);
    mk_free(keep);
    mk_free(after);
}

#define MAX_BLOCKS 64

static void test_exhaustion(void)
{
    CHECK(mk_alloc(MK_INTENT_BLOB, 2u << 20) == NULL);
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).failures, 1u);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).allocations, 0u);

    void *blocks[MAX_BLOCKS];
    int n = 0;
    while (n < MAX_BLOCKS && (blocks[n] = mk_alloc(MK_INTENT_BLOB, 64u << 10)) != NULL)
        n++;
    CHECK(n < MAX_BLOCKS);
    CHECK(n >= 14); /* 1 MiB holds 15 blocks of 64 KiB plus headers, give or take one */
    CHECK(n <= 16);
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_BLOB].failures, 2u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].allocations, (uint64_t)n);
    CHECK(s.tiers[MK_TIER_HEAP].used >= (uint64_t)n * (64u << 10));
    CHECK(s.tiers[MK_TIER_HEAP].used <= s.tiers[MK_TIER_HEAP].capacity);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].capacity, 1u << 20);
    /* the heap is not a budget: a smaller block may still fit in what is left */
    for (int i = 0; i < n; i++)
        mk_free(blocks[i]);
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].current, 0u);
    CHECK(s.tiers[MK_TIER_HEAP].peak >= (uint64_t)n * (64u << 10));
    /* everything coalesced: a block of most of the heap fits again */
    void *big = mk_alloc(MK_INTENT_BLOB, 900u << 10);
    CHECK(big != NULL);
    mk_free(big);
}

/* Issue 8: the heap's per-thread front (thread_cache = 4 in basic.toml). A
 * freed block waits in the freeing thread's magazine for its size bin; the
 * next request of the bin takes it back. It is free to the budgets and the
 * intent's stats, and shown as cached, apart from what is in use. (Off when
 * AddressSanitizer or Valgrind are told about blocks.) */
static void test_front_reuses_a_freed_block(void)
{
#if MK__HEAP_FRONT
    void *p = mk_alloc(MK_INTENT_BLOB, 1000);
    CHECK(p != NULL);
    CHECK_EQ(mk_usable_size(p), 1024u); /* rounded up to its bin: 1/8 steps above 256 B */
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).current, 1024u);
    mk_free(p);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_BLOB].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].frees, 1u);
    CHECK(s.tiers[MK_TIER_HEAP].cached >= 1024u);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    void *q = mk_alloc(MK_INTENT_BLOB, 1010); /* the same bin */
    CHECK(q == p);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).allocations, 2u);
    mk_free(q);
    CHECK_EQ(mk_validate(), MK_OK);
#endif
}

#if MK__HEAP_FRONT
/* Frees 60 blocks of 16000 B (the whole heap) so that the two freed last,
 * in the middle of the heap, stay in this thread's magazine: the heap is
 * then two free halves around them. */
static void free_all_but_keep_the_middle(void **blocks, int n)
{
    for (int i = 0; i < n; i++)
        if (i != n / 2 && i != n / 2 + 1)
            mk_free(blocks[i]);
    mk_free(blocks[n / 2]);
    mk_free(blocks[n / 2 + 1]);
}

static int fill_with_16000(void **blocks, int max)
{
    int n = 0;
    while (n < max && (blocks[n] = mk_alloc(MK_INTENT_BLOB, 16000)) != NULL)
        n++;
    return n;
}
#endif

/* Blocks parked in a front come back to the heap before a request fails:
 * this thread's own, then (below) an idle thread's. */
static void test_front_gives_back_before_failing(void)
{
#if MK__HEAP_FRONT
    void *blocks[128];
    int n = fill_with_16000(blocks, 128);
    CHECK(n >= 50);
    free_all_but_keep_the_middle(blocks, n);
    CHECK(check_stats().tiers[MK_TIER_HEAP].cached > 0u);
    void *big = mk_alloc(MK_INTENT_BLOB, 700u << 10); /* more than either free half */
    CHECK(big != NULL);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].cached, 0u);
    mk_free(big);
    CHECK_EQ(mk_validate(), MK_OK);
#endif
}

#if MK__HEAP_FRONT
static atomic_int idler_state; /* 1: blocks freed, idling; 2: may exit */

static void *idle_holding_blocks(void *arg)
{
    (void)arg;
    void *blocks[128];
    int n = fill_with_16000(blocks, 128);
    CHECK(n >= 50);
    free_all_but_keep_the_middle(blocks, n);
    atomic_store(&idler_state, 1);
    while (atomic_load(&idler_state) != 2)
        sched_yield();
    return NULL;
}
#endif

static void test_front_of_an_idle_thread_is_recalled(void)
{
#if MK__HEAP_FRONT
    atomic_store(&idler_state, 0);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, idle_holding_blocks, NULL) == 0);
    while (atomic_load(&idler_state) != 1)
        sched_yield();
    CHECK(check_stats().tiers[MK_TIER_HEAP].cached > 0u);
    void *big = mk_alloc(MK_INTENT_BLOB, 700u << 10);
    CHECK(big != NULL); /* the idle thread's magazine was recalled */
    atomic_store(&idler_state, 2);
    CHECK(pthread_join(t, NULL) == 0);
    mk_free(big);
    CHECK_EQ(mk_validate(), MK_OK);
#endif
}

/* A block in a bin's magazine can be up to a bin step larger than the bin (a
 * free puts a block where the largest bin it holds is). When the budget
 * refuses that block, it goes back to the heap and the request gets a block
 * of the size asked, as without a front: `tight` has 300 B of budget. */
static void test_front_falls_back_to_the_size_asked(void)
{
    unsigned char *b = mk_alloc(MK_INTENT_BLOB, 1000);
    CHECK(b != NULL);
    b = mk_realloc(MK_INTENT_BLOB, b, 300); /* shrunk in place: 304 usable bytes */
    CHECK(b != NULL);
    mk_free(b);                             /* into the 288-byte bin, on top */
    for (int i = 0; i < 3; i++) {
        void *p = mk_alloc(MK_INTENT_TIGHT, 260);
        CHECK(p != NULL);
        CHECK(mk_usable_size(p) <= 300u);
        mk_free(p);
    }
    CHECK_EQ(check_intent_stats(MK_INTENT_TIGHT).failures, 0u);
    CHECK_EQ(mk_validate(), MK_OK);
}

/* A heap block freed twice stops the program when the heap sees it free (a
 * block beyond the front's 16 KiB goes straight back to the heap). */
static void free_heap_block_twice(void)
{
    void *p = mk_alloc(MK_INTENT_BLOB, 20000);
    mk_free(p);
    mk_free(p);
}

static void test_double_free_stops(void)
{
    EXPECT_DEATH(free_heap_block_twice(), "heap block freed twice");
}

static void test_stats_current_and_peak(void)
{
    void *blocks[20];
    uint64_t live = 0, high = 0;
    for (int i = 0; i < 20; i++) {
        blocks[i] = mk_alloc(MK_INTENT_BLOB, (size_t)(100 + i * 333));
        CHECK(blocks[i] != NULL);
        live += mk_usable_size(blocks[i]);
    }
    high = live;
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, live);
    CHECK_EQ(s.peak, high);
    for (int i = 0; i < 20; i += 2) {
        live -= mk_usable_size(blocks[i]);
        mk_free(blocks[i]);
    }
    s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, live);
    CHECK_EQ(s.peak, high); /* the high-water mark stays */
    CHECK(s.peak >= s.current);
    for (int i = 1; i < 20; i += 2)
        mk_free(blocks[i]);
    s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, 0u);
    CHECK_EQ(s.peak, high);
}

/* Issue 7 item 12: shrinking a large heap block kept all of it allocated and
 * charged. A shrink stays in place and gives its tail back. */
static void test_realloc_shrink_returns_tail(void)
{
    unsigned char *p = mk_alloc(MK_INTENT_BLOB, 512u << 10);
    CHECK(p != NULL);
    memset(p, 0x5a, 16);
    unsigned char *q = mk_realloc(MK_INTENT_BLOB, p, 16);
    CHECK(q == p);
    for (unsigned i = 0; i < 16; i++)
        CHECK(q[i] == 0x5a);
    mk_stats_t s = check_stats();
    CHECK(s.intents[MK_INTENT_BLOB].current <= 64u);
    CHECK(s.tiers[MK_TIER_HEAP].used <= 256u);
    /* the tail is free again: another block of most of the heap fits */
    void *big = mk_alloc(MK_INTENT_BLOB, 768u << 10);
    CHECK(big != NULL);
    mk_free(big);
    mk_free(q);
    CHECK_EQ(check_intent_stats(MK_INTENT_BLOB).current, 0u);
}

/* mk_owns: the address ranges of the pools, the heap and the frame arenas;
 * not malloc's blocks, not before mk_init, not after mk_shutdown. */
static unsigned char *owned_after_shutdown;
static void test_owns(void)
{
    unsigned char *heap = mk_alloc(MK_INTENT_BLOB, 1000);
    unsigned char *pool = mk_alloc(MK_INTENT_ENTITY, 32);
    unsigned char *frame = mk_alloc(MK_INTENT_SCRATCH, 64);
    CHECK(heap != NULL && pool != NULL && frame != NULL);
    CHECK(mk_owns(heap) && mk_owns(heap + 999) && mk_owns(pool) && mk_owns(pool + 31) && mk_owns(frame));
    CHECK(!mk_owns(NULL));
    void *libc = malloc(64);
    int on_stack = 0;
    CHECK(!mk_owns(libc) && !mk_owns(&on_stack) && !mk_owns(&owned_after_shutdown));
    free(libc);
    mk_free(heap);
    CHECK(mk_owns(heap)); /* an address test: a freed block is still in the heap */
    mk_free(pool);
    owned_after_shutdown = pool;
}

int main(void)
{
    CHECK(!mk_owns(&owned_after_shutdown)); /* before mk_init: no ranges */
    RUN(test_round_trip);
    RUN(test_aligned);
    RUN(test_calloc);
    RUN(test_realloc);
    RUN(test_zero_on_free);
    RUN(test_exhaustion);
    RUN(test_stats_current_and_peak);
    RUN(test_front_reuses_a_freed_block);
    RUN(test_front_gives_back_before_failing);
    RUN(test_front_of_an_idle_thread_is_recalled);
    RUN(test_front_falls_back_to_the_size_asked);
    RUN(test_double_free_stops);
    RUN(test_realloc_shrink_returns_tail);
    RUN(test_owns);
    CHECK(!mk_owns(owned_after_shutdown)); /* after mk_shutdown: the pools are gone */
    return check_finish("heap_tier");
}

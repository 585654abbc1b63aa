/* test_pool.c — the pool tier (config tests/configs/basic.toml: pool `small`
 * with classes 16/32/64 of 4096/2048/1024 blocks and thread_cache = 8, shared
 * by `entity` (budget 48 KiB, on_exhausted = "fail") and `particle` (no budget
 * of its own, on_exhausted = "fallback" to the 1 MiB heap); total budget 4 MiB).
 * Covers size -> class mapping and alignment, the absence of a block header,
 * LIFO reuse through the thread cache (mk_free and mk_free_sized), contents
 * integrity, class exhaustion with heap fallback, the entity budget, intent
 * attribution of blocks in a shared pool through mk_free, realloc of pool
 * blocks, oversized requests and over-aligned requests (served by the heap).
 * mk_thread_detach is used to flush the thread cache so that pool tier usage
 * can be compared exactly.
 */
#include "check.h"

#include <stdint.h>

static int is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static size_t expected_class(size_t n) { return n <= 16 ? 16 : n <= 32 ? 32 : 64; }

static void test_size_to_class(void)
{
    for (size_t n = 1; n <= 64; n++) {
        void *p = mk_alloc(MK_INTENT_ENTITY, n);
        CHECK(p != NULL);
        CHECK(is_aligned(p, MKG_ALIGNMENT));
        CHECK_EQ(mk_usable_size(p), expected_class(n));
        mk_free(p);
    }
    void *z = mk_alloc(MK_INTENT_ENTITY, 0); /* size 0 takes the smallest class */
    CHECK(z != NULL);
    CHECK_EQ(mk_usable_size(z), 16u);
    mk_free(z);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
}

/* Blocks are carved back to back from the class region: no header. */
static void test_no_header(void)
{
    unsigned char *a = mk_alloc(MK_INTENT_ENTITY, 16);
    unsigned char *b = mk_alloc(MK_INTENT_ENTITY, 16);
    CHECK(a != NULL && b != NULL);
    uintptr_t d = (uintptr_t)a > (uintptr_t)b ? (uintptr_t)a - (uintptr_t)b : (uintptr_t)b - (uintptr_t)a;
    CHECK_EQ(d, 16u);
    /* the whole 16 bytes are usable: writing them leaves the neighbour intact */
    memset(a, 0xAA, 16);
    memset(b, 0xBB, 16);
    for (int i = 0; i < 16; i++)
        CHECK(a[i] == 0xAA && b[i] == 0xBB);
    mk_free(a);
    mk_free(b);
}

static void test_lifo_reuse(void)
{
    void *keep = mk_alloc(MK_INTENT_ENTITY, 32); /* so the cache is not simply empty */
    void *p = mk_alloc(MK_INTENT_ENTITY, 24);
    CHECK(p != NULL && keep != NULL);
    mk_free(p);
    void *q = mk_alloc(MK_INTENT_ENTITY, 30); /* same class (32) */
    CHECK(q == p);
    mk_free_sized(MK_INTENT_ENTITY, q, 30);
    void *r = mk_alloc(MK_INTENT_ENTITY, 17);
    CHECK(r == p);
    /* two frees come back in reverse order */
    mk_free_sized(MK_INTENT_ENTITY, r, 17);
    mk_free_sized(MK_INTENT_ENTITY, keep, 32);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 32) == keep);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 32) == p);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 64u);
    CHECK_EQ(s.allocations, 6u);
    CHECK_EQ(s.frees, 4u);
}

/* Issue 8: reuse order is part of performance. After a free storm in random
 * order, successive allocations of one class come back in ascending address
 * order, side by side (the class hands out its lowest free blocks first),
 * except the few the thread's magazine kept from the storm. */
static void test_reuse_after_free_storm_is_ascending(void)
{
    enum { N = 1024 }; /* of the 2048 blocks of 32 B */
    static void *blocks[N];
    for (unsigned i = 0; i < N; i++) {
        blocks[i] = mk_alloc(MK_INTENT_PARTICLE, 32);
        CHECK(blocks[i] != NULL);
    }
    uint64_t x = 0x9e3779b97f4a7c15u; /* xorshift64: a fixed random order */
    for (unsigned i = N - 1; i > 0; i--) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        unsigned j = (unsigned)(x % (i + 1u));
        void *t = blocks[i];
        blocks[i] = blocks[j];
        blocks[j] = t;
    }
    for (unsigned i = 0; i < N; i++)
        mk_free(blocks[i]);
    unsigned adjacent = 0;
    for (unsigned i = 0; i < N; i++) {
        blocks[i] = mk_alloc(MK_INTENT_PARTICLE, 32);
        CHECK(blocks[i] != NULL);
        if (i > 0 && (unsigned char *)blocks[i] == (unsigned char *)blocks[i - 1] + 32)
            adjacent++;
    }
    printf("free storm of %u blocks: %u of the next %u allocations came right after the previous one\n", N,
           adjacent, N - 1u);
    CHECK(adjacent * 100u >= (N - 1u) * 90u);
    /* all but the magazine's blocks (thread_cache 8), each handed out first
     * out of order and leaving a hole in the ascending run */
    CHECK(adjacent >= N - 1u - 2u * 8u);
    for (unsigned i = 0; i < N; i++)
        mk_free(blocks[i]);
    CHECK_EQ(mk_validate(), MK_OK);
}

/* mk_free of a pointer into the middle of a pool block, or of a block that is
 * already free, stops the program instead of corrupting the class (caught
 * when the magazine sends the block back). */
static void free_interior_pointer(void)
{
    unsigned char *p = mk_alloc(MK_INTENT_ENTITY, 64);
    for (int i = 0; i < 64; i++)
        mk_free(p + 16); /* the magazine (8) overflows: the class checks each block */
}

static void free_twice(void)
{
    void *p = mk_alloc(MK_INTENT_ENTITY, 64);
    for (int i = 0; i < 64; i++)
        mk_free(p);
}

static void test_bad_frees_stop(void)
{
    EXPECT_DEATH(free_interior_pointer(), "not the start of a pool block");
    EXPECT_DEATH(free_twice(), "freed twice");
}

#define MANY 600

static void test_contents_intact(void)
{
    static unsigned char *blocks[MANY];
    static size_t sizes[MANY];
    for (int i = 0; i < MANY; i++) {
        sizes[i] = (size_t)(1 + (i * 37) % 64);
        mk_intent_t intent = i % 3 == 0 ? MK_INTENT_PARTICLE : MK_INTENT_ENTITY;
        blocks[i] = mk_alloc(intent, sizes[i]);
        CHECK(blocks[i] != NULL);
        if (blocks[i] != NULL)
            memset(blocks[i], (int)(i & 0xff), mk_usable_size(blocks[i]));
    }
    /* free every third block and reallocate: reused blocks get new patterns */
    for (int i = 0; i < MANY; i += 3) {
        mk_free(blocks[i]);
        blocks[i] = mk_alloc(MK_INTENT_ENTITY, sizes[i]);
        CHECK(blocks[i] != NULL);
        if (blocks[i] != NULL)
            memset(blocks[i], (int)((i + 128) & 0xff), mk_usable_size(blocks[i]));
    }
    for (int i = 0; i < MANY; i++) {
        if (blocks[i] == NULL)
            continue;
        unsigned char want = (unsigned char)(i % 3 == 0 ? (i + 128) & 0xff : i & 0xff);
        size_t n = mk_usable_size(blocks[i]);
        CHECK(n >= sizes[i]);
        for (size_t k = 0; k < n; k++) {
            if (blocks[i][k] != want) {
                CHECK(blocks[i][k] == want);
                break;
            }
        }
    }
    for (int i = 0; i < MANY; i++)
        mk_free(blocks[i]);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).current, 0u);
}

#define PARTICLES (1024 + 40)

static void test_class_exhaustion_falls_back(void)
{
    static void *blocks[PARTICLES];
    mk_stats_t before = check_stats();
    CHECK_EQ(before.tiers[MK_TIER_POOL].used, 0u);
    CHECK_EQ(before.tiers[MK_TIER_HEAP].used, 0u);
    for (int i = 0; i < PARTICLES; i++) {
        uint64_t heap_before = check_stats().tiers[MK_TIER_HEAP].used;
        blocks[i] = mk_alloc(MK_INTENT_PARTICLE, 64);
        CHECK(blocks[i] != NULL);
        CHECK(mk_usable_size(blocks[i]) >= 64u);
        uint64_t heap_now = check_stats().tiers[MK_TIER_HEAP].used;
        if (i < 1024)
            CHECK_EQ(heap_now, 0u); /* the class still has blocks */
        else
            CHECK(heap_now >= heap_before + 64u); /* served by the heap tier */
    }
    mk_stats_t mid = check_stats();
    CHECK_EQ(mid.tiers[MK_TIER_POOL].used, 1024u * 64u); /* the 64-byte class is all out */
    CHECK(mid.tiers[MK_TIER_HEAP].used >= (uint64_t)(PARTICLES - 1024) * 64u);
    CHECK_EQ(mid.intents[MK_INTENT_PARTICLE].allocations, (uint64_t)PARTICLES);
    CHECK_EQ(mid.intents[MK_INTENT_PARTICLE].failures, 0u);
    uint64_t heap_bytes = 0;
    for (int i = 1024; i < PARTICLES; i++)
        heap_bytes += mk_usable_size(blocks[i]);
    CHECK_EQ(mid.intents[MK_INTENT_PARTICLE].current, 1024u * 64u + heap_bytes);
    for (int i = 0; i < PARTICLES; i++)
        mk_free(blocks[i]);
    mk_stats_t after = check_stats();
    CHECK_EQ(after.tiers[MK_TIER_HEAP].used, 0u);
    CHECK(after.tiers[MK_TIER_POOL].used <= 8u * 64u); /* at most a thread cache */
    CHECK_EQ(after.intents[MK_INTENT_PARTICLE].current, 0u);
    CHECK_EQ(after.intents[MK_INTENT_PARTICLE].frees, (uint64_t)PARTICLES);
    mk_thread_detach(); /* flush the cache to the global list */
    CHECK_EQ(check_stats().tiers[MK_TIER_POOL].used, 0u);
    /* the class is whole again */
    void *p = mk_alloc(MK_INTENT_PARTICLE, 64);
    CHECK(p != NULL && mk_usable_size(p) == 64u);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
    mk_free(p);
}

#define ENTITY_MAX (48 * 1024 / 16)

static void test_entity_budget(void)
{
    static void *blocks[ENTITY_MAX];
    int got = 0;
    for (int i = 0; i < ENTITY_MAX; i++) {
        blocks[i] = mk_alloc(MK_INTENT_ENTITY, 16);
        if (blocks[i] != NULL)
            got++;
    }
    CHECK_EQ(got, ENTITY_MAX);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 16) == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.failures, 1u);
    CHECK_EQ(s.current, 48u * 1024u);
    CHECK_EQ(s.budget, 48u * 1024u);
    CHECK_EQ(s.allocations, (uint64_t)ENTITY_MAX);
    /* no other class sneaks past the budget */
    CHECK(mk_alloc(MK_INTENT_ENTITY, 64) == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    /* a particle is not charged to entity's budget */
    void *other = mk_alloc(MK_INTENT_PARTICLE, 16);
    CHECK(other != NULL);
    mk_free(other);
    mk_free(blocks[100]);
    blocks[100] = mk_alloc(MK_INTENT_ENTITY, 16);
    CHECK(blocks[100] != NULL);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 16) == NULL);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).failures, 3u);
    for (int i = 0; i < ENTITY_MAX; i++)
        mk_free(blocks[i]);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
    /* the whole budget is available again, in the largest class too */
    static void *big[48 * 1024 / 64];
    int n = 0;
    while (n < (int)(sizeof big / sizeof big[0]) && (big[n] = mk_alloc(MK_INTENT_ENTITY, 64)) != NULL)
        n++;
    CHECK_EQ(n, 48 * 1024 / 64);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 64) == NULL);
    for (int i = 0; i < n; i++)
        mk_free(big[i]);
}

/* Both intents share the pool; mk_free finds each block's intent from its tag,
 * also when a block moves from one intent to the other. */
static void test_shared_pool_attribution(void)
{
    enum { K = 50, J = 70 };
    void *e[K], *p[J];
    for (int i = 0; i < K || i < J; i++) {
        if (i < K)
            e[i] = mk_alloc(MK_INTENT_ENTITY, (size_t)(1 + i % 64));
        if (i < J)
            p[i] = mk_alloc(MK_INTENT_PARTICLE, (size_t)(1 + (i * 7) % 64));
    }
    mk_stats_t mid = check_stats();
    uint64_t esum = 0, psum = 0;
    for (int i = 0; i < K; i++)
        esum += mk_usable_size(e[i]);
    for (int i = 0; i < J; i++)
        psum += mk_usable_size(p[i]);
    CHECK_EQ(mid.intents[MK_INTENT_ENTITY].current, esum);
    CHECK_EQ(mid.intents[MK_INTENT_PARTICLE].current, psum);
    /* free the entities; their blocks are reused by particles */
    for (int i = 0; i < K; i++)
        mk_free(e[i]);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
    void *reused[K];
    for (int i = 0; i < K; i++)
        reused[i] = mk_alloc(MK_INTENT_PARTICLE, 16);
    for (int i = 0; i < J; i++)
        mk_free(p[i]);
    for (int i = 0; i < K; i++)
        mk_free(reused[i]);
    mk_stats_t after = check_stats();
    CHECK_EQ(after.intents[MK_INTENT_ENTITY].current, 0u);
    CHECK_EQ(after.intents[MK_INTENT_PARTICLE].current, 0u);
    CHECK_EQ(after.intents[MK_INTENT_ENTITY].allocations, (uint64_t)K);
    CHECK_EQ(after.intents[MK_INTENT_ENTITY].frees, (uint64_t)K);
    CHECK_EQ(after.intents[MK_INTENT_PARTICLE].allocations, (uint64_t)(J + K));
    CHECK_EQ(after.intents[MK_INTENT_PARTICLE].frees, (uint64_t)(J + K));
    /* entity's budget came back whole: a reused block no longer charges it */
    mk_thread_detach();
    CHECK_EQ(check_stats().budget_reserved, 0u);
}

static void test_realloc(void)
{
    unsigned char *p = mk_realloc(MK_INTENT_PARTICLE, NULL, 20); /* NULL: allocates */
    CHECK(p != NULL);
    CHECK_EQ(mk_usable_size(p), 32u);
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).allocations, 1u);
    for (int i = 0; i < 20; i++)
        p[i] = (unsigned char)(i + 1);
    CHECK(mk_realloc(MK_INTENT_PARTICLE, p, 32) == p); /* still fits its class */
    CHECK(mk_realloc(MK_INTENT_PARTICLE, p, 8) == p);  /* shrinking keeps it */
    for (int i = 20; i < 32; i++)
        p[i] = (unsigned char)(i + 1);
    unsigned char *q = mk_realloc(MK_INTENT_PARTICLE, p, 48); /* the next class: moves */
    CHECK(q != NULL && q != p);
    CHECK_EQ(mk_usable_size(q), 64u);
    for (int i = 0; i < 32; i++)
        CHECK(q[i] == (unsigned char)(i + 1));
    for (int i = 32; i < 64; i++)
        q[i] = (unsigned char)(i + 1);
    unsigned char *r = mk_realloc(MK_INTENT_PARTICLE, q, 1000); /* past 64: the heap */
    CHECK(r != NULL && r != q);
    CHECK(mk_usable_size(r) >= 1000u);
    for (int i = 0; i < 64; i++)
        CHECK(r[i] == (unsigned char)(i + 1));
    mk_stats_t s = check_stats();
    CHECK(s.tiers[MK_TIER_HEAP].used >= 1000u);
    CHECK_EQ(s.intents[MK_INTENT_PARTICLE].current, mk_usable_size(r));
    CHECK(mk_realloc(MK_INTENT_PARTICLE, r, 0) == NULL); /* size 0: frees */
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_PARTICLE].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_PARTICLE].frees, s.intents[MK_INTENT_PARTICLE].allocations);

    /* entity (oversize = "fail") cannot leave the pool: the block stays */
    unsigned char *e = mk_alloc(MK_INTENT_ENTITY, 64);
    CHECK(e != NULL);
    memset(e, 0x3c, 64);
    CHECK(mk_realloc(MK_INTENT_ENTITY, e, 65) == NULL);
    CHECK_EQ(mk_last_error(), MK_ETOOBIG);
    for (int i = 0; i < 64; i++)
        CHECK(e[i] == 0x3c);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 64u);
    /* a block keeps the intent it was allocated for, whatever `intent` says */
    unsigned char *f = mk_realloc(MK_INTENT_BLOB, e, 30);
    CHECK(f == e);
    CHECK(mk_realloc(MK_INTENT_PARTICLE, e, 0) == NULL);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).frees, 1u);
}

/* Issue 7 item 13: a request above the pool's largest class is not
 * exhaustion. oversize = "fail" refuses it with MK_ETOOBIG (no policy runs);
 * the default with a heap, oversize = "heap", serves it from the heap tier,
 * charged to the same intent. Both count as oversize. */
static int oversize_policy_calls;
static int oversize_policy(mk_intent_t intent, size_t size, mk_status_t reason, void *user)
{
    (void)intent, (void)size, (void)reason, (void)user;
    oversize_policy_calls++;
    return 0;
}

static void test_oversize_fails(void)
{
    oversize_policy_calls = 0;
    mk_set_oom_handler(oversize_policy, NULL);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 65) == NULL);
    CHECK_EQ(mk_last_error(), MK_ETOOBIG);
    CHECK(mk_alloc(MK_INTENT_ENTITY, SIZE_MAX) == NULL);
    CHECK_EQ(mk_last_error(), MK_ETOOBIG);
    mk_set_oom_handler(NULL, NULL);
    CHECK_EQ(oversize_policy_calls, 0);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.failures, 2u);
    CHECK_EQ(s.oversize, 2u);
    CHECK_EQ(s.allocations, 0u);
    CHECK_EQ(s.current, 0u);
    /* particle (oversize = "heap" by default) gets the same request from the heap */
    void *p = mk_alloc(MK_INTENT_PARTICLE, 65);
    CHECK(p != NULL && mk_usable_size(p) >= 65u);
    CHECK(check_stats().tiers[MK_TIER_HEAP].used >= 65u);
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).oversize, 1u);
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).current, mk_usable_size(p));
    mk_free(p);
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).current, 0u);
    CHECK(mk_alloc(MK_INTENT_PARTICLE, SIZE_MAX) == NULL);
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).failures, 1u);
}

static void test_over_aligned(void)
{
    void *plain = mk_alloc(MK_INTENT_ENTITY, 24);
    unsigned char *p = mk_alloc_aligned(MK_INTENT_ENTITY, 24, 128);
    CHECK(p != NULL);
    CHECK(is_aligned(p, 128));
    CHECK(mk_usable_size(p) >= 24u);
    memset(p, 0x77, 24);
    mk_stats_t s = check_stats();
    CHECK(s.tiers[MK_TIER_HEAP].used > 0u); /* served by the heap tier */
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].current, 32u + mk_usable_size(p)); /* charged to entity */
    mk_free(p);
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].current, 32u);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].frees, 1u);
    /* mk_free_sized on a heap-served pool-intent block takes the long way */
    p = mk_alloc_aligned(MK_INTENT_ENTITY, 24, 256);
    CHECK(p != NULL && is_aligned(p, 256));
    mk_free_sized(MK_INTENT_ENTITY, p, 24);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
    /* alignment up to MKG_ALIGNMENT stays in the pool; not a power of two fails */
    void *q = mk_alloc_aligned(MK_INTENT_ENTITY, 24, 16);
    CHECK(q != NULL && mk_usable_size(q) == 32u);
    CHECK(mk_alloc_aligned(MK_INTENT_ENTITY, 24, 96) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    mk_free(q);
    mk_free(plain);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
}

/* Issue 7 item 11: a block shrunk in place by mk_realloc and freed with
 * mk_free_sized at its new size went to the new size's class: bytes stayed
 * charged with nothing live, and blocks migrated between classes. 4096
 * rounds of 64 B against a 48 KiB budget fail at once if any byte leaks. */
static void test_free_sized_after_shrink(void)
{
    for (unsigned i = 0; i < 4096; i++) {
        unsigned char *p = mk_alloc(MK_INTENT_ENTITY, 64);
        CHECK(p != NULL);
        if (p == NULL)
            break;
        unsigned char *q = mk_realloc(MK_INTENT_ENTITY, p, 16);
        CHECK(q == p); /* a shrink stays in place */
        mk_free_sized(MK_INTENT_ENTITY, q, 16);
    }
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].current, 0u);
    CHECK_EQ(s.tiers[MK_TIER_POOL].used, 0u);
    /* the block went back to the 64 B class: a 64 B request gets it again */
    unsigned char *a = mk_alloc(MK_INTENT_ENTITY, 64);
    unsigned char *b = mk_realloc(MK_INTENT_ENTITY, a, 16);
    mk_free_sized(MK_INTENT_ENTITY, b, 16);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 64) == a);
    mk_free(a);
    CHECK_EQ(mk_validate(), MK_OK);
}

int main(void)
{
    RUN(test_size_to_class);
    RUN(test_no_header);
    RUN(test_lifo_reuse);
    RUN(test_reuse_after_free_storm_is_ascending);
    RUN(test_bad_frees_stop);
    RUN(test_contents_intact);
    RUN(test_class_exhaustion_falls_back);
    RUN(test_entity_budget);
    RUN(test_shared_pool_attribution);
    RUN(test_realloc);
    RUN(test_oversize_fails);
    RUN(test_over_aligned);
    RUN(test_free_sized_after_shrink);
    return check_finish("pool");
}

/* test_nocache.c — pools and a heap without per-thread caches
 * (tests/configs/nocache.toml: thread_cache = 0 everywhere). Allocations take
 * blocks straight from the class bitmap, lowest first; frees put them straight
 * back; counts, budgets and mk_validate hold as with magazines.
 */
#include "check.h"

#include <stdint.h>

static void *blocks[256];

static void test_pool_without_magazines(void)
{
    /* 8 KiB of budget: 170 blocks of 48 B */
    int n = 0;
    while (n < 256 && (blocks[n] = mk_alloc(MK_INTENT_ITEMS, 40)) != NULL)
        n++;
    CHECK_EQ(n, 8192 / 48);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    for (int i = 1; i < n; i++) /* straight from the bitmap, lowest first: side by side */
        CHECK((unsigned char *)blocks[i] == (unsigned char *)blocks[i - 1] + 48);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ITEMS);
    CHECK_EQ(s.current, (uint64_t)n * 48u);
    CHECK_EQ(s.allocations, (uint64_t)n);
    CHECK_EQ(check_stats().tiers[MK_TIER_POOL].cached, 0u);
    for (int i = n - 1; i >= 0; i -= 2) /* every other block, from the top */
        mk_free(blocks[i]);
    s = check_intent_stats(MK_INTENT_ITEMS);
    CHECK_EQ(s.frees, (uint64_t)(n + 1) / 2u);
    CHECK_EQ(s.current, (uint64_t)(n - (n + 1) / 2) * 48u);
    CHECK_EQ(mk_validate(), MK_OK);
    /* the holes come back lowest first */
    void *again = mk_alloc(MK_INTENT_ITEMS, 48);
    CHECK(again == blocks[n % 2 == 0 ? 1 : 0]);
    mk_free(again);
    for (int i = n - 2; i >= 0; i -= 2)
        mk_free(blocks[i]);
    s = check_intent_stats(MK_INTENT_ITEMS);
    CHECK_EQ(s.current, 0u);
    CHECK_EQ(s.frees, s.allocations);
    CHECK_EQ(mk_validate(), MK_OK);
}

static void test_class_exhaustion_without_magazines(void)
{
    for (int i = 0; i < 64; i++) {
        blocks[i] = mk_alloc(MK_INTENT_ITEMS, 96);
        CHECK(blocks[i] != NULL);
    }
    CHECK(mk_alloc(MK_INTENT_ITEMS, 96) == NULL); /* 64 blocks of 96 B, all in use */
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    mk_free(blocks[17]);
    CHECK(mk_alloc(MK_INTENT_ITEMS, 96) == blocks[17]);
    for (int i = 0; i < 64; i++)
        mk_free(blocks[i]);
    CHECK_EQ(mk_validate(), MK_OK);
}

static void test_heap_without_front(void)
{
    void *p = mk_alloc(MK_INTENT_BLOBS, 1000);
    CHECK(p != NULL);
    CHECK_EQ(mk_usable_size(p), 1008u); /* no bin rounding without a front */
    mk_free(p);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].cached, 0u);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOBS].current, 0u);
}

int main(void)
{
    RUN(test_pool_without_magazines);
    RUN(test_class_exhaustion_without_magazines);
    RUN(test_heap_without_front);
    return check_finish("test_nocache");
}

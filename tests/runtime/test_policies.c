/* test_policies.c — on_exhausted policies, budgets and the system fallback
 * (config tests/configs/policies.toml: pool `tiny` of 8 blocks of 32 bytes,
 * thread_cache 4, shared by `cb` (budget 256 B, on_exhausted = "callback") and
 * `overflow_pool` (on_exhausted = "fallback"); `doomed` (heap, budget 1 KiB,
 * "panic"); frame arenas of 16 KiB with overflow = "fail", used by `spill`
 * ("fallback") and `strict` (budget 4 KiB, "fail"); `big` (heap, no budget of
 * its own); heap 256 KiB with fallback = "system"; total budget 1 MiB).
 * Covers the OOM callback (retry after release, refusal, no handler, no nested
 * policy, both reasons), panic with the intent's name, frame fallback to the
 * heap and its release with the frame, an exact frame budget, pool fallback to
 * the heap, and the system fallback under the total budget.
 */
#include "check.h"

#include <stdint.h>

/* ---- callback ---------------------------------------------------------------- */

typedef struct oom_record {
    int calls;
    mk_intent_t intent;
    size_t size;
    mk_status_t reason;
    void *stash; /* freed by the handler when set */
    int answer;
} oom_record_t;

static int record_oom(mk_intent_t intent, size_t size, mk_status_t reason, void *user)
{
    oom_record_t *r = user;
    r->calls++;
    r->intent = intent;
    r->size = size;
    r->reason = reason;
    if (r->stash != NULL) {
        mk_free(r->stash);
        r->stash = NULL;
    }
    return r->answer;
}

/* Fills cb's whole budget: 8 blocks of 32 bytes (also the whole pool). */
static void fill_cb(void *blocks[8])
{
    for (int i = 0; i < 8; i++) {
        blocks[i] = mk_alloc(MK_INTENT_CB, 32);
        CHECK(blocks[i] != NULL);
    }
}

static void test_callback_releases_and_retries(void)
{
    void *blocks[8];
    fill_cb(blocks);
    oom_record_t rec = {.stash = blocks[3], .answer = 1};
    mk_set_oom_handler(record_oom, &rec);
    void *p = mk_alloc(MK_INTENT_CB, 20);
    CHECK(p != NULL);
    CHECK(p == blocks[3]); /* the block the handler released */
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(rec.intent, MK_INTENT_CB);
    CHECK_EQ(rec.size, 20u);
    CHECK_EQ(rec.reason, MK_EBUDGET);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_CB);
    CHECK_EQ(s.failures, 0u);
    CHECK_EQ(s.allocations, 9u);
    CHECK_EQ(s.frees, 1u);
    CHECK_EQ(s.current, 256u);
    blocks[3] = p;
    mk_set_oom_handler(NULL, NULL);
    for (int i = 0; i < 8; i++)
        mk_free(blocks[i]);
    CHECK_EQ(check_intent_stats(MK_INTENT_CB).current, 0u);
}

static void test_callback_refuses(void)
{
    void *blocks[8];
    fill_cb(blocks);
    oom_record_t rec = {.answer = 0};
    mk_set_oom_handler(record_oom, &rec);
    CHECK(mk_alloc(MK_INTENT_CB, 32) == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(check_intent_stats(MK_INTENT_CB).failures, 1u);

    /* a handler that asks for a retry without releasing anything: one retry,
     * no nested call, one failure */
    rec = (oom_record_t){.answer = 1};
    CHECK(mk_alloc(MK_INTENT_CB, 32) == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(check_intent_stats(MK_INTENT_CB).failures, 2u);

    /* no handler: a plain failure */
    mk_set_oom_handler(NULL, NULL);
    CHECK(mk_alloc(MK_INTENT_CB, 32) == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(check_intent_stats(MK_INTENT_CB).failures, 3u);
    for (int i = 0; i < 8; i++)
        mk_free(blocks[i]);
}

/* The pool runs dry before cb's budget does: the reason is MK_ENOMEM. */
static void test_callback_on_empty_pool(void)
{
    void *other[4], *mine[4];
    for (int i = 0; i < 4; i++) {
        other[i] = mk_alloc(MK_INTENT_OVERFLOW_POOL, 32);
        mine[i] = mk_alloc(MK_INTENT_CB, 32);
        CHECK(other[i] != NULL && mine[i] != NULL);
    }
    oom_record_t rec = {.stash = other[0], .answer = 1};
    mk_set_oom_handler(record_oom, &rec);
    void *p = mk_alloc(MK_INTENT_CB, 32);
    CHECK(p == other[0]);
    CHECK_EQ(rec.calls, 1);
    CHECK_EQ(rec.reason, MK_ENOMEM);
    mk_set_oom_handler(NULL, NULL);
    CHECK(mk_alloc(MK_INTENT_CB, 32) == NULL); /* pool empty, budget not: ENOMEM */
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    mk_free(p); /* tagged cb now */
    for (int i = 1; i < 4; i++)
        mk_free(other[i]);
    for (int i = 0; i < 4; i++)
        mk_free(mine[i]);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_CB].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_OVERFLOW_POOL].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_CB].frees, 5u);
    CHECK_EQ(s.intents[MK_INTENT_OVERFLOW_POOL].frees, 4u);
}

/* ---- panic ------------------------------------------------------------------- */

static void allocate_doomed(size_t size, int times)
{
    for (int i = 0; i < times; i++)
        (void)mk_alloc(MK_INTENT_DOOMED, size);
}

static void test_panic_names_intent(void)
{
    void *ok = mk_alloc(MK_INTENT_DOOMED, 512); /* within the budget: no panic */
    CHECK(ok != NULL);
    mk_free(ok);
    EXPECT_DEATH(allocate_doomed(2048, 1), "doomed");
    EXPECT_DEATH(allocate_doomed(400, 3), "doomed"); /* the third crosses 1 KiB */
    EXPECT_DEATH(allocate_doomed(2048, 1), "MK_EBUDGET");
}

/* ---- frames ------------------------------------------------------------------ */

static void test_frame_fallback_to_heap(void)
{
    mk_begin_frame();
    unsigned char *whole = mk_alloc(MK_INTENT_SPILL, 40u << 10); /* larger than the arena */
    CHECK(whole != NULL);
    if (whole != NULL)
        memset(whole, 0x5e, 40u << 10);
    unsigned char *pieces[40];
    for (int i = 0; i < 40; i++) {
        pieces[i] = mk_alloc(MK_INTENT_SPILL, 1024);
        CHECK(pieces[i] != NULL);
        if (pieces[i] != NULL)
            memset(pieces[i], i, 1024);
    }
    mk_stats_t s = check_stats();
    CHECK(s.tiers[MK_TIER_HEAP].used >= (40u + 24u) << 10); /* the big block and >= 24 pieces */
    CHECK_EQ(s.intents[MK_INTENT_SPILL].current, 80u << 10);
    CHECK_EQ(s.intents[MK_INTENT_SPILL].failures, 0u);
    CHECK_EQ(mk_usable_size(whole), 0u); /* frame memory, even when spilled */
    for (int i = 0; i < 40; i++)
        CHECK(pieces[i] != NULL && pieces[i][0] == (unsigned char)i && pieces[i][1023] == (unsigned char)i);
    CHECK(whole != NULL && whole[0] == 0x5e && whole[(40u << 10) - 1] == 0x5e);
    mk_free(whole); /* a no-op for frame memory */
    CHECK(check_stats().tiers[MK_TIER_HEAP].used >= 40u << 10);
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        CHECK(mk_alloc(MK_INTENT_SPILL, 16) != NULL); /* the thread resets lazily */
        mk_end_frame();
    }
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_SPILL].current, 32u); /* the two 16-byte blocks in flight */
}

/* strict has no fallback: the arena (16 KiB) would hold more, the budget not */
static void test_strict_frame_budget(void)
{
    mk_begin_frame();
    size_t got = 0;
    for (int i = 0; i < 1000; i++) {
        if (mk_alloc(MK_INTENT_STRICT, 64) == NULL)
            break;
        got += 64;
    }
    CHECK_EQ(got, 4096u);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_STRICT);
    CHECK_EQ(s.failures, 1u);
    CHECK_EQ(s.current, 4096u);
    CHECK(mk_alloc(MK_INTENT_STRICT, 1) == NULL); /* not even one granule */
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    mk_end_frame();
    /* strict never spills: the arena is 16 KiB, a larger block fails plainly */
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_STRICT, 4096) != NULL); /* the budget came back */
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
    mk_end_frame();
}

/* ---- pool fallback ------------------------------------------------------------ */

static void test_pool_fallback(void)
{
    void *blocks[12];
    for (int i = 0; i < 8; i++) {
        blocks[i] = mk_alloc(MK_INTENT_OVERFLOW_POOL, 32);
        CHECK(blocks[i] != NULL && mk_usable_size(blocks[i]) == 32u);
    }
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(check_stats().tiers[MK_TIER_POOL].used, 8u * 32u);
    uint64_t heap_live = 0;
    for (int i = 8; i < 12; i++) {
        blocks[i] = mk_alloc(MK_INTENT_OVERFLOW_POOL, 32);
        CHECK(blocks[i] != NULL);
        CHECK(mk_usable_size(blocks[i]) >= 32u);
        memset(blocks[i], i, 32);
        heap_live += mk_usable_size(blocks[i]);
    }
    mk_stats_t s = check_stats();
    CHECK(s.tiers[MK_TIER_HEAP].used >= 4u * 32u);
    CHECK_EQ(s.intents[MK_INTENT_OVERFLOW_POOL].current, 8u * 32u + heap_live);
    CHECK_EQ(s.intents[MK_INTENT_OVERFLOW_POOL].failures, 0u);
    for (int i = 0; i < 12; i++)
        mk_free(blocks[i]);
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_OVERFLOW_POOL].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_OVERFLOW_POOL].frees, 12u);
    mk_thread_detach();
    s = check_stats();
    CHECK_EQ(s.tiers[MK_TIER_POOL].used, 0u);
    CHECK_EQ(s.budget_reserved, 0u);
}

/* ---- system fallback and the total budget ----------------------------------- */

#define BIG_MAX 64

static void test_system_fallback_total_budget(void)
{
    unsigned char *first = mk_alloc(MK_INTENT_BIG, 300u << 10); /* > the 256 KiB heap */
    CHECK(first != NULL);
    if (first == NULL)
        return;
    memset(first, 0x42, 300u << 10);
    CHECK(mk_usable_size(first) >= 300u << 10);
    mk_stats_t s = check_stats();
    CHECK(s.system_bytes >= 300u << 10);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.budget_total, 1u << 20);
    CHECK(s.budget_reserved >= 300u << 10);

    void *blocks[BIG_MAX];
    int n = 0;
    uint64_t live = mk_usable_size(first);
    while (n < BIG_MAX && (blocks[n] = mk_alloc(MK_INTENT_BIG, 64u << 10)) != NULL) {
        live += mk_usable_size(blocks[n]);
        n++;
        CHECK(live <= 1u << 20);
    }
    CHECK(n < BIG_MAX);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    CHECK(live + (64u << 10) > 1u << 20); /* no budget stranded: the next block did not fit */
    s = check_stats();
    CHECK(s.tiers[MK_TIER_HEAP].used > 0u);           /* some came from the heap */
    CHECK(s.system_bytes > (uint64_t)(300u << 10));   /* and some more from the system */
    CHECK_EQ(s.intents[MK_INTENT_BIG].current, live);
    CHECK_EQ(s.intents[MK_INTENT_BIG].failures, 1u);
    CHECK(s.budget_reserved <= 1u << 20);
    /* one thread can use the whole budget: smaller blocks take the rest, down
     * to the last granule, even when a full lease chunk no longer fits */
    void *rest[BIG_MAX];
    int r = 0;
    for (size_t size = 32u << 10; size >= 16u; size /= 2) {
        while (r < BIG_MAX && (rest[r] = mk_alloc(MK_INTENT_BIG, size)) != NULL) {
            live += mk_usable_size(rest[r]);
            r++;
        }
    }
    CHECK(r > 0);
    CHECK(r < BIG_MAX);
    s = check_stats();
    CHECK_EQ(s.budget_reserved, 1u << 20);
    CHECK_EQ(s.intents[MK_INTENT_BIG].current, live);
    CHECK(live <= 1u << 20);
    CHECK(live + 16u > 1u << 20); /* less than a granule left unused */
    for (int i = 0; i < r; i++)
        mk_free(rest[i]);

    for (int i = 0; i < n; i++)
        mk_free(blocks[i]);
    CHECK(first[0] == 0x42 && first[(300u << 10) - 1] == 0x42);
    mk_free(first);
    s = check_stats();
    CHECK_EQ(s.system_bytes, 0u);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BIG].current, 0u);
    CHECK(s.budget_reserved <= 128u << 10); /* what is left is this thread's lease (<= 2 chunks) */
    mk_thread_detach();
    CHECK_EQ(check_stats().budget_reserved, 0u);

    void *again = mk_alloc(MK_INTENT_BIG, 300u << 10);
    CHECK(again != NULL);
    CHECK(check_stats().system_bytes >= 300u << 10);
    mk_free(again);
    CHECK_EQ(check_stats().system_bytes, 0u);
}

int main(void)
{
    RUN(test_callback_releases_and_retries);
    RUN(test_callback_refuses);
    RUN(test_callback_on_empty_pool);
    RUN(test_panic_names_intent);
    RUN(test_frame_fallback_to_heap);
    RUN(test_strict_frame_budget);
    RUN(test_pool_fallback);
    RUN(test_system_fallback_total_budget);
    return check_finish("policies");
}

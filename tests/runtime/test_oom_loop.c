/* test_oom_loop.c — SQLite-style out-of-memory loop (config
 * tests/configs/faults.toml, runtime built with MK_FAULT_INJECTION=1).
 *
 * For N = 1, 2, …: fail the Nth request for backing memory or budget (OS
 * reservations at mk_init, system-fallback allocations, budget grabs), run a
 * workload over every tier, and check that nothing crashes, every NULL comes
 * with a reason, contents survive, and after freeing everything the stats
 * balance. The loop ends with the first N whose request never came: a run
 * the injection did not touch. Under ASan (make test) LeakSanitizer also
 * checks that no failure path leaks. */
#include "check.h"

enum { HELD = 96 };

typedef struct held {
    void *ptr;
    size_t size;
    unsigned seed;
} held_t;

/* A NULL must say why. */
static void check_null_reason(void)
{
    mk_status_t why = mk_last_error();
    CHECK(why == MK_ENOMEM || why == MK_EBUDGET);
}

static void keep(held_t *h, void *p, size_t size, unsigned seed)
{
    if (p == NULL) {
        check_null_reason();
        h->ptr = NULL;
        return;
    }
    check_fill(p, size, seed);
    *h = (held_t){p, size, seed};
}

/* One run over every tier; returns with everything freed. */
static void workload(void)
{
    held_t held[HELD] = {{0}};
    for (int frame = 0; frame < 4; frame++) {
        mk_begin_frame();
        for (int i = 0; i < 40; i++) { /* 40 × 640 B: spills past the 16 KiB arena */
            void *p = mk_alloc(MK_INTENT_TRANSIENT, 640);
            if (p == NULL)
                check_null_reason();
            else
                memset(p, i, 640);
        }
        for (unsigned i = 0; i < HELD; i++) {
            held_t *h = &held[i];
            if (h->ptr != NULL && (i + (unsigned)frame) % 3u == 0u) {
                CHECK(check_intact(h->ptr, h->size, h->seed));
                mk_free(h->ptr);
                h->ptr = NULL;
            }
            if (h->ptr == NULL) {
                unsigned seed = i * 7u + (unsigned)frame;
                if (i % 2u == 0u) {
                    size_t size = 16u + (size_t)(seed % 240u);
                    keep(h, mk_alloc(MK_INTENT_ITEMS, size), size, seed);
                } else {
                    size_t size = 512u + (size_t)(seed % 8u) * 4096u; /* up to 29 KiB: the heap fills */
                    keep(h, mk_alloc(MK_INTENT_BLOBS, size), size, seed);
                }
            }
        }
        /* a realloc that may fail keeps the old block */
        if (held[1].ptr != NULL) {
            void *grown = mk_realloc(MK_INTENT_BLOBS, held[1].ptr, held[1].size * 2u);
            if (grown == NULL) {
                check_null_reason();
                CHECK(check_intact(held[1].ptr, held[1].size, held[1].seed));
            } else {
                held[1].ptr = grown;
                CHECK(check_intact(grown, held[1].size, held[1].seed));
            }
        }
        mk_end_frame();
    }
    for (unsigned i = 0; i < HELD; i++) {
        if (held[i].ptr != NULL) {
            CHECK(check_intact(held[i].ptr, held[i].size, held[i].seed));
            mk_free(held[i].ptr);
        }
    }
    /* let the frames in flight pass, so their spilled heap blocks go too */
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        if (mk_alloc(MK_INTENT_TRANSIENT, 16) == NULL)
            check_null_reason();
        mk_end_frame();
    }
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_ITEMS].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOBS].current, 0u);
    CHECK_EQ(s.system_bytes, 0u);
    CHECK_EQ(s.intents[MK_INTENT_ITEMS].allocations, s.intents[MK_INTENT_ITEMS].frees);
    CHECK_EQ(s.intents[MK_INTENT_BLOBS].allocations, s.intents[MK_INTENT_BLOBS].frees);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK(mk_validate() == MK_OK);
}

static void test_every_failure_point(void)
{
    mk_shutdown(); /* RUN initialised once; this test initialises per step */
    const unsigned all = MK_FAULT_RESERVE | MK_FAULT_SYSTEM | MK_FAULT_BUDGET;
    uint64_t n = 1, init_failures = 0, untouched_at = 0;
    for (; n < 100000u; n++) {
        mk_fault_fail_at(all, n);
        mk_status_t status = mk_init(&mkg_config);
        if (status != MK_OK) {
            CHECK_EQ(status, MK_ESYSTEM); /* a reservation failed: nothing may stay mapped */
            init_failures++;
            continue;
        }
        workload();
        uint64_t requests = mk_fault_requests();
        mk_shutdown();
        if (requests < n) { /* the nth request never came */
            untouched_at = n;
            break;
        }
    }
    mk_fault_fail_at(0, 0);
    CHECK(untouched_at > 0);             /* the loop ended */
    CHECK_EQ(init_failures, 4u);         /* frame, pool, pool bitmap and heap reservations each failed once */
    CHECK(untouched_at > 10u);           /* the workload made requests worth injecting into */
    printf("oom loop: %llu failure points, each survived\n", (unsigned long long)(untouched_at - 1u));
    CHECK_EQ(mk_init(&mkg_config), MK_OK); /* for RUN's shutdown */
}

int main(void)
{
    RUN(test_every_failure_point);
    return check_finish("oom_loop");
}

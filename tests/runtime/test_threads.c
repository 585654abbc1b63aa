/* test_threads.c — cross-thread frees, flush at thread exit, thread slots,
 * budgets under contention, and a stress test in the style of mimalloc's
 * test-stress.c: workers allocate on the frame, pool and heap tiers, swap
 * blocks through a shared mailbox (frame memory and some blocks by
 * mk_transfer_t), verify contents and free each other's blocks.
 * Config: tests/configs/basic.toml (max_threads 4). Run under TSan too. */
#include "check.h"

#include <pthread.h>
#include <stdatomic.h>

#include "internal.h" /* white box: budget_reserved for the budget invariant */

enum { HANDOFF_BLOCKS = 600 };
static void *handoff[HANDOFF_BLOCKS];
static size_t handoff_size[HANDOFF_BLOCKS];

static void *produce(void *arg)
{
    (void)arg;
    for (unsigned i = 0; i < HANDOFF_BLOCKS; i++) {
        mk_intent_t intent = i % 3 == 0 ? MK_INTENT_ENTITY : i % 3 == 1 ? MK_INTENT_PARTICLE : MK_INTENT_BLOB;
        size_t size = 8 + (i * 13) % (intent == MK_INTENT_BLOB ? 2000 : 56);
        handoff[i] = mk_alloc(intent, size);
        handoff_size[i] = size;
        if (handoff[i] != NULL)
            check_fill(handoff[i], size, i);
    }
    return NULL;
}

static void *consume(void *arg)
{
    int *bad = arg;
    for (unsigned i = 0; i < HANDOFF_BLOCKS; i++) {
        if (handoff[i] == NULL || !check_intact(handoff[i], handoff_size[i], i))
            (*bad)++;
        mk_free(handoff[i]);
    }
    return NULL;
}

/* Blocks allocated on one thread are freed on another; both threads exit and
 * their caches are flushed: every byte is back. */
static void test_cross_thread_free_and_exit_flush(void)
{
    pthread_t a, b;
    int bad = 0;
    CHECK(pthread_create(&a, NULL, produce, NULL) == 0);
    CHECK(pthread_join(a, NULL) == 0);
    CHECK(pthread_create(&b, NULL, consume, &bad) == 0);
    CHECK(pthread_join(b, NULL) == 0);
    CHECK_EQ(bad, 0);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_PARTICLE].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].frees, HANDOFF_BLOCKS / 3);
    CHECK_EQ(s.tiers[MK_TIER_POOL].used, 0u); /* both threads flushed their caches at exit */
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);
    CHECK_EQ(s.threads_attached, 0u); /* both exited; reading stats does not attach */
}

/* ---- thread slots ---- */
static pthread_barrier_t hold;
static void *hold_slot(void *arg)
{
    void **out = arg;
    *out = mk_alloc(MK_INTENT_ENTITY, 16);
    pthread_barrier_wait(&hold); /* all attached */
    pthread_barrier_wait(&hold); /* main has tried one more */
    mk_free(*out);
    return NULL;
}

static void *try_one_more(void *arg)
{
    mk_status_t *status = arg;
    void *p = mk_alloc(MK_INTENT_ENTITY, 16);
    *status = p == NULL ? mk_last_error() : MK_OK;
    mk_free(p);
    return NULL;
}

static void test_more_threads_than_slots_fail_cleanly(void)
{
    enum { N = MKG_MAX_THREADS };
    pthread_t threads[N];
    void *blocks[N];
    CHECK(pthread_barrier_init(&hold, NULL, N + 1) == 0);
    for (int i = 0; i < N; i++)
        CHECK(pthread_create(&threads[i], NULL, hold_slot, &blocks[i]) == 0);
    pthread_barrier_wait(&hold);
    for (int i = 0; i < N; i++)
        CHECK(blocks[i] != NULL);
    pthread_t extra;
    mk_status_t status = MK_OK;
    CHECK(pthread_create(&extra, NULL, try_one_more, &status) == 0);
    CHECK(pthread_join(extra, NULL) == 0);
    CHECK_EQ(status, MK_ETHREADS);
    pthread_barrier_wait(&hold);
    for (int i = 0; i < N; i++)
        CHECK(pthread_join(threads[i], NULL) == 0);
    pthread_barrier_destroy(&hold);
    /* the slots were given back at exit: a new thread attaches */
    CHECK(pthread_create(&extra, NULL, try_one_more, &status) == 0);
    CHECK(pthread_join(extra, NULL) == 0);
    CHECK_EQ(status, MK_OK);
}

/* ---- stress ---- */
/* MEMKIT_STRESS_OPS raises the operations per worker for a soak (make soak). */
enum { WORKERS = 3, MAILBOX = 2048, DEFAULT_OPS = 60000 };
static unsigned stress_ops = DEFAULT_OPS;
typedef struct letter {
    void *block;
    size_t size;
    unsigned seed;
    mk_intent_t intent;
    int transferred;   /* handed over with an mk_transfer_t (always for frame memory) */
    mk_transfer_t transfer;
} letter_t;
static letter_t mailbox[MAILBOX];
static pthread_mutex_t mailbox_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_int stress_corrupt;
static atomic_int stress_over_budget;
static atomic_int stress_running;

static uint64_t next_random(uint64_t *state)
{
    *state ^= *state << 13;
    *state ^= *state >> 7;
    *state ^= *state << 17;
    return *state;
}

static void *stress_worker(void *arg)
{
    uint64_t rng = 0x9e3779b97f4a7c15ull * ((uint64_t)(uintptr_t)arg + 1u);
    for (unsigned op = 0; op < stress_ops; op++) {
        uint64_t r = next_random(&rng);
        letter_t mine = {0};
        unsigned kind = (unsigned)(r % 4u);
        mine.intent = kind == 0 ? MK_INTENT_ENTITY : kind == 1 ? MK_INTENT_PARTICLE
                                  : kind == 2 ? MK_INTENT_BLOB : MK_INTENT_SCRATCH;
        mine.size = mine.intent == MK_INTENT_BLOB ? 1u + (size_t)((r >> 8) % 4096u) : 1u + (size_t)((r >> 8) % 64u);
        mine.seed = (unsigned)(r >> 32);
        mine.block = mk_alloc(mine.intent, mine.size);
        if (mine.block != NULL) {
            check_fill(mine.block, mine.size, mine.seed);
            /* frame memory crosses threads only by transfer; some pool and heap blocks too */
            mine.transferred = mine.intent == MK_INTENT_SCRATCH || (r >> 40) % 4u == 0u;
            if (mine.transferred && mk_transfer_init(&mine.transfer, mine.block, mine.size) != MK_OK)
                atomic_fetch_add(&stress_corrupt, 1);
        } else if (mk_last_error() != MK_EBUDGET && mk_last_error() != MK_ENOMEM) {
            atomic_fetch_add(&stress_corrupt, 1);
        }
        size_t slot = (size_t)((r >> 20) % MAILBOX);
        pthread_mutex_lock(&mailbox_lock);
        letter_t old = mailbox[slot];
        mailbox[slot] = mine;
        pthread_mutex_unlock(&mailbox_lock);
        if (old.block != NULL) {
            if (old.transferred && mk_transfer_accept(&old.transfer) != old.block)
                atomic_fetch_add(&stress_corrupt, 1);
            if (!check_intact(old.block, old.size, old.seed))
                atomic_fetch_add(&stress_corrupt, 1);
            if (old.intent == MK_INTENT_SCRATCH)
                continue; /* frame memory goes with its frame */
            if (op & 1u)
                mk_free(old.block);
            else
                mk_free_sized(old.intent, old.block, old.size);
        }
    }
    return NULL;
}

static void *budget_watch(void *arg)
{
    (void)arg;
    while (atomic_load(&stress_running)) {
        if (MK__LOAD(mk__rt.budget_reserved[MK_INTENT_ENTITY]) > (int64_t)mkg_routes[MK_INTENT_ENTITY].budget)
            atomic_fetch_add(&stress_over_budget, 1);
        if (MK__LOAD(mk__rt.total_reserved) > (int64_t)MKG_BUDGET_TOTAL)
            atomic_fetch_add(&stress_over_budget, 1);
    }
    return NULL;
}

static void test_stress(void)
{
    const char *ops = getenv("MEMKIT_STRESS_OPS");
    if (ops != NULL && strtoul(ops, NULL, 10) > 0)
        stress_ops = (unsigned)strtoul(ops, NULL, 10);
    pthread_t workers[WORKERS], watch;
    atomic_store(&stress_running, 1);
    CHECK(pthread_create(&watch, NULL, budget_watch, NULL) == 0); /* not attached: reads only */
    for (uintptr_t i = 0; i < WORKERS; i++)
        CHECK(pthread_create(&workers[i], NULL, stress_worker, (void *)i) == 0);
    for (int i = 0; i < WORKERS; i++)
        CHECK(pthread_join(workers[i], NULL) == 0);
    atomic_store(&stress_running, 0);
    CHECK(pthread_join(watch, NULL) == 0);
    CHECK_EQ(atomic_load(&stress_corrupt), 0);
    CHECK_EQ(atomic_load(&stress_over_budget), 0);
    mk_stats_t before = check_stats();
    CHECK(before.intents[MK_INTENT_ENTITY].allocations > 1000u);
    for (size_t i = 0; i < MAILBOX; i++) {
        if (mailbox[i].block != NULL && mailbox[i].transferred)
            CHECK(mk_transfer_accept(&mailbox[i].transfer) == mailbox[i].block);
        if (mailbox[i].block != NULL && !check_intact(mailbox[i].block, mailbox[i].size, mailbox[i].seed))
            atomic_fetch_add(&stress_corrupt, 1);
        mk_free(mailbox[i].block);
        mailbox[i].block = NULL;
    }
    CHECK_EQ(atomic_load(&stress_corrupt), 0);
    mk_thread_detach(); /* flush this thread's cache too */
    mk_stats_t s = check_stats();
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
        if (s.intents[i].tier != MK_TIER_FRAME) {
            CHECK_EQ(s.intents[i].current, 0u);
            CHECK_EQ(s.intents[i].allocations, s.intents[i].frees);
        }
    }
    CHECK_EQ(s.tiers[MK_TIER_POOL].used, 0u);
    /* the heap may still hold frame memory the exited workers spilled: it goes
     * with their frame slots; every heap intent is back to zero above */
    CHECK(mk_validate() == MK_OK);
}

int main(void)
{
    RUN(test_cross_thread_free_and_exit_flush);
    RUN(test_more_threads_than_slots_fail_cleanly);
    RUN(test_stress);
    return check_finish("threads");
}

/* test_stats.c — mk_stats_get and mk_stats_print (config
 * tests/configs/basic.toml: `blob` heap, `entity` and `particle` sharing the
 * pool `small` (entity with a 48 KiB budget), `scratch` frame intent with a
 * 128 KiB budget, frames_in_flight = 2, max_threads = 4, total budget 4 MiB).
 * Covers per-intent allocation/free/failure counts, current and peak for a pool
 * and a heap intent (the peak keeps the high-water mark), live frame bytes and
 * their release after frames_in_flight frames, the printed table, the state
 * errors before mk_init and after a second mk_init, and threads_attached
 * (lazy attach, detach, a second thread, cross-thread frees).
 */
#include "check.h"

#include <pthread.h>
#include <stdint.h>

static void test_counts(void)
{
    void *e[5], *b[3];
    for (int i = 0; i < 5; i++)
        e[i] = mk_alloc(MK_INTENT_ENTITY, 24);
    for (int i = 0; i < 3; i++)
        b[i] = mk_alloc(MK_INTENT_BLOB, 1000);
    CHECK(mk_alloc(MK_INTENT_ENTITY, 1000) == NULL); /* larger than the largest class (oversize = "fail") */
    CHECK(mk_alloc(MK_INTENT_BLOB, 4u << 20) == NULL); /* larger than the heap */
    CHECK(mk_alloc(MK_INTENT_BLOB, 4u << 20) == NULL);
    for (int i = 0; i < 3; i++)
        mk_free(e[i]);
    mk_free(b[0]);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].allocations, 5u);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].frees, 3u);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].failures, 1u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].allocations, 3u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].frees, 1u);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].failures, 2u);
    CHECK_EQ(s.intents[MK_INTENT_PARTICLE].allocations, 0u);
    CHECK_EQ(s.intents[MK_INTENT_PARTICLE].failures, 0u);
    /* static facts from the config */
    CHECK(strcmp(s.intents[MK_INTENT_ENTITY].name, "entity") == 0);
    CHECK(strcmp(s.intents[MK_INTENT_SCRATCH].name, "scratch") == 0);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].tier, MK_TIER_POOL);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].tier, MK_TIER_HEAP);
    CHECK_EQ(s.intents[MK_INTENT_SCRATCH].tier, MK_TIER_FRAME);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].budget, 48u << 10);
    CHECK_EQ(s.intents[MK_INTENT_BLOB].budget, 0u);
    CHECK_EQ(s.budget_total, 4u << 20);
    CHECK_EQ(s.tiers[MK_TIER_HEAP].capacity, 1u << 20);
    CHECK_EQ(s.tiers[MK_TIER_POOL].capacity, 192u << 10);
    CHECK_EQ(s.tiers[MK_TIER_FRAME].capacity, 4u * 2u * (64u << 10));
    for (int i = 3; i < 5; i++)
        mk_free(e[i]);
    mk_free(b[1]);
    mk_free(b[2]);
}

static void test_pool_current_and_peak(void)
{
    void *blocks[10];
    for (int i = 0; i < 10; i++)
        blocks[i] = mk_alloc(MK_INTENT_ENTITY, 32);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 320u);
    CHECK_EQ(s.peak, 320u);
    for (int i = 0; i < 5; i++)
        mk_free(blocks[i]);
    s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 160u);
    CHECK_EQ(s.peak, 320u);
    for (int i = 0; i < 2; i++)
        blocks[i] = mk_alloc(MK_INTENT_ENTITY, 64);
    s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 288u);
    CHECK_EQ(s.peak, 320u);
    for (int i = 2; i < 5; i++)
        blocks[i] = mk_alloc(MK_INTENT_ENTITY, 64);
    s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 480u);
    CHECK_EQ(s.peak, 480u);
    for (int i = 0; i < 10; i++)
        mk_free(blocks[i]);
    s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 0u);
    CHECK_EQ(s.peak, 480u);
    /* the other intent of the shared pool saw none of it */
    CHECK_EQ(check_intent_stats(MK_INTENT_PARTICLE).peak, 0u);
}

static void test_heap_current_and_peak(void)
{
    void *a = mk_alloc(MK_INTENT_BLOB, 10000);
    void *b = mk_alloc(MK_INTENT_BLOB, 20000);
    CHECK(a != NULL && b != NULL);
    uint64_t ua = mk_usable_size(a), ub = mk_usable_size(b);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, ua + ub);
    CHECK_EQ(s.peak, ua + ub);
    mk_free(b);
    void *c = mk_alloc(MK_INTENT_BLOB, 100);
    uint64_t uc = mk_usable_size(c);
    s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, ua + uc);
    CHECK_EQ(s.peak, ua + ub);
    mk_free(a);
    mk_free(c);
    s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, 0u);
    CHECK_EQ(s.peak, ua + ub);
    mk_stats_t all = check_stats();
    CHECK_EQ(all.tiers[MK_TIER_HEAP].used, 0u);
    CHECK(all.tiers[MK_TIER_HEAP].peak >= ua + ub);
}

static void test_frame_current(void)
{
    mk_begin_frame(); /* frame 1 */
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 1000) != NULL); /* 1008 bytes */
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, 1008u);
    mk_end_frame();
    mk_begin_frame(); /* frame 2: frame 1 still in flight */
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 512) != NULL);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_SCRATCH].current, 1520u);
    CHECK_EQ(s.tiers[MK_TIER_FRAME].used, 1520u);
    CHECK_EQ(s.intents[MK_INTENT_SCRATCH].allocations, 2u);
    CHECK_EQ(s.frame_index, 2u);
    mk_end_frame();
    mk_begin_frame(); /* frame 3: frame 1 is out of flight, even before any allocation */
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, 512u);
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_SCRATCH].current, 528u);
    CHECK(s.intents[MK_INTENT_SCRATCH].peak >= 1520u);
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_SCRATCH].current, 0u);
    CHECK_EQ(s.tiers[MK_TIER_FRAME].used, 0u);
    CHECK_EQ(s.intents[MK_INTENT_SCRATCH].frees, 0u); /* frame memory is not freed one by one */
    CHECK_EQ(s.frame_index, 5u);
}

static int contains(const char *text, const char *word)
{
    if (strstr(text, word) != NULL)
        return 1;
    fprintf(stderr, "stats output lacks \"%s\"\n", word);
    return 0;
}

static void test_print(void)
{
    void *e = mk_alloc(MK_INTENT_ENTITY, 16);
    CHECK(mk_alloc(MK_INTENT_BLOB, 8u << 20) == NULL); /* one failure to show */
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f == NULL)
        return;
    mk_stats_print(f);
    long len = ftell(f);
    CHECK(len > 0);
    static char text[8192];
    rewind(f);
    size_t got = fread(text, 1, sizeof text - 1, f);
    text[got] = '\0';
    fclose(f);
    CHECK(contains(text, "intent"));
    CHECK(contains(text, "in use"));
    CHECK(contains(text, "peak"));
    CHECK(contains(text, "budget"));
    CHECK(contains(text, "allocs"));
    CHECK(contains(text, "blob"));
    CHECK(contains(text, "entity"));
    CHECK(contains(text, "particle"));
    CHECK(contains(text, "scratch"));
    CHECK(contains(text, "failures"));
    /* the blob row ends with its one failure in the failures column */
    const char *blob = strstr(text, "\nblob");
    const char *blob_end = blob != NULL ? strchr(blob + 1, '\n') : NULL;
    CHECK(blob_end != NULL && blob_end - blob > 2 && blob_end[-1] == '1' && blob_end[-2] == ' ');
    CHECK(contains(text, "tier heap"));
    CHECK(contains(text, "tier pool"));
    CHECK(contains(text, "tier frame"));
    CHECK(contains(text, "48.0 KiB"));     /* entity's budget */
    CHECK(contains(text, "4.0 MiB"));      /* the total budget */
    CHECK(contains(text, "total budget")); /* there is one in basic.toml */
    /* the entity row shows its 16 bytes in use */
    const char *row = strstr(text, "\nentity");
    CHECK(row != NULL && strstr(row, "16 B") != NULL);
    mk_free(e);
}

static void test_state_errors(void)
{
    mk_stats_t s;
    CHECK_EQ(mk_stats_get(NULL), MK_EINVAL);
    CHECK_EQ(mk_init(&mkg_config), MK_ESTATE); /* already initialised */
    mk_shutdown();
    CHECK_EQ(mk_stats_get(&s), MK_ESTATE);
    FILE *f = tmpfile();
    CHECK(f != NULL);
    if (f != NULL) {
        char text[128] = {0};
        mk_stats_print(f);
        rewind(f);
        size_t got = fread(text, 1, sizeof text - 1, f);
        text[got] = '\0';
        fclose(f);
        CHECK(strstr(text, "not initialised") != NULL);
    }
    CHECK(mk_alloc(MK_INTENT_ENTITY, 16) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK(mk_alloc(MK_INTENT_BLOB, 16) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK_EQ(mk_init(&mkg_config), MK_OK); /* balanced with RUN's mk_shutdown */
    CHECK_EQ(mk_stats_get(&s), MK_OK);
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].allocations, 0u); /* a fresh start */
}

/* ---- threads ---------------------------------------------------------------- */

typedef struct worker {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    int stage; /* 1: the worker allocated; 2: it may exit */
    void *block;
} worker_t;

static void *worker_main(void *arg)
{
    worker_t *w = arg;
    void *p = mk_alloc(MK_INTENT_ENTITY, 32);
    pthread_mutex_lock(&w->lock);
    w->block = p;
    w->stage = 1;
    pthread_cond_broadcast(&w->cond);
    while (w->stage != 2)
        pthread_cond_wait(&w->cond, &w->lock);
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static void test_threads_attached(void)
{
    CHECK_EQ(check_stats().threads_attached, 0u); /* threads attach lazily */
    void *p = mk_alloc(MK_INTENT_ENTITY, 16);
    CHECK(p != NULL);
    CHECK_EQ(check_stats().threads_attached, 1u);

    worker_t w = {.stage = 0};
    pthread_mutex_init(&w.lock, NULL);
    pthread_cond_init(&w.cond, NULL);
    pthread_t th;
    CHECK(pthread_create(&th, NULL, worker_main, &w) == 0);
    pthread_mutex_lock(&w.lock);
    while (w.stage != 1)
        pthread_cond_wait(&w.cond, &w.lock);
    pthread_mutex_unlock(&w.lock);
    CHECK(w.block != NULL);
    CHECK_EQ(check_stats().threads_attached, 2u);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 48u);
    pthread_mutex_lock(&w.lock);
    w.stage = 2;
    pthread_cond_broadcast(&w.cond);
    pthread_mutex_unlock(&w.lock);
    pthread_join(th, NULL);
    CHECK_EQ(check_stats().threads_attached, 1u); /* detached at thread exit */
    /* a block freed by another thread than its allocator: the sums still add up */
    mk_free(w.block);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 16u);
    CHECK_EQ(s.allocations, 2u);
    CHECK_EQ(s.frees, 1u);
    pthread_mutex_destroy(&w.lock);
    pthread_cond_destroy(&w.cond);

    mk_thread_detach();
    CHECK_EQ(check_stats().threads_attached, 0u);
    mk_free(p); /* re-attaches */
    CHECK_EQ(check_stats().threads_attached, 1u);
    CHECK_EQ(check_intent_stats(MK_INTENT_ENTITY).current, 0u);
}

/* A thread beyond max_threads cannot attach: its allocations fail with
 * MK_ETHREADS, but it may still free (mk_free works "from any thread"). */
typedef struct extra {
    void *to_free;
    void *got;
    mk_status_t error;
} extra_t;

static void *extra_main(void *arg)
{
    extra_t *x = arg;
    x->got = mk_alloc(MK_INTENT_ENTITY, 16);
    x->error = mk_last_error();
    mk_free(x->to_free);
    return NULL;
}

/* Runs extra_main in a new thread while every slot is taken: the caller holds
 * one, MKG_MAX_THREADS - 1 workers (each holding a 32-byte entity block) the
 * rest. */
static void run_extra_thread_when_full(extra_t *x)
{
    worker_t w[MKG_MAX_THREADS - 1];
    pthread_t th[MKG_MAX_THREADS - 1];
    for (int i = 0; i < MKG_MAX_THREADS - 1; i++) {
        w[i] = (worker_t){.stage = 0};
        pthread_mutex_init(&w[i].lock, NULL);
        pthread_cond_init(&w[i].cond, NULL);
        CHECK(pthread_create(&th[i], NULL, worker_main, &w[i]) == 0);
        pthread_mutex_lock(&w[i].lock);
        while (w[i].stage != 1)
            pthread_cond_wait(&w[i].cond, &w[i].lock);
        pthread_mutex_unlock(&w[i].lock);
        CHECK(w[i].block != NULL);
    }
    CHECK_EQ(check_stats().threads_attached, (unsigned)MKG_MAX_THREADS);
    pthread_t xt;
    CHECK(pthread_create(&xt, NULL, extra_main, x) == 0);
    pthread_join(xt, NULL);
    for (int i = 0; i < MKG_MAX_THREADS - 1; i++) {
        pthread_mutex_lock(&w[i].lock);
        w[i].stage = 2;
        pthread_cond_broadcast(&w[i].cond);
        pthread_mutex_unlock(&w[i].lock);
        pthread_join(th[i], NULL);
        mk_free(w[i].block);
        pthread_mutex_destroy(&w[i].lock);
        pthread_cond_destroy(&w[i].cond);
    }
    CHECK_EQ(check_stats().threads_attached, 1u);
}

static void test_too_many_threads(void)
{
    void *heap = mk_alloc(MK_INTENT_BLOB, 100);
    CHECK(heap != NULL);
    extra_t x = {.to_free = heap};
    run_extra_thread_when_full(&x);
    CHECK(x.got == NULL);
    CHECK_EQ(x.error, MK_ETHREADS);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].failures, 1u); /* a refused attach is the intent's failure */
    CHECK_EQ(s.attach_failures, 2u); /* its mk_alloc and its mk_free were each refused a slot */
    CHECK_EQ(s.tiers[MK_TIER_HEAP].used, 0u);           /* the block did go back */
    mk_thread_detach();
    CHECK_EQ(check_stats().budget_reserved, 0u); /* and its budget too */
}

/* Regression: a block freed by a thread that cannot attach goes back to its
 * tier and budget, and its bytes must also leave the intent's `current` and
 * count in `frees` (the original mk__pool_free_slow / mk__heap_tier_free
 * skipped the counters when mk__thread() returned NULL). */
static void test_free_beyond_max_threads_updates_stats(void)
{
    void *pool_block = mk_alloc(MK_INTENT_ENTITY, 32);
    CHECK(pool_block != NULL);
    extra_t x = {.to_free = pool_block};
    run_extra_thread_when_full(&x);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_ENTITY);
    CHECK_EQ(s.current, 0u);
    CHECK_EQ(s.frees, (uint64_t)MKG_MAX_THREADS); /* the workers' blocks and this one */

    void *heap_block = mk_alloc(MK_INTENT_BLOB, 100);
    CHECK(heap_block != NULL);
    x = (extra_t){.to_free = heap_block};
    run_extra_thread_when_full(&x);
    s = check_intent_stats(MK_INTENT_BLOB);
    CHECK_EQ(s.current, 0u);
    CHECK_EQ(s.frees, 1u);
}

/* Issue 7 item 14: "in use" is what the program holds; blocks cached by
 * threads and unused budget leases are shown apart; mk_shutdown returns the
 * blocks still live in release builds too. */
static void test_in_use_excludes_caches_and_leases(void)
{
    void *e[4];
    for (int i = 0; i < 4; i++)
        e[i] = mk_alloc(MK_INTENT_ENTITY, 64);
    for (int i = 0; i < 4; i++)
        mk_free(e[i]);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_ENTITY].current, 0u);
    CHECK_EQ(s.tiers[MK_TIER_POOL].used, 0u);
    CHECK(s.tiers[MK_TIER_POOL].cached >= 4u * 64u);
    CHECK(s.intents[MK_INTENT_ENTITY].leased > 0u);
    CHECK(s.budget_reserved >= s.intents[MK_INTENT_ENTITY].leased);
}

static void test_shutdown_counts_live_blocks(void)
{
    void *pool = mk_alloc(MK_INTENT_ENTITY, 16);
    void *heap = mk_alloc(MK_INTENT_BLOB, 100);
    void *freed = mk_alloc(MK_INTENT_PARTICLE, 16);
    mk_free(freed);
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 64) != NULL); /* frame memory: not a leak */
    (void)pool;
    (void)heap;
    CHECK_EQ(mk_shutdown(), 2u);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    CHECK_EQ(mk_shutdown(), 0u);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
}

int main(void)
{
    RUN(test_counts);
    RUN(test_pool_current_and_peak);
    RUN(test_heap_current_and_peak);
    RUN(test_frame_current);
    RUN(test_print);
    RUN(test_state_errors);
    RUN(test_threads_attached);
    RUN(test_too_many_threads);
    RUN(test_free_beyond_max_threads_updates_stats);
    RUN(test_in_use_excludes_caches_and_leases);
    RUN(test_shutdown_counts_live_blocks);
    return check_finish("stats");
}

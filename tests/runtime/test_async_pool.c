/* test_async_pool.c — async pools: each backpressure policy, FIFO grants,
 * cancellation racing a grant, deadlines on a test clock, eviction, budgets,
 * blocking variants and statistics (tests/configs/async.toml). */
#include "async_check.h"

#include "../../async/src/async_internal.h" /* to damage a pool on purpose */

#include <pthread.h>
#include <stdatomic.h>

static void fill(mk_async_pool_id_t pool, void **blocks, unsigned n)
{
    for (unsigned i = 0; i < n; i++)
        CHECK_EQ(mk_async_try_acquire(pool, &blocks[i]), MK_OK);
}

static void test_try_acquire_and_release(void)
{
    void *b[4], *extra = NULL;
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    for (unsigned i = 0; i < 4; i++) {
        CHECK((uintptr_t)b[i] % MKG_ALIGNMENT == 0);
        CHECK_EQ(mk_usable_size(b[i]), 64);
        if (i > 0)
            CHECK((char *)b[i] == (char *)b[i - 1] + 64); /* address order */
        check_fill(b[i], 64, i);
    }
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_FIFO, &extra), MK_EFULL);
    CHECK(extra == NULL);
    for (unsigned i = 0; i < 4; i++)
        CHECK(check_intact(b[i], 64, i));
    mk_async_stats_t s = test_async_stats("fifo", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.in_use, 4);
    CHECK_EQ(s.peak, 4);
    CHECK_EQ(s.capacity, 4);
    CHECK_EQ(s.failures, 1);
    CHECK_EQ(check_intent_stats(MK_INTENT_NET).current, 4 * 64);
    mk_async_release(b[0]);
    mk_free(b[1]); /* mk_free knows async blocks too */
    s = test_async_stats("fifo", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.in_use, 2);
    CHECK_EQ(s.releases, 2);
    CHECK_EQ(check_intent_stats(MK_INTENT_NET).current, 2 * 64);
    CHECK_EQ(check_intent_stats(MK_INTENT_NET).allocations, 4);
    mk_async_release(b[2]);
    mk_async_release(b[3]);
    CHECK_EQ(mk_shutdown(), 0); /* nothing left: no leak reported */
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
}

static void test_fifo_grants_and_dispatch(void)
{
    test_loop_t l;
    test_loop_init(&l);
    void *b[4];
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    test_req_t r[3];
    memset(r, 0, sizeof r);
    test_completions = 0;
    for (int i = 0; i < 3; i++) {
        void *got = NULL;
        CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_FIFO, &got, &l.loop, &r[i].waiter, test_done, &r[i]), MK_PENDING);
        CHECK(got == NULL);
    }
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).waiters, 3);
    void *spare;
    mk_async_release(b[2]);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_FIFO, &spare), MK_EFULL); /* it went to the oldest waiter */
    mk_async_release(b[0]);
    CHECK_EQ(l.wakes, 2);
    CHECK_EQ(test_completions, 0); /* callbacks run only from dispatch */
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 2);
    CHECK_EQ(r[0].order, 1);
    CHECK_EQ(r[1].order, 2);
    CHECK_EQ(r[2].order, 0);
    CHECK_EQ(r[0].status, MK_OK);
    CHECK(r[0].result.ptr == b[2] && r[0].result.len == 64);
    CHECK(r[1].result.ptr == b[0]);
    CHECK_EQ(mk_async_cancel(&r[2].waiter), MK_OK);
    CHECK_EQ(mk_async_cancel(&r[2].waiter), MK_ESTATE);
    CHECK_EQ(mk_async_cancel(&r[0].waiter), MK_ESTATE); /* completed */
    mk_async_stats_t s = test_async_stats("fifo", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.waiters, 0);
    CHECK_EQ(s.cancels, 1);
    CHECK_EQ(s.grants, 6);
    mk_async_release(b[1]);
    mk_async_release(b[3]);
    mk_async_release(r[0].result.ptr);
    mk_async_release(r[1].result.ptr);
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).in_use, 0);
}

static void test_cancel_after_grant_passes_block_on(void)
{
    test_loop_t l;
    test_loop_init(&l);
    void *b[4];
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    test_req_t a, c;
    memset(&a, 0, sizeof a);
    memset(&c, 0, sizeof c);
    test_completions = 0;
    void *got;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_FIFO, &got, &l.loop, &a.waiter, test_done, &a), MK_PENDING);
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_FIFO, &got, &l.loop, &c.waiter, test_done, &c), MK_PENDING);
    mk_async_release(b[1]); /* granted to a, not yet dispatched */
    CHECK_EQ(mk_async_cancel(&a.waiter), MK_OK);
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK_EQ(a.order, 0);
    CHECK_EQ(c.order, 1);
    CHECK(c.result.ptr == b[1]); /* the block a gave up went to c */
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).grants, 5); /* a's grant was undone */

    /* no one waiting: a block given up goes back to the pool */
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_FIFO, &got, &l.loop, &a.waiter, test_done, &a), MK_PENDING);
    mk_async_release(b[2]);
    CHECK_EQ(mk_async_cancel(&a.waiter), MK_OK);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_FIFO, &got), MK_OK);
    CHECK(got == b[2]);
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).in_use, 4);
    mk_async_release(got);
    mk_async_release(c.result.ptr);
    mk_async_release(b[0]);
    mk_async_release(b[3]);
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).in_use, 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_NET).current, 0);
}

static void test_fail_policy(void)
{
    test_loop_t l;
    test_loop_init(&l);
    void *b[2], *got = NULL;
    fill(MK_ASYNC_POOL_QUICK, b, 2);
    test_req_t r;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_QUICK, &got, &l.loop, &r.waiter, test_done, &r), MK_EFULL);
    CHECK_EQ(mk_async_acquire_blocking(MK_ASYNC_POOL_QUICK, &got, MK_ASYNC_FOREVER), MK_EFULL);
    mk_async_stats_t s = test_async_stats("quick", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.failures, 2);
    CHECK_EQ(s.waiters, 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_NET).failures, 2);
    mk_async_release(b[0]);
    mk_async_release(b[1]);
}

static void test_timeout_policy(void)
{
    test_loop_t l;
    test_loop_init(&l);
    void *b, *got;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_TIMED, &b), MK_OK);
    test_req_t a, c;
    memset(&a, 0, sizeof a);
    memset(&c, 0, sizeof c);
    test_completions = 0;
    mk_time_t t0 = test_now;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_TIMED, &got, &l.loop, &a.waiter, test_done, &a), MK_PENDING);
    CHECK_EQ(l.armed, t0 + 10000000u); /* 10 ms */
    test_now = t0 + 2000000u;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_TIMED, &got, &l.loop, &c.waiter, test_done, &c), MK_PENDING);
    CHECK_EQ(l.armed, t0 + 10000000u); /* c is due later: the timer stays */
    test_now = t0 + 10000000u - 1u;
    unsigned timers = l.timers;
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 0); /* a one-shot timer that fired early */
    CHECK_EQ(l.timers, timers + 1);                     /* is armed again, for the same deadline */
    CHECK_EQ(l.armed, t0 + 10000000u);
    test_now = t0 + 10000000u;
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK_EQ(a.status, MK_ETIMEDOUT);
    CHECK(a.result.ptr == NULL);
    CHECK_EQ(l.armed, t0 + 12000000u); /* re-armed for c */
    test_now = t0 + 11000000u;
    mk_async_release(b); /* c is granted before its deadline */
    test_now = t0 + 20000000u;
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK_EQ(c.status, MK_OK); /* granted first: the deadline passing later changes nothing */
    CHECK(c.result.ptr == b);
    CHECK_EQ(l.armed, MK_ASYNC_FOREVER);
    mk_async_stats_t s = test_async_stats("timed", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.timeouts, 1);
    CHECK_EQ(s.longest_wait_ns, 10000000u); /* a waited the whole 10 ms; c 9 ms */
    mk_async_release(c.result.ptr);
}

/* A deadline that passes is a grant of "nothing": another loop's dispatch
 * expires the waiter onto its own loop, and a cancel before its dispatch
 * still withdraws it (counted once, as cancelled). */
static void test_timeout_then_cancel(void)
{
    test_loop_t mine, other;
    test_loop_init(&mine);
    test_loop_init(&other);
    void *b, *got;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_TIMED, &b), MK_OK);
    test_req_t r;
    memset(&r, 0, sizeof r);
    test_completions = 0;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_TIMED, &got, &mine.loop, &r.waiter, test_done, &r), MK_PENDING);
    test_now += 10000000u;
    unsigned wakes = mine.wakes;
    CHECK_EQ(mk_async_dispatch(&other.loop, test_now), 0); /* expires it, onto `mine` */
    CHECK_EQ(mine.wakes, wakes + 1);
    CHECK_EQ(mk_async_cancel(&r.waiter), MK_OK);
    CHECK_EQ(mk_async_dispatch(&mine.loop, test_now), 0);
    CHECK_EQ(r.order, 0);
    mk_async_stats_t s = test_async_stats("timed", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.timeouts, 0);
    CHECK_EQ(s.cancels, 1);
    mk_async_release(b);
}

static void *evicted[4];
static int evictions;

static void on_evict(void *block, void *user)
{
    CHECK(user == &evictions);
    evicted[evictions++] = block;
}

static void test_evict_policy(void)
{
    test_loop_t l;
    test_loop_init(&l);
    evictions = 0;
    void *a, *b, *got;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_LRU, &a), MK_OK);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_LRU, &b), MK_OK);
    CHECK_EQ(mk_async_set_evictable(a, on_evict, &evictions), MK_OK);
    CHECK_EQ(mk_async_set_evictable(b, on_evict, &evictions), MK_OK);
    mk_async_touch(a); /* a used last: b is the least recently used */
    test_req_t r;
    memset(&r, 0, sizeof r);
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_LRU, &got, &l.loop, &r.waiter, test_done, &r), MK_OK);
    CHECK_EQ(evictions, 1);
    CHECK(evicted[0] == b && got == b);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_LRU, &got), MK_EFULL); /* try never evicts */
    void *c;
    CHECK_EQ(mk_async_acquire_blocking(MK_ASYNC_POOL_LRU, &c, MK_ASYNC_FOREVER), MK_OK);
    CHECK(evicted[1] == a && c == a);
    /* nothing evictable: the request waits, and the next block marked
     * evictable is evicted for it at once */
    test_completions = 0;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_LRU, &got, &l.loop, &r.waiter, test_done, &r), MK_PENDING);
    CHECK_EQ(mk_async_set_evictable(c, on_evict, &evictions), MK_OK);
    CHECK_EQ(evictions, 3); /* c evicted for the waiter */
    CHECK_EQ(mk_async_dispatch(&l.loop, test_now), 1);
    CHECK(r.result.ptr == c);
    CHECK_EQ(test_async_stats("lru", MK_ASYNC_KIND_POOL).evictions, 3);
    CHECK_EQ(mk_async_set_evictable(b, NULL, NULL), MK_EINVAL);
    void *f;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_FIFO, &f), MK_OK);
    CHECK_EQ(mk_async_set_evictable(f, on_evict, NULL), MK_EINVAL); /* not an evict pool */
    mk_async_release(f);
    mk_async_release(b);
    mk_async_release(r.result.ptr);
    CHECK_EQ(test_async_stats("lru", MK_ASYNC_KIND_POOL).in_use, 0);
}

static void test_budget_and_reserved_storage(void)
{
    void *b[4];
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_MAPPED, &b[0]), MK_OK);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_MAPPED, &b[1]), MK_OK);
    /* the pool has 4 blocks, the intent's budget only 128 bytes */
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_MAPPED, &b[2]), MK_EBUDGET);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_TIGHT);
    CHECK_EQ(s.current, 128);
    CHECK_EQ(s.failures, 1);
    CHECK_EQ(s.tier, MK_TIER_ASYNC);
    mk_async_release(b[0]);
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_MAPPED, &b[2]), MK_OK);
    mk_async_release(b[1]);
    mk_async_release(b[2]);
    CHECK_EQ(check_intent_stats(MK_INTENT_TIGHT).current, 0);
}

static void *blocking_acquirer(void *arg)
{
    void *got = NULL;
    mk_status_t status = mk_async_acquire_blocking(MK_ASYNC_POOL_FIFO, &got, MK_ASYNC_FOREVER);
    *(void **)arg = status == MK_OK ? got : NULL;
    return NULL;
}

static void test_blocking_variants(void)
{
    void *b[4], *got = NULL;
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    /* a deadline on the real clock: the status is asserted, not the time */
    CHECK_EQ(mk_async_acquire_blocking(MK_ASYNC_POOL_FIFO, &got, 1000000u), MK_ETIMEDOUT);
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).timeouts, 1);
    pthread_t thread;
    void *result = NULL;
    CHECK_EQ(pthread_create(&thread, NULL, blocking_acquirer, &result), 0);
    /* wait until it queued, then release: it gets exactly that block */
    while (test_async_stats("fifo", MK_ASYNC_KIND_POOL).waiters == 0)
        sched_yield();
    mk_async_release(b[3]);
    pthread_join(thread, NULL);
    CHECK(result == b[3]);
    mk_async_release(result);
    for (unsigned i = 0; i < 3; i++)
        mk_async_release(b[i]);
}

#define QUEUERS 4
static atomic_int served_order[QUEUERS];
static atomic_int claimed, served; /* positions taken; positions written */
static void *queued_block[QUEUERS];

static void *queue_and_wait(void *arg)
{
    int id = (int)(intptr_t)arg;
    CHECK_EQ(mk_async_acquire_blocking(MK_ASYNC_POOL_FIFO, &queued_block[id], MK_ASYNC_FOREVER), MK_OK);
    atomic_store(&served_order[atomic_fetch_add(&claimed, 1)], id);
    atomic_fetch_add(&served, 1);
    return NULL;
}

/* Threads that queue one after another are served in that order, one
 * release each, whoever runs first after the release. */
static void test_fifo_under_contention(void)
{
    void *b[4];
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    atomic_store(&claimed, 0);
    atomic_store(&served, 0);
    pthread_t threads[QUEUERS];
    for (int i = 0; i < QUEUERS; i++) {
        CHECK_EQ(pthread_create(&threads[i], NULL, queue_and_wait, (void *)(intptr_t)i), 0);
        while (test_async_stats("fifo", MK_ASYNC_KIND_POOL).waiters != (uint64_t)i + 1u)
            sched_yield();
    }
    for (int k = 0; k < QUEUERS; k++) {
        mk_async_release(b[k]);
        while (atomic_load(&served) != k + 1)
            sched_yield();
        CHECK_EQ(atomic_load(&served_order[k]), k);
        CHECK(queued_block[k] == b[k]);
    }
    for (int i = 0; i < QUEUERS; i++) {
        pthread_join(threads[i], NULL);
        mk_async_release(queued_block[i]);
    }
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).in_use, 0);
}

/* Cancel on one thread racing dispatch on the loop's thread: exactly one
 * of the two wins, every time, and the block is never lost. */
static mk_async_loop_t race_loop;
static atomic_int race_stop, race_done;
static void *race_block;

static void on_race_done(mk_async_waiter_t *w, mk_status_t status, mk_msg_t result)
{
    (void)w;
    CHECK_EQ(status, MK_OK);
    race_block = result.ptr;
    atomic_store(&race_done, 1);
}

static void *race_dispatcher(void *arg)
{
    (void)arg;
    while (!atomic_load(&race_stop))
        mk_async_dispatch(&race_loop, mk_async_now());
    return NULL;
}

static void test_cancel_races_dispatch(void)
{
    mk_async_set_clock(NULL, NULL);
    mk_async_loop_init(&race_loop, NULL);
    void *b[4];
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    atomic_store(&race_stop, 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, race_dispatcher, NULL), 0);
    int cancelled = 0, completed = 0;
    for (int i = 0; i < 2000; i++) {
        static mk_async_waiter_t w;
        void *got;
        atomic_store(&race_done, 0);
        CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_FIFO, &got, &race_loop, &w, on_race_done, NULL), MK_PENDING);
        mk_async_release(b[3]); /* granted to w: ready on the racing loop */
        if (mk_async_cancel(&w) == MK_OK) {
            cancelled++;
            CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_FIFO, &b[3]), MK_OK); /* handed back */
            CHECK(atomic_load(&race_done) == 0);
        } else {
            completed++;
            while (!atomic_load(&race_done))
                sched_yield();
            b[3] = race_block;
        }
    }
    atomic_store(&race_stop, 1);
    pthread_join(thread, NULL);
    mk_async_dispatch(&race_loop, mk_async_now());
    CHECK_EQ(cancelled + completed, 2000);
    for (unsigned i = 0; i < 4; i++)
        mk_async_release(b[i]);
    CHECK_EQ(test_async_stats("fifo", MK_ASYNC_KIND_POOL).in_use, 0);
}

static void test_other_tiers_refuse_async_intents(void)
{
    CHECK(mk_alloc(MK_INTENT_NET, 16) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_alloc_aligned(MK_INTENT_NET, 16, 256) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK_EQ(mk_async_block_size(MK_ASYNC_POOL_LRU), 128);
    /* mk_free and mk_usable_size find every pool's blocks (static and mapped) */
    void *one[MKG_ASYNC_POOL_COUNT];
    for (unsigned i = 0; i < MKG_ASYNC_POOL_COUNT; i++) {
        CHECK_EQ(mk_async_try_acquire((mk_async_pool_id_t)i, &one[i]), MK_OK);
        CHECK_EQ(mk_usable_size(one[i]), mk_async_block_size((mk_async_pool_id_t)i));
    }
    for (unsigned i = 0; i < MKG_ASYNC_POOL_COUNT; i++)
        mk_free(one[i]);
    mk_stats_t stats = check_stats();
    for (uint32_t i = 0; i < stats.async_count; i++)
        CHECK_EQ(stats.async[i].in_use, 0);
    void *got;
    CHECK_EQ(mk_async_try_acquire((mk_async_pool_id_t)99, &got), MK_EINVAL);
}

static atomic_int churn_stop;

static void *churn(void *arg)
{
    (void)arg;
    while (!atomic_load(&churn_stop)) {
        void *b;
        if (mk_async_try_acquire(MK_ASYNC_POOL_STRESS, &b) == MK_OK)
            mk_async_release(b);
    }
    return NULL;
}

/* fork() while another thread churns a pool: the child finds every async
 * lock free and the pool whole (memkit's fork handlers take them). */
static void test_fork_while_churning(void)
{
    atomic_store(&churn_stop, 0);
    pthread_t thread;
    CHECK_EQ(pthread_create(&thread, NULL, churn, NULL), 0);
    for (int round = 0; round < 20; round++) {
        fflush(NULL);
        pid_t pid = fork();
        if (pid == 0) {
            void *b[8];
            int got = 0;
            while (got < 8 && mk_async_try_acquire(MK_ASYNC_POOL_STRESS, &b[got]) == MK_OK)
                got++;
            /* the churning thread is gone: at most the block it held is missing */
            for (int i = 0; i < got; i++)
                mk_async_release(b[i]);
            _exit(got >= 7 ? 0 : 1);
        }
        int status = 0;
        CHECK(waitpid(pid, &status, 0) == pid);
        CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    atomic_store(&churn_stop, 1);
    pthread_join(thread, NULL);
    CHECK_EQ(test_async_stats("stress", MK_ASYNC_KIND_POOL).in_use, 0);
}

/* mk_validate checks the async tier: quiet on a pool with waiters, and
 * it finds a free stack that was damaged. */
static void test_validate(void)
{
    test_loop_t l;
    test_loop_init(&l);
    void *b[4], *got;
    fill(MK_ASYNC_POOL_FIFO, b, 4);
    test_req_t r;
    CHECK_EQ(mk_async_acquire(MK_ASYNC_POOL_FIFO, &got, &l.loop, &r.waiter, test_done, &r), MK_PENDING);
    CHECK_EQ(mk_validate(), MK_OK);
    mk__apool_t *p = &mk__async.pools[MK_ASYNC_POOL_FIFO];
    p->top = 1; /* a free block while a waiter waits, and an entry that was never written */
    uint32_t saved = p->stack[0];
    p->stack[0] = 99;
    CHECK_EQ(mk_validate(), MK_ECORRUPT);
    p->stack[0] = saved;
    p->top = 0;
    CHECK_EQ(mk_validate(), MK_OK);
    CHECK_EQ(mk_async_cancel(&r.waiter), MK_OK);
    for (unsigned i = 0; i < 4; i++)
        mk_async_release(b[i]);
}

static void test_bad_release_stops(void)
{
    void *b;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_FIFO, &b), MK_OK);
    mk_async_release(b);
    EXPECT_DEATH(mk_async_release(b), "released twice");
    EXPECT_DEATH(mk_async_release((char *)b + 8), "inside an async block");
    int local;
    EXPECT_DEATH(mk_async_release(&local), "no async pool holds");
}

int main(void)
{
    RUN(test_try_acquire_and_release);
    RUN(test_fifo_grants_and_dispatch);
    RUN(test_cancel_after_grant_passes_block_on);
    RUN(test_fail_policy);
    RUN(test_timeout_policy);
    RUN(test_timeout_then_cancel);
    RUN(test_evict_policy);
    RUN(test_budget_and_reserved_storage);
    RUN(test_blocking_variants);
    RUN(test_fifo_under_contention);
    RUN(test_cancel_races_dispatch);
    RUN(test_other_tiers_refuse_async_intents);
    RUN(test_fork_while_churning);
    RUN(test_validate);
    RUN(test_bad_release_stops);
    return check_finish("test_async_pool");
}

/* test_async_stress.c — grants racing cancels, releases and deadlines
 * (a 100 us timeout pool: loop waiters expire in dispatch, blocking ones on
 * their own) on many threads, each with its own loop. Every block is checked
 * to have one owner at a time (an owner flag per block: a block granted twice
 * trips it) and, at the end, to be back in the pool: nothing lost, nothing
 * granted twice. Run under TSan and ASan by `make test`; MEMKIT_STRESS_OPS sets the
 * operations per thread (make soak runs more). */
#include "async_check.h"

#include <pthread.h>
#include <stdatomic.h>

#define THREADS 6
#define ROUNDS 50 /* stress rounds at most, until a cancel and a timeout have raced (test_grants_race_cancels) */
#define REQS 3   /* requests a thread has in flight at most */
#define HELD 4   /* blocks a thread holds at most */
#define BLOCK_COUNT 8

static atomic_int owner[BLOCK_COUNT]; /* 1 while someone holds the block */
static unsigned char *base;
static atomic_int double_grants;

static unsigned block_index(void *b)
{
    return (unsigned)(((unsigned char *)b - base) / 64);
}

static void take(void *b)
{
    if (atomic_exchange(&owner[block_index(b)], 1) != 0)
        atomic_fetch_add(&double_grants, 1);
}

static void give(void *b)
{
    atomic_store(&owner[block_index(b)], 0);
    mk_async_release(b);
}

typedef struct worker {
    mk_async_loop_t loop;
    test_req_t req[REQS];
    int pending[REQS]; /* queued (callback not yet run) */
    void *held[HELD];
    unsigned seed;
    unsigned long grants, cancels, timeouts;
} worker_t;

static unsigned next_rand(unsigned *seed)
{
    *seed = *seed * 1103515245u + 12345u;
    return *seed >> 16;
}

static void on_done(mk_async_waiter_t *w, mk_status_t status, mk_msg_t result)
{
    worker_t *self = w->user;
    test_req_t *r = (test_req_t *)(void *)w;
    int i = (int)(r - self->req);
    self->pending[i] = 0;
    if (status == MK_ETIMEDOUT)
        self->timeouts++;
    if (status != MK_OK)
        return;
    take(result.ptr);
    self->grants++;
    for (int h = 0; h < HELD; h++)
        if (self->held[h] == NULL) {
            self->held[h] = result.ptr;
            return;
        }
    give(result.ptr); /* hands full: straight back */
}

static void hold(worker_t *self, void *b)
{
    take(b);
    self->grants++;
    for (int h = 0; h < HELD; h++)
        if (self->held[h] == NULL) {
            self->held[h] = b;
            return;
        }
    give(b);
}

static long ops_per_thread(void)
{
    const char *env = getenv("MEMKIT_STRESS_OPS");
    return env != NULL ? atol(env) : 50000;
}

static void *work(void *arg)
{
    worker_t *self = arg;
    mk_async_loop_init(&self->loop, NULL); /* no hooks: dispatch is polled */
    long ops = ops_per_thread();
    for (long op = 0; op < ops; op++) {
        unsigned dice = next_rand(&self->seed) % 100u;
        int i = (int)(next_rand(&self->seed) % REQS);
        if (dice < 35) { /* ask */
            if (!self->pending[i]) {
                void *b = NULL;
                mk_status_t s = mk_async_acquire(MK_ASYNC_POOL_RACY, &b, &self->loop, &self->req[i].waiter, on_done,
                                                 self);
                if (s == MK_OK)
                    hold(self, b);
                else if (s == MK_PENDING)
                    self->pending[i] = 1;
            }
        } else if (dice < 50) { /* give up on a request, whatever state it is in */
            if (self->pending[i] && mk_async_cancel(&self->req[i].waiter) == MK_OK) {
                self->pending[i] = 0;
                self->cancels++;
            }
        } else if (dice < 75) { /* give a block back */
            int h = (int)(next_rand(&self->seed) % HELD);
            if (self->held[h] != NULL) {
                give(self->held[h]);
                self->held[h] = NULL;
            }
        } else if (dice < 78) { /* a plain thread's short blocking wait */
            void *b = NULL;
            mk_status_t s = mk_async_acquire_blocking(MK_ASYNC_POOL_RACY, &b, 20000u);
            if (s == MK_OK)
                hold(self, b);
            else if (s == MK_ETIMEDOUT)
                self->timeouts++;
        } else {
            mk_async_dispatch(&self->loop, mk_async_now());
        }
    }
    /* wind down: cancel or complete every request, give every block back */
    for (int i = 0; i < REQS; i++)
        if (self->pending[i] && mk_async_cancel(&self->req[i].waiter) == MK_OK) {
            self->pending[i] = 0;
            self->cancels++;
        }
    for (;;) {
        for (int h = 0; h < HELD; h++)
            if (self->held[h] != NULL) {
                give(self->held[h]);
                self->held[h] = NULL;
            }
        int left = 0;
        for (int i = 0; i < REQS; i++)
            left += self->pending[i];
        if (left == 0)
            break;
        mk_async_dispatch(&self->loop, mk_async_now());
        sched_yield();
    }
    return NULL;
}

static void test_grants_race_cancels(void)
{
    mk_async_set_clock(NULL, NULL);
    void *first;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_RACY, &first), MK_OK);
    base = first; /* the lowest block comes first */
    mk_async_release(first);
    static worker_t workers[THREADS];
    pthread_t threads[THREADS];
    unsigned long grants = 0, cancels = 0, timeouts = 0;
    /* Whether a cancel meets a pending request, or a blocking wait finds the
     * pool empty for its whole timeout, depends on how the OS schedules the
     * threads: on a loaded machine one round may run them one after another.
     * Rounds repeat (each fully checked below) until both races happened. */
    for (int round = 0; round < ROUNDS && (cancels == 0 || timeouts == 0); round++) {
        for (int t = 0; t < THREADS; t++) {
            memset(&workers[t], 0, sizeof workers[t]);
            workers[t].seed = 7u + (unsigned)t * 7919u + (unsigned)round * 104729u;
            CHECK_EQ(pthread_create(&threads[t], NULL, work, &workers[t]), 0);
        }
        for (int t = 0; t < THREADS; t++) {
            pthread_join(threads[t], NULL);
            grants += workers[t].grants;
            cancels += workers[t].cancels;
            timeouts += workers[t].timeouts;
        }
    }
    CHECK_EQ(atomic_load(&double_grants), 0);
    mk_async_stats_t s = test_async_stats("racy", MK_ASYNC_KIND_POOL);
    CHECK_EQ(s.in_use, 0);
    CHECK_EQ(s.waiters, 0);
    CHECK_EQ(s.cancels, cancels);
    CHECK_EQ(s.timeouts, timeouts);
    CHECK_EQ(s.grants, grants + 1u); /* + the test's own first block */
    CHECK(grants > 0 && cancels > 0 && timeouts > 0); /* the races did happen */
    CHECK_EQ(check_intent_stats(MK_INTENT_NET).current, 0);
    void *all[BLOCK_COUNT];
    for (int i = 0; i < BLOCK_COUNT; i++) { /* every block is back, once */
        CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_RACY, &all[i]), MK_OK);
        CHECK(atomic_load(&owner[block_index(all[i])]) == 0);
    }
    void *extra;
    CHECK_EQ(mk_async_try_acquire(MK_ASYNC_POOL_RACY, &extra), MK_EFULL);
    for (int i = 0; i < BLOCK_COUNT; i++)
        mk_async_release(all[i]);
    printf("stress: %lu grants from queues or at once, %lu cancels, %lu timeouts\n", grants, cancels, timeouts);
}

int main(void)
{
    RUN(test_grants_race_cancels);
    return check_finish("test_async_stress");
}

/* bench/bench_async.c — memkit's async pools against DPDK's rte_mempool and a
 * hand-written mutex+condvar pool (issue 9; `make bench` runs it through
 * bench/run_async.sh).
 *
 * Built against bench/bench_async.toml with bench/bench_async_dpdk.c (DPDK's
 * side, compiled apart with DPDK's flags). Three tables, measured in one
 * process, the rounds interleaving all three and all pools (the order in
 * each part rotates every round), so noise on a shared machine falls on
 * every pool alike:
 *
 *   uncontended  one thread takes one 256 B block and gives it back, 100 000
 *                times a sample; ns per pair, median (min, max) of the rounds;
 *   contended    2 and 8 threads share a pool of 4 blocks; each takes one,
 *                holds it (ba_hold: ~100 ns of work) and gives it back; a run
 *                lets them go CONTENDED_WARM_MS untimed, then counts the
 *                pairs of the next CONTENDED_MS: pairs per second across all
 *                threads, and the least thread's share of them (fairness), in
 *                the steady state (a waiting convoy takes a few ms to form,
 *                and a run of 60 ms from the start showed memkit's 8-thread
 *                rate 10x too high). At 8 threads the
 *                pool is short, so threads wait: memkit in
 *                mk_async_acquire_blocking, the mutex+condvar pool on its
 *                condvar, DPDK (which cannot wait; over its default ring and
 *                over the ring it offers for overcommitted CPUs) and memkit's
 *                mk_async_try_acquire in a retry loop;
 *   latency      the pool is empty (the releasing thread holds its only block)
 *                and one thread waits for it, asleep; the releaser stamps
 *                CLOCK_MONOTONIC just before the release, the waiter just
 *                after it has the block (or, on a loop, first thing in the
 *                completion callback); many samples, p50/p90/p99/max. A floor
 *                row wakes a thread asleep in read(2) on an eventfd, no pool:
 *                the machine's own wake-up latency.
 *
 * The mutex+condvar pool is what a C programmer would write by hand: a stack
 * of free blocks under a pthread mutex, acquirers waiting on a condvar while
 * it is empty, a release signalling one waiter. Its functions are not
 * inlined, as memkit's are not (they live in another file); DPDK's
 * get/put are static inline in its headers and are inlined.
 *
 * Usage: bench_async [rounds]   (default 21; also MK_BENCH_ROUNDS;
 *        MK_BENCH_SKIP="dpdk" leaves DPDK out)
 */
#define _GNU_SOURCE /* RUSAGE_THREAD */
#include <memkit/async.h>
#include <memkit/memkit.h>

#include "bench_async.h"
#include "loadavg.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <unistd.h>

#define NOINLINE __attribute__((noinline))
#define MAX_ROUNDS 101
#define CONTENDED_WARM_MS 50     /* a contended run: untimed first */
#define CONTENDED_MS 100         /* then timed */
#define MAX_THREADS 8
#define LAT_SAMPLES 100          /* latency samples per round and waiter */
#define LAT_SETTLE_NS 200000     /* the releaser waits this long once the waiter is queued: it is asleep */

static void fail(const char *what, mk_status_t st)
{
    fprintf(stderr, "bench-async: %s: %s\n", what, mk_status_str(st));
    exit(1);
}

static void sleep_ns(long ns)
{
    struct timespec ts = {ns / 1000000000L, ns % 1000000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

/* p in [0, 100] of v[0..n-1], sorted (nearest rank). */
static double pct(const double *v, int n, double p)
{
    int i = (int)((p / 100.0) * (double)n + 0.5) - 1;
    return v[i < 0 ? 0 : i >= n ? n - 1 : i];
}

/* ---- the mutex+condvar pool -------------------------------------------------------- */

typedef struct mcv_pool {
    pthread_mutex_t mutex;
    pthread_cond_t nonempty;
    void **stack; /* free blocks, stack[top - 1] next */
    unsigned top;
    unsigned waiting; /* threads in pthread_cond_wait */
} mcv_pool_t;

static void mcv_init(mcv_pool_t *p, unsigned char *mem, void **stack, unsigned count)
{
    pthread_mutex_init(&p->mutex, NULL);
    pthread_cond_init(&p->nonempty, NULL);
    p->stack = stack;
    for (unsigned i = 0; i < count; i++)
        stack[i] = mem + (size_t)(count - 1u - i) * BA_BLOCK; /* the lowest address on top */
    p->top = count;
    p->waiting = 0;
}

NOINLINE static void *mcv_acquire(mcv_pool_t *p)
{
    pthread_mutex_lock(&p->mutex);
    while (p->top == 0) {
        p->waiting++;
        pthread_cond_wait(&p->nonempty, &p->mutex);
        p->waiting--;
    }
    void *b = p->stack[--p->top];
    pthread_mutex_unlock(&p->mutex);
    return b;
}

NOINLINE static void mcv_release(mcv_pool_t *p, void *b)
{
    pthread_mutex_lock(&p->mutex);
    p->stack[p->top++] = b;
    if (p->waiting != 0)
        pthread_cond_signal(&p->nonempty);
    pthread_mutex_unlock(&p->mutex);
}

static unsigned mcv_waiting(mcv_pool_t *p)
{
    pthread_mutex_lock(&p->mutex);
    unsigned n = p->waiting;
    pthread_mutex_unlock(&p->mutex);
    return n;
}

static _Alignas(64) unsigned char g_mcv_single_mem[BA_UNCONTENDED_BLOCKS * BA_BLOCK];
static _Alignas(64) unsigned char g_mcv_shared_mem[BA_SHARED_BLOCKS * BA_BLOCK];
static _Alignas(64) unsigned char g_mcv_handoff_mem[BA_BLOCK];
static void *g_mcv_single_stack[BA_UNCONTENDED_BLOCKS], *g_mcv_shared_stack[BA_SHARED_BLOCKS],
    *g_mcv_handoff_stack[1];
static mcv_pool_t g_mcv_single, g_mcv_shared, g_mcv_handoff;

/* ---- the floor: a stack under an xchg spinlock, inlined ----------------------------- */

static struct {
    atomic_int lock;
    unsigned top;
    void *stack[BA_UNCONTENDED_BLOCKS];
} g_floor;
static _Alignas(64) unsigned char g_floor_mem[BA_UNCONTENDED_BLOCKS * BA_BLOCK];

static inline void floor_lock(void)
{
    while (atomic_exchange_explicit(&g_floor.lock, 1, memory_order_acquire) != 0)
        while (atomic_load_explicit(&g_floor.lock, memory_order_relaxed) != 0)
            BA_CPU_RELAX();
}

static inline void floor_unlock(void) { atomic_store_explicit(&g_floor.lock, 0, memory_order_release); }

/* ---- uncontended -------------------------------------------------------------------- */

enum { U_MEMKIT, U_MEMKIT_BUDGETED, U_DPDK_CACHED, U_DPDK_RING, U_MCV, U_FLOOR, U_COUNT };
static const char *const g_u_names[U_COUNT] = {
    "memkit mk_async_try_acquire + mk_async_release",
    "memkit, the same on a budgeted intent",
    "DPDK rte_mempool_get + put, per-lcore cache 256",
    "DPDK rte_mempool_get + put, no cache (ring_mp_mc)",
    "mutex+condvar pool (pthread)",
    "floor: xchg-locked stack pop+push, inlined",
};

NOINLINE static double u_memkit(mk_async_pool_id_t pool)
{
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < BA_UNCONTENDED_OPS; i++) {
        void *b;
        bad |= mk_async_try_acquire(pool, &b) != MK_OK;
        BA_ESCAPE(b);
        mk_async_release(b);
    }
    uint64_t t1 = now_ns();
    if (bad)
        fail("mk_async_try_acquire on an uncontended pool", MK_EFULL);
    return (double)(t1 - t0) / BA_UNCONTENDED_OPS;
}

NOINLINE static double u_mcv(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < BA_UNCONTENDED_OPS; i++) {
        void *b = mcv_acquire(&g_mcv_single);
        BA_ESCAPE(b);
        mcv_release(&g_mcv_single, b);
    }
    return (double)(now_ns() - t0) / BA_UNCONTENDED_OPS;
}

NOINLINE static double u_floor(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < BA_UNCONTENDED_OPS; i++) {
        floor_lock();
        void *b = g_floor.stack[--g_floor.top];
        floor_unlock();
        BA_ESCAPE(b);
        floor_lock();
        g_floor.stack[g_floor.top++] = b;
        floor_unlock();
    }
    return (double)(now_ns() - t0) / BA_UNCONTENDED_OPS;
}

static double run_uncontended(int u)
{
    switch (u) {
    case U_MEMKIT:
        return u_memkit(MK_ASYNC_POOL_SINGLE);
    case U_MEMKIT_BUDGETED:
        return u_memkit(MK_ASYNC_POOL_SINGLE_BUDGETED);
    case U_DPDK_CACHED:
        return ba_dpdk_uncontended(1);
    case U_DPDK_RING:
        return ba_dpdk_uncontended(0);
    case U_MCV:
        return u_mcv();
    default:
        return u_floor();
    }
}

/* The work of ba_hold alone, ns (a held block's share of a contended pair). */
NOINLINE static double hold_alone(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < BA_UNCONTENDED_OPS; i++)
        ba_hold(g_floor_mem);
    return (double)(now_ns() - t0) / BA_UNCONTENDED_OPS;
}

/* ---- contended -------------------------------------------------------------------- */

enum { C_MEMKIT, C_MEMKIT_TRY, C_MCV, C_DPDK, C_DPDK_RTS, C_COUNT };
static const char *const g_c_names[C_COUNT] = {
    "memkit mk_async_acquire_blocking",
    "memkit mk_async_try_acquire",
    "mutex+condvar pool (pthread)",
    "DPDK rte_mempool_get, ring_mp_mc",
    "DPDK rte_mempool_get, ring_mt_rts",
};
static const char *const g_c_waits[C_COUNT] = {
    "waits (FIFO queue, parked thread)",
    "retry loop",
    "waits on the condvar",
    "retry loop (cannot wait)",
    "retry loop (cannot wait)",
};
static const int g_thread_counts[] = {2, 8};
#define THREAD_ROWS ((int)(sizeof g_thread_counts / sizeof g_thread_counts[0]))

/* A contended worker; `pairs` is its count so far, which the main thread
 * reads at the start and the end of the timed window. */
typedef struct worker {
    _Alignas(64) _Atomic uint64_t pairs;
    pthread_t thread;
    int impl;
} worker_t;

static atomic_int g_stop;
static pthread_barrier_t g_barrier;

static void c_memkit(_Atomic uint64_t *pairs)
{
    uint64_t n = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        void *b;
        mk_status_t st = mk_async_acquire_blocking(MK_ASYNC_POOL_SHARED, &b, MK_ASYNC_FOREVER);
        if (st != MK_OK)
            fail("mk_async_acquire_blocking", st);
        ba_hold(b);
        mk_async_release(b);
        atomic_store_explicit(pairs, ++n, memory_order_relaxed);
    }
}

static void c_memkit_try(_Atomic uint64_t *pairs)
{
    uint64_t n = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        void *b;
        unsigned spins = 0;
        while (mk_async_try_acquire(MK_ASYNC_POOL_SHARED, &b) != MK_OK)
            ba_backoff(&spins);
        ba_hold(b);
        mk_async_release(b);
        atomic_store_explicit(pairs, ++n, memory_order_relaxed);
    }
}

static void c_mcv(_Atomic uint64_t *pairs)
{
    uint64_t n = 0;
    while (!atomic_load_explicit(&g_stop, memory_order_relaxed)) {
        void *b = mcv_acquire(&g_mcv_shared);
        ba_hold(b);
        mcv_release(&g_mcv_shared, b);
        atomic_store_explicit(pairs, ++n, memory_order_relaxed);
    }
}

static void *c_worker(void *arg)
{
    worker_t *w = arg;
    pthread_barrier_wait(&g_barrier);
    switch (w->impl) {
    case C_MEMKIT:
        c_memkit(&w->pairs);
        break;
    case C_MEMKIT_TRY:
        c_memkit_try(&w->pairs);
        break;
    case C_MCV:
        c_mcv(&w->pairs);
        break;
    default:
        ba_dpdk_contended(w->impl == C_DPDK_RTS, &g_stop, &w->pairs);
        break;
    }
    return NULL;
}

/* One contended run: the threads start together, run CONTENDED_WARM_MS
 * untimed (the steady state, a convoy included, sets in within a few ms),
 * then CONTENDED_MS timed. Returns pairs per second across all threads in
 * that window; *share is the least thread's pairs in it over an even share
 * (1 = even). */
static double run_contended(int impl, int threads, double *share)
{
    static worker_t w[MAX_THREADS];
    uint64_t before[MAX_THREADS];
    atomic_store(&g_stop, 0);
    pthread_barrier_init(&g_barrier, NULL, (unsigned)threads + 1u);
    for (int i = 0; i < threads; i++) {
        atomic_store(&w[i].pairs, 0);
        w[i].impl = impl;
        if (pthread_create(&w[i].thread, NULL, c_worker, &w[i]) != 0) {
            fprintf(stderr, "bench-async: pthread_create failed\n");
            exit(1);
        }
    }
    pthread_barrier_wait(&g_barrier);
    sleep_ns(CONTENDED_WARM_MS * 1000000L);
    uint64_t t0 = now_ns();
    for (int i = 0; i < threads; i++)
        before[i] = atomic_load_explicit(&w[i].pairs, memory_order_relaxed);
    sleep_ns(CONTENDED_MS * 1000000L);
    uint64_t total = 0, least = UINT64_MAX;
    for (int i = 0; i < threads; i++) {
        uint64_t n = atomic_load_explicit(&w[i].pairs, memory_order_relaxed) - before[i];
        total += n;
        least = n < least ? n : least;
    }
    uint64_t t1 = now_ns();
    atomic_store(&g_stop, 1);
    for (int i = 0; i < threads; i++)
        pthread_join(w[i].thread, NULL);
    pthread_barrier_destroy(&g_barrier);
    *share = total != 0 ? (double)least * threads / (double)total : 0.0;
    return (double)total * 1e9 / (double)(t1 - t0);
}

/* ---- release -> waiter-grant latency ----------------------------------------------- */

enum { L_FLOOR, L_MEMKIT, L_MCV, L_LOOP, L_COUNT };
static const char *const g_l_names[L_COUNT] = {
    "floor: eventfd wake, no pool",
    "memkit mk_async_acquire_blocking",
    "mutex+condvar pool (pthread)",
    "memkit mk_async_acquire on a loop",
};
static const char *const g_l_waits[L_COUNT] = {
    "read(2) on an eventfd",
    "parked thread (its pthread cond)",
    "pthread_cond_wait",
    "read(2) on the wake hook's eventfd, then mk_async_dispatch",
};

/* The releaser (the main thread) and one waiter thread in lockstep: sample k
 * starts when the releaser holds the block and stores go = k; the waiter
 * stores ready = k as it starts waiting, the releaser makes sure it is queued
 * and lets it fall asleep (LAT_SETTLE_NS), stamps t0 and releases; the waiter
 * stamps t1 when it has the block, gives it back and stores done = k. */
typedef struct lat {
    atomic_uint go, ready, done;
    _Atomic uint64_t t0;
    int impl;
    int efd;                  /* floor and loop: the eventfd the waiter sleeps on */
    double *out;              /* LAT_SAMPLES latencies, ns */
    int slept;                /* samples in which the waiter switched out voluntarily */
    mk_async_loop_t loop;     /* L_LOOP */
    mk_async_waiter_t waiter; /* L_LOOP: queued with mk_async_acquire */
    uint64_t t1;              /* L_LOOP: stamped by the callback */
    void *granted;            /* L_LOOP: the block the callback got */
    mk_status_t granted_status;
} lat_t;

static void wait_for(atomic_uint *a, unsigned k)
{
    unsigned spins = 0;
    while (atomic_load_explicit(a, memory_order_acquire) != k)
        ba_backoff(&spins);
}

static long voluntary_switches(void)
{
    struct rusage ru;
    getrusage(RUSAGE_THREAD, &ru);
    return ru.ru_nvcsw;
}

static void efd_read(int efd)
{
    uint64_t v;
    while (read(efd, &v, sizeof v) != (ssize_t)sizeof v) {
        if (errno != EINTR) {
            perror("bench-async: read(eventfd)");
            exit(1);
        }
    }
}

static void efd_write(int efd)
{
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) != (ssize_t)sizeof one) {
        perror("bench-async: write(eventfd)");
        exit(1);
    }
}

/* The loop's wake hook: memkit calls it with its locks held, from the
 * releasing thread; it only kicks the eventfd the loop thread sleeps on. */
static void loop_wake(void *user) { efd_write(((lat_t *)user)->efd); }

static void loop_done(mk_async_waiter_t *waiter, mk_status_t status, mk_msg_t result)
{
    lat_t *l = waiter->user;
    l->t1 = now_ns();
    l->granted = result.ptr;
    l->granted_status = status;
}

static void *lat_waiter(void *arg)
{
    lat_t *l = arg;
    for (unsigned k = 1; k <= LAT_SAMPLES; k++) {
        wait_for(&l->go, k);
        long switches = voluntary_switches();
        void *b = NULL;
        uint64_t t1 = 0;
        mk_status_t st = MK_OK;
        switch (l->impl) {
        case L_FLOOR:
            atomic_store_explicit(&l->ready, k, memory_order_release);
            efd_read(l->efd);
            t1 = now_ns();
            break;
        case L_MEMKIT:
            atomic_store_explicit(&l->ready, k, memory_order_release);
            st = mk_async_acquire_blocking(MK_ASYNC_POOL_HANDOFF, &b, MK_ASYNC_FOREVER);
            t1 = now_ns();
            if (st != MK_OK)
                fail("mk_async_acquire_blocking (latency)", st);
            break;
        case L_MCV:
            atomic_store_explicit(&l->ready, k, memory_order_release);
            b = mcv_acquire(&g_mcv_handoff);
            t1 = now_ns();
            break;
        default:
            l->granted = NULL;
            st = mk_async_acquire(MK_ASYNC_POOL_HANDOFF, &b, &l->loop, &l->waiter, loop_done, l);
            if (st != MK_PENDING)
                fail("mk_async_acquire on an empty pool did not queue", st);
            atomic_store_explicit(&l->ready, k, memory_order_release);
            do {
                efd_read(l->efd);
                mk_async_dispatch(&l->loop, mk_async_now());
            } while (l->granted == NULL);
            if (l->granted_status != MK_OK)
                fail("the loop waiter's callback", l->granted_status);
            b = l->granted;
            t1 = l->t1;
            break;
        }
        l->out[k - 1] = (double)(t1 - atomic_load_explicit(&l->t0, memory_order_acquire));
        l->slept += voluntary_switches() > switches;
        if (l->impl == L_MCV)
            mcv_release(&g_mcv_handoff, b);
        else if (l->impl != L_FLOOR)
            mk_async_release(b);
        atomic_store_explicit(&l->done, k, memory_order_release);
    }
    return NULL;
}

/* Waiters queued on the handoff pool now (mk_stats_get). */
static uint64_t memkit_waiters(void)
{
    static mk_stats_t s;
    mk_status_t st = mk_stats_get(&s);
    if (st != MK_OK)
        fail("mk_stats_get", st);
    return s.async[MK_ASYNC_POOL_HANDOFF].waiters;
}

/* LAT_SAMPLES latencies of waiter `impl` into out[]; returns the samples in
 * which the waiter slept. */
static int run_latency(int impl, double *out)
{
    static lat_t l;
    memset(&l, 0, sizeof l);
    l.impl = impl;
    l.out = out;
    l.efd = eventfd(0, EFD_CLOEXEC);
    if (l.efd < 0) {
        perror("bench-async: eventfd");
        exit(1);
    }
    mk_async_hooks_t hooks = {.wake = loop_wake, .timer = NULL, .user = &l};
    mk_async_loop_init(&l.loop, &hooks);
    pthread_t waiter;
    if (pthread_create(&waiter, NULL, lat_waiter, &l) != 0) {
        fprintf(stderr, "bench-async: pthread_create failed\n");
        exit(1);
    }
    for (unsigned k = 1; k <= LAT_SAMPLES; k++) {
        void *b = NULL;
        if (impl == L_MEMKIT || impl == L_LOOP) {
            mk_status_t st = mk_async_try_acquire(MK_ASYNC_POOL_HANDOFF, &b);
            if (st != MK_OK)
                fail("mk_async_try_acquire of the handoff block", st);
        } else if (impl == L_MCV) {
            b = mcv_acquire(&g_mcv_handoff);
        }
        atomic_store_explicit(&l.go, k, memory_order_release);
        wait_for(&l.ready, k);
        unsigned spins = 0;
        if (impl == L_MEMKIT)
            while (memkit_waiters() == 0)
                ba_backoff(&spins);
        else if (impl == L_MCV)
            while (mcv_waiting(&g_mcv_handoff) == 0)
                ba_backoff(&spins);
        sleep_ns(LAT_SETTLE_NS);
        atomic_store_explicit(&l.t0, now_ns(), memory_order_release);
        if (impl == L_FLOOR)
            efd_write(l.efd);
        else if (impl == L_MCV)
            mcv_release(&g_mcv_handoff, b);
        else
            mk_async_release(b);
        wait_for(&l.done, k);
    }
    pthread_join(waiter, NULL);
    close(l.efd);
    return l.slept;
}

/* ---- main ----------------------------------------------------------------------------- */

static double g_u[U_COUNT][MAX_ROUNDS];
static double g_c[THREAD_ROWS][C_COUNT][MAX_ROUNDS], g_c_share[THREAD_ROWS][C_COUNT][MAX_ROUNDS];
static double g_l[L_COUNT][MAX_ROUNDS * LAT_SAMPLES], g_l_p50[L_COUNT][MAX_ROUNDS];
static int g_l_slept[L_COUNT];
static double g_hold[MAX_ROUNDS];

static int g_have_dpdk;

static int u_runs(int u) { return g_have_dpdk || (u != U_DPDK_CACHED && u != U_DPDK_RING); }
static int c_runs(int c) { return g_have_dpdk || (c != C_DPDK && c != C_DPDK_RTS); }

static void print_uncontended(int rounds)
{
    double med[U_COUNT], lo[U_COUNT], hi[U_COUNT];
    for (int u = 0; u < U_COUNT; u++)
        if (u_runs(u)) {
            med[u] = median(g_u[u], rounds);
            lo[u] = g_u[u][0];
            hi[u] = g_u[u][rounds - 1];
        }
    printf("\n### Uncontended acquire+release of one 256 B block (one thread; ns per pair, %d samples of %d pairs)\n\n",
           rounds, BA_UNCONTENDED_OPS);
    printf("| %-50s | %9s | %9s | %9s | %13s |\n", "pool", "median ns", "min", "max", "this / memkit");
    printf("|%s|%s|%s|%s|%s|\n", "----------------------------------------------------", "-----------",
           "-----------", "-----------", "---------------");
    for (int u = 0; u < U_COUNT; u++) {
        if (u_runs(u))
            printf("| %-50s | %9.2f | %9.2f | %9.2f | %12.2fx |\n", g_u_names[u], med[u], lo[u], hi[u],
                   med[u] / med[U_MEMKIT]);
        else
            printf("| %-50s | %9s | %9s | %9s | %13s |\n", g_u_names[u], "skipped", "-", "-", "-");
    }
    printf("\ntarget: memkit uncontended acquire+release <= 20 ns: median %.2f ns -- %s; minimum %.2f ns -- %s\n",
           med[U_MEMKIT], med[U_MEMKIT] <= 20.0 ? "met" : "NOT met", lo[U_MEMKIT],
           lo[U_MEMKIT] <= 20.0 ? "met" : "NOT met");
}

static void print_contended(int rounds, double hold)
{
    printf("\n### Contended: threads share a pool of %u blocks of 256 B; each takes one, holds it (%.0f ns of work), "
           "gives it back\n\n",
           BA_SHARED_BLOCKS, hold);
    long cpus = sysconf(_SC_NPROCESSORS_ONLN);
    printf("Million pairs per second across all threads, %d runs, each %d ms untimed then %d ms timed; least share =\n"
           "the least thread's pairs over an even share (median). %ld CPUs online%s.\n\n",
           rounds, CONTENDED_WARM_MS, CONTENDED_MS, cpus, cpus < MAX_THREADS ? ": 8 threads oversubscribe them" : "");
    printf("| threads | %-40s | %-34s | %8s | %8s | %8s | %13s | %11s |\n", "pool", "when the pool is empty",
           "median M/s", "min", "max", "this / memkit", "least share");
    printf("|---------|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------------",
           "------------------------------------", "------------", "----------", "----------", "---------------",
           "-------------");
    for (int t = 0; t < THREAD_ROWS; t++) {
        double mk = median(g_c[t][C_MEMKIT], rounds);
        for (int c = 0; c < C_COUNT; c++) {
            if (!c_runs(c)) {
                printf("| %7d | %-40s | %-34s | %10s | %8s | %8s | %13s | %11s |\n", g_thread_counts[t], g_c_names[c],
                       g_c_waits[c], "skipped", "-", "-", "-", "-");
                continue;
            }
            double m = median(g_c[t][c], rounds);
            printf("| %7d | %-40s | %-34s | %10.3f | %8.3f | %8.3f | %12.2fx | %11.2f |\n", g_thread_counts[t],
                   g_c_names[c], g_c_waits[c], m / 1e6, g_c[t][c][0] / 1e6, g_c[t][c][rounds - 1] / 1e6, m / mk,
                   median(g_c_share[t][c], rounds));
        }
    }
}

static void print_latency(int rounds)
{
    int n = rounds * LAT_SAMPLES;
    double p50[L_COUNT];
    for (int l = 0; l < L_COUNT; l++) {
        qsort(g_l[l], (size_t)n, sizeof g_l[l][0], cmp_double);
        qsort(g_l_p50[l], (size_t)rounds, sizeof g_l_p50[l][0], cmp_double);
        p50[l] = pct(g_l[l], n, 50);
    }
    printf("\n### Release -> waiter-grant latency (the pool empty, one thread asleep waiting; us, %d samples: "
           "%d rounds x %d)\n\n",
           n, rounds, LAT_SAMPLES);
    printf("| %-34s | %-56s | %7s | %7s | %7s | %8s | %15s | %9s | %12s |\n", "waiter", "asleep in", "p50", "p90",
           "p99", "max", "round p50 range", "slept", "p50 - floor");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------",
           "----------------------------------------------------------", "---------", "---------", "---------",
           "----------", "-----------------", "-----------", "--------------");
    for (int l = 0; l < L_COUNT; l++) {
        char range[32], slept[16];
        snprintf(range, sizeof range, "%.1f-%.1f", g_l_p50[l][0] / 1e3, g_l_p50[l][rounds - 1] / 1e3);
        snprintf(slept, sizeof slept, "%d/%d", g_l_slept[l], n);
        printf("| %-34s | %-56s | %7.1f | %7.1f | %7.1f | %8.1f | %15s | %9s | %+12.1f |\n", g_l_names[l],
               g_l_waits[l], p50[l] / 1e3, pct(g_l[l], n, 90) / 1e3, pct(g_l[l], n, 99) / 1e3,
               g_l[l][n - 1] / 1e3, range, slept, (p50[l] - p50[L_FLOOR]) / 1e3);
    }
    printf("\nt0: the releaser's clock just before mk_async_release / the mutex pool's release / write(2);\n"
           "t1: the waiter's just after it has the block (loop: first thing in the completion callback, run by\n"
           "mk_async_dispatch on the loop thread after the wake hook's eventfd woke it). The releaser waits %d us\n"
           "once the waiter is queued, so that it is asleep; 'slept' counts the samples in which the waiter\n"
           "switched out voluntarily (getrusage RUSAGE_THREAD).\n",
           LAT_SETTLE_NS / 1000);
}

int main(int argc, char **argv)
{
    int rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 21, MAX_ROUNDS, "bench_async", "rounds");
    if (rounds < 0)
        return 2;
    /* first: the EAL probe forks, and rte_eal_init wants a process without other threads */
    const char *dpdk_why = ba_dpdk_start();
    g_have_dpdk = dpdk_why == NULL;
    mk_status_t st = mk_init(&mkg_config);
    if (st != MK_OK)
        fail("mk_init", st);
    mcv_init(&g_mcv_single, g_mcv_single_mem, g_mcv_single_stack, BA_UNCONTENDED_BLOCKS);
    mcv_init(&g_mcv_shared, g_mcv_shared_mem, g_mcv_shared_stack, BA_SHARED_BLOCKS);
    mcv_init(&g_mcv_handoff, g_mcv_handoff_mem, g_mcv_handoff_stack, 1);
    for (unsigned i = 0; i < BA_UNCONTENDED_BLOCKS; i++)
        g_floor.stack[i] = g_floor_mem + (size_t)(BA_UNCONTENDED_BLOCKS - 1u - i) * BA_BLOCK;
    g_floor.top = BA_UNCONTENDED_BLOCKS;

    printf("memkit async tier (issue 9): %d rounds, interleaved (uncontended, contended, latency; the order "
           "rotates each round); load average at the start %s\n",
           rounds, bench_loadavg());
    if (g_have_dpdk)
        printf("DPDK: %s, EAL with --no-huge --no-pci -m 128 --no-shconf, one lcore (the main thread)\n",
               ba_dpdk_version());
    else
        printf("DPDK skipped: %s\n", dpdk_why);
    fflush(stdout);

    for (int u = 0; u < U_COUNT; u++) /* warm-up: the pools' first touches */
        if (u_runs(u))
            (void)run_uncontended(u);

    static double lat[LAT_SAMPLES];
    for (int r = 0; r < rounds; r++) {
        for (int k = 0; k < U_COUNT; k++) {
            int u = (k + r) % U_COUNT;
            if (u_runs(u))
                g_u[u][r] = run_uncontended(u);
        }
        g_hold[r] = hold_alone();
        for (int t = 0; t < THREAD_ROWS; t++)
            for (int k = 0; k < C_COUNT; k++) {
                int c = (k + r) % C_COUNT;
                if (c_runs(c))
                    g_c[t][c][r] = run_contended(c, g_thread_counts[t], &g_c_share[t][c][r]);
            }
        for (int k = 0; k < L_COUNT; k++) {
            int l = (k + r) % L_COUNT;
            g_l_slept[l] += run_latency(l, lat);
            memcpy(&g_l[l][r * LAT_SAMPLES], lat, sizeof lat);
            g_l_p50[l][r] = median(lat, LAT_SAMPLES);
        }
    }

    printf("load average at the end %s\n", bench_loadavg());
    print_uncontended(rounds);
    print_contended(rounds, median(g_hold, rounds));
    print_latency(rounds);
    printf("\nmemkit: bench/bench_async.toml (pools of 256 B blocks: 'single' 1024, 'shared' %u, 'handoff' 1; "
           "intent 'net' unbudgeted).\nThe mutex+condvar pool and the floor are in bench_async.c; DPDK's side is "
           "bench_async_dpdk.c.\n",
           BA_SHARED_BLOCKS);
    size_t leaked = mk_shutdown();
    if (leaked != 0)
        fprintf(stderr, "bench-async: mk_shutdown reports %zu blocks still held\n", leaked);
    if (g_have_dpdk)
        ba_dpdk_stop();
    return leaked != 0;
}

/* bench/bench_mt.c — multi-threaded throughput of memkit against glibc,
 * mimalloc and jemalloc, in the style of mimalloc-bench (`make bench-mt`).
 *
 * Built and run by bench/run_mt.sh against bench/bench_mt.toml. Two kinds of
 * rows, each with a small size mix (16..256 B: memkit's pool tier, intent
 * `small`) and a medium one (256 B..16 KiB: memkit's heap tier, intent
 * `medium`):
 *
 *   churn     1, 2 and 8 threads; each keeps a working set of live blocks of
 *             random sizes and, per step, frees a random one and allocates a
 *             new random-size block in its slot (8 threads on a 2-core
 *             machine are oversubscribed on purpose: a lock whose holder is
 *             preempted must not make the others collapse);
 *   producer->consumer
 *             2 and 8 threads in pairs: the producer
 *             allocates and passes each block through a bounded SPSC ring,
 *             the consumer frees it (every free is a cross-thread free).
 *
 * Work is fixed per thread (churn) or per pair, not timed, so runs
 * are comparable; throughput is operations (one allocation or one free) over
 * the span from the earliest worker's start (each reads the clock as it
 * leaves a barrier that all of them enter) to the latest one's end.
 * Every block is written at both ends (a tag derived from its address) and
 * checked when freed, so an allocator handing out overlapping blocks fails the
 * run instead of looking fast; so does a NULL.
 *
 * Every measurement (allocator x row x run) runs in a freshly forked child
 * that reports through a pipe: glibc's malloc takes its locks only once a
 * process has had a second thread, and every allocator's state (caches, heap
 * shape, first-touched pages) would otherwise carry from one measurement to
 * the next. The parent never starts a thread, never loads a peer and never
 * initialises memkit. Runs interleave: for each run, each row, the
 * allocators in an order that rotates. Workers are always spawned threads
 * (the main thread only waits), so the 1-thread row is a multi-threaded
 * process with one allocating thread.
 *
 * Peers are reached through dlopen(RTLD_LOCAL) + dlsym, as in bench.c
 * (mi_malloc/mi_free for mimalloc, malloc/free for jemalloc), inside the
 * child; memkit is called as an application would, mk_alloc with a constant
 * intent and mk_free. A memkit child calls mk_init first and, after its
 * threads have exited, checks that mk_shutdown reports no leaked block.
 *
 * Usage: bench_mt [runs]  (default 7, at least 5 for a real table; also
 *        MK_BENCH_MT_RUNS). MK_BENCH_ONLY=TEXT runs only the rows whose name
 *        contains TEXT; MK_BENCH_SKIP="jemalloc" leaves allocators out.
 */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include "peers.h"

#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define CPU_RELAX() _mm_pause()
#else
#define CPU_RELAX() ((void)0)
#endif

#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE static inline __attribute__((always_inline))
#define COLD __attribute__((cold, noinline, noreturn))

/* ---- the work ------------------------------------------------------------------ */

#define MAX_THREADS 8
#define SMALL_MIN 16u
#define SMALL_MAX 256u
#define MEDIUM_MIN 256u
#define MEDIUM_MAX 16384u
#define WS_SMALL 4096u        /* live blocks per churn thread (a power of two) */
#define WS_MEDIUM 1024u
#define CHURN_STEPS_SMALL 4000000u  /* timed steps per thread, each a free + an allocation */
#define CHURN_STEPS_MEDIUM 300000u
#define XFER_BLOCKS_SMALL 2000000u  /* timed blocks per pair, each an allocation + a free */
#define XFER_BLOCKS_MEDIUM 250000u
#define XFER_WARM 4096u       /* untimed blocks per pair first */
#define RING_SLOTS 1024u      /* a power of two */
#define RING_BATCH 32u        /* each side publishes its index every RING_BATCH blocks */
#define CHILD_TIMEOUT_S 60u   /* a child still running then is deadlocked or live-locked */
#define MAX_RUNS 99

enum { MIX_SMALL, MIX_MEDIUM };
enum { KIND_CHURN, KIND_XFER };

typedef struct row {
    const char *name;
    int kind;
    int mix;
    int threads;
} row_t;

static const row_t g_rows[] = {
    {"churn small 16-256 B (pool)", KIND_CHURN, MIX_SMALL, 1},
    {"churn small 16-256 B (pool)", KIND_CHURN, MIX_SMALL, 2},
    {"churn small 16-256 B (pool)", KIND_CHURN, MIX_SMALL, 8},
    {"churn medium 256 B-16 KiB (heap)", KIND_CHURN, MIX_MEDIUM, 1},
    {"churn medium 256 B-16 KiB (heap)", KIND_CHURN, MIX_MEDIUM, 2},
    {"churn medium 256 B-16 KiB (heap)", KIND_CHURN, MIX_MEDIUM, 8},
    {"producer->consumer small (pool)", KIND_XFER, MIX_SMALL, 2},
    {"producer->consumer small (pool)", KIND_XFER, MIX_SMALL, 8},
    {"producer->consumer medium (heap)", KIND_XFER, MIX_MEDIUM, 2},
    {"producer->consumer medium (heap)", KIND_XFER, MIX_MEDIUM, 8},
};
#define ROW_COUNT ((int)(sizeof g_rows / sizeof g_rows[0]))

/* ---- allocators ------------------------------------------------------------------ */

enum { A_MEMKIT, A_GLIBC, A_MIMALLOC, A_JEMALLOC, A_COUNT };
static const char *const g_alloc_names[A_COUNT] = {"memkit", "glibc", "mimalloc", "jemalloc"};

/* The peer under test in this child (set before any thread starts). */
static void *(*g_peer_malloc)(size_t);
static void (*g_peer_free)(void *);

/* Loads peer `a` into the calling child (peers.h). Returns NULL, or why it cannot be used. */
static const char *load_peer(int a, char *why, size_t n)
{
    if (a == A_GLIBC) {
        g_peer_malloc = malloc;
        g_peer_free = free;
        return NULL;
    }
    return peer_load(g_alloc_names[a], &g_peer_malloc, &g_peer_free, why, n);
}

/* ---- failures: the child says why on stderr and exits; the parent aborts -------- */

static const row_t *g_row; /* what this child runs, for messages */
static int g_alloc;

COLD static void fail_null(size_t size)
{
    if (g_alloc == A_MEMKIT)
        fprintf(stderr, "bench-mt: memkit returned NULL for %zu B in '%s', %d thread(s): %s\n", size, g_row->name,
                g_row->threads, mk_status_str(mk_last_error()));
    else
        fprintf(stderr, "bench-mt: %s returned NULL for %zu B in '%s', %d thread(s)\n", g_alloc_names[g_alloc], size,
                g_row->name, g_row->threads);
    _exit(3);
}

COLD static void fail_tag(const void *p, size_t size)
{
    fprintf(stderr,
            "bench-mt: %s: the %zu B block at %p was overwritten while live (overlapping blocks?)"
            " in '%s', %d thread(s)\n",
            g_alloc_names[g_alloc], size, p, g_row->name, g_row->threads);
    _exit(4);
}

/* ---- blocks: allocate, tag, check, free ------------------------------------------ */

/* A uniformly random size in [lo, hi] from the high half of `x`. */
static inline size_t pick_size(uint64_t x, unsigned lo, unsigned hi)
{
    return lo + (size_t)((x >> 32) % (hi - lo + 1u));
}

static inline uint64_t tag_of(const void *p)
{
    return (uint64_t)(uintptr_t)p ^ 0x6d6b62656e63686dull; /* "mkbenchm" */
}

/* Both ends of the block carry the tag: one store each, a cache line (and for
 * medium blocks often a page) at each end touched, as an application would. */
static inline void tag_block(void *p, size_t size)
{
    uint64_t t = tag_of(p);
    memcpy(p, &t, sizeof t);
    memcpy((char *)p + size - sizeof t, &t, sizeof t);
}

static inline int tag_ok(const void *p, size_t size)
{
    uint64_t head, tail;
    memcpy(&head, p, sizeof head);
    memcpy(&tail, (const char *)p + size - sizeof tail, sizeof tail);
    return head == tag_of(p) && tail == tag_of(p);
}

/* `mk` (memkit, else the peer) and `mix` are constants in every caller (the
 * workers below are instantiated per kind), so memkit's calls are the inline
 * fast paths with a constant intent, and a peer's a call through a pointer
 * held in a register. */
ALWAYS_INLINE void *block_alloc(int mk, int mix, size_t size, void *(*peer_malloc)(size_t))
{
    void *p;
    if (mk)
        p = mix == MIX_SMALL ? mk_alloc(MK_INTENT_SMALL, size) : mk_alloc(MK_INTENT_MEDIUM, size);
    else
        p = peer_malloc(size);
    if (__builtin_expect(p == NULL, 0))
        fail_null(size);
    tag_block(p, size);
    return p;
}

ALWAYS_INLINE void block_free(int mk, void *p, size_t size, void (*peer_free)(void *))
{
    if (__builtin_expect(!tag_ok(p, size), 0))
        fail_tag(p, size);
    if (mk)
        mk_free(p);
    else
        peer_free(p);
}

/* ---- workers ------------------------------------------------------------------------ */

typedef struct ring {
    _Alignas(64) atomic_uint head; /* written by the producer only */
    _Alignas(64) atomic_uint tail; /* written by the consumer only */
    _Alignas(64) struct {
        void *p;
        size_t size;
    } slot[RING_SLOTS];
} ring_t;

typedef struct worker {
    _Alignas(64) int index;
    uint64_t seed;
    ring_t *ring;            /* transfer rows: the pair's ring */
    pthread_barrier_t *start;
    uint64_t t_start, t_end; /* CLOCK_MONOTONIC ns around the timed part */
} worker_t;

static void *g_live[MAX_THREADS][WS_SMALL];
static size_t g_live_size[MAX_THREADS][WS_SMALL];
static ring_t g_rings[MAX_THREADS / 2];

static void start_together(worker_t *w)
{
    pthread_barrier_wait(w->start);
    w->t_start = now_ns();
}

/* Waiting on the ring: spin briefly, then give the CPU away (with 8 threads on
 * 2 cores the other side of the ring is often not running at all). */
static inline void ring_wait(unsigned *spins)
{
    CPU_RELAX();
    if (++*spins % 64u == 0)
        sched_yield();
}

ALWAYS_INLINE void churn(worker_t *w, int mk, int mix)
{
    void *(*const peer_malloc)(size_t) = g_peer_malloc;
    void (*const peer_free)(void *) = g_peer_free;
    const unsigned lo = mix == MIX_SMALL ? SMALL_MIN : MEDIUM_MIN;
    const unsigned hi = mix == MIX_SMALL ? SMALL_MAX : MEDIUM_MAX;
    const uint32_t ws = mix == MIX_SMALL ? WS_SMALL : WS_MEDIUM;
    const uint32_t steps = mix == MIX_SMALL ? CHURN_STEPS_SMALL : CHURN_STEPS_MEDIUM;
    void **live = g_live[w->index];
    size_t *live_size = g_live_size[w->index];
    uint64_t rng = w->seed;
    for (uint32_t i = 0; i < ws; i++) { /* the working set, untimed */
        live_size[i] = pick_size(xorshift64(&rng), lo, hi);
        live[i] = block_alloc(mk, mix, live_size[i], peer_malloc);
    }
    start_together(w);
    for (uint32_t s = 0; s < steps; s++) {
        uint64_t x = xorshift64(&rng);
        uint32_t i = (uint32_t)x & (ws - 1u);
        block_free(mk, live[i], live_size[i], peer_free);
        live_size[i] = pick_size(x, lo, hi);
        live[i] = block_alloc(mk, mix, live_size[i], peer_malloc);
    }
    w->t_end = now_ns();
    for (uint32_t i = 0; i < ws; i++)
        block_free(mk, live[i], live_size[i], peer_free);
}

ALWAYS_INLINE void produce(worker_t *w, int mk, int mix)
{
    void *(*const peer_malloc)(size_t) = g_peer_malloc;
    const unsigned lo = mix == MIX_SMALL ? SMALL_MIN : MEDIUM_MIN;
    const unsigned hi = mix == MIX_SMALL ? SMALL_MAX : MEDIUM_MAX;
    const uint32_t blocks = mix == MIX_SMALL ? XFER_BLOCKS_SMALL : XFER_BLOCKS_MEDIUM;
    ring_t *r = w->ring;
    uint64_t rng = w->seed;
    unsigned head = 0, tail = 0, spins = 0;
    for (uint32_t n = 0; n < XFER_WARM + blocks; n++) {
        if (n == XFER_WARM)
            start_together(w);
        size_t size = pick_size(xorshift64(&rng), lo, hi);
        void *p = block_alloc(mk, mix, size, peer_malloc);
        while (head - tail == RING_SLOTS) { /* full: everything is published, wait for the consumer */
            tail = atomic_load_explicit(&r->tail, memory_order_acquire);
            if (head - tail == RING_SLOTS)
                ring_wait(&spins);
        }
        r->slot[head % RING_SLOTS].p = p;
        r->slot[head % RING_SLOTS].size = size;
        if (++head % RING_BATCH == 0 || head == XFER_WARM + blocks || head - tail == RING_SLOTS)
            atomic_store_explicit(&r->head, head, memory_order_release);
    }
    w->t_end = now_ns();
}

ALWAYS_INLINE void consume(worker_t *w, int mk, int mix)
{
    void (*const peer_free)(void *) = g_peer_free;
    const uint32_t blocks = mix == MIX_SMALL ? XFER_BLOCKS_SMALL : XFER_BLOCKS_MEDIUM;
    ring_t *r = w->ring;
    unsigned head = 0, tail = 0, spins = 0;
    for (uint32_t n = 0; n < XFER_WARM + blocks; n++) {
        if (n == XFER_WARM)
            start_together(w);
        if (head == tail) { /* empty: publish what was consumed, wait for the producer */
            atomic_store_explicit(&r->tail, tail, memory_order_release);
            while ((head = atomic_load_explicit(&r->head, memory_order_acquire)) == tail)
                ring_wait(&spins);
        }
        block_free(mk, r->slot[tail % RING_SLOTS].p, r->slot[tail % RING_SLOTS].size, peer_free);
        if (++tail % RING_BATCH == 0)
            atomic_store_explicit(&r->tail, tail, memory_order_release);
    }
    w->t_end = now_ns();
}

/* One instance per allocator kind and mix: memkit's intent must be a
 * constant; the peers share one instance, the mix read at run time. */
static NOINLINE void *churn_mk_small(void *w) { churn(w, 1, MIX_SMALL); return NULL; }
static NOINLINE void *churn_mk_medium(void *w) { churn(w, 1, MIX_MEDIUM); return NULL; }
static NOINLINE void *churn_peer_small(void *w) { churn(w, 0, MIX_SMALL); return NULL; }
static NOINLINE void *churn_peer_medium(void *w) { churn(w, 0, MIX_MEDIUM); return NULL; }
static NOINLINE void *produce_mk_small(void *w) { produce(w, 1, MIX_SMALL); return NULL; }
static NOINLINE void *produce_mk_medium(void *w) { produce(w, 1, MIX_MEDIUM); return NULL; }
static NOINLINE void *produce_peer_small(void *w) { produce(w, 0, MIX_SMALL); return NULL; }
static NOINLINE void *produce_peer_medium(void *w) { produce(w, 0, MIX_MEDIUM); return NULL; }
static NOINLINE void *consume_mk_small(void *w) { consume(w, 1, MIX_SMALL); return NULL; }
static NOINLINE void *consume_mk_medium(void *w) { consume(w, 1, MIX_MEDIUM); return NULL; }
static NOINLINE void *consume_peer_small(void *w) { consume(w, 0, MIX_SMALL); return NULL; }
static NOINLINE void *consume_peer_medium(void *w) { consume(w, 0, MIX_MEDIUM); return NULL; }

typedef void *(*thread_fn)(void *);

/* [kind][memkit?][mix][role: 0 churn or producer, 1 consumer] */
static const thread_fn g_fns[2][2][2][2] = {
    [KIND_CHURN] = {{{churn_peer_small, churn_peer_small}, {churn_peer_medium, churn_peer_medium}},
                    {{churn_mk_small, churn_mk_small}, {churn_mk_medium, churn_mk_medium}}},
    [KIND_XFER] = {{{produce_peer_small, consume_peer_small}, {produce_peer_medium, consume_peer_medium}},
                   {{produce_mk_small, consume_mk_small}, {produce_mk_medium, consume_mk_medium}}},
};

/* Runs `row` with allocator `a` on fresh threads; returns million ops/s. */
static double run_row(const row_t *row, int a)
{
    worker_t w[MAX_THREADS];
    pthread_t th[MAX_THREADS];
    pthread_barrier_t start;
    pthread_barrier_init(&start, NULL, (unsigned)row->threads);
    for (int i = 0; i < row->threads; i++) {
        int role = row->kind == KIND_XFER ? i % 2 : 0; /* pairs: 0 produces into ring i/2, 1 consumes */
        unsigned stream = (unsigned)(row->kind * 64 + row->mix * 16 + i + 1); /* same for every allocator */
        w[i] = (worker_t){.index = i, .seed = 0x9e3779b97f4a7c15ull * stream, .ring = &g_rings[i / 2], .start = &start};
        thread_fn fn = g_fns[row->kind][a == A_MEMKIT][row->mix][role];
        if (pthread_create(&th[i], NULL, fn, &w[i]) != 0) {
            fprintf(stderr, "bench-mt: pthread_create failed\n");
            _exit(5);
        }
    }
    for (int i = 0; i < row->threads; i++)
        pthread_join(th[i], NULL);
    pthread_barrier_destroy(&start);
    uint64_t t0 = UINT64_MAX, t1 = 0;
    for (int i = 0; i < row->threads; i++) {
        t0 = w[i].t_start < t0 ? w[i].t_start : t0;
        t1 = w[i].t_end > t1 ? w[i].t_end : t1;
    }
    double ops;
    if (row->kind == KIND_CHURN)
        ops = 2.0 * row->threads * (row->mix == MIX_SMALL ? CHURN_STEPS_SMALL : CHURN_STEPS_MEDIUM);
    else
        ops = 2.0 * (row->threads / 2) * (row->mix == MIX_SMALL ? XFER_BLOCKS_SMALL : XFER_BLOCKS_MEDIUM);
    return ops / (double)(t1 - t0) * 1e3; /* ops per ns x 1000 = million ops per s */
}

/* ---- one measurement per child ------------------------------------------------------ */

enum { RES_OK, RES_SKIP, RES_FAIL };

typedef struct result {
    int status;
    double mops;
    char why[240];
} result_t;

_Noreturn static void send_result(int fd, const result_t *res)
{
    if (write(fd, res, sizeof *res) != (ssize_t)sizeof *res)
        _exit(6);
    _exit(0);
}

_Noreturn static void child(const row_t *row, int a, int fd)
{
    alarm(CHILD_TIMEOUT_S); /* a deadlock ends as SIGALRM, which the parent reports */
    g_row = row;
    g_alloc = a;
    result_t res = {.status = RES_OK};
    if (a == A_MEMKIT) {
        mk_status_t st = mk_init(&mkg_config);
        if (st != MK_OK) {
            res.status = RES_FAIL;
            snprintf(res.why, sizeof res.why, "mk_init: %s", mk_status_str(st));
            send_result(fd, &res);
        }
    } else if (load_peer(a, res.why, sizeof res.why) != NULL) {
        res.status = RES_SKIP;
        send_result(fd, &res);
    }
    res.mops = run_row(row, a);
    if (a == A_MEMKIT) {
        size_t leaked = mk_shutdown();
        if (leaked != 0) {
            res.status = RES_FAIL;
            snprintf(res.why, sizeof res.why, "mk_shutdown reports %zu blocks leaked after every block was freed",
                     leaked);
        }
    }
    send_result(fd, &res);
}

/* Forks a child that runs `row` with allocator `a` and returns its result;
 * a child that fails or dies ends the benchmark here, with what happened. */
static result_t measure(const row_t *row, int a, int run)
{
    result_t res = {.status = RES_FAIL};
    int fd[2];
    pid_t pid = fork_piped(fd, "bench-mt");
    if (pid == 0)
        child(row, a, fd[1]);
    ssize_t got = read(fd[0], &res, sizeof res);
    close(fd[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid)
        status = -1;
    const char *what = NULL;
    char buf[96];
    if (WIFSIGNALED(status) && WTERMSIG(status) == SIGALRM)
        snprintf(buf, sizeof buf, "still running after %u s (deadlock or live-lock?), killed", CHILD_TIMEOUT_S);
    else if (WIFSIGNALED(status))
        snprintf(buf, sizeof buf, "killed by signal %d (%s)", WTERMSIG(status), strsignal(WTERMSIG(status)));
    else if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
        snprintf(buf, sizeof buf, "exited with status %d (its message is above)", WEXITSTATUS(status));
    else if (got != (ssize_t)sizeof res)
        snprintf(buf, sizeof buf, "sent no result");
    else if (res.status == RES_FAIL)
        snprintf(buf, sizeof buf, "%.90s", res.why);
    else
        return res;
    what = buf;
    fprintf(stderr, "bench-mt: ABORTED: %s, '%s', %d thread(s), run %d: the child %s\n", g_alloc_names[a], row->name,
            row->threads, run + 1, what);
    exit(1);
}

/* ---- main: interleaved runs, then the table ------------------------------------------ */

int main(int argc, char **argv)
{
    int runs = count_arg(argc, argv, "MK_BENCH_MT_RUNS", 7, MAX_RUNS, "bench_mt", "runs");
    if (runs < 0)
        return 2;
    const char *only = getenv("MK_BENCH_ONLY");
    int on[A_COUNT];
    char why[A_COUNT][240] = {{0}};
    for (int a = 0; a < A_COUNT; a++)
        on[a] = !peer_skipped(g_alloc_names[a], why[a], sizeof why[a]);
    int row_on[ROW_COUNT];
    for (int r = 0; r < ROW_COUNT; r++)
        row_on[r] = only == NULL || strstr(g_rows[r].name, only) != NULL;

    static double mops[ROW_COUNT][A_COUNT][MAX_RUNS];
    uint64_t t_begin = now_ns();
    for (int run = 0; run < runs; run++) {
        for (int r = 0; r < ROW_COUNT; r++) {
            if (!row_on[r])
                continue;
            for (int k = 0; k < A_COUNT; k++) {
                int a = (k + run + r) % A_COUNT; /* rotate who goes first */
                if (!on[a])
                    continue;
                result_t res = measure(&g_rows[r], a, run);
                if (res.status == RES_SKIP) {
                    on[a] = 0;
                    memcpy(why[a], res.why, sizeof why[a]);
                    continue;
                }
                mops[r][a][run] = res.mops;
            }
        }
        fprintf(stderr, "bench-mt: run %d/%d done, %.0f s\n", run + 1, runs, (double)(now_ns() - t_begin) / 1e9);
    }

    printf("memkit multi-threaded throughput: %d runs; every measurement (allocator x row x run) in its own\n"
           "forked process; million operations per second (an operation = one allocation or one free),\n"
           "median (min-max) over the runs; higher is better\n",
           runs);
    for (int a = A_GLIBC; a < A_COUNT; a++)
        if (!on[a] && why[a][0] != '\0')
            printf("peer %s skipped: %s\n", g_alloc_names[a], why[a]);
    printf("\n| %-34s | %7s | %-20s | %-20s | %-20s | %-20s | %-21s | %-9s |\n", "row", "threads", "memkit",
           "glibc", "mimalloc", "jemalloc", "memkit/mimalloc", ">= 1.5x");
    printf("|------------------------------------|--------:|----------------------|----------------------|"
           "----------------------|----------------------|-----------------------|-----------|\n");
    for (int r = 0; r < ROW_COUNT; r++) {
        if (!row_on[r])
            continue;
        double med[A_COUNT] = {0};
        char cells[A_COUNT][40];
        for (int a = 0; a < A_COUNT; a++) {
            if (!on[a]) {
                snprintf(cells[a], sizeof cells[a], "-");
                continue;
            }
            double v[MAX_RUNS];
            memcpy(v, mops[r][a], sizeof(double) * (size_t)runs);
            med[a] = median(v, runs); /* sorts v */
            snprintf(cells[a], sizeof cells[a], "%.1f (%.1f-%.1f)", med[a], v[0], v[runs - 1]);
        }
        char ratio[40] = "-", met[16] = "-";
        if (on[A_MEMKIT] && on[A_MIMALLOC] && med[A_MIMALLOC] > 0) {
            double q = med[A_MEMKIT] / med[A_MIMALLOC], v[MAX_RUNS];
            for (int run = 0; run < runs; run++) /* measured minutes apart at most: robust to load drift */
                v[run] = mops[r][A_MEMKIT][run] / mops[r][A_MIMALLOC][run];
            qsort(v, (size_t)runs, sizeof *v, cmp_double);
            snprintf(ratio, sizeof ratio, "%.2fx (%.2f-%.2f)", q, v[0], v[runs - 1]);
            snprintf(met, sizeof met, "%s", q >= 1.5 ? "met" : "NOT met");
        }
        printf("| %-34s | %7d | %-20s | %-20s | %-20s | %-20s | %-21s | %-9s |\n", g_rows[r].name, g_rows[r].threads,
               cells[A_MEMKIT], cells[A_GLIBC], cells[A_MIMALLOC], cells[A_JEMALLOC], ratio, met);
    }
    printf("\nchurn: each thread keeps %u (small) / %u (medium) live blocks and runs %u / %u steps (a step\n"
           "frees a random one and allocates a random size in its slot). producer->consumer: pairs of threads,\n"
           "%u / %u blocks per pair (after %u untimed) through a %u-slot ring published every %u blocks.\n"
           "Sizes uniform: small %u-%u B (memkit intent 'small': pool), medium %u-%u B (intent 'medium':\n"
           "heap); see bench/bench_mt.toml. memkit/mimalloc: the ratio of the medians (the range of the runs'\n"
           "own ratios). Target (issue 8): memkit >= 1.5x mimalloc in every row.\n"
           "Wall time: %.0f s.\n",
           WS_SMALL, WS_MEDIUM, CHURN_STEPS_SMALL, CHURN_STEPS_MEDIUM, XFER_BLOCKS_SMALL, XFER_BLOCKS_MEDIUM,
           XFER_WARM, RING_SLOTS, RING_BATCH, SMALL_MIN, SMALL_MAX, MEDIUM_MIN, MEDIUM_MAX,
           (double)(now_ns() - t_begin) / 1e9);
    return 0;
}

/* bench/bench.c — memkit microbenchmarks against glibc, mimalloc and jemalloc.
 *
 * Built and run by bench/run.sh against bench/memkit_bench.toml. Single
 * thread, hot cache. Every case is timed as a block of many operations with
 * clock_gettime(CLOCK_MONOTONIC); a block is one sample, each case takes
 * ROUNDS samples per allocator and reports the median (and the minimum) in
 * nanoseconds per operation. Rounds interleave all cases and all allocators
 * (the allocator order rotates every round) so that noise on the machine hits
 * them all alike.
 *
 * Peers are reached through dlopen(RTLD_LOCAL) + dlsym: Debian's libmimalloc
 * and libjemalloc both export plain malloc/free, which would replace glibc's
 * for the whole process if linked. All three peers, glibc included, are called
 * through a function pointer held in a register (what a PLT call costs too);
 * memkit's calls are the inline fast paths of memkit.h with constant intents,
 * which is how the API is meant to be used.
 *
 * memkit-only rows follow (no peer equivalent): phase enter+exit, transfer
 * init+accept on one thread and a two-thread transfer ping-pong (run in a
 * forked child, see run_threaded), handle get and alloc+free, frame vec push,
 * frame mark+rewind.
 *
 * A second table times single operations: the heap churn case keeps 4096
 * blocks of random sizes live and replaces a random one at a time, timing each
 * free and each allocation alone with rdtsc (calibrated against
 * CLOCK_MONOTONIC; clock_gettime where there is no TSC), and reports the
 * median and the tail (p99, p99.9, p99.99, max) for memkit's heap intent and
 * for each peer running the same sequence.
 *
 * Usage: bench [rounds]   (default 21; env MK_BENCH_ROUNDS also works;
 *        MK_BENCH_ONLY=TEXT runs only the cases whose name contains TEXT,
 *        the churn case included: its name is "heap churn tail")
 */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include <dlfcn.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <x86intrin.h>
#define HAVE_TSC 1
#else
#define HAVE_TSC 0
#endif

/* Makes `p` observable, so the compiler can neither drop the allocation nor
 * fold an alloc/free pair; the memory clobber also keeps it from caching the
 * allocator's state across iterations. */
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")
#define NOINLINE __attribute__((noinline))

/* ---- clock ------------------------------------------------------------------ */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* Median cost of an empty timed region (two clock reads), subtracted only in
 * the frame-reset case, where each timed region holds a single reset. */
static double g_timer_ns;

static void calibrate_timer(void)
{
    enum { N = 2001 };
    static double v[N];
    for (int i = 0; i < N; i++) {
        uint64_t t0 = now_ns();
        uint64_t t1 = now_ns();
        v[i] = (double)(t1 - t0);
    }
    g_timer_ns = median(v, N);
}

/* ---- peers -------------------------------------------------------------------- */

typedef struct peer {
    const char *name;
    const char *lib;
    void *(*malloc)(size_t);
    void (*free)(void *);
    int ok;
    char why[256];
} peer_t;

enum { A_MEMKIT, A_GLIBC, A_MIMALLOC, A_JEMALLOC, A_COUNT };
static const char *const alloc_names[A_COUNT] = {"memkit", "glibc", "mimalloc", "jemalloc"};

static peer_t g_peers[A_COUNT] = {
    [A_GLIBC] = {.name = "glibc", .lib = NULL},
    [A_MIMALLOC] = {.name = "mimalloc", .lib = "libmimalloc.so.2"},
    [A_JEMALLOC] = {.name = "jemalloc", .lib = "libjemalloc.so.2"},
};

static void load_peers(void)
{
    g_peers[A_GLIBC].malloc = malloc;
    g_peers[A_GLIBC].free = free;
    g_peers[A_GLIBC].ok = 1;
    const char *skip = getenv("MK_BENCH_SKIP"); /* e.g. "jemalloc": leave that peer out */
    for (int a = A_MIMALLOC; a < A_COUNT; a++) {
        peer_t *p = &g_peers[a];
        if (skip != NULL && strstr(skip, p->name) != NULL) {
            snprintf(p->why, sizeof p->why, "left out by MK_BENCH_SKIP");
            continue;
        }
        void *h = dlopen(p->lib, RTLD_NOW | RTLD_LOCAL);
        if (h == NULL) {
            const char *err = dlerror();
            int absent = err != NULL && strstr(err, "No such file") != NULL;
            snprintf(p->why, sizeof p->why, "dlopen failed: %s%s%s%s", err != NULL ? err : "?",
                     absent ? " (apt-get install lib" : "", absent ? p->name : "", absent ? "-dev)" : "");
            continue;
        }
        /* dlsym on a handle looks in that library first: its malloc, not glibc's */
        void *m = dlsym(h, a == A_MIMALLOC ? "mi_malloc" : "malloc");
        void *f = dlsym(h, a == A_MIMALLOC ? "mi_free" : "free");
        if (m == NULL || f == NULL) {
            snprintf(p->why, sizeof p->why, "dlsym found no malloc/free in %s", p->lib);
            continue;
        }
        memcpy(&p->malloc, &m, sizeof m); /* object pointer -> function pointer, ISO-clean */
        memcpy(&p->free, &f, sizeof f);
        if (p->malloc == malloc) {
            snprintf(p->why, sizeof p->why, "dlsym returned glibc's malloc, not %s's", p->name);
            continue;
        }
        p->ok = 1;
    }
}

/* ---- sizes of one sample -------------------------------------------------------- */

#define FRAME64_OPS 500000      /* one frame: 32 MB of a 64 MiB arena */
#define FRAME64K_PER_FRAME 1000 /* 62.5 MiB of a 64 MiB arena */
#define FRAME64K_FRAMES 16
#define RESET_FILL 10000        /* allocations made in the frame before each reset */
#define RESETS 100
#define PAIR_OPS 500000
#define BATCH 1024
#define BATCHES 256
#define HEAP_OPS 200000
#define PHASE_OPS 500000
#define TRANSFER_OPS 200000
#define HANDLE_OPS 200000
#define VEC_PUSHES 1000         /* pushes into one vec, from empty */
#define VECS 500                /* vecs per sample (in one frame: 500 x 4 KiB) */
#define MARK_OPS 200000
#define PINGPONG_WARM 1000        /* untimed round trips first (the child's copy-on-write faults) */
#define PINGPONG_ROUNDTRIPS 10000 /* timed round trips, two transfers each */

/* ---- memkit cases ------------------------------------------------------------------ */

static volatile mk_intent_t g_var_pool = MK_INTENT_OBJECTS;
static volatile mk_intent_t g_var_frame = MK_INTENT_SCRATCH;
static void *g_batch[BATCH];

static void mk_check(void *p, const char *what)
{
    if (p == NULL) {
        fprintf(stderr, "bench: memkit returned NULL in %s: %s\n", what, mk_status_str(mk_last_error()));
        exit(1);
    }
}

/* Starts a frame and makes the allocation that performs its lazy reset, so
 * that the timed allocations after it are all fast-path bumps. */
static void mk_fresh_frame(void)
{
    mk_begin_frame();
    void *p = mk_alloc(MK_INTENT_SCRATCH, 16);
    mk_check(p, "frame reset");
    ESCAPE(p);
}

NOINLINE static double mk_frame64(void)
{
    mk_fresh_frame();
    uint64_t t0 = now_ns();
    for (int i = 0; i < FRAME64_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_SCRATCH, 64);
        ESCAPE(p);
    }
    uint64_t t1 = now_ns();
    mk_check(mk_alloc(MK_INTENT_SCRATCH, 64), "frame 64 B");
    return (double)(t1 - t0) / FRAME64_OPS;
}

NOINLINE static double mk_frame64k(void)
{
    uint64_t total = 0;
    for (int f = 0; f < FRAME64K_FRAMES; f++) {
        mk_fresh_frame();
        uint64_t t0 = now_ns();
        for (int i = 0; i < FRAME64K_PER_FRAME; i++) {
            void *p = mk_alloc(MK_INTENT_SCRATCH, 65536);
            ESCAPE(p);
        }
        total += now_ns() - t0;
        mk_check(mk_alloc(MK_INTENT_SCRATCH, 65536), "frame 64 KiB"); /* the arena still had room */
    }
    return (double)total / (FRAME64K_FRAMES * FRAME64K_PER_FRAME);
}

NOINLINE static double mk_frame_reset(void)
{
    uint64_t total = 0;
    for (int r = 0; r < RESETS; r++) {
        for (int i = 0; i < RESET_FILL; i++) {
            void *p = mk_alloc(MK_INTENT_SCRATCH, 64);
            ESCAPE(p);
        }
        uint64_t t0 = now_ns();
        mk_begin_frame();
        void *p = mk_alloc(MK_INTENT_SCRATCH, 64); /* resets the slot, then bumps */
        ESCAPE(p);
        total += now_ns() - t0;
        mk_check(p, "frame reset");
    }
    return (double)total / RESETS - g_timer_ns;
}

NOINLINE static double mk_pool_alone(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < PAIR_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
        ESCAPE(p);
        mk_free(p);
    }
    return (double)(now_ns() - t0) / PAIR_OPS;
}

NOINLINE static double mk_pool_neighbour(void)
{
    void *keep = mk_alloc(MK_INTENT_OBJECTS, 64);
    mk_check(keep, "pool neighbour");
    ESCAPE(keep);
    uint64_t t0 = now_ns();
    for (int i = 0; i < PAIR_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
        ESCAPE(p);
        mk_free(p);
    }
    uint64_t t1 = now_ns();
    mk_free(keep);
    return (double)(t1 - t0) / PAIR_OPS;
}

NOINLINE static double mk_pool_batch(void)
{
    uint64_t t0 = now_ns();
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++)
            g_batch[i] = mk_alloc(MK_INTENT_OBJECTS, 64);
        ESCAPE(g_batch);
        for (int i = 0; i < BATCH; i++)
            mk_free(g_batch[i]);
    }
    uint64_t t1 = now_ns();
    mk_check(g_batch[BATCH - 1], "pool batch");
    return (double)(t1 - t0) / ((double)BATCHES * BATCH);
}

NOINLINE static double mk_pool_sized(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < PAIR_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
        ESCAPE(p);
        mk_free_sized(MK_INTENT_OBJECTS, p, 64);
    }
    return (double)(now_ns() - t0) / PAIR_OPS;
}

NOINLINE static double mk_pool_variable(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < PAIR_OPS; i++) {
        void *p = mk_alloc(g_var_pool, 64);
        ESCAPE(p);
        mk_free(p);
    }
    return (double)(now_ns() - t0) / PAIR_OPS;
}

NOINLINE static double mk_frame_variable(void)
{
    mk_fresh_frame();
    uint64_t t0 = now_ns();
    for (int i = 0; i < FRAME64_OPS; i++) {
        void *p = mk_alloc(g_var_frame, 64);
        ESCAPE(p);
    }
    uint64_t t1 = now_ns();
    mk_check(mk_alloc(MK_INTENT_SCRATCH, 64), "frame 64 B (variable intent)");
    return (double)(t1 - t0) / FRAME64_OPS;
}

NOINLINE static double mk_pool_leased(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < PAIR_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_BUDGETED, 64);
        ESCAPE(p);
        mk_free(p);
    }
    return (double)(now_ns() - t0) / PAIR_OPS;
}

NOINLINE static double mk_heap1k(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < HEAP_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_BLOBS, 1024);
        ESCAPE(p);
        mk_free(p);
    }
    return (double)(now_ns() - t0) / HEAP_OPS;
}

/* ---- memkit-only cases: phases, transfers, handles, frame containers, marks ------ */

static const char g_phase_name[] = "bench"; /* one address: phases compare names by address first */

NOINLINE static double mk_phase(void)
{
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < PHASE_OPS; i++) {
        bad |= mk_phase_begin(g_phase_name) != MK_OK;
        mk_phase_end();
    }
    uint64_t t1 = now_ns();
    if (bad) {
        fprintf(stderr, "bench: mk_phase_begin failed\n");
        exit(1);
    }
    return (double)(t1 - t0) / PHASE_OPS;
}

NOINLINE static double mk_phase_scope(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < PHASE_OPS; i++) {
        MK_PHASE_SCOPE(g_phase_name);
        ESCAPE(i);
    }
    return (double)(now_ns() - t0) / PHASE_OPS;
}

static void transfer_fail(const char *what)
{
    fprintf(stderr, "bench: %s failed: %s\n", what, mk_status_str(mk_last_error()));
    exit(1);
}

/* mk_transfer_init + mk_transfer_accept of one pool block on one thread: the
 * instruction cost, no cache line moves between cores. */
NOINLINE static double mk_transfer_local(void)
{
    void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
    mk_check(p, "transfer");
    mk_transfer_t t;
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < TRANSFER_OPS; i++) {
        bad |= mk_transfer_init(&t, p, 64) != MK_OK;
        void *q = mk_transfer_accept(&t);
        ESCAPE(q);
        bad |= q != p;
    }
    uint64_t t1 = now_ns();
    if (bad)
        transfer_fail("mk_transfer_init/accept");
    mk_free(p);
    return (double)(t1 - t0) / TRANSFER_OPS;
}

/* Two threads pass one pool block back and forth: the sender fills a
 * mk_transfer_t (mk_transfer_init) and publishes its address in a one-slot
 * mailbox (release store); the receiver spins on the mailbox (acquire load),
 * accepts, and sends the block back the same way. Reported per transfer (half
 * a round trip), so it includes the cross-core handoff: the mailbox line and
 * the transfer's line each move between cores. The control runs the same
 * ping-pong with the sender writing only t->ptr and the receiver reading it
 * (no memkit call): the handoff alone.
 *
 * These two cases run in a child forked right after mk_init, before anything
 * else is measured (see run_threaded), so that the benchmark process itself
 * never has a second thread: glibc's malloc skips its arena lock only while a
 * process has never had one, and the glibc column would otherwise slow down
 * (batch and 64 KiB rows about 2x) in every case measured afterwards. Forking
 * later, per sample, would instead make the parent take copy-on-write faults
 * on every page it had touched. */
static _Atomic(mk_transfer_t *) g_box[2]; /* [0] main -> helper, [1] helper -> main */
static atomic_int g_pp_ready;

static inline void spin_pause(unsigned *spins)
{
#if HAVE_TSC
    _mm_pause();
#endif
    if (++*spins % 4096u == 0) /* both threads on one CPU: let the other run */
        sched_yield();
}

static mk_transfer_t *box_take(int b)
{
    mk_transfer_t *t;
    unsigned spins = 0;
    while ((t = atomic_load_explicit(&g_box[b], memory_order_acquire)) == NULL)
        spin_pause(&spins);
    atomic_store_explicit(&g_box[b], NULL, memory_order_relaxed);
    return t;
}

static void box_put(int b, mk_transfer_t *t)
{
    atomic_store_explicit(&g_box[b], t, memory_order_release);
}

static void *pingpong_helper(void *arg)
{
    const int with_memkit = arg != NULL;
    static mk_transfer_t back;
    atomic_store_explicit(&g_pp_ready, 1, memory_order_release);
    for (int i = 0; i < PINGPONG_WARM + PINGPONG_ROUNDTRIPS; i++) {
        mk_transfer_t *t = box_take(0);
        void *p;
        if (with_memkit) {
            p = mk_transfer_accept(t);
            if (p == NULL)
                transfer_fail("mk_transfer_accept (helper thread)");
            if (mk_transfer_init(&back, p, 64) != MK_OK)
                transfer_fail("mk_transfer_init (helper thread)");
        } else {
            p = t->ptr;
            back.ptr = p;
        }
        box_put(1, &back);
    }
    return NULL; /* the thread's memkit slot is released at its exit */
}

static double pingpong(int with_memkit)
{
    void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
    mk_check(p, "transfer ping-pong");
    static mk_transfer_t out;
    pthread_t th;
    atomic_store(&g_pp_ready, 0);
    if (pthread_create(&th, NULL, pingpong_helper, with_memkit ? &out : NULL) != 0) {
        fprintf(stderr, "bench: pthread_create failed\n");
        exit(1);
    }
    unsigned spins = 0;
    while (!atomic_load_explicit(&g_pp_ready, memory_order_acquire))
        spin_pause(&spins);
    uint64_t t0 = 0;
    for (int i = 0; i < PINGPONG_WARM + PINGPONG_ROUNDTRIPS; i++) {
        if (i == PINGPONG_WARM)
            t0 = now_ns();
        if (with_memkit) {
            if (mk_transfer_init(&out, p, 64) != MK_OK)
                transfer_fail("mk_transfer_init (main thread)");
        } else {
            out.ptr = p;
        }
        box_put(0, &out);
        mk_transfer_t *t = box_take(1);
        p = with_memkit ? mk_transfer_accept(t) : t->ptr;
        if (p == NULL)
            transfer_fail("mk_transfer_accept (main thread)");
    }
    uint64_t t1 = now_ns();
    pthread_join(th, NULL);
    mk_free(p);
    return (double)(t1 - t0) / (2.0 * PINGPONG_ROUNDTRIPS);
}

NOINLINE static double mk_transfer_pingpong(void)
{
    return pingpong(1);
}

NOINLINE static double pingpong_control(void)
{
    return pingpong(0);
}

static mk_handle_t g_live_handle;

NOINLINE static double mk_handle_get_case(void)
{
    const mk_handle_t h = g_live_handle;
    void *first = mk_handle_get(h);
    mk_check(first, "mk_handle_get");
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < HANDLE_OPS; i++) {
        void *p = mk_handle_get(h);
        ESCAPE(p);
        bad |= p != first;
    }
    uint64_t t1 = now_ns();
    if (bad)
        mk_check(NULL, "mk_handle_get");
    return (double)(t1 - t0) / HANDLE_OPS;
}

NOINLINE static double mk_handle_pair(void)
{
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < HANDLE_OPS; i++) {
        mk_handle_t h = mk_handle_alloc(MK_HANDLES_BENCH);
        ESCAPE(h.index);
        bad |= mk_handle_free(h) != MK_OK;
    }
    uint64_t t1 = now_ns();
    if (bad)
        mk_check(NULL, "mk_handle_alloc/free");
    return (double)(t1 - t0) / HANDLE_OPS;
}

typedef MK_FRAME_VEC(int) int_vec_t;

/* VECS vecs of VEC_PUSHES ints each, pushed from empty (growth 64 B, 128 B,
 * ... 4 KiB, in place: the vec is the newest frame allocation), in one frame. */
NOINLINE static double mk_vec_push(void)
{
    mk_fresh_frame();
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int k = 0; k < VECS; k++) {
        int_vec_t v;
        (void)mk_frame_vec_init(&v, MK_INTENT_SCRATCH);
        for (int i = 0; i < VEC_PUSHES; i++)
            bad |= !mk_frame_vec_push(&v, i);
        ESCAPE(v.data);
    }
    uint64_t t1 = now_ns();
    if (bad)
        mk_check(NULL, "mk_frame_vec_push");
    return (double)(t1 - t0) / ((double)VECS * VEC_PUSHES);
}

NOINLINE static double mk_mark_rewind(void)
{
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < MARK_OPS; i++) {
        mk_frame_mark_t m = mk_frame_mark();
        ESCAPE(&m);
        bad |= mk_frame_rewind(&m) != MK_OK;
    }
    uint64_t t1 = now_ns();
    if (bad)
        mk_check(NULL, "mk_frame_mark/rewind");
    return (double)(t1 - t0) / MARK_OPS;
}

NOINLINE static double mk_mark_alloc_rewind(void)
{
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < MARK_OPS; i++) {
        mk_frame_mark_t m = mk_frame_mark();
        void *p = mk_alloc(MK_INTENT_SCRATCH, 64);
        ESCAPE(p);
        bad |= mk_frame_rewind(&m) != MK_OK;
    }
    uint64_t t1 = now_ns();
    if (bad)
        mk_check(NULL, "mk_frame_mark/alloc/rewind");
    return (double)(t1 - t0) / MARK_OPS;
}

/* ---- peer cases (the matching malloc/free operation) ------------------------------ */

static void peer_check(void *p, const peer_t *pr)
{
    if (p == NULL) {
        fprintf(stderr, "bench: %s malloc returned NULL\n", pr->name);
        exit(1);
    }
}

/* malloc+free of `size`, `ops` times; with `neighbour`, one block of the same
 * size stays allocated throughout. */
NOINLINE static double peer_pairs(const peer_t *pr, size_t size, int ops, int neighbour)
{
    void *(*const m)(size_t) = pr->malloc;
    void (*const f)(void *) = pr->free;
    void *keep = NULL;
    if (neighbour) {
        keep = m(size);
        peer_check(keep, pr);
        ESCAPE(keep);
    }
    uint64_t t0 = now_ns();
    for (int i = 0; i < ops; i++) {
        void *p = m(size);
        ESCAPE(p);
        f(p);
    }
    uint64_t t1 = now_ns();
    if (keep != NULL)
        f(keep);
    return (double)(t1 - t0) / ops;
}

NOINLINE static double peer_batch(const peer_t *pr)
{
    void *(*const m)(size_t) = pr->malloc;
    void (*const f)(void *) = pr->free;
    uint64_t t0 = now_ns();
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++)
            g_batch[i] = m(64);
        ESCAPE(g_batch);
        for (int i = 0; i < BATCH; i++)
            f(g_batch[i]);
    }
    uint64_t t1 = now_ns();
    return (double)(t1 - t0) / ((double)BATCHES * BATCH);
}

/* ---- heap churn tail latency ------------------------------------------------------ */

/* Each step frees a random live block and allocates one of a random size in
 * its slot; every allocator runs the same sequence (same seed). After an
 * untimed fill and CHURN_WARM untimed steps, CHURN_OPS steps are timed in
 * turns of CHURN_TURN steps, the allocators taking turns in rotating order. */
#define CHURN_NAME "heap churn tail"
#define CHURN_LIVE 4096
#define CHURN_MIN 16
#define CHURN_MAX 16384
#define CHURN_SEED UINT64_C(0x9e3779b97f4a7c15)
#define CHURN_WARM 50000
#define CHURN_OPS 200000
#define CHURN_TURN 25000

enum { T_ALLOC, T_FREE, T_PAIR, T_COUNT };

typedef struct churn {
    void *live[CHURN_LIVE];
    uint64_t rng;
    int done; /* timed steps so far */
} churn_t;

static churn_t g_churn[A_COUNT];
static long g_churn_faults[A_COUNT]; /* page faults (minor + major) during the timed steps */
static churn_t g_churn_null;         /* the same draws, no allocator: the timer's own tail */
static uint32_t g_null_ticks[CHURN_OPS];
static uint32_t g_churn_ticks[A_COUNT][T_COUNT][CHURN_OPS];
static double g_ns_per_tick = 1.0; /* rdtsc ticks -> ns */
static uint64_t g_tick_overhead;   /* median empty timed region, in ticks */

/* The timer of single operations: rdtsc fenced on both sides, so that the
 * timed operation can neither start before the first read nor end after the
 * second; clock_gettime where there is no TSC. */
static inline uint64_t ticks(void)
{
#if HAVE_TSC
    _mm_lfence();
    uint64_t t = __rdtsc();
    _mm_lfence();
    return t;
#else
    return now_ns();
#endif
}

static void calibrate_ticks(void)
{
#if HAVE_TSC
    uint64_t n0 = now_ns(), c0 = ticks(), n1, c1;
    do {
        n1 = now_ns();
        c1 = ticks();
    } while (n1 - n0 < 20000000u); /* 20 ms */
    g_ns_per_tick = (double)(n1 - n0) / (double)(c1 - c0);
#endif
    enum { N = 10001 };
    static double v[N];
    for (int i = 0; i < N; i++) {
        uint64_t t0 = ticks();
        uint64_t t1 = ticks();
        v[i] = (double)(t1 - t0);
    }
    g_tick_overhead = (uint64_t)median(v, N);
}

static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* One step's slot and size, drawn from the allocator's own copy of the stream. */
static inline unsigned churn_draw(churn_t *c, size_t *size)
{
    uint64_t r = xorshift64(&c->rng);
    *size = CHURN_MIN + (size_t)((r & 0xffffffffu) % (CHURN_MAX - CHURN_MIN + 1));
    return (unsigned)((r >> 32) % CHURN_LIVE);
}

static inline uint32_t sat32(uint64_t t)
{
    return t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
}

/* `n` steps; with `rec`, the step times are stored from c->done on. */
NOINLINE static void mk_churn(churn_t *c, int n, uint32_t (*rec)[CHURN_OPS])
{
    for (int i = 0; i < n; i++) {
        size_t size;
        unsigned slot = churn_draw(c, &size);
        void *old = c->live[slot];
        uint64_t t0 = ticks();
        mk_free(old);
        uint64_t t1 = ticks();
        void *p = mk_alloc(MK_INTENT_BLOBS, size);
        uint64_t t2 = ticks();
        ESCAPE(p);
        if (p == NULL)
            mk_check(p, CHURN_NAME);
        c->live[slot] = p;
        if (rec != NULL) {
            rec[T_ALLOC][c->done + i] = sat32(t2 - t1);
            rec[T_FREE][c->done + i] = sat32(t1 - t0);
            rec[T_PAIR][c->done + i] = sat32(t2 - t0);
        }
    }
}

NOINLINE static void peer_churn(const peer_t *pr, churn_t *c, int n, uint32_t (*rec)[CHURN_OPS])
{
    void *(*const m)(size_t) = pr->malloc;
    void (*const f)(void *) = pr->free;
    for (int i = 0; i < n; i++) {
        size_t size;
        unsigned slot = churn_draw(c, &size);
        void *old = c->live[slot];
        uint64_t t0 = ticks();
        f(old);
        uint64_t t1 = ticks();
        void *p = m(size);
        uint64_t t2 = ticks();
        ESCAPE(p);
        if (p == NULL)
            peer_check(p, pr);
        c->live[slot] = p;
        if (rec != NULL) {
            rec[T_ALLOC][c->done + i] = sat32(t2 - t1);
            rec[T_FREE][c->done + i] = sat32(t1 - t0);
            rec[T_PAIR][c->done + i] = sat32(t2 - t0);
        }
    }
}

/* The control: the same steps and timed regions with nothing inside, so the
 * machine's own tail (interrupts, preemption, timer) shows next to the rest. */
NOINLINE static void null_churn(churn_t *c, int n)
{
    for (int i = 0; i < n; i++) {
        size_t size;
        unsigned slot = churn_draw(c, &size);
        void *old = c->live[slot];
        uint64_t t0 = ticks();
        ESCAPE(old);
        uint64_t t1 = ticks();
        ESCAPE(size);
        g_null_ticks[c->done + i] = sat32(t1 - t0);
    }
    c->done += n;
}

static void churn_fill(int a)
{
    churn_t *c = &g_churn[a];
    c->rng = CHURN_SEED;
    c->done = 0;
    for (unsigned i = 0; i < CHURN_LIVE; i++) {
        size_t size;
        (void)churn_draw(c, &size);
        void *p = a == A_MEMKIT ? mk_alloc(MK_INTENT_BLOBS, size) : g_peers[a].malloc(size);
        if (p == NULL) {
            fprintf(stderr, "bench: %s returned NULL filling the churn set\n", alloc_names[a]);
            exit(1);
        }
        c->live[i] = p;
    }
}

static void churn_steps(int a, int n, int timed)
{
    churn_t *c = &g_churn[a];
    uint32_t (*rec)[CHURN_OPS] = timed ? g_churn_ticks[a] : NULL;
    struct rusage r0, r1;
    getrusage(RUSAGE_SELF, &r0);
    if (a == A_MEMKIT)
        mk_churn(c, n, rec);
    else
        peer_churn(&g_peers[a], c, n, rec);
    getrusage(RUSAGE_SELF, &r1);
    if (timed) {
        c->done += n;
        g_churn_faults[a] += (r1.ru_minflt - r0.ru_minflt) + (r1.ru_majflt - r0.ru_majflt);
    }
}

static void churn_release(int a)
{
    churn_t *c = &g_churn[a];
    for (unsigned i = 0; i < CHURN_LIVE; i++) {
        if (a == A_MEMKIT)
            mk_free(c->live[i]);
        else
            g_peers[a].free(c->live[i]);
        c->live[i] = NULL;
    }
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return (x > y) - (x < y);
}

/* Nearest-rank percentile of sorted ticks, in ns, the empty-timer cost removed. */
static double pct_ns(const uint32_t *v, int n, double p)
{
    int k = (int)((double)n * p + 0.999999) - 1;
    if (k < 0)
        k = 0;
    if (k >= n)
        k = n - 1;
    uint64_t t = v[k] > g_tick_overhead ? v[k] - g_tick_overhead : 0;
    return (double)t * g_ns_per_tick;
}

static void run_churn(int (*enabled)(int a))
{
    for (int a = 0; a < A_COUNT; a++)
        if (enabled(a)) {
            churn_fill(a);
            churn_steps(a, CHURN_WARM, 0);
        }
    /* fault in the sample arrays now, so the fault counts are the allocators' own */
    memset(g_churn_ticks, 0, sizeof g_churn_ticks);
    memset(g_null_ticks, 0, sizeof g_null_ticks);
    g_churn_null.rng = CHURN_SEED;
    g_churn_null.done = 0;
    for (int turn = 0; turn < CHURN_OPS / CHURN_TURN; turn++)
        for (int k = 0; k < A_COUNT; k++) {
            int a = (k + turn) % A_COUNT;
            if (enabled(a))
                churn_steps(a, CHURN_TURN, 1);
            if (a == A_COUNT - 1)
                null_churn(&g_churn_null, CHURN_TURN);
        }
    for (int a = 0; a < A_COUNT; a++)
        if (enabled(a))
            churn_release(a);

    printf("\n%s latency: %d live blocks of %d B - %d KiB (uniform, xorshift64, fixed seed); a step frees a random\n"
           "live block and allocates a new random size in its place. Fill + %d untimed steps, then %d timed steps\n"
           "per allocator in turns of %d (same sequence for all). Each free and each allocation timed alone;\n",
           CHURN_NAME, CHURN_LIVE, CHURN_MIN, CHURN_MAX / 1024, CHURN_WARM, CHURN_OPS, CHURN_TURN);
#if HAVE_TSC
    printf("timer: lfence+rdtsc, %.3f GHz calibrated against CLOCK_MONOTONIC; empty region %.1f ns, subtracted.\n",
           1.0 / g_ns_per_tick, (double)g_tick_overhead * g_ns_per_tick);
#else
    printf("timer: clock_gettime(CLOCK_MONOTONIC) (no TSC); empty region %.1f ns, subtracted.\n",
           (double)g_tick_overhead);
#endif
    printf("'pair' = that step's free + allocation, timed as one region; '(none) empty' = the same timed region\n"
           "with nothing in it, in the same turns: the machine's and the timer's own tail.\n\n");
    printf("| %-10s | %-5s | %9s | %9s | %9s | %9s | %9s | %10s | %11s |\n", "allocator", "op", "median ns",
           "p99 ns", "p99.9 ns", "p99.99 ns", "max ns", "mean ns", "page faults");
    printf("|------------|-------|-----------|-----------|-----------|-----------|-----------|------------|-------------|\n");
    static const char *const op_names[T_COUNT] = {"alloc", "free", "pair"};
    static uint32_t v[CHURN_OPS];
    memcpy(v, g_null_ticks, sizeof v);
    qsort(v, CHURN_OPS, sizeof v[0], cmp_u32);
    printf("| %-10s | %-5s | %9.1f | %9.1f | %9.1f | %9.1f | %9.1f | %10s | %11s |\n", "(none)", "empty",
           pct_ns(v, CHURN_OPS, 0.5), pct_ns(v, CHURN_OPS, 0.99), pct_ns(v, CHURN_OPS, 0.999),
           pct_ns(v, CHURN_OPS, 0.9999), pct_ns(v, CHURN_OPS, 1.0), "-", "-");
    for (int a = 0; a < A_COUNT; a++) {
        if (!enabled(a))
            continue;
        for (int t = 0; t < T_COUNT; t++) {
            memcpy(v, g_churn_ticks[a][t], sizeof v);
            double sum = 0;
            for (int i = 0; i < CHURN_OPS; i++)
                sum += (double)(v[i] > g_tick_overhead ? v[i] - g_tick_overhead : 0);
            qsort(v, CHURN_OPS, sizeof v[0], cmp_u32);
            char faults[24] = "";
            if (t == T_PAIR)
                snprintf(faults, sizeof faults, "%ld", g_churn_faults[a]);
            printf("| %-10s | %-5s | %9.1f | %9.1f | %9.1f | %9.1f | %9.1f | %10.1f | %11s |\n", alloc_names[a],
                   op_names[t], pct_ns(v, CHURN_OPS, 0.5), pct_ns(v, CHURN_OPS, 0.99), pct_ns(v, CHURN_OPS, 0.999),
                   pct_ns(v, CHURN_OPS, 0.9999), pct_ns(v, CHURN_OPS, 1.0), sum / CHURN_OPS * g_ns_per_tick, faults);
        }
    }
}

/* ---- the table of cases ---------------------------------------------------------------- */

enum { P_NONE, P_PAIR, P_PAIR_NEIGHBOUR, P_BATCH, P_THREADS, P_THREADS_CONTROL };

typedef struct bench_case {
    const char *name;
    double (*memkit)(void);
    int peer_kind; /* what the peers run: P_NONE (memkit only), pairs, batch; P_THREADS: memkit
                    * only, with a second thread, run in the child of run_threaded;
                    * P_THREADS_CONTROL: the same, no memkit, printed under the table */
    size_t peer_size;
    int peer_ops;
} bench_case_t;

static const bench_case_t g_cases[] = {
    {"frame alloc 64 B", mk_frame64, P_PAIR, 64, FRAME64_OPS},
    {"frame alloc 64 KiB", mk_frame64k, P_PAIR, 65536, FRAME64K_FRAMES * FRAME64K_PER_FRAME},
    {"frame reset after 10k allocs", mk_frame_reset, P_NONE, 0, 0},
    {"pool pair 64 B alone", mk_pool_alone, P_PAIR, 64, PAIR_OPS},
    {"pool pair 64 B live neighbour", mk_pool_neighbour, P_PAIR_NEIGHBOUR, 64, PAIR_OPS},
    {"pool pair 64 B batch 1024", mk_pool_batch, P_BATCH, 64, 0},
    {"heap pair 1 KiB", mk_heap1k, P_PAIR, 1024, HEAP_OPS},
    {"pool pair 64 B, mk_free_sized", mk_pool_sized, P_NONE, 0, 0},
    {"pool pair 64 B, variable intent", mk_pool_variable, P_NONE, 0, 0},
    {"frame alloc 64 B, variable intent", mk_frame_variable, P_NONE, 0, 0},
    {"pool pair 64 B, budgeted (leases)", mk_pool_leased, P_NONE, 0, 0},
    {"phase enter+exit", mk_phase, P_NONE, 0, 0},
    {"phase enter+exit, MK_PHASE_SCOPE", mk_phase_scope, P_NONE, 0, 0},
    {"transfer init+accept (pool block)", mk_transfer_local, P_NONE, 0, 0},
    {"transfer handoff, 2 threads", mk_transfer_pingpong, P_THREADS, 0, 0},
    {"transfer handoff control (no memkit)", pingpong_control, P_THREADS_CONTROL, 0, 0},
    {"handle get", mk_handle_get_case, P_NONE, 0, 0},
    {"handle alloc+free (64 B)", mk_handle_pair, P_NONE, 0, 0},
    {"frame vec push (int), per push", mk_vec_push, P_NONE, 0, 0},
    {"frame mark+rewind", mk_mark_rewind, P_NONE, 0, 0},
    {"frame mark+alloc 64 B+rewind", mk_mark_alloc_rewind, P_NONE, 0, 0},
};
#define CASE_COUNT ((int)(sizeof g_cases / sizeof g_cases[0]))

static double run_one(const bench_case_t *c, int a)
{
    if (a == A_MEMKIT)
        return c->memkit();
    const peer_t *pr = &g_peers[a];
    switch (c->peer_kind) {
    case P_PAIR:
        return peer_pairs(pr, c->peer_size, c->peer_ops, 0);
    case P_PAIR_NEIGHBOUR:
        return peer_pairs(pr, c->peer_size, c->peer_ops, 1);
    default:
        return peer_batch(pr);
    }
}

static const char *g_only; /* MK_BENCH_ONLY: run only cases whose name contains it (for perf) */

static int runs(const bench_case_t *c, int a)
{
    if (g_only != NULL && strstr(c->name, g_only) == NULL)
        return 0;
    return a == A_MEMKIT || (c->peer_kind <= P_BATCH && c->peer_kind != P_NONE && g_peers[a].ok);
}

static int churn_runs(int a)
{
    if (g_only != NULL && strstr(CHURN_NAME, g_only) == NULL)
        return 0;
    return a == A_MEMKIT || g_peers[a].ok;
}

static int threaded(const bench_case_t *c)
{
    return c->peer_kind == P_THREADS || c->peer_kind == P_THREADS_CONTROL;
}

/* Runs the cases that need a second thread in a forked child, `rounds`
 * samples each (interleaved, the first case rotating), and stores their
 * samples; the parent waits, so nothing else runs meanwhile. */
static void run_threaded(double (*samples)[A_COUNT][1001], int rounds)
{
    int any = 0;
    for (int c = 0; c < CASE_COUNT; c++)
        any |= threaded(&g_cases[c]) && runs(&g_cases[c], A_MEMKIT);
    if (!any)
        return;
    static double out[sizeof g_cases / sizeof g_cases[0]][1001];
    int fd[2];
    if (pipe(fd) != 0) {
        perror("bench: pipe");
        exit(1);
    }
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        perror("bench: fork");
        exit(1);
    }
    if (pid == 0) {
        close(fd[0]);
        int tc[CASE_COUNT], n = 0;
        for (int c = 0; c < CASE_COUNT; c++)
            if (threaded(&g_cases[c]) && runs(&g_cases[c], A_MEMKIT))
                tc[n++] = c;
        for (int r = -1; r < rounds; r++) /* round -1: warm-up */
            for (int k = 0; k < n; k++) {
                int c = tc[(k + (r < 0 ? 0 : r)) % n]; /* who goes first alternates */
                double v = g_cases[c].memkit();
                if (r >= 0)
                    out[c][r] = v;
            }
        const char *buf = (const char *)out;
        size_t left = sizeof out;
        while (left > 0) {
            ssize_t n = write(fd[1], buf, left);
            if (n <= 0)
                _exit(1);
            buf += n;
            left -= (size_t)n;
        }
        _exit(0);
    }
    close(fd[1]);
    char *buf = (char *)out;
    size_t left = sizeof out;
    while (left > 0) {
        ssize_t n = read(fd[0], buf, left);
        if (n <= 0)
            break;
        buf += n;
        left -= (size_t)n;
    }
    close(fd[0]);
    int status = 0;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0 || left != 0) {
        fprintf(stderr, "bench: the child running the 2-thread cases failed\n");
        exit(1);
    }
    for (int c = 0; c < CASE_COUNT; c++)
        if (threaded(&g_cases[c]))
            memcpy(samples[c][A_MEMKIT], out[c], sizeof out[c]);
}

static void cell(char *buf, size_t n, const double *med, const double *mn, int a, int ok)
{
    if (!ok)
        snprintf(buf, n, "-");
    else
        snprintf(buf, n, "%.2f (%.2f)", med[a], mn[a]);
    (void)mn;
}

int main(int argc, char **argv)
{
    int rounds = 21;
    const char *env = getenv("MK_BENCH_ROUNDS");
    if (argc > 1)
        rounds = atoi(argv[1]);
    else if (env != NULL)
        rounds = atoi(env);
    if (rounds < 1 || rounds > 1001) {
        fprintf(stderr, "usage: bench [rounds 1..1001]\n");
        return 2;
    }

    mk_status_t st = mk_init(&mkg_config);
    if (st != MK_OK) {
        fprintf(stderr, "bench: mk_init: %s\n", mk_status_str(st));
        return 1;
    }
    g_live_handle = mk_handle_alloc(MK_HANDLES_BENCH);
    if (mk_handle_is_null(g_live_handle)) {
        fprintf(stderr, "bench: mk_handle_alloc: %s\n", mk_status_str(mk_last_error()));
        return 1;
    }
    g_only = getenv("MK_BENCH_ONLY");
    static double samples[sizeof g_cases / sizeof g_cases[0]][A_COUNT][1001];
    run_threaded(samples, rounds); /* first: in a child, before this process has touched much */
    load_peers();
    calibrate_timer();
    calibrate_ticks();

    /* warm-up: attach the thread, carve the pool, fault in the peers' pages */
    for (int c = 0; c < CASE_COUNT; c++)
        for (int a = 0; a < A_COUNT; a++)
            if (runs(&g_cases[c], a) && !threaded(&g_cases[c]))
                (void)run_one(&g_cases[c], a);

    for (int r = 0; r < rounds; r++)
        for (int c = 0; c < CASE_COUNT; c++)
            for (int k = 0; k < A_COUNT; k++) {
                int a = (k + r) % A_COUNT; /* rotate who goes first */
                if (runs(&g_cases[c], a) && !threaded(&g_cases[c]))
                    samples[c][a][r] = run_one(&g_cases[c], a);
            }

    printf("memkit microbenchmarks: %d rounds, single thread, ns per operation, median (min)\n", rounds);
    printf("timer: clock_gettime(CLOCK_MONOTONIC), empty region %.1f ns (subtracted only from the reset case)\n",
           g_timer_ns);
    for (int a = A_MIMALLOC; a < A_COUNT; a++)
        if (!g_peers[a].ok)
            printf("peer %s skipped: %s\n", g_peers[a].name, g_peers[a].why);
    printf("\n");
    printf("| %-34s | %-15s | %-15s | %-15s | %-15s | %12s | %15s | %15s |\n", "case", "memkit ns", "glibc ns",
           "mimalloc ns", "jemalloc ns", "glibc/memkit", "mimalloc/memkit", "jemalloc/memkit");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------", "-----------------",
           "-----------------", "-----------------", "-----------------", "--------------", "-----------------",
           "-----------------");
    double pool_const = 0, pool_var = 0, frame_const = 0, frame_var = 0, handoff = -1, control = -1;
    int c_handoff = -1, c_control = -1;
    for (int c = 0; c < CASE_COUNT; c++) {
        const bench_case_t *bc = &g_cases[c];
        if (!runs(bc, A_MEMKIT))
            continue;
        if (bc->peer_kind == P_THREADS_CONTROL) {
            double v[1001];
            memcpy(v, samples[c][A_MEMKIT], sizeof(double) * (size_t)rounds);
            control = median(v, rounds);
            c_control = c;
            continue;
        }
        double med[A_COUNT] = {0}, mn[A_COUNT] = {0};
        for (int a = 0; a < A_COUNT; a++) {
            if (!runs(bc, a))
                continue;
            double v[1001];
            memcpy(v, samples[c][a], sizeof(double) * (size_t)rounds);
            med[a] = median(v, rounds); /* sorts v */
            mn[a] = v[0];
        }
        char cells[A_COUNT][32], ratio[A_COUNT][24];
        for (int a = 0; a < A_COUNT; a++) {
            cell(cells[a], sizeof cells[a], med, mn, a, runs(bc, a));
            if (a != A_MEMKIT && runs(bc, a) && med[A_MEMKIT] > 0)
                snprintf(ratio[a], sizeof ratio[a], "%.1fx", med[a] / med[A_MEMKIT]);
            else
                snprintf(ratio[a], sizeof ratio[a], "-");
        }
        printf("| %-34s | %-15s | %-15s | %-15s | %-15s | %12s | %15s | %15s |\n", bc->name, cells[A_MEMKIT],
               cells[A_GLIBC], cells[A_MIMALLOC], cells[A_JEMALLOC], ratio[A_GLIBC], ratio[A_MIMALLOC],
               ratio[A_JEMALLOC]);
        if (bc->memkit == mk_pool_alone)
            pool_const = med[A_MEMKIT];
        if (bc->memkit == mk_pool_variable)
            pool_var = med[A_MEMKIT];
        if (bc->memkit == mk_frame64)
            frame_const = med[A_MEMKIT];
        if (bc->memkit == mk_frame_variable)
            frame_var = med[A_MEMKIT];
        if (bc->memkit == mk_transfer_pingpong) {
            handoff = med[A_MEMKIT];
            c_handoff = c;
        }
    }
    printf("\nrouting cost (variable intent - constant intent, medians): pool pair %+.2f ns, frame alloc %+.2f ns\n",
           pool_var - pool_const, frame_var - frame_const);
    if (c_handoff >= 0 && c_control >= 0) {
        double d[1001];
        for (int r = 0; r < rounds; r++)
            d[r] = samples[c_handoff][A_MEMKIT][r] - samples[c_control][A_MEMKIT][r];
        printf("transfer handoff, 2 threads: per transfer (half a round trip of a one-slot-mailbox ping-pong), cross-core\n"
               "handoff included; the same ping-pong passing a bare pointer (no memkit, same rounds) takes %.2f ns;\n"
               "memkit's share: %+.2f ns (difference of medians), %+.2f ns (median of per-round differences)\n",
               control, handoff - control, median(d, rounds));
    }
    printf("peers run the matching malloc+free pair of the same size (frame rows: a pair, since a frame\n"
           "block is never freed one by one); '-' = no peer equivalent. memkit: see bench/memkit_bench.toml.\n");
    if (churn_runs(A_MEMKIT))
        run_churn(churn_runs);
    mk_shutdown();
    return 0;
}

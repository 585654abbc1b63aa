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
 * "floor:" rows run the loop of a memkit row around inlined code and no
 * allocator (a thread-local bump, a thread-local free list): the least any
 * allocator could cost on this machine. The locality row builds, walks and
 * frees a tree of mixed-size nodes. memkit-only rows follow (no peer
 * equivalent): mk_usable_size, variable and budgeted intents, phase
 * enter+exit, transfer init+accept on one thread and a two-thread transfer
 * ping-pong (run in a forked child, see run_threaded), handle get and
 * alloc+free, frame vec push, frame mark+rewind. Under the table, a targets
 * block compares this run's medians with issue 8's goals (print_targets).
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

#include "peers.h"

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
/* Makes the compiler forget what `v` holds, so a loop-invariant address is
 * looked up again every iteration, as a fresh pointer would be. */
#define OPAQUE(v) __asm__ volatile("" : "+r"(v))
#define NOINLINE __attribute__((noinline))
#define ALWAYS_INLINE inline __attribute__((always_inline))
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* ---- clock (now_ns, median: peers.h) --------------------------------------------- */

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
    void *(*malloc)(size_t);
    void (*free)(void *);
    int ok;
    char why[256];
} peer_t;

enum { A_MEMKIT, A_GLIBC, A_MIMALLOC, A_JEMALLOC, A_COUNT };
static const char *const alloc_names[A_COUNT] = {"memkit", "glibc", "mimalloc", "jemalloc"};

static peer_t g_peers[A_COUNT] = {
    [A_GLIBC] = {.name = "glibc"},
    [A_MIMALLOC] = {.name = "mimalloc"},
    [A_JEMALLOC] = {.name = "jemalloc"},
};

/* glibc is called as linked; the others are dlopen'ed (peers.h), unless
 * MK_BENCH_SKIP names them (e.g. "jemalloc"). */
static void load_peers(void)
{
    g_peers[A_GLIBC].malloc = malloc;
    g_peers[A_GLIBC].free = free;
    g_peers[A_GLIBC].ok = 1;
    for (int a = A_MIMALLOC; a < A_COUNT; a++) {
        peer_t *p = &g_peers[a];
        if (!peer_skipped(p->name, p->why, sizeof p->why) &&
            peer_load(p->name, &p->malloc, &p->free, p->why, sizeof p->why) == NULL)
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
#define USABLE_OPS 500000
#define TREE_DEPTH 16
#define TREE_NODES ((1 << TREE_DEPTH) - 1) /* 65535 */
#define TREE_REPS 4             /* trees built, walked and freed per sample */
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

NOINLINE static double mk_frame_budgeted(void)
{
    mk_fresh_frame();
    uint64_t t0 = now_ns();
    for (int i = 0; i < FRAME64_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_SCRATCH_BUDGETED, 64);
        ESCAPE(p);
    }
    uint64_t t1 = now_ns();
    mk_check(mk_alloc(MK_INTENT_SCRATCH_BUDGETED, 64), "frame 64 B (budgeted)");
    return (double)(t1 - t0) / FRAME64_OPS;
}

/* mk_usable_size of one live 64 B pool block. OPAQUE keeps an inline lookup
 * from being hoisted out of the loop: each call starts from the address, as
 * mk_free's lookup does. */
NOINLINE static double mk_usable(void)
{
    void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
    mk_check(p, "mk_usable_size");
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < USABLE_OPS; i++) {
        OPAQUE(p);
        size_t n = mk_usable_size(p);
        ESCAPE(n);
        bad |= n != 64;
    }
    uint64_t t1 = now_ns();
    mk_free(p);
    if (bad) {
        fprintf(stderr, "bench: mk_usable_size of a 64 B pool block is not 64\n");
        exit(1);
    }
    return (double)(t1 - t0) / USABLE_OPS;
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
 * These two cases run in a child forked before anything else is measured
 * (and before this process's mk_init; see run_threaded), so that the benchmark process itself
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

/* ---- floors: the same loops around the least an allocator can do ------------------ */

/* A floor row runs the loop of the memkit row it pairs with, same count and
 * same ESCAPEs, around a few inlined instructions on thread-local state and no
 * allocator at all: what the fastest possible allocator would cost on this
 * machine, measured in the same rounds. memkit / floor is then how much of a
 * row is memkit. The loops are written out rather than shared with the memkit
 * rows, since a shared loop would need a call or a macro between the timer
 * and the code it times. */

#define FLOOR_ALIGN 16 /* MKG_ALIGNMENT of memkit_bench.toml: the same rounding */

/* The free-list floor's blocks: 64 B, the link in a free block's first word
 * (where memkit's pool keeps it). BATCH of them, enough for the batch row. */
typedef struct floor_block {
    struct floor_block *next;
    unsigned char rest[64 - sizeof(struct floor_block *)];
} floor_block_t;

/* The thread's floor state, reached as memkit and mimalloc reach theirs:
 * through one thread-local pointer. The cursor and the list head could be
 * _Thread_local variables themselves, but on the 2-vCPU AMD EPYC of
 * RESULTS.md a bump kept in %fs:offset took 2.2 ns, more than memkit's frame
 * (1.4 ns), and 0.6 ns through the pointer: a store and the next load at
 * %fs:offset seem to miss the zero-latency store-to-load forwarding (memory
 * renaming) the core gives base+offset addresses. A floor must be the
 * fastest form. */
typedef struct floor_state {
    uintptr_t bump_cursor, bump_end;
    floor_block_t *free_head;
} floor_state_t;

static _Thread_local floor_state_t g_floor_state;
static _Thread_local floor_state_t *g_floor_self;

/* The bump floor's buffer: the size of memkit_bench.toml's frame arena, never
 * touched (a bump only hands out addresses, as memkit's frame does). */
static _Alignas(FLOOR_ALIGN) unsigned char g_bump_buf[(size_t)64 << 20];

/* A bump that keeps to its buffer: the end test is the least a bump
 * allocator must do (memkit's also tests the frame epoch). */
static inline void *floor_bump(size_t size)
{
    floor_state_t *s = g_floor_self;
    size_t n = (size + FLOOR_ALIGN - 1) & ~(size_t)(FLOOR_ALIGN - 1);
    uintptr_t p = s->bump_cursor;
    if (UNLIKELY(n > s->bump_end - p))
        return NULL;
    s->bump_cursor = p + n;
    return (void *)p;
}

/* The floor's frame boundary: the cursor back to the start. */
static void floor_bump_reset(void)
{
    g_floor_self->bump_cursor = (uintptr_t)g_bump_buf;
    g_floor_self->bump_end = (uintptr_t)g_bump_buf + sizeof g_bump_buf;
}

static _Alignas(64) floor_block_t g_floor_blocks[BATCH];

/* The free-list floor: an intrusive singly linked list, popped and pushed at
 * its head. */
static inline void *floor_pop(void)
{
    floor_state_t *s = g_floor_self;
    floor_block_t *b = s->free_head;
    if (UNLIKELY(b == NULL))
        return NULL;
    s->free_head = b->next;
    return b;
}

static inline void floor_push(void *p)
{
    floor_state_t *s = g_floor_self;
    floor_block_t *b = p;
    b->next = s->free_head;
    s->free_head = b;
}

static void floor_init(void)
{
    g_floor_self = &g_floor_state;
    for (int i = BATCH - 1; i >= 0; i--)
        floor_push(&g_floor_blocks[i]);
}

static void floor_check(const void *p, const char *what)
{
    if (p == NULL) {
        fprintf(stderr, "bench: the %s floor ran out of blocks\n", what);
        exit(1);
    }
}

/* Pairs with mk_frame64. */
NOINLINE static double floor_frame64(void)
{
    floor_bump_reset();
    uint64_t t0 = now_ns();
    for (int i = 0; i < FRAME64_OPS; i++) {
        void *p = floor_bump(64);
        ESCAPE(p);
    }
    uint64_t t1 = now_ns();
    floor_check(floor_bump(64), "bump 64 B");
    return (double)(t1 - t0) / FRAME64_OPS;
}

/* Pairs with mk_frame64k. */
NOINLINE static double floor_frame64k(void)
{
    uint64_t total = 0;
    for (int f = 0; f < FRAME64K_FRAMES; f++) {
        floor_bump_reset();
        uint64_t t0 = now_ns();
        for (int i = 0; i < FRAME64K_PER_FRAME; i++) {
            void *p = floor_bump(65536);
            ESCAPE(p);
        }
        total += now_ns() - t0;
        floor_check(floor_bump(65536), "bump 64 KiB"); /* room was left, as in the frame */
    }
    return (double)total / (FRAME64K_FRAMES * FRAME64K_PER_FRAME);
}

/* Pairs with mk_pool_alone and mk_pool_neighbour: for a free list the
 * neighbour changes nothing, so one row serves both. */
NOINLINE static double floor_pair(void)
{
    uint64_t t0 = now_ns();
    for (int i = 0; i < PAIR_OPS; i++) {
        void *p = floor_pop();
        ESCAPE(p);
        floor_push(p);
    }
    return (double)(now_ns() - t0) / PAIR_OPS;
}

/* Pairs with mk_pool_batch. */
NOINLINE static double floor_batch(void)
{
    uint64_t t0 = now_ns();
    for (int b = 0; b < BATCHES; b++) {
        for (int i = 0; i < BATCH; i++)
            g_batch[i] = floor_pop();
        ESCAPE(g_batch);
        for (int i = 0; i < BATCH; i++)
            floor_push(g_batch[i]);
    }
    uint64_t t1 = now_ns();
    floor_check(g_batch[BATCH - 1], "free-list batch");
    return (double)(t1 - t0) / ((double)BATCHES * BATCH);
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

/* ---- locality: a tree of mixed-size nodes ------------------------------------------- */

/* A complete binary tree of depth TREE_DEPTH is built in pre-order (the order
 * a recursive builder or a parser allocates in), walked in the same order
 * summing a field, and freed in post-order, TREE_REPS times per sample. Node
 * sizes cycle through 32, 48, ... 128 B by pre-order index, so several size
 * classes interleave: the walk's time depends on where the allocator put the
 * nodes, and each rebuild on the order it hands freed blocks back. The three
 * passes use explicit stacks rather than recursion, so that memkit's calls
 * inline (the allocator arrives as a constant function pointer into an
 * always-inline function) and every allocator runs the same loops. */
#define TREE_SIZES 7 /* 32, 48, 64, 80, 96, 112, 128 */
#define TREE_SUM ((uint64_t)TREE_NODES * (TREE_NODES - 1) / 2)

typedef struct tree_node {
    struct tree_node *left, *right;
    uint64_t value; /* the pre-order index: the walk sums it */
} tree_node_t;

/* The walk alone of the last tree sample, ns per node: a part of the sample,
 * recorded beside it (see bench_case_t.part). */
static double g_part_ns;

static void tree_fail(const char *who)
{
    fprintf(stderr, "bench: %s returned NULL building the locality tree\n", who);
    exit(1);
}

static ALWAYS_INLINE tree_node_t *tree_build(void *(*alloc)(size_t), const char *who)
{
    tree_node_t *root = NULL;
    tree_node_t **todo[TREE_DEPTH + 1]; /* child slots still to fill, the next on top */
    int depth[TREE_DEPTH + 1];
    int n = 0;
    todo[n] = &root;
    depth[n++] = 1;
    for (uint64_t i = 0; n > 0; i++) {
        n--;
        tree_node_t *t = alloc(32 + 16 * (size_t)(i % TREE_SIZES));
        if (UNLIKELY(t == NULL))
            tree_fail(who);
        t->left = t->right = NULL;
        t->value = i;
        *todo[n] = t;
        int d = depth[n];
        if (d < TREE_DEPTH) {
            todo[n] = &t->right;
            depth[n++] = d + 1;
            todo[n] = &t->left;
            depth[n++] = d + 1;
        }
    }
    return root;
}

/* No allocator in it: one copy for all. */
NOINLINE static uint64_t tree_walk(const tree_node_t *root)
{
    const tree_node_t *todo[TREE_DEPTH + 1];
    int n = 0;
    uint64_t sum = 0;
    todo[n++] = root;
    while (n > 0) {
        const tree_node_t *t = todo[--n];
        sum += t->value;
        if (t->left != NULL) {
            todo[n++] = t->right;
            todo[n++] = t->left;
        }
    }
    return sum;
}

/* Post-order: a node is freed after both its subtrees. */
static ALWAYS_INLINE void tree_free(tree_node_t *root, void (*release)(void *))
{
    tree_node_t *todo[2 * TREE_DEPTH];
    unsigned char opened[2 * TREE_DEPTH]; /* its children are on the stack above it */
    int n = 0;
    todo[n] = root;
    opened[n++] = 0;
    while (n > 0) {
        tree_node_t *t = todo[n - 1];
        if (!opened[n - 1] && t->left != NULL) {
            opened[n - 1] = 1;
            todo[n] = t->right;
            opened[n++] = 0;
            todo[n] = t->left;
            opened[n++] = 0;
        } else {
            release(t);
            n--;
        }
    }
}

static ALWAYS_INLINE double tree_sample(void *(*alloc)(size_t), void (*release)(void *), const char *who)
{
    uint64_t total = 0, walk = 0;
    for (int r = 0; r < TREE_REPS; r++) {
        uint64_t t0 = now_ns();
        tree_node_t *root = tree_build(alloc, who);
        uint64_t t1 = now_ns();
        uint64_t sum = tree_walk(root);
        uint64_t t2 = now_ns();
        tree_free(root, release);
        uint64_t t3 = now_ns();
        ESCAPE(sum);
        if (sum != TREE_SUM) {
            fprintf(stderr, "bench: the locality tree of %s sums to %llu, not %llu\n", who,
                    (unsigned long long)sum, (unsigned long long)TREE_SUM);
            exit(1);
        }
        total += t3 - t0;
        walk += t2 - t1;
    }
    g_part_ns = (double)walk / ((double)TREE_REPS * TREE_NODES);
    return (double)total / ((double)TREE_REPS * TREE_NODES);
}

static inline void *mk_tree_alloc(size_t size)
{
    return mk_alloc(MK_INTENT_OBJECTS, size);
}

static inline void mk_tree_free(void *p)
{
    mk_free(p);
}

NOINLINE static double mk_tree(void)
{
    return tree_sample(mk_tree_alloc, mk_tree_free, "memkit");
}

NOINLINE static double peer_tree(const peer_t *pr)
{
    return tree_sample(pr->malloc, pr->free, pr->name);
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

enum { P_NONE, P_FLOOR, P_PAIR, P_PAIR_NEIGHBOUR, P_BATCH, P_TREE, P_THREADS, P_THREADS_CONTROL };

typedef struct bench_case {
    const char *name;
    double (*memkit)(void); /* the first column: memkit, or in a "floor:" row the floor */
    int peer_kind; /* what the peers run: P_NONE (memkit only), pairs, batch, tree; P_FLOOR:
                    * no peers, a floor (see g_floors); P_THREADS: memkit only, with a second
                    * thread, run in the child of run_threaded; P_THREADS_CONTROL: the same,
                    * no memkit, printed under the table */
    size_t peer_size;
    int peer_ops;
    const char *part; /* non-NULL: the name of a second row, a part of every sample that
                       * the case's functions time on their own and leave in g_part_ns */
} bench_case_t;

static const bench_case_t g_cases[] = {
    {"frame alloc 64 B", mk_frame64, P_PAIR, 64, FRAME64_OPS, NULL},
    {"floor: inlined TLS bump 64 B", floor_frame64, P_FLOOR, 0, 0, NULL},
    {"frame alloc 64 KiB", mk_frame64k, P_PAIR, 65536, FRAME64K_FRAMES * FRAME64K_PER_FRAME, NULL},
    {"floor: inlined TLS bump 64 KiB", floor_frame64k, P_FLOOR, 0, 0, NULL},
    {"frame reset after 10k allocs", mk_frame_reset, P_NONE, 0, 0, NULL},
    {"pool pair 64 B alone", mk_pool_alone, P_PAIR, 64, PAIR_OPS, NULL},
    {"pool pair 64 B live neighbour", mk_pool_neighbour, P_PAIR_NEIGHBOUR, 64, PAIR_OPS, NULL},
    {"floor: inlined free-list pop+push 64 B", floor_pair, P_FLOOR, 0, 0, NULL},
    {"pool pair 64 B batch 1024", mk_pool_batch, P_BATCH, 64, 0, NULL},
    {"floor: free-list batch 1024", floor_batch, P_FLOOR, 0, 0, NULL},
    {"heap pair 1 KiB", mk_heap1k, P_PAIR, 1024, HEAP_OPS, NULL},
    {"locality: tree depth 16, 32-128 B nodes", mk_tree, P_TREE, 0, 0, "  the walk alone, per node"},
    {"pool pair 64 B, mk_free_sized", mk_pool_sized, P_NONE, 0, 0, NULL},
    {"mk_usable_size (pool 64 B block)", mk_usable, P_NONE, 0, 0, NULL},
    {"pool pair 64 B, variable intent", mk_pool_variable, P_NONE, 0, 0, NULL},
    {"frame alloc 64 B, variable intent", mk_frame_variable, P_NONE, 0, 0, NULL},
    {"pool pair 64 B, budgeted (leases)", mk_pool_leased, P_NONE, 0, 0, NULL},
    {"frame alloc 64 B, budgeted", mk_frame_budgeted, P_NONE, 0, 0, NULL},
    {"phase enter+exit", mk_phase, P_NONE, 0, 0, NULL},
    {"phase enter+exit, MK_PHASE_SCOPE", mk_phase_scope, P_NONE, 0, 0, NULL},
    {"transfer init+accept (pool block)", mk_transfer_local, P_NONE, 0, 0, NULL},
    {"transfer handoff, 2 threads", mk_transfer_pingpong, P_THREADS, 0, 0, NULL},
    {"transfer handoff control (no memkit)", pingpong_control, P_THREADS_CONTROL, 0, 0, NULL},
    {"handle get", mk_handle_get_case, P_NONE, 0, 0, NULL},
    {"handle alloc+free (64 B)", mk_handle_pair, P_NONE, 0, 0, NULL},
    {"frame vec push (int), per push", mk_vec_push, P_NONE, 0, 0, NULL},
    {"frame mark+rewind", mk_mark_rewind, P_NONE, 0, 0, NULL},
    {"frame mark+alloc 64 B+rewind", mk_mark_alloc_rewind, P_NONE, 0, 0, NULL},
};
#define CASE_COUNT ((int)(sizeof g_cases / sizeof g_cases[0]))

/* Which memkit row each floor is the floor of: a floor runs with them (under
 * MK_BENCH_ONLY too) and the targets divide by it. */
static const struct {
    double (*row)(void);
    double (*floor)(void);
} g_floors[] = {
    {mk_frame64, floor_frame64},
    {mk_frame64k, floor_frame64k},
    {mk_pool_alone, floor_pair},
    {mk_pool_neighbour, floor_pair},
    {mk_pool_batch, floor_batch},
};
#define FLOOR_PAIRS ((int)(sizeof g_floors / sizeof g_floors[0]))

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
    case P_TREE:
        return peer_tree(pr);
    default:
        return peer_batch(pr);
    }
}

static const char *g_only; /* MK_BENCH_ONLY: run only cases whose name contains it (for perf) */

static int selected(const bench_case_t *c)
{
    return g_only == NULL || strstr(c->name, g_only) != NULL;
}

/* A floor runs when it or a row it is the floor of is selected. */
static int floor_selected(const bench_case_t *c)
{
    if (selected(c))
        return 1;
    for (int f = 0; f < FLOOR_PAIRS; f++)
        if (g_floors[f].floor == c->memkit)
            for (int r = 0; r < CASE_COUNT; r++)
                if (g_cases[r].memkit == g_floors[f].row && selected(&g_cases[r]))
                    return 1;
    return 0;
}

static int has_peers(int kind)
{
    return kind == P_PAIR || kind == P_PAIR_NEIGHBOUR || kind == P_BATCH || kind == P_TREE;
}

static int runs(const bench_case_t *c, int a)
{
    if (c->peer_kind == P_FLOOR)
        return a == A_MEMKIT && floor_selected(c);
    if (!selected(c))
        return 0;
    return a == A_MEMKIT || (has_peers(c->peer_kind) && g_peers[a].ok);
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
    pid_t pid = fork_piped(fd, "bench");
    if (pid == 0) {
        if (mk_init(&mkg_config) != MK_OK)
            _exit(1);
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

/* Medians (minima) per case and allocator, and of the parts (bench_case_t.part);
 * -1 where that case or allocator did not run. */
static double g_med[CASE_COUNT][A_COUNT], g_min[CASE_COUNT][A_COUNT];
static double g_part_med[CASE_COUNT][A_COUNT], g_part_min[CASE_COUNT][A_COUNT];

static void summarize(double (*samples)[A_COUNT][1001], double (*med)[A_COUNT], double (*mn)[A_COUNT], int rounds)
{
    for (int c = 0; c < CASE_COUNT; c++)
        for (int a = 0; a < A_COUNT; a++) {
            med[c][a] = mn[c][a] = -1;
            if (!runs(&g_cases[c], a))
                continue;
            double v[1001];
            memcpy(v, samples[c][a], sizeof(double) * (size_t)rounds);
            med[c][a] = median(v, rounds); /* sorts v */
            mn[c][a] = v[0];
        }
}

static void print_row(const char *name, const double *med, const double *mn)
{
    char cells[A_COUNT][32], ratio[A_COUNT][24];
    for (int a = 0; a < A_COUNT; a++) {
        if (med[a] < 0)
            snprintf(cells[a], sizeof cells[a], "-");
        else
            snprintf(cells[a], sizeof cells[a], "%.2f (%.2f)", med[a], mn[a]);
        if (a != A_MEMKIT && med[a] >= 0 && med[A_MEMKIT] > 0)
            snprintf(ratio[a], sizeof ratio[a], "%.1fx", med[a] / med[A_MEMKIT]);
        else
            snprintf(ratio[a], sizeof ratio[a], "-");
    }
    printf("| %-40s | %-15s | %-15s | %-15s | %-15s | %12s | %15s | %15s |\n", name, cells[A_MEMKIT],
           cells[A_GLIBC], cells[A_MIMALLOC], cells[A_JEMALLOC], ratio[A_GLIBC], ratio[A_MIMALLOC],
           ratio[A_JEMALLOC]);
}

/* ---- targets: the ratios issue 8 asks for, from this run's medians ---------------------- */

/* The case whose first column is `fn`; -1 when it did not run. */
static int case_of(double (*fn)(void))
{
    for (int c = 0; c < CASE_COUNT; c++)
        if (g_cases[c].memkit == fn)
            return g_med[c][A_MEMKIT] >= 0 ? c : -1;
    return -1;
}

/* The smallest peer median of case c, its allocator in *who; -1 when no peer ran. */
static double fastest_peer(int c, int *who)
{
    double best = -1;
    for (int a = A_GLIBC; a < A_COUNT; a++)
        if (g_med[c][a] >= 0 && (best < 0 || g_med[c][a] < best)) {
            best = g_med[c][a];
            *who = a;
        }
    return best;
}

enum { GOAL_AT_LEAST, GOAL_AT_MOST, GOAL_NS_AT_MOST };

/* One line: what, the value, the goal, met or not, and the figures it came from. */
static void target(const char *what, double value, int goal_kind, double goal, const char *detail)
{
    int met = goal_kind == GOAL_AT_LEAST ? value >= goal : value <= goal;
    char v[32], g[32];
    /* three decimals: with two, a value just past its goal could print as the goal */
    if (goal_kind == GOAL_NS_AT_MOST) {
        snprintf(v, sizeof v, "%+.3f ns", value);
        snprintf(g, sizeof g, "<= %+.2f ns", goal);
    } else {
        snprintf(v, sizeof v, "%.3fx", value);
        snprintf(g, sizeof g, "%s %.2fx", goal_kind == GOAL_AT_LEAST ? ">=" : "<=", goal);
    }
    printf("| %-48s | %11s | %12s | %-7s | %s |\n", what, v, g, met ? "met" : "NOT met", detail);
}

static void target_skip(const char *what, const char *why)
{
    printf("| %-48s | %11s | %12s | %-7s | %s |\n", what, "-", "-", "-", why);
}

#define NOT_RUN "not run (MK_BENCH_ONLY)"

/* The case of the floor of memkit row `fn`; -1 when it has none or it did not run. */
static int floor_of(double (*fn)(void))
{
    for (int f = 0; f < FLOOR_PAIRS; f++)
        if (g_floors[f].row == fn)
            return case_of(g_floors[f].floor);
    return -1;
}

/* memkit's row against its floor's: frame alloc 64 B / bump. */
static void target_floor(const char *what, double (*fn)(void), double goal)
{
    int c = case_of(fn), f = floor_of(fn);
    if (c < 0 || f < 0) {
        target_skip(what, NOT_RUN);
        return;
    }
    char d[160];
    snprintf(d, sizeof d, "memkit %.2f ns, floor %.2f ns", g_med[c][A_MEMKIT], g_med[f][A_MEMKIT]);
    target(what, g_med[c][A_MEMKIT] / g_med[f][A_MEMKIT], GOAL_AT_MOST, goal, d);
}

/* A pool row: the fastest peer / memkit, with memkit / its floor beside it. */
static void target_peers(const char *what, double (*fn)(void), double goal)
{
    int c = case_of(fn), f = floor_of(fn), who = 0;
    if (c < 0) {
        target_skip(what, NOT_RUN);
        return;
    }
    char fl[64] = "";
    if (f >= 0)
        snprintf(fl, sizeof fl, "; memkit / floor %.2fx (floor %.2f ns)", g_med[c][A_MEMKIT] / g_med[f][A_MEMKIT],
                 g_med[f][A_MEMKIT]);
    char d[200];
    double peer = fastest_peer(c, &who);
    if (peer < 0) {
        snprintf(d, sizeof d, "no peer ran, memkit %.2f ns%s", g_med[c][A_MEMKIT], fl);
        target_skip(what, d);
        return;
    }
    snprintf(d, sizeof d, "%s %.2f ns / memkit %.2f ns%s", alloc_names[who], peer, g_med[c][A_MEMKIT], fl);
    target(what, peer / g_med[c][A_MEMKIT], GOAL_AT_LEAST, goal, d);
}

/* What an intent's variant (budgeted, variable) adds to its plain row, in ns. */
static void target_extra(const char *what, double (*variant)(void), double (*plain)(void))
{
    int v = case_of(variant), p = case_of(plain);
    if (v < 0 || p < 0) {
        target_skip(what, NOT_RUN);
        return;
    }
    char d[96];
    snprintf(d, sizeof d, "%.2f ns - %.2f ns", g_med[v][A_MEMKIT], g_med[p][A_MEMKIT]);
    target(what, g_med[v][A_MEMKIT] - g_med[p][A_MEMKIT], GOAL_NS_AT_MOST, 0.5, d);
}

static void print_targets(void)
{
    printf("\ntargets (issue 8), from this run's medians:\n\n");
    printf("| %-48s | %11s | %12s | %-7s | %s |\n", "target", "value", "goal", "status", "from");
    printf("|--------------------------------------------------|-------------|--------------|---------|------|\n");
    target_floor("frame alloc 64 B / floor bump 64 B", mk_frame64, 1.5);
    target_peers("pool pair 64 B alone: fastest peer / memkit", mk_pool_alone, 2.0);
    target_peers("pool pair 64 B neighbour: fastest peer / memkit", mk_pool_neighbour, 2.0);
    target_peers("pool pair 64 B batch: fastest peer / memkit", mk_pool_batch, 1.5);

    int c = case_of(mk_heap1k), who = 0;
    double peer = c >= 0 ? fastest_peer(c, &who) : -1;
    char d[200];
    if (c < 0) {
        target_skip("heap pair 1 KiB: memkit / fastest peer", NOT_RUN);
    } else if (peer < 0) {
        target_skip("heap pair 1 KiB: memkit / fastest peer", "no peer ran");
    } else {
        snprintf(d, sizeof d, "memkit %.2f ns / %s %.2f ns", g_med[c][A_MEMKIT], alloc_names[who], peer);
        target("heap pair 1 KiB: memkit / fastest peer", g_med[c][A_MEMKIT] / peer, GOAL_AT_MOST, 1.0, d);
    }

    c = case_of(mk_tree);
    if (c < 0) {
        target_skip("locality tree: memkit / mimalloc", NOT_RUN);
    } else if (g_med[c][A_MIMALLOC] < 0) {
        target_skip("locality tree: memkit / mimalloc", "mimalloc did not run");
    } else {
        snprintf(d, sizeof d, "memkit %.2f / mimalloc %.2f ns a node; the walk alone %.2f / %.2f", g_med[c][A_MEMKIT],
                 g_med[c][A_MIMALLOC], g_part_med[c][A_MEMKIT], g_part_med[c][A_MIMALLOC]);
        target("locality tree: memkit / mimalloc", g_med[c][A_MEMKIT] / g_med[c][A_MIMALLOC], GOAL_AT_MOST, 1.0, d);
    }

    target_extra("pool pair: budgeted - unbudgeted", mk_pool_leased, mk_pool_alone);
    target_extra("frame alloc: budgeted - unbudgeted", mk_frame_budgeted, mk_frame64);
    target_extra("pool pair: variable - constant intent", mk_pool_variable, mk_pool_alone);
    target_extra("frame alloc: variable - constant intent", mk_frame_variable, mk_frame64);

    /* mk_free's lookup cannot be timed alone through the public API; what it
     * costs over mk_free_sized's (a range check and a table load either way)
     * is the pair with mk_free minus the pair with mk_free_sized, taken as 0
     * when noise makes it negative. */
    int u = case_of(mk_usable), f = case_of(mk_pool_alone), z = case_of(mk_pool_sized);
    if (u < 0 || f < 0 || z < 0) {
        target_skip("mk_usable_size - mk_free's lookup", NOT_RUN);
    } else {
        double lookup = g_med[f][A_MEMKIT] - g_med[z][A_MEMKIT];
        if (lookup < 0)
            lookup = 0;
        snprintf(d, sizeof d, "%.2f ns - lookup %.2f ns (pair %.2f - pair with mk_free_sized %.2f, >= 0)",
                 g_med[u][A_MEMKIT], lookup, g_med[f][A_MEMKIT], g_med[z][A_MEMKIT]);
        target("mk_usable_size - mk_free's lookup", g_med[u][A_MEMKIT] - lookup, GOAL_NS_AT_MOST, 0.5, d);
    }
}

int main(int argc, char **argv)
{
    int rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 21, 1001, "bench", "rounds");
    if (rounds < 0)
        return 2;

    g_only = getenv("MK_BENCH_ONLY");
    static double samples[CASE_COUNT][A_COUNT][1001], part_samples[CASE_COUNT][A_COUNT][1001];
    /* first, in a child that initialises memkit itself: this process forks
     * before its own mk_init, so no page of memkit's storage (prefaulted by
     * mk_init, see memkit_bench.toml) is shared copy-on-write with a child */
    run_threaded(samples, rounds);
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
    load_peers();
    floor_init();
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
                if (runs(&g_cases[c], a) && !threaded(&g_cases[c])) {
                    samples[c][a][r] = run_one(&g_cases[c], a);
                    part_samples[c][a][r] = g_part_ns;
                }
            }
    summarize(samples, g_med, g_min, rounds);
    summarize(part_samples, g_part_med, g_part_min, rounds);

    printf("memkit microbenchmarks: %d rounds, single thread, ns per operation, median (min)\n", rounds);
    printf("timer: clock_gettime(CLOCK_MONOTONIC), empty region %.1f ns (subtracted only from the reset case)\n",
           g_timer_ns);
    for (int a = A_MIMALLOC; a < A_COUNT; a++)
        if (!g_peers[a].ok)
            printf("peer %s skipped: %s\n", g_peers[a].name, g_peers[a].why);
    printf("\n");
    printf("| %-40s | %-15s | %-15s | %-15s | %-15s | %12s | %15s | %15s |\n", "case", "memkit ns", "glibc ns",
           "mimalloc ns", "jemalloc ns", "glibc/memkit", "mimalloc/memkit", "jemalloc/memkit");
    printf("|%s|%s|%s|%s|%s|%s|%s|%s|\n", "------------------------------------------", "-----------------",
           "-----------------", "-----------------", "-----------------", "--------------", "-----------------",
           "-----------------");
    int c_handoff = case_of(mk_transfer_pingpong), c_control = case_of(pingpong_control);
    for (int c = 0; c < CASE_COUNT; c++) {
        const bench_case_t *bc = &g_cases[c];
        if (!runs(bc, A_MEMKIT) || bc->peer_kind == P_THREADS_CONTROL)
            continue;
        print_row(bc->name, g_med[c], g_min[c]);
        if (bc->part != NULL)
            print_row(bc->part, g_part_med[c], g_part_min[c]);
    }
    if (c_handoff >= 0 && c_control >= 0) {
        double d[1001];
        for (int r = 0; r < rounds; r++)
            d[r] = samples[c_handoff][A_MEMKIT][r] - samples[c_control][A_MEMKIT][r];
        double handoff = g_med[c_handoff][A_MEMKIT], control = g_med[c_control][A_MEMKIT];
        printf("\ntransfer handoff, 2 threads: per transfer (half a round trip of a one-slot-mailbox ping-pong), cross-core\n"
               "handoff included; the same ping-pong passing a bare pointer (no memkit, same rounds) takes %.2f ns;\n"
               "memkit's share: %+.2f ns (difference of medians), %+.2f ns (median of per-round differences)\n",
               control, handoff - control, median(d, rounds));
    }
    printf("\npeers run the matching malloc+free pair of the same size (frame rows: a pair, since a frame\n"
           "block is never freed one by one); '-' = no peer equivalent. memkit: see bench/memkit_bench.toml.\n"
           "'floor:' rows hold no allocator: the loop of the row above them around inlined code on\n"
           "thread-local state (bench.c, \"floors\"); their time is in the first column.\n");
    print_targets();
    if (churn_runs(A_MEMKIT))
        run_churn(churn_runs);
    mk_shutdown();
    return 0;
}

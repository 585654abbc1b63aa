/* bench/icount.c — instructions per operation of memkit's fast paths.
 *
 * Each ic_* function runs one operation IC_OPS times in the state where its
 * fast path applies (a fresh frame, a magazine holding blocks, a heap bin
 * holding blocks), so that callgrind's count of the function's instructions,
 * divided by IC_OPS, is what one operation costs. Instruction counts do not
 * depend on the machine's load, unlike times: bench/icount.sh prints them and
 * tests/perf/check_icount.sh holds them under bench/icount_limits.txt.
 *
 * The "batch" rows allocate 1024 blocks and free them, so they include the
 * magazine refills and flushes amortised over the blocks; the other rows do
 * not reach a slow path. Built against bench/memkit_bench.toml.
 */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include <stdio.h>
#include <stdlib.h>

#define IC_OPS 1000
#define NOINLINE __attribute__((noinline))
#define ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

static void *g_blocks[1024];

static void need(void *p, const char *what)
{
    if (p == NULL) {
        fprintf(stderr, "icount: memkit returned NULL in %s: %s\n", what, mk_status_str(mk_last_error()));
        exit(1);
    }
}

NOINLINE static void ic_frame_alloc_64(void)
{
    for (int i = 0; i < IC_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_SCRATCH, 64);
        ESCAPE(p);
    }
}

NOINLINE static void ic_pool_alloc_64(void)
{
    for (int i = 0; i < 16; i++) {
        g_blocks[i] = mk_alloc(MK_INTENT_OBJECTS, 64);
        ESCAPE(g_blocks[i]);
    }
}

NOINLINE static void ic_pool_free_64(void)
{
    for (int i = 0; i < 16; i++)
        mk_free(g_blocks[i]);
}

NOINLINE static void ic_pool_pair_64(void)
{
    for (int i = 0; i < IC_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_OBJECTS, 64);
        ESCAPE(p);
        mk_free(p);
    }
}

NOINLINE static void ic_pool_pair_budgeted_64(void)
{
    for (int i = 0; i < IC_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_BUDGETED, 64);
        ESCAPE(p);
        mk_free(p);
    }
}

NOINLINE static void pool_batch(void)
{
    for (int i = 0; i < 1024; i++)
        g_blocks[i] = mk_alloc(MK_INTENT_OBJECTS, 64);
    ESCAPE(g_blocks);
    for (int i = 0; i < 1024; i++)
        mk_free(g_blocks[i]);
}

NOINLINE static void ic_pool_batch_1024(void)
{
    pool_batch();
}

NOINLINE static void ic_usable_size(void *p)
{
    size_t sum = 0;
    for (int i = 0; i < IC_OPS; i++) {
        ESCAPE(p);
        sum += mk_usable_size(p);
    }
    ESCAPE(sum);
}

NOINLINE static void ic_heap_pair_1k(void)
{
    for (int i = 0; i < IC_OPS; i++) {
        void *p = mk_alloc(MK_INTENT_BLOBS, 1024);
        ESCAPE(p);
        mk_free(p);
    }
}

int main(void)
{
    if (mk_init(&mkg_config) != MK_OK) {
        fprintf(stderr, "icount: mk_init failed\n");
        return 1;
    }
    /* warm: the thread attached, a frame entered, magazines and a heap bin stocked */
    mk_begin_frame();
    need(mk_alloc(MK_INTENT_SCRATCH, 16), "frame");
    for (int i = 0; i < 32; i++)
        need(g_blocks[i] = mk_alloc(MK_INTENT_OBJECTS, 64), "pool");
    for (int i = 0; i < 32; i++)
        mk_free(g_blocks[i]);
    void *b = mk_alloc(MK_INTENT_BUDGETED, 64);
    need(b, "budgeted pool");
    mk_free(b);
    void *h = mk_alloc(MK_INTENT_BLOBS, 1024);
    need(h, "heap");
    mk_free(h);
    void *kept = mk_alloc(MK_INTENT_OBJECTS, 64);
    need(kept, "pool");

    ic_frame_alloc_64();
    ic_pool_alloc_64();
    ic_pool_free_64();
    ic_pool_pair_64();
    ic_pool_pair_budgeted_64();
    pool_batch(); /* not counted: the class's first blocks are carved */
    ic_pool_batch_1024();
    ic_usable_size(kept);
    ic_heap_pair_1k();
    mk_free(kept);
    mk_end_frame();
    mk_shutdown();
    return 0;
}

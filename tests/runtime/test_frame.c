/* test_frame.c — the frame tier (config tests/configs/basic.toml: scratch is a
 * frame intent with a 128 KiB budget, 64 KiB arenas, overflow = "heap"). */
#include "check.h"

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

static int is_aligned(const void *p, size_t a) { return ((uintptr_t)p & (a - 1)) == 0; }

static void test_alignment_and_disjoint(void)
{
    unsigned char *prev = NULL;
    for (size_t size = 1; size < 200; size += 7) {
        unsigned char *p = mk_alloc(MK_INTENT_SCRATCH, size);
        CHECK(p != NULL);
        CHECK(is_aligned(p, MKG_ALIGNMENT));
        if (prev != NULL)
            CHECK(p >= prev); /* a bump: later blocks lie above earlier ones */
        memset(p, 0x5a, size);
        prev = p + size;
    }
    for (size_t align = 32; align <= 4096; align *= 2) {
        void *p = mk_alloc_aligned(MK_INTENT_SCRATCH, 24, align);
        CHECK(p != NULL);
        CHECK(is_aligned(p, align));
    }
    CHECK(mk_alloc_aligned(MK_INTENT_SCRATCH, 8, 48) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
}

static void test_zero_size_is_unique(void)
{
    void *a = mk_alloc(MK_INTENT_SCRATCH, 0);
    void *b = mk_alloc(MK_INTENT_SCRATCH, 0);
    CHECK(a != NULL && b != NULL && a != b);
}

/* Data of frame N stays intact through frame N + frames_in_flight - 1; the
 * slot is reused when frame N + frames_in_flight begins. */
static void test_lifetime_and_reset(void)
{
    mk_begin_frame();
    unsigned char *first = mk_alloc(MK_INTENT_SCRATCH, 256);
    CHECK(first != NULL);
    memset(first, 0x11, 256);
    mk_end_frame();
    for (unsigned f = 1; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        unsigned char *other = mk_alloc(MK_INTENT_SCRATCH, 256);
        CHECK(other != NULL && other != first);
        memset(other, 0x22, 256);
        mk_end_frame();
    }
    for (size_t i = 0; i < 256; i++)
        CHECK(first[i] == 0x11);
    mk_begin_frame();
    unsigned char *again = mk_alloc(MK_INTENT_SCRATCH, 256);
    CHECK(again == first); /* the slot was reset: the arena starts over */
    mk_end_frame();
}

/* Issue 8: mk_begin_frame closes every thread's fast path (zeroes its bound)
 * instead of each allocation testing the frame epoch. A worker's next frame
 * allocation after the driver begins a frame must land in the new frame's
 * slot, never in the old one, and the old frame's data stays intact. */
static atomic_int step; /* 1: worker allocated; 2: driver began a frame; 3: worker allocated again */
static unsigned char *worker_blocks[2];

static void wait_for(int value)
{
    while (atomic_load(&step) != value)
        sched_yield();
}

static void *frame_worker(void *arg)
{
    (void)arg;
    worker_blocks[0] = mk_alloc(MK_INTENT_SCRATCH, 128);
    CHECK(worker_blocks[0] != NULL);
    memset(worker_blocks[0], 0x5a, 128);
    atomic_store(&step, 1);
    wait_for(2);
    worker_blocks[1] = mk_alloc(MK_INTENT_SCRATCH, 128);
    CHECK(worker_blocks[1] != NULL);
    atomic_store(&step, 3);
    return NULL;
}

static void test_another_thread_follows_the_frame(void)
{
    atomic_store(&step, 0);
    mk_begin_frame();
    pthread_t t;
    CHECK(pthread_create(&t, NULL, frame_worker, NULL) == 0);
    wait_for(1);
    mk_end_frame();
    mk_begin_frame(); /* the worker's cursor belongs to the frame before */
    atomic_store(&step, 2);
    wait_for(3);
    CHECK(pthread_join(t, NULL) == 0);
    /* a new frame, a new arena slot: not the bytes right after the first block */
    uintptr_t a = (uintptr_t)worker_blocks[0], b = (uintptr_t)worker_blocks[1];
    uintptr_t apart = a > b ? a - b : b - a;
    CHECK(apart >= (uintptr_t)MKG_FRAME_ARENA_BYTES - 128u);
    for (int i = 0; i < 128; i++) /* frame N - 1 is still in flight: intact */
        CHECK(worker_blocks[0][i] == 0x5a);
    mk_end_frame();
}

/* A frame spill is a heap request too: blocks parked in heap fronts come back
 * to the heap before it fails. This thread's front keeps two 16000-byte
 * blocks in the middle of the heap; a 700 KiB spill needs them gone. */
static void test_spill_recalls_heap_fronts(void)
{
#if MK__HEAP_FRONT
    static void *blobs[128];
    int n = 0;
    while (n < 128 && (blobs[n] = mk_alloc(MK_INTENT_BLOB, 16000)) != NULL)
        n++;
    CHECK(n >= 50);
    for (int i = 0; i < n; i++)
        if (i != n / 2 && i != n / 2 + 1)
            mk_free(blobs[i]);
    mk_free(blobs[n / 2]);
    mk_free(blobs[n / 2 + 1]);
    CHECK(check_stats().tiers[MK_TIER_HEAP].cached > 0u);
    mk_begin_frame();
    void *big = mk_alloc(MK_INTENT_BULK, 700u << 10); /* far past the 64 KiB arena */
    CHECK(big != NULL);
    mk_end_frame();
#endif
}

/* Reset is O(intents): 4000 allocations are all returned at once, to stats and
 * to the budget. */
static void test_reset_returns_everything(void)
{
    mk_begin_frame();
    for (int i = 0; i < 4000; i++)
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 1) != NULL);
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH).current, 4000u * MKG_ALIGNMENT);
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_SCRATCH);
    CHECK_EQ(s.current, 16u);
    CHECK_EQ(s.allocations, 4001u);
    CHECK(s.peak >= 4000u * MKG_ALIGNMENT);
    mk_end_frame();
}

/* A full arena spills to the heap (overflow = "heap"); spilled blocks are
 * released with their frame. */
static void test_overflow_spills_to_heap(void)
{
    mk_begin_frame();
    unsigned char *blocks[100];
    for (int i = 0; i < 100; i++) {
        blocks[i] = mk_alloc(MK_INTENT_SCRATCH, 1024);
        CHECK(blocks[i] != NULL);
        memset(blocks[i], i, 1024);
    }
    mk_stats_t s = check_stats();
    CHECK(s.tiers[MK_TIER_HEAP].used >= 30u * 1024u); /* 64 KiB arena: ~36 blocks spilled */
    for (int i = 0; i < 100; i++)
        CHECK(blocks[i][0] == (unsigned char)i && blocks[i][1023] == (unsigned char)i);
    mk_free(blocks[99]); /* frame memory, spilled or not: freeing is a no-op */
    mk_free(blocks[0]);
    CHECK(blocks[99][5] == 99);
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        CHECK(mk_alloc(MK_INTENT_SCRATCH, 16) != NULL); /* the thread resets lazily */
        mk_end_frame();
    }
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
}

static void test_budget_is_never_exceeded(void)
{
    mk_begin_frame();
    size_t got = 0;
    while (mk_alloc(MK_INTENT_SCRATCH, 1024) != NULL)
        got += 1024;
    CHECK_EQ(got, 128u * 1024u); /* exactly the budget, arena plus spill */
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_SCRATCH);
    CHECK_EQ(s.failures, 1u);
    CHECK(s.current <= s.budget);
    mk_end_frame();
    for (unsigned f = 0; f < MKG_FRAMES_IN_FLIGHT; f++) {
        mk_begin_frame();
        mk_end_frame();
    }
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_SCRATCH, 1024) != NULL); /* the budget came back */
    mk_end_frame();
}

static void test_realloc_copies(void)
{
    unsigned char *p = mk_alloc(MK_INTENT_SCRATCH, 32);
    CHECK(p != NULL);
    for (int i = 0; i < 32; i++)
        p[i] = (unsigned char)i;
    unsigned char *q = mk_realloc(MK_INTENT_SCRATCH, p, 4096);
    CHECK(q != NULL && q != p);
    for (int i = 0; i < 32; i++)
        CHECK(q[i] == (unsigned char)i);
    CHECK_EQ(mk_usable_size(q), 0u); /* frame blocks have no recorded size */
}

static void test_absurd_sizes_fail_cleanly(void)
{
    CHECK(mk_alloc(MK_INTENT_SCRATCH, SIZE_MAX) == NULL);
    CHECK(mk_alloc(MK_INTENT_SCRATCH, SIZE_MAX - 8) == NULL);
    CHECK(mk_alloc_aligned(MK_INTENT_SCRATCH, SIZE_MAX / 2, 64) == NULL);
    CHECK_EQ(mk_last_error(), MK_ENOMEM);
    CHECK(mk_alloc((mk_intent_t)MKG_INTENT_COUNT, 8) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
}

int main(void)
{
    RUN(test_alignment_and_disjoint);
    RUN(test_zero_size_is_unique);
    RUN(test_lifetime_and_reset);
    RUN(test_another_thread_follows_the_frame);
    RUN(test_spill_recalls_heap_fronts);
    RUN(test_reset_returns_everything);
    RUN(test_overflow_spills_to_heap);
    RUN(test_budget_is_never_exceeded);
    RUN(test_realloc_copies);
    RUN(test_absurd_sizes_fail_cleanly);
    return check_finish("frame");
}

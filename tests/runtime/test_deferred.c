/* test_deferred.c — deferred frees: released after exactly N frame ends and
 * counted to their intent until then, immediate with 0 frames, refused beyond
 * max_frames or when the table is full (the block untouched), several threads
 * deferring while frames end (run under TSan too), and pending blocks freed by
 * mk_shutdown.
 * Config: tests/configs/longlived.toml ([deferred] capacity 64, max_frames 4). */
#include "check.h"

#include <pthread.h>

#include "internal.h" /* white box: the heap tier's used bytes */

#define UPLOAD_BYTES 4096u

static uint64_t current(mk_intent_t intent)
{
    return check_intent_stats(intent).current;
}

static void frame(void)
{
    mk_begin_frame();
    mk_end_frame();
}

/* Each N in 1..max_frames: the block stays counted for N - 1 frame ends and is
 * released by the N-th. */
static void test_released_after_n_frames(void)
{
    CHECK_EQ(MKG_DEFERRED_MAX_FRAMES, 4);
    CHECK_EQ(MKG_DEFERRED_CAPACITY, 64);
    for (unsigned n = 1; n <= MKG_DEFERRED_MAX_FRAMES; n++) {
        void *p = mk_alloc(MK_INTENT_GPU_UPLOADS, UPLOAD_BYTES);
        CHECK(p != NULL);
        memset(p, 0x5A, UPLOAD_BYTES);
        uint64_t held = current(MK_INTENT_GPU_UPLOADS);
        CHECK(held >= UPLOAD_BYTES);
        CHECK_EQ(mk_free_deferred(p, n), MK_OK);
        CHECK_EQ(mk_deferred_pending(), 1u);
        for (unsigned f = 1; f < n; f++) {
            frame();
            CHECK_EQ(current(MK_INTENT_GPU_UPLOADS), held);
            CHECK_EQ(mk_deferred_pending(), 1u);
            CHECK_EQ(((unsigned char *)p)[UPLOAD_BYTES - 1], 0x5A); /* still ours to read */
        }
        frame();
        CHECK_EQ(current(MK_INTENT_GPU_UPLOADS), 0u);
        CHECK_EQ(mk_deferred_pending(), 0u);
        CHECK_EQ(check_intent_stats(MK_INTENT_GPU_UPLOADS).frees, n);
    }
}

/* Frees deferred at different frames with different counts come due at the
 * right ends: A (4 frames at end 0) and B (3 at end 1) at end 4, C (1 at
 * end 2) at end 3, D (4 at end 2) at end 6. */
static void test_interleaved_deadlines(void)
{
    void *a = mk_alloc(MK_INTENT_OBJECTS, 64), *b = mk_alloc(MK_INTENT_OBJECTS, 64);
    void *c = mk_alloc(MK_INTENT_OBJECTS, 64), *d = mk_alloc(MK_INTENT_OBJECTS, 64);
    CHECK_EQ(mk_free_deferred(a, 4), MK_OK);
    frame(); /* end 1 */
    CHECK_EQ(mk_free_deferred(b, 3), MK_OK);
    frame(); /* end 2 */
    CHECK_EQ(mk_free_deferred(c, 1), MK_OK);
    CHECK_EQ(mk_free_deferred(d, 4), MK_OK);
    CHECK_EQ(mk_deferred_pending(), 4u);
    CHECK_EQ(current(MK_INTENT_OBJECTS), 4u * 64u);
    frame(); /* end 3: c */
    CHECK_EQ(mk_deferred_pending(), 3u);
    CHECK_EQ(current(MK_INTENT_OBJECTS), 3u * 64u);
    frame(); /* end 4: a, b */
    CHECK_EQ(mk_deferred_pending(), 1u);
    CHECK_EQ(current(MK_INTENT_OBJECTS), 64u);
    frame(); /* end 5 */
    CHECK_EQ(mk_deferred_pending(), 1u);
    frame(); /* end 6: d */
    CHECK_EQ(mk_deferred_pending(), 0u);
    CHECK_EQ(current(MK_INTENT_OBJECTS), 0u);
}

static void test_zero_frames_frees_now(void)
{
    void *p = mk_alloc(MK_INTENT_GPU_UPLOADS, UPLOAD_BYTES);
    CHECK(current(MK_INTENT_GPU_UPLOADS) >= UPLOAD_BYTES);
    CHECK_EQ(mk_free_deferred(p, 0), MK_OK);
    CHECK_EQ(current(MK_INTENT_GPU_UPLOADS), 0u);
    CHECK_EQ(mk_deferred_pending(), 0u);
    CHECK_EQ(mk_free_deferred(NULL, 2), MK_OK);
    CHECK_EQ(mk_deferred_pending(), 0u);
}

static void test_too_many_frames(void)
{
    void *p = mk_alloc(MK_INTENT_GPU_UPLOADS, UPLOAD_BYTES);
    uint64_t held = current(MK_INTENT_GPU_UPLOADS);
    CHECK_EQ(mk_free_deferred(p, MKG_DEFERRED_MAX_FRAMES + 1u), MK_EINVAL);
    CHECK_EQ(mk_deferred_pending(), 0u);
    for (unsigned f = 0; f < 2 * MKG_DEFERRED_MAX_FRAMES; f++)
        frame();
    CHECK_EQ(current(MK_INTENT_GPU_UPLOADS), held); /* nothing was scheduled */
    mk_free(p);
    CHECK_EQ(current(MK_INTENT_GPU_UPLOADS), 0u);
}

/* A full table refuses with MK_EFULL; the refused block is still allocated
 * and intact, and is the caller's to free. */
static void test_full(void)
{
    void *p[MKG_DEFERRED_CAPACITY];
    for (unsigned i = 0; i < MKG_DEFERRED_CAPACITY; i++) {
        p[i] = mk_alloc(MK_INTENT_OBJECTS, 32);
        CHECK(p[i] != NULL);
        CHECK_EQ(mk_free_deferred(p[i], 1u + i % MKG_DEFERRED_MAX_FRAMES), MK_OK);
    }
    CHECK_EQ(mk_deferred_pending(), MKG_DEFERRED_CAPACITY);
    unsigned char *extra = mk_alloc(MK_INTENT_OBJECTS, 32);
    memset(extra, 0xC3, 32);
    uint64_t held = current(MK_INTENT_OBJECTS);
    CHECK_EQ(mk_free_deferred(extra, 1), MK_EFULL);
    for (unsigned f = 0; f < MKG_DEFERRED_MAX_FRAMES; f++)
        frame();
    CHECK_EQ(mk_deferred_pending(), 0u);
    CHECK_EQ(current(MK_INTENT_OBJECTS), 32u); /* only `extra` is left */
    CHECK(held > 32u);
    for (unsigned i = 0; i < 32; i++)
        CHECK_EQ(extra[i], 0xC3);
    /* the slots are free again */
    CHECK_EQ(mk_free_deferred(extra, 1), MK_OK);
    frame();
    CHECK_EQ(current(MK_INTENT_OBJECTS), 0u);
}

/* mk_shutdown frees what is still pending: after it and a fresh mk_init the
 * heap tier is empty and nothing is pending. */
static void test_shutdown_part1(void)
{
    CHECK_EQ(mk_free_deferred(mk_alloc(MK_INTENT_GPU_UPLOADS, UPLOAD_BYTES), MKG_DEFERRED_MAX_FRAMES), MK_OK);
    CHECK_EQ(mk_deferred_pending(), 1u);
}
static void test_shutdown_part2(void)
{
    CHECK_EQ(mk_deferred_pending(), 0u);
    CHECK_EQ(check_stats().tiers[MK_TIER_HEAP].used, 0u);
}

/* Threads defer pool and heap blocks while the main thread drives frames;
 * every block is released once, and each stays intact until then (a block
 * released early would be reused and overwritten by the others). */
enum { DEFERRERS = 3, PER_THREAD = 200 };
static atomic_int deferrers_done;
static atomic_int deferrer_bad;

static void *deferrer(void *arg)
{
    unsigned seed = (unsigned)(uintptr_t)arg;
    for (unsigned i = 0; i < PER_THREAD; i++) {
        mk_intent_t intent = i % 2 == 0 ? MK_INTENT_OBJECTS : MK_INTENT_GPU_UPLOADS;
        unsigned char *p = mk_alloc(intent, 48);
        if (p == NULL) {
            atomic_fetch_add(&deferrer_bad, 1);
            continue;
        }
        memset(p, (int)seed, 48);
        mk_status_t s;
        while ((s = mk_free_deferred(p, 1u + i % MKG_DEFERRED_MAX_FRAMES)) == MK_EFULL)
            mk__prim_relax(); /* the frame driver will make room */
        if (s != MK_OK)
            atomic_fetch_add(&deferrer_bad, 1);
    }
    mk_thread_detach();
    atomic_fetch_add(&deferrers_done, 1);
    return NULL;
}

static void test_threads(void)
{
    pthread_t t[DEFERRERS];
    atomic_store(&deferrers_done, 0);
    atomic_store(&deferrer_bad, 0);
    for (unsigned i = 0; i < DEFERRERS; i++)
        CHECK(pthread_create(&t[i], NULL, deferrer, (void *)(uintptr_t)(i + 1u)) == 0);
    while (atomic_load(&deferrers_done) < DEFERRERS)
        frame();
    for (unsigned i = 0; i < DEFERRERS; i++)
        CHECK(pthread_join(t[i], NULL) == 0);
    for (unsigned f = 0; f < MKG_DEFERRED_MAX_FRAMES; f++)
        frame();
    CHECK_EQ(atomic_load(&deferrer_bad), 0);
    CHECK_EQ(mk_deferred_pending(), 0u);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_OBJECTS].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_GPU_UPLOADS].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_OBJECTS].frees, DEFERRERS * PER_THREAD / 2);
    CHECK_EQ(s.intents[MK_INTENT_GPU_UPLOADS].frees, DEFERRERS * PER_THREAD / 2);
}

int main(void)
{
    RUN(test_released_after_n_frames);
    RUN(test_interleaved_deadlines);
    RUN(test_zero_frames_frees_now);
    RUN(test_too_many_frames);
    RUN(test_full);
    RUN(test_shutdown_part1);
    RUN(test_shutdown_part2);
    RUN(test_threads);
    CHECK_EQ(mk_free_deferred((void *)&deferrers_done, 1), MK_ESTATE); /* before mk_init */
    return check_finish("test_deferred");
}

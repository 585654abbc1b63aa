/* test_scratch_groups.c — scratch buffers (reuse, smallest fit, the cap,
 * across frames, reclaim on failure, threads), allocation groups (bulk free,
 * reuse, frame intents, the table limit) and promotion out of a frame.
 * Config: tests/configs/longlived.toml ([scratch] intent = scratch_buffers,
 * a heap intent with a 1 MiB budget, cap 256 KiB; objects: pool, classes up
 * to 256 B; documents: heap, zero_on_free; frame_data: frame, 64 KiB arenas;
 * frames_in_flight 2). Run under TSan too. */
#include "check.h"

#include <pthread.h>

#define KIB ((size_t)1024)

static uint64_t scratch_current(void)
{
    return check_intent_stats(MK_INTENT_SCRATCH_BUFFERS).current;
}

/* ---- scratch buffers ---- */

static void test_scratch_release_then_reuse(void)
{
    void *a = mk_scratch_acquire(1000);
    CHECK(a != NULL);
    if (a == NULL)
        return;
    CHECK_EQ((uintptr_t)a % MKG_ALIGNMENT, 0);
    size_t cap = mk_scratch_capacity(a);
    CHECK(cap >= 1000);
    memset(a, 1, cap);
    CHECK_EQ(mk_scratch_kept_bytes(), 0);
    uint64_t held = scratch_current();
    CHECK(held >= cap);
    mk_scratch_release(a);
    CHECK_EQ(mk_scratch_kept_bytes(), cap);
    CHECK_EQ(scratch_current(), held); /* kept, still charged */
    void *b = mk_scratch_acquire(500); /* smaller: the kept buffer comes back */
    CHECK(b == a);
    CHECK_EQ(mk_scratch_kept_bytes(), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_SCRATCH_BUFFERS).allocations, 1);
    void *c = mk_scratch_acquire(500); /* nothing kept: a new block */
    CHECK(c != NULL && c != b);
    mk_scratch_release(b);
    mk_scratch_release(c);
    mk_scratch_release(NULL);
    CHECK_EQ(mk_scratch_capacity(NULL), 0);
    mk_scratch_trim();
    CHECK_EQ(mk_scratch_kept_bytes(), 0);
    CHECK_EQ(scratch_current(), 0);
}

static void test_scratch_takes_the_smallest_that_fits(void)
{
    void *big = mk_scratch_acquire(8000);
    void *small = mk_scratch_acquire(1000);
    void *mid = mk_scratch_acquire(3000);
    CHECK(big != NULL && small != NULL && mid != NULL);
    /* released in neither order of size: the list sorts them */
    mk_scratch_release(mid);
    mk_scratch_release(big);
    mk_scratch_release(small);
    CHECK_EQ(mk_scratch_kept_bytes(), mk_scratch_capacity(big) + mk_scratch_capacity(small) + mk_scratch_capacity(mid));
    CHECK(mk_scratch_acquire(2000) == mid);
    CHECK(mk_scratch_acquire(10) == small);
    CHECK(mk_scratch_acquire(7000) == big);
    CHECK_EQ(mk_scratch_kept_bytes(), 0);
    mk_scratch_release(big);
    mk_scratch_release(small);
    mk_scratch_release(mid);
}

/* Releasing beyond the cap frees the buffer at once: kept bytes never exceed
 * the cap, and the intent's bytes in use drop by the freed block. */
static void test_scratch_cap_is_enforced(void)
{
    void *bufs[5];
    for (int i = 0; i < 5; i++) {
        bufs[i] = mk_scratch_acquire(100 * KIB);
        CHECK(bufs[i] != NULL);
        if (bufs[i] == NULL)
            return;
    }
    size_t cap = mk_scratch_capacity(bufs[0]);
    int kept = 0, freed = 0;
    for (int i = 0; i < 5; i++) {
        uint64_t before = scratch_current();
        size_t kept_before = mk_scratch_kept_bytes();
        mk_scratch_release(bufs[i]);
        CHECK(mk_scratch_kept_bytes() <= (size_t)MKG_SCRATCH_CAP);
        if (mk_scratch_kept_bytes() == kept_before) {
            freed++;
            CHECK(scratch_current() <= before - cap);
        } else {
            kept++;
            CHECK_EQ(scratch_current(), before);
        }
    }
    CHECK_EQ(kept, (int)((size_t)MKG_SCRATCH_CAP / cap)); /* 2 of 100 KiB under 256 KiB */
    CHECK_EQ(freed, 5 - kept);
    CHECK_EQ(mk_scratch_kept_bytes(), (size_t)kept * cap);
    /* a buffer as large as the cap is kept only when nothing else is */
    void *whole = mk_scratch_acquire((size_t)MKG_SCRATCH_CAP - 64);
    CHECK(whole != NULL);
    mk_scratch_release(whole);
    CHECK(mk_scratch_kept_bytes() <= (size_t)MKG_SCRATCH_CAP);
    mk_scratch_trim();
    CHECK_EQ(scratch_current(), 0);
}

static void test_scratch_kept_across_frames(void)
{
    mk_begin_frame();
    void *a = mk_scratch_acquire(4000);
    CHECK(a != NULL);
    if (a == NULL)
        return;
    check_fill(a, 4000, 7);
    mk_scratch_release(a);
    mk_end_frame();
    for (int f = 0; f < MKG_FRAMES_IN_FLIGHT + 3; f++) {
        mk_begin_frame();
        void *frame = mk_alloc(MK_INTENT_FRAME_DATA, 30000); /* recycle the arenas */
        CHECK(frame != NULL);
        if (frame != NULL)
            memset(frame, 0xEE, 30000);
        mk_end_frame();
    }
    CHECK(mk_scratch_kept_bytes() >= 4000);
    mk_begin_frame();
    void *b = mk_scratch_acquire(3000);
    CHECK(b == a);
    CHECK(check_intact(b, 4000, 7)); /* nothing touched it meanwhile */
    mk_scratch_release(b);
    mk_end_frame();
}

/* An acquire that the budget refuses frees the kept buffers and tries again. */
static void test_scratch_reclaims_kept_buffers_when_short(void)
{
    void *a = mk_scratch_acquire(200 * KIB);
    CHECK(a != NULL);
    mk_scratch_release(a);
    CHECK(mk_scratch_kept_bytes() >= 200 * KIB);
    void *b = mk_scratch_acquire(900 * KIB); /* 200 kept + 900 > the 1 MiB budget */
    CHECK(b != NULL);
    CHECK_EQ(mk_scratch_kept_bytes(), 0);
    void *c = mk_scratch_acquire(900 * KIB); /* nothing left to reclaim */
    CHECK(c == NULL);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
    mk_scratch_release(b);
    mk_scratch_trim();
    CHECK(mk_scratch_acquire(SIZE_MAX - 4) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
}

static void test_scratch_release_twice_aborts(void)
{
    EXPECT_DEATH(
        {
            void *a = mk_scratch_acquire(64);
            mk_scratch_release(a);
            mk_scratch_release(a);
        },
        "mk_scratch_release: not an acquired scratch buffer");
}

enum { SCRATCH_WORKERS = 3, SCRATCH_ROUNDS = 500 };

static void *scratch_work(void *arg)
{
    int *bad = arg;
    for (unsigned r = 0; r < SCRATCH_ROUNDS; r++) {
        size_t size = 512 + (r * 977u) % (24 * KIB);
        void *p = mk_scratch_acquire(size);
        if (p == NULL || mk_scratch_capacity(p) < size) {
            (*bad)++;
            continue;
        }
        check_fill(p, size, r);
        if (!check_intact(p, size, r))
            (*bad)++;
        mk_scratch_release(p);
    }
    return NULL;
}

static void test_scratch_threads(void)
{
    pthread_t threads[SCRATCH_WORKERS];
    int bad[SCRATCH_WORKERS] = {0};
    for (int i = 0; i < SCRATCH_WORKERS; i++)
        CHECK(pthread_create(&threads[i], NULL, scratch_work, &bad[i]) == 0);
    for (int i = 0; i < SCRATCH_WORKERS; i++) {
        pthread_join(threads[i], NULL);
        CHECK_EQ(bad[i], 0);
    }
    CHECK(mk_scratch_kept_bytes() <= (size_t)MKG_SCRATCH_CAP);
    CHECK_EQ(mk_validate(), MK_OK);
    mk_scratch_trim();
    CHECK_EQ(scratch_current(), 0);
}

/* ---- groups ---- */

static void test_group_free_all_returns_everything(void)
{
    const mk_intent_t intents[2] = {MK_INTENT_OBJECTS, MK_INTENT_DOCUMENTS};
    for (int k = 0; k < 2; k++) {
        mk_group_t *g = mk_group_create(intents[k]);
        CHECK(g != NULL);
        if (g == NULL)
            return;
        unsigned char *blocks[1000];
        for (unsigned i = 0; i < 1000; i++) {
            size_t size = 8 + i % 200;
            blocks[i] = mk_group_alloc(g, size);
            CHECK(blocks[i] != NULL);
            if (blocks[i] == NULL)
                return;
            CHECK_EQ((uintptr_t)blocks[i] % MKG_ALIGNMENT, 0);
            check_fill(blocks[i], size, i);
        }
        CHECK_EQ(mk_group_count(g), 1000);
        int bad = 0;
        for (unsigned i = 0; i < 1000; i++)
            bad += !check_intact(blocks[i], 8 + i % 200, i);
        CHECK_EQ(bad, 0);
        CHECK(check_intent_stats(intents[k]).current >= 1000u * 8u);
        mk_group_free_all(g);
        CHECK_EQ(mk_group_count(g), 0);
        CHECK_EQ(check_intent_stats(intents[k]).current, 0);
        CHECK_EQ(check_intent_stats(intents[k]).frees, 1000);
        /* still usable */
        void *again = mk_group_alloc(g, 100);
        CHECK(again != NULL);
        CHECK_EQ(mk_group_count(g), 1);
        CHECK(check_intent_stats(intents[k]).current > 0);
        mk_group_destroy(g);
        CHECK_EQ(check_intent_stats(intents[k]).current, 0);
        CHECK_EQ(mk_validate(), MK_OK);
    }
}

static void test_group_of_a_frame_intent(void)
{
    mk_begin_frame();
    mk_group_t *g = mk_group_create(MK_INTENT_FRAME_DATA);
    CHECK(g != NULL);
    if (g == NULL)
        return;
    for (int i = 0; i < 50; i++)
        CHECK(mk_group_alloc(g, 100) != NULL);
    CHECK_EQ(mk_group_count(g), 50);
    uint64_t frame_bytes = check_intent_stats(MK_INTENT_FRAME_DATA).current;
    CHECK(frame_bytes >= 5000);
    mk_group_free_all(g); /* forgets: the bytes go with the frame */
    CHECK_EQ(mk_group_count(g), 0);
    CHECK_EQ(check_intent_stats(MK_INTENT_FRAME_DATA).current, frame_bytes);
    mk_end_frame();
    for (int f = 0; f < MKG_FRAMES_IN_FLIGHT + 1; f++) {
        mk_begin_frame();
        CHECK(mk_group_alloc(g, 64) != NULL); /* the group outlives frames */
        mk_end_frame();
    }
    CHECK_EQ(mk_group_count(g), MKG_FRAMES_IN_FLIGHT + 1);
    mk_group_destroy(g);
}

static void test_group_table_limit_and_bad_groups(void)
{
    mk_group_t *groups[MK_MAX_GROUPS];
    for (int i = 0; i < MK_MAX_GROUPS; i++) {
        groups[i] = mk_group_create(MK_INTENT_OBJECTS);
        CHECK(groups[i] != NULL);
    }
    CHECK(mk_group_create(MK_INTENT_OBJECTS) == NULL);
    CHECK_EQ(mk_last_error(), MK_EFULL);
    mk_group_destroy(groups[3]);
    mk_group_t *reused = mk_group_create(MK_INTENT_DOCUMENTS);
    CHECK(reused == groups[3]);
    CHECK(mk_group_create((mk_intent_t)MKG_INTENT_COUNT) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_group_alloc(NULL, 8) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_group_alloc(reused, SIZE_MAX - 4) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK_EQ(mk_group_count(NULL), 0);
    mk_group_free_all(NULL);
    mk_group_destroy(NULL);
    /* a group from before mk_init is stale: refused, and free_all forgets it */
    CHECK(mk_group_alloc(reused, 64) != NULL);
    mk_shutdown();
    CHECK(mk_group_create(MK_INTENT_OBJECTS) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    CHECK(mk_group_alloc(reused, 64) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    mk_group_free_all(reused);
    CHECK(mk_group_create(MK_INTENT_OBJECTS) != NULL); /* the table starts empty again */
}

/* ---- promotion ---- */

static void test_promote_outlives_the_frame(void)
{
    mk_begin_frame();
    unsigned char *frame = mk_alloc(MK_INTENT_FRAME_DATA, 2000);
    CHECK(frame != NULL);
    if (frame == NULL)
        return;
    check_fill(frame, 2000, 42);
    unsigned char *kept = mk_promote(frame, 2000, MK_INTENT_DOCUMENTS);
    CHECK(kept != NULL);
    if (kept == NULL)
        return;
    CHECK(kept != frame);
    CHECK_EQ(mk_usable_size(kept) >= 2000, 1);
    mk_end_frame();
    for (int f = 0; f < MKG_FRAMES_IN_FLIGHT + 1; f++) {
        mk_begin_frame();
        unsigned char *other = mk_alloc(MK_INTENT_FRAME_DATA, 2000);
        CHECK(other != NULL);
        if (other != NULL)
            memset(other, 0, 2000);
        mk_end_frame();
    }
    CHECK(!check_intact(frame, 2000, 42)); /* the frame's memory was reused… */
    CHECK(check_intact(kept, 2000, 42));   /* …the promoted copy was not */
    CHECK(check_intent_stats(MK_INTENT_DOCUMENTS).current >= 2000);
    mk_free(kept);
    CHECK_EQ(check_intent_stats(MK_INTENT_DOCUMENTS).current, 0);
    CHECK(mk_promote(frame, 16, MK_INTENT_FRAME_DATA) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    CHECK(mk_promote(NULL, 16, MK_INTENT_DOCUMENTS) == NULL);
    CHECK_EQ(mk_last_error(), MK_EINVAL);
    unsigned char *small = mk_promote("pool", 5, MK_INTENT_OBJECTS);
    CHECK(small != NULL && memcmp(small, "pool", 5) == 0);
    mk_free(small);
}

int main(void)
{
    RUN(test_scratch_release_then_reuse);
    RUN(test_scratch_takes_the_smallest_that_fits);
    RUN(test_scratch_cap_is_enforced);
    RUN(test_scratch_kept_across_frames);
    RUN(test_scratch_reclaims_kept_buffers_when_short);
    RUN(test_scratch_release_twice_aborts);
    RUN(test_scratch_threads);
    RUN(test_group_free_all_returns_everything);
    RUN(test_group_of_a_frame_intent);
    RUN(test_group_table_limit_and_bad_groups);
    RUN(test_promote_outlives_the_frame);
    return check_finish("test_scratch_groups");
}

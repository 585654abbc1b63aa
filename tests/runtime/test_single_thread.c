/* test_single_thread.c — the threads = false build (tests/configs/single.toml:
 * no atomics, no thread-local storage, every tier reserved at mk_init,
 * alignment 32, three frames in flight). check_no_tls_atomics.sh checks the
 * objects; this checks the behaviour. */
#include "check.h"

#if MKG_THREADS
#error "single.toml must generate a single-threaded config"
#endif

static void test_tiers_work_unthreaded(void)
{
    void *level = mk_alloc(MK_INTENT_LEVEL, 5000);
    void *object = mk_alloc(MK_INTENT_OBJECTS, 40);
    void *temp = mk_alloc(MK_INTENT_TEMP, 100);
    CHECK(level != NULL && object != NULL && temp != NULL);
    CHECK(((uintptr_t)level | (uintptr_t)object | (uintptr_t)temp) % 32u == 0);
    CHECK_EQ(mk_usable_size(object), 64u);
    mk_free(level);
    mk_free(object);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_LEVEL].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_OBJECTS].current, 0u);
    CHECK_EQ(s.intents[MK_INTENT_TEMP].current, 128u);
    CHECK_EQ(s.intents[MK_INTENT_OBJECTS].peak, 64u); /* one thread: the peak is exact */
}

/* Three frames in flight: frame N's data survives frames N+1 and N+2. */
static void test_three_frames_in_flight(void)
{
    unsigned char *first[3];
    for (int f = 0; f < 3; f++) {
        mk_begin_frame();
        first[f] = mk_alloc(MK_INTENT_TEMP, 64);
        CHECK(first[f] != NULL);
        memset(first[f], f + 1, 64);
        mk_end_frame();
    }
    for (int f = 0; f < 3; f++)
        CHECK(first[f][0] == f + 1 && first[f][63] == f + 1);
    mk_begin_frame();
    CHECK(mk_alloc(MK_INTENT_TEMP, 64) == first[0]); /* frame 0's slot is reused */
    CHECK(first[1][0] == 2 && first[2][0] == 3);
    mk_end_frame();
}

static void test_pool_budget_unthreaded(void)
{
    int n = 0;
    while (mk_alloc(MK_INTENT_OBJECTS, 128) != NULL)
        n++;
    CHECK_EQ(n, 32 * 1024 / 128);
    CHECK_EQ(mk_last_error(), MK_EBUDGET);
}

/* Reserved storage is mapped by mk_init and gone after mk_shutdown; a second
 * init maps it again and starts from zero. */
static void test_reinit(void)
{
    void *p = mk_alloc(MK_INTENT_LEVEL, 64);
    CHECK(p != NULL);
    mk_shutdown();
    CHECK_EQ(mk_init(&mkg_config), MK_OK);
    CHECK_EQ(mk_init(&mkg_config), MK_ESTATE);
    mk_stats_t s = check_stats();
    CHECK_EQ(s.intents[MK_INTENT_LEVEL].allocations, 0u);
    CHECK(mk_alloc(MK_INTENT_LEVEL, 64) != NULL);
}

int main(void)
{
    mk_stats_t s;
    CHECK_EQ(mk_stats_get(&s), MK_ESTATE); /* before mk_init */
    CHECK(mk_alloc(MK_INTENT_LEVEL, 8) == NULL);
    CHECK_EQ(mk_last_error(), MK_ESTATE);
    RUN(test_tiers_work_unthreaded);
    RUN(test_three_frames_in_flight);
    RUN(test_pool_budget_unthreaded);
    RUN(test_reinit);
    return check_finish("single_thread");
}

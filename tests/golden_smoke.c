/* golden_smoke.c — linked with the runtime and each golden case's generated
 * sources by compile_golden.sh: every config must not only compile but run.
 * Allocates and frees on every intent, across two frames: through mk_alloc,
 * or for async intents through each async pool and task arena; checks the GPU
 * tables' shape. */
#include <memkit/async.h>

#include <stdio.h>

/* A count as a loop bound: a call, so that 0 does not trip -Wtype-limits. */
static unsigned count(unsigned n)
{
    return n;
}

/* One block from every async pool, one task per arena. */
static int async_round(void)
{
    int failures = 0;
    for (unsigned i = 0; i < count(MKG_ASYNC_POOL_COUNT); i++) {
        void *b = NULL;
        if (mk_async_try_acquire((mk_async_pool_id_t)i, &b) != MK_OK) {
            fprintf(stderr, "async pool %u: acquire failed\n", i);
            failures++;
            continue;
        }
        memset(b, 0xab, mk_async_block_size((mk_async_pool_id_t)i));
        mk_async_release(b);
    }
    for (unsigned i = 0; i < count(MKG_ASYNC_ARENA_COUNT); i++) {
        mk_task_t task;
        void *p = mk_task_begin(&task, (mk_async_arena_id_t)i, NULL) == MK_OK ? mk_task_alloc(&task, 24) : NULL;
        if (p == NULL) {
            fprintf(stderr, "task arena %u: allocation failed\n", i);
            failures++;
        } else {
            memset(p, 0xab, 24);
        }
        mk_task_end(&task);
    }
    return failures;
}

/* The GPU tables, which no runtime reads yet: present exactly when declared, and
 * each GPU intent names a heap that is not the staging ring, with some usage. */
static int gpu_tables(void)
{
    int failures = 0;
    if ((mkg_config.gpu_heaps == NULL) != (count(MKG_GPU_HEAP_COUNT) == 0) ||
        (mkg_config.gpu_intents == NULL) != (count(MKG_GPU_INTENT_COUNT) == 0) ||
        mkg_config.gpu_frames_in_flight != MKG_GPU_FRAMES_IN_FLIGHT) {
        fprintf(stderr, "gpu: mkg_config does not match the generated macros\n");
        failures++;
    }
    for (unsigned i = 0; i < count(MKG_GPU_INTENT_COUNT); i++) {
        const mk_gpu_intent_layout_t *g = &mkg_config.gpu_intents[i];
        if (g->heap >= count(MKG_GPU_HEAP_COUNT) || mkg_config.gpu_heaps[g->heap].kind == MK_GPU_HEAP_KIND_RING ||
            g->usage == 0) {
            fprintf(stderr, "gpu intent %u: bad heap or usage\n", i);
            failures++;
        }
    }
    return failures;
}

int main(void)
{
    if (mk_init(&mkg_config) != MK_OK) {
        fprintf(stderr, "mk_init failed\n");
        return 1;
    }
    int failures = gpu_tables();
    for (int frame = 0; frame < 2; frame++) {
        mk_begin_frame();
        for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
            if (mkg_routes[i].tier == MK_TIER_ASYNC)
                continue; /* mk_alloc refuses them: async_round serves them */
            void *p = mk_alloc((mk_intent_t)i, 24);
            if (p == NULL) {
                fprintf(stderr, "intent %u: allocation failed\n", i);
                failures++;
                continue;
            }
            memset(p, 0xab, 24);
            mk_free(p);
        }
        failures += async_round();
        mk_end_frame();
    }
    mk_stats_t stats;
    if (mk_stats_get(&stats) != MK_OK)
        failures++;
    /* one allocation per frame and intent, and one per frame and async pool
     * (a block) or task arena (a chunk) charged to it */
    uint64_t expected[MKG_INTENT_COUNT];
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++)
        expected[i] = mkg_routes[i].tier == MK_TIER_ASYNC ? 0u : 2u;
    for (unsigned i = 0; i < count(MKG_ASYNC_POOL_COUNT + MKG_ASYNC_ARENA_COUNT); i++)
        expected[mkg_config.async_pools[i].intent] += 2u;
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++)
        if (stats.intents[i].allocations != expected[i]) {
            fprintf(stderr, "intent %u: %llu allocations, expected %llu\n", i,
                    (unsigned long long)stats.intents[i].allocations, (unsigned long long)expected[i]);
            failures++;
        }
    size_t leaks = mk_shutdown();
    if (leaks != 0) { /* every async block and chunk went back too */
        fprintf(stderr, "%zu blocks leaked\n", leaks);
        failures++;
    }
    return failures == 0 ? 0 : 1;
}

/* golden_smoke.c — linked with the runtime and each golden case's generated
 * sources by compile_golden.sh: every config must not only compile but run.
 * Allocates and frees on every intent, across two frames. */
#include <memkit/memkit.h>

#include <stdio.h>

int main(void)
{
    if (mk_init(&mkg_config) != MK_OK) {
        fprintf(stderr, "mk_init failed\n");
        return 1;
    }
    int failures = 0;
    for (int frame = 0; frame < 2; frame++) {
        mk_begin_frame();
        for (unsigned i = 0; i < MKG_INTENT_COUNT; i++) {
            void *p = mk_alloc((mk_intent_t)i, 24);
            if (p == NULL) {
                fprintf(stderr, "intent %u: allocation failed\n", i);
                failures++;
                continue;
            }
            memset(p, 0xab, 24);
            mk_free(p);
        }
        mk_end_frame();
    }
    mk_stats_t stats;
    if (mk_stats_get(&stats) != MK_OK)
        failures++;
    for (unsigned i = 0; i < MKG_INTENT_COUNT; i++)
        if (stats.intents[i].allocations != 2)
            failures++;
    mk_shutdown();
    return failures == 0 ? 0 : 1;
}

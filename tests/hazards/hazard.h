/* hazard.h — shared set-up of the hazard programs (every .c file in tests/hazards).
 *
 * Each program commits one misuse that sentinel mode must report; its first
 * line names the expected code and outcome, which run_hazards.sh reads:
 *   expect: ML601 abort     the default handler aborts (errors)
 *   expect: ML101 exit 0    warnings print and the program goes on to exit 0
 *   expect: ML608 exit 3    ... or to exit with mk_shutdown's leak count
 * Programs link a runtime generated from tests/configs/sentinel.toml and
 * compiled with MK_SENTINEL=1. They misuse memory only in ways the sentinel
 * catches before any real invalid access (ASan-clean).
 */
#ifndef MEMKIT_HAZARD_H
#define MEMKIT_HAZARD_H

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <memkit/memkit.h>

#if !MK_SENTINEL
#error "hazard programs need a sentinel build (MK_SENTINEL=1)"
#endif

static inline void hazard_init(void)
{
    if (mk_init(&mkg_config) != MK_OK) {
        fprintf(stderr, "hazard: mk_init failed\n");
        exit(3);
    }
}

/* Reached only when the sentinel failed to stop the program. */
static inline int hazard_not_caught(void)
{
    fprintf(stderr, "hazard: not caught\n");
    return 2;
}

/* Runs fn(arg) on a second thread and waits for it. */
static inline void hazard_on_thread(void *(*fn)(void *), void *arg)
{
    pthread_t thread;
    if (pthread_create(&thread, NULL, fn, arg) != 0 || pthread_join(thread, NULL) != 0)
        exit(3);
}

#endif /* MEMKIT_HAZARD_H */

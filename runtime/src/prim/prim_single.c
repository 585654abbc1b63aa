/* prim_single.c — the thread functions of prim.h in threads = false builds,
 * whatever the OS layer: no thread exits, needs fencing, forks, yields or
 * waits. An OS layer defines them only for threads = true (prim_posix.c),
 * and a bare-metal one never (prim_none.c). */
#include <memkit/memkit.h> /* first: a config's prefix renames what prim.h declares */

#include "prim.h"

#if !MKG_THREADS
bool mk__prim_thread_exit_init(void (*on_exit)(void *slot))
{
    (void)on_exit;
    return true;
}
void mk__prim_thread_exit_fini(void) {}
void mk__prim_thread_exit_arm(void *slot) { (void)slot; }
void mk__prim_thread_exit_disarm(void) {}

bool mk__prim_fence_others_init(void) { return false; }
void mk__prim_fence_others(void) {}

void mk__prim_fork_init(void (*prepare)(void), void (*parent)(void), void (*child)(void))
{
    (void)prepare;
    (void)parent;
    (void)child;
}

void mk__prim_yield(void) {}

/* no waits: every operation does nothing and a wait returns false at once */
void mk__prim_monitor_init(mk__prim_monitor_t *m) { (void)m; }
void mk__prim_monitor_destroy(mk__prim_monitor_t *m) { (void)m; }
void mk__prim_monitor_lock(mk__prim_monitor_t *m) { (void)m; }
void mk__prim_monitor_unlock(mk__prim_monitor_t *m) { (void)m; }
void mk__prim_monitor_notify_all(mk__prim_monitor_t *m) { (void)m; }
bool mk__prim_monitor_wait(mk__prim_monitor_t *m, uint64_t deadline_ns)
{
    (void)m;
    (void)deadline_ns;
    return false;
}
#else
typedef int mk__prim_single_unused; /* threads = true: the OS layer has them */
#endif

/* prim.h — the only place memkit touches the operating system: the
 * contract of an OS layer.
 *
 * Three layers (os.h, the macro MK_OS): prim_posix.c, prim_none.c for bare
 * metal, or the program's own (MK_OS=user): a file that includes
 * <memkit/memkit.h> and then this header, and defines every function below
 * (docs/embedded.md lists them with what each may do minimally).
 *
 * Contract: every function is thread-safe; none allocates from libc except
 * mk__prim_system_alloc. A target without virtual memory returns NULL from
 * mk__prim_reserve (configs then use storage = "static"). In threads = false
 * builds prim_single.c defines the thread, fence, fork, yield and monitor
 * functions: an OS layer defines those only for threads = true.
 */
#ifndef MEMKIT_PRIM_H
#define MEMKIT_PRIM_H

#include "os.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Maps `bytes` of zeroed, readable and writable memory, aligned to at least
 * 4096. NULL when the OS refuses. Called by mk_init (and what it starts: pools,
 * the heap, async pools) and by the GPU tier for its tables (mk_gpu_init, and
 * a TLSF block's metadata when the block is created), never on a fast path. */
void *mk__prim_reserve(size_t bytes);

/* Unmaps a mk__prim_reserve mapping. */
void mk__prim_release(void *mem, size_t bytes);

/* Makes every page of [mem, mem + bytes) resident and writable now, so that
 * first use takes no page fault (prefault = true). The contents stay as they
 * are. Called only by mk_init, before the region is handed to the tools. */
void mk__prim_prefault(void *mem, size_t bytes);

/* malloc/free for the heap tier's system fallback (fallback = "system"). */
void *mk__prim_system_alloc(size_t bytes);
void mk__prim_system_free(void *mem);

/* Ends the program after a panic (mk__panic, output.c, has already sent
 * the reason to the message sink and called the panic handler): abort()
 * where there is one, else a loop that never returns. */
_Noreturn void mk__prim_abort(void);

/* Registers `on_exit` to run with the thread's slot when a thread that called
 * mk__prim_thread_exit_arm exits. mk__prim_thread_exit_init returns false
 * when the OS has no slot left. Single-threaded builds make these no-ops. */
bool mk__prim_thread_exit_init(void (*on_exit)(void *slot));
void mk__prim_thread_exit_fini(void);
void mk__prim_thread_exit_arm(void *slot);
void mk__prim_thread_exit_disarm(void);

/* Makes every other running thread of the process execute a full memory
 * barrier before it returns (Linux: membarrier, private expedited). The init
 * registers the process and returns false where the OS cannot do it; then
 * mk__prim_fence_others does nothing and callers must not rely on it. */
bool mk__prim_fence_others_init(void);
void mk__prim_fence_others(void);

/* Installs fork handlers (pthread_atfork) once per process: prepare runs in
 * the forking thread before fork, parent and child after it. */
void mk__prim_fork_init(void (*prepare)(void), void (*parent)(void), void (*child)(void));

/* Gives the processor to another thread (a wait that may be long). */
void mk__prim_yield(void);

/* 64 bits that differ from run to run (sentinel canaries); not for
 * cryptography. */
uint64_t mk__prim_entropy(void);

/* Spin-wait hint. */
void mk__prim_relax(void);

/* Nanoseconds of a monotonic clock (CLOCK_MONOTONIC). */
uint64_t mk__prim_now_ns(void);

/* A monitor: a mutex and a condition variable, for the waits that may be long
 * (the async tier's blocking variants, mk_begin_frame on a held frame). Opaque
 * storage so that it can live on a caller's stack. Single-threaded builds have
 * no waits: every operation is a no-op and a wait returns false at once. */
typedef struct mk__prim_monitor {
    _Alignas(16) unsigned char opaque[160];
} mk__prim_monitor_t;
void mk__prim_monitor_init(mk__prim_monitor_t *m);
void mk__prim_monitor_destroy(mk__prim_monitor_t *m);
void mk__prim_monitor_lock(mk__prim_monitor_t *m);
void mk__prim_monitor_unlock(mk__prim_monitor_t *m);
/* Waits (the lock held) until notified or until `deadline_ns` on
 * mk__prim_now_ns's clock (UINT64_MAX: no deadline); false when the deadline
 * passed. Spurious returns happen: callers loop on their condition. */
bool mk__prim_monitor_wait(mk__prim_monitor_t *m, uint64_t deadline_ns);
void mk__prim_monitor_notify_all(mk__prim_monitor_t *m);

#endif /* MEMKIT_PRIM_H */

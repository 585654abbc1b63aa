/* memkit_libuv.h — libuv's memory on memkit (docs/integrations.md, "libuv").
 *
 *   mk_init(&mkg_config);
 *   mk_uv_install(MK_INTENT_IO);   // before any other libuv call
 *   uv_loop_init(&loop);           // libuv's own blocks now come from the intent
 *   ...
 *   uv_loop_close(&loop);          // and go back to it
 *
 * libuv's allocator is process-global (uv_replace_allocator takes no user
 * pointer): the intent is held in a static, shared by every loop. The first
 * mk_uv_install hands libuv the four functions, and libuv wants that before
 * it allocates anything (it must never free a malloc block through them).
 * A later mk_uv_install only changes the intent of new blocks: blocks libuv
 * already holds keep the intent they were allocated for (mk_free and
 * mk_realloc find it from the block), so switching is safe at any time.
 *
 * What goes through it: libuv's own bookkeeping (a loop's internal fields and
 * its watcher array, uv_write's copy of more than 4 buffers, the paths of
 * asynchronous uv_fs_* requests, uv_getaddrinfo's results, scandir entries
 * ...), never the handles and requests, which the program allocates, nor the
 * read buffers its alloc_cb gives (allocate those from an intent too).
 *
 * Out of memory: most libuv calls return UV_ENOMEM (uv_loop_init,
 * uv_write/uv_try_write with many buffers, uv_fs_* with a callback,
 * uv_spawn ...). libuv 1.44 aborts instead when it cannot grow a loop's
 * watcher array (uv__io_start: one slot per file descriptor number, so a
 * process that opens fds with high numbers needs room for it): size the
 * intent's budget for it. With UV_THREADPOOL_SIZE > 4 the threadpool's
 * thread array comes from the intent (4 threads when it cannot) and is kept
 * until libuv's library destructor: call uv_library_shutdown() before
 * mk_shutdown.
 *

 * Under -std=c11 (no GNU extensions) define _POSIX_C_SOURCE 200809L before
 * including this header: uv.h uses POSIX thread types.
 *
 * Threads: libuv's threadpool runs fs requests on up to 4 threads (more with
 * UV_THREADPOOL_SIZE) that allocate for scandir, readlink, realpath and
 * friends; they attach to memkit on first use (count them in max_threads)
 * and live until the process exits, so mk_shutdown cannot run while they
 * may still be attached: the program's work callbacks that use memkit call
 * mk_thread_detach() before they return.
 */
#ifndef MEMKIT_LIBUV_H
#define MEMKIT_LIBUV_H

#include <uv.h>
#include <memkit/memkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Routes libuv's allocations to `intent` (a pool or heap intent). Returns 0,
 * UV_EINVAL for an unknown, frame or async intent, or what
 * uv_replace_allocator returns. Thread-safe once installed. */
int mk_uv_install(mk_intent_t intent);

/* The intent new libuv blocks come from. */
mk_intent_t mk_uv_intent(void);

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_LIBUV_H */

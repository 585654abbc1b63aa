/* memkit/adapters/libuv.h — runs an async-tier loop on a libuv loop.
 *
 * Header-only, in the shape of hiredis's adapters: the core's wake hook
 * becomes a uv_async_t (uv_async_send is the one libuv call that is safe from
 * any thread; it coalesces, and one dispatch drains every completion), its
 * timer hook a uv_timer_t; both callbacks call mk_async_dispatch on the loop's
 * thread. Hand-off ordering does not rely on libuv's own guarantees (1.44
 * predates its documented seq_cst): completions move under the async loop's
 * lock, which the dispatch takes.
 *
 *     mk_uv_loop_t memloop;
 *     mk_uv_loop_init(&memloop, uv_default_loop());
 *     mk_async_acquire(MK_ASYNC_POOL_REQUESTS, &buf, &memloop.loop, &req->waiter, on_buffer, req);
 *     ...
 *     mk_uv_loop_close(&memloop, NULL); // before uv_loop_close
 *
 * The two handles are unreferenced (uv_unref): they never keep uv_run alive
 * by themselves. A program whose requests wait only on other threads keeps a
 * referenced handle of its own (a server's listening socket does).
 * Call everything here on the loop's thread. Link with libuv.
 */
#ifndef MEMKIT_ADAPTERS_LIBUV_H
#define MEMKIT_ADAPTERS_LIBUV_H

#include <memkit/async.h>
#include <uv.h>

MK__API_BEGIN

typedef struct mk_uv_loop {
    mk_async_loop_t loop; /* pass &x.loop to mk_async_acquire, mk_channel_recv, ... */
    uv_loop_t *uv;
    uv_async_t wake;
    uv_timer_t timer;
} mk_uv_loop_t;

static inline void mk__uv_dispatch(mk_uv_loop_t *l)
{
    mk_async_dispatch(&l->loop, mk_async_now());
}

static inline void mk__uv_on_wake(uv_async_t *handle)
{
    mk__uv_dispatch((mk_uv_loop_t *)handle->data);
}

static inline void mk__uv_on_timer(uv_timer_t *handle)
{
    mk__uv_dispatch((mk_uv_loop_t *)handle->data);
}

static inline void mk__uv_wake(void *user)
{
    uv_async_send(&((mk_uv_loop_t *)user)->wake);
}

static inline void mk__uv_timer(void *user, mk_time_t deadline)
{
    mk_uv_loop_t *l = (mk_uv_loop_t *)user;
    if (deadline == MK_ASYNC_FOREVER) {
        uv_timer_stop(&l->timer);
        return;
    }
    mk_time_t now = mk_async_now();
    /* libuv counts whole milliseconds: round up, never fire before the deadline */
    uint64_t ms = deadline > now ? (deadline - now + 999999u) / 1000000u : 0u;
    uv_timer_start(&l->timer, mk__uv_on_timer, ms, 0);
}

/* Wires `l` to `uv`: 0, or a libuv error code (then no handle stays open;
 * one may be closing: run the loop once before uv_loop_close). */
static inline int mk_uv_loop_init(mk_uv_loop_t *l, uv_loop_t *uv)
{
    l->uv = uv;
    int rc = uv_async_init(uv, &l->wake, mk__uv_on_wake);
    if (rc != 0)
        return rc;
    rc = uv_timer_init(uv, &l->timer);
    if (rc != 0) {
        uv_close((uv_handle_t *)&l->wake, NULL);
        return rc;
    }
    l->wake.data = l;
    l->timer.data = l;
    uv_unref((uv_handle_t *)&l->wake);
    uv_unref((uv_handle_t *)&l->timer);
    mk_async_hooks_t hooks = {mk__uv_wake, mk__uv_timer, l};
    mk_async_loop_init(&l->loop, &hooks);
    return 0;
}

/* Closes both handles (`on_closed` runs for each, may be NULL). Cancel or
 * complete this loop's requests first; run the loop once more so that libuv
 * finishes the close before uv_loop_close. */
static inline void mk_uv_loop_close(mk_uv_loop_t *l, uv_close_cb on_closed)
{
    uv_close((uv_handle_t *)&l->wake, on_closed);
    uv_close((uv_handle_t *)&l->timer, on_closed);
}

MK__API_END

#endif /* MEMKIT_ADAPTERS_LIBUV_H */

/* bench/whole/memkit/async.h — the part of memkit/async.h that
 * examples/game_loop.c uses, on malloc (bench/whole/malloc_async.c). */
#ifndef MALLOC_MEMKIT_ASYNC_H
#define MALLOC_MEMKIT_ASYNC_H

#include "../malloc_memkit.h"

typedef uint64_t mk_time_t;
typedef struct mk_async_waiter mk_async_waiter_t;
typedef void (*mk_async_done_fn)(mk_async_waiter_t *waiter, mk_status_t status, mk_msg_t result);

typedef struct mk_async_hooks {
    void (*wake)(void *user);
    void (*timer)(void *user, mk_time_t deadline);
    void *user;
} mk_async_hooks_t;

typedef struct mk_async_loop {
    mk_async_hooks_t hooks;
    mk_async_waiter_t *ready_head, *ready_tail; /* under the shim's one lock */
} mk_async_loop_t;

struct mk_async_waiter {
    void *user;
    mk_async_waiter_t *next;
    mk_async_loop_t *loop;
    mk_async_done_fn done;
    unsigned pool;
    int state; /* 0 idle, 1 queued, 2 ready */
    mk_msg_t result;
};

void mk_async_loop_init(mk_async_loop_t *loop, const mk_async_hooks_t *hooks);
size_t mk_async_dispatch(mk_async_loop_t *loop, mk_time_t now);
mk_time_t mk_async_now(void);
mk_status_t mk_async_acquire(mk_async_pool_id_t pool, void **block, mk_async_loop_t *loop,
                             mk_async_waiter_t *waiter, mk_async_done_fn done, void *user);
mk_status_t mk_async_cancel(mk_async_waiter_t *waiter);
void mk_async_release(void *block);

mk_status_t mk_channel_try_send(mk_async_channel_id_t channel, void *block, size_t len);
mk_status_t mk_channel_try_recv(mk_async_channel_id_t channel, mk_msg_t *msg);

typedef struct mk_task {
    void *chunks;  /* malloc'ed, newest first, linked through their first word */
    unsigned char *cur, *end;
    uint32_t arena, count;
} mk_task_t;

mk_status_t mk_task_begin(mk_task_t *task, mk_async_arena_id_t arena, mk_task_t *parent);
void *mk_task_alloc(mk_task_t *task, size_t size);
mk_status_t mk_task_end(mk_task_t *task);
mk_status_t mk_task_handoff(mk_task_t *from, mk_task_t *to);
uint32_t mk_task_chunks(const mk_task_t *task);

#endif /* MALLOC_MEMKIT_ASYNC_H */

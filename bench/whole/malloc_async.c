/* malloc_async.c — the async tier as a C programmer would hand-write it on
 * malloc, for bench/whole's build of examples/game_loop.c: a pool is a count
 * of blocks out under one mutex (each block a malloc of the pool's block
 * size, freed on release) with a FIFO of waiters that a release hands its
 * block to; a channel is a mutex-guarded ring; a task arena is a list of
 * malloc'ed chunks. Counts per intent for mk_stats_get. */
#define _POSIX_C_SOURCE 200809L

#include "memkit/async.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MKS_POOLS (MKG_ASYNC_POOL_COUNT + MKG_ASYNC_ARENA_COUNT)

static pthread_mutex_t mks_async_lock = PTHREAD_MUTEX_INITIALIZER;
static struct {
    uint32_t out;
    mk_async_waiter_t *head, *tail;
} mks_pools[MKS_POOLS > 0 ? MKS_POOLS : 1];
static struct {
    mk_msg_t ring[256];
    uint32_t head, len;
} mks_channels[MKG_ASYNC_CHANNEL_COUNT > 0 ? MKG_ASYNC_CHANNEL_COUNT : 1];
static _Atomic uint64_t mks_allocs[MKG_INTENT_COUNT], mks_frees[MKG_INTENT_COUNT];

void mks_async_counts(unsigned intent, uint64_t *allocations, uint64_t *frees)
{
    *allocations += atomic_load(&mks_allocs[intent]);
    *frees += atomic_load(&mks_frees[intent]);
}

/* A pool block: its pool in a header in front, so that release finds it. */
typedef struct mks_block {
    uint64_t pool, pad;
} mks_block_t;

static void *mks_pool_block(unsigned pool)
{
    mks_block_t *b = malloc(sizeof *b + mkg_config.async_pools[pool].block);
    if (b == NULL)
        return NULL;
    b->pool = pool;
    atomic_fetch_add(&mks_allocs[mkg_config.async_pools[pool].intent], 1u);
    return b + 1;
}

void mk_async_loop_init(mk_async_loop_t *loop, const mk_async_hooks_t *hooks)
{
    memset(loop, 0, sizeof *loop);
    if (hooks != NULL)
        loop->hooks = *hooks;
}

mk_time_t mk_async_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (mk_time_t)ts.tv_sec * 1000000000u + (mk_time_t)ts.tv_nsec;
}

mk_status_t mk_async_acquire(mk_async_pool_id_t pool, void **block, mk_async_loop_t *loop,
                             mk_async_waiter_t *waiter, mk_async_done_fn done, void *user)
{
    unsigned p = (unsigned)pool;
    pthread_mutex_lock(&mks_async_lock);
    if (mks_pools[p].head == NULL && mks_pools[p].out < mkg_config.async_pools[p].count) {
        mks_pools[p].out++;
        pthread_mutex_unlock(&mks_async_lock);
        *block = mks_pool_block(p);
        return *block != NULL ? MK_OK : MK_ENOMEM;
    }
    *waiter = (mk_async_waiter_t){user, NULL, loop, done, p, 1, {NULL, 0}};
    if (mks_pools[p].tail != NULL)
        mks_pools[p].tail->next = waiter;
    else
        mks_pools[p].head = waiter;
    mks_pools[p].tail = waiter;
    pthread_mutex_unlock(&mks_async_lock);
    return MK_PENDING;
}

/* A block back to its pool (lock held): freed, and a fresh one for the oldest waiter. */
static void mks_give_back(unsigned p, void *block)
{
    free((mks_block_t *)block - 1);
    atomic_fetch_add(&mks_frees[mkg_config.async_pools[p].intent], 1u);
    mk_async_waiter_t *w = mks_pools[p].head;
    if (w == NULL) {
        mks_pools[p].out--;
        return;
    }
    mks_pools[p].head = w->next;
    if (mks_pools[p].head == NULL)
        mks_pools[p].tail = NULL;
    w->result = (mk_msg_t){mks_pool_block(p), (size_t)mkg_config.async_pools[p].block};
    w->state = 2;
    w->next = NULL;
    if (w->loop->ready_tail != NULL)
        w->loop->ready_tail->next = w;
    else
        w->loop->ready_head = w;
    w->loop->ready_tail = w;
    if (w->loop->hooks.wake != NULL)
        w->loop->hooks.wake(w->loop->hooks.user);
}

void mk_async_release(void *block)
{
    if (block == NULL)
        return;
    pthread_mutex_lock(&mks_async_lock);
    mks_give_back((unsigned)((mks_block_t *)block - 1)->pool, block);
    pthread_mutex_unlock(&mks_async_lock);
}

/* Unlinks `w` from a singly linked list; false when it is not there. */
static int mks_unlink(mk_async_waiter_t **head, mk_async_waiter_t **tail, mk_async_waiter_t *w)
{
    mk_async_waiter_t *prev = NULL;
    for (mk_async_waiter_t *it = *head; it != NULL; prev = it, it = it->next) {
        if (it != w)
            continue;
        if (prev != NULL)
            prev->next = w->next;
        else
            *head = w->next;
        if (*tail == w)
            *tail = prev;
        w->next = NULL;
        return 1;
    }
    return 0;
}

mk_status_t mk_async_cancel(mk_async_waiter_t *w)
{
    mk_status_t status = MK_ESTATE;
    pthread_mutex_lock(&mks_async_lock);
    if (w->state == 1 && mks_unlink(&mks_pools[w->pool].head, &mks_pools[w->pool].tail, w)) {
        status = MK_OK;
    } else if (w->state == 2 && mks_unlink(&w->loop->ready_head, &w->loop->ready_tail, w)) {
        atomic_fetch_sub(&mks_allocs[mkg_config.async_pools[w->pool].intent], 1u); /* never reached its owner */
        atomic_fetch_sub(&mks_frees[mkg_config.async_pools[w->pool].intent], 1u);
        mks_give_back(w->pool, w->result.ptr);
        status = MK_OK;
    }
    w->state = 0;
    pthread_mutex_unlock(&mks_async_lock);
    return status;
}

size_t mk_async_dispatch(mk_async_loop_t *loop, mk_time_t now)
{
    (void)now;
    size_t ran = 0;
    for (;;) {
        pthread_mutex_lock(&mks_async_lock);
        mk_async_waiter_t *w = loop->ready_head;
        if (w != NULL) {
            loop->ready_head = w->next;
            if (loop->ready_head == NULL)
                loop->ready_tail = NULL;
            w->state = 0;
        }
        pthread_mutex_unlock(&mks_async_lock);
        if (w == NULL)
            return ran;
        w->done(w, MK_OK, w->result);
        ran++;
    }
}

mk_status_t mk_channel_try_send(mk_async_channel_id_t channel, void *block, size_t len)
{
    unsigned c = (unsigned)channel;
    uint32_t capacity = mkg_config.async_channels[c].capacity < 256u ? mkg_config.async_channels[c].capacity : 256u;
    pthread_mutex_lock(&mks_async_lock);
    mk_status_t status = MK_EFULL;
    if (mks_channels[c].len < capacity) {
        mks_channels[c].ring[(mks_channels[c].head + mks_channels[c].len++) % 256u] = (mk_msg_t){block, len};
        status = MK_OK;
    }
    pthread_mutex_unlock(&mks_async_lock);
    return status;
}

mk_status_t mk_channel_try_recv(mk_async_channel_id_t channel, mk_msg_t *msg)
{
    unsigned c = (unsigned)channel;
    pthread_mutex_lock(&mks_async_lock);
    mk_status_t status = MK_EEMPTY;
    if (mks_channels[c].len != 0) {
        *msg = mks_channels[c].ring[mks_channels[c].head];
        mks_channels[c].head = (mks_channels[c].head + 1u) % 256u;
        mks_channels[c].len--;
        status = MK_OK;
    }
    pthread_mutex_unlock(&mks_async_lock);
    return status;
}

/* Task arenas: chunks of the arena's chunk size, malloc'ed one by one. */
static size_t mks_chunk_bytes(const mk_task_t *task)
{
    return (size_t)mkg_config.async_pools[mkg_config.async_arenas[task->arena].pool].block;
}

mk_status_t mk_task_begin(mk_task_t *task, mk_async_arena_id_t arena, mk_task_t *parent)
{
    (void)parent; /* the demo starts no child tasks */
    *task = (mk_task_t){NULL, NULL, NULL, (uint32_t)arena, 0};
    return MK_OK;
}

void *mk_task_alloc(mk_task_t *task, size_t size)
{
    size_t n = (size + MKG_ALIGNMENT - 1u) & ~((size_t)MKG_ALIGNMENT - 1u);
    if (n > (size_t)(task->end - task->cur)) {
        size_t bytes = mks_chunk_bytes(task);
        if (n > bytes - MKG_ALIGNMENT)
            return NULL;
        void **chunk = malloc(bytes);
        if (chunk == NULL)
            return NULL;
        *chunk = task->chunks;
        task->chunks = chunk;
        task->count++;
        task->cur = (unsigned char *)chunk + MKG_ALIGNMENT;
        task->end = (unsigned char *)chunk + bytes;
        atomic_fetch_add(&mks_allocs[mkg_config.async_arenas[task->arena].intent], 1u);
    }
    void *p = task->cur;
    task->cur += n;
    return p;
}

mk_status_t mk_task_end(mk_task_t *task)
{
    for (void *chunk = task->chunks; chunk != NULL;) {
        void *next = *(void **)chunk;
        free(chunk);
        atomic_fetch_add(&mks_frees[mkg_config.async_arenas[task->arena].intent], 1u);
        chunk = next;
    }
    memset(task, 0, sizeof *task);
    return MK_OK;
}

mk_status_t mk_task_handoff(mk_task_t *from, mk_task_t *to)
{
    void **last = &to->chunks;
    while (*last != NULL)
        last = (void **)*last;
    *last = from->chunks;
    if (to->cur == NULL) {
        to->cur = from->cur;
        to->end = from->end;
    }
    to->count += from->count;
    *from = (mk_task_t){NULL, NULL, NULL, from->arena, 0};
    return MK_OK;
}

uint32_t mk_task_chunks(const mk_task_t *task)
{
    return task->count;
}

/* async_internal.h — state shared by the async tier's sources.
 *
 * Locks, outermost first: a pool's or a channel's lock (which also guards its
 * waiter queues), then a loop's lock (its ready list and timed-waiter count).
 * A waiter's state moves QUEUED -> READY under its queue's lock (and, for a
 * loop waiter, its loop's lock too), READY -> DONE under its loop's lock (or
 * its queue's lock for a blocking waiter); so whoever holds the queue's lock
 * and then the loop's lock sees a state that cannot change under it, which is
 * what makes cancel safe against grant, timeout and dispatch.
 */
#ifndef MEMKIT_ASYNC_INTERNAL_H
#define MEMKIT_ASYNC_INTERNAL_H

#include "internal.h"

#include <memkit/async.h>

#define MK__WAITER_IDLE 0u   /* not queued: the caller's */
#define MK__WAITER_QUEUED 1u /* in its queue, FIFO */
#define MK__WAITER_READY 2u  /* granted, timed out or closed: on its loop's ready list (or its thread woken) */
#define MK__WAITER_DONE 3u   /* taken by dispatch (its callback runs) or by its blocked thread */

#define MK__ASYNC_POOLS (MKG_ASYNC_POOL_COUNT + MKG_ASYNC_ARENA_COUNT)

/* Counts for loops: functions, not macros, so that a config without async
 * objects (0) does not trip -Wtype-limits. */
static inline unsigned mk__async_pool_total(void) { return MK__ASYNC_POOLS; }
static inline unsigned mk__async_user_pools(void) { return MKG_ASYNC_POOL_COUNT; }
static inline unsigned mk__async_channel_total(void) { return MKG_ASYNC_CHANNEL_COUNT; }

/* What mk_stats reports of a pool, channel or arena; updated under its lock. */
typedef struct mk__async_counters {
    uint64_t in_use; /* blocks held, messages queued, chunks owned */
    uint64_t peak;
    uint64_t grants; /* requests served: at once or from the queue */
    uint64_t releases;
    uint64_t timeouts;
    uint64_t evictions;
    uint64_t failures; /* requests refused: fail policy, budget, closed */
    uint64_t cancels;
    uint64_t longest_wait_ns;
} mk__async_counters_t;

static inline void mk__async_count_use(mk__async_counters_t *c, uint64_t in_use)
{
    c->in_use = in_use;
    if (in_use > c->peak)
        c->peak = in_use;
}

/* A FIFO of waiters, guarded by its owner's lock. */
typedef struct mk__waitq mk__waitq_t;
struct mk__waitq {
    mk__lock_t *lock;
    mk_async_waiter_t *head, *tail;
    uint32_t count;
    uint64_t timeout_ns; /* 0: waiters have no deadline */
    /* Takes back the grant (w->result_) of a waiter that gave up after it was
     * granted: the next waiter gets it, or its owner keeps it. Lock held. */
    void (*hand_back)(mk__waitq_t *q, mk_async_waiter_t *w);
    /* Optional: a completed waiter was taken (its callback is about to run,
     * or its blocked thread returns). Lock held. */
    void (*taken)(mk__waitq_t *q, mk_async_waiter_t *w);
    mk__async_counters_t *stats;
};

/* How a request that finds nothing free proceeds, and with what. */
typedef enum { MK__REQ_TRY, MK__REQ_LOOP, MK__REQ_BLOCKING } mk__req_kind_t;
typedef struct mk__request {
    mk__req_kind_t kind;
    mk_async_loop_t *loop;   /* MK__REQ_LOOP: the waiter's loop, waiter, callback and its argument */
    mk_async_waiter_t *waiter;
    mk_async_done_fn done;
    void *user;
    mk_time_t timeout;       /* MK__REQ_BLOCKING */
} mk__request_t;

/* ---- waitq.c: queues, delivery, cancel, dispatch, blocking waits ---- */
void mk__waitq_init(mk__waitq_t *q, mk__lock_t *lock, uint64_t timeout_ns,
                    void (*hand_back)(mk__waitq_t *, mk_async_waiter_t *), mk__async_counters_t *stats);
/* Queues `w` at the tail (lock held). `slot` is what the grant needs to know
 * (a reserve's permit pointer); a blocking waiter has loop == NULL. */
void mk__waitq_push(mk__waitq_t *q, mk_async_waiter_t *w, mk_async_loop_t *loop, mk_async_done_fn done, void *user,
                    mk_msg_t slot);
/* Unlinks and returns the oldest waiter, NULL when none (lock held). */
mk_async_waiter_t *mk__waitq_pop(mk__waitq_t *q);
/* Completes a popped waiter (lock held): it becomes READY with `status` and
 * `result`, on its loop's ready list (the loop is woken) or with its thread
 * woken. */
void mk__waitq_complete(mk__waitq_t *q, mk_async_waiter_t *w, mk_status_t status, mk_msg_t result);
/* Completes every waiter with `status` and an empty result (lock held). */
void mk__waitq_complete_all(mk__waitq_t *q, mk_status_t status);
/* The end of a request that found nothing to take at once (lock held on
 * entry, not on return): `refusal` when it may not wait (a try, `may_wait`
 * false, a blocking request in a single-threaded build); MK_PENDING once a
 * loop request is queued (`slot` as for mk__waitq_push); else the thread
 * blocks until the request completes or times out: its status, and *result. */
mk_status_t mk__waitq_wait(mk__waitq_t *q, const mk__request_t *r, bool may_wait, mk_status_t refusal, mk_msg_t slot,
                           mk_msg_t *result);

/* ---- async.c: the tier's state ---- */
typedef struct mk__apool {
    mk__lock_t lock;
    mk__waitq_t q;
    const mk_async_pool_layout_t *layout;
    unsigned char *base;         /* count * block bytes */
    size_t block, bytes;         /* the layout's block and count * block, at hand */
    unsigned shift;              /* log2(block) when block is a power of two, else 0 */
    uint32_t *stack;             /* free block indices: [0, top) */
    mk_async_block_slot_t *slots; /* evict pools: per-block state and the LRU list */
    uint32_t top;
    uint32_t lru_first, lru_last; /* block index + 1; 0: none */
    mk__async_counters_t stats;
    unsigned char *mapped; /* storage = "reserve": what mk_init mapped */
    size_t mapped_bytes;
} mk__apool_t;

typedef struct mk__channel {
    mk__lock_t lock;
    mk__waitq_t senders, receivers;
    const mk_async_channel_layout_t *layout;
    uint32_t head, len;   /* queued messages: ring[(head + i) % capacity] */
    uint32_t reserved;    /* slots held by permits */
    uint32_t delivering;  /* messages granted to receivers not yet taken
                             (len + reserved + delivering <= capacity) */
    bool closed;
    mk_channel_drop_fn drop;
    void *drop_user;
    mk__async_counters_t stats;
} mk__channel_t;

typedef struct mk__async_state {
    mk__apool_t pools[MK__ASYNC_POOLS > 0 ? MK__ASYNC_POOLS : 1];
    mk__channel_t channels[MKG_ASYNC_CHANNEL_COUNT > 0 ? MKG_ASYNC_CHANNEL_COUNT : 1];
    mk__waitq_t *timed[MKG_ASYNC_POOL_COUNT + MKG_ASYNC_CHANNEL_COUNT + 1]; /* queues with deadlines */
    uint8_t by_base[MKG_ASYNC_POOL_COUNT > 0 ? MKG_ASYNC_POOL_COUNT : 1]; /* user pools by address, for mk_free */
    unsigned by_base_count;
    unsigned timed_count;
    MK__ATOMIC(mk_async_clock_fn) clock;
    MK__ATOMIC(void *) clock_user;
} mk__async_state_t;

extern mk__async_state_t mk__async;

/* An intent's budget refused `bytes`: applies its on_exhausted policy
 * (panic aborts; callback calls the OOM handler). True: retry once. */
bool mk__async_refused(unsigned intent, size_t bytes);

/* ---- async_pool.c ---- */
mk_status_t mk__apool_init(mk__apool_t *p, const mk_async_pool_layout_t *layout);
void mk__apool_fini(mk__apool_t *p);
/* A block from a chunk pool (task arenas): MK_OK, MK_ENOMEM or MK_EBUDGET. */
mk_status_t mk__apool_take(mk__apool_t *p, void **block);
/* A chain of blocks back to a pool in one locked step: the first word of each
 * block points to the next, NULL ends it. */
void mk__apool_give_chain(mk__apool_t *p, void *first);

/* ---- channel.c ---- */
void mk__channel_init(mk__channel_t *c, const mk_async_channel_layout_t *layout);
void mk__channel_fini(mk__channel_t *c);

/* ---- frame_guard.c ---- */
void mk__frame_guard_init(void);
void mk__frame_guard_fini(void);
void mk__frame_guard_fork_prepare(void);
void mk__frame_guard_fork_parent(void);

#endif /* MEMKIT_ASYNC_INTERNAL_H */

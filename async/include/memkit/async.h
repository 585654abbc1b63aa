/* memkit/async.h — the async tier: memory for work that suspends and resumes.
 *
 * Event-loop callbacks, coroutines, fibers and jobs own memory across
 * suspension points and resume on any thread, so a thread-local cache is the
 * wrong owner and running out must mean "wait", not "crash". The tier has:
 *
 * - async pools ([async.pool.NAME]): fixed blocks with a backpressure policy
 *   (wait, fail, timeout, evict). Grants are FIFO-fair; a waiter cancelled or
 *   timed out while a block is being granted to it passes the block on.
 * - channels ([async.channel.NAME]): bounded, zero-copy queues of blocks. A
 *   sender reserves a slot (may wait) and sends through the permit, which
 *   cannot fail, so a cancelled send loses nothing.
 * - task arenas ([async.arena.NAME]): bump allocation from chunks a *task*
 *   owns (mk_task_t), valid on whatever thread resumes the task, all freed at
 *   task end in O(chunks).
 * - the async frame guard: a task holds the frame it allocated in, and that
 *   frame's slot is not reset while holds are outstanding.
 *
 * The core is loop-agnostic. A request that cannot be served at once queues
 * a caller-owned waiter (mk_async_waiter_t) on a loop (mk_async_loop_t); the
 * loop's `wake` hook says that completions are ready and its `timer` hook
 * when the next deadline falls; the loop's thread then calls
 * mk_async_dispatch, which runs the completion callbacks there. The
 * `..._blocking` variants serve plain threads. memkit/adapters/libuv.h wires a
 * loop to libuv. Everything is charged to an intent: the async tier shares
 * the budgets and statistics of the CPU tiers. docs/async.md tells the whole
 * story.
 */
#ifndef MEMKIT_ASYNC_H
#define MEMKIT_ASYNC_H

#include <memkit/memkit.h>

MK__API_BEGIN

/* ---- time ------------------------------------------------------------------ */

/* Nanoseconds on the async clock (CLOCK_MONOTONIC unless a test clock is set). */
typedef uint64_t mk_time_t;
#define MK_ASYNC_FOREVER UINT64_MAX /* no deadline */

typedef mk_time_t (*mk_async_clock_fn)(void *user);

/* Replaces the clock that stamps waiters and decides loop deadlines (NULL:
 * CLOCK_MONOTONIC). Tests install a clock they advance by hand. Blocking
 * variants measure their timeouts on CLOCK_MONOTONIC whatever is set here.
 * Call before any waiter is queued. */
void mk_async_set_clock(mk_async_clock_fn now, void *user);
mk_time_t mk_async_now(void);

/* ---- loops and waiters --------------------------------------------------------- */

typedef struct mk_async_hooks {
    /* Completions are ready: arrange for mk_async_dispatch(loop, ...) to run
     * on the loop's thread soon. Called from any thread, with memkit's locks
     * held: it must not call memkit (uv_async_send is the model). */
    void (*wake)(void *user);
    /* (Re)arms the loop's one timer to call mk_async_dispatch at `deadline`
     * (async clock), or disarms it (MK_ASYNC_FOREVER). Called on the loop's
     * thread only, from the calls that queue a waiter on this loop and from
     * mk_async_dispatch. May be NULL when no waiter has a deadline. */
    void (*timer)(void *user, mk_time_t deadline);
    void *user;
} mk_async_hooks_t;

typedef struct mk_async_waiter mk_async_waiter_t;

/* Runs in mk_async_dispatch on the loop's thread, once per queued request:
 * status MK_OK with the result (the block and its size, the message, or for
 * a channel reserve the caller's mk_permit_t, now held, in result.ptr), or
 * MK_ETIMEDOUT / MK_ECLOSED with an empty result. After it returns (or once
 * mk_async_cancel returned MK_OK) the waiter is the caller's again. */
typedef void (*mk_async_done_fn)(mk_async_waiter_t *waiter, mk_status_t status, mk_msg_t result);

/* An event loop as the async tier sees it. Caller-owned; fields are private. */
typedef struct mk_async_loop {
    mk_async_hooks_t hooks;
    mk_async_waiter_t *ready_head_, *ready_tail_; /* completions for dispatch, FIFO */
    mk_time_t armed_;                             /* the deadline the timer is armed for */
    uint64_t timed_;                              /* this loop's queued waiters that have a deadline */
    MK__ATOMIC(int) lock_;
} mk_async_loop_t;

/* A request in a queue: caller-owned (embed it in your task or request),
 * alive and untouched from the call that queued it until its callback ran or
 * mk_async_cancel returned MK_OK. Fields are private except `user`. */
struct mk_async_waiter {
    void *user;                          /* the caller's: set by the queueing call */
    mk_async_waiter_t *prev_, *next_;    /* position in a queue or a loop's ready list */
    MK__ATOMIC(struct mk__waitq *) queue_; /* the queue it waits in; NULL once dispatched */
    mk_async_loop_t *loop_;              /* NULL: a blocking variant's stack waiter */
    mk_async_done_fn done_;
    void *parker_;                       /* blocking variants: what wakes the thread */
    mk_msg_t result_;                    /* the grant (for a reserve: where the permit goes) */
    mk_time_t deadline_, since_;
    MK__ATOMIC(uint32_t) state_;         /* MK__WAITER_* (async/src/async_internal.h): read by cancel under
                                            the queue's lock while dispatch writes it under the loop's */
    mk_status_t status_;
};

/* Prepares a loop (no allocation). The hooks are copied. */
void mk_async_loop_init(mk_async_loop_t *loop, const mk_async_hooks_t *hooks);

/* Expires every queued waiter whose deadline is at or before `now` (those
 * of any loop: each goes to its own loop), then runs this loop's completion
 * callbacks in the order they became ready, then re-arms this loop's timer.
 * Returns the number of callbacks run. Call on the loop's thread. */
size_t mk_async_dispatch(mk_async_loop_t *loop, mk_time_t now);

/* Withdraws a queued request. MK_OK: it is withdrawn and its callback will
 * not run; a block, slot or message granted to it meanwhile went to the next
 * waiter or back where it came from. MK_ESTATE: too late, it completed (its
 * callback ran or is running) or it was never queued. Thread-safe. */
mk_status_t mk_async_cancel(mk_async_waiter_t *waiter);

/* ---- async pools ------------------------------------------------------------- */

/* A free block now, or MK_EFULL; never waits, never queues, never evicts. MK_EBUDGET when the
 * intent's budget refuses (its on_exhausted policy applies: panic aborts,
 * callback calls the OOM handler and retries once). Thread-safe. */
mk_status_t mk_async_try_acquire(mk_async_pool_id_t pool, void **block);

/* A block for `waiter`: MK_OK with *block set now, or MK_PENDING with the
 * waiter queued on `loop` (FIFO behind earlier waiters) and `done` to run
 * from mk_async_dispatch when a block is granted or, for backpressure =
 * "timeout", with MK_ETIMEDOUT at the deadline. backpressure = "fail"
 * returns MK_EFULL instead of queueing; "evict" first reclaims the least
 * recently used evictable block (its eviction callback runs here, on this
 * thread) and queues only when none is evictable. MK_EBUDGET as for
 * mk_async_try_acquire. Call on the loop's thread. */
mk_status_t mk_async_acquire(mk_async_pool_id_t pool, void **block, mk_async_loop_t *loop,
                             mk_async_waiter_t *waiter, mk_async_done_fn done, void *user);

/* Blocks the calling thread until a block is granted (MK_OK), `timeout` ns
 * pass (MK_ETIMEDOUT; the pool's own timeout applies as well), or, for a
 * "fail" pool, returns MK_EFULL at once. MK_ASYNC_FOREVER waits without
 * limit. Single-threaded builds return MK_EFULL instead of waiting. */
mk_status_t mk_async_acquire_blocking(mk_async_pool_id_t pool, void **block, mk_time_t timeout);

/* Gives a block back: to the oldest waiter when there is one, else to the
 * pool. mk_free(block) does the same. Thread-safe. Releasing a block that is
 * being evicted does nothing (the evicting request owns it). */
void mk_async_release(void *block);

/* Eviction (backpressure = "evict"): marks a held block evictable, most
 * recently used. When the pool is empty, a request reclaims the least
 * recently used evictable block: `evict(block, user)` runs first, and from
 * then on the block is no longer the holder's (do not use or release it).
 * When waiters are queued, marking a block evictable evicts it for the
 * oldest one at once. MK_EINVAL for a block of another kind of pool. */
typedef void (*mk_async_evict_fn)(void *block, void *user);
mk_status_t mk_async_set_evictable(void *block, mk_async_evict_fn evict, void *user);

/* Marks an evictable block used now (most recently used). Thread-safe. */
void mk_async_touch(void *block);

/* The block size of a pool, in bytes (0 for an unknown pool). */
size_t mk_async_block_size(mk_async_pool_id_t pool);

/* ---- channels ----------------------------------------------------------------- */

/* A reserved slot of a channel: send through it (cannot fail) or release it. */
typedef struct mk_permit {
    uint32_t channel;
    uint32_t held; /* 1 while the slot is reserved */
} mk_permit_t;

/* A free slot now (MK_OK, *permit held), MK_EFULL, or MK_ECLOSED. Thread-safe. */
mk_status_t mk_channel_try_reserve(mk_async_channel_id_t channel, mk_permit_t *permit);

/* A slot for `waiter`: MK_OK (permit held now), MK_PENDING (queued FIFO;
 * `done` runs with MK_OK once *permit is held, which must stay alive until
 * then, or MK_ETIMEDOUT / MK_ECLOSED), MK_EFULL (backpressure = "fail") or
 * MK_ECLOSED. Call on the loop's thread. */
mk_status_t mk_channel_reserve(mk_async_channel_id_t channel, mk_permit_t *permit, mk_async_loop_t *loop,
                               mk_async_waiter_t *waiter, mk_async_done_fn done, void *user);

/* The blocking variant: MK_OK, MK_ETIMEDOUT, MK_EFULL ("fail") or MK_ECLOSED. */
mk_status_t mk_channel_reserve_blocking(mk_async_channel_id_t channel, mk_permit_t *permit, mk_time_t timeout);

/* Moves `block` (its ownership, not its bytes) into the channel through the
 * permit, which is used up. It cannot fail: the message goes to the oldest
 * waiting receiver, or is queued; on a channel closed since the reserve the
 * block is returned (the channel's drop function, mk_free by default). */
void mk_channel_send(mk_permit_t *permit, void *block, size_t len);

/* Gives an unused permit's slot back (to the oldest waiting sender). */
void mk_channel_permit_release(mk_permit_t *permit);

/* try_reserve + send in one call: MK_OK, MK_EFULL or MK_ECLOSED (the block
 * stays the caller's unless MK_OK). */
mk_status_t mk_channel_try_send(mk_async_channel_id_t channel, void *block, size_t len);

/* The oldest message now (MK_OK), MK_EEMPTY, or MK_ECLOSED. Thread-safe. */
mk_status_t mk_channel_try_recv(mk_async_channel_id_t channel, mk_msg_t *msg);

/* A message for `waiter`: MK_OK with *msg now, MK_PENDING (receivers wait
 * FIFO; `done` gets the message, or MK_ECLOSED) or MK_ECLOSED. */
mk_status_t mk_channel_recv(mk_async_channel_id_t channel, mk_msg_t *msg, mk_async_loop_t *loop,
                            mk_async_waiter_t *waiter, mk_async_done_fn done, void *user);

/* The blocking variant: MK_OK, MK_ETIMEDOUT or MK_ECLOSED. */
mk_status_t mk_channel_recv_blocking(mk_async_channel_id_t channel, mk_msg_t *msg, mk_time_t timeout);

/* Closes the channel: later reserves and receives fail with MK_ECLOSED, every
 * waiting sender and receiver completes with MK_ECLOSED, and the messages
 * still queued are returned through the drop function (nothing leaks).
 * Returns how many were. Permits still held stay valid; their sends return
 * the block. A closed channel stays closed until mk_shutdown. Thread-safe. */
size_t mk_channel_close(mk_async_channel_id_t channel);

/* How a channel returns a block it cannot deliver (close, send after close):
 * NULL restores the default, mk_free. */
typedef void (*mk_channel_drop_fn)(mk_msg_t msg, void *user);
void mk_channel_set_drop(mk_async_channel_id_t channel, mk_channel_drop_fn drop, void *user);

/* Messages queued now. */
size_t mk_channel_len(mk_async_channel_id_t channel);

/* ---- task arenas ----------------------------------------------------------------- */

/* A task's arena: embed it in your task, coroutine frame or job. Its memory
 * belongs to the task, not to a thread: allocate from whatever thread runs
 * the task now (one thread at a time). Fields are private. */
typedef struct mk_task {
    unsigned char *cur_, *end_;   /* bump range in the newest chunk */
    void *chunks_, *oldest_;      /* chunk list, newest first */
    struct mk_task *root_;        /* the task whose chunks serve this one (itself, or its parent's root) */
    uint64_t used_;               /* bytes handed out */
    uint32_t arena_, count_;      /* arena id; chunks owned */
    MK__ATOMIC(uint32_t) children_; /* child tasks drawing from this one */
    MK__ATOMIC(int) lock_;        /* taken while children draw from this task */
} mk_task_t;

/* Starts a task on arena `arena`, with no chunk yet. With a `parent` (begun,
 * same arena), the task draws from its parent's chunks, then safely from any
 * thread, the parent's too; its memory lives until the parent ends. Begin a
 * child where the parent is not allocating at that moment (on the parent's
 * thread, typically: that is where children are spawned). MK_EINVAL for a
 * bad arena or a parent of another arena. */
mk_status_t mk_task_begin(mk_task_t *task, mk_async_arena_id_t arena, mk_task_t *parent);

/* `size` bytes aligned to MKG_ALIGNMENT, from the task's chunk (a bump) or a
 * new chunk from the arena's chunk pool. NULL with mk_last_error() MK_ETOOBIG
 * (larger than a chunk holds), MK_ENOMEM (max_chunks in use) or MK_EBUDGET. */
static inline void *mk_task_alloc(mk_task_t *task, size_t size);

/* Ends a task: every chunk goes back to the arena in one step, O(chunks).
 * MK_EBUSY (nothing freed) while child tasks have not ended; a child's end
 * frees nothing (its memory is its parent's). */
mk_status_t mk_task_end(mk_task_t *task);

/* Moves every chunk (and so every allocation) of `from` to `to`, zero-copy:
 * the producer's results become the consumer's, freed at `to`'s end; `from`
 * is left empty and may allocate again. Both root tasks of the same arena.
 * O(1). */
mk_status_t mk_task_handoff(mk_task_t *from, mk_task_t *to);

/* Bytes handed out and chunks owned by a task. */
uint64_t mk_task_used(const mk_task_t *task);
uint32_t mk_task_chunks(const mk_task_t *task);

/* ---- the async frame guard ------------------------------------------------------- */

/* A hold on a frame: its slot is not reset while the hold is outstanding. */
typedef struct mk_frame_hold {
    uint64_t frame; /* the frame held */
    uint32_t held;  /* 1 until mk_frame_release */
} mk_frame_hold_t;

/* Holds the current frame (mk_frame_index()), whose memory the caller's task
 * keeps using after it suspends. Thread-safe. */
mk_status_t mk_frame_hold(mk_frame_hold_t *hold);

/* Drops a hold (a second call does nothing). When it was the last hold on a
 * frame that mk_begin_frame waits for, that call completes; when it was the
 * last on a frame that mk_begin_frame_try refused, the unheld hook runs. */
void mk_frame_release(mk_frame_hold_t *hold);

/* Holds outstanding on `frame` (0 when it left flight). */
uint32_t mk_frame_holds(uint64_t frame);

/* mk_begin_frame without waiting: MK_OK (the frame began) or MK_EBUSY (the
 * frame whose slot the new one would reuse is still held: nothing changed;
 * retry once the unheld hook ran). mk_begin_frame itself waits for the last
 * hold to drop, reporting ML106 first (single-threaded builds stop with
 * ML106: nothing else could drop it). */
mk_status_t mk_begin_frame_try(void);

/* Runs `fn(user)` when the last hold drops on a frame that mk_begin_frame_try
 * refused (from the releasing thread, outside memkit's locks). NULL: none. */
void mk_frame_set_unheld_hook(void (*fn)(void *user), void *user);

/* ---- inline definitions ----------------------------------------------------------- */

MK__INTERNAL void *mk__task_alloc_slow(mk_task_t *task, size_t size);

static inline void *mk_task_alloc(mk_task_t *task, size_t size)
{
    size_t n = (size + ((size_t)MKG_ALIGNMENT - 1u)) & ~((size_t)MKG_ALIGNMENT - 1u);
    if (MK_LIKELY(task->root_ == task && MK__LOAD_ACQUIRE(task->children_) == 0u && n >= size &&
                  n <= (size_t)(task->end_ - task->cur_))) {
        void *p = task->cur_;
        task->cur_ += n;
        task->used_ += n;
        return p;
    }
    return mk__task_alloc_slow(task, size);
}

MK__API_END

#endif /* MEMKIT_ASYNC_H */

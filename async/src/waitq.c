/* waitq.c — the waiter queues every async object shares: FIFO grants,
 * delivery to a loop or a blocked thread, cancel, deadlines and dispatch.
 *
 * The protocol (checked by tests/async/model/waitq.pml with spin): a grant
 * pops the oldest waiter and completes it under the queue's lock, so a
 * waiter is granted at most once; a cancel takes the queue's lock, then the
 * loop's, and finds the waiter either still queued (unlinked: nothing was
 * granted), READY (unlinked from the ready list: its grant is handed back, to
 * the next waiter or the owner), or DONE (too late). Nothing granted is lost
 * and nothing is granted twice.
 */
#include "async_internal.h"

/* A blocked thread's wake-up. It parks at once: spinning first (256
 * pauses) was measured to cost more than it saved, since under contention
 * the waiters behind the head cannot be granted while they spin
 * (bench/RESULTS.md, issue 9). */
typedef struct mk__parker {
    mk__prim_monitor_t monitor;
    bool signaled;
} mk__parker_t;

static void mk__loop_lock(mk_async_loop_t *loop)
{
    mk__lock((mk__lock_t *)(void *)&loop->lock_);
}

static void mk__loop_unlock(mk_async_loop_t *loop)
{
    mk__unlock((mk__lock_t *)(void *)&loop->lock_);
}

/* The async clock ---------------------------------------------------------- */

void mk_async_set_clock(mk_async_clock_fn now, void *user)
{
    MK__STORE(mk__async.clock_user, user);
    MK__STORE_RELEASE(mk__async.clock, now);
}

mk_time_t mk_async_now(void)
{
    mk_async_clock_fn now = MK__LOAD_ACQUIRE(mk__async.clock);
    return now != NULL ? now(MK__LOAD(mk__async.clock_user)) : mk__prim_now_ns();
}

/* Queues --------------------------------------------------------------------- */

void mk__waitq_init(mk__waitq_t *q, mk__lock_t *lock, uint64_t timeout_ns,
                    void (*hand_back)(mk__waitq_t *, mk_async_waiter_t *), mk__async_counters_t *stats)
{
    memset(q, 0, sizeof *q);
    q->lock = lock;
    q->timeout_ns = timeout_ns;
    q->hand_back = hand_back;
    q->stats = stats;
}

static void mk__list_append(mk_async_waiter_t **head, mk_async_waiter_t **tail, mk_async_waiter_t *w)
{
    w->next_ = NULL;
    w->prev_ = *tail;
    if (*tail != NULL)
        (*tail)->next_ = w;
    else
        *head = w;
    *tail = w;
}

static void mk__list_unlink(mk_async_waiter_t **head, mk_async_waiter_t **tail, mk_async_waiter_t *w)
{
    if (w->prev_ != NULL)
        w->prev_->next_ = w->next_;
    else
        *head = w->next_;
    if (w->next_ != NULL)
        w->next_->prev_ = w->prev_;
    else
        *tail = w->prev_;
    w->prev_ = w->next_ = NULL;
}

void mk__waitq_push(mk__waitq_t *q, mk_async_waiter_t *w, mk_async_loop_t *loop, mk_async_done_fn done, void *user,
                    mk_msg_t slot)
{
    w->user = user;
    MK__STORE(w->queue_, q);
    w->loop_ = loop;
    w->done_ = done;
    w->result_ = slot;
    w->status_ = MK_PENDING;
    w->since_ = mk_async_now();
    /* Loop waiters of a queue share one timeout and one clock, so their
     * deadlines rise from head to tail: expiry stops at the first one due
     * later. Blocking waiters keep their own deadline on their own clock. */
    w->deadline_ = (loop != NULL && q->timeout_ns != 0u) ? w->since_ + q->timeout_ns : MK_ASYNC_FOREVER;
    MK__STORE(w->state_, MK__WAITER_QUEUED);
    mk__list_append(&q->head, &q->tail, w);
    q->count++;
    if (loop != NULL && w->deadline_ != MK_ASYNC_FOREVER) {
        mk__loop_lock(loop);
        loop->timed_++;
        mk__loop_unlock(loop);
        /* the loop's own thread queues its waiters: armed_ is that thread's */
        if (w->deadline_ < loop->armed_ && loop->hooks.timer != NULL) {
            loop->armed_ = w->deadline_;
            loop->hooks.timer(loop->hooks.user, w->deadline_);
        }
    }
}

/* Unlinks a QUEUED waiter (lock held). */
static void mk__waitq_unlink(mk__waitq_t *q, mk_async_waiter_t *w)
{
    mk__list_unlink(&q->head, &q->tail, w);
    q->count--;
    MK__STORE(w->state_, MK__WAITER_IDLE);
    if (w->loop_ != NULL && w->deadline_ != MK_ASYNC_FOREVER) {
        mk__loop_lock(w->loop_);
        w->loop_->timed_--;
        mk__loop_unlock(w->loop_);
    }
}

mk_async_waiter_t *mk__waitq_pop(mk__waitq_t *q)
{
    mk_async_waiter_t *w = q->head;
    if (w != NULL)
        mk__waitq_unlink(q, w);
    return w;
}

void mk__waitq_complete(mk__waitq_t *q, mk_async_waiter_t *w, mk_status_t status, mk_msg_t result)
{
    uint64_t waited = mk_async_now() - w->since_;
    if (waited > q->stats->longest_wait_ns && waited < (uint64_t)INT64_MAX)
        q->stats->longest_wait_ns = waited;
    w->status_ = status;
    w->result_ = result;
    mk_async_loop_t *loop = w->loop_;
    if (loop != NULL) {
        mk__loop_lock(loop);
        MK__STORE(w->state_, MK__WAITER_READY);
        mk__list_append(&loop->ready_head_, &loop->ready_tail_, w);
        if (loop->hooks.wake != NULL)
            loop->hooks.wake(loop->hooks.user);
        mk__loop_unlock(loop);
    } else {
        /* under the queue's lock, which the woken thread takes before it
         * returns: the parker on its stack outlives this */
        mk__parker_t *parker = w->parker_;
        MK__STORE(w->state_, MK__WAITER_READY);
        mk__prim_monitor_lock(&parker->monitor);
        parker->signaled = true;
        mk__prim_monitor_notify_all(&parker->monitor);
        mk__prim_monitor_unlock(&parker->monitor);
    }
}

void mk__waitq_complete_all(mk__waitq_t *q, mk_status_t status)
{
    mk_async_waiter_t *w;
    while ((w = mk__waitq_pop(q)) != NULL)
        mk__waitq_complete(q, w, status, (mk_msg_t){NULL, 0});
}

/* Times out the loop waiters of `q` due at `now` (lock held). */
static void mk__waitq_expire(mk__waitq_t *q, mk_time_t now)
{
    mk_async_waiter_t *w = q->head;
    while (w != NULL) {
        mk_async_waiter_t *next = w->next_;
        if (w->loop_ != NULL) {
            if (w->deadline_ > now)
                break; /* every later loop waiter is due later still */
            mk__waitq_unlink(q, w);
            q->stats->timeouts++;
            mk__waitq_complete(q, w, MK_ETIMEDOUT, (mk_msg_t){NULL, 0});
        }
        w = next;
    }
}

/* The earliest deadline of a loop waiter in `q` (lock held). */
static mk_time_t mk__waitq_next_deadline(const mk__waitq_t *q)
{
    for (const mk_async_waiter_t *w = q->head; w != NULL; w = w->next_)
        if (w->loop_ != NULL)
            return w->deadline_;
    return MK_ASYNC_FOREVER;
}

/* Cancel ------------------------------------------------------------------------ */

mk_status_t mk_async_cancel(mk_async_waiter_t *w)
{
    /* one read: dispatch clears it (line below) while a cancel may race */
    mk__waitq_t *q = w != NULL ? MK__LOAD(w->queue_) : NULL;
    if (q == NULL)
        return MK_ESTATE;
    mk_status_t out = MK_ESTATE;
    mk__lock(q->lock);
    if (MK__LOAD(w->state_) == MK__WAITER_QUEUED) {
        mk__waitq_unlink(q, w);
        q->stats->cancels++;
        out = MK_OK;
    } else if (MK__LOAD(w->state_) == MK__WAITER_READY && w->loop_ != NULL) {
        mk_async_loop_t *loop = w->loop_;
        mk__loop_lock(loop);
        bool withdrawn = MK__LOAD(w->state_) == MK__WAITER_READY; /* dispatch may have taken it meanwhile */
        if (withdrawn) {
            mk__list_unlink(&loop->ready_head_, &loop->ready_tail_, w);
            MK__STORE(w->state_, MK__WAITER_IDLE);
        }
        mk__loop_unlock(loop);
        if (withdrawn) { /* a request ends one way: cancelled, not granted or timed out */
            q->stats->cancels++;
            if (w->status_ == MK_OK)
                q->hand_back(q, w); /* granted to a waiter that gave up: the next one's */
            else if (w->status_ == MK_ETIMEDOUT)
                q->stats->timeouts--;
            out = MK_OK;
        }
    }
    mk__unlock(q->lock);
    return out;
}

/* Dispatch ------------------------------------------------------------------------- */

void mk_async_loop_init(mk_async_loop_t *loop, const mk_async_hooks_t *hooks)
{
    memset(loop, 0, sizeof *loop);
    if (hooks != NULL)
        loop->hooks = *hooks;
    loop->armed_ = MK_ASYNC_FOREVER;
}

/* Expires due waiters of every queue with deadlines; returns the earliest
 * deadline left. */
static mk_time_t mk__async_expire_all(mk_time_t now)
{
    mk_time_t next = MK_ASYNC_FOREVER;
    for (unsigned i = 0; i < mk__async.timed_count; i++) {
        mk__waitq_t *q = mk__async.timed[i];
        mk__lock(q->lock);
        mk__waitq_expire(q, now);
        mk_time_t d = mk__waitq_next_deadline(q);
        mk__unlock(q->lock);
        next = d < next ? d : next;
    }
    return next;
}

size_t mk_async_dispatch(mk_async_loop_t *loop, mk_time_t now)
{
    mk_time_t next = mk__async_expire_all(now);
    size_t ran = 0;
    for (;;) {
        mk__loop_lock(loop);
        mk_async_waiter_t *w = loop->ready_head_;
        if (w != NULL) {
            mk__list_unlink(&loop->ready_head_, &loop->ready_tail_, w);
            MK__STORE(w->state_, MK__WAITER_DONE);
        }
        mk__loop_unlock(loop);
        if (w == NULL)
            break;
        mk__waitq_t *q = MK__LOAD(w->queue_);
        if (q->taken != NULL) {
            mk__lock(q->lock);
            q->taken(q, w);
            mk__unlock(q->lock);
        }
        MK__STORE(w->queue_, NULL); /* the caller's again: a later cancel says MK_ESTATE */
        w->done_(w, w->status_, w->result_);
        ran++;
    }
    /* re-arm: at the earliest deadline of any queue while this loop has timed
     * waiters (perhaps another loop's, earlier: an early wake-up is harmless).
     * Always, not only when the deadline moved: this dispatch may be the
     * one-shot timer firing (early, on a loop with a coarse clock), which
     * leaves nothing armed. */
    mk__loop_lock(loop);
    bool timed = loop->timed_ != 0u;
    mk__loop_unlock(loop);
    if (timed && ran != 0)
        next = mk__async_expire_all(now); /* callbacks may have queued waiters */
    if (loop->hooks.timer != NULL && (timed || loop->armed_ != MK_ASYNC_FOREVER)) {
        loop->armed_ = timed ? next : MK_ASYNC_FOREVER;
        loop->hooks.timer(loop->hooks.user, loop->armed_);
    }
    return ran;
}

/* Blocking waits -------------------------------------------------------------------- */

/* The deadline of a blocking wait of `timeout` ns on a queue (both limits). */
static uint64_t mk__waitq_block_deadline(const mk__waitq_t *q, mk_time_t timeout)
{
    uint64_t limit = timeout;
    if (q->timeout_ns != 0u && q->timeout_ns < limit)
        limit = q->timeout_ns;
    if (limit == MK_ASYNC_FOREVER)
        return UINT64_MAX;
    uint64_t now = mk__prim_now_ns();
    return limit > UINT64_MAX - 1u - now ? UINT64_MAX : now + limit;
}

/* Blocks the calling thread on `w`, just pushed with loop == NULL (lock held
 * on entry, not on return) until it is completed or `deadline_ns`
 * (mk__prim_now_ns) passes; returns its status and sets *result. */
static mk_status_t mk__waitq_block(mk__waitq_t *q, mk_async_waiter_t *w, uint64_t deadline_ns, mk_msg_t *result)
{
    mk__parker_t parker;
    mk__prim_monitor_init(&parker.monitor);
    parker.signaled = false;
    w->parker_ = &parker;
    mk__unlock(q->lock);

    mk__prim_monitor_lock(&parker.monitor);
    while (!parker.signaled && mk__prim_monitor_wait(&parker.monitor, deadline_ns)) {
    }
    mk__prim_monitor_unlock(&parker.monitor);

    mk__lock(q->lock);
    mk_status_t status;
    if (MK__LOAD(w->state_) == MK__WAITER_QUEUED) { /* the deadline passed first */
        mk__waitq_unlink(q, w);
        q->stats->timeouts++;
        status = MK_ETIMEDOUT;
    } else { /* granted, closed: ours, even when the deadline passed meanwhile */
        MK__STORE(w->state_, MK__WAITER_DONE);
        status = w->status_;
        *result = w->result_;
        if (q->taken != NULL)
            q->taken(q, w);
    }
    mk__unlock(q->lock);
    mk__prim_monitor_destroy(&parker.monitor);
    return status;
}

mk_status_t mk__waitq_wait(mk__waitq_t *q, const mk__request_t *r, bool may_wait, mk_status_t refusal, mk_msg_t slot,
                           mk_msg_t *result)
{
    if (r->kind == MK__REQ_TRY || !may_wait || (r->kind == MK__REQ_BLOCKING && !MKG_THREADS)) {
        if (refusal != MK_EEMPTY) /* nothing to receive is no failure */
            q->stats->failures++;
        mk__unlock(q->lock);
        return refusal;
    }
    if (r->kind == MK__REQ_LOOP) {
        mk__waitq_push(q, r->waiter, r->loop, r->done, r->user, slot);
        mk__unlock(q->lock);
        return MK_PENDING;
    }
    mk_async_waiter_t own = {0};
    mk__waitq_push(q, &own, NULL, NULL, NULL, slot);
    return mk__waitq_block(q, &own, mk__waitq_block_deadline(q, r->timeout), result);
}

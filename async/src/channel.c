/* channel.c — bounded zero-copy channels ([async.channel.NAME]).
 *
 * A channel moves the ownership of blocks; it never copies a payload. Its
 * slots are counted three ways, len + reserved + delivering <= capacity:
 * messages queued in the ring, slots held by senders' permits, and messages
 * granted to waiting receivers whose callbacks have not taken them yet. So a
 * receiver that gives up a granted message can always put it back at the
 * front, and a send through a permit always finds room: it cannot fail
 * (Tokio's reserve/commit). mk__channel_pump moves what can move after every
 * change: queued messages to waiting receivers (FIFO), free slots to waiting
 * senders (FIFO).
 */
#include "async_internal.h"

static mk__channel_t *mk__channel_of(mk__waitq_t *q, size_t member)
{
    return (mk__channel_t *)(void *)((unsigned char *)q - member);
}

static uint32_t mk__channel_free_slots(const mk__channel_t *c)
{
    return c->layout->capacity - c->len - c->reserved - c->delivering;
}

static void mk__channel_push_back(mk__channel_t *c, mk_msg_t msg)
{
    c->layout->ring[(c->head + c->len) % c->layout->capacity] = msg;
    c->len++;
    mk__async_count_use(&c->stats, c->len);
}

static mk_msg_t mk__channel_pop_front(mk__channel_t *c)
{
    mk_msg_t msg = c->layout->ring[c->head];
    c->head = (c->head + 1u) % c->layout->capacity;
    c->len--;
    c->stats.releases++;
    mk__async_count_use(&c->stats, c->len);
    return msg;
}

/* Grants a held permit to `permit` (lock held). */
static void mk__channel_grant_permit(mk__channel_t *c, mk_permit_t *permit)
{
    c->reserved++;
    c->stats.grants++;
    permit->channel = (uint32_t)(c - mk__async.channels);
    permit->held = 1u;
}

static void mk__channel_pump(mk__channel_t *c)
{
    while (c->len != 0u && c->receivers.count != 0u) {
        mk_async_waiter_t *w = mk__waitq_pop(&c->receivers);
        c->delivering++;
        mk__waitq_complete(&c->receivers, w, MK_OK, mk__channel_pop_front(c));
    }
    while (mk__channel_free_slots(c) != 0u && c->senders.count != 0u) {
        mk_async_waiter_t *w = mk__waitq_pop(&c->senders);
        mk_permit_t *permit = w->result_.ptr;
        mk__channel_grant_permit(c, permit);
        mk__waitq_complete(&c->senders, w, MK_OK, (mk_msg_t){permit, 0});
    }
}

static void mk__channel_drop(const mk__channel_t *c, mk_msg_t msg)
{
    if (c->drop != NULL)
        c->drop(msg, c->drop_user);
    else
        mk_free(msg.ptr);
}

/* A sender that gave up a granted permit: its slot is free again. */
static void mk__channel_sender_back(mk__waitq_t *q, mk_async_waiter_t *w)
{
    mk__channel_t *c = mk__channel_of(q, offsetof(mk__channel_t, senders));
    mk_permit_t *permit = w->result_.ptr;
    permit->held = 0u;
    c->reserved--;
    c->stats.grants--; /* undone */
    mk__channel_pump(c);
}

/* A receiver that gave up a granted message: it goes back to the front. */
static void mk__channel_receiver_back(mk__waitq_t *q, mk_async_waiter_t *w)
{
    mk__channel_t *c = mk__channel_of(q, offsetof(mk__channel_t, receivers));
    c->delivering--;
    if (c->closed) { /* nobody will receive it now: returned, not leaked */
        mk__channel_drop(c, w->result_);
        return;
    }
    c->head = (c->head + c->layout->capacity - 1u) % c->layout->capacity;
    c->layout->ring[c->head] = w->result_;
    c->len++;
    c->stats.releases--; /* it was not received after all */
    mk__async_count_use(&c->stats, c->len);
    mk__channel_pump(c);
}

static void mk__channel_receiver_taken(mk__waitq_t *q, mk_async_waiter_t *w)
{
    mk__channel_t *c = mk__channel_of(q, offsetof(mk__channel_t, receivers));
    if (w->status_ == MK_OK) {
        c->delivering--;
        mk__channel_pump(c);
    }
}

void mk__channel_init(mk__channel_t *c, const mk_async_channel_layout_t *layout)
{
    memset(c, 0, sizeof *c);
    c->layout = layout;
    uint64_t timeout = layout->backpressure == MK_BACKPRESSURE_TIMEOUT ? layout->timeout_ns : 0u;
    mk__waitq_init(&c->senders, &c->lock, timeout, mk__channel_sender_back, &c->stats);
    mk__waitq_init(&c->receivers, &c->lock, 0u, mk__channel_receiver_back, &c->stats);
    c->receivers.taken = mk__channel_receiver_taken;
}

void mk__channel_fini(mk__channel_t *c)
{
    (void)c;
}

static mk__channel_t *mk__channel_by_id(unsigned channel)
{
#if MKG_ASYNC_CHANNEL_COUNT > 0
    if (mk__rt.initialised && channel < MKG_ASYNC_CHANNEL_COUNT)
        return &mk__async.channels[channel];
#endif
    (void)channel;
    return NULL;
}

/* Senders --------------------------------------------------------------------------- */

static mk_status_t mk__channel_reserve(mk__channel_t *c, mk_permit_t *permit, const mk__request_t *r)
{
    permit->held = 0u;
    mk__lock(&c->lock);
    if (c->closed) {
        c->stats.failures++;
        mk__unlock(&c->lock);
        return MK_ECLOSED;
    }
    if (c->senders.count == 0u && mk__channel_free_slots(c) != 0u) {
        mk__channel_grant_permit(c, permit);
        mk__unlock(&c->lock);
        return MK_OK;
    }
    mk_msg_t got;
    return mk__waitq_wait(&c->senders, r, c->layout->backpressure != MK_BACKPRESSURE_FAIL, MK_EFULL,
                          (mk_msg_t){permit, 0}, &got);
}

mk_status_t mk_channel_try_reserve(mk_async_channel_id_t channel, mk_permit_t *permit)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL || permit == NULL)
        return MK_EINVAL;
    return mk__channel_reserve(c, permit, &(mk__request_t){.kind = MK__REQ_TRY});
}

mk_status_t mk_channel_reserve(mk_async_channel_id_t channel, mk_permit_t *permit, mk_async_loop_t *loop,
                               mk_async_waiter_t *waiter, mk_async_done_fn done, void *user)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL || permit == NULL || loop == NULL || waiter == NULL || done == NULL)
        return MK_EINVAL;
    return mk__channel_reserve(c, permit, &(mk__request_t){MK__REQ_LOOP, loop, waiter, done, user, 0});
}

mk_status_t mk_channel_reserve_blocking(mk_async_channel_id_t channel, mk_permit_t *permit, mk_time_t timeout)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL || permit == NULL)
        return MK_EINVAL;
    return mk__channel_reserve(c, permit, &(mk__request_t){.kind = MK__REQ_BLOCKING, .timeout = timeout});
}

/* The channel of a held permit (panics on a permit that is not held). */
static mk__channel_t *mk__channel_of_permit(mk_permit_t *permit)
{
    mk__channel_t *c = permit != NULL && permit->held == 1u ? mk__channel_by_id(permit->channel) : NULL;
    if (c == NULL)
        mk__panic("memkit: a channel permit used that is not held (used twice, or never reserved)");
    return c;
}

void mk_channel_send(mk_permit_t *permit, void *block, size_t len)
{
    mk__channel_t *c = mk__channel_of_permit(permit);
    mk_msg_t msg = {block, len};
    mk__lock(&c->lock);
    permit->held = 0u;
    c->reserved--;
    bool closed = c->closed;
    if (!closed) {
        mk__channel_push_back(c, msg); /* the permit's slot: always room */
        mk__channel_pump(c);
    }
    mk__unlock(&c->lock);
    if (closed)
        mk__channel_drop(c, msg);
}

void mk_channel_permit_release(mk_permit_t *permit)
{
    mk__channel_t *c = mk__channel_of_permit(permit);
    mk__lock(&c->lock);
    permit->held = 0u;
    c->reserved--;
    mk__channel_pump(c);
    mk__unlock(&c->lock);
}

mk_status_t mk_channel_try_send(mk_async_channel_id_t channel, void *block, size_t len)
{
    mk_permit_t permit;
    mk_status_t status = mk_channel_try_reserve(channel, &permit);
    if (status == MK_OK)
        mk_channel_send(&permit, block, len);
    return status;
}

/* Receivers ---------------------------------------------------------------------------- */

static mk_status_t mk__channel_recv(mk__channel_t *c, mk_msg_t *msg, const mk__request_t *r)
{
    mk__lock(&c->lock);
    if (c->len != 0u) { /* waiting receivers would have taken it: no barging */
        *msg = mk__channel_pop_front(c);
        mk__channel_pump(c);
        mk__unlock(&c->lock);
        return MK_OK;
    }
    if (c->closed) {
        mk__unlock(&c->lock);
        return MK_ECLOSED;
    }
    return mk__waitq_wait(&c->receivers, r, true, MK_EEMPTY, (mk_msg_t){NULL, 0}, msg);
}

mk_status_t mk_channel_try_recv(mk_async_channel_id_t channel, mk_msg_t *msg)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL || msg == NULL)
        return MK_EINVAL;
    return mk__channel_recv(c, msg, &(mk__request_t){.kind = MK__REQ_TRY});
}

mk_status_t mk_channel_recv(mk_async_channel_id_t channel, mk_msg_t *msg, mk_async_loop_t *loop,
                            mk_async_waiter_t *waiter, mk_async_done_fn done, void *user)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL || msg == NULL || loop == NULL || waiter == NULL || done == NULL)
        return MK_EINVAL;
    return mk__channel_recv(c, msg, &(mk__request_t){MK__REQ_LOOP, loop, waiter, done, user, 0});
}

mk_status_t mk_channel_recv_blocking(mk_async_channel_id_t channel, mk_msg_t *msg, mk_time_t timeout)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL || msg == NULL)
        return MK_EINVAL;
    return mk__channel_recv(c, msg, &(mk__request_t){.kind = MK__REQ_BLOCKING, .timeout = timeout});
}

/* Close ---------------------------------------------------------------------------------- */

size_t mk_channel_close(mk_async_channel_id_t channel)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL)
        return 0;
    mk__lock(&c->lock);
    c->closed = true;
    mk__waitq_complete_all(&c->senders, MK_ECLOSED);
    mk__waitq_complete_all(&c->receivers, MK_ECLOSED);
    /* nothing writes the ring of a closed channel: drop what it holds unlocked */
    uint32_t head = c->head, n = c->len;
    c->len = 0;
    mk__async_count_use(&c->stats, 0);
    mk__unlock(&c->lock);
    for (uint32_t i = 0; i < n; i++)
        mk__channel_drop(c, c->layout->ring[(head + i) % c->layout->capacity]);
    return n;
}

void mk_channel_set_drop(mk_async_channel_id_t channel, mk_channel_drop_fn drop, void *user)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL)
        return;
    mk__lock(&c->lock);
    c->drop = drop;
    c->drop_user = user;
    mk__unlock(&c->lock);
}

size_t mk_channel_len(mk_async_channel_id_t channel)
{
    mk__channel_t *c = mk__channel_by_id((unsigned)channel);
    if (c == NULL)
        return 0;
    mk__lock(&c->lock);
    size_t n = c->len;
    mk__unlock(&c->lock);
    return n;
}

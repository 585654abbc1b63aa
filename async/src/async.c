/* async.c — the async tier's state: init and shutdown with the runtime, the
 * budget policy of async requests, and what mk_stats reports of the tier. */
#include "async_internal.h"

mk__async_state_t mk__async;

mk_status_t mk__async_init(void)
{
    const mk_config_t *cfg = mk__rt.config;
    mk_async_clock_fn clock = MK__LOAD(mk__async.clock); /* a test clock outlives re-inits */
    void *clock_user = MK__LOAD(mk__async.clock_user);
    memset(&mk__async, 0, sizeof mk__async);
    MK__STORE(mk__async.clock, clock);
    MK__STORE(mk__async.clock_user, clock_user);
    mk__frame_guard_init();
    for (unsigned i = 0; i < mk__async_pool_total(); i++) {
        mk_status_t status = mk__apool_init(&mk__async.pools[i], &cfg->async_pools[i]);
        if (status != MK_OK)
            return status; /* mk__async_fini unmaps what was mapped */
        if (mk__async.pools[i].q.timeout_ns != 0u)
            mk__async.timed[mk__async.timed_count++] = &mk__async.pools[i].q;
    }
    for (unsigned i = 0; i < mk__async_user_pools(); i++) { /* by base address: each pool at its rank */
        unsigned rank = 0;
        for (unsigned j = 0; j < mk__async_user_pools(); j++)
            rank += (uintptr_t)mk__async.pools[j].base < (uintptr_t)mk__async.pools[i].base;
        mk__async.by_base[rank] = (uint8_t)i; /* distinct pools, distinct bases */
    }
    mk__async.by_base_count = mk__async_user_pools();
    for (unsigned i = 0; i < mk__async_channel_total(); i++) {
        mk__channel_init(&mk__async.channels[i], &cfg->async_channels[i]);
        if (mk__async.channels[i].senders.timeout_ns != 0u)
            mk__async.timed[mk__async.timed_count++] = &mk__async.channels[i].senders;
    }
    return MK_OK;
}

void mk__async_fini(void)
{
    for (unsigned i = 0; i < mk__async_pool_total(); i++)
        mk__apool_fini(&mk__async.pools[i]);
    for (unsigned i = 0; i < mk__async_channel_total(); i++)
        mk__channel_fini(&mk__async.channels[i]);
    mk__async.timed_count = 0;
    mk__frame_guard_fini();
}

/* Channels first: a channel's lock may be held while a block is freed into a pool. */
void mk__async_fork_prepare(void)
{
    mk__frame_guard_fork_prepare();
    for (unsigned i = 0; i < mk__async_channel_total(); i++)
        mk__lock(&mk__async.channels[i].lock);
    for (unsigned i = 0; i < mk__async_pool_total(); i++)
        mk__lock(&mk__async.pools[i].lock);
}

void mk__async_fork_parent(void)
{
    for (unsigned i = mk__async_pool_total(); i-- > 0;)
        mk__unlock(&mk__async.pools[i].lock);
    for (unsigned i = mk__async_channel_total(); i-- > 0;)
        mk__unlock(&mk__async.channels[i].lock);
    mk__frame_guard_fork_parent();
}

bool mk__async_refused(unsigned intent, size_t bytes)
{
    const mk_route_t *route = &mk__rt.config->routes[intent];
    switch ((mk_policy_t)route->on_exhausted) {
    case MK_POLICY_PANIC: {
        char message[160];
        mk__format(message, sizeof message, "memkit: intent '%s': async request of %zu bytes: %s",
                 mk_intent_name((mk_intent_t)intent), bytes, mk_status_str(MK_EBUDGET));
        mk__panic(message);
    }
    case MK_POLICY_CALLBACK: {
        mk_oom_handler_t handler = MK__LOAD_ACQUIRE(mk__rt.oom_handler);
        return handler != NULL && handler((mk_intent_t)intent, bytes, MK_EBUDGET, MK__LOAD(mk__rt.oom_user)) != 0;
    }
    default:
        return false;
    }
}

/* Statistics --------------------------------------------------------------------------- */

static void mk__async_fill(mk_async_stats_t *out, const char *name, uint8_t kind, int intent, uint64_t capacity,
                           uint64_t unit_bytes, const mk__async_counters_t *c, uint32_t waiters)
{
    out->name = name;
    out->kind = kind;
    out->intent = intent;
    out->capacity = capacity;
    out->unit_bytes = unit_bytes;
    out->in_use = c->in_use;
    out->peak = c->peak;
    out->waiters = waiters;
    out->grants = c->grants;
    out->releases = c->releases;
    out->timeouts = c->timeouts;
    out->evictions = c->evictions;
    out->failures = c->failures;
    out->cancels = c->cancels;
    out->longest_wait_ns = c->longest_wait_ns;
}

size_t mk__async_stats(mk_async_stats_t *out)
{
    size_t n = 0;
    for (unsigned i = 0; i < mk__async_pool_total(); i++, n++) {
        mk__apool_t *p = &mk__async.pools[i];
        mk__lock(&p->lock);
        mk__async_fill(&out[n], p->layout->name, (uint8_t)(i < mk__async_user_pools() ? MK_ASYNC_KIND_POOL : MK_ASYNC_KIND_ARENA),
                       p->layout->intent, p->layout->count, p->layout->block, &p->stats, p->q.count);
        mk__unlock(&p->lock);
    }
    for (unsigned i = 0; i < mk__async_channel_total(); i++, n++) {
        mk__channel_t *c = &mk__async.channels[i];
        mk__lock(&c->lock);
        mk__async_fill(&out[n], c->layout->name, (uint8_t)MK_ASYNC_KIND_CHANNEL, -1, c->layout->capacity, 0, &c->stats,
                       c->senders.count + c->receivers.count);
        mk__unlock(&c->lock);
    }
    return n;
}

int64_t mk__async_live(unsigned intent)
{
    int64_t live = 0;
    for (unsigned i = 0; i < mk__async_pool_total(); i++) {
        mk__apool_t *p = &mk__async.pools[i];
        if (p->layout == NULL || p->layout->intent != intent)
            continue;
        mk__lock(&p->lock);
        live += (int64_t)(p->layout->count - p->top) * (int64_t)p->layout->block;
        mk__unlock(&p->lock);
    }
    return live;
}

void mk__async_intent_counts(unsigned intent, uint64_t *allocations, uint64_t *frees, uint64_t *failures)
{
    for (unsigned i = 0; i < mk__async_pool_total(); i++) {
        mk__apool_t *p = &mk__async.pools[i];
        if (p->layout == NULL || p->layout->intent != intent)
            continue;
        mk__lock(&p->lock);
        *allocations += p->stats.grants;
        *frees += p->stats.releases;
        *failures += p->stats.failures;
        mk__unlock(&p->lock);
    }
}

size_t mk__async_live_blocks(void)
{
    size_t live = 0;
    for (unsigned i = 0; i < mk__async_pool_total(); i++) {
        mk__apool_t *p = &mk__async.pools[i];
        if (p->layout == NULL)
            continue;
        mk__lock(&p->lock);
        live += p->layout->count - p->top;
        mk__unlock(&p->lock);
    }
    return live;
}

/* Validation (mk_validate) ------------------------------------------------------------- */

/* A queue's list agrees with its count, each waiter queued on it (lock held). */
static const char *mk__waitq_check(const mk__waitq_t *q)
{
    uint32_t n = 0;
    for (const mk_async_waiter_t *w = q->head; w != NULL; w = w->next_, n++) {
        if (n >= q->count)
            return "more waiters than counted (or a cycle)";
        if (MK__LOAD(w->state_) != MK__WAITER_QUEUED || MK__LOAD(w->queue_) != q)
            return "a waiter in the queue is not marked queued on it";
        if ((w->next_ == NULL) != (w == q->tail))
            return "the tail is not the last waiter";
    }
    return n == q->count ? NULL : "fewer waiters than counted";
}

static const char *mk__apool_check(const mk__apool_t *p)
{
    if (p->top > p->layout->count)
        return "more free blocks than blocks";
    for (uint32_t i = 0; i < p->top; i++)
        if (p->stack[i] >= p->layout->count)
            return "a free-stack entry is not a block index";
    if (p->q.count != 0u && p->top != 0u)
        return "waiters queued while blocks are free";
    return mk__waitq_check(&p->q);
}

static const char *mk__channel_check(const mk__channel_t *c)
{
    if ((uint64_t)c->len + c->reserved + c->delivering > c->layout->capacity || c->head >= c->layout->capacity)
        return "queued, reserved and delivering slots exceed the capacity";
    if (c->len != 0u && c->receivers.count != 0u)
        return "receivers wait while messages are queued";
    const char *problem = mk__waitq_check(&c->senders);
    return problem != NULL ? problem : mk__waitq_check(&c->receivers);
}

bool mk__async_validate(const mk__out_t *report)
{
    bool ok = true;
    for (unsigned i = 0; i < mk__async_pool_total(); i++) {
        mk__apool_t *p = &mk__async.pools[i];
        mk__lock(&p->lock);
        const char *problem = mk__apool_check(p);
        mk__unlock(&p->lock);
        if (problem != NULL && report != NULL)
            mk__outf(report, "memkit: async %s '%s': %s", i < mk__async_user_pools() ? "pool" : "arena",
                     p->layout->name, problem);
        ok = ok && problem == NULL;
    }
    for (unsigned i = 0; i < mk__async_channel_total(); i++) {
        mk__channel_t *c = &mk__async.channels[i];
        mk__lock(&c->lock);
        const char *problem = mk__channel_check(c);
        mk__unlock(&c->lock);
        if (problem != NULL && report != NULL)
            mk__outf(report, "memkit: async channel '%s': %s", c->layout->name, problem);
        ok = ok && problem == NULL;
    }
    return ok;
}

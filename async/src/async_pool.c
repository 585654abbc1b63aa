/* async_pool.c — fixed blocks with backpressure ([async.pool.NAME]), and the
 * chunk pools of task arenas.
 *
 * One lock guards a pool's free stack, its waiter queue and, for evict pools,
 * its LRU list of evictable blocks. Free blocks are a stack of indices (block
 * memory is never written while free); it starts in address order. A request
 * takes a free block only when nobody waits (FIFO: no barging past an old
 * waiter); a release hands its block straight to the oldest waiter, so a
 * block stays charged to the intent's budget from its first grant to its
 * return to the stack.
 */
#include "async_internal.h"

#define MK__SLOT_HELD 0u      /* evict pools: held, not evictable (or free) */
#define MK__SLOT_EVICTABLE 1u /* held, in the LRU list */
#define MK__SLOT_EVICTING 2u  /* its eviction callback is running */

static mk__apool_t *mk__apool_of_queue(mk__waitq_t *q)
{
    return (mk__apool_t *)(void *)((unsigned char *)q - offsetof(mk__apool_t, q));
}

static void *mk__apool_block(const mk__apool_t *p, uint32_t index)
{
    return p->base + (size_t)index * p->block;
}

/* Block index from an offset: a shift for power-of-two blocks (most), else a division. */
static size_t mk__apool_div(const mk__apool_t *p, size_t off)
{
    return p->shift != 0u ? off >> p->shift : off / p->block;
}

static uint32_t mk__apool_index(const mk__apool_t *p, const void *block)
{
    return (uint32_t)mk__apool_div(p, (size_t)((const unsigned char *)block - p->base));
}

static void mk__apool_count(mk__apool_t *p)
{
    mk__async_count_use(&p->stats, (uint64_t)(p->layout->count - p->top));
}

/* LRU list of evictable blocks (evict pools; lock held) ------------------------- */

static void mk__lru_unlink(mk__apool_t *p, uint32_t i)
{
    mk_async_block_slot_t *s = &p->slots[i];
    if (s->prev != 0u)
        p->slots[s->prev - 1u].next = s->next;
    else
        p->lru_first = s->next;
    if (s->next != 0u)
        p->slots[s->next - 1u].prev = s->prev;
    else
        p->lru_last = s->prev;
    s->prev = s->next = 0u;
}

static void mk__lru_append(mk__apool_t *p, uint32_t i)
{
    mk_async_block_slot_t *s = &p->slots[i];
    s->prev = p->lru_last;
    s->next = 0u;
    if (p->lru_last != 0u)
        p->slots[p->lru_last - 1u].next = i + 1u;
    else
        p->lru_first = i + 1u;
    p->lru_last = i + 1u;
}

/* Free blocks (lock held) ---------------------------------------------------------- */

/* A block back: to the oldest waiter (it stays charged), else to the stack. */
static void mk__apool_put_locked(mk__apool_t *p, void *block)
{
    mk_async_waiter_t *w = p->q.head != NULL ? mk__waitq_pop(&p->q) : NULL;
    if (w != NULL) {
        p->stats.grants++;
        mk__waitq_complete(&p->q, w, MK_OK, (mk_msg_t){block, (size_t)p->layout->block});
        return;
    }
    if (p->top >= p->layout->count)
        mk__panic("memkit: an async pool got back more blocks than it has (a block released twice?)");
    p->stack[p->top++] = mk__apool_index(p, block);
    if (MK__LEASED(p->layout->intent)) /* an unbudgeted intent costs no call */
        mk__budget_ungrab(p->layout->intent, (int64_t)p->layout->block);
    mk__apool_count(p);
}

static void mk__apool_hand_back(mk__waitq_t *q, mk_async_waiter_t *w)
{
    mk__apool_t *p = mk__apool_of_queue(q);
    p->stats.grants--; /* undone: grants count blocks that reached their requester */
    mk__apool_put_locked(p, w->result_.ptr);
}

/* Init ---------------------------------------------------------------------------------- */

mk_status_t mk__apool_init(mk__apool_t *p, const mk_async_pool_layout_t *layout)
{
    memset(p, 0, sizeof *p);
    p->layout = layout;
    size_t count = layout->count;
    bool evict = layout->backpressure == MK_BACKPRESSURE_EVICT;
    if (layout->storage_kind == MK_STORAGE_RESERVE) {
        /* in 64 bits first: the generator bounds count x block by 1024 GiB */
        uint64_t wide = layout->block * (uint64_t)count;
        if (!mk__size_fits(wide + (uint64_t)count * (sizeof(uint32_t) + sizeof(mk_async_block_slot_t)) + 15u))
            return MK_ERANGE;
        size_t data = (size_t)wide;
        size_t stack = (count * sizeof(uint32_t) + 15u) & ~(size_t)15u;
        p->mapped_bytes = data + stack + (evict ? count * sizeof(mk_async_block_slot_t) : 0u);
        p->mapped = mk__prim_reserve(p->mapped_bytes);
        if (p->mapped == NULL)
            return MK_ESYSTEM;
        p->base = p->mapped;
        p->stack = (uint32_t *)(void *)(p->mapped + data);
        p->slots = evict ? (mk_async_block_slot_t *)(void *)(p->mapped + data + stack) : NULL;
    } else {
        p->base = layout->storage;
        p->stack = layout->free_stack;
        p->slots = layout->slots;
        if (evict)
            memset(p->slots, 0, count * sizeof *p->slots);
    }
    p->block = (size_t)layout->block;
    p->bytes = p->block * count;
    p->shift = (p->block & (p->block - 1u)) == 0u ? (unsigned)mk__ctz64(p->block) : 0u;
    if (layout->prefault)
        mk__prim_prefault(p->base, p->bytes);
    for (uint32_t i = 0; i < layout->count; i++)
        p->stack[i] = layout->count - 1u - i; /* the lowest address on top */
    p->top = layout->count;
    mk__waitq_init(&p->q, &p->lock, layout->backpressure == MK_BACKPRESSURE_TIMEOUT ? layout->timeout_ns : 0u,
                   mk__apool_hand_back, &p->stats);
    return MK_OK;
}

void mk__apool_fini(mk__apool_t *p)
{
    if (p->mapped != NULL)
        mk__prim_release(p->mapped, p->mapped_bytes);
    p->mapped = NULL;
}

/* Requests --------------------------------------------------------------------------------- */

/* Reclaims the least recently used evictable block for the caller (lock held
 * on entry, not on return): its holder's callback runs first. */
static void *mk__apool_evict(mk__apool_t *p)
{
    uint32_t i = p->lru_first - 1u;
    mk_async_block_slot_t *s = &p->slots[i];
    mk__lru_unlink(p, i);
    s->state = MK__SLOT_EVICTING;
    mk_async_evict_fn evict = s->evict;
    void *user = s->user;
    p->stats.evictions++;
    mk__unlock(&p->lock);
    void *block = mk__apool_block(p, i);
    evict(block, user);
    mk__lock(&p->lock);
    s->state = MK__SLOT_HELD;
    mk__unlock(&p->lock);
    return block;
}

static mk_status_t mk__apool_request(mk__apool_t *p, void **block, const mk__request_t *r)
{
    const mk_async_pool_layout_t *l = p->layout;
    for (int attempt = 0;; attempt++) {
        mk__lock(&p->lock);
        if (p->q.count == 0u && p->top > 0u) { /* nobody waits: no barging past the queue */
            if (MK__LEASED(l->intent) && !mk__budget_grab(l->intent, (int64_t)l->block)) {
                p->stats.failures++;
                mk__unlock(&p->lock);
                if (attempt == 0 && mk__async_refused(l->intent, (size_t)l->block))
                    continue;
                return MK_EBUDGET;
            }
            *block = mk__apool_block(p, p->stack[--p->top]);
            p->stats.grants++;
            mk__apool_count(p);
            mk__unlock(&p->lock);
            return MK_OK;
        }
        if (r->kind != MK__REQ_TRY && l->backpressure == MK_BACKPRESSURE_EVICT && p->q.count == 0u &&
            p->lru_first != 0u) {
            p->stats.grants++;
            *block = mk__apool_evict(p); /* it stays charged: the intent is the same */
            return MK_OK;
        }
        mk_msg_t got = {NULL, 0};
        mk_status_t status = mk__waitq_wait(&p->q, r, l->backpressure != MK_BACKPRESSURE_FAIL, MK_EFULL, got, &got);
        if (status == MK_OK)
            *block = got.ptr;
        return status;
    }
}

static mk__apool_t *mk__apool_by_id(unsigned pool)
{
#if MKG_ASYNC_POOL_COUNT > 0
    if (mk__rt.initialised && pool < MKG_ASYNC_POOL_COUNT)
        return &mk__async.pools[pool];
#endif
    (void)pool;
    return NULL;
}

mk_status_t mk_async_try_acquire(mk_async_pool_id_t pool, void **block)
{
    mk__apool_t *p = mk__apool_by_id((unsigned)pool);
    if (p == NULL || block == NULL)
        return MK_EINVAL;
    /* the common case inline: nobody waits, a block is free, the budget agrees */
    unsigned intent = p->layout->intent;
    mk__lock(&p->lock);
    if (MK_LIKELY(p->q.head == NULL && p->top > 0u) &&
        (!MK__LEASED(intent) || mk__budget_grab(intent, (int64_t)p->block))) {
        *block = mk__apool_block(p, p->stack[--p->top]);
        p->stats.grants++;
        mk__apool_count(p);
        mk__unlock(&p->lock);
        return MK_OK;
    }
    mk__unlock(&p->lock);
    return mk__apool_request(p, block, &(mk__request_t){.kind = MK__REQ_TRY}); /* refusals, policies */
}

mk_status_t mk_async_acquire(mk_async_pool_id_t pool, void **block, mk_async_loop_t *loop,
                             mk_async_waiter_t *waiter, mk_async_done_fn done, void *user)
{
    mk__apool_t *p = mk__apool_by_id((unsigned)pool);
    if (p == NULL || block == NULL || loop == NULL || waiter == NULL || done == NULL)
        return MK_EINVAL;
    return mk__apool_request(p, block, &(mk__request_t){MK__REQ_LOOP, loop, waiter, done, user, 0});
}

mk_status_t mk_async_acquire_blocking(mk_async_pool_id_t pool, void **block, mk_time_t timeout)
{
    mk__apool_t *p = mk__apool_by_id((unsigned)pool);
    if (p == NULL || block == NULL)
        return MK_EINVAL;
    return mk__apool_request(p, block, &(mk__request_t){.kind = MK__REQ_BLOCKING, .timeout = timeout});
}

/* The user pool that holds `block`, or NULL (task-arena chunks excluded): a
 * binary search of the pools by address (mk__async.by_base). */
static mk__apool_t *mk__apool_find(const void *block)
{
    unsigned lo = 0, hi = mk__async.by_base_count;
    while (lo < hi) { /* the first pool whose base is above `block` */
        unsigned mid = (lo + hi) / 2u;
        if ((uintptr_t)mk__async.pools[mk__async.by_base[mid]].base <= (uintptr_t)block)
            lo = mid + 1u;
        else
            hi = mid;
    }
    if (lo == 0)
        return NULL;
    mk__apool_t *p = &mk__async.pools[mk__async.by_base[lo - 1u]];
    size_t off = (size_t)((uintptr_t)block - (uintptr_t)p->base);
    if (off >= p->bytes)
        return NULL;
    if (mk__apool_div(p, off) * p->block != off)
        mk__panic("memkit: mk_async_release of a pointer inside an async block, not its start");
    return p;
}

bool mk__async_release_owned(void *block)
{
    mk__apool_t *p = mk__apool_find(block);
    if (p == NULL)
        return false;
    mk__lock(&p->lock);
    if (MK_LIKELY(p->slots == NULL && p->q.head == NULL && p->top < p->layout->count)) {
        /* the common case inline: back on the stack */
        p->stack[p->top++] = mk__apool_index(p, block);
        if (MK__LEASED(p->layout->intent))
            mk__budget_ungrab(p->layout->intent, (int64_t)p->block);
        p->stats.releases++;
        mk__apool_count(p);
        mk__unlock(&p->lock);
        return true;
    }
    if (p->slots != NULL) {
        mk_async_block_slot_t *s = &p->slots[mk__apool_index(p, block)];
        if (s->state == MK__SLOT_EVICTING) { /* the evicting request owns it now */
            mk__unlock(&p->lock);
            return true;
        }
        if (s->state == MK__SLOT_EVICTABLE)
            mk__lru_unlink(p, mk__apool_index(p, block));
        s->state = MK__SLOT_HELD;
    }
    p->stats.releases++;
    mk__apool_put_locked(p, block);
    mk__unlock(&p->lock);
    return true;
}

void mk_async_release(void *block)
{
    if (block != NULL && !mk__async_release_owned(block))
        mk__panic("memkit: mk_async_release of a block that no async pool holds");
}

size_t mk_async_block_size(mk_async_pool_id_t pool)
{
    mk__apool_t *p = mk__apool_by_id((unsigned)pool);
    return p != NULL ? (size_t)p->layout->block : 0u;
}

size_t mk__async_block_size_of(const void *block)
{
    mk__apool_t *p = mk__apool_find(block);
    return p != NULL ? (size_t)p->layout->block : 0u;
}

/* Eviction ------------------------------------------------------------------------------------ */

mk_status_t mk_async_set_evictable(void *block, mk_async_evict_fn evict, void *user)
{
    mk__apool_t *p = block != NULL ? mk__apool_find(block) : NULL;
    if (p == NULL || p->slots == NULL || evict == NULL)
        return MK_EINVAL;
    uint32_t i = mk__apool_index(p, block);
    mk__lock(&p->lock);
    mk_async_block_slot_t *s = &p->slots[i];
    if (s->state == MK__SLOT_EVICTING) {
        mk__unlock(&p->lock);
        return MK_ESTATE;
    }
    if (s->state == MK__SLOT_EVICTABLE)
        mk__lru_unlink(p, i);
    s->evict = evict;
    s->user = user;
    s->state = MK__SLOT_EVICTABLE;
    mk__lru_append(p, i);
    if (p->q.count != 0u) { /* someone waits for exactly this: evict it for them now */
        mk__apool_evict(p);
        mk__lock(&p->lock);
        mk__apool_put_locked(p, block);
        mk__unlock(&p->lock);
        return MK_OK;
    }
    mk__unlock(&p->lock);
    return MK_OK;
}

void mk_async_touch(void *block)
{
    mk__apool_t *p = block != NULL ? mk__apool_find(block) : NULL;
    if (p == NULL || p->slots == NULL)
        return;
    uint32_t i = mk__apool_index(p, block);
    mk__lock(&p->lock);
    if (p->slots[i].state == MK__SLOT_EVICTABLE) {
        mk__lru_unlink(p, i);
        mk__lru_append(p, i);
    }
    mk__unlock(&p->lock);
}

/* Chunk pools of task arenas ------------------------------------------------------------------------ */

mk_status_t mk__apool_take(mk__apool_t *p, void **block)
{
    mk_status_t status = mk__apool_request(p, block, &(mk__request_t){.kind = MK__REQ_TRY});
    return status == MK_EFULL ? MK_ENOMEM : status;
}

void mk__apool_give_chain(mk__apool_t *p, void *first)
{
    mk__lock(&p->lock);
    for (void *block = first; block != NULL;) {
        void *next = *(void **)block;
        p->stats.releases++;
        mk__apool_put_locked(p, block);
        block = next;
    }
    mk__unlock(&p->lock);
}

/* recall.c — taking budget leases and cached pool blocks back from other
 * threads' slots, and fork() safety, both by stopping slots.
 *
 * A thread keeps unused budget (its leases) and free pool blocks (its caches)
 * in its own slot, touched without atomic read-modify-writes. An idle thread
 * would hold them for good: a budget or a pool class would fail while nothing
 * is in use. Before failing, the allocating thread recalls them.
 *
 * Protocol (who writes what):
 * - `busy` is written by the slot's owner only: raised (store) around every
 *   touch of its leases and caches, then `stop` is read (fastpath.h
 *   mk__slot_enter; mk__slot_enter_wait in slow paths, which may nest).
 * - `stop` is written by the recalling thread only, under recall_lock: raised,
 *   then every thread of the process executes a full memory barrier
 *   (mk__prim_fence_others: membarrier), then the recaller waits for `busy` to
 *   read 0 (acquire). The barrier orders the owner's store of `busy` before
 *   its load of `stop` as seen by the recaller: either the owner saw `stop`
 *   (and backs off: its fast path goes slow, its slow path waits), or the
 *   recaller sees its `busy` and waits until the operation is over. Either way
 *   the recaller then owns the slot's leases and caches until it drops `stop`
 *   (release), which the owner's next acquire load of `stop` pairs with.
 * - A recaller enters no slot of its own while it holds recall_lock, and
 *   never waits for one while it is inside its own slot: two recallers
 *   cannot wait for each other.
 *
 * fork(): the prepare handler stops every slot and takes every lock, so the
 * child starts with consistent lists; the child keeps only the forking
 * thread's slot and releases the others like slots of exited threads.
 *
 * Where the OS cannot fence other threads (no membarrier), nothing is
 * recalled: budgets and classes then fail as before while idle threads hold
 * leases or cached blocks (docs/architecture.md).
 */
#include "internal.h"

#if MKG_THREADS

/* Locks of the other modules, taken around fork() (registered at mk_init). */
#define MK__FORK_LOCKS 64
static mk__lock_t *mk__fork_locks[MK__FORK_LOCKS];
static unsigned mk__fork_lock_count;

void mk__fork_lock_register(mk__lock_t *lock)
{
    if (mk__fork_lock_count < MK__FORK_LOCKS)
        mk__fork_locks[mk__fork_lock_count++] = lock;
    else
        mk__panic("more module locks than recall.c can hold across fork()");
}

void mk__recall_init(void)
{
    mk__fork_lock_count = 0;
    mk__rt.recall_ready = mk__prim_fence_others_init();
    mk__prim_fork_init(mk__fork_prepare, mk__fork_parent, mk__fork_child);
}

void mk__slot_wait(mk__thread_t *t)
{
    /* a recall holds the slot: step out until it is done, then enter again */
    do {
        MK__STORE_RELEASE(t->busy, 0u);
        while (MK__LOAD_ACQUIRE(t->stop) != 0u)
            mk__prim_yield();
        MK__STORE(t->busy, 1u);
        atomic_signal_fence(memory_order_seq_cst);
    } while (MK__LOAD_ACQUIRE(t->stop) != 0u);
}

/* Raises `stop` on the slots that `wanted` selects (and that are in use),
 * fences every thread, and waits until none of them is inside an operation.
 * Returns how many it stopped; `stopped` lists them. */
static uint32_t mk__stop_slots(bool (*wanted)(const mk__thread_t *t, unsigned what), unsigned what,
                               mk__thread_t **stopped)
{
    mk__thread_t *self = mk__self;
    uint32_t count = 0;
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++) {
        mk__thread_t *t = &mk__rt.threads[i].hot;
        uint32_t state = MK__LOAD_ACQUIRE(mk__rt.thread_taken[i]);
        if (t == self || state == MK__SLOT_FREE || !wanted(t, what))
            continue;
        atomic_store_explicit(&t->stop, 1u, memory_order_seq_cst);
        stopped[count++] = t;
    }
    if (count == 0)
        return 0;
    mk__prim_fence_others();
    for (uint32_t i = 0; i < count; i++)
        while (MK__LOAD_ACQUIRE(stopped[i]->busy) != 0u)
            mk__prim_yield(); /* an operation in progress, maybe preempted */
    MK__ASSERT(count < MKG_MAX_THREADS);
    return count;
}

static void mk__resume_slots(mk__thread_t **stopped, uint32_t count)
{
    for (uint32_t i = 0; i < count; i++)
        MK__STORE_RELEASE(stopped[i]->stop, 0u);
}

/* Stops the slots that hold something `holds` selects, hands each to `take`,
 * and lets them go on; true when any held something. */
bool mk__recall(bool (*holds)(const mk__thread_t *t, unsigned what), void (*take)(mk__thread_t *t, unsigned what),
                unsigned what)
{
    if (!mk__rt.recall_ready)
        return false;
    mk__thread_t *stopped[MKG_MAX_THREADS];
    mk__lock(&mk__rt.recall_lock);
    uint32_t count = mk__stop_slots(holds, what, stopped);
    for (uint32_t i = 0; i < count; i++)
        take(stopped[i], what);
    mk__resume_slots(stopped, count);
    mk__unlock(&mk__rt.recall_lock);
    return count > 0;
}

static bool mk__holds_lease(const mk__thread_t *t, unsigned intent)
{
    return MK__LOAD(t->lease[intent]) > 0;
}

bool mk__recall_leases(unsigned intent)
{
    return mk__recall(mk__holds_lease, mk__lease_return, intent);
}

#if MKG_CLASS_COUNT > 0
static bool mk__holds_blocks(const mk__thread_t *t, unsigned cls)
{
    return MK__LOAD(t->cache[cls].count) > 0u;
}

bool mk__recall_cache(unsigned cls)
{
    return mk__recall(mk__holds_blocks, mk__pool_flush_class, cls);
}
#else
bool mk__recall_cache(unsigned cls)
{
    (void)cls;
    return false;
}
#endif

/* ---- fork() ---------------------------------------------------------------- */

static mk__thread_t *mk__fork_stopped[MKG_MAX_THREADS];
static uint32_t mk__fork_stopped_count;
static bool mk__fork_held;

static bool mk__any_slot(const mk__thread_t *t, unsigned unused)
{
    (void)t;
    (void)unused;
    return true;
}

void mk__fork_prepare(void)
{
    mk__fork_held = mk__rt.initialised;
    if (!mk__fork_held)
        return;
    mk__lock(&mk__rt.recall_lock);
    mk__fork_stopped_count = mk__stop_slots(mk__any_slot, 0, mk__fork_stopped);
    for (unsigned i = 0; i < mk__fork_lock_count; i++)
        mk__lock(mk__fork_locks[i]);
    mk__async_fork_prepare();
#if MKG_CLASS_COUNT > 0
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++)
        mk__lock(&mk__rt.classes[c].lock);
#endif
    mk__lock(&mk__rt.heap_lock);
}

void mk__fork_parent(void)
{
    if (!mk__fork_held)
        return;
    mk__unlock(&mk__rt.heap_lock);
#if MKG_CLASS_COUNT > 0
    for (unsigned c = MKG_CLASS_COUNT; c-- > 0;)
        mk__unlock(&mk__rt.classes[c].lock);
#endif
    mk__async_fork_parent();
    for (unsigned i = mk__fork_lock_count; i-- > 0;)
        mk__unlock(mk__fork_locks[i]);
    mk__resume_slots(mk__fork_stopped, mk__fork_stopped_count);
    mk__unlock(&mk__rt.recall_lock);
}

void mk__fork_child(void)
{
    if (!mk__fork_held)
        return;
    /* the only thread: every lock is ours, every other slot's thread is gone */
    mk__fork_parent();
    mk__thread_t *self = mk__self;
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++) {
        mk__thread_t *t = &mk__rt.threads[i].hot;
        if (t == self || MK__LOAD(mk__rt.thread_taken[i]) != MK__SLOT_TAKEN)
            continue;
        /* its thread may have raised `busy` to enter, seen `stop` and been
         * about to drop it when the fork happened: it did nothing in between */
        MK__STORE(t->busy, 0u);
        MK__STORE(t->stop, 0u);
        bool in_flight = mk__thread_release(t);
        MK__STORE(mk__rt.thread_taken[i], in_flight ? MK__SLOT_DEPARTED : MK__SLOT_FREE);
        if (in_flight)
            MK__BUMP_SHARED(mk__rt.departed, 1u);
    }
}

#else /* threads = false: one thread, nothing to recall; fork copies it whole */

void mk__fork_lock_register(mk__lock_t *lock) { (void)lock; }
void mk__recall_init(void) {}
bool mk__recall(bool (*holds)(const mk__thread_t *t, unsigned what), void (*take)(mk__thread_t *t, unsigned what),
                unsigned what)
{
    (void)holds;
    (void)take;
    (void)what;
    return false;
}
bool mk__recall_leases(unsigned intent) { (void)intent; return false; }
bool mk__recall_cache(unsigned cls) { (void)cls; return false; }
void mk__fork_prepare(void) {}
void mk__fork_parent(void) {}
void mk__fork_child(void) {}

#endif

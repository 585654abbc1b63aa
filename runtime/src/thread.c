/* thread.c — thread slots: lazy attach on first use, flush at thread exit.
 *
 * A thread owns one of MKG_MAX_THREADS static slots while it uses memkit. Its
 * mk__self starts at mk__thread_unattached, whose empty caches and impossible
 * frame epoch send every fast path to a slow path, which attaches. A slot's
 * counters and frame arena outlive the thread: stats keep adding up, and frame
 * data stays valid for its frames whoever takes the slot next.
 */
#include "internal.h"

mk__thread_t mk__thread_unattached = {.frame_epoch = UINT64_MAX, .generation = UINT32_MAX};
MK__TLS mk__thread_t *mk__self = &mk__thread_unattached;

static void mk__thread_on_exit(void *slot)
{
    mk__thread_t *t = slot;
    if (t != NULL && mk__rt.initialised && t->generation == mk__rt.generation && mk__self == t)
        mk__thread_detach_slot(t);
}

static void mk__thread_prepare(mk__thread_t *t, uint32_t index)
{
    t->index = index;
    t->generation = mk__rt.generation;
    /* frame state is left as the slot's last owner left it: its arena may hold
     * data of frames still in flight */
#if MKG_CLASS_COUNT > 0
    for (unsigned c = 0; c < MKG_CLASS_COUNT; c++) {
        const mk_class_layout_t *cl = &mk__rt.config->classes[c];
        t->cache[c].limit = mk__rt.config->pools[cl->pool].thread_cache;
    }
#endif
}

void mk__thread_reset_all(void)
{
    memset(mk__rt.threads, 0, sizeof mk__rt.threads);
    for (uint32_t i = 0; i < MKG_MAX_THREADS; i++) {
        mk__rt.threads[i].frame_epoch = UINT64_MAX;
        MK__STORE(mk__rt.thread_taken[i], 0u);
    }
}

mk__thread_t *mk__thread_attach(void)
{
    if (!mk__rt.initialised)
        return mk__fail(MK_ESTATE);
    for (uint32_t i = 0; i < MKG_MAX_THREADS; i++) {
#if MKG_THREADS
        uint32_t expected = 0;
        if (!atomic_compare_exchange_strong_explicit(&mk__rt.thread_taken[i], &expected, 1u,
                                                     memory_order_acquire, memory_order_relaxed))
            continue;
#else
        if (mk__rt.thread_taken[i] != 0)
            continue;
        mk__rt.thread_taken[i] = 1;
#endif
        mk__thread_t *t = &mk__rt.threads[i];
        if (i > 0)
            MK__STORE(mk__rt.several_threads, 1u);
        mk__thread_prepare(t, i);
        mk__self = t;
        mk__prim_thread_exit_arm(t);
        return t;
    }
    return mk__fail(MK_ETHREADS);
}

void mk__thread_detach_slot(mk__thread_t *t)
{
    mk__pool_flush_thread(t);
    mk__budget_return_leases(t);
    /* the frame arena stays with the slot: its data lives out its frames */
    if (mk__self == t) {
        mk__self = &mk__thread_unattached;
        mk__prim_thread_exit_disarm();
    }
#if MKG_THREADS
    atomic_store_explicit(&mk__rt.thread_taken[t->index], 0u, memory_order_release);
#else
    mk__rt.thread_taken[t->index] = 0;
#endif
}

void mk_thread_detach(void)
{
    if (mk__rt.initialised && mk__self->generation == mk__rt.generation)
        mk__thread_detach_slot(mk__self);
    mk__self = &mk__thread_unattached;
}

bool mk__thread_exit_hook_init(void)
{
    return mk__prim_thread_exit_init(mk__thread_on_exit);
}

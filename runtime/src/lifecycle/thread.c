/* thread.c — thread slots: lazy attach on first use, release at thread exit.
 *
 * A thread owns one of MKG_MAX_THREADS static slots while it uses memkit. Its
 * mk__self starts at mk__thread_unattached, whose empty caches and impossible
 * frame epoch send every fast path to a slow path, which attaches. A slot's
 * counters outlive the thread: stats keep adding up.
 *
 * When a thread exits (or detaches), its slot gives back at once what it
 * holds: cached blocks, budget leases, and every arena slot whose frame has
 * left flight (its bytes to the budgets, its spilled blocks to the heap).
 * Frames still in flight stay valid for whoever reads them: the slot becomes
 * DEPARTED, and mk_begin_frame releases it once they have left flight — or a
 * new thread takes it over and releases them itself as it goes.
 *
 * Slot states (thread_taken): FREE → TAKEN (attach, CAS) → FREE or DEPARTED
 * (release by its thread); DEPARTED → TAKEN (attach) or RECLAIMING (CAS by
 * mk_begin_frame) → FREE or DEPARTED. Whoever moved a slot out of FREE or
 * DEPARTED owns it until it moves it back.
 */
#include "internal.h"

mk__slot_t mk__thread_unattached = {.frame_epoch = UINT64_MAX, .generation = UINT32_MAX};
MK__TLS mk__thread_t *mk__self = &mk__thread_unattached.hot;

static void mk__thread_on_exit(void *slot)
{
    mk__thread_t *t = slot;
    if (t != NULL && mk__rt.initialised && mk__slot(t)->generation == mk__rt.generation && mk__self == t)
        mk__thread_detach_slot(t);
}

/* A new owner starts with no open phase, pushed intent or checkpoint: those
 * belonged to the thread that left. Totals (stats) stay with the slot. */
static void mk__thread_prepare(mk__thread_t *t, uint32_t index)
{
    mk__slot_t *slot = mk__slot(t);
    slot->index = index;
    slot->generation = mk__rt.generation;
    mk__thread_lifecycle_t *life = &slot->life;
    life->depth = 0;
    life->intent_depth = 0;
    life->mark_depth = 0;
    life->marks_epoch = UINT64_MAX;
    life->cached_name = NULL;
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        mk__intent_counters_t *c = &t->counters[intent];
        int64_t live = MK__LOAD(c->live);
        c->publish_hi = live + mk__rt.publish_slack[intent];
        c->publish_lo = live - mk__rt.publish_slack[intent];
    }
    /* frame state is left as the slot's last owner left it: its arena may hold
     * data of frames still in flight */
    mk__pool_attach_thread(t);
    mk__heap_cache_attach(t);
}

void mk__thread_reset_all(void)
{
    memset(mk__rt.threads, 0, sizeof mk__rt.threads);
    for (uint32_t i = 0; i < MKG_MAX_THREADS; i++) {
        mk__rt.threads[i].frame_epoch = UINT64_MAX;
        MK__STORE(mk__rt.thread_taken[i], MK__SLOT_FREE);
    }
    MK__STORE(mk__rt.thread_hwm, 0u);
    MK__STORE(mk__rt.departed, 0u);
}

/* Moves slot i from `from` to `to`; true when this thread did it. */
static bool mk__slot_claim(uint32_t i, uint32_t from, uint32_t to)
{
#if MKG_THREADS
    return atomic_compare_exchange_strong_explicit(&mk__rt.thread_taken[i], &from, to, memory_order_acquire,
                                                   memory_order_relaxed);
#else
    if (mk__rt.thread_taken[i] != from)
        return false;
    mk__rt.thread_taken[i] = to;
    return true;
#endif
}

mk__thread_t *mk__thread_attach(void)
{
    if (!mk__rt.initialised)
        return mk__fail(MK_ESTATE);
    for (uint32_t i = 0; i < MKG_MAX_THREADS; i++) {
        bool departed = false;
        if (!mk__slot_claim(i, MK__SLOT_FREE, MK__SLOT_TAKEN)) {
            if (!mk__slot_claim(i, MK__SLOT_DEPARTED, MK__SLOT_TAKEN))
                continue;
            departed = true;
        }
        if (departed)
            MK__DROP_SHARED(mk__rt.departed, 1u);
        mk__thread_t *t = &mk__rt.threads[i].hot;
        if (i > 0 && MK__LOAD(mk__rt.several_threads) == 0u) {
            /* the single-threaded part of the run ends: keep its exact peaks */
            mk__stats_fold_single_peaks();
            MK__STORE(mk__rt.several_threads, 1u);
        }
        uint32_t hwm = MK__LOAD(mk__rt.thread_hwm);
        while (hwm < i + 1u && !MK__CAS_WEAK(mk__rt.thread_hwm, hwm, i + 1u)) {
        }
        mk__thread_prepare(t, i);
        mk__self = t;
        mk__prim_thread_exit_arm(t);
        return t;
    }
    MK__BUMP_SHARED(mk__rt.attach_failures, 1u);
    return mk__fail(MK_ETHREADS);
}

bool mk__thread_release(mk__thread_t *t)
{
    MK__ASSERT(MK__LOAD(t->busy) == 0u); /* released between operations, never inside one */
    mk__pool_flush_thread(t);
    mk__heap_cache_flush_thread(t);
    bool in_flight = mk__frame_release_thread(t);
    mk__budget_return_leases(t); /* after the frames: their bytes came back through the leases */
    return in_flight;
}

void mk__thread_detach_slot(mk__thread_t *t)
{
    bool in_flight = mk__thread_release(t);
    if (mk__self == t) {
        mk__self = &mk__thread_unattached.hot;
        mk__prim_thread_exit_disarm();
    }
    if (in_flight)
        MK__BUMP_SHARED(mk__rt.departed, 1u);
    MK__STORE_RELEASE(mk__rt.thread_taken[mk__slot(t)->index], in_flight ? MK__SLOT_DEPARTED : MK__SLOT_FREE);
}

void mk__thread_reclaim_departed(void)
{
    if (MK__LOAD(mk__rt.departed) == 0u)
        return;
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++) {
        if (!mk__slot_claim(i, MK__SLOT_DEPARTED, MK__SLOT_RECLAIMING))
            continue;
        bool in_flight = mk__thread_release(&mk__rt.threads[i].hot);
        MK__ASSERT(MK__LOAD(mk__rt.thread_taken[i]) == MK__SLOT_RECLAIMING);
        if (!in_flight)
            MK__DROP_SHARED(mk__rt.departed, 1u);
        MK__STORE_RELEASE(mk__rt.thread_taken[i], in_flight ? MK__SLOT_DEPARTED : MK__SLOT_FREE);
    }
}

void mk_thread_detach(void)
{
    if (mk__rt.initialised && mk__slot(mk__self)->generation == mk__rt.generation)
        mk__thread_detach_slot(mk__self);
    mk__self = &mk__thread_unattached.hot;
}

bool mk__thread_exit_hook_init(void)
{
    return mk__prim_thread_exit_init(mk__thread_on_exit);
}

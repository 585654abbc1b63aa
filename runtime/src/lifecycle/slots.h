/* slots.h — the lifecycle folder's functions the other modules call: thread
 * slots (thread.c: attach, release, mk__thread), the last error (init.c),
 * slots stopped for a recall and fork (recall.c), and the init and frame
 * hooks of the longer-lived features (lifecycle.c, deferred.c, scratch.c,
 * group.c; handles.c and shared.c of containers/ and transfer/). */
#ifndef MEMKIT_SLOTS_H
#define MEMKIT_SLOTS_H

#include "state.h"

/* ---- thread.c ---- */
mk__thread_t *mk__thread_attach(void);
/* The number of slots loops over threads must visit (thread_hwm). */
static inline uint32_t mk__thread_span(void)
{
    return MK__LOAD_ACQUIRE(mk__rt.thread_hwm);
}
/* Releases what a slot whose thread is gone holds: caches, leases and every
 * frame slot out of flight. Returns true when frames in flight remain. The
 * caller owns the slot (its thread, or a reclaimer). */
bool mk__thread_release(mk__thread_t *t);
/* mk_begin_frame: releases departed slots whose frames have left flight. */
void mk__thread_reclaim_departed(void);
/* Registers the thread-exit flush (false: the OS has no key left). */
bool mk__thread_exit_hook_init(void);
void mk__thread_reset_all(void);
void mk__thread_detach_slot(mk__thread_t *t);
extern mk__slot_t mk__thread_unattached;
/* mk__thread for an allocation of `intent`: a refused attach counts as one
 * of its failures. */
mk__thread_t *mk__thread_for(unsigned intent);

/* ---- init.c ---- */
/* Records `status` as the calling thread's last error; returns NULL. */
void *mk__fail(mk_status_t status);
extern MK__TLS mk_status_t mk__last_error;
extern MK__TLS int mk__policy_depth; /* >0 while a policy retries: no nested policy */

/* ---- recall.c: budget leases and cached blocks taken back from other slots ---- */
/* The owner's blocking entry (slow paths): waits while a recall holds the
 * slot. Nested entries count; only the outermost checks. */
#if MKG_THREADS
void mk__slot_wait(mk__thread_t *t);
static inline void mk__slot_enter_wait(mk__thread_t *t)
{
    uint32_t depth = MK__LOAD(t->busy);
    MK__STORE(t->busy, depth + 1u);
    if (depth == 0u) {
        atomic_signal_fence(memory_order_seq_cst);
        if (MK_UNLIKELY(MK__LOAD_ACQUIRE(t->stop) != 0u))
            mk__slot_wait(t);
    }
}
static inline void mk__slot_exit(mk__thread_t *t)
{
    MK__STORE_RELEASE(t->busy, MK__LOAD(t->busy) - 1u);
}
#else
static inline void mk__slot_enter_wait(mk__thread_t *t) { (void)t; }
static inline void mk__slot_exit(mk__thread_t *t) { (void)t; }
#endif
void mk__recall_init(void);
/* A module's lock, to be held across fork() (call from its init). */
void mk__fork_lock_register(mk__lock_t *lock);
/* Stops every other slot for which holds(t, what) is true, hands each to
 * take(t, what) while it is stopped, and lets them go on; true when any held
 * something. Call with no slot entered. */
bool mk__recall(bool (*holds)(const mk__thread_t *t, unsigned what), void (*take)(mk__thread_t *t, unsigned what),
                unsigned what);
/* Takes every other slot's unused lease of `intent` back to the budget;
 * true when it found any. Call with no slot entered. */
bool mk__recall_leases(unsigned intent);
/* Sends every other slot's cached blocks of class `cls` to its global list;
 * true when it found any. Call with no slot entered. */
bool mk__recall_cache(unsigned cls);
/* fork(): stop every slot and take every lock (prepare), then undo (parent),
 * or keep only the forking thread (child). */
void mk__fork_prepare(void);
void mk__fork_parent(void);
void mk__fork_child(void);

/* ---- hooks of the longer-lived features, called by init.c and frame.c ---- */
void mk__lifecycle_init(void);
void mk__lifecycle_frame_begin(void);  /* from mk_begin_frame, after the epoch moved */
void mk__lifecycle_frame_end(void);    /* from mk_end_frame */
/* Phases one at a time (record.c: no array of every phase on the stack):
 * how many exist, and phase i's statistics as mk_phase_stats has them. */
uint32_t mk__phase_count(void);
void mk__phase_stat(uint32_t i, mk_phase_stats_t *out);
mk_status_t mk__handles_init(void);
void mk__handles_fini(void);
void mk__deferred_init(void);
void mk__deferred_end_frame(void);     /* from mk_end_frame: release what is due */
void mk__deferred_fini(void);
void mk__shared_init(void);
void mk__shared_fini(void);
void mk__scratch_init(void);
void mk__group_init(void);
void mk__scratch_fini(void);

/* The calling thread's slot, attaching it if needed; NULL (and the last error
 * set) when memkit is not initialised or every slot is taken. The unattached
 * slot's generation is UINT32_MAX, which no mk_init reaches. */
static inline mk__thread_t *mk__thread(void)
{
    mk__thread_t *self = mk__self;
    if (MK_LIKELY(mk__slot(self)->generation == mk__rt.generation))
        return self;
    return mk__thread_attach();
}

#endif /* MEMKIT_SLOTS_H */

/* policy.h — what sits between an intent and its tier: budgets leased to
 * threads (budget.c, and the inline take and give of the slow paths) and the
 * on_exhausted policies and realloc (alloc.c). */
#ifndef MEMKIT_POLICY_H
#define MEMKIT_POLICY_H

#include "lifecycle/slots.h"

/* ---- budget.c: per-intent and total budgets, leased to threads in chunks ---- */
void mk__budget_init(void);
bool mk__budget_take_slow(mk__thread_t *t, unsigned intent, int64_t bytes);
/* A free by a thread that could not attach: straight back to the budget. */
void mk__budget_give_unattached(unsigned intent, int64_t bytes);
/* Takes `bytes` straight from the intent's and the total budget, all or
 * nothing (no thread lease: the async tier's owners are tasks); and back. */
bool mk__budget_grab(unsigned intent, int64_t bytes);
void mk__budget_ungrab(unsigned intent, int64_t bytes);
/* Returns all of a thread's leases (thread exit, shutdown). */
void mk__budget_return_leases(mk__thread_t *t);
/* Returns an entered (or stopped) slot's lease of one intent. */
void mk__lease_return(mk__thread_t *t, unsigned intent);
/* Unused lease bytes of an intent over all threads (stats). */
int64_t mk__budget_leased(unsigned intent);

/* ---- alloc.c ---- */
/* Applies the intent's on_exhausted policy after its tier failed with
 * `reason`; returns the memory a fallback or retry found, or NULL. */
void *mk__exhausted(unsigned intent, size_t size, size_t align, mk_status_t reason);
/* A pool intent's request above its pool's largest class: the heap tier
 * (oversize = "heap") or MK_ETOOBIG, counted either way; no policy applies. */
void *mk__pool_oversize(mk__thread_t *t, unsigned intent, size_t size, size_t align);

/* alloc.c: mk_realloc's release behaviour (sentinel builds use it for frame blocks). */
void *mk__realloc_plain(mk_intent_t intent, void *ptr, size_t size);

/* Takes `bytes` of budget for `intent` from the thread's lease, refilling it
 * when short (and recalling other threads' unused leases before giving up);
 * false (nothing taken) when the intent's or the total budget would be
 * exceeded. Call with the slot not entered. */
static inline bool mk__budget_take(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (!MK__LEASED(intent))
        return true;
    mk__slot_enter_wait(t);
    bool taken = mk__lease_take(t, intent, bytes);
    mk__slot_exit(t);
    return taken || mk__budget_take_slow(t, intent, bytes);
}

/* Gives `bytes` back through the thread's lease (t may be NULL: straight to
 * the global counters). Call with the slot not entered. */
static inline void mk__budget_give(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (!MK__LEASED(intent))
        return;
    if (t == NULL) {
        mk__budget_give_unattached(intent, bytes);
        return;
    }
    mk__slot_enter_wait(t);
    mk__lease_give(t, intent, bytes);
    mk__slot_exit(t);
}

#endif /* MEMKIT_POLICY_H */

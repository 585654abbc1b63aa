/* budget.c — per-intent and total budgets, leased to threads in chunks.
 *
 * The global counters (budget_reserved per intent, total_reserved) count every
 * byte that is either in use or leased to a thread. A thread allocates from
 * its lease with no atomic operation; when the lease runs short it takes a new
 * chunk with a compare-and-swap that refuses to pass the limit, so a budget is
 * never exceeded. Frees refill the freeing thread's lease, and a lease above
 * twice its chunk is trimmed back to one. Up to two chunks per thread may sit
 * unused in leases: chunks are 1/(8 × max_threads) of the limit (so at most a
 * quarter of it in all), and when a full chunk does not fit, exactly the
 * missing bytes are tried, so one thread can always use a whole budget.
 */
#include "internal.h"
#include "prim/fault.h"

int64_t mk__lease_cap[MKG_INTENT_COUNT];

static bool mk__budgeted(unsigned intent)
{
    return (mk__rt.config->routes[intent].flags & MK_ROUTE_BUDGETED) != 0u;
}

/* Reserves `bytes` in `counter` unless that would pass `limit`. */
static bool mk__reserve(MK__ATOMIC(int64_t) *counter, int64_t limit, int64_t bytes)
{
#if MKG_THREADS
    int64_t seen = atomic_load_explicit(counter, memory_order_relaxed);
    do {
        if (bytes > limit - seen)
            return false;
    } while (!atomic_compare_exchange_weak_explicit(counter, &seen, seen + bytes, memory_order_relaxed,
                                                    memory_order_relaxed));
    return true;
#else
    if (bytes > limit - *counter)
        return false;
    *counter += bytes;
    return true;
#endif
}

static void mk__unreserve(MK__ATOMIC(int64_t) *counter, int64_t bytes)
{
#if MKG_THREADS
    atomic_fetch_sub_explicit(counter, bytes, memory_order_relaxed);
#else
    *counter -= bytes;
#endif
}

/* Takes `bytes` from the global counters for `intent`; all or nothing. */
static bool mk__grab(unsigned intent, int64_t bytes)
{
    if (mk__fault(MK__FAULT_BUDGET))
        return false;
    if (mk__budgeted(intent) &&
        !mk__reserve(&mk__rt.budget_reserved[intent], (int64_t)mk__rt.config->routes[intent].budget, bytes))
        return false;
    if (mk__rt.config->budget_total != 0 &&
        !mk__reserve(&mk__rt.total_reserved, (int64_t)mk__rt.config->budget_total, bytes)) {
        if (mk__budgeted(intent))
            mk__unreserve(&mk__rt.budget_reserved[intent], bytes);
        return false;
    }
    return true;
}

static void mk__ungrab(unsigned intent, int64_t bytes)
{
    if (mk__budgeted(intent))
        mk__unreserve(&mk__rt.budget_reserved[intent], bytes);
    if (mk__rt.config->budget_total != 0)
        mk__unreserve(&mk__rt.total_reserved, bytes);
}

void mk__budget_init(void)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        MK__STORE(mk__rt.budget_reserved[intent], 0);
        uint64_t limit = mk__budgeted(intent) ? mk__rt.config->routes[intent].budget : mk__rt.config->budget_total;
        int64_t chunk = (int64_t)(limit / (8u * MKG_MAX_THREADS));
        if (chunk > (int64_t)1 << 20)
            chunk = (int64_t)1 << 20;
        mk__rt.lease_chunk[intent] = chunk;
        mk__lease_cap[intent] = limit == 0 ? INT64_MAX : 2 * chunk;
    }
    MK__STORE(mk__rt.total_reserved, 0);
}

bool mk__budget_take_slow(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    int64_t lease = t->lease[intent];
    if (lease < bytes) {
        int64_t missing = bytes - lease;
        int64_t want = missing > mk__rt.lease_chunk[intent] ? missing : mk__rt.lease_chunk[intent];
        if (!mk__grab(intent, want)) {
            if (want == missing || !mk__grab(intent, missing))
                return false;
            want = missing;
        }
        lease += want;
        mk__stats_sample_intent(intent); /* usage grows by leases: a peak sample point */
    }
    t->lease[intent] = lease - bytes;
    return true;
}

void mk__budget_give_slow(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    if (t == NULL) { /* a thread that could not attach: straight back */
        mk__ungrab(intent, bytes);
        return;
    }
    t->lease[intent] += bytes;
    if (t->lease[intent] > mk__lease_cap[intent])
        mk__lease_trim(t, intent);
}

void mk__lease_trim(mk__thread_t *t, unsigned intent)
{
    int64_t excess = t->lease[intent] - mk__rt.lease_chunk[intent];
    if (excess <= 0)
        return;
    t->lease[intent] -= excess;
    mk__ungrab(intent, excess);
}

void mk__budget_return_leases(mk__thread_t *t)
{
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++) {
        if (t->lease[intent] > 0)
            mk__ungrab(intent, t->lease[intent]);
        t->lease[intent] = 0;
    }
}

/* budget.c — per-intent and total budgets, leased to threads in chunks.
 *
 * The global counters (budget_reserved per intent, total_reserved) count every
 * byte that is either in use or leased to a thread. A thread allocates from
 * its lease with no atomic operation; when the lease runs short it takes a new
 * chunk with a compare-and-swap that refuses to pass the limit, so a budget is
 * never exceeded. Frees refill the freeing thread's lease, and a lease above
 * twice its chunk is trimmed back to one. Chunks are 1/64 of the limit (at most
 * 1 MiB), whatever max_threads is. When neither a chunk nor exactly the
 * missing bytes fit, the unused leases of every other thread are recalled
 * (recall.c) and the grab is tried once more, so one thread can use a whole
 * budget while others sit idle with leases.
 *
 * A lease is written by its owner inside the slot's busy section, or by a
 * recalling thread while the owner is stopped (recall.c).
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
    int64_t seen = MK__LOAD(*counter);
    do {
        if (bytes > limit - seen)
            return false;
    } while (!MK__CAS_WEAK(*counter, seen, seen + bytes));
    return true;
}

static void mk__unreserve(MK__ATOMIC(int64_t) *counter, int64_t bytes)
{
    int64_t before = MK__FETCH_SUB(*counter, bytes);
    MK__ASSERT(bytes >= 0 && before >= bytes); /* never more back than was reserved */
    (void)before;
}

/* Takes `bytes` from the global counters for `intent`; all or nothing. */
bool mk__budget_grab(unsigned intent, int64_t bytes)
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

void mk__budget_ungrab(unsigned intent, int64_t bytes)
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
        int64_t chunk = (int64_t)(limit / 64u);
        if (chunk > (int64_t)1 << 20)
            chunk = (int64_t)1 << 20;
        mk__rt.lease_chunk[intent] = chunk;
        mk__lease_cap[intent] = limit == 0 ? INT64_MAX : 2 * chunk;
    }
    MK__STORE(mk__rt.total_reserved, 0);
}

/* Tops the entered slot's lease up to `bytes`: a chunk, or exactly what is
 * missing; false when the budget has neither. */
static bool mk__lease_refill(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    int64_t lease = MK__LOAD(t->lease[intent]);
    if (lease >= bytes)
        return true; /* a free on this thread refilled it meanwhile */
    int64_t missing = bytes - lease;
    int64_t want = missing > mk__rt.lease_chunk[intent] ? missing : mk__rt.lease_chunk[intent];
    if (!mk__budget_grab(intent, want)) {
        if (want == missing || !mk__budget_grab(intent, missing))
            return false;
        want = missing;
    }
    MK__STORE(t->lease[intent], lease + want);
    MK__ASSERT(!mk__budgeted(intent) ||
               MK__LOAD(mk__rt.budget_reserved[intent]) <= (int64_t)mk__rt.config->routes[intent].budget);
    return true;
}

bool mk__budget_take_slow(mk__thread_t *t, unsigned intent, int64_t bytes)
{
    for (int attempt = 0; attempt < 2; attempt++) {
        mk__slot_enter_wait(t);
        bool ok = mk__lease_refill(t, intent, bytes);
        if (ok)
            MK__STORE(t->lease[intent], MK__LOAD(t->lease[intent]) - bytes);
        mk__slot_exit(t);
        if (ok)
            return true;
        /* other threads may hold what is missing in unused leases */
        if (attempt == 0 && !mk__recall_leases(intent))
            return false;
    }
    return false;
}

void mk__budget_give_unattached(unsigned intent, int64_t bytes)
{
    mk__budget_ungrab(intent, bytes);
}

void mk__lease_trim(mk__thread_t *t, unsigned intent)
{
    int64_t lease = MK__LOAD(t->lease[intent]);
    int64_t excess = lease - mk__rt.lease_chunk[intent];
    if (excess <= 0)
        return;
    MK__STORE(t->lease[intent], lease - excess);
    MK__ASSERT(lease - excess >= 0);
    mk__budget_ungrab(intent, excess);
}

void mk__lease_return(mk__thread_t *t, unsigned intent)
{
    int64_t lease = MK__LOAD(t->lease[intent]);
    if (lease > 0)
        mk__budget_ungrab(intent, lease);
    MK__STORE(t->lease[intent], 0);
}

void mk__budget_return_leases(mk__thread_t *t)
{
    mk__slot_enter_wait(t);
    for (unsigned intent = 0; intent < MKG_INTENT_COUNT; intent++)
        mk__lease_return(t, intent);
    mk__slot_exit(t);
}

int64_t mk__budget_leased(unsigned intent)
{
    int64_t leased = 0;
    uint32_t span = mk__thread_span();
    for (uint32_t i = 0; i < span; i++)
        leased += MK__LOAD(mk__rt.threads[i].hot.lease[intent]);
    return leased;
}

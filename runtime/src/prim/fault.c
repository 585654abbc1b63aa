/* fault.c — the counters behind fault.h and the test-facing switch. */
#include "internal.h" /* first: a config's prefix renames what fault.h declares */

#include "fault.h"

#if MK_FAULT_INJECTION
static MK__ATOMIC(uint64_t) mk__fault_count;
static MK__ATOMIC(uint64_t) mk__fault_target;
static MK__ATOMIC(unsigned) mk__fault_kinds;

void mk_fault_fail_at(unsigned kinds, uint64_t n)
{
    MK__STORE(mk__fault_kinds, kinds);
    MK__STORE(mk__fault_count, 0u);
    MK__STORE(mk__fault_target, n);
}

uint64_t mk_fault_requests(void)
{
    return MK__LOAD(mk__fault_count);
}

bool mk__fault(mk__fault_kind_t kind)
{
    if ((MK__LOAD(mk__fault_kinds) & (unsigned)kind) == 0u)
        return false;
    uint64_t seen = MK__FETCH_ADD(mk__fault_count, 1u) + 1u;
    return seen == MK__LOAD(mk__fault_target);
}
#else
typedef int mk__fault_unused; /* ISO C wants something in a translation unit */
#endif

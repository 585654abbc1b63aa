/* fault.h — fault injection for the reliability tests.
 *
 * Built with MK_FAULT_INJECTION=1 (CMake: -DMEMKIT_FAULT_INJECTION=ON), the
 * runtime counts every request for backing memory (OS reservations, system
 * fallback allocations) and every budget grab, and can be told to fail the
 * Nth of them; tests then walk N = 1, 2, … until a workload runs untouched
 * (tests/runtime/test_oom_loop.c). Without it, mk__fault() is a constant
 * false and costs nothing.
 */
#ifndef MEMKIT_FAULT_H
#define MEMKIT_FAULT_H
/* Include after memkit/memkit.h (a config's prefix renames mk__fault). */

#include <stdbool.h>

typedef enum mk__fault_kind {
    MK__FAULT_RESERVE = 1, /* mk__prim_reserve */
    MK__FAULT_SYSTEM = 2,  /* mk__prim_system_alloc */
    MK__FAULT_BUDGET = 4   /* a budget grab (intent or total) */
} mk__fault_kind_t;

#ifndef MK_FAULT_INJECTION
#define MK_FAULT_INJECTION 0
#endif

#if MK_FAULT_INJECTION
/* Counts a request of `kind`; true when it is the one to fail. */
bool mk__fault(mk__fault_kind_t kind);
#else
#undef mk__fault /* memkit/prefix.h renames the function of fault-injection builds */
#define mk__fault(kind) false
#endif

#endif /* MEMKIT_FAULT_H */

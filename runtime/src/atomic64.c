/* atomic64.c — 64-bit atomics where the target has none (memkit/fastpath.h,
 * MK__ATOMIC64_LOCKED): 32-bit MCUs, or any target with MK_LOCKED_ATOMIC64=1.
 *
 * Each 64-bit atomic is read and written whole under one of a few 32-bit
 * spinlocks, picked by its address, and never touched otherwise (the macros
 * route every access here). Taking a lock is a sequentially consistent
 * exchange and releasing it a sequentially consistent store, so every
 * operation orders like the seq_cst, acquire, release or relaxed access it
 * stands for: a reader whose lock follows a writer's unlock sees the write
 * and what preceded it. The 8 bytes are copied with memcpy: _Atomic(int64_t)
 * has the representation of int64_t on the compilers memkit supports
 * (asserted below), and a copy under the lock is no data race.
 *
 * A holder keeps its lock for a few instructions; a waiter spins, then
 * yields (mk__prim_yield), as mk__lock does.
 */
#include "internal.h"

#if MK__ATOMIC64_LOCKED

_Static_assert(sizeof(_Atomic(int64_t)) == sizeof(int64_t) && sizeof(_Atomic(uint64_t)) == sizeof(uint64_t),
               "a 64-bit atomic is its 8 bytes");

#define MK__ATOMIC64_LOCKS 16u /* a power of two */

static _Atomic(uint32_t) mk__atomic64_locks[MK__ATOMIC64_LOCKS];

static _Atomic(uint32_t) *mk__atomic64_lock(const volatile void *p)
{
    uintptr_t a = (uintptr_t)p;
    return &mk__atomic64_locks[(a >> 3 ^ a >> 7) & (MK__ATOMIC64_LOCKS - 1u)];
}

static _Atomic(uint32_t) *mk__atomic64_enter(const volatile void *p)
{
    _Atomic(uint32_t) *lock = mk__atomic64_lock(p);
    unsigned spins = 0;
    while (atomic_exchange_explicit(lock, 1u, memory_order_seq_cst) != 0u) {
        while (atomic_load_explicit(lock, memory_order_relaxed) != 0u) {
            if (spins < 64u) {
                spins++;
                mk__prim_relax();
            } else {
                mk__prim_yield();
            }
        }
    }
    return lock;
}

static void mk__atomic64_leave(_Atomic(uint32_t) *lock)
{
    atomic_store_explicit(lock, 0u, memory_order_seq_cst);
}

int64_t mk__atomic64_load_s(const _Atomic(int64_t) *p)
{
    int64_t v;
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy(&v, (const void *)p, sizeof v);
    mk__atomic64_leave(lock);
    return v;
}

uint64_t mk__atomic64_load_u(const _Atomic(uint64_t) *p)
{
    uint64_t v;
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy(&v, (const void *)p, sizeof v);
    mk__atomic64_leave(lock);
    return v;
}

void mk__atomic64_store_s(_Atomic(int64_t) *p, int64_t v)
{
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy((void *)p, &v, sizeof v);
    mk__atomic64_leave(lock);
}

void mk__atomic64_store_u(_Atomic(uint64_t) *p, uint64_t v)
{
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy((void *)p, &v, sizeof v);
    mk__atomic64_leave(lock);
}

int64_t mk__atomic64_add_s(_Atomic(int64_t) *p, int64_t d)
{
    uint64_t before, after;
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy(&before, (const void *)p, sizeof before);
    after = before + (uint64_t)d; /* wraps as atomic_fetch_add does */
    memcpy((void *)p, &after, sizeof after);
    mk__atomic64_leave(lock);
    int64_t result;
    memcpy(&result, &before, sizeof result);
    return result;
}

uint64_t mk__atomic64_add_u(_Atomic(uint64_t) *p, uint64_t d)
{
    uint64_t before, after;
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy(&before, (const void *)p, sizeof before);
    after = before + d;
    memcpy((void *)p, &after, sizeof after);
    mk__atomic64_leave(lock);
    return before;
}

bool mk__atomic64_cas_s(_Atomic(int64_t) *p, int64_t *expected, int64_t desired)
{
    int64_t seen;
    _Atomic(uint32_t) *lock = mk__atomic64_enter(p);
    memcpy(&seen, (const void *)p, sizeof seen);
    bool equal = seen == *expected;
    if (equal)
        memcpy((void *)p, &desired, sizeof desired);
    mk__atomic64_leave(lock);
    if (!equal)
        *expected = seen;
    return equal;
}

#else
typedef int mk__atomic64_unused; /* the target has 64-bit atomics */
#endif

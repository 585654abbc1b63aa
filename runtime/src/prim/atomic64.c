/* atomic64.c — 64-bit atomics where the target has none (memkit/fastpath.h,
 * MK__ATOMIC64_LOCKED): 32-bit MCUs, or any target with MK_LOCKED_ATOMIC64=1.
 *
 * Each 64-bit atomic is read and written whole under one of a few spinlocks
 * (mk__lock: a 32-bit atomic, acquire to take, release to drop), picked by
 * its address, and never touched otherwise: the macros route every access
 * here. So a reader whose lock follows a writer's unlock sees the write and
 * what preceded it, and a seq_cst fence next to an access orders it as it
 * would the access itself (the lock's exchange and store are the atomic
 * operations the fence orders). The 8 bytes are copied with memcpy:
 * _Atomic(int64_t) has the representation of int64_t on the compilers memkit
 * supports (asserted below), and a copy under the lock is no data race. A
 * holder keeps its lock for a few instructions.
 */
#include "internal.h"

#if MK__ATOMIC64_LOCKED

_Static_assert(sizeof(_Atomic(int64_t)) == sizeof(int64_t) && sizeof(_Atomic(uint64_t)) == sizeof(uint64_t),
               "a 64-bit atomic is its 8 bytes");

#define MK__ATOMIC64_LOCKS 16u /* a power of two */

static mk__lock_t mk__atomic64_locks[MK__ATOMIC64_LOCKS];

static mk__lock_t *mk__atomic64_lock(const volatile void *word)
{
    uintptr_t a = (uintptr_t)word;
    return &mk__atomic64_locks[(a >> 3 ^ a >> 7) & (MK__ATOMIC64_LOCKS - 1u)];
}

/* Copies 8 bytes from `from` to `to` under the lock of `word`, which is one
 * of the two: a load or a store. */
static void mk__atomic64_copy(const void *word, void *to, const void *from)
{
    mk__lock_t *lock = mk__atomic64_lock(word);
    mk__lock(lock);
    memcpy(to, from, 8);
    mk__unlock(lock);
}

int64_t mk__atomic64_load_s(const _Atomic(int64_t) *p)
{
    int64_t v;
    mk__atomic64_copy((const void *)p, &v, (const void *)p);
    return v;
}

uint64_t mk__atomic64_load_u(const _Atomic(uint64_t) *p)
{
    uint64_t v;
    mk__atomic64_copy((const void *)p, &v, (const void *)p);
    return v;
}

void mk__atomic64_store_s(_Atomic(int64_t) *p, int64_t v)
{
    mk__atomic64_copy((const void *)p, (void *)p, &v);
}

void mk__atomic64_store_u(_Atomic(uint64_t) *p, uint64_t v)
{
    mk__atomic64_copy((const void *)p, (void *)p, &v);
}

uint64_t mk__atomic64_add_u(_Atomic(uint64_t) *p, uint64_t d)
{
    uint64_t before, after;
    mk__lock_t *lock = mk__atomic64_lock(p);
    mk__lock(lock);
    memcpy(&before, (const void *)p, sizeof before);
    after = before + d; /* wraps as atomic_fetch_add does */
    memcpy((void *)p, &after, sizeof after);
    mk__unlock(lock);
    return before;
}

/* The same bytes as unsigned: two's complement addition is the same. */
int64_t mk__atomic64_add_s(_Atomic(int64_t) *p, int64_t d)
{
    uint64_t before = mk__atomic64_add_u((_Atomic(uint64_t) *)(void *)p, (uint64_t)d);
    int64_t result;
    memcpy(&result, &before, sizeof result);
    return result;
}

bool mk__atomic64_cas_s(_Atomic(int64_t) *p, int64_t *expected, int64_t desired)
{
    int64_t seen;
    mk__lock_t *lock = mk__atomic64_lock(p);
    mk__lock(lock);
    memcpy(&seen, (const void *)p, sizeof seen);
    bool equal = seen == *expected;
    if (equal)
        memcpy((void *)p, &desired, sizeof desired);
    mk__unlock(lock);
    if (!equal)
        *expected = seen;
    return equal;
}

#else
typedef int mk__atomic64_unused; /* the target has 64-bit atomics */
#endif

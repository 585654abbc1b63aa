/* sync.h — the runtime's locks, and the counters several threads update
 * (atomic read-modify-writes; plain in single-threaded builds). Included
 * after <memkit/memkit.h> (MKG_THREADS, MK__ATOMIC64_LOCKED), through
 * internal.h. */
#ifndef MEMKIT_SYNC_H
#define MEMKIT_SYNC_H

#include "prim/prim.h"

/* ---- locks: a test-and-test-and-set spinlock; critical sections are O(1)
 * or a batch of a thread cache. A waiter spins briefly, then yields its CPU
 * (mk__prim_yield) on every further look: with more threads than cores, a
 * holder preempted inside its section gets to finish instead of every waiter
 * burning a time slice. Uncontended, no system call is made. ------------ */
#if MKG_THREADS
typedef struct mk__lock {
    atomic_int held;
} mk__lock_t;

#define MK__LOCK_SPINS 64

static inline void mk__lock(mk__lock_t *lock)
{
    unsigned spins = 0;
    while (atomic_exchange_explicit(&lock->held, 1, memory_order_acquire) != 0) {
        while (atomic_load_explicit(&lock->held, memory_order_relaxed) != 0) {
            if (spins < MK__LOCK_SPINS) {
                spins++;
                mk__prim_relax();
            } else {
                mk__prim_yield();
            }
        }
    }
}

static inline void mk__unlock(mk__lock_t *lock)
{
    atomic_store_explicit(&lock->held, 0, memory_order_release);
}
#else
typedef struct mk__lock {
    int unused;
} mk__lock_t;
static inline void mk__lock(mk__lock_t *lock) { (void)lock; }
static inline void mk__unlock(mk__lock_t *lock) { (void)lock; }
#endif

/* Counters that several threads update: atomic read-modify-writes (plain in
 * single-threaded builds). MK__FETCH_ADD and MK__FETCH_SUB return the value
 * before; the 64-bit ones go through mk__atomic64_* where the target has no
 * 64-bit atomics (memkit/fastpath.h). */
#if MKG_THREADS && MK__ATOMIC64_LOCKED
#define MK__FETCH_ADD(v, d)                                                                                     \
    MK__ATOMIC64_SELECT(v, mk__atomic64_add_s((_Atomic(int64_t) *)(void *)&(v), (int64_t)(d)),                 \
                        mk__atomic64_add_u((_Atomic(uint64_t) *)(void *)&(v), (uint64_t)(d)),                  \
                        atomic_fetch_add_explicit(&(v), (d), memory_order_relaxed))
#define MK__FETCH_SUB(v, d)                                                                                     \
    MK__ATOMIC64_SELECT(v, mk__atomic64_add_s((_Atomic(int64_t) *)(void *)&(v), -(int64_t)(d)),                \
                        mk__atomic64_add_u((_Atomic(uint64_t) *)(void *)&(v), (uint64_t)0 - (uint64_t)(d)),    \
                        atomic_fetch_sub_explicit(&(v), (d), memory_order_relaxed))
/* (64-bit: int64_t only, as the runtime uses it) */
#define MK__CAS_WEAK(v, expected, desired)                                                                      \
    _Generic(&(v), _Atomic(int64_t) *: mk__atomic64_cas_s((_Atomic(int64_t) *)(void *)&(v),                    \
                                                          (int64_t *)(void *)&(expected), (int64_t)(desired)),  \
             default: atomic_compare_exchange_weak_explicit(&(v), &(expected), (desired), memory_order_acq_rel, \
                                                            memory_order_relaxed))
#elif MKG_THREADS
#define MK__FETCH_ADD(v, d) atomic_fetch_add_explicit(&(v), (d), memory_order_relaxed)
#define MK__FETCH_SUB(v, d) atomic_fetch_sub_explicit(&(v), (d), memory_order_relaxed)
#define MK__CAS_WEAK(v, expected, desired)                                                                      \
    atomic_compare_exchange_weak_explicit(&(v), &(expected), (desired), memory_order_acq_rel, memory_order_relaxed)
#else
#define MK__FETCH_ADD(v, d) (((v) += (d)) - (d))
#define MK__FETCH_SUB(v, d) (((v) -= (d)) + (d))
#define MK__CAS_WEAK(v, expected, desired) ((v) == (expected) ? ((v) = (desired), true) : ((expected) = (v), false))
#endif
#define MK__BUMP_SHARED(v, d) ((void)MK__FETCH_ADD(v, d))
#define MK__DROP_SHARED(v, d) ((void)MK__FETCH_SUB(v, d))
/* A drop that publishes the dropping thread's earlier writes to whoever
 * acquire-loads the counter and sees the result (32-bit counters only: the
 * locked 64-bit path has no release variant). */
#if MKG_THREADS
#define MK__DROP_RELEASE(v, d) ((void)atomic_fetch_sub_explicit(&(v), (d), memory_order_release))
#else
#define MK__DROP_RELEASE(v, d) ((void)((v) -= (d)))
#endif

#endif /* MEMKIT_SYNC_H */

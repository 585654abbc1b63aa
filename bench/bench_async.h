/* bench/bench_async.h — what bench/bench_async.c (memkit's async pools and
 * the mutex+condvar pool) and bench/bench_async_dpdk.c (DPDK's rte_mempool,
 * compiled apart with DPDK's flags) share: the sizes of the work, the work
 * a thread does while it holds a block, the retry loop's back-off, and the
 * DPDK entry points.
 *
 * The DPDK side is its own translation unit so that DPDK's headers (and its
 * -march, -include rte_config.h) touch nothing else, while rte_mempool_get
 * and rte_mempool_put stay inlined into its loops as DPDK intends. Built
 * without DPDK (MK_BENCH_DPDK_MISSING set to the reason), the same file
 * defines the entry points to say why the DPDK rows are skipped.
 *
 * Include after defining _POSIX_C_SOURCE or _GNU_SOURCE (peers.h: now_ns).
 */
#ifndef MK_BENCH_ASYNC_H
#define MK_BENCH_ASYNC_H

#include "peers.h"

#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>
#define BA_CPU_RELAX() _mm_pause()
#else
#define BA_CPU_RELAX() ((void)0)
#endif

/* Makes `p` observable, so the compiler can neither drop a grant nor fold an
 * acquire/release pair; the memory clobber keeps it from caching state. */
#define BA_ESCAPE(p) __asm__ volatile("" : : "r"(p) : "memory")

#define BA_BLOCK 256u          /* bytes per block, every pool */
#define BA_UNCONTENDED_BLOCKS 1024u
#define BA_SHARED_BLOCKS 4u    /* the contended rows: 2 threads x 1 held fit, 8 do not */
#define BA_UNCONTENDED_OPS 100000 /* acquire+release pairs per sample */
#define BA_HOLD_ITERS 200u     /* the work done on a held block: ~100 ns here */
#define BA_SPINS_BEFORE_YIELD 64u /* as memkit's own lock (MK__LOCK_SPINS) */

/* What a thread does while it holds a block in the contended rows: writes
 * its first and last words (the block's two ends are two cache lines) and
 * counts BA_HOLD_ITERS steps that the compiler cannot fold. */
static inline __attribute__((always_inline)) void ba_hold(void *block)
{
    unsigned char *b = block;
    uint64_t tag = (uint64_t)(uintptr_t)block;
    __builtin_memcpy(b, &tag, sizeof tag);
    __builtin_memcpy(b + BA_BLOCK - sizeof tag, &tag, sizeof tag);
    for (unsigned i = 0; i < BA_HOLD_ITERS; i++)
        BA_ESCAPE(i);
}

/* One step of a retry loop (a pool that cannot wait): pause, and every
 * BA_SPINS_BEFORE_YIELD steps give the CPU away, as memkit's lock does;
 * with 8 threads on 2 CPUs a pure spin would burn the time slice that the
 * holder of a block needs. */
static inline void ba_backoff(unsigned *spins)
{
    BA_CPU_RELAX();
    if (++*spins % BA_SPINS_BEFORE_YIELD == 0u)
        sched_yield();
}

/* ---- DPDK (bench_async_dpdk.c) ---------------------------------------------------- */

/* Starts DPDK's EAL without hugepages and creates its pools (256 B blocks:
 * 1023 with a per-lcore cache of 256, 1023 without a cache, and twice
 * BA_SHARED_BLOCKS without a cache: over ring_mp_mc and over ring_mt_rts). Call first, in a process without
 * other threads: the EAL is probed in a forked child first, so one that
 * aborts or exits costs only the child. Returns NULL, or why the DPDK rows
 * are skipped (also for MK_BENCH_SKIP="dpdk"). Restores the calling
 * thread's CPU affinity, which rte_eal_init pins to its main lcore. */
const char *ba_dpdk_start(void);

/* The DPDK release string, e.g. "DPDK 22.11.11" (after a successful start). */
const char *ba_dpdk_version(void);

/* Times BA_UNCONTENDED_OPS rte_mempool_get + rte_mempool_put pairs of one
 * block on the calling (main lcore) thread; ns per pair. `cached`: the pool
 * with the per-lcore cache, else the one without. */
double ba_dpdk_uncontended(int cached);

/* A contended worker's loop on a BA_SHARED_BLOCKS pool (`rts`: the one over
 * ring_mt_rts, else ring_mp_mc): get (retrying with ba_backoff while the
 * pool is empty: rte_mempool cannot wait), ba_hold, put, until *stop is set;
 * *pairs counts the pairs done so far. */
void ba_dpdk_contended(int rts, const atomic_int *stop, _Atomic uint64_t *pairs);

/* Stops the EAL (rte_eal_cleanup) after a successful start. */
void ba_dpdk_stop(void);

#endif /* MK_BENCH_ASYNC_H */

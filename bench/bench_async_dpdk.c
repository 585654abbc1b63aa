/* bench/bench_async_dpdk.c — DPDK's rte_mempool for bench/bench_async.c.
 *
 * Compiled apart, with `pkg-config --cflags libdpdk` (its include dirs as
 * -isystem), and linked into bench_async with `pkg-config --libs libdpdk`
 * (bench/run_async.sh). rte_mempool_get / rte_mempool_put are static inline
 * in DPDK's headers, so the timed loops live here, where they inline.
 *
 * The EAL runs without hugepages or devices (--no-huge --no-pci -m 128
 * --no-shconf --no-telemetry, one lcore): DPDK's pools then sit in ordinary
 * anonymous memory, which is what the other pools of the bench use too. Only
 * the main thread is an EAL lcore; the contended workers are plain pthreads
 * (lcore id LCORE_ID_ANY) on a pool without a cache, which they reach
 * through its ring (ring_mp_mc, the default ops) as any thread may.
 *
 * Built with -DMK_BENCH_DPDK_MISSING="reason" (no libdpdk found), this file
 * only says why the DPDK rows are skipped.
 */
#define _GNU_SOURCE /* cpu_set_t, sched_getaffinity; DPDK's headers want it too */
#include "bench_async.h"

#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifdef MK_BENCH_DPDK_MISSING

const char *ba_dpdk_start(void)
{
    static char why[256];
    if (peer_skipped("dpdk", why, sizeof why))
        return why;
    return MK_BENCH_DPDK_MISSING;
}

const char *ba_dpdk_version(void) { return "-"; }
double ba_dpdk_uncontended(int cached)
{
    (void)cached;
    return 0.0;
}
void ba_dpdk_contended(int rts, const atomic_int *stop, _Atomic uint64_t *pairs)
{
    (void)rts;
    (void)stop;
    (void)pairs;
}
void ba_dpdk_stop(void) {}

#else

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_mempool.h>
#include <rte_version.h>

#define BA_EAL_PROBE_TIMEOUT_S 30u

static struct rte_mempool *g_cached, *g_uncached, *g_shared, *g_shared_rts;

/* A pool of n blocks with a per-lcore cache of `cache` (0: none) and the
 * mempool ops `ops` (the ring flavour under it); NULL on failure. */
static struct rte_mempool *make_pool(const char *name, unsigned n, unsigned cache, const char *ops)
{
    struct rte_mempool *mp = rte_mempool_create_empty(name, n, BA_BLOCK, cache, 0, SOCKET_ID_ANY, 0);
    if (mp == NULL)
        return NULL;
    if (rte_mempool_set_ops_byname(mp, ops, NULL) != 0 || rte_mempool_populate_default(mp) < 0) {
        rte_mempool_free(mp);
        return NULL;
    }
    return mp;
}

/* rte_eal_init's arguments: argv[0] is a name, the rest are options. */
static int eal_init(const char *prefix)
{
    char file_prefix[64];
    snprintf(file_prefix, sizeof file_prefix, "--file-prefix=%s", prefix);
    char *argv[] = {"bench_async", "--no-huge", "--no-pci", "-m", "128", "--no-shconf", "--no-telemetry",
                    "--log-level=4", /* errors only */
                    "-l", "0", file_prefix, NULL};
    return rte_eal_init((int)(sizeof argv / sizeof argv[0]) - 1, argv);
}

/* Runs rte_eal_init in a child first: an EAL that cannot start may exit or
 * abort rather than return -1. NULL when the child started it. */
static const char *eal_probe(char *why, size_t n)
{
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0) {
        snprintf(why, n, "fork for the EAL probe failed");
        return why;
    }
    if (pid == 0) {
        alarm(BA_EAL_PROBE_TIMEOUT_S);
        char prefix[48];
        snprintf(prefix, sizeof prefix, "memkit-bench-probe-%ld", (long)getpid());
        int rc = eal_init(prefix);
        if (rc < 0) {
            fprintf(stderr, "bench-async: rte_eal_init: %s\n", rte_strerror(rte_errno));
            _exit(3);
        }
        rte_eal_cleanup();
        _exit(0);
    }
    int status = 0;
    while (waitpid(pid, &status, 0) < 0) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return NULL;
    if (WIFEXITED(status))
        snprintf(why, n, "rte_eal_init failed in a probe (exit %d; EAL errors above)", WEXITSTATUS(status));
    else
        snprintf(why, n, "rte_eal_init killed the probe (signal %d%s)", WTERMSIG(status),
                 WTERMSIG(status) == SIGALRM ? ": hung" : "");
    return why;
}

const char *ba_dpdk_start(void)
{
    static char why[256];
    if (peer_skipped("dpdk", why, sizeof why))
        return why;
    if (eal_probe(why, sizeof why) != NULL)
        return why;
    cpu_set_t cpus;
    int have_cpus = sched_getaffinity(0, sizeof cpus, &cpus) == 0;
    char prefix[48];
    snprintf(prefix, sizeof prefix, "memkit-bench-%ld", (long)getpid());
    if (eal_init(prefix) < 0) {
        snprintf(why, sizeof why, "rte_eal_init: %s", rte_strerror(rte_errno));
        return why;
    }
    /* -l 0 pinned this thread to CPU 0, and threads it creates inherit that */
    if (have_cpus)
        sched_setaffinity(0, sizeof cpus, &cpus);
    /* ring_mp_mc is what rte_mempool_create picks without flags */
    g_cached = make_pool("ba_cached", BA_UNCONTENDED_BLOCKS - 1u, 256, "ring_mp_mc");
    g_uncached = make_pool("ba_uncached", BA_UNCONTENDED_BLOCKS - 1u, 0, "ring_mp_mc");
    g_shared = make_pool("ba_shared", BA_SHARED_BLOCKS, 0, "ring_mp_mc");
    g_shared_rts = make_pool("ba_shared_rts", BA_SHARED_BLOCKS, 0, "ring_mt_rts");
    if (g_cached == NULL || g_uncached == NULL || g_shared == NULL || g_shared_rts == NULL) {
        snprintf(why, sizeof why, "rte_mempool_create: %s", rte_strerror(rte_errno));
        rte_eal_cleanup();
        return why;
    }
    return NULL;
}

const char *ba_dpdk_version(void) { return rte_version(); }

double ba_dpdk_uncontended(int cached)
{
    struct rte_mempool *mp = cached ? g_cached : g_uncached;
    int bad = 0;
    uint64_t t0 = now_ns();
    for (int i = 0; i < BA_UNCONTENDED_OPS; i++) {
        void *b;
        bad |= rte_mempool_get(mp, &b);
        BA_ESCAPE(b);
        rte_mempool_put(mp, b);
    }
    uint64_t t1 = now_ns();
    if (bad) {
        fprintf(stderr, "bench-async: rte_mempool_get failed on an uncontended pool\n");
        exit(1);
    }
    return (double)(t1 - t0) / BA_UNCONTENDED_OPS;
}

void ba_dpdk_contended(int rts, const atomic_int *stop, _Atomic uint64_t *pairs)
{
    struct rte_mempool *mp = rts ? g_shared_rts : g_shared;
    uint64_t n = 0;
    while (!atomic_load_explicit(stop, memory_order_relaxed)) {
        void *b;
        unsigned spins = 0;
        while (rte_mempool_get(mp, &b) != 0)
            ba_backoff(&spins);
        ba_hold(b);
        rte_mempool_put(mp, b);
        atomic_store_explicit(pairs, ++n, memory_order_relaxed);
    }
}

void ba_dpdk_stop(void)
{
    rte_mempool_free(g_cached);
    rte_mempool_free(g_uncached);
    rte_mempool_free(g_shared);
    rte_mempool_free(g_shared_rts);
    rte_eal_cleanup();
}

#endif /* MK_BENCH_DPDK_MISSING */

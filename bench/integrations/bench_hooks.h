/* bench/integrations/bench_hooks.h — what the adapter benches share: the four
 * allocators as one table of hook functions, and a driver that times a
 * library's workload on each in a child process of its own.
 *
 * A row is the library's workload with its allocator hook pointed at:
 *   memkit    the adapter of integrations/<lib> (the bench's own config)
 *   glibc     malloc, calloc, realloc, free, malloc_usable_size
 *   mimalloc  mi_malloc ... (dlopen'ed: bench/peers.h says why)
 *   jemalloc  its malloc ... (dlopen'ed)
 * SQLite's, libuv's and SDL's hooks are process-global and must be set before
 * the library allocates: each allocator runs in fresh child processes (fork,
 * peers.h's fork_piped), which set the hook, run one warm-up round and a
 * share of the ROUNDS timed rounds, and send back the times and the
 * workload's checksum; the children of the four allocators take turns
 * (bench_main).
 * The parent checks that every allocator computed the same checksum and
 * prints, per allocator,
 *   ROW<TAB>lib<TAB>workload<TAB>allocator<TAB>median_ns<TAB>min_ns<TAB>max_ns
 * (bench/run_integrations.sh turns them into a table).
 *
 * MK_BENCH_STATS=1 prints memkit's stats table (mk_stats_print) after the
 * memkit child's rounds, to size the bench's config by.
 *
 * Include after defining _POSIX_C_SOURCE (clock_gettime, fork).
 */
#ifndef MK_BENCH_HOOKS_H
#define MK_BENCH_HOOKS_H

#include <malloc.h>
#include <sys/wait.h>

#include "peers.h"

#define BENCH_MAX_ROUNDS 1000

typedef struct bench_alloc {
    const char *name;
    int memkit; /* 1: use the adapter; the function pointers are unused */
    void *(*malloc_fn)(size_t);
    void *(*calloc_fn)(size_t, size_t);
    void *(*realloc_fn)(void *, size_t);
    void (*free_fn)(void *);
    size_t (*usable_fn)(void *);
} bench_alloc_t;

/* The allocator the child runs with: the hook functions below read it. */
static bench_alloc_t bench_a;

static inline void *bench_malloc(size_t n) { return bench_a.malloc_fn(n); }
static inline void *bench_calloc(size_t c, size_t n) { return bench_a.calloc_fn(c, n); }
static inline void *bench_realloc(void *p, size_t n) { return bench_a.realloc_fn(p, n); }
static inline void bench_free(void *p) { bench_a.free_fn(p); }

static inline size_t bench_glibc_usable(void *p) { return malloc_usable_size(p); }

/* Fills *a for `name` (glibc, mimalloc, jemalloc); NULL, or why not. */
static inline const char *bench_load(const char *name, bench_alloc_t *a, char *why, size_t n)
{
    memset(a, 0, sizeof *a);
    a->name = name;
    if (strcmp(name, "memkit") == 0) {
        a->memkit = 1;
        return NULL;
    }
    if (strcmp(name, "glibc") == 0) {
        a->malloc_fn = malloc;
        a->calloc_fn = calloc;
        a->realloc_fn = realloc;
        a->free_fn = free;
        a->usable_fn = bench_glibc_usable;
        return NULL;
    }
    void *(*m)(size_t);
    void (*f)(void *);
    if (peer_load(name, &m, &f, why, n) != NULL)
        return why;
    void *c = peer_symbol(name, "calloc");
    void *r = peer_symbol(name, "realloc");
    void *u = peer_symbol(name, "malloc_usable_size");
    if (c == NULL || r == NULL || u == NULL) {
        snprintf(why, n, "dlsym found no calloc/realloc/usable size in %s", name);
        return why;
    }
    a->malloc_fn = m;
    a->free_fn = f;
    memcpy(&a->calloc_fn, &c, sizeof c); /* object pointer -> function pointer, ISO-clean */
    memcpy(&a->realloc_fn, &r, sizeof r);
    memcpy(&a->usable_fn, &u, sizeof u);
    return NULL;
}

/* What a bench defines. */
typedef struct bench_spec {
    const char *lib, *workload;
    /* In the child, once: point the library's hook at `a` (bench_a is set);
     * memkit is initialised already. Returns 0, or -1 to give up. */
    int (*install)(const bench_alloc_t *a);
    /* One round of the workload; returns a checksum of its results. */
    uint64_t (*round)(void);
} bench_spec_t;

static inline void bench_write_all(int fd, const void *buf, size_t len)
{
    const char *p = buf;
    while (len > 0) {
        ssize_t n = write(fd, p, len);
        if (n <= 0)
            _exit(1);
        p += n;
        len -= (size_t)n;
    }
}

static inline int bench_read_all(int fd, void *buf, size_t len)
{
    char *p = buf;
    while (len > 0) {
        ssize_t n = read(fd, p, len);
        if (n <= 0)
            return -1;
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

#define BENCH_ALLOCATORS 4

/* One child: allocator `name`, a warm-up round and `rounds` timed rounds into
 * ns[0..rounds-1]. Returns 1 with *sum set, 0 when the allocator is skipped
 * or its rounds disagree (said on stderr), -1 when the child failed. */
static inline int bench_child(const bench_spec_t *spec, const char *name, int rounds, double *ns, uint64_t *sum)
{
    int fd[2];
    pid_t pid = fork_piped(fd, spec->lib);
    if (pid == 0) {
        char why[256];
        uint64_t s0 = 0;
        int ok = 1;
        if (bench_load(name, &bench_a, why, sizeof why) != NULL) {
            fprintf(stderr, "%s: %s skipped: %s\n", spec->lib, name, why);
            ok = 0;
        } else if (mk_init(&mkg_config) != MK_OK || spec->install(&bench_a) != 0) {
            fprintf(stderr, "%s: %s: setting the hook failed\n", spec->lib, name);
            ok = 0;
        }
        if (ok) {
            s0 = spec->round(); /* warm-up */
            for (int r = 0; r < rounds; r++) {
                uint64_t t0 = now_ns();
                uint64_t s = spec->round();
                ns[r] = (double)(now_ns() - t0);
                if (s != s0) {
                    fprintf(stderr, "%s: %s: round %d computed %llu, the warm-up %llu\n", spec->lib, name, r,
                            (unsigned long long)s, (unsigned long long)s0);
                    ok = 0;
                }
            }
        }
        if (ok && bench_a.memkit && getenv("MK_BENCH_STATS") != NULL)
            mk_stats_print(stderr); /* how the config served the workload: tune it by this */
        bench_write_all(fd[1], &ok, sizeof ok);
        bench_write_all(fd[1], &s0, sizeof s0);
        if (ok)
            bench_write_all(fd[1], ns, sizeof ns[0] * (size_t)rounds);
        _exit(0);
    }
    int ok = 0;
    int got = bench_read_all(fd[0], &ok, sizeof ok) == 0 && bench_read_all(fd[0], sum, sizeof *sum) == 0 &&
              (!ok || bench_read_all(fd[0], ns, sizeof ns[0] * (size_t)rounds) == 0);
    close(fd[0]);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    if (!got || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
        fprintf(stderr, "%s: the %s child failed\n", spec->lib, name);
        return -1;
    }
    return ok;
}

/* Runs spec on every allocator, ROUNDS (argv[1], else MK_BENCH_ROUNDS, else
 * 11) rounds each, in passes: each pass runs a child per allocator, in an
 * order that rotates from pass to pass, so that a change in the machine's
 * load is shared out instead of landing on whoever runs last. PASSES is
 * MK_BENCH_PASSES (default 3, at most ROUNDS). Returns the exit status. */
static inline int bench_main(int argc, char **argv, const bench_spec_t *spec)
{
    static const char *const names[BENCH_ALLOCATORS] = {"memkit", "glibc", "mimalloc", "jemalloc"};
    static double ns[BENCH_ALLOCATORS][BENCH_MAX_ROUNDS];
    int rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 11, BENCH_MAX_ROUNDS, argv[0], "rounds");
    if (rounds < 0)
        return 2;
    const char *passes_env = getenv("MK_BENCH_PASSES");
    int passes = passes_env != NULL ? atoi(passes_env) : 3;
    if (passes < 1)
        passes = 1;
    if (passes > rounds)
        passes = rounds;
    int done[BENCH_ALLOCATORS] = {0}, live[BENCH_ALLOCATORS];
    uint64_t sums[BENCH_ALLOCATORS] = {0};
    int status = 0;
    for (int i = 0; i < BENCH_ALLOCATORS; i++) {
        char why[256];
        live[i] = !peer_skipped(names[i], why, sizeof why);
        if (!live[i])
            fprintf(stderr, "%s: %s skipped: %s\n", spec->lib, names[i], why);
    }
    for (int p = 0; p < passes; p++) {
        int take = rounds / passes + (p < rounds % passes);
        for (int k = 0; k < BENCH_ALLOCATORS; k++) {
            int i = (k + p) % BENCH_ALLOCATORS;
            if (!live[i])
                continue;
            uint64_t sum = 0;
            int rc = bench_child(spec, names[i], take, &ns[i][done[i]], &sum);
            if (rc <= 0) {
                live[i] = 0;
                status |= rc < 0;
                continue;
            }
            done[i] += take;
            sums[i] = sum;
        }
    }
    /* every allocator must have computed the same results */
    int first = -1;
    for (int i = 0; i < BENCH_ALLOCATORS; i++) {
        if (!live[i])
            continue;
        if (first < 0) {
            first = i;
        } else if (sums[i] != sums[first]) {
            fprintf(stderr, "%s: %s computed %llu, %s %llu: the workload's results differ\n", spec->lib, names[i],
                    (unsigned long long)sums[i], names[first], (unsigned long long)sums[first]);
            status = 1;
        }
    }
    for (int i = 0; i < BENCH_ALLOCATORS; i++) {
        if (!live[i])
            continue;
        double med = median(ns[i], rounds);
        printf("ROW\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\n", spec->lib, spec->workload, names[i], med, ns[i][0],
               ns[i][rounds - 1]);
    }
    fflush(stdout);
    return status;
}

#endif /* MK_BENCH_HOOKS_H */

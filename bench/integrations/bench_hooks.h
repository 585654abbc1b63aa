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
 * the library allocates: each allocator gets a fresh child process (fork,
 * peers.h's fork_piped), which sets the hook, runs one warm-up round and
 * ROUNDS timed rounds, and sends back the times and the workload's checksum.
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
    const int mi = strcmp(name, "mimalloc") == 0;
    void *h = dlopen(mi ? "libmimalloc.so.2" : "libjemalloc.so.2", RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD);
    void *c = h != NULL ? dlsym(h, mi ? "mi_calloc" : "calloc") : NULL;
    void *r = h != NULL ? dlsym(h, mi ? "mi_realloc" : "realloc") : NULL;
    void *u = h != NULL ? dlsym(h, mi ? "mi_usable_size" : "malloc_usable_size") : NULL;
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

/* Runs spec on every allocator, ROUNDS (argv[1], else MK_BENCH_ROUNDS, else
 * 11) rounds each; returns the exit status. */
static inline int bench_main(int argc, char **argv, const bench_spec_t *spec)
{
    static const char *const names[] = {"memkit", "glibc", "mimalloc", "jemalloc"};
    int rounds = count_arg(argc, argv, "MK_BENCH_ROUNDS", 11, BENCH_MAX_ROUNDS, argv[0], "rounds");
    if (rounds < 0)
        return 2;
    uint64_t want_sum = 0;
    int have_sum = 0, status = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        char why[256];
        if (peer_skipped(names[i], why, sizeof why)) {
            fprintf(stderr, "%s: %s skipped: %s\n", spec->lib, names[i], why);
            continue;
        }
        int fd[2];
        pid_t pid = fork_piped(fd, spec->lib);
        if (pid == 0) {
            double ns[BENCH_MAX_ROUNDS];
            uint64_t sum = 0;
            int ok = 1;
            if (bench_load(names[i], &bench_a, why, sizeof why) != NULL) {
                fprintf(stderr, "%s: %s skipped: %s\n", spec->lib, names[i], why);
                ok = 0;
            } else if (mk_init(&mkg_config) != MK_OK || spec->install(&bench_a) != 0) {
                fprintf(stderr, "%s: %s: setting the hook failed\n", spec->lib, names[i]);
                ok = 0;
            }
            if (ok) {
                sum = spec->round(); /* warm-up */
                for (int r = 0; r < rounds; r++) {
                    uint64_t t0 = now_ns();
                    uint64_t s = spec->round();
                    ns[r] = (double)(now_ns() - t0);
                    if (s != sum)
                        ok = 0;
                }
            }
            if (ok && bench_a.memkit && getenv("MK_BENCH_STATS") != NULL)
                mk_stats_print(stderr); /* how the config served the workload: tune it by this */
            bench_write_all(fd[1], &ok, sizeof ok);
            bench_write_all(fd[1], &sum, sizeof sum);
            bench_write_all(fd[1], ns, sizeof ns[0] * (size_t)rounds);
            _exit(0);
        }
        int ok = 0;
        uint64_t sum = 0;
        double ns[BENCH_MAX_ROUNDS];
        int got = bench_read_all(fd[0], &ok, sizeof ok) == 0 && bench_read_all(fd[0], &sum, sizeof sum) == 0 &&
                  (!ok || bench_read_all(fd[0], ns, sizeof ns[0] * (size_t)rounds) == 0);
        close(fd[0]);
        int wstatus = 0;
        waitpid(pid, &wstatus, 0);
        if (!got || !WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0) {
            fprintf(stderr, "%s: the %s child failed\n", spec->lib, names[i]);
            status = 1;
            continue;
        }
        if (!ok)
            continue; /* skipped (said why) or the rounds disagreed */
        if (have_sum && sum != want_sum) {
            fprintf(stderr, "%s: %s computed %llu, memkit/glibc %llu: the workload's results differ\n", spec->lib,
                    names[i], (unsigned long long)sum, (unsigned long long)want_sum);
            status = 1;
        }
        want_sum = sum;
        have_sum = 1;
        double med = median(ns, rounds);
        printf("ROW\t%s\t%s\t%s\t%.0f\t%.0f\t%.0f\n", spec->lib, spec->workload, names[i], med, ns[0],
               ns[rounds - 1]);
        fflush(stdout);
    }
    return status;
}

#endif /* MK_BENCH_HOOKS_H */

/* bench/peers.h — what bench/bench.c and bench/bench_mt.c share: the clock,
 * the median of samples, the random stream, the count of rounds on the
 * command line, loading the peer allocators, and forking a measuring child
 * that reports through a pipe.
 *
 * Peers are reached through dlopen(RTLD_LOCAL) + dlsym: Debian's libmimalloc
 * and libjemalloc both export plain malloc/free, which would replace glibc's
 * for the whole process if linked. mimalloc is called through mi_malloc/mi_free,
 * jemalloc through its malloc/free. glibc needs no loading (malloc/free).
 *
 * Static inline functions in a header: each benchmark is one translation unit,
 * and one that does not call a helper gets no unused-function warning.
 * Include after defining _POSIX_C_SOURCE (clock_gettime, fork).
 */
#ifndef MK_BENCH_PEERS_H
#define MK_BENCH_PEERS_H

#include <dlfcn.h>
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/types.h>
#include <unistd.h>

/* ---- clock, median, random ------------------------------------------------------- */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* Median of v[0..n-1]; sorts v, so v[0] and v[n-1] are then the min and max. */
static inline double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_double);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2.0;
}

/* The random stream of sizes and slots (xorshift64; *s must not be 0). */
static inline uint64_t xorshift64(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return *s = x;
}

/* ---- command line ----------------------------------------------------------------- */

/* The number of rounds: argv[1], else the environment variable `env`, else
 * `dflt`. Out of 1..max, prints "usage: PROG [WHAT 1..MAX]" and returns -1. */
static inline int count_arg(int argc, char **argv, const char *env, int dflt, int max, const char *prog,
                            const char *what)
{
    int count = dflt;
    const char *val = getenv(env);
    if (argc > 1)
        count = atoi(argv[1]);
    else if (val != NULL)
        count = atoi(val);
    if (count < 1 || count > max) {
        fprintf(stderr, "usage: %s [%s 1..%d]\n", prog, what, max);
        return -1;
    }
    return count;
}

/* ---- peers ---------------------------------------------------------------------- */

/* 1 when MK_BENCH_SKIP (e.g. "jemalloc") names allocator `name`, with why in
 * why[0..n-1]; 0 otherwise (why untouched). */
static inline int peer_skipped(const char *name, char *why, size_t n)
{
    const char *skip = getenv("MK_BENCH_SKIP");
    if (skip == NULL || strstr(skip, name) == NULL)
        return 0;
    snprintf(why, n, "left out by MK_BENCH_SKIP");
    return 1;
}

/* The peers: their library and the names of their functions (mimalloc
 * prefixes its own; Debian's jemalloc exports the plain names). */
typedef struct peer_lib {
    const char *name, *lib, *prefix;
} peer_lib_t;

static inline const peer_lib_t *peer_lib(const char *name)
{
    static const peer_lib_t libs[] = {
        {"mimalloc", "libmimalloc.so.2", "mi_"},
        {"jemalloc", "libjemalloc.so.2", ""},
    };
    for (size_t i = 0; i < sizeof libs / sizeof libs[0]; i++)
        if (strcmp(libs[i].name, name) == 0)
            return &libs[i];
    return NULL;
}

/* A function of a peer peer_load has loaded, by its plain name (calloc,
 * realloc; malloc_usable_size is mimalloc's mi_usable_size); NULL when the
 * library or the name is not there. */
static inline void *peer_symbol(const char *name, const char *plain)
{
    const peer_lib_t *p = peer_lib(name);
    void *h = p != NULL ? dlopen(p->lib, RTLD_NOW | RTLD_LOCAL | RTLD_NOLOAD) : NULL;
    if (h == NULL)
        return NULL;
    char sym[64];
    const char *base = p->prefix[0] != '\0' && strcmp(plain, "malloc_usable_size") == 0 ? "usable_size" : plain;
    snprintf(sym, sizeof sym, "%s%s", p->prefix, base);
    return dlsym(h, sym);
}

/* Loads peer `name` ("mimalloc" or "jemalloc") by soname and sets *pmalloc and
 * *pfree to its malloc and free. Returns NULL, or why it cannot be used (in
 * why[0..n-1]). */
static inline const char *peer_load(const char *name, void *(**pmalloc)(size_t), void (**pfree)(void *), char *why,
                                    size_t n)
{
    const peer_lib_t *p = peer_lib(name);
    if (p == NULL) {
        snprintf(why, n, "no library known for %s", name);
        return why;
    }
    const char *lib = p->lib;
    void *h = dlopen(lib, RTLD_NOW | RTLD_LOCAL);
    if (h == NULL) {
        const char *err = dlerror();
        int absent = err != NULL && strstr(err, "No such file") != NULL;
        snprintf(why, n, "dlopen failed: %s%s%s%s", err != NULL ? err : "?", absent ? " (apt-get install lib" : "",
                 absent ? name : "", absent ? "-dev)" : "");
        return why;
    }
    /* dlsym on a handle looks in that library first: its malloc, not glibc's */
    void *m = peer_symbol(name, "malloc");
    void *f = peer_symbol(name, "free");
    if (m == NULL || f == NULL) {
        snprintf(why, n, "dlsym found no malloc/free in %s", lib);
        return why;
    }
    memcpy(pmalloc, &m, sizeof m); /* object pointer -> function pointer, ISO-clean */
    memcpy(pfree, &f, sizeof f);
    if (*pmalloc == malloc) {
        snprintf(why, n, "dlsym returned glibc's malloc, not %s's", name);
        return why;
    }
    return NULL;
}

/* ---- a measuring child ------------------------------------------------------------ */

/* Prints "TAG: WHAT: the error" (as perror) and exits 1. */
static inline void fork_fail(const char *tag, const char *what)
{
    int e = errno;
    fprintf(stderr, "%s: %s: %s\n", tag, what, strerror(e));
    exit(1);
}

/* Forks a child with a pipe to the parent (stdio flushed first, so nothing
 * buffered is written twice). Returns 0 in the child, which writes to fd[1]
 * (fd[0] closed), and the child's pid in the parent, which reads fd[0]
 * (fd[1] closed). Exits 1, with a message starting with `tag`, on failure. */
static inline pid_t fork_piped(int fd[2], const char *tag)
{
    if (pipe(fd) != 0)
        fork_fail(tag, "pipe");
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid < 0)
        fork_fail(tag, "fork");
    close(fd[pid == 0 ? 0 : 1]);
    return pid;
}

#endif /* MK_BENCH_PEERS_H */

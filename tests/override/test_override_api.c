/* test_override_api.c — libmemkit_override's malloc family against what
 * POSIX and glibc promise (errno, alignment, malloc(0), realloc(p, 0),
 * overflow), and foreign pointers: blocks from glibc's own allocator
 * (__libc_malloc, as anything allocated before the interposer) freed,
 * resized and measured through the interposer; and a library dlopen'ed
 * after start-up, whose calls must take its [override] rule.
 *
 * Built twice: test_override_api_linked links the static override first
 * (OVERRIDE_LINKED: it also checks with mk_owns and mk_stats_get that the
 * blocks are memkit's and charged to the <main> rule's intent), and
 * test_override_api runs under LD_PRELOAD of the shared one. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifdef OVERRIDE_LINKED
#include <memkit/memkit.h>
#endif

extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_memalign(size_t align, size_t size);

static int failures;
#define CHECK(cond)                                                                                                    \
    do {                                                                                                               \
        if (!(cond)) {                                                                                                 \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond);                                   \
            failures++;                                                                                                \
        }                                                                                                              \
    } while (0)

static int aligned_to(const void *p, size_t align)
{
    return p != NULL && (uintptr_t)p % align == 0u;
}

static void *volatile sink; /* keeps the compiler from pairing calls away */
/* sizes the compiler cannot see: it would refuse the impossible requests at build time */
static volatile size_t size_max = SIZE_MAX;
static volatile size_t three = 3; /* an alignment that is no power of two (clang warns of a literal one) */

static void test_basics(void)
{
    char *p = malloc(100);
    CHECK(p != NULL && malloc_usable_size(p) >= 100u && aligned_to(p, 16));
    memset(p, 'a', 100);
#ifdef OVERRIDE_LINKED
    CHECK(mk_owns(p));
#endif
    void *z1 = malloc(0), *z2 = malloc(0);
    CHECK(z1 != NULL && z2 != NULL && z1 != z2);
    free(z1);
    free(z2);
    free(NULL);

    errno = 0;
    sink = malloc(size_max);
    CHECK(sink == NULL && errno == ENOMEM);
    errno = 0;
    sink = calloc(size_max / 2u, 4u);
    CHECK(sink == NULL && errno == ENOMEM);

    /* calloc zeroes a block that was dirty before */
    for (int round = 0; round < 50; round++) {
        unsigned char *d = malloc(4000);
        memset(d, 0xab, 4000);
        free(d);
        unsigned char *c = calloc(500, 8);
        int zero = c != NULL;
        for (size_t i = 0; zero && i < 4000u; i++)
            zero = c[i] == 0u;
        CHECK(zero);
        free(c);
    }

    /* realloc: NULL, grow (content kept), shrink, 0 frees */
    char *r = realloc(NULL, 10);
    CHECK(r != NULL);
    memcpy(r, "0123456789", 10);
    r = realloc(r, 100000);
    CHECK(r != NULL && memcmp(r, "0123456789", 10) == 0);
    r = realloc(r, 5);
    CHECK(r != NULL && memcmp(r, "01234", 5) == 0);
    errno = 0;
    CHECK(realloc(r, 0) == NULL);
    errno = 0;
    sink = reallocarray(NULL, size_max / 2u, 3u);
    CHECK(sink == NULL && errno == ENOMEM);
    free(p);
}

static void test_aligned(void)
{
    void *p = (void *)&p;
    void *before = p;
    CHECK(posix_memalign(&p, three, 10) == EINVAL && p == before);
    CHECK(posix_memalign(&p, sizeof(void *) / 2u, 10) == EINVAL && p == before);
    CHECK(posix_memalign(&p, size_max / 2u + 1u, size_max / 2u) == ENOMEM && p == before);
    for (size_t align = sizeof(void *); align <= 65536u; align *= 2u) {
        void *q = NULL;
        CHECK(posix_memalign(&q, align, 100) == 0 && aligned_to(q, align));
        memset(q, 1, 100);
        free(q);
    }
    errno = 0;
    CHECK(aligned_alloc(three, 10) == NULL && errno == EINVAL);
    void *a = aligned_alloc(256, 1000);
    CHECK(aligned_to(a, 256) && malloc_usable_size(a) >= 1000u);
    free(a);
    void *m = memalign(three * 16u, 10); /* glibc: 48 is rounded up to 64 */
    CHECK(aligned_to(m, 64));
    free(m);
    errno = 0;
    CHECK(memalign(size_max / 2u + 2u, 10) == NULL && errno == EINVAL);
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    void *v = valloc(10);
    CHECK(aligned_to(v, page));
    free(v);
    void *pv = pvalloc(1);
    CHECK(aligned_to(pv, page) && malloc_usable_size(pv) >= page);
    free(pv);
}

/* Blocks from glibc itself: what was allocated before the interposer loaded,
 * or by code that calls glibc directly. */
static void test_foreign(void)
{
    char *q = __libc_malloc(100);
    CHECK(q != NULL);
    memset(q, 'q', 100);
#ifdef OVERRIDE_LINKED
    CHECK(!mk_owns(q));
#endif
    CHECK(malloc_usable_size(q) >= 100u);
    char *r = realloc(q, 5000); /* moves to memkit, the 100 bytes along */
    int same = r != NULL;
    for (int i = 0; same && i < 100; i++)
        same = r[i] == 'q';
    CHECK(same);
#ifdef OVERRIDE_LINKED
    CHECK(mk_owns(r));
#endif
    free(r);
    free(__libc_malloc(50));
    free(__libc_calloc(10, 10));
    void *al = __libc_memalign(4096, 100);
    CHECK(aligned_to(al, 4096) && malloc_usable_size(al) >= 100u);
    free(al);
    char *shrink = __libc_malloc(1000);
    memset(shrink, 's', 1000);
    shrink = realloc(shrink, 10);
    CHECK(shrink != NULL && shrink[9] == 's');
    free(shrink);
}

/* Resident bytes of this process (/proc/self/statm), 0 when unknown. */
static size_t resident_bytes(void)
{
    unsigned long pages = 0, resident = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f == NULL)
        return 0;
    int n = fscanf(f, "%lu %lu", &pages, &resident);
    fclose(f);
    return n == 2 ? (size_t)resident * (size_t)sysconf(_SC_PAGESIZE) : 0u;
}

/* Requests larger than memkit's 2 GiB heap (tests/override/override.toml)
 * take the glibc road without costing what glibc would not: a calloc is
 * glibc's (fresh mmap pages are not touched to be zeroed), and a realloc of
 * such a block is glibc's too (mremap, no copy). A memset or a copy of the
 * 2 GiB would make them resident. */
static void test_beyond_memkit(void)
{
    const size_t big = ((size_t)2 << 30) + ((size_t)64 << 20);
    size_t before = resident_bytes();
    unsigned char *p = calloc(1, big);
    CHECK(p != NULL);
    if (p == NULL)
        return;
#ifdef OVERRIDE_LINKED
    CHECK(!mk_owns(p));
#endif
    CHECK(p[0] == 0 && p[big / 2] == 0 && p[big - 1] == 0);
    p[0] = 'a';
    p[big - 1] = 'z';
    CHECK(resident_bytes() - before < ((size_t)64 << 20));
    unsigned char *q = realloc(p, big + ((size_t)64 << 20));
    CHECK(q != NULL);
    if (q == NULL) {
        free(p);
        return;
    }
    CHECK(q[0] == 'a' && q[big - 1] == 'z');
    CHECK(resident_bytes() - before < ((size_t)64 << 20));
    free(q);
}

/* Blocks handed between threads: freed by a thread that did not allocate them. */
#define HANDOFF 2000
static void *handed[HANDOFF];
static void *consume(void *arg)
{
    (void)arg;
    for (int i = 0; i < HANDOFF; i++)
        free(handed[i]);
    return NULL;
}

static void test_threads(void)
{
    for (int i = 0; i < HANDOFF; i++)
        handed[i] = malloc((size_t)(i % 700) + 1u);
    pthread_t t;
    CHECK(pthread_create(&t, NULL, consume, NULL) == 0);
    CHECK(pthread_join(t, NULL) == 0);
}

/* A library loaded after start-up: its calls find it in the module table
 * (rescanned on the miss) and take its rule, the sqlite intent. Returns the
 * blocks it allocated, 0 where libsqlite3 is not installed. */
static int test_dlopen(void)
{
    void *lib = dlopen("libsqlite3.so.0", RTLD_NOW | RTLD_LOCAL);
    if (lib == NULL)
        return 0;
    void *(*lib_malloc)(int) = NULL;
    void (*lib_free)(void *) = NULL;
    void *sym = dlsym(lib, "sqlite3_malloc");
    memcpy(&lib_malloc, &sym, sizeof sym);
    sym = dlsym(lib, "sqlite3_free");
    memcpy(&lib_free, &sym, sizeof sym);
    CHECK(lib_malloc != NULL && lib_free != NULL);
    void *blocks[100];
    for (int i = 0; i < 100; i++)
        blocks[i] = lib_malloc(1000 + i);
    for (int i = 0; i < 100; i++) {
        CHECK(blocks[i] != NULL);
        lib_free(blocks[i]);
    }
    return 100; /* the library stays loaded: sqlite keeps its mutexes until exit */
}

int main(void)
{
#ifdef OVERRIDE_LINKED
    mk_stats_t before, after;
    CHECK(mk_stats_get(&before) == MK_OK); /* the override started memkit before main */
#endif
    test_basics();
    test_aligned();
    test_foreign();
    test_beyond_memkit();
    test_threads();
    int from_lib = test_dlopen();
    (void)from_lib; /* the preloaded build checks it in the stats file (check_override.py) */
#ifdef OVERRIDE_LINKED
    CHECK(mk_stats_get(&after) == MK_OK);
    CHECK(after.intents[MK_INTENT_SQLITE].allocations >= (uint64_t)from_lib);
    /* the executable's calls are the <main> rule's: every one of them freed again */
    const mk_intent_stats_t *b = &before.intents[MK_INTENT_MAIN], *a = &after.intents[MK_INTENT_MAIN];
    CHECK(a->allocations - b->allocations >= 2000u);
    CHECK(a->allocations - b->allocations == a->frees - b->frees);
    CHECK(a->current == b->current);
#endif
    printf("%s\n", failures == 0 ? "ok" : "FAILED");
    return failures == 0 ? 0 : 1;
}

/* test_no_syscall.c — with storage = "static" and fallback = "none"
 * (tests/configs/static_none.toml), memkit makes no libc allocation and maps
 * no memory after mk_init. This program interposes malloc, calloc, realloc,
 * free, aligned_alloc, posix_memalign, mmap and munmap; once armed, any call
 * counts as a violation. A single-threaded workload over every tier,
 * including frame overflow, pool refill/flush, budgets and stats, then runs.
 * Not built with sanitizers (they own malloc). */
#define _GNU_SOURCE
#include "check.h"

#include <dlfcn.h>
#include <sys/mman.h>

static volatile int armed; /* volatile: the compiler knows malloc too well to be trusted with these */
static volatile int violations;

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void __libc_free(void *);
extern void *__libc_memalign(size_t, size_t);

static void violation(void)
{
    if (armed)
        violations++;
}

void *malloc(size_t n) { violation(); return __libc_malloc(n); }
void *calloc(size_t c, size_t n) { violation(); return __libc_calloc(c, n); }
void *realloc(void *p, size_t n) { violation(); return __libc_realloc(p, n); }
void free(void *p) { if (p != NULL) violation(); __libc_free(p); }
void *aligned_alloc(size_t a, size_t n) { violation(); return __libc_memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n)
{
    violation();
    *out = __libc_memalign(a, n);
    return *out == NULL ? 12 : 0;
}
void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t off)
{
    violation();
    static void *(*real)(void *, size_t, int, int, int, off_t);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "mmap");
    return real(addr, len, prot, flags, fd, off);
}
int munmap(void *addr, size_t len)
{
    violation();
    static int (*real)(void *, size_t);
    if (real == NULL)
        *(void **)&real = dlsym(RTLD_NEXT, "munmap");
    return real(addr, len);
}

static void workload(void)
{
    void *held[256];
    for (int frame = 0; frame < 8; frame++) {
        mk_begin_frame();
        for (int i = 0; i < 600; i++)
            (void)mk_alloc(MK_INTENT_PER_FRAME, 128); /* 75 KiB: overflows the 64 KiB arena */
        for (int i = 0; i < 256; i++)
            held[i] = mk_alloc(MK_INTENT_ITEMS, (size_t)(i % 250) + 1);
        void *big = mk_alloc(MK_INTENT_BULK, 100000);
        void *grown = mk_realloc(MK_INTENT_BULK, big, 120000);
        void *too_big = mk_alloc(MK_INTENT_BULK, 1 << 20); /* heap full, no system fallback */
        CHECK(too_big == NULL);
        CHECK(grown != NULL);
        mk_free(grown);
        for (int i = 0; i < 256; i++)
            mk_free(held[i]);
        mk_end_frame();
    }
    mk_stats_t s;
    CHECK_EQ(mk_stats_get(&s), MK_OK);
    CHECK_EQ(s.system_bytes, 0u);
    CHECK(s.intents[MK_INTENT_PER_FRAME].allocations == 8u * 600u);
}

static void test_no_allocation_after_init(void)
{
    violations = 0;
    armed = 1;
    workload();
    mk_thread_detach();
    armed = 0;
    CHECK_EQ(violations, 0);
}

/* The interposition itself works: a malloc while armed is seen. */
static void test_interposition_is_live(void)
{
    violations = 0;
    armed = 1;
    void *volatile p = malloc(16); /* volatile: the pair must not be elided */
    armed = 0;
    free(p);
    CHECK_EQ(violations, 1);
}

int main(void)
{
    RUN(test_interposition_is_live);
    RUN(test_no_allocation_after_init);
    return check_finish("no_syscall");
}

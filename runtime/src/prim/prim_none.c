/* prim_none.c — prim.h for bare metal (MK_OS=none): no operating system, no
 * threads, no virtual memory, nothing from libc.
 *
 * Every tier must use storage = "static" (mk__prim_reserve has nothing to
 * give: mk_init fails with MK_ESYSTEM otherwise) and the heap fallback =
 * "none" (system allocations fail). A panic ends in a loop that never
 * returns, after the message sink and the panic handler (memkit/output.h),
 * where a program resets the device or halts its debugger. Time stands still
 * unless the program names its clock at build time: -DMK_NONE_CLOCK_NS=fn
 * with `uint64_t fn(void)` a monotonic clock in nanoseconds (the async tier's
 * deadlines; mk_async_set_clock sets one at run time). The thread
 * functions are prim_single.c's, as in every threads = false build.
 */
#include "os.h"
#if MK__OS_NONE
#include <memkit/memkit.h> /* first: a config's prefix renames what prim.h declares */

#include "prim.h"

#if MKG_THREADS
#error "MK_OS=none has no threads: generate the config with threads = false, or supply an OS layer (MK_OS=user)"
#endif

void *mk__prim_reserve(size_t bytes)
{
    (void)bytes;
    return NULL;
}

void mk__prim_release(void *mem, size_t bytes)
{
    (void)mem;
    (void)bytes;
}

void mk__prim_prefault(void *mem, size_t bytes) /* physical memory is always there */
{
    (void)mem;
    (void)bytes;
}

void *mk__prim_system_alloc(size_t bytes)
{
    (void)bytes;
    return NULL;
}

void mk__prim_system_free(void *mem)
{
    (void)mem;
}

_Noreturn void mk__prim_abort(void)
{
    for (;;) {
#if defined(__arm__) || defined(__thumb__)
        __asm__ __volatile__("wfi"); /* sleep until an interrupt, then wait again */
#endif
    }
}

/* A different value at each call (sentinel canaries need variety, not
 * secrecy): a counter mixed by splitmix64. */
uint64_t mk__prim_entropy(void)
{
    static uint64_t state = 0x9E3779B97F4A7C15u;
    uint64_t z = (state += 0x9E3779B97F4A7C15u);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9u;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBu;
    return z ^ (z >> 31);
}

void mk__prim_relax(void) {}

uint64_t mk__prim_now_ns(void)
{
#ifdef MK_NONE_CLOCK_NS
    uint64_t MK_NONE_CLOCK_NS(void);
    return MK_NONE_CLOCK_NS();
#else
    return 0;
#endif
}

#else
typedef int mk__prim_none_unused; /* another OS layer is chosen (os.h) */
#endif /* MK__OS_NONE */

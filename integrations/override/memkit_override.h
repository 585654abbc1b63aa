/* memkit_override.h — libmemkit_override: malloc, free, calloc, realloc,
 * reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc,
 * malloc_usable_size and C++ new/delete served by memkit, each call charged
 * to an intent by the calling module and the size ([override] in
 * memkit.toml). docs/override.md is the manual: how to preload or link it,
 * how calls are attributed, what happens before mk_init, with foreign
 * pointers, threads beyond max_threads, fork and at exit.
 *
 * This header is the interposer's inside, shared by memkit_override.c and
 * the C++ operators (memkit_override_new.cpp); programs need none of it:
 * they call malloc and new as always.
 */
#ifndef MEMKIT_OVERRIDE_H
#define MEMKIT_OVERRIDE_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A block of `size` bytes aligned to `align` (0: malloc's alignment; else a
 * power of two) for a call made from `caller` (a return address: it picks
 * the module's rule). NULL with errno = ENOMEM when a budget refuses or no
 * allocator has memory. */
void *mko_alloc(size_t size, size_t align, const void *caller);

/* free() of any pointer: memkit's, libc's, or NULL. */
void mko_free(void *ptr);

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_OVERRIDE_H */

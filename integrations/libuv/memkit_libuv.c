/* memkit_libuv.c — the uv_replace_allocator functions of memkit_libuv.h. */
/* uv.h names POSIX thread types (pthread_rwlock_t) that strict C11 hides */
#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif
#include "memkit_libuv.h"
#include "../memkit_adapter.h"

#include <stdatomic.h>

/* libuv's hooks take no user pointer: the intent is process-wide. Relaxed is
 * enough: an intent is a number, and a block's later frees find its intent
 * in the block itself. */
static atomic_uint mk_uv_current;
static atomic_int mk_uv_installed;

static mk_intent_t mk_uv_load(void)
{
    return (mk_intent_t)atomic_load_explicit(&mk_uv_current, memory_order_relaxed);
}

static void *mk_uv_malloc(size_t size)
{
    return mk_alloc(mk_uv_load(), size);
}

static void *mk_uv_realloc(void *ptr, size_t size)
{
    return mk_realloc(mk_uv_load(), ptr, size);
}

static void *mk_uv_calloc(size_t count, size_t size)
{
    return mk_calloc(mk_uv_load(), count, size);
}

static void mk_uv_free(void *ptr)
{
    mk_free(ptr);
}

int mk_uv_install(mk_intent_t intent)
{
    if (!mk_adapter_intent_ok(intent))
        return UV_EINVAL;
    atomic_store_explicit(&mk_uv_current, (unsigned)intent, memory_order_relaxed);
    /* once: libuv's threads read its allocator table without a lock */
    if (atomic_exchange(&mk_uv_installed, 1) == 0) {
        int rc = uv_replace_allocator(mk_uv_malloc, mk_uv_realloc, mk_uv_calloc, mk_uv_free);
        if (rc != 0) {
            atomic_store(&mk_uv_installed, 0);
            return rc;
        }
    }
    return 0;
}

mk_intent_t mk_uv_intent(void)
{
    return mk_uv_load();
}

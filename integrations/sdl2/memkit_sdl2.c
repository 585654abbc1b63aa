/* memkit_sdl2.c — the SDL_SetMemoryFunctions functions of memkit_sdl2.h. */
#include "memkit_sdl2.h"
#include "../memkit_adapter.h"

#include <stdatomic.h>

/* SDL's hooks take no user pointer: the intent is process-wide. Relaxed is
 * enough: an intent is a number, and a block's later frees find its intent
 * in the block itself. */
static atomic_uint mk_sdl_current;
static atomic_int mk_sdl_installed;

static mk_intent_t mk_sdl_load(void)
{
    return (mk_intent_t)atomic_load_explicit(&mk_sdl_current, memory_order_relaxed);
}

static void *SDLCALL mk_sdl_malloc(size_t size)
{
    return mk_alloc(mk_sdl_load(), size);
}

static void *SDLCALL mk_sdl_calloc(size_t count, size_t size)
{
    return mk_calloc(mk_sdl_load(), count, size);
}

static void *SDLCALL mk_sdl_realloc(void *ptr, size_t size)
{
    return mk_realloc(mk_sdl_load(), ptr, size);
}

static void SDLCALL mk_sdl_free(void *ptr)
{
    mk_free(ptr);
}

int mk_sdl_install(mk_intent_t intent)
{
    if (!mk_adapter_intent_ok(intent)) {
        SDL_SetError("mk_sdl_install: intent %d is not a pool or heap intent", (int)intent);
        return -1;
    }
    atomic_store_explicit(&mk_sdl_current, (unsigned)intent, memory_order_relaxed);
    /* once: SDL's threads read its function table without a lock */
    if (atomic_exchange(&mk_sdl_installed, 1) == 0 &&
        SDL_SetMemoryFunctions(mk_sdl_malloc, mk_sdl_calloc, mk_sdl_realloc, mk_sdl_free) != 0) {
        atomic_store(&mk_sdl_installed, 0);
        return -1;
    }
    return 0;
}

mk_intent_t mk_sdl_intent(void)
{
    return mk_sdl_load();
}

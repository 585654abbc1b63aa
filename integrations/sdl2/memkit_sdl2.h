/* memkit_sdl2.h — SDL2's memory on memkit (docs/integrations.md, "SDL2").
 *
 *   mk_init(&mkg_config);
 *   mk_sdl_install(MK_INTENT_SDL);   // before any other SDL call
 *   SDL_Init(SDL_INIT_VIDEO);        // SDL_malloc & co. now come from the intent
 *   ...
 *   SDL_Quit();
 *   SDL_TLSCleanup();                // the calling thread's SDL TLS table (an SDL_realloc block)
 *
 * SDL_SetMemoryFunctions is process-global and takes no user pointer: the
 * intent is held in a static, shared by all of SDL. The first mk_sdl_install
 * hands SDL the four functions, and it must come before SDL allocates
 * anything (SDL_SetHint, SDL_Init ...): SDL would otherwise give memkit
 * blocks from the C library to free. A later mk_sdl_install only changes the
 * intent of new blocks (blocks SDL holds keep theirs: mk_free and mk_realloc
 * find it in the block), so switching is safe at any time.
 *
 * What goes through it: everything SDL allocates with SDL_malloc, SDL_calloc,
 * SDL_realloc (surfaces and their pixels, windows, the event queue, hints,
 * SDL_strdup, audio and video driver state) except the per-thread error
 * buffer, which SDL takes from the C library on purpose (SDL 2.0.14+). Memory
 * that SDL's drivers get from their own libraries (X11, GL, ALSA ...) is
 * theirs and not counted.
 *
 * Out of memory: SDL_malloc returns NULL and SDL reports it its own way: the
 * call fails (SDL_CreateRGBSurface returns NULL, SDL_Init returns -1 ...)
 * and SDL_GetError() says "Out of memory".
 *
 * Threads: SDL's threads (audio, SDL_CreateThread) allocate too and attach to
 * memkit (count them in max_threads); SDL_Quit joins its own. Each thread
 * that used SDL keeps a TLS table until it exits or calls SDL_TLSCleanup:
 * call it (and mk_thread_detach) before mk_shutdown.
 */
#ifndef MEMKIT_SDL2_H
#define MEMKIT_SDL2_H

#include <SDL.h>
#include <memkit/memkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Routes SDL's allocations to `intent` (a pool or heap intent). Returns 0, or
 * -1 with SDL_GetError() set for an unknown, frame or async intent or when
 * SDL refuses the functions. Thread-safe once installed. */
int mk_sdl_install(mk_intent_t intent);

/* The intent new SDL blocks come from. */
mk_intent_t mk_sdl_intent(void);

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_SDL2_H */

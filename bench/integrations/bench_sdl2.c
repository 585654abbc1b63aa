/* bench_sdl2.c — SDL2 (dummy video driver) surface churn per round: 300
 * surfaces of 16..310 px created, filled, blitted across formats and
 * converted, then freed; 2000 SDL_strdup/SDL_free; 2000 user events pushed
 * and polled; with SDL's allocator (SDL_SetMemoryFunctions) on memkit
 * (integrations/sdl2), glibc, mimalloc and jemalloc.
 * bench/integrations/bench_hooks.h runs and prints the rows. */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include "bench_hooks.h"
#include "memkit_sdl2.h"

static Uint32 user_event;

static int install(const bench_alloc_t *a)
{
    int rc = a->memkit ? mk_sdl_install(MK_INTENT_SDL)
                       : SDL_SetMemoryFunctions(bench_malloc, bench_calloc, bench_realloc, bench_free);
    if (rc != 0)
        return -1;
    SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy");
    if (SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS) != 0) {
        fprintf(stderr, "bench_sdl2: SDL_Init: %s\n", SDL_GetError());
        return -1;
    }
    user_event = SDL_RegisterEvents(1);
    return 0;
}

static uint64_t round_once(void)
{
    uint64_t sum = 0;
    for (int i = 0; i < 300; i++) {
        int side = 16 + i;
        SDL_Surface *src = SDL_CreateRGBSurfaceWithFormat(0, side, side, 32, SDL_PIXELFORMAT_ARGB8888);
        SDL_Surface *dst = SDL_CreateRGBSurfaceWithFormat(0, side, side, 32, SDL_PIXELFORMAT_ABGR8888);
        if (src == NULL || dst == NULL)
            return 0;
        SDL_FillRect(src, NULL, 0xff102030u + (Uint32)i);
        SDL_BlitSurface(src, NULL, dst, NULL);
        SDL_Surface *conv = SDL_ConvertSurfaceFormat(dst, SDL_PIXELFORMAT_RGB565, 0);
        if (conv == NULL)
            return 0;
        Uint16 px;
        memcpy(&px, conv->pixels, sizeof px);
        sum += px;
        SDL_FreeSurface(conv);
        SDL_FreeSurface(dst);
        SDL_FreeSurface(src);
    }
    char text[48];
    for (int i = 0; i < 2000; i++) {
        snprintf(text, sizeof text, "asset/texture_%04d.png", i);
        char *d = SDL_strdup(text);
        sum += d != NULL ? (uint64_t)strlen(d) : 0u;
        SDL_free(d);
    }
    for (int i = 0; i < 2000; i++) {
        SDL_Event ev;
        SDL_zero(ev);
        ev.type = user_event;
        ev.user.code = i;
        SDL_PushEvent(&ev);
        if ((i & 63) == 63) {
            while (SDL_PollEvent(&ev))
                sum += (uint64_t)ev.user.code;
        }
    }
    SDL_Event ev;
    while (SDL_PollEvent(&ev))
        sum += (uint64_t)ev.user.code;
    return sum;
}

int main(int argc, char **argv)
{
    static const bench_spec_t spec = {"sdl2", "300 surfaces blit+convert, 2000 strdup, 2000 events", install,
                                      round_once};
    return bench_main(argc, argv, &spec);
}

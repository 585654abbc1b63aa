/* test_sdl2.c — SDL2 on memkit through integrations/sdl2 (config
 * tests/integrations/sdl2.toml), with the dummy video driver: a window and
 * its surface, surfaces filled, blitted and converted, SDL_strdup and
 * SDL_malloc, user events through the queue give SDL's results; every block
 * is back after SDL_Quit; and a budget makes SDL fail its own way (NULL and
 * "Out of memory" from SDL_GetError).
 */
#include "integration_check.h"

#include "memkit_sdl2.h"

/* The pixel at (x, y) of a 32-bit surface. */
static Uint32 pixel_at(SDL_Surface *s, int x, int y)
{
    Uint32 v;
    memcpy(&v, (const Uint8 *)s->pixels + (size_t)y * (size_t)s->pitch + (size_t)x * 4u, sizeof v);
    return v;
}

static void test_video_and_balance(void)
{
    CHECK_EQ(mk_sdl_install(MK_INTENT_SDL), 0);
    CHECK_EQ(SDL_SetHint(SDL_HINT_VIDEODRIVER, "dummy"), SDL_TRUE);
    int rc = SDL_Init(SDL_INIT_VIDEO | SDL_INIT_EVENTS);
    if (rc != 0)
        fprintf(stderr, "SDL_Init: %s\n", SDL_GetError());
    CHECK_EQ(rc, 0);
    CHECK(strcmp(SDL_GetCurrentVideoDriver(), "dummy") == 0);
    CHECK(check_intent_stats(MK_INTENT_SDL).allocations > 0u);

    SDL_Window *win = SDL_CreateWindow("memkit", 0, 0, 320, 240, 0);
    CHECK(win != NULL);
    SDL_Surface *ws = win != NULL ? SDL_GetWindowSurface(win) : NULL;
    CHECK(ws != NULL);
    if (ws != NULL) {
        CHECK_EQ(ws->w, 320);
        CHECK_EQ(SDL_FillRect(ws, NULL, SDL_MapRGB(ws->format, 10, 20, 30)), 0);
        CHECK_EQ(SDL_UpdateWindowSurface(win), 0);
        Uint8 r, g, b;
        SDL_GetRGB(pixel_at(ws, 100, 100), ws->format, &r, &g, &b);
        CHECK(r == 10 && g == 20 && b == 30);
    }

    /* surface churn: create, fill, blit, convert, free */
    for (int i = 0; i < 50; i++) {
        int side = 16 + i * 8;
        SDL_Surface *src = SDL_CreateRGBSurfaceWithFormat(0, side, side, 32, SDL_PIXELFORMAT_ARGB8888);
        SDL_Surface *dst = SDL_CreateRGBSurfaceWithFormat(0, side, side, 32, SDL_PIXELFORMAT_ABGR8888);
        CHECK(src != NULL && dst != NULL);
        if (src == NULL || dst == NULL) {
            SDL_FreeSurface(src);
            SDL_FreeSurface(dst);
            continue;
        }
        SDL_Rect half = {0, 0, side / 2, side};
        CHECK_EQ(SDL_FillRect(src, NULL, 0xff0000ffu), 0);         /* blue */
        CHECK_EQ(SDL_FillRect(src, &half, 0xffff0000u), 0);        /* red left half */
        CHECK_EQ(SDL_BlitSurface(src, NULL, dst, NULL), 0);
        CHECK_EQ(pixel_at(dst, 0, 0), 0xff0000ffu);                /* red in ABGR */
        CHECK_EQ(pixel_at(dst, side - 1, side - 1), 0xffff0000u);  /* blue in ABGR */
        SDL_Surface *conv = SDL_ConvertSurfaceFormat(dst, SDL_PIXELFORMAT_RGB565, 0);
        CHECK(conv != NULL);
        if (conv != NULL) {
            Uint16 px;
            memcpy(&px, conv->pixels, sizeof px);
            CHECK_EQ(px, 0xf800u); /* red in RGB565 */
        }
        SDL_FreeSurface(conv);
        SDL_FreeSurface(src);
        SDL_FreeSurface(dst);
    }

    /* SDL's own allocation API */
    char *dup = SDL_strdup("memkit under SDL");
    CHECK(dup != NULL && strcmp(dup, "memkit under SDL") == 0);
    void *buf = SDL_malloc(1000);
    CHECK(buf != NULL && mk_owns(buf) && mk_usable_size(buf) >= 1000u); /* a memkit block */
    buf = SDL_realloc(buf, 100000);
    CHECK(buf != NULL);
    SDL_free(buf);
    SDL_free(dup);

    /* events through SDL's queue */
    Uint32 type = SDL_RegisterEvents(1);
    CHECK(type != (Uint32)-1);
    for (int i = 0; i < 100; i++) {
        SDL_Event ev;
        SDL_zero(ev);
        ev.type = type;
        ev.user.code = i;
        CHECK_EQ(SDL_PushEvent(&ev), 1);
    }
    int seen = 0, code_sum = 0;
    SDL_Event ev;
    while (SDL_PollEvent(&ev)) {
        if (ev.type == type) {
            seen++;
            code_sum += ev.user.code;
        }
    }
    CHECK_EQ(seen, 100);
    CHECK_EQ(code_sum, 99 * 100 / 2);

    CHECK(check_intent_stats(MK_INTENT_SDL).current > 0u);
    SDL_DestroyWindow(win);
    SDL_Quit();
    SDL_TLSCleanup();
    CHECK_BALANCED(MK_INTENT_SDL);
    CHECK(check_intent_stats(MK_INTENT_SDL).allocations > 100u);
    CHECK_EQ(check_intent_stats(MK_INTENT_SDL_TIGHT).allocations, 0u);
}

/* The tight intent: a 512x512 surface (1 MiB of pixels) is refused the way
 * SDL refuses, NULL and "Out of memory"; a small one still works. */
static void test_budget_gives_sdl_out_of_memory(void)
{
    CHECK_EQ(mk_sdl_install(MK_INTENT_SDL_TIGHT), 0);
    CHECK_EQ(mk_sdl_intent(), MK_INTENT_SDL_TIGHT);
    SDL_ClearError();
    SDL_Surface *big = SDL_CreateRGBSurfaceWithFormat(0, 512, 512, 32, SDL_PIXELFORMAT_ARGB8888);
    CHECK(big == NULL);
    CHECK(strstr(SDL_GetError(), "Out of memory") != NULL);
    CHECK(check_intent_stats(MK_INTENT_SDL_TIGHT).failures > 0u);
    CHECK(SDL_malloc(1u << 20) == NULL);
    SDL_Surface *small = SDL_CreateRGBSurfaceWithFormat(0, 32, 32, 32, SDL_PIXELFORMAT_ARGB8888);
    CHECK(small != NULL);
    SDL_FreeSurface(small);
    SDL_TLSCleanup();
    CHECK_BALANCED(MK_INTENT_SDL_TIGHT);
    CHECK_EQ(mk_sdl_install((mk_intent_t)MKG_INTENT_COUNT), -1);
    CHECK(strstr(SDL_GetError(), "not a pool or heap intent") != NULL);
    CHECK_EQ(mk_sdl_intent(), MK_INTENT_SDL_TIGHT);
}

int main(void)
{
    RUN(test_video_and_balance);
    RUN(test_budget_gives_sdl_out_of_memory);
    return check_finish("sdl2");
}

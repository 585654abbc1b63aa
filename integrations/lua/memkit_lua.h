/* memkit_lua.h — Lua 5.4 on memkit: a lua_Alloc that serves a Lua state from
 * memkit intents (docs/integrations.md, "Lua 5.4").
 *
 *   mk_lua_ud_t ud;
 *   mk_lua_ud_init(&ud, MK_INTENT_SCRIPT);              // everything Lua allocates
 *   mk_lua_ud_map(&ud, LUA_TSTRING, MK_INTENT_STRINGS); // new strings elsewhere (optional)
 *   lua_State *L = mk_lua_newstate(&ud);                 // or lua_newstate(mk_lua_alloc, &ud)
 *   ...
 *   lua_close(L);                                        // every block back: the intents' stats balance
 *
 * The lua_Alloc contract, as the Lua 5.4 manual states it (section 4.6):
 * - nsize == 0 frees ptr (NULL is fine) and returns NULL;
 * - ptr == NULL allocates; osize is then the type tag of the new object
 *   (LUA_TSTRING, LUA_TTABLE, LUA_TFUNCTION, LUA_TUSERDATA, LUA_TTHREAD, and
 *   Lua's internal upvalue and prototype tags) or some other value for
 *   anything else (arrays, stacks, buffers): mk_lua_ud_map picks the intent of
 *   new objects by tag, everything else goes to the ud's default intent;
 * - a shrink (ptr != NULL, nsize <= osize) never fails: when memkit cannot
 *   give a smaller block the old one is returned as it is;
 * - a failed allocation or growth returns NULL, and Lua raises its own
 *   memory error (LUA_ERRMEM, "not enough memory"): a budget on the intent
 *   is how a script is bounded.
 * A block keeps the intent it was allocated for when Lua resizes it
 * (mk_realloc). Frees pass the block's size (osize): with no tag mapped, the
 * adapter uses mk_free_sized; with tags mapped, the block's intent is not
 * known at free time and it uses mk_free (an address lookup).
 *
 * Frame intents are refused by mk_lua_ud_init/map (a frame's memory dies with
 * the frame, while Lua frees blocks one by one whenever its GC runs). The ud
 * must outlive the state; one ud may serve several states. Thread-safety is
 * memkit's: a Lua state is single-threaded, states on other threads may
 * share a ud (it is only read).
 */
#ifndef MEMKIT_LUA_H
#define MEMKIT_LUA_H

#include <stddef.h>

#include <lua.h>
#include <memkit/memkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Type tags 0..15: Lua's basic types and its internal ones (upvalue, proto). */
#define MK_LUA_TYPE_SLOTS 16

typedef struct mk_lua_ud {
    mk_intent_t intent;                      /* default: blocks not mapped by type */
    mk_intent_t by_type[MK_LUA_TYPE_SLOTS];  /* intent of a new object of tag t */
    int mapped;                              /* any tag mapped: frees go through mk_free */
} mk_lua_ud_t;

/* Every allocation of the state to `intent`. Returns 0, or -1 when `intent`
 * is not a pool or heap intent (unknown, frame or async). */
int mk_lua_ud_init(mk_lua_ud_t *ud, mk_intent_t intent);

/* New objects of `type_tag` (LUA_TSTRING ...) to `intent`. Returns 0, or -1
 * for a tag outside 1..15 or an intent that is not pool or heap. */
int mk_lua_ud_map(mk_lua_ud_t *ud, int type_tag, mk_intent_t intent);

/* The lua_Alloc: `ud` is an mk_lua_ud_t. */
void *mk_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize);

/* lua_newstate(mk_lua_alloc, ud) with a panic handler that prints Lua's error
 * to stderr before Lua aborts (what luaL_newstate's does). NULL when the
 * state cannot be allocated (the intent's budget or tier is spent). */
lua_State *mk_lua_newstate(mk_lua_ud_t *ud);

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_LUA_H */

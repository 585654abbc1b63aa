/* memkit_lua.c — the lua_Alloc of memkit_lua.h. */
#include "memkit_lua.h"
#include "../memkit_adapter.h"

#include <stdio.h>

int mk_lua_ud_init(mk_lua_ud_t *ud, mk_intent_t intent)
{
    if (ud == NULL || !mk_adapter_intent_ok(intent))
        return -1;
    ud->intent = intent;
    for (int t = 0; t < MK_LUA_TYPE_SLOTS; t++)
        ud->by_type[t] = intent;
    ud->mapped = 0;
    return 0;
}

int mk_lua_ud_map(mk_lua_ud_t *ud, int type_tag, mk_intent_t intent)
{
    /* tag 0 (LUA_TNIL) is what Lua passes for blocks that are no object */
    if (ud == NULL || type_tag < 1 || type_tag >= MK_LUA_TYPE_SLOTS || !mk_adapter_intent_ok(intent))
        return -1;
    ud->by_type[type_tag] = intent;
    if (intent != ud->intent)
        ud->mapped = 1;
    return 0;
}

void *mk_lua_alloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    const mk_lua_ud_t *u = (const mk_lua_ud_t *)ud;
    if (nsize == 0) {
        if (ptr != NULL) {
            if (u->mapped)
                mk_free(ptr);
            else
                mk_free_sized(u->intent, ptr, osize);
        }
        return NULL;
    }
    if (ptr == NULL) /* osize: the new object's type tag, or anything else for other blocks */
        return mk_alloc(osize < MK_LUA_TYPE_SLOTS ? u->by_type[osize] : u->intent, nsize);
    /* resized blocks keep the intent they were allocated for */
    void *p = mk_realloc(u->intent, ptr, nsize);
    if (p == NULL && nsize <= osize)
        return ptr; /* a shrink never fails: the old block still holds nsize bytes */
    return p;
}

static int mk_lua_panic(lua_State *L)
{
    const char *msg = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "error object is not a string";
    fprintf(stderr, "memkit_lua: unprotected error in call to Lua API (%s)\n", msg);
    fflush(stderr);
    return 0; /* Lua aborts */
}

lua_State *mk_lua_newstate(mk_lua_ud_t *ud)
{
    if (ud == NULL)
        return NULL;
    lua_State *L = lua_newstate(mk_lua_alloc, ud);
    if (L != NULL)
        lua_atpanic(L, mk_lua_panic);
    return L;
}

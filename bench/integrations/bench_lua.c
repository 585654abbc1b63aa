/* bench_lua.c — a Lua 5.4 script (tables of records, string building,
 * closures, a sort, a string histogram) in a fresh state per round, with the
 * state's lua_Alloc on memkit (integrations/lua), glibc, mimalloc and
 * jemalloc. bench/integrations/bench_hooks.h runs and prints the rows. */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include <lauxlib.h>
#include <lualib.h>

#include "bench_hooks.h"
#include "memkit_lua.h"

static const char *const script =
    "local t = {}\n"
    "for i = 1, 100000 do t[i] = { id = i, name = 'n' .. i, tags = { i % 7, i % 11 } } end\n"
    "local sum = 0\n"
    "for _, r in ipairs(t) do sum = sum + r.tags[1] + r.tags[2] + #r.name end\n"
    "local parts = {}\n"
    "for i = 1, 30000 do parts[#parts + 1] = string.format('%d:%s', i, t[i].name) end\n"
    "local joined = table.concat(parts, ',')\n"
    "table.sort(t, function(a, b) return a.tags[1] < b.tags[1] or (a.tags[1] == b.tags[1] and a.id < b.id) end)\n"
    "local fns = {}\n"
    "for i = 1, 20000 do local k = i; fns[i] = function() return k * 2 end end\n"
    "for i = 1, 20000 do sum = sum + fns[i]() end\n"
    "local hist = {}\n"
    "for w in string.gmatch(string.rep('alpha beta gamma delta ', 20000), '%a+') do hist[w] = (hist[w] or 0) + 1 end\n"
    "return sum + #joined + t[1].id + hist.gamma\n";

static mk_lua_ud_t ud;

/* The same contract on a peer: nsize 0 frees, a shrink that fails keeps the block. */
static void *peer_lua_alloc(void *u, void *ptr, size_t osize, size_t nsize)
{
    (void)u;
    if (nsize == 0) {
        bench_free(ptr);
        return NULL;
    }
    void *p = bench_realloc(ptr, nsize);
    return p == NULL && ptr != NULL && nsize <= osize ? ptr : p;
}

static int install(const bench_alloc_t *a)
{
    return a->memkit ? mk_lua_ud_init(&ud, MK_INTENT_LUA) : 0;
}

static uint64_t round_once(void)
{
    lua_State *L = bench_a.memkit ? mk_lua_newstate(&ud) : lua_newstate(peer_lua_alloc, NULL);
    if (L == NULL)
        return 0;
    luaL_openlibs(L);
    uint64_t v = 0;
    if (luaL_dostring(L, script) == LUA_OK)
        v = (uint64_t)lua_tointeger(L, -1);
    else
        fprintf(stderr, "bench_lua: %s\n", lua_tostring(L, -1));
    lua_close(L);
    return v;
}

int main(int argc, char **argv)
{
    static const bench_spec_t spec = {"lua", "script: 100k records, strings, sort, closures", install, round_once};
    return bench_main(argc, argv, &spec);
}

/* test_lua.c — Lua 5.4 on memkit through integrations/lua (config
 * tests/integrations/lua.toml): a script that builds tables, strings and
 * closures gives the results Lua computes on its default allocator, every
 * block is back when the state closes, strings land in their own intent, the
 * lua_Alloc contract holds at its edges, and a budget makes Lua raise its own
 * "not enough memory" (LUA_ERRMEM) instead of crashing.
 */
#include "integration_check.h"

#include <lauxlib.h>
#include <lualib.h>

#include "memkit_lua.h"

/* A workload with the usual mix: tables of records, string building and
 * interning, closures with upvalues, table.sort, a coroutine. */
static const char *const script =
    "local t = {}\n"
    "for i = 1, 20000 do t[i] = { id = i, name = 'n' .. i, sq = i * i } end\n"
    "local sum = 0\n"
    "for _, r in ipairs(t) do sum = sum + r.sq end\n"
    "local parts = {}\n"
    "for i = 1, 5000 do parts[#parts + 1] = string.format('%05d', i) end\n"
    "local joined = table.concat(parts, ',')\n"
    "local function counter() local n = 0; return function() n = n + 1; return n end end\n"
    "local c = counter(); for _ = 1, 999 do c() end\n"
    "table.sort(t, function(a, b) return a.id > b.id end)\n"
    "local co = coroutine.wrap(function() for i = 1, 3 do coroutine.yield(i * 10) end end)\n"
    "local cosum = co() + co() + co()\n"
    "local words = {}\n"
    "for w in string.gmatch(string.rep('alpha beta gamma ', 300), '%a+') do words[w] = (words[w] or 0) + 1 end\n"
    "return sum, #joined, c(), t[1].id, cosum, words.beta\n";

static void test_script_results_and_balance(void)
{
    mk_lua_ud_t ud;
    CHECK_EQ(mk_lua_ud_init(&ud, MK_INTENT_LUA), 0);
    CHECK_EQ(mk_lua_ud_map(&ud, LUA_TSTRING, MK_INTENT_LUA_STRINGS), 0);
    lua_State *L = mk_lua_newstate(&ud);
    CHECK(L != NULL);
    if (L == NULL)
        return;
    luaL_openlibs(L);
    int rc = luaL_loadstring(L, script);
    CHECK_EQ(rc, LUA_OK);
    rc = lua_pcall(L, 0, 6, 0);
    if (rc != LUA_OK)
        fprintf(stderr, "lua: %s\n", lua_tostring(L, -1));
    CHECK_EQ(rc, LUA_OK);
    /* sum of i^2 for i = 1..20000 is n(n+1)(2n+1)/6 */
    CHECK_EQ(lua_tointeger(L, -6), 20000ull * 20001ull * 40001ull / 6ull);
    CHECK_EQ(lua_tointeger(L, -5), 5000 * 5 + 4999); /* 5000 fields of 5 digits and 4999 commas */
    CHECK_EQ(lua_tointeger(L, -4), 1000);
    CHECK_EQ(lua_tointeger(L, -3), 20000); /* sorted descending */
    CHECK_EQ(lua_tointeger(L, -2), 60);
    CHECK_EQ(lua_tointeger(L, -1), 300);
    lua_pop(L, 6);

    mk_intent_stats_t lua = check_intent_stats(MK_INTENT_LUA), str = check_intent_stats(MK_INTENT_LUA_STRINGS);
    CHECK(lua.allocations > 20000u); /* 20000 record tables at least */
    CHECK(lua.current > 0u);
    CHECK(str.allocations > 5000u);  /* the formatted fields at least */
    CHECK_EQ(check_intent_stats(MK_INTENT_LUA_SANDBOX).allocations, 0u);
    lua_close(L);
    CHECK_BALANCED(MK_INTENT_LUA);
    CHECK_BALANCED(MK_INTENT_LUA_STRINGS);
}

/* Without a tag mapped, frees take mk_free_sized with Lua's osize. */
static void test_single_intent_sized_frees(void)
{
    mk_lua_ud_t ud;
    CHECK_EQ(mk_lua_ud_init(&ud, MK_INTENT_LUA), 0);
    CHECK_EQ(ud.mapped, 0);
    lua_State *L = mk_lua_newstate(&ud);
    CHECK(L != NULL);
    if (L == NULL)
        return;
    luaL_openlibs(L);
    CHECK_EQ(luaL_dostring(L, "local s = 0; for i = 1, 3000 do local t = {i, tostring(i)}; s = s + #t[2] end; "
                              "return s"),
             LUA_OK);
    CHECK_EQ(lua_tointeger(L, -1), 9 + 90 * 2 + 900 * 3 + 2001 * 4);
    lua_close(L);
    CHECK_BALANCED(MK_INTENT_LUA);
    CHECK_EQ(check_intent_stats(MK_INTENT_LUA_STRINGS).allocations, 0u);
}

/* The lua_Alloc contract at its edges, called as Lua calls it. */
static void test_alloc_contract(void)
{
    mk_lua_ud_t ud;
    CHECK_EQ(mk_lua_ud_init(&ud, MK_INTENT_LUA), 0);
    CHECK_EQ(mk_lua_ud_map(&ud, LUA_TTABLE, MK_INTENT_LUA_STRINGS), 0);
    /* bad arguments */
    CHECK_EQ(mk_lua_ud_map(&ud, 0, MK_INTENT_LUA), -1);
    CHECK_EQ(mk_lua_ud_map(&ud, MK_LUA_TYPE_SLOTS, MK_INTENT_LUA), -1);
    CHECK_EQ(mk_lua_ud_map(&ud, LUA_TSTRING, (mk_intent_t)MKG_INTENT_COUNT), -1);
    CHECK_EQ(mk_lua_ud_init(NULL, MK_INTENT_LUA), -1);

    CHECK(mk_lua_alloc(&ud, NULL, 0, 0) == NULL); /* free of NULL */
    /* a new table (tag LUA_TTABLE) goes to its mapped intent, a vector (tag 0) to the default */
    void *tab = mk_lua_alloc(&ud, NULL, LUA_TTABLE, 56);
    void *vec = mk_lua_alloc(&ud, NULL, 0, 100);
    CHECK(tab != NULL && vec != NULL);
    CHECK_EQ(check_intent_stats(MK_INTENT_LUA_STRINGS).allocations, 1u);
    CHECK_EQ(check_intent_stats(MK_INTENT_LUA).allocations, 1u);
    /* growth keeps the contents and the intent; a shrink returns a block that holds the rest */
    memset(vec, 0xab, 100);
    unsigned char *big = mk_lua_alloc(&ud, vec, 100, 4000);
    CHECK(big != NULL);
    CHECK(big != NULL && big[0] == 0xab && big[99] == 0xab);
    unsigned char *small = mk_lua_alloc(&ud, big, 4000, 10);
    CHECK(small != NULL);
    CHECK(small != NULL && small[0] == 0xab && small[9] == 0xab);
    CHECK_EQ(check_intent_stats(MK_INTENT_LUA_STRINGS).allocations, 1u);
    /* nsize == 0 frees and returns NULL */
    CHECK(mk_lua_alloc(&ud, small, 10, 0) == NULL);
    CHECK(mk_lua_alloc(&ud, tab, 56, 0) == NULL);
    CHECK_BALANCED(MK_INTENT_LUA);
    CHECK_BALANCED(MK_INTENT_LUA_STRINGS);
}

/* A shrink never fails, even with the intent's budget spent: fill the sandbox,
 * then shrink a heap block (Lua's long strings and arrays shrink so). */
static void test_shrink_with_budget_spent(void)
{
    mk_lua_ud_t ud;
    CHECK_EQ(mk_lua_ud_init(&ud, MK_INTENT_LUA_SANDBOX), 0);
    void *held[64];
    int n = 0;
    while (n < 64 && (held[n] = mk_lua_alloc(&ud, NULL, 0, 8192)) != NULL)
        n++;
    CHECK(n > 0 && n < 64); /* 256 KiB of budget: about 31 blocks */
    CHECK(mk_lua_alloc(&ud, NULL, 0, 8192) == NULL);
    for (int i = 0; i < n; i++) {
        void *p = mk_lua_alloc(&ud, held[i], 8192, 300);
        CHECK(p != NULL);
        held[i] = p;
    }
    for (int i = 0; i < n; i++)
        CHECK(mk_lua_alloc(&ud, held[i], 300, 0) == NULL);
    CHECK_BALANCED(MK_INTENT_LUA_SANDBOX);
}

/* A budget: the script gets LUA_ERRMEM from lua_pcall, the state stays usable
 * and closes cleanly. */
static void test_budget_gives_lua_memory_error(void)
{
    mk_lua_ud_t ud;
    CHECK_EQ(mk_lua_ud_init(&ud, MK_INTENT_LUA_SANDBOX), 0);
    lua_State *L = mk_lua_newstate(&ud);
    CHECK(L != NULL);
    if (L == NULL)
        return;
    luaL_openlibs(L);
    CHECK_EQ(luaL_loadstring(L, "local t = {} for i = 1, 1e7 do t[i] = 'x' .. i end return #t"), LUA_OK);
    int rc = lua_pcall(L, 0, 1, 0);
    CHECK_EQ(rc, LUA_ERRMEM);
    CHECK(lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "not enough memory") == 0);
    lua_pop(L, 1);
    CHECK(check_intent_stats(MK_INTENT_LUA_SANDBOX).failures > 0u);
    lua_gc(L, LUA_GCCOLLECT);
    /* the state goes on working once the garbage is collected */
    CHECK_EQ(luaL_dostring(L, "return 6 * 7"), LUA_OK);
    CHECK_EQ(lua_tointeger(L, -1), 42);
    lua_close(L);
    CHECK_BALANCED(MK_INTENT_LUA_SANDBOX);
}

int main(void)
{
    RUN(test_script_results_and_balance);
    RUN(test_single_intent_sized_frees);
    RUN(test_alloc_contract);
    RUN(test_shrink_with_budget_spent);
    RUN(test_budget_gives_lua_memory_error);
    return check_finish("lua");
}

/* memkit_sqlite.c — the sqlite3_mem_methods of memkit_sqlite.h. */
#include "memkit_sqlite.h"
#include "../memkit_adapter.h"

#include <limits.h>

/* SQLite's hooks take no user pointer: the intent is process-wide. Written
 * only while SQLite is not initialised (sqlite3_config refuses otherwise),
 * read by SQLite's threads after sqlite3_initialize, which orders them. */
static mk_intent_t mk_sqlite_current;

static void *mk_sqlite_malloc(int n)
{
    return n > 0 ? mk_alloc(mk_sqlite_current, (size_t)n) : NULL;
}

static void mk_sqlite_free(void *p)
{
    mk_free(p);
}

static void *mk_sqlite_realloc(void *p, int n)
{
    return n > 0 ? mk_realloc(mk_sqlite_current, p, (size_t)n) : NULL;
}

static int mk_sqlite_size(void *p)
{
    size_t n = mk_usable_size(p);
    return n > (size_t)INT_MAX ? INT_MAX : (int)n;
}

/* SQLite asks for the rounded size and uses all of it: never more than
 * memkit gives (mk_good_size <= mk_usable_size of the block). */
static int mk_sqlite_roundup(int n)
{
    if (n <= 0)
        return n;
    size_t good = mk_good_size(mk_sqlite_current, (size_t)n);
    return good == 0u || good > (size_t)INT_MAX ? n : (int)good;
}

static int mk_sqlite_init(void *app)
{
    (void)app;
    mk_stats_t probe;
    /* SQLite allocates right after: without memkit every call would fail */
    return mk_stats_get(&probe) == MK_OK ? SQLITE_OK : SQLITE_ERROR;
}

static void mk_sqlite_shutdown(void *app)
{
    (void)app; /* memkit outlives SQLite: nothing to release */
}

const sqlite3_mem_methods mk_sqlite_methods = {
    mk_sqlite_malloc, mk_sqlite_free, mk_sqlite_realloc, mk_sqlite_size,
    mk_sqlite_roundup, mk_sqlite_init, mk_sqlite_shutdown, NULL,
};

int mk_sqlite_install(mk_intent_t intent)
{
    if (!mk_adapter_intent_ok(intent))
        return SQLITE_ERROR;
    /* sqlite3_config copies the methods; it fails while SQLite is initialised */
    int rc = sqlite3_config(SQLITE_CONFIG_MALLOC, &mk_sqlite_methods);
    if (rc == SQLITE_OK)
        mk_sqlite_current = intent;
    return rc;
}

mk_intent_t mk_sqlite_intent(void)
{
    return mk_sqlite_current;
}

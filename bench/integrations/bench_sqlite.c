/* bench_sqlite.c — an in-memory SQLite database per round: 20000 inserts
 * through a prepared statement in a transaction, an index, then queries
 * (aggregates, LIKE, a join, GROUP BY, group_concat), with SQLite's
 * allocator (SQLITE_CONFIG_MALLOC) on memkit (integrations/sqlite), glibc,
 * mimalloc and jemalloc. bench/integrations/bench_hooks.h runs and prints
 * the rows. */
#define _POSIX_C_SOURCE 200809L
#include <memkit/memkit.h>

#include "bench_hooks.h"
#include "memkit_sqlite.h"

static void *peer_malloc(int n) { return bench_malloc((size_t)n); }
static void peer_free(void *p) { bench_free(p); }
static void *peer_realloc(void *p, int n) { return bench_realloc(p, (size_t)n); }
static int peer_size(void *p) { return (int)bench_a.usable_fn(p); }
static int peer_roundup(int n) { return (n + 7) & ~7; } /* what SQLite's own allocator does */
static int peer_init(void *app) { (void)app; return SQLITE_OK; }
static void peer_shutdown(void *app) { (void)app; }

static const sqlite3_mem_methods peer_methods = {peer_malloc, peer_free, peer_realloc, peer_size,
                                                 peer_roundup, peer_init, peer_shutdown, NULL};

static int install(const bench_alloc_t *a)
{
    int rc = a->memkit ? mk_sqlite_install(MK_INTENT_SQL) : sqlite3_config(SQLITE_CONFIG_MALLOC, &peer_methods);
    return rc == SQLITE_OK && sqlite3_initialize() == SQLITE_OK ? 0 : -1;
}

static uint64_t query(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    uint64_t v = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = (uint64_t)sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static uint64_t round_once(void)
{
    sqlite3 *db = NULL;
    if (sqlite3_open(":memory:", &db) != SQLITE_OK)
        return 0;
    sqlite3_exec(db,
                 "CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, price REAL);"
                 "CREATE TABLE grp(id INTEGER PRIMARY KEY, label TEXT);"
                 "BEGIN",
                 NULL, NULL, NULL);
    sqlite3_stmt *ins = NULL;
    sqlite3_prepare_v2(db, "INSERT INTO item(grp, name, price) VALUES(?1, ?2, ?3)", -1, &ins, NULL);
    char name[64];
    for (int i = 1; i <= 20000; i++) {
        snprintf(name, sizeof name, "item-%d-%s", i, i % 3 == 0 ? "blue" : "red");
        sqlite3_bind_int(ins, 1, i % 10);
        sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(ins, 3, i * 0.5);
        sqlite3_step(ins);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    for (int g = 0; g < 10; g++) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO grp VALUES(%d, 'group %d')", g, g);
        sqlite3_exec(db, sql, NULL, NULL, NULL);
    }
    sqlite3_exec(db, "COMMIT; CREATE INDEX item_grp ON item(grp, price);", NULL, NULL, NULL);
    uint64_t sum = query(db, "SELECT count(*) FROM item");
    sum += query(db, "SELECT sum(id) FROM item WHERE grp = 7");
    sum += query(db, "SELECT count(*) FROM item WHERE name LIKE '%blue'");
    sum += query(db, "SELECT count(DISTINCT g.label) FROM item i JOIN grp g ON g.id = i.grp WHERE i.price > 9000");
    sum += query(db, "SELECT max(c) FROM (SELECT grp, count(*) AS c FROM item GROUP BY grp)");
    sum += query(db, "SELECT length(group_concat(name)) FROM item");
    sqlite3_exec(db, "UPDATE item SET name = name || '-x' WHERE grp < 5; DELETE FROM item WHERE grp = 9;", NULL, NULL,
                 NULL);
    sum += query(db, "SELECT count(*) FROM item WHERE name LIKE '%-x'");
    sqlite3_close(db);
    return sum;
}

int main(int argc, char **argv)
{
    static const bench_spec_t spec = {"sqlite", "in-memory db: 20k inserts, index, queries", install, round_once};
    return bench_main(argc, argv, &spec);
}

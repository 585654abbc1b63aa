/* test_sqlite.c — SQLite on memkit through integrations/sqlite (config
 * tests/integrations/sqlite.toml): inserts, an index, joins and aggregates in
 * an in-memory database give SQLite's answers, SQLite's memory accounting
 * agrees with memkit's, xRoundup rounds to the blocks memkit hands out, every
 * block is back after sqlite3_shutdown, and a budget makes SQLite report
 * SQLITE_NOMEM (its own error) with the connection still answering.
 */
#include "integration_check.h"

#include "memkit_sqlite.h"

static int exec_ok(sqlite3 *db, const char *sql)
{
    char *err = NULL;
    int rc = sqlite3_exec(db, sql, NULL, NULL, &err);
    if (rc != SQLITE_OK)
        fprintf(stderr, "sqlite: %s: %s\n", sql, err != NULL ? err : sqlite3_errstr(rc));
    sqlite3_free(err);
    return rc;
}

static sqlite3_int64 query_int(sqlite3 *db, const char *sql)
{
    sqlite3_stmt *st = NULL;
    sqlite3_int64 v = -1;
    CHECK_EQ(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
    if (st != NULL && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void test_queries_and_balance(void)
{
    CHECK_EQ(mk_sqlite_install(MK_INTENT_SQL), SQLITE_OK);
    CHECK_EQ(sqlite3_initialize(), SQLITE_OK);
    CHECK_EQ(mk_sqlite_install(MK_INTENT_SQL_TIGHT), SQLITE_MISUSE); /* not while initialised */
    CHECK_EQ(mk_sqlite_intent(), MK_INTENT_SQL);
    sqlite3 *db = NULL;
    CHECK_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_EQ(exec_ok(db, "CREATE TABLE item(id INTEGER PRIMARY KEY, grp INTEGER, name TEXT, price REAL);"
                         "CREATE TABLE grp(id INTEGER PRIMARY KEY, label TEXT);"),
             SQLITE_OK);
    sqlite3_stmt *ins = NULL;
    CHECK_EQ(exec_ok(db, "BEGIN"), SQLITE_OK);
    CHECK_EQ(sqlite3_prepare_v2(db, "INSERT INTO item(grp, name, price) VALUES(?1, ?2, ?3)", -1, &ins, NULL),
             SQLITE_OK);
    char name[64];
    for (int i = 1; i <= 20000; i++) {
        snprintf(name, sizeof name, "item-%d-%s", i, i % 3 == 0 ? "blue" : "red");
        sqlite3_bind_int(ins, 1, i % 10);
        sqlite3_bind_text(ins, 2, name, -1, SQLITE_TRANSIENT);
        sqlite3_bind_double(ins, 3, i * 0.5);
        CHECK_EQ(sqlite3_step(ins), SQLITE_DONE);
        sqlite3_reset(ins);
    }
    sqlite3_finalize(ins);
    for (int g = 0; g < 10; g++) {
        char sql[96];
        snprintf(sql, sizeof sql, "INSERT INTO grp VALUES(%d, 'group %d')", g, g);
        CHECK_EQ(exec_ok(db, sql), SQLITE_OK);
    }
    CHECK_EQ(exec_ok(db, "COMMIT; CREATE INDEX item_grp ON item(grp, price);"), SQLITE_OK);

    CHECK_EQ(query_int(db, "SELECT count(*) FROM item"), 20000);
    CHECK_EQ(query_int(db, "SELECT sum(id) FROM item WHERE grp = 7"), 2000 * 7 + 10 * 1999 * 2000 / 2);
    CHECK_EQ(query_int(db, "SELECT count(*) FROM item WHERE name LIKE '%blue'"), 6666);
    CHECK_EQ(query_int(db, "SELECT CAST(sum(price) * 2 AS INTEGER) FROM item"), 20000ll * 20001ll / 2);
    CHECK_EQ(query_int(db, "SELECT count(DISTINCT g.label) FROM item i JOIN grp g ON g.id = i.grp WHERE i.price > 9000"),
             10);
    CHECK_EQ(query_int(db, "SELECT max(c) FROM (SELECT grp, count(*) AS c FROM item GROUP BY grp)"), 2000);
    CHECK_EQ(query_int(db, "SELECT length(group_concat(name)) > 100000 FROM item"), 1);

    /* SQLite's accounting goes through xSize: the same bytes memkit counts */
    mk_intent_stats_t s = check_intent_stats(MK_INTENT_SQL);
    CHECK(s.allocations > 20000u);
    CHECK_EQ((uint64_t)sqlite3_memory_used(), s.current);
    CHECK_EQ(check_intent_stats(MK_INTENT_SQL_TIGHT).allocations, 0u);

    CHECK_EQ(sqlite3_close(db), SQLITE_OK);
    CHECK_EQ(sqlite3_shutdown(), SQLITE_OK);
    CHECK_BALANCED(MK_INTENT_SQL);
}

/* xRoundup: what sqlite3_msize reports for a block is what xRoundup said. */
static void test_roundup_is_the_real_block(void)
{
    CHECK_EQ(mk_sqlite_install(MK_INTENT_SQL), SQLITE_OK);
    CHECK_EQ(sqlite3_initialize(), SQLITE_OK);
    static const int sizes[] = {1, 17, 100, 500, 513, 4000, 4400, 20000, 123457};
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
        int n = sizes[i];
        int r = mk_sqlite_methods.xRoundup(n);
        CHECK(r >= n);
        void *p = sqlite3_malloc(n);
        CHECK(p != NULL);
        CHECK((sqlite3_uint64)r <= sqlite3_msize(p));
        CHECK_EQ(sqlite3_msize(p), mk_usable_size(p));
        memset(p, 0x5a, (size_t)r); /* SQLite may use every rounded byte */
        sqlite3_free(p);
    }
    CHECK_EQ(mk_sqlite_methods.xRoundup(100), 128);  /* the pool's class */
    /* above the largest class, the heap's block: at least the request, at most what it holds (above) */
    CHECK(mk_sqlite_methods.xRoundup(513) >= 513 && mk_sqlite_methods.xRoundup(513) % 16 == 0);
    void *p = sqlite3_malloc(10);
    p = sqlite3_realloc(p, 10000);
    CHECK(p != NULL);
    sqlite3_free(p);
    CHECK_EQ(sqlite3_shutdown(), SQLITE_OK);
    CHECK_BALANCED(MK_INTENT_SQL);
}

/* The tight intent: inserts until SQLite says SQLITE_NOMEM; the connection
 * still answers a query and closes; every block is back. */
static void test_budget_gives_sqlite_nomem(void)
{
    CHECK_EQ(mk_sqlite_install(MK_INTENT_SQL_TIGHT), SQLITE_OK);
    CHECK_EQ(sqlite3_initialize(), SQLITE_OK);
    sqlite3 *db = NULL;
    CHECK_EQ(sqlite3_open(":memory:", &db), SQLITE_OK);
    CHECK_EQ(exec_ok(db, "CREATE TABLE t(x TEXT)"), SQLITE_OK);
    int rc = SQLITE_OK, rows = 0;
    while (rc == SQLITE_OK && rows < 100000) {
        rc = sqlite3_exec(db, "INSERT INTO t VALUES(printf('%.1000c', 'x'))", NULL, NULL, NULL);
        rows += rc == SQLITE_OK;
    }
    CHECK_EQ(rc, SQLITE_NOMEM);
    CHECK_EQ(sqlite3_errcode(db), SQLITE_NOMEM);
    CHECK(rows > 100 && rows < 1000); /* 1 MiB of 1000-byte rows */
    CHECK(check_intent_stats(MK_INTENT_SQL_TIGHT).failures > 0u);
    CHECK_EQ(check_intent_stats(MK_INTENT_SQL).allocations, 0u);
    /* the failed insert was rolled back: the rows before it are all there */
    CHECK_EQ(query_int(db, "SELECT count(*) FROM t"), rows);
    CHECK_EQ(sqlite3_close(db), SQLITE_OK);
    CHECK_EQ(sqlite3_shutdown(), SQLITE_OK);
    CHECK_BALANCED(MK_INTENT_SQL_TIGHT);
}

static void test_bad_install(void)
{
    CHECK_EQ(mk_sqlite_install((mk_intent_t)MKG_INTENT_COUNT), SQLITE_ERROR);
    CHECK_EQ(mk_sqlite_intent(), MK_INTENT_SQL_TIGHT); /* unchanged */
}

int main(void)
{
    /* SQLite will not start on memkit before mk_init (xInit says SQLITE_ERROR) */
    CHECK_EQ(mk_sqlite_install(MK_INTENT_SQL), SQLITE_OK);
    CHECK_EQ(sqlite3_initialize(), SQLITE_ERROR);
    sqlite3_shutdown();
    RUN(test_queries_and_balance);
    RUN(test_roundup_is_the_real_block);
    RUN(test_budget_gives_sqlite_nomem);
    RUN(test_bad_install);
    return check_finish("sqlite");
}

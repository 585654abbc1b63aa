/* memkit_sqlite.h — SQLite's memory on memkit (docs/integrations.md, "SQLite").
 *
 *   mk_init(&mkg_config);
 *   mk_sqlite_install(MK_INTENT_SQL);   // before sqlite3_initialize / the first sqlite3_open
 *   sqlite3_open(":memory:", &db);      // every sqlite3_malloc now comes from the intent
 *   ...
 *   sqlite3_close(db);
 *   sqlite3_shutdown();                 // SQLite gives back its last blocks
 *
 * SQLite's allocator is process-global (sqlite3_config(SQLITE_CONFIG_MALLOC)
 * takes no user pointer), so the intent is held in a static: one intent
 * serves every connection of the process. It can only change while SQLite
 * is not initialised: mk_sqlite_install returns SQLITE_MISUSE after
 * sqlite3_initialize (call sqlite3_shutdown first). Since the blocks SQLite
 * holds at shutdown are freed by then, mk_shutdown may follow
 * sqlite3_shutdown; not the other way round.
 *
 * The methods: xMalloc = mk_alloc, xFree = mk_free, xRealloc = mk_realloc
 * (a block keeps its intent), xSize = mk_usable_size, xRoundup = mk_good_size
 * (the pool class or heap bin memkit really hands out, so SQLite uses the
 * whole block: its lookaside, page cache and string buffers grow into it),
 * xInit refuses to start SQLite (SQLITE_ERROR) when memkit is not
 * initialised, xShutdown has nothing to do.
 *
 * Out of memory: xMalloc returns NULL and SQLite reports SQLITE_NOMEM from
 * the call that needed the memory (sqlite3_exec, sqlite3_step, sqlite3_open
 * ...); the connection stays usable. A budget on the intent bounds all of
 * SQLite's heap memory (sqlite3_soft_heap_limit64 is SQLite's own, softer
 * bound on top).
 */
#ifndef MEMKIT_SQLITE_H
#define MEMKIT_SQLITE_H

#include <sqlite3.h>
#include <memkit/memkit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Points SQLite's allocator at `intent` (a pool or heap intent). Returns
 * SQLITE_OK, SQLITE_MISUSE when SQLite is initialised (sqlite3_config's
 * answer), or SQLITE_ERROR for an intent that is unknown, frame or async
 * (SQLite frees blocks one by one, whenever it likes). */
int mk_sqlite_install(mk_intent_t intent);

/* The intent SQLite's memory comes from since the last successful install. */
mk_intent_t mk_sqlite_intent(void);

/* The methods mk_sqlite_install passes (pAppData is NULL): for a program
 * that composes its own sqlite3_mem_methods. */
extern const sqlite3_mem_methods mk_sqlite_methods;

#ifdef __cplusplus
}
#endif

#endif /* MEMKIT_SQLITE_H */

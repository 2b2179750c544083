/*
 * store_sqlite_db: the SQLite plumbing under the SQLite store: creating
 * the database file owner-only, opening connections, statement helpers,
 * the mapping of SQLite errors to store results, and the schema with its
 * migrations.  It knows nothing of queues or callbacks (store_sqlite.c)
 * nor of the admin operations (store_sqlite_admin.c); both use it.
 */
#ifndef VISITSD_STORE_SQLITE_DB_H
#define VISITSD_STORE_SQLITE_DB_H

#include <stddef.h>

#include <sqlite3.h>

#include "store.h"

/* How long a transaction waits for another connection's lock: then 503. */
#define STORE_SQLITE_BUSY_MS	5000
/* The schema version this build writes (PRAGMA user_version). */
#define STORE_SQLITE_SCHEMA	2

/*
 * Create the folders leading to path (0700 each; existing ones are left
 * alone) and the file itself (0600) when missing.  0, or -1 with err.
 */
int	store_sqlite_db_create(const char *path, char *err, size_t errlen);

/*
 * A new connection to the existing file path (extended result codes, the
 * busy timeout), for one thread at a time.  NULL with err.  Close with
 * sqlite3_close.
 */
sqlite3	*store_sqlite_db_open(const char *path, char *err, size_t errlen);

/* sqlite3_exec of sql; -1 with "sqlite: FILE: SQL: reason" in err. */
int	store_sqlite_db_exec(sqlite3 *, const char *sql, char *err,
	    size_t errlen);
/* A persistent prepared statement into *stmt; -1 with err. */
int	store_sqlite_db_prepare(sqlite3 *, const char *sql,
	    sqlite3_stmt **stmt, char *err, size_t errlen);
/* Step a statement that returns no row, then reset it: SQLITE_OK or rc. */
int	store_sqlite_db_step_done(sqlite3_stmt *);

/*
 * What a failure means to a client: lock contention past the busy timeout,
 * a full disk and I/O errors may pass (STORE_UNAVAILABLE); anything else
 * (corruption, misuse) is STORE_ERROR.
 */
enum store_result	store_sqlite_db_result(int rc);

/*
 * Switch db to WAL with synchronous=FULL and bring the schema to
 * STORE_SQLITE_SCHEMA in one transaction: a database of the first schema
 * (one table visits(id, count)) keeps every count, with unique 0.
 * 0, or -1 with err (a database newer than this build is refused).
 */
int	store_sqlite_db_migrate(sqlite3 *, char *err, size_t errlen);

#endif

/*
 * store_sqlite_db: files, connections, statements and the schema of the
 * SQLite store.
 *
 * The schema, version 2 (PRAGMA user_version):
 *
 *	visits(id PRIMARY KEY, count, uniq)	every visit, the sum of daily
 *						uniques, per id
 *	days(id, day, visits, uniq)		the same per id and UTC day
 *	seen(day, hash)				the visitor hashes of a day
 *	salts(day, salt)			the salt of each UTC day
 *
 * Version 1 was the single table visits(id, count) and left user_version
 * at 0; migrating adds the uniq column (0 for every existing id, whose
 * count is kept) and the other tables, in one transaction, so a daemon
 * killed halfway leaves the old schema.  A day is the UTC day number
 * (days since 1970-01-01).  seen and salts hold no address and no
 * User-Agent: a hash is HMAC-SHA256 under the day's salt (visitor.c).
 *
 * The file is created 0600 before SQLite opens it (SQLite would apply the
 * umask), and its folders 0700 when this creates them.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite_db.h"
#include "util.h"

/*
 * From version 0 or 1 (both user_version 0) to 2.  The CREATE of visits
 * is the first schema's, so that the ALTER that follows serves a fresh
 * file and an old one alike.
 */
static const char *const migrate_v2_sql =
    "CREATE TABLE IF NOT EXISTS visits ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " count INTEGER NOT NULL"
    ") WITHOUT ROWID;"
    "ALTER TABLE visits ADD COLUMN uniq INTEGER NOT NULL DEFAULT 0;"
    "CREATE TABLE days ("
    " id TEXT NOT NULL,"
    " day INTEGER NOT NULL,"
    " visits INTEGER NOT NULL,"
    " uniq INTEGER NOT NULL,"
    " PRIMARY KEY (id, day)"
    ") WITHOUT ROWID;"
    "CREATE TABLE seen ("
    " day INTEGER NOT NULL,"
    " hash BLOB NOT NULL,"
    " PRIMARY KEY (day, hash)"
    ") WITHOUT ROWID;"
    "CREATE TABLE salts ("
    " day INTEGER PRIMARY KEY NOT NULL,"
    " salt BLOB NOT NULL"
    ");"
    "PRAGMA user_version = 2";

enum store_result
store_sqlite_db_result(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED:
	case SQLITE_FULL:
	case SQLITE_IOERR:
	case SQLITE_CANTOPEN:
	case SQLITE_READONLY:
	case SQLITE_PROTOCOL:
		return STORE_UNAVAILABLE;
	default:
		return STORE_ERROR;
	}
}

/*
 * Create the folders leading to path that do not exist, each 0700.  A
 * folder that already exists is left as it is: it may be shared (/tmp).
 */
static int
make_folders(const char *path, char *err, size_t errlen)
{
	char *dir, *p;
	struct stat st;
	int rc = -1;

	dir = xstrdup(path);
	if ((p = strrchr(dir, '/')) == NULL || p == dir) {
		rc = 0;			/* the current folder, or / */
		goto done;
	}
	*p = '\0';
	for (p = dir + 1; ; p++) {
		char saved = *p;

		if (saved != '/' && saved != '\0')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) == 0) {
			/* mkdir applied the umask; the mode must not depend on it. */
			if (chmod(dir, 0700) == -1) {
				snprintf(err, errlen, "sqlite: chmod %s: %s",
				    dir, strerror(errno));
				goto done;
			}
		} else if (errno != EEXIST) {
			snprintf(err, errlen, "sqlite: cannot create folder %s: %s",
			    dir, strerror(errno));
			goto done;
		} else if (stat(dir, &st) == -1 || !S_ISDIR(st.st_mode)) {
			snprintf(err, errlen, "sqlite: %s is not a folder", dir);
			goto done;
		}
		*p = saved;
		if (saved == '\0')
			break;
	}
	rc = 0;
done:
	free(dir);
	return rc;
}

/*
 * Create the database file 0600 if it does not exist.  SQLite gives its
 * -wal and -shm files the database file's mode.
 */
static int
make_file(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd;

	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0) {
		if (fchmod(fd, 0600) == -1) {
			snprintf(err, errlen, "sqlite: chmod %s: %s", path,
			    strerror(errno));
			close(fd);
			return -1;
		}
		close(fd);
		return 0;
	}
	if (errno != EEXIST) {
		snprintf(err, errlen, "sqlite: cannot create %s: %s", path,
		    strerror(errno));
		return -1;
	}
	if (stat(path, &st) == -1 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "sqlite: %s is not a regular file", path);
		return -1;
	}
	if ((st.st_mode & 077) != 0)
		log_warnx("sqlite: %s is open to others (mode %04o)", path,
		    (unsigned)(st.st_mode & 0777));
	return 0;
}

int
store_sqlite_db_create(const char *path, char *err, size_t errlen)
{
	if (make_folders(path, err, errlen) == -1 ||
	    make_file(path, err, errlen) == -1)
		return -1;
	return 0;
}

sqlite3 *
store_sqlite_db_open(const char *path, char *err, size_t errlen)
{
	sqlite3 *db = NULL;
	int rc;

	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE |
	    SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: cannot open %s: %s", path,
		    db != NULL ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return NULL;
	}
	sqlite3_extended_result_codes(db, 1);
	sqlite3_busy_timeout(db, STORE_SQLITE_BUSY_MS);
	return db;
}

int
store_sqlite_db_exec(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s: %s",
		    sqlite3_db_filename(db, "main"), sql, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
store_sqlite_db_prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt,
    char *err, size_t errlen)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s: %s",
		    sqlite3_db_filename(db, "main"), sql, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

int
store_sqlite_db_step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* Switch to WAL, checking that SQLite agreed (it may refuse silently). */
static int
set_wal(sqlite3 *db, char *err, size_t errlen)
{
	const char *path = sqlite3_db_filename(db, "main");
	sqlite3_stmt *stmt = NULL;
	const unsigned char *mode;
	int rc = -1;

	if (store_sqlite_db_prepare(db, "PRAGMA journal_mode=WAL", &stmt, err,
	    errlen) == -1)
		return -1;
	if (sqlite3_step(stmt) != SQLITE_ROW) {
		snprintf(err, errlen, "sqlite: %s: cannot set WAL mode: %s",
		    path, sqlite3_errmsg(db));
		goto done;
	}
	mode = sqlite3_column_text(stmt, 0);
	if (mode == NULL || strcmp((const char *)mode, "wal") != 0) {
		snprintf(err, errlen, "sqlite: %s: journal mode is %s, not wal",
		    path, mode != NULL ? (const char *)mode : "unknown");
		goto done;
	}
	rc = 0;
done:
	sqlite3_finalize(stmt);
	return rc;
}

/* PRAGMA user_version into *v; -1 with err. */
static int
user_version(sqlite3 *db, int *v, char *err, size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	int rc;

	if (store_sqlite_db_prepare(db, "PRAGMA user_version", &stmt, err,
	    errlen) == -1)
		return -1;
	rc = sqlite3_step(stmt);
	if (rc == SQLITE_ROW)
		*v = sqlite3_column_int(stmt, 0);
	else
		snprintf(err, errlen, "sqlite: %s: PRAGMA user_version: %s",
		    sqlite3_db_filename(db, "main"), sqlite3_errmsg(db));
	sqlite3_finalize(stmt);
	return rc == SQLITE_ROW ? 0 : -1;
}

int
store_sqlite_db_migrate(sqlite3 *db, char *err, size_t errlen)
{
	int v;

	if (set_wal(db, err, errlen) == -1 ||
	    store_sqlite_db_exec(db, "PRAGMA synchronous=FULL", err,
	    errlen) == -1)
		return -1;
	/* IMMEDIATE: two daemons starting at once migrate one after the other. */
	if (store_sqlite_db_exec(db, "BEGIN IMMEDIATE", err, errlen) == -1)
		return -1;
	if (user_version(db, &v, err, errlen) == -1)
		goto fail;
	if (v > STORE_SQLITE_SCHEMA) {
		snprintf(err, errlen, "sqlite: %s: schema version %d is newer "
		    "than this visitsd's (%d)", sqlite3_db_filename(db, "main"),
		    v, STORE_SQLITE_SCHEMA);
		goto fail;
	}
	if (v < 2) {
		/* A table of the first schema, or a new file? */
		bool old = sqlite3_table_column_metadata(db, NULL, "visits",
		    "count", NULL, NULL, NULL, NULL, NULL) == SQLITE_OK;

		if (store_sqlite_db_exec(db, migrate_v2_sql, err, errlen) == -1)
			goto fail;
		if (old)
			log_info("sqlite: %s: schema migrated to version 2 "
			    "(unique visitors, daily history)",
			    sqlite3_db_filename(db, "main"));
	}
	if (store_sqlite_db_exec(db, "COMMIT", err, errlen) == -1)
		goto fail;
	return 0;
fail:
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return -1;
}

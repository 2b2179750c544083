/*
 * store_sqlite_admin: salts, forgetting, import and export for the SQLite
 * store (schema in store_sqlite_db.c).
 *
 * These are rare (a salt a minute, a forget an hour, an admin's import),
 * so their statements are prepared per call.  A salt is 32 bytes from
 * OpenSSL's RAND_bytes, never derived from anything; the copy on the stack
 * is wiped.  Import puts the counts of every item in a single transaction:
 * all of them or none.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite_admin.h"
#include "store_sqlite_db.h"

/* An id's counts put, as store_sqlite.c's set puts them. */
static const char *const put_sql =
    "INSERT INTO visits(id,count,uniq) VALUES(?,?,?)"
    " ON CONFLICT(id) DO UPDATE SET count=excluded.count,"
    " uniq=excluded.uniq";

static enum store_result
fail(sqlite3 *db, const char *what, int rc)
{
	log_error("sqlite: %s failed: %s (%s)", what, sqlite3_errstr(rc),
	    sqlite3_errmsg(db));
	if (!sqlite3_get_autocommit(db))
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return store_sqlite_db_result(rc);
}

static int
begin(sqlite3 *db)
{
	return sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
}

static int
commit(sqlite3 *db)
{
	return sqlite3_exec(db, "COMMIT", NULL, NULL, NULL);
}

/* SELECT the salt of day into salt: SQLITE_ROW, SQLITE_DONE or an error. */
static int
select_salt(sqlite3 *db, uint32_t day, uint8_t salt[STORE_SALT_LEN])
{
	sqlite3_stmt *st = NULL;
	int rc;

	rc = sqlite3_prepare_v2(db, "SELECT salt FROM salts WHERE day=?", -1,
	    &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, day);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		if (sqlite3_column_bytes(st, 0) == STORE_SALT_LEN)
			memcpy(salt, sqlite3_column_blob(st, 0),
			    STORE_SALT_LEN);
		else
			rc = SQLITE_CORRUPT;
	}
	sqlite3_finalize(st);
	return rc;
}

enum store_result
store_sqlite_admin_salt(sqlite3 *db, uint32_t day,
    uint8_t salt[STORE_SALT_LEN])
{
	uint8_t fresh[STORE_SALT_LEN];
	sqlite3_stmt *st = NULL;
	int rc;

	/* Most calls find it: a read, no write, no fsync. */
	if ((rc = select_salt(db, day, salt)) == SQLITE_ROW)
		return STORE_OK;
	if (rc != SQLITE_DONE)
		return fail(db, "salt read", rc);
	if (RAND_bytes(fresh, sizeof(fresh)) != 1) {
		log_error("sqlite: RAND_bytes failed: no salt for day %u",
		    (unsigned)day);
		return STORE_ERROR;
	}
	if ((rc = begin(db)) != SQLITE_OK)
		goto fail;
	rc = sqlite3_prepare_v2(db,
	    "INSERT OR IGNORE INTO salts(day,salt) VALUES(?,?)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		goto fail;
	sqlite3_bind_int64(st, 1, day);
	sqlite3_bind_blob(st, 2, fresh, sizeof(fresh), SQLITE_STATIC);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	st = NULL;
	if (rc != SQLITE_DONE)
		goto fail;
	/* Another process may have inserted first: its salt wins. */
	if ((rc = select_salt(db, day, salt)) != SQLITE_ROW) {
		if (rc == SQLITE_DONE)
			rc = SQLITE_CORRUPT;
		goto fail;
	}
	if ((rc = commit(db)) != SQLITE_OK)
		goto fail;
	OPENSSL_cleanse(fresh, sizeof(fresh));
	return STORE_OK;
fail:
	OPENSSL_cleanse(fresh, sizeof(fresh));
	OPENSSL_cleanse(salt, STORE_SALT_LEN);
	return fail(db, "salt", rc);
}

/* Run sql with one integer parameter; SQLITE_OK or the error. */
static int
run_day(sqlite3 *db, const char *sql, int64_t day)
{
	sqlite3_stmt *st = NULL;
	int rc;

	if ((rc = sqlite3_prepare_v2(db, sql, -1, &st, NULL)) != SQLITE_OK)
		return rc;
	sqlite3_bind_int64(st, 1, day);
	rc = sqlite3_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

enum store_result
store_sqlite_admin_forget(sqlite3 *db, uint32_t today)
{
	int rc;

	if ((rc = begin(db)) != SQLITE_OK ||
	    (rc = run_day(db, "DELETE FROM salts WHERE day < ?",
	    (int64_t)today)) != SQLITE_OK ||
	    (rc = run_day(db, "DELETE FROM seen WHERE day < ?",
	    (int64_t)today)) != SQLITE_OK ||
	    (rc = commit(db)) != SQLITE_OK)
		return fail(db, "forget", rc);
	return STORE_OK;
}

enum store_result
store_sqlite_admin_import(sqlite3 *db, const struct store_item *items,
    size_t nitems)
{
	sqlite3_stmt *st = NULL;
	int rc;

	for (size_t i = 0; i < nitems; i++)
		if (items[i].counts.visits > INT64_MAX ||
		    items[i].counts.unique > INT64_MAX) {
			log_error("sqlite: import: %s: a count past 2^63-1",
			    items[i].id);
			return STORE_ERROR;
		}
	if ((rc = begin(db)) != SQLITE_OK)
		return fail(db, "import", rc);
	if ((rc = sqlite3_prepare_v2(db, put_sql, -1, &st, NULL)) != SQLITE_OK)
		return fail(db, "import", rc);
	for (size_t i = 0; i < nitems; i++) {
		sqlite3_bind_text(st, 1, items[i].id, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, (int64_t)items[i].counts.visits);
		sqlite3_bind_int64(st, 3, (int64_t)items[i].counts.unique);
		rc = sqlite3_step(st);
		sqlite3_reset(st);
		if (rc != SQLITE_DONE) {
			sqlite3_finalize(st);
			return fail(db, "import", rc);
		}
	}
	sqlite3_finalize(st);
	if ((rc = commit(db)) != SQLITE_OK)
		return fail(db, "import", rc);
	return STORE_OK;
}

enum store_result
store_sqlite_admin_export(const char *path, store_each_fn *each, void *arg)
{
	enum store_result res = STORE_OK;
	struct store_counts c;
	sqlite3_stmt *st = NULL;
	sqlite3 *db;
	char err[512];
	int rc;

	if ((db = store_sqlite_db_open(path, err, sizeof(err))) == NULL) {
		log_error("%s", err);
		return STORE_UNAVAILABLE;
	}
	rc = sqlite3_prepare_v2(db, "SELECT id, count, uniq FROM visits", -1,
	    &st, NULL);
	while (rc == SQLITE_OK || rc == SQLITE_ROW) {
		if ((rc = sqlite3_step(st)) != SQLITE_ROW)
			break;
		c.visits = (uint64_t)sqlite3_column_int64(st, 1);
		c.unique = (uint64_t)sqlite3_column_int64(st, 2);
		if (each(arg, (const char *)sqlite3_column_text(st, 0),
		    &c) != 0) {
			res = STORE_ERROR;
			rc = SQLITE_DONE;
			break;
		}
	}
	if (rc != SQLITE_DONE) {
		log_error("sqlite: export failed: %s (%s)", sqlite3_errstr(rc),
		    sqlite3_errmsg(db));
		res = store_sqlite_db_result(rc);
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	return res;
}

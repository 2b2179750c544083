/*
 * store_sqlite_read: one connection and its two statements, shared by
 * the threads that read under a mutex (a read is one index lookup or one
 * range scan of at most 366 rows, so the lock is short).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include <sqlite3.h>

#include "log.h"
#include "store.h"
#include "store_sqlite_db.h"
#include "store_sqlite_read.h"
#include "util.h"

static const char *const select_sql =
    "SELECT count, uniq FROM visits WHERE id=?";
static const char *const days_sql =
    "SELECT day, visits, uniq FROM days WHERE id=? AND day>=? AND day<?"
    " ORDER BY day";

struct store_sqlite_reader {
	pthread_mutex_t	 lock;
	sqlite3		*db;
	sqlite3_stmt	*select, *days;
};

struct store_sqlite_reader *
store_sqlite_read_new(const char *path, char *err, size_t errlen)
{
	struct store_sqlite_reader *r = xcalloc(1, sizeof(*r));

	pthread_mutex_init(&r->lock, NULL);
	if ((r->db = store_sqlite_db_open(path, err, errlen)) == NULL ||
	    store_sqlite_db_prepare(r->db, select_sql, &r->select, err,
	    errlen) == -1 ||
	    store_sqlite_db_prepare(r->db, days_sql, &r->days, err,
	    errlen) == -1) {
		store_sqlite_read_free(r);
		return NULL;
	}
	return r;
}

void
store_sqlite_read_free(struct store_sqlite_reader *r)
{
	if (r == NULL)
		return;
	sqlite3_finalize(r->select);
	sqlite3_finalize(r->days);
	sqlite3_close(r->db);
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static enum store_result
failed(struct store_sqlite_reader *r, int rc)
{
	log_error("sqlite: read failed: %s (%s)", sqlite3_errstr(rc),
	    sqlite3_errmsg(r->db));
	return store_sqlite_db_result(rc);
}

static void
reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

enum store_result
store_sqlite_read_counts(struct store_sqlite_reader *r, const char *id,
    struct store_counts *c)
{
	enum store_result res = STORE_OK;
	int rc;

	c->visits = c->unique = 0;
	pthread_mutex_lock(&r->lock);
	sqlite3_bind_text(r->select, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(r->select);
	if (rc == SQLITE_ROW) {
		c->visits = (uint64_t)sqlite3_column_int64(r->select, 0);
		c->unique = (uint64_t)sqlite3_column_int64(r->select, 1);
	} else if (rc != SQLITE_DONE)
		res = failed(r, rc);
	reset(r->select);
	pthread_mutex_unlock(&r->lock);
	if (res != STORE_OK)
		c->visits = c->unique = 0;
	return res;
}

enum store_result
store_sqlite_read_days(struct store_sqlite_reader *r, const char *id,
    uint32_t first_day, struct store_day *days, uint32_t ndays)
{
	int64_t end = (int64_t)first_day + ndays;
	enum store_result res = STORE_OK;
	int rc;

	for (uint32_t i = 0; i < ndays; i++) {
		days[i].day = first_day + i;
		days[i].counts.visits = days[i].counts.unique = 0;
	}
	pthread_mutex_lock(&r->lock);
	sqlite3_bind_text(r->days, 1, id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(r->days, 2, first_day);
	sqlite3_bind_int64(r->days, 3, end);
	while ((rc = sqlite3_step(r->days)) == SQLITE_ROW) {
		int64_t day = sqlite3_column_int64(r->days, 0);

		if (day < first_day || day >= end)
			continue;
		days[day - first_day].counts.visits =
		    (uint64_t)sqlite3_column_int64(r->days, 1);
		days[day - first_day].counts.unique =
		    (uint64_t)sqlite3_column_int64(r->days, 2);
	}
	if (rc != SQLITE_DONE)
		res = failed(r, rc);
	reset(r->days);
	pthread_mutex_unlock(&r->lock);
	return res;
}

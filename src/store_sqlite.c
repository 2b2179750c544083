/*
 * store_sqlite: the embedded default counter store, on SQLite.
 *
 * One table, visits(id TEXT PRIMARY KEY, count INTEGER), in a WAL-mode
 * database that this file creates owner-only (folder 0700 when it creates
 * it, file 0600, whatever the umask).  An increment is one upsert
 *
 *	INSERT INTO visits(id,count) VALUES(?,1)
 *	    ON CONFLICT(id) DO UPDATE SET count=count+1 RETURNING count
 *
 * and is acknowledged only after the transaction holding it has committed
 * with synchronous=FULL, so no acknowledged increment is lost to kill -9 or
 * to a power cut.  Increments are group-committed: callers queue them, and
 * one writer thread runs every queued upsert in a single transaction, then
 * completes each caller with its own count.  Under concurrency this pays one
 * fsync per batch instead of one per request (docs/performance.md has the
 * measurements that chose it).  Reads (get, check) run inline on a second
 * connection, which WAL lets proceed while the writer commits.
 *
 * This file is not for schema migrations, listing or deleting: the store
 * interface has none of those.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "store_sqlite.h"
#include "util.h"

/* How long a transaction waits for another process's lock: then 503. */
#define BUSY_TIMEOUT_MS	5000

static const char *const schema_sql =
    "CREATE TABLE IF NOT EXISTS visits ("
    " id TEXT PRIMARY KEY NOT NULL,"
    " count INTEGER NOT NULL"
    ") WITHOUT ROWID";
static const char *const upsert_sql =
    "INSERT INTO visits(id,count) VALUES(?,1)"
    " ON CONFLICT(id) DO UPDATE SET count=count+1 RETURNING count";
static const struct store_counts zero;

static const char *const select_sql =
    "SELECT count FROM visits WHERE id = ?";

/* A queued increment; id is a copy owned by the op. */
struct op {
	struct op	*next;
	store_done_fn	*done;
	void		*arg;
	uint64_t	 count;
	char		 id[];
};

struct store_sqlite {
	struct store	 base;
	char		*path;

	/* The writer thread's own connection and statements. */
	sqlite3		*wdb;
	sqlite3_stmt	*begin, *upsert, *commit, *rollback;
	pthread_t	 writer;
	bool		 writer_started;

	/* The queue of increments, shared with the writer. */
	pthread_mutex_t	 qlock;
	pthread_cond_t	 qcond;
	struct op	*head;
	struct op	**tailp;
	bool		 stopping;

	/* The read connection, shared by callers under rlock. */
	pthread_mutex_t	 rlock;
	sqlite3		*rdb;
	sqlite3_stmt	*select;
};

/*
 * What a failure means to a client.  Lock contention past the busy timeout,
 * a full disk and I/O errors are conditions that may pass (503, retry);
 * anything else (corruption, misuse) is an error.
 */
static enum store_result
map_result(int rc)
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
 * Create the database file 0600 if it does not exist, before SQLite opens
 * it (SQLite would apply the umask).  SQLite gives its -wal and -shm files
 * the database file's mode.
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

/* Open a connection to an existing file; used by one thread at a time. */
static sqlite3 *
open_db(const char *path, char *err, size_t errlen)
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
	sqlite3_busy_timeout(db, BUSY_TIMEOUT_MS);
	return db;
}

/* Errors name the file: "sqlite: PATH: SQL: reason". */
static int
exec_sql(sqlite3 *db, const char *sql, char *err, size_t errlen)
{
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s: %s",
		    sqlite3_db_filename(db, "main"), sql, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

static int
prepare(sqlite3 *db, const char *sql, sqlite3_stmt **stmt, char *err,
    size_t errlen)
{
	if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt,
	    NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: %s: %s: %s",
		    sqlite3_db_filename(db, "main"), sql, sqlite3_errmsg(db));
		return -1;
	}
	return 0;
}

/* Switch to WAL, checking that SQLite agreed (it may refuse silently). */
static int
set_wal(sqlite3 *db, const char *path, char *err, size_t errlen)
{
	sqlite3_stmt *stmt = NULL;
	const unsigned char *mode;
	int rc = -1;

	if (prepare(db, "PRAGMA journal_mode=WAL", &stmt, err, errlen) == -1)
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

/* Step a statement that returns no row, then reset it. */
static int
step_done(sqlite3_stmt *stmt)
{
	int rc = sqlite3_step(stmt);

	sqlite3_reset(stmt);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Run a batch of increments in one transaction.  On success every op holds
 * its count and STORE_OK is returned; otherwise nothing is applied (or, for
 * an I/O error during COMMIT, nobody can tell) and the batch fails as one,
 * with one log line.
 */
static enum store_result
run_batch(struct store_sqlite *s, struct op *batch, size_t n)
{
	const char *stage = "BEGIN";
	struct op *op;
	int rc;

	if ((rc = step_done(s->begin)) != SQLITE_OK)
		goto fail;
	stage = "upsert";
	for (op = batch; op != NULL; op = op->next) {
		sqlite3_bind_text(s->upsert, 1, op->id, -1, SQLITE_STATIC);
		rc = sqlite3_step(s->upsert);
		if (rc == SQLITE_ROW)
			op->count = (uint64_t)sqlite3_column_int64(s->upsert, 0);
		sqlite3_reset(s->upsert);
		sqlite3_clear_bindings(s->upsert);
		if (rc != SQLITE_ROW)
			goto fail;
	}
	stage = "COMMIT";
	if ((rc = step_done(s->commit)) != SQLITE_OK)
		goto fail;
	return STORE_OK;
fail:
	log_error("sqlite: %s of %zu increment(s) failed: %s (%s)", stage, n,
	    sqlite3_errstr(rc), sqlite3_errmsg(s->wdb));
	if (!sqlite3_get_autocommit(s->wdb))
		step_done(s->rollback);
	/* A COMMIT that failed writing may still be on disk. */
	if (strcmp(stage, "COMMIT") == 0 && (rc & 0xff) == SQLITE_IOERR)
		return STORE_UNKNOWN_OUTCOME;
	return map_result(rc);
}

/*
 * The writer: take everything queued, commit it as one transaction, then
 * complete each op.  On stop it drains the queue before returning, so
 * store_free completes every pending increment.
 */
static void *
writer_main(void *arg)
{
	struct store_sqlite *s = arg;
	struct op *batch, *op, *next;
	struct store_counts c = { 0 };
	enum store_result res;
	size_t n;

	for (;;) {
		pthread_mutex_lock(&s->qlock);
		while (s->head == NULL && !s->stopping)
			pthread_cond_wait(&s->qcond, &s->qlock);
		batch = s->head;
		s->head = NULL;
		s->tailp = &s->head;
		pthread_mutex_unlock(&s->qlock);
		if (batch == NULL)
			break;		/* stopping, and nothing left */

		for (n = 0, op = batch; op != NULL; op = op->next)
			n++;
		res = run_batch(s, batch, n);
		for (op = batch; op != NULL; op = next) {
			next = op->next;
			c.visits = res == STORE_OK ? op->count : 0;
			op->done(op->arg, res, &c);
			free(op);
		}
	}
	return NULL;
}

static void
sqlite_increment(struct store *base, const char *id,
    const struct store_visit *visit, store_done_fn *done, void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	size_t len = strlen(id);
	struct op *op;

	(void)visit;	/* uniques and history: not yet */

	op = xmalloc(sizeof(*op) + len + 1);
	op->next = NULL;
	op->done = done;
	op->arg = arg;
	op->count = 0;
	memcpy(op->id, id, len + 1);

	pthread_mutex_lock(&s->qlock);
	*s->tailp = op;
	s->tailp = &op->next;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

/* Read the count of id on the read connection; 0 when there is no row. */
static enum store_result
read_count(struct store_sqlite *s, const char *id, uint64_t *count)
{
	enum store_result res = STORE_OK;
	int rc;

	*count = 0;
	pthread_mutex_lock(&s->rlock);
	sqlite3_bind_text(s->select, 1, id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->select);
	if (rc == SQLITE_ROW)
		*count = (uint64_t)sqlite3_column_int64(s->select, 0);
	else if (rc != SQLITE_DONE) {
		log_error("sqlite: read failed: %s (%s)", sqlite3_errstr(rc),
		    sqlite3_errmsg(s->rdb));
		res = map_result(rc);
	}
	sqlite3_reset(s->select);
	sqlite3_clear_bindings(s->select);
	pthread_mutex_unlock(&s->rlock);
	return res;
}

static void
sqlite_get(struct store *base, const char *id, store_done_fn *done,
    void *arg)
{
	struct store_counts c = { 0 };
	enum store_result res;

	res = read_count((struct store_sqlite *)base, id, &c.visits);
	if (res != STORE_OK)
		c.visits = 0;
	done(arg, res, &c);
}

/* A lookup of an id that cannot exist: it reads the table's first page. */
static void
sqlite_check(struct store *base, store_done_fn *done, void *arg)
{
	struct store_counts c = { 0 };
	uint64_t count;

	done(arg, read_count((struct store_sqlite *)base, "", &count), &c);
}

/*
 * Shutdown: the increments still queued have not begun a transaction, so
 * they fail now, unapplied; the batch the writer is committing finishes
 * with its real result.  store.c sends nothing more after this.
 */
static void
sqlite_shutdown(struct store *base)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct op *op, *next;

	pthread_mutex_lock(&s->qlock);
	op = s->head;
	s->head = NULL;
	s->tailp = &s->head;
	pthread_mutex_unlock(&s->qlock);
	for (; op != NULL; op = next) {
		next = op->next;
		op->done(op->arg, STORE_UNAVAILABLE, &zero);
		free(op);
	}
}

static void
sqlite_free(struct store *base)
{
	struct store_sqlite *s = (struct store_sqlite *)base;

	if (s->writer_started) {
		pthread_mutex_lock(&s->qlock);
		s->stopping = true;
		pthread_cond_signal(&s->qcond);
		pthread_mutex_unlock(&s->qlock);
		pthread_join(s->writer, NULL);
	}
	sqlite3_finalize(s->begin);
	sqlite3_finalize(s->upsert);
	sqlite3_finalize(s->commit);
	sqlite3_finalize(s->rollback);
	sqlite3_finalize(s->select);
	/* The last connection to close checkpoints and removes the WAL. */
	sqlite3_close(s->rdb);
	sqlite3_close(s->wdb);
	pthread_mutex_destroy(&s->rlock);
	pthread_cond_destroy(&s->qcond);
	pthread_mutex_destroy(&s->qlock);
	free(s->path);
	free(s);
}

static const struct store_ops sqlite_ops = {
	.name = "sqlite",
	.increment = sqlite_increment,
	.get = sqlite_get,
	.check = sqlite_check,
	.shutdown = sqlite_shutdown,
	.free = sqlite_free,
};

struct store *
store_sqlite_new(const struct config *cfg, char *err, size_t errlen)
{
	struct store_sqlite *s;
	int rc;

	if (cfg->sqlite_path == NULL || cfg->sqlite_path[0] == '\0') {
		snprintf(err, errlen, "sqlite: no database path (VISITSD_SQLITE_PATH)");
		return NULL;
	}
	s = xcalloc(1, sizeof(*s));
	s->path = xstrdup(cfg->sqlite_path);
	s->base.ops = &sqlite_ops;
	s->tailp = &s->head;
	pthread_mutex_init(&s->qlock, NULL);
	pthread_cond_init(&s->qcond, NULL);
	pthread_mutex_init(&s->rlock, NULL);

	if (make_folders(s->path, err, errlen) == -1 ||
	    make_file(s->path, err, errlen) == -1)
		goto fail;
	if ((s->wdb = open_db(s->path, err, errlen)) == NULL ||
	    set_wal(s->wdb, s->path, err, errlen) == -1 ||
	    exec_sql(s->wdb, "PRAGMA synchronous=FULL", err, errlen) == -1 ||
	    exec_sql(s->wdb, schema_sql, err, errlen) == -1 ||
	    prepare(s->wdb, "BEGIN IMMEDIATE", &s->begin, err, errlen) == -1 ||
	    prepare(s->wdb, upsert_sql, &s->upsert, err, errlen) == -1 ||
	    prepare(s->wdb, "COMMIT", &s->commit, err, errlen) == -1 ||
	    prepare(s->wdb, "ROLLBACK", &s->rollback, err, errlen) == -1)
		goto fail;
	if ((s->rdb = open_db(s->path, err, errlen)) == NULL ||
	    prepare(s->rdb, select_sql, &s->select, err, errlen) == -1)
		goto fail;

	if ((rc = pthread_create(&s->writer, NULL, writer_main, s)) != 0) {
		snprintf(err, errlen, "sqlite: cannot start writer: %s",
		    strerror(rc));
		goto fail;
	}
	s->writer_started = true;
	return &s->base;
fail:
	sqlite_free(&s->base);
	return NULL;
}

/*
 * store_sqlite: the embedded default counter store, on SQLite.
 *
 * A WAL-mode database that store_sqlite_db.c creates owner-only and
 * migrates (its comment has the schema).  An increment is, in one
 * transaction,
 *
 *	INSERT OR IGNORE INTO seen(day,hash)	when the visit has a visitor;
 *						inserted = first visit of the day
 *	upsert visits(id): count+1, uniq+first	RETURNING count, uniq
 *	upsert days(id, day): visits+1, uniq+first
 *
 * and is acknowledged only after the transaction holding it has committed
 * with synchronous=FULL, so no acknowledged increment is lost to kill -9 or
 * to a power cut.  Writes are group-committed: callers queue them, and one
 * writer thread runs every queued write in a single transaction, then
 * completes each caller with its own counts.  Under concurrency this pays
 * one fsync per batch instead of one per request (docs/performance.md).
 * Reads (get, check, history) run inline on a second connection
 * (store_sqlite_read.c), which WAL lets proceed while the writer commits.
 *
 * Set and delete go through the same queue, so they are ordered with the
 * increments: an increment queued before a set is overwritten by it (the
 * set's counts are the answer and the stored value), one queued after it
 * adds to the set's counts.  A set puts the id's totals and leaves its
 * history alone; a delete removes the id and its history (the day's
 * visitor hashes stay: a visitor seen before the delete is not new again
 * that day).  The blocking operations that write (salt, forget, import)
 * are queued too and run on the writer, each in a transaction of its own
 * between batches, while their caller waits (store_sqlite_admin.c); export
 * reads on a connection of its own.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "config.h"
#include "log.h"
#include "store.h"
#include "store_sqlite.h"
#include "store_sqlite_admin.h"
#include "store_sqlite_db.h"
#include "store_sqlite_read.h"
#include "util.h"

static const char *const seen_sql =
    "INSERT OR IGNORE INTO seen(day,hash) VALUES(?,?)";
static const char *const upsert_sql =
    "INSERT INTO visits(id,count,uniq) VALUES(?,1,?2)"
    " ON CONFLICT(id) DO UPDATE SET count=count+1, uniq=uniq+?2"
    " RETURNING count, uniq";
static const char *const upsert_day_sql =
    "INSERT INTO days(id,day,visits,uniq) VALUES(?,?,1,?3)"
    " ON CONFLICT(id,day) DO UPDATE SET visits=visits+1, uniq=uniq+?3";
static const char *const set_sql =
    "INSERT INTO visits(id,count,uniq) VALUES(?,?,?)"
    " ON CONFLICT(id) DO UPDATE SET count=excluded.count,"
    " uniq=excluded.uniq";
static const char *const delete_sql = "DELETE FROM visits WHERE id=?";
static const char *const delete_days_sql = "DELETE FROM days WHERE id=?";
static const struct store_counts zero;

enum op_kind {
	/* Batched: many in one transaction. */
	OP_INCREMENT,
	OP_SET,
	OP_DELETE,
	/* Alone, in a transaction of their own; the caller waits. */
	OP_SALT,
	OP_FORGET,
	OP_IMPORT,
};

/* A queued write; id is a copy owned by the op. */
struct op {
	struct op		*next;
	enum op_kind		 kind;
	store_done_fn		*done;		/* batched kinds */
	void			*arg;
	struct store_visit	 visit;		/* OP_INCREMENT */
	struct store_counts	 counts;	/* OP_SET's input; the result */
	/* The blocking kinds: their input, and the result for the caller. */
	uint32_t		 day;
	uint8_t			*salt;
	const struct store_item	*items;
	size_t			 nitems;
	enum store_result	 res;
	bool			 finished;	/* under qlock */
	char			 id[];
};

struct store_sqlite {
	struct store	 base;
	char		*path;

	/* The writer thread's own connection and statements. */
	sqlite3		*wdb;
	sqlite3_stmt	*begin, *commit, *rollback;
	sqlite3_stmt	*seen, *upsert, *upsert_day, *set, *del, *del_days;
	pthread_t	 writer;
	bool		 writer_started;

	/* The queue of writes, shared with the writer. */
	pthread_mutex_t	 qlock;
	pthread_cond_t	 qcond;		/* work queued, or stopping */
	pthread_cond_t	 bcond;		/* a blocking op finished */
	struct op	*head;
	struct op	**tailp;
	bool		 stopping;

	/* The read connection, shared by callers. */
	struct store_sqlite_reader *reader;
};

static bool
batched(const struct op *op)
{
	return op->kind == OP_INCREMENT || op->kind == OP_SET ||
	    op->kind == OP_DELETE;
}

static void
reset(sqlite3_stmt *st)
{
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
}

/* One increment inside the batch's transaction; SQLITE_OK or the error. */
static int
run_increment(struct store_sqlite *s, struct op *op)
{
	int first = 0, rc;

	if (op->visit.has_visitor) {
		sqlite3_bind_int64(s->seen, 1, op->visit.day);
		sqlite3_bind_blob(s->seen, 2, op->visit.visitor,
		    STORE_VISITOR_LEN, SQLITE_STATIC);
		rc = sqlite3_step(s->seen);
		reset(s->seen);
		if (rc != SQLITE_DONE)
			return rc;
		first = sqlite3_changes(s->wdb) > 0;
	}
	sqlite3_bind_text(s->upsert, 1, op->id, -1, SQLITE_STATIC);
	sqlite3_bind_int(s->upsert, 2, first);
	rc = sqlite3_step(s->upsert);
	if (rc == SQLITE_ROW) {
		op->counts.visits = (uint64_t)sqlite3_column_int64(s->upsert, 0);
		op->counts.unique = (uint64_t)sqlite3_column_int64(s->upsert, 1);
	}
	reset(s->upsert);
	if (rc != SQLITE_ROW)
		return rc;
	sqlite3_bind_text(s->upsert_day, 1, op->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->upsert_day, 2, op->visit.day);
	sqlite3_bind_int(s->upsert_day, 3, first);
	rc = sqlite3_step(s->upsert_day);
	reset(s->upsert_day);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
run_set(struct store_sqlite *s, struct op *op)
{
	int rc;

	sqlite3_bind_text(s->set, 1, op->id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s->set, 2, (int64_t)op->counts.visits);
	sqlite3_bind_int64(s->set, 3, (int64_t)op->counts.unique);
	rc = sqlite3_step(s->set);
	reset(s->set);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
run_delete(struct store_sqlite *s, struct op *op)
{
	int rc;

	op->counts = zero;
	sqlite3_bind_text(s->del, 1, op->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->del);
	reset(s->del);
	if (rc != SQLITE_DONE)
		return rc;
	sqlite3_bind_text(s->del_days, 1, op->id, -1, SQLITE_STATIC);
	rc = sqlite3_step(s->del_days);
	reset(s->del_days);
	return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/*
 * Run the batched ops from batch up to stop (exclusive) in one
 * transaction.  On success every op holds its counts and STORE_OK is
 * returned; otherwise nothing is applied (or, for an I/O error during
 * COMMIT, nobody can tell) and the batch fails as one, with one log line.
 */
static enum store_result
run_batch(struct store_sqlite *s, struct op *batch, struct op *stop)
{
	const char *stage = "BEGIN";
	struct op *op;
	size_t n = 0;
	int rc;

	for (op = batch; op != stop; op = op->next)
		n++;
	if ((rc = store_sqlite_db_step_done(s->begin)) != SQLITE_OK)
		goto fail;
	stage = "write";
	for (op = batch; op != stop; op = op->next) {
		switch (op->kind) {
		case OP_INCREMENT:
			rc = run_increment(s, op);
			break;
		case OP_SET:
			rc = run_set(s, op);
			break;
		case OP_DELETE:
			rc = run_delete(s, op);
			break;
		case OP_SALT:
		case OP_FORGET:
		case OP_IMPORT:		/* never batched: run_blocking's */
			rc = SQLITE_MISUSE;
			break;
		}
		if (rc != SQLITE_OK)
			goto fail;
	}
	stage = "COMMIT";
	if ((rc = store_sqlite_db_step_done(s->commit)) != SQLITE_OK)
		goto fail;
	return STORE_OK;
fail:
	log_error("sqlite: %s of %zu write(s) failed: %s (%s)", stage, n,
	    sqlite3_errstr(rc), sqlite3_errmsg(s->wdb));
	if (!sqlite3_get_autocommit(s->wdb))
		store_sqlite_db_step_done(s->rollback);
	/* A COMMIT that failed writing may still be on disk. */
	if (strcmp(stage, "COMMIT") == 0 && (rc & 0xff) == SQLITE_IOERR)
		return STORE_UNKNOWN_OUTCOME;
	return store_sqlite_db_result(rc);
}

/* A blocking op, on the writer: run it, then wake its caller. */
static void
run_blocking(struct store_sqlite *s, struct op *op)
{
	enum store_result res = STORE_ERROR;

	switch (op->kind) {
	case OP_SALT:
		res = store_sqlite_admin_salt(s->wdb, op->day, op->salt);
		break;
	case OP_FORGET:
		res = store_sqlite_admin_forget(s->wdb, op->day);
		break;
	case OP_IMPORT:
		res = store_sqlite_admin_import(s->wdb, op->items, op->nitems);
		break;
	case OP_INCREMENT:
	case OP_SET:
	case OP_DELETE:			/* batched: run_batch's */
		break;
	}
	pthread_mutex_lock(&s->qlock);
	op->res = res;
	op->finished = true;
	pthread_cond_broadcast(&s->bcond);
	pthread_mutex_unlock(&s->qlock);
}

/*
 * The writer: take everything queued; commit each run of batched ops as
 * one transaction and complete them; run each blocking op alone, in
 * queue order.  On stop it drains the queue before returning, so
 * store_free completes every pending write.
 */
static void *
writer_main(void *arg)
{
	struct store_sqlite *s = arg;
	struct op *batch, *op, *next, *stop;
	enum store_result res;

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

		while (batch != NULL) {
			if (!batched(batch)) {
				/* The caller owns it once finished is set. */
				next = batch->next;
				run_blocking(s, batch);
				batch = next;
				continue;
			}
			for (stop = batch; stop != NULL && batched(stop); )
				stop = stop->next;
			res = run_batch(s, batch, stop);
			for (op = batch; op != stop; op = next) {
				next = op->next;
				op->done(op->arg, res,
				    res == STORE_OK ? &op->counts : &zero);
				free(op);
			}
			batch = stop;
		}
	}
	return NULL;
}

static struct op *
op_new(enum op_kind kind, const char *id)
{
	size_t len = id != NULL ? strlen(id) : 0;
	struct op *op = xcalloc(1, sizeof(*op) + len + 1);

	op->kind = kind;
	if (id != NULL)
		memcpy(op->id, id, len + 1);
	return op;
}

static void
enqueue(struct store_sqlite *s, struct op *op)
{
	pthread_mutex_lock(&s->qlock);
	*s->tailp = op;
	s->tailp = &op->next;
	pthread_cond_signal(&s->qcond);
	pthread_mutex_unlock(&s->qlock);
}

/* Queue a blocking op, wait for the writer to run it, free it. */
static enum store_result
run_waiting(struct store_sqlite *s, struct op *op)
{
	enum store_result res;

	pthread_mutex_lock(&s->qlock);
	*s->tailp = op;
	s->tailp = &op->next;
	pthread_cond_signal(&s->qcond);
	while (!op->finished)
		pthread_cond_wait(&s->bcond, &s->qlock);
	res = op->res;
	pthread_mutex_unlock(&s->qlock);
	free(op);
	return res;
}

static void
sqlite_increment(struct store *base, const char *id,
    const struct store_visit *visit, store_done_fn *done, void *arg)
{
	struct op *op = op_new(OP_INCREMENT, id);

	op->done = done;
	op->arg = arg;
	op->visit = *visit;
	enqueue((struct store_sqlite *)base, op);
}

static void
sqlite_set(struct store *base, const char *id,
    const struct store_counts *counts, store_done_fn *done, void *arg)
{
	struct op *op;

	if (counts->visits > INT64_MAX || counts->unique > INT64_MAX) {
		done(arg, STORE_ERROR, &zero);	/* SQLite's integers */
		return;
	}
	op = op_new(OP_SET, id);
	op->done = done;
	op->arg = arg;
	op->counts = *counts;
	enqueue((struct store_sqlite *)base, op);
}

static void
sqlite_delete(struct store *base, const char *id, store_done_fn *done,
    void *arg)
{
	struct op *op = op_new(OP_DELETE, id);

	op->done = done;
	op->arg = arg;
	enqueue((struct store_sqlite *)base, op);
}

static void
sqlite_get(struct store *base, const char *id, store_done_fn *done,
    void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_counts c;
	enum store_result res;

	res = store_sqlite_read_counts(s->reader, id, &c);
	done(arg, res, &c);
}

/* A lookup of an id that cannot exist: it reads the table's first page. */
static void
sqlite_check(struct store *base, store_done_fn *done, void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	struct store_counts c;

	done(arg, store_sqlite_read_counts(s->reader, "", &c), &zero);
}

static void
sqlite_history(struct store *base, const char *id, uint32_t first_day,
    uint32_t ndays, store_history_done_fn *done, void *arg)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	enum store_result res;
	struct store_day *days;

	if (ndays == 0 || ndays > STORE_HISTORY_MAX) {
		done(arg, STORE_ERROR, NULL, 0);
		return;
	}
	days = xcalloc(ndays, sizeof(*days));
	res = store_sqlite_read_days(s->reader, id, first_day, days, ndays);
	if (res == STORE_OK)
		done(arg, res, days, ndays);
	else
		done(arg, res, NULL, 0);
	free(days);
}

static enum store_result
sqlite_salt(struct store *base, uint32_t day, uint8_t salt[STORE_SALT_LEN])
{
	struct op *op = op_new(OP_SALT, NULL);

	op->day = day;
	op->salt = salt;
	return run_waiting((struct store_sqlite *)base, op);
}

static enum store_result
sqlite_forget(struct store *base, uint32_t today)
{
	struct op *op = op_new(OP_FORGET, NULL);

	op->day = today;
	return run_waiting((struct store_sqlite *)base, op);
}

static enum store_result
sqlite_import(struct store *base, const struct store_item *items,
    size_t nitems)
{
	struct op *op = op_new(OP_IMPORT, NULL);

	op->items = items;
	op->nitems = nitems;
	return run_waiting((struct store_sqlite *)base, op);
}

static enum store_result
sqlite_export(struct store *base, store_each_fn *each, void *arg)
{
	return store_sqlite_admin_export(((struct store_sqlite *)base)->path,
	    each, arg);
}

/*
 * Shutdown: the writes still queued have not begun a transaction, so they
 * fail now, unapplied; the batch the writer is committing finishes with
 * its real result.  store.c sends nothing more after this.  A blocking op
 * cannot be queued here (store.c waits for its caller to leave first);
 * should one be, its caller is woken with STORE_UNAVAILABLE.
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
	for (struct op *b = op; b != NULL; b = b->next)
		if (!batched(b)) {
			b->res = STORE_UNAVAILABLE;
			b->finished = true;
		}
	pthread_cond_broadcast(&s->bcond);
	pthread_mutex_unlock(&s->qlock);
	for (; op != NULL; op = next) {
		next = op->next;
		if (!batched(op))
			continue;	/* its caller frees it */
		op->done(op->arg, STORE_UNAVAILABLE, &zero);
		free(op);
	}
}

static void
sqlite_free(struct store *base)
{
	struct store_sqlite *s = (struct store_sqlite *)base;
	sqlite3_stmt *const stmts[] = {
		s->begin, s->commit, s->rollback, s->seen, s->upsert,
		s->upsert_day, s->set, s->del, s->del_days,
	};

	if (s->writer_started) {
		pthread_mutex_lock(&s->qlock);
		s->stopping = true;
		pthread_cond_signal(&s->qcond);
		pthread_mutex_unlock(&s->qlock);
		pthread_join(s->writer, NULL);
	}
	for (size_t i = 0; i < sizeof(stmts) / sizeof(stmts[0]); i++)
		sqlite3_finalize(stmts[i]);
	/* The last connection to close checkpoints and removes the WAL. */
	store_sqlite_read_free(s->reader);
	sqlite3_close(s->wdb);
	pthread_cond_destroy(&s->bcond);
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
	.history = sqlite_history,
	.set = sqlite_set,
	.delete = sqlite_delete,
	.salt = sqlite_salt,
	.forget = sqlite_forget,
	.export = sqlite_export,
	.import = sqlite_import,
	.shutdown = sqlite_shutdown,
	.free = sqlite_free,
};

/* The writer's statements, after the migration. */
static int
prepare_writer(struct store_sqlite *s, char *err, size_t errlen)
{
	const struct {
		const char	 *sql;
		sqlite3_stmt	**stmt;
	} list[] = {
		{ "BEGIN IMMEDIATE", &s->begin },
		{ "COMMIT", &s->commit },
		{ "ROLLBACK", &s->rollback },
		{ seen_sql, &s->seen },
		{ upsert_sql, &s->upsert },
		{ upsert_day_sql, &s->upsert_day },
		{ set_sql, &s->set },
		{ delete_sql, &s->del },
		{ delete_days_sql, &s->del_days },
	};

	for (size_t i = 0; i < sizeof(list) / sizeof(list[0]); i++)
		if (store_sqlite_db_prepare(s->wdb, list[i].sql, list[i].stmt,
		    err, errlen) == -1)
			return -1;
	return 0;
}

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
	pthread_cond_init(&s->bcond, NULL);

	if (store_sqlite_db_create(s->path, err, errlen) == -1)
		goto fail;
	if ((s->wdb = store_sqlite_db_open(s->path, err, errlen)) == NULL ||
	    store_sqlite_db_migrate(s->wdb, err, errlen) == -1 ||
	    prepare_writer(s, err, errlen) == -1)
		goto fail;
	if ((s->reader = store_sqlite_read_new(s->path, err, errlen)) == NULL)
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

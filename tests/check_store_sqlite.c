/*
 * check_store_sqlite: what only the SQLite backend promises, and its
 * fixture for the contract suite (check_store.c).
 *
 * Each test gets its own temporary folder, removed afterwards.  Covered
 * here: owner-only permissions whatever the umask, folders that exist are
 * left alone, counts survive close and reopen, a lock held by another
 * process turns into STORE_UNAVAILABLE (and reads still work), and paths
 * that cannot hold a database fail store_sqlite_new with a clear reason,
 * a database of the first schema keeps its counts through the migration,
 * forget drops the visitor hashes, and set is ordered with increments.
 * kill -9 durability is an integration test (tests/integration/).
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "store.h"
#include "store_fixture.h"
#include "store_sqlite.h"
#include "util.h"

struct tmp {
	char	dir[256];
	char	path[512];	/* dir/visits.db unless a test says otherwise */
};

static int
tmp_make(struct tmp *t, char *why, size_t whylen)
{
	const char *base = getenv("TMPDIR");

	snprintf(t->dir, sizeof(t->dir), "%s/visitsd-check-XXXXXX",
	    base != NULL && *base != '\0' ? base : "/tmp");
	if (mkdtemp(t->dir) == NULL) {
		snprintf(why, whylen, "mkdtemp %s: %s", t->dir, strerror(errno));
		return -1;
	}
	snprintf(t->path, sizeof(t->path), "%s/visits.db", t->dir);
	return 0;
}

static int
rm_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	return remove(path);
}

static void
tmp_remove(struct tmp *t)
{
	nftw(t->dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/*
 * store_sqlite_new on path, configured through config_set and
 * config_validate; an empty path skips the validation, which would refuse
 * it before the store's own check that empty_path_is_refused tests.
 */
static struct store *
open_path(const char *path, char *err, size_t errlen)
{
	struct config cfg;
	struct store *s;

	if (path[0] == '\0')
		config_fixture_init_unvalidated(&cfg, "sqlite_path", "", NULL);
	else
		config_fixture_init(&cfg, "auth", "none", "sqlite_path", path,
		    NULL);
	s = store_sqlite_new(&cfg, err, errlen);
	config_cleanup(&cfg);
	return s;
}

/* The contract fixture: a new database in a new temporary folder. */
static struct store *
fixture_open(void **ctx, char *why, size_t whylen)
{
	struct tmp *t;
	struct store *s;

	t = xcalloc(1, sizeof(*t));
	if (tmp_make(t, why, whylen) == -1) {
		free(t);
		return NULL;
	}
	if ((s = open_path(t->path, why, whylen)) == NULL) {
		tmp_remove(t);
		free(t);
		return NULL;
	}
	*ctx = t;
	return s;
}

static void
fixture_cleanup(void *ctx)
{
	tmp_remove(ctx);
	free(ctx);
}

const struct store_fixture store_fixture_sqlite = {
	.name = "sqlite",
	.open = fixture_open,
	.cleanup = fixture_cleanup,
};

static struct store *
must_open(const char *path)
{
	char err[512] = "";
	struct store *s = open_path(path, err, sizeof(err));

	ck_assert_msg(s != NULL, "store_sqlite_new(%s): %s", path, err);
	return s;
}

static unsigned
mode_of(const char *path)
{
	struct stat st;

	ck_assert_msg(stat(path, &st) == 0, "stat %s: %s", path,
	    strerror(errno));
	return (unsigned)(st.st_mode & 07777);
}

static uint64_t
inc(struct store *s, const char *id)
{
	uint64_t count;

	ck_assert_int_eq(increment_sync(s, id, &count), STORE_OK);
	return count;
}

START_TEST(created_owner_only_whatever_the_umask)
{
	char d1[300], d2[300], path[400], wal[420], shm[420];
	struct store *s;
	struct tmp t;
	mode_t old;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	snprintf(d1, sizeof(d1), "%s/new", t.dir);
	snprintf(d2, sizeof(d2), "%s/new/sub", t.dir);
	snprintf(path, sizeof(path), "%s/visits.db", d2);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	snprintf(shm, sizeof(shm), "%s-shm", path);

	old = umask(0);
	s = must_open(path);
	umask(old);
	inc(s, "x");		/* the -wal and -shm files exist now */
	ck_assert_uint_eq(mode_of(d1), 0700);
	ck_assert_uint_eq(mode_of(d2), 0700);
	ck_assert_uint_eq(mode_of(path), 0600);
	ck_assert_uint_eq(mode_of(wal), 0600);
	ck_assert_uint_eq(mode_of(shm), 0600);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

START_TEST(existing_folder_left_alone)
{
	struct store *s;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	ck_assert_int_eq(chmod(t.dir, 0755), 0);
	s = must_open(t.path);
	ck_assert_uint_eq(mode_of(t.dir), 0755);
	ck_assert_uint_eq(mode_of(t.path), 0600);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

START_TEST(counts_survive_reopen)
{
	uint64_t count;
	struct store *s;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	s = must_open(t.path);
	inc(s, "kept");
	inc(s, "kept");
	inc(s, "kept");
	inc(s, "other");
	store_free(s);

	s = must_open(t.path);
	ck_assert_int_eq(get_sync(s, "kept", &count), STORE_OK);
	ck_assert_uint_eq(count, 3);
	ck_assert_uint_eq(inc(s, "kept"), 4);
	ck_assert_uint_eq(inc(s, "other"), 2);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

/*
 * Another process holding the write lock past the busy timeout: the
 * increment fails as unavailable and is not applied; reads go on (WAL).
 */
START_TEST(locked_database_is_unavailable)
{
	uint64_t count;
	struct store *s;
	sqlite3 *other;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	s = must_open(t.path);
	inc(s, "busy");
	ck_assert_int_eq(sqlite3_open(t.path, &other), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL,
	    NULL), SQLITE_OK);

	ck_assert_int_eq(increment_sync(s, "busy", &count), STORE_UNAVAILABLE);
	ck_assert_int_eq(get_sync(s, "busy", &count), STORE_OK);
	ck_assert_uint_eq(count, 1);

	ck_assert_int_eq(sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL),
	    SQLITE_OK);
	sqlite3_close(other);
	ck_assert_uint_eq(inc(s, "busy"), 2);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

static void
assert_refused(const char *path, const char *want)
{
	char err[512] = "";
	struct store *s = open_path(path, err, sizeof(err));

	ck_assert_msg(s == NULL, "store_sqlite_new(%s) succeeded", path);
	ck_assert_msg(strstr(err, want) != NULL, "error \"%s\" lacks \"%s\"",
	    err, want);
}

START_TEST(unwritable_path_is_refused_clearly)
{
	char file[600], below[700], want[700];
	struct tmp t;
	char why[256];
	int fd;

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	/* A folder in the path is a regular file: even root cannot. */
	snprintf(file, sizeof(file), "%s/plain", t.dir);
	ck_assert_int_ge(fd = open(file, O_CREAT | O_WRONLY, 0600), 0);
	close(fd);
	snprintf(below, sizeof(below), "%s/sub/visits.db", file);
	snprintf(want, sizeof(want), "%s is not a folder", file);
	assert_refused(below, want);

	/* The path is a folder. */
	assert_refused(t.dir, "is not a regular file");
	tmp_remove(&t);
}
END_TEST

START_TEST(not_a_database_is_refused_clearly)
{
	struct tmp t;
	char why[256];
	FILE *fp;

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	ck_assert_ptr_nonnull(fp = fopen(t.path, "w"));
	for (int i = 0; i < 1000; i++)
		fputs("this is not an SQLite database\n", fp);
	fclose(fp);
	assert_refused(t.path, "not a database");
	assert_refused(t.path, t.path);
	tmp_remove(&t);
}
END_TEST

START_TEST(empty_path_is_refused)
{
	assert_refused("", "VISITSD_SQLITE_PATH");
}
END_TEST

/* A database of the first schema, one table visits(id, count). */
static void
make_v1(const char *path)
{
	sqlite3 *db;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db,
	    "PRAGMA journal_mode=WAL;"
	    "CREATE TABLE visits (id TEXT PRIMARY KEY NOT NULL,"
	    " count INTEGER NOT NULL) WITHOUT ROWID;"
	    "INSERT INTO visits VALUES('old', 41), ('older', 7);",
	    NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
}

static int
user_version(const char *path)
{
	sqlite3_stmt *st;
	sqlite3 *db;
	int v;

	ck_assert_int_eq(sqlite3_open(path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_prepare_v2(db, "PRAGMA user_version", -1,
	    &st, NULL), SQLITE_OK);
	ck_assert_int_eq(sqlite3_step(st), SQLITE_ROW);
	v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return v;
}

/* A database made by the first schema keeps its counts, unique 0. */
START_TEST(first_schema_is_migrated_keeping_counts)
{
	struct store_visit a = visit_by(20000, 1);
	struct store_counts c;
	uint64_t count;
	struct store *s;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	make_v1(t.path);
	s = must_open(t.path);
	ck_assert_int_eq(get_sync(s, "old", &count), STORE_OK);
	ck_assert_uint_eq(count, 41);
	ck_assert_int_eq(visit_sync(s, "old", &a, &c), STORE_OK);
	ck_assert_uint_eq(c.visits, 42);
	ck_assert_uint_eq(c.unique, 1);
	ck_assert_uint_eq(inc(s, "older"), 8);
	store_free(s);
	ck_assert_int_eq(user_version(t.path), 2);

	/* Opening it again migrates nothing and keeps everything. */
	s = must_open(t.path);
	ck_assert_int_eq(visit_sync(s, "old", &a, &c), STORE_OK);
	ck_assert_uint_eq(c.visits, 43);
	ck_assert_uint_eq(c.unique, 1);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

START_TEST(newer_schema_is_refused)
{
	struct store *s;
	sqlite3 *db;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	s = must_open(t.path);
	store_free(s);
	ck_assert_int_eq(sqlite3_open(t.path, &db), SQLITE_OK);
	ck_assert_int_eq(sqlite3_exec(db, "PRAGMA user_version = 99", NULL,
	    NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	assert_refused(t.path, "schema version 99 is newer");
	tmp_remove(&t);
}
END_TEST

/* forget(today) drops the visitor hashes of the days before today. */
START_TEST(forget_drops_yesterdays_visitors)
{
	struct store_visit y = visit_by(20000, 1), d = visit_by(20001, 1);
	struct store_counts c;
	struct store *s;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	s = must_open(t.path);
	ck_assert_int_eq(visit_sync(s, "f", &y, &c), STORE_OK);
	ck_assert_int_eq(visit_sync(s, "f", &d, &c), STORE_OK);
	ck_assert_uint_eq(c.unique, 2);
	ck_assert_int_eq(store_forget(s, 20001), STORE_OK);
	/* Today's hash is kept: a repeat. */
	ck_assert_int_eq(visit_sync(s, "f", &d, &c), STORE_OK);
	ck_assert_uint_eq(c.unique, 2);
	/* Yesterday's is gone (a late visit of that day counts again). */
	ck_assert_int_eq(visit_sync(s, "f", &y, &c), STORE_OK);
	ck_assert_uint_eq(c.unique, 3);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

/*
 * Set and delete are queued with the increments: those queued before a
 * set are overwritten by it, those after it add to it.
 */
START_TEST(set_is_ordered_with_increments)
{
	static struct waiter before[50], after[50];
	struct waiter ws;
	struct store_counts put = { 1000, 10 };
	uint64_t count;
	struct store *s;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	s = must_open(t.path);
	for (int i = 0; i < 50; i++) {
		waiter_init(&before[i]);
		store_increment(s, "o", &no_visitor, waiter_done, &before[i]);
	}
	waiter_init(&ws);
	store_set(s, "o", &put, waiter_done, &ws);
	for (int i = 0; i < 50; i++) {
		waiter_init(&after[i]);
		store_increment(s, "o", &no_visitor, waiter_done, &after[i]);
	}
	waiter_wait(&ws);
	ck_assert_int_eq(ws.res, STORE_OK);
	ck_assert_uint_eq(ws.count, 1000);
	ck_assert_uint_eq(ws.unique, 10);
	for (int i = 0; i < 50; i++) {
		waiter_wait(&before[i]);
		waiter_wait(&after[i]);
		ck_assert_uint_le(before[i].count, 50);
		ck_assert_uint_gt(after[i].count, 1000);
		waiter_destroy(&before[i]);
		waiter_destroy(&after[i]);
	}
	waiter_destroy(&ws);
	ck_assert_int_eq(get_sync(s, "o", &count), STORE_OK);
	ck_assert_uint_eq(count, 1050);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

START_TEST(set_refuses_counts_sqlite_cannot_hold)
{
	struct store_counts big = { (uint64_t)INT64_MAX + 1, 0 };
	struct waiter w;
	struct store *s;
	struct tmp t;
	char why[256];

	ck_assert_int_eq(tmp_make(&t, why, sizeof(why)), 0);
	s = must_open(t.path);
	waiter_init(&w);
	store_set(s, "big", &big, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, STORE_ERROR);
	waiter_destroy(&w);
	store_free(s);
	tmp_remove(&t);
}
END_TEST

Suite	*suite_store_sqlite(void);

Suite *suite_store_sqlite(void)
{
	Suite *s = suite_create("store_sqlite");
	TCase *tc = tcase_create("sqlite");

	/* The lock test waits out the 5 s busy timeout. */
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, created_owner_only_whatever_the_umask);
	tcase_add_test(tc, existing_folder_left_alone);
	tcase_add_test(tc, counts_survive_reopen);
	tcase_add_test(tc, locked_database_is_unavailable);
	tcase_add_test(tc, unwritable_path_is_refused_clearly);
	tcase_add_test(tc, not_a_database_is_refused_clearly);
	tcase_add_test(tc, empty_path_is_refused);
	tcase_add_test(tc, first_schema_is_migrated_keeping_counts);
	tcase_add_test(tc, newer_schema_is_refused);
	tcase_add_test(tc, forget_drops_yesterdays_visitors);
	tcase_add_test(tc, set_is_ordered_with_increments);
	tcase_add_test(tc, set_refuses_counts_sqlite_cannot_hold);
	suite_add_tcase(s, tc);
	return s;
}

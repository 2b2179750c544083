/*
 * check_store_sqlite: what only the SQLite backend promises, and its
 * fixture for the contract suite (check_store.c).
 *
 * Each test gets its own temporary folder, removed afterwards.  Covered
 * here: owner-only permissions whatever the umask, folders that exist are
 * left alone, counts survive close and reopen, a lock held by another
 * process turns into STORE_UNAVAILABLE (and reads still work), and paths
 * that cannot hold a database fail store_sqlite_new with a clear reason.
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

static struct store *
open_path(const char *path, char *err, size_t errlen)
{
	char copy[1024];
	struct config cfg;

	snprintf(copy, sizeof(copy), "%s", path);
	memset(&cfg, 0, sizeof(cfg));
	cfg.sqlite_path = copy;
	return store_sqlite_new(&cfg, err, errlen);
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
	suite_add_tcase(s, tc);
	return s;
}

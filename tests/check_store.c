/*
 * check_store: the counter-store contract, run against every backend.
 *
 * Each test is written once and runs once per entry of the backends table,
 * in a test case named after the backend, on a fresh empty store from the
 * backend's fixture (store_fixture.h).  A backend that cannot run here
 * fails every test, naming why; VISITSD_STORE_SKIP=name[,name] skips one on
 * purpose, and says so on stderr.  Backend-specific behaviour (files,
 * permissions, endpoints) belongs in that backend's own suite.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_fixture.h"

/* Adding a backend to the contract is one line here. */
static const struct store_fixture *const backends[] = {
	&store_fixture_sqlite,
	&store_fixture_dynamodb,
};

#define NBACKENDS	(sizeof(backends) / sizeof(backends[0]))

/* The store under test and its fixture state, per test. */
struct fx {
	const struct store_fixture	*backend;
	struct store			*store;
	void				*ctx;
};

static void
fx_open(struct fx *f, int i)
{
	char why[512] = "";

	f->backend = backends[i];
	f->ctx = NULL;
	f->store = f->backend->open(&f->ctx, why, sizeof(why));
	ck_assert_msg(f->store != NULL,
	    "store backend %s is not available: %s "
	    "(set VISITSD_STORE_SKIP=%s to skip it on purpose)",
	    f->backend->name, why, f->backend->name);
}

static void
fx_close(struct fx *f)
{
	store_free(f->store);
	f->store = NULL;
	f->backend->cleanup(f->ctx);
}

static uint64_t
inc(struct fx *f, const char *id)
{
	uint64_t count;
	enum store_result res = increment_sync(f->store, id, &count);

	ck_assert_msg(res == STORE_OK, "%s: increment %s: %s", f->backend->name,
	    id, store_result_str(res));
	return count;
}

static uint64_t
get(struct fx *f, const char *id)
{
	uint64_t count;
	enum store_result res = get_sync(f->store, id, &count);

	ck_assert_msg(res == STORE_OK, "%s: get %s: %s", f->backend->name, id,
	    store_result_str(res));
	return count;
}

START_TEST(first_increment_is_one)
{
	struct fx f;

	fx_open(&f, _i);
	ck_assert_uint_eq(inc(&f, "alice"), 1);
	fx_close(&f);
}
END_TEST

START_TEST(increments_are_consecutive)
{
	struct fx f;

	fx_open(&f, _i);
	for (uint64_t want = 1; want <= 20; want++)
		ck_assert_uint_eq(inc(&f, "bob"), want);
	fx_close(&f);
}
END_TEST

START_TEST(get_unknown_is_zero)
{
	struct fx f;

	fx_open(&f, _i);
	ck_assert_uint_eq(get(&f, "nobody"), 0);
	/* Asking did not create it. */
	ck_assert_uint_eq(inc(&f, "nobody"), 1);
	fx_close(&f);
}
END_TEST

START_TEST(get_does_not_change_count)
{
	struct fx f;

	fx_open(&f, _i);
	inc(&f, "carol");
	inc(&f, "carol");
	inc(&f, "carol");
	ck_assert_uint_eq(get(&f, "carol"), 3);
	ck_assert_uint_eq(get(&f, "carol"), 3);
	ck_assert_uint_eq(inc(&f, "carol"), 4);
	ck_assert_uint_eq(get(&f, "carol"), 4);
	fx_close(&f);
}
END_TEST

START_TEST(ids_are_independent)
{
	struct fx f;

	fx_open(&f, _i);
	ck_assert_uint_eq(inc(&f, "a"), 1);
	ck_assert_uint_eq(inc(&f, "a"), 2);
	ck_assert_uint_eq(inc(&f, "aa"), 1);
	ck_assert_uint_eq(inc(&f, "A"), 1);
	ck_assert_uint_eq(inc(&f, "b"), 1);
	ck_assert_uint_eq(get(&f, "a"), 2);
	ck_assert_uint_eq(get(&f, "aa"), 1);
	ck_assert_uint_eq(get(&f, "A"), 1);
	ck_assert_uint_eq(get(&f, "b"), 1);
	fx_close(&f);
}
END_TEST

/* Every character the API lets through, and the longest id it accepts. */
START_TEST(any_valid_id_is_kept)
{
	struct fx f;
	char longest[129];

	memset(longest, 'z', 128);
	longest[128] = '\0';
	fx_open(&f, _i);
	ck_assert_uint_eq(inc(&f, "Az09._~-"), 1);
	ck_assert_uint_eq(inc(&f, longest), 1);
	ck_assert_uint_eq(inc(&f, longest), 2);
	ck_assert_uint_eq(get(&f, "Az09._~-"), 1);
	ck_assert_uint_eq(get(&f, longest), 2);
	fx_close(&f);
}
END_TEST

#define NTHREADS	8
#define PER_THREAD	100

struct hammer {
	struct store	*store;
	uint64_t	*counts;	/* PER_THREAD slots of this thread */
	int		 failures;
};

static void *
hammer_main(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < PER_THREAD; i++)
		if (increment_sync(h->store, "shared", &h->counts[i]) != STORE_OK)
			h->failures++;
	return NULL;
}

START_TEST(concurrent_increments_are_atomic)
{
	static uint64_t counts[NTHREADS * PER_THREAD];
	static unsigned char seen[NTHREADS * PER_THREAD + 1];
	struct hammer h[NTHREADS];
	pthread_t th[NTHREADS];
	struct fx f;

	fx_open(&f, _i);
	for (int t = 0; t < NTHREADS; t++) {
		h[t].store = f.store;
		h[t].counts = counts + t * PER_THREAD;
		h[t].failures = 0;
		ck_assert_int_eq(pthread_create(&th[t], NULL, hammer_main,
		    &h[t]), 0);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		ck_assert_int_eq(h[t].failures, 0);
	}
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < NTHREADS * PER_THREAD; i++) {
		ck_assert_uint_ge(counts[i], 1);
		ck_assert_uint_le(counts[i], NTHREADS * PER_THREAD);
		ck_assert_msg(!seen[counts[i]], "count %llu returned twice",
		    (unsigned long long)counts[i]);
		seen[counts[i]] = 1;
	}
	ck_assert_uint_eq(get(&f, "shared"), NTHREADS * PER_THREAD);
	fx_close(&f);
}
END_TEST

/*
 * Exactly once: a second call could only come later, and store_free waits
 * for everything pending, so counting after the free is conclusive.
 */
START_TEST(callback_called_exactly_once)
{
	struct waiter wi, wg, wc;
	struct fx f;

	fx_open(&f, _i);
	waiter_init(&wi);
	waiter_init(&wg);
	waiter_init(&wc);
	store_increment(f.store, "dave", &no_visitor, waiter_done, &wi);
	waiter_wait(&wi);
	store_get(f.store, "dave", waiter_done, &wg);
	waiter_wait(&wg);
	store_check(f.store, waiter_done, &wc);
	waiter_wait(&wc);
	store_free(f.store);
	f.store = NULL;
	ck_assert_int_eq(waiter_calls(&wi), 1);
	ck_assert_int_eq(waiter_calls(&wg), 1);
	ck_assert_int_eq(waiter_calls(&wc), 1);
	ck_assert_int_eq(wi.res, STORE_OK);
	ck_assert_uint_eq(wi.count, 1);
	ck_assert_int_eq(wg.res, STORE_OK);
	ck_assert_uint_eq(wg.count, 1);
	waiter_destroy(&wi);
	waiter_destroy(&wg);
	waiter_destroy(&wc);
	fx_close(&f);
}
END_TEST

#define PENDING	300

START_TEST(free_completes_pending_operations)
{
	static struct waiter w[PENDING];
	static unsigned char seen[PENDING + 1];
	struct fx f;

	fx_open(&f, _i);
	for (int i = 0; i < PENDING; i++) {
		waiter_init(&w[i]);
		store_increment(f.store, "eve", &no_visitor, waiter_done, &w[i]);
	}
	store_free(f.store);
	f.store = NULL;
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < PENDING; i++) {
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_int_eq(w[i].res, STORE_OK);
		ck_assert_uint_ge(w[i].count, 1);
		ck_assert_uint_le(w[i].count, PENDING);
		ck_assert(!seen[w[i].count]);
		seen[w[i].count] = 1;
		waiter_destroy(&w[i]);
	}
	fx_close(&f);
}
END_TEST

/*
 * Shutdown: each pending increment completes once, applied (OK, with a
 * distinct count) or not (UNAVAILABLE), and a later operation is refused
 * at once without reaching the backend.
 */
START_TEST(shutdown_fails_unsent_and_refuses_new_work)
{
	static struct waiter w[PENDING];
	static unsigned char seen[PENDING + 1];
	struct waiter late;
	struct fx f;

	fx_open(&f, _i);
	for (int i = 0; i < PENDING; i++) {
		waiter_init(&w[i]);
		store_increment(f.store, "frank", &no_visitor, waiter_done, &w[i]);
	}
	store_shutdown(f.store);
	store_shutdown(f.store);
	waiter_init(&late);
	store_increment(f.store, "frank", &no_visitor, waiter_done, &late);
	ck_assert_int_eq(waiter_calls(&late), 1);	/* inline */
	ck_assert_int_eq(late.res, STORE_UNAVAILABLE);
	store_free(f.store);
	f.store = NULL;
	memset(seen, 0, sizeof(seen));
	for (int i = 0; i < PENDING; i++) {
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_msg(w[i].res == STORE_OK ||
		    w[i].res == STORE_UNAVAILABLE, "%s: %s", f.backend->name,
		    store_result_str(w[i].res));
		if (w[i].res == STORE_OK) {
			ck_assert_uint_le(w[i].count, PENDING);
			ck_assert(!seen[w[i].count]);
			seen[w[i].count] = 1;
		}
		waiter_destroy(&w[i]);
	}
	waiter_destroy(&late);
	fx_close(&f);
}
END_TEST

START_TEST(fresh_store_is_ready)
{
	struct waiter w;
	struct fx f;

	fx_open(&f, _i);
	waiter_init(&w);
	store_check(f.store, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_msg(w.res == STORE_OK, "%s: check: %s", f.backend->name,
	    store_result_str(w.res));
	waiter_destroy(&w);
	fx_close(&f);
}
END_TEST

START_TEST(name_is_the_backends)
{
	struct fx f;

	fx_open(&f, _i);
	ck_assert_str_eq(store_name(f.store), f.backend->name);
	fx_close(&f);
}
END_TEST

/*
 * Metrics label every result and operation by these names: each value of
 * the enums has one, and STORE_NRESULTS and STORE_NOPS count them all.
 */
START_TEST(every_result_and_operation_is_named)
{
	static const char *const results[] = {
		"ok", "unavailable", "unknown_outcome", "error",
	};
	static const char *const ops[] = {
		"increment", "get", "check", "history", "set", "delete",
	};

	ck_assert_int_eq(STORE_NRESULTS, 4);
	for (int r = 0; r < STORE_NRESULTS; r++)
		ck_assert_str_eq(store_result_str((enum store_result)r),
		    results[r]);
	ck_assert_ptr_null(store_result_str((enum store_result)STORE_NRESULTS));
	ck_assert_int_eq(STORE_NOPS, 6);
	for (int o = 0; o < STORE_NOPS; o++)
		ck_assert_str_eq(store_op_str((enum store_op)o), ops[o]);
	ck_assert_ptr_null(store_op_str((enum store_op)STORE_NOPS));
}
END_TEST

/* Is name in the comma-separated list VISITSD_STORE_SKIP? */
static int
skipped(const char *name)
{
	const char *list = getenv("VISITSD_STORE_SKIP");
	size_t len = strlen(name);

	for (const char *p = list; p != NULL && *p != '\0'; ) {
		size_t n = strcspn(p, ",");

		if (n == len && strncmp(p, name, len) == 0)
			return 1;
		p += n;
		if (*p == ',')
			p++;
	}
	return 0;
}

Suite	*suite_store(void);

Suite *suite_store(void)
{
	Suite *s = suite_create("store");
	TCase *names = tcase_create("names");

	tcase_add_test(names, every_result_and_operation_is_named);
	suite_add_tcase(s, names);
	for (int i = 0; i < (int)NBACKENDS; i++) {
		TCase *tc;

		if (skipped(backends[i]->name)) {
			fprintf(stderr, "store contract: SKIPPING backend %s "
			    "(VISITSD_STORE_SKIP)\n", backends[i]->name);
			continue;
		}
		tc = tcase_create(backends[i]->name);
		tcase_set_timeout(tc, 60);
		tcase_add_loop_test(tc, first_increment_is_one, i, i + 1);
		tcase_add_loop_test(tc, increments_are_consecutive, i, i + 1);
		tcase_add_loop_test(tc, get_unknown_is_zero, i, i + 1);
		tcase_add_loop_test(tc, get_does_not_change_count, i, i + 1);
		tcase_add_loop_test(tc, ids_are_independent, i, i + 1);
		tcase_add_loop_test(tc, any_valid_id_is_kept, i, i + 1);
		tcase_add_loop_test(tc, concurrent_increments_are_atomic, i,
		    i + 1);
		tcase_add_loop_test(tc, callback_called_exactly_once, i, i + 1);
		tcase_add_loop_test(tc, free_completes_pending_operations, i,
		    i + 1);
		tcase_add_loop_test(tc, shutdown_fails_unsent_and_refuses_new_work,
		    i, i + 1);
		tcase_add_loop_test(tc, fresh_store_is_ready, i, i + 1);
		tcase_add_loop_test(tc, name_is_the_backends, i, i + 1);
		suite_add_tcase(s, tc);
	}
	return s;
}

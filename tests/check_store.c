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
#include <stdbool.h>
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

/*
 * Until a backend has an operation (its ops entry is NULL, which store.c
 * completes with STORE_ERROR) the tests of that operation pass over it,
 * saying so on stderr; they hold it to the contract from the commit that
 * fills the entry in.  Uniques go with salts: a backend without store_salt
 * cannot be counting them.
 */
static bool
lacks(struct fx *f, const void *op, const char *name, const char *test)
{
	if (op != NULL)
		return false;
	fprintf(stderr, "store contract: backend %s lacks %s: %s not run\n",
	    f->backend->name, name, test);
	fx_close(f);
	return true;
}
#define LACKS(f, op)	lacks((f), (const void *)(f)->store->ops->op, #op, \
			    __func__)

/* The counts after a visit, checked against want. */
static void
visit(struct fx *f, const char *id, const struct store_visit *v,
    uint64_t visits, uint64_t unique)
{
	struct store_counts c;
	enum store_result res = visit_sync(f->store, id, v, &c);

	ck_assert_msg(res == STORE_OK, "%s: increment %s: %s",
	    f->backend->name, id, store_result_str(res));
	ck_assert_msg(c.visits == visits && c.unique == unique,
	    "%s: %s: visits %llu unique %llu, want %llu %llu",
	    f->backend->name, id, (unsigned long long)c.visits,
	    (unsigned long long)c.unique, (unsigned long long)visits,
	    (unsigned long long)unique);
}

static struct store_counts
get_counts(struct fx *f, const char *id)
{
	struct waiter w;
	struct store_counts c;

	waiter_init(&w);
	store_get(f->store, id, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_msg(w.res == STORE_OK, "%s: get %s: %s", f->backend->name,
	    id, store_result_str(w.res));
	c.visits = w.count;
	c.unique = w.unique;
	waiter_destroy(&w);
	return c;
}

#define DAY	20000

/*
 * A visitor's first visit of its day counts in both, a repeat in visits
 * only; another visitor, or the same one the next day, is new again; a
 * visit without a visitor counts in visits only.
 */
START_TEST(unique_counts_each_visitor_once_a_day)
{
	struct store_visit a = visit_by(DAY, 1), b = visit_by(DAY, 2);
	struct store_visit a2 = visit_by(DAY + 1, 1);
	struct store_counts c;
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, salt))
		return;
	visit(&f, "u", &a, 1, 1);
	visit(&f, "u", &a, 2, 1);
	visit(&f, "u", &b, 3, 2);
	visit(&f, "u", &no_visitor, 4, 2);
	visit(&f, "u", &a2, 5, 3);
	visit(&f, "u", &a2, 6, 3);
	/* A hash names a visitor of one id (visitor.c puts the id in). */
	visit(&f, "other", &no_visitor, 1, 0);
	c = get_counts(&f, "u");
	ck_assert_uint_eq(c.visits, 6);
	ck_assert_uint_eq(c.unique, 3);
	fx_close(&f);
}
END_TEST

/* Concurrent first visits of one visitor: exactly one counts as unique. */
struct racer {
	struct store		*store;
	struct store_counts	 c[PER_THREAD];
	int			 failures;
};

static void *
racer_main(void *arg)
{
	struct racer *r = arg;
	struct store_visit v = visit_by(DAY, 7);

	for (int i = 0; i < PER_THREAD; i++)
		if (visit_sync(r->store, "race", &v, &r->c[i]) != STORE_OK)
			r->failures++;
	return NULL;
}

START_TEST(concurrent_visits_count_one_unique)
{
	static struct racer r[NTHREADS];
	pthread_t th[NTHREADS];
	struct store_counts c;
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, salt))
		return;
	for (int t = 0; t < NTHREADS; t++) {
		r[t].store = f.store;
		r[t].failures = 0;
		ck_assert_int_eq(pthread_create(&th[t], NULL, racer_main,
		    &r[t]), 0);
	}
	for (int t = 0; t < NTHREADS; t++) {
		pthread_join(th[t], NULL);
		ck_assert_int_eq(r[t].failures, 0);
		for (int i = 0; i < PER_THREAD; i++)
			ck_assert_uint_eq(r[t].c[i].unique, 1);
	}
	c = get_counts(&f, "race");
	ck_assert_uint_eq(c.visits, NTHREADS * PER_THREAD);
	ck_assert_uint_eq(c.unique, 1);
	fx_close(&f);
}
END_TEST

/* A history's completion, copied. */
struct hwait {
	struct waiter		w;
	struct store_day	days[STORE_HISTORY_MAX];
	size_t			ndays;
};

static void
hwait_done(void *arg, enum store_result res, const struct store_day *days,
    size_t ndays)
{
	struct hwait *h = arg;

	h->ndays = ndays;
	if (ndays > 0)
		memcpy(h->days, days, ndays * sizeof(*days));
	waiter_done(&h->w, res, &(struct store_counts){ 0 });
}

static size_t
history(struct fx *f, const char *id, uint32_t first, uint32_t n,
    struct hwait *h)
{
	waiter_init(&h->w);
	store_history(f->store, id, first, n, hwait_done, h);
	waiter_wait(&h->w);
	ck_assert_msg(h->w.res == STORE_OK, "%s: history %s: %s",
	    f->backend->name, id, store_result_str(h->w.res));
	waiter_destroy(&h->w);
	return h->ndays;
}

static void
assert_day(const struct store_day *d, uint32_t day, uint64_t visits,
    uint64_t unique)
{
	ck_assert_uint_eq(d->day, day);
	ck_assert_uint_eq(d->counts.visits, visits);
	ck_assert_uint_eq(d->counts.unique, unique);
}

START_TEST(history_is_oldest_first_with_zeros)
{
	static struct hwait h;
	struct store_visit a = visit_by(DAY, 1), b = visit_by(DAY, 2);
	struct store_visit a3 = visit_by(DAY + 3, 1);
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, history))
		return;
	visit(&f, "h", &a, 1, 1);
	visit(&f, "h", &a, 2, 1);
	visit(&f, "h", &b, 3, 2);
	visit(&f, "h", &a3, 4, 3);
	visit(&f, "elsewhere", &(struct store_visit){ .day = DAY }, 1, 0);
	ck_assert_uint_eq(history(&f, "h", DAY - 1, 6, &h), 6);
	assert_day(&h.days[0], DAY - 1, 0, 0);
	assert_day(&h.days[1], DAY, 3, 2);
	assert_day(&h.days[2], DAY + 1, 0, 0);
	assert_day(&h.days[3], DAY + 2, 0, 0);
	assert_day(&h.days[4], DAY + 3, 1, 1);
	assert_day(&h.days[5], DAY + 4, 0, 0);
	/* One day; an unknown id is all zeros. */
	ck_assert_uint_eq(history(&f, "h", DAY + 3, 1, &h), 1);
	assert_day(&h.days[0], DAY + 3, 1, 1);
	ck_assert_uint_eq(history(&f, "nobody", DAY, STORE_HISTORY_MAX, &h),
	    STORE_HISTORY_MAX);
	for (size_t i = 0; i < STORE_HISTORY_MAX; i++)
		assert_day(&h.days[i], DAY + (uint32_t)i, 0, 0);
	fx_close(&f);
}
END_TEST

static struct store_counts
set(struct fx *f, const char *id, uint64_t visits, uint64_t unique)
{
	struct store_counts want = { visits, unique }, c;
	struct waiter w;

	waiter_init(&w);
	store_set(f->store, id, &want, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_msg(w.res == STORE_OK, "%s: set %s: %s", f->backend->name,
	    id, store_result_str(w.res));
	c.visits = w.count;
	c.unique = w.unique;
	waiter_destroy(&w);
	return c;
}

static void
del(struct fx *f, const char *id)
{
	struct waiter w;

	waiter_init(&w);
	store_delete(f->store, id, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_msg(w.res == STORE_OK, "%s: delete %s: %s",
	    f->backend->name, id, store_result_str(w.res));
	waiter_destroy(&w);
}

START_TEST(set_puts_counts_and_increments_add)
{
	struct store_visit a = visit_by(DAY, 1);
	struct store_counts c;
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, set))
		return;
	c = set(&f, "start", 1000, 400);	/* creates it */
	ck_assert_uint_eq(c.visits, 1000);
	ck_assert_uint_eq(c.unique, 400);
	visit(&f, "start", &a, 1001, 401);
	visit(&f, "start", &a, 1002, 401);
	c = set(&f, "start", 5, 0);		/* down, too */
	ck_assert_uint_eq(c.visits, 5);
	ck_assert_uint_eq(c.unique, 0);
	c = get_counts(&f, "start");
	ck_assert_uint_eq(c.visits, 5);
	ck_assert_uint_eq(c.unique, 0);
	ck_assert_uint_eq(inc(&f, "start"), 6);
	fx_close(&f);
}
END_TEST

START_TEST(delete_reads_zero_with_its_history)
{
	static struct hwait h;
	struct store_visit a = visit_by(DAY, 1);
	struct store_counts c;
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, delete))
		return;
	visit(&f, "gone", &a, 1, 1);
	visit(&f, "kept", &no_visitor, 1, 0);
	del(&f, "gone");
	c = get_counts(&f, "gone");
	ck_assert_uint_eq(c.visits, 0);
	ck_assert_uint_eq(c.unique, 0);
	ck_assert_uint_eq(history(&f, "gone", DAY, 1, &h), 1);
	assert_day(&h.days[0], DAY, 0, 0);
	ck_assert_uint_eq(get(&f, "kept"), 1);
	del(&f, "never-was");			/* not an error */
	ck_assert_uint_eq(inc(&f, "gone"), 1);
	fx_close(&f);
}
END_TEST

START_TEST(salt_is_made_once_per_day)
{
	uint8_t s1[STORE_SALT_LEN], s2[STORE_SALT_LEN], s3[STORE_SALT_LEN];
	static const uint8_t none[STORE_SALT_LEN];
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, salt))
		return;
	ck_assert_int_eq(store_salt(f.store, DAY, s1), STORE_OK);
	ck_assert_int_eq(store_salt(f.store, DAY, s2), STORE_OK);
	ck_assert_mem_eq(s1, s2, STORE_SALT_LEN);
	ck_assert(memcmp(s1, none, STORE_SALT_LEN) != 0);
	ck_assert_int_eq(store_salt(f.store, DAY + 1, s3), STORE_OK);
	ck_assert(memcmp(s1, s3, STORE_SALT_LEN) != 0);
	fx_close(&f);
}
END_TEST

/* forget(today) keeps today's salt, drops yesterday's and older ones. */
START_TEST(forget_drops_the_salts_of_past_days)
{
	uint8_t old[STORE_SALT_LEN], yday[STORE_SALT_LEN], now[STORE_SALT_LEN];
	uint8_t again[STORE_SALT_LEN];
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, forget))
		return;
	ck_assert_int_eq(store_salt(f.store, DAY - 2, old), STORE_OK);
	ck_assert_int_eq(store_salt(f.store, DAY - 1, yday), STORE_OK);
	ck_assert_int_eq(store_salt(f.store, DAY, now), STORE_OK);
	ck_assert_int_eq(store_forget(f.store, DAY), STORE_OK);
	ck_assert_int_eq(store_salt(f.store, DAY, again), STORE_OK);
	ck_assert_mem_eq(again, now, STORE_SALT_LEN);
	/* The past ones are gone: asking makes new, different ones. */
	ck_assert_int_eq(store_salt(f.store, DAY - 1, again), STORE_OK);
	ck_assert(memcmp(again, yday, STORE_SALT_LEN) != 0);
	ck_assert_int_eq(store_salt(f.store, DAY - 2, again), STORE_OK);
	ck_assert(memcmp(again, old, STORE_SALT_LEN) != 0);
	fx_close(&f);
}
END_TEST

struct seen {
	int		n;
	uint64_t	sum_visits, sum_unique;
	int		found_b;
	int		stop_after;	/* 0: never */
};

static int
each_count(void *arg, const char *id, const struct store_counts *c)
{
	struct seen *s = arg;

	s->n++;
	s->sum_visits += c->visits;
	s->sum_unique += c->unique;
	if (strcmp(id, "exp-b") == 0 && c->visits == 2 && c->unique == 1)
		s->found_b = 1;
	return s->stop_after != 0 && s->n >= s->stop_after ? -1 : 0;
}

START_TEST(export_yields_every_id)
{
	struct store_visit a = visit_by(DAY, 1);
	struct seen seen = { 0 };
	char id[32];
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, export))
		return;
	for (int i = 0; i < 50; i++) {
		snprintf(id, sizeof(id), "exp-%d", i);
		inc(&f, id);
	}
	visit(&f, "exp-b", &a, 1, 1);
	visit(&f, "exp-b", &a, 2, 1);
	ck_assert_int_eq(store_export(f.store, each_count, &seen), STORE_OK);
	ck_assert_int_eq(seen.n, 51);
	ck_assert_uint_eq(seen.sum_visits, 52);
	ck_assert_uint_eq(seen.sum_unique, 1);
	ck_assert(seen.found_b);
	/* each() stopping it is an error, and it stops. */
	memset(&seen, 0, sizeof(seen));
	seen.stop_after = 3;
	ck_assert_int_eq(store_export(f.store, each_count, &seen), STORE_ERROR);
	ck_assert_int_eq(seen.n, 3);
	fx_close(&f);
}
END_TEST

START_TEST(import_puts_every_item)
{
	const struct store_item items[] = {
		{ "imp-a", { 10, 3 } },
		{ "imp-b", { 0, 0 } },
		{ "imp-c", { 123456789, 1000 } },
	};
	struct store_counts c;
	struct fx f;

	fx_open(&f, _i);
	if (LACKS(&f, import))
		return;
	inc(&f, "imp-a");
	inc(&f, "untouched");
	ck_assert_int_eq(store_import(f.store, items, 3), STORE_OK);
	c = get_counts(&f, "imp-a");
	ck_assert_uint_eq(c.visits, 10);
	ck_assert_uint_eq(c.unique, 3);
	c = get_counts(&f, "imp-c");
	ck_assert_uint_eq(c.visits, 123456789);
	ck_assert_uint_eq(c.unique, 1000);
	ck_assert_uint_eq(get(&f, "imp-b"), 0);
	ck_assert_uint_eq(get(&f, "untouched"), 1);
	ck_assert_uint_eq(inc(&f, "imp-a"), 11);
	ck_assert_int_eq(store_import(f.store, items, 0), STORE_OK);
	fx_close(&f);
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
		tcase_add_loop_test(tc, unique_counts_each_visitor_once_a_day,
		    i, i + 1);
		tcase_add_loop_test(tc, concurrent_visits_count_one_unique, i,
		    i + 1);
		tcase_add_loop_test(tc, history_is_oldest_first_with_zeros, i,
		    i + 1);
		tcase_add_loop_test(tc, set_puts_counts_and_increments_add, i,
		    i + 1);
		tcase_add_loop_test(tc, delete_reads_zero_with_its_history, i,
		    i + 1);
		tcase_add_loop_test(tc, salt_is_made_once_per_day, i, i + 1);
		tcase_add_loop_test(tc, forget_drops_the_salts_of_past_days,
		    i, i + 1);
		tcase_add_loop_test(tc, export_yields_every_id, i, i + 1);
		tcase_add_loop_test(tc, import_puts_every_item, i, i + 1);
		suite_add_tcase(s, tc);
	}
	return s;
}

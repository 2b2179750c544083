/*
 * check_ratelimit: the token bucket's arithmetic on an injected clock (no
 * sleeping), the rate grammar, the table's LRU bound (1,000,000 distinct
 * clients through a table of fixed size: its accounted bytes never move
 * and the process's resident memory grows by less than a generous bound),
 * and guard.c's order: the origin secret before the bucket, a refused
 * request taking no token, the RateLimit field values.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_id.h"
#include "config.h"
#include "config_fixture.h"
#include "guard.h"
#include "ratelimit.h"

Suite *suite_ratelimit(void);

#define MS	1000000ULL
#define SEC	1000000000ULL
#define T0	(1000 * SEC)	/* an arbitrary monotonic origin */

static void
key_of(uint32_t n, uint8_t key[RATELIMIT_KEY_LEN])
{
	memset(key, 0, RATELIMIT_KEY_LEN);
	key[10] = key[11] = 0xff;
	memcpy(key + 12, &n, 4);
}

static struct ratelimit_verdict
take(struct ratelimit *rl, uint32_t client, uint64_t now)
{
	struct ratelimit_verdict v;
	uint8_t key[RATELIMIT_KEY_LEN];

	key_of(client, key);
	ratelimit_take(rl, key, now, &v);
	return v;
}

START_TEST(a_full_bucket_then_the_rate)
{
	struct ratelimit *rl = ratelimit_new(10000, 5, 1024, 4);
	struct ratelimit_verdict v;

	ck_assert_uint_eq(ratelimit_burst(rl), 5);
	for (uint32_t i = 0; i < 5; i++) {
		v = take(rl, 1, T0);
		ck_assert(v.allowed);
		ck_assert_uint_eq(v.remaining, 4 - i);
		ck_assert_uint_eq(v.reset_s, 1);
	}
	v = take(rl, 1, T0);
	ck_assert(!v.allowed);
	ck_assert_uint_eq(v.remaining, 0);
	ck_assert_uint_eq(v.reset_s, 1);
	/* One token every 100 ms. */
	ck_assert(!take(rl, 1, T0 + 99 * MS).allowed);
	ck_assert(take(rl, 1, T0 + 100 * MS).allowed);
	ck_assert(!take(rl, 1, T0 + 100 * MS).allowed);
	/* Another client has its own bucket. */
	ck_assert(take(rl, 2, T0).allowed);
	/* Idle for a window: full again, and no more than full. */
	for (uint32_t i = 0; i < 5; i++)
		ck_assert(take(rl, 1, T0 + 60 * SEC).allowed);
	ck_assert(!take(rl, 1, T0 + 60 * SEC).allowed);
	ratelimit_free(rl);
}
END_TEST

START_TEST(a_refused_request_takes_no_token)
{
	struct ratelimit *rl = ratelimit_new(1000, 2, 1024, 4);
	unsigned allowed = 0;

	for (int i = 0; i < 1000; i++)
		allowed += take(rl, 7, T0 + (uint64_t)i * MS).allowed;
	/* 2 at once, one more at 1 s of the 999 ms: none. */
	ck_assert_uint_eq(allowed, 2);
	/* The thousand refusals did not push the next token back. */
	ck_assert(take(rl, 7, T0 + 1000 * MS).allowed);
	ck_assert(!take(rl, 7, T0 + 1000 * MS).allowed);
	ratelimit_free(rl);
}
END_TEST

START_TEST(fractional_rates_and_the_wait_rounded_up)
{
	struct ratelimit *rl = ratelimit_new(500, 1, 1024, 1);	/* 0.5/s */
	struct ratelimit_verdict v;

	ck_assert_uint_eq(ratelimit_window_s(rl), 2);
	ck_assert(take(rl, 1, T0).allowed);
	v = take(rl, 1, T0);
	ck_assert(!v.allowed);
	ck_assert_uint_eq(v.reset_s, 2);
	v = take(rl, 1, T0 + 1500 * MS);
	ck_assert(!v.allowed);
	ck_assert_uint_eq(v.reset_s, 1);	/* 0.5 s, rounded up */
	ck_assert(!take(rl, 1, T0 + 2 * SEC - 1).allowed);
	ck_assert(take(rl, 1, T0 + 2 * SEC).allowed);
	ratelimit_free(rl);

	rl = ratelimit_new(3000, 10, 1024, 1);		/* 3/s, 10 */
	ck_assert_uint_eq(ratelimit_window_s(rl), 4);	/* 3.33 s up */
	ratelimit_free(rl);
	rl = ratelimit_new(10000, 100, 1024, 1);
	ck_assert_uint_eq(ratelimit_window_s(rl), 10);
	ratelimit_free(rl);
}
END_TEST

START_TEST(the_rate_grammar)
{
	const char *bad[] = { "", "-1", "1e3", "0.1234", "1000000.5", "1.",
	    ".5", "abc", "10 ", "99999999999", NULL };
	uint64_t m;
	char why[256];

	ck_assert_int_eq(ratelimit_rate_parse("10", &m, why, sizeof(why)), 0);
	ck_assert_uint_eq(m, 10000);
	ck_assert_int_eq(ratelimit_rate_parse("0.5", &m, why, sizeof(why)), 0);
	ck_assert_uint_eq(m, 500);
	ck_assert_int_eq(ratelimit_rate_parse("2.125", &m, why, sizeof(why)),
	    0);
	ck_assert_uint_eq(m, 2125);
	ck_assert_int_eq(ratelimit_rate_parse("0", &m, why, sizeof(why)), 0);
	ck_assert_uint_eq(m, 0);
	ck_assert_int_eq(ratelimit_rate_parse("1000000", &m, why, sizeof(why)),
	    0);
	ck_assert_uint_eq(m, 1000000000);
	for (int i = 0; bad[i] != NULL; i++)
		ck_assert_msg(ratelimit_rate_parse(bad[i], &m, why,
		    sizeof(why)) == -1, "\"%s\" accepted", bad[i]);
}
END_TEST

START_TEST(the_least_recently_seen_client_is_forgotten_first)
{
	/* One shard of 1024, so the order is exactly LRU. */
	struct ratelimit *rl = ratelimit_new(1000, 1, 1024, 1);

	ck_assert(take(rl, 0, T0).allowed);
	ck_assert(!take(rl, 0, T0).allowed);	/* empty, and touched */
	for (uint32_t i = 1; i < 1024; i++)
		take(rl, i, T0);
	ck_assert_uint_eq(ratelimit_count(rl), 1024);
	ck_assert_uint_eq(ratelimit_evictions(rl), 0);
	ck_assert(!take(rl, 0, T0).allowed);	/* still remembered */
	for (uint32_t i = 1024; i < 2048; i++)
		take(rl, i, T0);
	ck_assert_uint_eq(ratelimit_evictions(rl), 1024);
	/* Forgotten: back with a full bucket, as a new client. */
	ck_assert(take(rl, 0, T0).allowed);
	ratelimit_free(rl);
}
END_TEST

static size_t
resident_bytes(void)
{
	unsigned long size, resident;
	FILE *fp = fopen("/proc/self/statm", "r");

	ck_assert_ptr_nonnull(fp);
	ck_assert_int_eq(fscanf(fp, "%lu %lu", &size, &resident), 2);
	fclose(fp);
	return resident * (size_t)sysconf(_SC_PAGESIZE);
}

START_TEST(a_million_clients_stay_within_the_table)
{
	struct ratelimit *rl = ratelimit_new(10000, 100, 65536, 16);
	size_t bytes = ratelimit_bytes(rl), before = resident_bytes(), after;
	uint64_t now = T0;
	uint32_t allowed = 0;

	/* 65,536 entries of 40 bytes plus their hash buckets: about 3 MB. */
	ck_assert_uint_lt(bytes, 4 * 1024 * 1024);
	for (uint32_t i = 0; i < 1000000; i++, now += 1000)
		allowed += take(rl, i, now).allowed;
	after = resident_bytes();
	ck_assert_uint_eq(allowed, 1000000);
	ck_assert_uint_eq(ratelimit_bytes(rl), bytes);
	ck_assert_uint_le(ratelimit_count(rl), 65536);
	ck_assert_uint_eq(ratelimit_evictions(rl), 1000000 -
	    ratelimit_count(rl));
	/* Everything the table touched is in bytes; allow 8 MB of slack
	   for the allocator and the test harness. */
	ck_assert_msg(after < before + bytes + 8 * 1024 * 1024,
	    "resident memory grew by %zu bytes (table %zu)", after - before,
	    bytes);
	ratelimit_free(rl);
}
END_TEST

struct hammer {
	struct ratelimit	*rl;
	unsigned		 allowed;
};

static void *
hammer(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 10000; i++)
		h->allowed += take(h->rl, 42, T0).allowed;
	return NULL;
}

START_TEST(threads_share_one_bucket_exactly)
{
	struct ratelimit *rl = ratelimit_new(1000, 500, 1024, 8);
	struct hammer h[4];
	pthread_t t[4];
	unsigned total = 0;

	for (int i = 0; i < 4; i++) {
		h[i].rl = rl;
		h[i].allowed = 0;
		pthread_create(&t[i], NULL, hammer, &h[i]);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		total += h[i].allowed;
	}
	ck_assert_uint_eq(total, 500);
	ratelimit_free(rl);
}
END_TEST

static struct guard *
guard_with(struct config *cfg, const char *rate, const char *burst,
    const char *secret)
{
	char err[256];
	struct guard *g;

	config_init(cfg);
	config_fixture_set(cfg, "VISITSD_API_KEY", "k", "VISITSD_RATE_LIMIT",
	    rate, "VISITSD_RATE_BURST", burst, NULL);
	if (secret != NULL)
		config_fixture_set(cfg, "VISITSD_ORIGIN_VERIFY", secret, NULL);
	g = guard_new(cfg, err, sizeof(err));
	ck_assert_msg(g != NULL, "%s", err);
	return g;
}

START_TEST(the_origin_secret_comes_before_the_bucket)
{
	const char *secret = "0123456789abcdef-secret";
	struct config cfg;
	struct guard *g = guard_with(&cfg, "1", "2", secret);
	struct guard_request rq;
	struct guard_result res;
	struct client_addr client;

	memset(&rq, 0, sizeof(rq));
	memset(&client, 0, sizeof(client));
	/* Missing, wrong, a prefix, longer: 403, and no token taken. */
	for (int i = 0; i < 10; i++) {
		guard_check(g, &rq, &client, T0, &res);
		ck_assert_int_eq(res.answer, GUARD_FORBIDDEN);
		ck_assert(!res.limited);
	}
	rq.origin_verify = "0123456789abcdef-secreT";
	rq.origin_verify_len = strlen(rq.origin_verify);
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_FORBIDDEN);
	rq.origin_verify = secret;
	rq.origin_verify_len = strlen(secret) - 1;
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_FORBIDDEN);
	rq.origin_verify = "0123456789abcdef-secretX";
	rq.origin_verify_len = strlen(rq.origin_verify);
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_FORBIDDEN);
	/* Right: the whole bucket is still there. */
	rq.origin_verify = secret;
	rq.origin_verify_len = strlen(secret);
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_PASS);
	ck_assert(res.limited);
	ck_assert_uint_eq(res.v.remaining, 1);
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_PASS);
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_LIMITED);
	guard_free(g);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(the_ratelimit_fields)
{
	struct config cfg;
	struct guard *g = guard_with(&cfg, "10", "100", NULL);
	struct guard_request rq;
	struct guard_result res;
	struct client_addr client;
	char field[GUARD_FIELD_MAX];

	memset(&rq, 0, sizeof(rq));
	memset(&client, 0, sizeof(client));
	ck_assert_str_eq(guard_policy(g), "\"default\";q=100;w=10");
	guard_check(g, &rq, &client, T0, &res);
	guard_field(&res, field, sizeof(field));
	ck_assert_str_eq(field, "\"default\";r=99;t=1");
	guard_free(g);
	config_cleanup(&cfg);

	g = guard_with(&cfg, "0", "100", NULL);
	ck_assert_ptr_null(guard_policy(g));
	ck_assert_ptr_null(guard_ratelimit(g));
	guard_check(g, &rq, &client, T0, &res);
	ck_assert_int_eq(res.answer, GUARD_PASS);
	ck_assert(!res.limited);
	guard_free(g);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(the_settings_refuse_what_startup_refuses)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_RATE_LIMIT", "fast", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_RATE_BURST", "0", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_RATE_TABLE_SIZE", "10",
	    err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_API_KEY", "k", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_ORIGIN_VERIFY", "short",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_ORIGIN_VERIFY"));
	ck_assert_ptr_null(strstr(err, "short"));
	ck_assert_int_eq(config_set(&cfg, "VISITSD_ORIGIN_VERIFY",
	    "sixteen chars ok", err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no blanks"));
	ck_assert_int_eq(config_set(&cfg, "VISITSD_ORIGIN_VERIFY",
	    "sixteen-chars-ok", err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_ratelimit(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("bucket");
	TCase *tm = tcase_create("memory");

	tcase_add_test(tc, a_full_bucket_then_the_rate);
	tcase_add_test(tc, a_refused_request_takes_no_token);
	tcase_add_test(tc, fractional_rates_and_the_wait_rounded_up);
	tcase_add_test(tc, the_rate_grammar);
	tcase_add_test(tc, the_least_recently_seen_client_is_forgotten_first);
	tcase_add_test(tc, threads_share_one_bucket_exactly);
	tcase_add_test(tc, the_origin_secret_comes_before_the_bucket);
	tcase_add_test(tc, the_ratelimit_fields);
	tcase_add_test(tc, the_settings_refuse_what_startup_refuses);
	suite_add_tcase(s, tc);
	/* Seconds natively; under valgrind (CK_FORK=no) far longer. */
	tcase_set_timeout(tm, 300);
	tcase_add_test(tm, a_million_clients_stay_within_the_table);
	suite_add_tcase(s, tm);
	return s;
}

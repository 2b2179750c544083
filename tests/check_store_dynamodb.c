/*
 * check_store_dynamodb: the DynamoDB backend against the AWS test peer
 * (dynalite behind a SigV4-verifying front, tests/harness/aws-peer.mjs).
 *
 * Run under tests/with-harness.sh, which starts the peer and exports its
 * endpoint, static key and control API (VISITSD_TEST_AWS_CONTROL).  The
 * fixture gives each test a fresh table, so the store contract suite runs
 * on this backend too.  The tests here are the DynamoDB-only behaviours:
 * coalescing, and exactly-once under the peer's injected faults, checked
 * against the peer's own counters (requests received, writes applied).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>
#include <jansson.h>

#include "config.h"
#include "store.h"
#include "store_dynamodb.h"
#include "store_fixture.h"

Suite *suite_store_dynamodb(void);

struct body {
	char	*data;
	size_t	 len;
};

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
	struct body *b = arg;
	char *nd = realloc(b->data, b->len + size * n + 1);

	if (nd == NULL)
		return 0;
	memcpy(nd + b->len, p, size * n);
	b->data = nd;
	b->len += size * n;
	b->data[b->len] = '\0';
	return size * n;
}

/* Call the peer's control API; a new JSON value or NULL (why set). */
static json_t *
control(const char *method, const char *path, const char *json, char *why,
    size_t whylen)
{
	const char *base = getenv("VISITSD_TEST_AWS_CONTROL");
	struct curl_slist *h = NULL;
	struct body b = { NULL, 0 };
	char url[512];
	long status = 0;
	json_t *root = NULL;
	CURL *e;
	CURLcode rc;

	if (base == NULL || *base == '\0') {
		snprintf(why, whylen, "VISITSD_TEST_AWS_CONTROL is not set: "
		    "run under tests/with-harness.sh");
		return NULL;
	}
	snprintf(url, sizeof(url), "%s%s", base, path);
	if ((e = curl_easy_init()) == NULL) {
		snprintf(why, whylen, "curl_easy_init failed");
		return NULL;
	}
	curl_easy_setopt(e, CURLOPT_URL, url);
	curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT, 10L);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, &b);
	if (json != NULL) {
		h = curl_slist_append(h, "Content-Type: application/json");
		curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, json);
	}
	rc = curl_easy_perform(e);
	curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
	if (rc != CURLE_OK || status != 200)
		snprintf(why, whylen, "%s %s: %s (HTTP %ld)", method, url,
		    curl_easy_strerror(rc), status);
	else if ((root = json_loads(b.data, 0, NULL)) == NULL)
		snprintf(why, whylen, "%s %s: answer is not JSON", method, url);
	curl_slist_free_all(h);
	curl_easy_cleanup(e);
	free(b.data);
	return root;
}

static void
control_ok(const char *method, const char *path, const char *json)
{
	char why[512];
	json_t *r = control(method, path, json, why, sizeof(why));

	ck_assert_msg(r != NULL, "%s", why);
	json_decref(r);
}

/* The peer's counter ops.<op>.<field> (0 when absent). */
static long
peer_counter(const char *op, const char *field)
{
	char why[512];
	json_t *r = control("GET", "/counters", NULL, why, sizeof(why));
	long v;

	ck_assert_msg(r != NULL, "%s", why);
	v = (long)json_integer_value(json_object_get(json_object_get(
	    json_object_get(r, "ops"), op), field));
	json_decref(r);
	return v;
}

static long
peer_rejections(void)
{
	char why[512];
	json_t *r = control("GET", "/counters", NULL, why, sizeof(why));
	long v;

	ck_assert_msg(r != NULL, "%s", why);
	v = (long)json_integer_value(json_object_get(r, "rejections"));
	json_decref(r);
	return v;
}

/* A store on a new table of the peer. */
static struct store *
open_table(const char *table, char *why, size_t whylen)
{
	struct config cfg;
	struct store *s;
	char body[256];
	json_t *r;

	snprintf(body, sizeof(body), "{\"name\":\"%s\",\"key\":\"user\"}",
	    table);
	if ((r = control("POST", "/tables", body, why, whylen)) == NULL)
		return NULL;
	json_decref(r);
	config_fixture_init(&cfg, "auth", "none", "store", "dynamodb",
	    "dynamodb_table", table, NULL);
	s = store_dynamodb_new(&cfg, why, whylen);
	config_cleanup(&cfg);
	return s;
}

static struct store *
fixture_open(void **ctx, char *why, size_t whylen)
{
	static int seq;
	char table[64];

	*ctx = NULL;
	snprintf(table, sizeof(table), "contract-%ld-%d", (long)getpid(),
	    ++seq);
	return open_table(table, why, whylen);
}

static void
fixture_cleanup(void *ctx)
{
	(void)ctx;
}

const struct store_fixture store_fixture_dynamodb = {
	.name = "dynamodb",
	.open = fixture_open,
	.cleanup = fixture_cleanup,
};

/* ---- DynamoDB-only tests ---------------------------------------------- */

static struct store *
must_open(const char *name)
{
	char why[512], table[64];
	struct store *s;

	snprintf(table, sizeof(table), "%s-%ld", name, (long)getpid());
	s = open_table(table, why, sizeof(why));
	ck_assert_msg(s != NULL, "dynamodb store: %s", why);
	control_ok("DELETE", "/faults", NULL);
	return s;
}

#define BURST	500

/*
 * A burst on one id: every increment gets its own count (1..BURST, each
 * once), and coalescing sends far fewer UpdateItem calls than increments.
 */
START_TEST(burst_is_coalesced_with_distinct_counts)
{
	static struct waiter w[BURST];
	static char seen[BURST + 1];
	struct store *s = must_open("burst");
	long before = peer_counter("UpdateItem", "requests"), calls;
	long rej = peer_rejections();
	uint64_t got;
	int i;

	for (i = 0; i < BURST; i++) {
		waiter_init(&w[i]);
		store_increment(s, "home", &no_visitor, waiter_done, &w[i]);
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < BURST; i++) {
		waiter_wait(&w[i]);
		ck_assert_int_eq(w[i].calls, 1);
		ck_assert_msg(w[i].res == STORE_OK, "increment %d: %s", i,
		    store_result_str(w[i].res));
		ck_assert_msg(w[i].count >= 1 && w[i].count <= BURST,
		    "count %llu", (unsigned long long)w[i].count);
		ck_assert_msg(!seen[w[i].count], "count %llu given twice",
		    (unsigned long long)w[i].count);
		seen[w[i].count] = 1;
		waiter_destroy(&w[i]);
	}
	ck_assert_int_eq(get_sync(s, "home", &got), STORE_OK);
	ck_assert_uint_eq(got, BURST);
	calls = peer_counter("UpdateItem", "requests") - before;
	fprintf(stderr, "store_dynamodb: %d increments on one id took %ld "
	    "UpdateItem call(s)\n", BURST, calls);
	ck_assert_int_ge(calls, 1);
	ck_assert_int_le(calls, BURST / 10);
	ck_assert_int_eq(peer_rejections(), rej);
	store_free(s);
}
END_TEST

/*
 * The answer is lost after the write was applied: the increment reports
 * an unknown outcome, and the write was sent once and applied once.  The
 * first drop happens on a reused connection, where libcurl would re-send
 * by itself if it could rewind the body.
 */
START_TEST(drop_after_apply_is_unknown_and_never_resent)
{
	struct store *s = must_open("drop");
	long req0, app0;
	uint64_t v;

	ck_assert_int_eq(increment_sync(s, "d", &v), STORE_OK);
	ck_assert_uint_eq(v, 1);
	req0 = peer_counter("UpdateItem", "requests");
	app0 = peer_counter("UpdateItem", "applied");
	control_ok("POST", "/faults",
	    "{\"op\":\"UpdateItem\",\"kind\":\"drop-after-apply\",\"count\":2}");
	ck_assert_int_eq(increment_sync(s, "d", &v), STORE_UNKNOWN_OUTCOME);
	ck_assert_int_eq(increment_sync(s, "d", &v), STORE_UNKNOWN_OUTCOME);
	ck_assert_int_eq(peer_counter("UpdateItem", "requests") - req0, 2);
	ck_assert_int_eq(peer_counter("UpdateItem", "applied") - app0, 2);
	ck_assert_int_eq(get_sync(s, "d", &v), STORE_OK);
	ck_assert_uint_eq(v, 3);
	ck_assert_int_eq(increment_sync(s, "d", &v), STORE_OK);
	ck_assert_uint_eq(v, 4);
	store_free(s);
}
END_TEST

/* A 500 after the write: unknown, not retried; applied exactly once. */
START_TEST(server_error_is_unknown_and_never_resent)
{
	struct store *s = must_open("fivehundred");
	long req0;
	uint64_t v;

	req0 = peer_counter("UpdateItem", "requests");
	control_ok("POST", "/faults",
	    "{\"op\":\"UpdateItem\",\"kind\":\"500\",\"count\":1}");
	ck_assert_int_eq(increment_sync(s, "e", &v), STORE_UNKNOWN_OUTCOME);
	ck_assert_int_eq(peer_counter("UpdateItem", "requests") - req0, 1);
	ck_assert_int_eq(get_sync(s, "e", &v), STORE_OK);
	ck_assert_uint_eq(v, 1);
	store_free(s);
}
END_TEST

/* Throttling says "not applied": retried, and the count is right. */
START_TEST(throttling_is_retried)
{
	struct store *s = must_open("throttle");
	long req0;
	uint64_t v;

	req0 = peer_counter("UpdateItem", "requests");
	control_ok("POST", "/faults",
	    "{\"op\":\"UpdateItem\",\"kind\":\"throttle\",\"count\":1}");
	control_ok("POST", "/faults", "{\"op\":\"UpdateItem\",\"kind\":"
	    "\"throttle\",\"count\":1,"
	    "\"error\":\"ProvisionedThroughputExceededException\"}");
	ck_assert_int_eq(increment_sync(s, "t", &v), STORE_OK);
	ck_assert_uint_eq(v, 1);
	ck_assert_int_eq(peer_counter("UpdateItem", "requests") - req0, 3);
	/* Three throttles in a row exhaust the three attempts: not applied. */
	control_ok("POST", "/faults",
	    "{\"op\":\"UpdateItem\",\"kind\":\"throttle\",\"count\":3}");
	ck_assert_int_eq(increment_sync(s, "t", &v), STORE_UNAVAILABLE);
	ck_assert_int_eq(get_sync(s, "t", &v), STORE_OK);
	ck_assert_uint_eq(v, 1);
	store_free(s);
}
END_TEST

/* Reads are idempotent: a reset or a 500 is retried. */
START_TEST(reads_retry_transient_errors)
{
	struct store *s = must_open("reads");
	uint64_t v;

	ck_assert_int_eq(increment_sync(s, "r", &v), STORE_OK);
	control_ok("POST", "/faults",
	    "{\"op\":\"GetItem\",\"kind\":\"500\",\"count\":1}");
	control_ok("POST", "/faults",
	    "{\"op\":\"GetItem\",\"kind\":\"reset-before\",\"count\":1}");
	ck_assert_int_eq(get_sync(s, "r", &v), STORE_OK);
	ck_assert_uint_eq(v, 1);
	store_free(s);
}
END_TEST

/* Readiness: a missing table is not ready. */
START_TEST(check_missing_table_is_unavailable)
{
	struct config cfg;
	struct waiter w;
	struct store *s;
	char why[512];

	config_fixture_init(&cfg, "auth", "none", "store", "dynamodb",
	    "dynamodb_table", "no-such-table", NULL);
	s = store_dynamodb_new(&cfg, why, sizeof(why));
	config_cleanup(&cfg);
	ck_assert_msg(s != NULL, "%s", why);
	waiter_init(&w);
	store_check(s, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, STORE_UNAVAILABLE);
	waiter_destroy(&w);
	store_free(s);
}
END_TEST

/* A signing time 15 minutes off is corrected from the Date header. */
START_TEST(clock_skew_is_corrected)
{
	struct store *s = must_open("skew");
	uint64_t v;

	control_ok("POST", "/clock", "{\"offsetMs\":900000}");
	ck_assert_int_eq(increment_sync(s, "k", &v), STORE_OK);
	ck_assert_int_eq(increment_sync(s, "k", &v), STORE_OK);
	ck_assert_uint_eq(v, 2);
	control_ok("POST", "/clock", "{\"offsetMs\":0}");
	store_free(s);
}
END_TEST

/*
 * A refused connection never carried the request: retried, and finally
 * "unavailable" (not applied), never "unknown".  Port 1 on loopback is
 * closed.
 */
START_TEST(refused_connection_is_not_an_unknown_outcome)
{
	struct config cfg;
	struct store *s;
	char why[512];
	uint64_t v;

	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:1", 1);
	config_fixture_init(&cfg, "auth", "none", "store", "dynamodb", NULL);
	s = store_dynamodb_new(&cfg, why, sizeof(why));
	config_cleanup(&cfg);
	unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
	ck_assert_msg(s != NULL, "%s", why);
	ck_assert_int_eq(increment_sync(s, "n", &v), STORE_UNAVAILABLE);
	ck_assert_int_eq(get_sync(s, "n", &v), STORE_UNAVAILABLE);
	store_free(s);
}
END_TEST

Suite *suite_store_dynamodb(void)
{
	Suite *s = suite_create("store_dynamodb");
	TCase *tc = tcase_create("harness");

	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, burst_is_coalesced_with_distinct_counts);
	tcase_add_test(tc, drop_after_apply_is_unknown_and_never_resent);
	tcase_add_test(tc, server_error_is_unknown_and_never_resent);
	tcase_add_test(tc, throttling_is_retried);
	tcase_add_test(tc, reads_retry_transient_errors);
	tcase_add_test(tc, check_missing_table_is_unavailable);
	tcase_add_test(tc, clock_skew_is_corrected);
	tcase_add_test(tc, refused_connection_is_not_an_unknown_outcome);
	suite_add_tcase(s, tc);
	return s;
}

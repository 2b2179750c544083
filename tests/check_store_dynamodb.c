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
#include <openssl/evp.h>
#include <openssl/hmac.h>
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


/* ---- uniques, history, admin, salts (issue 10) ------------------------ */

#define DAY	20423u		/* 2025-12-01 */

/* A store on a new table named after name; the table's name in table. */
static struct store *
open_named(const char *name, char *table, size_t len)
{
	char why[512];
	struct store *s;

	snprintf(table, len, "%s-%ld", name, (long)getpid());
	s = open_table(table, why, sizeof(why));
	ck_assert_msg(s != NULL, "dynamodb store: %s", why);
	control_ok("DELETE", "/faults", NULL);
	return s;
}

/* A second store (another instance) on the same table. */
static struct store *
open_again(const char *table)
{
	char why[512];
	struct store *s = open_table(table, why, sizeof(why));

	ck_assert_msg(s != NULL, "dynamodb store: %s", why);
	return s;
}

/* A visit of visitor number who (a made-up hash) on day. */
static enum store_result
dyn_visit_sync(struct store *s, const char *id, uint32_t day, int who,
    struct store_counts *c)
{
	struct store_visit v = { .day = day, .has_visitor = who >= 0 };
	struct waiter w;
	enum store_result res;

	memset(v.visitor, 0, sizeof(v.visitor));
	if (who >= 0) {
		memcpy(v.visitor, &who, sizeof(who));
		v.visitor[30] = (uint8_t)id[0];
		v.visitor[31] = 0xa5;
	}
	waiter_init(&w);
	store_increment(s, id, &v, waiter_done, &w);
	waiter_wait(&w);
	res = w.res;
	c->visits = w.count;
	c->unique = w.unique;
	waiter_destroy(&w);
	return res;
}

#define VISIT(s, id, day, who, v, u) do {				\
	struct store_counts c_;						\
									\
	ck_assert_int_eq(dyn_visit_sync((s), (id), (day), (who), &c_),	\
	    STORE_OK);							\
	ck_assert_uint_eq(c_.visits, (v));				\
	ck_assert_uint_eq(c_.unique, (u));				\
} while (0)

static struct store_counts
counts_sync(struct store *s, const char *id)
{
	struct store_counts c;
	struct waiter w;

	waiter_init(&w);
	store_get(s, id, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, STORE_OK);
	c.visits = w.count;
	c.unique = w.unique;
	waiter_destroy(&w);
	return c;
}

/* The whole table as the peer stores it, as one JSON text (new). */
static char *
table_dump(const char *table)
{
	char why[512], path[128];
	json_t *r;
	char *s;

	snprintf(path, sizeof(path), "/items?table=%s", table);
	r = control("GET", path, NULL, why, sizeof(why));
	ck_assert_msg(r != NULL, "%s", why);
	s = json_dumps(json_object_get(r, "items"), JSON_COMPACT);
	json_decref(r);
	return s;
}

START_TEST(a_visitor_counts_once_per_day)
{
	char table[64];
	struct store *s = open_named("uniques", table, sizeof(table)), *t;
	long puts = peer_counter("PutItem", "requests");
	struct store_counts c;

	VISIT(s, "home", DAY, 1, 1, 1);
	VISIT(s, "home", DAY, 1, 2, 1);		/* seen here: no put */
	VISIT(s, "home", DAY, 2, 3, 2);		/* a second visitor */
	VISIT(s, "home", DAY + 1, 1, 4, 3);	/* the next day */
	VISIT(s, "home", DAY + 1, -1, 5, 3);	/* no hash: visits only */
	VISIT(s, "other", DAY, 1, 1, 1);	/* hashes are per id (HMAC) */
	ck_assert_int_eq(peer_counter("PutItem", "requests") - puts, 4);
	c = counts_sync(s, "home");
	ck_assert_uint_eq(c.visits, 5);
	ck_assert_uint_eq(c.unique, 3);
	/* Another instance: the put decides, and its condition fails. */
	t = open_again(table);
	VISIT(t, "home", DAY, 1, 6, 3);
	VISIT(t, "home", DAY, 3, 7, 4);
	store_free(t);
	store_free(s);
}
END_TEST

/*
 * The visitor put's answer is lost after it was applied: the client
 * re-sends it, its condition fails, and the token read back is ours, so
 * the visit is still the first of the day: counted once, not zero times.
 */
START_TEST(a_replayed_visitor_put_counts_once)
{
	char table[64];
	struct store *s = open_named("replay", table, sizeof(table)), *t;
	long puts = peer_counter("PutItem", "requests");
	long gets = peer_counter("GetItem", "requests");

	control_ok("POST", "/faults",
	    "{\"op\":\"PutItem\",\"kind\":\"drop-after-apply\",\"count\":1}");
	VISIT(s, "p", DAY, 7, 1, 1);
	ck_assert_int_eq(peer_counter("PutItem", "requests") - puts, 2);
	ck_assert_int_eq(peer_counter("GetItem", "requests") - gets, 1);
	/* A 500 after the put: the same. */
	control_ok("POST", "/faults",
	    "{\"op\":\"PutItem\",\"kind\":\"500\",\"count\":1}");
	VISIT(s, "p", DAY, 8, 2, 2);
	t = open_again(table);
	VISIT(t, "p", DAY, 7, 3, 2);
	VISIT(t, "p", DAY, 8, 4, 2);
	store_free(t);
	store_free(s);
}
END_TEST

/*
 * Exactly once with uniques: a counter write whose answer is lost is an
 * unknown outcome, applied once with its unique; a write surely not
 * applied (throttled on every attempt) releases its visitor item, so the
 * visitor's next visit is the first again and unique ends at 1, not 0.
 */
START_TEST(counter_faults_keep_uniques_exact)
{
	char table[64];
	struct store *s = open_named("ufaults", table, sizeof(table)), *t;
	long app;
	struct store_counts c;

	app = peer_counter("UpdateItem", "applied");
	control_ok("POST", "/faults", "{\"op\":\"UpdateItem\","
	    "\"kind\":\"drop-after-apply\",\"count\":1}");
	ck_assert_int_eq(dyn_visit_sync(s, "x", DAY, 1, &c),
	    STORE_UNKNOWN_OUTCOME);
	ck_assert_int_eq(peer_counter("UpdateItem", "applied") - app, 1);
	c = counts_sync(s, "x");
	ck_assert_uint_eq(c.visits, 1);
	ck_assert_uint_eq(c.unique, 1);
	VISIT(s, "x", DAY, 1, 2, 1);
	control_ok("POST", "/faults",
	    "{\"op\":\"UpdateItem\",\"kind\":\"throttle\",\"count\":3}");
	ck_assert_int_eq(dyn_visit_sync(s, "x", DAY, 2, &c), STORE_UNAVAILABLE);
	/* The release is asynchronous: another instance, after a moment. */
	usleep(200 * 1000);
	t = open_again(table);
	VISIT(t, "x", DAY, 2, 3, 2);
	store_free(t);
	store_free(s);
}
END_TEST

struct hist {
	struct waiter	 w;
	struct store_day days[STORE_HISTORY_MAX];
	size_t		 n;
};

static void
hist_done(void *arg, enum store_result res, const struct store_day *days,
    size_t n)
{
	struct hist *h = arg;

	memcpy(h->days, days, n * sizeof(*days));
	h->n = n;
	waiter_done(&h->w, res, &(struct store_counts){ 0, 0 });
}

static size_t
history_sync(struct store *s, const char *id, uint32_t first, uint32_t n,
    struct hist *h)
{
	waiter_init(&h->w);
	store_history(s, id, first, n, hist_done, h);
	waiter_wait(&h->w);
	ck_assert_int_eq(h->w.res, STORE_OK);
	waiter_destroy(&h->w);
	return h->n;
}

START_TEST(history_has_every_day_and_zeros)
{
	static struct hist h;
	char table[64], *dump;
	struct store *s = open_named("history", table, sizeof(table));
	uint32_t i;

	VISIT(s, "h", DAY, 1, 1, 1);
	VISIT(s, "h", DAY, 2, 2, 2);
	VISIT(s, "h", DAY, 2, 3, 2);
	VISIT(s, "h", DAY + 2, 2, 4, 3);
	ck_assert_uint_eq(history_sync(s, "h", DAY - 1, 5, &h), 5);
	for (i = 0; i < 5; i++)
		ck_assert_uint_eq(h.days[i].day, DAY - 1 + i);
	ck_assert_uint_eq(h.days[0].counts.visits, 0);
	ck_assert_uint_eq(h.days[1].counts.visits, 3);
	ck_assert_uint_eq(h.days[1].counts.unique, 2);
	ck_assert_uint_eq(h.days[2].counts.visits, 0);
	ck_assert_uint_eq(h.days[3].counts.visits, 1);
	ck_assert_uint_eq(h.days[3].counts.unique, 1);
	ck_assert_uint_eq(h.days[4].counts.visits, 0);
	/* The longest history reads the whole item. */
	ck_assert_uint_eq(history_sync(s, "h", DAY + 2 - 365, 366, &h), 366);
	ck_assert_uint_eq(h.days[365].counts.visits, 1);
	ck_assert_uint_eq(h.days[363].counts.visits, 3);
	ck_assert_uint_eq(history_sync(s, "nobody", DAY, 3, &h), 3);
	ck_assert_uint_eq(h.days[0].counts.visits, 0);
	/* A visit 366 days on removes the day it pushed out of reach. */
	VISIT(s, "h", DAY + 366, 2, 5, 4);
	dump = table_dump(table);
	ck_assert_msg(strstr(dump, "\"d20423\"") == NULL, "%s", dump);
	ck_assert_msg(strstr(dump, "\"d20425\"") != NULL, "%s", dump);
	free(dump);
	store_free(s);
}
END_TEST

static struct store_counts
set_sync(struct store *s, const char *id, uint64_t v, uint64_t u,
    enum store_result want)
{
	struct store_counts c = { v, u };
	struct waiter w;

	waiter_init(&w);
	store_set(s, id, &c, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, want);
	c.visits = w.count;
	c.unique = w.unique;
	waiter_destroy(&w);
	return c;
}

START_TEST(set_and_delete)
{
	static struct hist h;
	char table[64];
	struct store *s = open_named("setdel", table, sizeof(table));
	struct store_counts c;
	struct waiter w;

	VISIT(s, "n", DAY, 1, 1, 1);
	VISIT(s, "n", DAY, 2, 2, 2);
	c = set_sync(s, "n", 1000, 70, STORE_OK);
	ck_assert_uint_eq(c.visits, 1000);
	ck_assert_uint_eq(c.unique, 70);
	VISIT(s, "n", DAY, 3, 1001, 71);
	c = set_sync(s, "fresh", 5, 0, STORE_OK);
	ck_assert_uint_eq(c.visits, 5);
	c = counts_sync(s, "fresh");
	ck_assert_uint_eq(c.visits, 5);
	ck_assert_uint_eq(c.unique, 0);
	/* history holds what was counted, not what was set */
	history_sync(s, "n", DAY, 1, &h);
	ck_assert_uint_eq(h.days[0].counts.visits, 3);
	waiter_init(&w);
	store_delete(s, "n", waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, STORE_OK);
	waiter_destroy(&w);
	c = counts_sync(s, "n");
	ck_assert_uint_eq(c.visits, 0);
	ck_assert_uint_eq(c.unique, 0);
	history_sync(s, "n", DAY, 1, &h);
	ck_assert_uint_eq(h.days[0].counts.visits, 0);
	/* Deleting what is not there is fine; the visitor item stays. */
	waiter_init(&w);
	store_delete(s, "n", waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, STORE_OK);
	waiter_destroy(&w);
	VISIT(s, "n", DAY, 1, 1, 0);
	/* A set whose answer is lost is not re-sent: unknown. */
	control_ok("POST", "/faults", "{\"op\":\"UpdateItem\","
	    "\"kind\":\"drop-after-apply\",\"count\":1}");
	set_sync(s, "n", 9, 9, STORE_UNKNOWN_OUTCOME);
	store_free(s);
}
END_TEST

START_TEST(salt_is_shared_created_once_and_forgotten)
{
	char table[64], *dump;
	struct store *s = open_named("salt", table, sizeof(table)), *t;
	uint8_t a[STORE_SALT_LEN], b[STORE_SALT_LEN], c[STORE_SALT_LEN];
	long puts;

	ck_assert_int_eq(store_salt(s, DAY, a), STORE_OK);
	t = open_again(table);
	puts = peer_counter("PutItem", "requests");
	ck_assert_int_eq(store_salt(t, DAY, b), STORE_OK);
	ck_assert_int_eq(peer_counter("PutItem", "requests"), puts);
	ck_assert_mem_eq(a, b, STORE_SALT_LEN);
	ck_assert_int_eq(store_salt(t, DAY + 1, c), STORE_OK);
	ck_assert_mem_ne(a, c, STORE_SALT_LEN);
	ck_assert_int_eq(store_salt(s, DAY + 1, b), STORE_OK);
	ck_assert_mem_eq(b, c, STORE_SALT_LEN);
	ck_assert_int_eq(store_salt(s, DAY + 2, b), STORE_OK);
	/* today DAY+1: DAY is past and goes; DAY+1 and DAY+2 stay. */
	ck_assert_int_eq(store_forget(s, DAY + 1), STORE_OK);
	dump = table_dump(table);
	ck_assert_msg(strstr(dump, "\"s#20423\"") == NULL, "%s", dump);
	ck_assert_msg(strstr(dump, "\"s#20424\"") != NULL, "%s", dump);
	free(dump);
	ck_assert_int_eq(store_forget(s, DAY + 2), STORE_OK);
	dump = table_dump(table);
	ck_assert_msg(strstr(dump, "\"s#20424\"") == NULL, "%s", dump);
	ck_assert_msg(strstr(dump, "\"s#20425\"") != NULL, "%s", dump);
	free(dump);
	/* A salt asked for again after forget is a new one. */
	ck_assert_int_eq(store_salt(t, DAY, b), STORE_OK);
	ck_assert_mem_ne(a, b, STORE_SALT_LEN);
	store_free(t);
	store_free(s);
}
END_TEST

#define NIMPORT	1234

struct collect {
	int		 n, bad;
	long		 sum;
};

static int
collect_one(void *arg, const char *id, const struct store_counts *c)
{
	struct collect *x = arg;
	int i = 0;

	if (strchr(id, '#') != NULL || sscanf(id, "i%d", &i) != 1 ||
	    c->visits != (uint64_t)i * 3 || c->unique != (uint64_t)i)
		x->bad++;
	x->n++;
	x->sum += i;
	return 0;
}

static int
stop_early(void *arg, const char *id, const struct store_counts *c)
{
	(void)id;
	(void)c;
	return ++*(int *)arg == 10 ? -1 : 0;
}

START_TEST(export_pages_through_counters_only_and_import_sets)
{
	static struct store_item items[NIMPORT];
	static char ids[NIMPORT][16];
	char table[64];
	struct store *s = open_named("export", table, sizeof(table));
	struct collect x = { 0, 0, 0 };
	uint8_t salt[STORE_SALT_LEN];
	long scans;
	int i, stopped = 0;

	for (i = 0; i < NIMPORT; i++) {
		snprintf(ids[i], sizeof(ids[i]), "i%d", i);
		items[i].id = ids[i];
		items[i].counts.visits = (uint64_t)i * 3;
		items[i].counts.unique = (uint64_t)i;
	}
	/* A visitor item and a salt item in the same table. */
	VISIT(s, "i1", DAY, 1, 1, 1);
	ck_assert_int_eq(store_salt(s, DAY, salt), STORE_OK);
	ck_assert_int_eq(store_import(s, items, NIMPORT), STORE_OK);
	scans = peer_counter("Scan", "requests");
	ck_assert_int_eq(store_export(s, collect_one, &x), STORE_OK);
	ck_assert_int_eq(x.bad, 0);
	ck_assert_int_eq(x.n, NIMPORT);
	ck_assert_int_eq(x.sum, (long)NIMPORT * (NIMPORT - 1) / 2);
	ck_assert_int_ge(peer_counter("Scan", "requests") - scans, 3);
	ck_assert_int_eq(store_export(s, stop_early, &stopped), STORE_ERROR);
	ck_assert_int_eq(stopped, 10);
	/* import keeps history: it sets the counts only */
	VISIT(s, "i2", DAY, 5, 7, 3);
	store_free(s);
}
END_TEST

#define NVISITORS	500

struct burst {
	long	puts, updates, gets;
};

/* n visits of id, all at once, by one visitor (who) or each its own. */
static struct burst
burst(struct store *s, const char *id, int n, int who)
{
	static struct waiter w[NVISITORS];
	static struct store_visit v[NVISITORS];
	struct burst b;
	int i;

	b.puts = peer_counter("PutItem", "requests");
	b.updates = peer_counter("UpdateItem", "requests");
	b.gets = peer_counter("GetItem", "requests");
	for (i = 0; i < n; i++) {
		int k = who >= 0 ? who : 1000 + i;

		memset(&v[i], 0, sizeof(v[i]));
		v[i].day = DAY;
		v[i].has_visitor = true;
		memcpy(v[i].visitor, &k, sizeof(k));
		waiter_init(&w[i]);
		store_increment(s, id, &v[i], waiter_done, &w[i]);
	}
	for (i = 0; i < n; i++) {
		waiter_wait(&w[i]);
		ck_assert_int_eq(w[i].res, STORE_OK);
		waiter_destroy(&w[i]);
	}
	b.puts = peer_counter("PutItem", "requests") - b.puts;
	b.updates = peer_counter("UpdateItem", "requests") - b.updates;
	b.gets = peer_counter("GetItem", "requests") - b.gets;
	return b;
}

/*
 * Writes per visit with uniques on (docs/performance.md): a burst of one
 * visitor costs one visitor put and a few coalesced counter writes; 500
 * distinct visitors cost 500 puts and still a few counter writes.
 */
START_TEST(writes_per_visit_with_uniques)
{
	char table[64];
	struct store *s = open_named("wpv", table, sizeof(table));
	struct store_counts c;
	struct burst one, many;

	one = burst(s, "viral", NVISITORS, 1);
	many = burst(s, "viral", NVISITORS, -1);
	c = counts_sync(s, "viral");
	ck_assert_uint_eq(c.visits, 2 * NVISITORS);
	ck_assert_uint_eq(c.unique, 1 + NVISITORS);
	fprintf(stderr, "store_dynamodb: %d visits of one visitor: %ld PutItem, "
	    "%ld UpdateItem, %ld GetItem (%.3f writes/visit)\n", NVISITORS,
	    one.puts, one.updates, one.gets,
	    (double)(one.puts + one.updates) / NVISITORS);
	fprintf(stderr, "store_dynamodb: %d visits of %d visitors: %ld PutItem, "
	    "%ld UpdateItem, %ld GetItem (%.3f writes/visit)\n", NVISITORS,
	    NVISITORS, many.puts, many.updates, many.gets,
	    (double)(many.puts + many.updates) / NVISITORS);
	ck_assert_int_le(one.puts, 1);
	ck_assert_int_le(one.updates, NVISITORS / 10);
	ck_assert_int_eq(many.puts, NVISITORS);
	ck_assert_int_le(many.updates, NVISITORS / 10);
	store_free(s);
}
END_TEST

/*
 * Nothing stored holds an address or a User-Agent: visits hashed the way
 * visitor.c does (HMAC-SHA256 under the day's salt of id, address and
 * User-Agent), then every byte of every item of the peer's table searched.
 * The daemon-level test (tests/integration) does the same through HTTP.
 */
START_TEST(no_address_or_user_agent_is_stored)
{
	static const char ua[] = "Mozilla/5.0 (PrivacyProbe 9.9)";
	static const char addr[] = "203.0.113.77";
	char table[64], msg[512], *dump;
	struct store *s = open_named("privacy", table, sizeof(table));
	uint8_t salt[STORE_SALT_LEN];
	struct store_visit v = { .day = DAY, .has_visitor = true };
	unsigned int len = sizeof(v.visitor);
	struct waiter w;
	int n;

	ck_assert_int_eq(store_salt(s, DAY, salt), STORE_OK);
	n = snprintf(msg, sizeof(msg), "page%c%s%c%s", 0, addr, 0, ua);
	HMAC(EVP_sha256(), salt, sizeof(salt), (const unsigned char *)msg,
	    (size_t)n, v.visitor, &len);
	waiter_init(&w);
	store_increment(s, "page", &v, waiter_done, &w);
	waiter_wait(&w);
	ck_assert_int_eq(w.res, STORE_OK);
	ck_assert_uint_eq(w.unique, 1);
	waiter_destroy(&w);
	dump = table_dump(table);
	ck_assert_ptr_nonnull(strstr(dump, "\"v#20423#"));
	ck_assert_msg(strstr(dump, addr) == NULL, "%s", dump);
	ck_assert_msg(strstr(dump, "PrivacyProbe") == NULL, "%s", dump);
	ck_assert_msg(strstr(dump, "203.0.113") == NULL, "%s", dump);
	free(dump);
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
	tcase_add_test(tc, a_visitor_counts_once_per_day);
	tcase_add_test(tc, a_replayed_visitor_put_counts_once);
	tcase_add_test(tc, counter_faults_keep_uniques_exact);
	tcase_add_test(tc, history_has_every_day_and_zeros);
	tcase_add_test(tc, set_and_delete);
	tcase_add_test(tc, salt_is_shared_created_once_and_forgotten);
	tcase_add_test(tc, export_pages_through_counters_only_and_import_sets);
	tcase_add_test(tc, writes_per_visit_with_uniques);
	tcase_add_test(tc, no_address_or_user_agent_is_stored);
	suite_add_tcase(s, tc);
	return s;
}

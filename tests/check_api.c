/*
 * check_api: routing, id validation, CORS decisions, status mapping and
 * JSON bodies -- the HTTP contract without a socket.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

Suite	*suite_api(void);

static const struct api_options opt_key = { 0 };

/* --- percent-decoding ---------------------------------------------- */

static int
dec(const char *in, char *out, size_t outlen)
{
	return api_percent_decode(in, strlen(in), out, outlen);
}

START_TEST(decode_plain_and_escapes)
{
	char out[32];

	ck_assert_int_eq(dec("abc", out, sizeof(out)), 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(dec("%41", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "A");
	ck_assert_int_eq(dec("%4a%4A", out, sizeof(out)), 2);
	ck_assert_str_eq(out, "JJ");
	ck_assert_int_eq(dec("x%2Fy", out, sizeof(out)), 3);
	ck_assert_str_eq(out, "x/y");
	ck_assert_int_eq(dec("%25", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "%");
	ck_assert_int_eq(dec("", out, sizeof(out)), 0);
	ck_assert_str_eq(out, "");
	/* Decoded NUL: counted, so callers can refuse it. */
	ck_assert_int_eq(dec("a%00b", out, sizeof(out)), 3);
	ck_assert_int_eq(out[1], '\0');
}
END_TEST

START_TEST(decode_refuses_malformed)
{
	char out[32];

	ck_assert_int_eq(dec("%", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("a%", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("%4", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("%4g", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("%g4", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("%%41", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("ab%-1", out, sizeof(out)), -1);
}
END_TEST

START_TEST(decode_refuses_what_does_not_fit)
{
	char out[4];

	ck_assert_int_eq(dec("abc", out, sizeof(out)), 3);
	ck_assert_int_eq(dec("abcd", out, sizeof(out)), -1);
	ck_assert_int_eq(dec("%41%41%41", out, sizeof(out)), 3);
	ck_assert_int_eq(dec("%41%41%41%41", out, sizeof(out)), -1);
	ck_assert_int_eq(api_percent_decode("a", 1, out, 0), -1);
}
END_TEST

/* --- ids ------------------------------------------------------------ */

static int
id(const char *raw, char *out, const char **why)
{
	*why = NULL;
	return api_id_parse(raw, strlen(raw), out, why);
}

START_TEST(id_accepts_the_alphabet)
{
	char out[API_ID_MAX + 1];
	const char *why;

	ck_assert_int_eq(id("resume", out, &why), 0);
	ck_assert_str_eq(out, "resume");
	ck_assert_int_eq(id("A-z_0.9~", out, &why), 0);
	ck_assert_str_eq(out, "A-z_0.9~");
	ck_assert_int_eq(id("%41", out, &why), 0);
	ck_assert_str_eq(out, "A");
	ck_assert_int_eq(id("...", out, &why), 0);
	ck_assert_int_eq(id(".a", out, &why), 0);
	ck_assert_int_eq(id("%7E", out, &why), 0);
	ck_assert_str_eq(out, "~");
}
END_TEST

START_TEST(id_is_1_to_128_characters)
{
	char raw[3 * 130 + 1], out[API_ID_MAX + 1];
	const char *why;

	memset(raw, 'a', 128);
	raw[128] = '\0';
	ck_assert_int_eq(id(raw, out, &why), 0);
	ck_assert_uint_eq(strlen(out), 128);
	raw[128] = 'a';
	raw[129] = '\0';
	ck_assert_int_eq(id(raw, out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "128"));
	/* 128 escapes decode to 128 characters: fine; 129 are not. */
	for (int i = 0; i < 129; i++)
		memcpy(raw + 3 * i, "%61", 3);
	raw[3 * 128] = '\0';
	ck_assert_int_eq(id(raw, out, &why), 0);
	ck_assert_uint_eq(strlen(out), 128);
	raw[3 * 128] = '%';
	raw[3 * 129] = '\0';
	ck_assert_int_eq(id(raw, out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "longer"));
	ck_assert_int_eq(id("", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "missing"));
}
END_TEST

START_TEST(id_refuses_slashes_dots_and_others)
{
	char out[API_ID_MAX + 1];
	const char *why;

	ck_assert_int_eq(id("a%2Fb", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "'/'"));
	ck_assert_int_eq(id("a%2fb", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "'/'"));
	ck_assert_int_eq(id("a/b", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "'/'"));
	ck_assert_int_eq(id(".", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "'.'"));
	ck_assert_int_eq(id("..", out, &why), -1);
	ck_assert_int_eq(id("%2E", out, &why), -1);
	ck_assert_int_eq(id("%2e%2E", out, &why), -1);
	ck_assert_int_eq(id("a b", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "A-Z"));
	ck_assert_int_eq(id("a%20b", out, &why), -1);
	ck_assert_int_eq(id("a%00", out, &why), -1);
	ck_assert_int_eq(id("caf\xc3\xa9", out, &why), -1);
	ck_assert_int_eq(id("a+b", out, &why), -1);
	ck_assert_int_eq(id("a%zz", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "percent"));
	ck_assert_int_eq(id("a%4", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "percent"));
}
END_TEST

/* --- routing -------------------------------------------------------- */

static struct api_decision
decide(const struct api_options *o, const char *method, const char *path,
    bool key_ok)
{
	struct api_decision d;

	api_decide(o, method, path, key_ok, &d);
	return d;
}

START_TEST(post_increments_and_get_reads)
{
	struct api_options compat = { .get_increments = true };
	struct api_decision d;

	d = decide(&opt_key, "POST", "/api/visits/resume", true);
	ck_assert_int_eq(d.route, API_ROUTE_VISITS);
	ck_assert_int_eq(d.action, API_INCREMENT);
	ck_assert_str_eq(d.id, "resume");
	d = decide(&opt_key, "GET", "/api/visits/%41b", true);
	ck_assert_int_eq(d.action, API_GET);
	ck_assert_str_eq(d.id, "Ab");
	d = decide(&compat, "GET", "/api/visits/x", true);
	ck_assert_int_eq(d.action, API_INCREMENT);
	ck_assert_str_eq(api_route_name(d.route), "visits");
}
END_TEST

START_TEST(key_is_checked_before_id_and_preflight_needs_none)
{
	struct api_options none = { .auth_none = true };
	struct api_decision d;

	d = decide(&opt_key, "POST", "/api/visits/x", false);
	ck_assert_int_eq(d.action, API_ANSWER);
	ck_assert_int_eq(d.status, 403);
	ck_assert_str_eq(d.message, "Forbidden");
	/* The key is checked before the id: no hints without a key. */
	d = decide(&opt_key, "GET", "/api/visits/a%2Fb", false);
	ck_assert_int_eq(d.status, 403);
	d = decide(&none, "POST", "/api/visits/x", false);
	ck_assert_int_eq(d.action, API_INCREMENT);
	/* Preflight needs no key, even for an id that will be refused. */
	d = decide(&opt_key, "OPTIONS", "/api/visits/x", false);
	ck_assert_int_eq(d.action, API_ANSWER);
	ck_assert_int_eq(d.status, 204);
	ck_assert(d.preflight);
	ck_assert_ptr_null(d.message);
	d = decide(&opt_key, "OPTIONS", "/api/visits/..", false);
	ck_assert_int_eq(d.status, 204);
}
END_TEST

START_TEST(route_bad_ids_are_400)
{
	struct api_decision d;

	d = decide(&opt_key, "POST", "/api/visits/a%2Fb", true);
	ck_assert_int_eq(d.status, 400);
	ck_assert_ptr_nonnull(d.message);
	d = decide(&opt_key, "GET", "/api/visits/a/b", true);
	ck_assert_int_eq(d.status, 400);
	d = decide(&opt_key, "GET", "/api/visits/", true);
	ck_assert_int_eq(d.status, 400);
	d = decide(&opt_key, "GET", "/api/visits", true);
	ck_assert_int_eq(d.status, 400);
	ck_assert_int_eq(d.route, API_ROUTE_VISITS);
	d = decide(&opt_key, "POST", "/api/visits/..", true);
	ck_assert_int_eq(d.status, 400);
}
END_TEST

START_TEST(other_methods_are_405_with_allow)
{
	struct api_decision d;

	d = decide(&opt_key, "PUT", "/api/visits/x", true);
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.allow, "GET, POST, OPTIONS");
	d = decide(&opt_key, "DELETE", "/api/visits/x", false);
	ck_assert_int_eq(d.status, 405);
	d = decide(&opt_key, "HEAD", "/api/visits/x", true);
	ck_assert_int_eq(d.status, 405);
	d = decide(&opt_key, "POST", "/healthz", false);
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.allow, "GET, HEAD");
	ck_assert_str_eq(d.message, "Method Not Allowed");
}
END_TEST

START_TEST(probes_route_by_listener_and_the_rest_is_404)
{
	struct api_options main_split = { .metrics_here = false };
	struct api_options here = { .metrics_here = true };
	struct api_options only = { .metrics_here = true,
	    .metrics_only = true };
	struct api_decision d;

	d = decide(&here, "GET", "/healthz", false);
	ck_assert_int_eq(d.action, API_HEALTHZ);
	d = decide(&here, "HEAD", "/readyz", false);
	ck_assert_int_eq(d.action, API_READYZ);
	d = decide(&here, "GET", "/metrics", false);
	ck_assert_int_eq(d.action, API_METRICS);
	ck_assert_str_eq(api_route_name(d.route), "metrics");
	d = decide(&main_split, "GET", "/metrics", false);
	ck_assert_int_eq(d.status, 404);
	d = decide(&only, "GET", "/metrics", false);
	ck_assert_int_eq(d.action, API_METRICS);
	d = decide(&only, "GET", "/healthz", false);
	ck_assert_int_eq(d.action, API_HEALTHZ);
	d = decide(&only, "POST", "/api/visits/x", true);
	ck_assert_int_eq(d.status, 404);
	d = decide(&here, "GET", "/", true);
	ck_assert_int_eq(d.status, 404);
	ck_assert_str_eq(d.message, "Not Found");
	ck_assert_str_eq(api_route_name(d.route), "not_found");
	d = decide(&here, "GET", "/healthz/", true);
	ck_assert_int_eq(d.status, 404);
	d = decide(&here, "GET", "/api/visitsx", true);
	ck_assert_int_eq(d.status, 404);
}
END_TEST

START_TEST(history_route)
{
	struct api_options none = { .auth_none = true };
	struct api_decision d;

	d = decide(&opt_key, "GET", "/api/visits/page/history", true);
	ck_assert_int_eq(d.route, API_ROUTE_HISTORY);
	ck_assert_int_eq(d.action, API_HISTORY);
	ck_assert_str_eq(d.id, "page");
	ck_assert_uint_eq(d.days, 30);
	ck_assert_str_eq(api_route_name(d.route), "history");
	d = decide(&opt_key, "GET", "/api/visits/a%2Eb/history", true);
	ck_assert_int_eq(d.action, API_HISTORY);
	ck_assert_str_eq(d.id, "a.b");
	/* The key as for GET; preflight without it; only GET. */
	d = decide(&opt_key, "GET", "/api/visits/page/history", false);
	ck_assert_int_eq(d.status, 403);
	d = decide(&none, "GET", "/api/visits/page/history", false);
	ck_assert_int_eq(d.action, API_HISTORY);
	d = decide(&opt_key, "OPTIONS", "/api/visits/page/history", false);
	ck_assert_int_eq(d.status, 204);
	ck_assert(d.preflight);
	d = decide(&opt_key, "POST", "/api/visits/page/history", true);
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.allow, "GET, OPTIONS");
	/* GET increments in compat mode; history still only reads. */
	d = decide(&(struct api_options){ .get_increments = true }, "GET",
	    "/api/visits/page/history", true);
	ck_assert_int_eq(d.action, API_HISTORY);
	/* An id called "history" is an id; a bad id is 400. */
	d = decide(&opt_key, "GET", "/api/visits/history", true);
	ck_assert_int_eq(d.route, API_ROUTE_VISITS);
	ck_assert_str_eq(d.id, "history");
	d = decide(&opt_key, "GET", "/api/visits/%2e%2e/history", true);
	ck_assert_int_eq(d.status, 400);
	d = decide(&opt_key, "GET", "/api/visits/a/b/history", true);
	ck_assert_int_eq(d.route, API_ROUTE_VISITS);
	ck_assert_int_eq(d.status, 400);
	d = decide(&opt_key, "GET", "/api/visits/page/history/", true);
	ck_assert_int_eq(d.status, 400);
}
END_TEST

static struct api_decision
days(const char *value)
{
	struct api_decision d = decide(&opt_key, "GET",
	    "/api/visits/p/history", true);

	api_decide_history_days(&d, value);
	return d;
}

START_TEST(history_days_are_1_to_366)
{
	struct api_decision d;
	static const char *const bad[] = {
		"", "0", "367", "1000", "-1", "+5", " 5", "5 ", "5x", "0x10",
		"99999999999999999999", "3.5",
	};

	ck_assert_uint_eq(days(NULL).days, 30);
	ck_assert_uint_eq(days("1").days, 1);
	ck_assert_uint_eq(days("366").days, 366);
	ck_assert_uint_eq(days("007").days, 7);
	ck_assert_int_eq(days("7").action, API_HISTORY);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		d = days(bad[i]);
		ck_assert_msg(d.action == API_ANSWER && d.status == 400,
		    "days=%s accepted", bad[i]);
		ck_assert_str_eq(d.message,
		    "invalid days: use days=N with N from 1 to 366");
	}
	/* Only the history route looks at it. */
	d = decide(&opt_key, "GET", "/api/visits/p", true);
	api_decide_history_days(&d, "0");
	ck_assert_int_eq(d.action, API_GET);
}
END_TEST

START_TEST(history_json)
{
	const struct store_day list[] = {
		{ 0, { 0, 0 } },
		{ 20454, { 12, 3 } },	/* 2026-01-01 */
	};
	char *s;

	s = api_json_history("p", list, 2);
	ck_assert_str_eq(s, "{\"user\":\"p\",\"days\":["
	    "{\"date\":\"1970-01-01\",\"visits\":0,\"unique\":0},"
	    "{\"date\":\"2026-01-01\",\"visits\":12,\"unique\":3}]}");
	free(s);
	s = api_json_history("p", list, 0);
	ck_assert_str_eq(s, "{\"user\":\"p\",\"days\":[]}");
	free(s);
}
END_TEST

/* /api/visits/{id}/stream: GET only, the key first, the same ids. */
START_TEST(stream_route)
{
	struct api_options o = { .get_increments = true };
	struct api_decision d;

	d = decide(&o, "GET", "/api/visits/alice/stream", true);
	ck_assert_int_eq(d.route, API_ROUTE_STREAM);
	ck_assert_int_eq(d.action, API_STREAM);	/* never an increment */
	ck_assert_str_eq(d.id, "alice");
	d = decide(&o, "GET", "/api/visits/a%2Eb/stream", true);
	ck_assert_str_eq(d.id, "a.b");
	d = decide(&o, "POST", "/api/visits/alice/stream", true);
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.allow, "GET, OPTIONS");
	d = decide(&o, "OPTIONS", "/api/visits/alice/stream", false);
	ck_assert_int_eq(d.status, 204);
	ck_assert(d.preflight);
	d = decide(&o, "GET", "/api/visits/alice/stream", false);
	ck_assert_int_eq(d.status, 403);
	d = decide(&o, "GET", "/api/visits/a/b/stream", true);
	ck_assert_int_eq(d.status, 400);
	d = decide(&o, "GET", "/api/visits//stream", true);
	ck_assert_int_eq(d.status, 400);
	/* An id called "stream" is an id. */
	d = decide(&o, "GET", "/api/visits/stream", true);
	ck_assert_int_eq(d.route, API_ROUTE_VISITS);
	ck_assert_str_eq(d.id, "stream");
}
END_TEST

/* Metrics label requests by these names: every route has one. */
START_TEST(every_route_is_named)
{
	static const char *const names[] = {
		"not_found", "visits", "stream", "healthz", "readyz",
		"metrics", "history",
	};

	ck_assert_int_eq(API_NROUTES, 7);
	for (int r = 0; r < API_NROUTES; r++)
		ck_assert_str_eq(api_route_name((enum api_route)r), names[r]);
	ck_assert_ptr_null(api_route_name((enum api_route)API_NROUTES));
}
END_TEST

/* --- CORS ----------------------------------------------------------- */

START_TEST(cors_star)
{
	char err[128];
	struct api_cors *c = api_cors_new("*", err, sizeof(err));
	bool vary = true;

	ck_assert_ptr_nonnull(c);
	ck_assert_str_eq(api_cors_allow_origin(c, "https://x.example", &vary),
	    "*");
	ck_assert(!vary);
	ck_assert_ptr_null(api_cors_allow_origin(c, NULL, &vary));
	api_cors_free(c);
}
END_TEST

START_TEST(cors_list_echoes_with_vary)
{
	char err[128];
	struct api_cors *c = api_cors_new(" https://a.example ,"
	    "https://b.example:8443/, http://localhost:3000", err,
	    sizeof(err));
	const char *o = "https://b.example:8443";
	bool vary = false;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_eq(api_cors_allow_origin(c, o, &vary), o);
	ck_assert(vary);
	ck_assert_str_eq(api_cors_allow_origin(c, "https://a.example", &vary),
	    "https://a.example");
	ck_assert_str_eq(api_cors_allow_origin(c, "http://localhost:3000",
	    &vary), "http://localhost:3000");
	ck_assert_str_eq(api_cors_allow_origin(c, "HTTPS://A.example",
	    &vary), "HTTPS://A.example");
	vary = false;
	ck_assert_ptr_null(api_cors_allow_origin(c, "https://b.example",
	    &vary));
	ck_assert(vary);
	ck_assert_ptr_null(api_cors_allow_origin(c, "http://a.example",
	    &vary));
	ck_assert_ptr_null(api_cors_allow_origin(c, "https://a.example.evil",
	    &vary));
	ck_assert_ptr_null(api_cors_allow_origin(c, NULL, &vary));
	ck_assert(vary);
	api_cors_free(c);
}
END_TEST

START_TEST(cors_empty_and_bad)
{
	char err[128] = "";
	struct api_cors *c = api_cors_new("", err, sizeof(err));
	bool vary = true;

	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(api_cors_allow_origin(c, "https://a.example",
	    &vary));
	ck_assert(!vary);
	api_cors_free(c);
	ck_assert_ptr_null(api_cors_new("https://a.example,a.example", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "a.example"));
	ck_assert_ptr_null(api_cors_new("https://a.example/path", err,
	    sizeof(err)));
	api_cors_free(NULL);
}
END_TEST

/* --- status mapping and JSON ---------------------------------------- */

START_TEST(store_results_map_to_statuses)
{
	const char *m = "x";

	ck_assert_int_eq(api_store_status(STORE_OK, &m), 200);
	ck_assert_ptr_null(m);
	ck_assert_int_eq(api_store_status(STORE_UNAVAILABLE, &m), 503);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(api_store_status(STORE_UNKNOWN_OUTCOME, &m), 503);
	ck_assert_ptr_nonnull(m);
	ck_assert_int_eq(api_store_status(STORE_ERROR, &m), 503);
	ck_assert_ptr_nonnull(m);
}
END_TEST

START_TEST(json_bodies_are_compact_and_escaped)
{
	char *s;

	s = api_json_visits("resume", &(struct store_counts){ 42, 7 });
	ck_assert_str_eq(s,
	    "{\"user\":\"resume\",\"visits\":42,\"unique\":7}");
	free(s);
	s = api_json_visits("a", &(struct store_counts){ 0, 0 });
	ck_assert_str_eq(s, "{\"user\":\"a\",\"visits\":0,\"unique\":0}");
	free(s);
	s = api_json_visits("a",
	    &(struct store_counts){ 9007199254740993ULL, 1 });
	ck_assert_str_eq(s,
	    "{\"user\":\"a\",\"visits\":9007199254740993,\"unique\":1}");
	free(s);
	s = api_json_message("Forbidden");
	ck_assert_str_eq(s, "{\"message\":\"Forbidden\"}");
	free(s);
	s = api_json_message("say \"hi\"");
	ck_assert_str_eq(s, "{\"message\":\"say \\\"hi\\\"\"}");
	free(s);
}
END_TEST

Suite *suite_api(void)
{
	Suite *s = suite_create("api");
	TCase *tc = tcase_create("api");

	tcase_add_test(tc, decode_plain_and_escapes);
	tcase_add_test(tc, decode_refuses_malformed);
	tcase_add_test(tc, decode_refuses_what_does_not_fit);
	tcase_add_test(tc, id_accepts_the_alphabet);
	tcase_add_test(tc, id_is_1_to_128_characters);
	tcase_add_test(tc, id_refuses_slashes_dots_and_others);
	tcase_add_test(tc, post_increments_and_get_reads);
	tcase_add_test(tc, key_is_checked_before_id_and_preflight_needs_none);
	tcase_add_test(tc, route_bad_ids_are_400);
	tcase_add_test(tc, other_methods_are_405_with_allow);
	tcase_add_test(tc, probes_route_by_listener_and_the_rest_is_404);
	tcase_add_test(tc, every_route_is_named);
	tcase_add_test(tc, history_route);
	tcase_add_test(tc, history_days_are_1_to_366);
	tcase_add_test(tc, history_json);
	tcase_add_test(tc, stream_route);
	tcase_add_test(tc, cors_star);
	tcase_add_test(tc, cors_list_echoes_with_vary);
	tcase_add_test(tc, cors_empty_and_bad);
	tcase_add_test(tc, store_results_map_to_statuses);
	tcase_add_test(tc, json_bodies_are_compact_and_escaped);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_metrics: the Prometheus text exposition and lock-free updates.
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

Suite	*suite_metrics(void);

static void
setup(void)
{
	metrics_init("1.2.3", "sqlite");
}

static void
teardown(void)
{
	metrics_cleanup();
}

static void
assert_has(const char *text, const char *line)
{
	ck_assert_msg(strstr(text, line) != NULL, "missing: %s", line);
}

static int
occurrences(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

START_TEST(build_info_and_empty)
{
	char *t;

	metrics_init("1.2.3", "dyn\"amo");
	t = metrics_render();
	assert_has(t, "# TYPE visitsd_build_info gauge\n");
	assert_has(t, "visitsd_build_info{version=\"1.2.3\","
	    "store=\"dyn\\\"amo\"} 1\n");
	assert_has(t, "# TYPE visitsd_http_requests_total counter\n");
	assert_has(t, "# TYPE visitsd_http_request_duration_seconds "
	    "histogram\n");
	assert_has(t, "visitsd_http_requests_in_flight 0\n");
	assert_has(t, "visitsd_store_operations_total{op=\"increment\","
	    "result=\"ok\"} 0\n");
	ck_assert_ptr_null(strstr(t, "visitsd_http_requests_total{"));
	free(t);
}
END_TEST

START_TEST(requests_and_histogram)
{
	char *t;

	metrics_request("visits", 200, 0.003);
	metrics_request("visits", 200, 0.0001);
	metrics_request("visits", 503, 7.0);
	metrics_request("healthz", 200, 0.0);
	metrics_request("bogus", 404, 0.001);
	t = metrics_render();
	assert_has(t, "visitsd_http_requests_total{route=\"visits\","
	    "code=\"200\"} 2\n");
	assert_has(t, "visitsd_http_requests_total{route=\"visits\","
	    "code=\"503\"} 1\n");
	assert_has(t, "visitsd_http_requests_total{route=\"other\","
	    "code=\"404\"} 1\n");
	assert_has(t, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"visits\",le=\"0.0005\"} 1\n");
	assert_has(t, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"visits\",le=\"0.0025\"} 1\n");
	assert_has(t, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"visits\",le=\"0.005\"} 2\n");
	assert_has(t, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"visits\",le=\"5\"} 2\n");
	assert_has(t, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"visits\",le=\"+Inf\"} 3\n");
	assert_has(t, "visitsd_http_request_duration_seconds_count"
	    "{route=\"visits\"} 3\n");
	assert_has(t, "visitsd_http_request_duration_seconds_sum"
	    "{route=\"visits\"} 7.003100000\n");
	assert_has(t, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"healthz\",le=\"0.0005\"} 1\n");
	ck_assert_int_eq(occurrences(t,
	    "# TYPE visitsd_http_request_duration_seconds histogram"), 1);
	free(t);
}
END_TEST

START_TEST(inflight_and_store_ops)
{
	char *t;

	metrics_inflight(1);
	metrics_inflight(1);
	metrics_inflight(-1);
	metrics_store_op("increment", STORE_OK);
	metrics_store_op("increment", STORE_UNKNOWN_OUTCOME);
	metrics_store_op("get", STORE_UNAVAILABLE);
	metrics_store_op("check", STORE_ERROR);
	t = metrics_render();
	assert_has(t, "visitsd_http_requests_in_flight 1\n");
	assert_has(t, "visitsd_store_operations_total{op=\"increment\","
	    "result=\"ok\"} 1\n");
	assert_has(t, "visitsd_store_operations_total{op=\"increment\","
	    "result=\"unknown_outcome\"} 1\n");
	assert_has(t, "visitsd_store_operations_total{op=\"get\","
	    "result=\"unavailable\"} 1\n");
	assert_has(t, "visitsd_store_operations_total{op=\"check\","
	    "result=\"error\"} 1\n");
	free(t);
	metrics_inflight(-1);
}
END_TEST

START_TEST(registered_counters)
{
	struct metrics_counter *a, *b, *c, *g;
	char *t;

	a = metrics_counter_new("visitsd_aws_retries_total",
	    "op=\"UpdateItem\"", "AWS requests retried.", 0);
	b = metrics_counter_new("visitsd_aws_retries_total",
	    "op=\"GetItem\"", "AWS requests retried.", 0);
	c = metrics_counter_new("visitsd_aws_retries_total",
	    "op=\"UpdateItem\"", "AWS requests retried.", 0);
	g = metrics_counter_new("visitsd_coalesce_pending", NULL,
	    "Increments waiting to be coalesced.", 1);
	ck_assert_ptr_eq(a, c);
	ck_assert_ptr_ne(a, b);
	metrics_counter_add(a, 2);
	metrics_counter_add(c, 1);
	metrics_counter_add(b, 5);
	metrics_counter_add(g, 3);
	metrics_counter_add(g, -1);
	metrics_counter_add(NULL, 1);
	t = metrics_render();
	ck_assert_int_eq(occurrences(t,
	    "# TYPE visitsd_aws_retries_total counter\n"), 1);
	ck_assert_int_eq(occurrences(t,
	    "# HELP visitsd_aws_retries_total AWS requests retried.\n"), 1);
	assert_has(t, "visitsd_aws_retries_total{op=\"UpdateItem\"} 3\n");
	assert_has(t, "visitsd_aws_retries_total{op=\"GetItem\"} 5\n");
	assert_has(t, "# TYPE visitsd_coalesce_pending gauge\n");
	assert_has(t, "\nvisitsd_coalesce_pending 2\n");
	free(t);
}
END_TEST

static void *
bump(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20000; i++) {
		metrics_request("visits", 200, 0.001);
		metrics_store_op("increment", STORE_OK);
	}
	return NULL;
}

START_TEST(concurrent_updates_are_exact)
{
	pthread_t t[4];
	char *text;

	for (int i = 0; i < 4; i++)
		ck_assert_int_eq(pthread_create(&t[i], NULL, bump, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(t[i], NULL);
	text = metrics_render();
	assert_has(text, "visitsd_http_requests_total{route=\"visits\","
	    "code=\"200\"} 80000\n");
	assert_has(text, "visitsd_http_request_duration_seconds_count"
	    "{route=\"visits\"} 80000\n");
	assert_has(text, "visitsd_store_operations_total{op=\"increment\","
	    "result=\"ok\"} 80000\n");
	free(text);
}
END_TEST

Suite *suite_metrics(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, build_info_and_empty);
	tcase_add_test(tc, requests_and_histogram);
	tcase_add_test(tc, inflight_and_store_ops);
	tcase_add_test(tc, registered_counters);
	tcase_add_test(tc, concurrent_updates_are_exact);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_metrics: the registry of labelled families, its Prometheus text
 * and lock-free updates.  The families visitsd itself registers (HTTP,
 * store operations) are checked where they are registered (check_http.c).
 */
#include <check.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

Suite	*suite_metrics(void);

static const char *const route_code[] = { "route", "code", NULL };
static const char *const route[] = { "route", NULL };
static const double le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5,
};

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
	ck_assert_msg(strstr(text, line) != NULL, "missing: %s\nin:\n%s", line,
	    text);
}

static void
assert_lacks(const char *text, const char *s)
{
	ck_assert_msg(strstr(text, s) == NULL, "unexpected: %s\nin:\n%s", s,
	    text);
}

static int
occurrences(const char *text, const char *s)
{
	int n = 0;

	for (const char *p = text; (p = strstr(p, s)) != NULL; p++)
		n++;
	return n;
}

static struct metrics_family *
requests(void)
{
	return metrics_family_new("visitsd_http_requests_total",
	    "HTTP requests answered, by route and status code.",
	    METRICS_COUNTER, route_code, NULL, 0);
}

static struct metrics_counter *
request_series(const char *r, const char *code, unsigned flags)
{
	const char *values[] = { r, code };

	return metrics_family_counter(requests(), values, flags);
}

static struct metrics_histogram *
duration(const char *r)
{
	const char *values[] = { r };

	return metrics_family_histogram(metrics_family_new(
	    "visitsd_http_request_duration_seconds",
	    "Time from the request's first byte to the end of the answer.",
	    METRICS_HISTOGRAM, route, le, sizeof(le) / sizeof(le[0])), values,
	    METRICS_HIDE_ZERO);
}

START_TEST(build_info_is_replaced_and_escaped)
{
	char *t;

	metrics_init("1.2.3", "dyn\"amo\\x\ny");
	t = metrics_render();
	ck_assert_int_eq(occurrences(t, "# TYPE visitsd_build_info gauge\n"),
	    1);
	assert_has(t, "# HELP visitsd_build_info Version and store of this "
	    "process.\n");
	assert_has(t, "visitsd_build_info{version=\"1.2.3\","
	    "store=\"dyn\\\"amo\\\\x y\"} 1\n");
	ck_assert_int_eq(occurrences(t, "visitsd_build_info{"), 1);
	free(t);
}
END_TEST

START_TEST(family_without_series_has_help_and_type)
{
	char *t;

	requests();
	t = metrics_render();
	assert_has(t, "# HELP visitsd_http_requests_total HTTP requests "
	    "answered, by route and status code.\n"
	    "# TYPE visitsd_http_requests_total counter\n");
	assert_lacks(t, "visitsd_http_requests_total{");
	free(t);
}
END_TEST

START_TEST(series_are_labelled_in_label_order)
{
	struct metrics_counter *ok, *again, *other;
	char *t;

	ok = request_series("visits", "200", 0);
	again = request_series("visits", "200", 0);
	other = request_series("visits", "503", 0);
	ck_assert_ptr_eq(ok, again);
	ck_assert_ptr_ne(ok, other);
	metrics_counter_add(ok, 2);
	metrics_counter_add(again, 1);
	t = metrics_render();
	assert_has(t, "visitsd_http_requests_total{route=\"visits\","
	    "code=\"200\"} 3\n");
	assert_has(t, "visitsd_http_requests_total{route=\"visits\","
	    "code=\"503\"} 0\n");
	ck_assert_int_eq(occurrences(t,
	    "# TYPE visitsd_http_requests_total counter\n"), 1);
	free(t);
}
END_TEST

START_TEST(hidden_series_show_once_nonzero)
{
	struct metrics_counter *c = request_series("healthz", "200",
	    METRICS_HIDE_ZERO);
	char *t;

	t = metrics_render();
	assert_lacks(t, "route=\"healthz\"");
	free(t);
	metrics_counter_add(c, 1);
	t = metrics_render();
	assert_has(t, "visitsd_http_requests_total{route=\"healthz\","
	    "code=\"200\"} 1\n");
	free(t);
}
END_TEST

START_TEST(histogram_buckets_are_cumulative)
{
	struct metrics_histogram *v = duration("visits"), *h = duration("healthz");
	char *t;

	duration("readyz");		/* never observed: hidden */
	metrics_histogram_observe(v, 0.003);
	metrics_histogram_observe(v, 0.0001);
	metrics_histogram_observe(v, 7.0);
	metrics_histogram_observe(h, 0.0);
	metrics_histogram_observe(NULL, 1.0);
	t = metrics_render();
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
	assert_lacks(t, "route=\"readyz\"");
	ck_assert_int_eq(occurrences(t,
	    "# TYPE visitsd_http_request_duration_seconds histogram\n"), 1);
	free(t);
}
END_TEST

START_TEST(unlabelled_gauge_goes_up_and_down)
{
	struct metrics_counter *g;
	char *t;

	g = metrics_family_counter(metrics_family_new(
	    "visitsd_http_requests_in_flight", "HTTP requests being served.",
	    METRICS_GAUGE, NULL, NULL, 0), NULL, 0);
	t = metrics_render();
	assert_has(t, "# TYPE visitsd_http_requests_in_flight gauge\n"
	    "visitsd_http_requests_in_flight 0\n");
	free(t);
	metrics_counter_add(g, 1);
	metrics_counter_add(g, 1);
	metrics_counter_add(g, -1);
	t = metrics_render();
	assert_has(t, "\nvisitsd_http_requests_in_flight 1\n");
	free(t);
}
END_TEST

START_TEST(preformatted_counters_share_help_and_type)
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

START_TEST(cleanup_forgets_every_family)
{
	char *t;

	metrics_counter_add(request_series("visits", "200", 0), 1);
	metrics_cleanup();
	t = metrics_render();
	ck_assert_str_eq(t, "");
	free(t);
	metrics_init("1.2.3", "sqlite");
	t = metrics_render();
	assert_lacks(t, "visitsd_http_requests_total");
	assert_has(t, "visitsd_build_info{version=\"1.2.3\",store=\"sqlite\"} 1\n");
	free(t);
}
END_TEST

static void *
bump(void *arg)
{
	struct metrics_counter *c = request_series("visits", "200", 0);
	struct metrics_histogram *h = duration("visits");

	(void)arg;
	for (int i = 0; i < 20000; i++) {
		metrics_counter_add(c, 1);
		metrics_histogram_observe(h, 0.001);
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
	assert_has(text, "visitsd_http_request_duration_seconds_bucket"
	    "{route=\"visits\",le=\"0.001\"} 80000\n");
	free(text);
}
END_TEST

Suite *suite_metrics(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("metrics");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, build_info_is_replaced_and_escaped);
	tcase_add_test(tc, family_without_series_has_help_and_type);
	tcase_add_test(tc, series_are_labelled_in_label_order);
	tcase_add_test(tc, hidden_series_show_once_nonzero);
	tcase_add_test(tc, histogram_buckets_are_cumulative);
	tcase_add_test(tc, unlabelled_gauge_goes_up_and_down);
	tcase_add_test(tc, preformatted_counters_share_help_and_type);
	tcase_add_test(tc, cleanup_forgets_every_family);
	tcase_add_test(tc, concurrent_updates_are_exact);
	suite_add_tcase(s, tc);
	return s;
}

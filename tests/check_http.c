/*
 * check_http: a real libmicrohttpd server on a free loopback port, driven
 * with libcurl, over a test store that completes inline, later from another
 * thread (suspend/resume), holds operations, or fails (http_fixture.h).
 */
#include <stdatomic.h>

#include "http_fixture.h"
#include "util.h"

Suite	*suite_http(void);

/* --- tests ---------------------------------------------------------- */

static void
visits_flow(enum tmode mode)
{
	struct reply r;

	tstore_mode(mode, STORE_OK);
	server_start();
	fetch("POST", "/api/visits/resume", k1, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"user\":\"resume\",\"visits\":1,\"unique\":0}");
	assert_header(&r, "Content-Type", "application/json");
	assert_header(&r, "Cache-Control", "no-store");
	fetch("POST", "/api/visits/resume", k2, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"resume\",\"visits\":2,\"unique\":0}");
	fetch("GET", "/api/visits/resume", k1, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"user\":\"resume\",\"visits\":2,\"unique\":0}");
	fetch("GET", "/api/visits/never", k1, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"never\",\"visits\":0,\"unique\":0}");
	/* %41 and A are the same id. */
	fetch("POST", "/api/visits/%41", k1, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"A\",\"visits\":1,\"unique\":0}");
	fetch("GET", "/api/visits/A", k1, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"A\",\"visits\":1,\"unique\":0}");
}

START_TEST(visits_count_when_the_store_answers_inline)
{
	visits_flow(T_INLINE);
}
END_TEST

START_TEST(visits_count_when_the_store_answers_later)
{
	visits_flow(T_LATER);
}
END_TEST

START_TEST(concurrent_suspended_posts_get_distinct_counts)
{
	enum { N = 40 };
	CURLM *m;
	CURL *e[N];
	struct reply *rs = xcalloc(N, sizeof(*rs));
	struct curl_slist *list = curl_slist_append(NULL, "x-api-key: k1");
	char url[256];
	bool seen[N + 1] = { false };
	int running;

	tstore_mode(T_LATER, STORE_OK);
	server_start();
	snprintf(url, sizeof(url), "%s/api/visits/many", base);
	m = curl_multi_init();
	ck_assert_ptr_nonnull(rs);
	for (int i = 0; i < N; i++) {
		e[i] = curl_easy_init();
		curl_easy_setopt(e[i], CURLOPT_URL, url);
		curl_easy_setopt(e[i], CURLOPT_NOSIGNAL, 1L);
		curl_easy_setopt(e[i], CURLOPT_TIMEOUT, 30L);
		curl_easy_setopt(e[i], CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(e[i], CURLOPT_HTTPHEADER, list);
		curl_easy_setopt(e[i], CURLOPT_WRITEFUNCTION, on_body);
		curl_easy_setopt(e[i], CURLOPT_WRITEDATA, &rs[i]);
		curl_multi_add_handle(m, e[i]);
	}
	do {
		curl_multi_perform(m, &running);
		if (running > 0)
			curl_multi_poll(m, NULL, 0, 1000, NULL);
	} while (running > 0);
	for (int i = 0; i < N; i++) {
		long status = 0;
		char want[64];
		int n = -1;

		curl_easy_getinfo(e[i], CURLINFO_RESPONSE_CODE, &status);
		ck_assert_int_eq(status, 200);
		ck_assert_int_eq(sscanf(rs[i].body,
		    "{\"user\":\"many\",\"visits\":%d,\"unique\":0}", &n), 1);
		snprintf(want, sizeof(want),
		    "{\"user\":\"many\",\"visits\":%d,\"unique\":0}", n);
		ck_assert_str_eq(rs[i].body, want);
		ck_assert_int_ge(n, 1);
		ck_assert_int_le(n, N);
		ck_assert_msg(!seen[n], "count %d returned twice", n);
		seen[n] = true;
		curl_multi_remove_handle(m, e[i]);
		curl_easy_cleanup(e[i]);
	}
	curl_multi_cleanup(m);
	curl_slist_free_all(list);
	free(rs);
}
END_TEST

/* Several requests on one kept-alive connection, each suspended. */
START_TEST(keep_alive_survives_suspension)
{
	struct curl_slist *list = curl_slist_append(NULL, "x-api-key: k1");
	CURL *c = curl_easy_init();
	char url[256], want[64];
	struct reply r;
	long connects;

	tstore_mode(T_LATER, STORE_OK);
	server_start();
	snprintf(url, sizeof(url), "%s/api/visits/keep", base);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
	for (int i = 1; i <= 5; i++) {
		memset(&r, 0, sizeof(r));
		ck_assert_int_eq(curl_easy_perform(c), CURLE_OK);
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
		ck_assert_int_eq(r.status, 200);
		snprintf(want, sizeof(want), "{\"user\":\"keep\",\"visits\":%d,\"unique\":0}",
		    i);
		ck_assert_str_eq(r.body, want);
		curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &connects);
		ck_assert_int_eq(connects, i == 1 ? 1 : 0);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(list);
}
END_TEST

START_TEST(head_healthz_has_headers_and_no_body)
{
	struct reply r;

	server_start();
	fetch("HEAD", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_uint_eq(r.blen, 0);
	assert_header(&r, "Content-Type", "application/json");
}
END_TEST

static void
failure_flow(enum tmode mode)
{
	static const enum store_result fails[] = {
		STORE_UNAVAILABLE, STORE_UNKNOWN_OUTCOME, STORE_ERROR,
	};
	struct reply r;

	server_start();
	for (size_t i = 0; i < sizeof(fails) / sizeof(fails[0]); i++) {
		tstore_mode(mode, fails[i]);
		fetch("POST", "/api/visits/x", k1, &r);
		ck_assert_int_eq(r.status, 503);
		assert_header(&r, "Retry-After", "1");
		assert_header(&r, "Content-Type", "application/json");
		ck_assert_ptr_nonnull(strstr(r.body, "{\"message\":\""));
		ck_assert_ptr_null(strstr(r.body, "visits\":"));
		fetch("GET", "/api/visits/x", k1, &r);
		ck_assert_int_eq(r.status, 503);
		assert_header(&r, "Retry-After", "1");
	}
}

START_TEST(store_failures_inline_are_503_with_retry_after)
{
	failure_flow(T_INLINE);
}
END_TEST

START_TEST(store_failures_later_are_503_with_retry_after)
{
	failure_flow(T_LATER);
}
END_TEST

START_TEST(cors_headers_go_on_every_answer_keyed_or_not)
{
	static const char *const nokey_a[] = {
		"Origin: https://a.example", NULL };
	static const char *const badkey_b[] = {
		"Origin: https://b.example", "x-api-key: k3", NULL };
	static const char *const key_evil[] = {
		"Origin: https://evil.example", "x-api-key: k1", NULL };
	static const char *const preflight[] = {
		"Origin: https://a.example",
		"Access-Control-Request-Method: POST",
		"Access-Control-Request-Headers: content-type, x-api-key",
		NULL };
	static const char *const key_a[] = {
		"Origin: https://a.example", "x-api-key: k1", NULL };
	static const char *const key_prefix[] = { "x-api-key: k", NULL };
	static const char *const key_longer[] = { "x-api-key: k12", NULL };
	struct reply r;

	server_start();
	fetch("POST", "/api/visits/x", nokey_a, &r);
	ck_assert_int_eq(r.status, 403);
	ck_assert_str_eq(r.body, "{\"message\":\"Forbidden\"}");
	assert_header(&r, "Content-Type", "application/json");
	assert_header(&r, "Access-Control-Allow-Origin", "https://a.example");
	assert_header(&r, "Vary", "Origin");
	fetch("POST", "/api/visits/x", badkey_b, &r);
	ck_assert_int_eq(r.status, 403);
	assert_header(&r, "Access-Control-Allow-Origin", "https://b.example");
	fetch("POST", "/api/visits/x", key_prefix, &r);
	ck_assert_int_eq(r.status, 403);
	fetch("POST", "/api/visits/x", key_longer, &r);
	ck_assert_int_eq(r.status, 403);
	fetch("POST", "/api/visits/x", key_evil, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_null(header(&r, "Access-Control-Allow-Origin"));
	assert_header(&r, "Vary", "Origin");
	fetch("POST", "/api/visits/x", key_a, &r);
	ck_assert_int_eq(r.status, 200);
	assert_header(&r, "Access-Control-Allow-Origin", "https://a.example");

	fetch("OPTIONS", "/api/visits/x", preflight, &r);
	ck_assert_int_eq(r.status, 204);
	ck_assert_uint_eq(r.blen, 0);
	assert_header(&r, "Access-Control-Allow-Origin", "https://a.example");
	assert_header(&r, "Access-Control-Allow-Methods", "GET, POST, OPTIONS");
	assert_header(&r, "Access-Control-Allow-Headers",
	    "content-type, x-api-key");
	assert_header(&r, "Access-Control-Max-Age", "600");
	/* CORS on a 404 and a 503 too. */
	fetch("GET", "/nowhere", nokey_a, &r);
	ck_assert_int_eq(r.status, 404);
	assert_header(&r, "Access-Control-Allow-Origin", "https://a.example");
	tstore_mode(T_LATER, STORE_UNAVAILABLE);
	fetch("POST", "/api/visits/x", key_a, &r);
	ck_assert_int_eq(r.status, 503);
	assert_header(&r, "Access-Control-Allow-Origin", "https://a.example");
}
END_TEST

START_TEST(cors_star_answers_star)
{
	static const char *const o[] = { "Origin: https://any.example", NULL };
	struct reply r;

	config_fixture_set(&cfg, "allowed_origins", "*", NULL);
	server_start();
	fetch("POST", "/api/visits/x", o, &r);
	ck_assert_int_eq(r.status, 403);
	assert_header(&r, "Access-Control-Allow-Origin", "*");
	fetch("GET", "/healthz", NULL, &r);
	ck_assert_ptr_null(header(&r, "Access-Control-Allow-Origin"));
}
END_TEST

START_TEST(bad_path_method_and_id_are_404_405_400)
{
	struct reply r;

	server_start();
	fetch("GET", "/nowhere", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	ck_assert_str_eq(r.body, "{\"message\":\"Not Found\"}");
	assert_header(&r, "Content-Type", "application/json");
	fetch("PUT", "/api/visits/x", k1, &r);
	ck_assert_int_eq(r.status, 405);
	assert_header(&r, "Allow", "GET, POST, OPTIONS");
	assert_header(&r, "Content-Type", "application/json");
	fetch("DELETE", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 405);
	assert_header(&r, "Allow", "GET, HEAD");
	fetch("POST", "/api/visits/a%2Fb", k1, &r);
	ck_assert_int_eq(r.status, 400);
	assert_header(&r, "Content-Type", "application/json");
	ck_assert_ptr_nonnull(strstr(r.body, "\"message\":\"invalid id"));
	ck_assert_ptr_nonnull(strstr(r.body, "'/'"));
	fetch("POST", "/api/visits/a%zz", k1, &r);
	ck_assert_int_eq(r.status, 400);
	ck_assert_ptr_nonnull(strstr(r.body, "percent"));
	fetch("POST", "/api/visits/..", k1, &r);
	ck_assert_int_eq(r.status, 400);
	fetch("GET", "/api/visits/a%20b?x=1", k1, &r);
	ck_assert_int_eq(r.status, 400);
	/* A query string is not part of the id. */
	tstore_mode(T_INLINE, STORE_OK);
	fetch("GET", "/api/visits/q?x=%2F", k1, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"user\":\"q\",\"visits\":0,\"unique\":0}");
}
END_TEST

START_TEST(bodies_past_max_body_are_413_and_not_counted)
{
	char big[2048];
	struct reply r;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	server_start();
	fetch_at(base, "POST", "/api/visits/b", k1, "{\"small\":1}", 0, &r);
	ck_assert_int_eq(r.status, 200);
	fetch_at(base, "POST", "/api/visits/b", k1, big, 0, &r);
	ck_assert(!r.failed);
	ck_assert_int_eq(r.status, 413);
	assert_header(&r, "Content-Type", "application/json");
	ck_assert_ptr_nonnull(strstr(r.body, "\"message\""));
	fetch_at(base, "POST", "/api/visits/b", k1, NULL, 4096, &r);
	ck_assert(!r.failed);
	ck_assert_int_eq(r.status, 413);
	fetch_at(base, "POST", "/api/visits/b", k1, NULL, 100, &r);
	ck_assert_int_eq(r.status, 200);
	/* Only the two accepted posts counted. */
	fetch("GET", "/api/visits/b", k1, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"b\",\"visits\":2,\"unique\":0}");
}
END_TEST

START_TEST(get_increments_when_configured)
{
	struct reply r;

	config_fixture_set(&cfg, "get_increments", "true", NULL);
	server_start();
	fetch("GET", "/api/visits/g", k1, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"g\",\"visits\":1,\"unique\":0}");
	fetch("GET", "/api/visits/g", k1, &r);
	ck_assert_str_eq(r.body, "{\"user\":\"g\",\"visits\":2,\"unique\":0}");
}
END_TEST

/* Poll /metrics (bounded) until it contains line. */
static void
metrics_wait(const char *line)
{
	struct reply r;

	for (int i = 0; i < 500; i++) {
		fetch("GET", "/metrics", NULL, &r);
		if (strstr(r.body, line) != NULL)
			return;
		usleep(2000);
	}
	ck_abort_msg("/metrics never showed %s", line);
}

START_TEST(probes_and_metrics_report_store_and_requests)
{
	struct reply r;

	server_start();
	fetch("GET", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	assert_header(&r, "Content-Type", "application/json");
	fetch("GET", "/readyz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	tstore_mode(T_LATER, STORE_OK);
	pthread_mutex_lock(&ts->mu);
	ts->check = STORE_UNAVAILABLE;
	pthread_mutex_unlock(&ts->mu);
	fetch("GET", "/readyz", NULL, &r);
	ck_assert_int_eq(r.status, 503);
	assert_header(&r, "Content-Type", "application/json");
	fetch("GET", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	pthread_mutex_lock(&ts->mu);
	ts->check = STORE_OK;
	pthread_mutex_unlock(&ts->mu);
	fetch("GET", "/readyz", NULL, &r);
	ck_assert_int_eq(r.status, 200);

	fetch("POST", "/api/visits/m", k1, &r);
	fetch("GET", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	assert_header(&r, "Content-Type",
	    "text/plain; version=0.0.4; charset=utf-8");
	ck_assert_ptr_nonnull(strstr(r.body,
	    "visitsd_build_info{version=\"test\",store=\"test\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "visitsd_store_operations_total{op=\"check\","
	    "result=\"unavailable\"} 1\n"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "visitsd_store_operations_total{op=\"increment\","
	    "result=\"ok\"} 1\n"));
	/* Every operation's ok series shows from the start, failures once
	   they happen. */
	ck_assert_ptr_nonnull(strstr(r.body,
	    "visitsd_store_operations_total{op=\"get\",result=\"ok\"} 0\n"));
	ck_assert_ptr_null(strstr(r.body,
	    "visitsd_store_operations_total{op=\"get\",result=\"error\"}"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "# TYPE visitsd_http_request_duration_seconds histogram\n"));
	ck_assert_ptr_nonnull(strstr(r.body,
	    "# TYPE visitsd_store_operations_total counter\n"));
	/* This very request is in flight while the text is rendered. */
	ck_assert_ptr_null(strstr(r.body, "visitsd_http_requests_in_flight 0\n"));
	ck_assert_ptr_nonnull(strstr(r.body, "visitsd_http_requests_in_flight "));
	/* A request is counted when MHD reports it complete, which may be
	   just after the client has read the answer. */
	metrics_wait("visitsd_http_requests_total{route=\"visits\","
	    "code=\"200\"} 1\n");
	metrics_wait("visitsd_http_requests_total{route=\"readyz\","
	    "code=\"503\"} 1\n");
	metrics_wait("visitsd_http_request_duration_seconds_count"
	    "{route=\"visits\"} 1\n");
}
END_TEST

START_TEST(readyz_is_503_until_keys_are_loaded)
{
	struct reply r;

	apikey_ring_free(keys);
	keys = apikey_ring_new();
	server_start();
	fetch("GET", "/readyz", NULL, &r);
	ck_assert_int_eq(r.status, 503);
	fetch("POST", "/api/visits/x", k1, &r);
	ck_assert_int_eq(r.status, 403);
}
END_TEST

START_TEST(auth_none_serves_without_a_key)
{
	struct reply r;

	apikey_ring_free(keys);
	keys = apikey_ring_new();
	config_fixture_set(&cfg, "auth", "none", NULL);
	server_start();
	fetch("POST", "/api/visits/x", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	fetch("GET", "/readyz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
}
END_TEST

START_TEST(metrics_listener_serves_only_metrics_and_healthz)
{
	char mbase[128];
	struct reply r;

	config_fixture_set(&cfg, "metrics_listen", "127.0.0.1:0",
	    "metrics_public", "false", NULL);
	server_start();
	ck_assert_ptr_nonnull(http_metrics_address(srv));
	ck_assert_str_ne(http_metrics_address(srv), http_address(srv));
	snprintf(mbase, sizeof(mbase), "http://%s", http_metrics_address(srv));
	fetch("GET", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	fetch_at(mbase, "GET", "/metrics", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_ptr_nonnull(strstr(r.body, "visitsd_build_info"));
	fetch_at(mbase, "GET", "/healthz", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	fetch_at(mbase, "POST", "/api/visits/x", k1, NULL, 0, &r);
	ck_assert_int_eq(r.status, 404);
}
END_TEST

/* The default: no metrics listener and /metrics off the main one. */
START_TEST(metrics_is_not_public_unless_opted_in)
{
	struct reply r;

	config_fixture_set(&cfg, "metrics_public", "false", NULL);
	server_start();
	ck_assert_ptr_null(http_metrics_address(srv));
	fetch("GET", "/metrics", NULL, &r);
	ck_assert_int_eq(r.status, 404);
	fetch("GET", "/readyz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
	fetch("GET", "/healthz", NULL, &r);
	ck_assert_int_eq(r.status, 200);
}
END_TEST

START_TEST(bound_address_and_listen_errors_are_reported)
{
	struct config bad;
	char err[256], inuse[64];
	int fd;

	server_start();
	ck_assert_int_eq(strncmp(http_address(srv), "127.0.0.1:", 10), 0);
	ck_assert_int_gt(atoi(http_address(srv) + 10), 0);
	ck_assert_ptr_null(http_metrics_address(srv));

	/* Not validated on purpose: http_new's own refusals (owned by cfg). */
	bad = cfg;
	bad.listen = "127.0.0.1";
	ck_assert_ptr_null(http_new(&bad, &ts->base, keys, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "127.0.0.1"));
	bad.listen = "127.0.0.1:99999";
	ck_assert_ptr_null(http_new(&bad, &ts->base, keys, err, sizeof(err)));
	snprintf(inuse, sizeof(inuse), "%s", http_address(srv));
	bad.listen = inuse;				/* in use */
	ck_assert_ptr_null(http_new(&bad, &ts->base, keys, err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, http_address(srv)));

	/* IPv6 loopback, where the host has it. */
	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) >= 0) {
		struct http *h6;

		close(fd);
		bad = cfg;
		bad.listen = "[::1]:0";
		h6 = http_new(&bad, &ts->base, keys, err, sizeof(err));
		if (h6 != NULL) {
			char root[128];
			struct reply r;

			ck_assert_int_eq(strncmp(http_address(h6), "[::1]:", 6),
			    0);
			snprintf(root, sizeof(root), "http://%s",
			    http_address(h6));
			fetch_at(root, "GET", "/healthz", NULL, NULL, 0, &r);
			ck_assert_int_eq(r.status, 200);
			ck_assert_int_eq(http_shutdown(h6, 1), 0);
			http_free(h6);
		}
	}
}
END_TEST

/*
 * The listen socket is visitsd's own (http_listen.c): a v6 wildcard takes
 * v4 clients as MHD_USE_DUAL_STACK did, where the host has IPv6.
 */
START_TEST(v6_wildcard_listener_takes_v4_clients)
{
	struct config c6 = cfg;
	struct http *h6;
	struct reply r;
	char err[256], root[64];
	const char *port;
	int fd;

	if ((fd = socket(AF_INET6, SOCK_STREAM, 0)) < 0)
		return;
	close(fd);
	c6.listen = "[::]:0";
	if ((h6 = http_new(&c6, &ts->base, keys, err, sizeof(err))) == NULL)
		return;				/* no IPv6 here */
	port = strrchr(http_address(h6), ':');
	ck_assert_ptr_nonnull(port);
	snprintf(root, sizeof(root), "http://127.0.0.1%s", port);
	fetch_at(root, "GET", "/healthz", NULL, NULL, 0, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_int_eq(http_shutdown(h6, 1), 0);
	http_free(h6);
}
END_TEST

static atomic_bool hammer_stop;
static atomic_int hammer_served;

static void *
hammer(void *arg)
{
	struct reply r;

	(void)arg;
	while (!atomic_load(&hammer_stop)) {
		fetch_at(base, "GET", "/healthz", NULL, NULL, 0, &r);
		if (r.status == 200)
			atomic_fetch_add(&hammer_served, 1);
	}
	return NULL;
}

/*
 * Shutdown while clients connect, many times: MHD_quiesce_daemon raced the
 * epoll workers and aborted the process ("Failed to remove listen FD from
 * epoll set"); the accept thread and MHD_add_connection leave MHD no
 * listen socket to race over.
 */
START_TEST(shutdown_under_new_connections_never_aborts)
{
	pthread_t t[2];
	int i, j, w;

	for (i = 0; i < 30; i++) {
		server_start();
		atomic_store(&hammer_stop, false);
		atomic_store(&hammer_served, 0);
		for (j = 0; j < 2; j++)
			ck_assert_int_eq(pthread_create(&t[j], NULL, hammer,
			    NULL), 0);
		/* Both clients under way: a few answers, whenever they come. */
		for (w = 0; w < 1000 && atomic_load(&hammer_served) < 4; w++)
			usleep(10000);
		ck_assert_int_ge(atomic_load(&hammer_served), 4);
		ck_assert_int_eq(http_shutdown(srv, 1), 0);
		atomic_store(&hammer_stop, true);
		for (j = 0; j < 2; j++)
			pthread_join(t[j], NULL);
		http_free(srv);
		srv = NULL;
	}
}
END_TEST

struct client {
	pthread_t	thread;
	struct reply	r;
};

static void *
client_post(void *arg)
{
	struct client *c = arg;

	fetch_at(base, "POST", "/api/visits/late", k1, NULL, 0, &c->r);
	return NULL;
}

struct stopper {
	pthread_t	thread;
	int		timeout;
	int		abandoned;
};

static void *
stopper_run(void *arg)
{
	struct stopper *s = arg;

	s->abandoned = http_shutdown(srv, s->timeout);
	return NULL;
}

/* Is the listener still accepting connections? */
static bool
accepting(void)
{
	struct reply r;

	fetch_at(base, "GET", "/healthz", NULL, NULL, 0, &r);
	return !r.failed;
}

START_TEST(shutdown_waits_for_suspended)
{
	struct client c;
	struct stopper s = { .timeout = 30 };
	int i;

	tstore_mode(T_HOLD, STORE_OK);
	server_start();
	ck_assert_int_eq(pthread_create(&c.thread, NULL, client_post, &c), 0);
	tstore_wait_queued(1);		/* suspended in the server now */
	ck_assert_int_eq(pthread_create(&s.thread, NULL, stopper_run, &s), 0);
	for (i = 0; i < 1000 && accepting(); i++)
		usleep(5000);
	ck_assert_msg(i < 1000, "shutdown never stopped accepting");
	/* Shutdown is under way and the request still suspended: release. */
	tstore_mode(T_LATER, STORE_OK);
	pthread_join(c.thread, NULL);
	pthread_join(s.thread, NULL);
	ck_assert(!c.r.failed);
	ck_assert_int_eq(c.r.status, 200);
	ck_assert_str_eq(c.r.body, "{\"user\":\"late\",\"visits\":1,\"unique\":0}");
	ck_assert_int_eq(s.abandoned, 0);
}
END_TEST

START_TEST(shutdown_abandons_after_timeout)
{
	struct client c;

	tstore_mode(T_HOLD, STORE_OK);
	server_start();
	ck_assert_int_eq(pthread_create(&c.thread, NULL, client_post, &c), 0);
	tstore_wait_queued(1);
	ck_assert_int_eq(http_shutdown(srv, 0), 1);
	ck_assert_int_eq(http_shutdown(srv, 0), 1);
	pthread_join(c.thread, NULL);
	/* Either a 503 went out before the daemon stopped, or nothing. */
	ck_assert(c.r.failed || c.r.status == 503);
	http_free(srv);
	srv = NULL;
	/* The held operation completes now, after the server is gone. */
	tstore_mode(T_LATER, STORE_OK);
}
END_TEST

/*
 * A request held by the store past store_timeout is answered 503 without
 * a count; the callback that comes later is harmless, and the server goes
 * on serving.
 */
START_TEST(store_timeout_answers_503_and_the_late_callback_is_harmless)
{
	struct reply r;

	config_fixture_set(&cfg, "store_timeout", "1", NULL);
	tstore_mode(T_HOLD, STORE_OK);
	server_start();
	fetch("POST", "/api/visits/slow", k1, &r);
	ck_assert_int_eq(r.status, 503);
	assert_header(&r, "Retry-After", "1");
	ck_assert_ptr_nonnull(strstr(r.body, "did not answer in time"));
	tstore_mode(T_LATER, STORE_OK);	/* the held callback fires now */
	fetch("POST", "/api/visits/slow", k1, &r);
	ck_assert_int_eq(r.status, 200);
	ck_assert_str_eq(r.body, "{\"user\":\"slow\",\"visits\":2,\"unique\":0}");
}
END_TEST

/*
 * Shutdown stops the store first: what it had queued fails at once, so
 * the waiting client gets 503 long before the drain's timeout, and
 * nothing is abandoned.
 */
START_TEST(shutdown_fails_queued_increments_at_once)
{
	struct client c;

	ts->drop_on_shutdown = true;
	tstore_mode(T_HOLD, STORE_OK);
	server_start();
	ck_assert_int_eq(pthread_create(&c.thread, NULL, client_post, &c), 0);
	tstore_wait_queued(1);
	ck_assert_int_eq(http_shutdown(srv, 3600), 0);
	pthread_join(c.thread, NULL);
	ck_assert(!c.r.failed);
	ck_assert_int_eq(c.r.status, 503);
	assert_header(&c.r, "Retry-After", "1");
	ck_assert_int_eq(ts->shutdowns, 1);
}
END_TEST

Suite *suite_http(void)
{
	Suite *s = suite_create("http");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, visits_count_when_the_store_answers_inline);
	tcase_add_test(tc, visits_count_when_the_store_answers_later);
	tcase_add_test(tc, concurrent_suspended_posts_get_distinct_counts);
	tcase_add_test(tc, keep_alive_survives_suspension);
	tcase_add_test(tc, head_healthz_has_headers_and_no_body);
	tcase_add_test(tc, store_failures_inline_are_503_with_retry_after);
	tcase_add_test(tc, store_failures_later_are_503_with_retry_after);
	tcase_add_test(tc, cors_headers_go_on_every_answer_keyed_or_not);
	tcase_add_test(tc, cors_star_answers_star);
	tcase_add_test(tc, bad_path_method_and_id_are_404_405_400);
	tcase_add_test(tc, bodies_past_max_body_are_413_and_not_counted);
	tcase_add_test(tc, get_increments_when_configured);
	tcase_add_test(tc, probes_and_metrics_report_store_and_requests);
	tcase_add_test(tc, readyz_is_503_until_keys_are_loaded);
	tcase_add_test(tc, auth_none_serves_without_a_key);
	tcase_add_test(tc, metrics_listener_serves_only_metrics_and_healthz);
	tcase_add_test(tc, metrics_is_not_public_unless_opted_in);
	tcase_add_test(tc, bound_address_and_listen_errors_are_reported);
	tcase_add_test(tc, v6_wildcard_listener_takes_v4_clients);
	tcase_add_test(tc, shutdown_under_new_connections_never_aborts);
	tcase_add_test(tc, shutdown_waits_for_suspended);
	tcase_add_test(tc, shutdown_abandons_after_timeout);
	tcase_add_test(tc, store_timeout_answers_503_and_the_late_callback_is_harmless);
	tcase_add_test(tc, shutdown_fails_queued_increments_at_once);
	suite_add_tcase(s, tc);
	return s;
}

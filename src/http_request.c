/*
 * http_request: one HTTP request, from MHD's first call to its completion.
 *
 * MHD calls the access handler several times per request: the first call
 * allocates a struct req and decides the route (api.c), upload calls only
 * count body bytes (413 past cfg->max_body), the final call acts.  The
 * request state is freed in the completed-notification, which also logs
 * the request and counts it in the metrics.
 *
 * Store operations are asynchronous.  The handler starts one with no lock
 * held, then takes the request's mutex: when the callback already ran
 * (inline, or quickly from another thread) it answers at once; otherwise it
 * suspends the connection and returns.  The callback takes the same mutex,
 * stores the result, and resumes the connection if it was suspended; MHD
 * then calls the handler again, which answers from the saved result.  So
 * an HTTP worker never waits on the store.  A request is reference counted
 * (MHD's reference until completion, one per pending store operation)
 * because an abandoned request may complete before its store callback.
 *
 * A request does not wait on the store for ever: past store_timeout the
 * sweeper (http_inflight_expire) resumes it without a result and it
 * answers 503 with Retry-After, as do the requests still waiting when a
 * shutdown's drain ends.  Either way the store callback that comes later
 * finds the request answered and only drops its reference; an increment
 * answered so has an outcome the client cannot know (counted in
 * visitsd_http_store_gave_up_total).
 *
 * Every answer is queued by http_respond.c (the headers every answer
 * has); the request's state (struct req) is in http_req.h.
 *
 * Not here: the in-flight set, the reference count's last drop, expiry
 * and the shutdown drain (http_inflight.c), the answers' common headers
 * (http_respond.c), listeners and their lifecycle (http.c), what to
 * answer (api.c), keys (apikey.c), the metrics registry (metrics.c).
 */
#include <sys/socket.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "api.h"
#include "apikey.h"
#include "bot.h"
#include "guard.h"
#include "admin.h"
#include "http_admin.h"
#include "http_badge.h"
#include "http_conn.h"
#include "http_guard.h"
#include "http_inflight.h"
#include "http_metrics.h"
#include "http_req.h"
#include "http_request.h"
#include "http_respond.h"
#include "http_stream.h"
#include "log.h"
#include "metrics.h"
#include "salt.h"
#include "store.h"
#include "stream.h"
#include "util.h"

#define DISCARD_MAX	(64 * 1024)	/* body past max_body read, dropped */
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

static char body_ok[] = "{\"status\":\"ok\"}";
static char body_ready[] = "{\"status\":\"ready\"}";

static double
elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static struct req *
req_new(struct listener *l, struct MHD_Connection *conn, const char *method,
    const char *url)
{
	const union MHD_ConnectionInfo *ci;
	struct req *r = xcalloc(1, sizeof(*r));

	clock_gettime(CLOCK_MONOTONIC, &r->start);
	r->l = l;
	r->conn = conn;
	r->refs = 1;
	pthread_mutex_init(&r->mu, NULL);
	/* Bounded copies for the log line; log.c escapes every byte. */
	snprintf(r->method, sizeof(r->method), "%s", method);
	snprintf(r->path, sizeof(r->path), "%s", url);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		util_format_address(ci->client_addr,
		    ci->client_addr->sa_family == AF_INET6 ?
		    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
		    r->client, sizeof(r->client));

	http_inflight_join(r);
	return r;
}

/*
 * Answer from the store's result, or without it when the request was given
 * up (timed out, or abandoned at shutdown): then the store callback, when
 * it comes, finds r->gave_up set and only drops its reference.
 */
static enum MHD_Result
finish(struct req *r)
{
	struct http *h = r->l->h;
	enum store_result res;
	enum gave_up why;
	struct store_counts counts;
	const char *message;
	enum MHD_Result ret;
	bool done, mine;
	int status;

	pthread_mutex_lock(&r->mu);
	done = r->done;
	res = r->res;
	counts = r->counts;
	if (!done && r->gave_up == GAVE_UP_NONE)
		r->gave_up = GAVE_UP_SHUTDOWN;	/* abandoning: not suspended */
	why = r->gave_up;
	pthread_mutex_unlock(&r->mu);

	if (!done) {
		metrics_counter_add(h->m.gave_up[r->op]
		    [why == GAVE_UP_TIMEOUT ? 0 : 1], 1);
		return http_respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    why == GAVE_UP_TIMEOUT ?
		    "The counter store did not answer in time; retry later." :
		    "The server is shutting down; retry later.");
	}
	if (r->d.action == API_ADMIN_IMPORT) {
		char *json;

		status = http_admin_import_answer(r->admin, res, &json);
		return http_respond_json(r, status, json);
	}
	status = api_store_status(res, &message);
	if ((r->d.action == API_ADMIN_SET || r->d.action == API_ADMIN_DELETE) &&
	    status == 200)		/* the streams may go down, too */
		stream_hub_reset(h->streams, r->d.id, &counts);
	if (r->d.action == API_ADMIN_DELETE && status == 200)
		return http_respond_message(r, MHD_HTTP_NO_CONTENT, NULL);
	if (r->d.action == API_READYZ) {
		if (status != 200)
			return http_respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "The counter store is not ready.");
		return http_respond(r, MHD_HTTP_OK, CT_JSON, body_ready,
		    strlen(body_ready), MHD_RESPMEM_PERSISTENT);
	}
	if (status != 200)
		return http_respond_message(r, status, message);
	if (r->d.action == API_INCREMENT)	/* live counts (stream.c) */
		stream_hub_publish(h->streams, r->d.id, &counts);
	if (r->d.action == API_STREAM)
		return http_respond_stream(r, &counts);
	if (r->d.action == API_HISTORY)
		return http_respond_json(r, MHD_HTTP_OK, api_json_history(r->d.id,
		    r->days, r->ndays));
	ret = http_respond_badge(r, true, counts.visits, status, NULL, &mine);
	if (mine)
		return ret;
	return http_respond_json(r, MHD_HTTP_OK, api_json_visits(r->d.id, &counts));
}

static void
store_done(void *arg, enum store_result res, const struct store_counts *counts)
{
	struct req *r = arg;
	bool last;

	if ((int)res >= 0 && (int)res < STORE_NRESULTS)
		metrics_counter_add(r->results[res], 1);
	pthread_mutex_lock(&r->mu);
	r->res = res;
	r->counts = *counts;
	r->done = true;
	if (r->suspended) {
		r->suspended = false;
		MHD_resume_connection(r->conn);
	}
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last)
		http_inflight_free(r);
}

/* History's completion: keep a copy of the days, then as store_done. */
static void
history_done(void *arg, enum store_result res, const struct store_day *days,
    size_t ndays)
{
	struct req *r = arg;

	if (res == STORE_OK && ndays > 0) {
		/* Only this callback writes them, once, before done is set. */
		r->days = xcalloc(ndays, sizeof(*days));
		memcpy(r->days, days, ndays * sizeof(*days));
		r->ndays = ndays;
	}
	store_done(r, res, &(struct store_counts){ 0 });
}

/* The visit of an increment: its day and, with uniques on, its visitor. */
static void
visit_of(struct req *r, struct store_visit *visit)
{
	const char *ua = NULL;
	size_t ualen = 0;

	if (MHD_lookup_connection_value_n(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_USER_AGENT, strlen(MHD_HTTP_HEADER_USER_AGENT),
	    &ua, &ualen) != MHD_YES)
		ua = NULL;
	salt_keeper_visit(r->l->h->salts, r->d.id, &r->client_addr, ua, ualen,
	    visit);
}

/* Start the store operation; answer now or suspend until it completes. */
static enum MHD_Result
start_store(struct req *r, enum store_op op)
{
	struct http *h = r->l->h;
	struct store_visit visit = { 0 };

	r->started = true;
	r->op = op;
	/* An import is not timed out: it ends on its own or at shutdown. */
	r->store_ms = r->d.action == API_ADMIN_IMPORT ? UINT64_MAX :
	    util_now_ms();
	memcpy(r->results, h->m.store_ops[op], sizeof(r->results));
	pthread_mutex_lock(&r->mu);
	r->refs++;
	pthread_mutex_unlock(&r->mu);

	switch (op) {
	case STORE_OP_INCREMENT:
		visit_of(r, &visit);
		store_increment(h->store, r->d.id, &visit, store_done, r);
		break;
	case STORE_OP_GET:
		store_get(h->store, r->d.id, store_done, r);
		break;
	case STORE_OP_CHECK:
		store_check(h->store, store_done, r);
		break;
	case STORE_OP_HISTORY:
		store_history(h->store, r->d.id, salt_keeper_today(h->salts) -
		    (r->d.days - 1), r->d.days, history_done, r);
		break;
	case STORE_OP_SET:
		if (r->d.action == API_ADMIN_IMPORT)
			http_admin_import_start(h->admin, r->admin, h->store,
			    store_done, r);
		else
			store_set(h->store, r->d.id, &r->put, store_done, r);
		break;
	case STORE_OP_DELETE:
		store_delete(h->store, r->d.id, store_done, r);
		break;
	}

	pthread_mutex_lock(&r->mu);
	if (!r->done && !atomic_load(&h->abandoning)) {
		MHD_suspend_connection(r->conn);
		r->suspended = true;
		pthread_mutex_unlock(&r->mu);
		return MHD_YES;
	}
	pthread_mutex_unlock(&r->mu);
	return finish(r);		/* done, or abandoned: 503 */
}

static enum MHD_Result
act(struct req *r)
{
	struct http *h = r->l->h;
	struct MHD_Response *resp;
	const char *message;
	char *text;

	switch (r->d.action) {
	case API_ANSWER:
		return http_respond_message(r, r->d.status, r->d.message);
	case API_HEALTHZ:
		return http_respond(r, MHD_HTTP_OK, CT_JSON, body_ok,
		    strlen(body_ok), MHD_RESPMEM_PERSISTENT);
	case API_METRICS:
		text = metrics_render();
		return http_respond(r, MHD_HTTP_OK, CT_METRICS, text, strlen(text),
		    MHD_RESPMEM_MUST_FREE);
	case API_READYZ:
		if (!h->auth_none && !apikey_ring_loaded(h->keys))
			return http_respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "No API key is loaded.");
		if (!salt_keeper_ready(h->salts))
			return http_respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "The day's salt for unique visitors is not loaded "
			    "yet.");
		return start_store(r, STORE_OP_CHECK);
	case API_INCREMENT:
		return start_store(r, STORE_OP_INCREMENT);
	case API_GET:
		return start_store(r, STORE_OP_GET);
	case API_ADMIN_SET:
		if (http_admin_put_counts(r->admin, &r->put, &message) == -1)
			return http_respond_message(r, MHD_HTTP_BAD_REQUEST, message);
		return start_store(r, STORE_OP_SET);
	case API_ADMIN_DELETE:
		return start_store(r, STORE_OP_DELETE);
	case API_ADMIN_IMPORT:
		/* Counted as one set; it may take longer than store_timeout. */
		return start_store(r, STORE_OP_SET);
	case API_ADMIN_EXPORT:
		http_conn_received(r->conn);
		if ((resp = http_admin_export_response(h->admin, h->store,
		    r->conn)) == NULL)
			return http_respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "The export could not start; retry later.");
		return http_respond_with(r, MHD_HTTP_OK, "application/x-ndjson",
		    resp);
	case API_HISTORY:
		return start_store(r, STORE_OP_HISTORY);
	case API_STREAM:
		if ((r->stream = http_stream_open(h->streams, r->d.id,
		    &r->client_addr, &message)) == NULL)
			return http_respond_message(r,
			    MHD_HTTP_SERVICE_UNAVAILABLE, message);
		return start_store(r, STORE_OP_GET);
	}
	return MHD_NO;
}

/*
 * libmicrohttpd 0.9.75 keeps a header value as a C string, so a value with
 * a NUL inside reaches us cut at the NUL ("<key>\0junk" as "<key>"), and
 * the _n lookup reports that cut length.  Its parser turns a line's CR LF
 * into two NULs in its read buffer, which holds the next line too: a value
 * whose second NUL is missing was cut (or its line ended in a bare LF,
 * which browsers do not send).  Later versions report the whole length,
 * which apikey_ring_check refuses when it holds a NUL.
 */
static bool
header_was_cut(const char *value, size_t len)
{
#if MHD_VERSION <= 0x00097500
	return value[len + 1] != '\0';
#else
	(void)value;
	(void)len;
	return false;
#endif
}

/* The largest body r may have: max_body, or the admin body's limit. */
static size_t
body_limit(const struct req *r)
{
	return r->admin != NULL ? http_admin_body_limit(r->admin) :
	    r->l->h->max_body;
}

/*
 * An increment whose User-Agent is on the crawler list (bot.c) is
 * answered like a GET unless count_bots is set; counted either way.
 */
static void
decide_bot(struct req *r)
{
	struct http *h = r->l->h;
	const char *ua;

	ua = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_USER_AGENT);
	if (ua == NULL || !bot_match(ua, strlen(ua)))
		return;
	metrics_counter_add(h->m.bots[h->count_bots ? 1 : 0], 1);
	if (!h->count_bots)
		r->d.action = API_GET;
}

static void
decide(struct req *r, const char *method, const char *url)
{
	struct http *h = r->l->h;
	const char *key = NULL;
	struct api_query q;
	size_t keylen = 0;
	bool key_ok = false, key_in_query = false;
	char qkey[HTTP_STREAM_KEY_MAX + 1];

	if (!h->auth_none) {
		/*
		 * With its length as received: a value with a NUL inside
		 * ("<key>\0junk") must not compare as its C-string prefix.
		 */
		if (MHD_lookup_connection_value_n(r->conn, MHD_HEADER_KIND,
		    "x-api-key", sizeof("x-api-key") - 1, &key, &keylen) !=
		    MHD_YES || header_was_cut(key, keylen))
			key = NULL;
		/* EventSource sends no header: the stream's ?key= then. */
		if (key == NULL && http_stream_query_key(r->conn, url, qkey,
		    &keylen)) {
			key = qkey;
			key_in_query = true;
		}
		key_ok = apikey_ring_check(h->keys, key, keylen);
		OPENSSL_cleanse(qkey, sizeof(qkey));
	}
	if (!admin_decide(&r->l->opt, method, url, h->admin != NULL &&
	    http_admin_authorized(h->admin, r->conn), &r->d)) {
		http_badge_query(r->conn, &q);
		api_decide_query(&r->l->opt, method, url, key_ok, &q, &r->d);
		/* ?key= is the stream's alone (/api/visits/stream is an id). */
		if (key_in_query && r->d.route != API_ROUTE_STREAM)
			api_decide_query(&r->l->opt, method, url, false, &q,
			    &r->d);
		api_decide_history_days(&r->d, MHD_lookup_connection_value(
		    r->conn, MHD_GET_ARGUMENT_KIND, "days"));
	} else
		r->admin = http_admin_body_new(h->admin, r->d.action);
	http_guard_admit(h->guard, r->conn, &r->d, &r->client_addr, &r->admit);
	/* A badge is fetched by an image proxy (GitHub's Camo is on the
	   crawler list) for its viewer: the fetch is the visit. */
	if (r->d.action == API_INCREMENT && r->d.route != API_ROUTE_BADGE)
		decide_bot(r);
}

enum MHD_Result
http_request_handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct listener *l = cls;
	struct req *r = *con_cls;
	const char *cl;

	(void)version;
	if (r == NULL) {
		r = req_new(l, conn, method, url);
		*con_cls = r;
		decide(r, method, url);
		if (r->d.action != API_HEALTHZ && r->d.action != API_METRICS &&
		    http_conn_at_limit(conn)) {
			/* Past max_connections the reserve is the probes'. */
			metrics_counter_add(l->h->m.at_limit, 1);
			r->close = true;
			return http_respond_message(r,
			    MHD_HTTP_SERVICE_UNAVAILABLE,
			    "The server is at its connection limit; retry "
			    "later.");
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > body_limit(r)) {
			r->too_large = true;
			return http_respond_message(r,
			    MHD_HTTP_CONTENT_TOO_LARGE,
			    "The request body is too large.");
		}
		return MHD_YES;
	}
	if (*upload_data_size != 0) {
		/*
		 * MHD 0.9.75 cannot queue an answer in the middle of an upload:
		 * discard the excess and answer 413 at the end, unless the body
		 * goes on far past the limit -- then close the connection.
		 */
		if (r->admin != NULL)
			http_admin_body_add(r->admin, upload_data,
			    *upload_data_size);
		r->body += *upload_data_size;
		*upload_data_size = 0;
		if (r->body > body_limit(r))
			r->too_large = true;
		if (r->body > body_limit(r) + DISCARD_MAX)
			return MHD_NO;
		return MHD_YES;
	}
	if (r->status != 0)
		return MHD_YES;
	http_conn_received(conn);		/* the whole request is here */
	if (r->too_large)
		return http_respond_message(r, MHD_HTTP_CONTENT_TOO_LARGE,
		    "The request body is too large.");
	if (r->started)
		return finish(r);
	return act(r);
}

void
http_request_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct http *h = l->h;
	struct req *r = *con_cls;
	double secs;

	(void)toe;
	http_conn_idle(conn);		/* the next request's clock */
	if (r == NULL)
		return;
	*con_cls = NULL;
	stream_close(r->stream);	/* reserved, never answered */
	r->stream = NULL;
	secs = elapsed(&r->start);
	log_request(r->method, r->path, r->status, secs * 1e3,
	    h->log_client ? r->client : NULL);
	if (r->status != 0)
		http_metrics_count(&h->m, r->d.route, r->status, secs);
	http_inflight_leave(r);

	pthread_mutex_lock(&r->mu);
	r->conn = NULL;
	pthread_mutex_unlock(&r->mu);
	http_inflight_unref(r);
}

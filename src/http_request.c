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
 * sweeper (http_request_expire) resumes it without a result and it
 * answers 503 with Retry-After, as do the requests still waiting when a
 * shutdown's drain ends.  Either way the store callback that comes later
 * finds the request answered and only drops its reference; an increment
 * answered so has an outcome the client cannot know (counted in
 * visitsd_http_store_gave_up_total).
 *
 * The in-flight set lives here too, because shutdown must wait for it and
 * then resume what is still suspended (http_request_drain).
 *
 * Not here: listeners and their lifecycle (http.c), what to answer
 * (api.c), keys (apikey.c), the metrics registry (metrics.c).
 */
#include <sys/socket.h>

#include <errno.h>
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
#include "http_conn.h"
#include "http_guard.h"
#include "http_metrics.h"
#include "http_request.h"
#include "http_stream.h"
#include "log.h"
#include "metrics.h"
#include "salt.h"
#include "store.h"
#include "stream.h"
#include "util.h"

#define LOG_PATH_MAX	256
#define DISCARD_MAX	(64 * 1024)	/* body past max_body read, dropped */
#define CT_JSON		"application/json"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"
#define CT_EVENTS	"text/event-stream"
#define ANSWER_WAIT_MS	2000	/* drain: for the resumed 503s to go out */

static char body_ok[] = "{\"status\":\"ok\"}";
static char body_ready[] = "{\"status\":\"ready\"}";

/* Why a request was answered without its store result. */
enum gave_up {
	GAVE_UP_NONE = 0,
	GAVE_UP_TIMEOUT,	/* store_timeout passed */
	GAVE_UP_SHUTDOWN,	/* the shutdown drain ended */
};

struct req {
	struct listener	*l;
	struct MHD_Connection	*conn;		/* NULL after completion */
	struct req		*prev, *next;	/* h->reqs, under h->mu */

	pthread_mutex_t		 mu;		/* guards the fields below */
	int			 refs;
	bool			 done;		/* store callback ran */
	bool			 suspended;
	enum gave_up		 gave_up;	/* set when resumed without result */
	enum store_result	 res;
	struct store_counts	 counts;
	enum store_op		 op;
	uint64_t		 store_ms;	/* when the operation started */
	struct store_day	*days;		/* history: owned, ndays */
	size_t			 ndays;

	/* Owned by the handler thread of the moment. */
	struct api_decision	 d;
	struct client_addr	 client_addr;	/* the client (guard.h) */
	struct guard_result	 admit;		/* origin guard, rate limit */
	bool			 started;	/* store operation issued */
	/* The series of each result of the operation, for its callback:
	   the request may outlive the server but not the metrics. */
	struct metrics_counter	*results[STORE_NRESULTS];
	size_t			 body;
	bool			 too_large;
	int			 status;	/* queued, 0 if none */
	struct stream		*stream;	/* reserved, not answered yet */
	bool			 close;		/* answer with Connection: close */
	struct timespec		 start;
	char			 method[16];
	char			 path[LOG_PATH_MAX];
	char			 client[HTTP_ADDR_MAX];
};

static double
elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

static void
req_free(struct req *r)
{
	free(r->days);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

/* Drop one reference; the last one frees r. */
static void
req_unref(struct req *r)
{
	bool last;

	pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last)
		req_free(r);
}

static struct req *
req_new(struct listener *l, struct MHD_Connection *conn, const char *method,
    const char *url)
{
	struct http *h = l->h;
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

	pthread_mutex_lock(&h->mu);
	r->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prev = r;
	h->reqs = r;
	h->inflight++;
	pthread_mutex_unlock(&h->mu);
	metrics_counter_add(h->m.inflight, 1);
	return r;
}

/*
 * Queue an answer.  body (len bytes) is stolen when mode is
 * MHD_RESPMEM_MUST_FREE; ctype names it (NULL when there is no body).
 */
static enum MHD_Result respond_with(struct req *, int, const char *,
    struct MHD_Response *);

static enum MHD_Result
respond(struct req *r, int status, const char *ctype, char *body, size_t len,
    enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;

	http_conn_received(r->conn);
	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	return respond_with(r, status, ctype, resp);
}

/* Add the headers every answer has to resp, queue it and drop it. */
static enum MHD_Result
respond_with(struct req *r, int status, const char *ctype,
    struct MHD_Response *resp)
{
	struct http *h = r->l->h;
	const char *origin, *acao;
	enum MHD_Result ret;
	bool vary;

	if (ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    ctype);
	origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ORIGIN);
	if ((acao = api_cors_allow_origin(h->cors, origin, &vary)) != NULL)
		MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, acao);
	if (vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
	if (r->d.preflight) {
		MHD_add_response_header(resp, "Access-Control-Allow-Methods",
		    API_CORS_METHODS);
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
		    API_CORS_HEADERS);
		MHD_add_response_header(resp, "Access-Control-Max-Age",
		    h->cors_max_age);
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->d.allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    r->d.allow);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (r->admit.limited)
		http_guard_headers(resp, h->guard, &r->admit, acao != NULL);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    ctype != NULL && strcmp(ctype, CT_EVENTS) == 0 ? "no-cache" :
	    "no-store");
	if (r->close || atomic_load(&h->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	ret = MHD_queue_response(r->conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		r->status = status;
	return ret;
}

static enum MHD_Result
respond_json(struct req *r, int status, char *json)
{
	return respond(r, status, CT_JSON, json, strlen(json),
	    MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result
respond_message(struct req *r, int status, const char *message)
{
	if (message == NULL)
		return respond(r, status, NULL, NULL, 0,
		    MHD_RESPMEM_PERSISTENT);
	return respond_json(r, status, api_json_message(message));
}

/* The live-count stream's answer, its first event counts (http_stream.c). */
static enum MHD_Result
respond_stream(struct req *r, const struct store_counts *counts)
{
	struct MHD_Response *resp;
	struct stream *s = r->stream;

	r->stream = NULL;		/* the answer's from now on */
	r->close = true;		/* the connection ends with the stream */
	http_conn_received(r->conn);
	if ((resp = http_stream_response(r->conn, s, counts)) == NULL)
		return respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The server is shutting down; retry later.");
	return respond_with(r, MHD_HTTP_OK, CT_EVENTS, resp);
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
	bool done;
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
		return respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    why == GAVE_UP_TIMEOUT ?
		    "The counter store did not answer in time; retry later." :
		    "The server is shutting down; retry later.");
	}
	status = api_store_status(res, &message);
	if (r->d.action == API_READYZ) {
		if (status != 200)
			return respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "The counter store is not ready.");
		return respond(r, MHD_HTTP_OK, CT_JSON, body_ready,
		    strlen(body_ready), MHD_RESPMEM_PERSISTENT);
	}
	if (status != 200)
		return respond_message(r, status, message);
	if (r->d.action == API_INCREMENT)	/* live counts (stream.c) */
		stream_hub_publish(h->streams, r->d.id, &counts);
	if (r->d.action == API_STREAM)
		return respond_stream(r, &counts);
	if (r->d.action == API_HISTORY)
		return respond_json(r, MHD_HTTP_OK, api_json_history(r->d.id,
		    r->days, r->ndays));
	return respond_json(r, MHD_HTTP_OK, api_json_visits(r->d.id, &counts));
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
		req_free(r);
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
	r->store_ms = util_now_ms();
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
	case STORE_OP_DELETE:
		/* Not routed here (yet): a failure, not a hang. */
		store_done(r, STORE_ERROR, &(struct store_counts){ 0 });
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
	const char *message;
	char *text;

	switch (r->d.action) {
	case API_ANSWER:
		return respond_message(r, r->d.status, r->d.message);
	case API_HEALTHZ:
		return respond(r, MHD_HTTP_OK, CT_JSON, body_ok,
		    strlen(body_ok), MHD_RESPMEM_PERSISTENT);
	case API_METRICS:
		text = metrics_render();
		return respond(r, MHD_HTTP_OK, CT_METRICS, text, strlen(text),
		    MHD_RESPMEM_MUST_FREE);
	case API_READYZ:
		if (!h->auth_none && !apikey_ring_loaded(h->keys))
			return respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
			    "No API key is loaded.");
		return start_store(r, STORE_OP_CHECK);
	case API_INCREMENT:
		return start_store(r, STORE_OP_INCREMENT);
	case API_GET:
		return start_store(r, STORE_OP_GET);
	case API_HISTORY:
		return start_store(r, STORE_OP_HISTORY);
	case API_STREAM:
		if ((r->stream = http_stream_open(h->streams, r->d.id,
		    &r->client_addr, &message)) == NULL)
			return respond_message(r,
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
	size_t keylen = 0;
	bool key_ok = false;
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
		    &keylen))
			key = qkey;
		key_ok = apikey_ring_check(h->keys, key, keylen);
		if (key == qkey)
			OPENSSL_cleanse(qkey, sizeof(qkey));
	}
	api_decide(&r->l->opt, method, url, key_ok, &r->d);
	api_decide_history_days(&r->d, MHD_lookup_connection_value(r->conn,
	    MHD_GET_ARGUMENT_KIND, "days"));
	http_guard_admit(h->guard, r->conn, &r->d, &r->client_addr, &r->admit);
	if (r->d.action == API_INCREMENT)
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
	(void)upload_data;
	if (r == NULL) {
		r = req_new(l, conn, method, url);
		*con_cls = r;
		decide(r, method, url);
		if (r->d.action != API_HEALTHZ && r->d.action != API_METRICS &&
		    http_conn_at_limit(conn)) {
			/* Past max_connections the reserve is the probes'. */
			metrics_counter_add(l->h->m.at_limit, 1);
			r->close = true;
			return respond_message(r,
			    MHD_HTTP_SERVICE_UNAVAILABLE,
			    "The server is at its connection limit; retry "
			    "later.");
		}
		cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl != NULL && strtoull(cl, NULL, 10) > l->h->max_body) {
			r->too_large = true;
			return respond_message(r,
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
		r->body += *upload_data_size;
		*upload_data_size = 0;
		if (r->body > l->h->max_body)
			r->too_large = true;
		if (r->body > l->h->max_body + DISCARD_MAX)
			return MHD_NO;
		return MHD_YES;
	}
	if (r->status != 0)
		return MHD_YES;
	http_conn_received(conn);		/* the whole request is here */
	if (r->too_large)
		return respond_message(r, MHD_HTTP_CONTENT_TOO_LARGE,
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
	log_request(r->method, r->path, r->status, secs * 1e3, r->client);
	if (r->status != 0)
		http_metrics_count(&h->m, r->d.route, r->status, secs);
	metrics_counter_add(h->m.inflight, -1);

	pthread_mutex_lock(&h->mu);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	if (--h->inflight == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);

	pthread_mutex_lock(&r->mu);
	r->conn = NULL;
	pthread_mutex_unlock(&r->mu);
	req_unref(r);
}

/*
 * Collect the suspended requests (a reference each) that match: all of
 * them (before == 0) or those whose store operation started before
 * before.  A new array of *n; under h->mu, so that none completes meanwhile.
 */
static struct req **
collect_suspended(struct http *h, uint64_t before, size_t *n)
{
	struct req **list;

	*n = 0;
	pthread_mutex_lock(&h->mu);
	list = xcalloc((size_t)h->inflight + 1, sizeof(*list));
	for (struct req *r = h->reqs; r != NULL; r = r->next) {
		pthread_mutex_lock(&r->mu);
		if (r->suspended && (before == 0 || r->store_ms < before)) {
			r->refs++;
			list[(*n)++] = r;
		}
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return list;
}

/*
 * Resume each still suspended request of list without its result, marked
 * why, and drop the references collect_suspended took.  Without h->mu
 * held, as the store callback resumes.
 */
static void
give_up(struct req **list, size_t n, enum gave_up why)
{
	for (size_t i = 0; i < n; i++) {
		struct req *r = list[i];

		pthread_mutex_lock(&r->mu);
		if (r->suspended) {
			r->suspended = false;
			r->gave_up = why;
			MHD_resume_connection(r->conn);
		}
		pthread_mutex_unlock(&r->mu);
		req_unref(r);
	}
	free(list);
}

void
http_request_expire(struct http *h, uint64_t now_ms)
{
	struct req **list;
	size_t n;

	if (h->store_timeout_ms == 0 || now_ms <= h->store_timeout_ms)
		return;
	list = collect_suspended(h, now_ms - h->store_timeout_ms, &n);
	give_up(list, n, GAVE_UP_TIMEOUT);
}

/* Wait until no request is in flight or deadline passes; under h->mu. */
static void
wait_idle(struct http *h, const struct timespec *deadline)
{
	while (h->inflight > 0)
		if (pthread_cond_timedwait(&h->idle, &h->mu, deadline) ==
		    ETIMEDOUT)
			break;
}

int
http_request_drain(struct http *h, int timeout_s)
{
	struct timespec deadline;
	struct req **left;
	size_t nleft;
	int abandoned;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s > 0 ? timeout_s : 0;
	pthread_mutex_lock(&h->mu);
	wait_idle(h, &deadline);
	/*
	 * Whatever is left is abandoned.  MHD cannot stop with suspended
	 * connections, so resume them: each answers 503 and its store
	 * callback, whenever it comes, only drops its reference.
	 */
	atomic_store(&h->abandoning, true);
	abandoned = h->inflight;
	pthread_mutex_unlock(&h->mu);
	left = collect_suspended(h, 0, &nleft);
	give_up(left, nleft, GAVE_UP_SHUTDOWN);
	/* The 503s go out on MHD's threads: let them, before it stops. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ANSWER_WAIT_MS / 1000;
	pthread_mutex_lock(&h->mu);
	wait_idle(h, &deadline);
	pthread_mutex_unlock(&h->mu);
	if (abandoned > 0)
		log_warnx("http: %d request(s) abandoned at shutdown",
		    abandoned);
	return abandoned;
}

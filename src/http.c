/*
 * http: the libmicrohttpd server, from socket to api.c and back.
 *
 * One MHD daemon per listener, each an epoll thread pool (cfg->threads,
 * at least two: a single epoll thread stalls at a few hundred concurrent
 * connections).  MHD calls the access handler several times per request:
 * the first call allocates a struct req and decides the route (api.c),
 * upload calls only count body bytes (413 past cfg->max_body), the final
 * call acts.  The request state is freed in the completed-notification,
 * which also logs the request and counts it in the metrics.
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
 * Shutdown quiesces the listeners, waits for the in-flight requests
 * (suspended ones included) up to a timeout, then resumes whatever is
 * still suspended (they answer 503) and stops the daemons: MHD refuses to
 * stop with suspended connections.
 *
 * Not here: what to answer (api.c), keys (apikey.c), counting (metrics.c).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>

#include "api.h"
#include "apikey.h"
#include "config.h"
#include "http.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "util.h"

#define ADDR_MAX	(INET6_ADDRSTRLEN + 8)	/* "[v6]:port" */
#define LOG_PATH_MAX	256
#define DISCARD_MAX	(64 * 1024)	/* body past max_body read, dropped */
#define CT_JSON		"application/json"
#define CT_METRICS	"text/plain; version=0.0.4; charset=utf-8"

static char body_ok[] = "{\"status\":\"ok\"}";
static char body_ready[] = "{\"status\":\"ready\"}";

struct http;

struct listener {
	struct http		*h;
	struct MHD_Daemon	*daemon;
	struct api_options	 opt;
	char			 address[ADDR_MAX];
};

struct http {
	struct store		*store;		/* borrowed */
	struct apikey_ring		*keys;		/* borrowed */
	struct api_cors		*cors;
	bool			 auth_none;
	size_t			 max_body;
	char			 cors_max_age[16];	/* preflight Max-Age */
	struct listener		 main;
	struct listener		 metrics;	/* daemon NULL if none */

	pthread_mutex_t		 mu;		/* guards reqs, inflight */
	pthread_cond_t		 idle;		/* inflight reached 0 */
	struct req		*reqs;
	int			 inflight;
	atomic_bool		 stopping;	/* answer with Connection: close */
	atomic_bool		 abandoning;	/* do not suspend any more */
	bool			 shut;
	int			 abandoned;
};

struct req {
	struct listener		*l;
	struct MHD_Connection	*conn;		/* NULL after completion */
	struct req		*prev, *next;	/* h->reqs, under h->mu */

	pthread_mutex_t		 mu;		/* guards the fields below */
	int			 refs;
	bool			 done;		/* store callback ran */
	bool			 suspended;
	enum store_result	 res;
	uint64_t		 count;

	/* Owned by the handler thread of the moment. */
	struct api_decision	 d;
	bool			 started;	/* store operation issued */
	const char		*op;		/* "increment", "get", "check" */
	size_t			 body;
	bool			 too_large;
	int			 status;	/* queued, 0 if none */
	struct timespec		 start;
	char			 method[16];
	char			 path[LOG_PATH_MAX];
	char			 client[ADDR_MAX];
};

static double
elapsed(const struct timespec *since)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - since->tv_sec) +
	    (double)(now.tv_nsec - since->tv_nsec) / 1e9;
}

/* Copy for the log: bounded, printable ASCII only. */
static void
copy_printable(char *dst, size_t dstlen, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < dstlen && src[i] != '\0'; i++)
		dst[i] = src[i] > ' ' && src[i] < 0x7f ? src[i] : '?';
	dst[i] = '\0';
}

static void
format_address(const struct sockaddr *sa, socklen_t len, char *out,
    size_t outlen)
{
	char host[INET6_ADDRSTRLEN], port[8];

	if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, port);
}

static void
req_free(struct req *r)
{
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
	copy_printable(r->method, sizeof(r->method), method);
	copy_printable(r->path, sizeof(r->path), url);
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci != NULL && ci->client_addr != NULL)
		format_address(ci->client_addr,
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
	metrics_inflight(1);
	return r;
}

/*
 * Queue an answer.  body (len bytes) is stolen when mode is
 * MHD_RESPMEM_MUST_FREE; ctype names it (NULL when there is no body).
 */
static enum MHD_Result
respond(struct req *r, int status, const char *ctype, char *body, size_t len,
    enum MHD_ResponseMemoryMode mode)
{
	struct http *h = r->l->h;
	struct MHD_Response *resp;
	const char *origin, *acao;
	enum MHD_Result ret;
	bool vary;

	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
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
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    "no-store");
	if (atomic_load(&h->stopping))
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

/* Answer from the store's result (or its absence, when abandoned). */
static enum MHD_Result
finish(struct req *r)
{
	enum store_result res;
	const char *message;
	uint64_t count;
	bool done;
	int status;

	pthread_mutex_lock(&r->mu);
	done = r->done;
	res = r->res;
	count = r->count;
	pthread_mutex_unlock(&r->mu);

	if (!done)
		return respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The server is shutting down; retry later.");
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
	return respond_json(r, MHD_HTTP_OK, api_json_visits(r->d.id, count));
}

static void
store_done(void *arg, enum store_result res, uint64_t count)
{
	struct req *r = arg;
	bool last;

	metrics_store_op(r->op, res);
	pthread_mutex_lock(&r->mu);
	r->res = res;
	r->count = count;
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

/* Start the store operation; answer now or suspend until it completes. */
static enum MHD_Result
start_store(struct req *r, const char *op)
{
	struct http *h = r->l->h;

	r->started = true;
	r->op = op;
	pthread_mutex_lock(&r->mu);
	r->refs++;
	pthread_mutex_unlock(&r->mu);

	if (r->d.action == API_INCREMENT)
		store_increment(h->store, r->d.id, store_done, r);
	else if (r->d.action == API_GET)
		store_get(h->store, r->d.id, store_done, r);
	else
		store_check(h->store, store_done, r);

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
		return start_store(r, "check");
	case API_INCREMENT:
		return start_store(r, "increment");
	case API_GET:
		return start_store(r, "get");
	}
	return MHD_NO;
}

static void
decide(struct req *r, const char *method, const char *url)
{
	struct http *h = r->l->h;
	const char *key;
	bool key_ok = false;

	if (!h->auth_none) {
		key = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
		    "x-api-key");
		key_ok = key != NULL && apikey_ring_check(h->keys, key,
		    strlen(key));
	}
	api_decide(&r->l->opt, method, url, key_ok, &r->d);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
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
	if (r->too_large)
		return respond_message(r, MHD_HTTP_CONTENT_TOO_LARGE,
		    "The request body is too large.");
	if (r->started)
		return finish(r);
	return act(r);
}

static void
completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
	struct listener *l = cls;
	struct http *h = l->h;
	struct req *r = *con_cls;
	double secs;

	(void)conn;
	(void)toe;
	if (r == NULL)
		return;
	*con_cls = NULL;
	secs = elapsed(&r->start);
	log_request(r->method, r->path, r->status, secs * 1e3, r->client);
	if (r->status != 0)
		metrics_request(api_route_name(r->d.route), r->status, secs);
	metrics_inflight(-1);

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

/* The path is ours to decode (api.c does it strictly): leave it as sent. */
static size_t
unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

static void mhd_log(void *, const char *, va_list)
    __attribute__((format(printf, 2, 0)));

static void
mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t len;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	len = strlen(msg);
	while (len > 0 && (msg[len - 1] == '\n' || msg[len - 1] == '\r'))
		msg[--len] = '\0';
	log_warnx("libmicrohttpd: %s", msg);
}

/* "host:port", "[v6]:port"; an empty host or "*" is every IPv4 address. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	char host[256];
	const char *colon, *port;
	size_t hostlen;
	int rc;

	if (s[0] == '[') {
		const char *close = strchr(s, ']');

		if (close == NULL || close[1] != ':') {
			snprintf(err, errlen, "listen address \"%s\": expected "
			    "[v6]:port", s);
			return -1;
		}
		hostlen = (size_t)(close - s - 1);
		memcpy(host, s + 1, hostlen < sizeof(host) ? hostlen : 0);
		colon = close + 1;
	} else {
		if ((colon = strrchr(s, ':')) == NULL) {
			snprintf(err, errlen, "listen address \"%s\": expected "
			    "host:port", s);
			return -1;
		}
		hostlen = (size_t)(colon - s);
		memcpy(host, s, hostlen < sizeof(host) ? hostlen : 0);
	}
	if (hostlen >= sizeof(host)) {
		snprintf(err, errlen, "listen address \"%s\": host too long", s);
		return -1;
	}
	host[hostlen] = '\0';
	if (hostlen == 0 || strcmp(host, "*") == 0)
		snprintf(host, sizeof(host), "0.0.0.0");
	port = colon + 1;
	if (*port == '\0' || strspn(port, "0123456789") != strlen(port) ||
	    strlen(port) > 5 || atoi(port) > 65535) {
		snprintf(err, errlen, "listen address \"%s\": bad port", s);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", s,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int
listener_start(struct listener *l, const char *listen, unsigned int flags,
    unsigned int threads, const struct config *cfg, char *err,
    size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	const union MHD_DaemonInfo *di;
	uint16_t port;

	if (parse_listen(listen, &ss, &sslen, err, errlen) == -1)
		return -1;
	flags |= MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_ITC;
	if (ss.ss_family == AF_INET6) {
		flags |= MHD_USE_DUAL_STACK;
		port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
	} else
		port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
	/* MHD binds MHD_OPTION_SOCK_ADDR; the port is for its messages. */
	l->daemon = MHD_start_daemon(flags, port, NULL, NULL, handler, l,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_LIMIT,
	    (unsigned int)(cfg->max_connections > 0 ?
	    cfg->max_connections : 1024),
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)(cfg->connection_timeout > 0 ?
	    cfg->connection_timeout : 0),
	    MHD_OPTION_NOTIFY_COMPLETED, completed, l,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
	    MHD_OPTION_END);
	if (l->daemon == NULL) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an "
		    "address of this host)", listen);
		return -1;
	}
	di = MHD_get_daemon_info(l->daemon, MHD_DAEMON_INFO_LISTEN_FD);
	sslen = sizeof(ss);
	if (di == NULL || getsockname(di->listen_fd, (struct sockaddr *)&ss,
	    &sslen) == -1) {
		snprintf(err, errlen, "cannot read the address bound for %s",
		    listen);
		return -1;
	}
	format_address((struct sockaddr *)&ss, sslen, l->address,
	    sizeof(l->address));
	return 0;
}

struct http *
http_new(const struct config *cfg, struct store *store,
    struct apikey_ring *keys, char *err, size_t errlen)
{
	struct http *h = xcalloc(1, sizeof(*h));
	pthread_condattr_t ca;
	bool split;

	h->store = store;
	h->keys = keys;
	h->auth_none = cfg->auth != NULL && strcmp(cfg->auth, "none") == 0;
	h->max_body = cfg->max_body > 0 ? (size_t)cfg->max_body : 0;
	snprintf(h->cors_max_age, sizeof(h->cors_max_age), "%d",
	    cfg->cors_max_age);
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->idle, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&h->stopping, false);
	atomic_init(&h->abandoning, false);
	if ((h->cors = api_cors_new(cfg->allowed_origins != NULL ?
	    cfg->allowed_origins : "", err, errlen)) == NULL)
		goto fail;

	split = cfg->metrics_listen != NULL && cfg->metrics_listen[0] != '\0';
	h->main.h = h;
	h->main.opt.get_increments = cfg->get_increments;
	h->main.opt.auth_none = h->auth_none;
	h->main.opt.metrics_here = !split;
	if (listener_start(&h->main, cfg->listen, MHD_ALLOW_SUSPEND_RESUME,
	    (unsigned int)(cfg->threads >= 2 ? cfg->threads : 2), cfg, err,
	    errlen) == -1)
		goto fail;
	if (split) {
		h->metrics.h = h;
		h->metrics.opt = h->main.opt;
		h->metrics.opt.metrics_here = true;
		h->metrics.opt.metrics_only = true;
		if (listener_start(&h->metrics, cfg->metrics_listen, 0, 2, cfg,
		    err, errlen) == -1)
			goto fail;
	}
	return h;
fail:
	http_free(h);
	return NULL;
}

const char *
http_address(const struct http *h)
{
	return h->main.address;
}

const char *
http_metrics_address(const struct http *h)
{
	return h->metrics.daemon != NULL ? h->metrics.address : NULL;
}

static void
quiesce(struct listener *l)
{
	MHD_socket fd;

	if (l->daemon == NULL)
		return;
	if ((fd = MHD_quiesce_daemon(l->daemon)) != MHD_INVALID_SOCKET)
		close(fd);
}

int
http_shutdown(struct http *h, int timeout_s)
{
	struct timespec deadline;
	struct req **left;
	size_t nleft = 0;

	if (h->shut)
		return h->abandoned;
	h->shut = true;
	atomic_store(&h->stopping, true);
	quiesce(&h->main);
	quiesce(&h->metrics);

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s > 0 ? timeout_s : 0;
	pthread_mutex_lock(&h->mu);
	while (h->inflight > 0)
		if (pthread_cond_timedwait(&h->idle, &h->mu, &deadline) ==
		    ETIMEDOUT)
			break;
	/*
	 * Whatever is left is abandoned.  MHD cannot stop with suspended
	 * connections, so resume them: each answers 503 and its store
	 * callback, whenever it comes, only drops its reference.
	 */
	atomic_store(&h->abandoning, true);
	h->abandoned = h->inflight;
	left = xcalloc((size_t)h->inflight + 1, sizeof(*left));
	for (struct req *r = h->reqs; r != NULL; r = r->next) {
		pthread_mutex_lock(&r->mu);
		if (r->suspended) {
			r->refs++;
			left[nleft++] = r;
		}
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_unlock(&h->mu);
	/* Resumed without h->mu held, as the store callback does. */
	for (size_t i = 0; i < nleft; i++) {
		struct req *r = left[i];

		pthread_mutex_lock(&r->mu);
		if (r->suspended) {
			r->suspended = false;
			MHD_resume_connection(r->conn);
		}
		pthread_mutex_unlock(&r->mu);
		req_unref(r);
	}
	free(left);
	if (h->abandoned > 0)
		log_warnx("http: %d request(s) abandoned at shutdown",
		    h->abandoned);

	if (h->main.daemon != NULL)
		MHD_stop_daemon(h->main.daemon);
	if (h->metrics.daemon != NULL)
		MHD_stop_daemon(h->metrics.daemon);
	h->main.daemon = h->metrics.daemon = NULL;
	return h->abandoned;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	http_shutdown(h, 0);
	api_cors_free(h->cors);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->mu);
	free(h);
}

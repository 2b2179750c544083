/*
 * http: the libmicrohttpd server's lifecycle, listeners to shutdown.
 *
 * One MHD daemon per listener, each an epoll thread pool (cfg->threads,
 * at least two: a single epoll thread stalls at a few hundred concurrent
 * connections); a separate metrics listener, when configured, serves only
 * /metrics and /healthz.  The main listener serves /metrics only when
 * metrics_public says so; /readyz stays there for load balancers.  Every
 * request is http_request.c's, from MHD's first call to the
 * completed-notification.
 *
 * The daemons have no listen socket (MHD_USE_NO_LISTEN_SOCKET): each
 * listener's socket and accept thread are http_listen.c's, which hands
 * every connection to MHD_add_connection.  libmicrohttpd 0.9.75's
 * MHD_quiesce_daemon on an epoll thread pool sets each worker's
 * was_quiesced and removes the listen FD from the worker's epoll set
 * itself, while the worker's MHD_epoll removes it too when it sees
 * was_quiesced (or reaches the connection limit); neither flag is atomic
 * or locked, so one EPOLL_CTL_DEL now and then gets ENOENT and MHD
 * aborts the process ("daemon.c:5531: Failed to remove listen FD from
 * epoll set").  A daemon that never had the socket has nothing to race
 * over.  The per-client limit and NOTIFY_CONNECTION apply to
 * MHD_add_connection as to MHD's own accept (http_listen.c says where);
 * the limit in all is the accept thread's (listener_start says why).
 *
 * Slow clients: MHD caps the connections per client address
 * (max_connections_per_client, counted across the pool) and in all
 * (max_connections plus http_conn.c's reserve for the probes); the
 * sweeper thread, every SWEEP_MS, cuts the connections whose request is
 * past header_timeout (http_conn.c) and answers 503 the requests that have
 * waited store_timeout on the store (http_inflight.c).
 *
 * Shutdown stops the accept threads and hands MHD the backlog the
 * kernel had already completed (http_listen_close; MHD_quiesce_daemon,
 * which did this before, is the defect above), shuts the store down (it
 * refuses new work and fails the increments it has not sent, so their
 * clients get a 503 now and nothing is sent for them later), lets
 * http_inflight.c wait for the in-flight requests (suspended ones
 * included) up to a timeout and resume whatever is still suspended (they
 * answer 503, and the drain waits for those answers to leave), then stops
 * the daemons: MHD refuses to stop with suspended connections.
 *
 * Not here: the listen sockets and accept threads (http_listen.c), one
 * request's handling (http_request.c), what to answer (api.c), keys
 * (apikey.c), the metrics registry (metrics.c).
 */
#include <sys/resource.h>

#include <errno.h>
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
#include "bot.h"
#include "config.h"
#include "guard.h"
#include "http.h"
#include "http_admin.h"
#include "http_conn.h"
#include "http_inflight.h"
#include "http_listen.h"
#include "http_request.h"
#include "http_stream.h"
#include "log.h"
#include "public_ids.h"
#include "salt.h"
#include "store.h"
#include "stream.h"
#include "util.h"

#define SWEEP_MS	100	/* deadline granularity */
#define SETTLE_MS	1000	/* shutdown: for requests on their way */

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

static int
connection_limit(const struct config *cfg)
{
	return cfg->max_connections > 0 ? cfg->max_connections : 1024;
}

/*
 * Every connection is a descriptor: raise the soft limit towards what the
 * connection limits need (both listeners, plus the store's and the logs'
 * few), up to the hard limit, and say so when that is not enough.
 */
static void
raise_fd_limit(const struct config *cfg, bool split)
{
	struct rlimit rl;
	rlim_t need = (rlim_t)(connection_limit(cfg) + HTTP_CONN_RESERVE) *
	    (split ? 2 : 1) + (rlim_t)cfg->stream_max + 256;

	if (getrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur >= need)
		return;
	rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max >= need ?
	    need : rl.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) == -1 || rl.rlim_cur < need)
		log_warnx("http: open files limited to %llu, fewer than the "
		    "%llu max_connections needs (raise LimitNOFILE / ulimit "
		    "-n)", (unsigned long long)rl.rlim_cur,
		    (unsigned long long)need);
}

/* The sweeper: the deadlines, every SWEEP_MS, until http_shutdown. */
static void *
sweeper_main(void *arg)
{
	struct http *h = arg;
	struct timespec ts;
	uint64_t now;

	pthread_mutex_lock(&h->sweep_mu);
	while (!h->sweep_stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_nsec += SWEEP_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&h->sweep_cv, &h->sweep_mu, &ts);
		if (h->sweep_stop)
			break;
		pthread_mutex_unlock(&h->sweep_mu);
		now = util_now_ms();
		http_conn_sweep(h->conns, now);
		http_inflight_expire(h, now);
		pthread_mutex_lock(&h->sweep_mu);
	}
	pthread_mutex_unlock(&h->sweep_mu);
	return NULL;
}

static void
sweeper_stop(struct http *h)
{
	if (!h->sweeper_started)
		return;
	pthread_mutex_lock(&h->sweep_mu);
	h->sweep_stop = true;
	pthread_cond_signal(&h->sweep_cv);
	pthread_mutex_unlock(&h->sweep_mu);
	pthread_join(h->sweeper, NULL);
	h->sweeper_started = false;
}

/*
 * Each connection's libmicrohttpd pool: the request's header block, MHD's
 * parsed headers, the answer's header lines and the read buffer for a
 * body (which upload callbacks consume piece by piece, so an admin import
 * streams through it).  MHD's default is 32 KiB, all of it touched: MHD
 * zeroes the pool between keep-alive requests, which made memset the
 * largest user-space item of a POST's profile (docs/performance.md) and
 * 512 busy connections 16 MB.  A request needs about twice its header
 * block: 16 KiB still takes a browser's full header set, a 4 KiB Cookie,
 * the x-api-key, an Authorization and a PUT body (6 KB of headers;
 * check_http's maximal_request test); 8 KiB refused one with a 2 KiB Cookie
 * (431).  Past it MHD answers 431.
 */
#define HTTP_CONN_MEMORY	(16 * 1024)

/*
 * The listener's socket first (so a port in use is said as such), then
 * its daemon without a listen socket, then the accept thread feeding it.
 */
static int
listener_start(struct listener *l, const char *listen, unsigned int flags,
    unsigned int threads, const struct config *cfg, bool streams, char *err,
    size_t errlen)
{
	/*
	 * The limit is the accept thread's (http_listen_start), with MHD's
	 * own per worker (its limit / threads) twice the whole: in 0.9.75 a
	 * connection MHD_add_connection queued for a worker that is full by
	 * the time the worker takes it returns from new_connection_process_
	 * without unlocking cleanup_connection_mutex, and that worker then
	 * deadlocks (MHD's own accept never gets there).
	 */
	unsigned int limit = (unsigned int)connection_limit(cfg) +
	    HTTP_CONN_RESERVE;
	/*
	 * Live-count streams have their own limits (stream.c) and are not
	 * ordinary requests (http_conn.c counts them apart): room for them
	 * on top in all.  MHD's per-address cap still counts them: it is a
	 * socket-level bound that stays what max_connections_per_client says
	 * (stream_max_per_client is far below it by default).
	 */
	unsigned int per_client = cfg->max_connections_per_client > 0 ?
	    (unsigned int)cfg->max_connections_per_client : 0;

	if (streams)
		limit += (unsigned int)cfg->stream_max;

	if ((l->sock = http_listen_open(listen, l->address,
	    sizeof(l->address), err, errlen)) == NULL)
		return -1;
	flags |= MHD_USE_EPOLL_INTERNAL_THREAD | MHD_USE_ERROR_LOG |
	    MHD_USE_ITC | MHD_USE_NO_LISTEN_SOCKET;
	l->daemon = MHD_start_daemon(flags, 0, NULL, NULL,
	    http_request_handler, l,
	    MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_LIMIT, 2 * threads * limit,
	    MHD_OPTION_PER_IP_CONNECTION_LIMIT, per_client,
	    MHD_OPTION_CONNECTION_TIMEOUT,
	    (unsigned int)(cfg->connection_timeout > 0 ?
	    cfg->connection_timeout : 0),
	    MHD_OPTION_NOTIFY_COMPLETED, http_request_completed, l,
	    MHD_OPTION_NOTIFY_CONNECTION, http_conn_notify, l->h->conns,
	    MHD_OPTION_UNESCAPE_CALLBACK, unescape_none, NULL,
	    MHD_OPTION_END);
	if (l->daemon == NULL) {
		snprintf(err, errlen, "cannot start the server for %s",
		    listen);
		return -1;
	}
	return http_listen_start(l->sock, l->daemon, limit, err, errlen);
}

struct http *
http_new(const struct config *cfg, struct store *store,
    struct apikey_ring *keys, char *err, size_t errlen)
{
	return http_new_admin(cfg, store, keys, NULL, err, errlen);
}

struct http *
http_new_admin(const struct config *cfg, struct store *store,
    struct apikey_ring *keys, struct apikey_ring *admin, char *err,
    size_t errlen)
{
	struct http *h = xcalloc(1, sizeof(*h));
	pthread_condattr_t ca;
	bool split;

	h->store = store;
	h->keys = keys;
	h->auth_none = cfg->auth != NULL && strcmp(cfg->auth, "none") == 0;
	h->count_bots = cfg->count_bots;
	h->log_client = cfg->log_client_address;
	bot_init();		/* the crawler tables, not on a request */
	h->max_body = cfg->max_body > 0 ? (size_t)cfg->max_body : 0;
	snprintf(h->cors_max_age, sizeof(h->cors_max_age), "%d",
	    cfg->cors_max_age);
	pthread_mutex_init(&h->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&h->idle, &ca);
	pthread_cond_init(&h->sweep_cv, &ca);
	pthread_condattr_destroy(&ca);
	pthread_mutex_init(&h->sweep_mu, NULL);
	h->store_timeout_ms = cfg->store_timeout > 0 ?
	    (uint64_t)cfg->store_timeout * 1000 : 0;
	h->conns = http_conn_table_new(cfg->header_timeout > 0 ?
	    cfg->header_timeout * 1000 : 0,
	    (unsigned int)connection_limit(cfg));
	atomic_init(&h->stopping, false);
	atomic_init(&h->abandoning, false);
	http_metrics_register(&h->m);
	if ((h->cors = api_cors_new(cfg->allowed_origins != NULL ?
	    cfg->allowed_origins : "", err, errlen)) == NULL)
		goto fail;
	if ((h->guard = guard_new(cfg, err, errlen)) == NULL)
		goto fail;
	if ((h->salts = salt_keeper_new(cfg, store, NULL, err, errlen)) ==
	    NULL)
		goto fail;
	if ((h->public_ids = public_ids_new(cfg->public_ids, err,
	    errlen)) == NULL)
		goto fail;

	split = cfg->metrics_listen != NULL && cfg->metrics_listen[0] != '\0';
	raise_fd_limit(cfg, split);
	h->main.h = h;
	h->main.opt.get_increments = cfg->get_increments;
	h->main.opt.auth_none = h->auth_none;
	h->main.opt.countapi = cfg->countapi;
	h->main.opt.is_public = public_ids_match;
	h->main.opt.public_ids = h->public_ids;
	/* /metrics tells anyone the version and the traffic: opt in. */
	h->main.opt.metrics_here = cfg->metrics_public;
	if (admin != NULL) {
		h->admin = http_admin_new(admin, h->max_body,
		    (size_t)cfg->admin_import_max_bytes, &h->stopping);
		h->main.opt.admin = true;
	}
	if ((h->streams = http_stream_hub_new(cfg, store, err, errlen)) ==
	    NULL)
		goto fail;
	if (listener_start(&h->main, cfg->listen, MHD_ALLOW_SUSPEND_RESUME,
	    (unsigned int)(cfg->threads >= 2 ? cfg->threads : 2), cfg, true,
	    err, errlen) == -1)
		goto fail;
	if (split) {
		h->metrics.h = h;
		h->metrics.opt = h->main.opt;
		h->metrics.opt.metrics_here = true;
		h->metrics.opt.metrics_only = true;
		if (listener_start(&h->metrics, cfg->metrics_listen, 0, 2, cfg,
		    false, err, errlen) == -1)
			goto fail;
	}
	if ((errno = pthread_create(&h->sweeper, NULL, sweeper_main, h)) !=
	    0) {
		snprintf(err, errlen, "cannot start the sweeper thread: %s",
		    strerror(errno));
		goto fail;
	}
	h->sweeper_started = true;
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

/*
 * Stop accepting.  The connections the kernel had completed but the
 * accept thread not yet taken are clients already (they have sent their
 * request): http_listen_close hands them to MHD first, to be answered
 * like the others (with Connection: close), then closes the socket.
 */
static void
quiesce(struct listener *l)
{
	http_listen_close(l->sock);
	l->sock = NULL;
}

/*
 * Before the daemons stop: give the connections whose request is on its
 * way (accepted just before the quiesce, or a keep-alive request sent as
 * the signal came) up to SETTLE_MS to arrive and be answered, rather than
 * reset them.
 */
static void
settle(struct http *h)
{
	uint64_t until = util_now_ms() + SETTLE_MS;
	bool idle;

	do {
		pthread_mutex_lock(&h->mu);
		idle = h->inflight == 0;
		pthread_mutex_unlock(&h->mu);
		if (idle && http_conn_reading(h->conns) == 0)
			return;
		usleep(10000);
	} while (util_now_ms() < until);
}

int
http_shutdown(struct http *h, int timeout_s)
{
	if (h->shut)
		return h->abandoned;
	h->shut = true;
	atomic_store(&h->stopping, true);
	quiesce(&h->main);
	quiesce(&h->metrics);
	salt_keeper_stop(h->salts);	/* it may be inside the store */
	if (h->sweeper_started)		/* served: not a failed http_new */
		store_shutdown(h->store);
	/* Streams end now: the drain below must not wait on them. */
	stream_hub_shutdown(h->streams);

	h->abandoned = http_inflight_drain(h, timeout_s);
	settle(h);

	if (h->main.daemon != NULL)
		MHD_stop_daemon(h->main.daemon);
	if (h->metrics.daemon != NULL)
		MHD_stop_daemon(h->metrics.daemon);
	h->main.daemon = h->metrics.daemon = NULL;
	sweeper_stop(h);
	return h->abandoned;
}

void
http_free(struct http *h)
{
	if (h == NULL)
		return;
	http_shutdown(h, 0);
	api_cors_free(h->cors);
	public_ids_free(h->public_ids);
	stream_hub_free(h->streams);	/* the daemons closed every stream */
	http_conn_table_free(h->conns);
	pthread_cond_destroy(&h->sweep_cv);
	pthread_mutex_destroy(&h->sweep_mu);
	guard_free(h->guard);
	http_admin_free(h->admin);	/* its jobs saw stopping */
	salt_keeper_free(h->salts);
	pthread_cond_destroy(&h->idle);
	pthread_mutex_destroy(&h->mu);
	free(h);
}


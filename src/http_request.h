/*
 * http_request: the private seam between http.c (the listeners' lifecycle)
 * and http_request.c (one request, from MHD's first call to its
 * completion).  Nothing outside those two files includes this header.
 *
 * http.c creates the server, starts a daemon per listener with the
 * handler and completion callbacks below, and at shutdown hands the
 * in-flight set to http_request_drain.  http_request.c owns that set, the
 * per-request state and the request metrics; it never starts or stops a
 * daemon.  The dependency runs one way: http.c uses this file's functions,
 * never the reverse.
 */
#ifndef VISITSD_HTTP_REQUEST_H
#define VISITSD_HTTP_REQUEST_H

#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "api.h"
#include "http_metrics.h"
#include "metrics.h"
#include "store.h"

#define HTTP_ADDR_MAX	(INET6_ADDRSTRLEN + 8)	/* "[v6]:port" */

struct apikey_ring;
struct guard;
struct salt_keeper;
struct http;
struct http_conn_table;
struct http_listen;
struct req;
struct stream_hub;

struct listener {
	struct http		*h;
	struct MHD_Daemon	*daemon;
	struct http_listen	*sock;		/* listen socket, accept thread */
	struct api_options	 opt;
	char			 address[HTTP_ADDR_MAX];
};

struct http {
	struct store		*store;		/* borrowed */
	struct apikey_ring	*keys;		/* borrowed */
	struct api_cors		*cors;
	struct guard		*guard;		/* origin guard, rate limit */
	struct salt_keeper	*salts;		/* unique visitors' salts */
	bool			 auth_none;
	bool			 count_bots;	/* crawlers' increments count */
	size_t			 max_body;
	char			 cors_max_age[16];	/* preflight Max-Age */
	struct listener	 main;
	struct listener	 metrics;	/* daemon NULL if none */
	struct http_metrics	 m;
	struct http_conn_table	*conns;		/* deadlines, reserve */
	struct stream_hub	*streams;	/* live counts (stream.c) */
	uint64_t		 store_timeout_ms;

	/* The sweeper thread (http.c): deadlines, every SWEEP_MS. */
	pthread_t		 sweeper;
	bool			 sweeper_started;
	pthread_mutex_t		 sweep_mu;
	pthread_cond_t		 sweep_cv;
	bool			 sweep_stop;

	pthread_mutex_t		 mu;		/* guards reqs, inflight */
	pthread_cond_t		 idle;		/* inflight reached 0 */
	struct req		*reqs;
	int			 inflight;
	atomic_bool		 stopping;	/* answer with Connection: close */
	atomic_bool		 abandoning;	/* do not suspend any more */
	bool			 shut;
	int			 abandoned;
};

/*
 * MHD's access handler and completed-notification; cls is the struct
 * http_listener the daemon serves (borrowed).  The handler allocates the
 * request state in *con_cls on the first call; the notification logs and
 * counts the request and drops MHD's reference to it.
 */
enum MHD_Result	http_request_handler(void *cls, struct MHD_Connection *conn,
		    const char *url, const char *method, const char *version,
		    const char *upload_data, size_t *upload_data_size,
		    void **con_cls);
void		http_request_completed(void *cls,
		    struct MHD_Connection *conn, void **con_cls,
		    enum MHD_RequestTerminationCode toe);

/*
 * Answer 503 (Retry-After) every request that has waited on the store for
 * h->store_timeout_ms by now_ms (util_now_ms()): it is resumed without a
 * result and its store callback, whenever it comes, only drops its
 * reference.  Called by the sweeper thread.
 */
void	http_request_expire(struct http *h, uint64_t now_ms);

/*
 * Wait up to timeout_s seconds for the in-flight requests to complete,
 * then abandon the rest: from now on nothing suspends, and every request
 * still suspended is resumed to answer 503 (its store callback, whenever
 * it comes, only drops its reference); then wait a little more (bounded)
 * for those answers to go out, so that the daemons stop only after.  Call
 * once, with the listeners quiesced and the store shut down (so nothing
 * queued is sent after its client was answered), before the daemons stop.
 * Returns the number abandoned.
 */
int	http_request_drain(struct http *h, int timeout_s);

#endif

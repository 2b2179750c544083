/*
 * http_request: the private seam between http.c (the listeners' lifecycle)
 * and the files that handle one request: http_request.c (from MHD's first
 * call to its completion), http_respond.c (its answer) and
 * http_inflight.c (the in-flight set, expiry, the drain).  Nothing outside
 * those four files includes this header.
 *
 * http.c creates the server, starts a daemon per listener with the
 * handler and completion callbacks below, has the sweeper expire the
 * requests that waited too long and at shutdown hands the in-flight set
 * to http_inflight_drain (http_inflight.h).  The request files own that
 * set, the per-request state (http_req.h) and the request metrics; they
 * never start or stop a daemon.  The dependency runs one way: http.c uses
 * their functions, never the reverse.
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
struct http_admin;
struct http_conn_table;
struct http_listen;
struct public_ids;
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
	struct http_admin	*admin;		/* NULL: no admin key */
	struct api_cors		*cors;
	struct guard		*guard;		/* origin guard, rate limit */
	struct salt_keeper	*salts;		/* unique visitors' salts */
	struct public_ids	*public_ids;	/* VISITSD_PUBLIC_IDS */
	bool			 auth_none;
	bool			 count_bots;	/* crawlers' increments count */
	bool			 log_client;	/* request lines name the client */
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

#endif

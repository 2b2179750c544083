/*
 * http_req.h: one request's state, shared by the three files that handle
 * it and by nobody else: http_request.c (the MHD callbacks: decide, start
 * the store operation, suspend, resume, finish), http_respond.c (queue an
 * answer with the headers every answer has) and http_inflight.c (the
 * in-flight set, the reference count, expiry and the shutdown drain).
 *
 * Locking: the fields from mu to ndays are guarded by r->mu; prev and next
 * by h->mu; the rest belong to the handler thread of the moment (MHD calls
 * the handler for one connection on one thread at a time).
 *
 * Not here: the listeners and the server (http_request.h), what to answer
 * (api.h).
 */
#ifndef VISITSD_HTTP_REQ_H
#define VISITSD_HTTP_REQ_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <microhttpd.h>

#include "api.h"
#include "guard.h"
#include "http_request.h"
#include "metrics.h"
#include "store.h"

#define LOG_PATH_MAX	256

struct http_admin_body;
struct stream;

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
	struct http_admin_body	*admin;		/* PUT, import: the body */
	struct store_counts	 put;		/* PUT: the counts to set */
	bool			 too_large;
	int			 status;	/* queued, 0 if none */
	struct stream		*stream;	/* reserved, not answered yet */
	bool			 close;		/* answer with Connection: close */
	struct timespec		 start;
	char			 method[16];
	char			 path[LOG_PATH_MAX];
	char			 client[HTTP_ADDR_MAX];
};


#endif

/*
 * http_metrics: the HTTP request metrics' series (http_metrics.c), kept in
 * struct http by http.c and counted by http_request.c.  Part of the
 * private seam of the http module, like http_request.h.
 */
#ifndef VISITSD_HTTP_METRICS_H
#define VISITSD_HTTP_METRICS_H

#include "api.h"
#include "metrics.h"
#include "store.h"

#define HTTP_STATUS_MIN	100
#define HTTP_NSTATUS	500			/* 100..599 are counted */

/*
 * The request metrics' series, registered by http_metrics_register.  A
 * (route, status) series is registered on its first use and kept here, so
 * every later request is one relaxed atomic addition.
 */
struct http_metrics {
	struct metrics_family			*requests;
	_Atomic(struct metrics_counter *)	 by_status[API_NROUTES]
						    [HTTP_NSTATUS];
	struct metrics_histogram		*duration[API_NROUTES];
	struct metrics_counter			*inflight;
	struct metrics_counter			*store_ops[STORE_NOPS]
						    [STORE_NRESULTS];
	/* Answered 503 without the store's result: [op][timeout|shutdown]. */
	struct metrics_counter			*gave_up[STORE_NOPS][2];
	struct metrics_counter			*at_limit;
	/* Crawlers' increments (bot.c): [0] ignored, [1] counted. */
	struct metrics_counter			*bots[2];
};

/* Register the request metrics' families and series into *m. */
void	http_metrics_register(struct http_metrics *m);

/*
 * Count one finished request: its (route, status) series (registered on
 * first use; afterwards no lock) and its duration in seconds.
 */
void	http_metrics_count(struct http_metrics *m, enum api_route route,
	    int status, double secs);

#endif

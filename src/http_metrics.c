/*
 * http_metrics: the HTTP request metrics, registered once per server and
 * counted by http_request.c.
 *
 * Requests by route and status (each (route, status) series registered on
 * its first use, then one relaxed atomic addition), their duration, the
 * requests in flight, the store operations by result, and the requests
 * answered 503 without the store's result or at the limit.
 *
 * Not here: the registry and the text format (metrics.c), the connection
 * metrics (http_conn.c).
 */
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "api.h"
#include "http_metrics.h"
#include "metrics.h"
#include "store.h"

/* Upper bounds of the request duration buckets, in seconds. */
static const double duration_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5,
};
static const char *const labels_route_code[] = { "route", "code", NULL };
static const char *const labels_route[] = { "route", NULL };
static const char *const labels_op_result[] = { "op", "result", NULL };
static const char *const labels_op_reason[] = { "op", "reason", NULL };
static const char *const labels_outcome[] = { "outcome", NULL };
static const char *const outcome_ignored[] = { "ignored" };
static const char *const outcome_counted[] = { "counted" };

void
http_metrics_register(struct http_metrics *m)
{
	struct metrics_family *f;

	memset(m, 0, sizeof(*m));
	m->requests = metrics_family_new("visitsd_http_requests_total",
	    "HTTP requests answered, by route and status code.",
	    METRICS_COUNTER, labels_route_code, NULL, 0);
	f = metrics_family_new("visitsd_http_request_duration_seconds",
	    "Time from the request's first byte to the end of the answer.",
	    METRICS_HISTOGRAM, labels_route, duration_le,
	    sizeof(duration_le) / sizeof(duration_le[0]));
	for (int r = 0; r < API_NROUTES; r++) {
		const char *values[] = { api_route_name((enum api_route)r) };

		m->duration[r] = metrics_family_histogram(f, values,
		    METRICS_HIDE_ZERO);
	}
	f = metrics_family_new("visitsd_http_requests_in_flight",
	    "HTTP requests being served, suspended ones included.",
	    METRICS_GAUGE, NULL, NULL, 0);
	m->inflight = metrics_family_counter(f, NULL, 0);
	/* Every operation and every result: a new result gets its series. */
	f = metrics_family_new("visitsd_store_operations_total",
	    "Store operations, by operation and result.", METRICS_COUNTER,
	    labels_op_result, NULL, 0);
	for (int o = 0; o < STORE_NOPS; o++)
		for (int r = 0; r < STORE_NRESULTS; r++) {
			const char *values[] = {
				store_op_str((enum store_op)o),
				store_result_str((enum store_result)r),
			};

			m->store_ops[o][r] = metrics_family_counter(f, values,
			    r == STORE_OK ? 0 : METRICS_HIDE_ZERO);
		}
	f = metrics_family_new("visitsd_http_store_gave_up_total",
	    "Requests answered 503 before their store operation completed: "
	    "store_timeout passed, or the shutdown drain ended. For an "
	    "increment the outcome is unknown to the client.", METRICS_COUNTER,
	    labels_op_reason, NULL, 0);
	for (int o = 0; o < STORE_NOPS; o++) {
		const char *timeout[] = { store_op_str((enum store_op)o),
		    "timeout" };
		const char *shutdown[] = { store_op_str((enum store_op)o),
		    "shutdown" };

		m->gave_up[o][0] = metrics_family_counter(f, timeout,
		    o == STORE_OP_INCREMENT ? 0 : METRICS_HIDE_ZERO);
		m->gave_up[o][1] = metrics_family_counter(f, shutdown,
		    o == STORE_OP_INCREMENT ? 0 : METRICS_HIDE_ZERO);
	}
	f = metrics_family_new("visitsd_http_at_limit_total",
	    "Requests answered 503 at once because max_connections requests "
	    "were in progress (/healthz and /metrics are always served).",
	    METRICS_COUNTER, NULL, NULL, 0);
	m->at_limit = metrics_family_counter(f, NULL, 0);
	f = metrics_family_new("visitsd_http_bot_visits_total",
	    "Increments whose User-Agent is on the crawler list: ignored "
	    "(answered like a GET) or counted (count_bots).", METRICS_COUNTER,
	    labels_outcome, NULL, 0);
	m->bots[0] = metrics_family_counter(f, outcome_ignored, 0);
	m->bots[1] = metrics_family_counter(f, outcome_counted, 0);
}

/*
 * A finished request.  Its (route, status) series is registered on first
 * use; afterwards the counting takes no lock.
 */
void
http_metrics_count(struct http_metrics *m, enum api_route route, int status,
    double secs)
{
	_Atomic(struct metrics_counter *) *slot;
	struct metrics_counter *c;
	char code[8];

	if (status >= HTTP_STATUS_MIN && status < HTTP_STATUS_MIN + HTTP_NSTATUS) {
		slot = &m->by_status[route][status - HTTP_STATUS_MIN];
		if ((c = atomic_load_explicit(slot, memory_order_acquire)) ==
		    NULL) {
			const char *values[] = { api_route_name(route), code };

			snprintf(code, sizeof(code), "%d", status);
			c = metrics_family_counter(m->requests, values,
			    METRICS_HIDE_ZERO);
			atomic_store_explicit(slot, c, memory_order_release);
		}
		metrics_counter_add(c, 1);
	}
	metrics_histogram_observe(m->duration[route], secs);
}

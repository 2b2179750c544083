/*
 * metrics: process-wide counters and histograms, Prometheus text format.
 *
 * Metrics are global because they describe the process, as every
 * Prometheus client library does.  Updates are lock-free atomics and cost a
 * few nanoseconds; only metrics_render takes a lock.  Modules register the
 * counters they own at startup with metrics_counter_new and keep the
 * pointer; the HTTP request metrics have dedicated calls.
 */
#ifndef VISITSD_METRICS_H
#define VISITSD_METRICS_H

#include <stdint.h>

#include "store.h"

struct metrics_counter;

/*
 * Register a counter (or gauge, when gauge is nonzero) named name with a
 * fixed label set such as "op=\"UpdateItem\",kind=\"throttled\"" (NULL for
 * none).  Strings are borrowed and must be static.  Registering the same
 * name and labels twice returns the same counter.  The pointer is valid
 * until metrics_cleanup.
 */
struct metrics_counter	*metrics_counter_new(const char *name,
			    const char *labels, const char *help, int gauge);
void	metrics_counter_add(struct metrics_counter *, int64_t delta);

/* One finished HTTP request: route name ("visits", "healthz", ...). */
void	metrics_request(const char *route, int status, double seconds);
/* In-flight HTTP requests gauge. */
void	metrics_inflight(int delta);
/* One finished store operation ("increment", "get", "check"). */
void	metrics_store_op(const char *op, enum store_result res);

/* The exposition text, a new malloc'd string the caller frees. */
char	*metrics_render(void);

/* Startup/teardown: build info label values; free every counter. */
void	metrics_init(const char *version, const char *store);
void	metrics_cleanup(void);

#endif

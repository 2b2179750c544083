/*
 * metrics: process-wide counters, gauges and histograms, Prometheus text.
 *
 * Metrics are global because they describe the process, as every
 * Prometheus client library does.  This module is a leaf: it knows no
 * metric of anybody else's.  A module that owns some label values
 * registers a family (name, help, type, label names) and one series per
 * label set it will use, at startup, and keeps the pointers in a table
 * indexed by its own enums; the hot path is then one relaxed atomic
 * addition on a pointer it already holds.  Registration and rendering take
 * a mutex; both are rare.
 */
#ifndef VISITSD_METRICS_H
#define VISITSD_METRICS_H

#include <stddef.h>
#include <stdint.h>

enum metrics_type {
	METRICS_COUNTER,
	METRICS_GAUGE,
	METRICS_HISTOGRAM,
};

/* A series flag: leave the series out of the text while it is zero. */
#define METRICS_HIDE_ZERO	0x1

struct metrics_family;
struct metrics_counter;		/* one series of a counter or gauge family */
struct metrics_histogram;	/* one series of a histogram family */

/*
 * Register the family called name.  labels is the NULL-terminated list of
 * its label names (NULL for none); for METRICS_HISTOGRAM, buckets holds
 * nbuckets ascending upper bounds (the +Inf bucket is implied); otherwise
 * buckets is NULL.  Every string and the bucket array are borrowed and must
 * be static.  Registering a name again returns the family registered first
 * (its help, type, labels and buckets win).  Families render in the order
 * of their first registration.  The pointer is borrowed from the registry
 * and valid until metrics_cleanup.
 */
struct metrics_family	*metrics_family_new(const char *name,
			    const char *help, enum metrics_type type,
			    const char *const *labels, const double *buckets,
			    size_t nbuckets);

/*
 * The series of a counter or gauge family (metrics_family_histogram for a
 * histogram family) with the label values values, one per label name of
 * the family (NULL when it has none).  The values are borrowed for the
 * call only: they are copied, escaped for the text format.  flags is 0 or
 * METRICS_HIDE_ZERO.  Asking for the same label values again returns the
 * same series.  Series render in the order of their first registration.
 * The pointer is borrowed and valid until metrics_cleanup.
 */
struct metrics_counter	*metrics_family_counter(struct metrics_family *,
			    const char *const *values, unsigned flags);
struct metrics_histogram *metrics_family_histogram(struct metrics_family *,
			    const char *const *values, unsigned flags);

/*
 * Register one counter (or gauge, when gauge is nonzero) series of the
 * family name with a preformatted label set such as
 * "op=\"UpdateItem\",kind=\"throttled\"" (NULL for none).  Strings are
 * borrowed and must be static.  Registering the same name and labels twice
 * returns the same series.  The pointer is valid until metrics_cleanup.
 */
struct metrics_counter	*metrics_counter_new(const char *name,
			    const char *labels, const char *help, int gauge);

/* Add delta (negative for a gauge going down).  Accepts NULL. */
void	metrics_counter_add(struct metrics_counter *, int64_t delta);
/* Count one observation of value (non-negative).  Accepts NULL. */
void	metrics_histogram_observe(struct metrics_histogram *, double value);

/* The exposition text, a new malloc'd string the caller frees. */
char	*metrics_render(void);

/*
 * Startup: register visitsd_build_info with these label values (borrowed
 * for the call); a second call replaces them.  Teardown: free every family
 * and series, after which every pointer handed out is invalid.
 */
void	metrics_init(const char *version, const char *store);
void	metrics_cleanup(void);

#endif

/*
 * metrics: process-wide counters and histograms in Prometheus text format.
 *
 * The hot path (metrics_request, metrics_inflight, metrics_store_op,
 * metrics_counter_add) only does relaxed atomic additions on fixed arrays:
 * routes and store operations are a small closed set, and HTTP status codes
 * index a dense table, so no lookup needs a lock.  Registration of named
 * counters (metrics_counter_new) and rendering take a mutex; both are rare.
 *
 * Not here: deciding what a route or an operation is called (api.c and the
 * stores pass their names), or serving the text (http.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

static const char *const route_names[] = {
	"visits", "healthz", "readyz", "metrics", "not_found", "other",
};
#define NROUTES		(sizeof(route_names) / sizeof(route_names[0]))
#define STATUS_MIN	100
#define NSTATUS		500		/* 100..599 */

static const double bucket_le[] = {
	0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1,
	2.5, 5,
};
#define NBUCKETS	(sizeof(bucket_le) / sizeof(bucket_le[0]))

static const char *const op_names[] = { "increment", "get", "check", "other" };
#define NOPS		(sizeof(op_names) / sizeof(op_names[0]))
#define NRESULTS	4		/* enum store_result */

struct histogram {
	atomic_uint_fast64_t	bucket[NBUCKETS];	/* not cumulative */
	atomic_uint_fast64_t	count;
	atomic_uint_fast64_t	sum_ns;
};

struct metrics_counter {
	const char		*name;
	const char		*labels;
	const char		*help;
	int			 gauge;
	atomic_int_fast64_t	 value;
	struct metrics_counter	*next;
};

static atomic_uint_fast64_t	requests[NROUTES][NSTATUS];
static struct histogram		duration[NROUTES];
static atomic_int_fast64_t	inflight;
static atomic_uint_fast64_t	store_ops[NOPS][NRESULTS];

static pthread_mutex_t		reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_counter	*counters;	/* registration order */
static char			*build_version;
static char			*build_store;

static size_t
index_of(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n - 1; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return n - 1;			/* "other" */
}

struct metrics_counter *
metrics_counter_new(const char *name, const char *labels, const char *help,
    int gauge)
{
	struct metrics_counter *c, **tail;

	pthread_mutex_lock(&reg_lock);
	for (tail = &counters; (c = *tail) != NULL; tail = &c->next)
		if (strcmp(c->name, name) == 0 &&
		    strcmp(c->labels ? c->labels : "", labels ? labels : "") == 0)
			goto out;
	c = xcalloc(1, sizeof(*c));
	c->name = name;
	c->labels = labels;
	c->help = help;
	c->gauge = gauge;
	*tail = c;
out:
	pthread_mutex_unlock(&reg_lock);
	return c;
}

void
metrics_counter_add(struct metrics_counter *c, int64_t delta)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->value, delta,
		    memory_order_relaxed);
}

void
metrics_request(const char *route, int status, double seconds)
{
	size_t r = index_of(route_names, NROUTES, route);
	struct histogram *h = &duration[r];
	size_t b;

	if (status >= STATUS_MIN && status < STATUS_MIN + NSTATUS)
		atomic_fetch_add_explicit(&requests[r][status - STATUS_MIN], 1,
		    memory_order_relaxed);
	for (b = 0; b < NBUCKETS; b++)
		if (seconds <= bucket_le[b]) {
			atomic_fetch_add_explicit(&h->bucket[b], 1,
			    memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	if (seconds > 0)
		atomic_fetch_add_explicit(&h->sum_ns,
		    (uint_fast64_t)(seconds * 1e9), memory_order_relaxed);
}

void
metrics_inflight(int delta)
{
	atomic_fetch_add_explicit(&inflight, delta, memory_order_relaxed);
}

void
metrics_store_op(const char *op, enum store_result res)
{
	size_t o = index_of(op_names, NOPS, op);
	size_t r = (size_t)res < NRESULTS ? (size_t)res : STORE_ERROR;

	atomic_fetch_add_explicit(&store_ops[o][r], 1, memory_order_relaxed);
}

static uint64_t
load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

static void
render_http(FILE *fp)
{
	fputs("# HELP visitsd_http_requests_total HTTP requests answered, by "
	    "route and status code.\n"
	    "# TYPE visitsd_http_requests_total counter\n", fp);
	for (size_t r = 0; r < NROUTES; r++)
		for (size_t s = 0; s < NSTATUS; s++) {
			uint64_t n = load(&requests[r][s]);

			if (n != 0)
				fprintf(fp, "visitsd_http_requests_total"
				    "{route=\"%s\",code=\"%zu\"} %" PRIu64 "\n",
				    route_names[r], s + STATUS_MIN, n);
		}

	fputs("# HELP visitsd_http_request_duration_seconds Time from the "
	    "request's first byte to the end of the answer.\n"
	    "# TYPE visitsd_http_request_duration_seconds histogram\n", fp);
	for (size_t r = 0; r < NROUTES; r++) {
		struct histogram *h = &duration[r];
		uint64_t cum = 0, count = load(&h->count);

		if (count == 0)
			continue;
		for (size_t b = 0; b < NBUCKETS; b++) {
			cum += load(&h->bucket[b]);
			fprintf(fp, "visitsd_http_request_duration_seconds_bucket"
			    "{route=\"%s\",le=\"%g\"} %" PRIu64 "\n",
			    route_names[r], bucket_le[b], cum);
		}
		/* Buckets and count are read apart: never show fewer. */
		if (count < cum)
			count = cum;
		fprintf(fp, "visitsd_http_request_duration_seconds_bucket"
		    "{route=\"%s\",le=\"+Inf\"} %" PRIu64 "\n"
		    "visitsd_http_request_duration_seconds_sum"
		    "{route=\"%s\"} %.9f\n"
		    "visitsd_http_request_duration_seconds_count"
		    "{route=\"%s\"} %" PRIu64 "\n",
		    route_names[r], count, route_names[r],
		    (double)load(&h->sum_ns) / 1e9, route_names[r], count);
	}

	fprintf(fp, "# HELP visitsd_http_requests_in_flight HTTP requests "
	    "being served, suspended ones included.\n"
	    "# TYPE visitsd_http_requests_in_flight gauge\n"
	    "visitsd_http_requests_in_flight %" PRIdFAST64 "\n",
	    atomic_load_explicit(&inflight, memory_order_relaxed));
}

static void
render_store(FILE *fp)
{
	fputs("# HELP visitsd_store_operations_total Store operations, by "
	    "operation and result.\n"
	    "# TYPE visitsd_store_operations_total counter\n", fp);
	for (size_t o = 0; o < NOPS; o++)
		for (size_t r = 0; r < NRESULTS; r++) {
			uint64_t n = load(&store_ops[o][r]);

			if (n != 0 || (o < NOPS - 1 && r == STORE_OK))
				fprintf(fp, "visitsd_store_operations_total"
				    "{op=\"%s\",result=\"%s\"} %" PRIu64 "\n",
				    op_names[o],
				    store_result_str((enum store_result)r), n);
		}
}

/* Registered counters; HELP and TYPE once per name.  Caller holds lock. */
static void
render_counters(FILE *fp)
{
	for (struct metrics_counter *c = counters; c != NULL; c = c->next) {
		struct metrics_counter *p;

		for (p = counters; p != c; p = p->next)
			if (strcmp(p->name, c->name) == 0)
				break;
		if (p == c)
			fprintf(fp, "# HELP %s %s\n# TYPE %s %s\n", c->name,
			    c->help ? c->help : c->name, c->name,
			    c->gauge ? "gauge" : "counter");
		fprintf(fp, "%s%s%s%s %" PRIdFAST64 "\n", c->name,
		    c->labels ? "{" : "", c->labels ? c->labels : "",
		    c->labels ? "}" : "",
		    atomic_load_explicit(&c->value, memory_order_relaxed));
	}
}

char *
metrics_render(void)
{
	char *text = NULL;
	size_t len = 0;
	FILE *fp;

	if ((fp = open_memstream(&text, &len)) == NULL) {
		log_error("metrics: out of memory");
		abort();
	}
	pthread_mutex_lock(&reg_lock);
	fprintf(fp, "# HELP visitsd_build_info Version and store of this "
	    "process.\n# TYPE visitsd_build_info gauge\n"
	    "visitsd_build_info{version=\"%s\",store=\"%s\"} 1\n",
	    build_version ? build_version : "", build_store ? build_store : "");
	render_http(fp);
	render_store(fp);
	render_counters(fp);
	pthread_mutex_unlock(&reg_lock);
	if (fclose(fp) != 0) {
		log_error("metrics: out of memory");
		abort();
	}
	return text;
}

/* Label values come from our own configuration, but stay well-formed. */
static char *
label_value(const char *s)
{
	char *v, *p;

	if ((v = malloc(strlen(s) * 2 + 1)) == NULL) {
		log_error("metrics: out of memory");
		abort();
	}
	for (p = v; *s != '\0'; s++) {
		if (*s == '"' || *s == '\\')
			*p++ = '\\';
		*p++ = *s == '\n' ? ' ' : *s;
	}
	*p = '\0';
	return v;
}

void
metrics_init(const char *version, const char *store)
{
	pthread_mutex_lock(&reg_lock);
	free(build_version);
	free(build_store);
	build_version = label_value(version);
	build_store = label_value(store);
	pthread_mutex_unlock(&reg_lock);
}

void
metrics_cleanup(void)
{
	struct metrics_counter *c, *next;

	pthread_mutex_lock(&reg_lock);
	for (c = counters; c != NULL; c = next) {
		next = c->next;
		free(c);
	}
	counters = NULL;
	for (size_t r = 0; r < NROUTES; r++) {
		for (size_t i = 0; i < NSTATUS; i++)
			atomic_store(&requests[r][i], 0);
		for (size_t b = 0; b < NBUCKETS; b++)
			atomic_store(&duration[r].bucket[b], 0);
		atomic_store(&duration[r].count, 0);
		atomic_store(&duration[r].sum_ns, 0);
	}
	for (size_t o = 0; o < NOPS; o++)
		for (size_t r = 0; r < NRESULTS; r++)
			atomic_store(&store_ops[o][r], 0);
	free(build_version);
	free(build_store);
	build_version = build_store = NULL;
	pthread_mutex_unlock(&reg_lock);
}

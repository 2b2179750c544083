/*
 * metrics: a registry of labelled families, rendered as Prometheus text.
 *
 * A family is a name, a help line, a type and its label names; its series
 * are the label sets registered for it, each with its own atomics.  The
 * hot path (metrics_counter_add, metrics_histogram_observe) only does
 * relaxed atomic additions on a series the caller already holds, so no
 * update takes a lock or looks anything up.  Registration and rendering
 * take one mutex; lists only ever grow until metrics_cleanup, so a series
 * pointer stays valid while anyone may use it.
 *
 * Not here: what any metric is called or which label values exist (the
 * module that owns them registers them), or serving the text (http.c).
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"
#include "util.h"

/* What every series has; the first member of both series types. */
struct series {
	struct series		*next;
	char			*labels;	/* rendered pairs, "" for none */
	unsigned		 flags;
};

struct metrics_counter {
	struct series		 s;
	atomic_int_fast64_t	 value;
};

struct metrics_histogram {
	struct series		 s;
	const double		*le;		/* the family's bounds */
	size_t			 nle;
	atomic_uint_fast64_t	 count;
	atomic_uint_fast64_t	 sum_nano;	/* sum of values, in 1e-9 */
	atomic_uint_fast64_t	 bucket[];	/* nle, not cumulative */
};

struct metrics_family {
	struct metrics_family	*next;
	const char		*name;
	const char		*help;
	enum metrics_type	 type;
	const char *const	*labels;
	size_t			 nlabels;
	const double		*buckets;
	size_t			 nbuckets;
	struct series		*head;
	struct series		**tail;
};

/* A growing text buffer; every allocation goes through xreallocarray. */
struct text {
	char	*p;
	size_t	 len, cap;
};

static pthread_mutex_t		 reg_lock = PTHREAD_MUTEX_INITIALIZER;
static struct metrics_family	*families;	/* registration order */
static struct metrics_family	**families_tail = &families;
static struct metrics_counter	*build_info;

static const char *const build_labels[] = { "version", "store", NULL };

static void text_printf(struct text *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
text_printf(struct text *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	for (;;) {
		size_t room = t->cap - t->len;

		va_start(ap, fmt);
		n = vsnprintf(t->p != NULL ? t->p + t->len : NULL, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			util_out_of_memory();	/* only EOVERFLOW is left */
		if ((size_t)n < room) {
			t->len += (size_t)n;
			return;
		}
		t->cap = (t->len + (size_t)n + 1) * 2;
		t->p = xreallocarray(t->p, t->cap, 1);
	}
}

/* Label values stay well-formed whatever they hold. */
static void
text_label_value(struct text *t, const char *s)
{
	for (; *s != '\0'; s++)
		if (*s == '"' || *s == '\\')
			text_printf(t, "\\%c", *s);
		else
			text_printf(t, "%c", *s == '\n' ? ' ' : *s);
}

/* name1="value1",name2="value2", a new string. */
static char *
format_labels(const struct metrics_family *f, const char *const *values)
{
	struct text t = { NULL, 0, 0 };

	text_printf(&t, "%s", "");
	for (size_t i = 0; i < f->nlabels; i++) {
		text_printf(&t, "%s%s=\"", i > 0 ? "," : "", f->labels[i]);
		text_label_value(&t, values[i]);
		text_printf(&t, "\"");
	}
	return t.p;
}

static struct metrics_family *
family_find(const char *name)
{
	for (struct metrics_family *f = families; f != NULL; f = f->next)
		if (strcmp(f->name, name) == 0)
			return f;
	return NULL;
}

struct metrics_family *
metrics_family_new(const char *name, const char *help,
    enum metrics_type type, const char *const *labels, const double *buckets,
    size_t nbuckets)
{
	struct metrics_family *f;

	pthread_mutex_lock(&reg_lock);
	if ((f = family_find(name)) == NULL) {
		f = xcalloc(1, sizeof(*f));
		f->name = name;
		f->help = help;
		f->type = type;
		f->labels = labels;
		while (labels != NULL && labels[f->nlabels] != NULL)
			f->nlabels++;
		f->buckets = buckets;
		f->nbuckets = type == METRICS_HISTOGRAM ? nbuckets : 0;
		f->tail = &f->head;
		*families_tail = f;
		families_tail = &f->next;
	}
	pthread_mutex_unlock(&reg_lock);
	return f;
}

/*
 * The series of f with the rendered labels (stolen), made by make when it
 * does not exist yet.  Caller holds reg_lock.
 */
static struct series *
series_get(struct metrics_family *f, char *labels, unsigned flags,
    struct series *(*make)(const struct metrics_family *))
{
	struct series *s;

	for (s = f->head; s != NULL; s = s->next)
		if (strcmp(s->labels, labels) == 0) {
			free(labels);
			return s;
		}
	s = make(f);
	s->labels = labels;
	s->flags = flags;
	*f->tail = s;
	f->tail = &s->next;
	return s;
}

static struct series *
counter_make(const struct metrics_family *f)
{
	struct metrics_counter *c = xcalloc(1, sizeof(*c));

	(void)f;
	return &c->s;
}

static struct series *
histogram_make(const struct metrics_family *f)
{
	struct metrics_histogram *h;

	h = xcalloc(1, sizeof(*h) + f->nbuckets * sizeof(h->bucket[0]));
	h->le = f->buckets;
	h->nle = f->nbuckets;
	return &h->s;
}

/* A series of the wrong type is a bug in the caller, found at startup. */
static void
expect_type(const struct metrics_family *f, bool histogram)
{
	if ((f->type == METRICS_HISTOGRAM) != histogram) {
		log_error("metrics: %s is not a %s family", f->name,
		    histogram ? "histogram" : "counter or gauge");
		abort();
	}
}

/* The series of f for values, which must be a histogram or not as said. */
static struct series *
family_series(struct metrics_family *f, const char *const *values,
    unsigned flags, bool histogram)
{
	struct series *s;

	expect_type(f, histogram);
	pthread_mutex_lock(&reg_lock);
	s = series_get(f, format_labels(f, values), flags,
	    histogram ? histogram_make : counter_make);
	pthread_mutex_unlock(&reg_lock);
	return s;
}

struct metrics_counter *
metrics_family_counter(struct metrics_family *f, const char *const *values,
    unsigned flags)
{
	return (struct metrics_counter *)family_series(f, values, flags,
	    false);
}

struct metrics_histogram *
metrics_family_histogram(struct metrics_family *f, const char *const *values,
    unsigned flags)
{
	return (struct metrics_histogram *)family_series(f, values, flags,
	    true);
}

struct metrics_counter *
metrics_counter_new(const char *name, const char *labels, const char *help,
    int gauge)
{
	struct metrics_family *f;
	struct series *s;

	f = metrics_family_new(name, help, gauge ? METRICS_GAUGE :
	    METRICS_COUNTER, NULL, NULL, 0);
	expect_type(f, false);
	pthread_mutex_lock(&reg_lock);
	s = series_get(f, xstrdup(labels != NULL ? labels : ""), 0,
	    counter_make);
	pthread_mutex_unlock(&reg_lock);
	return (struct metrics_counter *)s;
}

void
metrics_counter_add(struct metrics_counter *c, int64_t delta)
{
	if (c != NULL)
		atomic_fetch_add_explicit(&c->value, delta,
		    memory_order_relaxed);
}

void
metrics_histogram_observe(struct metrics_histogram *h, double value)
{
	if (h == NULL)
		return;
	for (size_t b = 0; b < h->nle; b++)
		if (value <= h->le[b]) {
			atomic_fetch_add_explicit(&h->bucket[b], 1,
			    memory_order_relaxed);
			break;
		}
	atomic_fetch_add_explicit(&h->count, 1, memory_order_relaxed);
	if (value > 0)
		atomic_fetch_add_explicit(&h->sum_nano,
		    (uint_fast64_t)(value * 1e9), memory_order_relaxed);
}

static uint64_t
load(atomic_uint_fast64_t *v)
{
	return atomic_load_explicit(v, memory_order_relaxed);
}

/* {labels} or {labels,extra} or {extra} or nothing. */
static void
text_braces(struct text *t, const char *labels, const char *extra)
{
	bool both = labels[0] != '\0' && extra != NULL;

	if (labels[0] == '\0' && extra == NULL)
		return;
	text_printf(t, "{%s%s%s}", labels, both ? "," : "",
	    extra != NULL ? extra : "");
}

static void
render_counter(struct text *t, const struct metrics_family *f,
    struct metrics_counter *c)
{
	int_fast64_t v = atomic_load_explicit(&c->value, memory_order_relaxed);

	if (v == 0 && (c->s.flags & METRICS_HIDE_ZERO) != 0)
		return;
	text_printf(t, "%s", f->name);
	text_braces(t, c->s.labels, NULL);
	text_printf(t, " %" PRIdFAST64 "\n", v);
}

static void
render_histogram(struct text *t, const struct metrics_family *f,
    struct metrics_histogram *h)
{
	uint64_t cum = 0, count = load(&h->count);
	char le[48];

	if (count == 0 && (h->s.flags & METRICS_HIDE_ZERO) != 0)
		return;
	for (size_t b = 0; b < h->nle; b++) {
		cum += load(&h->bucket[b]);
		snprintf(le, sizeof(le), "le=\"%g\"", h->le[b]);
		text_printf(t, "%s_bucket", f->name);
		text_braces(t, h->s.labels, le);
		text_printf(t, " %" PRIu64 "\n", cum);
	}
	/* Buckets and count are read apart: never show fewer. */
	if (count < cum)
		count = cum;
	text_printf(t, "%s_bucket", f->name);
	text_braces(t, h->s.labels, "le=\"+Inf\"");
	text_printf(t, " %" PRIu64 "\n%s_sum", count, f->name);
	text_braces(t, h->s.labels, NULL);
	text_printf(t, " %.9f\n%s_count", (double)load(&h->sum_nano) / 1e9,
	    f->name);
	text_braces(t, h->s.labels, NULL);
	text_printf(t, " %" PRIu64 "\n", count);
}

static const char *
type_name(enum metrics_type type)
{
	switch (type) {
	case METRICS_COUNTER:
		return "counter";
	case METRICS_GAUGE:
		return "gauge";
	case METRICS_HISTOGRAM:
		return "histogram";
	}
	return "untyped";
}

char *
metrics_render(void)
{
	struct text t = { NULL, 0, 0 };

	text_printf(&t, "%s", "");
	pthread_mutex_lock(&reg_lock);
	for (struct metrics_family *f = families; f != NULL; f = f->next) {
		text_printf(&t, "# HELP %s %s\n# TYPE %s %s\n", f->name,
		    f->help != NULL ? f->help : f->name, f->name,
		    type_name(f->type));
		for (struct series *s = f->head; s != NULL; s = s->next)
			if (f->type == METRICS_HISTOGRAM)
				render_histogram(&t, f,
				    (struct metrics_histogram *)s);
			else
				render_counter(&t, f,
				    (struct metrics_counter *)s);
	}
	pthread_mutex_unlock(&reg_lock);
	return t.p;
}

void
metrics_init(const char *version, const char *store)
{
	const char *values[] = { version, store };
	struct metrics_family *f;

	f = metrics_family_new("visitsd_build_info",
	    "Version and store of this process.", METRICS_GAUGE, build_labels,
	    NULL, 0);
	pthread_mutex_lock(&reg_lock);
	if (build_info != NULL) {
		free(build_info->s.labels);
		build_info->s.labels = format_labels(f, values);
	} else {
		build_info = (struct metrics_counter *)series_get(f,
		    format_labels(f, values), 0, counter_make);
		atomic_store(&build_info->value, 1);
	}
	pthread_mutex_unlock(&reg_lock);
}

void
metrics_cleanup(void)
{
	struct metrics_family *f, *fnext;
	struct series *s, *snext;

	pthread_mutex_lock(&reg_lock);
	for (f = families; f != NULL; f = fnext) {
		fnext = f->next;
		for (s = f->head; s != NULL; s = snext) {
			snext = s->next;
			free(s->labels);
			free(s);
		}
		free(f);
	}
	families = NULL;
	families_tail = &families;
	build_info = NULL;
	pthread_mutex_unlock(&reg_lock);
}

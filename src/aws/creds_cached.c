/*
 * creds_cached: a provider that keeps the credentials of another and
 * refreshes them on a thread of its own, so that getting credentials never
 * waits on the network once the first fetch is done.
 *
 * Temporary credentials are refreshed refresh_lead (5 minutes) before they
 * expire, as the SDKs do, or half-way through their remaining life when
 * that is shorter than the lead.  A failed refresh keeps the current ones,
 * which stay in use while they are valid, and is retried with exponential
 * backoff; the reason is logged (never a secret) and, once the credentials
 * have expired, returned by get.  This is not a general scheduler: one
 * thread, one timer, one set of credentials.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/creds.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define DEFAULT_LEAD		300
#define DEFAULT_RETRY_MIN	5
#define DEFAULT_RETRY_MAX	60
/* Longest single sleep, so a wall-clock jump is noticed within it. */
#define MAX_SLEEP		30

struct cached {
	struct creds_provider	 base;
	struct creds_provider	*inner;
	struct creds_cached_opts opts;
	pthread_mutex_t		 lock;
	pthread_cond_t		 cond;		/* on CLOCK_MONOTONIC */
	struct creds		*cur;		/* under lock */
	time_t			 next;		/* next refresh; 0 = never */
	time_t			 backoff;	/* after a failure; else 0 */
	char			 last_err[256];	/* of the last failure */
	bool			 stop;
	pthread_t		 thread;
};

/* Refreshes by outcome, for the credential-refresh alert. */
static struct metrics_counter *m_refresh_ok, *m_refresh_error;
static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void
metrics_register(void)
{
	static const char help[] = "AWS credential refreshes by outcome";

	m_refresh_ok = metrics_counter_new(
	    "visitsd_aws_credential_refreshes_total", "outcome=\"ok\"", help, 0);
	m_refresh_error = metrics_counter_new(
	    "visitsd_aws_credential_refreshes_total", "outcome=\"error\"", help,
	    0);
}

/* When to refresh credentials c fetched at now; 0 when never. */
static time_t
refresh_time(const struct cached *ca, const struct creds *c,
    time_t now)
{
	time_t half;

	if (c->expiration == 0)
		return 0;
	if (c->expiration - ca->opts.refresh_lead > now)
		return c->expiration - ca->opts.refresh_lead;
	half = (c->expiration - now) / 2;
	return now + (half > 1 ? half : 1);
}

static void
log_creds(const char *what, const struct creds *c, time_t now)
{
	if (c->expiration != 0)
		log_info("aws credentials %s from %s (access key id %s), "
		    "expire in %lld s", what, c->source, c->access_key_id,
		    (long long)(c->expiration - now));
	else
		log_info("aws credentials %s from %s (access key id %s), "
		    "not expiring", what, c->source, c->access_key_id);
}

/* Sleep until wall-clock time t (or stop), lock held. */
static void
wait_until(struct cached *ca, time_t t)
{
	struct timespec ts;
	time_t left;

	while (!ca->stop && (left = t - time(NULL)) > 0) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += left < MAX_SLEEP ? left : MAX_SLEEP;
		pthread_cond_timedwait(&ca->cond, &ca->lock, &ts);
	}
}

/*
 * The refresh thread.  The lock guards the state, never I/O: the fetch and
 * the log lines happen unlocked, so a get waits at most for a pointer swap.
 */
static void *
refresh_main(void *arg)
{
	struct cached *ca = arg;
	struct creds *c, *old;
	char err[sizeof(ca->last_err)], source[32];
	time_t now, backoff;
	bool valid;

	pthread_mutex_lock(&ca->lock);
	while (!ca->stop) {
		if (ca->next == 0) {
			pthread_cond_wait(&ca->cond, &ca->lock);
			continue;
		}
		wait_until(ca, ca->next);
		if (ca->stop)
			break;
		pthread_mutex_unlock(&ca->lock);
		err[0] = '\0';
		c = creds_get(ca->inner, err, sizeof(err));
		now = time(NULL);
		pthread_mutex_lock(&ca->lock);
		if (c != NULL) {
			old = ca->cur;
			ca->cur = c;
			ca->backoff = 0;
			ca->last_err[0] = '\0';
			ca->next = refresh_time(ca, c, now);
			pthread_mutex_unlock(&ca->lock);
			metrics_counter_add(m_refresh_ok, 1);
			log_creds("refreshed", c, now);
			creds_unref(old);
			pthread_mutex_lock(&ca->lock);
			continue;
		}
		ca->backoff = ca->backoff == 0 ? ca->opts.retry_min :
		    ca->backoff * 2;
		if (ca->backoff > ca->opts.retry_max)
			ca->backoff = ca->opts.retry_max;
		ca->next = now + ca->backoff;
		snprintf(ca->last_err, sizeof(ca->last_err), "%s", err);
		snprintf(source, sizeof(source), "%s", ca->cur->source);
		valid = ca->cur->expiration > now;
		backoff = ca->backoff;
		pthread_mutex_unlock(&ca->lock);
		metrics_counter_add(m_refresh_error, 1);
		log_warnx("aws credentials refresh failed, keeping those from "
		    "%s (%s), retry in %lld s: %s", source,
		    valid ? "still valid" : "expired", (long long)backoff, err);
		pthread_mutex_lock(&ca->lock);
	}
	pthread_mutex_unlock(&ca->lock);
	return NULL;
}

static struct creds *
cached_get(struct creds_provider *p, char *err, size_t errlen)
{
	struct cached *ca = (struct cached *)p;
	struct creds *c = NULL;
	time_t now = time(NULL);

	pthread_mutex_lock(&ca->lock);
	if (ca->cur->expiration != 0 && ca->cur->expiration <= now)
		snprintf(err, errlen, "aws credentials from %s expired %lld s "
		    "ago; refresh failing: %s", ca->cur->source,
		    (long long)(now - ca->cur->expiration),
		    ca->last_err[0] ? ca->last_err : "not yet retried");
	else
		c = creds_ref(ca->cur);
	pthread_mutex_unlock(&ca->lock);
	return c;
}

static void
cached_free(struct creds_provider *p)
{
	struct cached *ca = (struct cached *)p;

	pthread_mutex_lock(&ca->lock);
	ca->stop = true;
	pthread_cond_broadcast(&ca->cond);
	pthread_mutex_unlock(&ca->lock);
	pthread_join(ca->thread, NULL);
	pthread_cond_destroy(&ca->cond);
	pthread_mutex_destroy(&ca->lock);
	creds_unref(ca->cur);
	creds_provider_free(ca->inner);
	free(ca);
}

static const struct creds_ops cached_ops = {
	.name = "cached",
	.get = cached_get,
	.free = cached_free,
};

struct creds_provider *
creds_cached_new_opts(struct creds_provider *inner,
    const struct creds_cached_opts *opts, char *err, size_t errlen)
{
	struct cached *ca = NULL;
	struct creds *c;
	pthread_condattr_t attr;
	sigset_t all, old;
	time_t now;
	int rc;

	pthread_once(&metrics_once, metrics_register);
	if (inner == NULL) {
		snprintf(err, errlen, "no credentials provider");
		return NULL;
	}
	if ((c = creds_get(inner, err, errlen)) == NULL)
		goto fail;
	now = time(NULL);
	ca = xcalloc(1, sizeof(*ca));
	ca->inner = inner;
	ca->cur = c;
	if (opts != NULL)
		ca->opts = *opts;
	if (ca->opts.refresh_lead <= 0)
		ca->opts.refresh_lead = DEFAULT_LEAD;
	if (ca->opts.retry_min <= 0)
		ca->opts.retry_min = DEFAULT_RETRY_MIN;
	if (ca->opts.retry_max < ca->opts.retry_min)
		ca->opts.retry_max = ca->opts.retry_min > DEFAULT_RETRY_MAX ?
		    ca->opts.retry_min : DEFAULT_RETRY_MAX;
	ca->next = refresh_time(ca, c, now);
	pthread_mutex_init(&ca->lock, NULL);
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(&ca->cond, &attr);
	pthread_condattr_destroy(&attr);
	ca->base.ops = &cached_ops;
	/* The refresh thread takes no signals: they belong to main. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&ca->thread, NULL, refresh_main, ca);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the credentials refresh "
		    "thread: %s", strerror(rc));
		pthread_cond_destroy(&ca->cond);
		pthread_mutex_destroy(&ca->lock);
		creds_unref(c);
		free(ca);
		goto fail;
	}
	log_creds("loaded", c, now);
	return &ca->base;
fail:
	creds_provider_free(inner);
	return NULL;
}

struct creds_provider *
creds_cached_new(struct creds_provider *inner, char *err, size_t errlen)
{
	return creds_cached_new_opts(inner, NULL, err, errlen);
}

/*
 * client: AWS JSON-protocol requests over libcurl's multi interface, on a
 * thread of its own.
 *
 * Life of a request: client_submit queues it and wakes the thread
 * (curl_multi_wakeup); the thread signs an attempt (sign time = now plus
 * the clock offset learnt from a skew answer), hands an easy handle to the
 * one multi handle, and when the transfer ends asks retry.c what to do:
 * finish, or wait a jittered backoff and re-sign and re-send.  Connections
 * live in the multi handle's cache and are reused across requests.
 *
 * Each attempt is one easy handle (client_easy.c), which tells whether any
 * body byte was handed over and refuses libcurl's own silent re-send of a
 * request that is not idempotent; retry.c turns that into a verdict, and a
 * failure after the body left is an unknown outcome, never a second write.
 *
 * The per-operation metrics are the caller's struct client_op's
 * (client_op.c registers them); this file counts into them.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "aws/client.h"
#include "aws/client_easy.h"
#include "aws/client_op.h"
#include "aws/creds.h"
#include "aws/curlbuf.h"
#include "aws/endpoint.h"
#include "aws/region.h"
#include "aws/retry.h"
#include "aws/sigv4.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define MAX_ANSWER	(1024 * 1024)	/* bytes kept of an answer */
#define MAX_CONNECTIONS	64		/* per host, as the SDKs' pool */

/* One request, across its attempts. */
struct xfer {
	struct xfer	*next;
	struct client	*c;
	struct client_op *op;		/* borrowed, static */
	char		*body;		/* owned, wiped on free */
	size_t		 len;
	client_done_fn	*done;
	void		*arg;
	int		 attempt;	/* attempts started */
	int		 retry_cost;	/* quota tokens its retries took */
	bool		 throttled;	/* last retry was for throttling */
	int		 throttles;	/* attempts answered "throttled" */
	char		 throttle_reason[64];	/* the last one's reason */
	uint64_t	 due_ms;	/* when a delayed retry may start */
	/* Per attempt: */
	struct client_easy e;		/* the transfer */
	long		 status;
	char		 error_type[96];
	char		 error_message[256];
};

struct client {
	char		*service, *target_prefix, *content_type;
	char		*region, *endpoint, *host;
	int		 connect_timeout_ms, request_timeout_ms, max_attempts;
	struct creds_provider *creds;
	struct sigv4_key_cache keys;
	CURLM		*multi;
	pthread_t	 thread;
	bool		 started;
	/* Shared with submitters, under lock: */
	pthread_mutex_t	 lock;
	struct xfer	*queue, **queue_tail;
	bool		 stopping, exited;
	/* Client thread only: */
	struct xfer	*delayed;	/* waiting for their backoff */
	int		 active;	/* easy handles in the multi handle */
	struct retry_quota quota;
	atomic_long	 skew;		/* seconds to add to our clock */
};

/* ---- metrics ---------------------------------------------------------- */

static struct {
	struct metrics_counter *quota_exhausted;
	struct metrics_counter *skew_corrections;
} m;
static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void
metrics_register(void)
{
	m.quota_exhausted = metrics_counter_new(
	    "visitsd_aws_retry_quota_exhausted_total", NULL,
	    "Retries not made because the retry quota was empty", 0);
	m.skew_corrections = metrics_counter_new(
	    "visitsd_aws_clock_skew_corrections_total", NULL,
	    "Clock offsets learnt from AWS skew answers", 0);
}

/* ---- helpers ---------------------------------------------------------- */

static double
random01(void)
{
	uint32_t r;

	if (RAND_bytes((unsigned char *)&r, sizeof(r)) != 1)
		r = (uint32_t)util_now_ms() * 2654435761u;
	return (double)r / 4294967296.0;
}

static void
xfer_free(struct xfer *x)
{
	client_easy_cleanup(&x->e, x->c->multi);
	util_wipe_free(x->body, x->len);
	free(x);
}

/* Complete x with outcome and free it.  Client thread (or inline). */
static void
finish(struct xfer *x, enum client_outcome outcome, const char *why)
{
	struct client_response r;
	static const char *const oname[CLIENT_NOUTCOMES] = {
		"ok", "error", "unavailable", "unknown",
	};
	bool expected;

	expected = outcome == CLIENT_FAILED &&
	    x->op->expected_error != NULL &&
	    strcmp(x->error_type, x->op->expected_error) == 0;

	/* An expected error is an answer: counted as ok, not alerted on. */
	metrics_counter_add(x->op->requests[expected ? CLIENT_OK : outcome], 1);
	if (outcome == CLIENT_UNKNOWN)
		metrics_counter_add(x->op->unknown, 1);
	if (expected)
		log_debug("aws %s %s: %s", x->c->service, x->op->name,
		    x->error_type);
	else if (outcome != CLIENT_OK)
		log_warnx("aws %s %s: %s after %d attempt%s: %s%s%s",
		    x->c->service, x->op->name, oname[outcome], x->attempt,
		    x->attempt == 1 ? "" : "s",
		    x->error_type[0] != '\0' ? x->error_type : "",
		    x->error_type[0] != '\0' ? " " : "",
		    why != NULL ? why : x->error_message);
	memset(&r, 0, sizeof(r));
	r.outcome = outcome;
	r.status = x->status;
	r.body = x->e.answer.data != NULL ? x->e.answer.data : "";
	r.body_len = x->e.answer.len;
	r.error_type = x->error_type;
	r.error_message = why != NULL ? why : x->error_message;
	r.attempts = x->attempt;
	r.throttles = x->throttles;
	r.throttle_reason = x->throttle_reason;
	x->done(x->arg, &r);
	xfer_free(x);
}

/* ---- attempts --------------------------------------------------------- */

/* Sign the request for this attempt and build its header list. */
static int
sign(struct xfer *x, char *err, size_t errlen)
{
	struct client *c = x->c;
	struct creds *cr;
	struct sigv4_header h[3];
	struct sigv4_request req;
	struct sigv4_params params;
	struct sigv4_signed sig;
	char target[128];
	int rc = -1;

	if ((cr = creds_get(c->creds, err, errlen)) == NULL)
		return -1;
	snprintf(target, sizeof(target), "%s%s", c->target_prefix,
	    x->op->name);
	h[0] = (struct sigv4_header){ "host", c->host };
	h[1] = (struct sigv4_header){ "content-type", c->content_type };
	h[2] = (struct sigv4_header){ "x-amz-target", target };
	memset(&req, 0, sizeof(req));
	req.method = "POST";
	req.path = "/";
	req.headers = h;
	req.nheaders = 3;
	req.body = x->body;
	req.body_len = x->len;
	memset(&params, 0, sizeof(params));
	params.access_key_id = cr->access_key_id;
	params.secret_access_key = cr->secret_access_key;
	params.session_token = cr->session_token;
	params.region = c->region;
	params.service = c->service;
	params.now = time(NULL) + atomic_load(&c->skew);
	params.normalize_path = true;
	if (sigv4_sign(&req, &params, &c->keys, &sig, err, errlen) == -1)
		goto fail;
	curlbuf_header_add(&x->e.headers, "Host", c->host);
	curlbuf_header_add(&x->e.headers, "Content-Type", c->content_type);
	curlbuf_header_add(&x->e.headers, "X-Amz-Target", target);
	curlbuf_header_add(&x->e.headers, "X-Amz-Date", sig.amz_date);
	curlbuf_header_add(&x->e.headers, "Authorization", sig.authorization);
	if (cr->session_token != NULL)
		curlbuf_header_add(&x->e.headers, "X-Amz-Security-Token",
		    cr->session_token);
	/* Empty values: libcurl then sends no Expect or Accept header. */
	curlbuf_header_append(&x->e.headers, "Expect:");
	curlbuf_header_append(&x->e.headers, "Accept:");
	rc = 0;
fail:
	OPENSSL_cleanse(&sig, sizeof(sig));
	creds_unref(cr);
	return rc;
}

/* Start an attempt; on a local failure x is completed (and freed). */
static void
attempt_start(struct xfer *x)
{
	struct client *c = x->c;
	char err[256];

	x->attempt++;
	x->status = 0;
	x->error_type[0] = x->error_message[0] = '\0';
	if (sign(x, err, sizeof(err)) == -1) {
		client_easy_cleanup(&x->e, NULL);
		finish(x, CLIENT_UNAVAILABLE, err);
		return;
	}
	if (client_easy_start(&x->e, c->endpoint, c->connect_timeout_ms,
	    c->request_timeout_ms, MAX_ANSWER, x) == -1) {
		client_easy_cleanup(&x->e, NULL);
		finish(x, CLIENT_UNAVAILABLE, "curl_easy_init failed");
		return;
	}
	if (curl_multi_add_handle(c->multi, x->e.easy) != CURLM_OK) {
		client_easy_cleanup(&x->e, NULL);
		finish(x, CLIENT_UNAVAILABLE, "curl_multi_add_handle failed");
		return;
	}
	c->active++;
}

/* Learn the clock offset from the answer's Date header. */
static void
learn_skew(struct xfer *x)
{
	time_t server;
	long offset;

	if (x->e.date[0] == '\0' ||
	    retry_parse_http_date(x->e.date, &server) == -1)
		return;
	offset = (long)(server - time(NULL));
	atomic_store(&x->c->skew, offset);
	metrics_counter_add(m.skew_corrections, 1);
	log_warnx("aws %s: clock skew %+lds learnt from the answer's Date "
	    "header; signing with the corrected time", x->c->service, offset);
}

/* An attempt ended with rc: finish, or schedule the retry. */
static void
attempt_done(struct client *c, struct xfer *x, CURLcode rc)
{
	enum retry_verdict v;
	enum retry_transport t = client_easy_transport(&x->e, rc);
	char why[CURL_ERROR_SIZE + 64];
	bool timeout;
	int cost;

	why[0] = '\0';
	if (rc == CURLE_OK) {
		curl_easy_getinfo(x->e.easy, CURLINFO_RESPONSE_CODE,
		    &x->status);
		if (x->status < 200 || x->status >= 300)
			retry_error_parse(x->e.answer.data, x->e.answer.len,
			    x->error_type, sizeof(x->error_type),
			    x->error_message, sizeof(x->error_message));
		if (x->status >= 300 && x->error_message[0] == '\0')
			snprintf(x->error_message, sizeof(x->error_message),
			    "HTTP %ld", x->status);
	} else
		snprintf(x->error_message, sizeof(x->error_message), "%.200s%s",
		    x->e.errbuf[0] != '\0' ? x->e.errbuf :
		    curl_easy_strerror(rc), x->e.body_started ?
		    " (after the request was sent)" : " (before sending)");
	v = retry_classify(t, x->status, x->error_type, x->error_message,
	    x->op->idempotent);
	if (v == RETRY_VERDICT_RETRY_THROTTLE) {
		metrics_counter_add(x->op->throttles, 1);
		x->throttles++;
		retry_throttle_reason(x->e.answer.data, x->e.answer.len,
		    x->throttle_reason, sizeof(x->throttle_reason));
	}
	if (v == RETRY_VERDICT_RETRY_SKEW)
		learn_skew(x);
	switch (v) {
	case RETRY_VERDICT_OK:
		retry_quota_release(&c->quota, x->retry_cost);
		finish(x, CLIENT_OK, NULL);
		return;
	case RETRY_VERDICT_FAIL:
		finish(x, CLIENT_FAILED, NULL);
		return;
	case RETRY_VERDICT_UNKNOWN:
		finish(x, CLIENT_UNKNOWN, NULL);
		return;
	case RETRY_VERDICT_RETRY_THROTTLE:
	case RETRY_VERDICT_RETRY_SKEW:
	case RETRY_VERDICT_RETRY_TRANSIENT:
	case RETRY_VERDICT_RETRY_TIMEOUT:
		break;
	}
	if (x->attempt >= c->max_attempts) {
		finish(x, CLIENT_UNAVAILABLE, NULL);
		return;
	}
	timeout = v == RETRY_VERDICT_RETRY_TIMEOUT;
	if ((cost = retry_quota_acquire(&c->quota, timeout)) == 0) {
		metrics_counter_add(m.quota_exhausted, 1);
		snprintf(why, sizeof(why), "%s; retry quota exhausted",
		    x->error_message);
		finish(x, CLIENT_UNAVAILABLE, why);
		return;
	}
	x->retry_cost += cost;
	x->throttled = v == RETRY_VERDICT_RETRY_THROTTLE;
	metrics_counter_add(x->op->retries, 1);
	log_debug("aws %s %s: attempt %d: %s%s%s; retrying", c->service,
	    x->op->name, x->attempt, x->error_type,
	    x->error_type[0] != '\0' ? " " : "", x->error_message);
	client_easy_cleanup(&x->e, c->multi);
	x->due_ms = util_now_ms() + (uint64_t)retry_backoff_ms(x->attempt,
	    x->throttled, random01());
	x->next = c->delayed;
	c->delayed = x;
}

/* ---- the thread ------------------------------------------------------- */

/* Start or fail the delayed retries that are due; next due time. */
static uint64_t
run_delayed(struct client *c, bool stopping)
{
	struct xfer **pp = &c->delayed, *x;
	uint64_t now = util_now_ms(), next = UINT64_MAX;

	while ((x = *pp) != NULL) {
		if (stopping || x->due_ms <= now) {
			*pp = x->next;
			x->next = NULL;
			if (stopping)
				finish(x, CLIENT_UNAVAILABLE, "shutting down");
			else
				attempt_start(x);
			continue;
		}
		if (x->due_ms < next)
			next = x->due_ms;
		pp = &x->next;
	}
	return next;
}

static void *
run(void *p)
{
	struct client *c = p;
	struct xfer *batch, *x;
	struct CURLMsg *msg;
	uint64_t next, now;
	long curl_to;
	int running = 0, left, timeout;
	bool stopping;

	for (;;) {
		pthread_mutex_lock(&c->lock);
		batch = c->queue;
		c->queue = NULL;
		c->queue_tail = &c->queue;
		stopping = c->stopping;
		if (stopping && batch == NULL && c->delayed == NULL &&
		    c->active == 0)
			c->exited = true;
		pthread_mutex_unlock(&c->lock);
		if (c->exited)
			break;
		while ((x = batch) != NULL) {
			batch = x->next;
			x->next = NULL;
			attempt_start(x);
		}
		run_delayed(c, stopping);
		curl_multi_perform(c->multi, &running);
		while ((msg = curl_multi_info_read(c->multi, &left)) != NULL) {
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE,
			    (char **)&x);
			c->active--;
			attempt_done(c, x, msg->data.result);
		}
		/* Completions may have scheduled retries: wake up for them. */
		next = run_delayed(c, stopping);
		timeout = 1000;
		if (curl_multi_timeout(c->multi, &curl_to) == CURLM_OK &&
		    curl_to >= 0 && curl_to < timeout)
			timeout = (int)curl_to;
		now = util_now_ms();
		if (next != UINT64_MAX)
			timeout = next <= now ? 0 : (next - now < (uint64_t)
			    timeout ? (int)(next - now) : timeout);
		if (timeout > 0)
			curl_multi_poll(c->multi, NULL, 0, timeout, NULL);
	}
	return NULL;
}

/* ---- public ----------------------------------------------------------- */

/* AWS_MAX_ATTEMPTS (retry.c reads it); AWS_RETRY_MODE only warns. */
static int
max_attempts_env(char *err, size_t errlen)
{
	const char *mode = getenv("AWS_RETRY_MODE");

	if (mode != NULL && *mode != '\0' && strcmp(mode, "standard") != 0)
		log_warnx("AWS_RETRY_MODE=%s: visitsd implements the standard "
		    "retry mode only and uses it", mode);
	return retry_max_attempts(getenv("AWS_MAX_ATTEMPTS"), err, errlen);
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static bool curl_ready;

static void
curl_init_once(void)
{
	curl_ready = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

struct client *
client_new(const struct client_options *opts, char *err, size_t errlen)
{
	struct client *c;
	struct creds_provider *creds = opts->creds;
	struct client_op *const *op;

	pthread_once(&curl_once, curl_init_once);
	/* The per-operation families first: they render in this order. */
	for (op = opts->ops; op != NULL && *op != NULL; op++)
		client_op_register(*op);
	pthread_once(&metrics_once, metrics_register);
	if (!curl_ready) {
		snprintf(err, errlen, "curl_global_init failed");
		creds_provider_free(creds);
		return NULL;
	}
	c = xcalloc(1, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	sigv4_key_cache_init(&c->keys);
	retry_quota_init(&c->quota);
	c->queue_tail = &c->queue;
	c->service = xstrdup(opts->service);
	c->target_prefix = xstrdup(opts->target_prefix);
	c->content_type = xstrdup(opts->content_type);
	c->connect_timeout_ms = opts->connect_timeout_ms;
	c->request_timeout_ms = opts->request_timeout_ms;
	c->max_attempts = opts->max_attempts;
	if (c->max_attempts <= 0 &&
	    (c->max_attempts = max_attempts_env(err, errlen)) == -1)
		goto fail;
	if (opts->region != NULL)
		c->region = xstrdup(opts->region);
	else if ((c->region = region_resolve(err, errlen)) == NULL)
		goto fail;
	c->endpoint = opts->endpoint != NULL ? xstrdup(opts->endpoint) :
	    endpoint_resolve(c->service, c->region);
	if ((c->host = endpoint_host(c->endpoint, err, errlen)) == NULL)
		goto fail;
	if (creds == NULL &&
	    (creds = creds_cached_new(creds_chain_new_default(), err,
	    errlen)) == NULL)
		goto fail;
	c->creds = creds;
	creds = NULL;
	if ((c->multi = curl_multi_init()) == NULL)
		util_out_of_memory();
	curl_multi_setopt(c->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
	    (long)MAX_CONNECTIONS);
	curl_multi_setopt(c->multi, CURLMOPT_MAXCONNECTS,
	    (long)MAX_CONNECTIONS);
	if (pthread_create(&c->thread, NULL, run, c) != 0) {
		snprintf(err, errlen, "pthread_create: %s", strerror(errno));
		goto fail;
	}
	c->started = true;
	log_info("aws %s: endpoint %s, region %s, %d attempts%s%s", c->service,
	    c->endpoint, c->region, c->max_attempts,
	    curlbuf_ca_bundle() != NULL ? ", CA bundle " : "",
	    curlbuf_ca_bundle() != NULL ? curlbuf_ca_bundle() : "");
	return c;
fail:
	creds_provider_free(creds);
	client_free(c);
	return NULL;
}

void
client_free(struct client *c)
{
	struct xfer *x;

	if (c == NULL)
		return;
	if (c->started) {
		pthread_mutex_lock(&c->lock);
		c->stopping = true;
		pthread_mutex_unlock(&c->lock);
		curl_multi_wakeup(c->multi);
		pthread_join(c->thread, NULL);
	}
	while ((x = c->queue) != NULL) {
		c->queue = x->next;
		finish(x, CLIENT_UNAVAILABLE, "client stopped");
	}
	if (c->multi != NULL)
		curl_multi_cleanup(c->multi);
	creds_provider_free(c->creds);
	sigv4_key_cache_cleanup(&c->keys);
	pthread_mutex_destroy(&c->lock);
	free(c->service);
	free(c->target_prefix);
	free(c->content_type);
	free(c->region);
	free(c->endpoint);
	free(c->host);
	free(c);
}

void
client_submit(struct client *c, struct client_op *op, char *body,
    client_done_fn *done, void *arg)
{
	struct xfer *x;
	bool refused;

	client_op_register(op);
	x = xcalloc(1, sizeof(*x));
	x->c = c;
	x->op = op;
	x->body = body;
	x->len = body != NULL ? strlen(body) : 0;
	x->e.body = body;
	x->e.len = x->len;
	x->e.idempotent = op->idempotent;
	x->done = done;
	x->arg = arg;
	if (body == NULL) {
		finish(x, CLIENT_FAILED, "the request body could not be built");
		return;
	}
	pthread_mutex_lock(&c->lock);
	refused = c->exited;
	if (!refused) {
		*c->queue_tail = x;
		c->queue_tail = &x->next;
	}
	pthread_mutex_unlock(&c->lock);
	if (refused)
		finish(x, CLIENT_UNAVAILABLE, "client stopped");
	else
		curl_multi_wakeup(c->multi);
}

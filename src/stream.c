/*
 * stream: the live-count hub (the contract is in stream.h).
 *
 * Topics (ids with streams) and clients (addresses with streams) are in
 * two fixed hash tables of chained buckets; a topic holds the list of its
 * streams.  One mutex guards all of it and every stream's buffer: the
 * work under it is a hash lookup, a memcpy of an event of at most a few
 * hundred bytes into each subscriber's buffer, or a flag flip through a
 * stream's io callbacks, never a wait.  The hub thread sleeps until the
 * earliest deadline stream_hub_tick returns, or until a publish marks a
 * topic dirty; a tick walks every topic and stream, which is linear in the
 * streams open (bounded by max_streams) and runs at most a few times a
 * second per changing id.  Here are the hub's life and thread, the
 * topics (coalesced events, the polls of an id's counts on DynamoDB, the
 * publishes), the limits in all and per client, and a stream's open,
 * start and close.
 *
 * Not here: one stream's buffer, io callbacks and own deadlines
 * (stream_buf.c, through stream_int.h), MHD (http_stream.c), the store
 * (the caller's poll function).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api.h"
#include "metrics.h"
#include "stream.h"
#include "stream_int.h"
#include "util.h"

#define IDLE_MS		60000	/* the longest the thread sleeps */

static const char *const labels_reason[] = { "reason", NULL };
static const char *const labels_result[] = { "result", NULL };

/* FNV-1a over n bytes. */
static unsigned int
hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h % STREAM_NBUCKETS;
}

static void
register_metrics(struct stream_hub *hub)
{
	struct metrics_family *f;
	const char *v[1];

	f = metrics_family_new("visitsd_streams_open",
	    "Live-count streams (GET /api/visits/{id}/stream) open now.",
	    METRICS_GAUGE, NULL, NULL, 0);
	hub->m_open = metrics_family_counter(f, NULL, 0);
	f = metrics_family_new("visitsd_stream_events_total",
	    "Count events queued to live-count streams.", METRICS_COUNTER,
	    NULL, NULL, 0);
	hub->m_events = metrics_family_counter(f, NULL, 0);
	f = metrics_family_new("visitsd_streams_ended_total",
	    "Live-count streams ended: client (it left), max_age "
	    "(stream_max_age), overflow (a slow reader's buffer was full: "
	    "dropped), shutdown, stalled (ended, then cut because its client "
	    "took no more bytes).", METRICS_COUNTER, labels_reason, NULL, 0);
	for (int i = 1; i < STREAM_NENDS; i++) {
		v[0] = stream_end_str((enum stream_end)i);
		hub->m_ended[i] = metrics_family_counter(f, v, 0);
	}
	f = metrics_family_new("visitsd_streams_refused_total",
	    "Live-count streams refused: full (stream_max open), client "
	    "(stream_max_per_client open by that client), stopping.",
	    METRICS_COUNTER, labels_reason, NULL, 0);
	v[0] = "full";
	hub->m_refused[STREAM_REFUSED_FULL] = metrics_family_counter(f, v, 0);
	v[0] = "client";
	hub->m_refused[STREAM_REFUSED_CLIENT] = metrics_family_counter(f, v,
	    0);
	v[0] = "stopping";
	hub->m_refused[STREAM_REFUSED_STOPPING] = metrics_family_counter(f, v,
	    0);
	f = metrics_family_new("visitsd_stream_polls_total",
	    "Reads of an id's counts for its streams (stream_poll_ms, "
	    "DynamoDB only): one per open id per interval.", METRICS_COUNTER,
	    labels_result, NULL, 0);
	v[0] = "ok";
	hub->m_polls_ok = metrics_family_counter(f, v, 0);
	v[0] = "failed";
	hub->m_polls_failed = metrics_family_counter(f, v, 0);
}

struct stream_hub *
stream_hub_new(const struct stream_hub_options *opt)
{
	struct stream_hub *hub = xcalloc(1, sizeof(*hub));
	pthread_condattr_t ca;

	hub->opt = *opt;
	if (hub->opt.buffer < 512)
		hub->opt.buffer = 512;
	if (hub->opt.interval_ms == 0)
		hub->opt.interval_ms = 1;
	pthread_mutex_init(&hub->mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&hub->cv, &ca);
	pthread_condattr_destroy(&ca);
	atomic_init(&hub->refs, 1);
	atomic_init(&hub->ntopics, 0);
	register_metrics(hub);
	return hub;
}

static void
hub_unref(struct stream_hub *hub)
{
	if (atomic_fetch_sub(&hub->refs, 1) != 1)
		return;
	for (int i = 0; i < STREAM_NBUCKETS; i++) {
		struct topic *t, *tn;
		struct client *c, *cn;

		for (t = hub->topics[i]; t != NULL; t = tn) {
			tn = t->next;
			free(t);
		}
		for (c = hub->clients[i]; c != NULL; c = cn) {
			cn = c->next;
			free(c);
		}
	}
	pthread_cond_destroy(&hub->cv);
	pthread_mutex_destroy(&hub->mu);
	free(hub);
}

static void *
hub_main(void *arg)
{
	struct stream_hub *hub = arg;
	uint64_t next = 0, now;
	struct timespec ts;

	pthread_mutex_lock(&hub->mu);
	while (!hub->stop) {
		now = util_now_ms();
		if (!hub->kick && next > now) {
			clock_gettime(CLOCK_MONOTONIC, &ts);
			ts.tv_sec += (time_t)((next - now) / 1000);
			ts.tv_nsec += (long)((next - now) % 1000) * 1000000L;
			if (ts.tv_nsec >= 1000000000L) {
				ts.tv_sec++;
				ts.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&hub->cv, &hub->mu, &ts);
			continue;
		}
		hub->kick = false;
		pthread_mutex_unlock(&hub->mu);
		next = stream_hub_tick(hub, util_now_ms());
		pthread_mutex_lock(&hub->mu);
	}
	pthread_mutex_unlock(&hub->mu);
	return NULL;
}

int
stream_hub_start(struct stream_hub *hub)
{
	int rc;

	if ((rc = pthread_create(&hub->thread, NULL, hub_main, hub)) != 0) {
		errno = rc;
		return -1;
	}
	hub->started = true;
	return 0;
}

/* The event for counts of id: a new malloc'd string of *len bytes. */
static char *
event_text(const char *id, const struct store_counts *c, size_t *len)
{
	char *json = api_json_visits(id, c);
	char *text = xasprintf("data: %s\n\n", json);

	free(json);
	*len = strlen(text);
	return text;
}

static void
emit(struct topic *t, uint64_t now)
{
	size_t len;
	char *text = event_text(t->id, &t->counts, &len);

	for (struct stream *s = t->subs; s != NULL; s = s->next)
		stream_buf_send(s, text, len, now);
	free(text);
	t->dirty = false;
	t->last_emit_ms = now;
}

struct poll_job {
	uint64_t	 token;
	char		*id;
};

uint64_t
stream_hub_tick(struct stream_hub *hub, uint64_t now)
{
	struct poll_job *jobs = NULL;
	size_t njobs = 0, cap = 0;
	uint64_t next = now + IDLE_MS;
	bool polling = hub->opt.poll != NULL && hub->opt.poll_ms > 0;

	pthread_mutex_lock(&hub->mu);
	for (int i = 0; i < STREAM_NBUCKETS; i++)
		for (struct topic *t = hub->topics[i]; t != NULL;
		    t = t->next) {
			if (t->dirty) {
				uint64_t due = t->last_emit_ms == 0 ? now :
				    t->last_emit_ms + hub->opt.interval_ms;

				if (now >= due)
					emit(t, now);
				else
					next = stream_min64(next, due);
			}
			if (polling && t->poll_token == 0 && !hub->stopping) {
				if (now >= t->next_poll_ms) {
					if (njobs == cap) {
						cap = cap ? 2 * cap : 16;
						jobs = xreallocarray(jobs, cap,
						    sizeof(*jobs));
					}
					t->poll_token = ++hub->seq;
					t->next_poll_ms = now +
					    hub->opt.poll_ms;
					jobs[njobs].token = t->poll_token;
					jobs[njobs++].id = xstrdup(t->id);
					atomic_fetch_add(&hub->refs, 1);
				} else
					next = stream_min64(next,
					    t->next_poll_ms);
			}
			for (struct stream *s = t->subs; s != NULL;
			    s = s->next)
				next = stream_buf_tick(s, now, next);
		}
	pthread_mutex_unlock(&hub->mu);

	for (size_t i = 0; i < njobs; i++) {
		hub->opt.poll(hub->opt.poll_arg, hub, jobs[i].id,
		    jobs[i].token);
		free(jobs[i].id);
	}
	free(jobs);
	return next > now ? next : now + 1;
}

/* The topic of id, or NULL.  Under hub->mu. */
static struct topic *
find_topic(struct stream_hub *hub, const char *id)
{
	struct topic *t;

	for (t = hub->topics[hash(id, strlen(id))]; t != NULL; t = t->next)
		if (strcmp(t->id, id) == 0)
			return t;
	return NULL;
}

static bool
newer(const struct topic *t, const struct store_counts *c)
{
	return !t->known || c->visits > t->counts.visits ||
	    (c->visits == t->counts.visits && c->unique > t->counts.unique);
}

/* t's counts become c: the next tick sends them.  Under hub->mu. */
static void
set_counts(struct stream_hub *hub, struct topic *t,
    const struct store_counts *c)
{
	t->counts = *c;
	t->known = true;
	if (!t->dirty) {
		t->dirty = true;
		hub->kick = true;
		pthread_cond_signal(&hub->cv);
	}
}

void
stream_hub_publish(struct stream_hub *hub, const char *id,
    const struct store_counts *c)
{
	struct topic *t;

	if (hub == NULL || atomic_load_explicit(&hub->ntopics,
	    memory_order_relaxed) == 0)
		return;
	pthread_mutex_lock(&hub->mu);
	if ((t = find_topic(hub, id)) != NULL && newer(t, c))
		set_counts(hub, t, c);
	pthread_mutex_unlock(&hub->mu);
}

void
stream_hub_reset(struct stream_hub *hub, const char *id,
    const struct store_counts *c)
{
	struct topic *t;

	if (hub == NULL)
		return;
	pthread_mutex_lock(&hub->mu);
	if ((t = find_topic(hub, id)) != NULL) {
		t->poll_token = 0;	/* a poll in flight may predate it */
		if (!t->known || !stream_counts_same(&t->counts, c))
			set_counts(hub, t, c);
	}
	pthread_mutex_unlock(&hub->mu);
}

void
stream_hub_polled(struct stream_hub *hub, const char *id, uint64_t token,
    enum store_result res, const struct store_counts *c)
{
	struct topic *t;

	metrics_counter_add(res == STORE_OK ? hub->m_polls_ok :
	    hub->m_polls_failed, 1);
	pthread_mutex_lock(&hub->mu);
	if ((t = find_topic(hub, id)) != NULL && t->poll_token == token) {
		t->poll_token = 0;
		if (res == STORE_OK && newer(t, c))
			set_counts(hub, t, c);
		hub->kick = true;	/* its next poll is a deadline again */
		pthread_cond_signal(&hub->cv);
	}
	pthread_mutex_unlock(&hub->mu);
	hub_unref(hub);
}

/* The client record of addr, created with n = 0.  Under hub->mu. */
static struct client *
client_get(struct stream_hub *hub, const void *addr, size_t len)
{
	unsigned int b = hash(addr, len);
	struct client *c;

	for (c = hub->clients[b]; c != NULL; c = c->next)
		if (c->len == len && memcmp(c->addr, addr, len) == 0)
			return c;
	c = xcalloc(1, sizeof(*c));
	memcpy(c->addr, addr, len);
	c->len = len;
	c->next = hub->clients[b];
	hub->clients[b] = c;
	return c;
}

static void
client_put(struct stream_hub *hub, struct client *c)
{
	struct client **pp;

	if (--c->n > 0)
		return;
	for (pp = &hub->clients[hash(c->addr, c->len)]; *pp != NULL;
	    pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			free(c);
			return;
		}
}

struct stream *
stream_open(struct stream_hub *hub, const char *id, const void *client,
    size_t clientlen, enum stream_refusal *why)
{
	struct stream *s;
	struct client *c = NULL;
	struct topic *t;
	size_t idlen = strlen(id);
	unsigned int b;

	if (clientlen > STREAM_CLIENT_MAX)
		clientlen = STREAM_CLIENT_MAX;
	*why = STREAM_REFUSED_NONE;
	pthread_mutex_lock(&hub->mu);
	if (hub->stopping)
		*why = STREAM_REFUSED_STOPPING;
	else if (hub->nstreams >= hub->opt.max_streams)
		*why = STREAM_REFUSED_FULL;
	else {
		/* A new record has n == 0: it is never the one refused. */
		c = client_get(hub, client, clientlen);
		if (hub->opt.max_per_client > 0 &&
		    c->n >= hub->opt.max_per_client)
			*why = STREAM_REFUSED_CLIENT;
	}
	if (*why != STREAM_REFUSED_NONE) {
		metrics_counter_add(hub->m_refused[*why], 1);
		pthread_mutex_unlock(&hub->mu);
		return NULL;
	}
	c->n++;
	if ((t = find_topic(hub, id)) == NULL) {
		t = xcalloc(1, sizeof(*t) + idlen + 1);
		memcpy(t->id, id, idlen + 1);
		t->next_poll_ms = stream_now(hub) + hub->opt.poll_ms;
		b = hash(id, idlen);
		t->next = hub->topics[b];
		hub->topics[b] = t;
		atomic_fetch_add(&hub->ntopics, 1);
	}
	s = xcalloc(1, sizeof(*s));
	s->buf = xmalloc(hub->opt.buffer);
	s->hub = hub;
	s->topic = t;
	s->client = c;
	s->state = STREAM_PENDING;
	s->next = t->subs;
	if (t->subs != NULL)
		t->subs->prev = s;
	t->subs = s;
	hub->nstreams++;
	pthread_mutex_unlock(&hub->mu);
	metrics_counter_add(hub->m_open, 1);
	return s;
}

int
stream_start(struct stream *s, const struct store_counts *counts,
    const struct stream_io *io, void *arg)
{
	struct stream_hub *hub = s->hub;
	struct topic *t = s->topic;
	uint64_t now = stream_now(hub);
	char *text, retry[32];
	size_t len;
	int n;

	pthread_mutex_lock(&hub->mu);
	if (hub->stopping || s->state != STREAM_PENDING) {
		pthread_mutex_unlock(&hub->mu);
		return -1;
	}
	if (newer(t, counts)) {
		t->counts = *counts;
		t->known = true;
		if (t->subs != s || s->next != NULL)
			set_counts(hub, t, counts);	/* the others too */
	}
	s->io = io;
	s->arg = arg;
	s->state = STREAM_LIVE;
	s->start_ms = now;
	/* New deadlines (its ping, its age, the id's poll): wake the thread. */
	hub->kick = true;
	pthread_cond_signal(&hub->cv);
	n = snprintf(retry, sizeof(retry), "retry: %u\n\n", hub->opt.retry_ms);
	stream_buf_push(s, retry, (size_t)n, now);
	text = event_text(t->id, &t->counts, &len);
	stream_buf_send(s, text, len, now);
	free(text);
	pthread_mutex_unlock(&hub->mu);
	return 0;
}

void
stream_close(struct stream *s)
{
	struct stream_hub *hub;
	struct topic *t, **pp;

	if (s == NULL)
		return;
	hub = s->hub;
	t = s->topic;
	pthread_mutex_lock(&hub->mu);
	if (s->state != STREAM_ENDED)
		metrics_counter_add(hub->m_ended[STREAM_END_CLIENT], 1);
	if (s->prev != NULL)
		s->prev->next = s->next;
	else
		t->subs = s->next;
	if (s->next != NULL)
		s->next->prev = s->prev;
	if (t->subs == NULL) {
		for (pp = &hub->topics[hash(t->id, strlen(t->id))];
		    *pp != NULL; pp = &(*pp)->next)
			if (*pp == t) {
				*pp = t->next;
				break;
			}
		free(t);
		atomic_fetch_sub(&hub->ntopics, 1);
	}
	client_put(hub, s->client);
	hub->nstreams--;
	pthread_mutex_unlock(&hub->mu);
	metrics_counter_add(hub->m_open, -1);
	free(s->buf);
	free(s);
}

unsigned int
stream_hub_count(struct stream_hub *hub)
{
	unsigned int n;

	pthread_mutex_lock(&hub->mu);
	n = hub->nstreams;
	pthread_mutex_unlock(&hub->mu);
	return n;
}

void
stream_hub_shutdown(struct stream_hub *hub)
{
	uint64_t now;

	if (hub == NULL)
		return;
	now = stream_now(hub);
	pthread_mutex_lock(&hub->mu);
	hub->stopping = true;
	for (int i = 0; i < STREAM_NBUCKETS; i++)
		for (struct topic *t = hub->topics[i]; t != NULL;
		    t = t->next)
			for (struct stream *s = t->subs; s != NULL;
			    s = s->next)
				stream_buf_end(s, STREAM_END_SHUTDOWN, now);
	hub->stop = true;
	pthread_cond_signal(&hub->cv);
	pthread_mutex_unlock(&hub->mu);
	if (hub->started) {
		pthread_join(hub->thread, NULL);
		hub->started = false;
	}
}

void
stream_hub_free(struct stream_hub *hub)
{
	if (hub == NULL)
		return;
	stream_hub_shutdown(hub);
	hub_unref(hub);
}

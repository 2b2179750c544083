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
 * second per changing id.
 *
 * An ended stream whose client has not taken its last bytes after
 * STALL_MS is cut (its socket shut down), so that a client that stopped
 * reading cannot hold a connection past its stream's end either.
 *
 * Not here: MHD (http_stream.c), the store (the caller's poll function).
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
#include "util.h"

#define NBUCKETS	256
#define STALL_MS	2000	/* ended, not closed: then cut */
#define CHECK_MS	1000	/* a parked stream's client still there? */
#define IDLE_MS		60000	/* the longest the thread sleeps */
#define CLIENT_MAX	16
#define PING		":\n\n"

enum state {
	S_PENDING,		/* opened, not started */
	S_LIVE,
	S_ENDED,
};

struct topic {
	struct topic		*next;		/* bucket chain */
	struct stream		*subs;
	struct store_counts	 counts;
	bool			 known;		/* counts set */
	bool			 dirty;		/* counts not sent yet */
	uint64_t		 last_emit_ms;	/* 0: never */
	uint64_t		 next_poll_ms;
	uint64_t		 poll_token;	/* nonzero: a poll in flight */
	char			 id[];
};

struct client {
	struct client		*next;
	unsigned char		 addr[CLIENT_MAX];
	size_t			 len;
	unsigned int		 n;
};

struct stream {
	struct stream_hub	*hub;
	struct topic		*topic;
	struct client		*client;
	struct stream		*prev, *next;	/* topic->subs */
	enum state		 state;
	enum stream_end		 why;
	bool			 parked;
	bool			 cut;
	bool			 has_sent;
	struct store_counts	 sent;		/* the counts last sent */
	const struct stream_io	*io;
	void			*arg;
	uint64_t		 start_ms, last_out_ms, ended_ms;
	uint64_t		 next_check_ms;	/* io->gone, while parked */
	size_t			 len;
	char			*buf;		/* hub->opt.buffer bytes */
};

struct stream_hub {
	struct stream_hub_options opt;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thread;
	bool			 started;
	bool			 stop;		/* the thread ends */
	bool			 kick;		/* a topic became dirty */
	bool			 stopping;	/* shutdown: refuse, end all */
	atomic_uint		 refs;
	atomic_uint		 ntopics;
	unsigned int		 nstreams;
	uint64_t		 seq;		/* poll tokens */
	struct topic		*topics[NBUCKETS];
	struct client		*clients[NBUCKETS];

	struct metrics_counter	*m_open, *m_events, *m_polls_ok,
				*m_polls_failed;
	struct metrics_counter	*m_ended[STREAM_NENDS];
	struct metrics_counter	*m_refused[4];
};

static const char *const labels_reason[] = { "reason", NULL };
static const char *const labels_result[] = { "result", NULL };

const char *
stream_end_str(enum stream_end why)
{
	switch (why) {
	case STREAM_END_CLIENT:
		return "client";
	case STREAM_END_MAX_AGE:
		return "max_age";
	case STREAM_END_OVERFLOW:
		return "overflow";
	case STREAM_END_SHUTDOWN:
		return "shutdown";
	case STREAM_END_STALLED:
		return "stalled";
	case STREAM_END_NONE:
		break;
	}
	return NULL;
}

static uint64_t
now_of(const struct stream_hub *hub)
{
	return hub->opt.now != NULL ? hub->opt.now() : util_now_ms();
}

/* FNV-1a over n bytes. */
static unsigned int
hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h % NBUCKETS;
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
	for (int i = 0; i < NBUCKETS; i++) {
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

static uint64_t
min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
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

/* Call io->cut once for s.  Under hub->mu. */
static void
cut(struct stream *s)
{
	if (s->cut || s->io == NULL || s->io->cut == NULL)
		return;
	s->cut = true;
	s->io->cut(s->arg);
}

/* Resume a parked reader.  Under hub->mu. */
static void
wake(struct stream *s)
{
	if (!s->parked)
		return;
	s->parked = false;
	if (s->io != NULL && s->io->wake != NULL)
		s->io->wake(s->arg);
}

/*
 * End s for why at now.  An overflowing stream's buffer is dropped (its
 * client is not reading); otherwise what is buffered goes out first.
 * Under hub->mu.
 */
static void
end(struct stream *s, enum stream_end why, uint64_t now)
{
	struct stream_hub *hub = s->hub;
	bool was_live = s->state == S_LIVE;

	if (s->state == S_ENDED)
		return;
	s->state = S_ENDED;
	s->why = why;
	s->ended_ms = now;
	metrics_counter_add(hub->m_ended[why], 1);
	if (!was_live)
		return;
	if (why == STREAM_END_OVERFLOW)
		s->len = 0;
	if (s->parked)
		wake(s);
	else if (why == STREAM_END_OVERFLOW || why == STREAM_END_SHUTDOWN)
		cut(s);
}

/* Append len bytes to s's buffer, or end it when they do not fit. */
static void
push(struct stream *s, const char *text, size_t len, uint64_t now)
{
	if (s->state != S_LIVE)
		return;
	if (s->len + len > s->hub->opt.buffer) {
		end(s, STREAM_END_OVERFLOW, now);
		return;
	}
	memcpy(s->buf + s->len, text, len);
	s->len += len;
	s->last_out_ms = now;
	wake(s);
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

static bool
same(const struct store_counts *a, const struct store_counts *b)
{
	return a->visits == b->visits && a->unique == b->unique;
}

/* Send the topic's counts to s unless s has them already. */
static void
send_counts(struct stream *s, const char *text, size_t len, uint64_t now)
{
	if (s->state != S_LIVE || (s->has_sent && same(&s->sent,
	    &s->topic->counts)))
		return;
	push(s, text, len, now);
	if (s->state != S_LIVE)
		return;
	s->sent = s->topic->counts;
	s->has_sent = true;
	metrics_counter_add(s->hub->m_events, 1);
}

static void
emit(struct topic *t, uint64_t now)
{
	size_t len;
	char *text = event_text(t->id, &t->counts, &len);

	for (struct stream *s = t->subs; s != NULL; s = s->next)
		send_counts(s, text, len, now);
	free(text);
	t->dirty = false;
	t->last_emit_ms = now;
}

struct poll_job {
	uint64_t	 token;
	char		*id;
};

/* The streams of t: ages, pings, stalls.  Returns the next deadline. */
static uint64_t
tick_streams(struct stream_hub *hub, struct topic *t, uint64_t now,
    uint64_t next)
{
	for (struct stream *s = t->subs; s != NULL; s = s->next) {
		if (s->state == S_LIVE) {
			if (hub->opt.max_age_ms > 0 &&
			    now - s->start_ms >= hub->opt.max_age_ms) {
				end(s, STREAM_END_MAX_AGE, now);
			} else {
				if (now - s->last_out_ms >= hub->opt.ping_ms)
					push(s, PING, sizeof(PING) - 1, now);
				next = min64(next, s->last_out_ms +
				    hub->opt.ping_ms);
				if (hub->opt.max_age_ms > 0)
					next = min64(next, s->start_ms +
					    hub->opt.max_age_ms);
			}
		}
		/*
		 * MHD does not watch a suspended connection: ask whether its
		 * client has gone, so its slot comes back within CHECK_MS
		 * rather than at the next ping's failed write.
		 */
		if (s->state == S_LIVE && s->parked && s->io->gone != NULL) {
			if (now >= s->next_check_ms) {
				s->next_check_ms = now + CHECK_MS;
				if (s->io->gone(s->arg))
					end(s, STREAM_END_CLIENT, now);
			}
			if (s->state == S_LIVE)
				next = min64(next, s->next_check_ms);
		}
		if (s->state == S_ENDED && !s->cut && s->io != NULL) {
			if (now - s->ended_ms >= STALL_MS) {
				metrics_counter_add(
				    hub->m_ended[STREAM_END_STALLED], 1);
				cut(s);
			} else
				next = min64(next, s->ended_ms + STALL_MS);
		}
	}
	return next;
}

uint64_t
stream_hub_tick(struct stream_hub *hub, uint64_t now)
{
	struct poll_job *jobs = NULL;
	size_t njobs = 0, cap = 0;
	uint64_t next = now + IDLE_MS;
	bool polling = hub->opt.poll != NULL && hub->opt.poll_ms > 0;

	pthread_mutex_lock(&hub->mu);
	for (int i = 0; i < NBUCKETS; i++)
		for (struct topic *t = hub->topics[i]; t != NULL;
		    t = t->next) {
			if (t->dirty) {
				uint64_t due = t->last_emit_ms == 0 ? now :
				    t->last_emit_ms + hub->opt.interval_ms;

				if (now >= due)
					emit(t, now);
				else
					next = min64(next, due);
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
					next = min64(next, t->next_poll_ms);
			}
			next = tick_streams(hub, t, now, next);
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
		if (!t->known || !same(&t->counts, c))
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

	if (clientlen > CLIENT_MAX)
		clientlen = CLIENT_MAX;
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
		t->next_poll_ms = now_of(hub) + hub->opt.poll_ms;
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
	s->state = S_PENDING;
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
	uint64_t now = now_of(hub);
	char *text, retry[32];
	size_t len;
	int n;

	pthread_mutex_lock(&hub->mu);
	if (hub->stopping || s->state != S_PENDING) {
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
	s->state = S_LIVE;
	s->start_ms = now;
	/* New deadlines (its ping, its age, the id's poll): wake the thread. */
	hub->kick = true;
	pthread_cond_signal(&hub->cv);
	n = snprintf(retry, sizeof(retry), "retry: %u\n\n", hub->opt.retry_ms);
	push(s, retry, (size_t)n, now);
	text = event_text(t->id, &t->counts, &len);
	send_counts(s, text, len, now);
	free(text);
	pthread_mutex_unlock(&hub->mu);
	return 0;
}

ssize_t
stream_read(struct stream *s, char *buf, size_t max, enum stream_end *why)
{
	struct stream_hub *hub = s->hub;
	size_t n;

	pthread_mutex_lock(&hub->mu);
	if (s->len > 0) {
		n = s->len < max ? s->len : max;
		memcpy(buf, s->buf, n);
		memmove(s->buf, s->buf + n, s->len - n);
		s->len -= n;
		pthread_mutex_unlock(&hub->mu);
		return (ssize_t)n;
	}
	if (s->state == S_ENDED) {
		*why = s->why;
		pthread_mutex_unlock(&hub->mu);
		return -1;
	}
	s->parked = true;
	s->next_check_ms = now_of(hub) + CHECK_MS;
	if (s->io != NULL && s->io->park != NULL)
		s->io->park(s->arg);
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
	if (s->state != S_ENDED)
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

size_t
stream_buffer_size(const struct stream *s)
{
	return s->hub->opt.buffer;
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
	now = now_of(hub);
	pthread_mutex_lock(&hub->mu);
	hub->stopping = true;
	for (int i = 0; i < NBUCKETS; i++)
		for (struct topic *t = hub->topics[i]; t != NULL;
		    t = t->next)
			for (struct stream *s = t->subs; s != NULL;
			    s = s->next)
				end(s, STREAM_END_SHUTDOWN, now);
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

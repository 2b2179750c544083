/*
 * store_dynamodb: the DynamoDB backend of the counter store, with
 * coalesced increments.
 *
 * increment is UpdateItem "ADD #c :n" (ReturnValues UPDATED_NEW), get is a
 * strongly consistent GetItem, check is DescribeTable with its answer
 * cached for a few seconds.  Requests go through the AWS client
 * (aws/client.c), which completes them on its own thread; the HTTP workers
 * never wait on the network.  The three operations are named here
 * (struct client_op), and label the client's visitsd_aws_* metrics.
 *
 * Coalescing: while an UpdateItem for an id is in flight, further
 * increments of that id queue behind it and go out together as one
 * "ADD n" when it completes.  The answer V (the count after the add) is
 * shared out in arrival order: the n waiters get V-n+1 ... V, distinct
 * counts exactly as n separate increments would have given.  A burst of
 * hundreds of visits on one page costs a handful of writes.  When a batch
 * fails every waiter of that batch gets the same result; an unknown
 * outcome (the client will not re-send an UpdateItem that may have been
 * applied) becomes STORE_UNKNOWN_OUTCOME for all of them.
 *
 * Pacing (hot partitions): DynamoDB serves a bounded number of writes per
 * second on one key (about 1,000) and throttles past it, on-demand tables
 * included.  Each id therefore keeps a minimum interval between the starts
 * of its writes (pace.c: doubled on a throttled write, shrunk on a clean
 * one, between the dynamodb_max_writes_per_id ceiling and
 * dynamodb_max_write_interval_ms).  Increments that arrive while the id
 * waits for its next slot join the queued batch, so a throttled key costs
 * latency (bounded by the cap) but not answers.  A pacer thread starts the
 * batches whose slot has come and forgets ids idle for a while.  Throttled
 * attempts themselves are retried by the client within the standard retry
 * rules and quota; pacing only sees that they happened (and DynamoDB's
 * ThrottlingReasons reason, counted by reason).
 *
 * An id's entry is in one of three states: sending (a batch in flight,
 * more may queue), waiting (a queued batch, its slot not yet come; on the
 * pacer's list) or resting (nothing queued but still paced; on the list
 * until forgotten).  Queued-but-unsent waiters are one list per id, and
 * every id with such a list but no write in flight is on the pacer's list,
 * so a shutdown can fail them all at once while batches in flight finish;
 * store_free instead sends them at once, unpaced (dyn_drain).
 *
 * This file knows the store contract and batching; the wire format is
 * aws/dynamodb.c, transport and retries aws/client.c, the interval rule
 * pace.c.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/dynamodb.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "pace.h"
#include "store.h"
#include "store_dynamodb.h"
#include "store_dynamodb_metrics.h"
#include "util.h"

#define NBUCKETS	1024
#define CHECK_TTL_MS	5000	/* a good DescribeTable answer is kept */
#define CHECK_BAD_TTL_MS 1000	/* a bad one, so /readyz recovers fast */
#define FORGET_MS	5000	/* a resting id is forgotten after this */


struct waiter {
	struct waiter	*next;
	store_done_fn	*done;
	void		*arg;
};

/* The increments of one id: the batch in flight and the next one. */
struct pending {
	struct pending	*next;		/* hash chain */
	struct pending	*tnext;		/* the pacer's list */
	struct store_dynamodb *s;
	char		*id;
	bool		 sending;	/* a batch is in flight */
	bool		 on_timer;	/* on s->timer: waiting or resting */
	struct waiter	*inflight;	/* sent as one ADD n_inflight */
	uint64_t	 n_inflight;
	struct waiter	*queued, **queued_tail;
	uint64_t	 n_queued;
	struct pace	 pace;
	uint64_t	 last_start_ms;	/* the last batch's send time */
	struct metrics_counter *gauge;	/* this id's interval, or NULL */
	int64_t		 gauge_ms;	/* what the gauge shows */
};

struct store_dynamodb {
	struct store	 base;		/* first: the store contract */
	struct client	*client;
	char		*table, *key_attribute, *count_attribute;
	struct dynamodb_table tbl;	/* points into the strings above */
	int		 max_writes_per_id, max_interval_ms;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;		/* the pacer's */
	pthread_t	 pacer;
	bool		 stopping;
	struct pending	*buckets[NBUCKETS];
	struct pending	*timer;		/* waiting and resting ids */
	/* Readiness, under lock: */
	bool		 check_inflight;
	struct waiter	*check_waiters;
	enum store_result check_res;
	uint64_t	 check_until_ms;
};

/* One get or one check in flight. */
struct single {
	struct store_dynamodb *s;
	store_done_fn	*done;
	void		*arg;
};

static const struct store_dynamodb_counters *m;
static const struct store_counts zero;

/* UpdateItem may have been applied when its answer is lost: never re-sent. */
static struct client_op update_item = CLIENT_OP("UpdateItem", false);
static struct client_op get_item = CLIENT_OP("GetItem", true);
static struct client_op describe_table = CLIENT_OP("DescribeTable", true);

static size_t
bucket_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % NBUCKETS;
}

static struct waiter *
waiter_new(store_done_fn *done, void *arg)
{
	struct waiter *w = xcalloc(1, sizeof(*w));

	w->done = done;
	w->arg = arg;
	return w;
}

/* Complete every waiter of list with res (and its own count) and free it. */
static void
waiters_done(struct waiter *list, enum store_result res, uint64_t v,
    uint64_t n)
{
	struct waiter *w;
	uint64_t i;

	for (i = 0; (w = list) != NULL; i++) {
		struct store_counts c = { 0 };

		list = w->next;
		c.visits = res == STORE_OK ? v - n + 1 + i : 0;
		w->done(w->arg, res, &c);
		free(w);
	}
}

/* Show p's interval (under s->lock; the gauge add is atomic). */
static void
gauge_update(struct pending *p)
{
	int64_t ms = p->pace.interval_us / 1000;

	if (p->gauge == NULL && p->pace.interval_us > p->pace.floor_us)
		p->gauge = store_dynamodb_metrics_interval(p->id);
	if (p->gauge != NULL && ms != p->gauge_ms) {
		metrics_counter_add(p->gauge, ms - p->gauge_ms);
		p->gauge_ms = ms;
	}
}

static void
timer_add(struct store_dynamodb *s, struct pending *p)
{
	if (p->on_timer)
		return;
	p->on_timer = true;
	p->tnext = s->timer;
	s->timer = p;
	metrics_counter_add(m->paced_ids, 1);
	pthread_cond_signal(&s->wake);
}

static void
timer_remove(struct store_dynamodb *s, struct pending *p)
{
	struct pending **pp;

	if (!p->on_timer)
		return;
	for (pp = &s->timer; *pp != p; pp = &(*pp)->tnext)
		;
	*pp = p->tnext;
	p->on_timer = false;
	metrics_counter_add(m->paced_ids, -1);
}

/* Unlink p from its hash chain (and the timer) and free it; under lock. */
static void
pending_forget(struct store_dynamodb *s, struct pending *p)
{
	struct pending **pp;

	timer_remove(s, p);
	for (pp = &s->buckets[bucket_of(p->id)]; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->gauge != NULL)
		metrics_counter_add(p->gauge, -p->gauge_ms);
	free(p->id);
	free(p);
}

/* The queued batch becomes the one in flight, started now; under lock. */
static void
start_queued_locked(struct store_dynamodb *s, struct pending *p,
    uint64_t now)
{
	timer_remove(s, p);
	p->inflight = p->queued;
	p->n_inflight = p->n_queued;
	p->queued = NULL;
	p->queued_tail = &p->queued;
	p->n_queued = 0;
	p->sending = true;
	p->last_start_ms = now;
}

static void	send_batch(struct pending *);

/*
 * The UpdateItem of a batch completed.  Adapt the id's interval, start the
 * next batch if one queued up and its slot has come (before answering, so
 * it is on its way sooner) or leave it to the pacer, then give each waiter
 * its own count.
 */
static void
update_done(void *arg, const struct client_response *r)
{
	struct pending *p = arg;
	struct store_dynamodb *s = p->s;
	struct waiter *batch;
	enum store_result res = STORE_OK;
	uint64_t n, v = 0, now;
	char err[256];
	bool again = false;

	switch (r->outcome) {
	case CLIENT_OK:
		if (dynamodb_parse_update_item(r->body, r->body_len,
		    s->count_attribute, &v, err, sizeof(err)) == -1 ||
		    v < p->n_inflight) {
			/* Applied, but we cannot tell the count. */
			log_error("dynamodb UpdateItem: %s", v < p->n_inflight ?
			    "count below the batch size" : err);
			res = STORE_UNKNOWN_OUTCOME;
		}
		break;
	case CLIENT_FAILED:
		res = STORE_ERROR;
		break;
	case CLIENT_UNAVAILABLE:
		res = STORE_UNAVAILABLE;
		break;
	case CLIENT_UNKNOWN:
		res = STORE_UNKNOWN_OUTCOME;
		break;
	}
	store_dynamodb_metrics_throttles(r->throttles, r->throttle_reason);

	now = util_now_ms();
	pthread_mutex_lock(&s->lock);
	batch = p->inflight;
	n = p->n_inflight;
	p->inflight = NULL;
	p->n_inflight = 0;
	p->sending = false;
	if (r->throttles > 0)
		pace_throttled(&p->pace);
	else if (r->outcome == CLIENT_OK)
		pace_ok(&p->pace);
	gauge_update(p);
	if (p->queued != NULL && (s->stopping ||
	    pace_due_ms(&p->pace, p->last_start_ms) <= now)) {
		start_queued_locked(s, p, now);
		again = true;
	} else if (!s->stopping && (p->queued != NULL ||
	    pace_active(&p->pace)))
		timer_add(s, p);	/* waiting, or resting */
	else
		pending_forget(s, p);
	pthread_mutex_unlock(&s->lock);

	if (again)
		send_batch(p);
	waiters_done(batch, res, v, n);
}

/* Send p's in-flight batch; only its owner (whoever set sending). */
static void
send_batch(struct pending *p)
{
	struct store_dynamodb *s = p->s;

	metrics_counter_add(m->batches, 1);
	client_submit(s->client, &update_item,
	    dynamodb_update_item_body(&s->tbl, p->id, p->n_inflight),
	    update_done, p);
}

/*
 * The pacer thread: start each waiting batch when its slot comes, forget
 * resting ids after FORGET_MS, sleep until the next of those times.
 */
static void *
pacer_main(void *arg)
{
	struct store_dynamodb *s = arg;
	struct pending *p, *next, *go;
	uint64_t now, wake, due;
	struct timespec ts;

	pthread_mutex_lock(&s->lock);
	while (!s->stopping) {
		now = util_now_ms();
		wake = now + 1000;
		go = NULL;
		for (p = s->timer; p != NULL; p = next) {
			next = p->tnext;
			due = pace_due_ms(&p->pace, p->last_start_ms);
			if (p->queued != NULL && due <= now) {
				start_queued_locked(s, p, now);
				p->tnext = go;
				go = p;
			} else if (p->queued != NULL) {
				if (due < wake)
					wake = due;
			} else if (now >= due + FORGET_MS)
				pending_forget(s, p);
		}
		if (go != NULL) {
			pthread_mutex_unlock(&s->lock);
			for (p = go; p != NULL; p = next) {
				next = p->tnext;
				send_batch(p);
			}
			pthread_mutex_lock(&s->lock);
			continue;
		}
		ts.tv_sec = 0;
		ts.tv_nsec = 0;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		wake -= now;
		ts.tv_sec += (time_t)(wake / 1000);
		ts.tv_nsec += (long)(wake % 1000) * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&s->wake, &s->lock, &ts);
	}
	pthread_mutex_unlock(&s->lock);
	return NULL;
}

static void
dyn_increment(struct store *base, const char *id,
    const struct store_visit *visit, store_done_fn *done, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct waiter *w;
	struct pending *p;
	size_t b = bucket_of(id);
	uint64_t now = util_now_ms(), due;

	(void)visit;	/* uniques and history: not yet */

	metrics_counter_add(m->increments, 1);
	w = waiter_new(done, arg);
	pthread_mutex_lock(&s->lock);
	for (p = s->buckets[b]; p != NULL; p = p->next)
		if (strcmp(p->id, id) == 0)
			break;
	if (p != NULL) {
		*p->queued_tail = w;
		p->queued_tail = &w->next;
		p->n_queued++;
		if (p->sending || p->n_queued > 1) {
			/* Rides along with the queued batch. */
			pthread_mutex_unlock(&s->lock);
			metrics_counter_add(m->coalesced, 1);
			return;
		}
		/* Resting: the first of a new batch. */
		due = pace_due_ms(&p->pace, p->last_start_ms);
		if (now > due)
			pace_idle(&p->pace, now - due);
		gauge_update(p);
		if (pace_due_ms(&p->pace, p->last_start_ms) > now) {
			pthread_cond_signal(&s->wake);
			pthread_mutex_unlock(&s->lock);
			return;
		}
		start_queued_locked(s, p, now);
		pthread_mutex_unlock(&s->lock);
		send_batch(p);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->id = xstrdup(id);
	p->s = s;
	pace_init(&p->pace, s->max_writes_per_id, s->max_interval_ms);
	p->inflight = w;
	p->n_inflight = 1;
	p->sending = true;
	p->last_start_ms = now;
	p->queued_tail = &p->queued;
	p->next = s->buckets[b];
	s->buckets[b] = p;
	pthread_mutex_unlock(&s->lock);
	send_batch(p);
}

static void
get_done(void *arg, const struct client_response *r)
{
	struct single *g = arg;
	enum store_result res = STORE_UNAVAILABLE;
	struct store_counts c = { 0 };
	char err[256];

	if (r->outcome == CLIENT_OK) {
		res = STORE_OK;
		if (dynamodb_parse_get_item(r->body, r->body_len,
		    g->s->count_attribute, &c.visits, err, sizeof(err)) == -1) {
			log_error("dynamodb GetItem: %s", err);
			res = STORE_ERROR;
			c.visits = 0;
		}
	} else if (r->outcome == CLIENT_FAILED)
		res = STORE_ERROR;
	g->done(g->arg, res, &c);
	free(g);
}

static void
dyn_get(struct store *base, const char *id, store_done_fn *done, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct single *g = xcalloc(1, sizeof(*g));

	g->s = s;
	g->done = done;
	g->arg = arg;
	client_submit(s->client, &get_item, dynamodb_get_item_body(&s->tbl, id),
	    get_done, g);
}

static void
check_done(void *arg, const struct client_response *r)
{
	struct store_dynamodb *s = arg;
	enum store_result res = STORE_UNAVAILABLE;
	struct waiter *list, *w;
	char status[32], err[256];

	if (r->outcome == CLIENT_OK) {
		if (dynamodb_parse_describe_table(r->body, r->body_len, status,
		    sizeof(status), err, sizeof(err)) == -1)
			log_error("dynamodb DescribeTable: %s", err);
		else if (strcmp(status, "ACTIVE") == 0 ||
		    strcmp(status, "UPDATING") == 0)
			res = STORE_OK;
		else
			log_warnx("dynamodb table %s is %s", s->table, status);
	}
	pthread_mutex_lock(&s->lock);
	s->check_res = res;
	s->check_until_ms = util_now_ms() + (res == STORE_OK ? CHECK_TTL_MS :
	    CHECK_BAD_TTL_MS);
	s->check_inflight = false;
	list = s->check_waiters;
	s->check_waiters = NULL;
	pthread_mutex_unlock(&s->lock);
	while ((w = list) != NULL) {
		list = w->next;
		w->done(w->arg, res, &zero);
		free(w);
	}
}

static void
dyn_check(struct store *base, store_done_fn *done, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	enum store_result res;
	struct waiter *w;
	bool send;

	pthread_mutex_lock(&s->lock);
	if (!s->check_inflight && util_now_ms() < s->check_until_ms) {
		res = s->check_res;
		pthread_mutex_unlock(&s->lock);
		done(arg, res, &zero);
		return;
	}
	w = waiter_new(done, arg);
	w->next = s->check_waiters;
	s->check_waiters = w;
	send = !s->check_inflight;
	s->check_inflight = true;
	pthread_mutex_unlock(&s->lock);
	if (send)
		client_submit(s->client, &describe_table,
		    dynamodb_describe_table_body(&s->tbl), check_done, s);
}

/*
 * Drain: pacing ends.  Every waiting batch starts now and each completion
 * sends what queued behind it at once, so store_free completes every
 * increment; resting ids are forgotten and the pacer thread is joined.
 * After dyn_shutdown nothing is queued any more, so nothing is sent here.
 */
static void
dyn_drain(struct store_dynamodb *s)
{
	struct pending *p, *next, *go = NULL;
	uint64_t now = util_now_ms();

	pthread_mutex_lock(&s->lock);
	s->stopping = true;
	pthread_cond_signal(&s->wake);
	for (p = s->timer; p != NULL; p = next) {
		next = p->tnext;
		if (p->queued != NULL) {
			start_queued_locked(s, p, now);
			p->tnext = go;
			go = p;
		} else
			pending_forget(s, p);
	}
	pthread_mutex_unlock(&s->lock);
	pthread_join(s->pacer, NULL);
	for (p = go; p != NULL; p = next) {
		next = p->tnext;
		send_batch(p);
	}
}

/*
 * Shutdown: every increment queued behind a write in flight fails now,
 * unsent (STORE_UNAVAILABLE); the writes in flight finish with their real
 * result, and since their queues are empty no new batch follows them;
 * an id waiting for its paced slot is left with nothing queued, which the
 * pacer treats as resting.
 * store.c refuses new increments after this.
 */
static void
dyn_shutdown(struct store *base)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct waiter *dropped = NULL, *w;
	struct pending *p;
	size_t i;

	pthread_mutex_lock(&s->lock);
	for (i = 0; i < NBUCKETS; i++)
		for (p = s->buckets[i]; p != NULL; p = p->next) {
			if (p->queued == NULL)
				continue;
			*p->queued_tail = dropped;
			dropped = p->queued;
			p->queued = NULL;
			p->queued_tail = &p->queued;
			p->n_queued = 0;
		}
	pthread_mutex_unlock(&s->lock);
	while ((w = dropped) != NULL) {
		dropped = w->next;
		w->done(w->arg, STORE_UNAVAILABLE, &zero);
		free(w);
	}
}

static void
dyn_free(struct store *base)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	size_t i;

	dyn_drain(s);
	/* Drains: every batch, get and check completes before it returns. */
	client_free(s->client);
	for (i = 0; i < NBUCKETS; i++)
		if (s->buckets[i] != NULL)
			log_error("dynamodb: increments left after the drain");
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->lock);
	free(s->table);
	free(s->key_attribute);
	free(s->count_attribute);
	free(s);
}

static const struct store_ops dynamodb_ops = {
	.name = "dynamodb",
	.increment = dyn_increment,
	.get = dyn_get,
	.check = dyn_check,
	.shutdown = dyn_shutdown,
	.free = dyn_free,
};

struct store *
store_dynamodb_new(const struct config *cfg, char *err, size_t errlen)
{
	static struct client_op *const ops[] = { &update_item, &get_item,
	    &describe_table, NULL };
	struct client_options o;
	struct store_dynamodb *s;
	pthread_condattr_t ca;
	int rc;

	/* The attribute names are valid and differ: config_validate. */
	m = store_dynamodb_metrics_init();
	s = xcalloc(1, sizeof(*s));
	s->table = xstrdup(cfg->dynamodb_table);
	s->key_attribute = xstrdup(cfg->dynamodb_key_attribute);
	s->count_attribute = xstrdup(cfg->dynamodb_count_attribute);
	s->base.ops = &dynamodb_ops;
	s->tbl.table = s->table;
	s->tbl.key_attribute = s->key_attribute;
	s->tbl.count_attribute = s->count_attribute;
	s->max_writes_per_id = cfg->dynamodb_max_writes_per_id;
	s->max_interval_ms = cfg->dynamodb_max_write_interval_ms;
	pthread_mutex_init(&s->lock, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&s->wake, &ca);
	pthread_condattr_destroy(&ca);
	memset(&o, 0, sizeof(o));
	o.service = "dynamodb";
	o.target_prefix = DYNAMODB_TARGET_PREFIX;
	o.content_type = DYNAMODB_CONTENT_TYPE;
	o.connect_timeout_ms = cfg->aws_connect_timeout_ms;
	o.request_timeout_ms = cfg->aws_request_timeout_ms;
	o.ops = ops;
	if ((s->client = client_new(&o, err, errlen)) == NULL) {
		pthread_cond_destroy(&s->wake);
		pthread_mutex_destroy(&s->lock);
		free(s->table);
		free(s->key_attribute);
		free(s->count_attribute);
		free(s);
		return NULL;
	}
	if ((rc = pthread_create(&s->pacer, NULL, pacer_main, s)) != 0) {
		log_error("dynamodb pacer thread: %s", strerror(rc));
		abort();
	}
	log_info("store: dynamodb table %s (key %s, count %s)", s->table,
	    s->key_attribute, s->count_attribute);
	return &s->base;
}

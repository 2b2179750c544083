/*
 * store_dynamodb_batch: the coalesced, paced counter writes of the
 * DynamoDB backend.
 *
 * Coalescing: while an UpdateItem for an id is in flight, further
 * increments of that id queue behind it and go out together as one
 * UpdateItem when it completes: "ADD" of the batch's visits and first
 * visits of the day to the id's visits and unique, and to the day
 * attributes of the days its visits belong to (aws/dynamodb_item.c), so
 * uniques and history cost no write of their own.  The answer (visits V
 * and unique U after the add) is shared out in arrival order: the n
 * waiters get visits V-n+1 ... V, distinct counts exactly as n separate
 * increments would have given, and each the unique count as of its own
 * place in the batch.  When a batch fails every waiter of that batch gets
 * the same result; an unknown outcome (the client will not re-send an
 * UpdateItem that may have been applied) becomes STORE_UNKNOWN_OUTCOME for
 * all of them.  A batch that surely was not applied releases the visitor
 * items of its first visits (dyn_visitor_release), so those visitors count
 * as first again when they come back.
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
 * store_free instead sends them at once, unpaced (dyn_batch_drain).
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/client.h"
#include "aws/dynamodb.h"
#include "log.h"
#include "metrics.h"
#include "pace.h"
#include "store.h"
#include "store_dynamodb_impl.h"
#include "store_dynamodb_metrics.h"
#include "util.h"

#define FORGET_MS	5000	/* a resting id is forgotten after this */

static const struct store_counts zero;

static size_t
bucket_of(const char *id)
{
	uint32_t h = 2166136261u;

	for (; *id != '\0'; id++)
		h = (h ^ (unsigned char)*id) * 16777619u;
	return h % DYN_NBUCKETS;
}

/*
 * Complete every waiter of list (n of them) with res and free it: on
 * STORE_OK visits v-n+1+i and the unique count as of its place, from the
 * batch's answer (v visits, u unique after it).  A batch not applied
 * (release) releases the visitor items of its first visits.
 */
static void
waiters_done(struct store_dynamodb *s, struct dyn_waiter *list,
    enum store_result res, uint64_t v, uint64_t u, uint64_t n, bool release)
{
	struct dyn_waiter *w;
	uint64_t i, firsts = 0, uq;

	for (w = list; w != NULL; w = w->next)
		firsts += w->first;
	uq = u >= firsts ? u - firsts : 0;
	for (i = 0; (w = list) != NULL; i++) {
		struct store_counts c = { 0 };

		list = w->next;
		if (res == STORE_OK) {
			uq += w->first;
			c.visits = v - n + 1 + i;
			c.unique = uq;
		} else if (release && w->first)
			dyn_visitor_release(s, w);
		w->done(w->arg, res, res == STORE_OK ? &c : &zero);
		free(w);
	}
}

/* Show p's interval (under s->lock; the gauge add is atomic). */
static void
gauge_update(struct dyn_pending *p)
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
timer_add(struct store_dynamodb *s, struct dyn_pending *p)
{
	if (p->on_timer)
		return;
	p->on_timer = true;
	p->tnext = s->timer;
	s->timer = p;
	metrics_counter_add(store_dynamodb_metrics_init()->paced_ids, 1);
	pthread_cond_signal(&s->wake);
}

static void
timer_remove(struct store_dynamodb *s, struct dyn_pending *p)
{
	struct dyn_pending **pp;

	if (!p->on_timer)
		return;
	for (pp = &s->timer; *pp != p; pp = &(*pp)->tnext)
		;
	*pp = p->tnext;
	p->on_timer = false;
	metrics_counter_add(store_dynamodb_metrics_init()->paced_ids, -1);
}

/* Unlink p from its hash chain (and the timer) and free it; under lock. */
static void
pending_forget(struct store_dynamodb *s, struct dyn_pending *p)
{
	struct dyn_pending **pp;

	timer_remove(s, p);
	for (pp = &s->buckets[bucket_of(p->id)]; *pp != p; pp = &(*pp)->next)
		;
	*pp = p->next;
	if (p->gauge != NULL)
		metrics_counter_add(p->gauge, -p->gauge_ms);
	free(p->id);
	free(p);
}

/* Is day among days[0..n)? */
static bool
has_day(const uint32_t *days, size_t n, uint32_t day)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (days[i] == day)
			return true;
	return false;
}

/*
 * The queued batch becomes the one in flight, started now; under lock.
 * One UpdateItem names at most DYNAMODB_MAX_BATCH_DAYS days: the waiters
 * past a further day stay queued, in order, for the next batch.
 */
static void
start_queued_locked(struct store_dynamodb *s, struct dyn_pending *p,
    uint64_t now)
{
	uint32_t days[DYNAMODB_MAX_BATCH_DAYS];
	struct dyn_waiter **wp = &p->queued;
	size_t nd = 0;
	uint64_t n = 0;

	timer_remove(s, p);
	for (; *wp != NULL; wp = &(*wp)->next, n++) {
		if (has_day(days, nd, (*wp)->day))
			continue;
		if (nd == DYNAMODB_MAX_BATCH_DAYS)
			break;
		days[nd++] = (*wp)->day;
	}
	p->inflight = p->queued;
	p->n_inflight = n;
	p->queued = *wp;
	*wp = NULL;
	p->n_queued -= n;
	if (p->queued == NULL)
		p->queued_tail = &p->queued;
	p->sending = true;
	p->last_start_ms = now;
}

static void	send_batch(struct dyn_pending *);

/*
 * The UpdateItem of a batch completed.  Adapt the id's interval, start the
 * next batch if one queued up and its slot has come (before answering, so
 * it is on its way sooner) or leave it to the pacer, then give each waiter
 * its own count.
 */
static void
update_done(void *arg, const struct client_response *r)
{
	struct dyn_pending *p = arg;
	struct store_dynamodb *s = p->s;
	struct dyn_waiter *batch;
	enum store_result res = STORE_OK;
	uint64_t n, v = 0, u = 0, now;
	char err[256];
	bool again = false;

	switch (r->outcome) {
	case CLIENT_OK:
		if (dynamodb_parse_counts(r->body, r->body_len, &s->tbl, true,
		    &v, &u, err, sizeof(err)) == -1 || v < p->n_inflight) {
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
	waiters_done(s, batch, res, v, u, n, res == STORE_ERROR ||
	    res == STORE_UNAVAILABLE);
}

/* Send p's in-flight batch; only its owner (whoever set sending). */
static void
send_batch(struct dyn_pending *p)
{
	struct dynamodb_day_add days[DYNAMODB_MAX_BATCH_DAYS];
	struct store_dynamodb *s = p->s;
	struct dyn_waiter *w;
	uint64_t n = 0, u = 0;
	size_t nd = 0, i;

	for (w = p->inflight; w != NULL; w = w->next) {
		for (i = 0; i < nd && days[i].day != w->day; i++)
			;
		if (i == nd) {
			days[nd].day = w->day;
			days[nd].visits = days[nd].unique = 0;
			nd++;
		}
		days[i].visits++;
		days[i].unique += w->first;
		n++;
		u += w->first;
	}
	metrics_counter_add(store_dynamodb_metrics_init()->batches, 1);
	client_submit(s->client, &dyn_update_item,
	    dynamodb_visits_body(&s->tbl, p->id, n, u, days, nd),
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
	struct dyn_pending *p, *next, *go;
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

void
dyn_batch_start(struct store_dynamodb *s)
{
	int rc;

	if ((rc = pthread_create(&s->pacer, NULL, pacer_main, s)) != 0) {
		log_error("dynamodb pacer thread: %s", strerror(rc));
		abort();
	}
}

void
dyn_batch_add(struct store_dynamodb *s, const char *id, struct dyn_waiter *w)
{
	const struct store_dynamodb_counters *m = store_dynamodb_metrics_init();
	struct dyn_pending *p;
	size_t b = bucket_of(id);
	uint64_t now = util_now_ms(), due;

	pthread_mutex_lock(&s->lock);
	if (s->shut) {
		/* A visitor decision that completed after the shutdown. */
		pthread_mutex_unlock(&s->lock);
		w->next = NULL;
		waiters_done(s, w, STORE_UNAVAILABLE, 0, 0, 1, true);
		return;
	}
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
		if (!s->stopping && pace_due_ms(&p->pace, p->last_start_ms) >
		    now) {
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

void
dyn_batch_drain(struct store_dynamodb *s)
{
	struct dyn_pending *p, *next, *go = NULL;
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

void
dyn_batch_shutdown(struct store_dynamodb *s)
{
	struct dyn_waiter *dropped = NULL, *w, *next;
	struct dyn_pending *p;
	size_t i;

	pthread_mutex_lock(&s->lock);
	s->shut = true;
	for (i = 0; i < DYN_NBUCKETS; i++)
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
	for (w = dropped; w != NULL; w = next) {
		next = w->next;
		w->next = NULL;
		waiters_done(s, w, STORE_UNAVAILABLE, 0, 0, 1, true);
	}
}

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
 * This file knows the store contract and batching; the wire format is
 * aws/dynamodb.c, transport and retries aws/client.c.
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
#include "store.h"
#include "store_dynamodb.h"
#include "util.h"

#define NBUCKETS	1024
#define CHECK_TTL_MS	5000	/* a good DescribeTable answer is kept */
#define CHECK_BAD_TTL_MS 1000	/* a bad one, so /readyz recovers fast */

struct waiter {
	struct waiter	*next;
	store_done_fn	*done;
	void		*arg;
};

/* The increments of one id: the batch in flight and the next one. */
struct pending {
	struct pending	*next;		/* hash chain */
	struct store_dynamodb *s;
	char		*id;
	struct waiter	*inflight;	/* sent as one ADD n_inflight */
	uint64_t	 n_inflight;
	struct waiter	*queued, **queued_tail;
	uint64_t	 n_queued;
};

struct store_dynamodb {
	struct store	 base;		/* first: the store contract */
	struct client	*client;
	char		*table, *key_attribute, *count_attribute;
	struct dynamodb_table tbl;	/* points into the strings above */
	pthread_mutex_t	 lock;
	struct pending	*buckets[NBUCKETS];
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

static struct metrics_counter *m_increments, *m_coalesced, *m_batches;

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

static void	send_batch(struct pending *);

/*
 * The UpdateItem of a batch completed.  Start the next batch of the id if
 * one queued up meanwhile (before answering, so it is on its way sooner),
 * then give each waiter its own count.
 */
static void
update_done(void *arg, const struct client_response *r)
{
	struct pending *p = arg, **pp;
	struct store_dynamodb *s = p->s;
	struct waiter *batch, *w;
	enum store_result res = STORE_OK;
	uint64_t n, v = 0, i;
	char err[256];
	bool again;

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

	pthread_mutex_lock(&s->lock);
	batch = p->inflight;
	n = p->n_inflight;
	again = p->queued != NULL;
	if (again) {
		p->inflight = p->queued;
		p->n_inflight = p->n_queued;
		p->queued = NULL;
		p->queued_tail = &p->queued;
		p->n_queued = 0;
	} else {
		for (pp = &s->buckets[bucket_of(p->id)]; *pp != p;
		    pp = &(*pp)->next)
			;
		*pp = p->next;
	}
	pthread_mutex_unlock(&s->lock);

	if (again)
		send_batch(p);
	else {
		free(p->id);
		free(p);
	}
	for (i = 0; (w = batch) != NULL; i++) {
		batch = w->next;
		w->done(w->arg, res, res == STORE_OK ? v - n + 1 + i : 0);
		free(w);
	}
}

/* Send p's in-flight batch; only its owner (submitter or completion). */
static void
send_batch(struct pending *p)
{
	struct store_dynamodb *s = p->s;

	metrics_counter_add(m_batches, 1);
	client_submit(s->client, &update_item,
	    dynamodb_update_item_body(&s->tbl, p->id, p->n_inflight),
	    update_done, p);
}

static void
dyn_increment(struct store *base, const char *id, store_done_fn *done,
    void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct waiter *w = waiter_new(done, arg);
	struct pending *p;
	size_t b = bucket_of(id);

	metrics_counter_add(m_increments, 1);
	pthread_mutex_lock(&s->lock);
	for (p = s->buckets[b]; p != NULL; p = p->next)
		if (strcmp(p->id, id) == 0)
			break;
	if (p != NULL) {
		*p->queued_tail = w;
		p->queued_tail = &w->next;
		p->n_queued++;
		pthread_mutex_unlock(&s->lock);
		metrics_counter_add(m_coalesced, 1);
		return;
	}
	p = xcalloc(1, sizeof(*p));
	p->id = xstrdup(id);
	p->s = s;
	p->inflight = w;
	p->n_inflight = 1;
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
	uint64_t v = 0;
	char err[256];

	if (r->outcome == CLIENT_OK) {
		res = STORE_OK;
		if (dynamodb_parse_get_item(r->body, r->body_len,
		    g->s->count_attribute, &v, err, sizeof(err)) == -1) {
			log_error("dynamodb GetItem: %s", err);
			res = STORE_ERROR;
		}
	} else if (r->outcome == CLIENT_FAILED)
		res = STORE_ERROR;
	g->done(g->arg, res, v);
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
		w->done(w->arg, res, 0);
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
		done(arg, res, 0);
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
 * Shutdown: every increment queued behind a write in flight fails now,
 * unsent (STORE_UNAVAILABLE); the writes in flight finish with their real
 * result, and since their queues are empty no new batch follows them.
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
		w->done(w->arg, STORE_UNAVAILABLE, 0);
		free(w);
	}
}

static void
dyn_free(struct store *base)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	size_t i;

	/* Drains: every batch, get and check completes before it returns. */
	client_free(s->client);
	for (i = 0; i < NBUCKETS; i++)
		if (s->buckets[i] != NULL)
			log_error("dynamodb: increments left after the drain");
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

static pthread_once_t metrics_once = PTHREAD_ONCE_INIT;

static void
metrics_register(void)
{
	m_increments = metrics_counter_new("visitsd_dynamodb_increments_total",
	    NULL, "Increments asked of the DynamoDB store", 0);
	m_coalesced = metrics_counter_new("visitsd_dynamodb_coalesced_total",
	    NULL, "Increments that rode along in another UpdateItem", 0);
	m_batches = metrics_counter_new("visitsd_dynamodb_update_items_total",
	    NULL, "UpdateItem requests started (one per batch)", 0);
}

struct store *
store_dynamodb_new(const struct config *cfg, char *err, size_t errlen)
{
	static struct client_op *const ops[] = { &update_item, &get_item,
	    &describe_table, NULL };
	struct client_options o;
	struct store_dynamodb *s;

	/* The attribute names are valid and differ: config_validate. */
	pthread_once(&metrics_once, metrics_register);
	s = xcalloc(1, sizeof(*s));
	s->table = xstrdup(cfg->dynamodb_table);
	s->key_attribute = xstrdup(cfg->dynamodb_key_attribute);
	s->count_attribute = xstrdup(cfg->dynamodb_count_attribute);
	s->base.ops = &dynamodb_ops;
	s->tbl.table = s->table;
	s->tbl.key_attribute = s->key_attribute;
	s->tbl.count_attribute = s->count_attribute;
	pthread_mutex_init(&s->lock, NULL);
	memset(&o, 0, sizeof(o));
	o.service = "dynamodb";
	o.target_prefix = DYNAMODB_TARGET_PREFIX;
	o.content_type = DYNAMODB_CONTENT_TYPE;
	o.connect_timeout_ms = cfg->aws_connect_timeout_ms;
	o.request_timeout_ms = cfg->aws_request_timeout_ms;
	o.ops = ops;
	if ((s->client = client_new(&o, err, errlen)) == NULL) {
		pthread_mutex_destroy(&s->lock);
		free(s->table);
		free(s->key_attribute);
		free(s->count_attribute);
		free(s);
		return NULL;
	}
	log_info("store: dynamodb table %s (key %s, count %s)", s->table,
	    s->key_attribute, s->count_attribute);
	return &s->base;
}

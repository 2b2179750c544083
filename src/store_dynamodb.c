/*
 * store_dynamodb: the DynamoDB backend of the counter store.
 *
 * An id is one item: its visits, its unique visitors (the sum of daily
 * uniques) and one number attribute per UTC day for its history
 * (aws/dynamodb_item.c has the layout, docs/dynamodb.md the size
 * arithmetic).  increment decides first whether the visit is its
 * visitor's first of the day (store_dynamodb_visitor.c: a conditional
 * PutItem per visitor and day, skipped for repeats this instance has
 * seen), then joins the id's coalesced, paced UpdateItem
 * (store_dynamodb_batch.c), which adds the visits, the uniques and the
 * day attributes in one write.  get is a strongly consistent GetItem,
 * check is DescribeTable with its answer cached for a few seconds; the
 * admin and blocking operations are store_dynamodb_admin.c.
 *
 * Requests go through the AWS client (aws/client.c), which completes them
 * on its own thread; the HTTP workers never wait on the network.  The
 * operations are named once in store_dynamodb_ops.c and label the client's
 * visitsd_aws_* metrics.  This file knows the store contract; the wire
 * format is aws/dynamodb*.c, transport and retries aws/client.c, the
 * interval rule pace.c.
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
#include "store_dynamodb_impl.h"
#include "store_dynamodb_metrics.h"
#include "util.h"

#define CHECK_TTL_MS	5000	/* a good DescribeTable answer is kept */
#define CHECK_BAD_TTL_MS 1000	/* a bad one, so /readyz recovers fast */

/* One get or one check in flight. */
struct single {
	struct store_dynamodb *s;
	store_done_fn	*done;
	void		*arg;
};

/* An increment waiting for its visitor decision. */
struct deciding {
	struct store_dynamodb *s;
	struct dyn_waiter *w;
	char		 id[];
};

static const struct store_counts zero;

static struct dyn_waiter *
waiter_new(store_done_fn *done, void *arg)
{
	struct dyn_waiter *w = xcalloc(1, sizeof(*w));

	w->done = done;
	w->arg = arg;
	return w;
}

static void
decided(void *ctx, enum store_result res, bool first, const char *vkey,
    const char *token)
{
	struct deciding *d = ctx;
	struct dyn_waiter *w = d->w;

	if (res != STORE_OK) {
		w->done(w->arg, res, &zero);
		free(w);
	} else {
		w->first = first;
		if (first) {
			snprintf(w->vkey, sizeof(w->vkey), "%s", vkey);
			snprintf(w->token, sizeof(w->token), "%s", token);
		}
		dyn_batch_add(d->s, d->id, w);
	}
	free(d);
}

static void
dyn_increment(struct store *base, const char *id,
    const struct store_visit *visit, store_done_fn *done, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct dyn_waiter *w;
	struct deciding *d;
	size_t len;

	metrics_counter_add(store_dynamodb_metrics_init()->increments, 1);
	w = waiter_new(done, arg);
	w->day = visit->day;
	if (!visit->has_visitor) {
		dyn_batch_add(s, id, w);
		return;
	}
	memcpy(w->hash, visit->visitor, sizeof(w->hash));
	len = strlen(id) + 1;
	d = xcalloc(1, sizeof(*d) + len);
	d->s = s;
	d->w = w;
	memcpy(d->id, id, len);
	dyn_visitor_decide(s, visit, decided, d);
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
		if (dynamodb_parse_counts(r->body, r->body_len, &g->s->tbl,
		    false, &c.visits, &c.unique, err, sizeof(err)) == -1) {
			log_error("dynamodb GetItem: %s", err);
			res = STORE_ERROR;
			c = zero;
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
	client_submit(s->client, &dyn_get_item,
	    dynamodb_counts_get_body(&s->tbl, id), get_done, g);
}

static void
check_done(void *arg, const struct client_response *r)
{
	struct store_dynamodb *s = arg;
	enum store_result res = STORE_UNAVAILABLE;
	struct dyn_waiter *list, *w;
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
	struct dyn_waiter *w;
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
		client_submit(s->client, &dyn_describe_table,
		    dynamodb_describe_table_body(&s->tbl), check_done, s);
}

/*
 * Shutdown: every increment queued behind a write in flight fails now,
 * unsent (STORE_UNAVAILABLE), and so does every increment whose visitor
 * decision completes from now on; the writes in flight finish with their
 * real result, and since their queues are empty no new batch follows
 * them.  store.c refuses new increments after this.
 */
static void
dyn_shutdown(struct store *base)
{
	dyn_batch_shutdown((struct store_dynamodb *)base);
}

static void
dyn_free(struct store *base)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	size_t i;

	dyn_batch_drain(s);
	/* Drains: every batch, decision, get and check completes first. */
	client_free(s->client);
	for (i = 0; i < DYN_NBUCKETS; i++)
		if (s->buckets[i] != NULL)
			log_error("dynamodb: increments left after the drain");
	dyn_visitors_free(s->visitors);
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
	.history = dyn_history,
	.set = dyn_set,
	.delete = dyn_delete,
	.salt = dyn_salt,
	.forget = dyn_forget,
	.export = dyn_export,
	.import = dyn_import,
	.shutdown = dyn_shutdown,
	.free = dyn_free,
};

/*
 * The fixed attribute names (aws/dynamodb.h) must differ from the
 * configured ones, and a configured name must not look like a day
 * attribute ("d" or "u" and digits).  Returns 0 or -1 with err.
 */
static int
names_ok(const struct config *cfg, char *err, size_t errlen)
{
	static const char *const fixed[] = { DYNAMODB_UNIQUE_ATTR,
	    DYNAMODB_TTL_ATTR, DYNAMODB_TOKEN_ATTR, DYNAMODB_SALT_ATTR };
	const char *mine[] = { cfg->dynamodb_key_attribute,
	    cfg->dynamodb_count_attribute };
	size_t i, j;

	for (i = 0; i < 2; i++) {
		for (j = 0; j < sizeof(fixed) / sizeof(fixed[0]); j++)
			if (strcmp(mine[i], fixed[j]) == 0) {
				snprintf(err, errlen, "dynamodb attribute "
				    "\"%s\" is used by visitsd itself", mine[i]);
				return -1;
			}
		if ((mine[i][0] == 'd' || mine[i][0] == 'u') &&
		    mine[i][1] != '\0' && strspn(mine[i] + 1, "0123456789") ==
		    strlen(mine[i] + 1)) {
			snprintf(err, errlen, "dynamodb attribute \"%s\" looks "
			    "like a day attribute", mine[i]);
			return -1;
		}
	}
	return 0;
}

struct store *
store_dynamodb_new(const struct config *cfg, char *err, size_t errlen)
{
	static struct client_op *const ops[] = { &dyn_update_item,
	    &dyn_get_item, &dyn_describe_table, &dyn_put_item,
	    &dyn_delete_item, &dyn_scan, NULL };
	struct client_options o;
	struct store_dynamodb *s;
	pthread_condattr_t ca;

	/* The attribute names are valid and differ: config_validate. */
	if (names_ok(cfg, err, errlen) == -1)
		return NULL;
	(void)store_dynamodb_metrics_init();
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
	s->visitors = dyn_visitors_new();
	dyn_batch_start(s);
	log_info("store: dynamodb table %s (key %s, count %s)", s->table,
	    s->key_attribute, s->count_attribute);
	return &s->base;
}

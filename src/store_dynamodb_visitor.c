/*
 * store_dynamodb_visitor: is this visit its visitor's first of the UTC
 * day?  The DynamoDB backend's answer, shared by every instance.
 *
 * Each visitor hash (HMAC under the day's salt, store.h) is recorded once
 * per day in an item of the same table keyed "v#<day>#<64 hex>", with a
 * TTL two days on (docs/dynamodb.md: TTL deletion lags, the day in the key
 * is what keeps yesterday's hashes from counting today).  Ids never hold
 * '#' (api.c), so these keys cannot meet a counter.  A conditional PutItem
 * (attribute_not_exists) decides: it succeeds for the first visit of the
 * day, anywhere in the deployment, and fails its condition for a repeat.
 *
 * Exactly once: the put carries an attempt token (a random prefix per
 * store and a sequence number), so it can be re-sent safely.  When its
 * condition fails, a consistent GetItem reads the token back: our own
 * token means an earlier attempt of this same put was applied (its answer
 * lost, the client re-sent it), and the visit is still the first.  So a
 * retried or replayed put neither loses nor doubles the unique; the +1
 * itself rides in the coalesced counter UpdateItem (store_dynamodb_batch.c),
 * whose exactly-once rules are unchanged.  If that UpdateItem surely was
 * not applied, dyn_visitor_release deletes the visitor item (only if it
 * still holds our token) so that the visitor counts next time.
 *
 * A bounded set of the hashes decided today (SEEN_SETS x SEEN_WAYS entries
 * of 32 bytes, 2 MB) skips the put for repeats this instance has seen, and
 * a visit whose hash is being decided right now waits for that decision
 * and is a repeat: a burst of one visitor costs one put, not one per
 * visit.  An entry of another day counts as free; a full set drops one
 * entry, whose next visit then costs one put (answered "repeat") again.
 * At most VISITOR_INFLIGHT puts are in flight; the rest wait in order, up
 * to VISITOR_WAITING_MAX, past which a new visitor is refused at once.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/rand.h>

#include "aws/client.h"
#include "aws/dynamodb.h"
#include "log.h"
#include "store.h"
#include "store_dynamodb_impl.h"
#include "util.h"

#define SEEN_SETS	8192
#define SEEN_WAYS	8
#define SEEN_BYTES	16	/* of the 32-byte hash: plenty to tell apart */
/* A visitor item outlives its day by this much, for TTL to collect it. */
#define VISITOR_TTL_DAYS 2
/*
 * Decisions in flight at once; the rest wait in arrival order.  A burst
 * of distinct visitors would otherwise hand hundreds of requests to the
 * client at once, each one's timeout running while it waits there for one
 * of the client's connections.
 */
#define VISITOR_INFLIGHT 32
/*
 * Decisions waiting beyond that; past it a new visitor's visit fails at
 * once (STORE_UNAVAILABLE: a 503, nothing counted) instead of queueing
 * work that would outlive its request's store timeout.
 */
#define VISITOR_WAITING_MAX 2048

struct attempt;

struct seen_entry {
	uint32_t	 day;		/* 0: empty */
	uint8_t		 hash[SEEN_BYTES];
	struct attempt	*pending;	/* being decided; NULL: decided */
};

struct dyn_visitors {
	pthread_mutex_t	 lock;
	char		 prefix[17];	/* this store's token prefix, hex */
	atomic_uint_fast64_t seq;
	/* Under lock: */
	int		 inflight;
	int		 nwaiting;
	bool		 pumping;
	struct attempt	*waiting, **waiting_tail;
	struct seen_entry seen[SEEN_SETS][SEEN_WAYS];
};

/* A visit of a hash being decided: a repeat, once the decision is in. */
struct follower {
	struct follower	*next;
	dyn_decided_fn	*cont;
	void		*ctx;
};

/* One decision, waiting or in flight. */
struct attempt {
	struct attempt	*next;		/* waiting */
	struct store_dynamodb *s;
	dyn_decided_fn	*cont;
	void		*ctx;
	struct follower	*followers;	/* under the lock */
	uint32_t	 day;
	uint8_t		 hash[STORE_VISITOR_LEN];
	char		 key[DYNAMODB_KEY_MAX];
	char		 token[DYN_TOKEN_MAX];
};

/* The entries hash may be in; under lock. */
static struct seen_entry *
seen_set(struct dyn_visitors *v, const uint8_t *hash)
{
	uint32_t i = (uint32_t)hash[0] | (uint32_t)hash[1] << 8 |
	    (uint32_t)hash[2] << 16;

	return v->seen[i % SEEN_SETS];
}

/* hash's entry for day, or NULL; under lock. */
static struct seen_entry *
seen_find(struct dyn_visitors *v, uint32_t day, const uint8_t *hash)
{
	struct seen_entry *e = seen_set(v, hash);
	int i;

	for (i = 0; i < SEEN_WAYS; i++)
		if (e[i].day == day && memcmp(e[i].hash, hash,
		    SEEN_BYTES) == 0)
			return &e[i];
	return NULL;
}

/* A new entry for hash, decided by a (NULL: decided); under lock. */
static void
seen_put(struct dyn_visitors *v, uint32_t day, const uint8_t *hash,
    struct attempt *a)
{
	struct seen_entry *e = seen_set(v, hash), *slot = NULL;
	int i;

	for (i = 0; i < SEEN_WAYS && slot == NULL; i++)
		if (e[i].day != day)
			slot = &e[i];	/* empty, or another day's */
	for (i = 0; i < SEEN_WAYS && slot == NULL; i++)
		if (e[i].pending == NULL)
			slot = &e[i];
	if (slot == NULL)
		slot = &e[hash[3] % SEEN_WAYS];
	slot->day = day;
	memcpy(slot->hash, hash, SEEN_BYTES);
	slot->pending = a;
}

struct dyn_visitors *
dyn_visitors_new(void)
{
	struct dyn_visitors *v = xcalloc(1, sizeof(*v));
	uint8_t r[8];
	int i;

	if (RAND_bytes(r, sizeof(r)) != 1) {
		log_error("dynamodb visitors: RAND_bytes failed");
		abort();
	}
	for (i = 0; i < 8; i++)
		snprintf(v->prefix + 2 * i, 3, "%02x", r[i]);
	v->waiting_tail = &v->waiting;
	pthread_mutex_init(&v->lock, NULL);
	return v;
}

void
dyn_visitors_free(struct dyn_visitors *v)
{
	if (v == NULL)
		return;
	pthread_mutex_destroy(&v->lock);
	free(v);
}

static void	pump(struct store_dynamodb *);

/*
 * a is decided: mark its hash seen (or forget it on failure), answer a's
 * visit and its followers (repeats, or the same failure), free it and
 * give its slot to the next waiting decision.
 */
static void
decided(struct attempt *a, enum store_result res, bool first)
{
	struct store_dynamodb *s = a->s;
	struct dyn_visitors *v = s->visitors;
	struct follower *f, *list;
	struct seen_entry *e;

	pthread_mutex_lock(&v->lock);
	if ((e = seen_find(v, a->day, a->hash)) != NULL && e->pending == a) {
		e->pending = NULL;
		if (res != STORE_OK)
			e->day = 0;
	}
	list = a->followers;
	a->followers = NULL;
	v->inflight--;
	pthread_mutex_unlock(&v->lock);
	a->cont(a->ctx, res, first, first ? a->key : NULL,
	    first ? a->token : NULL);
	while ((f = list) != NULL) {
		list = f->next;
		f->cont(f->ctx, res, false, NULL, NULL);
		free(f);
	}
	free(a);
	pump(s);
}

static enum store_result
failed(const struct client_response *r)
{
	return r->outcome == CLIENT_FAILED ? STORE_ERROR : STORE_UNAVAILABLE;
}

/* The token read back after a failed condition: ours, or another's. */
static void
token_done(void *arg, const struct client_response *r)
{
	struct attempt *a = arg;
	char token[DYN_TOKEN_MAX], err[256];
	int rc;

	if (r->outcome != CLIENT_OK) {
		decided(a, failed(r), false);
		return;
	}
	rc = dynamodb_parse_string(r->body, r->body_len, DYNAMODB_TOKEN_ATTR,
	    token, sizeof(token), err, sizeof(err));
	if (rc == -1) {
		log_error("dynamodb visitor GetItem: %s", err);
		decided(a, STORE_ERROR, false);
		return;
	}
	/* Gone (released by its owner): a repeat we cannot count again. */
	decided(a, STORE_OK, rc == 1 && strcmp(token, a->token) == 0);
}

static void
put_done(void *arg, const struct client_response *r)
{
	struct attempt *a = arg;

	if (r->outcome == CLIENT_OK) {
		decided(a, STORE_OK, true);
		return;
	}
	if (r->outcome == CLIENT_FAILED &&
	    strcmp(r->error_type, "ConditionalCheckFailedException") == 0) {
		client_submit(a->s->client, &dyn_get_item,
		    dynamodb_get_string_body(&a->s->tbl, a->key,
		    DYNAMODB_TOKEN_ATTR), token_done, a);
		return;
	}
	decided(a, failed(r), false);
}

/*
 * Send waiting decisions while fewer than VISITOR_INFLIGHT are in flight.
 * One thread pumps at a time; a completion that comes inline (the client
 * stopped) only gives its slot back, and the loop already running sends
 * the next, so nothing recurses.
 */
static void
pump(struct store_dynamodb *s)
{
	struct dyn_visitors *v = s->visitors;
	struct attempt *a;

	pthread_mutex_lock(&v->lock);
	if (v->pumping) {
		pthread_mutex_unlock(&v->lock);
		return;
	}
	v->pumping = true;
	while (v->waiting != NULL && v->inflight < VISITOR_INFLIGHT) {
		a = v->waiting;
		if ((v->waiting = a->next) == NULL)
			v->waiting_tail = &v->waiting;
		v->nwaiting--;
		v->inflight++;
		pthread_mutex_unlock(&v->lock);
		client_submit(s->client, &dyn_put_item,
		    dynamodb_put_new_body(&s->tbl, a->key, DYNAMODB_TOKEN_ATTR,
		    a->token, ((uint64_t)a->day + VISITOR_TTL_DAYS) * 86400),
		    put_done, a);
		pthread_mutex_lock(&v->lock);
	}
	v->pumping = false;
	pthread_mutex_unlock(&v->lock);
}

void
dyn_visitor_decide(struct store_dynamodb *s, const struct store_visit *visit,
    dyn_decided_fn *cont, void *ctx)
{
	struct dyn_visitors *v = s->visitors;
	struct seen_entry *e;
	struct follower *f;
	struct attempt *a;

	pthread_mutex_lock(&v->lock);
	if ((e = seen_find(v, visit->day, visit->visitor)) != NULL) {
		if (e->pending == NULL) {
			pthread_mutex_unlock(&v->lock);
			cont(ctx, STORE_OK, false, NULL, NULL);
			return;
		}
		f = xcalloc(1, sizeof(*f));
		f->cont = cont;
		f->ctx = ctx;
		f->next = e->pending->followers;
		e->pending->followers = f;
		pthread_mutex_unlock(&v->lock);
		return;
	}
	if (v->nwaiting >= VISITOR_WAITING_MAX) {
		pthread_mutex_unlock(&v->lock);
		cont(ctx, STORE_UNAVAILABLE, false, NULL, NULL);
		return;
	}
	a = xcalloc(1, sizeof(*a));
	a->s = s;
	a->cont = cont;
	a->ctx = ctx;
	a->day = visit->day;
	memcpy(a->hash, visit->visitor, sizeof(a->hash));
	dynamodb_visitor_key(a->key, sizeof(a->key), visit->day,
	    visit->visitor);
	snprintf(a->token, sizeof(a->token), "%s:%016" PRIxFAST64, v->prefix,
	    atomic_fetch_add(&v->seq, 1));
	seen_put(v, a->day, a->hash, a);
	*v->waiting_tail = a;
	v->waiting_tail = &a->next;
	v->nwaiting++;
	pthread_mutex_unlock(&v->lock);
	pump(s);
}

static void
release_done(void *arg, const struct client_response *r)
{
	(void)arg;
	if (r->outcome != CLIENT_OK && strcmp(r->error_type,
	    "ConditionalCheckFailedException") != 0)
		log_warnx("dynamodb visitor release: %s %s", r->error_type,
		    r->error_message);
}

void
dyn_visitor_release(struct store_dynamodb *s, const struct dyn_waiter *w)
{
	struct dyn_visitors *v = s->visitors;
	struct seen_entry *e;

	pthread_mutex_lock(&v->lock);
	if ((e = seen_find(v, w->day, w->hash)) != NULL && e->pending == NULL)
		e->day = 0;
	pthread_mutex_unlock(&v->lock);
	client_submit(s->client, &dyn_delete_item,
	    dynamodb_delete_body(&s->tbl, w->vkey, w->token), release_done,
	    NULL);
}

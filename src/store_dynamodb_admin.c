/*
 * store_dynamodb_admin: history, the admin writes and the blocking
 * operations of the DynamoDB backend.
 *
 * history is a consistent GetItem of the id's day attributes (projected up
 * to DYNAMODB_HISTORY_PROJECT_MAX days, the whole item past that),
 * zero-filled.  set is UpdateItem "SET visits, unique" (the day attributes
 * stay: history holds what was counted, not what was set); delete is a
 * DeleteItem of the counter item, so its history goes with it.  Neither
 * waits for this instance's coalesced increments: DynamoDB applies writes
 * to one item one at a time, so an increment applied before the set is
 * overwritten by it, one applied after adds to the set value, on this
 * instance and on any other alike (docs/dynamodb.md).  Neither is re-sent
 * when it may have been applied (store_dynamodb_ops.c): an unknown outcome
 * is STORE_UNKNOWN_OUTCOME, and re-running the set is the caller's choice.
 *
 * The blocking operations run on threads that may wait (the salt keeper,
 * an admin export or import, the command line) and use client_call:
 *   salt: a consistent GetItem of "s#<day>"; if absent, a PutItem of 32
 *     RAND_bytes (hex) with attribute_not_exists, then, if another
 *     instance won the race, its salt read back.  A TTL at the end of the
 *     day backs up forget.
 *   forget: DeleteItem of the salts of today-9 .. today-1 (a day's salt is
 *     deleted at the first forget after its day, which the keeper runs
 *     within a minute of midnight; a window of nine days covers a week of
 *     downtime).
 *     Visitor items are not deleted one by one: their key holds their day,
 *     so they never count on another day, and TTL removes them.
 *   export: a paginated Scan (EXPORT_PAGE items a page, one page in
 *     memory), counter items only.
 *   import: one UpdateItem SET per item, IMPORT_INFLIGHT at a time, as
 *     store_set does; writes surely not applied are sent again
 *     (dyn_import).  BatchWriteItem would replace whole items and drop
 *     their history, at the same write-unit cost.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "aws/client.h"
#include "aws/client_call.h"
#include "aws/dynamodb.h"
#include "log.h"
#include "store.h"
#include "store_dynamodb_impl.h"
#include "util.h"

#define EXPORT_PAGE	500
#define IMPORT_INFLIGHT	32
#define IMPORT_CHUNK	256
#define IMPORT_ROUNDS	5
#define FORGET_FROM	1	/* today-1 ... */
#define FORGET_TO	9	/* ... today-9 */
#define SALT_TTL_DAYS	1	/* TTL at the end of its day */

static const struct store_counts zero;

struct one {
	struct store_dynamodb *s;
	store_done_fn	*done;
	store_history_done_fn *hdone;
	void		*arg;
	uint32_t	 first_day, ndays;
};

static struct one *
one_new(struct store_dynamodb *s, store_done_fn *done, void *arg)
{
	struct one *o = xcalloc(1, sizeof(*o));

	o->s = s;
	o->done = done;
	o->arg = arg;
	return o;
}

static enum store_result
result_of(const struct client_response *r)
{
	switch (r->outcome) {
	case CLIENT_OK:
		return STORE_OK;
	case CLIENT_FAILED:
		return STORE_ERROR;
	case CLIENT_UNAVAILABLE:
		return STORE_UNAVAILABLE;
	case CLIENT_UNKNOWN:
		return STORE_UNKNOWN_OUTCOME;
	}
	return STORE_ERROR;
}

static void
history_done(void *arg, const struct client_response *r)
{
	struct one *o = arg;
	enum store_result res = result_of(r);
	uint64_t *v = NULL, *u = NULL;
	struct store_day *days = NULL;
	char err[256];
	uint32_t i;

	if (res == STORE_OK) {
		v = xcalloc(o->ndays, sizeof(*v));
		u = xcalloc(o->ndays, sizeof(*u));
		if (dynamodb_parse_history(r->body, r->body_len, o->first_day,
		    o->ndays, v, u, err, sizeof(err)) == -1) {
			log_error("dynamodb history GetItem: %s", err);
			res = STORE_ERROR;
		}
	}
	if (res == STORE_OK) {
		days = xcalloc(o->ndays, sizeof(*days));
		for (i = 0; i < o->ndays; i++) {
			days[i].day = o->first_day + i;
			days[i].counts.visits = v[i];
			days[i].counts.unique = u[i];
		}
		o->hdone(o->arg, res, days, o->ndays);
	} else
		o->hdone(o->arg, res == STORE_UNKNOWN_OUTCOME ?
		    STORE_UNAVAILABLE : res, NULL, 0);
	free(days);
	free(v);
	free(u);
	free(o);
}

void
dyn_history(struct store *base, const char *id, uint32_t first_day,
    uint32_t ndays, store_history_done_fn *done, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct one *o;

	if (ndays < 1 || ndays > STORE_HISTORY_MAX) {
		done(arg, STORE_ERROR, NULL, 0);
		return;
	}
	o = one_new(s, NULL, arg);
	o->hdone = done;
	o->first_day = first_day;
	o->ndays = ndays;
	client_submit(s->client, &dyn_get_item,
	    dynamodb_history_get_body(&s->tbl, id, first_day, ndays),
	    history_done, o);
}

static void
set_done(void *arg, const struct client_response *r)
{
	struct one *o = arg;
	enum store_result res = result_of(r);
	struct store_counts c = { 0 };
	char err[256];

	if (res == STORE_OK && dynamodb_parse_counts(r->body, r->body_len,
	    &o->s->tbl, true, &c.visits, &c.unique, err, sizeof(err)) == -1) {
		log_error("dynamodb set UpdateItem: %s", err);
		res = STORE_UNKNOWN_OUTCOME;	/* applied, answer unreadable */
	}
	o->done(o->arg, res, res == STORE_OK ? &c : &zero);
	free(o);
}

void
dyn_set(struct store *base, const char *id, const struct store_counts *counts,
    store_done_fn *done, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;

	client_submit(s->client, &dyn_update_item, dynamodb_set_body(&s->tbl,
	    id, counts->visits, counts->unique), set_done,
	    one_new(s, done, arg));
}

static void
delete_done(void *arg, const struct client_response *r)
{
	struct one *o = arg;

	o->done(o->arg, result_of(r), &zero);
	free(o);
}

void
dyn_delete(struct store *base, const char *id, store_done_fn *done,
    void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;

	client_submit(s->client, &dyn_delete_item,
	    dynamodb_delete_body(&s->tbl, id, NULL), delete_done,
	    one_new(s, done, arg));
}

/* ---- blocking --------------------------------------------------------- */

/* Read the salt of key: 1 found (into salt), 0 absent, -1 with *res. */
static int
salt_read(struct store_dynamodb *s, const char *key,
    uint8_t salt[STORE_SALT_LEN], enum store_result *res)
{
	struct client_call_result r;
	char hex[2 * STORE_SALT_LEN + 1], err[256];
	size_t i;
	int rc, hi, lo;

	client_call(s->client, &dyn_get_item, dynamodb_get_string_body(&s->tbl,
	    key, DYNAMODB_SALT_ATTR), &r);
	if (r.outcome != CLIENT_OK) {
		*res = r.outcome == CLIENT_FAILED ? STORE_ERROR :
		    STORE_UNAVAILABLE;
		log_warnx("dynamodb salt GetItem: %s %s", r.error_type,
		    r.error_message);
		client_call_cleanup(&r);
		return -1;
	}
	rc = dynamodb_parse_string(r.body, r.body_len, DYNAMODB_SALT_ATTR, hex,
	    sizeof(hex), err, sizeof(err));
	client_call_cleanup(&r);
	if (rc == 1 && strlen(hex) != 2 * STORE_SALT_LEN) {
		snprintf(err, sizeof(err), "salt is not %d hex digits",
		    2 * STORE_SALT_LEN);
		rc = -1;
	}
	for (i = 0; rc == 1 && i < STORE_SALT_LEN; i++) {
		hi = util_hexval(hex[2 * i]);
		lo = util_hexval(hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, sizeof(err), "salt is not hex");
			rc = -1;
			break;
		}
		salt[i] = (uint8_t)(hi << 4 | lo);
	}
	OPENSSL_cleanse(hex, sizeof(hex));
	if (rc == -1) {
		log_error("dynamodb salt %s: %s", key, err);
		*res = STORE_ERROR;
	}
	return rc;
}

enum store_result
dyn_salt(struct store *base, uint32_t day, uint8_t salt[STORE_SALT_LEN])
{
	static const char hexd[] = "0123456789abcdef";
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct client_call_result r;
	char key[DYNAMODB_KEY_MAX], hex[2 * STORE_SALT_LEN + 1];
	uint8_t mine[STORE_SALT_LEN];
	enum store_result res = STORE_ERROR;
	size_t i;
	int rc;

	dynamodb_salt_key(key, sizeof(key), day);
	if ((rc = salt_read(s, key, salt, &res)) != 0)
		return rc == 1 ? STORE_OK : res;
	if (RAND_bytes(mine, sizeof(mine)) != 1) {
		log_error("dynamodb salt: RAND_bytes failed");
		return STORE_ERROR;
	}
	for (i = 0; i < STORE_SALT_LEN; i++) {
		hex[2 * i] = hexd[mine[i] >> 4];
		hex[2 * i + 1] = hexd[mine[i] & 15];
	}
	hex[2 * STORE_SALT_LEN] = '\0';
	client_call(s->client, &dyn_put_item, dynamodb_put_new_body(&s->tbl,
	    key, DYNAMODB_SALT_ATTR, hex, ((uint64_t)day + SALT_TTL_DAYS) *
	    86400), &r);
	OPENSSL_cleanse(hex, sizeof(hex));
	if (r.outcome == CLIENT_OK) {
		memcpy(salt, mine, STORE_SALT_LEN);
		res = STORE_OK;
	} else if (r.outcome == CLIENT_FAILED &&
	    strcmp(r.error_type, "ConditionalCheckFailedException") == 0) {
		/* Another instance (or our own earlier attempt) won. */
		rc = salt_read(s, key, salt, &res);
		res = rc == 1 ? STORE_OK : rc == 0 ? STORE_UNAVAILABLE : res;
	} else {
		log_warnx("dynamodb salt PutItem: %s %s", r.error_type,
		    r.error_message);
		res = r.outcome == CLIENT_FAILED ? STORE_ERROR :
		    STORE_UNAVAILABLE;
	}
	client_call_cleanup(&r);
	OPENSSL_cleanse(mine, sizeof(mine));
	return res;
}

enum store_result
dyn_forget(struct store *base, uint32_t today)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct client_call_result r;
	enum store_result res = STORE_OK;
	char key[DYNAMODB_KEY_MAX];
	uint32_t back;

	for (back = FORGET_FROM; back <= FORGET_TO && back <= today; back++) {
		dynamodb_salt_key(key, sizeof(key), today - back);
		client_call(s->client, &dyn_delete_item,
		    dynamodb_delete_body(&s->tbl, key, NULL), &r);
		if (r.outcome != CLIENT_OK) {
			log_warnx("dynamodb forget %s: %s %s", key,
			    r.error_type, r.error_message);
			res = r.outcome == CLIENT_FAILED ? STORE_ERROR :
			    STORE_UNAVAILABLE;
		}
		client_call_cleanup(&r);
	}
	return res;
}

struct export {
	store_each_fn	*each;
	void		*arg;
};

static int
export_one(void *arg, const char *id, uint64_t visits, uint64_t unique)
{
	struct export *x = arg;
	struct store_counts c = { visits, unique };

	return x->each(x->arg, id, &c);
}

enum store_result
dyn_export(struct store *base, store_each_fn *each, void *arg)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	struct export x = { each, arg };
	struct client_call_result r;
	char *start = NULL, *next, err[256];
	int rc;

	do {
		client_call(s->client, &dyn_scan, dynamodb_scan_body(&s->tbl,
		    EXPORT_PAGE, start), &r);
		free(start);
		start = NULL;
		if (r.outcome != CLIENT_OK) {
			log_warnx("dynamodb export Scan: %s %s", r.error_type,
			    r.error_message);
			rc = r.outcome == CLIENT_FAILED ? STORE_ERROR :
			    STORE_UNAVAILABLE;
			client_call_cleanup(&r);
			return (enum store_result)rc;
		}
		rc = dynamodb_parse_scan(r.body, r.body_len, &s->tbl,
		    export_one, &x, &next, err, sizeof(err));
		client_call_cleanup(&r);
		if (rc == -1)
			log_error("dynamodb export Scan: %s", err);
		if (rc != 0) {
			free(next);
			return STORE_ERROR;
		}
		start = next;
	} while (start != NULL);
	return STORE_OK;
}

static void
pause_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		;
}

/* One round of an import: its writes in flight and their results. */
struct import {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	int		 inflight;
};

struct import_one {
	struct import	*im;
	enum store_result *res;		/* this item's slot */
};

static void
import_done(void *arg, const struct client_response *r)
{
	struct import_one *o = arg;
	struct import *im = o->im;

	pthread_mutex_lock(&im->lock);
	*o->res = result_of(r);
	im->inflight--;
	pthread_cond_signal(&im->cond);
	pthread_mutex_unlock(&im->lock);
	free(o);
}

/*
 * Put items[i] for each i with res[i] == STORE_UNAVAILABLE (not applied:
 * to do), IMPORT_INFLIGHT at a time, and wait for them all; res[i] is the
 * result.
 */
static void
import_round(struct store_dynamodb *s, const struct store_item *items,
    enum store_result *res, size_t n)
{
	struct import im;
	struct import_one *o;
	size_t i;

	memset(&im, 0, sizeof(im));
	pthread_mutex_init(&im.lock, NULL);
	pthread_cond_init(&im.cond, NULL);
	for (i = 0; i < n; i++) {
		if (res[i] != STORE_UNAVAILABLE)
			continue;
		pthread_mutex_lock(&im.lock);
		while (im.inflight >= IMPORT_INFLIGHT)
			pthread_cond_wait(&im.cond, &im.lock);
		im.inflight++;
		pthread_mutex_unlock(&im.lock);
		o = xcalloc(1, sizeof(*o));
		o->im = &im;
		o->res = &res[i];
		client_submit(s->client, &dyn_update_item,
		    dynamodb_set_body(&s->tbl, items[i].id,
		    items[i].counts.visits, items[i].counts.unique),
		    import_done, o);
	}
	pthread_mutex_lock(&im.lock);
	while (im.inflight > 0)
		pthread_cond_wait(&im.cond, &im.lock);
	pthread_mutex_unlock(&im.lock);
	pthread_cond_destroy(&im.cond);
	pthread_mutex_destroy(&im.lock);
}

/*
 * IMPORT_CHUNK items at a time; within a chunk the writes that surely were
 * not applied (STORE_UNAVAILABLE: throttled past the client's retries,
 * the retry quota empty) are sent again, up to IMPORT_ROUNDS rounds with a
 * growing pause, which only this importing thread waits for.  A refusal
 * or an unknown outcome stops the import with that result.
 */
enum store_result
dyn_import(struct store *base, const struct store_item *items, size_t nitems)
{
	struct store_dynamodb *s = (struct store_dynamodb *)base;
	enum store_result res[IMPORT_CHUNK], worst = STORE_OK;
	size_t off, n, i;
	int round;

	for (off = 0; off < nitems && worst == STORE_OK; off += n) {
		n = nitems - off < IMPORT_CHUNK ? nitems - off : IMPORT_CHUNK;
		for (i = 0; i < n; i++)
			res[i] = STORE_UNAVAILABLE;
		for (round = 0; round < IMPORT_ROUNDS; round++) {
			if (round > 0)
				pause_ms(200L << round);
			import_round(s, items + off, res, n);
			for (i = 0; i < n && res[i] != STORE_UNAVAILABLE; i++)
				;
			if (i == n)
				break;
		}
		for (i = 0; i < n; i++)
			if (res[i] != STORE_OK && (worst == STORE_OK ||
			    res[i] == STORE_UNKNOWN_OUTCOME))
				worst = res[i];
	}
	if (worst != STORE_OK)
		log_warnx("dynamodb import: stopped near item %zu: %s", off,
		    store_result_str(worst));
	return worst;
}

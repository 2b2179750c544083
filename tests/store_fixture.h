/*
 * store_fixture: what the store contract suite (check_store.c) needs from
 * each backend, and small helpers to wait for a store's callbacks.
 *
 * A backend joins the contract suite by defining one struct store_fixture
 * (next to its own tests), declaring it below and adding one line to the
 * table in check_store.c.  A backend's tests configure their store with
 * config_fixture.h (config_set and config_validate, as the daemon does),
 * never by filling struct config by hand.  The helpers are static inline
 * so that every test file including this header can use them without a
 * shared object file.
 */
#ifndef VISITSD_TESTS_STORE_FIXTURE_H
#define VISITSD_TESTS_STORE_FIXTURE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "config_fixture.h"
#include "store.h"

struct store_fixture {
	const char	*name;
	/*
	 * Make a new, empty store for one test.  Returns it, with private
	 * state in *ctx for cleanup; or NULL with the reason in why when the
	 * backend cannot run here (a missing endpoint variable, say), which
	 * fails the test loudly.
	 */
	struct store	*(*open)(void **ctx, char *why, size_t whylen);
	/* Release ctx (temporary files, tables); the store is freed already. */
	void		 (*cleanup)(void *ctx);
};

extern const struct store_fixture store_fixture_sqlite;
extern const struct store_fixture store_fixture_dynamodb;

/* One operation's completion, as seen from any thread. */
struct waiter {
	pthread_mutex_t		lock;
	pthread_cond_t		cond;
	int			calls;
	enum store_result	res;
	uint64_t		count;		/* visits */
	uint64_t		unique;
};

static inline void
waiter_init(struct waiter *w)
{
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	w->calls = 0;
	w->res = STORE_ERROR;
	w->count = 0;
	w->unique = 0;
}

/* A store_done_fn: record the result and count every call. */
static inline void
waiter_done(void *arg, enum store_result res, const struct store_counts *c)
{
	struct waiter *w = arg;

	pthread_mutex_lock(&w->lock);
	w->calls++;
	w->res = res;
	w->count = c->visits;
	w->unique = c->unique;
	pthread_cond_broadcast(&w->cond);
	pthread_mutex_unlock(&w->lock);
}

/* Block until the operation has completed at least once. */
static inline void
waiter_wait(struct waiter *w)
{
	pthread_mutex_lock(&w->lock);
	while (w->calls == 0)
		pthread_cond_wait(&w->cond, &w->lock);
	pthread_mutex_unlock(&w->lock);
}

static inline int
waiter_calls(struct waiter *w)
{
	int n;

	pthread_mutex_lock(&w->lock);
	n = w->calls;
	pthread_mutex_unlock(&w->lock);
	return n;
}

static inline void
waiter_destroy(struct waiter *w)
{
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
}

/* A visit without a visitor hash, on a fixed day: counts visits only. */
static const struct store_visit no_visitor = { .day = 20000 };

/* The result of a waited-for operation, and its visits in *count. */
static inline enum store_result
waiter_result(struct waiter *w, uint64_t *count)
{
	enum store_result res;

	waiter_wait(w);
	res = w->res;
	*count = w->count;
	waiter_destroy(w);
	return res;
}

/* Synchronous wrappers: the result, and the visits in *count. */
static inline enum store_result
increment_sync(struct store *s, const char *id, uint64_t *count)
{
	struct waiter w;

	waiter_init(&w);
	store_increment(s, id, &no_visitor, waiter_done, &w);
	return waiter_result(&w, count);
}

/* An increment of a given visit; the counts after it in *c. */
static inline enum store_result
visit_sync(struct store *s, const char *id, const struct store_visit *v,
    struct store_counts *c)
{
	struct waiter w;
	enum store_result res;

	waiter_init(&w);
	store_increment(s, id, v, waiter_done, &w);
	res = waiter_result(&w, &c->visits);
	c->unique = w.unique;
	return res;
}

/* A visit on day by a visitor whose hash is 32 bytes of seed. */
static inline struct store_visit
visit_by(uint32_t day, unsigned char seed)
{
	struct store_visit v = { .day = day, .has_visitor = true };

	for (size_t i = 0; i < STORE_VISITOR_LEN; i++)
		v.visitor[i] = (uint8_t)(seed + i);
	return v;
}

static inline enum store_result
get_sync(struct store *s, const char *id, uint64_t *count)
{
	struct waiter w;

	waiter_init(&w);
	store_get(s, id, waiter_done, &w);
	return waiter_result(&w, count);
}

#endif

/*
 * store: the thin dispatch over store_ops, and the names of results and
 * operations.
 *
 * The backends live in store_sqlite.c and store_dynamodb.c and the factory
 * that chooses one in store_open.c; this file depends on none of them, so
 * a caller that only uses a store (http.c) links against the interface
 * alone.
 */
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include "store.h"

/*
 * The gate: an operation announces itself in entering before it looks at
 * stopped, store_shutdown sets stopped before it waits for entering to
 * drain (both sequentially consistent), so every operation either sees
 * stopped or is handed to the backend before the backend's shutdown runs.
 */
static bool
enter(struct store *s, store_done_fn *done, void *arg)
{
	atomic_fetch_add(&s->entering, 1);
	if (!atomic_load(&s->stopped))
		return true;
	atomic_fetch_sub(&s->entering, 1);
	done(arg, STORE_UNAVAILABLE, 0);
	return false;
}

static void
leave(struct store *s)
{
	atomic_fetch_sub(&s->entering, 1);
}

void
store_increment(struct store *s, const char *id, store_done_fn *done,
    void *arg)
{
	if (!enter(s, done, arg))
		return;
	s->ops->increment(s, id, done, arg);
	leave(s);
}

void
store_get(struct store *s, const char *id, store_done_fn *done, void *arg)
{
	if (!enter(s, done, arg))
		return;
	s->ops->get(s, id, done, arg);
	leave(s);
}

void
store_check(struct store *s, store_done_fn *done, void *arg)
{
	if (!enter(s, done, arg))
		return;
	s->ops->check(s, done, arg);
	leave(s);
}

void
store_shutdown(struct store *s)
{
	if (s == NULL || atomic_exchange(&s->stopped, true))
		return;
	/* Submissions are short (queue, hand to a thread, or one read). */
	while (atomic_load(&s->entering) > 0)
		sched_yield();
	if (s->ops->shutdown != NULL)
		s->ops->shutdown(s);
}

void
store_free(struct store *s)
{
	if (s != NULL)
		s->ops->free(s);
}

const char *
store_name(const struct store *s)
{
	return s->ops->name;
}

const char *
store_result_str(enum store_result res)
{
	switch (res) {
	case STORE_OK:
		return "ok";
	case STORE_UNAVAILABLE:
		return "unavailable";
	case STORE_UNKNOWN_OUTCOME:
		return "unknown_outcome";
	case STORE_ERROR:
		return "error";
	}
	return NULL;
}

const char *
store_op_str(enum store_op op)
{
	switch (op) {
	case STORE_OP_INCREMENT:
		return "increment";
	case STORE_OP_GET:
		return "get";
	case STORE_OP_CHECK:
		return "check";
	}
	return NULL;
}

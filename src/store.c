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

static const struct store_counts zero;

/*
 * The gate: an operation announces itself in entering before it looks at
 * stopped, store_shutdown sets stopped before it waits for entering to
 * drain (both sequentially consistent), so every operation either sees
 * stopped or is handed to the backend before the backend's shutdown runs.
 */
static bool
enter(struct store *s)
{
	atomic_fetch_add(&s->entering, 1);
	if (!atomic_load(&s->stopped))
		return true;
	atomic_fetch_sub(&s->entering, 1);
	return false;
}

static void
leave(struct store *s)
{
	atomic_fetch_sub(&s->entering, 1);
}

/* Stopped, or the backend lacks the operation: complete it here. */
static bool
refused(struct store *s, const void *op, store_done_fn *done, void *arg)
{
	if (op == NULL) {
		done(arg, STORE_ERROR, &zero);
		return true;
	}
	if (!enter(s)) {
		done(arg, STORE_UNAVAILABLE, &zero);
		return true;
	}
	return false;
}

void
store_increment(struct store *s, const char *id,
    const struct store_visit *visit, store_done_fn *done, void *arg)
{
	if (refused(s, (const void *)s->ops->increment, done, arg))
		return;
	s->ops->increment(s, id, visit, done, arg);
	leave(s);
}

void
store_get(struct store *s, const char *id, store_done_fn *done, void *arg)
{
	if (refused(s, (const void *)s->ops->get, done, arg))
		return;
	s->ops->get(s, id, done, arg);
	leave(s);
}

void
store_check(struct store *s, store_done_fn *done, void *arg)
{
	if (refused(s, (const void *)s->ops->check, done, arg))
		return;
	s->ops->check(s, done, arg);
	leave(s);
}

void
store_history(struct store *s, const char *id, uint32_t first_day,
    uint32_t ndays, store_history_done_fn *done, void *arg)
{
	if (s->ops->history == NULL) {
		done(arg, STORE_ERROR, NULL, 0);
		return;
	}
	if (!enter(s)) {
		done(arg, STORE_UNAVAILABLE, NULL, 0);
		return;
	}
	s->ops->history(s, id, first_day, ndays, done, arg);
	leave(s);
}

void
store_set(struct store *s, const char *id, const struct store_counts *counts,
    store_done_fn *done, void *arg)
{
	if (refused(s, (const void *)s->ops->set, done, arg))
		return;
	s->ops->set(s, id, counts, done, arg);
	leave(s);
}

void
store_delete(struct store *s, const char *id, store_done_fn *done, void *arg)
{
	if (refused(s, (const void *)s->ops->delete, done, arg))
		return;
	s->ops->delete(s, id, done, arg);
	leave(s);
}

/*
 * The blocking operations pass through the same gate, and hold it for as
 * long as they run: a shutdown waits for an export in progress, which its
 * caller stops by returning -1 from each().
 */
#define BLOCKING(s, fn, ...) do {					\
	enum store_result res_;						\
									\
	if ((s)->ops->fn == NULL)					\
		return STORE_ERROR;					\
	if (!enter(s))							\
		return STORE_UNAVAILABLE;				\
	res_ = (s)->ops->fn((s), __VA_ARGS__);				\
	leave(s);							\
	return res_;							\
} while (0)

enum store_result
store_salt(struct store *s, uint32_t day, uint8_t salt[STORE_SALT_LEN])
{
	BLOCKING(s, salt, day, salt);
}

enum store_result
store_forget(struct store *s, uint32_t today)
{
	BLOCKING(s, forget, today);
}

enum store_result
store_export(struct store *s, store_each_fn *each, void *arg)
{
	BLOCKING(s, export, each, arg);
}

enum store_result
store_import(struct store *s, const struct store_item *items, size_t nitems)
{
	BLOCKING(s, import, items, nitems);
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
	case STORE_OP_HISTORY:
		return "history";
	case STORE_OP_SET:
		return "set";
	case STORE_OP_DELETE:
		return "delete";
	}
	return NULL;
}

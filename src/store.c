/*
 * store: the thin dispatch over store_ops, and the names of results and
 * operations.
 *
 * The backends live in store_sqlite.c and store_dynamodb.c and the factory
 * that chooses one in store_open.c; this file depends on none of them, so
 * a caller that only uses a store (http.c) links against the interface
 * alone.
 */
#include <stddef.h>

#include "store.h"

void
store_increment(struct store *s, const char *id, store_done_fn *done,
    void *arg)
{
	s->ops->increment(s, id, done, arg);
}

void
store_get(struct store *s, const char *id, store_done_fn *done, void *arg)
{
	s->ops->get(s, id, done, arg);
}

void
store_check(struct store *s, store_done_fn *done, void *arg)
{
	s->ops->check(s, done, arg);
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

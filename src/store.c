/*
 * store: the backend factory and the thin dispatch over store_ops.
 *
 * The backends themselves live in store_sqlite.c and store_dynamodb.c; this
 * file only chooses one from the configuration and forwards calls, so the
 * HTTP layer depends on store.h alone.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "store.h"

struct store *
store_new(const struct config *cfg, char *err, size_t errlen)
{
	if (strcmp(cfg->store, "sqlite") == 0)
		return store_sqlite_new(cfg, err, errlen);
	if (strcmp(cfg->store, "dynamodb") == 0)
		return store_dynamodb_new(cfg, err, errlen);
	snprintf(err, errlen, "unknown store \"%s\"", cfg->store);
	return NULL;
}

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
		break;
	}
	return "error";
}

/*
 * store: the counter-store interface, asynchronous by contract.
 *
 * A store keeps one unsigned 64-bit count per id.  The HTTP layer never
 * waits on it: each operation takes a completion callback, and the handler
 * suspends its connection until the callback fires.  A backend may complete
 * inline, before the operation returns (the SQLite backend can), or later
 * from a thread of its own (the DynamoDB backend does); callers handle both.
 *
 * Backends: store_sqlite.c (the embedded default) and store_dynamodb.c.
 * A backend embeds struct store as its first member and fills in ops.
 * This interface is not for anything else: no listing, no deleting.
 */
#ifndef VISITSD_STORE_H
#define VISITSD_STORE_H

#include <stddef.h>
#include <stdint.h>

struct config;

enum store_result {
	STORE_OK = 0,
	STORE_UNAVAILABLE,	/* not applied; the client may retry later */
	STORE_UNKNOWN_OUTCOME,	/* an increment may or may not be applied */
	STORE_ERROR,		/* anything else; not applied as far as known */
};

/*
 * Completion: called exactly once per operation, with the count after the
 * increment (increment), the current count (get; 0 for an unknown id) or 0
 * (check).  count is meaningful only when res is STORE_OK.
 */
typedef void store_done_fn(void *arg, enum store_result res, uint64_t count);

struct store;

struct store_ops {
	const char *name;	/* "sqlite", "dynamodb" */
	void	(*increment)(struct store *, const char *id, store_done_fn *,
		    void *);
	void	(*get)(struct store *, const char *id, store_done_fn *, void *);
	/* Readiness: STORE_OK when the backend can serve right now. */
	void	(*check)(struct store *, store_done_fn *, void *);
	/* Complete every pending operation, then release everything. */
	void	(*free)(struct store *);
};

struct store {
	const struct store_ops *ops;
};

/*
 * Create the backend that cfg->store names.  Returns a new store, or NULL
 * with a one-line reason in err.  cfg is borrowed for the call only.
 */
struct store	*store_new(const struct config *cfg, char *err, size_t errlen);

/* Backends; the same contract as store_new. */
struct store	*store_sqlite_new(const struct config *, char *, size_t);
struct store	*store_dynamodb_new(const struct config *, char *, size_t);

/*
 * Operations.  id is borrowed for the duration of the call only (a backend
 * copies what it keeps).  done(arg, ...) is called exactly once, possibly
 * before the call returns and possibly from another thread.
 */
void	store_increment(struct store *, const char *id, store_done_fn *done,
	    void *arg);
void	store_get(struct store *, const char *id, store_done_fn *done,
	    void *arg);
void	store_check(struct store *, store_done_fn *done, void *arg);

/* Accepts NULL.  Pending operations complete before it returns. */
void	store_free(struct store *);

const char	*store_result_str(enum store_result);

#endif

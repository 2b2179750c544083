/*
 * store: the counter-store interface, asynchronous by contract.
 *
 * A store keeps one unsigned 64-bit count per id.  The HTTP layer never
 * waits on it: each operation takes a completion callback, and the handler
 * suspends its connection until the callback fires.  A backend may complete
 * inline, before the operation returns (the SQLite backend can), or later
 * from a thread of its own (the DynamoDB backend does); callers handle both.
 *
 * Backends: store_sqlite.c (the embedded default) and store_dynamodb.c,
 * each with a header of its own for its constructor; store_open.c is the
 * factory that picks one from the configuration.  This file knows none of
 * them.  A backend embeds struct store as its first member and points ops
 * at its table of callbacks, as a credential provider does (aws/creds.h).
 * This interface is not for anything else: no listing, no deleting.
 */
#ifndef VISITSD_STORE_H
#define VISITSD_STORE_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

enum store_result {
	STORE_OK = 0,
	STORE_UNAVAILABLE,	/* not applied; the client may retry later */
	STORE_UNKNOWN_OUTCOME,	/* an increment may or may not be applied */
	STORE_ERROR,		/* anything else; not applied as far as known */
};
/* One past the last result: STORE_ERROR stays the last value. */
#define STORE_NRESULTS	((int)STORE_ERROR + 1)

/* The operations, for whoever counts them (metrics labels). */
enum store_op {
	STORE_OP_INCREMENT = 0,
	STORE_OP_GET,
	STORE_OP_CHECK,
};
#define STORE_NOPS	((int)STORE_OP_CHECK + 1)

/*
 * Completion: called exactly once per operation, with the count after the
 * increment (increment), the current count (get; 0 for an unknown id) or 0
 * (check).  count is meaningful only when res is STORE_OK.
 */
typedef void store_done_fn(void *arg, enum store_result res, uint64_t count);

struct store;

/* The backend's callbacks: the contracts of the functions below. */
typedef void store_increment_fn(struct store *, const char *id,
    store_done_fn *done, void *arg);
typedef void store_get_fn(struct store *, const char *id, store_done_fn *done,
    void *arg);
/* Readiness: STORE_OK when the backend can serve right now. */
typedef void store_check_fn(struct store *, store_done_fn *done, void *arg);
/*
 * Give up the work not started yet: complete every increment queued but
 * not yet sent (or not yet in a transaction) with STORE_UNAVAILABLE, now;
 * what is already in flight completes later with its real result.  Called
 * once, by store_shutdown, after which store.c refuses new operations
 * itself, so a backend needs no flag of its own.
 */
typedef void store_shutdown_fn(struct store *);
/* Complete every pending operation, then release everything. */
typedef void store_free_fn(struct store *);

struct store_ops {
	const char		*name;	/* "sqlite", "dynamodb" */
	store_increment_fn	*increment;
	store_get_fn		*get;
	store_check_fn		*check;
	store_shutdown_fn	*shutdown;
	store_free_fn		*free;
};

/*
 * A backend sets ops and leaves the rest zero (it is allocated zeroed):
 * the rest is store.c's gate between the operations and store_shutdown.
 */
struct store {
	const struct store_ops *ops;
	atomic_bool		 stopped;	/* store_shutdown was called */
	atomic_int		 entering;	/* operations inside a backend */
};

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

/*
 * Stop taking work, for a graceful shutdown: from now on every operation
 * completes at once with STORE_UNAVAILABLE, without reaching the backend;
 * every increment the backend has queued but not sent completes now with
 * STORE_UNAVAILABLE (so nothing is sent for a client that will be told
 * 503); operations already in flight complete later with their real
 * result.  Waits for operations being submitted by other threads to be
 * handed over first.  Idempotent; store_free is still needed.
 */
void	store_shutdown(struct store *);

/* Accepts NULL.  Pending operations complete before it returns. */
void	store_free(struct store *);

/* The backend's name ("sqlite", "dynamodb"); static. */
const char	*store_name(const struct store *);

/*
 * The names of a result ("ok", "unavailable", "unknown_outcome", "error")
 * and of an operation ("increment", "get", "check"), as metrics label
 * them; static.  NULL for a value outside the enum (check_store.c holds
 * STORE_NRESULTS and STORE_NOPS to that).
 */
const char	*store_result_str(enum store_result);
const char	*store_op_str(enum store_op);

#endif

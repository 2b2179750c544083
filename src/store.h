/*
 * store: the counter-store interface, asynchronous by contract.
 *
 * A store keeps two unsigned 64-bit counts per id (visits and unique
 * visitors) and the same two per id and UTC day.  The HTTP layer never
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
 * Besides counting it holds what unique visitors need (a salt per UTC day,
 * the visitor hashes of the day), a per-day history, and the admin
 * operations (set, delete, export, import).
 */
#ifndef VISITSD_STORE_H
#define VISITSD_STORE_H

#include <stdatomic.h>
#include <stdbool.h>
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
	STORE_OP_HISTORY,
	STORE_OP_SET,
	STORE_OP_DELETE,
};
#define STORE_NOPS	((int)STORE_OP_DELETE + 1)

/* Lengths of a visitor hash (visitor.c) and of a day's salt. */
#define STORE_VISITOR_LEN	32
#define STORE_SALT_LEN		32
/* The longest history a caller may ask for, in days. */
#define STORE_HISTORY_MAX	366

/* What a store keeps per id: every visit, and the sum of daily uniques. */
struct store_counts {
	uint64_t	visits;
	uint64_t	unique;
};

/*
 * One visit as the store records it.  day is the UTC day number (days
 * since 1970-01-01) the visit belongs to: the day of its history entry
 * and of its visitor hash.  visitor is HMAC-SHA256 under that day's salt
 * (visitor.c), never an address or a User-Agent; has_visitor is false when
 * unique counting is off or no salt is at hand, and then the visit counts
 * in visits only.  A visitor's first visit of its day adds 1 to both
 * visits and unique; a repeat adds 1 to visits only.
 */
struct store_visit {
	uint32_t	day;
	bool		has_visitor;
	uint8_t		visitor[STORE_VISITOR_LEN];
};

/* One day of an id's history. */
struct store_day {
	uint32_t		day;
	struct store_counts	counts;
};

/* One id and its counts, as export yields and import takes them. */
struct store_item {
	const char		*id;
	struct store_counts	 counts;
};

/*
 * Completion: called exactly once per operation with the counts after the
 * increment (increment) or the put (set), the current counts (get; zero
 * for an unknown id) or zeros (check, delete).  counts is never NULL, is
 * borrowed for the call, and is meaningful only when res is STORE_OK.
 */
typedef void store_done_fn(void *arg, enum store_result res,
    const struct store_counts *counts);
/*
 * History completion: days[0..ndays) oldest first, one entry per day asked
 * for, days without visits as zeros; borrowed for the call; ndays is 0
 * unless res is STORE_OK.
 */
typedef void store_history_done_fn(void *arg, enum store_result res,
    const struct store_day *days, size_t ndays);
/* Export's visitor: 0 to go on, -1 to stop (export then returns STORE_ERROR). */
typedef int store_each_fn(void *arg, const char *id,
    const struct store_counts *counts);

struct store;

/* The backend's callbacks: the contracts of the functions below. */
typedef void store_increment_fn(struct store *, const char *id,
    const struct store_visit *visit, store_done_fn *done, void *arg);
typedef void store_get_fn(struct store *, const char *id, store_done_fn *done,
    void *arg);
/* Readiness: STORE_OK when the backend can serve right now. */
typedef void store_check_fn(struct store *, store_done_fn *done, void *arg);
typedef void store_history_fn(struct store *, const char *id,
    uint32_t first_day, uint32_t ndays, store_history_done_fn *done,
    void *arg);
typedef void store_set_fn(struct store *, const char *id,
    const struct store_counts *counts, store_done_fn *done, void *arg);
typedef void store_delete_fn(struct store *, const char *id,
    store_done_fn *done, void *arg);
/* The blocking operations: see store_salt and the ones after it. */
typedef enum store_result store_salt_fn(struct store *, uint32_t day,
    uint8_t salt[STORE_SALT_LEN]);
typedef enum store_result store_forget_fn(struct store *, uint32_t today);
typedef enum store_result store_export_fn(struct store *, store_each_fn *each,
    void *arg);
typedef enum store_result store_import_fn(struct store *,
    const struct store_item *items, size_t nitems);
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
	store_history_fn	*history;
	store_set_fn		*set;
	store_delete_fn		*delete;
	store_salt_fn		*salt;
	store_forget_fn		*forget;
	store_export_fn		*export;
	store_import_fn		*import;
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
 * copies what it keeps), and so are visit and counts.  done(arg, ...) is
 * called exactly once, possibly before the call returns and possibly from
 * another thread.  A backend that lacks an operation (its ops entry is
 * NULL) completes it with STORE_ERROR.
 */
void	store_increment(struct store *, const char *id,
	    const struct store_visit *visit, store_done_fn *done, void *arg);
void	store_get(struct store *, const char *id, store_done_fn *done,
	    void *arg);
void	store_check(struct store *, store_done_fn *done, void *arg);
/* ndays days from first_day on; 1 <= ndays <= STORE_HISTORY_MAX. */
void	store_history(struct store *, const char *id, uint32_t first_day,
	    uint32_t ndays, store_history_done_fn *done, void *arg);
/*
 * The admin operations: set puts an id's counts (it creates the id), and
 * delete removes an id with its history, so that it reads zeros.  Each
 * backend documents what an increment concurrent with them becomes.
 */
void	store_set(struct store *, const char *id,
	    const struct store_counts *counts, store_done_fn *done, void *arg);
void	store_delete(struct store *, const char *id, store_done_fn *done,
	    void *arg);

/*
 * The blocking operations, for threads that may wait (the salt keeper,
 * an admin export or import, the command line), never an HTTP worker.
 *
 * store_salt: the salt of UTC day `day` into salt, creating it (random,
 * once for every instance sharing the store) when it does not exist yet.
 * store_forget: delete the salts and the visitor hashes of the days
 * before today (a day's salt is made at most a few minutes before its day
 * and is deleted at the first forget after it, so none outlives 48 hours).
 * store_export: each(arg, id, counts) for every id, in no promised order,
 * in constant memory.  store_import: put every item's counts, as store_set
 * does; items[] and their ids are borrowed.
 */
enum store_result	store_salt(struct store *, uint32_t day,
			    uint8_t salt[STORE_SALT_LEN]);
enum store_result	store_forget(struct store *, uint32_t today);
enum store_result	store_export(struct store *, store_each_fn *each,
			    void *arg);
enum store_result	store_import(struct store *,
			    const struct store_item *items, size_t nitems);

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
 * and of an operation ("increment", "get", "check", "history", "set",
 * "delete"), as metrics label
 * them; static.  NULL for a value outside the enum (check_store.c holds
 * STORE_NRESULTS and STORE_NOPS to that).
 */
const char	*store_result_str(enum store_result);
const char	*store_op_str(enum store_op);

#endif

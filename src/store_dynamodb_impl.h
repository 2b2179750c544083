/*
 * store_dynamodb_impl: what the files of the DynamoDB backend share, and
 * nobody else sees.  store_dynamodb.c is the store (its ops table, the
 * constructor, get, check, shutdown, free) and calls into the others:
 * store_dynamodb_batch.c (coalesced, paced counter writes),
 * store_dynamodb_visitor.c (first visit of the day: a conditional put per
 * visitor and day) and store_dynamodb_admin.c (history, set, delete and
 * the blocking salt, forget, export, import).  None of those three calls
 * another or store_dynamodb.c, so the module graph stays a tree; the
 * visitor decision hands its answer back through a function pointer.
 */
#ifndef VISITSD_STORE_DYNAMODB_IMPL_H
#define VISITSD_STORE_DYNAMODB_IMPL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "aws/client.h"
#include "aws/dynamodb.h"
#include "pace.h"
#include "store.h"

#define DYN_NBUCKETS	1024
/* A visitor item's attempt token: 16 hex of instance, ':', 16 hex. */
#define DYN_TOKEN_MAX	40

struct dyn_visitors;

/* One increment waiting for its batch's answer. */
struct dyn_waiter {
	struct dyn_waiter *next;
	store_done_fn	*done;
	void		*arg;
	uint32_t	 day;
	bool		 first;		/* first of its visitor's day: +1 unique */
	/* When first: the visitor item it created, released if not counted. */
	char		 vkey[DYNAMODB_KEY_MAX];
	char		 token[DYN_TOKEN_MAX];
	uint8_t		 hash[STORE_VISITOR_LEN];
};

/* The increments of one id: the batch in flight and the next one. */
struct dyn_pending {
	struct dyn_pending *next;	/* hash chain */
	struct dyn_pending *tnext;	/* the pacer's list */
	struct store_dynamodb *s;
	char		*id;
	bool		 sending;	/* a batch is in flight */
	bool		 on_timer;	/* on s->timer: waiting or resting */
	struct dyn_waiter *inflight;	/* sent as one UpdateItem */
	uint64_t	 n_inflight;
	struct dyn_waiter *queued, **queued_tail;
	uint64_t	 n_queued;
	struct pace	 pace;
	uint64_t	 last_start_ms;	/* the last batch's send time */
	struct metrics_counter *gauge;	/* this id's interval, or NULL */
	int64_t		 gauge_ms;	/* what the gauge shows */
};

struct store_dynamodb {
	struct store	 base;		/* first: the store contract */
	struct client	*client;
	char		*table, *key_attribute, *count_attribute;
	struct dynamodb_table tbl;	/* points into the strings above */
	int		 max_writes_per_id, max_interval_ms;
	pthread_mutex_t	 lock;
	pthread_cond_t	 wake;		/* the pacer's */
	pthread_t	 pacer;
	bool		 stopping;	/* draining: no pacing, no pacer */
	bool		 shut;		/* dyn_shutdown ran: queue nothing */
	struct dyn_pending *buckets[DYN_NBUCKETS];
	struct dyn_pending *timer;	/* waiting and resting ids */
	struct dyn_visitors *visitors;
	/* Readiness, under lock: */
	bool		 check_inflight;
	struct dyn_waiter *check_waiters;
	enum store_result check_res;
	uint64_t	 check_until_ms;
};

/* The operations, named once for the client and its metrics. */
extern struct client_op dyn_update_item, dyn_get_item, dyn_describe_table,
    dyn_put_item, dyn_delete_item, dyn_scan;

/* ---- store_dynamodb_batch.c ------------------------------------------ */

/* Start the pacer thread (aborts if it cannot). */
void	dyn_batch_start(struct store_dynamodb *s);
/*
 * Queue w (taken) for id's next UpdateItem, or send it now; completes
 * w->done later with the counts after its batch.  After dyn_shutdown,
 * completes it at once with STORE_UNAVAILABLE (releasing its visitor
 * item).  id is borrowed.
 */
void	dyn_batch_add(struct store_dynamodb *s, const char *id,
	    struct dyn_waiter *w);
/* dyn_shutdown's part: fail every queued, unsent increment now. */
void	dyn_batch_shutdown(struct store_dynamodb *s);
/* store_free's part: send every queued batch now, unpaced; join the pacer. */
void	dyn_batch_drain(struct store_dynamodb *s);

/* ---- store_dynamodb_visitor.c ---------------------------------------- */

/*
 * The decision: res STORE_OK with first true when this visit is its
 * visitor's first of the day (and then vkey and token name the visitor
 * item it created), false for a repeat; another res when DynamoDB could
 * not tell (nothing was counted).  Called once, inline or on the client
 * thread.
 */
typedef void dyn_decided_fn(void *ctx, enum store_result res, bool first,
    const char *vkey, const char *token);

struct dyn_visitors *dyn_visitors_new(void);
void	dyn_visitors_free(struct dyn_visitors *);
/* Decide visit (borrowed; has_visitor true) for cont(ctx, ...). */
void	dyn_visitor_decide(struct store_dynamodb *s,
	    const struct store_visit *visit, dyn_decided_fn *cont, void *ctx);
/*
 * A first visit that was not counted (its batch failed and was not
 * applied): delete its visitor item if it still holds our token, and
 * forget the hash, so the visitor's next visit is a first again.
 */
void	dyn_visitor_release(struct store_dynamodb *s, const struct dyn_waiter *w);

/* ---- store_dynamodb_admin.c: the ops table's entries ---------------- */

store_history_fn	dyn_history;
store_set_fn		dyn_set;
store_delete_fn		dyn_delete;
store_salt_fn		dyn_salt;
store_forget_fn		dyn_forget;
store_export_fn		dyn_export;
store_import_fn		dyn_import;

#endif

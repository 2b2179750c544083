/*
 * stream: the live-count hub behind GET /api/visits/<id>/stream.
 *
 * A stream is one client's subscription to one id.  The hub keeps, per id
 * with at least one stream (a topic), the last counts it knows, and hands
 * every change to the id's streams as one server-sent event,
 * "data: {"user":id,"visits":V,"unique":U}\n\n", at most one per
 * interval_ms per id (changes inside the interval are coalesced into the
 * next event, which carries the latest counts).  Changes come from
 * stream_hub_publish (this instance's increments) and, when poll_ms is
 * set, from a read of the id's counts every poll_ms while a stream for it
 * is open (the DynamoDB store: other instances' increments): one read per
 * open id per interval, never one per stream.
 *
 * Each stream has a bounded buffer (buffer bytes) of output its client has
 * not taken yet.  An event that does not fit ends the stream (overflow):
 * a client that stops reading is dropped and never slows the others,
 * because the hub never waits on a client -- it appends to buffers and
 * calls the stream's io callbacks, which only flip flags (suspend, resume,
 * shutdown(2) in http_stream.c).  A stream also gets a comment line after
 * ping_ms without output, and ends at max_age_ms, at stream_hub_shutdown,
 * or when its client leaves (stream_close).  The limits in all and per
 * client are counted from stream_open to stream_close.
 *
 * Threads: one hub thread (stream_hub_start) runs stream_hub_tick at each
 * deadline: coalesced events, pings, ages, polls.  Everything else may be
 * called from any thread.  One mutex guards the hub and every stream's
 * buffer; every io callback is called with it held and must not call back
 * into this module.
 *
 * Not here: MHD (http_stream.c), the store (the poll callback is the
 * caller's), the settings (config_table.c).
 */
#ifndef VISITSD_STREAM_H
#define VISITSD_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "store.h"

struct stream_hub;
struct stream;

/* The clock, for tests: milliseconds, monotonic. */
typedef uint64_t stream_now_fn(void);

/*
 * Read id's counts and call stream_hub_polled(hub, id, token, ...) once,
 * from any thread, later or before returning.  Called on the hub thread
 * without the hub's lock; the hub holds a reference for the call's
 * completion (stream_hub_polled drops it).
 */
typedef void stream_poll_fn(void *arg, struct stream_hub *hub,
    const char *id, uint64_t token);

struct stream_hub_options {
	unsigned int	 max_streams;	/* in all */
	unsigned int	 max_per_client; /* per client address, 0: no cap */
	uint64_t	 max_age_ms;	/* a stream ends this long after start */
	uint64_t	 interval_ms;	/* least time between two events of an id */
	uint64_t	 ping_ms;	/* a comment after this long silent */
	uint64_t	 poll_ms;	/* 0: never poll */
	size_t		 buffer;	/* unsent bytes a stream may hold */
	unsigned int	 retry_ms;	/* the "retry:" field */
	stream_now_fn	*now;		/* NULL: util_now_ms */
	stream_poll_fn	*poll;		/* NULL: never poll */
	void		*poll_arg;
};

/* Why stream_open refused. */
enum stream_refusal {
	STREAM_REFUSED_NONE = 0,
	STREAM_REFUSED_FULL,		/* max_streams open */
	STREAM_REFUSED_CLIENT,		/* max_per_client open by this client */
	STREAM_REFUSED_STOPPING,	/* stream_hub_shutdown was called */
};

/* Why a stream ended (a metrics label: stream_end_str). */
enum stream_end {
	STREAM_END_NONE = 0,
	STREAM_END_CLIENT,		/* closed before the server ended it */
	STREAM_END_MAX_AGE,
	STREAM_END_OVERFLOW,		/* its buffer was full: a slow reader */
	STREAM_END_SHUTDOWN,
	STREAM_END_STALLED,		/* ended, and still not closed */
};
#define STREAM_NENDS	((int)STREAM_END_STALLED + 1)

/*
 * What a stream does to its connection.  Each is called with the hub's
 * lock held, on any thread, and must only flip flags or make a
 * non-blocking system call.  park: stream_read found nothing (the caller's
 * reader is about to return "nothing yet": suspend the connection there);
 * wake: after a park, output or the end has arrived (resume it), called
 * once per park; cut: the stream ended while not parked and its client
 * may never take another byte (shut the socket down); gone (may be NULL):
 * whether the client of a parked stream has closed its end, asked about
 * once a second per parked stream (the stream then ends, reason client).
 */
struct stream_io {
	void	(*park)(void *arg);
	void	(*wake)(void *arg);
	void	(*cut)(void *arg);
	bool	(*gone)(void *arg);
};

/*
 * A new hub (options copied) with its metric families registered; no
 * thread yet.  stream_hub_free releases it.
 */
struct stream_hub	*stream_hub_new(const struct stream_hub_options *);
/* Start the hub thread.  Returns 0, or -1 with errno set. */
int	stream_hub_start(struct stream_hub *);
/*
 * End every stream (reason shutdown; those not parked are cut, so that a
 * drain never waits on a client), refuse new ones, stop the thread.
 * Idempotent.
 */
void	stream_hub_shutdown(struct stream_hub *);
/*
 * Shut down and drop the owner's reference; the hub is freed when the
 * polls in flight have completed too.  Every stream must be closed first.
 * Accepts NULL.
 */
void	stream_hub_free(struct stream_hub *);

/*
 * Run everything due at now_ms: events past their interval, pings, ages,
 * polls.  Returns the next deadline (ms).  The hub thread's loop; tests
 * call it directly with their own clock.
 */
uint64_t	stream_hub_tick(struct stream_hub *, uint64_t now_ms);

/*
 * Counts of id as this instance learnt them: an increment's answer.
 * Counts older than the ones the hub has (fewer visits, or as many and
 * fewer unique) are ignored, so answers completing out of order never
 * move a stream backwards.  Cheap when id has no stream (one relaxed load
 * when no stream is open at all).  id is borrowed.
 */
void	stream_hub_publish(struct stream_hub *, const char *id,
	    const struct store_counts *);
/*
 * Counts of id after an admin set or delete: taken even when lower, and a
 * poll in flight for id is disregarded.  For helper "admin"'s PUT/DELETE.
 */
void	stream_hub_reset(struct stream_hub *, const char *id,
	    const struct store_counts *);
/* The completion of a stream_poll_fn call; drops the hub's reference. */
void	stream_hub_polled(struct stream_hub *, const char *id, uint64_t token,
	    enum store_result res, const struct store_counts *);

/*
 * Reserve a stream of id for client (its bytes borrowed, clientlen at
 * most 16), counted against the limits at once.  Returns a new stream,
 * owned by the caller until stream_close, or NULL with *why set.
 */
struct stream	*stream_open(struct stream_hub *, const char *id,
		    const void *client, size_t clientlen,
		    enum stream_refusal *why);
/*
 * Go live with the first event (the later of counts and what the hub
 * knows) after the retry field.  io and arg are borrowed until
 * stream_close.  Returns 0, or -1 when the hub is shutting down (the
 * caller answers 503 and closes the stream).
 */
int	stream_start(struct stream *, const struct store_counts *counts,
	    const struct stream_io *io, void *arg);
/*
 * Move up to max pending bytes into buf.  Returns their number; 0 when
 * nothing is pending (io->park has been called, and io->wake will be when
 * something comes); -1 when the stream has ended and everything before
 * the end was read (*why says why).
 */
ssize_t	stream_read(struct stream *, char *buf, size_t max,
	    enum stream_end *why);
/*
 * Unsubscribe, give the slot back, free.  No io callback runs after it
 * returns.  Accepts NULL.
 */
void	stream_close(struct stream *);

/* "client", "max_age", "overflow", "shutdown", "stalled"; NULL outside. */
const char	*stream_end_str(enum stream_end);
/* The bytes a stream may hold unsent (the stream_buffer setting). */
size_t		 stream_buffer_size(const struct stream *);
/* Streams open (reserved or live), for tests and the gauge. */
unsigned int	 stream_hub_count(struct stream_hub *);

#endif

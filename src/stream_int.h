/*
 * stream_int.h: what the two files of the stream module share, and
 * nobody else may use: the hub, topic, client and stream structures and
 * the per-stream operations that stream_buf.c gives stream.c.  The
 * contract of the module is stream.h; this header is the seam between
 * the hub (stream.c: topics, clients, limits, the thread, the polls) and
 * one stream's buffer and io (stream_buf.c).
 *
 * Locking: every field below is guarded by hub->mu, except hub->opt (set
 * once by stream_hub_new), hub->refs and hub->ntopics (atomics) and the
 * metric counters (atomic themselves).  Every stream_buf_* function is
 * called with hub->mu held.
 */
#ifndef VISITSD_STREAM_INT_H
#define VISITSD_STREAM_INT_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "stream.h"
#include "util.h"

struct metrics_counter;

#define STREAM_NBUCKETS		256
#define STREAM_CLIENT_MAX	16	/* bytes of a client address kept */

enum stream_state {
	STREAM_PENDING,		/* opened, not started */
	STREAM_LIVE,
	STREAM_ENDED,
};

struct topic {
	struct topic		*next;		/* bucket chain */
	struct stream		*subs;
	struct store_counts	 counts;
	bool			 known;		/* counts set */
	bool			 dirty;		/* counts not sent yet */
	uint64_t		 last_emit_ms;	/* 0: never */
	uint64_t		 next_poll_ms;
	uint64_t		 poll_token;	/* nonzero: a poll in flight */
	char			 id[];
};

struct client {
	struct client		*next;
	unsigned char		 addr[STREAM_CLIENT_MAX];
	size_t			 len;
	unsigned int		 n;
};

struct stream {
	struct stream_hub	*hub;
	struct topic		*topic;
	struct client		*client;
	struct stream		*prev, *next;	/* topic->subs */
	enum stream_state	 state;
	enum stream_end		 why;
	bool			 parked;
	bool			 cut;
	bool			 has_sent;
	struct store_counts	 sent;		/* the counts last sent */
	const struct stream_io	*io;
	void			*arg;
	uint64_t		 start_ms, last_out_ms, ended_ms;
	uint64_t		 next_check_ms;	/* io->gone, while parked */
	size_t			 len;
	char			*buf;		/* hub->opt.buffer bytes */
};

struct stream_hub {
	struct stream_hub_options opt;
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 thread;
	bool			 started;
	bool			 stop;		/* the thread ends */
	bool			 kick;		/* a topic became dirty */
	bool			 stopping;	/* shutdown: refuse, end all */
	atomic_uint		 refs;
	atomic_uint		 ntopics;
	unsigned int		 nstreams;
	uint64_t		 seq;		/* poll tokens */
	struct topic		*topics[STREAM_NBUCKETS];
	struct client		*clients[STREAM_NBUCKETS];

	struct metrics_counter	*m_open, *m_events, *m_polls_ok,
				*m_polls_failed;
	struct metrics_counter	*m_ended[STREAM_NENDS];
	struct metrics_counter	*m_refused[4];
};

/* The hub's clock: opt.now, or util_now_ms. */
static inline uint64_t
stream_now(const struct stream_hub *hub)
{
	return hub->opt.now != NULL ? hub->opt.now() : util_now_ms();
}

static inline uint64_t
stream_min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static inline bool
stream_counts_same(const struct store_counts *a, const struct store_counts *b)
{
	return a->visits == b->visits && a->unique == b->unique;
}

/*
 * End s for why at now: no-op when it has ended already.  An overflowing
 * stream's buffer is dropped (its client is not reading); otherwise what
 * is buffered goes out first.  A parked stream is woken; a stream not
 * parked is cut on overflow and shutdown.
 */
void	stream_buf_end(struct stream *s, enum stream_end why, uint64_t now);
/*
 * Append len bytes of text (borrowed) to a live stream's buffer and wake
 * it, or end it (overflow) when they do not fit.  No-op unless live.
 */
void	stream_buf_push(struct stream *s, const char *text, size_t len,
	    uint64_t now);
/*
 * Push the event text (borrowed, len bytes) of s's topic's counts, unless
 * s has sent those counts already; counts it as an event when it fit.
 */
void	stream_buf_send(struct stream *s, const char *text, size_t len,
	    uint64_t now);
/*
 * s's own deadlines at now: its age, its ping, the question whether a
 * parked stream's client is gone, the cut of an ended stream its client
 * stopped reading.  Returns the earlier of next and s's next deadline.
 */
uint64_t	stream_buf_tick(struct stream *s, uint64_t now, uint64_t next);

#endif

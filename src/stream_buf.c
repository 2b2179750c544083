/*
 * stream_buf: one live-count stream's buffer and its io (the contract is
 * in stream.h, the structures in stream_int.h).
 *
 * A stream's buffer holds the bytes its client has not taken yet, at most
 * hub->opt.buffer of them: the hub appends events and pings to it
 * (stream_buf_push), the connection's content reader takes them
 * (stream_read).  An event that does not fit ends the stream (overflow)
 * and drops what was buffered, so a client that stops reading never slows
 * the others.  The io callbacks are how a stream moves its connection:
 * park when stream_read finds nothing, wake when bytes or the end arrive,
 * cut when it ended and its client may never read again.  Each stream's
 * own deadlines are here too (stream_buf_tick): its maximum age, its ping
 * after ping_ms of silence, the once-a-second question whether a parked
 * stream's client is gone, and the cut of an ended stream whose client
 * has not taken its last bytes after STALL_MS, so that a client that
 * stopped reading cannot hold a connection past its stream's end either.
 * Everything here runs under hub->mu and never waits.
 *
 * Not here: topics, clients, limits, polls, the thread (stream.c); MHD
 * (http_stream.c).
 */
#include <string.h>

#include "metrics.h"
#include "stream.h"
#include "stream_int.h"

#define STALL_MS	2000	/* ended, not closed: then cut */
#define CHECK_MS	1000	/* a parked stream's client still there? */
#define PING		":\n\n"

const char *
stream_end_str(enum stream_end why)
{
	switch (why) {
	case STREAM_END_CLIENT:
		return "client";
	case STREAM_END_MAX_AGE:
		return "max_age";
	case STREAM_END_OVERFLOW:
		return "overflow";
	case STREAM_END_SHUTDOWN:
		return "shutdown";
	case STREAM_END_STALLED:
		return "stalled";
	case STREAM_END_NONE:
		break;
	}
	return NULL;
}

/* Call io->cut once for s.  Under hub->mu. */
static void
cut(struct stream *s)
{
	if (s->cut || s->io == NULL || s->io->cut == NULL)
		return;
	s->cut = true;
	s->io->cut(s->arg);
}

/* Resume a parked reader.  Under hub->mu. */
static void
wake(struct stream *s)
{
	if (!s->parked)
		return;
	s->parked = false;
	if (s->io != NULL && s->io->wake != NULL)
		s->io->wake(s->arg);
}

void
stream_buf_end(struct stream *s, enum stream_end why, uint64_t now)
{
	struct stream_hub *hub = s->hub;
	bool was_live = s->state == STREAM_LIVE;

	if (s->state == STREAM_ENDED)
		return;
	s->state = STREAM_ENDED;
	s->why = why;
	s->ended_ms = now;
	metrics_counter_add(hub->m_ended[why], 1);
	if (!was_live)
		return;
	if (why == STREAM_END_OVERFLOW)
		s->len = 0;
	if (s->parked)
		wake(s);
	else if (why == STREAM_END_OVERFLOW || why == STREAM_END_SHUTDOWN)
		cut(s);
}

void
stream_buf_push(struct stream *s, const char *text, size_t len, uint64_t now)
{
	if (s->state != STREAM_LIVE)
		return;
	if (s->len + len > s->hub->opt.buffer) {
		stream_buf_end(s, STREAM_END_OVERFLOW, now);
		return;
	}
	memcpy(s->buf + s->len, text, len);
	s->len += len;
	s->last_out_ms = now;
	wake(s);
}

void
stream_buf_send(struct stream *s, const char *text, size_t len, uint64_t now)
{
	if (s->state != STREAM_LIVE || (s->has_sent &&
	    stream_counts_same(&s->sent, &s->topic->counts)))
		return;
	stream_buf_push(s, text, len, now);
	if (s->state != STREAM_LIVE)
		return;
	s->sent = s->topic->counts;
	s->has_sent = true;
	metrics_counter_add(s->hub->m_events, 1);
}

uint64_t
stream_buf_tick(struct stream *s, uint64_t now, uint64_t next)
{
	struct stream_hub *hub = s->hub;

	if (s->state == STREAM_LIVE) {
		if (hub->opt.max_age_ms > 0 &&
		    now - s->start_ms >= hub->opt.max_age_ms) {
			stream_buf_end(s, STREAM_END_MAX_AGE, now);
		} else {
			if (now - s->last_out_ms >= hub->opt.ping_ms)
				stream_buf_push(s, PING, sizeof(PING) - 1, now);
			next = stream_min64(next, s->last_out_ms +
			    hub->opt.ping_ms);
			if (hub->opt.max_age_ms > 0)
				next = stream_min64(next, s->start_ms +
				    hub->opt.max_age_ms);
		}
	}
	/*
	 * MHD does not watch a suspended connection: ask whether its client
	 * has gone, so its slot comes back within CHECK_MS rather than at
	 * the next ping's failed write.
	 */
	if (s->state == STREAM_LIVE && s->parked && s->io->gone != NULL) {
		if (now >= s->next_check_ms) {
			s->next_check_ms = now + CHECK_MS;
			if (s->io->gone(s->arg))
				stream_buf_end(s, STREAM_END_CLIENT, now);
		}
		if (s->state == STREAM_LIVE)
			next = stream_min64(next, s->next_check_ms);
	}
	if (s->state == STREAM_ENDED && !s->cut && s->io != NULL) {
		if (now - s->ended_ms >= STALL_MS) {
			metrics_counter_add(hub->m_ended[STREAM_END_STALLED],
			    1);
			cut(s);
		} else
			next = stream_min64(next, s->ended_ms + STALL_MS);
	}
	return next;
}

ssize_t
stream_read(struct stream *s, char *buf, size_t max, enum stream_end *why)
{
	struct stream_hub *hub = s->hub;
	size_t n;

	pthread_mutex_lock(&hub->mu);
	if (s->len > 0) {
		n = s->len < max ? s->len : max;
		memcpy(buf, s->buf, n);
		memmove(s->buf, s->buf + n, s->len - n);
		s->len -= n;
		pthread_mutex_unlock(&hub->mu);
		return (ssize_t)n;
	}
	if (s->state == STREAM_ENDED) {
		*why = s->why;
		pthread_mutex_unlock(&hub->mu);
		return -1;
	}
	s->parked = true;
	s->next_check_ms = stream_now(hub) + CHECK_MS;
	if (s->io != NULL && s->io->park != NULL)
		s->io->park(s->arg);
	pthread_mutex_unlock(&hub->mu);
	return 0;
}

size_t
stream_buffer_size(const struct stream *s)
{
	return s->hub->opt.buffer;
}

/*
 * http_stream: a live-count stream on a libmicrohttpd connection.
 *
 * The MHD side of stream.c's hub: the ?key= query parameter of the stream
 * route (EventSource cannot send a header), the reservation with the
 * refusal the client gets, the text/event-stream answer whose content
 * reader copies from the stream's buffer and suspends the connection when
 * the buffer is empty (the hub resumes it: never a busy loop, never a
 * write that blocks a pool thread), and the connection taken out of the
 * ordinary request slots (http_conn_stream) and out of MHD's idle timeout.
 * Also the hub's construction from the settings, with the store read that
 * polls an id's counts on DynamoDB.
 *
 * http_request.c calls these from its handler; it owns the request.
 *
 * Not here: subscriptions, coalescing, limits (stream.c); the request's
 * life (http_request.c).
 */
#ifndef VISITSD_HTTP_STREAM_H
#define VISITSD_HTTP_STREAM_H

#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "client_id.h"
#include "store.h"

struct config;
struct stream;
struct stream_hub;

/* The longest ?key= value taken, decoded. */
#define HTTP_STREAM_KEY_MAX	512

/*
 * The hub for cfg's stream_* settings, polling store (borrowed; it must
 * outlive the hub's polls, as store_free completes them) when it is the
 * DynamoDB store and stream_poll_ms is set, its thread started.  NULL
 * with the reason in err.
 */
struct stream_hub	*http_stream_hub_new(const struct config *cfg,
			    struct store *store, char *err, size_t errlen);

/*
 * When url is a stream route (it ends in "/stream") and the request has
 * a ?key= parameter: the parameter, percent-decoded, into buf (at least
 * HTTP_STREAM_KEY_MAX + 1 bytes), its length in *len, and true.  The
 * caller checks it and wipes buf.  The access log never sees it: MHD
 * hands the handler the path without its query.
 */
bool	http_stream_query_key(struct MHD_Connection *conn, const char *url,
	    char *buf, size_t *len);

/*
 * Reserve a stream of id for client.  Returns a new stream (stream_close
 * frees it), or NULL with *message set to the sentence of the 503 answer.
 */
struct stream	*http_stream_open(struct stream_hub *, const char *id,
		    const struct client_addr *client, const char **message);

/*
 * The 200 text/event-stream answer for s, starting with counts; steals s
 * (the answer frees it when it is destroyed, also when it is never
 * queued).  Exempts conn from the request deadline, the eviction and MHD's
 * idle timeout.  NULL when the hub is shutting down (s is closed).  The
 * caller adds its headers, queues and destroys the answer.
 */
struct MHD_Response	*http_stream_response(struct MHD_Connection *conn,
			    struct stream *s, const struct store_counts *counts);

#endif

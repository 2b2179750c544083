/*
 * http_conn: the server's table of open connections, and the deadlines
 * libmicrohttpd 0.9.75 does not have.
 *
 * MHD's connection timeout is an idle timeout: every byte restarts it, so
 * a client trickling one header byte a second holds its slot for ever.
 * This table bounds the whole request instead (nginx's
 * client_header_timeout, extended to the body): from accept, or on a
 * keep-alive connection from the first byte of the next request, to the
 * end of the request, however slowly the bytes come.  And it keeps room
 * for new clients and the probes: MHD admits HTTP_CONN_RESERVE connections
 * past max_connections, and while more than max_connections are open the
 * oldest connection still sending its request (or idle between requests)
 * for half a second is cut, at accept and at every sweep.  Requests in
 * progress past max_connections are answered 503 at once, except /healthz
 * and /metrics (http_request.c asks http_conn_at_limit), so a stalled
 * store cannot take the probes' slots either.
 *
 * A connection is cut with shutdown(2), never close(2): MHD notices on its
 * own thread and closes it there.  The fd stays valid while its entry is
 * in the table, because MHD removes it (MHD_CONNECTION_NOTIFY_CLOSED)
 * before closing the socket, under the table's lock.
 *
 * Not here: the store timeout (a request's, http_request.c), the sweeper
 * thread (http.c), the per-address cap (MHD's own, set in http.c).
 */
#ifndef VISITSD_HTTP_CONN_H
#define VISITSD_HTTP_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

/* Connections MHD admits past max_connections, for newcomers and probes. */
#define HTTP_CONN_RESERVE	32

struct http_conn_table;

/*
 * A new, empty table: requests must arrive within request_timeout_ms of
 * their start (0: no deadline); past max_connections room is made as
 * above.  Registers the connection metrics.  Free with
 * http_conn_table_free once every listener using it has stopped.
 */
struct http_conn_table	*http_conn_table_new(int request_timeout_ms,
			    unsigned int max_connections);
void			 http_conn_table_free(struct http_conn_table *);

/* MHD_OPTION_NOTIFY_CONNECTION's callback; cls is the table (borrowed). */
void	http_conn_notify(void *cls, struct MHD_Connection *conn,
	    void **socket_context, enum MHD_ConnectionNotificationCode code);

/*
 * The current request of conn has arrived whole (or is answered): its
 * deadline no longer applies.  Any thread serving conn.
 */
void	http_conn_received(struct MHD_Connection *conn);

/*
 * conn now carries a live-count stream (http_stream.c): out of the request
 * deadline and the eviction, and not counted against max_connections
 * (the stream limits bound it) until it closes.
 */
void	http_conn_stream(struct MHD_Connection *conn);

/* The request completed; conn waits for the next (keep-alive). */
void	http_conn_idle(struct MHD_Connection *conn);

/*
 * Whether max_connections requests are already in progress (arrived, not
 * yet completed) besides conn's: an ordinary request on conn should then be
 * answered 503 at once rather than wait for a slot.
 */
bool	http_conn_at_limit(struct MHD_Connection *conn);

/* Connections sending a request now (bytes arrived, request not whole). */
unsigned int	http_conn_reading(struct http_conn_table *);

/*
 * Cut every connection whose request is past its deadline, and start the
 * deadline of an idle connection on which bytes have arrived.  now_ms is
 * util_now_ms().  Returns the number cut.  One thread at a time.
 */
int	http_conn_sweep(struct http_conn_table *, uint64_t now_ms);

#endif

/*
 * http_conn: the server's table of open connections, and the deadlines
 * libmicrohttpd 0.9.75 does not have.
 *
 * MHD's connection timeout is an idle timeout: every byte restarts it, so
 * a client trickling one header byte a second holds its slot for ever.
 * This table bounds the whole request instead (nginx's
 * client_header_timeout, extended to the body): from accept, or on a
 * keep-alive connection from the first byte of the next request, to the
 * end of the request, however slowly the bytes come.  It also keeps the
 * last slots for the probes: when more than max_connections are open, a
 * new connection takes the slot of the oldest one still sending its
 * request (or idle between requests) for over a second; if there is none,
 * it is admitted into a small reserve where only /healthz and /metrics
 * are served (http_request.c answers anything else 503).
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

/* Connections admitted past max_connections, for the probes. */
#define HTTP_CONN_RESERVE	32

struct http_conn_table;

/*
 * A new, empty table: requests must arrive within request_timeout_ms of
 * their start; more than max_connections open connections make room as
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

/* The request completed; conn waits for the next (keep-alive). */
void	http_conn_idle(struct MHD_Connection *conn);

/* conn was admitted into the reserve and the server is still past its limit. */
bool	http_conn_in_reserve(struct MHD_Connection *conn);

/*
 * Cut every connection whose request is past its deadline, and start the
 * deadline of an idle connection on which bytes have arrived.  now_ms is
 * util_now_ms().  Returns the number cut.  One thread at a time.
 */
int	http_conn_sweep(struct http_conn_table *, uint64_t now_ms);

#endif

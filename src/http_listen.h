/*
 * http_listen: a listener's socket and its accept thread, which hands
 * every accepted connection to the listener's MHD daemon
 * (MHD_add_connection).  MHD never sees the listen socket: see http.c's
 * top comment for the libmicrohttpd defect this avoids.
 */
#ifndef VISITSD_HTTP_LISTEN_H
#define VISITSD_HTTP_LISTEN_H

#include <stddef.h>

struct MHD_Daemon;
struct http_listen;

/*
 * Bind and listen on spec (hostport.c's grammar; a v6 wildcard takes v4
 * too) and write the bound address ("host:port", port 0 resolved) into
 * addr.  Nothing is accepted until http_listen_start.  Returns a new
 * listener owned by the caller (http_listen_close), or NULL with the
 * reason in err.
 */
struct http_listen	*http_listen_open(const char *spec, char *addr,
			    size_t addrlen, char *err, size_t errlen);

/*
 * Start the accept thread: every connection accepted from now on is given
 * to d, which is borrowed and must stay running until http_listen_close;
 * while d holds limit connections (its MHD_OPTION_CONNECTION_LIMIT) the
 * newcomers wait in the backlog.  Returns 0, or -1 with the reason in err
 * (nothing was started).
 */
int	http_listen_start(struct http_listen *, struct MHD_Daemon *d,
	    unsigned int limit, char *err, size_t errlen);

/*
 * Stop accepting: stop the accept thread, hand the connections the kernel
 * has already completed to the daemon (they are clients that sent their
 * request: closing the socket would reset them), then close the socket
 * and free the listener.  Call it before MHD_stop_daemon.  Accepts NULL.
 */
void	http_listen_close(struct http_listen *);

#endif

/*
 * http: the libmicrohttpd server, from socket to api.c and back.
 *
 * Owns the MHD daemon(s) (a thread pool in epoll mode, never one polling
 * thread; http.c), the per-request state, and the suspend/resume dance
 * with the store's completion callbacks (http_request.c).  Routing, id
 * validation, CORS and status mapping are api.c's; this module only moves
 * bytes and connections.
 */
#ifndef VISITSD_HTTP_H
#define VISITSD_HTTP_H

#include <stddef.h>

struct config;
struct store;
struct apikey_ring;
struct http;

/*
 * Start listening (cfg->listen, and cfg->metrics_listen when set).  store
 * and keys are borrowed and must outlive the server.  Returns a new server,
 * or NULL with the reason in err.  No admin API: http_new_admin with NULL.
 */
struct http	*http_new(const struct config *cfg, struct store *store,
		    struct apikey_ring *keys, char *err, size_t errlen);
/* http_new with the admin key ring admin (borrowed; NULL: no admin API). */
struct http	*http_new_admin(const struct config *cfg, struct store *store,
		    struct apikey_ring *keys, struct apikey_ring *admin,
		    char *err, size_t errlen);

/* The bound address as "host:port" (after port 0 was resolved); borrowed. */
const char	*http_address(const struct http *);
const char	*http_metrics_address(const struct http *);  /* NULL if none */

/*
 * Stop accepting; stop the store (store_shutdown: it refuses new work and
 * fails the increments it has not sent, so their clients are answered 503
 * now); wait up to timeout_s seconds for in-flight requests to finish;
 * answer 503 whatever still waits, and let those answers leave (up to 2
 * s more); then stop.  Returns the number of requests abandoned.  The
 * store must still be freed by its owner.
 */
int	http_shutdown(struct http *, int timeout_s);

/* Accepts NULL.  Calls http_shutdown(h, 0) if it has not been called. */
void	http_free(struct http *);

#endif

/*
 * http_guard: the libmicrohttpd edge of guard.c, so http_request.c makes
 * one call before a request acts and one when it answers.  Reads the peer
 * address and the headers guard.c needs (X-Origin-Verify, every
 * X-Forwarded-For occurrence, CloudFront-Viewer-Address) off the
 * connection, and writes the RateLimit fields, Retry-After and
 * Access-Control-Expose-Headers onto an answer.  Private to the HTTP
 * files, like http_request.h.
 */
#ifndef VISITSD_HTTP_GUARD_H
#define VISITSD_HTTP_GUARD_H

#include <stdbool.h>

#include <microhttpd.h>

#include "api.h"
#include "client_id.h"
#include "guard.h"

/*
 * Name the client of conn into *client (every route), then, for a public
 * route (not /healthz, /readyz, /metrics), admit it: on a 403 or 429 from
 * the guard, d becomes that answer ({"message":"Forbidden"} or
 * {"message":"Too Many Requests"}).  g and conn are borrowed.
 */
void	http_guard_admit(struct guard *g, struct MHD_Connection *conn,
	    struct api_decision *d, struct client_addr *client,
	    struct guard_result *res);

/*
 * Add RateLimit-Policy and RateLimit for res (the limiter ran), and
 * Retry-After on a 429; with cors (the answer carries
 * Access-Control-Allow-Origin), Access-Control-Expose-Headers too.
 */
void	http_guard_headers(struct MHD_Response *resp, const struct guard *g,
	    const struct guard_result *res, bool cors);

#endif

/*
 * http_badge: the libmicrohttpd edge of the badge, shields.io and CountAPI
 * routes (api.c decides them, badge.c and countapi.c write the bodies), so
 * http_request.c makes one call where it reads a request and one where it
 * answers.  Private to the HTTP files, like http_guard.h.
 */
#ifndef VISITSD_HTTP_BADGE_H
#define VISITSD_HTTP_BADGE_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#include "api.h"

#define HTTP_BADGE_CT_SVG	"image/svg+xml; charset=utf-8"
#define HTTP_BADGE_CT_JSON	"application/json"
#define HTTP_BADGE_CT_JS	"application/javascript"
/* What Camo and shields.io honour: fetch anew every time. */
#define HTTP_BADGE_CACHE	"max-age=0, no-cache, no-store, must-revalidate"

/* The query arguments api_decide_query reads, off conn (borrowed). */
void	http_badge_query(struct MHD_Connection *conn, struct api_query *q);

/*
 * The body of an answer on a badge, shields or CountAPI route, or NULL for
 * any other route (then the caller answers as usual).  ok: the store
 * answered count (status is 200); otherwise the answer is *status with
 * message.  May change *status (a CountAPI /get of an unknown id is 404;
 * JSONP is always 200).  Sets *ctype (static).  A new malloc'd string.
 */
char	*http_badge_body(const struct api_decision *d, bool ok,
	    uint64_t count, int *status, const char *message,
	    const char **ctype);

/*
 * CORS on the CountAPI routes is "*" whatever VISITSD_ALLOWED_ORIGINS
 * says (CountAPI answered any page): replaces *acao and *vary there.
 */
void	http_badge_cors(const struct api_decision *d, const char **acao,
	    bool *vary);

/*
 * Add the badge routes' Cache-Control and Expires: 0.  Returns whether it
 * set Cache-Control (else the caller sets its own).
 */
bool	http_badge_headers(struct MHD_Response *resp,
	    const struct api_decision *d);

#endif

/*
 * http_badge: query arguments in, headers and bodies out, for the badge,
 * shields.io and CountAPI routes (see http_badge.h).
 *
 * MHD decodes query arguments itself ('+' and %XX); a label is then
 * checked as UTF-8 text by badge.c, so the decoding needs no strictness of
 * its own.  A CountAPI "never seen" id is a count of 0: the store answers
 * 0 for an id it does not know, and a count of 0 exists otherwise only
 * after an operator set or reset it, which CountAPI clients cannot tell
 * from a missing key either.
 *
 * Not here: the decisions (api.c), the SVG and JSON (badge.c, countapi.c),
 * the request's life (http_request.c).
 */
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "badge.h"
#include "countapi.h"
#include "http_badge.h"

void
http_badge_query(struct MHD_Connection *conn, struct api_query *q)
{
	memset(q, 0, sizeof(*q));
	q->count = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "count");
	q->label = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "label");
	q->color = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "color");
	q->callback = MHD_lookup_connection_value(conn, MHD_GET_ARGUMENT_KIND,
	    "callback");
}

static char *
countapi_answer(const struct api_decision *d, bool ok, uint64_t count,
    int *status, const char *message, const char **ctype)
{
	const char *callback = d->callback[0] != '\0' ? d->callback : NULL;
	/* /hit always has a value, even when the bot rule made it a read. */
	bool found = ok && (count > 0 || d->hit);

	if (ok && !found)
		*status = 404;
	if (callback != NULL) {
		*ctype = HTTP_BADGE_CT_JS;
		*status = 200;		/* CountAPI: JSONP never fails */
	} else
		*ctype = HTTP_BADGE_CT_JSON;
	return countapi_body(callback, found, count, ok ? NULL : message);
}

char *
http_badge_body(const struct api_decision *d, bool ok, uint64_t count,
    int *status, const char *message, const char **ctype)
{
	switch (d->route) {
	case API_ROUTE_COUNTAPI:
		return countapi_answer(d, ok, count, status, message, ctype);
	case API_ROUTE_BADGE:
		if (!ok)
			return NULL;
		*ctype = HTTP_BADGE_CT_SVG;
		return badge_svg(d->label, d->color, count);
	case API_ROUTE_SHIELDS:
		if (!ok)
			return NULL;
		*ctype = HTTP_BADGE_CT_JSON;
		return badge_shields_json(d->label, d->color, count);
	case API_ROUTE_NOT_FOUND:
	case API_ROUTE_VISITS:
	case API_ROUTE_STREAM:
	case API_ROUTE_HEALTHZ:
	case API_ROUTE_READYZ:
	case API_ROUTE_METRICS:
	case API_ROUTE_HISTORY:
	case API_ROUTE_ADMIN:		/* not ours: the plain answers */
		break;
	}
	return NULL;
}

void
http_badge_cors(const struct api_decision *d, const char **acao, bool *vary)
{
	if (d->route != API_ROUTE_COUNTAPI)
		return;
	*acao = "*";
	*vary = false;
}

bool
http_badge_headers(struct MHD_Response *resp, const struct api_decision *d)
{
	if (d->route != API_ROUTE_BADGE && d->route != API_ROUTE_SHIELDS)
		return false;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
	    HTTP_BADGE_CACHE);
	MHD_add_response_header(resp, MHD_HTTP_HEADER_EXPIRES, "0");
	return true;
}

/*
 * http_guard: guard.c's inputs read off an MHD connection, its outputs
 * written onto an MHD answer (see http_guard.h).
 *
 * X-Forwarded-For may come as several header lines, which HTTP says are
 * one comma list in order; MHD's lookup returns only the first, so every
 * occurrence is collected (the last CLIENT_ID_XFF_MAX: the right-most
 * entries are the ones the walk reads).  X-Origin-Verify is read with its
 * length, so a value with a NUL inside is compared whole and fails.
 *
 * Not here: the decisions (guard.c, client_id.c), the request's life
 * (http_request.c).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <microhttpd.h>

#include "http_guard.h"

static uint64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static enum MHD_Result
collect_xff(void *cls, enum MHD_ValueKind kind, const char *name,
    const char *value)
{
	struct guard_request *rq = cls;

	(void)kind;
	if (strcasecmp(name, "X-Forwarded-For") != 0 || value == NULL)
		return MHD_YES;
	if (rq->nxff == CLIENT_ID_XFF_MAX) {
		memmove(rq->xff, rq->xff + 1, sizeof(rq->xff) -
		    sizeof(rq->xff[0]));
		rq->nxff--;
	}
	rq->xff[rq->nxff++] = value;
	return MHD_YES;
}

void
http_guard_admit(struct guard *g, struct MHD_Connection *conn,
    struct api_decision *d, struct client_addr *client,
    struct guard_result *res)
{
	const union MHD_ConnectionInfo *ci;
	struct guard_request rq;
	size_t len;

	memset(&rq, 0, sizeof(rq));
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	rq.peer = ci != NULL ? ci->client_addr : NULL;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, collect_xff, &rq);
	rq.viewer = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
	    "CloudFront-Viewer-Address");
	if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND,
	    "X-Origin-Verify", strlen("X-Origin-Verify"), &rq.origin_verify,
	    &len) == MHD_YES)
		rq.origin_verify_len = len;
	guard_client(g, &rq, client);
	memset(res, 0, sizeof(*res));
	if (d->route == API_ROUTE_HEALTHZ || d->route == API_ROUTE_READYZ ||
	    d->route == API_ROUTE_METRICS)
		return;
	guard_check(g, &rq, client, now_ns(), res);
	if (res->answer == GUARD_PASS)
		return;
	d->action = API_ANSWER;
	d->preflight = false;
	d->allow = NULL;
	d->status = res->answer == GUARD_FORBIDDEN ? MHD_HTTP_FORBIDDEN :
	    MHD_HTTP_TOO_MANY_REQUESTS;
	d->message = res->answer == GUARD_FORBIDDEN ? "Forbidden" :
	    "Too Many Requests";
}

void
http_guard_headers(struct MHD_Response *resp, const struct guard *g,
    const struct guard_result *res, bool cors)
{
	char field[GUARD_FIELD_MAX];

	MHD_add_response_header(resp, "RateLimit-Policy", guard_policy(g));
	guard_field(res, field, sizeof(field));
	MHD_add_response_header(resp, "RateLimit", field);
	if (res->answer == GUARD_LIMITED) {
		snprintf(field, sizeof(field), "%u", res->v.reset_s);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER,
		    field);
	}
	if (cors)
		MHD_add_response_header(resp,
		    "Access-Control-Expose-Headers", GUARD_EXPOSE_HEADERS);
}

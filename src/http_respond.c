/*
 * http_respond: the respond* family, which queues one request's answer.
 * Every answer of the daemon goes through http_respond_with, so the
 * headers every answer has are written here once: the content type, CORS
 * (the allowed origin and Vary, and a preflight's methods, headers and
 * Max-Age), Allow on a 405, Retry-After on a 503, WWW-Authenticate on a
 * 401, the rate limiter's headers (http_guard.c), the cache headers (the
 * badge routes' own, http_badge.c, else no-store, or no-cache for a
 * stream) and Connection: close when the connection ends or the server
 * stops.  The convenience forms build the body first: a buffer, JSON, a
 * badge route's body, a message, the live-count stream.
 *
 * Not here: which answer to give (api.c, http_request.c), the bodies'
 * formats (api.c, badge.c, countapi.c), the stream itself
 * (http_stream.c, stream.c).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "api.h"
#include "http_badge.h"
#include "http_conn.h"
#include "http_guard.h"
#include "http_req.h"
#include "http_request.h"
#include "http_respond.h"
#include "http_stream.h"

enum MHD_Result
http_respond(struct req *r, int status, const char *ctype, char *body,
    size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;

	http_conn_received(r->conn);
	resp = MHD_create_response_from_buffer(len, body, mode);
	if (resp == NULL) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	return http_respond_with(r, status, ctype, resp);
}

enum MHD_Result
http_respond_with(struct req *r, int status, const char *ctype,
    struct MHD_Response *resp)
{
	struct http *h = r->l->h;
	const char *origin, *acao;
	enum MHD_Result ret;
	bool vary;

	if (ctype != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
		    ctype);
	origin = MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_ORIGIN);
	acao = api_cors_allow_origin(h->cors, origin, &vary);
	http_badge_cors(&r->d, &acao, &vary);
	if (acao != NULL)
		MHD_add_response_header(resp,
		    MHD_HTTP_HEADER_ACCESS_CONTROL_ALLOW_ORIGIN, acao);
	if (vary)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Origin");
	if (r->d.preflight) {
		MHD_add_response_header(resp, "Access-Control-Allow-Methods",
		    r->d.allow != NULL ? r->d.allow :
		    api_cors_methods(&r->l->opt));
		MHD_add_response_header(resp, "Access-Control-Allow-Headers",
		    api_cors_headers(&r->l->opt));
		MHD_add_response_header(resp, "Access-Control-Max-Age",
		    h->cors_max_age);
	}
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED && r->d.allow != NULL)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW,
		    r->d.allow);
	if (status == MHD_HTTP_SERVICE_UNAVAILABLE)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
	if (status == MHD_HTTP_UNAUTHORIZED)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE,
		    "Bearer");
	if (r->admit.limited)
		http_guard_headers(resp, h->guard, &r->admit, acao != NULL);
	if (!http_badge_headers(resp, &r->d))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL,
		    ctype != NULL && strcmp(ctype, CT_EVENTS) == 0 ?
		    "no-cache" : "no-store");
	if (r->close || atomic_load(&h->stopping))
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONNECTION,
		    "close");
	ret = MHD_queue_response(r->conn, (unsigned int)status, resp);
	MHD_destroy_response(resp);
	if (ret == MHD_YES)
		r->status = status;
	return ret;
}

enum MHD_Result
http_respond_json(struct req *r, int status, char *json)
{
	return http_respond(r, status, CT_JSON, json, strlen(json),
	    MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result
http_respond_badge(struct req *r, bool ok, uint64_t count, int status,
    const char *message, bool *mine)
{
	const char *ctype;
	char *body;

	*mine = (body = http_badge_body(&r->d, ok, count, &status, message,
	    &ctype)) != NULL;
	if (!*mine)
		return MHD_NO;
	return http_respond(r, status, ctype, body, strlen(body),
	    MHD_RESPMEM_MUST_FREE);
}

enum MHD_Result
http_respond_message(struct req *r, int status, const char *message)
{
	enum MHD_Result ret;
	bool mine;

	ret = http_respond_badge(r, false, 0, status, message, &mine);
	if (mine)
		return ret;
	if (message == NULL)
		return http_respond(r, status, NULL, NULL, 0,
		    MHD_RESPMEM_PERSISTENT);
	return http_respond_json(r, status, api_json_message(message));
}

enum MHD_Result
http_respond_stream(struct req *r, const struct store_counts *counts)
{
	struct MHD_Response *resp;
	struct stream *s = r->stream;

	r->stream = NULL;		/* the answer's from now on */
	r->close = true;		/* the connection ends with the stream */
	http_conn_received(r->conn);
	if ((resp = http_stream_response(r->conn, s, counts)) == NULL)
		return http_respond_message(r, MHD_HTTP_SERVICE_UNAVAILABLE,
		    "The server is shutting down; retry later.");
	return http_respond_with(r, MHD_HTTP_OK, CT_EVENTS, resp);
}

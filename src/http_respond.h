/*
 * http_respond: queue one request's answer with the headers every answer
 * has.  Private to the request's files (http_request.c, http_inflight.c
 * never answers); see http_respond.c.
 */
#ifndef VISITSD_HTTP_RESPOND_H
#define VISITSD_HTTP_RESPOND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <microhttpd.h>

#include "store.h"

#define CT_JSON		"application/json"
#define CT_EVENTS	"text/event-stream"

struct req;

/*
 * Queue r's answer: status, and body (len bytes, ctype naming it; NULL
 * and 0 when there is none).  body is stolen when mode is
 * MHD_RESPMEM_MUST_FREE (freed here even on failure), borrowed for the
 * response's life when MHD_RESPMEM_PERSISTENT.  Marks the request as
 * received in full (http_conn.c).  MHD_NO when MHD refused it.
 */
enum MHD_Result	http_respond(struct req *r, int status, const char *ctype,
		    char *body, size_t len, enum MHD_ResponseMemoryMode mode);

/*
 * Queue resp (a new reference: destroyed here, whatever the result) with
 * the headers every answer has: content type (ctype, may be NULL), CORS,
 * Allow, Retry-After, WWW-Authenticate, rate-limit, cache and Connection.
 * On success r->status is set to status.
 */
enum MHD_Result	http_respond_with(struct req *r, int status,
		    const char *ctype, struct MHD_Response *resp);

/* Answer json (a new string, stolen) with status. */
enum MHD_Result	http_respond_json(struct req *r, int status, char *json);

/*
 * The badge, shields and CountAPI routes' own body for the store's count
 * (ok) or for an error status and message (borrowed); MHD_NO with *mine
 * false on any other route, when nothing was queued.
 */
enum MHD_Result	http_respond_badge(struct req *r, bool ok, uint64_t count,
		    int status, const char *message, bool *mine);

/*
 * Answer status with message (borrowed) as the route's body: the badge
 * routes' own, else {"message":...}; no body when message is NULL.
 */
enum MHD_Result	http_respond_message(struct req *r, int status,
		    const char *message);

/*
 * The live-count stream's answer (http_stream.c), its first event counts
 * (borrowed).  Takes r->stream (reserved by http_stream_open) and marks
 * the connection to close with the stream; 503 when the stream cannot
 * start.
 */
enum MHD_Result	http_respond_stream(struct req *r,
		    const struct store_counts *counts);

#endif

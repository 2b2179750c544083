/*
 * http_inflight: the set of requests in flight and their lifetime (see
 * http_inflight.c).  http.c calls http_inflight_expire and
 * http_inflight_drain; the rest is for http_request.c.
 */
#ifndef VISITSD_HTTP_INFLIGHT_H
#define VISITSD_HTTP_INFLIGHT_H

#include <stdint.h>

struct http;
struct req;

/*
 * Add r (new, one reference: MHD's) to its server's in-flight set and
 * count it in visitsd_http_requests_in_flight.  Call once, on the
 * handler's first call.
 */
void	http_inflight_join(struct req *r);

/*
 * Take r out of the set and the gauge, waking a drain when the set is
 * empty.  Call once, from the completed-notification; r keeps its
 * references.
 */
void	http_inflight_leave(struct req *r);

/*
 * Free r, its history days and its admin body.  For the holder of the
 * last reference only: when r->refs has just reached 0 under r->mu.
 */
void	http_inflight_free(struct req *r);

/* Drop one reference to r; the last one frees it (http_inflight_free). */
void	http_inflight_unref(struct req *r);

/*
 * Answer 503 (Retry-After) every request that has waited on the store for
 * h->store_timeout_ms by now_ms (util_now_ms()): it is resumed without a
 * result and its store callback, whenever it comes, only drops its
 * reference.  Called by the sweeper thread.
 */
void	http_inflight_expire(struct http *h, uint64_t now_ms);

/*
 * Wait up to timeout_s seconds for the in-flight requests to complete,
 * then abandon the rest: from now on nothing suspends, and every request
 * still suspended is resumed to answer 503 (its store callback, whenever
 * it comes, only drops its reference); then wait a little more (bounded)
 * for those answers to go out, so that the daemons stop only after.  Call
 * once, with the listeners quiesced and the store shut down (so nothing
 * queued is sent after its client was answered), before the daemons stop.
 * Returns the number abandoned.
 */
int	http_inflight_drain(struct http *h, int timeout_s);

#endif

/*
 * http_inflight: the requests in flight, as a set and as reference-counted
 * objects.  A request joins the server's set on MHD's first call and
 * leaves it in the completed-notification; it is freed when its last
 * reference goes (MHD's, and one per pending store operation), which may
 * be after it left.  The set exists for two sweeps over the suspended
 * requests: expiry (http_inflight_expire, from the sweeper thread: those
 * that waited store_timeout on the store answer 503) and the shutdown
 * drain (http_inflight_drain: wait for the set to empty, then resume what
 * is still suspended so that MHD can stop).  A request so resumed is
 * marked with why it was given up; http_request.c answers it.
 *
 * Not here: what a request does or answers (http_request.c,
 * http_respond.c), the sweeper thread and the daemons (http.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <time.h>

#include <microhttpd.h>

#include "http_admin.h"
#include "http_inflight.h"
#include "http_req.h"
#include "http_request.h"
#include "log.h"
#include "metrics.h"
#include "util.h"

#define ANSWER_WAIT_MS	2000	/* drain: for the resumed 503s to go out */

void
http_inflight_join(struct req *r)
{
	struct http *h = r->l->h;

	pthread_mutex_lock(&h->mu);
	r->next = h->reqs;
	if (h->reqs != NULL)
		h->reqs->prev = r;
	h->reqs = r;
	h->inflight++;
	pthread_mutex_unlock(&h->mu);
	metrics_counter_add(h->m.inflight, 1);
}

void
http_inflight_leave(struct req *r)
{
	struct http *h = r->l->h;

	metrics_counter_add(h->m.inflight, -1);
	pthread_mutex_lock(&h->mu);
	if (r->prev != NULL)
		r->prev->next = r->next;
	else
		h->reqs = r->next;
	if (r->next != NULL)
		r->next->prev = r->prev;
	if (--h->inflight == 0)
		pthread_cond_broadcast(&h->idle);
	pthread_mutex_unlock(&h->mu);
}

void
http_inflight_free(struct req *r)
{
	http_admin_body_free(r->admin);
	free(r->days);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void
http_inflight_unref(struct req *r)
{
	bool last;

	pthread_mutex_lock(&r->mu);
	last = --r->refs == 0;
	pthread_mutex_unlock(&r->mu);
	if (last)
		http_inflight_free(r);
}

/*
 * Collect the suspended requests (a reference each) that match: all of
 * them (before == 0) or those whose store operation started before
 * before.  A new array of *n; under h->mu, so that none completes meanwhile.
 */
static struct req **
collect_suspended(struct http *h, uint64_t before, size_t *n)
{
	struct req **list;

	*n = 0;
	pthread_mutex_lock(&h->mu);
	list = xcalloc((size_t)h->inflight + 1, sizeof(*list));
	for (struct req *r = h->reqs; r != NULL; r = r->next) {
		pthread_mutex_lock(&r->mu);
		if (r->suspended && (before == 0 || r->store_ms < before)) {
			r->refs++;
			list[(*n)++] = r;
		}
		pthread_mutex_unlock(&r->mu);
	}
	pthread_mutex_unlock(&h->mu);
	return list;
}

/*
 * Resume each still suspended request of list without its result, marked
 * why, and drop the references collect_suspended took.  Without h->mu
 * held, as the store callback resumes.
 */
static void
give_up(struct req **list, size_t n, enum gave_up why)
{
	for (size_t i = 0; i < n; i++) {
		struct req *r = list[i];

		pthread_mutex_lock(&r->mu);
		if (r->suspended) {
			r->suspended = false;
			r->gave_up = why;
			MHD_resume_connection(r->conn);
		}
		pthread_mutex_unlock(&r->mu);
		http_inflight_unref(r);
	}
	free(list);
}

void
http_inflight_expire(struct http *h, uint64_t now_ms)
{
	struct req **list;
	size_t n;

	if (h->store_timeout_ms == 0 || now_ms <= h->store_timeout_ms)
		return;
	list = collect_suspended(h, now_ms - h->store_timeout_ms, &n);
	give_up(list, n, GAVE_UP_TIMEOUT);
}

/* Wait until no request is in flight or deadline passes; under h->mu. */
static void
wait_idle(struct http *h, const struct timespec *deadline)
{
	while (h->inflight > 0)
		if (pthread_cond_timedwait(&h->idle, &h->mu, deadline) ==
		    ETIMEDOUT)
			break;
}

int
http_inflight_drain(struct http *h, int timeout_s)
{
	struct timespec deadline;
	struct req **left;
	size_t nleft;
	int abandoned;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += timeout_s > 0 ? timeout_s : 0;
	pthread_mutex_lock(&h->mu);
	wait_idle(h, &deadline);
	/*
	 * Whatever is left is abandoned.  MHD cannot stop with suspended
	 * connections, so resume them: each answers 503 and its store
	 * callback, whenever it comes, only drops its reference.
	 */
	atomic_store(&h->abandoning, true);
	abandoned = h->inflight;
	pthread_mutex_unlock(&h->mu);
	left = collect_suspended(h, 0, &nleft);
	give_up(left, nleft, GAVE_UP_SHUTDOWN);
	/* The 503s go out on MHD's threads: let them, before it stops. */
	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += ANSWER_WAIT_MS / 1000;
	pthread_mutex_lock(&h->mu);
	wait_idle(h, &deadline);
	pthread_mutex_unlock(&h->mu);
	if (abandoned > 0)
		log_warnx("http: %d request(s) abandoned at shutdown",
		    abandoned);
	return abandoned;
}

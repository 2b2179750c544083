/*
 * http_admin: the admin API's MHD side.
 *
 * Bodies.  A PUT body is kept in memory (at most max_body bytes).  An
 * import body is written as it arrives to an unlinked temporary file
 * (admin_spool_open: $TMPDIR or /tmp, which is private under the systemd
 * unit's PrivateTmp), at most admin_import_max_bytes, so memory stays
 * bounded however large the import; the write goes to the page cache.
 *
 * Jobs.  An import and an export each run on a detached thread of their
 * own, counted in jobs so that http_admin_free waits for them.  Both look
 * at the server's stopping flag: the import between chunks, the export on
 * every line and while it waits for the client, so that store_shutdown,
 * which waits for a blocking operation in progress, is not held up.
 *
 * The export stream.  The thread formats lines into a 64 KiB buffer; the
 * content reader (on the MHD worker) copies them out.  When the buffer is
 * empty the reader suspends the connection and returns 0, as MHD's
 * documentation asks; the thread resumes it when it adds a line or ends.
 * When the buffer is full the thread waits (100 ms at a time, to see
 * stopping).  The response's free callback marks the client gone, which
 * makes the thread's next line return -1 and so ends store_export.
 *
 * Not here: the grammar (admin.c), the file passes (admin_import.c), the
 * request's life (http_request.c).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "admin.h"
#include "admin_import.h"
#include "apikey.h"
#include "http_admin.h"
#include "log.h"
#include "util.h"

#define EXPORT_BUF	(64 * 1024)
#define WAIT_MS		100

struct http_admin {
	struct apikey_ring	*keys;
	size_t			 put_max, import_max;
	const atomic_bool	*stopping;
	pthread_mutex_t		 mu;
	pthread_cond_t		 idle;
	int			 jobs;
};

struct http_admin_body {
	struct http_admin	*a;
	enum api_action		 action;
	size_t			 limit, len;
	char			*buf;		/* PUT */
	int			 fd;		/* import spool, -1 if none */
	bool			 io_error;
	char			 why[512];	/* PUT 400, import 400 */
	/* The import job's outcome, for http_admin_import_answer. */
	int			 status;	/* 400 when a line is bad */
	uint64_t		 imported;
	store_done_fn		*done;
	void			*arg;
	struct store		*store;
};

struct export {
	struct http_admin	*a;
	struct store		*store;
	struct MHD_Connection	*conn;
	pthread_mutex_t		 mu;
	pthread_cond_t		 space;
	char			 buf[EXPORT_BUF];
	size_t			 head, len;
	bool			 ended, failed, gone, suspended;
	int			 refs;
	uint64_t		 lines;
};

struct http_admin *
http_admin_new(struct apikey_ring *keys, size_t put_max, size_t import_max,
    const atomic_bool *stopping)
{
	struct http_admin *a = xcalloc(1, sizeof(*a));

	a->keys = keys;
	a->put_max = put_max;
	a->import_max = import_max;
	a->stopping = stopping;
	pthread_mutex_init(&a->mu, NULL);
	pthread_cond_init(&a->idle, NULL);
	return a;
}

void
http_admin_free(struct http_admin *a)
{
	if (a == NULL)
		return;
	pthread_mutex_lock(&a->mu);
	while (a->jobs > 0)
		pthread_cond_wait(&a->idle, &a->mu);
	pthread_mutex_unlock(&a->mu);
	pthread_cond_destroy(&a->idle);
	pthread_mutex_destroy(&a->mu);
	free(a);
}

static void
job_begin(struct http_admin *a)
{
	pthread_mutex_lock(&a->mu);
	a->jobs++;
	pthread_mutex_unlock(&a->mu);
}

/* The job's last touch of a. */
static void
job_end(struct http_admin *a)
{
	pthread_mutex_lock(&a->mu);
	if (--a->jobs == 0)
		pthread_cond_broadcast(&a->idle);
	pthread_mutex_unlock(&a->mu);
}

static int
start_detached(void *(*fn)(void *), void *arg)
{
	pthread_attr_t attr;
	pthread_t t;
	int e;

	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	e = pthread_create(&t, &attr, fn, arg);
	pthread_attr_destroy(&attr);
	return e;
}

bool
http_admin_authorized(struct http_admin *a, struct MHD_Connection *conn)
{
	const char *value = NULL, *token;
	size_t len = 0, toklen;

	if (MHD_lookup_connection_value_n(conn, MHD_HEADER_KIND,
	    MHD_HTTP_HEADER_AUTHORIZATION,
	    sizeof(MHD_HTTP_HEADER_AUTHORIZATION) - 1, &value, &len) !=
	    MHD_YES || value == NULL)
		return false;
#if MHD_VERSION <= 0x00097500
	/* Cut at a NUL by MHD (see http_request.c's header_was_cut). */
	if (value[len + 1] != '\0')
		return false;
#endif
	if (admin_bearer_parse(value, len, &token, &toklen) == -1)
		return false;
	return apikey_ring_check(a->keys, token, toklen);
}

struct http_admin_body *
http_admin_body_new(struct http_admin *a, enum api_action action)
{
	struct http_admin_body *b;

	if (action != API_ADMIN_SET && action != API_ADMIN_IMPORT)
		return NULL;
	b = xcalloc(1, sizeof(*b));
	b->a = a;
	b->action = action;
	b->fd = -1;
	if (action == API_ADMIN_SET) {
		b->limit = a->put_max;
		b->buf = xmalloc(b->limit + 1);
	} else {
		b->limit = a->import_max;
		if ((b->fd = admin_spool_open(b->why, sizeof(b->why))) == -1) {
			log_warnx("admin import: %s", b->why);
			b->io_error = true;
		}
	}
	return b;
}

void
http_admin_body_free(struct http_admin_body *b)
{
	if (b == NULL)
		return;
	if (b->fd != -1)
		close(b->fd);
	free(b->buf);
	free(b);
}

size_t
http_admin_body_limit(const struct http_admin_body *b)
{
	return b->limit;
}

void
http_admin_body_add(struct http_admin_body *b, const char *data, size_t len)
{
	ssize_t n;

	if (len > b->limit - b->len)
		len = b->limit - b->len;
	if (len == 0)
		return;
	if (b->buf != NULL) {
		memcpy(b->buf + b->len, data, len);
		b->len += len;
		return;
	}
	if (b->io_error)
		return;
	while (len > 0) {
		if ((n = write(b->fd, data, len)) == -1 && errno == EINTR)
			continue;
		if (n <= 0) {
			log_warn("admin import: spool write");
			b->io_error = true;
			return;
		}
		data += n;
		len -= (size_t)n;
		b->len += (size_t)n;
	}
}

int
http_admin_put_counts(struct http_admin_body *b, struct store_counts *c,
    const char **why)
{
	char reason[256];

	if (admin_put_parse(b->buf, b->len, c, reason,
	    sizeof(reason)) == -1) {
		snprintf(b->why, sizeof(b->why), "%s", reason);
		*why = b->why;
		return -1;
	}
	return 0;
}

/* --- import --------------------------------------------------------- */

static bool
import_stop(void *arg)
{
	struct http_admin *a = arg;

	return atomic_load(a->stopping);
}

static void *
import_main(void *arg)
{
	struct http_admin_body *b = arg;
	struct http_admin *a = b->a;
	enum store_result res = STORE_OK;
	uint64_t nitems;

	if (admin_import_check(b->fd, &nitems, b->why, sizeof(b->why)) ==
	    -1)
		b->status = 400;
	else if ((res = admin_import_run(b->store, b->fd, import_stop, a,
	    &b->imported, b->why, sizeof(b->why))) != STORE_OK)
		log_warnx("admin import: %s after %llu of %llu ids", b->why,
		    (unsigned long long)b->imported,
		    (unsigned long long)nitems);
	else
		log_info("admin import: %llu ids put",
		    (unsigned long long)b->imported);
	b->done(b->arg, res, &(struct store_counts){ b->imported, 0 });
	job_end(a);
	return NULL;
}

void
http_admin_import_start(struct http_admin *a, struct http_admin_body *b,
    struct store *store, store_done_fn *done, void *arg)
{
	int e;

	b->done = done;
	b->arg = arg;
	b->store = store;
	if (b->io_error) {
		b->status = 500;
		done(arg, STORE_OK, &(struct store_counts){ 0 });
		return;
	}
	job_begin(a);
	if ((e = start_detached(import_main, b)) != 0) {
		job_end(a);
		log_warnx("admin import: cannot start a thread: %s",
		    strerror(e));
		done(arg, STORE_ERROR, &(struct store_counts){ 0 });
	}
}

static char *
dump(json_t *obj)
{
	char *s;

	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT)) == NULL)
		util_out_of_memory();
	json_decref(obj);
	return s;
}

int
http_admin_import_answer(struct http_admin_body *b, enum store_result res,
    char **json)
{
	char msg[700];
	const char *why;

	if (b->status == 500) {
		*json = api_json_message("The import could not be spooled; "
		    "see the server log.");
		return 500;
	}
	if (b->status == 400) {
		*json = api_json_message(b->why);
		return 400;
	}
	if (res == STORE_OK) {
		*json = dump(json_pack("{s:I}", "imported",
		    (json_int_t)b->imported));
		return 200;
	}
	api_store_status(res, &why);
	snprintf(msg, sizeof(msg), "%s %llu ids were put before it stopped; "
	    "the rest were not. An import puts counts, so it can be sent "
	    "again.", why, (unsigned long long)b->imported);
	*json = api_json_message(msg);
	return 503;
}

/* --- export --------------------------------------------------------- */

static void
export_unref(struct export *e)
{
	bool last;

	pthread_mutex_lock(&e->mu);
	last = --e->refs == 0;
	pthread_mutex_unlock(&e->mu);
	if (!last)
		return;
	pthread_cond_destroy(&e->space);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

/* Under e->mu: let the reader go on. */
static void
export_wake(struct export *e)
{
	if (e->suspended) {
		e->suspended = false;
		MHD_resume_connection(e->conn);
	}
}

static int
export_line(void *arg, const char *id, const struct store_counts *c)
{
	struct export *e = arg;
	char line[ADMIN_LINE_MAX];
	size_t len = admin_line_format(line, sizeof(line), id, c), tail, n;
	struct timespec ts;

	pthread_mutex_lock(&e->mu);
	while (!e->gone && !atomic_load(e->a->stopping) &&
	    EXPORT_BUF - e->len < len) {
		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += WAIT_MS * 1000000L;
		if (ts.tv_nsec >= 1000000000L) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&e->space, &e->mu, &ts);
	}
	if (e->gone || atomic_load(e->a->stopping)) {
		pthread_mutex_unlock(&e->mu);
		return -1;
	}
	/* The ring: copy in two parts when the line wraps. */
	tail = (e->head + e->len) % EXPORT_BUF;
	n = len < EXPORT_BUF - tail ? len : EXPORT_BUF - tail;
	memcpy(e->buf + tail, line, n);
	memcpy(e->buf, line + n, len - n);
	e->len += len;
	e->lines++;
	export_wake(e);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static void *
export_main(void *arg)
{
	struct export *e = arg;
	struct http_admin *a = e->a;
	enum store_result res;
	bool gone;

	res = store_export(e->store, export_line, e);
	pthread_mutex_lock(&e->mu);
	e->ended = true;
	e->failed = res != STORE_OK;
	gone = e->gone;
	export_wake(e);
	pthread_mutex_unlock(&e->mu);
	if (res == STORE_OK)
		log_info("admin export: %llu ids", (unsigned long long)e->lines);
	else
		log_warnx("admin export: cut after %llu ids (%s)",
		    (unsigned long long)e->lines, gone ? "the client went away" :
		    atomic_load(a->stopping) ? "shutting down" :
		    store_result_str(res));
	export_unref(e);
	job_end(a);
	return NULL;
}

static ssize_t
export_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct export *e = cls;
	size_t n, first;

	(void)pos;
	pthread_mutex_lock(&e->mu);
	if (atomic_load(e->a->stopping) && e->ended && e->failed) {
		/* Cut at once: a shutdown does not wait for a slow reader. */
		pthread_mutex_unlock(&e->mu);
		return MHD_CONTENT_READER_END_WITH_ERROR;
	}
	if (e->len > 0) {
		n = e->len < max ? e->len : max;
		first = n < EXPORT_BUF - e->head ? n : EXPORT_BUF - e->head;
		memcpy(buf, e->buf + e->head, first);
		memcpy(buf + first, e->buf, n - first);
		e->head = (e->head + n) % EXPORT_BUF;
		e->len -= n;
		pthread_cond_signal(&e->space);
		pthread_mutex_unlock(&e->mu);
		return (ssize_t)n;
	}
	if (e->ended) {
		pthread_mutex_unlock(&e->mu);
		return e->failed ? MHD_CONTENT_READER_END_WITH_ERROR :
		    MHD_CONTENT_READER_END_OF_STREAM;
	}
	/* Nothing yet: sleep until export_line or the end wakes us. */
	e->suspended = true;
	MHD_suspend_connection(e->conn);
	pthread_mutex_unlock(&e->mu);
	return 0;
}

static void
export_gone(void *cls)
{
	struct export *e = cls;

	pthread_mutex_lock(&e->mu);
	e->gone = true;
	pthread_cond_signal(&e->space);
	pthread_mutex_unlock(&e->mu);
	export_unref(e);
}

struct MHD_Response *
http_admin_export_response(struct http_admin *a, struct store *store,
    struct MHD_Connection *conn)
{
	struct export *e = xcalloc(1, sizeof(*e));
	struct MHD_Response *resp;
	int err;

	e->a = a;
	e->store = store;
	e->conn = conn;
	e->refs = 2;		/* the thread's, the response's */
	pthread_mutex_init(&e->mu, NULL);
	pthread_cond_init(&e->space, NULL);
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN,
	    EXPORT_BUF, export_read, e, export_gone);
	if (resp == NULL) {
		pthread_cond_destroy(&e->space);
		pthread_mutex_destroy(&e->mu);
		free(e);
		return NULL;
	}
	job_begin(a);
	if ((err = start_detached(export_main, e)) != 0) {
		job_end(a);
		log_warnx("admin export: cannot start a thread: %s",
		    strerror(err));
		/* The response's free callback drops both references. */
		e->refs = 1;
		MHD_destroy_response(resp);
		return NULL;
	}
	return resp;
}

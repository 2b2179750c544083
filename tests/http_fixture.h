/*
 * http_fixture: what check_http needs around a real server, kept apart so
 * the suite reads as a list of behaviours.
 *
 * The store is a test backend (struct store with our own ops): it completes
 * inline, later from its own thread (so the handler suspends and the
 * callback resumes), or holds operations until the test releases them (to
 * catch a request in flight at shutdown), and fails with any store_result
 * on demand.  The server is started on 127.0.0.1 port 0 from a struct
 * config built with config_fixture.h (config_set and config_validate, as
 * the daemon builds it); a test changes a setting with config_fixture_set
 * before server_start.  The client is libcurl, one easy handle per call.
 * Included by check_http.c only.
 */
#ifndef VISITSD_TESTS_HTTP_FIXTURE_H
#define VISITSD_TESTS_HTTP_FIXTURE_H
#include <check.h>
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "apikey.h"
#include "config.h"
#include "config_fixture.h"
#include "http.h"
#include "metrics.h"
#include "store.h"


/* --- the test store ------------------------------------------------- */

enum tmode { T_INLINE, T_LATER, T_HOLD };

#define TSTORE_IDS	16
#define TSTORE_PENDING	256

struct pending {
	store_done_fn		*done;
	void			*arg;
	enum store_result	 res;
	uint64_t		 count;
};

struct tstore {
	struct store		 base;	/* first */
	pthread_mutex_t		 mu;
	pthread_cond_t		 cv;
	pthread_t		 worker;
	enum tmode		 mode;
	enum store_result	 fail;	/* for increment and get */
	enum store_result	 check;
	bool			 stop;
	char			 ids[TSTORE_IDS][129];
	uint64_t		 counts[TSTORE_IDS];
	struct pending		 q[TSTORE_PENDING];
	size_t			 nq;
	size_t			 queued_total;
	/* store_shutdown: the held operations are "queued, not sent" and
	   fail now (true), or "in flight" and complete later (false). */
	bool			 drop_on_shutdown;
	int			 shutdowns;
};

static struct tstore *ts;

/* Caller holds ts->mu. */
static uint64_t *
slot(struct tstore *s, const char *id)
{
	for (size_t i = 0; i < TSTORE_IDS; i++) {
		if (strcmp(s->ids[i], id) == 0)
			return &s->counts[i];
		if (s->ids[i][0] == '\0') {
			snprintf(s->ids[i], sizeof(s->ids[i]), "%s", id);
			return &s->counts[i];
		}
	}
	ck_abort_msg("test store full");
	return NULL;
}

static void
submit(struct tstore *s, store_done_fn *done, void *arg,
    enum store_result res, uint64_t count)
{
	if (s->mode == T_INLINE) {
		pthread_mutex_unlock(&s->mu);
		done(arg, res, &(struct store_counts){ .visits = count });
		return;
	}
	ck_assert_uint_lt(s->nq, TSTORE_PENDING);
	s->q[s->nq++] = (struct pending){ done, arg, res, count };
	s->queued_total++;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
}

static void
t_increment(struct store *st, const char *id, const struct store_visit *visit,
    store_done_fn *done, void *arg)
{
	struct tstore *s = (struct tstore *)st;
	uint64_t n = 0;

	(void)visit;
	pthread_mutex_lock(&s->mu);
	if (s->fail == STORE_OK || s->fail == STORE_UNKNOWN_OUTCOME)
		n = ++*slot(s, id);
	submit(s, done, arg, s->fail, s->fail == STORE_OK ? n : 0);
}

static void
t_get(struct store *st, const char *id, store_done_fn *done, void *arg)
{
	struct tstore *s = (struct tstore *)st;
	uint64_t n;

	pthread_mutex_lock(&s->mu);
	n = *slot(s, id);
	submit(s, done, arg, s->fail, s->fail == STORE_OK ? n : 0);
}

static void
t_check(struct store *st, store_done_fn *done, void *arg)
{
	struct tstore *s = (struct tstore *)st;

	pthread_mutex_lock(&s->mu);
	submit(s, done, arg, s->check, 0);
}

static void *
t_worker(void *arg)
{
	struct tstore *s = arg;
	struct pending p;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (!s->stop && (s->nq == 0 || s->mode == T_HOLD))
			pthread_cond_wait(&s->cv, &s->mu);
		if (s->nq == 0)
			break;
		p = s->q[0];
		memmove(s->q, s->q + 1, --s->nq * sizeof(s->q[0]));
		pthread_mutex_unlock(&s->mu);
		usleep(2000);		/* "later": after the handler returned */
		p.done(p.arg, p.res, &(struct store_counts){ .visits = p.count });
		pthread_mutex_lock(&s->mu);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* The shutdown op: counted; fails the held operations if asked to. */
static void
t_shutdown(struct store *st)
{
	struct tstore *s = (struct tstore *)st;
	struct pending q[TSTORE_PENDING];
	size_t n = 0;

	pthread_mutex_lock(&s->mu);
	s->shutdowns++;
	if (s->drop_on_shutdown) {
		n = s->nq;
		memcpy(q, s->q, n * sizeof(q[0]));
		s->nq = 0;
	}
	pthread_mutex_unlock(&s->mu);
	for (size_t i = 0; i < n; i++)
		q[i].done(q[i].arg, STORE_UNAVAILABLE,
		    &(struct store_counts){ 0 });
}

/* Completes every pending operation (store contract), then frees. */
static void
t_free(struct store *st)
{
	struct tstore *s = (struct tstore *)st;

	pthread_mutex_lock(&s->mu);
	s->stop = true;
	s->mode = T_LATER;
	pthread_cond_broadcast(&s->cv);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->worker, NULL);
	pthread_cond_destroy(&s->cv);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static const struct store_ops tstore_ops = {
	.name = "test",
	.increment = t_increment,
	.get = t_get,
	.check = t_check,
	.shutdown = t_shutdown,
	.free = t_free,
};

static struct tstore *
tstore_new(void)
{
	struct tstore *s = calloc(1, sizeof(*s));

	ck_assert_ptr_nonnull(s);
	s->base.ops = &tstore_ops;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->cv, NULL);
	ck_assert_int_eq(pthread_create(&s->worker, NULL, t_worker, s), 0);
	return s;
}

static void
tstore_mode(enum tmode mode, enum store_result fail)
{
	pthread_mutex_lock(&ts->mu);
	ts->mode = mode;
	ts->fail = fail;
	pthread_cond_broadcast(&ts->cv);
	pthread_mutex_unlock(&ts->mu);
}

/* Wait until n operations have been queued in all (bounded). */
static void
tstore_wait_queued(size_t n)
{
	for (int i = 0; i < 5000; i++) {
		size_t q;

		pthread_mutex_lock(&ts->mu);
		q = ts->queued_total;
		pthread_mutex_unlock(&ts->mu);
		if (q >= n)
			return;
		usleep(2000);
	}
	ck_abort_msg("store operation never arrived");
}

/* --- the server ----------------------------------------------------- */

static struct config cfg;
static struct apikey_ring *keys;
static struct http *srv;
static char base[128];

static void
server_start(void)
{
	char err[256] = "";

	srv = http_new(&cfg, &ts->base, keys, err, sizeof(err));
	ck_assert_msg(srv != NULL, "http_new: %s", err);
	snprintf(base, sizeof(base), "http://%s", http_address(srv));
}

static void
setup(void)
{
	char err[128];

	curl_global_init(CURL_GLOBAL_DEFAULT);
	config_fixture_init(&cfg, "listen", "127.0.0.1:0", "threads", "2",
	    "max_connections", "128", "connection_timeout", "10",
	    "max_body", "1024", "shutdown_timeout", "5", "auth", "key",
	    "api_key", "k1, k2",
	    "allowed_origins", "https://a.example, https://b.example",
	    "cors_max_age", "600", "metrics_public", "true",
	    /* The test store keeps no salts: no uniques, ready without. */
	    "unique_visitors", "false", NULL);
	metrics_init("test", "test");
	ts = tstore_new();
	keys = apikey_ring_new();
	apikey_ring_replace(keys, apikey_set_parse("k1, k2", err, sizeof(err)));
	srv = NULL;
}

static void
teardown(void)
{
	http_free(srv);
	srv = NULL;
	store_free(&ts->base);
	ts = NULL;
	apikey_ring_free(keys);
	config_cleanup(&cfg);
	metrics_cleanup();
	curl_global_cleanup();
}

/* --- the client ----------------------------------------------------- */

struct reply {
	long	status;
	char	body[8192];
	size_t	blen;
	char	head[8192];
	size_t	hlen;
	bool	failed;		/* no HTTP answer at all */
};

/* Append len bytes to buf (holding *used, room for cap), cut and NUL-ended. */
static void
append_cut(char *buf, size_t cap, size_t *used, const char *p, size_t len)
{
	size_t room = cap - 1 - *used, take = len < room ? len : room;

	memcpy(buf + *used, p, take);
	*used += take;
	buf[*used] = '\0';
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	append_cut(r->body, sizeof(r->body), &r->blen, p, size * n);
	return size * n;
}

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	struct reply *r = arg;

	append_cut(r->head, sizeof(r->head), &r->hlen, p, size * n);
	return size * n;
}

/* Chunked upload source: *left bytes of 'x'. */
static size_t
on_read(char *p, size_t size, size_t n, void *arg)
{
	size_t *left = arg, len = size * n;

	if (len > *left)
		len = *left;
	memset(p, 'x', len);
	*left -= len;
	return len;
}

/*
 * One request to base+path.  hdrs: NULL-terminated "Name: value" lines.
 * body: NULL for none; chunked: send that many bytes chunked instead.
 */
static void
fetch_at(const char *root, const char *method, const char *path,
    const char *const *hdrs, const char *body, size_t chunked,
    struct reply *r)
{
	struct curl_slist *list = NULL;
	char url[512];
	CURL *c = curl_easy_init();
	CURLcode rc;

	memset(r, 0, sizeof(*r));
	ck_assert_ptr_nonnull(c);
	snprintf(url, sizeof(url), "%s%s", root, path);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
	for (; hdrs != NULL && *hdrs != NULL; hdrs++)
		list = curl_slist_append(list, *hdrs);
	if (chunked > 0) {
		list = curl_slist_append(list, "Transfer-Encoding: chunked");
		curl_easy_setopt(c, CURLOPT_POST, 1L);
		curl_easy_setopt(c, CURLOPT_READFUNCTION, on_read);
		curl_easy_setopt(c, CURLOPT_READDATA, &chunked);
	} else if (strcmp(method, "POST") == 0) {
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
	} else if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(c, CURLOPT_NOBODY, 1L);
	if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK)
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	else
		r->failed = true;
	curl_slist_free_all(list);
	curl_easy_cleanup(c);
}

static void
fetch(const char *method, const char *path, const char *const *hdrs,
    struct reply *r)
{
	fetch_at(base, method, path, hdrs, NULL, 0, r);
	ck_assert_msg(!r->failed, "%s %s: no answer", method, path);
}

/* The value of header name in r, or NULL; a static copy. */
static const char *
header(const struct reply *r, const char *name)
{
	static char value[512];
	size_t nlen = strlen(name);
	const char *p = r->head;

	while ((p = strstr(p, "\r\n")) != NULL) {
		p += 2;
		if (strncasecmp(p, name, nlen) == 0 && p[nlen] == ':') {
			const char *v = p + nlen + 1, *e;

			while (*v == ' ')
				v++;
			e = strstr(v, "\r\n");
			snprintf(value, sizeof(value), "%.*s",
			    (int)(e ? e - v : (long)strlen(v)), v);
			return value;
		}
	}
	return NULL;
}

static void
assert_header(const struct reply *r, const char *name, const char *want)
{
	const char *got = header(r, name);

	ck_assert_msg(got != NULL, "no %s header", name);
	ck_assert_str_eq(got, want);
}

static const char *const k1[] = { "x-api-key: k1", NULL };
static const char *const k2[] = { "x-api-key: k2", NULL };

#endif

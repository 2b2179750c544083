/*
 * api: routing, id validation, CORS, status mapping and JSON bodies.
 *
 * The order of the checks is the contract: an unknown path is 404 and a
 * method the route does not have is 405 (with Allow) before anything else;
 * a CORS preflight (OPTIONS) needs no key; then a missing or wrong key is
 * 403 exactly as API Gateway answers it, before the id is even looked at,
 * so a caller without a key learns nothing about ids; then a bad id is 400.
 *
 * The percent-decoder is our own because the libraries at hand (curl's and
 * libmicrohttpd's) leave a malformed escape in place instead of refusing
 * it, and an id must have exactly one spelling.
 *
 * Not here: headers, sockets, the store (http.c does those).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "log.h"
#include "origin.h"
#include "util.h"

#define VISITS_PREFIX	"/api/visits"
#define HISTORY_SUFFIX	"/history"
#define STREAM_SUFFIX	"/stream"
#define STREAM_METHODS	"GET, OPTIONS"

/* The CORS policy: the origin list, parsed by origin.c. */
struct api_cors {
	struct origin_list	*origins;
};

const char *
api_route_name(enum api_route route)
{
	switch (route) {
	case API_ROUTE_VISITS:
		return "visits";
	case API_ROUTE_STREAM:
		return "stream";
	case API_ROUTE_HEALTHZ:
		return "healthz";
	case API_ROUTE_READYZ:
		return "readyz";
	case API_ROUTE_METRICS:
		return "metrics";
	case API_ROUTE_NOT_FOUND:
		return "not_found";
	case API_ROUTE_HISTORY:
		return "history";
	}
	return NULL;
}

int
api_percent_decode(const char *in, size_t inlen, char *out, size_t outlen)
{
	size_t i, o = 0;

	if (outlen == 0)
		return -1;
	for (i = 0; i < inlen; i++) {
		char c = in[i];

		if (c == '%') {
			int hi, lo;

			if (inlen - i < 3)
				return -1;
			if ((hi = util_hexval(in[i + 1])) < 0 ||
			    (lo = util_hexval(in[i + 2])) < 0)
				return -1;
			c = (char)(hi << 4 | lo);
			i += 2;
		}
		if (o + 1 >= outlen)
			return -1;
		out[o++] = c;
	}
	out[o] = '\0';
	return (int)o;
}

static bool
id_char(unsigned char c)
{
	return isascii(c) && (isalnum(c) || c == '.' || c == '_' ||
	    c == '~' || c == '-');
}

int
api_id_parse(const char *raw, size_t rawlen, char *out, const char **why)
{
	/* One byte over the limit and the NUL: a longer id does not fit. */
	char buf[API_ID_MAX + 2];
	int n;

	if (rawlen == 0) {
		*why = "missing id: use /api/visits/{id}";
		return -1;
	}
	if (memchr(raw, '/', rawlen) != NULL) {
		*why = "invalid id: it must not contain '/'";
		return -1;
	}
	for (size_t i = 0; i < rawlen; i++)
		if (raw[i] == '%' && (rawlen - i < 3 ||
		    util_hexval(raw[i + 1]) < 0 || util_hexval(raw[i + 2]) < 0)) {
			*why = "invalid id: malformed percent-escape";
			return -1;
		}
	/* Escapes are well-formed now, so -1 can only mean "too long". */
	n = api_percent_decode(raw, rawlen, buf, sizeof(buf));
	if (n < 0 || n > API_ID_MAX) {
		*why = "invalid id: longer than 128 characters";
		return -1;
	}
	if (n == 0) {
		*why = "missing id: use /api/visits/{id}";
		return -1;
	}
	for (int i = 0; i < n; i++)
		if (!id_char((unsigned char)buf[i])) {
			*why = buf[i] == '/' ?
			    "invalid id: it must not contain '/'" :
			    "invalid id: use 1 to 128 of A-Z a-z 0-9 . _ ~ -";
			return -1;
		}
	if (strcmp(buf, ".") == 0 || strcmp(buf, "..") == 0) {
		*why = "invalid id: '.' and '..' are not ids";
		return -1;
	}
	memcpy(out, buf, (size_t)n + 1);
	return 0;
}

static void
answer(struct api_decision *d, int status, const char *message)
{
	d->action = API_ANSWER;
	d->status = status;
	d->message = message;
}

static bool
is(const char *method, const char *name)
{
	return strcmp(method, name) == 0;
}

/* "{id}/history" with an id segment free of '/': the history route. */
static bool
is_history(const char *raw)
{
	size_t len = strlen(raw), slen = strlen(HISTORY_SUFFIX);

	return len > slen && strcmp(raw + len - slen, HISTORY_SUFFIX) == 0 &&
	    memchr(raw, '/', len - slen) == NULL;
}

/* The history route: GET only (OPTIONS for CORS), the key as for GET. */
static void
decide_history(const struct api_options *opt, const char *method,
    const char *raw, size_t rawlen, bool key_ok, struct api_decision *d)
{
	const char *why;

	if (is(method, "OPTIONS")) {
		d->preflight = true;
		d->allow = API_HISTORY_METHODS;
		answer(d, 204, NULL);
		return;
	}
	if (!is(method, "GET")) {
		d->allow = API_HISTORY_METHODS;
		answer(d, 405, "Method Not Allowed");
		return;
	}
	if (!key_ok && !opt->auth_none) {
		answer(d, 403, "Forbidden");
		return;
	}
	if (api_id_parse(raw, rawlen, d->id, &why) == -1) {
		answer(d, 400, why);
		return;
	}
	d->action = API_HISTORY;
	d->days = API_HISTORY_DEFAULT;
}

void
api_decide_history_days(struct api_decision *d, const char *value)
{
	unsigned long n = 0;

	if (d->action != API_HISTORY || value == NULL)
		return;
	for (const char *p = value; ; p++) {
		if (*p == '\0' && p != value)
			break;
		if (!isdigit((unsigned char)*p) || p - value >= 3) {
			answer(d, 400, "invalid days: use days=N with N from "
			    "1 to 366");
			return;
		}
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > STORE_HISTORY_MAX) {
		answer(d, 400, "invalid days: use days=N with N from 1 to 366");
		return;
	}
	d->days = (uint32_t)n;
}

void
api_decide(const struct api_options *opt, const char *method,
    const char *path, bool key_ok, struct api_decision *d)
{
	const char *raw = NULL, *why;
	size_t rawlen = 0, n;

	memset(d, 0, sizeof(*d));
	d->route = API_ROUTE_NOT_FOUND;
	if (opt->metrics_only) {
		if (strcmp(path, "/metrics") == 0)
			d->route = API_ROUTE_METRICS;
		else if (strcmp(path, "/healthz") == 0)
			d->route = API_ROUTE_HEALTHZ;
	} else if (strncmp(path, VISITS_PREFIX "/",
	    sizeof(VISITS_PREFIX)) == 0) {
		d->route = API_ROUTE_VISITS;
		raw = path + sizeof(VISITS_PREFIX);
		if (is_history(raw)) {
			d->route = API_ROUTE_HISTORY;
			rawlen = strlen(raw) - strlen(HISTORY_SUFFIX);
		}
	} else if (strcmp(path, VISITS_PREFIX) == 0) {
		d->route = API_ROUTE_VISITS;
		raw = "";
	} else if (strcmp(path, "/healthz") == 0)
		d->route = API_ROUTE_HEALTHZ;
	else if (strcmp(path, "/readyz") == 0)
		d->route = API_ROUTE_READYZ;
	else if (strcmp(path, "/metrics") == 0 && opt->metrics_here)
		d->route = API_ROUTE_METRICS;

	if (raw != NULL && d->route == API_ROUTE_VISITS)
		rawlen = strlen(raw);

	/* /api/visits/{id}/stream: the same id, its live counts. */
	if (raw != NULL && (n = strlen(raw)) > sizeof(STREAM_SUFFIX) - 1 &&
	    strcmp(raw + n - (sizeof(STREAM_SUFFIX) - 1), STREAM_SUFFIX) == 0) {
		d->route = API_ROUTE_STREAM;
		rawlen = n - (sizeof(STREAM_SUFFIX) - 1);
	}

	switch (d->route) {
	case API_ROUTE_NOT_FOUND:
		answer(d, 404, "Not Found");
		return;
	case API_ROUTE_HISTORY:
		decide_history(opt, method, raw, rawlen, key_ok, d);
		return;
	case API_ROUTE_VISITS:
		if (!is(method, "GET") && !is(method, "POST") &&
		    !is(method, "OPTIONS")) {
			d->allow = API_CORS_METHODS;
			answer(d, 405, "Method Not Allowed");
			return;
		}
		if (is(method, "OPTIONS")) {
			d->preflight = true;
			d->allow = API_CORS_METHODS;
			answer(d, 204, NULL);
			return;
		}
		if (!key_ok && !opt->auth_none) {
			answer(d, 403, "Forbidden");
			return;
		}
		if (api_id_parse(raw, rawlen, d->id, &why) == -1) {
			answer(d, 400, why);
			return;
		}
		d->action = is(method, "POST") || opt->get_increments ?
		    API_INCREMENT : API_GET;
		return;
	case API_ROUTE_STREAM:
		if (!is(method, "GET") && !is(method, "OPTIONS")) {
			d->allow = STREAM_METHODS;
			answer(d, 405, "Method Not Allowed");
			return;
		}
		if (is(method, "OPTIONS")) {
			d->preflight = true;
			d->allow = STREAM_METHODS;
			answer(d, 204, NULL);
			return;
		}
		/*
		 * The key may come as ?key= (http_stream_query_key).  Public
		 * ids (VISITSD_PUBLIC_IDS, helper badge) belong here exactly
		 * as on the GET route: a public id streams without a key.
		 */
		if (!key_ok && !opt->auth_none) {
			answer(d, 403, "Forbidden");
			return;
		}
		if (api_id_parse(raw, rawlen, d->id, &why) == -1) {
			answer(d, 400, why);
			return;
		}
		d->action = API_STREAM;
		return;
	case API_ROUTE_HEALTHZ:
	case API_ROUTE_READYZ:
	case API_ROUTE_METRICS:
		if (!is(method, "GET") && !is(method, "HEAD")) {
			d->allow = "GET, HEAD";
			answer(d, 405, "Method Not Allowed");
			return;
		}
		d->action = d->route == API_ROUTE_HEALTHZ ? API_HEALTHZ :
		    d->route == API_ROUTE_READYZ ? API_READYZ : API_METRICS;
		return;
	}
}

struct api_cors *
api_cors_new(const char *allowed, char *err, size_t errlen)
{
	struct origin_list *list;
	struct api_cors *c;

	if ((list = origin_list_new(allowed, err, errlen)) == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->origins = list;
	return c;
}

void
api_cors_free(struct api_cors *c)
{
	if (c == NULL)
		return;
	origin_list_free(c->origins);
	free(c);
}

const char *
api_cors_allow_origin(const struct api_cors *c, const char *origin,
    bool *vary)
{
	*vary = false;
	if (origin_list_any(c->origins))
		return origin != NULL ? "*" : NULL;
	if (origin_list_count(c->origins) == 0)
		return NULL;
	*vary = true;
	return origin_list_match(c->origins, origin) ? origin : NULL;
}

int
api_store_status(enum store_result res, const char **message)
{
	switch (res) {
	case STORE_OK:
		*message = NULL;
		return 200;
	case STORE_UNAVAILABLE:
		*message = "The counter store is unavailable; "
		    "retry later.";
		return 503;
	case STORE_UNKNOWN_OUTCOME:
		*message = "The counter store did not confirm the visit; "
		    "retry later.";
		return 503;
	case STORE_ERROR:
		break;
	}
	*message = "The counter store failed; retry later.";
	return 503;
}

static char *
dump(json_t *obj)
{
	char *s;

	/* Both fail only for a lack of memory: the formats are ours. */
	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT)) == NULL)
		util_out_of_memory();
	json_decref(obj);
	return s;
}

static json_int_t
json_count(uint64_t n)
{
	return n > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)n;
}

char *
api_json_visits(const char *id, const struct store_counts *c)
{
	return dump(json_pack("{s:s, s:I, s:I}", "user", id, "visits",
	    json_count(c->visits), "unique", json_count(c->unique)));
}

/* Day number to "YYYY-MM-DD" (UTC) into buf (11 bytes). */
static void
format_day(uint32_t day, char buf[11])
{
	time_t t = (time_t)day * 86400;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, 11, "%Y-%m-%d", &tm);
}

char *
api_json_history(const char *id, const struct store_day *days, size_t ndays)
{
	json_t *list = json_array();
	char date[11];

	if (list == NULL)
		util_out_of_memory();
	for (size_t i = 0; i < ndays; i++) {
		format_day(days[i].day, date);
		if (json_array_append_new(list, json_pack("{s:s, s:I, s:I}",
		    "date", date, "visits", json_count(days[i].counts.visits),
		    "unique", json_count(days[i].counts.unique))) == -1)
			util_out_of_memory();
	}
	return dump(json_pack("{s:s, s:o}", "user", id, "days", list));
}

char *
api_json_message(const char *message)
{
	return dump(json_pack("{s:s}", "message", message));
}

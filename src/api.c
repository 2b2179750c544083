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
	case API_ROUTE_ADMIN:
		return "admin";
	case API_ROUTE_BADGE:
		return "badge";
	case API_ROUTE_SHIELDS:
		return "shields";
	case API_ROUTE_COUNTAPI:
		return "countapi";
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

void
api_answer(struct api_decision *d, int status, const char *message)
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

/* The history route: GET only (OPTIONS for CORS), the key as for GET. */
static void
decide_history(const struct api_options *opt, const char *method,
    const char *raw, size_t rawlen, bool key_ok, struct api_decision *d)
{
	const char *why;

	if (is(method, "OPTIONS")) {
		d->preflight = true;
		d->allow = API_HISTORY_METHODS;
		api_answer(d, 204, NULL);
		return;
	}
	if (!is(method, "GET")) {
		d->allow = API_HISTORY_METHODS;
		api_answer(d, 405, "Method Not Allowed");
		return;
	}
	if (!key_ok && !opt->auth_none) {
		api_answer(d, 403, "Forbidden");
		return;
	}
	if (api_id_parse(raw, rawlen, d->id, &why) == -1) {
		api_answer(d, 400, why);
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
			api_answer(d, 400, "invalid days: use days=N with N from "
			    "1 to 366");
			return;
		}
		n = n * 10 + (unsigned long)(*p - '0');
	}
	if (n < 1 || n > STORE_HISTORY_MAX) {
		api_answer(d, 400, "invalid days: use days=N with N from 1 to 366");
		return;
	}
	d->days = (uint32_t)n;
}

/* --- the sub-routes of an id; badge.svg, shields.json, CountAPI ----- */

#define BADGE_SUFFIX	"/badge.svg"
#define SHIELDS_SUFFIX	"/shields.json"

/* The route of /api/visits/{raw} by its suffix; *rawlen loses it. */
static enum api_route
visits_suffix(const char *raw, size_t *rawlen)
{
	static const struct {
		const char	*suffix;
		enum api_route	 route;
	} sub[] = {
		{ BADGE_SUFFIX, API_ROUTE_BADGE },
		{ SHIELDS_SUFFIX, API_ROUTE_SHIELDS },
		{ HISTORY_SUFFIX, API_ROUTE_HISTORY },
		{ STREAM_SUFFIX, API_ROUTE_STREAM },
	};

	for (size_t i = 0; i < sizeof(sub) / sizeof(sub[0]); i++) {
		size_t n = strlen(sub[i].suffix);

		if (*rawlen >= n && memcmp(raw + *rawlen - n, sub[i].suffix,
		    n) == 0) {
			*rawlen -= n;
			return sub[i].route;
		}
	}
	return API_ROUTE_VISITS;
}

/*
 * May the request use the id raw[0..rawlen)?  With a key (or auth off),
 * yes; without, only a valid public id -- a bad id is refused as 403 too,
 * so a keyless caller learns nothing about ids.
 */
static bool
id_allowed(const struct api_options *opt, const char *raw, size_t rawlen,
    bool key_ok)
{
	char id[API_ID_MAX + 1];
	const char *why;

	if (key_ok || opt->auth_none)
		return true;
	return opt->is_public != NULL &&
	    api_id_parse(raw, rawlen, id, &why) == 0 &&
	    opt->is_public(opt->public_ids, id);
}

static bool
is_public(const struct api_options *opt, const char *id)
{
	return opt->is_public != NULL && opt->is_public(opt->public_ids, id);
}

/*
 * The id of /api/visits/{raw}: an id the key does not open is 403, a bad
 * id 400.  True when d->id holds the id.
 */
static bool
id_gate(const struct api_options *opt, const char *raw, size_t rawlen,
    bool key_ok, struct api_decision *d)
{
	const char *why;

	if (!id_allowed(opt, raw, rawlen, key_ok)) {
		api_answer(d, 403, "Forbidden");
		return false;
	}
	if (api_id_parse(raw, rawlen, d->id, &why) == -1) {
		api_answer(d, 400, why);
		return false;
	}
	return true;
}

/*
 * A read route (GET, and POST where post is true) of /api/visits/{raw}:
 * another method is 405 with allow (static), OPTIONS a preflight, then
 * id_gate.  True when d->id holds the id and the caller picks the action.
 */
static bool
decide_read(const struct api_options *opt, const char *method, bool post,
    const char *allow, const char *raw, size_t rawlen, bool key_ok,
    struct api_decision *d)
{
	if (!is(method, "GET") && !(post && is(method, "POST")) &&
	    !is(method, "OPTIONS")) {
		d->allow = allow;
		api_answer(d, 405, "Method Not Allowed");
		return false;
	}
	if (is(method, "OPTIONS")) {
		d->preflight = true;
		d->allow = allow;
		api_answer(d, 204, NULL);
		return false;
	}
	return id_gate(opt, raw, rawlen, key_ok, d);
}

/*
 * A query argument as received (MHD turned '+' into ' ' but left the
 * escapes: the server keeps URLs raw) decoded into out: 0, or -1 for a
 * malformed escape, a NUL, or a value longer than outlen - 1.  *arg
 * becomes out, or stays NULL when absent.
 */
static int
query_arg(const char **arg, char *out, size_t outlen)
{
	int n;

	if (*arg == NULL)
		return 0;
	n = api_percent_decode(*arg, strlen(*arg), out, outlen);
	if (n < 0 || strlen(out) != (size_t)n)
		return -1;
	*arg = out;
	return 0;
}

/* Decode and check ?label= and ?color= into d: NULL, or why not. */
static const char *
badge_args(const struct api_query *q, struct api_decision *d)
{
	char label[BADGE_LABEL_MAX + 1], color[BADGE_COLOR_MAX + 1];
	const char *why, *qlabel = q->label, *qcolor = q->color;

	if (query_arg(&qlabel, label, sizeof(label)) == -1)
		return "invalid label: a malformed percent-escape, a NUL, or "
		    "longer than 64 characters";
	if (query_arg(&qcolor, color, sizeof(color)) == -1)
		return "invalid color: use a shields.io color name or 3 or 6 "
		    "hex digits";
	if (badge_label_parse(qlabel, d->label, &why) == -1 ||
	    badge_color_parse(qcolor, d->color, &why) == -1)
		return why;
	return NULL;
}

static void
decide_badge(const struct api_options *opt, const char *method,
    const char *raw, size_t rawlen, bool key_ok, const struct api_query *q,
    struct api_decision *d)
{
	const char *why;

	if (!is(method, "GET") && !is(method, "HEAD")) {
		d->allow = "GET, HEAD";
		api_answer(d, 405, "Method Not Allowed");
		return;
	}
	if (!id_gate(opt, raw, rawlen, key_ok, d))
		return;
	if ((why = badge_args(q, d)) != NULL) {
		api_answer(d, 400, why);
		return;
	}
	/* The fetch is the visit only on a public id, and never on HEAD. */
	d->action = d->route == API_ROUTE_BADGE && is(method, "GET") &&
	    q->count != NULL && strcmp(q->count, "1") == 0 &&
	    is_public(opt, d->id) ? API_INCREMENT : API_GET;
}

static void
decide_countapi(const char *method, const char *path,
    const struct api_query *q, struct api_decision *d)
{
	char callback[COUNTAPI_CALLBACK_MAX + 1];
	const char *why, *qcallback = q->callback;

	if (qcallback != NULL) {
		if (query_arg(&qcallback, callback, sizeof(callback)) == -1 ||
		    !countapi_callback_ok(qcallback)) {
			api_answer(d, 400, "invalid callback: use a JavaScript "
			    "identifier of 1 to 64 of A-Z a-z 0-9 _ $");
			return;
		}
		memcpy(d->callback, qcallback, strlen(qcallback) + 1);
	}
	if (!is(method, "GET")) {
		d->allow = "GET";
		api_answer(d, 405, "Method Not Allowed");
		return;
	}
	/* path is "/hit/..." or "/get/...": both four bytes. */
	if (countapi_id(path + 4, d->id, sizeof(d->id), &why) == -1) {
		api_answer(d, 400, why);
		return;
	}
	d->hit = path[1] == 'h';
	d->action = d->hit ? API_INCREMENT : API_GET;
}

static bool
countapi_path(const char *path)
{
	return strncmp(path, "/hit/", 5) == 0 ||
	    strncmp(path, "/get/", 5) == 0 ||
	    strcmp(path, "/hit") == 0 || strcmp(path, "/get") == 0;
}

void
api_decide(const struct api_options *opt, const char *method,
    const char *path, bool key_ok, struct api_decision *d)
{
	api_decide_query(opt, method, path, key_ok, NULL, d);
}

void
api_decide_query(const struct api_options *opt, const char *method,
    const char *path, bool key_ok, const struct api_query *q,
    struct api_decision *d)
{
	static const struct api_query none;
	const char *raw = NULL;
	size_t rawlen = 0;

	if (q == NULL)
		q = &none;
	memset(d, 0, sizeof(*d));
	d->route = API_ROUTE_NOT_FOUND;
	if (opt->metrics_only) {
		if (strcmp(path, "/metrics") == 0)
			d->route = API_ROUTE_METRICS;
		else if (strcmp(path, "/healthz") == 0)
			d->route = API_ROUTE_HEALTHZ;
	} else if (strncmp(path, VISITS_PREFIX "/",
	    sizeof(VISITS_PREFIX)) == 0) {
		raw = path + sizeof(VISITS_PREFIX);
		rawlen = strlen(raw);
		d->route = visits_suffix(raw, &rawlen);
	} else if (strcmp(path, VISITS_PREFIX) == 0) {
		d->route = API_ROUTE_VISITS;
		raw = "";
	} else if (opt->countapi && countapi_path(path))
		d->route = API_ROUTE_COUNTAPI;
	else if (strcmp(path, "/healthz") == 0)
		d->route = API_ROUTE_HEALTHZ;
	else if (strcmp(path, "/readyz") == 0)
		d->route = API_ROUTE_READYZ;
	else if (strcmp(path, "/metrics") == 0 && opt->metrics_here)
		d->route = API_ROUTE_METRICS;

	switch (d->route) {
	case API_ROUTE_NOT_FOUND:
		api_answer(d, 404, "Not Found");
		return;
	case API_ROUTE_HISTORY:
		decide_history(opt, method, raw, rawlen, key_ok, d);
		return;
	case API_ROUTE_VISITS:
		if (!decide_read(opt, method, true, api_cors_methods(opt), raw,
		    rawlen, key_ok, d))
			return;
		d->action = is(method, "POST") || opt->get_increments ?
		    API_INCREMENT : API_GET;
		return;
	case API_ROUTE_BADGE:
	case API_ROUTE_SHIELDS:
		decide_badge(opt, method, raw, rawlen, key_ok, q, d);
		return;
	case API_ROUTE_COUNTAPI:
		decide_countapi(method, path, q, d);
		return;
	case API_ROUTE_STREAM:
		/*
		 * The key may come as ?key= (http_stream_query_key); a public
		 * id (VISITSD_PUBLIC_IDS) streams without one, as on GET.
		 */
		if (!decide_read(opt, method, false, STREAM_METHODS, raw,
		    rawlen, key_ok, d))
			return;
		d->action = API_STREAM;
		return;
	case API_ROUTE_ADMIN:		/* admin_decide's */
		api_answer(d, 404, "Not Found");
		return;
	case API_ROUTE_HEALTHZ:
	case API_ROUTE_READYZ:
	case API_ROUTE_METRICS:
		if (!is(method, "GET") && !is(method, "HEAD")) {
			d->allow = "GET, HEAD";
			api_answer(d, 405, "Method Not Allowed");
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

const char *
api_cors_methods(const struct api_options *opt)
{
	return opt->admin ? API_CORS_METHODS_ADMIN : API_CORS_METHODS;
}

const char *
api_cors_headers(const struct api_options *opt)
{
	return opt->admin ? API_CORS_HEADERS_ADMIN : API_CORS_HEADERS;
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

/*
 * admin: the Bearer grammar, the admin routes, the PUT body and the NDJSON
 * line, all pure.
 *
 * The Bearer parse is strict (RFC 6750's "Bearer" SP token, the scheme in
 * any case as RFC 9110 says of schemes): no leading or trailing blanks, one
 * space, no second token.  A value that does not parse is a missing key,
 * and the key is then never compared.
 *
 * Counts are JSON integers from 0 to 2^53 - 1, the range a JavaScript
 * client reads exactly; a real (1.0, 1e3), a string, a negative number or
 * a larger one is refused, and so is an unknown member, so that a typo
 * ("visit") is an error and not a silent 0.  unique may not exceed visits:
 * a visitor is counted in visits on every visit, so a counter with more
 * unique visitors than visits cannot have arisen from counting.
 *
 * Not here: the key comparison (apikey.c), the I/O (admin_import.c,
 * http_admin.c, cli_admin.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "admin.h"
#include "api.h"
#include "util.h"

#define VISITS_PREFIX	"/api/visits/"
#define ADMIN_PREFIX	"/api/admin"

int
admin_bearer_parse(const char *value, size_t len, const char **token,
    size_t *toklen)
{
	static const char scheme[] = "Bearer ";
	size_t n = sizeof(scheme) - 1;

	if (value == NULL || len <= n || strncasecmp(value, scheme, n) != 0)
		return -1;
	for (size_t i = n; i < len; i++)
		if ((unsigned char)value[i] <= 0x20 ||
		    (unsigned char)value[i] >= 0x7f)
			return -1;
	*token = value + n;
	*toklen = len - n;
	return 0;
}

/* An admin path with its one method: preflight, 405, 401, or action. */
static void
decide_fixed(const char *method, const char *want, bool admin_ok,
    enum api_action action, struct api_decision *d)
{
	d->allow = strcmp(want, "GET") == 0 ? "GET, OPTIONS" :
	    "POST, OPTIONS";
	if (strcmp(method, "OPTIONS") == 0) {
		d->preflight = true;
		api_answer(d, 204, NULL);
	} else if (strcmp(method, want) != 0)
		api_answer(d, 405, "Method Not Allowed");
	else if (!admin_ok)
		api_answer(d, 401, "Unauthorized");
	else
		d->action = action;
}

bool
admin_decide(const struct api_options *opt, const char *method,
    const char *path, bool admin_ok, struct api_decision *d)
{
	const char *raw, *why;
	bool put;

	if (!opt->admin || opt->metrics_only)
		return false;
	memset(d, 0, sizeof(*d));
	if (strncmp(path, ADMIN_PREFIX, sizeof(ADMIN_PREFIX) - 1) == 0 &&
	    (path[sizeof(ADMIN_PREFIX) - 1] == '\0' ||
	    path[sizeof(ADMIN_PREFIX) - 1] == '/')) {
		d->route = API_ROUTE_ADMIN;
		if (strcmp(path, ADMIN_PREFIX "/export") == 0)
			decide_fixed(method, "GET", admin_ok,
			    API_ADMIN_EXPORT, d);
		else if (strcmp(path, ADMIN_PREFIX "/import") == 0)
			decide_fixed(method, "POST", admin_ok,
			    API_ADMIN_IMPORT, d);
		else
			api_answer(d, 404, "Not Found");
		return true;
	}
	put = strcmp(method, "PUT") == 0;
	if ((!put && strcmp(method, "DELETE") != 0) ||
	    strncmp(path, VISITS_PREFIX, sizeof(VISITS_PREFIX) - 1) != 0)
		return false;
	raw = path + sizeof(VISITS_PREFIX) - 1;
	/* /api/visits/{id}/history and the like are api_decide's. */
	if (strchr(raw, '/') != NULL)
		return false;
	d->route = API_ROUTE_VISITS;
	if (!admin_ok) {
		api_answer(d, 401, "Unauthorized");
		return true;
	}
	if (api_id_parse(raw, strlen(raw), d->id, &why) == -1) {
		api_answer(d, 400, why);
		return true;
	}
	d->action = put ? API_ADMIN_SET : API_ADMIN_DELETE;
	return true;
}

/* A count member: absent (*c = 0 when optional), or 0..ADMIN_COUNT_MAX. */
static int
get_count(json_t *obj, const char *name, bool optional, uint64_t *c,
    char *why, size_t whylen)
{
	json_t *v = json_object_get(obj, name);
	json_int_t n;

	*c = 0;
	if (v == NULL) {
		if (optional)
			return 0;
		snprintf(why, whylen, "\"%s\" is missing", name);
		return -1;
	}
	if (!json_is_integer(v) || (n = json_integer_value(v)) < 0 ||
	    (uint64_t)n > ADMIN_COUNT_MAX) {
		snprintf(why, whylen, "\"%s\" must be an integer from 0 to "
		    "%llu", name, ADMIN_COUNT_MAX);
		return -1;
	}
	*c = (uint64_t)n;
	return 0;
}

/*
 * Parse text into an object whose members are all in names (a NULL-ended
 * list); the counts into *c.  A new reference, or NULL with why.
 */
static json_t *
load_object(const char *text, size_t len, const char *const *names,
    struct store_counts *c, char *why, size_t whylen)
{
	json_error_t e;
	json_t *obj, *v;
	const char *key;
	size_t i;

	obj = json_loadb(text, len, JSON_REJECT_DUPLICATES, &e);
	if (obj == NULL) {
		snprintf(why, whylen, "not JSON: %s", e.text);
		return NULL;
	}
	if (!json_is_object(obj)) {
		snprintf(why, whylen, "not a JSON object");
		goto fail;
	}
	json_object_foreach(obj, key, v) {
		for (i = 0; names[i] != NULL; i++)
			if (strcmp(key, names[i]) == 0)
				break;
		if (names[i] == NULL) {
			snprintf(why, whylen, "unknown member \"%.64s\"", key);
			goto fail;
		}
	}
	if (get_count(obj, "visits", false, &c->visits, why, whylen) == -1 ||
	    get_count(obj, "unique", true, &c->unique, why, whylen) == -1)
		goto fail;
	if (c->unique > c->visits) {
		snprintf(why, whylen, "\"unique\" (%llu) exceeds \"visits\" "
		    "(%llu)", (unsigned long long)c->unique,
		    (unsigned long long)c->visits);
		goto fail;
	}
	return obj;
fail:
	json_decref(obj);
	return NULL;
}

int
admin_put_parse(const char *body, size_t len, struct store_counts *c,
    char *why, size_t whylen)
{
	static const char *const names[] = { "visits", "unique", NULL };
	json_t *obj;

	if ((obj = load_object(body, len, names, c, why, whylen)) == NULL)
		return -1;
	json_decref(obj);
	return 0;
}

int
admin_line_parse(const char *line, size_t len, char id[API_ID_MAX + 1],
    struct store_counts *c, char *why, size_t whylen)
{
	static const char *const names[] = { "user", "visits", "unique",
	    NULL };
	const char *s, *reason;
	json_t *obj, *u;
	size_t n;
	int rc = -1;

	if (len > ADMIN_LINE_MAX) {
		snprintf(why, whylen, "longer than %d bytes", ADMIN_LINE_MAX);
		return -1;
	}
	if ((obj = load_object(line, len, names, c, why, whylen)) == NULL)
		return -1;
	if ((u = json_object_get(obj, "user")) == NULL) {
		snprintf(why, whylen, "\"user\" is missing");
		goto done;
	}
	if (!json_is_string(u)) {
		snprintf(why, whylen, "\"user\" must be a string");
		goto done;
	}
	s = json_string_value(u);
	n = json_string_length(u);
	/* Ids are stored decoded: an escape would give a second spelling. */
	if (memchr(s, '%', n) != NULL || memchr(s, '\0', n) != NULL) {
		snprintf(why, whylen, "\"user\": invalid id: use 1 to 128 of "
		    "A-Z a-z 0-9 . _ ~ -");
		goto done;
	}
	if (api_id_parse(s, n, id, &reason) == -1) {
		snprintf(why, whylen, "\"user\": %s", reason);
		goto done;
	}
	rc = 0;
done:
	json_decref(obj);
	return rc;
}

size_t
admin_line_format(char *buf, size_t len, const char *id,
    const struct store_counts *c)
{
	int n;

	/* Ids are of A-Z a-z 0-9 . _ ~ -: nothing to escape. */
	n = snprintf(buf, len, "{\"user\":\"%s\",\"visits\":%llu,"
	    "\"unique\":%llu}\n", id, (unsigned long long)c->visits,
	    (unsigned long long)c->unique);
	return n < 0 ? 0 : (size_t)n < len ? (size_t)n : len - 1;
}

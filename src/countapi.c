/*
 * countapi: CountAPI's names, the ns~key mapping, JSONP callbacks and the
 * {"value":N} bodies (see countapi.h for the contract).
 *
 * A callback name is written into a script the page runs, so only a plain
 * identifier is allowed: nothing that could close the call or start
 * another statement.  Values are JSON integers; a count past 2^63 - 1
 * (never reached) is written as that bound, as api.c does.
 *
 * Not here: routing (api.c), headers and status rules (http_badge.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "countapi.h"
#include "util.h"

static bool
name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

bool
countapi_name_ok(const char *s, size_t len)
{
	if (len < COUNTAPI_NAME_MIN || len > COUNTAPI_NAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!name_char(s[i]))
			return false;
	return true;
}

static bool
ident_char(char c, bool first)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    c == '_' || c == '$' || (!first && c >= '0' && c <= '9');
}

bool
countapi_callback_ok(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > COUNTAPI_CALLBACK_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!ident_char(s[i], i == 0))
			return false;
	return true;
}

int
countapi_id(const char *rest, char *out, size_t outlen, const char **why)
{
	const char *ns, *key, *slash;
	size_t nslen, keylen;

	if (rest[0] != '/' || rest[1] == '\0') {
		*why = "missing key: use /hit/{namespace}/{key} or /hit/{key}";
		return -1;
	}
	rest++;
	if ((slash = strchr(rest, '/')) == NULL) {
		ns = COUNTAPI_NAMESPACE;
		nslen = strlen(ns);
		key = rest;
	} else {
		ns = rest;
		nslen = (size_t)(slash - rest);
		key = slash + 1;
	}
	keylen = strlen(key);
	if (!countapi_name_ok(ns, nslen) || !countapi_name_ok(key, keylen)) {
		*why = "invalid namespace or key: use 3 to 64 of "
		    "A-Z a-z 0-9 _ . -";
		return -1;
	}
	if (nslen + 1 + keylen + 1 > outlen) {
		*why = "namespace and key together longer than 127 "
		    "characters: they map onto the id namespace~key";
		return -1;
	}
	memcpy(out, ns, nslen);
	out[nslen] = COUNTAPI_SEPARATOR;
	memcpy(out + nslen + 1, key, keylen);
	out[nslen + 1 + keylen] = '\0';
	return 0;
}

char *
countapi_body(const char *callback, bool found, uint64_t value,
    const char *message)
{
	json_int_t n = value > (uint64_t)INT64_MAX ?
	    (json_int_t)INT64_MAX : (json_int_t)value;
	json_t *obj;
	char *json, *s;

	if (message != NULL)
		obj = json_pack("{s:n, s:s}", "value", "message", message);
	else if (found)
		obj = json_pack("{s:I}", "value", n);
	else
		obj = json_pack("{s:n}", "value");
	if (obj == NULL || (json = json_dumps(obj, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL)
		util_out_of_memory();
	json_decref(obj);
	if (callback == NULL)
		return json;
	s = xasprintf("%s(%s);", callback, json);
	free(json);
	return s;
}

/*
 * countapi: the grammar of the CountAPI-compatible routes (VISITSD_COUNTAPI)
 * and their answers, without a socket.
 *
 * CountAPI (countapi.xyz, shut down in 2023) served GET /hit/<ns>/<key>
 * (+1, created at 1) and GET /get/<ns>/<key> as {"value":N}; one segment
 * meant the namespace "default"; names matched ^[A-Za-z0-9_.-]{3,64}$;
 * ?callback=NAME answered JSONP with status 200 whatever happened.  A
 * pair maps onto the visitsd id "<ns>~<key>": '~' is an id character that
 * no name may contain, so the mapping is one-to-one and every id it makes
 * has exactly one '~'.  ns~key must fit API_ID_MAX (128): a namespace and
 * key of 64 characters each (129 with the '~') is refused with 400, the
 * one pair of CountAPI's grammar that has no visitsd id.
 */
#ifndef VISITSD_COUNTAPI_H
#define VISITSD_COUNTAPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COUNTAPI_NAME_MIN	3
#define COUNTAPI_NAME_MAX	64
#define COUNTAPI_NAMESPACE	"default"
#define COUNTAPI_SEPARATOR	'~'
#define COUNTAPI_CALLBACK_MAX	64

/* Whether s[0..len) is a CountAPI name: 3 to 64 of A-Z a-z 0-9 _ . - */
bool	countapi_name_ok(const char *s, size_t len);

/*
 * Whether s (borrowed) may name a JSONP callback: an ASCII JavaScript
 * identifier ([A-Za-z_$][A-Za-z0-9_$]*) of 1 to COUNTAPI_CALLBACK_MAX
 * characters.  Dotted names (a.b) are not accepted.
 */
bool	countapi_callback_ok(const char *s);

/*
 * The visitsd id of the path after /hit or /get ("/ns/key" or "/key",
 * raw: names have no escapes, so a '%' is simply not a name character)
 * into out (at least 129 bytes).  Returns 0, or -1 with *why set to a
 * static sentence for the 400 answer.
 */
int	countapi_id(const char *rest, char *out, size_t outlen,
	    const char **why);

/*
 * The answer body: {"value":N}, or {"value":null} when !found, or
 * {"value":null,"message":message} for an error; with callback (borrowed,
 * already checked; NULL for none) the same object as JSONP,
 * callback(...);.  A new malloc'd string (free()).
 */
char	*countapi_body(const char *callback, bool found, uint64_t value,
	    const char *message);

#endif

/*
 * api: what visitsd answers, decided without touching a socket.
 *
 * Routing, id validation (percent-decoding included), CORS decisions, the
 * mapping of store results to HTTP statuses and the JSON bodies.  Every
 * function is pure (no clock, no globals, no MHD types), so the HTTP
 * contract is unit-tested here and http.c only moves bytes.
 */
#ifndef VISITSD_API_H
#define VISITSD_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define API_ID_MAX	128

enum api_route {
	API_ROUTE_NOT_FOUND,
	API_ROUTE_VISITS,		/* /api/visits/{id} */
	API_ROUTE_STREAM,		/* /api/visits/{id}/stream */
	API_ROUTE_HEALTHZ,
	API_ROUTE_READYZ,
	API_ROUTE_METRICS,
	API_ROUTE_HISTORY,		/* /api/visits/{id}/history */
};
/* One past the last route: API_ROUTE_HISTORY stays the last value. */
#define API_NROUTES	((int)API_ROUTE_HISTORY + 1)

/* What http.c does next for a request. */
enum api_action {
	API_ANSWER,			/* answer status + message now */
	API_INCREMENT,			/* store_increment(id) */
	API_GET,			/* store_get(id) */
	API_HEALTHZ,			/* 200 */
	API_READYZ,			/* keys loaded? store_check */
	API_METRICS,			/* metrics_render */
	API_HISTORY,			/* store_history(id, days) */
	API_STREAM,			/* store_get(id), then the stream */
};

/* What the routing depends on besides the request. */
struct api_options {
	bool	get_increments;		/* compat: GET increments too */
	bool	auth_none;		/* no key required */
	bool	metrics_here;		/* this listener serves /metrics */
	bool	metrics_only;		/* this listener serves only /metrics
					   and /healthz */
};

struct api_decision {
	enum api_route	 route;
	enum api_action	 action;
	int		 status;	/* API_ANSWER: the status */
	const char	*message;	/* API_ANSWER: JSON "message", or NULL
					   for no body (204); static */
	const char	*allow;		/* 405 and preflight: Allow; static */
	bool		 preflight;	/* add the preflight CORS headers */
	char		 id[API_ID_MAX + 1];	/* decoded id (visits) */
	uint32_t	 days;		/* API_HISTORY: how many days */
};

/* GET /api/visits/{id}/history?days=N: the default N, and the allowed. */
#define API_HISTORY_DEFAULT	30
#define API_HISTORY_METHODS	"GET, OPTIONS"

/*
 * Decide what to do with method and path (the raw URL path, query string
 * already stripped, NOT percent-decoded).  key_ok says whether the request
 * carried a valid x-api-key (or auth is off).  Fills d; all strings in it
 * are static or inside d.
 */
void	api_decide(const struct api_options *opt, const char *method,
	    const char *path, bool key_ok, struct api_decision *d);

/*
 * For a decision of API_HISTORY: take the query's days value (borrowed;
 * NULL when absent: API_HISTORY_DEFAULT).  Decimal digits worth 1 to
 * STORE_HISTORY_MAX set d->days; anything else turns d into a 400 with a
 * message saying so.
 */
void	api_decide_history_days(struct api_decision *d, const char *value);

/*
 * The metrics label of a route: "visits", "healthz", ..., "not_found"
 * (static); NULL for a value outside the enum (check_api.c holds
 * API_NROUTES to that).
 */
const char	*api_route_name(enum api_route);

/*
 * Strict percent-decoding of in[0..inlen) into out (outlen bytes, NUL
 * terminated).  Returns the decoded length, or -1 when an escape is not
 * '%' and two hex digits or when the result does not fit.
 */
int	api_percent_decode(const char *in, size_t inlen, char *out,
	    size_t outlen);

/*
 * Validate a raw (still percent-encoded) id segment and decode it into out
 * (at least API_ID_MAX + 1 bytes).  Returns 0, or -1 with *why set to a
 * static sentence for the 400 answer.
 */
int	api_id_parse(const char *raw, size_t rawlen, char *out,
	    const char **why);

/*
 * CORS policy parsed from cfg->allowed_origins with origin.c's grammar, the
 * one config validation uses ("*", empty, or a comma list of
 * http(s)://host[:port]).  Returns a new policy, or NULL with the reason in
 * err (an entry that is not an origin).
 */
struct api_cors	*api_cors_new(const char *allowed, char *err, size_t errlen);
void		 api_cors_free(struct api_cors *);	/* accepts NULL */

/*
 * The Access-Control-Allow-Origin value for a request whose Origin header
 * is origin (borrowed, may be NULL): "*" (static), origin itself (when a
 * listed origin is echoed), or NULL (no header).  *vary is set when the
 * answer depends on Origin, i.e. a list is configured: add Vary: Origin.
 */
const char	*api_cors_allow_origin(const struct api_cors *,
		    const char *origin, bool *vary);

/* Preflight header values (static). */
#define API_CORS_METHODS	"GET, POST, OPTIONS"
#define API_CORS_HEADERS	"content-type, x-api-key"

/*
 * Map a store result to an HTTP status (200 or 503) and, for a failure, a
 * static message for the JSON body (NULL on STORE_OK).
 */
int	api_store_status(enum store_result res, const char **message);

/* {"user":id,"visits":v,"unique":u}, a new malloc'd string (free()). */
char	*api_json_visits(const char *id, const struct store_counts *);
/*
 * {"user":id,"days":[{"date":"YYYY-MM-DD","visits":v,"unique":u},...]},
 * days[0..ndays) in their order (oldest first, as the store gives them);
 * a new malloc'd string (free()).
 */
char	*api_json_history(const char *id, const struct store_day *days,
	    size_t ndays);
/* {"message":message}, a new malloc'd string (free()). */
char	*api_json_message(const char *message);

#endif

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

#include "badge.h"
#include "countapi.h"
#include "store.h"

#define API_ID_MAX	128

struct public_ids;

enum api_route {
	API_ROUTE_NOT_FOUND,
	API_ROUTE_VISITS,		/* /api/visits/{id} */
	API_ROUTE_STREAM,		/* /api/visits/{id}/stream */
	API_ROUTE_HEALTHZ,
	API_ROUTE_READYZ,
	API_ROUTE_METRICS,
	API_ROUTE_HISTORY,		/* /api/visits/{id}/history */
	API_ROUTE_ADMIN,		/* /api/admin/... (admin.c) */
	API_ROUTE_BADGE,		/* /api/visits/{id}/badge.svg */
	API_ROUTE_SHIELDS,		/* /api/visits/{id}/shields.json */
	API_ROUTE_COUNTAPI,		/* /hit/..., /get/... (countapi) */
};
/* One past the last route: API_ROUTE_COUNTAPI stays the last value. */
#define API_NROUTES	((int)API_ROUTE_COUNTAPI + 1)

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
	API_ADMIN_SET,			/* PUT: store_set(id, body) */
	API_ADMIN_DELETE,		/* DELETE: store_delete(id) */
	API_ADMIN_EXPORT,		/* GET /api/admin/export */
	API_ADMIN_IMPORT,		/* POST /api/admin/import */
};

/* What the routing depends on besides the request. */
struct api_options {
	bool	get_increments;		/* compat: GET increments too */
	bool	auth_none;		/* no key required */
	bool	metrics_here;		/* this listener serves /metrics */
	bool	metrics_only;		/* this listener serves only /metrics
					   and /healthz */
	bool	admin;			/* an admin key is configured */
	bool	countapi;		/* serve the CountAPI routes */
	/* Whether an id may be used without a key: public_ids_match on
	   public_ids (borrowed), or NULL for no public id.  A pointer, so
	   api.c does not link against public_ids.c, which uses its grammar. */
	bool	(*is_public)(const struct public_ids *, const char *id);
	const struct public_ids	*public_ids;
};

/* The query arguments routing reads; each borrowed, NULL when absent. */
struct api_query {
	const char	*count;		/* badge.svg: "1" increments */
	const char	*label;		/* badge.svg, shields.json */
	const char	*color;		/* badge.svg, shields.json */
	const char	*callback;	/* CountAPI: JSONP */
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
	/* Badge and shields routes: the checked label and colour. */
	char		 label[BADGE_LABEL_MAX + 1];
	char		 color[BADGE_COLOR_MAX + 1];
	/* CountAPI: the checked JSONP callback, "" for plain JSON; hit:
	   /hit (it answers a count even when made a read, as for a bot). */
	char		 callback[COUNTAPI_CALLBACK_MAX + 1];
	bool		 hit;
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
 * Make d an API_ANSWER of status with message (borrowed: static, or NULL
 * for no body).  The deciders of api.c and admin.c share it.
 */
void	api_answer(struct api_decision *d, int status, const char *message);

/*
 * api_decide with the query arguments q (NULL: none).  Without a valid
 * key (and auth on), a GET or POST of /api/visits/{id}, badge.svg and
 * shields.json is allowed for a public id (opt->is_public) and 403 for
 * every other id, a bad one included; badge.svg increments only on a
 * public id with ?count=1; a bad ?label= or ?color= is 400.  The CountAPI
 * routes (opt->countapi) need no key: /hit increments and /get reads
 * the id countapi_id names; a bad ?callback= is 400.
 */
void	api_decide_query(const struct api_options *opt, const char *method,
	    const char *path, bool key_ok, const struct api_query *q,
	    struct api_decision *d);

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

/* Preflight header values (static); with an admin key, the _ADMIN ones. */
#define API_CORS_METHODS	"GET, POST, OPTIONS"
#define API_CORS_HEADERS	"content-type, x-api-key"
#define API_CORS_METHODS_ADMIN	"GET, POST, PUT, DELETE, OPTIONS"
#define API_CORS_HEADERS_ADMIN	"content-type, x-api-key, authorization"
/* The ones that apply to opt (static). */
const char	*api_cors_methods(const struct api_options *opt);
const char	*api_cors_headers(const struct api_options *opt);

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

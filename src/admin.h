/*
 * admin: the pure parts of the admin API, shared by the HTTP routes
 * (http_admin.c) and the command line (cli_admin.c).
 *
 * The Authorization: Bearer grammar, the routing of the admin requests
 * (PUT and DELETE on /api/visits/<id>, /api/admin/export and
 * /api/admin/import), the PUT body and one NDJSON line of an export or
 * an import.  No clock, no I/O, no globals: unit-tested in check_admin.c.
 * Not here: the key ring (apikey.c), files and the store (admin_import.c),
 * MHD (http_admin.c).
 */
#ifndef VISITSD_ADMIN_H
#define VISITSD_ADMIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "api.h"
#include "store.h"

/* The largest count accepted: Number.MAX_SAFE_INTEGER, 2^53 - 1. */
#define ADMIN_COUNT_MAX		9007199254740991ULL
/* The longest NDJSON line accepted, newline excluded. */
#define ADMIN_LINE_MAX		4096

/*
 * Parse an Authorization value (len bytes, borrowed): the scheme "Bearer"
 * in any case, exactly one space, then a token of one or more visible
 * ASCII characters (0x21-0x7e).  Returns 0 with *token pointing into value
 * and *toklen set, or -1 (no token: the request is unauthorized).
 */
int	admin_bearer_parse(const char *value, size_t len, const char **token,
	    size_t *toklen);

/*
 * The admin routes, decided before api_decide.  Returns false when
 * opt->admin is off or the request is not an admin one (then api_decide
 * decides, and answers 405 or 404 as without admin).  Otherwise fills d
 * and returns true: preflights need no key; then !admin_ok is 401
 * "Unauthorized"; then a bad id is 400; then action is API_ADMIN_SET,
 * API_ADMIN_DELETE, API_ADMIN_EXPORT or API_ADMIN_IMPORT.
 */
bool	admin_decide(const struct api_options *opt, const char *method,
	    const char *path, bool admin_ok, struct api_decision *d);

/*
 * The PUT body (len bytes, borrowed): a JSON object with "visits" and,
 * optionally, "unique", integers from 0 to ADMIN_COUNT_MAX, unique not
 * above visits (an absent unique is 0); no other member.  Returns 0 with
 * *c filled, or -1 with a sentence in why.
 */
int	admin_put_parse(const char *body, size_t len, struct store_counts *c,
	    char *why, size_t whylen);

/*
 * One NDJSON line (len bytes, no newline; borrowed): a JSON object with
 * "user" (an id as api_id_parse takes it, without percent-escapes),
 * "visits" and optionally "unique" as for PUT; no other member.  Returns
 * 0 with the id in id[] and *c filled, or -1 with a sentence in why (the
 * caller adds the line number).
 */
int	admin_line_parse(const char *line, size_t len, char id[API_ID_MAX + 1],
	    struct store_counts *c, char *why, size_t whylen);

/*
 * Format id and c as one NDJSON line, newline included, into buf (at
 * least ADMIN_LINE_MAX bytes).  Returns the length.
 */
size_t	admin_line_format(char *buf, size_t len, const char *id,
	    const struct store_counts *c);

#endif

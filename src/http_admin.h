/*
 * http_admin: the admin API on an MHD connection -- the Bearer check, the
 * request bodies (PUT's JSON in memory, an import spooled to a file), the
 * import job and the streamed export.
 *
 * http_request.c keeps the request's life (decide, suspend, resume,
 * answer); this module gives it the pieces, so that its admin hunks stay
 * one call each.  Both jobs run on threads of their own, because store
 * export and import block; an HTTP worker never waits on them.
 */
#ifndef VISITSD_HTTP_ADMIN_H
#define VISITSD_HTTP_ADMIN_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "api.h"
#include "store.h"

struct apikey_ring;
struct http_admin;
struct http_admin_body;

/*
 * The admin side of a server.  keys (the admin key ring) and stopping
 * (set by http_shutdown) are borrowed and outlive it.  put_max bounds a
 * PUT body, import_max an import body.
 */
struct http_admin	*http_admin_new(struct apikey_ring *keys, size_t put_max,
			    size_t import_max, const atomic_bool *stopping);
/* Waits for the running jobs (they stop once stopping is set).  NULL ok. */
void			 http_admin_free(struct http_admin *);

/*
 * Whether conn carries Authorization: Bearer <an admin key>.  The header
 * is taken with its received length (a NUL inside never matches) and the
 * key compared in constant time (apikey_ring_check).
 */
bool	http_admin_authorized(struct http_admin *, struct MHD_Connection *);

/*
 * The body of a request whose action is API_ADMIN_SET or API_ADMIN_IMPORT
 * (NULL for any other action: no body kept).  A new body, freed with
 * http_admin_body_free (NULL ok).
 */
struct http_admin_body	*http_admin_body_new(struct http_admin *,
			    enum api_action action);
void			 http_admin_body_free(struct http_admin_body *);
/* The largest body this request may have. */
size_t	http_admin_body_limit(const struct http_admin_body *);
/* Append an upload chunk; bytes past the limit are dropped. */
void	http_admin_body_add(struct http_admin_body *, const char *data,
	    size_t len);

/*
 * The PUT body's counts (admin_put_parse).  Returns 0, or -1 with a
 * static-lifetime-of-b message in *why for a 400.
 */
int	http_admin_put_counts(struct http_admin_body *b,
	    struct store_counts *c, const char **why);

/*
 * Start the import of b on a thread of its own: validate the whole body,
 * then store_import it in chunks.  done(arg, res, counts) is called once,
 * from that thread (or inline if it cannot start); b and store are
 * borrowed until then.  http_admin_import_answer then gives the answer.
 */
void	http_admin_import_start(struct http_admin *, struct http_admin_body *b,
	    struct store *store, store_done_fn *done, void *arg);
/*
 * The answer to an import that completed with res: the status, and a new
 * JSON body in *json (free()): 200 {"imported":K}, 400 {"message":"line
 * N: ..."}, 413, 500 or 503 {"message":...}.
 */
int	http_admin_import_answer(struct http_admin_body *b,
	    enum store_result res, char **json);

/*
 * The export answer: a new chunked application/x-ndjson MHD response fed
 * by a thread running store_export.  The thread never blocks the worker:
 * the response suspends conn while no line is ready and the thread
 * resumes it.  A client that goes away or a shutdown stops the export (the
 * stream is then cut, so a client sees it incomplete).  NULL if the thread
 * cannot start.
 */
struct MHD_Response	*http_admin_export_response(struct http_admin *,
			    struct store *store, struct MHD_Connection *conn);

#endif

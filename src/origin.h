/*
 * origin: the one grammar of the CORS origin list (allowed_origins), and
 * the parsed list the CORS decision matches against.
 *
 * The configuration checks VISITSD_ALLOWED_ORIGINS with origin_list_check
 * and api.c builds its policy with origin_list_new from the same text, so
 * `visitsd -n` accepts exactly what startup accepts.
 *
 * The list is "*" (any origin), empty (no origin: no CORS header), or
 * origins separated by commas.  An origin is http:// or https:// and a
 * host with an optional :port, nothing after it; blanks around an entry
 * and one trailing "/" are tolerated.  Refused: an empty entry, "*" among
 * other entries, any other scheme, and a path, query or fragment ("/", "?",
 * "#"), a "*", a comma or a blank or control byte in the host part.
 * Matching ignores case, as browsers send the scheme and host in lower
 * case and a list may be written in any.
 */
#ifndef VISITSD_ORIGIN_H
#define VISITSD_ORIGIN_H

#include <stdbool.h>
#include <stddef.h>

struct origin_list;

/*
 * Parse spec (borrowed).  Returns a new list (free with origin_list_free),
 * or NULL with "\"<entry>\" is not an origin: ..." in err.
 */
struct origin_list	*origin_list_new(const char *spec, char *err,
			    size_t errlen);
void			 origin_list_free(struct origin_list *);  /* NULL ok */

/* origin_list_new without keeping the list: 0, or -1 with err. */
int	origin_list_check(const char *spec, char *err, size_t errlen);

/* Whether the list is "*". */
bool	origin_list_any(const struct origin_list *);

/* How many origins are listed (0 for "*" and for the empty list). */
size_t	origin_list_count(const struct origin_list *);

/*
 * Whether origin (an Origin header value, borrowed; NULL when the request
 * had none) is allowed: the list is "*", or origin equals one of its
 * entries ignoring case.  NULL is never allowed.
 */
bool	origin_list_match(const struct origin_list *, const char *origin);

#endif

/*
 * public_ids: VISITSD_PUBLIC_IDS, the ids that may be read and incremented
 * without the API key (README badges and CountAPI pages cannot send one).
 *
 * The setting is a comma list of entries, each an id ("home") or a prefix
 * pattern ("blog-*": every id that starts with "blog-"); a lone "*" is not
 * an entry (it would make every id public: use VISITSD_AUTH=none for
 * that).  An id, and a prefix without its '*', must be an id of api.c's
 * grammar (1 to 128 of A-Z a-z 0-9 . _ ~ -, not "." or ".."), written as
 * is, not percent-encoded.  Matching is pure and exact (case-sensitive,
 * as ids are).
 */
#ifndef VISITSD_PUBLIC_IDS_H
#define VISITSD_PUBLIC_IDS_H

#include <stdbool.h>
#include <stddef.h>

struct public_ids;

/*
 * Check a VISITSD_PUBLIC_IDS value without keeping it: 0, or -1 with the
 * first bad entry named in why.  "" is valid (no public id).
 */
int	public_ids_check(const char *list, char *why, size_t whylen);

/*
 * A new set parsed from list (borrowed), or NULL with the reason in why
 * (what public_ids_check refuses).  Free with public_ids_free.
 */
struct public_ids	*public_ids_new(const char *list, char *why,
			    size_t whylen);
void			 public_ids_free(struct public_ids *); /* accepts NULL */

/* Entries in the set (0 for "" and for NULL). */
size_t	public_ids_count(const struct public_ids *);

/*
 * Whether the decoded id (borrowed) is public: equal to a listed id or
 * starting with a listed prefix.  A NULL set matches nothing.
 */
bool	public_ids_match(const struct public_ids *, const char *id);

#endif

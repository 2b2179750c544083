/*
 * apikey: the set of valid API keys, checked in constant time, swappable.
 *
 * A key set is immutable once parsed; a keyring holds the current set and
 * replaces it atomically on reload (SIGHUP), so requests in flight keep a
 * consistent view.  Several keys may be valid at once for rotation: the
 * source holds them comma-separated.  Keys are wiped when freed and never
 * logged; at most a short fingerprint is.
 */
#ifndef VISITSD_APIKEY_H
#define VISITSD_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

struct apikey_set;
struct keyring;

/*
 * Parse "k1,k2,..." (whitespace around keys trimmed, empty entries
 * ignored).  Returns a new set, or NULL with the reason in err when no key
 * is left.  list is borrowed; the caller wipes it if it must.
 */
struct apikey_set	*apikey_set_parse(const char *list, char *err,
			    size_t errlen);
size_t			 apikey_set_count(const struct apikey_set *);
/* Wipes every key.  Accepts NULL. */
void			 apikey_set_free(struct apikey_set *);

/* A keyring with no set yet: nothing matches until one is installed. */
struct keyring	*keyring_new(void);
/* Accepts NULL. */
void		 keyring_free(struct keyring *);
/* Install set as the current one (steals it) and free the previous one. */
void		 keyring_replace(struct keyring *, struct apikey_set *set);
/* true once a set has been installed. */
bool		 keyring_loaded(struct keyring *);
/*
 * Does candidate (len bytes, borrowed, may be NULL) equal a current key?
 * Constant time in the candidate's content (CRYPTO_memcmp).
 */
bool		 keyring_check(struct keyring *, const char *candidate,
		    size_t len);

#endif

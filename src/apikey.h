/*
 * apikey: the set of valid API keys, checked in constant time, swappable.
 *
 * A key set is immutable once parsed; a key ring holds the current set and
 * replaces it atomically on reload (SIGHUP), so requests in flight keep a
 * consistent view.  Several keys may be valid at once for rotation: the
 * source holds them comma-separated.  A set keeps only the SHA-256 digest
 * of each key, wiped when the set is freed.  Nothing here logs: callers
 * name a key's source (keysource_describe), never a key.
 */
#ifndef VISITSD_APIKEY_H
#define VISITSD_APIKEY_H

#include <stdbool.h>
#include <stddef.h>

struct apikey_set;
struct apikey_ring;

/*
 * Parse "k1,k2,..." (whitespace around keys trimmed, empty entries
 * ignored).  Returns a new set, or NULL with the reason in err when no key
 * is left.  list is borrowed; the caller wipes it if it must.
 */
struct apikey_set	*apikey_set_parse(const char *list, char *err,
			    size_t errlen);
/* The number of keys in set; 0 for NULL. */
size_t			 apikey_set_count(const struct apikey_set *set);
/*
 * Whether a key of a is also a key of b (either may be NULL: false).  For
 * the rule that the admin keys differ from the API keys; not constant time
 * in the number of keys, which is no secret.
 */
bool			 apikey_set_shared(const struct apikey_set *a,
			    const struct apikey_set *b);
/* Wipes every digest.  Accepts NULL. */
void			 apikey_set_free(struct apikey_set *);

/* A new key ring with no set yet: nothing matches until one is installed. */
struct apikey_ring	*apikey_ring_new(void);
/* Frees the ring and its current set.  Accepts NULL. */
void			 apikey_ring_free(struct apikey_ring *);
/* Install set as the current one (steals it) and free the previous one. */
void			 apikey_ring_replace(struct apikey_ring *,
			    struct apikey_set *set);
/* apikey_set_shared with the ring's current set (none: false). */
bool			 apikey_ring_shares(struct apikey_ring *,
			    const struct apikey_set *set);
/* true once a set has been installed. */
bool			 apikey_ring_loaded(struct apikey_ring *);
/*
 * Does candidate (len bytes, borrowed, may be NULL) equal a current key?
 * A candidate holding a NUL within its len bytes never does.
 * The time taken depends neither on the candidate's content nor on which
 * key matches (digests compared with CRYPTO_memcmp, all of them).
 */
bool			 apikey_ring_check(struct apikey_ring *,
			    const char *candidate, size_t len);

#endif

/*
 * util: the few helpers with no domain that several modules need.
 *
 * A hex digit's value, comma-separated lists, the monotonic clock in
 * milliseconds, freeing a
 * buffer that held a secret, and allocation that cannot fail (an
 * allocation failure logs and aborts: systemd restarts us).  Nothing here
 * knows about HTTP, keys, stores or AWS; a helper that only one module
 * uses stays in that module.
 */
#ifndef VISITSD_UTIL_H
#define VISITSD_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The value of hex digit c (either case), or -1. */
int	util_hexval(char c);

/*
 * Comma-separated lists ("a, b,c"): the number of items (commas plus one),
 * and a walk over them.  util_list_next stores the next item of *s, its
 * surrounding whitespace trimmed, in *item and *len (len is 0 for an empty
 * item) and advances *s past it; *s is NULL after the last item.  Returns
 * false when no item is left.  Pointers are into the borrowed list.
 */
size_t	util_list_count(const char *s);
bool	util_list_next(const char **s, const char **item, size_t *len);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t	util_now_ms(void);

/* Wipe p[0..len) with OPENSSL_cleanse, then free it.  Accepts NULL. */
void	util_wipe_free(void *p, size_t len);
/* Wipe a secret NUL-terminated string, then free it.  Accepts NULL. */
void	util_free_secret(char *s);

/*
 * malloc, calloc, reallocarray, strdup and asprintf that log "out of
 * memory" and abort instead of failing (OpenBSD's xmalloc names).  Each
 * returns new memory for the caller to free; xreallocarray takes ownership
 * of p (which may be NULL) and returns its replacement.  xcalloc and
 * xreallocarray also abort when n * size overflows.
 */
void	*xmalloc(size_t size);
void	*xcalloc(size_t n, size_t size);
void	*xreallocarray(void *p, size_t n, size_t size);
char	*xstrdup(const char *s);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * The same policy for memory that a library allocates for us (libcurl's
 * lists and handles, inih's buffers): log "out of memory" and abort.
 */
void	util_out_of_memory(void) __attribute__((noreturn));

#endif

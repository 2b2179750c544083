/*
 * util: the few helpers with no domain that several modules need.
 *
 * A hex digit's value, comma-separated lists, a socket address as text,
 * the monotonic clock in milliseconds, wiping and freeing a buffer that
 * held a secret, and allocation that cannot fail.  The x* allocators are visitsd's one
 * out-of-memory policy: an allocation failure logs "out of memory" and
 * aborts (systemd restarts us), so no caller checks for NULL and no
 * "out of memory" error travels up through return values.  Only the pure
 * codecs (the SigV4 stages, the AWS JSON builders) may report it instead.
 * Nothing here knows about HTTP, keys, stores or AWS; a helper that only
 * one module uses stays in that module.
 */
#ifndef VISITSD_UTIL_H
#define VISITSD_UTIL_H

#include <sys/socket.h>
#include <stdarg.h>

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

/*
 * A socket address as numeric "host:port" or "[v6]:port" into out (outlen
 * bytes, at least INET6_ADDRSTRLEN + 8 to always fit); "?" when it cannot
 * be formatted.
 */
void	util_format_address(const struct sockaddr *sa, socklen_t len,
	    char *out, size_t outlen);

/* CLOCK_MONOTONIC in milliseconds. */
uint64_t	util_now_ms(void);

/* Wipe p[0..len) with OPENSSL_cleanse, then free it.  Accepts NULL. */
void	util_wipe_free(void *p, size_t len);
/* Wipe a secret NUL-terminated string, then free it.  Accepts NULL. */
void	util_free_secret(char *s);

/*
 * malloc, calloc, reallocarray, strdup, strndup, asprintf and vasprintf
 * that log "out
 * of memory" and abort instead of failing (OpenBSD's xmalloc names).  Each
 * returns new memory for the caller to free; xreallocarray takes ownership
 * of p (which may be NULL) and returns its replacement; xvasprintf
 * consumes ap as vasprintf does.  xcalloc and
 * xreallocarray also abort when n * size overflows.
 */
void	*xmalloc(size_t size);
void	*xcalloc(size_t n, size_t size);
void	*xreallocarray(void *p, size_t n, size_t size);
char	*xstrdup(const char *s);
char	*xstrndup(const char *s, size_t maxlen);
char	*xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
char	*xvasprintf(const char *fmt, va_list ap)
	    __attribute__((format(printf, 1, 0)));

/*
 * The same policy for memory that a library allocates for us (json_dumps,
 * open_memstream, ...): log "out of memory" and abort.
 */
void	util_out_of_memory(void) __attribute__((noreturn));

#endif

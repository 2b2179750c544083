/*
 * util: hex digits, comma lists, socket addresses as text, the monotonic
 * clock, wiping secrets, allocation that aborts.  See util.h; each helper
 * here replaced copies in two or more modules.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "log.h"
#include "util.h"

int
util_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t
util_list_count(const char *s)
{
	size_t n = 1;

	for (; *s != '\0'; s++)
		if (*s == ',')
			n++;
	return n;
}

bool
util_list_next(const char **s, const char **item, size_t *len)
{
	const char *p = *s, *end;

	if (p == NULL)
		return false;
	if ((end = strchr(p, ',')) == NULL)
		end = p + strlen(p);
	while (p < end && isspace((unsigned char)*p))
		p++;
	*item = p;
	*len = (size_t)(end - p);
	while (*len > 0 && isspace((unsigned char)p[*len - 1]))
		(*len)--;
	*s = *end == ',' ? end + 1 : NULL;
	return true;
}

void
util_format_address(const struct sockaddr *sa, socklen_t len, char *out,
    size_t outlen)
{
	char host[NI_MAXHOST], port[NI_MAXSERV];

	if (getnameinfo(sa, len, host, sizeof(host), port, sizeof(port),
	    NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
		snprintf(out, outlen, "?");
		return;
	}
	snprintf(out, outlen, sa->sa_family == AF_INET6 ? "[%s]:%s" : "%s:%s",
	    host, port);
}

uint64_t
util_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

void
util_wipe_free(void *p, size_t len)
{
	if (p == NULL)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

void
util_free_secret(char *s)
{
	if (s != NULL)
		util_wipe_free(s, strlen(s));
}

void
util_out_of_memory(void)
{
	log_error("out of memory");
	abort();
}

void *
xmalloc(size_t size)
{
	void *p;

	/* malloc(0) may return NULL: ask for one byte instead. */
	if ((p = malloc(size != 0 ? size : 1)) == NULL)
		util_out_of_memory();
	return p;
}

void *
xcalloc(size_t n, size_t size)
{
	void *p;

	if ((p = calloc(n != 0 ? n : 1, size != 0 ? size : 1)) == NULL)
		util_out_of_memory();
	return p;
}

void *
xreallocarray(void *p, size_t n, size_t size)
{
	void *q;

	if (n == 0 || size == 0)
		n = size = 1;
	if ((q = reallocarray(p, n, size)) == NULL)
		util_out_of_memory();
	return q;
}

char *
xstrdup(const char *s)
{
	char *d;

	if ((d = strdup(s)) == NULL)
		util_out_of_memory();
	return d;
}

char *
xstrndup(const char *s, size_t maxlen)
{
	char *d;

	if ((d = strndup(s, maxlen)) == NULL)
		util_out_of_memory();
	return d;
}

char *
xvasprintf(const char *fmt, va_list ap)
{
	char *s;

	if (vasprintf(&s, fmt, ap) < 0)
		util_out_of_memory();
	return s;
}

char *
xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

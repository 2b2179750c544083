/*
 * origin: parsing and matching the CORS origin list (see origin.h).
 *
 * The grammar is the stricter of the two that config.c and api.c used to
 * carry separately: config.c let "https://a.example?x" through and api.c
 * refused it at startup, so `visitsd -n` said "configuration OK" to a value
 * the daemon then would not start with.  Now both call this file.
 *
 * Not here: the CORS headers themselves (api.c decides, http.c sends).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "origin.h"
#include "util.h"

struct origin_list {
	bool	  any;			/* "*" */
	size_t	  count;
	char	**origins;		/* trailing "/" removed */
};

/* The host[:port] part: no path, query, fragment, list syntax or blank. */
static bool
host_part_ok(const char *p, size_t n)
{
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];

		if (c <= ' ' || c == 0x7f || strchr("/?#*,", c) != NULL)
			return false;
	}
	return true;
}

/* Whether p[0..n) is one origin, scheme://host[:port]. */
static bool
entry_ok(const char *p, size_t n)
{
	static const char *const schemes[] = { "https://", "http://" };
	size_t i, len;

	for (i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		len = strlen(schemes[i]);
		if (n >= len && strncmp(p, schemes[i], len) == 0)
			return host_part_ok(p + len, n - len);
	}
	return false;
}

struct origin_list *
origin_list_new(const char *spec, char *err, size_t errlen)
{
	struct origin_list *l = xcalloc(1, sizeof(*l));
	const char *p, *item;
	size_t n, written;

	if (spec[0] == '\0')
		return l;			/* no origin allowed */
	if (strcmp(spec, "*") == 0) {
		l->any = true;
		return l;
	}
	l->origins = xcalloc(util_list_count(spec), sizeof(*l->origins));
	for (p = spec; util_list_next(&p, &item, &n); ) {
		written = n;
		if (n > 0 && item[n - 1] == '/')
			n--;			/* "https://a.example/" */
		if (n == 1 && item[0] == '*') {
			snprintf(err, errlen, "\"*\" is not an origin: it "
			    "allows any origin only as the whole list");
			goto fail;
		}
		if (!entry_ok(item, n)) {
			snprintf(err, errlen, "\"%.*s\" is not an origin: use "
			    "\"*\" or http(s)://host[:port] entries separated "
			    "by commas, with no path, query or fragment",
			    (int)written, item);
			goto fail;
		}
		l->origins[l->count++] = xstrndup(item, n);
	}
	return l;
fail:
	origin_list_free(l);
	return NULL;
}

void
origin_list_free(struct origin_list *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->count; i++)
		free(l->origins[i]);
	free(l->origins);
	free(l);
}

int
origin_list_check(const char *spec, char *err, size_t errlen)
{
	struct origin_list *l;

	if ((l = origin_list_new(spec, err, errlen)) == NULL)
		return -1;
	origin_list_free(l);
	return 0;
}

bool
origin_list_any(const struct origin_list *l)
{
	return l->any;
}

size_t
origin_list_count(const struct origin_list *l)
{
	return l->count;
}

bool
origin_list_match(const struct origin_list *l, const char *origin)
{
	size_t i;

	if (origin == NULL)
		return false;
	if (l->any)
		return true;
	for (i = 0; i < l->count; i++)
		if (strcasecmp(l->origins[i], origin) == 0)
			return true;
	return false;
}

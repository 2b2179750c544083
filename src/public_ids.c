/*
 * public_ids: the list of ids and prefix patterns served without a key.
 *
 * An entry is checked with api.c's own id parser (api_id_parse), so a
 * public id is exactly what a request can name; the entry must also be
 * written without percent-escapes, since the setting is not a URL.  The
 * set is a small array scanned in order: lists are short (a few badges),
 * and a request does one scan.
 *
 * Not here: who may skip the key (api.c asks this module), the rate
 * limit every keyless request is under (guard.c; config.c refuses public
 * ids with the limiter off).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "public_ids.h"
#include "util.h"

struct entry {
	char	*text;		/* the id, or the prefix without '*' */
	size_t	 len;
	bool	 prefix;
};

struct public_ids {
	struct entry	*e;
	size_t		 n;
};

/* Check one trimmed entry; fill *e (text not copied) when e != NULL. */
static int
entry_parse(const char *item, size_t len, char *why, size_t whylen)
{
	char id[API_ID_MAX + 1];
	const char *reason;
	size_t idlen = len;

	if (len == 0) {
		snprintf(why, whylen, "an empty entry (two commas, or a "
		    "comma at an end)");
		return -1;
	}
	if (item[len - 1] == '*')
		idlen--;
	if (idlen == 0) {
		snprintf(why, whylen, "\"*\" alone would make every id "
		    "public: list ids or prefixes (use VISITSD_AUTH=none to "
		    "serve every id without a key)");
		return -1;
	}
	if (memchr(item, '%', idlen) != NULL ||
	    memchr(item, '*', idlen) != NULL) {
		snprintf(why, whylen, "\"%.*s\": only a trailing '*', and no "
		    "percent-escapes", (int)(len > 140 ? 140 : len), item);
		return -1;
	}
	if (api_id_parse(item, idlen, id, &reason) == -1) {
		snprintf(why, whylen, "\"%.*s\": %s",
		    (int)(len > 140 ? 140 : len), item, reason);
		return -1;
	}
	return 0;
}

int
public_ids_check(const char *list, char *why, size_t whylen)
{
	struct public_ids *p;

	if ((p = public_ids_new(list, why, whylen)) == NULL)
		return -1;
	public_ids_free(p);
	return 0;
}

struct public_ids *
public_ids_new(const char *list, char *why, size_t whylen)
{
	struct public_ids *p = xcalloc(1, sizeof(*p));
	const char *s = list, *item;
	size_t len;

	if (list == NULL || list[0] == '\0')
		return p;
	p->e = xcalloc(util_list_count(list), sizeof(*p->e));
	while (util_list_next(&s, &item, &len)) {
		struct entry *e = &p->e[p->n];

		if (entry_parse(item, len, why, whylen) == -1) {
			public_ids_free(p);
			return NULL;
		}
		e->prefix = item[len - 1] == '*';
		e->len = e->prefix ? len - 1 : len;
		e->text = xstrndup(item, e->len);
		p->n++;
	}
	return p;
}

void
public_ids_free(struct public_ids *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->n; i++)
		free(p->e[i].text);
	free(p->e);
	free(p);
}

size_t
public_ids_count(const struct public_ids *p)
{
	return p != NULL ? p->n : 0;
}

bool
public_ids_match(const struct public_ids *p, const char *id)
{
	size_t idlen;

	if (p == NULL)
		return false;
	idlen = strlen(id);
	for (size_t i = 0; i < p->n; i++) {
		const struct entry *e = &p->e[i];

		if (e->prefix ? idlen >= e->len &&
		    memcmp(id, e->text, e->len) == 0 :
		    idlen == e->len && memcmp(id, e->text, e->len) == 0)
			return true;
	}
	return false;
}

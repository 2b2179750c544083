/*
 * creds_chain: a provider over other providers, tried in order, and the
 * SDKs' default chain built from it (environment, shared files, container,
 * IMDS).  The chain is the only file that knows every provider; the
 * providers know only creds.h.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aws/creds.h"
#include "util.h"

struct chain {
	struct creds_provider	  base;
	struct creds_provider	**links;
	size_t			  nlinks;
};

/*
 * The first link that yields credentials wins.  When none does, every
 * link's reason is in err, separated by "; ", so an operator sees at once
 * why each source was passed over.
 */
static struct creds *
chain_get(struct creds_provider *p, char *err, size_t errlen)
{
	struct chain *ch = (struct chain *)p;
	struct creds *c;
	char why[512];
	size_t i, off = 0;
	int n;

	if (errlen > 0)
		err[0] = '\0';
	for (i = 0; i < ch->nlinks; i++) {
		why[0] = '\0';
		if ((c = creds_get(ch->links[i], why, sizeof(why))) != NULL)
			return c;
		if (off >= errlen)
			continue;
		if (why[0] == '\0')
			snprintf(why, sizeof(why), "%s: no credentials",
			    ch->links[i]->ops->name);
		n = snprintf(err + off, errlen - off, "%s%s", off ? "; " : "",
		    why);
		if (n > 0)
			off += (size_t)n;
	}
	if (ch->nlinks == 0)
		snprintf(err, errlen, "no credential providers");
	return NULL;
}

static void
chain_free(struct creds_provider *p)
{
	struct chain *ch = (struct chain *)p;
	size_t i;

	for (i = 0; i < ch->nlinks; i++)
		creds_provider_free(ch->links[i]);
	free(ch->links);
	free(ch);
}

static const struct creds_ops chain_ops = {
	.name = "chain",
	.get = chain_get,
	.free = chain_free,
};

struct creds_provider *
creds_chain_new(struct creds_provider **links, size_t n)
{
	struct chain *ch;
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i] == NULL) {
			for (i = 0; i < n; i++)
				creds_provider_free(links[i]);
			return NULL;
		}
	ch = xcalloc(1, sizeof(*ch));
	if (n > 0)
		ch->links = xcalloc(n, sizeof(*ch->links));
	for (i = 0; i < n; i++)
		ch->links[i] = links[i];
	ch->nlinks = n;
	ch->base.ops = &chain_ops;
	return &ch->base;
}

struct creds_provider *
creds_chain_new_default(void)
{
	struct creds_provider *links[4];

	links[0] = creds_env_new();
	links[1] = creds_profile_new();
	links[2] = creds_container_new();
	links[3] = creds_imds_new();
	return creds_chain_new(links, 4);
}

/*
 * creds: the credentials object, the provider vtable helpers, the
 * environment provider (no I/O beyond getenv), and the chain that composes
 * providers in the SDKs' default order.
 *
 * The shared-file provider lives in creds_profile.c, the container and IMDS
 * providers in creds_container.c and creds_imds.c (over creds_http.c), the
 * refreshing cache in creds_cached.c, region and endpoint resolution in
 * creds_region.c.  Nothing here logs a secret.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "aws/creds.h"
#include "util.h"

struct aws_credentials *
aws_credentials_new(const char *akid, const char *secret, const char *token,
    time_t expiration, const char *source)
{
	struct aws_credentials *c;

	if (akid == NULL || secret == NULL)
		return NULL;
	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	if ((c->access_key_id = strdup(akid)) == NULL ||
	    (c->secret_access_key = strdup(secret)) == NULL ||
	    (token != NULL && *token != '\0' &&
	    (c->session_token = strdup(token)) == NULL)) {
		free(c->access_key_id);
		util_free_secret(c->secret_access_key);
		free(c);
		return NULL;
	}
	c->expiration = expiration;
	c->source = source ? source : "unknown";
	c->refs = 1;
	return c;
}

struct aws_credentials *
aws_credentials_ref(struct aws_credentials *c)
{
	if (c != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
aws_credentials_unref(struct aws_credentials *c)
{
	if (c == NULL)
		return;
	if (__atomic_sub_fetch(&c->refs, 1, __ATOMIC_ACQ_REL) != 0)
		return;
	free(c->access_key_id);
	util_free_secret(c->secret_access_key);
	util_free_secret(c->session_token);
	OPENSSL_cleanse(c, sizeof(*c));
	free(c);
}

struct aws_credentials *
creds_get(struct creds_provider *p, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (p == NULL) {
		snprintf(err, errlen, "no credentials provider");
		return NULL;
	}
	return p->get(p, err, errlen);
}

void
creds_provider_free(struct creds_provider *p)
{
	if (p != NULL)
		p->destroy(p);
}

/* A provider with no state of its own: free it and nothing else. */
static void
plain_destroy(struct creds_provider *p)
{
	free(p);
}

struct creds_provider *
creds_provider_new(struct aws_credentials *(*get)(struct creds_provider *,
    char *, size_t))
{
	struct creds_provider *p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->get = get;
	p->destroy = plain_destroy;
	return p;
}

/* AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN. */
static struct aws_credentials *
env_get(struct creds_provider *p, char *err, size_t errlen)
{
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");
	struct aws_credentials *c;

	(void)p;
	if (akid != NULL && *akid == '\0')
		akid = NULL;
	if (secret != NULL && *secret == '\0')
		secret = NULL;
	if (akid == NULL && secret == NULL) {
		snprintf(err, errlen, "environment: AWS_ACCESS_KEY_ID and "
		    "AWS_SECRET_ACCESS_KEY not set");
		return NULL;
	}
	if (akid == NULL || secret == NULL) {
		snprintf(err, errlen, "environment: %s set without %s",
		    akid ? "AWS_ACCESS_KEY_ID" : "AWS_SECRET_ACCESS_KEY",
		    akid ? "AWS_SECRET_ACCESS_KEY" : "AWS_ACCESS_KEY_ID");
		return NULL;
	}
	if ((c = aws_credentials_new(akid, secret, token, 0,
	    "environment")) == NULL)
		snprintf(err, errlen, "environment: out of memory");
	return c;
}

struct creds_provider *
creds_env_new(void)
{
	return creds_provider_new(env_get);
}

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
static struct aws_credentials *
chain_get(struct creds_provider *p, char *err, size_t errlen)
{
	struct chain *ch = (struct chain *)p;
	struct aws_credentials *c;
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
		n = snprintf(err + off, errlen - off, "%s%s", off ? "; " : "",
		    why[0] ? why : "no credentials");
		if (n > 0)
			off += (size_t)n;
	}
	if (ch->nlinks == 0)
		snprintf(err, errlen, "no credential providers");
	return NULL;
}

static void
chain_destroy(struct creds_provider *p)
{
	struct chain *ch = (struct chain *)p;
	size_t i;

	for (i = 0; i < ch->nlinks; i++)
		creds_provider_free(ch->links[i]);
	free(ch->links);
	free(ch);
}

struct creds_provider *
creds_chain_new(struct creds_provider **links, size_t n)
{
	struct chain *ch;
	size_t i;

	for (i = 0; i < n; i++)
		if (links[i] == NULL)
			goto fail;
	if ((ch = calloc(1, sizeof(*ch))) == NULL)
		goto fail;
	if (n > 0 && (ch->links = calloc(n, sizeof(*ch->links))) == NULL) {
		free(ch);
		goto fail;
	}
	for (i = 0; i < n; i++)
		ch->links[i] = links[i];
	ch->nlinks = n;
	ch->base.get = chain_get;
	ch->base.destroy = chain_destroy;
	return &ch->base;
fail:
	for (i = 0; i < n; i++)
		creds_provider_free(links[i]);
	return NULL;
}

struct creds_provider *
creds_default_chain_new(void)
{
	struct creds_provider *links[4];

	links[0] = creds_env_new();
	links[1] = creds_profile_new();
	links[2] = creds_container_new();
	links[3] = creds_imds_new();
	return creds_chain_new(links, 4);
}

/*
 * creds: what every credential provider shares: the reference-counted
 * credentials object, whose last reference wipes the secrets, and the
 * vtable dispatch (creds_get, creds_provider_free) plus the bare provider
 * of the stateless kinds.  No provider lives here: each has a file of its
 * own (see creds.h), so this file depends on none of them.
 */
#include <stdio.h>
#include <stdlib.h>

#include <openssl/crypto.h>

#include "aws/creds.h"
#include "util.h"

struct creds *
creds_new(const char *akid, const char *secret, const char *token,
    time_t expiration, const char *source)
{
	struct creds *c;

	if (akid == NULL || secret == NULL)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->access_key_id = xstrdup(akid);
	c->secret_access_key = xstrdup(secret);
	if (token != NULL && *token != '\0')
		c->session_token = xstrdup(token);
	c->expiration = expiration;
	c->source = source ? source : "unknown";
	c->refs = 1;
	return c;
}

struct creds *
creds_ref(struct creds *c)
{
	if (c != NULL)
		__atomic_add_fetch(&c->refs, 1, __ATOMIC_RELAXED);
	return c;
}

void
creds_unref(struct creds *c)
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

struct creds *
creds_get(struct creds_provider *p, char *err, size_t errlen)
{
	if (errlen > 0)
		err[0] = '\0';
	if (p == NULL) {
		snprintf(err, errlen, "no credentials provider");
		return NULL;
	}
	return p->ops->get(p, err, errlen);
}

void
creds_provider_free(struct creds_provider *p)
{
	if (p == NULL)
		return;
	if (p->ops->free != NULL)
		p->ops->free(p);
	else
		free(p);
}

struct creds_provider *
creds_provider_new(const struct creds_ops *ops)
{
	struct creds_provider *p = xcalloc(1, sizeof(*p));

	p->ops = ops;
	return p;
}

/*
 * creds_env: the environment provider, first in the default chain:
 * AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN, read at
 * each get.  No I/O beyond getenv; an empty variable counts as unset, and
 * one key without the other is an error that names the missing one.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aws/creds.h"

static struct creds *
env_get(struct creds_provider *p, char *err, size_t errlen)
{
	const char *akid = getenv("AWS_ACCESS_KEY_ID");
	const char *secret = getenv("AWS_SECRET_ACCESS_KEY");
	const char *token = getenv("AWS_SESSION_TOKEN");

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
	return creds_new(akid, secret, token, 0, "environment");
}

static const struct creds_ops env_ops = {
	.name = "environment",
	.get = env_get,
};

struct creds_provider *
creds_env_new(void)
{
	return creds_provider_new(&env_ops);
}

/*
 * creds: AWS credentials and where they come from, in the SDKs' order.
 *
 * A provider is a tiny vtable (get, destroy) with private state, as in
 * aws-c-auth; the default chain and the refreshing cache are providers too.
 * The chain tries, in the AWS SDKs' default order: environment
 * (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN); the shared
 * files (AWS_PROFILE, AWS_SHARED_CREDENTIALS_FILE, AWS_CONFIG_FILE); ECS/EKS
 * container credentials (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI / _FULL_URI,
 * AWS_CONTAINER_AUTHORIZATION_TOKEN / _TOKEN_FILE); EC2 IMDSv2.  The cache
 * refreshes temporary credentials in the background 5 minutes before they
 * expire; a failed refresh keeps the still-valid ones and retries.
 *
 * Secrets are wiped when the last reference goes and are never logged.
 */
#ifndef VISITSD_AWS_CREDS_H
#define VISITSD_AWS_CREDS_H

#include <stddef.h>
#include <time.h>

/* Reference-counted, immutable once made. */
struct aws_credentials {
	char	*access_key_id;
	char	*secret_access_key;	/* secret */
	char	*session_token;		/* secret; NULL when not temporary */
	time_t	 expiration;		/* 0 when they do not expire */
	const char *source;		/* "environment", "profile", ... */
	int	 refs;			/* atomic */
};

/* New credentials with one reference; strings are copied.  NULL on OOM. */
struct aws_credentials	*aws_credentials_new(const char *akid,
			    const char *secret, const char *token,
			    time_t expiration, const char *source);
/* Add / drop a reference; the last drop wipes and frees.  NULL is fine. */
struct aws_credentials	*aws_credentials_ref(struct aws_credentials *);
void			 aws_credentials_unref(struct aws_credentials *);

struct creds_provider {
	/* New reference, or NULL with the reason in err.  May block (I/O). */
	struct aws_credentials *(*get)(struct creds_provider *, char *err,
	    size_t errlen);
	void	(*destroy)(struct creds_provider *);
};

struct aws_credentials	*creds_get(struct creds_provider *, char *err,
			    size_t errlen);
/* Accepts NULL. */
void			 creds_provider_free(struct creds_provider *);

/*
 * The default chain, reading the process environment at call time.
 * Returns a new provider (never NULL except on OOM).
 */
struct creds_provider	*creds_default_chain_new(void);

/*
 * A caching provider over inner (steals it): the first get fetches, later
 * gets return the cached credentials without I/O; a background thread
 * refreshes them 5 minutes before expiration.  Returns NULL with the reason
 * in err when the first fetch fails.
 */
struct creds_provider	*creds_cached_new(struct creds_provider *inner,
			    char *err, size_t errlen);

/*
 * The region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, then
 * IMDS.  Returns a new string, or NULL with the reason in err.
 */
char	*aws_region_resolve(char *err, size_t errlen);

/*
 * The endpoint URL for a service ("dynamodb", "ssm"): AWS_ENDPOINT_URL_<SERVICE>,
 * then AWS_ENDPOINT_URL, else https://<service>.<region>.amazonaws.com.
 * Returns a new string.
 */
char	*aws_endpoint_resolve(const char *service, const char *region);

#endif

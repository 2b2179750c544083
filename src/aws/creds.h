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

/*
 * New credentials with one reference; strings are copied (an empty token
 * counts as none), source is borrowed and must be a static string.  NULL
 * on OOM or when akid or secret is NULL.
 */
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

/* p->get: a new reference, or NULL with the reason in err (no secrets). */
struct aws_credentials	*creds_get(struct creds_provider *p, char *err,
			    size_t errlen);
/* Destroy a provider and what it owns.  Accepts NULL. */
void			 creds_provider_free(struct creds_provider *);
/*
 * A provider with no state of its own (env, profile, container, imds):
 * get, and a destroy that frees the provider.  A new provider, NULL on OOM.
 */
struct creds_provider	*creds_provider_new(struct aws_credentials *(*get)(
			    struct creds_provider *, char *, size_t));

/*
 * The providers.  Each returns a new provider, NULL only when out of memory,
 * and reads the environment (and files) at get time, not at creation.
 * The HTTP ones use libcurl easy handles: curl_global_init must have been
 * called before any thread started.  Their get blocks for up to a few
 * seconds, so only the cache's refresh thread and startup call them.
 *
 * env:       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN.
 * profile:   AWS_PROFILE (default "default") in AWS_SHARED_CREDENTIALS_FILE
 *            (~/.aws/credentials, [name]) then AWS_CONFIG_FILE
 *            (~/.aws/config, [profile name] or [default]).
 * container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI on 169.254.170.2, else
 *            AWS_CONTAINER_CREDENTIALS_FULL_URI when it is https or names a
 *            loopback, ECS (169.254.170.2) or EKS (169.254.170.23,
 *            fd00:ec2::23) address; Authorization from
 *            AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each get) or
 *            AWS_CONTAINER_AUTHORIZATION_TOKEN.
 * imds:      EC2 IMDSv2 at AWS_EC2_METADATA_SERVICE_ENDPOINT (default
 *            http://169.254.169.254); off when AWS_EC2_METADATA_DISABLED is
 *            true.  No IMDSv1 fallback.  One-second timeouts.
 */
struct creds_provider	*creds_env_new(void);
struct creds_provider	*creds_profile_new(void);
struct creds_provider	*creds_container_new(void);
struct creds_provider	*creds_imds_new(void);

/*
 * A chain over links[0..n) (steals each, and frees them all on failure):
 * the first that yields credentials wins; otherwise err holds every link's
 * reason, separated by "; ".  NULL on OOM or when a link is NULL.
 */
struct creds_provider	*creds_chain_new(struct creds_provider **links,
			    size_t n);

/*
 * The default chain: env, profile, container, imds.
 * Returns a new provider (never NULL except on OOM).
 */
struct creds_provider	*creds_default_chain_new(void);

/* Tuning of the caching provider; zero fields take the defaults. */
struct creds_cached_opts {
	time_t	refresh_lead;	/* refresh this long before expiry: 300 s */
	time_t	retry_min;	/* first retry after a failed refresh: 5 s */
	time_t	retry_max;	/* backoff ceiling: 60 s */
};

/*
 * A caching provider over inner (steals it, also on failure): the first get
 * happens here, synchronously; later gets return the cached credentials
 * (a new reference) without I/O, or NULL with the reason once they have
 * expired and no refresh succeeded.  A background thread refreshes them
 * refresh_lead before expiration (half-way through their remaining life
 * when that is shorter); a failed refresh keeps the still-valid ones and
 * retries with exponential backoff.  Credentials that never expire are
 * never refreshed.  Destroying it joins the thread.  Returns NULL with the
 * reason in err when the first fetch fails.
 */
struct creds_provider	*creds_cached_new(struct creds_provider *inner,
			    char *err, size_t errlen);
struct creds_provider	*creds_cached_new_opts(struct creds_provider *inner,
			    const struct creds_cached_opts *opts, char *err,
			    size_t errlen);

/*
 * The region of the AWS_PROFILE profile in AWS_CONFIG_FILE, and the region
 * IMDS reports (/latest/meta-data/placement/region, with an IMDSv2 token).
 * Each returns a new string, or NULL with the reason in err.
 */
char	*creds_profile_region(char *err, size_t errlen);
char	*creds_imds_region(char *err, size_t errlen);

/*
 * The region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, then
 * IMDS.  Returns a new string, or NULL with the reason in err.
 */
char	*aws_region_resolve(char *err, size_t errlen);

/*
 * The endpoint URL for a service ("dynamodb", "ssm"): AWS_ENDPOINT_URL_<ID>
 * (the service id uppercased, spaces and dashes turned into underscores:
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SSM), then AWS_ENDPOINT_URL,
 * else https://<service>.<region>.amazonaws.com (.amazonaws.com.cn for cn-
 * regions).  Both variables are ignored when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.  Trailing slashes are
 * removed.  Returns a new string, NULL on OOM.
 */
char	*aws_endpoint_resolve(const char *service, const char *region);

#endif

/*
 * creds: AWS credentials and the providers they come from, in the SDKs'
 * order.
 *
 * A provider is a tiny vtable (struct creds_ops: name, get, free) with
 * private state, as in aws-c-auth; the default chain and the refreshing
 * cache are providers too, so composition is free.  One file per provider:
 * creds_env.c, creds_profile.c, creds_container.c, creds_imds.c (the last
 * two over creds_http.c), the chain in creds_chain.c, the cache in
 * creds_cached.c.  creds.c holds only what they all share: the credentials
 * object and the dispatch below.  Region and endpoint resolution are
 * region.h and endpoint.h.
 *
 * Secrets are wiped when the last reference goes and are never logged.
 */
#ifndef VISITSD_AWS_CREDS_H
#define VISITSD_AWS_CREDS_H

#include <stddef.h>
#include <time.h>

/* Reference-counted, immutable once made. */
struct creds {
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
 * only when akid or secret is NULL.
 */
struct creds	*creds_new(const char *akid, const char *secret,
		    const char *token, time_t expiration, const char *source);
/* Add a reference; returns c (borrowed in, one more reference out). */
struct creds	*creds_ref(struct creds *c);
/* Drop a reference; the last drop wipes and frees.  Accepts NULL. */
void		 creds_unref(struct creds *c);

struct creds_provider;

/*
 * A provider's get: new credentials, or NULL with the reason in err (never
 * a secret).  May block on I/O.
 */
typedef struct creds *creds_get_fn(struct creds_provider *p, char *err,
    size_t errlen);
/* A provider's free: release p and everything it owns. */
typedef void creds_free_fn(struct creds_provider *p);

/* The vtable of a kind of provider; static, shared by its instances. */
struct creds_ops {
	const char	*name;		/* "environment", "chain", ... */
	creds_get_fn	*get;
	creds_free_fn	*free;		/* NULL: free(p), nothing else owned */
};

/* A provider; those with state embed it first in a struct of their own. */
struct creds_provider {
	const struct creds_ops *ops;
};

/* p's get: a new reference, or NULL with the reason in err (no secrets). */
struct creds	*creds_get(struct creds_provider *p, char *err,
		    size_t errlen);
/* Free a provider and what it owns.  Accepts NULL. */
void		 creds_provider_free(struct creds_provider *p);
/*
 * A new provider with no state of its own (env, profile, container, imds),
 * dispatching to ops (borrowed: static).  Never NULL.
 */
struct creds_provider	*creds_provider_new(const struct creds_ops *ops);

/*
 * The providers.  Each returns a new provider, never NULL, and reads the
 * environment (and files) at get time, not at creation.  The HTTP ones use
 * libcurl easy handles: curl_global_init must have been called before any
 * thread started.  Their get blocks for up to a few seconds, so only the
 * cache's refresh thread and startup call them.
 *
 * env:       AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN
 *            (creds_env.c).
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
 * A chain over links[0..n) (steals each, and frees them all when one is
 * NULL): the first that yields credentials wins; otherwise err holds every
 * link's reason, separated by "; ".  A new provider, or NULL when a link
 * is NULL (creds_chain.c).
 */
struct creds_provider	*creds_chain_new(struct creds_provider **links,
			    size_t n);

/* The default chain: env, profile, container, imds.  New, never NULL. */
struct creds_provider	*creds_chain_new_default(void);

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
 * never refreshed.  Freeing it joins the thread.  Returns a new provider,
 * or NULL with the reason in err when the first fetch fails.
 */
struct creds_provider	*creds_cached_new(struct creds_provider *inner,
			    char *err, size_t errlen);
struct creds_provider	*creds_cached_new_opts(struct creds_provider *inner,
			    const struct creds_cached_opts *opts, char *err,
			    size_t errlen);

/*
 * The region of the AWS_PROFILE profile in AWS_CONFIG_FILE, and the region
 * IMDS reports (/latest/meta-data/placement/region, with an IMDSv2 token):
 * the providers' files and endpoints also answer this.  Each returns a new
 * string, or NULL with the reason in err.  region.c orders them.
 */
char	*creds_profile_region(char *err, size_t errlen);
char	*creds_imds_region(char *err, size_t errlen);

#endif

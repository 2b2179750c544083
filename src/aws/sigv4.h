/*
 * sigv4: AWS Signature Version 4 (HMAC-SHA256), as pure stages on OpenSSL.
 *
 * The stages are separately callable and each is checked against AWS's
 * conformance vectors: canonical request, string to sign, signing key,
 * signature.  Nothing here does I/O, reads the clock or keeps globals: the
 * time is an argument, and the derived signing key is cached in a
 * caller-owned struct sigv4_key_cache (per date, region, service and secret).
 * Only header signing is implemented; presigned URLs are not needed.
 */
#ifndef VISITSD_AWS_SIGV4_H
#define VISITSD_AWS_SIGV4_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct sigv4_header {
	const char	*name;
	const char	*value;
};

/* A request to sign; every pointer is borrowed. */
struct sigv4_request {
	const char		*method;	/* "POST" */
	const char		*path;		/* "/" as sent, not decoded */
	const char		*query;		/* without '?', NULL or "" if none */
	const struct sigv4_header *headers;	/* must include host */
	size_t			 nheaders;
	const void		*body;
	size_t			 body_len;
};

struct sigv4_params {
	const char	*access_key_id;
	const char	*secret_access_key;	/* secret */
	const char	*session_token;		/* NULL when not temporary */
	const char	*region;		/* "eu-west-1" */
	const char	*service;		/* "dynamodb", "ssm" */
	time_t		 now;			/* signing time, UTC seconds */
	bool		 normalize_path;	/* true for all but S3 */
	bool		 sign_body_hash;	/* add, sign x-amz-content-sha256 */
};

/* One cached derived key, embedded by the caller (sigv4_key_cache_init). */
struct sigv4_key_cache {
	pthread_mutex_t	 lock;
	char		 scope[128];	/* date/region/service */
	unsigned char	 secret_hash[32];	/* SHA-256 of the secret */
	unsigned char	 key[32];
	bool		 valid;
};

/*
 * The headers sigv4_sign adds to the request: values are NUL-terminated.
 * content_sha256 is always filled in; the caller sends it as
 * x-amz-content-sha256 only when params->sign_body_hash asked for it signed.
 */
struct sigv4_signed {
	char	amz_date[17];		/* X-Amz-Date: 20150830T123600Z */
	char	content_sha256[65];	/* hex SHA-256 of the body */
	char	authorization[1024];	/* Authorization: AWS4-HMAC-SHA256 ... */
	/* X-Amz-Security-Token: params->session_token when not NULL. */
};

/* Make c an empty cache (c is the caller's, borrowed). */
void	sigv4_key_cache_init(struct sigv4_key_cache *c);
/* Wipe c's key and release its lock; accepts NULL. */
void	sigv4_key_cache_cleanup(struct sigv4_key_cache *c);

/*
 * Sign req: computes X-Amz-Date from params->now and signs every header of
 * req plus x-amz-date, x-amz-security-token when a session token is given
 * and x-amz-content-sha256 when params->sign_body_hash is set; the caller
 * then sends those along with out->authorization.  req must not already hold
 * any of them nor an Authorization header, and should hold only headers that
 * reach the server unchanged (host, content-type, x-amz-target: not
 * user-agent or anything a proxy may rewrite).  The path is normalized when
 * params->normalize_path and always percent-encoded once more (double
 * encoding, as every service but S3 expects).  cache may be NULL; it is
 * thread-safe.  Returns 0, or -1 with the reason in err (never a secret).
 */
int	sigv4_sign(const struct sigv4_request *req,
	    const struct sigv4_params *params, struct sigv4_key_cache *cache,
	    struct sigv4_signed *out, char *err, size_t errlen);

/*
 * The stages.  Each returns a new malloc'd string (the caller frees it), or
 * NULL when an argument is missing (a header without a name among them),
 * the time is out of range or OpenSSL's SHA-256 fails; allocation failures
 * abort (util.h).  The headers signed are exactly those in req
 * (callers of the stages add x-amz-date themselves, as the vectors do).
 */
char	*sigv4_canonical_request(const struct sigv4_request *req,
	    bool normalize_path);
char	*sigv4_string_to_sign(const char *canonical_request, time_t now,
	    const char *region, const char *service);
/* out receives the 32-byte signing key; 0, or -1 if OpenSSL failed. */
int	 sigv4_signing_key(const char *secret, time_t now, const char *region,
	    const char *service, unsigned char out[32]);
/* hex HMAC-SHA256(key, string_to_sign) into out (65 bytes); 0 or -1. */
int	 sigv4_signature(const unsigned char key[32],
	    const char *string_to_sign, char out[65]);

#endif

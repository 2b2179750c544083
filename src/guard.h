/*
 * guard: who may use the public routes, decided before api.c looks at the
 * request: the origin guard (VISITSD_ORIGIN_VERIFY), then the per-client
 * rate limit (VISITSD_RATE_LIMIT, VISITSD_RATE_BURST), keyed on the
 * client identity of client_id.c (VISITSD_TRUSTED_PROXIES,
 * VISITSD_CLIENT_ADDRESS_HEADER).
 *
 * The public routes are everything but /healthz, /readyz and /metrics
 * (http_request.c asks only for those).  A request refused by the origin
 * guard takes no token: a caller who cannot prove it came through the CDN
 * cannot drain anyone's bucket, whatever identity header it forges.  A
 * request refused by the limiter takes no token either and never reaches
 * the store, so nothing past the limit is counted.
 *
 * No MHD types: http_request.c reads the headers and the peer address into
 * a struct guard_request and turns the result into headers.
 */
#ifndef VISITSD_GUARD_H
#define VISITSD_GUARD_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "client_id.h"
#include "ratelimit.h"

#define GUARD_POLICY_NAME	"default"
#define GUARD_FIELD_MAX		64	/* a RateLimit field value */
/* Headers a browser script may read on a limited answer (CORS). */
#define GUARD_EXPOSE_HEADERS	"RateLimit, RateLimit-Policy, Retry-After"

struct config;
struct guard;

/* What one request brought; every pointer borrowed, NULL when absent. */
struct guard_request {
	const struct sockaddr	*peer;
	const char		*origin_verify;	/* X-Origin-Verify */
	size_t			 origin_verify_len;
	const char		*xff[CLIENT_ID_XFF_MAX];  /* in order */
	size_t			 nxff;
	const char		*viewer;	/* CloudFront-Viewer-Address */
};

enum guard_answer {
	GUARD_PASS,
	GUARD_FORBIDDEN,		/* 403: origin secret missing or wrong */
	GUARD_LIMITED,			/* 429 */
};

struct guard_result {
	enum guard_answer	 answer;
	bool			 limited;	/* the limiter ran: add the
						   RateLimit fields */
	struct ratelimit_verdict v;
};

/*
 * A new guard from cfg (read now, not kept): the origin secret's digest,
 * the proxy list, the limiter (none when rate_limit is 0) sharded for
 * cfg->threads.  Returns NULL with the reason in err for a value -n would
 * have refused.
 */
struct guard	*guard_new(const struct config *cfg, char *err, size_t errlen);
/* Wipes the secret's digest.  Accepts NULL. */
void		 guard_free(struct guard *);

/* The client of a request (client_id_select with the configured rule). */
void	guard_client(const struct guard *, const struct guard_request *,
	    struct client_addr *client);

/*
 * Admit a request to a public route at now_ns (monotonic): the origin
 * secret first (constant-time over SHA-256 digests), then the client's
 * bucket.  Fills *res.
 */
void	guard_check(struct guard *, const struct guard_request *,
	    const struct client_addr *client, uint64_t now_ns,
	    struct guard_result *res);

/*
 * The RateLimit-Policy value, "default";q=<burst>;w=<window> (borrowed),
 * or NULL when limiting is off.
 */
const char	*guard_policy(const struct guard *);

/* The RateLimit value of a result, "default";r=<n>;t=<s>, into buf. */
void	guard_field(const struct guard_result *, char *buf, size_t len);

/* The limiter, or NULL when off (borrowed; for tests and metrics). */
struct ratelimit	*guard_ratelimit(const struct guard *);

#endif

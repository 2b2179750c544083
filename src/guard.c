/*
 * guard: the origin guard and the rate limit in front of the public routes.
 *
 * The origin secret is kept only as its SHA-256 digest; a candidate is
 * hashed and the two 32-byte digests are compared with CRYPTO_memcmp, so
 * the time taken does not depend on where a guess differs or on its
 * length (apikey.c does the same for keys).  The digest is wiped on free;
 * the secret itself stays config.c's, which wipes it too.
 *
 * The RateLimit fields follow draft-ietf-httpapi-ratelimit-headers-11 (May
 * 2026): RateLimit-Policy is a List of one Item, the policy name as a
 * String with q (quota: the bucket size) and w (window: the seconds an
 * empty bucket takes to refill, so q/w never promises more than the rate);
 * RateLimit names the same policy with r (tokens left) and t (seconds
 * until r grows by one: within t the client can use no more than r, the
 * draft's "effective window").  On a 429, t equals Retry-After, which the
 * draft wants no earlier than the end of the effective window.
 *
 * Not here: the client address grammar (client_id.c), the bucket table
 * (ratelimit.c), headers on the wire (http_request.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "config.h"
#include "guard.h"
#include "util.h"

struct guard {
	bool				 verify;	/* origin secret set */
	unsigned char			 secret[SHA256_DIGEST_LENGTH];
	struct client_id_proxies	*proxies;
	enum client_id_header		 header;
	struct ratelimit		*rl;
	char				 policy[GUARD_FIELD_MAX];
};

static void
digest(const void *buf, size_t len, unsigned char out[SHA256_DIGEST_LENGTH])
{
	if (EVP_Digest(buf, len, out, NULL, EVP_sha256(), NULL) != 1)
		util_out_of_memory();
}

struct guard *
guard_new(const struct config *cfg, char *err, size_t errlen)
{
	struct guard *g = xcalloc(1, sizeof(*g));
	uint64_t milli;
	char why[256];

	if (cfg->origin_verify[0] != '\0') {
		g->verify = true;
		digest(cfg->origin_verify, strlen(cfg->origin_verify),
		    g->secret);
	}
	if ((g->proxies = client_id_proxies_new(cfg->trusted_proxies, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "VISITSD_TRUSTED_PROXIES: %s", why);
		goto fail;
	}
	if (client_id_header_parse(cfg->client_address_header,
	    &g->header) == -1) {
		snprintf(err, errlen, "VISITSD_CLIENT_ADDRESS_HEADER: not "
		    "x-forwarded-for or cloudfront-viewer-address");
		goto fail;
	}
	if (ratelimit_rate_parse(cfg->rate_limit, &milli, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "VISITSD_RATE_LIMIT: %s", why);
		goto fail;
	}
	if (milli > 0) {
		g->rl = ratelimit_new(milli, (uint32_t)cfg->rate_burst,
		    (size_t)cfg->rate_table_size,
		    (unsigned)(cfg->threads > 0 ? cfg->threads : 1) * 4);
		snprintf(g->policy, sizeof(g->policy), "\"%s\";q=%u;w=%u",
		    GUARD_POLICY_NAME, ratelimit_burst(g->rl),
		    ratelimit_window_s(g->rl));
	}
	return g;
fail:
	guard_free(g);
	return NULL;
}

void
guard_free(struct guard *g)
{
	if (g == NULL)
		return;
	OPENSSL_cleanse(g->secret, sizeof(g->secret));
	client_id_proxies_free(g->proxies);
	ratelimit_free(g->rl);
	free(g);
}

void
guard_client(const struct guard *g, const struct guard_request *rq,
    struct client_addr *client)
{
	struct client_addr peer;

	if (client_id_from_sockaddr(rq->peer, &peer) == -1)
		memset(&peer, 0, sizeof(peer));
	client_id_select(g->proxies, g->header, &peer, rq->xff, rq->nxff,
	    rq->viewer, client);
}

static bool
secret_ok(const struct guard *g, const struct guard_request *rq)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	bool ok;

	if (rq->origin_verify == NULL)
		return false;
	digest(rq->origin_verify, rq->origin_verify_len, d);
	ok = CRYPTO_memcmp(d, g->secret, sizeof(d)) == 0;
	OPENSSL_cleanse(d, sizeof(d));
	return ok;
}

void
guard_check(struct guard *g, const struct guard_request *rq,
    const struct client_addr *client, uint64_t now_ns,
    struct guard_result *res)
{
	struct client_addr key;

	memset(res, 0, sizeof(*res));
	res->answer = GUARD_PASS;
	if (g->verify && !secret_ok(g, rq)) {
		res->answer = GUARD_FORBIDDEN;
		return;
	}
	if (g->rl == NULL)
		return;
	client_id_rate_key(client, &key);
	ratelimit_take(g->rl, key.b, now_ns, &res->v);
	res->limited = true;
	if (!res->v.allowed)
		res->answer = GUARD_LIMITED;
}

const char *
guard_policy(const struct guard *g)
{
	return g->rl != NULL ? g->policy : NULL;
}

void
guard_field(const struct guard_result *res, char *buf, size_t len)
{
	snprintf(buf, len, "\"%s\";r=%u;t=%u", GUARD_POLICY_NAME,
	    res->v.remaining, res->v.reset_s);
}

struct ratelimit *
guard_ratelimit(const struct guard *g)
{
	return g->rl;
}

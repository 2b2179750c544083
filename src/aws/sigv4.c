/*
 * sigv4: AWS Signature Version 4 as four pure stages on OpenSSL, plus
 * sigv4_sign which runs them for a request and builds its Authorization.
 *
 * The rules are those the aws-c-auth conformance vectors check and
 * @smithy/signature-v4 applies: the path is optionally normalized (dot
 * segments resolved, empty segments merged, a trailing slash kept) and then
 * percent-encoded again, byte by byte, except for the unreserved set and
 * '/'; query parameters are decoded, re-encoded strictly and sorted; header
 * names are lowercased, values trimmed with inner whitespace runs collapsed,
 * repeated names joined with ',' in the order sent.
 *
 * This file does no I/O, reads no clock and keeps no globals.  The one piece
 * of state, the derived-key cache, belongs to the caller.  Intermediate keys
 * are wiped with OPENSSL_cleanse before their memory is reused or released.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "aws/sigv4.h"
#include "util.h"

#define SIGV4_ALGORITHM	"AWS4-HMAC-SHA256"

/* A growable string (allocation failures abort: util.h). */
struct buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
};

struct hdr {
	char	*name;		/* lowercased */
	char	*value;		/* trimmed, whitespace runs collapsed */
	size_t	 order;		/* position in the request */
};

struct qparam {
	char	*key;		/* encoded */
	char	*value;		/* encoded */
};

static void
buf_grow(struct buf *b, size_t more)
{
	size_t ncap;

	if (b->len + more + 1 <= b->cap)
		return;
	ncap = b->cap ? b->cap : 256;
	while (ncap < b->len + more + 1)
		ncap *= 2;
	b->s = xreallocarray(b->s, ncap, 1);
	b->cap = ncap;
}

static void
buf_addn(struct buf *b, const char *s, size_t n)
{
	buf_grow(b, n);
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
buf_add(struct buf *b, const char *s)
{
	buf_addn(b, s, strlen(s));
}

static void
buf_addc(struct buf *b, char c)
{
	buf_addn(b, &c, 1);
}

/* The finished string, new ("" when nothing was added). */
static char *
buf_finish(struct buf *b)
{
	return b->s != NULL ? b->s : xstrdup("");
}

static int
is_unreserved(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' ||
	    c == '~';
}

/* Percent-encode s[0..n) with uppercase hex; keep '/' when keep_slash. */
static void
uri_encode(struct buf *b, const char *s, size_t n, int keep_slash)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t i;

	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (is_unreserved(c) || (keep_slash && c == '/')) {
			buf_addc(b, (char)c);
			continue;
		}
		buf_addc(b, '%');
		buf_addc(b, hex[c >> 4]);
		buf_addc(b, hex[c & 15]);
	}
}

/*
 * Decode %XX sequences of s[0..n) (a '%' not followed by two hex digits
 * stays literal; '+' is a plus, not a space) and re-encode strictly.
 * Returns a new string.
 */
static char *
query_component(const char *s, size_t n)
{
	struct buf dec = { 0 }, enc = { 0 };
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '%' && i + 2 < n && util_hexval(s[i + 1]) >= 0 &&
		    util_hexval(s[i + 2]) >= 0) {
			buf_addc(&dec, (char)(util_hexval(s[i + 1]) * 16 +
			    util_hexval(s[i + 2])));
			i += 2;
		} else
			buf_addc(&dec, s[i]);
	}
	uri_encode(&enc, dec.s ? dec.s : "", dec.len, 0);
	free(dec.s);
	return buf_finish(&enc);
}

/*
 * The canonical URI: normalized when asked (as @smithy/signature-v4 does:
 * drop empty and "." segments, ".." removes the previous one, keep a leading
 * and, when anything is left, a trailing slash), then encoded again.
 */
static void
canonical_uri(struct buf *b, const char *path, bool normalize)
{
	const char **segs = NULL;
	size_t *lens = NULL, nseg = 0, plen, i, start;
	struct buf norm = { 0 };

	if (path == NULL || *path == '\0')
		path = "/";
	plen = strlen(path);
	if (!normalize) {
		uri_encode(b, path, plen, 1);
		return;
	}
	/* At most plen / 2 + 1 segments. */
	segs = xcalloc(plen / 2 + 2, sizeof(*segs));
	lens = xcalloc(plen / 2 + 2, sizeof(*lens));
	for (start = 0; start <= plen; ) {
		size_t end = start, len;

		while (end < plen && path[end] != '/')
			end++;
		len = end - start;
		if (len == 2 && path[start] == '.' && path[start + 1] == '.') {
			if (nseg > 0)
				nseg--;
		} else if (len > 1 || (len == 1 && path[start] != '.')) {
			segs[nseg] = path + start;
			lens[nseg++] = len;
		}
		start = end + 1;
	}
	if (path[0] == '/')
		buf_addc(&norm, '/');
	for (i = 0; i < nseg; i++) {
		if (i > 0)
			buf_addc(&norm, '/');
		buf_addn(&norm, segs[i], lens[i]);
	}
	if (nseg > 0 && path[plen - 1] == '/')
		buf_addc(&norm, '/');
	uri_encode(b, norm.s ? norm.s : "", norm.len, 1);
	free(norm.s);
	free(segs);
	free(lens);
}

static int
qparam_cmp(const void *a, const void *b)
{
	const struct qparam *x = a, *y = b;
	int c;

	if ((c = strcmp(x->key, y->key)) != 0)
		return c;
	return strcmp(x->value, y->value);
}

static void
canonical_query(struct buf *b, const char *query)
{
	struct qparam *p = NULL;
	size_t n = 0, cap = 0, i;
	const char *s = query, *amp, *eq;

	if (query == NULL || *query == '\0')
		return;
	while (*s != '\0') {
		size_t len;

		amp = strchr(s, '&');
		len = amp ? (size_t)(amp - s) : strlen(s);
		if (len > 0) {
			if (n == cap) {
				cap = cap ? cap * 2 : 8;
				p = xreallocarray(p, cap, sizeof(*p));
			}
			eq = memchr(s, '=', len);
			p[n].key = query_component(s, eq ? (size_t)(eq - s) :
			    len);
			p[n].value = eq ? query_component(eq + 1,
			    len - (size_t)(eq - s) - 1) : xstrdup("");
			n++;
		}
		s += len;
		if (*s == '&')
			s++;
	}
	if (n > 1)
		qsort(p, n, sizeof(*p), qparam_cmp);
	for (i = 0; i < n; i++) {
		if (i > 0)
			buf_addc(b, '&');
		buf_add(b, p[i].key);
		buf_addc(b, '=');
		buf_add(b, p[i].value);
	}
	for (i = 0; i < n; i++) {
		free(p[i].key);
		free(p[i].value);
	}
	free(p);
}

static int
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\v' ||
	    c == '\f';
}

/* Trimmed, with every whitespace run collapsed to one space; new. */
static char *
header_value(const char *v)
{
	struct buf b = { 0 };
	int pending = 0;

	if (v == NULL)
		v = "";
	while (is_space(*v))
		v++;
	for (; *v != '\0'; v++) {
		if (is_space(*v)) {
			pending = 1;
			continue;
		}
		if (pending)
			buf_addc(&b, ' ');
		pending = 0;
		buf_addc(&b, *v);
	}
	return buf_finish(&b);
}

static int
hdr_cmp(const void *a, const void *b)
{
	const struct hdr *x = a, *y = b;
	int c;

	if ((c = strcmp(x->name, y->name)) != 0)
		return c;
	return x->order < y->order ? -1 : x->order > y->order;
}

/*
 * Append the canonical headers block (each "name:value\n") to b and the
 * signed headers list to sh; -1 when a header has no name.
 */
static int
canonical_headers(struct buf *b, struct buf *sh,
    const struct sigv4_header *headers, size_t nheaders)
{
	struct hdr *h;
	size_t i, j;
	int rc = -1;

	if (nheaders == 0)
		return 0;
	h = xcalloc(nheaders, sizeof(*h));
	for (i = 0; i < nheaders; i++) {
		if (headers[i].name == NULL)
			goto fail;
		h[i].name = xstrdup(headers[i].name);
		h[i].value = header_value(headers[i].value);
		for (j = 0; h[i].name[j] != '\0'; j++)
			if (h[i].name[j] >= 'A' && h[i].name[j] <= 'Z')
				h[i].name[j] += 'a' - 'A';
		h[i].order = i;
	}
	qsort(h, nheaders, sizeof(*h), hdr_cmp);
	for (i = 0; i < nheaders; i++) {
		if (i > 0 && strcmp(h[i].name, h[i - 1].name) == 0) {
			buf_addc(b, ',');
			buf_add(b, h[i].value);
			continue;
		}
		if (i > 0) {
			buf_addc(b, '\n');
			buf_addc(sh, ';');
		}
		buf_add(b, h[i].name);
		buf_addc(b, ':');
		buf_add(b, h[i].value);
		buf_add(sh, h[i].name);
	}
	buf_addc(b, '\n');
	rc = 0;
fail:
	for (i = 0; i < nheaders; i++) {
		free(h[i].name);
		free(h[i].value);
	}
	free(h);
	return rc;
}

static void
hex_encode(const unsigned char *in, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[in[i] >> 4];
		out[2 * i + 1] = hex[in[i] & 15];
	}
	out[2 * n] = '\0';
}

/* Hex SHA-256 of data into out (65 bytes); 0 or -1. */
static int
sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[32];
	unsigned int mdlen = 0;

	if (data == NULL)
		len = 0;
	if (EVP_Digest(data ? data : "", len, md, &mdlen, EVP_sha256(),
	    NULL) != 1 || mdlen != sizeof(md))
		return -1;
	hex_encode(md, sizeof(md), out);
	return 0;
}

static int
hmac_sha256(const void *key, size_t keylen, const void *data, size_t len,
    unsigned char out[32])
{
	unsigned int outlen = 0;

	if (HMAC(EVP_sha256(), key, (int)keylen, data, len, out,
	    &outlen) == NULL || outlen != 32)
		return -1;
	return 0;
}

/* "20150830T123600Z" into amz (17 bytes) and "20150830" into date (9). */
static int
amz_time(time_t now, char amz[17], char date[9])
{
	struct tm tm;

	if (gmtime_r(&now, &tm) == NULL ||
	    strftime(amz, 17, "%Y%m%dT%H%M%SZ", &tm) != 16)
		return -1;
	memcpy(date, amz, 8);
	date[8] = '\0';
	return 0;
}

/* The canonical request (new) with its signed-headers list in *signed_out. */
static char *
canonical_request(const struct sigv4_request *req, bool normalize_path,
    char **signed_out)
{
	struct buf b = { 0 }, sh = { 0 };
	char hash[65];

	if (req == NULL || req->method == NULL)
		return NULL;
	buf_add(&b, req->method);
	buf_addc(&b, '\n');
	canonical_uri(&b, req->path, normalize_path);
	buf_addc(&b, '\n');
	canonical_query(&b, req->query);
	buf_addc(&b, '\n');
	if (canonical_headers(&b, &sh, req->headers, req->nheaders) == -1)
		goto fail;
	buf_addc(&b, '\n');
	buf_add(&b, sh.s ? sh.s : "");
	buf_addc(&b, '\n');
	if (sha256_hex(req->body, req->body_len, hash) == -1)
		goto fail;
	buf_add(&b, hash);
	if (signed_out != NULL)
		*signed_out = buf_finish(&sh);
	else
		free(sh.s);
	return b.s;
fail:
	free(b.s);
	free(sh.s);
	return NULL;
}

char *
sigv4_canonical_request(const struct sigv4_request *req, bool normalize_path)
{
	return canonical_request(req, normalize_path, NULL);
}

char *
sigv4_string_to_sign(const char *creq, time_t now, const char *region,
    const char *service)
{
	char amz[17], date[9], hash[65];
	struct buf b = { 0 };

	if (creq == NULL || region == NULL || service == NULL ||
	    amz_time(now, amz, date) == -1 ||
	    sha256_hex(creq, strlen(creq), hash) == -1)
		return NULL;
	buf_add(&b, SIGV4_ALGORITHM "\n");
	buf_add(&b, amz);
	buf_addc(&b, '\n');
	buf_add(&b, date);
	buf_addc(&b, '/');
	buf_add(&b, region);
	buf_addc(&b, '/');
	buf_add(&b, service);
	buf_add(&b, "/aws4_request\n");
	buf_add(&b, hash);
	return buf_finish(&b);
}

int
sigv4_signing_key(const char *secret, time_t now, const char *region,
    const char *service, unsigned char out[32])
{
	char amz[17], date[9];
	unsigned char k[32];
	char *seed = NULL;
	size_t seedlen;
	int rc = -1;

	if (secret == NULL || region == NULL || service == NULL ||
	    amz_time(now, amz, date) == -1)
		return -1;
	seedlen = strlen(secret) + 4;
	seed = xmalloc(seedlen + 1);
	memcpy(seed, "AWS4", 4);
	memcpy(seed + 4, secret, seedlen - 4 + 1);
	if (hmac_sha256(seed, seedlen, date, strlen(date), k) == -1 ||
	    hmac_sha256(k, sizeof(k), region, strlen(region), k) == -1 ||
	    hmac_sha256(k, sizeof(k), service, strlen(service), k) == -1 ||
	    hmac_sha256(k, sizeof(k), "aws4_request", 12, out) == -1)
		goto fail;
	rc = 0;
fail:
	OPENSSL_cleanse(seed, seedlen);
	free(seed);
	OPENSSL_cleanse(k, sizeof(k));
	if (rc == -1)
		OPENSSL_cleanse(out, 32);
	return rc;
}

int
sigv4_signature(const unsigned char key[32], const char *sts, char out[65])
{
	unsigned char mac[32];

	out[0] = '\0';
	if (sts == NULL ||
	    hmac_sha256(key, 32, sts, strlen(sts), mac) == -1)
		return -1;
	hex_encode(mac, sizeof(mac), out);
	return 0;
}

void
sigv4_key_cache_init(struct sigv4_key_cache *c)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
}

void
sigv4_key_cache_cleanup(struct sigv4_key_cache *c)
{
	if (c == NULL)
		return;
	pthread_mutex_destroy(&c->lock);
	OPENSSL_cleanse(c, sizeof(*c));
}

/*
 * The signing key for (secret, date, region, service), from the cache when
 * it holds that key, derived (and stored) otherwise.  The cache recognises
 * the secret by its SHA-256 so it never holds the secret itself.
 */
static int
cached_signing_key(struct sigv4_key_cache *c, const struct sigv4_params *p,
    const char *date, unsigned char key[32])
{
	unsigned char sh[32];
	unsigned int shlen = 0;
	char scope[sizeof(c->scope)];
	int n, rc = -1;

	if (c == NULL)
		return sigv4_signing_key(p->secret_access_key, p->now,
		    p->region, p->service, key);
	n = snprintf(scope, sizeof(scope), "%s/%s/%s", date, p->region,
	    p->service);
	if (n < 0 || (size_t)n >= sizeof(scope) ||
	    EVP_Digest(p->secret_access_key, strlen(p->secret_access_key), sh,
	    &shlen, EVP_sha256(), NULL) != 1)
		return sigv4_signing_key(p->secret_access_key, p->now,
		    p->region, p->service, key);
	pthread_mutex_lock(&c->lock);
	if (c->valid && strcmp(c->scope, scope) == 0 &&
	    CRYPTO_memcmp(c->secret_hash, sh, sizeof(sh)) == 0) {
		memcpy(key, c->key, 32);
		rc = 0;
	} else if (sigv4_signing_key(p->secret_access_key, p->now, p->region,
	    p->service, key) == 0) {
		memcpy(c->key, key, 32);
		memcpy(c->secret_hash, sh, sizeof(sh));
		memcpy(c->scope, scope, (size_t)n + 1);
		c->valid = true;
		rc = 0;
	}
	pthread_mutex_unlock(&c->lock);
	OPENSSL_cleanse(sh, sizeof(sh));
	return rc;
}

static int
reserved_header(const char *name)
{
	return strcasecmp(name, "x-amz-date") == 0 ||
	    strcasecmp(name, "x-amz-security-token") == 0 ||
	    strcasecmp(name, "x-amz-content-sha256") == 0 ||
	    strcasecmp(name, "authorization") == 0;
}

int
sigv4_sign(const struct sigv4_request *req, const struct sigv4_params *p,
    struct sigv4_key_cache *cache, struct sigv4_signed *out, char *err,
    size_t errlen)
{
	struct sigv4_request r;
	struct sigv4_header *h = NULL;
	char date[9], sig[65], *creq = NULL, *sts = NULL, *sh = NULL;
	unsigned char key[32];
	size_t i, n;
	int len, rc = -1;

	memset(out, 0, sizeof(*out));
	if (req == NULL || req->method == NULL || p == NULL ||
	    p->access_key_id == NULL || p->secret_access_key == NULL ||
	    p->region == NULL || p->service == NULL) {
		snprintf(err, errlen, "sigv4: missing request or parameter");
		return -1;
	}
	for (i = 0; i < req->nheaders; i++) {
		if (req->headers[i].name == NULL ||
		    reserved_header(req->headers[i].name)) {
			snprintf(err, errlen, "sigv4: header %s is set by the "
			    "signer", req->headers[i].name ?
			    req->headers[i].name : "(null)");
			return -1;
		}
	}
	if (amz_time(p->now, out->amz_date, date) == -1) {
		snprintf(err, errlen, "sigv4: time out of range");
		return -1;
	}
	if (sha256_hex(req->body, req->body_len, out->content_sha256) == -1) {
		snprintf(err, errlen, "sigv4: SHA-256 failed");
		return -1;
	}
	h = xcalloc(req->nheaders + 3, sizeof(*h));
	for (n = 0; n < req->nheaders; n++)
		h[n] = req->headers[n];
	h[n].name = "x-amz-date";
	h[n++].value = out->amz_date;
	if (p->session_token != NULL) {
		h[n].name = "x-amz-security-token";
		h[n++].value = p->session_token;
	}
	if (p->sign_body_hash) {
		h[n].name = "x-amz-content-sha256";
		h[n++].value = out->content_sha256;
	}
	r = *req;
	r.headers = h;
	r.nheaders = n;
	if ((creq = canonical_request(&r, p->normalize_path, &sh)) == NULL ||
	    (sts = sigv4_string_to_sign(creq, p->now, p->region,
	    p->service)) == NULL) {
		snprintf(err, errlen, "sigv4: cannot build the string to sign");
		goto fail;
	}
	if (cached_signing_key(cache, p, date, key) == -1 ||
	    sigv4_signature(key, sts, sig) == -1) {
		snprintf(err, errlen, "sigv4: HMAC-SHA256 failed");
		goto fail;
	}
	len = snprintf(out->authorization, sizeof(out->authorization),
	    SIGV4_ALGORITHM " Credential=%s/%s/%s/%s/aws4_request, "
	    "SignedHeaders=%s, Signature=%s", p->access_key_id, date,
	    p->region, p->service, sh, sig);
	if (len < 0 || (size_t)len >= sizeof(out->authorization)) {
		snprintf(err, errlen, "sigv4: Authorization header too long");
		out->authorization[0] = '\0';
		goto fail;
	}
	rc = 0;
fail:
	OPENSSL_cleanse(key, sizeof(key));
	free(h);
	free(creq);
	free(sts);
	free(sh);
	return rc;
}

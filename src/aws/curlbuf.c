/*
 * curlbuf: an answer buffer for libcurl's write callback and header lists
 * that are wiped when freed, for client.c and creds_http.c, and a header
 * picked out of an answer.
 *
 * The buffer grows by doubling; when it outgrows its block the old block
 * is wiped before it is freed, so a secret in an answer (an SSM parameter,
 * container credentials) leaves no copy behind in freed memory.  The CA
 * bundle (AWS_CA_BUNDLE) is read once per process and applied by every
 * caller to every transfer.  This is not an HTTP client: the transfers are
 * the callers'.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/curlbuf.h"
#include "util.h"

size_t
curlbuf_write(char *data, size_t size, size_t nmemb, void *buf)
{
	struct curlbuf *b = buf;
	size_t n = size * nmemb, cap;
	char *nb;

	if (b->len + n > b->max) {
		b->overflow = true;
		return 0;
	}
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap ? b->cap : 1024; cap < b->len + n + 1;)
			cap *= 2;
		nb = xmalloc(cap);
		if (b->data != NULL) {
			memcpy(nb, b->data, b->len);
			util_wipe_free(b->data, b->cap);
		}
		b->data = nb;
		b->cap = cap;
	}
	memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return n;
}

void
curlbuf_cleanup(struct curlbuf *b)
{
	size_t max = b->max;

	util_wipe_free(b->data, b->cap);
	memset(b, 0, sizeof(*b));
	b->max = max;
}

void
curlbuf_header_value(const char *data, size_t n, const char *name,
    char *out, size_t outlen)
{
	size_t nlen = strlen(name), vlen;
	const char *v;

	if (n <= nlen || strncasecmp(data, name, nlen) != 0 ||
	    data[nlen] != ':')
		return;
	v = data + nlen + 1;
	vlen = n - nlen - 1;
	while (vlen > 0 && (*v == ' ' || *v == '\t'))
		v++, vlen--;
	while (vlen > 0 && (v[vlen - 1] == '\r' || v[vlen - 1] == '\n'))
		vlen--;
	if (vlen < outlen) {
		memcpy(out, v, vlen);
		out[vlen] = '\0';
	}
}

void
curlbuf_header_add(struct curl_slist **h, const char *name,
    const char *value)
{
	char *line = xasprintf("%s: %s", name, value);

	curlbuf_header_append(h, line);
	util_free_secret(line);
}

void
curlbuf_header_append(struct curl_slist **h, const char *line)
{
	struct curl_slist *n;

	if ((n = curl_slist_append(*h, line)) == NULL)
		util_out_of_memory();
	*h = n;
}

void
curlbuf_headers_free(struct curl_slist *h)
{
	struct curl_slist *i;

	for (i = h; i != NULL; i = i->next)
		OPENSSL_cleanse(i->data, strlen(i->data));
	curl_slist_free_all(h);
}

static pthread_once_t ca_once = PTHREAD_ONCE_INIT;
static char *ca_bundle;

static void
ca_bundle_read(void)
{
	const char *v = getenv("AWS_CA_BUNDLE");

	if (v != NULL && *v != '\0')
		ca_bundle = xstrdup(v);
}

const char *
curlbuf_ca_bundle(void)
{
	pthread_once(&ca_once, ca_bundle_read);
	return ca_bundle;
}

void
curlbuf_ca_bundle_apply(CURL *h)
{
	const char *ca = curlbuf_ca_bundle();

	if (ca != NULL)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
}

/*
 * creds_container: ECS and EKS container credentials.
 *
 * AWS_CONTAINER_CREDENTIALS_RELATIVE_URI is asked on the ECS agent at
 * 169.254.170.2; otherwise AWS_CONTAINER_CREDENTIALS_FULL_URI, but plain
 * http only to a loopback address or the ECS/EKS agents, so that a
 * misconfigured URI cannot send the authorization token anywhere else.
 * The token comes from AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE (read at each
 * fetch: EKS rotates it) or AWS_CONTAINER_AUTHORIZATION_TOKEN.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>
#include <openssl/crypto.h>

#include "aws/creds.h"
#include "aws/creds_http.h"
#include "aws/curlbuf.h"
#include "util.h"

#define TOKEN_FILE_MAX		(16 * 1024)
#define ECS_HOST_URL		"http://169.254.170.2"
#define CONTAINER_CONNECT_MS	1000L
#define CONTAINER_TIMEOUT_MS	2000L

/*
 * Whether FULL_URI may be asked: https anywhere, plain http only on a
 * loopback address, ECS's 169.254.170.2 or EKS's 169.254.170.23 and
 * fd00:ec2::23.  Host names other than "localhost" are not resolved to
 * check them (the answer could change between check and use): they need
 * https.
 */
static bool
full_uri_allowed(const char *uri, char *why, size_t whylen)
{
	char *scheme = NULL, *host = NULL;
	unsigned char a4[4], a6[16];
	static const unsigned char eks6[16] = { 0xfd, 0x00, 0x0e, 0xc2,
	    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x23 };
	bool ok = false;
	CURLU *u;
	size_t hl;

	if ((u = curl_url()) == NULL ||
	    curl_url_set(u, CURLUPART_URL, uri, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(why, whylen, "not a URL");
		goto done;
	}
	if (strcasecmp(scheme, "https") == 0) {
		ok = true;
		goto done;
	}
	if (strcasecmp(scheme, "http") != 0) {
		snprintf(why, whylen, "scheme %.16s is not http or https",
		    scheme);
		goto done;
	}
	hl = strlen(host);
	if (strcasecmp(host, "localhost") == 0)
		ok = true;
	else if (inet_pton(AF_INET, host, a4) == 1)
		ok = a4[0] == 127 || strcmp(host, "169.254.170.2") == 0 ||
		    strcmp(host, "169.254.170.23") == 0;
	else if (hl > 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		ok = inet_pton(AF_INET6, host + 1, a6) == 1 &&
		    (memcmp(a6, &in6addr_loopback, 16) == 0 ||
		    memcmp(a6, eks6, 16) == 0);
		host[hl - 1] = ']';
	}
	if (!ok)
		snprintf(why, whylen, "http host %.64s is not loopback or the "
		    "ECS/EKS agent (use https)", host);
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

/*
 * The authorization token: the file's contents (read each time, EKS
 * rotates it) or the variable.  Returns 0 with *token new (or NULL when
 * neither is set), or -1 with the reason in err.
 */
static int
container_token(char **token, char *err, size_t errlen)
{
	const char *file = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
	const char *val = getenv("AWS_CONTAINER_AUTHORIZATION_TOKEN");
	char *buf;
	size_t n;
	FILE *f;

	*token = NULL;
	if (file != NULL && *file != '\0') {
		if ((f = fopen(file, "re")) == NULL) {
			snprintf(err, errlen, "container: cannot read "
			    "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE %s", file);
			return -1;
		}
		buf = xmalloc(TOKEN_FILE_MAX + 1);
		n = fread(buf, 1, TOKEN_FILE_MAX + 1, f);
		fclose(f);
		if (n > TOKEN_FILE_MAX) {
			OPENSSL_cleanse(buf, TOKEN_FILE_MAX + 1);
			free(buf);
			snprintf(err, errlen, "container: token file %s too "
			    "large", file);
			return -1;
		}
		buf[n] = '\0';
		while (n > 0 && isspace((unsigned char)buf[n - 1]))
			buf[--n] = '\0';
		*token = buf;
	} else if (val != NULL && *val != '\0')
		*token = xstrdup(val);
	if (*token != NULL && !creds_http_header_safe(*token)) {
		OPENSSL_cleanse(*token, strlen(*token));
		free(*token);
		*token = NULL;
		snprintf(err, errlen, "container: authorization token holds "
		    "a line break");
		return -1;
	}
	return 0;
}

static struct creds *
container_get(struct creds_provider *p, char *err, size_t errlen)
{
	const char *rel = getenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI");
	const char *full = getenv("AWS_CONTAINER_CREDENTIALS_FULL_URI");
	struct creds *c = NULL;
	struct curl_slist *h = NULL;
	struct creds_http_resp r = { 0 };
	char *url = NULL, *token = NULL, why[256];

	(void)p;
	if (rel != NULL && *rel != '\0') {
		if (*rel != '/') {
			snprintf(err, errlen, "container: "
			    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI does not "
			    "start with /");
			goto done;
		}
		url = xasprintf("%s%s", ECS_HOST_URL, rel);
	} else if (full != NULL && *full != '\0') {
		if (!full_uri_allowed(full, why, sizeof(why))) {
			snprintf(err, errlen, "container: "
			    "AWS_CONTAINER_CREDENTIALS_FULL_URI refused: %s",
			    why);
			goto done;
		}
		url = xstrdup(full);
	} else {
		snprintf(err, errlen, "container: "
		    "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and _FULL_URI "
		    "not set");
		goto done;
	}
	if (container_token(&token, err, errlen) == -1)
		goto done;
	if (token != NULL)
		curlbuf_header_add(&h, "Authorization", token);
	if (creds_http_do("GET", url, h, CONTAINER_CONNECT_MS,
	    CONTAINER_TIMEOUT_MS, &r, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "container: %s", why);
		goto done;
	}
	if (r.status != 200) {
		snprintf(err, errlen, "container: %s answered HTTP %ld", url,
		    r.status);
		goto done;
	}
	c = creds_http_parse_creds("container", r.body.data, r.body.len,
	    "container", err, errlen);
done:
	creds_http_resp_cleanup(&r);
	curlbuf_headers_free(h);
	util_free_secret(token);
	free(url);
	return c;
}

static const struct creds_ops container_ops = {
	.name = "container",
	.get = container_get,
};

struct creds_provider *
creds_container_new(void)
{
	return creds_provider_new(&container_ops);
}


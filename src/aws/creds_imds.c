/*
 * creds_imds: EC2 instance metadata, IMDSv2 only.
 *
 * A session token is PUT-requested with a TTL header, then the role name
 * and its credentials (or the region) are read with that token.  The
 * endpoint is AWS_EC2_METADATA_SERVICE_ENDPOINT, or by
 * AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE the IPv4 or IPv6 address;
 * AWS_EC2_METADATA_DISABLED=true turns it off.  Every transfer has a
 * one-second connect and total timeout, so a machine outside EC2 loses at
 * most a second or two here.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "aws/creds.h"
#include "aws/creds_http.h"
#include "aws/curlbuf.h"
#include "util.h"

#define IMDS_DEFAULT		"http://169.254.169.254"
#define IMDS_DEFAULT_IPV6	"http://[fd00:ec2::254]"
#define IMDS_TOKEN_TTL		"21600"
#define IMDS_TIMEOUT_MS		1000L

/* The IMDS base URL without a trailing slash; new. */
static char *
imds_endpoint(void)
{
	const char *v = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT");
	const char *mode = getenv("AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE");
	char *e;
	size_t n;

	if (v == NULL || *v == '\0')
		v = (mode != NULL && strcasecmp(mode, "IPv6") == 0) ?
		    IMDS_DEFAULT_IPV6 : IMDS_DEFAULT;
	e = xstrdup(v);
	n = strlen(e);
	while (n > 0 && e[n - 1] == '/')
		e[--n] = '\0';
	return e;
}

/*
 * An IMDSv2 session: PUT /latest/api/token with a TTL.  A refused or failed
 * token request is an error: there is no IMDSv1 fallback.  Returns 0 with
 * the endpoint in *base and the token in *token (both new), or -1.
 */
static int
imds_session(char **base, char **token, char *err, size_t errlen)
{
	struct curl_slist *h = NULL;
	struct creds_http_resp tok = { 0 };
	char *url = NULL, why[256];
	int rc = -1;

	*base = *token = NULL;
	if (creds_http_env_true("AWS_EC2_METADATA_DISABLED")) {
		snprintf(err, errlen, "imds: AWS_EC2_METADATA_DISABLED is "
		    "true");
		return -1;
	}
	*base = imds_endpoint();
	url = xasprintf("%s/latest/api/token", *base);
	curlbuf_header_add(&h, "X-aws-ec2-metadata-token-ttl-seconds",
	    IMDS_TOKEN_TTL);
	if (creds_http_do("PUT", url, h, IMDS_TIMEOUT_MS, IMDS_TIMEOUT_MS,
	    &tok, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "imds: %s", why);
		goto done;
	}
	if (tok.status != 200 || tok.body.len == 0 ||
	    !creds_http_header_safe(tok.body.data)) {
		snprintf(err, errlen, "imds: token request answered HTTP %ld",
		    tok.status);
		goto done;
	}
	*token = tok.body.data;
	tok.body.data = NULL;
	rc = 0;
done:
	creds_http_resp_cleanup(&tok);
	curlbuf_headers_free(h);
	free(url);
	if (rc == -1) {
		free(*base);
		*base = NULL;
	}
	return rc;
}

/* GET base+path with the session token; 0 with the 200 answer in r, or -1. */
static int
imds_get(const char *base, const char *token, const char *path,
    struct creds_http_resp *r, char *err, size_t errlen)
{
	struct curl_slist *h = NULL;
	char *url = NULL, why[256];
	int rc = -1;

	memset(r, 0, sizeof(*r));
	url = xasprintf("%s%s", base, path);
	curlbuf_header_add(&h, "X-aws-ec2-metadata-token", token);
	if (creds_http_do("GET", url, h, IMDS_TIMEOUT_MS, IMDS_TIMEOUT_MS,
	    r, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "imds: %s", why);
		goto done;
	}
	if (r->status != 200) {
		snprintf(err, errlen, "imds: GET %s answered HTTP %ld%s", path,
		    r->status, r->status == 404 ? " (not found)" : "");
		creds_http_resp_cleanup(r);
		goto done;
	}
	rc = 0;
done:
	curlbuf_headers_free(h);
	free(url);
	return rc;
}

#define IMDS_CREDS_PATH	"/latest/meta-data/iam/security-credentials/"

static struct creds *
imds_creds_get(struct creds_provider *p, char *err, size_t errlen)
{
	struct creds *c = NULL;
	struct creds_http_resp r = { 0 };
	char *base = NULL, *token = NULL, *path = NULL;
	size_t n;

	(void)p;
	if (imds_session(&base, &token, err, errlen) == -1)
		return NULL;
	if (imds_get(base, token, IMDS_CREDS_PATH, &r, err, errlen) == -1)
		goto done;
	n = strcspn(r.body.data, "\r\n");
	r.body.data[n] = '\0';
	if (n == 0 || strpbrk(r.body.data, "/ \t?#%") != NULL) {
		snprintf(err, errlen, "imds: no usable instance profile role "
		    "name");
		goto done;
	}
	path = xasprintf("%s%s", IMDS_CREDS_PATH, r.body.data);
	creds_http_resp_cleanup(&r);
	if (imds_get(base, token, path, &r, err, errlen) == -1)
		goto done;
	c = creds_http_parse_creds("imds", r.body.data, r.body.len, "imds",
	    err, errlen);
done:
	creds_http_resp_cleanup(&r);
	util_free_secret(token);
	free(base);
	free(path);
	return c;
}

static const struct creds_ops imds_ops = {
	.name = "imds",
	.get = imds_creds_get,
};

struct creds_provider *
creds_imds_new(void)
{
	return creds_provider_new(&imds_ops);
}

char *
creds_imds_region(char *err, size_t errlen)
{
	struct creds_http_resp r = { 0 };
	char *base = NULL, *token = NULL, *region = NULL;
	size_t n;

	if (imds_session(&base, &token, err, errlen) == -1)
		return NULL;
	if (imds_get(base, token, "/latest/meta-data/placement/region", &r,
	    err, errlen) == -1)
		goto done;
	n = strcspn(r.body.data, "\r\n \t");
	r.body.data[n] = '\0';
	if (n == 0) {
		snprintf(err, errlen, "imds: empty region");
		goto done;
	}
	region = xstrdup(r.body.data);
done:
	creds_http_resp_cleanup(&r);
	util_free_secret(token);
	free(base);
	return region;
}

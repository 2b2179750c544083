/*
 * creds_region: which region, and which endpoint URL for a service, in the
 * order the AWS SDKs look them up.
 *
 * Region: AWS_REGION, AWS_DEFAULT_REGION, the profile's region in the
 * config file, then IMDS.  Endpoint: AWS_ENDPOINT_URL_<SERVICE_ID>, then
 * AWS_ENDPOINT_URL, else the regional HTTPS endpoint.  Endpoint URLs from
 * the config file's services sections are not read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "aws/creds.h"

char *
aws_region_resolve(char *err, size_t errlen)
{
	static const char *const vars[] = { "AWS_REGION",
	    "AWS_DEFAULT_REGION" };
	char why[256], imds[256], *r;
	const char *v;
	size_t i;

	for (i = 0; i < sizeof(vars) / sizeof(vars[0]); i++)
		if ((v = getenv(vars[i])) != NULL && *v != '\0') {
			if ((r = strdup(v)) == NULL)
				snprintf(err, errlen, "out of memory");
			return r;
		}
	if ((r = creds_profile_region(why, sizeof(why))) != NULL)
		return r;
	if ((r = creds_imds_region(imds, sizeof(imds))) != NULL)
		return r;
	snprintf(err, errlen, "AWS_REGION and AWS_DEFAULT_REGION not set; "
	    "%s; %s", why, imds);
	return NULL;
}

/* Whether the endpoint variables are to be ignored, as in the SDKs. */
static int
ignore_configured(void)
{
	const char *v = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* A copy of url without trailing slashes; NULL on OOM. */
static char *
trimmed(const char *url)
{
	char *s;
	size_t n;

	if ((s = strdup(url)) == NULL)
		return NULL;
	n = strlen(s);
	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

char *
aws_endpoint_resolve(const char *service, const char *region)
{
	char name[128], *url;
	const char *v;
	size_t i, off;

	off = (size_t)snprintf(name, sizeof(name), "AWS_ENDPOINT_URL_");
	for (i = 0; service[i] != '\0' && off + 1 < sizeof(name); i++) {
		char ch = service[i];

		if (ch == ' ' || ch == '-')
			ch = '_';
		else if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		name[off++] = ch;
	}
	name[off] = '\0';
	if (!ignore_configured()) {
		if ((v = getenv(name)) != NULL && *v != '\0')
			return trimmed(v);
		if ((v = getenv("AWS_ENDPOINT_URL")) != NULL && *v != '\0')
			return trimmed(v);
	}
	if (asprintf(&url, "https://%s.%s.amazonaws.com%s", service, region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "") == -1)
		return NULL;
	return url;
}

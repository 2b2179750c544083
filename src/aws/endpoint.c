/*
 * endpoint: which URL to send a service's requests to, in the order the
 * AWS SDKs look it up (AWS_ENDPOINT_URL_<SERVICE_ID>, AWS_ENDPOINT_URL, else
 * the regional HTTPS endpoint), and the Host value the signer covers.
 * Endpoint URLs from the config file's services sections are not read.
 * The region comes from region.c; nothing here does I/O.  endpoint_check
 * keeps a configured endpoint off plain http unless it is loopback.
 */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "aws/endpoint.h"
#include "util.h"

/* Whether the endpoint variables are to be ignored, as in the SDKs. */
static int
ignore_configured(void)
{
	const char *v = getenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* A new copy of url without trailing slashes. */
static char *
trimmed(const char *url)
{
	char *s = xstrdup(url);
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '/')
		s[--n] = '\0';
	return s;
}

/*
 * The configured endpoint of service (borrowed from the environment), or
 * NULL; name (namelen bytes) gets the variable it came from.
 */
static const char *
configured(const char *service, char *name, size_t namelen)
{
	const char *v;
	size_t i, off;

	off = (size_t)snprintf(name, namelen, "AWS_ENDPOINT_URL_");
	for (i = 0; service[i] != '\0' && off + 1 < namelen; i++) {
		char ch = service[i];

		if (ch == ' ' || ch == '-')
			ch = '_';
		else if (ch >= 'a' && ch <= 'z')
			ch = (char)(ch - 'a' + 'A');
		name[off++] = ch;
	}
	name[off] = '\0';
	if (ignore_configured())
		return NULL;
	if ((v = getenv(name)) != NULL && *v != '\0')
		return v;
	snprintf(name, namelen, "AWS_ENDPOINT_URL");
	if ((v = getenv(name)) != NULL && *v != '\0')
		return v;
	return NULL;
}

char *
endpoint_resolve(const char *service, const char *region)
{
	char name[128];
	const char *v;

	if ((v = configured(service, name, sizeof(name))) != NULL)
		return trimmed(v);
	return xasprintf("https://%s.%s.amazonaws.com%s", service, region,
	    strncmp(region, "cn-", 3) == 0 ? ".cn" : "");
}

char *
endpoint_host(const char *url, char *err, size_t errlen)
{
	char *scheme = NULL, *host = NULL, *port = NULL, *path = NULL;
	char *out = NULL;
	CURLU *u;

	if ((u = curl_url()) == NULL)
		util_out_of_memory();
	if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "endpoint \"%s\" is not a URL", url);
		goto done;
	}
	if (strcmp(scheme, "https") != 0 && strcmp(scheme, "http") != 0) {
		snprintf(err, errlen, "endpoint \"%s\": scheme must be https "
		    "(or http for a local endpoint)", url);
		goto done;
	}
	if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK &&
	    strcmp(path, "/") != 0 && strcmp(path, "") != 0) {
		snprintf(err, errlen, "endpoint \"%s\" must not have a path",
		    url);
		goto done;
	}
	curl_url_get(u, CURLUPART_PORT, &port, 0);
	out = xasprintf("%s%s%s", host, port != NULL ? ":" : "",
	    port != NULL ? port : "");
done:
	curl_free(scheme);
	curl_free(host);
	curl_free(port);
	curl_free(path);
	curl_url_cleanup(u);
	return out;
}

/* 127.0.0.0/8, ::1 (and ::ffff:127.x), or the name localhost. */
static bool
is_loopback(const char *host)
{
	char buf[INET6_ADDRSTRLEN + 2];
	struct in6_addr a6;
	struct in_addr a4;
	size_t n = strlen(host);

	if (strcasecmp(host, "localhost") == 0 ||
	    strcasecmp(host, "localhost.") == 0)
		return true;
	if (inet_pton(AF_INET, host, &a4) == 1)
		return (ntohl(a4.s_addr) >> 24) == 127;
	if (n < 2 || n - 2 >= sizeof(buf) || host[0] != '[' ||
	    host[n - 1] != ']')
		return false;
	memcpy(buf, host + 1, n - 2);
	buf[n - 2] = '\0';
	if (inet_pton(AF_INET6, buf, &a6) != 1)
		return false;
	return IN6_IS_ADDR_LOOPBACK(&a6) || (IN6_IS_ADDR_V4MAPPED(&a6) &&
	    a6.s6_addr[12] == 127);
}

int
endpoint_check(const char *service, bool allow_http, char *err,
    size_t errlen)
{
	char name[128], *scheme = NULL, *host = NULL;
	const char *v;
	CURLU *u;
	int rc = -1;

	if ((v = configured(service, name, sizeof(name))) == NULL)
		return 0;
	if ((u = curl_url()) == NULL)
		util_out_of_memory();
	if (curl_url_set(u, CURLUPART_URL, v, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK) {
		snprintf(err, errlen, "%s: not a URL", name);
		goto done;
	}
	if (strcmp(scheme, "http") == 0 && !allow_http && !is_loopback(host)) {
		snprintf(err, errlen, "%s: plain http to %s, which is not "
		    "loopback (127.0.0.0/8, ::1, localhost): requests and "
		    "answers would cross the network in cleartext", name, host);
		goto done;
	}
	rc = 0;
done:
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return rc;
}

/*
 * creds_http: what the container and IMDS credential providers share: one
 * blocking HTTP transfer and the credentials JSON both endpoints answer.
 * The answer buffer and the header lists that may carry tokens are
 * curlbuf.c's, shared with the AWS client.
 *
 * Each transfer is one libcurl easy handle with CURLOPT_NOSIGNAL, short
 * connect and total timeouts, no proxy (these endpoints are link-local or
 * loopback, and a proxy must never see the container token), no redirects,
 * the AWS_CA_BUNDLE trust when set (an https container endpoint), and a
 * 64 KiB cap on the answer.  They block, so they run at startup and on
 * the credential cache's refresh thread, never on an HTTP worker.  Answers
 * that carry secrets and the headers that carry tokens are wiped before
 * their memory is released.  This file is not a general HTTP client.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>

#include "aws/creds.h"
#include "aws/creds_http.h"
#include "aws/curlbuf.h"
#include "util.h"

#define RESP_MAX		(64 * 1024)

void
creds_http_resp_cleanup(struct creds_http_resp *r)
{
	curlbuf_cleanup(&r->body);
	memset(r, 0, sizeof(*r));
}

/*
 * One transfer: method "GET" or "PUT" (with an empty body) to url.  On
 * success (any HTTP status) returns 0 with the answer in r; on a transport
 * failure returns -1 with the reason in err.
 */
int
creds_http_do(const char *method, const char *url,
    struct curl_slist *headers, long connect_ms, long total_ms,
    struct creds_http_resp *r, char *err, size_t errlen)
{
	char cerr[CURL_ERROR_SIZE] = "", empty[1] = "";
	struct curl_slist *h = headers, *ct = NULL;
	CURLcode rc;
	CURL *c;
	int ret = -1;

	memset(r, 0, sizeof(*r));
	r->body.max = RESP_MAX;
	if ((c = curl_easy_init()) == NULL) {
		snprintf(err, errlen, "curl_easy_init failed");
		return -1;
	}
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
	curlbuf_ca_bundle_apply(c);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, curlbuf_write);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, &r->body);
	if (strcmp(method, "PUT") == 0) {
		curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, "PUT");
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, "");
		curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, 0L);
		/* No form content type on an empty PUT. */
		curlbuf_header_append(&ct, "Content-Type:");
		ct->next = headers;
		h = ct;
	}
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
	if ((rc = curl_easy_perform(c)) != CURLE_OK) {
		snprintf(err, errlen, "%s %s: %s", method, url,
		    r->body.overflow ? "answer too large" :
		    cerr[0] ? cerr : curl_easy_strerror(rc));
		creds_http_resp_cleanup(r);
		goto fail;
	}
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	if (r->body.data == NULL)	/* an empty answer: "" */
		curlbuf_write(empty, 1, 0, &r->body);
	ret = 0;
fail:
	if (ct != NULL) {
		ct->next = NULL;
		curl_slist_free_all(ct);
	}
	curl_easy_cleanup(c);
	return ret;
}

/*
 * "2026-11-25T21:00:00Z", with optional fractional seconds and a numeric
 * offset instead of Z, to UTC seconds; -1 if malformed.
 */
static time_t
parse_iso8601(const char *s)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh = 0, om = 0, n = 0;
	const char *p;
	time_t t;

	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &y, &mo, &d, &h, &mi, &sec,
	    &n) != 6 || n == 0)
		return -1;
	p = s + n;
	if (*p == '.')
		for (p++; isdigit((unsigned char)*p); p++)
			;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	if ((t = timegm(&tm)) == -1)
		return -1;
	if (*p == 'Z' && p[1] == '\0')
		return t;
	if ((*p == '+' || *p == '-') &&
	    sscanf(p + 1, "%2d:%2d%n", &oh, &om, &n) == 2 && p[1 + n] == '\0')
		return *p == '+' ? t - (oh * 3600 + om * 60) :
		    t + (oh * 3600 + om * 60);
	return -1;
}

/*
 * The credentials JSON both endpoints answer: AccessKeyId, SecretAccessKey,
 * Token, Expiration (and, from IMDS, Code "Success").
 */
struct creds *
creds_http_parse_creds(const char *who, const char *body, size_t len,
    const char *source, char *err, size_t errlen)
{
	const char *akid, *secret, *token, *exp, *code;
	struct creds *c = NULL;
	json_error_t jerr;
	time_t expiration = 0;
	json_t *j;

	if ((j = json_loadb(body, len, 0, &jerr)) == NULL ||
	    !json_is_object(j)) {
		snprintf(err, errlen, "%s: credentials are not a JSON object",
		    who);
		goto done;
	}
	code = json_string_value(json_object_get(j, "Code"));
	if (code != NULL && strcmp(code, "Success") != 0) {
		snprintf(err, errlen, "%s: credentials Code is %.64s", who,
		    code);
		goto done;
	}
	akid = json_string_value(json_object_get(j, "AccessKeyId"));
	secret = json_string_value(json_object_get(j, "SecretAccessKey"));
	token = json_string_value(json_object_get(j, "Token"));
	exp = json_string_value(json_object_get(j, "Expiration"));
	if (akid == NULL || *akid == '\0' || secret == NULL ||
	    *secret == '\0') {
		snprintf(err, errlen, "%s: answer lacks AccessKeyId or "
		    "SecretAccessKey", who);
		goto done;
	}
	if (exp != NULL && (expiration = parse_iso8601(exp)) == -1) {
		snprintf(err, errlen, "%s: bad Expiration %.40s", who, exp);
		goto done;
	}
	c = creds_new(akid, secret, token, expiration, source);
done:
	/* jansson's copies of the secret are freed unwiped: see docs. */
	json_decref(j);
	return c;
}

bool
creds_http_env_true(const char *name)
{
	const char *v = getenv(name);

	return v != NULL && strcasecmp(v, "true") == 0;
}

/* A value that may go into a header line: no CR, LF or NUL surprises. */
bool
creds_http_header_safe(const char *s)
{
	return strpbrk(s, "\r\n") == NULL;
}


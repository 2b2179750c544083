/*
 * creds_http: private to the container and IMDS credential providers
 * (creds_container.c, creds_imds.c); nothing else includes it.
 *
 * One blocking HTTP transfer on a libcurl easy handle, and the credentials
 * JSON both endpoints answer.  The answer buffer and the header lists that
 * carry tokens are curlbuf.h's, shared with the AWS client.  Errors never
 * quote a token or a secret.
 */
#ifndef VISITSD_AWS_CREDS_HTTP_H
#define VISITSD_AWS_CREDS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "aws/creds.h"
#include "aws/curlbuf.h"

struct creds_http_resp {
	struct curlbuf	 body;	/* NUL-terminated after a transfer; secrets */
	long		 status;
};

/*
 * One transfer: method "GET" or "PUT" (with an empty body) to url with the
 * given headers (borrowed), no proxy, no redirects, the answer capped at
 * 64 KiB.  Returns 0 with the answer in r (any HTTP status, body.data never
 * NULL; release it with creds_http_resp_cleanup), or -1 with the reason in
 * err.
 */
int	creds_http_do(const char *method, const char *url,
	    struct curl_slist *headers, long connect_ms, long total_ms,
	    struct creds_http_resp *r, char *err, size_t errlen);
/* Wipe and free the body; r is zeroed.  */
void	creds_http_resp_cleanup(struct creds_http_resp *r);

/*
 * New credentials from an answer body (borrowed, NUL-terminated, len bytes)
 * holding AccessKeyId, SecretAccessKey, Token and Expiration (ISO 8601),
 * and, from IMDS, Code "Success"; NULL with the reason in err.  who
 * prefixes errors; source is stored in the credentials (a static string).
 */
struct creds	*creds_http_parse_creds(const char *who, const char *body,
		    size_t len, const char *source, char *err,
		    size_t errlen);

/* Whether environment variable name is "true" (any case). */
bool	creds_http_env_true(const char *name);
/* Whether s can go into a header line (no CR or LF). */
bool	creds_http_header_safe(const char *s);

#endif

/*
 * creds_http: private to the container and IMDS credential providers
 * (creds_container.c, creds_imds.c); nothing else includes it.
 *
 * One blocking HTTP transfer on a libcurl easy handle, header lists that
 * may carry tokens (wiped when freed), and the credentials JSON both
 * endpoints answer.  Errors never quote a token or a secret.
 */
#ifndef VISITSD_AWS_CREDS_HTTP_H
#define VISITSD_AWS_CREDS_HTTP_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "aws/creds.h"

struct creds_http_resp {
	char	*body;		/* NUL-terminated; may hold secrets */
	size_t	 len;
	bool	 overflow;
	long	 status;
};

/*
 * One transfer: method "GET" or "PUT" (with an empty body) to url with the
 * given headers (borrowed), no proxy, no redirects, the answer capped at
 * 64 KiB.  Returns 0 with the answer in r (any HTTP status; release it with
 * creds_http_resp_cleanup), or -1 with the reason in err.
 */
int	creds_http_do(const char *method, const char *url,
	    struct curl_slist *headers, long connect_ms, long total_ms,
	    struct creds_http_resp *r, char *err, size_t errlen);
/* Wipe and free the body; r is zeroed.  */
void	creds_http_resp_cleanup(struct creds_http_resp *r);

/* Append "name: value" to *h (a temporary copy is wiped); 0 or -1. */
int	creds_http_header_add(struct curl_slist **h, const char *name,
	    const char *value);
/* Wipe every header line, then free the list; NULL is fine. */
void	creds_http_headers_free(struct curl_slist *h);

/*
 * New credentials from an answer holding AccessKeyId, SecretAccessKey,
 * Token and Expiration (ISO 8601), and, from IMDS, Code "Success".  who
 * prefixes errors; source is stored in the credentials (a static string).
 */
struct aws_credentials *creds_http_parse_creds(const char *who,
	    const struct creds_http_resp *r, const char *source, char *err,
	    size_t errlen);

/* a followed by b, new; NULL on OOM. */
char	*creds_http_join(const char *a, const char *b);
/* Whether environment variable name is "true" (any case). */
bool	creds_http_env_true(const char *name);
/* Whether s can go into a header line (no CR or LF). */
bool	creds_http_header_safe(const char *s);

#endif

/*
 * endpoint: the URL an AWS service is asked at, and the Host header value
 * signed for it.
 */
#ifndef VISITSD_AWS_ENDPOINT_H
#define VISITSD_AWS_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>

/*
 * The endpoint URL for a service ("dynamodb", "ssm"): AWS_ENDPOINT_URL_<ID>
 * (the service id uppercased, spaces and dashes turned into underscores:
 * AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SSM), then AWS_ENDPOINT_URL,
 * else https://<service>.<region>.amazonaws.com (.amazonaws.com.cn for cn-
 * regions).  Both variables are ignored when
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS is true.  Trailing slashes are
 * removed.  Returns a new string, never NULL.
 */
char	*endpoint_resolve(const char *service, const char *region);

/*
 * The Host header value of an endpoint URL: its host, plus ":port" when the
 * URL names one.  The URL must be https (or http, for a local endpoint) and
 * have no path.  Returns a new string, or NULL with the reason in err.
 */
char	*endpoint_host(const char *url, char *err, size_t errlen);

/*
 * Check the endpoint variable endpoint_resolve would use for service, if
 * any: plain http is refused (-1, the variable and host named in err)
 * unless the host is loopback (127.0.0.0/8, ::1, localhost) or allow_http
 * is set; a value that is not a URL is refused too.  No variable (or
 * AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true): 0, the https default.  Reads
 * the environment only; the URL's userinfo is never copied into err.
 */
int	endpoint_check(const char *service, bool allow_http, char *err,
	    size_t errlen);

#endif

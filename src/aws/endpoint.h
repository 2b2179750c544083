/*
 * endpoint: the URL an AWS service is asked at, and the Host header value
 * signed for it.
 */
#ifndef VISITSD_AWS_ENDPOINT_H
#define VISITSD_AWS_ENDPOINT_H

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

#endif

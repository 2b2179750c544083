/*
 * ssm: reading one SSM Parameter Store parameter (GetParameter,
 * WithDecryption=true), for the API key.
 *
 * The builder and parser are pure and tested on their own; ssm_fetch is
 * the blocking call the key source makes at startup and on SIGHUP, through
 * a short-lived AWS client.  Parameter values are secrets: they are wiped
 * when freed and never logged.
 */
#ifndef VISITSD_AWS_SSM_H
#define VISITSD_AWS_SSM_H

#include <stddef.h>

#define SSM_TARGET_PREFIX	"AmazonSSM."
#define SSM_CONTENT_TYPE	"application/x-amz-json-1.1"

/*
 * {"Name":name,"WithDecryption":true}: a new string, or NULL when jansson
 * cannot build it (name is not UTF-8).
 */
char	*ssm_get_parameter_body(const char *name);

/*
 * Parse a GetParameter answer: Parameter.Value, a new malloc'd string the
 * caller wipes (OPENSSL_cleanse) and frees.  NULL with the reason in err
 * (which never contains the value).
 */
char	*ssm_parse_get_parameter(const char *body, size_t len, char *err,
	    size_t errlen);

/*
 * Fetch parameter name once: a new malloc'd value (wipe it) or NULL with
 * the reason in err.  *retryable is set when trying again later may help
 * (throttling, network, 5xx, no credentials yet) and cleared when it will
 * not (ParameterNotFound, AccessDenied, a malformed answer).  Blocks for
 * up to the request timeout times the attempts.  Any thread but an AWS
 * client's.
 */
char	*ssm_fetch(const char *name, int connect_timeout_ms,
	    int request_timeout_ms, int *retryable, char *err, size_t errlen);

#endif

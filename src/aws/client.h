/*
 * client: an AWS JSON-protocol client (DynamoDB, SSM) on libcurl's multi
 * interface, driven by a thread of its own.
 *
 * Requests are submitted from any thread into a queue; the client thread
 * signs each attempt at send time (SigV4, credentials from a caching
 * provider that never blocks after its first fetch), sends it over
 * persistent connections (one multi handle, one connection cache: no TLS
 * handshake per request), retries in the AWS SDKs' "standard" mode and
 * calls the completion on the client thread.
 *
 * Exactly-once: a request submitted as not idempotent (UpdateItem) is
 * retried only when it provably was not applied -- AWS said so (throttling,
 * a signature refused) or no byte of its body ever left this process.
 * When the outcome cannot be known (timeout or connection lost after the
 * body was sent, a 5xx answer) it completes with AWS_UNKNOWN and is never
 * re-sent, not even by libcurl's own silent retry on a reused connection
 * (see docs/aws.md).  Idempotent requests are retried on any transient
 * error.
 *
 * The retry rules, error parsing and backoff are pure functions in retry.h,
 * tested without a network.  This module knows
 * nothing about DynamoDB items or SSM parameters: dynamodb.c and ssm.c.
 */
#ifndef VISITSD_AWS_CLIENT_H
#define VISITSD_AWS_CLIENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "aws/retry.h"

struct creds_provider;

enum aws_outcome {
	AWS_OK = 0,		/* 2xx: body is the answer */
	AWS_FAILED,		/* refused for good (4xx) or a local error;
				   not applied */
	AWS_UNAVAILABLE,	/* transient, not applied: retries or the
				   retry quota exhausted, or shutting down */
	AWS_UNKNOWN,		/* not idempotent and may have been applied */
};

/* The final answer to a request; every pointer is borrowed for the call. */
struct aws_response {
	enum aws_outcome outcome;
	long		 status;	/* last HTTP status, 0 if none */
	const char	*body;		/* last answer body, NUL-terminated */
	size_t		 body_len;
	const char	*error_type;	/* "ThrottlingException", or "" */
	const char	*error_message;	/* AWS's message or libcurl's, or "" */
	int		 attempts;	/* attempts made, >= 1 unless never sent */
};

/* Completion, called exactly once per request on the client thread. */
typedef void aws_done_fn(void *arg, const struct aws_response *resp);

struct aws_client_options {
	const char	*service;	/* signing name: "dynamodb", "ssm" */
	const char	*target_prefix;	/* X-Amz-Target prefix, with the dot */
	const char	*content_type;	/* application/x-amz-json-1.0 or 1.1 */
	int		 connect_timeout_ms;
	int		 request_timeout_ms;	/* per attempt, whole transfer */
	int		 max_attempts;	/* 0: AWS_MAX_ATTEMPTS, else 3 */
	const char	*region;	/* NULL: aws_region_resolve */
	const char	*endpoint;	/* NULL: aws_endpoint_resolve */
	struct creds_provider *creds;	/* stolen; NULL: cached default chain */
};

struct aws_client;

/*
 * Create a client and start its thread.  Fetches credentials once (this
 * may block on a credential endpoint) and resolves region and endpoint.
 * opts and its strings are borrowed for the call; opts->creds is stolen
 * even on failure.  Returns a new client, or NULL with the reason in err.
 */
struct aws_client	*aws_client_new(const struct aws_client_options *opts,
			    char *err, size_t errlen);

/*
 * Stop: requests already sent finish (bounded by the request timeout),
 * requests waiting for a retry or not yet started complete with
 * AWS_UNAVAILABLE, completions may still submit follow-up requests while
 * draining; then the thread is joined and everything freed.  Accepts NULL.
 * Must not be called from the client thread.
 */
void	aws_client_free(struct aws_client *);

/*
 * Submit op ("UpdateItem"; X-Amz-Target is the prefix plus op; op must be
 * a string literal: it names metrics) with body (stolen: a malloc'd JSON
 * string, wiped and freed by the client).  done(arg, resp) is called once,
 * on the client thread, or inline with AWS_UNAVAILABLE after the client
 * has stopped.  Safe from any thread.
 */
void	aws_client_submit(struct aws_client *, const char *op, char *body,
	    bool idempotent, aws_done_fn *done, void *arg);

/* A copy of a final answer, for synchronous callers. */
struct aws_result {
	enum aws_outcome outcome;
	long	 status;
	char	*body;			/* malloc'd, NUL-terminated */
	size_t	 body_len;
	char	 error_type[96];
	char	 error_message[256];
};

/*
 * Submit and wait for the answer (client_call.c): for startup and reload
 * paths only, never from the client thread or an HTTP worker.  Fills out (release it with
 * aws_result_cleanup, which wipes the body: it may hold a secret).
 */
void	aws_client_call(struct aws_client *, const char *op, char *body,
	    bool idempotent, struct aws_result *out);
void	aws_result_cleanup(struct aws_result *);

#endif

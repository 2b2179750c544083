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
 * Exactly-once: a request whose operation is not idempotent (UpdateItem)
 * is retried only when it provably was not applied -- AWS said so
 * (throttling, a signature refused) or no byte of its body ever left this
 * process.  When the outcome cannot be known (timeout or connection lost
 * after the body was sent, a 5xx answer) it completes with CLIENT_UNKNOWN
 * and is never re-sent, not even by libcurl's own silent retry on a reused
 * connection (see docs/aws.md).  Idempotent requests are retried on any
 * transient error.
 *
 * The retry rules, error parsing and backoff are pure functions in
 * retry.h; region and endpoint resolution are region.h and endpoint.h.
 * This module knows nothing about DynamoDB items or SSM parameters, not
 * even their operation names: each caller names its operations
 * (struct client_op), which also label the visitsd_aws_* metrics.
 */
#ifndef VISITSD_AWS_CLIENT_H
#define VISITSD_AWS_CLIENT_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct creds_provider;
struct metrics_counter;

enum client_outcome {
	CLIENT_OK = 0,		/* 2xx: body is the answer */
	CLIENT_FAILED,		/* refused for good (4xx) or a local error;
				   not applied */
	CLIENT_UNAVAILABLE,	/* transient, not applied: retries or the
				   retry quota exhausted, or shutting down */
	CLIENT_UNKNOWN,		/* not idempotent and may have been applied */
};
#define CLIENT_NOUTCOMES	4

/* The final answer to a request; every pointer is borrowed for the call. */
struct client_response {
	enum client_outcome outcome;
	long		 status;	/* last HTTP status, 0 if none */
	const char	*body;		/* last answer body, NUL-terminated */
	size_t		 body_len;
	const char	*error_type;	/* "ThrottlingException", or "" */
	const char	*error_message;	/* AWS's message or libcurl's, or "" */
	int		 attempts;	/* attempts made, >= 1 unless never sent */
	int		 throttles;	/* attempts answered "throttled" */
	const char	*throttle_reason; /* the last one's ThrottlingReasons
					   reason (retry_throttle_reason), or "" */
};

/* Completion, called exactly once per request on the client thread. */
typedef void client_done_fn(void *arg, const struct client_response *resp);

/*
 * An operation of a service, owned by the caller in static storage and
 * written with CLIENT_OP: its name is the X-Amz-Target suffix and the op
 * label of the visitsd_aws_* metrics, whose counters the client registers
 * on first use (the fields after the labels are the client's).
 */
struct client_op {
	const char	*name;		/* "UpdateItem" */
	bool		 idempotent;	/* may be re-sent after any error */
	/* An error type that is an answer, not a failure (a conditional
	   write's "ConditionalCheckFailedException"): still CLIENT_FAILED,
	   counted with outcome "ok" and logged at debug level only.  NULL for
	   none; see CLIENT_OP_EXPECTING. */
	const char	*expected_error;
	const char	*label;		/* op="UpdateItem" */
	const char	*outcome_labels[CLIENT_NOUTCOMES];
	/* The client's, registered once: */
	atomic_bool	 registered;
	struct metrics_counter *requests[CLIENT_NOUTCOMES];
	struct metrics_counter *retries, *throttles, *unknown;
};

/* A struct client_op initialiser: name a string literal. */
#define CLIENT_OP(opname, idem) {					\
	.name = opname, .idempotent = (idem),				\
	.label = "op=\"" opname "\"",					\
	.outcome_labels = {						\
		"op=\"" opname "\",outcome=\"ok\"",			\
		"op=\"" opname "\",outcome=\"error\"",			\
		"op=\"" opname "\",outcome=\"unavailable\"",		\
		"op=\"" opname "\",outcome=\"unknown\"" } }
/* The same, for an operation with an expected error type (see above). */
#define CLIENT_OP_EXPECTING(opname, idem, err) {			\
	.name = opname, .idempotent = (idem), .expected_error = (err),	\
	.label = "op=\"" opname "\"",					\
	.outcome_labels = {						\
		"op=\"" opname "\",outcome=\"ok\"",			\
		"op=\"" opname "\",outcome=\"error\"",			\
		"op=\"" opname "\",outcome=\"unavailable\"",		\
		"op=\"" opname "\",outcome=\"unknown\"" } }

struct client_options {
	const char	*service;	/* signing name: "dynamodb", "ssm" */
	const char	*target_prefix;	/* X-Amz-Target prefix, with the dot */
	const char	*content_type;	/* application/x-amz-json-1.0 or 1.1 */
	int		 connect_timeout_ms;
	int		 request_timeout_ms;	/* per attempt, whole transfer */
	int		 max_attempts;	/* 0: AWS_MAX_ATTEMPTS, else 3 */
	const char	*region;	/* NULL: region_resolve */
	const char	*endpoint;	/* NULL: endpoint_resolve */
	struct creds_provider *creds;	/* stolen; NULL: cached default chain */
	/* NULL-terminated; their metrics are registered now, so they show
	   (at zero) from startup.  Borrowed; may be NULL. */
	struct client_op *const *ops;
};

struct client;

/*
 * Create a client and start its thread.  Fetches credentials once (this
 * may block on a credential endpoint) and resolves region and endpoint.
 * opts and its strings are borrowed for the call; opts->creds is stolen
 * even on failure.  Returns a new client, or NULL with the reason in err.
 */
struct client	*client_new(const struct client_options *opts, char *err,
		    size_t errlen);

/*
 * Stop: requests already sent finish (bounded by the request timeout),
 * requests waiting for a retry or not yet started complete with
 * CLIENT_UNAVAILABLE, completions may still submit follow-up requests
 * while draining; then the thread is joined and everything freed.  Accepts
 * NULL.  Must not be called from the client thread.
 */
void	client_free(struct client *c);

/*
 * Submit op (borrowed, static: see struct client_op) with body (stolen: a
 * malloc'd JSON string, wiped and freed by the client; NULL when the
 * caller's builder failed, which completes with CLIENT_FAILED).
 * done(arg, resp) is called once, on the client thread, or inline with
 * CLIENT_UNAVAILABLE after the client has stopped.  Safe from any thread.
 */
void	client_submit(struct client *c, struct client_op *op, char *body,
	    client_done_fn *done, void *arg);

#endif

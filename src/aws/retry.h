/*
 * retry: the pure rules behind the AWS client's retries, as the AWS SDKs'
 * "standard" retry mode defines them, plus the exactly-once rule visitsd
 * adds for requests that are not idempotent.
 *
 * Classifying an attempt, the throttling and clock-skew error codes, full
 * jitter backoff, the retry quota (a token bucket) and parsing the error
 * answer and the Date header.  No I/O, no clock, no globals: client.c owns
 * the transfers and passes in what happened and a random number.
 */
#ifndef VISITSD_AWS_RETRY_H
#define VISITSD_AWS_RETRY_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/*
 * Parse an AWS JSON error answer: __type (or code), with any "namespace#"
 * prefix stripped, into type; message (or Message) into msg.  Either is ""
 * when absent or when body is not JSON.  Never fails.
 */
void	retry_error_parse(const char *body, size_t len, char *type,
	    size_t typelen, char *msg, size_t msglen);

/*
 * The first entry of a throttling answer's ThrottlingReasons list (DynamoDB:
 * {"ThrottlingReasons":[{"reason":"TableWriteKeyRangeThroughputExceeded",
 * "resource":"arn:..."}]}) into reason; "" when absent or not JSON.  Never
 * fails.
 */
void	retry_throttle_reason(const char *body, size_t len, char *reason,
	    size_t reasonlen);

/* What happened on the wire during one attempt. */
enum retry_transport {
	RETRY_TRANSPORT_ANSWERED,	/* a complete HTTP answer arrived */
	RETRY_TRANSPORT_NOT_SENT,	/* failed before any body byte left */
	RETRY_TRANSPORT_TIMEOUT,	/* timed out after the body was handed over */
	RETRY_TRANSPORT_LOST,	/* any other failure after that point */
};

/* What to do about one attempt. */
enum retry_verdict {
	RETRY_VERDICT_OK,		/* 2xx */
	RETRY_VERDICT_FAIL,	/* final, not applied */
	RETRY_VERDICT_UNKNOWN,	/* final, maybe applied */
	RETRY_VERDICT_RETRY_THROTTLE,	/* not applied, throttled */
	RETRY_VERDICT_RETRY_SKEW,	/* not applied, clock skew: re-sign */
	RETRY_VERDICT_RETRY_TRANSIENT,	/* not applied or idempotent */
	RETRY_VERDICT_RETRY_TIMEOUT,	/* idempotent request timed out */
};

/*
 * Classify an attempt: transport, the HTTP status and the parsed error
 * (when answered), and whether the request is idempotent.  This one
 * function holds the exactly-once rule: a non-idempotent request gets a
 * RETRY verdict only when it certainly was not applied.
 */
enum retry_verdict	retry_classify(enum retry_transport, long status,
			    const char *error_type, const char *error_message,
			    bool idempotent);

/* true for the error codes the SDKs treat as throttling. */
bool	retry_is_throttle(const char *error_type, long status);
/* true for the clock-skew answers (expired or too-skewed signatures). */
bool	retry_is_skew(const char *error_type, const char *error_message);

/*
 * Backoff before retry number retry (1 for the first retry): full jitter,
 * rnd01 * min(20 s, base * 2^(retry-1)) with base 100 ms, or 500 ms after
 * throttling.  rnd01 in [0, 1).  Milliseconds.
 */
long	retry_backoff_ms(int retry, bool throttled, double rnd01);

/* The standard mode's retry quota: a token bucket, 500 tokens. */
struct retry_quota {
	int	tokens;
};
#define RETRY_QUOTA_MAX		500
#define RETRY_COST		5
#define RETRY_TIMEOUT_COST	10

/* A full bucket (q is the caller's, borrowed). */
void	retry_quota_init(struct retry_quota *q);
/* Take the cost of a retry (0 when none is left); returns what was taken. */
int	retry_quota_acquire(struct retry_quota *, bool timeout);
/* A success: give back cost (what its retries took), or 1 if none. */
void	retry_quota_release(struct retry_quota *, int cost);

/*
 * The attempts per request from AWS_MAX_ATTEMPTS's value s (borrowed; NULL
 * or "" when unset), counting the first try: 3 when unset, else 1 to 100.
 * Returns it, or -1 with the reason in err.
 */
int	retry_max_attempts(const char *s, char *err, size_t errlen);

/*
 * Parse an HTTP Date (IMF-fixdate, "Sun, 06 Nov 1994 08:49:37 GMT"): 0 with
 * the UTC time in *out, or -1 for anything else (RFC 850, asctime).
 */
int	retry_parse_http_date(const char *s, time_t *out);

#endif

/*
 * retry: the standard retry mode's rules (which errors are retried, full
 * jitter backoff, the retry quota), the exactly-once rule for requests that
 * are not idempotent, the parsers for AWS error answers and the HTTP Date
 * header, and the AWS_MAX_ATTEMPTS value.  Pure: the caller supplies what
 * happened, the setting's value and the randomness.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <jansson.h>

#include "aws/retry.h"

/*
 * The throttling codes of the standard retry mode (the SDKs' shared list);
 * an answer with one of these was refused before anything was applied.
 */
static const char *const throttle_codes[] = {
	"Throttling", "ThrottlingException", "ThrottledException",
	"RequestThrottledException", "TooManyRequestsException",
	"ProvisionedThroughputExceededException",
	"TransactionInProgressException", "RequestLimitExceeded",
	"BandwidthLimitExceeded", "LimitExceededException",
	"RequestThrottled", "SlowDown", "PriorRequestNotComplete",
	"EC2ThrottledException",
};

/* Transient codes other than throttling: retried when idempotent. */
static const char *const transient_codes[] = {
	"RequestTimeout", "RequestTimeoutException", "InternalError",
	"InternalFailure", "InternalServerError", "ServiceUnavailable",
};

/* Codes that always mean the signing time is too far from AWS's clock. */
static const char *const skew_codes[] = {
	"RequestTimeTooSkewed", "RequestExpired", "RequestInTheFuture",
};

/* Codes that mean clock skew when the message says so. */
static const char *const skew_if_message[] = {
	"InvalidSignatureException", "SignatureDoesNotMatch", "AuthFailure",
};

static bool
in_list(const char *s, const char *const *list, size_t n)
{
	size_t i;

	if (s == NULL || *s == '\0')
		return false;
	for (i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return true;
	return false;
}

#define IN(s, list)	in_list((s), (list), sizeof(list) / sizeof(list[0]))

bool
retry_is_throttle(const char *error_type, long status)
{
	return status == 429 || IN(error_type, throttle_codes);
}

bool
retry_is_skew(const char *error_type, const char *error_message)
{
	if (IN(error_type, skew_codes))
		return true;
	if (!IN(error_type, skew_if_message) || error_message == NULL)
		return false;
	return strstr(error_message, "Signature expired") != NULL ||
	    strstr(error_message, "Signature not yet current") != NULL ||
	    strstr(error_message, "too skewed") != NULL;
}

enum retry_verdict
retry_classify(enum retry_transport transport, long status,
    const char *error_type, const char *error_message, bool idempotent)
{
	switch (transport) {
	case RETRY_TRANSPORT_ANSWERED:
		if (status >= 200 && status < 300)
			return RETRY_VERDICT_OK;
		if (retry_is_throttle(error_type, status))
			return RETRY_VERDICT_RETRY_THROTTLE;
		if (retry_is_skew(error_type, error_message))
			return RETRY_VERDICT_RETRY_SKEW;
		if (status >= 500 || IN(error_type, transient_codes))
			return idempotent ? RETRY_VERDICT_RETRY_TRANSIENT :
			    RETRY_VERDICT_UNKNOWN;
		return RETRY_VERDICT_FAIL;
	case RETRY_TRANSPORT_NOT_SENT:
		return RETRY_VERDICT_RETRY_TRANSIENT;
	case RETRY_TRANSPORT_TIMEOUT:
		return idempotent ? RETRY_VERDICT_RETRY_TIMEOUT :
		    RETRY_VERDICT_UNKNOWN;
	case RETRY_TRANSPORT_LOST:
		break;
	}
	return idempotent ? RETRY_VERDICT_RETRY_TRANSIENT : RETRY_VERDICT_UNKNOWN;
}

long
retry_backoff_ms(int retry, bool throttled, double rnd01)
{
	const double cap = 20000.0;
	double ceiling = throttled ? 500.0 : 100.0;
	int i;

	for (i = 1; i < retry && ceiling < cap; i++)
		ceiling *= 2;
	if (ceiling > cap)
		ceiling = cap;
	if (rnd01 < 0)
		rnd01 = 0;
	if (rnd01 >= 1)
		rnd01 = 0.999999;
	return (long)(rnd01 * ceiling);
}

void
retry_quota_init(struct retry_quota *q)
{
	q->tokens = RETRY_QUOTA_MAX;
}

int
retry_quota_acquire(struct retry_quota *q, bool timeout)
{
	int cost = timeout ? RETRY_TIMEOUT_COST : RETRY_COST;

	if (q->tokens < cost)
		return 0;
	q->tokens -= cost;
	return cost;
}

void
retry_quota_release(struct retry_quota *q, int cost)
{
	q->tokens += cost > 0 ? cost : 1;
	if (q->tokens > RETRY_QUOTA_MAX)
		q->tokens = RETRY_QUOTA_MAX;
}

int
retry_max_attempts(const char *s, char *err, size_t errlen)
{
	char *end;
	long v;

	if (s == NULL || *s == '\0')
		return 3;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 1 || v > 100) {
		snprintf(err, errlen, "AWS_MAX_ATTEMPTS: \"%s\" is not a number "
		    "from 1 to 100", s);
		return -1;
	}
	return (int)v;
}

static void
copy_str(char *dst, size_t dstlen, const char *src)
{
	if (dstlen > 0)
		snprintf(dst, dstlen, "%s", src != NULL ? src : "");
}

void
retry_error_parse(const char *body, size_t len, char *type, size_t typelen,
    char *msg, size_t msglen)
{
	json_t *root, *t, *m;
	const char *ts, *hash;

	copy_str(type, typelen, "");
	copy_str(msg, msglen, "");
	if (body == NULL || len == 0)
		return;
	root = json_loadb(body, len, 0, NULL);
	if (!json_is_object(root)) {
		json_decref(root);
		return;
	}
	t = json_object_get(root, "__type");
	if (!json_is_string(t))
		t = json_object_get(root, "code");
	if (json_is_string(t)) {
		ts = json_string_value(t);
		if ((hash = strrchr(ts, '#')) != NULL)
			ts = hash + 1;
		copy_str(type, typelen, ts);
	}
	m = json_object_get(root, "message");
	if (!json_is_string(m))
		m = json_object_get(root, "Message");
	if (json_is_string(m))
		copy_str(msg, msglen, json_string_value(m));
	json_decref(root);
}

void
retry_throttle_reason(const char *body, size_t len, char *reason,
    size_t reasonlen)
{
	json_t *root, *list, *first, *r;

	copy_str(reason, reasonlen, "");
	if (body == NULL || len == 0)
		return;
	root = json_loadb(body, len, 0, NULL);
	list = json_is_object(root) ?
	    json_object_get(root, "ThrottlingReasons") : NULL;
	first = json_is_array(list) ? json_array_get(list, 0) : NULL;
	r = json_is_object(first) ? json_object_get(first, "reason") : NULL;
	if (json_is_string(r))
		copy_str(reason, reasonlen, json_string_value(r));
	json_decref(root);
}

/* Read exactly n digits at *p into *out; advances *p. */
static int
digits(const char **p, int n, int *out)
{
	int v = 0;

	while (n-- > 0) {
		if (**p < '0' || **p > '9')
			return -1;
		v = v * 10 + (**p - '0');
		(*p)++;
	}
	*out = v;
	return 0;
}

static int
expect(const char **p, const char *lit)
{
	size_t n = strlen(lit);

	if (strncmp(*p, lit, n) != 0)
		return -1;
	*p += n;
	return 0;
}

int
retry_parse_http_date(const char *s, time_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	struct tm tm;
	const char *p = s, *m;
	int mon;

	memset(&tm, 0, sizeof(tm));
	while (*p == ' ' || *p == '\t')
		p++;
	/* Skip the weekday: "Sun, ". */
	if ((p = strchr(p, ',')) == NULL)
		return -1;
	p++;
	while (*p == ' ')
		p++;
	if (digits(&p, 2, &tm.tm_mday) == -1 || expect(&p, " ") == -1)
		return -1;
	if (strlen(p) < 3)
		return -1;
	for (m = months, mon = 0; *m != '\0'; m += 3, mon++)
		if (strncasecmp(p, m, 3) == 0)
			break;
	if (*m == '\0')
		return -1;
	tm.tm_mon = mon;
	p += 3;
	if (expect(&p, " ") == -1 || digits(&p, 4, &tm.tm_year) == -1 ||
	    expect(&p, " ") == -1 || digits(&p, 2, &tm.tm_hour) == -1 ||
	    expect(&p, ":") == -1 || digits(&p, 2, &tm.tm_min) == -1 ||
	    expect(&p, ":") == -1 || digits(&p, 2, &tm.tm_sec) == -1 ||
	    expect(&p, " GMT") == -1)
		return -1;
	if (tm.tm_mday < 1 || tm.tm_mday > 31 || tm.tm_hour > 23 ||
	    tm.tm_min > 59 || tm.tm_sec > 60)
		return -1;
	tm.tm_year -= 1900;
	*out = timegm(&tm);
	return 0;
}

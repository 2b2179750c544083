/*
 * check_aws_retry: the retry rules of the AWS client, without a network.
 * Above all the exactly-once rule: a request that is not idempotent gets a
 * retry verdict only when it certainly was not applied.
 */
#include <check.h>
#include <string.h>

#include "aws/retry.h"

Suite *suite_aws_retry(void);

#define ANSWERED	RETRY_TRANSPORT_ANSWERED

START_TEST(non_idempotent_retried_only_when_not_applied)
{
	/* AWS says it was not applied: retry. */
	ck_assert_int_eq(retry_classify(ANSWERED, 400, "ThrottlingException",
	    "", false), RETRY_VERDICT_RETRY_THROTTLE);
	ck_assert_int_eq(retry_classify(ANSWERED, 400,
	    "ProvisionedThroughputExceededException", "", false),
	    RETRY_VERDICT_RETRY_THROTTLE);
	ck_assert_int_eq(retry_classify(ANSWERED, 400, "RequestLimitExceeded",
	    "", false), RETRY_VERDICT_RETRY_THROTTLE);
	ck_assert_int_eq(retry_classify(ANSWERED, 429, "", "", false),
	    RETRY_VERDICT_RETRY_THROTTLE);
	ck_assert_int_eq(retry_classify(ANSWERED, 400,
	    "InvalidSignatureException", "Signature expired: 20261125T201534Z "
	    "is now earlier than ...", false), RETRY_VERDICT_RETRY_SKEW);
	ck_assert_int_eq(retry_classify(RETRY_TRANSPORT_NOT_SENT, 0, "", "",
	    false), RETRY_VERDICT_RETRY_TRANSIENT);
	/* Maybe applied: never re-sent. */
	ck_assert_int_eq(retry_classify(ANSWERED, 500, "InternalServerError",
	    "", false), RETRY_VERDICT_UNKNOWN);
	ck_assert_int_eq(retry_classify(ANSWERED, 503, "", "", false),
	    RETRY_VERDICT_UNKNOWN);
	ck_assert_int_eq(retry_classify(RETRY_TRANSPORT_TIMEOUT, 0, "", "",
	    false), RETRY_VERDICT_UNKNOWN);
	ck_assert_int_eq(retry_classify(RETRY_TRANSPORT_LOST, 0, "", "", false),
	    RETRY_VERDICT_UNKNOWN);
	/* Refused for good. */
	ck_assert_int_eq(retry_classify(ANSWERED, 400, "ValidationException",
	    "", false), RETRY_VERDICT_FAIL);
	ck_assert_int_eq(retry_classify(ANSWERED, 400,
	    "InvalidSignatureException", "The request signature we "
	    "calculated does not match", false), RETRY_VERDICT_FAIL);
	ck_assert_int_eq(retry_classify(ANSWERED, 200, "", "", false),
	    RETRY_VERDICT_OK);
}
END_TEST

START_TEST(idempotent_retried_on_any_transient_error)
{
	ck_assert_int_eq(retry_classify(ANSWERED, 500, "", "", true),
	    RETRY_VERDICT_RETRY_TRANSIENT);
	ck_assert_int_eq(retry_classify(ANSWERED, 502, "", "", true),
	    RETRY_VERDICT_RETRY_TRANSIENT);
	ck_assert_int_eq(retry_classify(RETRY_TRANSPORT_TIMEOUT, 0, "", "",
	    true), RETRY_VERDICT_RETRY_TIMEOUT);
	ck_assert_int_eq(retry_classify(RETRY_TRANSPORT_LOST, 0, "", "", true),
	    RETRY_VERDICT_RETRY_TRANSIENT);
	ck_assert_int_eq(retry_classify(ANSWERED, 400, "RequestTimeout", "",
	    true), RETRY_VERDICT_RETRY_TRANSIENT);
	ck_assert_int_eq(retry_classify(ANSWERED, 400,
	    "ResourceNotFoundException", "", true), RETRY_VERDICT_FAIL);
	ck_assert_int_eq(retry_classify(ANSWERED, 400, "RequestTimeTooSkewed",
	    "", true), RETRY_VERDICT_RETRY_SKEW);
}
END_TEST

START_TEST(error_type_drops_namespace_and_non_json_is_empty)
{
	char type[64], msg[128];
	const char *b1 = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
	    "ThrottlingException\",\"message\":\"Rate exceeded\"}";
	const char *b2 = "{\"__type\":\"ParameterNotFound\","
	    "\"Message\":\"no such parameter\"}";
	const char *b3 = "{\"code\":\"InvalidIdInRequest\"}";

	retry_error_parse(b1, strlen(b1), type, sizeof(type), msg, sizeof(msg));
	ck_assert_str_eq(type, "ThrottlingException");
	ck_assert_str_eq(msg, "Rate exceeded");
	retry_error_parse(b2, strlen(b2), type, sizeof(type), msg, sizeof(msg));
	ck_assert_str_eq(type, "ParameterNotFound");
	ck_assert_str_eq(msg, "no such parameter");
	retry_error_parse(b3, strlen(b3), type, sizeof(type), msg, sizeof(msg));
	ck_assert_str_eq(type, "InvalidIdInRequest");
	ck_assert_str_eq(msg, "");
	retry_error_parse("<html>", 6, type, sizeof(type), msg, sizeof(msg));
	ck_assert_str_eq(type, "");
	ck_assert_str_eq(msg, "");
	retry_error_parse(NULL, 0, type, sizeof(type), msg, sizeof(msg));
	ck_assert_str_eq(type, "");
}
END_TEST

START_TEST(backoff_is_full_jitter_doubling_to_20s)
{
	/* Full jitter: 0 at rnd 0, just under the ceiling at rnd ~1. */
	ck_assert_int_eq(retry_backoff_ms(1, false, 0.0), 0);
	ck_assert_int_eq(retry_backoff_ms(1, false, 0.5), 50);
	ck_assert_int_eq(retry_backoff_ms(2, false, 0.5), 100);
	ck_assert_int_eq(retry_backoff_ms(3, false, 0.5), 200);
	ck_assert_int_eq(retry_backoff_ms(1, true, 0.5), 250);
	ck_assert_int_eq(retry_backoff_ms(2, true, 0.5), 500);
	/* Capped at 20 s. */
	ck_assert_int_eq(retry_backoff_ms(30, false, 0.5), 10000);
	ck_assert_int_lt(retry_backoff_ms(30, true, 1.0), 20000);
	ck_assert_int_ge(retry_backoff_ms(30, true, 0.9999), 19990);
}
END_TEST

START_TEST(quota_runs_out_and_successes_refill_it)
{
	struct retry_quota q;
	int i, taken = 0;

	retry_quota_init(&q);
	ck_assert_int_eq(q.tokens, 500);
	ck_assert_int_eq(retry_quota_acquire(&q, false), 5);
	ck_assert_int_eq(retry_quota_acquire(&q, true), 10);
	ck_assert_int_eq(q.tokens, 485);
	retry_quota_release(&q, 15);
	ck_assert_int_eq(q.tokens, 500);
	/* Never above the maximum. */
	retry_quota_release(&q, 0);
	ck_assert_int_eq(q.tokens, 500);
	/* An outage drains it: 100 retries, then none. */
	for (i = 0; i < 200; i++)
		taken += retry_quota_acquire(&q, false) > 0;
	ck_assert_int_eq(taken, 100);
	ck_assert_int_eq(retry_quota_acquire(&q, false), 0);
	/* Each success without retries gives one token back. */
	for (i = 0; i < 5; i++)
		retry_quota_release(&q, 0);
	ck_assert_int_eq(retry_quota_acquire(&q, false), 5);
	ck_assert_int_eq(retry_quota_acquire(&q, false), 0);
}
END_TEST

START_TEST(http_date_accepts_only_imf_fixdate)
{
	time_t t;

	ck_assert_int_eq(retry_parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT",
	    &t), 0);
	ck_assert_int_eq((long)t, 784111777L);
	ck_assert_int_eq(retry_parse_http_date("Wed, 25 Nov 2026 20:15:34 GMT",
	    &t), 0);
	ck_assert_int_eq((long)t, 1795637734L);
	ck_assert_int_eq(retry_parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT",
	    &t), -1);
	ck_assert_int_eq(retry_parse_http_date("Sun, 06 Foo 1994 08:49:37 GMT",
	    &t), -1);
	ck_assert_int_eq(retry_parse_http_date("Sun, 06 Nov 1994 25:49:37 GMT",
	    &t), -1);
	ck_assert_int_eq(retry_parse_http_date("", &t), -1);
}
END_TEST

START_TEST(max_attempts_default_3_and_refuses_out_of_range)
{
	char err[128] = "";

	ck_assert_int_eq(retry_max_attempts(NULL, err, sizeof(err)), 3);
	ck_assert_int_eq(retry_max_attempts("", err, sizeof(err)), 3);
	ck_assert_int_eq(retry_max_attempts("1", err, sizeof(err)), 1);
	ck_assert_int_eq(retry_max_attempts("100", err, sizeof(err)), 100);
	ck_assert_int_eq(retry_max_attempts("0", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "AWS_MAX_ATTEMPTS"));
	ck_assert_int_eq(retry_max_attempts("101", err, sizeof(err)), -1);
	ck_assert_int_eq(retry_max_attempts("3x", err, sizeof(err)), -1);
}
END_TEST

START_TEST(throttle_reason_is_the_first_throttling_reason)
{
	const char *b1 = "{\"__type\":\"com.amazonaws.dynamodb.v20120810#"
	    "ProvisionedThroughputExceededException\",\"message\":\"x\","
	    "\"ThrottlingReasons\":[{\"reason\":"
	    "\"TableWriteKeyRangeThroughputExceeded\",\"resource\":"
	    "\"arn:aws:dynamodb:us-east-1:1:table/visits\"},{\"reason\":"
	    "\"TableWriteAccountLimitExceeded\"}]}";
	const char *b2 = "{\"__type\":\"ThrottlingException\"}";
	const char *b3 = "{\"ThrottlingReasons\":[{\"reason\":7}]}";
	char r[64];

	retry_throttle_reason(b1, strlen(b1), r, sizeof(r));
	ck_assert_str_eq(r, "TableWriteKeyRangeThroughputExceeded");
	retry_throttle_reason(b2, strlen(b2), r, sizeof(r));
	ck_assert_str_eq(r, "");
	retry_throttle_reason(b3, strlen(b3), r, sizeof(r));
	ck_assert_str_eq(r, "");
	retry_throttle_reason("not json", 8, r, sizeof(r));
	ck_assert_str_eq(r, "");
	retry_throttle_reason(NULL, 0, r, sizeof(r));
	ck_assert_str_eq(r, "");
}
END_TEST

Suite *suite_aws_retry(void)
{
	Suite *s = suite_create("aws_retry");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, non_idempotent_retried_only_when_not_applied);
	tcase_add_test(tc, idempotent_retried_on_any_transient_error);
	tcase_add_test(tc, error_type_drops_namespace_and_non_json_is_empty);
	tcase_add_test(tc, throttle_reason_is_the_first_throttling_reason);
	tcase_add_test(tc, backoff_is_full_jitter_doubling_to_20s);
	tcase_add_test(tc, quota_runs_out_and_successes_refill_it);
	tcase_add_test(tc, http_date_accepts_only_imf_fixdate);
	tcase_add_test(tc, max_attempts_default_3_and_refuses_out_of_range);
	suite_add_tcase(s, tc);
	return s;
}

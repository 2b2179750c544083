/*
 * check_endpoint: which URL endpoint_resolve picks for a service, and the
 * Host value endpoint_host derives from it.  The clean environment comes
 * from creds_fixture.h.
 */
#include "creds_fixture.h"
#include "aws/endpoint.h"

Suite *suite_endpoint(void);

START_TEST(endpoint_prefers_the_service_variable_then_the_global_one)
{
	char *u;

	ck_assert_str_eq(u = endpoint_resolve("dynamodb", "eu-west-1"),
	    "https://dynamodb.eu-west-1.amazonaws.com");
	free(u);
	ck_assert_str_eq(u = endpoint_resolve("ssm", "cn-north-1"),
	    "https://ssm.cn-north-1.amazonaws.com.cn");
	free(u);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
	ck_assert_str_eq(u = endpoint_resolve("dynamodb", "eu-west-1"),
	    "http://127.0.0.1:4566");
	free(u);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", 1);
	ck_assert_str_eq(u = endpoint_resolve("dynamodb", "eu-west-1"),
	    "http://127.0.0.1:8000");
	free(u);
	ck_assert_str_eq(u = endpoint_resolve("ssm", "eu-west-1"),
	    "http://127.0.0.1:4566");
	free(u);
	setenv("AWS_ENDPOINT_URL_API_GATEWAY_V2", "http://127.0.0.1:9", 1);
	ck_assert_str_eq(u = endpoint_resolve("api gateway-v2",
	    "eu-west-1"), "http://127.0.0.1:9");
	free(u);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	ck_assert_str_eq(u = endpoint_resolve("dynamodb", "eu-west-1"),
	    "https://dynamodb.eu-west-1.amazonaws.com");
	free(u);
}
END_TEST

START_TEST(endpoint_host_keeps_the_port_and_refuses_paths)
{
	char err[256] = "", *h;

	ck_assert_str_eq(h = endpoint_host("https://dynamodb.eu-west-1."
	    "amazonaws.com", err, sizeof(err)),
	    "dynamodb.eu-west-1.amazonaws.com");
	free(h);
	ck_assert_str_eq(h = endpoint_host("http://127.0.0.1:8000/", err,
	    sizeof(err)), "127.0.0.1:8000");
	free(h);
	ck_assert_ptr_null(endpoint_host("http://127.0.0.1:8000/v1", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "must not have a path"));
	ck_assert_ptr_null(endpoint_host("ftp://127.0.0.1", err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "scheme must be https"));
	ck_assert_ptr_null(endpoint_host("not a url", err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "is not a URL"));
}
END_TEST

Suite *suite_endpoint(void)
{
	Suite *s = suite_create("endpoint");
	TCase *tc = tcase_create("resolve");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc,
	    endpoint_prefers_the_service_variable_then_the_global_one);
	tcase_add_test(tc, endpoint_host_keeps_the_port_and_refuses_paths);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_endpoint: which URL endpoint_resolve picks for a service, and the
 * Host value endpoint_host derives from it, and endpoint_check keeping a
 * configured endpoint off plain http beyond loopback.  The clean
 * environment comes from creds_fixture.h.
 */
#include "creds_fixture.h"
#include "aws/endpoint.h"

/* endpoint_check on AWS_ENDPOINT_URL_DYNAMODB=url: 0 or -1. */
static int
check_url(const char *url, bool allow, char *err, size_t errlen)
{
	setenv("AWS_ENDPOINT_URL_DYNAMODB", url, 1);
	return endpoint_check("dynamodb", allow, err, errlen);
}

START_TEST(endpoint_check_allows_https_and_loopback_http)
{
	static const char *const ok[] = {
		"https://dynamodb.eu-west-1.amazonaws.com",
		"https://10.0.0.5:8443",
		"http://127.0.0.1:4566",
		"http://127.1.2.3:8000/",
		"http://localhost:8000",
		"http://LOCALHOST",
		"http://[::1]:8000",
		"http://[::ffff:127.0.0.1]:8000",
	};
	char err[256];

	ck_assert_int_eq(endpoint_check("dynamodb", false, err, sizeof(err)),
	    0);
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		ck_assert_msg(check_url(ok[i], false, err, sizeof(err)) == 0,
		    "%s: %s", ok[i], err);
}
END_TEST

START_TEST(endpoint_check_refuses_plain_http_elsewhere_unless_allowed)
{
	static const char *const bad[] = {
		"http://10.0.0.5:8000",
		"http://dynamodb.eu-west-1.amazonaws.com",
		"http://128.0.0.1",
		"http://[::2]:8000",
		"http://localhost.example.com",
		"http://127.0.0.1.example.com",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(check_url(bad[i], false, err, sizeof(err)) == -1,
		    "%s accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "AWS_ENDPOINT_URL_DYNAMODB: "
		    "plain http to "));
		ck_assert_int_eq(check_url(bad[i], true, err, sizeof(err)), 0);
	}
	/* The global variable is named when it is the one used. */
	unsetenv("AWS_ENDPOINT_URL_DYNAMODB");
	setenv("AWS_ENDPOINT_URL", "http://user:secret@10.1.1.1:80", 1);
	ck_assert_int_eq(endpoint_check("ssm", false, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "AWS_ENDPOINT_URL: plain http to "
	    "10.1.1.1,"));
	ck_assert_ptr_null(strstr(err, "secret"));
	/* Ignored variables are not checked: the https default is used. */
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	ck_assert_int_eq(endpoint_check("ssm", false, err, sizeof(err)), 0);
	unsetenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS");
	ck_assert_int_eq(check_url("not a url", true, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a URL"));
}
END_TEST

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
	tcase_add_test(tc, endpoint_check_allows_https_and_loopback_http);
	tcase_add_test(tc,
	    endpoint_check_refuses_plain_http_elsewhere_unless_allowed);
	suite_add_tcase(s, tc);
	return s;
}

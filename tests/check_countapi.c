/*
 * check_countapi: CountAPI names, the ns~key mapping and its one refused
 * pair, JSONP callback names and the {"value":N} bodies.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "countapi.h"

Suite	*suite_countapi(void);

static bool
name(const char *s)
{
	return countapi_name_ok(s, strlen(s));
}

START_TEST(names_follow_countapi)
{
	char n64[65], n65[66];

	ck_assert(name("abc"));
	ck_assert(name("my-site.example_com"));
	ck_assert(name("A.B"));
	ck_assert(name("..."));
	ck_assert(!name("ab"));
	ck_assert(!name(""));
	ck_assert(!name("a~b"));
	ck_assert(!name("a b"));
	ck_assert(!name("a/b"));
	ck_assert(!name("a%2"));
	ck_assert(!name("caf\xc3\xa9"));
	memset(n64, 'x', 64);
	n64[64] = '\0';
	memset(n65, 'x', 65);
	n65[65] = '\0';
	ck_assert(name(n64));
	ck_assert(!name(n65));
}
END_TEST

static int
map(const char *rest, char *out, const char **why)
{
	*why = NULL;
	return countapi_id(rest, out, API_ID_MAX + 1, why);
}

START_TEST(pairs_map_onto_ns_tilde_key)
{
	char out[API_ID_MAX + 1], rest[200];
	const char *why;

	ck_assert_int_eq(map("/mysite/home", out, &why), 0);
	ck_assert_str_eq(out, "mysite~home");
	ck_assert_int_eq(map("/home", out, &why), 0);
	ck_assert_str_eq(out, "default~home");
	ck_assert_int_eq(map("/a.b/c.d", out, &why), 0);
	ck_assert_str_eq(out, "a.b~c.d");
	/* The id is a valid visitsd id. */
	ck_assert_int_eq(api_id_parse(out, strlen(out), rest, &why), 0);

	ck_assert_int_eq(map("", out, &why), -1);
	ck_assert_int_eq(map("/", out, &why), -1);
	ck_assert_int_eq(map("/ab", out, &why), -1);
	ck_assert_int_eq(map("/abc/", out, &why), -1);
	ck_assert_int_eq(map("//abc", out, &why), -1);
	ck_assert_int_eq(map("/abc/def/ghi", out, &why), -1);
	ck_assert_int_eq(map("/ab~c/def", out, &why), -1);
	ck_assert_int_eq(map("/abc/d%65f", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "3 to 64"));

	/* 64 + '~' + 63 = 128 fits; 64 + '~' + 64 = 129 does not. */
	rest[0] = '/';
	memset(rest + 1, 'n', 64);
	rest[65] = '/';
	memset(rest + 66, 'k', 63);
	rest[129] = '\0';
	ck_assert_int_eq(map(rest, out, &why), 0);
	ck_assert_uint_eq(strlen(out), 128);
	ck_assert_int_eq(out[64], '~');
	rest[129] = 'k';
	rest[130] = '\0';
	ck_assert_int_eq(map(rest, out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "127"));
}
END_TEST

START_TEST(callbacks_are_identifiers)
{
	char c64[65], c65[66];

	ck_assert(countapi_callback_ok("cb"));
	ck_assert(countapi_callback_ok("_"));
	ck_assert(countapi_callback_ok("$"));
	ck_assert(countapi_callback_ok("jQuery3610_1700000000000"));
	ck_assert(countapi_callback_ok("a$1"));
	ck_assert(!countapi_callback_ok(""));
	ck_assert(!countapi_callback_ok("1a"));
	ck_assert(!countapi_callback_ok("a.b"));
	ck_assert(!countapi_callback_ok("a-b"));
	ck_assert(!countapi_callback_ok("alert(1)//"));
	ck_assert(!countapi_callback_ok("a;b"));
	ck_assert(!countapi_callback_ok("a b"));
	ck_assert(!countapi_callback_ok("<script>"));
	ck_assert(!countapi_callback_ok("caf\xc3\xa9"));
	memset(c64, 'c', 64);
	c64[64] = '\0';
	memset(c65, 'c', 65);
	c65[65] = '\0';
	ck_assert(countapi_callback_ok(c64));
	ck_assert(!countapi_callback_ok(c65));
}
END_TEST

START_TEST(bodies)
{
	char *s;

	s = countapi_body(NULL, true, 42, NULL);
	ck_assert_str_eq(s, "{\"value\":42}");
	free(s);
	s = countapi_body(NULL, false, 0, NULL);
	ck_assert_str_eq(s, "{\"value\":null}");
	free(s);
	s = countapi_body("cb", true, 1, NULL);
	ck_assert_str_eq(s, "cb({\"value\":1});");
	free(s);
	s = countapi_body("cb", false, 0, NULL);
	ck_assert_str_eq(s, "cb({\"value\":null});");
	free(s);
	s = countapi_body("cb", false, 0, "Too \"Many\"");
	ck_assert_str_eq(s, "cb({\"value\":null,\"message\":\"Too \\\"Many\\\""
	    "\"});");
	free(s);
	s = countapi_body(NULL, true, UINT64_MAX, NULL);
	ck_assert_str_eq(s, "{\"value\":9223372036854775807}");
	free(s);
}
END_TEST

Suite *suite_countapi(void)
{
	Suite *s = suite_create("countapi");
	TCase *tc = tcase_create("countapi");

	tcase_add_test(tc, names_follow_countapi);
	tcase_add_test(tc, pairs_map_onto_ns_tilde_key);
	tcase_add_test(tc, callbacks_are_identifiers);
	tcase_add_test(tc, bodies);
	suite_add_tcase(s, tc);
	return s;
}

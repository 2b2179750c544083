/*
 * check_origin: the CORS origin-list grammar that config validation and
 * api.c's CORS decision share, so `visitsd -n` and startup agree.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "origin.h"

Suite *suite_origin(void);

static void
assert_refused(const char *spec, const char *quoted)
{
	char err[256] = "";

	ck_assert_msg(origin_list_check(spec, err, sizeof(err)) == -1,
	    "\"%s\" accepted", spec);
	ck_assert_msg(strstr(err, quoted) != NULL, "%s: %s", spec, err);
	ck_assert_ptr_null(origin_list_new(spec, err, sizeof(err)));
}

/* The regression of issue 8: -n said OK, startup refused it. */
START_TEST(a_query_or_fragment_is_refused)
{
	assert_refused("https://a.example?x", "\"https://a.example?x\"");
	assert_refused("https://a.example#top", "\"https://a.example#top\"");
	assert_refused("https://a.example, https://b.example?", "b.example?");
}
END_TEST

START_TEST(a_path_or_list_syntax_in_an_entry_is_refused)
{
	assert_refused("https://a.example/path", "\"https://a.example/path\"");
	assert_refused("https://a.example//", "\"https://a.example//\"");
	assert_refused("https://a.com https://b.com", "a.com https");
	assert_refused("https://*.example", "\"https://*.example\"");
	assert_refused("https://a\x01.example", "a\x01.example");
}
END_TEST

START_TEST(only_http_and_https_origins_are_allowed)
{
	assert_refused("example.com", "\"example.com\"");
	assert_refused("ftp://example.com", "\"ftp://example.com\"");
	assert_refused("HTTPS://example.com", "\"HTTPS://example.com\"");
	assert_refused("https://", "\"https://\"");
	assert_refused("null", "\"null\"");
}
END_TEST

START_TEST(an_empty_entry_or_a_star_among_origins_is_refused)
{
	assert_refused("https://a.com,,https://b.com", "\"\"");
	assert_refused("https://a.com,", "\"\"");
	assert_refused(" ", "\"\"");
	assert_refused("https://a.com, *", "\"*\"");
}
END_TEST

START_TEST(star_allows_any_origin_but_not_a_missing_one)
{
	char err[128];
	struct origin_list *l = origin_list_new("*", err, sizeof(err));

	ck_assert_ptr_nonnull(l);
	ck_assert(origin_list_any(l));
	ck_assert_uint_eq(origin_list_count(l), 0);
	ck_assert(origin_list_match(l, "https://x.example"));
	ck_assert(!origin_list_match(l, NULL));
	origin_list_free(l);
}
END_TEST

START_TEST(the_empty_list_allows_nothing)
{
	char err[128];
	struct origin_list *l = origin_list_new("", err, sizeof(err));

	ck_assert_ptr_nonnull(l);
	ck_assert(!origin_list_any(l));
	ck_assert_uint_eq(origin_list_count(l), 0);
	ck_assert(!origin_list_match(l, "https://a.example"));
	origin_list_free(l);
	origin_list_free(NULL);
}
END_TEST

START_TEST(a_listed_origin_matches_ignoring_case_and_its_trailing_slash)
{
	char err[128];
	struct origin_list *l = origin_list_new(" https://a.example ,"
	    "https://b.example:8443/, http://localhost:3000", err,
	    sizeof(err));

	ck_assert_msg(l != NULL, "%s", err);
	ck_assert_uint_eq(origin_list_count(l), 3);
	ck_assert(origin_list_match(l, "https://a.example"));
	ck_assert(origin_list_match(l, "HTTPS://A.example"));
	ck_assert(origin_list_match(l, "https://b.example:8443"));
	ck_assert(origin_list_match(l, "http://localhost:3000"));
	ck_assert(!origin_list_match(l, "https://b.example"));
	ck_assert(!origin_list_match(l, "http://a.example"));
	ck_assert(!origin_list_match(l, "https://a.example.evil"));
	ck_assert(!origin_list_match(l, "https://a.example/"));
	ck_assert(!origin_list_match(l, NULL));
	origin_list_free(l);
}
END_TEST

/* The setting runs the same grammar: config_set refuses what startup would. */
START_TEST(the_setting_refuses_what_the_cors_policy_refuses)
{
	struct config cfg;
	char err[256];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_ALLOWED_ORIGINS",
	    "https://a.example?x", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_ALLOWED_ORIGINS: "
	    "\"https://a.example?x\" is not an origin"));
	ck_assert_str_eq(cfg.allowed_origins, "*");
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_origin(void)
{
	Suite *s = suite_create("origin");
	TCase *tc = tcase_create("list");

	tcase_add_test(tc, a_query_or_fragment_is_refused);
	tcase_add_test(tc, a_path_or_list_syntax_in_an_entry_is_refused);
	tcase_add_test(tc, only_http_and_https_origins_are_allowed);
	tcase_add_test(tc, an_empty_entry_or_a_star_among_origins_is_refused);
	tcase_add_test(tc, star_allows_any_origin_but_not_a_missing_one);
	tcase_add_test(tc, the_empty_list_allows_nothing);
	tcase_add_test(tc,
	    a_listed_origin_matches_ignoring_case_and_its_trailing_slash);
	tcase_add_test(tc, the_setting_refuses_what_the_cors_policy_refuses);
	suite_add_tcase(s, tc);
	return s;
}

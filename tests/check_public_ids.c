/*
 * check_public_ids: VISITSD_PUBLIC_IDS -- its grammar (api_id_parse's,
 * unescaped), matching of ids and prefix patterns, and the rule that
 * keyless access needs the rate limiter on.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "config.h"
#include "public_ids.h"

Suite	*suite_public_ids(void);

static int
check(const char *list)
{
	char why[256];

	return public_ids_check(list, why, sizeof(why));
}

START_TEST(grammar)
{
	char why[256], longid[200];

	ck_assert_int_eq(check(""), 0);
	ck_assert_int_eq(check("home"), 0);
	ck_assert_int_eq(check("home, blog-*,docs.v1*"), 0);
	ck_assert_int_eq(check("ns~key,A-z_0.9~"), 0);
	ck_assert_int_eq(check("*"), -1);
	ck_assert_int_eq(check("home,*"), -1);
	ck_assert_int_eq(check("a,,b"), -1);
	ck_assert_int_eq(check("a,"), -1);
	ck_assert_int_eq(check("a*b"), -1);
	ck_assert_int_eq(check("a**"), -1);
	ck_assert_int_eq(check("a/b"), -1);
	ck_assert_int_eq(check("a b"), -1);
	ck_assert_int_eq(check("%41"), -1);
	ck_assert_int_eq(check("."), -1);
	ck_assert_int_eq(check(".."), -1);
	ck_assert_int_eq(check("caf\xc3\xa9"), -1);
	memset(longid, 'a', 128);
	longid[128] = '\0';
	ck_assert_int_eq(check(longid), 0);
	longid[128] = '*';
	longid[129] = '\0';
	ck_assert_int_eq(check(longid), 0);
	longid[128] = 'a';
	ck_assert_int_eq(check(longid), -1);
	ck_assert_int_eq(public_ids_check("good,ba d", why, sizeof(why)), -1);
	ck_assert_ptr_nonnull(strstr(why, "\"ba d\""));
}
END_TEST

/*
 * Every character but the list's comma: an entry holding it is valid
 * exactly when it is an id that needs no percent-escape.
 */
START_TEST(grammar_is_api_id_parse)
{
	for (int c = 1; c < 256; c++) {
		if (c == ',')
			continue;
		char entry[4] = { 'x', (char)c, 'x', '\0' };
		char out[API_ID_MAX + 1];
		const char *why;
		bool id = api_id_parse(entry, 3, out, &why) == 0;

		ck_assert_msg((check(entry) == 0) == id, "char %d", c);
	}
}
END_TEST

START_TEST(matching)
{
	char why[256];
	struct public_ids *p = public_ids_new("home, blog-*, x", why,
	    sizeof(why));

	ck_assert_ptr_nonnull(p);
	ck_assert_uint_eq(public_ids_count(p), 3);
	ck_assert(public_ids_match(p, "home"));
	ck_assert(!public_ids_match(p, "home2"));
	ck_assert(!public_ids_match(p, "hom"));
	ck_assert(!public_ids_match(p, "Home"));
	ck_assert(public_ids_match(p, "blog-"));
	ck_assert(public_ids_match(p, "blog-2026"));
	ck_assert(!public_ids_match(p, "blog"));
	ck_assert(!public_ids_match(p, "xblog-1"));
	ck_assert(public_ids_match(p, "x"));
	ck_assert(!public_ids_match(p, "xx"));
	public_ids_free(p);
	ck_assert(!public_ids_match(NULL, "home"));
	p = public_ids_new("", why, sizeof(why));
	ck_assert_uint_eq(public_ids_count(p), 0);
	ck_assert(!public_ids_match(p, "home"));
	public_ids_free(p);
	ck_assert_ptr_null(public_ids_new("a,*", why, sizeof(why)));
	public_ids_free(NULL);
}
END_TEST

static int
validate(const char *public_ids, const char *countapi, const char *rate,
    char *err, size_t errlen)
{
	struct config cfg;
	int rc;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, errlen), 0);
	ck_assert_int_eq(config_set(&cfg, "public_ids", public_ids, err,
	    errlen), 0);
	ck_assert_int_eq(config_set(&cfg, "countapi", countapi, err,
	    errlen), 0);
	ck_assert_int_eq(config_set(&cfg, "rate_limit", rate, err, errlen),
	    0);
	rc = config_validate(&cfg, err, errlen);
	config_cleanup(&cfg);
	return rc;
}

START_TEST(keyless_needs_the_rate_limit)
{
	struct config cfg;
	char err[512];

	ck_assert_int_eq(validate("home", "false", "10", err, sizeof(err)), 0);
	ck_assert_int_eq(validate("", "true", "0.5", err, sizeof(err)), 0);
	ck_assert_int_eq(validate("", "false", "0", err, sizeof(err)), 0);
	ck_assert_int_eq(validate("home", "false", "0", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_PUBLIC_IDS"));
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_RATE_LIMIT"));
	ck_assert_int_eq(validate("", "true", "0", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_COUNTAPI"));
	/* A bad list is refused where it is set, naming the setting. */
	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_PUBLIC_IDS", "a,*", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_PUBLIC_IDS"));
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_public_ids(void)
{
	Suite *s = suite_create("public_ids");
	TCase *tc = tcase_create("public_ids");

	tcase_add_test(tc, grammar);
	tcase_add_test(tc, grammar_is_api_id_parse);
	tcase_add_test(tc, matching);
	tcase_add_test(tc, keyless_needs_the_rate_limit);
	suite_add_tcase(s, tc);
	return s;
}

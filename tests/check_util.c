/*
 * check_util: the shared helpers -- hex digits, comma-list walking, secret
 * wiping and the monotonic clock.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

Suite	*suite_util(void);

START_TEST(hexval_digits)
{
	ck_assert_int_eq(util_hexval('0'), 0);
	ck_assert_int_eq(util_hexval('9'), 9);
	ck_assert_int_eq(util_hexval('a'), 10);
	ck_assert_int_eq(util_hexval('F'), 15);
	ck_assert_int_eq(util_hexval('g'), -1);
	ck_assert_int_eq(util_hexval('%'), -1);
	ck_assert_int_eq(util_hexval('\0'), -1);
}
END_TEST

/* Walk list into "[item]" pieces joined in out. */
static size_t
walk(const char *list, char *out, size_t outlen)
{
	const char *p = list, *item;
	size_t len, n = 0, off = 0;

	out[0] = '\0';
	while (util_list_next(&p, &item, &len)) {
		off += (size_t)snprintf(out + off, outlen - off, "[%.*s]",
		    (int)len, item);
		n++;
	}
	return n;
}

START_TEST(list_items_trimmed)
{
	char out[128];

	ck_assert_uint_eq(walk("a, b ,\tc", out, sizeof(out)), 3);
	ck_assert_str_eq(out, "[a][b][c]");
	ck_assert_uint_eq(util_list_count("a, b ,\tc"), 3);
	ck_assert_uint_eq(walk("one key", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "[one key]");
}
END_TEST

START_TEST(list_empty_items)
{
	char out[128];

	ck_assert_uint_eq(walk("", out, sizeof(out)), 1);
	ck_assert_str_eq(out, "[]");
	ck_assert_uint_eq(walk(" , a,", out, sizeof(out)), 3);
	ck_assert_str_eq(out, "[][a][]");
	ck_assert_uint_eq(util_list_count(" , a,"), 3);
}
END_TEST

START_TEST(secrets_and_allocation)
{
	char *s = xstrdup("secret");
	int *z = xcalloc(4, sizeof(*z));

	ck_assert_str_eq(s, "secret");
	ck_assert_int_eq(z[0] | z[1] | z[2] | z[3], 0);
	util_free_secret(s);
	util_free_secret(NULL);
	util_wipe_free(z, 4 * sizeof(*z));
	util_wipe_free(NULL, 8);
}
END_TEST

START_TEST(clock_is_monotonic)
{
	uint64_t a = util_now_ms(), b = util_now_ms();

	ck_assert_uint_ge(b, a);
	ck_assert_uint_gt(a, 0);
}
END_TEST

Suite *suite_util(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, hexval_digits);
	tcase_add_test(tc, list_items_trimmed);
	tcase_add_test(tc, list_empty_items);
	tcase_add_test(tc, secrets_and_allocation);
	tcase_add_test(tc, clock_is_monotonic);
	suite_add_tcase(s, tc);
	return s;
}

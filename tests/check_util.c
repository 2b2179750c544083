/*
 * check_util: the shared helpers -- hex digits, comma-list walking, socket
 * addresses as text, secret wiping, the allocators and the monotonic
 * clock.
 */
#include <netinet/in.h>

#include <arpa/inet.h>
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

Suite	*suite_util(void);

START_TEST(hexval_reads_either_case_and_refuses_the_rest)
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

/* Walk list; each item must come out as "[item]" in order, as want says. */
static void
expect_items(const char *list, size_t n, const char *want)
{
	const char *p = list, *item;
	char out[128];
	size_t len, got = 0, off = 0;

	out[0] = '\0';
	while (util_list_next(&p, &item, &len)) {
		off += (size_t)snprintf(out + off, sizeof(out) - off, "[%.*s]",
		    (int)len, item);
		got++;
	}
	ck_assert_msg(got == n && strcmp(out, want) == 0,
	    "\"%s\": %zu items %s, want %zu %s", list, got, out, n, want);
	ck_assert_uint_eq(util_list_count(list), n);
}

START_TEST(list_items_trimmed)
{
	expect_items("a, b ,\tc", 3, "[a][b][c]");
	expect_items("one key", 1, "[one key]");
	expect_items(" https://a.example/ ", 1, "[https://a.example/]");
}
END_TEST

START_TEST(list_empty_items)
{
	expect_items("", 1, "[]");
	expect_items(" , a,", 3, "[][a][]");
	expect_items(",,", 3, "[][][]");
}
END_TEST

START_TEST(secrets_are_freed_and_null_is_accepted)
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

START_TEST(allocators_return_what_was_asked)
{
	char *m = xmalloc(0), *n = xstrndup("abcdef", 3);
	char *f = xasprintf("%s-%d", "id", 42);
	int *a = xreallocarray(NULL, 2, sizeof(*a));

	ck_assert_ptr_nonnull(m);
	ck_assert_str_eq(n, "abc");
	ck_assert_str_eq(f, "id-42");
	a[0] = 1;
	a[1] = 2;
	a = xreallocarray(a, 1000, sizeof(*a));
	ck_assert_int_eq(a[0] + a[1], 3);
	free(m);
	free(n);
	free(f);
	free(a);
}
END_TEST

START_TEST(addresses_are_numeric_host_and_port)
{
	struct sockaddr_in v4 = { .sin_family = AF_INET,
	    .sin_port = htons(8080) };
	struct sockaddr_in6 v6 = { .sin6_family = AF_INET6,
	    .sin6_port = htons(443) };
	char out[INET6_ADDRSTRLEN + 8];

	inet_pton(AF_INET, "127.0.0.1", &v4.sin_addr);
	util_format_address((struct sockaddr *)&v4, sizeof(v4), out,
	    sizeof(out));
	ck_assert_str_eq(out, "127.0.0.1:8080");
	inet_pton(AF_INET6, "::1", &v6.sin6_addr);
	util_format_address((struct sockaddr *)&v6, sizeof(v6), out,
	    sizeof(out));
	ck_assert_str_eq(out, "[::1]:443");
	util_format_address((struct sockaddr *)&v6, 2, out, sizeof(out));
	ck_assert_str_eq(out, "?");
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
	const TTest *tests[] = {
		hexval_reads_either_case_and_refuses_the_rest,
		list_items_trimmed, list_empty_items,
		secrets_are_freed_and_null_is_accepted,
		allocators_return_what_was_asked,
		addresses_are_numeric_host_and_port, clock_is_monotonic,
	};
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	for (size_t i = 0; i < sizeof(tests) / sizeof(tests[0]); i++)
		tcase_add_test(tc, tests[i]);
	suite_add_tcase(s, tc);
	return s;
}

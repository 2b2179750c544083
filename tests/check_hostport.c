/*
 * check_hostport: the listen-address grammar shared by the configuration
 * and http.c.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "hostport.h"

Suite *suite_hostport(void);

START_TEST(brackets_give_an_ipv6_host_without_them)
{
	struct hostport hp;
	char err[256];

	ck_assert_int_eq(hostport_parse("[::1]:9000", &hp, err, sizeof(err)),
	    0);
	ck_assert_str_eq(hp.host, "::1");
	ck_assert_int_eq(hp.port, 9000);
	ck_assert(hp.ipv6);
}
END_TEST

START_TEST(ipv4_and_host_names_keep_their_host)
{
	struct hostport hp;
	char err[256];

	ck_assert_int_eq(hostport_parse("10.0.0.1:0", &hp, err, sizeof(err)),
	    0);
	ck_assert_str_eq(hp.host, "10.0.0.1");
	ck_assert_int_eq(hp.port, 0);
	ck_assert(!hp.ipv6);
	ck_assert_int_eq(hostport_parse("localhost:65535", &hp, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(hp.host, "localhost");
	ck_assert_int_eq(hp.port, 65535);
}
END_TEST

START_TEST(empty_host_and_star_mean_every_ipv4_address)
{
	struct hostport hp;
	char err[256];

	ck_assert_int_eq(hostport_parse("*:81", &hp, err, sizeof(err)), 0);
	ck_assert_str_eq(hp.host, "0.0.0.0");
	ck_assert_int_eq(hp.port, 81);
	ck_assert(hostport_is_wildcard(&hp));
	ck_assert_int_eq(hostport_parse(":82", &hp, err, sizeof(err)), 0);
	ck_assert_str_eq(hp.host, "0.0.0.0");
	ck_assert(hostport_is_wildcard(&hp));
	ck_assert_int_eq(hostport_parse("[::]:83", &hp, err, sizeof(err)), 0);
	ck_assert(hostport_is_wildcard(&hp));
	ck_assert_int_eq(hostport_parse("[0:0::0]:83", &hp, err, sizeof(err)),
	    0);
	ck_assert(hostport_is_wildcard(&hp));
	ck_assert_int_eq(hostport_parse("127.0.0.1:84", &hp, err, sizeof(err)),
	    0);
	ck_assert(!hostport_is_wildcard(&hp));
}
END_TEST

START_TEST(malformed_addresses_are_refused_quoting_the_address)
{
	static const char *const bad[] = { "::1:80", "127.0.0.1", "**:80",
	    "host:", "host:65536", "host:8o", "[::1]80", "[zz]:80",
	    "1.2.3.4.5:80", "a_b:80", "[]:80", "[::1:80", "host:+80",
	    "host:123456", "" };
	struct hostport hp;
	char err[256], want[64];
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(hostport_parse(bad[i], &hp, err, sizeof(err)) ==
		    -1, "%s accepted", bad[i]);
		snprintf(want, sizeof(want), "\"%s\"", bad[i]);
		ck_assert_msg(strstr(err, want) != NULL, "%s: %s", bad[i], err);
	}
}
END_TEST

START_TEST(an_overlong_host_is_refused)
{
	char addr[HOSTPORT_HOST_MAX + 8], err[1024];
	struct hostport hp;

	memset(addr, 'a', HOSTPORT_HOST_MAX);
	snprintf(addr + HOSTPORT_HOST_MAX, 8, ":80");
	ck_assert_int_eq(hostport_parse(addr, &hp, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "overlong host"));
	/* The longest host that fits is accepted. */
	snprintf(addr + HOSTPORT_HOST_MAX - 1, 8, ":80");
	ck_assert_int_eq(hostport_parse(addr, &hp, err, sizeof(err)), 0);
}
END_TEST

Suite *suite_hostport(void)
{
	Suite *s = suite_create("hostport");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, brackets_give_an_ipv6_host_without_them);
	tcase_add_test(tc, ipv4_and_host_names_keep_their_host);
	tcase_add_test(tc, empty_host_and_star_mean_every_ipv4_address);
	tcase_add_test(tc, malformed_addresses_are_refused_quoting_the_address);
	tcase_add_test(tc, an_overlong_host_is_refused);
	suite_add_tcase(s, tc);
	return s;
}

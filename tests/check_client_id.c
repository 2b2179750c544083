/*
 * check_client_id: the trusted-proxy CIDR list, the address grammars of
 * X-Forwarded-For and CloudFront-Viewer-Address, and which address is the
 * client: a spoofed header from an untrusted peer is ignored, the
 * right-most untrusted X-Forwarded-For entry is chosen, the CloudFront
 * header is believed only from a trusted peer.
 */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <string.h>

#include "client_id.h"
#include "config.h"

Suite *suite_client_id(void);

static struct client_addr
addr(const char *s)
{
	struct client_addr a;

	ck_assert_msg(client_id_parse(s, strlen(s), &a) == 0, "%s", s);
	return a;
}

static const char *
text(const struct client_addr *a)
{
	static char buf[CLIENT_ID_TEXT_MAX];

	client_id_format(a, buf, sizeof(buf));
	return buf;
}

static struct client_id_proxies *
proxies(const char *spec)
{
	char err[256];
	struct client_id_proxies *p = client_id_proxies_new(spec, err,
	    sizeof(err));

	ck_assert_msg(p != NULL, "%s: %s", spec, err);
	return p;
}

START_TEST(addresses_parse_with_or_without_a_port)
{
	struct client_addr a;

	a = addr(" 192.0.2.7 ");
	ck_assert_str_eq(text(&a), "192.0.2.7");
	a = addr("192.0.2.7:4711");
	ck_assert_str_eq(text(&a), "192.0.2.7");
	a = addr("2001:db8::1");
	ck_assert_str_eq(text(&a), "2001:db8::1");
	a = addr("[2001:db8::1]:443");
	ck_assert_str_eq(text(&a), "2001:db8::1");
	a = addr("[2001:db8::2]");
	ck_assert_str_eq(text(&a), "2001:db8::2");
	ck_assert_int_eq(client_id_parse("", 0, &a), -1);
	ck_assert_int_eq(client_id_parse("unknown", 7, &a), -1);
	ck_assert_int_eq(client_id_parse("192.0.2.7:x", 11, &a), -1);
	ck_assert_int_eq(client_id_parse("192.0.2.256", 11, &a), -1);
	ck_assert_int_eq(client_id_parse("[192.0.2.1]:1", 13, &a), -1);
	ck_assert_int_eq(client_id_parse("[2001:db8::1]x", 14, &a), -1);
}
END_TEST

START_TEST(the_cloudfront_viewer_address_ends_with_the_port)
{
	struct client_addr a;

	ck_assert_int_eq(client_id_parse_viewer("198.51.100.10:46532", &a), 0);
	ck_assert_str_eq(text(&a), "198.51.100.10");
	/* IPv6 unbracketed: the last colon separates the port. */
	ck_assert_int_eq(client_id_parse_viewer("2001:db8::1:12345", &a), 0);
	ck_assert_str_eq(text(&a), "2001:db8::1");
	ck_assert_int_eq(client_id_parse_viewer("[2001:db8::5]:12345", &a), 0);
	ck_assert_str_eq(text(&a), "2001:db8::5");
	ck_assert_int_eq(client_id_parse_viewer("198.51.100.10", &a), -1);
	ck_assert_int_eq(client_id_parse_viewer("198.51.100.10:", &a), -1);
	ck_assert_int_eq(client_id_parse_viewer("nonsense:1", &a), -1);
	ck_assert_int_eq(client_id_parse_viewer(NULL, &a), -1);
}
END_TEST

START_TEST(cidr_lists_parse_match_and_refuse_typos)
{
	struct client_id_proxies *p = proxies("10.0.0.0/8, 192.0.2.1, "
	    "2001:db8::/32, 127.0.0.0/8");
	struct client_addr a;
	char err[256];

	ck_assert_uint_eq(client_id_proxies_count(p), 4);
	a = addr("10.200.3.4");
	ck_assert(client_id_proxies_match(p, &a));
	a = addr("11.0.0.1");
	ck_assert(!client_id_proxies_match(p, &a));
	a = addr("192.0.2.1");
	ck_assert(client_id_proxies_match(p, &a));
	a = addr("192.0.2.2");
	ck_assert(!client_id_proxies_match(p, &a));
	a = addr("2001:db8:ffff::1");
	ck_assert(client_id_proxies_match(p, &a));
	a = addr("2001:db9::1");
	ck_assert(!client_id_proxies_match(p, &a));
	/* An IPv4 CIDR never matches an IPv6 address outside ::ffff:0:0/96. */
	a = addr("::a00:1");
	ck_assert(!client_id_proxies_match(p, &a));
	client_id_proxies_free(p);

	p = proxies("");
	ck_assert_uint_eq(client_id_proxies_count(p), 0);
	a = addr("10.0.0.1");
	ck_assert(!client_id_proxies_match(p, &a));
	client_id_proxies_free(p);
	p = proxies("0.0.0.0/0");
	ck_assert(client_id_proxies_match(p, &a));
	client_id_proxies_free(p);

	ck_assert_int_eq(client_id_proxies_check("10.0.0.1/8", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "host bits"));
	ck_assert_int_eq(client_id_proxies_check("10.0.0.0/33", err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "10.0.0.0/33"));
	ck_assert_int_eq(client_id_proxies_check("2001:db8::/129", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(client_id_proxies_check("10.0.0.0/8,,", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(client_id_proxies_check("proxy.example", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(client_id_proxies_check("10.0.0.0/", err,
	    sizeof(err)), -1);
}
END_TEST

START_TEST(a_spoofed_header_from_an_untrusted_peer_is_ignored)
{
	struct client_id_proxies *p = proxies("10.0.0.0/8");
	struct client_addr peer = addr("203.0.113.9"), out;
	const char *xff[] = { "198.51.100.1" };

	ck_assert_int_eq(client_id_select(p, CLIENT_ID_XFF, &peer, xff, 1,
	    NULL, &out), CLIENT_ID_FROM_PEER);
	ck_assert_str_eq(text(&out), "203.0.113.9");
	ck_assert_int_eq(client_id_select(p, CLIENT_ID_CLOUDFRONT, &peer, xff,
	    1, "198.51.100.1:1", &out), CLIENT_ID_FROM_PEER);
	ck_assert_str_eq(text(&out), "203.0.113.9");
	/* No proxy configured: the headers are never read. */
	ck_assert_int_eq(client_id_select(NULL, CLIENT_ID_XFF, &peer, xff, 1,
	    NULL, &out), CLIENT_ID_FROM_PEER);
	client_id_proxies_free(p);
}
END_TEST

START_TEST(the_right_most_untrusted_forwarded_address_is_the_client)
{
	struct client_id_proxies *p = proxies("10.0.0.0/8, 192.0.2.0/24");
	struct client_addr peer = addr("10.0.0.5"), out;
	/* Client-written junk on the left, our proxies on the right. */
	const char *one[] = { "1.1.1.1, 203.0.113.50, 192.0.2.3" };
	const char *two[] = { "1.1.1.1", "203.0.113.51, 10.1.1.1" };
	const char *all[] = { "192.0.2.9, 10.9.9.9" };
	const char *broken[] = { "203.0.113.1, garbage, 192.0.2.4" };
	const char *ported[] = { "[2001:db8::7]:5555, 192.0.2.5:80" };

	client_id_select(p, CLIENT_ID_XFF, &peer, one, 1, NULL, &out);
	ck_assert_str_eq(text(&out), "203.0.113.50");
	/* Several occurrences are one list, in order. */
	client_id_select(p, CLIENT_ID_XFF, &peer, two, 2, NULL, &out);
	ck_assert_str_eq(text(&out), "203.0.113.51");
	/* Every hop trusted: the left-most is the client. */
	client_id_select(p, CLIENT_ID_XFF, &peer, all, 1, NULL, &out);
	ck_assert_str_eq(text(&out), "192.0.2.9");
	/* A broken chain stops at the last trusted hop. */
	client_id_select(p, CLIENT_ID_XFF, &peer, broken, 1, NULL, &out);
	ck_assert_str_eq(text(&out), "192.0.2.4");
	client_id_select(p, CLIENT_ID_XFF, &peer, ported, 1, NULL, &out);
	ck_assert_str_eq(text(&out), "2001:db8::7");
	/* No header: the peer. */
	ck_assert_int_eq(client_id_select(p, CLIENT_ID_XFF, &peer, NULL, 0,
	    NULL, &out), CLIENT_ID_FROM_PEER);
	ck_assert_str_eq(text(&out), "10.0.0.5");
	/* The XFF rule ignores the CloudFront header. */
	client_id_select(p, CLIENT_ID_XFF, &peer, NULL, 0, "198.51.100.1:1",
	    &out);
	ck_assert_str_eq(text(&out), "10.0.0.5");
	client_id_proxies_free(p);
}
END_TEST

START_TEST(the_cloudfront_header_is_believed_only_from_a_trusted_peer)
{
	struct client_id_proxies *p = proxies("10.0.0.0/8");
	struct client_addr peer = addr("10.0.0.5"), out;
	const char *xff[] = { "192.0.2.200" };

	ck_assert_int_eq(client_id_select(p, CLIENT_ID_CLOUDFRONT, &peer, xff,
	    1, "2001:db8::1:12345", &out), CLIENT_ID_FROM_HEADER);
	ck_assert_str_eq(text(&out), "2001:db8::1");
	/* Missing or malformed: the peer, never X-Forwarded-For. */
	client_id_select(p, CLIENT_ID_CLOUDFRONT, &peer, xff, 1, NULL, &out);
	ck_assert_str_eq(text(&out), "10.0.0.5");
	client_id_select(p, CLIENT_ID_CLOUDFRONT, &peer, xff, 1, "bogus", &out);
	ck_assert_str_eq(text(&out), "10.0.0.5");
	client_id_proxies_free(p);
}
END_TEST

START_TEST(ipv6_clients_share_a_bucket_per_64)
{
	struct client_addr a = addr("2001:db8:1:2:aaaa::1"), b =
	    addr("2001:db8:1:2:bbbb::2"), c = addr("2001:db8:1:3::1"), ka, kb,
	    kc, v4 = addr("192.0.2.1"), k4;

	client_id_rate_key(&a, &ka);
	client_id_rate_key(&b, &kb);
	client_id_rate_key(&c, &kc);
	client_id_rate_key(&v4, &k4);
	ck_assert_mem_eq(ka.b, kb.b, 16);
	ck_assert(memcmp(ka.b, kc.b, 16) != 0);
	ck_assert_mem_eq(k4.b, v4.b, 16);
}
END_TEST

START_TEST(a_socket_address_is_an_identity)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;
	struct client_addr a;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	inet_pton(AF_INET, "127.0.1.2", &sin.sin_addr);
	ck_assert_int_eq(client_id_from_sockaddr((struct sockaddr *)&sin, &a),
	    0);
	ck_assert_str_eq(text(&a), "127.0.1.2");
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	inet_pton(AF_INET6, "::1", &sin6.sin6_addr);
	ck_assert_int_eq(client_id_from_sockaddr((struct sockaddr *)&sin6,
	    &a), 0);
	ck_assert_str_eq(text(&a), "::1");
	ck_assert_int_eq(client_id_from_sockaddr(NULL, &a), -1);
}
END_TEST

START_TEST(the_settings_refuse_what_startup_refuses)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_TRUSTED_PROXIES",
	    "10.0.0.1/8", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "host bits"));
	ck_assert_int_eq(config_set(&cfg, "VISITSD_TRUSTED_PROXIES",
	    "10.0.0.0/8,::1", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_CLIENT_ADDRESS_HEADER",
	    "forwarded", err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_CLIENT_ADDRESS_HEADER",
	    "CloudFront-Viewer-Address", err, sizeof(err)), 0);
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_client_id(void)
{
	Suite *s = suite_create("client_id");
	TCase *tc = tcase_create("identity");

	tcase_add_test(tc, addresses_parse_with_or_without_a_port);
	tcase_add_test(tc, the_cloudfront_viewer_address_ends_with_the_port);
	tcase_add_test(tc, cidr_lists_parse_match_and_refuse_typos);
	tcase_add_test(tc, a_spoofed_header_from_an_untrusted_peer_is_ignored);
	tcase_add_test(tc,
	    the_right_most_untrusted_forwarded_address_is_the_client);
	tcase_add_test(tc,
	    the_cloudfront_header_is_believed_only_from_a_trusted_peer);
	tcase_add_test(tc, ipv6_clients_share_a_bucket_per_64);
	tcase_add_test(tc, a_socket_address_is_an_identity);
	tcase_add_test(tc, the_settings_refuse_what_startup_refuses);
	suite_add_tcase(s, tc);
	return s;
}

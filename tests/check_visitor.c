/*
 * check_visitor: the visitor hash against a fixed vector (computed
 * independently: Python's hmac over the same framing), and what changes
 * it: each field, and a byte moved from one field to the next.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "client_id.h"
#include "store.h"
#include "visitor.h"

Suite	*suite_visitor(void);

static const char *const ua = "Mozilla/5.0 (test)";

static void
salt_of(uint8_t salt[STORE_SALT_LEN])
{
	for (int i = 0; i < STORE_SALT_LEN; i++)
		salt[i] = (uint8_t)i;
}

static struct client_addr
addr(const char *s)
{
	struct client_addr a;

	ck_assert_int_eq(client_id_parse(s, strlen(s), &a), 0);
	return a;
}

static void
hex(const uint8_t *b, char out[2 * STORE_VISITOR_LEN + 1])
{
	for (int i = 0; i < STORE_VISITOR_LEN; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

/*
 * HMAC-SHA256(00 01 .. 1f, be32(6) "page-1" be32(16) ::ffff:192.0.2.1
 * be32(18) "Mozilla/5.0 (test)").
 */
START_TEST(fixed_vector)
{
	uint8_t salt[STORE_SALT_LEN], out[STORE_VISITOR_LEN];
	struct client_addr a = addr("192.0.2.1");
	char text[2 * STORE_VISITOR_LEN + 1];

	salt_of(salt);
	visitor_hash(salt, "page-1", &a, ua, strlen(ua), out);
	hex(out, text);
	ck_assert_str_eq(text,
	    "e9e2b6c553af83f09109f62dbb8c9301a66d1d569b55ef10638c8aead997adbc");
	/* No User-Agent is an empty field. */
	visitor_hash(salt, "page-1", &a, NULL, 0, out);
	hex(out, text);
	ck_assert_str_eq(text,
	    "76fdc0b14314f8078d551423296e8054839f4be68105625dc18e311984dd2a59");
}
END_TEST

START_TEST(every_field_counts)
{
	uint8_t salt[STORE_SALT_LEN], base[STORE_VISITOR_LEN];
	uint8_t out[STORE_VISITOR_LEN];
	struct client_addr a = addr("192.0.2.1"), b = addr("192.0.2.2");
	char longua[3000];

	salt_of(salt);
	visitor_hash(salt, "p", &a, ua, strlen(ua), base);
	visitor_hash(salt, "p", &a, ua, strlen(ua), out);
	ck_assert_mem_eq(base, out, sizeof(out));
	visitor_hash(salt, "q", &a, ua, strlen(ua), out);
	ck_assert(memcmp(base, out, sizeof(out)) != 0);
	visitor_hash(salt, "p", &b, ua, strlen(ua), out);
	ck_assert(memcmp(base, out, sizeof(out)) != 0);
	visitor_hash(salt, "p", &a, ua, strlen(ua) - 1, out);
	ck_assert(memcmp(base, out, sizeof(out)) != 0);
	salt[0] ^= 1;
	visitor_hash(salt, "p", &a, ua, strlen(ua), out);
	ck_assert(memcmp(base, out, sizeof(out)) != 0);
	/* Longer than the stack buffer: still hashed, and stable. */
	memset(longua, 'x', sizeof(longua));
	visitor_hash(salt, "p", &a, longua, sizeof(longua), base);
	visitor_hash(salt, "p", &a, longua, sizeof(longua), out);
	ck_assert_mem_eq(base, out, sizeof(out));
}
END_TEST

/* Length prefixes: "ab" + UA "c" is not "a" + UA "bc". */
START_TEST(framing_is_unambiguous)
{
	uint8_t salt[STORE_SALT_LEN], x[STORE_VISITOR_LEN], y[STORE_VISITOR_LEN];
	struct client_addr a = addr("2001:db8::1");

	salt_of(salt);
	visitor_hash(salt, "ab", &a, "c", 1, x);
	visitor_hash(salt, "a", &a, "bc", 2, y);
	ck_assert(memcmp(x, y, sizeof(x)) != 0);
}
END_TEST

Suite *suite_visitor(void)
{
	Suite *s = suite_create("visitor");
	TCase *tc = tcase_create("hash");

	tcase_add_test(tc, fixed_vector);
	tcase_add_test(tc, every_field_counts);
	tcase_add_test(tc, framing_is_unambiguous);
	suite_add_tcase(s, tc);
	return s;
}

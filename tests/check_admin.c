/*
 * check_admin: the admin API's pure parts (admin.c) -- the Bearer grammar,
 * the routes, the PUT body, the NDJSON line -- and the file validation of
 * admin_import.c (bad lines named by number, duplicates, blank lines).
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "admin.h"
#include "admin_import.h"
#include "api.h"
#include "apikey.h"
#include "config.h"

Suite *suite_admin(void);

static int
bearer(const char *v, char *tok, size_t len)
{
	const char *t;
	size_t n;

	if (admin_bearer_parse(v, strlen(v), &t, &n) == -1)
		return -1;
	snprintf(tok, len, "%.*s", (int)n, t);
	return 0;
}

START_TEST(bearer_takes_one_space_and_any_case_of_the_scheme)
{
	char tok[64];

	ck_assert_int_eq(bearer("Bearer abc.DEF-1", tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "abc.DEF-1");
	ck_assert_int_eq(bearer("bearer k", tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "k");
	ck_assert_int_eq(bearer("BEARER k=", tok, sizeof(tok)), 0);
	ck_assert_str_eq(tok, "k=");
}
END_TEST

START_TEST(bearer_refuses_everything_else)
{
	static const char *const bad[] = { "", "Bearer", "Bearer ",
	    "Bearer  k", " Bearer k", "Bearer k ", "Bearer a b", "Basic k",
	    "Bearerk", "Bearer\tk", "Token k", "Bearer k\x7f" };
	const char *t;
	size_t n;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(admin_bearer_parse(bad[i], strlen(bad[i]), &t,
		    &n) == -1, "accepted \"%s\"", bad[i]);
	ck_assert_int_eq(admin_bearer_parse(NULL, 0, &t, &n), -1);
	/* A NUL inside the received length is not a visible character. */
	ck_assert_int_eq(admin_bearer_parse("Bearer a\0b", 10, &t, &n), -1);
}
END_TEST

static struct api_decision
decide(bool admin, const char *method, const char *path, bool ok,
    bool *handled)
{
	struct api_options o = { .admin = admin };
	struct api_decision d;

	*handled = admin_decide(&o, method, path, ok, &d);
	return d;
}

START_TEST(without_an_admin_key_nothing_is_an_admin_route)
{
	bool h;

	decide(false, "PUT", "/api/visits/a", true, &h);
	ck_assert(!h);
	decide(false, "GET", "/api/admin/export", true, &h);
	ck_assert(!h);
}
END_TEST

START_TEST(admin_routes_check_the_key_before_the_id)
{
	struct api_decision d;
	bool h;

	d = decide(true, "PUT", "/api/visits/a%2", false, &h);
	ck_assert(h);
	ck_assert_int_eq(d.status, 401);
	ck_assert_str_eq(d.message, "Unauthorized");
	d = decide(true, "PUT", "/api/visits/a%2", true, &h);
	ck_assert_int_eq(d.status, 400);
	d = decide(true, "PUT", "/api/visits/a%2Eb", true, &h);
	ck_assert_int_eq(d.action, API_ADMIN_SET);
	ck_assert_str_eq(d.id, "a.b");
	d = decide(true, "DELETE", "/api/visits/a", true, &h);
	ck_assert_int_eq(d.action, API_ADMIN_DELETE);
	d = decide(true, "GET", "/api/visits/a", true, &h);
	ck_assert(!h);		/* api_decide's */
	d = decide(true, "PUT", "/api/visits/a/history", true, &h);
	ck_assert(!h);		/* a sub-route: api_decide's 405 */
	d = decide(true, "GET", "/api/admin/export", true, &h);
	ck_assert_int_eq(d.action, API_ADMIN_EXPORT);
	ck_assert_int_eq(d.route, API_ROUTE_ADMIN);
	d = decide(true, "POST", "/api/admin/import", false, &h);
	ck_assert_int_eq(d.status, 401);
	d = decide(true, "POST", "/api/admin/export", true, &h);
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.allow, "GET, OPTIONS");
	d = decide(true, "OPTIONS", "/api/admin/import", false, &h);
	ck_assert_int_eq(d.status, 204);
	ck_assert(d.preflight);
	d = decide(true, "GET", "/api/admin/other", true, &h);
	ck_assert_int_eq(d.status, 404);
}
END_TEST

START_TEST(cors_lists_put_delete_and_authorization_with_admin)
{
	struct api_options o = { .admin = true }, off = { 0 };
	struct api_decision d;

	api_decide(&off, "PUT", "/api/visits/a", true, &d);
	ck_assert_int_eq(d.status, 405);
	ck_assert_str_eq(d.allow, "GET, POST, OPTIONS");
	ck_assert_str_eq(api_cors_headers(&off), "content-type, x-api-key");
	api_decide(&o, "OPTIONS", "/api/visits/a", false, &d);
	ck_assert_str_eq(d.allow, "GET, POST, PUT, DELETE, OPTIONS");
	ck_assert_str_eq(api_cors_headers(&o),
	    "content-type, x-api-key, authorization");
	api_decide(&off, "GET", "/api/admin/export", true, &d);
	ck_assert_int_eq(d.status, 404);
}
END_TEST

static int
put(const char *body, struct store_counts *c, char *why)
{
	return admin_put_parse(body, strlen(body), c, why, 256);
}

START_TEST(put_body_takes_visits_and_an_optional_unique)
{
	struct store_counts c;
	char why[256];

	ck_assert_int_eq(put("{\"visits\":42}", &c, why), 0);
	ck_assert_uint_eq(c.visits, 42);
	ck_assert_uint_eq(c.unique, 0);
	ck_assert_int_eq(put("{\"visits\":42,\"unique\":42}", &c, why), 0);
	ck_assert_uint_eq(c.unique, 42);
	ck_assert_int_eq(put("{\"visits\":9007199254740991}", &c, why), 0);
	ck_assert_uint_eq(c.visits, 9007199254740991ULL);
}
END_TEST

START_TEST(put_body_refuses_what_is_not_a_count)
{
	static const char *const bad[] = { "", "[]", "42", "{}",
	    "{\"visits\":-1}", "{\"visits\":1.0}", "{\"visits\":\"1\"}",
	    "{\"visits\":1e3}", "{\"visits\":9007199254740992}",
	    "{\"visits\":99999999999999999999}", "{\"visits\":1,\"x\":1}",
	    "{\"visits\":1,\"unique\":2}", "{\"visits\":1,\"visits\":2}",
	    "{\"visits\":true}", "{\"visits\":null}",
	    "{\"visits\":1,\"unique\":-1}" };
	struct store_counts c;
	char why[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(put(bad[i], &c, why) == -1, "accepted %s",
		    bad[i]);
	put("{\"visits\":1,\"unique\":2}", &c, why);
	ck_assert_str_eq(why, "\"unique\" (2) exceeds \"visits\" (1)");
	put("{\"visit\":1}", &c, why);
	ck_assert_str_eq(why, "unknown member \"visit\"");
}
END_TEST

START_TEST(a_line_is_an_object_with_a_valid_user)
{
	char id[API_ID_MAX + 1], why[256], line[ADMIN_LINE_MAX];
	struct store_counts c = { 5, 2 }, back;
	size_t n;

	n = admin_line_format(line, sizeof(line), "a.b~c", &c);
	ck_assert_str_eq(line, "{\"user\":\"a.b~c\",\"visits\":5,\"unique\":2}"
	    "\n");
	ck_assert_int_eq(admin_line_parse(line, n - 1, id, &back, why,
	    sizeof(why)), 0);
	ck_assert_str_eq(id, "a.b~c");
	ck_assert_uint_eq(back.visits, 5);
	ck_assert_uint_eq(back.unique, 2);
#define BAD(text, msg) do {						\
	ck_assert_int_eq(admin_line_parse(text, strlen(text), id, &back,	\
	    why, sizeof(why)), -1);						\
	ck_assert_str_eq(why, msg);					\
} while (0)
	BAD("{\"visits\":1}", "\"user\" is missing");
	BAD("{\"user\":1,\"visits\":1}", "\"user\" must be a string");
	BAD("{\"user\":\"a%41\",\"visits\":1}",
	    "\"user\": invalid id: use 1 to 128 of A-Z a-z 0-9 . _ ~ -");
	BAD("{\"user\":\"..\",\"visits\":1}",
	    "\"user\": invalid id: '.' and '..' are not ids");
	BAD("{\"user\":\"a/b\",\"visits\":1}",
	    "\"user\": invalid id: it must not contain '/'");
	BAD("{\"user\":\"a\"}", "\"visits\" is missing");
	BAD("{\"user\":\"a\",\"visits\":1,\"day\":3}", "unknown member \"day\"");
	BAD("[1]", "not a JSON object");
#undef BAD
}
END_TEST

/* A temporary file holding text; its descriptor. */
static int
file_of(const char *text)
{
	char err[256];
	int fd = admin_spool_open(err, sizeof(err));

	ck_assert_msg(fd != -1, "%s", err);
	ck_assert_int_eq(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	return fd;
}

static int
check(const char *text, uint64_t *n, char *err)
{
	int fd = file_of(text), rc;

	rc = admin_import_check(fd, n, err, 512);
	close(fd);
	return rc;
}

START_TEST(a_file_validates_whole_and_names_the_bad_line)
{
	char err[512];
	uint64_t n;

	ck_assert_int_eq(check("", &n, err), 0);
	ck_assert_uint_eq(n, 0);
	ck_assert_int_eq(check("{\"user\":\"a\",\"visits\":1}\r\n\n"
	    "{\"user\":\"b\",\"visits\":2,\"unique\":1}", &n, err), 0);
	ck_assert_uint_eq(n, 2);
	ck_assert_int_eq(check("{\"user\":\"a\",\"visits\":1}\n"
	    "{\"user\":\"b\",\"visits\":1}\n\n{\"user\":\"c\",\"visits\":-2}\n",
	    &n, err), -1);
	ck_assert_str_eq(err, "line 4: \"visits\" must be an integer from 0 "
	    "to 9007199254740991");
	ck_assert_int_eq(check("{\"user\":\"a\",\"visits\":1}\nnot json\n", &n,
	    err), -1);
	ck_assert(strncmp(err, "line 2: not JSON: ", 18) == 0);
}
END_TEST

START_TEST(a_duplicate_id_names_both_lines)
{
	char err[512], *text = NULL;
	size_t len = 0;
	uint64_t n;
	FILE *f = open_memstream(&text, &len);

	for (int i = 0; i < 3000; i++)
		fprintf(f, "{\"user\":\"id%d\",\"visits\":%d}\n", i, i);
	fprintf(f, "{\"user\":\"id17\",\"visits\":1}\n");
	fclose(f);
	ck_assert_int_eq(check(text, &n, err), -1);
	ck_assert_str_eq(err, "line 3001: duplicate user \"id17\" (first on "
	    "line 18)");
	free(text);
}
END_TEST

START_TEST(an_overlong_line_is_refused_by_number)
{
	char *text = malloc(ADMIN_LINE_MAX + 64), err[512];
	uint64_t n;

	strcpy(text, "{\"user\":\"a\",\"visits\":1}\n{\"user\":\"b\",\"visits\":1");
	memset(text + strlen(text), ' ', ADMIN_LINE_MAX);
	strcpy(text + ADMIN_LINE_MAX + 24, "}\n");
	ck_assert_int_eq(check(text, &n, err), -1);
	ck_assert_str_eq(err, "line 2: longer than 4096 bytes");
	free(text);
}
END_TEST

START_TEST(admin_keys_must_differ_from_the_api_keys)
{
	struct apikey_set *a, *b;
	struct apikey_ring *ring = apikey_ring_new();
	char err[512];

	a = apikey_set_parse("k1,k2", err, sizeof(err));
	b = apikey_set_parse("k3,k2", err, sizeof(err));
	ck_assert(apikey_set_shared(a, b));
	ck_assert(!apikey_set_shared(a, NULL));
	ck_assert(!apikey_ring_shares(ring, b));
	apikey_ring_replace(ring, a);
	ck_assert(apikey_ring_shares(ring, b));
	apikey_set_free(b);
	b = apikey_set_parse("k3", err, sizeof(err));
	ck_assert(!apikey_ring_shares(ring, b));
	apikey_set_free(b);
	apikey_ring_free(ring);
}
END_TEST

START_TEST(config_takes_at_most_one_admin_key_source)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "api_key", "pub", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "VISITSD_ADMIN_KEY", "pub", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_ADMIN_KEY: an admin key equals an API "
	    "key; the admin key must differ from every API key");
	ck_assert_int_eq(config_set(&cfg, "admin_key", "adm", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "--admin-key-file", "/k", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_ADMIN_KEY and VISITSD_ADMIN_KEY_FILE "
	    "are both set: give at most one admin key source");
	ck_assert_int_eq(config_set(&cfg, "admin_key", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.admin_import_max_bytes, 67108864);
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_admin(void)
{
	Suite *s = suite_create("admin");
	TCase *tc = tcase_create("parse");

	tcase_add_test(tc, bearer_takes_one_space_and_any_case_of_the_scheme);
	tcase_add_test(tc, bearer_refuses_everything_else);
	tcase_add_test(tc, without_an_admin_key_nothing_is_an_admin_route);
	tcase_add_test(tc, admin_routes_check_the_key_before_the_id);
	tcase_add_test(tc, cors_lists_put_delete_and_authorization_with_admin);
	tcase_add_test(tc, put_body_takes_visits_and_an_optional_unique);
	tcase_add_test(tc, put_body_refuses_what_is_not_a_count);
	tcase_add_test(tc, a_line_is_an_object_with_a_valid_user);
	tcase_add_test(tc, a_file_validates_whole_and_names_the_bad_line);
	tcase_add_test(tc, a_duplicate_id_names_both_lines);
	tcase_add_test(tc, an_overlong_line_is_refused_by_number);
	tcase_add_test(tc, admin_keys_must_differ_from_the_api_keys);
	tcase_add_test(tc, config_takes_at_most_one_admin_key_source);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_sigv4: the SigV4 signer against AWS's published examples and the
 * aws-c-auth conformance suite.
 *
 * The suite is the copy in tests/data/aws-sigv4 (the Makefile passes its
 * absolute path in SIGV4_SUITE; setting SIGV4_SUITE points at another copy).
 * Each case folder holds the unsigned request, its signing context and the
 * expected canonical request, string to sign, signature and signed request;
 * every stage and sigv4_sign itself are compared byte for byte.  A missing
 * folder, or one without cases, fails the suite: the vectors ship with the
 * tests, so their absence is a broken checkout, not an optional extra.
 */
#include <check.h>
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>

#include <jansson.h>
#include <openssl/evp.h>

#include "aws/sigv4.h"

#define SUITE_DEFAULT	"tests/data/aws-sigv4"
#define MAX_CASES	256
#define MAX_HEADERS	64

Suite *suite_sigv4(void);

static const char *suite_dir;
static char *cases[MAX_CASES];
static int ncases;

/* A parsed request.txt (or *-signed-request.txt); strings are owned. */
struct http_req {
	char		*method;
	char		*path;
	char		*query;
	struct sigv4_header headers[MAX_HEADERS];
	size_t		 nheaders;
	char		*body;
	size_t		 body_len;
};

static char *
read_file(const char *dir, const char *name, size_t *lenp)
{
	char path[4096];
	FILE *f;
	char *s;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	ck_assert_msg((f = fopen(path, "rb")) != NULL, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	s = malloc((size_t)n + 1);
	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(fread(s, 1, (size_t)n, f), (size_t)n);
	s[n] = '\0';
	fclose(f);
	if (lenp != NULL)
		*lenp = (size_t)n;
	return s;
}

static char *
xstrndup(const char *s, size_t n)
{
	char *d = strndup(s, n);

	ck_assert_ptr_nonnull(d);
	return d;
}

/*
 * The request line is "METHOD SP target SP HTTP/1.1" where the target may
 * hold a space; headers are "Name:Value" split at the first colon, a line
 * starting with whitespace continues the previous value; a blank line
 * separates the body.
 */
static void
parse_http(const char *text, size_t len, struct http_req *r)
{
	const char *end = text + len, *p = text, *nl, *sp, *target, *q, *colon;
	size_t tlen;

	memset(r, 0, sizeof(*r));
	nl = memchr(p, '\n', (size_t)(end - p));
	ck_assert_ptr_nonnull(nl);
	sp = memchr(p, ' ', (size_t)(nl - p));
	ck_assert_ptr_nonnull(sp);
	r->method = xstrndup(p, (size_t)(sp - p));
	target = sp + 1;
	tlen = (size_t)(nl - target);
	ck_assert(tlen > 9 && memcmp(nl - 9, " HTTP/1.1", 9) == 0);
	tlen -= 9;
	q = memchr(target, '?', tlen);
	if (q != NULL) {
		r->path = xstrndup(target, (size_t)(q - target));
		r->query = xstrndup(q + 1, tlen - (size_t)(q - target) - 1);
	} else
		r->path = xstrndup(target, tlen);
	p = nl + 1;
	while (p < end) {
		size_t llen;

		nl = memchr(p, '\n', (size_t)(end - p));
		llen = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (llen == 0) {
			p = nl + 1;
			r->body = xstrndup(p, (size_t)(end - p));
			r->body_len = (size_t)(end - p);
			return;
		}
		if (*p == ' ' || *p == '\t') {
			struct sigv4_header *h = &r->headers[r->nheaders - 1];
			size_t old;
			char *v;

			ck_assert_uint_gt(r->nheaders, 0);
			old = strlen(h->value);
			v = realloc((char *)(uintptr_t)h->value, old + llen + 2);
			ck_assert_ptr_nonnull(v);
			v[old] = ' ';
			memcpy(v + old + 1, p, llen);
			v[old + 1 + llen] = '\0';
			h->value = v;
		} else {
			ck_assert_uint_lt(r->nheaders, MAX_HEADERS);
			colon = memchr(p, ':', llen);
			ck_assert_ptr_nonnull(colon);
			r->headers[r->nheaders].name = xstrndup(p,
			    (size_t)(colon - p));
			r->headers[r->nheaders].value = xstrndup(colon + 1,
			    llen - (size_t)(colon - p) - 1);
			r->nheaders++;
		}
		p = nl ? nl + 1 : end;
	}
}

static void
free_http(struct http_req *r)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++) {
		free((char *)(uintptr_t)r->headers[i].name);
		free((char *)(uintptr_t)r->headers[i].value);
	}
	free(r->method);
	free(r->path);
	free(r->query);
	free(r->body);
}

/* The value of header name in r (first match, any case), or NULL. */
static const char *
find_header(const struct http_req *r, const char *name)
{
	size_t i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return r->headers[i].value;
	return NULL;
}

static time_t
parse_time(const char *s)
{
	struct tm tm;
	const char *end;

	memset(&tm, 0, sizeof(tm));
	end = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
	ck_assert_msg(end != NULL && *end == '\0', "bad timestamp %s", s);
	return timegm(&tm);
}

static void
add_header(struct http_req *r, const char *name, const char *value)
{
	ck_assert_uint_lt(r->nheaders, MAX_HEADERS);
	r->headers[r->nheaders].name = xstrndup(name, strlen(name));
	r->headers[r->nheaders].value = xstrndup(value, strlen(value));
	r->nheaders++;
}

START_TEST(conformance_case)
{
	const char *name = cases[_i];
	char dir[4096], *text, *want, *creq, *sts, sig[65], err[256];
	char amz[17], body_hash[65];
	unsigned char key[32];
	struct http_req req, signed_req;
	struct sigv4_request sreq;
	struct sigv4_params params;
	struct sigv4_signed out;
	struct sigv4_key_cache cache;
	json_t *ctx, *creds;
	json_error_t jerr;
	const char *akid, *secret, *token, *region, *service, *v;
	bool normalize, sign_body, omit_token;
	size_t len;
	time_t now;

	snprintf(dir, sizeof(dir), "%s/%s", suite_dir, name);
	text = read_file(dir, "context.json", &len);
	ctx = json_loadb(text, len, 0, &jerr);
	ck_assert_msg(ctx != NULL, "%s: context.json: %s", name, jerr.text);
	free(text);
	creds = json_object_get(ctx, "credentials");
	akid = json_string_value(json_object_get(creds, "access_key_id"));
	secret = json_string_value(json_object_get(creds,
	    "secret_access_key"));
	token = json_string_value(json_object_get(creds, "token"));
	region = json_string_value(json_object_get(ctx, "region"));
	service = json_string_value(json_object_get(ctx, "service"));
	normalize = json_is_true(json_object_get(ctx, "normalize"));
	sign_body = json_is_true(json_object_get(ctx, "sign_body"));
	omit_token = json_is_true(json_object_get(ctx, "omit_session_token"));
	ck_assert(akid && secret && region && service);
	now = parse_time(json_string_value(json_object_get(ctx,
	    "timestamp")));

	text = read_file(dir, "request.txt", &len);
	parse_http(text, len, &req);
	free(text);

	/* The stages, with the headers header-mode signing adds. */
	ck_assert_int_eq(strftime(amz, sizeof(amz), "%Y%m%dT%H%M%SZ",
	    gmtime(&now)), 16);
	add_header(&req, "X-Amz-Date", amz);
	if (token != NULL && !omit_token)
		add_header(&req, "X-Amz-Security-Token", token);
	if (sign_body) {
		unsigned char md[32];
		unsigned int mdlen;
		int i;

		ck_assert(EVP_Digest(req.body ? req.body : "", req.body_len,
		    md, &mdlen, EVP_sha256(), NULL) == 1);
		for (i = 0; i < 32; i++)
			sprintf(body_hash + 2 * i, "%02x", md[i]);
		add_header(&req, "x-amz-content-sha256", body_hash);
	}
	sreq = (struct sigv4_request){ req.method, req.path, req.query,
	    req.headers, req.nheaders, req.body, req.body_len };
	creq = sigv4_canonical_request(&sreq, normalize);
	ck_assert_ptr_nonnull(creq);
	want = read_file(dir, "header-canonical-request.txt", NULL);
	ck_assert_msg(strcmp(creq, want) == 0,
	    "%s: canonical request\n--- got\n%s\n--- want\n%s", name, creq,
	    want);
	free(want);

	sts = sigv4_string_to_sign(creq, now, region, service);
	ck_assert_ptr_nonnull(sts);
	want = read_file(dir, "header-string-to-sign.txt", NULL);
	ck_assert_msg(strcmp(sts, want) == 0,
	    "%s: string to sign\n--- got\n%s\n--- want\n%s", name, sts, want);
	free(want);

	ck_assert_int_eq(sigv4_signing_key(secret, now, region, service, key),
	    0);
	ck_assert_int_eq(sigv4_signature(key, sts, sig), 0);
	want = read_file(dir, "header-signature.txt", NULL);
	ck_assert_msg(strcmp(sig, want) == 0, "%s: signature %s, want %s",
	    name, sig, want);
	free(want);
	free(creq);
	free(sts);

	/* sigv4_sign on the unsigned request, against the signed one. */
	free_http(&req);
	text = read_file(dir, "request.txt", &len);
	parse_http(text, len, &req);
	free(text);
	text = read_file(dir, "header-signed-request.txt", &len);
	parse_http(text, len, &signed_req);
	free(text);
	sreq = (struct sigv4_request){ req.method, req.path, req.query,
	    req.headers, req.nheaders, req.body, req.body_len };
	params = (struct sigv4_params){ akid, secret,
	    omit_token ? NULL : token, region, service, now, normalize,
	    sign_body };
	sigv4_key_cache_init(&cache);
	ck_assert_msg(sigv4_sign(&sreq, &params, &cache, &out, err,
	    sizeof(err)) == 0, "%s: %s", name, err);
	ck_assert_ptr_nonnull(v = find_header(&signed_req, "Authorization"));
	ck_assert_msg(strcmp(out.authorization, v) == 0,
	    "%s: Authorization\n got %s\nwant %s", name, out.authorization, v);
	ck_assert_ptr_nonnull(v = find_header(&signed_req, "X-Amz-Date"));
	ck_assert_str_eq(out.amz_date, v);
	if (sign_body) {
		ck_assert_ptr_nonnull(v = find_header(&signed_req,
		    "x-amz-content-sha256"));
		ck_assert_str_eq(out.content_sha256, v);
	}
	if (token != NULL)
		ck_assert_str_eq(find_header(&signed_req,
		    "X-Amz-Security-Token"), token);
	/* Signing again hits the cache and must give the same answer. */
	ck_assert_int_eq(sigv4_sign(&sreq, &params, &cache, &out, err,
	    sizeof(err)), 0);
	ck_assert_str_eq(out.authorization, find_header(&signed_req,
	    "Authorization"));
	sigv4_key_cache_cleanup(&cache);

	free_http(&req);
	free_http(&signed_req);
	json_decref(ctx);
}
END_TEST

START_TEST(conformance_suite_missing_fails)
{
	ck_abort_msg("SigV4 conformance suite not found at %s (SIGV4_SUITE; "
	    "the copy is tests/data/aws-sigv4)", suite_dir);
}
END_TEST

START_TEST(conformance_suite_empty_fails)
{
	ck_abort_msg("SigV4 conformance suite at %s holds no case folders",
	    suite_dir);
}
END_TEST

/* 2015-08-30T12:36:00Z, the time of every AWS documentation example. */
#define EXAMPLE_TIME	((time_t)1440938160)
#define EXAMPLE_SECRET	"wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"

static void
hex(const unsigned char *in, size_t n, char *out)
{
	size_t i;

	for (i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", in[i]);
}

/* "Examples of how to derive a signing key for Signature Version 4". */
START_TEST(signing_key_matches_the_documented_example)
{
	unsigned char key[32];
	char h[65];

	ck_assert_int_eq(sigv4_signing_key(EXAMPLE_SECRET, EXAMPLE_TIME,
	    "us-east-1", "iam", key), 0);
	hex(key, sizeof(key), h);
	ck_assert_str_eq(h,
	    "c4afb1cc5771d871763a393e44b703571b55cc28424d1a5e86da6ed3c154a4b9");
}
END_TEST

/* The IAM ListUsers GET request of the SigV4 documentation, stage by stage. */
START_TEST(stages_match_the_documented_iam_request)
{
	const struct sigv4_header hs[] = {
		{ "Content-Type",
		    "application/x-www-form-urlencoded; charset=utf-8" },
		{ "Host", "iam.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	const struct sigv4_request r = { "GET", "/",
	    "Action=ListUsers&Version=2010-05-08", hs, 3, NULL, 0 };
	char *creq, *sts, sig[65];
	unsigned char key[32];

	creq = sigv4_canonical_request(&r, true);
	ck_assert_str_eq(creq,
	    "GET\n"
	    "/\n"
	    "Action=ListUsers&Version=2010-05-08\n"
	    "content-type:application/x-www-form-urlencoded; charset=utf-8\n"
	    "host:iam.amazonaws.com\n"
	    "x-amz-date:20150830T123600Z\n"
	    "\n"
	    "content-type;host;x-amz-date\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	sts = sigv4_string_to_sign(creq, EXAMPLE_TIME, "us-east-1", "iam");
	ck_assert_str_eq(sts,
	    "AWS4-HMAC-SHA256\n"
	    "20150830T123600Z\n"
	    "20150830/us-east-1/iam/aws4_request\n"
	    "f536975d06c0309214f805bb90ccff089219ecd68b2577efef23edd43b7e1a59");
	ck_assert_int_eq(sigv4_signing_key(EXAMPLE_SECRET, EXAMPLE_TIME,
	    "us-east-1", "iam", key), 0);
	ck_assert_int_eq(sigv4_signature(key, sts, sig), 0);
	ck_assert_str_eq(sig,
	    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	free(creq);
	free(sts);
}
END_TEST

/* The same request through sigv4_sign, which adds X-Amz-Date itself. */
START_TEST(sign_matches_the_documented_iam_request)
{
	const struct sigv4_header hs[] = {
		{ "Content-Type",
		    "application/x-www-form-urlencoded; charset=utf-8" },
		{ "Host", "iam.amazonaws.com" },
	};
	const struct sigv4_request r = { "GET", "/",
	    "Action=ListUsers&Version=2010-05-08", hs, 2, NULL, 0 };
	const struct sigv4_params p = { "AKIDEXAMPLE", EXAMPLE_SECRET, NULL,
	    "us-east-1", "iam", EXAMPLE_TIME, true, false };
	struct sigv4_signed out;
	char err[128];

	ck_assert_int_eq(sigv4_sign(&r, &p, NULL, &out, err, sizeof(err)), 0);
	ck_assert_str_eq(out.amz_date, "20150830T123600Z");
	ck_assert_str_eq(out.authorization,
	    "AWS4-HMAC-SHA256 "
	    "Credential=AKIDEXAMPLE/20150830/us-east-1/iam/aws4_request, "
	    "SignedHeaders=content-type;host;x-amz-date, "
	    "Signature="
	    "5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7");
	ck_assert_str_eq(out.content_sha256,
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}
END_TEST

/* The signer sets x-amz-date and friends; a caller's own is an error. */
START_TEST(sign_refuses_reserved_headers)
{
	const struct sigv4_header hs[] = {
		{ "host", "example.amazonaws.com" },
		{ "X-Amz-Date", "20150830T123600Z" },
	};
	const struct sigv4_request r = { "POST", "/", NULL, hs, 2, NULL, 0 };
	const struct sigv4_params p = { "AKIDEXAMPLE", EXAMPLE_SECRET, NULL,
	    "us-east-1", "dynamodb", EXAMPLE_TIME, true, false };
	struct sigv4_signed out;
	char err[128] = "";

	ck_assert_int_eq(sigv4_sign(&r, &p, NULL, &out, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "X-Amz-Date"));
}
END_TEST

/*
 * The path is encoded once more (a '%' becomes %25), and the query is
 * decoded then re-encoded strictly: '/', ';', '+', '=' and ' ' come out
 * escaped, an escaped key is not escaped twice.
 */
START_TEST(path_encoded_twice_query_decoded_and_reencoded)
{
	const struct sigv4_header hs[] = { { "host", "h" } };
	const struct sigv4_request r = { "GET", "/a%20b/c d/./../e//",
	    "b=x/y;z&a+b=1=2&%41%2f=v&k", hs, 1, NULL, 0 };
	char *creq;

	creq = sigv4_canonical_request(&r, true);
	ck_assert_str_eq(creq,
	    "GET\n"
	    "/a%2520b/e/\n"
	    "A%2F=v&a%2Bb=1%3D2&b=x%2Fy%3Bz&k=\n"
	    "host:h\n"
	    "\n"
	    "host\n"
	    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	free(creq);
	creq = sigv4_canonical_request(&r, false);
	ck_assert_ptr_nonnull(strstr(creq, "\n/a%2520b/c%20d/./../e//\n"));
	free(creq);
}
END_TEST

/*
 * The cache gives the key the secret derives, and a different secret or
 * day in the same cache gives that secret's or day's key, not the cached one.
 */
START_TEST(key_cache_never_serves_another_secret_or_day)
{
	const struct sigv4_header hs[] = { { "host", "h" } };
	const struct sigv4_request r = { "POST", "/", NULL, hs, 1, "{}", 2 };
	struct sigv4_params p = { "AKID", "secret-one", NULL, "eu-west-1",
	    "dynamodb", EXAMPLE_TIME, true, false };
	struct sigv4_signed cached, direct;
	struct sigv4_key_cache c;
	char err[128];
	int i;

	sigv4_key_cache_init(&c);
	for (i = 0; i < 3; i++) {
		if (i == 1)
			p.secret_access_key = "secret-two";
		if (i == 2)
			p.now += 86400;
		ck_assert_int_eq(sigv4_sign(&r, &p, &c, &cached, err,
		    sizeof(err)), 0);
		ck_assert_int_eq(sigv4_sign(&r, &p, NULL, &direct, err,
		    sizeof(err)), 0);
		ck_assert_str_eq(cached.authorization, direct.authorization);
		ck_assert_int_eq(sigv4_sign(&r, &p, &c, &cached, err,
		    sizeof(err)), 0);
		ck_assert_str_eq(cached.authorization, direct.authorization);
	}
	sigv4_key_cache_cleanup(&c);
	ck_assert(!c.valid);
	for (i = 0; i < 32; i++)
		ck_assert_int_eq(c.key[i], 0);
}
END_TEST

static int
name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/*
 * Collect the case folders (those holding a request.txt), sorted.  Returns
 * -1 when the suite folder does not exist.
 */
static int
scan_cases(const char *dir)
{
	struct dirent *de;
	struct stat st;
	char path[4096];
	DIR *d;

	if ((d = opendir(dir)) == NULL)
		return -1;
	while ((de = readdir(d)) != NULL && ncases < MAX_CASES) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s/request.txt", dir,
		    de->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode))
			cases[ncases++] = strdup(de->d_name);
	}
	closedir(d);
	qsort(cases, (size_t)ncases, sizeof(cases[0]), name_cmp);
	return 0;
}

Suite *suite_sigv4(void)
{
	Suite *s = suite_create("sigv4");
	TCase *tc = tcase_create("documentation");
	TCase *conf = tcase_create("conformance");

	tcase_add_test(tc, signing_key_matches_the_documented_example);
	tcase_add_test(tc, stages_match_the_documented_iam_request);
	tcase_add_test(tc, sign_matches_the_documented_iam_request);
	tcase_add_test(tc, sign_refuses_reserved_headers);
	tcase_add_test(tc, path_encoded_twice_query_decoded_and_reencoded);
	tcase_add_test(tc, key_cache_never_serves_another_secret_or_day);
	suite_add_tcase(s, tc);

	suite_dir = getenv("SIGV4_SUITE");
	if (suite_dir == NULL || *suite_dir == '\0')
		suite_dir = SUITE_DEFAULT;
	if (scan_cases(suite_dir) == -1)
		tcase_add_test(conf, conformance_suite_missing_fails);
	else if (ncases == 0)
		tcase_add_test(conf, conformance_suite_empty_fails);
	else {
		printf("SigV4 conformance suite: %d cases from %s\n", ncases,
		    suite_dir);
		fflush(stdout);
		tcase_add_loop_test(conf, conformance_case, 0, ncases);
	}
	suite_add_tcase(s, conf);
	return s;
}

/*
 * check_creds: the credentials object, the providers without HTTP
 * (environment, shared files) and the default chain over all four.  The
 * HTTP providers are check_creds_http.c, the cache check_creds_cached.c;
 * the fixture (clean environment, credential peer) is creds_fixture.h.
 */
#include "creds_fixture.h"

Suite *suite_creds(void);

START_TEST(credentials_are_refcounted_and_need_both_keys)
{
	struct creds *c, *d;

	c = creds_new("AKID", "secret", "", 0, "test");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->session_token);
	ck_assert_int_eq(c->refs, 1);
	d = creds_ref(c);
	ck_assert_ptr_eq(c, d);
	ck_assert_int_eq(c->refs, 2);
	creds_unref(d);
	ck_assert_int_eq(c->refs, 1);
	ck_assert_str_eq(c->secret_access_key, "secret");
	creds_unref(c);
	creds_unref(NULL);
	ck_assert_ptr_null(creds_new("AKID", NULL, NULL, 0, "x"));
}
END_TEST

START_TEST(env_needs_both_keys_and_takes_a_token)
{
	struct creds_provider *p = creds_env_new();
	struct creds *c;

	get_fails(p, "environment: AWS_ACCESS_KEY_ID and "
	    "AWS_SECRET_ACCESS_KEY not set");
	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	get_fails(p, "AWS_ACCESS_KEY_ID set without AWS_SECRET_ACCESS_KEY");
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "AKIDENV");
	ck_assert_str_eq(c->secret_access_key, "envsecret");
	ck_assert_ptr_null(c->session_token);
	ck_assert_str_eq(c->source, "environment");
	ck_assert_int_eq(c->expiration, 0);
	creds_unref(c);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->session_token, "envtoken");
	creds_unref(c);
	creds_provider_free(p);
}
END_TEST

/* A session token longer than inih's default 200-byte line. */
static char *
long_token(void)
{
	char *t = malloc(LONG_TOKEN_LEN + 1);
	int i;

	ck_assert_ptr_nonnull(t);
	for (i = 0; i < LONG_TOKEN_LEN; i++)
		t[i] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/"
		    [i % 54];
	t[LONG_TOKEN_LEN] = '\0';
	return t;
}

START_TEST(profile_reads_both_files_and_refuses_delegation)
{
	struct creds_provider *p = creds_profile_new();
	struct creds *c;
	char *tok = long_token(), text[4096], path[512], err[512];
	char *region;

	get_fails(p, "profile: no profile \"default\"");
	/* The defaults: ~/.aws/credentials and ~/.aws/config. */
	snprintf(path, sizeof(path), "%s/.aws", tmpdir);
	ck_assert_int_eq(mkdir(path, 0700), 0);
	write_file(".aws/credentials", "[other]\naws_access_key_id = NO\n"
	    "aws_secret_access_key = no\n\n[default]\n"
	    "aws_access_key_id = AKIDDEFAULT\n"
	    "aws_secret_access_key = defaultsecret\n");
	write_file(".aws/config", "[default]\nregion = us-west-2\n\n"
	    "[profile work]\nregion = eu-central-1\n"
	    "aws_access_key_id = AKIDWORK\n"
	    "aws_secret_access_key = worksecret\n");
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "AKIDDEFAULT");
	ck_assert_str_eq(c->secret_access_key, "defaultsecret");
	ck_assert_str_eq(c->source, "profile");
	creds_unref(c);
	ck_assert_str_eq(region = creds_profile_region(err, sizeof(err)),
	    "us-west-2");
	free(region);

	/* AWS_PROFILE: found in the config file's [profile work]. */
	setenv("AWS_PROFILE", "work", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "AKIDWORK");
	creds_unref(c);
	ck_assert_str_eq(region = creds_profile_region(err, sizeof(err)),
	    "eu-central-1");
	free(region);

	/* The variables name other files; a long session token survives. */
	snprintf(text, sizeof(text), "[work]\naws_access_key_id = AKIDFILE\n"
	    "aws_secret_access_key = filesecret\naws_session_token = %s\n"
	    "[assumed]\nrole_arn = arn:aws:iam::123456789012:role/r\n"
	    "source_profile = work\n", tok);
	write_file("creds", text);
	snprintf(path, sizeof(path), "%s/creds", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", path, 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "AKIDFILE");
	ck_assert_str_eq(c->session_token, tok);
	creds_unref(c);

	/* A delegating profile is refused with the reason. */
	setenv("AWS_PROFILE", "assumed", 1);
	get_fails(p, "uses role_arn, which visitsd does not support");
	setenv("AWS_PROFILE", "missing", 1);
	get_fails(p, "no profile \"missing\"");
	ck_assert_ptr_null(creds_profile_region(err, sizeof(err)));
	free(tok);
	creds_provider_free(p);
}
END_TEST

START_TEST(chain_takes_the_first_source_and_reports_every_reason)
{
	struct creds_provider *p = creds_chain_new_default();
	struct creds *c;
	char url[128];

	/* Nothing anywhere: every link says why. */
	get_fails(p, "environment: ");
	get_fails(p, "; profile: ");
	get_fails(p, "; container: ");
	get_fails(p, "; imds: AWS_EC2_METADATA_DISABLED");

	peer_start();
	setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.base, 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "imds");
	creds_unref(c);

	snprintf(url, sizeof(url), "%s/creds", peer.base);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "container");
	creds_unref(c);

	write_file("credentials", "[default]\naws_access_key_id = AKIDPROF\n"
	    "aws_secret_access_key = profsecret\n");
	snprintf(url, sizeof(url), "%s/credentials", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", url, 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "profile");
	creds_unref(c);

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "environment");
	creds_unref(c);
	creds_provider_free(p);
}
END_TEST

Suite *suite_creds(void)
{
	Suite *s = suite_create("creds");
	TCase *tc = tcase_create("providers");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, credentials_are_refcounted_and_need_both_keys);
	tcase_add_test(tc, env_needs_both_keys_and_takes_a_token);
	tcase_add_test(tc, profile_reads_both_files_and_refuses_delegation);
	tcase_add_test(tc, chain_takes_the_first_source_and_reports_every_reason);
	suite_add_tcase(s, tc);
	return s;
}

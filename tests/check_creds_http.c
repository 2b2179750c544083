/*
 * check_creds_http: the container (ECS/EKS) and IMDSv2 providers against
 * the in-test peer of creds_fixture.h, which checks the tokens they send.
 */
#include "creds_fixture.h"
#include "aws/region.h"

Suite *suite_creds_http(void);

START_TEST(container_sends_the_token_and_refuses_foreign_hosts)
{
	struct creds_provider *p = creds_container_new();
	struct creds *c;
	char url[128], path[512];
	int before;

	peer.want_auth = "Bearer container-secret";
	peer_start();
	get_fails(p, "container: AWS_CONTAINER_CREDENTIALS_RELATIVE_URI and "
	    "_FULL_URI not set");
	snprintf(url, sizeof(url), "%s/creds", peer.base);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);

	/* No token: the endpoint refuses, and so do we. */
	get_fails(p, "answered HTTP 401");

	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "Bearer container-secret",
	    1);
	c = get_ok(p);
	pthread_mutex_lock(&peer.lock);
	ck_assert_str_eq(peer.container_auth, "Bearer container-secret");
	pthread_mutex_unlock(&peer.lock);
	ck_assert_str_eq(c->access_key_id, "ASIACONT0");
	ck_assert_str_eq(c->secret_access_key, "secret-0");
	ck_assert_str_eq(c->session_token, "token-0");
	ck_assert_str_eq(c->source, "container");
	ck_assert_int_eq(c->expiration, peer.expires[0]);
	creds_unref(c);

	/* The token file wins over the variable, without its newline. */
	write_file("token", "Bearer from-file\n");
	snprintf(path, sizeof(path), "%s/token", tmpdir);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", path, 1);
	pthread_mutex_lock(&peer.lock);
	peer.want_auth = "Bearer from-file";
	pthread_mutex_unlock(&peer.lock);
	c = get_ok(p);
	pthread_mutex_lock(&peer.lock);
	ck_assert_str_eq(peer.container_auth, "Bearer from-file");
	pthread_mutex_unlock(&peer.lock);
	creds_unref(c);

	/* Other ISO 8601 spellings of the expiration. */
	peer_set(&peer.exp_style, 1);
	c = get_ok(p);
	ck_assert_int_eq(c->expiration, peer.expires[2]);
	creds_unref(c);
	peer_set(&peer.exp_style, 2);
	c = get_ok(p);
	ck_assert_int_eq(c->expiration, peer.expires[3]);
	creds_unref(c);

	/* Other loopback spellings pass the host check (nothing listens). */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://[::1]:1/creds", 1);
	get_fails(p, "container: GET http://[::1]:1/creds: ");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.2:1/c", 1);
	get_fails(p, "container: GET http://127.0.0.2:1/c: ");

	/* Plain http to a host that is not loopback/ECS/EKS: never asked. */
	before = peer_get(&peer.container_gets);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://192.0.2.10/creds", 1);
	get_fails(p, "AWS_CONTAINER_CREDENTIALS_FULL_URI refused");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
	    "http://metadata.example.com:8080/creds", 1);
	get_fails(p, "refused");
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "ftp://127.0.0.1/creds",
	    1);
	get_fails(p, "refused");
	ck_assert_int_eq(peer_get(&peer.container_gets), before);

	/* The endpoint failing is an error, not empty credentials. */
	snprintf(url, sizeof(url), "http://localhost:%u/creds", peer.port);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	peer_set(&peer.fail, 1);
	get_fails(p, "answered HTTP 500");
	creds_provider_free(p);
}
END_TEST

START_TEST(imds_uses_a_session_token_and_never_falls_back_to_v1)
{
	struct creds_provider *p = creds_imds_new();
	struct creds *c;
	char err[512], *region;

	peer_start();
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", peer.base, 1);
	/* Disabled: not a single request. */
	get_fails(p, "AWS_EC2_METADATA_DISABLED is true");
	ck_assert_int_eq(peer_get(&peer.token_puts), 0);
	ck_assert_int_eq(peer_get(&peer.imds_gets), 0);

	setenv("AWS_EC2_METADATA_DISABLED", "false", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIAIMDS0");
	ck_assert_str_eq(c->secret_access_key, "secret-0");
	ck_assert_str_eq(c->session_token, "token-0");
	ck_assert_str_eq(c->source, "imds");
	ck_assert_int_eq(c->expiration, peer.expires[0]);
	creds_unref(c);
	/* One token (TTL sent) for both GETs: the role, its credentials. */
	ck_assert_int_eq(peer_get(&peer.token_puts), 1);
	ck_assert_str_eq(peer.token_ttl, "21600");
	ck_assert_int_eq(peer_get(&peer.imds_gets), 2);
	ck_assert_int_eq(peer_get(&peer.imds_untokened), 0);

	/* The region, through region_resolve's last resort. */
	region = region_resolve(err, sizeof(err));
	ck_assert_msg(region != NULL, "%s", err);
	ck_assert_str_eq(region, "eu-west-3");
	free(region);

	/* Token refused: no IMDSv1 fallback, no untokened GET. */
	peer_set(&peer.refuse_token, 1);
	get_fails(p, "imds: token request answered HTTP 403");
	ck_assert_int_eq(peer_get(&peer.imds_untokened), 0);
	ck_assert_int_eq(peer_get(&peer.imds_gets), 3);
	creds_provider_free(p);
}
END_TEST

Suite *suite_creds_http(void)
{
	Suite *s = suite_create("creds_http");
	TCase *tc = tcase_create("http");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, container_sends_the_token_and_refuses_foreign_hosts);
	tcase_add_test(tc, imds_uses_a_session_token_and_never_falls_back_to_v1);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_creds_cached: the refreshing cache over the container provider:
 * refresh before expiry, keeping valid credentials through failures,
 * refusing expired ones, and a first fetch that fails; refreshes counted
 * by outcome in the metrics.
 */
#include "creds_fixture.h"
#include "metrics.h"

Suite *suite_creds_cached(void);

struct watch {
	struct creds_provider	*p;
	const char		*akid;	/* wait until it differs */
	int			 want_failed;
};

static int
akid_changed(void *arg)
{
	struct watch *w = arg;
	struct creds *c;
	char err[512];
	int changed;

	if ((c = creds_get(w->p, err, sizeof(err))) == NULL)
		return 0;
	changed = strcmp(c->access_key_id, w->akid) != 0;
	creds_unref(c);
	return changed;
}

static int
enough_failures(void *arg)
{
	struct watch *w = arg;

	return peer_get(&peer.failed) >= w->want_failed;
}

static int
get_refused(void *arg)
{
	struct watch *w = arg;
	struct creds *c;
	char err[512];

	if ((c = creds_get(w->p, err, sizeof(err))) == NULL)
		return 1;
	creds_unref(c);
	return 0;
}

/* The value of one series in the metrics text; -1 when it is absent. */
static long long
metric_value(const char *series)
{
	char *text = metrics_render(), *at;
	long long v = -1;

	if ((at = strstr(text, series)) != NULL)
		v = strtoll(at + strlen(series), NULL, 10);
	free(text);
	return v;
}

static struct creds_provider *
cached_container(int lifetime, time_t lead)
{
	struct creds_cached_opts o = { lead, 1, 1 };
	struct creds_provider *p;
	char url[128], err[512];

	peer.lifetime = lifetime;
	peer_start();
	snprintf(url, sizeof(url), "%s/creds", peer.base);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	p = creds_cached_new_opts(creds_container_new(), &o, err, sizeof(err));
	ck_assert_msg(p != NULL, "%s", err);
	return p;
}

/* Short-lived credentials are replaced before they expire. */
START_TEST(cached_refreshes_before_expiry)
{
	struct creds_provider *p = cached_container(12, 10);
	struct creds *c;
	struct watch w = { p, "ASIACONT0", 0 };

	ck_assert_int_eq(peer_get(&peer.issued), 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIACONT0");
	creds_unref(c);
	ck_assert_msg(poll_until(akid_changed, &w, 20),
	    "credentials were not refreshed");
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIACONT1");
	creds_unref(c);
	pthread_mutex_lock(&peer.lock);
	ck_assert_msg(peer.issued_at[1] < peer.expires[0],
	    "refreshed at %lld, after the expiry %lld",
	    (long long)peer.issued_at[1], (long long)peer.expires[0]);
	pthread_mutex_unlock(&peer.lock);
	creds_provider_free(p);
}
END_TEST

/* A failing refresh keeps the valid credentials and retries. */
START_TEST(cached_keeps_old_on_failure)
{
	struct creds_provider *p = cached_container(30, 29);
	struct creds *c;
	struct watch w = { p, "ASIACONT0", 2 };

	peer_set(&peer.fail, 1);
	ck_assert_msg(poll_until(enough_failures, &w, 20),
	    "the refresh was not retried");
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIACONT0");
	ck_assert_int_eq(peer_get(&peer.issued), 1);
	creds_unref(c);
	peer_set(&peer.fail, 0);
	ck_assert_msg(poll_until(akid_changed, &w, 20),
	    "no refresh after the endpoint recovered");
	ck_assert_int_ge(metric_value("visitsd_aws_credential_refreshes_total"
	    "{outcome=\"error\"} "), 2);
	ck_assert_int_ge(metric_value("visitsd_aws_credential_refreshes_total"
	    "{outcome=\"ok\"} "), 1);
	creds_provider_free(p);
}
END_TEST

/* Once they have expired and no refresh worked, get says so. */
START_TEST(cached_expired_is_an_error)
{
	struct creds_provider *p = cached_container(4, 3);
	struct watch w = { p, NULL, 0 };

	peer_set(&peer.fail, 1);
	ck_assert_msg(poll_until(get_refused, &w, 20),
	    "expired credentials still handed out");
	get_fails(p, "expired");
	get_fails(p, "HTTP 500");
	creds_provider_free(p);
}
END_TEST

START_TEST(cached_fails_when_the_first_fetch_fails)
{
	char err[512] = "";

	ck_assert_ptr_null(creds_cached_new(creds_env_new(), err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "environment"));
}
END_TEST

Suite *suite_creds_cached(void)
{
	Suite *s = suite_create("creds_cached");
	TCase *tc = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, cached_fails_when_the_first_fetch_fails);
	tcase_add_test(tc, cached_refreshes_before_expiry);
	tcase_add_test(tc, cached_keeps_old_on_failure);
	tcase_add_test(tc, cached_expired_is_an_error);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_creds: the credential providers, the chain, the refreshing cache,
 * and region and endpoint resolution.
 *
 * The HTTP providers talk to a peer started inside each test on a free
 * loopback port with libmicrohttpd, which speaks the real protocols: the
 * ECS/EKS container endpoint (checking the Authorization token) and EC2
 * IMDSv2 (a PUT for a session token with a TTL header, then GETs that must
 * carry it).  Every test starts from an environment without AWS_* variables,
 * HOME in a fresh temporary directory and IMDS disabled, so nothing on this
 * machine and nothing beyond loopback is ever consulted.  Waits are polls
 * with a bound, never fixed sleeps.
 */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <microhttpd.h>
#include <netinet/in.h>

#include "aws/creds.h"
#include "log.h"

Suite *suite_creds(void);

#define IMDS_TOKEN	"imds-session-token-1"
#define ROLE		"visitsd-role"
#define LONG_TOKEN_LEN	1200

/* The in-test credential endpoints and what they saw. */
struct peer {
	struct MHD_Daemon *d;
	unsigned short	 port;
	char		 base[64];	/* http://127.0.0.1:port */
	pthread_mutex_t	 lock;
	/* behaviour */
	const char	*want_auth;	/* container Authorization, or NULL */
	int		 lifetime;	/* of issued credentials, seconds */
	int		 fail;		/* credential answers are 500 */
	int		 refuse_token;	/* the token PUT answers 403 */
	int		 exp_style;	/* 0 "...Z", 1 "....123Z", 2 "...+02:00" */
	/* records */
	int		 token_puts;
	char		 token_ttl[32];
	int		 imds_gets;	/* GETs that carried the token */
	int		 imds_untokened;	/* GETs that did not */
	int		 container_gets;
	char		 container_auth[256];
	int		 failed;	/* credential requests answered 500 */
	int		 issued;	/* credentials handed out */
	time_t		 issued_at[64];
	time_t		 expires[64];
};

static struct peer peer;
static char tmpdir[64];

static enum MHD_Result
reply(struct MHD_Connection *conn, unsigned int status, const char *body)
{
	struct MHD_Response *r;
	enum MHD_Result ret;

	r = MHD_create_response_from_buffer(strlen(body),
	    (void *)(uintptr_t)body, MHD_RESPMEM_MUST_COPY);
	ret = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return ret;
}

/* Fresh credentials as both endpoints serve them; lock held. */
static void
issue(char *buf, size_t len, const char *prefix)
{
	char exp[32];
	time_t now = time(NULL), e = now + peer.lifetime;
	int n = peer.issued++;

	if (peer.exp_style == 2) {
		time_t local = e + 2 * 3600;

		strftime(exp, sizeof(exp), "%Y-%m-%dT%H:%M:%S+02:00",
		    gmtime(&local));
	} else
		strftime(exp, sizeof(exp), peer.exp_style == 1 ?
		    "%Y-%m-%dT%H:%M:%S.123Z" : "%Y-%m-%dT%H:%M:%SZ",
		    gmtime(&e));
	if (n < 64) {
		peer.issued_at[n] = now;
		peer.expires[n] = e;
	}
	snprintf(buf, len, "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
	    "\"AccessKeyId\":\"%s%d\",\"SecretAccessKey\":\"secret-%d\","
	    "\"Token\":\"token-%d\",\"Expiration\":\"%s\"}", prefix, n, n, n,
	    exp);
}

static enum MHD_Result
handler(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **state)
{
	static int marker;
	const char *v;
	char body[512];
	unsigned int status = 200;

	(void)cls;
	(void)version;
	(void)upload;
	if (*state == NULL) {
		*state = &marker;
		return MHD_YES;
	}
	*upload_size = 0;
	pthread_mutex_lock(&peer.lock);
	if (strcmp(url, "/latest/api/token") == 0) {
		v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "X-aws-ec2-metadata-token-ttl-seconds");
		if (strcmp(method, "PUT") != 0) {
			status = 405;
			snprintf(body, sizeof(body), "method not allowed");
		} else if (v == NULL || atoi(v) < 1 || atoi(v) > 21600) {
			status = 400;
			snprintf(body, sizeof(body), "missing or bad TTL");
		} else if (peer.refuse_token) {
			status = 403;
			snprintf(body, sizeof(body), "forbidden");
		} else {
			peer.token_puts++;
			snprintf(peer.token_ttl, sizeof(peer.token_ttl), "%s",
			    v);
			snprintf(body, sizeof(body), IMDS_TOKEN);
		}
	} else if (strncmp(url, "/latest/", 8) == 0) {
		v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "X-aws-ec2-metadata-token");
		if (v == NULL || strcmp(v, IMDS_TOKEN) != 0) {
			peer.imds_untokened++;
			status = 401;
			snprintf(body, sizeof(body), "unauthorized");
		} else if (peer.imds_gets++, strcmp(url,
		    "/latest/meta-data/iam/security-credentials/") == 0)
			snprintf(body, sizeof(body), ROLE);
		else if (strcmp(url,
		    "/latest/meta-data/iam/security-credentials/" ROLE) == 0) {
			if (peer.fail) {
				peer.failed++;
				status = 500;
				snprintf(body, sizeof(body), "error");
			} else
				issue(body, sizeof(body), "ASIAIMDS");
		} else if (strcmp(url, "/latest/meta-data/placement/region") ==
		    0)
			snprintf(body, sizeof(body), "eu-west-3");
		else {
			status = 404;
			snprintf(body, sizeof(body), "not found");
		}
	} else if (strcmp(url, "/creds") == 0) {
		v = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
		    "Authorization");
		peer.container_gets++;
		snprintf(peer.container_auth, sizeof(peer.container_auth),
		    "%s", v ? v : "");
		if (peer.want_auth != NULL && (v == NULL ||
		    strcmp(v, peer.want_auth) != 0)) {
			status = 401;
			snprintf(body, sizeof(body), "{\"Code\":\"AccessDenied\"}");
		} else if (peer.fail) {
			peer.failed++;
			status = 500;
			snprintf(body, sizeof(body), "{}");
		} else
			issue(body, sizeof(body), "ASIACONT");
	} else {
		status = 404;
		snprintf(body, sizeof(body), "not found");
	}
	pthread_mutex_unlock(&peer.lock);
	return reply(conn, status, body);
}

static void
peer_start(void)
{
	struct sockaddr_in sin;
	const union MHD_DaemonInfo *info;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	peer.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD |
	    MHD_USE_ERROR_LOG, 0, NULL, NULL, handler, NULL,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sin, MHD_OPTION_END);
	ck_assert_ptr_nonnull(peer.d);
	info = MHD_get_daemon_info(peer.d, MHD_DAEMON_INFO_BIND_PORT);
	ck_assert_ptr_nonnull(info);
	peer.port = info->port;
	ck_assert_uint_ne(peer.port, 0);
	snprintf(peer.base, sizeof(peer.base), "http://127.0.0.1:%u",
	    peer.port);
}

static int
peer_get(const int *field)
{
	int v;

	pthread_mutex_lock(&peer.lock);
	v = *field;
	pthread_mutex_unlock(&peer.lock);
	return v;
}

static void
peer_set(int *field, int v)
{
	pthread_mutex_lock(&peer.lock);
	*field = v;
	pthread_mutex_unlock(&peer.lock);
}

static void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

static void
setup(void)
{
	extern char **environ;
	char **e, name[256];
	size_t n;

	/* Drop every AWS_* variable this process inherited. */
	for (e = environ; *e != NULL; ) {
		n = strcspn(*e, "=");
		if (strncmp(*e, "AWS_", 4) == 0 && n < sizeof(name)) {
			memcpy(name, *e, n);
			name[n] = '\0';
			unsetenv(name);
			e = environ;
		} else
			e++;
	}
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_creds.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	setenv("HOME", tmpdir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	memset(&peer, 0, sizeof(peer));
	pthread_mutex_init(&peer.lock, NULL);
	peer.lifetime = 3600;
	log_init(LOG_ERROR, LOG_FORMAT_TEXT);
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void
teardown(void)
{
	char cmd[300];

	if (peer.d != NULL)
		MHD_stop_daemon(peer.d);
	peer.d = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Poll until fn(arg) is true or limit seconds pass; returns the last value. */
static int
poll_until(int (*fn)(void *), void *arg, int limit)
{
	struct timespec ts = { 0, 20 * 1000 * 1000 };
	time_t end = time(NULL) + limit;

	while (!fn(arg)) {
		if (time(NULL) > end)
			return fn(arg);
		nanosleep(&ts, NULL);
	}
	return 1;
}

static struct aws_credentials *
get_ok(struct creds_provider *p)
{
	struct aws_credentials *c;
	char err[1024] = "";

	c = creds_get(p, err, sizeof(err));
	ck_assert_msg(c != NULL, "no credentials: %s", err);
	return c;
}

static void
get_fails(struct creds_provider *p, const char *needle)
{
	char err[2048] = "";

	ck_assert_ptr_null(creds_get(p, err, sizeof(err)));
	ck_assert_msg(strstr(err, needle) != NULL, "\"%s\" not in \"%s\"",
	    needle, err);
}

START_TEST(credentials_refcount)
{
	struct aws_credentials *c, *d;

	c = aws_credentials_new("AKID", "secret", "", 0, "test");
	ck_assert_ptr_nonnull(c);
	ck_assert_ptr_null(c->session_token);
	ck_assert_int_eq(c->refs, 1);
	d = aws_credentials_ref(c);
	ck_assert_ptr_eq(c, d);
	ck_assert_int_eq(c->refs, 2);
	aws_credentials_unref(d);
	ck_assert_int_eq(c->refs, 1);
	ck_assert_str_eq(c->secret_access_key, "secret");
	aws_credentials_unref(c);
	aws_credentials_unref(NULL);
	ck_assert_ptr_null(aws_credentials_new("AKID", NULL, NULL, 0, "x"));
}
END_TEST

START_TEST(env_provider)
{
	struct creds_provider *p = creds_env_new();
	struct aws_credentials *c;

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
	aws_credentials_unref(c);
	setenv("AWS_SESSION_TOKEN", "envtoken", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->session_token, "envtoken");
	aws_credentials_unref(c);
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

START_TEST(profile_provider)
{
	struct creds_provider *p = creds_profile_new();
	struct aws_credentials *c;
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
	aws_credentials_unref(c);
	ck_assert_str_eq(region = creds_profile_region(err, sizeof(err)),
	    "us-west-2");
	free(region);

	/* AWS_PROFILE: found in the config file's [profile work]. */
	setenv("AWS_PROFILE", "work", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "AKIDWORK");
	aws_credentials_unref(c);
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
	aws_credentials_unref(c);

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

START_TEST(chain_order)
{
	struct creds_provider *p = creds_default_chain_new();
	struct aws_credentials *c;
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
	aws_credentials_unref(c);

	snprintf(url, sizeof(url), "%s/creds", peer.base);
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "container");
	aws_credentials_unref(c);

	write_file("credentials", "[default]\naws_access_key_id = AKIDPROF\n"
	    "aws_secret_access_key = profsecret\n");
	snprintf(url, sizeof(url), "%s/credentials", tmpdir);
	setenv("AWS_SHARED_CREDENTIALS_FILE", url, 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "profile");
	aws_credentials_unref(c);

	setenv("AWS_ACCESS_KEY_ID", "AKIDENV", 1);
	setenv("AWS_SECRET_ACCESS_KEY", "envsecret", 1);
	c = get_ok(p);
	ck_assert_str_eq(c->source, "environment");
	aws_credentials_unref(c);
	creds_provider_free(p);
}
END_TEST

START_TEST(container_provider)
{
	struct creds_provider *p = creds_container_new();
	struct aws_credentials *c;
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
	aws_credentials_unref(c);

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
	aws_credentials_unref(c);

	/* Other ISO 8601 spellings of the expiration. */
	peer_set(&peer.exp_style, 1);
	c = get_ok(p);
	ck_assert_int_eq(c->expiration, peer.expires[2]);
	aws_credentials_unref(c);
	peer_set(&peer.exp_style, 2);
	c = get_ok(p);
	ck_assert_int_eq(c->expiration, peer.expires[3]);
	aws_credentials_unref(c);

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

START_TEST(imds_provider)
{
	struct creds_provider *p = creds_imds_new();
	struct aws_credentials *c;
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
	aws_credentials_unref(c);
	/* One token (TTL sent) for both GETs: the role, its credentials. */
	ck_assert_int_eq(peer_get(&peer.token_puts), 1);
	ck_assert_str_eq(peer.token_ttl, "21600");
	ck_assert_int_eq(peer_get(&peer.imds_gets), 2);
	ck_assert_int_eq(peer_get(&peer.imds_untokened), 0);

	/* The region, through aws_region_resolve's last resort. */
	region = aws_region_resolve(err, sizeof(err));
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

struct watch {
	struct creds_provider	*p;
	const char		*akid;	/* wait until it differs */
	int			 want_failed;
};

static int
akid_changed(void *arg)
{
	struct watch *w = arg;
	struct aws_credentials *c;
	char err[512];
	int changed;

	if ((c = creds_get(w->p, err, sizeof(err))) == NULL)
		return 0;
	changed = strcmp(c->access_key_id, w->akid) != 0;
	aws_credentials_unref(c);
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
	struct aws_credentials *c;
	char err[512];

	if ((c = creds_get(w->p, err, sizeof(err))) == NULL)
		return 1;
	aws_credentials_unref(c);
	return 0;
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
	struct aws_credentials *c;
	struct watch w = { p, "ASIACONT0", 0 };

	ck_assert_int_eq(peer_get(&peer.issued), 1);
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIACONT0");
	aws_credentials_unref(c);
	ck_assert_msg(poll_until(akid_changed, &w, 20),
	    "credentials were not refreshed");
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIACONT1");
	aws_credentials_unref(c);
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
	struct aws_credentials *c;
	struct watch w = { p, "ASIACONT0", 2 };

	peer_set(&peer.fail, 1);
	ck_assert_msg(poll_until(enough_failures, &w, 20),
	    "the refresh was not retried");
	c = get_ok(p);
	ck_assert_str_eq(c->access_key_id, "ASIACONT0");
	ck_assert_int_eq(peer_get(&peer.issued), 1);
	aws_credentials_unref(c);
	peer_set(&peer.fail, 0);
	ck_assert_msg(poll_until(akid_changed, &w, 20),
	    "no refresh after the endpoint recovered");
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

START_TEST(cached_first_fetch_fails)
{
	char err[512] = "";

	ck_assert_ptr_null(creds_cached_new(creds_env_new(), err,
	    sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "environment"));
}
END_TEST

START_TEST(region_order)
{
	char err[512] = "", *r;

	ck_assert_ptr_null(aws_region_resolve(err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "AWS_REGION"));
	write_file("config", "[default]\nregion = ap-south-1\n");
	snprintf(err, sizeof(err), "%s/config", tmpdir);
	setenv("AWS_CONFIG_FILE", err, 1);
	ck_assert_str_eq(r = aws_region_resolve(err, sizeof(err)),
	    "ap-south-1");
	free(r);
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	ck_assert_str_eq(r = aws_region_resolve(err, sizeof(err)),
	    "eu-north-1");
	free(r);
	setenv("AWS_REGION", "sa-east-1", 1);
	ck_assert_str_eq(r = aws_region_resolve(err, sizeof(err)),
	    "sa-east-1");
	free(r);
}
END_TEST

START_TEST(endpoint_order)
{
	char *u;

	ck_assert_str_eq(u = aws_endpoint_resolve("dynamodb", "eu-west-1"),
	    "https://dynamodb.eu-west-1.amazonaws.com");
	free(u);
	ck_assert_str_eq(u = aws_endpoint_resolve("ssm", "cn-north-1"),
	    "https://ssm.cn-north-1.amazonaws.com.cn");
	free(u);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566/", 1);
	ck_assert_str_eq(u = aws_endpoint_resolve("dynamodb", "eu-west-1"),
	    "http://127.0.0.1:4566");
	free(u);
	setenv("AWS_ENDPOINT_URL_DYNAMODB", "http://127.0.0.1:8000", 1);
	ck_assert_str_eq(u = aws_endpoint_resolve("dynamodb", "eu-west-1"),
	    "http://127.0.0.1:8000");
	free(u);
	ck_assert_str_eq(u = aws_endpoint_resolve("ssm", "eu-west-1"),
	    "http://127.0.0.1:4566");
	free(u);
	setenv("AWS_ENDPOINT_URL_API_GATEWAY_V2", "http://127.0.0.1:9", 1);
	ck_assert_str_eq(u = aws_endpoint_resolve("api gateway-v2",
	    "eu-west-1"), "http://127.0.0.1:9");
	free(u);
	setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true", 1);
	ck_assert_str_eq(u = aws_endpoint_resolve("dynamodb", "eu-west-1"),
	    "https://dynamodb.eu-west-1.amazonaws.com");
	free(u);
}
END_TEST

Suite *suite_creds(void)
{
	Suite *s = suite_create("creds");
	TCase *tc = tcase_create("providers");
	TCase *cache = tcase_create("cache");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, credentials_refcount);
	tcase_add_test(tc, env_provider);
	tcase_add_test(tc, profile_provider);
	tcase_add_test(tc, chain_order);
	tcase_add_test(tc, container_provider);
	tcase_add_test(tc, imds_provider);
	tcase_add_test(tc, region_order);
	tcase_add_test(tc, endpoint_order);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(cache, setup, teardown);
	tcase_set_timeout(cache, 60);
	tcase_add_test(cache, cached_first_fetch_fails);
	tcase_add_test(cache, cached_refreshes_before_expiry);
	tcase_add_test(cache, cached_keeps_old_on_failure);
	tcase_add_test(cache, cached_expired_is_an_error);
	suite_add_tcase(s, cache);
	return s;
}

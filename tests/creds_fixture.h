/*
 * creds_fixture: what the credential, region and endpoint suites share
 * (check_creds.c, check_creds_http.c, check_creds_cached.c, check_region.c,
 * check_endpoint.c): a clean environment and the in-test credential peer.
 *
 * The HTTP providers talk to a peer started inside each test on a free
 * loopback port with libmicrohttpd, which speaks the real protocols: the
 * ECS/EKS container endpoint (checking the Authorization token) and EC2
 * IMDSv2 (a PUT for a session token with a TTL header, then GETs that must
 * carry it).  Every test starts from an environment without AWS_* variables,
 * HOME in a fresh temporary directory and IMDS disabled, so nothing on this
 * machine and nothing beyond loopback is ever consulted.  Waits are polls
 * with a bound, never fixed sleeps.  Each including file gets its own copy
 * of the peer; the helpers are static inline so unused ones cost nothing.
 */
#ifndef VISITSD_TESTS_CREDS_FIXTURE_H
#define VISITSD_TESTS_CREDS_FIXTURE_H
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

static inline enum MHD_Result
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
static inline void
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

static inline enum MHD_Result
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

static inline void
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

static inline int
peer_get(const int *field)
{
	int v;

	pthread_mutex_lock(&peer.lock);
	v = *field;
	pthread_mutex_unlock(&peer.lock);
	return v;
}

static inline void
peer_set(int *field, int v)
{
	pthread_mutex_lock(&peer.lock);
	*field = v;
	pthread_mutex_unlock(&peer.lock);
}

static inline void
write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/*
 * The environment before setup(), restored by teardown(), so that with
 * CK_FORK=no (valgrind, gdb) a test's variables do not reach the tests and
 * suites after it.
 */
static char **saved_env;

static inline void
env_save(void)
{
	extern char **environ;
	size_t n = 0, i;

	while (environ[n] != NULL)
		n++;
	ck_assert_ptr_nonnull(saved_env = calloc(n + 1, sizeof(*saved_env)));
	for (i = 0; i < n; i++)
		ck_assert_ptr_nonnull(saved_env[i] = strdup(environ[i]));
}

static inline void
env_restore(void)
{
	char **e, *eq;

	if (saved_env == NULL)
		return;
	clearenv();
	for (e = saved_env; *e != NULL; e++) {
		if ((eq = strchr(*e, '=')) != NULL) {
			*eq = '\0';
			setenv(*e, eq + 1, 1);
		}
		free(*e);
	}
	free(saved_env);
	saved_env = NULL;
}

static inline void
setup(void)
{
	extern char **environ;
	char **e, name[256];
	size_t n;

	env_save();
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

static inline void
teardown(void)
{
	char cmd[300];

	if (peer.d != NULL)
		MHD_stop_daemon(peer.d);
	peer.d = NULL;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	env_restore();
	log_init(LOG_INFO, LOG_FORMAT_TEXT);	/* log.c's defaults */
	ck_assert_int_eq(system(cmd), 0);
}

/* Poll until fn(arg) is true or limit seconds pass; returns the last value. */
static inline int
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

static inline struct creds *
get_ok(struct creds_provider *p)
{
	struct creds *c;
	char err[1024] = "";

	c = creds_get(p, err, sizeof(err));
	ck_assert_msg(c != NULL, "no credentials: %s", err);
	return c;
}

static inline void
get_fails(struct creds_provider *p, const char *needle)
{
	char err[2048] = "";

	ck_assert_ptr_null(creds_get(p, err, sizeof(err)));
	ck_assert_msg(strstr(err, needle) != NULL, "\"%s\" not in \"%s\"",
	    needle, err);
}

#endif

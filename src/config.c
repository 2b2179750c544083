/*
 * config: struct config from the settings table: defaults, config_set, the
 * INI and environment loaders, the precedence of the sources, and the rules
 * across settings (config_validate).
 *
 * The table itself, the check of each single value and the names of a
 * setting are config_table.c's; argv is config_args.c's; --help and the
 * generated docs are config_doc.c's.  Field access goes through the
 * table's offsets, so nothing here names a setting except the rules in
 * config_validate.
 *
 * This file parses and checks; it does not act on the settings.  It reads
 * no file but the INI file it is given: key files and the database are the
 * daemon's business at startup, so `visitsd -n` checks the configuration,
 * not the world.
 */
#include <sys/socket.h>

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>

#include "apikey.h"
#include "aws/endpoint.h"
#include "config.h"
#include "config_args.h"
#include "config_table.h"
#include "hostport.h"
#include "log.h"
#include "ratelimit.h"
#include "util.h"

/* Field access through the table's offsets. */
static char **
str_field(struct config *cfg, const struct setting *s)
{
	return (char **)(void *)((char *)cfg + s->offset);
}

static int *
int_field(struct config *cfg, const struct setting *s)
{
	return (int *)(void *)((char *)cfg + s->offset);
}

static bool *
bool_field(struct config *cfg, const struct setting *s)
{
	return (bool *)(void *)((char *)cfg + s->offset);
}

/* Free *p, wiped first when it held a secret; *p is NULL after. */
static void
free_string(char **p, bool secret)
{
	if (secret)
		util_free_secret(*p);
	else
		free(*p);
	*p = NULL;
}

static int
parse_int(const struct setting *s, const char *v, int *out, char *why,
    size_t whylen)
{
	char *end;
	long n;

	if (*v == '\0' || !(isdigit((unsigned char)*v) || *v == '-' ||
	    *v == '+')) {
		snprintf(why, whylen, "\"%s\" is not a whole number", v);
		return -1;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (*end != '\0' || end == v) {
		snprintf(why, whylen, "\"%s\" is not a whole number", v);
		return -1;
	}
	if ((errno == ERANGE && n < 0) || (errno != ERANGE && n < s->min)) {
		snprintf(why, whylen, "%s is below the minimum %ld", v, s->min);
		return -1;
	}
	if (errno == ERANGE || n > s->max) {
		snprintf(why, whylen, "%s is above the maximum %ld", v, s->max);
		return -1;
	}
	*out = (int)n;
	return 0;
}

static int
parse_bool(const char *v, bool *out, char *why, size_t whylen)
{
	static const char *const yes[] = { "true", "yes", "on", "1" };
	static const char *const no[] = { "false", "no", "off", "0" };
	size_t i;

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = true;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = false;
			return 0;
		}
	}
	snprintf(why, whylen, "\"%s\" is not a boolean (true/false, yes/no, "
	    "on/off, 1/0)", v);
	return -1;
}

static const char *
parse_enum(const struct setting *s, const char *v, char *why, size_t whylen)
{
	size_t i, off;

	for (i = 0; s->choices[i] != NULL; i++)
		if (strcasecmp(v, s->choices[i]) == 0)
			return s->choices[i];
	off = (size_t)snprintf(why, whylen, "\"%s\" is not one of", v);
	for (i = 0; s->choices[i] != NULL && off < whylen; i++)
		off += (size_t)snprintf(why + off, whylen - off, "%s %s",
		    i == 0 ? "" : ",", s->choices[i]);
	return NULL;
}

/* Set s from text; why gets the reason without the setting's name. */
static int
apply(struct config *cfg, const struct setting *s, const char *v, char *why,
    size_t whylen)
{
	const char *choice;
	bool b;
	int n;

	switch (s->type) {
	case T_STRING:
	case T_SECRET:
		if (*v != '\0' && s->check != NULL &&
		    s->check(v, why, whylen) == -1)
			return -1;
		free_string(str_field(cfg, s), s->type == T_SECRET);
		*str_field(cfg, s) = xstrdup(v);
		return 0;
	case T_INT:
		if (parse_int(s, v, &n, why, whylen) == -1)
			return -1;
		*int_field(cfg, s) = n;
		return 0;
	case T_BOOL:
		if (*v == '\0') {
			snprintf(why, whylen, "needs a value");
			return -1;
		}
		if (parse_bool(v, &b, why, whylen) == -1)
			return -1;
		*bool_field(cfg, s) = b;
		return 0;
	case T_ENUM:
		if ((choice = parse_enum(s, v, why, whylen)) == NULL)
			return -1;
		free_string(str_field(cfg, s), false);
		*str_field(cfg, s) = xstrdup(choice);
		return 0;
	}
	snprintf(why, whylen, "setting of unknown type");	/* not reached */
	return -1;
}

void
config_init(struct config *cfg)
{
	char why[256];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_table_settings[i];

		/* A refused default is a bug in the table: the tests see it. */
		if (apply(cfg, s, s->def, why, sizeof(why)) == -1)
			fatalx("config: the default of %s is refused: %s",
			    s->name, why);
	}
	cfg->unknown_env = xstrdup("");
}

void
config_cleanup(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_table_settings[i];

		if (s->type == T_STRING || s->type == T_SECRET ||
		    s->type == T_ENUM)
			free_string(str_field(cfg, s), s->type == T_SECRET);
	}
	free_string(&cfg->unknown_env, false);
}

int
config_set(struct config *cfg, const char *name, const char *value,
    char *err, size_t errlen)
{
	const struct setting *s;
	char why[256];

	if ((s = config_table_lookup(name)) == NULL) {
		snprintf(err, errlen, "%s: no such setting", name);
		return -1;
	}
	if (apply(cfg, s, value, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "%s: %s", name, why);
		return -1;
	}
	return 0;
}

/*
 * The INI file.  inih hands us lines through ini_parse_stream so that we
 * know the line number of each key (the packaged library is built without
 * INI_HANDLER_LINENO) and can refuse a line too long for its buffer
 * instead of letting inih split it.
 */
struct ini_state {
	struct config	*cfg;
	FILE		*fp;
	const char	*path;
	int		 line;		/* line of the last chunk read */
	int		 next_line;
	bool		 seen[NSETTINGS];
	bool		 failed;
	char		*err;
	size_t		 errlen;
};

static char *
read_line(char *buf, int len, void *arg)
{
	struct ini_state *st = arg;
	size_t n;

	if (st->failed || fgets(buf, len, st->fp) == NULL)
		return NULL;
	st->line = st->next_line;
	n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		st->next_line++;
	else if (!feof(st->fp)) {
		snprintf(st->err, st->errlen, "%s:%d: line longer than %d "
		    "characters", st->path, st->line, len - 3);
		st->failed = true;
		return NULL;
	}
	return buf;
}

static int
on_key(void *arg, const char *section, const char *key,
    const char *value)
{
	struct ini_state *st = arg;
	const struct setting *s;
	char why[256];
	size_t i;

	if (st->failed)
		return 0;
	if (!config_table_has_section(section)) {
		snprintf(st->err, st->errlen, "%s:%d: unknown section [%s]",
		    st->path, st->line, section);
		goto fail;
	}
	if ((s = config_table_find(section, key)) == NULL) {
		snprintf(st->err, st->errlen, "%s:%d: unknown key \"%s\" in "
		    "[%s]", st->path, st->line, key, section);
		goto fail;
	}
	i = config_table_index(s);
	if (st->seen[i]) {
		snprintf(st->err, st->errlen, "%s:%d: [%s] %s is set twice",
		    st->path, st->line, section, key);
		goto fail;
	}
	st->seen[i] = true;
	if (apply(st->cfg, s, value, why, sizeof(why)) == -1) {
		snprintf(st->err, st->errlen, "%s:%d: [%s] %s: %s", st->path,
		    st->line, section, key, why);
		goto fail;
	}
	return 1;
fail:
	st->failed = true;
	return 0;
}

int
config_load_file(struct config *cfg, const char *path, char *err,
    size_t errlen)
{
	struct ini_state st;
	int rc;

	memset(&st, 0, sizeof(st));
	st.cfg = cfg;
	st.path = path;
	st.next_line = 1;
	st.err = err;
	st.errlen = errlen;
	if ((st.fp = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	rc = ini_parse_stream(read_line, &st, on_key, &st);
	if (rc != 0 && !st.failed) {
		if (ferror(st.fp))
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		else
			snprintf(err, errlen, "%s:%d: syntax error (expected "
			    "[section] or key = value)", path, rc);
		st.failed = true;
	}
	fclose(st.fp);
	return st.failed ? -1 : 0;
}

/* Add the n-byte name to cfg->unknown_env, comma-separated. */
static void
note_unknown(struct config *cfg, const char *name, size_t n)
{
	size_t old = strlen(cfg->unknown_env);

	cfg->unknown_env = xreallocarray(cfg->unknown_env, old + n + 3, 1);
	snprintf(cfg->unknown_env + old, n + 3, "%s%.*s", old > 0 ? ", " : "",
	    (int)n, name);
}

int
config_load_env(struct config *cfg, char *const envp[], char *err,
    size_t errlen)
{
	char name[CONFIG_NAME_MAX];
	const char *eq;
	size_t i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], CONFIG_ENV_PREFIX,
		    strlen(CONFIG_ENV_PREFIX)) != 0 ||
		    (eq = strchr(envp[i], '=')) == NULL)
			continue;
		if ((size_t)(eq - envp[i]) < sizeof(name)) {
			memcpy(name, envp[i], (size_t)(eq - envp[i]));
			name[eq - envp[i]] = '\0';
		} else
			name[0] = '\0';
		if (config_table_lookup(name) == NULL) {
			note_unknown(cfg, envp[i], (size_t)(eq - envp[i]));
			continue;
		}
		if (config_set(cfg, name, eq + 1, err, errlen) == -1)
			return -1;
	}
	return 0;
}

/*
 * Whether listeners on a and b would want the same socket: the same port
 * (0 is a new free port each time) and the same host, or one of them on
 * every address: "::" (dual-stack) covers all, 0.0.0.0 every IPv4
 * address.  A host name's addresses are known only by resolving it, which
 * is the world's business: the daemon finds out when it binds.
 */
static bool
listeners_collide(const struct hostport *a, const struct hostport *b)
{
	if (a->port != b->port || a->port == 0)
		return false;
	if (a->ipv6 == b->ipv6 && strcmp(a->host, b->host) == 0)
		return true;
	if (hostport_is_wildcard(a) &&
	    (a->ipv6 || hostport_family(b) == AF_INET))
		return true;
	if (hostport_is_wildcard(b) &&
	    (b->ipv6 || hostport_family(a) == AF_INET))
		return true;
	return false;
}

/* VISITSD_LISTEN and VISITSD_METRICS_LISTEN, each and together. */
static int
validate_listeners(const struct config *cfg, char *err, size_t errlen)
{
	struct hostport primary, metrics;
	char why[256];

	if (cfg->listen[0] == '\0') {
		snprintf(err, errlen, "VISITSD_LISTEN: needs an address");
		return -1;
	}
	if (hostport_parse(cfg->listen, &primary, why, sizeof(why)) == -1) {
		snprintf(err, errlen, "VISITSD_LISTEN: %s", why);
		return -1;
	}
	if (cfg->metrics_listen[0] == '\0')
		return 0;
	if (hostport_parse(cfg->metrics_listen, &metrics, why,
	    sizeof(why)) == -1) {
		snprintf(err, errlen, "VISITSD_METRICS_LISTEN: %s", why);
		return -1;
	}
	if (!listeners_collide(&primary, &metrics))
		return 0;
	if (strcmp(cfg->metrics_listen, cfg->listen) == 0)
		snprintf(err, errlen, "VISITSD_METRICS_LISTEN: same address "
		    "as VISITSD_LISTEN; leave it empty to serve /metrics "
		    "there");
	else
		snprintf(err, errlen, "VISITSD_METRICS_LISTEN: %s overlaps "
		    "VISITSD_LISTEN %s (same port on the same or every "
		    "address); use another port, or leave it empty to serve "
		    "/metrics there", cfg->metrics_listen, cfg->listen);
	return -1;
}

/* The AWS endpoints of the services in use: plain http only to loopback. */
static int
validate_endpoints(const struct config *cfg, char *err, size_t errlen)
{
	const char *used[2];
	char why[256];
	size_t n = 0;

	if (strcmp(cfg->store, "dynamodb") == 0)
		used[n++] = "dynamodb";
	if (cfg->api_key_parameter[0] != '\0' ||
	    cfg->admin_key_parameter[0] != '\0')
		used[n++] = "ssm";
	for (size_t i = 0; i < n; i++)
		if (endpoint_check(used[i], cfg->allow_http_endpoint, why,
		    sizeof(why)) == -1) {
			snprintf(err, errlen, "%s; use https, or set "
			    "VISITSD_ALLOW_HTTP_ENDPOINT=true", why);
			return -1;
		}
	return 0;
}

/* A header value we compare in constant time: length and bytes, never
 * the value itself in the message. */
static int
validate_origin_verify(const char *v, char *err, size_t errlen)
{
	size_t n = strlen(v);

	if (n == 0)
		return 0;
	if (n < 16 || n > 256) {
		snprintf(err, errlen, "VISITSD_ORIGIN_VERIFY: %zu characters; "
		    "use 16 to 256", n);
		return -1;
	}
	for (size_t i = 0; i < n; i++)
		if (v[i] <= ' ' || v[i] >= 0x7f) {
			snprintf(err, errlen, "VISITSD_ORIGIN_VERIFY: only "
			    "visible ASCII characters, no blanks");
			return -1;
		}
	return 0;
}

/*
 * The admin key: at most one source; a literal list parses and shares no
 * key with a literal API key list (the other sources are compared when
 * they are loaded, keysource.c).
 */
static int
validate_admin_key(const struct config *cfg, char *err, size_t errlen)
{
	struct apikey_set *admin, *api;
	const char *set[3];
	char why[256];
	size_t nset = 0;
	bool shared;

	if (cfg->admin_key[0] != '\0')
		set[nset++] = "VISITSD_ADMIN_KEY";
	if (cfg->admin_key_file[0] != '\0')
		set[nset++] = "VISITSD_ADMIN_KEY_FILE";
	if (cfg->admin_key_parameter[0] != '\0')
		set[nset++] = "VISITSD_ADMIN_KEY_PARAMETER";
	if (nset > 1) {
		snprintf(err, errlen, "%s and %s are both set: give at most "
		    "one admin key source", set[0], set[1]);
		return -1;
	}
	if (cfg->admin_key[0] == '\0')
		return 0;
	if ((admin = apikey_set_parse(cfg->admin_key, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "VISITSD_ADMIN_KEY: %s", why);
		return -1;
	}
	api = cfg->api_key[0] != '\0' ? apikey_set_parse(cfg->api_key, why,
	    sizeof(why)) : NULL;
	shared = apikey_set_shared(admin, api);
	apikey_set_free(api);
	apikey_set_free(admin);
	if (shared) {
		snprintf(err, errlen, "VISITSD_ADMIN_KEY: an admin key equals "
		    "an API key; the admin key must differ from every API key");
		return -1;
	}
	return 0;
}

/*
 * Keyless access (public ids, CountAPI) is always under the per-client
 * rate limit (issue 11): with the limiter off, refuse it rather than
 * serve anyone's increments unmetered.
 */
static int
validate_keyless(const struct config *cfg, char *err, size_t errlen)
{
	uint64_t milli;
	char why[128];

	if (cfg->public_ids[0] == '\0' && !cfg->countapi)
		return 0;
	if (ratelimit_rate_parse(cfg->rate_limit, &milli, why,
	    sizeof(why)) == 0 && milli == 0) {
		snprintf(err, errlen, "%s needs the rate limit: "
		    "VISITSD_RATE_LIMIT=0 would leave keyless requests "
		    "unlimited", cfg->public_ids[0] != '\0' ?
		    "VISITSD_PUBLIC_IDS" : "VISITSD_COUNTAPI");
		return -1;
	}
	return 0;
}

int
config_validate(const struct config *cfg, char *err, size_t errlen)
{
	struct apikey_set *keys;
	const char *set[3];
	char why[256];
	size_t nset = 0;

	if (validate_listeners(cfg, err, errlen) == -1)
		return -1;
	if (cfg->threads < 2) {
		snprintf(err, errlen, "VISITSD_THREADS: %d is below the "
		    "minimum 2", cfg->threads);
		return -1;
	}
	if (cfg->api_key[0] != '\0')
		set[nset++] = "VISITSD_API_KEY";
	if (cfg->api_key_file[0] != '\0')
		set[nset++] = "VISITSD_API_KEY_FILE";
	if (cfg->api_key_parameter[0] != '\0')
		set[nset++] = "VISITSD_API_KEY_PARAMETER";
	if (strcmp(cfg->auth, "key") == 0 && nset == 0) {
		snprintf(err, errlen, "no API key source: set VISITSD_API_KEY, "
		    "VISITSD_API_KEY_FILE or VISITSD_API_KEY_PARAMETER, or "
		    "VISITSD_AUTH=none to run without a key");
		return -1;
	}
	if (strcmp(cfg->auth, "key") == 0 && nset > 1) {
		snprintf(err, errlen, "%s and %s are both set: give exactly "
		    "one API key source", set[0], set[1]);
		return -1;
	}
	/* The one key source -n can check without the world: the value. */
	if (strcmp(cfg->auth, "key") == 0 && cfg->api_key[0] != '\0') {
		if ((keys = apikey_set_parse(cfg->api_key, why,
		    sizeof(why))) == NULL) {
			snprintf(err, errlen, "VISITSD_API_KEY: %s", why);
			return -1;
		}
		apikey_set_free(keys);
	}
	if (strcmp(cfg->store, "sqlite") == 0 && cfg->sqlite_path[0] == '\0') {
		snprintf(err, errlen, "VISITSD_SQLITE_PATH: needs a file name "
		    "with VISITSD_STORE=sqlite");
		return -1;
	}
	if (strcmp(cfg->store, "dynamodb") == 0) {
		if (cfg->dynamodb_table[0] == '\0' ||
		    cfg->dynamodb_key_attribute[0] == '\0' ||
		    cfg->dynamodb_count_attribute[0] == '\0') {
			snprintf(err, errlen, "VISITSD_STORE=dynamodb needs "
			    "VISITSD_DYNAMODB_TABLE, VISITSD_DYNAMODB_KEY_"
			    "ATTRIBUTE and VISITSD_DYNAMODB_COUNT_ATTRIBUTE");
			return -1;
		}
		if (strcmp(cfg->dynamodb_key_attribute,
		    cfg->dynamodb_count_attribute) == 0) {
			snprintf(err, errlen, "VISITSD_DYNAMODB_COUNT_ATTRIBUTE:"
			    " must differ from VISITSD_DYNAMODB_KEY_ATTRIBUTE");
			return -1;
		}
	}
	if (validate_origin_verify(cfg->origin_verify, err, errlen) == -1)
		return -1;
	if (validate_admin_key(cfg, err, errlen) == -1)
		return -1;
	if (validate_keyless(cfg, err, errlen) == -1)
		return -1;
	if (cfg->aws_connect_timeout_ms > cfg->aws_request_timeout_ms) {
		snprintf(err, errlen, "VISITSD_AWS_CONNECT_TIMEOUT_MS: %d is "
		    "above VISITSD_AWS_REQUEST_TIMEOUT_MS (%d)",
		    cfg->aws_connect_timeout_ms, cfg->aws_request_timeout_ms);
		return -1;
	}
	if (validate_endpoints(cfg, err, errlen) == -1)
		return -1;
	return 0;
}

int
config_from_args(struct config *cfg, int argc, char *argv[],
    char *const envp[], bool *check_only, int *status)
{
	struct config_args a;
	char err[512];
	size_t i;

	*check_only = false;
	if (config_args_parse(&a, argc, argv, status) == -1)
		goto stop;
	*check_only = a.check_only;
	cfg->health_check = a.health_check;
	*status = EX_CONFIG_EXIT;
	if (a.file != NULL &&
	    config_load_file(cfg, a.file, err, sizeof(err)) == -1)
		goto bad;
	if (config_load_env(cfg, envp, err, sizeof(err)) == -1)
		goto bad;
	for (i = 0; i < a.nflags; i++)
		if (config_set(cfg, a.flags[i].name, a.flags[i].value, err,
		    sizeof(err)) == -1)
			goto bad;
	config_args_cleanup(&a);
	*status = 0;
	return 0;
bad:
	fprintf(stderr, "visitsd: %s\n", err);
stop:
	config_args_cleanup(&a);
	return -1;
}

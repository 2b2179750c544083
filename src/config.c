/*
 * config: the settings table and everything derived from it.
 *
 * Each entry of config_settings[] below describes one field of struct
 * config: its name (the INI key; the environment name and the flag are
 * derived from it), section, type, default, bounds and help.  Defaults,
 * config_set, the INI and environment loaders and the getopt_long options
 * are computed here from that one table; --help, docs/configuration.md and
 * config.example.ini in config_doc.c.  Adding a setting is one entry here,
 * one field in config.h and the count in config_table.h.  Cross-setting
 * rules live in config_validate.
 *
 * This file parses and checks; it does not act on the settings.  It reads
 * no file but the INI file it is given: key files and the database are the
 * daemon's business at startup, so `visitsd -n` checks the configuration,
 * not the world.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <ini.h>
#include <openssl/crypto.h>

#include "config.h"
#include "config_table.h"
#include "util.h"

#define ENV_PREFIX	"VISITSD_"

static check_fn check_listen, check_metrics_listen, check_origins,
    check_table, check_attribute, check_parameter;

static const char *const auth_choices[] = { "key", "none", NULL };
static const char *const level_choices[] = { "debug", "info", "warn",
    "error", NULL };
static const char *const format_choices[] = { "auto", "text", "json", NULL };
static const char *const store_choices[] = { "sqlite", "dynamodb", NULL };

#define F(field)	offsetof(struct config, field)
#define STR(sec, name, def, check, help) \
	{ #name, sec, T_STRING, F(name), def, 0, 0, NULL, check, NULL, help }
#define INT(sec, name, def, min, max, help) \
	{ #name, sec, T_INT, F(name), #def, min, max, NULL, NULL, NULL, help }
#define ENUM(sec, name, def, choices, help) \
	{ #name, sec, T_ENUM, F(name), def, 0, 0, choices, NULL, NULL, help }

const struct setting config_settings[] = {
	STR("server", listen, "127.0.0.1:8080", check_listen,
	    "Address to serve HTTP on: host:port or [v6]:port; host \"*\" "
	    "or empty means every IPv4 address. Port 0 picks a free port; "
	    "the startup line says which."),
	STR("server", metrics_listen, "", check_metrics_listen,
	    "Separate address for /metrics (host:port); empty serves "
	    "/metrics on the main listener."),
	INT("server", threads, 4, 2, 64,
	    "HTTP worker threads (libmicrohttpd thread pool, epoll)."),
	INT("server", max_connections, 1024, 1, 65536,
	    "Concurrent connections accepted before new ones are refused."),
	INT("server", connection_timeout, 30, 1, 3600,
	    "Seconds an idle connection is kept open."),
	INT("server", max_body, 1024, 0, 1048576,
	    "Largest request body accepted, in bytes."),
	INT("server", shutdown_timeout, 10, 0, 3600,
	    "Seconds SIGTERM waits for requests in flight before exiting."),
	{ "get_increments", "server", T_BOOL, F(get_increments), "false",
	    0, 0, NULL, NULL, NULL,
	    "Compatibility: GET also increments, as the classic Lambda "
	    "counter did. Off: GET only reads." },
	ENUM("auth", auth, "key", auth_choices,
	    "\"key\" requires a valid x-api-key header on /api/visits; "
	    "\"none\" serves without a key."),
	{ "api_key", "auth", T_SECRET, F(api_key), "", 0, 0, NULL, NULL,
	    NULL,
	    "API key(s), comma-separated for rotation. Secret: prefer "
	    "api_key_file; a flag is visible in ps." },
	{ "api_key_file", "auth", T_STRING, F(api_key_file), "", 0, 0, NULL,
	    NULL, "/etc/visitsd/api-key",
	    "File holding the API key(s), comma-separated; re-read on "
	    "SIGHUP. Keep it mode 0600." },
	STR("auth", api_key_parameter, "", check_parameter,
	    "SSM Parameter Store name (SecureString) holding the API "
	    "key(s); read at startup and on SIGHUP."),
	STR("cors", allowed_origins, "*", check_origins,
	    "Origins allowed by CORS: \"*\" or a comma-separated list such "
	    "as https://example.com,https://www.example.com."),
	INT("cors", cors_max_age, 600, 0, 86400,
	    "Seconds a browser may cache a preflight answer "
	    "(Access-Control-Max-Age)."),
	ENUM("log", log_level, "info", level_choices,
	    "Least severe level logged: debug, info, warn or error."),
	ENUM("log", log_format, "auto", format_choices,
	    "Log line format: text, json, or auto (text on a terminal, "
	    "JSON otherwise)."),
	ENUM("store", store, "sqlite", store_choices,
	    "Where counts are kept: the embedded SQLite file or DynamoDB."),
	STR("store", sqlite_path, "var/visits.db", NULL,
	    "SQLite database file; it and its folder are created "
	    "owner-only."),
	STR("dynamodb", dynamodb_table, "visits", check_table,
	    "DynamoDB table name."),
	STR("dynamodb", dynamodb_key_attribute, "user", check_attribute,
	    "Partition key attribute (string) holding the id."),
	STR("dynamodb", dynamodb_count_attribute, "visits", check_attribute,
	    "Number attribute holding the count."),
	INT("aws", aws_connect_timeout_ms, 1000, 100, 60000,
	    "Milliseconds to connect to an AWS endpoint."),
	INT("aws", aws_request_timeout_ms, 3000, 100, 300000,
	    "Milliseconds for a whole AWS request, connection included."),
	INT("aws", ssm_startup_timeout, 60, 0, 3600,
	    "Seconds startup keeps retrying to read api_key_parameter "
	    "before it gives up."),
};

const char *const config_sections[] = { "server", "auth", "cors", "log",
    "store", "dynamodb", "aws" };

_Static_assert(sizeof(config_settings) / sizeof(config_settings[0]) ==
    NSETTINGS, "NSETTINGS in config_table.h must count config_settings");
_Static_assert(sizeof(config_sections) / sizeof(config_sections[0]) ==
    NSECTIONS, "NSECTIONS in config_table.h must count config_sections");

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

static void
free_string(char **p, bool secret)
{
	if (*p != NULL && secret)
		OPENSSL_cleanse(*p, strlen(*p));
	free(*p);
	*p = NULL;
}

void
config_env_name(const struct setting *s, char *buf, size_t len)
{
	size_t i, n = strlen(ENV_PREFIX);

	snprintf(buf, len, "%s%s", ENV_PREFIX, s->name);
	for (i = n; buf[i] != '\0'; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
}

void
config_flag_name(const struct setting *s, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", s->name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
}

/* The setting that name designates in any of its spellings, or NULL. */
static const struct setting *
lookup(const char *name)
{
	char buf[CONFIG_NAME_MAX];
	const char *dot;
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_settings[i];

		config_env_name(s, buf, sizeof(buf));
		if (strcmp(name, buf) == 0)
			return s;
		config_flag_name(s, buf, sizeof(buf));
		if (strcmp(name, buf) == 0 || (strncmp(name, "--", 2) == 0 &&
		    strcmp(name + 2, buf) == 0))
			return s;
		if (strcmp(name, s->name) == 0)
			return s;
		dot = strchr(name, '.');
		if (dot != NULL && (size_t)(dot - name) == strlen(s->section) &&
		    strncmp(name, s->section, strlen(s->section)) == 0 &&
		    strcmp(dot + 1, s->name) == 0)
			return s;
	}
	return NULL;
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
	abort();
}

void
config_init(struct config *cfg)
{
	char why[256];
	size_t i;

	memset(cfg, 0, sizeof(*cfg));
	for (i = 0; i < NSETTINGS; i++)
		if (apply(cfg, &config_settings[i], config_settings[i].def, why,
		    sizeof(why)) == -1)
			abort();	/* a bad default is a bug in the table */
	cfg->unknown_env = xstrdup("");
}

void
config_cleanup(struct config *cfg)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_settings[i];

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

	if ((s = lookup(name)) == NULL) {
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
	char why[256];
	size_t i;

	if (st->failed)
		return 0;
	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(section, config_sections[i]) == 0)
			break;
	if (i == NSECTIONS) {
		snprintf(st->err, st->errlen, "%s:%d: unknown section [%s]",
		    st->path, st->line, section);
		goto fail;
	}
	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(section, config_settings[i].section) == 0 &&
		    strcmp(key, config_settings[i].name) == 0)
			break;
	if (i == NSETTINGS) {
		snprintf(st->err, st->errlen, "%s:%d: unknown key \"%s\" in "
		    "[%s]", st->path, st->line, key, section);
		goto fail;
	}
	if (st->seen[i]) {
		snprintf(st->err, st->errlen, "%s:%d: [%s] %s is set twice",
		    st->path, st->line, section, key);
		goto fail;
	}
	st->seen[i] = true;
	if (apply(st->cfg, &config_settings[i], value, why, sizeof(why)) == -1) {
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
	char *p;

	if ((p = realloc(cfg->unknown_env, old + n + 3)) == NULL)
		abort();
	snprintf(p + old, n + 3, "%s%.*s", old > 0 ? ", " : "", (int)n, name);
	cfg->unknown_env = p;
}

int
config_load_env(struct config *cfg, char *const envp[], char *err,
    size_t errlen)
{
	char name[CONFIG_NAME_MAX];
	const char *eq;
	size_t i;

	for (i = 0; envp != NULL && envp[i] != NULL; i++) {
		if (strncmp(envp[i], ENV_PREFIX, strlen(ENV_PREFIX)) != 0 ||
		    (eq = strchr(envp[i], '=')) == NULL)
			continue;
		if ((size_t)(eq - envp[i]) < sizeof(name)) {
			memcpy(name, envp[i], (size_t)(eq - envp[i]));
			name[eq - envp[i]] = '\0';
		} else
			name[0] = '\0';
		if (lookup(name) == NULL) {
			note_unknown(cfg, envp[i], (size_t)(eq - envp[i]));
			continue;
		}
		if (config_set(cfg, name, eq + 1, err, errlen) == -1)
			return -1;
	}
	return 0;
}

int
config_split_address(const char *addr, char *host, size_t hostlen,
    int *port, char *err, size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *colon, *p, *h = addr;
	size_t n;
	long v;

	if (addr[0] == '[') {
		if ((p = strchr(addr, ']')) == NULL || p[1] != ':') {
			snprintf(err, errlen, "\"%s\" is not [v6]:port", addr);
			return -1;
		}
		h = addr + 1;
		n = (size_t)(p - h);
		colon = p + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL) {
			snprintf(err, errlen, "\"%s\" is not host:port", addr);
			return -1;
		}
		n = (size_t)(colon - addr);
		if (memchr(addr, ':', n) != NULL) {
			snprintf(err, errlen, "\"%s\": an IPv6 address needs "
			    "brackets, as in [::1]:8080", addr);
			return -1;
		}
	}
	if (n >= hostlen || hostlen < sizeof("0.0.0.0")) {
		snprintf(err, errlen, "\"%s\": overlong host", addr);
		return -1;
	}
	memcpy(host, h, n);
	host[n] = '\0';
	if (addr[0] != '[' && (n == 0 || strcmp(host, "*") == 0)) {
		/* ":8080" and "*:8080": every IPv4 address. */
		snprintf(host, hostlen, "0.0.0.0");
		n = strlen(host);
	}
	if (addr[0] == '[' && inet_pton(AF_INET6, host, buf) != 1) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv6 address",
		    addr, host);
		return -1;
	}
	if (addr[0] != '[' && strspn(host, "0123456789.") == n &&
	    inet_pton(AF_INET, host, buf) != 1) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv4 address",
		    addr, host);
		return -1;
	}
	if (addr[0] != '[' && strspn(host, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-") != n) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not a host name",
		    addr, host);
		return -1;
	}
	p = colon + 1;
	n = strspn(p, "0123456789");
	if (n == 0 || n > 5 || p[n] != '\0' || (v = strtol(p, NULL, 10)) >
	    65535) {
		snprintf(err, errlen, "\"%s\": the port must be 0 to 65535",
		    addr);
		return -1;
	}
	*port = (int)v;
	return 0;
}

static int
check_listen(const char *v, char *why, size_t whylen)
{
	char host[256];
	int port;

	return config_split_address(v, host, sizeof(host), &port, why, whylen);
}

static int
check_metrics_listen(const char *v, char *why, size_t whylen)
{
	return check_listen(v, why, whylen);
}

/*
 * "*", or origins separated by commas: scheme://host[:port], blanks
 * around an entry and one trailing "/" tolerated, as api.c reads them.
 */
static int
check_origins(const char *v, char *why, size_t whylen)
{
	const char *list = v, *p, *host;
	size_t n;

	if (strcmp(v, "*") == 0)
		return 0;
	while (util_list_next(&list, &p, &n)) {
		if (n > 0 && p[n - 1] == '/')
			n--;
		if (strncmp(p, "https://", 8) == 0)
			host = p + 8;
		else if (strncmp(p, "http://", 7) == 0)
			host = p + 7;
		else
			host = NULL;
		if (host == NULL || host >= p + n ||
		    strcspn(host, "/*, \t") < (size_t)(p + n - host)) {
			snprintf(why, whylen, "\"%.*s\" is not an origin: use "
			    "\"*\" or scheme://host[:port] entries separated "
			    "by commas, without paths", (int)n, p);
			return -1;
		}
	}
	return 0;
}

static int
check_table(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n < 3 || n > 255 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-") != n) {
		snprintf(why, whylen, "\"%s\" is not a DynamoDB table name "
		    "(3 to 255 of A-Z a-z 0-9 _ . -)", v);
		return -1;
	}
	return 0;
}

static int
check_attribute(const char *v, char *why, size_t whylen)
{
	if (strlen(v) > 255) {
		snprintf(why, whylen, "longer than 255 bytes");
		return -1;
	}
	return 0;
}

static int
check_parameter(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n > 2048 || strspn(v, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-/:") != n) {
		snprintf(why, whylen, "\"%s\" is not an SSM parameter name or "
		    "ARN", v);
		return -1;
	}
	return 0;
}

int
config_validate(const struct config *cfg, char *err, size_t errlen)
{
	const char *set[3];
	size_t nset = 0;
	bool port0;

	if (cfg->listen[0] == '\0') {
		snprintf(err, errlen, "VISITSD_LISTEN: needs an address");
		return -1;
	}
	if (cfg->threads < 2) {
		snprintf(err, errlen, "VISITSD_THREADS: %d is below the "
		    "minimum 2", cfg->threads);
		return -1;
	}
	/* Two listeners on port 0 get two different free ports. */
	port0 = strlen(cfg->listen) >= 2 &&
	    strcmp(cfg->listen + strlen(cfg->listen) - 2, ":0") == 0;
	if (strcmp(cfg->metrics_listen, cfg->listen) == 0 && !port0) {
		snprintf(err, errlen, "VISITSD_METRICS_LISTEN: same address "
		    "as VISITSD_LISTEN; leave it empty to serve /metrics "
		    "there");
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
	if (cfg->aws_connect_timeout_ms > cfg->aws_request_timeout_ms) {
		snprintf(err, errlen, "VISITSD_AWS_CONNECT_TIMEOUT_MS: %d is "
		    "above VISITSD_AWS_REQUEST_TIMEOUT_MS (%d)",
		    cfg->aws_connect_timeout_ms, cfg->aws_request_timeout_ms);
		return -1;
	}
	return 0;
}

#ifndef VISITSD_VERSION
#define VISITSD_VERSION "unknown"
#endif

enum { OPT_MARKDOWN = 1, OPT_EXAMPLE, OPT_SETTING = 256 };

struct pending {
	const struct setting	*s;
	const char		*value;
};

int
config_from_args(struct config *cfg, int argc, char *argv[],
    char *const envp[], bool *check_only, int *status)
{
	char flags[NSETTINGS][CONFIG_NAME_MAX];
	struct option opts[NSETTINGS + 6];
	struct pending *todo;
	const char *file = NULL;
	char err[512], flag[CONFIG_NAME_MAX + 2];
	size_t i, ntodo = 0;
	int ch;

	*check_only = false;
	*status = EX_CONFIG_EXIT;
	for (i = 0; i < NSETTINGS; i++) {
		config_flag_name(&config_settings[i], flags[i], sizeof(flags[i]));
		opts[i].name = flags[i];
		opts[i].has_arg = config_settings[i].type == T_BOOL ?
		    optional_argument : required_argument;
		opts[i].flag = NULL;
		opts[i].val = OPT_SETTING + (int)i;
	}
	opts[i++] = (struct option){ "config", required_argument, NULL, 'c' };
	opts[i++] = (struct option){ "help", no_argument, NULL, 'h' };
	opts[i++] = (struct option){ "version", no_argument, NULL, 'V' };
	opts[i++] = (struct option){ "config-markdown", no_argument, NULL,
	    OPT_MARKDOWN };
	opts[i++] = (struct option){ "config-example", no_argument, NULL,
	    OPT_EXAMPLE };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };

	if ((todo = calloc((size_t)argc + 1, sizeof(*todo))) == NULL)
		abort();
	optind = 0;	/* GNU: start afresh, even if called before */
	while ((ch = getopt_long(argc, argv, "c:hnV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			file = optarg;
			break;
		case 'n':
			*check_only = true;
			break;
		case 'h':
			config_usage(stdout);
			*status = 0;
			goto stop;
		case 'V':
			printf("visitsd %s\n", VISITSD_VERSION);
			*status = 0;
			goto stop;
		case OPT_MARKDOWN:
			config_write_markdown(stdout);
			*status = 0;
			goto stop;
		case OPT_EXAMPLE:
			config_write_example(stdout);
			*status = 0;
			goto stop;
		case '?':
			fprintf(stderr, "Try 'visitsd --help'.\n");
			goto stop;
		default:
			todo[ntodo].s = &config_settings[ch - OPT_SETTING];
			todo[ntodo++].value = optarg;
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "visitsd: unexpected argument \"%s\"\n",
		    argv[optind]);
		goto stop;
	}
	if (file != NULL && config_load_file(cfg, file, err, sizeof(err)) == -1)
		goto bad;
	if (config_load_env(cfg, envp, err, sizeof(err)) == -1)
		goto bad;
	for (i = 0; i < ntodo; i++) {
		snprintf(flag, sizeof(flag), "--%s",
		    flags[todo[i].s - config_settings]);
		if (config_set(cfg, flag, todo[i].value != NULL ?
		    todo[i].value : "true", err, sizeof(err)) == -1)
			goto bad;
	}
	free(todo);
	*status = 0;
	return 0;
bad:
	fprintf(stderr, "visitsd: %s\n", err);
stop:
	free(todo);
	return -1;
}

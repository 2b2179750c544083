/*
 * config_table: every setting of visitsd, described once, and the names
 * derived from each.
 *
 * Each entry of config_table_settings[] below describes one field of
 * struct config: its name (the INI key; the environment name and the flag
 * are derived from it), section, type, default, bounds, the check of its
 * value and its help.  config.c parses and checks with it, config_args.c
 * builds the getopt_long options from it, config_doc.c writes --help,
 * docs/configuration.md and config.example.ini from it.  Adding a setting
 * is one entry here, one field in config.h and the count in
 * config_table.h.
 *
 * The checks of single values live here, beside the entries that name
 * them; the grammars they share with the rest of the daemon are modules of
 * their own (hostport.c for listen addresses, origin.c for the CORS list),
 * so `visitsd -n` and startup read a value the same way.  Rules across
 * settings are config.c's (config_validate).
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "client_id.h"
#include "config.h"
#include "config_table.h"
#include "hostport.h"
#include "origin.h"
#include "public_ids.h"
#include "ratelimit.h"

static config_check_fn check_listen, check_origins, check_table,
    check_attribute, check_parameter, check_proxies, check_rate,
    check_public_ids;

static const char *const auth_choices[] = { "key", "none", NULL };
static const char *const level_choices[] = { "debug", "info", "warn",
    "error", NULL };
static const char *const format_choices[] = { "auto", "text", "json", NULL };
static const char *const store_choices[] = { "sqlite", "dynamodb", NULL };
static const char *const header_choices[] = { "x-forwarded-for",
    "cloudfront-viewer-address", NULL };

#define F(field)	offsetof(struct config, field)
#define STR(sec, name, def, check, help) \
	{ #name, sec, T_STRING, F(name), def, 0, 0, NULL, check, NULL, help }
#define INT(sec, name, def, min, max, help) \
	{ #name, sec, T_INT, F(name), #def, min, max, NULL, NULL, NULL, help }
#define ENUM(sec, name, def, choices, help) \
	{ #name, sec, T_ENUM, F(name), def, 0, 0, choices, NULL, NULL, help }

const struct setting config_table_settings[] = {
	STR("server", listen, "127.0.0.1:8080", check_listen,
	    "Address to serve HTTP on: host:port or [v6]:port; host \"*\" "
	    "or empty means every IPv4 address. Port 0 picks a free port; "
	    "the startup line says which."),
	STR("server", metrics_listen, "", check_listen,
	    "Separate address for /metrics and /healthz (host:port), e.g. "
	    "127.0.0.1:9100; empty: no metrics listener."),
	{ "metrics_public", "server", T_BOOL, F(metrics_public), "false",
	    0, 0, NULL, NULL, NULL,
	    "Also serve /metrics on the main listener. Off: /metrics is "
	    "only on metrics_listen, since it tells anyone the version, "
	    "store, traffic and AWS error counts." },
	INT("server", threads, 4, 2, 64,
	    "HTTP worker threads (libmicrohttpd thread pool, epoll)."),
	INT("server", max_connections, 1024, 1, 65536,
	    "Concurrent connections accepted before new ones are refused."),
	INT("server", connection_timeout, 30, 1, 3600,
	    "Seconds an idle connection is kept open."),
	INT("server", header_timeout, 10, 1, 3600,
	    "Seconds a client has to send a whole request (header and "
	    "body), from accept or, on a keep-alive connection, from the "
	    "request's first byte, however slowly it trickles; then the "
	    "connection is closed."),
	INT("server", max_connections_per_client, 64, 0, 65536,
	    "Concurrent connections from one client address (the socket's); "
	    "more are refused. 0: no cap (behind a load balancer every "
	    "connection comes from its few addresses)."),
	INT("server", store_timeout, 10, 1, 3600,
	    "Seconds a request waits for the counter store before it is "
	    "answered 503 with Retry-After (an increment's outcome is then "
	    "unknown to the client). Longer than the store's own bounds "
	    "(SQLite's 5 s lock wait, DynamoDB's attempts), so that its "
	    "answer normally comes first."),
	INT("server", max_body, 1024, 0, 1048576,
	    "Largest request body accepted, in bytes."),
	INT("server", shutdown_timeout, 10, 0, 3600,
	    "Seconds SIGTERM waits for requests in flight before exiting."),
	{ "get_increments", "server", T_BOOL, F(get_increments), "false",
	    0, 0, NULL, NULL, NULL,
	    "Compatibility: GET also increments, as the classic Lambda "
	    "counter did. Off: GET only reads." },
	{ "count_bots", "server", T_BOOL, F(count_bots), "false",
	    0, 0, NULL, NULL, NULL,
	    "Count increments whose User-Agent is on the crawler list "
	    "(crawler-user-agents; curl and HTTP libraries are on it). Off: "
	    "they are answered like a GET, nothing counted, and counted in "
	    "visitsd_http_bot_visits_total." },
	STR("server", trusted_proxies, "", check_proxies,
	    "Proxies whose forwarding header names the client: a comma "
	    "list of IPv4/IPv6 CIDRs (10.0.0.0/8, 2001:db8::/32). Empty: "
	    "the client is always the socket address."),
	ENUM("server", client_address_header, "x-forwarded-for",
	    header_choices,
	    "The one header a trusted proxy names the client in: "
	    "x-forwarded-for (its right-most untrusted address) or "
	    "cloudfront-viewer-address."),
	INT("stream", stream_max, 1000, 0, 65536,
	    "Live-count streams (GET /api/visits/{id}/stream) open at once, "
	    "in all; the next is answered 503. They do not count against "
	    "max_connections, but each is a descriptor. 0: no streams."),
	INT("stream", stream_max_per_client, 4, 0, 65536,
	    "Live-count streams open at once from one client address (the "
	    "one the rate limit uses); the next is answered 503. 0: no cap. "
	    "They count in max_connections_per_client too."),
	INT("stream", stream_max_age, 3600, 1, 86400,
	    "Seconds a stream lasts before the server ends it (EventSource "
	    "then reconnects after its retry: delay)."),
	INT("stream", stream_interval_ms, 250, 1, 60000,
	    "Least milliseconds between two events of one id: changes in "
	    "between are coalesced into the next event."),
	INT("stream", stream_ping, 15, 1, 300,
	    "Seconds a stream may go without output before a comment line "
	    "keeps it (and proxies' idle timers) alive."),
	INT("stream", stream_poll_ms, 2000, 0, 3600000,
	    "DynamoDB store: milliseconds between two reads of an id's "
	    "counts while a stream for it is open, so that other instances' "
	    "increments reach this instance's streams (one GetItem per open "
	    "id per interval, not per stream). 0: no polling."),
	INT("stream", stream_buffer, 8192, 512, 1048576,
	    "Bytes of events a stream may hold that its client has not "
	    "taken; past that the client is dropped as a slow reader."),
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
	{ "origin_verify", "auth", T_SECRET, F(origin_verify), "", 0, 0,
	    NULL, NULL, NULL,
	    "Origin guard: when set, every request but /healthz, /readyz "
	    "and /metrics must carry this secret in X-Origin-Verify, or "
	    "gets 403. 16 to 256 visible ASCII characters." },
	{ "admin_key", "auth", T_SECRET, F(admin_key), "", 0, 0, NULL, NULL,
	    NULL,
	    "Admin key(s), comma-separated for rotation, sent as "
	    "Authorization: Bearer on PUT/DELETE /api/visits/{id} and "
	    "/api/admin/*; unset: those answer 405 and 404. Must differ "
	    "from every API key. Secret: prefer admin_key_file." },
	{ "admin_key_file", "auth", T_STRING, F(admin_key_file), "", 0, 0,
	    NULL, NULL, NULL,
	    "File holding the admin key(s), comma-separated; re-read on "
	    "SIGHUP. Keep it mode 0600." },
	STR("auth", admin_key_parameter, "", check_parameter,
	    "SSM Parameter Store name (SecureString) holding the admin "
	    "key(s); read at startup and on SIGHUP."),
	INT("auth", admin_import_max_bytes, 67108864, 1024, 1073741824,
	    "Largest POST /api/admin/import body, in bytes. The body is "
	    "spooled to an unlinked file in TMPDIR (/tmp) and validated "
	    "whole before anything is written; validation holds about 8 "
	    "bytes per line in memory. It must arrive within "
	    "header_timeout."),
	STR("auth", public_ids, "", check_public_ids,
	    "Ids served without the API key (read, and incremented by "
	    "POST or a badge's ?count=1), for README badges and pages that "
	    "cannot send one: a comma list of ids and prefix* patterns "
	    "(blog-* is every id starting with blog-). Keyless requests are "
	    "always under the rate limit: rate_limit 0 is refused with it."),
	{ "countapi", "auth", T_BOOL, F(countapi), "false", 0, 0, NULL,
	    NULL, NULL,
	    "Serve the CountAPI-compatible routes /hit/NS/KEY and "
	    "/get/NS/KEY without a key, on the ids NS~KEY (docs/api.md). "
	    "Under the rate limit: rate_limit 0 is refused with it." },
	STR("cors", allowed_origins, "*", check_origins,
	    "Origins allowed by CORS: \"*\" or a comma-separated list such "
	    "as https://example.com,https://www.example.com."),
	INT("cors", cors_max_age, 600, 0, 86400,
	    "Seconds a browser may cache a preflight answer "
	    "(Access-Control-Max-Age)."),
	STR("rate", rate_limit, "10", check_rate,
	    "Requests per second per client (decimals allowed, e.g. 0.5) "
	    "on every route but /healthz, /readyz and /metrics; 0 turns "
	    "the limit off."),
	INT("rate", rate_burst, 100, 1, RATELIMIT_BURST_MAX,
	    "Requests a client may send at once before the rate applies "
	    "(the token bucket's size)."),
	INT("rate", rate_table_size, 65536, 1024, 16777216,
	    "Clients the limiter remembers (about 44 bytes each, allocated "
	    "at startup); past that the least recently seen is forgotten."),
	ENUM("log", log_level, "info", level_choices,
	    "Least severe level logged: debug, info, warn or error."),
	ENUM("log", log_format, "auto", format_choices,
	    "Log line format: text, json, or auto (text on a terminal, "
	    "JSON otherwise)."),
	{ "log_client_address", "log", T_BOOL, F(log_client_address), "false",
	    0, 0, NULL, NULL, NULL,
	    "Write the client's address into each request line. Off: no "
	    "line holds a visitor's address, as nothing in the store does; "
	    "turn it on to trace abuse, and mind how long the logs are "
	    "kept." },
	ENUM("store", store, "sqlite", store_choices,
	    "Where counts are kept: the embedded SQLite file or DynamoDB."),
	STR("store", sqlite_path, "var/visits.db", NULL,
	    "SQLite database file; it and its folder are created "
	    "owner-only."),
	{ "unique_visitors", "store", T_BOOL, F(unique_visitors), "true",
	    0, 0, NULL, NULL, NULL,
	    "Count unique visitors: each visitor once per UTC day, known by "
	    "an HMAC of the id, the client address and the User-Agent under "
	    "a random salt of the day (deleted just after it; no address or "
	    "User-Agent is stored). Off: no salt is made and \"unique\" "
	    "stays at its stored count." },
	INT("store", test_day_offset, 0, -3660, 3660,
	    "For tests only: days added to the UTC day that visits, "
	    "history and salts are counted on (the next day is 1). Leave "
	    "it 0; AWS signing keeps the real clock."),
	STR("dynamodb", dynamodb_table, "visits", check_table,
	    "DynamoDB table name."),
	STR("dynamodb", dynamodb_key_attribute, "user", check_attribute,
	    "Partition key attribute (string) holding the id."),
	STR("dynamodb", dynamodb_count_attribute, "visits", check_attribute,
	    "Number attribute holding the count."),
	INT("dynamodb", dynamodb_max_writes_per_id, 0, 0, 100000,
	    "Ceiling on UpdateItem writes per second per id from this "
	    "instance (0: none; throttling still paces). Set it to the "
	    "table's per-key budget divided by the instance count."),
	INT("dynamodb", dynamodb_max_write_interval_ms, 500, 10, 10000,
	    "Longest pause between two writes of a hot id, so the longest "
	    "a visit waits for its write to start."),
	INT("aws", aws_connect_timeout_ms, 1000, 100, 60000,
	    "Milliseconds to connect to an AWS endpoint."),
	INT("aws", aws_request_timeout_ms, 3000, 100, 300000,
	    "Milliseconds for a whole AWS request, connection included."),
	{ "allow_http_endpoint", "aws", T_BOOL, F(allow_http_endpoint),
	    "false", 0, 0, NULL, NULL, NULL,
	    "Allow AWS_ENDPOINT_URL* to be plain http to a host that is not "
	    "loopback (127.0.0.0/8, ::1, localhost). Off: such an endpoint "
	    "is a configuration error, since keys and counts would cross "
	    "the network in cleartext." },
	INT("aws", ssm_startup_timeout, 60, 0, 3600,
	    "Seconds startup keeps retrying to read api_key_parameter "
	    "before it gives up."),
};

const char *const config_table_sections[] = { "server", "stream", "auth",
    "cors", "rate", "log", "store", "dynamodb", "aws" };

_Static_assert(sizeof(config_table_settings) /
    sizeof(config_table_settings[0]) ==
    NSETTINGS, "NSETTINGS in config_table.h must count the settings");
_Static_assert(sizeof(config_table_sections) /
    sizeof(config_table_sections[0]) ==
    NSECTIONS, "NSECTIONS in config_table.h must count the sections");

static int
check_listen(const char *v, char *why, size_t whylen)
{
	struct hostport hp;

	return hostport_parse(v, &hp, why, whylen);
}

static int
check_origins(const char *v, char *why, size_t whylen)
{
	return origin_list_check(v, why, whylen);
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

/*
 * A DynamoDB attribute name: 1 to 255 bytes (the limit for key
 * attributes).  That the key and the count attribute differ is a rule
 * across settings, in config_validate.
 */
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

static int
check_proxies(const char *v, char *why, size_t whylen)
{
	return client_id_proxies_check(v, why, whylen);
}

static int
check_public_ids(const char *v, char *why, size_t whylen)
{
	return public_ids_check(v, why, whylen);
}

static int
check_rate(const char *v, char *why, size_t whylen)
{
	uint64_t milli;

	return ratelimit_rate_parse(v, &milli, why, whylen);
}

void
config_table_env_name(const struct setting *s, char *buf, size_t len)
{
	size_t i, n = strlen(CONFIG_ENV_PREFIX);

	snprintf(buf, len, "%s%s", CONFIG_ENV_PREFIX, s->name);
	for (i = n; buf[i] != '\0'; i++)
		buf[i] = (char)toupper((unsigned char)buf[i]);
}

void
config_table_flag_name(const struct setting *s, char *buf, size_t len)
{
	size_t i;

	snprintf(buf, len, "%s", s->name);
	for (i = 0; buf[i] != '\0'; i++)
		if (buf[i] == '_')
			buf[i] = '-';
}

const struct setting *
config_table_lookup(const char *name)
{
	char buf[CONFIG_NAME_MAX];
	const char *dot;
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_table_settings[i];

		config_table_env_name(s, buf, sizeof(buf));
		if (strcmp(name, buf) == 0)
			return s;
		config_table_flag_name(s, buf, sizeof(buf));
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

const struct setting *
config_table_find(const char *section, const char *key)
{
	size_t i;

	for (i = 0; i < NSETTINGS; i++)
		if (strcmp(section, config_table_settings[i].section) == 0 &&
		    strcmp(key, config_table_settings[i].name) == 0)
			return &config_table_settings[i];
	return NULL;
}

bool
config_table_has_section(const char *section)
{
	size_t i;

	for (i = 0; i < NSECTIONS; i++)
		if (strcmp(section, config_table_sections[i]) == 0)
			return true;
	return false;
}

size_t
config_table_index(const struct setting *s)
{
	return (size_t)(s - config_table_settings);
}

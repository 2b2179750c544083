/*
 * config: every setting of visitsd, described once in a table.
 *
 * The table (config_table.c) gives each setting its name, INI section and
 * key, environment variable, command-line flag, type, default, bounds and
 * help text; parsing, validation, `visitsd -n`, `--help` and
 * docs/configuration.md are all derived from it so they cannot drift.  Precedence, lowest first:
 * built-in defaults < INI file (-c FILE) < environment VISITSD_* < flags.
 *
 * Enumerated settings are kept as their validated, lower-case string
 * ("sqlite"); the consumers compare with strcmp.  Every string is owned by
 * struct config and is never NULL after config_init: an unset optional
 * string is "".
 *
 * One name per setting, everywhere: the INI key is the setting's name in
 * its section ([server] max_connections), the environment variable is
 * VISITSD_ plus the name in capitals (VISITSD_MAX_CONNECTIONS) and the flag
 * is the name with dashes (--max-connections).
 *
 * Nothing here touches the world beyond reading the INI file: key files,
 * SSM parameters and the database are checked when the daemon starts, not
 * by `visitsd -n` (see keysource.h).
 */
#ifndef VISITSD_CONFIG_H
#define VISITSD_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define EX_CONFIG_EXIT	78	/* sysexits.h EX_CONFIG: do not restart */

struct config {
	/* [server] */
	char	*listen;		/* VISITSD_LISTEN host:port, [v6]:port */
	char	*metrics_listen;	/* VISITSD_METRICS_LISTEN; "" = main */
	int	 threads;		/* VISITSD_THREADS, >= 2 */
	int	 max_connections;	/* VISITSD_MAX_CONNECTIONS */
	int	 connection_timeout;	/* VISITSD_CONNECTION_TIMEOUT, seconds */
	int	 header_timeout;	/* VISITSD_HEADER_TIMEOUT, seconds */
	int	 max_connections_per_client; /* VISITSD_MAX_CONNECTIONS_PER_CLIENT */
	int	 store_timeout;		/* VISITSD_STORE_TIMEOUT, seconds */
	int	 max_body;		/* VISITSD_MAX_BODY, bytes */
	int	 shutdown_timeout;	/* VISITSD_SHUTDOWN_TIMEOUT, seconds */
	bool	 get_increments;	/* VISITSD_GET_INCREMENTS (compat) */
	bool	 count_bots;		/* VISITSD_COUNT_BOTS: crawlers count */
	bool	 metrics_public;	/* VISITSD_METRICS_PUBLIC: /metrics on
					   the main listener too */
	char	*trusted_proxies;	/* VISITSD_TRUSTED_PROXIES, CIDR list */
	char	*client_address_header;	/* VISITSD_CLIENT_ADDRESS_HEADER */
	/* [stream] */
	int	 stream_max;		/* VISITSD_STREAM_MAX, in all */
	int	 stream_max_per_client;	/* VISITSD_STREAM_MAX_PER_CLIENT */
	int	 stream_max_age;	/* VISITSD_STREAM_MAX_AGE, seconds */
	int	 stream_interval_ms;	/* VISITSD_STREAM_INTERVAL_MS */
	int	 stream_ping;		/* VISITSD_STREAM_PING, seconds */
	int	 stream_poll_ms;	/* VISITSD_STREAM_POLL_MS, 0 off */
	int	 stream_buffer;		/* VISITSD_STREAM_BUFFER, bytes */
	/* [auth] */
	char	*auth;			/* VISITSD_AUTH "key" | "none" */
	char	*api_key;		/* VISITSD_API_KEY, secret, wiped */
	char	*api_key_file;		/* VISITSD_API_KEY_FILE */
	char	*api_key_parameter;	/* VISITSD_API_KEY_PARAMETER (SSM) */
	char	*origin_verify;		/* VISITSD_ORIGIN_VERIFY, secret, wiped */
	char	*admin_key;		/* VISITSD_ADMIN_KEY, secret, wiped */
	char	*admin_key_file;	/* VISITSD_ADMIN_KEY_FILE */
	char	*admin_key_parameter;	/* VISITSD_ADMIN_KEY_PARAMETER (SSM) */
	int	 admin_import_max_bytes; /* VISITSD_ADMIN_IMPORT_MAX_BYTES */
	char	*public_ids;		/* VISITSD_PUBLIC_IDS, ids, prefix* */
	bool	 countapi;		/* VISITSD_COUNTAPI: /hit, /get */
	/* [cors] */
	char	*allowed_origins;	/* VISITSD_ALLOWED_ORIGINS "*" or list */
	int	 cors_max_age;		/* VISITSD_CORS_MAX_AGE, seconds */
	/* [rate] */
	char	*rate_limit;		/* VISITSD_RATE_LIMIT, req/s, "0" off */
	int	 rate_burst;		/* VISITSD_RATE_BURST, tokens */
	int	 rate_table_size;	/* VISITSD_RATE_TABLE_SIZE, clients */
	/* [log] */
	char	*log_level;		/* VISITSD_LOG_LEVEL */
	char	*log_format;		/* VISITSD_LOG_FORMAT auto|text|json */
	bool	 log_client_address;	/* VISITSD_LOG_CLIENT_ADDRESS */
	/* [store] */
	char	*store;			/* VISITSD_STORE "sqlite" | "dynamodb" */
	char	*sqlite_path;		/* VISITSD_SQLITE_PATH */
	bool	 unique_visitors;	/* VISITSD_UNIQUE_VISITORS */
	int	 test_day_offset;	/* VISITSD_TEST_DAY_OFFSET, tests only */
	/* [dynamodb] */
	char	*dynamodb_table;	/* VISITSD_DYNAMODB_TABLE */
	char	*dynamodb_key_attribute;   /* VISITSD_DYNAMODB_KEY_ATTRIBUTE */
	char	*dynamodb_count_attribute; /* VISITSD_DYNAMODB_COUNT_ATTRIBUTE */
	int	 dynamodb_max_writes_per_id; /* ..._MAX_WRITES_PER_ID, 1/s */
	int	 dynamodb_max_write_interval_ms; /* ..._MAX_WRITE_INTERVAL_MS */
	/* [aws] */
	int	 aws_connect_timeout_ms;	/* VISITSD_AWS_CONNECT_TIMEOUT_MS */
	int	 aws_request_timeout_ms;	/* VISITSD_AWS_REQUEST_TIMEOUT_MS */
	int	 ssm_startup_timeout;	/* VISITSD_SSM_STARTUP_TIMEOUT, s */
	bool	 allow_http_endpoint;	/* VISITSD_ALLOW_HTTP_ENDPOINT: plain
					   http beyond loopback */

	/* Not a setting: --health-check asks the running daemon, then exits. */
	bool	 health_check;
	/* Not a setting: unknown VISITSD_* names seen, "A, B" or "". */
	char	*unknown_env;
};

/* Fill cfg with the built-in defaults.  Free with config_cleanup. */
void	config_init(struct config *cfg);

/* Wipe the secrets, free every string.  cfg may be re-initialised after. */
void	config_cleanup(struct config *cfg);

/*
 * Set one setting from a string, checking type and bounds.  name is the
 * INI "section.key", the environment name (VISITSD_THREADS) or the flag,
 * with or without its dashes ("--threads", "threads").  Booleans take
 * true/false, yes/no, on/off, 1/0; enumerations ignore case.  An empty
 * value clears a string setting and is an error for any other type.
 * Returns 0, or -1 with "<name>: <why>" in err; a secret's value is never
 * quoted in err.
 */
int	config_set(struct config *cfg, const char *name, const char *value,
	    char *err, size_t errlen);

/*
 * Apply an INI file (inih).  An unknown section or key, a key given twice, a
 * syntax error and a bad value are errors.  Returns 0, or -1 with
 * "file:line: [section] key: <why>" in err.
 */
int	config_load_file(struct config *cfg, const char *path, char *err,
	    size_t errlen);

/*
 * Apply every VISITSD_* variable of envp (NULL-terminated, borrowed).  An
 * unknown VISITSD_* name is not an error: it is added to cfg->unknown_env
 * for the caller to warn about once logging is up.  Returns 0, or -1 with
 * "VISITSD_NAME: <why>" in err.
 */
int	config_load_env(struct config *cfg, char *const envp[], char *err,
	    size_t errlen);

/*
 * Parse argv: -c FILE, -n, -h/--help, -V/--version and one --flag=value per
 * setting (--config-markdown and --config-example print the generated
 * docs).  cfg must have been through config_init; this applies
 * file < env < flags on top of it.  Returns 0 to go on, or -1 to stop now
 * with the process exit status in *status: 0 after --help, --version and
 * the doc printers, EX_CONFIG_EXIT after a bad value, a bad flag or an
 * unreadable file, with the reason printed on stderr.  *check_only is set
 * by -n.
 */
int	config_from_args(struct config *cfg, int argc, char *argv[],
	    char *const envp[], bool *check_only, int *status);

/*
 * The rules across settings, and every rule startup would otherwise be
 * the first to apply without looking at the world: auth=key needs exactly
 * one key source (and an api_key list at least one key), both listen
 * addresses parse and do not overlap, sqlite needs a path, dynamodb a
 * table and two distinct attribute names, the AWS timeouts are ordered.
 * What is left to startup depends on the world: files, SSM, the database,
 * name resolution, a port in use, the AWS region and credentials.
 * Returns 0, or -1 with "VISITSD_NAME: <why>" (or a sentence naming the
 * settings) in err; a secret's value is never quoted.
 */
int	config_validate(const struct config *cfg, char *err, size_t errlen);

#endif

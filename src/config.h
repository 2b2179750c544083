/*
 * config: every setting of visitsd, described once in a table.
 *
 * The table (config.c) gives each setting its name, INI section and key,
 * environment variable, command-line flag, type, default, bounds and help
 * text; parsing, validation, `visitsd -n`, `--help` and docs/configuration.md
 * are all derived from it so they cannot drift.  Precedence, lowest first:
 * built-in defaults < INI file (-c FILE) < environment VISITSD_* < flags.
 *
 * Enumerated settings are kept as their validated string ("sqlite"); the
 * consumers compare with strcmp.  Strings are owned by struct config.
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
	int	 max_body;		/* VISITSD_MAX_BODY, bytes */
	int	 shutdown_timeout;	/* VISITSD_SHUTDOWN_TIMEOUT, seconds */
	bool	 get_increments;	/* VISITSD_GET_INCREMENTS (compat) */
	/* [auth] */
	char	*auth;			/* VISITSD_AUTH "key" | "none" */
	char	*api_key;		/* VISITSD_API_KEY, secret, wiped */
	char	*api_key_file;		/* VISITSD_API_KEY_FILE */
	char	*api_key_parameter;	/* VISITSD_API_KEY_PARAMETER (SSM) */
	/* [cors] */
	char	*allowed_origins;	/* VISITSD_ALLOWED_ORIGINS "*" or list */
	int	 cors_max_age;		/* VISITSD_CORS_MAX_AGE, seconds */
	/* [log] */
	char	*log_level;		/* VISITSD_LOG_LEVEL */
	char	*log_format;		/* VISITSD_LOG_FORMAT auto|text|json */
	/* [store] */
	char	*store;			/* VISITSD_STORE "sqlite" | "dynamodb" */
	char	*sqlite_path;		/* VISITSD_SQLITE_PATH */
	/* [dynamodb] */
	char	*dynamodb_table;	/* VISITSD_DYNAMODB_TABLE */
	char	*dynamodb_key_attribute;   /* VISITSD_DYNAMODB_KEY_ATTRIBUTE */
	char	*dynamodb_count_attribute; /* VISITSD_DYNAMODB_COUNT_ATTRIBUTE */
	/* [aws] */
	int	 aws_connect_timeout_ms;	/* VISITSD_AWS_CONNECT_TIMEOUT_MS */
	int	 aws_request_timeout_ms;	/* VISITSD_AWS_REQUEST_TIMEOUT_MS */
	int	 ssm_startup_timeout;	/* VISITSD_SSM_STARTUP_TIMEOUT, s */
};

/* Fill cfg with the built-in defaults.  Free with config_cleanup. */
void	config_init(struct config *cfg);

/* Wipe the secrets, free every string.  cfg may be re-initialised after. */
void	config_cleanup(struct config *cfg);

/*
 * Set one setting by its INI "section.key", environment name or flag name
 * from a string, checking type and bounds.  Returns 0, or -1 with
 * "<name>: <why>" in err.
 */
int	config_set(struct config *cfg, const char *name, const char *value,
	    char *err, size_t errlen);

/* Apply an INI file (inih).  Returns 0, or -1 naming file, line and key. */
int	config_load_file(struct config *cfg, const char *path, char *err,
	    size_t errlen);

/* Apply every VISITSD_* variable of envp (NULL-terminated, borrowed). */
int	config_load_env(struct config *cfg, char *const envp[], char *err,
	    size_t errlen);

/*
 * Parse argv: -c FILE, -n, -h/--help, -V/--version and one --flag=value per
 * setting.  Applies defaults < file < env < flags into cfg.  Returns 0 to
 * go on, or the process exit status to stop with (0 after --help/--version,
 * EX_CONFIG_EXIT after a bad value, with the reason printed).  *check_only
 * is set by -n.
 */
int	config_from_args(struct config *cfg, int argc, char *argv[],
	    char *const envp[], bool *check_only);

/* Cross-setting checks (a key source unless auth=none, ...). */
int	config_validate(const struct config *cfg, char *err, size_t errlen);

/* --help text and docs/configuration.md, both from the table. */
void	config_usage(FILE *fp);
void	config_write_markdown(FILE *fp);

#endif

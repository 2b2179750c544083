/*
 * config_table: the settings table and the names derived from it, shared
 * by config.c (parsing, precedence, validation), config_args.c (argv) and
 * config_doc.c (help and generated docs).  Private to the config family;
 * everyone else uses config.h.
 *
 * One name per setting, everywhere: the INI key is the setting's name in
 * its section ([server] max_connections), the environment variable is
 * VISITSD_ plus the name in capitals (VISITSD_MAX_CONNECTIONS) and the flag
 * is the name with dashes (--max-connections).
 */
#ifndef VISITSD_CONFIG_TABLE_H
#define VISITSD_CONFIG_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#define CONFIG_NAME_MAX		64	/* longest derived name, NUL included */
#define CONFIG_ENV_PREFIX	"VISITSD_"

enum setting_type { T_STRING, T_SECRET, T_INT, T_BOOL, T_ENUM };

/* A check of one non-empty string value: 0, or -1 with the reason in why. */
typedef int config_check_fn(const char *value, char *why, size_t whylen);

struct setting {
	const char		*name;		/* INI key; env and flag derive */
	const char		*section;
	enum setting_type	 type;
	size_t			 offset;	/* into struct config */
	const char		*def;		/* default, as text */
	long			 min, max;	/* T_INT bounds */
	const char *const	*choices;	/* T_ENUM, NULL-terminated */
	config_check_fn		*check;		/* extra check for strings */
	const char		*example;	/* set in config.example.ini */
	const char		*help;
};

extern const struct setting	config_table_settings[];
extern const char *const	config_table_sections[];

#define NSETTINGS	54
#define NSECTIONS	9

/* "max_body" -> "VISITSD_MAX_BODY"; "max_body" -> "max-body". */
void	config_table_env_name(const struct setting *, char *buf, size_t len);
void	config_table_flag_name(const struct setting *, char *buf, size_t len);

/*
 * The setting that name designates in any of its spellings: the INI
 * "section.key", the bare key, the environment name, the flag with or
 * without its dashes.  Returns a borrowed entry of the table, or NULL.
 */
const struct setting	*config_table_lookup(const char *name);

/* The setting of INI key in [section] (borrowed), or NULL. */
const struct setting	*config_table_find(const char *section,
			    const char *key);

/* Whether section is one of config_table_sections. */
bool	config_table_has_section(const char *section);

/* s's index in config_table_settings, 0..NSETTINGS-1. */
size_t	config_table_index(const struct setting *s);

#endif

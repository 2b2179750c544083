/*
 * config_table: the settings table shared by config.c (parsing, checking)
 * and config_doc.c (help and generated docs).  Private to those two files;
 * everyone else uses config.h.
 */
#ifndef VISITSD_CONFIG_TABLE_H
#define VISITSD_CONFIG_TABLE_H

#include <stddef.h>

#define CONFIG_NAME_MAX	64	/* longest derived name, NUL included */

enum setting_type { T_STRING, T_SECRET, T_INT, T_BOOL, T_ENUM };

typedef int check_fn(const char *value, char *why, size_t whylen);

struct setting {
	const char		*name;		/* INI key; env and flag derive */
	const char		*section;
	enum setting_type	 type;
	size_t			 offset;	/* into struct config */
	const char		*def;		/* default, as text */
	long			 min, max;	/* T_INT bounds */
	const char *const	*choices;	/* T_ENUM, NULL-terminated */
	check_fn		*check;		/* extra check for strings */
	const char		*example;	/* set in config.example.ini */
	const char		*help;
};

extern const struct setting	config_settings[];
extern const char *const	config_sections[];

#define NSETTINGS	24
#define NSECTIONS	7

/* "max_body" -> "VISITSD_MAX_BODY"; "max_body" -> "max-body". */
void	config_env_name(const struct setting *, char *buf, size_t len);
void	config_flag_name(const struct setting *, char *buf, size_t len);

#endif

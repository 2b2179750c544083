/*
 * config_args: the command line of visitsd, read with getopt_long into a
 * list of what to apply.  config_from_args (config.c) applies it in order
 * of precedence; nothing here touches a struct config.
 *
 * Options: -c FILE, -n, -h/--help, -V/--version, --config-markdown and
 * --config-example (print the generated docs), and one --flag=value per
 * setting (--flag alone for a boolean means true).
 */
#ifndef VISITSD_CONFIG_ARGS_H
#define VISITSD_CONFIG_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "config_table.h"

struct config_args_flag {
	const struct setting	*s;
	char			 name[CONFIG_NAME_MAX + 2];	/* "--threads" */
	const char		*value;		/* borrowed from argv */
};

struct config_args {
	const char		*file;		/* -c, borrowed; NULL if none */
	bool			 check_only;	/* -n */
	bool			 health_check;	/* --health-check */
	size_t			 nflags;
	struct config_args_flag	*flags;		/* in argv order */
};

/*
 * Read argv (borrowed: a keeps pointers into it) into *a.  Returns 0 to go
 * on, or -1 to stop now with the process exit status in *status: 0 after
 * --help, --version and the doc printers (which print on stdout),
 * EX_CONFIG_EXIT after an unknown option or a stray argument (the reason
 * on stderr).  Release *a with config_args_cleanup either way.
 */
int	config_args_parse(struct config_args *a, int argc, char *argv[],
	    int *status);

void	config_args_cleanup(struct config_args *a);

#endif

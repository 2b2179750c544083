/*
 * config_args: argv into a struct config_args (see config_args.h).
 *
 * The long options are built from the settings table, one per setting
 * (optional argument for a boolean, required otherwise), so a new setting
 * gets its flag for free.  The printers (--help, --version, the generated
 * docs) run here because they end the process before any setting is read.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "config_args.h"
#include "config_doc.h"
#include "config_table.h"
#include "util.h"

#ifndef VISITSD_VERSION
#define VISITSD_VERSION "unknown"
#endif

enum { OPT_MARKDOWN = 1, OPT_EXAMPLE, OPT_HEALTH, OPT_SETTING = 256 };

int
config_args_parse(struct config_args *a, int argc, char *argv[],
    int *status)
{
	char flags[NSETTINGS][CONFIG_NAME_MAX];
	struct option opts[NSETTINGS + 7];
	struct config_args_flag *f;
	size_t i;
	int ch;

	memset(a, 0, sizeof(*a));
	a->flags = xcalloc((size_t)argc + 1, sizeof(*a->flags));
	*status = EX_CONFIG_EXIT;
	for (i = 0; i < NSETTINGS; i++) {
		config_table_flag_name(&config_table_settings[i], flags[i],
		    sizeof(flags[i]));
		opts[i].name = flags[i];
		opts[i].has_arg = config_table_settings[i].type == T_BOOL ?
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
	opts[i++] = (struct option){ "health-check", no_argument, NULL,
	    OPT_HEALTH };
	opts[i] = (struct option){ NULL, 0, NULL, 0 };

	optind = 0;	/* GNU: start afresh, even if called before */
	while ((ch = getopt_long(argc, argv, "c:hnV", opts, NULL)) != -1) {
		switch (ch) {
		case 'c':
			a->file = optarg;
			break;
		case 'n':
			a->check_only = true;
			break;
		case 'h':
			config_doc_usage(stdout);
			*status = 0;
			return -1;
		case 'V':
			printf("visitsd %s\n", VISITSD_VERSION);
			*status = 0;
			return -1;
		case OPT_HEALTH:
			a->health_check = true;
			break;
		case OPT_MARKDOWN:
			config_doc_markdown(stdout);
			*status = 0;
			return -1;
		case OPT_EXAMPLE:
			config_doc_example(stdout);
			*status = 0;
			return -1;
		case '?':
			fprintf(stderr, "Try 'visitsd --help'.\n");
			return -1;
		default:	/* an int from getopt_long, not an enum */
			f = &a->flags[a->nflags++];
			f->s = &config_table_settings[ch - OPT_SETTING];
			snprintf(f->name, sizeof(f->name), "--%s",
			    flags[ch - OPT_SETTING]);
			f->value = optarg != NULL ? optarg : "true";
			break;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "visitsd: unexpected argument \"%s\"\n",
		    argv[optind]);
		return -1;
	}
	*status = 0;
	return 0;
}

void
config_args_cleanup(struct config_args *a)
{
	free(a->flags);
	a->flags = NULL;
	a->nflags = 0;
}

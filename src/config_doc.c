/*
 * config_doc: --help, docs/configuration.md and config.example.ini, written
 * from the settings table.
 *
 * Only presentation lives here; what a setting is lives in config_table.c
 * and how it is parsed and checked in config.c.  This file depends on the
 * table only.  No secret's value is ever written: a secret's default is
 * shown as "none (secret)".
 */
#include <stdio.h>
#include <string.h>

#include "config_doc.h"
#include "config_table.h"

/* Print text wrapped at 76 columns, each line starting with prefix. */
static void
wrap(FILE *fp, const char *prefix, const char *text)
{
	size_t width = 76 - strlen(prefix), col = 0, n;
	const char *p = text;

	while (*p != '\0') {
		n = strcspn(p, " ");
		if (col > 0 && col + 1 + n > width) {
			fputc('\n', fp);
			col = 0;
		}
		if (col == 0)
			fputs(prefix, fp);
		else
			fputc(' ', fp);
		fwrite(p, 1, n, fp);
		col += n + (col > 0);
		p += n;
		p += strspn(p, " ");
	}
	if (col > 0)
		fputc('\n', fp);
}

static const char *
metavar(const struct setting *s, char *buf, size_t len)
{
	size_t i, off = 0;

	switch (s->type) {
	case T_INT:
		return "N";
	case T_BOOL:
		return "BOOL]";
	case T_SECRET:
		return "KEY";
	case T_STRING:
		return "VALUE";
	case T_ENUM:
		break;
	}
	buf[0] = '\0';
	for (i = 0; s->choices[i] != NULL && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s",
		    i == 0 ? "" : "|", s->choices[i]);
	return buf;
}

/* The default as shown to humans; never a secret's value. */
static void
describe_default(const struct setting *s, char *buf, size_t len)
{
	if (s->type == T_SECRET)
		snprintf(buf, len, "none (secret)");
	else if (s->def[0] == '\0')
		snprintf(buf, len, "empty");
	else
		snprintf(buf, len, "%s", s->def);
}

void
config_doc_usage(FILE *fp)
{
	char env[CONFIG_NAME_MAX], flag[CONFIG_NAME_MAX], mv[64], def[128];
	char line[512];
	size_t i;

	fprintf(fp,
	    "usage: visitsd [-hnV] [-c file] [--setting=value ...]\n"
	    "       visitsd export [-c file] [--setting=value ...]\n"
	    "       visitsd import FILE|- [-c file] [--setting=value ...]\n"
	    "\n"
	    "visitsd counts website visits: POST/GET /api/visits/<id>.\n"
	    "\n"
	    "  -c, --config FILE  read settings from an INI file\n"
	    "  -n                 check the configuration, print "
	    "\"configuration OK\"\n"
	    "  --health-check     GET /healthz on the listen address: exit 0 "
	    "on a 200, else 1\n"
	    "  -h, --help         print this help\n"
	    "  -V, --version      print the version\n"
	    "\n"
	    "Settings; a later source wins: defaults < -c FILE < "
	    "environment < flags.\n"
	    "Each is also VISITSD_<NAME> in the environment and the INI key\n"
	    "<name> in its [section].\n");
	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_table_settings[i];

		config_table_env_name(s, env, sizeof(env));
		config_table_flag_name(s, flag, sizeof(flag));
		describe_default(s, def, sizeof(def));
		fprintf(fp, "\n  --%s%s%s\n", flag,
		    s->type == T_BOOL ? "[=" : "=", metavar(s, mv, sizeof(mv)));
		snprintf(line, sizeof(line), "%s Default: %s. (%s, [%s] %s)",
		    s->help, def, env, s->section, s->name);
		wrap(fp, "        ", line);
	}
	fprintf(fp, "\nExit status 78 means a bad configuration; "
	    "docs/configuration.md has details.\n");
}

static void
describe_type(const struct setting *s, char *buf, size_t len)
{
	size_t i, off;

	switch (s->type) {
	case T_STRING:
		snprintf(buf, len, "string");
		return;
	case T_SECRET:
		snprintf(buf, len, "string, secret: never logged or printed");
		return;
	case T_INT:
		snprintf(buf, len, "integer, %ld to %ld", s->min, s->max);
		return;
	case T_BOOL:
		snprintf(buf, len, "boolean: true/false, yes/no, on/off, 1/0");
		return;
	case T_ENUM:
		break;
	}
	off = (size_t)snprintf(buf, len, "one of");
	for (i = 0; s->choices[i] != NULL && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s `%s`",
		    i == 0 ? "" : ",", s->choices[i]);
}

/*
 * The settings section by section, in table order: each section's heading
 * (its name between before and after), then each of its settings through
 * one.  The Markdown and the example file differ only in one and the
 * heading.
 */
static void
by_section(FILE *fp, const char *before, const char *after,
    void (*one)(FILE *, const struct setting *))
{
	size_t i, j;

	for (j = 0; j < NSECTIONS; j++) {
		fprintf(fp, "%s%s%s", before, config_table_sections[j], after);
		for (i = 0; i < NSETTINGS; i++)
			if (strcmp(config_table_settings[i].section,
			    config_table_sections[j]) == 0)
				one(fp, &config_table_settings[i]);
	}
}

/* One setting of docs/configuration.md. */
static void
markdown_setting(FILE *fp, const struct setting *s)
{
	char env[CONFIG_NAME_MAX], flag[CONFIG_NAME_MAX], type[128], def[128];

	config_table_env_name(s, env, sizeof(env));
	config_table_flag_name(s, flag, sizeof(flag));
	describe_type(s, type, sizeof(type));
	describe_default(s, def, sizeof(def));
	fprintf(fp, "\n### %s\n\n", s->name);
	wrap(fp, "", s->help);
	fprintf(fp, "\n- INI: `%s` in `[%s]`; environment: `%s`; flag: "
	    "`--%s`\n- Type: %s\n", s->name, s->section, env, flag, type);
	if (s->type == T_SECRET || s->def[0] == '\0')
		fprintf(fp, "- Default: %s\n", def);
	else
		fprintf(fp, "- Default: `%s`\n", def);
}

/* One setting of config.example.ini. */
static void
example_setting(FILE *fp, const struct setting *s)
{
	char env[CONFIG_NAME_MAX], flag[CONFIG_NAME_MAX], line[512];

	config_table_env_name(s, env, sizeof(env));
	config_table_flag_name(s, flag, sizeof(flag));
	snprintf(line, sizeof(line), "%s (%s, --%s)", s->help, env, flag);
	fputc('\n', fp);
	wrap(fp, "# ", line);
	if (s->example != NULL)
		fprintf(fp, "%s = %s\n", s->name, s->example);
	else if (s->type == T_SECRET || s->def[0] == '\0')
		fprintf(fp, "#%s =\n", s->name);
	else
		fprintf(fp, "#%s = %s\n", s->name, s->def);
}

void
config_doc_markdown(FILE *fp)
{

	fprintf(fp,
	    "# Configuration\n"
	    "\n"
	    "<!-- Generated by `visitsd --config-markdown` from the settings "
	    "table in\n"
	    "     src/config_table.c: do not edit; run `make config-docs`.  A "
	    "unit test\n"
	    "     fails when this file and the table disagree. -->\n"
	    "\n"
	    "Every setting has one name, used in three places:\n"
	    "\n"
	    "- the INI file given with `-c FILE`: the name as a key in its "
	    "`[section]`;\n"
	    "- the environment: `VISITSD_` and the name in capitals;\n"
	    "- the command line: `--` and the name with dashes, as in "
	    "`--max-connections=2048`.\n"
	    "\n"
	    "A later source wins: built-in defaults < INI file < environment "
	    "< flags.\n"
	    "An unknown INI section or key is an error naming the file and "
	    "line; an\n"
	    "unknown `VISITSD_*` variable is only a warning.\n"
	    "\n"
	    "`visitsd -n` checks the configuration (every value, and the "
	    "rules below) and\n"
	    "prints `configuration OK`.  It checks the configuration, not the "
	    "world: it\n"
	    "does not read the key file, ask SSM or open the database; the "
	    "daemon does\n"
	    "that when it starts and exits 1 if it cannot.  A bad value makes "
	    "visitsd\n"
	    "exit with status 78 (`EX_CONFIG`) and a message naming the "
	    "setting and why,\n"
	    "for example `visitsd: VISITSD_THREADS: 1 is below the minimum "
	    "2`.\n"
	    "\n"
	    "Rules across settings:\n"
	    "\n"
	    "- With `auth = key` (the default) exactly one of `api_key`, "
	    "`api_key_file`\n"
	    "  and `api_key_parameter` must be set; `auth = none` serves "
	    "without a key.\n"
	    "  An `api_key` list must hold at least one key.\n"
	    "- `metrics_listen`, when set, does not overlap `listen`: not the "
	    "same port on\n"
	    "  the same address, nor on every address (`0.0.0.0`, `[::]`).  "
	    "Port 0 is a\n"
	    "  new free port each time, so both may use it.\n"
	    "- `store = dynamodb` needs the table and two distinct attribute "
	    "names.\n"
	    "- `aws_connect_timeout_ms` is at most "
	    "`aws_request_timeout_ms`.\n"
	    "\n"
	    "`config.example.ini` lists every key with its default.\n");
	by_section(fp, "\n## [", "]\n", markdown_setting);
}

void
config_doc_example(FILE *fp)
{

	fprintf(fp,
	    "# visitsd configuration: every setting, with its default.\n"
	    "#\n"
	    "# Generated by `visitsd --config-example` from "
	    "src/config_table.c;\n"
	    "# docs/configuration.md explains each setting.  Use it with\n"
	    "# `visitsd -c FILE`.  A later source wins: built-in defaults <\n"
	    "# this file < VISITSD_* environment < --flags.\n"
	    "# Remove the '#' in front of a key to set it.\n");
	by_section(fp, "\n[", "]\n", example_setting);
}


/*
 * config_doc: --help, docs/configuration.md and config.example.ini, all
 * written from the settings table (config_table.h).  No secret's value is
 * ever written.  Used by config_args.c (--help, --config-markdown,
 * --config-example) and by the config tests.
 */
#ifndef VISITSD_CONFIG_DOC_H
#define VISITSD_CONFIG_DOC_H

#include <stdio.h>

/* The --help text. */
void	config_doc_usage(FILE *fp);
/* docs/configuration.md. */
void	config_doc_markdown(FILE *fp);
/* config.example.ini. */
void	config_doc_example(FILE *fp);

#endif

/*
 * store_open: choose a counter-store backend from the configuration.
 *
 * A file of its own so that store.c, the interface's dispatch, links
 * without any backend, and only this file (used by main.c) pulls in
 * SQLite and the AWS client.  A new backend adds one header include and
 * one line here.
 */
#include <stdio.h>
#include <string.h>

#include "config.h"
#include "store.h"
#include "store_dynamodb.h"
#include "store_open.h"
#include "store_sqlite.h"

struct store *
store_open(const struct config *cfg, char *err, size_t errlen)
{
	if (strcmp(cfg->store, "sqlite") == 0)
		return store_sqlite_new(cfg, err, errlen);
	if (strcmp(cfg->store, "dynamodb") == 0)
		return store_dynamodb_new(cfg, err, errlen);
	snprintf(err, errlen, "unknown store \"%s\"", cfg->store);
	return NULL;
}

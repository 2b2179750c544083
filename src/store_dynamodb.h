/*
 * store_dynamodb: the DynamoDB counter store (see store_dynamodb.c).
 * Only the factory (store_open.c) and the store's own tests create one;
 * everybody else uses it through store.h.
 */
#ifndef VISITSD_STORE_DYNAMODB_H
#define VISITSD_STORE_DYNAMODB_H

#include <stddef.h>

struct config;
struct store;

/*
 * Start a store on the table cfg->dynamodb_table, with its own AWS client.
 * cfg has passed config_validate, which owns the attribute-name rules
 * (valid, key and count different).  Returns a new store, or NULL with a
 * one-line reason in err.  cfg is borrowed for the call only.
 */
struct store	*store_dynamodb_new(const struct config *cfg, char *err,
		    size_t errlen);

#endif

/*
 * store_open: the store factory, the one place that knows every backend.
 *
 * main.c opens the configured store here and then only uses store.h; the
 * interface itself does not depend on its implementations.
 */
#ifndef VISITSD_STORE_OPEN_H
#define VISITSD_STORE_OPEN_H

#include <stddef.h>

struct config;
struct store;

/*
 * Create the backend that cfg->store names ("sqlite", "dynamodb").
 * Returns a new store (release it with store_free), or NULL with a
 * one-line reason in err.  cfg is borrowed for the call only.
 */
struct store	*store_open(const struct config *cfg, char *err,
		    size_t errlen);

#endif

/*
 * store_sqlite: the embedded default counter store (see store_sqlite.c).
 * Only the factory (store_open.c) and the store's own tests create one;
 * everybody else uses it through store.h.
 */
#ifndef VISITSD_STORE_SQLITE_H
#define VISITSD_STORE_SQLITE_H

#include <stddef.h>

struct config;
struct store;

/*
 * Open (creating it owner-only if needed) the database at
 * cfg->sqlite_path and start its writer thread.  Returns a new store, or
 * NULL with a one-line reason in err.  cfg is borrowed for the call only.
 */
struct store	*store_sqlite_new(const struct config *cfg, char *err,
		    size_t errlen);

#endif

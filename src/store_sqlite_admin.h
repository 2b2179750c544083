/*
 * store_sqlite_admin: the SQLite store's blocking operations (salt,
 * forget, import, export), as SQL on a connection they are given or open.
 * store_sqlite.c runs the writing ones on its writer thread, between two
 * group-commit batches, so they are ordered with the increments; export
 * reads on a connection of its own.
 */
#ifndef VISITSD_STORE_SQLITE_ADMIN_H
#define VISITSD_STORE_SQLITE_ADMIN_H

#include <stddef.h>
#include <stdint.h>

#include <sqlite3.h>

#include "store.h"

/*
 * Each in one transaction of its own on db (the writer's connection),
 * with store.h's contracts: the salt of day, created from RAND_bytes when
 * missing (INSERT OR IGNORE, then SELECT: whoever inserts first wins); the
 * salts and the visitor hashes of the days before today deleted;
 * every item's counts put as store_set puts them.
 */
enum store_result	store_sqlite_admin_salt(sqlite3 *db, uint32_t day,
			    uint8_t salt[STORE_SALT_LEN]);
enum store_result	store_sqlite_admin_forget(sqlite3 *db, uint32_t today);
enum store_result	store_sqlite_admin_import(sqlite3 *db,
			    const struct store_item *items, size_t nitems);

/*
 * each() for every id of the database at path, read on a new connection
 * in one read transaction (a consistent snapshot, in constant memory).
 */
enum store_result	store_sqlite_admin_export(const char *path,
			    store_each_fn *each, void *arg);

#endif

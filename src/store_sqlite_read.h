/*
 * store_sqlite_read: the SQLite store's read connection: an id's counts
 * and its days, read inline by any thread (under the reader's own lock),
 * which WAL lets proceed while the writer commits.
 */
#ifndef VISITSD_STORE_SQLITE_READ_H
#define VISITSD_STORE_SQLITE_READ_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct store_sqlite_reader;

/* A new reader on the (migrated) database at path; NULL with err. */
struct store_sqlite_reader	*store_sqlite_read_new(const char *path,
				    char *err, size_t errlen);
/* Accepts NULL. */
void				 store_sqlite_read_free(
				    struct store_sqlite_reader *);

/* The counts of id into *c: zeros when there is no row or on failure. */
enum store_result	store_sqlite_read_counts(struct store_sqlite_reader *,
			    const char *id, struct store_counts *c);

/*
 * days[0..ndays) of id from first_day on: each entry's day set, its
 * counts from the id's row of that day or zeros.
 */
enum store_result	store_sqlite_read_days(struct store_sqlite_reader *,
			    const char *id, uint32_t first_day,
			    struct store_day *days, uint32_t ndays);

#endif

/*
 * admin_import: NDJSON files of counts in and out of a store, for the
 * HTTP import and export (http_admin.c) and the command line
 * (cli_admin.c), so that both validate and write the same way.
 *
 * Every function here blocks (the store's blocking operations, file
 * I/O): call them from a thread that may wait, never an HTTP worker.
 */
#ifndef VISITSD_ADMIN_IMPORT_H
#define VISITSD_ADMIN_IMPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "store.h"

/* Items handed to one store_import call. */
#define ADMIN_IMPORT_CHUNK	500

/* Asked between chunks: true to stop the import (shutdown). */
typedef bool admin_stop_fn(void *arg);

/*
 * A new unlinked temporary file, read-write, in $TMPDIR or /tmp (owner
 * only; gone when closed).  Returns its descriptor, or -1 with err.
 */
int	admin_spool_open(char *err, size_t errlen);

/*
 * Validate every line of fd, a regular file read from offset 0: each line
 * one object as admin_line_parse takes it, no id twice; empty lines (and
 * a final CR) are skipped.  Memory: about 8 bytes per line for the
 * duplicate check.  Returns 0 with the number of items in *nitems, or -1
 * with "line N: why" (or an I/O error) in err.
 */
int	admin_import_check(int fd, uint64_t *nitems, char *err,
	    size_t errlen);

/*
 * Put the items of fd (already through admin_import_check) into store
 * with store_import, ADMIN_IMPORT_CHUNK at a time, asking stop(arg) (NULL:
 * never) before each chunk.  Returns STORE_OK, or the result that ended it
 * (STORE_UNAVAILABLE when stopped); *imported counts the items put before,
 * which stay put.  err gets a sentence on failure.
 */
enum store_result	admin_import_run(struct store *store, int fd,
			    admin_stop_fn *stop, void *arg,
			    uint64_t *imported, char *err, size_t errlen);

/*
 * Write every id of store to out, one admin_line_format line each, and
 * flush.  Returns STORE_OK with *n lines, or the store's failure
 * (STORE_ERROR also for a write error, with errno set).
 */
enum store_result	admin_export_file(struct store *store, FILE *out,
			    uint64_t *n);

#endif

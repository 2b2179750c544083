/*
 * config_fixture: a struct config for a test, built the way the daemon
 * builds one: config_init, then config_set for each value (the same checks
 * as a file, the environment or a flag), then config_validate.  A value or
 * a combination the daemon would refuse fails the test with the error
 * text, so no test runs on a configuration that could not exist.
 *
 * Names are any spelling config_set takes ("listen", "VISITSD_LISTEN",
 * "--listen", "server.listen").  The helpers are static inline so that any
 * test file can include this header without a shared object file.
 */
#ifndef VISITSD_TESTS_CONFIG_FIXTURE_H
#define VISITSD_TESTS_CONFIG_FIXTURE_H

#include <check.h>
#include <stdarg.h>
#include <stddef.h>

#include "config.h"

/* config_set each name, value pair of ap (NULL-terminated) on cfg. */
static inline void
config_fixture_vapply(struct config *cfg, va_list ap)
{
	const char *name, *value;
	char err[512];

	while ((name = va_arg(ap, const char *)) != NULL) {
		value = va_arg(ap, const char *);
		ck_assert_msg(value != NULL, "config_fixture: %s has no value",
		    name);
		ck_assert_msg(config_set(cfg, name, value, err,
		    sizeof(err)) == 0, "config_fixture: %s", err);
	}
}

static inline void
config_fixture_validate(const struct config *cfg)
{
	char err[512];

	ck_assert_msg(config_validate(cfg, err, sizeof(err)) == 0,
	    "config_fixture: %s", err);
}

/*
 * Apply the name, value, ..., NULL pairs to cfg (already through
 * config_init), then validate the whole.
 */
static inline void __attribute__((sentinel))
config_fixture_set(struct config *cfg, ...)
{
	va_list ap;

	va_start(ap, cfg);
	config_fixture_vapply(cfg, ap);
	va_end(ap);
	config_fixture_validate(cfg);
}

/* config_init(cfg), then config_fixture_set.  Free with config_cleanup. */
static inline void __attribute__((sentinel))
config_fixture_init(struct config *cfg, ...)
{
	va_list ap;

	config_init(cfg);
	va_start(ap, cfg);
	config_fixture_vapply(cfg, ap);
	va_end(ap);
	config_fixture_validate(cfg);
}

/*
 * config_init and the pairs, without config_validate: only for a test of a
 * constructor's own refusal of a value that validation refuses first (an
 * empty sqlite_path, say).  Each value still passes config_set.
 */
static inline void __attribute__((sentinel))
config_fixture_init_unvalidated(struct config *cfg, ...)
{
	va_list ap;

	config_init(cfg);
	va_start(ap, cfg);
	config_fixture_vapply(cfg, ap);
	va_end(ap);
}

#endif

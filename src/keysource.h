/*
 * keysource: where the API keys come from, read at startup and on SIGHUP.
 *
 * Exactly one source is configured (config_validate checks it): the
 * api_key setting itself, a file (api_key_file) or an SSM parameter
 * (api_key_parameter, served by the AWS backend).  Each holds one or more
 * comma-separated keys, parsed by apikey_set_parse.  This module only
 * fetches and parses; installing the set in the key ring is the caller's.
 */
#ifndef VISITSD_KEYSOURCE_H
#define VISITSD_KEYSOURCE_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

struct config;
struct apikey_set;

/*
 * Read the configured source.  cfg is borrowed for the call.  Returns a
 * new key set, or NULL with a one-line reason in err (never containing a
 * key).  Every buffer that held key material is wiped.  Logs a warning
 * when the key file is readable by its group or by others.
 */
struct apikey_set	*keysource_load(const struct config *cfg, char *err,
			    size_t errlen);

/*
 * keysource_load for startup.  An SSM parameter's transient failures are
 * retried with backoff for up to cfg->ssm_startup_timeout seconds (a
 * reload makes one fetch); between attempts the wait ends at once when a
 * signal of stop (blocked in every thread by the caller) arrives: then
 * NULL is returned with the signal in *sig, which is 0 otherwise.  A
 * signal arriving during a fetch is taken after it (bounded by the AWS
 * timeouts).  stop and cfg are borrowed for the call.
 */
struct apikey_set	*keysource_load_startup(const struct config *cfg,
			    const sigset_t *stop, int *sig, char *err,
			    size_t errlen);

/*
 * Describe the configured source for a log line ("file /etc/visitsd/key",
 * "VISITSD_API_KEY", "SSM parameter /visitsd/api-key") into buf, which is
 * returned.  Never the key itself.
 */
const char	*keysource_describe(const struct config *cfg, char *buf,
		    size_t len);

/*
 * The admin key (admin_key, admin_key_file, admin_key_parameter): the
 * same three sources and rules, its own settings.  configured: whether
 * one is set (at most one is: config_validate).  load: keysource_load
 * with stop NULL (a reload), keysource_load_startup otherwise.
 */
bool		 keysource_admin_configured(const struct config *cfg);
struct apikey_set	*keysource_admin_load(const struct config *cfg,
			    const sigset_t *stop, int *sig, char *err,
			    size_t errlen);
const char	*keysource_admin_describe(const struct config *cfg, char *buf,
		    size_t len);

#endif

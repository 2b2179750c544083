/*
 * adminkey: the admin key ring's loads, at startup and on SIGHUP.
 *
 * The admin key comes from the same three sources as the API key
 * (keysource.c's admin_key, admin_key_file, admin_key_parameter) into a
 * second apikey ring, and must differ from every API key: a set sharing a
 * key with the API ring is refused, at startup (fatal) as on a reload
 * (the old set is kept).  Nothing here logs a key.
 */
#ifndef VISITSD_ADMINKEY_H
#define VISITSD_ADMINKEY_H

#include <signal.h>
#include <stddef.h>

struct apikey_ring;
struct apikey_set;
struct config;

/*
 * Startup: load the admin set (SSM retried as for the API key; a signal
 * of stop ends the wait with it in *sig), check it against api (borrowed,
 * may be NULL with auth=none) and install it in admin.  Returns 0, or -1
 * with a reason in err.
 */
int	adminkey_load_startup(const struct config *cfg, const sigset_t *stop,
	    struct apikey_ring *api, struct apikey_ring *admin, int *sig,
	    char *err, size_t errlen);

/* SIGHUP: reload the admin set, or keep the old one with a warning. */
void	adminkey_reload(const struct config *cfg, struct apikey_ring *api,
	    struct apikey_ring *admin);

/*
 * Whether a new API key set may be installed: false (with a warning
 * naming no key) when it shares a key with the admin ring (NULL: true).
 */
int	adminkey_api_set_ok(struct apikey_ring *admin,
	    const struct apikey_set *set);

#endif

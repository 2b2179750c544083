/*
 * adminkey: load the admin key set into its ring, refusing one that
 * shares a key with the API keys.
 *
 * The rule that the two differ is checked with the digests (apikey.c), at
 * each load of either set: an API key that is also an admin key would let
 * every page that embeds the public key rewrite the counts.  Not here:
 * reading the sources (keysource.c), the Bearer check (http_admin.c).
 */
#include <stdio.h>

#include "adminkey.h"
#include "apikey.h"
#include "config.h"
#include "keysource.h"
#include "log.h"

#define SHARED	"an admin key equals an API key; the admin key must " \
		"differ from every API key"

int
adminkey_load_startup(const struct config *cfg, const sigset_t *stop,
    struct apikey_ring *api, struct apikey_ring *admin, int *sig, char *err,
    size_t errlen)
{
	struct apikey_set *set;
	char src[512];

	keysource_admin_describe(cfg, src, sizeof(src));
	if ((set = keysource_admin_load(cfg, stop, sig, err, errlen)) == NULL)
		return -1;
	if (api != NULL && apikey_ring_shares(api, set)) {
		apikey_set_free(set);
		snprintf(err, errlen, "%s (%s)", SHARED, src);
		return -1;
	}
	log_debug("loaded %zu admin key(s) from %s", apikey_set_count(set),
	    src);
	apikey_ring_replace(admin, set);
	return 0;
}

void
adminkey_reload(const struct config *cfg, struct apikey_ring *api,
    struct apikey_ring *admin)
{
	struct apikey_set *set;
	char err[512], src[512];
	size_t n;
	int sig;

	keysource_admin_describe(cfg, src, sizeof(src));
	if ((set = keysource_admin_load(cfg, NULL, &sig, err,
	    sizeof(err))) == NULL) {
		log_warnx("SIGHUP: admin key reload failed, keeping the old "
		    "admin keys: %s", err);
		return;
	}
	if (api != NULL && apikey_ring_shares(api, set)) {
		apikey_set_free(set);
		log_warnx("SIGHUP: admin key reload refused, keeping the old "
		    "admin keys: %s (%s)", SHARED, src);
		return;
	}
	n = apikey_set_count(set);
	apikey_ring_replace(admin, set);
	log_info("SIGHUP: loaded %zu admin key(s) from %s", n, src);
}

int
adminkey_api_set_ok(struct apikey_ring *admin, const struct apikey_set *set)
{
	if (admin == NULL || !apikey_ring_shares(admin, set))
		return 1;
	log_warnx("SIGHUP: API key reload refused, keeping the old keys: "
	    "%s", SHARED);
	return 0;
}

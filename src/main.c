/*
 * main: visitsd's startup order, its signal loop and its shutdown.
 *
 * Startup: no core dumps and no ptrace by our own uid (the keys live in
 * this process's memory), configuration (errors go to stderr with exit 78
 * before logging exists), logging, `-n`, signals blocked before the first
 * thread, keys, store, HTTP, then one "listening on" line and READY=1 for
 * systemd.
 * SIGTERM/SIGINT while the keys are still being retried from SSM stop the
 * daemon there, with exit 0.
 * Afterwards the main thread does nothing but wait for signals: SIGHUP
 * reloads the key source, SIGTERM/SIGINT stop gracefully and exit 0, and a
 * systemd watchdog, when configured, is fed at half its interval.  Only
 * startup may exit with an error; once serving, trouble is logged.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <curl/curl.h>

#include "apikey.h"
#include "config.h"
#include "healthcheck.h"
#include "http.h"
#include "keysource.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "store.h"
#include "store_open.h"

#ifndef VISITSD_VERSION
#define VISITSD_VERSION "unknown"
#endif

extern char **environ;

static bool
auth_required(const struct config *cfg)
{
	return strcmp(cfg->auth, "key") == 0;
}

/* SIGHUP: a new key set, or the old one kept with a warning. */
static void
reload_keys(const struct config *cfg, struct apikey_ring *keys)
{
	struct apikey_set *set;
	struct timespec now;
	char err[512], src[512], state[64];
	size_t n;

	if (!auth_required(cfg)) {
		log_info("SIGHUP: auth=none, no key to reload");
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	snprintf(state, sizeof(state), "RELOADING=1\nMONOTONIC_USEC=%" PRIu64,
	    (uint64_t)now.tv_sec * 1000000 + (uint64_t)now.tv_nsec / 1000);
	notify_send(state);
	keysource_describe(cfg, src, sizeof(src));
	if ((set = keysource_load(cfg, err, sizeof(err))) == NULL)
		log_warnx("SIGHUP: key reload failed, keeping the old keys: "
		    "%s", err);
	else {
		/* Installed first: the line means the new keys are in force. */
		n = apikey_set_count(set);
		apikey_ring_replace(keys, set);
		log_info("SIGHUP: loaded %zu API key(s) from %s", n, src);
	}
	notify_send("READY=1");
}

/*
 * Wait for a signal of set; with a watchdog, wake at half its interval to
 * feed it.  Returns the signal that ends the daemon.
 */
static int
signal_loop(const sigset_t *set, const struct config *cfg,
    struct apikey_ring *keys)
{
	uint64_t wd = notify_watchdog_usec();
	struct timespec ts;
	int sig;

	ts.tv_sec = (time_t)(wd / 2 / 1000000);
	ts.tv_nsec = (long)(wd / 2 % 1000000 * 1000);
	for (;;) {
		if (wd > 0) {
			notify_send("WATCHDOG=1");
			sig = sigtimedwait(set, NULL, &ts);
		} else
			sig = sigwaitinfo(set, NULL);
		if (sig == -1) {
			if (errno != EAGAIN && errno != EINTR)
				log_warn("sigwait");
			continue;
		}
		if (sig == SIGHUP)
			reload_keys(cfg, keys);
		else
			return sig;
	}
}

int
main(int argc, char *argv[])
{
	struct config cfg;
	struct apikey_ring *keys = NULL;
	struct apikey_set *set;
	struct store *store = NULL;
	struct http *http = NULL;
	sigset_t sigs, stop;
	char err[512], src[512];
	bool check_only;
	int status, sig, abandoned;

	/*
	 * Before any secret is read: a core file or a debugger attached as
	 * our uid would show the keys.  Not dumpable also makes /proc/self
	 * root's, which nothing here reads.  Failure is harmless: go on.
	 */
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	prctl(PR_SET_DUMPABLE, 0, 0, 0, 0);
	config_init(&cfg);
	if (config_from_args(&cfg, argc, argv, environ, &check_only,
	    &status) == -1) {
		config_cleanup(&cfg);
		return status;
	}
	if (config_validate(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "visitsd: %s\n", err);
		config_cleanup(&cfg);
		return EX_CONFIG_EXIT;
	}
	log_init(log_level_parse(cfg.log_level),
	    log_format_parse(cfg.log_format));
	if (cfg.unknown_env[0] != '\0')
		log_warnx("ignoring environment variables that are not "
		    "settings: %s", cfg.unknown_env);
	if (cfg.health_check) {
		status = healthcheck_run(&cfg);
		config_cleanup(&cfg);
		return status;
	}
	if (check_only) {
		puts("configuration OK");
		config_cleanup(&cfg);
		return 0;
	}
	if (!auth_required(&cfg))
		log_warnx("auth=none: serving without an API key%s",
		    cfg.api_key[0] != '\0' || cfg.api_key_file[0] != '\0' ||
		    cfg.api_key_parameter[0] != '\0' ?
		    "; the configured key source is ignored" : "");

	/* Before any thread exists, so that every thread inherits the mask. */
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigs = stop;
	sigaddset(&sigs, SIGHUP);
	if ((errno = pthread_sigmask(SIG_BLOCK, &sigs, NULL)) != 0)
		fatal("pthread_sigmask");
	signal(SIGPIPE, SIG_IGN);
	/* Request lines are buffered from here on; exit(1) and return flush. */
	if (log_buffer_start(LOG_FLUSH_MS) == -1)
		log_warnx("request log lines unbuffered: no flusher thread");
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
		fatalx("curl_global_init failed");
	metrics_init(VISITSD_VERSION, cfg.store);

	keys = apikey_ring_new();
	if (auth_required(&cfg)) {
		keysource_describe(&cfg, src, sizeof(src));
		set = keysource_load_startup(&cfg, &stop, &sig, err,
		    sizeof(err));
		if (set == NULL && sig != 0) {
			log_info("%s during startup: %s; stopping",
			    strsignal(sig), err);
			goto teardown;
		}
		if (set == NULL)
			fatalx("cannot load the API key: %s", err);
		log_debug("loaded %zu API key(s) from %s",
		    apikey_set_count(set), src);
		apikey_ring_replace(keys, set);
	}
	if ((store = store_open(&cfg, err, sizeof(err))) == NULL)
		fatalx("store %s: %s", cfg.store, err);
	if ((http = http_new(&cfg, store, keys, err, sizeof(err))) == NULL)
		fatalx("cannot serve HTTP on %s: %s", cfg.listen, err);
	if (http_metrics_address(http) != NULL)
		log_info("visitsd %s listening on %s (store %s, metrics on "
		    "%s)", VISITSD_VERSION, http_address(http),
		    store_name(store), http_metrics_address(http));
	else
		log_info("visitsd %s listening on %s (store %s)",
		    VISITSD_VERSION, http_address(http), store_name(store));
	notify_send("READY=1");

	sig = signal_loop(&sigs, &cfg, keys);

	log_info("%s: stopping, waiting up to %ds for requests in flight",
	    strsignal(sig), cfg.shutdown_timeout);
	notify_send("STOPPING=1");
	if ((abandoned = http_shutdown(http, cfg.shutdown_timeout)) > 0)
		log_warnx("%d request(s) abandoned at shutdown", abandoned);
teardown:
	http_free(http);
	store_free(store);
	apikey_ring_free(keys);
	metrics_cleanup();
	curl_global_cleanup();
	config_cleanup(&cfg);
	log_buffer_stop();
	log_info("stopped");
	return 0;
}

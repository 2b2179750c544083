/*
 * keysource: fetch the API key list from the configured source and parse
 * it into a key set.
 *
 * A key file is read whole (it is small: a few keys, at most 64 KiB),
 * parsed, and the buffer wiped.  The file is opened fresh on every call so
 * that SIGHUP picks up a file replaced by rename, as secret managers and
 * editors write them.  An SSM parameter is fetched through aws/ssm.c,
 * with bounded retries at startup that a stop signal cuts short.  Not
 * here: the key ring swap (apikey.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "apikey.h"
#include "aws/ssm.h"
#include "config.h"
#include "keysource.h"
#include "log.h"
#include "util.h"

#define KEY_FILE_MAX	65536

static struct apikey_set *
load_file(const char *path, char *err, size_t errlen)
{
	struct apikey_set *set = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "API key file %s: %s", path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "API key file %s: %s", path,
		    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "API key file %s: not a regular file",
		    path);
		goto done;
	}
	if (st.st_size > KEY_FILE_MAX) {
		snprintf(err, errlen, "API key file %s: larger than %d bytes",
		    path, KEY_FILE_MAX);
		goto done;
	}
	if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_warnx("API key file %s is readable by %s (mode %04o); "
		    "chmod 600 it", path, (st.st_mode & S_IROTH) != 0 ?
		    "everyone" : "its group", (unsigned)(st.st_mode & 07777));
	/* One byte more than the limit tells a file that grew meanwhile. */
	buf = xmalloc(KEY_FILE_MAX + 2);
	while (len <= KEY_FILE_MAX) {
		n = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "API key file %s: %s", path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > KEY_FILE_MAX) {
		snprintf(err, errlen, "API key file %s: larger than %d bytes",
		    path, KEY_FILE_MAX);
		goto done;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "API key file %s: contains a NUL byte",
		    path);
		goto done;
	}
	/* Surrounding whitespace, the final newline included, is trimmed. */
	if ((set = apikey_set_parse(buf, err, errlen)) == NULL) {
		/* Prefix the file name without quoting anything of it. */
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "API key file %s: %s", path, why);
	}
done:
	util_wipe_free(buf, KEY_FILE_MAX + 2);
	close(fd);
	return set;
}

/*
 * Wait up to seconds for a signal of stop (blocked by the caller).  Returns
 * the signal, or 0 when the time passed.
 */
static int
wait_for_stop(const sigset_t *stop, unsigned seconds)
{
	struct timespec ts = { .tv_sec = (time_t)seconds, .tv_nsec = 0 };
	int sig;

	do
		sig = sigtimedwait(stop, NULL, &ts);
	while (sig == -1 && errno == EINTR);
	return sig > 0 ? sig : 0;
}

/* Parse a fetched parameter value, then wipe and free it. */
static struct apikey_set *
parse_parameter(const char *name, char *value, char *err, size_t errlen)
{
	struct apikey_set *set;
	char why[256];

	set = apikey_set_parse(value, why, sizeof(why));
	util_free_secret(value);
	if (set == NULL)
		snprintf(err, errlen, "API key parameter %s: %s", name, why);
	return set;
}

/*
 * An SSM parameter (GetParameter, WithDecryption), fetched once, with the
 * AWS client's own retries: a reload.  On failure the caller keeps its old
 * keys.
 */
static struct apikey_set *
load_parameter(const struct config *cfg, char *err, size_t errlen)
{
	char why[512], *value;
	int retryable;

	if ((value = ssm_fetch(cfg->api_key_parameter,
	    cfg->aws_connect_timeout_ms, cfg->aws_request_timeout_ms,
	    &retryable, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "API key parameter %s: %s",
		    cfg->api_key_parameter, why);
		return NULL;
	}
	return parse_parameter(cfg->api_key_parameter, value, err, errlen);
}

/*
 * The SSM parameter at startup: transient failures (throttling, network,
 * 5xx, credentials not available yet) are retried with exponential
 * backoff (1 s doubling to 16 s) for up to cfg->ssm_startup_timeout
 * seconds, so the daemon may start before the network or the task role is
 * ready; a permanent failure (ParameterNotFound, AccessDeniedException)
 * ends at once, and so does a signal of stop between attempts.
 */
static struct apikey_set *
load_parameter_startup(const struct config *cfg, const sigset_t *stop,
    int *sig, char *err, size_t errlen)
{
	const char *name = cfg->api_key_parameter;
	uint64_t deadline = util_now_ms() +
	    (uint64_t)cfg->ssm_startup_timeout * 1000;
	unsigned delay = 1;
	char why[512], *value;
	int retryable;

	for (;;) {
		value = ssm_fetch(name, cfg->aws_connect_timeout_ms,
		    cfg->aws_request_timeout_ms, &retryable, why, sizeof(why));
		if (value != NULL)
			return parse_parameter(name, value, err, errlen);
		if (!retryable) {
			snprintf(err, errlen, "API key parameter %s: %s", name,
			    why);
			return NULL;
		}
		if (util_now_ms() + delay * 1000 > deadline) {
			snprintf(err, errlen, "API key parameter %s: %s (gave "
			    "up after VISITSD_SSM_STARTUP_TIMEOUT)", name, why);
			return NULL;
		}
		log_warnx("API key parameter %s: %s; retrying in %us", name,
		    why, delay);
		if ((*sig = wait_for_stop(stop, delay)) != 0) {
			snprintf(err, errlen, "API key parameter %s: %s while "
			    "retrying", name, strsignal(*sig));
			return NULL;
		}
		if (delay < 16)
			delay *= 2;
	}
}

/* The configured source; stop is NULL for a reload, else startup. */
static struct apikey_set *
load(const struct config *cfg, const sigset_t *stop, int *sig, char *err,
    size_t errlen)
{
	struct apikey_set *set;
	char why[256];

	if (cfg->api_key[0] != '\0') {
		if ((set = apikey_set_parse(cfg->api_key, why,
		    sizeof(why))) == NULL)
			snprintf(err, errlen, "VISITSD_API_KEY: %s", why);
		return set;
	}
	if (cfg->api_key_file[0] != '\0')
		return load_file(cfg->api_key_file, err, errlen);
	if (cfg->api_key_parameter[0] != '\0')
		return stop != NULL ? load_parameter_startup(cfg, stop, sig,
		    err, errlen) : load_parameter(cfg, err, errlen);
	snprintf(err, errlen, "no API key source configured");
	return NULL;
}

struct apikey_set *
keysource_load(const struct config *cfg, char *err, size_t errlen)
{
	int sig;

	return load(cfg, NULL, &sig, err, errlen);
}

struct apikey_set *
keysource_load_startup(const struct config *cfg, const sigset_t *stop,
    int *sig, char *err, size_t errlen)
{
	*sig = 0;
	return load(cfg, stop, sig, err, errlen);
}

const char *
keysource_describe(const struct config *cfg, char *buf, size_t len)
{
	if (cfg->api_key[0] != '\0')
		snprintf(buf, len, "the api_key setting");
	else if (cfg->api_key_file[0] != '\0')
		snprintf(buf, len, "file %s", cfg->api_key_file);
	else if (cfg->api_key_parameter[0] != '\0')
		snprintf(buf, len, "SSM parameter %s", cfg->api_key_parameter);
	else
		snprintf(buf, len, "no source");
	return buf;
}

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

/* One key source: the API key's or the admin key's settings. */
struct source {
	const char	*what;		/* "API key", "admin key" */
	const char	*env;		/* "VISITSD_API_KEY" */
	const char	*value, *file, *parameter;
};

static struct source
api_source(const struct config *cfg)
{
	return (struct source){ "API key", "VISITSD_API_KEY", cfg->api_key,
	    cfg->api_key_file, cfg->api_key_parameter };
}

static struct source
admin_source(const struct config *cfg)
{
	return (struct source){ "admin key", "VISITSD_ADMIN_KEY",
	    cfg->admin_key, cfg->admin_key_file, cfg->admin_key_parameter };
}

static struct apikey_set *
load_file(const char *what, const char *path, char *err, size_t errlen)
{
	struct apikey_set *set = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	ssize_t n;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		snprintf(err, errlen, "%s file %s: %s",what, path,
		    strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) == -1) {
		snprintf(err, errlen, "%s file %s: %s",what, path,
		    strerror(errno));
		goto done;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s file %s: not a regular file",what,
		    path);
		goto done;
	}
	if (st.st_size > KEY_FILE_MAX) {
		snprintf(err, errlen, "%s file %s: larger than %d bytes",what,
		    path, KEY_FILE_MAX);
		goto done;
	}
	if ((st.st_mode & (S_IRGRP | S_IROTH)) != 0)
		log_warnx("%s file %s is readable by %s (mode %04o); "
		    "chmod 600 it", what, path, (st.st_mode & S_IROTH) != 0 ?
		    "everyone" : "its group", (unsigned)(st.st_mode & 07777));
	/* One byte more than the limit tells a file that grew meanwhile. */
	buf = xmalloc(KEY_FILE_MAX + 2);
	while (len <= KEY_FILE_MAX) {
		n = read(fd, buf + len, KEY_FILE_MAX + 1 - len);
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			snprintf(err, errlen, "%s file %s: %s",what, path,
			    strerror(errno));
			goto done;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > KEY_FILE_MAX) {
		snprintf(err, errlen, "%s file %s: larger than %d bytes",what,
		    path, KEY_FILE_MAX);
		goto done;
	}
	buf[len] = '\0';
	if (memchr(buf, '\0', len) != NULL) {
		snprintf(err, errlen, "%s file %s: contains a NUL byte",what,
		    path);
		goto done;
	}
	/* Surrounding whitespace, the final newline included, is trimmed. */
	if ((set = apikey_set_parse(buf, err, errlen)) == NULL) {
		/* Prefix the file name without quoting anything of it. */
		char why[256];

		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "%s file %s: %s",what, path, why);
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
parse_parameter(const char *what, const char *name, char *value, char *err,
    size_t errlen)
{
	struct apikey_set *set;
	char why[256];

	set = apikey_set_parse(value, why, sizeof(why));
	util_free_secret(value);
	if (set == NULL)
		snprintf(err, errlen, "%s parameter %s: %s", what, name, why);
	return set;
}

/*
 * An SSM parameter (GetParameter, WithDecryption), fetched once, with the
 * AWS client's own retries: a reload.  On failure the caller keeps its old
 * keys.
 */
static struct apikey_set *
load_parameter(const struct config *cfg, const struct source *src, char *err,
    size_t errlen)
{
	char why[512], *value;
	int retryable;

	if ((value = ssm_fetch(src->parameter,
	    cfg->aws_connect_timeout_ms, cfg->aws_request_timeout_ms,
	    &retryable, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "%s parameter %s: %s", src->what,
		    src->parameter, why);
		return NULL;
	}
	return parse_parameter(src->what, src->parameter, value, err, errlen);
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
load_parameter_startup(const struct config *cfg, const struct source *src,
    const sigset_t *stop, int *sig, char *err, size_t errlen)
{
	const char *name = src->parameter, *what = src->what;
	uint64_t deadline = util_now_ms() +
	    (uint64_t)cfg->ssm_startup_timeout * 1000;
	unsigned delay = 1;
	char why[512], *value;
	int retryable;

	for (;;) {
		value = ssm_fetch(name, cfg->aws_connect_timeout_ms,
		    cfg->aws_request_timeout_ms, &retryable, why, sizeof(why));
		if (value != NULL)
			return parse_parameter(what, name, value, err,
			    errlen);
		if (!retryable) {
			snprintf(err, errlen, "%s parameter %s: %s", what,
			    name, why);
			return NULL;
		}
		if (util_now_ms() + delay * 1000 > deadline) {
			snprintf(err, errlen, "%s parameter %s: %s (gave up "
			    "after VISITSD_SSM_STARTUP_TIMEOUT)", what, name,
			    why);
			return NULL;
		}
		log_warnx("%s parameter %s: %s; retrying in %us", what,
		    name, why, delay);
		if ((*sig = wait_for_stop(stop, delay)) != 0) {
			snprintf(err, errlen, "%s parameter %s: %s while "
			    "retrying", what, name, strsignal(*sig));
			return NULL;
		}
		if (delay < 16)
			delay *= 2;
	}
}

/* The configured source; stop is NULL for a reload, else startup. */
static struct apikey_set *
load(const struct config *cfg, const struct source *src,
    const sigset_t *stop, int *sig, char *err, size_t errlen)
{
	struct apikey_set *set;
	char why[256];

	if (src->value[0] != '\0') {
		if ((set = apikey_set_parse(src->value, why,
		    sizeof(why))) == NULL)
			snprintf(err, errlen, "%s: %s", src->env, why);
		return set;
	}
	if (src->file[0] != '\0')
		return load_file(src->what, src->file, err, errlen);
	if (src->parameter[0] != '\0')
		return stop != NULL ? load_parameter_startup(cfg, src, stop,
		    sig, err, errlen) : load_parameter(cfg, src, err, errlen);
	snprintf(err, errlen, "no %s source configured", src->what);
	return NULL;
}

struct apikey_set *
keysource_load(const struct config *cfg, char *err, size_t errlen)
{
	struct source src = api_source(cfg);
	int sig;

	return load(cfg, &src, NULL, &sig, err, errlen);
}

struct apikey_set *
keysource_load_startup(const struct config *cfg, const sigset_t *stop,
    int *sig, char *err, size_t errlen)
{
	struct source src = api_source(cfg);

	*sig = 0;
	return load(cfg, &src, stop, sig, err, errlen);
}

static const char *
describe(const struct source *src, const char *setting, char *buf,
    size_t len)
{
	if (src->value[0] != '\0')
		snprintf(buf, len, "the %s setting", setting);
	else if (src->file[0] != '\0')
		snprintf(buf, len, "file %s", src->file);
	else if (src->parameter[0] != '\0')
		snprintf(buf, len, "SSM parameter %s", src->parameter);
	else
		snprintf(buf, len, "no source");
	return buf;
}

const char *
keysource_describe(const struct config *cfg, char *buf, size_t len)
{
	struct source src = api_source(cfg);

	return describe(&src, "api_key", buf, len);
}

bool
keysource_admin_configured(const struct config *cfg)
{
	return cfg->admin_key[0] != '\0' || cfg->admin_key_file[0] != '\0' ||
	    cfg->admin_key_parameter[0] != '\0';
}

struct apikey_set *
keysource_admin_load(const struct config *cfg, const sigset_t *stop,
    int *sig, char *err, size_t errlen)
{
	struct source src = admin_source(cfg);

	*sig = 0;
	return load(cfg, &src, stop, sig, err, errlen);
}

const char *
keysource_admin_describe(const struct config *cfg, char *buf, size_t len)
{
	struct source src = admin_source(cfg);

	return describe(&src, "admin_key", buf, len);
}

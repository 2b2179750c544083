/*
 * keysource: fetch the API key list from the configured source and parse
 * it into a key set.
 *
 * A key file is read whole (it is small: a few keys, at most 64 KiB),
 * parsed, and the buffer wiped.  The file is opened fresh on every call so
 * that SIGHUP picks up a file replaced by rename, as secret managers and
 * editors write them.  Not here: the keyring swap (apikey.c) and the SSM
 * call (the AWS backend).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "apikey.h"
#include "config.h"
#include "keysource.h"
#include "log.h"

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
	if ((buf = malloc(KEY_FILE_MAX + 2)) == NULL) {
		snprintf(err, errlen, "API key file %s: out of memory", path);
		goto done;
	}
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
	if (buf != NULL) {
		OPENSSL_cleanse(buf, KEY_FILE_MAX + 2);
		free(buf);
	}
	close(fd);
	return set;
}

/* The AWS backend replaces this with a GetParameter call. */
static struct apikey_set *
load_parameter(const struct config *cfg, char *err, size_t errlen)
{
	snprintf(err, errlen, "API key parameter %s: SSM parameters need the "
	    "AWS backend", cfg->api_key_parameter);
	return NULL;
}

struct apikey_set *
keysource_load(const struct config *cfg, char *err, size_t errlen)
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
		return load_parameter(cfg, err, errlen);
	snprintf(err, errlen, "no API key source configured");
	return NULL;
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

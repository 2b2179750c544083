/*
 * log: levels, text or JSON lines, one write(2) per line.
 *
 * The level and format are set once at startup, before any thread exists,
 * and only read afterwards, so they need no lock.  A line is formatted into
 * a stack buffer and written with a single write(2) so lines from different
 * threads never interleave.  JSON strings are escaped here rather than with
 * jansson because a log call must not allocate.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINE_MAX_LEN 2048

static enum log_level	log_min = LOG_INFO;
static bool		log_json;

static const char *const level_names[] = { "debug", "info", "warn", "error" };

int
log_level_parse(const char *s)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (strcmp(s, level_names[i]) == 0)
			return (int)i;
	return -1;
}

int
log_format_parse(const char *s)
{
	if (strcmp(s, "auto") == 0)
		return LOG_FORMAT_AUTO;
	if (strcmp(s, "text") == 0)
		return LOG_FORMAT_TEXT;
	if (strcmp(s, "json") == 0)
		return LOG_FORMAT_JSON;
	return -1;
}

void
log_init(enum log_level level, enum log_format format)
{
	log_min = level;
	if (format == LOG_FORMAT_AUTO)
		log_json = !isatty(STDERR_FILENO);
	else
		log_json = format == LOG_FORMAT_JSON;
}

/* Append s to buf at *off as the body of a JSON string. */
static void
append_json(char *buf, size_t len, size_t *off, const char *s)
{
	for (; *s != '\0' && *off + 7 < len; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			buf[(*off)++] = '\\';
			buf[(*off)++] = (char)c;
		} else if (c < 0x20) {
			*off += (size_t)snprintf(buf + *off, len - *off,
			    "\\u%04x", c);
		} else
			buf[(*off)++] = (char)c;
	}
}

static size_t
append_timestamp(char *buf, size_t len)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	return strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void
emit(enum log_level level, const char *msg, const char *fields)
{
	char buf[LINE_MAX_LEN], ts[32];
	size_t off = 0;

	append_timestamp(ts, sizeof(ts));
	if (log_json) {
		off = (size_t)snprintf(buf, sizeof(buf),
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
		    level_names[level]);
		append_json(buf, sizeof(buf), &off, msg);
		if (off + 2 < sizeof(buf))
			buf[off++] = '"';
		if (fields != NULL && off + strlen(fields) + 3 < sizeof(buf)) {
			memcpy(buf + off, fields, strlen(fields));
			off += strlen(fields);
		}
		if (off + 2 < sizeof(buf))
			buf[off++] = '}';
	} else {
		int n = snprintf(buf, sizeof(buf), "%s %s %s", ts,
		    level_names[level], msg);
		off = n < 0 ? 0 : (size_t)n;
		if (off >= sizeof(buf) - 1)
			off = sizeof(buf) - 2;
	}
	buf[off++] = '\n';
	/* Nothing sensible is left to do if stderr is gone. */
	if (write(STDERR_FILENO, buf, off) < 0)
		return;
}

static void LOG_PRINTF(3, 0)
vlog(enum log_level level, int errnum, const char *fmt, va_list ap)
{
	char msg[LINE_MAX_LEN / 2];
	int n;

	if (level < log_min)
		return;
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	if (errnum != 0 && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - (size_t)n, ": %s",
		    strerror(errnum));
	emit(level, msg, NULL);
}

#define LOG_FN(name, level, with_errno)				\
void								\
name(const char *fmt, ...)					\
{								\
	int saved = errno;					\
	va_list ap;						\
								\
	va_start(ap, fmt);					\
	vlog(level, with_errno ? saved : 0, fmt, ap);		\
	va_end(ap);						\
	errno = saved;						\
}

LOG_FN(log_debug, LOG_DEBUG, false)
LOG_FN(log_info, LOG_INFO, false)
LOG_FN(log_warn, LOG_WARN, true)
LOG_FN(log_warnx, LOG_WARN, false)
LOG_FN(log_error, LOG_ERROR, false)

void
fatal(const char *fmt, ...)
{
	int saved = errno;
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, saved, fmt, ap);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(LOG_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(1);
}

/* Append printf output to buf at *off, never past the end. */
static void LOG_PRINTF(4, 5)
appendf(char *buf, size_t len, size_t *off, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (*off >= len - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(buf + *off, len - *off, fmt, ap);
	va_end(ap);
	if (n > 0)
		*off = *off + (size_t)n >= len ? len - 1 : *off + (size_t)n;
}

void
log_request(const char *method, const char *path, int status, double ms,
    const char *client)
{
	char msg[LINE_MAX_LEN / 2], fields[LINE_MAX_LEN / 2];
	size_t off = 0;

	if (LOG_INFO < log_min)
		return;
	if (!log_json) {
		snprintf(msg, sizeof(msg), "%s %s %d %.3fms %s", method, path,
		    status, ms, client);
		emit(LOG_INFO, msg, NULL);
		return;
	}
	appendf(fields, sizeof(fields), &off, ",\"method\":\"");
	append_json(fields, sizeof(fields), &off, method);
	appendf(fields, sizeof(fields), &off, "\",\"path\":\"");
	append_json(fields, sizeof(fields), &off, path);
	appendf(fields, sizeof(fields), &off,
	    "\",\"status\":%d,\"ms\":%.3f,\"client\":\"", status, ms);
	append_json(fields, sizeof(fields), &off, client);
	appendf(fields, sizeof(fields), &off, "\"");
	emit(LOG_INFO, "request", fields);
}

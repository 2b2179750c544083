/*
 * log: levels, text or JSON lines, one write(2) per line.
 *
 * The level and format are set once at startup, before any thread exists,
 * and only read afterwards, so they need no lock.  A line is formatted into
 * a stack buffer and written with a single write(2) so lines from different
 * threads never interleave.  JSON strings are escaped here rather than with
 * jansson because a log call must not allocate.
 *
 * Every string that reaches a line -- the message, whatever it quotes
 * (libmicrohttpd's own messages carry the raw request line), and each field
 * of a request line -- goes through escape_append, in text and JSON alike:
 * printable ASCII and well-formed UTF-8 pass, backslash becomes \\, CR, LF
 * and tab \r \n \t, and every other byte (controls, DEL, C1 controls,
 * bytes of an ill-formed or overlong sequence, surrogates) \xNN.  JSON then
 * escapes '"' and '\\' of that text, so a JSON line is always valid UTF-8
 * and its decoded "msg" is exactly the text line's message.
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

/*
 * The length of the well-formed UTF-8 sequence at s (Unicode's table 3-7:
 * shortest form, no surrogates, nothing past U+10FFFF), or 0.  C1 controls
 * (U+0080..U+009F) count as ill-formed here: some terminals obey them.
 */
static size_t
utf8_len(const unsigned char *s)
{
	unsigned char c = s[0], lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		if (c == 0xc2)
			lo = 0xa0;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	for (i = 1; i < n; i++) {
		if (s[i] < lo || s[i] > hi)
			return 0;
		lo = 0x80;
		hi = 0xbf;
	}
	return n;
}

/*
 * The escaped form of the character at s into piece (at least 5 bytes):
 * returns the bytes of s consumed and sets *n to the bytes written.
 */
static size_t
escape_unit(const unsigned char *s, char *piece, size_t *n)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char c = s[0];
	size_t k;

	*n = 2;
	piece[0] = '\\';
	switch (c) {
	case '\\':
		piece[1] = '\\';
		return 1;
	case '\n':
		piece[1] = 'n';
		return 1;
	case '\r':
		piece[1] = 'r';
		return 1;
	case '\t':
		piece[1] = 't';
		return 1;
	}
	if (c >= 0x20 && c < 0x7f) {
		piece[0] = (char)c;
		*n = 1;
		return 1;
	}
	if (c >= 0x80 && (k = utf8_len(s)) > 0) {
		memcpy(piece, s, k);
		*n = k;
		return k;
	}
	piece[1] = 'x';
	piece[2] = hex[c >> 4];
	piece[3] = hex[c & 0xf];
	*n = 4;
	return 1;
}

/*
 * Append s, escaped, to buf at *off without passing offset end (< the
 * buffer's size), and NUL-terminate.  Escapes and UTF-8 sequences are
 * never cut: a string too long ends early on a character boundary.  json:
 * also escape '"' and '\\' for the body of a JSON string.
 */
static void
escape_append(char *buf, size_t end, size_t *off, const char *s, bool json)
{
	const unsigned char *p = (const unsigned char *)s;
	char piece[8];
	size_t used, n, need, i;

	while (*p != '\0') {
		used = escape_unit(p, piece, &n);
		need = n;
		if (json)
			for (i = 0; i < n; i++)
				need += piece[i] == '"' || piece[i] == '\\';
		if (*off + need > end)
			break;
		for (i = 0; i < n; i++) {
			if (json && (piece[i] == '"' || piece[i] == '\\'))
				buf[(*off)++] = '\\';
			buf[(*off)++] = piece[i];
		}
		p += used;
	}
	buf[*off] = '\0';
}

size_t
log_escape(char *dst, size_t dstlen, const char *src, bool json)
{
	size_t off = 0;

	if (dstlen == 0)
		return 0;
	escape_append(dst, dstlen - 1, &off, src, json);
	return off;
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

/*
 * Write one line: msg (any bytes) escaped, and in JSON mode the fields
 * (already escaped JSON members built by log_request, or NULL) after it.
 * Nothing reaches stderr without passing escape_append.
 */
static void
emit(enum log_level level, const char *msg, const char *fields)
{
	char buf[LINE_MAX_LEN], ts[32];
	size_t off = 0, flen = fields != NULL ? strlen(fields) : 0;
	int n;

	append_timestamp(ts, sizeof(ts));
	if (log_json) {
		n = snprintf(buf, sizeof(buf),
		    "{\"ts\":\"%s\",\"level\":\"%s\",\"msg\":\"", ts,
		    level_names[level]);
		off = n < 0 ? 0 : (size_t)n;
		/* Room after msg for '"', the fields, '}' and '\n'. */
		escape_append(buf, sizeof(buf) - flen - 4, &off, msg, true);
		buf[off++] = '"';
		memcpy(buf + off, fields != NULL ? fields : "", flen);
		off += flen;
		buf[off++] = '}';
	} else {
		n = snprintf(buf, sizeof(buf), "%s %s ", ts,
		    level_names[level]);
		off = n < 0 ? 0 : (size_t)n;
		escape_append(buf, sizeof(buf) - 2, &off, msg, false);
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
	/*
	 * Each string has a budget, so the members after it always fit and
	 * the object stays whole however long the path is.
	 */
	appendf(fields, sizeof(fields), &off, ",\"method\":\"");
	escape_append(fields, off + 64, &off, method, true);
	appendf(fields, sizeof(fields), &off, "\",\"path\":\"");
	escape_append(fields, sizeof(fields) - 256, &off, path, true);
	appendf(fields, sizeof(fields), &off,
	    "\",\"status\":%d,\"ms\":%.3f,\"client\":\"", status, ms);
	escape_append(fields, off + 160, &off, client, true);
	appendf(fields, sizeof(fields), &off, "\"");
	emit(LOG_INFO, "request", fields);
}

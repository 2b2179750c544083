/*
 * log: levels, text or JSON lines.
 *
 * The level and format are set once at startup, before any thread exists,
 * and only read afterwards, so they need no lock.  A line is formatted into
 * a stack buffer, whole, so lines from different threads never interleave.
 * JSON strings are escaped here rather than with jansson because a log call
 * must not allocate.
 *
 * Until log_buffer_start every line is its own write(2).  After it, the
 * per-request lines (log_request, the daemon's only line per request) go
 * into one buffer under a mutex, written out when it fills, by a flusher
 * thread at most LOG_FLUSH_MS after the first line waiting in it, before
 * any other line (so the order of lines is kept), by log_flush, and at
 * exit (atexit: fatal's exit(1) and main's return alike).  Only a kill -9
 * or a crash can lose lines then: those of the last flush interval.  The
 * timestamp of a line ("2026-11-25T20:01:02Z") is formatted once a second
 * per thread, not by strftime per line, and a request line is put together
 * without printf.
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
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define LINE_MAX_LEN 2048
#define TS_LEN 20			/* 2026-11-25T20:01:02Z */

static enum log_level	log_min = LOG_INFO;
static bool		log_json;

/*
 * The request-line buffer (log_buffer_start).  Every member but
 * buffering is under buf_mu; buffering is set before the daemon's threads
 * start and cleared after they are gone, and read by any thread.
 */
static pthread_mutex_t	buf_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t	buf_cv;
static char		buf_data[LOG_BUFFER_SIZE];
static size_t		buf_len;
static struct timespec	buf_deadline;	/* flush by then (CLOCK_MONOTONIC) */
static int		buf_flush_ms;
static bool		buf_stop, buf_thread_started, buf_atexit;
static pthread_t	buf_thread;
static atomic_bool	buffering;

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

/*
 * The second's timestamp into ts (TS_LEN bytes, no NUL): gmtime_r and the
 * formatting run once a second per thread, a copy otherwise.
 */
static void
timestamp(char *ts)
{
	static _Thread_local time_t cached_sec = -1;
	static _Thread_local char cached[TS_LEN + 1];
	struct timespec now;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &now);
	if (now.tv_sec != cached_sec) {
		gmtime_r(&now.tv_sec, &tm);
		if (strftime(cached, sizeof(cached), "%Y-%m-%dT%H:%M:%SZ",
		    &tm) != TS_LEN)
			memset(cached, '?', TS_LEN);
		cached_sec = now.tv_sec;
	}
	memcpy(ts, cached, TS_LEN);
}

/* write(2) all of p, through EINTR and short writes; false if stderr is gone. */
static bool
write_all(const char *p, size_t n)
{
	ssize_t w;

	while (n > 0) {
		if ((w = write(STDERR_FILENO, p, n)) < 0) {
			if (errno == EINTR)
				continue;
			return false;
		}
		p += w;
		n -= (size_t)w;
	}
	return true;
}

/* Write out the buffer; buf_mu held. */
static void
flush_locked(void)
{
	int saved = errno;

	/* Nothing sensible is left to do if stderr is gone. */
	(void)write_all(buf_data, buf_len);
	buf_len = 0;
	errno = saved;
}

/*
 * Put out one whole line (ending in '\n').  A request line goes to the
 * buffer while buffering; any other line first writes out what is
 * buffered, then itself, so lines keep their order.
 */
static void
put_line(const char *line, size_t n, bool request)
{
	int saved = errno;

	if (!atomic_load_explicit(&buffering, memory_order_acquire)) {
		(void)write_all(line, n);
		errno = saved;
		return;
	}
	pthread_mutex_lock(&buf_mu);
	if (!request || buf_len + n > sizeof(buf_data))
		flush_locked();
	if (!request)
		(void)write_all(line, n);
	else {
		if (buf_len == 0) {
			clock_gettime(CLOCK_MONOTONIC, &buf_deadline);
			buf_deadline.tv_nsec += (long)buf_flush_ms * 1000000L;
			buf_deadline.tv_sec += buf_deadline.tv_nsec / 1000000000L;
			buf_deadline.tv_nsec %= 1000000000L;
			pthread_cond_signal(&buf_cv);
		}
		memcpy(buf_data + buf_len, line, n);
		buf_len += n;
	}
	pthread_mutex_unlock(&buf_mu);
	errno = saved;
}

/* The flusher: sleeps while the buffer is empty, else until its deadline. */
static void *
flusher_main(void *arg)
{
	struct timespec now;

	(void)arg;
	pthread_mutex_lock(&buf_mu);
	while (!buf_stop) {
		if (buf_len == 0) {
			pthread_cond_wait(&buf_cv, &buf_mu);
			continue;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec > buf_deadline.tv_sec ||
		    (now.tv_sec == buf_deadline.tv_sec &&
		    now.tv_nsec >= buf_deadline.tv_nsec))
			flush_locked();
		else
			pthread_cond_timedwait(&buf_cv, &buf_mu, &buf_deadline);
	}
	flush_locked();
	pthread_mutex_unlock(&buf_mu);
	return NULL;
}

void
log_flush(void)
{
	if (!atomic_load_explicit(&buffering, memory_order_acquire))
		return;
	pthread_mutex_lock(&buf_mu);
	flush_locked();
	pthread_mutex_unlock(&buf_mu);
}

int
log_buffer_start(int flush_ms)
{
	pthread_condattr_t ca;

	if (atomic_load(&buffering) || flush_ms <= 0)
		return -1;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&buf_cv, &ca);
	pthread_condattr_destroy(&ca);
	buf_flush_ms = flush_ms;
	buf_stop = false;
	buf_len = 0;
	if (pthread_create(&buf_thread, NULL, flusher_main, NULL) != 0) {
		pthread_cond_destroy(&buf_cv);
		return -1;
	}
	buf_thread_started = true;
	if (!buf_atexit)
		buf_atexit = atexit(log_flush) == 0;
	atomic_store_explicit(&buffering, true, memory_order_release);
	return 0;
}

void
log_buffer_stop(void)
{
	if (!buf_thread_started)
		return;
	pthread_mutex_lock(&buf_mu);
	buf_stop = true;
	pthread_cond_signal(&buf_cv);
	pthread_mutex_unlock(&buf_mu);
	pthread_join(buf_thread, NULL);
	buf_thread_started = false;
	atomic_store_explicit(&buffering, false, memory_order_release);
	pthread_cond_destroy(&buf_cv);
}

/*
 * Write one line: msg (any bytes) escaped, and in JSON mode the fields
 * (already escaped JSON members, or NULL) after it; request: a request
 * line (text mode's; log_request builds its JSON line itself), buffered
 * while buffering.  Nothing reaches stderr without passing escape_append.
 */
static void
emit(enum log_level level, const char *msg, const char *fields, bool request)
{
	char buf[LINE_MAX_LEN], ts[TS_LEN + 1];
	size_t off = 0, flen = fields != NULL ? strlen(fields) : 0;
	int n;

	timestamp(ts);
	ts[TS_LEN] = '\0';
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
	put_line(buf, off, request);
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
	emit(level, msg, NULL, false);
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

/* Append the n bytes of s at *off (the caller has made room). */
static void
put(char *buf, size_t *off, const char *s, size_t n)
{
	memcpy(buf + *off, s, n);
	*off += n;
}
#define PUT_LIT(buf, off, lit) put(buf, off, lit, sizeof(lit) - 1)

/* Append v in decimal. */
static void
put_uint(char *buf, size_t *off, uint64_t v)
{
	char d[20];
	size_t n = 0;

	do
		d[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n > 0)
		buf[(*off)++] = d[--n];
}

/* Append ms as printf's "%.3f" would for a duration (negative: 0.000). */
static void
put_ms(char *buf, size_t *off, double ms)
{
	uint64_t us = ms > 0 && ms < 1e15 ? (uint64_t)(ms * 1e3 + 0.5) : 0;

	put_uint(buf, off, us / 1000);
	buf[(*off)++] = '.';
	buf[(*off)++] = (char)('0' + us / 100 % 10);
	buf[(*off)++] = (char)('0' + us / 10 % 10);
	buf[(*off)++] = (char)('0' + us % 10);
}

void
log_request(const char *method, const char *path, int status, double ms,
    const char *client)
{
	char line[LINE_MAX_LEN], msg[LINE_MAX_LEN / 2];
	size_t off = 0;

	if (LOG_INFO < log_min)
		return;
	if (!log_json) {
		snprintf(msg, sizeof(msg), "%s %s %d %.3fms%s%s", method, path,
		    status, ms, client != NULL ? " " : "",
		    client != NULL ? client : "");
		emit(LOG_INFO, msg, NULL, true);
		return;
	}
	/*
	 * One pass into the line, no printf.  Each string has a budget (the
	 * same as when the fields were printed apart: method 64 bytes
	 * escaped, the members through path 768, client 160), so the members
	 * after it always fit and the object stays whole however long the
	 * path is.
	 */
	PUT_LIT(line, &off, "{\"ts\":\"");
	timestamp(line + off);
	off += TS_LEN;
	PUT_LIT(line, &off, "\",\"level\":\"info\",\"msg\":\"request\"");
	{
		size_t base = off;

		PUT_LIT(line, &off, ",\"method\":\"");
		escape_append(line, off + 64, &off, method, true);
		PUT_LIT(line, &off, "\",\"path\":\"");
		escape_append(line, base + LINE_MAX_LEN / 2 - 256, &off, path,
		    true);
		PUT_LIT(line, &off, "\",\"status\":");
		put_uint(line, &off, status < 0 ? 0 : (uint64_t)status);
		PUT_LIT(line, &off, ",\"ms\":");
		put_ms(line, &off, ms);
		if (client != NULL) {
			PUT_LIT(line, &off, ",\"client\":\"");
			escape_append(line, off + 160, &off, client, true);
			PUT_LIT(line, &off, "\"");
		}
	}
	PUT_LIT(line, &off, "}\n");
	put_line(line, off, true);
}

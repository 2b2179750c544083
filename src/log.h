/*
 * log: the daemon's only way to say something.
 *
 * Levels debug < info < warn < error; lines below the configured level are
 * dropped before they are formatted.  On a terminal a line is readable text
 * ("2026-11-25T20:01:02Z info stopped"); otherwise, or when configured, it
 * is one JSON object per line for journald, CloudWatch and friends.  A
 * line longer than about 2 KiB is cut.  Every logging function is
 * printf-checked by the compiler and safe to call from any thread once
 * log_init has run; lines never interleave.  Per-request lines may be
 * buffered (log_buffer_start); every other line is written at once.  Every byte of a message or a
 * field is escaped (log_escape's rule), so no input can forge a line,
 * move a terminal's cursor or make a JSON line invalid.  Nothing here ever
 * receives a secret: callers log a key's source, never the key.
 */
#ifndef VISITSD_LOG_H
#define VISITSD_LOG_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_DEBUG, LOG_INFO, LOG_WARN, LOG_ERROR };
enum log_format { LOG_FORMAT_AUTO, LOG_FORMAT_TEXT, LOG_FORMAT_JSON };

#define LOG_PRINTF(a, b) __attribute__((format(printf, a, b)))

/* Parse "debug"/"info"/"warn"/"error" and "auto"/"text"/"json"; -1 if unknown. */
int	log_level_parse(const char *);
int	log_format_parse(const char *);

/*
 * Set level and format; AUTO picks text when stderr is a terminal.  Call
 * once, before any thread exists (until then: info level, text).
 */
void	log_init(enum log_level, enum log_format);

void	log_debug(const char *, ...) LOG_PRINTF(1, 2);
void	log_info(const char *, ...) LOG_PRINTF(1, 2);
/* log_warn appends ": strerror(errno)"; log_warnx does not. */
void	log_warn(const char *, ...) LOG_PRINTF(1, 2);
void	log_warnx(const char *, ...) LOG_PRINTF(1, 2);
void	log_error(const char *, ...) LOG_PRINTF(1, 2);
/*
 * Log at error level and exit(1); fatal appends ": strerror(errno)" as
 * log_warn does.  Startup only: once serving, trouble is logged and the
 * daemon goes on (an allocation failure aborts through util.h's x*).
 */
void	fatal(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));
void	fatalx(const char *, ...) LOG_PRINTF(1, 2) __attribute__((noreturn));

/*
 * One line per HTTP request, at info level, with structured fields in JSON
 * mode: method, path, status, duration in milliseconds, and the client
 * address unless client is NULL (then the line has no client field).
 * All strings are borrowed.
 */
void	log_request(const char *method, const char *path, int status,
	    double ms, const char *client);

/*
 * Buffer the per-request lines (log_request) from now on: they are written
 * when LOG_BUFFER_SIZE bytes have gathered, at most flush_ms after the
 * first of them, before any other line (which is written at once, so the
 * order stays), by log_flush, and at exit (an atexit handler: exit(1) from
 * fatal and a return from main flush too).  A kill -9 or a crash loses at
 * most the last flush_ms of request lines.  Starts a flusher thread: call
 * it after the signal mask is set, before the threads that log requests.
 * Returns 0, or -1 (already buffering, flush_ms <= 0, no thread).
 */
#define LOG_BUFFER_SIZE	(64 * 1024)
#define LOG_FLUSH_MS	100
int	log_buffer_start(int flush_ms);
/* Write out the buffered lines now; nothing to do when not buffering. */
void	log_flush(void);
/*
 * Flush, stop the flusher thread and write every line at once again.
 * Call it after the threads that log requests are gone.
 */
void	log_buffer_stop(void);

/*
 * The escaping every logged string goes through: printable ASCII and
 * well-formed UTF-8 unchanged; a backslash as \\; CR, LF, tab as \r \n \t;
 * every other control byte, DEL, a C1 control (U+0080..U+009F) and each
 * byte of an ill-formed sequence (overlong, surrogate, past U+10FFFF,
 * truncated) as \xNN (lowercase hex).  json: then '"' and backslash are
 * escaped again for the body of a JSON string.  Writes at most dstlen - 1
 * bytes and a NUL into dst, never cutting an escape or a character; returns
 * the length written.  Pure; src is borrowed.
 */
size_t	log_escape(char *dst, size_t dstlen, const char *src, bool json);

#endif

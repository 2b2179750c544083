/*
 * check_log: the one escaping rule every logged byte goes through
 * (log_escape), and whole lines in text and JSON with hostile messages and
 * request fields: stderr is redirected to a temporary file for those, and
 * the timestamp is cut off before comparing.  Then the request-line
 * buffer: lines wait for a flush, a line of any other kind writes them out
 * first (order kept), the flusher writes them within its interval, and
 * exit(0) and fatalx's exit(1) in a forked child leave the last line in
 * the file.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

Suite	*suite_log(void);

static void
expect(const char *in, const char *text, const char *json)
{
	char out[256];

	log_escape(out, sizeof(out), in, false);
	ck_assert_str_eq(out, text);
	log_escape(out, sizeof(out), in, true);
	ck_assert_str_eq(out, json);
}

START_TEST(printable_ascii_and_utf8_pass_unchanged)
{
	expect("GET /api/visits/home 200", "GET /api/visits/home 200",
	    "GET /api/visits/home 200");
	/* é, €, U+10FFFF, U+00A0: the first two-byte code point after C1. */
	expect("caf\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf \xc2\xa0",
	    "caf\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf \xc2\xa0",
	    "caf\xc3\xa9 \xe2\x82\xac \xf4\x8f\xbf\xbf \xc2\xa0");
}
END_TEST

START_TEST(line_breaks_esc_and_control_bytes_are_escaped)
{
	expect("a\r\nb", "a\\r\\nb", "a\\\\r\\\\nb");
	expect("\x1b[2J\x1b]0;x\x07", "\\x1b[2J\\x1b]0;x\\x07",
	    "\\\\x1b[2J\\\\x1b]0;x\\\\x07");
	expect("\x01\x08\x0b\x0c\x1f\x7f\t", "\\x01\\x08\\x0b\\x0c\\x1f\\x7f\\t",
	    "\\\\x01\\\\x08\\\\x0b\\\\x0c\\\\x1f\\\\x7f\\\\t");
}
END_TEST

START_TEST(backslash_and_quote_cannot_fake_an_escape)
{
	/* A literal "\x1b" in the input stays distinguishable from ESC. */
	expect("\\x1b", "\\\\x1b", "\\\\\\\\x1b");
	expect("say \"hi\"", "say \"hi\"", "say \\\"hi\\\"");
	expect("\"}\n{\"level\":\"error\"", "\"}\\n{\"level\":\"error\"",
	    "\\\"}\\\\n{\\\"level\\\":\\\"error\\\"");
}
END_TEST

START_TEST(ill_formed_utf8_is_escaped_byte_by_byte)
{
	/* Lone continuation, lead without continuation, truncated. */
	expect("\x80", "\\x80", "\\\\x80");
	expect("\xc3(", "\\xc3(", "\\\\xc3(");
	expect("\xe2\x82", "\\xe2\\x82", "\\\\xe2\\\\x82");
	expect("\xff\xfe", "\\xff\\xfe", "\\\\xff\\\\xfe");
	/* Overlong forms of '/' and NUL. */
	expect("\xc0\xaf", "\\xc0\\xaf", "\\\\xc0\\\\xaf");
	expect("\xe0\x80\xaf", "\\xe0\\x80\\xaf", "\\\\xe0\\\\x80\\\\xaf");
	expect("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf",
	    "\\\\xf0\\\\x80\\\\x80\\\\xaf");
	expect("\xc1\xbf", "\\xc1\\xbf", "\\\\xc1\\\\xbf");
	/* Surrogates U+D800 and U+DFFF; past U+10FFFF; F5 lead. */
	expect("\xed\xa0\x80", "\\xed\\xa0\\x80", "\\\\xed\\\\xa0\\\\x80");
	expect("\xed\xbf\xbf", "\\xed\\xbf\\xbf", "\\\\xed\\\\xbf\\\\xbf");
	expect("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80",
	    "\\\\xf4\\\\x90\\\\x80\\\\x80");
	expect("\xf5\x80\x80\x80", "\\xf5\\x80\\x80\\x80",
	    "\\\\xf5\\\\x80\\\\x80\\\\x80");
	/* Just below the surrogates is fine: U+D7FF. */
	expect("\xed\x9f\xbf", "\xed\x9f\xbf", "\xed\x9f\xbf");
}
END_TEST

START_TEST(c1_controls_are_escaped)
{
	/* U+009B is CSI for a terminal that obeys 8-bit controls. */
	expect("\xc2\x9b" "2J", "\\xc2\\x9b2J", "\\\\xc2\\\\x9b2J");
	expect("\xc2\x80", "\\xc2\\x80", "\\\\xc2\\\\x80");
}
END_TEST

START_TEST(a_full_buffer_ends_on_a_character_boundary)
{
	char out[8];

	/* "ab" + "\x1b" (4) fit in 7; the next escape does not. */
	ck_assert_uint_eq(log_escape(out, sizeof(out), "ab\x1b\x1b", false),
	    6);
	ck_assert_str_eq(out, "ab\\x1b");
	/* A three-byte character is not cut either. */
	ck_assert_uint_eq(log_escape(out, 6, "abc\xe2\x82\xac", false), 3);
	ck_assert_str_eq(out, "abc");
	ck_assert_uint_eq(log_escape(out, 1, "abc", false), 0);
	ck_assert_str_eq(out, "");
}
END_TEST

/* --- whole lines ---------------------------------------------------- */

static int saved_stderr = -1;
static char captured[8192];

static void
capture_start(enum log_format format)
{
	FILE *fp = tmpfile();

	ck_assert_ptr_nonnull(fp);
	saved_stderr = dup(STDERR_FILENO);
	ck_assert_int_ge(saved_stderr, 0);
	ck_assert_int_ge(dup2(fileno(fp), STDERR_FILENO), 0);
	fclose(fp);
	log_init(LOG_DEBUG, format);
}

/* The captured output, each line's timestamp (up to the first space) cut. */
static const char *
capture_end(void)
{
	char raw[sizeof(captured)];
	ssize_t n;
	size_t i, o = 0;
	bool skip = true;

	n = pread(STDERR_FILENO, raw, sizeof(raw) - 1, 0);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	log_init(LOG_INFO, LOG_FORMAT_TEXT);
	ck_assert_int_ge(n, 0);
	for (i = 0; i < (size_t)n; i++) {
		if (skip && raw[i] == (raw[0] == '{' ? ',' : ' ')) {
			skip = false;
			continue;
		}
		if (!skip)
			captured[o++] = raw[i];
		if (raw[i] == '\n')
			skip = true;
	}
	captured[o] = '\0';
	return captured;
}

START_TEST(text_lines_escape_messages_and_request_fields)
{
	capture_start(LOG_FORMAT_TEXT);
	log_warnx("libmicrohttpd: %s", "GET /\r\n2026-01-01T00:00:00Z error "
	    "forged\x1b[2K \x80");
	log_request("G\x1b" "T", "/api/visits/\xc3\xa9\xed\xa0\x80", 200, 1.5,
	    "127.0.0.1:1");
	ck_assert_str_eq(capture_end(),
	    "warn libmicrohttpd: GET /\\r\\n2026-01-01T00:00:00Z error "
	    "forged\\x1b[2K \\x80\n"
	    "info G\\x1bT /api/visits/\xc3\xa9\\xed\\xa0\\x80 200 1.500ms "
	    "127.0.0.1:1\n");
}
END_TEST

START_TEST(json_lines_stay_one_valid_object)
{
	capture_start(LOG_FORMAT_JSON);
	log_warnx("bad \"%s\"", "\r\n\x1b\x80\xc0\xaf");
	log_request("GET", "/\"},{\"x\":\"\xff", 404, 0.25, "::1");
	ck_assert_str_eq(capture_end(),
	    "\"level\":\"warn\",\"msg\":\"bad \\\"\\\\r\\\\n\\\\x1b\\\\x80"
	    "\\\\xc0\\\\xaf\\\"\"}\n"
	    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"GET\","
	    "\"path\":\"/\\\"},{\\\"x\\\":\\\"\\\\xff\",\"status\":404,"
	    "\"ms\":0.250,\"client\":\"::1\"}\n");
}
END_TEST

START_TEST(a_request_line_without_a_client_has_no_client_field)
{
	capture_start(LOG_FORMAT_TEXT);
	log_request("POST", "/api/visits/a", 200, 1.5, NULL);
	ck_assert_str_eq(capture_end(), "info POST /api/visits/a 200 1.500ms\n");
	capture_start(LOG_FORMAT_JSON);
	log_request("POST", "/api/visits/a", 200, 1.5, NULL);
	ck_assert_str_eq(capture_end(),
	    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"POST\","
	    "\"path\":\"/api/visits/a\",\"status\":200,\"ms\":1.500}\n");
}
END_TEST

START_TEST(a_long_hostile_path_keeps_the_json_object_whole)
{
	char path[1000];
	const char *out;

	memset(path, '\x1b', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	capture_start(LOG_FORMAT_JSON);
	log_request("GET", path, 400, 1, "127.0.0.1:2");
	out = capture_end();
	ck_assert_ptr_nonnull(strstr(out, "\",\"status\":400,\"ms\":1.000,"
	    "\"client\":\"127.0.0.1:2\"}\n"));
	ck_assert_ptr_null(strchr(out, '\x1b'));
}
END_TEST

/* What stderr's file holds now, without ending the capture. */
static size_t
captured_bytes(void)
{
	off_t end = lseek(STDERR_FILENO, 0, SEEK_END);

	return end < 0 ? 0 : (size_t)end;
}

START_TEST(buffered_lines_keep_their_order_and_wait_for_a_flush)
{
	capture_start(LOG_FORMAT_JSON);
	ck_assert_int_eq(log_buffer_start(60 * 1000), 0);
	ck_assert_int_eq(log_buffer_start(60 * 1000), -1);
	log_request("POST", "/api/visits/a", 200, 0.0004, "127.0.0.1:1");
	log_request("GET", "/api/visits/b", 404, 12345.6789, "127.0.0.1:2");
	/* A minute's interval: nothing written yet. */
	ck_assert_uint_eq(captured_bytes(), 0);
	log_warnx("after the requests");
	log_request("GET", "/c", 200, 1, "::1");
	log_flush();
	log_request("GET", "/d", 200, 1, "::1");
	log_buffer_stop();
	ck_assert_str_eq(capture_end(),
	    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"POST\","
	    "\"path\":\"/api/visits/a\",\"status\":200,\"ms\":0.000,"
	    "\"client\":\"127.0.0.1:1\"}\n"
	    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"GET\","
	    "\"path\":\"/api/visits/b\",\"status\":404,\"ms\":12345.679,"
	    "\"client\":\"127.0.0.1:2\"}\n"
	    "\"level\":\"warn\",\"msg\":\"after the requests\"}\n"
	    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"GET\","
	    "\"path\":\"/c\",\"status\":200,\"ms\":1.000,\"client\":\"::1\"}\n"
	    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"GET\","
	    "\"path\":\"/d\",\"status\":200,\"ms\":1.000,\"client\":\"::1\"}\n");
}
END_TEST

START_TEST(the_flusher_writes_within_its_interval)
{
	struct timespec pause = { 0, 10 * 1000 * 1000 };
	int i;

	capture_start(LOG_FORMAT_JSON);
	ck_assert_int_eq(log_buffer_start(20), 0);
	log_request("GET", "/late", 200, 1, "::1");
	for (i = 0; i < 500 && captured_bytes() == 0; i++)
		nanosleep(&pause, NULL);
	ck_assert_uint_gt(captured_bytes(), 0);
	log_buffer_stop();
	ck_assert_ptr_nonnull(strstr(capture_end(), "\"path\":\"/late\""));
}
END_TEST

START_TEST(a_full_buffer_is_written_whole_lines_only)
{
	char path[200], *all;
	size_t n, i, lines = 0;
	int k;

	capture_start(LOG_FORMAT_JSON);
	ck_assert_int_eq(log_buffer_start(60 * 1000), 0);
	memset(path, 'p', sizeof(path) - 1);
	path[sizeof(path) - 1] = '\0';
	/* Some 300 bytes a line: past LOG_BUFFER_SIZE after about 220. */
	for (k = 0; k < 250; k++)
		log_request("GET", path, 200, k, "127.0.0.1:1");
	n = captured_bytes();
	ck_assert_uint_gt(n, 0);
	ck_assert_uint_le(n, LOG_BUFFER_SIZE);
	ck_assert_ptr_nonnull(all = malloc(n));
	ck_assert_int_eq(pread(STDERR_FILENO, all, n, 0), (ssize_t)n);
	ck_assert_int_eq(all[n - 1], '\n');
	log_buffer_stop();
	n = captured_bytes();
	ck_assert_ptr_nonnull(all = realloc(all, n));
	ck_assert_int_eq(pread(STDERR_FILENO, all, n, 0), (ssize_t)n);
	for (i = 0; i < n; i++)
		lines += all[i] == '\n';
	free(all);
	capture_end();
	ck_assert_uint_eq(lines, 250);
}
END_TEST

/* A child that buffers a request line and then ends as how says. */
static void
exit_with_a_buffered_line(int how)
{
	int status;
	pid_t pid;

	capture_start(LOG_FORMAT_JSON);
	if ((pid = fork()) == 0) {
		if (log_buffer_start(60 * 1000) != 0)
			_exit(3);
		log_request("POST", "/last", 200, 1, "::1");
		if (how == 1)
			fatalx("the end");
		exit(0);
	}
	ck_assert_int_gt(pid, 0);
	ck_assert_int_eq(waitpid(pid, &status, 0), pid);
	ck_assert(WIFEXITED(status));
	ck_assert_int_eq(WEXITSTATUS(status), how);
	if (how == 1)
		ck_assert_str_eq(capture_end(),
		    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"POST\","
		    "\"path\":\"/last\",\"status\":200,\"ms\":1.000,"
		    "\"client\":\"::1\"}\n"
		    "\"level\":\"error\",\"msg\":\"the end\"}\n");
	else
		ck_assert_str_eq(capture_end(),
		    "\"level\":\"info\",\"msg\":\"request\",\"method\":\"POST\","
		    "\"path\":\"/last\",\"status\":200,\"ms\":1.000,"
		    "\"client\":\"::1\"}\n");
}

START_TEST(exit_writes_the_last_buffered_line)
{
	exit_with_a_buffered_line(0);
}
END_TEST

START_TEST(fatal_writes_the_buffered_lines_before_its_own)
{
	exit_with_a_buffered_line(1);
}
END_TEST

Suite *suite_log(void)
{
	Suite *s = suite_create("log");
	TCase *tc = tcase_create("escape");

	tcase_add_test(tc, printable_ascii_and_utf8_pass_unchanged);
	tcase_add_test(tc, line_breaks_esc_and_control_bytes_are_escaped);
	tcase_add_test(tc, backslash_and_quote_cannot_fake_an_escape);
	tcase_add_test(tc, ill_formed_utf8_is_escaped_byte_by_byte);
	tcase_add_test(tc, c1_controls_are_escaped);
	tcase_add_test(tc, a_full_buffer_ends_on_a_character_boundary);
	suite_add_tcase(s, tc);
	tc = tcase_create("lines");
	tcase_add_test(tc, text_lines_escape_messages_and_request_fields);
	tcase_add_test(tc, json_lines_stay_one_valid_object);
	tcase_add_test(tc, a_request_line_without_a_client_has_no_client_field);
	tcase_add_test(tc, a_long_hostile_path_keeps_the_json_object_whole);
	suite_add_tcase(s, tc);
	tc = tcase_create("buffer");
	tcase_add_test(tc, buffered_lines_keep_their_order_and_wait_for_a_flush);
	tcase_add_test(tc, the_flusher_writes_within_its_interval);
	tcase_add_test(tc, a_full_buffer_is_written_whole_lines_only);
	tcase_add_test(tc, exit_writes_the_last_buffered_line);
	tcase_add_test(tc, fatal_writes_the_buffered_lines_before_its_own);
	suite_add_tcase(s, tc);
	return s;
}

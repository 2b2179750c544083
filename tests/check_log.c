/*
 * check_log: the one escaping rule every logged byte goes through
 * (log_escape), and whole lines in text and JSON with hostile messages and
 * request fields: stderr is redirected to a temporary file for those, and
 * the timestamp is cut off before comparing.
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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
	tcase_add_test(tc, a_long_hostile_path_keeps_the_json_object_whole);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_badge: the SVG badge and the shields.io body -- widths measured
 * against the Verdana table, a hostile label escaped, counts formatted,
 * labels and colours checked.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "badge.h"
#include "badge_verdana.h"

Suite	*suite_badge(void);

/* --- the table ------------------------------------------------------ */

START_TEST(table_is_sorted_and_has_ascii)
{
	ck_assert_uint_gt(badge_verdana_count, 1000);
	for (size_t i = 0; i < badge_verdana_count; i++) {
		ck_assert_uint_le(badge_verdana[i].first, badge_verdana[i].last);
		if (i > 0)
			ck_assert_uint_lt(badge_verdana[i - 1].last,
			    badge_verdana[i].first);
	}
	/* anafanafo's Verdana 11px: ' ' 3.87, '0'-'9' 6.99, 'm' 10.70. */
	ck_assert_uint_eq(badge_text_width(" "), 387);
	ck_assert_uint_eq(badge_text_width("0"), 699);
	ck_assert_uint_eq(badge_text_width("m"), 1070);
	ck_assert_uint_eq(badge_text_width("1,234"), 4 * 699 + 400);
	ck_assert_uint_eq(badge_text_width(""), 0);
	/* Control characters are nothing; U+10FFFD is not in the table. */
	ck_assert_uint_eq(badge_text_width("\t"), 0);
	ck_assert_uint_eq(badge_text_width("\xf4\x8f\xbf\xbd"), 1070);
}
END_TEST

/* --- widths --------------------------------------------------------- */

/* The value of attribute name in the n-th element that has it. */
static long
attr(const char *svg, const char *name, int n)
{
	char key[64];
	const char *p = svg;

	snprintf(key, sizeof(key), " %s=\"", name);
	for (int i = 0; i <= n; i++) {
		if ((p = strstr(p, key)) == NULL)
			return -1;
		p += strlen(key);
	}
	return strtol(p, NULL, 10);
}

static void
check_layout(const char *label, uint64_t count)
{
	char message[BADGE_COUNT_MAX];
	unsigned long lw, mw;
	unsigned lbox, mbox;
	char *svg;

	badge_format_count(count, message);
	lw = badge_text_width(label);
	mw = badge_text_width(message);
	lbox = badge_text_box(label);
	mbox = badge_text_box(message);
	/* The box is at least the sum of the advances, odd, not much more. */
	ck_assert_uint_ge(lbox * 100UL, lw);
	ck_assert_uint_ge(mbox * 100UL, mw);
	ck_assert_uint_eq(lbox % 2, 1);
	ck_assert_uint_eq(mbox % 2, 1);
	ck_assert_uint_lt(lbox * 100UL, lw + 200);
	ck_assert_uint_lt(mbox * 100UL, mw + 200);

	svg = badge_svg(label, "blue", count);
	/* The whole badge holds both boxes and their padding. */
	ck_assert_int_eq(attr(svg, "width", 0), (long)(lbox + mbox + 20));
	/* Left part: the label box and 5 px either side. */
	ck_assert_int_eq(attr(svg, "width", 2), (long)(lbox + 10));
	/* Texts pinned to their boxes (tenths of a pixel)... */
	ck_assert_int_eq(attr(svg, "textLength", 0), (long)lbox * 10);
	ck_assert_int_eq(attr(svg, "textLength", 2), (long)mbox * 10);
	/* ...and centred in them: no text reaches past its part. */
	ck_assert_int_eq(attr(svg, "x", 1) * 2, (long)(2 * 60 + 10 * lbox));
	ck_assert_int_le((attr(svg, "x", 1) + 5 * (long)lbox) / 10,
	    (long)(lbox + 10));
	ck_assert_int_le((attr(svg, "x", 3) + 5 * (long)mbox) / 10,
	    (long)(lbox + mbox + 20));
	ck_assert_int_ge((attr(svg, "x", 3) - 5 * (long)mbox) / 10,
	    (long)(lbox + 10));
	free(svg);
}

START_TEST(text_never_overflows_its_box)
{
	static const char *const labels[] = {
		"visits", "v", "W", "iiiiiiii", "WWWWWWWWWWWWWWWW",
		"page views of my blog", "café", "訪問者", "emoji \xf0\x9f\x98\x80",
		"<script>alert(1)</script>",
	};
	static const uint64_t counts[] = {
		0, 1, 9, 10, 999, 1000, 1234, 999999, 1000000, 123456789,
		UINT64_MAX,
	};

	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++)
		for (size_t j = 0; j < sizeof(counts) / sizeof(counts[0]); j++)
			check_layout(labels[i], counts[j]);
}
END_TEST

START_TEST(shields_flat_sizes)
{
	/*
	 * anafanafo: "visits" 28.34 px, badge-maker's box 29 like ours;
	 * "1,234" 31.96 px, where badge-maker truncates to a 31 px box (the
	 * text squeezed by textLength) and we round up to 33.
	 */
	ck_assert_uint_eq(badge_text_width("visits"), 2834);
	ck_assert_uint_eq(badge_text_box("visits"), 29);
	ck_assert_uint_eq(badge_text_width("1,234"), 3196);
	ck_assert_uint_eq(badge_text_box("1,234"), 33);
	ck_assert_uint_eq(badge_text_box("1"), 7);
}
END_TEST

/* --- escaping, title ------------------------------------------------ */

START_TEST(hostile_label_is_escaped)
{
	char label[BADGE_LABEL_MAX + 1];
	const char *why;
	char *svg;

	ck_assert_int_eq(badge_label_parse("<script>\"x\" & 'y'</script>",
	    label, &why), 0);
	svg = badge_svg(label, "red", 1234);
	ck_assert_ptr_null(strstr(svg, "<script"));
	ck_assert_ptr_null(strstr(svg, "\"x\""));
	ck_assert_ptr_null(strstr(svg, "'y'"));
	ck_assert_ptr_nonnull(strstr(svg, "&lt;script&gt;&quot;x&quot; "
	    "&amp; &apos;y&apos;&lt;/script&gt;"));
	ck_assert_ptr_nonnull(strstr(svg, "<title>&lt;script&gt;&quot;x"
	    "&quot; &amp; &apos;y&apos;&lt;/script&gt;: 1,234</title>"));
	ck_assert_ptr_nonnull(strstr(svg, "aria-label=\"&lt;script&gt;"));
	ck_assert_ptr_nonnull(strstr(svg, "role=\"img\""));
	/* Every & starts a character reference. */
	for (const char *p = svg; (p = strchr(p, '&')) != NULL; p++)
		ck_assert(strncmp(p, "&amp;", 5) == 0 ||
		    strncmp(p, "&lt;", 4) == 0 || strncmp(p, "&gt;", 4) == 0 ||
		    strncmp(p, "&quot;", 6) == 0 ||
		    strncmp(p, "&apos;", 6) == 0);
	free(svg);
}
END_TEST

START_TEST(title_and_colors)
{
	char *svg = badge_svg("visits", "blue", 1234);

	ck_assert_ptr_nonnull(strstr(svg, "<title>visits: 1,234</title>"));
	ck_assert_ptr_nonnull(strstr(svg, "aria-label=\"visits: 1,234\""));
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"#007ec6\""));
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"#555\""));
	ck_assert_int_eq(strncmp(svg, "<svg xmlns=\"http://www.w3.org/2000/"
	    "svg\" ", 40), 0);
	ck_assert_str_eq(svg + strlen(svg) - 6, "</svg>");
	free(svg);
	/* A light colour gets dark text, as shields does. */
	svg = badge_svg("visits", "fff", 1);
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"#fff\"/><rect width"));
	ck_assert_ptr_nonnull(strstr(svg, "fill=\"#333\""));
	free(svg);
}
END_TEST

/* --- counts --------------------------------------------------------- */

START_TEST(counts_have_thousands_separators)
{
	static const struct {
		uint64_t	 n;
		const char	*s;
	} cases[] = {
		{ 0, "0" }, { 7, "7" }, { 999, "999" }, { 1000, "1,000" },
		{ 1234, "1,234" }, { 12345, "12,345" }, { 123456, "123,456" },
		{ 1234567, "1,234,567" },
		{ UINT64_MAX, "18,446,744,073,709,551,615" },
	};
	char out[BADGE_COUNT_MAX];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		badge_format_count(cases[i].n, out);
		ck_assert_str_eq(out, cases[i].s);
	}
}
END_TEST

/* --- labels and colours --------------------------------------------- */

START_TEST(labels_are_checked)
{
	char out[BADGE_LABEL_MAX + 1], long_[4 * 64 + 1];
	const char *why;

	ck_assert_int_eq(badge_label_parse(NULL, out, &why), 0);
	ck_assert_str_eq(out, "visits");
	ck_assert_int_eq(badge_label_parse("page views", out, &why), 0);
	ck_assert_str_eq(out, "page views");
	ck_assert_int_eq(badge_label_parse("訪問者", out, &why), 0);
	ck_assert_int_eq(badge_label_parse("", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("a\nb", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("a\x7f", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("\xc2\x85", out, &why), -1);
	/* U+FFFE and U+FFFF: UTF-8, but no XML 1.0 character. */
	ck_assert_int_eq(badge_label_parse("a\xef\xbf\xbe", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("\xef\xbf\xbf", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("\xef\xbf\xbd", out, &why), 0);
	/* Not UTF-8: a lone continuation, overlong, a surrogate, a cut. */
	ck_assert_int_eq(badge_label_parse("\x80", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("\xc0\xaf", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("\xed\xa0\x80", out, &why), -1);
	ck_assert_int_eq(badge_label_parse("\xe8\xa8", out, &why), -1);
	ck_assert_ptr_nonnull(strstr(why, "UTF-8"));
	/* 64 code points, even 4 bytes each, fit; 65 do not. */
	memset(long_, 'a', 64);
	long_[64] = '\0';
	ck_assert_int_eq(badge_label_parse(long_, out, &why), 0);
	long_[64] = 'a';
	long_[65] = '\0';
	ck_assert_int_eq(badge_label_parse(long_, out, &why), -1);
	for (int i = 0; i < 64; i++)
		memcpy(long_ + 4 * i, "\xf0\x9f\x98\x80", 4);
	long_[4 * 64] = '\0';
	ck_assert_int_eq(badge_label_parse(long_, out, &why), 0);
	ck_assert_uint_eq(strlen(out), 256);
}
END_TEST

START_TEST(colors_are_checked)
{
	char out[BADGE_COLOR_MAX + 1];
	const char *why;

	ck_assert_int_eq(badge_color_parse(NULL, out, &why), 0);
	ck_assert_str_eq(out, "blue");
	ck_assert_int_eq(badge_color_parse("brightgreen", out, &why), 0);
	ck_assert_int_eq(badge_color_parse("informational", out, &why), 0);
	ck_assert_str_eq(out, "informational");
	ck_assert_int_eq(badge_color_parse("ABC", out, &why), 0);
	ck_assert_str_eq(out, "abc");
	ck_assert_int_eq(badge_color_parse("#00FF7f", out, &why), 0);
	ck_assert_str_eq(out, "00ff7f");
	ck_assert_int_eq(badge_color_parse("", out, &why), -1);
	ck_assert_int_eq(badge_color_parse("#", out, &why), -1);
	ck_assert_int_eq(badge_color_parse("abcd", out, &why), -1);
	ck_assert_int_eq(badge_color_parse("ggg", out, &why), -1);
	ck_assert_int_eq(badge_color_parse("Blue", out, &why), -1);
	ck_assert_int_eq(badge_color_parse("red\"/><script>", out, &why), -1);
	ck_assert_int_eq(badge_color_parse("rgb(1,2,3)", out, &why), -1);
}
END_TEST

/* --- shields.io ----------------------------------------------------- */

START_TEST(shields_json_is_exact)
{
	char *s = badge_shields_json("visits", "blue", 1234);

	ck_assert_str_eq(s, "{\"schemaVersion\":1,\"label\":\"visits\","
	    "\"message\":\"1,234\",\"color\":\"blue\"}");
	free(s);
	s = badge_shields_json("a \"b\"", "00ff7f", 0);
	ck_assert_str_eq(s, "{\"schemaVersion\":1,\"label\":\"a \\\"b\\\"\","
	    "\"message\":\"0\",\"color\":\"00ff7f\"}");
	free(s);
}
END_TEST

Suite *suite_badge(void)
{
	Suite *s = suite_create("badge");
	TCase *tc = tcase_create("badge");

	tcase_add_test(tc, table_is_sorted_and_has_ascii);
	tcase_add_test(tc, text_never_overflows_its_box);
	tcase_add_test(tc, shields_flat_sizes);
	tcase_add_test(tc, hostile_label_is_escaped);
	tcase_add_test(tc, title_and_colors);
	tcase_add_test(tc, counts_have_thousands_separators);
	tcase_add_test(tc, labels_are_checked);
	tcase_add_test(tc, colors_are_checked);
	tcase_add_test(tc, shields_json_is_exact);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * badge: SVG badges in shields.io's flat look, and the shields.io
 * endpoint body.
 *
 * The layout is badge-maker's Flat badge without a logo (shields.io,
 * badges/shields, CC0): each text sits in a box as wide as its Verdana
 * 11 px advance width rounded up to an odd pixel count, with 5 px of
 * padding either side; the text is drawn at ten times the size inside a
 * scale(.1) so positions stay integers, and textLength pins it to its box
 * whatever font the viewer substitutes.  The label part is #555, the count
 * part the chosen colour; text on a light colour is dark, as shields
 * does (its brightness rule, threshold 0.69).
 *
 * Everything the request brings (the label) is XML-escaped where it is
 * written; the count and the colour are our own spellings.  The width
 * table is badge_verdana.c (generated).
 *
 * Not here: query strings, headers, the store (http_badge.c, api.c).
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "badge.h"
#include "badge_verdana.h"
#include "util.h"

#define PAD		5	/* px either side of a text */
#define HEIGHT		20
#define LABEL_BG	"#555"

/* shields.io's named colours and their aliases (badge-maker color.js). */
static const struct {
	const char	*name;
	const char	*hex;
} colors[] = {
	{ "brightgreen", "4c1" },
	{ "green", "97ca00" },
	{ "yellow", "dfb317" },
	{ "yellowgreen", "a4a61d" },
	{ "orange", "fe7d37" },
	{ "red", "e05d44" },
	{ "blue", "007ec6" },
	{ "grey", "555" },
	{ "lightgrey", "9f9f9f" },
	{ "gray", "555" },
	{ "lightgray", "9f9f9f" },
	{ "critical", "e05d44" },
	{ "important", "fe7d37" },
	{ "success", "4c1" },
	{ "informational", "007ec6" },
	{ "inactive", "9f9f9f" },
};

/*
 * Decode one UTF-8 sequence at s: the code point, and *len its length;
 * -1 for an invalid, overlong or surrogate sequence or one past U+10FFFF.
 */
static long
utf8_next(const unsigned char *s, size_t *len)
{
	unsigned long cp;
	size_t n, i;

	if (s[0] < 0x80) {
		*len = 1;
		return s[0];
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		cp = s[0] & 0x07;
	} else
		return -1;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* also stops at the NUL */
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*len = n;
	return (long)cp;
}

int
badge_label_parse(const char *in, char *out, const char **why)
{
	size_t i = 0, len, chars = 0;
	long cp;

	if (in == NULL)
		in = BADGE_LABEL_DEFAULT;
	if (in[0] == '\0') {
		*why = "invalid label: use 1 to 64 characters";
		return -1;
	}
	while (in[i] != '\0') {
		if ((cp = utf8_next((const unsigned char *)in + i, &len)) < 0) {
			*why = "invalid label: not UTF-8";
			return -1;
		}
		if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
			*why = "invalid label: control characters";
			return -1;
		}
		if (cp == 0xfffe || cp == 0xffff) {	/* not XML 1.0 */
			*why = "invalid label: U+FFFE and U+FFFF are not text";
			return -1;
		}
		if (++chars > BADGE_LABEL_MAX_CHARS) {
			*why = "invalid label: use 1 to 64 characters";
			return -1;
		}
		i += len;
	}
	memcpy(out, in, i + 1);		/* i <= 4 * 64: fits */
	return 0;
}

static bool
all_hex(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (util_hexval(s[i]) < 0)
			return false;
	return true;
}

int
badge_color_parse(const char *in, char *out, const char **why)
{
	size_t n;

	if (in == NULL)
		in = BADGE_COLOR_DEFAULT;
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strcmp(in, colors[i].name) == 0) {
			snprintf(out, BADGE_COLOR_MAX + 1, "%s", in);
			return 0;
		}
	if (in[0] == '#')
		in++;
	n = strlen(in);
	if ((n != 3 && n != 6) || !all_hex(in, n)) {
		*why = "invalid color: use a shields.io color name or 3 or 6 "
		    "hex digits";
		return -1;
	}
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(in[i] >= 'A' && in[i] <= 'F' ?
		    in[i] - 'A' + 'a' : in[i]);
	return 0;
}

/* A canonical colour as hex digits (static or borrowed from color). */
static const char *
color_hex(const char *color)
{
	for (size_t i = 0; i < sizeof(colors) / sizeof(colors[0]); i++)
		if (strcmp(color, colors[i].name) == 0)
			return colors[i].hex;
	return color;
}

/* shields' brightness of hex digits, in thousandths (0 to 1000). */
static unsigned
brightness(const char *hex)
{
	unsigned rgb[3];
	size_t n = strlen(hex);

	for (int i = 0; i < 3; i++) {
		if (n == 3)
			rgb[i] = (unsigned)util_hexval(hex[i]) * 17;
		else
			rgb[i] = (unsigned)(util_hexval(hex[2 * i]) << 4 |
			    util_hexval(hex[2 * i + 1]));
	}
	/* ((r*299 + g*587 + b*114) / 255000), rounded to two decimals */
	return ((rgb[0] * 299 + rgb[1] * 587 + rgb[2] * 114) / 255 + 5) /
	    10 * 10;
}

void
badge_format_count(uint64_t count, char out[BADGE_COUNT_MAX])
{
	char digits[24];
	int n = snprintf(digits, sizeof(digits), "%llu",
	    (unsigned long long)count);
	int o = 0;

	for (int i = 0; i < n; i++) {
		if (i > 0 && (n - i) % 3 == 0)
			out[o++] = ',';
		out[o++] = digits[i];
	}
	out[o] = '\0';
}

static long
width_of(unsigned long cp)
{
	size_t lo = 0, hi = badge_verdana_count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (cp < badge_verdana[mid].first)
			hi = mid;
		else if (cp > badge_verdana[mid].last)
			lo = mid + 1;
		else
			return badge_verdana[mid].width;
	}
	return -1;
}

unsigned long
badge_text_width(const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	unsigned long total = 0;
	size_t len;
	long cp, w;

	while (*s != '\0') {
		if ((cp = utf8_next(s, &len)) < 0) {
			cp = 0xfffd;		/* not ours to refuse here */
			len = 1;
		}
		s += len;
		if (cp <= 31 || cp == 127)
			continue;
		w = width_of((unsigned long)cp);
		if (w < 0)
			w = width_of('m');	/* anafanafo's guess */
		total += (unsigned long)w;
	}
	return total;
}

unsigned
badge_text_box(const char *text)
{
	unsigned px = (unsigned)((badge_text_width(text) + 99) / 100);

	return px % 2 == 0 ? px + 1 : px;
}

/* A growing string; every append aborts on a lack of memory. */
struct buf {
	char	*s;
	size_t	 len, cap;
};

static void
put(struct buf *b, const char *s, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		while (b->len + n + 1 > b->cap)
			b->cap = b->cap != 0 ? b->cap * 2 : 2048;
		b->s = xreallocarray(b->s, b->cap, 1);
	}
	memcpy(b->s + b->len, s, n);
	b->len += n;
	b->s[b->len] = '\0';
}

static void
puts_(struct buf *b, const char *s)
{
	put(b, s, strlen(s));
}

static void
putf(struct buf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

static void
putf(struct buf *b, const char *fmt, ...)
{
	char *s;
	va_list ap;

	va_start(ap, fmt);
	s = xvasprintf(fmt, ap);
	va_end(ap);
	puts_(b, s);
	free(s);
}

/* s with & < > " ' as character references. */
static void
put_escaped(struct buf *b, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '&':
			puts_(b, "&amp;");
			break;
		case '<':
			puts_(b, "&lt;");
			break;
		case '>':
			puts_(b, "&gt;");
			break;
		case '"':
			puts_(b, "&quot;");
			break;
		case '\'':
			puts_(b, "&apos;");
			break;
		default:
			put(b, s, 1);
		}
}

/* One text with its shadow, centred at x (tenths of a pixel). */
static void
put_text(struct buf *b, const char *text, unsigned x, unsigned box,
    bool light)
{
	putf(b, "<text aria-hidden=\"true\" x=\"%u\" y=\"150\" fill=\"%s\" "
	    "fill-opacity=\".3\" transform=\"scale(.1)\" textLength=\"%u\">",
	    x, light ? "#ccc" : "#010101", 10 * box);
	put_escaped(b, text);
	putf(b, "</text><text x=\"%u\" y=\"140\" transform=\"scale(.1)\" "
	    "fill=\"%s\" textLength=\"%u\">", x, light ? "#333" : "#fff",
	    10 * box);
	put_escaped(b, text);
	puts_(b, "</text>");
}

char *
badge_svg(const char *label, const char *color, uint64_t count)
{
	struct buf b = { 0 };
	char message[BADGE_COUNT_MAX];
	const char *hex = color_hex(color);
	unsigned lbox, mbox, left, right, width;
	char *title;

	badge_format_count(count, message);
	lbox = badge_text_box(label);
	mbox = badge_text_box(message);
	left = lbox + 2 * PAD;
	right = mbox + 2 * PAD;
	width = left + right;
	title = xasprintf("%s: %s", label, message);

	putf(&b, "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%u\" "
	    "height=\"%u\" role=\"img\" aria-label=\"", width, HEIGHT);
	put_escaped(&b, title);
	puts_(&b, "\"><title>");
	put_escaped(&b, title);
	puts_(&b, "</title><linearGradient id=\"s\" x2=\"0\" y2=\"100%\">"
	    "<stop offset=\"0\" stop-color=\"#bbb\" stop-opacity=\".1\"/>"
	    "<stop offset=\"1\" stop-opacity=\".1\"/></linearGradient>");
	putf(&b, "<clipPath id=\"r\"><rect width=\"%u\" height=\"%u\" "
	    "rx=\"3\" fill=\"#fff\"/></clipPath>", width, HEIGHT);
	putf(&b, "<g clip-path=\"url(#r)\"><rect width=\"%u\" height=\"%u\" "
	    "fill=\"%s\"/><rect x=\"%u\" width=\"%u\" height=\"%u\" "
	    "fill=\"#%s\"/><rect width=\"%u\" height=\"%u\" "
	    "fill=\"url(#s)\"/></g>", left, HEIGHT, LABEL_BG, left, right,
	    HEIGHT, hex, width, HEIGHT);
	puts_(&b, "<g fill=\"#fff\" text-anchor=\"middle\" "
	    "font-family=\"Verdana,Geneva,DejaVu Sans,sans-serif\" "
	    "text-rendering=\"geometricPrecision\" font-size=\"110\">");
	/* The label box starts at 1 px, the count box 1 px inside its part. */
	put_text(&b, label, 10 * (1 + PAD) + 5 * lbox, lbox, false);
	put_text(&b, message, 10 * (left - 1 + PAD) + 5 * mbox, mbox,
	    brightness(hex) > 690);
	puts_(&b, "</g></svg>");
	free(title);
	return b.s;
}

char *
badge_shields_json(const char *label, const char *color, uint64_t count)
{
	char message[BADGE_COUNT_MAX];
	json_t *obj;
	char *s;

	badge_format_count(count, message);
	/* JSON_PRESERVE_ORDER: the keys in shields' documented order. */
	obj = json_pack("{s:i, s:s, s:s, s:s}", "schemaVersion", 1,
	    "label", label, "message", message, "color", color);
	if (obj == NULL || (s = json_dumps(obj, JSON_COMPACT |
	    JSON_PRESERVE_ORDER)) == NULL)
		util_out_of_memory();
	json_decref(obj);
	return s;
}

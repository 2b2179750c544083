/*
 * badge: the SVG counter badge and the shields.io endpoint body, rendered
 * without touching a socket.
 *
 * The SVG has shields.io's "flat" look (badge-maker's Flat template: a
 * 20 px high rounded box, a #555 label part and a coloured count part,
 * Verdana 11 px text with a shadow), and measures its text with the same
 * Verdana 11 px advance widths shields uses (badge_verdana.c, generated
 * from the npm package anafanafo), so a label or a count never overflows
 * its box.  Every function is pure: no clock, no globals but the constant
 * width table.
 */
#ifndef VISITSD_BADGE_H
#define VISITSD_BADGE_H

#include <stddef.h>
#include <stdint.h>

#define BADGE_LABEL_DEFAULT	"visits"
#define BADGE_LABEL_MAX_CHARS	64	/* code points */
#define BADGE_LABEL_MAX		(BADGE_LABEL_MAX_CHARS * 4)	/* bytes */
#define BADGE_COLOR_DEFAULT	"blue"
#define BADGE_COLOR_MAX		16	/* "yellowgreen", "informational" */
#define BADGE_COUNT_MAX		32	/* "18,446,744,073,709,551,615" + NUL */

/*
 * Check a ?label= value (already URL-decoded, borrowed) and copy it into
 * out (at least BADGE_LABEL_MAX + 1 bytes): valid UTF-8, 1 to
 * BADGE_LABEL_MAX_CHARS code points, no control characters.  NULL means
 * the default label.  Returns 0, or -1 with *why set to a static sentence
 * for the 400 answer.
 */
int	badge_label_parse(const char *in, char *out, const char **why);

/*
 * Check a ?color= value (borrowed) and write its canonical spelling into
 * out (at least BADGE_COLOR_MAX + 1 bytes): one of shields.io's named
 * colors (brightgreen green yellow yellowgreen orange red blue grey
 * lightgrey) or their aliases (gray lightgray critical important success
 * informational inactive), or 3 or 6 hex digits with or without a leading
 * '#', written lower-case without it.  NULL means BADGE_COLOR_DEFAULT.
 * Returns 0, or -1 with *why set to a static sentence.
 */
int	badge_color_parse(const char *in, char *out, const char **why);

/* count with a comma every three digits ("1,234") into out. */
void	badge_format_count(uint64_t count, char out[BADGE_COUNT_MAX]);

/*
 * The advance width of UTF-8 text in Verdana 11 px, in hundredths of a
 * pixel: control characters are 0 and a code point missing from the
 * table counts as wide as 'm' (anafanafo's rule).  text is borrowed and
 * assumed valid UTF-8 (badge_label_parse checks).
 */
unsigned long	badge_text_width(const char *text);

/*
 * The width in whole pixels of the box around text: the advance width
 * rounded up, then up to an odd number (badge-maker's pixel-grid rule;
 * badge-maker truncates first, which can leave the text up to a pixel
 * wider than its box: we round up, so it never is).
 */
unsigned	badge_text_box(const char *text);

/*
 * The SVG badge "label: count" as a new malloc'd, NUL-terminated string
 * (free()).  label and color are borrowed and must have been through
 * badge_label_parse and badge_color_parse.
 */
char	*badge_svg(const char *label, const char *color, uint64_t count);

/*
 * The shields.io endpoint body, exactly
 * {"schemaVersion":1,"label":label,"message":"1,234","color":color},
 * a new malloc'd string (free()).
 */
char	*badge_shields_json(const char *label, const char *color,
	    uint64_t count);

#endif

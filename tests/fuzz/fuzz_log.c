/*
 * fuzz_log: libFuzzer target for log_escape, the rule every logged byte
 * goes through.  Any input (cut at its first NUL, as a C string is) must
 * come out as well-formed UTF-8 without a control byte, DEL or C1 control,
 * every backslash starting one of the escapes \\ \r \n \t \xNN; in JSON
 * mode every '"' is escaped as well.  A violation aborts.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool
is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
}

/* Well-formed UTF-8 sequence length at s (1 for ASCII), or 0. */
static size_t
utf8_ok(const unsigned char *s, size_t n)
{
	unsigned char c = s[0];
	size_t k, i;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		k = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		k = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		k = 4;
		cp = c & 0x07;
	} else
		return 0;
	if (k > n)
		return 0;
	for (i = 1; i < k; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((k == 3 && cp < 0x800) || (k == 4 && cp < 0x10000) ||
	    (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff || cp < 0xa0)
		return 0;
	return k;
}

/* The text form: escapes well-formed, no raw control, valid UTF-8. */
static void
check_text(const unsigned char *s, size_t n)
{
	size_t i = 0, k;

	while (i < n) {
		if (s[i] == '\\') {
			if (i + 1 < n && strchr("\\rnt", s[i + 1]) != NULL)
				i += 2;
			else if (i + 3 < n && s[i + 1] == 'x' &&
			    is_hex(s[i + 2]) && is_hex(s[i + 3]))
				i += 4;
			else
				abort();
			continue;
		}
		if (s[i] < 0x20 || s[i] == 0x7f || (k = utf8_ok(s + i, n - i)) == 0)
			abort();
		i += k;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *in, text[4096], json[4096], undone[4096];
	size_t n, m, i, o = 0;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	n = log_escape(text, sizeof(text), in, false);
	if (n != strlen(text) || n >= sizeof(text))
		abort();
	check_text((const unsigned char *)text, n);
	/* JSON: undoing the '"' and '\\' escapes gives the text form. */
	m = log_escape(json, sizeof(json), in, true);
	for (i = 0; i < m; i++) {
		if (json[i] == '"')
			abort();
		if (json[i] == '\\') {
			if (i + 1 >= m || (json[i + 1] != '\\' &&
			    json[i + 1] != '"'))
				abort();
			i++;
		}
		undone[o++] = json[i];
	}
	undone[o] = '\0';
	if (strncmp(undone, text, o) != 0)
		abort();
	free(in);
	return 0;
}

/*
 * fuzz_admin: libFuzzer target for the admin API's parsers of untrusted
 * bytes (admin.c): the Authorization: Bearer value, the PUT body and one
 * NDJSON import line.
 *
 * Input: one byte choosing the parser, then its bytes.  Besides the
 * sanitizers it asserts the contract: an accepted token lies inside the
 * value and is visible ASCII; accepted counts are at most 2^53 - 1 with
 * unique not above visits; an accepted line's id is 1 to 128 allowed
 * characters, and formatting it back and parsing again gives the same id
 * and counts.  Not a unit test: tests/check_admin.c holds those.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "admin.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_counts(const struct store_counts *c)
{
	if (c->visits > ADMIN_COUNT_MAX || c->unique > c->visits)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char id[API_ID_MAX + 1], id2[API_ID_MAX + 1], why[256];
	char line[ADMIN_LINE_MAX];
	struct store_counts c, c2;
	const char *in = (const char *)data + 1, *tok;
	size_t n = size > 0 ? size - 1 : 0, len, toklen;

	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		if (admin_bearer_parse(in, n, &tok, &toklen) == 0) {
			if (tok < in || tok + toklen != in + n || toklen == 0)
				abort();
			for (size_t i = 0; i < toklen; i++)
				if ((unsigned char)tok[i] <= 0x20 ||
				    (unsigned char)tok[i] >= 0x7f)
					abort();
		}
		break;
	case 1:
		if (admin_put_parse(in, n, &c, why, sizeof(why)) == 0)
			check_counts(&c);
		break;
	default:
		if (admin_line_parse(in, n, id, &c, why, sizeof(why)) != 0)
			break;
		check_counts(&c);
		len = strlen(id);
		if (len < 1 || len > API_ID_MAX || strspn(id,
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
		    "0123456789._~-") != len)
			abort();
		len = admin_line_format(line, sizeof(line), id, &c);
		if (len == 0 || line[len - 1] != '\n' ||
		    admin_line_parse(line, len - 1, id2, &c2, why,
		    sizeof(why)) != 0 || strcmp(id, id2) != 0 ||
		    c.visits != c2.visits || c.unique != c2.unique)
			abort();
		break;
	}
	return 0;
}

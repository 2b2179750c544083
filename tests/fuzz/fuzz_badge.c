/*
 * fuzz_badge: libFuzzer target for what badge.c and countapi.c read from a
 * request: a ?label= value (checked, then written into the SVG), and the
 * CountAPI path and callback.
 *
 * Besides the sanitizers it asserts the contract: a label the checker
 * accepts adds no markup to the SVG (as many '<', '>' and '"' as with the
 * label "a"), its box is never narrower than its advances, and an id
 * countapi_id makes is a valid visitsd id with exactly one '~'.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "badge.h"
#include "countapi.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
count_markup(const char *s, size_t n[3])
{
	n[0] = n[1] = n[2] = 0;
	for (; *s != '\0'; s++) {
		n[0] += *s == '<';
		n[1] += *s == '>';
		n[2] += *s == '"';
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char label[BADGE_LABEL_MAX + 1], id[API_ID_MAX + 1], check[API_ID_MAX + 1];
	size_t got[3], want[3];
	const char *why;
	char *in, *svg, *ref;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';

	if (badge_label_parse(in, label, &why) == 0) {
		if ((unsigned long)badge_text_box(label) * 100 <
		    badge_text_width(label))
			abort();
		svg = badge_svg(label, "blue", (uint64_t)size * 999);
		ref = badge_svg("a", "blue", (uint64_t)size * 999);
		count_markup(svg, got);
		count_markup(ref, want);
		if (memcmp(got, want, sizeof(got)) != 0)
			abort();
		free(svg);
		free(ref);
	}
	(void)countapi_callback_ok(in);
	if (countapi_id(in, id, sizeof(id), &why) == 0) {
		const char *tilde = strchr(id, '~');

		if (tilde == NULL || strchr(tilde + 1, '~') != NULL ||
		    api_id_parse(id, strlen(id), check, &why) != 0 ||
		    strcmp(id, check) != 0)
			abort();
	}
	free(in);
	return 0;
}

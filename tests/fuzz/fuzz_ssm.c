/*
 * fuzz_ssm: libFuzzer target for the SSM GetParameter answer parser, the
 * one that carries the API key.  The body is an exact-size copy, not
 * NUL-terminated, as client.c hands it over.  A value that parses goes on
 * to the key list parser, as keysource.c hands it on, and is then wiped and
 * freed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "apikey.h"
#include "aws/ssm.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct apikey_set *set;
	char err[128], *copy, *value;

	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	value = ssm_parse_get_parameter(copy, size, err, sizeof(err));
	if (value != NULL) {
		set = apikey_set_parse(value, err, sizeof(err));
		if (set != NULL && apikey_set_count(set) == 0)
			abort();
		apikey_set_free(set);
		OPENSSL_cleanse(value, strlen(value));
		free(value);
	}
	free(copy);
	return 0;
}

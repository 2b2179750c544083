/*
 * fuzz_aws_retry: libFuzzer target for what retry.c reads from an AWS
 * answer: the JSON error body (__type/code, message/Message) and the HTTP
 * Date header used for clock-skew correction.
 *
 * The same bytes go to both parsers: whole as an error body (not
 * NUL-terminated, as client.c hands it over), and up to the first NUL as a
 * Date header.  Output buffers are small so truncation is exercised; the
 * parsed error then goes through retry_classify as the client would.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aws/retry.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char type[32], msg[64], *copy;
	time_t t;

	/* An exact-size heap copy: ASan sees any read past the end. */
	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	retry_error_parse(copy, size, type, sizeof(type), msg, sizeof(msg));
	if (strlen(type) >= sizeof(type) || strlen(msg) >= sizeof(msg) ||
	    strchr(type, '#') != NULL)
		abort();
	(void)retry_classify(RETRY_TRANSPORT_ANSWERED, 400, type, msg, false);
	retry_error_parse(copy, size, type, 1, msg, 1);
	if (type[0] != '\0' || msg[0] != '\0')
		abort();
	free(copy);

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	(void)retry_parse_http_date(copy, &t);
	free(copy);
	return 0;
}

/*
 * fuzz_dynamodb: libFuzzer target for the DynamoDB answer parsers
 * (UpdateItem, GetItem, DescribeTable; counts, history, string
 * attributes and Scan pages) and the number reader under them.
 *
 * The answer body comes from the network and is handed over with its
 * length, not NUL-terminated, so the target does the same with an
 * exact-size copy.  A count that parses is checked against a re-parse of
 * its decimal form.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/dynamodb.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const struct dynamodb_table tbl = { "visits", "user", "visits" };

static int
each(void *arg, const char *id, uint64_t visits, uint64_t unique)
{
	(void)arg;
	(void)visits;
	(void)unique;
	return strlen(id) > 64 ? -1 : 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[128], status[16], num[24], *copy;
	uint64_t count, again, hv[4], hu[4];
	char *next;

	if ((copy = malloc(size > 0 ? size : 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	if (dynamodb_parse_update_item(copy, size, "visits", &count, err,
	    sizeof(err)) == 0) {
		snprintf(num, sizeof(num), "%" PRIu64, count);
		if (dynamodb_parse_u64(num, &again) != 0 || again != count)
			abort();
	}
	(void)dynamodb_parse_get_item(copy, size, "visits", &count, err,
	    sizeof(err));
	(void)dynamodb_parse_describe_table(copy, size, status,
	    sizeof(status), err, sizeof(err));
	(void)dynamodb_parse_counts(copy, size, &tbl, true, &count, &again,
	    err, sizeof(err));
	(void)dynamodb_parse_counts(copy, size, &tbl, false, &count, &again,
	    err, sizeof(err));
	(void)dynamodb_parse_history(copy, size, 20000, 4, hv, hu, err,
	    sizeof(err));
	(void)dynamodb_parse_string(copy, size, "token", status,
	    sizeof(status), err, sizeof(err));
	if (dynamodb_parse_scan(copy, size, &tbl, each, NULL, &next, err,
	    sizeof(err)) == 0)
		free(next);
	free(copy);

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	(void)dynamodb_parse_u64(copy, &count);
	free(copy);
	return 0;
}

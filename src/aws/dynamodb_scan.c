/*
 * dynamodb_scan: the paginated Scan that export reads the counters with.
 * Pure, as dynamodb.c.
 *
 * One page is one Scan request: Limit items, starting after the page
 * before (ExclusiveStartKey, the previous answer's LastEvaluatedKey passed
 * back verbatim), projected to the key, the visits and the unique count
 * (the day attributes stay behind), and filtered to items that have a
 * visits attribute, which leaves the salt ("s#...") and visitor ("v#...")
 * items out.  The parser checks every item again: a key with '#' is never
 * an id.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws/dynamodb.h"

char *
dynamodb_scan_body(const struct dynamodb_table *t, int limit,
    const char *start_key)
{
	json_t *root, *start;
	char *s;

	root = json_pack("{s:s, s:i, s:s, s:s, s:{s:s, s:s, s:s}}",
	    "TableName", t->table,
	    "Limit", limit,
	    "ProjectionExpression", "#k, #c, #u",
	    "FilterExpression", "attribute_exists(#c)",
	    "ExpressionAttributeNames", "#k", t->key_attribute,
	    "#c", t->count_attribute, "#u", DYNAMODB_UNIQUE_ATTR);
	if (root == NULL)
		return NULL;
	if (start_key != NULL) {
		if ((start = json_loads(start_key, 0, NULL)) == NULL) {
			json_decref(root);
			return NULL;
		}
		json_object_set_new(root, "ExclusiveStartKey", start);
	}
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

static int
u64_of(json_t *item, const char *name, uint64_t *v)
{
	json_t *n = json_object_get(json_object_get(item, name), "N");

	*v = 0;
	if (n == NULL)
		return 0;
	return json_is_string(n) ?
	    dynamodb_parse_u64(json_string_value(n), v) : -1;
}

int
dynamodb_parse_scan(const char *body, size_t len,
    const struct dynamodb_table *t, dynamodb_scan_each_fn *each, void *arg,
    char **next_key, char *err, size_t errlen)
{
	json_t *root, *items, *item, *last, *k;
	json_error_t jerr;
	uint64_t visits, unique;
	size_t i;
	int rc = -1;

	*next_key = NULL;
	if ((root = json_loadb(body, len, 0, &jerr)) == NULL) {
		snprintf(err, errlen, "malformed Scan answer: %s", jerr.text);
		return -1;
	}
	items = json_object_get(root, "Items");
	if (!json_is_array(items)) {
		snprintf(err, errlen, "Scan answer has no Items array");
		goto out;
	}
	json_array_foreach(items, i, item) {
		k = json_object_get(json_object_get(item, t->key_attribute),
		    "S");
		if (!json_is_string(k)) {
			snprintf(err, errlen, "Scan item %zu has no string key",
			    i);
			goto out;
		}
		if (strchr(json_string_value(k), '#') != NULL)
			continue;	/* a salt or a visitor, not an id */
		if (u64_of(item, t->count_attribute, &visits) == -1 ||
		    u64_of(item, DYNAMODB_UNIQUE_ATTR, &unique) == -1) {
			snprintf(err, errlen, "Scan item %zu: a count is not "
			    "an unsigned 64-bit number", i);
			goto out;
		}
		if (each(arg, json_string_value(k), visits, unique) == -1) {
			rc = -2;
			goto out;
		}
	}
	last = json_object_get(root, "LastEvaluatedKey");
	if (json_is_object(last) && json_object_size(last) > 0)
		*next_key = json_dumps(last, JSON_COMPACT);
	rc = 0;
out:
	json_decref(root);
	return rc;
}

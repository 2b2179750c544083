/*
 * dynamodb: request bodies and answer parsers for UpdateItem, GetItem and
 * DescribeTable.  Pure: jansson in, jansson out, no I/O, no globals.  The
 * transport, signing and retries belong to client.c, error answers to
 * retry.c.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "aws/dynamodb.h"

char *
dynamodb_dump(json_t *root)
{
	char *s;

	if (root == NULL)
		return NULL;
	s = json_dumps(root, JSON_COMPACT);
	json_decref(root);
	return s;
}

char *
dynamodb_update_item_body(const struct dynamodb_table *t, const char *id,
    uint64_t n)
{
	char num[24];

	snprintf(num, sizeof(num), "%" PRIu64, n);
	return dynamodb_dump(json_pack(
	    "{s:s, s:{s:{s:s}}, s:s, s:{s:s}, s:{s:{s:s}}, s:s}",
	    "TableName", t->table,
	    "Key", t->key_attribute, "S", id,
	    "UpdateExpression", "ADD #c :n",
	    "ExpressionAttributeNames", "#c", t->count_attribute,
	    "ExpressionAttributeValues", ":n", "N", num,
	    "ReturnValues", "UPDATED_NEW"));
}

char *
dynamodb_get_item_body(const struct dynamodb_table *t, const char *id)
{
	return dynamodb_dump(json_pack(
	    "{s:s, s:{s:{s:s}}, s:b, s:s, s:{s:s, s:s}}",
	    "TableName", t->table,
	    "Key", t->key_attribute, "S", id,
	    "ConsistentRead", 1,
	    "ProjectionExpression", "#k, #c",
	    "ExpressionAttributeNames", "#k", t->key_attribute,
	    "#c", t->count_attribute));
}

char *
dynamodb_describe_table_body(const struct dynamodb_table *t)
{
	return dynamodb_dump(json_pack("{s:s}", "TableName", t->table));
}

int
dynamodb_parse_u64(const char *s, uint64_t *out)
{
	uint64_t v = 0;

	if (s == NULL || *s == '\0')
		return -1;
	for (; *s != '\0'; s++) {
		unsigned d;

		if (*s < '0' || *s > '9')
			return -1;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

json_t *
dynamodb_load_object(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t jerr;
	json_t *root;

	root = json_loadb(body, len, 0, &jerr);
	if (root == NULL) {
		snprintf(err, errlen, "malformed JSON answer: %s (offset %d)",
		    jerr.text, jerr.position);
		return NULL;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "answer is not a JSON object");
		json_decref(root);
		return NULL;
	}
	return root;
}

int
dynamodb_number_attribute(json_t *map, const char *name, uint64_t *count,
    char *err, size_t errlen)
{
	json_t *av, *n;

	av = json_object_get(map, name);
	if (av == NULL)
		return 0;
	if (!json_is_object(av)) {
		snprintf(err, errlen, "attribute \"%s\" is not an attribute "
		    "value", name);
		return -1;
	}
	n = json_object_get(av, "N");
	if (!json_is_string(n)) {
		snprintf(err, errlen, "attribute \"%s\" is not a number (N)",
		    name);
		return -1;
	}
	if (dynamodb_parse_u64(json_string_value(n), count) == -1) {
		snprintf(err, errlen, "attribute \"%s\" is not an unsigned "
		    "64-bit integer", name);
		return -1;
	}
	return 1;
}

int
dynamodb_parse_update_item(const char *body, size_t len,
    const char *count_attribute, uint64_t *count, char *err, size_t errlen)
{
	json_t *root, *attrs;
	int rc = -1;

	if ((root = dynamodb_load_object(body, len, err, errlen)) == NULL)
		return -1;
	attrs = json_object_get(root, "Attributes");
	if (!json_is_object(attrs)) {
		snprintf(err, errlen, "UpdateItem answer has no Attributes");
		goto fail;
	}
	switch (dynamodb_number_attribute(attrs, count_attribute, count, err,
	    errlen)) {
	case 1:
		rc = 0;
		break;
	case 0:
		snprintf(err, errlen, "UpdateItem answer lacks attribute "
		    "\"%s\"", count_attribute);
		break;
	default:
		break;
	}
fail:
	json_decref(root);
	return rc;
}

int
dynamodb_parse_get_item(const char *body, size_t len,
    const char *count_attribute, uint64_t *count, char *err, size_t errlen)
{
	json_t *root, *item;
	int rc = -1;

	if ((root = dynamodb_load_object(body, len, err, errlen)) == NULL)
		return -1;
	*count = 0;
	item = json_object_get(root, "Item");
	if (item == NULL) {
		rc = 0;
		goto fail;
	}
	if (!json_is_object(item)) {
		snprintf(err, errlen, "GetItem answer: Item is not an object");
		goto fail;
	}
	if (dynamodb_number_attribute(item, count_attribute, count, err,
	    errlen) >= 0)
		rc = 0;
fail:
	json_decref(root);
	return rc;
}

int
dynamodb_parse_describe_table(const char *body, size_t len, char *status,
    size_t statuslen, char *err, size_t errlen)
{
	json_t *root, *table, *st;
	int rc = -1;

	if ((root = dynamodb_load_object(body, len, err, errlen)) == NULL)
		return -1;
	table = json_object_get(root, "Table");
	st = json_is_object(table) ? json_object_get(table, "TableStatus") :
	    NULL;
	if (!json_is_string(st)) {
		snprintf(err, errlen, "DescribeTable answer has no "
		    "Table.TableStatus");
		goto fail;
	}
	snprintf(status, statuslen, "%s", json_string_value(st));
	rc = 0;
fail:
	json_decref(root);
	return rc;
}

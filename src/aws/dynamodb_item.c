/*
 * dynamodb_item: the request bodies and answer parsers of the counter
 * item's unique count and day attributes, the visitor and salt items, and
 * the admin writes (set, delete).  Pure, as dynamodb.c: jansson in, jansson
 * out, no I/O, no clock, no globals.
 *
 * The counter item of id holds, besides the key and the visits count,
 * DYNAMODB_UNIQUE_ATTR (the sum of daily uniques) and one number attribute
 * per UTC day with visits, "d<day>", plus "u<day>" on days with uniques,
 * where <day> is the day number (days since 1970-01-01) in decimal:
 * "d20423".  Day attribute names are not reserved words, so they appear in
 * expressions as they are; the configured names go through
 * ExpressionAttributeNames.  docs/dynamodb.md has the size arithmetic.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdbool.h>
#include <string.h>

#include <jansson.h>

#include "aws/dynamodb.h"

static json_t *
num(uint64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%" PRIu64, v);
	return json_pack("{s:s}", "N", buf);
}

static json_t *
key_of(const struct dynamodb_table *t, const char *key)
{
	return json_pack("{s:{s:s}}", t->key_attribute, "S", key);
}

void
dynamodb_visitor_key(char *buf, size_t len, uint32_t day,
    const uint8_t hash[DYNAMODB_VISITOR_LEN])
{
	static const char hex[] = "0123456789abcdef";
	char h[2 * DYNAMODB_VISITOR_LEN + 1];
	size_t i;

	for (i = 0; i < DYNAMODB_VISITOR_LEN; i++) {
		h[2 * i] = hex[hash[i] >> 4];
		h[2 * i + 1] = hex[hash[i] & 15];
	}
	h[2 * DYNAMODB_VISITOR_LEN] = '\0';
	snprintf(buf, len, "v#%" PRIu32 "#%s", day, h);
}

void
dynamodb_salt_key(char *buf, size_t len, uint32_t day)
{
	snprintf(buf, len, "s#%" PRIu32, day);
}

/* Append s to the expression buffer; -1 when it does not fit. */
static int
expr_add(char *buf, size_t len, size_t *off, const char *s)
{
	size_t n = strlen(s);

	if (*off + n + 1 > len)
		return -1;
	memcpy(buf + *off, s, n + 1);
	*off += n;
	return 0;
}

char *
dynamodb_visits_body(const struct dynamodb_table *t, const char *id,
    uint64_t visits, uint64_t unique, const struct dynamodb_day_add *days,
    size_t ndays)
{
	char expr[2048], part[64], name[16];
	json_t *root, *values;
	uint32_t min = UINT32_MAX, d;
	size_t off = 0, i;

	if (ndays > DYNAMODB_MAX_BATCH_DAYS)
		return NULL;
	values = json_object();
	json_object_set_new(values, ":n", num(visits));
	json_object_set_new(values, ":u", num(unique));
	expr_add(expr, sizeof(expr), &off, "ADD #c :n, #u :u");
	for (i = 0; i < ndays; i++) {
		if (days[i].day < min)
			min = days[i].day;
		snprintf(part, sizeof(part), ", d%" PRIu32 " :v%zu",
		    days[i].day, i);
		expr_add(expr, sizeof(expr), &off, part);
		snprintf(name, sizeof(name), ":v%zu", i);
		json_object_set_new(values, name, num(days[i].visits));
		if (days[i].unique == 0)
			continue;
		snprintf(part, sizeof(part), ", u%" PRIu32 " :w%zu",
		    days[i].day, i);
		expr_add(expr, sizeof(expr), &off, part);
		snprintf(name, sizeof(name), ":w%zu", i);
		json_object_set_new(values, name, num(days[i].unique));
	}
	/* Prune: the days just past the longest history anyone reads. */
	if (ndays > 0 && min >= DYNAMODB_KEEP_DAYS + DYNAMODB_PRUNE_DAYS) {
		expr_add(expr, sizeof(expr), &off, " REMOVE ");
		for (i = 0; i < DYNAMODB_PRUNE_DAYS; i++) {
			d = min - DYNAMODB_KEEP_DAYS - (uint32_t)i;
			snprintf(part, sizeof(part), "%sd%" PRIu32 ", u%" PRIu32,
			    i == 0 ? "" : ", ", d, d);
			expr_add(expr, sizeof(expr), &off, part);
		}
	}
	root = json_pack("{s:s, s:o, s:s, s:{s:s, s:s}, s:o, s:s}",
	    "TableName", t->table,
	    "Key", key_of(t, id),
	    "UpdateExpression", expr,
	    "ExpressionAttributeNames", "#c", t->count_attribute,
	    "#u", DYNAMODB_UNIQUE_ATTR,
	    "ExpressionAttributeValues", values,
	    "ReturnValues", "UPDATED_NEW");
	return dynamodb_dump(root);
}

char *
dynamodb_counts_get_body(const struct dynamodb_table *t, const char *id)
{
	return dynamodb_dump(json_pack(
	    "{s:s, s:o, s:b, s:s, s:{s:s, s:s, s:s}}",
	    "TableName", t->table,
	    "Key", key_of(t, id),
	    "ConsistentRead", 1,
	    "ProjectionExpression", "#k, #c, #u",
	    "ExpressionAttributeNames", "#k", t->key_attribute,
	    "#c", t->count_attribute, "#u", DYNAMODB_UNIQUE_ATTR));
}

char *
dynamodb_history_get_body(const struct dynamodb_table *t, const char *id,
    uint32_t first_day, uint32_t ndays)
{
	char expr[4096], part[40];
	size_t off = 0;
	uint32_t i;
	json_t *root;

	root = json_pack("{s:s, s:o, s:b}", "TableName", t->table,
	    "Key", key_of(t, id), "ConsistentRead", 1);
	if (root == NULL || ndays > DYNAMODB_HISTORY_PROJECT_MAX)
		/* The whole item: see dynamodb.h. */
		return dynamodb_dump(root);
	expr_add(expr, sizeof(expr), &off, "#k");
	for (i = 0; i < ndays; i++) {
		snprintf(part, sizeof(part), ", d%" PRIu32 ", u%" PRIu32,
		    first_day + i, first_day + i);
		if (expr_add(expr, sizeof(expr), &off, part) == -1) {
			json_decref(root);
			return NULL;
		}
	}
	json_object_set_new(root, "ProjectionExpression", json_string(expr));
	json_object_set_new(root, "ExpressionAttributeNames",
	    json_pack("{s:s}", "#k", t->key_attribute));
	return dynamodb_dump(root);
}

char *
dynamodb_set_body(const struct dynamodb_table *t, const char *id,
    uint64_t visits, uint64_t unique)
{
	return dynamodb_dump(json_pack(
	    "{s:s, s:o, s:s, s:{s:s, s:s}, s:{s:o, s:o}, s:s}",
	    "TableName", t->table,
	    "Key", key_of(t, id),
	    "UpdateExpression", "SET #c = :c, #u = :u",
	    "ExpressionAttributeNames", "#c", t->count_attribute,
	    "#u", DYNAMODB_UNIQUE_ATTR,
	    "ExpressionAttributeValues", ":c", num(visits), ":u", num(unique),
	    "ReturnValues", "UPDATED_NEW"));
}

char *
dynamodb_delete_body(const struct dynamodb_table *t, const char *key,
    const char *token)
{
	json_t *root = json_pack("{s:s, s:o}", "TableName", t->table,
	    "Key", key_of(t, key));

	if (root != NULL && token != NULL) {
		json_object_set_new(root, "ConditionExpression",
		    json_string("#t = :t"));
		json_object_set_new(root, "ExpressionAttributeNames",
		    json_pack("{s:s}", "#t", DYNAMODB_TOKEN_ATTR));
		json_object_set_new(root, "ExpressionAttributeValues",
		    json_pack("{s:{s:s}}", ":t", "S", token));
	}
	return dynamodb_dump(root);
}

char *
dynamodb_put_new_body(const struct dynamodb_table *t, const char *key,
    const char *name, const char *value, uint64_t expires)
{
	json_t *item = json_pack("{s:{s:s}, s:{s:s}, s:o}",
	    t->key_attribute, "S", key, name, "S", value,
	    DYNAMODB_TTL_ATTR, num(expires));

	return dynamodb_dump(json_pack("{s:s, s:o, s:s, s:{s:s}}",
	    "TableName", t->table,
	    "Item", item,
	    "ConditionExpression", "attribute_not_exists(#k)",
	    "ExpressionAttributeNames", "#k", t->key_attribute));
}

char *
dynamodb_get_string_body(const struct dynamodb_table *t, const char *key,
    const char *name)
{
	return dynamodb_dump(json_pack("{s:s, s:o, s:b, s:s, s:{s:s}}",
	    "TableName", t->table,
	    "Key", key_of(t, key),
	    "ConsistentRead", 1,
	    "ProjectionExpression", "#a",
	    "ExpressionAttributeNames", "#a", name));
}

/* The attribute map of an answer: Attributes (update) or Item (get). */
static int
answer_map(json_t *root, bool update, json_t **map, char *err, size_t errlen)
{
	*map = json_object_get(root, update ? "Attributes" : "Item");
	if (*map == NULL && !update)
		return 0;
	if (!json_is_object(*map)) {
		snprintf(err, errlen, "answer has no %s object",
		    update ? "Attributes" : "Item");
		return -1;
	}
	return 1;
}

int
dynamodb_parse_counts(const char *body, size_t len,
    const struct dynamodb_table *t, bool update, uint64_t *visits,
    uint64_t *unique, char *err, size_t errlen)
{
	json_t *root, *map;
	int rc = -1, found;

	*visits = *unique = 0;
	if ((root = dynamodb_load_object(body, len, err, errlen)) == NULL)
		return -1;
	if ((found = answer_map(root, update, &map, err, errlen)) <= 0) {
		rc = found;
		goto out;
	}
	found = dynamodb_number_attribute(map, t->count_attribute, visits,
	    err, errlen);
	if (found == -1 || (found == 0 && update)) {
		if (found == 0)
			snprintf(err, errlen, "answer lacks attribute \"%s\"",
			    t->count_attribute);
		goto out;
	}
	if (dynamodb_number_attribute(map, DYNAMODB_UNIQUE_ATTR, unique, err,
	    errlen) == -1)
		goto out;
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
dynamodb_parse_history(const char *body, size_t len, uint32_t first_day,
    uint32_t ndays, uint64_t *visits, uint64_t *unique, char *err,
    size_t errlen)
{
	char name[16];
	json_t *root, *map;
	uint32_t i;
	int rc = -1;

	memset(visits, 0, ndays * sizeof(*visits));
	memset(unique, 0, ndays * sizeof(*unique));
	if ((root = dynamodb_load_object(body, len, err, errlen)) == NULL)
		return -1;
	switch (answer_map(root, false, &map, err, errlen)) {
	case 0:
		rc = 0;
		/* FALLTHROUGH */
	case -1:
		goto out;
	}
	for (i = 0; i < ndays; i++) {
		snprintf(name, sizeof(name), "d%" PRIu32, first_day + i);
		if (dynamodb_number_attribute(map, name, &visits[i], err,
		    errlen) == -1)
			goto out;
		snprintf(name, sizeof(name), "u%" PRIu32, first_day + i);
		if (dynamodb_number_attribute(map, name, &unique[i], err,
		    errlen) == -1)
			goto out;
	}
	rc = 0;
out:
	json_decref(root);
	return rc;
}

int
dynamodb_parse_string(const char *body, size_t len, const char *name,
    char *buf, size_t buflen, char *err, size_t errlen)
{
	json_t *root, *map, *s;
	int rc = -1;

	buf[0] = '\0';
	if ((root = dynamodb_load_object(body, len, err, errlen)) == NULL)
		return -1;
	if ((rc = answer_map(root, false, &map, err, errlen)) <= 0)
		goto out;
	s = json_object_get(json_object_get(map, name), "S");
	if (s == NULL) {
		rc = 0;
		goto out;
	}
	if (!json_is_string(s) || strlen(json_string_value(s)) >= buflen) {
		snprintf(err, errlen, "attribute \"%s\" is not a string of "
		    "under %zu bytes", name, buflen);
		rc = -1;
		goto out;
	}
	snprintf(buf, buflen, "%s", json_string_value(s));
	rc = 1;
out:
	json_decref(root);
	return rc;
}

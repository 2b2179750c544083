/*
 * check_dynamodb: the DynamoDB request builders and answer parsers.  The
 * builders are checked by parsing what they produce, field by field; the
 * parsers against well-formed, malformed and out-of-range answers.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/dynamodb.h"

Suite *suite_dynamodb(void);

static const struct dynamodb_table tbl = {
	.table = "visits",
	.key_attribute = "user",
	.count_attribute = "visits",
};

static json_t *
parse(char *s)
{
	json_t *root;

	ck_assert_ptr_nonnull(s);
	root = json_loads(s, 0, NULL);
	ck_assert_ptr_nonnull(root);
	free(s);
	return root;
}

static const char *
path_str(json_t *root, const char *a, const char *b, const char *c)
{
	json_t *v = json_object_get(root, a);

	if (b != NULL)
		v = json_object_get(v, b);
	if (c != NULL)
		v = json_object_get(v, c);
	ck_assert_msg(json_is_string(v), "%s.%s.%s is not a string", a,
	    b ? b : "", c ? c : "");
	return json_string_value(v);
}

START_TEST(update_item_adds_n_and_returns_the_new_count)
{
	json_t *root = parse(dynamodb_update_item_body(&tbl, "alice.b-c~",
	    18446744073709551615ULL));

	ck_assert_str_eq(path_str(root, "TableName", NULL, NULL), "visits");
	ck_assert_str_eq(path_str(root, "Key", "user", "S"), "alice.b-c~");
	ck_assert_str_eq(path_str(root, "UpdateExpression", NULL, NULL),
	    "ADD #c :n");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeNames", "#c",
	    NULL), "visits");
	ck_assert_int_eq(json_object_size(json_object_get(root,
	    "ExpressionAttributeNames")), 1);
	/* The number travels as a string, full 64-bit range. */
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":n",
	    "N"), "18446744073709551615");
	ck_assert_str_eq(path_str(root, "ReturnValues", NULL, NULL),
	    "UPDATED_NEW");
	json_decref(root);
}
END_TEST

START_TEST(update_item_escapes_any_table_and_attribute_name)
{
	const struct dynamodb_table t = { "t\"x", "pk", "n\\m" };
	json_t *root = parse(dynamodb_update_item_body(&t, "id", 3));

	ck_assert_str_eq(path_str(root, "TableName", NULL, NULL), "t\"x");
	ck_assert_str_eq(path_str(root, "Key", "pk", "S"), "id");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeNames", "#c",
	    NULL), "n\\m");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":n",
	    "N"), "3");
	json_decref(root);
}
END_TEST

START_TEST(get_item_is_consistent_and_projects_both_names)
{
	json_t *root = parse(dynamodb_get_item_body(&tbl, "bob"));

	ck_assert_str_eq(path_str(root, "TableName", NULL, NULL), "visits");
	ck_assert_str_eq(path_str(root, "Key", "user", "S"), "bob");
	ck_assert(json_is_true(json_object_get(root, "ConsistentRead")));
	ck_assert_str_eq(path_str(root, "ProjectionExpression", NULL, NULL),
	    "#k, #c");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeNames", "#k",
	    NULL), "user");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeNames", "#c",
	    NULL), "visits");
	json_decref(root);
}
END_TEST

START_TEST(describe_table_names_only_the_table)
{
	json_t *root = parse(dynamodb_describe_table_body(&tbl));

	ck_assert_str_eq(path_str(root, "TableName", NULL, NULL), "visits");
	ck_assert_int_eq(json_object_size(root), 1);
	json_decref(root);
}
END_TEST

START_TEST(numbers_are_plain_unsigned_64_bit_decimals)
{
	uint64_t v = 7;

	ck_assert_int_eq(dynamodb_parse_u64("0", &v), 0);
	ck_assert_uint_eq(v, 0);
	ck_assert_int_eq(dynamodb_parse_u64("18446744073709551615", &v), 0);
	ck_assert(v == UINT64_MAX);
	ck_assert_int_eq(dynamodb_parse_u64("18446744073709551616", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64("99999999999999999999999", &v),
	    -1);
	ck_assert_int_eq(dynamodb_parse_u64("-1", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64("+1", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64("1.5", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64("1E+3", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64(" 1", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64("", &v), -1);
	ck_assert_int_eq(dynamodb_parse_u64(NULL, &v), -1);
}
END_TEST

#define S(lit)	lit, sizeof(lit) - 1

START_TEST(update_answer_needs_the_count_in_range)
{
	char err[256];
	uint64_t v = 0;

	ck_assert_int_eq(dynamodb_parse_update_item(
	    S("{\"Attributes\":{\"visits\":{\"N\":\"42\"}}}"), "visits", &v,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 42);

	ck_assert_int_eq(dynamodb_parse_update_item(
	    S("{\"Attributes\":{\"visits\":{\"N\":\"18446744073709551616\"}}}"),
	    "visits", &v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unsigned 64-bit"));

	ck_assert_int_eq(dynamodb_parse_update_item(S("{\"Attributes\":{}}"),
	    "visits", &v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "lacks attribute \"visits\""));

	ck_assert_int_eq(dynamodb_parse_update_item(S("{}"), "visits", &v,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "no Attributes"));

	ck_assert_int_eq(dynamodb_parse_update_item(
	    S("{\"Attributes\":{\"visits\":{\"S\":\"42\"}}}"), "visits", &v,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a number"));

	ck_assert_int_eq(dynamodb_parse_update_item(
	    S("{\"Attributes\":{\"visits\":{\"N\":42}}}"), "visits", &v,
	    err, sizeof(err)), -1);

	ck_assert_int_eq(dynamodb_parse_update_item(S("{\"Attributes\":"),
	    "visits", &v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON"));

	ck_assert_int_eq(dynamodb_parse_update_item(S("[1]"), "visits", &v,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "not a JSON object"));
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(get_answer_without_item_counts_zero)
{
	char err[256];
	uint64_t v = 9;

	ck_assert_int_eq(dynamodb_parse_get_item(S("{}"), "visits", &v, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(v, 0);

	ck_assert_int_eq(dynamodb_parse_get_item(
	    S("{\"Item\":{\"user\":{\"S\":\"a\"},\"visits\":{\"N\":\"7\"}}}"),
	    "visits", &v, err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 7);

	v = 9;
	ck_assert_int_eq(dynamodb_parse_get_item(
	    S("{\"Item\":{\"user\":{\"S\":\"a\"}}}"), "visits", &v, err,
	    sizeof(err)), 0);
	ck_assert_uint_eq(v, 0);

	ck_assert_int_eq(dynamodb_parse_get_item(
	    S("{\"Item\":{\"visits\":{\"N\":\"-3\"}}}"), "visits", &v, err,
	    sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "unsigned 64-bit"));

	ck_assert_int_eq(dynamodb_parse_get_item(S("{\"Item\":[]}"),
	    "visits", &v, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "Item is not an object"));

	ck_assert_int_eq(dynamodb_parse_get_item(S("not json"), "visits", &v,
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON"));
}
END_TEST

START_TEST(describe_answer_gives_the_table_status)
{
	char err[256], st[32];

	ck_assert_int_eq(dynamodb_parse_describe_table(
	    S("{\"Table\":{\"TableName\":\"visits\",\"TableStatus\":\"ACTIVE\"}}"),
	    st, sizeof(st), err, sizeof(err)), 0);
	ck_assert_str_eq(st, "ACTIVE");

	ck_assert_int_eq(dynamodb_parse_describe_table(S("{\"Table\":{}}"),
	    st, sizeof(st), err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "TableStatus"));

	ck_assert_int_eq(dynamodb_parse_describe_table(S(""), st, sizeof(st),
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "malformed JSON"));
}
END_TEST

/* ---- dynamodb_item.c, dynamodb_scan.c --------------------------------- */

START_TEST(visits_body_adds_days_and_prunes_a_week_past_366)
{
	const struct dynamodb_day_add days[] = {
		{ 20423, 5, 2 }, { 20424, 1, 0 },
	};
	json_t *root = parse(dynamodb_visits_body(&tbl, "home", 6, 2, days, 2));

	ck_assert_str_eq(path_str(root, "UpdateExpression", NULL, NULL),
	    "ADD #c :n, #u :u, d20423 :v0, u20423 :w0, d20424 :v1 "
	    "REMOVE d20057, u20057, d20056, u20056, d20055, u20055, "
	    "d20054, u20054, d20053, u20053, d20052, u20052, d20051, u20051");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeNames", "#u",
	    NULL), "unique");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":n",
	    "N"), "6");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":v0",
	    "N"), "5");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":w0",
	    "N"), "2");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":u",
	    "N"), "2");
	ck_assert_ptr_null(json_object_get(json_object_get(root,
	    "ExpressionAttributeValues"), ":w1"));
	json_decref(root);
	/* Early days (tests) have nothing to prune. */
	root = parse(dynamodb_visits_body(&tbl, "x", 1, 0, days, 0));
	ck_assert_str_eq(path_str(root, "UpdateExpression", NULL, NULL),
	    "ADD #c :n, #u :u");
	json_decref(root);
}
END_TEST

START_TEST(history_body_projects_up_to_200_days)
{
	json_t *root = parse(dynamodb_history_get_body(&tbl, "h", 100, 2));

	ck_assert_str_eq(path_str(root, "ProjectionExpression", NULL, NULL),
	    "#k, d100, u100, d101, u101");
	ck_assert(json_is_true(json_object_get(root, "ConsistentRead")));
	json_decref(root);
	root = parse(dynamodb_history_get_body(&tbl, "h", 20000, 200));
	ck_assert_uint_lt(strlen(path_str(root, "ProjectionExpression", NULL,
	    NULL)), 4096);
	json_decref(root);
	root = parse(dynamodb_history_get_body(&tbl, "h", 20000, 366));
	ck_assert_ptr_null(json_object_get(root, "ProjectionExpression"));
	json_decref(root);
}
END_TEST

START_TEST(parse_counts_and_history)
{
	uint64_t v, u, hv[3], hu[3];
	char err[128];

	ck_assert_int_eq(dynamodb_parse_counts(S("{\"Attributes\":{\"visits\":"
	    "{\"N\":\"7\"},\"unique\":{\"N\":\"3\"}}}"), &tbl, true, &v, &u,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(v, 7);
	ck_assert_uint_eq(u, 3);
	ck_assert_int_eq(dynamodb_parse_counts(S("{}"), &tbl, false, &v, &u,
	    err, sizeof(err)), 0);
	ck_assert_uint_eq(v + u, 0);
	ck_assert_int_eq(dynamodb_parse_counts(S("{}"), &tbl, true, &v, &u,
	    err, sizeof(err)), -1);
	ck_assert_int_eq(dynamodb_parse_counts(S("{\"Item\":{\"visits\":"
	    "{\"N\":\"1\"},\"unique\":{\"N\":\"-1\"}}}"), &tbl, false, &v,
	    &u, err, sizeof(err)), -1);
	ck_assert_int_eq(dynamodb_parse_history(S("{\"Item\":{\"d11\":"
	    "{\"N\":\"4\"},\"u11\":{\"N\":\"2\"},\"d99\":{\"N\":\"1\"}}}"), 10, 3,
	    hv, hu, err, sizeof(err)), 0);
	ck_assert_uint_eq(hv[0], 0);
	ck_assert_uint_eq(hv[1], 4);
	ck_assert_uint_eq(hu[1], 2);
	ck_assert_uint_eq(hv[2], 0);
	ck_assert_int_eq(dynamodb_parse_history(S("{\"Item\":{\"d10\":"
	    "{\"S\":\"4\"}}}"), 10, 3, hv, hu, err, sizeof(err)), -1);
}
END_TEST

START_TEST(visitor_and_salt_items)
{
	uint8_t hash[DYNAMODB_VISITOR_LEN];
	char key[DYNAMODB_KEY_MAX], buf[8], err[128];
	json_t *root;

	memset(hash, 0xab, sizeof(hash));
	dynamodb_visitor_key(key, sizeof(key), 20423, hash);
	ck_assert_str_eq(key, "v#20423#abababababababababababababababab"
	    "abababababababababababababababab");
	dynamodb_salt_key(key, sizeof(key), 7);
	ck_assert_str_eq(key, "s#7");
	root = parse(dynamodb_put_new_body(&tbl, "s#7", "salt", "00ff", 86400));
	ck_assert_str_eq(path_str(root, "ConditionExpression", NULL, NULL),
	    "attribute_not_exists(#k)");
	ck_assert_str_eq(path_str(root, "Item", "salt", "S"), "00ff");
	ck_assert_str_eq(path_str(root, "Item", "ttl", "N"), "86400");
	ck_assert_str_eq(path_str(root, "Item", "user", "S"), "s#7");
	json_decref(root);
	root = parse(dynamodb_delete_body(&tbl, "v#1#00", "tok"));
	ck_assert_str_eq(path_str(root, "ConditionExpression", NULL, NULL),
	    "#t = :t");
	ck_assert_str_eq(path_str(root, "ExpressionAttributeValues", ":t",
	    "S"), "tok");
	json_decref(root);
	ck_assert_int_eq(dynamodb_parse_string(S("{\"Item\":{\"t\":{\"S\":"
	    "\"abc\"}}}"), "t", buf, sizeof(buf), err, sizeof(err)), 1);
	ck_assert_str_eq(buf, "abc");
	ck_assert_int_eq(dynamodb_parse_string(S("{}"), "t", buf, sizeof(buf),
	    err, sizeof(err)), 0);
	ck_assert_int_eq(dynamodb_parse_string(S("{\"Item\":{\"t\":{\"S\":"
	    "\"abcdefghij\"}}}"), "t", buf, sizeof(buf), err, sizeof(err)), -1);
}
END_TEST

static int
scan_each(void *arg, const char *id, uint64_t visits, uint64_t unique)
{
	int *n = arg;

	ck_assert_str_eq(id, "a");
	ck_assert_uint_eq(visits, 3);
	ck_assert_uint_eq(unique, 1);
	(*n)++;
	return 0;
}

START_TEST(scan_pages_and_skips_salt_and_visitor_items)
{
	char *next, err[128];
	json_t *root;
	int n = 0;

	root = parse(dynamodb_scan_body(&tbl, 500, "{\"user\":{\"S\":\"a\"}}"));
	ck_assert_str_eq(path_str(root, "ExclusiveStartKey", "user", "S"), "a");
	ck_assert_str_eq(path_str(root, "FilterExpression", NULL, NULL),
	    "attribute_exists(#c)");
	json_decref(root);
	ck_assert_int_eq(dynamodb_parse_scan(S("{\"Items\":[{\"user\":{\"S\":"
	    "\"a\"},\"visits\":{\"N\":\"3\"},\"unique\":{\"N\":\"1\"}},"
	    "{\"user\":{\"S\":\"s#1\"},\"visits\":{\"N\":\"9\"}}],"
	    "\"LastEvaluatedKey\":{\"user\":{\"S\":\"a\"}}}"), &tbl, scan_each,
	    &n, &next, err, sizeof(err)), 0);
	ck_assert_int_eq(n, 1);
	ck_assert_str_eq(next, "{\"user\":{\"S\":\"a\"}}");
	free(next);
	ck_assert_int_eq(dynamodb_parse_scan(S("{\"Items\":[]}"), &tbl,
	    scan_each, &n, &next, err, sizeof(err)), 0);
	ck_assert_ptr_null(next);
	ck_assert_int_eq(dynamodb_parse_scan(S("{\"Items\":[{\"visits\":"
	    "{\"N\":\"1\"}}]}"), &tbl, scan_each, &n, &next, err,
	    sizeof(err)), -1);
}
END_TEST

Suite *suite_dynamodb(void)
{
	Suite *s = suite_create("dynamodb");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, update_item_adds_n_and_returns_the_new_count);
	tcase_add_test(tc, visits_body_adds_days_and_prunes_a_week_past_366);
	tcase_add_test(tc, history_body_projects_up_to_200_days);
	tcase_add_test(tc, parse_counts_and_history);
	tcase_add_test(tc, visitor_and_salt_items);
	tcase_add_test(tc, scan_pages_and_skips_salt_and_visitor_items);
	tcase_add_test(tc, update_item_escapes_any_table_and_attribute_name);
	tcase_add_test(tc, get_item_is_consistent_and_projects_both_names);
	tcase_add_test(tc, describe_table_names_only_the_table);
	tcase_add_test(tc, numbers_are_plain_unsigned_64_bit_decimals);
	tcase_add_test(tc, update_answer_needs_the_count_in_range);
	tcase_add_test(tc, get_answer_without_item_counts_zero);
	tcase_add_test(tc, describe_answer_gives_the_table_status);
	suite_add_tcase(s, tc);
	return s;
}

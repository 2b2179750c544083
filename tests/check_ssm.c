/*
 * check_ssm: the GetParameter request and answer parser.  The value is a
 * secret: error messages must not contain it.
 */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "aws/ssm.h"

Suite *suite_ssm(void);

START_TEST(get_parameter_asks_for_decryption)
{
	char *s = ssm_get_parameter_body("/visitsd/api-key");
	json_t *root;

	ck_assert_ptr_nonnull(s);
	root = json_loads(s, 0, NULL);
	ck_assert_ptr_nonnull(root);
	ck_assert_str_eq(json_string_value(json_object_get(root, "Name")),
	    "/visitsd/api-key");
	ck_assert(json_is_true(json_object_get(root, "WithDecryption")));
	ck_assert_int_eq(json_object_size(root), 2);
	json_decref(root);
	free(s);
}
END_TEST

#define S(lit)	lit, sizeof(lit) - 1

START_TEST(answer_value_is_returned_and_never_quoted_in_errors)
{
	char err[256], *v;

	v = ssm_parse_get_parameter(S("{\"Parameter\":{\"Name\":\"/k\","
	    "\"Type\":\"SecureString\",\"Value\":\"k1,k2\",\"Version\":3}}"),
	    err, sizeof(err));
	ck_assert_ptr_nonnull(v);
	ck_assert_str_eq(v, "k1,k2");
	free(v);

	v = ssm_parse_get_parameter(S("{\"Parameter\":{\"Value\":7}}"), err,
	    sizeof(err));
	ck_assert_ptr_null(v);
	ck_assert_ptr_nonnull(strstr(err, "Parameter.Value"));

	v = ssm_parse_get_parameter(S("{}"), err, sizeof(err));
	ck_assert_ptr_null(v);

	v = ssm_parse_get_parameter(S("{\"Parameter\":{\"Value\":\"sec"),
	    err, sizeof(err));
	ck_assert_ptr_null(v);
	ck_assert_ptr_null(strstr(err, "sec"));
}
END_TEST

Suite *suite_ssm(void)
{
	Suite *s = suite_create("ssm");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, get_parameter_asks_for_decryption);
	tcase_add_test(tc, answer_value_is_returned_and_never_quoted_in_errors);
	suite_add_tcase(s, tc);
	return s;
}

/*
 * check_region: the order region_resolve consults its sources in (IMDS,
 * the last, is covered with the IMDS provider in check_creds_http.c).
 */
#include "creds_fixture.h"
#include "aws/region.h"

Suite *suite_region(void);

START_TEST(region_prefers_env_then_profile)
{
	char err[512] = "", *r;

	ck_assert_ptr_null(region_resolve(err, sizeof(err)));
	ck_assert_ptr_nonnull(strstr(err, "AWS_REGION"));
	write_file("config", "[default]\nregion = ap-south-1\n");
	snprintf(err, sizeof(err), "%s/config", tmpdir);
	setenv("AWS_CONFIG_FILE", err, 1);
	ck_assert_str_eq(r = region_resolve(err, sizeof(err)),
	    "ap-south-1");
	free(r);
	setenv("AWS_DEFAULT_REGION", "eu-north-1", 1);
	ck_assert_str_eq(r = region_resolve(err, sizeof(err)),
	    "eu-north-1");
	free(r);
	setenv("AWS_REGION", "sa-east-1", 1);
	ck_assert_str_eq(r = region_resolve(err, sizeof(err)),
	    "sa-east-1");
	free(r);
}
END_TEST

Suite *suite_region(void)
{
	Suite *s = suite_create("region");
	TCase *tc = tcase_create("order");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, region_prefers_env_then_profile);
	suite_add_tcase(s, tc);
	return s;
}

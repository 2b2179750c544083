/*
 * check_keysource: reading the API key list from the setting and from a
 * key file (the SSM source is the AWS backend's and tested there).
 */
#include <check.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "apikey.h"
#include "config.h"
#include "keysource.h"
#include "util.h"

Suite *suite_keysource(void);

#define SECRET	"k3y-canary-91d2"

static char dir[64];

static void
setup(void)
{
	snprintf(dir, sizeof(dir), "/tmp/check_keysource.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void
teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write len bytes to dir/name with mode; returns the path (static). */
static const char *
key_file(const char *name, const void *data, size_t len, mode_t mode)
{
	static char path[128];
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	ck_assert_int_ge(fd, 0);
	ck_assert_int_eq(write(fd, data, len), (ssize_t)len);
	ck_assert_int_eq(fchmod(fd, mode), 0);
	close(fd);
	return path;
}

/*
 * keysource_load with cfg's api_key_file set to path; stderr captured into
 * *errs (a new string).  Returns the set or NULL.
 */
static struct apikey_set *
load(const char *path, char *err, size_t errlen, char **errs)
{
	struct config cfg;
	struct apikey_set *set;
	char buf[4096], why[256];
	FILE *tmp = tmpfile();
	size_t n;
	int saved;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "api_key_file", path, why,
	    sizeof(why)), 0);
	fflush(stderr);
	saved = dup(2);
	dup2(fileno(tmp), 2);
	set = keysource_load(&cfg, err, errlen);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	n = fread(buf, 1, sizeof(buf) - 1, tmp);
	buf[n] = '\0';
	fclose(tmp);
	*errs = xstrdup(buf);
	config_cleanup(&cfg);
	return set;
}

START_TEST(setting_holds_a_key_list_never_described)
{
	struct config cfg;
	struct apikey_set *set;
	char err[256], src[128];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "api_key", "one, two", err,
	    sizeof(err)), 0);
	ck_assert_ptr_nonnull(set = keysource_load(&cfg, err, sizeof(err)));
	ck_assert_uint_eq(apikey_set_count(set), 2);
	apikey_set_free(set);
	keysource_describe(&cfg, src, sizeof(src));
	ck_assert_ptr_null(strstr(src, "one"));
	config_cleanup(&cfg);
}
END_TEST

START_TEST(file_keys_are_trimmed)
{
	struct apikey_set *set;
	char err[256], *errs;
	const char *path;

	path = key_file("key", SECRET "\n", strlen(SECRET) + 1, 0600);
	ck_assert_ptr_nonnull(set = load(path, err, sizeof(err), &errs));
	ck_assert_uint_eq(apikey_set_count(set), 1);
	ck_assert_str_eq(errs, "");
	apikey_set_free(set);
	free(errs);

	path = key_file("keys", " a1,b2 ,\n", 9, 0400);
	ck_assert_ptr_nonnull(set = load(path, err, sizeof(err), &errs));
	ck_assert_uint_eq(apikey_set_count(set), 2);
	apikey_set_free(set);
	free(errs);
}
END_TEST

START_TEST(file_readable_by_others_warns_without_the_key)
{
	struct apikey_set *set;
	char err[256], *errs;
	const char *path;

	path = key_file("open", SECRET, strlen(SECRET), 0644);
	ck_assert_ptr_nonnull(set = load(path, err, sizeof(err), &errs));
	ck_assert_msg(strstr(errs, "is readable by everyone") != NULL, "%s",
	    errs);
	ck_assert_ptr_null(strstr(errs, SECRET));
	apikey_set_free(set);
	free(errs);

	path = key_file("group", SECRET, strlen(SECRET), 0640);
	ck_assert_ptr_nonnull(set = load(path, err, sizeof(err), &errs));
	ck_assert_ptr_nonnull(strstr(errs, "is readable by its group"));
	apikey_set_free(set);
	free(errs);
}
END_TEST

START_TEST(file_errors_name_the_file_never_the_key)
{
	char err[256], want[256], missing[128], *errs, *big;
	const char *path;

	snprintf(want, sizeof(want), "API key file %s/missing: No such file "
	    "or directory", dir);
	snprintf(missing, sizeof(missing), "%s/missing", dir);
	ck_assert_ptr_null(load(missing, err, sizeof(err), &errs));
	ck_assert_str_eq(err, want);
	free(errs);

	ck_assert_ptr_null(load(dir, err, sizeof(err), &errs));
	ck_assert_ptr_nonnull(strstr(err, "not a regular file"));
	free(errs);

	path = key_file("empty", " \n", 2, 0600);
	ck_assert_ptr_null(load(path, err, sizeof(err), &errs));
	snprintf(want, sizeof(want), "API key file %s: ", path);
	ck_assert_int_eq(strncmp(err, want, strlen(want)), 0);
	free(errs);

	path = key_file("nul", SECRET "\0x", strlen(SECRET) + 2, 0600);
	ck_assert_ptr_null(load(path, err, sizeof(err), &errs));
	ck_assert_ptr_nonnull(strstr(err, "NUL"));
	ck_assert_ptr_null(strstr(err, SECRET));
	free(errs);

	big = xmalloc(70000);
	memset(big, 'k', 70000);
	path = key_file("big", big, 70000, 0600);
	free(big);
	ck_assert_ptr_null(load(path, err, sizeof(err), &errs));
	ck_assert_ptr_nonnull(strstr(err, "larger than"));
	free(errs);
}
END_TEST

START_TEST(describe_names_file_or_parameter)
{
	struct config cfg;
	char err[256], src[128];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "api_key_file", "/etc/k", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(keysource_describe(&cfg, src, sizeof(src)),
	    "file /etc/k");
	ck_assert_int_eq(config_set(&cfg, "api_key_file", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key_parameter", "/v/k", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(keysource_describe(&cfg, src, sizeof(src)),
	    "SSM parameter /v/k");
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_keysource(void)
{
	Suite *s = suite_create("keysource");
	TCase *tc = tcase_create("keysource");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, setting_holds_a_key_list_never_described);
	tcase_add_test(tc, file_keys_are_trimmed);
	tcase_add_test(tc, file_readable_by_others_warns_without_the_key);
	tcase_add_test(tc, file_errors_name_the_file_never_the_key);
	tcase_add_test(tc, describe_names_file_or_parameter);
	suite_add_tcase(s, tc);
	return s;
}

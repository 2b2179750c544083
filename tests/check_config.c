/*
 * check_config: the settings table, parsing, precedence, validation and
 * the generated docs.
 *
 * Tests run from the repository root (make check-unit does), so the
 * committed docs/configuration.md and config.example.ini are compared with
 * what the table generates now; a stale file fails here.
 */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "config_doc.h"
#include "config_table.h"

Suite *suite_config(void);

#define CANARY	"canary-s3cr3t-7f4e"

static char tmpdir[64];

static void
setup_tmpdir(void)
{
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/check_config.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
}

static void
teardown_tmpdir(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Write text to a file in tmpdir; returns its path (static buffer). */
static const char *
write_file(const char *name, const char *text)
{
	static char path[128];
	FILE *fp;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	ck_assert_ptr_nonnull(fp = fopen(path, "w"));
	fputs(text, fp);
	ck_assert_int_eq(fclose(fp), 0);
	return path;
}

/* Read a whole file into a new string, or NULL. */
static char *
read_all(FILE *fp)
{
	char *buf = NULL;
	size_t len = 0, n;
	char chunk[4096];

	rewind(fp);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		ck_assert_ptr_nonnull(buf = realloc(buf, len + n + 1));
		memcpy(buf + len, chunk, n);
		len += n;
	}
	if (buf == NULL)
		buf = strdup("");
	else
		buf[len] = '\0';
	return buf;
}

static char *
read_path(const char *path)
{
	FILE *fp = fopen(path, "r");
	char *s;

	if (fp == NULL)
		return NULL;
	s = read_all(fp);
	fclose(fp);
	return s;
}

/* What fn writes to a stream, as a new string. */
static char *
generate(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *fp = open_memstream(&buf, &len);

	ck_assert_ptr_nonnull(fp);
	fn(fp);
	ck_assert_int_eq(fclose(fp), 0);
	return buf;
}

/*
 * Run config_from_args on argv (NULL-terminated) and envp with stdout and
 * stderr captured.  Returns the function's result; *status, *out and *errs
 * (new strings) get the rest.
 */
static int
run_args(struct config *cfg, const char *const *args, char *const envp[],
    bool *check_only, int *status, char **out, char **errs)
{
	char *argv[32];
	FILE *o = tmpfile(), *e = tmpfile();
	int argc = 0, so, se, rc;

	ck_assert_ptr_nonnull(o);
	ck_assert_ptr_nonnull(e);
	argv[argc++] = (char *)(uintptr_t)"visitsd";
	for (; *args != NULL; args++)
		argv[argc++] = (char *)(uintptr_t)*args;
	argv[argc] = NULL;
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	dup2(fileno(o), 1);
	dup2(fileno(e), 2);
	rc = config_from_args(cfg, argc, argv, envp, check_only, status);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	*out = read_all(o);
	*errs = read_all(e);
	fclose(o);
	fclose(e);
	return rc;
}

static char *const no_env[] = { NULL };

START_TEST(defaults_are_the_documented_ones)
{
	struct config cfg;

	config_init(&cfg);
	ck_assert_str_eq(cfg.listen, "127.0.0.1:8080");
	ck_assert_str_eq(cfg.metrics_listen, "");
	ck_assert_int_eq(cfg.threads, 4);
	ck_assert_int_eq(cfg.max_connections, 1024);
	ck_assert_int_eq(cfg.connection_timeout, 30);
	ck_assert_int_eq(cfg.max_body, 1024);
	ck_assert_int_eq(cfg.shutdown_timeout, 10);
	ck_assert(!cfg.get_increments);
	ck_assert_str_eq(cfg.auth, "key");
	ck_assert_str_eq(cfg.api_key, "");
	ck_assert_str_eq(cfg.api_key_file, "");
	ck_assert_str_eq(cfg.api_key_parameter, "");
	ck_assert_str_eq(cfg.allowed_origins, "*");
	ck_assert_int_eq(cfg.cors_max_age, 600);
	ck_assert_str_eq(cfg.log_level, "info");
	ck_assert_str_eq(cfg.log_format, "auto");
	ck_assert_str_eq(cfg.store, "sqlite");
	ck_assert_str_eq(cfg.sqlite_path, "var/visits.db");
	ck_assert_str_eq(cfg.dynamodb_table, "visits");
	ck_assert_str_eq(cfg.dynamodb_key_attribute, "user");
	ck_assert_str_eq(cfg.dynamodb_count_attribute, "visits");
	ck_assert_str_eq(cfg.unknown_env, "");
	ck_assert_int_eq(cfg.aws_connect_timeout_ms, 1000);
	ck_assert_int_eq(cfg.aws_request_timeout_ms, 3000);
	ck_assert_int_eq(cfg.ssm_startup_timeout, 60);
	config_cleanup(&cfg);
	ck_assert_ptr_null(cfg.listen);
	ck_assert_ptr_null(cfg.api_key);
}
END_TEST

START_TEST(integers_are_whole_numbers_within_bounds)
{
	struct config cfg;
	char err[256];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "threads", "2", err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.threads, 2);
	ck_assert_int_eq(config_set(&cfg, "threads", "64", err, sizeof(err)),
	    0);
	ck_assert_int_eq(cfg.threads, 64);
	ck_assert_int_eq(config_set(&cfg, "threads", "1", err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "threads: 1 is below the minimum 2");
	ck_assert_int_eq(config_set(&cfg, "threads", "65", err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "threads: 65 is above the maximum 64");
	ck_assert_int_eq(config_set(&cfg, "threads", "4x", err, sizeof(err)),
	    -1);
	ck_assert_str_eq(err, "threads: \"4x\" is not a whole number");
	ck_assert_int_eq(config_set(&cfg, "threads", " 4", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(config_set(&cfg, "threads", "", err, sizeof(err)),
	    -1);
	ck_assert_int_eq(config_set(&cfg, "threads", "99999999999999999999",
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "above the maximum 64"));
	ck_assert_int_eq(config_set(&cfg, "threads", "-99999999999999999999",
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "below the minimum 2"));
	ck_assert_int_eq(cfg.threads, 64);	/* failures change nothing */
	ck_assert_int_eq(config_set(&cfg, "max_body", "0", err, sizeof(err)),
	    0);
	ck_assert_int_eq(cfg.max_body, 0);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(booleans_take_the_usual_spellings)
{
	static const char *const yes[] = { "true", "YES", "on", "1" };
	static const char *const no[] = { "false", "No", "OFF", "0" };
	struct config cfg;
	char err[256];
	size_t i;

	config_init(&cfg);
	for (i = 0; i < 4; i++) {
		ck_assert_int_eq(config_set(&cfg, "get_increments", yes[i],
		    err, sizeof(err)), 0);
		ck_assert(cfg.get_increments);
		ck_assert_int_eq(config_set(&cfg, "get_increments", no[i],
		    err, sizeof(err)), 0);
		ck_assert(!cfg.get_increments);
	}
	ck_assert_int_eq(config_set(&cfg, "VISITSD_GET_INCREMENTS", "maybe",
	    err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_GET_INCREMENTS: \"maybe\" "
	    "is not a boolean"));
	ck_assert_int_eq(config_set(&cfg, "get_increments", "", err,
	    sizeof(err)), -1);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(enumerations_ignore_case_and_refuse_others)
{
	struct config cfg;
	char err[256];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "store", "DynamoDB", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.store, "dynamodb");
	ck_assert_int_eq(config_set(&cfg, "VISITSD_STORE", "mysql", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_STORE: \"mysql\" is not one of "
	    "sqlite, dynamodb");
	ck_assert_str_eq(cfg.store, "dynamodb");
	ck_assert_int_eq(config_set(&cfg, "log_format", "json", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.log_format, "json");
	ck_assert_int_eq(config_set(&cfg, "log_level", "verbose", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "auth", "", err, sizeof(err)), -1);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(strings_are_checked_and_empty_clears_them)
{
	struct config cfg;
	char err[256];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "sqlite_path", "/tmp/x.db", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.sqlite_path, "/tmp/x.db");
	/* An empty value clears a string. */
	ck_assert_int_eq(config_set(&cfg, "allowed_origins", "", err,
	    sizeof(err)), 0);
	ck_assert_str_eq(cfg.allowed_origins, "");
	ck_assert_int_eq(config_set(&cfg, "allowed_origins",
	    "https://example.com,http://localhost:3000", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "allowed_origins",
	    "https://example.com/path", err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "allowed_origins: "
	    "\"https://example.com/path\" is not an origin"));
	/* Blanks around entries and a trailing slash, as api.c reads them. */
	ck_assert_int_eq(config_set(&cfg, "allowed_origins",
	    "https://a.com/, https://b.com", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "allowed_origins",
	    "https://a.com,,https://b.com", err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "allowed_origins",
	    "https://a.com https://b.com", err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "allowed_origins", "example.com",
	    err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "allowed_origins", "https://", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "dynamodb_table", "ab", err,
	    sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "dynamodb_table", "my-table.v2",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key_parameter",
	    "/visitsd/api-key", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key_parameter", "has space",
	    err, sizeof(err)), -1);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(listen_addresses_follow_the_hostport_grammar)
{
	static const char *const good[] = { "127.0.0.1:8080", "[::1]:0",
	    "0.0.0.0:65535", "localhost:80", "[::]:8080", ":80", "*:80" };
	static const char *const bad[] = { "::1:80", "127.0.0.1", "**:80",
	    "host:", "host:65536", "host:8o", "[::1]80", "[zz]:80",
	    "1.2.3.4.5:80", "a_b:80", "[]:80" };
	struct config cfg;
	char err[256];
	size_t i;

	config_init(&cfg);
	for (i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(config_set(&cfg, "listen", good[i], err,
		    sizeof(err)) == 0, "%s: %s", good[i], err);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert_msg(config_set(&cfg, "VISITSD_LISTEN", bad[i], err,
		    sizeof(err)) == -1, "%s accepted", bad[i]);
		ck_assert_ptr_nonnull(strstr(err, "VISITSD_LISTEN: "));
	}
	config_cleanup(&cfg);
}
END_TEST

START_TEST(a_setting_answers_to_each_of_its_names)
{
	static const char *const names[] = { "server.max_connections",
	    "VISITSD_MAX_CONNECTIONS", "--max-connections", "max-connections",
	    "max_connections" };
	struct config cfg;
	char err[256];
	size_t i;

	config_init(&cfg);
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		ck_assert_int_eq(config_set(&cfg, names[i], "77", err,
		    sizeof(err)), 0);
		ck_assert_int_eq(cfg.max_connections, 77);
		cfg.max_connections = 0;
	}
	ck_assert_int_eq(config_set(&cfg, "auth.max_connections", "7", err,
	    sizeof(err)), -1);
	ck_assert_str_eq(err, "auth.max_connections: no such setting");
	ck_assert_int_eq(config_set(&cfg, "visitsd_threads", "7", err,
	    sizeof(err)), -1);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(an_ini_file_sets_its_keys)
{
	struct config cfg;
	char err[512];
	const char *path;

	config_init(&cfg);
	path = write_file("ok.ini",
	    "; a comment\n"
	    "[server]\n"
	    "listen = 0.0.0.0:9000\n"
	    "threads = 8   ; inline comment\n"
	    "get_increments = yes\n"
	    "[auth]\n"
	    "api_key_file = /run/secrets/key\n"
	    "[store]\n"
	    "store = dynamodb\n");
	ck_assert_msg(config_load_file(&cfg, path, err, sizeof(err)) == 0,
	    "%s", err);
	ck_assert_str_eq(cfg.listen, "0.0.0.0:9000");
	ck_assert_int_eq(cfg.threads, 8);
	ck_assert(cfg.get_increments);
	ck_assert_str_eq(cfg.api_key_file, "/run/secrets/key");
	ck_assert_str_eq(cfg.store, "dynamodb");
	config_cleanup(&cfg);
}
END_TEST

/* Load text as a file; expect failure with "<path>:<want>" in err. */
static void
expect_file_error(const char *text, const char *want)
{
	struct config cfg;
	char err[512], full[256];
	const char *path;

	config_init(&cfg);
	path = write_file("bad.ini", text);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(full, sizeof(full), "%s:%s", path, want);
	ck_assert_msg(strcmp(err, full) == 0, "got \"%s\", want \"%s\"", err,
	    full);
	config_cleanup(&cfg);
}

START_TEST(ini_errors_name_the_file_and_line)
{
	char err[512], big[400], text[512], want[256];
	struct config cfg;
	const char *path;

	expect_file_error("[server]\nthreads = 4\n\nbogus = 1\n",
	    "4: unknown key \"bogus\" in [server]");
	expect_file_error("[server]\n[nope]\nx = 1\n",
	    "3: unknown section [nope]");
	expect_file_error("threads = 4\n", "1: unknown section []");
	expect_file_error("[auth]\nthreads = 4\n",
	    "2: unknown key \"threads\" in [auth]");
	expect_file_error("[server]\nthreads = 1\n",
	    "2: [server] threads: 1 is below the minimum 2");
	expect_file_error("[server]\nthreads = 4\nthreads = 5\n",
	    "3: [server] threads is set twice");
	expect_file_error("[server]\nthreads = 4\njunk\n",
	    "3: syntax error (expected [section] or key = value)");
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	config_init(&cfg);
	snprintf(text, sizeof(text), "[server]\nlisten = %s\n", big);
	path = write_file("long.ini", text);
	ck_assert_int_eq(config_load_file(&cfg, path, err, sizeof(err)), -1);
	snprintf(want, sizeof(want), "%s:2: line longer than ", path);
	ck_assert_msg(strncmp(err, want, strlen(want)) == 0, "%s", err);
	config_cleanup(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(config_load_file(&cfg, "/nonexistent/visitsd.ini",
	    err, sizeof(err)), -1);
	ck_assert_str_eq(err, "/nonexistent/visitsd.ini: No such file or "
	    "directory");
	config_cleanup(&cfg);
}
END_TEST

START_TEST(environment_sets_settings_and_collects_unknown_names)
{
	char *const env[] = { (char *)(uintptr_t)"PATH=/bin",
	    (char *)(uintptr_t)"VISITSD_THREADS=6",
	    (char *)(uintptr_t)"VISITSD_NOT_A_SETTING=1",
	    (char *)(uintptr_t)"VISITSD_LOG_LEVEL=debug", NULL };
	char *const bad[] = { (char *)(uintptr_t)"VISITSD_THREADS=1", NULL };
	struct config cfg;
	char err[256];

	config_init(&cfg);
	ck_assert_int_eq(config_load_env(&cfg, env, err, sizeof(err)), 0);
	ck_assert_int_eq(cfg.threads, 6);
	ck_assert_str_eq(cfg.log_level, "debug");
	ck_assert_str_eq(cfg.unknown_env, "VISITSD_NOT_A_SETTING");
	ck_assert_int_eq(config_load_env(&cfg, env, err, sizeof(err)), 0);
	ck_assert_str_eq(cfg.unknown_env, "VISITSD_NOT_A_SETTING, "
	    "VISITSD_NOT_A_SETTING");
	ck_assert_int_eq(config_load_env(&cfg, bad, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_THREADS: 1 is below the minimum 2");
	config_cleanup(&cfg);
}
END_TEST

START_TEST(flags_beat_environment_beat_file_beat_defaults)
{
	char *const env[] = { (char *)(uintptr_t)"VISITSD_THREADS=6",
	    (char *)(uintptr_t)"VISITSD_MAX_BODY=300", NULL };
	const char *file_only[] = { "-c", NULL, NULL };
	const char *all[] = { "-c", NULL, "--threads=7", "--auth", "none",
	    "-n", NULL };
	struct config cfg;
	char *out, *errs;
	const char *path;
	bool check;
	int status;

	path = write_file("p.ini", "[server]\nthreads = 5\nmax_body = 200\n"
	    "max_connections = 100\n");
	file_only[1] = all[1] = path;

	config_init(&cfg);
	ck_assert_int_eq(run_args(&cfg, file_only, no_env, &check, &status,
	    &out, &errs), 0);
	ck_assert_int_eq(cfg.threads, 5);
	ck_assert_int_eq(cfg.max_body, 200);
	ck_assert(!check);
	free(out);
	free(errs);
	config_cleanup(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(run_args(&cfg, file_only, env, &check, &status,
	    &out, &errs), 0);
	ck_assert_int_eq(cfg.threads, 6);
	ck_assert_int_eq(cfg.max_body, 300);
	ck_assert_int_eq(cfg.max_connections, 100);
	free(out);
	free(errs);
	config_cleanup(&cfg);

	config_init(&cfg);
	ck_assert_int_eq(run_args(&cfg, all, env, &check, &status, &out,
	    &errs), 0);
	ck_assert_int_eq(status, 0);
	ck_assert_int_eq(cfg.threads, 7);
	ck_assert_int_eq(cfg.max_body, 300);
	ck_assert_int_eq(cfg.max_connections, 100);
	ck_assert_str_eq(cfg.auth, "none");
	ck_assert(check);
	ck_assert_str_eq(errs, "");
	free(out);
	free(errs);
	config_cleanup(&cfg);
}
END_TEST

/* config_from_args must stop with status want and say why on stderr. */
static void
expect_exit(const char *const *args, char *const envp[], int want,
    const char *say)
{
	struct config cfg;
	char *out, *errs;
	bool check;
	int status = -1;

	config_init(&cfg);
	ck_assert_int_eq(run_args(&cfg, args, envp, &check, &status, &out,
	    &errs), -1);
	ck_assert_int_eq(status, want);
	ck_assert_msg(strstr(errs, say) != NULL, "stderr \"%s\" lacks \"%s\"",
	    errs, say);
	ck_assert_ptr_null(strstr(errs, CANARY));
	ck_assert_ptr_null(strstr(out, CANARY));
	free(out);
	free(errs);
	config_cleanup(&cfg);
}

START_TEST(bad_input_stops_with_exit_78_saying_why)
{
	char *const env[] = { (char *)(uintptr_t)"VISITSD_API_KEY=" CANARY,
	    (char *)(uintptr_t)"VISITSD_THREADS=1", NULL };
	const char *a1[] = { "--threads=1", NULL };
	const char *a2[] = { "--no-such-flag", NULL };
	const char *a3[] = { "-c", "/nonexistent.ini", NULL };
	const char *a4[] = { "stray", NULL };
	const char *a5[] = { "-n", NULL };
	const char *a6[] = { "--api-key=" CANARY, "--store=oracle", NULL };
	char *const origins[] = {
	    (char *)(uintptr_t)"VISITSD_ALLOWED_ORIGINS=https://a.example?x",
	    NULL };

	expect_exit(a1, no_env, EX_CONFIG_EXIT,
	    "visitsd: --threads: 1 is below the minimum 2\n");
	expect_exit(a2, no_env, EX_CONFIG_EXIT, "no-such-flag");
	expect_exit(a3, no_env, EX_CONFIG_EXIT,
	    "/nonexistent.ini: No such file");
	expect_exit(a4, no_env, EX_CONFIG_EXIT, "unexpected argument");
	expect_exit(a5, env, EX_CONFIG_EXIT,
	    "visitsd: VISITSD_THREADS: 1 is below the minimum 2\n");
	expect_exit(a6, no_env, EX_CONFIG_EXIT, "--store: \"oracle\"");
	/* -n refuses the origin list that startup would refuse (issue 8). */
	expect_exit(a5, origins, EX_CONFIG_EXIT, "visitsd: "
	    "VISITSD_ALLOWED_ORIGINS: \"https://a.example?x\" is not an "
	    "origin");
}
END_TEST

START_TEST(help_and_version_print_and_exit_0)
{
	const char *h[] = { "--help", NULL };
	const char *v[] = { "-V", NULL };
	struct config cfg;
	char *out, *errs;
	bool check;
	int status = -1;

	config_init(&cfg);
	ck_assert_int_eq(run_args(&cfg, v, no_env, &check, &status, &out,
	    &errs), -1);
	ck_assert_int_eq(status, 0);
	ck_assert_str_eq(out, "visitsd " VISITSD_VERSION "\n");
	free(out);
	free(errs);
	ck_assert_int_eq(run_args(&cfg, h, no_env, &check, &status, &out,
	    &errs), -1);
	ck_assert_int_eq(status, 0);
	ck_assert_ptr_nonnull(strstr(out, "--max-connections=N"));
	ck_assert_ptr_nonnull(strstr(out, "VISITSD_API_KEY_FILE"));
	free(out);
	free(errs);
	config_cleanup(&cfg);
}
END_TEST

/* Every setting's three names appear in help and docs. */
START_TEST(help_and_docs_name_every_setting)
{
	char *usage = generate(config_doc_usage);
	char *md = generate(config_doc_markdown);
	char *ini = generate(config_doc_example);
	char env[CONFIG_NAME_MAX], flag[CONFIG_NAME_MAX + 2], key[96];
	size_t i;

	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_table_settings[i];

		config_table_env_name(s, env, sizeof(env));
		snprintf(flag, sizeof(flag), "--");
		config_table_flag_name(s, flag + 2, sizeof(flag) - 2);
		snprintf(key, sizeof(key), "\n#%s =", s->name);
		ck_assert_msg(strstr(usage, env) && strstr(usage, flag),
		    "usage misses %s", s->name);
		ck_assert_msg(strstr(md, env) && strstr(md, flag),
		    "markdown misses %s", s->name);
		ck_assert_msg(strstr(ini, key) != NULL ||
		    s->example != NULL, "example misses %s", s->name);
	}
	free(usage);
	free(md);
	free(ini);
}
END_TEST

START_TEST(a_secret_is_never_printed)
{
	struct config cfg;
	char err[256];
	char *usage, *md, *ini;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "api_key", CANARY, err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key_file", "/x", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_null(strstr(err, CANARY));
	usage = generate(config_doc_usage);
	md = generate(config_doc_markdown);
	ini = generate(config_doc_example);
	ck_assert_ptr_null(strstr(usage, CANARY));
	ck_assert_ptr_null(strstr(md, CANARY));
	ck_assert_ptr_null(strstr(ini, CANARY));
	/* The secret's entry shows no value at all. */
	ck_assert_ptr_nonnull(strstr(ini, "\n#api_key =\n"));
	ck_assert_ptr_nonnull(strstr(md, "none (secret)"));
	free(usage);
	free(md);
	free(ini);
	config_cleanup(&cfg);
}
END_TEST

START_TEST(auth_key_needs_exactly_one_key_source)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "no API key source: set VISITSD_API_KEY, "
	    "VISITSD_API_KEY_FILE or VISITSD_API_KEY_PARAMETER, or "
	    "VISITSD_AUTH=none to run without a key");
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "auth", "key", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key_parameter", "/k", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key_file", "/f", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_API_KEY_FILE and "
	    "VISITSD_API_KEY_PARAMETER are both set: give exactly one API key "
	    "source");
	ck_assert_int_eq(config_set(&cfg, "api_key_parameter", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	config_cleanup(&cfg);
}
END_TEST

/* An api_key list with no key in it: startup used to be the first to say. */
START_TEST(an_api_key_list_without_a_key_is_refused)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "api_key", " , ,", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_API_KEY: no API key in the list");
	/* With auth=none the key is ignored, as the daemon ignores it. */
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "auth", "key", err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "api_key", CANARY ",", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	config_cleanup(&cfg);
}
END_TEST

/* Values set behind the table's back are still checked. */
START_TEST(validate_checks_fields_set_behind_the_tables_back)
{
	struct config cfg;
	char err[512], *saved;

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	cfg.threads = 1;
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_THREADS"));
	cfg.threads = 2;
	saved = cfg.listen;
	cfg.listen = (char *)(uintptr_t)"127.0.0.1";
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_LISTEN: \"127.0.0.1\" is not "
	    "host:port");
	cfg.listen = saved;
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	config_cleanup(&cfg);
}
END_TEST

/* Set listen and metrics_listen; expect config_validate to give want. */
static void
expect_listeners(const char *listen, const char *metrics, int want)
{
	struct config cfg;
	char err[512] = "";

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&cfg, "listen", listen, err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&cfg, "metrics_listen", metrics, err,
	    sizeof(err)), 0);
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == want,
	    "%s and %s: \"%s\"", listen, metrics, err);
	if (want == -1)
		ck_assert_msg(strncmp(err, "VISITSD_METRICS_LISTEN: ", 24) == 0,
		    "%s", err);
	config_cleanup(&cfg);
}

START_TEST(the_metrics_listener_may_not_overlap_the_main_one)
{
	expect_listeners("127.0.0.1:8080", "127.0.0.1:8080", -1);
	expect_listeners("127.0.0.1:8080", "127.0.0.1:9100", 0);
	expect_listeners("127.0.0.1:8080", "127.0.0.2:8080", 0);
	/* Every address covers the other one's. */
	expect_listeners("0.0.0.0:8080", "127.0.0.1:8080", -1);
	expect_listeners("127.0.0.1:8080", "*:8080", -1);
	expect_listeners(":8080", "0.0.0.0:8080", -1);
	expect_listeners("[::]:8080", "127.0.0.1:8080", -1);
	expect_listeners("[::1]:8080", "[::]:8080", -1);
	expect_listeners("[::1]:8080", "[::1]:8080", -1);
	/* IPv4's every-address does not cover IPv6 loopback. */
	expect_listeners("0.0.0.0:8080", "[::1]:8080", 0);
	/* A name is resolved at startup: only the same spelling is known. */
	expect_listeners("localhost:8080", "localhost:8080", -1);
	expect_listeners("0.0.0.0:8080", "localhost:8080", 0);
	/* Two free ports are two listeners. */
	expect_listeners("127.0.0.1:0", "127.0.0.1:0", 0);
	expect_listeners("0.0.0.0:0", "127.0.0.1:0", 0);
	expect_listeners("127.0.0.1:8080", "", 0);
}
END_TEST

/* One check, for every way the store can be chosen. */
START_TEST(dynamodb_needs_a_table_and_two_distinct_attributes)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&cfg, "store", "dynamodb", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "dynamodb_count_attribute", "user",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_DYNAMODB_COUNT_ATTRIBUTE: must differ "
	    "from VISITSD_DYNAMODB_KEY_ATTRIBUTE");
	ck_assert_int_eq(config_set(&cfg, "dynamodb_count_attribute", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_int_eq(config_set(&cfg, "dynamodb_count_attribute", "n",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "dynamodb_table", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	/* The sqlite store ignores the DynamoDB settings. */
	ck_assert_int_eq(config_set(&cfg, "store", "sqlite", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "sqlite_path", "", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "VISITSD_SQLITE_PATH"));
	config_cleanup(&cfg);
}
END_TEST

START_TEST(the_connect_timeout_is_at_most_the_request_timeout)
{
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&cfg, "aws_connect_timeout_ms", "3000",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "aws_connect_timeout_ms", "5000",
	    err, sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "VISITSD_AWS_CONNECT_TIMEOUT_MS: 5000 is above "
	    "VISITSD_AWS_REQUEST_TIMEOUT_MS (3000)");
	config_cleanup(&cfg);
}
END_TEST

/* -n and startup refuse a plain-http AWS endpoint beyond loopback. */
/*
 * The value of environment variable name, to put back with env_put_back:
 * with CK_FORK=no (check-valgrind) every suite shares one environment,
 * and the DynamoDB suites need the AWS_ENDPOINT_URL the harness set.
 */
static char *
env_keep(const char *name)
{
	const char *v = getenv(name);

	return v != NULL ? strdup(v) : NULL;
}

static void
env_put_back(const char *name, char *kept)
{
	if (kept != NULL)
		setenv(name, kept, 1);
	else
		unsetenv(name);
	free(kept);
}

START_TEST(an_aws_endpoint_is_http_only_to_loopback_unless_allowed)
{
	char *url = env_keep("AWS_ENDPOINT_URL");
	char *ssm = env_keep("AWS_ENDPOINT_URL_SSM");
	struct config cfg;
	char err[512];

	config_init(&cfg);
	ck_assert_int_eq(config_set(&cfg, "auth", "none", err, sizeof(err)),
	    0);
	setenv("AWS_ENDPOINT_URL", "http://10.0.0.5:8000", 1);
	/* SQLite, no SSM parameter: no AWS endpoint is used. */
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "store", "dynamodb", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_str_eq(err, "AWS_ENDPOINT_URL: plain http to 10.0.0.5, "
	    "which is not loopback (127.0.0.0/8, ::1, localhost): requests "
	    "and answers would cross the network in cleartext; use https, or "
	    "set VISITSD_ALLOW_HTTP_ENDPOINT=true");
	ck_assert_int_eq(config_set(&cfg, "allow_http_endpoint", "true", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "allow_http_endpoint", "false", err,
	    sizeof(err)), 0);
	setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:4566", 1);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), 0);
	/* The SSM key parameter alone uses the ssm endpoint. */
	ck_assert_int_eq(config_set(&cfg, "store", "sqlite", err,
	    sizeof(err)), 0);
	ck_assert_int_eq(config_set(&cfg, "auth", "key", err, sizeof(err)),
	    0);
	ck_assert_int_eq(config_set(&cfg, "api_key_parameter", "/visitsd/k",
	    err, sizeof(err)), 0);
	setenv("AWS_ENDPOINT_URL_SSM", "http://ssm.example.com", 1);
	ck_assert_int_eq(config_validate(&cfg, err, sizeof(err)), -1);
	ck_assert_ptr_nonnull(strstr(err, "AWS_ENDPOINT_URL_SSM: plain http "
	    "to ssm.example.com"));
	env_put_back("AWS_ENDPOINT_URL_SSM", ssm);
	env_put_back("AWS_ENDPOINT_URL", url);
	config_cleanup(&cfg);
}
END_TEST

/* The committed generated files match the table (run from the repo root). */
START_TEST(committed_docs_match_the_table)
{
	char *want, *have;

	want = generate(config_doc_markdown);
	have = read_path("docs/configuration.md");
	ck_assert_msg(have != NULL, "docs/configuration.md not found: run "
	    "the tests from the repository root");
	ck_assert_msg(strcmp(want, have) == 0, "docs/configuration.md is "
	    "stale: run `make config-docs`");
	free(want);
	free(have);
	want = generate(config_doc_example);
	have = read_path("config.example.ini");
	ck_assert_msg(have != NULL, "config.example.ini not found");
	ck_assert_msg(strcmp(want, have) == 0, "config.example.ini is stale: "
	    "run `make config-docs`");
	free(want);
	free(have);
}
END_TEST

/*
 * config.example.ini passes as is, and with every key uncommented it gives
 * exactly the defaults: the documented defaults are the real ones.
 */
START_TEST(the_example_file_passes_and_gives_the_defaults)
{
	struct config def, cfg;
	char *ini, *p, err[512];
	const char *path;
	size_t i;

	config_init(&cfg);
	ck_assert_msg(config_load_file(&cfg, "config.example.ini", err,
	    sizeof(err)) == 0, "%s", err);
	ck_assert_msg(config_validate(&cfg, err, sizeof(err)) == 0, "%s", err);
	config_cleanup(&cfg);

	ini = generate(config_doc_example);
	/* "\n#key =" becomes "\nkey =". */
	for (p = ini; (p = strstr(p, "\n#")) != NULL; p++)
		if (p[2] != ' ' && p[2] != '\n')
			memmove(p + 1, p + 2, strlen(p + 2) + 1);
	path = write_file("all.ini", ini);
	free(ini);
	config_init(&def);
	config_init(&cfg);
	ck_assert_msg(config_load_file(&cfg, path, err, sizeof(err)) == 0,
	    "%s", err);
	for (i = 0; i < NSETTINGS; i++) {
		const struct setting *s = &config_table_settings[i];
		const char *a = (const char *)&def + s->offset;
		const char *b = (const char *)&cfg + s->offset;

		if (s->example != NULL)
			continue;
		switch (s->type) {
		case T_INT:
			ck_assert_int_eq(*(const int *)(const void *)a,
			    *(const int *)(const void *)b);
			break;
		case T_BOOL:
			ck_assert(*(const bool *)(const void *)a ==
			    *(const bool *)(const void *)b);
			break;
		case T_STRING:
		case T_SECRET:
		case T_ENUM:
			ck_assert_str_eq(*(char *const *)(const void *)a,
			    *(char *const *)(const void *)b);
			break;
		}
	}
	config_cleanup(&def);
	config_cleanup(&cfg);
}
END_TEST

Suite *suite_config(void)
{
	Suite *s = suite_create("config");
	TCase *tc = tcase_create("parse");
	TCase *files = tcase_create("files");

	tcase_add_test(tc, defaults_are_the_documented_ones);
	tcase_add_test(tc, integers_are_whole_numbers_within_bounds);
	tcase_add_test(tc, booleans_take_the_usual_spellings);
	tcase_add_test(tc, enumerations_ignore_case_and_refuse_others);
	tcase_add_test(tc, strings_are_checked_and_empty_clears_them);
	tcase_add_test(tc, listen_addresses_follow_the_hostport_grammar);
	tcase_add_test(tc, a_setting_answers_to_each_of_its_names);
	tcase_add_test(tc, environment_sets_settings_and_collects_unknown_names);
	tcase_add_test(tc, auth_key_needs_exactly_one_key_source);
	tcase_add_test(tc, an_api_key_list_without_a_key_is_refused);
	tcase_add_test(tc, validate_checks_fields_set_behind_the_tables_back);
	tcase_add_test(tc, the_metrics_listener_may_not_overlap_the_main_one);
	tcase_add_test(tc, dynamodb_needs_a_table_and_two_distinct_attributes);
	tcase_add_test(tc,
	    an_aws_endpoint_is_http_only_to_loopback_unless_allowed);
	tcase_add_test(tc, the_connect_timeout_is_at_most_the_request_timeout);
	tcase_add_test(tc, help_and_docs_name_every_setting);
	tcase_add_test(tc, a_secret_is_never_printed);
	suite_add_tcase(s, tc);

	tcase_add_checked_fixture(files, setup_tmpdir, teardown_tmpdir);
	tcase_add_test(files, an_ini_file_sets_its_keys);
	tcase_add_test(files, ini_errors_name_the_file_and_line);
	tcase_add_test(files, flags_beat_environment_beat_file_beat_defaults);
	tcase_add_test(files, bad_input_stops_with_exit_78_saying_why);
	tcase_add_test(files, help_and_version_print_and_exit_0);
	tcase_add_test(files, committed_docs_match_the_table);
	tcase_add_test(files, the_example_file_passes_and_gives_the_defaults);
	suite_add_tcase(s, files);
	return s;
}

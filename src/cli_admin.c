/*
 * cli_admin: the export and import commands.
 *
 * The command is argv[1]; import takes its FILE as argv[2]; the options
 * after them are the daemon's, read by config_from_args, so the commands
 * use the configuration the daemon uses (-c, VISITSD_*, flags).  Logging
 * goes to stderr as the daemon's does; export's lines go to stdout.
 *
 * import reads a regular FILE in place; stdin or a pipe is first copied to
 * an unlinked temporary file (admin_spool_open), because the whole input
 * is validated before the first write and then read again to import it.
 * Messages name the line: "visitsd: import counts.ndjson: line 17: ...".
 */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <curl/curl.h>

#include "admin_import.h"
#include "cli_admin.h"
#include "config.h"
#include "log.h"
#include "metrics.h"
#include "store.h"
#include "store_open.h"
#include "util.h"

#ifndef VISITSD_VERSION
#define VISITSD_VERSION "unknown"
#endif

bool
cli_admin_is_command(const char *arg)
{
	return strcmp(arg, "export") == 0 || strcmp(arg, "import") == 0;
}

/* Copy in to a new spool file; its descriptor, or -1 with err. */
static int
spool(int in, char *err, size_t errlen)
{
	char buf[65536];
	ssize_t n, w;
	int fd;

	if ((fd = admin_spool_open(err, errlen)) == -1)
		return -1;
	for (;;) {
		if ((n = read(in, buf, sizeof(buf))) == -1 && errno == EINTR)
			continue;
		if (n == 0)
			return fd;
		if (n < 0)
			break;
		for (ssize_t off = 0; off < n; off += w)
			if ((w = write(fd, buf + off, (size_t)(n - off))) <= 0)
				goto fail;
	}
fail:
	snprintf(err, errlen, "cannot copy the input: %s", strerror(errno));
	close(fd);
	return -1;
}

/* FILE ("-": stdin) as a regular file's descriptor, or -1 with err. */
static int
open_input(const char *path, char *err, size_t errlen)
{
	struct stat st;
	int fd, sp;

	if (strcmp(path, "-") == 0)
		return spool(STDIN_FILENO, err, errlen);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		return fd;
	sp = spool(fd, err, errlen);
	close(fd);
	return sp;
}

static int
run_export(struct store *store)
{
	enum store_result res;
	uint64_t n;

	res = admin_export_file(store, stdout, &n);
	if (res != STORE_OK) {
		fprintf(stderr, "visitsd: export: %s after %llu ids\n",
		    ferror(stdout) ? strerror(errno) :
		    store_result_str(res), (unsigned long long)n);
		return 1;
	}
	fprintf(stderr, "visitsd: export: %llu ids\n", (unsigned long long)n);
	return 0;
}

static int
run_import(struct store *store, const char *path)
{
	enum store_result res;
	uint64_t nitems, done;
	char err[1024];
	int fd, status = 1;

	if ((fd = open_input(path, err, sizeof(err))) == -1) {
		fprintf(stderr, "visitsd: import %s: %s\n", path, err);
		return 1;
	}
	if (admin_import_check(fd, &nitems, err, sizeof(err)) == -1) {
		fprintf(stderr, "visitsd: import %s: %s; nothing imported\n",
		    path, err);
		goto done;
	}
	res = admin_import_run(store, fd, NULL, NULL, &done, err, sizeof(err));
	if (res != STORE_OK) {
		fprintf(stderr, "visitsd: import %s: %s after %llu of %llu "
		    "ids; the rest were not imported (an import can be run "
		    "again)\n", path, err, (unsigned long long)done,
		    (unsigned long long)nitems);
		goto done;
	}
	fprintf(stderr, "visitsd: import %s: %llu ids imported\n", path,
	    (unsigned long long)done);
	status = 0;
done:
	close(fd);
	return status;
}

int
cli_admin_main(int argc, char *argv[], char *const envp[])
{
	struct config cfg;
	struct store *store;
	const char *cmd = argv[1], *path = NULL;
	char **args, err[512];
	int nargs = 0, status, skip = 2;
	bool check_only;

	if (strcmp(cmd, "import") == 0) {
		if (argc < 3) {
			fprintf(stderr, "visitsd: usage: visitsd import FILE "
			    "[options] (FILE - reads stdin)\n");
			return EX_CONFIG_EXIT;
		}
		path = argv[2];
		skip = 3;
	}
	args = xcalloc((size_t)argc + 1, sizeof(*args));
	args[nargs++] = argv[0];
	for (int i = skip; i < argc; i++)
		args[nargs++] = argv[i];
	config_init(&cfg);
	if (config_from_args(&cfg, nargs, args, envp, &check_only,
	    &status) == -1)
		goto out;
	status = EX_CONFIG_EXIT;
	if (config_validate(&cfg, err, sizeof(err)) == -1) {
		fprintf(stderr, "visitsd: %s\n", err);
		goto out;
	}
	log_init(log_level_parse(cfg.log_level),
	    log_format_parse(cfg.log_format));
	signal(SIGPIPE, SIG_IGN);
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		fprintf(stderr, "visitsd: curl_global_init failed\n");
		status = 1;
		goto out;
	}
	metrics_init(VISITSD_VERSION, cfg.store);
	if ((store = store_open(&cfg, err, sizeof(err))) == NULL) {
		fprintf(stderr, "visitsd: store %s: %s\n", cfg.store, err);
		status = 1;
	} else {
		status = path == NULL ? run_export(store) :
		    run_import(store, path);
		store_shutdown(store);
		store_free(store);
	}
	metrics_cleanup();
	curl_global_cleanup();
out:
	config_cleanup(&cfg);
	free(args);
	return status;
}

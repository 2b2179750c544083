/*
 * fuzz_config: libFuzzer target for the INI loader.  The configuration file
 * is trusted more than a request, but it is hand-edited and parsed by
 * inih plus our own line reader, so a malformed file must be refused with
 * a message, never crash the daemon at startup.
 *
 * Each input is written to one temporary file (made on the first call,
 * removed at exit) and read with config_load_file, then validated and
 * released as main.c does.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char path[64];
static int fd = -1;

static void
remove_file(void)
{
	if (fd != -1)
		unlink(path);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	char err[512];

	if (fd == -1) {
		const char *dir = getenv("TMPDIR");

		snprintf(path, sizeof(path), "%s/fuzz_config.XXXXXX",
		    dir != NULL && strlen(dir) < 40 ? dir : "/tmp");
		if ((fd = mkstemp(path)) == -1)
			abort();
		atexit(remove_file);
	}
	if (ftruncate(fd, 0) == -1 ||
	    pwrite(fd, data, size, 0) != (ssize_t)size)
		abort();
	config_init(&cfg);
	err[0] = '\0';
	if (config_load_file(&cfg, path, err, sizeof(err)) == -1) {
		if (err[0] == '\0')
			abort();
	} else
		(void)config_validate(&cfg, err, sizeof(err));
	config_cleanup(&cfg);
	return 0;
}

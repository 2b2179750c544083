/*
 * cli_admin: `visitsd export` and `visitsd import FILE`, the admin API's
 * export and import from the command line against the configured store,
 * so that moving between stores is two commands:
 *
 *   VISITSD_STORE=sqlite visitsd export > counts.ndjson
 *   VISITSD_STORE=dynamodb visitsd import counts.ndjson
 *
 * Not here: the line grammar (admin.c), the file passes (admin_import.c).
 */
#ifndef VISITSD_CLI_ADMIN_H
#define VISITSD_CLI_ADMIN_H

#include <stdbool.h>

/* Whether arg names a command of this module ("export", "import"). */
bool	cli_admin_is_command(const char *arg);

/*
 * Run the command argv[1]: `visitsd export [options]` writes NDJSON to
 * stdout; `visitsd import FILE [options]` (FILE "-": stdin) validates the
 * whole input, then imports it.  The options are the daemon's (-c FILE,
 * --flag=value), with the environment, as config_from_args reads them.
 * Returns the exit status: 0, 1 (a bad line, nothing written; a store or
 * I/O failure), or 78 (a bad configuration).  envp is borrowed.
 */
int	cli_admin_main(int argc, char *argv[], char *const envp[]);

#endif

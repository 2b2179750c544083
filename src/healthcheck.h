/*
 * healthcheck: `visitsd --health-check`, the container's HEALTHCHECK
 * without a shell or curl in the image.  GET /healthz on the configured
 * listen address (a wildcard is reached on loopback) over a plain socket,
 * with a short timeout.  Not a client for anything else.
 */
#ifndef VISITSD_HEALTHCHECK_H
#define VISITSD_HEALTHCHECK_H

struct config;

/* Total time allowed: connect, send and the status line. */
#define HEALTHCHECK_TIMEOUT_MS	2000

/*
 * Ask the daemon configured by cfg (borrowed) for GET /healthz.  Returns
 * the process exit status: 0 on a 200, 1 otherwise, with the reason on
 * stderr.  Blocks at most about HEALTHCHECK_TIMEOUT_MS.
 */
int	healthcheck_run(const struct config *cfg);

#endif

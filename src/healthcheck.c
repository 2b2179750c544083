/*
 * healthcheck: GET /healthz on our own listen address (healthcheck.h).
 * A blocking socket with send and receive timeouts and a non-blocking
 * connect bounded by poll: one request, one status line, exit 0 or 1.
 */
#include <sys/socket.h>
#include <sys/types.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "healthcheck.h"
#include "hostport.h"

/* Connect fd to ai within timeout_ms; 0 or -1 with errno. */
static int
connect_within(int fd, const struct addrinfo *ai, int timeout_ms)
{
	struct pollfd pfd;
	socklen_t len = sizeof(int);
	int flags, soerr = 0;

	if ((flags = fcntl(fd, F_GETFL)) == -1 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return -1;
	if (connect(fd, ai->ai_addr, ai->ai_addrlen) == -1) {
		if (errno != EINPROGRESS)
			return -1;
		pfd.fd = fd;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, timeout_ms) != 1) {
			errno = ETIMEDOUT;
			return -1;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == -1)
			return -1;
		if (soerr != 0) {
			errno = soerr;
			return -1;
		}
	}
	return fcntl(fd, F_SETFL, flags);
}

int
healthcheck_run(const struct config *cfg)
{
	static const char req[] =
	    "GET /healthz HTTP/1.0\r\nHost: localhost\r\n\r\n";
	struct timeval tv = { HEALTHCHECK_TIMEOUT_MS / 1000,
	    (HEALTHCHECK_TIMEOUT_MS % 1000) * 1000 };
	struct addrinfo hints, *res = NULL;
	struct hostport hp;
	char err[256], port[8], line[64];
	const char *host;
	size_t got = 0;
	ssize_t n;
	int fd = -1, rc, status = 1;

	if (hostport_parse(cfg->listen, &hp, err, sizeof(err)) == -1) {
		fprintf(stderr, "visitsd --health-check: %s\n", err);
		return 1;
	}
	host = hp.host;
	if (hostport_is_wildcard(&hp))
		host = strcmp(hp.host, "::") == 0 ? "::1" : "127.0.0.1";
	snprintf(port, sizeof(port), "%d", hp.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(host, port, &hints, &res)) != 0) {
		fprintf(stderr, "visitsd --health-check: %s: %s\n", host,
		    gai_strerror(rc));
		return 1;
	}
	if ((fd = socket(res->ai_family, res->ai_socktype | SOCK_CLOEXEC,
	    res->ai_protocol)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) == -1 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1 ||
	    connect_within(fd, res, HEALTHCHECK_TIMEOUT_MS) == -1 ||
	    send(fd, req, sizeof(req) - 1, MSG_NOSIGNAL) !=
	    (ssize_t)(sizeof(req) - 1)) {
		fprintf(stderr, "visitsd --health-check: %s: %s\n",
		    cfg->listen, strerror(errno));
		goto done;
	}
	/* The status line: "HTTP/1.1 200 OK". */
	while (got < sizeof(line) - 1 && memchr(line, '\n', got) == NULL) {
		if ((n = recv(fd, line + got, sizeof(line) - 1 - got, 0)) <= 0)
			break;
		got += (size_t)n;
	}
	line[got] = '\0';
	if (strncmp(line, "HTTP/1.", 7) == 0 && strncmp(line + 8, " 200", 4)
	    == 0)
		status = 0;
	else
		fprintf(stderr, "visitsd --health-check: %s: answer \"%.*s\"\n",
		    cfg->listen, (int)strcspn(line, "\r\n"), line);
done:
	if (fd != -1)
		close(fd);
	freeaddrinfo(res);
	return status;
}

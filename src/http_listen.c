/*
 * http_listen: a listener's socket and accept thread (see http_listen.h).
 *
 * libmicrohttpd is started with MHD_USE_NO_LISTEN_SOCKET, so this file
 * binds and listens the way MHD did (SO_REUSEADDR, IPV6_V6ONLY off for a
 * v6 address as MHD_USE_DUAL_STACK did, a SOMAXCONN backlog, MHD's
 * default) and one thread per listener waits in poll() on the socket and
 * a wake eventfd, accepts what is ready and hands each connection to
 * MHD_add_connection.  In 0.9.75 (src/microhttpd/daemon.c) that call
 * picks a pool worker with room, and internal_add_connection ->
 * new_connection_prepare_ applies, in this thread, the per-IP limit (counted on the master, under its lock) and the accept
 * policy; the worker, woken through its ITC, calls NOTIFY_CONNECTION
 * (new_connection_process_).  The limit in all is this thread's (the sum
 * of the workers' counts): MHD's own is set out of reach, as its firm
 * check there leaks a lock in 0.9.75 (http.c, listener_start).  On every failure it closes the
 * socket itself ("The socket will be closed in any case"), so a refused
 * connection is never closed twice here.  A new connection costs one
 * accept and one ITC write; a keep-alive connection pays it once.
 *
 * Out of descriptors (EMFILE, ENFILE) the thread says so at most once a
 * second and pauses BACKOFF_MS rather than spin on a ready socket it
 * cannot accept.  With every worker at the daemon's connection limit it
 * pauses likewise and leaves the newcomers in the backlog, as MHD's own
 * accept did (each worker took its listen FD out of epoll at its limit),
 * rather than accept them only for MHD to close them.
 *
 * Not here: the MHD daemons and the shutdown order (http.c).
 */
#include <sys/eventfd.h>
#include <sys/socket.h>

#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <microhttpd.h>

#include "hostport.h"
#include "http_listen.h"
#include "log.h"
#include "util.h"

#define BACKOFF_MS	20	/* out of descriptors: pause accepting */
#define BATCH		64	/* accepts between looks at the wake fd */

struct http_listen {
	int			 fd;		/* listening, non-blocking */
	int			 wake;		/* eventfd: stop the thread */
	struct MHD_Daemon	*daemon;	/* borrowed; NULL until started */
	unsigned int		 limit;		/* the daemon's connection limit */
	pthread_t		 thread;
	bool			 started;
	char			 spec[128];	/* as configured, for messages */
	uint64_t		 warned_ms;	/* last EMFILE message */
};

/* s in hostport.c's grammar, the one the configuration checks, resolved. */
static int
parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *sslen,
    char *err, size_t errlen)
{
	struct addrinfo hints, *res = NULL;
	struct hostport hp;
	char port[8];
	int rc;

	if (hostport_parse(s, &hp, err, errlen) == -1)
		return -1;
	snprintf(port, sizeof(port), "%d", hp.port);
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = hp.ipv6 ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_NUMERICSERV;
	if ((rc = getaddrinfo(hp.host, port, &hints, &res)) != 0) {
		snprintf(err, errlen, "listen address \"%s\": %s", s,
		    gai_strerror(rc));
		return -1;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*sslen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

struct http_listen *
http_listen_open(const char *spec, char *addr, size_t addrlen, char *err,
    size_t errlen)
{
	struct http_listen *l = xcalloc(1, sizeof(*l));
	struct sockaddr_storage ss;
	socklen_t sslen = sizeof(ss);
	int one = 1, zero = 0;

	l->fd = l->wake = -1;
	snprintf(l->spec, sizeof(l->spec), "%s", spec);
	if (parse_listen(spec, &ss, &sslen, err, errlen) == -1)
		goto fail;
	if ((l->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "cannot listen on %s: socket: %s", spec,
		    strerror(errno));
		goto fail;
	}
	/* As MHD did: reuse, and a v6 address (the wildcard) takes v4. */
	if (setsockopt(l->fd, SOL_SOCKET, SO_REUSEADDR, &one,
	    sizeof(one)) == -1 || (ss.ss_family == AF_INET6 &&
	    setsockopt(l->fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero,
	    sizeof(zero)) == -1)) {
		snprintf(err, errlen, "cannot listen on %s: setsockopt: %s",
		    spec, strerror(errno));
		goto fail;
	}
	if (bind(l->fd, (struct sockaddr *)&ss, sslen) == -1 ||
	    listen(l->fd, SOMAXCONN) == -1) {
		snprintf(err, errlen, "cannot listen on %s (in use, or not an "
		    "address of this host)", spec);
		goto fail;
	}
	sslen = sizeof(ss);
	if (getsockname(l->fd, (struct sockaddr *)&ss, &sslen) == -1) {
		snprintf(err, errlen, "cannot read the address bound for %s",
		    spec);
		goto fail;
	}
	util_format_address((struct sockaddr *)&ss, sslen, addr, addrlen);
	if ((l->wake = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) == -1) {
		snprintf(err, errlen, "cannot listen on %s: eventfd: %s", spec,
		    strerror(errno));
		goto fail;
	}
	return l;
fail:
	http_listen_close(l);
	return NULL;
}

/*
 * Accept up to max connections into the daemon.  Returns 0 when the
 * backlog is empty or max was reached, -1 when out of descriptors or the
 * daemon is full (the caller backs off).
 */
static int
accept_some(struct http_listen *l, int max)
{
	struct sockaddr_storage ss;
	socklen_t sslen;
	const union MHD_DaemonInfo *di;
	uint64_t now;
	int c;

	while (max-- > 0) {
		/* The workers' sum (MHD reads each worker's count unlocked). */
		di = MHD_get_daemon_info(l->daemon,
		    MHD_DAEMON_INFO_CURRENT_CONNECTIONS);
		if (di != NULL && di->num_connections >= l->limit)
			return -1;
		sslen = sizeof(ss);
		c = accept4(l->fd, (struct sockaddr *)&ss, &sslen,
		    SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (c != -1) {
			/* MHD closes c itself when it refuses it. */
			MHD_add_connection(l->daemon, c,
			    (struct sockaddr *)&ss, sslen);
			continue;
		}
		switch (errno) {
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			return 0;
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
		case EPERM:		/* a firewall rule */
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			continue;	/* that connection only (accept(2)) */
		default:		/* EMFILE, ENFILE, ENOBUFS, ENOMEM */
			now = util_now_ms();
			if (now - l->warned_ms >= 1000) {
				log_warn("http: accept on %s", l->spec);
				l->warned_ms = now;
			}
			return -1;
		}
	}
	return 0;
}

static void *
accept_main(void *arg)
{
	struct http_listen *l = arg;
	struct pollfd pfd[2];
	int backoff = 0;

	for (;;) {
		pfd[0].fd = l->wake;
		pfd[0].events = POLLIN;
		pfd[1].fd = l->fd;
		pfd[1].events = POLLIN;
		/* Backing off: wait on the wake fd only, BACKOFF_MS. */
		if (poll(pfd, backoff ? 1 : 2, backoff ? BACKOFF_MS : -1) ==
		    -1) {
			if (errno != EINTR) {
				log_warn("http: poll on %s", l->spec);
				backoff = 1;
			}
			continue;
		}
		if (pfd[0].revents != 0)
			break;
		backoff = accept_some(l, BATCH) == -1;
	}
	return NULL;
}

int
http_listen_start(struct http_listen *l, struct MHD_Daemon *d,
    unsigned int limit, char *err, size_t errlen)
{
	sigset_t all, old;
	int rc;

	l->daemon = d;
	l->limit = limit;
	/* The accept thread takes no signals: they belong to main. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	rc = pthread_create(&l->thread, NULL, accept_main, l);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		snprintf(err, errlen, "cannot start the accept thread for %s: "
		    "%s", l->spec, strerror(rc));
		return -1;
	}
	l->started = true;
	return 0;
}

void
http_listen_close(struct http_listen *l)
{
	uint64_t one = 1;

	if (l == NULL)
		return;
	if (l->started) {
		while (write(l->wake, &one, sizeof(one)) == -1 &&
		    errno == EINTR)
			;
		pthread_join(l->thread, NULL);
		l->started = false;
	}
	/* The backlog: completed connections, each a request on its way. */
	if (l->daemon != NULL && l->fd != -1)
		(void)accept_some(l, INT_MAX);
	if (l->fd != -1)
		close(l->fd);
	if (l->wake != -1)
		close(l->wake);
	free(l);
}

/*
 * hostport: the one grammar of a listen address, "host:port" or
 * "[v6]:port".
 *
 * The configuration checks VISITSD_LISTEN and VISITSD_METRICS_LISTEN with
 * it and http.c binds what it returns, so `visitsd -n` and startup read an
 * address the same way.  The host is an IPv4 address, a host name (letters,
 * digits, dots and dashes), or an IPv6 address in brackets; an empty host
 * or "*" is every IPv4 address.  The port is 0 to 65535 (0: a free port).
 * Pure: no resolution, no sockets; a host name is looked up by the caller.
 */
#ifndef VISITSD_HOSTPORT_H
#define VISITSD_HOSTPORT_H

#include <stdbool.h>
#include <stddef.h>

#define HOSTPORT_HOST_MAX	256	/* host buffer, NUL included */

struct hostport {
	char	host[HOSTPORT_HOST_MAX];	/* no brackets; "0.0.0.0" for
						   "" and "*" */
	int	port;				/* 0..65535 */
	bool	ipv6;				/* given as [v6] */
};

/*
 * Parse addr (borrowed) into *hp.  Returns 0, or -1 with the reason in err,
 * which quotes addr ("\"x\" is not host:port").
 */
int	hostport_parse(const char *addr, struct hostport *hp, char *err,
	    size_t errlen);

/*
 * Whether hp's host is a wildcard: "0.0.0.0" (every IPv4 address) or "::"
 * (every address: visitsd listens on IPv6 dual-stack).
 */
bool	hostport_is_wildcard(const struct hostport *hp);

/*
 * The address family hp's host is written in: AF_INET6 for [v6], AF_INET
 * for a dotted quad (0.0.0.0 included), AF_UNSPEC for a host name, whose
 * family only resolution tells.
 */
int	hostport_family(const struct hostport *hp);

#endif

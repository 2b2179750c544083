/*
 * hostport: "host:port" and "[v6]:port", parsed once for the configuration
 * and for http.c (see hostport.h).
 *
 * The checks go from the shape (brackets, the last colon) to the host to
 * the port, one condition per `if`, so each refusal names what is wrong.
 * An IPv6 address needs its brackets: "::1:80" is refused rather than
 * guessed at.  A host made of digits and dots must be a dotted-quad IPv4
 * address; anything else must look like a host name, which the caller
 * resolves when it binds.
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostport.h"

#define NAME_CHARS	"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
			"0123456789.-"

int
hostport_parse(const char *addr, struct hostport *hp, char *err,
    size_t errlen)
{
	unsigned char buf[sizeof(struct in6_addr)];
	const char *colon, *p, *h = addr;
	bool v6 = addr[0] == '[';
	size_t n;
	long v;

	if (v6) {
		if ((p = strchr(addr, ']')) == NULL || p[1] != ':') {
			snprintf(err, errlen, "\"%s\" is not [v6]:port", addr);
			return -1;
		}
		h = addr + 1;
		n = (size_t)(p - h);
		colon = p + 1;
	} else {
		if ((colon = strrchr(addr, ':')) == NULL) {
			snprintf(err, errlen, "\"%s\" is not host:port", addr);
			return -1;
		}
		n = (size_t)(colon - addr);
		if (memchr(addr, ':', n) != NULL) {
			snprintf(err, errlen, "\"%s\": an IPv6 address needs "
			    "brackets, as in [::1]:8080", addr);
			return -1;
		}
	}
	if (n >= sizeof(hp->host)) {
		snprintf(err, errlen, "\"%s\": overlong host", addr);
		return -1;
	}
	memcpy(hp->host, h, n);
	hp->host[n] = '\0';
	hp->ipv6 = v6;
	if (!v6 && (n == 0 || strcmp(hp->host, "*") == 0)) {
		/* ":8080" and "*:8080": every IPv4 address. */
		snprintf(hp->host, sizeof(hp->host), "0.0.0.0");
		n = strlen(hp->host);
	}
	if (v6 && inet_pton(AF_INET6, hp->host, buf) != 1) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv6 address",
		    addr, hp->host);
		return -1;
	}
	if (!v6 && strspn(hp->host, "0123456789.") == n &&
	    inet_pton(AF_INET, hp->host, buf) != 1) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not an IPv4 address",
		    addr, hp->host);
		return -1;
	}
	if (!v6 && strspn(hp->host, NAME_CHARS) != n) {
		snprintf(err, errlen, "\"%s\": \"%s\" is not a host name",
		    addr, hp->host);
		return -1;
	}
	p = colon + 1;
	n = strspn(p, "0123456789");
	if (n == 0 || n > 5 || p[n] != '\0' ||
	    (v = strtol(p, NULL, 10)) > 65535) {
		snprintf(err, errlen, "\"%s\": the port must be 0 to 65535",
		    addr);
		return -1;
	}
	hp->port = (int)v;
	return 0;
}

bool
hostport_is_wildcard(const struct hostport *hp)
{
	unsigned char a[sizeof(struct in6_addr)];

	if (!hp->ipv6)
		return strcmp(hp->host, "0.0.0.0") == 0;
	return inet_pton(AF_INET6, hp->host, a) == 1 &&
	    memcmp(a, &in6addr_any, sizeof(a)) == 0;
}

int
hostport_family(const struct hostport *hp)
{
	unsigned char a[sizeof(struct in_addr)];

	if (hp->ipv6)
		return AF_INET6;
	return inet_pton(AF_INET, hp->host, a) == 1 ? AF_INET : AF_UNSPEC;
}

/*
 * client_id: who the client of a request is, as an address.
 *
 * The identity is the socket peer's address, unless the peer is one of the
 * trusted proxies (VISITSD_TRUSTED_PROXIES, a comma list of IPv4 and IPv6
 * CIDRs): then it is taken from the one header the configuration names
 * (VISITSD_CLIENT_ADDRESS_HEADER):
 *
 *   x-forwarded-for            the right-most address of X-Forwarded-For
 *                              that is not itself a trusted proxy (every
 *                              header occurrence, in order, as one list);
 *   cloudfront-viewer-address  CloudFront-Viewer-Address, "ip:port" (IPv6
 *                              unbracketed, the last colon before the
 *                              port; "[v6]:port" is accepted too).
 *
 * Exactly one header, never a fallback from one to the other: a header the
 * proxy chain does not set is one the client does, so trusting a second
 * header would let any client pick its own identity.  A missing or
 * malformed header leaves the identity at the peer (the proxy), which
 * groups the request with the proxy's rather than trusting the client.
 *
 * The rate limiter (guard.c) keys its buckets on client_id_rate_key; the
 * unique-visitor count (issue 10) is meant to use the same identity.
 * Pure: no sockets, no clock, no globals.
 */
#ifndef VISITSD_CLIENT_ID_H
#define VISITSD_CLIENT_ID_H

#include <sys/socket.h>

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CLIENT_ID_TEXT_MAX	46	/* INET6_ADDRSTRLEN */
#define CLIENT_ID_XFF_MAX	8	/* X-Forwarded-For occurrences kept */

/* An address; IPv4 is kept as IPv4-mapped IPv6 (::ffff:a.b.c.d). */
struct client_addr {
	uint8_t	b[16];
};

enum client_id_header {
	CLIENT_ID_XFF,			/* x-forwarded-for */
	CLIENT_ID_CLOUDFRONT,		/* cloudfront-viewer-address */
};

/* Where an identity came from. */
enum client_id_source {
	CLIENT_ID_FROM_PEER,
	CLIENT_ID_FROM_HEADER,
};

struct client_id_proxies;

/*
 * Parse a trusted-proxy list: CIDRs ("10.0.0.0/8", "2001:db8::/32") or
 * bare addresses (a /32 or /128), comma-separated; empty is no proxy.
 * Host bits set under the prefix are refused (a typo more often than
 * not).  Returns a new list, or NULL with the reason (quoting the entry)
 * in err.
 */
struct client_id_proxies	*client_id_proxies_new(const char *spec,
				    char *err, size_t errlen);
void				 client_id_proxies_free(
				    struct client_id_proxies *);  /* NULL ok */
/* client_id_proxies_new without keeping the list: 0, or -1 with err. */
int	client_id_proxies_check(const char *spec, char *err, size_t errlen);
/* Whether a is inside one of the list's CIDRs (false for NULL list). */
bool	client_id_proxies_match(const struct client_id_proxies *,
	    const struct client_addr *a);
size_t	client_id_proxies_count(const struct client_id_proxies *);

/* "x-forwarded-for" or "cloudfront-viewer-address" (the setting). */
int	client_id_header_parse(const char *name, enum client_id_header *h);

/*
 * One address, s[0..len): IPv4 dotted quad or IPv6, optionally with a
 * port ("a.b.c.d:p", "[v6]:p"); blanks around it ignored.  Returns 0, or
 * -1 when it is not an address.
 */
int	client_id_parse(const char *s, size_t len, struct client_addr *out);

/*
 * A CloudFront-Viewer-Address value: "a.b.c.d:port", "v6:port" (the last
 * colon separates the port) or "[v6]:port".  Returns 0 or -1.
 */
int	client_id_parse_viewer(const char *s, struct client_addr *out);

/* A socket address (AF_INET or AF_INET6); -1 for another family. */
int	client_id_from_sockaddr(const struct sockaddr *sa,
	    struct client_addr *out);

/*
 * The request's client: peer is the socket address; xff[0..nxff) the
 * X-Forwarded-For occurrences in order (borrowed, may be empty); viewer the
 * CloudFront-Viewer-Address value or NULL.  Headers are read only when
 * peer is in proxies.  Fills *out and returns where it came from.
 */
enum client_id_source	client_id_select(const struct client_id_proxies *,
			    enum client_id_header which,
			    const struct client_addr *peer,
			    const char *const *xff, size_t nxff,
			    const char *viewer, struct client_addr *out);

/*
 * The key the rate limiter counts under: the address itself for IPv4, its
 * /64 prefix for IPv6 (one subscriber's usual allocation: per-address
 * buckets would give a single host 2^64 of them).
 */
void	client_id_rate_key(const struct client_addr *a,
	    struct client_addr *key);

/* Numeric text, "192.0.2.1" or "2001:db8::1", into out (at least
 * CLIENT_ID_TEXT_MAX bytes). */
void	client_id_format(const struct client_addr *a, char *out,
	    size_t outlen);

#endif

/*
 * client_id: the client address of a request, the trusted-proxy CIDR list
 * and the two forwarding headers' grammars (see client_id.h for the rule).
 *
 * X-Forwarded-For is walked from the right: each proxy appends the address
 * it received the request from, so the entries right of the first
 * untrusted one were written by our proxies and the rest by whoever the
 * client is.  The walk stops at the first entry that is not trusted and
 * takes it; at an entry that is not an address it stops too and keeps the
 * last trusted hop (a broken chain is not the client's to interpret); when
 * every entry is a trusted proxy, the left-most is the client.  Entries may
 * carry a port (ALB's routing.http.xff_client_port): "a.b.c.d:p", "[v6]:p".
 *
 * Not here: reading headers off a connection (http_request.c), what the
 * identity is used for (guard.c).
 */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "client_id.h"
#include "util.h"

#define ADDR_TEXT_MAX	64

struct cidr {
	struct client_addr	net;
	int			bits;		/* 0..128 over the mapped form */
};

struct client_id_proxies {
	size_t		 count;
	struct cidr	*cidr;
};

static const uint8_t v4_mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0xff, 0xff };

static void
map_v4(const struct in_addr *in, struct client_addr *out)
{
	memcpy(out->b, v4_mapped, sizeof(v4_mapped));
	memcpy(out->b + 12, &in->s_addr, 4);
}

static bool
is_v4(const struct client_addr *a)
{
	return memcmp(a->b, v4_mapped, sizeof(v4_mapped)) == 0;
}

/* Exactly an address (no port, no blanks) in text[0..]. */
static int
parse_bare(const char *text, struct client_addr *out)
{
	struct in_addr v4;

	if (inet_pton(AF_INET, text, &v4) == 1) {
		map_v4(&v4, out);
		return 0;
	}
	if (strchr(text, ':') != NULL &&
	    inet_pton(AF_INET6, text, out->b) == 1)
		return 0;
	return -1;
}

static bool
all_digits(const char *s)
{
	if (*s == '\0' || strlen(s) > 5)
		return false;
	for (; *s != '\0'; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

/* Trim s[0..len) into buf; -1 if empty or too long. */
static int
trimmed(const char *s, size_t len, char *buf, size_t buflen)
{
	while (len > 0 && (*s == ' ' || *s == '\t'))
		s++, len--;
	while (len > 0 && (s[len - 1] == ' ' || s[len - 1] == '\t'))
		len--;
	if (len == 0 || len >= buflen)
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	return 0;
}

int
client_id_parse(const char *s, size_t len, struct client_addr *out)
{
	char buf[ADDR_TEXT_MAX], *colon, *end;

	if (trimmed(s, len, buf, sizeof(buf)) == -1)
		return -1;
	if (buf[0] == '[') {
		if ((end = strchr(buf, ']')) == NULL)
			return -1;
		*end = '\0';
		if (end[1] != '\0' && (end[1] != ':' || !all_digits(end + 2)))
			return -1;
		if (strchr(buf + 1, ':') == NULL)
			return -1;
		return inet_pton(AF_INET6, buf + 1, out->b) == 1 ? 0 : -1;
	}
	if (parse_bare(buf, out) == 0)
		return 0;
	/* "a.b.c.d:port": one colon only (an IPv6 address has several). */
	if ((colon = strchr(buf, ':')) == NULL || strchr(colon + 1, ':') !=
	    NULL || !all_digits(colon + 1))
		return -1;
	*colon = '\0';
	if (strchr(buf, '.') == NULL)
		return -1;
	return parse_bare(buf, out);
}

int
client_id_parse_viewer(const char *s, struct client_addr *out)
{
	char buf[ADDR_TEXT_MAX], *colon;

	if (s == NULL || trimmed(s, strlen(s), buf, sizeof(buf)) == -1)
		return -1;
	if (buf[0] == '[')
		return client_id_parse(buf, strlen(buf), out);
	if ((colon = strrchr(buf, ':')) == NULL || !all_digits(colon + 1))
		return -1;
	*colon = '\0';
	return parse_bare(buf, out);
}

int
client_id_from_sockaddr(const struct sockaddr *sa, struct client_addr *out)
{
	if (sa == NULL)
		return -1;
	if (sa->sa_family == AF_INET) {
		map_v4(&((const struct sockaddr_in *)(const void *)sa)->sin_addr,
		    out);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		memcpy(out->b, &((const struct sockaddr_in6 *)(const void *)sa)
		    ->sin6_addr, 16);
		return 0;
	}
	return -1;
}

static bool
prefix_equal(const struct client_addr *a, const struct client_addr *b,
    int bits)
{
	int full = bits / 8, rest = bits % 8;
	uint8_t mask;

	if (memcmp(a->b, b->b, (size_t)full) != 0)
		return false;
	if (rest == 0)
		return true;
	mask = (uint8_t)(0xff << (8 - rest));
	return (a->b[full] & mask) == (b->b[full] & mask);
}

static int
parse_cidr(const char *item, size_t len, struct cidr *c, char *err,
    size_t errlen)
{
	char buf[ADDR_TEXT_MAX], *slash;
	long bits;
	bool v4;

	if (len >= sizeof(buf))
		goto bad;
	memcpy(buf, item, len);
	buf[len] = '\0';
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (parse_bare(buf, &c->net) == -1)
		goto bad;
	v4 = strchr(buf, ':') == NULL;
	c->bits = 128;
	if (slash != NULL) {
		if (!all_digits(slash + 1))
			goto bad;
		bits = strtol(slash + 1, NULL, 10);
		if (bits > (v4 ? 32 : 128))
			goto bad;
		c->bits = (int)bits + (v4 ? 96 : 0);
	}
	/* No host bits under the prefix: 10.0.0.1/8 is a typo, not a net. */
	for (int i = c->bits; i < 128; i++)
		if (c->net.b[i / 8] & (0x80 >> (i % 8))) {
			if (slash != NULL)
				*slash = '/';
			snprintf(err, errlen, "\"%s\" has host bits set under "
			    "its prefix length", buf);
			return -1;
		}
	return 0;
bad:
	snprintf(err, errlen, "\"%.*s\" is not an IPv4 or IPv6 address or "
	    "CIDR (a.b.c.d/n, v6/n)", (int)(len > 60 ? 60 : len), item);
	return -1;
}

struct client_id_proxies *
client_id_proxies_new(const char *spec, char *err, size_t errlen)
{
	struct client_id_proxies *p = xcalloc(1, sizeof(*p));
	const char *s = spec, *item;
	size_t len;

	p->cidr = xcalloc(util_list_count(spec), sizeof(*p->cidr));
	if (spec[strspn(spec, " \t")] == '\0')
		return p;
	while (util_list_next(&s, &item, &len)) {
		if (len == 0) {
			snprintf(err, errlen, "empty entry in the list");
			goto fail;
		}
		if (parse_cidr(item, len, &p->cidr[p->count], err, errlen) ==
		    -1)
			goto fail;
		p->count++;
	}
	return p;
fail:
	client_id_proxies_free(p);
	return NULL;
}

void
client_id_proxies_free(struct client_id_proxies *p)
{
	if (p == NULL)
		return;
	free(p->cidr);
	free(p);
}

int
client_id_proxies_check(const char *spec, char *err, size_t errlen)
{
	struct client_id_proxies *p;

	if ((p = client_id_proxies_new(spec, err, errlen)) == NULL)
		return -1;
	client_id_proxies_free(p);
	return 0;
}

size_t
client_id_proxies_count(const struct client_id_proxies *p)
{
	return p == NULL ? 0 : p->count;
}

bool
client_id_proxies_match(const struct client_id_proxies *p,
    const struct client_addr *a)
{
	if (p == NULL)
		return false;
	for (size_t i = 0; i < p->count; i++)
		if (prefix_equal(&p->cidr[i].net, a, p->cidr[i].bits))
			return true;
	return false;
}

int
client_id_header_parse(const char *name, enum client_id_header *h)
{
	if (strcasecmp(name, "x-forwarded-for") == 0)
		*h = CLIENT_ID_XFF;
	else if (strcasecmp(name, "cloudfront-viewer-address") == 0)
		*h = CLIENT_ID_CLOUDFRONT;
	else
		return -1;
	return 0;
}

/*
 * The right-most untrusted entry of the X-Forwarded-For list; *out keeps
 * its value (the peer, then each trusted hop) when the walk stops early.
 */
static void
walk_xff(const struct client_id_proxies *p, const char *const *xff,
    size_t nxff, struct client_addr *out)
{
	struct client_addr a;

	for (size_t h = nxff; h-- > 0; ) {
		const char *v = xff[h];
		size_t end = strlen(v);

		for (;;) {
			size_t start = end;

			while (start > 0 && v[start - 1] != ',')
				start--;
			if (client_id_parse(v + start, end - start, &a) == -1)
				return;		/* broken chain: last hop */
			*out = a;
			if (!client_id_proxies_match(p, &a))
				return;		/* the client */
			if (start == 0)
				break;
			end = start - 1;
		}
	}
}

enum client_id_source
client_id_select(const struct client_id_proxies *p,
    enum client_id_header which, const struct client_addr *peer,
    const char *const *xff, size_t nxff, const char *viewer,
    struct client_addr *out)
{
	struct client_addr a;

	*out = *peer;
	if (!client_id_proxies_match(p, peer))
		return CLIENT_ID_FROM_PEER;
	switch (which) {
	case CLIENT_ID_XFF:
		walk_xff(p, xff, nxff, out);
		break;
	case CLIENT_ID_CLOUDFRONT:
		if (client_id_parse_viewer(viewer, &a) == 0)
			*out = a;
		break;
	}
	return memcmp(out, peer, sizeof(*out)) == 0 ? CLIENT_ID_FROM_PEER :
	    CLIENT_ID_FROM_HEADER;
}

void
client_id_rate_key(const struct client_addr *a, struct client_addr *key)
{
	*key = *a;
	if (!is_v4(a))
		memset(key->b + 8, 0, 8);
}

void
client_id_format(const struct client_addr *a, char *out, size_t outlen)
{
	if (is_v4(a)) {
		if (inet_ntop(AF_INET, a->b + 12, out, (socklen_t)outlen) !=
		    NULL)
			return;
	} else if (inet_ntop(AF_INET6, a->b, out, (socklen_t)outlen) != NULL)
		return;
	snprintf(out, outlen, "?");
}

/*
 * fuzz_client_id: libFuzzer target for the client-address headers a proxy
 * forwards and a client may forge: X-Forwarded-For (split at NUL bytes
 * into several occurrences), CloudFront-Viewer-Address, and the trusted-
 * proxy list grammar.  Besides the sanitizers it asserts the contract:
 * from an untrusted peer the identity is always the peer, and from a
 * trusted one it is the peer or an address that parses.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "client_id.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct client_id_proxies *trusted;
	const char *xff[CLIENT_ID_XFF_MAX];
	struct client_addr peer, out;
	char err[256], *buf, *p;
	size_t nxff = 0;

	if (trusted == NULL && (trusted = client_id_proxies_new(
	    "127.0.0.0/8, 10.0.0.0/8, 2001:db8::/32", err, sizeof(err))) ==
	    NULL)
		abort();
	buf = malloc(size + 1);
	memcpy(buf, data, size);
	buf[size] = '\0';
	client_id_proxies_check(buf, err, sizeof(err));
	for (p = buf; nxff < CLIENT_ID_XFF_MAX && p <= buf + size;
	    p += strlen(p) + 1)
		xff[nxff++] = p;
	if (client_id_parse(buf, strlen(buf), &out) == 0)
		client_id_format(&out, err, sizeof(err));
	client_id_parse_viewer(buf, &out);

	memset(&peer, 0, sizeof(peer));
	peer.b[10] = peer.b[11] = 0xff;
	peer.b[12] = 203;			/* 203.0.113.1: untrusted */
	peer.b[14] = 113;
	peer.b[15] = 1;
	if (client_id_select(trusted, CLIENT_ID_XFF, &peer, xff, nxff, buf,
	    &out) != CLIENT_ID_FROM_PEER || memcmp(&out, &peer,
	    sizeof(out)) != 0)
		abort();
	peer.b[12] = 127;			/* 127.0.0.1: trusted */
	peer.b[14] = 0;
	client_id_select(trusted, CLIENT_ID_XFF, &peer, xff, nxff, buf, &out);
	client_id_select(trusted, CLIENT_ID_CLOUDFRONT, &peer, xff, nxff, buf,
	    &out);
	free(buf);
	return 0;
}

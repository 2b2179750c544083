/*
 * fuzz_api: libFuzzer target for the request path api.c reads from the
 * network: the id's percent-decoder and validator, the router, and the CORS
 * decision on an Origin header.
 *
 * Input: one byte of options (method, key, listener flags, decoder buffer
 * size), then the path bytes.  Besides the sanitizers, it asserts the
 * contract: an id that api_id_parse accepts is 1 to 128 of the allowed
 * characters and neither "." nor "..", and the router only hands such ids
 * to the store.  Not a unit test: tests/check_api.c holds those.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"

int	LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const methods[] = { "GET", "POST", "OPTIONS", "HEAD",
    "PUT", "DELETE", "", "get" };

static void
check_id(const char *id)
{
	size_t n = strlen(id);

	if (n < 1 || n > API_ID_MAX ||
	    strspn(id, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	    "0123456789._~-") != n || strcmp(id, ".") == 0 ||
	    strcmp(id, "..") == 0)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct api_cors *cors;
	struct api_options opt;
	struct api_decision d;
	char id[API_ID_MAX + 1], *path, *out;
	const char *why;
	size_t outlen;
	uint8_t flags;
	bool vary;
	int n;

	if (size < 1)
		return 0;
	if (cors == NULL && (cors = api_cors_new("https://a.example, "
	    "http://b.example:8080", id, sizeof(id))) == NULL)
		abort();
	flags = data[0];
	data++;
	size--;

	/* The decoder on raw bytes, NULs included, into a tight buffer. */
	outlen = (size_t)(flags & 0x0f) * 16 + (flags >> 7);
	if ((out = malloc(outlen + 1)) == NULL)
		return 0;
	n = api_percent_decode((const char *)data, size, out, outlen);
	if (n >= 0 && ((size_t)n >= outlen || out[n] != '\0'))
		abort();
	free(out);

	if (api_id_parse((const char *)data, size, id, &why) == 0)
		check_id(id);
	else if (why == NULL)
		abort();

	/* The router sees a NUL-terminated path, as from libmicrohttpd. */
	if ((path = malloc(size + 1)) == NULL)
		return 0;
	memcpy(path, data, size);
	path[size] = '\0';
	memset(&opt, 0, sizeof(opt));
	opt.get_increments = flags & 0x10;
	opt.auth_none = flags & 0x20;
	opt.metrics_here = flags & 0x40;
	opt.metrics_only = (flags & 0x60) == 0x60;
	api_decide(&opt, methods[flags & 7], path, flags & 8, &d);
	if (d.action == API_INCREMENT || d.action == API_GET)
		check_id(d.id);
	else if (d.action == API_ANSWER && (d.status < 200 || d.status > 599))
		abort();
	(void)api_route_name(d.route);

	/* The Origin header. */
	(void)api_cors_allow_origin(cors, path, &vary);
	free(path);
	return 0;
}

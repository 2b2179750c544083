/*
 * visitor: HMAC-SHA256(day's salt, len ‖ id ‖ len ‖ address ‖ len ‖ UA).
 *
 * The salt is 32 random bytes a day (salt.c keeps them, the store makes
 * them), deleted just after its day, so a hash cannot be tied back to an
 * address or a User-Agent once its day's salt is gone, and hashes of two
 * days cannot be linked.  The id is inside, so the same person on two ids
 * is two unrelated hashes.  The message lives only on the stack or the
 * heap for the call and is wiped before it is released.
 */
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "client_id.h"
#include "store.h"
#include "util.h"
#include "visitor.h"

/* Enough for the id, the address and a typical User-Agent. */
#define STACK_MSG	1024

static size_t
put_field(uint8_t *p, const void *data, size_t len)
{
	p[0] = (uint8_t)(len >> 24);
	p[1] = (uint8_t)(len >> 16);
	p[2] = (uint8_t)(len >> 8);
	p[3] = (uint8_t)len;
	if (len > 0)
		memcpy(p + 4, data, len);
	return 4 + len;
}

void
visitor_hash(const uint8_t salt[STORE_SALT_LEN], const char *id,
    const struct client_addr *addr, const char *ua, size_t ualen,
    uint8_t out[STORE_VISITOR_LEN])
{
	uint8_t stack[STACK_MSG], *msg = stack;
	size_t idlen = strlen(id), len, n = 0;
	unsigned int outlen = STORE_VISITOR_LEN;

	if (ua == NULL)
		ualen = 0;
	/* A header is bounded by MHD's memory; 32 bits hold any length. */
	if (ualen > UINT32_MAX)
		ualen = UINT32_MAX;
	len = 12 + idlen + sizeof(addr->b) + ualen;
	if (len > sizeof(stack))
		msg = xmalloc(len);
	n += put_field(msg + n, id, idlen);
	n += put_field(msg + n, addr->b, sizeof(addr->b));
	n += put_field(msg + n, ua, ualen);
	/* Fails only for a lack of memory: the digest and sizes are fixed. */
	if (HMAC(EVP_sha256(), salt, STORE_SALT_LEN, msg, n, out,
	    &outlen) == NULL)
		util_out_of_memory();
	OPENSSL_cleanse(msg, n);
	if (msg != stack)
		free(msg);
}

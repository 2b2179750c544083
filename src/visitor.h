/*
 * visitor: the hash that stands for one visitor of one id on one UTC day,
 * so that unique visitors are counted without storing who they are.
 */
#ifndef VISITSD_VISITOR_H
#define VISITSD_VISITOR_H

#include <stddef.h>
#include <stdint.h>

#include "client_id.h"
#include "store.h"

/*
 * HMAC-SHA256 under the day's salt of the id, the client's address (as
 * the rate limiter sees it: client_id.c's 16 bytes, trusted proxies
 * honoured) and the User-Agent ua[0..ualen) (NULL, 0 when absent), each
 * field preceded by its length as 4 bytes big-endian, so that no two
 * different triples frame the same bytes.  Pure; everything is borrowed.
 */
void	visitor_hash(const uint8_t salt[STORE_SALT_LEN], const char *id,
	    const struct client_addr *addr, const char *ua, size_t ualen,
	    uint8_t out[STORE_VISITOR_LEN]);

#endif

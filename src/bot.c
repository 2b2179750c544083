/*
 * bot: the crawler list's literals (bot_table.c) behind a q-gram filter,
 * and the match of a User-Agent against them.
 *
 * Every literal is indexed by its first four bytes, case-folded (ASCII
 * A-Z as a-z); the few of three bytes by their three.  One pass over the
 * User-Agent keeps its last four folded bytes in a 32-bit window and, at
 * each byte, tests the window's hash in a bitmap of the keys (2^17 bits,
 * 16 KB; the three-byte keys have one of 2^12).  No bit, no literal can
 * start there: that is the common case, a handful of cheap, independent
 * instructions per byte on tables that stay in the CPU's first-level
 * cache.  A set bit looks the window up in a small open-addressing table
 * of the exact keys and checks the literals under it for what the key
 * cannot see: the rest of the literal (as written, or without regard to
 * case for BOT_ANYCASE), the anchors and not_after.  A browser's
 * User-Agent sets a few bits ("Appl" begins both AppleWebKit and
 * Applebot), each settled by a comparison or two.
 *
 * The tables are built once (pthread_once) and only read afterwards.
 *
 * Not here: the list (bot_table.c, generated) and what a match means for
 * a request (http_request.c).
 */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "bot.h"
#include "util.h"

#define BITS		17		/* the bitmap: 2^17 bits, 16 KB */
#define HASH_K		0x9e3779b1u	/* Fibonacci hashing */

/* The literals that begin with one key: ids[start .. start + n). */
struct slot {
	uint32_t	key;		/* 0: empty (no literal holds a NUL) */
	uint32_t	start;
	uint32_t	n;
};

struct keyset {
	struct slot	*slots;		/* [mask + 1], open addressing */
	uint32_t	 mask;
};

static struct {
	uint64_t	 bits[((size_t)1 << BITS) / 64];
	uint8_t		 fold[256];
	struct keyset	 k4, k3;
	uint32_t	*ids;		/* literal indices, grouped by key */
	size_t		*len;		/* [literal]: its length */
} q;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static uint32_t
hash(uint32_t key, unsigned nbits)
{
	return (key * HASH_K) >> (32 - nbits);
}

/* The key of literal p: its first n (3 or 4) bytes, folded. */
static uint32_t
key_of(size_t p, size_t n)
{
	uint32_t k = 0;

	for (size_t i = 0; i < n; i++)
		k = k << 8 | q.fold[(unsigned char)bot_table[p].lit[i]];
	return k;
}

static struct slot *
slot_find(const struct keyset *ks, uint32_t key)
{
	uint32_t i = hash(key, 32) & ks->mask;

	while (ks->slots[i].key != 0 && ks->slots[i].key != key)
		i = (i + 1) & ks->mask;
	return &ks->slots[i];
}

/* Index the literals of length >= 4 (n 4) or of length 3 (n 3). */
static void
set_bit(uint32_t window)
{
	uint32_t h = hash(window, BITS);

	q.bits[h / 64] |= (uint64_t)1 << (h % 64);
}

static void
keyset_build(struct keyset *ks, size_t n, uint32_t *next)
{
	size_t count = 0, size = 16;

	for (size_t p = 0; p < bot_table_len; p++)
		if (n == 4 ? q.len[p] >= 4 : q.len[p] == 3)
			count++;
	while (size < 2 * count)
		size *= 2;
	ks->slots = xcalloc(size, sizeof(*ks->slots));
	ks->mask = (uint32_t)size - 1;
	/* First count the literals per key, then place them. */
	for (size_t p = 0; p < bot_table_len; p++) {
		struct slot *s;
		uint32_t k;

		if (!(n == 4 ? q.len[p] >= 4 : q.len[p] == 3))
			continue;
		k = key_of(p, n);
		s = slot_find(ks, k);
		s->key = k;
		s->n++;
		/* A three-byte key sets the bit of every window that ends
		   in it: any byte, or none (0, at the start), before it. */
		if (n == 4)
			set_bit(k);
		else
			for (uint32_t prev = 0; prev < 256; prev++)
				set_bit(prev << 24 | k);
	}
	for (size_t i = 0; i <= ks->mask; i++)
		if (ks->slots[i].key != 0) {
			ks->slots[i].start = *next;
			*next += ks->slots[i].n;
			ks->slots[i].n = 0;
		}
	for (size_t p = 0; p < bot_table_len; p++) {
		struct slot *s;

		if (!(n == 4 ? q.len[p] >= 4 : q.len[p] == 3))
			continue;
		s = slot_find(ks, key_of(p, n));
		q.ids[s->start + s->n++] = (uint32_t)p;
	}
}

static void
build(void)
{
	uint32_t next = 0;

	for (unsigned c = 0; c < 256; c++)
		q.fold[c] = (uint8_t)(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
	q.len = xcalloc(bot_table_len, sizeof(*q.len));
	q.ids = xcalloc(bot_table_len, sizeof(*q.ids));
	for (size_t p = 0; p < bot_table_len; p++) {
		q.len[p] = strlen(bot_table[p].lit);
		if (q.len[p] < 3) {
			/* The generator keeps every literal at 3 bytes or more. */
			fprintf(stderr, "bot: literal \"%s\" is shorter than 3 "
			    "bytes\n", bot_table[p].lit);
			abort();
		}
	}
	keyset_build(&q.k4, 4, &next);
	keyset_build(&q.k3, 3, &next);
}

void
bot_init(void)
{
	pthread_once(&once, build);
}

/* Whether literal p matches ua[at .. at + its length) as written. */
static bool
verify(size_t p, const char *ua, size_t len, size_t at)
{
	const struct bot_pattern *b = &bot_table[p];
	size_t n = q.len[p], na;

	if (at + n > len)
		return false;
	if ((b->flags & BOT_START) && at != 0)
		return false;
	if ((b->flags & BOT_END) && at + n != len)
		return false;
	if (b->flags & BOT_ANYCASE) {
		for (size_t i = 0; i < n; i++)
			if (q.fold[(unsigned char)ua[at + i]] !=
			    q.fold[(unsigned char)b->lit[i]])
				return false;
	} else if (memcmp(ua + at, b->lit, n) != 0)
		return false;
	if (b->not_after != NULL) {
		na = strlen(b->not_after);
		if (at >= na && strncasecmp(ua + at - na, b->not_after, na) == 0)
			return false;
	}
	return true;
}

/* The literals under key (its bit is set) that match at ua[at..]. */
static bool
candidates(const struct keyset *ks, uint32_t key, const char *ua,
    size_t len, size_t at)
{
	const struct slot *s = slot_find(ks, key);

	for (uint32_t i = 0; i < s->n; i++)
		if (verify(q.ids[s->start + i], ua, len, at))
			return true;
	return false;
}

/* The window's bit is set: the literals that may end or start in it. */
static bool
settle(uint32_t w, const char *ua, size_t len, size_t i)
{
	if (candidates(&q.k3, w & 0xffffff, ua, len, i - 2))
		return true;
	return i >= 3 && candidates(&q.k4, w, ua, len, i - 3);
}

bool
bot_match(const char *ua, size_t len)
{
	const unsigned char *u = (const unsigned char *)ua;
	uint32_t w = 0;

	if (ua == NULL || len == 0)
		return false;
	bot_init();
	for (size_t i = 0; i < len; i++) {
		uint32_t h;

		w = w << 8 | q.fold[u[i]];
		h = hash(w, BITS);
		if (((q.bits[h / 64] >> (h % 64)) & 1) && i >= 2 &&
		    settle(w, ua, len, i))
			return true;
	}
	return false;
}

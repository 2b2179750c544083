/*
 * bot: whether a User-Agent names a crawler, by the crawler list of
 * src/bot_table.c (generated from crawler-user-agents by
 * scripts/gen-bots.mjs; not edited by hand).
 *
 * The list's patterns are reduced to literal substrings (the generator
 * says how), each matched as written or, for the few generic tokens
 * ("bot", "crawler", ...), without regard to ASCII case, optionally
 * anchored at the start or the end of the User-Agent.  bot_match finds
 * them all in one pass over the string: at each byte, a 16 KB bitmap of
 * the hashed first four bytes of every literal (case-folded; three for a
 * literal of three) says whether one may end its first four there, and
 * only then are the candidates compared (bot.c).  The tables are built once
 * from the list on first use, then only read, so any thread may call it.
 * Its cost is linear in the length of the User-Agent, not in the size of
 * the list (docs/performance.md).
 *
 * Not here: what a match means for a request (http_request.c answers a
 * crawler's increment like a read unless count_bots is set).
 */
#ifndef VISITSD_BOT_H
#define VISITSD_BOT_H

#include <stdbool.h>
#include <stddef.h>

/* Flags of a pattern. */
#define BOT_ANYCASE	0x1	/* ASCII letters match in either case */
#define BOT_START	0x2	/* only at the start of the User-Agent */
#define BOT_END		0x4	/* only at the end */

/*
 * One literal of the table: the bytes to find (a C string), not_after
 * (NULL, or bytes that must not come just before them, compared without
 * regard to case: "bot" not after "cu", for the Cubot phones) and the
 * flags above.
 */
struct bot_pattern {
	const char	*lit;
	const char	*not_after;
	unsigned	 flags;
};

extern const struct bot_pattern	bot_table[];
extern const size_t		bot_table_len;
extern const char		bot_table_source[];	/* "<list> <version>" */

/*
 * Whether ua (len bytes, borrowed; need not be NUL-terminated, may hold
 * any byte) matches a pattern of the table.  An empty User-Agent (len 0,
 * or ua NULL) does not: the list names crawlers by what they say they
 * are, and one that says nothing is not claimed to be one (docs/api.md,
 * Bots).  Pure apart from the tables built on first use; thread-safe.
 */
bool	bot_match(const char *ua, size_t len);

/*
 * Build the tables now rather than on the first bot_match (well under a
 * millisecond), e.g. at startup.  Idempotent, thread-safe.
 */
void	bot_init(void);

#endif

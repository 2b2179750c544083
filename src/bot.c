/*
 * bot: the crawler list's literals (bot_table.c) in one Aho-Corasick
 * automaton, and the match of a User-Agent against it.
 *
 * The automaton runs over case-folded bytes (ASCII A-Z as a-z), mapped to
 * classes first: only the bytes that occur in some literal get a class of
 * their own, every other byte is class 0, so the transition table is
 * states x classes (13,647 x 50 16-bit entries, 1.4 MB, for
 * crawler-user-agents 1.60.0) instead of states x 256.  It is a full DFA: every state has a next state for
 * every class, failure links folded in, so a byte costs one table lookup
 * and one test of the hit flag.  A state is a hit when some literal ends
 * there, or at one of its suffix states (the dictionary links); then the
 * candidates are checked for what the folded automaton cannot see: the
 * case of a case-sensitive literal, the anchors and not_after.  Browsers'
 * User-Agents reach no hit state at all, nearly always.
 *
 * The automaton is built once (pthread_once) and only read afterwards.
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

#define NO_PATTERN	(-1)

static struct {
	uint16_t	*next;		/* [state * nclass + class] */
	uint8_t		*hit;		/* [state]: a literal may end here */
	int32_t		*out;		/* [state]: first literal ending here */
	uint16_t	*dict;		/* [state]: next suffix state with out */
	int32_t		*same;		/* [literal]: next with the same state */
	size_t		*len;		/* [literal]: its length */
	size_t		 nclass;
	uint8_t		 cls[256];	/* byte -> class */
} a;

static pthread_once_t once = PTHREAD_ONCE_INIT;

static unsigned char
fold(unsigned char c)
{
	return c >= 'A' && c <= 'Z' ? (unsigned char)(c - 'A' + 'a') : c;
}

/* The byte classes: one per folded byte that occurs in a literal. */
static void
build_classes(void)
{
	memset(a.cls, 0, sizeof(a.cls));
	a.nclass = 1;
	for (size_t p = 0; p < bot_table_len; p++)
		for (const char *s = bot_table[p].lit; *s != '\0'; s++) {
			unsigned char c = fold((unsigned char)*s);

			if (a.cls[c] != 0)
				continue;
			a.cls[c] = (uint8_t)a.nclass++;
			if (c >= 'a' && c <= 'z')
				a.cls[c - 'a' + 'A'] = a.cls[c];
		}
}

static void
build(void)
{
	size_t maxstates = 1, nstates = 1, head = 0, tail = 0;
	uint16_t *fail, *queue;

	build_classes();
	for (size_t p = 0; p < bot_table_len; p++)
		maxstates += strlen(bot_table[p].lit);
	if (maxstates > UINT16_MAX) {
		/* The generator keeps the table far below; a bigger list
		   needs wider states here. */
		fprintf(stderr, "bot: %zu states do not fit 16 bits\n",
		    maxstates);
		abort();
	}
	a.next = xcalloc(maxstates * a.nclass, sizeof(*a.next));
	a.hit = xcalloc(maxstates, sizeof(*a.hit));
	a.out = xcalloc(maxstates, sizeof(*a.out));
	a.dict = xcalloc(maxstates, sizeof(*a.dict));
	a.same = xcalloc(bot_table_len, sizeof(*a.same));
	a.len = xcalloc(bot_table_len, sizeof(*a.len));
	fail = xcalloc(maxstates, sizeof(*fail));
	queue = xcalloc(maxstates, sizeof(*queue));
	for (size_t s = 0; s < maxstates; s++)
		a.out[s] = NO_PATTERN;

	/* The trie: an edge to state 0 means none (nothing enters the root). */
	for (size_t p = 0; p < bot_table_len; p++) {
		const char *lit = bot_table[p].lit;
		size_t s = 0;

		a.len[p] = strlen(lit);
		for (size_t i = 0; i < a.len[p]; i++) {
			uint16_t *e = &a.next[s * a.nclass +
			    a.cls[(unsigned char)lit[i]]];

			if (*e == 0)
				*e = (uint16_t)nstates++;
			s = *e;
		}
		a.same[p] = a.out[s];
		a.out[s] = (int32_t)p;
	}

	/*
	 * Breadth first: a state's failure state is shallower, so its
	 * transitions are complete when the state's own missing ones are
	 * copied from it.
	 */
	queue[tail++] = 0;
	while (head < tail) {
		size_t s = queue[head++];

		for (size_t c = 0; c < a.nclass; c++) {
			uint16_t *e = &a.next[s * a.nclass + c];
			uint16_t f = s == 0 ? 0 : a.next[fail[s] * a.nclass + c];

			if (*e == 0) {
				*e = f;
				continue;
			}
			fail[*e] = f;
			a.dict[*e] = a.out[f] != NO_PATTERN ? f : a.dict[f];
			a.hit[*e] = a.out[*e] != NO_PATTERN || a.dict[*e] != 0;
			queue[tail++] = *e;
		}
	}
	free(fail);
	free(queue);
}

void
bot_init(void)
{
	pthread_once(&once, build);
}

/* Whether literal p, found folded at ua[at .. at+len), matches as written. */
static bool
verify(size_t p, const char *ua, size_t len, size_t at)
{
	const struct bot_pattern *b = &bot_table[p];
	size_t n = a.len[p], na;

	if ((b->flags & BOT_START) && at != 0)
		return false;
	if ((b->flags & BOT_END) && at + n != len)
		return false;
	if (!(b->flags & BOT_ANYCASE) && memcmp(ua + at, b->lit, n) != 0)
		return false;
	if (b->not_after != NULL) {
		na = strlen(b->not_after);
		if (at >= na && strncasecmp(ua + at - na, b->not_after, na) == 0)
			return false;
	}
	return true;
}

bool
bot_match(const char *ua, size_t len)
{
	const unsigned char *u = (const unsigned char *)ua;
	size_t s = 0;

	if (ua == NULL || len == 0)
		return false;
	bot_init();
	for (size_t i = 0; i < len; i++) {
		s = a.next[s * a.nclass + a.cls[u[i]]];
		if (!a.hit[s])
			continue;
		for (size_t t = s; t != 0; t = a.dict[t])
			for (int32_t p = a.out[t]; p != NO_PATTERN;
			    p = a.same[p])
				if (verify((size_t)p, ua, len,
				    i + 1 - a.len[p]))
					return true;
	}
	return false;
}

/*
 * ratelimit: a token bucket per client key, in a table of bounded memory.
 *
 * Each key has a bucket of `burst` tokens refilled at `rate` tokens a
 * second; a request takes one token or is refused.  The table holds at
 * most `entries` keys, allocated once at ratelimit_new: past that the
 * least recently seen key of a shard is forgotten (see ratelimit.c for
 * why that does not let a client reset its own bucket).  Sharded locks,
 * so the HTTP pool threads do not serialise on one mutex.  The clock is
 * the caller's (now_ns, any monotonic origin), so tests never sleep.
 *
 * Not here: who the client is (client_id.c), what to answer (guard.c).
 */
#ifndef VISITSD_RATELIMIT_H
#define VISITSD_RATELIMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RATELIMIT_KEY_LEN	16
#define RATELIMIT_RATE_MAX	1000000		/* requests per second */
#define RATELIMIT_BURST_MAX	1000000

struct ratelimit;

/* The outcome of one request. */
struct ratelimit_verdict {
	bool		allowed;
	uint32_t	remaining;	/* whole tokens left after it */
	uint32_t	reset_s;	/* seconds until remaining grows by one,
					   rounded up; >= 1 */
};

/*
 * A rate in requests per second: a decimal with at most three decimals
 * ("10", "0.5", "2.125"), 0 to RATELIMIT_RATE_MAX; 0 means no limit.
 * Stores thousandths of a request per second in *milli.  Returns 0, or -1
 * with the reason in why.  The setting's check and ratelimit_new's caller
 * both read it here.
 */
int	ratelimit_rate_parse(const char *s, uint64_t *milli, char *why,
	    size_t whylen);

/*
 * A new limiter: rate_milli (> 0) thousandths of a token per second,
 * buckets of burst (1..RATELIMIT_BURST_MAX) tokens, at most entries keys
 * (at least one per shard), spread over at least `shards` shards (rounded
 * up to a power of two).  All memory is allocated here.
 */
struct ratelimit	*ratelimit_new(uint64_t rate_milli, uint32_t burst,
			    size_t entries, unsigned shards);
void			 ratelimit_free(struct ratelimit *);	/* NULL ok */

/*
 * Take a token from key's bucket (RATELIMIT_KEY_LEN bytes, borrowed) at
 * now_ns.  A refused request takes nothing.  Thread-safe.
 */
void	ratelimit_take(struct ratelimit *, const uint8_t *key, uint64_t now_ns,
	    struct ratelimit_verdict *v);

/* The bucket size, and the seconds an empty bucket takes to refill
 * (rounded up, >= 1): the q and w of the RateLimit-Policy field. */
uint32_t	ratelimit_burst(const struct ratelimit *);
uint32_t	ratelimit_window_s(const struct ratelimit *);

/* The bytes the limiter allocated: fixed from ratelimit_new on. */
size_t		ratelimit_bytes(const struct ratelimit *);
/* Keys held now, and keys forgotten to make room so far. */
size_t		ratelimit_count(struct ratelimit *);
uint64_t	ratelimit_evictions(struct ratelimit *);

#endif

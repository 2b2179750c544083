/*
 * ratelimit: token buckets per key in a fixed-size LRU hash table.
 *
 * The bucket is kept as GCRA (the generic cell rate algorithm, the token
 * bucket written with one timestamp): each key stores its "theoretical
 * arrival time" tat.  With T = 1/rate and L = burst * T, a request at now
 * is allowed when max(tat, now) + T - now <= L, and then tat becomes
 * max(tat, now) + T; a refused request changes nothing.  debt = tat - now
 * is how far the bucket is from full, so the tokens left are
 * burst - debt / T.  Integer nanoseconds throughout: exact, no drift.
 *
 * Memory.  The table is split into shards (a power of two, at least four
 * per HTTP thread), each with its own mutex, hash buckets, a fixed array of
 * entries and an LRU list threaded through them.  Everything is allocated
 * by ratelimit_new; a full shard reuses its least recently seen entry.
 * So memory is fixed by VISITSD_RATE_TABLE_SIZE whatever the number of
 * clients, and ratelimit_bytes says how much.
 *
 * Why eviction does not defeat the limit.  A key that is not in the table
 * gets a full bucket, which is exactly what a forgotten key gets back when
 * it returns.  That is a loss only if its bucket had not refilled yet,
 * i.e. the key was evicted less than a window (burst / rate seconds) after
 * its last request.  Evicting is LRU, so that needs every other entry of
 * its shard to have been used more recently: at least `entries` distinct
 * keys (spread over the shards by a hash seeded at random, so nobody can
 * aim at one shard) within that window.  A client that controls that many
 * addresses can already send `entries` times the per-client rate by
 * rotating through them, table or no table: per-client limiting cannot
 * bound it, and eviction gives it nothing more.  A client with fewer
 * addresses cannot get its own entry evicted early, and an idle real
 * reader who is evicted only comes back with the full bucket it had
 * anyway.  Eviction never makes anyone more limited.
 *
 * Not here: who the client is (client_id.c), the answer (guard.c).
 */
#include <sys/random.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ratelimit.h"
#include "util.h"

#define NIL		UINT32_MAX
#define NS		1000000000ULL

struct entry {
	uint8_t		key[RATELIMIT_KEY_LEN];
	uint64_t	tat;		/* ns; 0: a full bucket */
	uint32_t	hash;		/* low bits pick the hash bucket */
	uint32_t	hnext;		/* hash chain */
	uint32_t	prev, next;	/* LRU: prev is more recent */
};

struct shard {
	pthread_mutex_t	 mu;
	uint32_t	*heads;		/* hash buckets, mask + 1 */
	struct entry	*e;
	uint32_t	 used, cap, mask;
	uint32_t	 mru, lru;
	uint64_t	 evictions;
} __attribute__((aligned(64)));

struct ratelimit {
	uint64_t	 interval;	/* T, ns per token */
	uint64_t	 limit;		/* L = burst * T */
	uint32_t	 burst;
	uint32_t	 window_s;
	uint64_t	 seed[2];
	unsigned	 nshards;
	struct shard	*shards;
	size_t		 bytes;
};

int
ratelimit_rate_parse(const char *s, uint64_t *milli, char *why,
    size_t whylen)
{
	uint64_t whole = 0, frac = 0;
	int digits = 0, fdigits = 0;
	const char *p = s;

	for (; *p >= '0' && *p <= '9'; p++, digits++)
		if (digits < 8)
			whole = whole * 10 + (uint64_t)(*p - '0');
	if (*p == '.') {
		for (p++; *p >= '0' && *p <= '9'; p++, fdigits++)
			if (fdigits < 3)
				frac = frac * 10 + (uint64_t)(*p - '0');
	}
	if (digits == 0 || *p != '\0' || (s[digits] == '.' && fdigits == 0)) {
		snprintf(why, whylen, "\"%s\" is not a number of requests per "
		    "second (such as 10 or 0.5)", s);
		return -1;
	}
	if (fdigits > 3) {
		snprintf(why, whylen, "\"%s\": at most three decimals", s);
		return -1;
	}
	while (fdigits++ < 3)
		frac *= 10;
	if (digits > 7 || whole > RATELIMIT_RATE_MAX ||
	    (whole == RATELIMIT_RATE_MAX && frac > 0)) {
		snprintf(why, whylen, "%s is above the maximum %d", s,
		    RATELIMIT_RATE_MAX);
		return -1;
	}
	*milli = whole * 1000 + frac;
	return 0;
}

/* A keyed 64-bit hash of the 16-byte key (seeded at random). */
static uint64_t
mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return x;
}

static uint64_t
hash_key(const struct ratelimit *rl, const uint8_t *key)
{
	uint64_t a, b;

	memcpy(&a, key, 8);
	memcpy(&b, key + 8, 8);
	return mix(mix(a ^ rl->seed[0]) ^ b ^ rl->seed[1]);
}

static uint32_t
pow2_at_least(uint64_t n)
{
	uint32_t p = 1;

	while (p < n && p < (1U << 30))
		p <<= 1;
	return p;
}

struct ratelimit *
ratelimit_new(uint64_t rate_milli, uint32_t burst, size_t entries,
    unsigned shards)
{
	struct ratelimit *rl = xcalloc(1, sizeof(*rl));
	uint64_t t;

	if (rate_milli == 0)
		rate_milli = 1;
	if (burst == 0)
		burst = 1;
	rl->interval = (NS * 1000) / rate_milli;
	if (rl->interval == 0)
		rl->interval = 1;
	rl->burst = burst;
	rl->limit = rl->interval * burst;
	t = (rl->limit + NS - 1) / NS;
	rl->window_s = t == 0 ? 1 : t > UINT32_MAX ? UINT32_MAX : (uint32_t)t;
	if (getrandom(rl->seed, sizeof(rl->seed), 0) != sizeof(rl->seed)) {
		struct timespec ts;

		/* No entropy yet: the clock only makes collisions hard to aim. */
		clock_gettime(CLOCK_MONOTONIC, &ts);
		rl->seed[0] = (uint64_t)ts.tv_nsec * 0x9e3779b97f4a7c15ULL;
		rl->seed[1] = (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)rl;
	}
	rl->nshards = pow2_at_least(shards == 0 ? 1 : shards);
	if (entries < rl->nshards)
		entries = rl->nshards;
	rl->shards = xcalloc(rl->nshards, sizeof(*rl->shards));
	rl->bytes = sizeof(*rl) + rl->nshards * sizeof(*rl->shards);
	for (unsigned i = 0; i < rl->nshards; i++) {
		struct shard *s = &rl->shards[i];

		pthread_mutex_init(&s->mu, NULL);
		s->cap = (uint32_t)((entries + rl->nshards - 1) / rl->nshards);
		s->mask = pow2_at_least(s->cap) - 1;
		s->e = xcalloc(s->cap, sizeof(*s->e));
		s->heads = xmalloc(((size_t)s->mask + 1) * sizeof(*s->heads));
		memset(s->heads, 0xff, ((size_t)s->mask + 1) *
		    sizeof(*s->heads));
		s->mru = s->lru = NIL;
		rl->bytes += s->cap * sizeof(*s->e) +
		    ((size_t)s->mask + 1) * sizeof(*s->heads);
	}
	return rl;
}

void
ratelimit_free(struct ratelimit *rl)
{
	if (rl == NULL)
		return;
	for (unsigned i = 0; i < rl->nshards; i++) {
		pthread_mutex_destroy(&rl->shards[i].mu);
		free(rl->shards[i].e);
		free(rl->shards[i].heads);
	}
	free(rl->shards);
	free(rl);
}

static void
lru_unlink(struct shard *s, uint32_t i)
{
	struct entry *e = &s->e[i];

	if (e->prev != NIL)
		s->e[e->prev].next = e->next;
	else
		s->mru = e->next;
	if (e->next != NIL)
		s->e[e->next].prev = e->prev;
	else
		s->lru = e->prev;
}

static void
lru_push(struct shard *s, uint32_t i)
{
	struct entry *e = &s->e[i];

	e->prev = NIL;
	e->next = s->mru;
	if (s->mru != NIL)
		s->e[s->mru].prev = i;
	s->mru = i;
	if (s->lru == NIL)
		s->lru = i;
}

static void
hash_unlink(struct shard *s, uint32_t i)
{
	uint32_t *p = &s->heads[s->e[i].hash & s->mask];

	while (*p != i)
		p = &s->e[*p].hnext;
	*p = s->e[i].hnext;
}

/* The entry of key in s, created (or recycled) with a full bucket. */
static struct entry *
lookup(struct shard *s, const uint8_t *key, uint32_t hash)
{
	uint32_t i, *head = &s->heads[hash & s->mask];

	for (i = *head; i != NIL; i = s->e[i].hnext)
		if (s->e[i].hash == hash &&
		    memcmp(s->e[i].key, key, RATELIMIT_KEY_LEN) == 0) {
			lru_unlink(s, i);
			lru_push(s, i);
			return &s->e[i];
		}
	if (s->used < s->cap)
		i = s->used++;
	else {
		i = s->lru;
		lru_unlink(s, i);
		hash_unlink(s, i);
		s->evictions++;
	}
	memcpy(s->e[i].key, key, RATELIMIT_KEY_LEN);
	s->e[i].tat = 0;
	s->e[i].hash = hash;
	s->e[i].hnext = *head;
	*head = i;
	lru_push(s, i);
	return &s->e[i];
}

static uint32_t
ceil_s(uint64_t ns)
{
	uint64_t s = (ns + NS - 1) / NS;

	return s == 0 ? 1 : s > UINT32_MAX ? UINT32_MAX : (uint32_t)s;
}

void
ratelimit_take(struct ratelimit *rl, const uint8_t *key, uint64_t now_ns,
    struct ratelimit_verdict *v)
{
	uint64_t h = hash_key(rl, key), start, debt, rem;
	struct shard *s = &rl->shards[(h >> 32) & (rl->nshards - 1)];
	struct entry *e;

	pthread_mutex_lock(&s->mu);
	e = lookup(s, key, (uint32_t)h);
	start = e->tat > now_ns ? e->tat : now_ns;
	debt = start - now_ns + rl->interval;
	if (debt > rl->limit) {
		pthread_mutex_unlock(&s->mu);
		v->allowed = false;
		v->remaining = 0;
		/* Until debt falls to L - T, when one token is back. */
		v->reset_s = ceil_s(debt - rl->limit);
		return;
	}
	e->tat = start + rl->interval;
	pthread_mutex_unlock(&s->mu);
	v->allowed = true;
	rem = (rl->limit - debt) / rl->interval;
	v->remaining = (uint32_t)rem;
	/* remaining grows when debt falls to (burst - rem - 1) * T. */
	v->reset_s = ceil_s(debt - (rl->burst - rem - 1) * rl->interval);
}

uint32_t
ratelimit_burst(const struct ratelimit *rl)
{
	return rl->burst;
}

uint32_t
ratelimit_window_s(const struct ratelimit *rl)
{
	return rl->window_s;
}

size_t
ratelimit_bytes(const struct ratelimit *rl)
{
	return rl->bytes;
}

size_t
ratelimit_count(struct ratelimit *rl)
{
	size_t n = 0;

	for (unsigned i = 0; i < rl->nshards; i++) {
		pthread_mutex_lock(&rl->shards[i].mu);
		n += rl->shards[i].used;
		pthread_mutex_unlock(&rl->shards[i].mu);
	}
	return n;
}

uint64_t
ratelimit_evictions(struct ratelimit *rl)
{
	uint64_t n = 0;

	for (unsigned i = 0; i < rl->nshards; i++) {
		pthread_mutex_lock(&rl->shards[i].mu);
		n += rl->shards[i].evictions;
		pthread_mutex_unlock(&rl->shards[i].mu);
	}
	return n;
}

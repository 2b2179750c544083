/*
 * apikey: the set of valid API keys and the key ring that swaps it.
 *
 * A set does not keep the keys themselves but their SHA-256 digests.  The
 * check hashes the candidate once and compares its digest with every
 * stored digest using CRYPTO_memcmp, without stopping at a match, so the
 * time taken depends neither on where the candidate differs, nor on which
 * key matched, nor on the length of any key: every buffer compared is 32
 * bytes long.  The only thing the timing reveals is how many keys there
 * are and how long the candidate is, which the caller sent.
 *
 * The ring guards its current set with a pthread rwlock: checks take it
 * shared and run in parallel, apikey_ring_replace (SIGHUP) takes it
 * exclusive for the pointer swap only, and frees the old set after
 * unlocking.  The lock prefers writers: glibc's default prefers readers,
 * and under steady traffic on two or more pool threads some check always
 * holds it shared, so a reload could wait forever (seen under valgrind,
 * which runs the threads one at a time).  A check never takes it twice,
 * which is what the non-recursive kind asks.
 *
 * Not here: where keys come from (a setting, a file, SSM) is keysource.c's
 * business, and when to reload is main.c's.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "util.h"

struct apikey_set {
	size_t		  count;
	unsigned char	(*digest)[SHA256_DIGEST_LENGTH];
};

struct apikey_ring {
	pthread_rwlock_t	 lock;
	struct apikey_set	*set;
};

static void
digest(const void *buf, size_t len, unsigned char out[SHA256_DIGEST_LENGTH])
{
	/* SHA-256 has no failure of its own: only its context allocation. */
	if (EVP_Digest(buf, len, out, NULL, EVP_sha256(), NULL) != 1)
		util_out_of_memory();
}

struct apikey_set *
apikey_set_parse(const char *list, char *err, size_t errlen)
{
	struct apikey_set *set = xcalloc(1, sizeof(*set));
	const char *p, *key;
	size_t len;

	set->digest = xcalloc(util_list_count(list), sizeof(*set->digest));
	for (p = list; util_list_next(&p, &key, &len); )
		if (len > 0)
			digest(key, len, set->digest[set->count++]);
	if (set->count == 0) {
		snprintf(err, errlen, "no API key in the list");
		apikey_set_free(set);
		return NULL;
	}
	return set;
}

size_t
apikey_set_count(const struct apikey_set *set)
{
	return set == NULL ? 0 : set->count;
}

bool
apikey_set_shared(const struct apikey_set *a, const struct apikey_set *b)
{
	int match = 0;

	if (a == NULL || b == NULL)
		return false;
	for (size_t i = 0; i < a->count; i++)
		for (size_t j = 0; j < b->count; j++)
			match |= CRYPTO_memcmp(a->digest[i], b->digest[j],
			    SHA256_DIGEST_LENGTH) == 0;
	return match != 0;
}

void
apikey_set_free(struct apikey_set *set)
{
	if (set == NULL)
		return;
	if (set->digest != NULL) {
		OPENSSL_cleanse(set->digest, set->count * sizeof(*set->digest));
		free(set->digest);
	}
	free(set);
}

struct apikey_ring *
apikey_ring_new(void)
{
	struct apikey_ring *kr = xcalloc(1, sizeof(*kr));
	pthread_rwlockattr_t a;

	pthread_rwlockattr_init(&a);
	pthread_rwlockattr_setkind_np(&a,
	    PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	/* Only a lack of memory or of other resources makes this fail. */
	if (pthread_rwlock_init(&kr->lock, &a) != 0)
		util_out_of_memory();
	pthread_rwlockattr_destroy(&a);
	return kr;
}

void
apikey_ring_free(struct apikey_ring *kr)
{
	if (kr == NULL)
		return;
	apikey_set_free(kr->set);
	pthread_rwlock_destroy(&kr->lock);
	free(kr);
}

void
apikey_ring_replace(struct apikey_ring *kr, struct apikey_set *set)
{
	struct apikey_set *old;

	pthread_rwlock_wrlock(&kr->lock);
	old = kr->set;
	kr->set = set;
	pthread_rwlock_unlock(&kr->lock);
	apikey_set_free(old);
}

bool
apikey_ring_shares(struct apikey_ring *kr, const struct apikey_set *set)
{
	bool shared;

	pthread_rwlock_rdlock(&kr->lock);
	shared = apikey_set_shared(kr->set, set);
	pthread_rwlock_unlock(&kr->lock);
	return shared;
}

bool
apikey_ring_loaded(struct apikey_ring *kr)
{
	bool loaded;

	pthread_rwlock_rdlock(&kr->lock);
	loaded = kr->set != NULL;
	pthread_rwlock_unlock(&kr->lock);
	return loaded;
}

bool
apikey_ring_check(struct apikey_ring *kr, const char *candidate, size_t len)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	int match = 0;

	/* No key holds a NUL: a candidate with one never matches. */
	if (candidate == NULL || memchr(candidate, '\0', len) != NULL)
		return false;
	digest(candidate, len, d);
	pthread_rwlock_rdlock(&kr->lock);
	if (kr->set != NULL)
		for (size_t i = 0; i < kr->set->count; i++)
			match |= CRYPTO_memcmp(d, kr->set->digest[i],
			    sizeof(d)) == 0;
	pthread_rwlock_unlock(&kr->lock);
	OPENSSL_cleanse(d, sizeof(d));
	return match != 0;
}

/*
 * apikey: the set of valid API keys and the keyring that swaps it.
 *
 * A set does not keep the keys themselves but their SHA-256 digests.  The
 * check hashes the candidate once and compares its digest with every
 * stored digest using CRYPTO_memcmp, without stopping at a match, so the
 * time taken depends neither on where the candidate differs, nor on which
 * key matched, nor on the length of any key: every buffer compared is 32
 * bytes long.  The only thing the timing reveals is how many keys there
 * are and how long the candidate is, which the caller sent.
 *
 * The keyring guards its current set with a pthread rwlock: checks take it
 * shared and run in parallel, keyring_replace (SIGHUP) takes it exclusive
 * for the pointer swap only, and frees the old set after unlocking.
 *
 * Not here: where keys come from (a setting, a file, SSM) is main.c's and
 * the AWS client's business.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/sha.h>

#include "apikey.h"
#include "log.h"
#include "util.h"

struct apikey_set {
	size_t		  count;
	unsigned char	(*digest)[SHA256_DIGEST_LENGTH];
};

struct keyring {
	pthread_rwlock_t	 lock;
	struct apikey_set	*set;
};

static void
digest(const void *buf, size_t len, unsigned char out[SHA256_DIGEST_LENGTH])
{
	if (EVP_Digest(buf, len, out, NULL, EVP_sha256(), NULL) != 1) {
		log_error("apikey: SHA-256 failed");
		abort();
	}
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

struct keyring *
keyring_new(void)
{
	struct keyring *kr;

	if ((kr = calloc(1, sizeof(*kr))) == NULL) {
		log_error("apikey: out of memory");
		abort();
	}
	if (pthread_rwlock_init(&kr->lock, NULL) != 0) {
		log_error("apikey: pthread_rwlock_init failed");
		abort();
	}
	return kr;
}

void
keyring_free(struct keyring *kr)
{
	if (kr == NULL)
		return;
	apikey_set_free(kr->set);
	pthread_rwlock_destroy(&kr->lock);
	free(kr);
}

void
keyring_replace(struct keyring *kr, struct apikey_set *set)
{
	struct apikey_set *old;

	pthread_rwlock_wrlock(&kr->lock);
	old = kr->set;
	kr->set = set;
	pthread_rwlock_unlock(&kr->lock);
	apikey_set_free(old);
}

bool
keyring_loaded(struct keyring *kr)
{
	bool loaded;

	pthread_rwlock_rdlock(&kr->lock);
	loaded = kr->set != NULL;
	pthread_rwlock_unlock(&kr->lock);
	return loaded;
}

bool
keyring_check(struct keyring *kr, const char *candidate, size_t len)
{
	unsigned char d[SHA256_DIGEST_LENGTH];
	int match = 0;

	if (candidate == NULL)
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

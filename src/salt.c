/*
 * salt: the salt keeper (see salt.h for what it promises).
 *
 * Two slots, each a day and its salt, under one mutex: the request path
 * copies today's salt out and hashes with no lock held.  The refresh runs
 * on the keeper's thread, or in the test that drives it; it asks the
 * store only for a day it does not hold, so a steady keeper makes one
 * store_salt call a day (and the forget of the hour).  Salts are wiped
 * with OPENSSL_cleanse when a slot is replaced and when the keeper is
 * freed.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "config.h"
#include "log.h"
#include "metrics.h"
#include "salt.h"
#include "store.h"
#include "util.h"
#include "visitor.h"

#define REFRESH_S	60
#define RETRY_S		1	/* while the store has not given today's salt */
#define FORGET_S	3600
#define AHEAD_S		600	/* tomorrow's salt: fetched this close to midnight */
#define SECONDS_A_DAY	86400

struct slot {
	bool		held;
	uint32_t	day;
	uint8_t		salt[STORE_SALT_LEN];
};

struct salt_keeper {
	struct store		*store;		/* borrowed */
	bool			 enabled;
	int			 offset;	/* test_day_offset */
	salt_clock_fn		*clock;
	struct metrics_counter	*unavailable;

	pthread_mutex_t		 mu;		/* guards slots */
	struct slot		 slots[2];

	/* The refresher's own state (one refresher at a time). */
	time_t			 last_forget;	/* 0: never */
	uint32_t		 forgot_day;	/* today at the last forget */
	bool			 warned;	/* logged the store's failure */

	pthread_t		 thread;
	bool			 started;
	pthread_mutex_t		 stop_mu;
	pthread_cond_t		 stop_cv;
	bool			 stop;
};

uint32_t
salt_day(time_t now, int offset)
{
	int64_t day = (int64_t)now / SECONDS_A_DAY + offset;

	return day < 0 ? 0 : (uint32_t)day;
}

static time_t
now_of(const struct salt_keeper *k)
{
	return k->clock != NULL ? k->clock() : time(NULL);
}

uint32_t
salt_keeper_today(const struct salt_keeper *k)
{
	return salt_day(now_of(k), k->offset);
}

/* Is day held?  Under k->mu. */
static bool
holds(const struct salt_keeper *k, uint32_t day)
{
	for (int i = 0; i < 2; i++)
		if (k->slots[i].held && k->slots[i].day == day)
			return true;
	return false;
}

bool
salt_keeper_ready(struct salt_keeper *k)
{
	uint32_t today = salt_keeper_today(k);
	bool held;

	if (!k->enabled)
		return true;
	pthread_mutex_lock(&k->mu);
	held = holds(k, today);
	pthread_mutex_unlock(&k->mu);
	return held;
}

/* Put day's salt in the slot of the oldest or missing day; under k->mu. */
static void
keep(struct salt_keeper *k, uint32_t day, const uint8_t salt[STORE_SALT_LEN])
{
	struct slot *s0 = &k->slots[0], *s1 = &k->slots[1], *s;

	s = !s0->held ? s0 : !s1->held ? s1 : s0->day < s1->day ? s0 : s1;
	OPENSSL_cleanse(s->salt, sizeof(s->salt));
	s->held = true;
	s->day = day;
	memcpy(s->salt, salt, STORE_SALT_LEN);
}

/* Drop the salts of days before today; under k->mu. */
static void
drop_before(struct salt_keeper *k, uint32_t today)
{
	for (int i = 0; i < 2; i++)
		if (k->slots[i].held && k->slots[i].day < today) {
			OPENSSL_cleanse(k->slots[i].salt,
			    sizeof(k->slots[i].salt));
			k->slots[i].held = false;
		}
}

void
salt_keeper_refresh(struct salt_keeper *k)
{
	uint8_t salt[STORE_SALT_LEN];
	enum store_result res;
	time_t now = now_of(k);
	uint32_t today = salt_day(now, k->offset), last = today;
	bool have, failed = false;

	if (!k->enabled)
		return;
	pthread_mutex_lock(&k->mu);
	drop_before(k, today);
	pthread_mutex_unlock(&k->mu);
	/*
	 * Tomorrow's salt only in the last minutes of today, so midnight
	 * never waits and no salt is made long before its day.
	 */
	if (SECONDS_A_DAY - now % SECONDS_A_DAY <= AHEAD_S)
		last = today + 1;
	for (uint32_t day = today; day <= last; day++) {
		pthread_mutex_lock(&k->mu);
		have = holds(k, day);
		pthread_mutex_unlock(&k->mu);
		if (have)
			continue;
		if ((res = store_salt(k->store, day, salt)) != STORE_OK) {
			if (!k->warned)
				log_warnx("salt: no salt for day %u from the "
				    "store (%s): visits count without uniques "
				    "until it answers", (unsigned)day,
				    store_result_str(res));
			k->warned = true;
			failed = true;
			OPENSSL_cleanse(salt, sizeof(salt));
			break;
		}
		if (k->warned)
			log_info("salt: the store answers again; unique "
			    "visitors count");
		k->warned = false;
		pthread_mutex_lock(&k->mu);
		keep(k, day, salt);
		pthread_mutex_unlock(&k->mu);
		OPENSSL_cleanse(salt, sizeof(salt));
	}
	/*
	 * Hourly, and at once when the day has changed: yesterday's salt and
	 * hashes go within a minute of midnight.  Not while the store fails
	 * the salts (at startup that would only add its retries' wait).
	 */
	if (!failed && (k->last_forget == 0 || now - k->last_forget >=
	    FORGET_S || now < k->last_forget || today != k->forgot_day)) {
		if ((res = store_forget(k->store, today)) == STORE_OK) {
			k->last_forget = now;
			k->forgot_day = today;
		}
		else
			log_warnx("salt: forgetting the salts and visitors of "
			    "past days failed (%s); retrying in a minute",
			    store_result_str(res));
	}
}

void
salt_keeper_visit(struct salt_keeper *k, const char *id,
    const struct client_addr *addr, const char *ua, size_t ualen,
    struct store_visit *out)
{
	uint8_t salt[STORE_SALT_LEN];
	bool found = false;

	memset(out, 0, sizeof(*out));
	out->day = salt_keeper_today(k);
	if (!k->enabled)
		return;
	pthread_mutex_lock(&k->mu);
	for (int i = 0; i < 2; i++)
		if (k->slots[i].held && k->slots[i].day == out->day) {
			memcpy(salt, k->slots[i].salt, sizeof(salt));
			found = true;
		}
	pthread_mutex_unlock(&k->mu);
	if (!found) {
		metrics_counter_add(k->unavailable, 1);
		return;
	}
	visitor_hash(salt, id, addr, ua, ualen, out->visitor);
	OPENSSL_cleanse(salt, sizeof(salt));
	out->has_visitor = true;
}

static void *
keeper_main(void *arg)
{
	struct salt_keeper *k = arg;
	struct timespec ts;

	pthread_mutex_lock(&k->stop_mu);
	while (!k->stop) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		ts.tv_sec += k->warned ? RETRY_S : REFRESH_S;
		while (!k->stop && pthread_cond_timedwait(&k->stop_cv,
		    &k->stop_mu, &ts) != ETIMEDOUT)
			;
		if (k->stop)
			break;
		pthread_mutex_unlock(&k->stop_mu);
		salt_keeper_refresh(k);
		pthread_mutex_lock(&k->stop_mu);
	}
	pthread_mutex_unlock(&k->stop_mu);
	return NULL;
}

struct salt_keeper *
salt_keeper_new(const struct config *cfg, struct store *store,
    salt_clock_fn *clock, char *err, size_t errlen)
{
	struct salt_keeper *k = xcalloc(1, sizeof(*k));
	pthread_condattr_t ca;

	k->store = store;
	k->enabled = cfg->unique_visitors;
	k->offset = cfg->test_day_offset;
	k->clock = clock;
	k->unavailable = metrics_counter_new(
	    "visitsd_unique_unavailable_total", NULL,
	    "Visits counted without a visitor hash because no salt of the "
	    "day was at hand (the store did not answer): they add to "
	    "visits, not to unique.", 0);
	pthread_mutex_init(&k->mu, NULL);
	pthread_mutex_init(&k->stop_mu, NULL);
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&k->stop_cv, &ca);
	pthread_condattr_destroy(&ca);
	if (!k->enabled)
		return k;
	if (k->offset != 0)
		log_warnx("salt: test_day_offset is %d: days are counted "
		    "off the real UTC day (a setting for tests)", k->offset);
	salt_keeper_refresh(k);
	if (clock != NULL)
		return k;
	if ((errno = pthread_create(&k->thread, NULL, keeper_main, k)) != 0) {
		snprintf(err, errlen, "cannot start the salt keeper: %s",
		    strerror(errno));
		salt_keeper_free(k);
		return NULL;
	}
	k->started = true;
	return k;
}

void
salt_keeper_stop(struct salt_keeper *k)
{
	if (k == NULL || !k->started)
		return;
	pthread_mutex_lock(&k->stop_mu);
	k->stop = true;
	pthread_cond_signal(&k->stop_cv);
	pthread_mutex_unlock(&k->stop_mu);
	pthread_join(k->thread, NULL);
	k->started = false;
}

void
salt_keeper_free(struct salt_keeper *k)
{
	if (k == NULL)
		return;
	salt_keeper_stop(k);
	OPENSSL_cleanse(k->slots, sizeof(k->slots));
	pthread_cond_destroy(&k->stop_cv);
	pthread_mutex_destroy(&k->stop_mu);
	pthread_mutex_destroy(&k->mu);
	free(k);
}

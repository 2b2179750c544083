/*
 * salt: the salt keeper, and the day clock of unique visitors.
 *
 * The keeper holds today's salt, and tomorrow's in the last ten minutes of
 * the day, fetched with the blocking store_salt on a thread of its own
 * (never an HTTP worker), so the request path only copies a salt under a
 * lock and midnight never waits on the store.  It refreshes every minute
 * and calls store_forget about every hour and within a minute of
 * midnight, so a salt lives from a few minutes before its day to just
 * after it: never 48 hours.  With unique counting off it makes no salt
 * at all.
 */
#ifndef VISITSD_SALT_H
#define VISITSD_SALT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "client_id.h"
#include "store.h"

struct config;
struct salt_keeper;

/* The wall clock, injectable for tests (NULL: time(NULL)). */
typedef time_t salt_clock_fn(void);

/* The UTC day of now, plus offset days (the day clock; pure). */
uint32_t	salt_day(time_t now, int offset);

/*
 * A new keeper over store (borrowed; it must outlive the keeper) with
 * cfg's unique_visitors and test_day_offset (read now).  When enabled it
 * fetches today's salt (and tomorrow's, near midnight) before returning
 * (a store that is down then only delays uniques: visits still count;
 * the forget waits for the next pass) and starts its
 * thread unless clock is given, in which case tests drive it with
 * salt_keeper_refresh.  Returns NULL with err when the thread cannot start.
 */
struct salt_keeper	*salt_keeper_new(const struct config *cfg,
			    struct store *store, salt_clock_fn *clock,
			    char *err, size_t errlen);

/*
 * One refresh pass, as the thread runs it every minute: today's salt (and
 * tomorrow's in the last ten minutes of the day) fetched when not held,
 * older ones wiped, and store_forget(today) when an hour has passed since
 * the last one or the day has changed; no forget in a pass whose salt
 * fetch failed.
 */
void	salt_keeper_refresh(struct salt_keeper *);

/*
 * The visit of a request, without blocking: day is today by the clock;
 * when counting is on and today's salt is held, has_visitor is set and
 * visitor is visitor_hash(salt, id, addr, ua).  A visit that should have
 * had a visitor and did not (no salt) is counted in
 * visitsd_unique_unavailable_total.  Everything is borrowed.
 */
void	salt_keeper_visit(struct salt_keeper *, const char *id,
	    const struct client_addr *addr, const char *ua, size_t ualen,
	    struct store_visit *out);

/* Today, by the keeper's clock (UTC, plus the test offset). */
uint32_t	salt_keeper_today(const struct salt_keeper *);

/*
 * Can visits count uniques right now: counting is off, or today's salt is
 * held.  For /readyz, so an instance whose store has not given the day's
 * salt yet takes no traffic it would count without uniques.
 */
bool	salt_keeper_ready(struct salt_keeper *);

/*
 * Stop the thread (before store_shutdown: the thread may be inside the
 * store).  Idempotent.
 */
void	salt_keeper_stop(struct salt_keeper *);

/* Stops, wipes the salts, frees.  Accepts NULL. */
void	salt_keeper_free(struct salt_keeper *);

#endif

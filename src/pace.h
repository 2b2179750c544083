/*
 * pace: the adaptive minimum interval between two writes of one id, the
 * pure rule behind store_dynamodb.c's hot-partition batching.
 *
 * DynamoDB serves a bounded number of writes per second on one partition
 * key and answers ProvisionedThroughputExceededException past it.  A
 * counter needs one write per interval, not one per batch in flight, so
 * each hot id gets a minimum interval between the starts of its writes:
 * it doubles on a throttled write (multiplicative decrease of the rate),
 * and shrinks by a sixty-fourth on each clean one (a gentle increase), so
 * throttles stay rare once it has settled.  It never goes below a floor
 * (the operator's writes-per-second ceiling) nor above a cap (the longest
 * a visitor may wait for the next write).  An idle id forgets its
 * interval at the same rate, one clean write's worth per elapsed interval.
 *
 * No clock, no threads, no allocation: the caller passes the times.
 */
#ifndef VISITSD_PACE_H
#define VISITSD_PACE_H

#include <stdbool.h>
#include <stdint.h>

/* The first interval after a throttle when none was set, microseconds. */
#define PACE_FIRST_US	20000

struct pace {
	uint32_t	floor_us;	/* ceiling's interval, 0 for none */
	uint32_t	cap_us;		/* longest interval, >= floor_us */
	uint32_t	interval_us;	/* current, floor_us..cap_us */
};

/*
 * Start p (the caller's, borrowed) at its floor.  max_writes_per_second 0
 * means no ceiling; cap_ms is the longest interval.
 */
void	pace_init(struct pace *p, int max_writes_per_second, int cap_ms);

/* A write was throttled (once or more): double the interval. */
void	pace_throttled(struct pace *p);
/* A write went through without a throttle: shrink the interval. */
void	pace_ok(struct pace *p);
/* idle_ms passed with no write: forget the interval accordingly. */
void	pace_idle(struct pace *p, uint64_t idle_ms);

/* When the write after one started at start_ms may start. */
uint64_t pace_due_ms(const struct pace *p, uint64_t start_ms);
/* true while p paces at all (interval above zero). */
bool	pace_active(const struct pace *p);

#endif

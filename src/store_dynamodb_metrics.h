/*
 * store_dynamodb_metrics: the DynamoDB store's own metric families, kept
 * apart from its batching (store_dynamodb.c): the increment and batch
 * counters, throttles by DynamoDB's ThrottlingReasons reason (a bounded
 * label set), and the current write interval of hot ids (the first
 * STORE_DYNAMODB_GAUGE_IDS ids ever paced, so the series stay bounded).
 */
#ifndef VISITSD_STORE_DYNAMODB_METRICS_H
#define VISITSD_STORE_DYNAMODB_METRICS_H

struct metrics_counter;

#define STORE_DYNAMODB_GAUGE_IDS	8

struct store_dynamodb_counters {
	struct metrics_counter	*increments, *coalesced, *batches;
	struct metrics_counter	*paced_ids;	/* a gauge */
};

/*
 * Register the families once (safe from any thread, cheap after the
 * first call).  Returns the counters, borrowed, valid until
 * metrics_cleanup.
 */
const struct store_dynamodb_counters *store_dynamodb_metrics_init(void);

/*
 * Count n throttled UpdateItem attempts under reason (borrowed for the
 * call): one of the write reasons DynamoDB documents, "" (counted as
 * "none") or anything else (counted as "other").
 */
void	store_dynamodb_metrics_throttles(int n, const char *reason);

/*
 * The gauge series visitsd_dynamodb_write_interval_ms{id} for id
 * (borrowed for the call): its own if id is one of the first
 * STORE_DYNAMODB_GAUGE_IDS asked for, else NULL (metrics_counter_add
 * accepts NULL).  Borrowed, valid until metrics_cleanup.
 */
struct metrics_counter *store_dynamodb_metrics_interval(const char *id);

#endif

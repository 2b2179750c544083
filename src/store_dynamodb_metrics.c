/*
 * store_dynamodb_metrics: the DynamoDB store's metric families
 * (store_dynamodb_metrics.h).  Registration only; the store adds to the
 * series it is handed.
 */
#include <pthread.h>
#include <string.h>

#include "metrics.h"
#include "store_dynamodb_metrics.h"
#include "util.h"

/*
 * The write reasons an UpdateItem can be throttled for
 * (ResourceType + Write + LimitType in DynamoDB's ThrottlingReason), then
 * "none" (the answer gave no reason) and "other".
 */
static const char *const reasons[] = {
	"TableWriteKeyRangeThroughputExceeded",
	"TableWriteProvisionedThroughputExceeded",
	"TableWriteAccountLimitExceeded",
	"TableWriteMaxOnDemandThroughputExceeded",
	"IndexWriteKeyRangeThroughputExceeded",
	"IndexWriteProvisionedThroughputExceeded",
	"IndexWriteAccountLimitExceeded",
	"IndexWriteMaxOnDemandThroughputExceeded",
	"none", "other",
};
#define NREASONS	(sizeof(reasons) / sizeof(reasons[0]))
#define R_NONE		(NREASONS - 2)
#define R_OTHER		(NREASONS - 1)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static struct store_dynamodb_counters counters;
static struct metrics_counter *throttles[NREASONS];
static struct metrics_family *f_interval;

/* The interval gauges handed out so far, under glock. */
static pthread_mutex_t glock = PTHREAD_MUTEX_INITIALIZER;
static char *gauge_id[STORE_DYNAMODB_GAUGE_IDS];
static struct metrics_counter *gauge_series[STORE_DYNAMODB_GAUGE_IDS];

static void
init_once(void)
{
	static const char *const reason_label[] = { "reason", NULL };
	static const char *const id_label[] = { "id", NULL };
	struct metrics_family *f;
	const char *values[1];
	size_t i;

	counters.increments = metrics_counter_new(
	    "visitsd_dynamodb_increments_total", NULL,
	    "Increments asked of the DynamoDB store", 0);
	counters.coalesced = metrics_counter_new(
	    "visitsd_dynamodb_coalesced_total", NULL,
	    "Increments that rode along in another UpdateItem", 0);
	counters.batches = metrics_counter_new(
	    "visitsd_dynamodb_update_items_total", NULL,
	    "UpdateItem requests started (one per batch)", 0);
	counters.paced_ids = metrics_counter_new("visitsd_dynamodb_paced_ids",
	    NULL, "Ids waiting for or resting after a paced write", 1);
	f = metrics_family_new("visitsd_dynamodb_throttles_total",
	    "UpdateItem attempts DynamoDB throttled, by ThrottlingReasons "
	    "reason", METRICS_COUNTER, reason_label, NULL, 0);
	for (i = 0; i < NREASONS; i++) {
		values[0] = reasons[i];
		throttles[i] = metrics_family_counter(f, values, 0);
	}
	f_interval = metrics_family_new("visitsd_dynamodb_write_interval_ms",
	    "Current minimum interval between two writes of a hot id, "
	    "milliseconds (the first 8 ids paced above the ceiling)",
	    METRICS_GAUGE, id_label, NULL, 0);
}

const struct store_dynamodb_counters *
store_dynamodb_metrics_init(void)
{
	pthread_once(&once, init_once);
	return &counters;
}

void
store_dynamodb_metrics_throttles(int n, const char *reason)
{
	size_t i;

	if (n <= 0)
		return;
	for (i = 0; i < R_NONE; i++)
		if (strcmp(reason, reasons[i]) == 0)
			break;
	if (i == R_NONE && reason[0] != '\0')
		i = R_OTHER;
	metrics_counter_add(throttles[i], n);
}

struct metrics_counter *
store_dynamodb_metrics_interval(const char *id)
{
	struct metrics_counter *g = NULL;
	const char *values[1];
	size_t i;

	pthread_mutex_lock(&glock);
	for (i = 0; i < STORE_DYNAMODB_GAUGE_IDS && gauge_id[i] != NULL; i++)
		if (strcmp(gauge_id[i], id) == 0)
			break;
	if (i < STORE_DYNAMODB_GAUGE_IDS) {
		if (gauge_id[i] == NULL) {
			gauge_id[i] = xstrdup(id);
			values[0] = id;
			gauge_series[i] = metrics_family_counter(f_interval,
			    values, 0);
		}
		g = gauge_series[i];
	}
	pthread_mutex_unlock(&glock);
	return g;
}

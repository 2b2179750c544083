/*
 * client_op: registering the per-operation visitsd_aws_* counters of the
 * operations callers name (struct client_op), so that the AWS client
 * labels its metrics without knowing a single DynamoDB or SSM operation.
 * The label strings come from CLIENT_OP, built at compile time, and the
 * counters live in the caller's op struct.
 */
#include <pthread.h>
#include <stdatomic.h>

#include "aws/client.h"
#include "aws/client_op.h"
#include "metrics.h"

static pthread_mutex_t op_lock = PTHREAD_MUTEX_INITIALIZER;

void
client_op_register(struct client_op *op)
{
	int i;

	if (atomic_load_explicit(&op->registered, memory_order_acquire))
		return;
	pthread_mutex_lock(&op_lock);
	if (!atomic_load_explicit(&op->registered, memory_order_relaxed)) {
		for (i = 0; i < CLIENT_NOUTCOMES; i++)
			op->requests[i] = metrics_counter_new(
			    "visitsd_aws_requests_total",
			    op->outcome_labels[i],
			    "AWS requests by operation and final outcome", 0);
		op->retries = metrics_counter_new("visitsd_aws_retries_total",
		    op->label, "AWS request attempts that were retries", 0);
		op->throttles = metrics_counter_new(
		    "visitsd_aws_throttles_total", op->label,
		    "AWS answers that said throttled", 0);
		op->unknown = metrics_counter_new(
		    "visitsd_aws_unknown_outcomes_total", op->label,
		    "Non-idempotent AWS requests whose outcome is unknown", 0);
		atomic_store_explicit(&op->registered, true,
		    memory_order_release);
	}
	pthread_mutex_unlock(&op_lock);
}

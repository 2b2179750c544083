/*
 * client_op: the counters of a caller-named operation (struct client_op in
 * client.h), for client.c.
 */
#ifndef VISITSD_AWS_CLIENT_OP_H
#define VISITSD_AWS_CLIENT_OP_H

#include "aws/client.h"

/*
 * Register op's counters once: visitsd_aws_requests_total{op,outcome},
 * visitsd_aws_retries_total{op}, visitsd_aws_throttles_total{op} and
 * visitsd_aws_unknown_outcomes_total{op}, labelled with op's own strings.
 * op is borrowed and must be static (the metrics keep its labels).  Safe
 * from any thread; cheap once done.
 */
void	client_op_register(struct client_op *op);

#endif

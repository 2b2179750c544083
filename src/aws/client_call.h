/*
 * client_call: the synchronous form of client_submit, for the few callers
 * that may block (ssm_fetch, for the key source at startup and on SIGHUP).
 */
#ifndef VISITSD_AWS_CLIENT_CALL_H
#define VISITSD_AWS_CLIENT_CALL_H

#include <stddef.h>

#include "aws/client.h"

/* A copy of a final answer. */
struct client_call_result {
	enum client_outcome outcome;
	long	 status;
	char	*body;			/* new, NUL-terminated; may be secret */
	size_t	 body_len;
	char	 error_type[96];
	char	 error_message[256];
};

/*
 * Submit op with body (stolen, as client_submit) and wait for the answer:
 * never from the client thread or an HTTP worker.  Fills out; release it
 * with client_call_cleanup, which wipes the body (it may hold a secret).
 */
void	client_call(struct client *c, struct client_op *op, char *body,
	    struct client_call_result *out);
/* Wipe and free out's body.  Accepts NULL. */
void	client_call_cleanup(struct client_call_result *out);

#endif

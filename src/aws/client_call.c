/*
 * client_call: aws_client_call, the synchronous form of aws_client_submit,
 * for the few callers that may block (the key source at startup and on
 * SIGHUP, through ssm_fetch).
 *
 * It submits the request with a completion that copies the final answer
 * into the caller's aws_result and signals a condition variable the caller
 * waits on.  Nothing here knows about signing, retries or libcurl: the
 * request takes the same path as any other (client.c).  Answer bodies may
 * hold secrets (an SSM parameter), so aws_result_cleanup wipes them.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "log.h"
#include "util.h"

/* The synchronous call: a condition variable the completion signals. */
struct call {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	bool		 done;
	struct aws_result *out;
};

static void
call_done(void *arg, const struct aws_response *r)
{
	struct call *k = arg;
	struct aws_result *out = k->out;

	out->outcome = r->outcome;
	out->status = r->status;
	if ((out->body = malloc(r->body_len + 1)) == NULL)
		fatalx("out of memory");
	memcpy(out->body, r->body, r->body_len);
	out->body[r->body_len] = '\0';
	out->body_len = r->body_len;
	snprintf(out->error_type, sizeof(out->error_type), "%s",
	    r->error_type);
	snprintf(out->error_message, sizeof(out->error_message), "%s",
	    r->error_message);
	pthread_mutex_lock(&k->lock);
	k->done = true;
	pthread_cond_signal(&k->cond);
	pthread_mutex_unlock(&k->lock);
}

void
aws_client_call(struct aws_client *c, const char *op, char *body,
    bool idempotent, struct aws_result *out)
{
	struct call k;

	memset(out, 0, sizeof(*out));
	memset(&k, 0, sizeof(k));
	pthread_mutex_init(&k.lock, NULL);
	pthread_cond_init(&k.cond, NULL);
	k.out = out;
	aws_client_submit(c, op, body, idempotent, call_done, &k);
	pthread_mutex_lock(&k.lock);
	while (!k.done)
		pthread_cond_wait(&k.cond, &k.lock);
	pthread_mutex_unlock(&k.lock);
	pthread_cond_destroy(&k.cond);
	pthread_mutex_destroy(&k.lock);
}

void
aws_result_cleanup(struct aws_result *r)
{
	if (r == NULL)
		return;
	util_wipe_free(r->body, r->body_len);
	r->body = NULL;
	r->body_len = 0;
}

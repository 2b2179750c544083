/*
 * client_call: client_call, the synchronous form of client_submit, for
 * the few callers that may block (the key source at startup and on SIGHUP,
 * through ssm_fetch).
 *
 * It submits the request with a completion that copies the final answer
 * into the caller's client_call_result and signals a condition variable
 * the caller waits on.  Nothing here knows about signing, retries or
 * libcurl: the request takes the same path as any other (client.c).
 * Answer bodies may hold secrets (an SSM parameter), so
 * client_call_cleanup wipes them.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aws/client.h"
#include "aws/client_call.h"
#include "util.h"

/* The synchronous call: a condition variable the completion signals. */
struct call {
	pthread_mutex_t	 lock;
	pthread_cond_t	 cond;
	bool		 done;
	struct client_call_result *out;
};

static void
call_done(void *arg, const struct client_response *r)
{
	struct call *k = arg;
	struct client_call_result *out = k->out;

	out->outcome = r->outcome;
	out->status = r->status;
	out->body = xmalloc(r->body_len + 1);
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
client_call(struct client *c, struct client_op *op, char *body,
    struct client_call_result *out)
{
	struct call k;

	memset(out, 0, sizeof(*out));
	memset(&k, 0, sizeof(k));
	pthread_mutex_init(&k.lock, NULL);
	pthread_cond_init(&k.cond, NULL);
	k.out = out;
	client_submit(c, op, body, call_done, &k);
	pthread_mutex_lock(&k.lock);
	while (!k.done)
		pthread_cond_wait(&k.cond, &k.lock);
	pthread_mutex_unlock(&k.lock);
	pthread_cond_destroy(&k.cond);
	pthread_mutex_destroy(&k.lock);
}

void
client_call_cleanup(struct client_call_result *out)
{
	if (out == NULL)
		return;
	util_wipe_free(out->body, out->body_len);
	out->body = NULL;
	out->body_len = 0;
}

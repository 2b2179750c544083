/*
 * client_easy: one attempt of an AWS client request on a libcurl easy
 * handle, private to client.c.  It holds the exactly-once guard against
 * libcurl's own silent re-send (see client_easy.c) and tells the client
 * what happened on the wire.
 */
#ifndef VISITSD_AWS_CLIENT_EASY_H
#define VISITSD_AWS_CLIENT_EASY_H

#include <stdbool.h>
#include <stddef.h>

#include <curl/curl.h>

#include "aws/curlbuf.h"
#include "aws/retry.h"

/* One attempt's transfer, embedded in the client's request; zero it. */
struct client_easy {
	CURL		*easy;
	struct curl_slist *headers;	/* owned, wiped: signed, may carry a
					   session token */
	const char	*body;		/* borrowed from the request */
	size_t		 len, off;
	bool		 idempotent;	/* libcurl may re-send it */
	bool		 body_started;	/* a body byte was handed to libcurl */
	int		 sends;		/* pre-request callbacks seen */
	struct curlbuf	 answer;	/* wiped: it may hold a secret */
	char		 date[64];	/* the answer's Date header, or "" */
	char		 errbuf[CURL_ERROR_SIZE];	/* libcurl's detail of a
					   failed transfer, or "" */
};

/*
 * Start an attempt: a new easy handle in e->easy that POSTs e->body (len
 * bytes) to url with e->headers, answer capped at answer_max bytes, over
 * HTTP/1.1 with keep-alive and no redirects, TLS peers verified against
 * curlbuf_ca_bundle() when set; CURLOPT_PRIVATE is priv.  The
 * per-attempt state is reset first.  Returns 0, or -1 when libcurl could
 * not make a handle (nothing was sent).
 */
int	client_easy_start(struct client_easy *e, const char *url,
	    long connect_ms, long total_ms, size_t answer_max, void *priv);
/*
 * What happened on the wire when the transfer ended with rc: answered, not
 * sent (no body byte left, so always safe to retry), timed out or lost
 * after the body was handed over.
 */
enum retry_transport	client_easy_transport(const struct client_easy *e,
			    CURLcode rc);
/* Remove e->easy from multi (when given) and free the attempt's state. */
void	client_easy_cleanup(struct client_easy *e, CURLM *multi);

#endif

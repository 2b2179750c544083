/*
 * client_easy: one attempt on one libcurl easy handle, for client.c.
 *
 * The body goes to libcurl through a read callback, never
 * CURLOPT_POSTFIELDS, so the client knows whether any body byte was handed
 * over (before that point a failure is "not sent" and always safe to
 * retry).  For requests that are not idempotent the seek callback refuses
 * to rewind and the pre-request callback refuses a second send: libcurl's
 * silent re-send on a reused connection that died before answering is
 * turned into a failed transfer, which is an unknown outcome, never a
 * second write (docs/aws.md).  Nothing here retries, signs or decides:
 * that is client.c with retry.c.
 */
#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "aws/client_easy.h"
#include "aws/curlbuf.h"
#include "aws/retry.h"

static size_t
read_cb(char *buf, size_t size, size_t nitems, void *p)
{
	struct client_easy *e = p;
	size_t n = size * nitems;

	if (n > e->len - e->off)
		n = e->len - e->off;
	memcpy(buf, e->body + e->off, n);
	e->off += n;
	if (n > 0)
		e->body_started = true;
	return n;
}

/*
 * libcurl rewinds the body only to send it again (its own retry on a dead
 * reused connection, or a redirect): allowed for idempotent requests,
 * refused for the others so that the transfer fails instead.
 */
static int
seek_cb(void *p, curl_off_t offset, int origin)
{
	struct client_easy *e = p;

	if (!e->idempotent)
		return CURL_SEEKFUNC_CANTSEEK;
	if (origin != SEEK_SET || offset < 0 || (size_t)offset > e->len)
		return CURL_SEEKFUNC_FAIL;
	e->off = (size_t)offset;
	return CURL_SEEKFUNC_OK;
}

/*
 * Called before each request goes out on a connection.  A second call for
 * one attempt is libcurl re-sending by itself; for a request that is not
 * idempotent and whose body was already handed over, refuse it.
 */
static int
prereq_cb(void *p, char *primary_ip, char *local_ip, int primary_port,
    int local_port)
{
	struct client_easy *e = p;

	(void)primary_ip;
	(void)local_ip;
	(void)primary_port;
	(void)local_port;
	if (++e->sends > 1 && !e->idempotent && e->body_started)
		return CURL_PREREQFUNC_ABORT;
	return CURL_PREREQFUNC_OK;
}

static size_t
header_cb(char *data, size_t size, size_t nitems, void *p)
{
	struct client_easy *e = p;

	curlbuf_header_value(data, size * nitems, "Date", e->date,
	    sizeof(e->date));
	return size * nitems;
}

int
client_easy_start(struct client_easy *e, const char *url, long connect_ms,
    long total_ms, size_t answer_max, void *priv)
{
	CURL *h;

	e->off = 0;
	e->body_started = false;
	e->sends = 0;
	e->date[0] = '\0';
	e->errbuf[0] = '\0';
	curlbuf_cleanup(&e->answer);
	e->answer.max = answer_max;
	if ((e->easy = h = curl_easy_init()) == NULL)
		return -1;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_1_1);
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)e->len);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, e);
	curl_easy_setopt(h, CURLOPT_SEEKFUNCTION, seek_cb);
	curl_easy_setopt(h, CURLOPT_SEEKDATA, e);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, prereq_cb);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, e);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, curlbuf_write);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &e->answer);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, e);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, e->headers);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "visitsd/" VISITSD_VERSION);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, total_ms);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_PRIVATE, priv);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, e->errbuf);
	curlbuf_ca_bundle_apply(h);
	return 0;
}

enum retry_transport
client_easy_transport(const struct client_easy *e, CURLcode rc)
{
	if (rc == CURLE_OK)
		return RETRY_TRANSPORT_ANSWERED;
	if (!e->body_started)
		return RETRY_TRANSPORT_NOT_SENT;
	if (rc == CURLE_OPERATION_TIMEDOUT)
		return RETRY_TRANSPORT_TIMEOUT;
	return RETRY_TRANSPORT_LOST;
}

void
client_easy_cleanup(struct client_easy *e, CURLM *multi)
{
	if (e->easy != NULL) {
		if (multi != NULL)
			curl_multi_remove_handle(multi, e->easy);
		curl_easy_cleanup(e->easy);
		e->easy = NULL;
	}
	curlbuf_headers_free(e->headers);
	e->headers = NULL;
	curlbuf_cleanup(&e->answer);
}

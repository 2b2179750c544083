/*
 * http_stream: a live-count stream on a libmicrohttpd connection (the
 * contract is in http_stream.h).
 *
 * libmicrohttpd 0.9.75 calls a callback answer's content reader on the
 * connection's pool thread whenever it may write.  The reader returns what
 * the stream has buffered; when nothing is, stream_read parks the stream
 * and this file's park callback suspends the connection from inside the
 * reader (MHD documents the reader as one of the two safe places to
 * suspend), and the reader returns 0.  MHD then leaves the connection
 * alone -- a 0 without a suspend would leave it in *_BODY_UNREADY, which
 * some versions poll in a loop -- until the hub's wake callback resumes
 * it, when an event, a ping or the end has come.  Both run under the
 * hub's lock, so a resume never precedes its suspend.  The end is
 * MHD_CONTENT_READER_END_OF_STREAM (the last chunk, then the connection
 * closes: the answer says Connection: close), or END_WITH_ERROR after an
 * overflow.  A client that stops reading leaves MHD waiting for the
 * socket to drain, with the reader not called; the hub ends such a stream
 * when its buffer overflows and cuts it with shutdown(2) (as http_conn.c
 * cuts), which MHD notices on its own thread.  The socket's send buffer
 * is set to stream_buffer so the kernel holds little more than the stream.
 *
 * The fd and connection stay valid while the stream is open: MHD destroys
 * the answer (whose free callback closes the stream, under the hub's
 * lock) before it closes the socket and frees the connection.  MHD does
 * not watch a suspended connection, so the hub asks (io_gone, a peek once
 * a second) whether a parked stream's client has left.
 *
 * Not here: the hub (stream.c), the request (http_request.c).
 */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "api.h"
#include "config.h"
#include "http_conn.h"
#include "http_stream.h"
#include "store.h"
#include "stream.h"
#include "util.h"

#define SUFFIX		"/stream"
#define BLOCK		4096	/* the answer's buffer (unchunked HTTP/1.0) */
#define RETRY_MS	5000	/* the retry: field */

struct conn_io {
	struct MHD_Connection	*conn;
	int			 fd;
	struct stream		*s;
};

struct poll_ctx {
	struct stream_hub	*hub;
	uint64_t		 token;
	char			 id[];
};

static void
poll_done(void *arg, enum store_result res, const struct store_counts *c)
{
	struct poll_ctx *p = arg;

	stream_hub_polled(p->hub, p->id, p->token, res, c);
	free(p);
}

static void
poll_id(void *arg, struct stream_hub *hub, const char *id, uint64_t token)
{
	struct store *store = arg;
	size_t len = strlen(id);
	struct poll_ctx *p = xcalloc(1, sizeof(*p) + len + 1);

	p->hub = hub;
	p->token = token;
	memcpy(p->id, id, len + 1);
	store_get(store, id, poll_done, p);
}

struct stream_hub *
http_stream_hub_new(const struct config *cfg, struct store *store, char *err,
    size_t errlen)
{
	struct stream_hub_options o;
	struct stream_hub *hub;

	memset(&o, 0, sizeof(o));
	o.max_streams = (unsigned int)cfg->stream_max;
	o.max_per_client = (unsigned int)cfg->stream_max_per_client;
	o.max_age_ms = (uint64_t)cfg->stream_max_age * 1000;
	o.interval_ms = (uint64_t)cfg->stream_interval_ms;
	o.ping_ms = (uint64_t)cfg->stream_ping * 1000;
	o.buffer = (size_t)cfg->stream_buffer;
	o.retry_ms = RETRY_MS;
	/* On SQLite this process is the only writer: nothing to poll. */
	if (store != NULL && cfg->stream_poll_ms > 0 &&
	    strcmp(store_name(store), "dynamodb") == 0) {
		o.poll_ms = (uint64_t)cfg->stream_poll_ms;
		o.poll = poll_id;
		o.poll_arg = store;
	}
	hub = stream_hub_new(&o);
	if (stream_hub_start(hub) == -1) {
		snprintf(err, errlen, "cannot start the stream thread: %s",
		    strerror(errno));
		stream_hub_free(hub);
		return NULL;
	}
	return hub;
}

bool
http_stream_query_key(struct MHD_Connection *conn, const char *url,
    char *buf, size_t *len)
{
	size_t ulen = strlen(url), vlen;
	const char *v;
	int n;

	if (ulen < sizeof(SUFFIX) - 1 ||
	    strcmp(url + ulen - (sizeof(SUFFIX) - 1), SUFFIX) != 0)
		return false;
	if (MHD_lookup_connection_value_n(conn, MHD_GET_ARGUMENT_KIND, "key",
	    3, &v, &vlen) != MHD_YES || v == NULL)
		return false;
	if ((n = api_percent_decode(v, vlen, buf, HTTP_STREAM_KEY_MAX + 1)) <
	    0)
		return false;
	*len = (size_t)n;
	return true;
}

struct stream *
http_stream_open(struct stream_hub *hub, const char *id,
    const struct client_addr *client, const char **message)
{
	enum stream_refusal why;
	struct client_addr key;
	struct stream *s;

	/* Per client as the rate limiter counts it: an IPv6 /64 is one. */
	client_id_rate_key(client, &key);
	if ((s = stream_open(hub, id, key.b, sizeof(key.b), &why)) != NULL)
		return s;
	switch (why) {
	case STREAM_REFUSED_CLIENT:
		*message = "Too many live streams from this client; close one "
		    "or retry later.";
		break;
	case STREAM_REFUSED_FULL:
		*message = "Too many live streams are open on this server; "
		    "retry later.";
		break;
	case STREAM_REFUSED_STOPPING:
	case STREAM_REFUSED_NONE:
		*message = "The server is shutting down; retry later.";
		break;
	}
	return NULL;
}

static void
io_park(void *arg)
{
	struct conn_io *c = arg;

	MHD_suspend_connection(c->conn);
}

static void
io_wake(void *arg)
{
	struct conn_io *c = arg;

	MHD_resume_connection(c->conn);
}

static void
io_cut(void *arg)
{
	struct conn_io *c = arg;

	if (c->fd >= 0)
		shutdown(c->fd, SHUT_RDWR);
}

/*
 * A suspended connection's socket is nobody's to read: peek.  End of file
 * or an error is a client that left; bytes (a pipelined request) or
 * nothing yet are one still there.
 */
static bool
io_gone(void *arg)
{
	struct conn_io *c = arg;
	char b;
	ssize_t n;

	if (c->fd < 0)
		return false;
	n = recv(c->fd, &b, 1, MSG_PEEK | MSG_DONTWAIT);
	return n == 0 || (n == -1 && errno != EAGAIN && errno != EWOULDBLOCK &&
	    errno != EINTR);
}

static const struct stream_io conn_io_ops = {
	.park = io_park,
	.wake = io_wake,
	.cut = io_cut,
	.gone = io_gone,
};

static ssize_t
reader(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct conn_io *c = cls;
	enum stream_end why = STREAM_END_NONE;
	ssize_t n;

	(void)pos;
	if ((n = stream_read(c->s, buf, max, &why)) >= 0)
		return n;
	return why == STREAM_END_OVERFLOW ? MHD_CONTENT_READER_END_WITH_ERROR :
	    MHD_CONTENT_READER_END_OF_STREAM;
}

static void
reader_free(void *cls)
{
	struct conn_io *c = cls;

	stream_close(c->s);
	free(c);
}

struct MHD_Response *
http_stream_response(struct MHD_Connection *conn, struct stream *s,
    const struct store_counts *counts)
{
	const union MHD_ConnectionInfo *ci;
	struct MHD_Response *resp;
	struct conn_io *c = xcalloc(1, sizeof(*c));
	int sndbuf = 0;

	c->conn = conn;
	c->s = s;
	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	c->fd = ci != NULL ? ci->connect_fd : -1;
	if (stream_start(s, counts, &conn_io_ops, c) == -1) {
		stream_close(s);
		free(c);
		return NULL;
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, BLOCK,
	    reader, c, reader_free);
	if (resp == NULL) {
		reader_free(c);
		return NULL;
	}
	MHD_add_response_header(resp, "X-Accel-Buffering", "no");
	/* A stream is never idle in MHD's sense: the hub bounds it. */
	MHD_set_connection_option(conn, MHD_CONNECTION_OPTION_TIMEOUT, 0u);
	if (c->fd >= 0) {
		sndbuf = (int)stream_buffer_size(s);
		(void)setsockopt(c->fd, SOL_SOCKET, SO_SNDBUF, &sndbuf,
		    sizeof(sndbuf));
	}
	http_conn_stream(conn);
	return resp;
}

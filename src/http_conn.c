/*
 * http_conn: the table of open connections, their request deadlines and
 * the probes' reserve (the contract is in http_conn.h).
 *
 * Each connection is an entry, MHD's socket context, in one of two lists
 * kept in the order their clocks started: "reading" (sending a request:
 * the deadline runs) and "idle" (between requests on a keep-alive
 * connection).  A connection whose request has arrived is in neither.  The
 * sweep cuts the head of "reading" while it is overdue, so it costs one
 * step per cut plus one getsockopt(TCP_INFO) per idle connection: an idle
 * connection's next request starts when the kernel has received bytes
 * past those of the last request (tcpi_bytes_received), which is how the
 * deadline restarts at the first byte of a keep-alive request rather than
 * at the end of the previous one.  Every list change is under the table's
 * lock; the handlers take it twice per request.
 *
 * Not here: the thread that calls the sweep (http.c), requests waiting on
 * the store (http_request.c).
 */
#include <sys/socket.h>

#include <linux/tcp.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <microhttpd.h>

#include "http_conn.h"
#include "metrics.h"
#include "util.h"

/*
 * Past max_connections, a connection is evicted after this long without a
 * whole request (a real client's header comes in one round trip).
 */
#define EVICT_MIN_MS	500

enum conn_state {
	CONN_NEW,		/* not tracked (no fd); in no list */
	CONN_READING,		/* in t->reading, deadline running */
	CONN_IDLE,		/* in t->idle, between requests */
	CONN_BUSY,		/* request arrived; in no list */
	CONN_CUT,		/* shut down by us; in no list */
	CONN_STREAM,		/* a live-count stream; in no list, not
				   counted against max_connections */
};

struct http_conn {
	struct http_conn_table	*t;
	struct http_conn	*prev, *next;	/* its list, under t->mu */
	enum conn_state		 state;
	uint64_t		 since_ms;	/* start of request or idleness */
	uint64_t		 rx;		/* bytes received when it went idle */
	int			 fd;
};

struct conn_list {
	struct http_conn	*head, *tail;
};

struct http_conn_table {
	pthread_mutex_t		 mu;
	struct conn_list	 reading, idle;
	unsigned int		 max;
	uint64_t		 timeout_ms;
	atomic_uint		 open;
	atomic_uint		 busy;		/* connections in CONN_BUSY */
	atomic_uint		 streams;	/* connections in CONN_STREAM */
	unsigned int		 cutting;	/* in CONN_CUT, not closed yet */
	struct metrics_counter	*m_open, *m_deadline, *m_evicted;
};

static const char *const labels_reason[] = { "reason", NULL };

struct http_conn_table *
http_conn_table_new(int request_timeout_ms, unsigned int max_connections)
{
	struct http_conn_table *t = xcalloc(1, sizeof(*t));
	struct metrics_family *f;
	const char *deadline[] = { "request_deadline" };
	const char *evicted[] = { "evicted" };

	pthread_mutex_init(&t->mu, NULL);
	t->max = max_connections;
	t->timeout_ms = request_timeout_ms > 0 ? (uint64_t)request_timeout_ms :
	    0;
	atomic_init(&t->open, 0);
	atomic_init(&t->busy, 0);
	atomic_init(&t->streams, 0);
	f = metrics_family_new("visitsd_http_connections",
	    "Open HTTP connections, on every listener.", METRICS_GAUGE, NULL,
	    NULL, 0);
	t->m_open = metrics_family_counter(f, NULL, 0);
	f = metrics_family_new("visitsd_http_connections_cut_total",
	    "Connections the server closed: request_deadline (the request "
	    "did not arrive within header_timeout), evicted (the oldest "
	    "incomplete or idle connection, to make room past "
	    "max_connections).", METRICS_COUNTER, labels_reason, NULL, 0);
	t->m_deadline = metrics_family_counter(f, deadline, 0);
	t->m_evicted = metrics_family_counter(f, evicted, 0);
	return t;
}

void
http_conn_table_free(struct http_conn_table *t)
{
	if (t == NULL)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* The list c is on, by its state; NULL for none.  Under t->mu. */
static struct conn_list *
list_of(struct http_conn *c)
{
	switch (c->state) {
	case CONN_READING:
		return &c->t->reading;
	case CONN_IDLE:
		return &c->t->idle;
	case CONN_NEW:
	case CONN_BUSY:
	case CONN_CUT:
	case CONN_STREAM:
		return NULL;
	}
	return NULL;
}

static void
unlink_conn(struct http_conn *c)
{
	struct conn_list *l = list_of(c);

	if (l == NULL)
		return;
	if (c->prev != NULL)
		c->prev->next = c->next;
	else
		l->head = c->next;
	if (c->next != NULL)
		c->next->prev = c->prev;
	else
		l->tail = c->prev;
	c->prev = c->next = NULL;
}

/* Move c to state, at the tail of its list (clocks start in order). */
static void
move_conn(struct http_conn *c, enum conn_state state, uint64_t now)
{
	struct conn_list *l;

	unlink_conn(c);
	if (c->state == CONN_BUSY)
		atomic_fetch_sub(&c->t->busy, 1);
	if (state == CONN_BUSY)
		atomic_fetch_add(&c->t->busy, 1);
	if (c->state == CONN_STREAM)
		atomic_fetch_sub(&c->t->streams, 1);
	if (state == CONN_STREAM)
		atomic_fetch_add(&c->t->streams, 1);
	c->state = state;
	c->since_ms = now;
	if ((l = list_of(c)) == NULL)
		return;
	c->prev = l->tail;
	if (l->tail != NULL)
		l->tail->next = c;
	else
		l->head = c;
	l->tail = c;
}

/* Shut c down; MHD closes it on its own thread.  Under t->mu. */
static void
cut(struct http_conn *c, struct metrics_counter *why)
{
	move_conn(c, CONN_CUT, c->since_ms);
	c->t->cutting++;
	shutdown(c->fd, SHUT_RDWR);
	metrics_counter_add(why, 1);
}

static uint64_t
bytes_received(int fd)
{
	struct tcp_info ti;
	socklen_t len = sizeof(ti);

	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti, &len) == -1 ||
	    len < offsetof(struct tcp_info, tcpi_bytes_received) +
	    sizeof(ti.tcpi_bytes_received))
		return 0;
	return ti.tcpi_bytes_received;
}

/*
 * While more than max_connections are open (not counting those cut and
 * not closed yet), cut the oldest connection still sending its request,
 * else the oldest idle one, once either has had EVICT_MIN_MS.  Under t->mu.
 */
static void
make_room(struct http_conn_table *t, uint64_t now)
{
	struct http_conn *victim;

	while (atomic_load(&t->open) - t->cutting -
	    atomic_load(&t->streams) > t->max) {
		if (t->reading.head != NULL &&
		    now - t->reading.head->since_ms >= EVICT_MIN_MS)
			victim = t->reading.head;
		else if (t->idle.head != NULL &&
		    now - t->idle.head->since_ms >= EVICT_MIN_MS)
			victim = t->idle.head;
		else
			return;
		cut(victim, t->m_evicted);
	}
}

void
http_conn_notify(void *cls, struct MHD_Connection *conn,
    void **socket_context, enum MHD_ConnectionNotificationCode code)
{
	struct http_conn_table *t = cls;
	const union MHD_ConnectionInfo *ci;
	struct http_conn *c;
	uint64_t now = util_now_ms();

	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		c = xcalloc(1, sizeof(*c));
		c->t = t;
		c->state = CONN_NEW;
		ci = MHD_get_connection_info(conn,
		    MHD_CONNECTION_INFO_CONNECTION_FD);
		c->fd = ci != NULL ? ci->connect_fd : -1;
		*socket_context = c;
		metrics_counter_add(t->m_open, 1);
		pthread_mutex_lock(&t->mu);
		if (c->fd >= 0)
			move_conn(c, CONN_READING, now);
		atomic_fetch_add(&t->open, 1);
		make_room(t, now);
		pthread_mutex_unlock(&t->mu);
		return;
	}
	if ((c = *socket_context) == NULL)
		return;
	pthread_mutex_lock(&t->mu);
	if (c->state == CONN_CUT)
		t->cutting--;
	move_conn(c, CONN_CUT, c->since_ms);	/* out of lists and counts */
	atomic_fetch_sub(&t->open, 1);
	pthread_mutex_unlock(&t->mu);
	metrics_counter_add(t->m_open, -1);
	*socket_context = NULL;
	free(c);
}

static struct http_conn *
conn_of(struct MHD_Connection *conn)
{
	const union MHD_ConnectionInfo *ci;

	ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
	return ci != NULL ? ci->socket_context : NULL;
}

void
http_conn_received(struct MHD_Connection *conn)
{
	struct http_conn *c = conn_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->t->mu);
	if (c->state == CONN_READING || c->state == CONN_IDLE)
		move_conn(c, CONN_BUSY, c->since_ms);
	pthread_mutex_unlock(&c->t->mu);
}

void
http_conn_idle(struct MHD_Connection *conn)
{
	struct http_conn *c = conn_of(conn);
	uint64_t rx;

	if (c == NULL || c->fd < 0)
		return;
	rx = bytes_received(c->fd);
	pthread_mutex_lock(&c->t->mu);
	if (c->state != CONN_CUT) {
		c->rx = rx;
		move_conn(c, CONN_IDLE, util_now_ms());
	}
	pthread_mutex_unlock(&c->t->mu);
}

void
http_conn_stream(struct MHD_Connection *conn)
{
	struct http_conn *c = conn_of(conn);

	if (c == NULL)
		return;
	pthread_mutex_lock(&c->t->mu);
	if (c->state != CONN_CUT)
		move_conn(c, CONN_STREAM, c->since_ms);
	pthread_mutex_unlock(&c->t->mu);
}

bool
http_conn_at_limit(struct MHD_Connection *conn)
{
	struct http_conn *c = conn_of(conn);

	return c != NULL && atomic_load(&c->t->busy) >= c->t->max;
}

unsigned int
http_conn_reading(struct http_conn_table *t)
{
	unsigned int n = 0;

	pthread_mutex_lock(&t->mu);
	for (struct http_conn *c = t->reading.head; c != NULL; c = c->next)
		n++;
	pthread_mutex_unlock(&t->mu);
	return n;
}

int
http_conn_sweep(struct http_conn_table *t, uint64_t now_ms)
{
	struct http_conn *c, *next;
	int n = 0;

	pthread_mutex_lock(&t->mu);
	for (c = t->idle.head; c != NULL; c = next) {
		next = c->next;
		if (bytes_received(c->fd) > c->rx)
			move_conn(c, CONN_READING, now_ms);
	}
	while (t->timeout_ms > 0 && (c = t->reading.head) != NULL &&
	    now_ms - c->since_ms >= t->timeout_ms) {
		cut(c, t->m_deadline);
		n++;
	}
	make_room(t, now_ms);
	pthread_mutex_unlock(&t->mu);
	return n;
}

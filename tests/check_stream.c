/*
 * check_stream: the live-count hub (stream.c) on a fake clock and fake
 * connections: the first event, coalescing within interval_ms, pings,
 * max age, a full buffer dropping its stream while the others go on, the
 * limits in all and per client, polling (one read per id, stale answers
 * ignored), reset, and shutdown ending everything.
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "stream.h"

Suite *suite_stream(void);

static uint64_t clock_ms;

static uint64_t
fake_now(void)
{
	return clock_ms;
}

/* A fake connection: what the io callbacks did. */
struct fake_conn {
	int	parks, wakes, cuts;
	bool	gone;			/* its client has left */
};

static void
fake_park(void *arg)
{
	((struct fake_conn *)arg)->parks++;
}

static void
fake_wake(void *arg)
{
	((struct fake_conn *)arg)->wakes++;
}

static void
fake_cut(void *arg)
{
	((struct fake_conn *)arg)->cuts++;
}

static bool
fake_gone(void *arg)
{
	return ((struct fake_conn *)arg)->gone;
}

static const struct stream_io fake_io = {
	fake_park, fake_wake, fake_cut, fake_gone,
};

/* The polls asked for, by the hub. */
static int npolls;
static uint64_t last_token;
static char last_poll_id[64];

static void
fake_poll(void *arg, struct stream_hub *hub, const char *id, uint64_t token)
{
	(void)arg;
	(void)hub;
	npolls++;
	last_token = token;
	snprintf(last_poll_id, sizeof(last_poll_id), "%s", id);
}

static struct stream_hub *
hub_with(unsigned int max, unsigned int per_client, size_t buffer,
    uint64_t poll_ms)
{
	struct stream_hub_options o;

	memset(&o, 0, sizeof(o));
	o.max_streams = max;
	o.max_per_client = per_client;
	o.max_age_ms = 60000;
	o.interval_ms = 250;
	o.ping_ms = 15000;
	o.buffer = buffer;
	o.retry_ms = 5000;
	o.now = fake_now;
	if (poll_ms > 0) {
		o.poll_ms = poll_ms;
		o.poll = fake_poll;
	}
	clock_ms = 1000;
	npolls = 0;
	return stream_hub_new(&o);
}

/* Everything s has pending, as a string (parks when there is nothing). */
static const char *
drain(struct stream *s, char *buf, size_t len)
{
	enum stream_end why;
	ssize_t n, off = 0;

	while ((n = stream_read(s, buf + off, len - 1 - (size_t)off, &why)) > 0)
		off += n;
	buf[off] = '\0';
	return buf;
}

static struct stream *
live(struct stream_hub *hub, const char *id, unsigned char client,
    uint64_t visits, struct fake_conn *fc)
{
	enum stream_refusal why;
	struct store_counts c = { visits, visits };
	struct stream *s = stream_open(hub, id, &client, 1, &why);

	ck_assert_ptr_nonnull(s);
	ck_assert_int_eq(stream_start(s, &c, &fake_io, fc), 0);
	return s;
}

START_TEST(first_event_then_coalesced_changes)
{
	struct stream_hub *hub = hub_with(10, 0, 4096, 0);
	struct fake_conn fc = { 0 };
	struct store_counts c;
	struct stream *s = live(hub, "alice", 1, 7, &fc);
	char buf[4096];

	ck_assert_str_eq(drain(s, buf, sizeof(buf)), "retry: 5000\n\n"
	    "data: {\"user\":\"alice\",\"visits\":7,\"unique\":7}\n\n");
	ck_assert_int_eq(fc.parks, 1);		/* empty: parked */

	/* Three changes at once: one event, the latest, at the tick. */
	for (uint64_t v = 8; v <= 10; v++) {
		c = (struct store_counts){ v, 1 };
		stream_hub_publish(hub, "alice", &c);
	}
	ck_assert_int_eq(fc.wakes, 0);		/* nothing before the tick */
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(fc.wakes, 1);
	ck_assert_str_eq(drain(s, buf, sizeof(buf)),
	    "data: {\"user\":\"alice\",\"visits\":10,\"unique\":1}\n\n");

	/* Within the interval: held back until it has passed. */
	c = (struct store_counts){ 11, 1 };
	stream_hub_publish(hub, "alice", &c);
	clock_ms += 100;
	ck_assert_uint_eq(stream_hub_tick(hub, clock_ms), clock_ms + 150);
	ck_assert_str_eq(drain(s, buf, sizeof(buf)), "");
	clock_ms += 150;
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(s, buf, sizeof(buf)),
	    "data: {\"user\":\"alice\",\"visits\":11,\"unique\":1}\n\n");

	/* Older counts (an answer completing late) are ignored. */
	c = (struct store_counts){ 9, 1 };
	stream_hub_publish(hub, "alice", &c);
	clock_ms += 1000;
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(s, buf, sizeof(buf)), "");
	/* Another id's changes are not this stream's. */
	c = (struct store_counts){ 99, 1 };
	stream_hub_publish(hub, "bob", &c);
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(s, buf, sizeof(buf)), "");

	stream_close(s);
	ck_assert_uint_eq(stream_hub_count(hub), 0);
	stream_hub_free(hub);
}
END_TEST

START_TEST(pings_and_max_age)
{
	struct stream_hub *hub = hub_with(10, 0, 4096, 0);
	struct fake_conn fc = { 0 };
	struct stream *s = live(hub, "a", 1, 0, &fc);
	enum stream_end why;
	char buf[4096];

	drain(s, buf, sizeof(buf));
	clock_ms += 15000;
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(s, buf, sizeof(buf)), ":\n\n");
	clock_ms += 45000;			/* 60 s: max age */
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(fc.wakes, 2);		/* the ping, then the end */
	ck_assert_int_eq(stream_read(s, buf, sizeof(buf), &why), -1);
	ck_assert_int_eq(why, STREAM_END_MAX_AGE);
	ck_assert_int_eq(fc.cuts, 0);		/* parked: ended cleanly */
	stream_close(s);
	stream_hub_free(hub);
}
END_TEST

START_TEST(a_full_buffer_drops_only_its_stream)
{
	struct stream_hub *hub = hub_with(10, 0, 512, 0);
	struct fake_conn slow = { 0 }, fast = { 0 };
	struct stream *a = live(hub, "x", 1, 0, &slow);
	struct stream *b = live(hub, "x", 2, 0, &fast);
	struct store_counts c;
	enum stream_end why;
	char buf[4096];
	int i;

	drain(b, buf, sizeof(buf));
	/* a never reads: its ~512 bytes fill with a dozen events. */
	for (i = 1; i <= 20; i++) {
		c = (struct store_counts){ (uint64_t)i, 0 };
		stream_hub_publish(hub, "x", &c);
		clock_ms += 250;
		stream_hub_tick(hub, clock_ms);
		ck_assert_ptr_nonnull(strstr(drain(b, buf, sizeof(buf)),
		    "\"visits\":"));
	}
	ck_assert_int_eq(slow.cuts, 1);	/* not parked: its socket is cut */
	ck_assert_int_eq(stream_read(a, buf, sizeof(buf), &why), -1);
	ck_assert_int_eq(why, STREAM_END_OVERFLOW);
	ck_assert_int_eq(fast.cuts, 0);
	stream_close(a);
	stream_close(b);
	stream_hub_free(hub);
}
END_TEST

START_TEST(limits_in_all_and_per_client)
{
	struct stream_hub *hub = hub_with(3, 2, 4096, 0);
	enum stream_refusal why;
	unsigned char c1 = 1, c2 = 2;
	struct stream *s[4];

	s[0] = stream_open(hub, "a", &c1, 1, &why);
	s[1] = stream_open(hub, "b", &c1, 1, &why);
	ck_assert_ptr_nonnull(s[1]);
	ck_assert_ptr_null(stream_open(hub, "c", &c1, 1, &why));
	ck_assert_int_eq(why, STREAM_REFUSED_CLIENT);
	s[2] = stream_open(hub, "c", &c2, 1, &why);
	ck_assert_ptr_nonnull(s[2]);
	ck_assert_ptr_null(stream_open(hub, "d", &c2, 1, &why));
	ck_assert_int_eq(why, STREAM_REFUSED_FULL);
	stream_close(s[0]);			/* a slot back for client 1 */
	s[3] = stream_open(hub, "a", &c1, 1, &why);
	ck_assert_ptr_nonnull(s[3]);
	ck_assert_uint_eq(stream_hub_count(hub), 3);
	stream_hub_shutdown(hub);
	ck_assert_ptr_null(stream_open(hub, "e", &c2, 1, &why));
	ck_assert_int_eq(why, STREAM_REFUSED_STOPPING);
	for (int i = 1; i < 4; i++)
		stream_close(s[i]);
	stream_hub_free(hub);
}
END_TEST

START_TEST(one_poll_per_id_and_stale_answers_ignored)
{
	struct stream_hub *hub = hub_with(10, 0, 4096, 2000);
	struct fake_conn f1 = { 0 }, f2 = { 0 };
	struct stream *a = live(hub, "p", 1, 5, &f1);
	struct stream *b = live(hub, "p", 2, 5, &f2);
	struct store_counts c = { 8, 2 };
	uint64_t first;
	char buf[4096];

	drain(a, buf, sizeof(buf));
	drain(b, buf, sizeof(buf));
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(npolls, 0);		/* not due yet */
	clock_ms += 2000;
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(npolls, 1);		/* one for the id, not two */
	ck_assert_str_eq(last_poll_id, "p");
	clock_ms += 2000;
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(npolls, 1);		/* one in flight at a time */
	first = last_token;
	stream_hub_polled(hub, "p", first, STORE_OK, &c);
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(a, buf, sizeof(buf)),
	    "data: {\"user\":\"p\",\"visits\":8,\"unique\":2}\n\n");
	ck_assert_str_eq(drain(b, buf, sizeof(buf)),
	    "data: {\"user\":\"p\",\"visits\":8,\"unique\":2}\n\n");
	ck_assert_int_eq(npolls, 2);		/* due again: the next one */

	/* An admin reset wins over a poll that was in flight before it. */
	c = (struct store_counts){ 0, 0 };
	stream_hub_reset(hub, "p", &c);
	clock_ms += 250;
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(a, buf, sizeof(buf)),
	    "data: {\"user\":\"p\",\"visits\":0,\"unique\":0}\n\n");
	c = (struct store_counts){ 8, 2 };
	stream_hub_polled(hub, "p", last_token, STORE_OK, &c);
	clock_ms += 250;
	stream_hub_tick(hub, clock_ms);
	ck_assert_str_eq(drain(a, buf, sizeof(buf)), "");
	stream_close(a);
	stream_close(b);
	stream_hub_free(hub);
}
END_TEST

/* A parked stream whose client left ends within a second. */
START_TEST(a_client_gone_is_noticed_while_parked)
{
	struct stream_hub *hub = hub_with(10, 0, 4096, 0);
	struct fake_conn fc = { 0 };
	struct stream *s = live(hub, "g", 1, 0, &fc);
	enum stream_end why;
	char buf[4096];

	drain(s, buf, sizeof(buf));
	clock_ms += 1000;
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(fc.wakes, 0);		/* still there */
	fc.gone = true;
	ck_assert_uint_le(stream_hub_tick(hub, clock_ms), clock_ms + 1000);
	clock_ms += 1000;
	stream_hub_tick(hub, clock_ms);
	ck_assert_int_eq(fc.wakes, 1);
	ck_assert_int_eq(stream_read(s, buf, sizeof(buf), &why), -1);
	ck_assert_int_eq(why, STREAM_END_CLIENT);
	stream_close(s);
	stream_hub_free(hub);
}
END_TEST

START_TEST(shutdown_ends_every_stream)
{
	struct stream_hub *hub = hub_with(10, 0, 4096, 0);
	struct fake_conn parked = { 0 }, busy = { 0 };
	struct stream *a = live(hub, "a", 1, 0, &parked);
	struct stream *b = live(hub, "b", 1, 0, &busy);
	enum stream_end why;
	char buf[4096];

	drain(a, buf, sizeof(buf));		/* a parks, b has bytes */
	stream_hub_shutdown(hub);
	ck_assert_int_eq(parked.wakes, 1);
	ck_assert_int_eq(busy.cuts, 1);		/* never waited on */
	ck_assert_int_eq(stream_read(a, buf, sizeof(buf), &why), -1);
	ck_assert_int_eq(why, STREAM_END_SHUTDOWN);
	drain(b, buf, sizeof(buf));
	ck_assert_int_eq(stream_read(b, buf, sizeof(buf), &why), -1);
	stream_close(a);
	stream_close(b);
	stream_hub_free(hub);
}
END_TEST

Suite *suite_stream(void)
{
	Suite *s = suite_create("stream");
	TCase *tc = tcase_create("stream");

	tcase_add_test(tc, first_event_then_coalesced_changes);
	tcase_add_test(tc, pings_and_max_age);
	tcase_add_test(tc, a_full_buffer_drops_only_its_stream);
	tcase_add_test(tc, limits_in_all_and_per_client);
	tcase_add_test(tc, one_poll_per_id_and_stale_answers_ignored);
	tcase_add_test(tc, a_client_gone_is_noticed_while_parked);
	tcase_add_test(tc, shutdown_ends_every_stream);
	suite_add_tcase(s, tc);
	return s;
}

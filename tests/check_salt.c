/*
 * check_salt: the day clock and the salt keeper on a fake store whose
 * salts are a function of the day, with an injected clock: today's and
 * tomorrow's salts are fetched ahead (midnight needs no store call), a
 * day without a salt counts visits only, forget runs about hourly, a
 * steady keeper does not ask again, and with uniques off nothing asks.
 */
#include <check.h>
#include <string.h>
#include <time.h>

#include "client_id.h"
#include "config.h"
#include "config_fixture.h"
#include "salt.h"
#include "store.h"
#include "visitor.h"

Suite	*suite_salt(void);

static time_t now;
static int salt_calls, forget_calls;
static uint32_t forgot;
static enum store_result salt_answer;

static time_t
clock_now(void)
{
	return now;
}

static enum store_result
f_salt(struct store *s, uint32_t day, uint8_t salt[STORE_SALT_LEN])
{
	(void)s;
	salt_calls++;
	if (salt_answer != STORE_OK)
		return salt_answer;
	memset(salt, (int)(day & 0xff), STORE_SALT_LEN);
	return STORE_OK;
}

static enum store_result
f_forget(struct store *s, uint32_t today)
{
	(void)s;
	forget_calls++;
	forgot = today;
	return STORE_OK;
}

static void
f_free(struct store *s)
{
	(void)s;
}

static const struct store_ops fake_ops = {
	.name = "fake", .salt = f_salt, .forget = f_forget, .free = f_free,
};

static struct store fake = { .ops = &fake_ops };

#define DAY0	20000

static struct salt_keeper *
keeper(const char *unique, const char *offset)
{
	struct config cfg;
	struct salt_keeper *k;
	char err[256];

	now = (time_t)DAY0 * 86400 + 3600;	/* 01:00 UTC */
	salt_calls = forget_calls = 0;
	salt_answer = STORE_OK;
	config_fixture_init(&cfg, "auth", "none", "unique_visitors", unique,
	    "test_day_offset", offset, NULL);
	k = salt_keeper_new(&cfg, &fake, clock_now, err, sizeof(err));
	config_cleanup(&cfg);
	ck_assert_msg(k != NULL, "%s", err);
	return k;
}

/* The visitor hash the keeper should give on day with the fake's salt. */
static void
want_hash(uint32_t day, const struct client_addr *a, uint8_t out[32])
{
	uint8_t salt[STORE_SALT_LEN];

	memset(salt, (int)(day & 0xff), sizeof(salt));
	visitor_hash(salt, "id", a, "ua", 2, out);
}

START_TEST(day_is_utc_floor)
{
	ck_assert_uint_eq(salt_day(0, 0), 0);
	ck_assert_uint_eq(salt_day(86399, 0), 0);
	ck_assert_uint_eq(salt_day(86400, 0), 1);
	ck_assert_uint_eq(salt_day((time_t)DAY0 * 86400 + 86399, 0), DAY0);
	ck_assert_uint_eq(salt_day((time_t)DAY0 * 86400, 1), DAY0 + 1);
	ck_assert_uint_eq(salt_day(10, -1), 0);	/* never before 1970 */
}
END_TEST

START_TEST(today_and_tomorrow_ahead)
{
	struct client_addr a = { { 0 } };
	struct salt_keeper *k = keeper("true", "0");
	struct store_visit v;
	uint8_t want[32];

	ck_assert_int_eq(salt_calls, 1);	/* today only, at 01:00 */
	ck_assert_int_eq(forget_calls, 1);
	ck_assert_uint_eq(forgot, DAY0);
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert_uint_eq(v.day, DAY0);
	ck_assert(v.has_visitor);
	want_hash(DAY0, &a, want);
	ck_assert_mem_eq(v.visitor, want, 32);

	/* 23:49: not yet; 23:51: tomorrow's salt is fetched. */
	now = (time_t)(DAY0 + 1) * 86400 - 660;
	salt_keeper_refresh(k);
	ck_assert_int_eq(salt_calls, 1);
	now += 120;
	salt_keeper_refresh(k);
	ck_assert_int_eq(salt_calls, 2);

	/* Midnight: tomorrow's salt is already held. */
	now = (time_t)(DAY0 + 1) * 86400;
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert_uint_eq(v.day, DAY0 + 1);
	ck_assert(v.has_visitor);
	want_hash(DAY0 + 1, &a, want);
	ck_assert_mem_eq(v.visitor, want, 32);
	ck_assert_int_eq(salt_calls, 2);

	/* The first refresh of the day forgets yesterday, fetches nothing. */
	salt_keeper_refresh(k);
	ck_assert_int_eq(salt_calls, 2);
	ck_assert_uint_eq(forgot, DAY0 + 1);
	salt_keeper_free(k);
}
END_TEST

START_TEST(forget_about_hourly)
{
	struct salt_keeper *k = keeper("true", "0");

	ck_assert_int_eq(forget_calls, 1);
	now += 59 * 60;
	salt_keeper_refresh(k);
	ck_assert_int_eq(forget_calls, 1);
	now += 60;
	salt_keeper_refresh(k);
	ck_assert_int_eq(forget_calls, 2);
	salt_keeper_free(k);
}
END_TEST

/* Two days on without a refresh: no salt, so visits only. */
START_TEST(no_salt_counts_visits_only)
{
	struct client_addr a = { { 0 } };
	struct salt_keeper *k = keeper("true", "0");
	struct store_visit v;

	ck_assert(salt_keeper_ready(k));
	now += 2 * 86400;
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert_uint_eq(v.day, DAY0 + 2);
	ck_assert(!v.has_visitor);
	ck_assert(!salt_keeper_ready(k));	/* /readyz: 503 */
	/* The store down: still none, and no forget; back: the refresh
	   brings the salt and the forget of the new day. */
	salt_answer = STORE_UNAVAILABLE;
	salt_keeper_refresh(k);
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert(!v.has_visitor);
	ck_assert_int_eq(forget_calls, 1);
	salt_answer = STORE_OK;
	salt_keeper_refresh(k);
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert(v.has_visitor);
	ck_assert_int_eq(forget_calls, 2);
	ck_assert_uint_eq(forgot, DAY0 + 2);
	ck_assert(salt_keeper_ready(k));
	salt_keeper_free(k);
}
END_TEST

START_TEST(off_makes_no_salt)
{
	struct client_addr a = { { 0 } };
	struct salt_keeper *k = keeper("false", "0");
	struct store_visit v;

	salt_keeper_refresh(k);
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert(!v.has_visitor);
	ck_assert_uint_eq(v.day, DAY0);
	ck_assert_int_eq(salt_calls, 0);
	ck_assert_int_eq(forget_calls, 0);
	salt_keeper_free(k);
}
END_TEST

START_TEST(test_offset_moves_the_day)
{
	struct client_addr a = { { 0 } };
	struct salt_keeper *k = keeper("true", "1");
	struct store_visit v;

	ck_assert_uint_eq(salt_keeper_today(k), DAY0 + 1);
	salt_keeper_visit(k, "id", &a, "ua", 2, &v);
	ck_assert_uint_eq(v.day, DAY0 + 1);
	ck_assert(v.has_visitor);
	ck_assert_uint_eq(forgot, DAY0 + 1);
	salt_keeper_free(k);
}
END_TEST

Suite *suite_salt(void)
{
	Suite *s = suite_create("salt");
	TCase *tc = tcase_create("keeper");

	tcase_add_test(tc, day_is_utc_floor);
	tcase_add_test(tc, today_and_tomorrow_ahead);
	tcase_add_test(tc, forget_about_hourly);
	tcase_add_test(tc, no_salt_counts_visits_only);
	tcase_add_test(tc, off_makes_no_salt);
	tcase_add_test(tc, test_offset_moves_the_day);
	suite_add_tcase(s, tc);
	return s;
}

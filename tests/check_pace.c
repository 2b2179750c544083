/*
 * check_pace: the adaptive write interval of a hot id (pace.c): doubling
 * on throttles up to the cap, shrinking on clean writes down to the floor
 * (the ceiling setting), forgetting while idle.
 */
#include <check.h>

#include "pace.h"

Suite *suite_pace(void);

START_TEST(no_ceiling_starts_unpaced_and_stays_so_without_throttles)
{
	struct pace p;
	int i;

	pace_init(&p, 0, 500);
	ck_assert(!pace_active(&p));
	for (i = 0; i < 100; i++)
		pace_ok(&p);
	ck_assert_uint_eq(p.interval_us, 0);
	ck_assert_uint_eq(pace_due_ms(&p, 1000), 1000);
}
END_TEST

START_TEST(throttles_double_up_to_the_cap)
{
	struct pace p;
	int i;

	pace_init(&p, 0, 500);
	pace_throttled(&p);
	ck_assert_uint_eq(p.interval_us, PACE_FIRST_US);
	pace_throttled(&p);
	ck_assert_uint_eq(p.interval_us, 2 * PACE_FIRST_US);
	ck_assert_uint_eq(pace_due_ms(&p, 1000), 1000 + 2 * PACE_FIRST_US /
	    1000);
	for (i = 0; i < 20; i++)
		pace_throttled(&p);
	ck_assert_uint_eq(p.interval_us, 500000);
}
END_TEST

START_TEST(clean_writes_shrink_slowly_then_stop_pacing)
{
	struct pace p;
	uint32_t before;
	int i;

	pace_init(&p, 0, 500);
	pace_throttled(&p);
	pace_throttled(&p);
	before = p.interval_us;
	pace_ok(&p);
	ck_assert_uint_eq(p.interval_us, before - before / 64);
	/* Halving it back takes dozens of clean writes: throttles stay rare. */
	for (i = 1; i < 40; i++)
		pace_ok(&p);
	ck_assert_uint_gt(p.interval_us, before / 2);
	for (i = 0; i < 2000; i++)
		pace_ok(&p);
	ck_assert(!pace_active(&p));
}
END_TEST

START_TEST(the_ceiling_is_a_floor_and_raises_the_cap)
{
	struct pace p;
	int i;

	pace_init(&p, 20, 500);		/* 20 writes/s: 50 ms */
	ck_assert_uint_eq(p.interval_us, 50000);
	ck_assert(pace_active(&p));
	for (i = 0; i < 100; i++)
		pace_ok(&p);
	ck_assert_uint_eq(p.interval_us, 50000);
	pace_throttled(&p);
	ck_assert_uint_eq(p.interval_us, 100000);
	pace_idle(&p, 60000);
	ck_assert_uint_eq(p.interval_us, 50000);

	pace_init(&p, 1, 500);		/* a ceiling beyond the cap wins */
	ck_assert_uint_eq(p.interval_us, 1000000);
	ck_assert_uint_eq(p.cap_us, 1000000);
	pace_throttled(&p);
	ck_assert_uint_eq(p.interval_us, 1000000);
}
END_TEST

START_TEST(idle_time_forgets_one_step_per_interval)
{
	struct pace p;
	uint32_t before;

	pace_init(&p, 0, 500);
	pace_throttled(&p);
	pace_throttled(&p);
	pace_throttled(&p);
	before = p.interval_us;
	pace_idle(&p, 0);
	ck_assert_uint_eq(p.interval_us, before);
	pace_idle(&p, before / 1000);	/* one interval: one step */
	ck_assert_uint_eq(p.interval_us, before - before / 64);
	pace_idle(&p, 3600 * 1000);
	ck_assert(!pace_active(&p));
}
END_TEST

Suite *suite_pace(void)
{
	Suite *s = suite_create("pace");
	TCase *tc = tcase_create("pace");

	tcase_add_test(tc, no_ceiling_starts_unpaced_and_stays_so_without_throttles);
	tcase_add_test(tc, throttles_double_up_to_the_cap);
	tcase_add_test(tc, clean_writes_shrink_slowly_then_stop_pacing);
	tcase_add_test(tc, the_ceiling_is_a_floor_and_raises_the_cap);
	tcase_add_test(tc, idle_time_forgets_one_step_per_interval);
	suite_add_tcase(s, tc);
	return s;
}

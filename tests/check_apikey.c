/*
 * check_apikey: key-set parsing, the constant-time check, and swapping the
 * set under concurrent checks.
 */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include "apikey.h"

Suite	*suite_apikey(void);

static bool
check(struct apikey_ring *kr, const char *key)
{
	return apikey_ring_check(kr, key, key != NULL ? strlen(key) : 0);
}

static struct apikey_set *
parse(const char *list)
{
	char err[128];
	struct apikey_set *set = apikey_set_parse(list, err, sizeof(err));

	ck_assert_msg(set != NULL, "%s: %s", list, err);
	return set;
}

START_TEST(lists_drop_blanks_and_need_one_key)
{
	struct apikey_set *set;
	char err[128] = "";

	set = parse("only");
	ck_assert_uint_eq(apikey_set_count(set), 1);
	apikey_set_free(set);
	set = parse(" a , b,,\tc ,");
	ck_assert_uint_eq(apikey_set_count(set), 3);
	apikey_set_free(set);
	ck_assert_ptr_null(apikey_set_parse("", err, sizeof(err)));
	ck_assert_str_ne(err, "");
	ck_assert_ptr_null(apikey_set_parse(" , ,", err, sizeof(err)));
	ck_assert_uint_eq(apikey_set_count(NULL), 0);
	apikey_set_free(NULL);
	apikey_ring_free(NULL);
}
END_TEST

START_TEST(only_a_whole_current_key_matches)
{
	struct apikey_ring *kr = apikey_ring_new();
	const char with_nul[] = { 'a', '\0', 'b' };

	ck_assert(!apikey_ring_loaded(kr));
	ck_assert(!check(kr, "a"));
	ck_assert(!check(kr, ""));
	apikey_ring_replace(kr, parse(" alpha , beta "));
	ck_assert(apikey_ring_loaded(kr));
	ck_assert(check(kr, "alpha"));
	ck_assert(check(kr, "beta"));
	ck_assert(!check(kr, " alpha"));
	ck_assert(!check(kr, "alph"));
	ck_assert(!check(kr, "alphaa"));
	ck_assert(!check(kr, "Alpha"));
	ck_assert(!check(kr, "alpha,beta"));
	ck_assert(!check(kr, ""));
	ck_assert(!check(kr, NULL));
	/* The length given counts, not a NUL inside the buffer. */
	ck_assert(!apikey_ring_check(kr, "alphaX", 6));
	ck_assert(apikey_ring_check(kr, "alphaX", 5));
	ck_assert(!apikey_ring_check(kr, with_nul, sizeof(with_nul)));
	/* A whole key followed by a NUL and more: never a match. */
	ck_assert(!apikey_ring_check(kr, "alpha\0junk", 10));
	ck_assert(!apikey_ring_check(kr, "alpha\0", 6));
	ck_assert(!apikey_ring_check(kr, "\0alpha", 6));

	apikey_ring_replace(kr, parse("gamma"));
	ck_assert(!check(kr, "alpha"));
	ck_assert(!check(kr, "beta"));
	ck_assert(check(kr, "gamma"));
	apikey_ring_free(kr);
}
END_TEST

struct hammer {
	struct apikey_ring	*kr;
	atomic_bool	*stop;
	long		 wrong;
	long		 rounds;
};

static void *
hammer_run(void *arg)
{
	struct hammer *h = arg;

	while (!atomic_load(h->stop)) {
		if (!check(h->kr, "stable"))
			h->wrong++;
		if (check(h->kr, "never"))
			h->wrong++;
		h->rounds++;
	}
	return NULL;
}

START_TEST(replace_never_fails_a_check_in_flight)
{
	struct apikey_ring *kr = apikey_ring_new();
	atomic_bool stop = false;
	struct hammer h[4];
	pthread_t t[4];

	apikey_ring_replace(kr, parse("stable,old"));
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ kr, &stop, 0, 0 };
		ck_assert_int_eq(pthread_create(&t[i], NULL, hammer_run, &h[i]),
		    0);
	}
	for (int i = 0; i < 2000; i++)
		apikey_ring_replace(kr, parse(i % 2 ? "stable,old" : "new, stable"));
	atomic_store(&stop, true);
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ck_assert_int_eq(h[i].wrong, 0);
	}
	ck_assert(check(kr, "old"));
	ck_assert(!check(kr, "new"));	/* i = 1999 installed "stable,old" */
	apikey_ring_free(kr);
}
END_TEST

Suite *suite_apikey(void)
{
	Suite *s = suite_create("apikey");
	TCase *tc = tcase_create("apikey");

	tcase_add_test(tc, lists_drop_blanks_and_need_one_key);
	tcase_add_test(tc, only_a_whole_current_key_matches);
	tcase_add_test(tc, replace_never_fails_a_check_in_flight);
	suite_add_tcase(s, tc);
	return s;
}

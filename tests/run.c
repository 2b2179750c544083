/*
 * run: the unit-test runner.  Every tests/check_<module>.c defines one
 * "Suite *suite_<module>(void)"; the Makefile collects them into suites.h.
 * Check's own environment applies: CK_RUN_SUITE=sigv4 runs one suite,
 * CK_FORK=no runs in-process (for gdb and valgrind), CK_VERBOSITY=verbose.
 */
#include <check.h>
#include <stdlib.h>

#define SUITE(fn) Suite *fn(void);
#include "suites.h"
#undef SUITE

int
main(void)
{
	SRunner *sr = srunner_create(NULL);
	int failed;

#define SUITE(fn) srunner_add_suite(sr, fn());
#include "suites.h"
#undef SUITE

	srunner_run_all(sr, CK_ENV);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

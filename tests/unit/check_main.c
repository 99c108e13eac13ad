// SPDX-License-Identifier: GPL-2.0-only
/*
 * Common main for the Check suites: runs the suite named by
 * CHECK_SUITE_FN and prints TAP on stdout.
 */
#include <check.h>
#include <stdlib.h>

Suite *CHECK_SUITE_FN(void);

int main(void)
{
	SRunner *sr = srunner_create(CHECK_SUITE_FN());
	int failed;

	srunner_set_tap(sr, "-");
	srunner_run_all(sr, CK_SILENT);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}

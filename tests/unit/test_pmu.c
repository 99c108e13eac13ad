// SPDX-License-Identifier: GPL-2.0-only
/*
 * observer_pmu_probe() on fake sysfs trees: no hardware PMU (a TCG guest,
 * this build host), a PMU without data-address sampling, Intel PEBS on
 * a plain and a hybrid part, AMD IBS, and a garbled max_precise.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "observer.h"

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

static const struct pmu_case {
	const char *dirs[3]; /* under bus/event_source/devices */
	const char *max_precise; /* of dirs[0], or NULL */
	int want;
	const char *why;
} cases[] = {
	{ { "software", "tracepoint" }, NULL, 0, "no hardware PMU" },
	{ { "cpu", "software" }, NULL, 0,
	  "the PMU has no data-address sampling" },
	{ { "cpu" }, "0\n", 0, "the PMU has no data-address sampling" },
	{ { "cpu" }, "3\n", 1, "Intel PEBS (max_precise 3)" },
	{ { "cpu_core", "cpu_atom" }, "2\n", 1, "Intel PEBS (max_precise 2)" },
	{ { "cpu", "ibs_op", "ibs_fetch" }, NULL, 1, "AMD IBS" },
	{ { "cpu" }, "lots\n", 0, "the PMU has no data-address sampling" },
};

static void mkdirs(const char *root, const char *rel)
{
	char path[512], *p;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (p = path + strlen(root) + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	mkdir(path, 0755);
}

START_TEST(test_probe)
{
	const struct pmu_case *c = &cases[_i];
	char root[] = "/tmp/test_pmu.XXXXXX", rel[256], path[512], why[64];
	size_t i;
	FILE *f;

	ck_assert_ptr_nonnull(mkdtemp(root));
	for (i = 0; i < ARRAY_SIZE(c->dirs) && c->dirs[i]; i++) {
		snprintf(rel, sizeof(rel), "bus/event_source/devices/%s",
			 c->dirs[i]);
		mkdirs(root, rel);
	}
	if (c->max_precise) {
		snprintf(rel, sizeof(rel), "bus/event_source/devices/%s/caps",
			 c->dirs[0]);
		mkdirs(root, rel);
		snprintf(path, sizeof(path), "%s/%s/max_precise", root, rel);
		f = fopen(path, "w");
		ck_assert_ptr_nonnull(f);
		fputs(c->max_precise, f);
		fclose(f);
	}
	ck_assert_int_eq(observer_pmu_probe(root, why, sizeof(why)), c->want);
	ck_assert_str_eq(why, c->why);
	snprintf(path, sizeof(path), "rm -rf '%s'", root);
	ck_assert_int_eq(system(path), 0);
}
END_TEST

Suite *test_pmu_suite(void)
{
	Suite *s = suite_create("pmu");
	TCase *tc = tcase_create("pmu");

	tcase_add_loop_test(tc, test_probe, 0, ARRAY_SIZE(cases));
	suite_add_tcase(s, tc);
	return s;
}

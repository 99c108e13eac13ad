// SPDX-License-Identifier: GPL-2.0-only
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"
#include "vma_pages.h"

#define N CONTIG_PFN_NONE

static const struct metrics_case {
	const char *name;
	uint64_t start_vpn;
	uint64_t pfn[12];
	unsigned int nr;
	struct contig_metrics want;
	const char *runmap;
} cases[] = {
	{ "empty", 0x1000, { 0 }, 0, { 0, 0, 0, 0, 0, 0 }, "" },
	{ "absent", 0x1000, { N, N, N }, 3, { 3, 0, 0, 0, 0, 0 }, "_3" },
	{ "one run", 0x1000, { 10, 11, 12, 13 }, 4, { 4, 4, 1, 4, 1, 0 }, "+4" },
	{ "descending is not contiguous",
	  0x1000,
	  { 13, 12, 11, 10 },
	  4,
	  { 4, 4, 4, 1, 4, 0 },
	  "-4" },
	{ "stride two",
	  0x1000,
	  { 10, 12, 14, 16 },
	  4,
	  { 4, 4, 4, 1, 4, 0 },
	  "-4" },
	{ "gap breaks a run",
	  0x1000,
	  { 10, 11, N, 13, 14 },
	  5,
	  { 5, 4, 2, 2, 2, 0 },
	  "+2 _1 +2" },
	{ "mixed",
	  0x1000,
	  { 5, 6, 7, 100, 50, 51, N, N, 9, 10, 11, 12 },
	  12,
	  { 12, 10, 4, 4, 4, 0 },
	  "+3 -1 +2 _2 +4" },
	/* 99 % of 10 present pages needs all of them: 4 runs */
	{ "runs_99 rounds up",
	  0,
	  { 0, 1, 2, 3, 4, 5, 6, 20, 30, 40 },
	  10,
	  { 10, 10, 4, 7, 4, 0 },
	  "+7 -3" },
};

START_TEST(test_metrics_table)
{
	const struct metrics_case *c = &cases[_i];
	struct contig_metrics m;
	char buf[128];
	size_t len;

	ck_assert_int_eq(
		contig_metrics_compute(c->pfn, c->start_vpn, c->nr, &m), 0);
	ck_assert_msg(!memcmp(&m, &c->want, sizeof(m)),
		      "%s: got pages %llu present %llu runs %llu largest %llu "
		      "runs_99 %llu aligned %llu",
		      c->name, (unsigned long long)m.pages,
		      (unsigned long long)m.present, (unsigned long long)m.runs,
		      (unsigned long long)m.largest_run,
		      (unsigned long long)m.runs_99,
		      (unsigned long long)m.aligned_2m);
	len = contig_runmap_format(c->pfn, c->nr, 16, buf, sizeof(buf));
	ck_assert_str_eq(buf, c->runmap);
	ck_assert_uint_eq(len, strlen(c->runmap));
}
END_TEST

/* 2 MiB alignment: a VA block at a 512-page boundary on a 512-aligned PFN. */
START_TEST(test_metrics_aligned)
{
	const uint64_t nr = 4 * 512;
	uint64_t *pfn = malloc(nr * sizeof(*pfn)), i;
	struct contig_metrics m;

	ck_assert_ptr_nonnull(pfn);
	/* VMA starts 256 pages before a 2 MiB boundary */
	for (i = 0; i < nr; i++)
		pfn[i] = 4096 + 256 +
			 i; /* block k lands on 4096+512k: aligned */
	ck_assert_int_eq(contig_metrics_compute(pfn, 0x100, nr, &m), 0);
	/* blocks at vpn 0x200, 0x400, 0x600 fit inside [0x100, 0x900) */
	ck_assert_uint_eq(m.aligned_2m, 3);
	ck_assert_uint_eq(m.runs, 1);
	pfn[0x300] = N; /* hole in the block at vpn 0x400 */
	ck_assert_int_eq(contig_metrics_compute(pfn, 0x100, nr, &m), 0);
	ck_assert_uint_eq(m.aligned_2m, 2);
	for (i = 0; i < nr; i++)
		pfn[i] = 4096 + 1 + i; /* contiguous but not aligned */
	ck_assert_int_eq(contig_metrics_compute(pfn, 0x100, nr, &m), 0);
	ck_assert_uint_eq(m.aligned_2m, 0);
	free(pfn);
}
END_TEST

/* Long and short runs mixed: runs_99 walks both the histogram and the list. */
START_TEST(test_metrics_runs99_long)
{
	const uint64_t nr = 10000 + 100;
	uint64_t *pfn = malloc(nr * sizeof(*pfn)), i;
	struct contig_metrics m;

	ck_assert_ptr_nonnull(pfn);
	for (i = 0; i < 10000; i++)
		pfn[i] = 1000000 + i; /* one run of 10000 */
	for (i = 10000; i < nr; i++)
		pfn[i] = 10 * i; /* 100 single pages */
	ck_assert_int_eq(contig_metrics_compute(pfn, 0, nr, &m), 0);
	ck_assert_uint_eq(m.runs, 101);
	ck_assert_uint_eq(m.largest_run, 10000);
	/* 99 % of 10100 = 9999: the long run alone */
	ck_assert_uint_eq(m.runs_99, 1);
	pfn[5000] = 7; /* split: 5000 + 1 + 4999 */
	ck_assert_int_eq(contig_metrics_compute(pfn, 0, nr, &m), 0);
	ck_assert_uint_eq(m.runs_99, 2);
	free(pfn);
}
END_TEST

START_TEST(test_runmap_truncated)
{
	uint64_t pfn[40];
	char buf[64];
	unsigned int i;

	for (i = 0; i < 40; i++)
		pfn[i] = (i % 4 == 3) ? N : 100 + 10 * (i / 4) + i % 4;
	contig_runmap_format(pfn, 40, 3, buf, sizeof(buf));
	ck_assert_str_eq(buf, "+3 _1 +3 \u2026(+17)");
	/* a tiny buffer is still terminated */
	contig_runmap_format(pfn, 40, 3, buf, 4);
	ck_assert_uint_le(strlen(buf), 3);
}
END_TEST

Suite *test_metrics_suite(void)
{
	Suite *s = suite_create("metrics");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_metrics_table, 0,
			    sizeof(cases) / sizeof(cases[0]));
	tcase_add_test(tc, test_metrics_aligned);
	tcase_add_test(tc, test_metrics_runs99_long);
	tcase_add_test(tc, test_runmap_truncated);
	suite_add_tcase(s, tc);
	return s;
}

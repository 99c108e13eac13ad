// SPDX-License-Identifier: GPL-2.0-only
/*
 * The CONTIG_NEVER ranges of a process (procs.c): bounded, kept sorted
 * and disjoint, and the overlap query agrees with a plain bitmap model
 * over random inserts.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "procs.h"

#define UNITS 4096 /* the model: one bit per unit of address */

START_TEST(test_never_merge)
{
	struct procs ps;
	struct proc *p;

	procs_init(&ps);
	p = procs_get(&ps, 42, true);
	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(procs_never_add(p, 0x3000, 0x4000), 0);
	ck_assert_int_eq(procs_never_add(p, 0x1000, 0x2000), 0);
	ck_assert_int_eq(procs_never_add(p, 0x6000, 0x8000), 0);
	ck_assert_uint_eq(p->nr_never, 3);
	/* touches the first, overlaps the second: one range */
	ck_assert_int_eq(procs_never_add(p, 0x2000, 0x3800), 0);
	ck_assert_uint_eq(p->nr_never, 2);
	ck_assert_uint_eq(p->never[0].start, 0x1000);
	ck_assert_uint_eq(p->never[0].end, 0x4000);
	/* the same again: nothing new */
	ck_assert_int_eq(procs_never_add(p, 0x1000, 0x4000), 0);
	ck_assert_uint_eq(p->nr_never, 2);
	/* swallows everything */
	ck_assert_int_eq(procs_never_add(p, 0, UINT64_MAX), 0);
	ck_assert_uint_eq(p->nr_never, 1);
	ck_assert(procs_is_never(p, 0x9000, 0xa000));
	procs_destroy(&ps);
}
END_TEST

START_TEST(test_never_bounded)
{
	struct procs ps;
	struct proc *p;
	uint64_t i;

	procs_init(&ps);
	p = procs_get(&ps, 42, true);
	for (i = 0; i < PROCS_NEVER_MAX; i++)
		ck_assert_int_eq(procs_never_add(p, i * 0x2000,
						 i * 0x2000 + 0x1000),
				 0);
	ck_assert_int_eq(procs_never_add(p, 0x10000000, 0x10001000), -ENOSPC);
	ck_assert_uint_eq(p->nr_never, PROCS_NEVER_MAX);
	/* one that merges with existing ones still fits */
	ck_assert_int_eq(procs_never_add(p, 0x1000, 0x2000), 0);
	ck_assert_uint_eq(p->nr_never, PROCS_NEVER_MAX - 1);
	procs_destroy(&ps);
}
END_TEST

START_TEST(test_never_model)
{
	static unsigned char bit[UNITS];
	struct procs ps;
	struct proc *p;
	int round, q, err;
	size_t i, k;

	srand(1234);
	procs_init(&ps);
	p = procs_get(&ps, 7, true);
	memset(bit, 0, sizeof(bit));
	for (round = 0; round < 400; round++) {
		uint64_t a = (uint64_t)(rand() % UNITS);
		uint64_t z = a + 1 + (uint64_t)(rand() % 24);

		if (z > UNITS)
			z = UNITS;
		err = procs_never_add(p, a, z);
		ck_assert(err == 0 || err == -ENOSPC);
		if (!err)
			memset(bit + a, 1, z - a);
		/* sorted, disjoint, not touching */
		for (i = 0; i + 1 < p->nr_never; i++)
			ck_assert_uint_lt(p->never[i].end,
					  p->never[i + 1].start);
		ck_assert_uint_le(p->nr_never, PROCS_NEVER_MAX);
		for (q = 0; q < 50; q++) {
			uint64_t s = (uint64_t)(rand() % UNITS);
			uint64_t e = s + 1 + (uint64_t)(rand() % 40);
			bool want = false;

			if (e > UNITS)
				e = UNITS;
			for (k = s; k < e && !want; k++)
				want = bit[k];
			ck_assert(procs_is_never(p, s, e) == want);
		}
	}
	procs_destroy(&ps);
}
END_TEST

Suite *test_procs_suite(void)
{
	Suite *s = suite_create("procs");
	TCase *tc = tcase_create("never");

	tcase_add_test(tc, test_never_merge);
	tcase_add_test(tc, test_never_bounded);
	tcase_add_test(tc, test_never_model);
	suite_add_tcase(s, tc);
	return s;
}

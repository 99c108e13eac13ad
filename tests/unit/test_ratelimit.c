// SPDX-License-Identifier: GPL-2.0-only
/*
 * Log rate limits (ratelimit.c): a burst per connection and per uid, the
 * rest counted and reported, per uid, once the window is over.
 */
#include <check.h>
#include <string.h>

#include "ratelimit.h"

#define S 1000000000ull

START_TEST(test_burst_and_count)
{
	static struct ratelimit_uids uids;
	struct ratelimit conn = { 0 }, conn2 = { 0 };
	uint64_t sup = 99, n;
	size_t pos = 0;
	uid_t uid;
	int i, passed = 0;

	memset(&uids, 0, sizeof(uids));
	for (i = 0; i < 1000; i++)
		passed += ratelimit_pass(&conn, &uids, 65534, 5 * S, &sup);
	ck_assert_int_eq(passed, RATELIMIT_BURST);
	/* another connection of the same uid: the uid's limit holds */
	ck_assert(!ratelimit_pass(&conn2, &uids, 65534, 6 * S, &sup));
	/* another uid is not held back */
	ck_assert(ratelimit_pass(NULL, &uids, 1000, 6 * S, &sup));
	ck_assert_uint_eq(sup, 0);
	/* within the window: no summary yet */
	ck_assert(!ratelimit_next_summary(&uids, 6 * S, &pos, &uid, &n));
	pos = 0;
	ck_assert(ratelimit_next_summary(&uids, 5 * S + RATELIMIT_WINDOW_NS,
					 &pos, &uid, &n));
	ck_assert_uint_eq(uid, 65534);
	ck_assert_uint_eq(n, 1000 - RATELIMIT_BURST + 1);
	ck_assert(!ratelimit_next_summary(&uids, 5 * S + RATELIMIT_WINDOW_NS,
					  &pos, &uid, &n));
	/* a new window lets lines through again */
	ck_assert(ratelimit_pass(&conn, &uids, 65534,
				 5 * S + RATELIMIT_WINDOW_NS, &sup));
	ck_assert_uint_eq(sup, 0);
}
END_TEST

/* uids of the same hash slot (uid and uid + 64) keep their own counts. */
START_TEST(test_collision_keeps_counts)
{
	static struct ratelimit_uids uids;
	uint64_t sup = 0, n;
	size_t pos = 0;
	uid_t uid;
	int i;

	memset(&uids, 0, sizeof(uids));
	for (i = 0; i < RATELIMIT_BURST + 3; i++)
		ratelimit_pass(NULL, &uids, 1000, 5 * S, &sup);
	ck_assert(ratelimit_pass(NULL, &uids, 1000 + RATELIMIT_UID_SLOTS,
				 5 * S, &sup));
	/* 1000's limit and count are still there */
	ck_assert(!ratelimit_pass(NULL, &uids, 1000, 5 * S, &sup));
	ck_assert(ratelimit_next_summary(&uids, 5 * S + RATELIMIT_WINDOW_NS,
					 &pos, &uid, &n));
	ck_assert_uint_eq(uid, 1000);
	ck_assert_uint_eq(n, 4);
}
END_TEST

Suite *test_ratelimit_suite(void)
{
	Suite *s = suite_create("ratelimit");
	TCase *tc = tcase_create("ratelimit");

	tcase_add_test(tc, test_burst_and_count);
	tcase_add_test(tc, test_collision_keeps_counts);
	suite_add_tcase(s, tc);
	return s;
}

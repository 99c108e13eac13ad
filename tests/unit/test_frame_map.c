// SPDX-License-Identifier: GPL-2.0-only
#include <check.h>
#include <errno.h>

#include "frame_map.h"

static struct frame_map fm;

static void setup(void)
{
	ck_assert_int_eq(frame_map_init(&fm, 100), 0);
	ck_assert_int_eq(frame_map_add_zone(&fm, 0, 16, "DMA", 0), 0);
	ck_assert_int_eq(frame_map_add_zone(&fm, 16, 100, "Normal", 0), 0);
	fm.state[20] = FRAME_UNMOVABLE;
	fm.state[21] = FRAME_HOLE;
	fm.state[50] = FRAME_MOVABLE;
	fm.state[99] = FRAME_UNMOVABLE;
	ck_assert_int_eq(frame_map_index(&fm), 0);
}

static void teardown(void)
{
	frame_map_free(&fm);
}

static const struct window_case {
	uint64_t start, end;
	bool ok;
} windows[] = {
	{ 0, 16, true }, /* the whole DMA zone */
	{ 10, 18, false }, /* crosses zones */
	{ 22, 99, true }, /* movable frame inside is fine */
	{ 22, 100, false }, /* unmovable at 99 */
	{ 19, 21, false }, /* unmovable at 20 */
	{ 21, 22, false }, /* hole */
	{ 5, 5, false }, /* empty */
	{ 90, 101, false }, /* past the end */
};

START_TEST(test_window_ok)
{
	const struct window_case *c = &windows[_i];

	ck_assert_msg(frame_map_window_ok(&fm, c->start, c->end) == c->ok,
		      "[%llu, %llu)", (unsigned long long)c->start,
		      (unsigned long long)c->end);
}
END_TEST

START_TEST(test_index_and_next_good)
{
	ck_assert_uint_eq(fm.nr_bad, 2);
	ck_assert_uint_eq(fm.bad[0].start, 20);
	ck_assert_uint_eq(fm.bad[0].end, 22);
	ck_assert_uint_eq(frame_map_next_good(&fm, 19), 19);
	ck_assert_uint_eq(frame_map_next_good(&fm, 20), 22);
	ck_assert_uint_eq(frame_map_next_good(&fm, 21), 22);
	ck_assert_uint_eq(frame_map_next_good(&fm, 99), 100);
	ck_assert_int_eq(frame_map_zone_of(&fm, 15), 0);
	ck_assert_int_eq(frame_map_zone_of(&fm, 16), 1);
	ck_assert_int_eq(frame_map_zone_of(&fm, 100), -1);
}
END_TEST

/* Blocks of 8: [16, 24) holds 20 (unmovable), [96, 100) holds 99. */
START_TEST(test_taint_blocks)
{
	uint64_t f;

	fm.state[17] = FRAME_MOVABLE;
	ck_assert_uint_eq(frame_map_taint_blocks(&fm, 8), 5 + 3);
	for (f = 0; f < 100; f++) {
		enum frame_state want = FRAME_FREE;

		if ((f >= 16 && f < 24) || f >= 96)
			want = FRAME_UNMOVABLE;
		if (f == 17 || f == 50)
			want = FRAME_MOVABLE;
		if (f == 21)
			want = FRAME_HOLE;
		ck_assert_msg(fm.state[f] == want, "frame %llu: %d, not %d",
			      (unsigned long long)f, fm.state[f], want);
	}
	ck_assert_int_eq(frame_map_index(&fm), 0);
	ck_assert(!frame_map_window_ok(&fm, 22, 24));
	ck_assert(frame_map_window_ok(&fm, 24, 96));
}
END_TEST

START_TEST(test_zone_order)
{
	ck_assert_int_eq(frame_map_add_zone(&fm, 40, 60, "Bad", 0), -EINVAL);
	ck_assert_int_eq(frame_map_add_zone(&fm, 60, 50, "Bad", 0), -EINVAL);
}
END_TEST

Suite *test_frame_map_suite(void)
{
	Suite *s = suite_create("frame_map");
	TCase *tc = tcase_create("core");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_loop_test(tc, test_window_ok, 0,
			    sizeof(windows) / sizeof(windows[0]));
	tcase_add_test(tc, test_index_and_next_good);
	tcase_add_test(tc, test_taint_blocks);
	tcase_add_test(tc, test_zone_order);
	suite_add_tcase(s, tc);
	return s;
}

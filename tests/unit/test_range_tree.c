// SPDX-License-Identifier: GPL-2.0-only
/*
 * Range tree: table-driven edge cases and big-tree shape checks (the
 * property test against a brute-force model is test_range_tree_model.c).
 */
#include <check.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "range_tree.h"
#include "range_tree_check.h"

/* Claims set up before a case runs; a list ends at the first end == 0. */

static struct range_tree *load(const struct rt_range *pre)
{
	struct range_tree *rt = rt_create();
	size_t i;

	ck_assert_ptr_nonnull(rt);
	for (i = 0; pre[i].end; i++)
		ck_assert_int_eq(rt_insert(rt, pre[i].start, pre[i].end,
					   pre[i].owner),
				 0);
	ck_assert_uint_eq(rt_count(rt), i);
	ck_assert_tree_ok(rt);
	return rt;
}

static const struct rt_range pre_none[] = { { 0, 0, 0 } };
/* [10,20) [20,30) touch; [40,50) follows a gap of 10 frames. */
static const struct rt_range pre_a[] = {
	{ 10, 20, 1 },
	{ 20, 30, 2 },
	{ 40, 50, 1 },
	{ 0, 0, 0 },
};
/* A claim at the very top of the frame space, one at the bottom. */
static const struct rt_range pre_top[] = {
	{ 0, 5, 1 },
	{ MAX64 - 10, MAX64, 2 },
	{ 0, 0, 0 },
};
/* Many one-frame holes. */
static const struct rt_range pre_holes[] = {
	{ 0, 1, 1 }, { 2, 3, 1 },  { 4, 5, 1 },
	{ 6, 7, 1 }, { 9, 10, 1 }, { 0, 0, 0 },
};
static const struct rt_range pre_full[] = { { 0, MAX64, 1 }, { 0, 0, 0 } };
static const struct rt_range pre_owners[] = {
	{ 1, 2, 5 }, { 3, 4, 6 },  { 5, 6, 5 },
	{ 7, 8, 6 }, { 9, 10, 5 }, { MAX64 - 1, MAX64, 6 },
	{ 0, 0, 0 },
};

/* Insert */

static const struct insert_case {
	const char *name;
	const struct rt_range *pre;
	uint64_t start, end;
	int ret;
} insert_cases[] = {
	{ "into empty", pre_none, 1, 2, 0 },
	{ "whole space", pre_none, 0, MAX64, 0 },
	{ "top frame", pre_none, MAX64 - 1, MAX64, 0 },
	{ "zero length", pre_none, 5, 5, -EINVAL },
	{ "reversed", pre_none, 6, 5, -EINVAL },
	{ "zero length at max", pre_none, MAX64, MAX64, -EINVAL },
	{ "touch first from below", pre_a, 0, 10, 0 },
	{ "fill touching gap", pre_a, 30, 40, 0 },
	{ "touch last from above", pre_a, 50, 51, 0 },
	{ "exact duplicate", pre_a, 10, 20, -EEXIST },
	{ "same start shorter", pre_a, 10, 11, -EEXIST },
	{ "same end", pre_a, 45, 50, -EEXIST },
	{ "over left edge", pre_a, 5, 11, -EEXIST },
	{ "over right edge", pre_a, 49, 55, -EEXIST },
	{ "inside", pre_a, 12, 13, -EEXIST },
	{ "covers several", pre_a, 0, 100, -EEXIST },
	{ "spans a gap", pre_a, 25, 45, -EEXIST },
	{ "into gap then over", pre_a, 35, 41, -EEXIST },
	{ "zero length in claim", pre_a, 15, 15, -EINVAL },
	{ "whole over claims", pre_a, 0, MAX64, -EEXIST },
	{ "top over top claim", pre_top, MAX64 - 1, MAX64, -EEXIST },
	{ "below top claim", pre_top, MAX64 - 11, MAX64 - 10, 0 },
	{ "between bottom and top", pre_top, 5, MAX64 - 10, 0 },
	{ "fill a hole", pre_holes, 7, 9, 0 },
	{ "hole too small", pre_holes, 7, 10, -EEXIST },
};

START_TEST(test_insert_cases)
{
	const struct insert_case *c = &insert_cases[_i];
	struct range_tree *rt = load(c->pre);
	size_t before = rt_count(rt);
	struct rt_range got;

	ck_assert_msg(rt_insert(rt, c->start, c->end, 77) == c->ret,
		      "case '%s'", c->name);
	ck_assert_tree_ok(rt);
	if (c->ret == 0) {
		ck_assert_uint_eq(rt_count(rt), before + 1);
		ck_assert(rt_lookup(rt, c->start, &got));
		ck_assert_uint_eq(got.start, c->start);
		ck_assert_uint_eq(got.end, c->end);
		ck_assert_uint_eq(got.owner, 77);
	} else {
		ck_assert_uint_eq(rt_count(rt), before);
	}
	rt_destroy(rt);
}
END_TEST

/* Overlap query and lookup, against one set of claims. */

static const struct rt_range query_pre[] = {
	{ 10, 20, 1 }, /* touches the next */
	{ 20, 30, 2 },
	{ 40, 50, 3 }, /* after a 10-frame gap */
	{ MAX64 - 5, MAX64, 4 }, /* up to the last frame */
	{ 0, 0, 0 },
};

/* found == false: no claim; else the claim expected starts at want. */
static const struct overlap_case {
	uint64_t start, end;
	bool found;
	uint64_t want;
} overlap_cases[] = {
	{ 0, 10, false, 0 },
	{ 0, 11, true, 10 },
	{ 19, 21, true, 10 },
	{ 20, 21, true, 20 },
	{ 29, 40, true, 20 },
	{ 30, 40, false, 0 },
	{ 25, 45, true, 20 },
	{ 35, 41, true, 40 },
	{ 15, 15, false, 0 },
	{ 16, 15, false, 0 },
	{ 50, MAX64 - 5, false, 0 },
	{ 50, MAX64 - 4, true, MAX64 - 5 },
	{ MAX64 - 1, MAX64, true, MAX64 - 5 },
	{ MAX64, MAX64, false, 0 },
	{ 0, MAX64, true, 10 },
};

static const struct rt_range *pre_by_start(const struct rt_range *pre,
					   uint64_t start)
{
	size_t i;

	for (i = 0; pre[i].end; i++)
		if (pre[i].start == start)
			return &pre[i];
	ck_abort_msg("no claim starts at %ju", (uintmax_t)start);
	return NULL;
}

START_TEST(test_overlap_cases)
{
	const struct overlap_case *c = &overlap_cases[_i];
	struct range_tree *rt = load(query_pre);
	struct rt_range got;
	const struct rt_range *want;

	ck_assert_msg(rt_find_overlap(rt, c->start, c->end, &got) == c->found,
		      "overlap [%ju, %ju)", (uintmax_t)c->start,
		      (uintmax_t)c->end);
	if (c->found) {
		want = pre_by_start(query_pre, c->want);
		ck_assert_uint_eq(got.start, want->start);
		ck_assert_uint_eq(got.end, want->end);
		ck_assert_uint_eq(got.owner, want->owner);
	}
	ck_assert(rt_find_overlap(rt, c->start, c->end, NULL) == c->found);
	rt_destroy(rt);
}
END_TEST

static const struct lookup_case {
	uint64_t frame;
	bool found;
	uint64_t want;
} lookup_cases[] = {
	{ 0, false, 0 },
	{ 9, false, 0 },
	{ 10, true, 10 },
	{ 19, true, 10 },
	{ 20, true, 20 },
	{ 29, true, 20 },
	{ 30, false, 0 },
	{ 39, false, 0 },
	{ 40, true, 40 },
	{ 49, true, 40 },
	{ 50, false, 0 },
	{ MAX64 - 6, false, 0 },
	{ MAX64 - 5, true, MAX64 - 5 },
	{ MAX64 - 1, true, MAX64 - 5 },
	{ MAX64, false, 0 },
};

START_TEST(test_lookup_cases)
{
	const struct lookup_case *c = &lookup_cases[_i];
	struct range_tree *rt = load(query_pre);
	struct rt_range got;
	const struct rt_range *want;

	ck_assert_msg(rt_lookup(rt, c->frame, &got) == c->found, "lookup %ju",
		      (uintmax_t)c->frame);
	if (c->found) {
		want = pre_by_start(query_pre, c->want);
		ck_assert_uint_eq(got.start, want->start);
		ck_assert_uint_eq(got.end, want->end);
		ck_assert_uint_eq(got.owner, want->owner);
	}
	ck_assert(rt_lookup(rt, c->frame, NULL) == c->found);
	rt_destroy(rt);
}
END_TEST

/* First gap */

static const struct gap_case {
	const char *name;
	const struct rt_range *pre;
	uint64_t hint, n, limit;
	bool found;
	uint64_t want;
} gap_cases[] = {
	{ "empty", pre_none, 0, 1, MAX64, true, 0 },
	{ "empty n=0", pre_none, 0, 0, MAX64, false, 0 },
	{ "empty fits limit", pre_none, 7, 3, 10, true, 7 },
	{ "empty past limit", pre_none, 7, 4, 10, false, 0 },
	{ "hint above limit", pre_none, 20, 1, 10, false, 0 },
	{ "limit 0", pre_none, 0, 1, 0, false, 0 },
	{ "hint+n overflows", pre_none, MAX64, 1, MAX64, false, 0 },
	{ "last frame", pre_none, MAX64 - 1, 1, MAX64, true, MAX64 - 1 },
	{ "n = max", pre_none, 0, MAX64, MAX64, true, 0 },
	{ "n = max, hint 1", pre_none, 1, MAX64, MAX64, false, 0 },
	{ "huge hint+n", pre_none, MAX64 - 3, MAX64 - 3, MAX64, false, 0 },
	{ "before first", pre_a, 0, 10, MAX64, true, 0 },
	{ "before first too small", pre_a, 0, 11, MAX64, true, 50 },
	{ "hint shrinks first gap", pre_a, 1, 10, MAX64, true, 30 },
	{ "touching is no gap", pre_a, 10, 1, MAX64, true, 30 },
	{ "hint inside claim", pre_a, 15, 1, MAX64, true, 30 },
	{ "hint at claim end", pre_a, 20, 1, MAX64, true, 30 },
	{ "hint inside claim, n fills", pre_a, 15, 10, MAX64, true, 30 },
	{ "hint inside gap", pre_a, 33, 7, MAX64, true, 33 },
	{ "hint inside gap too small", pre_a, 33, 8, MAX64, true, 50 },
	{ "limit cuts gap", pre_a, 30, 10, 39, false, 0 },
	{ "limit exactly at gap end", pre_a, 30, 10, 40, true, 30 },
	{ "limit cuts the tail", pre_a, 45, 5, 54, false, 0 },
	{ "after last", pre_a, 45, 5, 55, true, 50 },
	{ "hint past last", pre_a, 1000, 1000, MAX64, true, 1000 },
	{ "limit below first claim", pre_a, 0, 5, 9, true, 0 },
	{ "gap below top claim", pre_top, MAX64 - 20, 10, MAX64, true,
	  MAX64 - 20 },
	{ "gap below top too small", pre_top, MAX64 - 20, 11, MAX64, false, 0 },
	{ "hint in top claim", pre_top, MAX64 - 5, 1, MAX64, false, 0 },
	{ "hint at max", pre_top, MAX64, 1, MAX64, false, 0 },
	{ "whole middle", pre_top, 0, MAX64 - 15, MAX64, true, 5 },
	{ "more than middle", pre_top, 0, MAX64 - 14, MAX64, false, 0 },
	{ "everything claimed", pre_full, 0, 1, MAX64, false, 0 },
	{ "holes n=1", pre_holes, 0, 1, MAX64, true, 1 },
	{ "holes n=2", pre_holes, 0, 2, MAX64, true, 7 },
	{ "holes n=3", pre_holes, 0, 3, MAX64, true, 10 },
	{ "holes hint in hole", pre_holes, 5, 1, MAX64, true, 5 },
	{ "holes hint in claim", pre_holes, 6, 1, MAX64, true, 7 },
	{ "holes limit cuts", pre_holes, 0, 2, 8, false, 0 },
};

START_TEST(test_gap_cases)
{
	const struct gap_case *c = &gap_cases[_i];
	struct range_tree *rt = load(c->pre);
	uint64_t got = 12345;
	bool found = rt_first_gap(rt, c->hint, c->n, c->limit, &got);

	ck_assert_msg(found == c->found, "case '%s': found %d", c->name, found);
	if (c->found)
		ck_assert_msg(got == c->want, "case '%s': got %ju, want %ju",
			      c->name, (uintmax_t)got, (uintmax_t)c->want);
	else
		ck_assert_uint_eq(got, 12345); /* untouched */
	rt_destroy(rt);
}
END_TEST

/* Remove */

static const struct remove_case {
	const char *name;
	const struct rt_range *pre;
	uint64_t start;
	int ret;
} remove_cases[] = {
	{ "from empty", pre_none, 0, -ENOENT },
	{ "first", pre_a, 10, 0 },
	{ "middle", pre_a, 20, 0 },
	{ "last", pre_a, 40, 0 },
	{ "inside a claim", pre_a, 15, -ENOENT },
	{ "at a claim's end", pre_a, 30, -ENOENT },
	{ "below all", pre_a, 0, -ENOENT },
	{ "max", pre_a, MAX64, -ENOENT },
	{ "top claim", pre_top, MAX64 - 10, 0 },
	{ "one of many", pre_holes, 4, 0 },
};

START_TEST(test_remove_cases)
{
	const struct remove_case *c = &remove_cases[_i];
	struct range_tree *rt = load(c->pre);
	size_t before = rt_count(rt), i;

	ck_assert_msg(rt_remove(rt, c->start) == c->ret, "case '%s'", c->name);
	ck_assert_tree_ok(rt);
	ck_assert_uint_eq(rt_count(rt), before - (c->ret == 0));
	/* The removed claim is gone; every other one is intact. */
	for (i = 0; c->pre[i].end; i++) {
		const struct rt_range *p = &c->pre[i];
		bool gone = c->ret == 0 && p->start == c->start;
		struct rt_range got;

		ck_assert(rt_lookup(rt, p->start, &got) == !gone);
		if (!gone) {
			ck_assert_uint_eq(got.end, p->end);
			ck_assert_uint_eq(got.owner, p->owner);
		}
	}
	ck_assert_int_eq(rt_remove(rt, c->start), -ENOENT);
	rt_destroy(rt);
}
END_TEST

static const struct remove_owner_case {
	const char *name;
	const struct rt_range *pre;
	uint64_t owner;
	size_t removed;
} remove_owner_cases[] = {
	{ "empty", pre_none, 1, 0 },
	{ "absent owner", pre_a, 9, 0 },
	{ "two of three", pre_a, 1, 2 }, /* not adjacent */
	{ "one of three", pre_a, 2, 1 },
	{ "all", pre_holes, 1, 5 }, /* leaves an empty tree */
	{ "mixed", pre_owners, 6, 3 },
};

START_TEST(test_remove_owner_cases)
{
	const struct remove_owner_case *c = &remove_owner_cases[_i];
	struct range_tree *rt = load(c->pre);
	size_t before = rt_count(rt), i;
	uint64_t s;

	ck_assert_uint_eq(rt_remove_owner(rt, c->owner), c->removed);
	ck_assert_tree_ok(rt);
	ck_assert_uint_eq(rt_count(rt), before - c->removed);
	for (i = 0; c->pre[i].end; i++) {
		const struct rt_range *p = &c->pre[i];

		ck_assert(rt_lookup(rt, p->start, NULL) ==
			  (p->owner != c->owner));
	}
	ck_assert_uint_eq(rt_remove_owner(rt, c->owner), 0);
	if (!rt_count(rt)) {
		ck_assert(rt_first_gap(rt, 0, MAX64, MAX64, &s));
		ck_assert_uint_eq(s, 0);
	}
	rt_destroy(rt);
}
END_TEST

/* foreach */

struct collect {
	struct rt_range seen[8];
	size_t n;
	size_t stop_after; /* return non-zero after this many */
};

static int collect_fn(const struct rt_range *r, void *arg)
{
	struct collect *c = arg;

	c->seen[c->n++] = *r;
	return c->n == c->stop_after ? 42 : 0;
}

START_TEST(test_foreach)
{
	static const struct rt_range in[] = {
		{ 40, 50, 3 }, /* 4th in order */
		{ 0, 1, 1 }, /* 1st */
		{ 20, 30, 2 }, /* 3rd */
		{ 10, 20, 4 }, /* 2nd, touches the 3rd */
		{ MAX64 - 1, MAX64, 5 }, /* 5th */
	};
	struct range_tree *rt = rt_create();
	struct collect c = { .n = 0, .stop_after = 0 };
	size_t i;

	ck_assert_int_eq(rt_foreach(rt, collect_fn, &c), 0);
	ck_assert_uint_eq(c.n, 0);
	for (i = 0; i < ARRAY_SIZE(in); i++)
		ck_assert_int_eq(
			rt_insert(rt, in[i].start, in[i].end, in[i].owner), 0);
	ck_assert_int_eq(rt_foreach(rt, collect_fn, &c), 0);
	ck_assert_uint_eq(c.n, ARRAY_SIZE(in));
	for (i = 1; i < c.n; i++)
		ck_assert_uint_lt(c.seen[i - 1].start, c.seen[i].start);
	ck_assert_uint_eq(c.seen[1].owner, 4);

	memset(&c, 0, sizeof(c));
	c.stop_after = 3;
	ck_assert_int_eq(rt_foreach(rt, collect_fn, &c), 42);
	ck_assert_uint_eq(c.n, 3);
	rt_destroy(rt);
	rt_destroy(NULL);
}
END_TEST

/* Big trees: shape stays logarithmic whatever the insertion order. */

#define BIG_N 100000

START_TEST(test_big_sequential)
{
	struct range_tree *rt = rt_create();
	uint64_t i, s;

	/*
	 * Ascending with 1-frame holes, then descending and touching up to
	 * the top frame: worst cases for an unbalanced tree.
	 */
	for (i = 0; i < BIG_N; i++)
		expect(!rt_insert(rt, 4 * i, 4 * i + 3, i % 3), "low %ju",
		       (uintmax_t)i);
	for (i = 0; i < BIG_N; i++)
		expect(!rt_insert(rt, MAX64 - i - 1, MAX64 - i, 3), "high %ju",
		       (uintmax_t)i);
	ck_assert_tree_ok(rt);
	ck_assert_int_le(rt_debug_height(rt), avl_height_bound(2 * BIG_N));

	/* Gaps of 1 everywhere in the low run, none in the high run. */
	ck_assert(rt_first_gap(rt, 0, 1, MAX64, &s));
	ck_assert_uint_eq(s, 3);
	ck_assert(rt_first_gap(rt, 0, 2, MAX64, &s));
	ck_assert_uint_eq(s, 4 * BIG_N - 1);
	ck_assert(!rt_first_gap(rt, MAX64 - BIG_N, 1, MAX64, &s));
	/*
	 * Many queries, most of whose answers lie past 100000 claims. Each is
	 * O(log n); a search that walked the claims after its hint would take
	 * minutes here (and hit the timeout), not a blink.
	 */
	for (i = 0; i < BIG_N; i++) {
		uint64_t hint = (i * 0x9e3779b97f4a7c15ull) % (4 * BIG_N);

		expect(rt_first_gap(rt, hint, 1, MAX64, &s) &&
			       s == (hint % 4 == 3 ? hint : hint | 3),
		       "n=1 from %ju", (uintmax_t)hint);
		expect(rt_first_gap(rt, hint, 2, MAX64, &s) &&
			       s == 4 * BIG_N - 1,
		       "n=2 from %ju", (uintmax_t)hint);
	}
	for (i = 0; i < 4 * BIG_N; i++)
		expect(rt_first_gap(rt, i % 1024, 2, MAX64, &s) &&
			       s == 4 * BIG_N - 1,
		       "n=2 from %ju", (uintmax_t)(i % 1024));

	/* Open one 2-frame gap in the middle of the low run. */
	ck_assert_int_eq(rt_remove(rt, 4 * (BIG_N / 2)), 0);
	ck_assert(rt_first_gap(rt, 0, 2, MAX64, &s));
	ck_assert_uint_eq(s, 4 * (BIG_N / 2) - 1);
	ck_assert(rt_first_gap(rt, 0, 5, MAX64, &s));
	ck_assert_uint_eq(s, 4 * (BIG_N / 2) - 1);
	ck_assert(rt_first_gap(rt, 0, 6, MAX64, &s));
	ck_assert_uint_eq(s, 4 * BIG_N - 1);

	/* Drop a third, then the top run, by owner. */
	ck_assert_uint_eq(rt_remove_owner(rt, 1), BIG_N / 3);
	ck_assert_tree_ok(rt);
	ck_assert_uint_eq(rt_remove_owner(rt, 3), BIG_N);
	ck_assert_tree_ok(rt);
	ck_assert_int_le(rt_debug_height(rt), avl_height_bound(rt_count(rt)));
	ck_assert(!rt_lookup(rt, MAX64 - 1, NULL));

	/* Remove the rest in descending order. */
	for (i = BIG_N; i-- > 0;)
		expect(rt_remove(rt, 4 * i) ==
			       (i % 3 == 1 || i == BIG_N / 2 ? -ENOENT : 0),
		       "remove %ju", (uintmax_t)i);
	ck_assert_uint_eq(rt_count(rt), 0);
	ck_assert_tree_ok(rt);
	rt_destroy(rt);
}
END_TEST

Suite *test_range_tree_suite(void)
{
	Suite *s = suite_create("range_tree");
	TCase *tc;

	tc = tcase_create("cases");
	tcase_add_loop_test(tc, test_insert_cases, 0, ARRAY_SIZE(insert_cases));
	tcase_add_loop_test(tc, test_overlap_cases, 0,
			    ARRAY_SIZE(overlap_cases));
	tcase_add_loop_test(tc, test_lookup_cases, 0, ARRAY_SIZE(lookup_cases));
	tcase_add_loop_test(tc, test_gap_cases, 0, ARRAY_SIZE(gap_cases));
	tcase_add_loop_test(tc, test_remove_cases, 0, ARRAY_SIZE(remove_cases));
	tcase_add_loop_test(tc, test_remove_owner_cases, 0,
			    ARRAY_SIZE(remove_owner_cases));
	tcase_add_test(tc, test_foreach);
	suite_add_tcase(s, tc);

	tc = tcase_create("big");
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_big_sequential);
	suite_add_tcase(s, tc);
	return s;
}

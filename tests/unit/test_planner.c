// SPDX-License-Identifier: GPL-2.0-only
/*
 * Plans executed on the simulator: every VMA ends as one run, nobody
 * else's page is lost, and ops stay at or below one per misplaced page.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "anchor.h"
#include "metrics.h"
#include "planner.h"
#include "range_tree.h"
#include "sim_random.h"

static uint64_t present_of(const struct vma_pages *v)
{
	uint64_t i, n = 0;

	for (i = 0; i < v->nr; i++)
		n += v->pfn[i] != CONTIG_PFN_NONE;
	return n;
}

static void assert_one_run(const struct vma_pages *v)
{
	struct contig_metrics m;

	ck_assert_int_eq(
		contig_metrics_compute(v->pfn, v->start_vpn, v->nr, &m), 0);
	/* absent pages split runs, so compare against the present span */
	if (m.present) {
		uint64_t i, first = UINT64_MAX, last = 0;

		for (i = 0; i < v->nr; i++)
			if (v->pfn[i] != CONTIG_PFN_NONE) {
				if (first == UINT64_MAX)
					first = i;
				last = i;
				ck_assert_uint_eq(v->pfn[i],
						  v->pfn[first] + (i - first));
			}
		(void)last;
	}
}

/* Three VMAs planned one after the other, claims in a range tree. */
START_TEST(test_plan_random_machines)
{
	uint64_t seed = 0xabc00000u + _i, before[3], k;
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct sim s;
	int ids[3], v;

	ck_assert_int_eq(sim_init(&s, 20000), 0);
	ck_assert_int_eq(frame_map_add_zone(&s.fm, 0, 4096, "DMA32", 0), 0);
	ck_assert_int_eq(frame_map_add_zone(&s.fm, 4096, 20000, "Normal", 0),
			 0);
	/* unmovable frames below 8000 only: the three always find room */
	for (k = rnd(&seed, 40); k > 0; k--)
		sim_set_state(&s, rnd(&seed, 8000), FRAME_UNMOVABLE);
	for (v = 0; v < 3; v++) {
		ids[v] = sim_vma_add(&s, 0x10000 * (v + 1) + rnd(&seed, 999),
				     500 + rnd(&seed, 2500));
		ck_assert_int_ge(ids[v], 0);
	}
	/* interleave the faults of the three, like concurrent processes */
	for (v = 0; v < 3; v++)
		random_fill(&s, ids[v], &seed, 400 + rnd(&seed, 600),
			    1 + rnd(&seed, 200));
	for (v = 0; v < 3; v++)
		before[v] = present_of(sim_vma_pages(&s, ids[v]));

	for (v = 0; v < 3; v++) {
		const struct vma_pages *vp = sim_vma_pages(&s, ids[v]);
		struct anchor a;
		struct plan pl;
		int w;

		ck_assert_int_eq(frame_map_index(&s.fm), 0);
		ck_assert_int_eq(anchor_select(&s.fm, rt, vp, &p, &a), 0);
		ck_assert_int_eq(plan_build(&s.fm, vp, &a, &pl), 0);
		ck_assert_uint_eq(pl.misplaced, a.misplaced);
		ck_assert_uint_eq(pl.nr_ops, pl.misplaced - pl.cycles);
		ck_assert_uint_eq(pl.nr_ops, pl.moves + pl.exchanges);
		ck_assert_int_eq(sim_apply(&s, ids[v], &pl), 0);
		assert_one_run(vp);
		if (a.method != ANCHOR_NONE)
			ck_assert_int_eq(rt_insert(rt, a.win_start, a.win_end,
						   ids[v]),
					 0);
		plan_free(&pl);
		ck_assert_int_eq(sim_check(&s), 0);
		/* earlier VMAs stay contiguous, nobody lost a page */
		for (w = 0; w <= v; w++)
			assert_one_run(sim_vma_pages(&s, ids[w]));
		for (w = 0; w < 3; w++)
			ck_assert_uint_eq(present_of(sim_vma_pages(&s, ids[w])),
					  before[w]);
	}
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/* Pages reversed inside their own window: two 2-cycles, two exchanges. */
START_TEST(test_plan_cycles)
{
	struct range_tree *rt = rt_create();
	struct sim s;
	struct anchor a;
	struct plan pl;
	uint64_t i;
	int id;

	ck_assert_int_eq(sim_init(&s, 256), 0);
	id = sim_vma_add(&s, 0x200, 4);
	for (i = 0; i < 4; i++)
		ck_assert_int_eq(sim_fault(&s, id, i, 103 - i), 0);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	ck_assert_int_eq(
		anchor_evaluate(&s.fm, rt, sim_vma_pages(&s, id), 100, &a), 0);
	ck_assert_uint_eq(a.misplaced, 4);
	ck_assert_int_eq(plan_build(&s.fm, sim_vma_pages(&s, id), &a, &pl), 0);
	ck_assert_uint_eq(pl.cycles, 2);
	ck_assert_uint_eq(pl.nr_ops, 2);
	ck_assert_uint_eq(pl.exchanges, 2);
	ck_assert_int_eq(sim_apply(&s, id, &pl), 0);
	for (i = 0; i < 4; i++)
		ck_assert_uint_eq(sim_vma_pages(&s, id)->pfn[i], 100 + i);
	plan_free(&pl);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/* A k-cycle of own pages (rotation): k - 1 exchanges. */
START_TEST(test_plan_rotation)
{
	const uint64_t k = 2 + _i * 37;
	struct range_tree *rt = rt_create();
	struct sim s;
	struct anchor a;
	struct plan pl;
	uint64_t i;
	int id;

	ck_assert_int_eq(sim_init(&s, 1024), 0);
	id = sim_vma_add(&s, 0x400, k);
	for (i = 0; i < k; i++)
		ck_assert_int_eq(sim_fault(&s, id, i, 500 + (i + 1) % k), 0);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	ck_assert_int_eq(
		anchor_evaluate(&s.fm, rt, sim_vma_pages(&s, id), 500, &a), 0);
	ck_assert_int_eq(plan_build(&s.fm, sim_vma_pages(&s, id), &a, &pl), 0);
	ck_assert_uint_eq(pl.cycles, 1);
	ck_assert_uint_eq(pl.nr_ops, k - 1);
	ck_assert_int_eq(sim_apply(&s, id, &pl), 0);
	for (i = 0; i < k; i++)
		ck_assert_uint_eq(sim_vma_pages(&s, id)->pfn[i], 500 + i);
	plan_free(&pl);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/*
 * pagemap read while the process runs: a frame freed by one page and
 * reused by a later one shows up twice.  Such a reading is refused
 * (-ESTALE) before any op is written; before that check an in-place
 * page holding a copy of a misplaced page's frame was emitted as one op
 * more than the plan had room for.
 */
START_TEST(test_plan_torn_reading)
{
	static const uint64_t torn[][4] = {
		{ 100, 100, 50, 51 }, /* page 0 in place, page 1 stale */
		{ 50, 101, 101, 51 }, /* page 1 in place, page 2 stale */
		{ 102, 102, 102, 102 }, /* all on one frame */
		{ 103, 102, 103, 100 }, /* a cycle with a stale member */
	};
	uint64_t pfn[4];
	struct vma_pages v = { 0x200, 4, pfn };
	struct range_tree *rt = rt_create();
	struct frame_map fm;
	struct anchor a;
	struct plan pl;
	uint64_t f;

	memcpy(pfn, torn[_i], sizeof(pfn));
	ck_assert_int_eq(frame_map_init(&fm, 256), 0);
	for (f = 0; f < 256; f++)
		fm.state[f] = f == 101 ? FRAME_FREE : FRAME_MOVABLE;
	ck_assert_int_eq(frame_map_index(&fm), 0);
	ck_assert_int_eq(anchor_evaluate(&fm, rt, &v, 100, &a), 0);
	ck_assert_int_eq(plan_build(&fm, &v, &a, &pl), -ESTALE);
	ck_assert_ptr_null(pl.ops);
	ck_assert_uint_eq(pl.nr_ops, 0);
	frame_map_free(&fm);
	rt_destroy(rt);
}
END_TEST

/*
 * Random readings with frames repeated: refused when a repeat falls in
 * the window; otherwise planned, never more ops than misplaced pages.
 */
START_TEST(test_plan_torn_random)
{
	uint64_t seed = 0x70e40000u + _i, pfn[64], f, ws, i, j;
	struct vma_pages v = { 0x1000, 64, pfn };
	struct range_tree *rt = rt_create();
	struct frame_map fm;
	struct anchor a;
	struct plan pl;
	uint16_t seen[256] = { 0 };
	bool repeat = false;
	int err;

	ck_assert_int_eq(frame_map_init(&fm, 256), 0);
	for (f = 0; f < 256; f++)
		fm.state[f] = rnd(&seed, 4) ? FRAME_MOVABLE : FRAME_FREE;
	ck_assert_int_eq(frame_map_index(&fm), 0);
	for (i = 0; i < 64; i++)
		pfn[i] = rnd(&seed, 8) ? 64 + rnd(&seed, 128) : CONTIG_PFN_NONE;
	pfn[0] = 64 + rnd(&seed, 64);
	pfn[63] = 64 + rnd(&seed, 128);
	ws = 64 + rnd(&seed, 64);
	ck_assert_int_eq(anchor_evaluate(&fm, rt, &v, ws, &a), 0);
	for (i = 0; i < 64; i++) {
		if (pfn[i] == CONTIG_PFN_NONE || pfn[i] < a.win_start ||
		    pfn[i] >= a.win_end)
			continue;
		repeat |= seen[pfn[i]]++ > 0;
	}
	err = plan_build(&fm, &v, &a, &pl);
	if (repeat) {
		ck_assert_int_eq(err, -ESTALE);
	} else {
		ck_assert_int_eq(err, 0);
		ck_assert_uint_le(pl.nr_ops, a.misplaced);
		for (i = 0; i < pl.nr_ops; i++)
			for (j = i + 1; j < pl.nr_ops; j++)
				ck_assert_uint_ne(pl.ops[i].idx, pl.ops[j].idx);
	}
	plan_free(&pl);
	frame_map_free(&fm);
	rt_destroy(rt);
}
END_TEST

/* Ops against the simulator's error codes. */
START_TEST(test_sim_errors)
{
	struct sim s;
	int id;

	ck_assert_int_eq(sim_init(&s, 16), 0);
	id = sim_vma_add(&s, 0, 4);
	ck_assert_int_eq(sim_fault(&s, id, 0, 3), 0);
	ck_assert_int_eq(sim_fault(&s, id, 1, 3), -EBUSY);
	ck_assert_int_eq(sim_set_state(&s, 5, FRAME_UNMOVABLE), 0);
	ck_assert_int_eq(sim_move(&s, id, 0, 5), -EBUSY);
	ck_assert_int_eq(sim_move(&s, id, 1, 6), -EFAULT);
	ck_assert_int_eq(sim_move(&s, id, 9, 6), -EINVAL);
	ck_assert_int_eq(sim_move(&s, id, 0, 99), -EINVAL);
	ck_assert_int_eq(sim_fault(&s, id, 1, 6), 0);
	ck_assert_int_eq(sim_move(&s, id, 0, 6), -EEXIST);
	ck_assert_int_eq(sim_exchange(&s, id, 0, 6), 0);
	ck_assert_uint_eq(sim_vma_pages(&s, id)->pfn[0], 6);
	ck_assert_uint_eq(sim_vma_pages(&s, id)->pfn[1], 3);
	ck_assert_int_eq(sim_set_state(&s, 6, FRAME_UNMOVABLE), -EINVAL);
	ck_assert_int_eq(sim_check(&s), 0);
	ck_assert_int_eq(sim_vma_remove(&s, id), 0);
	ck_assert_int_eq(s.fm.state[6], FRAME_FREE);
	ck_assert_int_eq(sim_check(&s), 0);
	sim_free(&s);
}
END_TEST

Suite *test_planner_suite(void)
{
	Suite *s = suite_create("planner");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_plan_random_machines, 0, 120);
	tcase_add_test(tc, test_plan_cycles);
	tcase_add_loop_test(tc, test_plan_rotation, 0, 6);
	tcase_add_loop_test(tc, test_plan_torn_reading, 0, 4);
	tcase_add_loop_test(tc, test_plan_torn_random, 0, 400);
	tcase_add_test(tc, test_sim_errors);
	suite_add_tcase(s, tc);
	return s;
}

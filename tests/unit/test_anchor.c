// SPDX-License-Identifier: GPL-2.0-only
/*
 * Anchor selection against a brute force over every window position.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "anchor.h"
#include "range_tree.h"
#include "sim_random.h"

#define FRAMES 3000

struct brute {
	int found;
	uint64_t best_in_place;
	uint64_t first_ws; /* lowest feasible window start */
};

static int window_feasible(const struct sim *s, const struct rt_range *claims,
			   unsigned int nr_claims, uint64_t ws, uint64_t we)
{
	uint64_t f;
	unsigned int c;

	if (frame_map_zone_of(&s->fm, ws) != frame_map_zone_of(&s->fm, we - 1))
		return 0;
	for (f = ws; f < we; f++)
		if (s->fm.state[f] == FRAME_UNMOVABLE ||
		    s->fm.state[f] == FRAME_HOLE)
			return 0;
	for (c = 0; c < nr_claims; c++)
		if (claims[c].start < we && ws < claims[c].end)
			return 0;
	return 1;
}

static struct brute brute_force(const struct sim *s, const struct vma_pages *v,
				const struct rt_range *claims,
				unsigned int nr_claims, int zone)
{
	struct brute b = { 0, 0, 0 };
	uint64_t first = UINT64_MAX, last = 0, i, ws;

	for (i = 0; i < v->nr; i++)
		if (v->pfn[i] != CONTIG_PFN_NONE) {
			if (first == UINT64_MAX)
				first = i;
			last = i;
		}
	for (ws = 0; ws + (last - first + 1) <= s->fm.nr_frames; ws++) {
		uint64_t in_place = 0;

		if (!window_feasible(s, claims, nr_claims, ws,
				     ws + last - first + 1) ||
		    (zone >= 0 && frame_map_zone_of(&s->fm, ws) != zone))
			continue;
		if (!b.found)
			b.first_ws = ws;
		for (i = first; i <= last; i++)
			in_place += v->pfn[i] == ws + (i - first);
		if (!b.found || in_place > b.best_in_place)
			b.best_in_place = in_place;
		b.found = 1;
	}
	return b;
}

/* The RFC's rule: the lowest feasible window (in zone, if >= 0). */
static void check_first_fit(const struct sim *s, const struct range_tree *rt,
			    const struct vma_pages *v,
			    const struct rt_range *claims,
			    unsigned int nr_claims, int zone)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct brute b = brute_force(s, v, claims, nr_claims, zone);
	struct anchor a;
	uint64_t k, in_place = 0;
	int err;

	p.rule = ANCHOR_RULE_FIRST_FIT;
	p.zone = zone;
	err = anchor_select(&s->fm, rt, v, &p, &a);
	if (!b.found) {
		ck_assert_int_eq(err, -ENOSPC);
		return;
	}
	ck_assert_int_eq(err, 0);
	ck_assert_int_eq(a.method, ANCHOR_FIRST_FIT);
	ck_assert_uint_eq(a.win_start, b.first_ws);
	for (k = a.first; k <= a.last; k++)
		in_place += v->pfn[k] == a.win_start + (k - a.first);
	ck_assert_uint_eq(in_place, a.in_place);
}

START_TEST(test_anchor_vs_brute_force)
{
	uint64_t seed = 0x5eed0000u + _i;
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct rt_range claims[3];
	struct range_tree *rt = rt_create();
	struct sim s;
	struct anchor a;
	struct brute b;
	const struct vma_pages *v;
	unsigned int nr_claims = 0;
	int id, other, err;
	uint64_t k, in_place = 0;

	ck_assert_ptr_nonnull(rt);
	ck_assert_int_eq(sim_init(&s, FRAMES), 0);
	ck_assert_int_eq(frame_map_add_zone(&s.fm, 0, 1000, "DMA32", 0), 0);
	ck_assert_int_eq(frame_map_add_zone(&s.fm, 1000, FRAMES, "Normal", 0),
			 0);
	for (k = rnd(&seed, 12); k > 0; k--)
		sim_set_state(&s, rnd(&seed, FRAMES), FRAME_UNMOVABLE);
	other = sim_vma_add(&s, 0x70000, 800);
	id = sim_vma_add(&s, 0x40000 + rnd(&seed, 4096), 200 + rnd(&seed, 400));
	ck_assert_int_ge(other, 0);
	ck_assert_int_ge(id, 0);
	random_fill(&s, other, &seed, 700, 16);
	random_fill(&s, id, &seed, 500 + rnd(&seed, 500), 1 + rnd(&seed, 64));
	for (k = rnd(&seed, 4); k > 0; k--) {
		struct rt_range r;

		r.start = rnd(&seed, FRAMES - 100);
		r.end = r.start + 1 + rnd(&seed, 100);
		r.owner = nr_claims + 1;
		if (!rt_insert(rt, r.start, r.end, r.owner))
			claims[nr_claims++] = r;
	}
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	v = sim_vma_pages(&s, id);

	err = anchor_select(&s.fm, rt, v, &p, &a);
	check_first_fit(&s, rt, v, claims, nr_claims, -1);
	check_first_fit(&s, rt, v, claims, nr_claims, 1);
	b = brute_force(&s, v, claims, nr_claims, -1);
	if (!b.found) {
		ck_assert_int_eq(err, -ENOSPC);
		goto out;
	}
	ck_assert_int_eq(err, 0);
	/* the best possible anchor is found exactly ... */
	ck_assert_uint_eq(a.best_misplaced, a.present - b.best_in_place);
	/* ... and the one chosen is feasible, costs what it says, and at
	 * most align_slack more */
	ck_assert(
		window_feasible(&s, claims, nr_claims, a.win_start, a.win_end));
	for (k = a.first; k <= a.last; k++)
		in_place += v->pfn[k] == a.win_start + (k - a.first);
	ck_assert_uint_eq(in_place, a.in_place);
	ck_assert_uint_le(a.misplaced,
			  a.best_misplaced +
				  (uint64_t)(p.align_slack * a.best_misplaced));
	if (a.method == ANCHOR_ALIGNED)
		ck_assert_uint_eq((uint64_t)a.offset % 512, 0);
out:
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/* A VMA that is 80 % one run keeps that run where it is. */
START_TEST(test_anchor_keeps_big_run)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct sim s;
	struct anchor a;
	uint64_t seed = 7, i;
	int id;

	ck_assert_int_eq(sim_init(&s, 8192), 0);
	id = sim_vma_add(&s, 0x1234, 1000);
	for (i = 0; i < 800; i++)
		ck_assert_int_eq(sim_fault(&s, id, 100 + i, 3001 + i), 0);
	for (i = 0; i < 100; i++)
		ck_assert_int_eq(sim_fault(&s, id, i, random_free(&s, &seed)),
				 0);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert_int_eq(a.method, ANCHOR_HISTOGRAM);
	ck_assert_uint_eq(a.win_start, 3001 - 100);
	ck_assert_uint_eq(a.misplaced, 100);
	/* claim that window for someone else: the run must move */
	ck_assert_int_eq(rt_insert(rt, 3500, 3501, 99), 0);
	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert(a.win_end <= 3500 || a.win_start > 3500);
	/* the run cannot stay; random pages may land in place by chance */
	ck_assert_uint_gt(a.best_misplaced, 800);
	ck_assert_uint_le(a.best_misplaced, 900);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/* Scattered pages: any window is as good, so a 2 MiB-aligned one wins. */
START_TEST(test_anchor_prefers_aligned)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct sim s;
	struct anchor a;
	uint64_t seed = 11, i;
	int id;

	ck_assert_int_eq(sim_init(&s, 16384), 0);
	id = sim_vma_add(&s, 0x10000, 1024);
	for (i = 0; i < 1024; i++)
		ck_assert_int_eq(sim_fault(&s, id, i, random_free(&s, &seed)),
				 0);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert_uint_eq((uint64_t)a.offset % 512, 0);
	ck_assert_uint_le(a.misplaced, a.best_misplaced + 0.03 * 1024);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

START_TEST(test_anchor_edge_cases)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct sim s;
	struct anchor a;
	uint64_t i;
	int id;

	ck_assert_int_eq(sim_init(&s, 64), 0);
	id = sim_vma_add(&s, 0x100, 32);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	/* nothing present */
	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert_int_eq(a.method, ANCHOR_NONE);
	/* already one run */
	for (i = 0; i < 8; i++)
		sim_fault(&s, id, i, 20 + i);
	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert_int_eq(a.method, ANCHOR_IN_PLACE);
	ck_assert_uint_eq(a.misplaced, 0);
	/* no room at all: only our own frames are usable */
	sim_unmap(&s, id, 3);
	sim_fault(&s, id, 3, 40);
	for (i = 0; i < 64; i++)
		if (s.fm.state[i] == FRAME_FREE)
			sim_set_state(&s, i, FRAME_UNMOVABLE);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	ck_assert_int_eq(anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p,
				       &a),
			 -ENOSPC);
	/* fixed window outside the map */
	ck_assert_int_eq(anchor_evaluate(&s.fm, rt, sim_vma_pages(&s, id), 60,
					 &a),
			 -ENOSPC);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

Suite *test_anchor_suite(void)
{
	Suite *s = suite_create("anchor");
	TCase *tc = tcase_create("core");

	tcase_set_timeout(tc, 120);
	tcase_add_loop_test(tc, test_anchor_vs_brute_force, 0, 300);
	tcase_add_test(tc, test_anchor_keeps_big_run);
	tcase_add_test(tc, test_anchor_prefers_aligned);
	tcase_add_test(tc, test_anchor_edge_cases);
	suite_add_tcase(s, tc);
	return s;
}

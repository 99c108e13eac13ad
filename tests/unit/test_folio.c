// SPDX-License-Identifier: GPL-2.0-only
/*
 * Large folios as units: which folios of a VMA stay whole, and the anchor
 * that puts each on a frame aligned to its size without moving the ones
 * already there.
 */
#include <check.h>
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>

#include "anchor.h"
#include "folio.h"
#include "metrics.h"
#include "planner.h"
#include "range_tree.h"
#include "sim_random.h"

START_TEST(test_frame_map_set_order)
{
	struct frame_map fm;

	ck_assert_int_eq(frame_map_init(&fm, 4096), 0);
	ck_assert_ptr_null(fm.order);
	ck_assert_uint_eq(frame_map_order(&fm, 10), 0);
	/* order 0 needs no table */
	ck_assert_int_eq(frame_map_set_order(&fm, 3, 0), 0);
	ck_assert_ptr_null(fm.order);
	ck_assert_int_eq(frame_map_set_order(&fm, 1024, 9), 0);
	ck_assert_ptr_nonnull(fm.order);
	ck_assert_uint_eq(frame_map_order(&fm, 1024), 9);
	ck_assert_uint_eq(frame_map_order(&fm, 1535), 9);
	ck_assert_uint_eq(frame_map_order(&fm, 1536), 0);
	ck_assert_uint_eq(frame_map_order(&fm, 1023), 0);
	ck_assert_uint_eq(frame_map_order(&fm, 99999), 0);
	/* unaligned, past the end, too large */
	ck_assert_int_eq(frame_map_set_order(&fm, 1040, 9), -EINVAL);
	ck_assert_int_eq(frame_map_set_order(&fm, 3584 + 512, 9), -EINVAL);
	ck_assert_int_eq(frame_map_set_order(&fm, 0, 63), -EINVAL);
	frame_map_free(&fm);
}
END_TEST

/* Fault pages [idx, idx + n) of VMA id at frames [pfn, pfn + n). */
static void fault_run(struct sim *s, int id, uint64_t idx, uint64_t pfn,
		      uint64_t n)
{
	uint64_t k;

	for (k = 0; k < n; k++)
		ck_assert_int_eq(sim_fault(s, id, idx + k, pfn + k), 0);
}

/* A folio of order k at frame pfn, mapped at page idx of VMA id. */
static void fault_folio(struct sim *s, int id, uint64_t idx, uint64_t pfn,
			unsigned int k)
{
	fault_run(s, id, idx, pfn, UINT64_C(1) << k);
	ck_assert_int_eq(frame_map_set_order(&s->fm, pfn, k), 0);
}

START_TEST(test_folio_census)
{
	struct folio_census fc;
	struct sim s;
	int id;

	ck_assert_int_eq(sim_init(&s, 16384), 0);
	id = sim_vma_add(&s, 0x40000, 4096);
	/* whole, aligned: units */
	fault_folio(&s, id, 0, 2048, 9);
	fault_folio(&s, id, 512, 8192, 4);
	fault_folio(&s, id, 528, 8208, 4);
	/* mapped at an unaligned address (after mremap): split */
	fault_folio(&s, id, 1030, 4096, 4);
	/* only 300 of its 512 pages mapped here: split */
	fault_run(&s, id, 2048, 10240, 300);
	ck_assert_int_eq(frame_map_set_order(&s.fm, 10240, 9), 0);
	folio_census(&s.fm, sim_vma_pages(&s, id), &fc);
	ck_assert_uint_eq(fc.units[9], 1);
	ck_assert_uint_eq(fc.units[4], 2);
	ck_assert_uint_eq(fc.unit_pages, 512 + 32);
	ck_assert_uint_eq(fc.split, 2);
	ck_assert_uint_eq(fc.max_order, 9);
	ck_assert_uint_eq(folio_unit_at(&s.fm, sim_vma_pages(&s, id), 0), 9);
	ck_assert_uint_eq(folio_unit_at(&s.fm, sim_vma_pages(&s, id), 1), 0);
	ck_assert_uint_eq(folio_unit_at(&s.fm, sim_vma_pages(&s, id), 1030), 0);
	sim_free(&s);
}
END_TEST

/*
 * One VMA: large folios at frames aligned to their size (one offset for
 * all of them), and a longer run of base pages at an offset that is not
 * aligned.  Without the folios the anchor would keep the run in place;
 * with them only an aligned offset is acceptable, and the best one keeps
 * every folio where it is.
 */
static const struct folio_case {
	const char *name;
	unsigned int order;
	unsigned int nr_folios;
	uint64_t folio_pfn; /* frame of the first folio */
	uint64_t run_pfn; /* frame of the base pages' run (unaligned d) */
} folio_cases[] = {
	{ "thp", 9, 1, 4096, 9000 + 3 },
	{ "two thps", 9, 2, 20480, 6000 + 77 },
	{ "mthp 64k", 4, 8, 4096 + 48, 12000 + 5 },
	{ "mthp 16k", 2, 16, 8192 + 4, 14000 + 1 },
};

START_TEST(test_anchor_keeps_folios)
{
	const struct folio_case *c = &folio_cases[_i];
	uint64_t n = UINT64_C(1) << c->order, fpages = c->nr_folios * n;
	uint64_t start = 0x80000, nr = 2048, i;
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	const struct vma_pages *v;
	struct contig_metrics m;
	struct anchor a;
	struct plan pl;
	struct sim s;
	int id;

	ck_assert_int_eq(sim_init(&s, 32768), 0);
	id = sim_vma_add(&s, start, nr);
	for (i = 0; i < c->nr_folios; i++)
		fault_folio(&s, id, i * n, c->folio_pfn + i * n, c->order);
	fault_run(&s, id, fpages, c->run_pfn, nr - fpages);
	ck_assert_int_eq(frame_map_index(&s.fm), 0);
	v = sim_vma_pages(&s, id);

	ck_assert_int_eq(anchor_select(&s.fm, rt, v, &p, &a), 0);
	ck_assert_msg(((uint64_t)a.offset & (n - 1)) == 0,
		      "%s: offset %lld not aligned to %llu", c->name,
		      (long long)a.offset, (unsigned long long)n);
	/* every folio stays: the offset is theirs */
	ck_assert_int_eq(a.offset, (int64_t)c->folio_pfn - (int64_t)start);
	ck_assert_uint_eq(a.in_place, fpages);
	ck_assert_int_eq(plan_build(&s.fm, v, &a, &pl), 0);
	for (i = 0; i < pl.nr_ops; i++)
		ck_assert_uint_ge(pl.ops[i].idx, fpages);
	ck_assert_int_eq(sim_apply(&s, id, &pl), 0);
	ck_assert_int_eq(sim_check(&s), 0);
	v = sim_vma_pages(&s, id);
	for (i = 0; i < fpages; i++)
		ck_assert_uint_eq(v->pfn[i], c->folio_pfn + i);
	ck_assert_int_eq(
		contig_metrics_compute(v->pfn, v->start_vpn, v->nr, &m), 0);
	ck_assert_uint_eq(m.runs, 1);
	plan_free(&pl);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/*
 * 2048 pages: the first 512 at frame 4096 (a THP if thp), the rest one
 * run at frame 9003 (an offset that is not aligned).
 */
static int mixed_vma(struct sim *s, bool thp)
{
	int id;

	ck_assert_int_eq(sim_init(s, 32768), 0);
	id = sim_vma_add(s, 0x80000, 2048);
	if (thp)
		fault_folio(s, id, 0, 4096, 9);
	else
		fault_run(s, id, 0, 4096, 512);
	fault_run(s, id, 512, 9003, 2048 - 512);
	ck_assert_int_eq(frame_map_index(&s->fm), 0);
	return id;
}

/* The same VMA without folio orders keeps the run: the rule is theirs. */
START_TEST(test_anchor_base_pages_unconstrained)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct anchor a;
	struct sim s;
	int id = mixed_vma(&s, false);

	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert_int_eq(a.offset, 9003 - 512 - 0x80000);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

/*
 * Where the folios' own offset is not feasible (claimed by another VMA),
 * an aligned window is still found: the folios move, whole, to aligned
 * frames.
 */
START_TEST(test_anchor_folios_elsewhere)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct anchor a;
	struct sim s;
	int id = mixed_vma(&s, true);

	ck_assert_int_eq(rt_insert(rt, 5000, 5001, 99), 0);
	ck_assert_int_eq(
		anchor_select(&s.fm, rt, sim_vma_pages(&s, id), &p, &a), 0);
	ck_assert_uint_eq((uint64_t)a.offset % 512, 0);
	ck_assert(a.win_end <= 5000 || a.win_start > 5000);
	sim_free(&s);
	rt_destroy(rt);
}
END_TEST

Suite *test_folio_suite(void)
{
	Suite *s = suite_create("folio");
	TCase *tc = tcase_create("core");

	tcase_add_test(tc, test_frame_map_set_order);
	tcase_add_test(tc, test_folio_census);
	tcase_add_loop_test(tc, test_anchor_keeps_folios, 0,
			    sizeof(folio_cases) / sizeof(folio_cases[0]));
	tcase_add_test(tc, test_anchor_base_pages_unconstrained);
	tcase_add_test(tc, test_anchor_folios_elsewhere);
	suite_add_tcase(s, tc);
	return s;
}

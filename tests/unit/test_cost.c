// SPDX-License-Identifier: GPL-2.0-only
/*
 * The cost model: per-kind times fitted to timed batches, and the anchor
 * and plan it chooses when the kinds cost differently.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>

#include "anchor.h"
#include "cost.h"
#include "metrics.h"
#include "planner.h"
#include "range_tree.h"
#include "sim.h"

#define VPN0 0x10000u /* 2 MiB-aligned */
#define OURS 256u

static double rel_err(double got, double want)
{
	double d = got - want;

	return (d < 0 ? -d : d) / want;
}

/* Batches of varying mix, times exact: the fit finds each kind's time. */
static const struct {
	double move, exchange, migrate;
} truths[] = {
	{ 3000, 1000, 9000 },
	{ 1000, 3000, 20000 },
	{ 50000, 50000, 50000 },
	{ 120, 800, 100000 },
};

START_TEST(test_cost_fit)
{
	struct cost_model c;
	uint64_t n[COST_KINDS], i;
	double t;

	cost_init(&c);
	for (i = 0; i < 200; i++) {
		/* a batch is moves plus one kind of exchange, as in a pass */
		n[COST_MOVE] = i % 61;
		n[COST_EXCHANGE] = i % 3 ? 64 - i % 61 : 0;
		n[COST_EXCHANGE_MIGRATE] = i % 3 ? 0 : 5 + i % 7;
		t = n[COST_MOVE] * truths[_i].move +
		    n[COST_EXCHANGE] * truths[_i].exchange +
		    n[COST_EXCHANGE_MIGRATE] * truths[_i].migrate;
		ck_assert_int_eq(cost_observe(&c, n, (uint64_t)t), 0);
	}
	ck_assert_uint_eq(c.batches, 200);
	ck_assert(rel_err(c.ns[COST_MOVE], truths[_i].move) < 0.02);
	ck_assert(rel_err(c.ns[COST_EXCHANGE], truths[_i].exchange) < 0.02);
	ck_assert(rel_err(c.ns[COST_EXCHANGE_MIGRATE], truths[_i].migrate) <
		  0.02);
	ck_assert(rel_err(cost_move_ns(&c), truths[_i].move) < 0.02);
	ck_assert(rel_err(cost_exchange_ns(&c), truths[_i].exchange) < 0.02);
	cost_set_exchange(&c, true);
	ck_assert(rel_err(cost_exchange_ns(&c), truths[_i].migrate) < 0.02);
}
END_TEST

START_TEST(test_cost_prior_and_input)
{
	static const double bad[][COST_KINDS] = {
		{ 0, 1, 1 }, { 1, -5, 1 }, { 1, 1, 1.0 / 0.0 }
	};
	double good[COST_KINDS] = { 10, 20, 30 };
	uint64_t n[COST_KINDS] = { 0 };
	struct cost_model c;
	unsigned int i;

	cost_init(&c);
	ck_assert(c.ns[COST_MOVE] == COST_PRIOR_MOVE_NS);
	ck_assert(cost_exchange_ns(&c) == COST_PRIOR_EXCHANGE_NS);
	ck_assert(cost_min_ns(&c) == COST_PRIOR_MOVE_NS);
	/* nothing learnt from an empty batch */
	ck_assert_int_eq(cost_observe(&c, n, 12345), -EINVAL);
	ck_assert_uint_eq(c.batches, 0);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_int_eq(cost_init_prior(&c, bad[i]), -EINVAL);
	ck_assert_int_eq(cost_init_prior(&c, good), 0);
	/* moves only: exchanges keep their prior */
	n[COST_MOVE] = 100;
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(cost_observe(&c, n, 100 * 70), 0);
	ck_assert(rel_err(c.ns[COST_MOVE], 70) < 0.01);
	ck_assert(c.ns[COST_EXCHANGE] == 20 && c.ns[COST_EXCHANGE_MIGRATE] == 30);
	/* a batch that took no time at all: clamped, still positive */
	for (i = 0; i < 50; i++)
		ck_assert_int_eq(cost_observe(&c, n, 0), 0);
	ck_assert(c.ns[COST_MOVE] > 0);
	/* windows: free frames weigh moves, others' frames exchanges */
	ck_assert(cost_window_ns(&c, 10, 3, 1) ==
		  10 * (3 * c.ns[COST_MOVE] + 20) / 4);
	ck_assert(cost_window_ns(&c, 10, 0, 0) == 10 * 20.0);
	ck_assert(cost_plan_ns(&c, 2, 3) == 2 * c.ns[COST_MOVE] + 3 * 20.0);
	ck_assert_str_eq(cost_kind_name(COST_EXCHANGE_MIGRATE),
			 "exchange_migrate");
}
END_TEST

/*
 * Frames [0, 1024) free, [1024, 2048) a neighbour's pages, [2048, 2816)
 * our 256 pages one frame in three between unmovable frames, the rest
 * unmovable: no window keeps a page in place; one of free frames is all
 * MOVEs, one of the neighbour's frames all EXCHANGEs.
 */
static void machine(struct sim *s, int *ours, int *theirs)
{
	uint64_t f, i;

	ck_assert_int_eq(sim_init(s, 3072), 0);
	*theirs = sim_vma_add(s, 0x100000, 1024);
	*ours = sim_vma_add(s, VPN0, OURS);
	ck_assert_int_ge(*theirs, 0);
	ck_assert_int_ge(*ours, 0);
	for (i = 0; i < 1024; i++)
		ck_assert_int_eq(sim_fault(s, *theirs, i, 1024 + i), 0);
	for (i = 0; i < OURS; i++)
		ck_assert_int_eq(sim_fault(s, *ours, i, 2048 + 3 * i), 0);
	for (f = 2048; f < 3072; f++)
		if (s->owner[f] == SIM_NO_OWNER)
			ck_assert_int_eq(sim_set_state(s, f, FRAME_UNMOVABLE), 0);
	ck_assert_int_eq(frame_map_index(&s->fm), 0);
}

/* Plan our VMA with cost model c (NULL: by op count); apply and check. */
static void plan_with(const struct cost_model *c, struct plan *pl,
		      struct anchor *a)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	const struct vma_pages *v;
	struct contig_metrics m;
	int ours, theirs;
	struct sim s;
	uint64_t i;

	machine(&s, &ours, &theirs);
	p.cost = c;
	v = sim_vma_pages(&s, ours);
	ck_assert_int_eq(anchor_select(&s.fm, rt, v, &p, a), 0);
	ck_assert_int_eq(plan_build(&s.fm, v, a, pl), 0);
	ck_assert_uint_eq(pl->nr_ops, OURS);
	ck_assert_int_eq(sim_apply(&s, ours, pl), 0);
	ck_assert_int_eq(sim_check(&s), 0);
	ck_assert_int_eq(contig_metrics_compute(v->pfn, v->start_vpn, v->nr,
						&m),
			 0);
	ck_assert_uint_eq(m.runs, 1);
	ck_assert_uint_eq(v->pfn[0], a->win_start);
	/* the neighbour lost no page */
	v = sim_vma_pages(&s, theirs);
	for (i = 0; i < 1024; i++)
		ck_assert_uint_ne(v->pfn[i], CONTIG_PFN_NONE);
	sim_free(&s);
	rt_destroy(rt);
}

/*
 * Exchanges three times cheaper than moves (measured): the anchor goes
 * to the neighbour's frames and the plan exchanges, in a third of the
 * time of the plan that counting ops picks (free frames, all moves).
 * Moves cheaper, or exchanges by migration: the free frames, as before.
 */
START_TEST(test_cost_changes_anchor)
{
	struct plan by_count, by_time, by_prior, by_migration;
	struct anchor a0, a1, a2, a3;
	struct cost_model c, prior, mig;
	uint64_t n[COST_KINDS] = { 0 }, i;

	cost_init(&c);
	for (i = 0; i < 40; i++) { /* move 3000 ns, exchange 1000 ns */
		n[COST_MOVE] = i % 17;
		n[COST_EXCHANGE] = 32 - i % 17;
		ck_assert_int_eq(cost_observe(&c, n, n[COST_MOVE] * 3000 +
						     n[COST_EXCHANGE] * 1000),
				 0);
	}
	ck_assert(cost_exchange_ns(&c) * 2.9 < cost_move_ns(&c));
	cost_init(&prior);
	mig = c;
	cost_set_exchange(&mig, true);

	plan_with(NULL, &by_count, &a0);
	plan_with(&c, &by_time, &a1);
	plan_with(&prior, &by_prior, &a2);
	plan_with(&mig, &by_migration, &a3);

	ck_assert_uint_lt(a0.win_start, 1024);
	ck_assert_uint_eq(by_count.moves, OURS);
	ck_assert_uint_ge(a1.win_start, 1024);
	ck_assert_uint_lt(a1.win_start, 2048);
	ck_assert_uint_eq(by_time.exchanges, OURS);
	ck_assert(cost_plan_ns(&c, by_time.moves, by_time.exchanges) * 2.9 <
		  cost_plan_ns(&c, by_count.moves, by_count.exchanges));
	ck_assert_uint_lt(a2.win_start, 1024);
	ck_assert_uint_eq(by_prior.moves, OURS);
	ck_assert_uint_lt(a3.win_start, 1024);
	ck_assert_uint_eq(by_migration.moves, OURS);
	plan_free(&by_count);
	plan_free(&by_time);
	plan_free(&by_prior);
	plan_free(&by_migration);
}
END_TEST

Suite *test_cost_suite(void)
{
	Suite *s = suite_create("cost");
	TCase *tc = tcase_create("core");

	tcase_add_loop_test(tc, test_cost_fit, 0,
			    sizeof(truths) / sizeof(truths[0]));
	tcase_add_test(tc, test_cost_prior_and_input);
	tcase_add_test(tc, test_cost_changes_anchor);
	suite_add_tcase(s, tc);
	return s;
}

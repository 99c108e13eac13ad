// SPDX-License-Identifier: GPL-2.0-only
/*
 * contig-bench plan: page operations of our anchors against the RFC's
 * rule on simulated fragmented machines, and the time and memory to
 * plan one 16 GiB VMA. Ours weighs windows by time as the daemon does
 * before it has measured anything (cost.h's prior); the 16 GiB case is
 * also planned by op count, for the difference.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "anchor.h"
#include "cost.h"
#include "metrics.h"
#include "plan_bench.h"
#include "planner.h"
#include "range_tree.h"
#include "scenario.h"

#define MAX_VMAS 64

struct totals {
	uint64_t pages;
	uint64_t misplaced;
	uint64_t lower_bound;
	uint64_t ops;
	uint64_t exchanges;
	uint64_t cycles;
	double plan_ms;
};

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int check_one_run(const struct vma_pages *v)
{
	struct contig_metrics m;
	int err = contig_metrics_compute(v->pfn, v->start_vpn, v->nr, &m);

	if (err)
		return err;
	return m.present == v->nr && m.runs == 1 ? 0 : -EUCLEAN;
}

static int run_strategy(const struct scenario *sc, const struct bench_opts *o,
			bool rfc, struct totals *t)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	struct cost_model cost;
	struct sim s;
	int ids[MAX_VMAS], n, v, err;
	uint64_t cursor;

	memset(t, 0, sizeof(*t));
	if (!rt)
		return -ENOMEM;
	cost_init(&cost);
	p.cost = &cost;
	err = machine_init(&s, o->gib);
	if (err)
		goto out;
	n = sc->build(&s, o->gib, o->seed, ids, MAX_VMAS);
	err = n < 0 ? n : frame_map_index(&s.fm);
	if (err)
		goto out;
	cursor = machine_normal_start(&s);
	for (v = 0; v < n; v++) {
		const struct vma_pages *vp = sim_vma_pages(&s, ids[v]);
		struct anchor a;
		struct plan pl;
		double t0 = now_ms();

		/* The RFC's rule: windows end to end from the zone start. */
		if (rfc)
			err = anchor_first_fit(&s.fm, rt, vp, -1, cursor, &a);
		else
			err = anchor_select(&s.fm, rt, vp, &p, &a);
		if (!err)
			err = plan_build(&s.fm, vp, &a, &pl);
		t->plan_ms += now_ms() - t0;
		if (err)
			goto out;
		err = sim_apply(&s, ids[v], &pl);
		if (!err)
			err = check_one_run(vp);
		if (!err)
			err = rt_insert(rt, a.win_start, a.win_end, v);
		cursor = a.win_end;
		t->pages += vp->nr;
		t->misplaced += a.misplaced;
		t->lower_bound += a.best_misplaced;
		t->ops += pl.nr_ops;
		t->exchanges += pl.exchanges;
		t->cycles += pl.cycles;
		plan_free(&pl);
		if (err)
			goto out;
	}
	err = sim_check(&s);
out:
	sim_free(&s);
	rt_destroy(rt);
	return err;
}

/* Plan v with p: the time in *ms. 0 or -errno. */
static int plan_timed(const struct sim *s, const struct range_tree *rt,
		      const struct vma_pages *v, const struct anchor_params *p,
		      struct anchor *a, struct plan *pl, double *ms)
{
	double t0 = now_ms();
	int err = anchor_select(&s->fm, rt, v, p, a);

	if (!err)
		err = plan_build(&s->fm, v, a, pl);
	*ms = now_ms() - t0;
	return err;
}

static int bench_16g(const struct bench_opts *o)
{
	struct anchor_params p = ANCHOR_PARAMS_DEFAULT;
	struct range_tree *rt = rt_create();
	uint64_t pages = o->big_gib << 18;
	struct cost_model cost;
	struct anchor a;
	struct plan pl = { 0 };
	struct sim s;
	double ms, count_ms;
	size_t peak;
	int id, err;

	if (!rt)
		return -ENOMEM;
	err = machine_init(&s, o->gib);
	if (err)
		goto out;
	id = scenario_scattered_vma(&s, pages, o->seed);
	err = id < 0 ? id : frame_map_index(&s.fm);
	if (err)
		goto out;
	/* by op count first, then by time (what is applied) */
	err = plan_timed(&s, rt, sim_vma_pages(&s, id), &p, &a, &pl,
			 &count_ms);
	if (err)
		goto out;
	plan_free(&pl);
	cost_init(&cost);
	p.cost = &cost;
	err = plan_timed(&s, rt, sim_vma_pages(&s, id), &p, &a, &pl, &ms);
	if (err)
		goto out;
	err = sim_apply(&s, id, &pl);
	if (!err)
		err = check_one_run(sim_vma_pages(&s, id));
	if (err)
		goto out;
	/* the VMA's pfn[] (8 bytes a page) is input the planner holds too */
	peak = (a.peak_bytes > pl.peak_bytes ? a.peak_bytes : pl.peak_bytes) +
	       pages * sizeof(uint64_t);
	if (o->json)
		printf("{\"name\":\"plan_%" PRIu64 "g\",\"pages\":%" PRIu64
		       ",\"ops\":%" PRIu64 ",\"plan_%" PRIu64
		       "g_ms\":%.1f,\"by_count_ms\":%.1f,"
		       "\"planner_bytes_per_page\":%.2f}\n",
		       o->big_gib, pages, pl.nr_ops, o->big_gib, ms, count_ms,
		       (double)peak / pages);
	else
		printf("plan one %" PRIu64 " GiB VMA (%" PRIu64
		       " pages, scattered): %.1f ms weighed by time (%.1f ms by"
		       " op count), %.2f bytes/page, %" PRIu64 " ops\n",
		       o->big_gib, pages, ms, count_ms, (double)peak / pages,
		       pl.nr_ops);
out:
	plan_free(&pl);
	sim_free(&s);
	rt_destroy(rt);
	return err;
}

int plan_bench(const struct bench_opts *o)
{
	unsigned int i;
	int err;

	if (!o->json)
		printf("%-12s %10s %11s %10s %10s %8s %8s %9s\n", "scenario",
		       "pages", "lower_bound", "ours", "rfc", "ours/lb",
		       "ours/rfc", "plan_ms");
	for (i = 0; i < nr_scenarios; i++) {
		const struct scenario *sc = &scenarios[i];
		struct totals ours, rfc;

		if (o->only && strcmp(o->only, sc->name))
			continue;
		err = run_strategy(sc, o, false, &ours);
		if (!err)
			err = run_strategy(sc, o, true, &rfc);
		if (err) {
			fprintf(stderr, "contig-bench: plan %s: %s\n", sc->name,
				strerror(-err));
			return err;
		}
		if (o->json)
			printf("{\"name\":\"%s\",\"pages\":%" PRIu64
			       ",\"lower_bound\":%" PRIu64 ",\"ours\":%" PRIu64
			       ",\"rfc\":%" PRIu64
			       ",\"ours_exchanges\":%" PRIu64
			       ",\"ours_cycles\":%" PRIu64
			       ",\"plan_ms\":%.1f}\n",
			       sc->name, ours.pages, ours.lower_bound, ours.ops,
			       rfc.ops, ours.exchanges, ours.cycles,
			       ours.plan_ms);
		else
			printf("%-12s %10" PRIu64 " %11" PRIu64 " %10" PRIu64
			       " %10" PRIu64 " %8.3f %8.3f %9.1f\n",
			       sc->name, ours.pages, ours.lower_bound, ours.ops,
			       rfc.ops,
			       ours.lower_bound ?
				       (double)ours.ops / ours.lower_bound :
				       0.0,
			       rfc.ops ? (double)ours.ops / rfc.ops : 0.0,
			       ours.plan_ms);
		fflush(stdout);
	}
	if (o->only && strcmp(o->only, "plan_16g"))
		return 0;
	err = bench_16g(o);
	if (err)
		fprintf(stderr, "contig-bench: plan 16g: %s\n", strerror(-err));
	return err;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The executor: one verified pass through a backend (see executor.h).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exec_cost.h"
#include "exec_run.h"
#include "executor.h"
#include "planner.h"
#include "promote.h"
#include "range_tree.h"

static double elapsed(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void do_sleep(const struct exec_params *p, uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / 1000000000u),
			       .tv_nsec = (long)(ns % 1000000000u) };

	if (!ns)
		return;
	if (p->sleep_ns) {
		p->sleep_ns(ns);
		return;
	}
	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/*
 * A real sleep is cut into slices with the cancel hook asked after each,
 * so that a cancel (or a yield to another uid's job) waits one slice, not
 * a whole batch's budget. A test's fake sleep is one call.
 */
static void sleep_unless_cancelled(const struct exec_params *p, uint64_t ns)
{
	const uint64_t slice = 50000000u; /* 50 ms */

	if (p->sleep_ns || !p->cancelled) {
		do_sleep(p, ns);
		return;
	}
	while (ns) {
		uint64_t s = ns < slice ? ns : slice;

		do_sleep(p, s);
		ns -= s;
		if (p->cancelled(p->cb_arg))
			return;
	}
}

/* Hold the pages/s budget: wait until pages_issued is within it. */
static void budget_wait(struct run *rn, uint64_t pages)
{
	double due, now;

	rn->pages_issued += pages;
	if (!rn->p->budget_pages)
		return;
	due = (double)(rn->pages_issued - pages) / (double)rn->p->budget_pages;
	now = elapsed(&rn->t0);
	if (due > now)
		sleep_unless_cancelled(rn->p, (uint64_t)((due - now) * 1e9));
}

static int retryable(int err)
{
	return err == -EBUSY || err == -EAGAIN;
}

void give_up(struct run *rn, enum stats_reason why)
{
	rn->r->failed++;
	rn->r->failed_by[why]++;
	if (rn->st)
		rn->st->ops_failed[why]++;
}

/* Why a collapse failed with -EINVAL: a NOHUGEPAGE region, or else. */
static enum stats_reason reason_for(struct run *rn, const struct backend_op *op)
{
	if (op->kind == BACKEND_OP_COLLAPSE && op->result == -EINVAL &&
	    backend_vma_nohugepage(rn->p->proc_root, rn->pid, op->vaddr) == 1) {
		rn->r->refused++;
		return STATS_REASON_REFUSED;
	}
	return stats_reason_of(op->result);
}

/* Count one op's outcome; a retryable failure joins again[]. */
static void tally(struct run *rn, const struct backend_op *op,
		  unsigned int round, struct backend_op *again,
		  size_t *nr_again)
{
	/* a split is done even when the op then failed */
	if (rn->st) {
		rn->st->folios_split += op->splits;
		rn->st->folios_whole += op->whole;
	}
	if (op->result) {
		if (retryable(op->result) && round < rn->p->max_retries)
			again[(*nr_again)++] = *op;
		else
			give_up(rn, reason_for(rn, op));
		return;
	}
	rn->r->done++;
	if (!rn->st)
		return;
	if (op->kind == BACKEND_OP_MOVE)
		rn->st->pages_moved++;
	else if (op->kind == BACKEND_OP_EXCHANGE)
		rn->st->pages_exchanged++;
}

/*
 * Run ops through the backend in batches; retryable failures go round
 * again after a backoff, up to max_retries rounds.
 */
int run_ops(struct run *rn, struct backend_op *ops, size_t nr)
{
	struct backend_op *again = NULL;
	uint64_t backoff = rn->p->backoff_ns;
	unsigned int round = 0;
	size_t i, n, nr_again;
	uint64_t t;
	int err = 0;

	if (!nr)
		return 0;
	again = malloc(nr * sizeof(*again));
	if (!again)
		return -ENOMEM;
	for (;;) {
		nr_again = 0;
		for (i = 0; i < nr; i += n) {
			size_t k;

			n = nr - i < rn->batch ? nr - i : rn->batch;
			budget_wait(rn, n * rn->pages_per_op);
			/* Asked after the wait: right before the ops. */
			if (rn->p->cancelled &&
			    rn->p->cancelled(rn->p->cb_arg)) {
				err = -ECANCELED;
				goto out;
			}
			t = exec_cost_now();
			err = backend_apply(rn->b, rn->pid, ops + i, n);
			if (err)
				goto out;
			exec_cost_batch(rn->p->cost, rn->st, ops + i, n, t);
			rn->r->attempts += n;
			for (k = i; k < i + n; k++)
				tally(rn, &ops[k], round, again, &nr_again);
			t = exec_cost_now();
			err = rn->verify(rn, ops + i, n);
			exec_cost_phase(rn->st, STATS_PHASE_VERIFY, t);
			if (err)
				goto out;
			if (rn->p->progress)
				rn->p->progress(rn->p->cb_arg,
						rn->r->done + rn->r->failed,
						rn->r->ops);
		}
		if (!nr_again)
			break;
		round++;
		rn->r->retries += nr_again;
		if (rn->st)
			rn->st->retries += nr_again;
		sleep_unless_cancelled(rn->p, backoff);
		backoff *= 2;
		memcpy(ops, again, nr_again * sizeof(*ops));
		nr = nr_again;
	}
out:
	free(again);
	return err;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Read into rn->tmp the frames of the pages the batch's ops name, and of
 * no other: one read per stretch of adjacent pages.
 */
static int read_touched(struct run *rn, const struct backend_op *ops,
			size_t nr)
{
	uint64_t *idx = rn->touched;
	size_t k, j;
	int err;

	for (k = 0; k < nr; k++)
		idx[k] = (ops[k].vaddr >> CONTIG_PAGE_SHIFT) - rn->start_vpn;
	qsort(idx, nr, sizeof(*idx), cmp_u64);
	for (k = 0; k < nr; k = j) {
		for (j = k + 1; j < nr && idx[j] <= idx[j - 1] + 1; j++)
			;
		err = backend_read_pfns(rn->b, rn->pid, rn->start_vpn + idx[k],
					idx[j - 1] - idx[k] + 1,
					rn->tmp + idx[k]);
		if (err)
			return err;
	}
	return 0;
}

/*
 * Plan path: the pages of the batch newly at their target. No op targets
 * the frame of a page in place; a page can still leave it (see
 * place_range), which the read at the end of the plan shows. Reads the
 * pages the batch touched only; the whole range is read again at the end
 * of the pass.
 */
static int verify_plan(struct run *rn, const struct backend_op *ops, size_t nr)
{
	uint64_t gained = 0, i;
	size_t k;
	int err;

	if (!nr)
		return 0;
	err = read_touched(rn, ops, nr);
	if (err)
		return err;
	for (k = 0; k < nr; k++) {
		i = (ops[k].vaddr >> CONTIG_PAGE_SHIFT) - rn->start_vpn;
		if (rn->pfn[i] != ops[k].pfn && rn->tmp[i] == ops[k].pfn)
			gained++;
		rn->pfn[i] = rn->tmp[i];
	}
	rn->r->pages_verified += gained;
	if (rn->st) {
		rn->st->pages_verified += gained;
		rn->st->bytes_contiguous += gained * PAGE_BYTES;
	}
	return 0;
}

/*
 * Claim the anchor's window for the owner. Its earlier claim is gone
 * already (anchor_select avoided every other one), so only a window that
 * is not planned at all (in place, nothing present) can collide: then
 * nothing is claimed.
 */
static void claim_window(struct run *rn, const struct anchor *a)
{
	rn->r->win_start = a->win_start;
	rn->r->win_end = a->win_end;
	if (!rn->p->claims || a->method == ANCHOR_NONE)
		return;
	if (!rt_insert(rn->p->claims, a->win_start, a->win_end,
		       rn->p->claim_owner))
		rn->r->claimed = 1;
}

/* The zone holding most present pages of the range; -1 for none. */
static int majority_zone(const struct frame_map *fm, const uint64_t *pfn,
			 uint64_t nr)
{
	uint64_t count[FRAME_MAP_MAX_ZONES] = { 0 }, i;
	int z, best = -1;

	for (i = 0; i < nr; i++) {
		if (pfn[i] == CONTIG_PFN_NONE)
			continue;
		z = frame_map_zone_of(fm, pfn[i]);
		if (z >= 0 && z < FRAME_MAP_MAX_ZONES)
			count[z]++;
	}
	for (z = 0; z < FRAME_MAP_MAX_ZONES; z++)
		if (count[z] && (best < 0 || count[z] > count[best]))
			best = z;
	return best;
}

/*
 * A later plan of the pass keeps the window of the first while it is
 * still feasible: what moved meanwhile (khugepaged collapsing a block
 * into a new huge page elsewhere, the kernel migrating a page) is put
 * back into it, instead of every page following a new anchor chosen for
 * the moved pages.  -ENOSPC when there is no earlier window or it is not
 * feasible any more.
 */
static int sticky_anchor(const struct run *rn, const struct frame_map *fm,
			 const struct range_tree *rt,
			 const struct vma_pages *v, struct anchor *a)
{
	uint64_t i;

	if (!rn->have_offset)
		return -ENOSPC;
	for (i = 0; i < v->nr && v->pfn[i] == CONTIG_PFN_NONE; i++)
		;
	if (i == v->nr || (int64_t)(v->start_vpn + i) + rn->offset < 0)
		return -ENOSPC;
	if (anchor_evaluate(fm, rt, v,
			    (uint64_t)((int64_t)(v->start_vpn + i) + rn->offset),
			    a))
		return -ENOSPC;
	return a->method == ANCHOR_NONE ? -ENOSPC : 0;
}

static int pass_plan(struct run *rn)
{
	struct vma_pages v = { rn->start_vpn, rn->nr, rn->pfn };
	const struct frame_map *fm;
	struct range_tree *rt = rn->p->claims, *own = NULL;
	struct backend_op *ops = NULL;
	struct plan plan = { 0 };
	struct anchor_params ap;
	struct anchor a;
	uint64_t i, t = exec_cost_now();
	int err;

	err = rn->b->ops->frame_map(rn->b, &fm);
	if (err)
		return err;
	if (rt) {
		rt_remove_owner(rt, rn->p->claim_owner);
	} else {
		rt = own = rt_create();
		if (!rt)
			return -ENOMEM;
	}
	ap = rn->p->anchor;
	ap.cost = rn->p->cost;
	if (ap.zone < 0 && fm->nr_zones)
		ap.zone = majority_zone(fm, rn->pfn, rn->nr);
	err = sticky_anchor(rn, fm, rt, &v, &a);
	if (err)
		err = anchor_select(fm, rt, &v, &ap, &a);
	if (err)
		goto out;
	rn->have_offset = 1;
	rn->offset = a.offset;
	claim_window(rn, &a);
	if (a.method == ANCHOR_NONE || a.method == ANCHOR_IN_PLACE)
		goto out;
	err = plan_build(fm, &v, &a, &plan);
	exec_cost_phase(rn->st, STATS_PHASE_PLAN, t);
	if (err)
		goto out;
	rn->r->ops += plan.nr_ops;
	ops = calloc(plan.nr_ops ? plan.nr_ops : 1, sizeof(*ops));
	if (!ops) {
		err = -ENOMEM;
		goto out;
	}
	for (i = 0; i < plan.nr_ops; i++) {
		const struct plan_op *po = &plan.ops[i];

		ops[i].kind = po->kind == PLAN_MOVE ? BACKEND_OP_MOVE :
						      BACKEND_OP_EXCHANGE;
		ops[i].vaddr = (plan.start_vpn + po->idx) << CONTIG_PAGE_SHIFT;
		ops[i].pfn = plan_target(&plan, po);
	}
	rn->pages_per_op = 1;
	rn->verify = verify_plan;
	err = run_ops(rn, ops, plan.nr_ops);
out:
	free(ops);
	plan_free(&plan);
	rt_destroy(own);
	return err;
}

/*
 * Place the range: plan, run the ops, and when every op succeeded but the
 * range is still not one run, read it and plan again, up to
 * EXEC_MAX_PLANS plans.  Pages move under a plan that did all it asked:
 * the kernel helper without the in-place exchange (migration only) sends
 * the occupant of an exchange's target frame to any free frame, not into
 * the frame the page left, so a page the plan placed by that exchange is
 * not placed; and the kernel may migrate a page meanwhile.  A plan with
 * failed ops ends the pass: planning again would meet the same refusals.
 * A reading the planner refuses (-ESTALE: the process freed a frame and
 * reused it for another page while pagemap was read, so two pages show
 * on one frame) is read again, within the same EXEC_MAX_PLANS.
 */
static int place_range(struct run *rn)
{
	struct contig_metrics m;
	uint64_t ops, failed;
	int err;

	for (;;) {
		ops = rn->r->ops;
		failed = rn->r->failed;
		rn->r->plans++;
		rn->pfn_fresh = 0;
		err = pass_plan(rn);
		if (err == -ESTALE) {
			rn->r->stale++;
			err = 0;
		} else if (err || rn->r->ops == ops ||
			   rn->r->failed != failed) {
			return err;
		}
		if (rn->r->plans >= EXEC_MAX_PLANS)
			return 0;
		err = backend_read_pfns(rn->b, rn->pid, rn->start_vpn, rn->nr,
					rn->pfn);
		rn->pfn_fresh = !err;
		if (!err)
			err = contig_metrics_compute(rn->pfn, rn->start_vpn,
						     rn->nr, &m);
		if (err || m.runs <= 1)
			return err;
	}
}

int exec_pass(struct backend *b, pid_t pid, uint64_t start, uint64_t end,
	      const struct exec_params *p, struct stats *st,
	      struct exec_result *r)
{
	struct run rn = { .b = b, .pid = pid, .p = p, .st = st, .r = r };
	struct backend_info info;
	int err;

	memset(r, 0, sizeof(*r));
	clock_gettime(CLOCK_MONOTONIC, &rn.t0);
	if (start >= end || (start | end) % PAGE_BYTES)
		return -EINVAL;
	if ((end - start) / PAGE_BYTES > EXEC_MAX_PAGES)
		return -E2BIG;
	err = backend_info(b, &info);
	if (err)
		return err;
	if (p->cost)
		cost_set_exchange(p->cost, info.exchange_by_migration);
	rn.batch = p->batch ? p->batch : 1;
	if (info.max_batch && rn.batch > info.max_batch)
		rn.batch = info.max_batch;
	rn.start_vpn = start >> CONTIG_PAGE_SHIFT;
	rn.nr = (end - start) >> CONTIG_PAGE_SHIFT;
	rn.pfn = malloc(rn.nr * sizeof(*rn.pfn));
	rn.tmp = malloc(rn.nr * sizeof(*rn.tmp));
	rn.touched = malloc(rn.batch * sizeof(*rn.touched));
	if (!rn.pfn || !rn.tmp || !rn.touched) {
		err = -ENOMEM;
		goto out;
	}
	err = backend_read_pfns(b, pid, rn.start_vpn, rn.nr, rn.pfn);
	if (err)
		goto out;
	err = contig_metrics_compute(rn.pfn, rn.start_vpn, rn.nr, &r->before);
	if (err)
		goto out;

	if (info.caps & BACKEND_CAP_PLACE)
		err = place_range(&rn);
	else if (info.caps & BACKEND_CAP_COLLAPSE_2M)
		err = exec_pass_collapse(&rn);
	else
		err = -EOPNOTSUPP;
	if (err)
		goto out;

	/* Read again unless place_range() just did. */
	if (!rn.pfn_fresh)
		err = backend_read_pfns(b, pid, rn.start_vpn, rn.nr, rn.pfn);
	if (err)
		goto out;
	err = contig_metrics_compute(rn.pfn, rn.start_vpn, rn.nr, &r->after);
	if (err)
		goto out;
	if (info.caps & BACKEND_CAP_PLACE)
		r->reached = r->after.runs <= 1;
	else
		r->reached = exec_collapse_reached(&rn);
	/* Blocks now on aligned frames become huge pages, no copy. */
	if (info.caps & BACKEND_CAP_PROMOTE_2M) {
		struct promote_result pr;

		err = promote_range(b, pid, rn.start_vpn, rn.nr, rn.pfn, st,
				    &pr);
		r->promoted = pr.promoted;
		r->promote_refused = pr.refused;
	}
out:
	r->seconds = elapsed(&rn.t0);
	exec_cost_stats(p->cost, st);
	if (st && err)
		stats_pass(st, STATS_PASS_ERROR, r->seconds);
	else if (st)
		stats_pass(st,
			   r->reached ? STATS_PASS_REACHED : STATS_PASS_PARTIAL,
			   r->seconds);
	free(rn.pfn);
	free(rn.tmp);
	free(rn.touched);
	return err;
}

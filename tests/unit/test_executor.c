// SPDX-License-Identifier: GPL-2.0-only
/*
 * The executor on the sim backend: a scattered VMA becomes one run, ops
 * are counted, injected -EBUSY/-EAGAIN are retried with backoff and then
 * given up and counted, the budget makes it wait, and a plan whose
 * exchanges send occupants elsewhere (migration only) is followed by
 * another, and a torn reading of the frames is read again.
 */
#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <time.h>

#include "backend_sim.h"
#include "executor.h"
#include "range_tree.h"
#include "sim_random.h"

#define NR_FRAMES 8192
#define VMA_VPN 0x10000
#define VMA_PAGES 512
#define OTHER_VPN 0x40000

struct fixture {
	struct sim s;
	struct backend *b;
	uint32_t id;
	struct stats st;
	struct exec_params p;
	struct exec_result r;
};

static uint64_t slept_ns;
static unsigned int nr_sleeps;

static void fake_sleep(uint64_t ns)
{
	slept_ns += ns;
	nr_sleeps++;
}

/* Our VMA and another one, both scattered page by page. */
static void setup(struct fixture *f, uint64_t seed)
{
	int other;

	slept_ns = 0;
	nr_sleeps = 0;
	ck_assert_int_eq(sim_init(&f->s, NR_FRAMES), 0);
	f->id = (uint32_t)sim_vma_add(&f->s, VMA_VPN, VMA_PAGES);
	other = sim_vma_add(&f->s, OTHER_VPN, 2048);
	ck_assert_int_ge(other, 0);
	random_fill(&f->s, (uint32_t)other, &seed, 1000, 1);
	random_fill(&f->s, f->id, &seed, 1000, 1);
	ck_assert_int_eq(backend_sim_create(&f->s, &f->b), 0);
	stats_init(&f->st, BACKEND_SIM, 0, STATS_OBSERVER_NONE);
	f->p = (struct exec_params)EXEC_PARAMS_DEFAULT;
	f->p.budget_pages = 0;
	f->p.batch = 64;
	f->p.sleep_ns = fake_sleep;
}

static void teardown(struct fixture *f)
{
	ck_assert_int_eq(sim_check(&f->s), 0);
	backend_destroy(f->b);
	sim_free(&f->s);
}

static int run(struct fixture *f)
{
	return exec_pass(f->b, 1, (uint64_t)VMA_VPN << CONTIG_PAGE_SHIFT,
			 (uint64_t)(VMA_VPN + VMA_PAGES) << CONTIG_PAGE_SHIFT,
			 &f->p, &f->st, &f->r);
}

/* A page the planner will have to move (same anchor as the executor's). */
static uint64_t misplaced_vpn(struct fixture *f)
{
	struct anchor_params ap = ANCHOR_PARAMS_DEFAULT;
	const struct vma_pages *v = sim_vma_pages(&f->s, f->id);
	struct range_tree *rt = rt_create();
	struct anchor a;
	uint64_t i;

	ck_assert_ptr_nonnull(rt);
	ck_assert_int_eq(frame_map_index(&f->s.fm), 0);
	ck_assert_int_eq(anchor_select(&f->s.fm, rt, v, &ap, &a), 0);
	rt_destroy(rt);
	for (i = 0; i < v->nr; i++)
		if (v->pfn[i] !=
		    (uint64_t)((int64_t)(v->start_vpn + i) + a.offset))
			return v->start_vpn + i;
	ck_abort_msg("no misplaced page");
	return 0;
}

START_TEST(test_exec_one_run)
{
	struct fixture f;

	setup(&f, 0x1234 + (uint64_t)_i);
	ck_assert_int_eq(run(&f), 0);
	ck_assert_uint_eq(f.r.before.present, VMA_PAGES);
	ck_assert_uint_gt(f.r.before.runs, 100);
	ck_assert_uint_eq(f.r.after.runs, 1);
	ck_assert_uint_eq(f.r.after.present, VMA_PAGES);
	ck_assert_int_eq(f.r.reached, 1);
	ck_assert_uint_gt(f.r.ops, 0);
	ck_assert_uint_eq(f.r.done, f.r.ops);
	ck_assert_uint_eq(f.r.attempts, f.r.ops);
	ck_assert_uint_eq(f.r.failed, 0);
	ck_assert_uint_eq(f.r.retries, 0);
	ck_assert_uint_eq(f.st.pages_moved + f.st.pages_exchanged, f.r.ops);
	ck_assert_uint_eq(f.st.pages_exchanged, f.s.exchanges);
	ck_assert_uint_eq(f.st.pages_moved, f.s.moves);
	/* everything that was not in place was verified in place */
	ck_assert_uint_eq(f.r.pages_verified, f.st.pages_verified);
	ck_assert_uint_le(f.r.pages_verified, VMA_PAGES);
	ck_assert_uint_ge(f.r.pages_verified, VMA_PAGES - 8);
	ck_assert_uint_eq(f.st.bytes_contiguous, f.r.pages_verified * 4096);
	ck_assert_uint_eq(f.st.passes[STATS_PASS_REACHED], 1);
	ck_assert_uint_eq(f.st.duration_count, 1);
	ck_assert_uint_eq(nr_sleeps, 0);
	/* a second pass finds it in place and does nothing */
	ck_assert_int_eq(run(&f), 0);
	ck_assert_uint_eq(f.r.ops, 0);
	ck_assert_int_eq(f.r.reached, 1);
	ck_assert_uint_eq(f.st.passes[STATS_PASS_REACHED], 2);
	teardown(&f);
}
END_TEST

/*
 * Every batch is timed into the cost model, split by op kind, and each
 * phase into the stats; the op times in use reach the stats.
 */
START_TEST(test_exec_times_batches)
{
	struct cost_model c;
	struct fixture f;
	double phases = 0;
	unsigned int k;

	setup(&f, 0x777);
	cost_init(&c);
	f.p.cost = &c;
	ck_assert_int_eq(run(&f), 0);
	ck_assert_int_eq(f.r.reached, 1);
	ck_assert_uint_eq(f.r.attempts, f.r.ops);
	ck_assert_uint_eq(c.batches, (f.r.ops + 63) / 64);
	ck_assert_uint_eq(c.ops[COST_MOVE], f.s.moves);
	ck_assert_uint_eq(c.ops[COST_EXCHANGE], f.s.exchanges);
	ck_assert_uint_eq(c.ops[COST_EXCHANGE_MIGRATE], 0);
	ck_assert_int_eq(f.st.op_cost_set, 1);
	ck_assert_uint_eq(f.st.cost_batches, c.batches);
	for (k = 0; k < COST_KINDS; k++) {
		ck_assert(f.st.op_cost_ns[k] == c.ns[k]);
		ck_assert(c.ns[k] > 0);
	}
	/* measured, no longer the prior */
	ck_assert(c.ns[COST_MOVE] != COST_PRIOR_MOVE_NS);
	for (k = 0; k < STATS_PHASE_COUNT; k++) {
		ck_assert(f.st.phase_seconds[k] > 0);
		phases += f.st.phase_seconds[k];
	}
	ck_assert(phases <= f.r.seconds);
	teardown(&f);
}
END_TEST

/*
 * After each batch the executor reads the frames of the pages the batch
 * touched and nothing else: the pass reads the range before and after,
 * and one entry per op in between.
 */
START_TEST(test_exec_verify_reads_touched)
{
	struct fixture f;

	setup(&f, 0x7e11 + (uint64_t)_i);
	f.p.batch = 16 << _i;
	ck_assert_int_eq(run(&f), 0);
	ck_assert_int_eq(f.r.reached, 1);
	ck_assert_uint_eq(f.r.plans, 1);
	ck_assert_uint_gt(f.r.attempts, VMA_PAGES / 2);
	ck_assert_uint_eq(backend_sim_pages_read(f.b),
			  2 * VMA_PAGES + f.r.attempts);
	teardown(&f);
}
END_TEST

/* Every page fails once with -EBUSY or -EAGAIN: one retry round fixes it. */
START_TEST(test_exec_transient_retried)
{
	static const int errs[] = { -EBUSY, -EAGAIN };
	struct fixture f;
	uint64_t i;

	setup(&f, 77);
	for (i = 0; i < VMA_PAGES; i++)
		ck_assert_int_eq(
			backend_sim_inject(f.b, VMA_VPN + i, errs[_i], 1), 0);
	ck_assert_int_eq(run(&f), 0);
	ck_assert_int_eq(f.r.reached, 1);
	ck_assert_uint_eq(f.r.after.runs, 1);
	ck_assert_uint_eq(f.r.retries, f.r.ops);
	ck_assert_uint_eq(f.st.retries, f.r.ops);
	ck_assert_uint_eq(f.r.attempts, 2 * f.r.ops);
	ck_assert_uint_eq(f.r.done, f.r.ops);
	ck_assert_uint_eq(f.r.failed, 0);
	/* one backoff, the first one */
	ck_assert_uint_eq(nr_sleeps, 1);
	ck_assert_uint_eq(slept_ns, f.p.backoff_ns);
	teardown(&f);
}
END_TEST

/* One page always busy: retried max_retries times, then given up. */
START_TEST(test_exec_busy_given_up)
{
	struct fixture f;
	uint64_t vpn;

	setup(&f, 99);
	vpn = misplaced_vpn(&f);
	ck_assert_int_eq(backend_sim_inject(f.b, vpn, -EBUSY, UINT32_MAX), 0);
	ck_assert_int_eq(run(&f), 0);
	ck_assert_int_eq(f.r.reached, 0);
	ck_assert_uint_gt(f.r.after.runs, 1);
	ck_assert_uint_le(f.r.after.runs, 3);
	ck_assert_uint_eq(f.r.failed, 1);
	ck_assert_uint_eq(f.r.failed_by[STATS_REASON_BUSY], 1);
	ck_assert_uint_eq(f.st.ops_failed[STATS_REASON_BUSY], 1);
	ck_assert_uint_eq(f.r.retries, f.p.max_retries);
	ck_assert_uint_eq(f.r.done, f.r.ops - 1);
	ck_assert_uint_eq(f.r.attempts, f.r.ops + f.p.max_retries);
	ck_assert_uint_eq(f.st.passes[STATS_PASS_PARTIAL], 1);
	/* a plan with a failed op is not followed by another */
	ck_assert_uint_eq(f.r.plans, 1);
	/* backoff doubles: 1 + 2 + 4 times the first wait */
	ck_assert_uint_eq(nr_sleeps, f.p.max_retries);
	ck_assert_uint_eq(slept_ns, 7 * f.p.backoff_ns);
	teardown(&f);
}
END_TEST

/* Errors that are not worth a retry are given up at once, by reason. */
START_TEST(test_exec_hard_error)
{
	struct fixture f;
	uint64_t vpn;

	setup(&f, 5);
	vpn = misplaced_vpn(&f);
	ck_assert_int_eq(backend_sim_inject(f.b, vpn, -EOPNOTSUPP, UINT32_MAX),
			 0);
	ck_assert_int_eq(run(&f), 0);
	ck_assert_int_eq(f.r.reached, 0);
	ck_assert_uint_eq(f.r.retries, 0);
	ck_assert_uint_eq(f.st.ops_failed[STATS_REASON_UNSUPPORTED], 1);
	ck_assert_uint_eq(nr_sleeps, 0);
	teardown(&f);
}
END_TEST

/* 100 pages/s with batches of 64: waits before every batch but the first. */
START_TEST(test_exec_budget)
{
	struct fixture f;

	setup(&f, 3);
	f.p.budget_pages = 100;
	ck_assert_int_eq(run(&f), 0);
	ck_assert_int_eq(f.r.reached, 1);
	ck_assert_uint_eq(nr_sleeps, (f.r.ops + 63) / 64 - 1);
	/* the fake sleep does not pass time: at least (ops - 64) / 100 s */
	ck_assert_uint_ge(slept_ns, (f.r.ops - 64) * 10000000ull);
	teardown(&f);
}
END_TEST

static double since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - t0->tv_sec) +
	       (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Cancelled 0.1 s into the pass (a yield to another uid's job). */
static int cancel_after_100ms(void *arg)
{
	return since(arg) > 0.1;
}

/*
 * A cancel that comes while the budget holds the next batch back is
 * honoured within a slice of that wait, before the batch: 100 pages/s
 * with batches of 64 would otherwise sleep 0.64 s and send a second batch.
 */
START_TEST(test_exec_cancel_in_budget_wait)
{
	struct fixture f;
	struct timespec t0;

	setup(&f, 5);
	f.p.budget_pages = 100;
	f.p.sleep_ns = NULL; /* real sleeps */
	f.p.cancelled = cancel_after_100ms;
	f.p.cb_arg = &t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	ck_assert_int_eq(run(&f), -ECANCELED);
	ck_assert_uint_eq(f.r.attempts, 64);
	ck_assert_double_lt(since(&t0), 0.4);
	teardown(&f);
}
END_TEST

START_TEST(test_exec_bad_range)
{
	struct fixture f;

	setup(&f, 1);
	ck_assert_int_eq(exec_pass(f.b, 1, 0x2000, 0x1000, &f.p, NULL, &f.r),
			 -EINVAL);
	ck_assert_int_eq(exec_pass(f.b, 1, 0x1001, 0x3000, &f.p, NULL, &f.r),
			 -EINVAL);
	teardown(&f);
}
END_TEST

/* A range over EXEC_MAX_PAGES (a reservation) is refused, not allocated. */
START_TEST(test_exec_too_big)
{
	struct fixture f;
	uint64_t start = (uint64_t)VMA_VPN << CONTIG_PAGE_SHIFT;

	setup(&f, 3);
	ck_assert_int_eq(exec_pass(f.b, 1, start,
				   start + ((EXEC_MAX_PAGES + 1)
					    << CONTIG_PAGE_SHIFT),
				   &f.p, &f.st, &f.r),
			 -E2BIG);
	ck_assert_uint_eq(backend_sim_attempts(f.b), 0);
	teardown(&f);
}
END_TEST

/*
 * Eight pages at frames base.. of a 64-frame sim, pages 2 and 5 on each
 * other's frame; the VMA's id.
 */
static int swapped_pair(struct sim *s, uint64_t vpn, uint64_t base)
{
	uint64_t i;
	int id;

	ck_assert_int_eq(sim_init(s, 64), 0);
	id = sim_vma_add(s, vpn, 8);
	ck_assert_int_ge(id, 0);
	for (i = 0; i < 8; i++)
		ck_assert_int_eq(sim_fault(s, (uint32_t)id, i,
					   base + (i == 2 ? 5 : i == 5 ? 2 : i)),
				 0);
	return id;
}

/*
 * Eight pages in frames 32..39, except pages 2 and 5, which sit in each
 * other's frame: the plan is one exchange, which places both.  Without
 * the in-place exchange the occupant (page 5) goes to the highest free
 * frame instead and frame 37 is left free: a second plan moves it there.
 */
START_TEST(test_exec_evict_anywhere)
{
	const uint64_t base = 32, vpn = 0x100, nr = 8;
	int evict_anywhere = _i;
	struct exec_params p = EXEC_PARAMS_DEFAULT;
	struct exec_result r;
	struct backend *b;
	struct sim s;
	uint64_t i;
	int id;

	id = swapped_pair(&s, vpn, base);
	s.evict_anywhere = evict_anywhere;
	ck_assert_int_eq(backend_sim_create(&s, &b), 0);
	p.budget_pages = 0;
	p.sleep_ns = fake_sleep;
	ck_assert_int_eq(exec_pass(b, 1, vpn << CONTIG_PAGE_SHIFT,
				   (vpn + nr) << CONTIG_PAGE_SHIFT, &p, NULL,
				   &r),
			 0);
	ck_assert_uint_eq(r.before.runs, 5);
	ck_assert_int_eq(r.reached, 1);
	ck_assert_uint_eq(r.after.runs, 1);
	ck_assert_uint_eq(r.failed, 0);
	for (i = 0; i < nr; i++)
		ck_assert_uint_eq(sim_vma_pages(&s, (uint32_t)id)->pfn[i],
				  base + i);
	if (evict_anywhere) {
		/* exchange (page 5 evicted), then page 5 moved back */
		ck_assert_uint_eq(r.plans, 2);
		ck_assert_uint_eq(r.ops, 2);
		ck_assert_uint_eq(s.moves, 3);
	} else {
		ck_assert_uint_eq(r.plans, 1);
		ck_assert_uint_eq(r.ops, 1);
		ck_assert_uint_eq(s.exchanges, 1);
	}
	ck_assert_int_eq(sim_check(&s), 0);
	backend_destroy(b);
	sim_free(&s);
}
END_TEST

/*
 * A backend whose full-range readings are torn, as pagemap is when the
 * process frees a frame and faults another page into it while the read
 * goes on: the last page shows on the first page's frame.  Everything
 * else goes to the sim backend.
 */
struct torn_backend {
	struct backend b;
	struct backend *sim;
	uint64_t nr; /* pages of a full-range reading */
	unsigned int torn; /* readings left to tear */
};

static struct torn_backend *to_torn(struct backend *b)
{
	return (struct torn_backend *)b;
}

static int torn_info(struct backend *b, struct backend_info *out)
{
	return backend_info(to_torn(b)->sim, out);
}

static int torn_apply(struct backend *b, pid_t pid, struct backend_op *ops,
		      size_t nr)
{
	return backend_apply(to_torn(b)->sim, pid, ops, nr);
}

static int torn_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			  uint64_t nr, uint64_t *pfn)
{
	struct torn_backend *tb = to_torn(b);
	int err = backend_read_pfns(tb->sim, pid, start_vpn, nr, pfn);

	if (!err && nr == tb->nr && tb->torn) {
		tb->torn--;
		pfn[nr - 1] = pfn[0];
	}
	return err;
}

static int torn_frame_map(struct backend *b, const struct frame_map **out)
{
	return to_torn(b)->sim->ops->frame_map(to_torn(b)->sim, out);
}

static const struct backend_ops torn_ops = {
	.info = torn_info,
	.apply = torn_apply,
	.read_pfns = torn_read_pfns,
	.frame_map = torn_frame_map,
};

/*
 * Pages 2 and 5 of eight swapped, the rest in place, and readings torn
 * (page 7 shown on page 0's frame): _i == 0 tears the first reading
 * only, which the planner refuses and the second plan, on a fresh
 * reading, puts right; _i == 1 tears them all: no op is sent, the pass
 * ends short of its target after EXEC_MAX_PLANS refused plans.  Before
 * the planner refused such readings it planned one op more than it had
 * room for (page 0, in place, behind page 7's path) and wrote past its
 * op array.
 */
START_TEST(test_exec_torn_reading)
{
	const uint64_t base = 32, vpn = 0x100, nr = 8;
	struct exec_params p = EXEC_PARAMS_DEFAULT;
	struct torn_backend tb = { .b = { .ops = &torn_ops }, .nr = nr };
	struct exec_result r;
	struct sim s;
	uint64_t i;
	int id;

	id = swapped_pair(&s, vpn, base);
	ck_assert_int_eq(backend_sim_create(&s, &tb.sim), 0);
	tb.torn = _i ? UINT32_MAX : 1;
	p.budget_pages = 0;
	p.sleep_ns = fake_sleep;
	ck_assert_int_eq(exec_pass(&tb.b, 1, vpn << CONTIG_PAGE_SHIFT,
				   (vpn + nr) << CONTIG_PAGE_SHIFT, &p, NULL,
				   &r),
			 0);
	if (_i) {
		ck_assert_uint_eq(r.plans, EXEC_MAX_PLANS);
		ck_assert_uint_eq(r.stale, EXEC_MAX_PLANS);
		ck_assert_uint_eq(r.ops, 0);
		ck_assert_int_eq(r.reached, 0);
		ck_assert_uint_eq(sim_vma_pages(&s, (uint32_t)id)->pfn[2],
				  base + 5);
	} else {
		ck_assert_uint_eq(r.plans, 2);
		ck_assert_uint_eq(r.stale, 1);
		ck_assert_uint_eq(r.ops, 1);
		ck_assert_uint_eq(r.failed, 0);
		ck_assert_int_eq(r.reached, 1);
		for (i = 0; i < nr; i++)
			ck_assert_uint_eq(
				sim_vma_pages(&s, (uint32_t)id)->pfn[i],
				base + i);
	}
	ck_assert_int_eq(sim_check(&s), 0);
	backend_destroy(tb.sim);
	sim_free(&s);
}
END_TEST

Suite *test_executor_suite(void)
{
	Suite *s = suite_create("executor");
	TCase *tc = tcase_create("sim");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_exec_one_run, 0, 8);
	tcase_add_loop_test(tc, test_exec_verify_reads_touched, 0, 3);
	tcase_add_loop_test(tc, test_exec_transient_retried, 0, 2);
	tcase_add_test(tc, test_exec_times_batches);
	tcase_add_test(tc, test_exec_busy_given_up);
	tcase_add_test(tc, test_exec_hard_error);
	tcase_add_test(tc, test_exec_too_big);
	tcase_add_test(tc, test_exec_budget);
	tcase_add_test(tc, test_exec_cancel_in_budget_wait);
	tcase_add_test(tc, test_exec_bad_range);
	tcase_add_loop_test(tc, test_exec_evict_anywhere, 0, 2);
	tcase_add_loop_test(tc, test_exec_torn_reading, 0, 2);
	suite_add_tcase(s, tc);
	return s;
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * The worker on the sim backend: jobs of pretend processes become one
 * physical run each, their anchor windows are claimed without overlap,
 * and a process that exits or unmaps in the middle of a plan leaves no
 * claim behind. Also the queue between threads: jobs run by the worker
 * thread, a stop that cancels the running pass.
 */
#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>

#include "backend_sim.h"
#include "contig_proto.h"
#include "range_tree.h"
#include "sim_random.h"
#include "worker.h"

#define NR_FRAMES 16384
#define NR_PROCS 3
#define VMA_PAGES 1024
#define PID0 1000

/*
 * A backend around the sim one: after kill_after ops the process
 * "exits" (its VMA disappears and apply says -ESRCH) or "unmaps" (the
 * VMA disappears; ops then fail with -EFAULT); cancel_w is cancelled at
 * the first batch.
 */
struct wrap {
	struct backend b;
	struct backend *inner;
	struct fixture *f;
	uint64_t ops;
	/* backend_bind: the pid bound now (0: none), the last job's pid
	 * and pidfd, binds, calls made for another pid than the bound one */
	pid_t bound, job_pid;
	int job_fd;
	unsigned int binds;
	bool outside;
	pid_t bound_pid; /* what bind() was last told */
	int bound_fd;
	int fd_at_apply; /* bound_fd when apply() first ran */
};

struct fixture {
	struct sim s;
	struct backend *sim_b;
	struct wrap wrap;
	uint32_t id[NR_PROCS];
	bool gone[NR_PROCS]; /* VMA removed */
	bool exited[NR_PROCS]; /* maps say ESRCH */
	uint64_t kill_after; /* 0: never */
	int kill_proc;
	bool kill_exits; /* else unmap */
	struct worker *cancel_w;
	struct queue q;
	struct procs procs;
	struct stats st;
	struct worker w;
};

static int proc_of(pid_t pid)
{
	int i = pid - PID0;

	return i >= 0 && i < NR_PROCS ? i : -1;
}

static void vanish(struct fixture *f, int i, bool exits)
{
	if (!f->gone[i])
		ck_assert_int_eq(sim_vma_remove(&f->s, f->id[i]), 0);
	f->gone[i] = true;
	f->exited[i] = exits;
}

static int wrap_info(struct backend *b, struct backend_info *out)
{
	return backend_info(((struct wrap *)b)->inner, out);
}

static int wrap_apply(struct backend *b, pid_t pid, struct backend_op *ops,
		      size_t nr)
{
	struct wrap *wr = (struct wrap *)b;
	struct fixture *f = wr->f;
	int i = proc_of(pid);

	if (pid != wr->bound)
		wr->outside = true;
	if (f->cancel_w)
		atomic_store(&f->cancel_w->cancel, true);
	if (f->kill_after && i == f->kill_proc && wr->ops >= f->kill_after)
		vanish(f, i, f->kill_exits);
	if (i >= 0 && f->exited[i])
		return -ESRCH;
	if (!wr->ops)
		wr->fd_at_apply = wr->bound_pid == pid ? wr->bound_fd : -2;
	wr->ops += nr;
	return backend_apply(wr->inner, pid, ops, nr);
}

static int wrap_read_pfns(struct backend *b, pid_t pid, uint64_t start_vpn,
			  uint64_t nr, uint64_t *pfn)
{
	struct wrap *wr = (struct wrap *)b;
	int i = proc_of(pid);

	if (pid != wr->bound)
		wr->outside = true;
	if (i >= 0 && wr->f->exited[i])
		return -ESRCH;
	return backend_read_pfns(wr->inner, pid, start_vpn, nr, pfn);
}

static int wrap_frame_map(struct backend *b, const struct frame_map **out)
{
	struct backend *in = ((struct wrap *)b)->inner;

	return in->ops->frame_map(in, out);
}

static void wrap_destroy(struct backend *b)
{
	(void)b;
}

static int wrap_bind(struct backend *b, pid_t pid, int pidfd)
{
	struct wrap *wr = (struct wrap *)b;

	wr->bound = pid;
	if (pid) {
		wr->job_pid = pid;
		wr->job_fd = pidfd;
	}
	wr->bound_pid = pid;
	wr->bound_fd = pidfd;
	wr->binds++;
	return 0;
}

static const struct backend_ops wrap_ops = {
	.info = wrap_info,
	.apply = wrap_apply,
	.read_pfns = wrap_read_pfns,
	.frame_map = wrap_frame_map,
	.destroy = wrap_destroy,
	.bind = wrap_bind,
};

/* The maps of a pretend process: its one VMA, anonymous, rw-p. */
static int fake_vmas(void *arg, pid_t pid, struct vma_list *out)
{
	struct fixture *f = arg;
	const struct vma_pages *v;
	struct vma_info *vi;
	int i = proc_of(pid);

	if (i < 0 || f->exited[i])
		return -ESRCH;
	if (f->gone[i])
		return 0;
	v = sim_vma_pages(&f->s, f->id[i]);
	vi = calloc(1, sizeof(*vi));
	ck_assert_ptr_nonnull(vi);
	vi->start = v->start_vpn << CONTIG_PAGE_SHIFT;
	vi->end = (v->start_vpn + v->nr) << CONTIG_PAGE_SHIFT;
	memcpy(vi->perms, "rw-p", 5);
	vi->kind = VMA_KIND_ANON;
	out->v = vi;
	out->nr = out->cap = 1;
	return 0;
}

static void setup(struct fixture *f, uint64_t seed)
{
	struct exec_params ep = EXEC_PARAMS_DEFAULT;
	int i;

	memset(f, 0, sizeof(*f));
	ck_assert_int_eq(sim_init(&f->s, NR_FRAMES), 0);
	for (i = 0; i < NR_PROCS; i++) {
		int id = sim_vma_add(&f->s, 0x10000 + (uint64_t)i * 0x10000,
				     VMA_PAGES);

		ck_assert_int_ge(id, 0);
		f->id[i] = (uint32_t)id;
		random_fill(&f->s, f->id[i], &seed, 1000, 1);
	}
	ck_assert_int_eq(backend_sim_create(&f->s, &f->sim_b), 0);
	f->wrap.b.ops = &wrap_ops;
	f->wrap.b.kind = BACKEND_SIM;
	f->wrap.inner = f->sim_b;
	f->wrap.f = f;
	ck_assert_int_eq(queue_init(&f->q, 16), 0);
	procs_init(&f->procs);
	stats_init(&f->st, BACKEND_SIM, 0, STATS_OBSERVER_NONE);
	ck_assert_int_eq(worker_init(&f->w, &f->q, &f->procs, &f->wrap.b,
				     &f->st, NULL),
			 0);
	f->w.vmas = fake_vmas;
	f->w.vmas_arg = f;
	ep.budget_pages = 0;
	ep.batch = 64;
	worker_set_params(&f->w, &ep, 100);
}

static void teardown(struct fixture *f)
{
	/* every backend call was made for the job bound at the time */
	ck_assert(!f->wrap.outside);
	ck_assert_int_eq(f->wrap.bound, 0);
	ck_assert_int_eq(sim_check(&f->s), 0);
	worker_destroy(&f->w);
	procs_destroy(&f->procs);
	queue_destroy(&f->q);
	backend_destroy(f->sim_b);
	sim_free(&f->s);
}

/* Queue a job for the whole memory of process i and run it here. */
static struct job *run_job(struct fixture *f, int i)
{
	struct job *j;
	bool joined, kicked;

	procs_lock(&f->procs);
	ck_assert_ptr_nonnull(procs_get(&f->procs, PID0 + i, true));
	procs_unlock(&f->procs);
	ck_assert_int_eq(queue_push(&f->q, PID0 + i, 0, 0, JOB_PRIO_DEFRAG,
				    &j, &joined),
			 0);
	ck_assert(!joined);
	ck_assert_ptr_eq(queue_pop(&f->q, &kicked), j);
	worker_run_job(&f->w, j);
	queue_finish(&f->q, j);
	ck_assert_ptr_eq(queue_take_done(&f->q), j);
	return j;
}

/* Every page of process i sits at anchor + index. */
static void assert_one_run(struct fixture *f, int i, uint64_t anchor)
{
	const struct vma_pages *v = sim_vma_pages(&f->s, f->id[i]);
	uint64_t k;

	for (k = 0; k < v->nr; k++)
		ck_assert_uint_eq(v->pfn[k], anchor + k);
}

static int overlap_fn(const struct rt_range *r, void *arg)
{
	struct rt_range *prev = arg;

	if (prev->end > r->start)
		return 1;
	*prev = *r;
	return 0;
}

/* Each process becomes one run; windows are claimed, never overlapping. */
START_TEST(test_worker_claims)
{
	struct rt_range prev = { 0 };
	struct fixture f;
	int i;

	setup(&f, 11 + (uint64_t)_i);
	for (i = 0; i < NR_PROCS; i++) {
		struct job *j = run_job(&f, i);
		struct range_state *rs;
		struct proc *p;

		ck_assert_int_eq(j->res.error, 0);
		ck_assert(j->res.reached);
		ck_assert_uint_eq(j->res.pieces, 1);
		ck_assert_uint_eq(j->res.after.runs, 1);
		ck_assert_uint_gt(j->res.before.runs, 100);
		procs_lock(&f.procs);
		p = procs_get(&f.procs, PID0 + i, false);
		ck_assert_ptr_nonnull(p);
		ck_assert_uint_eq(p->nr, 1);
		rs = &p->r[0];
		ck_assert(rs->flags & CONTIG_VMA_DONE);
		ck_assert(rs->flags & CONTIG_VMA_CLAIMED);
		ck_assert_uint_eq(rs->last_runs, 1);
		assert_one_run(&f, i, rs->anchor_pfn);
		procs_unlock(&f.procs);
		queue_job_free(j);
	}
	ck_assert_uint_eq(rt_count(f.w.claims), NR_PROCS);
	ck_assert_uint_eq(atomic_load(&f.w.nr_claims), NR_PROCS);
	ck_assert_int_eq(rt_foreach(f.w.claims, overlap_fn, &prev), 0);
	/* pages and passes were counted into the daemon's stats */
	ck_assert_uint_eq(f.st.passes[STATS_PASS_REACHED], NR_PROCS);
	ck_assert_uint_gt(f.st.pages_verified, NR_PROCS * VMA_PAGES / 2);
	teardown(&f);
}
END_TEST

/*
 * The process exits (or unmaps its VMA) after some batches: the job ends
 * (ESRCH for an exit), and housekeeping releases every claim it held.
 */
START_TEST(test_worker_vanish_mid_plan)
{
	bool exits = _i & 1;
	struct fixture f;
	struct job *j;
	int i;

	setup(&f, 101 + (uint64_t)_i);
	/* the others first, so that their claims must survive */
	for (i = 1; i < NR_PROCS; i++)
		queue_job_free(run_job(&f, i));
	ck_assert_uint_eq(rt_count(f.w.claims), NR_PROCS - 1);
	f.kill_after = 128 + 64 * (uint64_t)(_i / 2);
	f.kill_proc = 0;
	f.kill_exits = exits;
	j = run_job(&f, 0);
	ck_assert(f.gone[0]);
	if (exits) {
		ck_assert_int_eq(j->res.error, ESRCH);
		ck_assert(!j->res.reached);
	} else {
		/* the pages vanished under the pass; it ran to its end */
		ck_assert_int_eq(j->res.error, 0);
		ck_assert_uint_eq(j->res.after.present, 0);
		procs_lock(&f.procs);
		procs_get(&f.procs, PID0, false)->maps_changed = true;
		procs_unlock(&f.procs);
	}
	queue_job_free(j);
	/* its claim was made before it vanished */
	ck_assert_uint_eq(rt_count(f.w.claims), NR_PROCS);
	worker_housekeeping(&f.w);
	ck_assert_uint_eq(rt_count(f.w.claims), NR_PROCS - 1);
	ck_assert_uint_eq(atomic_load(&f.w.nr_claims), NR_PROCS - 1);
	procs_lock(&f.procs);
	if (exits) {
		ck_assert_ptr_null(procs_get(&f.procs, PID0, false));
		ck_assert_uint_eq(f.procs.nr, NR_PROCS - 1);
	} else {
		ck_assert_uint_eq(procs_get(&f.procs, PID0, false)->nr, 0);
	}
	procs_unlock(&f.procs);
	teardown(&f);
}
END_TEST

/*
 * The backend is bound to each job's process for the job (the pidfd of
 * its binding, -1 for an unbound one) and unbound after it.
 */
START_TEST(test_worker_binds_backend)
{
	struct fixture f;
	struct job *j;
	bool joined, kicked;
	int fd;

	setup(&f, 7);
	fd = open("/dev/null", O_RDONLY | O_CLOEXEC); /* stands for a pidfd */
	ck_assert_int_ge(fd, 0);
	procs_lock(&f.procs);
	ck_assert_ptr_nonnull(procs_get(&f.procs, PID0, true));
	procs_unlock(&f.procs);
	ck_assert_int_eq(queue_push(&f.q, PID0, 0, 0, JOB_PRIO_DEFRAG, &j,
				    &joined),
			 0);
	j->tgt.pidfd = fd; /* released with the job */
	ck_assert_ptr_eq(queue_pop(&f.q, &kicked), j);
	worker_run_job(&f.w, j);
	queue_finish(&f.q, j);
	ck_assert_ptr_eq(queue_take_done(&f.q), j);
	ck_assert(j->res.reached);
	ck_assert_uint_eq(f.wrap.binds, 2);
	ck_assert_int_eq(f.wrap.job_pid, PID0);
	ck_assert_int_eq(f.wrap.job_fd, fd);
	ck_assert_int_eq(f.wrap.bound, 0);
	ck_assert(!f.wrap.outside);
	queue_job_free(j);

	queue_job_free(run_job(&f, 1));
	ck_assert_uint_eq(f.wrap.binds, 4);
	ck_assert_int_eq(f.wrap.job_pid, PID0 + 1);
	ck_assert_int_eq(f.wrap.job_fd, -1);
	ck_assert_int_eq(f.wrap.bound, 0);
	teardown(&f);
}
END_TEST

/*
 * The backend is told, before the first op, the pidfd of the process the
 * job is bound to (kmod names the process by it), or -1 for a job bound
 * to none.
 */
START_TEST(test_worker_binds_pidfd)
{
	struct target t = TARGET_UNBOUND(PID0 + 2);
	struct fixture f;
	struct job *j;
	bool joined, kicked;
	int fd;

	setup(&f, 17);
	j = run_job(&f, 0);
	ck_assert_int_ge(f.wrap.binds, 1);
	ck_assert_int_eq(f.wrap.fd_at_apply, -1);
	queue_job_free(j);

	fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	ck_assert_int_ge(fd, 0);
	t.pidfd = fd; /* the job owns it now */
	f.wrap.ops = 0;
	procs_lock(&f.procs);
	ck_assert_ptr_nonnull(procs_get(&f.procs, PID0 + 2, true));
	procs_unlock(&f.procs);
	ck_assert_int_eq(queue_push_target(&f.q, &t, 0, 0, 0, JOB_PRIO_DEFRAG,
					   &j, &joined),
			 0);
	ck_assert_ptr_eq(queue_pop(&f.q, &kicked), j);
	worker_run_job(&f.w, j);
	ck_assert_uint_gt(f.wrap.ops, 0);
	ck_assert_int_eq(f.wrap.fd_at_apply, fd);
	queue_finish(&f.q, j);
	ck_assert_ptr_eq(queue_take_done(&f.q), j);
	queue_job_free(j);
	teardown(&f);
}
END_TEST

/* Jobs of a process that no longer exists fail cleanly, claim nothing. */
START_TEST(test_worker_no_such_process)
{
	struct fixture f;
	struct job *j;

	setup(&f, 5);
	vanish(&f, 1, true);
	j = run_job(&f, 1);
	ck_assert_int_eq(j->res.error, ESRCH);
	ck_assert_str_eq(j->res.message, "No such process: pid 1001");
	queue_job_free(j);
	worker_housekeeping(&f.w);
	ck_assert_uint_eq(rt_count(f.w.claims), 0);
	ck_assert_uint_eq(f.procs.nr, 0);
	teardown(&f);
}
END_TEST

/*
 * No window anywhere: an unmovable frame every 200 frames leaves no
 * stretch of free or movable frames as long as a VMA.  The job says so
 * (ENOSPC, "no window"), not that the pass broke (EIO), and changes
 * nothing.
 */
START_TEST(test_worker_no_window)
{
	const struct vma_pages *v;
	uint64_t *before, pfn;
	struct fixture f;
	struct job *j;

	setup(&f, 9);
	for (pfn = 0; pfn < NR_FRAMES; pfn += 200)
		sim_set_state(&f.s, pfn, FRAME_UNMOVABLE);
	v = sim_vma_pages(&f.s, f.id[1]);
	before = malloc(v->nr * sizeof(*before));
	ck_assert_ptr_nonnull(before);
	memcpy(before, v->pfn, v->nr * sizeof(*before));
	j = run_job(&f, 1);
	ck_assert_int_eq(j->res.error, ENOSPC);
	ck_assert_ptr_nonnull(strstr(j->res.message, "no window"));
	v = sim_vma_pages(&f.s, f.id[1]);
	ck_assert_int_eq(memcmp(before, v->pfn, v->nr * sizeof(*before)), 0);
	ck_assert_uint_eq(rt_count(f.w.claims), 0);
	queue_job_free(j);
	free(before);
	teardown(&f);
}
END_TEST

/*
 * A page busy through all retries of the first pass: the piece gets a
 * second pass, which finds it free and reaches the target; one that
 * stays busy ends the job after three passes, not reached.
 */
START_TEST(test_worker_busy_repass)
{
	struct exec_params ep = EXEC_PARAMS_DEFAULT;
	const struct vma_pages *v;
	uint32_t times = _i ? UINT32_MAX : ep.max_retries + 1;
	struct fixture f;
	struct job *j;
	uint64_t k;

	setup(&f, 21);
	ep.budget_pages = 0;
	ep.batch = 64;
	ep.backoff_ns = 1000;
	worker_set_params(&f.w, &ep, 100);
	/* every page: whichever the plan moves, one of them is busy */
	v = sim_vma_pages(&f.s, f.id[0]);
	for (k = 0; k < v->nr; k++)
		ck_assert_int_eq(backend_sim_inject(f.sim_b, v->start_vpn + k,
						    -EBUSY, times),
				 0);
	j = run_job(&f, 0);
	ck_assert_int_eq(j->res.error, 0);
	if (!_i) {
		ck_assert(j->res.reached);
		ck_assert_uint_eq(j->res.after.runs, 1);
		ck_assert_uint_gt(j->res.failed, 0); /* given up in pass 1 */
		ck_assert_uint_eq(f.st.passes[STATS_PASS_PARTIAL], 1);
		ck_assert_uint_eq(f.st.passes[STATS_PASS_REACHED], 1);
	} else {
		ck_assert(!j->res.reached);
		ck_assert_uint_eq(f.st.passes[STATS_PASS_PARTIAL], 3);
	}
	queue_job_free(j);
	teardown(&f);
}
END_TEST

static struct job *wait_done(struct fixture *f)
{
	struct pollfd pfd = { .fd = f->q.wake_fd, .events = POLLIN };
	struct job *j;

	for (;;) {
		queue_drain_wake(&f->q);
		j = queue_take_done(&f->q);
		if (j)
			return j;
		ck_assert_int_eq(poll(&pfd, 1, 20000), 1);
	}
}

/* The thread runs queued jobs; the main side sees them done. */
START_TEST(test_worker_thread)
{
	struct fixture f;
	struct job *j[NR_PROCS];
	int i, done = 0;
	bool joined;

	setup(&f, 3);
	for (i = 0; i < NR_PROCS; i++) {
		procs_lock(&f.procs);
		procs_get(&f.procs, PID0 + i, true);
		procs_unlock(&f.procs);
		ck_assert_int_eq(queue_push(&f.q, PID0 + i, 0, 0,
					    JOB_PRIO_WANT, &j[i], &joined),
				 0);
	}
	/* the same range again joins the queued job, at a higher priority */
	{
		struct job *again;

		ck_assert_int_eq(queue_push(&f.q, PID0 + 2, 0, 0, JOB_PRIO_NOW,
					    &again, &joined),
				 0);
		ck_assert(joined);
		ck_assert_ptr_eq(again, j[2]);
		ck_assert_int_eq(j[2]->prio, JOB_PRIO_NOW);
	}
	ck_assert_int_eq(worker_start(&f.w), 0);
	while (done < NR_PROCS) {
		struct job *list = wait_done(&f), *first = list;

		/* the NOW job ran first: the last of the first list (LIFO) */
		while (!done && first && first->next)
			first = first->next;
		if (!done)
			ck_assert_ptr_eq(first, j[2]);
		while (list) {
			struct job *next = list->next;

			ck_assert_int_eq(list->res.error, 0);
			ck_assert(list->res.reached);
			done++;
			queue_job_free(list);
			list = next;
		}
	}
	worker_stop(&f.w);
	ck_assert_uint_eq(rt_count(f.w.claims), NR_PROCS);
	teardown(&f);
}
END_TEST

/* Stopping cancels the running pass after its batch; queued jobs end. */
START_TEST(test_worker_stop_cancels)
{
	struct fixture f;
	struct job *j;
	bool joined, kicked;

	setup(&f, 8);
	procs_lock(&f.procs);
	procs_get(&f.procs, PID0, true);
	procs_unlock(&f.procs);
	ck_assert_int_eq(queue_push(&f.q, PID0, 0, 0, JOB_PRIO_DEFRAG, &j,
				    &joined),
			 0);
	ck_assert_ptr_eq(queue_pop(&f.q, &kicked), j);
	f.cancel_w = &f.w;
	worker_run_job(&f.w, j);
	ck_assert_int_eq(j->res.error, EAGAIN);
	ck_assert_str_eq(j->res.message, "contigd is shutting down");
	ck_assert_uint_eq(j->res.done, 64); /* one batch */
	queue_finish(&f.q, j);
	queue_job_free(queue_take_done(&f.q));
	/* queued jobs are answered at once when the queue stops */
	ck_assert_int_eq(queue_push(&f.q, PID0 + 1, 0, 0, JOB_PRIO_DEFRAG, &j,
				    &joined),
			 0);
	queue_stop(&f.q);
	ck_assert_ptr_eq(queue_take_done(&f.q), j);
	ck_assert_int_eq(j->res.error, EAGAIN);
	queue_job_free(j);
	ck_assert_int_eq(queue_push(&f.q, PID0 + 1, 0, 0, JOB_PRIO_DEFRAG, &j,
				    &joined),
			 -EAGAIN);
	teardown(&f);
}
END_TEST

Suite *test_worker_suite(void)
{
	Suite *s = suite_create("worker");
	TCase *tc = tcase_create("worker");

	tcase_set_timeout(tc, 60);
	tcase_add_loop_test(tc, test_worker_claims, 0, 3);
	tcase_add_loop_test(tc, test_worker_vanish_mid_plan, 0, 6);
	tcase_add_test(tc, test_worker_no_such_process);
	tcase_add_test(tc, test_worker_no_window);
	tcase_add_test(tc, test_worker_binds_backend);
	tcase_add_test(tc, test_worker_binds_pidfd);
	tcase_add_loop_test(tc, test_worker_busy_repass, 0, 2);
	tcase_add_test(tc, test_worker_thread);
	tcase_add_test(tc, test_worker_stop_cancels);
	suite_add_tcase(s, tc);
	return s;
}

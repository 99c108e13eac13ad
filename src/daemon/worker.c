// SPDX-License-Identifier: GPL-2.0-only
/*
 * The worker thread (worker.h).
 */
#include <errno.h>
#include <signal.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "contig_proto.h"
#include "log.h"
#include "pieces.h"
#include "worker.h"
#include "worker_log.h"

/* Progress packets at most this often. */
#define PROGRESS_NS 100000000u
/* Passes over a piece whose pages were only busy. */
#define WORKER_PASSES 3
/* A job runs at least this long before it yields to another uid's. */
#define WORKER_SLICE_NS 1000000000u
/* A CPU-share pause never lasts longer. */
#define MAX_PAUSE_NS 5000000000u

struct job_ctx {
	struct worker *w;
	struct job *j;
	uint64_t ops_before; /* ops of the pieces already run */
	uint64_t ops_done_before;
	uint32_t piece, pieces;
	uint64_t last_ns;
	bool changed; /* the target exec'd or exited: res->message says */
	uint64_t slice_end_ns; /* CLOCK_MONOTONIC: the job may yield after */
	bool preempted; /* it yielded to another uid: requeue it */
};

static uint64_t now_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool worker_eligible(const struct vma_info *v)
{
	return (v->kind == VMA_KIND_ANON || v->kind == VMA_KIND_HEAP ||
		v->kind == VMA_KIND_STACK) &&
	       v->perms[1] == 'w' && v->perms[3] == 'p';
}

int worker_init(struct worker *w, struct queue *q, struct procs *procs,
		struct backend *b, struct stats *stats, const char *proc_root)
{
	memset(w, 0, sizeof(*w));
	w->claims = rt_create();
	if (!w->claims)
		return -ENOMEM;
	w->q = q;
	w->procs = procs;
	w->b = b;
	w->stats = stats;
	w->proc_root = proc_root;
	w->ep = (struct exec_params)EXEC_PARAMS_DEFAULT;
	w->cpu_share = 100;
	cost_init(&w->cost);
	pthread_mutex_init(&w->lock, NULL);
	return 0;
}

void worker_destroy(struct worker *w)
{
	rt_destroy(w->claims);
	w->claims = NULL;
	pthread_mutex_destroy(&w->lock);
}

void worker_set_params(struct worker *w, const struct exec_params *ep,
		       unsigned int cpu_share)
{
	pthread_mutex_lock(&w->lock);
	w->ep = *ep;
	w->cpu_share = cpu_share < 1 ? 1 : cpu_share > 100 ? 100 : cpu_share;
	backend_set_cpu_share(w->b, w->cpu_share);
	pthread_mutex_unlock(&w->lock);
}

static int read_vmas(struct worker *w, pid_t pid, struct vma_list *out)
{
	if (w->vmas)
		return w->vmas(w->vmas_arg, pid, out);
	return maps_read(w->proc_root, pid, out);
}

static void release(struct worker *w, uint64_t *owners, size_t nr)
{
	size_t i;

	for (i = 0; i < nr; i++)
		rt_remove_owner(w->claims, owners[i]);
	atomic_store(&w->nr_claims, rt_count(w->claims));
}

/* Prune pid's states against maps (or mark it dead); release claims. */
static void prune_pid(struct worker *w, pid_t pid, const struct vma_list *maps,
		      int maps_err)
{
	uint64_t *owners = NULL;
	size_t nr = 0;
	struct proc *p;

	procs_lock(w->procs);
	p = procs_get(w->procs, pid, false);
	if (p && maps_err == -ESRCH)
		p->dead = true;
	else if (p && !maps_err &&
		 procs_prune(p, maps, worker_eligible, &owners, &nr))
		log_warnx("pid %d: out of memory pruning its ranges", (int)pid);
	procs_unlock(w->procs);
	release(w, owners, nr);
	free(owners);
}

void worker_housekeeping(struct worker *w)
{
	uint64_t *owners = NULL;
	pid_t *changed = NULL;
	size_t nr = 0, nr_changed = 0, i;

	procs_lock(w->procs);
	/*
	 * No exit watch (they are capped): has it gone? Then it is reaped
	 * below. (Tests that give their own VMAs model exits themselves.)
	 */
	for (i = 0; !w->vmas && i < w->procs->nr; i++) {
		struct proc *p = w->procs->p[i];

		if (p->pidfd < 0 && !p->dead && kill(p->pid, 0) &&
		    errno == ESRCH)
			p->dead = true;
	}
	if (procs_reap(w->procs, &owners, &nr))
		log_warnx("out of memory releasing claims");
	changed = calloc(w->procs->nr ? w->procs->nr : 1, sizeof(*changed));
	for (i = 0; changed && i < w->procs->nr; i++)
		if (w->procs->p[i]->maps_changed && !w->procs->p[i]->dead)
			changed[nr_changed++] = w->procs->p[i]->pid;
	procs_unlock(w->procs);
	release(w, owners, nr);
	free(owners);
	for (i = 0; i < nr_changed; i++) {
		struct vma_list maps = { 0 };
		int err = read_vmas(w, changed[i], &maps);

		prune_pid(w, changed[i], &maps, err);
		vma_list_free(&maps);
	}
	free(changed);
}

static void on_progress(void *arg, uint64_t done, uint64_t total)
{
	struct job_ctx *c = arg;
	uint64_t t = now_ns(CLOCK_MONOTONIC);

	if (t - c->last_ns < PROGRESS_NS && done < total)
		return;
	c->last_ns = t;
	queue_progress(c->w->q, c->j, c->ops_done_before + done,
		       c->ops_before + total, c->piece, c->pieces);
}

/*
 * The job's target is what it was bound to? Otherwise the job ends with
 * the reason in its result, and what it learnt is not reported.
 */
static bool target_changed(struct job_ctx *c)
{
	struct job_result *res = &c->j->res;

	if (c->changed)
		return true;
	if (!target_check(&c->j->tgt, res->message, sizeof(res->message)))
		return false;
	res->error = ESRCH;
	c->changed = true;
	return true;
}

/* Past its slice with another uid waiting: the job yields. */
static bool yield_now(struct job_ctx *c)
{
	if (!c->preempted && now_ns(CLOCK_MONOTONIC) >= c->slice_end_ns &&
	    queue_others_wait(c->w->q, c->j))
		c->preempted = true;
	return c->preempted;
}

/* Between two batches: shutting down, changed, or time to yield. */
static int on_cancelled(void *arg)
{
	struct job_ctx *c = arg;

	return atomic_load(&c->w->cancel) || target_changed(c) ||
	       yield_now(c);
}

/* The eligible pieces of the job's range; observer jobs skip NEVER. */
static size_t job_pieces(struct worker *w, const struct job *j,
			 const struct vma_list *maps, struct piece *out)
{
	uint64_t lo = j->end ? j->start : 0;
	uint64_t hi = j->end ? j->end : UINT64_MAX;
	struct proc *p;
	size_t i, n = 0;

	procs_lock(w->procs);
	p = procs_get(w->procs, j->pid, false);
	for (i = 0; i < maps->nr; i++) {
		const struct vma_info *v = &maps->v[i];
		uint64_t a = v->start > lo ? v->start : lo;
		uint64_t z = v->end < hi ? v->end : hi;

		if (a >= z || !worker_eligible(v))
			continue;
		if (j->prio == JOB_PRIO_OBSERVER && p &&
		    procs_is_never(p, a, z))
			continue;
		out[n].start = a;
		out[n].end = z;
		n++;
	}
	procs_unlock(w->procs);
	return n;
}

/* Giant pieces split for bounded passes (pieces.h); *pieces replaced. */
static int split_pieces(struct worker *w, const struct job *j,
			struct piece **pieces, size_t *n)
{
	struct piece *split;
	size_t nr;
	int err;

	err = pieces_split(w->proc_root, j->pid, *pieces, *n, &split, &nr);
	if (err)
		return err;
	free(*pieces);
	*pieces = split;
	*n = nr;
	return 0;
}

/* Mark the piece's state running, and return its claim key. */
static uint64_t piece_begin(struct worker *w, const struct job *j,
			    const struct piece *pc)
{
	struct range_state *rs;
	uint64_t owner = 0;
	struct proc *p;

	procs_lock(w->procs);
	p = procs_get(w->procs, j->pid, true);
	rs = p ? procs_range(w->procs, p, pc->start, pc->end, true) : NULL;
	if (rs) {
		rs->flags |= CONTIG_VMA_RUNNING;
		if (j->prio == JOB_PRIO_NOW || j->prio == JOB_PRIO_WANT)
			rs->flags |= CONTIG_VMA_HINTED;
		owner = rs->owner;
	}
	procs_unlock(w->procs);
	return owner;
}

static void piece_end(struct worker *w, const struct job *j,
		      const struct piece *pc, int err,
		      const struct exec_result *r)
{
	struct range_state *rs;
	struct proc *p;

	procs_lock(w->procs);
	p = procs_get(w->procs, j->pid, false);
	rs = p ? procs_range(w->procs, p, pc->start, pc->end, false) : NULL;
	if (rs) {
		rs->flags &= ~(CONTIG_VMA_RUNNING | CONTIG_VMA_DONE);
		if (r->claimed) {
			rs->flags |= CONTIG_VMA_CLAIMED;
			rs->anchor_pfn = r->win_start;
		}
		rs->failures += (uint32_t)r->failed;
		if (!err) {
			rs->last_runs = r->after.runs;
			rs->last_pass = time(NULL);
			if (r->reached)
				rs->flags |= CONTIG_VMA_DONE;
		}
	}
	procs_unlock(w->procs);
}

static void set_error(struct job_result *res, int error, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void set_error(struct job_result *res, int error, const char *fmt, ...)
{
	va_list ap;

	res->error = error;
	va_start(ap, fmt);
	vsnprintf(res->message, sizeof(res->message), fmt, ap);
	va_end(ap);
}

/* Only busy or transient failures: worth another pass right away. */
static bool only_transient(const struct exec_result *r)
{
	return r->failed && r->failed == r->failed_by[STATS_REASON_BUSY] +
						  r->failed_by[STATS_REASON_AGAIN];
}

/*
 * Run one piece; false when the job must stop (res->error set). A pass
 * that ends short of its target only because pages were busy (written
 * to, pinned for a moment) is followed by another one, WORKER_PASSES in
 * all: the second plans only what is still misplaced.
 */
static bool run_piece(struct worker *w, struct job_ctx *c,
		      struct exec_params *ep, const struct piece *pc)
{
	struct job *j = c->j;
	struct job_result *res = &j->res;
	struct contig_metrics before;
	struct exec_result r;
	struct stats local;
	uint64_t moved = 0;
	double seconds = 0;
	unsigned int pass;
	int err;

	ep->claim_owner = piece_begin(w, j, pc);
	for (pass = 0;; pass++) {
		stats_init(&local, w->b->kind, 0, STATS_OBSERVER_NONE);
		err = exec_pass(w->b, j->pid, pc->start, pc->end, ep, &local,
				&r);
		atomic_store(&w->nr_claims, rt_count(w->claims));
		if (r.stale)
			log_info("pid %d: 0x%" PRIx64 "-0x%" PRIx64
				 ": %u of %u plan(s) refused: pages moved while"
				 " pagemap was read",
				 (int)j->pid, pc->start, pc->end, r.stale,
				 r.plans);
		pthread_mutex_lock(&w->lock);
		stats_add(w->stats, &local);
		pthread_mutex_unlock(&w->lock);
		if (!pass)
			before = r.before;
		c->ops_before += r.ops;
		c->ops_done_before += r.done + r.failed;
		res->ops += r.ops;
		res->done += r.done;
		res->failed += r.failed;
		res->verified += r.pages_verified;
		moved += r.pages_verified;
		seconds += r.seconds;
		if (err || r.reached || pass + 1 >= WORKER_PASSES ||
		    !only_transient(&r) || atomic_load(&w->cancel))
			break;
		log_debug("pid %d: 0x%" PRIx64 "-0x%" PRIx64 ": %" PRIu64
			  " pages busy, pass %u",
			  (int)j->pid, pc->start, pc->end, r.failed, pass + 2);
	}
	r.before = before;
	piece_end(w, j, pc, err, &r);
	if (target_changed(c))
		return false;
	if (c->preempted) {
		/* this piece again, planned afresh, when its turn comes */
		j->resume = pc->start;
		return false;
	}
	switch (err) {
	case 0:
		worker_log_pass(w, j, pc, &r, moved, seconds);
		res->pieces++;
		contig_metrics_add(&res->before, &r.before);
		contig_metrics_add(&res->after, &r.after);
		res->reached = res->reached && r.reached;
		return true;
	case -E2BIG:
		log_debug("pid %d: 0x%" PRIx64 "-0x%" PRIx64
			  " skipped: over 64 GiB, a reservation",
			  (int)j->pid, pc->start, pc->end);
		return true;
	case -EFAULT:
	case -EINVAL:
		/* The piece went away under us: prune at the next job. */
		log_debug("pid %d: 0x%" PRIx64 "-0x%" PRIx64 " vanished",
			  (int)j->pid, pc->start, pc->end);
		return true;
	case -ENOSPC:
		/*
		 * No window: every stretch of free or movable frames of the
		 * zone is shorter than the piece (pages that cannot move, the
		 * kernel's own, are scattered through it).  Nothing was done;
		 * a later pass may find room.
		 */
		log_info("pid %d: 0x%" PRIx64 "-0x%" PRIx64
			 ": no window of free or movable frames that long",
			 (int)j->pid, pc->start, pc->end);
		set_error(res, ENOSPC,
			  "no window for 0x%" PRIx64 "-0x%" PRIx64
			  ": no stretch of free or movable frames that long",
			  pc->start, pc->end);
		return true;
	case -ESRCH:
		set_error(res, ESRCH, "pid %d exited", (int)j->pid);
		return false;
	case -ECANCELED:
		set_error(res, EAGAIN, "contigd is shutting down");
		return false;
	case -EPERM:
	case -EACCES:
		set_error(
			res, EPERM,
			"contigd may not read the frames of pid %d (needs CAP_SYS_ADMIN)",
			(int)j->pid);
		return false;
	default:
		log_warnx("pid %d: pass over 0x%" PRIx64 "-0x%" PRIx64 ": %s",
			  (int)j->pid, pc->start, pc->end, strerror(-err));
		set_error(res, EIO, "pass over 0x%" PRIx64 "-0x%" PRIx64 ": %s",
			  pc->start, pc->end, strerror(-err));
		return true;
	}
}

bool worker_run_job(struct worker *w, struct job *j)
{
	struct job_ctx c = { .w = w, .j = j };
	uint64_t t0 = now_ns(CLOCK_MONOTONIC), resume = j->resume;
	struct vma_list maps = { 0 };
	struct piece *pieces = NULL;
	struct exec_params ep;
	size_t n, i;
	int err;

	if (!resume) {
		memset(&j->res, 0, sizeof(j->res));
		j->res.reached = true;
	}
	j->resume = 0;
	c.slice_end_ns = t0 + WORKER_SLICE_NS;
	pthread_mutex_lock(&w->lock);
	ep = w->ep;
	pthread_mutex_unlock(&w->lock);
	ep.claims = w->claims;
	ep.cost = &w->cost;
	ep.progress = on_progress;
	ep.cancelled = on_cancelled;
	ep.cb_arg = &c;
	ep.proc_root = w->proc_root;

	worker_housekeeping(w);
	if (target_changed(&c))
		goto out;
	/*
	 * What the backend keeps open for the process is this job's; the
	 * kernel helper's ops name the process by the job's pidfd.
	 */
	err = backend_bind(w->b, j->pid, j->tgt.pidfd);
	if (err)
		log_debug("pid %d: binding the backend: %s", (int)j->pid,
			  strerror(-err));
	err = read_vmas(w, j->pid, &maps);
	prune_pid(w, j->pid, &maps, err);
	if (err) {
		if (err == -ESRCH)
			set_error(&j->res, ESRCH, "No such process: pid %d",
				  (int)j->pid);
		else
			set_error(&j->res, -err,
				  "reading the maps of pid %d: %s", (int)j->pid,
				  strerror(-err));
		goto out;
	}
	pieces = calloc(maps.nr ? maps.nr : 1, sizeof(*pieces));
	if (!pieces) {
		set_error(&j->res, ENOMEM, "out of memory");
		goto out;
	}
	n = job_pieces(w, j, &maps, pieces);
	if (n && split_pieces(w, j, &pieces, &n)) {
		set_error(&j->res, ENOMEM, "out of memory");
		goto out;
	}
	if (!n) {
		set_error(
			&j->res, EINVAL,
			"pid %d has no private writable anonymous memory there",
			(int)j->pid);
		goto out;
	}
	c.pieces = (uint32_t)n;
	for (i = 0; i < n; i++) {
		c.piece = (uint32_t)i;
		if (pieces[i].end <= resume)
			continue; /* done before the job yielded */
		if (yield_now(&c)) {
			j->resume = pieces[i].start;
			break;
		}
		if (!run_piece(w, &c, &ep, &pieces[i]))
			break;
	}
	queue_progress(w->q, j, c.ops_done_before, c.ops_before, (uint32_t)i,
		       (uint32_t)n);
	if (j->res.error == ESRCH)
		prune_pid(w, j->pid, NULL, -ESRCH);
out:
	if (c.changed) {
		/* Nothing learnt of the new image goes back to the caller. */
		memset(&j->res.before, 0, sizeof(j->res.before));
		memset(&j->res.after, 0, sizeof(j->res.after));
		j->res.verified = 0;
	}
	if (j->res.error)
		j->res.reached = false;
	j->res.duration_us += (now_ns(CLOCK_MONOTONIC) - t0) / 1000u;
	backend_bind(w->b, 0, -1);
	free(pieces);
	vma_list_free(&maps);
	return c.preempted && !j->res.error;
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct job *j;
	bool kicked;

	for (;;) {
		uint64_t cpu0, cpu, pause;
		unsigned int share;

		j = queue_pop(w->q, &kicked);
		if (!j && !kicked)
			break;
		if (!j) {
			worker_housekeeping(w);
			continue;
		}
		/* The backend's own workers (io_uring) work for this thread. */
		cpu0 = now_ns(CLOCK_THREAD_CPUTIME_ID) + backend_async_ns(w->b);
		if (worker_run_job(w, j)) {
			log_debug("pid %d: yields after its time slice", (int)j->pid);
			queue_requeue(w->q, j);
		} else {
			queue_finish(w->q, j);
		}
		cpu = now_ns(CLOCK_THREAD_CPUTIME_ID) + backend_async_ns(w->b) -
		      cpu0;
		pthread_mutex_lock(&w->lock);
		share = w->cpu_share;
		pthread_mutex_unlock(&w->lock);
		/* Work cpu, rest so that cpu is share % of the period. */
		pause = cpu / share * (100 - share);
		queue_sleep(w->q, pause < MAX_PAUSE_NS ? pause : MAX_PAUSE_NS);
	}
	return NULL;
}

int worker_start(struct worker *w)
{
	int err = pthread_create(&w->thread, NULL, worker_main, w);

	if (err)
		return -err;
	w->started = true;
	return 0;
}

void worker_stop(struct worker *w)
{
	atomic_store(&w->cancel, true);
	queue_stop(w->q);
	if (w->started)
		pthread_join(w->thread, NULL);
	w->started = false;
	/* Nothing is left to claim for. */
	worker_housekeeping(w);
}

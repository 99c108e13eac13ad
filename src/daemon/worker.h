/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The worker thread: takes jobs from the queue and runs them, one
 * verified pass per eligible piece of the job's range, through the
 * backend, under the pages/s budget and a CPU share.
 *
 * It owns the range tree of claimed physical windows: a piece's anchor
 * window is claimed under the piece's owner key and stays claimed while
 * the piece exists, so that no other piece plans into it. Claims are
 * released when the process exits (procs_reap) or the piece's VMA goes
 * away (procs_prune), at the next job or kick.
 */
#ifndef CONTIG_DAEMON_WORKER_H
#define CONTIG_DAEMON_WORKER_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "backend.h"
#include "executor.h"
#include "maps.h"
#include "procs.h"
#include "queue.h"
#include "ratelimit.h"
#include "range_tree.h"
#include "stats.h"

/* The VMAs of pid (maps_read by default; tests give their own). */
typedef int (*worker_vmas_fn)(void *arg, pid_t pid, struct vma_list *out);
typedef void (*worker_why_fn)(void *arg, pid_t pid, uint64_t start,
			      uint64_t end, char *buf, size_t size);

struct worker {
	struct queue *q;
	struct procs *procs;
	struct backend *b;
	struct range_tree *claims; /* worker thread only */
	struct cost_model cost; /* op times, worker thread only */
	const char *proc_root;
	worker_vmas_fn vmas; /* NULL: maps_read(proc_root) */
	void *vmas_arg;
	/* Why an observer job's range was chosen, for its log line. */
	worker_why_fn why; /* NULL: not said */
	void *why_arg;
	/* Pass lines of requested jobs, per uid (worker thread only). */
	struct ratelimit_uids pass_rl;

	pthread_mutex_t lock; /* params, stats */
	struct exec_params ep;
	unsigned int cpu_share; /* percent of one core, 1..100 */
	struct stats *stats; /* pass counters are added here */

	atomic_bool cancel; /* end the running pass at the next batch */
	atomic_size_t nr_claims;
	pthread_t thread;
	bool started;
};

/*
 * Set up (no thread yet). stats is the daemon's, updated under w->lock.
 * 0 or -ENOMEM.
 */
int worker_init(struct worker *w, struct queue *q, struct procs *procs,
		struct backend *b, struct stats *stats, const char *proc_root);
void worker_destroy(struct worker *w);
/* New parameters (config reload); the running pass keeps the old. */
void worker_set_params(struct worker *w, const struct exec_params *ep,
		       unsigned int cpu_share);

int worker_start(struct worker *w);
/* Stop the queue, cancel the running pass at its next batch, join. */
void worker_stop(struct worker *w);

/*
 * One job, synchronously (the thread's body; tests call it directly).
 * True when it yielded: past its time slice (WORKER_SLICE_NS) with a job
 * of another uid waiting at its priority or above, it stops after the
 * current batch and is to be requeued (queue_requeue); it goes on from
 * the piece it was in (j->resume), its figures adding up.
 */
bool worker_run_job(struct worker *w, struct job *j);
/* Release the claims of dead processes and vanished VMAs. */
void worker_housekeeping(struct worker *w);

/* Private writable anonymous memory: what a pass may work on. */
bool worker_eligible(const struct vma_info *v);

#endif

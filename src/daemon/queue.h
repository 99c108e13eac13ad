/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The work queue between the main thread (control socket, observer
 * policy) and the worker thread that runs the passes.
 *
 * The main thread creates jobs (queue_push) and frees them once done
 * (queue_take_done, queue_job_free); the worker takes them (queue_pop),
 * publishes progress and finishes them (queue_finish), which wakes the
 * main thread through an eventfd. Everything shared is under one mutex.
 * uids take turns across the priorities of requests (a uid's CONTIG_NOW
 * goes before its own CONTIG_WANT, but not before another uid's turn);
 * one uid's jobs of the same priority run in arrival order; the
 * observer's jobs run when no request waits. A request for a range
 * already queued or running joins that job (and raises its priority).
 */
#ifndef CONTIG_DAEMON_QUEUE_H
#define CONTIG_DAEMON_QUEUE_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "metrics.h"
#include "target.h"

/* The uid of jobs nobody asked for (the observer's): no quota. */
#define QUEUE_NO_UID ((uid_t)-1)
/* Jobs one uid may have queued or running. */
#define QUEUE_UID_MAX 32
/* CONTIG_NOW jobs one uid may have queued or running. */
#define QUEUE_UID_NOW_MAX 2
/* Slots of the round-robin table (uids hashed into it). */
#define QUEUE_RR_SLOTS 64

enum job_prio {
	JOB_PRIO_NOW = 0, /* contig_advise(CONTIG_NOW): someone waits */
	JOB_PRIO_DEFRAG, /* contigctl defrag */
	JOB_PRIO_WANT, /* contig_advise(CONTIG_WANT) */
	JOB_PRIO_OBSERVER, /* a hot VMA the observer found */
	JOB_PRIO_COUNT,
};

enum job_state {
	JOB_QUEUED = 0,
	JOB_RUNNING,
	JOB_DONE,
};

struct job_result {
	int error; /* 0 or a positive errno (contig_proto.h) */
	char message[120];
	struct contig_metrics before, after; /* sums over the pieces */
	uint64_t ops, done, failed, verified;
	uint64_t duration_us;
	uint32_t pieces;
	bool reached;
};

struct job {
	struct job *next;
	uint64_t id;
	pid_t pid;
	uid_t uid; /* who asked; QUEUE_NO_UID: the observer */
	struct target tgt; /* the address space it is bound to; owned */
	uint64_t start, end; /* 0, 0: all eligible memory of pid */
	uint64_t resume; /* preempted: the piece to go on from; 0: none */
	enum job_prio prio;
	enum job_state state;
	/* Written by the worker under the lock. */
	uint64_t ops_done, ops_total;
	uint32_t pieces_done, pieces_total;
	uint64_t progress_gen; /* bumped with every progress update */
	struct job_result res; /* valid once JOB_DONE */
};

struct queue {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct job *head[JOB_PRIO_COUNT], *tail[JOB_PRIO_COUNT];
	struct job *done; /* finished, for the main thread (LIFO) */
	struct job *running;
	size_t length; /* queued, not running */
	size_t max;
	uint64_t next_id;
	uint64_t served; /* jobs handed to the worker */
	uint64_t rr[QUEUE_RR_SLOTS]; /* per uid hash: served at last pop */
	bool stopping;
	bool kicked; /* the worker has housekeeping to do */
	int wake_fd; /* eventfd the main thread polls */
};

/* 0 or -errno (eventfd). */
int queue_init(struct queue *q, size_t max);
/* Frees every job left; the worker must be stopped. */
void queue_destroy(struct queue *q);
void queue_set_max(struct queue *q, size_t max);

/*
 * Main thread: queue (pid, start, end) at prio, or join the same range
 * already queued or running. *out is the job; *joined tells which.
 * 0, -EAGAIN (queue full or stopping), -ENOMEM.
 */
int queue_push(struct queue *q, pid_t pid, uint64_t start, uint64_t end,
	       enum job_prio prio, struct job **out, bool *joined);
/*
 * Main thread: the same for a request of uid, bound to *t. A job of the
 * same range joins only when bound to the same address space (or to none:
 * it takes t's binding then); a new job takes over t's descriptors (t is
 * left unbound), a joined one leaves them to the caller. -EDQUOT: uid
 * has QUEUE_UID_MAX jobs (QUEUE_UID_NOW_MAX for JOB_PRIO_NOW) already;
 * joining a queued job at a higher priority is held to the same limits.
 */
int queue_push_target(struct queue *q, struct target *t, uid_t uid,
		      uint64_t start, uint64_t end, enum job_prio prio,
		      struct job **out, bool *joined);
/* Main thread: is anything queued or running for pid in [start, end)? */
bool queue_busy(struct queue *q, pid_t pid, uint64_t start, uint64_t end);
/* Main thread: the finished jobs (a list through ->next), emptied. */
struct job *queue_take_done(struct queue *q);
void queue_job_free(struct job *j);
/* Main thread: clear the wake eventfd. */
void queue_drain_wake(struct queue *q);
size_t queue_length(struct queue *q);
/* Copy a job's progress under the lock (the worker may be updating). */
void queue_progress_get(struct queue *q, const struct job *j,
			uint64_t *ops_done, uint64_t *ops_total,
			uint32_t *pieces_done, uint32_t *pieces_total,
			uint64_t *gen);

/*
 * Stop: queued jobs finish at once with EAGAIN ("shutting down"), no new
 * ones are taken, queue_pop returns NULL once the running one is done.
 */
void queue_stop(struct queue *q);
/* Wake the worker for housekeeping (a process died, maps changed). */
void queue_kick(struct queue *q);

/*
 * Worker: wait for the next job (the uid served longest ago first, its
 * most urgent job; the observer's last), or for a kick.
 * Returns the job (now running), or NULL on a kick (*kicked) or when
 * stopping (*kicked false).
 */
struct job *queue_pop(struct queue *q, bool *kicked);
/* Worker: sleep up to ns unless stopping. */
void queue_sleep(struct queue *q, uint64_t ns);
void queue_progress(struct queue *q, struct job *j, uint64_t ops_done,
		    uint64_t ops_total, uint32_t pieces_done,
		    uint32_t pieces_total);
/*
 * Worker: does a request of another uid wait (any priority; for an
 * observer's job, anything)? Then j, past its time slice, yields
 * (queue_requeue).
 */
bool queue_others_wait(struct queue *q, const struct job *j);
/* Worker: the running job goes back to the end of its priority's list. */
void queue_requeue(struct queue *q, struct job *j);
/* Worker: the running job is done (j->res filled); wakes the main thread. */
void queue_finish(struct queue *q, struct job *j);

#endif

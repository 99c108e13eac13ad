// SPDX-License-Identifier: GPL-2.0-only
/*
 * The work queue between the main thread and the worker (queue.h).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include "queue.h"

int queue_init(struct queue *q, size_t max)
{
	memset(q, 0, sizeof(*q));
	q->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (q->wake_fd < 0)
		return -errno;
	pthread_mutex_init(&q->lock, NULL);
	pthread_cond_init(&q->cond, NULL);
	q->max = max;
	q->next_id = 1;
	return 0;
}

static void free_list(struct job *j)
{
	while (j) {
		struct job *next = j->next;

		queue_job_free(j);
		j = next;
	}
}

void queue_destroy(struct queue *q)
{
	int i;

	for (i = 0; i < JOB_PRIO_COUNT; i++)
		free_list(q->head[i]);
	free_list(q->done);
	if (q->running)
		queue_job_free(q->running);
	if (q->wake_fd >= 0)
		close(q->wake_fd);
	pthread_cond_destroy(&q->cond);
	pthread_mutex_destroy(&q->lock);
	memset(q, 0, sizeof(*q));
	q->wake_fd = -1;
}

void queue_set_max(struct queue *q, size_t max)
{
	pthread_mutex_lock(&q->lock);
	q->max = max;
	pthread_mutex_unlock(&q->lock);
}

static void wake_main(struct queue *q)
{
	uint64_t one = 1;

	/* A full counter (never in practice) still leaves it readable. */
	if (write(q->wake_fd, &one, sizeof(one)) < 0)
		return;
}

static void append(struct queue *q, struct job *j)
{
	j->next = NULL;
	if (q->tail[j->prio])
		q->tail[j->prio]->next = j;
	else
		q->head[j->prio] = j;
	q->tail[j->prio] = j;
}

/* Unlink j from its priority list. */
static void unlink_job(struct queue *q, struct job *j)
{
	struct job **pp = &q->head[j->prio], *prev = NULL;

	while (*pp && *pp != j) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = j->next;
	if (q->tail[j->prio] == j)
		q->tail[j->prio] = prev;
	j->next = NULL;
}

/* May a request bound to t join j? */
static bool joinable(const struct job *j, const struct target *t)
{
	if (t->mm_fd < 0)
		return true; /* the observer's: any binding will do */
	if (j->tgt.mm_fd >= 0)
		return target_same(&j->tgt, t);
	return j->state == JOB_QUEUED; /* it takes t's binding */
}

static struct job *find_same(struct queue *q, const struct target *t,
			     uint64_t start, uint64_t end)
{
	struct job *j;
	int i;

	j = q->running;
	if (j && j->pid == t->pid && j->start == start && j->end == end &&
	    joinable(j, t))
		return j;
	for (i = 0; i < JOB_PRIO_COUNT; i++)
		for (j = q->head[i]; j; j = j->next)
			if (j->pid == t->pid && j->start == start &&
			    j->end == end && joinable(j, t))
				return j;
	return NULL;
}

/* -EDQUOT when uid may not have one more job of prio. */
static int quota(struct queue *q, uid_t uid, enum job_prio prio)
{
	size_t n = 0, now = 0;
	struct job *j;
	int i;

	if (uid == QUEUE_NO_UID)
		return 0;
	for (i = -1; i < JOB_PRIO_COUNT; i++) {
		for (j = i < 0 ? q->running : q->head[i]; j;
		     j = i < 0 ? NULL : j->next) {
			if (j->uid != uid)
				continue;
			n++;
			now += j->prio == JOB_PRIO_NOW;
		}
	}
	if (n >= QUEUE_UID_MAX ||
	    (prio == JOB_PRIO_NOW && now >= QUEUE_UID_NOW_MAX))
		return -EDQUOT;
	return 0;
}

int queue_push(struct queue *q, pid_t pid, uint64_t start, uint64_t end,
	       enum job_prio prio, struct job **out, bool *joined)
{
	struct target t = TARGET_UNBOUND(pid);

	return queue_push_target(q, &t, QUEUE_NO_UID, start, end, prio, out,
				 joined);
}

int queue_push_target(struct queue *q, struct target *t, uid_t uid,
		      uint64_t start, uint64_t end, enum job_prio prio,
		      struct job **out, bool *joined)
{
	struct job *j;
	int err = 0;

	pthread_mutex_lock(&q->lock);
	if (q->stopping) {
		err = -EAGAIN;
		goto out;
	}
	j = find_same(q, t, start, end);
	if (j) {
		/* raising a job to CONTIG_NOW counts as asking for one */
		if (j->state == JOB_QUEUED && prio < j->prio) {
			err = quota(q, uid, prio);
			if (err)
				goto out;
		}
		if (j->tgt.mm_fd < 0 && t->mm_fd >= 0) {
			j->tgt = *t;
			*t = (struct target)TARGET_UNBOUND(t->pid);
		}
		if (j->uid == QUEUE_NO_UID)
			j->uid = uid;
		if (j->state == JOB_QUEUED && prio < j->prio) {
			unlink_job(q, j);
			j->prio = prio;
			append(q, j);
		}
		*joined = true;
		*out = j;
		goto out;
	}
	if (q->length >= q->max) {
		err = -EAGAIN;
		goto out;
	}
	err = quota(q, uid, prio);
	if (err)
		goto out;
	j = calloc(1, sizeof(*j));
	if (!j) {
		err = -ENOMEM;
		goto out;
	}
	j->id = q->next_id++;
	j->pid = t->pid;
	j->uid = uid;
	j->tgt = *t;
	*t = (struct target)TARGET_UNBOUND(t->pid);
	j->start = start;
	j->end = end;
	j->prio = prio;
	j->state = JOB_QUEUED;
	append(q, j);
	q->length++;
	*joined = false;
	*out = j;
	pthread_cond_signal(&q->cond);
out:
	pthread_mutex_unlock(&q->lock);
	return err;
}

static bool overlaps(const struct job *j, pid_t pid, uint64_t start,
		     uint64_t end)
{
	if (j->pid != pid)
		return false;
	if (!j->end || !end) /* the whole process */
		return true;
	return j->start < end && start < j->end;
}

bool queue_busy(struct queue *q, pid_t pid, uint64_t start, uint64_t end)
{
	bool busy = false;
	struct job *j;
	int i;

	pthread_mutex_lock(&q->lock);
	if (q->running && overlaps(q->running, pid, start, end))
		busy = true;
	for (i = 0; i < JOB_PRIO_COUNT && !busy; i++)
		for (j = q->head[i]; j && !busy; j = j->next)
			busy = overlaps(j, pid, start, end);
	pthread_mutex_unlock(&q->lock);
	return busy;
}

struct job *queue_take_done(struct queue *q)
{
	struct job *list;

	pthread_mutex_lock(&q->lock);
	list = q->done;
	q->done = NULL;
	pthread_mutex_unlock(&q->lock);
	return list;
}

void queue_job_free(struct job *j)
{
	target_release(&j->tgt);
	free(j);
}

void queue_drain_wake(struct queue *q)
{
	uint64_t v;

	if (read(q->wake_fd, &v, sizeof(v)) < 0)
		return; /* EAGAIN: nothing pending */
}

size_t queue_length(struct queue *q)
{
	size_t n;

	pthread_mutex_lock(&q->lock);
	n = q->length;
	pthread_mutex_unlock(&q->lock);
	return n;
}

void queue_progress_get(struct queue *q, const struct job *j,
			uint64_t *ops_done, uint64_t *ops_total,
			uint32_t *pieces_done, uint32_t *pieces_total,
			uint64_t *gen)
{
	pthread_mutex_lock(&q->lock);
	*ops_done = j->ops_done;
	*ops_total = j->ops_total;
	*pieces_done = j->pieces_done;
	*pieces_total = j->pieces_total;
	*gen = j->progress_gen;
	pthread_mutex_unlock(&q->lock);
}

static void finish_locked(struct queue *q, struct job *j)
{
	j->state = JOB_DONE;
	j->next = q->done;
	q->done = j;
}

void queue_stop(struct queue *q)
{
	struct job *j;
	int i;

	pthread_mutex_lock(&q->lock);
	q->stopping = true;
	for (i = 0; i < JOB_PRIO_COUNT; i++) {
		while ((j = q->head[i])) {
			q->head[i] = j->next;
			j->res.error = EAGAIN;
			snprintf(j->res.message, sizeof(j->res.message),
				 "contigd is shutting down");
			finish_locked(q, j);
		}
		q->tail[i] = NULL;
	}
	q->length = 0;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
	wake_main(q);
}

void queue_kick(struct queue *q)
{
	pthread_mutex_lock(&q->lock);
	q->kicked = true;
	pthread_cond_broadcast(&q->cond);
	pthread_mutex_unlock(&q->lock);
}

static size_t rr_slot(uid_t uid)
{
	return (size_t)uid * 2654435761u % QUEUE_RR_SLOTS;
}

/*
 * The next job: round robin between uids across the priorities of the
 * requests (the uid served longest ago goes first, with its most urgent
 * job, in arrival order within a priority), so that one uid's stream of
 * CONTIG_NOW holds another's back by one job at most. The observer's
 * jobs come only when no request waits.
 */
static struct job *take_fair(struct queue *q)
{
	struct job *j, *best = NULL;
	int i;

	for (i = 0; i < JOB_PRIO_COUNT; i++) {
		if (i == JOB_PRIO_OBSERVER && best)
			break;
		for (j = q->head[i]; j; j = j->next)
			if (!best || q->rr[rr_slot(j->uid)] <
					     q->rr[rr_slot(best->uid)])
				best = j;
	}
	if (!best)
		return NULL;
	unlink_job(q, best);
	q->rr[rr_slot(best->uid)] = ++q->served;
	return best;
}

struct job *queue_pop(struct queue *q, bool *kicked)
{
	struct job *j = NULL;

	*kicked = false;
	pthread_mutex_lock(&q->lock);
	for (;;) {
		if (q->stopping)
			break;
		if (q->kicked) {
			q->kicked = false;
			*kicked = true;
			break;
		}
		j = take_fair(q);
		if (j) {
			j->next = NULL;
			j->state = JOB_RUNNING;
			q->running = j;
			q->length--;
			break;
		}
		pthread_cond_wait(&q->cond, &q->lock);
	}
	pthread_mutex_unlock(&q->lock);
	return j;
}

void queue_sleep(struct queue *q, uint64_t ns)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += (time_t)(ns / 1000000000u);
	ts.tv_nsec += (long)(ns % 1000000000u);
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&q->lock);
	while (!q->stopping &&
	       pthread_cond_timedwait(&q->cond, &q->lock, &ts) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&q->lock);
}

void queue_progress(struct queue *q, struct job *j, uint64_t ops_done,
		    uint64_t ops_total, uint32_t pieces_done,
		    uint32_t pieces_total)
{
	pthread_mutex_lock(&q->lock);
	j->ops_done = ops_done;
	j->ops_total = ops_total;
	j->pieces_done = pieces_done;
	j->pieces_total = pieces_total;
	j->progress_gen++;
	pthread_mutex_unlock(&q->lock);
	wake_main(q);
}

bool queue_others_wait(struct queue *q, const struct job *j)
{
	/* uids take turns across the priorities of requests (take_fair) */
	int i, last = j->prio == JOB_PRIO_OBSERVER ? JOB_PRIO_OBSERVER :
						      JOB_PRIO_OBSERVER - 1;
	bool found = false;
	struct job *o;

	pthread_mutex_lock(&q->lock);
	for (i = 0; i <= last && !found; i++)
		for (o = q->head[i]; o && !found; o = o->next)
			found = o->uid != j->uid;
	pthread_mutex_unlock(&q->lock);
	return found;
}

void queue_requeue(struct queue *q, struct job *j)
{
	pthread_mutex_lock(&q->lock);
	if (q->running == j)
		q->running = NULL;
	if (q->stopping) {
		j->res.error = EAGAIN;
		snprintf(j->res.message, sizeof(j->res.message),
			 "contigd is shutting down");
		finish_locked(q, j);
	} else {
		j->state = JOB_QUEUED;
		append(q, j);
		q->length++;
		pthread_cond_signal(&q->cond);
	}
	pthread_mutex_unlock(&q->lock);
	wake_main(q);
}

void queue_finish(struct queue *q, struct job *j)
{
	pthread_mutex_lock(&q->lock);
	if (q->running == j)
		q->running = NULL;
	finish_locked(q, j);
	pthread_mutex_unlock(&q->lock);
	wake_main(q);
}
